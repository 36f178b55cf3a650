//! Every fuzz corpus as ordinary tests: each input the fuzzer ever kept (`fuzz/corpus/<target>/`)
//! replays through the same harness the fuzzer runs, and each target's seeds are in its corpus.
//! `.ci/run` then fuzzes every target briefly; `cargo +nightly fuzz run <target>` fuzzes longer.

use std::path::PathBuf;

/// A fuzz target: its name (the corpus directory and the cargo-fuzz binary), its harness and its
/// seeds.
struct Target {
    name: &'static str,
    run: fn(&[u8]),
    seeds: fn() -> Vec<(&'static str, Vec<u8>)>,
}

const TARGETS: &[Target] = &[
    Target {
        name: "core",
        run: host::fuzz::run,
        seeds: host::fuzz::seeds,
    },
    Target {
        name: "invite",
        run: net::fuzz::invite,
        seeds: || net::fuzz::seeds("invite"),
    },
    Target {
        name: "frame",
        run: net::fuzz::frames,
        seeds: || net::fuzz::seeds("frame"),
    },
    Target {
        name: "txt",
        run: net::fuzz::txt,
        seeds: || net::fuzz::seeds("txt"),
    },
    Target {
        name: "replay",
        run: host::fuzz::replay_body,
        seeds: host::fuzz::replay_seeds,
    },
    Target {
        name: "view",
        run: ui::fuzz::host_messages,
        seeds: ui::fuzz::seeds,
    },
];

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target);
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
fn every_target_has_a_cargo_fuzz_binary() {
    let manifest =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/Cargo.toml"))
            .expect("fuzz/Cargo.toml");
    for target in TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{}\"", target.name)),
            "fuzz/Cargo.toml has no [[bin]] for {}",
            target.name
        );
    }
}

#[test]
fn the_seeds_are_in_the_corpora() {
    for target in TARGETS {
        let corpus = corpus(target.name);
        let seeds = (target.seeds)();
        assert!(!seeds.is_empty(), "{} has no seeds", target.name);
        for (name, bytes) in seeds {
            let file = format!("seed-{name}");
            let stored = corpus.iter().find(|(n, _)| *n == file).map(|(_, b)| b);
            assert!(
                stored == Some(&bytes),
                "fuzz/corpus/{}/{file} is missing or stale: cargo run --example fuzz_seeds",
                target.name
            );
        }
    }
}

#[test]
fn every_corpus_input_replays_without_breaking_an_invariant() {
    for target in TARGETS {
        let corpus = corpus(target.name);
        assert!(corpus.len() >= (target.seeds)().len());
        for (name, bytes) in &corpus {
            let outcome = std::panic::catch_unwind(|| (target.run)(bytes));
            assert!(outcome.is_ok(), "fuzz/corpus/{}/{name} fails", target.name);
        }
    }
}

#[test]
fn the_overflow_regressions_replay_without_panicking() {
    // Both used to panic inside the tick in a debug build (and wrap in release).
    for (name, bytes) in host::fuzz::seeds() {
        if name.contains("huge") || name.contains("off-the-map") {
            host::fuzz::run(&bytes);
        }
    }
}
