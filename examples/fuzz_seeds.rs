//! Writes every fuzz target's seeds into `fuzz/corpus/<target>/seed-*`, where the fuzzer starts
//! from them and `cargo test` (tests/fuzz.rs) replays them:
//!
//! ```sh
//! cargo run --example fuzz_seeds
//! ```

type Seeds = Vec<(&'static str, Vec<u8>)>;

fn main() -> std::io::Result<()> {
    let targets: [(&str, Seeds); 6] = [
        ("core", host::fuzz::seeds()),
        ("invite", net::fuzz::seeds("invite")),
        ("frame", net::fuzz::seeds("frame")),
        ("txt", net::fuzz::seeds("txt")),
        ("view", ui::fuzz::seeds()),
        ("replay", host::fuzz::replay_seeds()),
    ];
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for (target, seeds) in targets {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        for (name, bytes) in seeds {
            std::fs::write(dir.join(format!("seed-{name}")), bytes)?;
        }
        println!("fuzz/corpus/{target}: {} files", dir.read_dir()?.count());
    }
    Ok(())
}
