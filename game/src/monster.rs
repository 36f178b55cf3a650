//! Monster kinds (a data table), their roles, and the per-monster state the world keeps.

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
    GoblinArcher,
    KoboldShaman,
    CaveSpider,
    Orc,
    Ghoul,
    Necromancer,
    Skeleton,
    Troll,
    Ogre,
    Wraith,
    DeepWarden,
    // Added with issue 13 (appended: saves name kinds by their index).
    Bat,
    Wolf,
    Centipede,
    GoblinShaman,
    GoblinChieftain,
    OrcArcher,
    OrcShaman,
    Zombie,
    VampireBat,
    Imp,
    Centaur,
    Naga,
    DarkElfArcher,
    DarkPriestess,
    Salamander,
    Golem,
    Lich,
    Horror,
    GoblinKing,
    OrcWarlord,
}

/// How a monster fights.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Role {
    Melee,
    /// Shoots from up to `range` cells when it can see its target.
    Ranged {
        range: u16,
    },
    /// Heals hurt monsters near it; fights weakly.
    Healer,
    /// Raises skeletons while hunting.
    Summoner,
    /// Stays by what it guards unless hunting.
    Guardian,
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
    /// Floors on which it appears, inclusive; `(0, 0)` never appears on its own.
    pub depths: (u8, u8),
    pub role: Role,
    /// Regains a hit point every second.
    pub regenerates: bool,
}

/// A table row's usual numbers; `(max_hp, armor)` is its toughness.
const fn stats(
    name: &'static str,
    glyph: char,
    (max_hp, armor): (u16, u16),
    damage: (u16, u16),
    move_ms: u32,
    depths: (u8, u8),
    role: Role,
) -> MonsterStats {
    MonsterStats {
        name,
        glyph,
        max_hp,
        armor,
        damage,
        accuracy: 75,
        move_ms,
        attack_ms: 300,
        notice: 7,
        opens_doors: true,
        depths,
        role,
        regenerates: false,
    }
}

impl MonsterKind {
    pub const ALL: [MonsterKind; 35] = [
        MonsterKind::Rat,
        MonsterKind::Jackal,
        MonsterKind::Kobold,
        MonsterKind::Goblin,
        MonsterKind::GoblinArcher,
        MonsterKind::KoboldShaman,
        MonsterKind::CaveSpider,
        MonsterKind::Orc,
        MonsterKind::Ghoul,
        MonsterKind::Necromancer,
        MonsterKind::Skeleton,
        MonsterKind::Troll,
        MonsterKind::Ogre,
        MonsterKind::Wraith,
        MonsterKind::DeepWarden,
        MonsterKind::Bat,
        MonsterKind::Wolf,
        MonsterKind::Centipede,
        MonsterKind::GoblinShaman,
        MonsterKind::GoblinChieftain,
        MonsterKind::OrcArcher,
        MonsterKind::OrcShaman,
        MonsterKind::Zombie,
        MonsterKind::VampireBat,
        MonsterKind::Imp,
        MonsterKind::Centaur,
        MonsterKind::Naga,
        MonsterKind::DarkElfArcher,
        MonsterKind::DarkPriestess,
        MonsterKind::Salamander,
        MonsterKind::Golem,
        MonsterKind::Lich,
        MonsterKind::Horror,
        MonsterKind::GoblinKing,
        MonsterKind::OrcWarlord,
    ];

    pub const fn stats(self) -> MonsterStats {
        use Role::*;
        match self {
            MonsterKind::Rat => MonsterStats {
                opens_doors: false,
                accuracy: 70,
                notice: 6,
                ..stats("rat", 'r', (5, 0), (1, 2), 180, (1, 3), Melee)
            },
            MonsterKind::Jackal => MonsterStats {
                opens_doors: false,
                attack_ms: 250,
                notice: 8,
                ..stats("jackal", 'j', (7, 0), (1, 3), 120, (1, 4), Melee)
            },
            MonsterKind::Kobold => stats("kobold", 'k', (9, 1), (1, 4), 200, (1, 5), Melee),
            MonsterKind::Goblin => stats("goblin", 'g', (12, 1), (2, 5), 200, (2, 7), Melee),
            MonsterKind::GoblinArcher => stats(
                "goblin archer",
                'a',
                (10, 0),
                (2, 5),
                220,
                (2, 8),
                Ranged { range: 6 },
            ),
            MonsterKind::KoboldShaman => {
                stats("kobold shaman", 'h', (11, 0), (1, 3), 220, (3, 8), Healer)
            }
            MonsterKind::CaveSpider => MonsterStats {
                opens_doors: false,
                notice: 9,
                accuracy: 80,
                ..stats("cave spider", 's', (10, 0), (2, 6), 110, (4, 9), Melee)
            },
            MonsterKind::Orc => stats("orc", 'o', (20, 2), (3, 7), 220, (4, 9), Melee),
            MonsterKind::Ghoul => MonsterStats {
                accuracy: 80,
                ..stats("ghoul", 'G', (26, 2), (4, 8), 240, (6, 12), Melee)
            },
            MonsterKind::Necromancer => {
                stats("necromancer", 'N', (18, 1), (2, 5), 240, (6, 12), Summoner)
            }
            MonsterKind::Skeleton => stats("skeleton", 'z', (8, 1), (2, 4), 220, (0, 0), Melee),
            MonsterKind::Troll => MonsterStats {
                regenerates: true,
                ..stats("troll", 'T', (40, 3), (5, 10), 260, (8, 12), Melee)
            },
            MonsterKind::Ogre => MonsterStats {
                accuracy: 70,
                attack_ms: 400,
                ..stats("ogre", 'O', (45, 3), (6, 12), 280, (7, 12), Melee)
            },
            MonsterKind::Wraith => MonsterStats {
                notice: 10,
                accuracy: 85,
                ..stats("wraith", 'W', (24, 1), (5, 9), 130, (9, 12), Melee)
            },
            MonsterKind::DeepWarden => MonsterStats {
                notice: 8,
                accuracy: 85,
                regenerates: true,
                ..stats("Deep Warden", 'D', (120, 5), (8, 16), 240, (0, 0), Guardian)
            },
            MonsterKind::Bat => MonsterStats {
                opens_doors: false,
                attack_ms: 250,
                ..stats("bat", 'b', (6, 0), (1, 3), 100, (2, 4), Melee)
            },
            MonsterKind::Wolf => MonsterStats {
                opens_doors: false,
                notice: 9,
                ..stats("wolf", 'w', (13, 0), (2, 5), 130, (3, 7), Melee)
            },
            MonsterKind::Centipede => MonsterStats {
                opens_doors: false,
                accuracy: 85,
                ..stats("centipede", 'c', (16, 1), (2, 5), 300, (2, 6), Melee)
            },
            MonsterKind::GoblinShaman => {
                stats("goblin shaman", 'm', (12, 0), (1, 4), 220, (0, 0), Healer)
            }
            MonsterKind::GoblinChieftain => stats(
                "goblin chieftain",
                'C',
                (30, 3),
                (4, 9),
                220,
                (5, 10),
                Melee,
            ),
            MonsterKind::OrcArcher => stats(
                "orc archer",
                'A',
                (18, 1),
                (3, 7),
                230,
                (5, 11),
                Ranged { range: 7 },
            ),
            MonsterKind::OrcShaman => {
                stats("orc shaman", 'H', (20, 1), (2, 6), 230, (0, 0), Healer)
            }
            MonsterKind::Zombie => MonsterStats {
                opens_doors: false,
                attack_ms: 450,
                ..stats("zombie", 'Z', (40, 1), (4, 8), 400, (5, 11), Melee)
            },
            MonsterKind::VampireBat => MonsterStats {
                opens_doors: false,
                attack_ms: 250,
                ..stats("vampire bat", 'v', (12, 0), (3, 6), 100, (6, 12), Melee)
            },
            MonsterKind::Imp => MonsterStats {
                notice: 9,
                ..stats(
                    "imp",
                    'i',
                    (14, 0),
                    (3, 7),
                    120,
                    (7, 12),
                    Ranged { range: 5 },
                )
            },
            MonsterKind::Centaur => MonsterStats {
                notice: 10,
                accuracy: 80,
                ..stats(
                    "centaur",
                    'R',
                    (35, 2),
                    (4, 9),
                    130,
                    (7, 12),
                    Ranged { range: 8 },
                )
            },
            MonsterKind::Naga => MonsterStats {
                accuracy: 80,
                ..stats("naga", 'n', (45, 2), (5, 10), 260, (8, 12), Melee)
            },
            MonsterKind::DarkElfArcher => MonsterStats {
                accuracy: 85,
                ..stats(
                    "dark elf archer",
                    'e',
                    (22, 1),
                    (5, 9),
                    200,
                    (8, 12),
                    Ranged { range: 8 },
                )
            },
            MonsterKind::DarkPriestess => {
                stats("dark priestess", 'p', (26, 1), (3, 7), 220, (0, 0), Healer)
            }
            MonsterKind::Salamander => stats(
                "salamander",
                'l',
                (30, 2),
                (6, 10),
                240,
                (8, 12),
                Ranged { range: 4 },
            ),
            MonsterKind::Golem => MonsterStats {
                opens_doors: false,
                attack_ms: 500,
                notice: 5,
                ..stats("golem", 'X', (80, 6), (6, 12), 350, (9, 12), Melee)
            },
            MonsterKind::Lich => MonsterStats {
                notice: 9,
                ..stats("lich", 'L', (40, 2), (5, 9), 240, (10, 12), Summoner)
            },
            MonsterKind::Horror => MonsterStats {
                accuracy: 85,
                ..stats("horror", 'U', (70, 4), (8, 13), 220, (11, 12), Melee)
            },
            MonsterKind::GoblinKing => MonsterStats {
                accuracy: 85,
                notice: 9,
                ..stats(
                    "Grisk the Goblin King",
                    'K',
                    (50, 3),
                    (4, 9),
                    220,
                    (0, 0),
                    Guardian,
                )
            },
            MonsterKind::OrcWarlord => MonsterStats {
                accuracy: 85,
                notice: 9,
                ..stats(
                    "Ugrak the Orc Warlord",
                    'Q',
                    (70, 4),
                    (7, 13),
                    240,
                    (0, 0),
                    Guardian,
                )
            },
        }
    }

    /// Who comes with a `self` placed at `depth`: its pack (jackals past floor 1, wolves,
    /// bats) or its band (goblins with an archer and a shaman, orcs with theirs, a chieftain's
    /// or a unique's retinue). Kinds marked `(0, 0)` in the table appear only this way.
    pub fn escort(self, depth: u8) -> &'static [MonsterKind] {
        use MonsterKind::*;
        match self {
            Jackal if depth >= 2 => &[Jackal, Jackal],
            Wolf => &[Wolf, Wolf],
            Bat => &[Bat],
            VampireBat => &[VampireBat],
            Goblin if depth >= 3 => &[Goblin, GoblinShaman],
            GoblinChieftain => &[Goblin, GoblinArcher, GoblinShaman],
            Orc if depth >= 6 => &[OrcArcher, OrcShaman],
            DarkElfArcher => &[DarkPriestess],
            GoblinKing => &[Goblin, GoblinArcher, GoblinShaman],
            OrcWarlord => &[OrcArcher, OrcShaman],
            _ => &[],
        }
    }

    /// The unique that holds floor `depth` with its retinue, once per world.
    pub fn unique_at(depth: u8) -> Option<MonsterKind> {
        match depth {
            5 => Some(MonsterKind::GoblinKing),
            9 => Some(MonsterKind::OrcWarlord),
            _ => None,
        }
    }

    /// Whether it is one of the floors' uniques ([`MonsterKind::unique_at`]).
    pub fn is_unique(self) -> bool {
        (1..=crate::floor::DEEPEST_FLOOR).any(|d| MonsterKind::unique_at(d) == Some(self))
    }

    /// The kinds that appear on their own at `depth`, in table order.
    pub fn at_depth(depth: u8) -> Vec<MonsterKind> {
        MonsterKind::ALL
            .into_iter()
            .filter(|k| {
                let (lo, hi) = k.stats().depths;
                lo > 0 && (lo..=hi).contains(&depth)
            })
            .collect()
    }
}

/// What a character's strike is made of, for the monsters that shrug some of it off
/// ([`MonsterKind::resists`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Harm {
    /// Weapons in hand: a bump, a Cleave.
    Blade,
    /// Arrows: an Aimed Shot.
    Shot,
    /// Firebolt, a Potion of Fire.
    Fire,
    /// Frost Nova.
    Frost,
}

impl Harm {
    /// What it is called where a player reads it: "shrugs off half the {noun}".
    pub fn noun(self) -> &'static str {
        match self {
            Harm::Blade => "blades",
            Harm::Shot => "arrows",
            Harm::Fire => "fire",
            Harm::Frost => "frost",
        }
    }
}

/// The share of a resisted harm a monster takes, in percent (rounded up, at least 1).
pub const RESISTED_PERCENT: u16 = 50;

impl MonsterKind {
    /// The harms it takes only [`RESISTED_PERCENT`] of: each of these is some class's moment
    /// (arrows and fire barely mark a golem, so a warrior breaks it, best once a mage froze it;
    /// blades and arrows pass through a wraith, which burns and freezes).
    pub const fn resists(self) -> &'static [Harm] {
        use Harm::*;
        use MonsterKind::*;
        match self {
            Skeleton => &[Shot],
            Golem => &[Shot, Fire],
            Wraith => &[Blade, Shot],
            Salamander | Imp => &[Fire],
            _ => &[],
        }
    }

    /// What is left of `damage` of `harm` on it.
    pub fn after_resistance(self, damage: u16, harm: Harm) -> u16 {
        if self.resists().contains(&harm) {
            (u32::from(damage) * u32::from(RESISTED_PERCENT))
                .div_ceil(100)
                .max(1) as u16
        } else {
            damage
        }
    }
}

/// How much harder every monster hits per floor below the first, in percent: the same kind
/// hits a quarter harder a floor deeper (twice as hard on floor 5, ×3.75 on floor 12).
/// Armour crafted from deeper ore is what answers it; a party that dives without crafting
/// meets floor 9 in the clothes it started in.
pub const DEEPER_BLOW_PERCENT: u32 = 25;

/// A monster's rolled `roll` as it lands on floor `depth` (blows, shots, charges, breaths
/// and curses alike), before armour.
pub fn deepen(roll: u16, depth: u8) -> u16 {
    let scale = 100 + DEEPER_BLOW_PERCENT * u32::from(depth.max(1) - 1);
    (u32::from(roll) * scale / 100).min(u32::from(u16::MAX)) as u16
}

/// How much longer a monster lasts per floor below the first when three or more characters
/// stand on its floor, in percent (half for two, none for one). A party meets the floor's own
/// count of monsters, not more ([`World::scaled_spawns`](crate::world::World)): the deep stands
/// up to a party by lasting, so its front line, its healer and its damage all count, while a
/// lone character meets the monsters as they are.
pub const PARTY_TOUGHNESS_PERCENT: u32 = 15;

/// And against arrows, spells and fire (everything but a blade) per floor below the first, for
/// every party (half for a lone character): the deep's monsters shrug off what strikes from
/// afar, so a party down there needs a blade in front.
pub const MISSILE_TOUGHNESS_PERCENT: u32 = 20;

/// How much harder than on floor 1 a monster on floor `depth` is to hurt by `harm` while
/// `characters` stand on its floor, in percent: what lands is `100 / (100 + toughness)` of it
/// ([`after_toughness`]).
pub fn toughness(depth: u8, characters: usize, harm: Harm) -> u32 {
    let below = u32::from(depth.max(1) - 1);
    let party = match characters {
        0 | 1 => 0,
        2 => PARTY_TOUGHNESS_PERCENT / 2,
        _ => PARTY_TOUGHNESS_PERCENT,
    };
    let missile = match (harm, characters) {
        (Harm::Blade, _) => 0,
        (_, 0 | 1) => MISSILE_TOUGHNESS_PERCENT / 2,
        _ => MISSILE_TOUGHNESS_PERCENT,
    };
    (party + missile) * below
}

/// What is left of `damage` against `toughness` percent (at least 1 of a strike that did any).
pub fn after_toughness(damage: u16, toughness: u32) -> u16 {
    if damage == 0 {
        return 0;
    }
    (u32::from(damage) * 100 / (100 + toughness)).max(1) as u16
}

/// Timed conditions on a monster (ticks at which they end).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonsterEffects {
    /// Frozen: cannot act; a Warrior's hit shatters it for double damage.
    pub frozen_until: Tick,
    /// Marked: takes half again as much damage from every source.
    pub marked_until: Tick,
    /// Rooted by a snare: cannot move, can still strike what is next to it.
    pub rooted_until: Tick,
    /// Taunted: must hunt this warrior.
    pub taunted: Option<(PlayerId, Tick)>,
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
    pub effects: MonsterEffects,
    /// Where it was placed; guardians stay near it.
    pub home: Pos,
    /// Its summoner, for skeletons.
    pub master: Option<EntityId>,
    /// When its special (heal, summon) is next ready.
    pub special_at: Tick,
    /// Asleep: it only wakes (a character close by in sight, a hit, a taunt, a waking kin);
    /// a hit on a sleeper is a sneak attack for double damage ([`crate::ai`]).
    pub asleep: bool,
    /// Winding up a special attack ([`crate::special`]): shown to whoever sees it.
    pub windup: Option<crate::special::Windup>,
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
            effects: MonsterEffects::default(),
            home: pos,
            master: None,
            special_at: next_act,
            asleep: false,
            windup: None,
        }
    }

    pub fn is_frozen(&self, now: Tick) -> bool {
        self.effects.frozen_until > now
    }

    pub fn is_marked(&self, now: Tick) -> bool {
        self.effects.marked_until > now
    }

    pub fn is_rooted(&self, now: Tick) -> bool {
        self.effects.rooted_until > now
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

    #[test]
    fn thirty_five_kinds_each_drawn_with_its_own_letter_and_packs_of_known_kinds() {
        assert!(MonsterKind::ALL.len() >= 35);
        let mut glyphs: Vec<char> = MonsterKind::ALL.iter().map(|k| k.stats().glyph).collect();
        glyphs.sort();
        glyphs.dedup();
        assert_eq!(
            glyphs.len(),
            MonsterKind::ALL.len(),
            "two kinds share a letter"
        );
        for depth in 1..=12 {
            // Deeper floors have more to meet than the first few.
            let kinds = MonsterKind::at_depth(depth).len();
            assert!(
                kinds >= 3 + usize::from(depth) / 3,
                "floor {depth}: {kinds} kinds"
            );
        }
        let bands = MonsterKind::ALL
            .iter()
            .filter(|k| k.escort(8).len() >= 2)
            .count();
        assert!(bands >= 5, "{bands} kinds come in packs or bands");
        let uniques: Vec<MonsterKind> = (1..=12).filter_map(MonsterKind::unique_at).collect();
        assert!(uniques.len() >= 2);
        for u in uniques {
            assert_eq!(u.stats().depths, (0, 0), "{u:?} appears on its own");
            assert!(!u.escort(1).is_empty());
        }
    }

    #[test]
    fn the_bestiary_has_every_role() {
        assert!(MonsterKind::ALL.len() >= 12);
        let roles: Vec<Role> = MonsterKind::ALL.iter().map(|k| k.stats().role).collect();
        assert!(roles.iter().any(|r| matches!(r, Role::Ranged { .. })));
        assert!(roles.contains(&Role::Healer));
        assert!(roles.contains(&Role::Summoner));
        assert!(roles.contains(&Role::Guardian));
        let fast = MonsterKind::ALL
            .iter()
            .filter(|k| k.stats().move_ms <= 130)
            .count();
        let tough = MonsterKind::ALL
            .iter()
            .filter(|k| k.stats().max_hp >= 40)
            .count();
        assert!(fast >= 2 && tough >= 2);
        // Summoned and guardian kinds never appear on their own.
        for depth in 1..=12 {
            let kinds = MonsterKind::at_depth(depth);
            assert!(!kinds.contains(&MonsterKind::Skeleton));
            assert!(!kinds.contains(&MonsterKind::DeepWarden));
        }
    }
}
