//! Replays end to end: a real host plays with bots, `brogue replay export` writes a span of
//! the saved world, and `brogue replay FILE --check` plays it again to the very state the
//! save holds; spans, damaged files and changed inputs are reported, not played.

mod support;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use host::replay::Replay;
use support::{HostProcess, bots_report, brogue};

/// `brogue replay export --world WORLD EXTRA… FILE`.
fn export(data_dir: &Path, world: &str, extra: &[&str], file: &Path) -> Output {
    let mut args = vec!["replay", "export", "--world", world];
    args.extend(extra);
    args.push(file.to_str().unwrap());
    brogue(data_dir, &args)
}

/// `brogue replay FILE --check`.
fn check(data_dir: &Path, file: &Path) -> Output {
    brogue(data_dir, &["replay", file.to_str().unwrap(), "--check"])
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_hosted_game_replays_to_the_state_its_save_holds() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("host");
    let host = HostProcess::start(&data, "film", &["--seed", "5"]);
    let bots = dir.path().join("bots");
    let report = bots_report(&host.invite, &bots, &["--count", "3", "--duration", "4"]);
    assert_eq!(report["connected"], 3);
    let (status, _) = host.stop_and_wait(Duration::from_secs(20));
    assert!(status.success());
    let saved = support::check_json(&data);
    let (end, state) = (
        saved["tick"].as_u64().unwrap(),
        saved["state"].as_str().unwrap(),
    );

    // The whole kept span replays to the saved state.
    let file = dir.path().join("film.brr");
    let out = export(&data, "film", &[], &file);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("replay: "), "{}", stdout(&out));
    let out = check(&data, &file);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("replay: ok tick {end} state {state}\n")
    );

    // The bots played: the replay holds their inputs.
    let replay = Replay::decode(&std::fs::read(&file).unwrap()).unwrap();
    let inputs: usize = replay.journal.iter().map(|(_, i)| i.len()).sum();
    assert!(inputs > 20, "only {inputs} inputs");

    // A span: from 40 to 60.
    let span = dir.path().join("span.brr");
    let out = export(&data, "film", &["--from", "40", "--to", "60"], &span);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = check(&data, &span);
    assert!(
        stdout(&out).starts_with("replay: ok tick 60 state "),
        "{}",
        stdout(&out)
    );

    // Past the end of what was played: refused, saying how far it goes.
    let out = export(&data, "film", &["--to", "99999999"], &span);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!("played up to tick {end}")),
        "{}",
        stderr(&out)
    );
    let out = export(&data, "nope", &[], &span);
    assert!(
        stderr(&out).contains("no world called nope"),
        "{}",
        stderr(&out)
    );

    // A changed input: the check says between which ticks it parts, and fails. Not every
    // action changes the world (a move into a busy ally spends nothing), so the first one
    // after tick 40 whose loss the check notices is taken out.
    let changed = (0..replay.journal.len())
        .filter(|&at| {
            let (t, inputs) = &replay.journal[at];
            *t > 40 && inputs.iter().any(|i| matches!(i, game::Input::Act { .. }))
        })
        .map(|at| {
            let mut changed = replay.clone();
            changed.journal.remove(at);
            changed
        })
        .find(|changed| changed.check().is_err())
        .expect("an action after tick 40 that changed the world");
    let bad = dir.path().join("changed.brr");
    std::fs::write(&bad, changed.encode()).unwrap();
    let out = check(&data, &bad);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with("replay: diverged between tick "),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("does not replay the same here"),
        "{}",
        stderr(&out)
    );

    // Not a replay, or cut short: said so.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    let out = check(&data, &text);
    assert!(
        stderr(&out).contains("not a brogue replay file"),
        "{}",
        stderr(&out)
    );
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
    let out = check(&data, &bad);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("damaged"), "{}", stderr(&out));
}

/// `brogue replay FILE --check` plays `file` (which decoded as `replay`) to the end state it
/// recorded.
fn checks_to_its_end(file: &Path, replay: &Replay) {
    let dir = tempfile::tempdir().unwrap();
    let out = check(dir.path(), file);
    assert_eq!(
        stdout(&out),
        format!(
            "replay: ok tick {} state {}\n",
            replay.to,
            replay.end_hash().unwrap()
        ),
        "{}",
        stderr(&out)
    );
}

/// `tests/data/bots-release.brr` was made by an optimised build (three bots for six seconds on
/// `brogue host --world film --seed 21`, then `brogue replay export --world film`; the current
/// file by `cargo build --profile balance`, which is the release profile without LTO); this
/// build (a debug one under `cargo test`) must play it to the state it recorded. After a
/// deliberate rule change, make it again the same way with `--release` or `--profile balance`.
#[test]
fn a_replay_made_by_a_release_build_plays_the_same_in_this_build() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bots-release.brr");
    let replay = Replay::decode(&std::fs::read(&file).unwrap()).unwrap();
    let inputs: usize = replay.journal.iter().map(|(_, i)| i.len()).sum();
    assert!(inputs > 20, "the bots played ({inputs} inputs)");
    checks_to_its_end(&file, &replay);
}

/// `tests/data/bots-release-v1.brr` is the same kind of file made under older rules (format 1,
/// before parties). A replay plays the same only under the rules that made it, so this build
/// refuses it and says which brogue plays it, instead of reporting a divergence.
#[test]
fn a_replay_made_under_older_rules_is_refused_with_what_to_do() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bots-release-v1.brr");
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(bytes[host::replay::MAGIC.len()], 1, "a format-1 file");
    assert_eq!(
        Replay::decode(&bytes),
        Err(host::replay::ReplayFileError::Older { theirs: 1 })
    );
    let dir = tempfile::tempdir().unwrap();
    let out = check(dir.path(), &file);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("made by an older brogue whose rules differ")
            && err.contains("play it with the brogue version that wrote it"),
        "{err}"
    );
    assert_eq!(stdout(&out), "");
}

/// One scripted four-player session (`host::rig::scripted_session`), made by this build (a
/// debug one under `cargo test`) and by a release build of `host/examples/replay_twin.rs`:
/// both builds write the very same bytes, and each checks the other's file to the same state.
#[test]
fn a_debug_and_a_release_build_make_the_same_replay_and_check_each_others() {
    let (seed, ticks) = ("7", "1200");
    let dir = tempfile::tempdir().unwrap();
    let debug_file = dir.path().join("debug.brr");
    let release_file = dir.path().join("release.brr");
    let made = host::rig::scripted_session(seed.parse().unwrap(), ticks.parse().unwrap());
    let inputs: usize = made.journal.iter().map(|(_, i)| i.len()).sum();
    assert!(inputs > 1000, "the four played ({inputs} inputs)");
    std::fs::write(&debug_file, made.encode()).unwrap();

    // Its own target dir, so the outer `cargo test` holds no lock on it; kept between runs.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-twin");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = std::process::Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CARGO_TARGET_DIR", &target)
        .args(["build", "--release", "--locked", "-p", "brogue-host"])
        .args(["--features", "rig", "--example", "replay_twin"])
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", stderr(&built));
    let twin = |args: &[&str]| {
        std::process::Command::new(target.join("release/examples/replay_twin"))
            .args(args)
            .output()
            .unwrap()
    };

    let out = twin(&["make", seed, ticks, release_file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        std::fs::read(&release_file).unwrap() == std::fs::read(&debug_file).unwrap(),
        "the release build wrote other bytes"
    );
    let expected = format!(
        "replay: ok tick {} state {}\n",
        made.to,
        made.end_hash().unwrap()
    );
    let out = twin(&["check", debug_file.to_str().unwrap()]);
    assert_eq!(stdout(&out), expected, "release checking debug's file");
    let out = check(dir.path(), &release_file);
    assert_eq!(stdout(&out), expected, "debug checking release's file");
}
