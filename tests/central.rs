//! The central leaderboard against the real PostgreSQL at 127.0.0.1:5432 (database `test`, user
//! `postgres`): the real saver thread and store feed the real sync task, sometimes through a TCP
//! proxy this test runs that can refuse, cut or hang connections. Each test works in its own
//! schema and drops it. Without a reachable PostgreSQL the tests print `SKIPPED`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use brogue::saver::{Saver, WorldSaver};
use game::class::Class;
use game::fact::{Fact, FactKind};
use game::monster::MonsterKind;
use game::{Tick, TickRate, World};
use host::{Checkpoint, JournalEntry, Persist};
use net::Identity;
use store::Store;
use store::central::{Central, Connection, HostKey, Sealed, Signed};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

mod support;

const PG: &str = "127.0.0.1:5432";
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A schema of its own on the real server, dropped at the end.
struct Schema {
    name: String,
    admin: tokio_postgres::Client,
}

impl Schema {
    async fn create() -> Result<Schema, String> {
        let (admin, conn) = tokio_postgres::connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3",
            tokio_postgres::NoTls,
        )
        .await
        .map_err(|e| format!("no PostgreSQL at {PG}: {e}"))?;
        tokio::spawn(conn);
        let name = format!(
            "brogue_t{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        admin
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
            ))
            .await
            .map_err(|e| e.to_string())?;
        Ok(Schema { name, admin })
    }

    /// The URL of this schema on `addr` (the server, or a proxy in front of it).
    fn url(&self, addr: &str) -> String {
        format!(
            "postgres://postgres@{addr}/test?options=-csearch_path%3D{}",
            self.name
        )
    }

    fn central(&self, addr: &str) -> Central {
        Central::from_url(&self.url(addr))
            .unwrap()
            .with_timeouts(Duration::from_secs(2), Duration::from_secs(2))
    }

    async fn count(&self, sql_where: &str) -> i64 {
        let row = self
            .admin
            .query_one(
                &format!(
                    "SELECT count(*) FROM {}.brogue_facts {sql_where}",
                    self.name
                ),
                &[],
            )
            .await
            .unwrap();
        row.get(0)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name);
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current()
                .block_on(async { self.admin.batch_execute(&sql).await })
        })
        .expect("drop the test schema");
    }
}

macro_rules! schema_or_skip {
    ($name:literal) => {
        match Schema::create().await {
            Ok(s) => s,
            Err(why) => {
                eprintln!("SKIPPED {}: {why}", $name);
                return;
            }
        }
    };
}

/// A TCP proxy to PostgreSQL that can forward, refuse (close at once) or hang (accept and
/// never answer); switching away from forwarding cuts the connections it carries.
struct Proxy {
    addr: SocketAddr,
    mode: Arc<AtomicU8>,
    carried: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

const FORWARD: u8 = 0;
const REFUSE: u8 = 1;
const HANG: u8 = 2;

impl Proxy {
    async fn start(mode: u8) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let proxy = Proxy {
            addr,
            mode: Arc::new(AtomicU8::new(mode)),
            carried: Arc::default(),
        };
        let (mode, carried) = (proxy.mode.clone(), proxy.carried.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                match mode.load(Ordering::SeqCst) {
                    FORWARD => {
                        let task = tokio::spawn(async move {
                            if let Ok(mut server) = TcpStream::connect(PG).await {
                                let _ =
                                    tokio::io::copy_bidirectional(&mut client, &mut server).await;
                            }
                        });
                        carried.lock().unwrap().push(task.abort_handle());
                    }
                    REFUSE => {
                        let _ = client.shutdown().await;
                    }
                    _ => {
                        let task = tokio::spawn(async move {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                            drop(client);
                        });
                        carried.lock().unwrap().push(task.abort_handle());
                    }
                }
            }
        });
        proxy
    }

    fn addr(&self) -> String {
        self.addr.to_string()
    }

    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
        for task in self.carried.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

fn fact(name: &str, kind: FactKind) -> Fact {
    Fact {
        player: game::PlayerId([name.as_bytes()[0]; 32]),
        name: name.into(),
        class: Class::Warrior,
        kind,
    }
}

/// Every kind of fact, for two players: Ada wins twice (once purely), dies once, kills two
/// rats, reaches floor 7, crafts a better dagger later; Bo reaches floor 3.
fn every_kind() -> Vec<Fact> {
    vec![
        fact("Ada", FactKind::Deepest { floor: 1 }),
        fact("Bo", FactKind::Deepest { floor: 1 }),
        fact(
            "Ada",
            FactKind::Kill {
                monster: MonsterKind::Rat,
            },
        ),
        fact(
            "Ada",
            FactKind::BestCrafted {
                item: "Kalomite Dagger".into(),
                quality: 300,
            },
        ),
        fact(
            "Ada",
            FactKind::Kill {
                monster: MonsterKind::Rat,
            },
        ),
        fact("Bo", FactKind::Deepest { floor: 3 }),
        fact("Ada", FactKind::Deepest { floor: 7 }),
        fact(
            "Ada",
            FactKind::Death {
                floor: 7,
                run_ticks: 9000,
            },
        ),
        fact(
            "Ada",
            FactKind::BestCrafted {
                item: "Vorine Dagger".into(),
                quality: 520,
            },
        ),
        fact(
            "Ada",
            FactKind::Victory {
                pure: true,
                run_ticks: 20000,
            },
        ),
        fact(
            "Ada",
            FactKind::Victory {
                pure: false,
                run_ticks: 30000,
            },
        ),
    ]
}

/// A host's save with a world whose journal holds `facts` (one per tick from `from`), and the
/// saver thread that owns it, keeping an outbox.
struct Host {
    _dir: tempfile::TempDir,
    saver: WorldSaver,
    identity: Arc<Identity>,
    world: String,
    next: u64,
}

impl Host {
    async fn new(world: &str) -> Host {
        Host::of(&Checkpoint::of(&World::new(world, 1, TickRate::DEFAULT))).await
    }

    /// A host whose save holds the world `start`.
    async fn of(start: &Checkpoint) -> Host {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(store::FILE_NAME);
        let store = Store::open(&path).unwrap();
        store.create_world(start).unwrap();
        let world = start.save.core.name.clone();
        Host {
            saver: Saver::start(store, path).world(&world, true).await,
            _dir: dir,
            identity: Arc::new(Identity::ephemeral()),
            world,
            next: start.tick.0,
        }
    }

    /// Journals `facts`, one tick each, and waits until they are durable.
    async fn record(&mut self, facts: Vec<Fact>) {
        let entries = facts.into_iter().enumerate().map(|(i, f)| JournalEntry {
            tick: Tick(self.next + i as u64),
            inputs: vec![],
            trades: vec![],
            facts: vec![f],
            unix: 2_000_000_000 + self.next + i as u64,
        });
        self.journal(entries.collect()).await;
    }

    /// Journals `entries` (from where the journal ends) and waits until they are durable.
    async fn journal(&mut self, entries: Vec<JournalEntry>) {
        let last = self.next + entries.len() as u64 - 1;
        for entry in entries {
            assert_eq!(entry.tick.0, self.next);
            self.saver.write(Persist::Journal(entry)).await;
            self.next += 1;
        }
        loop {
            match self.saver.reports.recv().await {
                Some(brogue::saver::Report::Durable(t)) if t.0 >= last => break,
                Some(_) => {}
                None => panic!("the saver stopped"),
            }
        }
    }

    fn sync(
        &self,
        central: Central,
        stop: &CancellationToken,
    ) -> tokio::task::JoinHandle<brogue::central::SyncStats> {
        tokio::spawn(brogue::central::run(
            central,
            self.identity.clone(),
            self.world.clone(),
            self.saver.outbox(),
            stop.clone(),
        ))
    }

    async fn waiting(&self) -> usize {
        self.saver.outbox().peek(usize::MAX).await.len()
    }

    /// Waits until the outbox is empty (or fails after `secs`).
    async fn drained(&self, secs: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while self.waiting().await > 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} facts still wait after {secs} s",
                self.waiting().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn key(&self) -> HostKey {
        HostKey {
            id: self.identity.id(),
            spki: self.identity.spki(),
        }
    }
}

async fn board(schema: &Schema) -> store::central::Global {
    schema
        .central(PG)
        .connect()
        .await
        .unwrap()
        .global()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_of_fact_arrives_once_and_reads_back_as_the_board() {
    let schema = schema_or_skip!("every_kind_of_fact_arrives_once…");
    let mut host = Host::new("w").await;
    host.record(every_kind()).await;
    assert_eq!(host.waiting().await, every_kind().len());
    let stop = CancellationToken::new();
    let sync = host.sync(schema.central(PG), &stop);
    host.drained(20).await;
    stop.cancel();
    let stats = sync.await.unwrap();
    assert_eq!(stats.sent, every_kind().len() as u64);
    assert_eq!(schema.count("").await, every_kind().len() as i64);
    for kind in [
        "deepest",
        "kill",
        "best_crafted",
        "death",
        "victory",
        "pure_victory",
    ] {
        assert!(
            schema.count(&format!("WHERE kind = '{kind}'")).await > 0,
            "no {kind} fact"
        );
    }
    let global = board(&schema).await;
    assert_eq!(global.rejected, 0);
    assert_eq!(global.boards.len(), 1);
    let b = &global.boards[0];
    assert_eq!((b.host, b.world.as_str()), (host.identity.id(), "w"));
    let ada = &b.rows[0];
    assert_eq!(ada.name, "Ada");
    assert_eq!((ada.victories, ada.pure_victories), (2, 1));
    assert_eq!((ada.deepest, ada.kills, ada.deaths), (7, 2, 1));
    assert_eq!(ada.best_crafted, Some(("Vorine Dagger".into(), 520)));
    assert_eq!(ada.last_victory_class, Some(Class::Warrior));
    let bo = &b.rows[1];
    assert_eq!((bo.name.as_str(), bo.deepest, bo.victories), ("Bo", 3, 0));
    // The JSON has the local shape plus the host.
    let named = brogue::leaderboard::Named {
        host: Some("fp".into()),
        world: b.world.clone(),
        rows: b.rows.clone(),
    };
    let json = brogue::leaderboard::to_json(&[named]);
    assert_eq!(json["worlds"][0]["host"], "fp");
    assert_eq!(json["worlds"][0]["players"][0]["monsters_slain"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_down_at_start_or_in_the_middle_gets_everything_once_when_it_is_back() {
    let schema = schema_or_skip!("a_database_down…");
    let proxy = Proxy::start(REFUSE).await;
    let mut host = Host::new("w").await;
    host.record(every_kind()[..5].to_vec()).await;
    let stop = CancellationToken::new();
    let sync = host.sync(schema.central(&proxy.addr()), &stop);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        host.waiting().await,
        5,
        "nothing is lost while the database is away"
    );
    proxy.set(FORWARD);
    host.drained(30).await;
    assert_eq!(schema.count("").await, 5);
    // Down in the middle: connections cut, new facts keep coming, then it returns.
    proxy.set(REFUSE);
    host.record(every_kind()[5..].to_vec()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(host.waiting().await, every_kind().len() - 5);
    proxy.set(FORWARD);
    host.drained(40).await;
    stop.cancel();
    let stats = sync.await.unwrap();
    assert!(stats.connects >= 2, "it reconnected ({stats:?})");
    assert_eq!(
        schema.count("").await,
        every_kind().len() as i64,
        "each fact once"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_answers_is_given_up_and_the_saver_is_not_held_up() {
    let schema = schema_or_skip!("a_server_that_never_answers…");
    let proxy = Proxy::start(HANG).await;
    let mut host = Host::new("w").await;
    let stop = CancellationToken::new();
    let sync = host.sync(schema.central(&proxy.addr()), &stop);
    // While the sync is stuck, journal writes still become durable promptly.
    let started = tokio::time::Instant::now();
    host.record(every_kind()).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(host.waiting().await, every_kind().len());
    proxy.set(FORWARD);
    host.drained(40).await;
    stop.cancel();
    sync.await.unwrap();
    assert_eq!(schema.count("").await, every_kind().len() as i64);
}

#[tokio::test(flavor = "multi_thread")]
async fn facts_sent_but_not_yet_forgotten_are_sent_again_without_duplicates() {
    let schema = schema_or_skip!("facts_sent_but_not_yet_forgotten…");
    let mut host = Host::new("w").await;
    host.record(every_kind()).await;
    // The crash: everything reached the database, nothing was cleared from the outbox.
    let conn: Connection = schema.central(PG).connect().await.unwrap();
    conn.register(&host.key()).await.unwrap();
    let sealed: Vec<Sealed> = host
        .saver
        .outbox()
        .peek(usize::MAX)
        .await
        .iter()
        .map(|f| {
            let signed = Signed::new(host.identity.id(), "w", f);
            let payload = signed.payload();
            Sealed {
                signature: host.identity.sign(&payload),
                signed,
                payload,
            }
        })
        .collect();
    conn.push(&sealed).await.unwrap();
    assert_eq!(schema.count("").await, every_kind().len() as i64);
    // The restarted host sends them all again.
    let stop = CancellationToken::new();
    let sync = host.sync(schema.central(PG), &stop);
    host.drained(20).await;
    stop.cancel();
    assert_eq!(sync.await.unwrap().sent, every_kind().len() as u64);
    assert_eq!(
        schema.count("").await,
        every_kind().len() as i64,
        "no duplicate"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hosts_writing_at_once_both_appear_on_the_board() {
    let schema = schema_or_skip!("two_hosts_writing_at_once…");
    let mut one = Host::new("first").await;
    let mut two = Host::new("second").await;
    one.record(every_kind()).await;
    two.record(every_kind()[..4].to_vec()).await;
    let stop = CancellationToken::new();
    let a = one.sync(schema.central(PG), &stop);
    let b = two.sync(schema.central(PG), &stop);
    one.drained(20).await;
    two.drained(20).await;
    stop.cancel();
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert_eq!(a.sent + b.sent, (every_kind().len() + 4) as u64);
    let global = board(&schema).await;
    let worlds: Vec<(game::PlayerId, &str)> = global
        .boards
        .iter()
        .map(|b| (b.host, b.world.as_str()))
        .collect();
    assert_eq!(worlds.len(), 2);
    assert!(worlds.contains(&(one.identity.id(), "first")));
    assert!(worlds.contains(&(two.identity.id(), "second")));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_fact_is_rejected_and_cannot_take_an_honest_facts_place() {
    let schema = schema_or_skip!("a_forged_fact…");
    let mut honest = Host::new("w").await;
    honest.record(every_kind()[..3].to_vec()).await;
    let forger = Identity::ephemeral();
    let conn = schema.central(PG).connect().await.unwrap();
    conn.register(&honest.key()).await.unwrap();
    // The forger writes, under the honest host's key, a victory it signed with its own key,
    // with the id of a fact the honest host has not sent yet.
    let waiting = honest.saver.outbox().peek(1).await;
    let mut forged = Signed::new(honest.identity.id(), "w", &waiting[0]);
    forged.fact.kind = FactKind::Victory {
        pure: true,
        run_ticks: 1,
    };
    let payload = forged.payload();
    let fake = Sealed {
        signature: forger.sign(&payload),
        signed: forged,
        payload,
    };
    conn.push(&[fake]).await.unwrap();
    // Nor can it register a key under a host key it does not hash to.
    let refused = schema
        .admin
        .execute(
            &format!(
                "INSERT INTO {}.brogue_hosts (host_key, public_key) VALUES ($1, $2)",
                schema.name
            ),
            &[&forger.id().0.as_slice(), &honest.identity.spki()],
        )
        .await;
    assert!(
        refused.is_err(),
        "a key that does not hash to its host key is refused"
    );
    // The honest host still delivers every fact, the forged one included by id.
    let stop = CancellationToken::new();
    let sync = honest.sync(schema.central(PG), &stop);
    honest.drained(20).await;
    stop.cancel();
    sync.await.unwrap();
    assert_eq!(
        schema.count("").await,
        4,
        "three honest rows and the forged one"
    );
    let global = board(&schema).await;
    assert_eq!(global.rejected, 1);
    let ada = &global.boards[0].rows[0];
    assert_eq!(
        (ada.name.as_str(), ada.victories),
        ("Ada", 0),
        "no forged victory"
    );
    assert_eq!(ada.kills, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_is_used_when_asked_and_an_untrusted_certificate_is_refused_clearly() {
    let schema = schema_or_skip!("tls_is_used_when_asked…");
    let untrusted = Central::from_url(&format!(
        "postgres://postgres@localhost:5432/test?sslmode=require&options=-csearch_path%3D{}",
        schema.name
    ))
    .unwrap()
    .with_timeouts(Duration::from_secs(3), Duration::from_secs(3));
    let err = untrusted.connect().await.unwrap_err();
    assert!(
        matches!(err, store::central::CentralError::Tls { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("sslrootcert"), "{err}");
    // With the server's own certificate as the root, the connection is verified and works
    // (when that certificate names localhost, as Debian's default one does).
    let row = schema
        .admin
        .query_one("SHOW ssl_cert_file", &[])
        .await
        .unwrap();
    let cert: String = row.get(0);
    let pem = std::fs::read_to_string(&cert).unwrap_or_default();
    if !pem.contains("BEGIN CERTIFICATE") {
        eprintln!(
            "note: the server's certificate {cert} is not readable; only the refusal was tested"
        );
        return;
    }
    let trusted = Central::from_url(&format!(
        "postgres://postgres@localhost:5432/test?sslmode=verify-full&sslrootcert={cert}&options=-csearch_path%3D{}",
        schema.name
    ))
    .unwrap()
    .with_timeouts(Duration::from_secs(3), Duration::from_secs(3));
    match trusted.connect().await {
        Ok(conn) => assert_eq!(conn.global().await.unwrap().boards.len(), 0),
        Err(e) => assert!(
            matches!(e, store::central::CentralError::Tls { .. }) && e.to_string().contains("name"),
            "only a certificate for another name may fail: {e}"
        ),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_real_hosts_share_one_board_and_it_matches_their_own() {
    let schema = schema_or_skip!("two_real_hosts_share_one_board…");
    let url = schema.url(PG);
    let mut hosts = Vec::new();
    for world in ["north", "south"] {
        let dir = tempfile::tempdir().unwrap();
        let (mut host, mut player) = support::host_and_ada(
            dir.path(),
            world,
            &["--leaderboard-url", &url],
            Class::Ranger,
        )
        .await;
        let key = host.expect_line("key: ");
        player.drain(Duration::from_millis(200)).await;
        hosts.push((dir, host, player, key));
    }
    // Both characters' first floors reach the board within a few seconds.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let json = loop {
        let out = std::process::Command::new(support::BIN)
            .args([
                "leaderboard",
                "--global",
                "--json",
                "--leaderboard-url",
                &url,
            ])
            .output()
            .unwrap();
        let json = support::json_of(&out);
        if json["worlds"].as_array().is_some_and(|w| w.len() == 2) {
            break json;
        }
        assert!(tokio::time::Instant::now() < deadline, "{json}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    for (dir, _, _, key) in &hosts {
        let world = if dir.path() == hosts[0].0.path() {
            "north"
        } else {
            "south"
        };
        let board = json["worlds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["world"] == world)
            .expect("the world is on the board");
        assert_eq!(board["host"], key.as_str(), "signed by its own host");
        assert_eq!(board["players"][0]["name"], "Ada");
        assert_eq!(board["players"][0]["deepest_floor"], 1);
    }
    for (dir, host, _, _) in hosts {
        let (_, exit) = host.stop();
        assert!(exit.success());
        drop(dir);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_victory_carries_its_proof_to_the_central_board_and_a_replay_is_verified_there() {
    let schema = schema_or_skip!("a_victory_carries_its_proof…");
    let (start, entries) = host::rig::victory_run();
    let mut host = Host::of(&start).await;
    host.journal(entries.clone()).await;
    let stop = CancellationToken::new();
    let sync = host.sync(schema.central(PG), &stop);
    host.drained(20).await;
    stop.cancel();
    sync.await.unwrap();
    assert_eq!(schema.count("WHERE kind = 'proof'").await, 1);
    let global = board(&schema).await;
    assert_eq!(
        global.rejected, 0,
        "a proof is read, not taken for a forgery"
    );
    let ada = &global.boards[0].rows[0];
    assert_eq!((ada.name.as_str(), ada.victories), ("Ada", 1));
    let won = entries.iter().find(|e| {
        e.facts
            .iter()
            .any(|f| matches!(f.kind, FactKind::Victory { .. }))
    });
    let won = won.unwrap();
    assert_eq!(ada.proofs.len(), 1);
    assert_eq!(
        ada.proofs[0].0, won.tick.0,
        "the proof is of the winning tick"
    );

    // A replay of the game is confirmed by the central board, naming the host.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("won.brr");
    let to = host.next;
    let journal = entries.into_iter().map(|e| (e.tick, e.inputs)).collect();
    let replay = host::replay::Replay::record(start, journal, 0, to, "t").unwrap();
    std::fs::write(&file, replay.encode()).unwrap();
    let url = schema.url(PG);
    let lines = brogue::leaderboard::verify(dir.path(), &file, Some(Some(&url)))
        .await
        .unwrap();
    let fingerprint = brogue::join::fingerprint(&net::KeyPin::of(&host.identity.id()));
    assert!(
        lines[1].starts_with("verified: Ada (Warrior) pure victory at tick ")
            && lines[1].ends_with(&format!(
                "as host {fingerprint}'s board of won on the central leaderboard recorded"
            )),
        "{lines:?}"
    );
    // This data dir has no board: locally the same file is refused.
    let err = brogue::leaderboard::verify(dir.path(), &file, None).await;
    assert!(err.unwrap_err().to_string().contains("has no such victory"));
    // A central board without it refuses it.
    let empty = Schema::create().await.unwrap();
    let err = brogue::leaderboard::verify(dir.path(), &file, Some(Some(&empty.url(PG)))).await;
    let err = err.unwrap_err().to_string();
    assert!(
        err.contains("no host's board of won on the central leaderboard has such a victory"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_schema_1_board_is_raised_to_2_and_a_newer_one_is_refused_clearly() {
    let schema = schema_or_skip!("a_schema_1_board_is_raised…");
    let version = || async {
        let sql = format!(
            "SELECT value FROM {}.brogue_meta WHERE key = 'schema_version'",
            schema.name
        );
        schema
            .admin
            .query_one(&sql, &[])
            .await
            .unwrap()
            .get::<_, i64>(0)
    };
    let set = |v: i64| {
        let sql = format!(
            "UPDATE {}.brogue_meta SET value = {v} WHERE key = 'schema_version'",
            schema.name
        );
        let admin = &schema.admin;
        async move { admin.batch_execute(&sql).await.unwrap() }
    };
    drop(schema.central(PG).connect().await.unwrap());
    assert_eq!(version().await, store::central::SCHEMA_VERSION);
    set(1).await;
    drop(schema.central(PG).connect().await.unwrap());
    assert_eq!(
        version().await,
        2,
        "schema 1 is raised: the tables are the same"
    );
    set(3).await;
    let err = schema.central(PG).connect().await.unwrap_err().to_string();
    assert!(
        err.contains("has schema 3") && err.contains("update brogue"),
        "{err}"
    );
    assert_eq!(version().await, 3, "a newer schema is left alone");
}
