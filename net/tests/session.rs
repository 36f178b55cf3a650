//! Real QUIC on 127.0.0.1: identities, pinning, refusals carried to the player, and what
//! happens to clients that break the protocol. Who is admitted is the host core's decision
//! (tested in `host`); the host here takes that decision as a function, so these tests are
//! about what `net` carries.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use game::protocol::{
    ClientDatagram, ClientMsg, Hello, HostMsg, PROTOCOL_VERSION, Refusal, Snapshot, Welcome,
};
use game::{Action, Dir};
use net::{Identity, JoinError, KeyPin, Listener, Target};

/// Admits everyone.
fn admit(_: &Hello) -> Result<(), Refusal> {
    Ok(())
}

/// Starts a host that admits whom `decide` lets in and answers each `Act` with a `Snapshot`
/// acknowledging it: on the stream for an action on the stream, as a datagram for actions in a
/// datagram.
fn start_host(
    identity: &Identity,
    decide: fn(&Hello) -> Result<(), Refusal>,
) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let (addr, task, _) = start_host_with_lanes(identity, decide);
    (addr, task)
}

/// [`start_host`], and the handshake lanes to tell which keys are known.
fn start_host_with_lanes(
    identity: &Identity,
    decide: fn(&Hello) -> Result<(), Refusal>,
) -> (
    SocketAddr,
    tokio::task::JoinHandle<()>,
    std::sync::Arc<net::server::Lanes>,
) {
    let listener = Listener::bind((Ipv4Addr::LOCALHOST, 0).into(), identity).unwrap();
    let addr = listener.local_addr();
    let lanes = listener.lanes();
    let task = tokio::spawn(async move {
        while let Some(arrival) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(pending) = net::server::handshake(arrival).await else {
                    return;
                };
                if let Err(refusal) = decide(&pending.hello) {
                    return pending.refuse(refusal).await;
                }
                let welcome = Welcome {
                    world: "test".into(),
                    player: pending.player,
                    returning: false,
                    tick_rate: 20,
                    may_chat: true,
                };
                let Ok(peer) = pending.welcome(welcome).await else {
                    return;
                };
                let (mut tx, mut rx, handle) = peer.split();
                let datagrams = handle.clone();
                tokio::spawn(async move {
                    while let Ok(datagram) = datagrams.recv_datagram().await {
                        if let Some((seq, _)) = datagram.acts.last() {
                            let snapshot = Snapshot {
                                seq: datagram.snapshot + 1,
                                ack: *seq,
                                ..Snapshot::default()
                            };
                            let _ = datagrams.send_snapshot(&snapshot);
                        }
                    }
                });
                while let Ok(msg) = rx.recv().await {
                    if let ClientMsg::Act { seq, .. } = msg {
                        let snapshot = Snapshot {
                            ack: seq,
                            ..Snapshot::default()
                        };
                        if tx
                            .send(&HostMsg::Snapshot(Box::new(snapshot)))
                            .await
                            .is_err()
                        {
                            break;
                        }
                    }
                }
            });
        }
    });
    (addr, task, lanes)
}

fn hello(secret: Option<[u8; 16]>) -> Hello {
    Hello {
        protocol: PROTOCOL_VERSION,
        game_version: env!("CARGO_PKG_VERSION").into(),
        name: "tester".into(),
        invite_secret: secret,
        watch: false,
        world: None,
    }
}

/// A new player joins the host at `addr` (an open one) and is welcomed.
async fn join_honest(addr: SocketAddr, host: &Identity) -> net::Session {
    net::client::join(&Identity::ephemeral(), &target(addr, host), hello(None))
        .await
        .unwrap()
}

fn target(addr: SocketAddr, host: &Identity) -> Target {
    Target {
        addrs: vec![addr],
        pin: KeyPin::of(&host.id()),
        world: None,
    }
}

/// Sends one action and waits for its acknowledgement.
async fn assert_acknowledged(session: net::Session, seq: u32) {
    let (mut tx, mut rx, _handle) = session.split();
    let action = Action::Move(Dir::N);
    tx.send(&ClientMsg::Act { seq, action }).await.unwrap();
    match rx.recv().await.unwrap() {
        HostMsg::Snapshot(u) => assert_eq!(u.ack, seq),
        other => panic!("expected a snapshot, got {other:?}"),
    }
}

#[tokio::test]
async fn an_admitted_player_is_known_by_key() {
    let host = Identity::ephemeral();
    let (addr, _task) = start_host(&host, admit);
    let me = Identity::ephemeral();
    let session = net::client::join(&me, &target(addr, &host), hello(Some([1; 16])))
        .await
        .unwrap();
    assert_eq!(session.welcome.player, me.id());
    assert_acknowledged(session, 7).await;
}

#[tokio::test]
async fn a_host_with_another_key_is_refused_as_identity_changed() {
    let host = Identity::ephemeral();
    let impostor_pin = Identity::ephemeral();
    let (addr, _task) = start_host(&host, admit);
    let err = net::client::join(
        &Identity::ephemeral(),
        &target(addr, &impostor_pin),
        hello(None),
    )
    .await
    .unwrap_err();
    match &err {
        JoinError::HostIdentityChanged { expected, found } => {
            assert_eq!(*expected, KeyPin::of(&impostor_pin.id()).fingerprint());
            assert_eq!(*found, KeyPin::of(&host.id()).fingerprint());
        }
        other => panic!("expected HostIdentityChanged, got {other:?}"),
    }
    assert!(err.to_string().contains("host identity changed"));
}

#[tokio::test]
async fn a_refusal_reaches_the_player_with_its_own_message() {
    let host = Identity::ephemeral();
    let (addr, _task) = start_host(&host, |_| Err(Refusal::WrongSecret));
    let err = net::client::join(&Identity::ephemeral(), &target(addr, &host), hello(None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, JoinError::Refused(Refusal::WrongSecret)),
        "{err:?}"
    );
    let (addr, _task) = start_host(&host, |_| Err(Refusal::ExpiredSecret));
    let err = net::client::join(&Identity::ephemeral(), &target(addr, &host), hello(None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, JoinError::Refused(Refusal::ExpiredSecret)),
        "{err:?}"
    );
    assert!(err.to_string().contains("expired"));
}

#[tokio::test]
async fn another_protocol_version_learns_both_versions() {
    let host = Identity::ephemeral();
    let (addr, _task) = start_host(&host, admit);
    let mut old = hello(None);
    old.protocol = PROTOCOL_VERSION + 41;
    old.game_version = "0.0.1-old".into();
    let err = net::client::join(&Identity::ephemeral(), &target(addr, &host), old)
        .await
        .unwrap_err();
    match err {
        JoinError::Refused(Refusal::VersionMismatch {
            host_protocol,
            host_version,
        }) => {
            assert_eq!(host_protocol, PROTOCOL_VERSION);
            assert_eq!(host_version, env!("CARGO_PKG_VERSION"));
        }
        other => panic!("expected a version mismatch, got {other:?}"),
    }
}

#[tokio::test]
async fn nobody_listening_is_reported_as_unreachable() {
    // Bind and drop a socket to find a port where nobody listens.
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let host = Identity::ephemeral();
    let addr: SocketAddr = (Ipv4Addr::LOCALHOST, port).into();
    let err = net::client::join(&Identity::ephemeral(), &target(addr, &host), hello(None))
        .await
        .unwrap_err();
    match &err {
        JoinError::Unreachable { tried } => {
            assert_eq!(tried.len(), 1);
            assert_eq!(tried[0].addr, addr);
            assert_eq!(tried[0].outcome, net::client::Outcome::NoAnswer);
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    // Each address is named with what happened there and what to check.
    let text = err.to_string();
    assert!(
        text.contains(&format!("127.0.0.1:{port} — no answer in 5 s")),
        "{text}"
    );
    assert!(text.contains("the host's own network"), "{text}");
}

#[tokio::test]
async fn every_address_is_dialled_and_the_one_with_the_pinned_key_wins() {
    // The code names an impostor first (a host with another key, as a stale LAN address may
    // reach someone else's game), a dead port second, and the real host last.
    let host = Identity::ephemeral();
    let (real, _task) = start_host(&host, admit);
    let (impostor, _task2) = start_host(&Identity::ephemeral(), admit);
    let dead = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let target = Target {
        addrs: vec![impostor, dead, real],
        pin: KeyPin::of(&host.id()),
        world: None,
    };
    let me = Identity::ephemeral();
    let session = net::client::join(&me, &target, hello(None)).await.unwrap();
    assert_eq!(session.welcome.player, me.id());
    assert_acknowledged(session, 3).await;
}

#[tokio::test]
async fn when_no_address_answers_each_is_reported_in_the_codes_order() {
    let dead = || {
        std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
    };
    let (first, second) = (dead(), dead());
    let target = Target {
        addrs: vec![first, second],
        pin: KeyPin::of(&Identity::ephemeral().id()),
        world: None,
    };
    let err = net::client::join(&Identity::ephemeral(), &target, hello(None))
        .await
        .unwrap_err();
    let JoinError::Unreachable { tried } = &err else {
        panic!("expected Unreachable, got {err:?}");
    };
    assert_eq!(
        tried.iter().map(|t| t.addr).collect::<Vec<_>>(),
        [first, second]
    );
    let text = err.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].starts_with(&format!("  {first} — no answer")),
        "{text}"
    );
    assert!(
        lines[2].starts_with(&format!("  {second} — no answer")),
        "{text}"
    );
}

/// Says a proper Hello on a raw stream; returns the host's first answer and the send half.
async fn raw_hello(conn: &quinn::Connection) -> (HostMsg, quinn::SendStream) {
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    net::frame::write_frame(&mut send, &ClientMsg::Hello(hello(None)), 1 << 14)
        .await
        .unwrap();
    let mut buf = Vec::new();
    let answer = net::frame::read_frame(&mut recv, 1 << 18, &mut buf)
        .await
        .unwrap();
    (answer, send)
}

/// Opens a raw stream after a proper Hello, writes `bytes`, and returns how the host closed us.
async fn misbehave(addr: SocketAddr, host: &Identity, bytes: &[u8]) -> String {
    misbehave_by(addr, host, Bad::Frame(bytes)).await
}

/// What a misbehaving client sends after its Hello.
enum Bad<'a> {
    /// Raw bytes on the stream.
    Frame(&'a [u8]),
    /// One datagram.
    Datagram(Vec<u8>),
}

/// Joins, sends `bad`, and returns why the host closed the connection.
async fn misbehave_by(addr: SocketAddr, host: &Identity, bad: Bad<'_>) -> String {
    let me = Identity::ephemeral();
    let (_endpoint, conn) = net::client::dial(&me, &target(addr, host)).await.unwrap();
    let (welcome, mut send) = raw_hello(&conn).await;
    assert!(matches!(welcome, HostMsg::Welcome(_)));
    match bad {
        Bad::Frame(bytes) => send.write_all(bytes).await.unwrap(),
        Bad::Datagram(bytes) => conn.send_datagram(bytes.into()).unwrap(),
    }
    let closed = tokio::time::timeout(Duration::from_secs(15), conn.closed())
        .await
        .unwrap();
    closed.to_string()
}

#[tokio::test]
async fn oversized_and_garbage_frames_close_only_that_connection() {
    let host = Identity::ephemeral();
    let (addr, task) = start_host(&host, admit);

    // An honest player joins first and stays.
    let (mut tx, mut rx, _handle) = join_honest(addr, &host).await.split();

    let oversized = (1u32 << 30).to_le_bytes();
    let reason = misbehave(addr, &host, &oversized).await;
    assert!(reason.contains("larger than the limit"), "{reason}");

    let mut garbage = 6u32.to_le_bytes().to_vec();
    garbage.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    let reason = misbehave(addr, &host, &garbage).await;
    assert!(reason.contains("malformed"), "{reason}");

    // The host still runs and the honest player is still served.
    assert!(!task.is_finished());
    for seq in 1..=3 {
        tx.send(&ClientMsg::Act {
            seq,
            action: Action::Wait,
        })
        .await
        .unwrap();
        match rx.recv().await.unwrap() {
            HostMsg::Snapshot(u) => assert_eq!(u.ack, seq),
            other => panic!("expected a snapshot, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_first_message_that_is_not_hello_is_closed() {
    let host = Identity::ephemeral();
    let (addr, _task) = start_host(&host, admit);
    let (_endpoint, conn) = net::client::dial(&Identity::ephemeral(), &target(addr, &host))
        .await
        .unwrap();
    let (mut send, _recv) = conn.open_bi().await.unwrap();
    net::frame::write_frame(&mut send, &ClientMsg::Leave, 1 << 14)
        .await
        .unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(5), conn.closed())
        .await
        .unwrap();
    assert!(closed.to_string().contains("must be Hello"), "{closed}");
}

#[tokio::test]
async fn a_frame_that_starts_and_never_finishes_is_closed_after_the_deadline() {
    let host = Identity::ephemeral();
    let (addr, _task) = start_host(&host, admit);
    let started = std::time::Instant::now();
    // Two bytes of a length prefix, then silence (keep-alives keep the connection itself up).
    let reason = misbehave(addr, &host, &[8, 0]).await;
    assert!(reason.contains("did not finish"), "{reason}");
    assert!(started.elapsed() >= net::frame::FRAME_DEADLINE);
    assert!(started.elapsed() < net::frame::FRAME_DEADLINE * 3);
}

#[tokio::test]
async fn a_client_that_finishes_tls_and_says_nothing_is_closed_within_the_hello_deadline() {
    let host = Identity::ephemeral();
    let (addr, _task) = start_host(&host, admit);
    let (_endpoint, conn) = net::client::dial(&Identity::ephemeral(), &target(addr, &host))
        .await
        .unwrap();
    let closed = tokio::time::timeout(net::server::HELLO_TIMEOUT * 2, conn.closed())
        .await
        .expect("closed within the Hello deadline");
    assert!(closed.to_string().contains("no Hello in time"), "{closed}");
}

#[tokio::test]
async fn strangers_from_one_address_get_a_few_lanes_and_a_known_key_still_gets_in() {
    let host = Identity::ephemeral();
    let (addr, _task, lanes) = start_host_with_lanes(&host, admit);
    let known = Identity::ephemeral();
    lanes.set_known("w", [known.id()].into_iter().collect());
    let attacker: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    // Four strangers from 127.0.0.2 finish TLS and stall: the address's lane is full.
    let mut stalled = Vec::new();
    for _ in 0..4 {
        let (endpoint, conn) =
            net::client::dial_from(&Identity::ephemeral(), &target(addr, &host), Some(attacker))
                .await
                .unwrap();
        stalled.push((endpoint, conn));
    }
    // A fifth stranger from there is turned away right after TLS.
    let (_e, fifth) =
        net::client::dial_from(&Identity::ephemeral(), &target(addr, &host), Some(attacker))
            .await
            .unwrap();
    let why = tokio::time::timeout(Duration::from_secs(2), fifth.closed())
        .await
        .expect("the fifth stranger is closed at once");
    assert!(why.to_string().contains("too many connections"), "{why}");
    // A key the host knows, from the same address, gets in.
    let (_e, conn) = net::client::dial_from(&known, &target(addr, &host), Some(attacker))
        .await
        .unwrap();
    let (answer, _send) = raw_hello(&conn).await;
    assert!(matches!(answer, HostMsg::Welcome(_)), "{answer:?}");
    // And a stranger from another address is not held up by 127.0.0.2's flood.
    let session = net::client::join(&Identity::ephemeral(), &target(addr, &host), hello(None))
        .await
        .unwrap();
    assert!(!session.welcome.world.is_empty());
    drop(stalled);
}

#[tokio::test]
async fn a_version_mismatch_closes_with_words_from_the_hosts_side() {
    let host = Identity::ephemeral();
    let (addr, _task) = start_host(&host, admit);
    let mut old = hello(None);
    old.protocol = PROTOCOL_VERSION + 1;
    let (_endpoint, conn) = net::client::dial(&Identity::ephemeral(), &target(addr, &host))
        .await
        .unwrap();
    let (mut send, _recv) = conn.open_bi().await.unwrap();
    net::frame::write_frame(&mut send, &ClientMsg::Hello(old), 1 << 14)
        .await
        .unwrap();
    // A client that cannot read the refusal shows the close reason: it must not claim to
    // know the client's version.
    let reason = tokio::time::timeout(Duration::from_secs(5), conn.closed())
        .await
        .unwrap()
        .to_string();
    assert!(reason.contains("this host runs brogue"), "{reason}");
    assert!(!reason.contains("you run"), "{reason}");
}

#[tokio::test]
async fn a_join_turned_away_as_busy_tries_again_and_gets_in() {
    let host = Identity::ephemeral();
    let (addr, _task) = start_host(&host, admit);
    // Four strangers from 127.0.0.1 finish TLS and say nothing: the address's lane is full
    // until the host closes them (the Hello deadline).
    let mut stalled = Vec::new();
    for _ in 0..4 {
        stalled.push(
            net::client::dial(&Identity::ephemeral(), &target(addr, &host))
                .await
                .unwrap(),
        );
    }
    let started = std::time::Instant::now();
    let session = net::client::join(&Identity::ephemeral(), &target(addr, &host), hello(None))
        .await
        .expect("a busy host is tried again until a lane frees");
    assert!(!session.welcome.world.is_empty());
    // It got in only once the stalled ones were closed.
    assert!(started.elapsed() >= net::server::HELLO_TIMEOUT / 2);
    drop(stalled);
}

#[tokio::test]
async fn datagrams_carry_actions_and_snapshots_and_a_garbage_datagram_closes_only_its_sender() {
    let host = Identity::ephemeral();
    let (addr, task) = start_host(&host, admit);
    let (_tx, _rx, handle) = join_honest(addr, &host).await.split();
    let datagram = ClientDatagram {
        snapshot: 4,
        acts: vec![(7, Action::Wait)],
    };
    // Datagrams may be lost even here: send until one answer comes.
    let answer = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            handle.send_datagram(&datagram).unwrap();
            if let Ok(Ok((snapshot, _))) =
                tokio::time::timeout(Duration::from_millis(200), handle.recv_snapshot()).await
            {
                return snapshot;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!((answer.seq, answer.ack), (5, 7));

    // A client sending a datagram that is no message is closed with the reason.
    let closed = misbehave_by(addr, &host, Bad::Datagram(vec![0xff; 40])).await;
    assert!(closed.contains("malformed"), "{closed}");
    // The honest player is still served.
    assert!(!task.is_finished());
    handle.send_datagram(&datagram).unwrap();
}
