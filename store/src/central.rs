//! The optional central leaderboard: a PostgreSQL database many hosts write their players'
//! facts to, and anyone can read one board from.
//!
//! Hosts send *facts* (`game::fact`), not snapshots, each keyed by (host key, world, fact id)
//! and signed with the host's Ed25519 key. The database stores the signed bytes as they were
//! signed; readers verify every signature against the key its host registered (whose SHA-256
//! must be the host key, a constraint the table enforces) and drop what does not verify. A host
//! therefore cannot write facts under another host's key, and a forged row next to an honest
//! one is simply ignored: the primary key includes the signature, so a forger cannot occupy
//! the place of a fact an honest host will send. Sending again is harmless (`ON CONFLICT DO
//! NOTHING`), which makes delivery exactly-once for readers even when a host crashes between
//! sending and forgetting.
//!
//! The schema lives in the connection's schema (its `search_path`) and is created and migrated
//! by brogue itself under an advisory lock, with a version row (see `docs/LEADERBOARD.md`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use game::PlayerId;
use game::fact::{Fact, FactKind};
use serde::{Deserialize, Serialize};
use tokio_postgres::config::SslMode;
use tokio_postgres::types::ToSql;

use crate::{LeaderRow, OutboxFact};

/// The central schema this brogue creates and reads. 2: facts may be victory proofs
/// (`FactKind::Proof`), which a brogue that reads schema 1 could not decode and would count
/// as forged; the tables are the same.
pub const SCHEMA_VERSION: i64 = 2;
/// How long connecting (TCP, TLS, authentication, migration) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one statement may take before the connection is given up.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);
/// The Ed25519 SubjectPublicKeyInfo prefix: 12 bytes, then the 32-byte key.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Talking to the central database failed.
#[derive(Debug, thiserror::Error)]
pub enum CentralError {
    /// The URL cannot be used.
    #[error(
        "the leaderboard URL is not valid ({0}); it looks like \
         postgres://user:password@host:5432/database?sslmode=require"
    )]
    BadUrl(String),
    /// Nothing answered, or the connection broke.
    #[error("cannot reach the leaderboard database at {at}: {reason}")]
    Unreachable { at: String, reason: String },
    /// Something answered, then went silent.
    #[error("the leaderboard database at {at} did not answer within {secs} s")]
    Timeout { at: String, secs: u64 },
    /// TLS could not be set up or the server's certificate was not trusted.
    #[error(
        "TLS to the leaderboard database at {at} failed: {reason}. Its certificate must be \
         signed by a public authority, or by the one given as sslrootcert=/path/to/ca.pem"
    )]
    Tls { at: String, reason: String },
    /// The database refused a statement.
    #[error("the leaderboard database at {at} refused: {reason}")]
    Refused { at: String, reason: String },
    /// The database was set up by a newer brogue.
    #[error(
        "the leaderboard database at {at} has schema {found}, newer than this brogue reads \
         ({SCHEMA_VERSION}): update brogue"
    )]
    TooNew { at: String, found: i64 },
}

/// Where the central database is, and how to reach it.
#[derive(Clone)]
pub struct Central {
    config: tokio_postgres::Config,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    at: String,
    connect_timeout: Duration,
    statement_timeout: Duration,
}

impl std::fmt::Debug for Central {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Central")
            .field("at", &self.at)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl Central {
    /// Reads a libpq-style URL (`postgres://user:pass@host:port/db?sslmode=require`). TLS is
    /// used when `sslmode` is `require`, `verify-ca` or `verify-full` (all three verify the
    /// server's certificate, against the Mozilla root store or the PEM file named by
    /// `sslrootcert=`); `prefer` (the default) and `disable` connect in the clear.
    pub fn from_url(url: &str) -> Result<Central, CentralError> {
        let (url, root) = take_param(url, "sslrootcert");
        let (url, mode) = take_param(&url, "sslmode");
        let tls = match mode.as_deref() {
            None | Some("disable" | "prefer" | "allow") => false,
            Some("require" | "verify-ca" | "verify-full") => true,
            Some(other) => return Err(CentralError::BadUrl(format!("sslmode={other}"))),
        };
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| CentralError::BadUrl(e.to_string()))?;
        config.connect_timeout(CONNECT_TIMEOUT);
        config.application_name("brogue");
        let at = describe(&config);
        let tls = if tls {
            config.ssl_mode(SslMode::Require);
            let mut roots = rustls::RootCertStore::empty();
            match root {
                Some(path) => {
                    let pem = std::fs::read(&path).map_err(|e| CentralError::Tls {
                        at: at.clone(),
                        reason: format!("cannot read sslrootcert {path}: {e}"),
                    })?;
                    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
                        let cert: rustls::pki_types::CertificateDer<'static> =
                            cert.map_err(|e| CentralError::Tls {
                                at: at.clone(),
                                reason: format!("sslrootcert {path}: {e}"),
                            })?;
                        roots.add(cert).map_err(|e| CentralError::Tls {
                            at: at.clone(),
                            reason: format!("sslrootcert {path}: {e}"),
                        })?;
                    }
                }
                // The Mozilla root store, as webpki-roots ships it.
                None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let client = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| CentralError::Tls {
                    at: at.clone(),
                    reason: e.to_string(),
                })?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Some(tokio_postgres_rustls::MakeRustlsConnect::new(client))
        } else {
            config.ssl_mode(SslMode::Disable);
            None
        };
        Ok(Central {
            config,
            tls,
            at,
            connect_timeout: CONNECT_TIMEOUT,
            statement_timeout: STATEMENT_TIMEOUT,
        })
    }

    /// The same database with other patience (tests use short ones).
    pub fn with_timeouts(mut self, connect: Duration, statement: Duration) -> Central {
        self.config.connect_timeout(connect);
        self.connect_timeout = connect;
        self.statement_timeout = statement;
        self
    }

    /// `user@host:port/database`, never the password.
    pub fn at(&self) -> &str {
        &self.at
    }

    /// Connects, then creates or migrates the schema; all within the connect timeout
    /// ([`CONNECT_TIMEOUT`] unless changed).
    pub async fn connect(&self) -> Result<Connection, CentralError> {
        let at = self.at.clone();
        let timeout = CentralError::Timeout {
            at: at.clone(),
            secs: self.connect_timeout.as_secs().max(1),
        };
        let connecting = async {
            let client = match &self.tls {
                Some(tls) => {
                    let (client, connection) = self
                        .config
                        .connect(tls.clone())
                        .await
                        .map_err(|e| self.connect_error(e))?;
                    tokio::spawn(async move {
                        let _ = connection.await;
                    });
                    client
                }
                None => {
                    let (client, connection) = self
                        .config
                        .connect(tokio_postgres::NoTls)
                        .await
                        .map_err(|e| self.connect_error(e))?;
                    tokio::spawn(async move {
                        let _ = connection.await;
                    });
                    client
                }
            };
            let conn = Connection {
                client,
                at: at.clone(),
                statement_timeout: self.statement_timeout,
            };
            conn.migrate().await?;
            Ok(conn)
        };
        tokio::time::timeout(self.connect_timeout, connecting)
            .await
            .map_err(|_| timeout)?
    }

    fn connect_error(&self, e: tokio_postgres::Error) -> CentralError {
        let reason = error_text(&e);
        let tls = self.tls.is_some()
            && (reason.contains("certificate")
                || reason.contains("tls")
                || reason.contains("TLS")
                || reason.contains("does not support"));
        if tls {
            CentralError::Tls {
                at: self.at.clone(),
                reason,
            }
        } else if e.as_db_error().is_some() {
            CentralError::Refused {
                at: self.at.clone(),
                reason,
            }
        } else {
            CentralError::Unreachable {
                at: self.at.clone(),
                reason,
            }
        }
    }
}

/// An open connection with a current schema.
pub struct Connection {
    client: tokio_postgres::Client,
    at: String,
    statement_timeout: Duration,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("at", &self.at).finish()
    }
}

/// A host's identity as the central database knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostKey {
    /// SHA-256 of `spki`: the host's player id.
    pub id: PlayerId,
    /// The DER SubjectPublicKeyInfo of its Ed25519 key.
    pub spki: Vec<u8>,
}

/// What is signed: the fact with everything that places it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signed {
    pub host: PlayerId,
    pub world: String,
    pub id: u64,
    pub tick: u64,
    pub unix: u64,
    pub fact: Fact,
}

impl Signed {
    pub fn new(host: PlayerId, world: &str, waiting: &OutboxFact) -> Signed {
        Signed {
            host,
            world: world.to_owned(),
            id: waiting.id,
            tick: waiting.tick.0,
            unix: waiting.unix,
            fact: waiting.fact.clone(),
        }
    }

    /// The bytes that are signed and stored.
    pub fn payload(&self) -> Vec<u8> {
        postcard::to_stdvec(self).expect("in-memory encoding cannot fail")
    }
}

/// A fact ready to send: its payload and the host's signature over it.
#[derive(Clone, Debug)]
pub struct Sealed {
    pub signed: Signed,
    pub payload: Vec<u8>,
    pub signature: Vec<u8>,
}

/// Whether `signature` over `payload` was made by the Ed25519 key in `spki`.
pub fn verify(spki: &[u8], payload: &[u8], signature: &[u8]) -> bool {
    let Some(key) = spki.strip_prefix(&ED25519_SPKI_PREFIX[..]) else {
        return false;
    };
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key)
        .verify(payload, signature)
        .is_ok()
}

/// One world of one host on the global board.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalBoard {
    /// The host's key fingerprint.
    pub host: PlayerId,
    pub world: String,
    pub rows: Vec<LeaderRow>,
}

/// The global board, and what was dropped from it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Global {
    pub boards: Vec<GlobalBoard>,
    /// Facts whose signature did not verify (forged or damaged), ignored.
    pub rejected: usize,
}

impl Connection {
    async fn migrate(&self) -> Result<(), CentralError> {
        self.batch(
            "BEGIN;
             SELECT pg_advisory_xact_lock(7215004237);
             CREATE TABLE IF NOT EXISTS brogue_meta (key text PRIMARY KEY, value bigint NOT NULL);",
        )
        .await?;
        let found: Option<i64> = self
            .query_opt(
                "SELECT value FROM brogue_meta WHERE key = 'schema_version'",
                &[],
            )
            .await?
            .map(|row| row.get(0));
        match found {
            Some(v) if v > SCHEMA_VERSION => {
                self.batch("ROLLBACK").await?;
                return Err(CentralError::TooNew {
                    at: self.at.clone(),
                    found: v,
                });
            }
            Some(1) => {
                self.batch("UPDATE brogue_meta SET value = 2 WHERE key = 'schema_version'")
                    .await?;
            }
            Some(_) => {}
            None => {
                self.batch(
                    "CREATE TABLE brogue_hosts (
                         host_key bytea PRIMARY KEY,
                         public_key bytea NOT NULL,
                         registered_at timestamptz NOT NULL DEFAULT now(),
                         CHECK (sha256(public_key) = host_key)
                     );
                     CREATE TABLE brogue_facts (
                         host_key bytea NOT NULL REFERENCES brogue_hosts (host_key),
                         world text NOT NULL,
                         fact_id bigint NOT NULL,
                         signature bytea NOT NULL,
                         payload bytea NOT NULL,
                         kind text NOT NULL,
                         player text NOT NULL,
                         name text NOT NULL,
                         class text NOT NULL,
                         tick bigint NOT NULL,
                         at timestamptz NOT NULL,
                         received_at timestamptz NOT NULL DEFAULT now(),
                         PRIMARY KEY (host_key, world, fact_id, signature)
                     );
                     CREATE INDEX brogue_facts_player ON brogue_facts (player);
                     INSERT INTO brogue_meta (key, value) VALUES ('schema_version', 2);",
                )
                .await?;
            }
        }
        self.batch("COMMIT").await
    }

    /// Makes the host known: its key, so readers can verify its facts.
    pub async fn register(&self, host: &HostKey) -> Result<(), CentralError> {
        self.execute(
            "INSERT INTO brogue_hosts (host_key, public_key) VALUES ($1, $2)
             ON CONFLICT (host_key) DO NOTHING",
            &[&host.id.0.as_slice(), &host.spki],
        )
        .await
        .map(|_| ())
    }

    /// Sends facts in one statement; facts already there are left as they are.
    pub async fn push(&self, facts: &[Sealed]) -> Result<(), CentralError> {
        const COLUMNS: usize = 11;
        if facts.is_empty() {
            return Ok(());
        }
        let mut sql = String::from(
            "INSERT INTO brogue_facts (host_key, world, fact_id, signature, payload, kind, \
             player, name, class, tick, at) VALUES ",
        );
        let rows: Vec<[Box<dyn ToSql + Sync + Send>; COLUMNS]> = facts
            .iter()
            .map(|s| -> [Box<dyn ToSql + Sync + Send>; COLUMNS] {
                let f = &s.signed;
                [
                    Box::new(f.host.0.to_vec()),
                    Box::new(f.world.clone()),
                    Box::new(f.id as i64),
                    Box::new(s.signature.clone()),
                    Box::new(s.payload.clone()),
                    Box::new(f.fact.kind.name().to_owned()),
                    Box::new(f.fact.player.to_string()),
                    Box::new(f.fact.name.clone()),
                    Box::new(f.fact.class.name().to_owned()),
                    Box::new(f.tick as i64),
                    Box::new(f.unix as f64),
                ]
            })
            .collect();
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let n = i * COLUMNS;
            let places: Vec<String> = (1..=COLUMNS).map(|k| format!("${}", n + k)).collect();
            // The last column is unix seconds.
            sql.push_str(&format!(
                "({}, to_timestamp({}))",
                places[..COLUMNS - 1].join(", "),
                places[COLUMNS - 1]
            ));
            params.extend(row.iter().map(|b| b.as_ref() as &(dyn ToSql + Sync)));
        }
        sql.push_str(" ON CONFLICT DO NOTHING");
        self.execute(&sql, &params).await.map(|_| ())
    }

    /// Every host's worlds, from facts whose signatures verify.
    pub async fn global(&self) -> Result<Global, CentralError> {
        let rows = self
            .query(
                "SELECT f.host_key, f.world, f.fact_id, f.payload, f.signature, h.public_key
                 FROM brogue_facts f JOIN brogue_hosts h USING (host_key)
                 ORDER BY f.host_key, f.world, f.fact_id",
                &[],
            )
            .await?;
        let mut rejected = 0;
        let mut worlds: BTreeMap<(PlayerId, String), Vec<Signed>> = BTreeMap::new();
        for row in rows {
            let host_key: Vec<u8> = row.get(0);
            let world: String = row.get(1);
            let fact_id: i64 = row.get(2);
            let payload: Vec<u8> = row.get(3);
            let signature: Vec<u8> = row.get(4);
            let spki: Vec<u8> = row.get(5);
            let signed = postcard::from_bytes::<Signed>(&payload).ok().filter(|s| {
                verify(&spki, &payload, &signature)
                    && s.host.0.as_slice() == host_key.as_slice()
                    && s.world == world
                    && s.id as i64 == fact_id
            });
            match signed {
                Some(s) => worlds.entry((s.host, s.world.clone())).or_default().push(s),
                None => rejected += 1,
            }
        }
        let boards = worlds
            .into_iter()
            .map(|((host, world), facts)| GlobalBoard {
                host,
                world,
                rows: board(&facts),
            })
            .collect();
        Ok(Global { boards, rejected })
    }

    async fn batch(&self, sql: &str) -> Result<(), CentralError> {
        self.bounded(self.client.batch_execute(sql)).await
    }

    async fn execute(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, CentralError> {
        self.bounded(self.client.execute(sql, params)).await
    }

    async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, CentralError> {
        self.bounded(self.client.query(sql, params)).await
    }

    async fn query_opt(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<tokio_postgres::Row>, CentralError> {
        self.bounded(self.client.query_opt(sql, params)).await
    }

    /// Runs `op` within the statement timeout, turning its error into a [`CentralError`].
    async fn bounded<T>(
        &self,
        op: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, CentralError> {
        match tokio::time::timeout(self.statement_timeout, op).await {
            Err(_) => Err(CentralError::Timeout {
                at: self.at.clone(),
                secs: self.statement_timeout.as_secs().max(1),
            }),
            Ok(Err(e)) if e.as_db_error().is_some() => Err(CentralError::Refused {
                at: self.at.clone(),
                reason: error_text(&e),
            }),
            Ok(Err(e)) => Err(CentralError::Unreachable {
                at: self.at.clone(),
                reason: error_text(&e),
            }),
            Ok(Ok(v)) => Ok(v),
        }
    }
}

/// A world's leaderboard from its facts (in fact-id order): the same rows and order as the
/// local board.
fn board(facts: &[Signed]) -> Vec<LeaderRow> {
    let mut rows: BTreeMap<PlayerId, LeaderRow> = BTreeMap::new();
    for s in facts {
        let f = &s.fact;
        let row = rows.entry(f.player).or_insert_with(|| LeaderRow {
            name: String::new(),
            victories: 0,
            pure_victories: 0,
            proofs: Vec::new(),
            deepest: 0,
            kills: 0,
            deaths: 0,
            best_crafted: None,
            last_victory_class: None,
        });
        row.name.clone_from(&f.name);
        match &f.kind {
            FactKind::Victory { pure, .. } => {
                row.victories += 1;
                row.pure_victories += u32::from(*pure);
                row.last_victory_class = Some(f.class);
            }
            FactKind::Deepest { floor } => row.deepest = row.deepest.max(*floor),
            FactKind::Kill { .. } => row.kills += 1,
            FactKind::BestCrafted { item, quality } => {
                if row.best_crafted.as_ref().is_none_or(|(_, q)| q < quality) {
                    row.best_crafted = Some((item.clone(), *quality));
                }
            }
            FactKind::Death { .. } => row.deaths += 1,
            FactKind::Proof { state } => row.proofs.push((s.tick, *state)),
        }
    }
    let mut rows: Vec<LeaderRow> = rows.into_values().collect();
    crate::rank(&mut rows);
    rows
}

/// `user@host:port/database`.
fn describe(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres");
    let db = config.get_dbname().unwrap_or(user);
    format!("{user}@{host}:{port}/{db}")
}

/// The error's own words and its source's, once.
fn error_text(e: &tokio_postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// Removes `key=value` from a URL's query (or a key=value string) and returns it.
fn take_param(url: &str, key: &str) -> (String, Option<String>) {
    let prefix = format!("{key}=");
    if let Some((base, query)) = url.split_once('?') {
        let mut value = None;
        let kept: Vec<&str> = query
            .split('&')
            .filter(|p| match p.strip_prefix(&prefix) {
                Some(v) => {
                    value = Some(v.to_owned());
                    false
                }
                None => true,
            })
            .collect();
        let url = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return (url, value);
    }
    let mut value = None;
    let kept: Vec<&str> = url
        .split_whitespace()
        .filter(|p| match p.strip_prefix(&prefix) {
            Some(v) => {
                value = Some(v.to_owned());
                false
            }
            None => true,
        })
        .collect();
    (kept.join(" "), value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_their_password_out_of_messages_and_take_tls_options() {
        let c = Central::from_url("postgres://ada:secret@db.example:6543/boards?sslmode=require")
            .unwrap();
        assert_eq!(c.at(), "ada@db.example:6543/boards");
        assert!(c.tls.is_some());
        assert!(!format!("{c:?}").contains("secret"));
        let plain = Central::from_url("postgres://postgres@127.0.0.1/test").unwrap();
        assert!(plain.tls.is_none());
        assert!(matches!(
            Central::from_url("postgres://x@h/d?sslmode=sometimes"),
            Err(CentralError::BadUrl(_))
        ));
        assert!(matches!(
            Central::from_url("not a url at all"),
            Err(CentralError::BadUrl(_))
        ));
        let missing = Central::from_url("postgres://x@h/d?sslmode=require&sslrootcert=/nope.pem");
        assert!(matches!(missing, Err(CentralError::Tls { .. })));
        assert_eq!(
            take_param("postgres://h/d?a=1&sslmode=require&b=2", "sslmode"),
            ("postgres://h/d?a=1&b=2".into(), Some("require".into()))
        );
        assert_eq!(
            take_param("host=h sslmode=disable user=u", "sslmode"),
            ("host=h user=u".into(), Some("disable".into()))
        );
    }

    #[test]
    fn a_signature_verifies_only_for_its_key_and_payload() {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let key = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        use ring::signature::KeyPair;
        let mut spki = ED25519_SPKI_PREFIX.to_vec();
        spki.extend_from_slice(key.public_key().as_ref());
        let sig = key.sign(b"fact").as_ref().to_vec();
        assert!(verify(&spki, b"fact", &sig));
        assert!(!verify(&spki, b"fakt", &sig));
        assert!(!verify(&spki[1..], b"fact", &sig));
    }
}
