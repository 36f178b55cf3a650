//! The fuzz harness: arbitrary bytes become a sequence of messages from two clients, ticks,
//! drops and reconnects, fed to a host core in the rig. Shared by the cargo-fuzz target
//! (`fuzz/fuzz_targets/core.rs`) and by the ordinary test that replays the stored corpus, so
//! every input the fuzzer ever kept is also a regression test.
//!
//! After every step: the host sends only updates a client can apply (the rig checks), and no
//! ore was made or lost. Overflow checks are on in both (debug builds, cargo fuzz's default).

use std::time::Duration;

use game::floor::Floor;
use game::ore::OreClass;
use game::protocol::{ClientDatagram, ClientMsg};
use game::{Class, Input, PlayerId, TickRate, World};

use crate::Config;
use crate::rig::Rig;

const HOST: PlayerId = PlayerId([1; 32]);
const PLAYERS: [PlayerId; 2] = [PlayerId([2; 32]), PlayerId([3; 32])];
/// A room with a vein, a shrine, a door, stairs down and a rat.
const MAP: &[&str] = &[
    "############",
    "#<..%..r...#",
    "#.._...+.>.#",
    "############",
];

/// The world the fuzzer plays in: two players with characters and ore, not connected.
pub fn world() -> World {
    let mut w = World::with_first_floor("fuzz", 1, TickRate::DEFAULT, Floor::from_ascii(1, MAP));
    for (i, p) in PLAYERS.into_iter().enumerate() {
        w.handle_tick(&[Input::Connect {
            player: p,
            name: format!("p{i}"),
        }]);
        w.handle_tick(&[Input::CreateCharacter {
            player: p,
            class: Class::ALL[i * 2],
        }]);
        w.give_ore(p, OreClass::Iron, 9);
        w.give_ore(p, OreClass::Copper, 5);
        w.handle_tick(&[Input::Disconnect {
            player: p,
            why: game::Departure::Left,
        }]);
    }
    w
}

/// Encodes `steps` as the harness reads them (for seeds and regressions).
pub fn encode(steps: &[Step]) -> Vec<u8> {
    let mut out = Vec::new();
    for step in steps {
        match step {
            Step::Send(client, msg) => {
                let bytes = postcard::to_stdvec(msg).expect("encodes");
                out.push(*client as u8 % 2);
                out.push(u8::try_from(bytes.len()).unwrap_or(u8::MAX));
                out.extend_from_slice(&bytes[..bytes.len().min(255)]);
            }
            Step::Ticks(n) => out.extend_from_slice(&[2, *n]),
            Step::Reconnect(client) => out.extend_from_slice(&[3, *client as u8]),
            Step::Datagram(client, datagram) => {
                let bytes = postcard::to_stdvec(datagram).expect("encodes");
                out.extend_from_slice(&[3, 0x80 | *client as u8]);
                out.push(u8::try_from(bytes.len()).unwrap_or(u8::MAX));
                out.extend_from_slice(&bytes[..bytes.len().min(255)]);
            }
        }
    }
    out
}

/// One step of a fuzz input.
#[derive(Clone, Debug)]
pub enum Step {
    /// Client 0 or 1 sends a message.
    Send(usize, ClientMsg),
    /// Time passes: this many ticks.
    Ticks(u8),
    /// Client 0 or 1 drops and comes back.
    Reconnect(usize),
    /// Client 0 or 1 sends a datagram (acknowledgement and repeated actions).
    Datagram(usize, ClientDatagram),
}

/// Runs one fuzz input. Panics on a broken invariant.
pub fn run(data: &[u8]) {
    let mut config = Config::new(HOST);
    config.open = true;
    let mut rig = Rig::new(world(), config);
    let mut conns = [0, 0];
    for (i, p) in PLAYERS.into_iter().enumerate() {
        conns[i] = rig
            .arrive(p, Rig::hello("p", None))
            .expect("an open host admits")
            .0;
    }
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        match op % 4 {
            client @ (0 | 1) => {
                let Some(frame) = take_chunk(&mut rest) else {
                    break;
                };
                if let Ok(msg) = postcard::from_bytes::<ClientMsg>(frame) {
                    let _ = rig.send(conns[usize::from(client)], msg);
                }
            }
            2 => {
                let Some((&n, tail)) = rest.split_first() else {
                    break;
                };
                rest = tail;
                rig.run_ticks(u32::from(n % 16) + 1);
            }
            _ => {
                let Some((&which, tail)) = rest.split_first() else {
                    break;
                };
                rest = tail;
                let i = usize::from(which % 2);
                if which & 0x80 != 0 {
                    let Some(bytes) = take_chunk(&mut rest) else {
                        break;
                    };
                    if let Ok(datagram) = postcard::from_bytes::<ClientDatagram>(bytes) {
                        let _ = rig.host.handle_datagram(conns[i], datagram, rig.now);
                        rig.pump();
                    }
                } else {
                    rig.depart(conns[i]);
                    if let Ok((conn, _)) = rig.arrive(PLAYERS[i], Rig::hello("p", None)) {
                        conns[i] = conn;
                    }
                }
            }
        }
        let violations = rig.host.world().economy().conservation();
        assert!(violations.is_empty(), "ore made or lost: {violations:?}");
    }
    rig.run_for(Duration::from_millis(500));
    rig.host.shut_down();
    rig.pump();
    assert_eq!(rig.host.world().connected_count(), 0);
}

/// Takes `[len: u8][len bytes]` (fewer when the input ends) off the front of `rest`.
fn take_chunk<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (&len, tail) = rest.split_first()?;
    let (chunk, tail) = tail.split_at(usize::from(len).min(tail.len()));
    *rest = tail;
    Some(chunk)
}

/// Seeds for the corpus: the kinds of play the fuzzer should start from, and the inputs that
/// once overflowed inside the tick.
pub fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    use game::{Action, Dir, Goods, Stack, Target, TradeInput};
    let huge = Stack {
        spawn: game::ore::SpawnId(1),
        units: u32::MAX,
    };
    let act = |seq, action| ClientMsg::Act { seq, action };
    let repeated = |snapshot, seqs: &[u32]| ClientDatagram {
        snapshot,
        acts: seqs.iter().map(|s| (*s, Action::Move(Dir::E))).collect(),
    };
    vec![
        (
            "datagrams-repeat-and-acknowledge",
            encode(&[
                Step::Datagram(0, repeated(0, &[1])),
                Step::Datagram(0, repeated(0, &[1, 2])),
                Step::Ticks(3),
                Step::Datagram(0, repeated(3, &[2, 3])),
                Step::Datagram(1, repeated(99, &[])),
                Step::Ticks(10),
                Step::Datagram(0, repeated(5, &[4, 5, 6, 7, 8])),
                Step::Ticks(2),
            ]),
        ),
        (
            "walk-and-mine",
            encode(&[
                Step::Send(0, act(1, Action::Move(Dir::E))),
                Step::Ticks(5),
                Step::Send(0, act(2, Action::Move(Dir::E))),
                Step::Ticks(15),
                Step::Send(0, act(3, Action::Move(Dir::E))),
                Step::Ticks(15),
            ]),
        ),
        (
            "drop-two-huge-stacks",
            encode(&[
                Step::Send(
                    1,
                    act(
                        1,
                        Action::Drop(Goods {
                            stacks: vec![huge, huge],
                            items: vec![],
                        }),
                    ),
                ),
                Step::Ticks(3),
            ]),
        ),
        (
            "blink-off-the-map",
            encode(&[
                Step::Send(
                    0,
                    act(
                        1,
                        Action::Ability {
                            slot: 2,
                            target: Target::Cell(game::Pos::new(i16::MIN, 0)),
                        },
                    ),
                ),
                Step::Ticks(3),
            ]),
        ),
        (
            "trade-and-reconnect",
            encode(&[
                Step::Send(
                    0,
                    ClientMsg::Trade(TradeInput::Open {
                        with: game::EntityId(2),
                    }),
                ),
                Step::Ticks(1),
                Step::Send(
                    1,
                    ClientMsg::Trade(TradeInput::Accept { trade: 1, phase: 1 }),
                ),
                Step::Send(
                    0,
                    ClientMsg::Trade(TradeInput::Accept { trade: 1, phase: 1 }),
                ),
                Step::Ticks(2),
                Step::Reconnect(1),
                Step::Send(0, ClientMsg::Chat { text: "hi".into() }),
                Step::Ticks(4),
            ]),
        ),
        (
            "bank-and-craft",
            encode(&[
                Step::Send(
                    0,
                    act(
                        1,
                        Action::Deposit(vec![Stack {
                            spawn: game::ore::SpawnId(2),
                            units: 3,
                        }]),
                    ),
                ),
                Step::Ticks(5),
                Step::Send(
                    0,
                    act(
                        2,
                        Action::Craft {
                            recipe: game::craft::Recipe::Dagger,
                            stacks: vec![Stack {
                                spawn: game::ore::SpawnId(2),
                                units: 4,
                            }],
                        },
                    ),
                ),
                Step::Ticks(16),
                Step::Ticks(16),
                Step::Ticks(16),
                Step::Ticks(16),
            ]),
        ),
    ]
}

/// A hostile replay file's unpacked body (`Replay::decode_body`): whatever decodes is played
/// for a few ticks, as `brogue replay` would. Never panics.
pub fn replay_body(data: &[u8]) {
    let Ok(replay) = crate::replay::Replay::decode_body(data) else {
        return;
    };
    if let Ok(mut play) = crate::replay::Playback::new(&replay) {
        for _ in 0..20 {
            if !play.step() {
                break;
            }
        }
    }
}

/// Seeds for `replay_body`: the body of a short real replay.
pub fn replay_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let (start, entries) = crate::rig::victory_run();
    let to = entries.last().map_or(start.tick.0, |e| e.tick.0 + 1);
    let journal = entries.into_iter().map(|e| (e.tick, e.inputs)).collect();
    let replay = crate::replay::Replay::record(start, journal, 0, to, "seed").expect("records");
    let body = postcard::to_stdvec(&replay).expect("encodes");
    vec![("won-game", body)]
}
