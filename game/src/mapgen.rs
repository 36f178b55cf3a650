//! Floor generation: a pure function of (world seed, depth). Rooms and corridors on upper floors,
//! caves from floor 7 down (chambers joined by narrow tunnels). Every walkable cell is reachable from the up stairs.

use std::collections::VecDeque;

use crate::economy::Vein;
use crate::floor::{DEEPEST_FLOOR, FLOOR_HEIGHT, FLOOR_WIDTH, Floor, Grid, per_area};
use crate::geom::{Dir, Pos};
use crate::monster::MonsterKind;
use crate::ore::OreClass;
use crate::rng::{Rng, Stream};
use crate::tile::Tile;

/// The first floor whose layout is caves rather than rooms.
pub const FIRST_CAVE_FLOOR: u8 = 7;

/// A freshly generated floor, the monsters that start on it (the world assigns their ids), its
/// ore veins, and on the last floor where the Heart of the Deep lies.
#[derive(Clone, Debug)]
pub struct Generated {
    pub floor: Floor,
    pub spawns: Vec<(MonsterKind, Pos)>,
    pub veins: Vec<(Pos, Vein)>,
    pub heart: Option<Pos>,
    /// The floor's vault, if it has one (its door is locked).
    pub vault: Option<Vault>,
    /// The floor's lode, if it has one (its veins are among `veins`).
    pub lode: Option<Lode>,
}

/// A vault: cells reached only through one door, which is locked. The world puts loot inside
/// and a key elsewhere on the floor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vault {
    pub door: Pos,
    pub inside: Vec<Pos>,
}

/// A lode: veins of [`lode_class`] in the walls around `at`, far from the stairs, and a band
/// of monsters from [`LODE_DEEPER`] floors down asleep beside them (the world puts them in;
/// they are not scaled for the party). A reason to stop on a floor: ore a class better than
/// its own veins give, for a fight with what lives deeper.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lode {
    pub at: Pos,
    pub class: OreClass,
    pub guards: Vec<(MonsterKind, Pos)>,
}

/// The floors that have a lode: not the first (the README's first game walks it), not the
/// Heart's.
pub const LODE_FLOORS: std::ops::RangeInclusive<u8> = 2..=11;
/// How many veins a lode has, and how many units each holds at least and at most.
pub const LODE_VEINS: usize = 4;
pub const LODE_UNITS: (i32, i32) = (16, 24);
/// The lode's guards are monsters of the floor this many below.
pub const LODE_DEEPER: u8 = 2;

/// The ore of floor `depth`'s lode: the class above the better of the floor's two.
pub fn lode_class(depth: u8) -> OreClass {
    let best = OreClass::at_depth(depth)[1];
    OreClass::ALL[usize::from(best.tier()).min(OreClass::ALL.len() - 1)]
}

/// The size of a cave floor's sectors, one chamber each: 31×19 cells (a 96×40 floor is three
/// by two of them).
pub const CAVE_SECTOR: (i16, i16) = (31, 19);

/// The first floor that is dark ([`crate::light`]): its braziers light what is seen far off.
pub const FIRST_DARK_FLOOR: u8 = 10;
/// How many cells a vault holds, at least and at most.
pub const VAULT_CELLS: std::ops::RangeInclusive<usize> = 6..=60;

/// Generates floor `depth` of the world with `seed`.
pub fn generate(seed: u64, depth: u8) -> Generated {
    let mut rng = Rng::for_stream(seed, Stream::MapGen { depth });
    let (tiles, up) = if depth >= FIRST_CAVE_FLOOR {
        caves(&mut rng)
    } else {
        rooms(&mut rng)
    };
    let mut tiles = tiles;
    tiles.set(up, Tile::StairsUp);
    let distances = distances_from(&tiles, up);
    let down = (depth < DEEPEST_FLOOR).then(|| {
        let p = far_cell(&tiles, &distances, &mut rng);
        tiles.set(p, Tile::StairsDown);
        p
    });
    let spawns = spawns(&tiles, &distances, depth, &mut rng);
    // Everything below draws after the layout, stairs and monsters, so adding it did not move
    // any of them.
    let veins = veins(&mut tiles, depth, &mut rng);
    place_shrine(&mut tiles, &distances, up, &spawns, &mut rng);
    let heart = (depth == DEEPEST_FLOOR).then(|| far_cell(&tiles, &distances, &mut rng));
    let mut spawns = spawns;
    if let Some(unique) = MonsterKind::unique_at(depth) {
        let far = far_cell(&tiles, &distances, &mut rng);
        let free =
            |p: &Pos| tiles.get(*p) == Some(&Tile::Floor) && spawns.iter().all(|(_, q)| q != p);
        if let Some(lair) = std::iter::once(far).chain(around(far)).find(free) {
            spawns.push((unique, lair));
            add_escort(&tiles, &mut spawns, unique, depth, lair);
        }
    }
    let mut keep: Vec<Pos> = spawns.iter().map(|(_, p)| *p).collect();
    keep.extend([Some(up), down, heart].into_iter().flatten());
    terrain(&mut tiles, seed, depth, up, &keep);
    let hidden = secrets(&mut tiles, seed, depth, up, &keep);
    let vault = vault(&mut tiles, seed, depth, up, &keep);
    keep.extend(hidden.keys());
    braziers(&mut tiles, seed, depth, up, &keep);
    let mut veins = veins;
    let lode = lode(
        &mut tiles,
        seed,
        depth,
        up,
        &keep,
        vault.as_ref(),
        &mut veins,
    );
    let mut floor = Floor::new(depth, tiles, up, down);
    floor.hidden = hidden;
    Generated {
        floor,
        spawns,
        veins,
        heart,
        vault,
        lode,
    }
}

/// The lode of floor `depth` ([`LODE_FLOORS`]), from a stream of its own after everything
/// else (so it moves nothing): a floor cell in the farther half of the floor from the up
/// stairs, outside the vault, with nothing placed within two cells and at least
/// [`LODE_VEINS`] plain walls facing open floor within three; those walls become its veins
/// (added to `veins`) and its guards lie on the free floor around it.
fn lode(
    tiles: &mut Grid<Tile>,
    seed: u64,
    depth: u8,
    up: Pos,
    keep: &[Pos],
    vault: Option<&Vault>,
    veins: &mut Vec<(Pos, Vein)>,
) -> Option<Lode> {
    if !LODE_FLOORS.contains(&depth) {
        return None;
    }
    let mut rng = Rng::for_stream(seed, Stream::Lode { depth });
    let distances = distances_from(tiles, up);
    let faces = |tiles: &Grid<Tile>, at: Pos| -> Vec<Pos> {
        (-3..=3i16)
            .flat_map(|dy| (-3..=3i16).map(move |dx| Pos::new(at.x + dx, at.y + dy)))
            .filter(|p| tiles.get(*p) == Some(&Tile::Wall) && !keep.contains(p))
            .filter(|p| {
                [Dir::N, Dir::E, Dir::S, Dir::W]
                    .iter()
                    .any(|d| tiles.get(p.step(*d)) == Some(&Tile::Floor))
            })
            .collect()
    };
    let inside = |p: &Pos| vault.is_some_and(|v| v.inside.contains(p));
    let mut cells = by_distance(tiles, &distances, |p| {
        !inside(&p) && keep.iter().all(|k| k.chebyshev(p) > 2)
    });
    let far = cells.split_off(cells.len() / 2);
    let options: Vec<Pos> = far
        .into_iter()
        .map(|(_, p)| p)
        .filter(|p| faces(tiles, *p).len() >= LODE_VEINS)
        .collect();
    let at = *rng.pick(&options)?;
    let mut walls = faces(tiles, at);
    let class = lode_class(depth);
    for _ in 0..LODE_VEINS {
        let p = walls.swap_remove(rng.below(walls.len() as u32) as usize);
        let units = rng.range(LODE_UNITS.0, LODE_UNITS.1) as u16;
        tiles.set(p, Tile::Lode);
        veins.push((p, Vein { class, units }));
    }
    veins.sort_by_key(|(p, _)| *p);
    let deeper = (depth + LODE_DEEPER).min(DEEPEST_FLOOR);
    let kinds = MonsterKind::at_depth(deeper);
    let leader = *rng.pick(&kinds)?;
    let mut guards = Vec::new();
    let mut room = std::iter::once(at).chain(around(at));
    // (Two cells round may be through a wall: never into the vault.)
    let free = |p: &Pos| tiles.get(*p) == Some(&Tile::Floor) && !keep.contains(p) && !inside(p);
    for kind in std::iter::once(leader).chain(leader.escort(deeper).iter().copied()) {
        if let Some(p) = room.find(free) {
            guards.push((kind, p));
        }
    }
    Some(Lode { at, class, guards })
}

/// The cells reachable from `up`, doors (closed or locked) passed.
fn reach(tiles: &Grid<Tile>, up: Pos) -> Grid<bool> {
    let passable = |t: Tile| t.is_walkable() || matches!(t, Tile::DoorClosed | Tile::DoorLocked);
    let mut seen = Grid::new(tiles.width(), tiles.height(), false);
    seen.set(up, true);
    let mut queue = VecDeque::from([up]);
    while let Some(p) = queue.pop_front() {
        for d in Dir::ALL {
            let n = p.step(d);
            if tiles.get(n).is_some_and(|t| passable(*t)) && seen.get(n) == Some(&false) {
                seen.set(n, true);
                queue.push_back(n);
            }
        }
    }
    seen
}

/// A vault on a rooms floor from floor 2, from a stream of its own after everything else:
/// among the doors behind which lie [`VAULT_CELLS`] cells reached by no other way (a room at a
/// dead end, or a few), with nothing placed there (no stairs, shrine, creature or Heart), one
/// is chosen and locked. A secret door into it, if there is one, stays a secret way in.
fn vault(tiles: &mut Grid<Tile>, seed: u64, depth: u8, up: Pos, keep: &[Pos]) -> Option<Vault> {
    if !(2..FIRST_CAVE_FLOOR).contains(&depth) {
        return None;
    }
    let mut rng = Rng::for_stream(seed, Stream::Vault { depth });
    let doors: Vec<Pos> = tiles
        .positions()
        .filter(|p| matches!(tiles.get(*p), Some(Tile::DoorClosed | Tile::DoorOpen)))
        .collect();
    let mut options = Vec::new();
    for door in doors {
        let was = tiles.get(door).copied()?;
        tiles.set(door, Tile::Wall);
        let reached = reach(tiles, up);
        tiles.set(door, was);
        let inside: Vec<Pos> = tiles
            .positions()
            .filter(|p| tiles.get(*p).is_some_and(|t| t.is_walkable()))
            .filter(|p| reached.get(*p) == Some(&false))
            .collect();
        let empty = inside.iter().all(|p| {
            matches!(
                tiles.get(*p),
                Some(Tile::Floor | Tile::ShallowWater | Tile::DeepWater | Tile::Bridge)
            ) && !keep.contains(p)
        });
        let floor_cells = inside
            .iter()
            .filter(|p| tiles.get(**p) == Some(&Tile::Floor))
            .count();
        if VAULT_CELLS.contains(&inside.len()) && empty && floor_cells >= 3 {
            options.push(Vault { door, inside });
        }
    }
    let chosen = options
        .get(rng.below(options.len().max(1) as u32) as usize)?
        .clone();
    tiles.set(chosen.door, Tile::DoorLocked);
    Some(chosen)
}

/// Braziers on a dark floor ([`FIRST_DARK_FLOOR`] and deeper), from a stream of their own
/// after everything else: one two or three cells from the up stairs (nobody arrives in the
/// dark), then `3 + (depth − 10)` more on open ground, eight cells apart or more. Each stands
/// among eight open cells, so none ever closes a way.
fn braziers(tiles: &mut Grid<Tile>, seed: u64, depth: u8, up: Pos, keep: &[Pos]) {
    if depth < FIRST_DARK_FLOOR {
        return;
    }
    let mut rng = Rng::for_stream(seed, Stream::Light { depth });
    let kept = near_any(tiles, keep, 1);
    let open = |tiles: &Grid<Tile>, p: Pos| {
        tiles.get(p) == Some(&Tile::Floor)
            && Dir::ALL
                .iter()
                .all(|d| tiles.get(p.step(*d)) == Some(&Tile::Floor))
            && kept.get(p) == Some(&false)
    };
    let near_stairs: Vec<Pos> = tiles
        .positions()
        .filter(|p| (2..=3).contains(&p.chebyshev(up)) && open(tiles, *p))
        .collect();
    let mut placed: Vec<Pos> = Vec::new();
    if let Some(&p) = rng.pick(&near_stairs) {
        tiles.set(p, Tile::Brazier);
        placed.push(p);
    }
    // A brazier changes only its own cell, and the next stands 8 or more away from it: the
    // open cells are found once.
    let open_cells: Vec<Pos> = tiles.positions().filter(|p| open(tiles, *p)).collect();
    for _ in 0..per_area(3 + usize::from(depth - FIRST_DARK_FLOOR)) {
        let cells: Vec<Pos> = open_cells
            .iter()
            .copied()
            .filter(|p| placed.iter().all(|b| b.chebyshev(*p) >= 8))
            .collect();
        let Some(&p) = rng.pick(&cells) else {
            break;
        };
        tiles.set(p, Tile::Brazier);
        placed.push(p);
    }
}

/// Lakes (deep water ringed by shallow) from floor 2, a chasm on floors 3–11, lava pools
/// from floor 7: blobs grown over open floor, away from stairs, doors, veins, the shrine and
/// every creature and thing placed. Drawn last, from a stream of their own, so they move
/// nothing else. A blob nobody can walk through (lava, a chasm) that would cut any walkable
/// cell off from the up stairs gets a bridge across (a chasm) or is not made.
fn terrain(tiles: &mut Grid<Tile>, seed: u64, depth: u8, up: Pos, keep: &[Pos]) {
    let mut rng = Rng::for_stream(seed, Stream::Terrain { depth });
    let lakes = if depth >= 2 {
        per_area(1 + usize::from(depth) / 6)
    } else {
        0
    };
    for _ in 0..lakes {
        let size = rng.range(8, 20) as usize;
        if let Some(blob) = blob(tiles, up, keep, size, &mut rng) {
            for &p in &blob {
                let shore = Dir::ALL.iter().any(|d| !blob.contains(&p.step(*d)));
                tiles.set(
                    p,
                    if shore {
                        Tile::ShallowWater
                    } else {
                        Tile::DeepWater
                    },
                );
            }
        }
    }
    if (3..DEEPEST_FLOOR).contains(&depth) && rng.percent(60) {
        let size = rng.range(10, 24) as usize;
        if let Some(blob) = blob(tiles, up, keep, size, &mut rng) {
            impassable(tiles, up, &blob, Tile::Chasm);
        }
    }
    if depth >= FIRST_CAVE_FLOOR {
        for _ in 0..per_area(1 + usize::from(depth - FIRST_CAVE_FLOOR) / 3) {
            let size = rng.range(6, 14) as usize;
            if let Some(blob) = blob(tiles, up, keep, size, &mut rng) {
                impassable(tiles, up, &blob, Tile::Lava);
            }
        }
    }
}

/// Secret doors and hidden traps, from a stream of their own after everything else. A closed
/// door becomes secret (a wall until found) one time in five, if every walkable cell stays
/// reachable without it: a secret door hides a shortcut, never the only way. From floor 2,
/// `1 + depth / 4` traps lie hidden on open floor away from the up stairs and from anything
/// placed: darts and nets, and alarms from floor 3 (more of them deeper).
fn secrets(
    tiles: &mut Grid<Tile>,
    seed: u64,
    depth: u8,
    up: Pos,
    keep: &[Pos],
) -> std::collections::BTreeMap<Pos, Tile> {
    let mut rng = Rng::for_stream(seed, Stream::Secrets { depth });
    let mut hidden = std::collections::BTreeMap::new();
    let doors: Vec<Pos> = tiles
        .positions()
        .filter(|p| tiles.get(*p) == Some(&Tile::DoorClosed))
        .collect();
    for p in doors {
        if rng.percent(20) {
            tiles.set(p, Tile::Wall);
            if connected(tiles, up) {
                hidden.insert(p, Tile::DoorClosed);
            } else {
                tiles.set(p, Tile::DoorClosed);
            }
        }
    }
    if depth < 2 {
        return hidden;
    }
    // Alarms from floor 3, more of them deeper.
    let kept = near_any(tiles, keep, 1);
    let open: Vec<Pos> = tiles
        .positions()
        .filter(|p| tiles.get(*p) == Some(&Tile::Floor) && p.chebyshev(up) >= 6)
        .filter(|p| kept.get(*p) == Some(&false))
        .collect();
    for _ in 0..per_area(1 + usize::from(depth) / 4) {
        let Some(&p) = rng.pick(&open) else {
            break;
        };
        let trap = match rng.below(10) {
            n if depth >= 3 && n < 1 + u32::from(depth) / 4 => Tile::TrapAlarm,
            n if n < 7 => Tile::TrapDart,
            _ => Tile::TrapNet,
        };
        hidden.insert(p, trap);
    }
    hidden
}

/// Makes `blob` of `tile` (nobody walks in) if every walkable cell stays reachable from `up`;
/// a chasm that would cut the floor gets a bridge along its first cell's row or column.
fn impassable(tiles: &mut Grid<Tile>, up: Pos, blob: &[Pos], tile: Tile) {
    let before = tiles.clone();
    for &p in blob {
        tiles.set(p, tile);
    }
    if connected(tiles, up) {
        return;
    }
    if tile == Tile::Chasm {
        let seed = blob[0];
        for across in [|p: &Pos, s: Pos| p.y == s.y, |p: &Pos, s: Pos| p.x == s.x] {
            let mut bridged = tiles.clone();
            for p in blob.iter().filter(|p| across(p, seed)) {
                bridged.set(*p, Tile::Bridge);
            }
            if connected(&bridged, up) {
                *tiles = bridged;
                return;
            }
        }
    }
    *tiles = before;
}

/// Whether every walkable cell (or closed or locked door) is reachable from `up`.
fn connected(tiles: &Grid<Tile>, up: Pos) -> bool {
    let reached = reach(tiles, up);
    tiles.positions().all(|p| {
        let passable = tiles
            .get(p)
            .is_some_and(|t| t.is_walkable() || matches!(t, Tile::DoorClosed | Tile::DoorLocked));
        !passable || reached.get(p) == Some(&true)
    })
}

/// Up to `size` open floor cells grown at random from one whose neighbours are all open floor,
/// at least 5 cells from `up`, none of them on or next to anything but floor (stairs, doors,
/// veins, the shrine) or on or next to a cell of `keep`. `None` if no place is found.
fn blob(tiles: &Grid<Tile>, up: Pos, keep: &[Pos], size: usize, rng: &mut Rng) -> Option<Vec<Pos>> {
    let kept = near_any(tiles, keep, 1);
    let open = |p: Pos| {
        tiles.get(p) == Some(&Tile::Floor)
            && Dir::ALL
                .iter()
                .all(|d| matches!(tiles.get(p.step(*d)), Some(Tile::Floor | Tile::Wall)))
            && kept.get(p) == Some(&false)
            && p.chebyshev(up) >= 5
    };
    let starts: Vec<Pos> = tiles
        .positions()
        .filter(|p| {
            open(*p)
                && Dir::ALL
                    .iter()
                    .all(|d| tiles.get(p.step(*d)) == Some(&Tile::Floor))
        })
        .collect();
    let start = *rng.pick(&starts)?;
    let mut cells = vec![start];
    for _ in 0..size * 8 {
        if cells.len() >= size {
            break;
        }
        let from = cells[rng.below(cells.len() as u32) as usize];
        let next = from.step(Dir::ALL[rng.below(8) as usize]);
        if open(next) && !cells.contains(&next) {
            cells.push(next);
        }
    }
    Some(cells)
}

/// The cells within `reach` (every way) of a cell of `keep`: what is placed keeps its
/// surroundings clear. One pass over `keep`, so asking a cell is a look-up.
fn near_any(tiles: &Grid<Tile>, keep: &[Pos], reach: i16) -> Grid<bool> {
    let mut near = Grid::new(tiles.width(), tiles.height(), false);
    for k in keep {
        for y in k.y - reach..=k.y + reach {
            for x in k.x - reach..=k.x + reach {
                let p = Pos::new(x, y);
                if near.contains(p) {
                    near.set(p, true);
                }
            }
        }
    }
    near
}

/// Turns some walls that face open floor into ore veins of this depth's classes.
fn veins(tiles: &mut Grid<Tile>, depth: u8, rng: &mut Rng) -> Vec<(Pos, Vein)> {
    let faces: Vec<Pos> = tiles
        .positions()
        .filter(|p| tiles.get(*p) == Some(&Tile::Wall))
        .filter(|p| {
            [Dir::N, Dir::E, Dir::S, Dir::W]
                .iter()
                .any(|d| tiles.get(p.step(*d)) == Some(&Tile::Floor))
        })
        .collect();
    let classes = OreClass::at_depth(depth);
    let count = per_area(14 + usize::from(depth)).min(faces.len());
    let mut out: Vec<(Pos, Vein)> = Vec::with_capacity(count);
    let mut tries = 0;
    while out.len() < count && tries < count * 20 {
        tries += 1;
        let p = faces[rng.below(faces.len() as u32) as usize];
        if out.iter().any(|(q, _)| q.chebyshev(p) < 3) {
            continue;
        }
        let class = if rng.percent(70) {
            classes[0]
        } else {
            classes[1]
        };
        let units = rng.range(8, 20) as u16;
        tiles.set(p, Tile::Vein);
        out.push((p, Vein { class, units }));
    }
    out.sort_by_key(|(p, _)| *p);
    out
}

/// A Vault Shrine on an open cell, a short walk from the up stairs.
fn place_shrine(
    tiles: &mut Grid<Tile>,
    distances: &Grid<u32>,
    up: Pos,
    spawns: &[(MonsterKind, Pos)],
    rng: &mut Rng,
) {
    let near: Vec<Pos> = tiles
        .positions()
        .filter(|p| tiles.get(*p) == Some(&Tile::Floor) && p.chebyshev(up) >= 2)
        .filter(|p| spawns.iter().all(|(_, s)| s != p))
        .filter(|p| matches!(distances.get(*p), Some(d) if (3..=12).contains(d)))
        .collect();
    if let Some(p) = rng.pick(&near).copied() {
        tiles.set(p, Tile::Shrine);
    }
}

#[derive(Copy, Clone, Debug)]
struct Room {
    x: i16,
    y: i16,
    w: i16,
    h: i16,
}

impl Room {
    fn center(&self) -> Pos {
        Pos::new(self.x + self.w / 2, self.y + self.h / 2)
    }

    fn overlaps(&self, other: &Room, margin: i16) -> bool {
        self.x - margin < other.x + other.w
            && other.x - margin < self.x + self.w
            && self.y - margin < other.y + other.h
            && other.y - margin < self.y + self.h
    }
}

fn rooms(rng: &mut Rng) -> (Grid<Tile>, Pos) {
    let (w, h) = (FLOOR_WIDTH as i16, FLOOR_HEIGHT as i16);
    let mut tiles = Grid::new(FLOOR_WIDTH, FLOOR_HEIGHT, Tile::Wall);
    let mut rooms: Vec<Room> = Vec::new();
    for _ in 0..per_area(300) {
        if rooms.len() >= per_area(14) {
            break;
        }
        let rw = rng.range(4, 13) as i16;
        let rh = rng.range(3, 7) as i16;
        let room = Room {
            x: rng.range(2, i32::from(w - rw - 2)) as i16,
            y: rng.range(2, i32::from(h - rh - 2)) as i16,
            w: rw,
            h: rh,
        };
        if rooms.iter().all(|r| !room.overlaps(r, 2)) {
            carve_rect(&mut tiles, room);
            rooms.push(room);
        }
    }
    // Sort west to east so consecutive connections make short corridors, then add a few loops.
    rooms.sort_by_key(|r| (r.center().x, r.center().y));
    for pair in rooms.windows(2) {
        corridor(&mut tiles, pair[0].center(), pair[1].center(), rng);
    }
    for _ in 0..per_area(3) {
        if let (Some(a), Some(b)) = (rng.pick(&rooms).copied(), rng.pick(&rooms).copied()) {
            corridor(&mut tiles, a.center(), b.center(), rng);
        }
    }
    for room in &rooms {
        place_doors(&mut tiles, room, rng);
    }
    let up = rooms
        .get(rng.below(rooms.len().max(1) as u32) as usize)
        .map(Room::center)
        .unwrap_or(Pos::new(w / 2, h / 2));
    (tiles, up)
}

fn carve_rect(tiles: &mut Grid<Tile>, room: Room) {
    for y in room.y..room.y + room.h {
        for x in room.x..room.x + room.w {
            tiles.set(Pos::new(x, y), Tile::Floor);
        }
    }
}

fn corridor(tiles: &mut Grid<Tile>, from: Pos, to: Pos, rng: &mut Rng) {
    let corner = if rng.percent(50) {
        Pos::new(to.x, from.y)
    } else {
        Pos::new(from.x, to.y)
    };
    for (a, b) in [(from, corner), (corner, to)] {
        let mut p = a;
        tiles.set(p, Tile::Floor);
        while p != b {
            p = p.step(Dir::toward(p, b).expect("p != b"));
            tiles.set(p, Tile::Floor);
        }
    }
}

/// Where a corridor crosses a room's wall ring between two walls, put a door (usually closed).
fn place_doors(tiles: &mut Grid<Tile>, room: &Room, rng: &mut Rng) {
    let ring = (room.x - 1..=room.x + room.w)
        .flat_map(|x| [Pos::new(x, room.y - 1), Pos::new(x, room.y + room.h)])
        .map(|p| (p, true))
        .chain(
            (room.y..room.y + room.h)
                .flat_map(|y| [Pos::new(room.x - 1, y), Pos::new(room.x + room.w, y)])
                .map(|p| (p, false)),
        );
    let candidates: Vec<(Pos, bool)> = ring
        .filter(|&(p, _)| tiles.get(p) == Some(&Tile::Floor))
        .collect();
    for (p, horizontal_wall) in candidates {
        let (a, b) = if horizontal_wall {
            (p.step(Dir::W), p.step(Dir::E))
        } else {
            (p.step(Dir::N), p.step(Dir::S))
        };
        let walls_beside = tiles.get(a) == Some(&Tile::Wall) && tiles.get(b) == Some(&Tile::Wall);
        if walls_beside && rng.percent(70) {
            let door = if rng.percent(80) {
                Tile::DoorClosed
            } else {
                Tile::DoorOpen
            };
            tiles.set(p, door);
        }
    }
}

/// Cave floors: chambers in a grid of sectors about [`CAVE_SECTOR`] cells each (three across
/// and two down on a 96×40 floor), each a cellular-automaton cave in its own part of the floor
/// with rock between them, joined by tunnels two cells wide — a chamber is open ground, the
/// way between two is a chokepoint. Every pair of neighbouring chambers is joined in a row,
/// each row to the next by up to four (two to four columns drawn, one tunnel each).
fn caves(rng: &mut Rng) -> (Grid<Tile>, Pos) {
    let mut tiles = Grid::new(FLOOR_WIDTH, FLOOR_HEIGHT, Tile::Wall);
    let ((cols, rows), (sw, sh)) = cave_sectors();
    let mut chambers: Vec<Vec<Pos>> = Vec::new();
    for row in 0..rows {
        for col in 0..cols {
            // A 2-cell band of rock on each side of the sector keeps chambers apart.
            let room = Room {
                x: 1 + col * sw + 2,
                y: 1 + row * sh + 2,
                w: sw - 4,
                h: sh - 4,
            };
            chambers.push(chamber(&mut tiles, room, rng));
        }
    }
    let at = |row: i16, col: i16| (row * cols + col) as usize;
    let tunnel = |tiles: &mut Grid<Tile>, a: usize, b: usize, rng: &mut Rng| {
        let from = chambers[a][rng.below(chambers[a].len() as u32) as usize];
        let to = chambers[b][rng.below(chambers[b].len() as u32) as usize];
        // Two cells wide: a narrow way, not a single file.
        corridor(tiles, from, to, rng);
        let beside = |p: Pos| Pos::new(p.x + 1, p.y + 1);
        corridor(tiles, beside(from), beside(to), rng);
    };
    for row in 0..rows {
        for col in 0..cols - 1 {
            tunnel(&mut tiles, at(row, col), at(row, col + 1), rng);
        }
    }
    for row in 0..rows - 1 {
        let downs = rng.range(2, 4) as i16;
        let mut joined = Vec::new();
        for _ in 0..downs {
            let col = rng.below(cols as u32) as i16;
            if !joined.contains(&col) {
                joined.push(col);
                tunnel(&mut tiles, at(row, col), at(row + 1, col), rng);
            }
        }
    }
    let all: Vec<Pos> = chambers.concat();
    let up = all[rng.below(all.len() as u32) as usize];
    (tiles, up)
}

/// How a cave floor is cut: sectors across and down, and each sector's width and height.
fn cave_sectors() -> ((i16, i16), (i16, i16)) {
    let (w, h) = (FLOOR_WIDTH as i16 - 2, FLOOR_HEIGHT as i16 - 2);
    let (cols, rows) = (w / CAVE_SECTOR.0, h / CAVE_SECTOR.1);
    ((cols, rows), (w / cols, h / rows))
}

/// A cave carved inside `room` (cellular automaton: 45 % rock, five rounds), keeping only its
/// largest connected part, which is returned (retried until it fills a third of the room).
fn chamber(tiles: &mut Grid<Tile>, room: Room, rng: &mut Rng) -> Vec<Pos> {
    let inner: Vec<Pos> = (room.y..room.y + room.h)
        .flat_map(|y| (room.x..room.x + room.w).map(move |x| Pos::new(x, y)))
        .collect();
    loop {
        let mut cave = Grid::new(FLOOR_WIDTH, FLOOR_HEIGHT, Tile::Wall);
        for &p in &inner {
            if !rng.percent(45) {
                cave.set(p, Tile::Floor);
            }
        }
        for round in 0..5 {
            let before = cave.clone();
            for &p in &inner {
                let walls = Dir::ALL
                    .iter()
                    .filter(|d| before.get(p.step(**d)) != Some(&Tile::Floor))
                    .count();
                let wall = walls >= 5 || (round < 2 && walls == 0);
                cave.set(p, if wall { Tile::Wall } else { Tile::Floor });
            }
        }
        let mut best: Vec<Pos> = Vec::new();
        let mut seen = Grid::new(FLOOR_WIDTH, FLOOR_HEIGHT, false);
        for &p in &inner {
            if cave.get(p) == Some(&Tile::Floor) && !seen.get(p).copied().unwrap_or(true) {
                let region = flood(&cave, p, &mut seen);
                if region.len() > best.len() {
                    best = region;
                }
            }
        }
        if best.len() >= inner.len() / 3 {
            for &p in &best {
                tiles.set(p, Tile::Floor);
            }
            return best;
        }
    }
}

fn flood(tiles: &Grid<Tile>, start: Pos, seen: &mut Grid<bool>) -> Vec<Pos> {
    let mut region = vec![start];
    let mut queue = VecDeque::from([start]);
    seen.set(start, true);
    while let Some(p) = queue.pop_front() {
        for d in Dir::ALL {
            let n = p.step(d);
            if tiles.get(n) == Some(&Tile::Floor) && seen.get(n) == Some(&false) {
                seen.set(n, true);
                region.push(n);
                queue.push_back(n);
            }
        }
    }
    region
}

/// Walking distance from `start` to every cell (doors count as passable), `u32::MAX` if none.
fn distances_from(tiles: &Grid<Tile>, start: Pos) -> Grid<u32> {
    let mut dist = Grid::new(tiles.width(), tiles.height(), u32::MAX);
    dist.set(start, 0);
    let mut queue = VecDeque::from([start]);
    while let Some(p) = queue.pop_front() {
        let here = dist.get(p).copied().unwrap_or(u32::MAX);
        for d in Dir::ALL {
            let n = p.step(d);
            let passable = matches!(tiles.get(n), Some(t) if *t != Tile::Wall);
            if passable && dist.get(n) == Some(&u32::MAX) {
                dist.set(n, here + 1);
                queue.push_back(n);
            }
        }
    }
    dist
}

/// The floor cells `wanted` that `distances` reaches, nearest first (ties by position).
fn by_distance(
    tiles: &Grid<Tile>,
    distances: &Grid<u32>,
    wanted: impl Fn(Pos) -> bool,
) -> Vec<(u32, Pos)> {
    let mut cells: Vec<(u32, Pos)> = tiles
        .positions()
        .filter(|p| tiles.get(*p) == Some(&Tile::Floor) && wanted(*p))
        .filter_map(|p| {
            distances
                .get(p)
                .filter(|d| **d != u32::MAX)
                .map(|d| (*d, p))
        })
        .collect();
    cells.sort();
    cells
}

/// A floor cell among the farthest tenth from the up stairs.
fn far_cell(tiles: &Grid<Tile>, distances: &Grid<u32>, rng: &mut Rng) -> Pos {
    let cells = by_distance(tiles, distances, |_| true);
    let tail = &cells[cells.len() - (cells.len() / 10).max(1)..];
    tail[rng.below(tail.len() as u32) as usize].1
}

/// How many monsters a floor is made with, packs and bands counted: floor 1 holds 10 (as
/// before packs), floor 12 about 26, before scaling for the party.
pub fn spawn_count(depth: u8) -> usize {
    per_area(10 + 3 * usize::from(depth.max(1) - 1) / 2)
}

fn spawns(
    tiles: &Grid<Tile>,
    distances: &Grid<u32>,
    depth: u8,
    rng: &mut Rng,
) -> Vec<(MonsterKind, Pos)> {
    let kinds = MonsterKind::at_depth(depth);
    let open: Vec<Pos> = tiles
        .positions()
        .filter(|p| tiles.get(*p) == Some(&Tile::Floor))
        .filter(|p| matches!(distances.get(*p), Some(d) if *d >= 10 && *d != u32::MAX))
        .collect();
    let count = spawn_count(depth).min(open.len());
    let mut out: Vec<(MonsterKind, Pos)> = Vec::with_capacity(count);
    let mut tries = 0;
    while out.len() < count && tries < count * 20 {
        tries += 1;
        let p = open[rng.below(open.len() as u32) as usize];
        if out.iter().any(|(_, q)| *q == p) {
            continue;
        }
        let kind = *rng.pick(&kinds).expect("every depth has monsters");
        out.push((kind, p));
        add_escort(tiles, &mut out, kind, depth, p);
    }
    out
}

/// The cells one, then two steps from `at`.
fn around(at: Pos) -> impl Iterator<Item = Pos> {
    (1..=2i16).flat_map(move |r| {
        (-r..=r).flat_map(move |dy: i16| {
            (-r..=r)
                .filter(move |dx: &i16| dx.abs().max(dy.abs()) == r)
                .map(move |dx| Pos::new(at.x + dx, at.y + dy))
        })
    })
}

/// Places the pack or band that comes with a `kind` placed at `at` ([`MonsterKind::escort`])
/// on free floor cells around it (nearest first, up to two cells away); those that find no
/// room stay home.
fn add_escort(
    tiles: &Grid<Tile>,
    out: &mut Vec<(MonsterKind, Pos)>,
    kind: MonsterKind,
    depth: u8,
    at: Pos,
) {
    let mut room = around(at);
    for mate in kind.escort(depth) {
        let free =
            room.find(|p| tiles.get(*p) == Some(&Tile::Floor) && out.iter().all(|(_, q)| q != p));
        if let Some(p) = free {
            out.push((*mate, p));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Floor 1 holds monsters of the first three kinds only, none escorted (an escort would not
    /// draw, but a different count or kind list would move every vein and the shrine, and the
    /// README's first game walks this floor): ten for every 96×40 cells of floor.
    #[test]
    fn floor_one_holds_only_the_first_three_kinds_unescorted() {
        for seed in [1, 7, 51] {
            let g = generate(seed, 1);
            assert_eq!(g.spawns.len(), spawn_count(1), "seed {seed}");
            assert_eq!(spawn_count(1), crate::floor::per_area(10));
            assert!(g.spawns.iter().all(|(k, _)| matches!(
                k,
                MonsterKind::Rat | MonsterKind::Jackal | MonsterKind::Kobold
            )));
        }
        assert_eq!(
            MonsterKind::at_depth(1),
            vec![MonsterKind::Rat, MonsterKind::Jackal, MonsterKind::Kobold]
        );
    }

    #[test]
    fn packs_and_bands_are_placed_together_and_uniques_hold_their_floors() {
        let mut packs = 0;
        for seed in 1..=5 {
            for depth in 2..=12 {
                let g = generate(seed, depth);
                for (kind, p) in &g.spawns {
                    if kind.escort(depth).is_empty() {
                        continue;
                    }
                    let near = g
                        .spawns
                        .iter()
                        .filter(|(_, q)| q.chebyshev(*p) <= 2)
                        .count();
                    packs += usize::from(near > 2);
                }
                for (_, p) in &g.spawns {
                    assert_eq!(g.floor.tile(*p), Tile::Floor, "seed {seed} floor {depth}");
                }
                let mut cells: Vec<Pos> = g.spawns.iter().map(|(_, p)| *p).collect();
                cells.sort();
                cells.dedup();
                assert_eq!(cells.len(), g.spawns.len(), "two monsters on one cell");
                if let Some(unique) = MonsterKind::unique_at(depth) {
                    let count = g.spawns.iter().filter(|(k, _)| *k == unique).count();
                    assert_eq!(count, 1, "seed {seed}: {unique:?} on floor {depth}");
                }
            }
        }
        assert!(packs > 20, "{packs} packs placed together");
    }

    fn reachable_everywhere(floor: &Floor) -> bool {
        let dist = distances_from(floor.tiles(), floor.stairs_up);
        floor
            .tiles()
            .positions()
            .filter(|p| floor.tile(*p) != Tile::Wall)
            .all(|p| dist.get(p) != Some(&u32::MAX))
    }

    #[test]
    fn same_seed_and_depth_give_the_same_floor() {
        for depth in [1, 7] {
            let a = generate(99, depth);
            let b = generate(99, depth);
            assert_eq!(a.floor, b.floor);
            assert_eq!(a.spawns, b.spawns);
        }
        assert_ne!(generate(99, 1).floor, generate(100, 1).floor);
    }

    #[test]
    fn every_floor_is_connected_with_stairs_and_monsters() {
        for seed in 0..6 {
            for depth in 1..=DEEPEST_FLOOR {
                let g = generate(seed, depth);
                let f = &g.floor;
                assert_eq!(f.tile(f.stairs_up), Tile::StairsUp);
                match f.stairs_down {
                    Some(p) => assert_eq!(f.tile(p), Tile::StairsDown),
                    None => assert_eq!(depth, DEEPEST_FLOOR),
                }
                assert!(
                    reachable_everywhere(f),
                    "seed {seed} depth {depth} is split"
                );
                assert!(!g.spawns.is_empty());
                for (_, p) in &g.spawns {
                    assert_eq!(f.tile(*p), Tile::Floor);
                }
                let open = f.tiles().cells().iter().filter(|t| t.is_walkable()).count();
                assert!(
                    open > 300,
                    "seed {seed} depth {depth} has only {open} open cells"
                );
            }
        }
    }

    #[test]
    fn lodes_hold_better_ore_far_from_the_stairs_with_a_band_from_deeper_beside_them() {
        let mut lodes = 0;
        for seed in 1..=6 {
            for depth in 1..=DEEPEST_FLOOR {
                let g = generate(seed, depth);
                let f = &g.floor;
                let cells: Vec<Pos> = f
                    .tiles()
                    .positions()
                    .filter(|p| f.tile(*p) == Tile::Lode)
                    .collect();
                let Some(lode) = &g.lode else {
                    assert!(cells.is_empty(), "seed {seed} floor {depth}");
                    continue;
                };
                lodes += 1;
                let at = format!("seed {seed} floor {depth}");
                assert!(LODE_FLOORS.contains(&depth), "{at}");
                assert_eq!(cells.len(), LODE_VEINS, "{at}");
                // Ore a class above both of the floor's own (Starmetal tops the scale).
                let own = OreClass::at_depth(depth);
                assert!(
                    own.iter().all(|c| c.tier() < lode.class.tier())
                        || lode.class == OreClass::Starmetal,
                    "{at}"
                );
                for p in &cells {
                    assert!(p.chebyshev(lode.at) <= 3, "{at}");
                    let vein = g.veins.iter().find(|(q, _)| q == p).map(|(_, v)| v);
                    let units = vein.map_or(0, |v| i32::from(v.units));
                    assert_eq!(vein.map(|v| v.class), Some(lode.class), "{at}");
                    assert!((LODE_UNITS.0..=LODE_UNITS.1).contains(&units), "{at}");
                    let open = [Dir::N, Dir::E, Dir::S, Dir::W]
                        .iter()
                        .any(|d| f.tile(p.step(*d)) == Tile::Floor);
                    assert!(open, "{at}: a lode vein nobody can reach");
                }
                // Not in the vault, not by the stairs; the band of a floor two down, beside
                // it on open floor where nothing else was placed.
                assert!(
                    g.vault
                        .as_ref()
                        .is_none_or(|v| !v.inside.contains(&lode.at))
                );
                assert!(lode.at.chebyshev(f.stairs_up) > 2, "{at}");
                let deeper = (depth + LODE_DEEPER).min(DEEPEST_FLOOR);
                let (leader, _) = lode.guards[0];
                assert!(MonsterKind::at_depth(deeper).contains(&leader), "{at}");
                let band = 1 + leader.escort(deeper).len();
                assert!(lode.guards.len() <= band, "{at}");
                for (_, p) in &lode.guards {
                    assert!(p.chebyshev(lode.at) <= 2, "{at}");
                    assert!(g.vault.as_ref().is_none_or(|v| !v.inside.contains(p)));
                    assert_eq!(f.tile(*p), Tile::Floor, "{at}");
                    assert!(g.spawns.iter().all(|(_, q)| q != p), "{at}");
                }
            }
        }
        // Nearly every floor from 2 to 11 has one (a floor with no open spot may not).
        assert!(lodes >= 6 * 10 - 3, "{lodes} lodes on 60 floors");
    }

    #[test]
    fn every_floor_has_a_shrine_and_veins_of_its_depth() {
        for depth in 1..=DEEPEST_FLOOR {
            let g = generate(5, depth);
            let f = &g.floor;
            let shrines = f
                .tiles()
                .cells()
                .iter()
                .filter(|t| **t == Tile::Shrine)
                .count();
            assert_eq!(shrines, 1, "floor {depth}");
            assert!(
                g.veins.len() >= 10,
                "floor {depth} has {} veins",
                g.veins.len()
            );
            for (p, vein) in &g.veins {
                if f.tile(*p) == Tile::Lode {
                    assert_eq!(vein.class, lode_class(depth));
                } else {
                    assert_eq!(f.tile(*p), Tile::Vein);
                    assert!(OreClass::at_depth(depth).contains(&vein.class));
                }
                let open = [Dir::N, Dir::E, Dir::S, Dir::W]
                    .iter()
                    .any(|d| f.tile(p.step(*d)).is_walkable());
                assert!(open, "vein at {p:?} cannot be reached");
            }
            assert_eq!(g.heart.is_some(), depth == DEEPEST_FLOOR);
        }
    }

    #[test]
    fn upper_floors_have_doors() {
        let doors: usize = (0..4)
            .map(|seed| {
                let f = generate(seed, 1).floor;
                f.tiles()
                    .cells()
                    .iter()
                    .filter(|t| matches!(t, Tile::DoorClosed | Tile::DoorOpen))
                    .count()
            })
            .sum();
        assert!(doors > 4, "only {doors} doors in four floors");
    }
}

#[cfg(test)]
mod terrain_tests {
    use super::*;

    #[test]
    fn deeper_floors_have_water_chasms_and_lava_that_cut_nothing_off() {
        let mut seen = std::collections::BTreeMap::new();
        for seed in 0..8 {
            for depth in 1..=DEEPEST_FLOOR {
                let g = generate(seed, depth);
                let f = &g.floor;
                let count = |t: Tile| f.tiles().cells().iter().filter(|c| **c == t).count();
                for t in [
                    Tile::ShallowWater,
                    Tile::DeepWater,
                    Tile::Lava,
                    Tile::Chasm,
                    Tile::Bridge,
                ] {
                    *seen.entry(t).or_insert(0) += count(t);
                }
                if depth == 1 {
                    assert_eq!(count(Tile::ShallowWater) + count(Tile::Chasm), 0);
                }
                if depth < FIRST_CAVE_FLOOR {
                    assert_eq!(count(Tile::Lava), 0, "seed {seed} depth {depth}");
                }
                if depth == DEEPEST_FLOOR {
                    assert_eq!(count(Tile::Chasm), 0, "no floor below to fall to");
                }
                assert!(
                    connected(f.tiles(), f.stairs_up),
                    "seed {seed} depth {depth}"
                );
                // Nothing placed stands in it, and what is to be used stays on dry land.
                for (_, p) in &g.spawns {
                    assert_eq!(f.tile(*p), Tile::Floor);
                }
                if let Some(h) = g.heart {
                    assert_eq!(f.tile(h), Tile::Floor);
                }
            }
        }
        for (t, n) in seen {
            assert!(n > 0, "no {t:?} on 96 floors");
        }
    }

    #[test]
    fn a_chasm_that_would_split_a_floor_is_bridged_or_not_made() {
        // A corridor two rooms hang on: a chasm across it must leave a way over.
        let rows = [
            "##########",
            "#<.......#",
            "#........#",
            "#........#",
            "##########",
        ];
        let floor = Floor::from_ascii(1, &rows);
        let mut tiles = floor.tiles().clone();
        let cut: Vec<Pos> = (1..4).map(|y| Pos::new(5, y)).collect();
        impassable(&mut tiles, floor.stairs_up, &cut, Tile::Chasm);
        assert!(connected(&tiles, floor.stairs_up));
        assert_eq!(
            tiles.get(Pos::new(5, 1)),
            Some(&Tile::Bridge),
            "across its first cell"
        );
        // Lava is never bridged: the floor stays as it was.
        let mut tiles = floor.tiles().clone();
        impassable(&mut tiles, floor.stairs_up, &cut, Tile::Lava);
        assert_eq!(&tiles, floor.tiles());
    }
}

#[cfg(test)]
mod cave_tests {
    use super::*;

    #[test]
    fn caves_are_chambers_joined_by_chokepoints() {
        for seed in 0..6 {
            let g = generate(seed, FIRST_CAVE_FLOOR);
            let t = g.floor.tiles();
            let open = t.cells().iter().filter(|c| c.is_walkable()).count();
            let all = usize::from(FLOOR_WIDTH) * usize::from(FLOOR_HEIGHT);
            // The old single cave was 81–85 % of the inside open.
            assert!(open * 100 < all * 60, "seed {seed}: {open} of {all} open");
            // Between two chambers lies rock, crossed only by their tunnels (two cells wide,
            // one or two cells more where a tunnel turns): few walkable cells on the lines
            // between the parts of the floor — one tunnel per row across a column's edge, up
            // to four across a row's.
            let walkable = |p: Pos| t.get(p).is_some_and(|c| c.is_walkable());
            let (w, h) = (FLOOR_WIDTH as i16, FLOOR_HEIGHT as i16);
            let ((cols, rows), (sw, sh)) = cave_sectors();
            for x in (1..cols).map(|c| 1 + c * sw) {
                let open = (0..h).filter(|y| walkable(Pos::new(x, *y))).count();
                let most = 4 * rows as usize;
                assert!(
                    (2..=most).contains(&open),
                    "seed {seed}: {open} open at x {x}"
                );
            }
            for y in (1..rows).map(|r| 1 + r * sh) {
                let open = (0..w).filter(|x| walkable(Pos::new(*x, y))).count();
                assert!(
                    (2..=12).contains(&open),
                    "seed {seed}: {open} open at y {y}"
                );
            }
            assert!(connected(t, g.floor.stairs_up));
        }
    }
}

#[cfg(test)]
mod secret_tests {
    use super::*;

    #[test]
    fn vaults_lock_the_only_door_to_empty_rooms_and_dark_floors_have_braziers() {
        let mut vaults = 0;
        for seed in 0..8 {
            for depth in 1..=DEEPEST_FLOOR {
                let g = generate(seed, depth);
                let f = &g.floor;
                let locked: Vec<Pos> = f
                    .tiles()
                    .positions()
                    .filter(|p| f.tile(*p) == Tile::DoorLocked)
                    .collect();
                match &g.vault {
                    Some(v) => {
                        assert!((2..FIRST_CAVE_FLOOR).contains(&depth));
                        assert_eq!(locked, vec![v.door], "seed {seed} depth {depth}");
                        assert!(VAULT_CELLS.contains(&v.inside.len()));
                        // Shut as rock, the door cuts off exactly the inside (secret doors
                        // stay rock here too).
                        let mut shut = f.tiles().clone();
                        shut.set(v.door, Tile::Wall);
                        let reached = reach(&shut, f.stairs_up);
                        let cut: Vec<Pos> = shut
                            .positions()
                            .filter(|p| shut.get(*p).is_some_and(|t| t.is_walkable()))
                            .filter(|p| reached.get(*p) == Some(&false))
                            .collect();
                        assert_eq!(cut, v.inside);
                        assert!(v.inside.iter().all(|p| {
                            g.spawns.iter().all(|(_, s)| s != p)
                                && Some(*p) != f.stairs_down
                                && Some(*p) != g.heart
                        }));
                        vaults += 1;
                    }
                    None => assert!(locked.is_empty()),
                }
                let braziers: Vec<Pos> = f
                    .tiles()
                    .positions()
                    .filter(|p| f.tile(*p) == Tile::Brazier)
                    .collect();
                if depth >= FIRST_DARK_FLOOR {
                    assert!(
                        braziers.len() >= 3,
                        "seed {seed} depth {depth}: {braziers:?}"
                    );
                    assert!(
                        braziers.iter().any(|b| b.chebyshev(f.stairs_up) <= 3),
                        "seed {seed} depth {depth}: nothing lights the stairs up"
                    );
                } else {
                    assert!(braziers.is_empty());
                }
                assert!(connected(f.tiles(), f.stairs_up));
            }
        }
        // Most rooms floors have one: 8 seeds × floors 2–6.
        assert!(vaults >= 20, "{vaults} vaults in 40 rooms floors");
    }

    #[test]
    fn secret_doors_hide_shortcuts_only_and_traps_lie_on_open_floor() {
        let (mut doors, mut traps) = (0, 0);
        for seed in 0..8 {
            for depth in 1..=DEEPEST_FLOOR {
                let g = generate(seed, depth);
                let f = &g.floor;
                // The floor is whole with every secret door still shut as rock.
                assert!(
                    connected(f.tiles(), f.stairs_up),
                    "seed {seed} depth {depth}"
                );
                for (p, t) in &f.hidden {
                    match t {
                        Tile::DoorClosed => {
                            assert_eq!(f.tile(*p), Tile::Wall);
                            doors += 1;
                        }
                        t if t.is_trap() => {
                            assert_eq!(f.tile(*p), Tile::Floor);
                            assert!(depth >= 2 && p.chebyshev(f.stairs_up) >= 6);
                            assert!(g.spawns.iter().all(|(_, s)| s.chebyshev(*p) > 1));
                            traps += 1;
                        }
                        t => panic!("{t:?} hidden"),
                    }
                }
            }
        }
        assert!(
            doors > 10 && traps > 100,
            "{doors} secret doors, {traps} traps"
        );
    }
}
