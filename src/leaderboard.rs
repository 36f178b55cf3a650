//! Leaderboards of the worlds in a data dir, for `brogue leaderboard` and the menu.

use std::path::Path;

use color_eyre::eyre;
use store::{LeaderRow, Store};

/// Every world's leaderboard (or only `world`'s), by world name.
pub fn load(data_dir: &Path, world: Option<&str>) -> eyre::Result<Vec<(String, Vec<LeaderRow>)>> {
    let path = data_dir.join(store::FILE_NAME);
    if !path.exists() {
        return Ok(Vec::new());
    }
    // Reading never changes the save (a file left unclean is read from a repaired copy).
    let store = Store::open_read_only(&path)?;
    let names: Vec<String> = match world {
        Some(w) => vec![w.to_owned()],
        None => store.worlds()?.into_iter().map(|w| w.name).collect(),
    };
    names
        .into_iter()
        .map(|name| Ok((name.clone(), store.leaderboard(&name)?)))
        .collect()
}

/// The JSON form: `{"worlds":[{"world":..,"players":[{"name":..,..}]}]}`.
pub fn to_json(boards: &[(String, Vec<LeaderRow>)]) -> serde_json::Value {
    let worlds: Vec<serde_json::Value> = boards
        .iter()
        .map(|(world, rows)| {
            let players: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "name": r.name,
                        "victories": r.victories,
                        "pure_victories": r.pure_victories,
                        "deepest_floor": r.deepest,
                        "monsters_slain": r.kills,
                        "deaths": r.deaths,
                        "best_crafted": r.best_crafted.as_ref().map(|(name, quality)| {
                            serde_json::json!({ "name": name, "quality": quality })
                        }),
                    })
                })
                .collect();
            serde_json::json!({ "world": world, "players": players })
        })
        .collect();
    serde_json::json!({ "worlds": worlds })
}

/// The table form.
pub fn print(boards: &[(String, Vec<LeaderRow>)]) {
    if boards.is_empty() {
        println!("No worlds in this data dir yet: play `brogue solo` or `brogue host` first.");
    }
    for (world, rows) in boards {
        println!("World {world}");
        println!(
            "  {:<16} {:>4} {:>4} {:>5} {:>5} {:>6}  best crafted",
            "player", "wins", "pure", "depth", "kills", "deaths"
        );
        for r in rows {
            let best = r
                .best_crafted
                .as_ref()
                .map_or("-".to_owned(), |(n, q)| format!("{n} (q{q})"));
            println!(
                "  {:<16} {:>4} {:>4} {:>5} {:>5} {:>6}  {best}",
                r.name, r.victories, r.pure_victories, r.deepest, r.kills, r.deaths
            );
        }
    }
}

/// For the TUI's leaderboard screen.
pub fn to_boards(boards: Vec<(String, Vec<LeaderRow>)>) -> Vec<ui::Board> {
    boards
        .into_iter()
        .map(|(world, rows)| ui::Board {
            world,
            rows: rows
                .into_iter()
                .map(|r| ui::BoardRow {
                    name: r.name,
                    victories: r.victories,
                    pure_victories: r.pure_victories,
                    deepest: r.deepest,
                    kills: r.kills,
                    best_crafted: r.best_crafted,
                })
                .collect(),
        })
        .collect()
}
