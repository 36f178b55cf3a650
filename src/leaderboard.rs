//! Leaderboards for `brogue leaderboard` and the menu: the worlds of this data dir (read from
//! the save), or the central board every syncing host writes to (`--global`).

use std::path::Path;

use color_eyre::eyre::{self, WrapErr as _};
use store::central::Central;
use store::{LeaderRow, Store};

/// One world's board; `host` is the host key's fingerprint on the global board.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    pub host: Option<String>,
    pub world: String,
    pub rows: Vec<LeaderRow>,
}

/// Every world's leaderboard in this data dir (or only `world`'s).
pub fn load(data_dir: &Path, world: Option<&str>) -> eyre::Result<Vec<Named>> {
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
        .map(|world| {
            Ok(Named {
                host: None,
                rows: store.leaderboard(&world)?,
                world,
            })
        })
        .collect()
}

/// The central board at `url` (or only `world`'s worlds), and how many facts were dropped for
/// signatures that did not verify.
pub async fn global(url: Option<&str>, world: Option<&str>) -> eyre::Result<(Vec<Named>, usize)> {
    let url = url.ok_or_else(|| {
        eyre::eyre!(
            "no central leaderboard is set: pass --leaderboard-url postgres://… or set \
             BROGUE_LEADERBOARD_URL"
        )
    })?;
    let central = Central::from_url(url)?;
    let conn = central.connect().await?;
    let global = conn
        .global()
        .await
        .wrap_err("reading the central leaderboard")?;
    let boards = global
        .boards
        .into_iter()
        .filter(|b| world.is_none_or(|w| w == b.world))
        .map(|b| Named {
            host: Some(crate::join::fingerprint(&net::KeyPin::of(&b.host))),
            world: b.world,
            rows: b.rows,
        })
        .collect();
    Ok((boards, global.rejected))
}

/// The JSON form: `{"worlds":[{"world":..,"players":[{"name":..,..}]}]}`, with `"host"` per
/// world on the global board.
pub fn to_json(boards: &[Named]) -> serde_json::Value {
    let worlds: Vec<serde_json::Value> = boards
        .iter()
        .map(|b| {
            let players: Vec<serde_json::Value> = b
                .rows
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
            let mut world = serde_json::json!({ "world": b.world, "players": players });
            if let Some(host) = &b.host {
                world["host"] = serde_json::json!(host);
            }
            world
        })
        .collect();
    serde_json::json!({ "worlds": worlds })
}

/// The table form.
pub fn print(boards: &[Named], global: bool) {
    if boards.is_empty() {
        if global {
            println!("The central leaderboard is empty: no syncing host has sent a fact yet.");
        } else {
            println!("No worlds in this data dir yet: play `brogue solo` or `brogue host` first.");
        }
    }
    for b in boards {
        match &b.host {
            Some(host) => println!("World {} (host {host})", b.world),
            None => println!("World {}", b.world),
        }
        println!(
            "  {:<16} {:>4} {:>4} {:>5} {:>5} {:>6}  best crafted",
            "player", "wins", "pure", "depth", "kills", "deaths"
        );
        for r in &b.rows {
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
pub fn to_boards(boards: Vec<Named>) -> Vec<ui::Board> {
    boards
        .into_iter()
        .map(|b| ui::Board {
            world: match &b.host {
                Some(host) => format!("{} @ {}", b.world, &host[..host.len().min(9)]),
                None => b.world,
            },
            rows: b
                .rows
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
