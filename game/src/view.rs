//! What each player may know, and how it travels.
//!
//! The host keeps one [`Tracker`] per connected client. After every tick [`Tracker::poll`]
//! compares what the player's party can see now with what this client was sent and returns at
//! most two messages: an [`Update`] for the stream (log lines, panels, a new floor's map: what
//! must arrive once) and a [`Snapshot`] for a datagram (what is replaced every tick).
//!
//! Snapshots are deltas against the newest snapshot the client acknowledged (its *baseline*),
//! the Quake 3 scheme. Instead of keeping a copy of every recent view, the tracker stamps each
//! cell, creature field, party row and pile with the snapshot number in which it last changed,
//! and keeps a tombstone for what went away; a snapshot against baseline B carries everything
//! stamped after B. Whatever it leaves out was unchanged at B and at every snapshot since, so
//! the client may apply it on top of any snapshot it applied from B on, and a lost or
//! reordered datagram costs one tick. Tombstones live until acknowledged and at most [`RING`]
//! snapshots; a client further behind (or new) gets a whole snapshot.
//!
//! The client feeds both into a [`ClientView`], which the TUI draws and bots read.
//!
//! Architecture invariant: an [`Update`] or [`Snapshot`] never contains a tile the party has
//! not seen, nor an entity standing on a cell outside the party's current sight, nor an event
//! whose scope the player is outside of. A modified client therefore learns nothing more than
//! an honest one.

use std::collections::{BTreeMap, VecDeque};

use crate::economy::{Holder, ItemKind, Place, Stack};
use crate::event::{Event, EventKind, Scope};
use crate::floor::Grid;
use crate::geom::Pos;
use crate::ids::{PartyId, PlayerId};
use crate::protocol::{
    ChannelView, Downed, EntityDelta, EntityKind, EntityView, ItemView, LogLine, MAX_LIST,
    MapPatch, MemberStatus, PackView, PartyMember, PileKind, SelfPatch, SelfView, SightPatch,
    Snapshot, StackView, TradeView, Update, UseView, effect, ready,
};
use crate::tile::Tile;
use crate::world::{Channel, Life, World};

/// How far (in snapshots) a client's acknowledgement may lag before it gets whole snapshots;
/// this bounds the tombstones a tracker keeps.
pub const RING: u32 = 64;
/// A snapshot goes at least every this many ticks, even when nothing changed, so the client's
/// clock (countdowns) moves.
pub const HEARTBEAT_TICKS: u64 = 5;

/// What one poll of a [`Tracker`] sends.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outbound {
    /// For the stream: must arrive once, in order.
    pub update: Option<Update>,
    /// For a datagram (or the stream when it does not fit one).
    pub snapshot: Option<Snapshot>,
}

/// Values keyed by `K`, each stamped with the snapshot it last changed in, and tombstones.
#[derive(Clone, Debug)]
struct Keyed<K, V> {
    live: BTreeMap<K, (V, u32)>,
    gone: BTreeMap<K, u32>,
}

impl<K, V> Default for Keyed<K, V> {
    fn default() -> Self {
        Keyed {
            live: BTreeMap::new(),
            gone: BTreeMap::new(),
        }
    }
}

impl<K: Ord + Clone, V: PartialEq + Clone> Keyed<K, V> {
    /// Makes `now` the live set, stamping what changed with `seq`.
    fn set(&mut self, now: Vec<(K, V)>, seq: u32) {
        let mut next: BTreeMap<K, (V, u32)> = BTreeMap::new();
        for (k, v) in now {
            let at = match self.live.remove(&k) {
                Some((old, at)) if old == v => at,
                _ => seq,
            };
            self.gone.remove(&k);
            next.insert(k, (v, at));
        }
        for k in std::mem::replace(&mut self.live, next).into_keys() {
            self.gone.insert(k, seq);
        }
    }

    fn changed(&self, since: u32) -> impl Iterator<Item = (&K, &V)> {
        self.live
            .iter()
            .filter(move |(_, (_, at))| *at > since)
            .map(|(k, (v, _))| (k, v))
    }

    fn gone(&self, since: u32) -> Vec<K> {
        self.gone
            .iter()
            .filter(|(_, at)| **at > since)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Forgets tombstones the client has (stamped at or before `acked`).
    fn prune(&mut self, acked: u32) {
        self.gone.retain(|_, at| *at > acked);
    }

    fn clear(&mut self) {
        self.live.clear();
        self.gone.clear();
    }
}

/// A creature as sent, with when it appeared and when each field last changed.
#[derive(Clone, Debug)]
struct Seen {
    view: EntityView,
    appeared: u32,
    /// pos, kind, hp_pct, effects, aim.
    fields: [u32; 5],
}

/// Host-side record of what one client has been sent.
#[derive(Clone, Debug, Default)]
pub struct Tracker {
    // ----- the stream -----
    sent_any: bool,
    /// Whether the stream last said there is a character.
    has_character: Option<bool>,
    depth: Option<u8>,
    /// The number of the last [`MapPatch`] sent.
    floor: u32,
    pack: Option<PackView>,
    vault: Option<Vec<StackView>>,
    /// `None` until first sent.
    trade: Option<Option<TradeView>>,
    // ----- snapshots -----
    /// The last snapshot number made.
    seq: u32,
    /// The newest snapshot the client acknowledged (0: none usable).
    acked: u32,
    /// Acknowledgements below this refer to what was forgotten by [`Tracker::reset`].
    min_ack: u32,
    last_sent_tick: Option<u64>,
    ack: u32,
    ack_at: u32,
    me: Option<SelfView>,
    me_at: u32,
    /// When more than a step's fields last changed (or the character came or went).
    me_whole_at: u32,
    known: Vec<u8>,
    known_at: Vec<u32>,
    /// (snapshot, cell) for every stamp of `known_at`, in snapshot order, from the oldest a
    /// baseline may still be: a delta lists the cells stamped after its baseline from here
    /// instead of scanning the floor.
    known_log: Vec<(u32, u32)>,
    /// The world tick `known` was last compared at (`None`: no floor).
    known_tick: Option<u64>,
    /// The floor's width (cells are row-major indices).
    width: u16,
    sight: Option<SightPatch>,
    sight_at: u32,
    entities: BTreeMap<u64, Seen>,
    entities_gone: BTreeMap<u64, u32>,
    party: Keyed<String, PartyMember>,
    piles: Keyed<Pos, PileKind>,
    /// The party whose memory `known` is.
    party_id: Option<PartyId>,
}

/// Tile codes of a floor as `memory` has it, every cell unknown without one.
fn memory_codes(
    floor: Option<&crate::floor::Floor>,
    memory: Option<&Grid<Option<Tile>>>,
) -> Vec<u8> {
    match (floor, memory) {
        (_, Some(m)) => m.cells().iter().map(|t| t.map_or(0, Tile::code)).collect(),
        (Some(f), None) => vec![0; usize::from(f.width()) * usize::from(f.height())],
        (None, None) => Vec::new(),
    }
}

impl Tracker {
    pub fn new() -> Tracker {
        Tracker::default()
    }

    /// Forget everything sent: the next poll carries the whole view (after a client fell
    /// behind and messages were dropped). Snapshot and floor numbers keep counting up.
    pub fn reset(&mut self) {
        let (seq, floor, sent_any) = (self.seq, self.floor, self.sent_any);
        *self = Tracker::default();
        self.seq = seq;
        self.floor = floor;
        // The client has the chat history already.
        self.sent_any = sent_any;
        self.min_ack = seq + 1;
    }

    /// The client applied snapshot `seq` (acknowledgements of snapshots never made, or made
    /// before a reset, are ignored).
    pub fn acked(&mut self, seq: u32) {
        if seq > self.acked && seq <= self.seq && seq >= self.min_ack {
            self.acked = seq;
            self.party.prune(seq);
            self.piles.prune(seq);
            self.entities_gone.retain(|_, at| *at > seq);
        }
    }

    /// Tombstones kept (for tests: acknowledgements bound them).
    pub fn tombstones(&self) -> usize {
        self.entities_gone.len() + self.party.gone.len() + self.piles.gone.len()
    }

    /// The baseline the next snapshot is a delta against, if the client is close enough.
    fn baseline(&self) -> Option<u32> {
        (self.acked > 0 && self.seq - self.acked < RING).then_some(self.acked)
    }

    /// What to send `player` after the last tick. `rtt_ms` holds the host's round-trip
    /// measurements per player.
    ///
    /// Call it after every tick: events live for one tick only, so a skipped poll loses the
    /// log lines of that tick (the rest of the view catches up on the next poll).
    pub fn poll(
        &mut self,
        world: &World,
        player: PlayerId,
        rtt_ms: &BTreeMap<PlayerId, u16>,
    ) -> Outbound {
        let Some(me_player) = world.player(&player) else {
            return Outbound::default();
        };
        let character = me_player.character.as_ref();
        let now = world.tick();
        self.seq += 1;
        let seq = self.seq;
        let mut update = Update {
            tick: now.0,
            ..Update::default()
        };

        if me_player.last_seq != self.ack || self.ack_at == 0 {
            self.ack = me_player.last_seq;
            self.ack_at = seq;
        }
        let me = character.map(|c| self_view(world, player, c));
        if self.has_character != Some(me.is_some()) {
            self.has_character = Some(me.is_some());
            update.me = Some(me.clone());
        }
        if me != self.me || self.me_at == 0 {
            let step = matches!(
                SelfPatch::between(self.me.as_ref(), me.as_ref()),
                SelfPatch::Step { .. }
            );
            if !step || self.me_at == 0 {
                self.me_whole_at = seq;
            }
            self.me = me;
            self.me_at = seq;
        }

        // The floor as the player's party knows it: a new floor, party (or none) is a map
        // patch on the stream; snapshots name it.
        let party = world.party_of(&player);
        let depth = character.map(|c| c.depth);
        let sight = depth.zip(party).and_then(|(d, p)| world.party_sight(p, d));
        let floor = depth.and_then(|d| world.floor(d));
        let memory = floor.zip(party).and_then(|(f, p)| f.memory(p));
        // Polled right after the last tick on the same floor in the same party: only the cells
        // that tick remembered can differ (the rest of the floor is not looked at).
        let same_floor = match (depth, floor) {
            (Some(d), Some(f)) => {
                self.depth == Some(d)
                    && self.party_id == party
                    && self.known.len() == usize::from(f.width()) * usize::from(f.height())
            }
            _ => false,
        };
        if let (true, Some(d), Some(p), Some(m)) = (same_floor, depth, party, memory)
            && self.known_tick.is_some_and(|t| t + 1 == now.0)
            && !world.memory_merged(p)
        {
            let cells = m.cells();
            for &i in world.remembered_now(p, d) {
                let i = i as usize;
                let code = cells[i].map_or(0, Tile::code);
                if self.known[i] != code {
                    self.known[i] = code;
                    self.known_at[i] = seq;
                    self.known_log.push((seq, i as u32));
                }
            }
        } else {
            self.sync_known(depth, floor, party, seq, &mut update);
        }
        self.known_tick = self.depth.and(floor).map(|_| now.0);
        // Debug builds (every test) check that comparing only the changed cells missed none.
        if cfg!(debug_assertions) && floor.is_some() {
            debug_assert!(
                self.known == memory_codes(floor, memory),
                "the tracker's map memory drifted from the party's"
            );
        }
        // Cells stamped this long ago are never asked for again (see `Tracker::snapshot`).
        let stale = self.known_log.partition_point(|(at, _)| *at + RING <= seq);
        self.known_log.drain(..stale);
        self.poll_rest(world, player, rtt_ms, depth, sight, seq, update)
    }

    /// Compares every remembered cell of the character's floor with what was sent; a new floor
    /// (or none) is a map patch on the stream.
    fn sync_known(
        &mut self,
        depth: Option<u8>,
        floor: Option<&crate::floor::Floor>,
        party: Option<PartyId>,
        seq: u32,
        update: &mut Update,
    ) {
        let memory = floor.zip(party).and_then(|(f, p)| f.memory(p));
        let known = memory_codes(floor, memory);
        let new_floor = match (depth, floor) {
            (Some(d), Some(_)) => {
                self.depth != Some(d) || self.party_id != party || self.known.len() != known.len()
            }
            _ => self.depth.is_some() || !self.sent_any,
        };
        self.party_id = party;
        if new_floor {
            self.floor += 1;
            update.map = Some(match (depth, floor) {
                (Some(d), Some(f)) => MapPatch::Reset {
                    floor: self.floor,
                    depth: d,
                    width: f.width(),
                    height: f.height(),
                    runs: run_length(&known),
                },
                _ => MapPatch::Off { floor: self.floor },
            });
            self.depth = depth.filter(|_| floor.is_some());
            // The client starts the floor from the patch: nothing of the last one carries over.
            self.known_at = vec![0; known.len()];
            self.known = known;
            self.width = floor.map_or(0, |f| f.width());
            self.sight = None;
            self.sight_at = seq;
            self.entities.clear();
            self.entities_gone.clear();
            self.piles.clear();
            self.known_log.clear();
        } else {
            for (i, code) in known.iter().enumerate() {
                if self.known[i] != *code {
                    self.known[i] = *code;
                    self.known_at[i] = seq;
                    self.known_log.push((seq, i as u32));
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn poll_rest(
        &mut self,
        world: &World,
        player: PlayerId,
        rtt_ms: &BTreeMap<PlayerId, u16>,
        depth: Option<u8>,
        sight: Option<&Grid<bool>>,
        seq: u32,
        mut update: Update,
    ) -> Outbound {
        let now = world.tick();
        // The client works sight out itself whenever that comes out right.
        let party_id = world.party_of(&player);
        let patch = match depth.zip(party_id) {
            Some((d, p)) if sight.is_some() && world.sight_derivable(p, d) => SightPatch::Derived,
            _ => SightPatch::Runs(sight.map(sight_runs).unwrap_or_default()),
        };
        if self.sight.as_ref() != Some(&patch) {
            self.sight = Some(patch);
            self.sight_at = seq;
        }
        let entities = match depth {
            Some(d) => visible_entities(world, d, sight, world.detects(player, d)),
            None => Vec::new(),
        };
        self.set_entities(entities, seq);
        let piles = depth
            .map(|d| visible_piles(world, d, sight))
            .unwrap_or_default();
        self.piles.set(piles, seq);
        let party = party_list(world, player, rtt_ms);
        self.party.set(
            party.into_iter().map(|m| (m.name.clone(), m)).collect(),
            seq,
        );

        // The stream's panels.
        let pack = pack_view(world, player);
        if self.pack.as_ref() != Some(&pack) {
            update.pack = Some(pack.clone());
            self.pack = Some(pack);
        }
        let vault = stack_views(
            world,
            Place::Vault(player),
            &world.economy().stacks(Place::Vault(player)),
        );
        if self.vault.as_ref() != Some(&vault) {
            update.vault = Some(vault.clone());
            self.vault = Some(vault);
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
                .filter(|e| may_know(e, player, party_id, depth, sight))
                // The history above already holds this tick's chat.
                .filter(|e| !(first && matches!(e.kind, EventKind::Chat { .. })))
                .map(|e| LogLine {
                    tick: now.0.saturating_sub(1),
                    event: e.kind.clone(),
                }),
        );
        let stream = first
            || update.me.is_some()
            || update.map.is_some()
            || update.pack.is_some()
            || update.vault.is_some()
            || update.trade.is_some()
            || !update.log.is_empty();

        let snapshot = self.snapshot(now.0);
        let heartbeat = self
            .last_sent_tick
            .is_none_or(|t| now.0.saturating_sub(t) >= HEARTBEAT_TICKS);
        let send = snapshot.baseline().is_none() || !snapshot.is_empty() || heartbeat || {
            let b = snapshot.baseline().unwrap_or(0);
            self.ack_at > b
        };
        if send {
            self.last_sent_tick = Some(now.0);
        } else {
            // Nothing to say: the number is not used.
            self.seq -= 1;
        }
        Outbound {
            update: stream.then_some(update),
            snapshot: send.then_some(snapshot),
        }
    }

    fn set_entities(&mut self, now: Vec<EntityView>, seq: u32) {
        let mut next = BTreeMap::new();
        for view in now {
            let seen = match self.entities.remove(&view.id) {
                Some(mut old) => {
                    let f = &mut old.fields;
                    if old.view.pos != view.pos {
                        f[0] = seq;
                    }
                    if old.view.kind != view.kind {
                        f[1] = seq;
                    }
                    if old.view.hp_pct != view.hp_pct {
                        f[2] = seq;
                    }
                    if old.view.effects != view.effects {
                        f[3] = seq;
                    }
                    if old.view.aim != view.aim {
                        f[4] = seq;
                    }
                    old.view = view;
                    old
                }
                None => {
                    self.entities_gone.remove(&view.id);
                    Seen {
                        view,
                        appeared: seq,
                        fields: [seq; 5],
                    }
                }
            };
            next.insert(seen.view.id, seen);
        }
        for id in std::mem::replace(&mut self.entities, next).into_keys() {
            self.entities_gone.insert(id, seq);
        }
    }

    /// The snapshot against the current baseline (whole when there is none).
    fn snapshot(&mut self, tick: u64) -> Snapshot {
        let baseline = self.baseline();
        if baseline.is_none() {
            // Whole: the client forgets what it had, so tombstones say nothing.
            self.entities_gone.clear();
            self.party.gone.clear();
            self.piles.gone.clear();
        }
        let b = baseline.unwrap_or(0);
        let (mut entities, mut moved) = (Vec::new(), Vec::new());
        for s in self.entities.values() {
            let all = s.appeared > b;
            let field = |i: usize| all || s.fields[i] > b;
            let cell = field(0).then(|| cell_of(s.view.pos, self.width));
            if !(1..5).any(field) {
                moved.extend(cell.map(|cell| (s.view.id, cell)));
                continue;
            }
            entities.push(EntityDelta {
                id: s.view.id,
                cell,
                kind: field(1).then(|| s.view.kind.clone()),
                hp_pct: field(2).then_some(s.view.hp_pct),
                effects: field(3).then_some(s.view.effects),
                aim: field(4).then(|| s.view.aim.map(|p| cell_of(p, self.width))),
            });
        }
        Snapshot {
            seq: self.seq,
            behind: baseline.map_or(0, |b| (self.seq - b).min(u32::from(u8::MAX)) as u8),
            floor: self.floor,
            tick,
            ack: self.ack,
            me: (self.me_at > b).then(|| match &self.me {
                Some(view) if self.me_whole_at <= b => SelfPatch::step_of(view),
                Some(view) => SelfPatch::Whole(view.clone()),
                None => SelfPatch::NoCharacter,
            }),
            sight: self.sight.clone().filter(|_| self.sight_at > b),
            cells: self.cells_since(b),
            entities,
            moved,
            gone: self
                .entities_gone
                .iter()
                .filter(|(_, at)| **at > b)
                .map(|(id, _)| *id)
                .collect(),
            party: self.party.changed(b).map(|(_, m)| m.clone()).collect(),
            party_gone: self.party.gone(b),
            piles: self.piles.changed(b).map(|(p, k)| (*p, *k)).collect(),
            piles_gone: self.piles.gone(b),
        }
    }
}

impl Tracker {
    /// The cells stamped after snapshot `b`, by index, with their codes (0: every known cell).
    fn cells_since(&self, b: u32) -> Vec<(u16, u8)> {
        let scan = || -> Vec<(u16, u8)> {
            self.known_at
                .iter()
                .enumerate()
                .filter(|(_, at)| **at > b)
                .map(|(i, _)| (i as u16, self.known[i]))
                .collect()
        };
        if b == 0 {
            return scan();
        }
        let from = self.known_log.partition_point(|(at, _)| *at <= b);
        let mut cells: Vec<u32> = self.known_log[from..].iter().map(|(_, i)| *i).collect();
        cells.sort_unstable();
        cells.dedup();
        let cells: Vec<(u16, u8)> = cells
            .into_iter()
            .map(|i| (i as u16, self.known[i as usize]))
            .collect();
        // Debug builds (every test) check the log against the scan it replaces.
        debug_assert_eq!(cells, scan(), "the stamp log missed a cell");
        cells
    }
}

/// Party sight as a client works it out: the union of each viewer's field of view (position,
/// radius) over a remembered map of `width` × `height` cells, where cells never seen let sight
/// through and cells off the map block it. Unseen cells must not block: symmetric shadowcasting
/// reveals every blocking cell it tests within the radius, so a cell it tested without
/// revealing is open floor, or lies beyond the radius where its shadow falls only on cells
/// beyond the radius too. The world runs the same function over its party memory to know when a client's
/// answer would be right ([`World::sight_derivable`]).
pub fn derive_sight(
    width: u16,
    height: u16,
    tile: impl Fn(Pos) -> Option<Tile>,
    viewers: impl IntoIterator<Item = (Pos, u16)>,
) -> Vec<bool> {
    let mut seen = vec![false; usize::from(width) * usize::from(height)];
    let index = |p: Pos| {
        (p.x >= 0 && p.y >= 0 && (p.x as u16) < width && (p.y as u16) < height)
            .then(|| p.y as usize * usize::from(width) + p.x as usize)
    };
    for (origin, radius) in viewers {
        crate::fov::compute(
            origin,
            radius,
            |p| index(p).is_none() || tile(p).is_some_and(|t| t.blocks_sight()),
            |p| {
                if let Some(i) = index(p) {
                    seen[i] = true;
                }
            },
        );
    }
    seen
}

/// One poll, applied at once and acknowledged: a client on a perfect link (tests, tools).
/// Returns whether anything was sent.
pub fn sync(
    tracker: &mut Tracker,
    view: &mut ClientView,
    world: &World,
    player: PlayerId,
    rtt_ms: &BTreeMap<PlayerId, u16>,
) -> Result<bool, ViewError> {
    let out = tracker.poll(world, player, rtt_ms);
    let sent = out.update.is_some() || out.snapshot.is_some();
    if let Some(update) = out.update {
        view.apply(update)?;
    }
    if let Some(snapshot) = out.snapshot
        && view.apply_snapshot(snapshot)?
    {
        tracker.acked(view.snapshot());
    }
    Ok(sent)
}

fn self_view(world: &World, player: PlayerId, c: &crate::world::Character) -> SelfView {
    let now = world.tick();
    let mut ready_bits = if c.ready_at <= now { ready::ACT } else { 0 };
    for (i, until) in c.cooldowns.iter().enumerate() {
        if *until <= now {
            ready_bits |= ready::ABILITY << i;
        }
    }
    SelfView {
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
                until: now.0.saturating_add(left),
                revive_pct: (revive * 100 / world.tick_rate().ticks(crate::world::REVIVE_MS))
                    .min(100) as u8,
            }),
        },
        busy_until: c.ready_at.0,
        ready: ready_bits,
        kills: c.kills,
        cooldown_until: c.cooldowns.map(|t| t.0),
        shield_wall_until: c.shield_wall_until.0,
        ward: if c.ward_until > now { c.ward } else { 0 },
        gear: world.gear_of(&player),
        impure: c.impure,
        at_shrine: world.at_shrine(player),
        channel: c.channel.as_ref().map(|ch| {
            let what = match ch {
                Channel::Mining { .. } => ChannelView::Mining,
                Channel::Crafting { recipe, .. } => ChannelView::Crafting(*recipe),
            };
            (what, c.ready_at.0)
        }),
        level: c.level(),
        xp: c.xp,
        hasted_until: c.hasted_until.0,
        detect_until: c.detect_until.0,
        unnoticed_until: c
            .unnoticed_until(world.ticks(crate::progress::ARRIVAL_MS))
            .0,
        characters_here: world.characters_on(c.depth).min(usize::from(u8::MAX)) as u8,
        talents: c.talents,
    }
}

fn may_know(
    event: &Event,
    player: PlayerId,
    party: Option<PartyId>,
    depth: Option<u8>,
    sight: Option<&Grid<bool>>,
) -> bool {
    match &event.scope {
        Scope::Everyone => true,
        Scope::Player(p) => *p == player,
        Scope::Party(p) => Some(*p) == party,
        Scope::Seen { depth: d, pos } => {
            Some(*d) == depth && sight.is_some_and(|s| s.get(*pos).copied().unwrap_or(false))
        }
    }
}

/// The position of row-major cell `i` on a floor `width` cells wide.
fn pos_at(i: u16, width: u16) -> Pos {
    let w = width.max(1);
    Pos {
        x: (i % w) as i16,
        y: (i / w) as i16,
    }
}

/// The row-major index of `p` on a floor `width` cells wide.
fn cell_of(p: Pos, width: u16) -> u16 {
    (p.y.max(0) as u16)
        .saturating_mul(width)
        .saturating_add(p.x.max(0) as u16)
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

/// Characters and monsters standing in the party's sight on floor `depth` (with `detecting`,
/// every monster there), sorted by id.
fn visible_entities(
    world: &World,
    depth: u8,
    sight: Option<&Grid<bool>>,
    detecting: bool,
) -> Vec<EntityView> {
    let Some(sight) = sight else {
        return Vec::new();
    };
    let seen = |p: Pos| sight.get(p).copied().unwrap_or(false);
    let now = world.tick();
    let mut out: Vec<EntityView> = Vec::new();
    if let Some(floor) = world.floor(depth) {
        let shown = |m: &&crate::monster::Monster| detecting || seen(m.pos);
        out.extend(floor.monsters.values().filter(shown).map(|m| {
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
            if m.asleep {
                effects |= effect::ASLEEP;
            }
            let aim = m.windup.as_ref().map(|w| world.aim_of(depth, w));
            EntityView {
                id: m.id.0,
                pos: m.pos,
                kind: EntityKind::Monster(m.kind),
                hp_pct: percent(m.hp, m.kind.stats().max_hp),
                effects,
                aim,
            }
        }));
    }
    out.extend(world.players().filter_map(|(id, p)| {
        let c = p.character.as_ref()?;
        (c.depth == depth && seen(c.pos)).then(|| EntityView {
            id: c.id.0,
            pos: c.pos,
            kind: EntityKind::Character {
                class: c.class,
                downed: c.is_downed(),
                // Not in the world: a character left in combat still is (its sight counts
                // in the party's, and clients derive that sight from those not away).
                away: !world.is_present(p),
                sight: world.sight_radius(id).min(u16::from(u8::MAX)) as u8,
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
            aim: None,
        })
    }));
    out.sort_by_key(|e| e.id);
    out
}

/// Views of `stacks` held at `place` (withdrawn units are counted there; they leave first).
fn stack_views(world: &World, place: Place, stacks: &[Stack]) -> Vec<StackView> {
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
                withdrawn: world.economy().withdrawn(place, s.spawn).min(s.units),
            })
        })
        .collect()
}

/// Items `owner` holds (or offers), as `player` knows them.
fn item_views(
    world: &World,
    player: PlayerId,
    owner: PlayerId,
    ids: &[crate::economy::ItemId],
) -> Vec<ItemView> {
    let worn: Vec<crate::economy::ItemId> = world
        .player(&owner)
        .and_then(|p| p.character.as_ref())
        .map(|c| c.equipped.values().copied().collect())
        .unwrap_or_default();
    ids.iter()
        .filter_map(|id| {
            let (_, item) = world.economy().item(*id)?;
            let (recipe, usable) = match item.kind {
                ItemKind::Gear(r) => (Some(r), None),
                ItemKind::Heart | ItemKind::Key => (None, None),
                ItemKind::Consumable(c) => {
                    let kind = world.knows(player, c).then_some(c);
                    let potion = c.is_potion();
                    (None, Some(UseView { potion, kind }))
                }
            };
            Some(ItemView {
                id: item.id.0,
                name: world.item_name(player, item),
                recipe,
                quality: item.quality,
                stats: recipe.map(|r| r.stats(item.quality)).unwrap_or_default(),
                equipped: worn.contains(&item.id),
                usable,
                tainted: world.economy().is_tainted(item.id),
                key: item.kind == ItemKind::Key,
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
        stacks: stack_views(
            world,
            Place::Pack(player),
            &world.economy().stacks(Place::Pack(player)),
        ),
        items: item_views(world, player, player, &ids),
    }
}

/// What `owner` offers in a trade, as `player` knows it.
fn goods_view(
    world: &World,
    player: PlayerId,
    owner: PlayerId,
    goods: &crate::economy::Goods,
) -> PackView {
    PackView {
        stacks: stack_views(world, Place::Pack(owner), &goods.stacks),
        items: item_views(world, player, owner, &goods.items),
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
        mine: goods_view(world, player, player, &t.offers[side]),
        theirs: goods_view(world, player, other, &t.offers[1 - side]),
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
            let has = |f: fn(ItemKind) -> bool| items.iter().any(|i| f(i.kind));
            let kind = if has(|k| k == ItemKind::Heart) {
                PileKind::Heart
            } else if has(|k| matches!(k, ItemKind::Gear(_))) {
                PileKind::Item
            } else if has(|k| k == ItemKind::Key) {
                PileKind::Key
            } else if has(|k| matches!(k, ItemKind::Consumable(c) if c.is_potion())) {
                PileKind::Potion
            } else if items.is_empty() {
                PileKind::Ore
            } else {
                PileKind::Scroll
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

/// The party as one client sees it: the player and the other members of its party, on any
/// floor, who are here or have a character waiting (a key that came, made nothing and left is
/// not listed), the player first and the connected before the away, at most [`MAX_PARTY`]
/// rows.
fn party_list(world: &World, you: PlayerId, rtt_ms: &BTreeMap<PlayerId, u16>) -> Vec<PartyMember> {
    // The party's members only: never a pass over the world's players, per client and tick.
    let members = world
        .party_of(&you)
        .and_then(|id| world.party(id))
        .map(|party| party.members.iter().collect())
        .unwrap_or_else(|| vec![&you]);
    let mut members: Vec<(&PlayerId, &crate::world::Player)> = members
        .into_iter()
        .filter_map(|id| Some((id, world.player(id)?)))
        .filter(|(id, p)| **id == you || p.connected || p.character.is_some())
        .collect();
    // Stable: within each group, player-id order, as before.
    members.sort_by_key(|(id, p)| (**id != you, !p.connected));
    members.truncate(MAX_PARTY);
    // Who carries the Heart: one look at the economy for the whole list.
    let carrier = match world.economy().heart() {
        Some((crate::economy::Holder::Carried(p), _)) => Some(p),
        _ => None,
    };
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
                heart: carrier == Some(*id),
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
    #[error("a change to creature {0}, which the host never showed")]
    UnknownEntity(u64),
}

/// How many log lines a client keeps.
pub const LOG_LINES: usize = 1000;

/// The floor number a view holds before any map patch (matches no snapshot).
const NO_FLOOR: u32 = u32::MAX;

/// The client's picture of the world, built only from updates and snapshots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientView {
    /// The newest tick the host showed.
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
    /// The map patch snapshots must belong to.
    floor: u32,
    /// The newest snapshot applied (0: none).
    snapshot: u32,
    /// The host said the client works party sight out itself.
    sight_derived: bool,
    /// After a reconnect: chat lines up to this tick are in the log already.
    chat_upto: Option<u64>,
}

impl Default for ClientView {
    fn default() -> Self {
        ClientView {
            tick: 0,
            ack: 0,
            me: None,
            depth: None,
            width: 0,
            height: 0,
            known: Vec::new(),
            sight: Vec::new(),
            entities: Vec::new(),
            party: Vec::new(),
            log: VecDeque::new(),
            pack: PackView::default(),
            vault: Vec::new(),
            piles: Vec::new(),
            trade: None,
            floor: NO_FLOOR,
            snapshot: 0,
            sight_derived: false,
            chat_upto: None,
        }
    }
}

impl ClientView {
    pub fn new() -> ClientView {
        ClientView::default()
    }

    /// The newest snapshot applied: what the client acknowledges.
    pub fn snapshot(&self) -> u32 {
        self.snapshot
    }

    /// A new connection to the same host: keep the picture on screen until the new session's
    /// map and whole snapshot replace it, and do not repeat the chat already in the log.
    pub fn resync(&mut self) {
        self.floor = NO_FLOOR;
        self.snapshot = 0;
        self.chat_upto = Some(self.tick);
    }

    /// Applies one stream update. A malformed update is rejected whole, leaving the view
    /// unchanged.
    pub fn apply(&mut self, update: Update) -> Result<(), ViewError> {
        self.check(&update)?;
        self.tick = self.tick.max(update.tick);
        if let Some(me) = update.me {
            self.me = me;
        }
        match update.map {
            Some(MapPatch::Reset {
                floor,
                depth,
                width,
                height,
                runs,
            }) => {
                self.floor = floor;
                self.depth = Some(depth);
                self.width = width;
                self.height = height;
                self.known = runs
                    .iter()
                    .flat_map(|(n, code)| std::iter::repeat_n(*code, usize::from(*n)))
                    .collect();
                self.sight = vec![false; self.known.len()];
                self.sight_derived = false;
                self.entities.clear();
                self.piles.clear();
            }
            Some(MapPatch::Off { floor }) => {
                self.sight_derived = false;
                self.floor = floor;
                self.depth = None;
                self.width = 0;
                self.height = 0;
                self.known.clear();
                self.sight.clear();
                self.entities.clear();
                self.piles.clear();
            }
            None => {}
        }
        if let Some(pack) = update.pack {
            self.pack = pack;
        }
        if let Some(vault) = update.vault {
            self.vault = vault;
        }
        if let Some(trade) = update.trade {
            self.trade = trade;
        }
        let repeated = self.chat_upto.take();
        for line in update.log {
            let old_chat = matches!(line.event, EventKind::Chat { .. })
                && repeated.is_some_and(|upto| line.tick <= upto);
            if old_chat {
                continue;
            }
            if self.log.len() == LOG_LINES {
                self.log.pop_front();
            }
            self.log.push_back(line);
        }
        Ok(())
    }

    /// Applies a snapshot if it is newer than the last one applied and belongs to the floor
    /// this view holds; returns whether it was applied (then acknowledge [`Self::snapshot`]).
    /// A malformed snapshot is rejected whole, leaving the view unchanged.
    pub fn apply_snapshot(&mut self, snap: Snapshot) -> Result<bool, ViewError> {
        // Another floor, an old snapshot, or a character the stream has not yet announced (or
        // not yet buried): wait; the host repeats it against the same baseline.
        let existence = snap.me.as_ref().map(SelfPatch::has_character);
        if snap.floor != self.floor
            || snap.seq <= self.snapshot
            || existence.is_some_and(|has| has != self.me.is_some())
        {
            return Ok(false);
        }
        self.check_snapshot(&snap)?;
        if snap.baseline().is_none() {
            self.entities.clear();
            self.party.clear();
            self.piles.clear();
        }
        self.snapshot = snap.seq;
        self.tick = self.tick.max(snap.tick);
        self.ack = snap.ack;
        if let Some(me) = snap.me {
            me.apply(&mut self.me);
        }
        match snap.sight {
            Some(SightPatch::Runs(runs)) => {
                self.sight_derived = false;
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
            Some(SightPatch::Derived) => self.sight_derived = true,
            None => {}
        }
        for (i, code) in snap.cells {
            self.known[usize::from(i)] = code;
        }
        self.entities.retain(|e| !snap.gone.contains(&e.id));
        let width = self.width;
        for (id, cell) in snap.moved {
            if let Some(e) = self.entities.iter_mut().find(|e| e.id == id) {
                e.pos = pos_at(cell, width);
            }
        }
        for d in snap.entities {
            match self.entities.iter_mut().find(|e| e.id == d.id) {
                Some(e) => {
                    if let Some(cell) = d.cell {
                        e.pos = pos_at(cell, width);
                    }
                    if let Some(kind) = d.kind {
                        e.kind = kind;
                    }
                    if let Some(hp) = d.hp_pct {
                        e.hp_pct = hp;
                    }
                    if let Some(fx) = d.effects {
                        e.effects = fx;
                    }
                    if let Some(aim) = d.aim {
                        e.aim = aim.map(|cell| pos_at(cell, width));
                    }
                }
                None => {
                    if let (Some(cell), Some(kind), Some(hp_pct), Some(effects), Some(aim)) =
                        (d.cell, d.kind, d.hp_pct, d.effects, d.aim)
                    {
                        self.entities.push(EntityView {
                            id: d.id,
                            pos: pos_at(cell, width),
                            kind,
                            hp_pct,
                            effects,
                            aim: aim.map(|cell| pos_at(cell, width)),
                        });
                    }
                }
            }
        }
        self.entities.sort_by_key(|e| e.id);
        self.party.retain(|m| !snap.party_gone.contains(&m.name));
        for m in snap.party {
            match self.party.iter_mut().find(|o| o.name == m.name) {
                Some(o) => *o = m,
                None => self.party.push(m),
            }
        }
        self.party.sort_by(|a, b| {
            (!a.is_you, a.status == MemberStatus::Away, &a.name).cmp(&(
                !b.is_you,
                b.status == MemberStatus::Away,
                &b.name,
            ))
        });
        self.piles.retain(|(p, _)| !snap.piles_gone.contains(p));
        for (p, k) in snap.piles {
            match self.piles.iter_mut().find(|(q, _)| *q == p) {
                Some(old) => old.1 = k,
                None => self.piles.push((p, k)),
            }
        }
        self.piles.sort();
        if self.sight_derived {
            let viewers: Vec<(Pos, u16)> = self
                .entities
                .iter()
                .filter_map(|e| match e.kind {
                    EntityKind::Character {
                        away: false, sight, ..
                    } => Some((e.pos, u16::from(sight))),
                    _ => None,
                })
                .collect();
            self.sight = derive_sight(self.width, self.height, |p| self.tile(p), viewers);
        }
        // What accumulates across snapshots stays as bounded as one list (a hostile host could
        // otherwise add a list's worth every tick).
        self.entities.truncate(MAX_LIST);
        self.party.truncate(MAX_LIST);
        self.piles.truncate(MAX_LIST);
        if self.me.is_none() {
            self.depth = None;
        }
        Ok(true)
    }

    fn check(&self, update: &Update) -> Result<(), ViewError> {
        let lists = [
            update.log.len(),
            update
                .pack
                .as_ref()
                .map_or(0, |p| p.stacks.len() + p.items.len()),
            update.vault.as_ref().map_or(0, Vec::len),
        ];
        if let Some(&n) = lists.iter().find(|n| **n > MAX_LIST) {
            return Err(ViewError::ListTooLong(n));
        }
        if let Some(MapPatch::Reset {
            width,
            height,
            runs,
            ..
        }) = &update.map
        {
            let want = usize::from(*width) * usize::from(*height);
            if want > usize::from(u16::MAX) {
                return Err(ViewError::MapTooLarge(want));
            }
            let got: usize = runs.iter().map(|(n, _)| usize::from(*n)).sum();
            if got != want {
                return Err(ViewError::RunsMismatch { got, want });
            }
        }
        Ok(())
    }

    fn check_snapshot(&self, snap: &Snapshot) -> Result<(), ViewError> {
        let runs = match &snap.sight {
            Some(SightPatch::Runs(runs)) => runs.len(),
            _ => 0,
        };
        let lists = [
            runs,
            snap.cells.len(),
            snap.entities.len() + snap.moved.len() + snap.gone.len(),
            snap.party.len() + snap.party_gone.len(),
            snap.piles.len() + snap.piles_gone.len(),
        ];
        if let Some(&n) = lists.iter().find(|n| **n > MAX_LIST) {
            return Err(ViewError::ListTooLong(n));
        }
        let outside = |i: u16| usize::from(i) >= self.known.len();
        if let Some((i, _)) = snap.cells.iter().find(|(i, _)| outside(*i)) {
            return Err(ViewError::CellOutside(*i));
        }
        if let Some(i) = snap
            .entities
            .iter()
            .flat_map(|d| [d.cell, d.aim.flatten()])
            .flatten()
            .chain(snap.moved.iter().map(|(_, cell)| *cell))
            .find(|i| outside(*i))
        {
            return Err(ViewError::CellOutside(i));
        }
        let held = |id: u64| snap.baseline().is_some() && self.entities.iter().any(|e| e.id == id);
        if let Some((id, _)) = snap.moved.iter().find(|(id, _)| !held(*id)) {
            return Err(ViewError::UnknownEntity(*id));
        }
        // A creature the view does not hold must come whole.
        if let Some(d) = snap.entities.iter().find(|d| {
            let whole = d.cell.is_some()
                && d.kind.is_some()
                && d.hp_pct.is_some()
                && d.effects.is_some()
                && d.aim.is_some();
            !whole && !held(d.id)
        }) {
            return Err(ViewError::UnknownEntity(d.id));
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
