//! Phase 4: monsters notice, chase, attack and wander on their own timers, each after its role:
//! archers shoot from range, shamans heal their kin, necromancers raise skeletons, the Deep
//! Warden keeps to the Heart. Frozen monsters wait; rooted ones cannot step; taunted ones hunt
//! the warrior who taunted them; a character new to the dungeon goes unnoticed until it fights
//! or [`ARRIVAL_MS`](crate::progress::ARRIVAL_MS) passes. Those with a special wind it up first
//! and let go a moment later ([`crate::special`]).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::ability::ROOT_MS;
use crate::event::{EventKind, Scope};
use crate::geom::{Dir, Pos};
use crate::ids::{EntityId, PlayerId};
use crate::monster::{Monster, MonsterKind, Role};
use crate::talent::Boost;
use crate::tile::Tile;
use crate::world::World;

/// How far (in visited cells) a monster searches for a path to its target.
const PATH_BUDGET: usize = 800;
/// A shaman heals this much, this often.
const HEAL_AMOUNT: u16 = 8;
const HEAL_MS: u32 = 4_000;
/// A necromancer raises a skeleton this often, keeping at most this many.
const SUMMON_MS: u32 = 8_000;
const MAX_SKELETONS: usize = 3;
/// The share (percent) of a new floor's monsters that sleep (guardians never do).
pub const ASLEEP_PERCENT: u32 = 40;
/// A sleeper looks about this often.
const DOZE_MS: u32 = 500;
/// Waking, a monster wakes the sleepers this close.
pub const WAKE_RADIUS: i32 = 4;

impl World {
    /// Phase 4. Monsters on floors without a character in the world are frozen: an empty floor
    /// costs nothing and an absent party's floor waits for them.
    pub(crate) fn run_monsters(&mut self) {
        let now = self.now();
        let active: BTreeSet<u8> = self
            .present_players()
            .filter_map(|(_, p)| p.character.as_ref().map(|c| c.depth))
            .collect();
        for depth in active {
            if let Some(floor) = self.floor_mut(depth) {
                floor.visited_at = now;
            }
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
        let now = self.now();
        if m.is_frozen(now) {
            self.update_monster(depth, id, |m| m.next_act = m.effects.frozen_until);
            return;
        }
        if let Some(w) = m.windup {
            // Wound up: it lets go when the moment comes, and does nothing else until then.
            let busy = if w.at <= now {
                self.let_go(depth, id, w)
            } else {
                0
            };
            let next = (now + self.ticks(busy)).max(w.at);
            self.update_monster(depth, id, |m| m.next_act = m.next_act.max(next));
            return;
        }
        if m.asleep {
            if !self.disturbed(depth, &m) {
                let doze = now + self.ticks(DOZE_MS);
                self.update_monster(depth, id, |m| m.next_act = doze);
                return;
            }
            self.wake(depth, id, None);
        }
        let stats = m.kind.stats();
        let target = self.choose_target(depth, &m);
        let mut next = Plan {
            pos: m.pos,
            target: None,
            last_seen: m.last_seen,
            busy_ms: stats.move_ms,
            special: None,
        };
        if let Some((tid, tpos)) = target {
            next.target = Some(tid);
            next.last_seen = Some(tpos);
            if self.try_special(depth, &m, &mut next) {
                // healed or summoned instead of fighting
            } else if let Some(ms) = self.wind_up(depth, &m, tid, tpos) {
                next.busy_ms = ms;
            } else if m.pos.is_adjacent(tpos) {
                self.monster_attacks(depth, id, tid, false);
                next.busy_ms = stats.attack_ms;
            } else if let Role::Ranged { range } = stats.role
                && m.pos.chebyshev(tpos) <= i32::from(range)
            {
                self.monster_attacks(depth, id, tid, true);
                next.busy_ms = stats.attack_ms;
            } else if !m.is_rooted(now)
                && let Some(step) = self.path_step(depth, m.pos, tpos, stats.opens_doors)
            {
                next.pos = self.monster_enter(depth, id, m.pos, step);
            }
        } else if self.try_special(depth, &m, &mut next) {
        } else if let Some(goal) = m.last_seen {
            match self.path_step(depth, m.pos, goal, stats.opens_doors) {
                Some(step) if m.pos != goal && !m.is_rooted(now) => {
                    next.pos = self.monster_enter(depth, id, m.pos, step);
                }
                _ => next.last_seen = None,
            }
            if next.pos == goal {
                next.last_seen = None;
            }
        } else if stats.role == Role::Guardian {
            if m.pos.chebyshev(m.home) > 2
                && let Some(step) = self.path_step(depth, m.pos, m.home, true)
            {
                next.pos = self.monster_enter(depth, id, m.pos, step);
            }
        } else if !m.is_rooted(now) && self.ai_rng().percent(50) {
            let dir = Dir::ALL[self.ai_rng().below(8) as usize];
            let step = m.pos.step(dir);
            let tile = self
                .floor(depth)
                .map(|f| f.tile(step))
                .unwrap_or(Tile::Wall);
            if tile.is_walkable() && self.occupant(depth, step).is_none() {
                next.pos = self.monster_enter(depth, id, m.pos, step);
            }
        }
        if next.pos != m.pos {
            let tile = self.floor(depth).map_or(Tile::Floor, |f| f.tile(next.pos));
            next.busy_ms *= crate::act::wading(tile);
        }
        let next_act = now + self.ticks(next.busy_ms);
        let special_at = next.special;
        self.update_monster(depth, id, |m| {
            m.pos = next.pos;
            m.target = next.target;
            m.last_seen = next.last_seen;
            m.next_act = m.next_act.max(next_act);
            if let Some(at) = special_at {
                m.special_at = at;
            }
        });
    }

    /// Whether a sleeper wakes: a taunt reaches it, or a character in the world (and not newly
    /// arrived, [`ARRIVAL_MS`](crate::progress::ARRIVAL_MS)) sees it from half its notice range
    /// (at least 2 cells).
    fn disturbed(&self, depth: u8, m: &Monster) -> bool {
        let now = self.now();
        if m.effects.taunted.is_some_and(|(_, until)| until > now) {
            return true;
        }
        let near = i32::from(m.kind.stats().notice / 2).max(2);
        self.present_players().any(|(id, p)| {
            p.character.as_ref().is_some_and(|c| {
                c.depth == depth && c.pos.chebyshev(m.pos) <= near && !self.unnoticed(c)
            }) && self
                .line_of_sight(id)
                .and_then(|s| s.get(m.pos).copied())
                .unwrap_or(false)
        })
    }

    /// Monster `id` wakes (caught asleep by `by`'s blow, or on its own), and so do the
    /// sleepers within [`WAKE_RADIUS`] of where it is.
    pub(crate) fn wake(&mut self, depth: u8, id: EntityId, by: Option<String>) {
        let Some(floor) = self.floor_mut(depth) else {
            return;
        };
        let Some((kind, at)) = floor.monsters.get(&id).map(|m| (m.kind, m.pos)) else {
            return;
        };
        for m in floor.monsters.values_mut() {
            if m.id == id || m.pos.chebyshev(at) <= WAKE_RADIUS {
                m.asleep = false;
            }
        }
        let woke = EventKind::Woke { monster: kind, by };
        self.emit(Scope::Seen { depth, pos: at }, woke);
    }

    pub(crate) fn update_monster(&mut self, depth: u8, id: EntityId, f: impl FnOnce(&mut Monster)) {
        if let Some(m) = self
            .floor_mut(depth)
            .and_then(|fl| fl.monsters.get_mut(&id))
        {
            f(m);
        }
    }

    /// Healers heal hurt kin near them; summoners raise skeletons while hunting.
    fn try_special(&mut self, depth: u8, m: &Monster, next: &mut Plan) -> bool {
        let now = self.now();
        if m.special_at > now {
            return false;
        }
        match m.kind.stats().role {
            Role::Healer => {
                let hurt = self.floor(depth).and_then(|f| {
                    f.monsters
                        .values()
                        .filter(|o| o.pos.chebyshev(m.pos) <= 5 && o.hp < o.kind.stats().max_hp)
                        .min_by_key(|o| (o.hp, o.id))
                        .map(|o| (o.id, o.pos, o.kind))
                });
                let Some((oid, opos, patient)) = hurt else {
                    return false;
                };
                self.update_monster(depth, oid, |o| {
                    o.hp = (o.hp + HEAL_AMOUNT).min(o.kind.stats().max_hp);
                });
                let healed = EventKind::MonsterHealed {
                    healer: m.kind,
                    patient,
                };
                self.emit(Scope::Seen { depth, pos: opos }, healed);
                next.special = Some(now + self.ticks(HEAL_MS));
                next.busy_ms = m.kind.stats().attack_ms;
                true
            }
            Role::Summoner if next.target.is_some() => {
                let raised = self.floor(depth).map_or(0, |f| {
                    f.monsters
                        .values()
                        .filter(|o| o.master == Some(m.id))
                        .count()
                });
                if raised >= MAX_SKELETONS {
                    return false;
                }
                let at = Dir::ALL.iter().map(|d| m.pos.step(*d)).find(|p| {
                    self.floor(depth).is_some_and(|f| f.tile(*p).is_walkable())
                        && self.occupant(depth, *p).is_none()
                });
                let Some(at) = at else {
                    return false;
                };
                let sid = self.new_entity();
                let mut skeleton = Monster::new(sid, MonsterKind::Skeleton, at, now + 1);
                skeleton.master = Some(m.id);
                skeleton.target = next.target;
                if let Some(floor) = self.floor_mut(depth) {
                    floor.monsters.insert(sid, skeleton);
                }
                let summoned = EventKind::Summoned { by: m.kind };
                self.emit(Scope::Seen { depth, pos: m.pos }, summoned);
                next.special = Some(now + self.ticks(SUMMON_MS));
                next.busy_ms = m.kind.stats().attack_ms;
                true
            }
            _ => false,
        }
    }

    /// The character this monster hunts:
    /// 1. a taunting warrior, while the taunt lasts and they stand on this floor;
    /// 2. the current target if it can still see the monster;
    /// 3. the nearest character within `notice` who can see it.
    ///
    /// A character new to the dungeon that has not fought yet is passed by
    /// ([`ARRIVAL_MS`](crate::progress::ARRIVAL_MS)), unless it taunted this monster.
    ///
    /// Symmetric field of view makes "the player sees the monster" the same as "the monster sees
    /// the player". Absent characters (not [`present`](crate::world::Player::present)) are
    /// never chosen, downed ones only when nobody standing is.
    fn choose_target(&self, depth: u8, m: &Monster) -> Option<(PlayerId, Pos)> {
        let now = self.now();
        if let Some((warrior, until)) = m.effects.taunted
            && until > now
            && let Some(c) = self
                .player(&warrior)
                .filter(|p| self.is_present(p))
                .and_then(|p| p.character.as_ref())
            && c.depth == depth
            && !c.is_downed()
        {
            return Some((warrior, c.pos));
        }
        let notice = m.kind.stats().notice;
        let candidates: Vec<(bool, i32, PlayerId, Pos)> = self
            .present_players()
            .filter_map(|(id, p)| {
                let c = p.character.as_ref().filter(|c| !self.unnoticed(c))?;
                let sees = self.line_of_sight(id)?.get(m.pos).copied().unwrap_or(false);
                (c.depth == depth && sees).then_some((
                    c.is_downed(),
                    c.pos.chebyshev(m.pos),
                    *id,
                    c.pos,
                ))
            })
            .collect();
        if let Some(cur) = m.target
            && let Some((downed, _, id, p)) = candidates.iter().find(|(_, _, id, _)| *id == cur)
            && !downed
        {
            return Some((*id, *p));
        }
        candidates
            .into_iter()
            .filter(|(_, dist, _, _)| *dist <= i32::from(notice))
            .min()
            .map(|(_, _, id, p)| (id, p))
    }

    /// Moves a monster from `from` into `step`, or opens the door there, springing any snare.
    /// Returns its position.
    pub(crate) fn monster_enter(&mut self, depth: u8, id: EntityId, from: Pos, step: Pos) -> Pos {
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
        if !tile.is_walkable() || self.occupant(depth, step).is_some() {
            return from;
        }
        let setter = self.floor_mut(depth).and_then(|f| f.traps.remove(&step));
        if let Some(setter) = setter {
            let deadfall = self.boosted(setter, 2, Boost::Potent);
            let until = self.now() + self.ticks(ROOT_MS * if deadfall { 2 } else { 1 });
            let mut monster = None;
            self.update_monster(depth, id, |m| {
                m.effects.rooted_until = until;
                monster = Some(m.kind);
            });
            if let Some(monster) = monster {
                self.emit(
                    Scope::Seen { depth, pos: step },
                    EventKind::Snared { monster },
                );
            }
        }
        step
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
        // Who stands where, taken once: a search looks at up to PATH_BUDGET cells, and asking
        // `occupant` of each would look through every creature for every one of them.
        let occupied = self.occupancy(depth);
        let passable = |p: Pos| {
            let t = floor.tile(p);
            (t.is_walkable() || (opens_doors && t == Tile::DoorClosed))
                && !occupied.get(p).copied().unwrap_or(false)
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

/// What a monster will have done by the end of its act.
struct Plan {
    pos: Pos,
    target: Option<PlayerId>,
    last_seen: Option<Pos>,
    busy_ms: u32,
    /// When its special is next ready, if it used it.
    special: Option<crate::tick::Tick>,
}
