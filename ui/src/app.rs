//! The TUI's state machine: which screen is up, what a key does there, and what the runtime
//! must do about it ([`Intent`]). No I/O here, so every screen is testable.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use game::ability::{Aim, Target};
use game::class::Class;
use game::protocol::{EntityKind, MemberStatus, PackView, SelfView, Snapshot, Update};
use game::view::{ClientView, ViewError};
use game::{Action, Pos, TradeInput, text};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::keymap::{Command, Keymap};
use crate::panels::Panel;

/// The main menu's entries, in order.
pub const MENU: [&str; 5] = ["Solo", "Host", "Join", "Leaderboard", "Quit"];

/// What is on screen.
#[derive(Clone, Debug)]
pub enum Screen {
    Menu {
        selected: usize,
    },
    /// Join: the LAN list (↑/↓ to choose) above a field for an invite code or an address.
    Join {
        input: Input,
        error: Option<String>,
        selected: usize,
    },
    Connecting {
        what: String,
    },
    ChooseClass {
        selected: usize,
    },
    /// The character died: what happened; any key goes on to the class picker.
    Death(crate::death::Death),
    Game,
    /// Something ended the session; any key leaves.
    Ended {
        message: String,
    },
    /// Leaderboards: this data dir's worlds, or (`global`) the central board; Tab switches,
    /// any other key returns to the menu.
    Leaderboard {
        boards: Vec<Board>,
        /// Why the boards could not be read, if they could not.
        error: Option<String>,
        global: bool,
    },
}

/// One world's leaderboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Board {
    pub world: String,
    pub rows: Vec<BoardRow>,
}

/// One player's line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardRow {
    pub name: String,
    pub victories: u32,
    pub pure_victories: u32,
    pub deepest: u8,
    pub kills: u32,
    pub best_crafted: Option<(String, u16)>,
}

/// A popup over the game screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overlay {
    Help,
    Invite,
    /// The message history, `scroll` lines up from the newest.
    History {
        scroll: usize,
    },
    /// The host is about to quit with others connected.
    ConfirmQuit {
        others: usize,
    },
}

/// Updates to wait for an action to start before sending the next anyway (about a second).
const INFLIGHT_PATIENCE: u16 = 20;

/// How far PgUp/PgDn move the message history.
pub const HISTORY_PAGE: usize = 10;
/// What a dead player's keys do while they watch the party.
pub const WATCHING_PARTY: &str =
    "You died. Tab follows another player, Enter makes a new character. Watching";
/// What a spectator's keys do, said when another key is pressed.
pub const WATCHING_KEYS: &str =
    "Watching: Tab follows the next player, ? shows the keys, q leaves.";

/// Message lines the history shows on a terminal `rows` high (the box, its hint line and a
/// margin take five).
pub fn history_rows(rows: u16) -> usize {
    usize::from(rows.saturating_sub(5)).max(1)
}

/// What the runtime must do after a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Intent {
    Solo,
    Host,
    /// Join with what was typed: an invite code or `host:port`.
    Join(String),
    /// Join the LAN game with this id.
    JoinLan(String),
    /// Watch with what was typed: an invite code or `host:port`.
    Watch(String),
    /// Watch the LAN game with this id.
    WatchLan(String),
    /// Watching: follow the player of this name, or the next one.
    Follow(Option<String>),
    /// Show the leaderboards: this data dir's, or the central one.
    Leaderboard {
        global: bool,
    },
    CreateCharacter(Class),
    Act(Action),
    Chat(String),
    Trade(TradeInput),
    /// A party command typed on the chat line.
    Party(game::party::PartyCmd),
    /// Leave the game (the character waits, safe once out of a fight); a host closes the session.
    Leave,
    /// Exit the program from a screen with no session.
    Exit,
}

/// A game seen on the LAN, as the Join screen lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LanEntry {
    pub id: String,
    pub world: String,
    pub host: String,
    pub players: u16,
    pub max_players: u16,
    pub version: String,
    pub compatible: bool,
    pub needs_code: bool,
    /// The host key's short fingerprint, for the player to compare with the host's screen.
    pub fingerprint: String,
}

/// Whether the Join screen's LAN list is live.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum LanStatus {
    #[default]
    Searching,
    /// Discovery could not start; the text says why.
    Off(String),
}

/// About the session the player is in.
#[derive(Clone, Debug, Default)]
pub struct Session {
    pub world: String,
    /// The invite code, when this process hosts.
    pub invite: Option<String>,
    pub hosting: bool,
    /// Ticks per second of the world, to turn tick counts into seconds.
    pub tick_rate: u8,
    /// The host key's fingerprint (when hosting), for players to compare.
    pub fingerprint: Option<String>,
    /// Who can join this host (when hosting for others).
    pub reach: Option<Reach>,
    /// Who is watching (when hosting), by name.
    pub spectators: Vec<String>,
}

/// Who can join a host: the verdict word (`internet`, `cgnat`, `lan-only`, `loopback`) and
/// the sentence that says why and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reach {
    pub verdict: String,
    pub detail: String,
}

impl Reach {
    /// A few words for the sidebar.
    pub fn short(&self) -> &'static str {
        match self.verdict.as_str() {
            "internet" => "open to the internet",
            "cgnat" => "LAN only (CGNAT)",
            "lan-only" => "LAN only",
            "loopback" => "this machine only",
            _ => "reach unknown",
        }
    }
}

/// The whole state of the TUI.
#[derive(Clone, Debug)]
pub struct App {
    pub screen: Screen,
    pub overlay: Option<Overlay>,
    pub view: ClientView,
    pub session: Session,
    /// The class to pick without asking the first time (`--class`).
    pub preferred_class: Option<Class>,
    /// Games on the LAN, for the Join screen.
    pub lan: Vec<LanEntry>,
    pub lan_status: LanStatus,
    /// A panel over the map (inventory, crafting, vault, trade, chat, aiming).
    pub panel: Option<Panel>,
    /// The entity targeted with Tab.
    pub target: Option<u64>,
    /// A line from the client itself (not the host), shown under the log.
    pub notice: Option<String>,
    /// What is wrong with the host itself (it cannot save), shown until it is fixed.
    pub host_trouble: Option<String>,
    /// The terminal's height when last drawn (pages of the message history depend on it).
    pub rows: u16,
    /// The terminal's width when last drawn (mouse clicks are placed with it).
    pub cols: u16,
    /// The map cell under the mouse pointer, described under the log.
    pub hover: Option<Pos>,
    /// Theme and glyph set.
    pub appearance: crate::appearance::Appearance,
    /// The game keys (the config file may rebind them).
    pub keys: Keymap,
    /// Exploring, walking to the stairs or resting, one step per host acknowledgement.
    pub travel: Option<crate::travel::Travel>,
    /// The tick the current character was first seen (for the time played when it dies).
    character_since: Option<u64>,
    /// The host's acknowledgement when the last action was sent, and updates seen since:
    /// while that action has not started, the next key's action is held here, not sent.
    inflight: Option<(u32, u16)>,
    /// The action of the newest key pressed while one was in flight: sent when it starts.
    held: Option<Action>,
    /// The player pressed `p` (solo only).
    paused_by_key: bool,
    /// The connection dropped this many seconds ago and is being redialled.
    pub reconnecting: Option<u64>,
    /// A spectator: the view is the followed player's; keys follow, help or leave.
    pub watching: bool,
    /// After death, the player the view follows (until a new character is made).
    pub following_party: Option<String>,
    /// The host takes chat from this session (players always; spectators if it lets them).
    pub may_chat: bool,
    /// A morgue file's text for the runtime to write.
    morgue: Option<String>,
    asked_for_character: bool,
    died: bool,
}

impl App {
    pub fn new(screen: Screen) -> App {
        App {
            screen,
            overlay: None,
            view: ClientView::new(),
            session: Session::default(),
            preferred_class: None,
            lan: Vec::new(),
            lan_status: LanStatus::default(),
            panel: None,
            target: None,
            notice: None,
            host_trouble: None,
            rows: 24,
            cols: 80,
            hover: None,
            appearance: crate::appearance::Appearance::default(),
            keys: Keymap::default(),
            travel: None,
            character_since: None,
            inflight: None,
            held: None,
            reconnecting: None,
            watching: false,
            following_party: None,
            may_chat: true,
            paused_by_key: false,
            morgue: None,
            asked_for_character: false,
            died: false,
        }
    }

    /// The host reports on its own health.
    pub fn host_status(&mut self, status: game::protocol::HostStatus) {
        use game::protocol::HostStatus;
        match status {
            HostStatus::CannotSave { reason } => {
                self.host_trouble = Some(format!(
                    "The host cannot save: {reason}. The game is paused until it can."
                ));
            }
            HostStatus::Saving => {
                self.host_trouble = None;
                self.notice = Some("The host is saving again; the game goes on.".into());
            }
            HostStatus::Announcement { text } => {
                self.notice = Some(format!(
                    "Announcement: {}",
                    game::text::sanitize(&text, 200)
                ));
            }
        }
    }

    /// The host issued a new invite code (the old one expired or admitted all it may).
    pub fn invite_renewed(&mut self, code: Option<String>) {
        if self.session.invite.is_some() && code.is_some() && code != self.session.invite {
            self.notice = Some("A new invite code replaces the old one: press I to see it.".into());
        }
        self.session.invite = code;
    }

    /// The host's reachability changed (a mapping landed or was lost).
    pub fn reach_changed(&mut self, reach: Reach) {
        if self.session.reach.is_some() && self.session.reach.as_ref() != Some(&reach) {
            self.notice = Some(format!(
                "Reachability: {}. Press I for details.",
                reach.short()
            ));
        }
        self.session.reach = Some(reach);
    }

    /// The mouse on the game screen: hovering the map describes a cell, a click walks there, a
    /// click on an ability in the sidebar uses it.
    fn handle_mouse(&mut self, mouse: crossterm::event::MouseEvent) -> Option<Intent> {
        use crossterm::event::{MouseButton, MouseEventKind};
        let hit = crate::draw::hit(self, mouse.column, mouse.row);
        match (mouse.kind, hit) {
            (MouseEventKind::Moved, crate::draw::Hit::Map(p)) => {
                self.hover = self.view.tile(p).is_some().then_some(p);
                None
            }
            (MouseEventKind::Moved, _) => {
                self.hover = None;
                None
            }
            (MouseEventKind::Down(MouseButton::Left), crate::draw::Hit::Map(p)) => {
                if self.panel.is_some() || self.overlay.is_some() {
                    return None;
                }
                self.travel = None;
                let intent = self.walk(crate::travel::Goal::Cell(p));
                self.sent(intent)
            }
            (MouseEventKind::Down(MouseButton::Left), crate::draw::Hit::Ability(slot)) => {
                if self.panel.is_some() || self.overlay.is_some() {
                    return None;
                }
                let intent = self.game_command(Command::Ability(slot));
                self.sent(intent)
            }
            _ => None,
        }
    }

    /// A solo game: this process hosts and nobody else may join.
    pub fn solo(&self) -> bool {
        self.session.hosting && self.session.invite.is_none()
    }

    /// Whether the world should stand still now: in a solo game, while help, the message
    /// history, the inventory, crafting or the vault is open, or after `p`.
    pub fn wants_pause(&self) -> bool {
        let reading = self.overlay.is_some()
            || matches!(
                self.panel,
                Some(Panel::Inventory { .. } | Panel::Craft { .. } | Panel::Vault { .. })
            );
        self.solo() && matches!(self.screen, Screen::Game) && (self.paused_by_key || reading)
    }

    /// A morgue file's text, once, for the runtime to write.
    pub fn take_morgue(&mut self) -> Option<String> {
        self.morgue.take()
    }

    /// The main menu.
    pub fn menu() -> App {
        App::new(Screen::Menu { selected: 0 })
    }

    /// A "connecting…" screen while the runtime dials.
    pub fn connecting(what: impl Into<String>) -> App {
        App::new(Screen::Connecting { what: what.into() })
    }

    /// True once the player died (the class picker says so).
    pub fn died(&self) -> bool {
        self.died
    }

    /// Party members other than this player who are connected.
    pub fn others_connected(&self) -> usize {
        self.view
            .party
            .iter()
            .filter(|m| !m.is_you && m.status != MemberStatus::Away)
            .count()
    }

    /// The session is up: show the game (or the class picker once the first update says so).
    pub fn joined(&mut self, session: Session) {
        self.session = session;
        self.view = ClientView::new();
        self.screen = Screen::Connecting {
            what: "entering the dungeon".into(),
        };
    }

    /// The session ended (or never began): show why.
    pub fn ended(&mut self, message: impl Into<String>) {
        self.overlay = None;
        self.screen = Screen::Ended {
            message: message.into(),
        };
    }

    /// Joining failed: back to the join screen with the reason, keeping what was typed.
    pub fn join_failed(&mut self, code: &str, message: impl Into<String>) {
        self.screen = Screen::Join {
            input: Input::new(code.to_owned()),
            error: Some(message.into()),
            selected: 0,
        };
    }

    /// Applies an update from the host; returns what to do when it calls for a new character.
    pub fn apply_update(&mut self, update: Update) -> Result<Option<Intent>, ViewError> {
        let had_character = self.view.me.is_some();
        let mut before = self.view.me.clone().map(|me| (me, self.view.pack.clone()));
        if let Some(following) = &update.following {
            // Another player's view (or our own again): nobody died in this switch.
            before = None;
            self.following_party = following.clone();
            if let Some(name) = following {
                self.screen = Screen::Game;
                self.notice = Some(format!("{} {name}.", WATCHING_PARTY));
            }
        }
        let trade_ended = matches!(update.trade, Some(None));
        self.view.apply(update)?;
        Ok(self.settle(had_character, before, trade_ended))
    }

    /// Applies a snapshot from the host (if it is news); returns whether it was applied (the
    /// client then acknowledges it) and the next step of a walk, if one is due.
    pub fn apply_snapshot(
        &mut self,
        snapshot: Snapshot,
    ) -> Result<(bool, Option<Intent>), ViewError> {
        let had_character = self.view.me.is_some();
        if !self.view.apply_snapshot(snapshot)? {
            return Ok((false, None));
        }
        Ok((true, self.settle(had_character, None, false)))
    }

    /// One poll of `tracker` applied at once and acknowledged (a client on a perfect link:
    /// tests and the fuzz seeds); returns the intent the update or snapshot called for.
    #[doc(hidden)]
    pub fn sync_with(
        &mut self,
        tracker: &mut game::view::Tracker,
        world: &game::World,
        player: game::PlayerId,
    ) -> Result<Option<Intent>, ViewError> {
        let out = tracker.poll(world, player, &std::collections::BTreeMap::new());
        let mut intent = None;
        if let Some(update) = out.update {
            intent = self.apply_update(update)?;
        }
        if let Some(snapshot) = out.snapshot {
            let (applied, next) = self.apply_snapshot(snapshot)?;
            if applied {
                tracker.acked(self.view.snapshot());
            }
            intent = intent.or(next);
        }
        Ok(intent)
    }

    /// The connection dropped: the screen stays, saying so, until [`App::link_resumed`].
    pub fn link_lost(&mut self, since_secs: u64) {
        self.reconnecting = Some(since_secs);
    }

    /// A new connection to the same host: the view resyncs from what it sends next, and an
    /// action that was in flight is forgotten (the player presses again).
    pub fn link_resumed(&mut self) {
        self.reconnecting = None;
        self.view.resync();
        self.inflight = None;
        self.held = None;
        self.travel = None;
    }

    /// What the character, the panels and the screen do after the view changed.
    fn settle(
        &mut self,
        had_character: bool,
        before: Option<(SelfView, PackView)>,
        trade_ended: bool,
    ) -> Option<Intent> {
        if self.following_party.is_some() {
            // Watching after death: the player chooses when to make a new character.
            return None;
        }
        if self.watching {
            self.screen = match self.view.me {
                Some(_) => Screen::Game,
                None => Screen::Connecting {
                    what: "nobody to watch yet: waiting for a player with a character".into(),
                },
            };
            return None;
        }
        match (&self.view.me, before) {
            (Some(_), _) if self.character_since.is_none() => {
                self.character_since = Some(self.view.tick);
            }
            (None, Some((me, pack))) => {
                let lived = self
                    .view
                    .tick
                    .saturating_sub(self.character_since.take().unwrap_or(self.view.tick));
                let death =
                    crate::death::Death::of(&me, &pack, &self.view, lived, self.session.tick_rate);
                self.morgue = Some(death.morgue(&self.session.world));
                self.travel = None;
                self.panel = None;
                self.overlay = None;
                self.died = true;
                self.screen = Screen::Death(death);
                return None;
            }
            _ => {}
        }
        if trade_ended && matches!(self.panel, Some(Panel::Trade { .. })) {
            self.panel = None;
        }
        match (&self.view.me, &self.screen) {
            (Some(_), Screen::Game) => self.release_held().or_else(|| {
                let step = self.travel_step()?;
                self.act(step)
            }),
            (Some(_), _) => {
                self.screen = Screen::Game;
                None
            }
            (None, Screen::ChooseClass { .. } | Screen::Death(_)) => None,
            (None, _) => {
                self.died |= had_character;
                if let Some(class) = self.preferred_class.filter(|_| !self.asked_for_character) {
                    self.asked_for_character = true;
                    return Some(Intent::CreateCharacter(class));
                }
                self.screen = Screen::ChooseClass { selected: 0 };
                None
            }
        }
    }

    /// A terminal event (key presses only; releases and repeats from Windows are ignored).
    pub fn handle_event(&mut self, event: &Event) -> Option<Intent> {
        match event {
            Event::Key(key) if key.kind == KeyEventKind::Press => self.handle_key(*key),
            Event::Paste(text) => {
                self.handle_paste(text);
                None
            }
            Event::Mouse(mouse) if matches!(self.screen, Screen::Game) => self.handle_mouse(*mouse),
            _ => None,
        }
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> Option<Intent> {
        if let Some(overlay) = self.overlay.clone() {
            return self.overlay_key(overlay, key);
        }
        if matches!(self.screen, Screen::Game) && self.panel.is_some() {
            return self.panel_key(key);
        }
        let ctrl_c =
            key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
        match &mut self.screen {
            Screen::Menu { selected } => match key.code {
                KeyCode::Up | KeyCode::Char('k') => {
                    *selected = (*selected + MENU.len() - 1) % MENU.len();
                    None
                }
                KeyCode::Down | KeyCode::Char('j') | KeyCode::Tab => {
                    *selected = (*selected + 1) % MENU.len();
                    None
                }
                KeyCode::Enter => match *selected {
                    0 => Some(Intent::Solo),
                    1 => Some(Intent::Host),
                    2 => {
                        self.screen = Screen::Join {
                            input: Input::default(),
                            error: None,
                            selected: 0,
                        };
                        None
                    }
                    3 => Some(Intent::Leaderboard { global: false }),
                    _ => Some(Intent::Exit),
                },
                KeyCode::Char('q') | KeyCode::Char('Q') | KeyCode::Esc => Some(Intent::Exit),
                _ if ctrl_c => Some(Intent::Exit),
                _ => None,
            },
            Screen::Join {
                input,
                error,
                selected,
            } => match key.code {
                KeyCode::Up => {
                    *selected = selected.saturating_sub(1);
                    None
                }
                KeyCode::Down => {
                    *selected = (*selected + 1).min(self.lan.len().saturating_sub(1));
                    None
                }
                KeyCode::Enter | KeyCode::Tab => {
                    let watch = key.code == KeyCode::Tab;
                    let typed = input.value().trim();
                    if !typed.is_empty() {
                        Some(if watch {
                            Intent::Watch(typed.to_owned())
                        } else {
                            Intent::Join(typed.to_owned())
                        })
                    } else if let Some(game) = self.lan.get(*selected) {
                        let id = game.id.clone();
                        Some(if watch {
                            Intent::WatchLan(id)
                        } else {
                            Intent::JoinLan(id)
                        })
                    } else {
                        *error = Some(
                            "Choose a game from the list, or paste an invite code first.".into(),
                        );
                        None
                    }
                }
                KeyCode::Esc => {
                    self.screen = Screen::Menu { selected: 2 };
                    None
                }
                _ if ctrl_c => Some(Intent::Exit),
                _ => {
                    input.handle_event(&Event::Key(key));
                    *error = None;
                    None
                }
            },
            Screen::Connecting { .. } => ctrl_c.then_some(Intent::Exit),
            Screen::Ended { .. } => Some(Intent::Exit),
            Screen::Leaderboard { global, .. } => match key.code {
                KeyCode::Tab | KeyCode::BackTab | KeyCode::Left | KeyCode::Right => {
                    Some(Intent::Leaderboard { global: !*global })
                }
                _ => {
                    self.screen = Screen::Menu { selected: 3 };
                    None
                }
            },
            Screen::Death(_) => {
                if ctrl_c {
                    return self.quit();
                }
                self.screen = Screen::ChooseClass { selected: 0 };
                // Watch the others until a new character is chosen (the host ignores this when
                // nobody is there to follow, and the class picker stays).
                Some(Intent::Follow(None))
            }
            Screen::ChooseClass { selected } => match key.code {
                KeyCode::Up | KeyCode::Char('k') => {
                    *selected = (*selected + Class::ALL.len() - 1) % Class::ALL.len();
                    None
                }
                KeyCode::Down | KeyCode::Char('j') | KeyCode::Tab => {
                    *selected = (*selected + 1) % Class::ALL.len();
                    None
                }
                KeyCode::Char(c @ '1'..='4') => {
                    let class = Class::ALL[c as usize - '1' as usize];
                    Some(Intent::CreateCharacter(class))
                }
                KeyCode::Enter => Some(Intent::CreateCharacter(Class::ALL[*selected])),
                KeyCode::Char('w') if self.died => match &self.following_party {
                    Some(_) => {
                        self.screen = Screen::Game;
                        None
                    }
                    None => Some(Intent::Follow(None)),
                },
                KeyCode::Char('Q') => self.quit(),
                _ if ctrl_c => self.quit(),
                _ => None,
            },
            Screen::Game => {
                // Any key stops walking (and does nothing else).
                if self.travel.take().is_some() {
                    self.notice = Some("Stopped.".into());
                    return None;
                }
                if self.watching {
                    return self.watcher_key(key, ctrl_c);
                }
                if self.following_party.is_some() {
                    return self.follower_key(key, ctrl_c);
                }
                let command = self.keys.command_for(&key)?;
                self.notice = None;
                // Acting resumes a paused game.
                if !matches!(command, Command::Pause) {
                    self.paused_by_key = false;
                }
                let intent = self.game_command(command);
                self.sent(intent)
            }
        }
    }

    fn game_command(&mut self, command: Command) -> Option<Intent> {
        match command {
            Command::Step(dir) => Some(Intent::Act(Action::Move(dir))),
            Command::Run(dir) => self.walk(crate::travel::Goal::Run(dir)),
            Command::Wait => Some(Intent::Act(Action::Wait)),
            Command::Descend => self.stairs(true),
            Command::Ascend => self.stairs(false),
            Command::Explore => self.walk(crate::travel::Goal::Explore),
            Command::Rest => self.walk(crate::travel::Goal::Rest),
            Command::Pause => {
                if self.solo() {
                    self.paused_by_key = !self.paused_by_key;
                } else {
                    self.notice = Some("Only a solo game pauses: the world goes on.".into());
                }
                None
            }
            Command::Look => {
                let cursor = self.view.me.as_ref()?.pos;
                self.open(Panel::Look { cursor })
            }
            Command::PickUp => Some(Intent::Act(Action::PickUp)),
            Command::Ability(slot) => self.ability(slot),
            Command::CycleTarget => {
                self.cycle_target();
                None
            }
            Command::Inventory => self.open(Panel::inventory()),
            Command::Talents => {
                let first = self.view.me.as_ref().map_or(0, |me| {
                    game::talent::due(me.level, &me.talents).map_or(0, |t| usize::from(t) * 2)
                });
                self.open(Panel::Talents { selected: first })
            }
            Command::Craft => self.open(Panel::craft()),
            Command::Vault => {
                if self.view.me.as_ref().is_some_and(|m| m.at_shrine) {
                    self.open(Panel::vault())
                } else {
                    self.notice = Some("Your vault opens at a Vault Shrine (Ω).".into());
                    None
                }
            }
            Command::Trade => self.trade_key(),
            Command::Chat => self.open(Panel::Chat(Input::default())),
            Command::Help => {
                self.overlay = Some(Overlay::Help);
                None
            }
            Command::History => {
                self.overlay = Some(Overlay::History { scroll: 0 });
                None
            }
            Command::ShowInvite => {
                self.overlay = Some(Overlay::Invite);
                None
            }
            Command::Quit => self.quit(),
        }
    }

    /// A key while watching: Tab follows the next player, `?` shows the keys, q leaves; the
    /// rest would act, so it only says how watching works.
    fn watcher_key(&mut self, key: KeyEvent, ctrl_c: bool) -> Option<Intent> {
        match key.code {
            KeyCode::Tab => Some(Intent::Follow(None)),
            KeyCode::Char('q') | KeyCode::Char('Q') | KeyCode::Esc => Some(Intent::Leave),
            _ if ctrl_c => Some(Intent::Leave),
            _ if self.may_chat && self.keys.command_for(&key) == Some(Command::Chat) => {
                self.open(Panel::Chat(Input::default()))
            }
            _ if self.keys.command_for(&key) == Some(Command::Help) => {
                self.overlay = Some(Overlay::Help);
                None
            }
            _ => {
                let chat = if self.may_chat { " Enter chats." } else { "" };
                self.notice = Some(format!("{WATCHING_KEYS}{chat}"));
                None
            }
        }
    }

    /// A key while watching the party after death: Tab follows the next player, Enter picks
    /// a new character, `?` shows the keys, Q leaves; the rest says so.
    fn follower_key(&mut self, key: KeyEvent, ctrl_c: bool) -> Option<Intent> {
        match key.code {
            KeyCode::Tab => Some(Intent::Follow(None)),
            KeyCode::Enter => {
                self.screen = Screen::ChooseClass { selected: 0 };
                None
            }
            KeyCode::Char('Q') => self.quit(),
            _ if ctrl_c => self.quit(),
            _ if self.keys.command_for(&key) == Some(Command::Help) => {
                self.overlay = Some(Overlay::Help);
                None
            }
            _ => {
                let name = self.following_party.clone().unwrap_or_default();
                self.notice = Some(format!("{WATCHING_PARTY} {name}."));
                None
            }
        }
    }

    fn open(&mut self, panel: Panel) -> Option<Intent> {
        self.panel = Some(panel);
        None
    }

    /// The monsters in sight, nearest first (a Scroll of Detection shows others too: they
    /// are drawn, not targeted).
    fn enemies_in_sight(&self) -> Vec<(u64, Pos)> {
        let Some(me) = self.view.me.as_ref() else {
            return Vec::new();
        };
        let mut enemies: Vec<(i32, u64, Pos)> = self
            .view
            .entities
            .iter()
            .filter(|e| matches!(e.kind, EntityKind::Monster(_)) && self.view.in_sight(e.pos))
            .map(|e| (e.pos.chebyshev(me.pos), e.id, e.pos))
            .collect();
        enemies.sort();
        enemies.into_iter().map(|(_, id, p)| (id, p)).collect()
    }

    /// The target if it is still in sight.
    pub fn current_target(&self) -> Option<(u64, Pos)> {
        let id = self.target?;
        self.enemies_in_sight().into_iter().find(|(e, _)| *e == id)
    }

    fn cycle_target(&mut self) {
        let enemies = self.enemies_in_sight();
        let next = match self.current_target() {
            Some((id, _)) => enemies
                .iter()
                .position(|(e, _)| *e == id)
                .map(|i| enemies[(i + 1) % enemies.len()].0),
            None => enemies.first().map(|(e, _)| *e),
        };
        self.target = next;
        if next.is_none() {
            self.notice = Some("No enemy in sight to target.".into());
        }
    }

    /// Ability keys: enemies get the Tab target (or the nearest), cells get an aiming cursor,
    /// the rest is chosen by the host.
    fn ability(&mut self, slot: u8) -> Option<Intent> {
        let me = self.view.me.as_ref()?;
        let def = me.class.abilities()[usize::from(slot)];
        let target = match def.aim {
            Aim::Enemy { .. } => match self.current_target() {
                Some((id, _)) => Target::Entity(game::EntityId(id)),
                None => Target::Auto,
            },
            Aim::Cell { .. } => {
                let cursor = self.current_target().map_or(me.pos, |(_, p)| p);
                return self.open(Panel::Aim { slot, cursor });
            }
            _ => Target::Auto,
        };
        Some(Intent::Act(Action::Ability { slot, target }))
    }

    /// `t`: see the open trade, or open one with the player next to us.
    fn trade_key(&mut self) -> Option<Intent> {
        if self.view.trade.is_some() {
            return self.open(Panel::Trade { selected: 0 });
        }
        let me = self.view.me.as_ref()?;
        let neighbour = self.view.entities.iter().find(|e| {
            matches!(e.kind, EntityKind::Character { away: false, .. }) && e.pos.is_adjacent(me.pos)
        });
        match neighbour {
            Some(e) => {
                self.panel = Some(Panel::Trade { selected: 0 });
                Some(Intent::Trade(TradeInput::Open {
                    with: game::EntityId(e.id),
                }))
            }
            None => {
                self.notice = Some("Stand next to a player to trade (or chat /trade NAME).".into());
                None
            }
        }
    }

    /// Quitting: a host with others connected confirms first.
    /// Sends `action` now, or, while the last one has not started (the character is busy and
    /// the host holds it), keeps it to send when that one starts: one key pressed while busy
    /// is performed next, and a held-down key moves at the move rate instead of flooding.
    fn act(&mut self, action: Action) -> Option<Intent> {
        if self.in_flight() {
            self.held = Some(action);
            return None;
        }
        self.inflight = Some((self.view.ack, 0));
        Some(Intent::Act(action))
    }

    /// An intent on its way out: an action goes through [`App::act`] (one in flight).
    pub(crate) fn sent(&mut self, intent: Option<Intent>) -> Option<Intent> {
        match intent {
            Some(Intent::Act(action)) => self.act(action),
            other => other,
        }
    }

    /// Whether the last action sent has not started yet (given up after about a second, in
    /// case the host refused it).
    fn in_flight(&self) -> bool {
        self.inflight
            .is_some_and(|(ack, updates)| self.view.ack <= ack && updates < INFLIGHT_PATIENCE)
    }

    /// After an update: the held action goes once the one before it started.
    fn release_held(&mut self) -> Option<Intent> {
        if let Some((_, updates)) = &mut self.inflight {
            *updates = updates.saturating_add(1);
        }
        if self.in_flight() {
            return None;
        }
        self.inflight = None;
        let action = self.held.take()?;
        self.act(action)
    }

    /// Takes the stairs when standing on them, otherwise walks to the known ones.
    fn stairs(&mut self, down: bool) -> Option<Intent> {
        let (tile, action) = if down {
            (game::Tile::StairsDown, Action::Descend)
        } else {
            (game::Tile::StairsUp, Action::Ascend)
        };
        let me = self.view.me.as_ref()?;
        if self.view.tile(me.pos) == Some(tile) {
            return Some(Intent::Act(action));
        }
        self.walk(crate::travel::Goal::Stairs { down })
    }

    /// Starts walking toward `goal` and takes the first step, or says why not.
    pub(crate) fn walk(&mut self, goal: crate::travel::Goal) -> Option<Intent> {
        match crate::travel::Travel::start(goal, &self.view) {
            Ok(travel) => {
                self.travel = Some(travel);
                self.travel_step().map(Intent::Act)
            }
            Err(why) => {
                self.notice = Some(why);
                None
            }
        }
    }

    /// The next step of the walk in progress, if it is time for one.
    fn travel_step(&mut self) -> Option<Action> {
        use crate::travel::Next;
        let ready = !self.in_flight();
        match self.travel.as_mut()?.next(&self.view, ready) {
            Next::Act(action) => Some(action),
            Next::Wait => None,
            Next::Stop(why) => {
                self.travel = None;
                self.notice = (!why.is_empty()).then_some(why);
                None
            }
        }
    }

    fn quit(&mut self) -> Option<Intent> {
        let others = self.others_connected();
        if self.session.hosting && others > 0 {
            self.overlay = Some(Overlay::ConfirmQuit { others });
            None
        } else {
            Some(Intent::Leave)
        }
    }

    fn overlay_key(&mut self, overlay: Overlay, key: KeyEvent) -> Option<Intent> {
        match overlay {
            Overlay::ConfirmQuit { .. } => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    self.overlay = None;
                    Some(Intent::Leave)
                }
                // A second Ctrl-C quits at once (the world is saved and friends are told).
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    self.overlay = None;
                    Some(Intent::Exit)
                }
                _ => {
                    self.overlay = None;
                    None
                }
            },
            Overlay::Help | Overlay::Invite => {
                self.overlay = None;
                None
            }
            Overlay::History { scroll } => {
                let lines = crate::log::folded(&self.view.log).len();
                let most = lines.saturating_sub(history_rows(self.rows));
                let scroll = match key.code {
                    KeyCode::Up | KeyCode::Char('k') => scroll + 1,
                    KeyCode::Down | KeyCode::Char('j') => scroll.saturating_sub(1),
                    KeyCode::PageUp => scroll + HISTORY_PAGE,
                    KeyCode::PageDown => scroll.saturating_sub(HISTORY_PAGE),
                    KeyCode::Home | KeyCode::Char('g') => most,
                    KeyCode::End | KeyCode::Char('G') => 0,
                    _ => {
                        self.overlay = None;
                        return None;
                    }
                };
                self.overlay = Some(Overlay::History {
                    scroll: scroll.min(most),
                });
                None
            }
        }
    }

    /// Pasted text goes into the join field (terminals with bracketed paste send it whole).
    pub fn handle_paste(&mut self, pasted: &str) {
        if let Screen::Join { input, error, .. } = &mut self.screen {
            let clean = text::sanitize(pasted, 200);
            let value = format!("{}{}", input.value(), clean);
            *input = Input::new(value);
            *error = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use game::Dir;
    use game::protocol::{PartyMember, SelfView};

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn me() -> SelfView {
        SelfView {
            class: Class::Mage,
            hp: 10,
            max_hp: 22,
            mana: 3,
            max_mana: 30,
            depth: 1,
            pos: game::Pos::new(1, 1),
            downed: None,
            busy_until: 0,
            ready: 0xff,
            kills: 0,
            cooldown_until: [0; 3],
            shield_wall_until: 0,
            ward: 0,
            gear: Default::default(),
            impure: false,
            at_shrine: false,
            channel: None,
            level: 1,
            xp: 0,
            hasted_until: 0,
            detect_until: 0,
            unnoticed_until: 0,
            characters_here: 1,
            talents: [None; 3],
        }
    }

    fn member(name: &str, you: bool, status: MemberStatus) -> PartyMember {
        PartyMember {
            name: name.into(),
            entity: None,
            class: Some(Class::Warrior),
            hp: 1,
            max_hp: 1,
            depth: 1,
            status,
            rtt_ms: Some(3),
            is_you: you,
            heart: false,
        }
    }

    #[test]
    fn menu_enter_picks_the_selected_entry() {
        let mut app = App::menu();
        assert_eq!(app.handle_key(key(KeyCode::Enter)), Some(Intent::Solo));
        app.handle_key(key(KeyCode::Down));
        assert_eq!(app.handle_key(key(KeyCode::Enter)), Some(Intent::Host));
        app.handle_key(key(KeyCode::Down));
        assert_eq!(app.handle_key(key(KeyCode::Enter)), None);
        assert!(matches!(app.screen, Screen::Join { .. }));
        assert_eq!(App::menu().handle_key(key(KeyCode::Up)), None);
    }

    #[test]
    fn a_pasted_code_is_joined_with_enter() {
        let mut app = App::menu();
        app.screen = Screen::Join {
            input: Input::default(),
            error: None,
            selected: 0,
        };
        app.handle_event(&Event::Paste("  BRG-ABC\u{1b}[2J \n".into()));
        assert_eq!(
            app.handle_key(key(KeyCode::Enter)),
            Some(Intent::Join("BRG-ABC[2J".into()))
        );
        app.join_failed("BRG-ABC", "typo");
        assert!(matches!(&app.screen, Screen::Join { error: Some(e), .. } if e == "typo"));
        app.handle_key(key(KeyCode::Char('D')));
        assert!(
            matches!(&app.screen, Screen::Join { error: None, input, .. } if input.value() == "BRG-ABCD")
        );
    }

    fn lan_entry(id: &str) -> LanEntry {
        LanEntry {
            id: id.into(),
            world: "w".into(),
            host: "h".into(),
            players: 1,
            max_players: 8,
            version: "0.1.0".into(),
            compatible: true,
            needs_code: false,
            fingerprint: "abcd".into(),
        }
    }

    #[test]
    fn enter_joins_the_chosen_lan_game_unless_something_was_typed() {
        let mut app = App::menu();
        app.handle_key(key(KeyCode::Down));
        app.handle_key(key(KeyCode::Down));
        app.handle_key(key(KeyCode::Enter));
        assert_eq!(
            app.handle_key(key(KeyCode::Enter)),
            None,
            "nothing to join yet"
        );
        assert!(matches!(&app.screen, Screen::Join { error: Some(_), .. }));
        app.lan = vec![lan_entry("one"), lan_entry("two")];
        app.handle_key(key(KeyCode::Down));
        app.handle_key(key(KeyCode::Down));
        assert_eq!(
            app.handle_key(key(KeyCode::Enter)),
            Some(Intent::JoinLan("two".into()))
        );
        app.handle_key(key(KeyCode::Up));
        assert_eq!(
            app.handle_key(key(KeyCode::Enter)),
            Some(Intent::JoinLan("one".into()))
        );
        for c in "10.0.0.5:4470".chars() {
            app.handle_key(key(KeyCode::Char(c)));
        }
        assert_eq!(
            app.handle_key(key(KeyCode::Enter)),
            Some(Intent::Join("10.0.0.5:4470".into()))
        );
    }

    #[test]
    fn game_keys_become_actions_and_releases_are_ignored() {
        let mut app = App::new(Screen::Game);
        assert_eq!(
            app.handle_key(key(KeyCode::Char('y'))),
            Some(Intent::Act(Action::Move(Dir::NW)))
        );
        let release = KeyEvent::new_with_kind(
            KeyCode::Char('y'),
            KeyModifiers::NONE,
            KeyEventKind::Release,
        );
        assert_eq!(app.handle_event(&Event::Key(release)), None);
        app.handle_key(key(KeyCode::Char('?')));
        assert_eq!(app.overlay, Some(Overlay::Help));
        assert_eq!(
            app.handle_key(key(KeyCode::Char('h'))),
            None,
            "the help closes first"
        );
        assert_eq!(app.overlay, None);
    }

    #[test]
    fn a_host_with_friends_confirms_before_quitting() {
        let mut app = App::new(Screen::Game);
        app.session.hosting = true;
        app.view.party = vec![
            member("me", true, MemberStatus::Alive),
            member("bob", false, MemberStatus::Alive),
            member("gone", false, MemberStatus::Away),
        ];
        assert_eq!(app.handle_key(key(KeyCode::Char('Q'))), None);
        assert_eq!(app.overlay, Some(Overlay::ConfirmQuit { others: 1 }));
        assert_eq!(app.handle_key(key(KeyCode::Char('n'))), None);
        assert_eq!(app.overlay, None);
        app.handle_key(key(KeyCode::Char('Q')));
        assert_eq!(app.handle_key(key(KeyCode::Char('y'))), Some(Intent::Leave));
        // Ctrl-C asks the same question; a second Ctrl-C quits at once.
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(app.handle_key(ctrl_c), None);
        assert_eq!(app.overlay, Some(Overlay::ConfirmQuit { others: 1 }));
        assert_eq!(app.handle_key(ctrl_c), Some(Intent::Exit));
        assert_eq!(app.overlay, None);
        // Alone, or as a guest: no question.
        app.session.hosting = false;
        assert_eq!(app.handle_key(key(KeyCode::Char('Q'))), Some(Intent::Leave));
    }

    #[test]
    fn no_character_asks_for_a_class_once_then_shows_the_picker() {
        let mut app = App::connecting("x");
        app.preferred_class = Some(Class::Ranger);
        let first = app.apply_update(Update::default()).unwrap();
        assert_eq!(first, Some(Intent::CreateCharacter(Class::Ranger)));
        let with_me = Update {
            me: Some(Some(me())),
            ..Update::default()
        };
        app.apply_update(with_me).unwrap();
        assert!(matches!(app.screen, Screen::Game));
        assert!(!app.died());
        // Death: what happened, then the picker (no silent re-roll), which says so.
        let dead = Update {
            me: Some(None),
            ..Update::default()
        };
        assert_eq!(app.apply_update(dead).unwrap(), None);
        assert!(matches!(app.screen, Screen::Death(_)));
        assert!(app.died());
        // Going on asks to watch the others (the host answers only if anyone is there).
        assert_eq!(
            app.handle_key(key(KeyCode::Enter)),
            Some(Intent::Follow(None))
        );
        assert!(matches!(app.screen, Screen::ChooseClass { .. }));
        assert_eq!(
            app.handle_key(key(KeyCode::Char('4'))),
            Some(Intent::CreateCharacter(Class::Healer))
        );
    }

    #[test]
    fn a_solo_game_pauses_while_reading_or_after_p_and_a_shared_one_never() {
        let mut app = App::new(Screen::Game);
        app.view.me = Some(me());
        app.session.hosting = true; // solo: hosting, no invite code
        assert!(!app.wants_pause());
        app.handle_key(key(KeyCode::Char('?')));
        assert!(app.wants_pause(), "help pauses");
        app.handle_key(key(KeyCode::Esc));
        assert!(!app.wants_pause());
        app.handle_key(key(KeyCode::Char('i')));
        assert!(app.wants_pause(), "the inventory pauses");
        app.handle_key(key(KeyCode::Esc));
        app.handle_key(key(KeyCode::Char('p')));
        assert!(app.wants_pause(), "p pauses");
        app.handle_key(key(KeyCode::Char('p')));
        assert!(!app.wants_pause(), "p again resumes");
        app.handle_key(key(KeyCode::Char('p')));
        app.handle_key(key(KeyCode::Char('l')));
        assert!(!app.wants_pause(), "acting resumes");
        // Hosting for friends: never.
        app.session.invite = Some("BRG-CODE".into());
        app.handle_key(key(KeyCode::Char('p')));
        assert!(!app.wants_pause());
        assert_eq!(
            app.notice.as_deref(),
            Some("Only a solo game pauses: the world goes on.")
        );
        app.handle_key(key(KeyCode::Char('?')));
        assert!(!app.wants_pause());
    }
}
