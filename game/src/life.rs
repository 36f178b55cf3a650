//! Phase 5 and death: downed timers and revives, regeneration, expiring wards; a character that
//! dies drops everything it carried where it fell.

use crate::economy::{Entry, Place};
use crate::event::{EventKind, Scope, TradeEnd};
use crate::geom::Pos;
use crate::ids::PlayerId;
use crate::world::{Life, REVIVE_MS, World};

const HP_REGEN_MS: u32 = 3_000;
const MANA_REGEN_MS: u32 = 1_000;
const MONSTER_REGEN_MS: u32 = 1_000;

impl World {
    /// Phase 5.
    pub(crate) fn update_life(&mut self) {
        let now = self.now();
        let revive_ticks = self.ticks(REVIVE_MS);
        let hp_every = self.ticks(HP_REGEN_MS);
        let mana_every = self.ticks(MANA_REGEN_MS);
        // Who stands where, to find helpers next to downed characters.
        let helpers: Vec<(u8, Pos)> = self
            .players()
            .filter(|(_, p)| p.connected)
            .filter_map(|(_, p)| p.character.as_ref())
            .filter(|c| !c.is_downed())
            .map(|c| (c.depth, c.pos))
            .collect();
        let mut revived = Vec::new();
        let mut died = Vec::new();
        for (id, player) in self.players_mut().iter_mut() {
            if !player.connected {
                continue; // timers of absent players are frozen: their characters are safe.
            }
            let Some(c) = player.character.as_mut() else {
                continue;
            };
            if c.ward_until <= now {
                c.ward = 0;
            }
            match &mut c.life {
                Life::Downed { left, revive } => {
                    let helped = helpers
                        .iter()
                        .any(|(d, p)| *d == c.depth && p.is_adjacent(c.pos));
                    *revive = if helped { *revive + 1 } else { 0 };
                    *left = left.saturating_sub(1);
                    if *revive >= revive_ticks {
                        c.life = Life::Alive;
                        c.hp = (c.max_hp() / 4).max(1);
                        revived.push((*id, player.name.clone()));
                    } else if *left == 0 {
                        died.push(*id);
                    }
                }
                Life::Alive => {
                    if now.0.is_multiple_of(hp_every) && c.hp < c.max_hp() {
                        c.hp += 1;
                    }
                    if now.0.is_multiple_of(mana_every) && c.mana < c.max_mana() {
                        c.mana += 1;
                    }
                }
            }
        }
        for (id, name) in revived {
            self.emit(self.party_scope(id), EventKind::BackOnFeet { name });
        }
        for id in died {
            self.kill_character(id);
        }
        self.regenerate_monsters();
    }

    /// Trolls and the Deep Warden knit their wounds, on floors where someone plays.
    fn regenerate_monsters(&mut self) {
        if !self.now().0.is_multiple_of(self.ticks(MONSTER_REGEN_MS)) {
            return;
        }
        let active: Vec<u8> = self
            .players()
            .filter(|(_, p)| p.connected)
            .filter_map(|(_, p)| p.character.as_ref().map(|c| c.depth))
            .collect();
        for depth in active {
            let Some(floor) = self.floor(depth) else {
                continue;
            };
            let hurt = floor
                .monsters
                .values()
                .any(|m| m.kind.stats().regenerates && m.hp < m.kind.stats().max_hp);
            if hurt && let Some(floor) = self.floor_mut(depth) {
                for m in floor.monsters.values_mut() {
                    if m.kind.stats().regenerates && m.hp < m.kind.stats().max_hp {
                        m.hp += 1;
                    }
                }
            }
        }
    }

    /// A character dies for good: everything it carried drops where it fell.
    pub(crate) fn kill_character(&mut self, id: PlayerId) {
        let Some(player) = self.player(&id) else {
            return;
        };
        let Some(c) = player.character.clone() else {
            return;
        };
        let name = player.name.clone();
        let death = crate::fact::FactKind::Death {
            floor: c.depth,
            run_ticks: self.now() - c.born,
        };
        self.note_fact(id, death);
        self.cancel_trades_of(id, TradeEnd::Died(name.clone()));
        let goods = self.everything_carried(id);
        if !goods.is_empty() {
            self.record(Entry::Moved {
                from: Place::Pack(id),
                to: Place::Ground {
                    depth: c.depth,
                    pos: c.pos,
                },
                stacks: goods.stacks,
                items: goods.items,
            });
        }
        let player = self.players_mut().get_mut(&id).expect("looked up above");
        player.character = None;
        player.stats.deaths += 1;
        player.queued = None;
        self.floor_mut(c.depth);
        let died = EventKind::Died {
            name,
            class: c.class,
            depth: c.depth,
        };
        self.emit(Scope::Everyone, died);
    }
}
