//! The store's thread: it writes what each world's host core asks for, in order per world —
//! journal entries in batches (one transaction per world for whatever queued up while the last
//! commit ran), checkpoints, invite secrets — and reports back to each world which tick is
//! durable. One thread owns the one store of a data dir, however many worlds it hosts
//! (`brogue serve`); a world's driver holds a [`WorldSaver`]. A slow disk delays updates by a
//! commit; it never delays ticks, until the core's bound says stop.
//!
//! On a write error (a full disk, an I/O error) the thread reports it, reopens the file (redb
//! refuses every write after one failed until it is reopened) and retries with backoff,
//! keeping what it could not write; nothing is dropped. Closing writes everything left, then
//! closes the database cleanly before the thread ends, so the next open needs no repair.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
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

/// A reader run on the saver's thread (`None` while the store is being reopened).
type ReadJob = Box<dyn FnOnce(Option<&Store>) + Send>;

/// A world's name, as jobs carry it.
type WorldName = Arc<str>;

enum Job {
    /// A world's driver starts: its reports go to `report`; `outbox`: keep its leaderboard
    /// facts for a central database.
    Open {
        world: WorldName,
        outbox: bool,
        report: mpsc::UnboundedSender<Report>,
    },
    Write(WorldName, Persist),
    /// Up to this many outbox facts, oldest first (answered at once, even while writes fail).
    Outbox(WorldName, usize, oneshot::Sender<Vec<OutboxFact>>),
    /// The central database has these outbox facts: forget them.
    Confirm(WorldName, Vec<u64>),
    /// Write everything of this world, and say how it went; the world's reports end.
    CloseWorld(WorldName, oneshot::Sender<Result<JournalStats, String>>),
    /// Write everything, close the database, and say how it went.
    Close(oneshot::Sender<Result<(), String>>),
    /// Run a reader on the store (`None` while it is being reopened), between writes.
    Read(ReadJob),
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

/// The handle on the saver thread of a data dir's store: it opens worlds ([`Saver::world`])
/// and, when every world is closed, closes the store.
#[derive(Debug)]
pub struct Saver {
    jobs: mpsc::Sender<Job>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Saver {
    /// Starts the thread writing into `store` (reopened from `path` after a failed write).
    pub fn start(store: Store, path: PathBuf) -> Saver {
        let (jobs, rx) = mpsc::channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("brogue-saver".into())
            .spawn(move || {
                Thread {
                    store: Some(store),
                    path,
                    worlds: BTreeMap::new(),
                    last_failure: None,
                }
                .run(rx)
            })
            .expect("spawn the saver thread");
        Saver {
            jobs,
            thread: Some(thread),
        }
    }

    /// The saver of world `world` (which the store holds); `outbox`: keep its leaderboard facts
    /// for a central database.
    pub async fn world(&self, world: &str, outbox: bool) -> WorldSaver {
        let (report, reports) = mpsc::unbounded_channel();
        let world: WorldName = world.into();
        let _ = self
            .jobs
            .send(Job::Open {
                world: world.clone(),
                outbox,
                report,
            })
            .await;
        WorldSaver {
            world,
            jobs: self.jobs.clone(),
            reports,
        }
    }

    /// A cheap handle for readers (see [`Reader::read`]).
    pub fn reader(&self) -> Reader {
        Reader {
            jobs: self.jobs.clone(),
        }
    }

    /// Writes everything handed over (of worlds not closed yet too), closes the database and
    /// joins the thread; says what could not be saved, if anything.
    pub async fn close(mut self) -> Result<(), String> {
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
        outcome
    }
}

/// Reads the store through the saver thread, for the admin socket.
#[derive(Clone, Debug)]
pub struct Reader {
    jobs: mpsc::Sender<Job>,
}

impl Reader {
    /// Runs `read` on the store on the saver's thread, between writes (so `brogue worlds` and
    /// `brogue leaderboard` work while a server holds the save); `None` when the saver is gone.
    pub async fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&Store) -> T + Send + 'static,
    ) -> Option<T> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Read(Box::new(move |store: Option<&Store>| {
            if let Some(store) = store {
                let _ = reply.send(read(store));
            }
        }));
        self.jobs.send(job).await.ok()?;
        answer.await.ok()
    }
}

/// One world's driver's handle on the saver thread.
#[derive(Debug)]
pub struct WorldSaver {
    world: WorldName,
    jobs: mpsc::Sender<Job>,
    /// Durability and failures, in order.
    pub reports: mpsc::UnboundedReceiver<Report>,
}

impl WorldSaver {
    /// Whether a job can be handed over without waiting.
    pub fn has_room(&self) -> bool {
        self.jobs.capacity() > 0
    }

    /// Hands over a job; `false` when the queue is full (keep it and try later).
    pub fn try_write(&self, job: Persist) -> Result<(), Persist> {
        self.jobs
            .try_send(Job::Write(self.world.clone(), job))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(Job::Write(_, p))
                | mpsc::error::TrySendError::Closed(Job::Write(_, p)) => p,
                _ => unreachable!("only writes are tried"),
            })
    }

    /// A handle for the central leaderboard sync: it reads and confirms the outbox through
    /// this thread, which owns the database.
    pub fn outbox(&self) -> OutboxHandle {
        OutboxHandle {
            world: self.world.clone(),
            jobs: self.jobs.clone(),
        }
    }

    /// Hands over a job, waiting for room.
    pub async fn write(&self, job: Persist) {
        let _ = self.jobs.send(Job::Write(self.world.clone(), job)).await;
    }

    /// Writes everything of this world handed over. Returns what the writes cost (or what
    /// could not be saved) and the reports not yet read.
    pub async fn close(mut self) -> (Result<JournalStats, String>, Vec<Report>) {
        let (done, result) = oneshot::channel();
        let job = Job::CloseWorld(self.world.clone(), done);
        let outcome = if self.jobs.send(job).await.is_err() {
            Err("the saver thread is gone".into())
        } else {
            result
                .await
                .unwrap_or_else(|_| Err("the saver thread stopped".into()))
        };
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
    world: WorldName,
    jobs: mpsc::Sender<Job>,
}

impl OutboxHandle {
    /// Up to `max` facts waiting, oldest first (empty when the saver is gone).
    pub async fn peek(&self, max: usize) -> Vec<OutboxFact> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Outbox(self.world.clone(), max, reply);
        if self.jobs.send(job).await.is_err() {
            return Vec::new();
        }
        answer.await.unwrap_or_default()
    }

    /// Forgets facts the central database now has.
    pub async fn confirm(&self, ids: Vec<u64>) {
        let _ = self.jobs.send(Job::Confirm(self.world.clone(), ids)).await;
    }
}

/// What the thread keeps per open world.
struct WorldState {
    /// Keep leaderboard facts in the outbox.
    outbox: bool,
    report: mpsc::UnboundedSender<Report>,
    /// Taken from the queue, not yet written, in order.
    waiting: VecDeque<Persist>,
    commit_ms: Vec<f64>,
    checkpoint_ms: Vec<f64>,
    ticks: u64,
    /// Its driver asked to close it: answer here once its jobs are written (or, while writes
    /// fail, at the deadline).
    closing: Option<(oneshot::Sender<Result<JournalStats, String>>, Instant)>,
}

type Closing = Option<(oneshot::Sender<Result<(), String>>, Instant)>;

struct Thread {
    /// `None` while it is being reopened.
    store: Option<Store>,
    path: PathBuf,
    worlds: BTreeMap<WorldName, WorldState>,
    /// Why the last write failed.
    last_failure: Option<String>,
}

impl Thread {
    /// Takes jobs as they come and writes them; between retries of a failing write it keeps
    /// taking jobs (the queue never blocks the drivers for long) and honours closes.
    fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        let mut closing: Closing = None;
        let mut backoff = Duration::from_millis(50);
        let mut failing: Option<String> = None;
        loop {
            let busy = closing.is_some()
                || self
                    .worlds
                    .values()
                    .any(|w| !w.waiting.is_empty() || w.closing.is_some());
            if !busy {
                match rx.blocking_recv() {
                    Some(job) => self.take(job, &mut closing),
                    None => break,
                }
            }
            // Whatever else queued up meanwhile goes into the same commits.
            while let Ok(job) = rx.try_recv() {
                self.take(job, &mut closing);
            }
            // Only a write that happened says saving works (a world given up on has none).
            let writing = self.worlds.values().any(|w| !w.waiting.is_empty());
            match self.write_waiting() {
                Ok(()) => {
                    if writing && failing.take().is_some() {
                        tracing::info!("saving works again");
                        backoff = Duration::from_millis(50);
                    }
                    self.answer_closed(Instant::now(), true);
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
                        for world in self.worlds.values() {
                            let _ = world.report.send(Report::Failing(reason.clone()));
                        }
                        failing = Some(reason);
                    }
                    let now = Instant::now();
                    self.answer_closed(now, false);
                    if closing
                        .as_ref()
                        .is_some_and(|(_, deadline)| now >= *deadline)
                    {
                        let (done, _) = closing.take().expect("closing");
                        let _ = done.send(self.finish());
                        return;
                    }
                    // Wake for the soonest close deadline, the store's or a world's.
                    let deadlines = self.worlds.values().filter_map(|w| w.closing.as_ref());
                    let soonest = deadlines.map(|c| c.1).chain(closing.as_ref().map(|c| c.1));
                    if let Some(deadline) = soonest.min() {
                        backoff = backoff.min(deadline.saturating_duration_since(now));
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    self.reopen();
                }
            }
        }
        // Every driver went away without closing: still close the file cleanly.
        let _ = self.finish();
    }

    fn take(&mut self, job: Job, closing: &mut Closing) {
        match job {
            Job::Open {
                world,
                outbox,
                report,
            } => {
                let state = WorldState {
                    outbox,
                    report,
                    waiting: VecDeque::new(),
                    commit_ms: Vec::new(),
                    checkpoint_ms: Vec::new(),
                    ticks: 0,
                    closing: None,
                };
                if let Some(old) = self.worlds.insert(world.clone(), state) {
                    // Opened again before it closed: keep what it still had to write.
                    self.worlds.get_mut(&world).expect("inserted").waiting = old.waiting;
                }
            }
            Job::Write(world, p) => match self.worlds.get_mut(&world) {
                Some(state) => state.waiting.push_back(p),
                None => tracing::error!("a write for world {world}, which is not open, is lost"),
            },
            Job::CloseWorld(world, done) => match self.worlds.get_mut(&world) {
                Some(state) => state.closing = Some((done, Instant::now() + CLOSE_PATIENCE)),
                None => {
                    let _ = done.send(Ok(JournalStats::default()));
                }
            },
            Job::Close(done) => *closing = Some((done, Instant::now() + CLOSE_PATIENCE)),
            Job::Read(read) => read(self.store.as_ref()),
            Job::Outbox(world, max, reply) => {
                let facts = match &self.store {
                    Some(store) => store.outbox(&world, max).unwrap_or_else(|e| {
                        tracing::warn!("cannot read the outbox: {e}");
                        Vec::new()
                    }),
                    None => Vec::new(),
                };
                let _ = reply.send(facts);
            }
            Job::Confirm(world, ids) => {
                // A confirmation that fails to land only means the facts are sent again.
                if let Some(store) = &self.store
                    && let Err(e) = store.confirm_outbox(&world, &ids)
                {
                    tracing::warn!("cannot clear sent facts from the outbox: {e}");
                }
            }
        }
    }

    /// Answers the worlds that asked to close: those with nothing left to write, and (when
    /// `written` is false: writes fail) those whose patience ran out, with what was lost.
    fn answer_closed(&mut self, now: Instant, written: bool) {
        let done: Vec<WorldName> = self
            .worlds
            .iter()
            .filter(|(_, w)| {
                w.closing.as_ref().is_some_and(|(_, deadline)| {
                    w.waiting.is_empty() || (!written && now >= *deadline)
                })
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in done {
            let mut state = self.worlds.remove(&name).expect("listed");
            let (reply, _) = state.closing.take().expect("closing");
            let _ = reply.send(self.world_result(&name, &state));
        }
    }

    /// How a world's writes went: its costs, or what was left unwritten.
    fn world_result(&self, name: &str, state: &WorldState) -> Result<JournalStats, String> {
        let unwritten = state
            .waiting
            .iter()
            .filter(|p| matches!(p, Persist::Journal(_)))
            .count();
        let why = self
            .last_failure
            .as_deref()
            .unwrap_or("the disk refused them");
        if unwritten > 0 {
            return Err(format!(
                "the last {unwritten} ticks of {name} could not be written to {} ({why})",
                self.path.display()
            ));
        }
        if !state.waiting.is_empty() {
            return Err(format!(
                "the last checkpoint of {name} could not be written to {} ({why}); no tick is \
                 lost: the journal holds them all and the next start replays it",
                self.path.display()
            ));
        }
        Ok(stats(state))
    }

    /// Writes the waiting jobs, each world's in order: runs of journal entries as one
    /// transaction each.
    fn write_waiting(&mut self) -> Result<(), StoreError> {
        let Some(store) = self.store.as_ref() else {
            return Err(StoreError::Io {
                path: self.path.clone(),
                reason: "the save could not be reopened".into(),
            });
        };
        for (name, world) in &mut self.worlds {
            write_world(store, name, world)?;
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

    /// Answers every world still open, closes the database cleanly; says what was left
    /// unwritten, if anything.
    fn finish(&mut self) -> Result<(), String> {
        let mut lost = Vec::new();
        for (name, mut state) in std::mem::take(&mut self.worlds) {
            let result = self.world_result(&name, &state);
            if let Err(e) = &result {
                lost.push(e.clone());
            }
            if let Some((reply, _)) = state.closing.take() {
                let _ = reply.send(result);
            }
        }
        let closed = match self.store.take() {
            Some(store) => store.close().map_err(|e| e.to_string()),
            None => Ok(()),
        };
        if !lost.is_empty() {
            return Err(lost.join("; "));
        }
        closed.map_err(|e| format!("closing the save failed: {e}"))
    }
}

/// Writes `world`'s waiting jobs in order: runs of journal entries as one transaction each.
fn write_world(store: &Store, name: &str, world: &mut WorldState) -> Result<(), StoreError> {
    while !world.waiting.is_empty() {
        let run = world
            .waiting
            .iter()
            .take_while(|p| matches!(p, Persist::Journal(_)))
            .count();
        if run > 0 {
            let last = match &world.waiting[run - 1] {
                Persist::Journal(e) => e.tick,
                _ => unreachable!("a run of journal entries"),
            };
            // A commit whose report failed may have landed: never write a tick twice.
            let end = store.end_of_journal(name)?.unwrap_or(Tick::ZERO);
            let entries: Vec<JournalEntry> = world
                .waiting
                .iter()
                .take(run)
                .filter_map(|p| match p {
                    Persist::Journal(e) if e.tick >= end => Some(e.clone()),
                    _ => None,
                })
                .collect();
            if !entries.is_empty() {
                let started = Instant::now();
                store.append(name, &entries, world.outbox)?;
                world
                    .commit_ms
                    .push(started.elapsed().as_secs_f64() * 1000.0);
                world.ticks += entries.len() as u64;
            }
            world.waiting.drain(..run);
            let _ = world.report.send(Report::Durable(last));
            continue;
        }
        match &world.waiting[0] {
            Persist::Checkpoint(c) => {
                let started = Instant::now();
                store.checkpoint(name, c)?;
                world
                    .checkpoint_ms
                    .push(started.elapsed().as_secs_f64() * 1000.0);
            }
            Persist::Secrets(s) => store.set_invite_secrets(name, s)?,
            Persist::Bans(b) => store.set_bans(name, b)?,
            Persist::Journal(_) => unreachable!("handled above"),
        }
        world.waiting.pop_front();
    }
    Ok(())
}

/// What one world's journal writes cost.
fn stats(world: &WorldState) -> JournalStats {
    let mut ms = world.commit_ms.clone();
    ms.sort_by(f64::total_cmp);
    let pick = |p: f64| {
        ms.get(((ms.len().saturating_sub(1)) as f64 * p).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    let mean = |v: &[f64]| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    JournalStats {
        commits: ms.len() as u64,
        ticks: world.ticks,
        mean_ms: mean(&ms),
        p99_ms: pick(0.99),
        max_ms: ms.last().copied().unwrap_or(0.0),
        checkpoints: world.checkpoint_ms.len() as u64,
        checkpoint_mean_ms: mean(&world.checkpoint_ms),
    }
}

/// The part of a store error players need: "No space left on device (os error 28)".
fn short_reason(e: &StoreError) -> String {
    match e {
        StoreError::Io { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}
