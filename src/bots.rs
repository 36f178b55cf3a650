//! `brogue bots`: headless players that join by invite code, explore and fight, and measure
//! what a player would feel: action latency, bytes received, who they see.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use color_eyre::eyre;
use game::protocol::{ClientMsg, EntityKind, MemberStatus};
use game::view::ClientView;
use game::{Action, Class, Dir, Pos, Tile};
use net::{Identity, Target};
use serde::Serialize;
use tokio::task::JoinSet;

use crate::session::{self, FromHost};

/// The JSON `brogue bots --json` prints.
#[derive(Debug, Serialize)]
pub struct Report {
    pub connected: usize,
    pub returning: usize,
    pub duration_s: f64,
    pub actions_sent: u64,
    pub actions_acked: u64,
    pub latency_ms: Latency,
    pub bytes_per_client_per_s: f64,
    pub min_players_seen: usize,
    pub errors: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
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
    others_seen: usize,
    error: Option<String>,
}

/// Runs `count` bots against the host at `target` for `duration`, presenting `secret` (from an
/// invite code) on first joins.
pub async fn run(
    target: &Target,
    secret: Option<[u8; 16]>,
    count: usize,
    duration: Duration,
    data_dir: &Path,
) -> eyre::Result<Report> {
    let deadline = Instant::now() + duration;
    let mut set = JoinSet::new();
    for i in 0..count {
        let path = data_dir.join("bots").join(format!("bot-{i}.key"));
        let identity = Arc::new(Identity::load_or_create(&path)?);
        let target = target.clone();
        set.spawn(async move { bot(i, identity, target, secret, deadline).await });
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
    Ok(Report {
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
        bytes_per_client_per_s: if connected.is_empty() {
            0.0
        } else {
            connected.iter().map(|r| r.rx_bytes as f64).sum::<f64>()
                / connected.len() as f64
                / secs.max(0.001)
        },
        min_players_seen: connected.iter().map(|r| r.others_seen).min().unwrap_or(0),
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
) -> BotRun {
    let mut run = BotRun::default();
    let name = format!("bot-{index}");
    let mut joined = match session::join(&identity, &target, &name, secret).await {
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
    let mut brain = Brain::new(index as u64);
    let mut seq: u32 = 0;
    let mut in_flight: Option<(u32, Instant)> = None;
    let mut ready_at = Instant::now();
    let mut asked_for_character = false;
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        // Act when the character is ready and the previous action was seen to start.
        if in_flight.is_none() && now >= ready_at {
            let msg = if view.me.is_none() {
                (!asked_for_character).then_some(ClientMsg::CreateCharacter { class })
            } else {
                seq += 1;
                Some(ClientMsg::Act {
                    seq,
                    action: brain.choose(&view),
                })
            };
            if let Some(msg) = msg {
                if let ClientMsg::Act { seq, .. } = msg {
                    in_flight = Some((seq, Instant::now()));
                    run.sent += 1;
                } else {
                    asked_for_character = true;
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
        match from_host {
            Some(FromHost::Update(update)) => {
                let received = Instant::now();
                if let Err(e) = view.apply(*update) {
                    run.error = Some(format!("bad update: {e}"));
                    break;
                }
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
                // A person presses keys at no particular moment: send at a random phase of
                // the tick after the character is ready, not locked to the host's tick.
                let busy = view.me.as_ref().map_or(0, |m| u32::from(m.busy));
                let phase = tick.mul_f64(brain.roll(1000) as f64 / 1000.0);
                ready_at = received + tick * busy + phase;
                let others = view
                    .party
                    .iter()
                    .filter(|m| !m.is_you && m.status != MemberStatus::Away)
                    .count();
                run.others_seen = run.others_seen.max(others);
            }
            Some(FromHost::Closed(reason)) => {
                run.error = Some(format!("disconnected: {reason}"));
                break;
            }
            None => break,
        }
    }
    run.rx_bytes = joined.handle.rx_bytes();
    joined.leave().await;
    run
}

/// A bot's decisions: fight what is adjacent, otherwise walk to the nearest unexplored edge.
struct Brain {
    rng: u64,
    path: VecDeque<Pos>,
}

impl Brain {
    fn new(seed: u64) -> Brain {
        Brain {
            rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            path: VecDeque::new(),
        }
    }

    fn roll(&mut self, n: u64) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % n
    }

    fn choose(&mut self, view: &ClientView) -> Action {
        let Some(me) = view.me.as_ref() else {
            return Action::Wait;
        };
        if me.downed.is_some() {
            return Action::Wait;
        }
        let monster_next_to_me = view
            .entities
            .iter()
            .find(|e| matches!(e.kind, EntityKind::Monster(_)) && e.pos.is_adjacent(me.pos));
        if let Some(m) = monster_next_to_me {
            self.path.clear();
            return Action::Move(Dir::toward(me.pos, m.pos).unwrap_or(Dir::N));
        }
        if self.path.front() == Some(&me.pos) {
            self.path.pop_front();
        }
        let next_ok = self
            .path
            .front()
            .is_some_and(|p| p.is_adjacent(me.pos) && view.entity_at(*p).is_none());
        if !next_ok {
            self.path = frontier_path(view, me.pos);
        }
        match self.path.front() {
            Some(next) => Action::Move(Dir::toward(me.pos, *next).unwrap_or(Dir::N)),
            None => Action::Move(Dir::ALL[self.roll(8) as usize]),
        }
    }
}

/// The shortest known path from `from` to a walkable cell next to unexplored space.
fn frontier_path(view: &ClientView, from: Pos) -> VecDeque<Pos> {
    let walkable = |p: Pos| {
        matches!(view.tile(p), Some(t) if t.is_walkable() || t == Tile::DoorClosed)
            && (p == from || view.entity_at(p).is_none())
    };
    let frontier = |p: Pos| Dir::ALL.iter().any(|d| view.tile(p.step(*d)).is_none());
    let mut parent = std::collections::BTreeMap::from([(from, from)]);
    let mut queue = VecDeque::from([from]);
    while let Some(p) = queue.pop_front() {
        if p != from && frontier(p) {
            let mut path = VecDeque::from([p]);
            let mut at = p;
            while parent[&at] != from {
                at = parent[&at];
                path.push_front(at);
            }
            return path;
        }
        for d in Dir::ALL {
            let n = p.step(d);
            if !parent.contains_key(&n) && walkable(n) {
                parent.insert(n, p);
                queue.push_back(n);
            }
        }
    }
    VecDeque::new()
}
