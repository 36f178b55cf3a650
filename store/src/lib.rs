//! Brogue's persistence: one redb file in the data dir holding, per world, a **journal** of
//! every tick's inputs and **checkpoints** of the whole world, plus the trade history and the
//! invite secrets the host issued.
//!
//! There is one durable record: the journal. A checkpoint is the world at one tick boundary,
//! written every few seconds; recovery is the newest checkpoint plus a replay of the journal
//! after it (`host::journal::recover`), and determinism makes it exact. Nothing is kept twice,
//! so nothing needs reconciling after a crash.
//!
//! `store` exposes a domain API (create a world, append journal entries, write a checkpoint,
//! load, check, list, read the leaderboard and the trade history) and never hands out
//! transactions. Every write is one transaction with immediate durability: after a crash the
//! file holds the state before it or after it, never a mix. `store` knows `game`'s and the host
//! core's types and redb; it knows nothing of networks or screens.

pub mod central;
pub mod schema;
mod whole;

pub use whole::WorldRows;

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use game::class::Class;
use game::economy::TradeRecord;
use game::{Input, StateHash, Tick, World, WorldSave};
use host::{Checkpoint, IssuedSecret, JournalEntry};
use redb::{
    Database, Durability, ReadOnlyDatabase, ReadTransaction, ReadableDatabase, ReadableTable,
    StorageBackend,
};
use serde::{Deserialize, Serialize};

use schema::{
    BANS, CHECKPOINTS, INVITES, JOURNAL, JOURNAL_END, META, OUTBOX, PLAYED, PROOFS, SCHEMA_KEY,
    SCHEMA_VERSION, TRADES,
};

/// The file name of the save inside a data dir.
pub const FILE_NAME: &str = "brogue.redb";
/// Of the checkpoints older than the newest two, the first in every span of this many ticks
/// (ten minutes at 20 Hz) is kept: a replay can start at most this far before where it is
/// asked to.
pub const MILESTONE_TICKS: u64 = 12_000;

/// A storage operation failed. Every variant leaves the file as it was.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the file.
    #[error(
        "this world is open in another brogue process (the save {path} is locked). Close the \
         other brogue first, or give this one its own --data-dir"
    )]
    Locked { path: PathBuf },
    /// The file or a record in it cannot be read.
    #[error(
        "the save {path} is damaged ({reason}). It was left untouched: move it aside to start a \
         fresh save, or restore a backup of it"
    )]
    Corrupt { path: PathBuf, reason: String },
    /// The file exists but holds nothing (a crash while it was first written, a failed copy).
    #[error(
        "the save {path} is empty (0 bytes), so it holds no world. It was left untouched: move \
         it aside to start a fresh save, or restore a backup of it"
    )]
    Empty { path: PathBuf },
    /// The file was written by a newer brogue.
    #[error(
        "the save {path} was written by a newer brogue (save schema {found}, this brogue reads \
         up to {SCHEMA_VERSION}): update brogue to open it"
    )]
    TooNew { path: PathBuf, found: u64 },
    /// The file was written by an older brogue whose saves this one cannot read.
    #[error(
        "the save {path} was written by an older brogue (save schema {found}; this brogue reads \
         schema {SCHEMA_VERSION}) and cannot be converted. It was left untouched: keep it with \
         the older brogue, or move it aside to start fresh"
    )]
    TooOld { path: PathBuf, found: u64 },
    /// An older save this brogue converts, but only when it may write.
    #[error(
        "the save {path} was written by an older brogue (save schema {found}; this brogue reads \
         schema {SCHEMA_VERSION}): it is converted in place the first time it is opened for \
         writing (by brogue host, serve or world), which this open may not do"
    )]
    NeedsUpgrade { path: PathBuf, found: u64 },
    /// The disk said no (full, failing, gone).
    #[error("cannot write the save {path}: {reason}")]
    Io { path: PathBuf, reason: String },
    /// A world of that name already exists.
    #[error("the save {path} already has a world called {world}")]
    Exists { path: PathBuf, world: String },
    /// A write that does not follow what is stored (a bug in the caller, refused whole).
    #[error("the save {path} refused a write to world {world}: {reason}")]
    Refused {
        path: PathBuf,
        world: String,
        reason: String,
    },
}

impl StoreError {
    /// Whether reopening the file and writing again may succeed (the disk, not the data).
    pub fn is_io(&self) -> bool {
        matches!(self, StoreError::Io { .. })
    }
}

/// One player's line on a world's leaderboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderRow {
    pub name: String,
    pub victories: u32,
    pub pure_victories: u32,
    pub deepest: u8,
    pub kills: u32,
    pub deaths: u32,
    /// The best crafted item: (name, quality).
    pub best_crafted: Option<(String, u16)>,
    /// The class of the latest victory, if any.
    pub last_victory_class: Option<Class>,
    /// Each victory's tick and the state hash after it, as the host recorded it when the
    /// victory was won (a replay reaching it proves the victory; empty for the central board).
    pub proofs: Vec<(u64, StateHash)>,
}

/// A span of a world to replay: a checkpoint and the journal after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub checkpoint: Checkpoint,
    /// The entries of ticks with inputs in `checkpoint.tick..to`.
    pub journal: Vec<(Tick, Vec<Input>)>,
    /// Where watching is to begin (at or after the checkpoint).
    pub from: u64,
    /// The span ends before this tick.
    pub to: u64,
}

/// One line of the world list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorldSummary {
    pub name: String,
    pub seed: u64,
    /// Where the durable journal ends: the tick the world resumes at.
    pub tick: u64,
    pub players: usize,
    pub floors: usize,
    /// Unix seconds of the newest tick journaled (`None`: never played, or a file made
    /// before this was kept).
    pub last_played: Option<u64>,
    /// What the world's rows take in the save (keys and values; the file's own overhead and
    /// free pages are not counted).
    pub bytes: u64,
    /// Newcomers start alone and form parties (else everyone shares one).
    pub parties: bool,
}

/// A leaderboard fact waiting in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxFact {
    /// Unique per world, in the order the facts happened (see `JournalEntry::fact_id`).
    pub id: u64,
    pub tick: Tick,
    /// Wall-clock unix seconds of the tick.
    pub unix: u64,
    pub fact: game::fact::Fact,
}

/// A checkpoint as stored: the world and the hash it had when it was taken.
#[derive(Serialize, Deserialize)]
pub struct StoredCheckpoint {
    pub hash: StateHash,
    pub save: WorldSave,
}

/// What `brogue check` found in one world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckReport {
    pub world: String,
    /// Where the durable journal ends: the world was replayed to this tick.
    pub tick: u64,
    /// The state hash there.
    pub state: StateHash,
    /// The newest checkpoint's tick, where the replay began.
    pub checkpoint: u64,
    /// Spawns the world has known.
    pub spawns: usize,
    /// Units mined, held (packs, vaults, piles) and spent in crafting, over all spawns.
    pub mined: u64,
    pub held: u64,
    pub spent: u64,
    /// Whether the previous checkpoint, replayed through the journal, reached the newest
    /// checkpoint's hash (`None`: only one checkpoint is kept so far).
    pub replay_matches: Option<bool>,
    /// Everything wrong, in words; empty when the world is sound.
    pub violations: Vec<String>,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.violations.is_empty()
    }
}

/// The database, open for writing or (for checks) only for reading.
enum Db {
    Write(Database),
    Read(ReadOnlyDatabase),
}

impl Db {
    fn begin_read(&self) -> Result<ReadTransaction, redb::TransactionError> {
        match self {
            Db::Write(db) => db.begin_read(),
            Db::Read(db) => db.begin_read(),
        }
    }
}

/// The save file.
pub struct Store {
    db: Db,
    path: PathBuf,
    /// It was not closed cleanly and redb repaired it on open.
    repaired: bool,
    /// For a read-only check of a file needing repair: the repaired copy, removed on drop.
    _copy: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("repaired", &self.repaired)
            .finish()
    }
}

impl Store {
    /// Opens (or creates) the save at `path` for writing. A file that exists but is empty is
    /// refused, untouched; one that was not closed cleanly is repaired (see
    /// [`Store::was_repaired`]).
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Io {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        }
        refuse_empty(path)?;
        // A save from another brogue must be refused before a writer touches it.
        if path.exists() {
            match ReadOnlyDatabase::open(path) {
                Ok(db) => match Store::init(Db::Read(db), path, false, None) {
                    // An older save this brogue converts: the writer below does it.
                    Ok(_) | Err(StoreError::NeedsUpgrade { .. }) => {}
                    Err(e) => return Err(e),
                },
                // Not closed cleanly: only a writer can repair it, and only our own brogue
                // leaves a file that way (the schema is checked again once it is open).
                Err(redb::DatabaseError::RepairAborted) => {}
                Err(e) => return Err(open_error(path, e)),
            }
        }
        let repaired = Rc::new(Cell::new(false));
        let flag = repaired.clone();
        let mut builder = Database::builder();
        builder.set_repair_callback(move |_| flag.set(true));
        // redb treats some impossible-for-its-own-files states as bugs and panics in debug
        // builds; a foreign or damaged file must still become an error, not a crash.
        let opened =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| builder.create(path)))
                .map_err(|panic| StoreError::Corrupt {
                    path: path.to_owned(),
                    reason: panic_text(&panic),
                })?;
        let db = opened.map_err(|e| open_error(path, e))?;
        Store::init(Db::Write(db), path, repaired.get(), None)
    }

    /// Opens a save on another storage backend (tests inject faults this way); `label` names it
    /// in messages.
    pub fn open_with_backend(
        backend: impl StorageBackend,
        label: &Path,
    ) -> Result<Store, StoreError> {
        let repaired = Rc::new(Cell::new(false));
        let flag = repaired.clone();
        let db = Database::builder()
            .set_repair_callback(move |_| flag.set(true))
            .create_with_backend(backend)
            .map_err(|e| open_error(label, e))?;
        Store::init(Db::Write(db), label, repaired.get(), None)
    }

    /// Opens the save at `path` without changing it, for checks. A file a host holds is
    /// refused ([`StoreError::Locked`]); a file that needs repair is copied and the copy
    /// repaired and read, leaving the original as it is (see [`Store::was_repaired`]).
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        refuse_empty(path)?;
        match ReadOnlyDatabase::open(path) {
            Ok(db) => Store::init(Db::Read(db), path, false, None),
            Err(redb::DatabaseError::RepairAborted) => {
                let dir = tempfile::tempdir().map_err(|e| StoreError::Io {
                    path: path.to_owned(),
                    reason: format!("cannot make a scratch copy to check: {e}"),
                })?;
                let copy = dir.path().join(FILE_NAME);
                std::fs::copy(path, &copy).map_err(|e| StoreError::Io {
                    path: path.to_owned(),
                    reason: format!("cannot make a scratch copy to check: {e}"),
                })?;
                let db = Database::create(&copy).map_err(|e| open_error(path, e))?;
                Store::init(Db::Write(db), path, true, Some(dir))
            }
            Err(e) => Err(open_error(path, e)),
        }
    }

    fn init(
        db: Db,
        path: &Path,
        repaired: bool,
        copy: Option<tempfile::TempDir>,
    ) -> Result<Store, StoreError> {
        let store = Store {
            db,
            path: path.to_owned(),
            repaired,
            _copy: copy,
        };
        store.check_schema()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file was not closed cleanly (a crash, a kill) and had to be repaired.
    pub fn was_repaired(&self) -> bool {
        self.repaired
    }

    /// Closes the file cleanly, so the next open needs no repair.
    pub fn close(self) -> Result<(), StoreError> {
        match self.db {
            Db::Write(db) => db.close().map_err(|e| StoreError::Io {
                path: self.path.clone(),
                reason: e.to_string(),
            }),
            Db::Read(db) => db.close().map_err(|e| StoreError::Io {
                path: self.path.clone(),
                reason: e.to_string(),
            }),
        }
    }

    fn writer(&self) -> Result<&Database, StoreError> {
        match &self.db {
            Db::Write(db) => Ok(db),
            Db::Read(_) => Err(StoreError::Io {
                path: self.path.clone(),
                reason: "the save was opened read-only".into(),
            }),
        }
    }

    fn check_schema(&self) -> Result<(), StoreError> {
        let found = {
            let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
            match txn.open_table(META) {
                Ok(meta) => meta
                    .get(SCHEMA_KEY)
                    .map_err(|e| self.fail(e))?
                    .map(|v| v.value()),
                Err(redb::TableError::TableDoesNotExist(_)) => None,
                Err(e) => return Err(self.fail(e)),
            }
        };
        match found {
            Some(v) if v > SCHEMA_VERSION => Err(StoreError::TooNew {
                path: self.path.clone(),
                found: v,
            }),
            Some(v @ (3..=7)) if matches!(self.db, Db::Read(_)) => Err(StoreError::NeedsUpgrade {
                path: self.path.clone(),
                found: v,
            }),
            Some(3) => self.upgrade::<game::world::WorldSaveV3>(game::world::WorldSaveV3::upgrade),
            Some(4) => self.upgrade::<game::world::WorldSaveV4>(game::world::WorldSaveV4::upgrade),
            Some(5) => self.upgrade::<game::world::WorldSaveV5>(game::world::WorldSaveV5::upgrade),
            Some(6) => self.upgrade::<game::world::WorldSaveV6>(game::world::WorldSaveV6::upgrade),
            Some(7) => self.upgrade::<game::world::WorldSaveV7>(game::world::WorldSaveV7::upgrade),
            Some(v) if v < SCHEMA_VERSION => Err(StoreError::TooOld {
                path: self.path.clone(),
                found: v,
            }),
            Some(_) => Ok(()),
            None if matches!(self.db, Db::Read(_)) => Err(StoreError::Corrupt {
                path: self.path.clone(),
                reason: "it holds no brogue save".into(),
            }),
            None => self.write(|txn| {
                txn.open_table(META)?.insert(SCHEMA_KEY, SCHEMA_VERSION)?;
                // Create every table so readers never meet a missing one.
                txn.open_table(CHECKPOINTS)?;
                txn.open_table(JOURNAL)?;
                txn.open_table(JOURNAL_END)?;
                txn.open_table(TRADES)?;
                txn.open_table(OUTBOX)?;
                txn.open_table(INVITES)?;
                txn.open_table(PROOFS)?;
                Ok(())
            }),
        }
    }

    /// An older schema → today's, in one transaction with the version row: each world's newest
    /// checkpoint, decoded in the old shape `Old`, is rewritten by `upgrade` with its new hash.
    /// Its older checkpoints are dropped: they were made under older rules, and neither
    /// `check` nor a replay could play from them to today's state (the world plays on under
    /// today's rules from its newest checkpoint; a crashed world's journal after it is played
    /// by today's rules on load). The journal, trades and the rest keep their shape (inputs
    /// only gained variants).
    /// - 3 → 4 → 5 → 7 → 8 (parties): a together world whose players are all in one party
    ///   ([`game::world::WorldSaveV3::upgrade`]);
    /// - 4 → 5 → 7 → 8 (experience, combat time, the tick of leaving): characters at no experience
    ///   and out of combat, absent players counted as having left at the checkpoint
    ///   ([`game::world::WorldSaveV4::upgrade`]);
    /// - 5 → 7 → 8 (potions and scrolls): nobody knows any kind yet, nobody is hasted or detecting;
    ///   floors already made hold none, floors made from now on do
    ///   ([`game::world::WorldSaveV5::upgrade`]), every monster awake;
    /// - 6 → 7 → 8 (telegraphed specials, repopulation): no monster is winding up, every floor
    ///   counts as visited at the checkpoint ([`game::world::WorldSaveV6::upgrade`]);
    /// - 7 → 8 (talents, the withdrawn taint): nobody chose a talent yet (one already reached
    ///   is due), no ore or item is marked as out of a vault; characters who withdrew stay
    ///   impure ([`game::world::WorldSaveV7::upgrade`]).
    fn upgrade<Old: serde::de::DeserializeOwned>(
        &self,
        upgrade: fn(Old) -> game::WorldSave,
    ) -> Result<(), StoreError> {
        #[derive(serde::Deserialize)]
        struct StoredCheckpointOld<Old> {
            #[allow(dead_code)]
            hash: StateHash,
            save: Old,
        }
        self.write(|txn| {
            let mut table = txn.open_table(CHECKPOINTS)?;
            let mut newest: BTreeMap<String, (u64, Vec<u8>)> = BTreeMap::new();
            let mut older = Vec::new();
            for row in table.iter()? {
                let (key, value) = row?;
                let (world, tick) = key.value();
                if let Some((t, _)) =
                    newest.insert(world.to_owned(), (tick, value.value().to_vec()))
                {
                    older.push((world.to_owned(), t));
                }
            }
            for (world, tick) in &older {
                table.remove((world.as_str(), *tick))?;
            }
            for (world, (tick, bytes)) in &newest {
                let old: StoredCheckpointOld<Old> = self
                    .decode(bytes, "checkpoint")
                    .map_err(WriteError::Store)?;
                let save = upgrade(old.save);
                let stored = StoredCheckpoint {
                    hash: save.state_hash(),
                    save,
                };
                table.insert((world.as_str(), *tick), encode(&stored).as_slice())?;
            }
            txn.open_table(META)?.insert(SCHEMA_KEY, SCHEMA_VERSION)?;
            Ok(())
        })
    }

    /// Runs `f` in one write transaction with immediate durability.
    fn write(
        &self,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<(), WriteError>,
    ) -> Result<(), StoreError> {
        let mut txn = self.writer()?.begin_write().map_err(|e| self.fail(e))?;
        txn.set_durability(Durability::Immediate)
            .map_err(|e| self.fail(e))?;
        match f(&txn) {
            Ok(()) => txn.commit().map_err(|e| self.fail(e)),
            Err(WriteError::Redb(e)) => Err(self.fail(e)),
            Err(WriteError::Store(e)) => Err(e),
        }
    }

    // ----- writing -----

    /// Writes a new world: its first checkpoint, and a journal that starts there.
    pub fn create_world(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        let name = checkpoint.save.core.name.as_str();
        let bytes = encode(&StoredCheckpoint {
            hash: checkpoint.state_hash(),
            save: checkpoint.save.clone(),
        });
        self.write(|txn| {
            self.begin_world(txn, name, checkpoint.tick.0)?;
            txn.open_table(CHECKPOINTS)?
                .insert((name, checkpoint.tick.0), bytes.as_slice())?;
            Ok(())
        })
    }

    /// Starts world `name` with a journal ending at `end`, refusing a name already taken.
    fn begin_world(
        &self,
        txn: &redb::WriteTransaction,
        name: &str,
        end: u64,
    ) -> Result<(), WriteError> {
        let mut ends = txn.open_table(JOURNAL_END)?;
        if ends.get(name)?.is_some() {
            return Err(WriteError::Store(StoreError::Exists {
                path: self.path.clone(),
                world: name.to_owned(),
            }));
        }
        ends.insert(name, end)?;
        Ok(())
    }

    /// Appends the journal entries of consecutive ticks to world `name`, with the trades they
    /// completed (and, with `outbox`, their leaderboard facts), in one transaction: durable
    /// when this returns. The first entry must be the tick where the journal ends.
    pub fn append(
        &self,
        name: &str,
        entries: &[JournalEntry],
        outbox: bool,
    ) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        self.write(|txn| {
            let mut ends = txn.open_table(JOURNAL_END)?;
            let mut end = ends
                .get(name)?
                .map(|v| v.value())
                .ok_or_else(|| self.refused(name, "the world does not exist".into()))?;
            let mut journal = txn.open_table(JOURNAL)?;
            let mut trades = txn.open_table(TRADES)?;
            let mut facts = txn.open_table(OUTBOX)?;
            let mut proofs = txn.open_table(PROOFS)?;
            for entry in entries {
                if entry.tick.0 != end {
                    let why = format!("tick {} follows a journal ending at {end}", entry.tick.0);
                    return Err(self.refused(name, why));
                }
                if !entry.inputs.is_empty() {
                    journal.insert((name, end), encode(&entry.inputs).as_slice())?;
                }
                for trade in &entry.trades {
                    trades.insert((name, trade.id), encode(trade).as_slice())?;
                }
                for fact in &entry.facts {
                    if let game::fact::FactKind::Proof { state } = fact.kind {
                        proofs.insert((name, entry.tick.0), state.0)?;
                    }
                }
                if outbox {
                    for (i, fact) in entry.facts.iter().enumerate() {
                        let waiting = OutboxFact {
                            id: entry.fact_id(i),
                            tick: entry.tick,
                            unix: entry.unix,
                            fact: fact.clone(),
                        };
                        facts.insert((name, waiting.id), encode(&waiting).as_slice())?;
                    }
                }
                end += 1;
            }
            ends.insert(name, end)?;
            if let Some(last) = entries.last() {
                txn.open_table(PLAYED)?.insert(name, last.unix)?;
            }
            Ok(())
        })
    }

    /// Writes a checkpoint of world `name` (its journal must reach the checkpoint's tick), and
    /// lets go of checkpoints nothing starts from: of those before the previous one, only the
    /// first of every [`MILESTONE_TICKS`] span stays (replays start there). The journal stays
    /// whole: it is what replays are made of (a few bytes per action).
    pub fn checkpoint(&self, name: &str, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        let bytes = encode(&StoredCheckpoint {
            hash: checkpoint.state_hash(),
            save: checkpoint.save.clone(),
        });
        self.write(|txn| {
            let end = txn
                .open_table(JOURNAL_END)?
                .get(name)?
                .map(|v| v.value())
                .ok_or_else(|| self.refused(name, "the world does not exist".into()))?;
            if checkpoint.tick.0 > end {
                let why = format!(
                    "a checkpoint at tick {} is ahead of the journal, which ends at {end}",
                    checkpoint.tick.0
                );
                return Err(self.refused(name, why));
            }
            let mut table = txn.open_table(CHECKPOINTS)?;
            table.insert((name, checkpoint.tick.0), bytes.as_slice())?;
            let ticks: Vec<u64> = table
                .range((name, 0)..=(name, u64::MAX))?
                .map(|row| row.map(|(k, _)| k.value().1))
                .collect::<Result<_, _>>()?;
            // Keep the newest two (recovery starts at the newest; checks replay from the
            // other) and each span's first (replays start there).
            let recent = ticks.len().saturating_sub(2);
            for (i, t) in ticks[..recent].iter().enumerate() {
                let first_of_span = i == 0 || ticks[i - 1] / MILESTONE_TICKS != t / MILESTONE_TICKS;
                if !first_of_span {
                    table.remove((name, *t))?;
                }
            }
            Ok(())
        })
    }

    /// Forgets outbox facts of world `name` the central database confirmed. Not forced to disk:
    /// if a crash undoes it, the facts are sent again and the database ignores the repeats.
    pub fn confirm_outbox(&self, name: &str, ids: &[u64]) -> Result<(), StoreError> {
        let mut txn = self.writer()?.begin_write().map_err(|e| self.fail(e))?;
        txn.set_durability(Durability::None)
            .map_err(|e| self.fail(e))?;
        {
            let mut table = txn.open_table(OUTBOX).map_err(|e| self.fail(e))?;
            for id in ids {
                table.remove((name, *id)).map_err(|e| self.fail(e))?;
            }
        }
        txn.commit().map_err(|e| self.fail(e))
    }

    /// Replaces the invite secrets issued for `world`.
    pub fn set_invite_secrets(
        &self,
        world: &str,
        secrets: &[IssuedSecret],
    ) -> Result<(), StoreError> {
        let bytes = encode(&secrets.to_vec());
        self.write(|txn| {
            txn.open_table(INVITES)?.insert(world, bytes.as_slice())?;
            Ok(())
        })
    }

    /// The keys banned from world `world` from now on (`brogue admin ban`).
    pub fn set_bans(&self, world: &str, bans: &[game::PlayerId]) -> Result<(), StoreError> {
        let bytes = encode(&bans.to_vec());
        self.write(|txn| {
            txn.open_table(BANS)?.insert(world, bytes.as_slice())?;
            Ok(())
        })
    }

    // ----- reading -----

    /// Loads world `name` as it was at the end of its durable journal (the newest checkpoint
    /// with the journal after it replayed), or `None` if this save has no such world.
    pub fn load_world(&self, name: &str) -> Result<Option<World>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
        let Some(end) = self.journal_end(&txn, name)? else {
            return Ok(None);
        };
        let checkpoints = self.checkpoints(&txn, name)?;
        let Some((tick, stored)) = checkpoints.into_iter().next_back() else {
            return Err(self.corrupt(format!("world {name} has no checkpoint")));
        };
        let checkpoint = self.verified(name, tick, stored)?;
        let journal = self.journal(&txn, name, tick)?;
        self.recover(checkpoint, journal, end).map(Some)
    }

    /// What a replay of world `name` from tick `from` to tick `to` (exclusive) is made of: the
    /// newest kept checkpoint at or before `from` (the oldest when `from` is `None`) and the
    /// journal from it to `to` (the end of the journal when `None`). `None` when there is no
    /// such world; refused when the span is outside what the save keeps.
    pub fn span(
        &self,
        name: &str,
        from: Option<u64>,
        to: Option<u64>,
    ) -> Result<Option<Span>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
        let Some(end) = self.journal_end(&txn, name)? else {
            return Ok(None);
        };
        let checkpoints = self.checkpoints(&txn, name)?;
        let Some(oldest) = checkpoints.first().map(|(t, _)| *t) else {
            return Err(self.corrupt(format!("world {name} has no checkpoint")));
        };
        let refuse = |reason: String| StoreError::Refused {
            path: self.path.clone(),
            world: name.to_owned(),
            reason,
        };
        let to = to.unwrap_or(end);
        let from = from.unwrap_or(oldest);
        if to > end {
            return Err(refuse(format!(
                "the world has played up to tick {end}; it cannot be replayed to tick {to}"
            )));
        }
        if from > to {
            return Err(refuse(format!("tick {from} comes after tick {to}")));
        }
        let Some((tick, stored)) = checkpoints.into_iter().rev().find(|(t, _)| *t <= from) else {
            return Err(refuse(format!(
                "the save keeps this world from tick {oldest} on (a save converted from an older \
                 brogue, or made before replays existed, keeps it only from there); ask for \
                 --from {oldest} or later"
            )));
        };
        let checkpoint = self.verified(name, tick, stored)?;
        let journal = self
            .journal(&txn, name, tick)?
            .into_iter()
            .take_while(|(t, _)| t.0 < to)
            .collect();
        Ok(Some(Span {
            checkpoint,
            journal,
            from,
            to,
        }))
    }

    /// Checks world `name` through and through: the newest checkpoint reads and has the hash it
    /// was stored with; the previous checkpoint replayed through the journal reaches that hash;
    /// the journal after the newest replays; every spawn's ore adds up.
    pub fn check(&self, name: &str) -> Result<Option<CheckReport>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
        let Some(end) = self.journal_end(&txn, name)? else {
            return Ok(None);
        };
        let mut violations = Vec::new();
        let mut checkpoints = self.checkpoints(&txn, name)?;
        let Some((newest_tick, newest)) = checkpoints.pop() else {
            return Err(self.corrupt(format!("world {name} has no checkpoint")));
        };
        let newest_hash = newest.hash;
        let replay_matches = match checkpoints.pop() {
            Some((tick, previous)) => {
                let previous = self.verified(name, tick, previous)?;
                let span: Vec<_> = self
                    .journal(&txn, name, tick)?
                    .into_iter()
                    .filter(|(t, _)| t.0 < newest_tick)
                    .collect();
                let replayed = self.recover(previous, span, newest_tick)?;
                let matches = replayed.state_hash() == newest_hash;
                if !matches {
                    violations.push(format!(
                        "replaying the journal from the checkpoint at tick {tick} does not reach \
                         the checkpoint at tick {newest_tick}"
                    ));
                }
                Some(matches)
            }
            None => None,
        };
        let checkpoint = self.verified(name, newest_tick, newest)?;
        let journal = self.journal(&txn, name, newest_tick)?;
        let world = self.recover(checkpoint, journal, end)?;
        let economy = world.economy();
        for v in economy.conservation() {
            violations.push(format!(
                "spawn {}: {} units mined, but {} held and {} spent",
                v.spawn.0, v.mined, v.held, v.spent
            ));
        }
        let held: u64 = economy.totals().values().sum();
        let mined: u64 = economy.mined().values().sum();
        let spent: u64 = economy.spent().values().sum();
        Ok(Some(CheckReport {
            world: name.to_owned(),
            tick: end,
            state: world.state_hash(),
            checkpoint: newest_tick,
            spawns: economy.spawns.all().count(),
            mined,
            held,
            spent,
            replay_matches,
            violations,
        }))
    }

    /// Every world in this save, by name.
    pub fn worlds(&self) -> Result<Vec<WorldSummary>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
        let ends = txn.open_table(JOURNAL_END).map_err(|e| self.fail(e))?;
        let names: Vec<(String, u64)> = ends
            .iter()
            .map_err(|e| self.fail(e))?
            .map(|row| row.map(|(k, v)| (k.value().to_owned(), v.value())))
            .collect::<Result<_, _>>()
            .map_err(|e| self.fail(e))?;
        let mut out = Vec::new();
        for (name, end) in names {
            let Some((_, stored)) = self.checkpoints(&txn, &name)?.pop() else {
                return Err(self.corrupt(format!("world {name} has no checkpoint")));
            };
            out.push(WorldSummary {
                seed: stored.save.core.seed,
                tick: end,
                players: stored.save.core.players.len(),
                floors: stored.save.floors.len(),
                last_played: self.last_played(&txn, &name)?,
                bytes: self.world_bytes(&txn, &name)?,
                parties: !stored.save.core.together(),
                name,
            });
        }
        Ok(out)
    }

    /// The leaderboard of world `name`: every player, most victories first, then pure
    /// victories, deepest floor and monsters slain.
    pub fn leaderboard(&self, name: &str) -> Result<Vec<LeaderRow>, StoreError> {
        let Some(world) = self.load_world(name)? else {
            return Ok(Vec::new());
        };
        let victories = world.economy().victories();
        let proofs: std::collections::BTreeMap<u64, StateHash> =
            self.victory_proofs(name)?.into_iter().collect();
        let mut rows: Vec<LeaderRow> = world
            .players()
            .map(|(id, player)| {
                let wins: Vec<_> = victories.iter().filter(|v| v.player == *id).collect();
                LeaderRow {
                    name: player.name.clone(),
                    victories: wins.len() as u32,
                    pure_victories: wins.iter().filter(|v| v.pure).count() as u32,
                    deepest: player.stats.deepest,
                    kills: player.stats.kills,
                    deaths: player.stats.deaths,
                    best_crafted: player.stats.best_crafted.clone(),
                    last_victory_class: wins.last().map(|v| v.class),
                    proofs: wins
                        .iter()
                        .filter_map(|v| Some((v.tick.0, *proofs.get(&v.tick.0)?)))
                        .collect(),
                }
            })
            .collect();
        rank(&mut rows);
        Ok(rows)
    }

    /// The victory proofs of world `name`: (tick, state hash after it), oldest first.
    pub fn victory_proofs(&self, name: &str) -> Result<Vec<(u64, StateHash)>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
        let table = match txn.open_table(PROOFS) {
            Ok(table) => table,
            // A file made before proofs existed.
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(self.fail(e)),
        };
        let rows = table
            .range((name, 0)..=(name, u64::MAX))
            .map_err(|e| self.fail(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (key, value) = row.map_err(|e| self.fail(e))?;
            out.push((key.value().1, StateHash(value.value())));
        }
        Ok(out)
    }

    /// Where world `name`'s durable journal ends (exclusive): the tick it resumes at.
    pub fn end_of_journal(&self, name: &str) -> Result<Option<Tick>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
        Ok(self.journal_end(&txn, name)?.map(Tick))
    }

    /// World `name`'s trade history, oldest first.
    pub fn trades(&self, name: &str) -> Result<Vec<TradeRecord>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
        let table = txn.open_table(TRADES).map_err(|e| self.fail(e))?;
        let rows = table
            .range((name, 0)..=(name, u64::MAX))
            .map_err(|e| self.fail(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (_, value) = row.map_err(|e| self.fail(e))?;
            out.push(self.decode(value.value(), "trade")?);
        }
        Ok(out)
    }

    /// Up to `max` outbox facts of world `name`, oldest first.
    pub fn outbox(&self, name: &str, max: usize) -> Result<Vec<OutboxFact>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
        let table = txn.open_table(OUTBOX).map_err(|e| self.fail(e))?;
        let rows = table
            .range((name, 0)..=(name, u64::MAX))
            .map_err(|e| self.fail(e))?;
        let mut out = Vec::new();
        for row in rows.take(max) {
            let (_, value) = row.map_err(|e| self.fail(e))?;
            out.push(self.decode(value.value(), "outbox")?);
        }
        Ok(out)
    }

    /// The invite secrets issued for `world`, oldest first.
    pub fn invite_secrets(&self, world: &str) -> Result<Vec<IssuedSecret>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
        let table = txn.open_table(INVITES).map_err(|e| self.fail(e))?;
        match table.get(world).map_err(|e| self.fail(e))? {
            Some(v) => self.decode(v.value(), "invites"),
            None => Ok(Vec::new()),
        }
    }

    /// The keys banned from world `world`.
    pub fn bans(&self, world: &str) -> Result<Vec<game::PlayerId>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
        let table = match txn.open_table(BANS) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(self.fail(e)),
        };
        match table.get(world).map_err(|e| self.fail(e))? {
            Some(v) => self.decode(v.value(), "bans"),
            None => Ok(Vec::new()),
        }
    }

    // ----- inside -----

    fn journal_end(&self, txn: &ReadTransaction, name: &str) -> Result<Option<u64>, StoreError> {
        let ends = txn.open_table(JOURNAL_END).map_err(|e| self.fail(e))?;
        Ok(ends.get(name).map_err(|e| self.fail(e))?.map(|v| v.value()))
    }

    /// Every stored checkpoint of `name`, oldest first.
    /// When world `name` was last played, if the file knows.
    fn last_played(&self, txn: &ReadTransaction, name: &str) -> Result<Option<u64>, StoreError> {
        match txn.open_table(PLAYED) {
            Ok(table) => Ok(table
                .get(name)
                .map_err(|e| self.fail(e))?
                .map(|v| v.value())),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// What world `name`'s rows take: keys and values of every table it has rows in.
    fn world_bytes(&self, txn: &ReadTransaction, name: &str) -> Result<u64, StoreError> {
        let key = name.len() as u64 + 8;
        let mut bytes = 0;
        for def in [CHECKPOINTS, JOURNAL, TRADES, OUTBOX] {
            let table = match txn.open_table(def) {
                Ok(table) => table,
                Err(redb::TableError::TableDoesNotExist(_)) => continue,
                Err(e) => return Err(self.fail(e)),
            };
            let rows = table
                .range((name, 0)..=(name, u64::MAX))
                .map_err(|e| self.fail(e))?;
            for row in rows {
                let (_, value) = row.map_err(|e| self.fail(e))?;
                bytes += key + value.value().len() as u64;
            }
        }
        if let Ok(table) = txn.open_table(PROOFS) {
            let rows = table
                .range((name, 0)..=(name, u64::MAX))
                .map_err(|e| self.fail(e))?;
            bytes += rows.count() as u64 * (key + 32);
        }
        if let Ok(table) = txn.open_table(INVITES)
            && let Some(v) = table.get(name).map_err(|e| self.fail(e))?
        {
            bytes += name.len() as u64 + v.value().len() as u64;
        }
        Ok(bytes + 2 * key)
    }

    fn checkpoints(
        &self,
        txn: &ReadTransaction,
        name: &str,
    ) -> Result<Vec<(u64, StoredCheckpoint)>, StoreError> {
        let table = txn.open_table(CHECKPOINTS).map_err(|e| self.fail(e))?;
        let rows = table
            .range((name, 0)..=(name, u64::MAX))
            .map_err(|e| self.fail(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (key, value) = row.map_err(|e| self.fail(e))?;
            out.push((key.value().1, self.decode(value.value(), "checkpoint")?));
        }
        Ok(out)
    }

    /// A stored checkpoint whose world still has the hash it was stored with.
    fn verified(
        &self,
        name: &str,
        tick: u64,
        stored: StoredCheckpoint,
    ) -> Result<Checkpoint, StoreError> {
        if stored.save.state_hash() != stored.hash {
            return Err(self.corrupt(format!(
                "the checkpoint of world {name} at tick {tick} does not match its hash"
            )));
        }
        Ok(Checkpoint {
            tick: Tick(tick),
            save: stored.save,
        })
    }

    /// The journal rows of `name` from tick `from` on.
    fn journal(
        &self,
        txn: &ReadTransaction,
        name: &str,
        from: u64,
    ) -> Result<Vec<(Tick, Vec<Input>)>, StoreError> {
        let table = txn.open_table(JOURNAL).map_err(|e| self.fail(e))?;
        let rows = table
            .range((name, from)..=(name, u64::MAX))
            .map_err(|e| self.fail(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (key, value) = row.map_err(|e| self.fail(e))?;
            out.push((Tick(key.value().1), self.decode(value.value(), "journal")?));
        }
        Ok(out)
    }

    fn recover(
        &self,
        checkpoint: Checkpoint,
        journal: Vec<(Tick, Vec<Input>)>,
        end: u64,
    ) -> Result<World, StoreError> {
        host::journal::recover(checkpoint, journal, Tick(end))
            .map_err(|e| self.corrupt(e.to_string()))
    }

    fn corrupt(&self, reason: String) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            reason,
        }
    }

    fn refused(&self, world: &str, reason: String) -> WriteError {
        WriteError::Store(StoreError::Refused {
            path: self.path.clone(),
            world: world.to_owned(),
            reason,
        })
    }

    fn fail(&self, e: impl Into<redb::Error>) -> StoreError {
        redb_error(&self.path, e.into())
    }

    fn decode<T: serde::de::DeserializeOwned>(
        &self,
        bytes: &[u8],
        what: &str,
    ) -> Result<T, StoreError> {
        postcard::from_bytes(bytes)
            .map_err(|e| self.corrupt(format!("a {what} record cannot be read: {e}")))
    }
}

/// Most victories first, then pure victories, deepest floor and monsters slain; ties by name.
pub fn rank(rows: &mut [LeaderRow]) {
    rows.sort_by(|a, b| {
        (b.victories, b.pure_victories, b.deepest, b.kills)
            .cmp(&(a.victories, a.pure_victories, a.deepest, a.kills))
            .then_with(|| a.name.cmp(&b.name))
    });
}

/// Inside a write: either redb failed or the store refused.
enum WriteError {
    Redb(redb::Error),
    Store(StoreError),
}

impl<E: Into<redb::Error>> From<E> for WriteError {
    fn from(e: E) -> WriteError {
        WriteError::Redb(e.into())
    }
}

fn refuse_empty(path: &Path) -> Result<(), StoreError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() && m.len() == 0 => Err(StoreError::Empty {
            path: path.to_owned(),
        }),
        _ => Ok(()),
    }
}

fn open_error(path: &Path, e: redb::DatabaseError) -> StoreError {
    match e {
        redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Locked {
            path: path.to_owned(),
        },
        redb::DatabaseError::Storage(redb::StorageError::Io(io))
            if io.kind() != std::io::ErrorKind::InvalidData =>
        {
            StoreError::Io {
                path: path.to_owned(),
                reason: io.to_string(),
            }
        }
        other => StoreError::Corrupt {
            path: path.to_owned(),
            reason: other.to_string(),
        },
    }
}

fn redb_error(path: &Path, e: redb::Error) -> StoreError {
    match e {
        redb::Error::Io(io) if io.kind() != std::io::ErrorKind::InvalidData => StoreError::Io {
            path: path.to_owned(),
            reason: io.to_string(),
        },
        redb::Error::PreviousIo => StoreError::Io {
            path: path.to_owned(),
            reason: "an earlier write failed; the save must be reopened".into(),
        },
        redb::Error::DatabaseAlreadyOpen => StoreError::Locked {
            path: path.to_owned(),
        },
        other => StoreError::Corrupt {
            path: path.to_owned(),
            reason: other.to_string(),
        },
    }
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).expect("in-memory encoding cannot fail")
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unreadable file".to_owned())
}
