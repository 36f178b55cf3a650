//! Secret doors and traps ([`Floor::hidden`](crate::floor::Floor::hidden)): found by standing
//! next to one (each second, [`SEARCH_PERCENT`] for each hidden thing within a cell of a
//! character), a trap also by stepping on it. A found trap is a tile everyone sees and still
//! springs when stepped on, once: then it is spent (floor again). Monsters know their floors
//! and never spring one.

use crate::event::{EventKind, Scope};
use crate::geom::Pos;
use crate::ids::PlayerId;
use crate::tile::Tile;
use crate::world::World;

/// The chance each second that a character finds a hidden thing next to it.
pub const SEARCH_PERCENT: u32 = 30;
/// An alarm wakes the monsters this close and calls them to it.
pub const ALARM_RADIUS: i32 = 10;
/// A dart's damage (before armour; it never downs).
pub const DART_DAMAGE: (u16, u16) = (6, 12);
/// A net holds its catch this long.
pub const NET_MS: u32 = 2_500;

impl World {
    /// Part of phase 5, once a second: characters standing next to hidden things may find
    /// them.
    pub(crate) fn search(&mut self) {
        let second = self.ticks(1_000).max(1);
        if !self.now().0.is_multiple_of(second) {
            return;
        }
        let lookers: Vec<(PlayerId, u8, Pos)> = self
            .present_players()
            .filter_map(|(id, p)| {
                let c = p.character.as_ref()?;
                (!c.is_downed()).then_some((*id, c.depth, c.pos))
            })
            .collect();
        for (id, depth, at) in lookers {
            let near: Vec<Pos> = self
                .floor(depth)
                .map(|f| {
                    f.hidden
                        .keys()
                        .filter(|p| p.chebyshev(at) <= 1)
                        .copied()
                        .collect()
                })
                .unwrap_or_default();
            for p in near {
                if self.ai_rng().percent(SEARCH_PERCENT)
                    && let Some(tile) = self.reveal(depth, p)
                {
                    let name = self.player(&id).map(|p| p.name.clone()).unwrap_or_default();
                    self.emit(
                        Scope::Seen { depth, pos: p },
                        EventKind::Found { name, tile },
                    );
                }
            }
        }
    }

    /// What hides at `p` shows from now on. Returns what it is.
    fn reveal(&mut self, depth: u8, p: Pos) -> Option<Tile> {
        let floor = self.floor_mut(depth)?;
        let tile = floor.hidden.remove(&p)?;
        floor.set_tile(p, tile);
        Some(tile)
    }

    /// `id`'s character stepped onto `p`: a trap there, found or not, springs and is spent.
    pub(crate) fn step_on(&mut self, id: PlayerId, depth: u8, p: Pos) {
        let Some(floor) = self.floor(depth) else {
            return;
        };
        let trap = match floor.hidden.get(&p) {
            // Found by springing it: the log says so once ("steps on"), not also "spots".
            Some(t) if t.is_trap() => self.reveal(depth, p),
            _ => Some(floor.tile(p)).filter(|t| t.is_trap()),
        };
        let Some(trap) = trap else {
            return;
        };
        if let Some(floor) = self.floor_mut(depth) {
            floor.set_tile(p, Tile::Floor);
        }
        let name = self.player(&id).map(|p| p.name.clone()).unwrap_or_default();
        let mut damage = 0;
        match trap {
            Tile::TrapAlarm => {
                let now = self.now();
                if let Some(floor) = self.floor_mut(depth) {
                    for m in floor.monsters.values_mut() {
                        if m.pos.chebyshev(p) <= ALARM_RADIUS {
                            m.asleep = false;
                            if m.target.is_none() {
                                m.last_seen = Some(p);
                            }
                            m.next_act = m.next_act.min(now);
                        }
                    }
                }
            }
            Tile::TrapDart => {
                let armour = self.gear_of(&id).armor;
                let roll = self
                    .combat_rng()
                    .range(i32::from(DART_DAMAGE.0), i32::from(DART_DAMAGE.1));
                if let Some(c) = self.character_mut(&id) {
                    let armour = armour + c.class.stats().armor;
                    let hit = crate::combat::after_armour(roll as u16, armour);
                    damage = hit.min(c.hp.saturating_sub(1));
                    c.hp -= damage;
                }
            }
            Tile::TrapNet => self.busy(id, NET_MS),
            _ => {}
        }
        let sprung = EventKind::TrapSprung { name, trap, damage };
        self.emit(Scope::Seen { depth, pos: p }, sprung);
    }
}
