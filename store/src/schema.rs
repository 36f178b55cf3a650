//! Every table of the save file, in one place, with the schema version they make up.
//!
//! Bump [`SCHEMA_VERSION`] whenever a table or an encoded type changes shape (including the
//! `game` types stored with postcard), and teach [`crate::Store::open`] to migrate.

use redb::TableDefinition;

/// The layout this build reads and writes. 4: parties (the world's core and floors gained
/// them). 5: experience and combat time (characters), the tick of leaving (players). 6: potions
/// and scrolls (what each player knows, haste and detection on characters, retired item ids),
/// sleeping monsters. 7: monsters' wind-ups of telegraphed specials, the tick each floor was
/// last visited, each floor's hidden secret doors and traps. 8: talents (characters), ore
/// withdrawn from a vault and items made from it (the economy). Files of schema 3 to 7 are
/// converted in place when opened for writing ([`crate::Store::open`]).
pub const SCHEMA_VERSION: u64 = 8;

/// `"schema_version"` → [`SCHEMA_VERSION`] of the file.
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// (world, tick) → postcard of a [`crate::StoredCheckpoint`]: the whole world before `tick`.
/// The newest is where recovery starts; the one before it stays so that `brogue check` can
/// replay the journal between them and compare hashes.
pub const CHECKPOINTS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("checkpoints");
/// (world, tick) → postcard of the `Vec<game::Input>` that tick consumed; only ticks that had
/// inputs have a row.
pub const JOURNAL: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("journal");
/// world → the end (exclusive) of its durable journal: every tick before it is recorded.
pub const JOURNAL_END: TableDefinition<&str, u64> = TableDefinition::new("journal_end");
/// (world, trade id) → postcard of a `game::economy::TradeRecord`: the trade history.
pub const TRADES: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("trades");
/// (world, fact id) → postcard of a [`crate::OutboxFact`]: leaderboard facts waiting to reach
/// the central database; written with the tick's journal entry, deleted once confirmed.
pub const OUTBOX: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("outbox");
/// world → postcard of the invite secrets the host issued for it.
pub const INVITES: TableDefinition<&str, &[u8]> = TableDefinition::new("invites");
/// (world, tick) → the state hash after a tick that won a victory: what a replay must reach
/// to prove it. Added within schema 3: a file without the table has no proofs yet.
pub const PROOFS: TableDefinition<(&str, u64), [u8; 32]> = TableDefinition::new("proofs");

pub const SCHEMA_KEY: &str = "schema_version";
/// world → unix seconds of the newest tick journaled: when it was last played (added within
/// schema 3: a file made before it simply has no row, and older brogues ignore the table).
pub const PLAYED: TableDefinition<&str, u64> = TableDefinition::new("played");
/// world → postcard of the `Vec<PlayerId>` the admin banned from it (added within schema 3,
/// like `played`).
pub const BANS: TableDefinition<&str, &[u8]> = TableDefinition::new("bans");
