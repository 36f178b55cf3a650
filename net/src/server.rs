//! The host half: listen, handshake each arrival (TLS, identity, `Hello`, version), then hand
//! the host runtime a [`Pending`] player to admit or refuse.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use game::PlayerId;
use game::protocol::{
    ALPN, ClientMsg, Hello, HostMsg, MAX_CLIENT_FRAME, MAX_HOST_FRAME, PROTOCOL_VERSION, Refusal,
    Welcome,
};
use quinn::{Connection, Endpoint, RecvStream, SendStream, VarInt};

use crate::frame::{FrameError, read_frame, read_raw_frame, write_frame};
use crate::identity::{Identity, player_id_of};
use crate::{close, tls, transport};

/// How long an arriving client has to finish TLS.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client has, once TLS is done, to send its `Hello` (an honest one sends it at once).
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(3);
/// Handshakes in flight beyond which unvalidated addresses must retry (proves their address).
const RETRY_ABOVE: usize = 8;
/// Handshakes of unknown keys in flight beyond which arrivals are refused outright.
const REFUSE_ABOVE: usize = 32;
/// Handshakes in flight from one address beyond which its arrivals count as overflow.
const PER_ADDRESS: usize = 4;
/// Handshakes in flight beyond the lanes, kept only for keys the host knows; more are refused.
const OVERFLOW: usize = 16;

/// Binding the host's endpoint failed.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error(
        "cannot listen on {addr}: {error}. Is another brogue host using that port? Pick another \
         with --port"
    )]
    Socket {
        addr: SocketAddr,
        error: std::io::Error,
    },
    #[error("cannot set up TLS: {0}")]
    Tls(String),
}

/// A new connection did not become a player.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    #[error("TLS handshake failed: {0}")]
    Tls(String),
    #[error("no TLS handshake within {} s", HANDSHAKE_TIMEOUT.as_secs())]
    Timeout,
    #[error("no Hello within {} s of the TLS handshake", HELLO_TIMEOUT.as_secs())]
    HelloTimeout,
    #[error("too many handshakes from this address (or in all) and the key is not known here")]
    Busy,
    #[error("client speaks protocol {theirs} (brogue {version}), we speak {PROTOCOL_VERSION}")]
    VersionMismatch { theirs: u32, version: String },
    #[error("bad first message: {0}")]
    Protocol(String),
}

/// The host's QUIC endpoint.
#[derive(Debug)]
pub struct Listener {
    endpoint: Endpoint,
    lanes: Arc<Lanes>,
}

/// Who is in the middle of a handshake, and whom the host already knows. A flood of strangers
/// fills the strangers' lane (at most [`PER_ADDRESS`] from one address, [`REFUSE_ABOVE`] in
/// all); arrivals beyond it are let into an overflow of [`OVERFLOW`] handshakes that go on only
/// if TLS shows a key the host knows. A known key also leaves the strangers' lane as soon as TLS
/// has proved it. So returning players and the host's own get in whatever strangers do.
#[derive(Debug, Default)]
pub struct Lanes {
    in_flight: Mutex<BTreeMap<IpAddr, usize>>,
    /// Handshakes let in beyond the lanes: they go on only if TLS shows a known key.
    overflow: Mutex<usize>,
    /// Per world (a server may host many), the keys it knows.
    known: RwLock<BTreeMap<String, BTreeSet<PlayerId>>>,
}

impl Lanes {
    fn total(&self) -> usize {
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .sum()
    }

    /// Takes a place in the strangers' lane for `ip`, if there is one.
    fn enter(&self, ip: IpAddr) -> bool {
        let mut lanes = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let total: usize = lanes.values().sum();
        let here = lanes.entry(ip).or_default();
        if total >= REFUSE_ABOVE || *here >= PER_ADDRESS {
            return false;
        }
        *here += 1;
        true
    }

    fn enter_overflow(&self) -> bool {
        let mut n = self.overflow.lock().unwrap_or_else(|p| p.into_inner());
        if *n >= OVERFLOW {
            return false;
        }
        *n += 1;
        true
    }

    fn leave_overflow(&self) {
        let mut n = self.overflow.lock().unwrap_or_else(|p| p.into_inner());
        *n = n.saturating_sub(1);
    }

    fn leave(&self, ip: IpAddr) {
        let mut lanes = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = lanes.get_mut(&ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                lanes.remove(&ip);
            }
        }
    }

    /// Replaces the set of keys world `world` knows (its players, and the host's own key).
    pub fn set_known(&self, world: &str, keys: BTreeSet<PlayerId>) {
        let mut known = self.known.write().unwrap_or_else(|p| p.into_inner());
        known.insert(world.to_owned(), keys);
    }

    /// World `world` is no longer hosted: its keys count as strangers unless another knows them.
    pub fn forget_world(&self, world: &str) {
        let mut known = self.known.write().unwrap_or_else(|p| p.into_inner());
        known.remove(world);
    }

    fn is_known(&self, key: &PlayerId) -> bool {
        self.known
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .any(|keys| keys.contains(key))
    }
}

/// A connection attempt that passed the flood checks; finish it with [`handshake`].
#[derive(Debug)]
pub struct Arrival {
    incoming: quinn::Incoming,
    slot: Option<Slot>,
    lanes: Arc<Lanes>,
}

impl Arrival {
    /// Where it comes from.
    pub fn remote(&self) -> SocketAddr {
        self.incoming.remote_address()
    }
}

/// A place in the strangers' lane (or, with no address, in the overflow), given back on drop.
#[derive(Debug)]
struct Slot {
    lanes: Arc<Lanes>,
    ip: Option<IpAddr>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        match self.ip {
            Some(ip) => self.lanes.leave(ip),
            None => self.lanes.leave_overflow(),
        }
    }
}

impl Listener {
    /// Listens on `addr` (port 0 picks a free port) with `identity`'s key.
    pub fn bind(addr: SocketAddr, identity: &Identity) -> Result<Listener, BindError> {
        let tls = tls::server_config(identity).map_err(|e| BindError::Tls(e.to_string()))?;
        let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(tls)
            .map_err(|e| BindError::Tls(e.to_string()))?;
        let mut config = quinn::ServerConfig::with_crypto(Arc::new(crypto));
        config.transport_config(transport());
        config.max_incoming(REFUSE_ABOVE * 4);
        let endpoint =
            Endpoint::server(config, addr).map_err(|error| BindError::Socket { addr, error })?;
        Ok(Listener {
            endpoint,
            lanes: Arc::default(),
        })
    }

    /// The handshake lanes, to tell them which keys the host knows.
    pub fn lanes(&self) -> Arc<Lanes> {
        self.lanes.clone()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.endpoint
            .local_addr()
            .expect("a bound endpoint has an address")
    }

    /// The next arrival, or `None` once the endpoint is closed. Under a flood of handshakes,
    /// unvalidated addresses are asked to retry; an address with [`PER_ADDRESS`] handshakes in
    /// flight, or any arrival beyond [`REFUSE_ABOVE`], is refused at once (cheaply, before TLS).
    pub async fn accept(&self) -> Option<Arrival> {
        loop {
            let incoming = self.endpoint.accept().await?;
            if self.lanes.total() >= RETRY_ABOVE && !incoming.remote_address_validated() {
                let _ = incoming.retry();
                continue;
            }
            let ip = incoming.remote_address().ip();
            let lane = if self.lanes.enter(ip) {
                Some(ip)
            } else if self.lanes.enter_overflow() {
                None
            } else {
                incoming.refuse();
                continue;
            };
            return Some(Arrival {
                incoming,
                slot: Some(Slot {
                    lanes: self.lanes.clone(),
                    ip: lane,
                }),
                lanes: self.lanes.clone(),
            });
        }
    }

    /// Closes every connection with `reason` and stops accepting.
    pub fn close(&self, reason: &str) {
        self.endpoint
            .close(VarInt::from_u32(close::NORMAL), reason.as_bytes());
    }

    /// Waits until every connection has been closed and the peers told (bounded by the caller).
    pub async fn wait_idle(&self) {
        self.endpoint.wait_idle().await;
    }
}

/// TLS within [`HANDSHAKE_TIMEOUT`], then the client's identity and its `Hello` within
/// [`HELLO_TIMEOUT`]. A client of another protocol version is told both versions and closed.
pub async fn handshake(mut arrival: Arrival) -> Result<Pending, HandshakeError> {
    let remote = arrival.incoming.remote_address();
    let connecting = arrival
        .incoming
        .accept()
        .map_err(|e| HandshakeError::Tls(short(&e.to_string())))?;
    let conn = tokio::time::timeout(HANDSHAKE_TIMEOUT, connecting)
        .await
        .map_err(|_| HandshakeError::Timeout)?
        .map_err(|e| HandshakeError::Tls(short(&e.to_string())))?;
    let player = peer_id(&conn).ok_or_else(|| HandshakeError::Tls("no client key".into()))?;
    // A key the host knows leaves the strangers' lane now; a stranger let in beyond the lanes
    // goes no further.
    if arrival.lanes.is_known(&player) {
        arrival.slot = None;
    } else if arrival.slot.as_ref().is_some_and(|s| s.ip.is_none()) {
        conn.close(
            VarInt::from_u32(close::BUSY),
            b"too many connections are arriving: try again in a moment",
        );
        return Err(HandshakeError::Busy);
    }
    let hello = hello(conn, player, remote);
    match tokio::time::timeout(HELLO_TIMEOUT, hello).await {
        Ok(result) => result,
        Err(_) => Err(HandshakeError::HelloTimeout),
    }
}

async fn hello(
    conn: Connection,
    player: PlayerId,
    remote: SocketAddr,
) -> Result<Pending, HandshakeError> {
    // If this is cut short (the Hello deadline), the connection closes rather than lingers.
    let mut guard = CloseOnDrop(Some(conn.clone()));
    let alpn = conn
        .handshake_data()
        .and_then(|d| d.downcast::<quinn::crypto::rustls::HandshakeData>().ok())
        .and_then(|d| d.protocol);
    let (send, mut recv) = conn
        .accept_bi()
        .await
        .map_err(|e| HandshakeError::Tls(e.to_string()))?;
    let mut pending = Pending {
        player,
        hello: Hello {
            protocol: 0,
            game_version: String::new(),
            name: String::new(),
            invite_secret: None,
            watch: false,
            world: None,
        },
        remote,
        conn,
        send,
        recv: None,
    };
    let mut buf = Vec::new();
    let raw = match read_raw_frame(&mut recv, MAX_CLIENT_FRAME, &mut buf).await {
        Ok(raw) => raw,
        Err(e) => {
            pending.close_for(&e);
            return Err(HandshakeError::Protocol(e.to_string()));
        }
    };
    let Some(prefix) = ClientMsg::peek_hello(raw) else {
        pending.conn.close(
            VarInt::from_u32(close::PROTOCOL),
            b"the first message must be Hello",
        );
        return Err(HandshakeError::Protocol(
            "first message is not Hello".into(),
        ));
    };
    if prefix.protocol != PROTOCOL_VERSION || alpn.as_deref() != Some(ALPN) {
        let err = HandshakeError::VersionMismatch {
            theirs: prefix.protocol,
            version: game::text::sanitize(&prefix.game_version, 40),
        };
        pending
            .refuse(Refusal::VersionMismatch {
                host_protocol: PROTOCOL_VERSION,
                host_version: env!("CARGO_PKG_VERSION").to_owned(),
            })
            .await;
        return Err(err);
    }
    match crate::frame::decode::<ClientMsg>(raw) {
        Ok(ClientMsg::Hello(hello)) => {
            pending.hello = hello;
            pending.recv = Some(recv);
            guard.0 = None;
            Ok(pending)
        }
        _ => {
            pending
                .conn
                .close(VarInt::from_u32(close::PROTOCOL), b"malformed Hello");
            Err(HandshakeError::Protocol("malformed Hello".into()))
        }
    }
}

/// Closes a connection when dropped, unless forgotten: a handshake that times out mid-way does
/// not leave the connection open.
struct CloseOnDrop(Option<Connection>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            conn.close(VarInt::from_u32(close::PROTOCOL), b"no Hello in time");
        }
    }
}

/// At most 120 characters of a peer's text, for messages and logs.
fn short(text: &str) -> String {
    let mut out: String = text.chars().take(120).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// The player id behind a connection's client certificate.
fn peer_id(conn: &Connection) -> Option<PlayerId> {
    let certs = conn
        .peer_identity()?
        .downcast::<Vec<rustls::pki_types::CertificateDer<'static>>>()
        .ok()?;
    player_id_of(certs.first()?).ok()
}

/// An authenticated client that said `Hello`, waiting for the host's decision.
#[derive(Debug)]
pub struct Pending {
    /// Who they are: the hash of the key that signed the TLS handshake.
    pub player: PlayerId,
    pub hello: Hello,
    pub remote: SocketAddr,
    conn: Connection,
    send: SendStream,
    recv: Option<RecvStream>,
}

impl Pending {
    /// A handle on this connection (round-trip time, closing), valid after admission too.
    pub fn handle(&self) -> PeerHandle {
        PeerHandle {
            conn: self.conn.clone(),
        }
    }

    /// Tells the client why, then closes the connection. The close reason (what a client that
    /// cannot read the refusal shows) is worded from the host's side.
    pub async fn refuse(mut self, refusal: Refusal) {
        let reason = match &refusal {
            Refusal::VersionMismatch {
                host_protocol,
                host_version,
            } => format!(
                "version mismatch: this host runs brogue {host_version} (protocol \
                 {host_protocol}); both players need the same version"
            ),
            other => other.to_string(),
        };
        let _ = write_frame(&mut self.send, &HostMsg::Refused(refusal), MAX_HOST_FRAME).await;
        finish_then_close(self.send, &self.conn, close::REFUSED, &reason).await;
    }

    /// Admits the player.
    pub async fn welcome(mut self, welcome: Welcome) -> Result<Peer, FrameError> {
        write_frame(&mut self.send, &HostMsg::Welcome(welcome), MAX_HOST_FRAME).await?;
        Ok(Peer {
            player: self.player,
            remote: self.remote,
            conn: self.conn,
            send: self.send,
            recv: self.recv.expect("set when the Hello was read"),
        })
    }

    fn close_for(&self, err: &FrameError) {
        if err.is_misbehaviour() {
            self.conn.close(
                VarInt::from_u32(close::PROTOCOL),
                err.to_string().as_bytes(),
            );
        }
    }
}

/// Finishes `send`, gives the peer a moment to read it, then closes with `reason`.
async fn finish_then_close(mut send: SendStream, conn: &Connection, code: u32, reason: &str) {
    let _ = send.finish();
    let _ = tokio::time::timeout(Duration::from_secs(2), send.stopped()).await;
    conn.close(VarInt::from_u32(code), reason.as_bytes());
}

/// An admitted player's connection.
#[derive(Debug)]
pub struct Peer {
    pub player: PlayerId,
    pub remote: SocketAddr,
    conn: Connection,
    send: SendStream,
    recv: RecvStream,
}

impl Peer {
    /// Splits into a sending half, a receiving half and a handle, for separate tasks.
    pub fn split(self) -> (PeerSender, PeerReceiver, PeerHandle) {
        (
            PeerSender {
                send: self.send,
                conn: self.conn.clone(),
            },
            PeerReceiver {
                recv: self.recv,
                conn: self.conn.clone(),
                buf: Vec::new(),
            },
            PeerHandle { conn: self.conn },
        )
    }
}

/// Sends frames to one client.
#[derive(Debug)]
pub struct PeerSender {
    send: SendStream,
    conn: Connection,
}

impl PeerSender {
    pub async fn send(&mut self, msg: &HostMsg) -> Result<(), FrameError> {
        write_frame(&mut self.send, msg, MAX_HOST_FRAME).await
    }

    /// Sends a last message, lets the client read it, and closes the connection.
    pub async fn close_with(mut self, msg: &HostMsg, code: u32, reason: &str) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.send(msg)).await;
        finish_then_close(self.send, &self.conn, code, reason).await;
    }
}

/// Receives frames from one client. A frame that breaks the protocol closes the connection
/// with the reason before the error is returned: a misbehaving client only hurts itself.
#[derive(Debug)]
pub struct PeerReceiver {
    recv: RecvStream,
    conn: Connection,
    buf: Vec<u8>,
}

impl PeerReceiver {
    pub async fn recv(&mut self) -> Result<ClientMsg, FrameError> {
        let result = read_frame(&mut self.recv, MAX_CLIENT_FRAME, &mut self.buf).await;
        if let Err(e) = &result
            && e.is_misbehaviour()
        {
            self.conn
                .close(VarInt::from_u32(close::PROTOCOL), e.to_string().as_bytes());
        }
        result
    }
}

/// A cheap handle on a client's connection: round-trip time, closing.
#[derive(Clone, Debug)]
pub struct PeerHandle {
    conn: Connection,
}

impl PeerHandle {
    pub fn rtt(&self) -> Duration {
        self.conn.rtt()
    }

    /// UDP bytes received from and sent to this peer so far (QUIC's own included).
    pub fn udp_bytes(&self) -> (u64, u64) {
        let stats = self.conn.stats();
        (stats.udp_rx.bytes, stats.udp_tx.bytes)
    }

    pub fn close(&self, code: u32, reason: &str) {
        self.conn.close(VarInt::from_u32(code), reason.as_bytes());
    }

    /// Sends a snapshot as one datagram (returns its size); one too large for the path now
    /// is refused with [`DatagramError::TooLarge`](crate::DatagramError::TooLarge).
    pub fn send_snapshot(
        &self,
        snapshot: &game::protocol::Snapshot,
    ) -> Result<usize, crate::DatagramError> {
        crate::send_datagram(&self.conn, snapshot)
    }

    /// The client's next datagram. One that does not decode closes the connection (a
    /// misbehaving client only hurts itself).
    pub async fn recv_datagram(&self) -> Result<game::protocol::ClientDatagram, FrameError> {
        let bytes = self
            .conn
            .read_datagram()
            .await
            .map_err(|e| FrameError::Connection(e.to_string()))?;
        postcard::from_bytes(&bytes).map_err(|e| {
            let err = FrameError::Malformed(e);
            self.conn.close(
                VarInt::from_u32(close::PROTOCOL),
                err.to_string().as_bytes(),
            );
            err
        })
    }

    /// Resolves when the connection has closed, for whatever reason.
    pub async fn closed(&self) -> String {
        self.conn.closed().await.to_string()
    }
}
