//! Sending a host's leaderboard facts to the central database, off the tick's path: a task
//! reads the outbox (through the saver thread), signs each fact with the host's key, sends a
//! batch, and forgets what the database confirmed. It reconnects with capped, jittered backoff;
//! while the database is away the facts wait in the save, and nothing in play changes.

use std::sync::Arc;
use std::time::Duration;

use net::Identity;
use store::central::{Central, HostKey, Sealed, Signed};
use tokio_util::sync::CancellationToken;

use crate::saver::OutboxHandle;

/// Facts sent in one statement.
pub const BATCH: usize = 500;
/// How often an empty outbox is looked at again.
const IDLE: Duration = Duration::from_millis(500);
/// The longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What the sync has done, for logs and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncStats {
    pub sent: u64,
    pub batches: u64,
    pub connects: u64,
}

/// Sends world `world`'s outbox to `central` until `stop`, signing as `identity`.
pub async fn run(
    central: Central,
    identity: Arc<Identity>,
    world: String,
    outbox: OutboxHandle,
    stop: CancellationToken,
) -> SyncStats {
    let host = HostKey {
        id: identity.id(),
        spki: identity.spki(),
    };
    let mut stats = SyncStats::default();
    let mut backoff = Duration::from_millis(500);
    let mut last_error: Option<String> = None;
    let mut jitter = Jitter::new(&identity);
    while !stop.is_cancelled() {
        let outcome = tokio::select! {
            () = stop.cancelled() => break,
            outcome = session(&central, &host, &identity, &world, &outbox, &mut stats) => outcome,
        };
        let Err(e) = outcome else { continue };
        let text = e.to_string();
        if last_error.as_ref() != Some(&text) {
            tracing::warn!("leaderboard sync: {text}; the facts wait in the save and will be sent");
            last_error = Some(text);
        }
        let wait = jitter.spread(backoff);
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(wait) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
        if stats.batches > 0 {
            // A session that sent something resets the backoff for the next failure.
            backoff = backoff.min(Duration::from_secs(2));
        }
    }
    stats
}

/// One connection: register, then send batches until the outbox is drained and stays so, or
/// something fails.
async fn session(
    central: &Central,
    host: &HostKey,
    identity: &Identity,
    world: &str,
    outbox: &OutboxHandle,
    stats: &mut SyncStats,
) -> Result<(), store::central::CentralError> {
    let conn = central.connect().await?;
    stats.connects += 1;
    conn.register(host).await?;
    tracing::info!("leaderboard sync: connected to {}", central.at());
    loop {
        let waiting = outbox.peek(BATCH).await;
        if waiting.is_empty() {
            tokio::time::sleep(IDLE).await;
            continue;
        }
        let sealed: Vec<Sealed> = waiting
            .iter()
            .map(|f| {
                let signed = Signed::new(host.id, world, f);
                let payload = signed.payload();
                let signature = identity.sign(&payload);
                Sealed {
                    signed,
                    payload,
                    signature,
                }
            })
            .collect();
        conn.push(&sealed).await?;
        stats.sent += sealed.len() as u64;
        stats.batches += 1;
        outbox.confirm(waiting.iter().map(|f| f.id).collect()).await;
    }
}

/// Spreads retries so many hosts that lost the database together do not return together.
struct Jitter(u64);

impl Jitter {
    fn new(identity: &Identity) -> Jitter {
        let id = identity.id().0;
        Jitter(u64::from_le_bytes(id[..8].try_into().expect("8 bytes")) | 1)
    }

    /// `base` plus up to half of it again.
    fn spread(&mut self, base: Duration) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        base + base.mul_f64((self.0 % 1000) as f64 / 2000.0)
    }
}
