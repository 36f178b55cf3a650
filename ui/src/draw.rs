//! Rendering every screen into a ratatui frame. Pure: reads the [`App`], writes cells.

use game::class::Class;
use game::protocol::{EntityKind, MemberStatus, PartyMember};
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
use crate::keymap::help_lines;
use crate::theme;

/// The smallest terminal the game screens fit in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
const SIDEBAR: u16 = 28;
const LOG_LINES: u16 = 6;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
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
        Screen::Game => draw_game(frame, area, app),
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
        "join a friend's game with their invite code",
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
            Span::styled(format!("{marker}{item:<6}"), style),
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
        Paragraph::new("↑/↓ choose a game · Enter join · Esc back").style(theme::hint()),
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
        "↑/↓ or 1–4 choose · Enter confirm · Q leave",
        theme::hint(),
    ));
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_game(frame: &mut Frame, area: Rect, app: &App) {
    let [main, log] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(LOG_LINES + 1)]).areas(area);
    let [map, side] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(SIDEBAR)]).areas(main);
    frame.render_widget(MapView { view: &app.view }, map);
    draw_sidebar(frame, side, app);
    draw_log(frame, log, &app.view);
}

/// The map with a camera that follows the player.
struct MapView<'a> {
    view: &'a ClientView,
}

impl MapView<'_> {
    /// The floor cell shown at the top-left of `area`.
    fn camera(&self, area: Rect) -> (i16, i16) {
        let center = self.view.me.as_ref().map_or(Pos::new(0, 0), |m| m.pos);
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
        for e in &self.view.entities {
            let (sx, sy) = (e.pos.x - cx, e.pos.y - cy);
            if sx < 0 || sy < 0 || sx >= area.width as i16 || sy >= area.height as i16 {
                continue;
            }
            let (glyph, style) = match &e.kind {
                EntityKind::Monster(kind) => theme::monster(*kind),
                EntityKind::Character {
                    class,
                    downed,
                    away,
                } => {
                    let is_me = me.is_some_and(|m| m.pos == e.pos);
                    let mut style = Style::new().fg(theme::class_color(*class));
                    if is_me {
                        style = style.add_modifier(Modifier::BOLD | Modifier::REVERSED);
                    }
                    if *away {
                        style = style.fg(Color::DarkGray);
                    }
                    (if *downed { '%' } else { '@' }, style)
                }
            };
            if let Some(cell) = buf.cell_mut((area.x + sx as u16, area.y + sy as u16)) {
                cell.set_char(glyph).set_style(style);
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

fn draw_sidebar(frame: &mut Frame, area: Rect, app: &App) {
    let view = &app.view;
    let world = sanitize(&app.session.world, 18);
    let block = Block::new()
        .borders(Borders::LEFT)
        .title(Span::styled(format!(" {world} "), theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = Vec::new();
    match &view.me {
        Some(me) => {
            let you = view
                .you()
                .map(|m| sanitize(&m.name, 16))
                .unwrap_or_default();
            lines.push(Line::from(vec![
                Span::styled(you, Style::new().add_modifier(Modifier::BOLD)),
                Span::styled(
                    format!(" the {}", me.class.name()),
                    Style::new().fg(theme::class_color(me.class)),
                ),
            ]));
            lines.push(Line::raw(format!(
                "Floor {:<2}  kills {}",
                me.depth, me.kills
            )));
            let hp_color = if me.hp * 3 < me.max_hp {
                Color::LightRed
            } else {
                Color::Green
            };
            lines.push(Line::from(vec![
                Span::raw("HP "),
                Span::styled(bar(me.hp, me.max_hp, 12), Style::new().fg(hp_color)),
                Span::raw(format!(" {}/{}", me.hp, me.max_hp)),
            ]));
            if me.max_mana > 0 {
                lines.push(Line::from(vec![
                    Span::raw("MP "),
                    Span::styled(bar(me.mana, me.max_mana, 12), Style::new().fg(Color::Blue)),
                    Span::raw(format!(" {}/{}", me.mana, me.max_mana)),
                ]));
            }
            if let Some(downed) = &me.downed {
                let rate = if app.session.tick_rate == 0 {
                    TickRate::DEFAULT.hz()
                } else {
                    app.session.tick_rate
                };
                let secs = downed.ticks_left / u32::from(rate);
                lines.push(Line::styled(
                    format!("DOWNED {secs}s · revive {}%", downed.revive_pct),
                    Style::new()
                        .fg(Color::LightRed)
                        .add_modifier(Modifier::BOLD),
                ));
            }
        }
        None => lines.push(Line::styled("no character", theme::hint())),
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Party", theme::title()));
    for m in &view.party {
        lines.extend(party_lines(m));
    }
    if app.session.invite.is_some() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("i: show invite code", theme::hint()));
    }
    lines.push(Line::styled("?: keys", theme::hint()));
    frame.render_widget(Paragraph::new(lines), inner);
}

fn party_lines(m: &PartyMember) -> [Line<'static>; 2] {
    let color = m.class.map_or(Color::Gray, theme::class_color);
    let name = sanitize(&m.name, 12);
    let class = m.class.map_or("-", |c| &c.name()[..1]);
    let rtt = m
        .rtt_ms
        .map_or_else(|| "    ".to_owned(), |ms| format!("{ms:>3}ms"));
    let first = Line::from(vec![
        Span::styled(
            format!("{}{:<12}", if m.is_you { "▸" } else { " " }, name),
            Style::new().fg(color),
        ),
        Span::raw(format!(" {class} ")),
        Span::styled(rtt, theme::hint()),
    ]);
    let second = match m.status {
        MemberStatus::Away => Line::styled("  away (character safe)", theme::hint()),
        MemberStatus::NoCharacter => Line::styled("  choosing a character", theme::hint()),
        MemberStatus::Downed => Line::styled(
            format!("  DOWNED on floor {}", m.depth),
            Style::new().fg(Color::LightRed),
        ),
        MemberStatus::Alive => Line::from(vec![
            Span::raw("  "),
            Span::styled(bar(m.hp, m.max_hp, 8), Style::new().fg(Color::Green)),
            Span::raw(format!(" {:>3}/{:<3} F{}", m.hp, m.max_hp, m.depth)),
        ]),
    };
    [first, second]
}

fn draw_log(frame: &mut Frame, area: Rect, view: &ClientView) {
    let block = Block::new().borders(Borders::TOP);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let skip = view.log.len().saturating_sub(inner.height as usize);
    let lines: Vec<Line> = view
        .log
        .iter()
        .skip(skip)
        .map(|l| Line::styled(sanitize(&l.text, 300), theme::tone(l.tone)))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_overlay(frame: &mut Frame, area: Rect, overlay: &Overlay, app: &App) {
    match overlay {
        Overlay::Help => {
            let help = help_lines();
            let mut lines: Vec<Line> = help
                .iter()
                .map(|(keys, what)| {
                    Line::from(vec![
                        Span::styled(format!("{keys:>16}  "), theme::title()),
                        Span::raw(*what),
                    ])
                })
                .collect();
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "Bump into monsters to attack, into doors to open them.",
                theme::hint(),
            ));
            lines.push(Line::styled("any key closes this help", theme::hint()));
            popup(frame, area, " Keys ", lines, 72);
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
                        "(the code was also printed in the terminal when hosting began)",
                        theme::hint(),
                    ));
                    lines
                }
                None => vec![Line::raw(
                    "This game is not hosted for others: start it with Host to invite friends.",
                )],
            };
            popup(frame, area, " Invite ", lines, area.width.min(90));
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
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(title.to_owned())),
        rect,
    );
}
