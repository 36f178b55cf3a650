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
) -> eyre::Result<World> {
    check_name(name)?;
    let store = Store::open(&data_dir.join(store::FILE_NAME))?;
    eyre::ensure!(
        store.end_of_journal(name)?.is_none(),
        "there is a world called {name} already: pick another name (`brogue worlds` lists them)"
    );
    let world = World::new(
        name,
        seed.unwrap_or_else(crate::hosting::random_seed),
        tick_rate,
    );
    store.create_world(&Checkpoint::of(&world))?;
    store.close()?;
    Ok(world)
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
        "{:<width$}  {:>7}  {:>14}  {:>10}",
        "WORLD", "PLAYERS", "LAST PLAYED", "SIZE"
    );
    for w in worlds {
        let played = match w.last_played {
            Some(t) => ago(now_unix.saturating_sub(t)),
            None => "never".into(),
        };
        println!(
            "{:<width$}  {:>7}  {:>14}  {:>10}",
            w.name,
            w.players,
            played,
            size(w.bytes)
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
    fn a_new_world_is_listed_and_a_second_of_that_name_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(list(dir.path()).unwrap().is_empty());
        let world = create(dir.path(), "Deep Halls", Some(7), TickRate::DEFAULT).unwrap();
        assert_eq!(world.seed(), 7);
        let err = create(dir.path(), "Deep Halls", None, TickRate::DEFAULT).unwrap_err();
        assert!(err.to_string().contains("already"), "{err}");
        let err = create(dir.path(), "bad\nname", None, TickRate::DEFAULT).unwrap_err();
        assert!(
            err.to_string().contains("cannot be a world's name"),
            "{err}"
        );
        create(dir.path(), "second", None, TickRate::DEFAULT).unwrap();
        let worlds = list(dir.path()).unwrap();
        let names: Vec<&str> = worlds.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["Deep Halls", "second"]);
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
