//! A scripted session used by the determinism tests and the replay recorder: the script reacts
//! to the world as it plays (new characters after deaths), so the recording covers joins,
//! leaves, disconnects, deaths, stairs, abilities, pickups, chat and a trade.

use game::replay::Recording;
use game::{
    Action, Checked, Class, Departure, Dir, Input, PlayerId, Target, TickRate, TradeInput, World,
};

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
            if !rng.next().is_multiple_of(3) {
                continue;
            }
            seq += 1;
            let action = match rng.next() % 20 {
                0 => Action::Descend,
                1 => Action::Ascend,
                2 => Action::Wait,
                3 => Action::PickUp,
                n @ 4..=6 => Action::Ability {
                    slot: (n - 4) as u8,
                    target: Target::Auto,
                },
                n => Action::Move(Dir::ALL[n as usize % 8]),
            };
            batch.push(Input::Act {
                player,
                seq,
                action: Checked::trusted(action),
            });
        }
        // Chat now and then; a trade between the first two players midway.
        if tick % 97 == 0 && tick > 0 {
            batch.push(Input::Chat {
                player: players[0],
                text: format!("tick {tick}"),
            });
        }
        if tick == 300
            && let Some(c) = world.player(&players[1]).and_then(|p| p.character.as_ref())
        {
            batch.push(Input::Trade {
                player: players[0],
                trade: Checked::trusted(TradeInput::Open { with: c.id }),
            });
        }
        if tick == 302
            && let Some(t) = world.trade_of(&players[0])
        {
            for p in [players[0], players[1]] {
                batch.push(Input::Trade {
                    player: p,
                    trade: Checked::trusted(TradeInput::Accept {
                        trade: t.id,
                        phase: t.phase,
                    }),
                });
            }
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
