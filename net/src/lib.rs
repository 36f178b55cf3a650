//! Brogue's networking: QUIC (quinn + rustls, ring provider) with pinned self-signed keys,
//! length-capped postcard frames, invite codes, and the host and client halves of a session.
//!
//! `net` knows the protocol types of `game::protocol` but nothing of worlds, saves or screens:
//! the host runtime (in the binary) decides who is admitted; `net` carries the bytes and closes
//! connections that break the protocol.

pub mod client;
pub mod discovery;
pub mod frame;
#[doc(hidden)]
pub mod fuzz;
pub mod identity;
pub mod invite;
pub mod portmap;
pub mod server;
pub mod tls;

use std::sync::Arc;
use std::time::Duration;

use quinn::{IdleTimeout, TransportConfig, VarInt};

pub use client::{JoinError, Session, SessionError, Target};
pub use identity::{Identity, IdentityError};
pub use invite::{Invite, InviteError};
pub use server::{Listener, Peer, Pending};
pub use tls::KeyPin;

/// Sending a datagram did not work.
#[derive(Debug, thiserror::Error)]
pub enum DatagramError {
    /// Larger than the path carries now: send it on the stream instead.
    #[error("larger than a datagram")]
    TooLarge,
    /// The connection is gone, or the peer takes no datagrams.
    #[error("datagrams unavailable: {0}")]
    Unavailable(String),
}

/// Encodes `msg` and sends it as one datagram on `conn`.
pub(crate) fn send_datagram<T: serde::Serialize>(
    conn: &quinn::Connection,
    msg: &T,
) -> Result<usize, DatagramError> {
    let bytes = postcard::to_stdvec(msg).map_err(|e| DatagramError::Unavailable(e.to_string()))?;
    let len = bytes.len();
    match conn.max_datagram_size() {
        Some(max) if len > max => return Err(DatagramError::TooLarge),
        None => return Err(DatagramError::Unavailable("not negotiated".into())),
        Some(_) => {}
    }
    conn.send_datagram(bytes::Bytes::from(bytes))
        .map(|()| len)
        .map_err(|e| match e {
            quinn::SendDatagramError::TooLarge => DatagramError::TooLarge,
            other => DatagramError::Unavailable(other.to_string()),
        })
}

/// Application close codes on the wire.
pub mod close {
    /// The host ended the session (shutdown) or the client left.
    pub const NORMAL: u32 = 0;
    /// The peer broke the protocol (oversized or malformed frame, wrong message).
    pub const PROTOCOL: u32 = 1;
    /// The host refused the player (see the `Refused` message).
    pub const REFUSED: u32 = 2;
    /// The peer could not keep up.
    pub const TOO_SLOW: u32 = 3;
    /// Too many connections are arriving (from the client's address or in all): try again.
    pub const BUSY: u32 = 4;
}

/// How long a connection may be silent before it is considered dead.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(20);
/// Keep-alives: well inside NAT mapping lifetimes, and often enough that a client hears
/// something every second on a live path (it calls a silence of a few seconds a lost link).
pub const KEEP_ALIVE: Duration = Duration::from_secs(1);
/// Datagrams waiting to leave: a few ticks' snapshots. When a path stalls, the oldest are
/// dropped rather than sent stale.
const DATAGRAM_SEND_BUFFER: usize = 16 * 1024;
const DATAGRAM_RECEIVE_BUFFER: usize = 64 * 1024;

/// Transport limits sized for a game, not a file transfer: two streams each way, small windows,
/// datagrams for snapshots and inputs, migration on (the server's default) so a client whose
/// address changes keeps its connection.
pub(crate) fn transport() -> Arc<TransportConfig> {
    Arc::new(transport_config())
}

/// The client's transport: as [`transport`], and it asks the host (through the QUIC
/// acknowledgement-frequency extension) to acknowledge its datagrams lazily, so the host's
/// acknowledgements ride on its next snapshot instead of packets of their own. The client
/// sends its acknowledgement of each snapshot shortly before the host's next tick.
pub(crate) fn client_transport() -> Arc<TransportConfig> {
    let mut t = transport_config();
    let mut ack = quinn::AckFrequencyConfig::default();
    ack.ack_eliciting_threshold(VarInt::from_u32(8))
        .max_ack_delay(Some(Duration::from_millis(50)));
    t.ack_frequency_config(Some(ack));
    Arc::new(t)
}

fn transport_config() -> TransportConfig {
    let mut t = TransportConfig::default();
    t.max_idle_timeout(Some(
        IdleTimeout::try_from(IDLE_TIMEOUT).expect("20 s fits a QUIC idle timeout"),
    ));
    t.keep_alive_interval(Some(KEEP_ALIVE));
    t.max_concurrent_bidi_streams(VarInt::from_u32(2));
    t.max_concurrent_uni_streams(VarInt::from_u32(0));
    t.stream_receive_window(VarInt::from_u32(64 * 1024));
    t.receive_window(VarInt::from_u32(256 * 1024));
    t.send_window(256 * 1024);
    t.datagram_receive_buffer_size(Some(DATAGRAM_RECEIVE_BUFFER));
    t.datagram_send_buffer_size(DATAGRAM_SEND_BUFFER);
    // No path-MTU probing: a game's packets are small, and a probe is a packet of up to 1,452
    // bytes each way now and then; a snapshot larger than the 1,200-byte minimum rides the
    // stream instead.
    t.mtu_discovery_config(None);
    t
}
