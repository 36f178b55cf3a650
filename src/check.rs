//! `brogue check`: verifies a save from outside, without changing it. For each world: the
//! newest checkpoint reads and matches its hash, the previous checkpoint replayed through the
//! journal reaches the newest one's hash, the journal after the newest replays, and every
//! spawn's ore adds up (units mined = units held in packs, vaults and piles + units spent).

use std::io::Write as _;
use std::path::Path;

use color_eyre::eyre::{self, WrapErr as _};
use store::{CheckReport, Store, StoreError};

/// Checks `world` (or every world) of the save in `data_dir`; prints a summary or one JSON
/// object per world. Fails when any world is not sound.
pub fn run(data_dir: &Path, world: Option<&str>, json: bool) -> eyre::Result<()> {
    let store = open_save(data_dir, "`brogue check`")?;
    let path = store.path().to_owned();
    if store.was_repaired() && !json {
        println!(
            "note: {} was not closed cleanly; checked a repaired copy (the host repairs the file \
             itself when it next opens it)",
            path.display()
        );
    }
    let names: Vec<String> = match world {
        Some(w) => vec![w.to_owned()],
        None => store.worlds()?.into_iter().map(|w| w.name).collect(),
    };
    let mut out = std::io::stdout().lock();
    let mut all_ok = true;
    for name in names {
        let report = store
            .check(&name)
            .wrap_err_with(|| format!("world {name}"))?;
        let Some(report) = report else {
            eyre::bail!("the save has no world called {name}");
        };
        all_ok &= report.ok();
        if json {
            writeln!(out, "{}", to_json(&report))?;
        } else {
            print_report(&mut out, &report)?;
        }
    }
    out.flush()?;
    eyre::ensure!(all_ok, "the save has problems (see above)");
    Ok(())
}

/// Opens the save in `data_dir` read-only for `doing` (a command's name, for messages).
pub fn open_save(data_dir: &Path, doing: &str) -> eyre::Result<Store> {
    let path = data_dir.join(store::FILE_NAME);
    eyre::ensure!(
        path.exists(),
        "there is no save at {} (nothing was hosted from this data dir)",
        path.display()
    );
    Store::open_read_only(&path).map_err(|e| match e {
        StoreError::Locked { .. } => eyre::eyre!(
            "a brogue host is running on {} (the save is locked). {doing} reads the save \
             without changing it and cannot while a host holds it: stop the host first",
            path.display()
        ),
        other => eyre::eyre!(other),
    })
}

/// `{"world":..,"ok":bool,"tick":T,"state":"<hash>","spawns":N,"violations":[..],...}`.
pub fn to_json(r: &CheckReport) -> serde_json::Value {
    serde_json::json!({
        "world": r.world,
        "ok": r.ok(),
        "tick": r.tick,
        "state": r.state.to_string(),
        "spawns": r.spawns,
        "violations": r.violations,
        "checkpoint": r.checkpoint,
        "replay_matches_checkpoint": r.replay_matches,
        "ore": { "mined": r.mined, "held": r.held, "spent": r.spent },
    })
}

fn print_report(out: &mut impl std::io::Write, r: &CheckReport) -> std::io::Result<()> {
    let verdict = if r.ok() { "ok" } else { "PROBLEMS" };
    writeln!(out, "world {}: {verdict}", r.world)?;
    writeln!(
        out,
        "  replayed from the checkpoint at tick {} to tick {}; state {}",
        r.checkpoint, r.tick, r.state
    )?;
    match r.replay_matches {
        Some(true) => writeln!(
            out,
            "  the journal from the previous checkpoint reproduces this one exactly"
        )?,
        Some(false) => {}
        None => writeln!(
            out,
            "  (one checkpoint so far: nothing to replay it against)"
        )?,
    }
    writeln!(
        out,
        "  ore over {} spawns: {} units mined = {} held + {} spent in crafting",
        r.spawns, r.mined, r.held, r.spent
    )?;
    for v in &r.violations {
        writeln!(out, "  problem: {v}")?;
    }
    Ok(())
}
