//! Save shapes of older schemas, read once when the store converts a save in place
//! (`store::Store::open`). Each older shape upgrades to the next; the newest upgrade gives
//! today's [`WorldSave`]. Played on from there, the world follows today's rules.

use super::*;
use crate::floor::FloorV3;

/// A character as schemas 3 and 4 hold it: before experience and combat time.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CharacterV4 {
    id: EntityId,
    class: Class,
    hp: u16,
    mana: u16,
    depth: u8,
    pos: Pos,
    life: Life,
    ready_at: Tick,
    kills: u32,
    cooldowns: [Tick; 3],
    shield_wall_until: Tick,
    ward: u16,
    ward_until: Tick,
    equipped: BTreeMap<Slot, ItemId>,
    impure: bool,
    channel: Option<Channel>,
    born: Tick,
}

impl CharacterV4 {
    /// No experience yet; never in combat.
    fn upgrade(self) -> Character {
        Character {
            id: self.id,
            class: self.class,
            hp: self.hp,
            mana: self.mana,
            depth: self.depth,
            pos: self.pos,
            life: self.life,
            ready_at: self.ready_at,
            kills: self.kills,
            cooldowns: self.cooldowns,
            shield_wall_until: self.shield_wall_until,
            ward: self.ward,
            ward_until: self.ward_until,
            equipped: self.equipped,
            impure: self.impure,
            channel: self.channel,
            born: self.born,
            xp: 0,
            combat_at: None,
        }
    }
}

/// A player as schemas 3 and 4 hold it: before the tick of leaving.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct PlayerV4 {
    name: String,
    connected: bool,
    character: Option<CharacterV4>,
    last_seq: u32,
    queued: Option<(u32, Action)>,
    stats: PlayerStats,
}

impl PlayerV4 {
    /// An absent player counts as having left at `now` (the save's tick).
    fn upgrade(self, now: Tick) -> Player {
        Player {
            name: self.name,
            connected: self.connected,
            character: self.character.map(CharacterV4::upgrade),
            last_seq: self.last_seq,
            queued: self.queued,
            stats: self.stats,
            left_at: now,
        }
    }
}

/// The core as saves of schema 4 (parties, before progression) hold it: schema 3's and the
/// parties after it (postcard writes a struct's fields one after the other, nested or not).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CoreV4 {
    base: CoreV3,
    parties: BTreeMap<PartyId, Party>,
    next_party: u32,
    together: bool,
}

/// A world save of schema 4: parties, before experience, combat time and the tick of leaving.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WorldSaveV4 {
    core: CoreV4,
    floors: Vec<Floor>,
}

impl WorldSaveV4 {
    /// The same world with characters at no experience, out of combat, and absent players
    /// counted as having left at the save's tick.
    pub fn upgrade(self) -> WorldSave {
        let CoreV4 {
            base: c,
            parties,
            next_party,
            together,
        } = self.core;
        let now = c.tick;
        let core = Core {
            players: c
                .players
                .into_iter()
                .map(|(id, p)| (id, p.upgrade(now)))
                .collect(),
            name: c.name,
            seed: c.seed,
            tick_rate: c.tick_rate,
            tick: c.tick,
            combat_rng: c.combat_rng,
            ai_rng: c.ai_rng,
            spawn_rng: c.spawn_rng,
            craft_rng: c.craft_rng,
            next_entity: c.next_entity,
            economy: c.economy,
            next_rotation: c.next_rotation,
            trades: c.trades,
            next_trade: c.next_trade,
            chat: c.chat,
            parties,
            next_party,
            together,
        };
        WorldSave {
            core,
            floors: self.floors,
        }
    }
}

/// The core as saves of schema 3 (before parties) hold it.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CoreV3 {
    name: String,
    seed: u64,
    tick_rate: TickRate,
    tick: Tick,
    combat_rng: Rng,
    ai_rng: Rng,
    spawn_rng: Rng,
    craft_rng: Rng,
    next_entity: u64,
    players: BTreeMap<PlayerId, PlayerV4>,
    economy: Economy,
    next_rotation: Tick,
    trades: BTreeMap<u64, crate::trade::Trade>,
    next_trade: u64,
    chat: VecDeque<ChatLine>,
}

/// A world save of schema 3, before parties: the whole world was one party.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WorldSaveV3 {
    core: CoreV3,
    floors: Vec<FloorV3>,
}

impl WorldSaveV3 {
    /// The same world with parties (a together world whose players are all in party 1, which
    /// remembers what the world remembered), then as [`WorldSaveV4::upgrade`] makes it.
    pub fn upgrade(self) -> WorldSave {
        let c = self.core;
        let party = (!c.players.is_empty()).then_some(PartyId(1));
        let parties: BTreeMap<PartyId, Party> = party
            .map(|id| {
                let members = c.players.keys().copied().collect();
                let invited = BTreeSet::new();
                (id, Party { members, invited })
            })
            .into_iter()
            .collect();
        let core = CoreV4 {
            base: c,
            next_party: 1 + parties.len() as u32,
            parties,
            together: true,
        };
        let floors = self.floors.into_iter().map(|f| f.upgrade(party)).collect();
        WorldSaveV4 { core, floors }.upgrade()
    }
}
