//! Writes the fuzz seeds (`host::fuzz::seeds`) into `fuzz/corpus/core/`, where the fuzzer starts
//! from them and `cargo test` replays them:
//!
//! ```sh
//! cargo run -p brogue-host --features rig --example fuzz_seeds
//! ```

fn main() -> std::io::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/core");
    std::fs::create_dir_all(&dir)?;
    for (name, bytes) in host::fuzz::seeds() {
        std::fs::write(dir.join(format!("seed-{name}")), bytes)?;
    }
    Ok(())
}
