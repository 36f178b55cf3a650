//! Nothing lost, nothing duplicated: whatever interleaving of pickups, drops, deposits,
//! withdrawals, trades, autosaves, disconnects and process restarts happens — including crashes
//! that lose whatever was not yet written — every spawn's units across packs, ground and vaults
//! stay the same, in memory and in the save file.
//!
//! The model is the host's: the world's ledger entries queue for the saver, which applies them to
//! the store one transaction each when it catches up (`Persist`), before an autosave, or at a
//! clean shutdown; a crash drops whatever is still queued and reloads the world from the file.

use std::collections::BTreeMap;

use game::economy::{Entry, Goods, Place};
use game::floor::Floor;
use game::ore::{OreClass, SpawnId};
use game::{Action, Class, Departure, Input, PlayerId, Pos, Stack, TickRate, TradeInput, World};
use proptest::prelude::*;
use store::Store;

const NAME: &str = "conserve";
/// Three players spawn around the stairs, all next to the shrine.
const MAP: &[&str] = &["#######", "#.....#", "#..<_.#", "#.....#", "#######"];

fn players() -> [PlayerId; 3] {
    [PlayerId([1; 32]), PlayerId([2; 32]), PlayerId([3; 32])]
}

#[derive(Clone, Debug)]
enum Op {
    PickUp(usize),
    Drop(usize, usize, u32),
    Deposit(usize, usize, u32),
    Withdraw(usize, usize, u32),
    Trade(usize, usize, usize, u32),
    Autosave,
    /// The saver catches up with the queued entries.
    Persist,
    Disconnect(usize),
    Reconnect(usize),
    Restart {
        crash: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let p = 0usize..3;
    prop_oneof![
        p.clone().prop_map(Op::PickUp),
        (p.clone(), 0usize..4, 1u32..30).prop_map(|(a, b, c)| Op::Drop(a, b, c)),
        (p.clone(), 0usize..4, 1u32..30).prop_map(|(a, b, c)| Op::Deposit(a, b, c)),
        (p.clone(), 0usize..4, 1u32..30).prop_map(|(a, b, c)| Op::Withdraw(a, b, c)),
        (p.clone(), p.clone(), 0usize..4, 1u32..30).prop_map(|(a, b, s, u)| Op::Trade(a, b, s, u)),
        Just(Op::Autosave),
        Just(Op::Persist),
        p.clone().prop_map(Op::Disconnect),
        p.prop_map(Op::Reconnect),
        any::<bool>().prop_map(|crash| Op::Restart { crash }),
    ]
}

struct Host {
    world: World,
    /// `None` only while "the process" restarts.
    store: Option<Store>,
    path: std::path::PathBuf,
    /// Entries the world produced that the store has not applied yet.
    pending: Vec<Entry>,
}

impl Host {
    fn new(dir: &std::path::Path) -> (Host, BTreeMap<SpawnId, u64>) {
        let mut world =
            World::with_first_floor(NAME, 7, TickRate::DEFAULT, Floor::from_ascii(1, MAP));
        for (i, p) in players().into_iter().enumerate() {
            world.handle_tick(&[Input::Connect {
                player: p,
                name: format!("P{i}"),
            }]);
            world.handle_tick(&[Input::CreateCharacter {
                player: p,
                class: Class::Warrior,
            }]);
        }
        // Each player starts with Iron and Copper in their pack.
        for p in players() {
            for (class, units) in [(OreClass::Iron, 20u32), (OreClass::Copper, 10)] {
                assert!(world.give_ore(p, class, units).is_some());
            }
        }
        let _ = world.take_ledger();
        let path = dir.join(store::FILE_NAME);
        let store = Store::open(&path).unwrap();
        store.create_world(&world.full_save()).unwrap();
        let totals = world.economy().totals();
        (
            Host {
                world,
                store: Some(store),
                path,
                pending: Vec::new(),
            },
            totals,
        )
    }

    fn run(&mut self, inputs: Vec<Input>, ticks: u64) {
        self.world.handle_tick(&inputs);
        for _ in 1..ticks {
            self.world.handle_tick(&[]);
        }
        self.pending.extend(self.world.take_ledger());
    }

    fn act(&mut self, p: usize, action: Action) {
        let player = players()[p];
        self.run(
            vec![Input::Act {
                player,
                seq: 1,
                action: game::Checked::trusted(action),
            }],
            6,
        );
    }

    fn stack(&self, place: Place, index: usize, units: u32) -> Option<Stack> {
        let stacks = self.world.economy().stacks(place);
        let s = stacks.get(index % stacks.len().max(1))?;
        Some(Stack {
            spawn: s.spawn,
            units: 1 + (units - 1) % s.units,
        })
    }

    fn store(&self) -> &Store {
        self.store.as_ref().expect("open")
    }

    /// The saver: every pending entry, one transaction each, in order.
    fn persist(&mut self) {
        for entry in std::mem::take(&mut self.pending) {
            self.store().apply(NAME, &entry).unwrap();
        }
    }

    fn restart(&mut self, crash: bool) {
        if crash {
            self.pending.clear(); // never written
        } else {
            self.persist();
            let changes = self.world.take_changes();
            self.store().save_world(&changes).unwrap();
        }
        // A new process: the file is all there is.
        self.store = None;
        let store = Store::open(&self.path).unwrap();
        self.world = store.load_world(NAME).unwrap().expect("the world is saved");
        self.store = Some(store);
        // As the host does at start: whoever the snapshot says is connected has left; then the
        // players come back.
        let stale: Vec<Input> = players()
            .into_iter()
            .filter(|p| self.world.player(p).is_some_and(|pl| pl.connected))
            .map(|player| Input::Disconnect {
                player,
                why: Departure::Lost,
            })
            .collect();
        self.run(stale, 1);
        let back: Vec<Input> = players()
            .iter()
            .enumerate()
            .map(|(i, p)| Input::Connect {
                player: *p,
                name: format!("P{i}"),
            })
            .collect();
        self.run(back, 1);
    }

    fn step(&mut self, op: &Op) {
        let ps = players();
        match *op {
            Op::PickUp(p) => self.act(p, Action::PickUp),
            Op::Drop(p, i, u) => {
                if let Some(s) = self.stack(Place::Pack(ps[p]), i, u) {
                    self.act(
                        p,
                        Action::Drop(Goods {
                            stacks: vec![s],
                            items: vec![],
                        }),
                    );
                }
            }
            Op::Deposit(p, i, u) => {
                if let Some(s) = self.stack(Place::Pack(ps[p]), i, u) {
                    self.act(p, Action::Deposit(vec![s]));
                }
            }
            Op::Withdraw(p, i, u) => {
                if let Some(s) = self.stack(Place::Vault(ps[p]), i, u) {
                    self.act(p, Action::Withdraw(vec![s]));
                }
            }
            Op::Trade(a, b, i, u) => {
                let Some(with) = self
                    .world
                    .player(&ps[b])
                    .and_then(|p| p.character.as_ref())
                    .map(|c| c.id)
                else {
                    return;
                };
                self.run(
                    vec![Input::Trade {
                        player: ps[a],
                        trade: game::Checked::trusted(TradeInput::Open { with }),
                    }],
                    1,
                );
                let Some(t) = self.world.trade_of(&ps[a]).map(|t| t.id) else {
                    return;
                };
                if let Some(s) = self.stack(Place::Pack(ps[a]), i, u) {
                    let goods = Goods {
                        stacks: vec![s],
                        items: vec![],
                    };
                    self.run(
                        vec![Input::Trade {
                            player: ps[a],
                            trade: game::Checked::trusted(TradeInput::Offer { trade: t, goods }),
                        }],
                        1,
                    );
                }
                let phase = self.world.trade_of(&ps[a]).map_or(0, |t| t.phase);
                let accept = |player| Input::Trade {
                    player,
                    trade: game::Checked::trusted(TradeInput::Accept { trade: t, phase }),
                };
                self.run(vec![accept(ps[a]), accept(ps[b])], 1);
            }
            Op::Autosave => {
                self.persist();
                let changes = self.world.take_changes();
                self.store().save_world(&changes).unwrap();
            }
            Op::Persist => self.persist(),
            Op::Disconnect(p) => {
                self.run(
                    vec![Input::Disconnect {
                        player: ps[p],
                        why: Departure::Lost,
                    }],
                    1,
                );
            }
            Op::Reconnect(p) => {
                self.run(
                    vec![Input::Connect {
                        player: ps[p],
                        name: format!("P{p}"),
                    }],
                    1,
                );
            }
            Op::Restart { crash } => self.restart(crash),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn every_unit_survives_any_interleaving(ops in proptest::collection::vec(op(), 1..30)) {
        let dir = tempfile::tempdir().unwrap();
        let (mut host, totals) = Host::new(dir.path());
        for op in &ops {
            host.step(op);
            prop_assert_eq!(&host.world.economy().totals(), &totals, "in memory after {:?}", op);
            let stored = host.store().economy(NAME).unwrap();
            prop_assert_eq!(&stored.totals(), &totals, "on disk after {:?}", op);
            if host.pending.is_empty() {
                prop_assert_eq!(&stored, host.world.economy(), "disk and memory differ after {:?}", op);
            }
        }
    }
}

#[test]
fn the_model_really_moves_ore_and_a_crash_really_loses_unwritten_moves() {
    // Guards the property above against vacuity.
    let dir = tempfile::tempdir().unwrap();
    let (mut host, totals) = Host::new(dir.path());
    let [a, b, _] = players();
    let before = host.world.economy().stacks(Place::Pack(a));
    host.step(&Op::Deposit(0, 0, 5));
    host.step(&Op::Drop(0, 1, 3));
    host.step(&Op::Trade(0, 1, 0, 4));
    host.step(&Op::Restart { crash: false });
    let e = host.world.economy();
    assert_ne!(e.stacks(Place::Pack(a)), before);
    assert!(
        !e.stacks(Place::Vault(a)).is_empty(),
        "nothing was deposited"
    );
    assert!(
        !e.stacks(Place::Ground {
            depth: 1,
            pos: Pos::new(3, 2)
        })
        .is_empty(),
        "nothing dropped"
    );
    assert_eq!(e.trades().len(), 1, "the trade did not happen");
    assert!(!e.stacks(Place::Pack(b)).is_empty());
    // A withdrawal the saver never wrote is lost in a crash: the vault is as before it.
    let vault = host.world.economy().stacks(Place::Vault(a));
    host.step(&Op::Withdraw(0, 0, 2));
    assert_ne!(host.world.economy().stacks(Place::Vault(a)), vault);
    assert!(!host.pending.is_empty());
    host.step(&Op::Restart { crash: true });
    assert_eq!(host.world.economy().stacks(Place::Vault(a)), vault);
    assert_eq!(host.world.economy().totals(), totals);
}
