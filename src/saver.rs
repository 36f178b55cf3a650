//! Saving off the tick path: the host loop hands over economy entries (every one, in order) and
//! snapshots taken between ticks; a thread writes them, each in its own transaction. A slow disk
//! delays writes, never ticks.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use game::economy::Entry;
use game::world::WorldSave;
use store::{SecretRecord, Store, StoreError};
use tokio::sync::{mpsc, oneshot};

/// A write for the saver thread.
enum Job {
    /// One economy entry: one durable transaction.
    Apply { world: String, entry: Box<Entry> },
    /// A snapshot of the world (core, players, changed floors).
    Snapshot(Box<WorldSave>),
    Secrets {
        world: String,
        secrets: Vec<SecretRecord>,
    },
    /// Resolves once every earlier job is written.
    Flush(oneshot::Sender<()>),
}

/// The host loop's handle on the saver.
#[derive(Clone, Debug)]
pub struct Saver {
    jobs: mpsc::UnboundedSender<Job>,
    /// Jobs queued and not yet written.
    backlog: Arc<AtomicUsize>,
}

/// The last error the saver met, for the host to report.
pub type SaveFailures = Arc<std::sync::Mutex<Option<String>>>;

/// Snapshots are skipped while the saver is this far behind (economy entries never are).
const SNAPSHOT_BACKLOG: usize = 64;

impl Saver {
    /// Starts the saver thread writing into `store`.
    pub fn start(store: Arc<Store>) -> (Saver, SaveFailures) {
        let (jobs, mut rx) = mpsc::unbounded_channel::<Job>();
        let backlog = Arc::new(AtomicUsize::new(0));
        let failures: SaveFailures = Arc::default();
        let (seen, pending) = (failures.clone(), backlog.clone());
        std::thread::Builder::new()
            .name("brogue-saver".into())
            .spawn(move || {
                while let Some(job) = rx.blocking_recv() {
                    let result: Result<(), StoreError> = match job {
                        Job::Apply { world, entry } => store.apply(&world, &entry),
                        Job::Snapshot(save) => store.save_world(&save),
                        Job::Secrets { world, secrets } => {
                            store.set_invite_secrets(&world, &secrets)
                        }
                        Job::Flush(done) => {
                            let _ = done.send(());
                            Ok(())
                        }
                    };
                    pending.fetch_sub(1, Ordering::Relaxed);
                    if let Err(e) = result {
                        tracing::error!("save failed: {e}");
                        *seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                    }
                }
            })
            .expect("spawn the saver thread");
        (Saver { jobs, backlog }, failures)
    }

    fn send(&self, job: Job) {
        self.backlog.fetch_add(1, Ordering::Relaxed);
        if self.jobs.send(job).is_err() {
            self.backlog.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Is the saver keeping up well enough to take a snapshot?
    pub fn has_room(&self) -> bool {
        self.backlog.load(Ordering::Relaxed) < SNAPSHOT_BACKLOG
    }

    /// Queues one economy entry; entries are written in the order given.
    pub fn apply(&self, world: &str, entry: Entry) {
        self.send(Job::Apply {
            world: world.to_owned(),
            entry: Box::new(entry),
        });
    }

    pub fn save(&self, save: WorldSave) {
        self.send(Job::Snapshot(Box::new(save)));
    }

    pub fn save_secrets(&self, world: String, secrets: Vec<SecretRecord>) {
        self.send(Job::Secrets { world, secrets });
    }

    /// Waits until everything queued so far is on disk.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        self.send(Job::Flush(done));
        let _ = wait.await;
    }
}
