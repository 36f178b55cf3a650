//! The fuzz corpus as ordinary tests: every input the fuzzer kept (`fuzz/corpus/core/`) and
//! every seed replays without breaking an invariant.

use crate::fuzz;

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/core");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the fuzz corpus {} is missing: {e}", dir.display()))
        .map(|entry| {
            let entry = entry.expect("a directory entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(entry.path()).expect("a corpus file"))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn the_seeds_are_in_the_corpus() {
    let corpus = corpus();
    for (name, bytes) in fuzz::seeds() {
        let file = format!("seed-{name}");
        let stored = corpus.iter().find(|(n, _)| *n == file).map(|(_, b)| b);
        assert!(
            stored == Some(&bytes),
            "fuzz/corpus/core/{file} is missing or stale: cargo run -p brogue-host --features \
             rig --example fuzz_seeds"
        );
    }
}

#[test]
fn every_corpus_input_replays_without_breaking_an_invariant() {
    let corpus = corpus();
    assert!(corpus.len() >= fuzz::seeds().len());
    for (name, bytes) in &corpus {
        let outcome = std::panic::catch_unwind(|| fuzz::run(bytes));
        assert!(outcome.is_ok(), "fuzz/corpus/core/{name} fails");
    }
}

#[test]
fn the_overflow_regressions_replay_without_panicking() {
    // Both used to panic inside the tick in a debug build (and wrap in release).
    for (name, bytes) in fuzz::seeds() {
        if name.contains("huge") || name.contains("off-the-map") {
            fuzz::run(&bytes);
        }
    }
}
