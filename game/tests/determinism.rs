//! The world is a pure function of (seed, ordered inputs): same inputs, same state hash.

mod script;

use game::replay::Recording;

/// Recorded by `examples/record_replay.rs`; see the file's header.
const RECORDED: &str = include_str!("../../tests/data/replay-seed42.txt");

#[test]
fn same_seed_and_inputs_give_the_same_hash_after_1000_ticks() {
    let a = script::record();
    let b = script::record();
    assert_eq!(a.hash, b.hash);
    // Playing the inputs back on a fresh world reaches the same state.
    assert_eq!(Some(a.play().state_hash()), a.hash);
}

#[test]
fn one_different_input_or_seed_gives_a_different_hash() {
    let base = script::record();
    let tampered = script::record_with(script::SEED, Some((0, game::Class::Ranger)));
    assert_ne!(base.hash, tampered.hash);
    let other_seed = script::record_with(script::SEED + 1, None);
    assert_ne!(base.hash, other_seed.hash);
}

#[test]
fn the_recorded_input_log_replays_to_its_recorded_hash() {
    let recording = Recording::parse(RECORDED).expect("the recording parses");
    assert!(
        recording.inputs.len() > 100,
        "the recording is suspiciously short"
    );
    let world = recording.play();
    assert_eq!(
        Some(world.state_hash()),
        recording.hash,
        "replaying tests/data/replay-seed42.txt no longer reaches its recorded state. If a rule \
         changed on purpose, re-record it (see examples/record_replay.rs); otherwise the \
         simulation lost its determinism."
    );
}

#[test]
fn the_recording_still_matches_the_script() {
    // Guards the recording against hand edits and the script against silent drift.
    let recording = Recording::parse(RECORDED).unwrap();
    let script = script::record();
    assert!(
        recording == script,
        "tests/data/replay-seed42.txt differs from the script ({} vs {} inputs, hash {:?} vs \
         {:?}): re-record it (see examples/record_replay.rs)",
        recording.inputs.len(),
        script.inputs.len(),
        recording.hash,
        script.hash
    );
}

#[test]
fn the_script_exercises_joins_leaves_deaths_and_stairs() {
    let recording = script::record();
    let text = recording.to_text();
    for needle in [
        " connect ",
        " disconnect 1 lost",
        " disconnect 2 left",
        " descend",
        " create ",
        " pickup",
        " raw ",
    ] {
        assert!(text.contains(needle), "the script never does {needle:?}");
    }
}
