//! The in-game keymap: one table that both dispatches keys and generates the help screen, so
//! the two can never disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use game::{Action, Dir};

/// What a key asks for in the game screen.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Act(Action),
    Help,
    ShowInvite,
    Quit,
}

/// One row of the keymap.
#[derive(Copy, Clone, Debug)]
pub struct Binding {
    pub keys: &'static [KeyCode],
    pub command: Command,
    pub help: &'static str,
}

const fn mv(dir: Dir) -> Command {
    Command::Act(Action::Move(dir))
}

/// The game screen's keys. Vi-keys, arrows and the number pad's digits all move.
pub const GAME_KEYS: &[Binding] = &[
    Binding {
        keys: &[KeyCode::Char('h'), KeyCode::Left, KeyCode::Char('4')],
        command: mv(Dir::W),
        help: "move west (or attack / open a door there)",
    },
    Binding {
        keys: &[KeyCode::Char('l'), KeyCode::Right, KeyCode::Char('6')],
        command: mv(Dir::E),
        help: "move east",
    },
    Binding {
        keys: &[KeyCode::Char('k'), KeyCode::Up, KeyCode::Char('8')],
        command: mv(Dir::N),
        help: "move north",
    },
    Binding {
        keys: &[KeyCode::Char('j'), KeyCode::Down, KeyCode::Char('2')],
        command: mv(Dir::S),
        help: "move south",
    },
    Binding {
        keys: &[KeyCode::Char('y'), KeyCode::Home, KeyCode::Char('7')],
        command: mv(Dir::NW),
        help: "move north-west",
    },
    Binding {
        keys: &[KeyCode::Char('u'), KeyCode::PageUp, KeyCode::Char('9')],
        command: mv(Dir::NE),
        help: "move north-east",
    },
    Binding {
        keys: &[KeyCode::Char('b'), KeyCode::End, KeyCode::Char('1')],
        command: mv(Dir::SW),
        help: "move south-west",
    },
    Binding {
        keys: &[KeyCode::Char('n'), KeyCode::PageDown, KeyCode::Char('3')],
        command: mv(Dir::SE),
        help: "move south-east",
    },
    Binding {
        keys: &[KeyCode::Char('.'), KeyCode::Char('5')],
        command: Command::Act(Action::Wait),
        help: "wait a moment",
    },
    Binding {
        keys: &[KeyCode::Char('>')],
        command: Command::Act(Action::Descend),
        help: "take the stairs down",
    },
    Binding {
        keys: &[KeyCode::Char('<')],
        command: Command::Act(Action::Ascend),
        help: "take the stairs up",
    },
    Binding {
        keys: &[KeyCode::Char('i')],
        command: Command::ShowInvite,
        help: "show the invite code (when hosting)",
    },
    Binding {
        keys: &[KeyCode::Char('?')],
        command: Command::Help,
        help: "this help",
    },
    Binding {
        keys: &[KeyCode::Char('Q')],
        command: Command::Quit,
        help: "leave the game (your character waits, safe)",
    },
];

/// The command bound to a key press, if any. Ctrl-C always quits.
pub fn command_for(key: &KeyEvent) -> Option<Command> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return (key.code == KeyCode::Char('c')).then_some(Command::Quit);
    }
    if key
        .modifiers
        .intersects(KeyModifiers::ALT | KeyModifiers::SUPER)
    {
        return None;
    }
    GAME_KEYS
        .iter()
        .find(|b| b.keys.contains(&key.code))
        .map(|b| b.command)
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
        other => format!("{other:?}"),
    }
}

/// The help screen's lines: keys, then what they do. Generated from [`GAME_KEYS`].
pub fn help_lines() -> Vec<(String, &'static str)> {
    GAME_KEYS
        .iter()
        .map(|b| {
            let keys: Vec<String> = b.keys.iter().map(key_name).collect();
            (keys.join(" "), b.help)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventKind;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new_with_kind(code, KeyModifiers::NONE, KeyEventKind::Press)
    }

    #[test]
    fn vi_keys_arrows_and_digits_agree() {
        for (keys, dir) in [
            (
                [KeyCode::Char('h'), KeyCode::Left, KeyCode::Char('4')],
                Dir::W,
            ),
            (
                [KeyCode::Char('k'), KeyCode::Up, KeyCode::Char('8')],
                Dir::N,
            ),
            (
                [KeyCode::Char('n'), KeyCode::PageDown, KeyCode::Char('3')],
                Dir::SE,
            ),
        ] {
            for key in keys {
                assert_eq!(command_for(&press(key)), Some(mv(dir)), "{key:?}");
            }
        }
        assert_eq!(
            command_for(&press(KeyCode::Char('>'))),
            Some(Command::Act(Action::Descend))
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
                .any(|(k, h)| k == "h ← 4" && h.starts_with("move west"))
        );
        assert!(lines.iter().any(|(k, _)| k == "Q"));
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
