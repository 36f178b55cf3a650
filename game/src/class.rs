//! Character classes and their base numbers. Abilities arrive with the abilities issue; the
//! numbers here already give each class its role (the warrior tanks, the mage is fragile).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A character's class, chosen at character creation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Class {
    Warrior,
    Mage,
    Ranger,
    Healer,
}

/// Base numbers of a class.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ClassStats {
    pub max_hp: u16,
    pub max_mana: u16,
    /// Subtracted from each hit taken (a hit always does at least 1).
    pub armor: u16,
    /// Melee damage range, inclusive.
    pub melee: (u16, u16),
    /// Chance to hit in percent.
    pub accuracy: u16,
    /// Light radius in cells.
    pub sight: u16,
}

impl Class {
    pub const ALL: [Class; 4] = [Class::Warrior, Class::Mage, Class::Ranger, Class::Healer];

    pub const fn stats(self) -> ClassStats {
        match self {
            Class::Warrior => ClassStats {
                max_hp: 40,
                max_mana: 0,
                armor: 2,
                melee: (2, 6),
                accuracy: 85,
                sight: 7,
            },
            Class::Mage => ClassStats {
                max_hp: 22,
                max_mana: 30,
                armor: 0,
                melee: (1, 4),
                accuracy: 75,
                sight: 8,
            },
            Class::Ranger => ClassStats {
                max_hp: 28,
                max_mana: 0,
                armor: 1,
                melee: (2, 5),
                accuracy: 85,
                sight: 10,
            },
            Class::Healer => ClassStats {
                max_hp: 26,
                max_mana: 30,
                armor: 1,
                melee: (1, 4),
                accuracy: 80,
                sight: 8,
            },
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Class::Warrior => "Warrior",
            Class::Mage => "Mage",
            Class::Ranger => "Ranger",
            Class::Healer => "Healer",
        }
    }

    /// One line for the class picker.
    pub const fn blurb(self) -> &'static str {
        match self {
            Class::Warrior => "high HP and armour, holds the line in melee",
            Class::Mage => "fragile; fire, frost and blink from range",
            Class::Ranger => "sees furthest, scouts ahead",
            Class::Healer => "keeps the party standing",
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The text was not one of `warrior`, `mage`, `ranger`, `healer`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown class {0:?}: choose warrior, mage, ranger or healer")]
pub struct UnknownClass(pub String);

impl FromStr for Class {
    type Err = UnknownClass;

    fn from_str(s: &str) -> Result<Class, UnknownClass> {
        Class::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownClass(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_parse_case_insensitively() {
        assert_eq!("mage".parse::<Class>(), Ok(Class::Mage));
        assert_eq!(" WARRIOR ".parse::<Class>(), Ok(Class::Warrior));
        assert!(
            "bard"
                .parse::<Class>()
                .unwrap_err()
                .to_string()
                .contains("bard")
        );
    }

    #[test]
    fn warrior_is_the_sturdiest_and_casters_have_mana() {
        let w = Class::Warrior.stats();
        for c in [Class::Mage, Class::Ranger, Class::Healer] {
            assert!(w.max_hp > c.stats().max_hp);
        }
        assert!(Class::Mage.stats().max_mana > 0 && Class::Healer.stats().max_mana > 0);
        assert_eq!(Class::Warrior.stats().max_mana, 0);
    }
}
