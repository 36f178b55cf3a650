//! Starting a host: open the save, load or create the world, issue an invite, bind the
//! endpoint, and spawn the host loop. Solo, host-and-play and headless all come through here;
//! they differ only in the address bound and whether invites are issued.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use color_eyre::eyre::{self, WrapErr as _};
use game::{StateHash, Tick, TickRate, World};
use host::{Checkpoint, Config, Host};
use net::discovery::{Announcement, Announcer, Interfaces};
use net::invite::{Invite, Secret};
use net::portmap::Reachability;
use net::{Identity, KeyPin, Listener, Target};
use store::Store;
use store::central::Central;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::central;
use crate::driver::{self, DriverParams, HostReport};
use crate::reach::{Reach, ReachOptions};
use crate::saver::Saver;

/// How often the whole world is checkpointed while playing (the journal holds every tick).
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(5);

/// What to host.
#[derive(Clone, Debug)]
pub struct HostOptions {
    pub world: String,
    /// For a new world; an existing world keeps its seed.
    pub seed: Option<u64>,
    pub bind: SocketAddr,
    pub tick_rate: TickRate,
    pub max_players: u16,
    /// Issue an invite code (false for solo: nobody else may join).
    pub invites: bool,
    /// Announce the game on the LAN.
    pub lan: Option<LanOptions>,
    /// Anyone who reaches the host may join without a code (`serve --open`; `--lan-open`
    /// sets it too).
    pub open: bool,
    /// The host player's name, for the LAN announcement.
    pub host_name: String,
    /// The central leaderboard to send this world's facts to.
    pub central: Option<Central>,
    /// New keys one invite code may admit.
    pub max_new_per_code: u32,
    /// Port mapping on the router and addresses given by hand.
    pub reach: ReachOptions,
    /// Most spectators at once (0: nobody may watch).
    pub max_spectators: u16,
    /// Spectators may chat.
    pub spectators_chat: bool,
    /// A world this host makes starts each newcomer alone (`--parties`).
    pub parties: bool,
}

/// New keys one invite code admits unless told otherwise.
pub const MAX_NEW_PER_CODE: u32 = 16;
/// Spectators a host takes unless told otherwise.
pub const MAX_SPECTATORS: u16 = 8;

/// How to announce a game on the LAN.
#[derive(Clone, Debug)]
pub struct LanOptions {
    /// Players may join without an invite code.
    pub open: bool,
    pub interfaces: Interfaces,
}

impl HostOptions {
    /// The core's configuration for a world ticking at `tick_rate`, hosted with key `host`.
    pub fn config(&self, host: game::PlayerId, tick_rate: TickRate) -> Config {
        Config {
            host_player: host,
            max_players: self.max_players,
            invites: self.invites,
            open: self.open || self.lan.as_ref().is_some_and(|l| l.open),
            tick_rate,
            checkpoint_every: CHECKPOINT_EVERY,
            max_new_per_code: self.max_new_per_code,
            max_spectators: self.max_spectators,
            spectators_chat: self.spectators_chat,
            ..Config::new(host)
        }
    }

    /// Solo: the same host, on loopback, without invites.
    pub fn solo(world: String, seed: Option<u64>) -> HostOptions {
        HostOptions {
            world,
            seed,
            bind: (Ipv4Addr::LOCALHOST, 0).into(),
            tick_rate: TickRate::DEFAULT,
            max_players: 1,
            invites: false,
            lan: None,
            open: false,
            host_name: String::new(),
            central: None,
            max_new_per_code: MAX_NEW_PER_CODE,
            reach: ReachOptions::default(),
            max_spectators: MAX_SPECTATORS,
            spectators_chat: false,
            parties: false,
        }
    }
}

/// A running host.
#[derive(Debug)]
pub struct Hosting {
    pub world: String,
    /// The world's tick and state hash when hosting began.
    pub tick: Tick,
    pub hash: StateHash,
    pub seed: u64,
    /// True when the world was created now rather than loaded.
    pub created: bool,
    /// The save, when it was not closed cleanly and had to be repaired on open.
    pub repaired: Option<PathBuf>,
    /// Why `--seed` or `--parties` was not used (the world existed already).
    pub options_ignored: Option<String>,
    /// The address the endpoint is bound to.
    pub addr: SocketAddr,
    /// Where a player on this machine dials, with the host's pin.
    pub local: Target,
    /// The current invite code, if invites are issued (changes when renewed).
    pub invites: watch::Receiver<Option<String>>,
    /// The host key's full fingerprint, for players to compare.
    pub fingerprint: String,
    /// The LAN announcement's name, when announced.
    pub announced_as: Option<String>,
    /// Who can join (the router's answer, kept current).
    pub reachability: watch::Receiver<Reachability>,
    /// Who is watching, by name.
    pub spectators: watch::Receiver<Vec<String>>,
    reach: Reach,
    shutdown: CancellationToken,
    task: JoinHandle<HostReport>,
    lan: Option<JoinHandle<()>>,
    sync: Option<JoinHandle<central::SyncStats>>,
    saver: Saver,
}

impl Hosting {
    pub async fn start(
        options: &HostOptions,
        identity: &Arc<Identity>,
        data_dir: &Path,
    ) -> eyre::Result<Hosting> {
        let path = data_dir.join(store::FILE_NAME);
        let store = Store::open(&path)?;
        let repaired = store.was_repaired().then(|| path.clone());
        if let Some(p) = &repaired {
            tracing::warn!("save was not closed cleanly; repaired: {}", p.display());
        }
        let name = game::text::sanitize(&options.world, 40);
        eyre::ensure!(!name.is_empty(), "the world needs a name (--world NAME)");
        let (world, created) = match store.load_world(&name)? {
            Some(world) => (world, false),
            None => {
                let world = new_world(&name, options.seed, options.tick_rate, options.parties);
                store.create_world(&Checkpoint::of(&world))?;
                (world, true)
            }
        };
        let seed_note = (!created)
            .then(|| options.seed.filter(|s| *s != world.seed()))
            .flatten()
            .map(|seed| {
                format!(
                    "world {name} already exists (seed {}): --seed {seed} is ignored; a new \
                     --world NAME makes a new dungeon",
                    world.seed()
                )
            });
        let parties_note = (!created && options.parties && world.together()).then(|| {
            format!(
                "world {name} already exists and is together (everyone in one party): \
                 --parties applies only to a world being made"
            )
        });
        let notes: Vec<String> = seed_note.into_iter().chain(parties_note).collect();
        let options_ignored = (!notes.is_empty()).then(|| notes.join("; "));
        if let Some(note) = &options_ignored {
            tracing::warn!("{note}");
        }
        let listener = Listener::bind(options.bind, identity)?;
        let addr = listener.local_addr();
        let pin = KeyPin::of(&identity.id());
        let started = Instant::now();
        let config = options.config(identity.id(), options.tick_rate);
        let secrets = if options.invites {
            store.invite_secrets(&name)?
        } else {
            Vec::new()
        };
        let mut core = Host::new(world, config, secrets, random_bytes(), driver::now(started));
        core.set_bans(store.bans(&name)?);
        let shutdown = CancellationToken::new();
        let lan_addrs = invite_addresses(addr)
            .into_iter()
            .map(|ip| SocketAddr::new(ip, addr.port()))
            .collect();
        let reach = Reach::start(addr, lan_addrs, &options.reach, shutdown.clone()).await?;
        // Whatever the core issued at start is written by the saver with everything else.
        let template = options.invites.then(|| Invite {
            host: pin,
            addrs: reach.addresses.borrow().clone(),
            secret: Secret([0; 16]),
            expires_at: 0,
            world: None,
        });
        let current_secret = core.secrets().last().copied();
        let first_code = template
            .as_ref()
            .and_then(|t| current_secret.map(|s| driver::invite_code(t, &s)));
        // At start the only events are secrets just issued; the code above already uses them.
        while core.poll_event().is_some() {}
        let (invite_tx, invites) = watch::channel(first_code);
        let (players_tx, players_rx) = watch::channel(0u16);
        let (spectators_tx, spectators) = watch::channel(Vec::new());
        let (lan, announced_as) = match &options.lan {
            Some(lan) => {
                let announcement = Announcement {
                    world: name.clone(),
                    host_name: options.host_name.clone(),
                    players: 0,
                    max_players: options.max_players,
                    open: lan.open,
                    pin,
                };
                let ip = (!addr.ip().is_unspecified()).then_some(addr.ip());
                let announcer = Announcer::start(announcement, ip, addr.port(), &lan.interfaces)?;
                let label = announcer.name().to_owned();
                let task = tokio::spawn(announce(announcer, players_rx, shutdown.clone()));
                (Some(task), Some(label))
            }
            None => (None, None),
        };
        let params = DriverParams {
            invite_template: template,
            invites: invite_tx,
            current_secret,
            addresses: reach.addresses.clone(),
            players: players_tx,
            spectators: spectators_tx,
            started,
            panic_at: driver::panic_at(&name),
            // Nobody reads a one-world host's metrics yet; they cost a few atomics a tick.
            metrics: Arc::new(crate::metrics::Metrics::new()).world(&name),
        };
        let (tick, hash, seed) = (
            core.world().tick(),
            core.world().state_hash(),
            core.world().seed(),
        );
        let saver = Saver::start(store, path);
        let world_saver = saver.world(&name, options.central.is_some()).await;
        let sync = options.central.clone().map(|c| {
            tracing::info!("sending leaderboard facts to {}", c.at());
            let outbox = world_saver.outbox();
            let (identity, world, stop) = (identity.clone(), name.clone(), shutdown.clone());
            tokio::spawn(central::run(c, identity, world, outbox, stop))
        });
        let task = tokio::spawn(driver::run(
            listener,
            core,
            world_saver,
            params,
            shutdown.clone(),
        ));
        Ok(Hosting {
            world: name,
            tick,
            hash,
            seed,
            created,
            repaired,
            options_ignored,
            addr,
            local: Target {
                addrs: vec![local_dial_address(addr)],
                pin,
                world: None,
            },
            invites,
            fingerprint: crate::join::fingerprint(&pin),
            announced_as,
            reachability: reach.reachability.clone(),
            spectators,
            reach,
            shutdown,
            task,
            lan,
            sync,
            saver,
        })
    }

    /// Whether the world stopped by itself (a panic in its tick): [`Hosting::stop`] says why.
    pub fn has_stopped(&self) -> bool {
        self.task.is_finished()
    }

    /// The invite code to share now, if any.
    pub fn invite(&self) -> Option<String> {
        self.invites.borrow().clone()
    }

    /// Stops the host: players are told, the world is saved, the LAN announcement withdrawn.
    pub async fn stop(self) -> eyre::Result<HostReport> {
        self.shutdown.cancel();
        let mut report = self.task.await.wrap_err("the host task failed")?;
        if let Some(lan) = self.lan {
            let _ = lan.await;
        }
        self.reach.finish().await;
        if let Some(sync) = self.sync
            && let Ok(stats) = sync.await
        {
            tracing::info!(
                "leaderboard sync: {} facts sent in {} batches over {} connections",
                stats.sent,
                stats.batches,
                stats.connects
            );
        }
        // The central sync is done with the outbox: the store may close.
        if let Err(e) = self.saver.close().await {
            report.save_error.get_or_insert(e);
        }
        if let Some(why) = &report.crashed {
            eyre::bail!(
                "world {} stopped after an internal error ({why}); its journal is kept through \
                 tick {}: host it again to go on from there, and please report the error",
                report.world,
                report.tick.0
            );
        }
        if let Some(e) = &report.save_error {
            eyre::bail!(
                "the world could not be saved completely: {e}. Free some space (or fix the \
                 disk) and host again: the world resumes from the last tick that was written, \
                 which includes everything players were shown"
            );
        }
        tracing::info!("journal: {}", report.journal);
        Ok(report)
    }
}

/// Keeps the LAN announcement's player count current; withdraws it when hosting stops.
async fn announce(
    mut announcer: Announcer,
    mut players: watch::Receiver<u16>,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            changed = players.changed() => {
                if changed.is_err() {
                    break;
                }
                let n = *players.borrow_and_update();
                announcer.set_players(n);
            }
        }
    }
    // Unregistering waits for the goodbye packets: keep that off the async threads.
    let _ = tokio::task::spawn_blocking(move || announcer.stop()).await;
}

/// Addresses to put in an invite: the bound one, or, when bound to the unspecified address,
/// this machine's interface addresses (never loopback, never link-local IPv6 which needs a
/// scope). Falls back to loopback when there is nothing else.
pub fn invite_addresses(bound: SocketAddr) -> Vec<IpAddr> {
    if !bound.ip().is_unspecified() {
        return vec![bound.ip()];
    }
    let want_v6 = bound.is_ipv6();
    let mut addrs: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.ip())
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
        .filter(|ip| match ip {
            IpAddr::V4(_) => true,
            IpAddr::V6(v6) => want_v6 && (v6.segments()[0] & 0xffc0) != 0xfe80,
        })
        .collect();
    addrs.sort_by_key(|ip| (ip.is_ipv6(), *ip));
    addrs.dedup();
    if addrs.is_empty() {
        addrs.push(local_dial_address(bound).ip());
    }
    addrs
}

/// Where a player on this machine dials a host bound to `bound`.
pub fn local_dial_address(bound: SocketAddr) -> SocketAddr {
    let ip = match bound.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, bound.port())
}

/// A new world: from `seed` (a random one without), together unless `parties` (newcomers
/// start alone then, and form parties in game).
pub fn new_world(name: &str, seed: Option<u64>, tick_rate: TickRate, parties: bool) -> World {
    let world = World::new(name, seed.unwrap_or_else(random_seed), tick_rate);
    if parties { world.with_parties() } else { world }
}

pub fn random_seed() -> u64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the OS has randomness");
    u64::from_le_bytes(bytes) >> 16 // short enough to type back in
}

/// Entropy for the core's invite secrets.
pub fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS has randomness");
    bytes
}
