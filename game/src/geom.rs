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

    /// The neighbouring cell in direction `dir`. At the edge of the coordinate range the step
    /// stays put (positions can come from a peer; no arithmetic on them may overflow).
    pub fn step(self, dir: Dir) -> Pos {
        let (dx, dy) = dir.delta();
        Pos::new(self.x.saturating_add(dx), self.y.saturating_add(dy))
    }

    /// Moves needed on an 8-connected grid (Chebyshev distance), for any two positions.
    pub fn chebyshev(self, other: Pos) -> i32 {
        let (dx, dy) = self.delta_to(other);
        dx.abs().max(dy.abs())
    }

    /// `other - self`, widened so that no two positions overflow it.
    fn delta_to(self, other: Pos) -> (i32, i32) {
        (
            i32::from(other.x) - i32::from(self.x),
            i32::from(other.y) - i32::from(self.y),
        )
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
        let (dx, dy) = from.delta_to(to);
        let (dx, dy) = (dx.signum() as i16, dy.signum() as i16);
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

    #[test]
    fn arithmetic_on_extreme_positions_never_overflows() {
        let corner = Pos::new(i16::MIN, i16::MIN);
        let far = Pos::new(i16::MAX, i16::MAX);
        assert_eq!(corner.step(Dir::NW), corner);
        assert_eq!(far.step(Dir::SE), far);
        assert_eq!(corner.chebyshev(far), 65_535);
        assert_eq!(Dir::toward(corner, far), Some(Dir::SE));
    }
}
