//! Rendering the panels that open over the map, and the leaderboard screen.

use game::craft::Recipe;
use game::ore::Attr;
use game::protocol::{ItemView, PackView, StackView};
use game::text::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::app::{App, Board};
use crate::panels::{Panel, Sort, craft_preview, sorted};
use crate::theme;

fn selected_style(yes: bool) -> Style {
    if yes {
        Style::new().add_modifier(Modifier::REVERSED)
    } else {
        Style::new()
    }
}

/// `name class units OQ CD DR HR MA PE SR UT` for a stack (62 columns).
/// The ore table needs 60 columns; narrower boxes get the compact form (shorter names, the
/// class in three letters) so that no row wraps.
const TABLE_WIDTH: u16 = 62;

fn stack_line(
    s: &StackView,
    selected: bool,
    extra: Option<String>,
    compact: bool,
) -> Line<'static> {
    let lead = if compact {
        let class: String = s.class.name().chars().take(3).collect();
        format!("{:<9} {class:<3} {:>3}", sanitize(&s.name, 9), s.units)
    } else {
        format!(
            "{:<12} {:<9} {:>4}",
            sanitize(&s.name, 12),
            s.class.name(),
            s.units
        )
    };
    let mut spans = vec![Span::styled(lead, selected_style(selected))];
    spans.push(Span::raw(
        s.attrs
            .iter()
            .map(|a| format!(" {a:>3}"))
            .collect::<String>(),
    ));
    if let Some(extra) = extra {
        spans.push(Span::styled(extra, theme::title()));
    }
    if s.withdrawn > 0 {
        spans.push(Span::styled(
            format!(" {} from a vault", s.withdrawn),
            Style::new().fg(Color::LightYellow),
        ));
    }
    Line::from(spans)
}

fn stack_header(sort: Option<Sort>, compact: bool) -> Line<'static> {
    let mark = |label: &str, key: Sort| -> String {
        if sort == Some(key) {
            format!("{label}▾")
        } else {
            label.to_owned()
        }
    };
    let attrs: String = Attr::ALL
        .iter()
        .enumerate()
        .map(|(i, a)| format!(" {:>3}", mark(a.code(), Sort::Attr(i))))
        .collect();
    let lead = if compact {
        format!(
            "{:<9} {:<3} {:>3}",
            mark("ore", Sort::Name),
            mark("cls", Sort::Class),
            mark("n", Sort::Units)
        )
    } else {
        format!(
            "{:<12} {:<9} {:>4}",
            mark("ore", Sort::Name),
            mark("class", Sort::Class),
            mark("units", Sort::Units)
        )
    };
    Line::styled(format!("{lead}{attrs}"), theme::hint())
}

fn item_line(i: &ItemView, selected: bool) -> Line<'static> {
    let what = if let Some(u) = i.usable {
        match (u.kind, u.potion) {
            (Some(kind), _) => kind.effect().to_owned(),
            (None, true) => "drink (e) to learn".to_owned(),
            (None, false) => "read (e) to learn".to_owned(),
        }
    } else if i.key {
        "walk into a locked door to open it".to_owned()
    } else if i.recipe.is_none() {
        "carry it out of floor 1 to win".to_owned()
    } else if i.tainted {
        format!("q{} {} · vault ore", i.quality, i.stats.describe())
    } else {
        format!("q{} {}", i.quality, i.stats.describe())
    };
    Line::from(vec![
        Span::styled(
            format!(
                "{} {:<24}",
                if i.equipped { "[worn]" } else { "      " },
                sanitize(&i.name, 24)
            ),
            selected_style(selected),
        ),
        Span::styled(format!(" {what}"), theme::hint()),
    ])
}

/// A bordered, titled box over `area`, cleared first; long lines wrap.
pub(crate) fn boxed(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line>) {
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(title.to_owned())),
        area,
    );
}

/// A list in a box, for panels that can outgrow a small screen: lines are cut at the box's
/// width rather than wrapped, the view scrolls to keep line `focus` in sight, and the last
/// `pinned` lines (a preview, the keys) stay at the bottom, wrapped.
fn boxed_list(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    mut lines: Vec<Line>,
    focus: usize,
    pinned: usize,
) {
    frame.render_widget(Clear, area);
    let block = Block::bordered().title(title.to_owned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let keys = lines.split_off(lines.len().saturating_sub(pinned));
    let width = usize::from(inner.width.max(1));
    let key_rows: usize = keys.iter().map(|l| l.width().div_ceil(width).max(1)).sum();
    let key_rows = (key_rows as u16).min(inner.height);
    let rows = inner.height.saturating_sub(key_rows);
    let mut skip = 0;
    if usize::from(rows) > 0 && focus >= usize::from(rows) {
        skip = focus + 1 - usize::from(rows);
    }
    let more_above = skip > 0;
    let more_below = lines.len() > skip + usize::from(rows);
    let body: Vec<Line> = lines
        .into_iter()
        .skip(skip)
        .take(usize::from(rows))
        .collect();
    let list = Rect::new(inner.x, inner.y, inner.width, rows);
    frame.render_widget(Paragraph::new(body), list);
    if more_above || more_below {
        let mark = match (more_above, more_below) {
            (true, true) => "↕",
            (true, false) => "↑",
            _ => "↓",
        };
        let corner = Rect::new(inner.right().saturating_sub(1), inner.y, 1, 1);
        frame.render_widget(Paragraph::new(Line::styled(mark, theme::title())), corner);
    }
    let bottom = Rect::new(inner.x, inner.y + rows, inner.width, key_rows);
    frame.render_widget(Paragraph::new(keys).wrap(Wrap { trim: false }), bottom);
}

/// The talents panel: each tier's heading, its two talents (chosen ✓, the other struck out
/// of reach), then the keys.
fn talent_lines(me: &game::protocol::SelfView, selected: usize) -> Vec<Line<'static>> {
    use game::talent::TALENT_LEVELS;
    let mut lines = Vec::new();
    for (tier, pair) in (0u8..).zip(me.class.talents()) {
        let level = TALENT_LEVELS[usize::from(tier)];
        let chosen = me.talents[usize::from(tier)];
        let (heading, style) = match chosen {
            Some(_) => (format!("Level {level}: chosen"), theme::hint()),
            None if me.level >= level => (
                format!("Level {level}: choose one (for good)"),
                Style::new().fg(Color::LightYellow),
            ),
            None => (format!("Level {level}: not reached yet"), theme::hint()),
        };
        lines.push(Line::styled(heading, style));
        for (pick, t) in (0u8..).zip(pair) {
            let row = usize::from(tier) * 2 + usize::from(pick);
            let mark = match chosen {
                Some(p) if p == pick => "✓",
                _ => " ",
            };
            let style = if chosen.is_some_and(|p| p != pick) {
                theme::hint()
            } else {
                Style::new()
            };
            let style = style.patch(selected_style(row == selected));
            lines.push(Line::styled(
                format!("{mark} {:<14} {}", t.name, t.what),
                style,
            ));
        }
    }
    lines.push(Line::styled(
        "↑/↓ choose · Enter learn · Esc close",
        theme::hint(),
    ));
    lines
}

/// Draws `panel` over the map area.
pub fn draw_panel(frame: &mut Frame, area: Rect, app: &App, panel: &Panel) {
    let view = &app.view;
    let compact = area.width < TABLE_WIDTH;
    match panel {
        Panel::Inventory { selected, sort } => {
            let stacks = sorted(&view.pack.stacks, *sort);
            let mut lines = vec![stack_header(Some(*sort), compact)];
            lines.extend(
                stacks
                    .iter()
                    .enumerate()
                    .map(|(i, s)| stack_line(s, i == *selected, None, compact)),
            );
            if stacks.is_empty() {
                lines.push(Line::styled(
                    "no ore: walk into a vein (%) to mine it",
                    theme::hint(),
                ));
            }
            lines.push(Line::raw(""));
            lines.extend(
                view.pack
                    .items
                    .iter()
                    .enumerate()
                    .map(|(i, it)| item_line(it, stacks.len() + i == *selected)),
            );
            lines.push(Line::styled(
                "↑/↓ choose · s sort · d drop · e wear/take off/use · Esc close",
                theme::hint(),
            ));
            // The header, the stacks (or the empty note), a blank line, then the items.
            let focus = if *selected < stacks.len() {
                1 + *selected
            } else {
                1 + stacks.len().max(1) + 1 + (*selected - stacks.len())
            };
            boxed_list(frame, area, " Inventory ", lines, focus, 1);
        }
        Panel::Vault { on_vault, selected } => {
            let [left, right] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(area);
            // A column holds name, class and units in 27 characters, or 18 when narrow.
            let narrow = left.width < 29;
            let column = |stacks: &[StackView], active: bool| -> Vec<Line<'static>> {
                let mut lines: Vec<Line> = stacks
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        let text = if narrow {
                            let class: String = s.class.name().chars().take(3).collect();
                            format!("{:<9} {class:<3} {:>4}", sanitize(&s.name, 9), s.units)
                        } else {
                            format!(
                                "{:<12} {:<9} {:>4}",
                                sanitize(&s.name, 12),
                                s.class.name(),
                                s.units
                            )
                        };
                        Line::styled(text, selected_style(active && i == *selected))
                    })
                    .collect();
                if stacks.is_empty() {
                    lines.push(Line::styled("(empty)", theme::hint()));
                }
                lines
            };
            let mut pack = column(&view.pack.stacks, !*on_vault);
            pack.push(Line::raw(""));
            pack.push(Line::styled("Enter bank all · h half", theme::hint()));
            let mut vault = column(&view.vault, *on_vault);
            vault.push(Line::raw(""));
            let warn = if view.me.as_ref().is_some_and(|m| m.impure) {
                "Enter take all · h half (already impure)"
            } else {
                "Enter/h take: marks this hero impure (no Pure Victory)"
            };
            vault.push(Line::styled(warn, Style::new().fg(Color::Yellow)));
            let (pack_focus, vault_focus) = if *on_vault {
                (0, *selected)
            } else {
                (*selected, 0)
            };
            boxed_list(
                frame,
                left,
                " Pack → vault (←/→ switch) ",
                pack,
                pack_focus,
                1,
            );
            boxed_list(frame, right, " Legacy Vault ", vault, vault_focus, 1);
        }
        Panel::Craft {
            recipe,
            selected,
            picks,
        } => {
            let focus = match recipe {
                None => *selected,
                Some(_) => 1 + *selected,
            };
            let lines = match recipe {
                None => {
                    let mut lines: Vec<Line> = Recipe::ALL
                        .iter()
                        .enumerate()
                        .map(|(i, r)| {
                            let d = r.def();
                            let who = d.for_class.map_or("anyone", |c| c.name());
                            Line::from(vec![
                                Span::styled(
                                    format!("{:<8}", d.name),
                                    selected_style(i == *selected),
                                ),
                                Span::raw(format!(
                                    " {:>2} units, tier {}+, for {who:<8}",
                                    d.units, d.min_tier
                                )),
                                Span::styled(format!(" {}", d.what), theme::hint()),
                            ])
                        })
                        .collect();
                    lines.push(Line::styled(
                        "↑/↓ choose · Enter pick ore · Esc close",
                        theme::hint(),
                    ));
                    lines
                }
                Some(r) => {
                    let d = r.def();
                    let (picked, made) = craft_preview(*r, &view.pack.stacks, picks);
                    let mut lines = vec![stack_header(None, compact)];
                    lines.extend(view.pack.stacks.iter().enumerate().map(|(i, s)| {
                        let n = picks.get(&s.spawn).copied().unwrap_or(0);
                        let tag = (n > 0).then(|| format!("  ×{n}"));
                        stack_line(s, i == *selected, tag, compact)
                    }));
                    lines.push(Line::raw(""));
                    let preview = match made {
                        Some((q, stats)) => format!("quality {q}: {}", stats.describe()),
                        None => "pick ore to see the result".into(),
                    };
                    let colour = if picked == d.units {
                        Color::LightGreen
                    } else {
                        Color::Yellow
                    };
                    lines.push(Line::from(vec![
                        Span::styled(
                            format!("{}: {picked}/{} units → ", d.name, d.units),
                            Style::new().fg(colour),
                        ),
                        Span::styled(preview, theme::title()),
                    ]));
                    lines.push(Line::styled(
                        "↑/↓ stack · →/+ add · ←/- remove · Space fill · Enter craft (3 s) · Esc back",
                        theme::hint(),
                    ));
                    lines
                }
            };
            let pinned = if recipe.is_some() { 2 } else { 1 };
            boxed_list(frame, area, " Craft ", lines, focus, pinned);
        }
        Panel::Trade { selected } => {
            let mut focus = 0;
            let lines = match &view.trade {
                None => vec![Line::raw("Waiting for the trade to open…")],
                Some(t) => {
                    let side = |p: &PackView| -> Vec<Line<'static>> {
                        let mut v: Vec<Line> = p
                            .stacks
                            .iter()
                            .map(|s| {
                                Line::raw(format!(
                                    "  {} {} ({})",
                                    s.units,
                                    sanitize(&s.name, 12),
                                    s.class.name()
                                ))
                            })
                            .chain(
                                p.items
                                    .iter()
                                    .map(|i| Line::raw(format!("  {}", sanitize(&i.name, 24)))),
                            )
                            .collect();
                        if v.is_empty() {
                            v.push(Line::styled("  nothing", theme::hint()));
                        }
                        v
                    };
                    let mut lines = vec![Line::styled(
                        format!("Trading with {} (offer {})", sanitize(&t.with, 16), t.phase),
                        theme::title(),
                    )];
                    let tick = |b: bool| if b { "accepted ✓" } else { "not accepted" };
                    lines.push(Line::raw(format!("You give ({}):", tick(t.i_accepted))));
                    lines.extend(side(&t.mine));
                    lines.push(Line::raw(format!("They give ({}):", tick(t.they_accepted))));
                    lines.extend(side(&t.theirs));
                    lines.push(Line::styled(
                        "Your pack (Space: in or out of your offer):",
                        theme::hint(),
                    ));
                    focus = lines.len() + *selected;
                    let offered = |spawn: u32| t.mine.stacks.iter().any(|s| s.spawn == spawn);
                    lines.extend(view.pack.stacks.iter().enumerate().map(|(i, s)| {
                        Line::styled(
                            format!(
                                "{} {:>4} {:<12} {}",
                                if offered(s.spawn) { "◆" } else { " " },
                                s.units,
                                sanitize(&s.name, 12),
                                s.class.name()
                            ),
                            selected_style(i == *selected),
                        )
                    }));
                    let stacks = view.pack.stacks.len();
                    lines.extend(view.pack.items.iter().enumerate().map(|(i, it)| {
                        let mark = if t.mine.items.iter().any(|m| m.id == it.id) {
                            "◆"
                        } else {
                            " "
                        };
                        Line::styled(
                            format!("{mark} {}", sanitize(&it.name, 24)),
                            selected_style(stacks + i == *selected),
                        )
                    }));
                    lines.push(Line::styled(
                        "any change resets both acceptances · a accept · x cancel trade · Esc hide",
                        theme::hint(),
                    ));
                    lines
                }
            };
            boxed_list(frame, area, " Trade ", lines, focus, 1);
        }
        Panel::Talents { selected } => {
            let Some(me) = view.me.as_ref() else { return };
            let lines = talent_lines(me, *selected);
            let focus = *selected / 2 * 3 + 1 + *selected % 2;
            boxed_list(frame, area, " Talents ", lines, focus, 1);
        }
        Panel::Chat(_) | Panel::Aim { .. } | Panel::Look { .. } => {}
    }
}

/// The leaderboards of every world in the data dir (Local) or on the central board (Global).
pub fn draw_leaderboard(
    frame: &mut Frame,
    area: Rect,
    boards: &[Board],
    error: Option<&str>,
    global: bool,
) {
    let tab = |name: &'static str, on: bool| {
        if on {
            Span::styled(format!("[{name}]"), theme::title())
        } else {
            Span::styled(format!(" {name} "), theme::hint())
        }
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled("Leaderboards  ", theme::title()),
            tab("Local", !global),
            Span::raw(" "),
            tab("Global", global),
        ]),
        Line::raw(""),
    ];
    if let Some(error) = error {
        lines.push(Line::styled(sanitize(error, 300), theme::error()));
    } else if boards.is_empty() && global {
        lines.push(Line::raw(
            "The central board is empty: no syncing host sent a fact yet.",
        ));
    } else if boards.is_empty() {
        lines.push(Line::raw("No worlds yet: play Solo or Host to start one."));
    }
    for board in boards {
        lines.push(Line::styled(
            format!("World {}", sanitize(&board.world, 30)),
            theme::title(),
        ));
        lines.push(Line::styled(
            format!(
                "  {:<16} {:>4} {:>4} {:>5} {:>5}  best crafted",
                "player", "wins", "pure", "depth", "kills"
            ),
            theme::hint(),
        ));
        for r in &board.rows {
            let best = r.best_crafted.as_ref().map_or("-".to_owned(), |(n, q)| {
                format!("{} (q{q})", sanitize(n, 24))
            });
            lines.push(Line::raw(format!(
                "  {:<16} {:>4} {:>4} {:>5} {:>5}  {best}",
                sanitize(&r.name, 16),
                r.victories,
                r.pure_victories,
                r.deepest,
                r.kills
            )));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(
        "Tab: local / global · any other key: back to the menu",
        theme::hint(),
    ));
    let board = Paragraph::new(lines)
        .block(Block::bordered())
        .wrap(Wrap { trim: false });
    frame.render_widget(board, area);
}
