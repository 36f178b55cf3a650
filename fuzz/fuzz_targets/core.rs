//! Arbitrary message sequences from two clients (with ticks, drops and reconnects between
//! them) into the host core: nothing may panic (overflow checks are on), every update must be
//! one a client can apply, and no ore may be made or lost. See `host::fuzz`.
//!
//! ```sh
//! cargo +nightly fuzz run core -- -max_total_time=60
//! ```

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| host::fuzz::run(data));
