//! [`Host`]: one world and every session on it, as a state machine. Things that happen come in
//! through `handle_*` with the time as an argument; what to send, what to write and what the
//! driver should know come out through `poll_*`.

mod admin;
pub use admin::{BANNED, KICKED, RosterRow};

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use game::protocol::{
    ClientDatagram, ClientMsg, Hello, HostMsg, HostStatus, MAX_REPEATED_ACTS, Refusal, Snapshot,
    Welcome,
};
use game::{Departure, Input, PlayerId, Tick, TickRate, World};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use crate::admission::{self, INVITE_TTL_SECS, IssuedSecret, SecretCheck};
use crate::journal::{Checkpoint, JournalEntry};
use crate::session::{
    ACTS_PER_TICK, Admit as BucketVerdict, ConnId, DATAGRAMS_PER_TICK, INPUTS_PER_TICK, MAX_LAG,
    PlayerSession, Session, SpectatorSession,
};

/// What connected players are told when the host stops.
pub const CLOSING: &str = "host closed the session";
/// How often RTTs, laggards, invites and the player count are looked at.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(1);
/// How often a player's shown round-trip time follows small changes.
pub const RTT_REFRESH: Duration = Duration::from_secs(5);

/// A change in round-trip time worth showing at once: 20 ms and a quarter of the old value.
fn rtt_moved_a_lot(old: u16, new: u16) -> bool {
    let diff = old.abs_diff(new);
    diff >= 20 && u32::from(diff) * 4 >= u32::from(old)
}

/// A moment, as the driver reads its two clocks.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Now {
    /// Monotonic time since the driver started (ticks, rates, lag).
    pub mono: Duration,
    /// Wall-clock unix seconds (invite expiry only).
    pub unix: u64,
}

impl Now {
    pub fn new(mono: Duration, unix: u64) -> Now {
        Now { mono, unix }
    }

    /// The same clocks `d` later.
    pub fn after(self, d: Duration) -> Now {
        Now {
            mono: self.mono + d,
            unix: self.unix + d.as_secs(),
        }
    }
}

/// How a host behaves.
#[derive(Clone, Debug)]
pub struct Config {
    /// The host's own key: always admitted, no invite needed.
    pub host_player: PlayerId,
    /// Most players connected at once (the host's own included).
    pub max_players: u16,
    /// Issue and renew invite secrets (false for solo: nobody else may join).
    pub invites: bool,
    /// Admit new players without a secret (`--lan-open`).
    pub open: bool,
    /// The rate to run at; a world saved at another rate switches with an input.
    pub tick_rate: TickRate,
    /// How often a checkpoint is taken.
    pub checkpoint_every: Duration,
    /// New keys one invite code may admit (`--max-new-per-code`).
    pub max_new_per_code: u32,
    /// A connected player who sent nothing for this long yields their slot when the world is
    /// full and someone arrives.
    pub idle_yield_after: Duration,
    /// Most spectators at once (`--max-spectators`; 0: `--no-spectators`). They take no
    /// player slot.
    pub max_spectators: u16,
    /// Spectators may chat (`--spectators-chat`): their lines read "NAME (watching)".
    pub spectators_chat: bool,
}

/// New players one code admits at once (a default game's worth of friends arriving together);
/// after that, one per [`NEW_PLAYER_EVERY`].
pub const NEW_PLAYER_BURST: f64 = 8.0;
pub const NEW_PLAYER_EVERY: Duration = Duration::from_secs(5);
/// A key that joined, made no character and left is forgotten this long after it left.
pub const FORGET_AFTER_SECS: u64 = 24 * 3600;

impl Config {
    /// A host for `host_player` at the default rate, checkpointing every five seconds.
    pub fn new(host_player: PlayerId) -> Config {
        Config {
            host_player,
            max_players: 8,
            invites: true,
            open: false,
            tick_rate: TickRate::DEFAULT,
            checkpoint_every: Duration::from_secs(5),
            max_new_per_code: 16,
            idle_yield_after: Duration::from_secs(10 * 60),
            max_spectators: 8,
            spectators_chat: false,
        }
    }
}

/// What admission decided.
enum Admit {
    /// Known here (or the host, or an open host): no code needed.
    Known { returning: bool },
    /// New, with the code at this index of the issued secrets.
    WithCode(usize),
}

/// An authenticated client that said `Hello`, asking to play.
#[derive(Clone, Debug)]
pub struct Arrival {
    /// The hash of the key that signed the handshake.
    pub player: PlayerId,
    pub hello: Hello,
}

/// Why the host closes a connection.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// Left, replaced by a newer connection of the same key, or the host stopped.
    Normal,
    /// Broke the protocol (a second Hello, a flood of messages).
    Protocol,
    /// Could not keep up with its updates.
    TooSlow,
}

/// What to send.
#[derive(Clone, Debug, PartialEq)]
pub enum Outgoing {
    /// For the stream.
    Msg(HostMsg),
    /// For a datagram; the driver sends it on the stream as [`HostMsg::Snapshot`] when it is
    /// larger than the connection's datagrams allow.
    Snapshot(Box<Snapshot>),
    /// Send `msg` if given, then close with `reason`.
    Close {
        msg: Option<HostMsg>,
        why: CloseReason,
        reason: String,
    },
}

/// A message for one connection.
#[derive(Clone, Debug, PartialEq)]
pub struct Transmit {
    pub conn: ConnId,
    pub what: Outgoing,
}

/// What to write, in this order.
#[derive(Clone, Debug)]
pub enum Persist {
    /// One tick's inputs. Tell [`Host::handle_durable`] once it is committed.
    Journal(JournalEntry),
    /// The whole world at a tick boundary; older journal entries may go.
    Checkpoint(Box<Checkpoint>),
    /// The invite secrets to honour from now on.
    Secrets(Vec<IssuedSecret>),
    /// The keys this world refuses from now on.
    Bans(Vec<PlayerId>),
}

/// What the driver may want to know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostEvent {
    /// A new invite secret was issued: make a new code from it.
    InviteIssued(IssuedSecret),
    /// The number of connected players changed (for the LAN announcement).
    Players(u16),
    /// Who is watching changed: their names.
    Spectators(Vec<String>),
}

/// Why a message was not taken. The connection stays open unless the host closed it (the
/// close is queued as a [`Transmit`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    #[error("no such session")]
    UnknownSession,
    #[error("over the message rate; dropped")]
    OverRate,
    #[error("flooding; disconnected")]
    Flooding,
    #[error("over the per-tick budget; dropped")]
    OverBudget,
    #[error("Hello is only allowed as the first message; disconnected")]
    SecondHello,
    #[error("invalid command: {0}")]
    Invalid(#[from] game::Invalid),
    #[error("the host is shutting down")]
    ShuttingDown,
    #[error("only a solo game pauses")]
    NotSolo,
    #[error("a datagram repeated more than {MAX_REPEATED_ACTS} actions; disconnected")]
    TooManyActs,
    #[error("spectators watch; they do not act, chat or trade")]
    Spectator,
    #[error("only spectators follow players")]
    NotWatching,
}

/// The host core: owns the world and every session outright.
#[derive(Debug)]
pub struct Host {
    world: World,
    config: Config,
    sessions: BTreeMap<ConnId, Session>,
    /// Inputs for the next tick, in arrival order.
    inputs: Vec<Input>,
    secrets: Vec<IssuedSecret>,
    rng: ChaCha20Rng,
    /// Sent as soon as the driver polls.
    urgent: VecDeque<Transmit>,
    /// Updates showing tick `t`, held until tick `t` is durable.
    gated: VecDeque<(Tick, Transmit)>,
    persist: VecDeque<Persist>,
    /// Journal entries of ticks nobody watched and nothing changed from outside: written in a
    /// group every half second rather than one commit each (an idle host barely writes).
    idle: Vec<JournalEntry>,
    events: VecDeque<HostEvent>,
    /// Every tick before this one is in the journal on disk.
    durable: Tick,
    /// Why the store last failed, until it works again.
    store_failing: Option<String>,
    next_tick_at: Duration,
    next_housekeeping_at: Duration,
    next_checkpoint_at: Duration,
    /// Round-trip times as the party list shows them, and when each was last refreshed.
    rtts: BTreeMap<PlayerId, u16>,
    rtts_shown_at: BTreeMap<PlayerId, Duration>,
    players_announced: u16,
    spectators_announced: Vec<String>,
    /// Messages from spectators that asked to act, chat or trade (all refused).
    spectator_refusals: u64,
    /// The wall clock at the last tick (for the shutdown tick's facts).
    last_unix: u64,
    /// Per invite secret: tokens for new players (refilled at [`NEW_PLAYER_EVERY`]).
    new_player_tokens: BTreeMap<[u8; 16], (f64, Duration)>,
    /// Keys that joined, made no character and left, with when (unix): forgotten a day later.
    departed: BTreeMap<PlayerId, u64>,
    shutting_down: bool,
    /// A solo player paused the world (help, a panel, or `p`): ticks are skipped.
    paused: bool,
    /// Keys the admin banned (see `admin.rs`).
    banned: BTreeSet<PlayerId>,
}

impl Host {
    /// A host for `world` (just loaded or created: durable as it is). `secrets` are those
    /// issued before; `seed` feeds the stream new invite secrets come from (the driver passes
    /// OS entropy; tests pass a constant).
    pub fn new(
        world: World,
        config: Config,
        secrets: Vec<IssuedSecret>,
        seed: [u8; 32],
        now: Now,
    ) -> Host {
        let durable = world.tick();
        let mut host = Host {
            world,
            sessions: BTreeMap::new(),
            inputs: Vec::new(),
            secrets,
            rng: ChaCha20Rng::from_seed(seed),
            urgent: VecDeque::new(),
            gated: VecDeque::new(),
            persist: VecDeque::new(),
            idle: Vec::new(),
            events: VecDeque::new(),
            durable,
            store_failing: None,
            next_tick_at: now.mono,
            next_housekeeping_at: now.mono,
            next_checkpoint_at: now.mono + config.checkpoint_every,
            rtts: BTreeMap::new(),
            rtts_shown_at: BTreeMap::new(),
            players_announced: 0,
            spectators_announced: Vec::new(),
            spectator_refusals: 0,
            last_unix: now.unix,
            new_player_tokens: BTreeMap::new(),
            departed: BTreeMap::new(),
            shutting_down: false,
            paused: false,
            banned: BTreeSet::new(),
            config,
        };
        // Players the save marks as connected were cut off by a crash: they left.
        let stale: Vec<PlayerId> = host
            .world
            .players()
            .filter(|(_, p)| p.connected)
            .map(|(id, _)| *id)
            .collect();
        host.inputs
            .extend(stale.into_iter().map(|player| Input::Disconnect {
                player,
                why: Departure::Lost,
            }));
        // Keys that never played: counted from now (the save does not say when they left).
        let never: Vec<PlayerId> = host
            .world
            .players()
            .filter(|(id, _)| host.world.never_played(id))
            .map(|(id, _)| *id)
            .collect();
        for id in never {
            host.departed.insert(id, now.unix);
        }
        if host.world.tick_rate() != host.config.tick_rate {
            host.inputs.push(Input::SetTickRate(host.config.tick_rate));
        }
        if host.config.invites {
            host.renew_invite(now);
        }
        host
    }

    // ----- what comes in -----

    /// A client finished its handshake and said `Hello`: admit it (the reply is the
    /// `Welcome`; its character connects on the next tick) or say why not.
    pub fn handle_arrival(
        &mut self,
        conn: ConnId,
        arrival: Arrival,
        now: Now,
    ) -> Result<Welcome, Refusal> {
        if self.shutting_down {
            return Err(Refusal::ShuttingDown);
        }
        if self.banned.contains(&arrival.player) {
            return Err(Refusal::Banned);
        }
        if let Some(world) = &arrival.hello.world
            && world != self.world.name()
        {
            return Err(Refusal::NoSuchWorld {
                world: world.clone(),
            });
        }
        if arrival.hello.watch {
            return self.admit_spectator(conn, arrival, now);
        }
        let player = arrival.player;
        // The host's own player is never replaced by a second connection with its key (a
        // brogue started on the host's data dir): replacing it would end the host's own
        // session, and with it the game for everyone.
        let host_playing = self
            .sessions
            .values()
            .any(|s| s.player() == Some(self.config.host_player));
        if player == self.config.host_player && host_playing {
            return Err(Refusal::AlreadyConnected);
        }
        let admit = self.admission(&arrival, now)?;
        self.make_room(player, now)?;
        let returning = match admit {
            Admit::Known { returning } => returning,
            Admit::WithCode(i) => {
                self.secrets[i].admitted += 1;
                self.persist
                    .push_back(Persist::Secrets(self.secrets.clone()));
                if self.config.invites {
                    self.renew_invite(now);
                }
                false
            }
        };
        // The same key again: the newer connection wins (a reconnect after a drop the host has
        // not noticed yet, or the same identity started elsewhere).
        self.replace_sessions(
            |s| s.player() == Some(player),
            "this identity connected again from elsewhere",
        );
        let session = PlayerSession::new(player, now.mono);
        self.sessions.insert(conn, Session::Player(session));
        self.departed.remove(&player);
        // Always: the world ignores a connect of a connected player, and a disconnect may be
        // queued ahead of this (a player back before the first tick after a crash).
        self.inputs.push(Input::Connect {
            player,
            name: arrival.hello.name,
        });
        Ok(Welcome {
            world: self.world.name().to_owned(),
            player,
            returning,
            tick_rate: self.config.tick_rate.hz(),
            may_chat: true,
        })
    }

    /// A spectator: a key the world knows (or the host's, or anyone on an open host), or one
    /// with a valid code (which it does not use up: watching adds no one to the world), while
    /// there is a spectator place. The same key watching again replaces its older connection.
    fn admit_spectator(
        &mut self,
        conn: ConnId,
        arrival: Arrival,
        now: Now,
    ) -> Result<Welcome, Refusal> {
        let max = self.config.max_spectators;
        if max == 0 {
            return Err(Refusal::NoSpectators);
        }
        let key = arrival.player;
        let known =
            self.world.player(&key).is_some() || key == self.config.host_player || self.config.open;
        if !known {
            let given = arrival.hello.invite_secret.as_ref();
            match admission::check_secret(&self.secrets, given, now.unix) {
                SecretCheck::Valid(_) => {}
                SecretCheck::Expired => return Err(Refusal::ExpiredSecret),
                SecretCheck::Wrong if given.is_none() => return Err(Refusal::InviteRequired),
                SecretCheck::Wrong => return Err(Refusal::WrongSecret),
            }
        }
        self.replace_sessions(
            |s| matches!(s, Session::Spectator(w) if w.key == key),
            "this identity started watching again from elsewhere",
        );
        let watching = self
            .sessions
            .values()
            .filter(|s| matches!(s, Session::Spectator(_)))
            .count();
        if watching >= usize::from(max) {
            return Err(Refusal::SpectatorsFull { max });
        }
        let name = game::text::sanitize(&arrival.hello.name, 24);
        let session = SpectatorSession::new(key, name, now.mono);
        self.sessions.insert(conn, Session::Spectator(session));
        Ok(Welcome {
            world: self.world.name().to_owned(),
            player: key,
            returning: false,
            tick_rate: self.config.tick_rate.hz(),
            may_chat: self.config.spectators_chat,
        })
    }

    /// Ends the sessions `which` picks, telling each `reason` (a newer connection replaces
    /// them).
    fn replace_sessions(&mut self, which: impl Fn(&Session) -> bool, reason: &str) {
        let old: Vec<ConnId> = self
            .sessions
            .iter()
            .filter(|(_, s)| which(s))
            .map(|(id, _)| *id)
            .collect();
        for id in old {
            self.sessions.remove(&id);
            self.close(id, CloseReason::Normal, reason.to_owned(), true);
        }
    }

    /// Who is watching, by name.
    pub fn spectators(&self) -> Vec<String> {
        self.sessions
            .values()
            .filter_map(|s| match s {
                Session::Spectator(w) => Some(w.name.clone()),
                Session::Player(_) => None,
            })
            .collect()
    }

    /// Messages from spectators that asked to act, chat or trade (every one refused).
    pub fn spectator_refusals(&self) -> u64 {
        self.spectator_refusals
    }

    /// Whether `arrival` may play, and on what grounds. A code must be valid, not used up, and
    /// not admitting players faster than [`NEW_PLAYER_EVERY`] after a burst.
    fn admission(&mut self, arrival: &Arrival, now: Now) -> Result<Admit, Refusal> {
        let player = arrival.player;
        let returning = self.world.player(&player).is_some();
        if returning || player == self.config.host_player || self.config.open {
            return Ok(Admit::Known { returning });
        }
        let given = arrival.hello.invite_secret.as_ref();
        let i = match admission::check_secret(&self.secrets, given, now.unix) {
            SecretCheck::Valid(i) => i,
            SecretCheck::Expired => return Err(Refusal::ExpiredSecret),
            SecretCheck::Wrong if given.is_none() => return Err(Refusal::InviteRequired),
            SecretCheck::Wrong => return Err(Refusal::WrongSecret),
        };
        let max = self.config.max_new_per_code;
        if self.secrets[i].admitted >= max {
            return Err(Refusal::CodeUsedUp { max });
        }
        let (tokens, last) = self
            .new_player_tokens
            .entry(self.secrets[i].secret)
            .or_insert((NEW_PLAYER_BURST, now.mono));
        let refill = now.mono.saturating_sub(*last).as_secs_f64() / NEW_PLAYER_EVERY.as_secs_f64();
        *tokens = (*tokens + refill).min(NEW_PLAYER_BURST);
        *last = now.mono;
        if *tokens < 1.0 {
            return Err(Refusal::JoiningTooFast);
        }
        *tokens -= 1.0;
        Ok(Admit::WithCode(i))
    }

    /// A slot for `player`: free, theirs already (a reconnect), or yielded by a player idle for
    /// [`Config::idle_yield_after`] (never the host's own).
    fn make_room(&mut self, player: PlayerId, now: Now) -> Result<(), Refusal> {
        let reconnecting = self.sessions.values().any(|s| s.player() == Some(player));
        let playing = self
            .sessions
            .values()
            .filter(|s| s.player().is_some())
            .count();
        if reconnecting || playing < usize::from(self.config.max_players) {
            return Ok(());
        }
        let idle = self
            .sessions
            .iter()
            .filter_map(|(id, s)| match s {
                Session::Player(s) => {
                    let quiet = now.mono.saturating_sub(s.last_input);
                    (s.player != self.config.host_player && quiet >= self.config.idle_yield_after)
                        .then_some((s.last_input, *id))
                }
                Session::Spectator(_) => None,
            })
            .min();
        let Some((_, conn)) = idle else {
            return Err(Refusal::Full {
                max_players: self.config.max_players,
            });
        };
        let minutes = self.config.idle_yield_after.as_secs() / 60;
        let reason = format!(
            "you were idle for {minutes} minutes and the game is full: your place went to a \
             player who just arrived. Your character waits, safe; join again when there is room"
        );
        if let Some(Session::Player(s)) = self.sessions.remove(&conn) {
            self.inputs.push(Input::Disconnect {
                player: s.player,
                why: Departure::Lost,
            });
        }
        self.close(conn, CloseReason::Normal, reason, true);
        Ok(())
    }

    /// A message from a connected client. What it asks for becomes an input of the next tick,
    /// once checked; anything else is refused, and a client that floods or breaks the protocol
    /// is disconnected (the close is queued).
    pub fn handle_message(
        &mut self,
        conn: ConnId,
        msg: ClientMsg,
        now: Now,
    ) -> Result<(), Rejected> {
        if matches!(self.sessions.get(&conn), Some(Session::Spectator(_))) && !self.shutting_down {
            return self.spectator_message(conn, msg, now);
        }
        let s = self.live_session(conn)?;
        let player = s.player;
        if let ClientMsg::Act { seq, .. } = &msg {
            // Each action is taken once, however often the client repeats it.
            if *seq <= s.last_act {
                return Ok(());
            }
        }
        s.last_input = now.mono;
        let verdict = s.link.bucket.admit(now.mono);
        let is_act = matches!(msg, ClientMsg::Act { .. });
        let over_budget = s.inputs >= INPUTS_PER_TICK || (is_act && s.acts >= ACTS_PER_TICK);
        self.metered(conn, verdict, Rejected::OverRate)?;
        if matches!(msg, ClientMsg::Leave) {
            self.paused = false;
            self.sessions.remove(&conn);
            self.inputs.push(Input::Disconnect {
                player,
                why: Departure::Left,
            });
            self.note_departure(player, now);
            self.close(conn, CloseReason::Normal, "left".into(), false);
            return Ok(());
        }
        if matches!(msg, ClientMsg::Hello(_)) {
            self.drop_session(
                conn,
                CloseReason::Protocol,
                "Hello is only allowed as the first message",
            );
            return Err(Rejected::SecondHello);
        }
        if let ClientMsg::Pause { paused } = msg {
            if self.config.max_players > 1 {
                return Err(Rejected::NotSolo);
            }
            self.paused = paused;
            return Ok(());
        }
        if let ClientMsg::Follow { name } = msg {
            // A player without a character watches the others until they make a new one.
            if self
                .world
                .player(&player)
                .is_some_and(|p| p.character.is_some())
            {
                return Err(Rejected::NotWatching);
            }
            let Some(Session::Player(s)) = self.sessions.get_mut(&conn) else {
                return Err(Rejected::UnknownSession);
            };
            let next = follow_next(&self.world, name.as_deref(), s.following);
            s.following = next.filter(|p| *p != player);
            return Ok(());
        }
        if over_budget {
            return Err(Rejected::OverBudget);
        }
        if let (ClientMsg::Act { seq, .. }, Some(Session::Player(s))) =
            (&msg, self.sessions.get_mut(&conn))
        {
            s.last_act = *seq;
        }
        let input = match msg {
            ClientMsg::Act { seq, action } => Input::Act {
                player,
                seq,
                action: self.world.check_action(player, action)?,
            },
            ClientMsg::Trade(trade) => Input::Trade {
                player,
                trade: self.world.check_trade(player, trade)?,
            },
            ClientMsg::CreateCharacter { class } => Input::CreateCharacter { player, class },
            ClientMsg::Chat { text } => Input::Chat { player, text },
            ClientMsg::Party(cmd) => Input::Party { player, cmd },
            ClientMsg::Hello(_)
            | ClientMsg::Leave
            | ClientMsg::Pause { .. }
            | ClientMsg::Follow { .. } => {
                unreachable!("handled above")
            }
        };
        if let Some(Session::Player(s)) = self.sessions.get_mut(&conn) {
            s.inputs += 1;
            s.acts += u8::from(is_act);
        }
        self.inputs.push(input);
        Ok(())
    }

    /// A datagram from `conn`: the newest snapshot it applied, and its newest actions again.
    /// Each action is taken once (by sequence number, through [`Host::handle_message`]'s
    /// checks and budgets); acknowledgements cost nothing, but at most
    /// [`DATAGRAMS_PER_TICK`] datagrams are read per tick.
    pub fn handle_datagram(
        &mut self,
        conn: ConnId,
        datagram: ClientDatagram,
        now: Now,
    ) -> Result<(), Rejected> {
        if self.shutting_down {
            return Err(Rejected::ShuttingDown);
        }
        if datagram.acts.len() > MAX_REPEATED_ACTS {
            self.drop_session(
                conn,
                CloseReason::Protocol,
                "too many actions in one datagram",
            );
            return Err(Rejected::TooManyActs);
        }
        let session = self
            .sessions
            .get_mut(&conn)
            .ok_or(Rejected::UnknownSession)?;
        let link = session.link_mut();
        if link.datagrams >= DATAGRAMS_PER_TICK {
            let verdict = link.bucket.dropped_one(now.mono);
            self.metered(conn, verdict, Rejected::OverBudget)?;
            return Err(Rejected::OverBudget);
        }
        link.datagrams += 1;
        link.tracker.acked(datagram.snapshot);
        if let Session::Spectator(w) = session {
            if datagram.acts.is_empty() {
                return Ok(());
            }
            w.refused += 1;
            self.spectator_refusals += 1;
            return Err(Rejected::Spectator);
        }
        for (seq, action) in datagram.acts {
            match self.handle_message(conn, ClientMsg::Act { seq, action }, now) {
                Ok(()) | Err(Rejected::Invalid(_) | Rejected::OverBudget) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// A spectator's message: follow someone, or leave; anything that would act on the world
    /// is refused and counted.
    fn spectator_message(
        &mut self,
        conn: ConnId,
        msg: ClientMsg,
        now: Now,
    ) -> Result<(), Rejected> {
        let Some(Session::Spectator(w)) = self.sessions.get_mut(&conn) else {
            return Err(Rejected::UnknownSession);
        };
        let verdict = w.link.bucket.admit(now.mono);
        self.metered(conn, verdict, Rejected::OverRate)?;
        let Some(Session::Spectator(w)) = self.sessions.get_mut(&conn) else {
            return Err(Rejected::UnknownSession);
        };
        match msg {
            ClientMsg::Follow { name } => {
                let next = follow_next(&self.world, name.as_deref(), w.following);
                if next != w.following {
                    w.following = next;
                    w.link.tracker.reset();
                }
                Ok(())
            }
            ClientMsg::Leave => {
                self.sessions.remove(&conn);
                self.close(conn, CloseReason::Normal, "left".into(), false);
                Ok(())
            }
            ClientMsg::Hello(_) => {
                self.drop_session(
                    conn,
                    CloseReason::Protocol,
                    "Hello is only allowed as the first message",
                );
                Err(Rejected::SecondHello)
            }
            ClientMsg::Chat { text } if self.config.spectators_chat => {
                let name = w.name.clone();
                self.inputs.push(Input::WatcherChat { name, text });
                Ok(())
            }
            ClientMsg::Act { .. }
            | ClientMsg::CreateCharacter { .. }
            | ClientMsg::Chat { .. }
            | ClientMsg::Trade(_)
            | ClientMsg::Party(_)
            | ClientMsg::Pause { .. } => {
                w.refused += 1;
                self.spectator_refusals += 1;
                Err(Rejected::Spectator)
            }
        }
    }

    /// The session of `conn`, while the host takes messages.
    fn live_session(&mut self, conn: ConnId) -> Result<&mut PlayerSession, Rejected> {
        if self.shutting_down {
            return Err(Rejected::ShuttingDown);
        }
        match self.sessions.get_mut(&conn) {
            Some(Session::Player(s)) => Ok(s),
            Some(Session::Spectator(_)) => Err(Rejected::Spectator),
            None => Err(Rejected::UnknownSession),
        }
    }

    /// The connection ended (the transport says why; the character waits, safe).
    pub fn handle_departure(&mut self, conn: ConnId, now: Now) {
        self.paused = false;
        if let Some(session) = self.sessions.remove(&conn)
            && let Some(player) = session.player()
        {
            self.inputs.push(Input::Disconnect {
                player,
                why: Departure::Lost,
            });
            self.note_departure(player, now);
        }
    }

    /// A key that made no character is forgotten a day after it left.
    fn note_departure(&mut self, player: PlayerId, now: Now) {
        if self.world.player(&player).is_none() || self.world.never_played(&player) {
            self.departed.insert(player, now.unix);
        }
    }

    /// The transport's latest round-trip time for `conn`.
    pub fn handle_rtt(&mut self, conn: ConnId, rtt: Duration) {
        if let Some(s) = self.sessions.get_mut(&conn) {
            s.link_mut().rtt = rtt;
        }
    }

    /// Whether the last message for `conn` could be queued (`false`: its queue was full and the
    /// update was dropped, so the next one carries the full view).
    pub fn handle_delivery(&mut self, conn: ConnId, delivered: bool, now: Now) {
        if let Some(s) = self.sessions.get_mut(&conn) {
            let link = s.link_mut();
            if delivered {
                link.lagging_since = None;
            } else {
                link.tracker.reset();
                link.lagging_since.get_or_insert(now.mono);
            }
        }
    }

    /// Every journal entry up to and including `tick` is committed: updates showing those
    /// ticks may leave.
    pub fn handle_durable(&mut self, tick: Tick) {
        self.durable = self.durable.max(tick.next());
        if self.store_failing.take().is_some() {
            self.tell_everyone(HostStatus::Saving);
        }
    }

    /// The store could not write (it keeps retrying): players are told, and the world stops
    /// once it is [`Host::max_unsaved_ticks`] ahead of the journal.
    pub fn handle_store_error(&mut self, reason: String) {
        if self.store_failing.as_ref() != Some(&reason) {
            self.tell_everyone(HostStatus::CannotSave {
                reason: reason.clone(),
            });
            self.store_failing = Some(reason);
        }
    }

    /// Runs the tick when it is due (see [`Host::poll_timeout`]), then housekeeping and
    /// checkpoints when they are due. Does nothing while the journal lags too far behind.
    pub fn handle_tick(&mut self, now: Now) {
        if self.shutting_down || now.mono < self.next_tick_at {
            return;
        }
        if self.unsaved_ticks() >= self.max_unsaved_ticks() {
            // Stop rather than show what could be lost; try again a tick later.
            self.next_tick_at = now.mono + self.tick_period();
            return;
        }
        self.last_unix = now.unix;
        // A paused (solo) world does not tick: nothing happens, nothing is journaled.
        if !self.paused {
            self.tick();
        }
        let period = self.tick_period();
        self.next_tick_at += period;
        if self.next_tick_at <= now.mono {
            // Late by a whole period or more: skip ahead rather than burst.
            self.next_tick_at = now.mono + period;
        }
        if now.mono >= self.next_housekeeping_at {
            self.next_housekeeping_at = now.mono + HOUSEKEEPING_EVERY;
            self.housekeeping(now);
        }
        if now.mono >= self.next_checkpoint_at && self.store_failing.is_none() {
            self.next_checkpoint_at = now.mono + self.config.checkpoint_every;
            self.flush_idle();
            self.persist
                .push_back(Persist::Checkpoint(Box::new(Checkpoint::of(&self.world))));
        }
    }

    /// Stops: everyone still here leaves in one last tick, which is journalled with a final
    /// checkpoint; everyone is told goodbye once it is durable. Later arrivals are refused.
    pub fn shut_down(&mut self) {
        if self.shutting_down {
            return;
        }
        let leaving: Vec<(ConnId, PlayerId)> = self
            .sessions
            .iter()
            .filter_map(|(id, s)| Some((*id, s.player()?)))
            .collect();
        for (_, player) in &leaving {
            self.inputs.push(Input::Disconnect {
                player: *player,
                why: Departure::Lost,
            });
        }
        self.tick();
        self.flush_idle();
        self.persist
            .push_back(Persist::Checkpoint(Box::new(Checkpoint::of(&self.world))));
        let last = Tick(self.world.tick().0.saturating_sub(1));
        for (conn, _) in leaving {
            self.sessions.remove(&conn);
            let goodbye = Transmit {
                conn,
                what: Outgoing::Close {
                    msg: Some(HostMsg::Closing {
                        reason: CLOSING.into(),
                    }),
                    why: CloseReason::Normal,
                    reason: CLOSING.into(),
                },
            };
            self.gated.push_back((last, goodbye));
        }
        self.shutting_down = true;
    }

    // ----- what goes out -----

    /// The next message to send: notices and closes at once, updates once their tick is
    /// durable (nothing a player is shown can be lost to a crash).
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        if let Some(t) = self.urgent.pop_front() {
            return Some(t);
        }
        match self.gated.front() {
            Some((tick, _)) if *tick < self.durable => self.gated.pop_front().map(|(_, t)| t),
            _ => None,
        }
    }

    /// The next thing to write, in order. Poll it only while the store can take more: what is
    /// not polled waits here, and the world stops when too much waits.
    pub fn poll_persist(&mut self) -> Option<Persist> {
        self.persist.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<HostEvent> {
        self.events.pop_front()
    }

    /// When [`Host::handle_tick`] next wants to run (never, once shut down).
    pub fn poll_timeout(&self) -> Duration {
        if self.shutting_down {
            Duration::MAX
        } else {
            self.next_tick_at
        }
    }

    // ----- getters -----

    pub fn world(&self) -> &World {
        &self.world
    }

    /// The host's own key.
    pub fn host_player(&self) -> PlayerId {
        self.config.host_player
    }

    /// Ticks simulated whose journal is not yet durable.
    pub fn unsaved_ticks(&self) -> u64 {
        self.world.tick() - self.durable
    }

    /// The most ticks the world runs ahead of its journal before it stops: one second's worth.
    pub fn max_unsaved_ticks(&self) -> u64 {
        u64::from(self.world.tick_rate().hz())
    }

    /// Whether the store is failing, and why.
    pub fn store_failing(&self) -> Option<&str> {
        self.store_failing.as_deref()
    }

    /// Every tick before this one is durable.
    pub fn durable(&self) -> Tick {
        self.durable
    }

    pub fn secrets(&self) -> &[IssuedSecret] {
        &self.secrets
    }

    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_shut_down(&self) -> bool {
        self.shutting_down
    }

    /// Updates waiting for their tick to become durable.
    pub fn held_updates(&self) -> usize {
        self.gated.len()
    }

    // ----- inside -----

    fn tick_period(&self) -> Duration {
        Duration::from_secs(1) / u32::from(self.world.tick_rate().hz())
    }

    /// One tick: the world advances with the inputs gathered since the last one, its journal
    /// entry is queued, and every client's update is held until that entry is durable.
    fn tick(&mut self) {
        let tick = self.world.tick();
        let inputs = std::mem::take(&mut self.inputs);
        self.world.handle_tick(&inputs);
        let trades = self.world.take_trades();
        let mut facts = self.world.take_facts();
        let won: Vec<game::fact::Fact> = facts
            .iter()
            .filter(|f| matches!(f.kind, game::fact::FactKind::Victory { .. }))
            .cloned()
            .collect();
        if !won.is_empty() {
            let state = self.world.state_hash();
            facts.extend(won.into_iter().map(|f| game::fact::Fact {
                kind: game::fact::FactKind::Proof { state },
                ..f
            }));
        }
        let entry = JournalEntry {
            tick,
            inputs,
            trades,
            facts,
            unix: self.last_unix,
        };
        if self.sessions.is_empty() && entry.inputs.is_empty() && entry.facts.is_empty() {
            self.idle.push(entry);
            if self.idle.len() as u64 >= self.max_unsaved_ticks() / 2 {
                self.flush_idle();
            }
        } else {
            self.flush_idle();
            self.persist.push_back(Persist::Journal(entry));
        }
        for (conn, session) in &mut self.sessions {
            session.link_mut().datagrams = 0;
            // A player who started or stopped watching: whom they now see.
            let mut switched: Option<Option<String>> = None;
            let viewer = match session {
                Session::Player(s) => {
                    s.acts = 0;
                    s.inputs = 0;
                    if has_character(&self.world, &s.player) {
                        s.following = None;
                    } else if let Some(f) = s.following.filter(|p| !has_character(&self.world, p)) {
                        s.following =
                            next_followed(&self.world, Some(f)).filter(|p| *p != s.player);
                    }
                    if s.following != s.viewing {
                        s.viewing = s.following;
                        s.link.tracker.reset();
                        switched = Some(
                            s.viewing
                                .and_then(|p| self.world.player(&p).map(|p| p.name.clone())),
                        );
                    }
                    Some(s.viewing.unwrap_or(s.player))
                }
                Session::Spectator(w) => {
                    // The one followed, while they have a character; else the next who has.
                    let keep = w.following.filter(|p| has_character(&self.world, p));
                    let next = keep.or_else(|| next_followed(&self.world, w.following));
                    if next != w.following {
                        w.following = next;
                        w.link.tracker.reset();
                    }
                    w.following
                }
            };
            let Some(viewer) = viewer else {
                continue;
            };
            let out = session
                .link_mut()
                .tracker
                .poll(&self.world, viewer, &self.rtts);
            if let Some(mut update) = out.update {
                update.following = switched;
                let what = Outgoing::Msg(HostMsg::Update(Box::new(update)));
                self.gated.push_back((tick, Transmit { conn: *conn, what }));
            }
            if let Some(snapshot) = out.snapshot {
                let what = Outgoing::Snapshot(Box::new(snapshot));
                self.gated.push_back((tick, Transmit { conn: *conn, what }));
            }
        }
    }

    /// Hands the idle ticks' entries to the store, in order, ahead of anything later.
    fn flush_idle(&mut self) {
        self.persist
            .extend(self.idle.drain(..).map(Persist::Journal));
    }

    /// Once a second: round-trip times, laggards, invite renewal, the player count.
    fn housekeeping(&mut self, now: Now) {
        // A shown round-trip time changes only when it moved a lot, or every few seconds: each
        // change resends the party list to everyone.
        let measured: BTreeMap<PlayerId, u16> = self
            .sessions
            .values()
            .filter_map(|s| Some((s.player()?, s.link().rtt.as_millis().min(9999) as u16)))
            .collect();
        self.rtts.retain(|p, _| measured.contains_key(p));
        self.rtts_shown_at.retain(|p, _| measured.contains_key(p));
        for (player, rtt) in measured {
            let shown = self.rtts.get(&player).copied();
            let stale = self
                .rtts_shown_at
                .get(&player)
                .is_none_or(|at| now.mono.saturating_sub(*at) >= RTT_REFRESH);
            if shown.is_none_or(|old| stale || rtt_moved_a_lot(old, rtt)) {
                self.rtts.insert(player, rtt);
                self.rtts_shown_at.insert(player, now.mono);
            }
        }
        let laggards: Vec<ConnId> = self
            .sessions
            .iter()
            .filter(|(_, s)| {
                s.link()
                    .lagging_since
                    .is_some_and(|t| now.mono.saturating_sub(t) > MAX_LAG)
            })
            .map(|(id, _)| *id)
            .collect();
        for id in laggards {
            self.drop_session(
                id,
                CloseReason::TooSlow,
                "your connection could not keep up",
            );
        }
        if self.config.invites {
            self.renew_invite(now);
        }
        self.forget_departed(now);
        let players = self.world.connected_count().min(usize::from(u16::MAX)) as u16;
        if players != self.players_announced {
            self.players_announced = players;
            self.events.push_back(HostEvent::Players(players));
        }
        let spectators = self.spectators();
        if spectators != self.spectators_announced {
            self.spectators_announced = spectators.clone();
            self.events.push_back(HostEvent::Spectators(spectators));
        }
    }

    /// Forgets keys that joined, made no character and left a day ago or more (one input each,
    /// which the world ignores for anyone who played since).
    fn forget_departed(&mut self, now: Now) {
        let due: Vec<PlayerId> = self
            .departed
            .iter()
            .filter(|(_, at)| now.unix >= at.saturating_add(FORGET_AFTER_SECS))
            .map(|(id, _)| *id)
            .collect();
        for player in due {
            self.departed.remove(&player);
            let connected = self.sessions.values().any(|s| s.player() == Some(player));
            if !connected && self.world.never_played(&player) {
                self.inputs.push(Input::Forget { player });
            }
        }
    }

    /// Issues a new invite secret when the newest one is about to expire or is used up.
    fn renew_invite(&mut self, now: Now) {
        if admission::prune(&mut self.secrets, now.unix, self.config.max_new_per_code) {
            return;
        }
        let mut secret = [0u8; 16];
        self.rng.fill_bytes(&mut secret);
        let issued = IssuedSecret::new(secret, now.unix, INVITE_TTL_SECS);
        self.secrets.push(issued);
        self.persist
            .push_back(Persist::Secrets(self.secrets.clone()));
        self.events.push_back(HostEvent::InviteIssued(issued));
    }

    /// Removes a session the host ends: its character disconnects next tick; it is told why.
    fn drop_session(&mut self, conn: ConnId, why: CloseReason, reason: &str) {
        if let Some(player) = self.sessions.remove(&conn).and_then(|s| s.player()) {
            self.inputs.push(Input::Disconnect {
                player,
                why: Departure::Lost,
            });
        }
        self.close(conn, why, reason.to_owned(), false);
    }

    /// Queues a close; `tell` sends the reason as a `Closing` message first.
    fn close(&mut self, conn: ConnId, why: CloseReason, reason: String, tell: bool) {
        let msg = tell.then(|| HostMsg::Closing {
            reason: reason.clone(),
        });
        self.urgent.push_back(Transmit {
            conn,
            what: Outgoing::Close { msg, why, reason },
        });
    }

    fn tell_everyone(&mut self, status: HostStatus) {
        for conn in self.sessions.keys() {
            self.urgent.push_back(Transmit {
                conn: *conn,
                what: Outgoing::Msg(HostMsg::Status(status.clone())),
            });
        }
    }
}

/// Whether `player` has a character in `world`.
fn has_character(world: &World, player: &PlayerId) -> bool {
    world.player(player).is_some_and(|p| p.character.is_some())
}

/// Whom to follow: the player called `name`, or the next after `after` with a character.
impl Host {
    /// Acts on what a client's rate bucket said of its message: taken, refused with `over`, or
    /// (a client that keeps flooding) its session closed.
    fn metered(
        &mut self,
        conn: ConnId,
        verdict: BucketVerdict,
        over: Rejected,
    ) -> Result<(), Rejected> {
        match verdict {
            BucketVerdict::Take => Ok(()),
            BucketVerdict::Drop => Err(over),
            BucketVerdict::Flooding => {
                self.drop_session(conn, CloseReason::Protocol, "too many messages");
                Err(Rejected::Flooding)
            }
        }
    }
}

fn follow_next(world: &World, name: Option<&str>, after: Option<PlayerId>) -> Option<PlayerId> {
    match name {
        Some(name) => world
            .players()
            .find(|(_, p)| p.name.eq_ignore_ascii_case(name))
            .map(|(id, _)| *id),
        None => next_followed(world, after),
    }
}

/// The player after `after` (in id order, wrapping) who has a character, if anyone has: whom
/// Tab follows next (spectators, the dead, the replay viewer).
pub fn next_followed(world: &World, after: Option<PlayerId>) -> Option<PlayerId> {
    let with: Vec<PlayerId> = world
        .players()
        .filter(|(id, _)| has_character(world, id))
        .map(|(id, _)| *id)
        .collect();
    let at = after.and_then(|a| with.iter().position(|id| *id == a));
    match at {
        Some(i) => with.get((i + 1) % with.len()).copied(),
        None => with.first().copied(),
    }
}
