//! Deterministic randomness: ChaCha8 streams derived from the world seed, one per purpose, so a
//! new use of randomness never shifts the rolls of an existing one.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a stream of random numbers is for. Each purpose gets an independent sequence.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Layout, stairs and first monsters of the floor at `depth`.
    MapGen { depth: u8 },
    /// Hit and damage rolls.
    Combat,
    /// Monster decisions (wandering, target ties).
    Ai,
    /// Ore spawns' names and attributes.
    Spawns,
    /// Mining yields and crafting.
    Craft,
    /// How potions and scrolls look in this world.
    Looks,
    /// The potions and scrolls a new floor at `depth` holds.
    Loot { depth: u8 },
    /// What the monster with this entity id drops when killed.
    Drop { monster: u64 },
    /// Where the Scroll of Teleportation with this item id takes its reader.
    Teleport { item: u64 },
    /// Which of a new floor's monsters sleep.
    Sleep { depth: u8 },
    /// Water, lava and chasms of the floor at `depth`.
    Terrain { depth: u8 },
    /// Secret doors and hidden traps of the floor at `depth`.
    Secrets { depth: u8 },
    /// The vault of the floor at `depth`: which room locks, its key and its loot.
    Vault { depth: u8 },
    /// The braziers of a dark floor at `depth`.
    Light { depth: u8 },
    /// Where the key of the vault at `depth` lies, and the vault's potions and scrolls.
    VaultLoot { depth: u8 },
    /// The lode of the floor at `depth`: where it lies, its veins and the band that guards it.
    Lode { depth: u8 },
}

impl Stream {
    fn tag(self) -> [u8; 8] {
        match self {
            Stream::MapGen { depth } => [b'm', b'a', b'p', 0, 0, 0, 0, depth],
            Stream::Combat => *b"combat\0\0",
            Stream::Ai => *b"ai\0\0\0\0\0\0",
            Stream::Spawns => *b"spawns\0\0",
            Stream::Craft => *b"craft\0\0\0",
            Stream::Looks => *b"looks\0\0\0",
            Stream::Loot { depth } => [b'l', b'o', b'o', b't', 0, 0, 0, depth],
            Stream::Sleep { depth } => [b's', b'l', b'e', b'e', b'p', 0, 0, depth],
            Stream::Terrain { depth } => [b't', b'e', b'r', b'r', 0, 0, 0, depth],
            Stream::Secrets { depth } => [b's', b'e', b'c', b'r', 0, 0, 0, depth],
            Stream::Vault { depth } => [b'v', b'a', b'u', b'l', b't', 0, 0, depth],
            Stream::Light { depth } => [b'l', b'i', b'g', b'h', b't', 0, 0, depth],
            Stream::VaultLoot { depth } => [b'v', b'l', b'o', b'o', b't', 0, 0, depth],
            Stream::Lode { depth } => [b'l', b'o', b'd', b'e', 0, 0, 0, depth],
            // Ids stay far below 2^56: the top byte tells the two apart from each other and
            // from the tags above (whose top bytes are letters or zero).
            Stream::Drop { monster } => (monster | 0xD1 << 56).to_le_bytes(),
            Stream::Teleport { item } => (item | 0xD2 << 56).to_le_bytes(),
        }
    }
}

/// A named-algorithm generator (ChaCha8) whose whole state is serialised with the world.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rng(ChaCha8Rng);

impl Rng {
    /// The generator for `stream` in the world with `seed`.
    pub fn for_stream(seed: u64, stream: Stream) -> Rng {
        let mut hasher = Sha256::new();
        hasher.update(b"brogue-rng-v1");
        hasher.update(seed.to_le_bytes());
        hasher.update(stream.tag());
        Rng(ChaCha8Rng::from_seed(hasher.finalize().into()))
    }

    /// Uniform in `0..n` without modulo bias (Lemire's method). `n` must be non-zero.
    pub fn below(&mut self, n: u32) -> u32 {
        debug_assert!(n > 0, "below(0) has no valid result");
        let n = n.max(1);
        loop {
            let m = u64::from(self.0.next_u32()) * u64::from(n);
            let low = m as u32;
            if low >= n || low >= n.wrapping_neg() % n {
                return (m >> 32) as u32;
            }
        }
    }

    /// Uniform in `lo..=hi`; returns `lo` when the range is empty.
    pub fn range(&mut self, lo: i32, hi: i32) -> i32 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as u32) as i32
    }

    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }

    /// A uniformly chosen element, or `None` for an empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        items.get(self.below(items.len() as u32) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let mut a = Rng::for_stream(42, Stream::Combat);
        let mut b = Rng::for_stream(42, Stream::Combat);
        let mut c = Rng::for_stream(42, Stream::Ai);
        let xs: Vec<u32> = (0..16).map(|_| a.below(1000)).collect();
        let ys: Vec<u32> = (0..16).map(|_| b.below(1000)).collect();
        let zs: Vec<u32> = (0..16).map(|_| c.below(1000)).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn known_seed_gives_known_rolls() {
        // Golden values pin the algorithm and the stream derivation: if they change, every saved
        // world and recorded replay would play out differently.
        let mut rng = Rng::for_stream(1, Stream::MapGen { depth: 1 });
        let rolls: Vec<u32> = (0..6).map(|_| rng.below(100)).collect();
        assert_eq!(rolls, [77, 56, 98, 22, 94, 59]);
    }

    #[test]
    fn range_stays_inside_bounds() {
        let mut rng = Rng::for_stream(7, Stream::Combat);
        for _ in 0..1000 {
            let v = rng.range(-3, 4);
            assert!((-3..=4).contains(&v));
        }
        assert_eq!(rng.range(5, 5), 5);
        assert_eq!(rng.range(5, 2), 5);
    }

    #[test]
    fn state_survives_serialisation() {
        let mut rng = Rng::for_stream(9, Stream::Ai);
        rng.below(10);
        let bytes = postcard::to_stdvec(&rng).unwrap();
        let mut copy: Rng = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(rng.below(1_000_000), copy.below(1_000_000));
    }
}
