//! The store's thread: it writes what the host core asks for, in order — journal entries in
//! batches (one transaction for whatever queued up while the last commit ran), checkpoints,
//! invite secrets — and reports back which tick is durable. A slow disk delays updates by a
//! commit; it never delays ticks, until the core's bound says stop.
//!
//! On a write error (a full disk, an I/O error) the thread reports it, reopens the file (redb
//! refuses every write after one failed until it is reopened) and retries with backoff,
//! keeping what it could not write; nothing is dropped. Closing writes everything left, then
//! closes the database cleanly before the thread ends, so the next open needs no repair.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use game::Tick;
use host::{JournalEntry, Persist};
use store::{OutboxFact, Store, StoreError};
use tokio::sync::{mpsc, oneshot};

/// Jobs the driver may hand over before it must wait (the core keeps the rest, and stops
/// ticking once a second of ticks waits).
pub const QUEUE: usize = 256;
/// Longest pause between retries of a failing write.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long closing keeps retrying a failing write before it gives up.
const CLOSE_PATIENCE: Duration = Duration::from_secs(10);

/// What the saver tells the driver.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// The journal is committed through this tick.
    Durable(Tick),
    /// A write failed; the saver keeps retrying. The text says why, for players.
    Failing(String),
}

enum Job {
    Write(Persist),
    /// Up to this many outbox facts, oldest first (answered at once, even while writes fail).
    Outbox(usize, oneshot::Sender<Vec<OutboxFact>>),
    /// The central database has these outbox facts: forget them.
    Confirm(Vec<u64>),
    /// Write everything, close the database, and say how it went.
    Close(oneshot::Sender<Result<JournalStats, String>>),
}

/// What journal writes cost, for the log and docs/BENCHMARKS.md.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JournalStats {
    pub commits: u64,
    pub ticks: u64,
    /// Milliseconds per commit.
    pub mean_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Checkpoints written, and milliseconds each took on average.
    pub checkpoints: u64,
    pub checkpoint_mean_ms: f64,
}

impl std::fmt::Display for JournalStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let per_commit = if self.commits == 0 {
            0.0
        } else {
            self.ticks as f64 / self.commits as f64
        };
        write!(
            f,
            "{} commits for {} ticks ({per_commit:.1} ticks each), {:.2} ms mean, {:.2} ms p99, \
             {:.2} ms max; {} checkpoints, {:.1} ms mean",
            self.commits,
            self.ticks,
            self.mean_ms,
            self.p99_ms,
            self.max_ms,
            self.checkpoints,
            self.checkpoint_mean_ms
        )
    }
}

/// The driver's handle on the saver thread.
#[derive(Debug)]
pub struct Saver {
    jobs: mpsc::Sender<Job>,
    /// Durability and failures, in order.
    pub reports: mpsc::UnboundedReceiver<Report>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Saver {
    /// Starts the thread writing world `world` into `store` (reopened from `path` after a
    /// failed write); `outbox`: keep leaderboard facts for a central database.
    pub fn start(store: Store, path: PathBuf, world: String, outbox: bool) -> Saver {
        let (jobs, rx) = mpsc::channel(QUEUE);
        let (report, reports) = mpsc::unbounded_channel();
        let thread = std::thread::Builder::new()
            .name("brogue-saver".into())
            .spawn(move || {
                Thread {
                    store: Some(store),
                    path,
                    world,
                    outbox,
                    report,
                    waiting: Vec::new(),
                    commit_ms: Vec::new(),
                    checkpoint_ms: Vec::new(),
                    ticks: 0,
                    last_failure: None,
                }
                .run(rx)
            })
            .expect("spawn the saver thread");
        Saver {
            jobs,
            reports,
            thread: Some(thread),
        }
    }

    /// Whether a job can be handed over without waiting.
    pub fn has_room(&self) -> bool {
        self.jobs.capacity() > 0
    }

    /// Hands over a job; `false` when the queue is full (keep it and try later).
    pub fn try_write(&self, job: Persist) -> Result<(), Persist> {
        self.jobs.try_send(Job::Write(job)).map_err(|e| match e {
            mpsc::error::TrySendError::Full(Job::Write(p))
            | mpsc::error::TrySendError::Closed(Job::Write(p)) => p,
            _ => unreachable!("only writes are tried"),
        })
    }

    /// A handle for the central leaderboard sync: it reads and confirms the outbox through
    /// this thread, which owns the database.
    pub fn outbox(&self) -> OutboxHandle {
        OutboxHandle {
            jobs: self.jobs.clone(),
        }
    }

    /// Hands over a job, waiting for room.
    pub async fn write(&self, job: Persist) {
        let _ = self.jobs.send(Job::Write(job)).await;
    }

    /// Writes everything handed over, closes the database and joins the thread. Returns what
    /// the writes cost (or what could not be saved) and the reports not yet read.
    pub async fn close(mut self) -> (Result<JournalStats, String>, Vec<Report>) {
        let (done, result) = oneshot::channel();
        let outcome = if self.jobs.send(Job::Close(done)).await.is_err() {
            Err("the saver thread is gone".into())
        } else {
            result
                .await
                .unwrap_or_else(|_| Err("the saver thread stopped".into()))
        };
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
        let mut reports = Vec::new();
        while let Ok(r) = self.reports.try_recv() {
            reports.push(r);
        }
        (outcome, reports)
    }
}

/// The outbox of leaderboard facts, as the central sync sees it.
#[derive(Clone, Debug)]
pub struct OutboxHandle {
    jobs: mpsc::Sender<Job>,
}

impl OutboxHandle {
    /// Up to `max` facts waiting, oldest first (empty when the saver is gone).
    pub async fn peek(&self, max: usize) -> Vec<OutboxFact> {
        let (reply, answer) = oneshot::channel();
        if self.jobs.send(Job::Outbox(max, reply)).await.is_err() {
            return Vec::new();
        }
        answer.await.unwrap_or_default()
    }

    /// Forgets facts the central database now has.
    pub async fn confirm(&self, ids: Vec<u64>) {
        let _ = self.jobs.send(Job::Confirm(ids)).await;
    }
}

struct Thread {
    /// `None` while it is being reopened.
    store: Option<Store>,
    path: PathBuf,
    world: String,
    /// Keep leaderboard facts in the outbox.
    outbox: bool,
    report: mpsc::UnboundedSender<Report>,
    /// Taken from the queue, not yet written.
    waiting: Vec<Persist>,
    commit_ms: Vec<f64>,
    checkpoint_ms: Vec<f64>,
    ticks: u64,
    /// Why the last write failed.
    last_failure: Option<String>,
}

impl Thread {
    /// Takes jobs as they come and writes them; between retries of a failing write it keeps
    /// taking jobs (the queue never blocks the driver for long) and honours a close.
    fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        let mut closing: Option<(oneshot::Sender<Result<JournalStats, String>>, Instant)> = None;
        let mut backoff = Duration::from_millis(50);
        let mut failing: Option<String> = None;
        loop {
            if self.waiting.is_empty() && closing.is_none() {
                match rx.blocking_recv() {
                    Some(job) => self.take(job, &mut closing),
                    None => break,
                }
            }
            // Whatever else queued up meanwhile goes into the same commit.
            while let Ok(job) = rx.try_recv() {
                self.take(job, &mut closing);
            }
            match self.write_waiting() {
                Ok(()) => {
                    if failing.take().is_some() {
                        tracing::info!("saving works again");
                        backoff = Duration::from_millis(50);
                    }
                    if let Some((done, _)) = closing.take() {
                        let _ = done.send(self.finish());
                        return;
                    }
                }
                Err(e) => {
                    let reason = short_reason(&e);
                    self.last_failure = Some(reason.clone());
                    if failing.as_ref() != Some(&reason) {
                        tracing::error!("saving failed, retrying: {e}");
                        let _ = self.report.send(Report::Failing(reason.clone()));
                        failing = Some(reason);
                    }
                    let now = Instant::now();
                    if let Some((_, deadline)) = &closing {
                        if now >= *deadline {
                            let (done, _) = closing.take().expect("closing");
                            let _ = done.send(self.finish());
                            return;
                        }
                        backoff = backoff.min(*deadline - now);
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    self.reopen();
                }
            }
        }
        // The driver went away without closing: still close the file cleanly.
        let _ = self.finish();
    }

    fn take(
        &mut self,
        job: Job,
        closing: &mut Option<(oneshot::Sender<Result<JournalStats, String>>, Instant)>,
    ) {
        match job {
            Job::Write(p) => self.waiting.push(p),
            Job::Close(done) => *closing = Some((done, Instant::now() + CLOSE_PATIENCE)),
            Job::Outbox(max, reply) => {
                let facts = match &self.store {
                    Some(store) => store.outbox(&self.world, max).unwrap_or_else(|e| {
                        tracing::warn!("cannot read the outbox: {e}");
                        Vec::new()
                    }),
                    None => Vec::new(),
                };
                let _ = reply.send(facts);
            }
            Job::Confirm(ids) => {
                // A confirmation that fails to land only means the facts are sent again.
                if let Some(store) = &self.store
                    && let Err(e) = store.confirm_outbox(&self.world, &ids)
                {
                    tracing::warn!("cannot clear sent facts from the outbox: {e}");
                }
            }
        }
    }

    /// Writes the waiting jobs in order: runs of journal entries as one transaction each.
    fn write_waiting(&mut self) -> Result<(), StoreError> {
        let Some(store) = self.store.as_ref() else {
            return Err(StoreError::Io {
                path: self.path.clone(),
                reason: "the save could not be reopened".into(),
            });
        };
        while !self.waiting.is_empty() {
            let run = self
                .waiting
                .iter()
                .take_while(|p| matches!(p, Persist::Journal(_)))
                .count();
            if run > 0 {
                let last = match &self.waiting[run - 1] {
                    Persist::Journal(e) => e.tick,
                    _ => unreachable!("a run of journal entries"),
                };
                // A commit whose report failed may have landed: never write a tick twice.
                let end = store.end_of_journal(&self.world)?.unwrap_or(Tick::ZERO);
                let entries: Vec<JournalEntry> = self.waiting[..run]
                    .iter()
                    .filter_map(|p| match p {
                        Persist::Journal(e) if e.tick >= end => Some(e.clone()),
                        _ => None,
                    })
                    .collect();
                if !entries.is_empty() {
                    let started = Instant::now();
                    store.append(&self.world, &entries, self.outbox)?;
                    self.commit_ms
                        .push(started.elapsed().as_secs_f64() * 1000.0);
                    self.ticks += entries.len() as u64;
                }
                self.waiting.drain(..run);
                let _ = self.report.send(Report::Durable(last));
                continue;
            }
            match &self.waiting[0] {
                Persist::Checkpoint(c) => {
                    let started = Instant::now();
                    store.checkpoint(&self.world, c)?;
                    self.checkpoint_ms
                        .push(started.elapsed().as_secs_f64() * 1000.0);
                }
                Persist::Secrets(s) => store.set_invite_secrets(&self.world, s)?,
                Persist::Journal(_) => unreachable!("handled above"),
            }
            self.waiting.remove(0);
        }
        Ok(())
    }

    /// Drops the database and opens it again: after one failed write redb refuses the rest.
    fn reopen(&mut self) {
        if let Some(store) = self.store.take() {
            drop(store);
        }
        match Store::open(&self.path) {
            Ok(store) => self.store = Some(store),
            Err(e) => tracing::warn!("cannot reopen the save yet: {e}"),
        }
    }

    /// Closes the database cleanly; says what was left unwritten, if anything.
    fn finish(&mut self) -> Result<JournalStats, String> {
        let unwritten = self
            .waiting
            .iter()
            .filter(|p| matches!(p, Persist::Journal(_)))
            .count();
        let closed = match self.store.take() {
            Some(store) => store.close().map_err(|e| e.to_string()),
            None => Ok(()),
        };
        if unwritten > 0 {
            let why = self
                .last_failure
                .as_deref()
                .unwrap_or("the disk refused them");
            return Err(format!(
                "the last {unwritten} ticks could not be written to {} ({why})",
                self.path.display()
            ));
        }
        closed.map_err(|e| format!("closing the save failed: {e}"))?;
        Ok(self.stats())
    }

    fn stats(&self) -> JournalStats {
        let mut ms = self.commit_ms.clone();
        ms.sort_by(f64::total_cmp);
        let pick = |p: f64| {
            ms.get(((ms.len().saturating_sub(1)) as f64 * p).round() as usize)
                .copied()
                .unwrap_or(0.0)
        };
        JournalStats {
            commits: ms.len() as u64,
            ticks: self.ticks,
            mean_ms: if ms.is_empty() {
                0.0
            } else {
                ms.iter().sum::<f64>() / ms.len() as f64
            },
            p99_ms: pick(0.99),
            max_ms: ms.last().copied().unwrap_or(0.0),
            checkpoints: self.checkpoint_ms.len() as u64,
            checkpoint_mean_ms: if self.checkpoint_ms.is_empty() {
                0.0
            } else {
                self.checkpoint_ms.iter().sum::<f64>() / self.checkpoint_ms.len() as f64
            },
        }
    }
}

/// The part of a store error players need: "No space left on device (os error 28)".
fn short_reason(e: &StoreError) -> String {
    match e {
        StoreError::Io { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}
