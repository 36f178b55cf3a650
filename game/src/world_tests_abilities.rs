//! Abilities and their synergies, each a rule with its own test.

use super::*;
use crate::ability::{FREEZE_MS, MARK_MS, Target};
use crate::ids::EntityId;
use crate::monster::MonsterKind;

fn ability(fx: &mut Fx, player: usize, slot: u8, target: Target) {
    fx.act(player, Action::Ability { slot, target }).run(1);
}

#[test]
fn damage_to_monsters_follows_armour_then_shatter_then_mark() {
    // An orc has 2 armour; a roll of 12 does 10 (10/12 of it).
    let mut fx = fixture(
        &["#######", "#@o.@.#", "#######"],
        &[Class::Warrior, Class::Mage],
    );
    let (warrior, mage) = (fx.players[0], fx.players[1]);
    let orc = monster(&fx, MonsterKind::Orc).id;
    let now = fx.world.tick();
    let hit = |fx: &mut Fx, by| {
        fx.world
            .hurt_monster(1, orc, 12, by, crate::event::Strike::Hits)
            .unwrap()
    };
    let set = |fx: &mut Fx, frozen: bool, marked: bool| {
        let m = fx
            .world
            .floors
            .get_mut(&1)
            .unwrap()
            .monsters
            .get_mut(&orc)
            .unwrap();
        m.hp = 200;
        m.effects.frozen_until = if frozen { now + 100 } else { now };
        m.effects.marked_until = if marked { now + 100 } else { now };
    };
    for (frozen, marked, by, expect, shattered) in [
        (false, false, warrior, 10, false),
        (true, false, warrior, 20, true), // shatter: double
        (true, false, mage, 10, false),   // only a Warrior shatters
        (false, true, mage, 15, false),   // mark: +50% from any source
        (false, true, warrior, 15, false),
        (true, true, warrior, 30, true), // both
    ] {
        set(&mut fx, frozen, marked);
        let out = hit(&mut fx, by);
        assert_eq!(
            (out.damage, out.shattered),
            (expect, shattered),
            "frozen {frozen} marked {marked}"
        );
    }
    // Shattering thaws the monster.
    set(&mut fx, true, false);
    hit(&mut fx, warrior);
    assert!(!monster(&fx, MonsterKind::Orc).is_frozen(fx.world.tick()));
}

#[test]
fn some_monsters_shrug_off_half_of_a_harm() {
    // Rolls chosen to leave 20 after each one's armour: a golem (6 armour) 32, a wraith (1)
    // 22, a salamander (2) 24, an orc (2) 24.
    let mut fx = fixture(&["#########", "#@X.W.l.o#", "#########"], &[Class::Warrior]);
    let me = fx.players[0];
    use crate::event::Strike::*;
    let cases = [
        (
            MonsterKind::Golem,
            32,
            [(Hits, 20), (Shoots, 10), (Burns, 10), (Flames, 10)],
        ),
        (
            MonsterKind::Wraith,
            22,
            [(Hits, 10), (Cleaves, 10), (Shoots, 10), (Burns, 20)],
        ),
        (
            MonsterKind::Salamander,
            24,
            [(Hits, 20), (Shoots, 20), (Burns, 10), (Chills, 20)],
        ),
        (
            MonsterKind::Orc,
            24,
            [(Hits, 20), (Shoots, 20), (Burns, 20), (Chills, 20)],
        ),
    ];
    for (kind, roll, strikes) in cases {
        let id = monster(&fx, kind).id;
        for (how, expect) in strikes {
            fx.world
                .floors
                .get_mut(&1)
                .unwrap()
                .monsters
                .get_mut(&id)
                .unwrap()
                .hp = 500;
            let out = fx.world.hurt_monster(1, id, roll, me, how).unwrap();
            assert_eq!(out.damage, expect, "{kind:?} {how:?}");
        }
    }
    // A warrior's blow on a frozen wraith: half for the blade, then doubled by the shatter.
    let wraith = monster(&fx, MonsterKind::Wraith).id;
    let now = fx.world.tick();
    let m = fx
        .world
        .floors
        .get_mut(&1)
        .unwrap()
        .monsters
        .get_mut(&wraith)
        .unwrap();
    m.effects.frozen_until = now + 100;
    let out = fx.world.hurt_monster(1, wraith, 22, me, Hits).unwrap();
    assert_eq!((out.damage, out.shattered), (20, true));
}

#[test]
fn frost_nova_then_a_warrior_blow_shatters_in_play() {
    let mut fx = fixture(
        &["#######", "#@o@..#", "#######"],
        &[Class::Mage, Class::Warrior],
    );
    ability(&mut fx, 0, 1, Target::Auto); // Frost Nova
    let orc = monster(&fx, MonsterKind::Orc);
    assert!(orc.is_frozen(fx.world.tick()));
    assert!(orc.effects.frozen_until >= fx.world.tick() + (fx.world.ticks(FREEZE_MS) - 2));
    let hp = orc.hp;
    fx.act(1, Action::Move(W)).run(1);
    assert!(
        fx.happened(|k| matches!(
            k,
            EventKind::Struck {
                shattered: true,
                ..
            }
        )),
        "no shatter event"
    );
    let after = fx
        .world
        .floor(1)
        .unwrap()
        .monsters
        .get(&orc.id)
        .map_or(0, |m| m.hp);
    let loss = hp - after;
    // Warrior 3..=7 less orc armour 2 (10/12 of it, rounded: 3..=6), doubled.
    assert!(
        loss.is_multiple_of(2) && (6..=12).contains(&loss),
        "lost {loss}"
    );
    // Thawed, it fights back at once, not when the frost would have worn off (~3 s).
    let mut fought = false;
    for _ in 0..fx.world.ticks(1_000) {
        fx.run(1);
        fought |= fx.happened(|k| {
            matches!(
                k,
                EventKind::MonsterHit {
                    monster: MonsterKind::Orc,
                    ..
                } | EventKind::MonsterMissed {
                    monster: MonsterKind::Orc,
                    ..
                }
            )
        });
    }
    assert!(fought, "the shattered orc stayed stunned");
}

#[test]
fn a_mark_adds_half_again_from_every_source_in_play() {
    let mut fx = fixture(
        &["##########", "#@..o...@#", "##########"],
        &[Class::Ranger, Class::Mage],
    );
    ability(&mut fx, 0, 1, Target::Auto); // Mark
    let orc = monster(&fx, MonsterKind::Orc);
    assert!(orc.is_marked(fx.world.tick()));
    assert!(orc.effects.marked_until >= fx.world.tick() + (fx.world.ticks(MARK_MS) - 2));
    // The mage's firebolt: 10..=17 less 2 armour (10/12 of it: 8..=14), then +50%: 12..=21.
    let hp = orc.hp;
    ability(&mut fx, 1, 0, Target::Entity(orc.id));
    let after = fx
        .world
        .floor(1)
        .unwrap()
        .monsters
        .get(&orc.id)
        .map_or(0, |m| m.hp);
    assert!((12..=21).contains(&(hp - after)), "lost {}", hp - after);
}

#[test]
fn a_ward_absorbs_damage_before_hp() {
    let mut fx = fixture(&["#####", "#@..#", "#####"], &[Class::Warrior]);
    let me = fx.players[0];
    let until = fx.world.tick() + 1000;
    fx.character_mut(0).ward = 12;
    fx.character_mut(0).ward_until = until;
    // Warrior armour 2: a roll of 10 is 8 damage, all absorbed.
    fx.world
        .hurt_character(me, 10, MonsterKind::Goblin, crate::special::Blow::Melee);
    assert_eq!(fx.character(0).unwrap().hp, 40);
    assert_eq!(fx.character(0).unwrap().ward, 4);
    // The next 8 break the ward (4) and the rest (4) reaches HP.
    fx.world
        .hurt_character(me, 10, MonsterKind::Goblin, crate::special::Blow::Melee);
    assert_eq!(fx.character(0).unwrap().ward, 0);
    assert_eq!(fx.character(0).unwrap().hp, 36);
}

#[test]
fn a_taunting_warrior_under_ward_takes_the_hits_on_the_shield_first() {
    let mut fx = fixture(
        &["#########", "#@.g...@#", "#.......#", "#########"],
        &[Class::Warrior, Class::Healer],
    );
    // The healer wards the warrior, then the warrior taunts the goblin next to the mage-less end.
    let warrior_entity = fx.character(0).unwrap().id;
    ability(&mut fx, 1, 1, Target::Entity(warrior_entity));
    assert!(fx.character(0).unwrap().ward > 0, "the ward did not land");
    fx.run(6);
    ability(&mut fx, 0, 0, Target::Auto); // Taunt
    let goblin = monster(&fx, MonsterKind::Goblin);
    assert_eq!(goblin.effects.taunted.map(|t| t.0), Some(fx.players[0]));
    let ward = fx.character(0).unwrap().ward;
    for _ in 0..120 {
        fx.run(1);
        if fx.character(0).unwrap().ward < ward {
            break;
        }
    }
    let w = fx.character(0).unwrap();
    assert!(w.ward < ward, "the goblin never struck the ward");
    assert_eq!(w.hp, w.max_hp(), "HP was hit while the ward still held");
}

#[test]
fn shield_wall_halves_damage_for_adjacent_allies_even_a_downed_one() {
    let mut fx = fixture(
        &["#######", "#@@..@#", "#######"],
        &[Class::Warrior, Class::Mage, Class::Ranger],
    );
    let (mage, ranger) = (fx.players[1], fx.players[2]);
    fx.character_mut(1).hp = 0;
    fx.character_mut(1).life = Life::Downed {
        left: 300,
        revive: 0,
    };
    // Without the wall, a downed character takes the whole hit (it runs its timer double).
    assert_eq!(
        fx.world
            .hurt_character(mage, 10, MonsterKind::Orc, crate::special::Blow::Melee),
        10
    );
    ability(&mut fx, 0, 2, Target::Auto); // Shield Wall
    assert_eq!(
        fx.world
            .hurt_character(mage, 10, MonsterKind::Orc, crate::special::Blow::Melee),
        5,
        "the downed ally next to the wall takes half"
    );
    // The ranger, three cells away, is not covered; mage armour 0, ranger armour 1
    // (11 × 10/11 = 10).
    fx.world
        .hurt_character(ranger, 11, MonsterKind::Orc, crate::special::Blow::Melee);
    assert_eq!(fx.character(2).unwrap().hp, 28 - 10);
    // The warrior covers itself too (armour 2: 12 × 10/12 = 10, halved 5).
    fx.world.hurt_character(
        fx.players[0],
        12,
        MonsterKind::Orc,
        crate::special::Blow::Melee,
    );
    assert_eq!(fx.character(0).unwrap().hp, 40 - 5);
}

#[test]
fn taunt_makes_monsters_hunt_the_warrior() {
    let mut fx = fixture(
        &["###########", "#@g...@...#", "#.........#", "###########"],
        &[Class::Mage, Class::Warrior],
    );
    fx.run(10);
    let goblin = monster(&fx, MonsterKind::Goblin);
    assert_eq!(
        goblin.target,
        Some(fx.players[0]),
        "the goblin should start on the mage"
    );
    ability(&mut fx, 1, 0, Target::Auto);
    let goblin = monster(&fx, MonsterKind::Goblin);
    assert_eq!(goblin.effects.taunted.map(|t| t.0), Some(fx.players[1]));
    let start = goblin.pos;
    let warrior = fx.character(1).unwrap().pos;
    fx.run(20);
    let goblin = monster(&fx, MonsterKind::Goblin);
    assert_eq!(goblin.target, Some(fx.players[1]));
    assert!(
        goblin.pos.chebyshev(warrior) < start.chebyshev(warrior),
        "it does not come"
    );
}

#[test]
fn taunt_reaches_only_five_cells() {
    let mut fx = fixture(
        &["###########", "#@g......@#", "###########"],
        &[Class::Mage, Class::Warrior],
    );
    ability(&mut fx, 1, 0, Target::Auto);
    assert_eq!(monster(&fx, MonsterKind::Goblin).effects.taunted, None);
}

#[test]
fn cleave_hits_every_adjacent_enemy() {
    let mut fx = fixture(&["#####", "#rrr#", "#r@r#", "#rrr#", "#####"], W1);
    ability(&mut fx, 0, 1, Target::Auto);
    // Rats have 5 HP and no armour; a warrior hits 3..=7: each is hurt or dead.
    let hurt = fx
        .world
        .floor(1)
        .unwrap()
        .monsters
        .values()
        .filter(|m| m.hp < 5)
        .count();
    let dead = 8 - fx.world.floor(1).unwrap().monsters.len();
    assert_eq!(hurt + dead, 8);
}

#[test]
fn cooldowns_and_mana_gate_abilities() {
    let mut fx = fixture(&["#########", "#@.....o#", "#########"], &[Class::Mage]);
    ability(&mut fx, 0, 0, Target::Auto); // Firebolt: 4 mana
    // 4 spent; 1 regained because tick 0 is a whole half second (in combat: slowly).
    assert_eq!(fx.character(0).unwrap().mana, 27);
    let orc_hp = monster(&fx, MonsterKind::Orc).hp;
    assert!(orc_hp < 20);
    fx.run(8);
    ability(&mut fx, 0, 0, Target::Auto);
    assert!(fx.happened(|k| matches!(
        k,
        EventKind::Notice(Notice::NotReady {
            class: Class::Mage,
            slot: 0,
            ..
        })
    )));
    fx.run(30);
    fx.character_mut(0).mana = 2;
    ability(&mut fx, 0, 0, Target::Auto);
    assert!(fx.told(&Notice::NoMana {
        class: Class::Mage,
        slot: 0
    }));
    assert!(
        fx.character(0).unwrap().mana >= 2,
        "a refused cast spent mana"
    );
}

#[test]
fn blink_moves_the_mage_to_a_seen_cell_in_range() {
    let mut fx = fixture(&["##########", "#@.......#", "##########"], &[Class::Mage]);
    ability(&mut fx, 0, 2, Target::Cell(Pos::new(7, 1)));
    assert_eq!(fx.character(0).unwrap().pos, Pos::new(7, 1));
    fx.run(fx.world.ticks(8_000));
    // Beyond 6 cells: refused, nothing spent.
    ability(&mut fx, 0, 2, Target::Cell(Pos::new(0, 1)));
    assert_eq!(fx.character(0).unwrap().pos, Pos::new(7, 1));
    ability(&mut fx, 0, 2, Target::Cell(Pos::new(8, 1)));
    assert_eq!(fx.character(0).unwrap().pos, Pos::new(8, 1));
}

#[test]
fn a_snare_roots_the_first_enemy_that_steps_on_it() {
    let mut fx = fixture(
        &["##########", "#@.....g.#", "##########"],
        &[Class::Ranger],
    );
    ability(&mut fx, 0, 2, Target::Cell(Pos::new(4, 1)));
    assert!(
        fx.world
            .floor(1)
            .unwrap()
            .traps
            .contains_key(&Pos::new(4, 1))
    );
    let mut rooted = false;
    for _ in 0..100 {
        fx.run(1);
        if monster(&fx, MonsterKind::Goblin).is_rooted(fx.world.tick()) {
            rooted = true;
            break;
        }
    }
    assert!(rooted, "the goblin never got snared");
    let g = monster(&fx, MonsterKind::Goblin);
    assert_eq!(g.pos, Pos::new(4, 1));
    assert!(
        fx.world.floor(1).unwrap().traps.is_empty(),
        "the snare is used up"
    );
    fx.run(20);
    assert_eq!(
        monster(&fx, MonsterKind::Goblin).pos,
        Pos::new(4, 1),
        "a rooted goblin moved"
    );
}

#[test]
fn healer_heals_and_revives_instantly() {
    let mut fx = fixture(
        &["######", "#@@..#", "######"],
        &[Class::Healer, Class::Warrior],
    );
    fx.character_mut(1).hp = 10;
    let warrior = fx.character(1).unwrap().id;
    ability(&mut fx, 0, 0, Target::Entity(warrior));
    let hp = fx.character(1).unwrap().hp;
    assert!((22..=30).contains(&hp), "healed to {hp}");
    fx.run(6); // the Heal's casting time
    fx.character_mut(1).hp = 0;
    fx.character_mut(1).life = Life::Downed {
        left: 300,
        revive: 0,
    };
    ability(&mut fx, 0, 2, Target::Auto);
    let c = fx.character(1).unwrap();
    assert!(!c.is_downed());
    assert_eq!(c.hp, c.max_hp() / 2);
}

#[test]
fn heal_on_nobody_hurt_costs_no_mana_and_says_so() {
    let mut fx = fixture(
        &["######", "#@@..#", "######"],
        &[Class::Healer, Class::Warrior],
    );
    let (mana, cooldown) = {
        let h = fx.character(0).unwrap();
        (h.mana, h.cooldowns[0])
    };
    let warrior = fx.character(1).unwrap().id;
    for target in [Target::Auto, Target::Entity(warrior)] {
        ability(&mut fx, 0, 0, target);
        let h = fx.character(0).unwrap();
        assert_eq!((h.mana, h.cooldowns[0]), (mana, cooldown), "{target:?}");
        fx.run(6);
    }
    // Hurt, the same Heal lands and costs its mana.
    fx.character_mut(1).hp = 10;
    ability(&mut fx, 0, 0, Target::Auto);
    assert!(fx.character(1).unwrap().hp > 10);
    assert!(fx.character(0).unwrap().mana < mana);
}

#[test]
fn monsters_play_their_roles() {
    // An archer shoots from range.
    let mut fx = fixture(&["##########", "#@....a..#", "##########"], W1);
    fx.run(40);
    assert!(fx.character(0).unwrap().hp < 40, "the archer never shot");
    assert_eq!(
        monster(&fx, MonsterKind::GoblinArcher).pos.x,
        6,
        "the archer walked in"
    );
    // A shaman heals hurt kin.
    let mut fx = fixture(&["##########", "#@..oh...#", "##########"], W1);
    let orc = monster(&fx, MonsterKind::Orc).id;
    fx.world
        .floors
        .get_mut(&1)
        .unwrap()
        .monsters
        .get_mut(&orc)
        .unwrap()
        .hp = 5;
    fx.run(20);
    assert!(
        monster(&fx, MonsterKind::Orc).hp > 5,
        "the shaman did not heal"
    );
    // A necromancer raises skeletons, three at most.
    let mut fx = fixture(
        &["##########", "#@.....N.#", "#........#", "##########"],
        W1,
    );
    fx.run(fx.world.ticks(40_000));
    let skeletons = fx
        .world
        .floor(1)
        .unwrap()
        .monsters
        .values()
        .filter(|m| m.kind == MonsterKind::Skeleton)
        .count();
    assert!((1..=3).contains(&skeletons), "{skeletons} skeletons");
}

#[test]
fn downed_characters_cannot_use_abilities() {
    let mut fx = fixture(&["#######", "#@o...#", "#######"], &[Class::Mage]);
    fx.character_mut(0).hp = 0;
    fx.character_mut(0).life = Life::Downed {
        left: 300,
        revive: 0,
    };
    ability(&mut fx, 0, 0, Target::Auto);
    assert_eq!(fx.character(0).unwrap().mana, 30);
}

#[allow(dead_code)]
fn _entity(id: u64) -> EntityId {
    EntityId(id)
}
