//! A scripted session used by the determinism tests and the replay recorder: the script reacts
//! to the world as it plays (new characters after deaths), so the recording covers joins,
//! leaves, disconnects, deaths and stairs.

use game::replay::Recording;
use game::{Action, Class, Departure, Dir, Input, PlayerId, TickRate, World};

pub const SEED: u64 = 42;
pub const TICKS: u64 = 1000;

/// A tiny deterministic generator for the script itself (not the world's).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
}

/// Plays the script, returning the recording with its final hash.
pub fn record() -> Recording {
    record_with(SEED, None)
}

/// As [`record`], optionally giving player `p`'s first character class `class` instead: one
/// different input, to show that it changes the outcome.
pub fn record_with(seed: u64, tamper: Option<(usize, Class)>) -> Recording {
    let players: Vec<PlayerId> = (1..=3).map(|n| PlayerId([n; 32])).collect();
    let classes = [Class::Warrior, Class::Mage, Class::Healer];
    let mut world = World::new("determinism", seed, TickRate::DEFAULT);
    let mut rng = Lcg(seed);
    let mut inputs = Vec::new();
    let mut seq = 0u32;
    let mut tamper = tamper;
    for tick in 0..TICKS {
        let mut batch = Vec::new();
        for (i, &player) in players.iter().enumerate() {
            let join_at = 10 * i as u64;
            let connected = world.player(&player).is_some_and(|p| p.connected);
            let has_character = world.player(&player).is_some_and(|p| p.character.is_some());
            if tick == join_at || (i == 1 && tick == 450) {
                batch.push(Input::Connect {
                    player,
                    name: format!("Player {i}"),
                });
                continue;
            }
            if i == 1 && tick == 400 {
                batch.push(Input::Disconnect {
                    player,
                    why: Departure::Lost,
                });
                continue;
            }
            if i == 2 && tick == 700 {
                batch.push(Input::Disconnect {
                    player,
                    why: Departure::Left,
                });
                continue;
            }
            if !connected {
                continue;
            }
            if !has_character {
                let class = match tamper {
                    Some((p, class)) if p == i => {
                        tamper = None;
                        class
                    }
                    _ => classes[i],
                };
                batch.push(Input::CreateCharacter { player, class });
                continue;
            }
            if rng.next() % 3 != 0 {
                continue;
            }
            seq += 1;
            let action = match rng.next() % 20 {
                0 => Action::Descend,
                1 => Action::Ascend,
                2 => Action::Wait,
                n => Action::Move(Dir::ALL[n as usize % 8]),
            };
            batch.push(Input::Act {
                player,
                seq,
                action,
            });
        }
        world.handle_tick(&batch);
        inputs.extend(batch.into_iter().map(|input| (tick, input)));
    }
    Recording {
        world: "determinism".into(),
        seed,
        rate: TickRate::DEFAULT,
        players,
        inputs,
        ticks: TICKS,
        hash: Some(world.state_hash()),
    }
}
