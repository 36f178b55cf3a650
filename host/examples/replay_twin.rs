//! The release side of the replay test (tests/replay.rs builds this with `--release`):
//!
//! - `replay_twin make SEED TICKS FILE` writes the replay of `host::rig::scripted_session`;
//! - `replay_twin check FILE` plays a replay file and prints `replay: ok tick T state H`, or
//!   where it diverged (exit 1).

use std::process::ExitCode;

use host::replay::Replay;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["make", seed, ticks, file] => {
            let replay = host::rig::scripted_session(
                seed.parse().expect("a seed"),
                ticks.parse().expect("a tick count"),
            );
            std::fs::write(file, replay.encode()).expect("writes the file");
            ExitCode::SUCCESS
        }
        ["check", file] => {
            let bytes = std::fs::read(file).expect("reads the file");
            let replay = Replay::decode(&bytes).expect("a replay file");
            match replay.check() {
                Ok((tick, state)) => {
                    println!("replay: ok tick {tick} state {state}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    println!("replay: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => {
            eprintln!("usage: replay_twin make SEED TICKS FILE | replay_twin check FILE");
            ExitCode::from(2)
        }
    }
}
