//! `brogue serve`: every world of a data dir, headless, behind one UDP port — a community
//! server. One store and one saver thread serve them all; each world has its own core and
//! driver ([`driver::run_world`]); one listener's accept loop routes each arrival to the world
//! its `Hello` names (its invite code carries the name). A world whose tick panics stops alone:
//! its players are told, the rest play on, and the admin reads a `stopped:` line.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use color_eyre::eyre::{self, WrapErr as _};
use host::Host;
use net::invite::{Invite, Secret};
use net::{Identity, KeyPin, Listener};
use store::Store;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::central;
use crate::driver::{self, DriverParams, HostReport};
use crate::hosting::{self, HostOptions};
use crate::metrics::{self, Metrics};
use crate::reach::Reach;
use crate::saver::Saver;

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
    let mut worlds = Vec::new();
    for name in &names {
        let world = store
            .load_world(name)?
            .ok_or_else(|| eyre::eyre!("world {name} vanished from the save"))?;
        worlds.push((world, store.invite_secrets(name)?, store.bans(name)?));
    }
    let metrics = Arc::new(Metrics::new());
    let metrics_listener = match metrics_at {
        Some(addr) => Some(metrics::bind(addr).await?),
        None => None,
    };
    let listener = Arc::new(Listener::bind(options.bind, identity)?);
    let addr = listener.local_addr();
    let pin = KeyPin::of(&identity.id());
    let shutdown = CancellationToken::new();
    let lan_addrs = hosting::invite_addresses(addr)
        .into_iter()
        .map(|ip| SocketAddr::new(ip, addr.port()))
        .collect();
    let reach = Reach::start(addr, lan_addrs, &options.reach, shutdown.clone()).await?;
    let saver = Saver::start(store, path);
    let doors = driver::Doors::default();
    let refusals = driver::refusals();
    let started = Instant::now();
    let mut running = JoinSet::new();
    let mut syncs = Vec::new();
    let mut out = Vec::new();
    for (world, secrets, bans) in worlds {
        let name = world.name().to_owned();
        let config = options.config(identity.id(), world.tick_rate());
        let mut core = Host::new(
            world,
            config,
            secrets,
            hosting::random_bytes(),
            driver::now(started),
        );
        core.set_bans(bans);
        while core.poll_event().is_some() {}
        let template = Invite {
            host: pin,
            addrs: reach.addresses.borrow().clone(),
            secret: Secret([0; 16]),
            expires_at: 0,
            world: Some(name.clone()),
        };
        let current_secret = core.secrets().last().copied();
        let code = current_secret.map(|s| driver::invite_code(&template, &s));
        let (invites_tx, invites) = watch::channel(code.clone());
        let world_saver = saver.world(&name, options.central.is_some()).await;
        if let Some(c) = options.central.clone() {
            let (identity, world, stop) = (identity.clone(), name.clone(), shutdown.clone());
            syncs.push(tokio::spawn(central::run(
                c,
                identity,
                world,
                world_saver.outbox(),
                stop,
            )));
        }
        let params = DriverParams {
            invite_template: Some(template),
            invites: invites_tx,
            current_secret,
            addresses: reach.addresses.clone(),
            players: watch::channel(0).0,
            spectators: watch::channel(Vec::new()).0,
            started,
            panic_at: driver::panic_at(&name),
            metrics: metrics.world(&name),
        };
        let (doors, lanes, refusals) = (doors.clone(), listener.lanes(), refusals.clone());
        let stop = shutdown.child_token();
        running.spawn(async move {
            driver::run_world(core, world_saver, params, &doors, lanes, refusals, stop).await
        });
        tokio::spawn(print_invites(name.clone(), invites));
        out.push((name, code));
    }
    let accept = tokio::spawn(driver::accept_loop(
        listener.clone(),
        doors.clone(),
        refusals,
        metrics.clone(),
        shutdown.clone(),
    ));
    #[cfg(unix)]
    let control =
        crate::admin::listen(data_dir, doors.clone(), saver.reader(), shutdown.clone()).await?;
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
    println!("key: {}", crate::join::fingerprint(&pin));
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
            Some(done) = running.join_next() => match done {
                Ok(report) => {
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
    while let Some(done) = running.join_next().await {
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
    #[cfg(unix)]
    let _ = control.await;
    if let Some(task) = metrics_task {
        let _ = task.await;
    }
    listener.close(host::CLOSING);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), listener.wait_idle()).await;
    reach.finish().await;
    for sync in syncs {
        let _ = sync.await;
    }
    let closed = saver.close().await;
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
