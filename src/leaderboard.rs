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
                        "proofs": r.proofs.iter().map(|(tick, state)| {
                            serde_json::json!({ "tick": tick, "state": state.to_string() })
                        }).collect::<Vec<_>>(),
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

/// `brogue leaderboard --verify FILE`: plays the replay, and confirms each victory in it
/// against the proof this data dir's leaderboard recorded when it was won (the state hash
/// right after its tick). Returns the lines to print; fails (refuses) unless every victory in
/// the replay matches a recorded proof.
pub fn verify(data_dir: &Path, file: &Path) -> eyre::Result<Vec<String>> {
    let bytes =
        std::fs::read(file).map_err(|e| eyre::eyre!("cannot read {}: {e}", file.display()))?;
    let replay =
        host::replay::Replay::decode(&bytes).map_err(|e| eyre::eyre!("{}: {e}", file.display()))?;
    let world = replay.save.core.name.clone();
    let mut lines = vec![if replay.from_birth() {
        format!(
            "replay: world {world} ticks 0..{}, from the world's birth",
            replay.to
        )
    } else {
        format!(
            "replay: world {world} ticks {}..{}, from a saved world at tick {} (what came \
             before is taken on trust)",
            replay.start, replay.to, replay.start
        )
    }];
    let won = replay
        .victories()
        .map_err(|e| eyre::eyre!("refused: {} does not replay here: {e}", file.display()))?;
    eyre::ensure!(
        !won.is_empty(),
        "refused: {} shows no victory (ticks {}..{})",
        file.display(),
        replay.start,
        replay.to
    );
    let recorded: std::collections::BTreeMap<u64, game::StateHash> =
        if data_dir.join(store::FILE_NAME).exists() {
            crate::check::open_save(data_dir, "`brogue leaderboard --verify`")?
                .victory_proofs(&world)?
                .into_iter()
                .collect()
        } else {
            Default::default()
        };
    let mut refused = Vec::new();
    for w in &won {
        let v = &w.victory;
        let what = format!(
            "{} ({}) {}victory at tick {}: state {}",
            v.name,
            v.class.name(),
            if v.pure { "pure " } else { "" },
            v.tick.0,
            w.state
        );
        match recorded.get(&v.tick.0) {
            Some(proof) if *proof == w.state => {
                lines.push(format!(
                    "verified: {what}, as the leaderboard of {world} recorded"
                ));
            }
            Some(proof) => refused.push(format!(
                "{what}, but the leaderboard of {world} recorded state {proof}"
            )),
            None => refused.push(format!(
                "{what}, but this data dir's leaderboard of {world} has no such victory"
            )),
        }
    }
    if !refused.is_empty() {
        for line in &lines {
            println!("{line}");
        }
        eyre::bail!("refused: {}", refused.join("; refused: "));
    }
    Ok(lines)
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

#[cfg(test)]
mod tests {
    use super::*;
    use game::floor::Floor;
    use game::{Action, Class, Input, PlayerId, TickRate, World};
    use host::replay::Replay;
    use host::rig::Rig;
    use host::{Checkpoint, Config};

    const ADA: PlayerId = PlayerId([2; 32]);

    /// A host where Ada, carrying the Heart, climbs out at once; its save in `dir`, and a
    /// replay of it (from the saved world at tick 0) in `dir/won.brr`.
    fn victory(dir: &Path) -> std::path::PathBuf {
        let rows = ["#####", "#.<.#", "#####"];
        let mut w =
            World::with_first_floor("won", 3, TickRate::DEFAULT, Floor::from_ascii(1, &rows));
        w.handle_tick(&[
            Input::Connect {
                player: ADA,
                name: "Ada".into(),
            },
            Input::CreateCharacter {
                player: ADA,
                class: Class::Warrior,
            },
        ]);
        assert!(w.give_heart(ADA));
        let store = Store::open(&dir.join(store::FILE_NAME)).unwrap();
        store.create_world(&Checkpoint::of(&w)).unwrap();
        let mut rig = Rig::new(w, Config::new(PlayerId([1; 32])));
        let (conn, _) = rig.arrive(ADA, Rig::hello("Ada", None)).unwrap();
        rig.run_ticks(2);
        rig.act(conn, Action::Ascend).unwrap();
        rig.run_ticks(4);
        assert_eq!(rig.host.world().economy().victories().len(), 1, "Ada won");
        let entries = rig.entries();
        assert_eq!(entries.iter().filter(|e| e.proof.is_some()).count(), 1);
        store.append("won", &entries, false).unwrap();
        let span = store.span("won", None, None).unwrap().unwrap();
        let replay = Replay::record(span.checkpoint, span.journal, span.from, span.to, "t");
        let file = dir.join("won.brr");
        std::fs::write(&file, replay.unwrap().encode()).unwrap();
        let rows = store.leaderboard("won").unwrap();
        assert_eq!(rows[0].proofs.len(), 1, "the leaderboard carries the proof");
        store.close().unwrap();
        file
    }

    #[test]
    fn a_replayed_victory_is_confirmed_against_the_recorded_proof_or_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = victory(dir.path());
        let lines = verify(dir.path(), &file).unwrap();
        assert!(
            lines[0].contains("from a saved world at tick 1 (what came before"),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with("verified: Ada (Warrior) pure victory at tick ")
                && lines[1].ends_with("as the leaderboard of won recorded"),
            "{lines:?}"
        );
        // Another data dir's leaderboard has no such victory: refused.
        let elsewhere = tempfile::tempdir().unwrap();
        let err = verify(elsewhere.path(), &file).unwrap_err().to_string();
        assert!(err.contains("has no such victory"), "{err}");
        // A replay whose inputs were changed does not replay: refused.
        let mut replay = Replay::decode(&std::fs::read(&file).unwrap()).unwrap();
        replay
            .journal
            .retain(|(_, inputs)| !inputs.iter().any(|i| matches!(i, Input::Act { .. })));
        std::fs::write(&file, replay.encode()).unwrap();
        let err = verify(dir.path(), &file).unwrap_err().to_string();
        assert!(err.starts_with("refused: "), "{err}");
    }
}
