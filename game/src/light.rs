//! Light: a floor with braziers is dark ([`crate::mapgen::FIRST_DARK_FLOOR`] and deeper make
//! them). There a character sees only [`DARK_SIGHT`] cells around it (farther with a lantern:
//! [`dark_sight`]), and beyond that only the
//! cells a brazier lights ([`LIGHT_RADIUS`] cells of the brazier's own view) and the monsters
//! that hunt someone (they are heard coming, and an archer's shots give it away) or wind up a
//! special (its wind-up glows: a telegraph is never hidden in the dark): the dark hides the
//! floor and the monsters that have not noticed anyone. Monsters
//! see in the dark as ever: they notice, wake and aim by a character's line of sight
//! (`World::line_of_sight`), not by what it sees. What is lit depends on the tiles alone, which never change around a
//! brazier, so it is worked out once per floor and never saved.

use crate::floor::{Floor, Grid};
use crate::tile::Tile;

/// How far a character sees on a dark floor without light.
pub const DARK_SIGHT: i32 = 3;
/// How far a brazier's light reaches.
pub const LIGHT_RADIUS: u16 = 4;
/// A worn lantern lights this many cells around its bearer, plus its own light (the
/// lantern's `sight`, 1–4 by quality): 4–7 where a character without one sees 3. What it
/// lights the bearer sees, so its party does.
pub const LANTERN_LIGHT: i32 = 3;

/// How far a character sees around itself on a dark floor, wearing gear that gives `light`
/// (only a lantern does).
pub fn dark_sight(light: u16) -> i32 {
    if light == 0 {
        DARK_SIGHT
    } else {
        LANTERN_LIGHT + i32::from(light)
    }
}

/// The cells `floor`'s braziers light, or `None` when it has none (it is not dark).
pub fn lit_cells(floor: &Floor) -> Option<Grid<bool>> {
    let tiles = floor.tiles();
    let braziers: Vec<_> = tiles
        .positions()
        .filter(|p| floor.tile(*p) == Tile::Brazier)
        .collect();
    if braziers.is_empty() {
        return None;
    }
    let mut lit = Grid::new(floor.width(), floor.height(), false);
    for b in braziers {
        crate::fov::compute(
            b,
            LIGHT_RADIUS,
            |p| floor.tile(p).blocks_sight(),
            |p| {
                lit.set(p, true);
            },
        );
    }
    Some(lit)
}
