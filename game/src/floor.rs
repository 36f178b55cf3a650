//! One dungeon floor: its tiles, what each party remembers of it, its stairs and its monsters.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::geom::Pos;
use crate::ids::{EntityId, PartyId, PlayerId};
use crate::monster::Monster;
use crate::tile::Tile;

/// Floor size. Much larger than an 80×24 screen: the camera follows the player.
/// (96×40 until BALANCE change 24: a floor took the simulator's party 1.5–4 minutes, the
/// whole game half an hour.)
pub const FLOOR_WIDTH: u16 = 152;
pub const FLOOR_HEIGHT: u16 = 64;
/// The floor area a floor's counts of things are written for (96×40): rooms, cave chambers,
/// monsters, veins, potions and scrolls, lakes, lava pools, traps and braziers come in
/// proportion to the real area ([`per_area`]). The stairs, the shrine, the vault, the lode, a
/// chasm and a unique stay one to a floor.
pub const BASE_AREA: usize = 96 * 40;

/// `count` things written for [`BASE_AREA`], in proportion to the floor's area (rounded).
pub const fn per_area(count: usize) -> usize {
    let area = FLOOR_WIDTH as usize * FLOOR_HEIGHT as usize;
    (count * area + BASE_AREA / 2) / BASE_AREA
}
/// The Heart of the Deep lies on the last floor.
pub const DEEPEST_FLOOR: u8 = 12;

/// A dense rectangle of cells, row-major.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grid<T> {
    width: u16,
    height: u16,
    cells: Vec<T>,
}

impl<T: Clone> Grid<T> {
    pub fn new(width: u16, height: u16, fill: T) -> Grid<T> {
        Grid {
            width,
            height,
            cells: vec![fill; usize::from(width) * usize::from(height)],
        }
    }

    /// Sets every cell to `value`, keeping the allocation.
    pub fn fill(&mut self, value: T) {
        self.cells.fill(value);
    }
}

impl<T> Grid<T> {
    pub fn width(&self) -> u16 {
        self.width
    }

    pub fn height(&self) -> u16 {
        self.height
    }

    pub fn contains(&self, p: Pos) -> bool {
        p.x >= 0 && p.y >= 0 && (p.x as u16) < self.width && (p.y as u16) < self.height
    }

    /// Row-major index of `p`, or `None` outside the grid.
    pub fn index(&self, p: Pos) -> Option<usize> {
        self.contains(p)
            .then(|| p.y as usize * usize::from(self.width) + p.x as usize)
    }

    /// The cell at row-major `index`.
    pub fn pos_of(&self, index: usize) -> Pos {
        let w = usize::from(self.width);
        Pos::new((index % w) as i16, (index / w) as i16)
    }

    pub fn get(&self, p: Pos) -> Option<&T> {
        self.index(p).map(|i| &self.cells[i])
    }

    /// Writes `value` at `p`; returns false (and writes nothing) outside the grid.
    pub fn set(&mut self, p: Pos, value: T) -> bool {
        match self.index(p) {
            Some(i) => {
                self.cells[i] = value;
                true
            }
            None => false,
        }
    }

    pub fn cells(&self) -> &[T] {
        &self.cells
    }

    /// Whether the grid is whole: as many cells as its size says, and a size a floor can have.
    pub fn is_whole(&self) -> bool {
        self.width > 0
            && self.height > 0
            && self.width <= i16::MAX as u16
            && self.height <= i16::MAX as u16
            && self.cells.len() == usize::from(self.width) * usize::from(self.height)
    }

    /// Every position in row-major order.
    pub fn positions(&self) -> impl Iterator<Item = Pos> + use<T> {
        let (w, h) = (self.width as i16, self.height as i16);
        (0..h).flat_map(move |y| (0..w).map(move |x| Pos::new(x, y)))
    }
}

/// A floor of the dungeon. Generated from the world seed and its depth on first visit, then
/// persisted as changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Floor {
    pub depth: u8,
    tiles: Grid<Tile>,
    /// Per party that has been here: each cell as it looked when one of its members last saw
    /// it (`None` = never seen). A party's grid appears with its first look.
    memories: BTreeMap<PartyId, Grid<Option<Tile>>>,
    pub stairs_up: Pos,
    pub stairs_down: Option<Pos>,
    pub monsters: BTreeMap<EntityId, Monster>,
    /// Snares set by rangers: the first monster to step on one is rooted.
    pub traps: BTreeMap<Pos, PlayerId>,
    /// The last tick a character in the world stood here (the floor is made on a first visit):
    /// a floor left alone long enough fills up again a little ([`crate::world`]'s arrival).
    pub visited_at: crate::tick::Tick,
    /// What is hidden here and what it really is: a secret door (the cell shows as wall until
    /// found) or a trap (it shows as floor). Found by standing next to it a while, or a trap by
    /// stepping on it ([`crate::World`]'s searching).
    pub hidden: BTreeMap<Pos, Tile>,
}

/// A monster as saves of schema 6 hold it: before telegraphed specials.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MonsterV6 {
    id: EntityId,
    kind: crate::monster::MonsterKind,
    pos: Pos,
    hp: u16,
    next_act: crate::tick::Tick,
    target: Option<PlayerId>,
    last_seen: Option<Pos>,
    effects: crate::monster::MonsterEffects,
    home: Pos,
    master: Option<EntityId>,
    special_at: crate::tick::Tick,
    asleep: bool,
}

impl MonsterV6 {
    /// Not winding anything up.
    fn upgrade(self) -> Monster {
        Monster {
            id: self.id,
            kind: self.kind,
            pos: self.pos,
            hp: self.hp,
            next_act: self.next_act,
            target: self.target,
            last_seen: self.last_seen,
            effects: self.effects,
            home: self.home,
            master: self.master,
            special_at: self.special_at,
            asleep: self.asleep,
            windup: None,
        }
    }
}

/// A floor as saves of schema 6 hold it: before specials, repopulation and hidden things.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FloorV6 {
    depth: u8,
    tiles: Grid<Tile>,
    memories: BTreeMap<PartyId, Grid<Option<Tile>>>,
    stairs_up: Pos,
    stairs_down: Option<Pos>,
    monsters: BTreeMap<EntityId, MonsterV6>,
    traps: BTreeMap<Pos, PlayerId>,
}

impl FloorV6 {
    /// The floor as last visited `now` (the upgrade is no long absence).
    pub(crate) fn upgrade(self, now: crate::tick::Tick) -> Floor {
        Floor {
            depth: self.depth,
            tiles: self.tiles,
            memories: self.memories,
            stairs_up: self.stairs_up,
            stairs_down: self.stairs_down,
            monsters: self
                .monsters
                .into_iter()
                .map(|(id, m)| (id, m.upgrade()))
                .collect(),
            traps: self.traps,
            visited_at: now,
            hidden: BTreeMap::new(),
        }
    }
}

/// A monster as saves of schemas 3 to 5 hold it: before sleep.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MonsterV5 {
    id: EntityId,
    kind: crate::monster::MonsterKind,
    pos: Pos,
    hp: u16,
    next_act: crate::tick::Tick,
    target: Option<PlayerId>,
    last_seen: Option<Pos>,
    effects: crate::monster::MonsterEffects,
    home: Pos,
    master: Option<EntityId>,
    special_at: crate::tick::Tick,
}

impl MonsterV5 {
    /// Awake.
    fn upgrade(self) -> MonsterV6 {
        MonsterV6 {
            id: self.id,
            kind: self.kind,
            pos: self.pos,
            hp: self.hp,
            next_act: self.next_act,
            target: self.target,
            last_seen: self.last_seen,
            effects: self.effects,
            home: self.home,
            master: self.master,
            special_at: self.special_at,
            asleep: false,
        }
    }
}

/// A floor as saves of schemas 4 and 5 hold it: its monsters before sleep.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FloorV5 {
    depth: u8,
    tiles: Grid<Tile>,
    memories: BTreeMap<PartyId, Grid<Option<Tile>>>,
    stairs_up: Pos,
    stairs_down: Option<Pos>,
    monsters: BTreeMap<EntityId, MonsterV5>,
    traps: BTreeMap<Pos, PlayerId>,
}

impl FloorV5 {
    /// The floor with every monster awake.
    pub(crate) fn upgrade(self) -> FloorV6 {
        FloorV6 {
            depth: self.depth,
            tiles: self.tiles,
            memories: self.memories,
            stairs_up: self.stairs_up,
            stairs_down: self.stairs_down,
            monsters: self
                .monsters
                .into_iter()
                .map(|(id, m)| (id, m.upgrade()))
                .collect(),
            traps: self.traps,
        }
    }
}

/// A floor as saves of schema 3 (before parties) hold it: one memory for the whole world.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FloorV3 {
    depth: u8,
    tiles: Grid<Tile>,
    remembered: Grid<Option<Tile>>,
    stairs_up: Pos,
    stairs_down: Option<Pos>,
    monsters: BTreeMap<EntityId, MonsterV5>,
    traps: BTreeMap<Pos, PlayerId>,
}

impl FloorV3 {
    /// The floor, its one memory now `party`'s (none when the world has no party).
    pub(crate) fn upgrade(self, party: Option<PartyId>) -> FloorV5 {
        let seen = self.remembered.cells.iter().any(Option::is_some);
        FloorV5 {
            depth: self.depth,
            tiles: self.tiles,
            memories: party
                .filter(|_| seen)
                .map(|p| (p, self.remembered))
                .into_iter()
                .collect(),
            stairs_up: self.stairs_up,
            stairs_down: self.stairs_down,
            monsters: self.monsters,
            traps: self.traps,
        }
    }
}

impl Floor {
    pub fn new(depth: u8, tiles: Grid<Tile>, stairs_up: Pos, stairs_down: Option<Pos>) -> Floor {
        Floor {
            depth,
            tiles,
            memories: BTreeMap::new(),
            stairs_up,
            stairs_down,
            monsters: BTreeMap::new(),
            traps: BTreeMap::new(),
            visited_at: crate::tick::Tick::default(),
            hidden: BTreeMap::new(),
        }
    }

    pub fn width(&self) -> u16 {
        self.tiles.width()
    }

    pub fn height(&self) -> u16 {
        self.tiles.height()
    }

    pub fn tiles(&self) -> &Grid<Tile> {
        &self.tiles
    }

    /// What `party` remembers of this floor; `None` when none of it has looked here yet.
    pub fn memory(&self, party: PartyId) -> Option<&Grid<Option<Tile>>> {
        self.memories.get(&party)
    }

    /// Every party's memory of this floor.
    pub fn memories(&self) -> impl Iterator<Item = (PartyId, &Grid<Option<Tile>>)> {
        self.memories.iter().map(|(id, grid)| (*id, grid))
    }

    /// `party` forgets this floor (it has no members left).
    pub(crate) fn forget_party(&mut self, party: PartyId) {
        self.memories.remove(&party);
    }

    /// Adds what party `from` remembers of this floor to what party `into` remembers: cells
    /// `into` never saw take `from`'s memory; where both saw a cell, `into`'s own stays.
    pub(crate) fn share_memory(&mut self, from: PartyId, into: PartyId) {
        let Some(theirs) = self.memories.get(&from).cloned() else {
            return;
        };
        let ours = self
            .memories
            .entry(into)
            .or_insert_with(|| Grid::new(theirs.width(), theirs.height(), None));
        for (mine, seen) in ours.cells.iter_mut().zip(theirs.cells) {
            if mine.is_none() {
                *mine = seen;
            }
        }
    }

    /// The tile at `p`; outside the floor everything is wall.
    /// What is wrong with a floor read from outside (a save or a replay file) that the rules
    /// assume cannot happen: grids of the wrong size, stairs or monsters off the floor.
    pub fn flaw(&self) -> Option<String> {
        let depth = self.depth;
        if !(1..=DEEPEST_FLOOR).contains(&depth) {
            return Some(format!(
                "floor {depth} is not between 1 and {DEEPEST_FLOOR}"
            ));
        }
        let size = (self.tiles.width(), self.tiles.height());
        if !self.tiles.is_whole()
            || self
                .memories
                .values()
                .any(|m| !m.is_whole() || (m.width(), m.height()) != size)
        {
            return Some(format!("floor {depth}'s grids do not match its size"));
        }
        let off = |p: &Pos| !self.tiles.contains(*p);
        if off(&self.stairs_up) || self.stairs_down.as_ref().is_some_and(off) {
            return Some(format!("floor {depth}'s stairs are off the floor"));
        }
        let mut at = std::collections::BTreeSet::new();
        for (id, m) in &self.monsters {
            if m.id != *id || off(&m.pos) || off(&m.home) || !at.insert(m.pos) {
                return Some(format!("floor {depth}'s monster {} is misplaced", id.0));
            }
        }
        if self.traps.keys().any(off) {
            return Some(format!("floor {depth} has a snare off the floor"));
        }
        None
    }

    /// Whether `p` is on the floor.
    pub fn contains(&self, p: Pos) -> bool {
        self.tiles.contains(p)
    }

    pub fn tile(&self, p: Pos) -> Tile {
        self.tiles.get(p).copied().unwrap_or(Tile::Wall)
    }

    pub fn set_tile(&mut self, p: Pos, tile: Tile) {
        self.tiles.set(p, tile);
    }

    /// Records that `party` sees `p` now. Returns true when its memory changed.
    pub fn remember(&mut self, party: PartyId, p: Pos) -> bool {
        let now = Some(self.tile(p));
        let (w, h) = (self.tiles.width(), self.tiles.height());
        let memory = self
            .memories
            .entry(party)
            .or_insert_with(|| Grid::new(w, h, None));
        match memory.index(p) {
            Some(i) if memory.cells[i] != now => {
                memory.cells[i] = now;
                true
            }
            _ => false,
        }
    }

    pub fn monster_at(&self, p: Pos) -> Option<&Monster> {
        self.monsters.values().find(|m| m.pos == p)
    }

    /// Parses an ASCII map: `#` wall, `.` floor, `+` closed door, `'` open door, `>` / `<` stairs,
    /// `%` ore vein, `_` Vault Shrine, `~` shallow and `≈` deep water, `≋` lava, `:` chasm,
    /// `=` bridge, `¡` `†` `¤` found traps ([`Tile::picture`]).
    /// Any other character is floor, so fixtures can mark places with letters. For tests and tools.
    pub fn from_ascii(depth: u8, rows: &[&str]) -> Floor {
        let height = rows.len() as u16;
        let width = rows.iter().map(|r| r.chars().count()).max().unwrap_or(0) as u16;
        let mut tiles = Grid::new(width, height, Tile::Wall);
        let mut up = Pos::default();
        let mut down = None;
        for (y, row) in rows.iter().enumerate() {
            for (x, c) in row.chars().enumerate() {
                let p = Pos::new(x as i16, y as i16);
                let tile = match c {
                    '#' | ' ' => Tile::Wall,
                    '+' => Tile::DoorClosed,
                    '\'' => Tile::DoorOpen,
                    '>' => {
                        down = Some(p);
                        Tile::StairsDown
                    }
                    '<' => {
                        up = p;
                        Tile::StairsUp
                    }
                    '%' => Tile::Vein,
                    '$' => Tile::Lode,
                    '_' => Tile::Shrine,
                    '~' => Tile::ShallowWater,
                    '≈' => Tile::DeepWater,
                    '≋' => Tile::Lava,
                    ':' => Tile::Chasm,
                    '=' => Tile::Bridge,
                    '¡' => Tile::TrapAlarm,
                    '†' => Tile::TrapDart,
                    '¤' => Tile::TrapNet,
                    '‡' => Tile::DoorLocked,
                    '☼' => Tile::Brazier,
                    _ => Tile::Floor,
                };
                tiles.set(p, tile);
            }
        }
        Floor::new(depth, tiles, up, down)
    }

    /// The positions of every occurrence of `marker` in `rows` (fixture helper).
    pub fn find_marker(rows: &[&str], marker: char) -> Vec<Pos> {
        let mut found = Vec::new();
        for (y, row) in rows.iter().enumerate() {
            for (x, c) in row.chars().enumerate() {
                if c == marker {
                    found.push(Pos::new(x as i16, y as i16));
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_rejects_cells_outside() {
        let mut g = Grid::new(3, 2, 0u8);
        assert!(g.set(Pos::new(2, 1), 7));
        assert!(!g.set(Pos::new(3, 0), 1));
        assert!(!g.set(Pos::new(-1, 0), 1));
        assert_eq!(g.get(Pos::new(2, 1)), Some(&7));
        assert_eq!(g.index(Pos::new(0, 2)), None);
        assert_eq!(g.pos_of(5), Pos::new(2, 1));
    }

    #[test]
    fn ascii_fixture_round_trips_tiles() {
        let f = Floor::from_ascii(1, &["#####", "#<.+#", "#'>.#", "#####"]);
        assert_eq!(f.tile(Pos::new(1, 1)), Tile::StairsUp);
        assert_eq!(f.tile(Pos::new(3, 1)), Tile::DoorClosed);
        assert_eq!(f.tile(Pos::new(1, 2)), Tile::DoorOpen);
        assert_eq!(f.stairs_down, Some(Pos::new(2, 2)));
        assert_eq!(f.tile(Pos::new(40, 40)), Tile::Wall);
    }
}
