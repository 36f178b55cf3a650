//! Progression and pacing: experience and levels, combat time and what it changes
//! (regeneration out of combat, characters that leave while in combat).
//!
//! - A kill's experience ([`MonsterKind::xp`] × [`XP_SHARED`]) is divided evenly (rounded
//!   up) between the killer and every member of the killer's party who stands on that floor,
//!   is up, and sees the kill. A floor holds the same monsters for a party of any size (two
//!   thirds for one character alone), so in a party each levels more slowly than alone; the
//!   deep is tougher for a party instead ([`crate::monster::toughness`]).
//! - Levels run 1 to [`MAX_LEVEL`]; each brings the class's HP and mana growth
//!   ([`Class::growth`]) and heals that much; every two levels add a point to each ability's
//!   damage and healing, half that to a blow (`World::power`).
//! - A character is *in combat* for [`COMBAT_MS`] after it last dealt or took damage (or
//!   marked a monster). Out of combat it regenerates fast ([`RESTED_SHARE_PER_S`]); in combat
//!   slowly.
//! - A character new to the dungeon goes unnoticed for [`ARRIVAL_MS`], until it is first in
//!   combat: monsters neither choose it nor wake for it, so whatever waits by the entrance
//!   (the one that killed its last character) cannot fall on it before it can move.
//! - A player who leaves in combat leaves the character in the world for [`LINGER_MS`]
//!   (monsters hunt it, its downed timer runs): quitting is no escape.

use crate::class::Class;
use crate::event::EventKind;
use crate::geom::Pos;
use crate::ids::PlayerId;
use crate::monster::MonsterKind;
use crate::tick::Tick;
use crate::world::{Character, Player, World};

/// The highest level.
pub const MAX_LEVEL: u8 = 15;
/// A kill's experience is this many times [`MonsterKind::xp`], divided among those who gain it.
pub const XP_SHARED: u32 = 2;
/// Experience from level 1 to level 2; each next level needs one step more than the last.
/// In proportion to a floor's area, as its monsters are (80 on a 96×40 floor): a level comes
/// at the same depth whatever the floors' size.
pub const XP_STEP: u32 = crate::floor::per_area(80) as u32;
/// A character is in combat this long after it last dealt or took damage.
pub const COMBAT_MS: u32 = 5_000;
/// A new character goes unnoticed this long after it enters, until it fights.
pub const ARRIVAL_MS: u32 = 5_000;
/// A character whose player left in combat stays in the world this long.
pub const LINGER_MS: u32 = 10_000;
/// Out of combat, a character regains this share of its HP and mana (percent) each second:
/// full in five seconds.
pub const RESTED_SHARE_PER_S: u16 = 20;

/// The total experience a character needs for `level` (0 for level 1).
pub const fn xp_for(level: u8) -> u32 {
    let l = level.saturating_sub(1) as u32;
    XP_STEP * l * (l + 1) / 2
}

/// The level `xp` experience gives.
pub fn level_for(xp: u32) -> u8 {
    (1..MAX_LEVEL)
        .take_while(|l| xp >= xp_for(l + 1))
        .last()
        .map_or(1, |l| l + 1)
}

impl Class {
    /// HP and mana each level above the first adds.
    pub const fn growth(self) -> (u16, u16) {
        match self {
            Class::Warrior => (6, 0),
            Class::Mage => (3, 4),
            Class::Ranger => (4, 0),
            Class::Healer => (4, 4),
        }
    }
}

impl MonsterKind {
    /// Experience for a kill: how long it takes to kill and how hard it hits.
    pub const fn xp(self) -> u32 {
        let s = self.stats();
        s.max_hp as u32 + 3 * s.armor as u32 + s.damage.1 as u32
    }
}

impl Character {
    pub fn level(&self) -> u8 {
        level_for(self.xp)
    }

    /// Whether it dealt or took damage within the last `combat` ticks.
    pub fn in_combat(&self, now: Tick, combat: u64) -> bool {
        self.combat_at.is_some_and(|t| now.0 < t.0 + combat)
    }

    /// The tick until which monsters pass it by: `grace` ticks after it was made, unless it
    /// has been in combat (dealt or taken damage, or marked a monster; then none: the tick it
    /// was made).
    pub fn unnoticed_until(&self, grace: u64) -> Tick {
        match self.combat_at {
            None => Tick(self.born.0 + grace),
            Some(_) => self.born,
        }
    }
}

impl Player {
    /// Whether the character is in the world at `now`: its player is connected, or left in
    /// combat less than `linger` ticks ago (hunted, its timers running, unable to act).
    pub fn present(&self, now: Tick, combat: u64, linger: u64) -> bool {
        self.connected
            || self.character.as_ref().is_some_and(|c| {
                c.in_combat(self.left_at, combat) && now.0 < self.left_at.0 + linger
            })
    }
}

impl World {
    /// What a character's level adds to each blow, bolt and heal: a point every two levels.
    pub(crate) fn power(&self, id: PlayerId) -> u16 {
        self.player(&id)
            .and_then(|p| p.character.as_ref())
            .map_or(0, |c| u16::from(c.level() - 1) / 2)
    }

    /// Whether `player`'s character is in the world now (see [`Player::present`]).
    pub fn is_present(&self, player: &Player) -> bool {
        player.present(self.now(), self.ticks(COMBAT_MS), self.ticks(LINGER_MS))
    }

    /// Whether monsters pass `c` by now ([`ARRIVAL_MS`]).
    pub(crate) fn unnoticed(&self, c: &Character) -> bool {
        self.now() < c.unnoticed_until(self.ticks(ARRIVAL_MS))
    }

    /// The players whose characters are in the world now.
    pub(crate) fn present_players(&self) -> impl Iterator<Item = (&PlayerId, &Player)> {
        self.players().filter(|(_, p)| self.is_present(p))
    }

    /// How many present characters stand on floor `depth` (downed ones too): the party the
    /// floor's monsters meet.
    pub(crate) fn characters_on(&self, depth: u8) -> usize {
        self.present_players()
            .filter_map(|(_, p)| p.character.as_ref())
            .filter(|c| c.depth == depth)
            .count()
    }

    /// Marks `id`'s character as in combat from now.
    pub(crate) fn fought(&mut self, id: PlayerId) {
        let now = self.now();
        if let Some(c) = self.character_mut(&id) {
            c.combat_at = Some(now);
        }
    }

    /// `killer` killed a `kind` at `pos` on floor `depth`: it and its party there who see it
    /// share the kill's experience.
    pub(crate) fn award_kill(&mut self, killer: PlayerId, kind: MonsterKind, depth: u8, pos: Pos) {
        let party = self.party_of(&killer);
        let gainers: Vec<PlayerId> = self
            .present_players()
            .filter(|(id, p)| {
                let Some(c) = p.character.as_ref() else {
                    return false;
                };
                let mate = **id == killer || (party.is_some() && self.party_of(id) == party);
                let sees = **id == killer
                    || self
                        .sight_of(id)
                        .and_then(|s| s.get(pos).copied())
                        .unwrap_or(false);
                mate && sees && c.depth == depth && !c.is_downed()
            })
            .map(|(id, _)| *id)
            .collect();
        let xp = (XP_SHARED * kind.xp()).div_ceil(gainers.len().max(1) as u32);
        for id in gainers {
            self.gain_xp(id, xp);
        }
    }

    /// Adds experience; each level reached adds the class's growth (healed too) and is news
    /// for the party.
    pub(crate) fn gain_xp(&mut self, id: PlayerId, xp: u32) {
        let Some(c) = self.character_mut(&id) else {
            return;
        };
        let before = c.level();
        c.xp = c.xp.saturating_add(xp);
        let after = c.level();
        if after == before {
            return;
        }
        let (hp, mana) = c.class.growth();
        let levels = u16::from(after - before);
        c.hp = (c.hp + hp * levels).min(c.max_hp());
        c.mana = (c.mana + mana * levels).min(c.max_mana());
        let name = self.player(&id).map(|p| p.name.clone()).unwrap_or_default();
        self.emit(
            self.party_scope(id),
            EventKind::LevelUp { name, level: after },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_experience_up_to_the_cap() {
        assert_eq!(level_for(0), 1);
        assert_eq!(level_for(XP_STEP - 1), 1);
        assert_eq!(level_for(XP_STEP), 2);
        assert_eq!(level_for(xp_for(3) - 1), 2);
        assert_eq!(level_for(xp_for(3)), 3);
        assert_eq!(level_for(xp_for(MAX_LEVEL)), MAX_LEVEL);
        assert_eq!(level_for(u32::MAX), MAX_LEVEL);
        for l in 1..MAX_LEVEL {
            assert!(xp_for(l + 1) > xp_for(l));
            assert_eq!(level_for(xp_for(l)), l);
        }
    }

    #[test]
    fn tougher_monsters_are_worth_more() {
        assert!(MonsterKind::Ogre.xp() > MonsterKind::Goblin.xp());
        assert!(MonsterKind::Goblin.xp() > MonsterKind::Rat.xp());
        assert!(MonsterKind::DeepWarden.xp() > MonsterKind::Troll.xp());
    }
}
