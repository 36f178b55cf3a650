//! The worlds of a data dir, for an admin: `brogue world new NAME`, `brogue worlds [--json]`.

use std::path::Path;

use color_eyre::eyre;
use game::{TickRate, World};
use host::Checkpoint;
use store::{Store, WorldSummary};

/// Makes world `name` from `seed` (random when `None`); refuses a name already taken.
pub fn create(
    data_dir: &Path,
    name: &str,
    seed: Option<u64>,
    tick_rate: TickRate,
    parties: bool,
) -> eyre::Result<World> {
    check_name(name)?;
    let store = Store::open(&data_dir.join(store::FILE_NAME))?;
    eyre::ensure!(
        store.end_of_journal(name)?.is_none(),
        "there is a world called {name} already: pick another name (`brogue worlds` lists them)"
    );
    let world = crate::hosting::new_world(name, seed, tick_rate, parties);
    store.create_world(&Checkpoint::of(&world))?;
    store.close()?;
    Ok(world)
}

/// The data dir's save, opened to change it; a running server is named as the reason it
/// cannot be.
fn open(data_dir: &Path) -> eyre::Result<Store> {
    let path = data_dir.join(store::FILE_NAME);
    Store::open(&path).map_err(|e| match e {
        store::StoreError::Locked { .. } => eyre::eyre!(
            "{e}. Stop `brogue serve` (or the host) on this data dir first: a world is \
             backed up, restored, renamed or deleted while nothing hosts it"
        ),
        e => e.into(),
    })
}

/// Deletes world `name` (only with `yes`).
pub fn delete(data_dir: &Path, name: &str, yes: bool) -> eyre::Result<String> {
    let store = open(data_dir)?;
    let Some(world) = store.worlds()?.into_iter().find(|w| w.name == name) else {
        eyre::bail!("there is no world called {name} (`brogue worlds` lists them)");
    };
    eyre::ensure!(
        yes,
        "this deletes world {name} for good: {} players, {} bytes, its replays and its \
         leaderboard. `brogue world backup {name} FILE` keeps a copy; add --yes to delete",
        world.players,
        world.bytes
    );
    store.delete_world(name)?;
    store.close()?;
    Ok(format!("deleted world {name}"))
}

/// Renames world `name` to `new_name`.
pub fn rename(data_dir: &Path, name: &str, new_name: &str) -> eyre::Result<String> {
    check_name(new_name)?;
    let store = open(data_dir)?;
    let rows = store
        .world_rows(name)?
        .ok_or_else(|| eyre::eyre!("there is no world called {name}"))?;
    // The new name first: a crash in between leaves both, never neither.
    store.put_world(new_name, &rows)?;
    store.delete_world(name)?;
    store.close()?;
    Ok(format!(
        "world {name} is now {new_name} (invite codes naming {name} no longer work: hand out \
         new ones)"
    ))
}

/// Copies world `name` into a new save at `file` (`portable`: without this server's codes,
/// bans and unsent facts).
pub fn copy_out(data_dir: &Path, name: &str, file: &Path, portable: bool) -> eyre::Result<String> {
    eyre::ensure!(
        !file.exists(),
        "{} exists already: give a new file (nothing is overwritten)",
        file.display()
    );
    let store = open(data_dir)?;
    let rows = store
        .world_rows(name)?
        .ok_or_else(|| eyre::eyre!("there is no world called {name}"))?;
    let rows = if portable { rows.portable() } else { rows };
    let out = Store::open(file)?;
    out.put_world(name, &rows)?;
    out.close()?;
    store.close()?;
    Ok(format!("world {name} copied to {}", file.display()))
}

/// Adds the world saved in `file` (a backup or an export), as `as_name` if given.
pub fn copy_in(data_dir: &Path, file: &Path, as_name: Option<&str>) -> eyre::Result<String> {
    let from = Store::open_read_only(file)?;
    let worlds = from.worlds()?;
    let [world] = &worlds[..] else {
        eyre::bail!(
            "{} holds {} worlds, not one: is it a world backup (`brogue world backup`)?",
            file.display(),
            worlds.len()
        );
    };
    let name = as_name.unwrap_or(&world.name);
    check_name(name)?;
    let rows = from
        .world_rows(&world.name)?
        .ok_or_else(|| eyre::eyre!("{} lost its world while being read", file.display()))?;
    let store = open(data_dir)?;
    store.put_world(name, &rows).map_err(|e| match e {
        store::StoreError::Exists { .. } => eyre::eyre!(
            "there is a world called {name} here already: add --as NEW_NAME, or delete or \
             rename the one here first"
        ),
        e => e.into(),
    })?;
    store.close()?;
    Ok(format!("world {name} restored from {}", file.display()))
}

/// Whether `name` may name a world: what the game shows of it is all of it.
pub fn check_name(name: &str) -> eyre::Result<()> {
    let clean = game::text::sanitize(name, 40);
    eyre::ensure!(
        !clean.is_empty(),
        "a world needs a name of letters, digits or punctuation"
    );
    eyre::ensure!(
        clean == name,
        "{name:?} cannot be a world's name (at most 40 characters, no control characters); \
         {clean:?} could"
    );
    Ok(())
}

/// Every world of `data_dir` (none when it has no save yet).
pub fn list(data_dir: &Path) -> eyre::Result<Vec<WorldSummary>> {
    let path = data_dir.join(store::FILE_NAME);
    if !path.exists() {
        return Ok(Vec::new());
    }
    Ok(Store::open_read_only(&path)?.worlds()?)
}

/// The JSON tools read: `[{"name":..,"players":..,"last_played":..,"bytes":..}]` (and more).
pub fn to_json(worlds: &[WorldSummary]) -> serde_json::Value {
    worlds
        .iter()
        .map(|w| {
            serde_json::json!({
                "name": w.name,
                "players": w.players,
                "last_played": w.last_played,
                "bytes": w.bytes,
                "seed": w.seed,
                "tick": w.tick,
                "floors": w.floors,
                "parties": w.parties,
            })
        })
        .collect()
}

/// The worlds back from [`to_json`] (as a server's control socket sends them).
pub fn from_json(json: &serde_json::Value) -> Vec<WorldSummary> {
    let empty = Vec::new();
    json.as_array()
        .unwrap_or(&empty)
        .iter()
        .map(|w| WorldSummary {
            name: w["name"].as_str().unwrap_or_default().to_owned(),
            seed: w["seed"].as_u64().unwrap_or_default(),
            tick: w["tick"].as_u64().unwrap_or_default(),
            players: w["players"].as_u64().unwrap_or_default() as usize,
            floors: w["floors"].as_u64().unwrap_or_default() as usize,
            last_played: w["last_played"].as_u64(),
            bytes: w["bytes"].as_u64().unwrap_or_default(),
            parties: w["parties"].as_bool().unwrap_or_default(),
        })
        .collect()
}

/// A table for people.
pub fn print(worlds: &[WorldSummary], now_unix: u64) {
    if worlds.is_empty() {
        println!("no worlds yet: `brogue world new NAME` makes one");
        return;
    }
    let width = worlds
        .iter()
        .map(|w| w.name.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    println!(
        "{:<width$}  {:>7}  {:>14}  {:>10}  PARTIES",
        "WORLD", "PLAYERS", "LAST PLAYED", "SIZE"
    );
    for w in worlds {
        let played = match w.last_played {
            Some(t) => ago(now_unix.saturating_sub(t)),
            None => "never".into(),
        };
        println!(
            "{:<width$}  {:>7}  {:>14}  {:>10}  {}",
            w.name,
            w.players,
            played,
            size(w.bytes),
            if w.parties {
                "formed in game"
            } else {
                "one for all"
            }
        );
    }
}

fn ago(secs: u64) -> String {
    match secs {
        0..60 => "just now".into(),
        60..3600 => format!("{} min ago", secs / 60),
        3600..86_400 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86_400),
    }
}

fn size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MiB", bytes as f64 / 1_048_576.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_world_is_backed_up_deleted_restored_renamed_exported_and_imported_whole() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        create(&data, "halls", Some(5), TickRate::DEFAULT, false).unwrap();
        // Some play, so the journal and the outbox have rows.
        let store = Store::open(&data.join(store::FILE_NAME)).unwrap();
        let mut world = store.load_world("halls").unwrap().unwrap();
        let ada = game::PlayerId([9; 32]);
        let mut entries = Vec::new();
        for t in 0..30u64 {
            let inputs = if t == 0 {
                vec![game::Input::Connect {
                    player: ada,
                    name: "Ada".into(),
                }]
            } else {
                Vec::new()
            };
            world.handle_tick(&inputs);
            entries.push(host::JournalEntry {
                tick: game::Tick(t),
                inputs,
                trades: vec![],
                facts: vec![],
                unix: 2_000_000_000 + t,
            });
        }
        store.append("halls", &entries, true).unwrap();
        store.set_bans("halls", &[game::PlayerId([7; 32])]).unwrap();
        store.close().unwrap();
        let before = list(&data).unwrap();

        let backup = dir.path().join("halls.backup");
        copy_out(&data, "halls", &backup, false).unwrap();
        let err = copy_out(&data, "halls", &backup, false).unwrap_err();
        assert!(err.to_string().contains("exists already"), "{err}");
        let err = delete(&data, "halls", false).unwrap_err();
        assert!(err.to_string().contains("--yes"), "{err}");
        delete(&data, "halls", true).unwrap();
        assert!(list(&data).unwrap().is_empty());
        copy_in(&data, &backup, None).unwrap();
        assert_eq!(list(&data).unwrap(), before);
        let err = copy_in(&data, &backup, None).unwrap_err();
        assert!(err.to_string().contains("--as NEW_NAME"), "{err}");

        rename(&data, "halls", "deep").unwrap();
        let store = Store::open_read_only(&data.join(store::FILE_NAME)).unwrap();
        let names: Vec<String> = store
            .worlds()
            .unwrap()
            .into_iter()
            .map(|w| w.name)
            .collect();
        assert_eq!(names, ["deep"]);
        let report = store.check("deep").unwrap().unwrap();
        assert!(report.ok(), "{report:?}");
        assert_eq!(report.tick, 30);
        assert_eq!(store.load_world("deep").unwrap().unwrap().name(), "deep");
        assert_eq!(store.bans("deep").unwrap().len(), 1);
        drop(store);

        let export = dir.path().join("deep.export");
        copy_out(&data, "deep", &export, true).unwrap();
        copy_in(&data, &export, Some("copy")).unwrap();
        let store = Store::open_read_only(&data.join(store::FILE_NAME)).unwrap();
        assert!(store.check("copy").unwrap().unwrap().ok());
        assert!(
            store.bans("copy").unwrap().is_empty(),
            "bans stay with the server"
        );
        assert!(store.invite_secrets("copy").unwrap().is_empty());
        assert_eq!(store.outbox("copy", 10).unwrap().len(), 0);
    }

    #[test]
    fn a_new_world_is_listed_and_a_second_of_that_name_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(list(dir.path()).unwrap().is_empty());
        let world = create(dir.path(), "Deep Halls", Some(7), TickRate::DEFAULT, false).unwrap();
        assert_eq!(world.seed(), 7);
        let err = create(dir.path(), "Deep Halls", None, TickRate::DEFAULT, false).unwrap_err();
        assert!(err.to_string().contains("already"), "{err}");
        let err = create(dir.path(), "bad\nname", None, TickRate::DEFAULT, false).unwrap_err();
        assert!(
            err.to_string().contains("cannot be a world's name"),
            "{err}"
        );
        create(dir.path(), "second", None, TickRate::DEFAULT, true).unwrap();
        let worlds = list(dir.path()).unwrap();
        let names: Vec<&str> = worlds.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["Deep Halls", "second"]);
        let parties: Vec<bool> = worlds.iter().map(|w| w.parties).collect();
        assert_eq!(parties, [false, true], "--parties is kept with the world");
        assert_eq!(from_json(&to_json(&worlds)), worlds);
        assert!(
            worlds
                .iter()
                .all(|w| w.players == 0 && w.last_played.is_none())
        );
        assert!(worlds.iter().all(|w| w.bytes > 1000), "{worlds:?}");
        let json = to_json(&worlds);
        assert_eq!(from_json(&json), worlds);
        assert_eq!(json[0]["name"], "Deep Halls");
        assert_eq!(json[0]["seed"], 7);
        assert!(json[1]["last_played"].is_null());
        assert_eq!(size(2048), "2.0 KiB");
        assert_eq!(ago(7200), "2 h ago");
    }
}
