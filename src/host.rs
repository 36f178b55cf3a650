//! The host runtime: owns the [`World`] outright, advances it at a fixed rate, admits players,
//! turns their messages into inputs, and sends each player only what their party may see.
//!
//! One task owns the world (no locks); connection tasks talk to it over channels, and its loop
//! `select!`s over a closed set of events: a tick, an arrival, a message, a departure, an
//! autosave, a once-a-second housekeeping pass, and shutdown. Saving never happens inside a
//! tick: snapshots are taken between ticks and written by the [`Saver`] thread.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use game::protocol::{ClientMsg, HostMsg, Refusal, Welcome};
use game::view::Tracker;
use game::{Departure, Input, PlayerId, StateHash, Tick, World};
use net::close;
use net::invite::{Invite, IssuedSecret, SecretCheck, check_secret};
use net::server::{Listener, PeerHandle, Pending};
use store::SecretRecord;
use tokio::sync::{mpsc, watch};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::saver::{SaveFailures, Saver};

/// Most actions taken from one player per tick; more are dropped (never queued).
const ACTS_PER_TICK: u8 = 4;
/// Updates queued for a client before it counts as lagging (it then gets a full resync).
const OUTBOX: usize = 64;
/// A client that lags this long is disconnected.
const MAX_LAG: Duration = Duration::from_secs(15);
/// Messages a client may send per second, sustained (bursts up to the same number).
const MSGS_PER_SEC: f64 = 40.0;
/// Dropped messages within ten seconds that mark a client as flooding.
const FLOOD_DROPS: u32 = 600;
/// An invite is replaced this long before it expires.
const INVITE_RENEW_BEFORE: u64 = 3600;
/// How long invite codes stay valid.
pub const INVITE_TTL: u64 = 24 * 3600;
/// Expired secrets are remembered this long, to tell their holders "expired" not "wrong".
const EXPIRED_MEMORY: u64 = 7 * 24 * 3600;
/// What connected players are told when the host stops.
pub const CLOSING: &str = "host closed the session";

/// What the host needs besides the world and the listener.
#[derive(Debug)]
pub struct HostParams {
    /// The host's own key: always admitted, no invite needed.
    pub host_player: PlayerId,
    pub max_players: u16,
    pub autosave_every: Duration,
    /// Issued invite secrets; empty when nobody else may join (solo).
    pub secrets: Vec<SecretRecord>,
    /// Where invite codes point (pin, addresses, port), when invites are issued.
    pub invite_template: Option<Invite>,
    /// Receives every new invite code (after renewals).
    pub invites: watch::Sender<Option<String>>,
    /// Admit new players without a secret (`--lan-open`).
    pub open: bool,
    /// Receives the number of connected players (for the LAN announcement).
    pub players: watch::Sender<u16>,
}

/// How the host ended.
#[derive(Debug, Clone)]
pub struct HostReport {
    pub world: String,
    pub tick: Tick,
    pub hash: StateHash,
    /// The last save error, if any save failed.
    pub save_error: Option<String>,
}

/// Seconds since the Unix epoch (the host's wall clock, for invite expiry only).
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

type ConnId = u64;

/// What connection tasks tell the host loop.
enum Event {
    Arrived(Box<Pending>),
    Message(ConnId, ClientMsg),
    Gone(ConnId, String),
}

/// What the host loop tells a connection's writer.
enum Outgoing {
    Msg(HostMsg),
    Close {
        msg: HostMsg,
        code: u32,
        reason: String,
    },
}

struct Conn {
    player: PlayerId,
    handle: PeerHandle,
    out: mpsc::Sender<Outgoing>,
    tracker: Tracker,
    acts: u8,
    lagging_since: Option<Instant>,
}

struct Host {
    world: World,
    saver: Saver,
    failures: SaveFailures,
    params: HostParams,
    conns: BTreeMap<ConnId, Conn>,
    next_conn: ConnId,
    inputs: Vec<Input>,
    rtt: BTreeMap<PlayerId, u16>,
    events: mpsc::Sender<Event>,
    tasks: TaskTracker,
}

/// Runs the host until `shutdown` fires, then tells everyone, saves, and reports.
pub async fn run(
    listener: Listener,
    world: World,
    saver: (Saver, SaveFailures),
    params: HostParams,
    shutdown: CancellationToken,
) -> HostReport {
    let (events_tx, mut events) = mpsc::channel::<Event>(1024);
    let tasks = TaskTracker::new();
    let listener = std::sync::Arc::new(listener);
    tasks.spawn(accept_loop(
        listener.clone(),
        events_tx.clone(),
        shutdown.clone(),
    ));
    let tick_period = Duration::from_secs_f64(1.0 / f64::from(world.tick_rate().hz()));
    let autosave_every = params.autosave_every;
    let mut host = Host {
        world,
        saver: saver.0,
        failures: saver.1,
        params,
        conns: BTreeMap::new(),
        next_conn: 1,
        inputs: Vec::new(),
        rtt: BTreeMap::new(),
        events: events_tx,
        tasks,
    };
    // Players marked connected in the save were cut off by a crash: they left.
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

    let mut ticker = tokio::time::interval(tick_period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut autosave = tokio::time::interval(autosave_every);
    autosave.set_missed_tick_behavior(MissedTickBehavior::Delay);
    autosave.tick().await;
    let mut housekeeping = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            _ = ticker.tick() => host.tick(),
            Some(event) = events.recv() => host.handle_event(event),
            _ = autosave.tick() => host.autosave(),
            _ = housekeeping.tick() => host.housekeeping().await,
        }
    }
    host.shut_down(listener).await
}

async fn accept_loop(
    listener: std::sync::Arc<Listener>,
    events: mpsc::Sender<Event>,
    shutdown: CancellationToken,
) {
    loop {
        let arrival = tokio::select! {
            () = shutdown.cancelled() => return,
            arrival = listener.accept() => arrival,
        };
        let Some(arrival) = arrival else { return };
        let events = events.clone();
        tokio::spawn(async move {
            match net::server::handshake(arrival).await {
                Ok(pending) => {
                    let _ = events.send(Event::Arrived(Box::new(pending))).await;
                }
                Err(e) => tracing::info!("handshake failed: {e}"),
            }
        });
    }
}

impl Host {
    /// One tick: the world advances with the inputs gathered since the last one, then every
    /// client is sent what changed for them.
    fn tick(&mut self) {
        let inputs = std::mem::take(&mut self.inputs);
        self.world.handle_tick(&inputs);
        // Every economy change goes to disk, in order, one transaction each.
        for entry in self.world.take_ledger() {
            self.saver.apply(self.world.name(), entry);
        }
        for conn in self.conns.values_mut() {
            conn.acts = 0;
            let Some(update) = conn
                .tracker
                .poll_update(&self.world, conn.player, &self.rtt)
            else {
                continue;
            };
            match conn
                .out
                .try_send(Outgoing::Msg(HostMsg::Update(Box::new(update))))
            {
                Ok(()) => conn.lagging_since = None,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    // Dropped: the next update this client gets is a full view.
                    conn.tracker.reset();
                    conn.lagging_since.get_or_insert_with(Instant::now);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
    }

    fn handle_event(&mut self, event: Event) {
        match event {
            Event::Arrived(pending) => self.arrive(*pending),
            Event::Message(id, msg) => self.message(id, msg),
            Event::Gone(id, reason) => {
                if let Some(conn) = self.conns.remove(&id) {
                    tracing::info!(player = %conn.player.short(), "connection lost: {reason}");
                    self.inputs.push(Input::Disconnect {
                        player: conn.player,
                        why: Departure::Lost,
                    });
                }
            }
        }
    }

    /// Decides whether a handshaken client may play.
    fn admission(&self, pending: &Pending) -> Result<bool, Refusal> {
        let returning = self.world.player(&pending.player).is_some();
        let reconnecting = self.conns.values().any(|c| c.player == pending.player);
        if !reconnecting && self.conns.len() >= usize::from(self.params.max_players) {
            return Err(Refusal::Full {
                max_players: self.params.max_players,
            });
        }
        if returning || pending.player == self.params.host_player || self.params.open {
            return Ok(returning);
        }
        let issued: Vec<IssuedSecret> = self
            .params
            .secrets
            .iter()
            .map(|s| IssuedSecret {
                secret: s.secret,
                expires_at: s.expires_at,
            })
            .collect();
        match check_secret(&issued, pending.hello.invite_secret.as_ref(), now_unix()) {
            SecretCheck::Valid => Ok(false),
            SecretCheck::Expired => Err(Refusal::ExpiredSecret),
            SecretCheck::Wrong if pending.hello.invite_secret.is_none() => {
                Err(Refusal::InviteRequired)
            }
            SecretCheck::Wrong => Err(Refusal::WrongSecret),
        }
    }

    fn arrive(&mut self, pending: Pending) {
        let returning = match self.admission(&pending) {
            Ok(returning) => returning,
            Err(refusal) => {
                tracing::info!(player = %pending.player.short(), "refused: {refusal}");
                self.tasks.spawn(pending.refuse(refusal));
                return;
            }
        };
        let player = pending.player;
        // The same key again: the newer connection wins (a reconnect after a drop the host has
        // not noticed yet, or the same identity started elsewhere).
        let old: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.player == player)
            .map(|(id, _)| *id)
            .collect();
        for id in old {
            if let Some(conn) = self.conns.remove(&id) {
                let reason = "this identity connected again from elsewhere".to_owned();
                let _ = conn.out.try_send(Outgoing::Close {
                    msg: HostMsg::Closing {
                        reason: reason.clone(),
                    },
                    code: close::NORMAL,
                    reason,
                });
            }
        }
        let welcome = Welcome {
            world: self.world.name().to_owned(),
            player,
            returning,
            tick_rate: self.world.tick_rate().hz(),
        };
        let id = self.next_conn;
        self.next_conn += 1;
        let (out, outbox) = mpsc::channel(OUTBOX);
        self.conns.insert(
            id,
            Conn {
                player,
                handle: pending.handle(),
                out,
                tracker: Tracker::new(),
                acts: 0,
                lagging_since: None,
            },
        );
        let connected = self.world.player(&player).is_some_and(|p| p.connected);
        if !connected {
            self.inputs.push(Input::Connect {
                player,
                name: pending.hello.name.clone(),
            });
        }
        tracing::info!(player = %player.short(), remote = %pending.remote, returning, "admitted");
        self.tasks
            .spawn(serve(id, pending, welcome, outbox, self.events.clone()));
    }

    fn message(&mut self, id: ConnId, msg: ClientMsg) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let player = conn.player;
        match msg {
            ClientMsg::Act { seq, action } => {
                if conn.acts < ACTS_PER_TICK {
                    conn.acts += 1;
                    match self.world.check_action(player, action) {
                        Ok(action) => self.inputs.push(Input::Act {
                            player,
                            seq,
                            action,
                        }),
                        Err(e) => tracing::debug!(player = %player.short(), "refused action: {e}"),
                    }
                }
            }
            ClientMsg::CreateCharacter { class } => {
                self.inputs.push(Input::CreateCharacter { player, class });
            }
            ClientMsg::Leave => {
                self.conns.remove(&id);
                self.inputs.push(Input::Disconnect {
                    player,
                    why: Departure::Left,
                });
            }
            ClientMsg::Chat { text } => self.inputs.push(Input::Chat { player, text }),
            ClientMsg::Trade(trade) => match self.world.check_trade(player, trade) {
                Ok(trade) => self.inputs.push(Input::Trade { player, trade }),
                Err(e) => tracing::debug!(player = %player.short(), "refused trade move: {e}"),
            },
            ClientMsg::Hello(_) => {
                conn.handle.close(
                    close::PROTOCOL,
                    "Hello is only allowed as the first message",
                );
                self.conns.remove(&id);
                self.inputs.push(Input::Disconnect {
                    player,
                    why: Departure::Lost,
                });
            }
        }
    }

    /// Hands the changes since the last autosave to the saver, unless it is still busy.
    fn autosave(&mut self) {
        if self.saver.has_room() {
            self.saver.save(self.world.take_changes());
        }
    }

    /// Once a second: round-trip times, laggards, invite renewal, the player count.
    async fn housekeeping(&mut self) {
        let players = self.world.connected_count().min(usize::from(u16::MAX)) as u16;
        self.params
            .players
            .send_if_modified(|n| std::mem::replace(n, players) != players);
        self.rtt = self
            .conns
            .values()
            .map(|c| (c.player, c.handle.rtt().as_millis().min(9999) as u16))
            .collect();
        let laggards: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.lagging_since.is_some_and(|t| t.elapsed() > MAX_LAG))
            .map(|(id, _)| *id)
            .collect();
        for id in laggards {
            if let Some(conn) = self.conns.remove(&id) {
                conn.handle
                    .close(close::TOO_SLOW, "your connection could not keep up");
                self.inputs.push(Input::Disconnect {
                    player: conn.player,
                    why: Departure::Lost,
                });
            }
        }
        self.renew_invite().await;
    }

    /// Issues a new invite secret when the newest one is about to expire.
    async fn renew_invite(&mut self) {
        let Some(template) = &self.params.invite_template else {
            return;
        };
        let now = now_unix();
        let newest = self
            .params
            .secrets
            .iter()
            .map(|s| s.expires_at)
            .max()
            .unwrap_or(0);
        if newest > now + INVITE_RENEW_BEFORE {
            return;
        }
        let issued = IssuedSecret::new(now, INVITE_TTL);
        self.params
            .secrets
            .retain(|s| s.expires_at + EXPIRED_MEMORY > now);
        self.params.secrets.push(SecretRecord {
            secret: issued.secret,
            expires_at: issued.expires_at,
        });
        let invite = Invite {
            secret: net::invite::Secret(issued.secret),
            expires_at: issued.expires_at,
            ..template.clone()
        };
        self.saver
            .save_secrets(self.world.name().to_owned(), self.params.secrets.clone());
        let _ = self.params.invites.send(Some(invite.encode()));
    }

    async fn shut_down(mut self, listener: std::sync::Arc<Listener>) -> HostReport {
        // Everyone still here leaves, so the saved world has nobody connected.
        let leaving: Vec<Conn> = std::mem::take(&mut self.conns).into_values().collect();
        for conn in &leaving {
            self.inputs.push(Input::Disconnect {
                player: conn.player,
                why: Departure::Lost,
            });
        }
        let inputs = std::mem::take(&mut self.inputs);
        self.world.handle_tick(&inputs);
        for entry in self.world.take_ledger() {
            self.saver.apply(self.world.name(), entry);
        }
        for conn in leaving {
            let goodbye = Outgoing::Close {
                msg: HostMsg::Closing {
                    reason: CLOSING.to_owned(),
                },
                code: close::NORMAL,
                reason: CLOSING.to_owned(),
            };
            if conn.out.try_send(goodbye).is_err() {
                conn.handle.close(close::NORMAL, CLOSING);
            }
        }
        self.saver.save(self.world.take_changes());
        self.saver.flush().await;
        self.tasks.close();
        let _ = tokio::time::timeout(Duration::from_secs(3), self.tasks.wait()).await;
        listener.close(CLOSING);
        let _ = tokio::time::timeout(Duration::from_secs(2), listener.wait_idle()).await;
        let save_error = self
            .failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        HostReport {
            world: self.world.name().to_owned(),
            tick: self.world.tick(),
            hash: self.world.state_hash(),
            save_error,
        }
    }
}

/// A token bucket for one client's messages.
struct Bucket {
    tokens: f64,
    last: Instant,
    dropped: u32,
    window: Instant,
}

impl Bucket {
    fn new() -> Bucket {
        let now = Instant::now();
        Bucket {
            tokens: MSGS_PER_SEC,
            last: now,
            dropped: 0,
            window: now,
        }
    }

    /// Takes a token; false when the client is over its rate.
    fn allow(&mut self) -> bool {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * MSGS_PER_SEC).min(MSGS_PER_SEC);
        if now.duration_since(self.window) > Duration::from_secs(10) {
            self.window = now;
            self.dropped = 0;
        }
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            self.dropped += 1;
            false
        }
    }

    fn flooding(&self) -> bool {
        self.dropped > FLOOD_DROPS
    }
}

/// One admitted client: welcome it, then read its messages and write the host's.
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
    let reader_handle = handle.clone();
    let reader = tokio::spawn(async move {
        let mut bucket = Bucket::new();
        loop {
            match rx.recv().await {
                Ok(msg) => {
                    if bucket.allow() {
                        if events.send(Event::Message(id, msg)).await.is_err() {
                            return;
                        }
                    } else if bucket.flooding() {
                        reader_handle.close(close::PROTOCOL, "too many messages");
                        let _ = events.send(Event::Gone(id, "flooding".into())).await;
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
            Outgoing::Close { msg, code, reason } => {
                tx.close_with(&msg, code, &reason).await;
                break;
            }
        }
    }
    // The host dropped this connection (left, replaced, lagging) or the writer failed.
    handle.close(close::NORMAL, "disconnected");
    let _ = reader.await;
}
