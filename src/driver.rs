//! The host driver: sockets, the timer and the saver around the host core ([`host::Host`]).
//!
//! It accepts connections and finishes their handshakes, decodes frames into the core, wakes
//! the core when its next tick is due, sends what [`Host::poll_transmit`] returns, hands
//! [`Host::poll_persist`] to the [`Saver`] and tells the core what became durable. Every
//! decision (admission, rates, budgets, lag, replication, what to save, when updates may
//! leave) is the core's; the driver only carries it out. It takes its listener and its
//! shutdown signal from outside, so a test can start one.
//!
//! A server of many worlds (`brogue serve`) runs one world driver per world behind one
//! listener: the accept loop routes each arrival through the [`Doors`] to the world its
//! `Hello` names. Each step of a world's driver (a tick, an event, a report) runs under
//! `catch_unwind`: a panic stops that world only ([`HostReport::crashed`]) — its players are
//! told, what it handed the saver is written — and the others play on.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use game::protocol::{ClientDatagram, ClientMsg, HostMsg, Refusal, Welcome};
use game::{PlayerId, StateHash, Tick};
use host::{
    Arrival, CLOSING, CloseReason, ConnId, Host, HostEvent, Now, Outgoing, Persist, Rejected,
};
use net::close;
use net::invite::{Invite, Secret};
use net::server::{Listener, PeerHandle, Pending};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::metrics::{Metrics, WorldMetrics};
use crate::saver::{JournalStats, Report, WorldSaver};

/// Messages queued for one client before it counts as lagging (the core then resends a full
/// view, and drops a client that lags too long).
const OUTBOX: usize = 64;
/// Datagrams read from one client per second before the rest of that second's are dropped
/// unread (an honest client sends one or two a tick), so a flood cannot crowd other players'
/// messages out of the driver's queue.
const DATAGRAMS_PER_SEC: u32 = 120;
/// How often round-trip times are read from the transport.
const RTT_EVERY: Duration = Duration::from_secs(1);
/// How often a saver that lags is mentioned in the log.
const LAG_LOG_EVERY: Duration = Duration::from_secs(5);

/// What the driver needs besides the core, the listener and the saver.
#[derive(Debug)]
pub struct DriverParams {
    /// Where invite codes point (pin, addresses, port), when invites are issued.
    pub invite_template: Option<Invite>,
    /// Receives every new invite code (after renewals, and when the addresses change).
    pub invites: watch::Sender<Option<String>>,
    /// The secret of the code shown now (re-encoded when the addresses change).
    pub current_secret: Option<host::IssuedSecret>,
    /// Where codes point, as the router's answers change it (public address first).
    pub addresses: watch::Receiver<Vec<SocketAddr>>,
    /// Receives the number of connected players (for the LAN announcement).
    pub players: watch::Sender<u16>,
    /// Receives who is watching, by name.
    pub spectators: watch::Sender<Vec<String>>,
    /// When the driver's monotonic clock started (the core's time 0).
    pub started: Instant,
    /// For tests of a world's crash: its tick panics once it reaches this tick.
    pub panic_at: Option<Tick>,
    /// What Prometheus sees of this world (`brogue serve --metrics`).
    pub metrics: WorldMetrics,
}

/// What players of a world that stopped after a panic are told.
pub const CRASHED: &str = "this world stopped after an internal error";

/// The environment variable that makes a world's tick panic, for tests of isolation:
/// `WORLD@TICK` (`brogue serve` and `brogue host` read it; nobody sets it in play).
pub const PANIC_ENV: &str = "BROGUE_TEST_PANIC_AT";

/// The tick at which `world` is to panic, from [`PANIC_ENV`].
pub fn panic_at(world: &str) -> Option<Tick> {
    let spec = std::env::var(PANIC_ENV).ok()?;
    let (name, tick) = spec.rsplit_once('@')?;
    (name == world).then(|| tick.parse().ok().map(Tick))?
}

/// How the host ended.
#[derive(Debug, Clone)]
pub struct HostReport {
    pub world: String,
    pub tick: Tick,
    pub hash: StateHash,
    /// What could not be saved, if anything.
    pub save_error: Option<String>,
    /// What journal writes cost.
    pub journal: JournalStats,
    /// Why the world stopped by itself (a panic in its tick), if it did.
    pub crashed: Option<String>,
}

/// Which world's driver an arrival goes to: a server of many worlds shares one listener.
#[derive(Clone, Debug, Default)]
pub struct Doors {
    worlds: Arc<Mutex<BTreeMap<String, mpsc::Sender<Event>>>>,
}

impl Doors {
    fn open(&self, world: &str, events: mpsc::Sender<Event>) {
        self.lock().insert(world.to_owned(), events);
    }

    fn close(&self, world: &str) {
        self.lock().remove(world);
    }

    /// The worlds taking arrivals now.
    pub fn worlds(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// Where a `Hello` goes: to the world it names; without a name, to the only world.
    fn route(&self, world: Option<&str>) -> Result<mpsc::Sender<Event>, Refusal> {
        let worlds = self.lock();
        match world {
            Some(name) => worlds.get(name).cloned().ok_or(Refusal::NoSuchWorld {
                world: name.to_owned(),
            }),
            None if worlds.len() == 1 => Ok(worlds.values().next().expect("one").clone()),
            None if worlds.is_empty() => Err(Refusal::ShuttingDown),
            None => Err(Refusal::WhichWorld),
        }
    }

    /// Asks world `world` to carry out `command`; `Err` says why not (no such world running).
    pub async fn admin(&self, world: &str, command: AdminCommand) -> Result<AdminAnswer, String> {
        let door = self.lock().get(world).cloned();
        let door = door.ok_or_else(|| {
            format!(
                "no running world called {world:?} (running: {})",
                self.worlds().join(", ")
            )
        })?;
        let (reply, answer) = oneshot::channel();
        door.send(Event::Admin(command, reply))
            .await
            .map_err(|_| format!("world {world} is stopping"))?;
        answer
            .await
            .map_err(|_| format!("world {world} stopped before it answered"))?
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, mpsc::Sender<Event>>> {
        self.worlds.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Seconds since the Unix epoch (the host's wall clock, for invite expiry only).
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The driver's clocks, as the core reads them.
pub fn now(started: Instant) -> Now {
    Now::new(started.elapsed(), now_unix())
}

/// The invite code for `secret`.
pub fn invite_code(template: &Invite, secret: &host::IssuedSecret) -> String {
    Invite {
        secret: Secret(secret.secret),
        expires_at: secret.expires_at,
        ..template.clone()
    }
    .encode()
}

/// What connection tasks tell the driver.
#[derive(Debug)]
enum Event {
    Arrived(Box<Pending>),
    Message(ConnId, ClientMsg),
    Datagram(ConnId, ClientDatagram),
    Gone(ConnId, String),
    Admin(AdminCommand, oneshot::Sender<Result<AdminAnswer, String>>),
}

/// What a server's admin asks of one running world (`brogue admin`, see `admin.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminCommand {
    Roster,
    Kick(String),
    Ban(String),
    Unban(String),
    /// Revoke every code and issue a new one.
    Invite,
    Announce(String),
    /// Stop the world: tell its players, save, end its driver.
    Stop,
}

/// A world's answer to its admin.
#[derive(Clone, Debug)]
pub enum AdminAnswer {
    Said(String),
    Roster(Vec<host::RosterRow>),
}

struct Conn {
    out: mpsc::Sender<Outgoing>,
    handle: PeerHandle,
    player: PlayerId,
    /// UDP bytes (received, sent) when last counted.
    counted: (u64, u64),
}

struct Driver {
    core: Host,
    /// Ends this world's driver (its shutdown token: the server's, or the admin's stop-world).
    stop: CancellationToken,
    saver: WorldSaver,
    params: DriverParams,
    conns: BTreeMap<ConnId, Conn>,
    next_conn: ConnId,
    events: mpsc::Sender<Event>,
    tasks: TaskTracker,
    /// A job the saver had no room for.
    unsent: Option<Persist>,
    last_lag_log: Instant,
    /// The listener's handshake lanes, told which keys are known.
    lanes: Arc<net::server::Lanes>,
    /// How many players the world had when the lanes were last told.
    known_players: usize,
    refusals: Refusals,
    /// Admissions and departures: a key that reconnects in a loop writes a line a minute.
    sessions: LogBudget<(PlayerId, &'static str)>,
}

impl Conn {
    /// Adds what this connection moved since it was last counted to the world's bytes.
    fn count_bytes(&mut self, metrics: &WorldMetrics) {
        let (received, sent) = self.handle.udp_bytes();
        metrics.bytes(
            received.saturating_sub(self.counted.0),
            sent.saturating_sub(self.counted.1),
        );
        self.counted = (received, sent);
    }
}

/// Runs a host of one world until `shutdown` fires, then says goodbye, saves and reports.
pub async fn run(
    listener: Listener,
    core: Host,
    saver: WorldSaver,
    params: DriverParams,
    shutdown: CancellationToken,
) -> HostReport {
    let listener = Arc::new(listener);
    let doors = Doors::default();
    let refusals = refusals();
    let accept = tokio::spawn(accept_loop(
        listener.clone(),
        doors.clone(),
        refusals.clone(),
        params.metrics.all(),
        shutdown.clone(),
    ));
    let lanes = listener.lanes();
    let report = run_world(core, saver, params, &doors, lanes, refusals, shutdown).await;
    accept.abort();
    listener.close(CLOSING);
    let _ = tokio::time::timeout(Duration::from_secs(2), listener.wait_idle()).await;
    report
}

/// The handshake log budget the accept loop and the world drivers share.
pub fn refusals() -> Refusals {
    Arc::new(Mutex::new(LogBudget::new(REFUSAL_LINES_PER_MINUTE)))
}

/// What a world's driver does next (chosen asynchronously, carried out synchronously).
enum Step {
    Report(Report),
    /// The tick due at this instant.
    Tick(Instant),
    Event(Event),
    Rtt,
    Readdress(Vec<SocketAddr>),
    Nothing,
}

/// Runs one world behind `doors` until `shutdown` fires (or its tick panics), then says
/// goodbye, hands everything to the saver, closes this world's saver and reports.
pub async fn run_world(
    core: Host,
    saver: WorldSaver,
    params: DriverParams,
    doors: &Doors,
    lanes: Arc<net::server::Lanes>,
    refusals: Refusals,
    shutdown: CancellationToken,
) -> HostReport {
    let (events_tx, mut events) = mpsc::channel::<Event>(1024);
    let name = core.world().name().to_owned();
    doors.open(&name, events_tx.clone());
    let mut driver = Driver {
        core,
        stop: shutdown.clone(),
        saver,
        params,
        conns: BTreeMap::new(),
        next_conn: 1,
        events: events_tx,
        tasks: TaskTracker::new(),
        unsent: None,
        last_lag_log: Instant::now(),
        lanes,
        known_players: usize::MAX,
        refusals,
        sessions: LogBudget::new(SESSION_LINES_PER_MINUTE),
    };
    let mut rtt = tokio::time::interval(RTT_EVERY);
    let mut addresses = driver.params.addresses.clone();
    let mut addresses_open = true;
    let mut step = Step::Nothing;
    loop {
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            driver.step(std::mem::replace(&mut step, Step::Nothing));
            driver.pump();
        }));
        if let Err(panic) = outcome {
            doors.close(&name);
            driver.lanes.forget_world(&name);
            return driver.crashed(panic_text(panic.as_ref())).await;
        }
        let wake = driver.params.started + driver.core.poll_timeout();
        step = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            Some(report) = driver.saver.reports.recv() => Step::Report(report),
            () = tokio::time::sleep_until(wake.into()) => Step::Tick(wake),
            Some(event) = events.recv() => Step::Event(event),
            _ = rtt.tick() => Step::Rtt,
            changed = addresses.changed(), if addresses_open => match changed {
                Ok(()) => Step::Readdress(addresses.borrow_and_update().clone()),
                Err(_) => {
                    addresses_open = false;
                    Step::Nothing
                }
            },
        };
    }
    doors.close(&name);
    driver.shut_down().await
}

/// A refusal's reason as a metric label.
pub fn reason(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::VersionMismatch { .. } => "version_mismatch",
        Refusal::WrongSecret => "wrong_secret",
        Refusal::ExpiredSecret => "expired_secret",
        Refusal::InviteRequired => "invite_required",
        Refusal::Full { .. } => "full",
        Refusal::AlreadyConnected => "already_connected",
        Refusal::ShuttingDown => "shutting_down",
        Refusal::Protocol(_) => "protocol",
        Refusal::CodeUsedUp { .. } => "code_used_up",
        Refusal::JoiningTooFast => "joining_too_fast",
        Refusal::NoSpectators => "no_spectators",
        Refusal::SpectatorsFull { .. } => "spectators_full",
        Refusal::NoSuchWorld { .. } => "no_such_world",
        Refusal::WhichWorld => "which_world",
        Refusal::Banned => "banned",
    }
}

/// What a panic said.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// Accepts connections, finishes their handshakes and hands each to the world its `Hello`
/// names (see [`Doors::route`]); refuses the rest.
pub async fn accept_loop(
    listener: Arc<Listener>,
    doors: Doors,
    refusals: Refusals,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) {
    loop {
        let arrival = tokio::select! {
            () = shutdown.cancelled() => return,
            arrival = listener.accept() => arrival,
        };
        let Some(arrival) = arrival else { return };
        let doors = doors.clone();
        let refusals = refusals.clone();
        let metrics = metrics.clone();
        let remote = arrival.remote();
        tokio::spawn(async move {
            let note = |what: String| {
                let line = refusals
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .note(remote.ip(), Instant::now());
                if let Some(more) = line {
                    tracing::info!(%remote, "{what}{more}");
                }
            };
            match net::server::handshake(arrival).await {
                Ok(pending) => match doors.route(pending.hello.world.as_deref()) {
                    Ok(world) => {
                        let _ = world.send(Event::Arrived(Box::new(pending))).await;
                    }
                    Err(refusal) => {
                        metrics.refused(reason(&refusal));
                        note(format!("refused: {refusal:?}"));
                        pending.refuse(refusal).await;
                    }
                },
                Err(e) => {
                    metrics.refused("handshake");
                    note(format!("handshake failed: {e}"));
                }
            }
        });
    }
}

/// Keeps what strangers can make the host log small: per key (an address, or a player and what
/// happened to them), at most one line a minute (the next says how many were left out), and at
/// most `per_minute` lines in all. Lines a flood leaves out are counted, never written.
#[derive(Debug)]
pub struct LogBudget<K> {
    by_key: BTreeMap<K, (Instant, u32)>,
    window: Option<Instant>,
    lines_in_window: u32,
    per_minute: u32,
}

/// Lines about refused or failed handshakes written per minute, from all addresses together.
pub const REFUSAL_LINES_PER_MINUTE: u32 = 30;
/// Lines about sessions (admitted, lost, cut off) written per minute, all players together.
pub const SESSION_LINES_PER_MINUTE: u32 = 30;
/// Keys remembered for the per-key limit.
const REMEMBERED_KEYS: usize = 4096;

impl<K: Ord> LogBudget<K> {
    pub fn new(per_minute: u32) -> LogBudget<K> {
        LogBudget {
            by_key: BTreeMap::new(),
            window: None,
            lines_in_window: 0,
            per_minute,
        }
    }

    /// Whether to log another line about `key` now: `Some(suffix)` to log (the suffix counts
    /// what was left out since), `None` to stay quiet.
    pub fn note(&mut self, key: K, now: Instant) -> Option<String> {
        let minute = Duration::from_secs(60);
        if self.window.is_none_or(|w| now.duration_since(w) >= minute) {
            self.window = Some(now);
            self.lines_in_window = 0;
        }
        if self.by_key.len() >= REMEMBERED_KEYS && !self.by_key.contains_key(&key) {
            self.by_key
                .retain(|_, (at, _)| now.duration_since(*at) < minute);
            if self.by_key.len() >= REMEMBERED_KEYS {
                self.by_key.clear();
            }
        }
        let entry = self.by_key.entry(key).or_insert((now, 0));
        let fresh = entry.1 == 0 && entry.0 == now;
        if !fresh && now.duration_since(entry.0) < minute {
            entry.1 += 1;
            return None;
        }
        if self.lines_in_window >= self.per_minute {
            entry.1 += 1;
            return None;
        }
        self.lines_in_window += 1;
        let left_out = std::mem::replace(entry, (now, 0)).1;
        Some(if left_out > 0 {
            format!(" (and {left_out} more like it in the last minute)")
        } else {
            String::new()
        })
    }
}

/// Shared by the accept loop and the driver.
pub type Refusals = Arc<Mutex<LogBudget<IpAddr>>>;

impl Driver {
    fn step(&mut self, step: Step) {
        match step {
            Step::Report(report) => self.on_report(report),
            Step::Tick(due) => {
                let began = Instant::now();
                if self
                    .params
                    .panic_at
                    .is_some_and(|t| self.core.world().tick() >= t)
                {
                    panic!("{PANIC_ENV} asked this world's tick to panic");
                }
                self.core.handle_tick(now(self.params.started));
                let period = Duration::from_secs(1) / u32::from(self.core.world().tick_rate().hz());
                self.params.metrics.tick(
                    began.elapsed(),
                    began.saturating_duration_since(due),
                    period,
                );
            }
            Step::Event(event) => self.on_event(event),
            Step::Rtt => self.read_rtts(),
            Step::Readdress(addrs) => self.readdress(addrs),
            Step::Nothing => {}
        }
    }

    fn on_report(&mut self, report: Report) {
        match report {
            Report::Durable(tick) => self.core.handle_durable(tick),
            Report::Failing(reason) => {
                self.params.metrics.save_failed();
                tracing::error!("the host cannot save: {reason}; the world pauses until it can");
                self.core.handle_store_error(reason);
            }
        }
    }

    fn on_event(&mut self, event: Event) {
        let now = now(self.params.started);
        match event {
            Event::Arrived(pending) => self.arrive(*pending, now),
            Event::Datagram(conn, datagram) => {
                match self.core.handle_datagram(conn, datagram, now) {
                    Ok(()) => {}
                    Err(e @ (Rejected::Flooding | Rejected::TooManyActs)) => {
                        self.params.metrics.flood_kick();
                        if let Some(more) = self.session_line(conn, "disconnected") {
                            tracing::info!(conn, "disconnected: {e}{more}");
                        }
                    }
                    Err(e) => tracing::debug!(conn, "datagram refused: {e}"),
                }
            }
            Event::Message(conn, msg) => match self.core.handle_message(conn, msg, now) {
                Ok(()) => {}
                Err(e @ (Rejected::Flooding | Rejected::SecondHello)) => {
                    self.params.metrics.flood_kick();
                    if let Some(more) = self.session_line(conn, "disconnected") {
                        tracing::info!(conn, "disconnected: {e}{more}");
                    }
                }
                Err(e) => tracing::debug!(conn, "message refused: {e}"),
            },
            Event::Admin(command, reply) => {
                let _ = reply.send(self.admin(command, now));
            }
            Event::Gone(conn, reason) => {
                if let Some(more) = self.session_line(conn, "lost") {
                    tracing::info!(conn, "connection lost: {reason}{more}");
                }
                if let Some(mut gone) = self.conns.remove(&conn) {
                    gone.count_bytes(&self.params.metrics);
                }
                self.core.handle_departure(conn, now);
            }
        }
    }

    /// Carries out the admin's `command`, logging what it did.
    fn admin(&mut self, command: AdminCommand, now: Now) -> Result<AdminAnswer, String> {
        let said = match command {
            AdminCommand::Roster => return Ok(AdminAnswer::Roster(self.core.roster())),
            AdminCommand::Kick(who) => self.core.kick(&who)?,
            AdminCommand::Ban(who) => self.core.ban(&who)?,
            AdminCommand::Unban(who) => self.core.unban(&who)?,
            AdminCommand::Invite => {
                let secret = self.core.revoke_invites(now);
                match &self.params.invite_template {
                    Some(template) => format!(
                        "every earlier code of {} is revoked; the new one: {}",
                        self.core.world().name(),
                        invite_code(template, &secret)
                    ),
                    None => "this host issues no invite codes".into(),
                }
            }
            AdminCommand::Announce(text) => {
                self.core.announce(&text);
                format!("announced to everyone in {}", self.core.world().name())
            }
            AdminCommand::Stop => {
                self.stop.cancel();
                format!(
                    "stopping {}: its players are told and it is saved",
                    self.core.world().name()
                )
            }
        };
        tracing::info!("admin: {said}");
        Ok(AdminAnswer::Said(said))
    }

    /// Whether to log what happened to `conn`'s player (see [`LogBudget`]); `None` also when
    /// the connection is already gone.
    fn session_line(&mut self, conn: ConnId, what: &'static str) -> Option<String> {
        let player = self.conns.get(&conn)?.player;
        self.sessions.note((player, what), Instant::now())
    }

    fn arrive(&mut self, pending: Pending, now: Now) {
        let conn = self.next_conn;
        self.next_conn += 1;
        let arrival = Arrival {
            player: pending.player,
            hello: pending.hello.clone(),
        };
        match self.core.handle_arrival(conn, arrival, now) {
            Ok(welcome) => {
                let line = self
                    .sessions
                    .note((pending.player, "admitted"), Instant::now());
                if let Some(more) = line {
                    tracing::info!(
                        player = %pending.player.short(),
                        remote = %pending.remote,
                        returning = welcome.returning,
                        "admitted{more}"
                    );
                }
                let (out, outbox) = mpsc::channel(OUTBOX);
                self.conns.insert(
                    conn,
                    Conn {
                        out,
                        handle: pending.handle(),
                        player: pending.player,
                        counted: (0, 0),
                    },
                );
                self.tasks
                    .spawn(serve(conn, pending, welcome, outbox, self.events.clone()));
            }
            Err(refusal) => {
                self.params.metrics.refused(reason(&refusal));
                let line = self
                    .refusals
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .note(pending.remote.ip(), Instant::now());
                if let Some(more) = line {
                    tracing::info!(
                        player = %pending.player.short(),
                        remote = %pending.remote,
                        "refused: {refusal:?}{more}"
                    );
                }
                self.tasks.spawn(pending.refuse(refusal));
            }
        }
    }

    /// Tells the handshake lanes which keys the host knows (every player of the world and the
    /// host's own): on every change of the count, and once a second in case one left and
    /// another came in the same tick.
    fn tell_lanes(&mut self) {
        let mut known: std::collections::BTreeSet<PlayerId> =
            self.core.world().players().map(|(id, _)| *id).collect();
        self.known_players = known.len();
        known.insert(self.core.host_player());
        self.lanes.set_known(self.core.world().name(), known);
    }

    /// The router mapped (or lost) a public address: the code shown now points there too.
    fn readdress(&mut self, addrs: Vec<SocketAddr>) {
        let Some(template) = &mut self.params.invite_template else {
            return;
        };
        if addrs.is_empty() || template.addrs == addrs {
            return;
        }
        template.addrs = addrs;
        if let Some(secret) = &self.params.current_secret {
            let _ = self
                .params
                .invites
                .send(Some(invite_code(template, secret)));
        }
    }

    fn read_rtts(&mut self) {
        self.tell_lanes();
        for (id, conn) in &mut self.conns {
            let rtt = conn.handle.rtt();
            self.core.handle_rtt(*id, rtt);
            self.params.metrics.rtt(rtt);
            conn.count_bytes(&self.params.metrics);
        }
        let unsaved = self.core.unsaved_ticks();
        self.params.metrics.unsaved(unsaved);
        if unsaved > self.core.max_unsaved_ticks() / 2
            && self.last_lag_log.elapsed() >= LAG_LOG_EVERY
        {
            self.last_lag_log = Instant::now();
            tracing::warn!(
                unsaved,
                held_updates = self.core.held_updates(),
                "the saver lags: {unsaved} ticks are not yet durable"
            );
        }
    }

    /// Carries out what the core asks: writes, messages, events; keeps the handshake lanes'
    /// list of known keys current.
    fn pump(&mut self) {
        if self.core.world().players().count() != self.known_players {
            self.tell_lanes();
        }
        // Writes first, so a durable report can come back soonest.
        loop {
            let job = match self.unsent.take() {
                Some(job) => job,
                None if self.saver.has_room() => match self.core.poll_persist() {
                    Some(job) => job,
                    None => break,
                },
                None => break,
            };
            if let Err(job) = self.saver.try_write(job) {
                self.unsent = Some(job);
                break;
            }
        }
        let now = now(self.params.started);
        while let Some(t) = self.core.poll_transmit() {
            let Some(conn) = self.conns.get(&t.conn) else {
                continue;
            };
            let closing = matches!(t.what, Outgoing::Close { .. });
            // Snapshots go as datagrams; one too large for the path rides the stream.
            let what = match t.what {
                Outgoing::Snapshot(snapshot) => match conn.handle.send_snapshot(&snapshot) {
                    Ok(_) => continue,
                    Err(net::DatagramError::TooLarge) => Outgoing::Msg(HostMsg::Snapshot(snapshot)),
                    Err(net::DatagramError::Unavailable(_)) => continue,
                },
                other => other,
            };
            match conn.out.try_send(what) {
                Ok(()) => self.core.handle_delivery(t.conn, true, now),
                Err(mpsc::error::TrySendError::Full(Outgoing::Close { why, reason, .. })) => {
                    conn.handle.close(close_code(why), &reason);
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.core.handle_delivery(t.conn, false, now);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
            if closing {
                self.conns.remove(&t.conn);
            }
        }
        self.params.metrics.connections(self.conns.len());
        while let Some(event) = self.core.poll_event() {
            match event {
                HostEvent::InviteIssued(secret) => {
                    self.params.current_secret = Some(secret);
                    if let Some(template) = &self.params.invite_template {
                        let _ = self
                            .params
                            .invites
                            .send(Some(invite_code(template, &secret)));
                    }
                }
                HostEvent::Players(n) => {
                    self.params.metrics.players(n);
                    self.params
                        .players
                        .send_if_modified(|old| std::mem::replace(old, n) != n);
                }
                HostEvent::Spectators(names) => {
                    tracing::info!("watching: {}", names.join(", "));
                    self.params.spectators.send_replace(names);
                }
            }
        }
    }

    async fn shut_down(mut self) -> HostReport {
        // The last tick (everyone leaves) and a final checkpoint, then everything to disk.
        self.core.shut_down();
        if let Some(job) = self.unsent.take() {
            self.saver.write(job).await;
        }
        while let Some(job) = self.core.poll_persist() {
            self.saver.write(job).await;
        }
        let (closed, reports) = self.saver.close().await;
        for report in reports {
            if let Report::Durable(tick) = report {
                self.core.handle_durable(tick);
            }
        }
        // What the core released: the last updates and "host closed the session".
        while let Some(t) = self.core.poll_transmit() {
            if let Some(conn) = self.conns.get(&t.conn)
                && conn.out.try_send(t.what).is_err()
            {
                conn.handle.close(close::NORMAL, CLOSING);
            }
        }
        self.tasks.close();
        let _ = tokio::time::timeout(Duration::from_secs(3), self.tasks.wait()).await;
        let world = self.core.world();
        let (save_error, journal) = match closed {
            Ok(stats) => (None, stats),
            Err(e) => (Some(e), JournalStats::default()),
        };
        HostReport {
            world: world.name().to_owned(),
            tick: world.tick(),
            hash: world.state_hash(),
            save_error,
            journal,
            crashed: None,
        }
    }

    /// The world's tick (or another step) panicked: its players are told, what the core
    /// already handed over is written, the rest of its state is not trusted (no checkpoint,
    /// no last tick). The journal keeps every tick the core finished.
    async fn crashed(mut self, why: String) -> HostReport {
        let world = self.core.world().name().to_owned();
        tracing::error!(world = %world, "the world stopped after an internal error: {why}");
        self.params.metrics.stopped(&why);
        for conn in self.conns.values() {
            let goodbye = Outgoing::Close {
                msg: Some(HostMsg::Closing {
                    reason: CRASHED.into(),
                }),
                why: CloseReason::Normal,
                reason: CRASHED.into(),
            };
            if conn.out.try_send(goodbye).is_err() {
                conn.handle.close(close::NORMAL, CRASHED);
            }
        }
        if let Some(job) = self.unsent.take() {
            self.saver.write(job).await;
        }
        // Finished ticks the core still held; popping its queue runs no game code.
        while let Ok(Some(job)) =
            std::panic::catch_unwind(AssertUnwindSafe(|| self.core.poll_persist()))
        {
            self.saver.write(job).await;
        }
        // Every finished tick was handed over: the journal ends where the world's tick does.
        let (closed, _) = self.saver.close().await;
        self.tasks.close();
        let _ = tokio::time::timeout(Duration::from_secs(3), self.tasks.wait()).await;
        let (save_error, journal) = match closed {
            Ok(stats) => (None, stats),
            Err(e) => (Some(e), JournalStats::default()),
        };
        HostReport {
            world,
            tick: self.core.world().tick(),
            // Not read for a crashed world: its state is not trusted.
            hash: StateHash([0; 32]),
            save_error,
            journal,
            crashed: Some(why),
        }
    }
}

fn close_code(why: CloseReason) -> u32 {
    match why {
        CloseReason::Normal => close::NORMAL,
        CloseReason::Protocol => close::PROTOCOL,
        CloseReason::TooSlow => close::TOO_SLOW,
    }
}

/// One admitted client: welcome it, then read its messages and write what the core sends.
async fn serve(
    id: ConnId,
    pending: Pending,
    welcome: Welcome,
    mut outbox: mpsc::Receiver<Outgoing>,
    events: mpsc::Sender<Event>,
) {
    let peer = match pending.welcome(welcome).await {
        Ok(peer) => peer,
        Err(e) => {
            let _ = events.send(Event::Gone(id, e.to_string())).await;
            return;
        }
    };
    let (mut tx, mut rx, handle) = peer.split();
    let datagrams = {
        let (handle, events) = (handle.clone(), events.clone());
        tokio::spawn(async move {
            let mut second = (Instant::now(), 0u32);
            // Ends with the connection; the stream reader reports why.
            while let Ok(datagram) = handle.recv_datagram().await {
                if second.0.elapsed() >= Duration::from_secs(1) {
                    second = (Instant::now(), 0);
                }
                second.1 += 1;
                if second.1 > DATAGRAMS_PER_SEC {
                    continue;
                }
                if events.send(Event::Datagram(id, datagram)).await.is_err() {
                    return;
                }
            }
        })
    };
    let reader = tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(msg) => {
                    if events.send(Event::Message(id, msg)).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = events.send(Event::Gone(id, e.to_string())).await;
                    return;
                }
            }
        }
    });
    while let Some(item) = outbox.recv().await {
        match item {
            Outgoing::Msg(msg) => {
                if tx.send(&msg).await.is_err() {
                    break;
                }
            }
            Outgoing::Snapshot(snapshot) => {
                if tx.send(&HostMsg::Snapshot(snapshot)).await.is_err() {
                    break;
                }
            }
            Outgoing::Close { msg, why, reason } => {
                match msg {
                    Some(msg) => tx.close_with(&msg, close_code(why), &reason).await,
                    None => handle.close(close_code(why), &reason),
                }
                break;
            }
        }
    }
    // The core dropped this connection (left, replaced, lagging) or the writer failed.
    handle.close(close::NORMAL, "disconnected");
    let _ = reader.await;
    let _ = datagrams.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_logged_once_a_minute_per_address_and_thirty_a_minute_in_all() {
        let mut log = LogBudget::new(REFUSAL_LINES_PER_MINUTE);
        let start = Instant::now();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(log.note(a, start).as_deref(), Some(""));
        for i in 1..=100 {
            assert_eq!(log.note(a, start + Duration::from_millis(i)), None);
        }
        let later = start + Duration::from_secs(61);
        let line = log.note(a, later).unwrap();
        assert!(line.contains("and 100 more"), "{line}");
        // Many addresses: thirty lines a minute, then silence until the next minute.
        let lines = (0..500u32)
            .filter_map(|n| {
                let ip = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + n));
                log.note(ip, later + Duration::from_millis(u64::from(n)))
            })
            .count();
        assert_eq!(lines as u32, REFUSAL_LINES_PER_MINUTE - 1);
    }
}
