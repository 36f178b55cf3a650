//! Phase 3: what a character does when its queued action starts: moving, doors, melee, mining,
//! stairs; abilities, items and crafting are dispatched to their modules.

use crate::event::{EventKind, Feature, Notice, Scope, Strike, TradeEnd};
use crate::geom::Pos;
use crate::ids::{EntityId, PlayerId};
use crate::tile::Tile;
use crate::world::{ATTACK_MS, Action, CRAWL_MS, MOVE_MS, Occupant, World};

/// A fall into a chasm hurts this much (never downing).
pub const FALL_DAMAGE: (u16, u16) = (3, 8);

/// How many times as long a step into `tile` takes: deep water is a swim.
pub(crate) fn wading(tile: Tile) -> u32 {
    if tile == Tile::DeepWater { 2 } else { 1 }
}

impl World {
    /// Starts `action` for `id`'s character. Actions that cannot happen (walking into a wall,
    /// stairs that are not there) cost no time.
    pub(crate) fn perform(&mut self, id: PlayerId, action: Action) {
        let downed = self
            .player(&id)
            .and_then(|p| p.character.as_ref())
            .is_none_or(|c| c.is_downed());
        let needs_standing = !matches!(
            action,
            Action::Move(_) | Action::Wait | Action::Use(_) | Action::Learn { .. }
        );
        if downed && needs_standing {
            return self.tell(id, Notice::CrawlOnly);
        }
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
            Action::Ability { slot, target } => self.use_ability(id, slot, target),
            Action::PickUp => self.pick_up(id),
            Action::Drop(goods) => self.drop_goods(id, goods),
            Action::Deposit(stacks) => self.deposit(id, stacks),
            Action::Withdraw(stacks) => self.withdraw(id, stacks),
            Action::Craft { recipe, stacks } => self.start_crafting(id, recipe, stacks),
            Action::Equip(item) => self.equip(id, item),
            Action::Unequip(slot) => self.unequip(id, slot),
            Action::Use(item) => self.use_item(id, item),
            Action::Learn { tier, pick } => self.choose_talent(id, tier, pick),
        }
    }

    /// (depth, position, downed) of a player's character.
    fn character_place(&self, id: PlayerId) -> Option<(u8, Pos, bool)> {
        let c = self.player(&id)?.character.as_ref()?;
        Some((c.depth, c.pos, c.is_downed()))
    }

    /// (depth, position) of a player's character.
    pub(crate) fn place_of(&self, id: PlayerId) -> Option<(u8, Pos)> {
        self.character_place(id).map(|(depth, pos, _)| (depth, pos))
    }

    /// The character is busy for `ms` from now (half that while hasted).
    pub(crate) fn busy(&mut self, id: PlayerId, ms: u32) {
        let now = self.now();
        let hasted = self
            .player(&id)
            .and_then(|p| p.character.as_ref())
            .is_some_and(|c| c.hasted_until > now);
        let until = now + self.ticks(if hasted { ms / 2 } else { ms });
        if let Some(c) = self.character_mut(&id) {
            c.ready_at = until;
        }
    }

    /// Puts `id`'s character at `pos` on `depth`, marking the floors it left and entered.
    pub(crate) fn set_position(&mut self, id: PlayerId, depth: u8, pos: Pos) {
        let old_depth = self.character_place(id).map(|(d, _, _)| d);
        if let Some(c) = self.character_mut(&id) {
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
                    self.tell(id, Notice::TooWeakToFight);
                } else {
                    self.character_attacks(id, depth, monster);
                    self.busy(id, ATTACK_MS);
                }
            }
            Some(Occupant::Character(other)) => {
                // Allies swap places, but only with one standing idle: not in the middle of a
                // step or any other action, nothing queued to do this tick. Two walking the
                // same way would otherwise swap forever and never advance. The one behind
                // waits (its move is spent, no time) and steps once the way is free. A downed
                // ally is always swapped with: pulled back behind the one stepping up (in a
                // corridor it would otherwise stand between its friends and the fight).
                let now = self.now();
                let other_idle = self.player(&other).is_some_and(|p| {
                    p.character
                        .as_ref()
                        .is_some_and(|c| c.is_downed() || (p.queued.is_none() && c.ready_at <= now))
                });
                if !downed && other_idle {
                    self.set_position(other, depth, from);
                    self.set_position(id, depth, target);
                    self.busy(id, self.step_ms(id));
                }
            }
            None if tile == Tile::DoorClosed && !downed => {
                if let Some(floor) = self.floor_mut(depth) {
                    floor.set_tile(target, Tile::DoorOpen);
                }
                self.busy(id, MOVE_MS);
            }
            None if tile == Tile::DoorLocked && !downed => self.unlock(id, depth, target),
            None if tile.is_vein() && !downed => self.start_mining(id, depth, target),
            None if tile == Tile::Lava => self.tell(id, Notice::Lava),
            None if tile == Tile::Chasm => self.fall(id, depth, target),
            None if tile.is_walkable() => {
                self.set_position(id, depth, target);
                let step = if downed { CRAWL_MS } else { self.step_ms(id) };
                self.busy(id, step * wading(tile));
                self.describe_cell(id, depth, target, tile);
                self.step_on(id, depth, target);
            }
            None => {}
        }
    }

    /// `id` walked into the chasm at `at` on floor `depth`: it falls to the floor below (the
    /// deepest floor has no chasm), hurt by [`FALL_DAMAGE`] but never downed by it.
    fn fall(&mut self, id: PlayerId, depth: u8, at: Pos) {
        if depth >= crate::floor::DEEPEST_FLOOR {
            return;
        }
        let roll = self
            .combat_rng()
            .range(i32::from(FALL_DAMAGE.0), i32::from(FALL_DAMAGE.1)) as u16;
        let mut damage = 0;
        if let Some(c) = self.character_mut(&id)
            && !c.is_downed()
        {
            damage = roll.min(c.hp.saturating_sub(1));
            c.hp -= damage;
        }
        self.drop_below(id, depth, at);
        self.busy(id, MOVE_MS);
        let name = self.player(&id).map(|p| p.name.clone()).unwrap_or_default();
        let fell = EventKind::Fell {
            name,
            depth: depth + 1,
            damage,
        };
        self.emit(self.party_scope(id), fell);
    }

    /// What the character finds where it steps.
    fn describe_cell(&mut self, id: PlayerId, depth: u8, pos: Pos, tile: Tile) {
        let feature = match tile {
            Tile::StairsDown => Some(Feature::StairsDown),
            Tile::StairsUp if depth > 1 => Some(Feature::StairsUp),
            Tile::StairsUp => Some(Feature::Entrance),
            Tile::Shrine => Some(Feature::Shrine),
            _ => None,
        };
        if let Some(feature) = feature {
            self.tell(id, Notice::Here(feature));
        }
        if self.economy().piles(depth).contains(&pos) {
            self.tell(id, Notice::SomethingHere);
        }
    }

    fn take_stairs(&mut self, id: PlayerId, down: bool) {
        let Some((depth, pos, _)) = self.character_place(id) else {
            return;
        };
        let tile = self.floor(depth).map(|f| f.tile(pos));
        let wanted = if down {
            Tile::StairsDown
        } else {
            Tile::StairsUp
        };
        if tile != Some(wanted) {
            self.tell(id, Notice::NoStairs { down });
            return;
        }
        if !down && depth == 1 {
            if self.won_before(id) {
                self.tell(id, Notice::AlreadyWon);
            } else if !self.try_victory(id) {
                self.tell(id, Notice::ExitSealed);
            }
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
        self.arrive(id, dest_depth, dest);
        self.busy(id, MOVE_MS);
        self.followed(id, (depth, pos), (dest_depth, dest), down);
        let player = self.players_mut().get_mut(&id).expect("has a character");
        let name = player.name.clone();
        let stairs = EventKind::Stairs {
            name,
            down,
            depth: dest_depth,
        };
        self.emit(self.party_scope(id), stairs);
    }

    /// `id`'s character arrives at `dest` on another floor `depth` (by stairs or Descent): its
    /// trades end, and a new deepest floor is counted.
    pub(crate) fn arrive(&mut self, id: PlayerId, depth: u8, dest: Pos) {
        let name = self.player(&id).map(|p| p.name.clone()).unwrap_or_default();
        self.cancel_trades_of(id, TradeEnd::LeftFloor(name));
        self.repopulate(depth, dest);
        self.set_position(id, depth, dest);
        let Some(player) = self.players_mut().get_mut(&id) else {
            return;
        };
        let deeper = depth > player.stats.deepest;
        player.stats.deepest = player.stats.deepest.max(depth);
        if deeper {
            self.note_fact(id, crate::fact::FactKind::Deepest { floor: depth });
        }
    }

    /// Monsters hunting `id` next to the stairs it took from `from` follow it to `to`: they
    /// arrive beside it a step later. Stairs are no escape from what is at your heels; the
    /// frozen, the rooted, guardians and those winding up a special stay.
    fn followed(&mut self, id: PlayerId, from: (u8, Pos), to: (u8, Pos), down: bool) {
        let now = self.now();
        let Some(floor) = self.floor(from.0) else {
            return;
        };
        let chasers: Vec<EntityId> = floor
            .monsters
            .values()
            .filter(|m| {
                m.target == Some(id)
                    && m.pos.chebyshev(from.1) <= 1
                    && !m.is_frozen(now)
                    && !m.is_rooted(now)
                    && m.kind.stats().role != crate::monster::Role::Guardian
                    && m.windup.is_none()
            })
            .map(|m| m.id)
            .collect();
        let name = self.player(&id).map(|p| p.name.clone()).unwrap_or_default();
        for m in chasers {
            let Some(mut monster) = self.floor_mut(from.0).and_then(|f| f.monsters.remove(&m))
            else {
                continue;
            };
            let at = self.free_cell_near(to.0, to.1);
            monster.pos = at;
            monster.last_seen = Some(to.1);
            monster.next_act = now + self.ticks(monster.kind.stats().move_ms);
            let kind = monster.kind;
            if let Some(floor) = self.floor_mut(to.0) {
                floor.monsters.insert(m, monster);
            }
            let follows = EventKind::Follows {
                monster: kind,
                name: name.clone(),
                down,
            };
            self.emit(
                Scope::Seen {
                    depth: to.0,
                    pos: at,
                },
                follows,
            );
        }
    }

    /// A notice to one player.
    pub(crate) fn tell(&mut self, id: PlayerId, notice: Notice) {
        self.emit(Scope::Player(id), EventKind::Notice(notice));
    }

    fn character_attacks(&mut self, id: PlayerId, depth: u8, monster: EntityId) {
        let Some(c) = self.player(&id).and_then(|p| p.character.as_ref()) else {
            return;
        };
        let accuracy = c.class.stats().accuracy;
        let name = self.player(&id).map(|p| p.name.clone()).unwrap_or_default();
        let Some(m) = self.floor(depth).and_then(|f| f.monsters.get(&monster)) else {
            return;
        };
        let (mpos, kind) = (m.pos, m.kind);
        let frozen = m.is_frozen(self.now());
        // Frozen monsters cannot dodge.
        if !frozen && !self.combat_rng().percent(u32::from(accuracy)) {
            let missed = EventKind::Missed {
                name,
                monster: kind,
            };
            self.emit(Scope::Seen { depth, pos: mpos }, missed);
            return;
        }
        let roll = self.melee_roll(id);
        self.hurt_monster(depth, monster, roll, id, Strike::Hits);
    }

    /// Monster `monster` on floor `depth` strikes `target`'s character, in melee or (with
    /// `ranged`) from afar.
    pub(crate) fn monster_attacks(
        &mut self,
        depth: u8,
        monster: EntityId,
        target: PlayerId,
        ranged: bool,
    ) {
        let Some(m) = self.floor(depth).and_then(|f| f.monsters.get(&monster)) else {
            return;
        };
        let (kind, mstats) = (m.kind, m.kind.stats());
        let Some(c) = self.player(&target).and_then(|p| p.character.as_ref()) else {
            return;
        };
        let cpos = c.pos;
        let name = self
            .player(&target)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        if !self.combat_rng().percent(u32::from(mstats.accuracy)) {
            let missed = EventKind::MonsterMissed {
                monster: kind,
                name,
                ranged,
            };
            self.emit(Scope::Seen { depth, pos: cpos }, missed);
            return;
        }
        let roll =
            self.combat_rng()
                .range(i32::from(mstats.damage.0), i32::from(mstats.damage.1)) as u16;
        let blow = if ranged {
            crate::special::Blow::Ranged
        } else {
            crate::special::Blow::Melee
        };
        self.hurt_character(target, roll, kind, blow);
        self.floor_mut(depth);
    }
}
