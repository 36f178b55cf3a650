//! The world: one persistent campaign, advanced one tick at a time by [`World::handle_tick`].
//!
//! Invariant: the world is a pure function of its seed and the ordered inputs of every tick.
//! Nothing here reads a clock, draws entropy, or iterates a hash map; [`World::state_hash`]
//! proves it in tests, and the host relies on it for saves.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ability::Target;
use crate::class::Class;
use crate::command::Checked;
use crate::consumable::Consumable;
use crate::craft::{GearStats, Recipe, Slot};
use crate::economy::{Economy, Entry, Goods, Holder, ItemId, ItemKind, Place, Stack, TradeRecord};
use crate::event::{Event, EventKind, Scope, TradeEnd};
use crate::fact::{Fact, FactKind};
use crate::floor::{Floor, Grid};
use crate::fov;
use crate::geom::{Dir, Pos};
use crate::ids::{EntityId, PartyId, PlayerId, hex};
use crate::mapgen;
use crate::monster::Monster;
use crate::party::Party;
use crate::rng::{Rng, Stream};
use crate::text::sanitize;
use crate::tick::{Tick, TickRate};
use crate::tile::Tile;

mod legacy;
pub use legacy::{WorldSaveV3, WorldSaveV4, WorldSaveV5, WorldSaveV6, WorldSaveV7};

/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 16;
/// How long a downed character waits for help before dying (half that under attack:
/// [`crate::combat::UNDER_ATTACK_MS`]).
pub const DOWNED_MS: u32 = 16_000;
/// How long an ally must stand next to a downed character to revive it.
pub const REVIVE_MS: u32 = 3_000;
pub const MOVE_MS: u32 = 200;
/// A floor nobody stood on this long gains a monster ([`World::repopulate`]) …
pub const REPOPULATE_MS: u32 = 10 * 60_000;
/// … this many at most at once, …
pub const REPOPULATE_MAX: usize = 3;
/// … this far from whoever arrives.
pub const REPOPULATE_AWAY: i32 = 10;
/// A blow (a bump into a monster) takes this long: a class ability out-damages it.
pub const ATTACK_MS: u32 = 400;
/// Downed characters crawl at a third of walking speed.
pub const CRAWL_MS: u32 = 600;

/// Something a player asks their character to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Step, open a door, mine a vein, or attack whatever stands there.
    Move(Dir),
    /// Let one move's worth of time pass.
    Wait,
    /// Take the stairs down (must stand on them).
    Descend,
    /// Take the stairs up (must stand on them).
    Ascend,
    /// Use ability 1, 2 or 3 (`slot` 0..=2) of the character's class.
    Ability { slot: u8, target: Target },
    /// Pick up everything lying here.
    PickUp,
    /// Put ore and items down here.
    Drop(Goods),
    /// Put ore into the Legacy Vault (on or next to a Vault Shrine).
    Deposit(Vec<Stack>),
    /// Take ore out of the Legacy Vault (marks the character impure).
    Withdraw(Vec<Stack>),
    /// Craft `recipe` from exactly these stacks (takes time; damage interrupts it).
    Craft { recipe: Recipe, stacks: Vec<Stack> },
    /// Wear an item from the pack.
    Equip(ItemId),
    /// Take off what is worn in a slot.
    Unequip(Slot),
    /// Drink a potion or read a scroll from the pack (downed characters can too).
    Use(ItemId),
    /// Choose talent `pick` (0 or 1) of `tier` (0..=2) ([`crate::talent`]): takes no time.
    Learn { tier: u8, pick: u8 },
}

/// Why a player is no longer connected.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Departure {
    /// The player chose to leave.
    Left,
    /// The connection dropped (or the host shut down).
    Lost,
}

/// Everything that can change the world from outside, applied in the order given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Input {
    /// A player connects. The first connect registers them in this world.
    Connect { player: PlayerId, name: String },
    /// A player disconnects; their character stays, idle and untargetable, until they return.
    Disconnect { player: PlayerId, why: Departure },
    /// A player without a living character makes one (any class) at floor 1's entrance.
    CreateCharacter { player: PlayerId, class: Class },
    /// A player queues an action; `seq` is echoed back once it starts.
    Act {
        player: PlayerId,
        seq: u32,
        action: Checked<Action>,
    },
    /// A chat line to the whole party.
    Chat { player: PlayerId, text: String },
    /// Opening, changing, accepting or cancelling a trade.
    Trade {
        player: PlayerId,
        trade: Checked<TradeInput>,
    },
    /// The host forgets a player who joined once and never made a character (a key that left
    /// nothing in this world: no character ever, no stats, an empty vault). Anyone else stays.
    Forget { player: PlayerId },
    /// The host runs the world at another rate from now on (a host may resume a world at another
    /// `--tick-rate`). Timers already running keep their tick counts; durations computed from
    /// now on use the new rate.
    SetTickRate(TickRate),
    /// A chat line from someone watching (not a player of this world), where the host lets
    /// spectators chat; shown as "NAME (watching)".
    WatcherChat { name: String, text: String },
    /// Inviting, accepting, declining, leaving a party.
    Party {
        player: PlayerId,
        cmd: crate::party::PartyCmd,
    },
}

/// What a player does about trading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TradeInput {
    /// Propose a trade to the player whose character is this entity (same floor).
    Open {
        with: EntityId,
    },
    /// Replace this side's offer; both acceptances reset.
    Offer {
        trade: u64,
        goods: Goods,
    },
    /// Accept the offers as of `phase` (an acceptance of an older phase does nothing).
    Accept {
        trade: u64,
        phase: u32,
    },
    Cancel {
        trade: u64,
    },
}

/// A character's state of life.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Life {
    Alive,
    /// At 0 HP: can only crawl; dies when `left` reaches zero unless revived. `left` counts down
    /// only while the player is connected; `revive` counts ticks of an ally standing adjacent.
    Downed {
        left: u64,
        revive: u64,
    },
}

/// A long action that completes when the character is next ready; damage interrupts it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Channel {
    Mining { pos: Pos },
    Crafting { recipe: Recipe, stacks: Vec<Stack> },
}

/// A player's current character.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Character {
    pub id: EntityId,
    pub class: Class,
    pub hp: u16,
    pub mana: u16,
    pub depth: u8,
    pub pos: Pos,
    pub life: Life,
    /// The tick on which the current action ends and the next may start.
    pub ready_at: Tick,
    pub kills: u32,
    /// When each of the three abilities is ready again.
    pub cooldowns: [Tick; 3],
    /// Shield Wall: half damage to this character and allies next to it, until then.
    pub shield_wall_until: Tick,
    /// Ward: points of damage absorbed before HP, until `ward_until`.
    pub ward: u16,
    pub ward_until: Tick,
    /// Worn items (they stay in the pack too).
    pub equipped: BTreeMap<Slot, ItemId>,
    /// Withdrew from the vault: no Pure Victory for this character.
    pub impure: bool,
    /// Mining or crafting in progress.
    pub channel: Option<Channel>,
    /// When the character was made (for run times).
    pub born: Tick,
    /// Experience from kills, its own and its party's in sight; the level follows from it
    /// ([`crate::progress`]).
    pub xp: u32,
    /// The last tick it dealt or took damage: it is in combat for
    /// [`COMBAT_MS`](crate::progress::COMBAT_MS) after.
    pub combat_at: Option<Tick>,
    /// A Potion of Speed: every action takes half its time until then.
    pub hasted_until: Tick,
    /// A Scroll of Detect Monsters: its party sees every monster on its floor until then.
    pub detect_until: Tick,
    /// The talent chosen at each tier ([`crate::talent::TALENT_LEVELS`]): 0 or 1.
    pub talents: [Option<u8>; 3],
}

impl Character {
    pub fn new(id: EntityId, class: Class, depth: u8, pos: Pos, now: Tick) -> Character {
        let stats = class.stats();
        Character {
            id,
            class,
            hp: stats.max_hp,
            mana: stats.max_mana,
            depth,
            pos,
            life: Life::Alive,
            ready_at: now,
            kills: 0,
            cooldowns: [now; 3],
            shield_wall_until: Tick::ZERO,
            ward: 0,
            ward_until: Tick::ZERO,
            equipped: BTreeMap::new(),
            impure: false,
            channel: None,
            born: now,
            xp: 0,
            combat_at: None,
            hasted_until: Tick::ZERO,
            detect_until: Tick::ZERO,
            talents: [None; 3],
        }
    }

    /// The class's HP and its growth for each level above the first.
    pub fn max_hp(&self) -> u16 {
        self.class.stats().max_hp + self.class.growth().0 * u16::from(self.level() - 1)
    }

    /// The class's mana and its growth for each level above the first.
    pub fn max_mana(&self) -> u16 {
        self.class.stats().max_mana + self.class.growth().1 * u16::from(self.level() - 1)
    }

    pub fn is_downed(&self) -> bool {
        matches!(self.life, Life::Downed { .. })
    }
}

/// Lifetime numbers of a player in this world (they outlive characters).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerStats {
    pub deaths: u32,
    pub kills: u32,
    pub deepest: u8,
    pub victories: u32,
    pub pure_victories: u32,
    /// The best item this player crafted: (name, quality).
    pub best_crafted: Option<(String, u16)>,
}

/// A player registered in this world: bound by key on first join.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Player {
    pub name: String,
    pub connected: bool,
    pub character: Option<Character>,
    /// The `seq` of the last action that started (for acknowledgements).
    pub last_seq: u32,
    /// The next action, waiting for the current one to end. One slot: newest wins, so a held key
    /// or a flood of inputs can never queue up moves.
    pub queued: Option<(u32, Action)>,
    pub stats: PlayerStats,
    /// The tick it last left (meaningful while not connected): a character that left in
    /// combat stays in the world a while ([`crate::progress::LINGER_MS`]).
    pub left_at: Tick,
    /// The kinds of potion and scroll it knows (its party's: see [`crate::consumable`]).
    pub known: BTreeSet<Consumable>,
}

/// Everything but the floors: small, saved every time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Core {
    pub name: String,
    pub seed: u64,
    pub tick_rate: TickRate,
    /// Ticks processed so far; the next call to `handle_tick` processes tick number `tick`.
    pub tick: Tick,
    combat_rng: Rng,
    ai_rng: Rng,
    spawn_rng: Rng,
    craft_rng: Rng,
    next_entity: u64,
    pub players: BTreeMap<PlayerId, Player>,
    /// Every unit of ore and every item. The host persists it entry by entry, not with the
    /// snapshots: on load it is restored from its own table.
    pub economy: Economy,
    /// When the stalest spawn is replaced.
    next_rotation: Tick,
    /// Open trades by id.
    pub(crate) trades: BTreeMap<u64, crate::trade::Trade>,
    next_trade: u64,
    /// The last [`CHAT_LINES`] chat lines, oldest first.
    pub chat: VecDeque<ChatLine>,
    /// Every player is a member of exactly one (see [`crate::party`]).
    pub(crate) parties: BTreeMap<PartyId, Party>,
    pub(crate) next_party: u32,
    /// Newcomers join the first party instead of starting alone.
    pub(crate) together: bool,
    /// No item id below this is given again (a used potion's id stays retired).
    pub(crate) next_item: u64,
}

impl Core {
    /// Whether newcomers join the world's first party (see [`crate::party`]).
    pub fn together(&self) -> bool {
        self.together
    }
}

/// How many chat lines a world keeps (they survive reconnects and restarts).
pub const CHAT_LINES: usize = 200;
/// Longest chat line, in characters.
pub const MAX_CHAT_CHARS: usize = 200;

/// One chat line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatLine {
    pub tick: Tick,
    pub name: String,
    pub text: String,
}

/// A save of a world: the core plus some floors (all of them, or only those changed since the
/// previous save). Loading needs every floor ever saved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorldSave {
    pub core: Core,
    pub floors: Vec<Floor>,
}

impl WorldSave {
    /// The state hash of the world this save holds: the same as [`World::state_hash`] of the
    /// world it was taken from, computed without rebuilding it (floors must be in depth order,
    /// as [`World::full_save`] gives them).
    pub fn state_hash(&self) -> StateHash {
        state_hash(&self.core, self.floors.iter())
    }
}

fn state_hash<'a>(core: &Core, floors: impl Iterator<Item = &'a Floor>) -> StateHash {
    let mut hasher = Sha256::new();
    hasher.update(postcard::to_stdvec(core).expect("in-memory encoding cannot fail"));
    for floor in floors {
        hasher.update(postcard::to_stdvec(floor).expect("in-memory encoding cannot fail"));
    }
    StateHash(hasher.finalize().into())
}

/// What is wrong with a save's parties: every player in exactly one, no party empty, no member
/// or invitee who is not a player, no id at or past the next.
fn parties_flaw(core: &Core) -> Option<String> {
    let mut seen = BTreeSet::new();
    for (id, party) in &core.parties {
        let strangers = party
            .members
            .iter()
            .chain(&party.invited)
            .any(|m| !core.players.contains_key(m));
        if party.members.is_empty() || strangers || id.0 >= core.next_party {
            return Some(format!("party {} is malformed", id.0));
        }
        if party.members.iter().any(|m| !seen.insert(*m)) {
            return Some(format!("a player of party {} is in two parties", id.0));
        }
    }
    (seen.len() != core.players.len()).then(|| "a player is in no party".to_owned())
}

/// A SHA-256 over the complete state of a world.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StateHash(pub [u8; 32]);

impl std::fmt::Display for StateHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl std::fmt::Debug for StateHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StateHash({})", hex(&self.0[..8]))
    }
}

/// Failure to rebuild a world from a save.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// A character stands on a floor the save does not contain.
    #[error("the save has a character on floor {0}, but floor {0} is missing")]
    MissingFloor(u8),
    /// Something the rules assume cannot happen (a damaged or made-up save).
    #[error("the save is malformed: {0}")]
    Malformed(String),
}

/// One persistent campaign.
#[derive(Clone, Debug)]
pub struct World {
    pub(crate) core: Core,
    pub(crate) floors: BTreeMap<u8, Floor>,
    // Derived and transient state below: never saved, never hashed.
    /// Each connected character's field of view.
    sight: BTreeMap<PlayerId, Grid<bool>>,
    /// Per party and floor, the union of its members' sight there.
    party_sight: BTreeMap<(PartyId, u8), Grid<bool>>,
    /// Per party and floor, whether [`crate::view::derive_sight`] over the party's memory
    /// gives exactly its sight (then clients work it out instead of being sent it).
    sight_derivable: BTreeMap<(PartyId, u8), bool>,
    /// On a dark floor, each character's line of sight (what monsters see it from: they see
    /// in the dark); elsewhere it is its sight.
    los: BTreeMap<PlayerId, Grid<bool>>,
    /// Per floor, the cells its braziers light (`None`: not a dark floor), worked out when a
    /// character first looks there ([`crate::light`]).
    light: BTreeMap<u8, Option<Grid<bool>>>,
    /// Per party and floor, the cells its memory changed at in the last tick's vision phase.
    remembered_now: BTreeMap<(PartyId, u8), Vec<u32>>,
    /// Which party each player is in (from `core.parties`).
    pub(crate) party_index: BTreeMap<PlayerId, PartyId>,
    /// Parties whose memory took in a newcomer's in the last tick (outside the vision phase,
    /// so `remembered_now` does not list those cells).
    pub(crate) memory_merged: BTreeSet<PartyId>,
    /// Events of the last tick.
    events: Vec<Event>,
    /// Trades completed since the host last took them (the save keeps them as history rows).
    completed_trades: Vec<TradeRecord>,
    /// Leaderboard facts since the host last took them.
    facts: Vec<Fact>,
    /// How each potion and scroll looks until known (from the seed, [`crate::consumable::looks`]),
    /// worked out once: views name unknown items every time they are polled.
    pub(crate) looks: [String; 9],
}

/// How far character `c` sees with gear that adds `light` ([`World::sight_radius`]).
fn sight_with(c: &Character, light: u16) -> u16 {
    c.class.stats().sight + light
}

impl World {
    /// A new world: the first spawn of every ore class, floor 1 generated, nobody in it yet.
    pub fn new(name: &str, seed: u64, tick_rate: TickRate) -> World {
        let core = Core {
            name: sanitize(name, 40),
            seed,
            tick_rate,
            tick: Tick::ZERO,
            combat_rng: Rng::for_stream(seed, Stream::Combat),
            ai_rng: Rng::for_stream(seed, Stream::Ai),
            spawn_rng: Rng::for_stream(seed, Stream::Spawns),
            craft_rng: Rng::for_stream(seed, Stream::Craft),
            next_entity: 1,
            players: BTreeMap::new(),
            economy: Economy::default(),
            next_rotation: Tick(tick_rate.ticks(crate::ore::ROTATION_MS)),
            trades: BTreeMap::new(),
            next_trade: 1,
            chat: VecDeque::new(),
            parties: BTreeMap::new(),
            next_party: 1,
            together: true,
            next_item: 1,
        };
        let mut world = World::from_core(core, BTreeMap::new());
        for class in crate::ore::OreClass::ALL {
            world.new_spawn(class);
        }
        world.ensure_floor(1);
        world
    }

    fn from_core(core: Core, floors: BTreeMap<u8, Floor>) -> World {
        let mut world = World {
            floors,
            sight: BTreeMap::new(),
            party_sight: BTreeMap::new(),
            sight_derivable: BTreeMap::new(),
            light: BTreeMap::new(),
            los: BTreeMap::new(),
            remembered_now: BTreeMap::new(),
            party_index: BTreeMap::new(),
            memory_merged: BTreeSet::new(),
            events: Vec::new(),
            completed_trades: Vec::new(),
            facts: Vec::new(),
            looks: crate::consumable::looks(core.seed),
            core,
        };
        world.reindex_parties();
        world.update_vision();
        world
    }

    /// This new world starts each newcomer alone; they form parties by invitation (a world of
    /// strangers). Worlds are together unless made so.
    pub fn with_parties(mut self) -> World {
        self.core.together = false;
        self
    }

    /// An ASCII picture of floor `depth`: tiles as in [`Floor::from_ascii`], characters as `@`
    /// (`&` when downed), monsters by glyph.
    pub fn ascii(&self, depth: u8) -> Vec<String> {
        let Some(floor) = self.floors.get(&depth) else {
            return Vec::new();
        };
        let mut rows: Vec<Vec<char>> = (0..floor.height())
            .map(|y| {
                (0..floor.width())
                    .map(|x| floor.tile(Pos::new(x as i16, y as i16)).picture())
                    .collect()
            })
            .collect();
        let mut put = |p: Pos, c: char| {
            if let Some(cell) = rows
                .get_mut(p.y as usize)
                .and_then(|r| r.get_mut(p.x as usize))
            {
                *cell = c;
            }
        };
        for m in floor.monsters.values() {
            put(m.pos, m.kind.stats().glyph);
        }
        for p in self.core.players.values() {
            if let Some(c) = p.character.as_ref().filter(|c| c.depth == depth) {
                put(c.pos, if c.is_downed() { '&' } else { '@' });
            }
        }
        rows.into_iter().map(|r| r.into_iter().collect()).collect()
    }

    /// Rebuilds a world from a complete save (a checkpoint: the core with its economy, and
    /// every floor ever generated).
    pub fn from_save(save: WorldSave) -> Result<World, LoadError> {
        if let Some(flaw) = save.floors.iter().find_map(Floor::flaw) {
            return Err(LoadError::Malformed(flaw));
        }
        let count = save.floors.len();
        let floors: BTreeMap<u8, Floor> = save.floors.into_iter().map(|f| (f.depth, f)).collect();
        if floors.len() != count {
            return Err(LoadError::Malformed("a floor is there twice".into()));
        }
        for (id, player) in &save.core.players {
            if let Some(c) = &player.character {
                let floor = floors
                    .get(&c.depth)
                    .ok_or(LoadError::MissingFloor(c.depth))?;
                if !floor.contains(c.pos) {
                    let why = format!("{}'s character stands off floor {}", id.short(), c.depth);
                    return Err(LoadError::Malformed(why));
                }
            }
        }
        if let Some(flaw) = parties_flaw(&save.core) {
            return Err(LoadError::Malformed(flaw));
        }
        Ok(World::from_core(save.core, floors))
    }

    // ----- getters -----

    pub fn name(&self) -> &str {
        &self.core.name
    }

    pub fn seed(&self) -> u64 {
        self.core.seed
    }

    pub fn tick(&self) -> Tick {
        self.core.tick
    }

    pub fn tick_rate(&self) -> TickRate {
        self.core.tick_rate
    }

    pub fn player(&self, id: &PlayerId) -> Option<&Player> {
        self.core.players.get(id)
    }

    pub fn players(&self) -> impl Iterator<Item = (&PlayerId, &Player)> {
        self.core.players.iter()
    }

    pub fn floor(&self, depth: u8) -> Option<&Floor> {
        self.floors.get(&depth)
    }

    pub fn floors(&self) -> impl Iterator<Item = &Floor> {
        self.floors.values()
    }

    pub fn economy(&self) -> &Economy {
        &self.core.economy
    }

    pub fn chat(&self) -> &VecDeque<ChatLine> {
        &self.core.chat
    }

    /// The open trade with this id.
    pub fn trade(&self, id: u64) -> Option<&crate::trade::Trade> {
        self.core.trades.get(&id)
    }

    /// The open trade `player` is in, if any.
    pub fn trade_of(&self, player: &PlayerId) -> Option<&crate::trade::Trade> {
        self.core
            .trades
            .values()
            .find(|t| t.a == *player || t.b == *player)
    }

    /// What `party` sees on floor `depth` right now.
    pub fn party_sight(&self, party: PartyId, depth: u8) -> Option<&Grid<bool>> {
        self.party_sight.get(&(party, depth))
    }

    /// The cells (row-major indices) whose memory of floor `depth` changed for `party` in the
    /// last tick: what trackers compare instead of the whole floor.
    pub fn remembered_now(&self, party: PartyId, depth: u8) -> &[u32] {
        self.remembered_now
            .get(&(party, depth))
            .map_or(&[], Vec::as_slice)
    }

    /// Whether a client holding `party`'s memory of floor `depth` and the characters in sight
    /// works out exactly the party's sight with [`crate::view::derive_sight`].
    pub fn sight_derivable(&self, party: PartyId, depth: u8) -> bool {
        self.sight_derivable
            .get(&(party, depth))
            .copied()
            .unwrap_or(false)
    }

    /// How far `player`'s character sees: its class, and what its gear adds (0 without one).
    pub fn sight_radius(&self, player: &PlayerId) -> u16 {
        self.player(player)
            .and_then(|p| p.character.as_ref())
            .map_or(0, |c| sight_with(c, self.gear_of(player).sight))
    }

    /// The cells from which a monster sees `player`'s character: its line of sight, which on
    /// a dark floor reaches past what the character itself sees ([`crate::light`]).
    pub fn line_of_sight(&self, player: &PlayerId) -> Option<&Grid<bool>> {
        self.los.get(player).or_else(|| self.sight.get(player))
    }

    /// What one player's character sees right now (empty when not connected).
    pub fn sight_of(&self, player: &PlayerId) -> Option<&Grid<bool>> {
        self.sight.get(player)
    }

    /// The events of the last tick.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Trades completed since the last call, in order: the world's trade history, which the
    /// host stores as rows keyed by trade id rather than keeping it in memory.
    pub fn take_trades(&mut self) -> Vec<TradeRecord> {
        std::mem::take(&mut self.completed_trades)
    }

    /// Leaderboard facts since the last call, in order (see [`Fact`]).
    pub fn take_facts(&mut self) -> Vec<Fact> {
        std::mem::take(&mut self.facts)
    }

    /// Number of connected players.
    pub fn connected_count(&self) -> usize {
        self.core.players.values().filter(|p| p.connected).count()
    }

    /// What a player's worn gear adds (another class's weapon gives half:
    /// [`Recipe::stats_for`]).
    pub fn gear_of(&self, player: &PlayerId) -> GearStats {
        let Some(c) = self.player(player).and_then(|p| p.character.as_ref()) else {
            return GearStats::default();
        };
        c.equipped
            .values()
            .filter_map(|id| self.core.economy.item(*id))
            .filter_map(|(_, item)| match item.kind {
                ItemKind::Gear(recipe) => Some(recipe.stats_for(item.quality, c.class)),
                ItemKind::Heart | ItemKind::Consumable(_) | ItemKind::Key => None,
            })
            .fold(GearStats::default(), |a, b| a + b)
    }

    /// SHA-256 over the complete persistent state (core and every floor, in depth order).
    pub fn state_hash(&self) -> StateHash {
        state_hash(&self.core, self.floors.values())
    }

    /// A save holding the core (with the economy) and every floor: a checkpoint.
    pub fn full_save(&self) -> WorldSave {
        WorldSave {
            core: self.core.clone(),
            floors: self.floors.values().cloned().collect(),
        }
    }

    // ----- the tick -----

    /// Advances the world by one tick. The phases, in order:
    ///
    /// 1. [`apply_inputs`](Self::apply_inputs): connects, disconnects, character creation, chat,
    ///    trades, and actions into each player's one-slot queue, in the order given.
    /// 2. [`finish_channels`](Self::finish_channels): mining and crafting that end now yield.
    /// 3. [`start_actions`](Self::start_actions): every ready character starts its queued action,
    ///    in player-id order.
    /// 4. [`run_monsters`](Self::run_monsters): every due monster on a floor with a connected
    ///    character acts, in floor then entity-id order.
    /// 5. [`update_life`](Self::update_life): downed timers, revives, regeneration, expiring wards.
    /// 6. [`rotate_spawns`](Self::rotate_spawns): the stalest ore spawn is replaced when due.
    /// 7. [`update_vision`](Self::update_vision): fields of view and the party's memory.
    ///
    /// Then the tick counter advances.
    pub fn handle_tick(&mut self, inputs: &[Input]) {
        self.events.clear();
        self.memory_merged.clear();
        self.apply_inputs(inputs);
        self.finish_channels();
        self.start_actions();
        self.run_monsters();
        self.update_life();
        self.rotate_spawns();
        self.update_vision();
        self.core.tick = self.core.tick.next();
    }

    /// Phase 1.
    fn apply_inputs(&mut self, inputs: &[Input]) {
        for input in inputs {
            match input {
                Input::Connect { player, name } => self.connect(*player, name),
                Input::Disconnect { player, why } => self.disconnect(*player, *why),
                Input::CreateCharacter { player, class } => self.create_character(*player, *class),
                Input::Act {
                    player,
                    seq,
                    action,
                } => {
                    if let Some(p) = self.core.players.get_mut(player)
                        && p.connected
                        && p.character.is_some()
                    {
                        p.queued = Some((*seq, action.get().clone()));
                    }
                }
                Input::Chat { player, text } => {
                    let name = self
                        .core
                        .players
                        .get(player)
                        .filter(|p| p.connected)
                        .map(|p| p.name.clone());
                    if let Some(name) = name {
                        self.chat_line(name, text);
                    }
                }
                Input::WatcherChat { name, text } => {
                    let name = sanitize(name, MAX_NAME_CHARS);
                    self.chat_line(format!("{name} (watching)"), text);
                }
                Input::Trade { player, trade } => self.handle_trade(*player, trade.get()),
                Input::SetTickRate(rate) => self.core.tick_rate = *rate,
                Input::Forget { player } => self.forget(*player),
                Input::Party { player, cmd } => self.handle_party(*player, cmd),
            }
        }
    }

    fn connect(&mut self, id: PlayerId, name: &str) {
        if self.core.players.get(&id).is_some_and(|p| p.connected) {
            return;
        }
        let mut name = sanitize(name, MAX_NAME_CHARS);
        if name.is_empty() {
            name = format!("player-{}", &id.short()[..4]);
        }
        let name = self.unique_name(id, name);
        let returning = self.core.players.contains_key(&id);
        if !returning {
            self.place_newcomer(id);
        }
        let player = self.core.players.entry(id).or_insert_with(|| Player {
            name: name.clone(),
            connected: false,
            character: None,
            last_seq: 0,
            queued: None,
            stats: PlayerStats::default(),
            left_at: Tick::ZERO,
            known: BTreeSet::new(),
        });
        if player.connected {
            return;
        }
        if !returning {
            self.pool_knowledge(id);
        }
        // Still absent here, so its own cell counts as free and anyone else's as taken.
        if !self.is_present(&self.core.players[&id]) {
            self.step_aside(id);
        }
        let player = self.core.players.get_mut(&id).expect("inserted above");
        player.connected = true;
        player.name = name.clone();
        player.queued = None;
        self.emit(Scope::Everyone, EventKind::Joined { name, returning });
    }

    fn forget(&mut self, id: PlayerId) {
        let Some(p) = self.core.players.get(&id) else {
            return;
        };
        let nothing_here = !p.connected
            && p.character.is_none()
            && p.stats == PlayerStats::default()
            && self.core.economy.stacks(Place::Vault(id)).is_empty()
            && self.core.economy.stacks(Place::Pack(id)).is_empty();
        if nothing_here {
            self.core.players.remove(&id);
            self.leave_party(id);
        }
    }

    /// Whether `player` joined but never made a character (and so left nothing here).
    pub fn never_played(&self, player: &PlayerId) -> bool {
        self.core
            .players
            .get(player)
            .is_some_and(|p| p.character.is_none() && p.stats == PlayerStats::default())
    }

    /// `wanted`, or `wanted (2)`, `wanted (3)`… (cut to fit) when another player of this world
    /// already goes by it (compared without case): names are unique in a world, so nobody can
    /// pass for somebody else and `/trade NAME` means one player.
    fn unique_name(&self, id: PlayerId, wanted: String) -> String {
        let taken = |candidate: &str| {
            let key = crate::text::name_key(candidate);
            self.core
                .players
                .iter()
                .any(|(other, p)| *other != id && crate::text::name_key(&p.name) == key)
        };
        if !taken(&wanted) {
            return wanted;
        }
        (2..)
            .map(|n| {
                let suffix = format!(" ({n})");
                let room = MAX_NAME_CHARS.saturating_sub(suffix.chars().count());
                let base: String = wanted.chars().take(room).collect();
                format!("{}{suffix}", base.trim_end())
            })
            .find(|candidate| !taken(candidate))
            .expect("some suffix is free")
    }

    fn disconnect(&mut self, id: PlayerId, why: Departure) {
        let Some(player) = self.core.players.get_mut(&id) else {
            return;
        };
        if !player.connected {
            return;
        }
        player.connected = false;
        player.left_at = self.core.tick;
        player.queued = None;
        let name = player.name.clone();
        if let Some(c) = player.character.as_mut() {
            c.channel = None;
        }
        self.cancel_trades_of(id, TradeEnd::Left(name.clone()));
        let lingering = self.is_present(&self.core.players[&id]);
        let left = EventKind::Left {
            name,
            why,
            lingering,
        };
        self.emit(Scope::Everyone, left);
    }

    /// A returning (still absent) character whose cell someone took while it was away moves to
    /// the nearest free cell.
    fn step_aside(&mut self, id: PlayerId) {
        let Some((depth, pos)) = self.place_of(id) else {
            return;
        };
        if self.occupant(depth, pos).is_some() {
            let free = self.free_cell_near(depth, pos);
            self.set_position(id, depth, free);
        }
    }

    fn create_character(&mut self, id: PlayerId, class: Class) {
        match self.core.players.get(&id) {
            Some(p) if p.connected && p.character.is_none() => {}
            _ => return,
        }
        self.ensure_floor(1);
        let entrance = self.floors[&1].stairs_up;
        self.repopulate(1, entrance);
        let pos = self.free_cell_near(1, entrance);
        let entity = self.new_entity();
        let tick = self.core.tick;
        let player = self.core.players.get_mut(&id).expect("checked above");
        player.character = Some(Character::new(entity, class, 1, pos, tick));
        let first = player.stats.deepest == 0;
        player.stats.deepest = player.stats.deepest.max(1);
        if first {
            self.note_fact(id, FactKind::Deepest { floor: 1 });
        }
        let player = self.core.players.get(&id).expect("checked above");
        let name = player.name.clone();
        self.emit(Scope::Everyone, EventKind::EnteredDungeon { name, class });
    }

    fn chat_line(&mut self, name: String, text: &str) {
        let text = sanitize(text, MAX_CHAT_CHARS);
        if text.is_empty() {
            return;
        }
        if self.core.chat.len() == CHAT_LINES {
            self.core.chat.pop_front();
        }
        self.core.chat.push_back(ChatLine {
            tick: self.core.tick,
            name: name.clone(),
            text: text.clone(),
        });
        self.emit(Scope::Everyone, EventKind::Chat { name, text });
    }

    /// Phase 3.
    fn start_actions(&mut self) {
        let now = self.core.tick;
        let ready: Vec<(PlayerId, u32, Action)> = self
            .core
            .players
            .iter()
            .filter_map(|(id, p)| {
                let c = p.character.as_ref()?;
                let (seq, action) = p.queued.clone()?;
                (p.connected && c.ready_at <= now && c.channel.is_none())
                    .then_some((*id, seq, action))
            })
            .collect();
        for (id, seq, action) in ready {
            let player = self.core.players.get_mut(&id).expect("collected above");
            player.queued = None;
            player.last_seq = seq;
            self.perform(id, action);
        }
    }

    /// Phase 6: every [`ROTATION_MS`](crate::ore::ROTATION_MS) the stalest class gets a new
    /// spawn; veins mined from then on yield it.
    fn rotate_spawns(&mut self) {
        if self.core.tick < self.core.next_rotation {
            return;
        }
        let class = self.core.economy.spawns.stalest();
        if let Some(spawn) = self.new_spawn(class) {
            self.emit(Scope::Everyone, EventKind::NewSpawn { class, spawn });
        }
        self.core.next_rotation = self.core.tick + self.ticks(crate::ore::ROTATION_MS);
    }

    fn new_spawn(&mut self, class: crate::ore::OreClass) -> Option<String> {
        let id = self.core.economy.spawns.next_id();
        let spawn = crate::ore::roll_spawn(id, class, self.core.tick, &mut self.core.spawn_rng);
        let name = spawn.name.clone();
        self.record(Entry::SpawnAppeared(spawn)).then_some(name)
    }

    /// Phase 7: sight for every character in the world (connected, or left in combat), its
    /// union per party and floor, and each party's memory.
    fn update_vision(&mut self) {
        self.sight.clear();
        self.los.clear();
        self.remembered_now.clear();
        // Each with how far it sees, and how far in the dark (farther with a lantern).
        let viewers: Vec<(PlayerId, PartyId, u8, Pos, u16, i32)> = self
            .present_players()
            .filter_map(|(id, p)| {
                let c = p.character.as_ref()?;
                let party = self.party_of(id)?;
                // The gear looked up once for both.
                let light = self.gear_of(id).sight;
                let dark = crate::light::dark_sight(light);
                Some((*id, party, c.depth, c.pos, sight_with(c, light), dark))
            })
            .collect();
        // Who looks from where, per party and floor (what a client derives sight from).
        let mut lookouts: BTreeMap<(PartyId, u8), Vec<(Pos, u16)>> = BTreeMap::new();
        for &(_, party, depth, origin, radius, _) in &viewers {
            let radius = radius.min(u16::from(u8::MAX));
            lookouts
                .entry((party, depth))
                .or_default()
                .push((origin, radius));
        }
        // Grids of parties no longer on a floor go; the rest are reused.
        self.party_sight.retain(|key, _| lookouts.contains_key(key));
        for grid in self.party_sight.values_mut() {
            grid.fill(false);
        }
        for &(id, party_id, depth, origin, radius, dark) in &viewers {
            let Some(floor) = self.floors.get_mut(&depth) else {
                continue;
            };
            let mut sight = Grid::new(floor.width(), floor.height(), false);
            let lit = self
                .light
                .entry(depth)
                .or_insert_with(|| crate::light::lit_cells(floor));
            // Only a dark floor needs the line of sight apart from what is seen.
            let mut los = lit
                .as_ref()
                .map(|_| Grid::new(floor.width(), floor.height(), false));
            let glowing: Vec<Pos> = match lit {
                Some(_) => floor
                    .monsters
                    .values()
                    .filter(|m| m.windup.is_some() || m.target.is_some())
                    .map(|m| m.pos)
                    .collect(),
                None => Vec::new(),
            };
            fov::compute(
                origin,
                radius,
                |p| floor.tile(p).blocks_sight(),
                |p| {
                    let shown = match lit {
                        None => true,
                        Some(lit) => {
                            if let Some(los) = los.as_mut() {
                                los.set(p, true);
                            }
                            p.chebyshev(origin) <= dark
                                || lit.get(p) == Some(&true)
                                || glowing.contains(&p)
                        }
                    };
                    if shown {
                        sight.set(p, true);
                    }
                },
            );
            if let Some(los) = los {
                self.los.insert(id, los);
            }
            let party = self
                .party_sight
                .entry((party_id, depth))
                .or_insert_with(|| Grid::new(floor.width(), floor.height(), false));
            for (i, seen) in sight.cells().iter().enumerate() {
                if *seen {
                    let p = sight.pos_of(i);
                    party.set(p, true);
                    if floor.remember(party_id, p) {
                        self.remembered_now
                            .entry((party_id, depth))
                            .or_default()
                            .push(i as u32);
                    }
                }
            }
            self.sight.insert(id, sight);
        }
        // Would a client work the same sight out from what it is sent?
        self.sight_derivable.clear();
        for (&(party_id, depth), party) in &self.party_sight {
            let Some(floor) = self.floors.get(&depth) else {
                continue;
            };
            let memory = floor.memory(party_id);
            let on_floor = lookouts.get(&(party_id, depth)).into_iter().flatten();
            let derived = crate::view::derive_sight(
                floor.width(),
                floor.height(),
                |p| memory.and_then(|m| m.get(p).copied().flatten()),
                on_floor.copied(),
            );
            self.sight_derivable
                .insert((party_id, depth), derived.as_slice() == party.cells());
        }
        self.tell_of_lodes();
    }

    /// A party whose memory took in a lode this tick, and held none of it before, is told
    /// what it is (its class, and that its band sleeps there).
    fn tell_of_lodes(&mut self) {
        let mut spotted = Vec::new();
        for (&(party, depth), cells) in &self.remembered_now {
            let Some(floor) = self.floors.get(&depth) else {
                continue;
            };
            let tiles = floor.tiles();
            let new = cells
                .iter()
                .filter(|i| tiles.cells().get(**i as usize) == Some(&Tile::Lode))
                .count();
            if new == 0 {
                continue;
            }
            let known = floor.memory(party).map_or(0, |m| {
                m.cells().iter().filter(|t| **t == Some(Tile::Lode)).count()
            });
            if known == new {
                spotted.push((party, depth));
            }
        }
        for (party, depth) in spotted {
            let class = mapgen::lode_class(depth);
            self.emit(Scope::Party(party), EventKind::LodeSeen { class, depth });
        }
    }

    // ----- helpers shared by the phases -----

    pub(crate) fn emit(&mut self, scope: Scope, kind: EventKind) {
        self.events.push(Event { scope, kind });
    }

    /// Records a leaderboard fact for `player`'s current character.
    pub(crate) fn note_fact(&mut self, player: PlayerId, kind: FactKind) {
        let Some(p) = self.core.players.get(&player) else {
            return;
        };
        let Some(c) = p.character.as_ref() else {
            return;
        };
        self.facts.push(Fact {
            player,
            name: p.name.clone(),
            class: c.class,
            kind,
        });
    }

    /// Applies an economy entry. `false` (and nothing changes) when the entry does not apply;
    /// callers only build entries they have checked. A completed trade also enters the history
    /// the host takes with [`World::take_trades`].
    ///
    /// A pack that receives ore withdrawn from a vault, or an item made from it, from anywhere
    /// but its own vault (a pickup, a trade) makes its character impure: the taint follows
    /// the ore (a withdrawal itself is told by [`World::withdraw`]).
    pub(crate) fn record(&mut self, entry: Entry) -> bool {
        if self.core.economy.apply(&entry).is_err() {
            return false;
        }
        let receivers = match &entry {
            Entry::Moved {
                from,
                to: Place::Pack(p),
                ..
            } if !matches!(from, Place::Vault(_)) => vec![*p],
            Entry::Traded(record) => vec![record.a, record.b],
            _ => vec![],
        };
        for p in receivers {
            if !self.core.economy.holds_taint(Place::Pack(p)) {
                continue;
            }
            let newly = self
                .character_mut(&p)
                .is_some_and(|c| !std::mem::replace(&mut c.impure, true));
            if newly {
                self.tell(p, crate::event::Notice::Tainted);
            }
        }
        if let Entry::Traded(record) = entry {
            self.completed_trades.push(record);
        }
        true
    }

    /// A new item's id: never one an item of this world had before.
    pub(crate) fn new_item_id(&mut self) -> ItemId {
        let id = self.core.economy.next_item_id().0.max(self.core.next_item);
        self.core.next_item = id + 1;
        ItemId(id)
    }

    pub(crate) fn new_entity(&mut self) -> EntityId {
        let id = EntityId(self.core.next_entity);
        self.core.next_entity += 1;
        id
    }

    pub(crate) fn now(&self) -> Tick {
        self.core.tick
    }

    pub(crate) fn ticks(&self, ms: u32) -> u64 {
        self.core.tick_rate.ticks(ms)
    }

    pub(crate) fn combat_rng(&mut self) -> &mut Rng {
        &mut self.core.combat_rng
    }

    pub(crate) fn ai_rng(&mut self) -> &mut Rng {
        &mut self.core.ai_rng
    }

    pub(crate) fn craft_rng(&mut self) -> &mut Rng {
        &mut self.core.craft_rng
    }

    pub(crate) fn players_mut(&mut self) -> &mut BTreeMap<PlayerId, Player> {
        &mut self.core.players
    }

    pub(crate) fn character_mut(&mut self, id: &PlayerId) -> Option<&mut Character> {
        self.core
            .players
            .get_mut(id)
            .and_then(|p| p.character.as_mut())
    }

    pub(crate) fn trades_mut(&mut self) -> &mut BTreeMap<u64, crate::trade::Trade> {
        &mut self.core.trades
    }

    pub(crate) fn next_trade_id(&mut self) -> u64 {
        let id = self.core.next_trade;
        self.core.next_trade += 1;
        id
    }

    pub(crate) fn floor_mut(&mut self, depth: u8) -> Option<&mut Floor> {
        self.floors.get_mut(&depth)
    }

    /// Generates floor `depth` if nobody has been there yet: its monsters, its veins (into the
    /// economy, which keeps any depletion it already knows of), and on the last floor the Heart
    /// of the Deep with its guardian when the Heart is not somewhere already.
    pub(crate) fn ensure_floor(&mut self, depth: u8) {
        if self.floors.contains_key(&depth) {
            return;
        }
        let generated = mapgen::generate(self.core.seed, depth);
        let mut floor = generated.floor;
        let first_act = self.core.tick;
        floor.visited_at = first_act;
        let spawns = self.scaled_spawns(generated.spawns);
        // Which sleep draws from a stream of its own: the rest rolls as before.
        let mut sleep = Rng::for_stream(self.core.seed, Stream::Sleep { depth });
        for (kind, pos) in spawns {
            let id = self.new_entity();
            let delay = self.core.ai_rng.below(10) as u64;
            let mut monster = Monster::new(id, kind, pos, first_act + delay);
            monster.asleep = kind.stats().role != crate::monster::Role::Guardian
                && sleep.percent(crate::ai::ASLEEP_PERCENT);
            floor.monsters.insert(id, monster);
        }
        // The lode's band sleeps by its veins until woken, as many for one as for eight.
        for (kind, pos) in generated.lode.iter().flat_map(|l| &l.guards) {
            if floor.monsters.values().any(|m| m.pos == *pos) {
                continue;
            }
            let id = self.new_entity();
            let mut monster = Monster::new(id, *kind, *pos, first_act);
            monster.asleep = true;
            floor.monsters.insert(id, monster);
        }
        self.floors.insert(depth, floor);
        self.record(Entry::VeinsFound {
            depth,
            veins: generated.veins,
        });
        if let Some(pos) = generated.heart {
            self.place_heart(depth, pos);
        }
        self.scatter_loot(depth);
        if let Some(vault) = &generated.vault {
            self.stock_vault(depth, vault);
        }
    }

    /// Floor `depth`, as a character arrives at `near`: if nobody in the world has stood on it
    /// for [`REPOPULATE_MS`] or more, it gains a monster (with its kin) for each such stretch,
    /// [`REPOPULATE_MAX`] at most at once and never past the number it was made with
    /// ([`mapgen::spawn_count`]): a cleared floor does not stay empty over long absences.
    /// They come at least [`REPOPULATE_AWAY`] cells from `near`, awake or asleep as a new
    /// floor's are.
    pub(crate) fn repopulate(&mut self, depth: u8, near: Pos) {
        let now = self.core.tick;
        let here = self
            .present_players()
            .filter_map(|(_, p)| p.character.as_ref())
            .any(|c| c.depth == depth);
        let Some(floor) = self.floors.get(&depth) else {
            return;
        };
        let stretches = (now.0.saturating_sub(floor.visited_at.0)) / self.ticks(REPOPULATE_MS);
        let kinds = crate::monster::MonsterKind::at_depth(depth);
        if here || stretches == 0 || kinds.is_empty() {
            return;
        }
        let open: Vec<Pos> = floor
            .tiles()
            .positions()
            .filter(|p| floor.tile(*p) == Tile::Floor && p.chebyshev(near) >= REPOPULATE_AWAY)
            .collect();
        if open.is_empty() {
            return;
        }
        let wanted = (stretches as usize).min(REPOPULATE_MAX);
        let mut added = 0;
        for _ in 0..wanted * 10 {
            let full = self.floors[&depth].monsters.len() >= mapgen::spawn_count(depth);
            if added == wanted || full {
                break;
            }
            let at = open[self.core.ai_rng.below(open.len() as u32) as usize];
            if self.occupant(depth, at).is_some() {
                continue;
            }
            let kind = kinds[self.core.ai_rng.below(kinds.len() as u32) as usize];
            self.spawn_band(depth, kind, at);
            added += 1;
        }
        if let Some(floor) = self.floors.get_mut(&depth) {
            floor.visited_at = now;
        }
    }

    /// A monster of `kind` at `pos` on floor `depth` with its pack or band
    /// ([`crate::monster::MonsterKind::escort`]) beside it; their ids, the leader's first.
    pub(crate) fn spawn_band(
        &mut self,
        depth: u8,
        kind: crate::monster::MonsterKind,
        pos: Pos,
    ) -> Vec<EntityId> {
        let mut band = vec![self.spawn_at(depth, kind, pos)];
        for &kin in kind.escort(depth) {
            let beside = self.free_cell_near(depth, pos);
            if beside != pos {
                band.push(self.spawn_at(depth, kin, beside));
            }
        }
        band
    }

    /// Where the Heart of the Deep lies when it is at home on the deepest floor: where the
    /// floor's generation put it. A world that made its floor 12 before floors grew (BALANCE
    /// change 24) keeps that floor's smaller layout, which today's generation does not match:
    /// there the home is the floor cell of the saved floor nearest that place.
    pub(crate) fn heart_home(&self) -> Option<Pos> {
        let deepest = crate::floor::DEEPEST_FLOOR;
        let home = mapgen::generate(self.seed(), deepest).heart?;
        let Some(floor) = self.floors.get(&deepest) else {
            return Some(home);
        };
        if floor.tiles().contains(home) && floor.tile(home).is_walkable() {
            return Some(home);
        }
        floor
            .tiles()
            .positions()
            .filter(|p| floor.tile(*p) == Tile::Floor)
            .min_by_key(|p| (p.chebyshev(home), *p))
    }

    /// A monster of `kind` on floor `depth` at `pos`, awake or asleep as a new floor's are.
    fn spawn_at(&mut self, depth: u8, kind: crate::monster::MonsterKind, pos: Pos) -> EntityId {
        let id = self.new_entity();
        let delay = self.core.ai_rng.below(10) as u64;
        let mut monster = Monster::new(id, kind, pos, self.core.tick + delay);
        monster.asleep = self.core.ai_rng.percent(crate::ai::ASLEEP_PERCENT);
        if let Some(floor) = self.floors.get_mut(&depth) {
            floor.monsters.insert(id, monster);
        }
        id
    }

    /// A new floor's monsters for the characters in the world when it is first entered: the
    /// generated number suits a party; a lone character meets two thirds of it. A bigger party
    /// meets no more monsters, but tougher ones ([`crate::monster::toughness`]), so a fourth
    /// friend adds a fourth hand, not a fourth of the floor's monsters again.
    fn scaled_spawns(
        &self,
        mut spawns: Vec<(crate::monster::MonsterKind, Pos)>,
    ) -> Vec<(crate::monster::MonsterKind, Pos)> {
        let characters = self
            .present_players()
            .filter(|(_, p)| p.character.is_some())
            .count();
        if characters <= 1 {
            spawns.truncate(spawns.len() * 2 / 3);
        }
        spawns
    }

    /// Which cells of floor `depth` a monster or a character stands on (`occupant` of every
    /// cell at once: one pass over the creatures).
    pub(crate) fn occupancy(&self, depth: u8) -> Grid<bool> {
        let Some(floor) = self.floors.get(&depth) else {
            return Grid::new(0, 0, false);
        };
        let mut grid = Grid::new(floor.width(), floor.height(), false);
        for m in floor.monsters.values() {
            grid.set(m.pos, true);
        }
        for c in self
            .present_players()
            .filter_map(|(_, p)| p.character.as_ref())
        {
            if c.depth == depth {
                grid.set(c.pos, true);
            }
        }
        grid
    }

    /// Who or what occupies `p` on floor `depth`. Absent characters occupy nothing: anyone
    /// walks through where they stand, and they are put beside it when they return.
    pub(crate) fn occupant(&self, depth: u8, p: Pos) -> Option<Occupant> {
        if let Some(m) = self.floors.get(&depth).and_then(|f| f.monster_at(p)) {
            return Some(Occupant::Monster(m.id));
        }
        self.present_players().find_map(|(id, pl)| {
            let c = pl.character.as_ref()?;
            (c.depth == depth && c.pos == p).then_some(Occupant::Character(*id))
        })
    }

    /// The player whose character is entity `id`.
    pub(crate) fn player_by_entity(&self, id: EntityId) -> Option<PlayerId> {
        self.core
            .players
            .iter()
            .find_map(|(pid, p)| (p.character.as_ref()?.id == id).then_some(*pid))
    }

    /// The walkable, unoccupied cell nearest to `target` (breadth-first), or `target` itself.
    pub(crate) fn free_cell_near(&self, depth: u8, target: Pos) -> Pos {
        let Some(floor) = self.floors.get(&depth) else {
            return target;
        };
        let mut seen = BTreeSet::from([target]);
        let mut queue = std::collections::VecDeque::from([target]);
        while let Some(p) = queue.pop_front() {
            if floor.tile(p).is_walkable() && self.occupant(depth, p).is_none() {
                return p;
            }
            for d in Dir::ALL {
                let n = p.step(d);
                if floor.tiles().contains(n) && floor.tile(n).is_walkable() && seen.insert(n) {
                    queue.push_back(n);
                }
            }
            if seen.len() > 4096 {
                break;
            }
        }
        target
    }

    /// The pack of `player` as goods (everything they carry).
    pub(crate) fn everything_carried(&self, player: PlayerId) -> Goods {
        Goods {
            stacks: self.core.economy.stacks(Place::Pack(player)),
            items: self
                .core
                .economy
                .items_at(Holder::Carried(player))
                .iter()
                .map(|i| i.id)
                .collect(),
        }
    }
}

/// What stands in a cell.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Occupant {
    Monster(EntityId),
    Character(PlayerId),
}

#[cfg(any(test, feature = "fixtures"))]
#[path = "fixtures.rs"]
mod fixtures;

#[cfg(test)]
#[path = "world_tests.rs"]
mod tests;
