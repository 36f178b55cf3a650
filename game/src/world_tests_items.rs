//! Potions and scrolls: loot on new floors and from kills, identification shared by the
//! party, and what each kind does.

use super::*;
use crate::consumable::{Consumable, FIRE_RADIUS, TELEPORT_MIN, loot_on_floor};
use crate::economy::{Holder, ItemKind};
use crate::party::PartyCmd;

fn give(fx: &mut Fx, n: usize, kind: Consumable) -> ItemId {
    let player = fx.players[n];
    fx.world.give_consumable(player, kind).expect("a character")
}

fn carried(fx: &Fx, n: usize) -> Vec<ItemId> {
    let player = fx.players[n];
    let items = fx.world.economy().items_at(Holder::Carried(player));
    items.iter().map(|i| i.id).collect()
}

/// The pack as player `n`'s screen shows it.
fn screen_pack(fx: &Fx, n: usize) -> crate::protocol::PackView {
    let mut tracker = Tracker::new();
    let mut view = ClientView::new();
    let rtt = BTreeMap::new();
    crate::view::sync(&mut tracker, &mut view, &fx.world, fx.players[n], &rtt).unwrap();
    view.pack
}

#[test]
fn new_floors_hold_potions_and_scrolls_and_every_world_names_them_its_own_way() {
    let world = World::new("w", 5, RATE);
    let on_ground: Vec<_> = world
        .economy()
        .piles(1)
        .into_iter()
        .flat_map(|p| {
            world
                .economy()
                .items_at(Holder::Ground { depth: 1, pos: p })
        })
        .filter(|i| matches!(i.kind, ItemKind::Consumable(_)))
        .map(|i| i.id)
        .collect();
    assert_eq!(on_ground.len(), loot_on_floor(1));
    // Loot draws from its own stream: the floor and its monsters are the same as before.
    let again = World::new("w", 5, RATE);
    assert_eq!(world.state_hash(), again.state_hash());
    let other = World::new("w", 6, RATE);
    let look = |w: &World| w.look_of(Consumable::Healing);
    assert!(look(&world).ends_with("Potion"));
    assert_ne!(
        (1..20)
            .map(|s| look(&World::new("w", s, RATE)))
            .collect::<BTreeSet<_>>()
            .len(),
        1,
        "different worlds, different looks"
    );
    assert_ne!(world.state_hash(), other.state_hash());
}

#[test]
fn one_drinks_and_the_whole_party_knows_but_nobody_else() {
    let mut fx = fixture(
        &["#######", "#@.@.@#", "#.....#", "#######"],
        &[Class::Warrior, Class::Mage, Class::Ranger],
    );
    fx.input(Input::Party {
        player: fx.players[2],
        cmd: PartyCmd::Leave,
    })
    .run(1);
    let looks = fx.world.look_of(Consumable::Speed);
    let drunk = give(&mut fx, 0, Consumable::Speed);
    for n in 1..3 {
        give(&mut fx, n, Consumable::Speed);
    }
    // Nobody knows it yet: each pack shows the look, to be drunk to learn.
    for n in 0..3 {
        let pack = screen_pack(&fx, n);
        assert_eq!(pack.items[0].name, looks, "player {n}");
        assert_eq!(pack.items[0].usable.unwrap().kind, None);
    }
    fx.act(0, Action::Use(drunk)).run(1);
    assert!(fx.happened(|k| matches!(
        k,
        EventKind::Used { kind: Consumable::Speed, newly: true, looks: l, .. } if *l == looks
    )));
    assert!(!carried(&fx, 0).contains(&drunk), "used up");
    assert!(fx.world.economy().item(drunk).is_none());
    let names: Vec<String> = (1..3)
        .map(|n| screen_pack(&fx, n).items[0].name.clone())
        .collect();
    assert_eq!(names, vec!["Potion of Speed".to_owned(), looks.clone()]);
    assert_eq!(
        screen_pack(&fx, 1).items[0].usable.unwrap().kind,
        Some(Consumable::Speed)
    );
    // The stranger joins: each side brings what it knows.
    fx.input(Input::Party {
        player: fx.players[0],
        cmd: PartyCmd::Invite("P2".into()),
    })
    .run(1);
    let ranger_drinks = carried(&fx, 2)[0];
    fx.input(Input::Party {
        player: fx.players[2],
        cmd: PartyCmd::Accept("P0".into()),
    })
    .run(1);
    assert!(fx.world.knows(fx.players[2], Consumable::Speed));
    // A used item's id is never given again.
    fx.act(2, Action::Use(ranger_drinks)).run(1);
    let next = give(&mut fx, 1, Consumable::Healing);
    assert!(next > ranger_drinks && next > drunk, "{next:?}");
}

#[test]
fn healing_stands_a_downed_character_up_and_speed_halves_its_steps() {
    let mut fx = fixture(&["#######", "#@....#", "#######"], &[Class::Mage]);
    let potion = give(&mut fx, 0, Consumable::Healing);
    fx.character_mut(0).hp = 0;
    fx.character_mut(0).life = Life::Downed {
        left: 10_000,
        revive: 0,
    };
    fx.act(0, Action::Use(potion)).run(1);
    let c = fx.character(0).unwrap();
    assert!(!c.is_downed());
    // Half its HP (and what resting added since).
    assert!(
        c.hp >= c.max_hp() / 2 && c.hp < c.max_hp(),
        "{} of {}",
        c.hp,
        c.max_hp()
    );

    let speed = give(&mut fx, 0, Consumable::Speed);
    fx.run(fx.world.ticks(1_000));
    let second = fx.world.ticks(1_000);
    fx.act(0, Action::Use(speed)).run(second);
    let start = fx.world.tick();
    fx.act(0, Action::Move(E)).run(1);
    let took = fx.character(0).unwrap().ready_at - start;
    assert_eq!(took, fx.world.ticks(MOVE_MS / 2), "hasted");
    fx.run(fx.world.ticks(crate::consumable::HASTE_MS));
    let start = fx.world.tick();
    fx.act(0, Action::Move(E)).run(1);
    let took = fx.character(0).unwrap().ready_at - start;
    assert_eq!(took, fx.world.ticks(MOVE_MS), "worn off");
}

#[test]
fn fire_burns_and_frost_freezes_only_what_is_near_and_seen() {
    // Rats 1, 3 and 5 cells east, and one 2 cells west behind a wall, unseen. They stand
    // still (the test is about reach, not about rats).
    let rows = ["###########", "#r#@r.r.r.#", "#.#.......#", "###########"];
    let mut fx = fixture(&rows, &[Class::Mage]);
    fx.each_monster(|m| {
        m.hp = 200;
        m.next_act = Tick(1_000_000);
    });
    let hp = |fx: &Fx| -> Vec<(i16, u16)> {
        let mut v: Vec<(i16, u16)> = fx
            .world
            .floor(1)
            .unwrap()
            .monsters
            .values()
            .map(|m| (m.pos.x, m.hp))
            .collect();
        v.sort();
        v
    };
    let fire = give(&mut fx, 0, Consumable::Fire);
    fx.act(0, Action::Use(fire)).run(1);
    let after = hp(&fx);
    for (x, hp) in &after {
        let near = *x > 2 && i32::from(*x) - 3 <= FIRE_RADIUS;
        assert_eq!(*hp < 200, near, "rat at x={x}: {after:?}");
    }
    let frost = give(&mut fx, 0, Consumable::Frost);
    fx.run(fx.world.ticks(1_000));
    fx.act(0, Action::Use(frost)).run(1);
    let now = fx.world.tick();
    let frozen: Vec<i16> = fx
        .world
        .floor(1)
        .unwrap()
        .monsters
        .values()
        .filter(|m| m.is_frozen(now))
        .map(|m| m.pos.x)
        .collect();
    let mut frozen = frozen;
    frozen.sort();
    assert_eq!(frozen, vec![4, 6], "within 3 and in sight: {frozen:?}");
}

#[test]
fn descent_teleportation_and_mapping_move_and_show_the_party() {
    let rows = [
        "########################################",
        "#@@...................................##",
        "#.....................................##",
        "########################################",
    ];
    let mut fx = fixture(&rows, &[Class::Warrior, Class::Ranger]);
    let party = fx.world.party_of(&fx.players[0]).unwrap();
    // The reader stands at (2, 1): the mapping reaches 30 cells every way.
    let far = Pos::new(2 + crate::consumable::MAPPING_REACH as i16, 2);
    let beyond = Pos::new(far.x + 2, 2);
    let remembered = |fx: &Fx, p: Pos| {
        fx.world
            .floor(1)
            .unwrap()
            .memory(party)
            .and_then(|m| m.get(p).copied().flatten())
    };
    // The corridor is lit only so far: the far end is not remembered until mapped.
    fx.world.floor_mut(1).unwrap().forget_party(party);
    assert_eq!(remembered(&fx, far), None);
    let map = give(&mut fx, 1, Consumable::MagicMapping);
    fx.act(1, Action::Use(map)).run(1);
    assert_eq!(remembered(&fx, far), Some(Tile::Floor));
    assert_eq!(remembered(&fx, beyond), None, "past the mapping's reach");

    let scroll = give(&mut fx, 0, Consumable::Teleportation);
    let from = fx.character(0).unwrap().pos;
    fx.act(0, Action::Use(scroll)).run(1);
    let to = fx.character(0).unwrap().pos;
    assert!(to.chebyshev(from) >= TELEPORT_MIN, "{from:?} → {to:?}");

    let potion = give(&mut fx, 0, Consumable::Descent);
    fx.run(fx.world.ticks(1_000));
    fx.act(0, Action::Use(potion)).run(1);
    assert_eq!(fx.character(0).unwrap().depth, 2);
    assert!(fx.happened(|k| matches!(k, EventKind::Sank { depth: 2, .. })));
    assert_eq!(fx.world.player(&fx.players[0]).unwrap().stats.deepest, 2);
}

#[test]
fn detection_shows_the_party_monsters_out_of_sight_for_a_while() {
    let rows = ["###########", "#@.#....r.#", "#..#......#", "###########"];
    let mut fx = fixture(&rows, &[Class::Ranger]);
    let shown = |fx: &Fx| {
        let mut tracker = Tracker::new();
        let mut view = ClientView::new();
        let rtt = BTreeMap::new();
        crate::view::sync(&mut tracker, &mut view, &fx.world, fx.players[0], &rtt).unwrap();
        view.entities
            .iter()
            .any(|e| matches!(e.kind, crate::protocol::EntityKind::Monster(_)))
    };
    assert!(!shown(&fx), "behind the wall");
    let scroll = give(&mut fx, 0, Consumable::DetectMonsters);
    fx.act(0, Action::Use(scroll)).run(1);
    assert!(shown(&fx));
    fx.run(fx.world.ticks(crate::consumable::DETECT_MS));
    assert!(!shown(&fx), "worn off");
}

#[test]
fn uniques_always_drop_something_and_only_carried_consumables_are_used() {
    let rows = ["#######", "#@K...#", "#######"];
    let mut fx = fixture(&rows, &[Class::Warrior, Class::Mage][..1]);
    fx.each_monster(|m| m.hp = 1);
    fx.character_mut(0).hp = 500;
    for _ in 0..fx.world.ticks(5_000) {
        if fx.world.floor(1).unwrap().monsters.is_empty() {
            break;
        }
        fx.act(0, Action::Move(E)).run(1);
    }
    assert!(
        fx.world.floor(1).unwrap().monsters.is_empty(),
        "the king fell"
    );
    let dropped = fx
        .world
        .economy()
        .items_at(Holder::Ground {
            depth: 1,
            pos: Pos::new(2, 1),
        })
        .len();
    assert_eq!(dropped, 1);
    // The check at the door refuses what is not carried; the world refuses gear.
    let player = fx.players[0];
    assert_eq!(
        fx.world.check_action(player, Action::Use(ItemId(999))),
        Err(crate::command::Invalid::NotCarried(999))
    );
    fx.character_mut(0).pos = Pos::new(2, 1);
    let second = fx.world.ticks(1_000);
    fx.act(0, Action::PickUp).run(second);
    let item = carried(&fx, 0)[0];
    assert!(fx.world.check_action(player, Action::Use(item)).is_ok());
}
