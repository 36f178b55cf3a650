//! Talents: at levels 4, 8 and 12 a character chooses one of two talents of its class, each
//! the mastery of one of its abilities in one way ([`Boost`]). A choice is for good: the
//! other talent of that tier is gone for this character.
//!
//! A talent never adds an ability; it changes the numbers of one the class has, so every
//! ability reads its own mastery in one place ([`World::boosted`]):
//! - [`Boost::Potent`]: half as much again (damage, healing, ward points), twice as long
//!   (Shield Wall, a freeze, a Mark, a Snare's root), or a Revive to full HP;
//! - [`Boost::Quick`]: the cooldown halved;
//! - [`Boost::Reach`]: a wider area (Taunt [`TAUNT_REACH`] cells more, Frost Nova two cells
//!   round, not one). Ranged abilities are not lengthened: they already reach past what a
//!   character sees, and sight bounds every aim.

use serde::{Deserialize, Serialize};

use crate::class::Class;
use crate::event::{EventKind, Notice};
use crate::ids::PlayerId;
use crate::world::{Character, World};

/// The levels at which a talent is chosen, one tier each.
pub const TALENT_LEVELS: [u8; 3] = [4, 8, 12];
/// Cells of radius a [`Boost::Reach`] adds to Taunt (Frost Nova: one).
pub const TAUNT_REACH: i32 = 3;

/// How a talent masters its ability.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Boost {
    Potent,
    Quick,
    Reach,
}

/// One talent: which ability (slot 0..=2) it masters, and how.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TalentDef {
    pub name: &'static str,
    pub slot: u8,
    pub boost: Boost,
    pub what: &'static str,
}

const fn t(name: &'static str, slot: u8, boost: Boost, what: &'static str) -> TalentDef {
    TalentDef {
        name,
        slot,
        boost,
        what,
    }
}

use Boost::{Potent, Quick, Reach};

impl Class {
    /// The class's talents: for each tier (levels [`TALENT_LEVELS`]) the two to choose from.
    pub const fn talents(self) -> [[TalentDef; 2]; 3] {
        match self {
            Class::Warrior => [
                [
                    t("Brutal Cleave", 1, Potent, "Cleave deals ×1.5 damage"),
                    t("Bulwark", 2, Potent, "Shield Wall lasts 8 s"),
                ],
                [
                    t("Provoke", 0, Reach, "Taunt reaches 8 cells"),
                    t("Battle Rhythm", 1, Quick, "Cleave every 3 s"),
                ],
                [
                    t("Challenge", 0, Quick, "Taunt every 6 s"),
                    t("Stalwart", 2, Quick, "Shield Wall every 10 s"),
                ],
            ],
            Class::Mage => [
                [
                    t("Pyromancy", 0, Potent, "Firebolt deals ×1.5 damage"),
                    t("Deep Freeze", 1, Potent, "Frost Nova freezes 6 s"),
                ],
                [
                    t("Cold Snap", 1, Quick, "Frost Nova every 5 s"),
                    t("Glacier", 1, Reach, "Frost Nova reaches 2 cells"),
                ],
                [
                    t("Quickcast", 0, Quick, "Firebolt every 0.5 s"),
                    t("Phase Step", 2, Quick, "Blink every 4 s"),
                ],
            ],
            Class::Ranger => [
                [
                    t("Sniper", 0, Potent, "Aimed Shot deals ×1.5 damage"),
                    t("Deadfall", 2, Potent, "a Snare roots for 8 s"),
                ],
                [
                    t("Rapid Fire", 0, Quick, "Aimed Shot every 0.6 s"),
                    t("Trapper", 2, Quick, "Snare every 6 s"),
                ],
                [
                    t("Keen Eye", 1, Quick, "Mark every 5 s"),
                    t("Hunter's Mark", 1, Potent, "Mark lasts 12 s"),
                ],
            ],
            Class::Healer => [
                [
                    t("Mending", 0, Potent, "Heal restores ×1.5"),
                    t("Aegis", 1, Potent, "Ward absorbs ×1.5"),
                ],
                [
                    t("Swift Hands", 0, Quick, "Heal every 0.75 s"),
                    t("Quick Ward", 1, Quick, "Ward every 4 s"),
                ],
                [
                    t("Lifeline", 2, Quick, "Revive every 15 s"),
                    t("Second Wind", 2, Potent, "Revive raises to full HP"),
                ],
            ],
        }
    }

    /// Talent `pick` (0 or 1) of `tier` (0..=2), if both exist.
    pub fn talent(self, tier: u8, pick: u8) -> Option<TalentDef> {
        self.talents()
            .get(usize::from(tier))?
            .get(usize::from(pick))
            .copied()
    }
}

impl Character {
    /// The talents it chose, with their tiers.
    pub fn chosen_talents(&self) -> impl Iterator<Item = (u8, TalentDef)> + '_ {
        (0u8..).zip(self.talents).filter_map(|(tier, pick)| {
            pick.and_then(|p| self.class.talent(tier, p))
                .map(|def| (tier, def))
        })
    }

    /// The first tier it reached without choosing yet.
    pub fn talent_due(&self) -> Option<u8> {
        due(self.level(), &self.talents)
    }

    /// Whether a chosen talent masters ability `slot` with `boost`.
    pub fn has_boost(&self, slot: u8, boost: Boost) -> bool {
        self.chosen_talents()
            .any(|(_, d)| d.slot == slot && d.boost == boost)
    }
}

/// The first tier a character of `level` with these choices reached without choosing.
pub fn due(level: u8, talents: &[Option<u8>; 3]) -> Option<u8> {
    (0u8..)
        .zip(TALENT_LEVELS)
        .find(|(tier, at)| level >= *at && talents[usize::from(*tier)].is_none())
        .map(|(tier, _)| tier)
}

/// Why a talent could not be chosen.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NotLearned {
    /// The character has not reached the tier's level.
    TooLow { level: u8 },
    /// A talent of this tier was chosen already.
    Chosen,
}

impl World {
    /// Whether `id`'s character masters ability `slot` with `boost`.
    pub(crate) fn boosted(&self, id: PlayerId, slot: u8, boost: Boost) -> bool {
        self.player(&id)
            .and_then(|p| p.character.as_ref())
            .is_some_and(|c| c.has_boost(slot, boost))
    }

    /// `id` chooses talent `pick` of `tier`: at or past the tier's level, once per tier. Takes
    /// no time; the party hears of it.
    pub(crate) fn choose_talent(&mut self, id: PlayerId, tier: u8, pick: u8) {
        let Some(c) = self.player(&id).and_then(|p| p.character.as_ref()) else {
            return;
        };
        let Some(at) = TALENT_LEVELS.get(usize::from(tier)).copied() else {
            return;
        };
        if c.class.talent(tier, pick).is_none() {
            return;
        }
        let class = c.class;
        let refused = if c.level() < at {
            Some(NotLearned::TooLow { level: at })
        } else if c.talents[usize::from(tier)].is_some() {
            Some(NotLearned::Chosen)
        } else {
            None
        };
        if let Some(why) = refused {
            return self.tell(id, Notice::NoTalent(why));
        }
        if let Some(c) = self.character_mut(&id) {
            c.talents[usize::from(tier)] = Some(pick);
        }
        let name = self.player(&id).map(|p| p.name.clone()).unwrap_or_default();
        self.emit(
            self.party_scope(id),
            EventKind::Learned {
                name,
                class,
                tier,
                pick,
            },
        );
    }
}

/// Scales an amount by half again when `potent`.
pub(crate) fn potent(amount: u16, potent: bool) -> u16 {
    if potent {
        amount.saturating_add(amount / 2)
    } else {
        amount
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_two_talents_a_tier_each_naming_a_real_ability() {
        for class in Class::ALL {
            let mut names = std::collections::BTreeSet::new();
            for tier in class.talents() {
                assert_ne!(tier[0].name, tier[1].name);
                for def in tier {
                    assert!(def.slot < 3, "{} {}", class, def.name);
                    assert!(names.insert(def.name), "{} twice", def.name);
                }
            }
            assert_eq!(names.len(), 6);
        }
        assert_eq!(Class::Mage.talent(3, 0), None);
        assert_eq!(Class::Mage.talent(0, 2), None);
    }
}
