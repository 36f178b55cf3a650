//! Field of view by symmetric shadowcasting (Albert Ford's formulation): if A sees B then B sees
//! A, which lets monsters "notice" exactly the players who can see them.

use crate::geom::Pos;

/// A slope as an exact fraction `num/den` with `den > 0`.
#[derive(Copy, Clone, Debug)]
struct Slope {
    num: i32,
    den: i32,
}

#[derive(Copy, Clone, Debug)]
struct Row {
    depth: i32,
    start: Slope,
    end: Slope,
}

impl Row {
    fn min_col(&self) -> i32 {
        // round half up of depth * start
        floor_div(
            2 * self.depth * self.start.num + self.start.den,
            2 * self.start.den,
        )
    }

    fn max_col(&self) -> i32 {
        // round half down of depth * end
        ceil_div(
            2 * self.depth * self.end.num - self.end.den,
            2 * self.end.den,
        )
    }

    fn is_symmetric(&self, col: i32) -> bool {
        col * self.start.den >= self.depth * self.start.num
            && col * self.end.den <= self.depth * self.end.num
    }

    fn next(&self) -> Row {
        Row {
            depth: self.depth + 1,
            ..*self
        }
    }
}

fn floor_div(a: i32, b: i32) -> i32 {
    a.div_euclid(b)
}

fn ceil_div(a: i32, b: i32) -> i32 {
    -((-a).div_euclid(b))
}

fn tile_slope(depth: i32, col: i32) -> Slope {
    Slope {
        num: 2 * col - 1,
        den: 2 * depth,
    }
}

/// Calls `reveal` for every cell visible from `origin` within `radius` (Euclidean), given which
/// cells block sight. Walls at the edge of sight are revealed; cells may be revealed twice.
pub fn compute(
    origin: Pos,
    radius: u16,
    blocks: impl Fn(Pos) -> bool,
    mut reveal: impl FnMut(Pos),
) {
    reveal(origin);
    let radius = i32::from(radius);
    let r2 = radius * radius + radius; // a rounder circle than r*r
    for quadrant in 0..4 {
        let transform = |depth: i32, col: i32| -> Pos {
            let (dx, dy) = match quadrant {
                0 => (col, -depth),
                1 => (depth, col),
                2 => (col, depth),
                _ => (-depth, col),
            };
            Pos::new(origin.x + dx as i16, origin.y + dy as i16)
        };
        let mut stack = vec![Row {
            depth: 1,
            start: Slope { num: -1, den: 1 },
            end: Slope { num: 1, den: 1 },
        }];
        while let Some(mut row) = stack.pop() {
            if row.depth > radius {
                continue;
            }
            let mut prev_blocked: Option<bool> = None;
            for col in row.min_col()..=row.max_col() {
                let p = transform(row.depth, col);
                let blocked = blocks(p);
                let in_radius = row.depth * row.depth + col * col <= r2;
                if in_radius && (blocked || row.is_symmetric(col)) {
                    reveal(p);
                }
                if prev_blocked == Some(true) && !blocked {
                    row.start = tile_slope(row.depth, col);
                }
                if prev_blocked == Some(false) && blocked {
                    let mut next = row.next();
                    next.end = tile_slope(row.depth, col);
                    stack.push(next);
                }
                prev_blocked = Some(blocked);
            }
            if prev_blocked == Some(false) {
                stack.push(row.next());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::floor::Floor;

    fn visible_map(rows: &[&str], radius: u16) -> Vec<String> {
        let floor = Floor::from_ascii(1, rows);
        let origin = Floor::find_marker(rows, '@')[0];
        let mut seen = vec![vec![false; floor.width() as usize]; floor.height() as usize];
        compute(
            origin,
            radius,
            |p| floor.tile(p).blocks_sight(),
            |p| {
                if floor.tiles().contains(p) {
                    seen[p.y as usize][p.x as usize] = true;
                }
            },
        );
        rows.iter()
            .enumerate()
            .map(|(y, row)| {
                row.chars()
                    .enumerate()
                    .map(|(x, c)| if seen[y][x] { c } else { ' ' })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn walls_block_sight_into_the_next_room() {
        let rows = [
            "#########",
            "#...#...#",
            "#.@.#.x.#",
            "#...#...#",
            "#########",
        ];
        let seen = visible_map(&rows, 8);
        assert_eq!(
            seen,
            [
                "#####    ",
                "#...#    ",
                "#.@.#    ",
                "#...#    ",
                "#####    ",
            ]
        );
    }

    #[test]
    fn open_door_lets_sight_through_and_closed_door_does_not() {
        let open = ["#######", "#@.'..x", "#######"];
        assert!(visible_map(&open, 8)[1].ends_with('x'));
        let closed = ["#######", "#@.+..x", "#######"];
        let seen = visible_map(&closed, 8);
        assert_eq!(seen[1], "#@.+   ");
    }

    #[test]
    fn radius_limits_sight() {
        let rows = ["#..........@..........#"];
        let seen = visible_map(&rows, 3);
        assert_eq!(seen[0].trim(), "...@...");
    }

    #[test]
    fn sight_is_symmetric() {
        let rows = [
            "##############",
            "#....#.......#",
            "#..#....##...#",
            "#......#.....#",
            "#.##.....#...#",
            "##############",
        ];
        let floor = Floor::from_ascii(1, &rows);
        let open: Vec<Pos> = floor
            .tiles()
            .positions()
            .filter(|p| !floor.tile(*p).blocks_sight())
            .collect();
        let sees = |a: Pos, b: Pos| {
            let mut found = false;
            compute(a, 20, |p| floor.tile(p).blocks_sight(), |p| found |= p == b);
            found
        };
        for &a in &open {
            for &b in &open {
                assert_eq!(sees(a, b), sees(b, a), "asymmetric between {a:?} and {b:?}");
            }
        }
    }
}
