//! The terminal game: drives the `ui` state machine with key presses and host updates, and
//! carries out its intents (start a solo game, host, join, act, leave).

use std::path::PathBuf;
use std::sync::Arc;

use color_eyre::eyre;
use game::Class;
use game::protocol::ClientMsg;
use net::{Identity, Invite, Target};
use tokio::sync::mpsc;
use ui::{App, Event, Intent, Session};

use crate::hosting::{HostOptions, Hosting};
use crate::session::{FromHost, Joined};

/// Who is playing and where their files are.
#[derive(Clone, Debug)]
pub struct Player {
    pub identity: Arc<Identity>,
    pub data_dir: PathBuf,
    pub name: String,
    pub class: Option<Class>,
}

/// Where the TUI starts.
#[derive(Debug)]
pub enum Start {
    Menu,
    /// Play in a world this process already hosts.
    Hosted(Hosting),
    Join(Invite),
}

/// What the player should read on the normal screen afterwards.
#[derive(Debug, Default)]
pub struct Outcome {
    pub message: Option<String>,
}

/// Runs the TUI until the player leaves.
pub async fn run(player: Player, start: Start, menu_host: HostOptions) -> eyre::Result<Outcome> {
    let mut terminal = ui::term::init()?;
    let (tx, keys) = mpsc::channel::<Event>(256);
    ui::term::spawn_input(move |ev| tx.blocking_send(ev).is_ok());
    let mut game = Game {
        player,
        menu_host,
        app: App::menu(),
        hosting: None,
        joined: None,
        seq: 0,
        keys,
    };
    game.app.preferred_class = game.player.class;
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
                self.app = App::connecting("entering your world");
                self.app.preferred_class = self.player.class;
                self.play_hosted(hosting).await;
            }
            Start::Join(invite) => {
                self.app = App::connecting("connecting to the host");
                self.app.preferred_class = self.player.class;
                terminal.draw(|f| ui::draw(f, &self.app))?;
                if let Err(e) = self.join(&invite).await {
                    return Ok(Outcome { message: Some(e) });
                }
            }
        }
        loop {
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
                code = next_invite(&mut self.hosting) => {
                    self.app.session.invite = code;
                    Flow::Continue
                }
            };
            if let Flow::Exit = flow {
                return Ok(Outcome::default());
            }
        }
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
                self.app = App::connecting("starting the world");
                self.app.preferred_class = self.player.class;
                terminal.draw(|f| ui::draw(f, &self.app))?;
                match Hosting::start(&options, &self.player.identity, &self.player.data_dir).await {
                    Ok(hosting) => self.play_hosted(hosting).await,
                    Err(e) => self.app.ended(format!("Could not start the game: {e}")),
                }
            }
            Intent::Join(code) => match Invite::parse(&code) {
                Err(e) => self.app.join_failed(&code, e.to_string()),
                Ok(invite) => {
                    self.app = App::connecting("connecting to the host");
                    self.app.preferred_class = self.player.class;
                    terminal.draw(|f| ui::draw(f, &self.app))?;
                    if let Err(e) = self.join(&invite).await {
                        self.app.join_failed(&code, e);
                    }
                }
            },
            Intent::CreateCharacter(class) => self.send(ClientMsg::CreateCharacter { class }).await,
            Intent::Act(action) => {
                self.seq = self.seq.wrapping_add(1);
                self.send(ClientMsg::Act {
                    seq: self.seq,
                    action,
                })
                .await;
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
    async fn play_hosted(&mut self, hosting: Hosting) {
        let target = hosting.local.clone();
        let session = Session {
            world: hosting.world.clone(),
            invite: hosting.invite(),
            hosting: true,
            tick_rate: 0,
        };
        let mut hosting = hosting;
        hosting.invites.borrow_and_update(); // shown via the session below
        self.hosting = Some(hosting);
        match crate::session::join(&self.player.identity, &target, &self.player.name, None).await {
            Ok(joined) => {
                let tick_rate = joined.welcome.tick_rate;
                self.joined = Some(joined);
                self.app.joined(Session {
                    tick_rate,
                    ..session
                });
            }
            Err(e) => self
                .app
                .ended(format!("Could not enter your own world: {e}")),
        }
    }

    async fn join(&mut self, invite: &Invite) -> Result<(), String> {
        let target = Target::from_invite(invite);
        let now = crate::host::now_unix();
        let joined = crate::session::join(
            &self.player.identity,
            &target,
            &self.player.name,
            Some(invite.secret.0),
        )
        .await
        .map_err(|e| {
            if invite.is_expired(now) && !matches!(e, net::JoinError::Refused(_)) {
                format!("{e} (note: this invite code has expired)")
            } else {
                e.to_string()
            }
        })?;
        self.app.joined(Session {
            world: joined.welcome.world.clone(),
            invite: None,
            hosting: false,
            tick_rate: joined.welcome.tick_rate,
        });
        self.joined = Some(joined);
        Ok(())
    }

    async fn send(&mut self, msg: ClientMsg) {
        if let Some(joined) = &self.joined {
            let _ = joined.outbox.send(msg).await;
        }
    }

    async fn on_host_message(&mut self, from_host: FromHost) -> Flow {
        match from_host {
            FromHost::Update(update) => match self.app.apply_update(*update) {
                Ok(Some(intent)) => {
                    if let Intent::CreateCharacter(class) = intent {
                        self.send(ClientMsg::CreateCharacter { class }).await;
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    self.joined = None;
                    self.app
                        .ended(format!("The host sent a bad update ({e}); disconnected."));
                }
            },
            FromHost::Closed(reason) => {
                self.joined = None;
                self.app.ended(format!("Disconnected: {reason}"));
            }
        }
        Flow::Continue
    }

    async fn stop_hosting(&mut self) -> eyre::Result<Option<crate::host::HostReport>> {
        if let Some(joined) = self.joined.take() {
            joined.leave().await;
        }
        match self.hosting.take() {
            Some(hosting) => Ok(Some(hosting.stop().await?)),
            None => Ok(None),
        }
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

async fn next_invite(hosting: &mut Option<Hosting>) -> Option<String> {
    match hosting {
        Some(h) => {
            if h.invites.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
            h.invites.borrow().clone()
        }
        None => std::future::pending().await,
    }
}
