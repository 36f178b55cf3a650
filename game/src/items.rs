//! Ore and items in play: picking up and dropping, the Legacy Vault at shrines, wearing gear,
//! mining and crafting (channels that damage interrupts), and the Heart of the Deep. Every
//! change of place is one economy [`Entry`].

use std::collections::BTreeMap;

use crate::craft::{self, CRAFT_MS, Recipe, Slot};
use crate::economy::{Entry, Goods, Holder, Item, ItemId, ItemKind, Place, Stack, Victory};
use crate::event::{CraftProblem, EventKind, Lot, Lots, Notice, Scope};
use crate::fact::FactKind;
use crate::geom::{Dir, Pos};
use crate::ids::PlayerId;
use crate::monster::{Monster, MonsterKind};
use crate::tile::Tile;
use crate::world::{Channel, MOVE_MS, World};

/// How long one pass of mining takes.
pub const MINE_MS: u32 = 1_500;

/// Merges stacks of the same spawn and drops empty ones. Sums saturate: a stack that large
/// is never held, so the entry built from it is refused, never wrapped into a small one.
pub fn normalize(stacks: &[Stack]) -> Vec<Stack> {
    let mut by_spawn: BTreeMap<_, u32> = BTreeMap::new();
    for s in stacks {
        let units = by_spawn.entry(s.spawn).or_default();
        *units = units.saturating_add(s.units);
    }
    by_spawn
        .into_iter()
        .filter(|(_, u)| *u > 0)
        .map(|(spawn, units)| Stack { spawn, units })
        .collect()
}

impl World {
    /// Stacks and items as `viewer` names them, for a notice.
    pub(crate) fn lots(&self, viewer: PlayerId, stacks: &[Stack], items: &[ItemId]) -> Lots {
        Lots {
            ore: stacks
                .iter()
                .filter_map(|s| {
                    let spawn = self.economy().spawns.get(s.spawn)?;
                    Some(Lot {
                        units: s.units,
                        spawn: spawn.name.clone(),
                        class: spawn.class,
                    })
                })
                .collect(),
            items: items
                .iter()
                .filter_map(|i| self.economy().item(*i))
                .map(|(_, item)| self.item_name(viewer, item))
                .collect(),
        }
    }

    /// Picks up everything on the character's cell.
    pub(crate) fn pick_up(&mut self, id: PlayerId) {
        let Some((depth, pos)) = self.place_of(id) else {
            return;
        };
        let here = Place::Ground { depth, pos };
        let stacks = self.economy().stacks(here);
        let on_ground = self.economy().items_at(Holder::Ground { depth, pos });
        let heart = on_ground.iter().any(|i| i.kind == ItemKind::Heart);
        let items: Vec<ItemId> = on_ground.iter().map(|i| i.id).collect();
        if stacks.is_empty() && items.is_empty() {
            return self.tell(id, Notice::NothingToPickUp);
        }
        let what = self.lots(id, &stacks, &items);
        if self.record(Entry::Moved {
            from: here,
            to: Place::Pack(id),
            stacks,
            items,
        }) {
            self.tell(id, Notice::PickedUp(what));
            self.busy(id, MOVE_MS);
            if heart {
                let name = self.player(&id).map(|p| p.name.clone()).unwrap_or_default();
                self.emit(Scope::Everyone, EventKind::TookHeart { name });
            }
        }
    }

    /// Puts goods down on the character's cell.
    pub(crate) fn drop_goods(&mut self, id: PlayerId, goods: Goods) {
        let Some((depth, pos)) = self.place_of(id) else {
            return;
        };
        let stacks = normalize(&goods.stacks);
        let what = self.lots(id, &stacks, &goods.items);
        if self.record(Entry::Moved {
            from: Place::Pack(id),
            to: Place::Ground { depth, pos },
            stacks,
            items: goods.items.clone(),
        }) {
            self.unequip_gone(id);
            self.tell(id, Notice::Dropped(what));
            self.busy(id, MOVE_MS);
        } else {
            self.tell(id, Notice::NothingToDrop);
        }
    }

    /// Is the character on or next to a Vault Shrine?
    pub(crate) fn at_shrine(&self, id: PlayerId) -> bool {
        let Some((depth, pos)) = self.place_of(id) else {
            return false;
        };
        let Some(floor) = self.floor(depth) else {
            return false;
        };
        std::iter::once(pos)
            .chain(Dir::ALL.iter().map(|d| pos.step(*d)))
            .any(|p| floor.tile(p) == Tile::Shrine)
    }

    /// Pack → vault, at a shrine.
    pub(crate) fn deposit(&mut self, id: PlayerId, stacks: Vec<Stack>) {
        if let Some(what) = self.vault_move(id, stacks, Place::Pack(id), Place::Vault(id)) {
            self.tell(id, Notice::Banked(what));
        }
    }

    /// Vault → pack, at a shrine. The character is impure from now on.
    pub(crate) fn withdraw(&mut self, id: PlayerId, stacks: Vec<Stack>) {
        let Some(what) = self.vault_move(id, stacks, Place::Vault(id), Place::Pack(id)) else {
            return;
        };
        let now_impure = self
            .character_mut(&id)
            .map(|c| !std::mem::replace(&mut c.impure, true))
            .unwrap_or(false);
        self.tell(
            id,
            Notice::Withdrew {
                goods: what,
                now_impure,
            },
        );
    }

    /// Moves `stacks` between `id`'s pack and vault in one entry, at a shrine, taking a move's
    /// time. Returns what moved, or `None` after telling the player why nothing did.
    fn vault_move(
        &mut self,
        id: PlayerId,
        stacks: Vec<Stack>,
        from: Place,
        to: Place,
    ) -> Option<Lots> {
        if !self.at_shrine(id) {
            self.tell(id, Notice::NeedShrine);
            return None;
        }
        let stacks = normalize(&stacks);
        let what = self.lots(id, &stacks, &[]);
        let moved = self.record(Entry::Moved {
            from,
            to,
            stacks,
            items: Vec::new(),
        });
        if moved {
            self.busy(id, MOVE_MS);
        } else if from == Place::Pack(id) {
            self.tell(id, Notice::NotEnoughCarried);
        } else {
            self.tell(id, Notice::NotEnoughInVault);
        }
        moved.then_some(what)
    }

    /// Wears an item from the pack in its slot.
    pub(crate) fn equip(&mut self, id: PlayerId, item: ItemId) {
        let slot = match self.economy().item(item) {
            Some((Holder::Carried(p), i)) if p == id => match i.kind {
                ItemKind::Gear(recipe) => recipe.def().slot,
                ItemKind::Heart => return self.tell(id, Notice::HeartNotWorn),
                ItemKind::Consumable(_) | ItemKind::Key => return self.tell(id, Notice::NotWorn),
            },
            _ => return self.tell(id, Notice::NotCarried),
        };
        if let Some(c) = self.character_mut(&id) {
            c.equipped.insert(slot, item);
        }
        self.busy(id, MOVE_MS);
    }

    pub(crate) fn unequip(&mut self, id: PlayerId, slot: Slot) {
        if let Some(c) = self.character_mut(&id) {
            c.equipped.remove(&slot);
        }
    }

    /// Takes off worn items the player no longer carries.
    pub(crate) fn unequip_gone(&mut self, id: PlayerId) {
        let carried: Vec<ItemId> = self
            .economy()
            .items_at(Holder::Carried(id))
            .iter()
            .map(|i| i.id)
            .collect();
        if let Some(c) = self.character_mut(&id) {
            c.equipped.retain(|_, item| carried.contains(item));
        }
    }

    /// The character spends `ms` on `channel`; it completes when the character is next ready.
    fn start_channel(&mut self, id: PlayerId, channel: Channel, ms: u32) {
        self.busy(id, ms);
        if let Some(c) = self.character_mut(&id) {
            c.channel = Some(channel);
        }
    }

    /// Starts mining the vein at `vein` (next to the character).
    pub(crate) fn start_mining(&mut self, id: PlayerId, depth: u8, vein: Pos) {
        let Some(v) = self.economy().vein(depth, vein) else {
            return;
        };
        if v.units == 0 {
            return self.tell(id, Notice::VeinExhausted);
        }
        self.start_channel(id, Channel::Mining { pos: vein }, MINE_MS);
        self.tell(id, Notice::Mining { class: v.class });
    }

    /// Starts crafting `recipe` from `stacks` after checking the recipe's needs.
    pub(crate) fn start_crafting(&mut self, id: PlayerId, recipe: Recipe, stacks: Vec<Stack>) {
        let stacks = normalize(&stacks);
        if let Err(why) = self.check_recipe(id, recipe, &stacks) {
            return self.tell(id, Notice::CannotCraft(why));
        }
        self.start_channel(id, Channel::Crafting { recipe, stacks }, CRAFT_MS);
        self.tell(id, Notice::CraftStarted { recipe });
    }

    /// Why `stacks` cannot make `recipe` for `id`, if they cannot.
    pub(crate) fn check_recipe(
        &self,
        id: PlayerId,
        recipe: Recipe,
        stacks: &[Stack],
    ) -> Result<(), CraftProblem> {
        let def = recipe.def();
        let total = stacks.iter().fold(0u32, |t, s| t.saturating_add(s.units));
        if total != def.units {
            return Err(CraftProblem::Units {
                recipe,
                need: def.units,
                chose: total,
            });
        }
        for s in stacks {
            let Some(spawn) = self.economy().spawns.get(s.spawn) else {
                return Err(CraftProblem::UnknownOre);
            };
            if spawn.class.tier() < def.min_tier {
                return Err(CraftProblem::TooSoft {
                    class: spawn.class,
                    recipe,
                });
            }
            if self.economy().units(Place::Pack(id), s.spawn) < s.units {
                return Err(CraftProblem::NotCarried {
                    units: s.units,
                    spawn: spawn.name.clone(),
                });
            }
        }
        Ok(())
    }

    /// Phase 2: mining and crafting that end now yield their results.
    pub(crate) fn finish_channels(&mut self) {
        let now = self.now();
        let done: Vec<(PlayerId, Channel)> = self
            .players()
            .filter(|(_, p)| p.connected)
            .filter_map(|(id, p)| {
                let c = p.character.as_ref()?;
                let ch = c.channel.clone()?;
                (c.ready_at <= now).then_some((*id, ch))
            })
            .collect();
        for (id, channel) in done {
            if let Some(c) = self.character_mut(&id) {
                c.channel = None;
            }
            match channel {
                Channel::Mining { pos } => self.finish_mining(id, pos),
                Channel::Crafting { recipe, stacks } => self.finish_crafting(id, recipe, stacks),
            }
        }
    }

    fn finish_mining(&mut self, id: PlayerId, pos: Pos) {
        let Some((depth, _)) = self.place_of(id) else {
            return;
        };
        let Some(vein) = self.economy().vein(depth, pos) else {
            return;
        };
        let Some(spawn) = self.economy().spawns.current(vein.class).cloned() else {
            return;
        };
        let roll = self.craft_rng().range(1, 3) as u32;
        let units = roll.min(u32::from(vein.units));
        if units == 0 {
            return self.tell(id, Notice::VeinExhausted);
        }
        if self.record(Entry::Mined {
            depth,
            pos,
            player: id,
            spawn: spawn.id,
            units,
        }) {
            let exhausted = self.economy().vein(depth, pos).map_or(0, |v| v.units) == 0;
            if exhausted && let Some(floor) = self.floor_mut(depth) {
                floor.set_tile(pos, Tile::Wall);
            }
            let lot = Lot {
                units,
                spawn: spawn.name.clone(),
                class: spawn.class,
            };
            self.tell(id, Notice::Mined { lot, exhausted });
        }
    }

    fn finish_crafting(&mut self, id: PlayerId, recipe: Recipe, stacks: Vec<Stack>) {
        if let Err(why) = self.check_recipe(id, recipe, &stacks) {
            return self.tell(id, Notice::CraftFailed(Some(why)));
        }
        let inputs: Vec<_> = stacks
            .iter()
            .filter_map(|s| Some((self.economy().spawns.get(s.spawn)?.attrs, s.units)))
            .collect();
        let Some(quality) = craft::quality(recipe, &inputs) else {
            return;
        };
        let main = stacks
            .iter()
            .max_by_key(|s| (s.units, s.spawn))
            .and_then(|s| self.economy().spawns.get(s.spawn))
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let maker = self.player(&id).map(|p| p.name.clone()).unwrap_or_default();
        let item = Item {
            id: self.new_item_id(),
            kind: ItemKind::Gear(recipe),
            quality,
            name: format!("{main} {}", recipe.def().name),
            maker: maker.clone(),
        };
        let (item_id, name) = (item.id, item.name.clone());
        if !self.record(Entry::Crafted {
            player: id,
            used: stacks,
            item,
        }) {
            return self.tell(id, Notice::CraftFailed(None));
        }
        // Wear it if the slot is empty or it beats what is worn.
        let slot = recipe.def().slot;
        let worn_quality = self
            .player(&id)
            .and_then(|p| p.character.as_ref())
            .and_then(|c| c.equipped.get(&slot))
            .and_then(|i| self.economy().item(*i))
            .map(|(_, i)| i.quality);
        if worn_quality.is_none_or(|q| q < quality)
            && let Some(c) = self.character_mut(&id)
        {
            c.equipped.insert(slot, item_id);
        }
        if let Some(p) = self.players_mut().get_mut(&id)
            && p.stats
                .best_crafted
                .as_ref()
                .is_none_or(|(_, q)| *q < quality)
        {
            p.stats.best_crafted = Some((name.clone(), quality));
            let best = FactKind::BestCrafted {
                item: name.clone(),
                quality,
            };
            self.note_fact(id, best);
        }
        let (depth, pos) = self.place_of(id).unwrap_or_default();
        let crafted = EventKind::Crafted {
            maker,
            item: name,
            recipe,
            quality,
        };
        self.emit(Scope::Seen { depth, pos }, crafted);
    }

    /// Puts the Heart of the Deep at `pos` on `depth`, guarded, unless it exists already.
    pub(crate) fn place_heart(&mut self, depth: u8, pos: Pos) {
        if self.economy().heart().is_some() {
            return;
        }
        let heart = Item {
            id: self.new_item_id(),
            kind: ItemKind::Heart,
            quality: 0,
            name: "the Heart of the Deep".into(),
            maker: String::new(),
        };
        if self.record(Entry::HeartPlaced {
            item: heart,
            depth,
            pos,
        }) {
            let guarded = self.floor(depth).is_some_and(|f| {
                f.monsters
                    .values()
                    .any(|m| m.kind == MonsterKind::DeepWarden)
            });
            if guarded {
                return;
            }
            let at = self.free_cell_near(depth, pos.step(Dir::N));
            let id = self.new_entity();
            let now = self.now();
            if let Some(floor) = self.floor_mut(depth) {
                let mut warden = Monster::new(id, MonsterKind::DeepWarden, at, now);
                warden.home = pos;
                floor.monsters.insert(id, warden);
            }
        }
    }

    /// Whether `id`'s character carries the Heart but won a victory already (since it was
    /// made): a character's first victory is its only one, so the same party cannot farm the
    /// leaderboard by carrying the Heart out again every few minutes.
    pub(crate) fn won_before(&self, id: PlayerId) -> bool {
        let carries = matches!(self.economy().heart(), Some((Holder::Carried(p), _)) if p == id);
        let born = self
            .player(&id)
            .and_then(|p| p.character.as_ref())
            .map(|c| c.born);
        carries
            && born.is_some_and(|born| {
                self.economy()
                    .victories()
                    .iter()
                    .any(|v| v.player == id && v.tick >= born)
            })
    }

    /// Climbing out of floor 1: a Victory if the character carries the Heart.
    pub(crate) fn try_victory(&mut self, id: PlayerId) -> bool {
        let heart = match self.economy().heart() {
            Some((Holder::Carried(p), item)) if p == id => item.id,
            _ => return false,
        };
        let Some(player) = self.player(&id) else {
            return false;
        };
        let Some(c) = player.character.as_ref() else {
            return false;
        };
        let run_ticks = self.now() - c.born;
        let victory = Victory {
            tick: self.now(),
            player: id,
            name: player.name.clone(),
            class: c.class,
            pure: !c.impure,
        };
        let pure = victory.pure;
        let name = victory.name.clone();
        if !self.record(Entry::Won { victory, heart }) {
            return false;
        }
        if let Some(p) = self.players_mut().get_mut(&id) {
            p.stats.victories += 1;
            if pure {
                p.stats.pure_victories += 1;
            }
        }
        self.note_fact(id, FactKind::Victory { pure, run_ticks });
        self.emit(Scope::Everyone, EventKind::Victory { name, pure });
        // A new Heart forms on floor 12 later ([`World::regrow_heart`]).
        true
    }
}
