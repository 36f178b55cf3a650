//! `config.toml`: a player's standing choices (theme, glyphs, name, class). The command line
//! wins over the environment, which wins over the file, which wins over the defaults. The file
//! lives in the platform's config dir (`brogue config path` prints it; `BROGUE_CONFIG` names
//! another). A missing file is no error; a bad one says where and what is wrong.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{self, OptionExt as _};
use game::Class;
use serde::Deserialize;
use toml::Spanned;
use ui::appearance::{Glyphs, Theme};

/// What the file may say.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    theme: Option<Spanned<String>>,
    glyphs: Option<Spanned<String>>,
    name: Option<String>,
    class: Option<Spanned<String>>,
    mouse: Option<bool>,
    keys: Option<std::collections::BTreeMap<String, Spanned<Keys>>>,
}

/// One key or several.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Keys {
    One(String),
    Many(Vec<String>),
}

/// The choices read from the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    pub theme: Option<Theme>,
    pub glyphs: Option<Glyphs>,
    pub name: Option<String>,
    pub class: Option<Class>,
    /// `false` leaves the mouse to the terminal.
    pub mouse: Option<bool>,
    /// The game keys, rebound.
    pub keys: ui::keymap::Keymap,
}

/// The config file in use: `BROGUE_CONFIG`, or `config.toml` in the platform's config dir.
pub fn path() -> eyre::Result<PathBuf> {
    if let Some(p) = std::env::var_os("BROGUE_CONFIG").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "brogue")
        .map(|d| d.config_dir().join("config.toml"))
        .ok_or_eyre("cannot find a home directory for the config file: set BROGUE_CONFIG")
}

/// Reads the file at `path`; a missing file is an empty config.
pub fn load(path: &Path) -> eyre::Result<Config> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(e) => eyre::bail!("cannot read {}: {e}", path.display()),
    };
    parse(&text).map_err(|e| eyre::eyre!("{}: {e}", path.display()))
}

/// Parses the file's text; errors name the line and column.
pub fn parse(text: &str) -> Result<Config, String> {
    let file: File = toml::from_str(text).map_err(|e| {
        let at = e.span().map(|s| at(text, s.start)).unwrap_or_default();
        format!("{at}{}", e.message())
    })?;
    let theme = field::<Theme>(text, &file.theme)?;
    let glyphs = field::<Glyphs>(text, &file.glyphs)?;
    let class = field::<Class>(text, &file.class)?;
    let name = file
        .name
        .map(|n| game::text::sanitize(&n, game::world::MAX_NAME_CHARS))
        .filter(|n| !n.is_empty());
    let mut keys = ui::keymap::Keymap::default();
    for (name, given) in file.keys.unwrap_or_default() {
        let place = at(text, given.span().start);
        let command = ui::keymap::command_named(&name).ok_or_else(|| {
            let names: Vec<&str> = ui::keymap::names().collect();
            format!(
                "{place}no command {name:?} to bind: one of {}",
                names.join(", ")
            )
        })?;
        let list = match given.into_inner() {
            Keys::One(k) => vec![k],
            Keys::Many(ks) => ks,
        };
        let codes = list
            .iter()
            .map(|k| ui::keymap::parse_key(k).map_err(|e| format!("{place}{e}")))
            .collect::<Result<Vec<_>, _>>()?;
        keys.rebind(command, &codes);
    }
    Ok(Config {
        theme,
        glyphs,
        name,
        class,
        mouse: file.mouse,
        keys,
    })
}

/// A text field parsed as `T`, its error placed at the value.
fn field<T: std::str::FromStr>(
    text: &str,
    value: &Option<Spanned<String>>,
) -> Result<Option<T>, String>
where
    T::Err: std::fmt::Display,
{
    value
        .as_ref()
        .map(|v| {
            v.get_ref()
                .parse::<T>()
                .map_err(|e| format!("{}{e}", at(text, v.span().start)))
        })
        .transpose()
}

/// "line L, column C: " for byte offset `offset` of `text`.
fn at(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {column}: ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_file_is_read_and_a_bad_one_says_where() {
        let good = "theme = \"mono\"\nglyphs = \"ascii\"\nname = \"Ada\"\nclass = \"mage\"\n\
                    mouse = false\n";
        assert_eq!(
            parse(good).unwrap(),
            Config {
                theme: Some(Theme::Mono),
                glyphs: Some(Glyphs::Ascii),
                name: Some("Ada".into()),
                class: Some(Class::Mage),
                mouse: Some(false),
                keys: ui::keymap::Keymap::default(),
            }
        );
        assert_eq!(parse("").unwrap(), Config::default());
        let err = parse("name = \"Ada\"\ntheme = \"neon\"\n").unwrap_err();
        assert!(
            err.starts_with("line 2, column 9: no theme \"neon\""),
            "{err}"
        );
        let err = parse("colour = 3\n").unwrap_err();
        assert!(
            err.starts_with("line 1, column 1: unknown field `colour`"),
            "{err}"
        );
        let err = parse("[keys]\nexplore = \"Tab\"\nfly = \"f\"\n").unwrap_err();
        assert!(
            err.starts_with("line 3, column 7: no command \"fly\""),
            "{err}"
        );
        let err = parse("[keys]\nlook = \"Shift\"\n").unwrap_err();
        assert!(
            err.starts_with("line 2, column 8: no key \"Shift\""),
            "{err}"
        );
        let err = parse("theme = mono\n").unwrap_err();
        assert!(err.starts_with("line 1, column 9: "), "{err}");
    }

    #[test]
    fn rebound_keys_take_over_and_leave_their_old_commands() {
        use ui::keymap::Command;
        use ui::{KeyCode, KeyEvent, KeyModifiers};
        let config = parse("[keys]\nexplore = \"o\"\nlook = [\"x\", \"F5\"]\n").unwrap();
        let press = |c| KeyEvent::new(c, KeyModifiers::NONE);
        assert_eq!(
            config.keys.command_for(&press(KeyCode::Char('o'))),
            Some(Command::Explore)
        );
        assert_eq!(
            config.keys.command_for(&press(KeyCode::Char('x'))),
            Some(Command::Look)
        );
        assert_eq!(
            config.keys.command_for(&press(KeyCode::F(5))),
            Some(Command::Look)
        );
        assert_eq!(
            config.keys.command_for(&press(KeyCode::Char(';'))),
            None,
            "look moved"
        );
        let help = config.keys.help();
        assert!(
            help.contains(&("o".to_owned(), "explore (stops for monsters)")),
            "{help:?}"
        );
        assert!(
            help.iter()
                .any(|(k, h)| k == "x F5" && h.starts_with("look")),
            "{help:?}"
        );
    }
}
