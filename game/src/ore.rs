//! Ore after Star Wars Galaxies' resources: classes by tier, and *spawns* — named resources
//! whose eight attributes were rolled once. A world has one current spawn per class; spawns
//! rotate over in-game time, so a great one is worth banking.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::rng::Rng;
use crate::tick::Tick;

/// An ore class, cheapest first.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OreClass {
    Copper,
    Iron,
    Silver,
    Cobalt,
    Mithril,
    Adamant,
    Starmetal,
}

impl OreClass {
    pub const ALL: [OreClass; 7] = [
        OreClass::Copper,
        OreClass::Iron,
        OreClass::Silver,
        OreClass::Cobalt,
        OreClass::Mithril,
        OreClass::Adamant,
        OreClass::Starmetal,
    ];

    /// 1 (Copper) ..= 7 (Starmetal).
    pub fn tier(self) -> u8 {
        self as u8 + 1
    }

    pub fn name(self) -> &'static str {
        match self {
            OreClass::Copper => "Copper",
            OreClass::Iron => "Iron",
            OreClass::Silver => "Silver",
            OreClass::Cobalt => "Cobalt",
            OreClass::Mithril => "Mithril",
            OreClass::Adamant => "Adamant",
            OreClass::Starmetal => "Starmetal",
        }
    }

    /// The range every attribute of a spawn of this class is rolled in.
    pub fn range(self) -> (u16, u16) {
        match self {
            OreClass::Copper => (1, 300),
            OreClass::Iron => (50, 400),
            OreClass::Silver => (150, 550),
            OreClass::Cobalt => (250, 650),
            OreClass::Mithril => (350, 800),
            OreClass::Adamant => (450, 900),
            OreClass::Starmetal => (600, 1000),
        }
    }

    /// The classes whose veins appear at `depth`: deeper floors hold better ore.
    pub fn at_depth(depth: u8) -> [OreClass; 2] {
        let low = ((depth.clamp(1, 12) - 1) / 2).min(5) as usize;
        [OreClass::ALL[low], OreClass::ALL[low + 1]]
    }
}

/// One of the eight attributes of ore.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Attr {
    /// Overall quality.
    OQ,
    /// Conductivity.
    CD,
    /// Decay resistance.
    DR,
    /// Heat resistance.
    HR,
    /// Malleability.
    MA,
    /// Potential energy.
    PE,
    /// Shock resistance.
    SR,
    /// Unit toughness.
    UT,
}

impl Attr {
    pub const ALL: [Attr; 8] = [
        Attr::OQ,
        Attr::CD,
        Attr::DR,
        Attr::HR,
        Attr::MA,
        Attr::PE,
        Attr::SR,
        Attr::UT,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Attr::OQ => "OQ",
            Attr::CD => "CD",
            Attr::DR => "DR",
            Attr::HR => "HR",
            Attr::MA => "MA",
            Attr::PE => "PE",
            Attr::SR => "SR",
            Attr::UT => "UT",
        }
    }
}

/// The eight attribute values of a spawn, each 1..=1000, in [`Attr::ALL`] order.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Attributes(pub [u16; 8]);

impl Attributes {
    pub fn get(&self, attr: Attr) -> u16 {
        self.0[attr as usize]
    }
}

/// Identifies a spawn within a world.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SpawnId(pub u32);

/// A named resource: every unit of it shares these attributes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spawn {
    pub id: SpawnId,
    pub name: String,
    pub class: OreClass,
    pub attrs: Attributes,
    /// When it became current.
    pub since: Tick,
}

impl fmt::Display for Spawn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.class.name())
    }
}

/// How long a spawn stays current before its class rotates to a new one.
pub const ROTATION_MS: u32 = 10 * 60 * 1000;

/// Every spawn a world has seen, and which one is current per class.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spawns {
    all: BTreeMap<SpawnId, Spawn>,
    current: BTreeMap<OreClass, SpawnId>,
}

impl Spawns {
    pub fn get(&self, id: SpawnId) -> Option<&Spawn> {
        self.all.get(&id)
    }

    /// The current spawn of `class`, if any has appeared.
    pub fn current(&self, class: OreClass) -> Option<&Spawn> {
        self.current.get(&class).and_then(|id| self.all.get(id))
    }

    pub fn all(&self) -> impl Iterator<Item = &Spawn> {
        self.all.values()
    }

    /// Adds a spawn and makes it current for its class. Ids never repeat.
    pub fn insert(&mut self, spawn: Spawn) {
        self.current.insert(spawn.class, spawn.id);
        self.all.insert(spawn.id, spawn);
    }

    pub fn next_id(&self) -> SpawnId {
        SpawnId(self.all.keys().next_back().map_or(1, |id| id.0 + 1))
    }

    /// The class whose spawn is oldest: the next to rotate.
    pub fn stalest(&self) -> OreClass {
        OreClass::ALL
            .into_iter()
            .min_by_key(|c| self.current(*c).map_or(Tick::ZERO, |s| s.since))
            .expect("seven classes")
    }
}

/// Rolls a new spawn of `class`.
pub fn roll_spawn(id: SpawnId, class: OreClass, since: Tick, rng: &mut Rng) -> Spawn {
    let (lo, hi) = class.range();
    let mut attrs = [0u16; 8];
    for a in &mut attrs {
        *a = rng.range(i32::from(lo), i32::from(hi)) as u16;
    }
    Spawn {
        id,
        name: spawn_name(class, rng),
        class,
        attrs: Attributes(attrs),
        since,
    }
}

fn spawn_name(class: OreClass, rng: &mut Rng) -> String {
    const FIRST: [&str; 16] = [
        "Ka", "Vor", "Mel", "Dun", "Ser", "Tal", "Gri", "Oss", "Bel", "Cyr", "Ith", "Nar", "Quo",
        "Zan", "Eld", "Hav",
    ];
    const MIDDLE: [&str; 12] = [
        "a", "o", "i", "an", "or", "el", "um", "ir", "ae", "ys", "ol", "en",
    ];
    const END: [&str; 7] = ["ite", "ium", "ane", "ase", "ine", "ore", "yx"];
    let first = rng.pick(&FIRST).copied().unwrap_or("Ka");
    let middle = rng.pick(&MIDDLE).copied().unwrap_or("a");
    let end = END[class as usize];
    format!("{first}{middle}{end}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    #[test]
    fn attributes_stay_in_their_class_range_and_deeper_is_better() {
        let mut rng = Rng::for_stream(3, Stream::Spawns);
        for class in OreClass::ALL {
            let (lo, hi) = class.range();
            for i in 0..50 {
                let s = roll_spawn(SpawnId(i), class, Tick::ZERO, &mut rng);
                assert!(
                    s.attrs
                        .0
                        .iter()
                        .all(|a| (lo..=hi).contains(a) && *a >= 1 && *a <= 1000)
                );
            }
        }
        for pair in OreClass::ALL.windows(2) {
            assert!(pair[1].range().0 > pair[0].range().0);
            assert!(pair[1].range().1 > pair[0].range().1);
        }
        assert_eq!(OreClass::at_depth(1), [OreClass::Copper, OreClass::Iron]);
        assert_eq!(
            OreClass::at_depth(12),
            [OreClass::Adamant, OreClass::Starmetal]
        );
    }

    #[test]
    fn the_stalest_class_rotates_next() {
        let mut rng = Rng::for_stream(3, Stream::Spawns);
        let mut spawns = Spawns::default();
        for (i, class) in OreClass::ALL.into_iter().enumerate() {
            spawns.insert(roll_spawn(
                spawns.next_id(),
                class,
                Tick(i as u64),
                &mut rng,
            ));
        }
        assert_eq!(spawns.stalest(), OreClass::Copper);
        let old = spawns.current(OreClass::Copper).unwrap().id;
        spawns.insert(roll_spawn(
            spawns.next_id(),
            OreClass::Copper,
            Tick(100),
            &mut rng,
        ));
        assert_ne!(spawns.current(OreClass::Copper).unwrap().id, old);
        assert!(spawns.get(old).is_some(), "old spawns are remembered");
        assert_eq!(spawns.stalest(), OreClass::Iron);
    }
}
