//! Phase 5 and death: downed timers and revives, regeneration, expiring wards, the Heart of a
//! carrier away too long; a character that dies drops everything it carried where it fell.
//!
//! Only characters in the world ([`crate::world::Player::present`]) live through time: an
//! absent character's timers are frozen and it is safe.

use crate::economy::{Entry, Place};
use crate::event::{EventKind, Scope, TradeEnd};
use crate::geom::Pos;
use crate::ids::PlayerId;
use crate::progress::{COMBAT_MS, LINGER_MS, RESTED_SHARE_PER_S};
use crate::world::{Life, REVIVE_MS, World};

/// In combat, a character regains a hit point this often, and a point of mana.
const HP_REGEN_MS: u32 = 3_000;
const MANA_REGEN_MS: u32 = 500;
const MONSTER_REGEN_MS: u32 = 1_000;
/// Out of combat, regeneration comes in steps this often.
const RESTED_STEP_MS: u32 = 250;
/// The Heart goes back to the deepest floor when its carrier has been away this long.
pub const HEART_AWAY_MS: u32 = 5 * 60_000;

impl World {
    /// Phase 5.
    pub(crate) fn update_life(&mut self) {
        self.search();
        let now = self.now();
        let revive_ticks = self.ticks(REVIVE_MS);
        let hp_every = self.ticks(HP_REGEN_MS);
        let mana_every = self.ticks(MANA_REGEN_MS);
        let rested_every = self.ticks(RESTED_STEP_MS);
        let (combat, linger) = (self.ticks(COMBAT_MS), self.ticks(LINGER_MS));
        let under_attack = self.ticks(crate::combat::UNDER_ATTACK_MS);
        // Who stands where, to find helpers next to downed characters.
        let helpers: Vec<(u8, Pos)> = self
            .present_players()
            .filter_map(|(_, p)| p.character.as_ref())
            .filter(|c| !c.is_downed())
            .map(|c| (c.depth, c.pos))
            .collect();
        let mut revived = Vec::new();
        let mut died = Vec::new();
        for (id, player) in self.players_mut().iter_mut() {
            if !player.present(now, combat, linger) {
                continue; // timers of absent characters are frozen: they are safe.
            }
            let Some(c) = player.character.as_mut() else {
                continue;
            };
            if c.ward_until <= now {
                c.ward = 0;
            }
            let fighting = c.in_combat(now, combat);
            let under_attack = c.in_combat(now, under_attack);
            let (max_hp, max_mana) = (c.max_hp(), c.max_mana());
            match &mut c.life {
                Life::Downed { left, revive } => {
                    let helped = helpers
                        .iter()
                        .any(|(d, p)| *d == c.depth && p.is_adjacent(c.pos));
                    *revive = if helped { *revive + 1 } else { 0 };
                    *left = left.saturating_sub(if under_attack { 2 } else { 1 });
                    if *revive >= revive_ticks {
                        c.life = Life::Alive;
                        c.hp = (max_hp / 4).max(1);
                        revived.push((*id, player.name.clone()));
                    } else if *left == 0 {
                        died.push(*id);
                    }
                }
                Life::Alive if fighting => {
                    if now.0.is_multiple_of(hp_every) && c.hp < max_hp {
                        c.hp += 1;
                    }
                    if now.0.is_multiple_of(mana_every) && c.mana < max_mana {
                        c.mana += 1;
                    }
                }
                Life::Alive if now.0.is_multiple_of(rested_every) => {
                    let step = |max: u16| {
                        let per_step = RESTED_SHARE_PER_S * RESTED_STEP_MS as u16 / 1000;
                        (max * per_step).div_ceil(100).max(1)
                    };
                    c.hp = (c.hp + step(max_hp)).min(max_hp);
                    c.mana = (c.mana + step(max_mana)).min(max_mana);
                }
                Life::Alive => {}
            }
        }
        for (id, name) in revived {
            self.emit(self.party_scope(id), EventKind::BackOnFeet { name });
        }
        for id in died {
            self.kill_character(id);
        }
        self.regenerate_monsters();
        self.return_heart();
        self.heart_hunt();
        self.regrow_heart();
    }

    /// The Heart goes back to its place on the deepest floor when its carrier has been away
    /// (not in the world) for [`HEART_AWAY_MS`]: nobody can lock it away by leaving. Looked at
    /// once a second (finding the Heart looks through every item).
    fn return_heart(&mut self) {
        if !self.now().0.is_multiple_of(self.ticks(1_000)) {
            return;
        }
        let Some((crate::economy::Holder::Carried(carrier), heart)) = self.economy().heart() else {
            return;
        };
        let heart = heart.id;
        let away = self.ticks(HEART_AWAY_MS);
        let Some(p) = self.player(&carrier) else {
            return;
        };
        if self.is_present(p) || self.now().0 < p.left_at.0 + away {
            return;
        }
        let name = p.name.clone();
        let deepest = crate::floor::DEEPEST_FLOOR;
        let Some(home) = self.heart_home() else {
            return;
        };
        let moved = self.record(Entry::Moved {
            from: Place::Pack(carrier),
            to: Place::Ground {
                depth: deepest,
                pos: home,
            },
            stacks: Vec::new(),
            items: vec![heart],
        });
        if moved {
            self.emit(Scope::Everyone, EventKind::HeartReturned { name });
        }
    }

    /// Trolls and the Deep Warden knit their wounds, on floors where someone plays.
    fn regenerate_monsters(&mut self) {
        if !self.now().0.is_multiple_of(self.ticks(MONSTER_REGEN_MS)) {
            return;
        }
        let active: Vec<u8> = self
            .present_players()
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
