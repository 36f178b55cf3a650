//! A hostile replay file (its unpacked body) read and played for a few ticks. See
//! `host::fuzz::replay_body`.
//!
//! ```sh
//! cargo +nightly fuzz run replay -- -max_total_time=60
//! ```

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| host::fuzz::replay_body(data));
