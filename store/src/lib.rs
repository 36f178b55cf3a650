//! Brogue's persistence: one redb file in the data dir holding every world's core, floors and
//! players, plus the invite secrets a host issued.
//!
//! `store` exposes a domain API (create, save and load a world, apply an economy entry, list
//! worlds, read the leaderboard) and never hands out transactions. Every write is one
//! transaction with immediate durability: after a crash the file holds either the state before
//! it or after it, never a mix.
//!
//! Two kinds of write, kept apart: **snapshots** (`save_world`) of the world's core, players and
//! changed floors, every few seconds; and the **economy**, changed only by
//! [`Store::apply`]ing the world's ledger entries one transaction each, in order. A snapshot
//! never carries the economy, and loading restores the economy from its own table, so however
//! a crash falls between the two, every ore unit is exactly where the last applied entry left
//! it. `store` knows `game`'s types and redb; it knows nothing of networks or screens.

pub mod schema;

use std::path::{Path, PathBuf};

use game::PlayerId;
use game::class::Class;
use game::economy::{Economy, Entry};
use game::floor::Floor;
use game::world::{Core, LoadError, Player, World, WorldSave};
use redb::{Database, Durability, ReadableDatabase, ReadableTable};
use serde::{Deserialize, Serialize};

use schema::{ECONOMY, FLOORS, INVITES, META, PLAYERS, SCHEMA_KEY, SCHEMA_VERSION, WORLDS};

/// The file name of the save inside a data dir.
pub const FILE_NAME: &str = "brogue.redb";

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
    /// The disk said no.
    #[error("cannot use the save {path}: {reason}")]
    Io { path: PathBuf, reason: String },
    /// An economy entry did not apply to the stored economy (nothing was written).
    #[error("the save {path} refused an economy change: {reason}")]
    Rejected { path: PathBuf, reason: String },
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
}

/// An invite secret a host issued for a world (opaque bytes to the store).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRecord {
    pub secret: [u8; 16],
    pub expires_at: u64,
}

/// One line of `brogue`'s world list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorldSummary {
    pub name: String,
    pub seed: u64,
    pub tick: u64,
    pub players: usize,
    pub floors: usize,
}

/// The save file.
pub struct Store {
    db: Database,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (or creates) the save at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Io {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        }
        // redb treats some impossible-for-its-own-files states as bugs and panics in debug
        // builds; a foreign or damaged file must still become an error, not a crash.
        let opened = std::panic::catch_unwind(|| Database::create(path)).map_err(|panic| {
            StoreError::Corrupt {
                path: path.to_owned(),
                reason: panic_text(&panic),
            }
        })?;
        let db = opened.map_err(|e| match e {
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
        })?;
        let store = Store {
            db,
            path: path.to_owned(),
        };
        store.check_schema()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn check_schema(&self) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(|e| self.fail(e))?;
        {
            let mut meta = txn.open_table(META).map_err(|e| self.fail(e))?;
            let found = meta
                .get(SCHEMA_KEY)
                .map_err(|e| self.fail(e))?
                .map(|v| v.value());
            match found {
                Some(v) if v > SCHEMA_VERSION => {
                    return Err(StoreError::TooNew {
                        path: self.path.clone(),
                        found: v,
                    });
                }
                Some(v) if v < SCHEMA_VERSION => {
                    return Err(StoreError::TooOld {
                        path: self.path.clone(),
                        found: v,
                    });
                }
                Some(_) => {}
                None => {
                    meta.insert(SCHEMA_KEY, SCHEMA_VERSION)
                        .map_err(|e| self.fail(e))?;
                }
            }
            // Create every table so readers never meet a missing one.
            txn.open_table(WORLDS).map_err(|e| self.fail(e))?;
            txn.open_table(FLOORS).map_err(|e| self.fail(e))?;
            txn.open_table(PLAYERS).map_err(|e| self.fail(e))?;
            txn.open_table(INVITES).map_err(|e| self.fail(e))?;
            txn.open_table(ECONOMY).map_err(|e| self.fail(e))?;
        }
        txn.commit().map_err(|e| self.fail(e))
    }

    /// Writes a new world whole, its economy included (give it [`World::full_save`]; the
    /// snapshots of [`World::take_changes`] leave the economy out). One transaction.
    pub fn create_world(&self, save: &WorldSave) -> Result<(), StoreError> {
        self.write_snapshot(save, Some(&save.core.economy))
    }

    /// Writes a snapshot of a world: its core, its players, and the floors in `save` (all of
    /// them, or only those changed since the last save). The economy is not written: it moves
    /// only by [`Store::apply`]. One transaction, durable when this returns.
    pub fn save_world(&self, save: &WorldSave) -> Result<(), StoreError> {
        self.write_snapshot(save, None)
    }

    fn write_snapshot(
        &self,
        save: &WorldSave,
        economy: Option<&Economy>,
    ) -> Result<(), StoreError> {
        let name = save.core.name.as_str();
        let mut core = save.core.clone();
        let players = std::mem::take(&mut core.players);
        core.economy = Economy::default();
        let core_bytes = encode(&core);
        let mut txn = self.db.begin_write().map_err(|e| self.fail(e))?;
        txn.set_durability(Durability::Immediate)
            .map_err(|e| self.fail(e))?;
        {
            let mut worlds = txn.open_table(WORLDS).map_err(|e| self.fail(e))?;
            worlds
                .insert(name, core_bytes.as_slice())
                .map_err(|e| self.fail(e))?;
            let mut floors = txn.open_table(FLOORS).map_err(|e| self.fail(e))?;
            for floor in &save.floors {
                floors
                    .insert((name, floor.depth), encode(floor).as_slice())
                    .map_err(|e| self.fail(e))?;
            }
            let mut table = txn.open_table(PLAYERS).map_err(|e| self.fail(e))?;
            for (id, player) in &players {
                table
                    .insert((name, id.0), encode(player).as_slice())
                    .map_err(|e| self.fail(e))?;
            }
            if let Some(economy) = economy {
                let mut table = txn.open_table(ECONOMY).map_err(|e| self.fail(e))?;
                table
                    .insert(name, encode(economy).as_slice())
                    .map_err(|e| self.fail(e))?;
            }
        }
        txn.commit().map_err(|e| self.fail(e))
    }

    /// Applies one economy entry of world `name`: one write transaction that moves the units
    /// (or creates or consumes them, for mining and crafting). An entry that does not apply
    /// changes nothing.
    pub fn apply(&self, name: &str, entry: &Entry) -> Result<(), StoreError> {
        let mut txn = self.db.begin_write().map_err(|e| self.fail(e))?;
        txn.set_durability(Durability::Immediate)
            .map_err(|e| self.fail(e))?;
        {
            let mut table = txn.open_table(ECONOMY).map_err(|e| self.fail(e))?;
            let mut economy: Economy = match table.get(name).map_err(|e| self.fail(e))? {
                Some(bytes) => self.decode(bytes.value(), "economy")?,
                None => Economy::default(),
            };
            economy.apply(entry).map_err(|e| StoreError::Rejected {
                path: self.path.clone(),
                reason: e.to_string(),
            })?;
            table
                .insert(name, encode(&economy).as_slice())
                .map_err(|e| self.fail(e))?;
        }
        txn.commit().map_err(|e| self.fail(e))
    }

    /// The stored economy of world `name` (empty if none).
    pub fn economy(&self, name: &str) -> Result<Economy, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
        let table = txn.open_table(ECONOMY).map_err(|e| self.fail(e))?;
        match table.get(name).map_err(|e| self.fail(e))? {
            Some(bytes) => self.decode(bytes.value(), "economy"),
            None => Ok(Economy::default()),
        }
    }

    /// Loads the world `name`, or `None` if this save has no such world.
    pub fn load_world(&self, name: &str) -> Result<Option<World>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
        let worlds = txn.open_table(WORLDS).map_err(|e| self.fail(e))?;
        let Some(core_bytes) = worlds.get(name).map_err(|e| self.fail(e))? else {
            return Ok(None);
        };
        let mut core: Core = self.decode(core_bytes.value(), "world")?;
        let economy = txn.open_table(ECONOMY).map_err(|e| self.fail(e))?;
        core.economy = match economy.get(name).map_err(|e| self.fail(e))? {
            Some(bytes) => self.decode(bytes.value(), "economy")?,
            None => {
                return Err(StoreError::Corrupt {
                    path: self.path.clone(),
                    reason: format!("world {name} has no economy"),
                });
            }
        };
        let players = txn.open_table(PLAYERS).map_err(|e| self.fail(e))?;
        for row in players
            .range((name, [0u8; 32])..=(name, [0xffu8; 32]))
            .map_err(|e| self.fail(e))?
        {
            let (key, value) = row.map_err(|e| self.fail(e))?;
            let player: Player = self.decode(value.value(), "player")?;
            core.players.insert(PlayerId(key.value().1), player);
        }
        let floors_table = txn.open_table(FLOORS).map_err(|e| self.fail(e))?;
        let mut floors = Vec::new();
        for row in floors_table
            .range((name, 0u8)..=(name, u8::MAX))
            .map_err(|e| self.fail(e))?
        {
            let (_, value) = row.map_err(|e| self.fail(e))?;
            let floor: Floor = self.decode(value.value(), "floor")?;
            floors.push(floor);
        }
        World::from_save(WorldSave { core, floors })
            .map(Some)
            .map_err(|e: LoadError| StoreError::Corrupt {
                path: self.path.clone(),
                reason: e.to_string(),
            })
    }

    /// Every world in this save, by name.
    pub fn worlds(&self) -> Result<Vec<WorldSummary>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
        let worlds = txn.open_table(WORLDS).map_err(|e| self.fail(e))?;
        let floors = txn.open_table(FLOORS).map_err(|e| self.fail(e))?;
        let players = txn.open_table(PLAYERS).map_err(|e| self.fail(e))?;
        let mut out = Vec::new();
        for row in worlds.iter().map_err(|e| self.fail(e))? {
            let (name, value) = row.map_err(|e| self.fail(e))?;
            let name = name.value().to_owned();
            let core: Core = self.decode(value.value(), "world")?;
            let (world_players, world_floors) = {
                let p = players
                    .range((name.as_str(), [0u8; 32])..=(name.as_str(), [0xffu8; 32]))
                    .map_err(|e| self.fail(e))?
                    .count();
                let f = floors
                    .range((name.as_str(), 0u8)..=(name.as_str(), u8::MAX))
                    .map_err(|e| self.fail(e))?
                    .count();
                (p, f)
            };
            out.push(WorldSummary {
                name,
                seed: core.seed,
                tick: core.tick.0,
                players: world_players,
                floors: world_floors,
            });
        }
        Ok(out)
    }

    /// The leaderboard of world `name`: every player, most victories first, then pure
    /// victories, deepest floor and monsters slain. Victories come from the economy's durable
    /// record; the rest from the players' saved stats.
    pub fn leaderboard(&self, name: &str) -> Result<Vec<LeaderRow>, StoreError> {
        let economy = self.economy(name)?;
        let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
        let players = txn.open_table(PLAYERS).map_err(|e| self.fail(e))?;
        let mut rows = Vec::new();
        for row in players
            .range((name, [0u8; 32])..=(name, [0xffu8; 32]))
            .map_err(|e| self.fail(e))?
        {
            let (key, value) = row.map_err(|e| self.fail(e))?;
            let id = PlayerId(key.value().1);
            let player: Player = self.decode(value.value(), "player")?;
            let wins: Vec<_> = economy
                .victories()
                .iter()
                .filter(|v| v.player == id)
                .collect();
            rows.push(LeaderRow {
                name: player.name,
                victories: wins.len() as u32,
                pure_victories: wins.iter().filter(|v| v.pure).count() as u32,
                deepest: player.stats.deepest,
                kills: player.stats.kills,
                deaths: player.stats.deaths,
                best_crafted: player.stats.best_crafted,
                last_victory_class: wins.last().map(|v| v.class),
            });
        }
        rows.sort_by(|a, b| {
            (b.victories, b.pure_victories, b.deepest, b.kills)
                .cmp(&(a.victories, a.pure_victories, a.deepest, a.kills))
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(rows)
    }

    /// The invite secrets issued for `world`, oldest first.
    pub fn invite_secrets(&self, world: &str) -> Result<Vec<SecretRecord>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.fail(e))?;
        let table = txn.open_table(INVITES).map_err(|e| self.fail(e))?;
        match table.get(world).map_err(|e| self.fail(e))? {
            Some(v) => self.decode(v.value(), "invites"),
            None => Ok(Vec::new()),
        }
    }

    /// Replaces the invite secrets issued for `world`.
    pub fn set_invite_secrets(
        &self,
        world: &str,
        secrets: &[SecretRecord],
    ) -> Result<(), StoreError> {
        let mut txn = self.db.begin_write().map_err(|e| self.fail(e))?;
        txn.set_durability(Durability::Immediate)
            .map_err(|e| self.fail(e))?;
        {
            let mut table = txn.open_table(INVITES).map_err(|e| self.fail(e))?;
            table
                .insert(world, encode(&secrets.to_vec()).as_slice())
                .map_err(|e| self.fail(e))?;
        }
        txn.commit().map_err(|e| self.fail(e))
    }

    fn fail(&self, e: impl Into<redb::Error>) -> StoreError {
        match e.into() {
            redb::Error::Io(io) if io.kind() != std::io::ErrorKind::InvalidData => StoreError::Io {
                path: self.path.clone(),
                reason: io.to_string(),
            },
            redb::Error::DatabaseAlreadyOpen => StoreError::Locked {
                path: self.path.clone(),
            },
            other => StoreError::Corrupt {
                path: self.path.clone(),
                reason: other.to_string(),
            },
        }
    }

    fn decode<T: serde::de::DeserializeOwned>(
        &self,
        bytes: &[u8],
        what: &str,
    ) -> Result<T, StoreError> {
        postcard::from_bytes(bytes).map_err(|e| StoreError::Corrupt {
            path: self.path.clone(),
            reason: format!("a {what} record cannot be read: {e}"),
        })
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
