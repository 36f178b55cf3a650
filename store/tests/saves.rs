//! Real redb files in temporary directories: worlds as checkpoints plus a journal, recovery,
//! checks, and every way a file can be wrong.

use std::time::Duration;

use game::floor::Floor;
use game::protocol::ClientMsg;
use game::{Action, Class, Dir, Input, PlayerId, Tick, TickRate, World};
use host::rig::Rig;
use host::{Checkpoint, Config, IssuedSecret, JournalEntry, Persist};
use store::{Store, StoreError};

const HOST: PlayerId = PlayerId([1; 32]);
const ADA: PlayerId = PlayerId([2; 32]);
const BO: PlayerId = PlayerId([3; 32]);
const ROOM: &[&str] = &[
    "##############",
    "#<..........%#",
    "#....._......#",
    "##############",
];

fn world(name: &str) -> World {
    World::with_first_floor(name, 9, TickRate::DEFAULT, Floor::from_ascii(1, ROOM))
}

/// A host in the rig where two players walk about and chat for a while, checkpointing every
/// second; every write it asked for is in `rig.written`.
fn played(name: &str, seconds: u64) -> Rig {
    let mut config = Config::new(HOST);
    config.checkpoint_every = Duration::from_secs(1);
    let mut rig = Rig::new(world(name), config);
    let a = rig.join(ADA, "Ada", Class::Warrior);
    let b = rig.join(BO, "Bo", Class::Mage);
    for i in 0..seconds * 5 {
        let _ = rig.act(a, Action::Move(Dir::ALL[(i % 8) as usize]));
        let _ = rig.act(b, Action::Move(Dir::ALL[((i + 2) % 8) as usize]));
        if i % 7 == 0 {
            let _ = rig.send(
                b,
                ClientMsg::Chat {
                    text: format!("{i}"),
                },
            );
        }
        rig.run_for(Duration::from_millis(200));
    }
    rig
}

/// Writes everything the rig's host asked for, as the saver would.
fn write_all(store: &Store, name: &str, written: &[Persist]) {
    let mut batch: Vec<JournalEntry> = Vec::new();
    for job in written {
        match job {
            Persist::Journal(entry) => batch.push(entry.clone()),
            Persist::Checkpoint(c) => {
                store
                    .append(name, &std::mem::take(&mut batch), false)
                    .unwrap();
                store.checkpoint(name, c).unwrap();
            }
            Persist::Secrets(s) => store.set_invite_secrets(name, s).unwrap(),
            Persist::Bans(b) => store.set_bans(name, b).unwrap(),
        }
    }
    store.append(name, &batch, false).unwrap();
}

fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(&dir.path().join(store::FILE_NAME)).unwrap()
}

#[test]
fn a_world_loads_as_its_journal_left_it_with_the_same_hash() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.create_world(&Checkpoint::of(&world("w"))).unwrap();
    let rig = played("w", 4);
    write_all(&store, "w", &rig.written);
    let loaded = store.load_world("w").unwrap().unwrap();
    assert_eq!(loaded.tick(), rig.host.world().tick());
    assert_eq!(loaded.state_hash(), rig.host.world().state_hash());
    assert!(store.load_world("nowhere").unwrap().is_none());
}

#[test]
fn the_journal_alone_replays_to_the_same_world_without_a_later_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.create_world(&Checkpoint::of(&world("w"))).unwrap();
    let rig = played("w", 3);
    store.append("w", &rig.entries(), false).unwrap();
    let loaded = store.load_world("w").unwrap().unwrap();
    assert_eq!(loaded.state_hash(), rig.host.world().state_hash());
}

#[test]
fn a_write_that_does_not_follow_the_journal_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let w = world("w");
    store.create_world(&Checkpoint::of(&w)).unwrap();
    let entry = |t| JournalEntry {
        tick: Tick(t),
        inputs: vec![Input::Chat {
            player: ADA,
            text: "hi".into(),
        }],
        trades: vec![],
        facts: vec![],
        unix: 0,
    };
    let err = store.append("w", &[entry(0), entry(2)], false).unwrap_err();
    assert!(matches!(err, StoreError::Refused { .. }), "{err}");
    assert_eq!(store.worlds().unwrap()[0].tick, 0, "nothing was written");
    let mut ahead = Checkpoint::of(&w);
    ahead.tick = Tick(5);
    assert!(matches!(
        store.checkpoint("w", &ahead),
        Err(StoreError::Refused { .. })
    ));
    assert!(matches!(
        store.create_world(&Checkpoint::of(&w)),
        Err(StoreError::Exists { .. })
    ));
}

#[test]
fn check_replays_between_checkpoints_and_counts_every_unit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.create_world(&Checkpoint::of(&world("w"))).unwrap();
    let rig = played("w", 5);
    write_all(&store, "w", &rig.written);
    let report = store.check("w").unwrap().unwrap();
    assert!(report.ok(), "{:?}", report.violations);
    assert_eq!(report.replay_matches, Some(true));
    assert_eq!(report.tick, rig.host.world().tick().0);
    assert_eq!(report.state, rig.host.world().state_hash());
    assert!(report.checkpoint > 0 && report.checkpoint <= report.tick);
    assert!(report.spawns > 0);
    assert_eq!(report.mined, report.held + report.spent);
    assert!(store.check("nowhere").unwrap().is_none());
}

/// The ticks of world `name`'s stored checkpoints.
fn checkpoint_ticks(path: &std::path::Path) -> Vec<u64> {
    let db = redb::ReadOnlyDatabase::open(path).unwrap();
    use redb::{ReadableDatabase, ReadableTable};
    let txn = db.begin_read().unwrap();
    txn.open_table(store::schema::CHECKPOINTS)
        .unwrap()
        .iter()
        .unwrap()
        .map(|r| r.unwrap().0.value().1)
        .collect()
}

#[test]
fn checkpoints_thin_out_to_one_per_ten_minutes_and_the_journal_stays_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(store::FILE_NAME);
    let store = Store::open(&path).unwrap();
    let w = world("w");
    store.create_world(&Checkpoint::of(&w)).unwrap();
    let empty = |t: u64| JournalEntry {
        tick: Tick(t),
        inputs: Vec::new(),
        trades: Vec::new(),
        facts: Vec::new(),
        unix: 0,
    };
    let mut entries: Vec<JournalEntry> = (0..27_001).map(empty).collect();
    entries[3].inputs.push(Input::Connect {
        player: ADA,
        name: "Ada".into(),
    });
    store.append("w", &entries, false).unwrap();
    let m = store::MILESTONE_TICKS;
    for t in [
        5_000,
        11_000,
        m + 500,
        m + 1_000,
        2 * m + 1_000,
        2 * m + 2_000,
        27_000,
    ] {
        let checkpoint = Checkpoint {
            tick: Tick(t),
            save: w.full_save(),
        };
        store.checkpoint("w", &checkpoint).unwrap();
    }
    store.close().unwrap();
    // The first of each span and the newest two.
    assert_eq!(
        checkpoint_ticks(&path),
        [0, m + 500, 2 * m + 1_000, 2 * m + 2_000, 27_000]
    );
    let store = Store::open_read_only(&path).unwrap();
    // A replay starts at the newest kept checkpoint at or before where it is asked to, with
    // the journal from there (tick 3's row is still there).
    let span = store
        .span("w", Some(m + 900), Some(m + 950))
        .unwrap()
        .unwrap();
    assert_eq!(
        (span.checkpoint.tick.0, span.from, span.to),
        (m + 500, m + 900, m + 950)
    );
    let span = store.span("w", None, Some(10)).unwrap().unwrap();
    assert_eq!(span.checkpoint.tick.0, 0);
    assert_eq!(span.journal.len(), 1);
    let err = store.span("w", Some(20), Some(10)).unwrap_err();
    assert!(err.to_string().contains("comes after"), "{err}");
    let err = store.span("w", None, Some(27_002)).unwrap_err();
    assert!(err.to_string().contains("played up to tick 27001"), "{err}");
    assert!(store.span("nope", None, None).unwrap().is_none());
}

/// A recorded session of two players, exported as a replay, reproduces every tick's state.
#[test]
fn a_replay_of_a_recorded_session_reproduces_every_ticks_state() {
    use host::replay::{Playback, Replay};
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.create_world(&Checkpoint::of(&world("w"))).unwrap();
    let mut config = Config::new(HOST);
    config.checkpoint_every = Duration::from_secs(1);
    let mut rig = Rig::new(world("w"), config);
    let a = rig.join(ADA, "Ada", Class::Warrior);
    let b = rig.join(BO, "Bo", Class::Mage);
    let mut hashes = std::collections::BTreeMap::new();
    for i in 0..120u32 {
        if i % 4 == 0 {
            let _ = rig.act(a, Action::Move(Dir::ALL[(i / 4 % 8) as usize]));
            let _ = rig.act(b, Action::Move(Dir::ALL[((i / 4 + 3) % 8) as usize]));
        }
        rig.run_ticks(1);
        let world = rig.host.world();
        hashes.insert(world.tick().0, world.state_hash());
    }
    write_all(&store, "w", &rig.written);
    let span = store.span("w", None, None).unwrap().unwrap();
    let replay = Replay::record(span.checkpoint, span.journal, span.from, span.to, "t").unwrap();
    let replay = Replay::decode(&replay.encode()).unwrap();
    assert!(replay.check().is_ok());
    let mut play = Playback::new(&replay).unwrap();
    let mut compared = 0;
    while play.step() {
        if let Some(hash) = hashes.get(&play.tick()) {
            assert_eq!(play.world().state_hash(), *hash, "tick {}", play.tick());
            compared += 1;
        }
    }
    assert!(compared >= 100, "compared {compared} ticks");
}

#[test]
fn a_cleanly_closed_save_opens_without_repair_and_one_left_open_is_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(store::FILE_NAME);
    let store = Store::open(&path).unwrap();
    store.create_world(&Checkpoint::of(&world("w"))).unwrap();
    // What a killed process leaves: the file as it is while a writer has it open.
    let crashed = dir.path().join("crashed.redb");
    std::fs::copy(&path, &crashed).unwrap();
    store.close().unwrap();
    let again = Store::open(&path).unwrap();
    assert!(!again.was_repaired());
    drop(again);
    let repaired = Store::open(&crashed).unwrap();
    assert!(repaired.was_repaired());
    assert!(repaired.load_world("w").unwrap().is_some());
}

#[test]
fn a_read_only_check_refuses_a_held_save_and_repairs_only_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(store::FILE_NAME);
    let store = Store::open(&path).unwrap();
    store.create_world(&Checkpoint::of(&world("w"))).unwrap();
    let err = Store::open_read_only(&path).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    let crashed = dir.path().join("crashed.redb");
    std::fs::copy(&path, &crashed).unwrap();
    let before = std::fs::read(&crashed).unwrap();
    let checked = Store::open_read_only(&crashed).unwrap();
    assert!(checked.was_repaired());
    assert!(checked.check("w").unwrap().unwrap().ok());
    drop(checked);
    assert!(
        std::fs::read(&crashed).unwrap() == before,
        "the original is untouched"
    );
}

#[test]
fn a_second_process_gets_a_clear_locked_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(store::FILE_NAME);
    let _first = Store::open(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(err.to_string().contains("another brogue process"));
}

#[test]
fn an_empty_damaged_or_truncated_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.redb");
    std::fs::write(&empty, b"").unwrap();
    let err = Store::open(&empty).unwrap_err();
    assert!(matches!(err, StoreError::Empty { .. }), "{err:?}");
    assert!(err.to_string().contains("empty (0 bytes)"));
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0);

    let junk = dir.path().join("junk.redb");
    std::fs::write(&junk, b"this is not a redb file at all, not even close").unwrap();
    let err = Store::open(&junk).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("left untouched"));
    assert!(std::fs::read(&junk).unwrap() == b"this is not a redb file at all, not even close");

    let path = dir.path().join(store::FILE_NAME);
    let store = Store::open(&path).unwrap();
    store.create_world(&Checkpoint::of(&world("w"))).unwrap();
    store.close().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.redb");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let err = Store::open(&cut).map(|_| ()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(
        std::fs::read(&cut).unwrap() == bytes[..bytes.len() / 3],
        "the cut file is untouched"
    );
}

/// Writes a file that holds only a schema version, as another brogue would have left it.
fn write_schema_version(path: &std::path::Path, version: u64) {
    let db = redb::Database::create(path).unwrap();
    let txn = db.begin_write().unwrap();
    txn.open_table(store::schema::META)
        .unwrap()
        .insert(store::schema::SCHEMA_KEY, version)
        .unwrap();
    txn.commit().unwrap();
}

#[test]
fn saves_from_a_newer_or_an_older_brogue_are_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    for (version, words) in [(99, "newer brogue"), (2, "older brogue")] {
        let path = dir.path().join(format!("v{version}.redb"));
        write_schema_version(&path, version);
        let before = std::fs::read(&path).unwrap();
        let err = Store::open(&path).unwrap_err();
        assert!(err.to_string().contains(words), "{err}");
        assert!(
            std::fs::read(&path).unwrap() == before,
            "v{version} untouched"
        );
    }
}

#[test]
fn worlds_are_listed_and_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.create_world(&Checkpoint::of(&world("one"))).unwrap();
    store.create_world(&Checkpoint::of(&world("two"))).unwrap();
    let rig = played("two", 2);
    write_all(&store, "two", &rig.written);
    let worlds = store.worlds().unwrap();
    let names: Vec<&str> = worlds.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["one", "two"]);
    assert_eq!(worlds[0].tick, 0);
    assert_eq!(worlds[1].tick, rig.host.world().tick().0);
    assert_eq!(worlds[1].players, 2);
    assert_eq!(store.load_world("one").unwrap().unwrap().tick(), Tick(0));
}

#[test]
fn invite_secrets_round_trip_per_world() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let s = IssuedSecret::new([4; 16], 2_000_000_000, 3600);
    store.set_invite_secrets("a", &[s]).unwrap();
    assert_eq!(store.invite_secrets("a").unwrap(), vec![s]);
    assert!(store.invite_secrets("b").unwrap().is_empty());
}

#[test]
fn the_leaderboard_ranks_players_by_victories_then_depth_and_trades_are_history_rows() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.create_world(&Checkpoint::of(&world("w"))).unwrap();
    let rig = played("w", 1);
    write_all(&store, "w", &rig.written);
    let rows = store.leaderboard("w").unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.victories == 0 && r.deepest == 1));
    assert_eq!(rows[0].name, "Ada", "ties sort by name");
    assert!(store.leaderboard("nothing").unwrap().is_empty());
    assert!(store.trades("w").unwrap().is_empty());
    let record = game::economy::TradeRecord {
        id: 42,
        tick: Tick(9),
        a: ADA,
        b: BO,
        a_gives: game::Goods::default(),
        b_gives: game::Goods::default(),
    };
    let end = rig.host.world().tick();
    let entry = JournalEntry {
        tick: end,
        inputs: vec![],
        trades: vec![record.clone()],
        facts: vec![],
        unix: 0,
    };
    store.append("w", &[entry], false).unwrap();
    assert_eq!(store.trades("w").unwrap(), vec![record]);
}

#[test]
fn facts_wait_in_the_outbox_only_when_asked_and_leave_once_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.create_world(&Checkpoint::of(&world("w"))).unwrap();
    let fact = |name: &str| game::fact::Fact {
        player: ADA,
        name: name.into(),
        class: Class::Warrior,
        kind: game::fact::FactKind::Deepest { floor: 1 },
    };
    let entry = |t, facts| JournalEntry {
        tick: Tick(t),
        inputs: vec![],
        trades: vec![],
        facts,
        unix: 2_000_000_000 + t,
    };
    store
        .append("w", &[entry(0, vec![fact("a")])], false)
        .unwrap();
    assert!(
        store.outbox("w", 10).unwrap().is_empty(),
        "no sync, no outbox"
    );
    store
        .append(
            "w",
            &[entry(1, vec![fact("b"), fact("c")]), entry(2, vec![])],
            true,
        )
        .unwrap();
    let waiting = store.outbox("w", 10).unwrap();
    let names: Vec<&str> = waiting.iter().map(|f| f.fact.name.as_str()).collect();
    assert_eq!(names, ["b", "c"]);
    assert_eq!(waiting[0].id, 1 << 16);
    assert_eq!(waiting[1].id, (1 << 16) | 1);
    assert_eq!(waiting[0].unix, 2_000_000_001);
    assert_eq!(store.outbox("w", 1).unwrap().len(), 1);
    store.confirm_outbox("w", &[waiting[0].id]).unwrap();
    assert_eq!(store.outbox("w", 10).unwrap(), vec![waiting[1].clone()]);
    assert!(store.outbox("elsewhere", 10).unwrap().is_empty());
}

/// Saves written by older brogues (`tests/data/schema3.redb`: before parties;
/// `tests/data/schema4.redb`: before experience; `tests/data/schema5.redb`: before potions and
/// scrolls; `tests/data/schema6.redb`: before telegraphed specials (made with ded0dbc);
/// `tests/data/schema7.redb`: before talents and the withdrawn taint (made with 5622699); each a
/// world `w` where three bots played for
/// eight seconds, made with that release's `brogue host` and `brogue bots`) are converted in
/// place when opened for writing: the world keeps its players, characters, party and tick; a
/// read-only open refuses, saying why, and leaves the file as it was.
#[test]
fn saves_of_older_schemas_are_upgraded_in_place_and_play_on() {
    use redb::ReadableDatabase;
    let fixtures = [
        (3, "schema3.redb"),
        (4, "schema4.redb"),
        (5, "schema5.redb"),
        (6, "schema6.redb"),
        (7, "schema7.redb"),
    ];
    for (schema, fixture) in fixtures {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(store::FILE_NAME);
        let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        std::fs::copy(from.join(fixture), &path).unwrap();
        let original = std::fs::read(&path).unwrap();

        // Read-only: refused with the reason, the file untouched.
        let Err(err) = Store::open_read_only(&path) else {
            panic!("a schema-{schema} file opened read-only")
        };
        assert!(
            matches!(err, StoreError::NeedsUpgrade { found, .. } if found == schema),
            "{err}"
        );
        assert!(err.to_string().contains("converted in place"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), original);

        // Opened for writing: upgraded; the newest checkpoint is the world, the older ones
        // (made under other rules) are gone, so `check` has nothing to replay between.
        let store = Store::open(&path).unwrap();
        let report = store.check("w").unwrap().unwrap();
        assert!(report.ok(), "schema {schema}: {:?}", report.violations);
        assert_eq!(report.replay_matches, None);
        // A replay can start only there, and asking for earlier says why.
        let err = store.span("w", Some(0), None).unwrap_err().to_string();
        assert!(err.contains("converted from an older brogue"), "{err}");
        let span = store.span("w", None, None).unwrap().unwrap();
        assert_eq!(span.checkpoint.tick.0, report.tick);
        let mut world = store.load_world("w").unwrap().unwrap();
        assert_eq!(world.tick(), Tick(report.tick), "schema {schema}");
        assert_eq!(world.state_hash(), report.state);
        let players: Vec<_> = world.players().map(|(id, p)| (*id, p.clone())).collect();
        assert_eq!(players.len(), 3, "schema {schema}: the three bots");
        assert!(players.iter().all(|(_, p)| !p.connected));
        if schema < 5 {
            // Absent players count as having left at the checkpoint.
            assert!(players.iter().all(|(_, p)| p.left_at == world.tick()));
        }
        if schema < 5 {
            assert!(
                players
                    .iter()
                    .all(|(_, p)| p.character.as_ref().is_some_and(|c| c.xp == 0))
            );
        }
        // Before schema 6: nobody knows a potion or scroll, nobody is hasted.
        assert!(
            schema >= 6
                || players.iter().all(|(_, p)| {
                    p.known.is_empty()
                        && p.character
                            .as_ref()
                            .is_some_and(|c| c.hasted_until == Tick::ZERO)
                })
        );
        assert_eq!(world.parties().count(), 1, "schema {schema}: together");
        // Before schema 7: nobody is winding up a special; every floor counts as visited at
        // the checkpoint.
        assert!(
            schema == 7
                || world.floors().all(|f| f.visited_at == world.tick()
                    && f.monsters.values().all(|m| m.windup.is_none()))
        );
        // Nobody chose a talent; nothing is marked as out of a vault.
        assert!(players.iter().all(|(id, p)| {
            p.character.as_ref().is_some_and(|c| c.talents == [None; 3])
                && !world.economy().holds_taint(game::economy::Place::Pack(*id))
        }));
        // It plays on: a bot comes back, walks, and the world moves.
        let (id, p) = &players[0];
        let before = world.state_hash();
        world.handle_tick(&[Input::Connect {
            player: *id,
            name: p.name.clone(),
        }]);
        for _ in 0..20 {
            world.handle_tick(&[]);
        }
        assert_ne!(world.state_hash(), before);
        assert!(world.player(id).unwrap().connected);
        drop(store);

        let db = redb::ReadOnlyDatabase::open(&path).unwrap();
        let txn = db.begin_read().unwrap();
        let meta = txn.open_table(store::schema::META).unwrap();
        let version = meta
            .get(store::schema::SCHEMA_KEY)
            .unwrap()
            .unwrap()
            .value();
        assert_eq!(version, store::schema::SCHEMA_VERSION);
    }
}
