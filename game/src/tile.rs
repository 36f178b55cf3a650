//! Map tiles: what a cell is made of and how it behaves for walking and sight.

use serde::{Deserialize, Serialize};

/// The terrain of one cell.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Tile {
    Wall,
    Floor,
    DoorClosed,
    DoorOpen,
    StairsDown,
    StairsUp,
    /// Ore in the wall: mine it by walking into it.
    Vein,
    /// A Vault Shrine: deposit and withdraw ore standing on or next to it.
    Shrine,
    // Added with issue 13 (appended: saves name tiles by their index).
    /// Wading: as floor.
    ShallowWater,
    /// Swimming: every step there takes twice as long, for monsters too.
    DeepWater,
    /// Nobody walks into it (a character is stopped and told); sight crosses it.
    Lava,
    /// A drop to the floor below: a character who walks in falls (and is hurt a little);
    /// monsters keep away. Sight crosses it.
    Chasm,
    /// A way across a chasm: as floor.
    Bridge,
    /// Traps, once found (hidden ones are floor until then, see `Floor::hidden`): stepping on
    /// one springs it. An alarm wakes and calls the monsters around …
    TrapAlarm,
    /// … a dart hurts …
    TrapDart,
    /// … a net holds the one caught for a moment.
    TrapNet,
    /// A door that opens only to a character carrying a key (which it uses up); a vault's.
    DoorLocked,
    /// Fire in an iron bowl: it lights the cells around it on a dark floor. Nobody walks
    /// into it; sight crosses it.
    Brazier,
    /// A lode: a rich vein of ore a class better than the floor's own, in a dead end a band
    /// from deeper down sleeps beside ([`crate::mapgen::Lode`]). Mined as a vein.
    Lode,
}

impl Tile {
    /// Can a creature stand here?
    pub const fn is_walkable(self) -> bool {
        !matches!(
            self,
            Tile::Wall
                | Tile::DoorClosed
                | Tile::Vein
                | Tile::Lode
                | Tile::Lava
                | Tile::Chasm
                | Tile::DoorLocked
                | Tile::Brazier
        )
    }

    /// Does this tile stop line of sight?
    pub const fn blocks_sight(self) -> bool {
        matches!(
            self,
            Tile::Wall | Tile::DoorClosed | Tile::Vein | Tile::Lode | Tile::DoorLocked
        )
    }

    /// Its character in ASCII pictures of floors (tests and fixtures:
    /// [`crate::floor::Floor::from_ascii`], [`crate::World::ascii`]).
    pub const fn picture(self) -> char {
        match self {
            Tile::Wall => '#',
            Tile::Floor => '.',
            Tile::DoorClosed => '+',
            Tile::DoorOpen => '\'',
            Tile::StairsDown => '>',
            Tile::StairsUp => '<',
            Tile::Vein => '%',
            Tile::Shrine => '_',
            Tile::ShallowWater => '~',
            Tile::DeepWater => '≈',
            Tile::Lava => '≋',
            Tile::Chasm => ':',
            Tile::Bridge => '=',
            Tile::TrapAlarm => '¡',
            Tile::TrapDart => '†',
            Tile::TrapNet => '¤',
            Tile::DoorLocked => '‡',
            Tile::Brazier => '☼',
            Tile::Lode => '$',
        }
    }

    /// Ore in the wall, a floor's own or a lode: walking into it mines it.
    pub const fn is_vein(self) -> bool {
        matches!(self, Tile::Vein | Tile::Lode)
    }

    /// A trap (found)?
    pub const fn is_trap(self) -> bool {
        matches!(self, Tile::TrapAlarm | Tile::TrapDart | Tile::TrapNet)
    }

    /// A stable one-byte code for the wire (`0` means "unknown").
    pub const fn code(self) -> u8 {
        match self {
            Tile::Wall => 1,
            Tile::Floor => 2,
            Tile::DoorClosed => 3,
            Tile::DoorOpen => 4,
            Tile::StairsDown => 5,
            Tile::StairsUp => 6,
            Tile::Vein => 7,
            Tile::Shrine => 8,
            Tile::ShallowWater => 9,
            Tile::DeepWater => 10,
            Tile::Lava => 11,
            Tile::Chasm => 12,
            Tile::Bridge => 13,
            Tile::TrapAlarm => 14,
            Tile::TrapDart => 15,
            Tile::TrapNet => 16,
            Tile::DoorLocked => 17,
            Tile::Brazier => 18,
            Tile::Lode => 19,
        }
    }

    /// Inverse of [`Tile::code`]; `None` for `0` and for codes this version does not know.
    pub const fn from_code(code: u8) -> Option<Tile> {
        Some(match code {
            1 => Tile::Wall,
            2 => Tile::Floor,
            3 => Tile::DoorClosed,
            4 => Tile::DoorOpen,
            5 => Tile::StairsDown,
            6 => Tile::StairsUp,
            7 => Tile::Vein,
            8 => Tile::Shrine,
            9 => Tile::ShallowWater,
            10 => Tile::DeepWater,
            11 => Tile::Lava,
            12 => Tile::Chasm,
            13 => Tile::Bridge,
            14 => Tile::TrapAlarm,
            15 => Tile::TrapDart,
            16 => Tile::TrapNet,
            17 => Tile::DoorLocked,
            18 => Tile::Brazier,
            19 => Tile::Lode,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_codes_round_trip_and_zero_is_unknown() {
        for tile in [
            Tile::Wall,
            Tile::Floor,
            Tile::DoorClosed,
            Tile::DoorOpen,
            Tile::StairsDown,
            Tile::StairsUp,
            Tile::Vein,
            Tile::Shrine,
            Tile::ShallowWater,
            Tile::DeepWater,
            Tile::Lava,
            Tile::Chasm,
            Tile::Bridge,
            Tile::TrapAlarm,
            Tile::TrapDart,
            Tile::TrapNet,
            Tile::DoorLocked,
            Tile::Brazier,
            Tile::Lode,
        ] {
            assert_eq!(Tile::from_code(tile.code()), Some(tile));
        }
        assert_eq!(Tile::from_code(0), None);
    }
}
