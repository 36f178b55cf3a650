//! What a client asks for, checked before it reaches the world: ability slots in range, aimed
//! cells on the character's floor, entities and trades that exist, counts within what is held,
//! lists of a bounded length. The result is [`Checked`]: the only form in which an action or a
//! trade move enters an [`Input`](crate::world::Input).
//!
//! The world still refuses what became impossible between the check and the tick (an item
//! dropped meanwhile), and its arithmetic saturates: a checked command is the first line of
//! defence, not the only one.

use serde::{Deserialize, Serialize};

use crate::ability::Target;
use crate::economy::{Goods, Holder, ItemId, Place, Stack};
use crate::ids::PlayerId;
use crate::items::normalize;
use crate::world::{Action, TradeInput, World};

/// Most stacks or items one command may name.
pub const MAX_LIST: usize = 64;

/// A value that was checked against the world it is for.
///
/// Made by [`World::check_action`] and [`World::check_trade`]; [`Checked::trusted`] is for inputs
/// that were checked before they were stored (journals, recordings) and for fixtures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Checked<T>(T);

impl<T> Checked<T> {
    /// Wraps a value without checking it: for data this program checked before it stored it
    /// (journals, recordings) and for test fixtures. Never for what a peer sent.
    pub fn trusted(value: T) -> Checked<T> {
        Checked(value)
    }

    pub fn get(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Checked<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Why a command was refused at the boundary. The world never sees it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// The player has no character to act with.
    #[error("there is no character to act")]
    NoCharacter,
    /// Abilities are slots 0..=2.
    #[error("ability slot {0} does not exist (there are three)")]
    Slot(u8),
    /// An aimed cell lies outside the character's floor.
    #[error("cell ({}, {}) is not on the character's floor", .0.x, .0.y)]
    OffFloor(crate::geom::Pos),
    /// No creature with this id is on the character's floor (or, for trades, in the world).
    #[error("no creature {0} is here")]
    UnknownEntity(u64),
    /// A list longer than [`MAX_LIST`].
    #[error("{0} entries in one command (at most {MAX_LIST})")]
    TooLong(usize),
    /// A stack of no units.
    #[error("a stack of zero units")]
    EmptyStack,
    /// A spawn this world never had.
    #[error("no ore spawn {0}")]
    UnknownSpawn(u32),
    /// More units than the place holds.
    #[error("asks for {wanted} units of spawn {spawn} where {held} are held")]
    MoreThanHeld { spawn: u32, wanted: u64, held: u32 },
    /// An item the player does not carry (or named twice).
    #[error("item {0} is not carried by this player")]
    NotCarried(u64),
    /// Talents are picks 0..=1 of tiers 0..=2.
    #[error("talent {pick} of tier {tier} does not exist (two a tier, three tiers)")]
    Talent { tier: u8, pick: u8 },
    /// A trade that does not exist or that the player is not in.
    #[error("no trade {0} of this player")]
    UnknownTrade(u64),
}

impl World {
    /// Checks `action` from `player`, merging stacks of one spawn and dropping repeated items.
    pub fn check_action(
        &self,
        player: PlayerId,
        action: Action,
    ) -> Result<Checked<Action>, Invalid> {
        let c = self
            .player(&player)
            .and_then(|p| p.character.as_ref())
            .ok_or(Invalid::NoCharacter)?;
        let (depth, pack, vault) = (c.depth, Place::Pack(player), Place::Vault(player));
        let action = match action {
            Action::Ability { slot, target } => {
                if slot > 2 {
                    return Err(Invalid::Slot(slot));
                }
                self.check_target(depth, target)?;
                Action::Ability { slot, target }
            }
            Action::Drop(goods) => Action::Drop(self.check_goods(player, pack, goods)?),
            Action::Deposit(stacks) => Action::Deposit(self.check_stacks(pack, &stacks)?),
            Action::Withdraw(stacks) => Action::Withdraw(self.check_stacks(vault, &stacks)?),
            Action::Craft { recipe, stacks } => Action::Craft {
                recipe,
                stacks: self.check_stacks(pack, &stacks)?,
            },
            Action::Equip(item) => {
                self.check_items(player, &[item])?;
                Action::Equip(item)
            }
            Action::Use(item) => {
                self.check_items(player, &[item])?;
                Action::Use(item)
            }
            Action::Learn { tier, pick } => {
                if c.class.talent(tier, pick).is_none() {
                    return Err(Invalid::Talent { tier, pick });
                }
                Action::Learn { tier, pick }
            }
            a @ (Action::Move(_)
            | Action::Wait
            | Action::Descend
            | Action::Ascend
            | Action::PickUp
            | Action::Unequip(_)) => a,
        };
        Ok(Checked(action))
    }

    /// Checks a trade move from `player`: the trade exists and is theirs, the offer is carried.
    pub fn check_trade(
        &self,
        player: PlayerId,
        trade: TradeInput,
    ) -> Result<Checked<TradeInput>, Invalid> {
        let theirs = |id: u64| {
            self.trade(id)
                .filter(|t| t.side(player).is_some())
                .map(|_| ())
                .ok_or(Invalid::UnknownTrade(id))
        };
        let trade = match trade {
            TradeInput::Open { with } => {
                self.player_by_entity(with)
                    .ok_or(Invalid::UnknownEntity(with.0))?;
                TradeInput::Open { with }
            }
            TradeInput::Offer { trade, goods } => {
                theirs(trade)?;
                let goods = self.check_goods(player, Place::Pack(player), goods)?;
                TradeInput::Offer { trade, goods }
            }
            TradeInput::Accept { trade, phase } => {
                theirs(trade)?;
                TradeInput::Accept { trade, phase }
            }
            TradeInput::Cancel { trade } => {
                theirs(trade)?;
                TradeInput::Cancel { trade }
            }
        };
        Ok(Checked(trade))
    }

    fn check_target(&self, depth: u8, target: Target) -> Result<(), Invalid> {
        let floor = self.floor(depth).ok_or(Invalid::NoCharacter)?;
        match target {
            Target::Auto => Ok(()),
            Target::Cell(p) if floor.tiles().contains(p) => Ok(()),
            Target::Cell(p) => Err(Invalid::OffFloor(p)),
            Target::Entity(e) => {
                let here = floor.monsters.contains_key(&e)
                    || self.player_by_entity(e).is_some_and(|p| {
                        self.player(&p)
                            .and_then(|p| p.character.as_ref())
                            .is_some_and(|c| c.depth == depth)
                    });
                here.then_some(()).ok_or(Invalid::UnknownEntity(e.0))
            }
        }
    }

    /// Stacks of known spawns, none empty, merged per spawn, all held at `from`.
    fn check_stacks(&self, from: Place, stacks: &[Stack]) -> Result<Vec<Stack>, Invalid> {
        if stacks.len() > MAX_LIST {
            return Err(Invalid::TooLong(stacks.len()));
        }
        let mut wanted: std::collections::BTreeMap<_, u64> = std::collections::BTreeMap::new();
        for s in stacks {
            if s.units == 0 {
                return Err(Invalid::EmptyStack);
            }
            if self.economy().spawns.get(s.spawn).is_none() {
                return Err(Invalid::UnknownSpawn(s.spawn.0));
            }
            *wanted.entry(s.spawn).or_default() += u64::from(s.units);
        }
        for (spawn, wanted) in wanted {
            let held = self.economy().units(from, spawn);
            if wanted > u64::from(held) {
                return Err(Invalid::MoreThanHeld {
                    spawn: spawn.0,
                    wanted,
                    held,
                });
            }
        }
        Ok(normalize(stacks))
    }

    /// Items carried by `player`, each once, in id order.
    fn check_items(&self, player: PlayerId, items: &[ItemId]) -> Result<Vec<ItemId>, Invalid> {
        if items.len() > MAX_LIST {
            return Err(Invalid::TooLong(items.len()));
        }
        let mut out = items.to_vec();
        out.sort();
        out.dedup();
        for id in &out {
            match self.economy().item(*id) {
                Some((Holder::Carried(p), _)) if p == player => {}
                _ => return Err(Invalid::NotCarried(id.0)),
            }
        }
        Ok(out)
    }

    fn check_goods(&self, player: PlayerId, from: Place, goods: Goods) -> Result<Goods, Invalid> {
        Ok(Goods {
            stacks: self.check_stacks(from, &goods.stacks)?,
            items: self.check_items(player, &goods.items)?,
        })
    }
}
