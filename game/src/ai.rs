//! Phase 3: monsters notice, chase, attack and wander on their own timers.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::geom::{Dir, Pos};
use crate::ids::{EntityId, PlayerId};
use crate::tile::Tile;
use crate::world::World;

/// How far (in visited cells) a monster searches for a path to its target.
const PATH_BUDGET: usize = 800;

impl World {
    /// Phase 3. Monsters on floors without a connected character are frozen: an empty floor
    /// costs nothing and an absent party's floor waits for them.
    pub(crate) fn run_monsters(&mut self) {
        let now = self.now();
        let active: BTreeSet<u8> = self
            .players()
            .filter(|(_, p)| p.connected)
            .filter_map(|(_, p)| p.character.as_ref().map(|c| c.depth))
            .collect();
        for depth in active {
            let due: Vec<EntityId> = self
                .floor(depth)
                .map(|f| {
                    f.monsters
                        .values()
                        .filter(|m| m.next_act <= now)
                        .map(|m| m.id)
                        .collect()
                })
                .unwrap_or_default();
            for id in due {
                self.monster_act(depth, id);
            }
        }
    }

    fn monster_act(&mut self, depth: u8, id: EntityId) {
        let Some(m) = self.floor(depth).and_then(|f| f.monsters.get(&id)).cloned() else {
            return; // killed earlier this tick
        };
        let stats = m.kind.stats();
        let now = self.now();
        let target = self.choose_target(depth, m.pos, m.target, stats.notice);
        let (mut pos, mut next_target, mut last_seen) = (m.pos, None, m.last_seen);
        let busy_ms;
        if let Some((tid, tpos)) = target {
            next_target = Some(tid);
            last_seen = Some(tpos);
            if m.pos.is_adjacent(tpos) {
                self.monster_attacks(depth, id, tid);
                busy_ms = stats.attack_ms;
            } else {
                if let Some(step) = self.path_step(depth, m.pos, tpos, stats.opens_doors) {
                    pos = self.monster_enter(depth, m.pos, step);
                }
                busy_ms = stats.move_ms;
            }
        } else if let Some(goal) = m.last_seen {
            match self.path_step(depth, m.pos, goal, stats.opens_doors) {
                Some(step) if m.pos != goal => pos = self.monster_enter(depth, m.pos, step),
                _ => last_seen = None,
            }
            if pos == goal {
                last_seen = None;
            }
            busy_ms = stats.move_ms;
        } else {
            if self.ai_rng().percent(50) {
                let dir = Dir::ALL[self.ai_rng().below(8) as usize];
                let step = m.pos.step(dir);
                let tile = self
                    .floor(depth)
                    .map(|f| f.tile(step))
                    .unwrap_or(Tile::Wall);
                if tile.is_walkable() && self.occupant(depth, step).is_none() {
                    pos = step;
                }
            }
            busy_ms = stats.move_ms;
        }
        let next_act = now + self.ticks(busy_ms);
        if let Some(m) = self.floor_mut(depth).and_then(|f| f.monsters.get_mut(&id)) {
            m.pos = pos;
            m.target = next_target;
            m.last_seen = last_seen;
            m.next_act = next_act;
        }
    }

    /// The character this monster hunts: the current target if it can still see the monster,
    /// otherwise the nearest character within `notice` who can see it. Symmetric field of view
    /// makes "the player sees the monster" the same as "the monster sees the player".
    /// Downed and absent characters are never chosen.
    fn choose_target(
        &self,
        depth: u8,
        pos: Pos,
        current: Option<PlayerId>,
        notice: u16,
    ) -> Option<(PlayerId, Pos)> {
        let candidates: Vec<(i16, PlayerId, Pos)> = self
            .players()
            .filter(|(_, p)| p.connected)
            .filter_map(|(id, p)| {
                let c = p.character.as_ref()?;
                let sees = self.sight_of(id)?.get(pos).copied().unwrap_or(false);
                (c.depth == depth && !c.is_downed() && sees).then_some((
                    c.pos.chebyshev(pos),
                    *id,
                    c.pos,
                ))
            })
            .collect();
        if let Some(cur) = current
            && let Some((_, id, p)) = candidates.iter().find(|(_, id, _)| *id == cur)
        {
            return Some((*id, *p));
        }
        candidates
            .into_iter()
            .filter(|(dist, _, _)| *dist <= notice as i16)
            .min()
            .map(|(_, id, p)| (id, p))
    }

    /// Moves a monster from `from` into `step`, or opens the door there. Returns its position.
    fn monster_enter(&mut self, depth: u8, from: Pos, step: Pos) -> Pos {
        let tile = self
            .floor(depth)
            .map(|f| f.tile(step))
            .unwrap_or(Tile::Wall);
        if tile == Tile::DoorClosed {
            if let Some(f) = self.floor_mut(depth) {
                f.set_tile(step, Tile::DoorOpen);
            }
            return from;
        }
        if tile.is_walkable() && self.occupant(depth, step).is_none() {
            step
        } else {
            from
        }
    }

    /// The first step of a shortest path from `from` toward `to`: onto `to` when it is free,
    /// otherwise to a free cell next to it, avoiding other creatures. Falls back to the greedy
    /// step when no path is found within budget.
    pub(crate) fn path_step(
        &self,
        depth: u8,
        from: Pos,
        to: Pos,
        opens_doors: bool,
    ) -> Option<Pos> {
        let floor = self.floor(depth)?;
        let passable = |p: Pos| {
            let t = floor.tile(p);
            (t.is_walkable() || (opens_doors && t == Tile::DoorClosed))
                && self.occupant(depth, p).is_none()
        };
        let mut parent: BTreeMap<Pos, Pos> = BTreeMap::new();
        let mut queue = VecDeque::from([from]);
        parent.insert(from, from);
        let mut found = None;
        while let Some(p) = queue.pop_front() {
            if p != from && (p == to || p.is_adjacent(to)) {
                found = Some(p);
                break;
            }
            if parent.len() > PATH_BUDGET {
                break;
            }
            // Orthogonal steps first so paths look natural.
            for d in [
                Dir::N,
                Dir::E,
                Dir::S,
                Dir::W,
                Dir::NE,
                Dir::SE,
                Dir::SW,
                Dir::NW,
            ] {
                let n = p.step(d);
                if !parent.contains_key(&n) && passable(n) {
                    parent.insert(n, p);
                    queue.push_back(n);
                }
            }
        }
        if let Some(mut p) = found {
            while parent[&p] != from {
                p = parent[&p];
            }
            return Some(p);
        }
        let step = from.step(Dir::toward(from, to)?);
        passable(step).then_some(step)
    }
}
