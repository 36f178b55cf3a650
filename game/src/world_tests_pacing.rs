//! Progression and pacing: experience shared by the party in sight, levels, rest, the downed
//! timer under attack, leaving in combat, absent characters, the Heart of an absent carrier,
//! weapon affinity and armour by share.

use super::*;
use crate::combat::after_armour;
use crate::economy::Holder;
use crate::party::PartyCmd;
use crate::progress::{XP_SHARED, XP_STEP, level_for, xp_for};

fn leave(fx: &mut Fx, n: usize) {
    let player = fx.players[n];
    fx.input(Input::Disconnect {
        player,
        why: Departure::Left,
    });
}

fn back(fx: &mut Fx, n: usize) {
    let player = fx.players[n];
    fx.input(Input::Connect {
        player,
        name: format!("P{n}"),
    });
}

fn present(fx: &Fx, n: usize) -> bool {
    let p = fx.world.player(&fx.players[n]).unwrap();
    fx.world.is_present(p)
}

#[test]
fn a_kill_shares_its_experience_with_the_party_in_sight_only() {
    // P0 kills the rat; P1 (same party) sees it; P2 stands behind a wall in the other room;
    // P3 sees it but has left the party.
    let mut fx = fixture(
        &["##########", "#@r.@#.@.#", "#..@.#...#", "##########"],
        &[Class::Warrior, Class::Mage, Class::Ranger, Class::Healer],
    );
    fx.input(Input::Party {
        player: fx.players[3],
        cmd: PartyCmd::Leave,
    })
    .run(1);
    fx.each_monster(|m| m.hp = 1);
    fx.act(0, Action::Move(E)).run(1);
    assert!(fx.happened(|k| matches!(k, EventKind::Struck { killed: true, .. })));
    // Twice the kill's worth, divided between the two who gain it.
    let xp = (XP_SHARED * MonsterKind::Rat.xp()).div_ceil(2);
    let got: Vec<u32> = (0..4).map(|n| fx.character(n).unwrap().xp).collect();
    assert_eq!(
        got,
        vec![xp, xp, 0, 0],
        "killer, mate in sight, mate behind a wall, stranger"
    );
}

#[test]
fn enough_experience_makes_a_level_with_more_hp_and_mana() {
    let mut fx = fixture(&["#####", "#@.@#", "#####"], &[Class::Warrior, Class::Mage]);
    let (warrior, mage) = (fx.players[0], fx.players[1]);
    assert_eq!(fx.character(0).unwrap().level(), 1);
    fx.world.gain_xp(warrior, XP_STEP - 1);
    assert_eq!(fx.character(0).unwrap().level(), 1);
    assert!(!fx.happened(|k| matches!(k, EventKind::LevelUp { .. })));
    fx.world.gain_xp(warrior, 1);
    let w = fx.character(0).unwrap();
    assert_eq!(w.level(), 2);
    let (hp, _) = Class::Warrior.growth();
    assert_eq!(w.max_hp(), Class::Warrior.stats().max_hp + hp);
    assert_eq!(w.hp, w.max_hp(), "a level heals its growth");
    assert!(fx.happened(|k| matches!(k, EventKind::LevelUp { level: 2, .. })));
    // Three levels at once.
    fx.world.gain_xp(mage, xp_for(4));
    let m = fx.character(1).unwrap();
    assert_eq!(m.level(), 4);
    let (hp, mana) = Class::Mage.growth();
    assert_eq!(m.max_hp(), Class::Mage.stats().max_hp + 3 * hp);
    assert_eq!(m.max_mana(), Class::Mage.stats().max_mana + 3 * mana);
    assert_eq!(level_for(u32::MAX), crate::progress::MAX_LEVEL);
}

#[test]
fn out_of_combat_a_character_is_whole_again_in_seconds_in_combat_only_slowly() {
    let mut fx = fixture(&["#####", "#@..#", "#####"], W1);
    let id = fx.players[0];
    fx.world
        .hurt_character(id, 30, MonsterKind::Ogre, crate::special::Blow::Melee);
    let hurt = fx.character(0).unwrap().hp;
    assert!(hurt <= 20, "{hurt}");
    // In combat (5 s after the hit) it regains a point every 3 s at most.
    fx.run(fx.world.ticks(4_500));
    assert!(fx.character(0).unwrap().hp <= hurt + 2);
    // Then, out of combat, it is whole within about five seconds.
    fx.run(fx.world.ticks(5_500));
    let w = fx.character(0).unwrap();
    assert_eq!(w.hp, w.max_hp());
}

#[test]
fn a_downed_character_under_attack_still_lasts_eight_seconds() {
    let mut fx = fixture(&["######", "#@O..#", "######"], &[Class::Mage]);
    let id = fx.players[0];
    let rate = fx.world.ticks(1_000);
    let mut downed_at = None;
    let mut died_at = None;
    for t in 0..rate * 40 {
        fx.run(1);
        match fx.character(0) {
            Some(c) if c.is_downed() && downed_at.is_none() => downed_at = Some(t),
            None => {
                died_at = Some(t);
                break;
            }
            _ => {}
        }
    }
    let (downed, died) = (downed_at.expect("downed"), died_at.expect("died"));
    let lasted = died - downed;
    assert!(lasted >= rate * 8, "downed for {lasted} ticks only");
    assert!(
        lasted < rate * 16,
        "the ogre's blows did not shorten it ({lasted} ticks)"
    );
    assert!(fx.world.player(&id).unwrap().stats.deaths == 1);
}

#[test]
fn leaving_in_combat_leaves_the_character_in_the_world_for_ten_seconds() {
    let mut fx = fixture(&["#######", "#@g...#", "#######"], &[Class::Mage]);
    fx.character_mut(0).hp = 200; // survives the goblin for the length of the test
    fx.run(fx.world.ticks(1_000));
    assert!(fx.character(0).unwrap().hp < 200, "the goblin fights");
    leave(&mut fx, 0);
    fx.run(1);
    assert!(fx.happened(|k| matches!(
        k,
        EventKind::Left {
            lingering: true,
            ..
        }
    )));
    let hp = fx.character(0).unwrap().hp;
    fx.run(fx.world.ticks(9_000));
    assert!(present(&fx, 0));
    let later = fx.character(0).unwrap().hp;
    assert!(later < hp, "still hunted while it lingers");
    fx.run(fx.world.ticks(1_100));
    assert!(!present(&fx, 0), "safe after ten seconds");
    let safe = fx.character(0).unwrap().hp;
    fx.run(fx.world.ticks(5_000));
    assert_eq!(
        fx.character(0).unwrap().hp,
        safe,
        "nothing happens to an absent character"
    );
}

#[test]
fn leaving_out_of_combat_is_safe_at_once() {
    let mut fx = fixture(&["#######", "#@....#", "#######"], W1);
    leave(&mut fx, 0);
    fx.run(1);
    assert!(fx.happened(|k| matches!(
        k,
        EventKind::Left {
            lingering: false,
            ..
        }
    )));
    assert!(!present(&fx, 0));
}

#[test]
fn absent_characters_are_walked_through_and_step_aside_on_return() {
    // A corridor: P1 has left in the middle of it; P0 walks through it, and so does the rat.
    let mut fx = fixture(
        &["#########", "#@.@....#", "#########"],
        &[Class::Warrior, Class::Mage],
    );
    leave(&mut fx, 1);
    fx.run(1);
    let absent_at = fx.character(1).unwrap().pos;
    for _ in 0..4 {
        fx.act(0, Action::Move(E)).run(4);
    }
    assert_eq!(
        fx.character(0).unwrap().pos,
        Pos::new(5, 1),
        "walked through"
    );
    assert_eq!(fx.character(1).unwrap().pos, absent_at, "not pushed");
    // The warrior now stands where the absent mage stands: she comes back beside it.
    fx.act(0, Action::Move(W))
        .run(4)
        .act(0, Action::Move(W))
        .run(4);
    assert_eq!(fx.character(0).unwrap().pos, absent_at);
    back(&mut fx, 1);
    fx.run(1);
    let mage = fx.character(1).unwrap().pos;
    assert_ne!(mage, absent_at);
    assert!(mage.chebyshev(absent_at) == 1);
}

#[test]
fn the_heart_returns_to_the_deepest_floor_when_its_carrier_stays_away() {
    let mut fx = fixture(&["#####", "#@<.#", "#####"], W1);
    let me = fx.players[0];
    assert!(fx.world.give_heart(me));
    leave(&mut fx, 0);
    // Looked at once a second: it goes within a second after the five minutes.
    let second = fx.world.ticks(1_000);
    fx.run(fx.world.ticks(crate::life::HEART_AWAY_MS) - second);
    assert!(matches!(fx.world.economy().heart(), Some((Holder::Carried(p), _)) if p == me));
    let mut told = false;
    for _ in 0..2 * second {
        fx.run(1);
        told |= fx.happened(|k| matches!(k, EventKind::HeartReturned { .. }));
    }
    assert!(told, "nobody was told");
    let home = crate::mapgen::generate(1, crate::floor::DEEPEST_FLOOR)
        .heart
        .unwrap();
    assert!(
        matches!(
            fx.world.economy().heart(),
            Some((Holder::Ground { depth: 12, pos }, _)) if pos == home
        ),
        "{:?}",
        fx.world.economy().heart().map(|(h, _)| h)
    );
}

#[test]
fn a_deepest_floor_made_before_floors_grew_still_has_a_home_for_the_heart() {
    let mut fx = fixture(&["#####", "#@<.#", "#####"], W1);
    // Saved at 96×40 (or any size): today's generation puts the Heart elsewhere, here
    // outside the floor or in its rock.
    let old = crate::floor::Floor::from_ascii(12, &["#######", "#<....#", "#######"]);
    fx.world.floors.insert(12, old);
    let home = fx.world.heart_home().unwrap();
    assert_eq!(
        fx.world.floor(12).unwrap().tile(home),
        crate::tile::Tile::Floor
    );
}

#[test]
fn the_deep_climbs_after_the_heart() {
    use crate::heart::{HUNT_AWAY, HUNT_MS, HUNT_NEAR};
    let corridor = [
        "##############################",
        "#@...........................#",
        "##############################",
    ];
    let mut fx = fixture(&corridor, W1);
    let me = fx.players[0];
    let hunt = fx.world.ticks(HUNT_MS);
    let hunted = |fx: &Fx| fx.happened(|k| matches!(k, EventKind::Hunted { depth: 1, .. }));
    // Without the Heart nothing comes.
    let mut told = false;
    for _ in 0..hunt + 1 {
        fx.run(1);
        told |= hunted(&fx);
    }
    assert!(!told && fx.world.floor(1).unwrap().monsters.is_empty());
    // With it, one comes within the next stretch (floor 3's kinds, with its kin), awake, far
    // from the carrier and making for it.
    assert!(fx.world.give_heart(me));
    let at = fx.character(0).unwrap().pos;
    for _ in 0..hunt {
        fx.run(1);
        told |= hunted(&fx);
        if told {
            break;
        }
    }
    assert!(told, "nothing came");
    // The carrier's party is told, not every party in the world.
    let scope = fx
        .world
        .events()
        .iter()
        .find(|e| matches!(e.kind, EventKind::Hunted { .. }))
        .map(|e| e.scope.clone());
    assert!(
        matches!(scope, Some(Scope::Party(_) | Scope::Player(_))),
        "{scope:?}"
    );
    let sent: Vec<Monster> = fx
        .world
        .floor(1)
        .unwrap()
        .monsters
        .values()
        .cloned()
        .collect();
    assert!(!sent.is_empty());
    let deeper = MonsterKind::at_depth(3);
    assert!(sent.iter().any(|m| deeper.contains(&m.kind)), "{sent:?}");
    for m in &sent {
        assert!(!m.asleep);
        assert!(
            m.pos.chebyshev(at) >= HUNT_AWAY,
            "{:?} came out at {:?}",
            m.kind,
            m.pos
        );
        // Near enough to find the way (its kin a step or two beside it).
        assert!(
            m.pos.chebyshev(at) <= i32::from(HUNT_NEAR) + 3,
            "{:?} came out at {:?}",
            m.kind,
            m.pos
        );
        assert_eq!(m.last_seen, Some(at));
    }
    // It reaches the carrier.
    let mut close = false;
    for _ in 0..fx.world.ticks(8_000) {
        fx.run(1);
        close |= fx
            .world
            .floor(1)
            .unwrap()
            .monsters
            .values()
            .any(|m| m.pos.chebyshev(fx.character(0).unwrap().pos) <= 1);
    }
    assert!(close, "it never came near");
}

#[test]
fn the_heart_weighs_on_its_carrier() {
    use crate::economy::Goods;
    use crate::heart::HEART_WEIGHT_PERCENT;
    let mut fx = fixture(&["##########", "#@.......#", "##########"], W1);
    let me = fx.players[0];
    let step = |fx: &mut Fx| {
        let start = fx.world.tick();
        fx.act(0, Action::Move(E)).run(1);
        let took = fx.character(0).unwrap().ready_at - start;
        fx.run(took);
        took
    };
    assert_eq!(step(&mut fx), fx.world.ticks(MOVE_MS), "empty-handed");
    assert!(fx.world.give_heart(me));
    assert!(fx.world.carries_heart(me));
    let heavy = fx.world.ticks(MOVE_MS * HEART_WEIGHT_PERCENT / 100);
    assert!(heavy > fx.world.ticks(MOVE_MS));
    assert_eq!(step(&mut fx), heavy, "carrying the Heart");
    // Haste halves a heavy step as any other.
    let now = fx.world.tick();
    fx.character_mut(0).hasted_until = now + fx.world.ticks(5_000);
    assert_eq!(
        step(&mut fx),
        fx.world.ticks(MOVE_MS * HEART_WEIGHT_PERCENT / 100 / 2),
        "hasted"
    );
    fx.character_mut(0).hasted_until = now;
    // Put down, it weighs nothing: a friend can take a turn.
    let heart = fx.world.economy().heart().unwrap().1.id;
    let put_down = fx.world.ticks(MOVE_MS);
    fx.act(
        0,
        Action::Drop(Goods {
            stacks: Vec::new(),
            items: vec![heart],
        }),
    )
    .run(put_down);
    assert!(!fx.world.carries_heart(me));
    assert_eq!(step(&mut fx), fx.world.ticks(MOVE_MS), "put down");
}

#[test]
fn nothing_more_comes_for_the_heart_while_six_are_awake() {
    // Six rats walled off where they cannot reach the carrier.
    let rows = [
        "##############################",
        "#@...........................#",
        "##############################",
        "#rrrrrr#######################",
        "##############################",
    ];
    let mut fx = fixture(&rows, W1);
    assert!(fx.world.give_heart(fx.players[0]));
    let mut told = false;
    for _ in 0..2 * fx.world.ticks(crate::heart::HUNT_MS) {
        fx.run(1);
        told |= fx.happened(|k| matches!(k, EventKind::Hunted { .. }));
    }
    assert!(!told);
    assert_eq!(fx.world.floor(1).unwrap().monsters.len(), 6);
}

#[test]
fn another_class_s_weapon_gives_half() {
    use crate::craft::Recipe;
    let sword = Recipe::Sword.stats(500);
    assert!(sword.melee >= 2);
    assert_eq!(Recipe::Sword.stats_for(500, Class::Warrior), sword);
    assert_eq!(
        Recipe::Sword.stats_for(500, Class::Mage).melee,
        sword.melee / 2
    );
    let staff = Recipe::Staff.stats(500);
    assert_eq!(
        Recipe::Staff.stats_for(500, Class::Warrior).spell,
        staff.spell / 2
    );
    // Gear for anyone is whole for everyone.
    let dagger = Recipe::Dagger.stats(500);
    assert_eq!(Recipe::Dagger.stats_for(500, Class::Mage), dagger);
}

#[test]
fn armour_takes_a_share_of_each_hit_and_a_hit_does_at_least_one() {
    assert_eq!(after_armour(10, 0), 10);
    assert_eq!(after_armour(10, 10), 5);
    assert_eq!(after_armour(20, 30), 5);
    assert_eq!(after_armour(12, 2), 10);
    assert_eq!(after_armour(1, 50), 1);
    // More armour never hurts, and heavy armour no longer makes a big hit harmless.
    for armour in 0..40 {
        assert!(after_armour(30, armour + 1) <= after_armour(30, armour));
    }
    assert!(after_armour(16, 14) >= 6);
}

#[test]
fn a_lone_character_meets_two_thirds_of_a_floors_monsters_a_party_all_of_them() {
    // The lode's band comes as it is, whoever comes.
    let generated = crate::mapgen::generate(7, 2);
    let band = generated.lode.map_or(0, |l| l.guards.len());
    let base = generated.spawns.len();
    let count = |players: usize| {
        let mut world = World::new("scale", 7, RATE);
        for n in 0..players {
            world.handle_tick(&[
                Input::Connect {
                    player: pid(n),
                    name: format!("P{n}"),
                },
                Input::CreateCharacter {
                    player: pid(n),
                    class: Class::Warrior,
                },
            ]);
        }
        world.ensure_floor(2);
        world.floor(2).unwrap().monsters.len() - band
    };
    assert!(base >= 6, "{base}");
    assert_eq!(count(1), base * 2 / 3, "one character meets two thirds");
    // A bigger party meets tougher monsters, not more of them.
    assert_eq!(count(2), base);
    assert_eq!(count(4), base);
    assert_eq!(count(8), base);
}

#[test]
fn the_deep_stands_up_to_a_party_and_to_what_strikes_from_afar() {
    use crate::monster::{
        Harm, MISSILE_TOUGHNESS_PERCENT as M, PARTY_TOUGHNESS_PERCENT as P, after_toughness,
        toughness,
    };
    // Floor 1 is as it was, for anyone with anything.
    for characters in 0..6 {
        for harm in [Harm::Blade, Harm::Shot, Harm::Fire, Harm::Frost] {
            assert_eq!(toughness(1, characters, harm), 0);
        }
    }
    // A lone character's blade meets the monsters as they are; its arrows and spells half
    // the missile toughness.
    assert_eq!(toughness(12, 1, Harm::Blade), 0);
    assert_eq!(toughness(12, 1, Harm::Fire), M / 2 * 11);
    // Two meet half the party's toughness, three and more all of it.
    assert_eq!(toughness(5, 2, Harm::Blade), P / 2 * 4);
    assert_eq!(toughness(5, 3, Harm::Blade), P * 4);
    assert_eq!(toughness(5, 4, Harm::Shot), (P + M) * 4);
    assert_eq!(toughness(5, 8, Harm::Blade), toughness(5, 4, Harm::Blade));
    // Deeper is tougher; more characters are never softer.
    for depth in 1..12 {
        for characters in 1..5 {
            for harm in [Harm::Blade, Harm::Shot] {
                let t = toughness(depth, characters, harm);
                assert!(toughness(depth + 1, characters, harm) >= t);
                assert!(toughness(depth, characters + 1, harm) >= t);
            }
        }
    }
    assert_eq!(after_toughness(10, 0), 10);
    assert_eq!(after_toughness(10, 100), 5);
    assert_eq!(
        after_toughness(1, 400),
        1,
        "a strike that lands does at least 1"
    );
    assert_eq!(after_toughness(0, 400), 0, "nothing stays nothing");
}

#[test]
fn a_party_of_three_on_floor_5_hurts_a_monster_less_than_one_warrior_alone() {
    use crate::monster::{Harm, after_toughness, toughness};
    // The same blow on the same orc on floor 5, struck by a warrior alone and by a warrior
    // with two friends on the floor.
    let landed = |friends: usize| {
        let mut rows = vec!["#######".to_owned(), "#@o...#".to_owned()];
        rows.extend((0..friends).map(|_| "#@....#".to_owned()));
        rows.push("#######".to_owned());
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        let mut fx = fixture(&rows, &[Class::Warrior; 3]);
        // The picture becomes floor 5, and everyone stands on it.
        let mut floor = fx.world.floors.remove(&1).unwrap();
        floor.depth = 5;
        fx.world.floors.insert(5, floor);
        for n in 0..=friends {
            fx.character_mut(n).depth = 5;
        }
        let (orc, before) = fx.world.floors[&5]
            .monsters
            .iter()
            .map(|(id, m)| (*id, m.hp))
            .next()
            .unwrap();
        fx.world
            .hurt_monster(5, orc, 12, fx.players[0], crate::event::Strike::Hits);
        // The striker's view counts the characters on its floor (the look reads it).
        let rtt = BTreeMap::new();
        let snap = crate::view::Tracker::new()
            .poll(&fx.world, fx.players[0], &rtt)
            .snapshot
            .unwrap();
        match snap.me {
            Some(crate::protocol::SelfPatch::Whole(me)) => {
                assert_eq!(usize::from(me.characters_here), friends + 1);
            }
            other => panic!("{other:?}"),
        }
        before - fx.world.floors[&5].monsters[&orc].hp
    };
    let roll = after_armour(12, MonsterKind::Orc.stats().armor);
    assert_eq!(landed(0), roll, "alone, a blade meets the orc as it is");
    assert_eq!(
        landed(2),
        after_toughness(roll, toughness(5, 3, Harm::Blade))
    );
    assert!(landed(2) < landed(0));
}

#[test]
fn a_monster_at_your_heels_follows_you_down_the_stairs_a_frozen_one_does_not() {
    for frozen in [false, true] {
        let mut fx = fixture(&["######", "#@>g.#", "######"], W1);
        fx.character_mut(0).hp = 200;
        fx.act(0, Action::Move(E)).run(6);
        let goblin = monster(&fx, MonsterKind::Goblin).id;
        assert_eq!(
            monster(&fx, MonsterKind::Goblin).target,
            Some(fx.players[0])
        );
        if frozen {
            let now = fx.world.tick();
            let m = fx
                .world
                .floor_mut(1)
                .unwrap()
                .monsters
                .get_mut(&goblin)
                .unwrap();
            m.effects.frozen_until = now + 100;
        }
        fx.act(0, Descend).run(1);
        let me = fx.character(0).unwrap();
        assert_eq!(me.depth, 2);
        let below = fx.world.floor(2).unwrap().monsters.get(&goblin);
        if frozen {
            assert!(below.is_none(), "a frozen goblin followed");
            assert!(fx.world.floor(1).unwrap().monsters.contains_key(&goblin));
        } else {
            let below = below.expect("the goblin followed");
            assert!(
                below.pos.chebyshev(me.pos) <= 2,
                "{:?} {:?}",
                below.pos,
                me.pos
            );
            assert!(!fx.world.floor(1).unwrap().monsters.contains_key(&goblin));
            assert!(fx.happened(|k| matches!(k, EventKind::Follows { down: true, .. })));
        }
    }
}

#[test]
fn a_character_left_in_combat_still_lights_its_party_s_view() {
    // Two rooms: the warrior fights a goblin on the left, the mage stands on the right.
    let rows = ["###########", "#@g.#....@#", "#...#.....#", "###########"];
    let mut fx = fixture(&rows, &[Class::Warrior, Class::Mage]);
    fx.character_mut(0).hp = 200;
    fx.run(fx.world.ticks(1_000));
    leave(&mut fx, 0);
    fx.run(2);
    assert!(present(&fx, 0), "the warrior lingers");
    let mage = fx.players[1];
    let mut tracker = Tracker::new();
    let mut view = ClientView::new();
    let rtt = BTreeMap::new();
    crate::view::sync(&mut tracker, &mut view, &fx.world, mage, &rtt).unwrap();
    let party = fx.world.party_of(&mage).unwrap();
    let sight = fx.world.party_sight(party, 1).unwrap();
    let left_room = Pos::new(2, 2);
    assert!(sight.get(left_room).copied().unwrap_or(false));
    let agree = |view: &ClientView, world: &World, when: &str| {
        let sight = world.party_sight(party, 1).unwrap();
        for p in sight.positions() {
            assert_eq!(
                view.in_sight(p),
                sight.get(p).copied().unwrap_or(false),
                "{p:?} {when}: the mage's screen and the party's sight differ"
            );
        }
    };
    agree(&view, &fx.world, "while the warrior lingers");
    // Ten seconds on, the warrior is away: its sight is gone from both.
    for _ in 0..fx.world.ticks(10_000) {
        fx.run(1);
        crate::view::sync(&mut tracker, &mut view, &fx.world, mage, &rtt).unwrap();
    }
    assert!(!present(&fx, 0));
    let sight = fx.world.party_sight(party, 1).unwrap();
    assert!(!sight.get(left_room).copied().unwrap_or(false));
    agree(&view, &fx.world, "after");
}

#[test]
fn some_monsters_of_a_new_floor_sleep_until_a_character_comes_close() {
    let world = World::new("w", 5, RATE);
    let floor = world.floor(1).unwrap();
    let asleep = floor.monsters.values().filter(|m| m.asleep).count();
    assert!(
        asleep > 0 && asleep < floor.monsters.len(),
        "{asleep} of {}",
        floor.monsters.len()
    );

    // A rat asleep in a long hall, a second one by it; the mage comes closer step by step.
    let rows = [
        "##################",
        "#@..........r.r..#",
        "##################",
    ];
    let mut fx = fixture(&rows, &[Class::Mage]);
    fx.each_monster(|m| m.asleep = true);
    fx.run(fx.world.ticks(2_000));
    let rat = monster(&fx, MonsterKind::Rat);
    assert!(
        rat.asleep && rat.pos == Pos::new(12, 1),
        "seen from afar, it sleeps on"
    );
    for _ in 0..8 {
        fx.act(0, Action::Move(E));
        fx.run(fx.world.ticks(MOVE_MS));
    }
    let floor = fx.world.floor(1).unwrap();
    assert!(
        floor.monsters.values().all(|m| !m.asleep),
        "the near one woke and woke its kin"
    );
}

#[test]
fn a_blow_on_a_sleeper_does_double_and_wakes_it() {
    let rows = ["######", "#@o..#", "######"];
    let damage = |asleep: bool| {
        let mut fx = fixture(&rows, &[Class::Warrior]);
        fx.each_monster(|m| {
            m.asleep = asleep;
            m.hp = 200;
        });
        for _ in 0..20 {
            fx.act(0, Action::Move(E)).run(1);
            let hit = fx.world.events().iter().find_map(|e| match &e.kind {
                EventKind::Struck { damage, .. } => Some(*damage),
                _ => None,
            });
            if let Some(hit) = hit {
                let caught = fx.happened(|k| matches!(k, EventKind::Woke { by: Some(_), .. }));
                assert_eq!(caught, asleep);
                assert!(!monster(&fx, MonsterKind::Orc).asleep);
                return hit;
            }
            fx.run(fx.world.ticks(ATTACK_MS));
        }
        panic!("never hit");
    };
    // The same world, the same rolls: only the sleep differs.
    assert_eq!(damage(true), 2 * damage(false));
}

#[test]
fn the_same_blow_lands_harder_deeper() {
    use crate::monster::{DEEPER_BLOW_PERCENT, deepen};
    use crate::special::Blow;
    assert_eq!(deepen(8, 1), 8, "floor 1 is the table's number");
    assert_eq!(
        deepen(8, 5),
        8 * (100 + 4 * DEEPER_BLOW_PERCENT as u16) / 100
    );
    assert!((2..=12).all(|d| deepen(10, d) > deepen(10, d - 1)));
    let mut fx = fixture(&["#####", "#@..#", "#####"], &[Class::Mage]);
    let id = fx.players[0];
    let taken = |fx: &mut Fx, depth: u8| {
        // What the blow reads is the floor the character stands on; nothing else runs.
        fx.character_mut(0).depth = depth;
        let before = fx.character(0).unwrap().hp;
        fx.world
            .hurt_character(id, 4, MonsterKind::Goblin, Blow::Melee);
        let after = fx.character(0).unwrap().hp;
        fx.character_mut(0).hp = before;
        before - after
    };
    // A mage wears no armour: the roll lands whole, deepened.
    assert_eq!(taken(&mut fx, 1), 4);
    assert_eq!(taken(&mut fx, 5), deepen(4, 5));
    assert_eq!(taken(&mut fx, 9), deepen(4, 9));
}

#[test]
fn a_new_character_goes_unnoticed_until_it_fights_or_five_seconds_pass() {
    // The last character died by the entrance, where the orc that downed it still waits.
    enum First {
        Waits,
        Strikes,
        Marks,
    }
    let arrive = |first: First| {
        let mut fx = fixture(&["#<o..#", "#.@..#", "######"], &[Class::Mage]);
        fx.character_mut(0).hp = 0;
        fx.character_mut(0).life = Life::Downed { left: 1, revive: 0 };
        fx.run(2);
        assert!(fx.character(0).is_none());
        let class = match first {
            First::Marks => Class::Ranger,
            _ => Class::Warrior,
        };
        fx.input(Input::CreateCharacter {
            player: fx.players[0],
            class,
        })
        .run(1);
        let c = fx.character(0).unwrap().clone();
        let orc = monster(&fx, MonsterKind::Orc).pos;
        assert!(c.pos.is_adjacent(orc), "{:?} by {orc:?}", c.pos);
        match first {
            First::Waits => {}
            First::Strikes => {
                fx.act(0, Action::Move(Dir::toward(c.pos, orc).unwrap()));
            }
            First::Marks => {
                fx.act(
                    0,
                    Action::Ability {
                        slot: 1,
                        target: Target::Auto,
                    },
                );
            }
        }
        // Ticks until the orc's first blow lands on the newcomer (or 10 s).
        let limit = fx.world.ticks(10_000);
        (1..=limit)
            .find(|_| {
                fx.run(1);
                fx.character(0).unwrap().hp < c.max_hp()
            })
            .unwrap_or(limit)
    };
    let grace = arrive(First::Waits);
    let second = RATE.ticks(1_000);
    assert!(
        (5 * second..6 * second).contains(&grace),
        "the orc struck {grace} ticks after the arrival"
    );
    // Striking first ends it at once; so does marking it (a Mark does no damage).
    for first in [First::Strikes, First::Marks] {
        let fought = arrive(first);
        assert!(
            fought < second,
            "the orc struck back only {fought} ticks later"
        );
    }
}
