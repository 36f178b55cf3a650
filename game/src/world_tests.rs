//! Rule tests on ASCII fixtures: a map, the inputs per tick, and the map or numbers expected
//! after. `@` marks characters (player 0, 1, … in reading order), monster glyphs mark monsters.

use super::*;
use crate::event::{EventKind, Notice};
use crate::floor::Floor;
use crate::geom::Dir::{E, N, W};
use crate::monster::MonsterKind;
use crate::protocol::SelfPatch;
use crate::view::{ClientView, Tracker};
use crate::world::Action::{Ascend, Descend, Move, Wait};

const RATE: TickRate = TickRate::DEFAULT; // 20 Hz: a move takes 4 ticks, an attack 5.

pub(super) fn pid(n: usize) -> PlayerId {
    PlayerId([n as u8 + 1; 32])
}

pub(super) struct Fx {
    pub(super) world: World,
    pub(super) players: Vec<PlayerId>,
    seq: u32,
    pending: Vec<Input>,
}

pub(super) fn fixture(rows: &[&str], classes: &[Class]) -> Fx {
    let mut world = World::with_first_floor("test", 1, RATE, Floor::from_ascii(1, rows));
    // A picture's characters are not new to the dungeon: they were made (at tick 0) long enough
    // ago that monsters see them at once (`progress::ARRIVAL_MS`).
    world.core.tick = Tick(world.ticks(crate::progress::ARRIVAL_MS));
    let mut players = Vec::new();
    for (y, row) in rows.iter().enumerate() {
        for (x, c) in row.chars().enumerate() {
            let p = Pos::new(x as i16, y as i16);
            if c == '@' {
                let n = players.len();
                let class = classes[n];
                let id = pid(n);
                let entity = world.new_entity();
                let character = Character::new(entity, class, 1, p, Tick::ZERO);
                world.core.players.insert(
                    id,
                    Player {
                        name: format!("P{n}"),
                        connected: true,
                        character: Some(character),
                        last_seq: 0,
                        queued: None,
                        stats: PlayerStats::default(),
                        left_at: Tick::ZERO,
                        known: BTreeSet::new(),
                    },
                );
                world.place_newcomer(id);
                players.push(id);
            } else if let Some(kind) = MonsterKind::ALL.into_iter().find(|k| k.stats().glyph == c) {
                world.spawn_monster(1, kind, p);
            }
        }
    }
    // Every vein in the picture holds 5 units of Iron.
    let veins: Vec<(Pos, crate::economy::Vein)> = Floor::find_marker(rows, '%')
        .into_iter()
        .map(|p| {
            let vein = crate::economy::Vein {
                class: crate::ore::OreClass::Iron,
                units: 5,
            };
            (p, vein)
        })
        .collect();
    world.record(Entry::VeinsFound { depth: 1, veins });
    world.update_vision();
    Fx {
        world,
        players,
        seq: 0,
        pending: Vec::new(),
    }
}

impl Fx {
    pub(super) fn act(&mut self, player: usize, action: Action) -> &mut Fx {
        self.seq += 1;
        self.pending.push(Input::Act {
            player: self.players[player],
            seq: self.seq,
            // The world's own refusals are under test here, so nothing is checked before.
            action: Checked::trusted(action),
        });
        self
    }

    pub(super) fn input(&mut self, input: Input) -> &mut Fx {
        self.pending.push(input);
        self
    }

    /// Runs `n` ticks; pending inputs go into the first.
    pub(super) fn run(&mut self, n: u64) -> &mut Fx {
        for _ in 0..n {
            let inputs = std::mem::take(&mut self.pending);
            self.world.handle_tick(&inputs);
        }
        self
    }

    pub(super) fn character(&self, player: usize) -> Option<&Character> {
        self.world.player(&self.players[player])?.character.as_ref()
    }

    pub(super) fn character_mut(&mut self, player: usize) -> &mut Character {
        let id = self.players[player];
        self.world
            .core
            .players
            .get_mut(&id)
            .and_then(|p| p.character.as_mut())
            .expect("player has a character")
    }

    pub(super) fn map(&self) -> Vec<String> {
        self.world.ascii(1)
    }

    /// Changes every monster on floor 1.
    pub(super) fn each_monster(&mut self, f: impl FnMut(&mut Monster)) {
        self.world
            .floor_mut(1)
            .unwrap()
            .monsters
            .values_mut()
            .for_each(f);
    }

    /// Did the last tick emit an event matching `pred`?
    pub(super) fn happened(&self, pred: impl Fn(&EventKind) -> bool) -> bool {
        self.world.events().iter().any(|e| pred(&e.kind))
    }

    /// Was some player told `notice` on the last tick?
    pub(super) fn told(&self, notice: &Notice) -> bool {
        self.happened(|k| matches!(k, EventKind::Notice(n) if n == notice))
    }
}

/// The first monster of `kind` on floor 1 (as it is now).
/// The monster `id` on floor 1, to change for a test.
pub(super) fn monster_mut(fx: &mut Fx, id: crate::ids::EntityId) -> &mut Monster {
    fx.world
        .floors
        .get_mut(&1)
        .and_then(|f| f.monsters.get_mut(&id))
        .expect("the monster is on floor 1")
}

pub(super) fn monster(fx: &Fx, kind: MonsterKind) -> Monster {
    fx.world
        .floor(1)
        .unwrap()
        .monsters
        .values()
        .find(|m| m.kind == kind)
        .cloned()
        .expect("the fixture has that monster")
}

/// The data-driven heart of these tests: `script` holds (tick, player, action); after `ticks`
/// ticks the floor must look like `after`.
fn check(
    before: &[&str],
    classes: &[Class],
    script: &[(u64, usize, Action)],
    ticks: u64,
    after: &[&str],
) {
    let mut fx = fixture(before, classes);
    for t in 0..ticks {
        for (at, player, action) in script {
            if *at == t {
                fx.act(*player, action.clone());
            }
        }
        fx.run(1);
    }
    assert_eq!(
        fx.map(),
        after,
        "\nafter {ticks} ticks:\n{}\n",
        fx.map().join("\n")
    );
}

const W1: &[Class] = &[Class::Warrior];

#[path = "world_tests_abilities.rs"]
mod abilities;
#[path = "world_tests_commands.rs"]
mod commands;
#[path = "world_tests_economy.rs"]
mod economy;
#[path = "world_tests_items.rs"]
mod items;
#[path = "world_tests_pacing.rs"]
mod pacing;
#[path = "world_tests_parties.rs"]
mod parties;
#[path = "world_tests_specials.rs"]
mod specials;
#[path = "world_tests_talents.rs"]
mod talents;
#[path = "world_tests_terrain.rs"]
mod terrain;

#[test]
fn character_walks_one_cell_per_move() {
    check(
        &["#####", "#@..#", "#####"],
        W1,
        &[(0, 0, Move(E))],
        4,
        &["#####", "#.@.#", "#####"],
    );
}

#[test]
fn walking_into_a_wall_costs_no_time() {
    // The bump on tick 0 must not delay the step east on tick 1.
    check(
        &["#####", "#@..#", "#####"],
        W1,
        &[(0, 0, Move(N)), (1, 0, Move(E)), (5, 0, Move(E))],
        6,
        &["#####", "#..@#", "#####"],
    );
}

#[test]
fn a_flood_of_inputs_never_moves_faster_than_the_move_rate() {
    let mut fx = fixture(&["############", "#@.........#", "############"], W1);
    for _ in 0..8 {
        for _ in 0..10 {
            fx.act(0, Move(E));
        }
        fx.run(1);
    }
    // Ticks 0..8 at 4 ticks per move: exactly two steps.
    assert_eq!(fx.character(0).unwrap().pos, Pos::new(3, 1));
    // Nothing piles up: once the inputs stop, the character stops after the one queued move.
    fx.run(20);
    assert_eq!(fx.character(0).unwrap().pos, Pos::new(4, 1));
}

#[test]
fn closed_door_opens_on_bump_then_can_be_walked_through() {
    check(
        &["######", "#@+..#", "######"],
        W1,
        &[(0, 0, Move(E))],
        4,
        &["######", "#@'..#", "######"],
    );
    check(
        &["######", "#@+..#", "######"],
        W1,
        &[(0, 0, Move(E)), (4, 0, Move(E)), (8, 0, Move(E))],
        12,
        &["######", "#.'@.#", "######"],
    );
}

#[test]
fn closed_door_blocks_sight_and_open_door_does_not() {
    let fx = fixture(&["########", "#@.+..x#", "########"], W1);
    let sight = fx.world.sight_of(&fx.players[0]).unwrap();
    assert!(!sight.get(Pos::new(6, 1)).unwrap());
    let mut fx = fixture(&["########", "#@.'..x#", "########"], W1);
    fx.run(1);
    assert!(
        fx.world
            .sight_of(&fx.players[0])
            .unwrap()
            .get(Pos::new(6, 1))
            .unwrap()
    );
}

#[test]
fn allies_swap_places_instead_of_blocking() {
    let mut fx = fixture(&["#####", "#@@.#", "#####"], &[Class::Warrior, Class::Mage]);
    fx.act(0, Move(E)).run(1);
    assert_eq!(fx.character(0).unwrap().pos, Pos::new(2, 1));
    assert_eq!(fx.character(1).unwrap().pos, Pos::new(1, 1));
}

#[test]
fn stepping_into_a_downed_ally_pulls_it_back_even_while_it_crawls() {
    let mut fx = fixture(
        &["######", "#@@g.#", "######"],
        &[Class::Warrior, Class::Mage],
    );
    fx.character_mut(1).hp = 1;
    fx.world.hurt_character(
        fx.players[1],
        50,
        MonsterKind::Goblin,
        crate::special::Blow::Melee,
    );
    assert!(fx.character(1).unwrap().is_downed());
    // Crawling away (mid-action) does not stop it.
    fx.act(1, Move(W)).act(0, Move(E)).run(1);
    assert_eq!(
        fx.character(0).unwrap().pos,
        Pos::new(2, 1),
        "the warrior steps up"
    );
    assert_eq!(
        fx.character(1).unwrap().pos,
        Pos::new(1, 1),
        "the mage is pulled back"
    );
}

#[test]
fn allies_walking_the_same_way_do_not_swap_and_both_advance() {
    let rows = ["##########", "#@@......#", "##########"];
    let mut fx = fixture(&rows, &[Class::Warrior, Class::Mage]);
    // The one in front is mid-action: the one behind bumps, stays, and spends no time.
    fx.act(1, Wait).run(1);
    fx.act(0, Move(E)).run(1);
    assert_eq!(
        fx.character(0).unwrap().pos,
        Pos::new(1, 1),
        "swapped a busy ally"
    );
    assert!(fx.character(0).unwrap().ready_at <= fx.world.tick());
    // Both holding east, each repeating the key every tick: they advance in order.
    for _ in 0..30 {
        fx.act(0, Move(E)).act(1, Move(E)).run(1);
    }
    let (back, front) = (fx.character(0).unwrap().pos, fx.character(1).unwrap().pos);
    assert_eq!((back.x, front.x), (7, 8), "back {back:?}, front {front:?}");
}

#[test]
fn goblin_notices_chases_and_attacks() {
    let mut fx = fixture(&["##########", "#@......g#", "##########"], W1);
    fx.run(80);
    let c = fx.character(0).unwrap();
    assert!(c.hp < c.max_hp(), "the goblin never hit: {:?}", fx.map());
    let goblin = fx.world.floor(1).unwrap().monsters.values().next().unwrap();
    assert!(goblin.pos.is_adjacent(c.pos));
    assert_eq!(goblin.target, Some(fx.players[0]));
}

#[test]
fn goblin_behind_a_wall_never_reaches_the_player() {
    let mut fx = fixture(&["##########", "#@...#..g#", "##########"], W1);
    fx.run(200);
    let c = fx.character(0).unwrap();
    assert_eq!(c.hp, c.max_hp());
    let goblin = fx.world.floor(1).unwrap().monsters.values().next().unwrap();
    assert!(
        goblin.pos.x > 5,
        "the goblin crossed the wall: {:?}",
        fx.map()
    );
    assert_eq!(goblin.target, None);
}

#[test]
fn only_door_openers_path_through_closed_doors() {
    let fx = fixture(&["#########", "#@..+...#", "#########"], W1);
    let from = Pos::new(7, 1);
    let to = Pos::new(1, 1);
    assert_eq!(fx.world.path_step(1, from, to, true), Some(Pos::new(6, 1)));
    // A rat finds no path; the greedy step stops at the door.
    let rat_step = fx.world.path_step(1, Pos::new(5, 1), to, false);
    assert_eq!(rat_step, None);
}

#[test]
fn attacking_kills_a_rat_and_counts_it() {
    let mut fx = fixture(&["#####", "#@r.#", "#####"], W1);
    for _ in 0..12 {
        fx.act(0, Move(E)).run(5);
    }
    assert!(
        fx.world.floor(1).unwrap().monsters.is_empty(),
        "{:?}",
        fx.map()
    );
    assert_eq!(fx.character(0).unwrap().kills, 1);
    assert_eq!(fx.world.player(&fx.players[0]).unwrap().stats.kills, 1);
}

#[test]
fn a_downed_character_struck_again_bleeds_out_sooner() {
    let mut fx = fixture(&["#####", "#@O.#", "#####"], &[Class::Mage]);
    let mut downed_at = None;
    for t in 0..400 {
        fx.run(1);
        if fx.character(0).is_some_and(|c| c.is_downed()) {
            downed_at = Some(t);
            break;
        }
    }
    assert!(downed_at.is_some(), "the ogre never downed the mage");
    // Alone, the mage is struck while down: it dies well before the 15 s (300 ticks) run out.
    fx.run(200);
    assert!(
        fx.character(0).is_none(),
        "the downed mage outlived its timer under attack"
    );
}

#[test]
fn monsters_prefer_a_standing_character_to_a_downed_one() {
    let mut fx = fixture(
        &["######", "#@@g.#", "######"],
        &[Class::Mage, Class::Warrior],
    );
    fx.character_mut(0).hp = 0;
    fx.character_mut(0).life = Life::Downed {
        left: 300,
        revive: 0,
    };
    fx.character_mut(1).hp = 30;
    // The goblin stands next to the warrior only; 2 s is many swings, and less than the 3 s the
    // warrior's presence needs to revive the mage.
    fx.run(40);
    let mage = fx.character(0).unwrap();
    assert!(
        matches!(mage.life, Life::Downed { left, .. } if left == 260),
        "{:?}",
        mage.life
    );
    assert!(
        fx.character(1).unwrap().hp < 30,
        "the goblin never struck the warrior"
    );
}

#[test]
fn downed_character_dies_when_the_timer_runs_out_and_can_start_over() {
    let mut fx = fixture(&["#<...#", "#.@..#", "######"], W1);
    fx.character_mut(0).hp = 0;
    fx.character_mut(0).life = Life::Downed { left: 5, revive: 0 };
    fx.run(4);
    assert!(fx.character(0).is_some());
    fx.run(1);
    assert!(fx.character(0).is_none());
    let player = fx.world.player(&fx.players[0]).unwrap();
    assert_eq!(player.stats.deaths, 1);
    assert!(fx.happened(|k| matches!(k, EventKind::Died { name, .. } if name == "P0")));
    let facts: Vec<_> = fx.world.take_facts().into_iter().map(|f| f.kind).collect();
    let died = crate::fact::FactKind::Death {
        floor: 1,
        // Made at tick 0; the picture's clock starts after the arrival grace.
        run_ticks: fx.world.ticks(crate::progress::ARRIVAL_MS) + 4,
    };
    assert_eq!(facts, vec![died]);
    // A new character (any class) starts at floor 1's entrance.
    fx.input(Input::CreateCharacter {
        player: fx.players[0],
        class: Class::Ranger,
    })
    .run(1);
    let c = fx.character(0).unwrap();
    assert_eq!(
        (c.class, c.depth, c.pos),
        (Class::Ranger, 1, Pos::new(1, 0))
    );
    assert_eq!(c.hp, Class::Ranger.stats().max_hp);
}

#[test]
fn an_adjacent_ally_revives_a_downed_character_in_three_seconds() {
    let mut fx = fixture(
        &["######", "#@@..#", "######"],
        &[Class::Mage, Class::Warrior],
    );
    fx.character_mut(0).hp = 0;
    fx.character_mut(0).life = Life::Downed {
        left: 300,
        revive: 0,
    };
    fx.run(RATE.ticks(REVIVE_MS) - 1);
    assert!(fx.character(0).unwrap().is_downed());
    fx.run(1);
    let c = fx.character(0).unwrap();
    assert!(!c.is_downed());
    assert_eq!(c.hp, c.max_hp() / 4);
}

#[test]
fn revive_progress_resets_when_the_ally_steps_away() {
    let mut fx = fixture(
        &["######", "#@@..#", "######"],
        &[Class::Mage, Class::Warrior],
    );
    fx.character_mut(0).hp = 0;
    fx.character_mut(0).life = Life::Downed {
        left: 300,
        revive: 0,
    };
    fx.run(30);
    fx.act(1, Move(E)).run(1);
    fx.act(1, Move(W)).run(50);
    // 30 ticks, reset, then only ~45 adjacent ticks: not yet 60 in a row.
    assert!(fx.character(0).unwrap().is_downed());
}

#[test]
fn an_absent_players_character_is_safe_and_its_timers_freeze() {
    let mut fx = fixture(&["#####", "#@g.#", "#####"], W1);
    fx.character_mut(0).life = Life::Downed {
        left: 10,
        revive: 0,
    };
    fx.character_mut(0).hp = 0;
    fx.input(Input::Disconnect {
        player: fx.players[0],
        why: Departure::Lost,
    })
    .run(200);
    assert_eq!(
        fx.character(0).unwrap().life,
        Life::Downed {
            left: 10,
            revive: 0
        }
    );

    let mut fx = fixture(&["#####", "#@g.#", "#####"], W1);
    fx.input(Input::Disconnect {
        player: fx.players[0],
        why: Departure::Left,
    })
    .run(200);
    let c = fx.character(0).unwrap();
    assert_eq!(c.hp, c.max_hp(), "an absent character was attacked");
}

#[test]
fn stairs_lead_down_to_a_generated_floor_and_floors_persist() {
    let mut fx = fixture(&["#######", "#@>.+.#", "#######"], W1);
    fx.act(0, Move(E)).run(4);
    fx.act(0, Descend).run(4);
    let c = fx.character(0).unwrap();
    assert_eq!(c.depth, 2);
    let floor2 = fx.world.floor(2).expect("floor 2 was generated");
    assert!(c.pos.chebyshev(floor2.stairs_up) <= 1);
    // Walk back to the up stairs and climb: we arrive on floor 1's down stairs.
    let up = floor2.stairs_up;
    fx.character_mut(0).pos = up;
    fx.act(0, Ascend).run(4);
    let c = fx.character(0).unwrap();
    assert_eq!((c.depth, c.pos), (1, Pos::new(2, 1)));
    assert_eq!(fx.world.player(&fx.players[0]).unwrap().stats.deepest, 2);
}

#[test]
fn stairs_only_work_where_they_are_and_the_exit_needs_the_heart() {
    let mut fx = fixture(&["#####", "#@<.#", "#####"], W1);
    fx.act(0, Descend).run(1);
    assert_eq!(fx.character(0).unwrap().depth, 1);
    assert!(fx.told(&Notice::NoStairs { down: true }));
    fx.act(0, Move(E)).run(4);
    fx.act(0, Ascend).run(1);
    assert_eq!(fx.character(0).unwrap().depth, 1);
    assert!(fx.told(&Notice::ExitSealed));
}

#[test]
fn the_party_shares_sight_and_remembers_what_it_saw() {
    let rows = ["###########", "#@..#...@.#", "###########"];
    let mut fx = fixture(&rows, &[Class::Warrior, Class::Ranger]);
    fx.run(1);
    let mine = fx.world.sight_of(&fx.players[0]).unwrap();
    let party = fx.world.party_sight(crate::PartyId(1), 1).unwrap();
    assert!(!mine.get(Pos::new(7, 1)).unwrap());
    assert!(party.get(Pos::new(7, 1)).unwrap());
    assert!(party.get(Pos::new(2, 1)).unwrap());
    // Player 1 walks away; the party still remembers the room but no longer sees it.
    fx.input(Input::Disconnect {
        player: fx.players[1],
        why: Departure::Left,
    })
    .run(1);
    let floor = fx.world.floor(1).unwrap();
    assert_eq!(
        floor.memory(crate::PartyId(1)).unwrap().get(Pos::new(7, 1)),
        Some(&Some(Tile::Floor))
    );
    assert!(
        !fx.world
            .party_sight(crate::PartyId(1), 1)
            .unwrap()
            .get(Pos::new(7, 1))
            .unwrap()
    );
}

#[test]
fn client_view_never_contains_unseen_entities_or_tiles() {
    let rows = [
        "##############",
        "#@....#.....g#",
        "#.....#......#",
        "#..r..+...k..#",
        "##############",
    ];
    let mut fx = fixture(&rows, W1);
    let me = fx.players[0];
    let mut tracker = Tracker::new();
    let mut view = ClientView::new();
    let rtt = BTreeMap::new();
    for t in 0..120 {
        if t % 4 == 0 {
            fx.act(0, Move(if t < 40 { E } else { W }));
        }
        fx.run(1);
        let out = tracker.poll(&fx.world, me, &rtt);
        let sight = fx.world.party_sight(crate::PartyId(1), 1).unwrap();
        if let Some(snap) = &out.snapshot {
            for e in &snap.entities {
                let width = i32::from(fx.world.floor(1).unwrap().width());
                let pos = e
                    .cell
                    .map(|i| Pos::new((i32::from(i) % width) as i16, (i32::from(i) / width) as i16))
                    .or_else(|| view.entities.iter().find(|v| v.id == e.id).map(|v| v.pos));
                assert!(
                    sight.get(pos.unwrap()).copied().unwrap(),
                    "tick {t}: unseen {e:?} was sent"
                );
            }
        }
        if let Some(update) = out.update {
            view.apply(update).unwrap();
        }
        if let Some(snap) = out.snapshot
            && view.apply_snapshot(snap).unwrap()
        {
            tracker.acked(view.snapshot());
        }
        let floor = fx.world.floor(1).unwrap();
        for p in floor.tiles().positions() {
            let remembered = floor
                .memory(crate::PartyId(1))
                .unwrap()
                .get(p)
                .copied()
                .flatten();
            assert_eq!(
                view.tile(p),
                remembered,
                "tick {t}: client map differs at {p:?}"
            );
            assert_eq!(view.in_sight(p), *sight.get(p).unwrap());
        }
    }
    // The goblin and kobold behind the closed door were never sent.
    assert!(view.entities.iter().all(|e| e.pos.x < 6));
    assert_eq!(view.tile(Pos::new(11, 1)), None);
}

#[test]
fn nothing_changed_means_only_a_heartbeat() {
    let mut fx = fixture(&["#####", "#@..#", "#####"], W1);
    let me = fx.players[0];
    let mut tracker = Tracker::new();
    let mut view = ClientView::new();
    let rtt = BTreeMap::new();
    fx.run(1);
    assert!(crate::view::sync(&mut tracker, &mut view, &fx.world, me, &rtt).unwrap());
    fx.run(1);
    let quiet = tracker.poll(&fx.world, me, &rtt);
    assert_eq!(quiet, crate::view::Outbound::default());
    // Some ticks later the clock moves anyway.
    let mut heartbeat = None;
    for _ in 0..crate::view::HEARTBEAT_TICKS {
        fx.run(1);
        heartbeat = tracker.poll(&fx.world, me, &rtt).snapshot.or(heartbeat);
    }
    let heartbeat = heartbeat.expect("a heartbeat within HEARTBEAT_TICKS");
    assert!(heartbeat.is_empty() && heartbeat.baseline().is_some());
    assert!(view.apply_snapshot(heartbeat).unwrap());
    tracker.acked(view.snapshot());
    fx.act(0, Wait).run(1);
    let snap = tracker
        .poll(&fx.world, me, &rtt)
        .snapshot
        .expect("the ack changed");
    assert_eq!(snap.ack, 1);
    tracker.reset();
    let full = tracker.poll(&fx.world, me, &rtt);
    assert!(full.update.unwrap().map.is_some());
    let snap = full.snapshot.unwrap();
    assert!(snap.baseline().is_none() && !snap.party.is_empty() && snap.me.is_some());
}

#[test]
fn combat_messages_reach_the_party_on_that_floor_only() {
    let rows = ["############", "#@r.#.....@#", "############"];
    let mut fx = fixture(&rows, &[Class::Warrior, Class::Mage, Class::Ranger]);
    // Player 2 stands on floor 2.
    fx.world.ensure_floor(2);
    let up = fx.world.floor(2).unwrap().stairs_up;
    fx.world.place_newcomer(pid(2));
    fx.world.core.players.insert(
        pid(2),
        Player {
            name: "P2".into(),
            connected: true,
            character: None,
            last_seq: 0,
            queued: None,
            stats: PlayerStats::default(),
            left_at: Tick::ZERO,
            known: BTreeSet::new(),
        },
    );
    fx.players.push(pid(2));
    fx.input(Input::CreateCharacter {
        player: pid(2),
        class: Class::Ranger,
    })
    .run(1);
    fx.character_mut(2).depth = 2;
    fx.character_mut(2).pos = up;
    let ids = fx.players.clone();
    let mut trackers = [Tracker::new(), Tracker::new(), Tracker::new()];
    let rtt = BTreeMap::new();
    let mut seen = [0usize; 3];
    for t in 0..200 {
        if t % 5 == 0 {
            fx.act(0, Move(E));
        }
        fx.run(1);
        for (i, tracker) in trackers.iter_mut().enumerate() {
            if let Some(u) = tracker.poll(&fx.world, ids[i], &rtt).update {
                seen[i] += u
                    .log
                    .iter()
                    .filter(|l| {
                        matches!(
                            l.event,
                            EventKind::Struck {
                                monster: MonsterKind::Rat,
                                ..
                            } | EventKind::Missed {
                                monster: MonsterKind::Rat,
                                ..
                            } | EventKind::MonsterHit {
                                monster: MonsterKind::Rat,
                                ..
                            } | EventKind::MonsterMissed {
                                monster: MonsterKind::Rat,
                                ..
                            }
                        )
                    })
                    .count();
            }
        }
    }
    assert!(seen[0] > 0, "the fighter saw nothing");
    assert_eq!(seen[1], seen[0], "the party shares sight on a floor");
    assert_eq!(seen[2], 0, "a player on another floor learned of the fight");
}

#[test]
fn save_and_load_give_the_same_hash_and_the_same_future() {
    let mut fx = fixture(
        &["##########", "#@......g#", "#..+.....#", "##########"],
        W1,
    );
    fx.run(30);
    let save = fx.world.full_save();
    let mut loaded = World::from_save(save).unwrap();
    assert_eq!(loaded.state_hash(), fx.world.state_hash());
    for _ in 0..50 {
        let input = [Input::Act {
            player: fx.players[0],
            seq: 9,
            action: Checked::trusted(Move(E)),
        }];
        fx.world.handle_tick(&input);
        loaded.handle_tick(&input);
    }
    assert_eq!(loaded.state_hash(), fx.world.state_hash());
}

#[test]
fn a_save_missing_a_floor_is_refused() {
    let fx = fixture(&["#####", "#@..#", "#####"], W1);
    let mut save = fx.world.full_save();
    save.floors.clear();
    assert_eq!(
        World::from_save(save).unwrap_err(),
        LoadError::MissingFloor(1)
    );
}

#[test]
fn a_malformed_save_is_refused_with_what_is_wrong() {
    let fx = fixture(&["#####", "#@.g#", "#####"], W1);
    let refused = |change: &dyn Fn(&mut WorldSave)| {
        let mut save = fx.world.full_save();
        change(&mut save);
        match World::from_save(save) {
            Err(LoadError::Malformed(why)) => why,
            other => panic!("{other:?}"),
        }
    };
    // What a fuzzed replay file found first: a floor whose grid has no cells.
    let empty = crate::floor::Grid::new(0, 0, crate::tile::Tile::Wall);
    let why = refused(&|s| s.floors[0] = Floor::new(1, empty.clone(), Pos::new(0, 0), None));
    assert_eq!(why, "floor 1's grids do not match its size");
    let why = refused(&|s| s.floors[0].stairs_up = Pos::new(99, 1));
    assert_eq!(why, "floor 1's stairs are off the floor");
    let why = refused(&|s| {
        let m = s.floors[0].monsters.values_mut().next().unwrap();
        m.pos = Pos::new(-1, 0);
    });
    assert!(why.ends_with("is misplaced"), "{why}");
    let why = refused(&|s| s.floors.push(s.floors[0].clone()));
    assert_eq!(why, "a floor is there twice");
    let why = refused(&|s| {
        let c = s.core.players.values_mut().next().unwrap();
        c.character.as_mut().unwrap().pos = Pos::new(5, 9);
    });
    assert!(why.ends_with("'s character stands off floor 1"), "{why}");
    let why = refused(&|s| s.floors[0].depth = 13);
    assert_eq!(why, "floor 13 is not between 1 and 12");
}

#[test]
fn leaderboard_facts_note_first_floors_deeper_floors_and_kills_once_each() {
    let me = pid(0);
    let mut world = World::new("facts", 3, RATE);
    world.handle_tick(&[Input::Connect {
        player: me,
        name: "Ada".into(),
    }]);
    world.handle_tick(&[Input::CreateCharacter {
        player: me,
        class: Class::Warrior,
    }]);
    let facts = world.take_facts();
    assert_eq!(facts.len(), 1);
    assert_eq!(
        (facts[0].name.as_str(), &facts[0].kind),
        ("Ada", &crate::fact::FactKind::Deepest { floor: 1 })
    );
    // A rat next to Ada, hit until it dies: one kill.
    let pos = world.player(&me).unwrap().character.as_ref().unwrap().pos;
    let rat = world
        .spawn_monster(1, MonsterKind::Rat, pos.step(E))
        .expect("placed");
    while world
        .hurt_monster(1, rat, 50, me, crate::event::Strike::Hits)
        .is_some_and(|o| !o.killed)
    {}
    let kinds: Vec<_> = world.take_facts().into_iter().map(|f| f.kind).collect();
    let kill = crate::fact::FactKind::Kill {
        monster: MonsterKind::Rat,
    };
    assert_eq!(kinds, vec![kill]);
    // A second character on floor 1 reaches nothing new.
    world.players_mut().get_mut(&me).unwrap().character = None;
    world.handle_tick(&[Input::CreateCharacter {
        player: me,
        class: Class::Mage,
    }]);
    assert!(world.take_facts().is_empty());
}

#[test]
fn names_are_unique_in_a_world_whatever_their_case_and_a_returning_player_keeps_theirs() {
    let mut world = World::new("names", 1, RATE);
    let join = |world: &mut World, n: usize, name: &str| {
        world.handle_tick(&[Input::Connect {
            player: pid(n),
            name: name.into(),
        }]);
        world.player(&pid(n)).unwrap().name.clone()
    };
    assert_eq!(join(&mut world, 0, "bob"), "bob");
    assert_eq!(join(&mut world, 1, "Bob"), "Bob (2)");
    assert_eq!(
        join(&mut world, 2, "b\u{200B}ob"),
        "bob (3)",
        "invisible tricks do not help"
    );
    assert_eq!(join(&mut world, 3, "sixteen chars ok"), "sixteen chars ok");
    assert_eq!(join(&mut world, 4, "sixteen chars ok"), "sixteen char (2)");
    // Bob leaves and comes back under his own name: still his.
    world.handle_tick(&[Input::Disconnect {
        player: pid(0),
        why: Departure::Left,
    }]);
    assert_eq!(join(&mut world, 0, "bob"), "bob");
}

#[test]
fn only_a_player_who_never_played_can_be_forgotten() {
    let mut world = World::new("forget", 1, RATE);
    for n in 0..2 {
        world.handle_tick(&[Input::Connect {
            player: pid(n),
            name: format!("p{n}"),
        }]);
    }
    world.handle_tick(&[Input::CreateCharacter {
        player: pid(1),
        class: Class::Mage,
    }]);
    let leave = |n| Input::Disconnect {
        player: pid(n),
        why: Departure::Left,
    };
    // Connected: kept, whatever they did.
    world.handle_tick(&[Input::Forget { player: pid(0) }]);
    assert!(world.player(&pid(0)).is_some());
    world.handle_tick(&[leave(0), leave(1)]);
    assert!(world.never_played(&pid(0)) && !world.never_played(&pid(1)));
    world.handle_tick(&[
        Input::Forget { player: pid(0) },
        Input::Forget { player: pid(1) },
    ]);
    assert!(
        world.player(&pid(0)).is_none(),
        "a key that left nothing is forgotten"
    );
    assert!(
        world.player(&pid(1)).is_some(),
        "a player with a character stays"
    );
}

/// A client whose datagrams are lost, delayed and reordered, and whose acknowledgements are
/// lost too, shows the same picture as a perfect client whenever it holds the newest snapshot.
#[test]
fn lost_and_reordered_snapshots_are_repaired_by_the_next() {
    let rows = [
        "##############",
        "#@....#.....g#",
        "#..........r.#",
        "#..r..+...k..#",
        "##############",
    ];
    let mut fx = fixture(&rows, W1);
    let me = fx.players[0];
    let rtt = BTreeMap::new();
    let (mut good_t, mut good) = (Tracker::new(), ClientView::new());
    let (mut bad_t, mut bad) = (Tracker::new(), ClientView::new());
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut roll = |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    // Snapshots in flight: (arrives at tick, snapshot).
    let mut flight: Vec<(u32, crate::protocol::Snapshot)> = Vec::new();
    let mut compared = 0;
    let mut pictures = BTreeMap::new();
    let mut most_seen = 0;
    let (mut steps, mut moves) = (0, 0);
    let cells: Vec<Pos> = fx.world.floor(1).unwrap().tiles().positions().collect();
    let picture = |v: &ClientView| {
        let map: Vec<_> = cells.iter().map(|p| (v.tile(*p), v.in_sight(*p))).collect();
        (
            v.me.clone(),
            v.entities.clone(),
            v.party.clone(),
            v.piles.clone(),
            v.ack,
            map,
        )
    };
    for t in 0..400u32 {
        if t % 3 == 0 {
            fx.act(
                0,
                Move([E, W, N, crate::geom::Dir::S][(t / 30 % 4) as usize]),
            );
        }
        fx.run(1);
        crate::view::sync(&mut good_t, &mut good, &fx.world, me, &rtt).unwrap();
        pictures.insert(fx.world.tick().0, picture(&good));
        most_seen = most_seen.max(good.entities.len());
        let out = bad_t.poll(&fx.world, me, &rtt);
        if let Some(update) = out.update {
            bad.apply(update).unwrap();
        }
        if let Some(snap) = out.snapshot {
            steps += usize::from(matches!(snap.me, Some(SelfPatch::Step { .. })));
            moves += snap.moved.len();
            // A third is lost; the rest arrive 0-3 ticks late, in any order.
            if roll(3) != 0 {
                flight.push((t + roll(4) as u32, snap));
            }
        }
        let (due, later): (Vec<_>, Vec<_>) = flight.drain(..).partition(|(at, _)| *at <= t);
        flight = later;
        for (_, snap) in due {
            let tick = snap.tick;
            if bad.apply_snapshot(snap).unwrap() {
                compared += 1;
                assert!(
                    picture(&bad) == pictures[&tick],
                    "tick {tick}: the pictures differ"
                );
                if roll(2) == 0 {
                    // Half the acknowledgements are lost.
                    bad_t.acked(bad.snapshot());
                }
            }
        }
    }
    assert!(compared > 50, "compared only {compared} times");
    assert!(most_seen >= 3, "the party saw monsters");
    // The short forms were among what was lost and repaired (fewer own steps than moves: a
    // character regaining HP out of combat sends its whole status).
    assert!(
        steps > 10 && moves > 20,
        "{steps} step patches, {moves} moves"
    );
}

#[test]
fn acknowledgements_bound_what_a_tracker_keeps() {
    let rows = ["##########", "#@.r.r.r.#", "#........#", "##########"];
    let mut fx = fixture(&rows, W1);
    let me = fx.players[0];
    let rtt = BTreeMap::new();
    let mut tracker = Tracker::new();
    let mut view = ClientView::new();
    // Acknowledge once, then never again while creatures come and go from sight.
    fx.run(1);
    crate::view::sync(&mut tracker, &mut view, &fx.world, me, &rtt).unwrap();
    let mut most = 0;
    let mut whole = 0;
    for t in 0..600 {
        if t % 2 == 0 {
            fx.act(0, Move(if t % 40 < 20 { E } else { W }));
        }
        fx.run(1);
        if let Some(snap) = tracker.poll(&fx.world, me, &rtt).snapshot {
            whole += usize::from(snap.baseline().is_none());
        }
        most = most.max(tracker.tombstones());
    }
    // Past RING unacknowledged snapshots the tracker sends whole ones and keeps no tombstones.
    assert!(whole > 0, "a client this far behind gets whole snapshots");
    assert!(
        most <= crate::view::RING as usize * 4,
        "{most} tombstones kept"
    );
    assert_eq!(tracker.tombstones(), 0);
    // Acknowledging catches up: deltas again.
    let snap = tracker.poll(&fx.world, me, &rtt).snapshot;
    if let Some(snap) = snap {
        view.apply_snapshot(snap).unwrap();
        tracker.acked(view.snapshot());
    }
    fx.act(0, Move(E)).run(1);
    let next = tracker.poll(&fx.world, me, &rtt).snapshot.unwrap();
    assert!(next.baseline().is_some());
}

/// Clients work party sight out themselves (the host sends it only when their answer would be
/// wrong), and what they work out is the party's sight, on drawn fixtures and generated caves.
#[test]
fn clients_derive_party_sight_and_get_runs_only_when_that_would_be_wrong() {
    let mut world = World::new("Deepwood", 7, TickRate::DEFAULT);
    let players = [pid(1), pid(2), pid(3)];
    for (i, p) in players.iter().enumerate() {
        world.handle_tick(&[
            Input::Connect {
                player: *p,
                name: format!("P{i}"),
            },
            Input::CreateCharacter {
                player: *p,
                class: Class::ALL[i],
            },
        ]);
    }
    let rtt = BTreeMap::new();
    let mut tracker = Tracker::new();
    let mut view = ClientView::new();
    let (mut derived, mut runs, mut underivable) = (0, 0, 0);
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    for t in 0..600u32 {
        let mut inputs = Vec::new();
        if t % 3 == 0 {
            for (i, p) in players.iter().enumerate() {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let dir = crate::geom::Dir::ALL[(rng % 8) as usize];
                if let Ok(action) = world.check_action(*p, Move(dir)) {
                    inputs.push(Input::Act {
                        player: *p,
                        seq: t + i as u32 + 1,
                        action,
                    });
                }
            }
        }
        world.handle_tick(&inputs);
        let depth = world
            .player(&players[0])
            .unwrap()
            .character
            .as_ref()
            .unwrap()
            .depth;
        if !world.sight_derivable(crate::PartyId(1), depth) {
            underivable += 1;
        }
        let out = tracker.poll(&world, players[0], &rtt);
        match out.snapshot.as_ref().and_then(|s| s.sight.as_ref()) {
            Some(crate::protocol::SightPatch::Derived) => derived += 1,
            Some(crate::protocol::SightPatch::Runs(_)) => runs += 1,
            None => {}
        }
        if let Some(update) = out.update {
            view.apply(update).unwrap();
        }
        if let Some(snap) = out.snapshot
            && view.apply_snapshot(snap).unwrap()
        {
            tracker.acked(view.snapshot());
        }
        let Some(me) = view.me.as_ref() else { continue };
        let sight = world.party_sight(crate::PartyId(1), me.depth).unwrap();
        for p in world.floor(me.depth).unwrap().tiles().positions() {
            assert_eq!(
                view.in_sight(p),
                *sight.get(p).unwrap(),
                "tick {t} at {p:?}"
            );
        }
    }
    assert!(derived > 0, "sight was never derived");
    // Only a remembered tile gone out of date (a door seen closed, opened out of sight) may
    // make the clients' answer wrong; cells never seen do not.
    assert!(
        underivable <= 6,
        "{underivable} of 600 ticks could not be derived"
    );
    eprintln!(
        "sight patches: {derived} derived, {runs} runs; {underivable} of 600 ticks underivable"
    );
}
