//! Real redb files in temporary directories.

use game::world::WorldSave;
use game::{Action, Class, Dir, Input, PlayerId, TickRate, World};
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
            action,
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
        store.save_world(&world.full_save()).unwrap();
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
    store.save_world(&world.take_changes()).unwrap();
    let ada = PlayerId([1; 32]);
    for t in 0..400u32 {
        world.handle_tick(&[Input::Act {
            player: ada,
            seq: 1000 + t,
            action: Action::Move(Dir::ALL[(t / 5 % 8) as usize]),
        }]);
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

#[test]
fn a_save_from_a_newer_brogue_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(store::FILE_NAME);
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(store::schema::META)
            .unwrap()
            .insert(store::schema::SCHEMA_KEY, store::schema::SCHEMA_VERSION + 1)
            .unwrap();
        txn.commit().unwrap();
    }
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
    store.save_world(&a.full_save()).unwrap();
    store.save_world(&b.full_save()).unwrap();
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
