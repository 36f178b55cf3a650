//! A player's connection to a host, as two channels (messages out, what the host says in) and
//! a task that keeps it alive. The TUI and the bots both play through this.
//!
//! The task carries the two roads of the protocol: stream messages in order, and datagrams:
//! snapshots in, and out, the newest snapshot applied plus the actions not yet seen to start,
//! repeated in every datagram until they start (the host takes each sequence number once).
//!
//! When the link goes quiet for [`SILENCE`] or breaks, the task says
//! [`FromHost::Reconnecting`] (the screen stays), abandons the connection and redials the same
//! host with the same identity, backing off, for up to [`RECONNECT_FOR`]; a new connection is
//! [`FromHost::Resumed`], and the host's first messages on it are a whole view. A close the
//! host meant (shutdown, kicked) is not redialled.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use game::Action;
use game::protocol::{
    ClientDatagram, ClientMsg, Hello, HostMsg, HostStatus, MAX_REPEATED_ACTS, PROTOCOL_VERSION,
    Refusal, Snapshot, Update, Welcome,
};
use net::client::{Session, SessionHandle};
use net::{Identity, JoinError, SessionError, Target};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// No packet at all from the host for this long (keep-alives come every second) means the link
/// is down: reconnect.
pub const SILENCE: Duration = Duration::from_secs(3);
/// How long to keep redialling before giving up.
pub const RECONNECT_FOR: Duration = Duration::from_secs(60);
/// The longest pause between two redials.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// What arrives from the host.
#[derive(Debug)]
pub enum FromHost {
    Update(Box<Update>),
    Snapshot(Box<Snapshot>),
    /// The host's own health (it cannot save, or saves again).
    Status(HostStatus),
    /// The link broke at `since`; redialling (the screen should stay, saying so).
    Reconnecting {
        since: Instant,
        why: String,
    },
    /// A new connection to the same host: resync the view (what follows is whole) and
    /// acknowledge snapshots of this connection from now on.
    Resumed(Welcome),
    /// The session is over; the text says why.
    Closed(String),
}

/// What the link measured, over every connection of the session.
#[derive(Debug, Default)]
pub struct LinkStats {
    /// Frame bytes read from the stream (length prefixes included).
    pub stream_bytes: AtomicU64,
    /// Snapshot datagram bytes received.
    pub datagram_bytes: AtomicU64,
    /// UDP payload bytes received on connections already closed.
    closed_rx: AtomicU64,
    pub reconnects: AtomicU64,
    /// From noticing the link was down to the first message of the new connection.
    pub resume_ms: Mutex<Vec<u64>>,
    current: Mutex<Option<SessionHandle>>,
}

impl LinkStats {
    /// UDP payload bytes received from the host, every connection together.
    pub fn rx_bytes(&self) -> u64 {
        let current = self
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map_or(0, SessionHandle::rx_bytes);
        self.closed_rx.load(Ordering::Relaxed) + current
    }

    fn switch_to(&self, handle: Option<SessionHandle>) {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = current.take() {
            self.closed_rx.fetch_add(old.rx_bytes(), Ordering::Relaxed);
        }
        *current = handle;
    }
}

/// A joined session.
#[derive(Debug)]
pub struct Joined {
    pub welcome: Welcome,
    pub outbox: mpsc::Sender<ClientMsg>,
    pub inbox: mpsc::Receiver<FromHost>,
    pub stats: Arc<LinkStats>,
    acks: mpsc::UnboundedSender<Ack>,
    /// Connections seen by the consumer (bumped by [`Joined::resumed`]).
    generation: u64,
    task: JoinHandle<()>,
}

/// The consumer applied a snapshot.
#[derive(Debug)]
struct Ack {
    generation: u64,
    snapshot: u32,
    /// The newest action the host said started.
    action: u32,
}

impl Joined {
    /// The view applied snapshot `snapshot`, in which the host said action `action` started.
    pub fn applied(&self, snapshot: u32, action: u32) {
        let _ = self.acks.send(Ack {
            generation: self.generation,
            snapshot,
            action,
        });
    }

    /// The consumer handled [`FromHost::Resumed`]: acknowledgements now refer to the new
    /// connection.
    pub fn resumed(&mut self) {
        self.generation += 1;
    }

    /// Leaves on purpose: the host hears `Leave` (the character waits, safe), then we close.
    pub async fn leave(self) {
        let _ = self.outbox.send(ClientMsg::Leave).await;
        drop(self.outbox);
        let _ = tokio::time::timeout(Duration::from_secs(2), self.task).await;
    }
}

/// Joins the host at `target` as `name`, presenting `secret` if this is a first join.
pub async fn join(
    identity: &Identity,
    target: &Target,
    name: &str,
    secret: Option<[u8; 16]>,
    watch: bool,
) -> Result<Joined, JoinError> {
    let hello = Hello {
        protocol: PROTOCOL_VERSION,
        game_version: env!("CARGO_PKG_VERSION").to_owned(),
        name: name.to_owned(),
        invite_secret: secret,
        watch,
        world: target.world.clone(),
    };
    let session = net::client::join(identity, target, hello.clone()).await?;
    let welcome = session.welcome.clone();
    let (outbox, out_rx) = mpsc::channel::<ClientMsg>(64);
    let (in_tx, inbox) = mpsc::channel::<FromHost>(256);
    let (acks, acks_rx) = mpsc::unbounded_channel();
    let stats = Arc::new(LinkStats::default());
    let keeper = Keeper {
        identity: identity.clone(),
        target: target.clone(),
        hello,
        out_rx,
        acks_rx,
        inbox: in_tx,
        stats: stats.clone(),
        pending: Vec::new(),
        acked: 0,
        paused: false,
        ack_delay: ack_delay(welcome.tick_rate),
    };
    let task = tokio::spawn(keeper.run(session));
    Ok(Joined {
        welcome,
        outbox,
        inbox,
        stats,
        acks,
        generation: 0,
        task,
    })
}

/// What a connection's reader tasks report, tagged with the connection's generation.
enum LinkEvent {
    Msg(u64, HostMsg, usize),
    Snapshot(u64, Box<Snapshot>, usize),
    Lost(u64, SessionError),
}

/// One connection: its handle, its stream writer, its readers.
struct Link {
    generation: u64,
    handle: SessionHandle,
    writer: mpsc::Sender<ClientMsg>,
    tasks: Vec<JoinHandle<()>>,
    /// Packets received when last looked, and when that count last moved.
    heard: (u64, Instant),
}

impl Link {
    fn start(session: Session, generation: u64, events: &mpsc::Sender<LinkEvent>) -> Link {
        let (mut tx, mut rx, handle) = session.split();
        let (writer, mut writer_rx) = mpsc::channel::<ClientMsg>(64);
        let write = tokio::spawn(async move {
            while let Some(msg) = writer_rx.recv().await {
                if tx.send(&msg).await.is_err() {
                    return;
                }
            }
        });
        let read = {
            let events = events.clone();
            tokio::spawn(async move {
                loop {
                    let event = match rx.recv().await {
                        Ok(msg) => LinkEvent::Msg(generation, msg, rx.last_frame_len()),
                        Err(e) => LinkEvent::Lost(generation, e),
                    };
                    let last = matches!(event, LinkEvent::Lost(..));
                    if events.send(event).await.is_err() || last {
                        return;
                    }
                }
            })
        };
        let datagrams = {
            let (events, handle) = (events.clone(), handle.clone());
            tokio::spawn(async move {
                // Ends with the connection; the stream reader reports why.
                while let Ok((snapshot, len)) = handle.recv_snapshot().await {
                    let event = LinkEvent::Snapshot(generation, Box::new(snapshot), len);
                    if events.send(event).await.is_err() {
                        return;
                    }
                }
            })
        };
        let heard = (handle.rx_packets(), Instant::now());
        Link {
            generation,
            handle,
            writer,
            tasks: vec![write, read, datagrams],
            heard,
        }
    }

    /// Whether nothing at all came from the host for [`SILENCE`].
    fn silent(&mut self) -> bool {
        let packets = self.handle.rx_packets();
        if packets != self.heard.0 {
            self.heard = (packets, Instant::now());
        }
        self.heard.1.elapsed() >= SILENCE
    }

    fn abandon(self, why: &str) {
        self.handle.abandon(why);
        for task in self.tasks {
            task.abort();
        }
    }
}

/// The task behind a [`Joined`].
struct Keeper {
    identity: Identity,
    target: Target,
    hello: Hello,
    out_rx: mpsc::Receiver<ClientMsg>,
    acks_rx: mpsc::UnboundedReceiver<Ack>,
    inbox: mpsc::Sender<FromHost>,
    stats: Arc<LinkStats>,
    /// Actions not yet seen to start, oldest first.
    pending: Vec<(u32, Action)>,
    /// The newest snapshot the consumer applied on this connection.
    acked: u32,
    /// A solo world paused by this player sends nothing while paused.
    paused: bool,
    /// How long after applying a snapshot its acknowledgement goes: most of a tick, so it
    /// reaches the host just before the next one and the host's acknowledgement of it rides
    /// on that tick's snapshot instead of a packet of its own.
    ack_delay: Duration,
}

/// How long to hold a snapshot's acknowledgement at `tick_rate` (see [`Keeper::ack_delay`]).
fn ack_delay(tick_rate: u8) -> Duration {
    let period = Duration::from_secs(1) / u32::from(tick_rate.max(1));
    period.mul_f64(0.6)
}

/// What ended a connection.
enum Ending {
    /// The player left, or the consumer went away.
    Left,
    /// The host closed the session on purpose, or sent something wrong.
    Closed(String),
    /// The link broke or went silent: redial.
    Lost(String),
}

impl Keeper {
    async fn run(mut self, first: Session) {
        let (events_tx, mut events) = mpsc::channel::<LinkEvent>(256);
        let mut link = Link::start(first, 0, &events_tx);
        self.stats.switch_to(Some(link.handle.clone()));
        let mut resume_from: Option<Instant> = None;
        loop {
            let ending = self.serve(&mut link, &mut events, &mut resume_from).await;
            match ending {
                Ending::Left => {
                    link.handle.close("left").await;
                    break;
                }
                Ending::Closed(reason) => {
                    let _ = self.inbox.send(FromHost::Closed(reason)).await;
                    link.abandon("closed");
                    break;
                }
                Ending::Lost(why) => {
                    let since = Instant::now();
                    let generation = link.generation + 1;
                    link.abandon("reconnecting");
                    self.stats.switch_to(None);
                    tracing::info!("connection to the host lost ({why}); reconnecting");
                    let told = FromHost::Reconnecting {
                        since,
                        why: why.clone(),
                    };
                    if self.inbox.send(told).await.is_err() {
                        return;
                    }
                    let Some(session) = self.redial(since, &why).await else {
                        return;
                    };
                    let welcome = session.welcome.clone();
                    self.ack_delay = ack_delay(welcome.tick_rate);
                    link = Link::start(session, generation, &events_tx);
                    self.stats.switch_to(Some(link.handle.clone()));
                    self.stats.reconnects.fetch_add(1, Ordering::Relaxed);
                    self.pending.clear();
                    self.acked = 0;
                    resume_from = Some(since);
                    if self.inbox.send(FromHost::Resumed(welcome)).await.is_err() {
                        return;
                    }
                }
            }
        }
        self.stats.switch_to(None);
    }

    /// Carries one connection until it ends.
    async fn serve(
        &mut self,
        link: &mut Link,
        events: &mut mpsc::Receiver<LinkEvent>,
        resume_from: &mut Option<Instant>,
    ) -> Ending {
        let mut check = tokio::time::interval(Duration::from_millis(250));
        let mut ack_due: Option<tokio::time::Instant> = None;
        loop {
            let ack_timer = async {
                match ack_due {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = ack_timer => {
                    ack_due = None;
                    self.send_datagram(link).await;
                }
                msg = self.out_rx.recv() => match msg {
                    None | Some(ClientMsg::Leave) => {
                        let _ = link.writer.send(ClientMsg::Leave).await;
                        // Let the writer flush the Leave before closing.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        return Ending::Left;
                    }
                    Some(ClientMsg::Act { seq, action }) => {
                        self.pending.push((seq, action));
                        if self.pending.len() > MAX_REPEATED_ACTS {
                            self.pending.remove(0);
                        }
                        // Carries the newest acknowledgement too. Sent twice: a lost action
                        // costs a player a round trip, a second copy costs the host nothing.
                        ack_due = None;
                        self.send_datagram(link).await;
                        self.send_datagram(link).await;
                    }
                    Some(msg) => {
                        if let ClientMsg::Pause { paused } = msg {
                            self.paused = paused;
                        }
                        let _ = link.writer.send(msg).await;
                    }
                },
                Some(ack) = self.acks_rx.recv() => {
                    if ack.generation == link.generation {
                        self.pending.retain(|(seq, _)| *seq > ack.action);
                        if ack.snapshot > self.acked {
                            self.acked = ack.snapshot;
                            ack_due.get_or_insert(tokio::time::Instant::now() + self.ack_delay);
                        }
                    }
                }
                Some(event) = events.recv() => {
                    let generation = match &event {
                        LinkEvent::Msg(g, ..) | LinkEvent::Snapshot(g, ..) | LinkEvent::Lost(g, _) => *g,
                    };
                    if generation != link.generation {
                        continue;
                    }
                    if let Some(from) = resume_from.take() {
                        let ms = from.elapsed().as_millis() as u64;
                        self.stats.resume_ms.lock().unwrap_or_else(|p| p.into_inner()).push(ms);
                    }
                    let item = match event {
                        LinkEvent::Msg(_, msg, len) => {
                            self.stats.stream_bytes.fetch_add(len as u64, Ordering::Relaxed);
                            match msg {
                                HostMsg::Update(update) => FromHost::Update(update),
                                HostMsg::Snapshot(snapshot) => FromHost::Snapshot(snapshot),
                                HostMsg::Status(status) => FromHost::Status(status),
                                HostMsg::Closing { reason } => return Ending::Closed(reason),
                                other => {
                                    return Ending::Closed(format!(
                                        "the host sent an unexpected {other:?}"
                                    ));
                                }
                            }
                        }
                        LinkEvent::Snapshot(_, snapshot, len) => {
                            self.stats.datagram_bytes.fetch_add(len as u64, Ordering::Relaxed);
                            FromHost::Snapshot(snapshot)
                        }
                        LinkEvent::Lost(_, SessionError::Lost(why)) => return Ending::Lost(why),
                        LinkEvent::Lost(_, e) => return Ending::Closed(e.to_string()),
                    };
                    if self.inbox.send(item).await.is_err() {
                        return Ending::Left;
                    }
                }
                _ = check.tick() => {
                    if !self.paused && link.silent() {
                        return Ending::Lost(format!(
                            "nothing from the host for {} s",
                            SILENCE.as_secs()
                        ));
                    }
                }
            }
        }
    }

    /// The acknowledgement and the pending actions, as one datagram (on the stream if a
    /// datagram cannot carry them).
    async fn send_datagram(&mut self, link: &Link) {
        let datagram = ClientDatagram {
            snapshot: self.acked,
            acts: self.pending.clone(),
        };
        if let Err(net::DatagramError::TooLarge) = link.handle.send_datagram(&datagram) {
            // A large action (a long deposit list): the stream carries it once, reliably.
            let big = self.pending.pop();
            if let Some((seq, action)) = big {
                let _ = link.writer.send(ClientMsg::Act { seq, action }).await;
            }
            let rest = ClientDatagram {
                snapshot: self.acked,
                acts: self.pending.clone(),
            };
            let _ = link.handle.send_datagram(&rest);
        }
    }

    /// Dials the host again until it answers, the player leaves, or [`RECONNECT_FOR`] passes.
    async fn redial(&mut self, since: Instant, why: &str) -> Option<Session> {
        let mut pause = Duration::from_millis(250);
        let mut last = why.to_owned();
        loop {
            if since.elapsed() >= RECONNECT_FOR {
                let reason = format!(
                    "lost the connection to the host and could not reconnect within {} s \
                     (last: {last})",
                    RECONNECT_FOR.as_secs()
                );
                let _ = self.inbox.send(FromHost::Closed(reason)).await;
                return None;
            }
            let dial = net::client::join(&self.identity, &self.target, self.hello.clone());
            tokio::pin!(dial);
            let outcome = loop {
                tokio::select! {
                    outcome = &mut dial => break outcome,
                    msg = self.out_rx.recv() => match msg {
                        // Leaving while cut off: nothing more to say to the host.
                        None | Some(ClientMsg::Leave) => return None,
                        // Keys pressed while cut off are not kept.
                        Some(_) => {}
                    },
                }
            };
            match outcome {
                Ok(session) => return Some(session),
                Err(JoinError::Refused(refusal)) if !worth_retrying(&refusal) => {
                    let _ = self.inbox.send(FromHost::Closed(refusal.to_string())).await;
                    return None;
                }
                Err(e @ JoinError::HostIdentityChanged { .. }) => {
                    let _ = self.inbox.send(FromHost::Closed(e.to_string())).await;
                    return None;
                }
                Err(e) => last = e.to_string().lines().next().unwrap_or("").to_owned(),
            }
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                msg = self.out_rx.recv() => if matches!(msg, None | Some(ClientMsg::Leave)) {
                    return None;
                },
            }
            pause = (pause * 2).min(MAX_BACKOFF);
        }
    }
}

/// Refusals that may pass (our old connection still holds the slot, the host is busy).
fn worth_retrying(refusal: &Refusal) -> bool {
    matches!(
        refusal,
        Refusal::AlreadyConnected | Refusal::Full { .. } | Refusal::JoiningTooFast
    )
}
