//! Glyphs and colours: how tiles, creatures and log lines look.

use game::Tile;
use game::class::Class;
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
        Tile::Vein => ('%', Color::Rgb(205, 133, 63)),
        Tile::Shrine => ('Ω', Color::LightMagenta),
        Tile::ShallowWater => ('~', Color::Cyan),
        Tile::DeepWater => ('≈', Color::Blue),
        Tile::Lava => ('≋', Color::LightRed),
        Tile::Chasm => (':', Color::Magenta),
        Tile::Bridge => ('=', Color::Yellow),
        Tile::TrapAlarm => ('^', Color::Yellow),
        Tile::TrapDart => ('^', Color::LightRed),
        Tile::TrapNet => ('^', Color::LightCyan),
        Tile::DoorLocked => ('‡', Color::LightYellow),
        Tile::Brazier => ('☼', Color::LightYellow),
        Tile::Lode => ('$', Color::Rgb(255, 215, 0)),
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
        MonsterKind::GoblinArcher => Color::LightGreen,
        MonsterKind::KoboldShaman => Color::LightCyan,
        MonsterKind::CaveSpider => Color::Magenta,
        MonsterKind::Orc => Color::Red,
        MonsterKind::Ghoul | MonsterKind::Skeleton => Color::White,
        MonsterKind::Necromancer => Color::LightMagenta,
        MonsterKind::Troll => Color::LightGreen,
        MonsterKind::Ogre => Color::LightRed,
        MonsterKind::Wraith => Color::Gray,
        MonsterKind::DeepWarden => Color::LightYellow,
        MonsterKind::Bat | MonsterKind::Wolf => Color::Yellow,
        MonsterKind::Centipede | MonsterKind::Zombie => Color::Magenta,
        MonsterKind::GoblinShaman | MonsterKind::OrcShaman | MonsterKind::DarkPriestess => {
            Color::LightCyan
        }
        MonsterKind::GoblinChieftain => Color::Green,
        MonsterKind::OrcArcher | MonsterKind::DarkElfArcher => Color::LightRed,
        MonsterKind::VampireBat | MonsterKind::Imp | MonsterKind::Salamander => Color::Red,
        MonsterKind::Centaur | MonsterKind::Naga => Color::LightGreen,
        MonsterKind::Golem => Color::Gray,
        MonsterKind::Lich => Color::LightMagenta,
        MonsterKind::Horror => Color::LightRed,
        MonsterKind::GoblinKing | MonsterKind::OrcWarlord => Color::LightYellow,
    };
    (
        kind.stats().glyph,
        Style::new().fg(color).add_modifier(Modifier::BOLD),
    )
}

pub fn tone(tone: crate::log::Tone) -> Style {
    use crate::log::Tone;
    match tone {
        Tone::Info => Style::new().fg(Color::Gray),
        Tone::Good => Style::new().fg(Color::LightGreen),
        Tone::Bad => Style::new().fg(Color::LightRed),
        Tone::Combat => Style::new().fg(Color::White),
        Tone::Chat => Style::new().fg(Color::LightCyan),
    }
}

/// What lies on the ground, or a snare.
pub fn pile(kind: game::protocol::PileKind) -> (char, Style) {
    use game::protocol::PileKind;
    match kind {
        PileKind::Ore => ('*', Style::new().fg(Color::Yellow)),
        PileKind::Item => ('(', Style::new().fg(Color::LightCyan)),
        PileKind::Heart => (
            '♥',
            Style::new()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD),
        ),
        PileKind::Snare => ('^', Style::new().fg(Color::LightGreen)),
        PileKind::Potion => ('!', Style::new().fg(Color::LightMagenta)),
        PileKind::Scroll => ('?', Style::new().fg(Color::White)),
        PileKind::Key => ('-', Style::new().fg(Color::LightYellow)),
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
