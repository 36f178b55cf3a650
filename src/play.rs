//! The terminal game: drives the `ui` state machine with key presses, host updates and LAN
//! discoveries, and carries out its intents (start a solo game, host, join, act, leave).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use color_eyre::eyre;
use game::Class;
use game::protocol::{ClientMsg, Refusal};
use net::discovery::{self, Browser, Interfaces, LanEvent, LanGame};
use net::{Identity, JoinError};
use tokio::sync::mpsc;
use ui::{App, Event, Intent, LanEntry, LanStatus, Screen, Session};

use crate::driver::HostReport;
use crate::hosting::{HostOptions, Hosting};
use crate::join::{JoinSpec, KnownHosts, Resolved, lan_target};
use crate::session::{FromHost, Joined};

/// Who is playing and where their files are.
#[derive(Clone, Debug)]
pub struct Player {
    pub identity: Arc<Identity>,
    pub data_dir: PathBuf,
    pub name: String,
    pub class: Option<Class>,
    /// Interfaces the Join screen's LAN list may use.
    pub interfaces: Interfaces,
    /// The central leaderboard, for the Leaderboard screen's Global tab.
    pub central_url: Option<String>,
    /// Theme and glyph set.
    pub appearance: ui::appearance::Appearance,
    /// Capture the mouse (hover describes, click walks or uses an ability); off leaves the
    /// terminal's own selection free.
    pub mouse: bool,
    /// The game keys, with the config file's rebindings.
    pub keys: ui::keymap::Keymap,
}

/// Where the TUI starts.
#[derive(Debug)]
pub enum Start {
    Menu,
    /// Play in a world this process already hosts.
    Hosted(Box<Hosting>),
    /// Join a host (from `brogue join`), or watch it (from `brogue watch`).
    Join(Resolved, Role),
}

/// Whether a join plays or watches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    Play,
    /// Watch, following the player of this name (else whoever the host picks first).
    Watch {
        follow: Option<String>,
    },
}

/// What the player should read on the normal screen afterwards.
#[derive(Debug, Default)]
pub struct Outcome {
    pub message: Option<String>,
}

/// Runs the TUI until the player leaves.
pub async fn run(player: Player, start: Start, menu_host: HostOptions) -> eyre::Result<Outcome> {
    // Closing the terminal (SIGHUP) or SIGTERM ends the game the way quitting does: a hosted
    // world is saved and friends are told, then the terminal is restored.
    let stops = Stops::new()?;
    let mut terminal = ui::term::init(player.mouse)?;
    let (tx, keys) = mpsc::channel::<Event>(256);
    ui::term::spawn_input(move |ev| tx.blocking_send(ev).is_ok());
    let known = KnownHosts::load(&player.data_dir);
    let mut game = Game {
        player,
        menu_host,
        app: App::menu(),
        hosting: None,
        joined: None,
        seq: 0,
        keys,
        lan: None,
        lan_games: BTreeMap::new(),
        known,
        stops,
        paused: false,
        link_down: None,
    };
    game.app.preferred_class = game.player.class;
    game.app.appearance = game.player.appearance;
    game.app.keys = game.player.keys.clone();
    let result = game.drive(&mut terminal, start).await;
    // Whatever happened, a hosted world is stopped and saved before we give the screen back.
    let stopped = game.stop_hosting().await;
    ui::term::restore();
    let mut outcome = result?;
    if let Some(report) = stopped? {
        let saved = format!("Saved world {} at tick {}.", report.world, report.tick.0);
        outcome.message = Some(match outcome.message {
            Some(m) => format!("{m}\n{saved}"),
            None => saved,
        });
    }
    Ok(outcome)
}

struct Game {
    player: Player,
    menu_host: HostOptions,
    app: App,
    hosting: Option<Hosting>,
    joined: Option<Joined>,
    seq: u32,
    keys: mpsc::Receiver<Event>,
    /// Browsing while the Join screen is up.
    lan: Option<Browser>,
    lan_games: BTreeMap<String, LanGame>,
    known: KnownHosts,
    stops: Stops,
    /// What the host was last told about pausing.
    paused: bool,
    /// Since when the link to the host is down (being redialled).
    link_down: Option<std::time::Instant>,
}

/// SIGTERM and SIGHUP, as a stream the game loop selects on.
struct Stops {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
}

impl Stops {
    fn new() -> eyre::Result<Stops> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Stops {
                term: signal(SignalKind::terminate())?,
                hup: signal(SignalKind::hangup())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Stops {})
    }

    /// The name of the next stop signal.
    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => "SIGTERM",
                _ = self.hup.recv() => "SIGHUP (the terminal closed)",
            }
        }
        #[cfg(not(unix))]
        std::future::pending().await
    }
}

enum Flow {
    Continue,
    Exit,
}

impl Game {
    async fn drive(
        &mut self,
        terminal: &mut ui::term::Terminal,
        start: Start,
    ) -> eyre::Result<Outcome> {
        match start {
            Start::Menu => {}
            Start::Hosted(hosting) => {
                self.show(terminal, "entering your world")?;
                self.play_hosted(*hosting).await;
            }
            Start::Join(resolved, role) => {
                self.show(terminal, "connecting to the host")?;
                if let Err(e) = self.join(resolved, role).await {
                    return Ok(Outcome { message: Some(e) });
                }
            }
        }
        loop {
            self.sync_lan();
            self.sync_pause().await;
            if let Ok(size) = terminal.size() {
                self.app.rows = size.height;
                self.app.cols = size.width;
            }
            terminal.draw(|f| ui::draw(f, &self.app))?;
            let flow = tokio::select! {
                event = self.keys.recv() => match event {
                    Some(event) => match self.app.handle_event(&event) {
                        Some(intent) => self.intent(intent, terminal).await?,
                        None => Flow::Continue,
                    },
                    None => Flow::Exit,
                },
                from_host = next_from_host(&mut self.joined) => self.on_host_message(from_host).await,
                change = next_hosting_change(&mut self.hosting) => {
                    match change {
                        HostingChange::Invite(code) => self.app.invite_renewed(code),
                        HostingChange::Reach(reach) => self.app.reach_changed(reach),
                        HostingChange::Spectators(names) => self.app.session.spectators = names,
                    }
                    Flow::Continue
                }
                event = next_lan(&mut self.lan) => {
                    self.on_lan(event);
                    Flow::Continue
                }
                () = tick_while(self.link_down.is_some()) => {
                    if let Some(since) = self.link_down {
                        self.app.link_lost(since.elapsed().as_secs());
                    }
                    Flow::Continue
                }
                signal = self.stops.next() => {
                    tracing::info!("stopping on {signal}");
                    return Ok(Outcome {
                        message: Some(format!("Stopped by {signal}.")),
                    });
                }
            };
            if let Flow::Exit = flow {
                return Ok(Outcome::default());
            }
        }
    }

    /// A "working…" screen, drawn now (the work that follows may take seconds).
    fn show(&mut self, terminal: &mut ui::term::Terminal, what: &str) -> eyre::Result<()> {
        let lan = std::mem::take(&mut self.app.lan);
        self.app = App::connecting(what);
        self.app.preferred_class = self.player.class;
        self.app.appearance = self.player.appearance;
        self.app.keys = self.player.keys.clone();
        self.app.lan = lan;
        terminal.draw(|f| ui::draw(f, &self.app))?;
        Ok(())
    }

    async fn intent(
        &mut self,
        intent: Intent,
        terminal: &mut ui::term::Terminal,
    ) -> eyre::Result<Flow> {
        match intent {
            Intent::Solo | Intent::Host => {
                let options = if intent == Intent::Solo {
                    HostOptions::solo(self.menu_host.world.clone(), None)
                } else {
                    self.menu_host.clone()
                };
                self.show(terminal, "starting the world")?;
                match Hosting::start(&options, &self.player.identity, &self.player.data_dir).await {
                    Ok(hosting) => self.play_hosted(hosting).await,
                    Err(e) => self.app.ended(format!("Could not start the game: {e}")),
                }
            }
            Intent::Join(ref typed) | Intent::Watch(ref typed) => {
                let role = if matches!(intent, Intent::Watch(_)) {
                    Role::Watch { follow: None }
                } else {
                    Role::Play
                };
                let typed = typed.clone();
                match JoinSpec::parse(&typed).and_then(|spec| spec.resolve(&self.known)) {
                    Err(e) => self.app.join_failed(&typed, e),
                    Ok(resolved) => {
                        self.show(terminal, "connecting to the host")?;
                        if let Err(e) = self.join(resolved, role).await {
                            self.app.join_failed(&typed, e);
                        }
                    }
                }
            }
            Intent::JoinLan(ref id) | Intent::WatchLan(ref id) => {
                let role = if matches!(intent, Intent::WatchLan(_)) {
                    Role::Watch { follow: None }
                } else {
                    Role::Play
                };
                let Some(game) = self.lan_games.get(id).cloned() else {
                    self.app
                        .join_failed("", "That game is no longer announced.");
                    return Ok(Flow::Continue);
                };
                self.show(terminal, "connecting to the host")?;
                let resolved = Resolved {
                    target: lan_target(&game),
                    secret: None,
                };
                if let Err(e) = self.join(resolved, role).await {
                    self.app.join_failed("", e);
                }
            }
            Intent::Leaderboard { global } => {
                let loaded = if global {
                    self.show(terminal, "reading the central leaderboard")?;
                    let url = self.player.central_url.clone();
                    crate::leaderboard::global(url.as_deref(), None)
                        .await
                        .map(|(boards, _)| boards)
                } else {
                    crate::leaderboard::load(&self.player.data_dir, None)
                };
                let (boards, error) = match loaded {
                    Ok(boards) => (crate::leaderboard::to_boards(boards), None),
                    Err(e) => (Vec::new(), Some(format!("{e}"))),
                };
                self.app.screen = ui::Screen::Leaderboard {
                    boards,
                    error,
                    global,
                };
            }
            Intent::Follow(name) => self.send(ClientMsg::Follow { name }).await,
            Intent::Chat(text) => self.send(ClientMsg::Chat { text }).await,
            Intent::Party(cmd) => self.send(ClientMsg::Party(cmd)).await,
            Intent::Trade(trade) => self.send(ClientMsg::Trade(trade)).await,
            Intent::CreateCharacter(class) => self.send(ClientMsg::CreateCharacter { class }).await,
            Intent::Act(action) => {
                self.act(action).await;
            }
            Intent::Leave => {
                if let Some(joined) = self.joined.take() {
                    joined.leave().await;
                }
                return Ok(Flow::Exit);
            }
            Intent::Exit => return Ok(Flow::Exit),
        }
        Ok(Flow::Continue)
    }

    /// Joins our own host over loopback: solo and host-and-play take the same path as a friend.
    async fn play_hosted(&mut self, mut hosting: Hosting) {
        let target = hosting.local.clone();
        let repaired = hosting.repaired.is_some();
        let options_ignored = hosting.options_ignored.clone();
        hosting.invites.borrow_and_update(); // shown via the session below
        let session = Session {
            world: hosting.world.clone(),
            invite: hosting.invite(),
            hosting: true,
            tick_rate: 0,
            fingerprint: Some(hosting.fingerprint.clone()),
            reach: hosting.invite().is_some().then(|| reach_of(&hosting)),
            spectators: Vec::new(),
        };
        self.hosting = Some(hosting);
        match crate::session::join(
            &self.player.identity,
            &target,
            &self.player.name,
            None,
            false,
        )
        .await
        {
            Ok(joined) => {
                let tick_rate = joined.welcome.tick_rate;
                let show_invite = session.invite.is_some();
                self.joined = Some(joined);
                self.app.joined(Session {
                    tick_rate,
                    ..session
                });
                // The printed code is hidden behind the game screen: show it straight away.
                if show_invite {
                    self.app.overlay = Some(ui::Overlay::Invite);
                }
                if let Some(note) = options_ignored {
                    self.app.notice = Some(format!("Note: {note}."));
                }
                if repaired {
                    self.app.notice =
                        Some("The save was not closed cleanly (a crash?) and was repaired.".into());
                }
            }
            Err(e) => self
                .app
                .ended(format!("Could not enter your own world: {e}")),
        }
    }

    /// Joins another host; on success the host is remembered for direct-address joins.
    async fn join(&mut self, resolved: Resolved, role: Role) -> Result<(), String> {
        if resolved.target.pin.matches(&self.player.identity.id()) {
            return Err(OWN_IDENTITY.to_owned());
        }
        let watching = matches!(role, Role::Watch { .. });
        let joined = crate::session::join(
            &self.player.identity,
            &resolved.target,
            &self.player.name,
            resolved.secret,
            watching,
        )
        .await
        .map_err(|e| match e {
            JoinError::Refused(Refusal::InviteRequired) => {
                "This game needs an invite code for your first visit: ask the host for it, paste \
                 it here and press Enter."
                    .to_owned()
            }
            other => other.to_string(),
        })?;
        if let Err(e) = self.known.remember(&resolved.target) {
            tracing::warn!("cannot remember the host: {e}");
        }
        let world = joined.welcome.world.clone();
        self.app.joined(Session {
            world: if watching {
                format!("{world} (watching)")
            } else {
                world
            },
            invite: None,
            hosting: false,
            tick_rate: joined.welcome.tick_rate,
            fingerprint: None,
            reach: None,
            spectators: Vec::new(),
        });
        self.app.watching = watching;
        self.app.may_chat = joined.welcome.may_chat;
        self.joined = Some(joined);
        if let Role::Watch { follow: Some(name) } = role {
            self.send(ClientMsg::Follow { name: Some(name) }).await;
        }
        Ok(())
    }

    async fn send(&mut self, msg: ClientMsg) {
        if let Some(joined) = &self.joined {
            let _ = joined.outbox.send(msg).await;
        }
    }

    /// Tells a solo host to pause or resume when the screen wants it (help, panels, `p`).
    async fn sync_pause(&mut self) {
        let wanted = self.app.wants_pause();
        if wanted != self.paused && self.joined.is_some() {
            self.paused = wanted;
            self.send(ClientMsg::Pause { paused: wanted }).await;
        }
    }

    /// Sends an action with the next sequence number.
    async fn act(&mut self, action: game::Action) {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        self.send(ClientMsg::Act { seq, action }).await;
    }

    /// Applies an update; a death's morgue file is written to the data dir.
    fn applied(
        &mut self,
        update: game::protocol::Update,
    ) -> Result<Option<Intent>, game::view::ViewError> {
        let intent = self.app.apply_update(update);
        if let Some(text) = self.app.take_morgue() {
            let dir = self.player.data_dir.join("morgue");
            let file = dir.join(format!(
                "{}-{}.txt",
                game::text::sanitize(&self.app.session.world, 40).replace(['/', '\\'], "_"),
                self.app.view.tick
            ));
            let written = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&file, text));
            if let Err(e) = written {
                tracing::warn!("could not write the morgue file {}: {e}", file.display());
            }
        }
        intent
    }

    async fn on_host_message(&mut self, from_host: FromHost) -> Flow {
        match from_host {
            FromHost::Update(update) => match self.applied(*update) {
                Ok(Some(Intent::CreateCharacter(class))) => {
                    self.send(ClientMsg::CreateCharacter { class }).await;
                }
                // The next step of exploring, travelling or resting.
                Ok(Some(Intent::Act(action))) => {
                    self.act(action).await;
                }
                Ok(_) => {}
                Err(e) => {
                    self.joined = None;
                    self.app
                        .ended(format!("The host sent a bad update ({e}); disconnected."));
                }
            },
            FromHost::Snapshot(snapshot) => match self.app.apply_snapshot(*snapshot) {
                Ok((applied, intent)) => {
                    if let (true, Some(joined)) = (applied, &self.joined) {
                        joined.applied(self.app.view.snapshot(), self.app.view.ack);
                    }
                    match intent {
                        Some(Intent::Act(action)) => self.act(action).await,
                        Some(Intent::CreateCharacter(class)) => {
                            self.send(ClientMsg::CreateCharacter { class }).await;
                        }
                        _ => {}
                    }
                }
                Err(e) => {
                    self.joined = None;
                    self.app
                        .ended(format!("The host sent a bad snapshot ({e}); disconnected."));
                }
            },
            FromHost::Status(status) => self.app.host_status(status),
            FromHost::Reconnecting { since, why } => {
                tracing::info!("the link to the host dropped ({why}); reconnecting");
                self.link_down = Some(since);
                self.app.link_lost(since.elapsed().as_secs());
            }
            FromHost::Resumed(_) => {
                self.link_down = None;
                if let Some(joined) = &mut self.joined {
                    joined.resumed();
                }
                self.app.link_resumed();
                // The host forgot our pause with the old connection.
                self.paused = false;
            }
            FromHost::Closed(reason) => {
                self.link_down = None;
                self.joined = None;
                self.app.ended(format!("Disconnected: {reason}"));
            }
        }
        Flow::Continue
    }

    /// Browses the LAN exactly while the Join screen is up.
    fn sync_lan(&mut self) {
        let on_join = matches!(self.app.screen, Screen::Join { .. });
        match (on_join, self.lan.is_some()) {
            (true, false) if self.app.lan_status == LanStatus::Searching => {
                match Browser::start(&self.player.interfaces) {
                    Ok(browser) => self.lan = Some(browser),
                    Err(e) => self.app.lan_status = LanStatus::Off(e.to_string()),
                }
            }
            (false, _) => {
                // Off the Join screen: stop, forget, and retry from scratch next time.
                self.lan = None;
                self.lan_games.clear();
                self.app.lan.clear();
                self.app.lan_status = LanStatus::Searching;
            }
            _ => {}
        }
    }

    fn on_lan(&mut self, event: Option<LanEvent>) {
        let Some(event) = event else {
            self.lan = None;
            self.app.lan_status = LanStatus::Off("discovery stopped".into());
            return;
        };
        discovery::apply(&mut self.lan_games, event);
        self.app.lan = self
            .lan_games
            .values()
            .map(|g| LanEntry {
                id: g.id.clone(),
                world: g.world.clone(),
                host: g.host_name.clone(),
                players: g.players,
                max_players: g.max_players,
                version: g.version.clone(),
                compatible: g.compatible(),
                needs_code: g.needs_code,
                fingerprint: g.pin.fingerprint(),
            })
            .collect();
    }

    async fn stop_hosting(&mut self) -> eyre::Result<Option<HostReport>> {
        if let Some(joined) = self.joined.take() {
            joined.leave().await;
        }
        match self.hosting.take() {
            Some(hosting) => Ok(Some(hosting.stop().await?)),
            None => Ok(None),
        }
    }
}

/// Once a second while `on` (the reconnect counter); never otherwise.
async fn tick_while(on: bool) {
    if on {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    } else {
        std::future::pending::<()>().await;
    }
}

async fn next_from_host(joined: &mut Option<Joined>) -> FromHost {
    match joined {
        Some(j) => j
            .inbox
            .recv()
            .await
            .unwrap_or_else(|| FromHost::Closed("connection ended".into())),
        None => std::future::pending().await,
    }
}

/// The hosting's reachability, for the sidebar and the invite overlay.
fn reach_of(hosting: &Hosting) -> ui::Reach {
    let reach = hosting.reachability.borrow();
    ui::Reach {
        verdict: reach.verdict().to_owned(),
        detail: reach.to_string(),
    }
}

/// Joining a host with the host's own key (a second brogue on the host's data dir) would take
/// over the host's character.
pub const OWN_IDENTITY: &str = "that is the host's own identity (this brogue uses the host's data \
     dir): give this player its own --data-dir";

/// What changed about our own hosting: a new invite code, or who can reach it.
enum HostingChange {
    Invite(Option<String>),
    Reach(ui::Reach),
    Spectators(Vec<String>),
}

async fn next_hosting_change(hosting: &mut Option<Hosting>) -> HostingChange {
    let Some(h) = hosting else {
        return std::future::pending().await;
    };
    let announced = h.invite().is_some();
    let reach = async {
        if !announced || h.reachability.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        changed = h.invites.changed() => {
            if changed.is_err() {
                std::future::pending::<()>().await;
            }
            HostingChange::Invite(h.invites.borrow().clone())
        }
        () = reach => HostingChange::Reach(reach_of(h)),
        Ok(()) = h.spectators.changed() => HostingChange::Spectators(h.spectators.borrow().clone()),
    }
}

async fn next_lan(lan: &mut Option<Browser>) -> Option<LanEvent> {
    match lan {
        Some(browser) => browser.next().await,
        None => std::future::pending().await,
    }
}
