//! Recipes and gear. A crafted item's quality is the weighted attribute average of the ore used:
//! first each attribute is averaged over the units (quantity-weighted), then the recipe's
//! weights combine the attributes. Quality then sets the gear's combat numbers.

use serde::{Deserialize, Serialize};

use crate::class::Class;
use crate::ore::{Attr, Attributes};

/// How long crafting takes; taking damage interrupts it.
pub const CRAFT_MS: u32 = 3_000;

/// Where an item is worn.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Slot {
    Weapon,
    Armour,
    Shield,
    Lantern,
}

impl Slot {
    pub const ALL: [Slot; 4] = [Slot::Weapon, Slot::Armour, Slot::Shield, Slot::Lantern];
}

/// Something a player can craft.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Recipe {
    Sword,
    Axe,
    Staff,
    Bow,
    Mace,
    Dagger,
    Armour,
    Shield,
    Lantern,
}

/// A recipe's requirements and attribute weights.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipeDef {
    pub name: &'static str,
    pub slot: Slot,
    /// The class it is made for, if any.
    pub for_class: Option<Class>,
    /// Units of ore it takes, exactly.
    pub units: u32,
    /// Lowest ore tier it accepts.
    pub min_tier: u8,
    /// (attribute, weight) pairs.
    pub weights: &'static [(Attr, u16)],
    pub what: &'static str,
}

impl Recipe {
    pub const ALL: [Recipe; 9] = [
        Recipe::Sword,
        Recipe::Axe,
        Recipe::Staff,
        Recipe::Bow,
        Recipe::Mace,
        Recipe::Dagger,
        Recipe::Armour,
        Recipe::Shield,
        Recipe::Lantern,
    ];

    pub fn def(self) -> RecipeDef {
        use Attr::*;
        let (name, slot, for_class, units, min_tier, weights, what): (
            _,
            _,
            _,
            _,
            _,
            &'static [(Attr, u16)],
            _,
        ) = match self {
            Recipe::Sword => (
                "Sword",
                Slot::Weapon,
                Some(Class::Warrior),
                8,
                1,
                &[(SR, 3), (UT, 3), (DR, 1), (MA, 1)],
                "melee damage from SR and UT",
            ),
            Recipe::Axe => (
                "Axe",
                Slot::Weapon,
                Some(Class::Warrior),
                10,
                2,
                &[(UT, 4), (SR, 2), (HR, 1), (MA, 1)],
                "heavier melee damage from UT",
            ),
            Recipe::Staff => (
                "Staff",
                Slot::Weapon,
                Some(Class::Mage),
                6,
                1,
                &[(CD, 3), (PE, 3), (OQ, 1), (HR, 1)],
                "spell power from CD and PE",
            ),
            Recipe::Bow => (
                "Bow",
                Slot::Weapon,
                Some(Class::Ranger),
                6,
                1,
                &[(MA, 3), (SR, 2), (OQ, 2), (UT, 1)],
                "shot damage from MA and SR",
            ),
            Recipe::Mace => (
                "Mace",
                Slot::Weapon,
                Some(Class::Healer),
                7,
                1,
                &[(PE, 3), (DR, 2), (CD, 1), (UT, 2)],
                "healing from PE, some melee",
            ),
            Recipe::Dagger => (
                "Dagger",
                Slot::Weapon,
                None,
                4,
                1,
                &[(OQ, 2), (SR, 2), (MA, 1)],
                "light melee damage, for anyone",
            ),
            Recipe::Armour => (
                "Armour",
                Slot::Armour,
                None,
                12,
                1,
                &[(DR, 3), (SR, 2), (UT, 3), (HR, 1)],
                "armour from DR, SR and UT",
            ),
            Recipe::Shield => (
                "Shield",
                Slot::Shield,
                None,
                8,
                1,
                &[(SR, 3), (HR, 2), (UT, 2)],
                "armour from SR and HR",
            ),
            Recipe::Lantern => (
                "Lantern",
                Slot::Lantern,
                None,
                5,
                1,
                &[(PE, 3), (CD, 2), (OQ, 2)],
                "light radius from PE and CD",
            ),
        };
        RecipeDef {
            name,
            slot,
            for_class,
            units,
            min_tier,
            weights,
            what,
        }
    }

    /// The combat numbers of an item of this recipe at `quality` worn by a `class`: a weapon
    /// made for another class gives half of each (rounded down). Weapon affinity: a mage
    /// fights with her staff, not with the warrior's sword.
    pub fn stats_for(self, quality: u16, class: Class) -> GearStats {
        let s = self.stats(quality);
        match self.def().for_class {
            Some(c) if c != class => GearStats {
                melee: s.melee / 2,
                spell: s.spell / 2,
                shot: s.shot / 2,
                heal: s.heal / 2,
                armor: s.armor / 2,
                sight: s.sight / 2,
            },
            _ => s,
        }
    }

    /// The combat numbers of an item of this recipe at `quality`.
    pub fn stats(self, quality: u16) -> GearStats {
        let q = quality;
        let mut s = GearStats::default();
        match self {
            Recipe::Sword => s.melee = q / 70 + 2,
            Recipe::Axe => s.melee = q / 63 + 2,
            Recipe::Dagger => s.melee = q / 86 + 2,
            Recipe::Staff => {
                s.spell = q / 46 + 2;
                s.melee = 1;
            }
            Recipe::Bow => s.shot = q / 40 + 2,
            Recipe::Mace => {
                s.heal = q / 51 + 2;
                s.melee = q / 114 + 2;
            }
            Recipe::Armour => s.armor = q / 86 + 2,
            Recipe::Shield => s.armor = q / 143 + 2,
            Recipe::Lantern => s.sight = q / 300 + 1,
        }
        s
    }
}

/// What gear adds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GearStats {
    pub melee: u16,
    pub spell: u16,
    pub shot: u16,
    pub heal: u16,
    pub armor: u16,
    pub sight: u16,
}

impl std::ops::Add for GearStats {
    type Output = GearStats;

    fn add(self, o: GearStats) -> GearStats {
        GearStats {
            melee: self.melee + o.melee,
            spell: self.spell + o.spell,
            shot: self.shot + o.shot,
            heal: self.heal + o.heal,
            armor: self.armor + o.armor,
            sight: self.sight + o.sight,
        }
    }
}

impl GearStats {
    /// A short description for screens: "+3 melee, +1 armour".
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            (self.melee, "melee"),
            (self.spell, "spell"),
            (self.shot, "shot"),
            (self.heal, "heal"),
            (self.armor, "armour"),
            (self.sight, "sight"),
        ]
        .iter()
        .filter(|(v, _)| *v > 0)
        .map(|(v, n)| format!("+{v} {n}"))
        .collect();
        parts.join(", ")
    }
}

/// The quality (1..=1000) of an item made by `recipe` from `(attributes, units)` pairs.
/// `None` when no units are given.
pub fn quality(recipe: Recipe, inputs: &[(Attributes, u32)]) -> Option<u16> {
    let total: u64 = inputs.iter().map(|(_, u)| u64::from(*u)).sum();
    if total == 0 {
        return None;
    }
    let def = recipe.def();
    let weight_sum: u64 = def.weights.iter().map(|(_, w)| u64::from(*w)).sum();
    // Σ_a w_a · (Σ_i u_i · attr_i,a / Σ_i u_i) / Σ w — computed in integers, once divided.
    let weighted: u64 = def
        .weights
        .iter()
        .map(|(attr, w)| {
            let sum: u64 = inputs
                .iter()
                .map(|(attrs, u)| u64::from(*u) * u64::from(attrs.get(*attr)))
                .sum();
            u64::from(*w) * sum
        })
        .sum();
    Some((weighted / (total * weight_sum)).clamp(1, 1000) as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(all: u16) -> Attributes {
        Attributes([all; 8])
    }

    #[test]
    fn quality_is_the_unit_weighted_then_recipe_weighted_average() {
        // One spawn: quality is the recipe-weighted average of its attributes.
        let mut a = [100u16; 8];
        a[Attr::SR as usize] = 900;
        a[Attr::UT as usize] = 500;
        // Sword weights SR 3, UT 3, DR 1, MA 1: (3·900 + 3·500 + 100 + 100) / 8 = 550.
        assert_eq!(quality(Recipe::Sword, &[(Attributes(a), 8)]), Some(550));
        // Two spawns: each attribute averaged by units first (6 × 800 and 2 × 400 → 700).
        assert_eq!(
            quality(Recipe::Sword, &[(attrs(800), 6), (attrs(400), 2)]),
            Some(700)
        );
        assert_eq!(quality(Recipe::Sword, &[]), None);
    }

    #[test]
    fn better_ore_makes_better_gear() {
        let low = quality(Recipe::Armour, &[(attrs(200), 12)]).unwrap();
        let high = quality(Recipe::Armour, &[(attrs(900), 12)]).unwrap();
        assert!(high > low);
        assert!(Recipe::Armour.stats(high).armor > Recipe::Armour.stats(low).armor);
        assert!(Recipe::Staff.stats(900).spell > Recipe::Staff.stats(100).spell);
    }

    #[test]
    fn every_class_has_a_weapon_and_there_are_eight_or_more_recipes() {
        assert!(Recipe::ALL.len() >= 8);
        for class in Class::ALL {
            assert!(
                Recipe::ALL
                    .iter()
                    .any(|r| r.def().slot == Slot::Weapon && r.def().for_class == Some(class)),
                "{class} has no weapon"
            );
        }
        for slot in Slot::ALL {
            assert!(Recipe::ALL.iter().any(|r| r.def().slot == slot));
        }
    }
}
