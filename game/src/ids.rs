//! Identifiers: players (by the hash of their key) and entities inside a world.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A player *is* the SHA-256 of their certificate's public key (SPKI). Display names are labels.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PlayerId(pub [u8; 32]);

impl PlayerId {
    /// The first 8 bytes in hex: enough for a human to compare two keys at a glance.
    pub fn short(&self) -> String {
        hex(&self.0[..8])
    }
}

impl fmt::Display for PlayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl fmt::Debug for PlayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlayerId({})", self.short())
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A creature (character or monster) inside one world. Never reused within a world.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EntityId(pub u64);

/// A party inside one world: players who share sight, map memory and news. Never reused within
/// a world; a player alone is a party of one.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PartyId(pub u32);
