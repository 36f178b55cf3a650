//! Recorded input logs: a world's seed plus every input with its tick, as diff-friendly text.
//! Playing a recording back must end in the recorded state hash, on any machine, forever
//! (until a deliberate rule change, which re-records).
//!
//! ```text
//! brogue-replay 1
//! world demo
//! seed 42
//! rate 20
//! player 0 0101…01              (hex of the player id)
//! 0 connect 0 Ada Lovelace      (name: the rest of the line)
//! 0 create 0 warrior
//! 5 act 0 1 move NE             (tick, verb, player index, seq, action)
//! 400 disconnect 1 lost
//! 420 raw 03…                   (any other input, as hex of its postcard encoding)
//! end 1000                      (ticks played)
//! hash 9f86…                    (state hash after the last tick)
//! ```

use std::fmt::Write as _;

use crate::class::Class;
use crate::command::Checked;
use crate::geom::Dir;
use crate::ids::{PlayerId, hex};
use crate::tick::TickRate;
use crate::world::{Action, Departure, Input, StateHash, World};

/// A world's seed and its inputs, tick by tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recording {
    pub world: String,
    pub seed: u64,
    pub rate: TickRate,
    pub players: Vec<PlayerId>,
    /// (tick, input), in application order.
    pub inputs: Vec<(u64, Input)>,
    /// Ticks to play.
    pub ticks: u64,
    /// The state hash after the last tick, when known.
    pub hash: Option<StateHash>,
}

/// A line of a recording that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("replay line {line}: {what}")]
pub struct ParseError {
    pub line: usize,
    pub what: String,
}

impl Recording {
    /// Plays every tick from a new world and returns it.
    pub fn play(&self) -> World {
        let mut world = World::new(&self.world, self.seed, self.rate);
        let mut next = 0;
        let mut batch = Vec::new();
        for tick in 0..self.ticks {
            batch.clear();
            while let Some((t, input)) = self.inputs.get(next) {
                if *t != tick {
                    break;
                }
                batch.push(input.clone());
                next += 1;
            }
            world.handle_tick(&batch);
        }
        world
    }

    fn index_of(&self, id: &PlayerId) -> usize {
        self.players
            .iter()
            .position(|p| p == id)
            .unwrap_or(usize::MAX)
    }

    /// The text form (see the module docs).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "brogue-replay 1");
        let _ = writeln!(out, "world {}", self.world);
        let _ = writeln!(out, "seed {}", self.seed);
        let _ = writeln!(out, "rate {}", self.rate.hz());
        for (i, p) in self.players.iter().enumerate() {
            let _ = writeln!(out, "player {i} {p}");
        }
        for (tick, input) in &self.inputs {
            let line = match input {
                Input::Connect { player, name } => {
                    format!("connect {} {name}", self.index_of(player))
                }
                Input::Disconnect { player, why } => {
                    let why = match why {
                        Departure::Left => "left",
                        Departure::Lost => "lost",
                    };
                    format!("disconnect {} {why}", self.index_of(player))
                }
                Input::CreateCharacter { player, class } => {
                    let class = class.name().to_ascii_lowercase();
                    format!("create {} {class}", self.index_of(player))
                }
                Input::Act {
                    player,
                    seq,
                    action,
                } => match action_text(action) {
                    Some(text) => format!("act {} {seq} {text}", self.index_of(player)),
                    None => raw(input),
                },
                Input::Chat { .. }
                | Input::WatcherChat { .. }
                | Input::Trade { .. }
                | Input::SetTickRate(_)
                | Input::Forget { .. }
                | Input::Party { .. } => raw(input),
            };
            let _ = writeln!(out, "{tick} {line}");
        }
        let _ = writeln!(out, "end {}", self.ticks);
        if let Some(hash) = self.hash {
            let _ = writeln!(out, "hash {hash}");
        }
        out
    }

    /// Reads the text form.
    pub fn parse(text: &str) -> Result<Recording, ParseError> {
        let mut rec = Recording {
            world: String::new(),
            seed: 0,
            rate: TickRate::DEFAULT,
            players: Vec::new(),
            inputs: Vec::new(),
            ticks: 0,
            hash: None,
        };
        for (n, raw) in text.lines().enumerate() {
            let line = n + 1;
            let err = |what: &str| ParseError {
                line,
                what: what.to_owned(),
            };
            let raw = raw.trim();
            if raw.is_empty() {
                continue;
            }
            let mut words = raw.split(' ');
            let head = words.next().unwrap_or_default();
            let rest: Vec<&str> = words.collect();
            let word = |i: usize| rest.get(i).copied().ok_or_else(|| err("missing field"));
            let number = |i: usize| -> Result<u64, ParseError> {
                word(i)?.parse().map_err(|_| err("expected a number"))
            };
            match head {
                "brogue-replay" if rest == ["1"] => {}
                "brogue-replay" => return Err(err("unknown replay version")),
                "world" => rec.world = rest.join(" "),
                "seed" => rec.seed = number(0)?,
                "rate" => {
                    let hz = u8::try_from(number(0)?).map_err(|_| err("bad rate"))?;
                    rec.rate = TickRate::new(hz).ok_or_else(|| err("rate outside 10..=60"))?;
                }
                "player" => {
                    let bytes =
                        crate::ids::unhex::<32>(word(1)?).ok_or_else(|| err("bad player id"))?;
                    rec.players.push(PlayerId(bytes));
                }
                "end" => rec.ticks = number(0)?,
                "hash" => {
                    let bytes = crate::ids::unhex::<32>(word(0)?).ok_or_else(|| err("bad hash"))?;
                    rec.hash = Some(StateHash(bytes));
                }
                tick if word(0) == Ok("raw") => {
                    let tick: u64 = tick.parse().map_err(|_| err("unknown line"))?;
                    let bytes = unhex_any(word(1)?).ok_or_else(|| err("bad raw input"))?;
                    let input =
                        postcard::from_bytes(&bytes).map_err(|_| err("undecodable raw input"))?;
                    rec.inputs.push((tick, input));
                }
                tick => {
                    let tick: u64 = tick.parse().map_err(|_| err("unknown line"))?;
                    let player = *rec
                        .players
                        .get(number(1)? as usize)
                        .ok_or_else(|| err("unknown player index"))?;
                    let input = match word(0)? {
                        "connect" => Input::Connect {
                            player,
                            name: rest[2..].join(" "),
                        },
                        "disconnect" => Input::Disconnect {
                            player,
                            why: match word(2)? {
                                "left" => Departure::Left,
                                "lost" => Departure::Lost,
                                _ => return Err(err("expected left or lost")),
                            },
                        },
                        "create" => Input::CreateCharacter {
                            player,
                            class: word(2)?.parse::<Class>().map_err(|e| err(&e.to_string()))?,
                        },
                        "act" => Input::Act {
                            player,
                            seq: u32::try_from(number(2)?).map_err(|_| err("bad seq"))?,
                            // A recording holds inputs a host checked when it received them.
                            action: Checked::trusted(
                                parse_action(&rest[3..]).ok_or_else(|| err("bad action"))?,
                            ),
                        },
                        _ => return Err(err("unknown input")),
                    };
                    rec.inputs.push((tick, input));
                }
            }
        }
        Ok(rec)
    }
}

/// The readable form of simple actions; `None` for those written raw.
fn action_text(action: &Action) -> Option<String> {
    Some(match action {
        Action::Move(d) => format!("move {d:?}"),
        Action::Wait => "wait".into(),
        Action::Descend => "descend".into(),
        Action::Ascend => "ascend".into(),
        Action::PickUp => "pickup".into(),
        _ => return None,
    })
}

fn raw(input: &Input) -> String {
    format!(
        "raw {}",
        hex(&postcard::to_stdvec(input).expect("in-memory encoding cannot fail"))
    )
}

fn unhex_any(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn parse_action(words: &[&str]) -> Option<Action> {
    Some(match words {
        ["move", dir] => Action::Move(*Dir::ALL.iter().find(|d| format!("{d:?}") == *dir)?),
        ["wait"] => Action::Wait,
        ["descend"] => Action::Descend,
        ["ascend"] => Action::Ascend,
        ["pickup"] => Action::PickUp,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips() {
        let a = PlayerId([1; 32]);
        let rec = Recording {
            world: "two words".into(),
            seed: 7,
            rate: TickRate::new(30).unwrap(),
            players: vec![a],
            inputs: vec![
                (
                    0,
                    Input::Connect {
                        player: a,
                        name: "Ada L".into(),
                    },
                ),
                (
                    0,
                    Input::CreateCharacter {
                        player: a,
                        class: Class::Healer,
                    },
                ),
                (
                    3,
                    Input::Act {
                        player: a,
                        seq: 1,
                        action: Checked::trusted(Action::Move(Dir::SW)),
                    },
                ),
                (
                    9,
                    Input::Act {
                        player: a,
                        seq: 2,
                        action: Checked::trusted(Action::Descend),
                    },
                ),
                (
                    12,
                    Input::Disconnect {
                        player: a,
                        why: Departure::Lost,
                    },
                ),
            ],
            ticks: 20,
            hash: Some(StateHash([0xab; 32])),
        };
        assert_eq!(Recording::parse(&rec.to_text()).unwrap(), rec);
    }

    #[test]
    fn bad_lines_name_their_line_number() {
        let err = Recording::parse("brogue-replay 1\nseed x\n").unwrap_err();
        assert_eq!(err.line, 2);
        let err = Recording::parse("brogue-replay 1\n5 act 0 1 move N\n").unwrap_err();
        assert!(err.what.contains("player"));
        assert!(Recording::parse("brogue-replay 2\n").is_err());
    }
}
