//! What each player may know, and how it travels.
//!
//! The host keeps one [`Tracker`] per connected client: after every tick,
//! [`Tracker::poll_update`] compares what the player's party can see now with what this client
//! was last sent and returns only the differences. The client feeds those into a
//! [`ClientView`], which the TUI draws and bots read.
//!
//! Architecture invariant: an [`Update`] never contains a tile the party has not seen, nor an
//! entity standing on a cell outside the party's current sight, nor an event whose scope the
//! player is outside of. A modified client therefore learns nothing more than an honest one.

use std::collections::{BTreeMap, VecDeque};

use crate::economy::{Holder, ItemKind, Place, Stack};
use crate::event::{Event, EventKind, Scope};
use crate::floor::Grid;
use crate::geom::Pos;
use crate::ids::PlayerId;
use crate::protocol::{
    ChannelView, Downed, EntityKind, EntityView, ItemView, LogLine, MAX_LIST, MapPatch,
    MemberStatus, PackView, PartyMember, PileKind, SelfView, StackView, TradeView, Update, effect,
};
use crate::tile::Tile;
use crate::world::{Channel, Life, World};

/// Host-side record of what one client has been sent.
#[derive(Clone, Debug, Default)]
pub struct Tracker {
    depth: Option<u8>,
    known: Vec<u8>,
    sight: Vec<u16>,
    entities: Vec<EntityView>,
    party: Vec<PartyMember>,
    me: Option<SelfView>,
    ack: u32,
    sent_any: bool,
    pack: Option<PackView>,
    vault: Option<Vec<StackView>>,
    piles: Vec<(Pos, PileKind)>,
    /// `None` until first sent.
    trade: Option<Option<TradeView>>,
}

impl Tracker {
    pub fn new() -> Tracker {
        Tracker::default()
    }

    /// Forget everything sent: the next update carries the full view (after a client fell
    /// behind and updates were dropped).
    pub fn reset(&mut self) {
        *self = Tracker::default();
    }

    /// The update for `player` after the last tick, or `None` when nothing they may know
    /// changed. `rtt_ms` holds the host's round-trip measurements per player.
    ///
    /// Call it after every tick: events live for one tick only, so a skipped poll loses the
    /// log lines of that tick (the rest of the view catches up on the next poll).
    pub fn poll_update(
        &mut self,
        world: &World,
        player: PlayerId,
        rtt_ms: &BTreeMap<PlayerId, u16>,
    ) -> Option<Update> {
        let me_player = world.player(&player)?;
        let character = me_player.character.as_ref();
        let mut update = Update {
            tick: world.tick().0,
            ack: me_player.last_seq,
            ..Update::default()
        };
        let mut changed = !self.sent_any || self.ack != update.ack;
        self.ack = update.ack;

        let now = world.tick();
        let left = |t: crate::tick::Tick| (t - now).min(u64::from(u16::MAX)) as u16;
        let me = character.map(|c| SelfView {
            class: c.class,
            hp: c.hp,
            max_hp: c.max_hp(),
            mana: c.mana,
            max_mana: c.max_mana(),
            depth: c.depth,
            pos: c.pos,
            downed: match c.life {
                Life::Alive => None,
                Life::Downed { left, revive } => Some(Downed {
                    ticks_left: left.min(u64::from(u32::MAX)) as u32,
                    revive_pct: (revive * 100 / world.tick_rate().ticks(crate::world::REVIVE_MS))
                        .min(100) as u8,
                }),
            },
            busy: left(c.ready_at),
            kills: c.kills,
            cooldowns: c.cooldowns.map(left),
            shield_wall: left(c.shield_wall_until),
            ward: if c.ward_until > now { c.ward } else { 0 },
            gear: world.gear_of(&player),
            impure: c.impure,
            at_shrine: world.at_shrine(player),
            channel: c.channel.as_ref().map(|ch| {
                let what = match ch {
                    Channel::Mining { .. } => ChannelView::Mining,
                    Channel::Crafting { recipe, .. } => ChannelView::Crafting(*recipe),
                };
                (what, left(c.ready_at))
            }),
        });
        changed |= me != self.me;
        self.me = me.clone();
        update.me = me;

        let depth = character.map(|c| c.depth);
        let sight = depth.and_then(|d| world.party_sight(d));
        if let (Some(d), Some(floor)) = (depth, depth.and_then(|d| world.floor(d))) {
            let known: Vec<u8> = floor
                .remembered()
                .cells()
                .iter()
                .map(|t| t.map_or(0, Tile::code))
                .collect();
            if self.depth != Some(d) || self.known.len() != known.len() {
                update.map = Some(MapPatch::Reset {
                    depth: d,
                    width: floor.width(),
                    height: floor.height(),
                    runs: run_length(&known),
                });
                self.sight.clear();
                self.entities.clear();
            } else {
                let cells: Vec<(u16, u8)> = known
                    .iter()
                    .zip(&self.known)
                    .enumerate()
                    .filter(|(_, (now, was))| now != was)
                    .map(|(i, (now, _))| (i as u16, *now))
                    .collect();
                if !cells.is_empty() {
                    update.map = Some(MapPatch::Cells(cells));
                }
            }
            self.known = known;
            self.depth = Some(d);

            let runs = sight.map(sight_runs).unwrap_or_default();
            if runs != self.sight {
                update.sight = Some(runs.clone());
                self.sight = runs;
            }

            let entities = visible_entities(world, d, sight);
            if entities != self.entities {
                update.entities = Some(entities.clone());
                self.entities = entities;
            }
        } else if self.depth.is_some() {
            self.depth = None;
            self.known.clear();
            self.sight.clear();
            self.entities.clear();
            update.sight = Some(Vec::new());
            update.entities = Some(Vec::new());
        }

        let party = party_list(world, player, rtt_ms);
        if party != self.party {
            update.party = Some(party.clone());
            self.party = party;
        }

        let pack = pack_view(world, player);
        if self.pack.as_ref() != Some(&pack) {
            update.pack = Some(pack.clone());
            self.pack = Some(pack);
        }
        let vault = stack_views(world, &world.economy().stacks(Place::Vault(player)));
        if self.vault.as_ref() != Some(&vault) {
            update.vault = Some(vault.clone());
            self.vault = Some(vault);
        }
        let piles = depth
            .map(|d| visible_piles(world, d, sight))
            .unwrap_or_default();
        if piles != self.piles || update.map.is_some() {
            update.piles = Some(piles.clone());
            self.piles = piles;
        }
        let trade = trade_view(world, player);
        if self.trade.as_ref() != Some(&trade) {
            update.trade = Some(trade.clone());
            self.trade = Some(trade);
        }

        // A fresh client first gets the chat history, then this tick's lines.
        let first = !std::mem::replace(&mut self.sent_any, true);
        if first {
            update.log.extend(world.chat().iter().map(|c| LogLine {
                tick: c.tick.0,
                event: EventKind::Chat {
                    name: c.name.clone(),
                    text: c.text.clone(),
                },
            }));
        }
        update.log.extend(
            world
                .events()
                .iter()
                .filter(|e| may_know(e, player, depth, sight))
                // The history above already holds this tick's chat.
                .filter(|e| !(first && matches!(e.kind, EventKind::Chat { .. })))
                .map(|e| LogLine {
                    tick: world.tick().0.saturating_sub(1),
                    event: e.kind.clone(),
                }),
        );

        changed |= update.map.is_some()
            || update.sight.is_some()
            || update.entities.is_some()
            || update.party.is_some()
            || update.pack.is_some()
            || update.vault.is_some()
            || update.piles.is_some()
            || update.trade.is_some()
            || !update.log.is_empty();
        changed.then_some(update)
    }
}

fn may_know(
    event: &Event,
    player: PlayerId,
    depth: Option<u8>,
    sight: Option<&Grid<bool>>,
) -> bool {
    match &event.scope {
        Scope::Everyone => true,
        Scope::Player(p) => *p == player,
        Scope::Seen { depth: d, pos } => {
            Some(*d) == depth && sight.is_some_and(|s| s.get(*pos).copied().unwrap_or(false))
        }
    }
}

fn run_length(cells: &[u8]) -> Vec<(u16, u8)> {
    let mut runs: Vec<(u16, u8)> = Vec::new();
    for &c in cells {
        match runs.last_mut() {
            Some((n, code)) if *code == c && *n < u16::MAX => *n += 1,
            _ => runs.push((1, c)),
        }
    }
    runs
}

fn sight_runs(sight: &Grid<bool>) -> Vec<u16> {
    let mut runs = vec![0u16];
    let mut current = false;
    for &seen in sight.cells() {
        if seen != current {
            runs.push(0);
            current = seen;
        }
        *runs.last_mut().expect("never empty") += 1;
    }
    runs
}

/// Characters and monsters standing in the party's sight on floor `depth`, sorted by id.
fn visible_entities(world: &World, depth: u8, sight: Option<&Grid<bool>>) -> Vec<EntityView> {
    let Some(sight) = sight else {
        return Vec::new();
    };
    let seen = |p: Pos| sight.get(p).copied().unwrap_or(false);
    let now = world.tick();
    let mut out: Vec<EntityView> = Vec::new();
    if let Some(floor) = world.floor(depth) {
        out.extend(floor.monsters.values().filter(|m| seen(m.pos)).map(|m| {
            let mut effects = 0;
            if m.is_frozen(now) {
                effects |= effect::FROZEN;
            }
            if m.is_marked(now) {
                effects |= effect::MARKED;
            }
            if m.is_rooted(now) {
                effects |= effect::ROOTED;
            }
            if m.effects.taunted.is_some_and(|(_, until)| until > now) {
                effects |= effect::TAUNTED;
            }
            EntityView {
                id: m.id.0,
                pos: m.pos,
                kind: EntityKind::Monster(m.kind),
                hp_pct: percent(m.hp, m.kind.stats().max_hp),
                effects,
            }
        }));
    }
    out.extend(world.players().filter_map(|(_, p)| {
        let c = p.character.as_ref()?;
        (c.depth == depth && seen(c.pos)).then(|| EntityView {
            id: c.id.0,
            pos: c.pos,
            kind: EntityKind::Character {
                class: c.class,
                downed: c.is_downed(),
                away: !p.connected,
            },
            hp_pct: percent(c.hp, c.max_hp()),
            effects: if c.shield_wall_until > now {
                effect::SHIELD_WALL
            } else {
                0
            } | if c.ward > 0 && c.ward_until > now {
                effect::WARD
            } else {
                0
            },
        })
    }));
    out.sort_by_key(|e| e.id);
    out
}

fn stack_views(world: &World, stacks: &[Stack]) -> Vec<StackView> {
    stacks
        .iter()
        .filter_map(|s| {
            let spawn = world.economy().spawns.get(s.spawn)?;
            Some(StackView {
                spawn: s.spawn.0,
                name: spawn.name.clone(),
                class: spawn.class,
                attrs: spawn.attrs.0,
                units: s.units,
            })
        })
        .collect()
}

fn item_views(world: &World, player: PlayerId, ids: &[crate::economy::ItemId]) -> Vec<ItemView> {
    let worn: Vec<crate::economy::ItemId> = world
        .player(&player)
        .and_then(|p| p.character.as_ref())
        .map(|c| c.equipped.values().copied().collect())
        .unwrap_or_default();
    ids.iter()
        .filter_map(|id| {
            let (_, item) = world.economy().item(*id)?;
            let recipe = match item.kind {
                ItemKind::Gear(r) => Some(r),
                ItemKind::Heart => None,
            };
            Some(ItemView {
                id: item.id.0,
                name: item.name.clone(),
                recipe,
                quality: item.quality,
                stats: recipe.map(|r| r.stats(item.quality)).unwrap_or_default(),
                equipped: worn.contains(&item.id),
            })
        })
        .collect()
}

fn pack_view(world: &World, player: PlayerId) -> PackView {
    let ids: Vec<_> = world
        .economy()
        .items_at(Holder::Carried(player))
        .iter()
        .map(|i| i.id)
        .collect();
    PackView {
        stacks: stack_views(world, &world.economy().stacks(Place::Pack(player))),
        items: item_views(world, player, &ids),
    }
}

fn goods_view(world: &World, player: PlayerId, goods: &crate::economy::Goods) -> PackView {
    PackView {
        stacks: stack_views(world, &goods.stacks),
        items: item_views(world, player, &goods.items),
    }
}

fn trade_view(world: &World, player: PlayerId) -> Option<TradeView> {
    let t = world.trade_of(&player)?;
    let side = t.side(player)?;
    let other = t.other(player);
    Some(TradeView {
        id: t.id,
        with: world
            .player(&other)
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        phase: t.phase,
        mine: goods_view(world, player, &t.offers[side]),
        theirs: goods_view(world, other, &t.offers[1 - side]),
        i_accepted: t.accepted[side],
        they_accepted: t.accepted[1 - side],
    })
}

/// Ground piles and the party's snares on cells in sight.
fn visible_piles(world: &World, depth: u8, sight: Option<&Grid<bool>>) -> Vec<(Pos, PileKind)> {
    let Some(sight) = sight else {
        return Vec::new();
    };
    let seen = |p: &Pos| sight.get(*p).copied().unwrap_or(false);
    let economy = world.economy();
    let mut out: Vec<(Pos, PileKind)> = economy
        .piles(depth)
        .into_iter()
        .filter(seen)
        .map(|p| {
            let items = economy.items_at(Holder::Ground { depth, pos: p });
            let kind = if items.iter().any(|i| i.kind == ItemKind::Heart) {
                PileKind::Heart
            } else if items.is_empty() {
                PileKind::Ore
            } else {
                PileKind::Item
            };
            (p, kind)
        })
        .collect();
    if let Some(floor) = world.floor(depth) {
        out.extend(
            floor
                .traps
                .keys()
                .filter(|p| seen(p))
                .map(|p| (*p, PileKind::Snare)),
        );
    }
    out.sort();
    out
}

fn percent(value: u16, max: u16) -> u8 {
    (u32::from(value) * 100 / u32::from(max.max(1))).min(100) as u8
}

/// Most rows of the party list a client is sent.
pub const MAX_PARTY: usize = 64;

/// The party as one client sees it: everyone connected, and the away players whose characters
/// still stand in the world, the player first and the connected before the away, at most
/// [`MAX_PARTY`] rows. Keys that joined once and left without a character are not the party, so
/// the list never grows with the number of keys the world has seen.
fn party_list(world: &World, you: PlayerId, rtt_ms: &BTreeMap<PlayerId, u16>) -> Vec<PartyMember> {
    let mut members: Vec<(&PlayerId, &crate::world::Player)> = world
        .players()
        .filter(|(id, p)| **id == you || p.connected || p.character.is_some())
        .collect();
    // Stable: within each group, player-id order, as before.
    members.sort_by_key(|(id, p)| (**id != you, !p.connected));
    members.truncate(MAX_PARTY);
    members
        .into_iter()
        .map(|(id, p)| {
            let c = p.character.as_ref();
            let status = match c {
                _ if !p.connected => MemberStatus::Away,
                None => MemberStatus::NoCharacter,
                Some(c) if c.is_downed() => MemberStatus::Downed,
                Some(_) => MemberStatus::Alive,
            };
            PartyMember {
                name: p.name.clone(),
                entity: c.map(|c| c.id.0),
                class: c.map(|c| c.class),
                hp: c.map_or(0, |c| c.hp),
                max_hp: c.map_or(0, |c| c.max_hp()),
                depth: c.map_or(0, |c| c.depth),
                status,
                rtt_ms: if p.connected {
                    rtt_ms.get(id).copied()
                } else {
                    None
                },
                is_you: *id == you,
            }
        })
        .collect()
}

/// A host sent something no honest host sends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    #[error("map update for a floor of {0} cells is too large")]
    MapTooLarge(usize),
    #[error("map runs cover {got} cells, the floor has {want}")]
    RunsMismatch { got: usize, want: usize },
    #[error("map cell {0} is outside the floor")]
    CellOutside(u16),
    #[error("a list of {0} entries is longer than any honest host sends")]
    ListTooLong(usize),
}

/// How many log lines a client keeps.
pub const LOG_LINES: usize = 1000;

/// The client's picture of the world, built only from updates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientView {
    pub tick: u64,
    pub ack: u32,
    pub me: Option<SelfView>,
    pub depth: Option<u8>,
    pub width: u16,
    pub height: u16,
    known: Vec<u8>,
    sight: Vec<bool>,
    pub entities: Vec<EntityView>,
    pub party: Vec<PartyMember>,
    pub log: VecDeque<LogLine>,
    pub pack: PackView,
    pub vault: Vec<StackView>,
    pub piles: Vec<(Pos, PileKind)>,
    pub trade: Option<TradeView>,
}

impl ClientView {
    pub fn new() -> ClientView {
        ClientView::default()
    }

    /// Applies one update. A malformed update is rejected whole, leaving the view unchanged.
    pub fn apply(&mut self, update: Update) -> Result<(), ViewError> {
        self.check(&update)?;
        self.tick = update.tick;
        self.ack = update.ack;
        self.me = update.me;
        match update.map {
            Some(MapPatch::Reset {
                depth,
                width,
                height,
                runs,
            }) => {
                self.depth = Some(depth);
                self.width = width;
                self.height = height;
                self.known = runs
                    .iter()
                    .flat_map(|(n, code)| std::iter::repeat_n(*code, usize::from(*n)))
                    .collect();
                self.sight = vec![false; self.known.len()];
            }
            Some(MapPatch::Cells(cells)) => {
                for (i, code) in cells {
                    self.known[usize::from(i)] = code;
                }
            }
            None => {}
        }
        if self.me.is_none() {
            self.depth = None;
        }
        if let Some(runs) = update.sight {
            self.sight.fill(false);
            let mut i = 0usize;
            for (n, run) in runs.iter().enumerate() {
                let end = (i + usize::from(*run)).min(self.sight.len());
                if n % 2 == 1 {
                    self.sight[i..end].fill(true);
                }
                i = end;
            }
        }
        if let Some(entities) = update.entities {
            self.entities = entities;
        }
        if let Some(party) = update.party {
            self.party = party;
        }
        if let Some(pack) = update.pack {
            self.pack = pack;
        }
        if let Some(vault) = update.vault {
            self.vault = vault;
        }
        if let Some(piles) = update.piles {
            self.piles = piles;
        }
        if let Some(trade) = update.trade {
            self.trade = trade;
        }
        for line in update.log {
            if self.log.len() == LOG_LINES {
                self.log.pop_front();
            }
            self.log.push_back(line);
        }
        Ok(())
    }

    fn check(&self, update: &Update) -> Result<(), ViewError> {
        let lists = [
            update.sight.as_ref().map_or(0, Vec::len),
            update.entities.as_ref().map_or(0, Vec::len),
            update.party.as_ref().map_or(0, Vec::len),
            update.log.len(),
            update
                .pack
                .as_ref()
                .map_or(0, |p| p.stacks.len() + p.items.len()),
            update.vault.as_ref().map_or(0, Vec::len),
            update.piles.as_ref().map_or(0, Vec::len),
        ];
        if let Some(&n) = lists.iter().find(|n| **n > MAX_LIST) {
            return Err(ViewError::ListTooLong(n));
        }
        match &update.map {
            Some(MapPatch::Reset {
                width,
                height,
                runs,
                ..
            }) => {
                let want = usize::from(*width) * usize::from(*height);
                if want > usize::from(u16::MAX) {
                    return Err(ViewError::MapTooLarge(want));
                }
                let got: usize = runs.iter().map(|(n, _)| usize::from(*n)).sum();
                if got != want {
                    return Err(ViewError::RunsMismatch { got, want });
                }
            }
            Some(MapPatch::Cells(cells)) => {
                if let Some((i, _)) = cells
                    .iter()
                    .find(|(i, _)| usize::from(*i) >= self.known.len())
                {
                    return Err(ViewError::CellOutside(*i));
                }
            }
            None => {}
        }
        Ok(())
    }

    fn index(&self, p: Pos) -> Option<usize> {
        (p.x >= 0 && p.y >= 0 && (p.x as u16) < self.width && (p.y as u16) < self.height)
            .then(|| p.y as usize * usize::from(self.width) + p.x as usize)
    }

    /// The remembered tile at `p`, `None` if never seen.
    pub fn tile(&self, p: Pos) -> Option<Tile> {
        self.index(p)
            .and_then(|i| self.known.get(i))
            .and_then(|c| Tile::from_code(*c))
    }

    /// Is `p` in the party's sight right now?
    pub fn in_sight(&self, p: Pos) -> bool {
        self.index(p)
            .and_then(|i| self.sight.get(i))
            .copied()
            .unwrap_or(false)
    }

    /// What lies at `p`, if the party sees something there.
    pub fn pile_at(&self, p: Pos) -> Option<PileKind> {
        self.piles.iter().find(|(q, _)| *q == p).map(|(_, k)| *k)
    }

    pub fn entity_at(&self, p: Pos) -> Option<&EntityView> {
        self.entities.iter().find(|e| e.pos == p)
    }

    /// The party member whose character is entity `id`.
    pub fn member_for(&self, id: u64) -> Option<&PartyMember> {
        self.party.iter().find(|m| m.entity == Some(id))
    }

    pub fn you(&self) -> Option<&PartyMember> {
        self.party.iter().find(|m| m.is_you)
    }

    /// Number of cells ever seen on this floor.
    pub fn known_cells(&self) -> usize {
        self.known.iter().filter(|c| **c != 0).count()
    }
}
