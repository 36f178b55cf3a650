//! The in-game keymap: one table that both dispatches keys and generates the help screen, so
//! the two can never disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyEventState, KeyModifiers};
use game::Dir;

/// What a key asks for in the game screen.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Step(Dir),
    /// Shift+direction: run.
    Run(Dir),
    Wait,
    Explore,
    Rest,
    Look,
    Pause,
    Descend,
    Ascend,
    PickUp,
    /// Ability 1, 2 or 3 (slot 0..=2).
    Ability(u8),
    CycleTarget,
    Inventory,
    Talents,
    Craft,
    Vault,
    Trade,
    Chat,
    Help,
    History,
    ShowInvite,
    Quit,
}

/// One row of the keymap.
#[derive(Copy, Clone, Debug)]
pub struct Binding {
    pub keys: &'static [KeyCode],
    pub command: Command,
    /// What the config file's `[keys]` calls it (empty: not rebindable).
    pub name: &'static str,
    pub help: &'static str,
}

/// The command the config file calls `name`.
pub fn command_named(name: &str) -> Option<Command> {
    GAME_KEYS
        .iter()
        .find(|b| !b.name.is_empty() && b.name == name)
        .map(|b| b.command)
}

/// Every rebindable command's name, in help order.
pub fn names() -> impl Iterator<Item = &'static str> {
    GAME_KEYS.iter().map(|b| b.name).filter(|n| !n.is_empty())
}

const fn step(dir: Dir) -> Command {
    Command::Step(dir)
}

/// The game screen's keys. Vi-keys and arrows move; the digits are the abilities.
pub const GAME_KEYS: &[Binding] = &[
    Binding {
        keys: &[KeyCode::Char('h'), KeyCode::Left],
        command: step(Dir::W),
        name: "west",
        help: "west; bump attacks/opens/mines",
    },
    Binding {
        keys: &[KeyCode::Char('l'), KeyCode::Right],
        command: step(Dir::E),
        name: "east",
        help: "east",
    },
    Binding {
        keys: &[KeyCode::Char('k'), KeyCode::Up],
        command: step(Dir::N),
        name: "north",
        help: "north",
    },
    Binding {
        keys: &[KeyCode::Char('j'), KeyCode::Down],
        command: step(Dir::S),
        name: "south",
        help: "south",
    },
    Binding {
        keys: &[KeyCode::Char('y'), KeyCode::Home],
        command: step(Dir::NW),
        name: "north-west",
        help: "north-west",
    },
    Binding {
        keys: &[KeyCode::Char('u'), KeyCode::PageUp],
        command: step(Dir::NE),
        name: "north-east",
        help: "north-east",
    },
    Binding {
        keys: &[KeyCode::Char('b'), KeyCode::End],
        command: step(Dir::SW),
        name: "south-west",
        help: "south-west",
    },
    Binding {
        keys: &[KeyCode::Char('n'), KeyCode::PageDown],
        command: step(Dir::SE),
        name: "south-east",
        help: "south-east",
    },
    Binding {
        keys: &[KeyCode::Char('.')],
        command: Command::Wait,
        name: "wait",
        help: "wait a moment",
    },
    Binding {
        keys: &[KeyCode::Char('1'), KeyCode::F(1)],
        command: Command::Ability(0),
        name: "ability-1",
        help: "ability 1 (listed in sidebar)",
    },
    Binding {
        keys: &[KeyCode::Char('2'), KeyCode::F(2)],
        command: Command::Ability(1),
        name: "ability-2",
        help: "ability 2",
    },
    Binding {
        keys: &[KeyCode::Char('3'), KeyCode::F(3)],
        command: Command::Ability(2),
        name: "ability-3",
        help: "ability 3",
    },
    Binding {
        keys: &[KeyCode::Tab],
        command: Command::CycleTarget,
        name: "target",
        help: "target the next enemy",
    },
    Binding {
        keys: &[KeyCode::Char('>')],
        command: Command::Descend,
        name: "down",
        help: "stairs down (or walk to them)",
    },
    Binding {
        keys: &[KeyCode::Char('<')],
        command: Command::Ascend,
        name: "up",
        help: "up; carry the Heart out to win",
    },
    Binding {
        // Dispatched by `command_for` for every direction; listed once for the help.
        keys: &[],
        command: Command::Run(Dir::W),
        name: "",
        help: "Shift+direction: run",
    },
    Binding {
        keys: &[KeyCode::Char('x')],
        command: Command::Explore,
        name: "explore",
        help: "explore (stops for monsters)",
    },
    Binding {
        keys: &[KeyCode::Char(';')],
        command: Command::Look,
        name: "look",
        help: "look (Enter walks there)",
    },
    Binding {
        keys: &[KeyCode::Char('p')],
        command: Command::Pause,
        name: "pause",
        help: "pause (solo games only)",
    },
    Binding {
        keys: &[KeyCode::Char('Z')],
        command: Command::Rest,
        name: "rest",
        help: "rest until healed",
    },
    Binding {
        keys: &[KeyCode::Char('g')],
        command: Command::PickUp,
        name: "pick-up",
        help: "pick up what lies here",
    },
    Binding {
        keys: &[KeyCode::Char('i')],
        command: Command::Inventory,
        name: "inventory",
        help: "inventory: wear, drink, read",
    },
    Binding {
        keys: &[KeyCode::Char('T')],
        command: Command::Talents,
        name: "talents",
        help: "talents (levels 4, 8, 12)",
    },
    Binding {
        keys: &[KeyCode::Char('c')],
        command: Command::Craft,
        name: "craft",
        help: "craft gear from ore",
    },
    Binding {
        keys: &[KeyCode::Char('v')],
        command: Command::Vault,
        name: "vault",
        help: "Legacy Vault (at a shrine Ω)",
    },
    Binding {
        keys: &[KeyCode::Char('t')],
        command: Command::Trade,
        name: "trade",
        help: "trade with the player by you",
    },
    Binding {
        keys: &[KeyCode::Enter],
        command: Command::Chat,
        name: "chat",
        help: "chat, /trade, /invite, /leave",
    },
    Binding {
        keys: &[KeyCode::Char('P')],
        command: Command::History,
        name: "history",
        help: "message history (also Ctrl-P)",
    },
    Binding {
        keys: &[KeyCode::Char('I')],
        command: Command::ShowInvite,
        name: "invite",
        help: "show the invite code",
    },
    Binding {
        keys: &[KeyCode::Char('?')],
        command: Command::Help,
        name: "help",
        help: "this help",
    },
    Binding {
        keys: &[KeyCode::Char('Q')],
        command: Command::Quit,
        name: "quit",
        help: "leave (safe once not fighting)",
    },
];

/// The game keys with a player's rebindings (`[keys]` in the config file) over the defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keymap {
    /// Keys given to a command; each also leaves whatever command had it by default.
    bound: Vec<(KeyCode, Command)>,
    /// Commands whose default keys were replaced.
    rebound: Vec<Command>,
}

/// A key as the config file writes it: one character, or `Enter`, `Tab`, `Esc`, `Space`,
/// `F1`…`F12`, `Left`, `Right`, `Up`, `Down`, `Home`, `End`, `PageUp`, `PageDown`.
pub fn parse_key(s: &str) -> Result<KeyCode, String> {
    let mut chars = s.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Ok(KeyCode::Char(c));
    }
    Ok(match s {
        "Enter" => KeyCode::Enter,
        "Tab" => KeyCode::Tab,
        "Esc" => KeyCode::Esc,
        "Space" => KeyCode::Char(' '),
        "Left" => KeyCode::Left,
        "Right" => KeyCode::Right,
        "Up" => KeyCode::Up,
        "Down" => KeyCode::Down,
        "Home" => KeyCode::Home,
        "End" => KeyCode::End,
        "PageUp" => KeyCode::PageUp,
        "PageDown" => KeyCode::PageDown,
        f if f.starts_with('F') => match f[1..].parse::<u8>() {
            Ok(n @ 1..=12) => KeyCode::F(n),
            _ => return Err(format!("no key {s:?}")),
        },
        _ => {
            return Err(format!(
                "no key {s:?}: give one character, or Enter, Tab, Esc, Space, F1–F12, an arrow \
                 (Left, Right, Up, Down), Home, End, PageUp or PageDown"
            ));
        }
    })
}

impl Keymap {
    /// The defaults with `command` on `keys` instead of its own.
    pub fn rebind(&mut self, command: Command, keys: &[KeyCode]) {
        self.bound
            .retain(|(k, c)| *c != command && !keys.contains(k));
        self.rebound.push(command);
        self.bound.extend(keys.iter().map(|k| (*k, command)));
    }

    /// The command a plain key (no modifiers) is bound to.
    fn lookup(&self, code: KeyCode) -> Option<Command> {
        if let Some((_, c)) = self.bound.iter().find(|(k, _)| *k == code) {
            return Some(*c);
        }
        GAME_KEYS
            .iter()
            .find(|b| b.keys.contains(&code) && !self.rebound.contains(&b.command))
            .map(|b| b.command)
    }

    /// The keys of `binding` now.
    fn keys_of(&self, binding: &Binding) -> Vec<KeyCode> {
        let mut keys: Vec<KeyCode> = if self.rebound.contains(&binding.command) {
            Vec::new()
        } else {
            binding
                .keys
                .iter()
                .filter(|k| !self.bound.iter().any(|(b, _)| b == *k))
                .copied()
                .collect()
        };
        keys.extend(
            self.bound
                .iter()
                .filter(|(_, c)| *c == binding.command)
                .map(|(k, _)| *k),
        );
        keys
    }

    /// The help screen's lines: keys, then what they do.
    pub fn help(&self) -> Vec<(String, &'static str)> {
        GAME_KEYS
            .iter()
            .map(|b| {
                let keys: Vec<String> = self.keys_of(b).iter().map(key_name).collect();
                (keys.join(" "), b.help)
            })
            .collect()
    }

    /// The command bound to a key press, if any. Ctrl-C always quits; Ctrl-P is the message
    /// history, as in other roguelikes.
    pub fn command_for(&self, key: &KeyEvent) -> Option<Command> {
        command_with(key, |code| self.lookup(code))
    }

    /// The direction a movement key points, for cursors in panels.
    pub fn direction_for(&self, key: &KeyEvent) -> Option<Dir> {
        match self.command_for(key)? {
            Command::Step(dir) => Some(dir),
            _ => None,
        }
    }
}

/// [`Keymap::command_for`] with the default keys.
pub fn command_for(key: &KeyEvent) -> Option<Command> {
    Keymap::default().command_for(key)
}

fn command_with(key: &KeyEvent, lookup: impl Fn(KeyCode) -> Option<Command>) -> Option<Command> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            KeyCode::Char('c') => Some(Command::Quit),
            KeyCode::Char('p') => Some(Command::History),
            _ => None,
        };
    }
    if key
        .modifiers
        .intersects(KeyModifiers::ALT | KeyModifiers::SUPER)
    {
        return None;
    }
    // Number-pad digits (NumLock on) move, where the terminal says a key came from the keypad
    // (terminals with the kitty keyboard protocol). Elsewhere the pad sends arrows and
    // Home/PgUp/End/PgDn with NumLock off, which move too; the top-row digits are abilities.
    if key.state.contains(KeyEventState::KEYPAD)
        && let KeyCode::Char(c @ '1'..='9') = key.code
    {
        return Some(match c {
            '1' => Command::Step(Dir::SW),
            '2' => Command::Step(Dir::S),
            '3' => Command::Step(Dir::SE),
            '4' => Command::Step(Dir::W),
            '5' => Command::Wait,
            '6' => Command::Step(Dir::E),
            '7' => Command::Step(Dir::NW),
            '8' => Command::Step(Dir::N),
            _ => Command::Step(Dir::NE),
        });
    }
    // Shift with a vi-key (or with an arrow, where the terminal reports it) runs that way.
    let run = match key.code {
        KeyCode::Char(c @ ('H' | 'J' | 'K' | 'L' | 'Y' | 'U' | 'B' | 'N')) => {
            Some(c.to_ascii_lowercase())
        }
        _ => None,
    };
    let shifted_arrow = key.modifiers.contains(KeyModifiers::SHIFT)
        && matches!(
            key.code,
            KeyCode::Left | KeyCode::Right | KeyCode::Up | KeyCode::Down
        );
    if let Some(c) = run {
        return direction_of(KeyCode::Char(c)).map(Command::Run);
    }
    if shifted_arrow {
        return direction_of(key.code).map(Command::Run);
    }
    lookup(key.code)
}

/// The direction a plain movement key steps.
fn direction_of(code: KeyCode) -> Option<Dir> {
    GAME_KEYS
        .iter()
        .find(|b| b.keys.contains(&code))
        .and_then(|b| match b.command {
            Command::Step(dir) => Some(dir),
            _ => None,
        })
}

/// How a key is written in the help screen.
pub fn key_name(code: &KeyCode) -> String {
    match code {
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::F(n) => format!("F{n}"),
        KeyCode::Tab => "Tab".into(),
        KeyCode::Enter => "Enter".into(),
        other => format!("{other:?}"),
    }
}

/// The help screen's lines with the default keys.
pub fn help_lines() -> Vec<(String, &'static str)> {
    Keymap::default().help()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventKind;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new_with_kind(code, KeyModifiers::NONE, KeyEventKind::Press)
    }

    #[test]
    fn vi_keys_and_arrows_agree_and_digits_are_abilities() {
        for (keys, dir) in [
            ([KeyCode::Char('h'), KeyCode::Left], Dir::W),
            ([KeyCode::Char('k'), KeyCode::Up], Dir::N),
            ([KeyCode::Char('n'), KeyCode::PageDown], Dir::SE),
        ] {
            for key in keys {
                assert_eq!(command_for(&press(key)), Some(step(dir)), "{key:?}");
            }
        }
        assert_eq!(
            command_for(&press(KeyCode::Char('1'))),
            Some(Command::Ability(0))
        );
        assert_eq!(
            command_for(&press(KeyCode::F(3))),
            Some(Command::Ability(2))
        );
        // The same digit from the number pad moves (NumLock on, kitty keyboard protocol).
        let mut pad = press(KeyCode::Char('1'));
        pad.state = KeyEventState::KEYPAD;
        assert_eq!(command_for(&pad), Some(Command::Step(Dir::SW)));
        pad.code = KeyCode::Char('5');
        assert_eq!(command_for(&pad), Some(Command::Wait));
        assert_eq!(
            command_for(&press(KeyCode::Char('3'))),
            Some(Command::Ability(2))
        );
        assert_eq!(
            command_for(&press(KeyCode::Char('>'))),
            Some(Command::Descend)
        );
    }

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = Vec::new();
        for b in GAME_KEYS {
            for k in b.keys {
                assert!(!seen.contains(k), "{k:?} is bound twice");
                seen.push(*k);
            }
        }
    }

    #[test]
    fn help_lists_every_binding() {
        let lines = help_lines();
        assert_eq!(lines.len(), GAME_KEYS.len());
        assert!(
            lines
                .iter()
                .any(|(k, h)| k == "h ←" && h.starts_with("west"))
        );
        // Two columns of help fit an 80-column screen.
        assert!(
            lines
                .iter()
                .all(|(k, h)| k.chars().count() <= 6 && h.chars().count() <= 30)
        );
        assert!(lines.iter().any(|(k, _)| k == "Q"));
        assert!(lines.iter().any(|(k, _)| k == "Tab"));
    }

    #[test]
    fn ctrl_c_quits_and_other_chords_do_nothing() {
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(command_for(&ctrl_c), Some(Command::Quit));
        let alt_h = KeyEvent::new(KeyCode::Char('h'), KeyModifiers::ALT);
        assert_eq!(command_for(&alt_h), None);
        // Shift arrives with capital letters; Q must still quit.
        let shift_q = KeyEvent::new(KeyCode::Char('Q'), KeyModifiers::SHIFT);
        assert_eq!(command_for(&shift_q), Some(Command::Quit));
    }
}
