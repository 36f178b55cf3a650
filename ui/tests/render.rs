//! Whole screens rendered on ratatui's TestBackend, fed with real updates from a real world.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use game::view::Tracker;
use game::{Class, Input, PlayerId, TickRate, World};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ui::{App, Overlay, Screen, Session};

fn render(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| ui::draw(f, app)).unwrap();
    terminal.backend().buffer().clone()
}

fn text(buf: &Buffer) -> Vec<String> {
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
}

/// The text of each screen line between its first two `│` (a box's inside), for lines that
/// have one.
fn inside_boxes(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.contains('│'))
        .map(|l| {
            l.split('│')
                .nth(1)
                .unwrap_or_default()
                .trim_end()
                .to_owned()
        })
        .collect()
}

/// An app in the game screen with one character who has just entered floor 1.
fn in_game() -> App {
    let me = PlayerId([1; 32]);
    let mut world = World::new("Deepwood", 5, TickRate::DEFAULT);
    world.handle_tick(&[Input::Connect {
        player: me,
        name: "Ada".into(),
    }]);
    world.handle_tick(&[Input::CreateCharacter {
        player: me,
        class: Class::Mage,
    }]);
    let mut app = App::connecting("test");
    app.joined(Session {
        world: "Deepwood".into(),
        invite: Some("BRG-TESTCODE".into()),
        hosting: true,
        tick_rate: 20,
        fingerprint: Some("00112233445566778899aabbccddeeff".into()),
        reach: None,
        spectators: Vec::new(),
    });
    let mut tracker = Tracker::new();
    assert_eq!(app.sync_with(&mut tracker, &world, me).unwrap(), None);
    assert!(matches!(app.screen, Screen::Game));
    app
}

#[test]
fn game_screen_at_80x24_shows_map_sidebar_and_log() {
    let app = in_game();
    let buf = render(&app, 80, 24);
    let lines = text(&buf);
    let all = lines.join("\n");
    // The camera centres on the player: '@' sits in the middle of the map area (80-28 wide).
    let map_rows = 24 - 7;
    let me = app.view.me.as_ref().unwrap().pos;
    let (at_x, at_y) = lines
        .iter()
        .enumerate()
        .find_map(|(y, l)| l.chars().position(|c| c == '@').map(|x| (x, y)))
        .expect("the player is drawn");
    assert!(
        at_x < 52 && at_y < map_rows,
        "@ drawn outside the map at {at_x},{at_y}"
    );
    // Camera rule: centre on the player, clamped to the floor in a 52×17 map area.
    let (w, h) = (
        i64::from(game::floor::FLOOR_WIDTH),
        i64::from(game::floor::FLOOR_HEIGHT),
    );
    let cam_x = (me.x as i64 - 26).clamp(0, w - 52);
    let cam_y = (me.y as i64 - 17 / 2).clamp(0, h - 17);
    assert_eq!(
        (at_x as i64, at_y as i64),
        (me.x as i64 - cam_x, me.y as i64 - cam_y),
        "the camera does not follow the player"
    );
    assert!(all.contains("Deepwood"));
    assert!(all.contains("Ada Mage F1"));
    assert!(all.contains("HP ") && all.contains("22/22"));
    assert!(all.contains("MP "));
    // The three abilities with their state.
    for name in ["1 Firebolt", "2 Frost Nova", "3 Blink"] {
        assert!(all.contains(name), "sidebar lacks {name}");
    }
    assert!(all.contains("ready"));
    assert!(all.contains("Party"));
    assert!(all.contains("enters the dungeon as a Mage"));
    // Just entered: monsters pass it by for five seconds, and the sidebar says so.
    assert!(all.contains("unnoticed 5s"), "{all}");
    assert!(all.contains("I invite"));
    // The stairs the character stands next to are lit, memory elsewhere is empty.
    assert!(all.contains('#') && all.contains('.'));
}

#[test]
fn game_screen_at_200x60_centres_a_floor_smaller_than_the_screen() {
    let app = in_game();
    let buf = render(&app, 200, 60);
    let lines = text(&buf);
    assert!(lines.iter().any(|l| l.contains('@')));
    assert!(lines.join("\n").contains("Ada Mage F1"));
    // The map area (172 wide) is wider than the floor (96): nothing may be drawn left of the
    // floor's centred origin (172 - 96) / 2 = 38.
    for l in lines.iter().take(60 - 7) {
        let first = l.chars().position(|c| c != ' ');
        if let Some(x) = first {
            assert!(x >= 38, "map drawn at column {x}: {l}");
        }
    }
}

#[test]
fn small_terminal_asks_to_resize() {
    let app = in_game();
    let buf = render(&app, 60, 20);
    let lines = text(&buf);
    let mut expected = vec![" ".repeat(60); 20];
    let msg = "resize to at least 80×24 (now 60×20)";
    let pad = (60 - msg.chars().count()) / 2;
    expected[10] = format!(
        "{}{}{}",
        " ".repeat(pad),
        msg,
        " ".repeat(60 - pad - msg.chars().count())
    );
    assert_eq!(lines, expected);
    let buf = render(&app, 79, 24);
    assert!(text(&buf).join("").contains("(now 79×24)"));
}

#[test]
fn zero_sized_terminal_does_not_panic() {
    let app = in_game();
    render(&app, 0, 0);
    render(&App::menu(), 0, 0);
    render(&App::menu(), 1, 1);
}

#[test]
fn menu_lists_solo_host_join_quit() {
    let buf = render(&App::menu(), 80, 24);
    let all = text(&buf).join("\n");
    for item in ["▶ Solo", "Host", "Join", "Quit"] {
        assert!(all.contains(item), "menu lacks {item}");
    }
}

#[test]
fn help_overlay_is_generated_from_the_keymap() {
    let mut app = in_game();
    app.overlay = Some(Overlay::Help);
    let all = text(&render(&app, 80, 24)).join("\n");
    for (keys, what) in ui::keymap::help_lines() {
        assert!(all.contains(&keys), "help lacks keys {keys}");
        assert!(all.contains(what), "help lacks {what}");
    }
}

#[test]
fn invite_overlay_shows_the_whole_code_even_when_wider_than_the_screen() {
    let mut app = in_game();
    let code = format!(
        "BRG-{}",
        "0123456789ABCDEFGHJK".repeat(4).get(..76).unwrap()
    );
    assert_eq!(code.len(), 80);
    app.session.invite = Some(code.clone());
    app.overlay = Some(Overlay::Invite);
    let lines = text(&render(&app, 80, 24));
    // The code may wrap, but every character is on screen, in order, inside the box.
    let shown: String = lines
        .iter()
        .filter(|l| l.contains('│'))
        .map(|l| l.split('│').nth(1).unwrap_or_default().trim().to_owned())
        .collect::<Vec<_>>()
        .join("");
    assert!(shown.contains(&code), "the code was cut: {lines:#?}");
}

#[test]
fn names_from_other_players_cannot_inject_escape_sequences() {
    let mut app = in_game();
    app.view.party[0].name = "\u{1b}[31mEve\u{202e}".into();
    app.session.world = "w\u{7}".into();
    let buf = render(&app, 80, 24);
    for cell in buf.content() {
        assert!(
            !cell
                .symbol()
                .chars()
                .any(|c| c.is_control() || c == '\u{202e}'),
            "control character reached a cell"
        );
    }
    assert!(text(&buf).join("").contains("[31mEve"));
}

#[test]
fn death_says_who_killed_you_and_then_the_class_picker_says_you_died() {
    use game::event::EventKind;
    use game::monster::MonsterKind;
    let mut app = in_game();
    app.view.log.push_back(game::protocol::LogLine {
        tick: 30,
        event: EventKind::Downed {
            name: "Ada".into(),
            monster: MonsterKind::Orc,
            blow: game::special::Blow::Melee,
        },
    });
    let died = game::protocol::Update {
        tick: 1234,
        me: Some(None),
        ..game::protocol::Update::default()
    };
    app.apply_update(died).unwrap();
    let popup = inside_boxes(&text(&render(&app, 80, 24)));
    assert_eq!(
        popup,
        [
            "Ada the Mage was killed by an orc on floor 1.",
            "Played 1:01, 0 kills.",
            "Best item: none crafted.",
            "Dropped: nothing.",
            "",
            "Your vault remains. A morgue file is in your data dir (morgue/).",
            "Press any key; you watch the others, if any, until you choose anew.",
        ]
    );
    let morgue = app.take_morgue().expect("a morgue file to write");
    assert!(morgue.contains("killed by an orc"), "{morgue}");
    assert_eq!(app.take_morgue(), None, "written once");
    app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let all = text(&render(&app, 80, 24)).join("\n");
    assert!(all.contains("You died"));
    for class in Class::ALL {
        assert!(all.contains(class.name()));
    }
}

#[test]
fn join_screen_lists_lan_games_and_explains_an_empty_list() {
    let mut app = App::menu();
    app.screen = Screen::Join {
        input: tui_input::Input::default(),
        error: None,
        selected: 1,
    };
    let empty = text(&render(&app, 80, 24)).join("\n");
    assert!(empty.contains("searching…"));
    assert!(empty.contains("Why can't I see a game?"));
    assert!(empty.contains("Wi-Fi"));
    assert!(
        empty.contains("for this terminal."),
        "the help line is cut off"
    );
    app.lan = vec![
        ui::LanEntry {
            id: "a".into(),
            world: "Deep Halls".into(),
            host: "Hana".into(),
            players: 2,
            max_players: 8,
            version: "0.1.0".into(),
            compatible: true,
            needs_code: false,
            fingerprint: "abcd:ef01:2345:6789".into(),
        },
        ui::LanEntry {
            id: "b".into(),
            world: "Old".into(),
            host: "Bob".into(),
            players: 1,
            max_players: 4,
            version: "9.0.0".into(),
            compatible: false,
            needs_code: true,
            fingerprint: "1111:2222:3333:4444".into(),
        },
    ];
    let lines = text(&render(&app, 80, 24));
    let all = lines.join("\n");
    assert!(all.contains("Deep Halls") && all.contains("open"));
    assert!(
        all.contains("needs v9.0.0"),
        "incompatible games are marked"
    );
    assert!(all.contains("▶ Old"), "the selection is shown");
    assert!(
        all.contains("abcd:ef01:2345:6789"),
        "the host key is shown to compare"
    );
    app.lan_status = ui::LanStatus::Off("no network".into());
    assert!(
        text(&render(&app, 80, 24))
            .join("")
            .contains("off: no network")
    );
}

#[test]
fn a_host_that_cannot_save_is_said_in_red_until_it_saves_again() {
    use game::protocol::HostStatus;
    let mut app = in_game();
    app.host_status(HostStatus::CannotSave {
        reason: "No space left on device (os error 28)".into(),
    });
    let buf = render(&app, 80, 24);
    let lines = text(&buf);
    let row = lines
        .iter()
        .position(|l| l.contains("The host cannot save: No space left on device"))
        .expect("the trouble is on screen at 80x24");
    let byte = lines[row].find("The host").unwrap();
    let x = lines[row][..byte].chars().count() as u16;
    assert_eq!(buf[(x, row as u16)].fg, ratatui::style::Color::LightRed);
    // Key presses do not clear it; saving again does.
    app.handle_event(&ui::Event::Key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Char('.'),
    )));
    assert!(text(&render(&app, 80, 24)).join("").contains("cannot save"));
    app.host_status(HostStatus::Saving);
    let all = text(&render(&app, 80, 24)).join("\n");
    assert!(!all.contains("cannot save"));
    assert!(all.contains("saving again"));
}

#[test]
fn the_leaderboard_has_local_and_global_tabs_that_tab_switches() {
    use crossterm::event::{KeyCode, KeyEvent};
    let board = ui::Board {
        world: "north @ 051c:a896".into(),
        rows: vec![ui::BoardRow {
            name: "Ada".into(),
            victories: 2,
            pure_victories: 1,
            deepest: 7,
            kills: 40,
            best_crafted: Some(("Vorine Dagger".into(), 520)),
        }],
    };
    let mut app = App::menu();
    app.screen = Screen::Leaderboard {
        boards: vec![board],
        error: None,
        global: true,
    };
    let buf = render(&app, 80, 24);
    let lines = text(&buf);
    let all = lines.join("\n");
    assert!(all.contains("Leaderboards   Local  [Global]"), "{all}");
    assert!(all.contains("World north @ 051c:a896"));
    assert!(all.contains("Ada"));
    assert!(all.contains("Vorine Dagger (q520)"));
    assert!(all.contains("Tab: local / global"));
    // Tab asks for the other board; another key goes back to the menu.
    let tab = app.handle_event(&ui::Event::Key(KeyEvent::from(KeyCode::Tab)));
    assert_eq!(tab, Some(ui::Intent::Leaderboard { global: false }));
    let back = app.handle_event(&ui::Event::Key(KeyEvent::from(KeyCode::Esc)));
    assert_eq!(back, None);
    assert!(matches!(app.screen, Screen::Menu { selected: 3 }));
    // An empty global board says why it is empty.
    app.screen = Screen::Leaderboard {
        boards: vec![],
        error: None,
        global: true,
    };
    let all = text(&render(&app, 80, 24)).join("\n");
    assert!(all.contains("The central board is empty"));
}

#[test]
fn a_renewed_invite_code_is_announced_and_shown() {
    let mut app = in_game();
    // The first code arriving is no news; a different one is.
    app.invite_renewed(Some("BRG-TESTCODE".into()));
    assert_eq!(app.notice, None);
    app.invite_renewed(Some("BRG-FRESHCODE".into()));
    let lines = text(&render(&app, 80, 24));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("A new invite code replaces the old one: press I to see it.")),
        "{lines:#?}"
    );
    app.overlay = Some(Overlay::Invite);
    let lines = text(&render(&app, 80, 24));
    assert!(
        lines.iter().any(|l| l.contains("BRG-FRESHCODE")),
        "{lines:#?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("BRG-TESTCODE")),
        "{lines:#?}"
    );
}

#[test]
fn the_host_sees_who_can_reach_it_in_the_sidebar_and_the_invite_overlay() {
    let mut app = in_game();
    app.reach_changed(ui::Reach {
        verdict: "lan-only".into(),
        detail: "asking your router to map UDP 4470…".into(),
    });
    assert_eq!(app.notice, None, "the first verdict is no news");
    let lines = text(&render(&app, 80, 24));
    assert!(lines.iter().any(|l| l.contains("LAN only")), "{lines:#?}");
    app.reach_changed(ui::Reach {
        verdict: "internet".into(),
        detail: "friends on the internet can join at 5.9.0.1:4470 (mapped on your router by \
                 UPnP)"
            .into(),
    });
    let lines = text(&render(&app, 80, 24));
    assert!(
        lines.iter().any(|l| l.contains("open to the internet")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Reachability: open to the internet. Press I for details.")),
        "{lines:#?}"
    );
    app.overlay = Some(Overlay::Invite);
    let lines = text(&render(&app, 80, 24));
    let popup: Vec<String> = inside_boxes(&lines)
        .into_iter()
        .skip_while(|l| !l.starts_with("Give this code"))
        .collect();
    assert_eq!(
        popup,
        [
            "Give this code to a friend; they paste it into Join:",
            "",
            "BRG-TESTCODE",
            "",
            "Your host key: 00112233445566778899aabbccddeeff",
            "(players joining from the LAN list see it too, to compare)",
            "(a new code replaces it once it expires or has admitted all it may)",
            "",
            "Reachability: friends on the internet can join at 5.9.0.1:4470 (mapped on your",
            "router by UPnP)",
        ],
        "{lines:#?}"
    );
}

#[test]
fn the_message_history_folds_repeats_and_scrolls() {
    use game::event::EventKind;
    use game::protocol::LogLine;
    let mut app = in_game();
    app.view.log.clear();
    let say = |text: &str| LogLine {
        tick: 1,
        event: EventKind::Chat {
            name: "Bo".into(),
            text: text.into(),
        },
    };
    for i in 0..30 {
        app.view.log.push_back(say(&format!("line {i}")));
    }
    for _ in 0..3 {
        app.view.log.push_back(say("again"));
    }
    // Ctrl-P opens it at the newest lines; the three "again" are one line.
    let ctrl_p = KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL);
    app.handle_key(ctrl_p);
    assert_eq!(app.overlay, Some(Overlay::History { scroll: 0 }));
    let popup = |app: &App| -> Vec<String> {
        // The box's left edge is the second column.
        text(&render(app, 80, 24))
            .iter()
            .filter(|l| l.chars().nth(1) == Some('│'))
            .map(|l| {
                l.chars()
                    .skip(2)
                    .take_while(|c| *c != '│')
                    .collect::<String>()
            })
            .map(|l| l.trim_end().to_owned())
            .collect()
    };
    let mut expected: Vec<String> = (12..30).map(|i| format!("Bo: line {i}")).collect();
    expected.push("Bo: again (×3)".into());
    expected.push("lines 13–31 of 31 · ↑↓ PgUp PgDn Home End scroll · Esc closes".into());
    assert_eq!(popup(&app), expected);
    // The main log folds them too.
    app.overlay = None;
    let screen = text(&render(&app, 80, 24)).join("\n");
    assert!(screen.contains("Bo: again (×3)"), "{screen}");
    assert!(!screen.contains("Bo: again\n"), "{screen}");
    // Home goes to the oldest line, End back; Esc closes.
    app.handle_key(ctrl_p);
    app.handle_key(KeyEvent::new(KeyCode::Home, KeyModifiers::NONE));
    let top = popup(&app);
    assert_eq!(top[0], "Bo: line 0");
    assert_eq!(
        top.last().unwrap(),
        "lines 1–19 of 31 · ↑↓ PgUp PgDn Home End scroll · Esc closes"
    );
    app.handle_key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
    assert_eq!(popup(&app)[0], "Bo: line 1", "one line down at once");
    app.handle_key(KeyEvent::new(KeyCode::End, KeyModifiers::NONE));
    assert_eq!(popup(&app), expected);
    app.handle_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    assert_eq!(app.overlay, None);
}

#[test]
fn mono_ascii_screens_have_no_colour_and_no_symbols_and_you_still_stand_out() {
    use ratatui::style::{Color, Modifier};
    use ui::appearance::{Appearance, Glyphs, Theme};
    let mut app = in_game();
    app.appearance = Appearance {
        theme: Theme::Mono,
        glyphs: Glyphs::Ascii,
    };
    for overlay in [None, Some(Overlay::Help), Some(Overlay::Invite)] {
        app.overlay = overlay;
        let buf = render(&app, 80, 24);
        for cell in buf.content() {
            assert!(cell.symbol().is_ascii(), "{:?} is not ASCII", cell.symbol());
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset));
        }
    }
    app.overlay = None;
    let buf = render(&app, 80, 24);
    let me = buf
        .content()
        .iter()
        .find(|c| c.symbol() == "@")
        .expect("you are drawn");
    assert!(
        me.modifier.contains(Modifier::REVERSED),
        "your @ stands out"
    );
    // The sidebar's health bar and the shrine are ASCII too.
    let screen = text(&buf).join("\n");
    assert!(screen.contains("HP ##########"), "{screen}");
}

#[test]
fn a_telegraphed_charge_shows_its_line_in_red_and_the_charger_reversed() {
    use game::protocol::{EntityKind, EntityView};
    use ratatui::style::{Color, Modifier};
    let mut app = in_game();
    let me = app.view.me.as_ref().unwrap().pos;
    let at = game::Pos::new(me.x + 3, me.y);
    let ogre = |aim| EntityView {
        id: 999,
        pos: at,
        kind: EntityKind::Monster(game::monster::MonsterKind::Ogre),
        hp_pct: 100,
        effects: 0,
        aim,
    };
    // Where on the screen a floor cell is drawn: the '@' is the player's cell.
    let before = render(&app, 80, 24);
    let lines = text(&before);
    let (sx, sy) = ui::screens::find(&lines.join("\n"), '@').unwrap();
    let screen = |p: game::Pos| {
        (
            (sx as i16 + p.x - me.x) as u16,
            (sy as i16 + p.y - me.y) as u16,
        )
    };
    let red = |buf: &Buffer, p| buf[screen(p)].bg == Color::Red;

    app.view.entities.push(ogre(None));
    let idle = render(&app, 80, 24);
    assert!(!red(&idle, me) && !red(&idle, game::Pos::new(me.x + 1, me.y)));

    app.view.entities.retain(|e| e.id != 999);
    app.view.entities.push(ogre(Some(me)));
    let buf = render(&app, 80, 24);
    let line = game::special::threatened(game::monster::MonsterKind::Ogre, at, me, |p| {
        app.view.tile(p)
    });
    assert!(line.contains(&me) && line.len() >= 3, "{line:?}");
    // (The map is the left 52 columns at 80×24; the line may run past it.)
    for p in line.iter().filter(|p| screen(**p).0 < 52) {
        assert!(red(&buf, *p), "{p:?} on the line is not red");
    }
    assert!(
        !red(&buf, game::Pos::new(me.x + 1, me.y + 1)),
        "off the line"
    );
    assert!(!red(&buf, at), "the charger's own cell is not threatened");
    assert!(buf[screen(at)].modifier.contains(Modifier::REVERSED));
    assert_eq!(buf[screen(at)].symbol(), "O");
}
