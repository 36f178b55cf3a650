//! Where every unit of ore and every item is: the world's economy, changed only by
//! [`Entry`]s.
//!
//! [`Economy::apply`] is all-or-nothing and moves units from one place to another; only mining
//! creates ore, only crafting consumes it, and the economy counts both, so
//! [`Economy::conservation`] can prove for every spawn that units mined = units held + units
//! spent. The economy is part of the world's state: it is saved in checkpoints and, between
//! them, rebuilt by replaying the journal of inputs.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::class::Class;
use crate::consumable::Consumable;
use crate::craft::Recipe;
use crate::geom::Pos;
use crate::ids::PlayerId;
use crate::ore::{OreClass, Spawn, SpawnId, Spawns};
use crate::tick::Tick;

/// Where ore can be.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Place {
    /// Carried by a player's current character.
    Pack(PlayerId),
    /// A player's Legacy Vault (outlives characters).
    Vault(PlayerId),
    /// Lying on a floor.
    Ground { depth: u8, pos: Pos },
}

/// Where an item can be.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Holder {
    Carried(PlayerId),
    Ground { depth: u8, pos: Pos },
}

impl Place {
    /// The item holder at the same spot (vaults hold ore only).
    pub fn holder(self) -> Option<Holder> {
        match self {
            Place::Pack(p) => Some(Holder::Carried(p)),
            Place::Ground { depth, pos } => Some(Holder::Ground { depth, pos }),
            Place::Vault(_) => None,
        }
    }
}

/// Units of one spawn.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Stack {
    pub spawn: SpawnId,
    pub units: u32,
}

/// Identifies an item within a world.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ItemId(pub u64);

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ItemKind {
    Gear(Recipe),
    /// The Heart of the Deep: carry it out of the dungeon to win.
    Heart,
    /// A potion or scroll: used up when used.
    Consumable(Consumable),
    /// Opens one locked door (used up when it does), on any floor.
    Key,
}

/// A crafted piece of gear, a potion or scroll, or the Heart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: ItemId,
    pub kind: ItemKind,
    /// 1..=1000 for gear.
    pub quality: u16,
    /// "Kalomite Sword" — what it is called (potions and scrolls: once known, see
    /// [`World::item_name`](crate::World::item_name)).
    pub name: String,
    pub maker: String,
}

/// A vein in a wall: mining it yields units of its class's current spawn.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vein {
    pub class: OreClass,
    pub units: u16,
}

/// What each side of a trade gives.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Goods {
    pub stacks: Vec<Stack>,
    pub items: Vec<ItemId>,
}

impl Goods {
    pub fn is_empty(&self) -> bool {
        self.stacks.is_empty() && self.items.is_empty()
    }
}

/// A completed trade, kept in the world's trade history (rows in the save, keyed by `id`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeRecord {
    pub id: u64,
    pub tick: Tick,
    pub a: PlayerId,
    pub b: PlayerId,
    pub a_gives: Goods,
    pub b_gives: Goods,
}

/// A Victory: the Heart carried out of the dungeon.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Victory {
    pub tick: Tick,
    pub player: PlayerId,
    pub name: String,
    pub class: Class,
    /// The character never withdrew from the vault.
    pub pure: bool,
}

/// One change to the economy. Each is one durable transaction on the host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entry {
    /// A new spawn appears and becomes current for its class.
    SpawnAppeared(Spawn),
    /// A floor was generated with these veins (known positions are kept as they are).
    VeinsFound { depth: u8, veins: Vec<(Pos, Vein)> },
    /// Mining: units leave a vein and enter a pack as the given spawn.
    Mined {
        depth: u8,
        pos: Pos,
        player: PlayerId,
        spawn: SpawnId,
        units: u32,
    },
    /// Ore and items move between places: pickup, drop, deposit, withdraw, death.
    Moved {
        from: Place,
        to: Place,
        stacks: Vec<Stack>,
        items: Vec<ItemId>,
    },
    /// Crafting consumes ore from a pack and puts the new item in it.
    Crafted {
        player: PlayerId,
        used: Vec<Stack>,
        item: Item,
    },
    /// Both sides' goods swap at once (the world passes the record on to the trade history).
    Traded(TradeRecord),
    /// The Heart of the Deep is placed on a floor.
    HeartPlaced { item: Item, depth: u8, pos: Pos },
    /// A character carried the Heart out: the Heart is consumed and the victory recorded.
    Won { victory: Victory, heart: ItemId },
    /// A potion or scroll appears on a floor: a new floor's loot, or a monster's drop.
    Found { item: Item, depth: u8, pos: Pos },
    /// A player used up an item it carries.
    Used { player: PlayerId, item: ItemId },
}

/// Why an entry could not apply (the economy is unchanged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EconomyError {
    #[error("{place:?} holds {has} units of spawn {spawn:?}, not {wanted}")]
    NotEnough {
        place: Place,
        spawn: SpawnId,
        has: u32,
        wanted: u32,
    },
    #[error("item {0:?} is not where the entry says")]
    ItemMissing(ItemId),
    #[error("items cannot go into a vault")]
    ItemInVault,
    #[error("no vein at floor {depth} {pos:?}, or not {units} units left")]
    VeinEmpty { depth: u8, pos: Pos, units: u32 },
    #[error("unknown spawn {0:?}")]
    UnknownSpawn(SpawnId),
    #[error("item id {0:?} is already used")]
    DuplicateItem(ItemId),
    #[error(
        "{place:?} cannot hold more than {} units of spawn {spawn:?}",
        u32::MAX
    )]
    Overflow { place: Place, spawn: SpawnId },
}

/// Every unit of ore and every item of a world, by place.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Economy {
    pub spawns: Spawns,
    ore: BTreeMap<Place, BTreeMap<SpawnId, u32>>,
    veins: BTreeMap<(u8, Pos), Vein>,
    items: BTreeMap<ItemId, (Holder, Item)>,
    victories: Vec<Victory>,
    /// Units of each spawn ever mined (the only way ore enters the world).
    mined: BTreeMap<SpawnId, u64>,
    /// Units of each spawn crafting consumed (the only way ore leaves it).
    spent: BTreeMap<SpawnId, u64>,
    /// Of the units each pack or ground pile holds, how many came out of a Legacy Vault (never
    /// more than it holds). The taint follows the units through drops and trades, leaves with
    /// them first (whoever hands ore on hands the withdrawn units first), and goes into
    /// whatever they are crafted into.
    withdrawn: BTreeMap<Place, BTreeMap<SpawnId, u32>>,
    /// Items crafted from withdrawn ore.
    tainted: BTreeSet<ItemId>,
}

/// An economy as save schemas up to 7 hold it: before the withdrawn taint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EconomyV7 {
    spawns: Spawns,
    ore: BTreeMap<Place, BTreeMap<SpawnId, u32>>,
    veins: BTreeMap<(u8, Pos), Vein>,
    items: BTreeMap<ItemId, (Holder, Item)>,
    victories: Vec<Victory>,
    mined: BTreeMap<SpawnId, u64>,
    spent: BTreeMap<SpawnId, u64>,
}

impl EconomyV7 {
    /// The same economy with no unit withdrawn and no item tainted: what came out of a vault
    /// before the upgrade is not told apart (the characters who withdrew stay impure).
    pub fn upgrade(self) -> Economy {
        Economy {
            spawns: self.spawns,
            ore: self.ore,
            veins: self.veins,
            items: self.items,
            victories: self.victories,
            mined: self.mined,
            spent: self.spent,
            withdrawn: BTreeMap::new(),
            tainted: BTreeSet::new(),
        }
    }
}

/// A spawn whose units do not add up: mined ≠ held + spent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub spawn: SpawnId,
    pub mined: u64,
    pub held: u64,
    pub spent: u64,
}

impl Economy {
    /// Applies `entry` entirely, or not at all: every condition is checked against the
    /// economy as it is before anything changes, so a rejected entry leaves it untouched
    /// without copying it (this runs inside the host's tick).
    pub fn apply(&mut self, entry: &Entry) -> Result<(), EconomyError> {
        self.check(entry)?;
        self.apply_checked(entry);
        Ok(())
    }

    /// Whether `entry` can apply now, changing nothing.
    fn check(&self, entry: &Entry) -> Result<(), EconomyError> {
        match entry {
            Entry::SpawnAppeared(_) | Entry::VeinsFound { .. } => Ok(()),
            Entry::Mined {
                depth,
                pos,
                player,
                spawn,
                units,
            } => {
                if self.spawns.get(*spawn).is_none() {
                    return Err(EconomyError::UnknownSpawn(*spawn));
                }
                match self.veins.get(&(*depth, *pos)) {
                    Some(v) if u32::from(v.units) >= *units => {}
                    _ => {
                        return Err(EconomyError::VeinEmpty {
                            depth: *depth,
                            pos: *pos,
                            units: *units,
                        });
                    }
                }
                self.check_room(
                    Place::Pack(*player),
                    &[Stack {
                        spawn: *spawn,
                        units: *units,
                    }],
                )
            }
            Entry::Moved {
                from,
                to,
                stacks,
                items,
            } => {
                if !items.is_empty() && (from.holder().is_none() || to.holder().is_none()) {
                    return Err(EconomyError::ItemInVault);
                }
                self.check_gives(*from, stacks, items)?;
                self.check_room(*to, stacks)
            }
            Entry::Crafted { player, used, item } => {
                self.check_gives(Place::Pack(*player), used, &[])?;
                self.check_new_item(item.id)
            }
            Entry::Traded(record) => {
                self.check_gives(
                    Place::Pack(record.a),
                    &record.a_gives.stacks,
                    &record.a_gives.items,
                )?;
                self.check_gives(
                    Place::Pack(record.b),
                    &record.b_gives.stacks,
                    &record.b_gives.items,
                )?;
                self.check_room(Place::Pack(record.b), &record.a_gives.stacks)?;
                self.check_room(Place::Pack(record.a), &record.b_gives.stacks)
            }
            Entry::HeartPlaced { item, .. } | Entry::Found { item, .. } => {
                self.check_new_item(item.id)
            }
            Entry::Used { player, item } => self.check_gives(Place::Pack(*player), &[], &[*item]),
            Entry::Won { victory, heart } => match self.items.get(heart) {
                Some((Holder::Carried(p), _)) if *p == victory.player => Ok(()),
                _ => Err(EconomyError::ItemMissing(*heart)),
            },
        }
    }

    /// Does `place` hold all of `stacks` (summed per spawn) and every one of `items`, once?
    fn check_gives(
        &self,
        place: Place,
        stacks: &[Stack],
        items: &[ItemId],
    ) -> Result<(), EconomyError> {
        let mut wanted: BTreeMap<SpawnId, u32> = BTreeMap::new();
        for s in stacks {
            let w = wanted.entry(s.spawn).or_default();
            *w = w.saturating_add(s.units);
        }
        for (spawn, wanted) in wanted {
            let has = self.units(place, spawn);
            if has < wanted {
                return Err(EconomyError::NotEnough {
                    place,
                    spawn,
                    has,
                    wanted,
                });
            }
        }
        let holder = place.holder();
        let mut seen = BTreeSet::new();
        for id in items {
            let held = self.items.get(id).map(|(h, _)| Some(*h)) == Some(holder);
            if !held || !seen.insert(*id) {
                return Err(EconomyError::ItemMissing(*id));
            }
        }
        Ok(())
    }

    /// Can `place` take `stacks` without any count passing `u32::MAX`?
    fn check_room(&self, place: Place, stacks: &[Stack]) -> Result<(), EconomyError> {
        let mut adding: BTreeMap<SpawnId, u64> = BTreeMap::new();
        for s in stacks {
            *adding.entry(s.spawn).or_default() += u64::from(s.units);
        }
        for (spawn, units) in adding {
            if u64::from(self.units(place, spawn)) + units > u64::from(u32::MAX) {
                return Err(EconomyError::Overflow { place, spawn });
            }
        }
        Ok(())
    }

    fn check_new_item(&self, id: ItemId) -> Result<(), EconomyError> {
        if self.items.contains_key(&id) {
            return Err(EconomyError::DuplicateItem(id));
        }
        Ok(())
    }

    /// Applies an entry that [`Economy::check`] accepted.
    fn apply_checked(&mut self, entry: &Entry) {
        match entry {
            Entry::SpawnAppeared(spawn) => self.spawns.insert(spawn.clone()),
            Entry::VeinsFound { depth, veins } => {
                for (pos, vein) in veins {
                    self.veins.entry((*depth, *pos)).or_insert(*vein);
                }
            }
            Entry::Mined {
                depth,
                pos,
                player,
                spawn,
                units,
            } => {
                if let Some(vein) = self.veins.get_mut(&(*depth, *pos)) {
                    vein.units -= *units as u16;
                }
                self.add(Place::Pack(*player), *spawn, *units);
                *self.mined.entry(*spawn).or_default() += u64::from(*units);
            }
            Entry::Moved {
                from,
                to,
                stacks,
                items,
            } => {
                self.give(*from, *to, stacks, items);
            }
            Entry::Crafted { player, used, item } => {
                let mut withdrawn = 0;
                for s in used {
                    withdrawn += self.take(Place::Pack(*player), s.spawn, s.units);
                    *self.spent.entry(s.spawn).or_default() += u64::from(s.units);
                }
                if withdrawn > 0 {
                    self.tainted.insert(item.id);
                }
                self.items
                    .insert(item.id, (Holder::Carried(*player), item.clone()));
            }
            Entry::Traded(record) => {
                let (a, b) = (Place::Pack(record.a), Place::Pack(record.b));
                self.give(a, b, &record.a_gives.stacks, &record.a_gives.items);
                self.give(b, a, &record.b_gives.stacks, &record.b_gives.items);
            }
            Entry::HeartPlaced { item, depth, pos } | Entry::Found { item, depth, pos } => {
                self.items.insert(
                    item.id,
                    (
                        Holder::Ground {
                            depth: *depth,
                            pos: *pos,
                        },
                        item.clone(),
                    ),
                );
            }
            Entry::Won { victory, heart } => {
                self.items.remove(heart);
                self.tainted.remove(heart);
                self.victories.push(victory.clone());
            }
            Entry::Used { item, .. } => {
                self.items.remove(item);
                self.tainted.remove(item);
            }
        }
    }

    /// Moves checked goods from one place to another. Units out of a vault are withdrawn;
    /// withdrawn units leave a place first and stay withdrawn, except into a vault.
    fn give(&mut self, from: Place, to: Place, stacks: &[Stack], items: &[ItemId]) {
        for s in stacks {
            let withdrawn = match from {
                Place::Vault(_) => {
                    self.take(from, s.spawn, s.units);
                    s.units
                }
                _ => self.take(from, s.spawn, s.units),
            };
            self.add(to, s.spawn, s.units);
            if withdrawn > 0 && !matches!(to, Place::Vault(_)) {
                *self
                    .withdrawn
                    .entry(to)
                    .or_default()
                    .entry(s.spawn)
                    .or_default() += withdrawn;
            }
        }
        if let Some(to) = to.holder() {
            for id in items {
                if let Some((holder, _)) = self.items.get_mut(id) {
                    *holder = to;
                }
            }
        }
    }

    fn add(&mut self, place: Place, spawn: SpawnId, units: u32) {
        if units > 0 {
            *self.ore.entry(place).or_default().entry(spawn).or_default() += units;
        }
    }

    /// Removes checked units; returns how many of them were withdrawn (those go first).
    fn take(&mut self, place: Place, spawn: SpawnId, units: u32) -> u32 {
        let mut withdrawn = 0;
        if let Some(marks) = self.withdrawn.get_mut(&place) {
            if let Some(w) = marks.get_mut(&spawn) {
                withdrawn = units.min(*w);
                *w -= withdrawn;
                if *w == 0 {
                    marks.remove(&spawn);
                }
            }
            if marks.is_empty() {
                self.withdrawn.remove(&place);
            }
        }
        let Some(stacks) = self.ore.get_mut(&place) else {
            return withdrawn;
        };
        if let Some(has) = stacks.get_mut(&spawn) {
            *has -= units;
            if *has == 0 {
                stacks.remove(&spawn);
            }
        }
        if stacks.is_empty() {
            self.ore.remove(&place);
        }
        withdrawn
    }

    // ----- reading -----

    /// How many of the units of `spawn` at `place` came out of a vault.
    pub fn withdrawn(&self, place: Place, spawn: SpawnId) -> u32 {
        self.withdrawn
            .get(&place)
            .and_then(|s| s.get(&spawn))
            .copied()
            .unwrap_or(0)
    }

    /// Whether `item` was crafted from withdrawn ore.
    pub fn is_tainted(&self, item: ItemId) -> bool {
        self.tainted.contains(&item)
    }

    /// Whether `place` holds withdrawn ore or a tainted item.
    pub fn holds_taint(&self, place: Place) -> bool {
        self.withdrawn.contains_key(&place)
            || place.holder().is_some_and(|h| {
                self.tainted
                    .iter()
                    .any(|id| self.items.get(id).is_some_and(|(at, _)| *at == h))
            })
    }

    pub fn units(&self, place: Place, spawn: SpawnId) -> u32 {
        self.ore
            .get(&place)
            .and_then(|s| s.get(&spawn))
            .copied()
            .unwrap_or(0)
    }

    /// The stacks at `place`, by spawn id.
    pub fn stacks(&self, place: Place) -> Vec<Stack> {
        self.ore
            .get(&place)
            .map(|s| {
                s.iter()
                    .map(|(spawn, units)| Stack {
                        spawn: *spawn,
                        units: *units,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Items held by `holder`, by id.
    pub fn items_at(&self, holder: Holder) -> Vec<&Item> {
        self.items
            .values()
            .filter(|(h, _)| *h == holder)
            .map(|(_, i)| i)
            .collect()
    }

    pub fn item(&self, id: ItemId) -> Option<(Holder, &Item)> {
        self.items.get(&id).map(|(h, i)| (*h, i))
    }

    /// Where the Heart of the Deep is, if it exists.
    pub fn heart(&self) -> Option<(Holder, &Item)> {
        self.items
            .values()
            .find(|(_, i)| i.kind == ItemKind::Heart)
            .map(|(h, i)| (*h, i))
    }

    pub fn vein(&self, depth: u8, pos: Pos) -> Option<Vein> {
        self.veins.get(&(depth, pos)).copied()
    }

    /// Ground positions on floor `depth` with ore or items.
    pub fn piles(&self, depth: u8) -> Vec<Pos> {
        let mut out: Vec<Pos> = self
            .ore
            .keys()
            .filter_map(|p| match p {
                Place::Ground { depth: d, pos } if *d == depth => Some(*pos),
                _ => None,
            })
            .chain(self.items.values().filter_map(|(h, _)| match h {
                Holder::Ground { depth: d, pos } if *d == depth => Some(*pos),
                _ => None,
            }))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Units of every spawn across packs, ground and vaults.
    pub fn totals(&self) -> BTreeMap<SpawnId, u64> {
        let mut out = BTreeMap::new();
        for stacks in self.ore.values() {
            for (spawn, units) in stacks {
                *out.entry(*spawn).or_default() += u64::from(*units);
            }
        }
        out
    }

    pub fn victories(&self) -> &[Victory] {
        &self.victories
    }

    /// Every spawn whose units do not add up (empty when the economy is sound): for each spawn,
    /// the units mined must equal the units held in packs, vaults and piles plus the units
    /// crafting consumed.
    pub fn conservation(&self) -> Vec<Violation> {
        let held = self.totals();
        let spawns: BTreeSet<SpawnId> = self
            .mined
            .keys()
            .chain(self.spent.keys())
            .chain(held.keys())
            .copied()
            .collect();
        spawns
            .into_iter()
            .filter_map(|spawn| {
                let v = Violation {
                    spawn,
                    mined: self.mined.get(&spawn).copied().unwrap_or(0),
                    held: held.get(&spawn).copied().unwrap_or(0),
                    spent: self.spent.get(&spawn).copied().unwrap_or(0),
                };
                (v.mined != v.held + v.spent).then_some(v)
            })
            .collect()
    }

    /// Units of every spawn ever mined.
    pub fn mined(&self) -> &BTreeMap<SpawnId, u64> {
        &self.mined
    }

    /// Units of every spawn crafting consumed.
    pub fn spent(&self) -> &BTreeMap<SpawnId, u64> {
        &self.spent
    }

    /// Forgets every item on the ground of floor `depth`, as if it had never been there: for
    /// fixtures that replace a generated floor with their own.
    #[cfg(any(test, feature = "fixtures"))]
    pub(crate) fn forget_ground_items(&mut self, depth: u8) {
        self.items
            .retain(|_, (h, _)| !matches!(h, Holder::Ground { depth: d, .. } if *d == depth));
    }

    /// The next unused item id.
    pub fn next_item_id(&self) -> ItemId {
        ItemId(self.items.keys().next_back().map_or(1, |i| i.0 + 1).max(
            // Consumed hearts keep their ids out of reuse too.
            self.victories.len() as u64 + 1,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ore::{Attributes, OreClass};

    fn spawn(id: u32) -> Spawn {
        Spawn {
            id: SpawnId(id),
            name: format!("S{id}"),
            class: OreClass::Iron,
            attrs: Attributes([100; 8]),
            since: Tick::ZERO,
        }
    }

    const A: PlayerId = PlayerId([1; 32]);
    const B: PlayerId = PlayerId([2; 32]);

    /// Ten units of Iron at (3, 3) on floor 1.
    fn iron_vein_found() -> Entry {
        Entry::VeinsFound {
            depth: 1,
            veins: vec![(
                Pos::new(3, 3),
                Vein {
                    class: OreClass::Iron,
                    units: 10,
                },
            )],
        }
    }

    fn economy() -> Economy {
        let mut e = Economy::default();
        e.apply(&Entry::SpawnAppeared(spawn(1))).unwrap();
        e.apply(&iron_vein_found()).unwrap();
        e.apply(&Entry::Mined {
            depth: 1,
            pos: Pos::new(3, 3),
            player: A,
            spawn: SpawnId(1),
            units: 6,
        })
        .unwrap();
        e
    }

    #[test]
    fn moves_conserve_units_and_failed_moves_change_nothing() {
        let mut e = economy();
        let before = e.totals();
        e.apply(&Entry::Moved {
            from: Place::Pack(A),
            to: Place::Vault(A),
            stacks: vec![Stack {
                spawn: SpawnId(1),
                units: 4,
            }],
            items: vec![],
        })
        .unwrap();
        assert_eq!(e.totals(), before);
        assert_eq!(e.units(Place::Pack(A), SpawnId(1)), 2);
        assert_eq!(e.units(Place::Vault(A), SpawnId(1)), 4);
        let snapshot = e.clone();
        // Two stacks, the second too large: nothing at all happens.
        let err = e
            .apply(&Entry::Moved {
                from: Place::Pack(A),
                to: Place::Pack(B),
                stacks: vec![
                    Stack {
                        spawn: SpawnId(1),
                        units: 1,
                    },
                    Stack {
                        spawn: SpawnId(1),
                        units: 5,
                    },
                ],
                items: vec![],
            })
            .unwrap_err();
        assert!(matches!(err, EconomyError::NotEnough { .. }));
        assert_eq!(e, snapshot);
    }

    #[test]
    fn veins_deplete_and_regenerated_floors_keep_their_depletion() {
        let mut e = economy();
        assert_eq!(e.vein(1, Pos::new(3, 3)).unwrap().units, 4);
        // The floor is generated again after a crash: the vein stays depleted.
        e.apply(&iron_vein_found()).unwrap();
        assert_eq!(e.vein(1, Pos::new(3, 3)).unwrap().units, 4);
        let too_much = Entry::Mined {
            depth: 1,
            pos: Pos::new(3, 3),
            player: A,
            spawn: SpawnId(1),
            units: 5,
        };
        assert!(e.apply(&too_much).is_err());
    }

    #[test]
    fn a_trade_swaps_both_sides_at_once_or_not_at_all() {
        let mut e = economy();
        let item = Item {
            id: e.next_item_id(),
            kind: ItemKind::Gear(Recipe::Dagger),
            quality: 100,
            name: "S1 Dagger".into(),
            maker: "A".into(),
        };
        e.apply(&Entry::Crafted {
            player: B,
            used: vec![],
            item: item.clone(),
        })
        .unwrap();
        let trade = |units, items: Vec<ItemId>| {
            Entry::Traded(TradeRecord {
                id: 1,
                tick: Tick(5),
                a: A,
                b: B,
                a_gives: Goods {
                    stacks: vec![Stack {
                        spawn: SpawnId(1),
                        units,
                    }],
                    items: vec![],
                },
                b_gives: Goods {
                    stacks: vec![],
                    items,
                },
            })
        };
        let before = e.clone();
        assert!(e.apply(&trade(7, vec![item.id])).is_err(), "A has only 6");
        // A's side is fine, B's is not (one item given twice): A keeps its ore too.
        let twice = trade(6, vec![item.id, item.id]);
        assert_eq!(e.apply(&twice), Err(EconomyError::ItemMissing(item.id)));
        assert_eq!(e, before);
        e.apply(&trade(6, vec![item.id])).unwrap();
        assert_eq!(e.units(Place::Pack(B), SpawnId(1)), 6);
        assert_eq!(e.item(item.id).unwrap().0, Holder::Carried(A));
        assert!(e.conservation().is_empty());
    }

    #[test]
    fn conservation_counts_mined_held_and_spent_units_and_names_what_is_off() {
        let mut e = economy();
        assert!(e.conservation().is_empty());
        e.apply(&Entry::Crafted {
            player: A,
            used: vec![Stack {
                spawn: SpawnId(1),
                units: 4,
            }],
            item: Item {
                id: ItemId(1),
                kind: ItemKind::Gear(Recipe::Dagger),
                quality: 1,
                name: "x".into(),
                maker: "A".into(),
            },
        })
        .unwrap();
        assert!(e.conservation().is_empty());
        assert_eq!(e.mined()[&SpawnId(1)], 6);
        // A unit made from nothing (as a corrupt save or a bug would) is found.
        e.add(Place::Vault(B), SpawnId(1), 1);
        assert_eq!(
            e.conservation(),
            vec![Violation {
                spawn: SpawnId(1),
                mined: 6,
                held: 3,
                spent: 4
            }]
        );
    }

    #[test]
    fn crafting_consumes_ore_and_items_never_enter_vaults() {
        let mut e = economy();
        let item = Item {
            id: ItemId(1),
            kind: ItemKind::Gear(Recipe::Lantern),
            quality: 100,
            name: "x".into(),
            maker: "A".into(),
        };
        e.apply(&Entry::Crafted {
            player: A,
            used: vec![Stack {
                spawn: SpawnId(1),
                units: 5,
            }],
            item: item.clone(),
        })
        .unwrap();
        assert_eq!(e.units(Place::Pack(A), SpawnId(1)), 1);
        assert_eq!(e.items_at(Holder::Carried(A)).len(), 1);
        let err = e
            .apply(&Entry::Moved {
                from: Place::Pack(A),
                to: Place::Vault(A),
                stacks: vec![],
                items: vec![item.id],
            })
            .unwrap_err();
        assert_eq!(err, EconomyError::ItemInVault);
    }
}
