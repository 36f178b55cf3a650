//! Rendering every screen into a ratatui frame. Pure: reads the [`App`], writes cells.

use game::class::Class;
use game::protocol::{EntityKind, MemberStatus, PartyMember, effect};
use game::text::sanitize;
use game::view::ClientView;
use game::{Pos, TickRate};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use crate::app::{App, LanEntry, LanStatus, MENU, Overlay, Screen};
use crate::panels::Panel;
use crate::theme;

/// The smallest terminal the game screens fit in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
const SIDEBAR: u16 = 28;
const LOG_LINES: u16 = 6;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    draw_screens(frame, app);
    app.appearance.apply(frame.buffer_mut());
}

fn draw_screens(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, area);
        return;
    }
    match &app.screen {
        Screen::Menu { selected } => draw_menu(frame, area, *selected),
        Screen::Join {
            input,
            error,
            selected,
        } => draw_join(frame, area, app, input, error.as_deref(), *selected),
        Screen::Connecting { what } => draw_centered(frame, area, "Brogue", &[what.as_str()]),
        Screen::ChooseClass { selected } => draw_class_picker(frame, area, *selected, app.died()),
        Screen::Death(death) => {
            let mut lines: Vec<Line> = death.lines().into_iter().map(Line::raw).collect();
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "Your vault remains. A morgue file is in your data dir (morgue/).",
                theme::hint(),
            ));
            lines.push(Line::styled(
                "Press any key; you watch the others, if any, until you choose anew.",
                theme::title(),
            ));
            popup(frame, area, " You died ", lines, area.width.min(76));
        }
        Screen::Game => draw_game(frame, area, app),
        Screen::Leaderboard {
            boards,
            error,
            global,
        } => crate::draw_panels::draw_leaderboard(frame, area, boards, error.as_deref(), *global),
        Screen::Ended { message } => draw_centered(
            frame,
            area,
            "Session ended",
            &[message.as_str(), "", "press any key"],
        ),
    }
    if let Some(overlay) = &app.overlay {
        draw_overlay(frame, area, overlay, app);
    }
}

fn draw_too_small(frame: &mut Frame, area: Rect) {
    let text = format!(
        "resize to at least {MIN_WIDTH}×{MIN_HEIGHT} (now {}×{})",
        area.width, area.height
    );
    let y = area.height / 2;
    let line = Rect::new(area.x, area.y + y, area.width, 1.min(area.height));
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .style(theme::error()),
        line,
    );
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

const LOGO: [&str; 5] = [
    "  ____                              ",
    " | __ ) _ __ ___   __ _ _   _  ___  ",
    " |  _ \\| '__/ _ \\ / _` | | | |/ _ \\ ",
    " | |_) | | | (_) | (_| | |_| |  __/ ",
    " |____/|_|  \\___/ \\__, |\\__,_|\\___| ",
];

fn draw_menu(frame: &mut Frame, area: Rect, selected: usize) {
    let mut lines: Vec<Line> = LOGO
        .iter()
        .map(|l| Line::styled(*l, theme::title()))
        .collect();
    lines.push(Line::styled(
        "                  |___/             ",
        theme::title(),
    ));
    lines.push(Line::raw(""));
    lines.push(Line::styled("a real-time co-op roguelike", theme::hint()));
    lines.push(Line::raw(""));
    let blurbs = [
        "play alone (hosted on this machine, nobody else can join)",
        "host a game and invite friends with a code",
        "join a friend's game: LAN list, invite code or address",
        "victories, depths and best gear of your worlds",
        "leave",
    ];
    for (i, (item, blurb)) in MENU.iter().zip(blurbs).enumerate() {
        let (marker, style) = if i == selected {
            (
                "▶ ",
                Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            )
        } else {
            ("  ", Style::new())
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{marker}{item:<11}"), style),
            Span::styled(format!(" {blurb}"), theme::hint()),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "↑/↓ choose · Enter confirm · q quit",
        theme::hint(),
    ));
    let rect = centered(area, 70, lines.len() as u16);
    frame.render_widget(Paragraph::new(lines), rect);
}

/// Lines of the LAN list shown at most.
const LAN_ROWS: usize = 5;

fn draw_join(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    input: &tui_input::Input,
    error: Option<&str>,
    selected: usize,
) {
    let rect = centered(area, 78, 20);
    let block = Block::bordered().title(" Join a game ");
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [lan_title, lan_list, why, label, field, message, hint] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(LAN_ROWS as u16),
        Constraint::Length(2),
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Length(1),
    ])
    .areas(inner);
    let status = match &app.lan_status {
        LanStatus::Searching if app.lan.is_empty() => "searching…".to_owned(),
        LanStatus::Searching => format!("{} found · still looking", app.lan.len()),
        LanStatus::Off(reason) => format!("off: {}", sanitize(reason, 60)),
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("Games on this network ", theme::title()),
            Span::styled(format!("({status})"), theme::hint()),
        ])),
        lan_title,
    );
    let first = selected.saturating_sub(LAN_ROWS - 1);
    let rows: Vec<Line> = app
        .lan
        .iter()
        .enumerate()
        .skip(first)
        .take(LAN_ROWS)
        .map(|(i, g)| lan_line(g, i == selected))
        .collect();
    frame.render_widget(Paragraph::new(rows), lan_list);
    frame.render_widget(
        Paragraph::new(
            "Why can't I see a game? Firewall (UDP 5353), another subnet, Wi-Fi client \
             isolation, or macOS Local Network permission for this terminal.",
        )
        .style(theme::hint())
        .wrap(Wrap { trim: true }),
        why,
    );
    frame.render_widget(
        Paragraph::new(
            "Or paste an invite code (BRG-…), or type a known host's address (host:port):",
        ),
        label,
    );
    let value = input.value();
    let cursor = input.visual_cursor();
    let width = field.width.saturating_sub(1) as usize;
    let scroll = cursor.saturating_sub(width);
    let shown: String = value.chars().skip(scroll).take(width).collect();
    frame.render_widget(
        Paragraph::new(shown).style(Style::new().add_modifier(Modifier::UNDERLINED)),
        field,
    );
    frame.set_cursor_position((field.x + (cursor - scroll) as u16, field.y));
    if let Some(error) = error {
        frame.render_widget(
            Paragraph::new(sanitize(error, 400))
                .style(theme::error())
                .wrap(Wrap { trim: true }),
            message,
        );
    }
    frame.render_widget(
        Paragraph::new("↑/↓ choose a game · Enter join · Tab watch · Esc back")
            .style(theme::hint()),
        hint,
    );
}

fn lan_line(g: &LanEntry, selected: bool) -> Line<'static> {
    let style = if selected {
        Style::new().add_modifier(Modifier::REVERSED)
    } else {
        Style::new()
    };
    let access = if !g.compatible {
        format!("needs v{}", sanitize(&g.version, 8))
    } else if g.needs_code {
        "needs a code".to_owned()
    } else {
        "open".to_owned()
    };
    // 2 + 16 + 1 + 10 + 1 + 5 + 1 + 14 + 1 + 19 = 70 columns: fits the 76 inside the box.
    Line::from(vec![
        Span::styled(
            format!(
                "{}{:<16} {:<10} {:>2}/{:<2}",
                if selected { "▶ " } else { "  " },
                sanitize(&g.world, 16),
                sanitize(&g.host, 10),
                g.players,
                g.max_players
            ),
            style,
        ),
        Span::styled(format!(" {access:<14}"), theme::hint()),
        Span::styled(format!(" {}", sanitize(&g.fingerprint, 19)), theme::hint()),
    ])
}

fn draw_centered(frame: &mut Frame, area: Rect, title: &str, lines: &[&str]) {
    let mut text = vec![
        Line::styled(title.to_owned(), theme::title()),
        Line::raw(""),
    ];
    text.extend(lines.iter().map(|l| Line::raw(sanitize(l, 400))));
    let rect = centered(area, 76, text.len() as u16 + 4);
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true })
            .block(Block::bordered()),
        rect,
    );
}

fn draw_class_picker(frame: &mut Frame, area: Rect, selected: usize, died: bool) {
    let title = if died {
        " You died. Your vault remains: choose a new character "
    } else {
        " Choose your character "
    };
    let rect = centered(area, 72, 14);
    let block = Block::bordered().title(title);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let mut lines = Vec::new();
    for (i, class) in Class::ALL.iter().enumerate() {
        let s = class.stats();
        let style = if i == selected {
            Style::new()
                .fg(theme::class_color(*class))
                .add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            Style::new().fg(theme::class_color(*class))
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {} {:<8}", i + 1, class.name()), style),
            Span::styled(
                format!(
                    "  HP {:>2}  mana {:>2}  armour {}  sight {}",
                    s.max_hp, s.max_mana, s.armor, s.sight
                ),
                Style::new(),
            ),
        ]));
        lines.push(Line::styled(
            format!("     {}", class.blurb()),
            theme::hint(),
        ));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        if died {
            "↑/↓ choose · Enter or 1–4 start · w watch the party · Q leave"
        } else {
            "↑/↓ choose · Enter or 1–4 start · Q leave"
        },
        theme::hint(),
    ));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Where the game screen puts the map, the sidebar and the log.
fn game_layout(area: Rect) -> (Rect, Rect, Rect) {
    let [main, log] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(LOG_LINES + 1)]).areas(area);
    let [map, side] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(SIDEBAR)]).areas(main);
    (map, side, log)
}

fn map_view(app: &App) -> MapView<'_> {
    let aim = match &app.panel {
        Some(Panel::Aim { cursor, .. } | Panel::Look { cursor }) => Some(*cursor),
        _ => None,
    };
    MapView {
        view: &app.view,
        target: app.current_target().map(|(_, p)| p),
        cursor: aim,
    }
}

/// What is at a screen position of the game screen.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Hit {
    Map(Pos),
    /// An ability's line in the sidebar.
    Ability(u8),
    Nothing,
}

/// What the game screen, `app.cols`×`app.rows`, shows at (`column`, `row`).
pub fn hit(app: &App, column: u16, row: u16) -> Hit {
    let area = Rect::new(0, 0, app.cols, app.rows);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return Hit::Nothing;
    }
    let (map, side, _) = game_layout(area);
    let at = ratatui::layout::Position::new(column, row);
    if map.contains(at) {
        let (cx, cy) = map_view(app).camera(map);
        return Hit::Map(Pos::new(
            cx + (column - map.x) as i16,
            cy + (row - map.y) as i16,
        ));
    }
    if side.contains(at)
        && let Some(me) = &app.view.me
    {
        // The sidebar's lines: name, HP, MP (casters), XP, then one per ability.
        let inner = sidebar_block(app).inner(side);
        let first = inner.y + 3 + u16::from(me.max_mana > 0);
        if let Some(slot) = row.checked_sub(first).filter(|s| *s < 3) {
            return Hit::Ability(slot as u8);
        }
    }
    Hit::Nothing
}

fn draw_game(frame: &mut Frame, area: Rect, app: &App) {
    let (map, side, log) = game_layout(area);
    frame.render_widget(map_view(app), map);
    if let Some(panel) = &app.panel {
        crate::draw_panels::draw_panel(frame, map, app, panel);
    }
    draw_sidebar(frame, side, app);
    draw_log(frame, log, app);
}

/// The map with a camera that follows the player.
struct MapView<'a> {
    view: &'a ClientView,
    /// The Tab target's cell, underlined.
    target: Option<Pos>,
    /// The aiming cursor, reversed.
    cursor: Option<Pos>,
}

impl MapView<'_> {
    /// The floor cell shown at the top-left of `area`.
    fn camera(&self, area: Rect) -> (i16, i16) {
        let center = self
            .cursor
            .or(self.view.me.as_ref().map(|m| m.pos))
            .unwrap_or(Pos::new(0, 0));
        let axis = |center: i16, screen: u16, floor: u16| -> i16 {
            let (screen, floor) = (screen as i16, floor as i16);
            if floor <= screen {
                -(screen - floor) / 2
            } else {
                (center - screen / 2).clamp(0, floor - screen)
            }
        };
        (
            axis(center.x, area.width, self.view.width),
            axis(center.y, area.height, self.view.height),
        )
    }
}

impl Widget for MapView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (cx, cy) = self.camera(area);
        let me = self.view.me.as_ref();
        let on_screen = |p: Pos| -> Option<(u16, u16)> {
            let (sx, sy) = (p.x - cx, p.y - cy);
            (sx >= 0 && sy >= 0 && sx < area.width as i16 && sy < area.height as i16)
                .then(|| (area.x + sx as u16, area.y + sy as u16))
        };
        for sy in 0..area.height {
            for sx in 0..area.width {
                let p = Pos::new(cx + sx as i16, cy + sy as i16);
                let Some(tile) = self.view.tile(p) else {
                    continue;
                };
                let (glyph, style) = theme::tile(tile, self.view.in_sight(p));
                if let Some(cell) = buf.cell_mut((area.x + sx, area.y + sy)) {
                    cell.set_char(glyph).set_style(style);
                }
            }
        }
        for (p, kind) in &self.view.piles {
            let (glyph, style) = theme::pile(*kind);
            if let Some(cell) = on_screen(*p).and_then(|xy| buf.cell_mut(xy)) {
                cell.set_char(glyph).set_style(style);
            }
        }
        for e in &self.view.entities {
            let Some(xy) = on_screen(e.pos) else {
                continue;
            };
            let (glyph, mut style) = match &e.kind {
                EntityKind::Monster(kind) => theme::monster(*kind),
                EntityKind::Character {
                    class,
                    downed,
                    away,
                    ..
                } => {
                    let is_me = me.is_some_and(|m| m.pos == e.pos);
                    let mut style = Style::new().fg(theme::class_color(*class));
                    if is_me {
                        style = style.add_modifier(Modifier::BOLD | Modifier::REVERSED);
                    }
                    if *away {
                        style = style.fg(Color::DarkGray);
                    }
                    (if *downed { '&' } else { '@' }, style)
                }
            };
            if e.effects & effect::FROZEN != 0 {
                style = style.bg(Color::Blue);
            } else if e.effects & effect::ROOTED != 0 {
                style = style.bg(Color::Green);
            }
            if e.effects & effect::MARKED != 0 {
                style = style.add_modifier(Modifier::UNDERLINED);
            }
            if e.effects & effect::ASLEEP != 0 {
                style = style.add_modifier(Modifier::DIM);
            }
            if e.effects & (effect::SHIELD_WALL | effect::WARD) != 0 {
                style = style.bg(Color::DarkGray);
            }
            if let Some(cell) = buf.cell_mut(xy) {
                cell.set_char(glyph).set_style(style);
            }
        }
        // Telegraphed specials: the cells about to be hit, on a red ground (whoever stands
        // there too), and the monster winding up, reversed.
        for e in &self.view.entities {
            let (EntityKind::Monster(kind), Some(aim)) = (&e.kind, e.aim) else {
                continue;
            };
            let cells = game::special::threatened(*kind, e.pos, aim, |p| self.view.tile(p));
            for xy in cells.into_iter().filter_map(on_screen) {
                if let Some(cell) = buf.cell_mut(xy) {
                    cell.set_bg(Color::Red);
                }
            }
            if let Some(cell) = on_screen(e.pos).and_then(|xy| buf.cell_mut(xy)) {
                cell.modifier.insert(Modifier::REVERSED | Modifier::BOLD);
            }
        }
        if let Some(cell) = self
            .target
            .and_then(on_screen)
            .and_then(|xy| buf.cell_mut(xy))
        {
            cell.modifier.insert(Modifier::UNDERLINED | Modifier::BOLD);
        }
        if let Some(cell) = self
            .cursor
            .and_then(on_screen)
            .and_then(|xy| buf.cell_mut(xy))
        {
            cell.modifier
                .insert(Modifier::REVERSED | Modifier::SLOW_BLINK);
            if cell.symbol() == " " {
                cell.set_char('X');
            }
        }
    }
}

fn bar(value: u16, max: u16, width: usize) -> String {
    let filled = if max == 0 {
        0
    } else {
        (usize::from(value) * width)
            .div_ceil(usize::from(max))
            .min(width)
    };
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

/// Seconds for a tick count at the session's rate.
fn secs(ticks: u32, rate: u8) -> f32 {
    let rate = if rate == 0 {
        TickRate::DEFAULT.hz()
    } else {
        rate
    };
    ticks as f32 / f32::from(rate)
}

/// "XP ███░░░░░░░ L3 40/90": the experience towards the next level, and the level.
fn xp_line(level: u8, xp: u32) -> Line<'static> {
    use game::progress::{MAX_LEVEL, xp_for};
    let (from, to) = (xp_for(level), xp_for(level + 1));
    let (got, need, text) = if level >= MAX_LEVEL {
        (1, 1, format!(" L{level} max"))
    } else {
        let (got, need) = (xp.saturating_sub(from), to - from);
        (got, need, format!(" L{level} {got}/{need}"))
    };
    let clamp = |v: u32| v.min(u32::from(u16::MAX)) as u16;
    Line::from(vec![
        Span::raw("XP "),
        Span::styled(
            bar(clamp(got), clamp(need), 10),
            Style::new().fg(Color::Yellow),
        ),
        Span::raw(text),
    ])
}

/// The sidebar's frame: a line on its left, the world's name on top.
fn sidebar_block(app: &App) -> Block<'static> {
    let world = sanitize(&app.session.world, 18);
    Block::new()
        .borders(Borders::LEFT)
        .title(Span::styled(format!(" {world} "), theme::title()))
}

/// `items` joined by `sep` into lines at most `width` columns wide, breaking only between
/// items (an item wider than `width` gets a line of its own).
fn pack(items: &[String], sep: &str, width: usize) -> Vec<String> {
    let cols = |t: &str| Span::raw(t).width();
    let mut lines: Vec<String> = Vec::new();
    for item in items {
        match lines.last_mut() {
            Some(line) if cols(line) + cols(sep) + cols(item) <= width => {
                line.push_str(sep);
                line.push_str(item);
            }
            _ => lines.push(item.clone()),
        }
    }
    lines
}

fn draw_sidebar(frame: &mut Frame, area: Rect, app: &App) {
    let view = &app.view;
    let rate = app.session.tick_rate;
    let block = sidebar_block(app);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = Vec::new();
    match &view.me {
        Some(me) => {
            let you = view
                .you()
                .map(|m| sanitize(&m.name, 12))
                .unwrap_or_default();
            lines.push(Line::from(vec![
                Span::styled(you, Style::new().add_modifier(Modifier::BOLD)),
                Span::styled(
                    format!(" {} F{}", me.class.name(), me.depth),
                    Style::new().fg(theme::class_color(me.class)),
                ),
            ]));
            let hp_color = if me.hp * 3 < me.max_hp {
                Color::LightRed
            } else {
                Color::Green
            };
            lines.push(Line::from(vec![
                Span::raw("HP "),
                Span::styled(bar(me.hp, me.max_hp, 10), Style::new().fg(hp_color)),
                Span::raw(format!(" {}/{}", me.hp, me.max_hp)),
            ]));
            if me.max_mana > 0 {
                lines.push(Line::from(vec![
                    Span::raw("MP "),
                    Span::styled(bar(me.mana, me.max_mana, 10), Style::new().fg(Color::Blue)),
                    Span::raw(format!(" {}/{}", me.mana, me.max_mana)),
                ]));
            }
            lines.push(xp_line(me.level, me.xp));
            for (i, def) in me.class.abilities().iter().enumerate() {
                // The host says when it is ready; the view's clock says how long until then.
                let ready = me.ready & (game::protocol::ready::ABILITY << i) != 0;
                let cd = me.cooldown(i, app.view.tick).max(1);
                let (state, style) = if !ready {
                    (
                        format!("{:.0}s", secs(u32::from(cd), rate).ceil()),
                        theme::hint(),
                    )
                } else if me.mana < def.mana {
                    ("no MP".to_owned(), theme::hint())
                } else {
                    ("ready".to_owned(), Style::new().fg(Color::LightGreen))
                };
                lines.push(Line::from(vec![
                    Span::raw(format!("{} {:<11}", i + 1, def.name)),
                    Span::styled(format!("{state:>6}"), style),
                ]));
            }
            let mut status = Vec::new();
            if let Some(downed) = &me.downed {
                status.push(format!(
                    "DOWNED {:.0}s {}%",
                    secs(
                        downed
                            .until
                            .saturating_sub(app.view.tick)
                            .min(u64::from(u32::MAX)) as u32,
                        rate
                    ),
                    downed.revive_pct
                ));
            }
            if me.shield_wall(app.view.tick) > 0 {
                status.push("wall".into());
            }
            if me.ward > 0 {
                status.push(format!("ward {}", me.ward));
            }
            if app.view.you().is_some_and(|m| m.heart) {
                status.push("Heart: slow".into());
            }
            let hasted = me.hasted(app.view.tick);
            if hasted > 0 {
                status.push(format!("fast {:.0}s", secs(u32::from(hasted), rate)));
            }
            let detecting = me.detecting(app.view.tick);
            if detecting > 0 {
                status.push(format!("detect {:.0}s", secs(u32::from(detecting), rate)));
            }
            let unnoticed = me.unnoticed(app.view.tick);
            if unnoticed > 0 {
                status.push(format!(
                    "unnoticed {:.0}s",
                    secs(u32::from(unnoticed), rate)
                ));
            }
            if let Some((what, left)) = me.channel_left(app.view.tick) {
                let what = crate::log::channel(&what);
                status.push(format!("{what} {:.1}s", secs(u32::from(left), rate)));
            }
            if me.at_shrine {
                status.push("shrine: v".into());
            }
            if game::talent::due(me.level, &me.talents).is_some() {
                status.push("talent: T".into());
            }
            if me.impure {
                status.push("impure".into());
            }
            for line in pack(&status, " · ", usize::from(inner.width)) {
                lines.push(Line::styled(line, Style::new().fg(Color::LightYellow)));
            }
            let target = app.current_target().and_then(|(id, _)| {
                view.entities
                    .iter()
                    .find(|e| e.id == id)
                    .map(|e| match e.kind {
                        EntityKind::Monster(k) => format!("⌖ {} {}%", k.stats().name, e.hp_pct),
                        EntityKind::Character { .. } => String::new(),
                    })
            });
            lines.push(Line::styled(
                target.unwrap_or_else(|| match me.gear.describe() {
                    gear if gear.is_empty() => "no gear yet (c crafts)".to_owned(),
                    gear => format!("gear {gear}"),
                }),
                theme::hint(),
            ));
        }
        None => lines.push(Line::styled("no character", theme::hint())),
    }
    lines.push(Line::styled("Party", theme::title()));
    for m in &view.party {
        lines.push(party_line(m));
    }
    let hint = if app.session.invite.is_some() {
        "? keys · I invite"
    } else {
        "? keys"
    };
    if let Some(reach) = &app.session.reach {
        lines.push(Line::styled(reach.short(), theme::hint()));
    }
    if !app.session.spectators.is_empty() {
        let names: Vec<String> = app
            .session
            .spectators
            .iter()
            .map(|n| sanitize(n, 12))
            .collect();
        lines.push(Line::styled(
            format!("watching: {}", names.join(", ")),
            theme::hint(),
        ));
    }
    if app.wants_pause() {
        lines.push(Line::styled("PAUSED (p resumes)", theme::title()));
    }
    lines.push(Line::styled(hint, theme::hint()));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// One line per party member: name, class, the Heart if it carries it, health or state, floor,
/// round-trip time.
fn party_line(m: &PartyMember) -> Line<'static> {
    let color = m.class.map_or(Color::Gray, theme::class_color);
    let name = sanitize(&m.name, 9);
    let class = m.class.map_or("-", |c| &c.name()[..1]);
    let rtt = m
        .rtt_ms
        .map_or_else(|| "     ".to_owned(), |ms| format!("{ms:>3}ms"));
    let state = match m.status {
        MemberStatus::Away => Span::styled("away   ", theme::hint()),
        MemberStatus::NoCharacter => Span::styled("new    ", theme::hint()),
        MemberStatus::Downed => Span::styled(
            format!("DOWN F{:<2}", m.depth),
            Style::new().fg(Color::LightRed),
        ),
        MemberStatus::Alive => Span::styled(
            format!("{} F{:<2}", bar(m.hp, m.max_hp, 4), m.depth),
            Style::new().fg(Color::Green),
        ),
    };
    // The Heart's carrier: the one its friends escort.
    let heart = if m.heart {
        let (glyph, style) = theme::pile(game::protocol::PileKind::Heart);
        Span::styled(glyph.to_string(), style)
    } else {
        Span::raw(" ")
    };
    Line::from(vec![
        Span::styled(
            format!("{}{:<9}", if m.is_you { "▸" } else { " " }, name),
            Style::new().fg(color),
        ),
        Span::raw(format!(" {class}")),
        heart,
        state,
        Span::styled(rtt, theme::hint()),
    ])
}

/// `line` (one style) broken at spaces into lines at most `width` wide, at most `most` of them
/// (the last cut off if it still does not fit).
fn wrap(line: Line<'static>, width: usize, most: usize) -> Vec<Line<'static>> {
    let style = line
        .spans
        .first()
        .map_or(line.style, |s| line.style.patch(s.style));
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let words: Vec<String> = text.split(' ').map(str::to_owned).collect();
    let mut out = pack(&words, " ", width);
    // What does not fit in `most` lines stays on the last one.
    if out.len() > most.max(1) {
        let rest = out.split_off(most.max(1)).join(" ");
        let last = out.last_mut().expect("at least one line");
        last.push(' ');
        last.push_str(&rest);
    }
    out.into_iter().map(|t| Line::styled(t, style)).collect()
}

fn draw_log(frame: &mut Frame, area: Rect, app: &App) {
    let view = &app.view;
    let block = Block::new().borders(Borders::TOP);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let reconnecting = app.reconnecting.map(|secs| {
        Line::styled(
            format!(
                "Connection to the host lost: reconnecting… ({secs} s). Out of a fight, it is safe."
            ),
            theme::error(),
        )
    });
    let mut footer: Option<Line> = reconnecting
        .or_else(|| {
            app.host_trouble
                .as_ref()
                .map(|t| Line::styled(sanitize(t, 200), theme::error()))
        })
        .or_else(|| {
            app.notice
                .as_ref()
                .map(|n| Line::styled(sanitize(n, 200), Style::new().fg(Color::Yellow)))
        });
    let looked = match &app.panel {
        Some(Panel::Look { cursor }) => Some(*cursor),
        None => app.hover,
        _ => None,
    };
    if let Some(cell) = looked {
        footer = Some(Line::styled(
            sanitize(&crate::look::describe(view, cell), 300),
            theme::title(),
        ));
    }
    if let Some(Panel::Aim { slot, .. }) = &app.panel {
        let name = view
            .me
            .as_ref()
            .map_or("", |m| m.class.abilities()[usize::from(*slot)].name);
        footer = Some(Line::styled(
            format!(
                "{name}: move the cursor, Enter (or {}) to cast, Esc to cancel",
                slot + 1
            ),
            theme::title(),
        ));
    }
    // A footer longer than the pane (a look at a monster with a special and a resistance)
    // goes on over a second and third line rather than being cut off.
    let footer: Vec<Line> = footer
        .map(|f| wrap(f, usize::from(inner.width), 3))
        .unwrap_or_default();
    let rows = (inner.height as usize).saturating_sub(footer.len());
    let folded = crate::log::folded(&view.log);
    let skip = folded.len().saturating_sub(rows);
    let mut lines: Vec<Line> = folded
        .into_iter()
        .skip(skip)
        .map(|(text, tone)| Line::styled(sanitize(&text, 300), theme::tone(tone)))
        .collect();
    lines.extend(footer);
    frame.render_widget(Paragraph::new(lines), inner);
    if let Some(Panel::Chat(input)) = &app.panel {
        let row = Rect::new(inner.x, inner.y + inner.height - 1, inner.width, 1);
        let prompt = "say: ";
        let width = (row.width as usize).saturating_sub(prompt.len() + 1);
        let scroll = input.visual_cursor().saturating_sub(width);
        let shown: String = input.value().chars().skip(scroll).take(width).collect();
        frame.render_widget(Clear, row);
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(prompt, theme::title()),
                Span::raw(shown),
            ])),
            row,
        );
        frame.set_cursor_position((
            row.x + prompt.len() as u16 + (input.visual_cursor() - scroll) as u16,
            row.y,
        ));
    }
}

fn draw_overlay(frame: &mut Frame, area: Rect, overlay: &Overlay, app: &App) {
    match overlay {
        Overlay::Help => {
            // Two columns so every key fits an 80×24 screen.
            let help = app.keys.help();
            let half = help.len().div_ceil(2);
            let cell = |i: usize| -> Vec<Span<'static>> {
                help.get(i).map_or_else(Vec::new, |(keys, what)| {
                    vec![
                        Span::styled(format!("{keys:>6} "), theme::title()),
                        Span::raw(format!("{what:<30}")),
                    ]
                })
            };
            let mut lines: Vec<Line> = (0..half)
                .map(|i| {
                    let mut spans = cell(i);
                    spans.push(Span::raw(" "));
                    spans.extend(cell(i + half));
                    Line::from(spans)
                })
                .collect();
            lines.push(Line::styled(
                "Bump into monsters to attack, doors to open them, veins (%) to mine them.",
                theme::hint(),
            ));
            lines.push(Line::styled("any key closes this help", theme::hint()));
            popup(frame, area, " Keys ", lines, 80);
        }
        Overlay::Invite => {
            let lines = match &app.session.invite {
                Some(code) => {
                    let mut lines = vec![
                        Line::raw("Give this code to a friend; they paste it into Join:"),
                        Line::raw(""),
                        Line::styled(code.clone(), theme::title()),
                        Line::raw(""),
                    ];
                    if let Some(fp) = &app.session.fingerprint {
                        lines.push(Line::raw(format!("Your host key: {fp}")));
                        lines.push(Line::styled(
                            "(players joining from the LAN list see it too, to compare)",
                            theme::hint(),
                        ));
                    }
                    lines.push(Line::styled(
                        "(a new code replaces it once it expires or has admitted all it may)",
                        theme::hint(),
                    ));
                    if let Some(reach) = &app.session.reach {
                        lines.push(Line::raw(""));
                        lines.push(Line::raw(format!("Reachability: {}", reach.detail)));
                    }
                    lines
                }
                None => vec![Line::raw(
                    "This game is not hosted for others: start it with Host to invite friends.",
                )],
            };
            popup(frame, area, " Invite ", lines, area.width.min(90));
        }
        Overlay::History { scroll } => {
            let folded = crate::log::folded(&app.view.log);
            let width = area.width.saturating_sub(2).max(20);
            let rows = crate::app::history_rows(area.height);
            let scroll = (*scroll).min(folded.len().saturating_sub(rows));
            let end = folded.len() - scroll;
            let start = end.saturating_sub(rows);
            let mut lines: Vec<Line> = folded[start..end]
                .iter()
                .map(|(text, tone)| {
                    let text = sanitize(text, usize::from(width) - 2);
                    Line::styled(text, theme::tone(*tone))
                })
                .collect();
            if folded.is_empty() {
                lines.push(Line::raw("Nothing has happened yet."));
            }
            lines.push(Line::styled(
                format!(
                    "lines {}–{} of {} · ↑↓ PgUp PgDn Home End scroll · Esc closes",
                    start + usize::from(!folded.is_empty()),
                    end,
                    folded.len()
                ),
                theme::hint(),
            ));
            popup(frame, area, " Messages ", lines, width);
        }
        Overlay::ConfirmQuit { others } => {
            let lines = vec![
                Line::raw(format!(
                    "{others} other player{} connected. Quitting closes the game for everyone",
                    if *others == 1 { " is" } else { "s are" }
                )),
                Line::raw("(the world is saved; their characters wait for the next session)."),
                Line::raw(""),
                Line::styled("Quit now? y / n", theme::title()),
            ];
            popup(frame, area, " Quit? ", lines, 76);
        }
    }
}

/// A bordered box over the screen. Long lines wrap (an 80-character invite code does not fit
/// inside an 80-column box); the height grows to fit.
fn popup(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line>, width: u16) {
    let inner_width = usize::from(width.min(area.width).saturating_sub(2)).max(1);
    let height: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_width).max(1))
        .sum();
    let rect = centered(area, width, height as u16 + 2);
    crate::draw_panels::boxed(frame, rect, title, lines);
}

#[cfg(test)]
mod tests {
    use super::pack;

    #[test]
    fn status_items_break_between_items_to_fit_the_width() {
        let items: Vec<String> = ["ward 16", "unnoticed 5s", "talent: T", "a-very-long-item"]
            .map(String::from)
            .into();
        assert_eq!(
            pack(&items, " · ", 24),
            ["ward 16 · unnoticed 5s", "talent: T", "a-very-long-item"]
        );
        assert_eq!(pack(&items, " · ", 10), items);
        assert!(pack(&[], " · ", 10).is_empty());
    }

    #[test]
    fn a_footer_wraps_at_spaces_and_what_overflows_stays_on_the_last_line() {
        use ratatui::text::Line;
        let text = |lines: Vec<Line<'static>>| -> Vec<String> {
            lines.iter().map(|l| l.to_string()).collect()
        };
        let line = || Line::raw("the host cannot save: the disk is full, free some space");
        assert_eq!(
            text(super::wrap(line(), 20, 3)),
            [
                "the host cannot",
                "save: the disk is",
                "full, free some space"
            ]
        );
        assert_eq!(
            text(super::wrap(line(), 30, 3)),
            ["the host cannot save: the disk", "is full, free some space"]
        );
    }
}
