//! Potions and scrolls: found on floors and dropped by monsters, used up when used.
//!
//! - Each world gives every kind a look of its own ("Murky Potion", `Scroll "ZUN KAL"`),
//!   drawn from the world's seed ([`looks`]): the same for everyone in that world, different
//!   in the next.
//! - A kind is *unknown* until someone uses one. Using it tells its kind to the user's whole
//!   party (one drinks, all know: [`World::learn`]); joining a party brings what each side
//!   knew to the other, as map memory does. A player's knowledge outlives its characters.
//! - Floors hold a few when first made ([`World::scatter_loot`]); a kill drops one now and
//!   then, and the uniques always do ([`World::drop_loot`]). Both draw from streams of their
//!   own ([`Stream::Loot`], [`Stream::Drop`]), so the rest of the world rolls as before.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::ability::{FREEZE_MS, WARD_MS, WARD_POINTS};
use crate::economy::{Entry, Holder, Item, ItemId, ItemKind};
use crate::event::{EventKind, Notice, Strike};
use crate::floor::DEEPEST_FLOOR;
use crate::geom::Pos;
use crate::ids::{EntityId, PlayerId};
use crate::monster::{MonsterKind, Role};
use crate::rng::{Rng, Stream};
use crate::tile::Tile;
use crate::world::{Life, MOVE_MS, World};

/// How long a Potion of Speed lasts: every action takes half its time.
pub const HASTE_MS: u32 = 20_000;
/// How long a Scroll of Detect Monsters shows the party every monster on the floor.
pub const DETECT_MS: u32 = 30_000;
/// A Potion of Fire burns every monster this close (in sight).
pub const FIRE_RADIUS: i32 = 2;
/// A Potion of Frost freezes every monster this close (in sight).
pub const FROST_RADIUS: i32 = 3;
/// A Scroll of Warding wards every ally this close.
pub const WARDING_RADIUS: i32 = 3;
/// A Scroll of Teleportation lands at least this far away, where it can.
pub const TELEPORT_MIN: i32 = 10;
/// Fire's damage roll.
pub const FIRE_DAMAGE: (u16, u16) = (10, 18);

/// A kind of potion or scroll.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Consumable {
    Healing,
    Speed,
    Descent,
    Fire,
    Frost,
    Teleportation,
    MagicMapping,
    DetectMonsters,
    Warding,
}

impl Consumable {
    pub const ALL: [Consumable; 9] = [
        Consumable::Healing,
        Consumable::Speed,
        Consumable::Descent,
        Consumable::Fire,
        Consumable::Frost,
        Consumable::Teleportation,
        Consumable::MagicMapping,
        Consumable::DetectMonsters,
        Consumable::Warding,
    ];

    pub const fn is_potion(self) -> bool {
        matches!(
            self,
            Consumable::Healing
                | Consumable::Speed
                | Consumable::Descent
                | Consumable::Fire
                | Consumable::Frost
        )
    }

    /// What it is called once known.
    pub const fn name(self) -> &'static str {
        match self {
            Consumable::Healing => "Potion of Healing",
            Consumable::Speed => "Potion of Speed",
            Consumable::Descent => "Potion of Descent",
            Consumable::Fire => "Potion of Fire",
            Consumable::Frost => "Potion of Frost",
            Consumable::Teleportation => "Scroll of Teleportation",
            Consumable::MagicMapping => "Scroll of Magic Mapping",
            Consumable::DetectMonsters => "Scroll of Detection",
            Consumable::Warding => "Scroll of Warding",
        }
    }

    /// What it does, in a few words (at most 18 characters: an inventory line at 80×24).
    pub const fn effect(self) -> &'static str {
        match self {
            Consumable::Healing => "half HP; revives",
            Consumable::Speed => "20 s twice as fast",
            Consumable::Descent => "sink a floor",
            Consumable::Fire => "burns all within 2",
            Consumable::Frost => "freezes within 3",
            Consumable::Teleportation => "far on this floor",
            Consumable::MagicMapping => "maps 30 cells out",
            Consumable::DetectMonsters => "30 s: see monsters",
            Consumable::Warding => "wards you + allies",
        }
    }

    /// How often it is found, relative to the others.
    const fn weight(self) -> u32 {
        match self {
            Consumable::Healing => 24,
            Consumable::Teleportation => 12,
            Consumable::Speed
            | Consumable::Fire
            | Consumable::Frost
            | Consumable::MagicMapping
            | Consumable::Warding => 10,
            Consumable::DetectMonsters => 7,
            Consumable::Descent => 4,
        }
    }

    /// A kind drawn by weight.
    pub(crate) fn draw(rng: &mut Rng) -> Consumable {
        let total: u32 = Consumable::ALL.iter().map(|c| c.weight()).sum();
        let mut roll = rng.below(total);
        for c in Consumable::ALL {
            if roll < c.weight() {
                return c;
            }
            roll -= c.weight();
        }
        Consumable::Healing
    }
}

const COLOURS: [&str; 12] = [
    "Murky",
    "Pink",
    "Bubbling",
    "Amber",
    "Violet",
    "Smoky",
    "Golden",
    "Milky",
    "Crimson",
    "Turquoise",
    "Oily",
    "Grey",
];
const SYLLABLES: [&str; 16] = [
    "ZUN", "KAL", "VOR", "ELB", "NIX", "RUM", "TAS", "OGG", "FEH", "BRO", "QIL", "YAD", "MOK",
    "SIV", "DRA", "PUL",
];

/// How each kind looks in the world with `seed` before anyone knows it, in
/// [`Consumable::ALL`] order: potions a colour each, scrolls a title each, no two alike.
pub fn looks(seed: u64) -> [String; 9] {
    let mut rng = Rng::for_stream(seed, Stream::Looks);
    let mut colours: Vec<&str> = COLOURS.to_vec();
    let mut titles: BTreeSet<String> = BTreeSet::new();
    Consumable::ALL.map(|c| {
        if c.is_potion() {
            let i = rng.below(colours.len() as u32) as usize;
            format!("{} Potion", colours.remove(i))
        } else {
            loop {
                let a = SYLLABLES[rng.below(16) as usize];
                let b = SYLLABLES[rng.below(16) as usize];
                let title = format!("Scroll \"{a} {b}\"");
                if a != b && titles.insert(title.clone()) {
                    return title;
                }
            }
        }
    })
}

/// How far (in cells, every way) a Scroll of Magic Mapping maps around its reader.
pub const MAPPING_REACH: i32 = 30;

/// How many potions and scrolls a new floor holds.
pub const fn loot_on_floor(depth: u8) -> usize {
    crate::floor::per_area(2 + depth as usize / 4)
}

impl MonsterKind {
    /// The chance (percent) that a kill drops a potion or scroll: uniques always do, bigger
    /// monsters more often than small ones.
    pub fn drop_chance(self) -> u32 {
        if self.is_unique() || self.stats().role == Role::Guardian {
            return 100;
        }
        (3 + self.xp() / 10).min(20)
    }
}

impl World {
    /// What `viewer` calls `item`: a potion or scroll by its look until `viewer` knows it.
    pub fn item_name(&self, viewer: PlayerId, item: &Item) -> String {
        match item.kind {
            ItemKind::Consumable(c) if !self.knows(viewer, c) => self.look_of(c),
            _ => item.name.clone(),
        }
    }

    /// How `kind` looks in this world while unknown.
    pub fn look_of(&self, kind: Consumable) -> String {
        let i = Consumable::ALL.iter().position(|c| *c == kind).unwrap_or(0);
        self.looks[i].clone()
    }

    /// Whether `player` knows what `kind` is.
    pub fn knows(&self, player: PlayerId, kind: Consumable) -> bool {
        self.player(&player)
            .is_some_and(|p| p.known.contains(&kind))
    }

    /// `player` and its whole party learn `kind`.
    pub(crate) fn learn(&mut self, player: PlayerId, kind: Consumable) {
        let members: Vec<PlayerId> = match self.party_of(&player).and_then(|p| self.party(p)) {
            Some(party) => party.members.iter().copied().collect(),
            None => vec![player],
        };
        for m in members {
            if let Some(p) = self.players_mut().get_mut(&m) {
                p.known.insert(kind);
            }
        }
    }

    /// Everyone in `player`'s party knows what any of them knows (after a join).
    pub(crate) fn pool_knowledge(&mut self, player: PlayerId) {
        let Some(party) = self.party_of(&player).and_then(|p| self.party(p)) else {
            return;
        };
        let members: Vec<PlayerId> = party.members.iter().copied().collect();
        let known: BTreeSet<Consumable> = members
            .iter()
            .filter_map(|m| self.player(m))
            .flat_map(|p| p.known.iter().copied())
            .collect();
        for m in members {
            if let Some(p) = self.players_mut().get_mut(&m) {
                p.known.clone_from(&known);
            }
        }
    }

    pub(crate) fn new_consumable(&mut self, kind: Consumable) -> Item {
        Item {
            id: self.new_item_id(),
            kind: ItemKind::Consumable(kind),
            quality: 0,
            name: kind.name().to_owned(),
            maker: String::new(),
        }
    }

    /// A new floor's potions and scrolls, on free floor cells away from the stairs up.
    pub(crate) fn scatter_loot(&mut self, depth: u8) {
        let mut rng = Rng::for_stream(self.core.seed, Stream::Loot { depth });
        let Some(floor) = self.floor(depth) else {
            return;
        };
        let cells: Vec<Pos> = floor
            .tiles()
            .positions()
            .filter(|p| floor.tile(*p) == Tile::Floor && p.chebyshev(floor.stairs_up) > 2)
            .collect();
        for _ in 0..loot_on_floor(depth) {
            let Some(&pos) = rng.pick(&cells) else {
                return;
            };
            let item = self.new_consumable(Consumable::draw(&mut rng));
            self.record(Entry::Found { item, depth, pos });
        }
    }

    /// A kill of `kind` (entity `monster`) at `pos` may leave a potion or scroll there.
    pub(crate) fn drop_loot(&mut self, monster: EntityId, kind: MonsterKind, depth: u8, pos: Pos) {
        let mut rng = Rng::for_stream(self.core.seed, Stream::Drop { monster: monster.0 });
        if !rng.percent(kind.drop_chance()) {
            return;
        }
        let item = self.new_consumable(Consumable::draw(&mut rng));
        self.record(Entry::Found { item, depth, pos });
    }

    /// `id` drinks or reads `item` from its pack: the item is used up, the party learns its
    /// kind, and it does what it does.
    pub(crate) fn use_item(&mut self, id: PlayerId, item: ItemId) {
        let kind = match self.economy().item(item) {
            Some((Holder::Carried(p), i)) if p == id => match i.kind {
                ItemKind::Consumable(c) => c,
                _ => return self.tell(id, Notice::NotUsable),
            },
            _ => return self.tell(id, Notice::NotCarried),
        };
        let Some(player) = self.player(&id) else {
            return;
        };
        let (name, newly) = (player.name.clone(), !player.known.contains(&kind));
        let looks = self.look_of(kind);
        if !self.record(Entry::Used { player: id, item }) {
            return;
        }
        self.unequip_gone(id);
        self.learn(id, kind);
        self.emit(
            self.party_scope(id),
            EventKind::Used {
                name,
                kind,
                looks,
                newly,
            },
        );
        self.busy(id, MOVE_MS);
        self.take_effect(id, kind, item);
    }

    fn take_effect(&mut self, id: PlayerId, kind: Consumable, item: ItemId) {
        let now = self.now();
        let Some((depth, pos)) = self.place_of(id) else {
            return;
        };
        match kind {
            Consumable::Healing => {
                if let Some(c) = self.character_mut(&id) {
                    c.hp = c.hp.max(c.max_hp() / 2).max(1);
                    c.life = Life::Alive;
                }
            }
            Consumable::Speed => {
                let until = now + self.ticks(HASTE_MS);
                if let Some(c) = self.character_mut(&id) {
                    c.hasted_until = until;
                }
                // This use is already quick.
                self.busy(id, MOVE_MS);
            }
            Consumable::Descent => self.sink(id, depth, pos),
            Consumable::Fire => {
                for m in self.monsters_near(id, FIRE_RADIUS) {
                    let roll = self
                        .combat_rng()
                        .range(i32::from(FIRE_DAMAGE.0), i32::from(FIRE_DAMAGE.1));
                    self.hurt_monster(depth, m, roll as u16, id, Strike::Flames);
                }
            }
            Consumable::Frost => {
                let until = now + self.ticks(FREEZE_MS);
                for m in self.monsters_near(id, FROST_RADIUS) {
                    self.freeze_monster(depth, m, until);
                }
            }
            Consumable::Teleportation => self.teleport(id, depth, pos, item),
            Consumable::MagicMapping => self.map_floor(id, depth),
            Consumable::DetectMonsters => {
                let until = now + self.ticks(DETECT_MS);
                if let Some(c) = self.character_mut(&id) {
                    c.detect_until = until;
                }
            }
            Consumable::Warding => {
                let until = now + self.ticks(WARD_MS);
                let allies: Vec<PlayerId> = self
                    .present_players()
                    .filter(|(_, p)| {
                        p.character.as_ref().is_some_and(|c| {
                            c.depth == depth && c.pos.chebyshev(pos) <= WARDING_RADIUS
                        })
                    })
                    .map(|(pid, _)| *pid)
                    .collect();
                for ally in allies {
                    if let Some(c) = self.character_mut(&ally) {
                        c.ward = c.ward.max(WARD_POINTS);
                        c.ward_until = until;
                    }
                }
            }
        }
    }

    /// Monsters within `radius` of `id`'s character that it sees.
    fn monsters_near(&self, id: PlayerId, radius: i32) -> Vec<EntityId> {
        let Some((depth, from)) = self.place_of(id) else {
            return Vec::new();
        };
        let sight = self.sight_of(&id);
        let seen = |p: Pos| sight.and_then(|s| s.get(p).copied()).unwrap_or(false);
        self.floor(depth).map_or(Vec::new(), |f| {
            f.monsters
                .values()
                .filter(|m| m.pos.chebyshev(from) <= radius && seen(m.pos))
                .map(|m| m.id)
                .collect()
        })
    }

    /// Descent: down through the floor to the cell below (or the nearest free one).
    fn sink(&mut self, id: PlayerId, depth: u8, pos: Pos) {
        if depth >= DEEPEST_FLOOR {
            return self.tell(id, Notice::NothingBelow);
        }
        self.drop_below(id, depth, pos);
        let name = self.player(&id).map(|p| p.name.clone()).unwrap_or_default();
        let below = depth + 1;
        self.emit(self.party_scope(id), EventKind::Sank { name, depth: below });
    }

    /// Puts `id`'s character on the floor below `depth` (not the deepest), under `pos` as
    /// near as it can: a Potion of Descent, a fall into a chasm.
    pub(crate) fn drop_below(&mut self, id: PlayerId, depth: u8, pos: Pos) {
        let below = depth + 1;
        self.ensure_floor(below);
        // The free cell nearest the one above that joins the stairs up: never inside the rock
        // nor in a pocket cut off from the rest of the floor.
        let Some(floor) = self.floor(below) else {
            return;
        };
        let joined = self.walkable_from(below, floor.stairs_up);
        let dest = joined
            .into_iter()
            .min_by_key(|p| (p.chebyshev(pos), *p))
            .unwrap_or(floor.stairs_up);
        self.arrive(id, below, dest);
    }

    /// Teleportation: to a free cell far away on this floor (the farthest if none is
    /// [`TELEPORT_MIN`] away), chosen by a stream drawn from the scroll.
    fn teleport(&mut self, id: PlayerId, depth: u8, from: Pos, item: ItemId) {
        // Only where it could have walked: a pocket cut off from the floor would trap it.
        let free = self.walkable_from(depth, from);
        let far: Vec<Pos> = free
            .iter()
            .copied()
            .filter(|p| p.chebyshev(from) >= TELEPORT_MIN)
            .collect();
        let mut rng = Rng::for_stream(self.core.seed, Stream::Teleport { item: item.0 });
        let dest = rng
            .pick(&far)
            .copied()
            .or_else(|| free.iter().copied().max_by_key(|p| p.chebyshev(from)));
        if let Some(dest) = dest {
            self.set_position(id, depth, dest);
        }
    }

    /// The free floor cells (no creature on them) reachable on foot from `from` on floor
    /// `depth`, through open and closed doors, in position order.
    fn walkable_from(&self, depth: u8, from: Pos) -> Vec<Pos> {
        let Some(floor) = self.floor(depth) else {
            return Vec::new();
        };
        let passable = |p: Pos| floor.tile(p).is_walkable() || floor.tile(p) == Tile::DoorClosed;
        let mut seen = BTreeSet::from([from]);
        let mut queue = std::collections::VecDeque::from([from]);
        while let Some(p) = queue.pop_front() {
            for d in crate::geom::Dir::ALL {
                let n = p.step(d);
                if floor.contains(n) && passable(n) && seen.insert(n) {
                    queue.push_back(n);
                }
            }
        }
        seen.into_iter()
            .filter(|p| floor.tile(*p) == Tile::Floor && self.occupant(depth, *p).is_none())
            .collect()
    }

    /// Magic Mapping: the party remembers every cell within [`MAPPING_REACH`] of the reader that
    /// borders a walkable one.
    fn map_floor(&mut self, id: PlayerId, depth: u8) {
        let Some(party) = self.party_of(&id) else {
            return;
        };
        let Some(floor) = self.floor(depth) else {
            return;
        };
        let Some(at) = self
            .player(&id)
            .and_then(|p| p.character.as_ref())
            .map(|c| c.pos)
        else {
            return;
        };
        let cells: Vec<Pos> = floor
            .tiles()
            .positions()
            .filter(|p| p.chebyshev(at) <= MAPPING_REACH)
            .filter(|p| {
                std::iter::once(*p)
                    .chain(crate::geom::Dir::ALL.iter().map(|d| p.step(*d)))
                    .any(|q| floor.tile(q).is_walkable())
            })
            .collect();
        if let Some(floor) = self.floor_mut(depth) {
            for p in cells {
                floor.remember(party, p);
            }
        }
        self.memory_merged.insert(party);
    }

    /// Whether someone in `viewer`'s party on floor `depth` has detection running.
    pub fn detects(&self, viewer: PlayerId, depth: u8) -> bool {
        let now = self.now();
        let Some(party) = self.party_of(&viewer).and_then(|p| self.party(p)) else {
            return false;
        };
        party.members.iter().any(|m| {
            self.player(m)
                .filter(|p| self.is_present(p))
                .and_then(|p| p.character.as_ref())
                .is_some_and(|c| c.depth == depth && c.detect_until > now)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_world_has_its_own_looks_and_no_two_kinds_look_alike() {
        let a = looks(1);
        let b = looks(2);
        assert_ne!(a, b);
        assert_eq!(a, looks(1));
        let distinct: BTreeSet<&String> = a.iter().collect();
        assert_eq!(distinct.len(), a.len());
        for (c, look) in Consumable::ALL.iter().zip(&a) {
            assert_eq!(c.is_potion(), look.ends_with("Potion"), "{look}");
            let words: Vec<&str> = look.trim_matches('"').split(' ').collect();
            assert!(
                c.is_potion() || words[1] != words[2].trim_matches('"'),
                "{look}"
            );
            assert!(look.chars().count() <= 24, "fits the inventory: {look}");
            assert!(c.name().chars().count() <= 24, "{c:?}");
            assert!(c.effect().chars().count() <= 18, "{c:?}");
        }
    }

    #[test]
    fn draws_follow_the_weights() {
        let mut rng = Rng::for_stream(7, Stream::Looks);
        let mut healing = 0;
        for _ in 0..1000 {
            if Consumable::draw(&mut rng) == Consumable::Healing {
                healing += 1;
            }
        }
        // 24 of 100: about 240.
        assert!((180..300).contains(&healing), "{healing}");
    }
}
