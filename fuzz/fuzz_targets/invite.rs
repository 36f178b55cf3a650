//! A pasted invite code: parsing never panics and what parses round-trips. See
//! `net::fuzz::invite`.
//!
//! ```sh
//! cargo +nightly fuzz run invite -- -max_total_time=60
//! ```

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| net::fuzz::invite(data));
