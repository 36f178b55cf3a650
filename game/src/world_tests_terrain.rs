//! Water, lava and chasms under foot.

use super::*;

#[test]
fn a_chasm_drops_a_character_to_the_floor_below_hurt_but_standing() {
    let mut fx = fixture(&["#######", "#@:...#", "#######"], &[Class::Warrior]);
    fx.character_mut(0).hp = 5;
    fx.act(0, Move(E)).run(1);
    let c = fx.character(0).unwrap();
    assert_eq!(c.depth, 2, "fell through");
    assert!((1..5).contains(&c.hp), "hurt, not downed: {}", c.hp);
    assert!(fx.happened(|k| matches!(k, EventKind::Fell { depth: 2, .. })));
    let floor = fx.world.floor(2).unwrap();
    assert!(floor.tile(c.pos).is_walkable());
}

#[test]
fn lava_stops_a_character_and_says_why_and_monsters_go_round() {
    let mut fx = fixture(
        &["########", "#@≋....#", "#......#", "########"],
        &[Class::Mage],
    );
    fx.act(0, Move(E)).run(1);
    assert_eq!(fx.character(0).unwrap().pos, Pos::new(1, 1));
    assert!(fx.told(&Notice::Lava));
    // A monster hunting across it walks round it, never into it.
    let step = fx.world.path_step(1, Pos::new(3, 1), Pos::new(1, 1), true);
    assert_eq!(step, Some(Pos::new(2, 2)));
}

#[test]
fn deep_water_takes_twice_as_long_to_cross() {
    let mut fx = fixture(&["########", "#@≈~...#", "########"], &[Class::Warrior]);
    let start = fx.world.tick();
    fx.act(0, Move(E)).run(1);
    let swim = fx.character(0).unwrap().ready_at.0 - start.0;
    fx.run(swim + 1);
    let waded = fx.world.tick();
    fx.act(0, Move(E)).run(1);
    let wade = fx.character(0).unwrap().ready_at.0 - waded.0;
    assert_eq!(swim, 2 * wade, "deep {swim} shallow {wade}");
    assert_eq!(fx.character(0).unwrap().pos, Pos::new(3, 1));
}

#[test]
fn a_hidden_dart_trap_springs_underfoot_once() {
    let mut fx = fixture(&["#######", "#@....#", "#######"], &[Class::Warrior]);
    let trap = Pos::new(2, 1);
    fx.world
        .floor_mut(1)
        .unwrap()
        .hidden
        .insert(trap, Tile::TrapDart);
    assert_eq!(
        fx.world.floor(1).unwrap().tile(trap),
        Tile::Floor,
        "it looks like floor"
    );
    let hp = fx.character(0).unwrap().hp;
    fx.act(0, Move(E)).run(1);
    // Said once, as a trap stepped on, not also as one spotted.
    assert!(!fx.happened(|k| matches!(k, EventKind::Found { .. })));
    assert!(fx.happened(
        |k| matches!(k, EventKind::TrapSprung { trap: Tile::TrapDart, damage, .. } if *damage >= 1)
    ));
    assert!(fx.character(0).unwrap().hp < hp);
    let floor = fx.world.floor(1).unwrap();
    assert!(floor.hidden.is_empty());
    assert_eq!(floor.tile(trap), Tile::Floor, "spent");
}

#[test]
fn an_alarm_wakes_and_calls_the_monsters_around_and_a_net_holds() {
    let mut fx = fixture(
        &[
            "##############",
            "#@...........#",
            "#############.#",
            "#...........g.#",
            "##############",
        ],
        &[Class::Mage],
    );
    fx.each_monster(|m| m.asleep = true);
    fx.world
        .floor_mut(1)
        .unwrap()
        .set_tile(Pos::new(2, 1), Tile::TrapAlarm);
    fx.act(0, Move(E)).run(1);
    let goblin = monster(&fx, MonsterKind::Goblin);
    assert!(!goblin.asleep);
    assert_eq!(
        goblin.last_seen,
        Some(Pos::new(2, 1)),
        "it comes to the bell"
    );

    let mut fx = fixture(&["#######", "#@¤...#", "#######"], &[Class::Mage]);
    let start = fx.world.tick();
    fx.act(0, Move(E)).run(1);
    let held = fx.character(0).unwrap().ready_at.0 - start.0;
    assert_eq!(held, fx.world.ticks(crate::secrets::NET_MS));
}

#[test]
fn standing_next_to_a_secret_door_finds_it_in_a_few_seconds() {
    let mut fx = fixture(&["#####", "#@#.#", "#####"], &[Class::Ranger]);
    let door = Pos::new(2, 1);
    fx.world
        .floor_mut(1)
        .unwrap()
        .hidden
        .insert(door, Tile::DoorClosed);
    // Shown as the wall it seems to be: clients and paths see rock.
    assert_eq!(fx.world.floor(1).unwrap().tile(door), Tile::Wall);
    let mut found_at = None;
    for second in 0..30 {
        fx.run(fx.world.ticks(1_000));
        if fx.world.floor(1).unwrap().tile(door) == Tile::DoorClosed {
            found_at = Some(second);
            break;
        }
    }
    assert!(found_at.is_some(), "never found in 30 s");
    assert!(fx.world.floor(1).unwrap().hidden.is_empty());
    fx.act(0, Move(E)).run(1);
    assert_eq!(fx.world.floor(1).unwrap().tile(door), Tile::DoorOpen);
}
