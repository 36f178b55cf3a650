//! Glyphs and colours: how tiles, creatures and log lines look.

use game::Tile;
use game::class::Class;
use game::event::Tone;
use game::monster::MonsterKind;
use ratatui::style::{Color, Modifier, Style};

/// The glyph and colour of a tile; `lit` = in the party's sight now (else remembered, dimmed).
pub fn tile(tile: Tile, lit: bool) -> (char, Style) {
    let (glyph, color) = match tile {
        Tile::Wall => ('#', Color::Gray),
        Tile::Floor => ('.', Color::Gray),
        Tile::DoorClosed => ('+', Color::Yellow),
        Tile::DoorOpen => ('\'', Color::Yellow),
        Tile::StairsDown => ('>', Color::LightCyan),
        Tile::StairsUp => ('<', Color::LightCyan),
    };
    let style = if lit {
        Style::new().fg(color)
    } else {
        Style::new().fg(Color::DarkGray)
    };
    (glyph, style)
}

pub fn class_color(class: Class) -> Color {
    match class {
        Class::Warrior => Color::LightRed,
        Class::Mage => Color::LightBlue,
        Class::Ranger => Color::LightGreen,
        Class::Healer => Color::LightMagenta,
    }
}

pub fn monster(kind: MonsterKind) -> (char, Style) {
    let color = match kind {
        MonsterKind::Rat | MonsterKind::Jackal => Color::Yellow,
        MonsterKind::Kobold | MonsterKind::Goblin => Color::Green,
        MonsterKind::CaveSpider => Color::Magenta,
        MonsterKind::Orc => Color::Red,
        MonsterKind::Ghoul => Color::Cyan,
        MonsterKind::Ogre => Color::LightRed,
    };
    (
        kind.stats().glyph,
        Style::new().fg(color).add_modifier(Modifier::BOLD),
    )
}

pub fn tone(tone: Tone) -> Style {
    match tone {
        Tone::Info => Style::new().fg(Color::Gray),
        Tone::Good => Style::new().fg(Color::LightGreen),
        Tone::Bad => Style::new().fg(Color::LightRed),
        Tone::Combat => Style::new().fg(Color::White),
    }
}

pub fn title() -> Style {
    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
}

pub fn hint() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn error() -> Style {
    Style::new().fg(Color::LightRed)
}
