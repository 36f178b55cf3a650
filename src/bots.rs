//! `brogue bots`: headless players that join by invite code and play, measuring what a player
//! would feel: action latency, bytes received, who they see, the newest tick they were shown.
//!
//! Two modes: `explore` (walk to the unexplored and fight what is adjacent) and `economy`
//! (mine veins, craft daggers, bank at shrines and sometimes withdraw, and trade with other
//! bots), the workload that exercises every kind of economy entry for crash tests.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use color_eyre::eyre;
use game::craft::Recipe;
use game::event::{EventKind, Notice};
use game::path::DistanceMap;
use game::protocol::{ClientMsg, EntityKind, LogLine, MemberStatus};
use game::view::ClientView;
use game::{Action, Class, Dir, EntityId, Goods, Pos, Stack, Tile, TradeInput};
use net::{Identity, Target};
use serde::Serialize;
use tokio::task::JoinSet;

use crate::session::{self, FromHost};

/// What the bots do.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Explore and fight.
    #[default]
    Explore,
    /// Mine, craft, bank at shrines and trade with each other.
    Economy,
}

/// The JSON `brogue bots --json` prints.
#[derive(Debug, Serialize)]
pub struct Report {
    pub mode: Mode,
    pub connected: usize,
    pub returning: usize,
    pub duration_s: f64,
    pub actions_sent: u64,
    pub actions_acked: u64,
    pub latency_ms: Latency,
    /// UDP payload bytes received per connected bot per second (QUIC overhead included).
    pub bytes_per_client_per_s: f64,
    /// Of those, frame bytes read from the stream (updates, the log, panels, large snapshots).
    pub bytes_stream_per_client_per_s: f64,
    /// Of those, snapshot datagram bytes.
    pub bytes_datagram_per_client_per_s: f64,
    /// Connections that dropped and were made again, all bots together.
    pub reconnects: u64,
    /// From noticing a dropped link to the first message on the new connection.
    pub resume_ms: Resume,
    pub min_players_seen: usize,
    /// The newest tick any bot was shown (an update's tick: ticks the world had processed).
    pub last_tick_seen: u64,
    /// What the bots' own log lines say they did.
    pub economy: EconomyCounts,
    pub errors: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

#[derive(Debug, Serialize)]
pub struct Resume {
    pub p50: f64,
    pub max: f64,
}

/// Economy events the bots were told of (their own).
#[derive(Clone, Debug, Default, Serialize)]
pub struct EconomyCounts {
    pub mined: u64,
    pub crafted: u64,
    pub banked: u64,
    pub withdrawn: u64,
    pub trades: u64,
}

impl EconomyCounts {
    fn add(&mut self, other: &EconomyCounts) {
        self.mined += other.mined;
        self.crafted += other.crafted;
        self.banked += other.banked;
        self.withdrawn += other.withdrawn;
        self.trades += other.trades;
    }

    /// Counts what `line` says this bot (called `name`) did.
    fn count(&mut self, line: &LogLine, name: &str) {
        match &line.event {
            EventKind::Notice(Notice::Mined { .. }) => self.mined += 1,
            EventKind::Notice(Notice::Banked(_)) => self.banked += 1,
            EventKind::Notice(Notice::Withdrew { .. }) => self.withdrawn += 1,
            EventKind::Notice(Notice::TradeDone { .. }) => self.trades += 1,
            EventKind::Crafted { maker, .. } if maker == name => self.crafted += 1,
            _ => {}
        }
    }
}

/// What one bot measured.
#[derive(Debug, Default)]
struct BotRun {
    connected: bool,
    returning: bool,
    sent: u64,
    acked: u64,
    latencies_us: Vec<u64>,
    rx_bytes: u64,
    stream_bytes: u64,
    datagram_bytes: u64,
    reconnects: u64,
    resume_ms: Vec<u64>,
    others_seen: usize,
    last_tick: u64,
    economy: EconomyCounts,
    error: Option<String>,
}

/// Runs `count` bots in `mode` against the host at `target` for `duration`, presenting
/// `secret` (from an invite code) on first joins.
pub async fn run(
    target: &Target,
    secret: Option<[u8; 16]>,
    count: usize,
    duration: Duration,
    mode: Mode,
    data_dir: &Path,
) -> eyre::Result<Report> {
    let deadline = Instant::now() + duration;
    let mut set = JoinSet::new();
    for i in 0..count {
        let path = data_dir.join("bots").join(format!("bot-{i}.key"));
        let identity = Arc::new(Identity::load_or_create(&path)?);
        let target = target.clone();
        set.spawn(async move { bot(i, identity, target, secret, deadline, mode).await });
    }
    let runs: Vec<BotRun> = set.join_all().await;
    let mut latencies: Vec<u64> = runs.iter().flat_map(|r| r.latencies_us.clone()).collect();
    latencies.sort_unstable();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let i = ((latencies.len() - 1) as f64 * p).round() as usize;
        latencies[i] as f64 / 1000.0
    };
    let connected: Vec<&BotRun> = runs.iter().filter(|r| r.connected).collect();
    let secs = duration.as_secs_f64();
    let per_client = |bytes: fn(&BotRun) -> u64| {
        if connected.is_empty() {
            0.0
        } else {
            connected.iter().map(|r| bytes(r) as f64).sum::<f64>()
                / connected.len() as f64
                / secs.max(0.001)
        }
    };
    let mut resumes: Vec<u64> = runs.iter().flat_map(|r| r.resume_ms.clone()).collect();
    resumes.sort_unstable();
    let mut economy = EconomyCounts::default();
    for r in &runs {
        economy.add(&r.economy);
    }
    Ok(Report {
        mode,
        connected: connected.len(),
        returning: runs.iter().filter(|r| r.returning).count(),
        duration_s: secs,
        actions_sent: runs.iter().map(|r| r.sent).sum(),
        actions_acked: runs.iter().map(|r| r.acked).sum(),
        latency_ms: Latency {
            p50: pct(0.50),
            p99: pct(0.99),
            max: latencies.last().map_or(0.0, |m| *m as f64 / 1000.0),
        },
        bytes_per_client_per_s: per_client(|r| r.rx_bytes),
        bytes_stream_per_client_per_s: per_client(|r| r.stream_bytes),
        bytes_datagram_per_client_per_s: per_client(|r| r.datagram_bytes),
        reconnects: runs.iter().map(|r| r.reconnects).sum(),
        resume_ms: Resume {
            p50: resumes.get(resumes.len() / 2).map_or(0.0, |m| *m as f64),
            max: resumes.last().map_or(0.0, |m| *m as f64),
        },
        min_players_seen: connected.iter().map(|r| r.others_seen).min().unwrap_or(0),
        last_tick_seen: runs.iter().map(|r| r.last_tick).max().unwrap_or(0),
        economy,
        errors: runs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.error.as_ref().map(|e| format!("bot-{i}: {e}")))
            .collect(),
    })
}

async fn bot(
    index: usize,
    identity: Arc<Identity>,
    target: Target,
    secret: Option<[u8; 16]>,
    deadline: Instant,
    mode: Mode,
) -> BotRun {
    let mut run = BotRun::default();
    let name = format!("bot-{index}");
    let mut joined = match session::join(&identity, &target, &name, secret, false).await {
        Ok(j) => j,
        Err(e) => {
            run.error = Some(e.to_string());
            return run;
        }
    };
    run.connected = true;
    run.returning = joined.welcome.returning;
    let tick = Duration::from_secs_f64(1.0 / f64::from(joined.welcome.tick_rate.max(1)));
    let class = Class::ALL[index % Class::ALL.len()];
    let mut view = ClientView::new();
    let mut brain = Brain::new(index as u64, mode);
    let mut seq: u32 = 0;
    let mut in_flight: Option<(u32, Instant)> = None;
    let mut ready_at = Instant::now();
    let mut asked_for_character = false;
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        // Trades move on their own messages, whenever the view changes.
        if let Some(msg) = brain.trade_move(&view, now)
            && joined.outbox.send(msg).await.is_err()
        {
            run.error = Some("the host went away".into());
            break;
        }
        // Act when the character is ready and the previous action was seen to start.
        if in_flight.is_none() && now >= ready_at {
            let msg = if view.me.is_none() {
                (!asked_for_character).then_some(ClientMsg::CreateCharacter { class })
            } else {
                match brain.choose(&view, now) {
                    Choice::Act(action) => {
                        seq += 1;
                        Some(ClientMsg::Act { seq, action })
                    }
                    Choice::Say(msg) => Some(msg),
                }
            };
            if let Some(msg) = msg {
                match msg {
                    ClientMsg::Act { seq, .. } => {
                        in_flight = Some((seq, Instant::now()));
                        run.sent += 1;
                    }
                    ClientMsg::CreateCharacter { .. } => asked_for_character = true,
                    _ => ready_at = now + tick * 4,
                }
                if joined.outbox.send(msg).await.is_err() {
                    run.error = Some("the host went away".into());
                    break;
                }
            }
        }
        let now = Instant::now();
        let wake = match in_flight {
            // An action can be lost (replaced, refused): retry after a second.
            Some((_, sent)) => sent + Duration::from_secs(1),
            None if ready_at > now => ready_at,
            // Nothing to do until the host says something (e.g. our new character).
            None => now + tick,
        }
        .min(deadline);
        let from_host = tokio::select! {
            msg = joined.inbox.recv() => msg,
            () = tokio::time::sleep_until(wake.into()) => {
                if in_flight.is_some_and(|(_, sent)| sent.elapsed() >= Duration::from_secs(1)) {
                    in_flight = None;
                }
                continue;
            }
        };
        let received = Instant::now();
        match from_host {
            Some(FromHost::Update(update)) => {
                for line in &update.log {
                    run.economy.count(line, &name);
                }
                if let Err(e) = view.apply(*update) {
                    run.error = Some(format!("bad update: {e}"));
                    break;
                }
            }
            Some(FromHost::Snapshot(snapshot)) => match view.apply_snapshot(*snapshot) {
                Ok(true) => joined.applied(view.snapshot(), view.ack),
                Ok(false) => continue,
                Err(e) => {
                    run.error = Some(format!("bad snapshot: {e}"));
                    break;
                }
            },
            Some(FromHost::Status(status)) => {
                tracing::warn!("{name}: host status {status:?}");
                continue;
            }
            Some(FromHost::Reconnecting { why, .. }) => {
                tracing::info!("{name}: reconnecting ({why})");
                continue;
            }
            Some(FromHost::Resumed(_)) => {
                joined.resumed();
                view.resync();
                in_flight = None;
                continue;
            }
            Some(FromHost::Closed(reason)) => {
                run.error = Some(format!("disconnected: {reason}"));
                break;
            }
            None => break,
        }
        run.last_tick = run.last_tick.max(view.tick);
        if view.me.is_some() {
            asked_for_character = false;
        }
        if let Some((seq, sent)) = in_flight
            && view.ack >= seq
        {
            run.acked += 1;
            run.latencies_us.push(sent.elapsed().as_micros() as u64);
            in_flight = None;
        }
        // A person presses keys at no particular moment: send at a random phase of the tick
        // after the character is ready, not locked to the host's tick.
        let busy = view.me.as_ref().map_or(0, |m| u32::from(m.busy(view.tick)));
        let phase = tick.mul_f64(brain.roll(1000) as f64 / 1000.0);
        ready_at = received + tick * busy + phase;
        let others = view
            .party
            .iter()
            .filter(|m| !m.is_you && m.status != MemberStatus::Away)
            .count();
        run.others_seen = run.others_seen.max(others);
    }
    let stats = joined.stats.clone();
    joined.leave().await;
    run.rx_bytes = stats.rx_bytes();
    run.stream_bytes = stats
        .stream_bytes
        .load(std::sync::atomic::Ordering::Relaxed);
    run.datagram_bytes = stats
        .datagram_bytes
        .load(std::sync::atomic::Ordering::Relaxed);
    run.reconnects = stats.reconnects.load(std::sync::atomic::Ordering::Relaxed);
    run.resume_ms = stats
        .resume_ms
        .lock()
        .map(|v| v.clone())
        .unwrap_or_default();
    run
}

/// What a bot does next.
enum Choice {
    Act(Action),
    /// A message that is not an action (opening a trade).
    Say(ClientMsg),
}

/// A bot's decisions.
struct Brain {
    rng: u64,
    mode: Mode,
    path: VecDeque<Pos>,
    /// The trade this bot already made its offer in, and when it opened.
    trade: Option<(u64, Instant)>,
    offered: bool,
    last_trade_try: Option<Instant>,
}

/// How long a bot waits for a trade partner before cancelling.
const TRADE_PATIENCE: Duration = Duration::from_secs(4);

impl Brain {
    fn new(seed: u64, mode: Mode) -> Brain {
        Brain {
            rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            mode,
            path: VecDeque::new(),
            trade: None,
            offered: false,
            last_trade_try: None,
        }
    }

    fn roll(&mut self, n: u64) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % n
    }

    /// In a trade: offer a unit of ore, accept the current phase, give up after a while.
    fn trade_move(&mut self, view: &ClientView, now: Instant) -> Option<ClientMsg> {
        let Some(t) = &view.trade else {
            self.trade = None;
            return None;
        };
        if self.trade.map(|(id, _)| id) != Some(t.id) {
            self.trade = Some((t.id, now));
            self.offered = false;
        }
        let opened = self.trade.map_or(now, |(_, at)| at);
        if now.duration_since(opened) > TRADE_PATIENCE {
            self.trade = Some((t.id, now));
            return Some(ClientMsg::Trade(TradeInput::Cancel { trade: t.id }));
        }
        if !self.offered {
            self.offered = true;
            let stacks = view
                .pack
                .stacks
                .iter()
                .max_by_key(|s| s.units)
                .map(|s| Stack {
                    spawn: game::ore::SpawnId(s.spawn),
                    units: 1,
                })
                .into_iter()
                .collect();
            let goods = Goods {
                stacks,
                items: vec![],
            };
            return Some(ClientMsg::Trade(TradeInput::Offer { trade: t.id, goods }));
        }
        (!t.i_accepted).then_some(ClientMsg::Trade(TradeInput::Accept {
            trade: t.id,
            phase: t.phase,
        }))
    }

    fn choose(&mut self, view: &ClientView, now: Instant) -> Choice {
        let Some(me) = view.me.as_ref() else {
            return Choice::Act(Action::Wait);
        };
        if me.downed.is_some() {
            return Choice::Act(Action::Wait);
        }
        let monster_next_to_me = view
            .entities
            .iter()
            .find(|e| matches!(e.kind, EntityKind::Monster(_)) && e.pos.is_adjacent(me.pos));
        if let Some(m) = monster_next_to_me {
            self.path.clear();
            return Choice::Act(Action::Move(Dir::toward(me.pos, m.pos).unwrap_or(Dir::N)));
        }
        if self.mode == Mode::Economy
            && let Some(choice) = self.economy(view, now)
        {
            return choice;
        }
        self.walk(view, me.pos, |v, p| {
            Dir::ALL.iter().any(|d| v.tile(p.step(*d)).is_none())
        })
    }

    /// Mining, crafting, banking and trading, when one of them is possible now.
    fn economy(&mut self, view: &ClientView, now: Instant) -> Option<Choice> {
        let me = view.me.as_ref()?;
        if view.trade.is_some() || me.channel.is_some() {
            return Some(Choice::Act(Action::Wait));
        }
        let carried: u32 = view.pack.stacks.iter().map(|s| s.units).sum();
        // Craft a dagger from any stack of four.
        let dagger = Recipe::Dagger.def().units;
        if let Some(s) = view.pack.stacks.iter().find(|s| s.units >= dagger)
            && view.pack.items.len() < 3
        {
            let stacks = vec![Stack {
                spawn: game::ore::SpawnId(s.spawn),
                units: dagger,
            }];
            return Some(Choice::Act(Action::Craft {
                recipe: Recipe::Dagger,
                stacks,
            }));
        }
        // At a shrine: bank what is carried, now and then take a unit back.
        if me.at_shrine {
            if carried > 0 {
                let stacks = view
                    .pack
                    .stacks
                    .iter()
                    .map(|s| Stack {
                        spawn: game::ore::SpawnId(s.spawn),
                        units: s.units,
                    })
                    .collect();
                return Some(Choice::Act(Action::Deposit(stacks)));
            }
            if let Some(v) = view.vault.first()
                && self.roll(4) == 0
            {
                let back = Stack {
                    spawn: game::ore::SpawnId(v.spawn),
                    units: 1,
                };
                return Some(Choice::Act(Action::Withdraw(vec![back])));
            }
        }
        // Trade with a bot standing next to us, now and then.
        let neighbour = view.entities.iter().find(|e| {
            matches!(e.kind, EntityKind::Character { away: false, .. }) && e.pos.is_adjacent(me.pos)
        });
        let rested = self
            .last_trade_try
            .is_none_or(|t| now.duration_since(t) > Duration::from_secs(3));
        if let Some(other) = neighbour
            && rested
            && carried > 0
            && self.roll(3) == 0
        {
            self.last_trade_try = Some(now);
            let with = EntityId(other.id);
            return Some(Choice::Say(ClientMsg::Trade(TradeInput::Open { with })));
        }
        // Carrying enough: to the nearest shrine.
        if carried >= 3 {
            let shrine = |v: &ClientView, p: Pos| {
                std::iter::once(p)
                    .chain(Dir::ALL.iter().map(|d| p.step(*d)))
                    .any(|q| v.tile(q) == Some(Tile::Shrine))
            };
            if let Some(choice) = self.walk_to(view, me.pos, shrine) {
                return Some(choice);
            }
        }
        // Next to a vein: mine it; else walk to one.
        if let Some(d) = Dir::ALL
            .iter()
            .find(|d| view.tile(me.pos.step(**d)).is_some_and(Tile::is_vein))
        {
            self.path.clear();
            return Some(Choice::Act(Action::Move(*d)));
        }
        let by_vein = |v: &ClientView, p: Pos| {
            Dir::ALL
                .iter()
                .any(|d| v.tile(p.step(*d)).is_some_and(Tile::is_vein))
        };
        self.walk_to(view, me.pos, by_vein)
    }

    /// A step along the shortest known path to a cell where `goal` holds, if there is one.
    fn walk_to(
        &mut self,
        view: &ClientView,
        from: Pos,
        goal: impl Fn(&ClientView, Pos) -> bool,
    ) -> Option<Choice> {
        if goal(view, from) {
            return None;
        }
        let path = path_to(view, from, &goal);
        let next = *path.front()?;
        self.path = path;
        Some(Choice::Act(Action::Move(
            Dir::toward(from, next).unwrap_or(Dir::N),
        )))
    }

    /// Follows the current path, or a new one to a cell where `goal` holds, or wanders.
    fn walk(
        &mut self,
        view: &ClientView,
        from: Pos,
        goal: impl Fn(&ClientView, Pos) -> bool,
    ) -> Choice {
        if self.path.front() == Some(&from) {
            self.path.pop_front();
        }
        let next_ok = self
            .path
            .front()
            .is_some_and(|p| p.is_adjacent(from) && view.entity_at(*p).is_none());
        if !next_ok {
            self.path = path_to(view, from, &goal);
        }
        match self.path.front() {
            Some(next) => Choice::Act(Action::Move(Dir::toward(from, *next).unwrap_or(Dir::N))),
            None => Choice::Act(Action::Move(Dir::ALL[self.roll(8) as usize])),
        }
    }
}

/// The shortest known path from `from` to a walkable cell where `goal` holds, through known
/// walkable cells and closed doors, around other creatures (a Dijkstra map from every goal).
fn path_to(
    view: &ClientView,
    from: Pos,
    goal: &impl Fn(&ClientView, Pos) -> bool,
) -> VecDeque<Pos> {
    let walkable = |p: Pos| {
        matches!(view.tile(p), Some(t) if t.is_walkable() || t == Tile::DoorClosed)
            && (p == from || view.entity_at(p).is_none())
    };
    let cells =
        (0..view.height as i16).flat_map(|y| (0..view.width as i16).map(move |x| Pos { x, y }));
    let goals = cells.filter(|p| *p != from && walkable(*p) && goal(view, *p));
    let map = DistanceMap::new(view.width, view.height, goals, walkable);
    map.path(from).into()
}
