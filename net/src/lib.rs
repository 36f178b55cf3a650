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
/// Keep-alives well inside NAT mapping lifetimes.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// Transport limits sized for a game, not a file transfer: two streams each way, small windows,
/// no datagrams.
pub(crate) fn transport() -> Arc<TransportConfig> {
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
    t.datagram_receive_buffer_size(None);
    Arc::new(t)
}
