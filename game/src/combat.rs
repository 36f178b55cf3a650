//! Damage, both ways, with every synergy as a rule:
//!
//! - a frozen monster hit by a Warrior **shatters**: double damage, and it thaws;
//! - a **marked** monster takes half again as much damage from every source;
//! - a monster caught **asleep** takes double damage (a sneak attack), and wakes;
//! - **Shield Wall** halves damage to the warrior and to every ally next to them, downed or not;
//! - a **Ward** absorbs damage before HP, and a whole breath ([`crate::special`]) however
//!   strong (it is spent).
//!
//! Armour takes a share off each hit, not a flat amount ([`after_armour`]: 10 points halve
//! it), and a hit always does at least 1. Order for monsters: armour, ½ for a harm it resists
//! ([`MonsterKind::resists`], rounded up), ×2 asleep, ×2 shatter, ×1.5 mark, then the deep's
//! toughness ([`crate::monster::toughness`]: below floor 1 a monster lasts longer against a
//! party of three or more, and against anything but a blade). For characters:
//! armour (not against a breath or a curse), ½ Shield Wall (rounded up), then the Ward absorbs.
//!
//! A downed character's timer runs twice as fast while it is under attack (hit within the
//! last [`UNDER_ATTACK_MS`]): [`DOWNED_MS`] is 16 s, so under attack it still lasts 8 s.

use crate::class::Class;
use crate::event::{EventKind, Notice, Scope, Strike, TradeEnd};
use crate::ids::{EntityId, PlayerId};
use crate::monster::MonsterKind;
use crate::special::{Blow, Special};
use crate::world::{DOWNED_MS, Life, World};

/// Armour points that halve a hit.
pub const ARMOUR_HALVES: u16 = 10;
/// A downed character hit within this long is under attack (its timer runs double).
pub const UNDER_ATTACK_MS: u32 = 1_000;

/// What is left of a hit of `roll` after `armour`: the share `10 / (10 + armour)`, rounded,
/// at least 1.
pub fn after_armour(roll: u16, armour: u16) -> u16 {
    let (roll, armour, k) = (u32::from(roll), u32::from(armour), u32::from(ARMOUR_HALVES));
    let left = (roll * k + (k + armour) / 2) / (k + armour);
    left.max(1) as u16
}

/// What a hit on a monster did.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub damage: u16,
    pub killed: bool,
    pub shattered: bool,
}

impl World {
    /// `by` hits monster `monster` on floor `depth` for a rolled `roll`; `how` says with what.
    pub(crate) fn hurt_monster(
        &mut self,
        depth: u8,
        monster: EntityId,
        roll: u16,
        by: PlayerId,
        how: Strike,
    ) -> Option<Outcome> {
        let now = self.now();
        let attacker = self.player(&by)?;
        let name = attacker.name.clone();
        let warrior = attacker.character.as_ref()?.class == Class::Warrior;
        let toughness = crate::monster::toughness(depth, self.characters_on(depth), how.harm());
        let floor = self.floor_mut(depth)?;
        let m = floor.monsters.get_mut(&monster)?;
        let (kind, stats) = (m.kind, m.kind.stats());
        let mut damage = kind.after_resistance(after_armour(roll, stats.armor), how.harm());
        // Caught asleep: a sneak attack.
        let sneak = m.asleep;
        if sneak {
            damage = damage.saturating_mul(2);
        }
        let shattered = warrior && m.is_frozen(now);
        if shattered {
            damage = damage.saturating_mul(2);
            // It thaws: it acts again from now, not when the frost would have worn off.
            if m.next_act <= m.effects.frozen_until {
                m.next_act = m.next_act.min(now);
            }
            m.effects.frozen_until = now;
        }
        if m.is_marked(now) {
            damage = damage.saturating_add(damage / 2);
        }
        // The deep stands up to a party, and to what strikes from afar.
        damage = crate::monster::after_toughness(damage, toughness);
        m.hp = m.hp.saturating_sub(damage);
        m.target = Some(by);
        let (pos, killed) = (m.pos, m.hp == 0);
        if sneak {
            // It and the sleepers near it wake (a kill is heard too).
            self.wake(depth, monster, Some(name.clone()));
        }
        if killed {
            self.floor_mut(depth)?.monsters.remove(&monster);
        }
        self.fought(by);
        if killed {
            self.award_kill(by, kind, depth, pos);
            self.drop_loot(monster, kind, depth, pos);
            let player = self.players_mut().get_mut(&by).expect("looked up above");
            player.stats.kills += 1;
            if let Some(c) = player.character.as_mut() {
                c.kills += 1;
            }
            self.note_fact(by, crate::fact::FactKind::Kill { monster: kind });
        }
        let struck = EventKind::Struck {
            name,
            how,
            monster: kind,
            damage,
            killed,
            shattered,
        };
        self.emit(Scope::Seen { depth, pos }, struck);
        Some(Outcome {
            damage,
            killed,
            shattered,
        })
    }

    /// A monster of kind `monster` hits `target`'s character for a rolled `roll` with `blow`
    /// (a breath is taken whole by a Ward, whatever is left of it).
    pub(crate) fn hurt_character(
        &mut self,
        target: PlayerId,
        roll: u16,
        monster: MonsterKind,
        blow: Blow,
    ) -> u16 {
        let now = self.now();
        let armor = self.gear_of(&target).armor;
        let covered = self.shield_wall_covers(target);
        let downed_ticks = self.ticks(DOWNED_MS);
        let Some(player) = self.player(&target) else {
            return 0;
        };
        let name = player.name.clone();
        let Some(c) = self.character_mut(&target) else {
            return 0;
        };
        let armor = c.class.stats().armor + armor;
        c.combat_at = Some(now);
        // The same kind hits harder deeper.
        let roll = crate::monster::deepen(roll, c.depth);
        // Armour does not stop fire, venom or a spell: only a blow.
        let magic = matches!(
            blow,
            Blow::Special(Special::Breath) | Blow::Special(Special::Curse)
        );
        let mut damage = if magic {
            roll.max(1)
        } else {
            after_armour(roll, armor)
        };
        if covered {
            damage = damage.div_ceil(2);
        }
        if c.ward_until <= now {
            c.ward = 0;
        }
        let absorbed = if blow == Blow::Special(Special::Breath) && c.ward > 0 {
            c.ward = 0;
            damage
        } else {
            let absorbed = damage.min(c.ward);
            c.ward -= absorbed;
            absorbed
        };
        damage -= absorbed;
        let interrupted = c.channel.take().is_some();
        if interrupted {
            c.ready_at = now;
        }
        let (depth, pos) = (c.depth, c.pos);
        let fallen = match &mut c.life {
            Life::Downed { .. } => true,
            Life::Alive => {
                c.hp = c.hp.saturating_sub(damage);
                if c.hp == 0 {
                    c.life = Life::Downed {
                        left: downed_ticks,
                        revive: 0,
                    };
                    let downed = EventKind::Downed {
                        name: name.clone(),
                        monster,
                        blow,
                    };
                    self.emit(self.party_scope(target), downed);
                    self.cancel_trades_of(target, TradeEnd::Downed(name));
                    return damage;
                }
                false
            }
        };
        let hit = EventKind::MonsterHit {
            monster,
            blow,
            name,
            damage,
            absorbed,
            shield_wall: covered,
            fallen,
        };
        self.emit(Scope::Seen { depth, pos }, hit);
        if interrupted {
            self.tell(target, Notice::Interrupted);
        }
        damage
    }

    /// Is `target` inside a Shield Wall: their own, or that of a warrior next to them?
    pub(crate) fn shield_wall_covers(&self, target: PlayerId) -> bool {
        let now = self.now();
        let Some(c) = self.player(&target).and_then(|p| p.character.as_ref()) else {
            return false;
        };
        self.players().any(|(_, p)| {
            p.character.as_ref().is_some_and(|w| {
                w.shield_wall_until > now
                    && w.depth == c.depth
                    && w.pos.chebyshev(c.pos) <= 1
                    && !w.is_downed()
            })
        })
    }
}
