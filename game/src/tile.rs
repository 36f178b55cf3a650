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
}

impl Tile {
    /// Can a creature stand here?
    pub const fn is_walkable(self) -> bool {
        !matches!(self, Tile::Wall | Tile::DoorClosed | Tile::Vein)
    }

    /// Does this tile stop line of sight?
    pub const fn blocks_sight(self) -> bool {
        matches!(self, Tile::Wall | Tile::DoorClosed | Tile::Vein)
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
        ] {
            assert_eq!(Tile::from_code(tile.code()), Some(tile));
        }
        assert_eq!(Tile::from_code(0), None);
    }
}
