//! `brogue replay`: export a span of a world hosted from this data dir to a file, check a file
//! headless, or watch one in the TUI following any player.

use std::path::Path;
use std::time::{Duration, Instant};

use color_eyre::eyre::{self, WrapErr as _};
use game::view::Tracker;
use game::{PlayerId, World};
use host::replay::{Playback, Replay};
use ui::{App, Event, KeyCode, KeyEventKind, Screen, Session};

/// `brogue replay export`: writes the span of `world` from `from` to `to` (ticks) to `file`.
pub fn export(
    data_dir: &Path,
    world: &str,
    from: Option<u64>,
    to: Option<u64>,
    file: &Path,
) -> eyre::Result<()> {
    let store = crate::check::open_save(data_dir, "`brogue replay export`")?;
    let span = store
        .span(world, from, to)?
        .ok_or_else(|| eyre::eyre!("the save has no world called {world}"))?;
    let replay = Replay::record(
        span.checkpoint,
        span.journal,
        span.from,
        span.to,
        env!("CARGO_PKG_VERSION"),
    )
    .wrap_err_with(|| format!("world {world} does not replay"))?;
    let bytes = replay.encode();
    // Written beside and renamed: a full disk leaves any older file of that name whole.
    let partial = file.with_extension("partial");
    std::fs::write(&partial, &bytes)
        .and_then(|()| std::fs::rename(&partial, file))
        .map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            eyre::eyre!("cannot write {}: {e}", file.display())
        })?;
    let rate = u64::from(replay_rate(&replay));
    println!(
        "replay: {} world {world} ticks {}..{} ({}) {} bytes state {}",
        file.display(),
        replay.from,
        replay.to,
        clock(replay.to - replay.from, rate),
        bytes.len(),
        replay.end_hash().map(|h| h.to_string()).unwrap_or_default()
    );
    Ok(())
}

/// `brogue replay FILE --check`: plays the file headless; fails where it diverges.
pub fn check(file: &Path) -> eyre::Result<()> {
    let replay = read(file)?;
    match replay.check() {
        Ok((tick, hash)) => {
            println!("replay: ok tick {tick} state {hash}");
            Ok(())
        }
        Err(divergence) => {
            println!("replay: {divergence}");
            eyre::bail!(
                "{} does not replay the same here (made by brogue {}, this is {}): the rules or \
                 the build differ",
                file.display(),
                replay.written_by,
                env!("CARGO_PKG_VERSION")
            )
        }
    }
}

/// `brogue replay FILE`: watches it in the terminal until the viewer quits.
pub fn watch(
    file: &Path,
    follow: Option<&str>,
    appearance: ui::appearance::Appearance,
) -> eyre::Result<()> {
    let replay = read(file)?;
    let mut viewer = Viewer::new(&replay, follow)?;
    viewer.app.appearance = appearance;
    let mut terminal = ui::term::init(false)?;
    let result = viewer.run(&mut terminal);
    ui::term::restore();
    result
}

fn read(file: &Path) -> eyre::Result<Replay> {
    let bytes =
        std::fs::read(file).map_err(|e| eyre::eyre!("cannot read {}: {e}", file.display()))?;
    Replay::decode(&bytes).map_err(|e| eyre::eyre!("{}: {e}", file.display()))
}

fn replay_rate(replay: &Replay) -> u8 {
    replay.save.core.tick_rate.hz()
}

/// `m:ss` of `ticks` at `rate` ticks a second.
fn clock(ticks: u64, rate: u64) -> String {
    let secs = ticks / rate.max(1);
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// Speeds the viewer steps through.
const SPEEDS: [f64; 7] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0];

/// A replay on screen: the world at some tick, the player followed, and what they see.
pub struct Viewer<'a> {
    replay: &'a Replay,
    play: Playback<'a>,
    pub app: App,
    tracker: Tracker,
    following: Option<PlayerId>,
    speed: usize,
    paused: bool,
    /// Digits typed toward a tick to seek to.
    typed: String,
    /// What the state hashes said: the end matched the file's, or where they parted.
    pub verdict: Option<String>,
}

impl<'a> Viewer<'a> {
    /// At the replay's `from`, following `follow` (or the first player with a character).
    pub fn new(replay: &'a Replay, follow: Option<&str>) -> eyre::Result<Viewer<'a>> {
        let mut play = Playback::new(replay).wrap_err("the replay's start does not load")?;
        play.seek(replay.from);
        let mut app = App::new(Screen::Connecting {
            what: "loading the replay".into(),
        });
        app.session = Session {
            world: format!("{} (replay)", play.world().name()),
            tick_rate: replay_rate(replay),
            ..Session::default()
        };
        let following = match follow {
            Some(name) => Some(
                play.world()
                    .players()
                    .find(|(_, p)| p.name.eq_ignore_ascii_case(name))
                    .map(|(id, _)| *id)
                    .ok_or_else(|| {
                        let names: Vec<_> = play
                            .world()
                            .players()
                            .map(|(_, p)| p.name.clone())
                            .collect();
                        eyre::eyre!(
                            "nobody called {name} is in this replay (players: {})",
                            names.join(", ")
                        )
                    })?,
            ),
            None => next_player(play.world(), None),
        };
        let mut viewer = Viewer {
            replay,
            play,
            app,
            tracker: Tracker::new(),
            following,
            speed: 2,
            paused: false,
            typed: String::new(),
            verdict: None,
        };
        viewer.refollow();
        Ok(viewer)
    }

    /// The tick shown.
    pub fn tick(&self) -> u64 {
        self.play.tick()
    }

    /// Plays one tick; `false` at the end.
    pub fn step(&mut self) -> bool {
        if !self.play.step() {
            self.paused = true;
            self.status();
            return false;
        }
        self.compare();
        self.sync();
        true
    }

    /// At a tick the file holds a state hash for, compares this build's.
    fn compare(&mut self) {
        let tick = self.tick();
        let marks = &self.replay.marks;
        let Ok(i) = marks.binary_search_by_key(&tick, |(t, _)| *t) else {
            return;
        };
        let here = self.play.world().state_hash();
        if here != marks[i].1 {
            self.verdict = Some(format!(
                "DIVERGED by tick {tick}: this build does not play the file as it was made"
            ));
        } else if tick == self.replay.to && self.verdict.is_none() {
            self.verdict = Some("the end state matches the file's".into());
        }
    }

    /// Goes to `tick` and shows it afresh.
    pub fn seek(&mut self, tick: u64) {
        self.play.seek(tick.max(self.replay.from));
        self.compare();
        self.refollow();
    }

    /// Follows the next player with a character.
    pub fn follow_next(&mut self) {
        self.following = next_player(self.play.world(), self.following);
        self.refollow();
    }

    /// A key: what the viewer does with it; `false` to quit.
    pub fn key(&mut self, code: KeyCode) -> bool {
        let rate = u64::from(replay_rate(self.replay));
        match code {
            KeyCode::Esc if !self.typed.is_empty() => self.typed.clear(),
            KeyCode::Char('q') | KeyCode::Esc => return false,
            KeyCode::Char(' ') => self.paused = !self.paused,
            KeyCode::Char('+') | KeyCode::Char('=') => {
                self.speed = (self.speed + 1).min(SPEEDS.len() - 1)
            }
            KeyCode::Char('-') => self.speed = self.speed.saturating_sub(1),
            KeyCode::Tab => self.follow_next(),
            KeyCode::Right => self.seek(self.tick() + 10 * rate),
            KeyCode::Left => self.seek(self.tick().saturating_sub(10 * rate)),
            KeyCode::PageDown => self.seek(self.tick() + 60 * rate),
            KeyCode::PageUp => self.seek(self.tick().saturating_sub(60 * rate)),
            KeyCode::Char('.') if self.paused => {
                self.step();
            }
            KeyCode::Home => self.seek(self.replay.from),
            KeyCode::End => self.seek(self.replay.to),
            KeyCode::Char(c) if c.is_ascii_digit() && self.typed.len() < 12 => self.typed.push(c),
            KeyCode::Backspace => {
                self.typed.pop();
            }
            KeyCode::Enter => {
                if let Ok(tick) = std::mem::take(&mut self.typed).parse() {
                    self.seek(tick);
                }
            }
            _ => {}
        }
        self.status();
        true
    }

    fn run(&mut self, terminal: &mut ui::term::Terminal) -> eyre::Result<()> {
        let rate = f64::from(replay_rate(self.replay));
        let mut next = Instant::now();
        loop {
            terminal.draw(|f| ui::draw(f, &self.app))?;
            let wait = next.saturating_duration_since(Instant::now());
            if let Some(event) = ui::term::next_event(wait)? {
                if let Event::Key(key) = event
                    && key.kind == KeyEventKind::Press
                    && !self.key(key.code)
                {
                    return Ok(());
                }
                continue;
            }
            next += Duration::from_secs_f64(1.0 / (rate * SPEEDS[self.speed]));
            // Behind (a slow terminal, a long pause): catch up without a burst.
            next = next.max(Instant::now() - Duration::from_millis(100));
            if !self.paused {
                self.step();
            }
        }
    }

    /// Starts the picture afresh for the player followed, at the current tick.
    fn refollow(&mut self) {
        self.tracker = Tracker::new();
        self.app.view = game::view::ClientView::new();
        self.app.screen = Screen::Connecting {
            what: String::new(),
        };
        self.sync();
    }

    fn sync(&mut self) {
        if self.following.is_none() {
            // Nobody was there yet: follow the first who comes.
            self.following = next_player(self.play.world(), None);
        }
        if let Some(id) = self.following {
            // Whatever the App asks for (a class, a step) is the followed player's to decide.
            let _ = self.app.sync_with(&mut self.tracker, self.play.world(), id);
        }
        if matches!(
            self.app.screen,
            Screen::ChooseClass { .. } | Screen::Connecting { .. }
        ) {
            let world = self.play.world();
            let who = self
                .following
                .and_then(|id| world.player(&id))
                .map_or("nobody is in the world yet".to_owned(), |p| {
                    format!("{} has no character now", p.name)
                });
            self.app.screen = Screen::Connecting {
                what: format!(
                    "tick {}: {who} (Space plays on, Tab follows another, q quits)",
                    world.tick().0
                ),
            };
        }
        self.status();
    }

    /// The status line under the log.
    fn status(&mut self) {
        let rate = u64::from(replay_rate(self.replay));
        let world = self.play.world();
        let name = self
            .following
            .and_then(|id| world.player(&id))
            .map_or("nobody", |p| p.name.as_str());
        let state = if self.paused { "paused" } else { "playing" };
        let speed = SPEEDS[self.speed];
        let at = format!(
            "Replay {}/{} tick {}",
            clock(self.tick().saturating_sub(self.replay.from), rate),
            clock(self.replay.to - self.replay.from, rate),
            self.tick(),
        );
        // While a tick is typed the line says only that, so it fits 80 columns.
        self.app.notice = Some(if !self.typed.is_empty() {
            format!(
                "{at} · go to tick {}_ (Enter goes, Esc cancels)",
                self.typed
            )
        } else {
            let tail = match &self.verdict {
                Some(verdict) => format!("; {verdict}."),
                None => ". Keys: Space + - ← → Tab q".to_owned(),
            };
            format!("{at} ×{speed} {state}, following {name}{tail}")
        });
    }
}

/// The player after `after` (in id order, wrapping) who has a character now; any player when
/// none has.
fn next_player(world: &World, after: Option<PlayerId>) -> Option<PlayerId> {
    host::next_followed(world, after).or_else(|| {
        let ids: Vec<PlayerId> = world.players().map(|(id, _)| *id).collect();
        let at = after.and_then(|a| ids.iter().position(|id| *id == a));
        ids.get(at.map_or(0, |i| (i + 1) % ids.len())).copied()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use game::{Action, Class, Input, TickRate};
    use host::Checkpoint;

    /// Ada (warrior) and Bo (mage) walk about for 400 ticks; watched from tick 100.
    fn film() -> Replay {
        let mut world = World::new("Film", 11, TickRate::DEFAULT);
        let start = Checkpoint::of(&world);
        let players = [
            (PlayerId([1; 32]), "Ada", Class::Warrior),
            (PlayerId([2; 32]), "Bo", Class::Mage),
        ];
        let mut journal = Vec::new();
        for t in 0..400u64 {
            let mut inputs = Vec::new();
            for (i, (id, name, class)) in players.iter().enumerate() {
                if t == 0 {
                    inputs.push(Input::Connect {
                        player: *id,
                        name: (*name).into(),
                    });
                    inputs.push(Input::CreateCharacter {
                        player: *id,
                        class: *class,
                    });
                } else if t % 6 == i as u64 {
                    let dir = game::Dir::ALL[((t / 6 + i as u64 * 3) % 8) as usize];
                    if let Ok(action) = world.check_action(*id, Action::Move(dir)) {
                        inputs.push(Input::Act {
                            player: *id,
                            seq: t as u32,
                            action,
                        });
                    }
                }
            }
            world.handle_tick(&inputs);
            if !inputs.is_empty() {
                journal.push((game::Tick(t), inputs));
            }
        }
        Replay::record(start, journal, 100, 400, "test").unwrap()
    }

    fn class_shown(v: &Viewer) -> Option<Class> {
        v.app.view.me.as_ref().map(|me| me.class)
    }

    #[test]
    fn the_viewer_follows_seeks_and_says_where_it_is() {
        let replay = film();
        let mut v = Viewer::new(&replay, Some("bo")).unwrap();
        assert_eq!((v.tick(), class_shown(&v)), (100, Some(Class::Mage)));
        assert!(matches!(v.app.screen, Screen::Game));
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/screens");
        ui::screens::check(&dir, "replay-80x24", &ui::screens::text(&v.app, 80, 24));

        assert!(v.key(KeyCode::Char(' ')));
        assert!(v.paused);
        assert!(v.step() && v.tick() == 101);
        v.key(KeyCode::Right);
        assert_eq!(v.tick(), 301);
        v.key(KeyCode::Left);
        v.key(KeyCode::Left);
        assert_eq!(v.tick(), 100, "not before where watching begins");
        for c in "250".chars() {
            v.key(KeyCode::Char(c));
        }
        assert!(v.app.notice.as_ref().unwrap().contains("go to tick 250_"));
        ui::screens::check(
            &dir,
            "replay-seek-80x24",
            &ui::screens::text(&v.app, 80, 24),
        );
        // Esc drops what was typed (a second one would quit).
        assert!(v.key(KeyCode::Esc));
        assert!(v.typed.is_empty() && v.tick() == 100);
        for c in "250".chars() {
            v.key(KeyCode::Char(c));
        }
        v.key(KeyCode::Enter);
        let mut through = Playback::new(&replay).unwrap();
        while through.tick() < 250 {
            through.step();
        }
        assert_eq!(v.tick(), 250);
        assert_eq!(v.play.world().state_hash(), through.world().state_hash());
        // What Bo sees after a seek is what Bo saw playing through.
        let mut bo = App::new(Screen::Game);
        bo.sync_with(&mut Tracker::new(), through.world(), PlayerId([2; 32]))
            .unwrap();
        assert_eq!(v.app.view.me, bo.view.me);
        assert_eq!(v.app.view.entities, bo.view.entities);

        v.key(KeyCode::Tab);
        assert_eq!(class_shown(&v), Some(Class::Warrior));
        v.key(KeyCode::Char('+'));
        assert!(
            v.app
                .notice
                .as_ref()
                .unwrap()
                .contains("×2 paused, following Ada")
        );
        assert_eq!(v.verdict, None);
        v.key(KeyCode::End);
        assert_eq!(v.tick(), 400);
        assert!(!v.step());
        assert_eq!(
            v.verdict.as_deref(),
            Some("the end state matches the file's")
        );
        assert!(
            v.app
                .notice
                .as_ref()
                .unwrap()
                .ends_with("matches the file's.")
        );
        assert!(!v.key(KeyCode::Char('q')));
    }

    #[test]
    fn a_file_this_build_plays_otherwise_says_so_on_screen() {
        let mut replay = film();
        let last = replay.marks.len() - 1;
        replay.marks[last].1 = game::StateHash([0; 32]);
        let mut v = Viewer::new(&replay, None).unwrap();
        v.key(KeyCode::End);
        let verdict = v.verdict.clone().unwrap();
        assert!(verdict.starts_with("DIVERGED by tick 400"), "{verdict}");
    }

    #[test]
    fn following_someone_not_in_the_replay_names_who_is() {
        let replay = film();
        let err = Viewer::new(&replay, Some("Cy")).err().unwrap().to_string();
        assert!(
            err.contains("nobody called Cy") && err.contains("Ada, Bo"),
            "{err}"
        );
    }
}
