//! `brogue serve`: every world of a data dir, headless, behind one UDP port — a community
//! server. One store and one saver thread serve them all; each world has its own core and
//! driver ([`driver::run_world`]); one listener's accept loop routes each arrival to the world
//! its `Hello` names (its invite code carries the name). A world whose tick panics stops alone:
//! its players are told, the rest play on, and the admin reads a `stopped:` line. Worlds are
//! made and started while it runs through the control socket ([`WorldRequest`]).

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use color_eyre::eyre::{self, WrapErr as _};
use game::{PlayerId, TickRate, World};
use host::{Checkpoint, Host, IssuedSecret};
use net::invite::{Invite, Secret};
use net::{Identity, KeyPin, Listener};
use store::Store;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use crate::central;
use crate::driver::{self, DriverParams, HostReport};
use crate::hosting::{self, HostOptions};
use crate::metrics::{self, Metrics};
use crate::reach::Reach;
use crate::saver::{Reader, Saver};

/// Above this many players a together world is warned about (docs/BENCHMARKS.md: 256 players
/// in one party overrun their ticks on two cores, a world of 256 parties does not).
const TOGETHER_PLAYERS: u16 = 64;

/// What the control socket asks of the server itself (not of one world).
#[derive(Debug)]
pub enum WorldRequest {
    /// Make world `name` (from `seed`, or a random one) and start it.
    New {
        name: String,
        seed: Option<u64>,
        tick_rate: TickRate,
        /// Newcomers start alone.
        parties: bool,
        reply: oneshot::Sender<Result<String, String>>,
    },
    /// Start world `name` of the save (one stopped by the admin, say).
    Start {
        name: String,
        reply: oneshot::Sender<Result<String, String>>,
    },
}

/// A world as the save holds it, ready to host.
type Loaded = (World, Vec<IssuedSecret>, Vec<PlayerId>);

/// What every world of the server shares.
struct Server<'a> {
    options: &'a HostOptions,
    identity: &'a Arc<Identity>,
    pin: KeyPin,
    addresses: watch::Receiver<Vec<SocketAddr>>,
    saver: Saver,
    doors: driver::Doors,
    listener: Arc<Listener>,
    refusals: driver::Refusals,
    metrics: Arc<Metrics>,
    started: Instant,
    shutdown: CancellationToken,
    running: JoinSet<HostReport>,
    /// Worlds whose driver has not ended yet (running, or stopping and saving).
    active: std::collections::BTreeSet<String>,
    syncs: Vec<JoinHandle<central::SyncStats>>,
}

impl Server<'_> {
    /// Starts hosting `world`; returns its invite code.
    async fn start_world(&mut self, (world, secrets, bans): Loaded) -> Option<String> {
        let name = world.name().to_owned();
        self.active.insert(name.clone());
        if world.together() && self.options.max_players > TOGETHER_PLAYERS {
            eprintln!(
                "note: world {name} is together (everyone shares one party): with more than \
                 {TOGETHER_PLAYERS} players each one is sent what all of them see; worlds made \
                 with `brogue world new NAME --parties` scale to {} (see docs/SERVING.md)",
                self.options.max_players
            );
        }
        let config = self.options.config(self.identity.id(), world.tick_rate());
        let mut core = Host::new(
            world,
            config,
            secrets,
            hosting::random_bytes(),
            driver::now(self.started),
        );
        core.set_bans(bans);
        while core.poll_event().is_some() {}
        let template = Invite {
            host: self.pin,
            addrs: self.addresses.borrow().clone(),
            secret: Secret([0; 16]),
            expires_at: 0,
            world: Some(name.clone()),
        };
        let current_secret = core.secrets().last().copied();
        let code = current_secret.map(|s| driver::invite_code(&template, &s));
        let (invites_tx, invites) = watch::channel(code.clone());
        let central = self.options.central.clone();
        let world_saver = self.saver.world(&name, central.is_some()).await;
        if let Some(c) = central {
            let (identity, world) = (self.identity.clone(), name.clone());
            let outbox = world_saver.outbox();
            let stop = self.shutdown.clone();
            self.syncs
                .push(tokio::spawn(central::run(c, identity, world, outbox, stop)));
        }
        let params = DriverParams {
            invite_template: Some(template),
            invites: invites_tx,
            current_secret,
            addresses: self.addresses.clone(),
            players: watch::channel(0).0,
            spectators: watch::channel(Vec::new()).0,
            started: self.started,
            panic_at: driver::panic_at(&name),
            metrics: self.metrics.world(&name),
        };
        let (doors, lanes) = (self.doors.clone(), self.listener.lanes());
        let (refusals, stop) = (self.refusals.clone(), self.shutdown.child_token());
        self.running.spawn(async move {
            driver::run_world(core, world_saver, params, &doors, lanes, refusals, stop).await
        });
        tokio::spawn(print_invites(name, invites));
        code
    }

    /// Makes or starts a world while serving, as the admin asked.
    async fn on_request(&mut self, request: WorldRequest) {
        let reader = self.saver.reader();
        let (name, reply, loaded) = match request {
            WorldRequest::New {
                name,
                seed,
                tick_rate,
                parties,
                reply,
            } => {
                let loaded = reader
                    .read(move |store| {
                        create(store, &name, seed, tick_rate, parties).map(|w| (name, w))
                    })
                    .await;
                match loaded {
                    Some(Ok((name, world))) => (name, reply, Ok((world, Vec::new(), Vec::new()))),
                    Some(Err(e)) => {
                        let _ = reply.send(Err(e));
                        return;
                    }
                    None => {
                        let _ = reply.send(Err("the save is being reopened: try again".into()));
                        return;
                    }
                }
            }
            WorldRequest::Start { name, reply } => {
                if self.doors.worlds().contains(&name) {
                    let _ = reply.send(Err(format!("world {name} is running already")));
                    return;
                }
                if self.active.contains(&name) {
                    let why = format!("world {name} is still stopping: try again in a moment");
                    let _ = reply.send(Err(why));
                    return;
                }
                let n = name.clone();
                let loaded = reader.read(move |store| load(store, &n)).await;
                let loaded = loaded.unwrap_or_else(|| Err("the save is being reopened".into()));
                (name, reply, loaded)
            }
        };
        let answer = match loaded {
            Ok(loaded) => {
                let code = self.start_world(loaded).await;
                if let Some(code) = &code {
                    println!("invite: {code} world: {name}");
                }
                Ok(format!(
                    "world {name} is running; invite: {}",
                    code.unwrap_or_default()
                ))
            }
            Err(e) => Err(e),
        };
        let _ = reply.send(answer);
    }
}

/// Makes world `name` in `store` (see `worlds::create` for the rules).
fn create(
    store: &Store,
    name: &str,
    seed: Option<u64>,
    tick_rate: TickRate,
    parties: bool,
) -> Result<World, String> {
    crate::worlds::check_name(name).map_err(|e| e.to_string())?;
    if store
        .end_of_journal(name)
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Err(format!("there is a world called {name} already"));
    }
    let world = hosting::new_world(name, seed, tick_rate, parties);
    store
        .create_world(&Checkpoint::of(&world))
        .map_err(|e| e.to_string())?;
    Ok(world)
}

/// World `name` of `store`, with its invite secrets and bans.
fn load(store: &Store, name: &str) -> Result<Loaded, String> {
    let world = store
        .load_world(name)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("the save has no world called {name}"))?;
    let secrets = store.invite_secrets(name).map_err(|e| e.to_string())?;
    let bans = store.bans(name).map_err(|e| e.to_string())?;
    Ok((world, secrets, bans))
}

/// Hosts every world of `data_dir` with `options` (its `world`, `seed` and `lan` are not
/// used) until `stop` resolves, with Prometheus metrics at `metrics_at` if given; prints what
/// tools read (see the module doc) on stdout.
pub async fn run(
    options: &HostOptions,
    identity: &Arc<Identity>,
    data_dir: &Path,
    metrics_at: Option<SocketAddr>,
    stop: impl Future<Output = std::io::Result<()>>,
) -> eyre::Result<()> {
    let path = data_dir.join(store::FILE_NAME);
    let store = Store::open(&path)?;
    if store.was_repaired() {
        println!("repaired: {} was not closed cleanly", path.display());
    }
    let names: Vec<String> = store.worlds()?.into_iter().map(|w| w.name).collect();
    eyre::ensure!(
        !names.is_empty(),
        "{} has no worlds to serve: make one with `brogue --data-dir {} world new NAME`",
        data_dir.display(),
        data_dir.display()
    );
    let worlds: Vec<Loaded> = names
        .iter()
        .map(|name| load(&store, name).map_err(|e| eyre::eyre!(e)))
        .collect::<eyre::Result<_>>()?;
    let metrics = Arc::new(Metrics::new());
    let metrics_listener = match metrics_at {
        Some(addr) => Some(metrics::bind(addr).await?),
        None => None,
    };
    let listener = Arc::new(Listener::bind(options.bind, identity)?);
    let addr = listener.local_addr();
    let shutdown = CancellationToken::new();
    let lan_addrs = hosting::invite_addresses(addr)
        .into_iter()
        .map(|ip| SocketAddr::new(ip, addr.port()))
        .collect();
    let reach = Reach::start(addr, lan_addrs, &options.reach, shutdown.clone()).await?;
    let mut server = Server {
        options,
        identity,
        pin: KeyPin::of(&identity.id()),
        addresses: reach.addresses.clone(),
        saver: Saver::start(store, path),
        doors: driver::Doors::default(),
        listener: listener.clone(),
        refusals: driver::refusals(),
        metrics: metrics.clone(),
        started: Instant::now(),
        shutdown: shutdown.clone(),
        running: JoinSet::new(),
        active: Default::default(),
        syncs: Vec::new(),
    };
    let mut out = Vec::new();
    for loaded in worlds {
        let name = loaded.0.name().to_owned();
        out.push((name, server.start_world(loaded).await));
    }
    let accept = tokio::spawn(driver::accept_loop(
        listener.clone(),
        server.doors.clone(),
        server.refusals.clone(),
        metrics.clone(),
        shutdown.clone(),
    ));
    let (requests_tx, mut requests) = mpsc::channel(8);
    let control = control(data_dir, &server, requests_tx).await?;
    let metrics_task = metrics_listener.map(|l| {
        if let Ok(addr) = l.local_addr() {
            println!("metrics: http://{addr}/metrics");
        }
        tokio::spawn(metrics::serve(l, metrics.clone(), shutdown.clone()))
    });
    for (name, code) in &out {
        if let Some(code) = code {
            println!("invite: {code} world: {name}");
        }
    }
    println!("listening: {addr}");
    println!("key: {}", crate::join::fingerprint(&server.pin));
    {
        let reach = reach.reachability.borrow();
        println!("reachability: {} {}", reach.verdict(), *reach);
    }
    tracing::info!(worlds = out.len(), %addr, "serving");
    let mut reports = Vec::new();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            r = &mut stop => {
                r.wrap_err("waiting for a signal to stop")?;
                break;
            }
            Some(request) = requests.recv() => server.on_request(request).await,
            Some(done) = server.running.join_next() => match done {
                Ok(report) => {
                    server.active.remove(&report.world);
                    if report.crashed.is_some() {
                        say_stopped(&report);
                    } else {
                        println!(
                            "stopped: {} by the admin, saved: tick {} state {}",
                            report.world, report.tick.0, report.hash
                        );
                    }
                    reports.push(report);
                }
                Err(e) => tracing::error!("a world's driver failed: {e}"),
            },
        }
    }
    tracing::info!("stopping every world");
    shutdown.cancel();
    while let Some(done) = server.running.join_next().await {
        match done {
            Ok(report) => {
                if report.crashed.is_none() {
                    println!(
                        "saved: {} tick {} state {}",
                        report.world, report.tick.0, report.hash
                    );
                } else {
                    say_stopped(&report);
                }
                reports.push(report);
            }
            Err(e) => tracing::error!("a world's driver failed: {e}"),
        }
    }
    accept.abort();
    if let Some(control) = control {
        let _ = control.await;
    }
    if let Some(task) = metrics_task {
        let _ = task.await;
    }
    listener.close(host::CLOSING);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), listener.wait_idle()).await;
    reach.finish().await;
    for sync in server.syncs {
        let _ = sync.await;
    }
    let closed = server.saver.close().await;
    let unsaved: Vec<String> = reports
        .iter()
        .filter_map(|r| r.save_error.clone())
        .chain(closed.err())
        .collect();
    eyre::ensure!(
        unsaved.is_empty(),
        "not everything could be saved: {}. Free some space (or fix the disk) and serve \
         again: each world resumes from the last tick that was written",
        unsaved.join("; ")
    );
    Ok(())
}

/// The control socket (on Unix; elsewhere there is none).
async fn control(
    data_dir: &Path,
    server: &Server<'_>,
    requests: mpsc::Sender<WorldRequest>,
) -> eyre::Result<Option<JoinHandle<()>>> {
    #[cfg(unix)]
    {
        let reader: Reader = server.saver.reader();
        let doors = server.doors.clone();
        let stop = server.shutdown.clone();
        Ok(Some(
            crate::admin::listen(data_dir, doors, reader, requests, stop).await?,
        ))
    }
    #[cfg(not(unix))]
    {
        let _ = (data_dir, server, requests);
        Ok(None)
    }
}

/// Prints a world's new invite codes as they are issued (renewals, new addresses).
async fn print_invites(name: String, mut invites: watch::Receiver<Option<String>>) {
    invites.borrow_and_update();
    while invites.changed().await.is_ok() {
        if let Some(code) = invites.borrow_and_update().clone() {
            println!("invite: {code} world: {name}");
        }
    }
}

/// The line an admin reads when a world stopped by itself.
fn say_stopped(report: &HostReport) {
    if let Some(why) = &report.crashed {
        println!(
            "stopped: {} after an internal error ({why}); its journal is kept through tick {}, \
             the other worlds play on",
            report.world, report.tick.0
        );
    }
}
