//! Monster kinds (a data table) and the per-monster state the world keeps.

use serde::{Deserialize, Serialize};

use crate::geom::Pos;
use crate::ids::{EntityId, PlayerId};
use crate::tick::Tick;

/// What a monster is. The table in [`MonsterKind::stats`] holds its numbers.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MonsterKind {
    Rat,
    Jackal,
    Kobold,
    Goblin,
    CaveSpider,
    Orc,
    Ghoul,
    Ogre,
}

/// The numbers of a monster kind. Durations are milliseconds; the world converts them to ticks.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct MonsterStats {
    pub name: &'static str,
    pub glyph: char,
    pub max_hp: u16,
    pub armor: u16,
    pub damage: (u16, u16),
    pub accuracy: u16,
    pub move_ms: u32,
    pub attack_ms: u32,
    /// Notices a player who can see it within this many cells.
    pub notice: u16,
    pub opens_doors: bool,
    /// Floors on which it appears, inclusive.
    pub depths: (u8, u8),
}

impl MonsterKind {
    pub const ALL: [MonsterKind; 8] = [
        MonsterKind::Rat,
        MonsterKind::Jackal,
        MonsterKind::Kobold,
        MonsterKind::Goblin,
        MonsterKind::CaveSpider,
        MonsterKind::Orc,
        MonsterKind::Ghoul,
        MonsterKind::Ogre,
    ];

    pub const fn stats(self) -> MonsterStats {
        match self {
            MonsterKind::Rat => MonsterStats {
                name: "rat",
                glyph: 'r',
                max_hp: 5,
                armor: 0,
                damage: (1, 2),
                accuracy: 70,
                move_ms: 180,
                attack_ms: 300,
                notice: 6,
                opens_doors: false,
                depths: (1, 3),
            },
            MonsterKind::Jackal => MonsterStats {
                name: "jackal",
                glyph: 'j',
                max_hp: 7,
                armor: 0,
                damage: (1, 3),
                accuracy: 70,
                move_ms: 120,
                attack_ms: 250,
                notice: 8,
                opens_doors: false,
                depths: (1, 4),
            },
            MonsterKind::Kobold => MonsterStats {
                name: "kobold",
                glyph: 'k',
                max_hp: 9,
                armor: 1,
                damage: (1, 4),
                accuracy: 75,
                move_ms: 200,
                attack_ms: 250,
                notice: 7,
                opens_doors: true,
                depths: (1, 5),
            },
            MonsterKind::Goblin => MonsterStats {
                name: "goblin",
                glyph: 'g',
                max_hp: 12,
                armor: 1,
                damage: (2, 5),
                accuracy: 75,
                move_ms: 200,
                attack_ms: 250,
                notice: 7,
                opens_doors: true,
                depths: (2, 7),
            },
            MonsterKind::CaveSpider => MonsterStats {
                name: "cave spider",
                glyph: 's',
                max_hp: 10,
                armor: 0,
                damage: (2, 6),
                accuracy: 80,
                move_ms: 110,
                attack_ms: 250,
                notice: 9,
                opens_doors: false,
                depths: (4, 9),
            },
            MonsterKind::Orc => MonsterStats {
                name: "orc",
                glyph: 'o',
                max_hp: 20,
                armor: 2,
                damage: (3, 7),
                accuracy: 75,
                move_ms: 220,
                attack_ms: 300,
                notice: 7,
                opens_doors: true,
                depths: (3, 9),
            },
            MonsterKind::Ghoul => MonsterStats {
                name: "ghoul",
                glyph: 'G',
                max_hp: 26,
                armor: 2,
                damage: (4, 8),
                accuracy: 80,
                move_ms: 240,
                attack_ms: 300,
                notice: 8,
                opens_doors: true,
                depths: (6, 12),
            },
            MonsterKind::Ogre => MonsterStats {
                name: "ogre",
                glyph: 'O',
                max_hp: 45,
                armor: 3,
                damage: (6, 12),
                accuracy: 70,
                move_ms: 280,
                attack_ms: 400,
                notice: 7,
                opens_doors: true,
                depths: (7, 12),
            },
        }
    }

    /// The kinds that appear at `depth`, in table order.
    pub fn at_depth(depth: u8) -> Vec<MonsterKind> {
        MonsterKind::ALL
            .into_iter()
            .filter(|k| {
                let (lo, hi) = k.stats().depths;
                (lo..=hi).contains(&depth)
            })
            .collect()
    }
}

/// A living monster on a floor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Monster {
    pub id: EntityId,
    pub kind: MonsterKind,
    pub pos: Pos,
    pub hp: u16,
    /// The tick on which it next decides what to do.
    pub next_act: Tick,
    /// The character it is hunting, if any.
    pub target: Option<PlayerId>,
    /// Where it last saw its target; it walks there when the target is out of sight.
    pub last_seen: Option<Pos>,
}

impl Monster {
    pub fn new(id: EntityId, kind: MonsterKind, pos: Pos, next_act: Tick) -> Monster {
        Monster {
            id,
            kind,
            pos,
            hp: kind.stats().max_hp,
            next_act,
            target: None,
            last_seen: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_floor_has_monsters_and_danger_rises_with_depth() {
        for depth in 1..=12 {
            assert!(
                !MonsterKind::at_depth(depth).is_empty(),
                "floor {depth} has no monsters"
            );
        }
        let avg_hp = |d: u8| {
            let kinds = MonsterKind::at_depth(d);
            kinds
                .iter()
                .map(|k| u32::from(k.stats().max_hp))
                .sum::<u32>()
                / kinds.len() as u32
        };
        assert!(avg_hp(12) > avg_hp(1) * 3);
    }
}
