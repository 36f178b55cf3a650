//! Dijkstra maps: the distance from every reachable cell to the nearest of a set of goals,
//! over the cells a caller says can be walked (8 directions, each step costs 1). Walking
//! downhill from any cell reaches a goal by a shortest path. Auto-explore, travel and the bots
//! use them on what a client knows of a floor; nothing here reads the world.

use std::collections::VecDeque;

use crate::geom::{Dir, Pos};

/// Distances to the nearest goal on a `width`×`height` floor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistanceMap {
    width: u16,
    height: u16,
    dist: Vec<u16>,
}

const UNREACHED: u16 = u16::MAX;

impl DistanceMap {
    /// Spreads out from `goals` through cells where `passable` holds (goals count as passable).
    pub fn new(
        width: u16,
        height: u16,
        goals: impl IntoIterator<Item = Pos>,
        passable: impl Fn(Pos) -> bool,
    ) -> DistanceMap {
        let mut map = DistanceMap {
            width,
            height,
            dist: vec![UNREACHED; usize::from(width) * usize::from(height)],
        };
        let mut queue = VecDeque::new();
        for goal in goals {
            if let Some(i) = map.index(goal)
                && map.dist[i] == UNREACHED
            {
                map.dist[i] = 0;
                queue.push_back(goal);
            }
        }
        while let Some(p) = queue.pop_front() {
            let next = map.dist[map.index(p).expect("queued cells are inside")] + 1;
            for dir in Dir::ALL {
                let n = p.step(dir);
                let Some(i) = map.index(n) else { continue };
                if map.dist[i] == UNREACHED && passable(n) {
                    map.dist[i] = next;
                    queue.push_back(n);
                }
            }
        }
        map
    }

    fn index(&self, p: Pos) -> Option<usize> {
        (p.x >= 0 && p.y >= 0 && (p.x as u16) < self.width && (p.y as u16) < self.height)
            .then(|| p.y as usize * usize::from(self.width) + p.x as usize)
    }

    /// Steps from `p` to the nearest goal, if one can be reached.
    pub fn at(&self, p: Pos) -> Option<u16> {
        self.index(p)
            .map(|i| self.dist[i])
            .filter(|d| *d != UNREACHED)
    }

    /// The first step of a shortest path from `from` toward the nearest goal: the neighbour
    /// with the smallest distance (ties go to the first in [`Dir::ALL`], so the choice is
    /// stable), among those `can_enter` allows. `None` at a goal or where no step goes down.
    pub fn downhill(&self, from: Pos, can_enter: impl Fn(Pos) -> bool) -> Option<Dir> {
        let here = self.at(from).unwrap_or(UNREACHED);
        Dir::ALL
            .into_iter()
            .filter_map(|d| {
                let n = from.step(d);
                let dist = self.at(n)?;
                (dist < here && can_enter(n)).then_some((dist, d))
            })
            .min_by_key(|(dist, _)| *dist)
            .map(|(_, d)| d)
    }

    /// The cells of a shortest path from `from` to the nearest goal (without `from`).
    pub fn path(&self, from: Pos) -> Vec<Pos> {
        let mut path = Vec::new();
        let mut at = from;
        while let Some(d) = self.downhill(at, |_| true) {
            at = at.step(d);
            path.push(at);
        }
        path
    }
}

/// The first step of a shortest path from `from` to the nearest cell where `goal` holds (never
/// `from` itself) through cells where `passable` holds (a goal must be passable too), at most
/// `limit` steps away: the step `DistanceMap::new(goals, passable).downhill(from, |_| true)`
/// gives, ties to the first in [`Dir::ALL`] alike, but found by searching out from `from` only
/// as far as the nearest goal instead of over the whole floor. `None` when `from` is not
/// passable or no goal is in reach.
pub fn first_step(
    width: u16,
    height: u16,
    from: Pos,
    goal: impl Fn(Pos) -> bool,
    passable: impl Fn(Pos) -> bool,
    limit: u16,
) -> Option<Dir> {
    let index = |p: Pos| {
        (p.x >= 0 && p.y >= 0 && (p.x as u16) < width && (p.y as u16) < height)
            .then(|| p.y as usize * usize::from(width) + p.x as usize)
    };
    let start = index(from)?;
    if !passable(from) {
        return None;
    }
    let cells = usize::from(width) * usize::from(height);
    let mut dist = vec![UNREACHED; cells];
    // Which first steps (a bit per direction of `Dir::ALL`) begin a shortest path to a cell.
    let mut first = vec![0u8; cells];
    dist[start] = 0;
    let mut queue = VecDeque::from([from]);
    let mut nearest: Option<u16> = None;
    let mut found: Vec<usize> = Vec::new();
    while let Some(p) = queue.pop_front() {
        let i = index(p).expect("queued cells are inside");
        let d = dist[i];
        // Every cell one step nearer than the nearest goal is spread from: the goals' first
        // steps are whole.
        if nearest.is_some_and(|n| d >= n) || d >= limit {
            break;
        }
        for (bit, dir) in Dir::ALL.into_iter().enumerate() {
            let n = p.step(dir);
            let Some(j) = index(n) else { continue };
            let via = if d == 0 { 1u8 << bit } else { first[i] };
            if dist[j] == UNREACHED {
                if !passable(n) {
                    continue;
                }
                dist[j] = d + 1;
                first[j] = via;
                if goal(n) {
                    nearest = Some(d + 1);
                    found.push(j);
                }
                queue.push_back(n);
            } else if dist[j] == d + 1 {
                first[j] |= via;
            }
        }
    }
    let steps = found.iter().fold(0u8, |all, j| all | first[*j]);
    Dir::ALL
        .into_iter()
        .enumerate()
        .find(|(bit, _)| steps & (1 << bit) != 0)
        .map(|(_, dir)| dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map from text: `#` wall, `G` goal, anything else floor.
    fn parse(rows: &[&str]) -> (u16, u16, Vec<Pos>, impl Fn(Pos) -> bool) {
        let walls: Vec<Pos> = cells(rows, '#');
        let goals = cells(rows, 'G');
        let width = rows[0].len() as u16;
        (width, rows.len() as u16, goals, move |p| {
            !walls.contains(&p)
        })
    }

    fn cells(rows: &[&str], c: char) -> Vec<Pos> {
        rows.iter()
            .enumerate()
            .flat_map(|(y, row)| {
                row.chars()
                    .enumerate()
                    .filter(move |(_, ch)| *ch == c)
                    .map(move |(x, _)| Pos {
                        x: x as i16,
                        y: y as i16,
                    })
            })
            .collect()
    }

    #[test]
    fn first_step_takes_the_step_a_whole_map_would() {
        // Random floors (walls a third of the cells) and goal sets: the search from the
        // walker gives the same step as the map spread from every goal, limits included.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let (w, h) = (23u16, 11u16);
        let mut compared = 0;
        let mut stepped = 0;
        for _ in 0..400 {
            let walls: Vec<bool> = (0..w * h).map(|_| next() % 3 == 0).collect();
            let goals: Vec<bool> = (0..w * h).map(|_| next() % 40 == 0).collect();
            let at = |v: &Vec<bool>, p: Pos| v[p.y as usize * usize::from(w) + p.x as usize];
            let from = Pos::new(
                (next() % u64::from(w)) as i16,
                (next() % u64::from(h)) as i16,
            );
            let limit = [u16::MAX, 3, 8][(next() % 3) as usize];
            let passable = |p: Pos| !at(&walls, p);
            let goal = |p: Pos| p != from && at(&goals, p) && passable(p);
            let all = (0..h as i16)
                .flat_map(|y| (0..w as i16).map(move |x| Pos::new(x, y)))
                .filter(|p| goal(*p));
            let map = DistanceMap::new(w, h, all, passable);
            let want = if map.at(from).is_none_or(|d| d > limit) {
                None
            } else {
                map.downhill(from, |_| true)
            };
            let got = first_step(w, h, from, goal, passable, limit);
            assert_eq!(got, want, "from {from:?} limit {limit}");
            compared += 1;
            stepped += usize::from(got.is_some());
        }
        assert_eq!(compared, 400);
        assert!(
            stepped > 100,
            "too few cases where a goal was in reach: {stepped}"
        );
    }

    #[test]
    fn distances_go_around_walls_and_downhill_reaches_the_nearest_goal() {
        let rows = [
            "..........", //
            ".########.",
            ".#G.....#.",
            ".######.#.",
            "........#G",
        ];
        let (w, h, goals, passable) = parse(&rows);
        let map = DistanceMap::new(w, h, goals, passable);
        let start = Pos { x: 0, y: 4 };
        // Through the gap at (7,3): 7 steps along row 4 … or round the top to the right goal.
        assert_eq!(map.at(Pos { x: 2, y: 2 }), Some(0));
        assert_eq!(map.at(Pos { x: 1, y: 1 }), None, "a wall is never reached");
        let path = map.path(start);
        assert_eq!(path.len(), usize::from(map.at(start).unwrap()));
        assert!(goals_of(&rows).contains(path.last().unwrap()));
        for pair in path.windows(2) {
            assert!(pair[0].is_adjacent(pair[1]));
        }
        // An unreachable cell has no way down.
        let walled = DistanceMap::new(w, h, [Pos { x: 2, y: 2 }], |p| p.y == 2 && p.x < 8);
        assert_eq!(walled.at(start), None);
        assert_eq!(walled.downhill(start, |_| true), None);
    }

    fn goals_of(rows: &[&str]) -> Vec<Pos> {
        cells(rows, 'G')
    }

    #[test]
    fn a_blocked_step_is_passed_over_for_the_next_best() {
        let map = DistanceMap::new(5, 3, [Pos { x: 4, y: 1 }], |_| true);
        let from = Pos { x: 0, y: 1 };
        let best = map.downhill(from, |_| true).unwrap();
        assert_eq!(map.at(from.step(best)), Some(3));
        let blocked = from.step(best);
        let other = map.downhill(from, |p| p != blocked).unwrap();
        assert_ne!(other, best);
        assert_eq!(map.at(from.step(other)), Some(3), "still one step nearer");
        // With every better cell blocked there is no step at all.
        assert_eq!(map.downhill(from, |_| false), None);
    }
}
