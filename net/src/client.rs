//! The client half: dial a host (pinned key), say `Hello`, and carry the session.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use game::protocol::{
    ClientMsg, Hello, HostMsg, MAX_CLIENT_FRAME, MAX_HOST_FRAME, Refusal, Snapshot, Welcome,
};
use quinn::{Connection, ConnectionError, Endpoint, RecvStream, SendStream, VarInt};

use crate::frame::{FrameError, read_frame, write_frame};
use crate::identity::Identity;
use crate::invite::Invite;
use crate::tls::{self, KeyPin, SERVER_NAME};
use crate::{client_transport, close};

/// How long to wait for one address to answer.
pub const DIAL_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a host is and which key it must have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub addrs: Vec<SocketAddr>,
    pub pin: KeyPin,
    /// The world to join on a host of many (`brogue serve`); `None`: its only world.
    pub world: Option<String>,
}

impl Target {
    pub fn from_invite(invite: &Invite) -> Target {
        Target {
            addrs: invite.addrs.clone(),
            pin: invite.host,
            world: invite.world.clone(),
        }
    }
}

/// Joining a host failed.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// No address answered; what happened at each, one per line.
    #[error(
        "could not reach the host (is the game still running?). Tried:\n{}",
        tried.iter().map(|t| format!("  {t}")).collect::<Vec<_>>().join("\n")
    )]
    Unreachable { tried: Vec<Tried> },
    /// The host's key is not the one in the invite code.
    #[error(
        "host identity changed: the code expects key {expected}, but the host at that address has \
         key {found}. Someone else may be listening there, or the host reinstalled brogue; ask \
         them for a new code"
    )]
    HostIdentityChanged { expected: String, found: String },
    /// The host answered and said no.
    #[error("{0}")]
    Refused(Refusal),
    /// Connecting failed for another reason.
    #[error("could not connect: {0}")]
    Transport(String),
    /// The host turned us away before reading our Hello, more than once: too many connections
    /// were arriving (from our address, or in all).
    #[error(
        "the host is busy with many arriving connections (from your address or in all): try \
         again in a moment"
    )]
    Busy,
    /// The host closed the connection during the handshake.
    #[error("the host closed the connection: {0}")]
    Closed(String),
}

/// A running session broke.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The host ended the session and said why.
    #[error("{0}")]
    Closed(String),
    /// The connection was lost.
    #[error("connection to the host lost: {0}")]
    Lost(String),
    /// The host sent something malformed.
    #[error("the host broke the protocol: {0}")]
    Protocol(String),
}

/// One address an invite named, and what happened when it was dialled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tried {
    pub addr: SocketAddr,
    pub outcome: Outcome,
}

/// What one dialled address did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Silence for [`DIAL_TIMEOUT`].
    NoAnswer,
    /// The host refused the connection before its handshake (too many arriving at once from
    /// this address or in all): worth trying again in a moment.
    Refused,
    /// The packet could not be sent or the connection failed for another reason.
    Failed(String),
}

impl std::fmt::Display for Tried {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (addr, port) = (self.addr, self.addr.port());
        match &self.outcome {
            Outcome::NoAnswer => {
                write!(f, "{addr} — no answer in {} s ", DIAL_TIMEOUT.as_secs())?;
                if crate::portmap::is_not_public(addr.ip()) {
                    write!(
                        f,
                        "(an address on the host's own network: from elsewhere use its public address)"
                    )
                } else {
                    write!(
                        f,
                        "(is the host's router forwarding UDP {port}? a firewall may block it)"
                    )
                }
            }
            Outcome::Refused => write!(
                f,
                "{addr} — the host refused the connection: too many are arriving at once"
            ),
            Outcome::Failed(why) => write!(f, "{addr} — {why}"),
        }
    }
}

/// Dials every address of `target` at once (happy eyeballs) and keeps the first connection
/// whose host has the pinned key; the others are dropped. Each address gets
/// [`DIAL_TIMEOUT`].
pub async fn dial(
    identity: &Identity,
    target: &Target,
) -> Result<(Endpoint, Connection), JoinError> {
    dial_from(identity, target, None).await
}

/// [`dial`], from the local address `source` when given (tests play several machines on one
/// loopback: 127.0.0.2, 127.0.0.3…).
pub async fn dial_from(
    identity: &Identity,
    target: &Target,
    source: Option<IpAddr>,
) -> Result<(Endpoint, Connection), JoinError> {
    let mut attempts = tokio::task::JoinSet::new();
    for &addr in &target.addrs {
        let (tls, observed) = tls::client_config(identity, target.pin)
            .map_err(|e| JoinError::Transport(e.to_string()))?;
        let crypto = quinn::crypto::rustls::QuicClientConfig::try_from(tls)
            .map_err(|e| JoinError::Transport(e.to_string()))?;
        let mut config = quinn::ClientConfig::new(Arc::new(crypto));
        config.transport_config(client_transport());
        let pin = target.pin;
        attempts.spawn(async move {
            let outcome = dial_one(addr, config, source).await;
            let wrong_key = observed.get().filter(|id| !pin.matches(id));
            (addr, outcome, wrong_key)
        });
    }
    let mut tried = Vec::new();
    let mut wrong_key = None;
    while let Some(done) = attempts.join_next().await {
        let Ok((addr, outcome, found)) = done else {
            continue;
        };
        match outcome {
            Ok(connected) => return Ok(connected),
            Err(outcome) => {
                wrong_key = wrong_key.or(found);
                tried.push(Tried { addr, outcome });
            }
        }
    }
    if let Some(found) = wrong_key {
        return Err(JoinError::HostIdentityChanged {
            expected: target.pin.fingerprint(),
            found: KeyPin::of(&found).fingerprint(),
        });
    }
    // Turned away at the door somewhere and reached nowhere else: busy, try again.
    if tried.iter().any(|t| t.outcome == Outcome::Refused) {
        return Err(JoinError::Busy);
    }
    // In the order the code lists them, the public address first.
    tried.sort_by_key(|t| target.addrs.iter().position(|a| *a == t.addr));
    Err(JoinError::Unreachable { tried })
}

async fn dial_one(
    addr: SocketAddr,
    config: quinn::ClientConfig,
    source: Option<IpAddr>,
) -> Result<(Endpoint, Connection), Outcome> {
    let bind: SocketAddr = match (source, addr.ip()) {
        (Some(ip), _) => (ip, 0).into(),
        (None, IpAddr::V4(_)) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        (None, IpAddr::V6(_)) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let endpoint = client_endpoint(bind)
        .map_err(|e| Outcome::Failed(format!("could not open a socket: {e}")))?;
    let connecting = endpoint
        .connect_with(config, addr, SERVER_NAME)
        .map_err(|e| Outcome::Failed(format!("could not dial: {e}")))?;
    match tokio::time::timeout(DIAL_TIMEOUT, connecting).await {
        Ok(Ok(conn)) => Ok((endpoint, conn)),
        Ok(Err(ConnectionError::TimedOut)) | Err(_) => Err(Outcome::NoAnswer),
        Ok(Err(ConnectionError::ConnectionClosed(close)))
            if close.error_code == quinn_proto::TransportErrorCode::CONNECTION_REFUSED =>
        {
            Err(Outcome::Refused)
        }
        Ok(Err(e)) => Err(Outcome::Failed(e.to_string())),
    }
}

/// A client endpoint for one connection. Its connection IDs are empty: every packet from the
/// host is 8 bytes shorter (a snapshot packet is ~60 bytes), and with one connection per
/// endpoint nothing needs them to tell connections apart; the host's own IDs still let the
/// connection follow a client whose address changes.
fn client_endpoint(bind: SocketAddr) -> std::io::Result<Endpoint> {
    let socket = std::net::UdpSocket::bind(bind)?;
    let runtime =
        quinn::default_runtime().ok_or_else(|| std::io::Error::other("no async runtime found"))?;
    let mut config = quinn::EndpointConfig::default();
    config.cid_generator(|| Box::new(quinn_proto::RandomConnectionIdGenerator::new(0)));
    Endpoint::new(config, None, socket, runtime)
}

/// Dials, says `hello`, and waits for the host's answer.
/// How often [`join`] tries again when the host is busy, and the step of its backoff.
const BUSY_RETRIES: u32 = 5;
const BUSY_BACKOFF: Duration = Duration::from_millis(250);

/// Dials `target` and says `hello`. A host that turns us away as busy (a handshake lane is
/// full: friends behind one address all joining at once) is tried again a few times, with a
/// growing, jittered pause, before [`JoinError::Busy`].
pub async fn join(
    identity: &Identity,
    target: &Target,
    hello: Hello,
) -> Result<Session, JoinError> {
    let mut tries = 0;
    loop {
        match join_once(identity, target, hello.clone()).await {
            Err(JoinError::Busy) if tries < BUSY_RETRIES => {
                tries += 1;
                let mut jitter = [0u8; 1];
                let _ = getrandom::fill(&mut jitter);
                let pause = BUSY_BACKOFF * tries + BUSY_BACKOFF * u32::from(jitter[0]) / 255;
                tokio::time::sleep(pause).await;
            }
            outcome => return outcome,
        }
    }
}

async fn join_once(
    identity: &Identity,
    target: &Target,
    hello: Hello,
) -> Result<Session, JoinError> {
    let (endpoint, conn) = dial(identity, target).await?;
    let (mut send, mut recv) = conn.open_bi().await.map_err(|e| failed(&conn, e))?;
    write_frame(&mut send, &ClientMsg::Hello(hello), MAX_CLIENT_FRAME)
        .await
        .map_err(|e| failed(&conn, e))?;
    let mut buf = Vec::new();
    let answer = tokio::time::timeout(
        DIAL_TIMEOUT * 2,
        read_frame::<HostMsg>(&mut recv, MAX_HOST_FRAME, &mut buf),
    )
    .await
    .map_err(|_| JoinError::Transport("the host did not answer our Hello".into()))?;
    match answer {
        Ok(HostMsg::Welcome(welcome)) => Ok(Session {
            welcome,
            endpoint,
            conn,
            send,
            recv,
            buf,
        }),
        Ok(HostMsg::Refused(refusal)) => {
            conn.close(VarInt::from_u32(close::NORMAL), b"refused");
            Err(JoinError::Refused(refusal))
        }
        Ok(other) => Err(JoinError::Transport(format!(
            "unexpected first answer from the host: {other:?}"
        ))),
        Err(e) => Err(failed(&conn, e)),
    }
}

/// What a failed handshake step means: the host turned us away as busy, closed with a reason,
/// or the transport failed.
fn failed(conn: &Connection, e: impl std::fmt::Display) -> JoinError {
    match conn.close_reason() {
        Some(ConnectionError::ApplicationClosed(c))
            if c.error_code == VarInt::from_u32(close::BUSY) =>
        {
            JoinError::Busy
        }
        _ => match closed_reason(conn) {
            Some(reason) => JoinError::Closed(reason),
            None => JoinError::Transport(e.to_string()),
        },
    }
}

/// A session that stopped: closed by the host on purpose (it said why), or lost (timed out,
/// reset, unreachable: worth dialling again).
fn session_error(conn: &Connection, e: impl std::fmt::Display) -> SessionError {
    match conn.close_reason() {
        Some(ConnectionError::ApplicationClosed(c)) => {
            SessionError::Closed(String::from_utf8_lossy(&c.reason).into_owned())
        }
        Some(other) => SessionError::Lost(other.to_string()),
        None => SessionError::Lost(e.to_string()),
    }
}

/// Why the connection closed, if the peer said.
fn closed_reason(conn: &Connection) -> Option<String> {
    match conn.close_reason()? {
        ConnectionError::ApplicationClosed(c) => {
            Some(String::from_utf8_lossy(&c.reason).into_owned())
        }
        ConnectionError::LocallyClosed => None,
        other => Some(other.to_string()),
    }
}

/// A joined session.
#[derive(Debug)]
pub struct Session {
    pub welcome: Welcome,
    endpoint: Endpoint,
    conn: Connection,
    send: SendStream,
    recv: RecvStream,
    buf: Vec<u8>,
}

impl Session {
    /// Splits into a sender, a receiver and a handle, for separate tasks.
    pub fn split(self) -> (SessionSender, SessionReceiver, SessionHandle) {
        let handle = SessionHandle {
            endpoint: self.endpoint,
            conn: self.conn.clone(),
        };
        (
            SessionSender { send: self.send },
            SessionReceiver {
                recv: self.recv,
                conn: self.conn,
                buf: self.buf,
            },
            handle,
        )
    }
}

/// Sends to the host.
#[derive(Debug)]
pub struct SessionSender {
    send: SendStream,
}

impl SessionSender {
    pub async fn send(&mut self, msg: &ClientMsg) -> Result<(), SessionError> {
        write_frame(&mut self.send, msg, MAX_CLIENT_FRAME)
            .await
            .map_err(|e| SessionError::Lost(e.to_string()))
    }
}

/// Receives from the host.
#[derive(Debug)]
pub struct SessionReceiver {
    recv: RecvStream,
    conn: Connection,
    buf: Vec<u8>,
}

impl SessionReceiver {
    /// The size of the last frame read (its length prefix included).
    pub fn last_frame_len(&self) -> usize {
        self.buf.len() + 4
    }

    pub async fn recv(&mut self) -> Result<HostMsg, SessionError> {
        match read_frame::<HostMsg>(&mut self.recv, MAX_HOST_FRAME, &mut self.buf).await {
            Ok(msg) => Ok(msg),
            Err(e @ (FrameError::TooLarge { .. } | FrameError::Malformed(_))) => {
                self.conn
                    .close(VarInt::from_u32(close::PROTOCOL), e.to_string().as_bytes());
                Err(SessionError::Protocol(e.to_string()))
            }
            Err(e) => Err(session_error(&self.conn, e)),
        }
    }
}

/// Measurements and closing.
#[derive(Clone, Debug)]
pub struct SessionHandle {
    endpoint: Endpoint,
    conn: Connection,
}

impl SessionHandle {
    pub fn rtt(&self) -> Duration {
        self.conn.rtt()
    }

    /// UDP payload bytes received from the host so far.
    pub fn rx_bytes(&self) -> u64 {
        self.conn.stats().udp_rx.bytes
    }

    /// UDP datagrams received from the host so far (anything at all: the link is alive).
    pub fn rx_packets(&self) -> u64 {
        self.conn.stats().udp_rx.datagrams
    }

    /// Sends acknowledgements and repeated actions as one datagram (returns its size).
    pub fn send_datagram(
        &self,
        datagram: &game::protocol::ClientDatagram,
    ) -> Result<usize, crate::DatagramError> {
        crate::send_datagram(&self.conn, datagram)
    }

    /// The host's next snapshot datagram, and its size. One that does not decode closes the
    /// connection as a protocol error.
    pub async fn recv_snapshot(&self) -> Result<(Snapshot, usize), SessionError> {
        let bytes = self
            .conn
            .read_datagram()
            .await
            .map_err(|e| session_error(&self.conn, e))?;
        match postcard::from_bytes(&bytes) {
            Ok(snapshot) => Ok((snapshot, bytes.len())),
            Err(e) => {
                let text = format!("malformed snapshot: {e}");
                self.conn
                    .close(VarInt::from_u32(close::PROTOCOL), text.as_bytes());
                Err(SessionError::Protocol(text))
            }
        }
    }

    /// Closes at once, without waiting (a link given up on).
    pub fn abandon(&self, reason: &str) {
        self.conn
            .close(VarInt::from_u32(close::NORMAL), reason.as_bytes());
    }

    /// Closes the connection (after a `Leave`, say) and waits briefly for the host to hear it.
    pub async fn close(&self, reason: &str) {
        self.conn
            .close(VarInt::from_u32(close::NORMAL), reason.as_bytes());
        let _ = tokio::time::timeout(Duration::from_secs(1), self.endpoint.wait_idle()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_that_did_not_answer_says_what_to_check() {
        let public = Tried {
            addr: "198.51.100.7:4470".parse().unwrap(),
            outcome: Outcome::NoAnswer,
        };
        assert_eq!(
            public.to_string(),
            "198.51.100.7:4470 — no answer in 5 s (is the host's router forwarding UDP 4470? a \
             firewall may block it)"
        );
        let lan = Tried {
            addr: "192.168.1.5:4470".parse().unwrap(),
            outcome: Outcome::NoAnswer,
        };
        assert!(lan.to_string().contains("the host's own network"), "{lan}");
        let shared = Tried {
            addr: "100.80.1.2:4470".parse().unwrap(),
            outcome: Outcome::Failed("could not dial: invalid remote address".into()),
        };
        assert_eq!(
            shared.to_string(),
            "100.80.1.2:4470 — could not dial: invalid remote address"
        );
        let crowded = Tried {
            addr: "127.0.0.1:4470".parse().unwrap(),
            outcome: Outcome::Refused,
        };
        assert!(
            crowded.to_string().contains("too many are arriving"),
            "{crowded}"
        );
    }
}
