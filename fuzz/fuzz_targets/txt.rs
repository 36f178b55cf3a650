//! A LAN game's mDNS record (instance name, addresses, raw TXT rdata) as the Join screen reads
//! it. See `net::fuzz::txt`.
//!
//! ```sh
//! cargo +nightly fuzz run txt -- -max_total_time=60
//! ```

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| net::fuzz::txt(data));
