//! Saving off the tick path: the host loop hands over snapshots taken between ticks; a blocking
//! thread encodes and writes them. A slow disk delays saves, never ticks.

use std::sync::Arc;

use game::world::WorldSave;
use store::{SecretRecord, Store, StoreError};
use tokio::sync::{mpsc, oneshot};

/// A write for the saver thread.
enum Job {
    World(Box<WorldSave>),
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
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Job::World(_) => "World",
            Job::Secrets { .. } => "Secrets",
            Job::Flush(_) => "Flush",
        })
    }
}

/// The last error the saver met, for the host to report.
pub type SaveFailures = Arc<std::sync::Mutex<Option<String>>>;

impl Saver {
    /// Starts the saver thread writing into `store`.
    pub fn start(store: Arc<Store>) -> (Saver, SaveFailures) {
        let (jobs, mut rx) = mpsc::channel::<Job>(8);
        let failures: SaveFailures = Arc::default();
        let seen = failures.clone();
        std::thread::Builder::new()
            .name("brogue-saver".into())
            .spawn(move || {
                while let Some(job) = rx.blocking_recv() {
                    let result: Result<(), StoreError> = match job {
                        Job::World(save) => store.save_world(&save),
                        Job::Secrets { world, secrets } => {
                            store.set_invite_secrets(&world, &secrets)
                        }
                        Job::Flush(done) => {
                            let _ = done.send(());
                            Ok(())
                        }
                    };
                    if let Err(e) = result {
                        tracing::error!("save failed: {e}");
                        *seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                    }
                }
            })
            .expect("spawn the saver thread");
        (Saver { jobs }, failures)
    }

    /// Queues a save if the saver has room; returns false (and queues nothing) when it is
    /// still busy, so the caller keeps its changes for next time.
    pub fn has_room(&self) -> bool {
        self.jobs.capacity() > 1
    }

    pub async fn save(&self, save: WorldSave) {
        let _ = self.jobs.send(Job::World(Box::new(save))).await;
    }

    pub async fn save_secrets(&self, world: String, secrets: Vec<SecretRecord>) {
        let _ = self.jobs.send(Job::Secrets { world, secrets }).await;
    }

    /// Waits until everything queued so far is on disk.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.jobs.send(Job::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}
