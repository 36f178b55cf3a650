//! The deep climbs after the Heart. While a character in the world carries the Heart of the
//! Deep, every [`HUNT_MS`] a monster of a floor [`HUNT_DEEPER`] below the carrier's (with its
//! pack or band) comes out on the carrier's floor, at least [`HUNT_AWAY`] cells from everyone
//! and at most [`HUNT_NEAR`] steps from the carrier, awake and making for it; and every awake
//! monster there with nobody in sight goes where the carrier is. The climb out is a fight, not
//! a walk back along a cleared way, and a second Heart is earned the same way. Nothing comes
//! while the floor already holds [`HUNT_AWAKE`] awake monsters.
//!
//! The Heart is heavy: its carrier's steps take [`HEART_WEIGHT_PERCENT`] of a step's time
//! ([`World::step_ms`]), so it cannot outrun what the deep sends and the climb is an escort.
//! Haste halves that as any step; friends can carry it in turns (drop it, another picks it up).

use crate::economy::Holder;
use crate::event::EventKind;
use crate::floor::DEEPEST_FLOOR;
use crate::geom::Pos;
use crate::ids::PlayerId;
use crate::monster::MonsterKind;
use crate::path::DistanceMap;
use crate::tile::Tile;
use crate::world::{MOVE_MS, World};

/// How often the deep sends another after the Heart.
pub const HUNT_MS: u32 = 15_000;
/// Those it sends are of the floor this many below the carrier's.
pub const HUNT_DEEPER: u8 = 2;
/// They come out at least this far from every character…
pub const HUNT_AWAY: i32 = 10;
/// …and at most this many steps from the carrier.
pub const HUNT_NEAR: u16 = 16;
/// No more come while this many monsters on the floor are awake.
pub const HUNT_AWAKE: usize = 6;
/// The carrier's steps take this share of [`MOVE_MS`]: twice as long.
pub const HEART_WEIGHT_PERCENT: u32 = 200;
/// How often the awake monsters of the carrier's floor are told where it is.
const CALL_MS: u32 = 1_000;
/// A new Heart forms on the deepest floor this long after a victory (with a Deep Warden, if
/// none is left): a second victory takes at least this long.
pub const REGROW_MS: u32 = 30 * 60_000;

impl World {
    /// Does `id` carry the Heart of the Deep?
    pub fn carries_heart(&self, id: PlayerId) -> bool {
        matches!(self.economy().heart(), Some((Holder::Carried(p), _)) if p == id)
    }

    /// How long a step takes `id` on dry floor, haste aside: [`MOVE_MS`], longer for the
    /// Heart's carrier ([`HEART_WEIGHT_PERCENT`]).
    pub(crate) fn step_ms(&self, id: PlayerId) -> u32 {
        if self.carries_heart(id) {
            MOVE_MS * HEART_WEIGHT_PERCENT / 100
        } else {
            MOVE_MS
        }
    }

    /// Phase 5: the Heart's pull ([module docs](self)).
    pub(crate) fn heart_hunt(&mut self) {
        let now = self.now().0;
        if !now.is_multiple_of(self.ticks(CALL_MS)) {
            return;
        }
        let Some((Holder::Carried(carrier), _)) = self.economy().heart() else {
            return;
        };
        let Some(player) = self.player(&carrier).filter(|p| self.is_present(p)) else {
            return;
        };
        let Some((depth, at)) = player.character.as_ref().map(|c| (c.depth, c.pos)) else {
            return;
        };
        let Some(floor) = self.floor_mut(depth) else {
            return;
        };
        let mut awake = 0;
        for m in floor.monsters.values_mut().filter(|m| !m.asleep) {
            awake += 1;
            if m.target.is_none() {
                m.last_seen = Some(at);
            }
        }
        if now.is_multiple_of(self.ticks(HUNT_MS)) && awake < HUNT_AWAKE {
            self.send_hunter(carrier, depth, at);
        }
    }

    /// Phase 5: [`REGROW_MS`] after the latest victory, a new Heart (and a Deep Warden, if none
    /// is left) on its place on floor 12. Read from the victories the economy keeps, so it
    /// needs nothing saved of its own; looked at once a second.
    pub(crate) fn regrow_heart(&mut self) {
        let now = self.now();
        if !now.0.is_multiple_of(self.ticks(CALL_MS)) || self.economy().heart().is_some() {
            return;
        }
        let Some(last) = self.economy().victories().last().map(|v| v.tick) else {
            return;
        };
        if now < last + self.ticks(REGROW_MS) || self.floor(DEEPEST_FLOOR).is_none() {
            return;
        }
        let Some(home) = self.heart_home() else {
            return;
        };
        self.place_heart(DEEPEST_FLOOR, home);
        if self.economy().heart().is_some() {
            self.emit(crate::event::Scope::Everyone, EventKind::HeartFormed);
        }
    }

    /// One monster of a deeper floor, with its kin, coming out on floor `depth` for the Heart
    /// `carrier` holds at `at`; the carrier's party is told.
    fn send_hunter(&mut self, carrier: PlayerId, depth: u8, at: Pos) {
        let kinds = MonsterKind::at_depth((depth + HUNT_DEEPER).min(DEEPEST_FLOOR));
        let people: Vec<Pos> = self
            .present_players()
            .filter_map(|(_, p)| p.character.as_ref())
            .filter(|c| c.depth == depth)
            .map(|c| c.pos)
            .collect();
        let Some(floor) = self.floor(depth) else {
            return;
        };
        // Cells a monster can walk from to the carrier (not a locked vault, not across lava),
        // near enough that it finds the way: a monster's path search looks at a few hundred
        // cells, and one placed beyond that would wander instead of coming.
        let passable = |p: Pos| {
            let t = floor.tile(p);
            t.is_walkable() || t == Tile::DoorClosed
        };
        let steps = DistanceMap::new(floor.width(), floor.height(), [at], passable);
        let open: Vec<Pos> = floor
            .tiles()
            .positions()
            .filter(|p| floor.tile(*p) == Tile::Floor)
            .filter(|p| steps.at(*p).is_some_and(|d| d <= HUNT_NEAR))
            .filter(|p| people.iter().all(|q| q.chebyshev(*p) >= HUNT_AWAY))
            .collect();
        if open.is_empty() || kinds.is_empty() {
            return;
        }
        for _ in 0..10 {
            let from = open[self.ai_rng().below(open.len() as u32) as usize];
            if self.occupant(depth, from).is_some() {
                continue;
            }
            let kind = kinds[self.ai_rng().below(kinds.len() as u32) as usize];
            let sent = self.spawn_band(depth, kind, from);
            if let Some(floor) = self.floor_mut(depth) {
                for id in sent {
                    if let Some(m) = floor.monsters.get_mut(&id) {
                        m.asleep = false;
                        m.last_seen = Some(at);
                    }
                }
            }
            self.emit(
                self.party_scope(carrier),
                EventKind::Hunted {
                    monster: kind,
                    depth,
                },
            );
            return;
        }
    }
}
