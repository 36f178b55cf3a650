//! Every table of the save file, in one place, with the schema version they make up.
//!
//! Bump [`SCHEMA_VERSION`] whenever a table or an encoded type changes shape (including the
//! `game` types stored with postcard), and teach [`crate::Store::open`] to migrate.

use redb::TableDefinition;

/// The layout this build reads and writes.
pub const SCHEMA_VERSION: u64 = 2;

/// `"schema_version"` → [`SCHEMA_VERSION`] of the file.
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// world name → postcard of `game::world::Core` without its players and economy.
pub const WORLDS: TableDefinition<&str, &[u8]> = TableDefinition::new("worlds");
/// world name → postcard of `game::economy::Economy`: every ore unit and item. Changed only by
/// applying ledger entries, one write transaction each; never by snapshots.
pub const ECONOMY: TableDefinition<&str, &[u8]> = TableDefinition::new("economy");
/// (world name, depth) → postcard of `game::floor::Floor`.
pub const FLOORS: TableDefinition<(&str, u8), &[u8]> = TableDefinition::new("floors");
/// (world name, player id) → postcard of `game::world::Player` (with their character).
pub const PLAYERS: TableDefinition<(&str, [u8; 32]), &[u8]> = TableDefinition::new("players");
/// world name → postcard of the invite secrets the host issued for it.
pub const INVITES: TableDefinition<&str, &[u8]> = TableDefinition::new("invites");

pub const SCHEMA_KEY: &str = "schema_version";
