//! Bytes off a QUIC stream, read as length-capped postcard frames of client and host messages.
//! See `net::fuzz::frames`.
//!
//! ```sh
//! cargo +nightly fuzz run frame -- -max_total_time=60
//! ```

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| net::fuzz::frames(data));
