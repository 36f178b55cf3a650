//! `brogue`: one binary that plays, hosts and joins.

use std::io::{IsTerminal as _, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use brogue::cli::{Cli, Command, ConfigCommand, DEFAULT_PORT, DEFAULT_WORLD, WorldCommand};
use brogue::hosting::{HostOptions, Hosting, LanOptions};
use brogue::join::{JoinSpec, KnownHosts, Resolved, find_lan_game, lan_target};
use brogue::play::{self, Player, Start};
use brogue::reach::ReachOptions;
use brogue::{bots, paths};
use clap::Parser;
use color_eyre::eyre::{self, WrapErr as _};
use game::TickRate;
use net::discovery::{Browser, Interfaces, LanGame};
use net::{Identity, Invite};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Completions and the manual touch nothing: no data dir, no log.
    match &cli.command {
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory as _;
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "brogue",
                &mut std::io::stdout(),
            );
            return ExitCode::SUCCESS;
        }
        Some(Command::Man) => {
            use clap::CommandFactory as _;
            let man = clap_mangen::Man::new(Cli::command());
            return match man.render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("brogue: cannot write the manual: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        _ => {}
    }
    // Colour in panic reports only for a terminal, never into a redirected log.
    let theme = if std::io::stderr().is_terminal() {
        color_eyre::config::Theme::dark()
    } else {
        color_eyre::config::Theme::new()
    };
    if let Err(e) = color_eyre::config::HookBuilder::default()
        .theme(theme)
        .install()
    {
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
    if let Some(Command::Sim(args)) = &cli.command {
        return brogue::sim::main(args);
    }
    if let Some(Command::Config {
        what: ConfigCommand::Path,
    }) = &cli.command
    {
        println!("{}", brogue::config::path()?.display());
        return Ok(());
    }
    let config = brogue::config::load(&brogue::config::path()?)?;
    let data_dir = paths::data_dir(cli.data_dir.clone())?;
    std::fs::create_dir_all(&data_dir)
        .wrap_err_with(|| format!("cannot create the data dir {}", data_dir.display()))?;
    let no_tui = matches!(&cli.command, Some(Command::Host(h)) if h.headless)
        || matches!(
            &cli.command,
            Some(
                Command::Bots(_)
                    | Command::Lan(_)
                    | Command::Leaderboard(_)
                    | Command::Check(_)
                    | Command::Link(_)
                    | Command::Serve(_)
                    | Command::World { .. }
                    | Command::Worlds(_)
                    | Command::Admin(_)
            )
        )
        || matches!(&cli.command, Some(Command::Replay(r)) if r.check || r.command.is_some());
    let interfaces = if cli.lan_iface.is_empty() {
        Interfaces::All
    } else {
        Interfaces::Named(cli.lan_iface.clone())
    };
    let _log = init_logging(&data_dir, no_tui, &cli.log)?;
    // Listing LAN games and leaderboards needs no identity (and must not race others
    // creating one).
    if let Some(Command::Lan(args)) = &cli.command {
        return list_lan(args, &interfaces).await;
    }
    if let Some(Command::Link(args)) = &cli.command {
        return run_link(args).await;
    }
    if let Some(Command::Doctor(args)) = &cli.command {
        return brogue::doctor::run(args, &interfaces).await;
    }
    if let Some(Command::World {
        what:
            WorldCommand::New {
                name,
                seed,
                tick_rate,
                parties,
            },
    }) = &cli.command
    {
        let rate = TickRate::new(*tick_rate).expect("clap checked the range");
        match brogue::worlds::create(&data_dir, name, *seed, rate, *parties) {
            Ok(world) => println!("world: {} seed {}", world.name(), world.seed()),
            // A server holds the save: it makes the world and starts hosting it.
            Err(e) if brogue::admin::is_serving(&data_dir).await => {
                let command = brogue::admin::Command::NewWorld {
                    seed: *seed,
                    tick_rate: *tick_rate,
                    parties: *parties,
                };
                let reply = from_server(&data_dir, Some(name.clone()), command)
                    .await
                    .wrap_err_with(|| format!("{e}"))?;
                reply.said.iter().for_each(|l| println!("{l}"));
            }
            Err(e) => return Err(e),
        }
        return Ok(());
    }
    if let Some(Command::World { what }) = &cli.command
        && !matches!(what, WorldCommand::New { .. })
    {
        use brogue::worlds as w;
        let said = match what {
            WorldCommand::Delete { name, yes } => w::delete(&data_dir, name, *yes)?,
            WorldCommand::Rename { name, new_name } => w::rename(&data_dir, name, new_name)?,
            WorldCommand::Backup { name, file } => w::copy_out(&data_dir, name, file, false)?,
            WorldCommand::Export { name, file } => w::copy_out(&data_dir, name, file, true)?,
            WorldCommand::Restore { file, as_name } | WorldCommand::Import { file, as_name } => {
                w::copy_in(&data_dir, file, as_name.as_deref())?
            }
            WorldCommand::New { .. } => unreachable!("handled above"),
        };
        println!("{said}");
        return Ok(());
    }
    if let Some(Command::Worlds(args)) = &cli.command {
        let worlds = match brogue::worlds::list(&data_dir) {
            Ok(worlds) => worlds,
            // A server holds the save: it answers instead.
            Err(e) if brogue::admin::is_serving(&data_dir).await => {
                let reply = from_server(&data_dir, None, brogue::admin::Command::Worlds)
                    .await
                    .wrap_err_with(|| format!("{e}"))?;
                brogue::worlds::from_json(&reply.json.unwrap_or_default())
            }
            Err(e) => return Err(e),
        };
        if args.json {
            println!("{}", brogue::worlds::to_json(&worlds));
        } else {
            brogue::worlds::print(&worlds, brogue::driver::now_unix());
        }
        return Ok(());
    }
    if let Some(Command::Admin(args)) = &cli.command {
        return admin(&data_dir, args).await;
    }
    if let Some(Command::Check(args)) = &cli.command {
        return brogue::check::run(&data_dir, args.world.as_deref(), args.json);
    }
    if let Some(Command::Replay(args)) = &cli.command {
        return replay(args, &data_dir, &cli, &config);
    }
    if let Some(Command::Leaderboard(args)) = &cli.command {
        if let Some(file) = &args.verify {
            let global = args
                .global
                .then_some(args.central.leaderboard_url.as_deref());
            for line in brogue::leaderboard::verify(&data_dir, file, global).await? {
                println!("{line}");
            }
            return Ok(());
        }
        let boards = if args.global {
            let url = args.central.leaderboard_url.as_deref();
            let (boards, rejected) =
                brogue::leaderboard::global(url, args.world.as_deref()).await?;
            if rejected > 0 {
                eprintln!(
                    "note: {rejected} facts on the central board have signatures that do not \
                     verify (forged or damaged); they were left out"
                );
            }
            boards
        } else {
            match brogue::leaderboard::load(&data_dir, args.world.as_deref()) {
                Ok(boards) => boards,
                // A server holds the save: it answers instead.
                Err(e) if brogue::admin::is_serving(&data_dir).await => {
                    let command = brogue::admin::Command::Leaderboard;
                    let reply = from_server(&data_dir, args.world.clone(), command)
                        .await
                        .wrap_err_with(|| format!("{e}"))?;
                    match reply.json {
                        Some(json) if args.json => println!("{json}"),
                        _ => reply.said.iter().for_each(|l| println!("{l}")),
                    }
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        };
        if args.json {
            println!("{}", brogue::leaderboard::to_json(&boards));
        } else {
            brogue::leaderboard::print(&boards, args.global);
        }
        return Ok(());
    }
    let identity = Arc::new(Identity::load_or_create(&paths::identity(&data_dir))?);
    tracing::info!(player = %identity.id().short(), data_dir = %data_dir.display(), "brogue starting");
    // The menu's Host uses the central leaderboard from the environment, as `host` would.
    let central_env = std::env::var("BROGUE_LEADERBOARD_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let default_host = HostOptions {
        world: DEFAULT_WORLD.to_owned(),
        seed: None,
        bind: SocketAddr::from(([0, 0, 0, 0], DEFAULT_PORT)),
        tick_rate: TickRate::DEFAULT,
        max_players: 8,
        invites: true,
        lan: None,
        open: false,
        host_name: config.name.clone().unwrap_or_else(default_name),
        central: central_env
            .as_deref()
            .map(store::central::Central::from_url)
            .transpose()?,
        max_new_per_code: brogue::hosting::MAX_NEW_PER_CODE,
        reach: ReachOptions {
            port_mapping: true,
            public: Vec::new(),
        },
        max_spectators: brogue::hosting::MAX_SPECTATORS,
        spectators_chat: false,
        parties: false,
    };
    let appearance = appearance(&cli, &config);
    let player = |name: Option<String>, class: Option<game::Class>| Player {
        identity: identity.clone(),
        data_dir: data_dir.clone(),
        name: name
            .or_else(|| config.name.clone())
            .unwrap_or_else(default_name),
        class: class.or(config.class),
        interfaces: interfaces.clone(),
        central_url: central_env.clone(),
        appearance,
        mouse: !cli.no_mouse && config.mouse.unwrap_or(true),
        keys: config.keys.clone(),
    };
    match cli.command {
        None => {
            let outcome = play::run(player(None, None), Start::Menu, default_host).await?;
            finish(outcome)
        }
        Some(Command::Solo(args)) => {
            let options = HostOptions::solo(args.world, args.seed);
            let hosting = Hosting::start(&options, &identity, &data_dir).await?;
            if let Some(path) = &hosting.repaired {
                println!("repaired: {} was not closed cleanly", path.display());
            }
            let me = player(args.character.name, args.character.class);
            finish(play::run(me, Start::Hosted(Box::new(hosting)), default_host).await?)
        }
        Some(Command::Host(args)) => {
            let options = HostOptions {
                world: args.world,
                seed: args.seed,
                bind: SocketAddr::new(args.bind, args.port),
                tick_rate: TickRate::new(args.tick_rate).expect("clap checked the range"),
                max_players: args.max_players,
                max_spectators: if args.no_spectators {
                    0
                } else {
                    args.max_spectators
                },
                spectators_chat: args.spectators_chat,
                parties: args.parties,
                invites: true,
                open: false,
                lan: (args.lan || args.lan_open).then(|| LanOptions {
                    open: args.lan_open,
                    interfaces: interfaces.clone(),
                }),
                host_name: args
                    .character
                    .name
                    .clone()
                    .or_else(|| config.name.clone())
                    .unwrap_or_else(default_name),
                central: central(&args.central)?,
                max_new_per_code: args.max_new_per_code,
                reach: args.reach.options(),
            };
            let hosting = Hosting::start(&options, &identity, &data_dir).await?;
            let stop = args.headless.then(stop_signal).transpose()?;
            announce(&hosting)?;
            if let Some(stop) = stop {
                return headless(hosting, stop).await;
            }
            let me = player(args.character.name, args.character.class);
            finish(play::run(me, Start::Hosted(Box::new(hosting)), default_host).await?)
        }
        Some(Command::Serve(args)) => {
            let options = HostOptions {
                bind: SocketAddr::new(args.bind, args.port),
                open: args.open,
                max_players: args.max_players,
                max_spectators: args.max_spectators,
                central: central(&args.central)?,
                max_new_per_code: args.max_new_per_code,
                reach: args.reach.options(),
                ..default_host
            };
            let stop = stop_signal()?;
            brogue::serve::run(&options, &identity, &data_dir, args.metrics, stop).await
        }
        Some(command @ (Command::Join(_) | Command::Watch(_))) => {
            let (code, lan, link, name, class, role) = match command {
                Command::Join(a) => (
                    a.code,
                    a.lan,
                    a.link,
                    a.character.name,
                    a.character.class,
                    play::Role::Play,
                ),
                Command::Watch(a) => (
                    a.code,
                    a.lan,
                    a.link,
                    a.name,
                    None,
                    play::Role::Watch { follow: a.follow },
                ),
                _ => unreachable!("matched above"),
            };
            let resolved = match (&code, &lan) {
                (Some(code), _) => JoinSpec::parse(code)
                    .and_then(|spec| spec.resolve(&KnownHosts::load(&data_dir)))
                    .map_err(|e| eyre::eyre!(e))?,
                (None, Some(world)) => {
                    let game = find_lan_game(&interfaces, world, LAN_WAIT).await?;
                    Resolved {
                        target: lan_target(&game),
                        secret: None,
                    }
                }
                (None, None) => unreachable!("clap requires a code or --lan"),
            };
            eyre::ensure!(
                !resolved.target.pin.matches(&identity.id()),
                brogue::play::OWN_IDENTITY
            );
            // Kept alive for the whole game.
            let (resolved, _relay) = match link {
                Some(spec) => {
                    let (target, relay) = brogue::link::through(spec, &resolved.target).await?;
                    (Resolved { target, ..resolved }, Some(relay))
                }
                None => (resolved, None),
            };
            let me = player(name, class);
            finish(play::run(me, Start::Join(resolved, role), default_host).await?)
        }
        Some(
            Command::Lan(_)
            | Command::Leaderboard(_)
            | Command::Check(_)
            | Command::Replay(_)
            | Command::Sim(_)
            | Command::Doctor(_)
            | Command::Link(_)
            | Command::Completions { .. }
            | Command::Man
            | Command::Config { .. }
            | Command::World { .. }
            | Command::Worlds(_)
            | Command::Admin(_),
        ) => {
            unreachable!("handled before the identity is loaded")
        }
        Some(Command::Bots(args)) => {
            eyre::ensure!(
                args.duration.is_finite() && args.duration > 0.0 && args.duration <= 3600.0,
                "--duration must be between 0 and 3600 seconds"
            );
            let (target, secret) = match (&args.code, &args.lan) {
                (Some(code), _) => {
                    let invite = Invite::parse(code)?;
                    (net::Target::from_invite(&invite), Some(invite.secret.0))
                }
                (None, Some(world)) => (
                    lan_target(&find_lan_game(&interfaces, world, LAN_WAIT).await?),
                    None,
                ),
                (None, None) => unreachable!("clap requires a code or --lan"),
            };
            let (target, _relay) = match args.link.clone() {
                Some(spec) => {
                    let (target, relay) = brogue::link::through(spec, &target).await?;
                    (target, Some(relay))
                }
                None => (target, None),
            };
            let report = bots::run(
                &target,
                secret,
                usize::from(args.count),
                Duration::from_secs_f64(args.duration),
                args.mode,
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

/// `brogue link`: a relay with the given link in front of the code's host, until Ctrl-C.
/// Theme and glyphs: the flags, else the config file, else what NO_COLOR asks for.
fn appearance(cli: &Cli, config: &brogue::config::Config) -> ui::appearance::Appearance {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    ui::appearance::Appearance::choose(
        cli.theme.or(config.theme),
        cli.glyphs.or(config.glyphs),
        no_color,
    )
}

/// `brogue replay …`: export, check, or watch in the terminal.
fn replay(
    args: &brogue::cli::ReplayArgs,
    data_dir: &Path,
    cli: &Cli,
    config: &brogue::config::Config,
) -> eyre::Result<()> {
    use brogue::cli::ReplayCommand;
    match (&args.command, &args.file) {
        (Some(ReplayCommand::Export(e)), _) => {
            brogue::replay::export(data_dir, &e.world, e.from, e.to, &e.file)
        }
        (None, Some(file)) if args.check => brogue::replay::check(file),
        (None, Some(file)) => {
            brogue::replay::watch(file, args.follow.as_deref(), appearance(cli, config))
        }
        (None, None) => unreachable!("clap requires a file or export"),
    }
}

async fn run_link(args: &brogue::cli::LinkArgs) -> eyre::Result<()> {
    let invite = Invite::parse(&args.code)?;
    let target = net::Target::from_invite(&invite);
    let (through, relay) = brogue::link::through(args.spec.clone(), &target).await?;
    let code = Invite {
        addrs: through.addrs.clone(),
        ..invite
    }
    .encode();
    println!("invite: {code}");
    println!(
        "link: {} ⇄ {} ({:?}); Ctrl-C stops",
        relay.addr, target.addrs[0], args.spec
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}

/// The lines tools and tests read as soon as the host listens.
fn announce(hosting: &Hosting) -> eyre::Result<()> {
    let mut out = std::io::stdout().lock();
    if let Some(path) = &hosting.repaired {
        writeln!(out, "repaired: {} was not closed cleanly", path.display())?;
    }
    if let Some(note) = &hosting.options_ignored {
        eprintln!("note: {note}");
    }
    if let Some(code) = hosting.invite() {
        writeln!(out, "invite: {code}")?;
    }
    writeln!(out, "world: {} tick {}", hosting.world, hosting.tick.0)?;
    writeln!(out, "state: {}", hosting.hash)?;
    writeln!(out, "listening: {}", hosting.addr)?;
    writeln!(out, "key: {}", hosting.fingerprint)?;
    if let Some(name) = &hosting.announced_as {
        writeln!(out, "lan: announced as {name}")?;
    }
    let reach = hosting.reachability.borrow();
    writeln!(out, "reachability: {} {}", reach.verdict(), *reach)?;
    out.flush()?;
    Ok(())
}

/// Asks the server running on `data_dir` for what `command` reads.
async fn from_server(
    data_dir: &Path,
    world: Option<String>,
    command: brogue::admin::Command,
) -> eyre::Result<brogue::admin::Reply> {
    let reply = brogue::admin::ask(data_dir, &brogue::admin::Request { world, command }).await?;
    match reply.error {
        Some(e) => Err(eyre::eyre!("the server says: {e}")),
        None => Ok(reply),
    }
}

/// `brogue admin …`: one request to the running server; its answer printed.
async fn admin(data_dir: &Path, args: &brogue::cli::AdminArgs) -> eyre::Result<()> {
    use brogue::admin::{Command as C, Request, ask};
    use brogue::cli::AdminCommand as A;
    let (world, command) = match &args.what {
        A::Players => (args.world.clone(), C::Players),
        A::Kick { who } => (args.world.clone(), C::Kick(who.clone())),
        A::Ban { who } => (args.world.clone(), C::Ban(who.clone())),
        A::Unban { who } => (args.world.clone(), C::Unban(who.clone())),
        A::Invite => (args.world.clone(), C::Invite),
        A::Announce { text } => (args.world.clone(), C::Announce(text.join(" "))),
        A::StopWorld { name } => (Some(name.clone()), C::StopWorld),
        A::StartWorld { name } => (Some(name.clone()), C::StartWorld),
    };
    let reply = ask(data_dir, &Request { world, command }).await?;
    if let Some(e) = reply.error {
        eyre::bail!("{e}");
    }
    match (args.json, reply.json) {
        (true, Some(json)) => println!("{json}"),
        _ => {
            for line in reply.said {
                println!("{line}");
            }
        }
    }
    Ok(())
}

/// The central leaderboard `--leaderboard-url` names, if any.
fn central(args: &brogue::cli::CentralArgs) -> eyre::Result<Option<store::central::Central>> {
    Ok(args
        .leaderboard_url
        .as_deref()
        .map(store::central::Central::from_url)
        .transpose()?)
}

/// Registers for SIGINT and SIGTERM at once and resolves at the first of them. Registered
/// before the listening lines are printed: a tool that sends SIGTERM as soon as it has read them
/// must find the host saving, not killed by the signal's default action (a lazy handler left that
/// window open).
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = std::io::Result<()>>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            Ok(())
        })
    }
    #[cfg(not(unix))]
    Ok(tokio::signal::ctrl_c())
}

/// Runs a host without a terminal until SIGINT or SIGTERM, then saves and says goodbye.
async fn headless(
    mut hosting: Hosting,
    stop: impl std::future::Future<Output = std::io::Result<()>>,
) -> eyre::Result<()> {
    let mut invites = hosting.invites.clone();
    invites.borrow_and_update(); // already announced
    let mut reach = hosting.reachability.clone();
    reach.borrow_and_update();
    let mut spectators = hosting.spectators.clone();
    tokio::pin!(stop);
    let mut alive = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            r = &mut stop => { r?; break; }
            _ = alive.tick() => if hosting.has_stopped() {
                break;
            },
            Ok(()) = invites.changed() => {
                if let Some(code) = invites.borrow().clone() {
                    println!("invite: {code}");
                }
            }
            Ok(()) = reach.changed() => {
                let now = reach.borrow().clone();
                println!("reachability: {} {now}", now.verdict());
            }
            Ok(()) = spectators.changed() => {
                let names = spectators.borrow().join(", ");
                let names = if names.is_empty() { "nobody".to_owned() } else { names };
                println!("watching: {names}");
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
    println!("journal: {}", report.journal);
    Ok(())
}

/// How long `join --lan` and `bots --lan` look for the game.
const LAN_WAIT: Duration = Duration::from_secs(5);

fn lan_json(g: &LanGame) -> serde_json::Value {
    serde_json::json!({
        "name": g.id,
        "world": g.world,
        "host": g.host_name,
        "addresses": g.addrs.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "port": g.port,
        "players": g.players,
        "max_players": g.max_players,
        "version": g.version,
        "protocol": g.protocol,
        "compatible": g.compatible(),
        "needs_code": g.needs_code,
        "fingerprint": brogue::join::fingerprint(&g.pin),
    })
}

/// `brogue lan`: the games announced on the LAN, as a table or JSON.
async fn list_lan(args: &brogue::cli::LanArgs, interfaces: &Interfaces) -> eyre::Result<()> {
    eyre::ensure!(
        args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 600.0,
        "--timeout must be between 0 and 600 seconds"
    );
    let browser = Browser::start(interfaces)?;
    let timeout = Duration::from_secs_f64(args.timeout);
    if args.watch {
        return watch_lan(browser, timeout).await;
    }
    let games = browser.collect(timeout).await;
    if args.json {
        let list: Vec<serde_json::Value> = games.iter().map(lan_json).collect();
        println!("{}", serde_json::to_string(&list)?);
    } else {
        print_lan(&games);
    }
    Ok(())
}

/// `brogue lan --watch`: one JSON object per line as games appear (`found`) and vanish (`lost`).
async fn watch_lan(mut browser: Browser, timeout: Duration) -> eyre::Result<()> {
    use net::discovery::LanEvent;
    let deadline = tokio::time::Instant::now() + timeout;
    let mut out = std::io::stdout().lock();
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, browser.next()).await {
        let line = match event {
            LanEvent::Found(game) => {
                serde_json::json!({ "event": "found", "game": lan_json(&game) })
            }
            LanEvent::Lost(id) => serde_json::json!({ "event": "lost", "name": id }),
        };
        writeln!(out, "{line}")?;
        out.flush()?;
    }
    Ok(())
}

fn print_lan(games: &[LanGame]) {
    if games.is_empty() {
        println!(
            "No games found. Is a host running with --lan on this network? A firewall (UDP 5353), \
             another subnet, Wi-Fi client isolation or macOS Local Network permission can hide it."
        );
        return;
    }
    println!(
        "{:<20} {:<12} {:<24} {:>7} {:<10} access",
        "world", "host", "address", "players", "version"
    );
    for g in games {
        let addr = g
            .addrs
            .first()
            .map(|ip| SocketAddr::new(*ip, g.port).to_string())
            .unwrap_or_default();
        let access = match (g.compatible(), g.needs_code) {
            (false, _) => "incompatible version",
            (true, true) => "needs an invite code",
            (true, false) => "open",
        };
        println!(
            "{:<20} {:<12} {:<24} {:>3}/{:<3} {:<10} {access}",
            g.world, g.host_name, addr, g.players, g.max_players, g.version
        );
    }
}

fn finish(outcome: play::Outcome) -> eyre::Result<()> {
    if let Some(message) = outcome.message {
        // After SIGHUP the terminal is gone: the world is saved, so a failed write is no error.
        let _ = writeln!(std::io::stdout(), "{message}");
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
    println!("newest tick shown: {}", r.last_tick_seen);
    if r.mode == bots::Mode::Economy {
        let e = &r.economy;
        println!(
            "economy: {} mined, {} crafted, {} banked, {} withdrawn, {} trades",
            e.mined, e.crafted, e.banked, e.withdrawn, e.trades
        );
    }
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
    options: &brogue::cli::LogArgs,
) -> eyre::Result<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let dir = paths::logs(data_dir);
    std::fs::create_dir_all(&dir)?;
    // A file a day (brogue.YYYY-MM-DD.log), the last week (--log-days) kept: the log cannot
    // grow forever.
    let file = tracing_appender::rolling::RollingFileAppender::builder()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("brogue")
        .filename_suffix(if options.log_json { "jsonl" } else { "log" })
        .max_log_files(usize::from(options.log_days))
        .build(&dir)
        .wrap_err_with(|| format!("cannot write logs in {}", dir.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = || {
        EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new("info,quinn=warn,tokio_postgres=warn"))
    };
    let json = options.log_json;
    let file_layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false);
    let file_layer = if json {
        file_layer.json().with_filter(filter()).boxed()
    } else {
        file_layer.with_filter(filter()).boxed()
    };
    let stderr_layer = to_stderr.then(|| {
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            // Colour codes only for a terminal, never into a redirected file.
            .with_ansi(std::io::stderr().is_terminal());
        if json {
            layer.json().with_filter(filter()).boxed()
        } else {
            layer.with_filter(filter()).boxed()
        }
    });
    tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr_layer)
        .try_init()
        .ok();
    Ok(guard)
}
