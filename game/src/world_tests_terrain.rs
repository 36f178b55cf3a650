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

#[test]
fn a_locked_door_opens_only_to_a_key_which_it_uses_up() {
    let mut fx = fixture(&["#######", "#.@‡..#", "#######"], W1);
    let door = Pos::new(3, 1);
    fx.act(0, Move(E)).run(1);
    assert!(fx.told(&Notice::Locked));
    assert_eq!(fx.world.floor(1).unwrap().tile(door), Tile::DoorLocked);
    assert_eq!(fx.character(0).unwrap().pos, Pos::new(2, 1));
    // A monster never opens it.
    assert_eq!(
        fx.world.path_step(1, Pos::new(4, 1), Pos::new(1, 1), true),
        None
    );

    let key = fx.world.place_key(1, Pos::new(1, 1)).unwrap();
    fx.act(0, Move(W)).run(4);
    fx.act(0, Action::PickUp).run(4);
    assert!(fx.world.economy().item(key).is_some());
    fx.act(0, Move(E)).run(4);
    fx.act(0, Move(E)).run(1);
    assert_eq!(fx.world.floor(1).unwrap().tile(door), Tile::DoorOpen);
    assert!(fx.world.economy().item(key).is_none(), "the key is used up");
    assert!(fx.happened(|k| matches!(k, EventKind::Unlocked { .. })));
    fx.act(0, Move(E)).run(4);
    assert_eq!(fx.character(0).unwrap().pos, door);
    assert!(fx.world.economy().conservation().is_empty());
}

#[test]
fn a_new_floor_stocks_its_vault_inside_and_hides_its_key_outside() {
    let mut checked = 0;
    for seed in 0..6 {
        let mut world = World::new("vaults", seed, RATE);
        for depth in 2..crate::mapgen::FIRST_CAVE_FLOOR {
            world.ensure_floor(depth);
            let Some(vault) = crate::mapgen::generate(seed, depth).vault else {
                continue;
            };
            let economy = world.economy();
            let on_floor: Vec<(Pos, crate::economy::ItemKind)> = economy
                .piles(depth)
                .into_iter()
                .flat_map(|pos| {
                    economy
                        .items_at(crate::economy::Holder::Ground { depth, pos })
                        .into_iter()
                        .map(move |i| (pos, i.kind))
                })
                .collect();
            let keys: Vec<Pos> = on_floor
                .iter()
                .filter(|(_, k)| *k == crate::economy::ItemKind::Key)
                .map(|(p, _)| *p)
                .collect();
            assert_eq!(keys.len(), 1, "seed {seed} depth {depth}");
            assert!(!vault.inside.contains(&keys[0]));
            let inside = on_floor
                .iter()
                .filter(|(p, _)| vault.inside.contains(p))
                .count();
            // Its own loot, and now and then some of the floor's.
            assert!(inside >= crate::vault::vault_loot(depth), "{inside}");
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked} vaults");
}

#[test]
fn a_dark_floor_shows_only_what_is_near_lit_or_hunting() {
    // A brazier makes the floor dark. The warrior sees 3 cells; the brazier's light at the far
    // end; not the cells between.
    let mut fx = fixture(
        &[
            "###################",
            "#@................#",
            "#..............☼..#",
            "#.................#",
            "###################",
        ],
        W1,
    );
    let me = fx.players[0];
    fx.run(1);
    let sees = |fx: &Fx, x: i16, y: i16| {
        fx.world
            .sight_of(&me)
            .and_then(|s| s.get(Pos::new(x, y)).copied())
            .unwrap_or(false)
    };
    // Sight 7 for a warrior: (4, 1) is near, (7, 1) is within sight but dark.
    assert!(sees(&fx, 4, 1));
    assert!(!sees(&fx, 6, 1));
    // Move toward the brazier: lit cells show from beyond the dark sight.
    for _ in 0..8 {
        fx.act(0, Move(E)).run(4);
    }
    assert_eq!(fx.character(0).unwrap().pos, Pos::new(9, 1));
    assert!(sees(&fx, 13, 2), "lit by the brazier, 4 cells away");
    assert!(sees(&fx, 15, 2), "the brazier");
    // An ogre asleep in the dark is unseen; once it hunts the warrior it is heard coming
    // (seen), and its wind-up glows.
    let ogre = fx
        .world
        .spawn_monster(1, MonsterKind::Ogre, Pos::new(2, 3))
        .unwrap();
    monster_mut(&mut fx, ogre).asleep = true;
    fx.run(1);
    assert!(!sees(&fx, 2, 3), "asleep in the dark");
    assert!(
        fx.world.line_of_sight(&me).unwrap().get(Pos::new(2, 3)) == Some(&true),
        "but in the warrior's line of sight: monsters see in the dark"
    );
    monster_mut(&mut fx, ogre).asleep = false;
    let (mut heard, mut glowed) = (false, false);
    for _ in 0..100 {
        fx.run(1);
        let m = fx.world.floor(1).unwrap().monsters[&ogre].clone();
        if m.target.is_some() && m.pos.chebyshev(Pos::new(9, 1)) > 3 {
            assert!(sees(&fx, m.pos.x, m.pos.y), "a hunter is heard coming");
            heard = true;
        }
        if m.windup.is_some() {
            assert!(sees(&fx, m.pos.x, m.pos.y), "a wind-up glows in the dark");
            glowed = true;
            break;
        }
    }
    assert!(heard && glowed, "heard {heard}, glowed {glowed}");
}

#[test]
fn a_lantern_lights_the_dark_around_its_bearer() {
    use crate::craft::{CRAFT_MS, Recipe, Slot};
    use crate::economy::Stack;
    let mut fx = fixture(
        &[
            "####################",
            "#@.................#",
            "#................☼.#",
            "####################",
        ],
        W1,
    );
    let me = fx.players[0];
    fx.run(1);
    let sees = |fx: &Fx, x: i16| {
        fx.world
            .sight_of(&me)
            .and_then(|s| s.get(Pos::new(x, 1)).copied())
            .unwrap_or(false)
    };
    // Without light: three cells.
    assert!(sees(&fx, 4) && !sees(&fx, 5));
    // A lantern, crafted and worn at once.
    let spawn = fx
        .world
        .give_ore(me, crate::ore::OreClass::Iron, 5)
        .unwrap();
    let stacks = vec![Stack { spawn, units: 5 }];
    let recipe = Recipe::Lantern;
    fx.act(0, Action::Craft { recipe, stacks });
    fx.run(fx.world.ticks(CRAFT_MS) + 2);
    assert!(
        fx.character(0)
            .unwrap()
            .equipped
            .contains_key(&Slot::Lantern)
    );
    let light = fx.world.gear_of(&me).sight;
    assert!(light >= 1);
    let reach = crate::light::LANTERN_LIGHT + i32::from(light);
    assert!(reach > crate::light::DARK_SIGHT);
    let edge = 1 + reach as i16;
    assert!(sees(&fx, edge), "lit by the lantern, {reach} cells");
    assert!(!sees(&fx, edge + 1), "dark beyond its light");
}

#[test]
fn a_lode_yields_ore_a_class_up_and_its_band_from_deeper_sleeps_beside_it() {
    let mut fx = fixture(&["#####", "#@..#", "#####"], &[Class::Warrior]);
    let g = crate::mapgen::generate(fx.world.seed(), 2);
    let lode = g.lode.expect("floor 2 of this world has a lode");
    assert_eq!(
        lode.class,
        crate::ore::OreClass::Silver,
        "floor 2 gives Copper and Iron"
    );
    fx.world.ensure_floor(2);
    let floor = fx.world.floor(2).unwrap();
    for (kind, pos) in &lode.guards {
        let guard = floor.monsters.values().find(|m| m.pos == *pos);
        assert!(
            guard.is_some_and(|m| m.kind == *kind && m.asleep),
            "{kind:?} asleep at {pos:?}"
        );
    }
    // Walk into a lode vein from the open cell beside it: Silver comes out.
    let (stand, dir) = floor
        .tiles()
        .positions()
        .filter(|p| floor.tile(*p) == Tile::Lode)
        .find_map(|vein| {
            [Dir::N, Dir::E, Dir::S, Dir::W].into_iter().find_map(|d| {
                let stand = vein.step(d);
                let free = floor.tile(stand) == Tile::Floor
                    && floor.monsters.values().all(|m| m.pos != stand);
                free.then(|| (stand, Dir::toward(stand, vein)))
            })
        })
        .expect("a lode vein with a free cell beside it");
    fx.world.set_position(fx.players[0], 2, stand);
    // The party is told once, the tick it first sees the lode.
    let told = |fx: &Fx| {
        fx.happened(|k| {
            *k == EventKind::LodeSeen {
                class: lode.class,
                depth: 2,
            }
        })
    };
    fx.run(1);
    assert!(told(&fx), "the party hears of the lode");
    fx.run(1);
    assert!(!told(&fx), "once");
    let mine = fx.world.ticks(crate::items::MINE_MS) + 1;
    let dir = dir.unwrap();
    // Mining right beside the band wakes it, and its blows stop the mining.
    fx.act(0, Move(dir));
    let (mut woke, mut stopped) = (false, false);
    for _ in 0..mine {
        fx.run(1);
        woke |= fx.happened(|k| matches!(k, EventKind::Woke { .. }));
        stopped |= fx.told(&Notice::Interrupted);
    }
    assert!(woke && stopped, "the band wakes and stops the mining");
    // With the band gone, the lode gives its Silver.
    fx.world.floor_mut(2).unwrap().monsters.clear();
    fx.character_mut(0).hp = fx.character(0).unwrap().max_hp();
    fx.act(0, Move(dir)).run(mine);
    let pack = fx
        .world
        .economy()
        .stacks(crate::economy::Place::Pack(fx.players[0]));
    let silver = fx.world.economy().spawns.current(lode.class).unwrap().id;
    assert_eq!(pack.len(), 1, "{pack:?}");
    assert_eq!(pack[0].spawn, silver);
}
