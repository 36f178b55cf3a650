//! Messages between a client and a host, layered by session phase:
//!
//! 1. **Hello**: the client's first frame is [`ClientMsg::Hello`]; the host answers
//!    [`HostMsg::Welcome`] or [`HostMsg::Refused`].
//! 2. **Lobby**: a player without a living character sends [`ClientMsg::CreateCharacter`].
//! 3. **InGame**: actions one way, the world the other, on two roads:
//!    - the **stream** (reliable, ordered): [`ClientMsg`] and [`HostMsg`], among them
//!      [`HostMsg::Update`] with what must arrive once (log lines, chat, pack, vault, trade, a
//!      new floor's map);
//!    - **datagrams** (unreliable, unordered): the host's [`Snapshot`] of what is replaced every
//!      tick (own status, creatures, sight, newly seen cells, piles, party), a delta against the
//!      newest snapshot the client acknowledged; the client's [`ClientDatagram`] with that
//!      acknowledgement and its newest actions, repeated until they start.
//!
//! Encoding is postcard: inside length-prefixed frames on the stream (see `net::frame`), each
//! direction with its own size cap, or one message per datagram. Invariant: the first variant of each enum and the leading fields of [`Hello`] and
//! [`Refusal::VersionMismatch`] never change, so any two versions can at least tell each other
//! their versions.

use serde::{Deserialize, Serialize};

use crate::class::Class;
use crate::consumable::Consumable;
use crate::craft::{GearStats, Recipe};
use crate::event::EventKind;
use crate::geom::Pos;
use crate::ids::PlayerId;
use crate::monster::MonsterKind;
use crate::ore::OreClass;
use crate::world::{Action, TradeInput};

/// Bumped on every incompatible change to these types.
pub const PROTOCOL_VERSION: u32 = 21;
/// The ALPN for this protocol version.
pub const ALPN: &[u8] = b"brogue/3";
/// The version-agnostic ALPN every version keeps forever: on it the host only reads a
/// [`Hello`] and answers [`Refusal::VersionMismatch`], so mismatched players learn both versions.
pub const ALPN_NEGOTIATE: &[u8] = b"brogue";
/// Largest frame a client may send.
pub const MAX_CLIENT_FRAME: usize = 16 * 1024;
/// Largest frame a host may send.
pub const MAX_HOST_FRAME: usize = 256 * 1024;
/// Most entries a host sends in one list; larger lists are a malicious host.
pub const MAX_LIST: usize = 8192;
/// Most actions a client repeats in one datagram.
pub const MAX_REPEATED_ACTS: usize = 4;

/// Client to host, as one QUIC datagram: what the client has, and its newest actions again
/// until the host says they started. Any of them may be lost; the next one repairs it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientDatagram {
    /// The newest [`Snapshot::seq`] the client applied (0: none yet).
    pub snapshot: u32,
    /// Actions not yet seen to start, oldest first, each with its sequence number (at most
    /// [`MAX_REPEATED_ACTS`]). The host takes each sequence number once.
    pub acts: Vec<(u32, Action)>,
}

/// Client to host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientMsg {
    Hello(Hello),
    CreateCharacter {
        class: Class,
    },
    Act {
        seq: u32,
        action: Action,
    },
    /// The player leaves on purpose (their character waits, safe).
    Leave,
    /// A line for the party chat.
    Chat {
        text: String,
    },
    /// Opening, changing, accepting or cancelling a trade.
    Trade(TradeInput),
    /// Pause or resume the world. Only a solo host (one player at most) pauses; while paused
    /// the world does not tick at all, so the journal and replays are unchanged by it.
    Pause {
        paused: bool,
    },
    /// A spectator follows the player of this name, or (`None`) the next player with a
    /// character. A player without a character (after death) may ask too: they watch until
    /// they make a new one.
    Follow {
        name: Option<String>,
    },
    /// Invite, accept, decline, leave (protocol 12).
    Party(crate::party::PartyCmd),
}

/// The first frame of every connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: u32,
    pub game_version: String,
    pub name: String,
    /// The invite secret; needed only on a player's first join to a world.
    pub invite_secret: Option<[u8; 16]>,
    /// Watch instead of play: a spectator takes no player slot, has no character, and sees
    /// what the player it follows sees (see [`ClientMsg::Follow`]).
    pub watch: bool,
    /// Which world of the host to join (`brogue serve` hosts many behind one port; the invite
    /// code names it). `None`: the host's only world.
    pub world: Option<String>,
}

/// Host to client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostMsg {
    Refused(Refusal),
    Welcome(Welcome),
    Update(Box<Update>),
    /// A snapshot too large for a datagram (after a floor change, say) rides the stream.
    Snapshot(Box<Snapshot>),
    /// The host ends this session (shutdown, kicked, too slow); the text says why.
    Closing {
        reason: String,
    },
    /// How the host itself is doing, when players need to know.
    Status(HostStatus),
}

/// The host's own health, as players are told it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostStatus {
    /// The host cannot write its save (the text says why): the world pauses rather than show
    /// what could be lost, and resumes by itself once saving works again.
    CannotSave { reason: String },
    /// Saving works again.
    Saving,
    /// A message from the server's admin to everyone in the world.
    Announcement { text: String },
}

/// The host let the player in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    pub world: String,
    pub player: PlayerId,
    /// True when this key had joined this world before.
    pub returning: bool,
    pub tick_rate: u8,
    /// Whether this session may chat (players always; spectators when the host lets them).
    pub may_chat: bool,
}

/// Why a host turned a player away.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Refusal {
    /// The two sides speak different protocol versions.
    #[error(
        "version mismatch: the host runs brogue {host_version} (protocol {host_protocol}); \
         you run brogue {} (protocol {}). Both players need the same version.",
        env!("CARGO_PKG_VERSION"),
        PROTOCOL_VERSION
    )]
    VersionMismatch {
        host_protocol: u32,
        host_version: String,
    },
    /// The invite secret is not one this host issued for this world.
    #[error(
        "the host did not accept this invite code (it belongs to another world or session): \
         ask the host for a fresh code"
    )]
    WrongSecret,
    /// The invite secret was right but has expired.
    #[error("this invite code has expired: ask the host for a fresh code")]
    ExpiredSecret,
    /// A first join needs an invite code.
    #[error("this host needs an invite code for players joining for the first time")]
    InviteRequired,
    /// Every player slot is taken.
    #[error("the game is full ({max_players} players): try again when someone leaves")]
    Full { max_players: u16 },
    /// This key is already playing here.
    #[error(
        "this identity is already connected to the game (two brogues sharing one data dir? \
         give the second one its own --data-dir)"
    )]
    AlreadyConnected,
    /// The host is shutting down.
    #[error("the host is shutting down")]
    ShuttingDown,
    /// The client broke the protocol.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// This invite code has admitted as many new players as it may.
    #[error("this invite code has admitted its {max} players; ask the host for a new one")]
    CodeUsedUp { max: u32 },
    /// Too many new players are arriving with this code at once.
    #[error(
        "too many new players are joining with this code right now: try again in a few seconds"
    )]
    JoiningTooFast,
    /// This host does not take spectators.
    #[error("this host does not let anyone watch (it was started with --no-spectators)")]
    NoSpectators,
    /// Every spectator place is taken.
    #[error("{max} people are watching already, as many as this host allows: try again later")]
    SpectatorsFull { max: u16 },
    /// This server hosts no running world by that name.
    #[error(
        "this server hosts no world called {world:?} (or it is stopped): ask its admin for a \
         fresh invite code"
    )]
    NoSuchWorld { world: String },
    /// This server hosts several worlds and the client did not say which.
    #[error("this server hosts several worlds: join with an invite code, which names the world")]
    WhichWorld,
    /// The server's admin banned this key from this world.
    #[error("the server's admin banned this key from this world")]
    Banned,
}

/// What must reach the client once, in order, on the stream: the log, panels, a new map.
/// Fields are `None` (or empty) when unchanged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Update {
    pub tick: u64,
    /// The character appeared or is gone (`Some(None)`: died, or none yet): such changes ride
    /// the stream with the log lines that tell why; snapshots only change a character the
    /// client already has.
    pub me: Option<Option<SelfView>>,
    /// A new floor (or none): snapshots name the floor they belong to.
    pub map: Option<MapPatch>,
    pub log: Vec<LogLine>,
    /// What the player carries.
    pub pack: Option<PackView>,
    /// The player's Legacy Vault.
    pub vault: Option<Vec<StackView>>,
    /// The trade the player is in (`Some(None)`: no longer in one).
    pub trade: Option<Option<TradeView>>,
    /// A player without a character who asked to watch ([`ClientMsg::Follow`]) now sees
    /// what this player sees (`Some(None)`: their own view again). The view starts afresh.
    pub following: Option<Option<String>>,
}

/// What is replaced every tick, as a delta against the newest snapshot the client acknowledged
/// ([`Snapshot::baseline`]), or whole (`behind: 0`: the client first forgets creatures, party
/// and piles). Everything not mentioned is as it was at the baseline *and at every snapshot since*,
/// so a client may apply it to any snapshot it holds from the baseline on: a lost datagram
/// costs one tick, never more.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Counts up from 1 per connection.
    pub seq: u32,
    /// How many snapshots before this one its baseline is; 0: whole, no baseline.
    pub behind: u8,
    /// The [`MapPatch`] this snapshot's cells belong to; a client on another floor ignores it.
    pub floor: u32,
    pub tick: u64,
    /// The `seq` of the player's last action that started.
    pub ack: u32,
    /// The player's own character, when it changed. A client whose view disagrees about
    /// whether there is one waits for the stream's [`Update::me`].
    pub me: Option<SelfPatch>,
    /// Party sight: worked out by the client, or sent.
    pub sight: Option<SightPatch>,
    /// Changed cells of the current floor as (row-major index, [`Tile::code`]).
    ///
    /// [`Tile::code`]: crate::tile::Tile::code
    pub cells: Vec<(u16, u8)>,
    /// Creatures that appeared (every field) or changed more than their cell (the changed
    /// fields).
    pub entities: Vec<EntityDelta>,
    /// Creatures that only moved: id and cell (most changes, in three or four bytes).
    pub moved: Vec<(u64, u16)>,
    /// Creatures no longer in sight.
    pub gone: Vec<u64>,
    /// Party rows that appeared or changed, and the names that left the list.
    pub party: Vec<PartyMember>,
    pub party_gone: Vec<String>,
    /// Piles that appeared or changed, and cells whose pile is gone from sight.
    pub piles: Vec<(Pos, PileKind)>,
    pub piles_gone: Vec<Pos>,
}

impl Snapshot {
    /// The snapshot this is a delta against (`None`: whole).
    pub fn baseline(&self) -> Option<u32> {
        (self.behind > 0).then(|| self.seq.saturating_sub(u32::from(self.behind)))
    }

    /// Nothing but the clock and the ack: a heartbeat.
    pub fn is_empty(&self) -> bool {
        self.me.is_none()
            && self.sight.is_none()
            && self.cells.is_empty()
            && self.entities.is_empty()
            && self.moved.is_empty()
            && self.gone.is_empty()
            && self.party.is_empty()
            && self.party_gone.is_empty()
            && self.piles.is_empty()
            && self.piles_gone.is_empty()
    }
}

/// The player's own character in a [`Snapshot`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SelfPatch {
    /// They have no character now.
    NoCharacter,
    /// Every field.
    Whole(SelfView),
    /// Only these fields changed since the baseline: a step, or an action starting or ending
    /// (a quarter of the bytes of a whole view).
    Step {
        pos: Pos,
        busy_until: u64,
        ready: u8,
    },
}

impl SelfPatch {
    /// The smallest patch that takes a client holding `old` to `new`.
    pub fn between(old: Option<&SelfView>, new: Option<&SelfView>) -> SelfPatch {
        let Some(new) = new else {
            return SelfPatch::NoCharacter;
        };
        let step = SelfPatch::step_of(new);
        let mut held = old.cloned();
        step.clone().apply(&mut held);
        if held.as_ref() == Some(new) {
            step
        } else {
            SelfPatch::Whole(new.clone())
        }
    }

    /// The step fields of `view`.
    pub fn step_of(view: &SelfView) -> SelfPatch {
        SelfPatch::Step {
            pos: view.pos,
            busy_until: view.busy_until,
            ready: view.ready,
        }
    }

    /// Whether the patch says there is a character.
    pub fn has_character(&self) -> bool {
        !matches!(self, SelfPatch::NoCharacter)
    }

    /// Applies the patch to the view a client holds (a step without a character changes
    /// nothing: clients check existence first).
    pub fn apply(self, me: &mut Option<SelfView>) {
        match self {
            SelfPatch::NoCharacter => *me = None,
            SelfPatch::Whole(view) => *me = Some(view),
            SelfPatch::Step {
                pos,
                busy_until,
                ready,
            } => {
                if let Some(view) = me {
                    view.pos = pos;
                    view.busy_until = busy_until;
                    view.ready = ready;
                }
            }
        }
    }
}

/// How a client learns the party's sight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SightPatch {
    /// Work it out: the field of view of every character in the view that is not away (its
    /// [`EntityKind::Character::sight`] radius) over the remembered map, cells never seen
    /// letting sight through ([`crate::view::derive_sight`]). The host says so only when that
    /// comes out exactly as the party's real sight, and says it again (as runs) the moment it
    /// would not.
    Derived,
    /// Alternating run lengths over the floor's cells, starting with a run of cells *not* in
    /// sight.
    Runs(Vec<u16>),
}

/// A creature that appeared (every field set) or changed (only what changed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityDelta {
    pub id: u64,
    /// Where it stands, as the row-major index of its cell on the floor (two bytes, where a
    /// position takes three or four).
    pub cell: Option<u16>,
    pub kind: Option<EntityKind>,
    pub hp_pct: Option<u8>,
    pub effects: Option<u8>,
    /// [`EntityView::aim`]: `Some(None)` when it stopped winding up.
    pub aim: Option<Option<u16>>,
}

/// Ore and items a player carries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackView {
    pub stacks: Vec<StackView>,
    pub items: Vec<ItemView>,
}

/// Units of one spawn, with what a screen needs to show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackView {
    pub spawn: u32,
    pub name: String,
    pub class: OreClass,
    /// OQ CD DR HR MA PE SR UT.
    pub attrs: [u16; 8],
    pub units: u32,
    /// Of `units`, how many came out of a Legacy Vault: whoever takes them can no longer win a
    /// Pure Victory.
    pub withdrawn: u32,
}

/// An item a player carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemView {
    pub id: u64,
    /// As this player calls it (a potion or scroll by its look until the party knows it).
    pub name: String,
    /// `None` for the Heart of the Deep and for potions and scrolls.
    pub recipe: Option<Recipe>,
    pub quality: u16,
    pub stats: GearStats,
    pub equipped: bool,
    /// A potion or scroll (used with [`Action::Use`](crate::Action::Use)).
    pub usable: Option<UseView>,
    /// Crafted from ore withdrawn from a vault (see [`StackView::withdrawn`]).
    pub tainted: bool,
    /// A key: walking into a locked door with it opens the door.
    pub key: bool,
}

/// A potion or scroll as its carrier knows it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UseView {
    pub potion: bool,
    /// `None` until the player's party has used one of its kind.
    pub kind: Option<Consumable>,
}

/// What lies on a cell.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PileKind {
    Ore,
    Item,
    Heart,
    /// A snare the party set.
    Snare,
    /// Potions (and no gear).
    Potion,
    /// Scrolls (and no gear or potions).
    Scroll,
    /// A key (and no gear).
    Key,
}

/// A trade in progress, from this player's side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeView {
    pub id: u64,
    pub with: String,
    pub phase: u32,
    pub mine: PackView,
    pub theirs: PackView,
    pub i_accepted: bool,
    pub they_accepted: bool,
}

/// The client's map of the floor it is on. Each patch starts a new `floor` number; snapshots
/// carry the number they belong to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MapPatch {
    /// A new floor: the whole remembered map, run-length encoded as (count, [`Tile::code`])
    /// (0 = unknown).
    ///
    /// [`Tile::code`]: crate::tile::Tile::code
    Reset {
        floor: u32,
        depth: u8,
        width: u16,
        height: u16,
        runs: Vec<(u16, u8)>,
    },
    /// No floor: the player has no character.
    Off { floor: u32 },
}

impl MapPatch {
    pub fn floor(&self) -> u32 {
        match self {
            MapPatch::Reset { floor, .. } | MapPatch::Off { floor } => *floor,
        }
    }
}

/// The player's own character. Countdowns are the ticks they end at, so the view changes when
/// they start, not on every tick; `ready` flips on the tick they end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfView {
    pub class: Class,
    pub hp: u16,
    pub max_hp: u16,
    pub mana: u16,
    pub max_mana: u16,
    pub depth: u8,
    pub pos: Pos,
    pub downed: Option<Downed>,
    /// The tick the current action ends.
    pub busy_until: u64,
    /// [`ready`] bits: the character can act, and which abilities are ready.
    pub ready: u8,
    pub kills: u32,
    /// The tick each ability is ready again.
    pub cooldown_until: [u64; 3],
    /// The tick Shield Wall ends.
    pub shield_wall_until: u64,
    /// Points of Ward left.
    pub ward: u16,
    /// What worn gear adds.
    pub gear: GearStats,
    /// Withdrew from the vault: no Pure Victory.
    pub impure: bool,
    /// Standing at a Vault Shrine.
    pub at_shrine: bool,
    /// Mining or crafting: what, and the tick it ends.
    pub channel: Option<(ChannelView, u64)>,
    /// Level and experience ([`crate::progress`]).
    pub level: u8,
    pub xp: u32,
    /// The tick a Potion of Speed wears off.
    pub hasted_until: u64,
    /// The tick its Scroll of Detection wears off.
    pub detect_until: u64,
    /// The tick until which monsters pass it by, new to the dungeon
    /// ([`ARRIVAL_MS`](crate::progress::ARRIVAL_MS)).
    pub unnoticed_until: u64,
    /// Characters in the world on its floor, itself included: how tough the floor's monsters
    /// are to them ([`crate::monster::toughness`]).
    pub characters_here: u8,
    /// The talent chosen at each tier (pick 0 or 1; [`crate::talent`]).
    pub talents: [Option<u8>; 3],
}

/// Bits of [`SelfView::ready`].
pub mod ready {
    /// Not busy: the next action starts at once.
    pub const ACT: u8 = 1;
    /// Ability `i` is ready: `ABILITY << i`.
    pub const ABILITY: u8 = 2;
}

impl SelfView {
    /// Ticks from `tick` until `until` (0 once passed).
    fn left(until: u64, tick: u64) -> u16 {
        until.saturating_sub(tick).min(u64::from(u16::MAX)) as u16
    }

    /// Ticks until the current action ends, seen at `tick`.
    pub fn busy(&self, tick: u64) -> u16 {
        Self::left(self.busy_until, tick)
    }

    /// Ticks until ability `i` is ready, seen at `tick`.
    pub fn cooldown(&self, i: usize, tick: u64) -> u16 {
        self.cooldown_until
            .get(i)
            .map_or(0, |u| Self::left(*u, tick))
    }

    /// Ticks of Shield Wall left, seen at `tick`.
    pub fn shield_wall(&self, tick: u64) -> u16 {
        Self::left(self.shield_wall_until, tick)
    }

    /// Ticks of haste left at `tick`.
    pub fn hasted(&self, tick: u64) -> u16 {
        Self::left(self.hasted_until, tick)
    }

    /// Ticks of detection left at `tick`.
    pub fn detecting(&self, tick: u64) -> u16 {
        Self::left(self.detect_until, tick)
    }

    /// Ticks it goes unnoticed yet at `tick`.
    pub fn unnoticed(&self, tick: u64) -> u16 {
        Self::left(self.unnoticed_until, tick)
    }

    /// The long action in progress and the ticks it has left, seen at `tick`.
    pub fn channel_left(&self, tick: u64) -> Option<(ChannelView, u16)> {
        self.channel
            .map(|(what, until)| (what, Self::left(until, tick)))
    }
}

/// A long action in progress.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelView {
    Mining,
    Crafting(Recipe),
}

/// Countdown of a downed character.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Downed {
    /// The tick the character dies unless revived (while the player is here).
    pub until: u64,
    /// Revive progress, 0..=100.
    pub revive_pct: u8,
}

/// A creature the party can see.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EntityView {
    pub id: u64,
    pub pos: Pos,
    pub kind: EntityKind,
    /// Health, 0..=100.
    pub hp_pct: u8,
    /// [`effect`] flags.
    pub effects: u8,
    /// A monster winding up its special ([`crate::special`]): the cell it aims at (a curse:
    /// where its target stands). [`crate::special::area`] gives the cells it threatens.
    pub aim: Option<Pos>,
}

/// Bits of [`EntityView::effects`].
pub mod effect {
    pub const FROZEN: u8 = 1;
    pub const MARKED: u8 = 2;
    pub const ROOTED: u8 = 4;
    pub const TAUNTED: u8 = 8;
    pub const SHIELD_WALL: u8 = 16;
    pub const WARD: u8 = 32;
    pub const ASLEEP: u8 = 64;
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EntityKind {
    Character {
        class: Class,
        downed: bool,
        /// The player is disconnected; the character waits, untargetable.
        away: bool,
        /// How far the character sees (its class and gear).
        sight: u8,
    },
    Monster(MonsterKind),
}

/// One row of the party list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyMember {
    pub name: String,
    /// The character's entity id, to label it on the map.
    pub entity: Option<u64>,
    pub class: Option<Class>,
    pub hp: u16,
    pub max_hp: u16,
    pub depth: u8,
    pub status: MemberStatus,
    /// Round-trip time to the host in milliseconds, as the host measures it.
    pub rtt_ms: Option<u16>,
    pub is_you: bool,
    /// It carries the Heart of the Deep (the one its friends escort: it walks at half speed).
    pub heart: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberStatus {
    Alive,
    Downed,
    /// No living character (not yet made, or dead).
    NoCharacter,
    /// Disconnected.
    Away,
}

/// A line for the message log: what happened on which tick, as data (the client words it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub tick: u64,
    pub event: EventKind,
}

/// The leading fields of a [`Hello`] from any version, for version negotiation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelloPrefix {
    pub protocol: u32,
    pub game_version: String,
}

impl ClientMsg {
    /// Reads just the protocol version and game version of a `Hello` frame from any version.
    pub fn peek_hello(frame: &[u8]) -> Option<HelloPrefix> {
        // Variant 0 is Hello in every version; its first two fields are stable.
        let (variant, rest): (u32, &[u8]) = postcard::take_from_bytes(frame).ok()?;
        if variant != 0 {
            return None;
        }
        postcard::take_from_bytes::<HelloPrefix>(rest)
            .ok()
            .map(|(p, _)| p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_prefix_reads_any_version() {
        let hello = ClientMsg::Hello(Hello {
            protocol: 99,
            game_version: "9.9.9".into(),
            name: "ada".into(),
            invite_secret: Some([7; 16]),
            watch: false,
            world: None,
        });
        let bytes = postcard::to_stdvec(&hello).unwrap();
        let prefix = ClientMsg::peek_hello(&bytes).unwrap();
        assert_eq!(prefix.protocol, 99);
        assert_eq!(prefix.game_version, "9.9.9");
        let act = postcard::to_stdvec(&ClientMsg::Leave).unwrap();
        assert_eq!(ClientMsg::peek_hello(&act), None);
    }

    #[test]
    fn version_mismatch_names_both_versions() {
        let text = Refusal::VersionMismatch {
            host_protocol: 7,
            host_version: "3.1.0".into(),
        }
        .to_string();
        assert!(text.contains("3.1.0") && text.contains("protocol 7"));
        assert!(text.contains(env!("CARGO_PKG_VERSION")));
        assert!(text.contains(&format!("protocol {PROTOCOL_VERSION}")));
    }
}
