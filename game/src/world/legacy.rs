//! Save shapes of older schemas, read once when the store converts a save in place
//! (`store::Store::open`). Each older shape upgrades to the next; the newest upgrade gives
//! today's [`WorldSave`]. Played on from there, the world follows today's rules.

use super::*;
use crate::economy::EconomyV7;
use crate::floor::{FloorV3, FloorV5, FloorV6};

/// A character as schemas 6 and 7 hold it: schema 5's and the speed and detection timers
/// after it; before talents.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CharacterV7 {
    base: CharacterV5,
    hasted_until: Tick,
    detect_until: Tick,
}

impl CharacterV7 {
    /// No talent chosen yet: one reached already is due at once (the sidebar says so).
    fn upgrade(self) -> Character {
        let CharacterV7 {
            base:
                CharacterV5 {
                    base: c,
                    xp,
                    combat_at,
                },
            hasted_until,
            detect_until,
        } = self;
        Character {
            id: c.id,
            class: c.class,
            hp: c.hp,
            mana: c.mana,
            depth: c.depth,
            pos: c.pos,
            life: c.life,
            ready_at: c.ready_at,
            kills: c.kills,
            cooldowns: c.cooldowns,
            shield_wall_until: c.shield_wall_until,
            ward: c.ward,
            ward_until: c.ward_until,
            equipped: c.equipped,
            impure: c.impure,
            channel: c.channel,
            born: c.born,
            xp,
            combat_at,
            hasted_until,
            detect_until,
            talents: [None; 3],
        }
    }
}

/// A player as schemas 6 and 7 hold it.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct PlayerV7 {
    name: String,
    connected: bool,
    character: Option<CharacterV7>,
    last_seq: u32,
    queued: Option<(u32, Action)>,
    stats: PlayerStats,
    left_at: Tick,
    known: BTreeSet<Consumable>,
}

impl PlayerV7 {
    fn upgrade(self) -> Player {
        Player {
            name: self.name,
            connected: self.connected,
            character: self.character.map(CharacterV7::upgrade),
            last_seq: self.last_seq,
            queued: self.queued,
            stats: self.stats,
            left_at: self.left_at,
            known: self.known,
        }
    }
}

/// The core as schemas 6 and 7 hold it: schema 5's (with their players) and the next item id
/// after it; before talents and the withdrawn taint.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CoreV7 {
    base: CoreV4<PlayerV7>,
    next_item: u64,
}

impl CoreV7 {
    fn upgrade(self) -> Core {
        let CoreV7 {
            base:
                CoreV4 {
                    base: c,
                    parties,
                    next_party,
                    together,
                },
            next_item,
        } = self;
        Core {
            name: c.name,
            seed: c.seed,
            tick_rate: c.tick_rate,
            tick: c.tick,
            combat_rng: c.combat_rng,
            ai_rng: c.ai_rng,
            spawn_rng: c.spawn_rng,
            craft_rng: c.craft_rng,
            next_entity: c.next_entity,
            players: c
                .players
                .into_iter()
                .map(|(id, p)| (id, p.upgrade()))
                .collect(),
            economy: c.economy.upgrade(),
            next_rotation: c.next_rotation,
            trades: c.trades,
            next_trade: c.next_trade,
            chat: c.chat,
            parties,
            next_party,
            together,
            next_item,
        }
    }
}

/// A world save of schema 7: specials, terrain and repopulation, before talents and the
/// withdrawn taint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WorldSaveV7 {
    core: CoreV7,
    floors: Vec<Floor>,
}

impl WorldSaveV7 {
    /// The same world where nobody chose a talent yet and no ore or item is marked as out of
    /// a vault (characters who withdrew stay impure).
    pub fn upgrade(self) -> WorldSave {
        WorldSave {
            core: self.core.upgrade(),
            floors: self.floors,
        }
    }
}

/// A character as schema 5 holds it: schema 4's and experience and combat time after it
/// (postcard lays nested fields out as flat ones); before potions of speed and scrolls of
/// detection.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CharacterV5 {
    base: CharacterV4,
    xp: u32,
    combat_at: Option<Tick>,
}

impl CharacterV5 {
    /// Neither hasted nor detecting.
    fn upgrade(self) -> CharacterV7 {
        CharacterV7 {
            base: self,
            hasted_until: Tick::ZERO,
            detect_until: Tick::ZERO,
        }
    }
}

/// A player as schema 5 holds it: before potions and scrolls.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct PlayerV5 {
    name: String,
    connected: bool,
    character: Option<CharacterV5>,
    last_seq: u32,
    queued: Option<(u32, Action)>,
    stats: PlayerStats,
    left_at: Tick,
}

impl PlayerV5 {
    /// Knowing no potion or scroll.
    fn upgrade(self) -> PlayerV7 {
        PlayerV7 {
            name: self.name,
            connected: self.connected,
            character: self.character.map(CharacterV5::upgrade),
            last_seq: self.last_seq,
            queued: self.queued,
            stats: self.stats,
            left_at: self.left_at,
            known: BTreeSet::new(),
        }
    }
}

/// A world save of schema 6: potions, scrolls and sleep, before telegraphed specials and
/// repopulation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WorldSaveV6 {
    core: CoreV7,
    floors: Vec<FloorV6>,
}

impl WorldSaveV6 {
    /// The same world with no monster winding up and every floor as if visited at the save's
    /// tick (none fills up again right after the upgrade), then as [`WorldSaveV7::upgrade`]
    /// makes it.
    pub fn upgrade(self) -> WorldSave {
        let now = self.core.base.base.tick;
        WorldSaveV7 {
            core: self.core,
            floors: self.floors.into_iter().map(|f| f.upgrade(now)).collect(),
        }
        .upgrade()
    }
}

/// A world save of schema 5: progression, before potions and scrolls.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WorldSaveV5 {
    core: CoreV4<PlayerV5>,
    floors: Vec<FloorV5>,
}

impl WorldSaveV5 {
    /// The same world where nobody knows a potion or scroll and none lies anywhere yet
    /// (floors already made keep what they hold; floors made from now on get their share),
    /// and every monster is awake (new floors' monsters may sleep).
    pub fn upgrade(self) -> WorldSave {
        let CoreV4 {
            base,
            parties,
            next_party,
            together,
        } = self.core;
        let now = base.tick;
        let core = CoreV7 {
            base: CoreV4 {
                base: base.map_players(PlayerV5::upgrade),
                parties,
                next_party,
                together,
            },
            next_item: 1,
        };
        WorldSaveV7 {
            core,
            floors: self
                .floors
                .into_iter()
                .map(|f| f.upgrade().upgrade(now))
                .collect(),
        }
        .upgrade()
    }
}

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
    fn upgrade(self) -> CharacterV5 {
        CharacterV5 {
            base: self,
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
    fn upgrade(self, now: Tick) -> PlayerV5 {
        PlayerV5 {
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
/// Schema 5's is the same with its players (`CoreV4<PlayerV5>`).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CoreV4<P = PlayerV4> {
    base: CoreV3<P>,
    parties: BTreeMap<PartyId, Party>,
    next_party: u32,
    together: bool,
}

/// A world save of schema 4: parties, before experience, combat time and the tick of leaving.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WorldSaveV4 {
    core: CoreV4,
    floors: Vec<FloorV5>,
}

impl WorldSaveV4 {
    /// The same world with characters at no experience, out of combat, and absent players
    /// counted as having left at the save's tick.
    pub fn upgrade(self) -> WorldSave {
        let now = self.core.base.tick;
        let CoreV4 {
            base,
            parties,
            next_party,
            together,
        } = self.core;
        let core = CoreV4 {
            base: base.map_players(|p| p.upgrade(now)),
            parties,
            next_party,
            together,
        };
        WorldSaveV5 {
            core,
            floors: self.floors,
        }
        .upgrade()
    }
}

/// The core as saves of schema 3 (before parties) hold it, with players of shape `P`.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CoreV3<P = PlayerV4> {
    name: String,
    seed: u64,
    tick_rate: TickRate,
    tick: Tick,
    combat_rng: Rng,
    ai_rng: Rng,
    spawn_rng: Rng,
    craft_rng: Rng,
    next_entity: u64,
    players: BTreeMap<PlayerId, P>,
    economy: EconomyV7,
    next_rotation: Tick,
    trades: BTreeMap<u64, crate::trade::Trade>,
    next_trade: u64,
    chat: VecDeque<ChatLine>,
}

impl<P> CoreV3<P> {
    /// The same core with each player upgraded by `f`.
    fn map_players<Q>(self, f: impl Fn(P) -> Q) -> CoreV3<Q> {
        CoreV3 {
            players: self.players.into_iter().map(|(id, p)| (id, f(p))).collect(),
            name: self.name,
            seed: self.seed,
            tick_rate: self.tick_rate,
            tick: self.tick,
            combat_rng: self.combat_rng,
            ai_rng: self.ai_rng,
            spawn_rng: self.spawn_rng,
            craft_rng: self.craft_rng,
            next_entity: self.next_entity,
            economy: self.economy,
            next_rotation: self.next_rotation,
            trades: self.trades,
            next_trade: self.next_trade,
            chat: self.chat,
        }
    }
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
