//! Records `tests/data/replay-seed42.txt`: three players join, wander, fight, leave and come
//! back over 1,000 ticks. Run it only when a rule change deliberately changes the outcome:
//!
//! ```sh
//! cargo run -p brogue-game --example record_replay > tests/data/replay-seed42.txt
//! ```

fn main() {
    print!("{}", script::record().to_text());
}

#[path = "../tests/script/mod.rs"]
mod script;
