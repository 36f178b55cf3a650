//! A hostile host's messages into a player's client view and screen, with keys and resizes
//! between them. See `ui::fuzz::host_messages`.
//!
//! ```sh
//! cargo +nightly fuzz run view -- -max_total_time=60
//! ```

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ui::fuzz::host_messages(data));
