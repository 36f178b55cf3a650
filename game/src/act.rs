//! Phase 2: what a character does when its queued action starts, and melee between characters
//! and monsters.

use crate::event::{Scope, Tone};
use crate::geom::Pos;
use crate::ids::{EntityId, PlayerId};
use crate::tile::Tile;
use crate::world::{ATTACK_MS, Action, CRAWL_MS, DOWNED_MS, Life, MOVE_MS, Occupant, World};

impl World {
    /// Starts `action` for `id`'s character. Actions that cannot happen (walking into a wall,
    /// stairs that are not there) cost no time.
    pub(crate) fn perform(&mut self, id: PlayerId, action: Action) {
        match action {
            Action::Move(dir) => {
                let Some((depth, pos, _)) = self.character_place(id) else {
                    return;
                };
                self.step_character(id, depth, pos.step(dir));
            }
            Action::Wait => self.busy(id, MOVE_MS),
            Action::Descend => self.take_stairs(id, true),
            Action::Ascend => self.take_stairs(id, false),
        }
    }

    /// (depth, position, downed) of a player's character.
    fn character_place(&self, id: PlayerId) -> Option<(u8, Pos, bool)> {
        let c = self.player(&id)?.character.as_ref()?;
        Some((c.depth, c.pos, c.is_downed()))
    }

    fn busy(&mut self, id: PlayerId, ms: u32) {
        let until = self.now() + self.ticks(ms);
        if let Some(c) = self
            .players_mut()
            .get_mut(&id)
            .and_then(|p| p.character.as_mut())
        {
            c.ready_at = until;
        }
    }

    fn set_position(&mut self, id: PlayerId, depth: u8, pos: Pos) {
        let old_depth = self.character_place(id).map(|(d, _, _)| d);
        if let Some(c) = self
            .players_mut()
            .get_mut(&id)
            .and_then(|p| p.character.as_mut())
        {
            c.depth = depth;
            c.pos = pos;
        }
        if let Some(d) = old_depth {
            self.floor_mut(d);
        }
        self.floor_mut(depth);
    }

    fn step_character(&mut self, id: PlayerId, depth: u8, target: Pos) {
        let Some((_, from, downed)) = self.character_place(id) else {
            return;
        };
        let Some(tile) = self.floor(depth).map(|f| f.tile(target)) else {
            return;
        };
        match self.occupant(depth, target) {
            Some(Occupant::Monster(monster)) => {
                if downed {
                    self.tell(
                        id,
                        "You are too weak to fight: crawl away or wait for help.",
                    );
                } else {
                    self.character_attacks(id, depth, monster);
                    self.busy(id, ATTACK_MS);
                }
            }
            Some(Occupant::Character(other)) => {
                let other_standing = self
                    .character_place(other)
                    .is_some_and(|(_, _, other_downed)| !other_downed);
                if !downed && other_standing {
                    self.set_position(other, depth, from);
                    self.set_position(id, depth, target);
                    self.busy(id, MOVE_MS);
                }
            }
            None if tile == Tile::DoorClosed && !downed => {
                if let Some(floor) = self.floor_mut(depth) {
                    floor.set_tile(target, Tile::DoorOpen);
                }
                self.busy(id, MOVE_MS);
            }
            None if tile.is_walkable() => {
                self.set_position(id, depth, target);
                self.busy(id, if downed { CRAWL_MS } else { MOVE_MS });
                match tile {
                    Tile::StairsDown => self.tell(id, "A staircase leads down here (press >)."),
                    Tile::StairsUp if depth > 1 => {
                        self.tell(id, "A staircase leads up here (press <).")
                    }
                    Tile::StairsUp => self.tell(id, "The dungeon's entrance (press < to leave)."),
                    _ => {}
                }
            }
            None => {}
        }
    }

    fn take_stairs(&mut self, id: PlayerId, down: bool) {
        let Some((depth, pos, downed)) = self.character_place(id) else {
            return;
        };
        let tile = self.floor(depth).map(|f| f.tile(pos));
        let wanted = if down {
            Tile::StairsDown
        } else {
            Tile::StairsUp
        };
        if tile != Some(wanted) {
            let text = if down {
                "There are no stairs down here."
            } else {
                "There are no stairs up here."
            };
            self.tell(id, text);
            return;
        }
        if downed {
            self.tell(id, "You cannot climb stairs while downed.");
            return;
        }
        if !down && depth == 1 {
            self.tell(
                id,
                "The way out is sealed: you do not hold the Heart of the Deep.",
            );
            return;
        }
        let dest_depth = if down { depth + 1 } else { depth - 1 };
        self.ensure_floor(dest_depth);
        let Some(dest_floor) = self.floor(dest_depth) else {
            return;
        };
        let arrival = if down {
            dest_floor.stairs_up
        } else {
            dest_floor.stairs_down.unwrap_or(dest_floor.stairs_up)
        };
        let dest = self.free_cell_near(dest_depth, arrival);
        self.set_position(id, dest_depth, dest);
        self.busy(id, MOVE_MS);
        let player = self.players_mut().get_mut(&id).expect("has a character");
        player.stats.deepest = player.stats.deepest.max(dest_depth);
        let verb = if down { "descends" } else { "climbs" };
        let text = format!("{} {verb} to floor {dest_depth}.", player.name);
        self.say(Scope::Everyone, Tone::Info, text);
    }

    /// A message to one player.
    pub(crate) fn tell(&mut self, id: PlayerId, text: &str) {
        self.say(Scope::Player(id), Tone::Info, text.to_owned());
    }

    fn character_attacks(&mut self, id: PlayerId, depth: u8, monster: EntityId) {
        let Some(player) = self.player(&id) else {
            return;
        };
        let Some(c) = player.character.as_ref() else {
            return;
        };
        let name = player.name.clone();
        let stats = c.class.stats();
        let Some(m) = self.floor(depth).and_then(|f| f.monsters.get(&monster)) else {
            return;
        };
        let (mpos, mstats) = (m.pos, m.kind.stats());
        let scope = Scope::Seen { depth, pos: mpos };
        if !self.combat_rng().percent(u32::from(stats.accuracy)) {
            let text = format!("{name} misses the {}.", mstats.name);
            self.say(scope, Tone::Combat, text);
            return;
        }
        let roll = self
            .combat_rng()
            .range(i32::from(stats.melee.0), i32::from(stats.melee.1));
        let damage = (roll - i32::from(mstats.armor)).max(1) as u16;
        let Some(floor) = self.floor_mut(depth) else {
            return;
        };
        let m = floor.monsters.get_mut(&monster).expect("looked up above");
        m.hp = m.hp.saturating_sub(damage);
        if m.hp > 0 {
            // Being hit makes a monster hunt its attacker.
            m.target = Some(id);
            let text = format!("{name} hits the {} ({damage}).", mstats.name);
            self.say(scope, Tone::Combat, text);
            return;
        }
        floor.monsters.remove(&monster);
        let player = self.players_mut().get_mut(&id).expect("looked up above");
        player.stats.kills += 1;
        if let Some(c) = player.character.as_mut() {
            c.kills += 1;
        }
        let text = format!("{name} kills the {}!", mstats.name);
        self.say(scope, Tone::Good, text);
    }

    /// Monster `monster` on floor `depth` strikes `target`'s character.
    pub(crate) fn monster_attacks(&mut self, depth: u8, monster: EntityId, target: PlayerId) {
        let Some(m) = self.floor(depth).and_then(|f| f.monsters.get(&monster)) else {
            return;
        };
        let mstats = m.kind.stats();
        let Some(player) = self.player(&target) else {
            return;
        };
        let Some(c) = player.character.as_ref() else {
            return;
        };
        let (name, armor, cpos) = (player.name.clone(), c.class.stats().armor, c.pos);
        let scope = Scope::Seen { depth, pos: cpos };
        if !self.combat_rng().percent(u32::from(mstats.accuracy)) {
            let text = format!("The {} misses {name}.", mstats.name);
            self.say(scope, Tone::Combat, text);
            return;
        }
        let roll = self
            .combat_rng()
            .range(i32::from(mstats.damage.0), i32::from(mstats.damage.1));
        let damage = (roll - i32::from(armor)).max(1) as u16;
        let downed_ticks = self.ticks(DOWNED_MS);
        let c = self
            .players_mut()
            .get_mut(&target)
            .and_then(|p| p.character.as_mut())
            .expect("looked up above");
        c.hp = c.hp.saturating_sub(damage);
        if c.hp == 0 {
            c.life = Life::Downed {
                left: downed_ticks,
                revive: 0,
            };
            let text = format!(
                "{name} is downed by the {}! Stand next to them for 3 s to revive them.",
                mstats.name
            );
            self.say(Scope::Everyone, Tone::Bad, text);
        } else {
            let text = format!("The {} hits {name} ({damage}).", mstats.name);
            self.say(scope, Tone::Bad, text);
        }
        self.floor_mut(depth);
    }
}
