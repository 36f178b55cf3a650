//! Telegraphed special attacks. A monster with a special winds up for a moment first
//! ([`SpecialDef::windup_ms`]): everyone who sees it sees the monster and the cells it
//! threatens ([`area`]), and a log line says what is coming. Then it lets go. Each has answers:
//!
//! - **Charge** (ogres, goblin chieftains, the Orc Warlord): a rush along a straight line at
//!   the cell its target stood on, up to [`CHARGE_RANGE`] cells; the first character in the way
//!   takes a triple blow. Step off the line; a **Snare** roots the charger (a rooted monster
//!   cannot charge, and a snare on the line stops it); a charge that meets nobody leaves the
//!   charger off balance for [`STUMBLE_MS`].
//! - **Breath** (salamanders, nagas, the Deep Warden): a cone toward the target, every
//!   character in it hit without a roll to hit. A **Ward** takes a whole breath however strong
//!   (and is spent); a warrior behind **Shield Wall** stands in front of it for the cells behind
//!   them ([`sheltered`]), taking half themself.
//! - **Curse** (imps, wraiths): a heavy spell on one character, which lands if the
//!   caster still sees them within range when it lets go: break its line of sight.
//!
//! And for all three: **Frost Nova** (or any freeze) interrupts a wind-up; a **Taunt** turns
//! it on the warrior who taunted (re-aimed at once, shown as such).

use serde::{Deserialize, Serialize};

use crate::event::{EventKind, Scope};
use crate::geom::Pos;
use crate::ids::{EntityId, PlayerId};
use crate::monster::{Monster, MonsterKind};
use crate::tick::Tick;
use crate::tile::Tile;
use crate::world::{Occupant, World};

/// How far a charge runs.
pub const CHARGE_RANGE: i32 = 6;
/// A charge that meets nobody leaves the charger off balance this long.
pub const STUMBLE_MS: u32 = 1_500;

/// A special attack.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Special {
    Charge,
    Breath,
    Curse,
}

/// How a monster hit a character.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Blow {
    Melee,
    Ranged,
    Special(Special),
}

/// Why a wind-up came to nothing.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Broken {
    /// Frozen while winding up.
    Frozen,
    /// A charger rooted (a snare) before or during its rush.
    Rooted,
    /// A curse whose target left the caster's sight or range (or the floor).
    LostSight,
    /// A charge that met nobody: the charger stumbles.
    Nobody,
}

/// A special's numbers for one monster kind.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SpecialDef {
    pub special: Special,
    /// What the log calls getting ready to do it ("breathe fire at") and what hits ("fire").
    pub verb: &'static str,
    pub noun: &'static str,
    /// Targets within this many cells (Chebyshev) when it winds up.
    pub range: i32,
    pub windup_ms: u32,
    pub cooldown_ms: u32,
    /// Rolled per character hit (before armour; a charge triples the monster's own blow
    /// instead).
    pub damage: (u16, u16),
}

const fn def(
    special: Special,
    (verb, noun): (&'static str, &'static str),
    range: i32,
    damage: (u16, u16),
) -> SpecialDef {
    let (windup_ms, cooldown_ms) = match special {
        Special::Charge => (1_000, 7_000),
        Special::Breath => (1_200, 9_000),
        Special::Curse => (1_500, 8_000),
    };
    SpecialDef {
        special,
        verb,
        noun,
        range,
        windup_ms,
        cooldown_ms,
        damage,
    }
}

impl MonsterKind {
    /// Its telegraphed special attack, if it has one.
    pub const fn special(self) -> Option<SpecialDef> {
        use MonsterKind::*;
        use Special::*;
        Some(match self {
            Ogre | GoblinChieftain | OrcWarlord => {
                def(Charge, ("charge at", "charge"), CHARGE_RANGE, (0, 0))
            }
            Salamander => def(Breath, ("breathe fire at", "fire"), 4, (20, 30)),
            Naga => def(Breath, ("spit venom at", "venom"), 3, (16, 26)),
            DeepWarden => def(Breath, ("breathe frost at", "frost"), 5, (24, 36)),
            Imp => def(Curse, ("hurl hellfire at", "hellfire"), 6, (18, 28)),
            Wraith => def(Curse, ("reach for the soul of", "soul drain"), 6, (22, 34)),
            _ => return None,
        })
    }
}

/// A monster winding up: what it will do, at what, and when it lets go.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Windup {
    pub special: Special,
    /// The character it means.
    pub target: PlayerId,
    /// The cell it aims at: where the target stood (a charge's line and a breath's cone are
    /// fixed when it winds up; a curse follows its target).
    pub aim: Pos,
    /// The tick it lets go on.
    pub at: Tick,
}

/// The cells of a straight line from `from` toward `to` (not `from`), `len` cells long,
/// continuing past `to` in the same direction (Bresenham).
pub fn line(from: Pos, to: Pos, len: i32) -> Vec<Pos> {
    let (dx, dy) = (
        i32::from(to.x) - i32::from(from.x),
        i32::from(to.y) - i32::from(from.y),
    );
    let steps = dx.abs().max(dy.abs());
    if steps == 0 {
        return Vec::new();
    }
    (1..=len)
        .map(|i| {
            // Rounded to the nearest cell, halves away from zero: the same both ways.
            let at = |d: i32| {
                let num = 2 * d * i;
                let den = 2 * steps;
                (num + num.signum() * steps) / den
            };
            Pos::new(
                from.x.saturating_add(at(dx) as i16),
                from.y.saturating_add(at(dy) as i16),
            )
        })
        .collect()
}

/// Whether `p` lies in the breath cone from `from` toward `aim`: within `range` (Chebyshev) and
/// within 45° either side of the aim.
fn in_cone(from: Pos, aim: Pos, range: i32, p: Pos) -> bool {
    let d = (
        i64::from(aim.x) - i64::from(from.x),
        i64::from(aim.y) - i64::from(from.y),
    );
    let v = (
        i64::from(p.x) - i64::from(from.x),
        i64::from(p.y) - i64::from(from.y),
    );
    let dist = from.chebyshev(p);
    if dist == 0 || dist > range {
        return false;
    }
    let dot = d.0 * v.0 + d.1 * v.1;
    let (dd, vv) = (d.0 * d.0 + d.1 * d.1, v.0 * v.0 + v.1 * v.1);
    // cos(angle) ≥ cos 45°  ⇔  2·dot² ≥ |d|²·|v|² with dot > 0 (a hair of slack for cells
    // exactly on the edge).
    dot > 0 && 2 * dot * dot * 100 >= dd * vv * 99
}

/// The cells a special threatens. `open` says which cells let it through (the host passes its
/// floor's walkable cells; a client its map memory, unknown cells open, so it shows at least
/// what will be hit).
pub fn area(
    special: Special,
    from: Pos,
    aim: Pos,
    range: i32,
    open: impl Fn(Pos) -> bool,
) -> Vec<Pos> {
    match special {
        Special::Charge => line(from, aim, range)
            .into_iter()
            .take_while(|p| open(*p))
            .collect(),
        Special::Breath => {
            let mut cells = Vec::new();
            for y in -range..=range {
                for x in -range..=range {
                    let p = Pos::new(
                        from.x.saturating_add(x as i16),
                        from.y.saturating_add(y as i16),
                    );
                    if in_cone(from, aim, range, p)
                        && open(p)
                        && line(from, p, from.chebyshev(p) - 1).into_iter().all(&open)
                    {
                        cells.push(p);
                    }
                }
            }
            cells
        }
        Special::Curse => vec![aim],
    }
}

/// The cells a wind-up of `kind` from `from` at `aim` threatens, on a floor whose cells are
/// `tile` (`None`: unknown to whoever asks, taken as open so that a client shows every cell
/// that will be hit). A charge runs over walkable cells; a breath goes where sight does.
pub fn threatened(
    kind: MonsterKind,
    from: Pos,
    aim: Pos,
    tile: impl Fn(Pos) -> Option<Tile>,
) -> Vec<Pos> {
    let Some(def) = kind.special() else {
        return Vec::new();
    };
    match def.special {
        Special::Charge => area(def.special, from, aim, def.range, |p| {
            tile(p).is_none_or(Tile::is_walkable)
        }),
        Special::Breath => area(def.special, from, aim, def.range, |p| {
            tile(p).is_none_or(|t| !t.blocks_sight())
        }),
        Special::Curse => vec![aim],
    }
}

/// Whether a breath from `from` is kept off `p` by a warrior behind Shield Wall at `wall`: the
/// wall stands on the breath's line to `p`, nearer the breather.
pub fn sheltered(from: Pos, p: Pos, wall: Pos) -> bool {
    wall != p
        && from.chebyshev(wall) < from.chebyshev(p)
        && line(from, p, from.chebyshev(p)).contains(&wall)
}

impl World {
    /// Monster `m`, hunting `target` at `tpos`, winds up its special if it is ready and the
    /// target is in reach (a charge needs a clear straight run). Returns how long it takes.
    pub(crate) fn wind_up(
        &mut self,
        depth: u8,
        m: &Monster,
        target: PlayerId,
        tpos: Pos,
    ) -> Option<u32> {
        let now = self.now();
        let def = m.kind.special()?;
        let dist = m.pos.chebyshev(tpos);
        if m.special_at > now || m.windup.is_some() || dist > def.range {
            return None;
        }
        if def.special == Special::Charge {
            let floor = self.floor(depth)?;
            let clear = line(m.pos, tpos, dist - 1)
                .into_iter()
                .all(|p| floor.tile(p).is_walkable() && self.occupant(depth, p).is_none());
            if dist < 2 || m.is_rooted(now) || !clear {
                return None;
            }
        }
        let windup = Windup {
            special: def.special,
            target,
            aim: tpos,
            at: now + self.ticks(def.windup_ms),
        };
        let floor = self.floor_mut(depth)?;
        floor.monsters.get_mut(&m.id)?.windup = Some(windup);
        self.tell_windup(depth, m.id, &windup);
        Some(def.windup_ms)
    }

    /// "The ogre gets ready to charge at Ada!" to whoever sees it.
    fn tell_windup(&mut self, depth: u8, id: EntityId, w: &Windup) {
        let Some(m) = self.floor(depth).and_then(|f| f.monsters.get(&id)) else {
            return;
        };
        let (monster, pos) = (m.kind, m.pos);
        let name = self
            .player(&w.target)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let special = w.special;
        let kind = EventKind::WindsUp {
            monster,
            special,
            name,
        };
        self.emit(Scope::Seen { depth, pos }, kind);
    }

    /// Monster `id` lets go of its wind-up `w`. Returns how long it is busy after.
    pub(crate) fn let_go(&mut self, depth: u8, id: EntityId, w: Windup) -> u32 {
        let Some(m) = self.floor(depth).and_then(|f| f.monsters.get(&id)).cloned() else {
            return 0;
        };
        let stats = m.kind.stats();
        let Some(def) = m.kind.special() else {
            return stats.attack_ms;
        };
        let cooldown = self.now() + self.ticks(def.cooldown_ms);
        self.update_monster(depth, id, |m| {
            m.windup = None;
            m.special_at = cooldown;
        });
        let busy = match w.special {
            Special::Charge => self.charge(depth, &m, w, def),
            Special::Breath => self.breathe(depth, &m, w, def),
            Special::Curse => self.curse(depth, &m, w, def),
        };
        busy.max(stats.attack_ms)
    }

    fn broken(&mut self, depth: u8, m: &Monster, special: Special, why: Broken) {
        let kind = EventKind::SpecialBroken {
            monster: m.kind,
            special,
            why,
        };
        self.emit(Scope::Seen { depth, pos: m.pos }, kind);
    }

    fn unleashed(&mut self, depth: u8, m: &Monster, special: Special) {
        let kind = EventKind::Unleashed {
            monster: m.kind,
            special,
        };
        self.emit(Scope::Seen { depth, pos: m.pos }, kind);
    }

    /// A rush along the line at `w.aim`: the first character in the way takes a triple blow.
    fn charge(&mut self, depth: u8, m: &Monster, w: Windup, def: SpecialDef) -> u32 {
        let now = self.now();
        if m.is_rooted(now) {
            self.broken(depth, m, Special::Charge, Broken::Rooted);
            return 0;
        }
        self.unleashed(depth, m, Special::Charge);
        let Some(floor) = self.floor(depth) else {
            return 0;
        };
        let run = area(Special::Charge, m.pos, w.aim, def.range, |p| {
            floor.tile(p).is_walkable()
        });
        let mut at = m.pos;
        for p in run {
            if let Some(Occupant::Character(victim)) = self.occupant(depth, p) {
                let (lo, hi) = m.kind.stats().damage;
                let roll = self.combat_rng().range(i32::from(lo), i32::from(hi)) as u16;
                let blow = Blow::Special(Special::Charge);
                self.hurt_character(victim, roll.saturating_mul(3), m.kind, blow);
                return 0;
            }
            let next = self.monster_enter(depth, m.id, at, p);
            if next == at {
                break; // another monster in the way
            }
            at = next;
            let mut rooted = false;
            self.update_monster(depth, m.id, |m| {
                m.pos = next;
                rooted = m.is_rooted(now);
            });
            if rooted {
                return 0; // a snare on the line: `Snared` said so
            }
        }
        let stumbled = Monster {
            pos: at,
            ..m.clone()
        };
        self.broken(depth, &stumbled, Special::Charge, Broken::Nobody);
        STUMBLE_MS
    }

    /// A cone at `w.aim`: every character in it is hit, but those a shield wall stands in
    /// front of.
    fn breathe(&mut self, depth: u8, m: &Monster, w: Windup, def: SpecialDef) -> u32 {
        let now = self.now();
        self.unleashed(depth, m, Special::Breath);
        let cells = self.special_cells(depth, m, &w);
        let standing: Vec<(PlayerId, Pos, bool)> = self
            .present_players()
            .filter_map(|(id, p)| {
                let c = p.character.as_ref()?;
                let walls = c.shield_wall_until > now && !c.is_downed();
                (c.depth == depth && cells.contains(&c.pos)).then_some((*id, c.pos, walls))
            })
            .collect();
        for &(victim, at, _) in &standing {
            let shelter = standing
                .iter()
                .any(|&(_, wall, walls)| walls && sheltered(m.pos, at, wall));
            if shelter {
                continue;
            }
            let roll = self
                .combat_rng()
                .range(i32::from(def.damage.0), i32::from(def.damage.1));
            let blow = Blow::Special(Special::Breath);
            self.hurt_character(victim, roll as u16, m.kind, blow);
        }
        0
    }

    /// A heavy spell on the target, if the caster still sees them within range.
    fn curse(&mut self, depth: u8, m: &Monster, w: Windup, def: SpecialDef) -> u32 {
        let seen = self
            .player(&w.target)
            .filter(|p| self.is_present(p))
            .and_then(|p| p.character.as_ref())
            .is_some_and(|c| c.depth == depth && c.pos.chebyshev(m.pos) <= def.range)
            && self
                .line_of_sight(&w.target)
                .and_then(|s| s.get(m.pos).copied())
                .unwrap_or(false);
        if !seen {
            self.broken(depth, m, Special::Curse, Broken::LostSight);
            return 0;
        }
        self.unleashed(depth, m, Special::Curse);
        let roll = self
            .combat_rng()
            .range(i32::from(def.damage.0), i32::from(def.damage.1));
        self.hurt_character(w.target, roll as u16, m.kind, Blow::Special(Special::Curse));
        0
    }

    /// Freezes monster `id` until `until` (Frost Nova, a Scroll of Frost): it acts no sooner,
    /// and a wind-up is broken.
    pub(crate) fn freeze_monster(&mut self, depth: u8, id: EntityId, until: Tick) {
        let mut broke = None;
        self.update_monster(depth, id, |m| {
            m.effects.frozen_until = until;
            m.next_act = m.next_act.max(until);
            broke = m.windup.take().map(|w| (m.clone(), w.special));
        });
        if let Some((m, special)) = broke {
            self.broken(depth, &m, special, Broken::Frozen);
        }
    }

    /// Taunted monsters turn what they wind up on the warrior `on` (at where they stand now).
    pub(crate) fn turn_windups(&mut self, depth: u8, monsters: &[EntityId], on: PlayerId) {
        let Some((_, at)) = self.place_of(on) else {
            return;
        };
        for &id in monsters {
            let mut turned = None;
            self.update_monster(depth, id, |m| {
                if let Some(w) = m.windup.as_mut()
                    && w.target != on
                {
                    w.target = on;
                    w.aim = at;
                    turned = Some(*w);
                }
            });
            if let Some(w) = turned {
                self.tell_windup(depth, id, &w);
            }
        }
    }

    /// Where `m`'s wind-up `w` aims now: a curse follows its target.
    pub fn aim_of(&self, depth: u8, w: &Windup) -> Pos {
        match w.special {
            Special::Curse => self
                .player(&w.target)
                .and_then(|p| p.character.as_ref())
                .filter(|c| c.depth == depth)
                .map_or(w.aim, |c| c.pos),
            _ => w.aim,
        }
    }

    /// The cells `m`'s wind-up `w` threatens now.
    pub fn special_cells(&self, depth: u8, m: &Monster, w: &Windup) -> Vec<Pos> {
        let Some(floor) = self.floor(depth) else {
            return Vec::new();
        };
        threatened(m.kind, m.pos, self.aim_of(depth, w), |p| {
            Some(floor.tile(p))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_runs_straight_and_past_its_aim() {
        let o = Pos::new(10, 10);
        assert_eq!(
            line(o, Pos::new(13, 10), 4),
            [(11, 10), (12, 10), (13, 10), (14, 10)].map(|(x, y)| Pos::new(x, y))
        );
        assert_eq!(
            line(o, Pos::new(8, 8), 3),
            [(9, 9), (8, 8), (7, 7)].map(|(x, y)| Pos::new(x, y))
        );
        // A knight's-move aim: each step one cell on, ending on the aim.
        let l = line(o, Pos::new(14, 12), 4);
        assert_eq!(l.last(), Some(&Pos::new(14, 12)));
        assert!(l.windows(2).all(|w| w[0].is_adjacent(w[1])));
        assert!(line(o, o, 3).is_empty());
    }

    #[test]
    fn a_breath_fills_a_cone_that_walls_cut() {
        let o = Pos::new(10, 10);
        let all = |_| true;
        let cone = area(Special::Breath, o, Pos::new(13, 10), 3, all);
        // 3 + 5 + 7 cells at distances 1, 2, 3 (a 90° cone on a grid, edges included).
        assert_eq!(cone.len(), 15, "{cone:?}");
        assert!(cone.contains(&Pos::new(13, 13)) && cone.contains(&Pos::new(12, 8)));
        assert!(!cone.contains(&Pos::new(9, 10)) && !cone.contains(&Pos::new(11, 12)));
        // A wall straight ahead shades the cells behind it.
        let wall = Pos::new(11, 10);
        let cut = area(Special::Breath, o, Pos::new(13, 10), 3, |p| p != wall);
        assert!(!cut.contains(&wall) && !cut.contains(&Pos::new(12, 10)));
        assert!(cut.contains(&Pos::new(12, 12)));
    }

    #[test]
    fn a_charge_stops_at_the_first_wall_and_a_shield_shelters_who_stands_behind() {
        let o = Pos::new(5, 5);
        let run = area(Special::Charge, o, Pos::new(8, 5), CHARGE_RANGE, |p| {
            p.x < 9
        });
        assert_eq!(run.len(), 3);
        assert!(sheltered(o, Pos::new(8, 5), Pos::new(6, 5)));
        assert!(!sheltered(o, Pos::new(6, 5), Pos::new(8, 5)));
        assert!(!sheltered(o, Pos::new(8, 7), Pos::new(6, 5)));
    }

    #[test]
    fn the_specials_belong_to_monsters_deep_enough_to_meet_a_full_kit() {
        for kind in MonsterKind::ALL {
            if let Some(s) = kind.special() {
                let (lo, _) = kind.stats().depths;
                assert!(lo == 0 || lo >= 5, "{kind:?} has a special from floor {lo}");
                assert!(s.windup_ms >= 1_000 && s.cooldown_ms > s.windup_ms);
            }
        }
        let count = |s| {
            MonsterKind::ALL
                .iter()
                .filter(|k| k.special().is_some_and(|d| d.special == s))
                .count()
        };
        assert!(count(Special::Charge) >= 2 && count(Special::Breath) >= 2);
        assert!(count(Special::Curse) >= 2);
    }
}
