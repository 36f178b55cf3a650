//! The world: one persistent campaign, advanced one tick at a time by [`World::handle_tick`].
//!
//! Invariant: the world is a pure function of its seed and the ordered inputs of every tick.
//! Nothing here reads a clock, draws entropy, or iterates a hash map; [`World::state_hash`]
//! proves it in tests, and the host relies on it for saves.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::class::Class;
use crate::event::{Event, Scope, Tone};
use crate::floor::{Floor, Grid};
use crate::fov;
use crate::geom::{Dir, Pos};
use crate::ids::{EntityId, PlayerId, hex};
use crate::mapgen;
use crate::monster::{Monster, MonsterKind};
use crate::rng::{Rng, Stream};
use crate::text::sanitize;
use crate::tick::{Tick, TickRate};
use crate::tile::Tile;

/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 16;
/// How long a downed character waits for help before dying.
pub const DOWNED_MS: u32 = 15_000;
/// How long an ally must stand next to a downed character to revive it.
pub const REVIVE_MS: u32 = 3_000;
pub const MOVE_MS: u32 = 200;
pub const ATTACK_MS: u32 = 250;
/// Downed characters crawl at a third of walking speed.
pub const CRAWL_MS: u32 = 600;
const HP_REGEN_MS: u32 = 3_000;
const MANA_REGEN_MS: u32 = 1_000;

/// Something a player asks their character to do.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Step, open a door, or attack whatever stands there.
    Move(Dir),
    /// Let one move's worth of time pass.
    Wait,
    /// Take the stairs down (must stand on them).
    Descend,
    /// Take the stairs up (must stand on them).
    Ascend,
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
        action: Action,
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
}

impl Character {
    pub fn max_hp(&self) -> u16 {
        self.class.stats().max_hp
    }

    pub fn max_mana(&self) -> u16 {
        self.class.stats().max_mana
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
    next_entity: u64,
    pub players: BTreeMap<PlayerId, Player>,
}

/// A save of a world: the core plus some floors (all of them, or only those changed since the
/// previous save). Loading needs every floor ever saved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorldSave {
    pub core: Core,
    pub floors: Vec<Floor>,
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
}

/// One persistent campaign.
#[derive(Clone, Debug)]
pub struct World {
    core: Core,
    floors: BTreeMap<u8, Floor>,
    // Derived state below: never saved, never hashed, rebuilt from the above.
    /// Each connected character's field of view.
    sight: BTreeMap<PlayerId, Grid<bool>>,
    /// Per floor, the union of the party's sight there.
    party_sight: BTreeMap<u8, Grid<bool>>,
    /// Events of the last tick.
    events: Vec<Event>,
    /// Floors changed since the last save.
    dirty: BTreeSet<u8>,
}

impl World {
    /// A new world: floor 1 generated, nobody in it yet.
    pub fn new(name: &str, seed: u64, tick_rate: TickRate) -> World {
        let core = Core {
            name: sanitize(name, 40),
            seed,
            tick_rate,
            tick: Tick::ZERO,
            combat_rng: Rng::for_stream(seed, Stream::Combat),
            ai_rng: Rng::for_stream(seed, Stream::Ai),
            next_entity: 1,
            players: BTreeMap::new(),
        };
        let mut world = World::from_core(core, BTreeMap::new());
        world.ensure_floor(1);
        world
    }

    fn from_core(core: Core, floors: BTreeMap<u8, Floor>) -> World {
        let dirty = floors.keys().copied().collect();
        let mut world = World {
            core,
            floors,
            sight: BTreeMap::new(),
            party_sight: BTreeMap::new(),
            events: Vec::new(),
            dirty,
        };
        world.update_vision();
        world
    }

    /// A world whose first floor is `floor` instead of a generated one: for fixtures and tools.
    /// Deeper floors are still generated from the seed.
    pub fn with_first_floor(name: &str, seed: u64, tick_rate: TickRate, floor: Floor) -> World {
        let mut world = World::new(name, seed, tick_rate);
        world.core.next_entity = 1;
        world.floors.clear();
        let mut floor = floor;
        floor.depth = 1;
        world.floors.insert(1, floor);
        world.dirty.insert(1);
        world
    }

    /// Places a monster of `kind` at `pos` on floor `depth` (fixtures and tools).
    pub fn spawn_monster(&mut self, depth: u8, kind: MonsterKind, pos: Pos) -> Option<EntityId> {
        self.ensure_floor(depth);
        let id = self.new_entity();
        let next = self.core.tick;
        self.floor_mut(depth)?
            .monsters
            .insert(id, Monster::new(id, kind, pos, next));
        Some(id)
    }

    /// An ASCII picture of floor `depth`: tiles as in [`Floor::from_ascii`], characters as `@`
    /// (`%` when downed), monsters by glyph.
    pub fn ascii(&self, depth: u8) -> Vec<String> {
        let Some(floor) = self.floors.get(&depth) else {
            return Vec::new();
        };
        let mut rows: Vec<Vec<char>> = (0..floor.height())
            .map(|y| {
                (0..floor.width())
                    .map(|x| match floor.tile(Pos::new(x as i16, y as i16)) {
                        Tile::Wall => '#',
                        Tile::Floor => '.',
                        Tile::DoorClosed => '+',
                        Tile::DoorOpen => '\'',
                        Tile::StairsDown => '>',
                        Tile::StairsUp => '<',
                    })
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
                put(c.pos, if c.is_downed() { '%' } else { '@' });
            }
        }
        rows.into_iter().map(|r| r.into_iter().collect()).collect()
    }

    /// Rebuilds a world from a complete save (every floor ever generated).
    pub fn from_save(save: WorldSave) -> Result<World, LoadError> {
        let floors: BTreeMap<u8, Floor> = save.floors.into_iter().map(|f| (f.depth, f)).collect();
        for player in save.core.players.values() {
            if let Some(c) = &player.character
                && !floors.contains_key(&c.depth)
            {
                return Err(LoadError::MissingFloor(c.depth));
            }
        }
        let mut world = World::from_core(save.core, floors);
        world.dirty.clear();
        // Memory is saved with the floors, so re-deriving sight must not change it.
        Ok(world)
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

    /// Changes the rate for future durations (a host may resume a world at another rate).
    /// Timers already running keep their tick counts.
    pub fn set_tick_rate(&mut self, rate: TickRate) {
        self.core.tick_rate = rate;
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

    /// What the party sees on floor `depth` right now.
    pub fn party_sight(&self, depth: u8) -> Option<&Grid<bool>> {
        self.party_sight.get(&depth)
    }

    /// What one player's character sees right now (empty when not connected).
    pub fn sight_of(&self, player: &PlayerId) -> Option<&Grid<bool>> {
        self.sight.get(player)
    }

    /// The events of the last tick.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Number of connected players.
    pub fn connected_count(&self) -> usize {
        self.core.players.values().filter(|p| p.connected).count()
    }

    /// SHA-256 over the complete persistent state (core and every floor, in depth order).
    pub fn state_hash(&self) -> StateHash {
        let mut hasher = Sha256::new();
        hasher.update(postcard::to_stdvec(&self.core).expect("in-memory encoding cannot fail"));
        for floor in self.floors.values() {
            hasher.update(postcard::to_stdvec(floor).expect("in-memory encoding cannot fail"));
        }
        StateHash(hasher.finalize().into())
    }

    /// A save holding the core and every floor.
    pub fn full_save(&self) -> WorldSave {
        WorldSave {
            core: self.core.clone(),
            floors: self.floors.values().cloned().collect(),
        }
    }

    /// A save holding the core and the floors changed since the last call; clears the marks.
    /// Cheap enough to call between ticks; encoding and writing happen elsewhere.
    pub fn take_changes(&mut self) -> WorldSave {
        let floors = std::mem::take(&mut self.dirty)
            .into_iter()
            .filter_map(|d| self.floors.get(&d).cloned())
            .collect();
        WorldSave {
            core: self.core.clone(),
            floors,
        }
    }

    // ----- the tick -----

    /// Advances the world by one tick. The phases, in order:
    ///
    /// 1. [`apply_inputs`](Self::apply_inputs): connects, disconnects, character creation, and
    ///    actions into each player's one-slot queue, in the order given.
    /// 2. [`start_actions`](Self::start_actions): every ready character starts its queued action,
    ///    in player-id order.
    /// 3. [`run_monsters`](Self::run_monsters): every due monster on a floor with a connected
    ///    character acts, in floor then entity-id order.
    /// 4. [`update_life`](Self::update_life): downed timers, revives, regeneration.
    /// 5. [`update_vision`](Self::update_vision): fields of view and the party's memory.
    ///
    /// Then the tick counter advances.
    pub fn handle_tick(&mut self, inputs: &[Input]) {
        self.events.clear();
        self.apply_inputs(inputs);
        self.start_actions();
        self.run_monsters();
        self.update_life();
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
                        p.queued = Some((*seq, *action));
                    }
                }
            }
        }
    }

    fn connect(&mut self, id: PlayerId, name: &str) {
        let mut name = sanitize(name, MAX_NAME_CHARS);
        if name.is_empty() {
            name = format!("player-{}", &id.short()[..4]);
        }
        let returning = self.core.players.contains_key(&id);
        let player = self.core.players.entry(id).or_insert_with(|| Player {
            name: name.clone(),
            connected: false,
            character: None,
            last_seq: 0,
            queued: None,
            stats: PlayerStats::default(),
        });
        if player.connected {
            return;
        }
        player.connected = true;
        player.name = name.clone();
        player.queued = None;
        let text = if returning {
            format!("{name} is back.")
        } else {
            format!("{name} joins the party.")
        };
        if let Some(c) = &player.character {
            self.dirty.insert(c.depth);
        }
        self.say(Scope::Everyone, Tone::Good, text);
    }

    fn disconnect(&mut self, id: PlayerId, why: Departure) {
        let Some(player) = self.core.players.get_mut(&id) else {
            return;
        };
        if !player.connected {
            return;
        }
        player.connected = false;
        player.queued = None;
        let name = player.name.clone();
        if let Some(c) = &player.character {
            self.dirty.insert(c.depth);
        }
        let text = match why {
            Departure::Left => format!("{name} leaves; their character waits here, safe."),
            Departure::Lost => format!("{name} lost connection; their character waits, safe."),
        };
        self.say(Scope::Everyone, Tone::Info, text);
    }

    fn create_character(&mut self, id: PlayerId, class: Class) {
        match self.core.players.get(&id) {
            Some(p) if p.connected && p.character.is_none() => {}
            _ => return,
        }
        self.ensure_floor(1);
        let entrance = self.floors[&1].stairs_up;
        let pos = self.free_cell_near(1, entrance);
        let entity = self.new_entity();
        let stats = class.stats();
        let tick = self.core.tick;
        let player = self.core.players.get_mut(&id).expect("checked above");
        player.character = Some(Character {
            id: entity,
            class,
            hp: stats.max_hp,
            mana: stats.max_mana,
            depth: 1,
            pos,
            life: Life::Alive,
            ready_at: tick,
            kills: 0,
        });
        player.stats.deepest = player.stats.deepest.max(1);
        let text = format!("{} enters the dungeon as a {}.", player.name, class.name());
        self.dirty.insert(1);
        self.say(Scope::Everyone, Tone::Good, text);
    }

    /// Phase 2.
    fn start_actions(&mut self) {
        let now = self.core.tick;
        let ready: Vec<(PlayerId, u32, Action)> = self
            .core
            .players
            .iter()
            .filter_map(|(id, p)| {
                let c = p.character.as_ref()?;
                let (seq, action) = p.queued?;
                (p.connected && c.ready_at <= now).then_some((*id, seq, action))
            })
            .collect();
        for (id, seq, action) in ready {
            let player = self.core.players.get_mut(&id).expect("collected above");
            player.queued = None;
            player.last_seq = seq;
            self.perform(id, action);
        }
    }

    /// Phase 4.
    fn update_life(&mut self) {
        let now = self.core.tick;
        let rate = self.core.tick_rate;
        let revive_ticks = rate.ticks(REVIVE_MS);
        let hp_every = rate.ticks(HP_REGEN_MS);
        let mana_every = rate.ticks(MANA_REGEN_MS);
        // Who stands where, to find helpers next to downed characters.
        let helpers: Vec<(u8, Pos)> = self
            .core
            .players
            .values()
            .filter(|p| p.connected)
            .filter_map(|p| p.character.as_ref())
            .filter(|c| !c.is_downed())
            .map(|c| (c.depth, c.pos))
            .collect();
        let mut revived = Vec::new();
        let mut died = Vec::new();
        for (id, player) in self.core.players.iter_mut() {
            if !player.connected {
                continue; // timers of absent players are frozen: their characters are safe.
            }
            let Some(c) = player.character.as_mut() else {
                continue;
            };
            match &mut c.life {
                Life::Downed { left, revive } => {
                    let helped = helpers
                        .iter()
                        .any(|(d, p)| *d == c.depth && p.is_adjacent(c.pos));
                    *revive = if helped { *revive + 1 } else { 0 };
                    *left = left.saturating_sub(1);
                    if *revive >= revive_ticks {
                        c.life = Life::Alive;
                        c.hp = (c.max_hp() / 4).max(1);
                        revived.push(player.name.clone());
                    } else if *left == 0 {
                        died.push(*id);
                    }
                }
                Life::Alive => {
                    if now.0 % hp_every == 0 && c.hp < c.max_hp() {
                        c.hp += 1;
                    }
                    if now.0 % mana_every == 0 && c.mana < c.max_mana() {
                        c.mana += 1;
                    }
                }
            }
        }
        for name in revived {
            self.say(
                Scope::Everyone,
                Tone::Good,
                format!("{name} is back on their feet!"),
            );
        }
        for id in died {
            self.kill_character(id);
        }
    }

    fn kill_character(&mut self, id: PlayerId) {
        let Some(player) = self.core.players.get_mut(&id) else {
            return;
        };
        let Some(c) = player.character.take() else {
            return;
        };
        player.stats.deaths += 1;
        player.queued = None;
        let text = format!(
            "{} the {} has died on floor {}. Their vault remains; a new hero may begin.",
            player.name,
            c.class.name(),
            c.depth
        );
        self.dirty.insert(c.depth);
        self.say(Scope::Everyone, Tone::Bad, text);
    }

    /// Phase 5: sight for every connected character, its union per floor, and party memory.
    fn update_vision(&mut self) {
        self.sight.clear();
        for grid in self.party_sight.values_mut() {
            grid.fill(false);
        }
        let viewers: Vec<(PlayerId, u8, Pos, u16)> = self
            .core
            .players
            .iter()
            .filter(|(_, p)| p.connected)
            .filter_map(|(id, p)| {
                let c = p.character.as_ref()?;
                Some((*id, c.depth, c.pos, c.class.stats().sight))
            })
            .collect();
        for (id, depth, origin, radius) in viewers {
            let Some(floor) = self.floors.get_mut(&depth) else {
                continue;
            };
            let mut sight = Grid::new(floor.width(), floor.height(), false);
            fov::compute(
                origin,
                radius,
                |p| floor.tile(p).blocks_sight(),
                |p| {
                    sight.set(p, true);
                },
            );
            let party = self
                .party_sight
                .entry(depth)
                .or_insert_with(|| Grid::new(floor.width(), floor.height(), false));
            let mut changed = false;
            for (i, seen) in sight.cells().iter().enumerate() {
                if *seen {
                    let p = sight.pos_of(i);
                    party.set(p, true);
                    changed |= floor.remember(p);
                }
            }
            if changed {
                self.dirty.insert(depth);
            }
            self.sight.insert(id, sight);
        }
    }

    // ----- helpers shared by the phases -----

    pub(crate) fn say(&mut self, scope: Scope, tone: Tone, text: String) {
        self.events.push(Event { scope, tone, text });
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

    pub(crate) fn players_mut(&mut self) -> &mut BTreeMap<PlayerId, Player> {
        &mut self.core.players
    }

    pub(crate) fn floor_mut(&mut self, depth: u8) -> Option<&mut Floor> {
        self.dirty.insert(depth);
        self.floors.get_mut(&depth)
    }

    /// Generates floor `depth` if nobody has been there yet.
    pub(crate) fn ensure_floor(&mut self, depth: u8) {
        if self.floors.contains_key(&depth) {
            return;
        }
        let generated = mapgen::generate(self.core.seed, depth);
        let mut floor = generated.floor;
        let first_act = self.core.tick;
        for (kind, pos) in generated.spawns {
            let id = self.new_entity();
            let delay = self.core.ai_rng.below(10) as u64;
            floor
                .monsters
                .insert(id, Monster::new(id, kind, pos, first_act + delay));
        }
        self.floors.insert(depth, floor);
        self.dirty.insert(depth);
    }

    /// Who or what occupies `p` on floor `depth`.
    pub(crate) fn occupant(&self, depth: u8, p: Pos) -> Option<Occupant> {
        if let Some(m) = self.floors.get(&depth).and_then(|f| f.monster_at(p)) {
            return Some(Occupant::Monster(m.id));
        }
        self.core.players.iter().find_map(|(id, pl)| {
            let c = pl.character.as_ref()?;
            (c.depth == depth && c.pos == p).then_some(Occupant::Character(*id))
        })
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
                if floor.tiles().contains(n) && floor.tile(n) != Tile::Wall && seen.insert(n) {
                    queue.push_back(n);
                }
            }
            if seen.len() > 4096 {
                break;
            }
        }
        target
    }
}

/// What stands in a cell.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Occupant {
    Monster(EntityId),
    Character(PlayerId),
}

#[cfg(test)]
#[path = "world_tests.rs"]
mod tests;
