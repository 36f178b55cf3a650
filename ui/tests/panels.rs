//! The panels driven by keys, fed with real updates from a real world: what each key asks the
//! host to do, and what the screens show.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use game::consumable::Consumable;
use game::floor::Floor;
use game::monster::MonsterKind;
use game::ore::OreClass;
use game::view::Tracker;
use game::{Action, Class, Input, PlayerId, Pos, Target, TickRate, TradeInput, World};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ui::{App, Intent, Panel, Screen, Session};

const ME: PlayerId = PlayerId([1; 32]);
const BOB: PlayerId = PlayerId([2; 32]);

struct Game {
    world: World,
    app: App,
    tracker: Tracker,
    /// The last sequence number [`Game::run_app`] sent.
    seq: u32,
}

impl Game {
    /// A mage on the entrance of a small floor, a shrine next to it, ore in the pack.
    fn new(rows: &[&str]) -> Game {
        let mut world =
            World::with_first_floor("panels", 3, TickRate::DEFAULT, Floor::from_ascii(1, rows));
        world.handle_tick(&[Input::Connect {
            player: ME,
            name: "Ada".into(),
        }]);
        world.handle_tick(&[Input::CreateCharacter {
            player: ME,
            class: Class::Mage,
        }]);
        for (class, units) in [(OreClass::Iron, 10u32), (OreClass::Copper, 5)] {
            assert!(world.give_ore(ME, class, units).is_some());
        }
        world.handle_tick(&[]);
        let mut app = App::connecting("test");
        app.joined(Session {
            world: "panels".into(),
            invite: None,
            hosting: true,
            tick_rate: 20,
            fingerprint: None,
            reach: None,
            spectators: Vec::new(),
        });
        let mut game = Game {
            world,
            app,
            tracker: Tracker::new(),
            seq: 0,
        };
        game.sync();
        assert!(matches!(game.app.screen, Screen::Game));
        game
    }

    fn sync(&mut self) {
        self.app
            .sync_with(&mut self.tracker, &self.world, ME)
            .unwrap();
    }

    /// Bob, a warrior, joins and appears next to the mage.
    fn bob_joins(&mut self) {
        self.tick(&[Input::Connect {
            player: BOB,
            name: "Bob".into(),
        }]);
        self.tick(&[Input::CreateCharacter {
            player: BOB,
            class: Class::Warrior,
        }]);
    }

    /// An ogre appears next to the mage and fights until the death screen shows.
    fn killed_by_an_ogre(&mut self) {
        let me = self.me();
        self.world
            .spawn_monster(1, MonsterKind::Ogre, Pos::new(me.x + 1, me.y))
            .unwrap();
        while !matches!(self.app.screen, Screen::Death(_)) {
            self.tick(&[]);
        }
    }

    fn tick(&mut self, inputs: &[Input]) {
        self.world.handle_tick(inputs);
        self.sync();
    }

    /// Runs the world up to `ticks` ticks, sending every action the app asks for (as the
    /// runtime would, with rising sequence numbers); returns how many actions were sent.
    fn run_app(&mut self, first: Option<Intent>, ticks: u32) -> u32 {
        let mut sent = 0;
        let mut pending = first;
        for _ in 0..ticks {
            let mut inputs = Vec::new();
            if let Some(Intent::Act(action)) = pending.take() {
                sent += 1;
                self.seq += 1;
                let action = self.world.check_action(ME, action).unwrap();
                inputs.push(Input::Act {
                    player: ME,
                    seq: self.seq,
                    action,
                });
            }
            self.world.handle_tick(&inputs);
            pending = self
                .app
                .sync_with(&mut self.tracker, &self.world, ME)
                .unwrap();
            if self.app.travel.is_none() && pending.is_none() {
                break;
            }
        }
        sent
    }

    fn me(&self) -> Pos {
        self.app.view.me.as_ref().unwrap().pos
    }

    fn key(&mut self, code: KeyCode) -> Option<Intent> {
        self.app.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn keys(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    fn screen(&self) -> String {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        terminal.draw(|f| ui::draw(f, &self.app)).unwrap();
        let buf = terminal.backend().buffer().clone();
        (0..24)
            .map(|y| {
                (0..80)
                    .map(|x| buf[(x, y)].symbol().to_owned())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

const ROOM: &[&str] = &[
    "#########",
    "#.......#",
    "#.._<...#",
    "#.......#",
    "#########",
];

#[test]
fn e_drinks_an_unknown_potion_and_the_inventory_then_names_its_kind() {
    let mut g = Game::new(ROOM);
    for _ in 0..2 {
        g.world.give_consumable(ME, Consumable::Healing).unwrap();
    }
    g.sync();
    let looks = g.world.look_of(Consumable::Healing);
    g.key(KeyCode::Char('i'));
    let screen = g.screen();
    assert_eq!(screen.matches(looks.as_str()).count(), 2, "{screen}");
    assert!(screen.contains("drink (e) to learn"), "{screen}");
    // Two stacks of ore, then the potions: the first potion.
    for _ in 0..2 {
        g.key(KeyCode::Down);
    }
    let intent = g.key(KeyCode::Char('e'));
    assert!(
        matches!(intent, Some(Intent::Act(Action::Use(_)))),
        "{intent:?}"
    );
    assert_eq!(g.run_app(intent, 5), 1);
    let screen = g.screen();
    assert!(
        screen.contains(&format!(
            "Ada drinks the {looks}: it is a Potion of Healing"
        )),
        "{screen}"
    );
    assert!(
        screen.contains("Potion of Healing        half HP; revives"),
        "{screen}"
    );
    assert!(!screen.contains("to learn"), "{screen}");
}

#[test]
fn the_inventory_sorts_by_attribute_and_drops_the_chosen_stack() {
    let mut g = Game::new(ROOM);
    assert_eq!(g.key(KeyCode::Char('i')), None);
    assert!(g.screen().contains("OQ"), "no attribute columns");
    let stacks = g.app.view.pack.stacks.clone();
    assert_eq!(stacks.len(), 2);
    // Sort by PE (the sixth attribute): four presses past name, class, units, OQ…
    for _ in 0..8 {
        g.key(KeyCode::Char('s'));
    }
    let by_pe = ui::panels::sorted(&stacks, ui::panels::Sort::Attr(5));
    assert!(by_pe[0].attrs[5] >= by_pe[1].attrs[5]);
    assert!(g.screen().contains("PE▾"));
    let Some(Intent::Act(Action::Drop(goods))) = g.key(KeyCode::Char('d')) else {
        panic!("d does not drop");
    };
    assert_eq!(goods.stacks.len(), 1);
    assert_eq!(goods.stacks[0].spawn.0, by_pe[0].spawn);
    assert_eq!(goods.stacks[0].units, by_pe[0].units);
    assert_eq!(g.key(KeyCode::Esc), None);
    assert!(g.app.panel.is_none());
}

#[test]
fn crafting_previews_the_result_and_crafts_exactly_the_units_picked() {
    let mut g = Game::new(ROOM);
    g.key(KeyCode::Char('c'));
    g.key(KeyCode::Down);
    g.key(KeyCode::Down);
    g.key(KeyCode::Enter); // Staff: 6 units
    let iron = g
        .app
        .view
        .pack
        .stacks
        .iter()
        .position(|s| s.class == OreClass::Iron)
        .unwrap();
    for _ in 0..iron {
        g.key(KeyCode::Down);
    }
    g.key(KeyCode::Char(' '));
    let s = &g.app.view.pack.stacks[iron];
    let expected = game::craft::quality(
        game::craft::Recipe::Staff,
        &[(game::ore::Attributes(s.attrs), 6)],
    )
    .unwrap();
    let screen = g.screen();
    assert!(screen.contains("6/6 units"), "{screen}");
    assert!(screen.contains(&format!("quality {expected}")), "{screen}");
    // One unit fewer: Enter refuses and says why.
    g.key(KeyCode::Left);
    assert_eq!(g.key(KeyCode::Enter), None);
    assert!(
        g.app
            .notice
            .as_deref()
            .unwrap_or("")
            .contains("takes 6 units")
    );
    g.key(KeyCode::Right);
    let Some(Intent::Act(Action::Craft { recipe, stacks })) = g.key(KeyCode::Enter) else {
        panic!("Enter does not craft");
    };
    assert_eq!(recipe, game::craft::Recipe::Staff);
    assert_eq!(stacks.iter().map(|s| s.units).sum::<u32>(), 6);
    assert!(g.app.panel.is_none(), "the panel closes while crafting");
}

#[test]
fn the_vault_opens_only_at_a_shrine_and_banks_or_takes_stacks() {
    let mut g = Game::new(ROOM);
    assert!(g.app.view.me.as_ref().unwrap().at_shrine);
    g.key(KeyCode::Char('v'));
    assert!(matches!(g.app.panel, Some(Panel::Vault { .. })));
    let first = g.app.view.pack.stacks[0].clone();
    let Some(Intent::Act(Action::Deposit(stacks))) = g.key(KeyCode::Enter) else {
        panic!("Enter does not deposit");
    };
    assert_eq!(
        (stacks[0].spawn.0, stacks[0].units),
        (first.spawn, first.units)
    );
    let Some(Intent::Act(Action::Deposit(half))) = g.key(KeyCode::Char('h')) else {
        panic!("h does not deposit half");
    };
    assert_eq!(half[0].units, first.units.div_ceil(2));
    // Bank it for real, then take some back from the vault column.
    let action = g.world.check_action(ME, Action::Deposit(stacks)).unwrap();
    g.tick(&[Input::Act {
        player: ME,
        seq: 1,
        action,
    }]);
    assert_eq!(g.app.view.vault.len(), 1);
    g.key(KeyCode::Right);
    let Some(Intent::Act(Action::Withdraw(w))) = g.key(KeyCode::Enter) else {
        panic!("Enter on the vault side does not withdraw");
    };
    assert_eq!(w[0].units, first.units);
    assert!(
        g.screen().contains("impure"),
        "the warning about Pure Victory is missing"
    );
    // Away from a shrine, v only explains.
    let mut far = Game::new(&["#########", "#_......#", "#......<#", "#########"]);
    assert_eq!(far.key(KeyCode::Char('v')), None);
    assert!(far.app.panel.is_none());
    assert!(far.app.notice.as_deref().unwrap().contains("Vault Shrine"));
}

#[test]
fn trading_offers_whole_stacks_accepts_the_current_phase_and_closes_when_done() {
    let mut g = Game::new(ROOM);
    g.bob_joins();
    // t next to Bob opens a trade with him.
    let Some(Intent::Trade(TradeInput::Open { with })) = g.key(KeyCode::Char('t')) else {
        panic!("t does not open a trade");
    };
    let bob_entity = g.world.player(&BOB).unwrap().character.as_ref().unwrap().id;
    assert_eq!(with, bob_entity);
    let trade = g.world.check_trade(ME, TradeInput::Open { with }).unwrap();
    g.tick(&[Input::Trade { player: ME, trade }]);
    let trade = g.app.view.trade.clone().expect("the trade is open");
    assert!(g.screen().contains("Trading with Bob"));
    let Some(Intent::Trade(TradeInput::Offer { trade: id, goods })) = g.key(KeyCode::Char(' '))
    else {
        panic!("Space does not offer");
    };
    assert_eq!(id, trade.id);
    assert_eq!(goods.stacks.len(), 1);
    let offer = TradeInput::Offer {
        trade: id,
        goods: goods.clone(),
    };
    let trade = g.world.check_trade(ME, offer).unwrap();
    g.tick(&[Input::Trade { player: ME, trade }]);
    let phase = g.app.view.trade.as_ref().unwrap().phase;
    assert_eq!(
        g.key(KeyCode::Char('a')),
        Some(Intent::Trade(TradeInput::Accept { trade: id, phase }))
    );
    // Both accept; the trade is done and the panel closes by itself.
    let accept = |p| Input::Trade {
        player: p,
        trade: g
            .world
            .check_trade(p, TradeInput::Accept { trade: id, phase })
            .unwrap(),
    };
    g.tick(&[accept(ME), accept(BOB)]);
    assert!(g.app.view.trade.is_none());
    assert!(g.app.panel.is_none());
}

#[test]
fn chat_sends_lines_and_slash_trade_opens_a_trade_by_name() {
    let mut g = Game::new(ROOM);
    g.bob_joins();
    g.key(KeyCode::Enter);
    g.keys("hi all");
    assert!(g.screen().contains("say: hi all"));
    assert_eq!(g.key(KeyCode::Enter), Some(Intent::Chat("hi all".into())));
    g.key(KeyCode::Enter);
    g.keys("/trade bob");
    let bob_entity = g.world.player(&BOB).unwrap().character.as_ref().unwrap().id;
    assert_eq!(
        g.key(KeyCode::Enter),
        Some(Intent::Trade(TradeInput::Open { with: bob_entity }))
    );
    g.app.panel = None;
    g.key(KeyCode::Enter);
    g.keys("/trade nobody");
    assert_eq!(g.key(KeyCode::Enter), None);
    assert!(g.app.notice.as_deref().unwrap().contains("nobody"));
}

#[test]
fn tab_targets_enemies_and_cell_abilities_use_an_aiming_cursor() {
    let mut g = Game::new(&["###########", "#...<.....#", "#.........#", "###########"]);
    g.world
        .spawn_monster(1, MonsterKind::Goblin, Pos::new(6, 2));
    g.world.spawn_monster(1, MonsterKind::Rat, Pos::new(8, 1));
    g.tick(&[]);
    g.key(KeyCode::Tab);
    let (first, _) = g.app.current_target().expect("a target");
    g.key(KeyCode::Tab);
    let (second, _) = g.app.current_target().unwrap();
    assert_ne!(first, second, "Tab cycles");
    // Firebolt goes at the target.
    assert_eq!(
        g.key(KeyCode::Char('1')),
        Some(Intent::Act(Action::Ability {
            slot: 0,
            target: Target::Entity(game::EntityId(second))
        }))
    );
    // Blink opens a cursor on the target; moving it and pressing Enter casts at that cell.
    assert_eq!(g.key(KeyCode::Char('3')), None);
    let Some(Panel::Aim { cursor, .. }) = g.app.panel.clone() else {
        panic!("no aiming cursor");
    };
    g.key(KeyCode::Char('h'));
    let expected = cursor.step(game::Dir::W);
    assert!(g.screen().contains("Blink: move the cursor"));
    assert_eq!(
        g.key(KeyCode::Enter),
        Some(Intent::Act(Action::Ability {
            slot: 2,
            target: Target::Cell(expected)
        }))
    );
}

/// Two rooms joined by a door, the way down in the far one.
const TWO_ROOMS: &[&str] = &[
    "###################",
    "#.....#...........#",
    "#.<...+.........>.#",
    "#.....#...........#",
    "###################",
];

#[test]
fn x_explores_the_floor_and_greater_than_walks_to_the_stairs_then_takes_them() {
    let mut g = Game::new(TWO_ROOMS);
    let start = g.me();
    let known = g.app.view.known_cells();
    let first = g.key(KeyCode::Char('x'));
    assert!(
        matches!(first, Some(Intent::Act(Action::Move(_)))),
        "{first:?}"
    );
    let steps = g.run_app(first, 2000);
    assert!(steps > 3, "{steps} steps");
    assert_eq!(
        g.app.notice.as_deref(),
        Some("Explored all you can reach here (> travels to the stairs down).")
    );
    assert!(g.app.view.known_cells() > known);
    assert_ne!(g.me(), start);
    // Every floor cell is known now.
    for (y, row) in TWO_ROOMS.iter().enumerate() {
        for (x, c) in row.chars().enumerate() {
            let p = Pos::new(x as i16, y as i16);
            assert!(g.app.view.tile(p).is_some() || c == '#', "{p:?} never seen");
        }
    }
    // `>` away from the stairs walks there; on them it descends.
    let first = g.key(KeyCode::Char('>'));
    g.run_app(first, 2000);
    assert_eq!(
        g.app.view.tile(g.me()),
        Some(game::Tile::StairsDown),
        "{:?} at {:?}",
        g.app.notice,
        g.me()
    );
    assert_eq!(
        g.key(KeyCode::Char('>')),
        Some(Intent::Act(Action::Descend))
    );
}

#[test]
fn walking_stops_when_a_monster_comes_into_view_and_will_not_start_with_one_in_view() {
    let mut g = Game::new(TWO_ROOMS);
    // A rat waits beyond the door, out of sight.
    g.world
        .spawn_monster(1, MonsterKind::Rat, Pos::new(16, 3))
        .unwrap();
    g.tick(&[]);
    let first = g.key(KeyCode::Char('x'));
    g.run_app(first, 2000);
    assert_eq!(g.app.notice.as_deref(), Some("A rat comes into view."));
    assert!(g.app.travel.is_none());
    assert_eq!(g.key(KeyCode::Char('x')), None);
    assert_eq!(g.app.notice.as_deref(), Some("Not with a rat in view."));
    assert_eq!(g.key(KeyCode::Char('Z')), None, "no resting either");
}

#[test]
fn any_key_stops_walking_and_resting_ends_when_healed() {
    let mut g = Game::new(TWO_ROOMS);
    assert!(g.key(KeyCode::Char('x')).is_some());
    assert!(g.app.travel.is_some());
    assert_eq!(
        g.key(KeyCode::Char('l')),
        None,
        "the key only stops the walk"
    );
    assert!(g.app.travel.is_none());
    assert_eq!(g.app.notice.as_deref(), Some("Stopped."));
    // Unhurt, resting ends at once; hurt, it waits until healed.
    assert_eq!(g.key(KeyCode::Char('Z')), None);
    assert_eq!(g.app.notice.as_deref(), Some("You are rested."));
}

#[test]
fn a_character_killed_in_the_world_learns_by_what_and_gets_a_morgue_file() {
    let mut g = Game::new(ROOM);
    let me = g.me();
    for dx in [1, 2] {
        g.world
            .spawn_monster(1, MonsterKind::Ogre, Pos::new(me.x + dx, me.y))
            .unwrap();
    }
    for _ in 0..3000 {
        g.tick(&[]);
        if matches!(g.app.screen, Screen::Death(_)) {
            break;
        }
    }
    let Screen::Death(death) = &g.app.screen else {
        panic!("the mage never died: {:?}", g.app.view.me);
    };
    assert_eq!(death.killer, "an ogre");
    assert_eq!(death.depth, 1);
    assert!(death.lines()[0].starts_with("Ada the Mage was killed by an ogre on floor 1."));
    assert!(g.screen().contains("You died"));
    let morgue = g.app.take_morgue().unwrap();
    assert!(morgue.contains("world panels"), "{morgue}");
}

#[test]
fn look_describes_a_monster_and_enter_walks_to_a_looked_at_cell() {
    let mut g = Game::new(ROOM);
    let me = g.me();
    g.world
        .spawn_monster(1, MonsterKind::Rat, Pos::new(me.x + 2, me.y))
        .unwrap();
    g.sync(); // seen where it stands, before it moves
    assert_eq!(g.key(KeyCode::Char(';')), None);
    let footer = |g: &Game| {
        let screen = g.screen();
        let line = screen.lines().rev().find(|l| !l.trim().is_empty());
        line.unwrap_or_default().trim_end().to_owned()
    };
    assert_eq!(
        footer(&g),
        "You, Ada the Mage (health 100%); stairs up (<)."
    );
    g.keys("ll");
    let rat = MonsterKind::Rat.stats();
    assert_eq!(
        footer(&g),
        format!(
            "A rat (health 100%): hits for {}–{}, fights up close; floor.",
            rat.damage.0, rat.damage.1
        )
    );
    // Walking there is refused while the rat is in view; elsewhere, once it is gone.
    assert_eq!(g.key(KeyCode::Enter), None);
    assert_eq!(g.app.notice.as_deref(), Some("Not with a rat in view."));
    let mut g = Game::new(ROOM);
    let start = g.me();
    g.key(KeyCode::Char(';'));
    g.keys("jl");
    let target = Pos::new(start.x + 1, start.y + 1);
    let first = g.key(KeyCode::Enter);
    assert!(g.app.panel.is_none(), "Enter closes look mode");
    g.run_app(first, 500);
    assert_eq!(g.me(), target);
    assert_eq!(g.app.notice.as_deref(), Some("You are there."));
}

#[test]
fn look_says_what_a_monster_shrugs_off() {
    let mut g = Game::new(ROOM);
    let me = g.me();
    g.world
        .spawn_monster(1, MonsterKind::Golem, Pos::new(me.x + 2, me.y))
        .unwrap();
    g.sync();
    g.key(KeyCode::Char(';'));
    g.keys("ll");
    // Longer than the log pane is wide: it goes on over a second line.
    let screen = g.screen();
    let mut lines: Vec<&str> = screen
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    let footer = lines.split_off(lines.len() - 2).join("\n");
    assert_eq!(
        footer,
        "A golem (health 100%): hits for 6–12, fights up close, shrugs off half the\narrows and fire; floor."
    );
}

#[test]
fn look_names_a_lodes_ore() {
    let mut g = Game::new(&[
        "#########",
        "#.......#",
        "#.._<...$",
        "#.......#",
        "#########",
    ]);
    let me = g.me();
    g.key(KeyCode::Char(';'));
    for _ in me.x..8 {
        g.key(KeyCode::Char('l'));
    }
    let screen = g.screen();
    let footer: Vec<&str> = screen.lines().map(str::trim).collect();
    let footer = footer.join(" ");
    // Floor 1's veins give Copper and Iron: a lode there would be the next class up.
    assert!(
        footer.contains("A lode of Silver, richer than this floor's veins (walk into it to mine)"),
        "{screen}"
    );
}

#[test]
fn look_says_what_a_monster_hits_for_on_the_floor_you_stand_on() {
    let mut g = Game::new(ROOM);
    // Two Potions of Descent: floor 3.
    for seq in 1..=2 {
        let potion = g.world.give_consumable(ME, Consumable::Descent).unwrap();
        let action = g.world.check_action(ME, Action::Use(potion)).unwrap();
        g.tick(&[Input::Act {
            player: ME,
            seq,
            action,
        }]);
        for _ in 0..5 {
            g.tick(&[]);
        }
    }
    assert_eq!(g.app.view.me.as_ref().unwrap().depth, 3);
    let me = g.me();
    let floor = g.world.floor(3).unwrap();
    let (key, at) = [('l', 1, 0), ('h', -1, 0), ('j', 0, 1), ('k', 0, -1)]
        .into_iter()
        .map(|(key, dx, dy)| (key, Pos::new(me.x + dx, me.y + dy)))
        .find(|(_, p)| floor.tile(*p) == game::Tile::Floor && floor.monster_at(*p).is_none())
        .expect("a free cell beside the landing");
    g.world.spawn_monster(3, MonsterKind::Orc, at).unwrap();
    g.sync();
    g.key(KeyCode::Char(';'));
    g.key(KeyCode::Char(key));
    let screen = g.screen();
    // The look's footer, its wrapped lines joined.
    let lines: Vec<&str> = screen.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("An orc"))
        .unwrap_or_else(|| panic!("{screen}"));
    let footer = lines[start..]
        .iter()
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join(" ");
    // An orc's 3–7 a quarter harder for each of the two floors above: 4–10.
    let orc = MonsterKind::Orc.stats();
    assert_eq!(orc.damage, (3, 7));
    assert!(
        footer.starts_with("An orc (health 100%): hits for 4–10, fights up close"),
        "{footer}"
    );
    // Alone on floor 3 a blade meets it as it is; arrows and spells land for 100/120.
    assert!(
        footer.contains("fights up close, takes 83% of arrows and spells; floor"),
        "{screen}"
    );
}

#[test]
fn keys_pressed_while_an_action_is_under_way_keep_the_newest_for_next() {
    let mut g = Game::new(TWO_ROOMS);
    let start = g.me();
    let first = g.key(KeyCode::Char('l'));
    assert_eq!(first, Some(Intent::Act(Action::Move(game::Dir::E))));
    // A held-down key: repeats arrive before the first step has started.
    for _ in 0..5 {
        assert_eq!(g.key(KeyCode::Char('l')), None, "held, not sent");
    }
    assert_eq!(g.key(KeyCode::Char('j')), None, "the newest replaces it");
    let sent = g.run_app(first, 200);
    assert_eq!(sent, 2, "the first and the newest held one");
    for _ in 0..40 {
        g.tick(&[]);
    }
    assert_eq!(g.me(), Pos::new(start.x + 1, start.y + 1));
}

#[test]
fn at_80x24_the_craft_list_scrolls_to_the_chosen_recipe_and_ore_rows_do_not_wrap() {
    use game::craft::Recipe;
    let mut g = Game::new(ROOM);
    g.key(KeyCode::Char('c'));
    let last = Recipe::ALL.last().unwrap().def().name;
    for _ in 1..Recipe::ALL.len() {
        g.key(KeyCode::Down);
    }
    let screen = g.screen();
    assert!(screen.contains(last), "the last recipe is shown:\n{screen}");
    assert!(
        screen.contains("Enter pick ore"),
        "the keys stay in view:\n{screen}"
    );
    // Its ore table: one row per stack, every attribute column in the box.
    g.key(KeyCode::Enter);
    let screen = g.screen();
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains(" Iro ") || l.contains(" Cop "))
        .collect();
    assert_eq!(rows.len(), 2, "{screen}");
    let header = screen
        .lines()
        .find(|l| l.contains("ore "))
        .expect("a header");
    for code in ["OQ", "CD", "DR", "HR", "MA", "PE", "SR", "UT"] {
        assert!(header.contains(code), "{code} missing in {header:?}");
    }
    assert!(
        screen.contains("units →"),
        "the preview stays in view:\n{screen}"
    );
}

#[test]
fn shift_and_a_direction_runs_until_the_way_is_blocked() {
    let mut g = Game::new(TWO_ROOMS);
    let start = g.me();
    let first = g.key(KeyCode::Char('L'));
    assert_eq!(first, Some(Intent::Act(Action::Move(game::Dir::E))));
    g.run_app(first, 500);
    // Through the room to the closed door (which a run does not open).
    assert_eq!(g.me(), Pos::new(5, start.y));
    assert!(g.app.travel.is_none());
}

#[test]
fn the_mouse_describes_what_it_hovers_walks_where_it_clicks_and_uses_abilities() {
    use crossterm::event::{Event, MouseButton, MouseEvent, MouseEventKind};
    let mut g = Game::new(ROOM);
    let screen = g.screen();
    let (row, col) = screen
        .lines()
        .enumerate()
        .find_map(|(y, l)| {
            l.chars()
                .position(|c| c == '@')
                .map(|x| (y as u16, x as u16))
        })
        .expect("@ on screen");
    let mouse = |kind, column, row| {
        Event::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // Hovering one cell east of the mage describes it under the log.
    assert_eq!(
        g.app
            .handle_event(&mouse(MouseEventKind::Moved, col + 1, row)),
        None
    );
    let me = g.me();
    assert_eq!(g.app.hover, Some(Pos::new(me.x + 1, me.y)));
    assert!(g.screen().contains("Floor."), "{}", g.screen());
    // A click two cells south-east walks there.
    let first = g.app.handle_event(&mouse(
        MouseEventKind::Down(MouseButton::Left),
        col + 2,
        row + 1,
    ));
    assert!(
        matches!(first, Some(Intent::Act(Action::Move(_)))),
        "{first:?}"
    );
    g.run_app(first, 500);
    assert_eq!(g.me(), Pos::new(me.x + 2, me.y + 1));
    // A click on "2 Frost Nova" in the sidebar casts it.
    let screen = g.screen();
    let (row, col) = screen
        .lines()
        .enumerate()
        .find_map(|(y, l)| {
            l.find("2 Frost Nova")
                .map(|x| (y as u16, l[..x].chars().count() as u16))
        })
        .expect("the ability in the sidebar");
    let cast = g.app.handle_event(&mouse(
        MouseEventKind::Down(MouseButton::Left),
        col + 3,
        row,
    ));
    assert!(
        matches!(cast, Some(Intent::Act(Action::Ability { slot: 1, .. }))),
        "{cast:?}"
    );
}

/// Whole screens, compared with the files in `tests/screens/` (run with `BROGUE_BLESS=1` to
/// write them after a deliberate change, then read the diff).
mod screens {
    use super::*;

    fn screen_at(g: &Game, width: u16, height: u16) -> String {
        ui::screens::text(&g.app, width, height)
    }

    fn check(name: &str, screen: &str) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/screens");
        ui::screens::check(&dir, name, screen);
    }

    /// The mage's game, a rat in sight, some history; an unknown potion and a known scroll
    /// in the pack (the other scroll of its kind read).
    fn game() -> Game {
        let mut g = Game::new(TWO_ROOMS);
        g.world.give_consumable(ME, Consumable::Speed).unwrap();
        let read = g.world.give_consumable(ME, Consumable::Warding).unwrap();
        g.world.give_consumable(ME, Consumable::Warding).unwrap();
        g.sync();
        g.run_app(Some(Intent::Act(Action::Use(read))), 1);
        // A quiet tick: syncing again must not bring the reading's line twice.
        g.tick(&[]);
        let me = g.me();
        g.world
            .spawn_monster(1, MonsterKind::Rat, Pos::new(me.x + 3, me.y))
            .unwrap();
        g.sync();
        g
    }

    /// A dark floor (it has a brazier): the mage sees three cells round, then the brazier's
    /// light farther on, not the dark between; a locked door by the stairs and a key at her
    /// feet. The whole screen at 80×24; then the key opens the door.
    #[test]
    fn a_dark_floor_a_locked_door_and_a_key_at_80x24() {
        let mut g = Game::new(&[
            "########################",
            "#..........☼...........#",
            "#..<...................#",
            "#......................#",
            "###‡####################",
            "#.....#",
            "#######",
        ]);
        let me = g.me();
        g.world.place_key(1, me).unwrap();
        g.tick(&[]);
        let screen = screen_at(&g, 80, 24);
        check("dark-80x24", &screen);
        // The wall four cells off is dark; the brazier's light shows farther on.
        assert!(screen.contains("###‡### ####"), "near, dark, lit");
        assert!(screen.contains('☼'), "the brazier shows from afar");
        assert!(screen.contains('‡'), "the locked door by the stairs");
        g.run_app(Some(Intent::Act(Action::PickUp)), 5);
        for _ in 0..2 {
            for _ in 0..10 {
                g.tick(&[]);
            }
            let intent = g.key(KeyCode::Char('j'));
            g.run_app(intent, 10);
        }
        let shown = g.screen();
        assert!(
            shown.contains("Ada unlocks the door with a key."),
            "{shown}"
        );
    }

    /// Water, lava, a chasm with its bridge, a found trap, and a salamander winding up its
    /// breath at the mage: the whole screen at 80×24 (text), and the cone on a red ground.
    #[test]
    fn terrain_and_a_telegraphed_breath_at_80x24() {
        let mut g = Game::new(&[
            "#####################",
            "#~~≈≈~..........::::#",
            "#~≈≈~...<.......====#",
            "#.~~......≋≋....::::#",
            "#.........≋≋....¡...#",
            "#####################",
        ]);
        let me = g.me();
        g.world
            .spawn_monster(1, MonsterKind::Salamander, Pos::new(me.x + 3, me.y))
            .unwrap();
        let mut winding = false;
        // Ada has just entered: the salamander notices her once her arrival's grace is over.
        let grace = TickRate::DEFAULT.ticks(game::progress::ARRIVAL_MS);
        for _ in 0..grace + 200 {
            g.tick(&[]);
            if g.app.view.entities.iter().any(|e| e.aim.is_some()) {
                winding = true;
                break;
            }
        }
        assert!(winding, "the salamander never wound up");
        let screen = screen_at(&g, 80, 24);
        check("terrain-80x24", &screen);
        assert!(screen.contains("gets ready to breathe fire at Ada! (get out of the cone)"));
        // The cone is drawn on a red ground, Ada's cell included.
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let mut app = g.app.clone();
        (app.cols, app.rows) = (80, 24);
        terminal.draw(|f| ui::draw(f, &app)).unwrap();
        let buf = terminal.backend().buffer();
        let reds = (0..24u16)
            .flat_map(|y| (0..80u16).map(move |x| (x, y)))
            .filter(|xy| buf[*xy].bg == ratatui::style::Color::Red)
            .count();
        assert!(reds >= 3, "{reds} cells on red");
        let at = ui::screens::find(&screen, '@').unwrap();
        assert_eq!(
            buf[at].bg,
            ratatui::style::Color::Red,
            "Ada stands in the cone"
        );
    }

    /// A level-8 mage: the sidebar says a talent is due, `T` shows the tiers at 80×24, Enter
    /// learns the one chosen (the log says so), the next due tier comes next, and a tier not
    /// reached yet says when it opens.
    #[test]
    fn t_shows_the_talents_and_enter_learns_the_chosen_one() {
        let mut g = Game::new(ROOM);
        g.world.give_xp(ME, game::progress::xp_for(8));
        g.tick(&[]);
        assert!(screen_at(&g, 80, 24).contains("talent: T"));
        assert_eq!(g.key(KeyCode::Char('T')), None);
        check("talents-80x24", &screen_at(&g, 80, 24));
        let intent = g.key(KeyCode::Enter);
        assert_eq!(
            intent,
            Some(Intent::Act(Action::Learn { tier: 0, pick: 0 }))
        );
        assert!(g.app.panel.is_none(), "the panel closes once chosen");
        g.run_app(intent, 2);
        assert!(g.screen().contains("Ada learns Pyromancy"));
        // The next due tier is where the cursor starts; ↓ picks its second talent.
        g.key(KeyCode::Char('T'));
        g.key(KeyCode::Down);
        let intent = g.key(KeyCode::Enter);
        assert_eq!(
            intent,
            Some(Intent::Act(Action::Learn { tier: 1, pick: 1 }))
        );
        g.run_app(intent, 2);
        assert_eq!(
            g.app.view.me.as_ref().unwrap().talents,
            [Some(0), Some(1), None]
        );
        assert!(!screen_at(&g, 80, 24).contains("talent: T"));
        // Tier 3 opens at level 12; tier 1 was chosen for good.
        g.key(KeyCode::Char('T'));
        for _ in 0..4 {
            g.key(KeyCode::Down);
        }
        assert_eq!(g.key(KeyCode::Enter), None);
        assert!(g.screen().contains("That talent opens at level 12."));
        g.key(KeyCode::Up);
        g.key(KeyCode::Up);
        assert_eq!(g.key(KeyCode::Enter), None);
        assert!(g.screen().contains("You chose Glacier at level 8"));
    }

    #[test]
    fn every_main_screen_at_80x24_and_200x60() {
        let mut g = game();
        for (w, h) in [(80, 24), (200, 60)] {
            let size = format!("{w}x{h}");
            check(&format!("game-{size}"), &screen_at(&g, w, h));
            for (key, name) in [
                ('i', "inventory"),
                ('c', "craft"),
                ('?', "help"),
                ('P', "history"),
            ] {
                g.key(KeyCode::Char(key));
                check(&format!("{name}-{size}"), &screen_at(&g, w, h));
                g.key(KeyCode::Esc);
                g.app.panel = None;
                g.app.overlay = None;
            }
            g.key(KeyCode::Char(';'));
            g.keys("lll");
            check(&format!("look-{size}"), &screen_at(&g, w, h));
            g.key(KeyCode::Esc);
        }
        let menu = Game {
            app: App::menu(),
            ..game()
        };
        check("menu-80x24", &screen_at(&menu, 80, 24));
    }

    #[test]
    fn the_vault_the_trade_and_death_at_80x24_and_200x60() {
        for (w, h) in [(80, 24), (200, 60)] {
            let size = format!("{w}x{h}");
            let mut g = Game::new(ROOM);
            g.key(KeyCode::Char('v'));
            check(&format!("vault-{size}"), &screen_at(&g, w, h));
            g.key(KeyCode::Esc);
            g.bob_joins();
            let Some(Intent::Trade(open)) = g.key(KeyCode::Char('t')) else {
                panic!("t does not open a trade");
            };
            let trade = g.world.check_trade(ME, open).unwrap();
            g.tick(&[Input::Trade { player: ME, trade }]);
            check(&format!("trade-{size}"), &screen_at(&g, w, h));
            let mut g = Game::new(ROOM);
            g.killed_by_an_ogre();
            check(&format!("death-{size}"), &screen_at(&g, w, h));
        }
    }

    /// The link dropped: the last picture stays, the log's footer says so and counts; a new
    /// connection's whole view replaces it and the footer goes.
    #[test]
    fn a_dropped_link_keeps_the_screen_and_says_reconnecting() {
        let mut g = game();
        g.app.link_lost(7);
        check("reconnecting-80x24", &screen_at(&g, 80, 24));
        // The new connection: a fresh tracker, as the host has for a new session.
        g.app.link_resumed();
        g.tracker = game::view::Tracker::new();
        g.sync();
        assert_eq!(screen_at(&g, 80, 24), screen_at(&game(), 80, 24));
    }

    /// A spectator sees the followed player's screen; its keys follow, help or leave, and
    /// nothing it presses acts. When nobody has a character it waits, with no class picker
    /// and no death screen.
    #[test]
    fn a_spectator_follows_or_leaves_and_never_acts() {
        let mut g = game();
        // The host's own screen lists who watches.
        g.app.session.spectators = vec!["Sam".into(), "Tim".into()];
        assert!(screen_at(&g, 80, 24).contains("│watching: Sam, Tim"));
        g.app.watching = true;
        g.app.session.world = "panels (watching)".into();
        g.app.session.hosting = false;
        g.app.session.spectators = Vec::new();
        g.sync();
        check("watching-80x24", &screen_at(&g, 80, 24));
        // This host does not let spectators chat.
        g.app.may_chat = false;
        assert_eq!(g.key(KeyCode::Enter), None);
        assert!(g.app.panel.is_none());
        assert_eq!(g.key(KeyCode::Tab), Some(Intent::Follow(None)));
        for c in ['h', 'x', '1', 'g', '>', 'i'] {
            assert_eq!(g.key(KeyCode::Char(c)), None, "{c}");
        }
        assert!(g.app.panel.is_none());
        assert_eq!(g.app.notice.as_deref(), Some(ui::app::WATCHING_KEYS));
        assert_eq!(g.key(KeyCode::Char('?')), None);
        assert!(g.app.overlay.is_some());
        g.key(KeyCode::Esc);
        assert_eq!(g.key(KeyCode::Char('q')), Some(Intent::Leave));
        // One that does: Enter opens the chat line.
        g.app.may_chat = true;
        g.key(KeyCode::Char('x'));
        assert!(g.app.notice.as_ref().unwrap().ends_with("Enter chats."));
        g.key(KeyCode::Enter);
        g.keys("hello");
        assert_eq!(g.key(KeyCode::Enter), Some(Intent::Chat("hello".into())));
        // The one followed dies and nobody else is there.
        let me = g.me();
        g.world
            .spawn_monster(1, MonsterKind::Ogre, Pos::new(me.x + 1, me.y))
            .unwrap();
        for _ in 0..10_000 {
            if g.app.view.me.is_none() {
                break;
            }
            g.tick(&[]);
        }
        assert!(
            matches!(&g.app.screen, Screen::Connecting { what } if what.contains("nobody to watch"))
        );
    }

    /// After death, `w` asks the host to show the party; its view comes with the name of
    /// the one followed; Tab asks for the next, Enter opens the class picker, which more of
    /// that view does not close.
    #[test]
    fn after_death_w_watches_the_party_and_enter_picks_a_new_character() {
        let mut g = game();
        g.bob_joins();
        g.killed_by_an_ogre();
        // Any key goes on to the class picker and asks to watch the others.
        assert_eq!(g.key(KeyCode::Char('z')), Some(Intent::Follow(None)));
        assert!(matches!(g.app.screen, Screen::ChooseClass { .. }));
        // (The number keys start at once, as the picker says: the last lines below.)
        check("choose-class-80x24", &screen_at(&g, 80, 24));
        // The host now polls Bob's view for this client, starting afresh.
        let bobs_view = |g: &mut Game, first: bool| {
            if first {
                g.tracker.reset();
            }
            let out = g.tracker.poll(&g.world, BOB, &Default::default());
            if let Some(mut update) = out.update {
                if first {
                    update.following = Some(Some("Bob".into()));
                }
                g.app.apply_update(update).unwrap();
            }
            if let Some(snapshot) = out.snapshot {
                g.app.apply_snapshot(snapshot).unwrap();
            }
        };
        g.world.handle_tick(&[]);
        bobs_view(&mut g, true);
        assert!(matches!(g.app.screen, Screen::Game));
        assert_eq!(g.app.view.you().map(|m| m.name.as_str()), Some("Bob"));
        check("watching-party-80x24", &screen_at(&g, 80, 24));
        assert_eq!(g.key(KeyCode::Char('h')), None, "nothing acts");
        assert!(g.app.notice.as_ref().unwrap().ends_with("Watching Bob."));
        assert_eq!(g.key(KeyCode::Tab), Some(Intent::Follow(None)));
        assert_eq!(g.key(KeyCode::Enter), None);
        assert!(matches!(g.app.screen, Screen::ChooseClass { .. }));
        g.world.handle_tick(&[]);
        bobs_view(&mut g, false);
        assert!(matches!(g.app.screen, Screen::ChooseClass { .. }));
        assert_eq!(
            g.key(KeyCode::Char('2')),
            Some(Intent::CreateCharacter(Class::ALL[1]))
        );
    }

    #[test]
    fn the_game_in_mono_ascii() {
        let mut g = game();
        g.app.appearance = ui::appearance::Appearance {
            theme: ui::appearance::Theme::Mono,
            glyphs: ui::appearance::Glyphs::Ascii,
        };
        check("game-mono-ascii-80x24", &screen_at(&g, 80, 24));
    }
}

#[test]
fn slash_commands_on_the_chat_line_are_party_commands() {
    use game::party::PartyCmd;
    let mut g = Game::new(ROOM);
    let say = |g: &mut Game, line: &str| {
        g.key(KeyCode::Enter);
        g.keys(line);
        g.key(KeyCode::Enter)
    };
    assert_eq!(
        say(&mut g, "/invite Bob"),
        Some(Intent::Party(PartyCmd::Invite("Bob".into())))
    );
    assert_eq!(
        say(&mut g, "/accept Ada Lovelace"),
        Some(Intent::Party(PartyCmd::Accept("Ada Lovelace".into())))
    );
    assert_eq!(
        say(&mut g, "/decline bo"),
        Some(Intent::Party(PartyCmd::Decline("bo".into())))
    );
    assert_eq!(say(&mut g, "/leave"), Some(Intent::Party(PartyCmd::Leave)));
    // Without a name nothing is sent and the line says what is missing.
    assert_eq!(say(&mut g, "/invite"), None);
    assert_eq!(g.app.notice.as_deref(), Some("Whom? Type /invite NAME."));
    // Other lines stay chat.
    assert_eq!(
        say(&mut g, "/invited you all"),
        Some(Intent::Chat("/invited you all".into()))
    );
}

#[test]
fn the_heart_s_carrier_reads_that_it_walks_slowly() {
    let mut g = Game::new(ROOM);
    assert!(!g.screen().contains("Heart: slow"));
    assert!(g.world.give_heart(ME));
    g.tick(&[]);
    let screen = g.screen();
    assert!(screen.contains("Heart: slow"), "{screen}");
    // The party panel marks the carrier, for its friends too.
    assert!(screen.contains("▸Ada       M♥█"), "{screen}");
    g.bob_joins();
    assert!(g.screen().contains(" Bob       W ██"), "{}", g.screen());
    // Handed to Bob: Ada sees him marked, and walks light again.
    let heart = g.world.economy().heart().unwrap().1.id;
    assert!(g.world.grant(game::economy::Entry::Moved {
        from: game::economy::Place::Pack(ME),
        to: game::economy::Place::Pack(BOB),
        stacks: vec![],
        items: vec![heart],
    }));
    g.tick(&[]);
    let handed = g.screen();
    assert!(handed.contains(" Bob       W♥██"), "{handed}");
    assert!(handed.contains("▸Ada       M ██"), "{handed}");
    assert!(!handed.contains("Heart: slow"), "{handed}");
    // Looking at him says so.
    let bob = g
        .world
        .player(&BOB)
        .unwrap()
        .character
        .as_ref()
        .unwrap()
        .pos;
    assert_eq!(
        ui::look::describe(&g.app.view, bob),
        "Bob the Warrior (health 100%, carries the Heart of the Deep: guard them up the stairs); \
         floor."
    );
}
