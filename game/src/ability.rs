//! Class abilities: three per class on keys 1–3, each with a cooldown and (Mage, Healer) a mana
//! cost. A target comes from the client (an entity or a cell) or is chosen here (`Auto`): the
//! nearest enemy the caster sees, the most hurt ally in sight, an adjacent downed ally.

use serde::{Deserialize, Serialize};

use crate::class::Class;
use crate::event::{AbilityUse, EventKind, Notice, Scope, Strike, Wanted};
use crate::geom::{Dir, Pos};
use crate::ids::{EntityId, PlayerId};
use crate::talent::{Boost, TAUNT_REACH, potent};
use crate::world::{Life, World};

/// What an ability is aimed at.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// Let the host choose (nearest enemy, most hurt ally, …).
    Auto,
    Entity(EntityId),
    Cell(Pos),
}

/// What kind of target an ability takes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Aim {
    Enemy {
        range: u16,
    },
    Ally {
        range: u16,
    },
    Myself,
    Cell {
        range: u16,
    },
    DownedAlly,
    /// Everything around the caster.
    Around,
}

/// An ability's numbers.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct AbilityDef {
    pub name: &'static str,
    pub aim: Aim,
    pub cooldown_ms: u32,
    pub mana: u16,
    pub cast_ms: u32,
    pub what: &'static str,
}

const fn def(
    name: &'static str,
    aim: Aim,
    cooldown_ms: u32,
    mana: u16,
    cast_ms: u32,
    what: &'static str,
) -> AbilityDef {
    AbilityDef {
        name,
        aim,
        cooldown_ms,
        mana,
        cast_ms,
        what,
    }
}

/// Durations of effects.
pub const TAUNT_MS: u32 = 5_000;
pub const TAUNT_RADIUS: i32 = 5;
pub const SHIELD_WALL_MS: u32 = 4_000;
pub const FREEZE_MS: u32 = 3_000;
pub const MARK_MS: u32 = 6_000;
pub const ROOT_MS: u32 = 4_000;
pub const WARD_MS: u32 = 15_000;
pub const WARD_POINTS: u16 = 16;

impl Class {
    /// The class's abilities, on keys 1, 2, 3.
    pub const fn abilities(self) -> [AbilityDef; 3] {
        match self {
            Class::Warrior => [
                def(
                    "Taunt",
                    Aim::Around,
                    12_000,
                    0,
                    250,
                    "monsters within 5 cells hunt you for 5 s",
                ),
                def(
                    "Cleave",
                    Aim::Around,
                    6_000,
                    0,
                    300,
                    "hit every adjacent enemy",
                ),
                def(
                    "Shield Wall",
                    Aim::Myself,
                    20_000,
                    0,
                    250,
                    "half damage to you and adjacent allies for 4 s",
                ),
            ],
            Class::Mage => [
                def(
                    "Firebolt",
                    Aim::Enemy { range: 8 },
                    1_000,
                    4,
                    300,
                    "ranged fire on one enemy",
                ),
                def(
                    "Frost Nova",
                    Aim::Around,
                    10_000,
                    8,
                    300,
                    "freeze adjacent enemies for 3 s",
                ),
                def(
                    "Blink",
                    Aim::Cell { range: 6 },
                    8_000,
                    6,
                    200,
                    "teleport up to 6 cells to a place you see",
                ),
            ],
            Class::Ranger => [
                def(
                    "Aimed Shot",
                    Aim::Enemy { range: 12 },
                    1_600,
                    0,
                    400,
                    "long-range heavy shot",
                ),
                def(
                    "Mark",
                    Aim::Enemy { range: 10 },
                    10_000,
                    0,
                    200,
                    "target takes +50% damage from everyone for 6 s",
                ),
                def(
                    "Snare",
                    Aim::Cell { range: 5 },
                    12_000,
                    0,
                    300,
                    "trap a cell: the first enemy on it is rooted",
                ),
            ],
            Class::Healer => [
                def(
                    "Heal",
                    Aim::Ally { range: 8 },
                    1_500,
                    6,
                    300,
                    "restore an ally in sight",
                ),
                def(
                    "Ward",
                    Aim::Ally { range: 8 },
                    8_000,
                    8,
                    250,
                    "a shield that absorbs damage first",
                ),
                def(
                    "Revive",
                    Aim::DownedAlly,
                    30_000,
                    15,
                    400,
                    "raise an adjacent downed ally at once",
                ),
            ],
        }
    }
}

impl crate::world::Character {
    /// Ability `slot` of its class as its talents make it: a [`Boost::Quick`] halves the
    /// cooldown (the other boosts act where the ability does).
    pub fn ability(&self, slot: u8) -> Option<AbilityDef> {
        let mut def = self.class.abilities().get(usize::from(slot)).copied()?;
        if self.has_boost(slot, Boost::Quick) {
            def.cooldown_ms /= 2;
        }
        Some(def)
    }
}

impl World {
    /// Uses ability `slot` of `id`'s character. Anything that stops it (cooldown, mana, no
    /// target) is told to the player and costs nothing.
    pub(crate) fn use_ability(&mut self, id: PlayerId, slot: u8, target: Target) {
        let Some(c) = self.player(&id).and_then(|p| p.character.as_ref()) else {
            return;
        };
        let Some(def) = c.ability(slot) else {
            return;
        };
        let now = self.now();
        let class = c.class;
        if c.is_downed() {
            return self.tell(id, Notice::NotWhileDowned);
        }
        if c.cooldowns[usize::from(slot)] > now {
            let secs = (c.cooldowns[usize::from(slot)] - now).div_ceil(self.ticks(1000));
            return self.tell(id, Notice::NotReady { class, slot, secs });
        }
        if c.mana < def.mana {
            return self.tell(id, Notice::NoMana { class, slot });
        }
        let done = match (class, slot) {
            (Class::Warrior, 0) => self.taunt(id),
            (Class::Warrior, 1) => self.cleave(id),
            (Class::Warrior, 2) => {
                let bulwark = u32::from(c.has_boost(2, Boost::Potent)) + 1;
                let until = now + self.ticks(SHIELD_WALL_MS * bulwark);
                self.with_character(id, |c| c.shield_wall_until = until);
                self.announce(id, AbilityUse::ShieldWall);
                true
            }
            (Class::Mage, 0) => self.bolt(id, target, def, (8, 13), Strike::Burns),
            (Class::Mage, 1) => self.frost_nova(id),
            (Class::Mage, 2) => self.blink(id, target, def),
            (Class::Ranger, 0) => self.bolt(id, target, def, (10, 17), Strike::Shoots),
            (Class::Ranger, 1) => self.mark(id, target, def),
            (Class::Ranger, 2) => self.snare(id, target, def),
            (Class::Healer, 0) => self.heal(id, target, def),
            (Class::Healer, 1) => self.ward(id, target, def),
            (Class::Healer, 2) => self.revive(id, target),
            _ => false,
        };
        if !done {
            return;
        }
        let cooldown = now + self.ticks(def.cooldown_ms);
        let ready = now + self.ticks(def.cast_ms);
        self.with_character(id, |c| {
            c.cooldowns[usize::from(slot)] = cooldown;
            c.mana -= def.mana;
            c.ready_at = ready;
        });
    }

    fn with_character(&mut self, id: PlayerId, f: impl FnOnce(&mut crate::world::Character)) {
        if let Some(c) = self.character_mut(&id) {
            f(c);
        }
    }

    /// "Ada raises a shield wall." to whoever sees Ada.
    fn announce(&mut self, id: PlayerId, used: AbilityUse) {
        let Some(p) = self.player(&id) else { return };
        let Some(c) = p.character.as_ref() else {
            return;
        };
        let scope = Scope::Seen {
            depth: c.depth,
            pos: c.pos,
        };
        let name = p.name.clone();
        self.emit(scope, EventKind::Ability { name, used });
    }

    /// (depth, position) of `id`'s character and whether the caster sees `p`.
    fn sees(&self, id: PlayerId, p: Pos) -> bool {
        self.sight_of(&id)
            .and_then(|s| s.get(p).copied())
            .unwrap_or(false)
    }

    /// The monster an enemy-aimed ability hits: the given one if in sight and range, or the
    /// nearest the caster sees.
    fn enemy_target(&mut self, id: PlayerId, target: Target, range: u16) -> Option<EntityId> {
        let (depth, from) = self.place_of(id)?;
        let floor = self.floor(depth)?;
        let in_reach = |p: Pos| p.chebyshev(from) <= i32::from(range);
        let chosen = match target {
            Target::Entity(e) => floor
                .monsters
                .get(&e)
                .filter(|m| in_reach(m.pos) && self.sees(id, m.pos))
                .map(|m| m.id),
            _ => floor
                .monsters
                .values()
                .filter(|m| in_reach(m.pos) && self.sees(id, m.pos))
                .min_by_key(|m| (m.pos.chebyshev(from), m.id))
                .map(|m| m.id),
        };
        if chosen.is_none() {
            self.tell(id, Notice::NoTarget(Wanted::Enemy));
        }
        chosen
    }

    /// The ally an ally-aimed ability helps: the given one, or the most hurt one in sight; with
    /// `hurt_only`, never one at full HP (a Heal on nobody who needs it costs nothing).
    fn ally_target(
        &mut self,
        id: PlayerId,
        target: Target,
        range: u16,
        hurt_only: bool,
    ) -> Option<PlayerId> {
        let (depth, from) = self.place_of(id)?;
        let candidates: Vec<(u32, PlayerId)> = self
            .present_players()
            .filter_map(|(pid, p)| {
                let c = p.character.as_ref()?;
                let ok = c.depth == depth
                    && !c.is_downed()
                    && (!hurt_only || c.hp < c.max_hp())
                    && c.pos.chebyshev(from) <= i32::from(range)
                    && (*pid == id || self.sees(id, c.pos));
                let wanted = match target {
                    Target::Entity(e) => c.id == e,
                    _ => true,
                };
                (ok && wanted).then(|| (u32::from(c.hp) * 1000 / u32::from(c.max_hp()), *pid))
            })
            .collect();
        let chosen = candidates.into_iter().min().map(|(_, p)| p);
        if chosen.is_none() {
            self.tell(id, Notice::NoTarget(Wanted::Ally));
        }
        chosen
    }

    fn taunt(&mut self, id: PlayerId) -> bool {
        let Some((depth, from)) = self.place_of(id) else {
            return false;
        };
        let until = self.now() + self.ticks(TAUNT_MS);
        let radius = TAUNT_RADIUS
            + if self.boosted(id, 0, Boost::Reach) {
                TAUNT_REACH
            } else {
                0
            };
        let seen: Vec<EntityId> = self
            .floor(depth)
            .map(|f| {
                f.monsters
                    .values()
                    .filter(|m| m.pos.chebyshev(from) <= radius && self.sees(id, m.pos))
                    .map(|m| m.id)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(floor) = self.floor_mut(depth) {
            for mid in &seen {
                if let Some(m) = floor.monsters.get_mut(mid) {
                    m.effects.taunted = Some((id, until));
                    m.target = Some(id);
                }
            }
        }
        let foes = u16::try_from(seen.len()).unwrap_or(u16::MAX);
        self.announce(id, AbilityUse::Taunt { foes });
        self.turn_windups(depth, &seen, id);
        true
    }

    fn adjacent_monsters(&self, id: PlayerId) -> Vec<EntityId> {
        let Some((depth, from)) = self.place_of(id) else {
            return Vec::new();
        };
        self.floor(depth)
            .map(|f| {
                f.monsters
                    .values()
                    .filter(|m| m.pos.is_adjacent(from))
                    .map(|m| m.id)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn cleave(&mut self, id: PlayerId) -> bool {
        let targets = self.adjacent_monsters(id);
        if targets.is_empty() {
            self.tell(id, Notice::NoTarget(Wanted::Adjacent));
            return false;
        }
        let Some((depth, _)) = self.place_of(id) else {
            return false;
        };
        let brutal = self.boosted(id, 1, Boost::Potent);
        for m in targets {
            let roll = potent(self.melee_roll(id), brutal);
            self.hurt_monster(depth, m, roll, id, Strike::Cleaves);
        }
        true
    }

    /// A melee damage roll: class range plus worn gear and half the level's power (a blow is
    /// quick; abilities get all of it).
    pub(crate) fn melee_roll(&mut self, id: PlayerId) -> u16 {
        let bonus = self.gear_of(&id).melee + self.power(id) / 2;
        let (lo, hi) = self
            .player(&id)
            .and_then(|p| p.character.as_ref())
            .map_or((1, 1), |c| c.class.stats().melee);
        self.combat_rng().range(i32::from(lo), i32::from(hi)) as u16 + bonus
    }

    /// Firebolt and Aimed Shot: one enemy in sight and range.
    fn bolt(
        &mut self,
        id: PlayerId,
        target: Target,
        def: AbilityDef,
        (lo, hi): (u16, u16),
        how: Strike,
    ) -> bool {
        let Aim::Enemy { range } = def.aim else {
            return false;
        };
        let Some(m) = self.enemy_target(id, target, range) else {
            return false;
        };
        let gear = self.gear_of(&id);
        let bonus = if how == Strike::Burns {
            gear.spell
        } else {
            gear.shot
        };
        let roll =
            self.combat_rng().range(i32::from(lo), i32::from(hi)) as u16 + bonus + self.power(id);
        let roll = potent(roll, self.boosted(id, 0, Boost::Potent));
        let depth = self.place_of(id).map_or(0, |(d, _)| d);
        self.hurt_monster(depth, m, roll, id, how);
        true
    }

    fn frost_nova(&mut self, id: PlayerId) -> bool {
        let mut targets = self.adjacent_monsters(id);
        if self.boosted(id, 1, Boost::Reach)
            && let Some((depth, from)) = self.place_of(id)
        {
            // Glacier: two cells round, what the mage sees.
            let farther = self.floor(depth).map(|f| {
                f.monsters
                    .values()
                    .filter(|m| m.pos.chebyshev(from) == 2 && self.sees(id, m.pos))
                    .map(|m| m.id)
                    .collect::<Vec<_>>()
            });
            targets.extend(farther.unwrap_or_default());
        }
        if targets.is_empty() {
            self.tell(id, Notice::NoTarget(Wanted::Adjacent));
            return false;
        }
        let Some((depth, _)) = self.place_of(id) else {
            return false;
        };
        let bonus = self.gear_of(&id).spell / 2;
        let deep = u32::from(self.boosted(id, 1, Boost::Potent)) + 1;
        let until = self.now() + self.ticks(FREEZE_MS * deep);
        for m in targets {
            let roll = self.combat_rng().range(1, 3) as u16 + bonus;
            let hit = self.hurt_monster(depth, m, roll, id, Strike::Chills);
            if hit.is_some_and(|o| !o.killed) {
                self.freeze_monster(depth, m, until);
            }
        }
        self.announce(id, AbilityUse::FrostNova);
        true
    }

    /// A free cell in sight and range for Blink or Snare.
    fn cell_target(
        &mut self,
        id: PlayerId,
        target: Target,
        range: u16,
        snare: bool,
    ) -> Option<Pos> {
        let (depth, from) = self.place_of(id)?;
        let floor = self.floor(depth)?;
        let usable = |p: Pos| {
            p != from
                && p.chebyshev(from) <= i32::from(range)
                && floor.tile(p).is_walkable()
                && self.sees(id, p)
                && (snare || self.occupant(depth, p).is_none())
                && !(snare && floor.traps.contains_key(&p))
        };
        let nearest_enemy = floor
            .monsters
            .values()
            .filter(|m| self.sees(id, m.pos))
            .min_by_key(|m| (m.pos.chebyshev(from), m.id))
            .map(|m| m.pos);
        let chosen = match target {
            Target::Cell(p) => usable(p).then_some(p),
            _ if snare => {
                // In front of the nearest enemy, on its way to us.
                let enemy = nearest_enemy?;
                let toward = Dir::toward(enemy, from)?;
                Some(enemy.step(toward)).filter(|p| usable(*p))
            }
            _ => {
                // Away from the nearest enemy, as far as range allows.
                let danger = nearest_enemy.unwrap_or(from);
                floor
                    .tiles()
                    .positions()
                    .filter(|p| usable(*p))
                    .max_by_key(|p| (p.chebyshev(danger), -p.chebyshev(from), *p))
            }
        };
        if chosen.is_none() {
            self.tell(id, Notice::NoTarget(Wanted::Place));
        }
        chosen
    }

    fn blink(&mut self, id: PlayerId, target: Target, def: AbilityDef) -> bool {
        let Aim::Cell { range } = def.aim else {
            return false;
        };
        let Some(to) = self.cell_target(id, target, range, false) else {
            return false;
        };
        let depth = self.place_of(id).map_or(0, |(d, _)| d);
        self.set_position(id, depth, to);
        self.announce(id, AbilityUse::Blink);
        true
    }

    fn mark(&mut self, id: PlayerId, target: Target, def: AbilityDef) -> bool {
        let Aim::Enemy { range } = def.aim else {
            return false;
        };
        let Some(mid) = self.enemy_target(id, target, range) else {
            return false;
        };
        let hunters = u32::from(self.boosted(id, 1, Boost::Potent)) + 1;
        let until = self.now() + self.ticks(MARK_MS * hunters);
        let depth = self.place_of(id).map_or(0, |(d, _)| d);
        let monster = match self.floor_mut(depth).and_then(|f| f.monsters.get_mut(&mid)) {
            Some(m) => {
                m.effects.marked_until = until;
                m.kind
            }
            None => return false,
        };
        // A mark is an attack without damage: it ends a newcomer's grace and counts as combat.
        self.fought(id);
        self.announce(id, AbilityUse::Mark { monster });
        true
    }

    fn snare(&mut self, id: PlayerId, target: Target, def: AbilityDef) -> bool {
        let Aim::Cell { range } = def.aim else {
            return false;
        };
        let Some(at) = self.cell_target(id, target, range, true) else {
            return false;
        };
        let depth = self.place_of(id).map_or(0, |(d, _)| d);
        if let Some(floor) = self.floor_mut(depth) {
            floor.traps.insert(at, id);
        }
        self.announce(id, AbilityUse::Snare);
        true
    }

    fn heal(&mut self, id: PlayerId, target: Target, def: AbilityDef) -> bool {
        let Aim::Ally { range } = def.aim else {
            return false;
        };
        let Some(ally) = self.ally_target(id, target, range, true) else {
            return false;
        };
        let bonus = self.gear_of(&id).heal;
        let amount = self.combat_rng().range(12, 20) as u16 + bonus + self.power(id);
        let amount = potent(amount, self.boosted(id, 0, Boost::Potent));
        let healer = self.player(&id).map(|p| p.name.clone()).unwrap_or_default();
        let mut healed = 0;
        let mut name = String::new();
        if let Some(p) = self.players_mut().get_mut(&ally) {
            name = p.name.clone();
            if let Some(c) = p.character.as_mut() {
                let before = c.hp;
                c.hp = (c.hp + amount).min(c.max_hp());
                healed = c.hp - before;
            }
        }
        let (depth, pos) = self.place_of(ally).unwrap_or((0, Pos::default()));
        let healed = EventKind::Healed {
            healer,
            ally: name,
            amount: healed,
        };
        self.emit(Scope::Seen { depth, pos }, healed);
        true
    }

    fn ward(&mut self, id: PlayerId, target: Target, def: AbilityDef) -> bool {
        let Aim::Ally { range } = def.aim else {
            return false;
        };
        let Some(ally) = self.ally_target(id, target, range, false) else {
            return false;
        };
        let points = potent(
            WARD_POINTS + self.gear_of(&id).heal,
            self.boosted(id, 1, Boost::Potent),
        );
        let until = self.now() + self.ticks(WARD_MS);
        self.with_character(ally, |c| {
            c.ward = points;
            c.ward_until = until;
        });
        let ally = self
            .player(&ally)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        self.announce(id, AbilityUse::Ward { ally, points });
        true
    }

    fn revive(&mut self, id: PlayerId, target: Target) -> bool {
        let Some((depth, from)) = self.place_of(id) else {
            return false;
        };
        let downed = self.players().find_map(|(pid, p)| {
            let c = p.character.as_ref()?;
            let wanted = match target {
                Target::Entity(e) => c.id == e,
                _ => true,
            };
            (wanted && c.is_downed() && c.depth == depth && c.pos.is_adjacent(from)).then_some(*pid)
        });
        let Some(ally) = downed else {
            self.tell(id, Notice::NoTarget(Wanted::DownedAlly));
            return false;
        };
        let full = self.boosted(id, 2, Boost::Potent);
        self.with_character(ally, |c| {
            c.life = Life::Alive;
            c.hp = if full { c.max_hp() } else { c.max_hp() / 2 };
        });
        let name = self
            .player(&ally)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        self.emit(self.party_scope(ally), EventKind::Revived { name });
        true
    }
}
