//! Grid geometry: positions, the eight directions and distances on the dungeon grid.

use serde::{Deserialize, Serialize};

/// A cell on a floor. `x` grows east, `y` grows south; (0, 0) is the north-west corner.
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Pos {
    pub x: i16,
    pub y: i16,
}

impl Pos {
    pub const fn new(x: i16, y: i16) -> Pos {
        Pos { x, y }
    }

    /// The neighbouring cell in direction `dir`.
    pub fn step(self, dir: Dir) -> Pos {
        let (dx, dy) = dir.delta();
        Pos::new(self.x + dx, self.y + dy)
    }

    /// Moves needed on an 8-connected grid (Chebyshev distance).
    pub fn chebyshev(self, other: Pos) -> i16 {
        (self.x - other.x).abs().max((self.y - other.y).abs())
    }

    /// Squared Euclidean distance, for circular radii.
    pub fn dist2(self, other: Pos) -> i32 {
        let dx = i32::from(self.x - other.x);
        let dy = i32::from(self.y - other.y);
        dx * dx + dy * dy
    }

    /// True for the eight cells around `self` (not `self`).
    pub fn is_adjacent(self, other: Pos) -> bool {
        self != other && self.chebyshev(other) == 1
    }
}

/// One of the eight compass directions.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Dir {
    N,
    NE,
    E,
    SE,
    S,
    SW,
    W,
    NW,
}

impl Dir {
    pub const ALL: [Dir; 8] = [
        Dir::N,
        Dir::NE,
        Dir::E,
        Dir::SE,
        Dir::S,
        Dir::SW,
        Dir::W,
        Dir::NW,
    ];

    pub const fn delta(self) -> (i16, i16) {
        match self {
            Dir::N => (0, -1),
            Dir::NE => (1, -1),
            Dir::E => (1, 0),
            Dir::SE => (1, 1),
            Dir::S => (0, 1),
            Dir::SW => (-1, 1),
            Dir::W => (-1, 0),
            Dir::NW => (-1, -1),
        }
    }

    /// The direction of one step from `from` toward `to`, or `None` when they coincide.
    pub fn toward(from: Pos, to: Pos) -> Option<Dir> {
        let dx = (to.x - from.x).signum();
        let dy = (to.y - from.y).signum();
        Dir::ALL.into_iter().find(|d| d.delta() == (dx, dy))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toward_points_one_step_closer() {
        let from = Pos::new(5, 5);
        for to in [
            Pos::new(9, 1),
            Pos::new(5, 9),
            Pos::new(0, 5),
            Pos::new(2, 8),
        ] {
            let dir = Dir::toward(from, to).expect("distinct cells have a direction");
            assert!(from.step(dir).chebyshev(to) < from.chebyshev(to));
        }
        assert_eq!(Dir::toward(from, from), None);
    }
}
