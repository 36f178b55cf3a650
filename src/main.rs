//! `brogue`: one binary that plays, hosts and joins.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use brogue::cli::{Cli, Command, DEFAULT_PORT, DEFAULT_WORLD};
use brogue::hosting::{HostOptions, Hosting};
use brogue::play::{self, Player, Start};
use brogue::{bots, paths};
use clap::Parser;
use color_eyre::eyre::{self, WrapErr as _};
use game::TickRate;
use net::{Identity, Invite};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = color_eyre::install() {
        eprintln!("brogue: {e}");
    }
    // Every TLS config names ring explicitly; installing it process-wide as well means no
    // library can ever panic on an ambiguous provider.
    net::tls::install_default_provider();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("start the async runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("brogue: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> eyre::Result<()> {
    let data_dir = paths::data_dir(cli.data_dir)?;
    std::fs::create_dir_all(&data_dir)
        .wrap_err_with(|| format!("cannot create the data dir {}", data_dir.display()))?;
    let no_tui = matches!(&cli.command, Some(Command::Host(h)) if h.headless)
        || matches!(&cli.command, Some(Command::Bots(_)));
    let _log = init_logging(&data_dir, no_tui)?;
    let identity = Arc::new(Identity::load_or_create(&paths::identity(&data_dir))?);
    tracing::info!(player = %identity.id().short(), data_dir = %data_dir.display(), "brogue starting");
    let default_host = HostOptions {
        world: DEFAULT_WORLD.to_owned(),
        seed: None,
        bind: SocketAddr::from(([0, 0, 0, 0], DEFAULT_PORT)),
        tick_rate: TickRate::DEFAULT,
        max_players: 8,
        invites: true,
    };
    let player = |name: Option<String>, class| Player {
        identity: identity.clone(),
        data_dir: data_dir.clone(),
        name: name.unwrap_or_else(default_name),
        class,
    };
    match cli.command {
        None => {
            let outcome = play::run(player(None, None), Start::Menu, default_host).await?;
            finish(outcome)
        }
        Some(Command::Solo(args)) => {
            let options = HostOptions::solo(args.world, args.seed);
            let hosting = Hosting::start(&options, &identity, &data_dir).await?;
            let me = player(args.character.name, args.character.class);
            finish(play::run(me, Start::Hosted(hosting), default_host).await?)
        }
        Some(Command::Host(args)) => {
            let options = HostOptions {
                world: args.world,
                seed: args.seed,
                bind: SocketAddr::new(args.bind, args.port),
                tick_rate: TickRate::new(args.tick_rate).expect("clap checked the range"),
                max_players: args.max_players,
                invites: true,
            };
            let hosting = Hosting::start(&options, &identity, &data_dir).await?;
            announce(&hosting)?;
            if args.headless {
                return headless(hosting).await;
            }
            let me = player(args.character.name, args.character.class);
            finish(play::run(me, Start::Hosted(hosting), default_host).await?)
        }
        Some(Command::Join(args)) => {
            let invite = Invite::parse(&args.code)?;
            let me = player(args.character.name, args.character.class);
            finish(play::run(me, Start::Join(invite), default_host).await?)
        }
        Some(Command::Bots(args)) => {
            let invite = Invite::parse(&args.code)?;
            eyre::ensure!(
                args.duration.is_finite() && args.duration > 0.0 && args.duration <= 3600.0,
                "--duration must be between 0 and 3600 seconds"
            );
            let report = bots::run(
                &invite,
                usize::from(args.count),
                Duration::from_secs_f64(args.duration),
                &data_dir,
            )
            .await?;
            if args.json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print_bots(&report);
            }
            Ok(())
        }
    }
}

/// The lines tools and tests read as soon as the host listens.
fn announce(hosting: &Hosting) -> eyre::Result<()> {
    let mut out = std::io::stdout().lock();
    if let Some(code) = hosting.invite() {
        writeln!(out, "invite: {code}")?;
    }
    writeln!(out, "world: {} tick {}", hosting.world, hosting.tick.0)?;
    writeln!(out, "state: {}", hosting.hash)?;
    writeln!(out, "listening: {}", hosting.addr)?;
    out.flush()?;
    Ok(())
}

/// Runs a host without a terminal until SIGINT or SIGTERM, then saves and says goodbye.
async fn headless(mut hosting: Hosting) -> eyre::Result<()> {
    let mut invites = hosting.invites.clone();
    invites.borrow_and_update(); // already announced
    let stop = async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut term = signal(SignalKind::terminate())?;
            tokio::select! {
                r = tokio::signal::ctrl_c() => r?,
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c().await?;
        Ok::<(), std::io::Error>(())
    };
    tokio::pin!(stop);
    loop {
        tokio::select! {
            r = &mut stop => { r?; break; }
            Ok(()) = invites.changed() => {
                if let Some(code) = invites.borrow().clone() {
                    println!("invite: {code}");
                }
            }
        }
    }
    hosting.invites = invites;
    tracing::info!("stopping");
    let report = hosting.stop().await?;
    println!(
        "saved: {} tick {} state {}",
        report.world, report.tick.0, report.hash
    );
    Ok(())
}

fn finish(outcome: play::Outcome) -> eyre::Result<()> {
    if let Some(message) = outcome.message {
        println!("{message}");
    }
    Ok(())
}

fn print_bots(r: &bots::Report) {
    println!(
        "{} bots connected ({} returning) for {:.0} s",
        r.connected, r.returning, r.duration_s
    );
    println!(
        "actions: {} sent, {} acknowledged",
        r.actions_sent, r.actions_acked
    );
    println!(
        "latency: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        r.latency_ms.p50, r.latency_ms.p99, r.latency_ms.max
    );
    println!(
        "host→client: {:.0} bytes/s per bot; fewest other players seen: {}",
        r.bytes_per_client_per_s, r.min_players_seen
    );
    for e in &r.errors {
        println!("error: {e}");
    }
}

fn default_name() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok())
        .map(|n| game::text::sanitize(&n, game::world::MAX_NAME_CHARS))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "adventurer".to_owned())
}

/// Logs go to a file in the data dir (stdout belongs to the TUI); headless runs also log to
/// stderr. `RUST_LOG` filters as usual.
fn init_logging(
    data_dir: &Path,
    to_stderr: bool,
) -> eyre::Result<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let dir = paths::logs(data_dir);
    std::fs::create_dir_all(&dir)?;
    let file = tracing_appender::rolling::never(&dir, "brogue.log");
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter =
        || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,quinn=warn"));
    let file_layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .with_filter(filter());
    let stderr_layer = to_stderr.then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(filter())
    });
    tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr_layer)
        .try_init()
        .ok();
    Ok(guard)
}
