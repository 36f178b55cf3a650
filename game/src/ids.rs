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

/// The `N` bytes written as exactly `2 * N` hex digits (either case), or `None`.
pub fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let digits = s.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let digit = |d: u8| char::from(d).to_digit(16);
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
    }
    Some(out)
}

/// A creature (character or monster) inside one world. Never reused within a world.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EntityId(pub u64);

/// A party inside one world: players who share sight, map memory and news. Never reused within
/// a world; a player alone is a party of one.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PartyId(pub u32);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_goes_there_and_back_and_nothing_else_is_read() {
        let bytes = [0x01, 0xab, 0xff, 0x10];
        assert_eq!(hex(&bytes), "01abff10");
        assert_eq!(unhex::<4>("01abff10"), Some(bytes));
        assert_eq!(unhex::<4>("01ABFF10"), Some(bytes), "either case");
        assert_eq!(unhex::<4>("01abff1"), None, "too short");
        assert_eq!(unhex::<4>("01abff100"), None, "too long");
        assert_eq!(unhex::<4>("+1abff10"), None, "a sign is not a digit");
        assert_eq!(unhex::<4>("01abfg10"), None);
        assert_eq!(unhex::<2>("éa"), None, "not ASCII");
    }
}
