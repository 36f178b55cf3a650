//! Real redb files in temporary directories.

use game::economy::{Entry, Place, Vein};
use game::ore::OreClass;
use game::world::WorldSave;
use game::{Action, Class, Dir, Input, PlayerId, Pos, TickRate, World};
use store::{SecretRecord, Store, StoreError};

fn played_world(name: &str, ticks: u64) -> World {
    let mut world = World::new(name, 11, TickRate::DEFAULT);
    let ada = PlayerId([1; 32]);
    world.handle_tick(&[Input::Connect {
        player: ada,
        name: "Ada".into(),
    }]);
    world.handle_tick(&[Input::CreateCharacter {
        player: ada,
        class: Class::Ranger,
    }]);
    for t in 0..ticks {
        let action = Action::Move(Dir::ALL[(t / 8 % 8) as usize]);
        world.handle_tick(&[Input::Act {
            player: ada,
            seq: t as u32,
            action: game::Checked::trusted(action),
        }]);
    }
    world
}

#[test]
fn a_saved_world_loads_with_the_same_hash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(store::FILE_NAME);
    let world = played_world("alpha", 300);
    {
        let store = Store::open(&path).unwrap();
        store.create_world(&world.full_save()).unwrap();
    }
    let store = Store::open(&path).unwrap();
    let loaded = store
        .load_world("alpha")
        .unwrap()
        .expect("the world is there");
    assert_eq!(loaded.state_hash(), world.state_hash());
    assert_eq!(loaded.tick(), world.tick());
    assert!(store.load_world("beta").unwrap().is_none());
}

#[test]
fn incremental_saves_add_up_to_the_whole_world() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join(store::FILE_NAME)).unwrap();
    let mut world = played_world("gamma", 50);
    let _ = world.take_ledger();
    store.create_world(&world.full_save()).unwrap();
    let _ = world.take_changes();
    let ada = PlayerId([1; 32]);
    for t in 0..400u32 {
        world.handle_tick(&[Input::Act {
            player: ada,
            seq: 1000 + t,
            action: game::Checked::trusted(Action::Move(Dir::ALL[(t / 5 % 8) as usize])),
        }]);
        for entry in world.take_ledger() {
            store.apply("gamma", &entry).unwrap();
        }
        if t % 50 == 0 {
            let changes: WorldSave = world.take_changes();
            store.save_world(&changes).unwrap();
        }
    }
    store.save_world(&world.take_changes()).unwrap();
    // Nothing changed since: an empty change set still carries the core.
    assert!(world.take_changes().floors.is_empty());
    let loaded = store.load_world("gamma").unwrap().unwrap();
    assert_eq!(loaded.state_hash(), world.state_hash());
}

#[test]
fn a_second_process_gets_a_clear_locked_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(store::FILE_NAME);
    let _first = Store::open(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("this world is open in another brogue process")
    );
}

#[test]
fn a_damaged_file_is_reported_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(store::FILE_NAME);
    let garbage: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("left untouched"));
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
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
fn a_save_from_a_newer_brogue_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(store::FILE_NAME);
    write_schema_version(&path, store::schema::SCHEMA_VERSION + 1);
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { .. }), "{err:?}");
    assert!(err.to_string().contains("newer brogue"));
}

#[test]
fn worlds_are_listed_and_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join(store::FILE_NAME)).unwrap();
    let a = played_world("a", 10);
    let b = played_world("b", 600);
    store.create_world(&a.full_save()).unwrap();
    store.create_world(&b.full_save()).unwrap();
    let list = store.worlds().unwrap();
    let names: Vec<&str> = list.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(list[1].tick, b.tick().0);
    assert_eq!(list[1].players, 1);
    assert_eq!(list[0].floors, a.floors().count());
    assert_eq!(
        store.load_world("a").unwrap().unwrap().state_hash(),
        a.state_hash()
    );
}

#[test]
fn invite_secrets_round_trip_per_world() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join(store::FILE_NAME)).unwrap();
    assert!(store.invite_secrets("w").unwrap().is_empty());
    let secrets = [
        SecretRecord {
            secret: [1; 16],
            expires_at: 100,
        },
        SecretRecord {
            secret: [2; 16],
            expires_at: 200,
        },
    ];
    store.set_invite_secrets("w", &secrets).unwrap();
    assert_eq!(store.invite_secrets("w").unwrap(), secrets);
    assert!(store.invite_secrets("other").unwrap().is_empty());
}

#[test]
fn a_save_from_an_older_brogue_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(store::FILE_NAME);
    write_schema_version(&path, 1);
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::TooOld { found: 1, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("older brogue"));
    // Its data is untouched: still schema 1, and no table of this version was added.
    use redb::{ReadableDatabase, TableHandle};
    let db = redb::Database::create(&path).unwrap();
    let txn = db.begin_read().unwrap();
    let meta = txn.open_table(store::schema::META).unwrap();
    assert_eq!(
        meta.get(store::schema::SCHEMA_KEY)
            .unwrap()
            .unwrap()
            .value(),
        1
    );
    let tables: Vec<String> = txn
        .list_tables()
        .unwrap()
        .map(|t| t.name().to_owned())
        .collect();
    assert_eq!(tables, ["meta"]);
}

#[test]
fn economy_entries_apply_one_by_one_and_a_bad_one_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join(store::FILE_NAME)).unwrap();
    let mut world = played_world("eco", 5);
    let _ = world.take_ledger();
    store.create_world(&world.full_save()).unwrap();
    let ada = PlayerId([1; 32]);
    let spawn = world.economy().spawns.current(OreClass::Iron).unwrap().id;
    let vein = Pos::new(-1, -1);
    let entries = [
        Entry::VeinsFound {
            depth: 1,
            veins: vec![(
                vein,
                Vein {
                    class: OreClass::Iron,
                    units: 9,
                },
            )],
        },
        Entry::Mined {
            depth: 1,
            pos: vein,
            player: ada,
            spawn,
            units: 6,
        },
        Entry::Moved {
            from: Place::Pack(ada),
            to: Place::Vault(ada),
            stacks: vec![game::Stack { spawn, units: 4 }],
            items: vec![],
        },
    ];
    for e in &entries {
        assert!(world.grant(e.clone()));
        store.apply("eco", e).unwrap();
    }
    assert_eq!(&store.economy("eco").unwrap(), world.economy());
    let too_much = Entry::Moved {
        from: Place::Vault(ada),
        to: Place::Pack(ada),
        stacks: vec![game::Stack { spawn, units: 5 }],
        items: vec![],
    };
    let err = store.apply("eco", &too_much).unwrap_err();
    assert!(matches!(err, StoreError::Rejected { .. }), "{err:?}");
    assert_eq!(&store.economy("eco").unwrap(), world.economy());
    // A later snapshot does not carry the economy; loading restores it from its table.
    store.save_world(&world.take_changes()).unwrap();
    let loaded = store.load_world("eco").unwrap().unwrap();
    assert_eq!(loaded.economy(), world.economy());
    assert_eq!(loaded.state_hash(), world.state_hash());
}

#[test]
fn the_leaderboard_ranks_players_by_victories_then_depth() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join(store::FILE_NAME)).unwrap();
    let mut world = World::new("board", 3, TickRate::DEFAULT);
    for (n, name) in [(1u8, "Ada"), (2, "Bob")] {
        let p = PlayerId([n; 32]);
        world.handle_tick(&[Input::Connect {
            player: p,
            name: name.into(),
        }]);
        world.handle_tick(&[Input::CreateCharacter {
            player: p,
            class: Class::Warrior,
        }]);
    }
    let _ = world.take_ledger();
    store.create_world(&world.full_save()).unwrap();
    let rows = store.leaderboard("board").unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.victories == 0 && r.deepest == 1));
    assert_eq!(rows[0].name, "Ada", "ties sort by name");
    assert!(store.leaderboard("nothing").unwrap().is_empty());
}
