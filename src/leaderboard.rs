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
    boards(&Store::open_read_only(&path)?, world)
}

/// Every world's leaderboard in `store` (or only `world`'s).
pub fn boards(store: &Store, world: Option<&str>) -> eyre::Result<Vec<Named>> {
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

/// Every victory proof in a `to_json` leaderboard: (tick, state hash after it).
fn proofs_in(json: &serde_json::Value) -> Vec<(u64, game::StateHash)> {
    let all = |v: &serde_json::Value| v.as_array().cloned().unwrap_or_default();
    all(&json["worlds"])
        .iter()
        .flat_map(|w| all(&w["players"]))
        .flat_map(|p| all(&p["proofs"]))
        .filter_map(|proof| {
            let tick = proof["tick"].as_u64()?;
            let state = game::ids::unhex(proof["state"].as_str()?)?;
            Some((tick, game::StateHash(state)))
        })
        .collect()
}

/// Proofs recorded for victories of one world: tick → (whose board, state hash after it).
type Recorded = std::collections::BTreeMap<u64, Vec<(String, game::StateHash)>>;

/// `brogue leaderboard --verify FILE [--global]`: plays the replay, and confirms each victory
/// in it against the proof a leaderboard recorded when it was won (the state hash right after
/// its tick): this data dir's, or with `global` any host's board on the central leaderboard.
/// Returns the lines to print; fails (refuses) unless every victory in the replay matches a
/// recorded proof.
pub async fn verify(
    data_dir: &Path,
    file: &Path,
    global: Option<Option<&str>>,
) -> eyre::Result<Vec<String>> {
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
    let mut recorded = Recorded::new();
    let mut add = |whose: &str, proofs: &mut dyn Iterator<Item = (u64, game::StateHash)>| {
        for (tick, state) in proofs {
            recorded
                .entry(tick)
                .or_default()
                .push((whose.to_owned(), state));
        }
    };
    let nowhere = match global {
        Some(url) => {
            let (boards, _) = self::global(url, Some(&world)).await?;
            for b in boards {
                let whose = format!(
                    "host {}'s board of {world} on the central leaderboard",
                    b.host.unwrap_or_default()
                );
                add(&whose, &mut b.rows.into_iter().flat_map(|r| r.proofs));
            }
            format!("no host's board of {world} on the central leaderboard has such a victory")
        }
        None => {
            let whose = format!("the leaderboard of {world}");
            if data_dir.join(store::FILE_NAME).exists() {
                match crate::check::open_save(data_dir, "`brogue leaderboard --verify`") {
                    Ok(store) => add(&whose, &mut store.victory_proofs(&world)?.into_iter()),
                    // A server holds the save: its leaderboard carries the proofs.
                    Err(e) if crate::admin::is_serving(data_dir).await => {
                        let request = crate::admin::Request {
                            world: Some(world.clone()),
                            command: crate::admin::Command::Leaderboard,
                        };
                        let reply = crate::admin::ask(data_dir, &request).await;
                        let json = reply.ok().and_then(|r| r.json).ok_or(e)?;
                        add(&whose, &mut proofs_in(&json).into_iter());
                    }
                    Err(e) => return Err(e),
                }
            }
            format!("this data dir's leaderboard of {world} has no such victory")
        }
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
        let proofs = recorded.get(&v.tick.0).map(Vec::as_slice).unwrap_or(&[]);
        match proofs.iter().find(|(_, proof)| *proof == w.state) {
            Some((whose, _)) => lines.push(format!("verified: {what}, as {whose} recorded")),
            None => match proofs.first() {
                Some((whose, proof)) => {
                    refused.push(format!("{what}, but {whose} recorded state {proof}"))
                }
                None => refused.push(format!("{what}, but {nowhere}")),
            },
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
    for line in lines(boards, global) {
        println!("{line}");
    }
}

/// The table form, line by line.
pub fn lines(boards: &[Named], global: bool) -> Vec<String> {
    let mut out = Vec::new();
    if boards.is_empty() {
        if global {
            out.push(
                "The central leaderboard is empty: no syncing host has sent a fact yet.".into(),
            );
        } else {
            out.push(
                "No worlds in this data dir yet: play `brogue solo` or `brogue host` first.".into(),
            );
        }
    }
    for b in boards {
        match &b.host {
            Some(host) => out.push(format!("World {} (host {host})", b.world)),
            None => out.push(format!("World {}", b.world)),
        }
        out.push(format!(
            "  {:<16} {:>4} {:>4} {:>5} {:>5} {:>6}  best crafted",
            "player", "wins", "pure", "depth", "kills", "deaths"
        ));
        for r in &b.rows {
            let best = r
                .best_crafted
                .as_ref()
                .map_or("-".to_owned(), |(n, q)| format!("{n} (q{q})"));
            out.push(format!(
                "  {:<16} {:>4} {:>4} {:>5} {:>5} {:>6}  {best}",
                r.name, r.victories, r.pure_victories, r.deepest, r.kills, r.deaths
            ));
        }
    }
    out
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
    use game::Input;
    use host::replay::Replay;

    /// Ada's won game (`host::rig::victory_run`) saved in `dir`, and a replay of it (from the
    /// saved world at tick 1) in `dir/won.brr`.
    fn victory(dir: &Path) -> std::path::PathBuf {
        let (start, entries) = host::rig::victory_run();
        let store = Store::open(&dir.join(store::FILE_NAME)).unwrap();
        store.create_world(&start).unwrap();
        let proofs = entries.iter().flat_map(|e| &e.facts);
        let proofs = proofs.filter(|f| matches!(f.kind, game::fact::FactKind::Proof { .. }));
        assert_eq!(proofs.count(), 1);
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

    /// What a running server answers for `leaderboard --json` carries every proof, as
    /// `--verify` reads it back when the server holds the save.
    #[test]
    fn proofs_travel_through_the_leaderboard_json() {
        let dir = tempfile::tempdir().unwrap();
        victory(dir.path());
        let store = Store::open(&dir.path().join(store::FILE_NAME)).unwrap();
        let json = to_json(&boards(&store, Some("won")).unwrap());
        let recorded = store.victory_proofs("won").unwrap();
        assert_eq!(recorded.len(), 1);
        assert_eq!(proofs_in(&json), recorded);
    }

    #[tokio::test]
    async fn a_replayed_victory_is_confirmed_against_the_recorded_proof_or_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = victory(dir.path());
        let lines = verify(dir.path(), &file, None).await.unwrap();
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
        let err = verify(elsewhere.path(), &file, None).await.unwrap_err();
        let err = err.to_string();
        assert!(err.contains("has no such victory"), "{err}");
        // A replay whose inputs were changed does not replay: refused.
        let mut replay = Replay::decode(&std::fs::read(&file).unwrap()).unwrap();
        replay
            .journal
            .retain(|(_, inputs)| !inputs.iter().any(|i| matches!(i, Input::Act { .. })));
        std::fs::write(&file, replay.encode()).unwrap();
        let err = verify(dir.path(), &file, None)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("refused: "), "{err}");
    }
}
