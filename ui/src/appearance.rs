//! Themes and glyph sets, applied to the finished frame: every screen is drawn in the default
//! colours and Unicode glyphs, then each cell is recoloured (or reduced to bold, dim,
//! underline and reverse) and its glyph swapped for ASCII. One pass, so no screen can forget.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

/// A colour theme.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Theme {
    #[default]
    Default,
    /// Red–green colour blindness (deuteranopia, protanopia): blue and orange for green and red.
    RedGreen,
    /// Blue–yellow colour blindness (tritanopia).
    BlueYellow,
    /// Brighter text, no dark grey.
    HighContrast,
    /// No colour: cues by bold, dim, underline and reverse (chosen under `NO_COLOR`).
    Mono,
}

/// The glyph set.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Glyphs {
    #[default]
    Unicode,
    /// Plain ASCII, for terminals and fonts without box drawing or symbols.
    Ascii,
}

impl std::str::FromStr for Theme {
    type Err = String;
    fn from_str(s: &str) -> Result<Theme, String> {
        Ok(match s {
            "default" => Theme::Default,
            "red-green" => Theme::RedGreen,
            "blue-yellow" => Theme::BlueYellow,
            "high-contrast" => Theme::HighContrast,
            "mono" => Theme::Mono,
            _ => {
                return Err(format!(
                    "no theme {s:?}: choose default, red-green, blue-yellow, high-contrast or mono"
                ));
            }
        })
    }
}

impl std::str::FromStr for Glyphs {
    type Err = String;
    fn from_str(s: &str) -> Result<Glyphs, String> {
        match s {
            "unicode" => Ok(Glyphs::Unicode),
            "ascii" => Ok(Glyphs::Ascii),
            _ => Err(format!("no glyph set {s:?}: choose unicode or ascii")),
        }
    }
}

/// How the screen looks.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Appearance {
    pub theme: Theme,
    pub glyphs: Glyphs,
}

impl Appearance {
    /// The theme asked for, or monochrome when `NO_COLOR` is set (<https://no-color.org>).
    pub fn choose(theme: Option<Theme>, glyphs: Option<Glyphs>, no_color: bool) -> Appearance {
        Appearance {
            theme: theme.unwrap_or(if no_color {
                Theme::Mono
            } else {
                Theme::Default
            }),
            glyphs: glyphs.unwrap_or_default(),
        }
    }

    /// Recolours and re-glyphs every cell of `buf`.
    pub fn apply(self, buf: &mut Buffer) {
        if self == Appearance::default() {
            return;
        }
        let area = buf.area;
        for y in area.top()..area.bottom() {
            for x in area.left()..area.right() {
                let Some(cell) = buf.cell_mut((x, y)) else {
                    continue;
                };
                if self.glyphs == Glyphs::Ascii
                    && let Some(plain) = ascii(cell.symbol())
                {
                    cell.set_symbol(plain);
                }
                match self.theme {
                    Theme::Default => {}
                    Theme::Mono => {
                        let mut add = Modifier::empty();
                        match cell.fg {
                            Color::DarkGray => add |= Modifier::DIM,
                            Color::Red | Color::LightRed | Color::Yellow | Color::LightYellow => {
                                add |= Modifier::BOLD;
                            }
                            _ => {}
                        }
                        if !matches!(cell.bg, Color::Reset) {
                            add |= Modifier::UNDERLINED;
                        }
                        cell.modifier |= add;
                        cell.fg = Color::Reset;
                        cell.bg = Color::Reset;
                    }
                    theme => {
                        cell.fg = recolour(theme, cell.fg);
                        cell.bg = recolour(theme, cell.bg);
                    }
                }
            }
        }
    }
}

fn recolour(theme: Theme, c: Color) -> Color {
    match (theme, c) {
        // Okabe–Ito: orange and vermillion for reds, sky blue and blue for greens.
        (Theme::RedGreen, Color::LightRed) => Color::Rgb(230, 159, 0),
        (Theme::RedGreen, Color::Red) => Color::Rgb(213, 94, 0),
        (Theme::RedGreen, Color::LightGreen) => Color::Rgb(86, 180, 233),
        (Theme::RedGreen, Color::Green) => Color::Rgb(0, 114, 178),
        (Theme::BlueYellow, Color::LightBlue | Color::Blue) => Color::Rgb(204, 121, 167),
        (Theme::BlueYellow, Color::Yellow | Color::LightYellow) => Color::Rgb(255, 130, 130),
        (Theme::BlueYellow, Color::LightCyan | Color::Cyan) => Color::White,
        (Theme::HighContrast, Color::DarkGray) => Color::Gray,
        (Theme::HighContrast, Color::Gray) => Color::White,
        (_, c) => c,
    }
}

/// The ASCII stand-in for a glyph the default set draws, if it is not ASCII already.
fn ascii(symbol: &str) -> Option<&'static str> {
    Some(match symbol {
        "─" | "━" | "═" | "░" | "–" | "—" | "·" => "-",
        "│" | "┃" | "║" => "|",
        "┌" | "┐" | "└" | "┘" | "├" | "┤" | "┬" | "┴" | "┼" | "╭" | "╮" | "╰" | "╯" => {
            "+"
        }
        "█" => "#",
        "Ω" => "_",
        // Deep water and lava: told apart from shallow water and each other without colour.
        "≈" => "\"",
        "≋" => ";",
        // A locked door and a brazier.
        "‡" => "&",
        "☼" => "{",
        "♥" => "$",
        "▸" | "→" | "▶" => ">",
        "◂" | "←" => "<",
        "▾" | "↓" => "v",
        "▴" | "↑" => "^",
        "×" => "x",
        "◆" => "*",
        "✓" => "+",
        "⌖" => "+",
        "↕" => "|",
        "…" => ".",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn mono_keeps_the_cues_as_modifiers_and_ascii_replaces_symbols() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 1));
        buf[(0, 0)].set_symbol("Ω").set_fg(Color::LightMagenta);
        buf[(1, 0)].set_symbol(".").set_fg(Color::DarkGray);
        buf[(2, 0)].set_symbol("@").set_style(
            Style::new()
                .fg(Color::LightBlue)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED),
        );
        buf[(3, 0)].set_symbol("g").set_bg(Color::Blue);
        Appearance {
            theme: Theme::Mono,
            glyphs: Glyphs::Ascii,
        }
        .apply(&mut buf);
        assert_eq!(buf[(0, 0)].symbol(), "_");
        assert!(
            buf[(1, 0)].modifier.contains(Modifier::DIM),
            "remembered is dim"
        );
        assert!(
            buf[(2, 0)].modifier.contains(Modifier::REVERSED),
            "you stand out"
        );
        assert!(
            buf[(3, 0)].modifier.contains(Modifier::UNDERLINED),
            "an effect shows"
        );
        for x in 0..4 {
            assert_eq!(
                (buf[(x, 0)].fg, buf[(x, 0)].bg),
                (Color::Reset, Color::Reset)
            );
        }
    }

    #[test]
    fn no_color_picks_mono_unless_a_theme_is_asked_for() {
        assert_eq!(Appearance::choose(None, None, true).theme, Theme::Mono);
        assert_eq!(Appearance::choose(None, None, false).theme, Theme::Default);
        let asked = Appearance::choose(Some(Theme::RedGreen), Some(Glyphs::Ascii), true);
        assert_eq!(
            asked,
            Appearance {
                theme: Theme::RedGreen,
                glyphs: Glyphs::Ascii
            }
        );
    }
}
