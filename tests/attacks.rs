//! Attacks on a real `brogue host --headless` over loopback, each against a host with four
//! players in it who keep playing throughout (a Wait every half second, every update applied):
//! a registration storm with a real invite code, stalled handshakes, a log flood of huge
//! version strings, oversized fields and lookalike names. Each asserts that the four never
//! noticed (no disconnect, every action acknowledged, a party list of the players there), that a
//! returning player and a legitimate first join still get in, and that the log and the save stay
//! small. Request loops are bounded in count and time. The tests run one at a time: each
//! measures a host under load and two cores are all this machine has.

mod support;

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use game::protocol::{
    ClientDatagram, ClientMsg, Hello, HostMsg, MAX_CLIENT_FRAME, PROTOCOL_VERSION, Refusal,
};
use game::{Action, Class};
use net::{Identity, Invite, JoinError, Target};
use support::{Client, HostProcess};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// One attack at a time (see the module docs).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Longest a bystander's Wait may take to be acknowledged before we call it noticeable. At
/// 20 ticks a second an acknowledgement takes a tick or two; this is a freeze, not a slowdown.
const NOTICEABLE: Duration = Duration::from_secs(3);

/// What a bystander saw while the attack ran.
#[derive(Debug, Default)]
struct Played {
    acks: u32,
    slowest_ack: Duration,
    /// Every name the party list showed.
    names_seen: BTreeSet<String>,
    largest_party: usize,
    closed: Option<String>,
}

/// A player who keeps playing on a task until told to stop.
struct Bystander {
    name: &'static str,
    stop: CancellationToken,
    task: JoinHandle<(Client, Played)>,
}

impl Bystander {
    fn start(name: &'static str, client: Client) -> Bystander {
        let stop = CancellationToken::new();
        let task = tokio::spawn(keep_playing(client, stop.clone()));
        Bystander { name, stop, task }
    }

    /// Stops playing; asserts nothing they could notice happened.
    async fn finish(self) -> (Client, Played) {
        self.stop.cancel();
        let (client, played) = self.task.await.expect("the bystander's task");
        assert_eq!(played.closed, None, "{} was disconnected", self.name);
        assert!(played.acks >= 1, "{} never played: {played:?}", self.name);
        assert!(
            played.slowest_ack < NOTICEABLE,
            "{} waited {:?} for an action: {played:?}",
            self.name,
            played.slowest_ack
        );
        (client, played)
    }

    /// Stops playing, leaves, and joins again with no invite code (as a returning player).
    async fn leave_and_return(self, target: &Target) -> brogue::session::Joined {
        let name = self.name;
        let (client, _) = self.finish().await;
        client.joined.leave().await;
        brogue::session::join(&client.identity, target, name, None, false)
            .await
            .unwrap_or_else(|e| panic!("{name} could not come back: {e}"))
    }
}

async fn keep_playing(mut client: Client, stop: CancellationToken) -> (Client, Played) {
    let mut played = Played::default();
    let mut every = tokio::time::interval(Duration::from_millis(500));
    let mut waiting: Option<(u32, Instant)> = None;
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = every.tick() => {
                if waiting.is_none() {
                    waiting = Some((client.act(Action::Wait).await, Instant::now()));
                }
            }
            msg = client.joined.inbox.recv() => {
                let Some(msg) = msg else {
                    played.closed = Some("the session ended".into());
                    break;
                };
                if let Err(reason) = client.receive(msg) {
                    played.closed = Some(reason);
                    break;
                }
                if let Some((seq, at)) = waiting
                    && client.view.ack >= seq
                {
                    played.acks += 1;
                    played.slowest_ack = played.slowest_ack.max(at.elapsed());
                    waiting = None;
                }
                played.largest_party = played.largest_party.max(client.view.party.len());
                played
                    .names_seen
                    .extend(client.view.party.iter().map(|m| m.name.clone()));
            }
        }
    }
    if let Some((_, at)) = waiting {
        // An action still unacknowledged when we stopped counts from when it was sent.
        played.slowest_ack = played.slowest_ack.max(at.elapsed().min(NOTICEABLE));
    }
    (client, played)
}

const FOUR: [(&str, Class); 4] = [
    ("Ada", Class::Mage),
    ("Bo", Class::Warrior),
    ("Cy", Class::Ranger),
    ("Di", Class::Healer),
];

/// A headless host and the four players in it, playing.
async fn host_with_four(data_dir: &Path, extra: &[&str]) -> (HostProcess, Vec<Bystander>) {
    let host = HostProcess::start(data_dir, "besieged", extra);
    let invite = host.parsed_invite();
    let mut four = Vec::new();
    for (name, class) in FOUR {
        let mut client = Client::join(Identity::ephemeral(), &invite, name).await;
        client.create(class).await;
        four.push(Bystander::start(name, client));
    }
    (host, four)
}

fn hello(name: &str, secret: Option<[u8; 16]>) -> Hello {
    Hello {
        protocol: PROTOCOL_VERSION,
        game_version: env!("CARGO_PKG_VERSION").into(),
        name: name.into(),
        invite_secret: secret,
        watch: false,
        world: None,
    }
}

/// Bytes of every file under `dir`.
fn disk_use(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map_while(Result::ok)
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => disk_use(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Every line the host logged so far.
fn log_lines(data_dir: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(data_dir.join("logs")).expect("the log directory") {
        let text = std::fs::read_to_string(entry.expect("a log file").path()).expect("a log");
        lines.extend(text.lines().map(str::to_owned));
    }
    lines
}

/// The players everyone is left with once an attack is over: their names, without the
/// suffixes of the ones who came and went.
fn settled_party(client: &Client) -> BTreeSet<String> {
    client.view.party.iter().map(|m| m.name.clone()).collect()
}

#[tokio::test]
async fn a_registration_storm_admits_only_the_codes_budget_and_the_party_forgets_it() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    // The four take four of the code's five admissions, and its burst.
    let (mut host, four) = host_with_four(dir.path(), &["--max-new-per-code", "5"]).await;
    let leaked = host.parsed_invite();
    let target = Target::from_invite(&leaked);

    // Eight attackers join with fresh keys as fast as they can, for at most 15 s and 400 tries.
    let started = Instant::now();
    let tries = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let mut attackers = Vec::new();
    for a in 0..8 {
        let (target, tries) = (target.clone(), tries.clone());
        let secret = Some(leaked.secret.0);
        attackers.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            while started.elapsed() < Duration::from_secs(15)
                && tries.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 400
            {
                let name = format!("bot-{a}");
                match net::client::join(&Identity::ephemeral(), &target, hello(&name, secret)).await
                {
                    Ok(session) => {
                        outcomes.push(Ok(()));
                        drop(session);
                    }
                    Err(JoinError::Refused(refusal)) => {
                        let used_up = matches!(refusal, Refusal::CodeUsedUp { .. });
                        outcomes.push(Err(Some(refusal)));
                        if used_up {
                            break;
                        }
                    }
                    // More than four at once from one address wait their turn (the client tries
                    // again a few times by itself first).
                    Err(JoinError::Busy) => outcomes.push(Err(None)),
                    Err(e) => panic!("a join failed in transport: {e}"),
                }
            }
            outcomes
        }));
    }
    let (mut admitted, mut busy) = (0, 0);
    let mut refusals = Vec::new();
    for attacker in attackers {
        for outcome in attacker.await.unwrap() {
            match outcome {
                Ok(()) => admitted += 1,
                Err(Some(refusal)) => refusals.push(refusal),
                Err(None) => busy += 1,
            }
        }
    }
    eprintln!(
        "storm: {admitted} admitted, {} refused, {busy} turned away at the door",
        refusals.len()
    );
    assert_eq!(admitted, 1, "the code had one admission left: {refusals:?}");
    let used_up = refusals
        .iter()
        .find(|r| matches!(r, Refusal::CodeUsedUp { .. }))
        .expect("the code ran out");
    assert_eq!(
        used_up.to_string(),
        "this invite code has admitted its 5 players; ask the host for a new one"
    );
    assert!(
        refusals
            .iter()
            .all(|r| matches!(r, Refusal::CodeUsedUp { .. } | Refusal::JoiningTooFast)),
        "{refusals:?}"
    );

    // The host has a fresh code to share; a friend's first join with it gets in.
    let fresh = host.expect_line("invite: ");
    assert_ne!(fresh, host.invite);
    let fresh = Invite::parse(&fresh).unwrap();
    let mut eve = Client::join(Identity::ephemeral(), &fresh, "Eve").await;
    eve.create(Class::Ranger).await;

    // A returning player gets in with no code at all.
    let mut four = four.into_iter();
    let back = four.next_back().unwrap().leave_and_return(&target).await;
    assert!(back.welcome.returning);

    // The three who stayed never noticed more than the one stranger the code admitted.
    eve.drain(Duration::from_secs(1)).await;
    for bystander in four {
        let (client, played) = bystander.finish().await;
        let strangers: Vec<&String> = played
            .names_seen
            .iter()
            .filter(|n| !["Ada", "Bo", "Cy", "Di", "Eve"].contains(&n.as_str()))
            .collect();
        assert!(strangers.len() <= 1, "{strangers:?}");
        assert!(played.largest_party <= 6, "{played:?}");
        // The stranger made no character and left: nobody lists them any more.
        assert_eq!(
            settled_party(&client),
            ["Ada", "Bo", "Cy", "Di", "Eve"]
                .map(String::from)
                .into_iter()
                .collect()
        );
    }
    let log = log_lines(dir.path()).join("\n");
    assert!(log.len() < 32 * 1024, "the log grew to {} bytes", log.len());
}

/// A connection from `source` that finishes TLS and then says nothing until the host closes
/// it; returns the host's reason.
async fn stall(target: &Target, source: IpAddr) -> String {
    match net::client::dial_from(&Identity::ephemeral(), target, Some(source)).await {
        Ok((_endpoint, conn)) => tokio::time::timeout(Duration::from_secs(20), conn.closed())
            .await
            .expect("the host closes a silent connection")
            .to_string(),
        Err(e) => e.to_string(),
    }
}

/// A Hello from another protocol version with a version string as long as a frame allows.
async fn huge_wrong_version(target: &Target, source: IpAddr) {
    let Ok((_endpoint, conn)) =
        net::client::dial_from(&Identity::ephemeral(), target, Some(source)).await
    else {
        return;
    };
    let Ok((mut send, _recv)) = conn.open_bi().await else {
        return;
    };
    let mut hello = hello("x", None);
    hello.protocol = PROTOCOL_VERSION + 7;
    hello.game_version = "9".repeat(MAX_CLIENT_FRAME - 64);
    let _ = net::frame::write_frame(&mut send, &ClientMsg::Hello(hello), MAX_CLIENT_FRAME).await;
    let _ = tokio::time::timeout(Duration::from_secs(10), conn.closed()).await;
}

#[tokio::test]
async fn stalled_handshakes_and_a_log_flood_lock_nobody_out_and_leave_the_disk_flat() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (host, four) = host_with_four(dir.path(), &[]).await;
    let invite = host.parsed_invite();
    let target = Target::from_invite(&invite);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = disk_use(dir.path());
    let log_before = disk_use(&dir.path().join("logs"));

    // From 127.0.0.2: forty silent connections a second for eight seconds (more than the host
    // has handshake slots in all). From 127.0.0.3: Hellos of another version, each with a 16 KiB
    // version string, eight at a time, five times a second, for eight seconds (at most 320).
    let staller: IpAddr = "127.0.0.2".parse().unwrap();
    let flooder: IpAddr = "127.0.0.3".parse().unwrap();
    let stalls = {
        let target = target.clone();
        tokio::spawn(async move {
            let mut stalls = Vec::new();
            for _ in 0..320 {
                let target = target.clone();
                stalls.push(tokio::spawn(async move { stall(&target, staller).await }));
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            stalls
        })
    };
    let flood = {
        let target = target.clone();
        let started = Instant::now();
        tokio::spawn(async move {
            for _ in 0..40 {
                if started.elapsed() > Duration::from_secs(8) {
                    break;
                }
                let wave: Vec<_> = (0..8)
                    .map(|_| {
                        let target = target.clone();
                        tokio::spawn(async move { huge_wrong_version(&target, flooder).await })
                    })
                    .collect();
                for one in wave {
                    one.await.unwrap();
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };

    // In the middle of it all, a returning player and a first join both get in.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!stalls.is_finished() && !flood.is_finished());
    let mut four = four.into_iter();
    let back = four.next_back().unwrap().leave_and_return(&target).await;
    assert!(back.welcome.returning);
    let mut eve = Client::join(Identity::ephemeral(), &invite, "Eve").await;
    eve.create(Class::Warrior).await;
    assert!(!stalls.is_finished(), "the joins were not under attack");

    flood.await.unwrap();
    let mut reasons = std::collections::BTreeMap::<String, u32>::new();
    for stall in stalls.await.unwrap() {
        *reasons.entry(stall.await.unwrap()).or_default() += 1;
    }
    eprintln!("the stalled connections ended: {reasons:#?}");
    assert!(
        reasons
            .keys()
            .all(|r| r.contains("no Hello in time") || r.contains("too many connections")),
        "{reasons:?}"
    );

    for bystander in four {
        let (client, played) = bystander.finish().await;
        assert_eq!(played.names_seen.len(), 5, "{played:?}");
        assert_eq!(settled_party(&client).len(), 5);
    }

    // The log holds a line or two per attacking address, each short; the save did not grow
    // because of strangers (the players' own play writes a little).
    let lines = log_lines(dir.path());
    for ip in ["127.0.0.2", "127.0.0.3"] {
        let about: Vec<&String> = lines.iter().filter(|l| l.contains(ip)).collect();
        eprintln!("log lines about {ip}: {about:#?}");
        let about = about.len();
        assert!((1..=2).contains(&about), "{about} lines about {ip}");
    }
    assert!(lines.iter().all(|l| l.len() < 1024), "a long log line");
    let log_growth = disk_use(&dir.path().join("logs")) - log_before;
    assert!(log_growth < 16 * 1024, "the log grew by {log_growth} bytes");
    let growth = disk_use(dir.path()).saturating_sub(before);
    eprintln!("during the attacks the log grew by {log_growth} bytes, the data dir by {growth}");
    assert!(
        growth < 2 * 1024 * 1024,
        "the data dir grew by {growth} bytes"
    );
}

#[tokio::test]
async fn oversized_fields_and_lookalike_names_are_cut_and_told_apart() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (host, four) = host_with_four(dir.path(), &[]).await;
    let invite = host.parsed_invite();
    let target = Target::from_invite(&invite);

    // Strangers named like Ada, and one with a name as long as a frame allows (the code's burst
    // of eight covers the four and these four).
    let lookalikes = ["Ada", "aDA", "A\u{200B}da\u{202E}\u{E0041}"];
    let mut strangers = Vec::new();
    for name in lookalikes {
        let mut c = Client::join(Identity::ephemeral(), &invite, name).await;
        c.create(Class::Ranger).await;
        strangers.push(c);
    }
    let long_name = "N".repeat(MAX_CLIENT_FRAME - 64);
    let mut long = Client::join(Identity::ephemeral(), &invite, &long_name).await;
    long.create(Class::Warrior).await;
    // A chat line as long as a frame allows.
    long.send(ClientMsg::Chat {
        text: "spam ".repeat((MAX_CLIENT_FRAME - 64) / 5),
    })
    .await;
    // The first lookalike leaves, comes back on a raw connection and sends a frame longer than
    // allowed.
    let Client {
        joined, identity, ..
    } = strangers.remove(0);
    joined.leave().await;
    let mut raw = raw_player(&identity, &target, "Ada").await;
    let conn = raw.conn.clone();
    raw.send
        .write_all(&(1u32 << 24).to_le_bytes())
        .await
        .unwrap();
    let why = tokio::time::timeout(Duration::from_secs(10), conn.closed())
        .await
        .unwrap();
    assert!(why.to_string().contains("larger than the limit"), "{why}");
    long.drain(Duration::from_secs(1)).await;

    let mut four = four.into_iter();
    let ada = four.next().unwrap();
    let (ada, _) = ada.finish().await;
    // Ada is still the one and only "Ada"; every other name differs without regard to case.
    let you = ada.view.you().expect("Ada is in her own party list");
    assert_eq!(you.name, "Ada");
    let keys: BTreeSet<String> = ada
        .view
        .party
        .iter()
        .map(|m| game::text::name_key(&m.name))
        .collect();
    assert_eq!(keys.len(), ada.view.party.len(), "{:?}", ada.view.party);
    for member in &ada.view.party {
        assert!(
            member.name.chars().count() <= game::world::MAX_NAME_CHARS,
            "{member:?}"
        );
        assert!(
            !member.name.chars().any(game::text::is_unsafe),
            "{member:?}"
        );
    }
    let names: Vec<&str> = ada.view.party.iter().map(|m| m.name.as_str()).collect();
    for taken in ["Ada (2)", "aDA (3)", "Ada (4)"] {
        assert!(names.contains(&taken), "{names:?}");
    }
    assert!(
        names.contains(&"N".repeat(game::world::MAX_NAME_CHARS).as_str()),
        "{names:?}"
    );
    // The chat line reached everyone cut to the chat limit.
    let chat = ada
        .view
        .log
        .iter()
        .find_map(|line| match &line.event {
            game::event::EventKind::Chat { text, .. } => Some(text.clone()),
            _ => None,
        })
        .expect("the long chat line arrived");
    assert!(
        chat.chars().count() <= game::world::MAX_CHAT_CHARS,
        "{}",
        chat.len()
    );
    for bystander in four {
        bystander.finish().await;
    }
}

/// A player on a raw connection, to send what no honest client sends. Its endpoint and stream
/// live as long as it does (a dropped stream is a player who left).
struct Raw {
    _endpoint: quinn::Endpoint,
    conn: quinn::Connection,
    send: quinn::SendStream,
    _recv: quinn::RecvStream,
}

/// A new player `name` makes a character, leaves, and comes back on a raw connection.
async fn raw_with_character(invite: &Invite, name: &str) -> Raw {
    let mut client = Client::join(Identity::ephemeral(), invite, name).await;
    client.create(Class::Ranger).await;
    let Client {
        joined, identity, ..
    } = client;
    joined.leave().await;
    raw_player(&identity, &Target::from_invite(invite), name).await
}

/// Joins `name` on a raw connection and returns it once welcomed.
async fn raw_player(identity: &Identity, target: &Target, name: &str) -> Raw {
    let (endpoint, conn) = net::client::dial(identity, target).await.unwrap();
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    let hello = ClientMsg::Hello(hello(name, None));
    net::frame::write_frame(&mut send, &hello, MAX_CLIENT_FRAME)
        .await
        .unwrap();
    let mut buf = Vec::new();
    let welcome: HostMsg = net::frame::read_frame(&mut recv, 1 << 18, &mut buf)
        .await
        .unwrap();
    assert!(matches!(welcome, HostMsg::Welcome(_)), "{welcome:?}");
    Raw {
        _endpoint: endpoint,
        conn,
        send,
        _recv: recv,
    }
}

#[tokio::test]
async fn a_datagram_flood_is_cut_off_and_repeats_cost_nothing() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (host, four) = host_with_four(dir.path(), &[]).await;
    let invite = host.parsed_invite();
    let encode = |d: &ClientDatagram| bytes::Bytes::from(postcard::to_stdvec(d).unwrap());

    // One player repeats the same acknowledgement and action a hundred times a second (five a
    // tick, more than any honest client): within the per-tick budget, taken once, connection
    // kept.
    let raw = raw_with_character(&invite, "Rep").await;
    let conn = &raw.conn;
    let same = encode(&ClientDatagram {
        snapshot: 0,
        acts: vec![(1, Action::Wait)],
    });
    for _ in 0..300 {
        conn.send_datagram(same.clone()).unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        conn.close_reason().is_none(),
        "repeats closed the connection: {:?}\n{}",
        conn.close_reason(),
        log_lines(dir.path()).join("\n")
    );

    // Another sends datagrams as fast as it can, a new action in each: what is over the rate and
    // the per-tick budget is dropped, and before long it is cut off as a flood.
    let raw = raw_with_character(&invite, "Flood").await;
    let conn = &raw.conn;
    let started = Instant::now();
    let mut seq = 1_000u32;
    while conn.close_reason().is_none() && started.elapsed() < Duration::from_secs(15) {
        seq += 1;
        let _ = conn.send_datagram(encode(&ClientDatagram {
            snapshot: 0,
            acts: vec![(seq, Action::Wait)],
        }));
        if seq.is_multiple_of(16) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    let why = conn
        .close_reason()
        .map(|r| r.to_string())
        .unwrap_or_default();
    assert!(
        why.contains("too many messages"),
        "{why}\n{}",
        log_lines(dir.path()).join("\n")
    );

    // The four never noticed.
    for b in four {
        b.finish().await;
    }
}
