//! Trading between two players on the same floor, after Veloren's trade phases: each side
//! offers ore and items; any change of either offer starts a new phase and clears both
//! acceptances; when both accept the same phase the goods swap in one economy entry and the
//! trade enters the world's history. Leaving, dying or changing floor cancels it.

use serde::{Deserialize, Serialize};

use crate::economy::{Entry, Goods, Holder, Place, TradeRecord};
use crate::event::{Notice, TradeEnd};
use crate::ids::PlayerId;
use crate::items::normalize;
use crate::world::{TradeInput, World};

/// An open trade.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    pub id: u64,
    /// Who proposed it.
    pub a: PlayerId,
    pub b: PlayerId,
    /// What `a` and `b` offer.
    pub offers: [Goods; 2],
    /// Whether `a` and `b` accepted the current phase.
    pub accepted: [bool; 2],
    /// Bumped by every change of either offer.
    pub phase: u32,
}

impl Trade {
    /// 0 for `a`, 1 for `b`.
    pub fn side(&self, player: PlayerId) -> Option<usize> {
        if player == self.a {
            Some(0)
        } else if player == self.b {
            Some(1)
        } else {
            None
        }
    }

    pub fn other(&self, player: PlayerId) -> PlayerId {
        if player == self.a { self.b } else { self.a }
    }
}

impl World {
    pub(crate) fn handle_trade(&mut self, player: PlayerId, input: &TradeInput) {
        match input {
            TradeInput::Open { with } => self.open_trade(player, *with),
            TradeInput::Offer { trade, goods } => self.offer(player, *trade, goods),
            TradeInput::Accept { trade, phase } => self.accept(player, *trade, *phase),
            TradeInput::Cancel { trade } => {
                if self
                    .trades_mut()
                    .get(trade)
                    .is_some_and(|t| t.side(player).is_some())
                {
                    let name = self.name_of(player);
                    self.end_trade(*trade, TradeEnd::Cancelled(name));
                }
            }
        }
    }

    fn open_trade(&mut self, player: PlayerId, with: crate::ids::EntityId) {
        let Some(other) = self.player_by_entity(with) else {
            return self.tell(player, Notice::NobodyToTrade);
        };
        let here = |id: PlayerId| {
            let p = self.player(&id)?;
            let c = p.character.as_ref()?;
            (p.connected && !c.is_downed()).then_some(c.depth)
        };
        match (here(player), here(other)) {
            (Some(a), Some(b)) if a == b && player != other => {}
            (Some(_), Some(_)) if player != other => {
                return self.tell(player, Notice::TradeOtherFloor);
            }
            _ => return self.tell(player, Notice::CannotTradeNow),
        }
        if self.trade_of(&player).is_some() || self.trade_of(&other).is_some() {
            return self.tell(player, Notice::AlreadyTrading);
        }
        let id = self.next_trade_id();
        self.trades_mut().insert(
            id,
            Trade {
                id,
                a: player,
                b: other,
                offers: [Goods::default(), Goods::default()],
                accepted: [false, false],
                phase: 1,
            },
        );
        let (by, with) = (self.name_of(player), self.name_of(other));
        self.tell(other, Notice::TradeOffered { by });
        self.tell(player, Notice::TradeOpened { with });
    }

    fn name_of(&self, id: PlayerId) -> String {
        self.player(&id).map(|p| p.name.clone()).unwrap_or_default()
    }

    fn offer(&mut self, player: PlayerId, trade: u64, goods: &Goods) {
        let goods = Goods {
            stacks: normalize(&goods.stacks),
            items: {
                let mut items = goods.items.clone();
                items.sort();
                items.dedup();
                items
            },
        };
        // Only what the player carries can be offered.
        let economy = self.economy();
        let has_stacks = goods
            .stacks
            .iter()
            .all(|s| economy.units(Place::Pack(player), s.spawn) >= s.units);
        let has_items = goods
            .items
            .iter()
            .all(|i| matches!(economy.item(*i), Some((Holder::Carried(p), _)) if p == player));
        if !has_stacks || !has_items {
            return self.tell(player, Notice::OfferNotCarried);
        }
        let Some(t) = self.trades_mut().get_mut(&trade) else {
            return;
        };
        let Some(side) = t.side(player) else {
            return;
        };
        if t.offers[side] == goods {
            return;
        }
        t.offers[side] = goods;
        t.phase += 1;
        t.accepted = [false, false];
    }

    fn accept(&mut self, player: PlayerId, trade: u64, phase: u32) {
        let now = self.now();
        let Some(t) = self.trades_mut().get_mut(&trade) else {
            return;
        };
        let Some(side) = t.side(player) else {
            return;
        };
        if t.phase != phase {
            return; // an acceptance of offers that have since changed
        }
        t.accepted[side] = true;
        if t.accepted != [true, true] {
            return;
        }
        let record = TradeRecord {
            id: t.id,
            tick: now,
            a: t.a,
            b: t.b,
            a_gives: t.offers[0].clone(),
            b_gives: t.offers[1].clone(),
        };
        let (a, b) = (record.a, record.b);
        // Each side names the goods as it knows them (an unknown potion by its look).
        let done = |w: &World, viewer: PlayerId| Notice::TradeDone {
            a: w.name_of(a),
            a_gives: w.lots(viewer, &record.a_gives.stacks, &record.a_gives.items),
            b: w.name_of(b),
            b_gives: w.lots(viewer, &record.b_gives.stacks, &record.b_gives.items),
        };
        let done = [done(self, a), done(self, b)];
        self.trades_mut().remove(&trade);
        // Nothing changes hands: done, and nothing worth a line of history.
        let empty = record.a_gives.is_empty() && record.b_gives.is_empty();
        if empty || self.record(Entry::Traded(record)) {
            self.unequip_gone(a);
            self.unequip_gone(b);
            for (p, done) in [a, b].into_iter().zip(done) {
                self.tell(p, done);
            }
        } else {
            for p in [a, b] {
                self.tell(p, Notice::TradeFailed);
            }
        }
    }

    fn end_trade(&mut self, trade: u64, why: TradeEnd) {
        if let Some(t) = self.trades_mut().remove(&trade) {
            for p in [t.a, t.b] {
                self.tell(p, Notice::TradeCancelled(why.clone()));
            }
        }
    }

    /// Cancels any trade `player` is in (they left, died, or changed floor).
    pub(crate) fn cancel_trades_of(&mut self, player: PlayerId, why: TradeEnd) {
        let ids: Vec<u64> = self
            .trades_mut()
            .values()
            .filter(|t| t.side(player).is_some())
            .map(|t| t.id)
            .collect();
        for id in ids {
            self.end_trade(id, why.clone());
        }
    }
}
