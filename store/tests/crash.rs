//! Crash injection: the real host core and the real store on a redb storage backend that dies
//! at the N-th write or sync, for every N over a workload of mining, crafting, trading, vault
//! moves and drops (redb's own `tests/crash_consistency.rs` does the same to redb).
//!
//! After each crash the file is recovered two ways — as a killed process leaves it (every write
//! issued so far reached the OS) and as a power cut leaves it (only what was synced) — and
//! recovery must give a world whose state hash equals a replay of the journal to the last
//! committed tick, at or after the last tick any player was shown, with every spawn's ore
//! conserved.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use game::economy::Place;
use game::floor::Floor;
use game::ore::OreClass;
use game::protocol::ClientMsg;
use game::{Action, Class, Dir, Goods, Input, PlayerId, Stack, Tick, TickRate, TradeInput, World};
use host::rig::{Disk, Rig};
use host::{Checkpoint, Config, JournalEntry, Persist};
use redb::StorageBackend;
use redb::backends::InMemoryBackend;
use store::Store;

const HOST: PlayerId = PlayerId([1; 32]);
const ADA: PlayerId = PlayerId([2; 32]);
const BO: PlayerId = PlayerId([3; 32]);
/// Ada starts on the stairs, with the shrine east of her and a vein south.
const MAP: &[&str] = &["#######", "#<_...#", "#%....#", "#######"];

// ----- a backend that crashes -----

#[derive(Debug, Default)]
struct Disk2 {
    /// Every write applied (what a killed process leaves: the OS has it).
    live: Vec<u8>,
    /// As of the last completed sync (what a power cut leaves).
    durable: Vec<u8>,
    /// Operations (writes, syncs, resizes) so far.
    ops: u64,
    /// The operation that fails, and every one after it.
    crash_at: Option<u64>,
}

#[derive(Clone, Debug, Default)]
struct CrashingBackend(Arc<Mutex<Disk2>>);

impl CrashingBackend {
    fn crashing_at(n: Option<u64>) -> CrashingBackend {
        let b = CrashingBackend::default();
        b.0.lock().unwrap().crash_at = n;
        b
    }

    /// Counts an operation; `Err` from the crash on.
    fn op(&self) -> Result<std::sync::MutexGuard<'_, Disk2>, std::io::Error> {
        let mut d = self.0.lock().unwrap();
        d.ops += 1;
        match d.crash_at {
            Some(n) if d.ops >= n => Err(std::io::Error::other("simulated crash")),
            _ => Ok(d),
        }
    }

    fn ops(&self) -> u64 {
        self.0.lock().unwrap().ops
    }

    fn images(&self) -> (Vec<u8>, Vec<u8>) {
        let d = self.0.lock().unwrap();
        (d.live.clone(), d.durable.clone())
    }
}

impl StorageBackend for CrashingBackend {
    fn len(&self) -> Result<u64, std::io::Error> {
        Ok(self.0.lock().unwrap().live.len() as u64)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), std::io::Error> {
        let d = self.0.lock().unwrap();
        let start = offset as usize;
        let bytes = d
            .live
            .get(start..start + out.len())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))?;
        out.copy_from_slice(bytes);
        Ok(())
    }

    fn set_len(&self, len: u64) -> Result<(), std::io::Error> {
        self.op()?.live.resize(len as usize, 0);
        Ok(())
    }

    fn sync_data(&self) -> Result<(), std::io::Error> {
        let mut d = self.op()?;
        d.durable = d.live.clone();
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), std::io::Error> {
        let mut d = self.op()?;
        let start = offset as usize;
        if d.live.len() < start + data.len() {
            d.live.resize(start + data.len(), 0);
        }
        d.live[start..start + data.len()].copy_from_slice(data);
        Ok(())
    }
}

// ----- the workload -----

/// The world before the host starts: Ada and Bo have characters and some ore.
fn start() -> World {
    let mut w = World::with_first_floor("crash", 3, TickRate::DEFAULT, Floor::from_ascii(1, MAP));
    for (p, name) in [(ADA, "Ada"), (BO, "Bo")] {
        w.handle_tick(&[Input::Connect {
            player: p,
            name: name.into(),
        }]);
        w.handle_tick(&[Input::CreateCharacter {
            player: p,
            class: Class::Warrior,
        }]);
        w.give_ore(p, OreClass::Iron, 12).expect("ore");
        w.give_ore(p, OreClass::Copper, 6).expect("ore");
    }
    // As a world loaded from a checkpoint: nothing waits to be taken.
    let _ = (w.take_facts(), w.take_trades());
    w
}

/// The store as the saver drives it; `Err` once the backend died.
struct Saver {
    store: Store,
    name: String,
}

impl Saver {
    /// Writes what the host asked for; tells the host what became durable.
    fn flush(&mut self, rig: &mut Rig) -> Result<(), store::StoreError> {
        let mut batch: Vec<JournalEntry> = Vec::new();
        for job in std::mem::take(&mut rig.pending) {
            match job {
                Persist::Journal(entry) => batch.push(entry),
                Persist::Checkpoint(c) => {
                    self.append(rig, &mut batch)?;
                    self.store.checkpoint(&self.name, &c)?;
                }
                Persist::Secrets(s) => self.store.set_invite_secrets(&self.name, &s)?,
                Persist::Bans(b) => self.store.set_bans(&self.name, &b)?,
            }
        }
        self.append(rig, &mut batch)
    }

    fn append(
        &mut self,
        rig: &mut Rig,
        batch: &mut Vec<JournalEntry>,
    ) -> Result<(), store::StoreError> {
        let Some(last) = batch.last().map(|e| e.tick) else {
            return Ok(());
        };
        self.store.append(&self.name, batch, true)?;
        for entry in batch.drain(..) {
            rig.written.push(Persist::Journal(entry));
        }
        rig.host.handle_durable(last);
        rig.pump();
        Ok(())
    }
}

/// Every tick's inputs the host produced (committed or not), for the reference replay.
fn all_inputs(rig: &Rig, saver_failed_batch: &[Persist]) -> Vec<(Tick, Vec<Input>)> {
    let by_tick: std::collections::BTreeMap<Tick, Vec<Input>> = rig
        .written
        .iter()
        .chain(saver_failed_batch)
        .filter_map(|p| match p {
            Persist::Journal(e) => Some((e.tick, e.inputs.clone())),
            _ => None,
        })
        .collect();
    by_tick.into_iter().collect()
}

/// Runs the workload with the store on `backend` until the end or the first failed write.
/// Returns the rig, the durable tick the host had been told of, and the jobs the failed
/// write held.
fn run(backend: CrashingBackend) -> (Rig, Tick, Vec<Persist>) {
    let mut config = Config::new(HOST);
    config.checkpoint_every = Duration::from_millis(700);
    let initial = start();
    let store = match Store::open_with_backend(backend, std::path::Path::new("crash.redb")) {
        Ok(s) => s,
        Err(_) => {
            let rig = Rig::new(initial, config);
            let durable = rig.host.durable();
            return (rig, durable, Vec::new());
        }
    };
    let mut saver = Saver {
        store,
        name: "crash".into(),
    };
    let mut rig = Rig::new(initial.clone(), config);
    rig.disk = Disk::Stalled; // the saver above writes instead
    rig.pending.clear();
    if saver.store.create_world(&Checkpoint::of(&initial)).is_err() {
        let durable = rig.host.durable();
        return (rig, durable, Vec::new());
    }
    let mut failed = Vec::new();
    let outcome = (|| -> Result<(), store::StoreError> {
        let (a, _) = rig.arrive(ADA, Rig::hello("Ada", None)).unwrap();
        let (b, _) = rig.arrive(BO, Rig::hello("Bo", None)).unwrap();
        let mut ticks = |rig: &mut Rig, n: u32| -> Result<(), store::StoreError> {
            for _ in 0..n {
                rig.run_ticks(1);
                let jobs = rig.pending.clone();
                if let Err(e) = saver.flush(rig) {
                    failed = jobs;
                    return Err(e);
                }
            }
            Ok(())
        };
        ticks(&mut rig, 2)?;
        // Mine the vein south of Ada twice.
        for _ in 0..2 {
            rig.act(a, Action::Move(Dir::S)).unwrap();
            ticks(&mut rig, 32)?;
        }
        // Craft a dagger from iron.
        let iron = rig
            .host
            .world()
            .economy()
            .stacks(Place::Pack(ADA))
            .into_iter()
            .max_by_key(|s| s.units)
            .unwrap();
        let stacks = vec![Stack {
            spawn: iron.spawn,
            units: 4,
        }];
        rig.act(
            a,
            Action::Craft {
                recipe: game::craft::Recipe::Dagger,
                stacks,
            },
        )
        .unwrap();
        ticks(&mut rig, 62)?;
        // At the shrine: bank some ore, take a little back.
        let pack = rig.host.world().economy().stacks(Place::Pack(ADA));
        rig.act(a, Action::Deposit(pack.clone())).unwrap();
        ticks(&mut rig, 5)?;
        let back = Stack {
            spawn: pack[0].spawn,
            units: 1,
        };
        rig.act(a, Action::Withdraw(vec![back])).unwrap();
        ticks(&mut rig, 5)?;
        // Bo drops ore and Ada trades her dagger for the rest of his.
        let bo_pack = rig.host.world().economy().stacks(Place::Pack(BO));
        let dropped = Stack {
            spawn: bo_pack[0].spawn,
            units: 2,
        };
        rig.act(
            b,
            Action::Drop(Goods {
                stacks: vec![dropped],
                items: vec![],
            }),
        )
        .unwrap();
        ticks(&mut rig, 5)?;
        let with = rig
            .host
            .world()
            .player(&BO)
            .and_then(|p| p.character.as_ref())
            .unwrap()
            .id;
        rig.send(a, ClientMsg::Trade(TradeInput::Open { with }))
            .unwrap();
        ticks(&mut rig, 1)?;
        let trade = rig.host.world().trade_of(&ADA).expect("trade open").id;
        let dagger = rig
            .host
            .world()
            .economy()
            .items_at(game::economy::Holder::Carried(ADA))
            .first()
            .map(|i| i.id);
        let goods = Goods {
            stacks: vec![],
            items: dagger.into_iter().collect(),
        };
        rig.send(a, ClientMsg::Trade(TradeInput::Offer { trade, goods }))
            .unwrap();
        let theirs = Goods {
            stacks: rig.host.world().economy().stacks(Place::Pack(BO)),
            items: vec![],
        };
        rig.send(
            b,
            ClientMsg::Trade(TradeInput::Offer {
                trade,
                goods: theirs,
            }),
        )
        .unwrap();
        ticks(&mut rig, 1)?;
        let phase = rig.host.world().trade_of(&ADA).unwrap().phase;
        for conn in [a, b] {
            rig.send(conn, ClientMsg::Trade(TradeInput::Accept { trade, phase }))
                .unwrap();
        }
        ticks(&mut rig, 2)?;
        rig.act(b, Action::PickUp).unwrap();
        ticks(&mut rig, 6)?;
        rig.host.shut_down();
        rig.pump();
        ticks(&mut rig, 1)?;
        Ok(())
    })();
    let durable = rig.host.durable();
    if outcome.is_ok() {
        assert!(failed.is_empty());
    }
    (rig, durable, failed)
}

/// Opens `image` as a fresh process would and checks what recovery gives.
fn recover_and_check(image: &[u8], rig: &Rig, failed: &[Persist], shown: Tick, n: u64, how: &str) {
    let backend = InMemoryBackend::new();
    backend.set_len(image.len() as u64).unwrap();
    backend.write(0, image).unwrap();
    let store = match Store::open_with_backend(backend, std::path::Path::new("recovered.redb")) {
        Ok(s) => s,
        // Crashed before the file held a save: nothing was ever shown, nothing to recover.
        Err(e) => {
            assert_eq!(
                shown,
                start().tick(),
                "N={n} ({how}): {e} after play was shown"
            );
            return;
        }
    };
    let Some(world) = store
        .load_world("crash")
        .unwrap_or_else(|e| panic!("N={n} ({how}): the recovered save does not load: {e}"))
    else {
        assert_eq!(shown, start().tick(), "N={n} ({how}): the world vanished");
        return;
    };
    let reached = world.tick();
    assert!(
        reached >= shown,
        "N={n} ({how}): recovered to tick {} but tick {} had been shown",
        reached.0,
        shown.0
    );
    let reference = host::journal::recover(
        Checkpoint::of(&start()),
        all_inputs(rig, failed)
            .into_iter()
            .filter(|(t, _)| *t < reached),
        reached,
    )
    .unwrap();
    assert_eq!(
        world.state_hash(),
        reference.state_hash(),
        "N={n} ({how}): recovery differs from the replay of the journal at tick {}",
        reached.0
    );
    assert_eq!(
        world.economy().conservation(),
        vec![],
        "N={n} ({how}): ore made or lost"
    );
    // Every fact of every recovered tick waits in the outbox, once; none of a lost tick does.
    let mut by_tick = std::collections::BTreeMap::new();
    for p in rig.written.iter().chain(failed) {
        if let Persist::Journal(e) = p {
            by_tick.insert(
                e.tick,
                (0..e.facts.len()).map(|i| e.fact_id(i)).collect::<Vec<_>>(),
            );
        }
    }
    let expected: Vec<u64> = by_tick
        .into_iter()
        .filter(|(t, _)| *t < reached)
        .flat_map(|(_, ids)| ids)
        .collect();
    let stored: Vec<u64> = store
        .outbox("crash", usize::MAX)
        .unwrap()
        .iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(stored, expected, "N={n} ({how}): the outbox differs");
    let report = store.check("crash").unwrap().unwrap();
    assert!(report.ok(), "N={n} ({how}): {:?}", report.violations);
}

#[test]
fn the_workload_really_mines_crafts_banks_and_trades() {
    let (rig, durable, failed) = run(CrashingBackend::crashing_at(None));
    assert!(failed.is_empty());
    let world = rig.host.world();
    assert_eq!(durable, world.tick(), "everything was written");
    let e = world.economy();
    assert!(!e.stacks(Place::Vault(ADA)).is_empty(), "banked");
    assert!(
        world
            .player(&ADA)
            .unwrap()
            .character
            .as_ref()
            .unwrap()
            .impure
    );
    assert!(e.spent().values().sum::<u64>() >= 4, "crafted");
    assert_eq!(
        e.items_at(game::economy::Holder::Carried(BO)).len(),
        1,
        "traded"
    );
    assert!(!e.stacks(Place::Pack(ADA)).is_empty());
    let journal: usize = rig
        .written
        .iter()
        .filter(|p| matches!(p, Persist::Journal(e) if !e.trades.is_empty()))
        .count();
    assert_eq!(journal, 1, "one trade entered the history");
    let facts: usize = rig
        .written
        .iter()
        .map(|p| match p {
            Persist::Journal(e) => e.facts.len(),
            _ => 0,
        })
        .sum();
    assert!(facts >= 1, "a crafted item is a leaderboard fact");
}

#[test]
fn recovery_after_a_crash_at_every_write_is_exact_and_loses_nothing_shown() {
    let clean = CrashingBackend::crashing_at(None);
    let _ = run(clean.clone());
    let total = clean.ops();
    assert!(
        total > 100,
        "the workload wrote something ({total} operations)"
    );
    let mut shown_then_crashed = 0;
    for n in 1..=total {
        let backend = CrashingBackend::crashing_at(Some(n));
        let (rig, durable, failed) = run(backend.clone());
        let (live, synced) = backend.images();
        recover_and_check(&live, &rig, &failed, durable, n, "process killed");
        recover_and_check(&synced, &rig, &failed, durable, n, "power cut");
        if durable.0 > start().tick().0 + 20 && n < total {
            shown_then_crashed += 1;
        }
    }
    // Not vacuous: most crashes came after players had been shown a good part of the game.
    assert!(
        shown_then_crashed > total / 2,
        "{shown_then_crashed} of {total}"
    );
    println!(
        "crash injection: a crash at each of {total} storage operations, each recovered two ways"
    );
}
