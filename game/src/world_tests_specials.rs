//! Telegraphed specials and their answers ([`crate::special`]), and floors that fill up again.

use super::*;
use crate::ability::Target;
use crate::special::{Blow, Broken, Special};

/// Runs ticks one by one (at most `limit`) until an event matches `pred`; returns every event
/// of those ticks, or panics saying what never came.
fn run_until(
    fx: &mut Fx,
    limit: u64,
    what: &str,
    pred: impl Fn(&EventKind) -> bool,
) -> Vec<EventKind> {
    let mut seen = Vec::new();
    for _ in 0..limit {
        fx.run(1);
        let events: Vec<EventKind> = fx.world.events().iter().map(|e| e.kind.clone()).collect();
        let done = events.iter().any(&pred);
        seen.extend(events);
        if done {
            return seen;
        }
    }
    panic!("{what} did not happen within {limit} ticks: {seen:?}")
}

/// What player 0's client is sent now, applied.
fn poll(tracker: &mut Tracker, view: &mut ClientView, fx: &Fx) {
    let out = tracker.poll(&fx.world, fx.players[0], &BTreeMap::new());
    if let Some(update) = out.update {
        view.apply(update).unwrap();
    }
    if let Some(snap) = out.snapshot
        && view.apply_snapshot(snap).unwrap()
    {
        tracker.acked(view.snapshot());
    }
}

fn winds_up(k: &EventKind) -> bool {
    matches!(k, EventKind::WindsUp { .. })
}

fn hits_of(events: &[EventKind], name: &str) -> Vec<(Blow, u16, u16)> {
    events
        .iter()
        .filter_map(|k| match k {
            EventKind::MonsterHit {
                name: n,
                blow,
                damage,
                absorbed,
                ..
            } if n == name => Some((*blow, *damage, *absorbed)),
            _ => None,
        })
        .collect()
}

/// Everyone in the fixture tough enough to take anything here without going down.
fn tough(fx: &mut Fx) {
    for n in 0..fx.players.len() {
        let c = fx.character_mut(n);
        c.hp = 500;
    }
}

fn is_let_go(k: &EventKind) -> bool {
    matches!(
        k,
        EventKind::Unleashed { .. } | EventKind::SpecialBroken { .. }
    )
}

#[test]
fn a_charge_is_shown_before_it_comes_and_hits_whoever_stays_on_its_line_for_triple() {
    let mut fx = fixture(
        &["##########", "#@....O..#", "##########"],
        &[Class::Warrior],
    );
    tough(&mut fx);
    let events = run_until(&mut fx, 20, "a wind-up", winds_up);
    assert!(events.iter().any(|k| matches!(
        k,
        EventKind::WindsUp { monster: MonsterKind::Ogre, special: Special::Charge, name }
            if name == "P0"
    )));
    // Every client that sees it sees where it aims, and so the line it will run.
    let ogre = monster(&fx, MonsterKind::Ogre);
    let w = ogre.windup.expect("winding up");
    assert_eq!(w.aim, Pos::new(1, 1));
    let mut tracker = Tracker::new();
    let mut view = ClientView::new();
    poll(&mut tracker, &mut view, &fx);
    let shown = view.entities.iter().find(|e| e.id == ogre.id.0).unwrap();
    assert_eq!(shown.aim, Some(Pos::new(1, 1)));
    let cells = crate::special::threatened(MonsterKind::Ogre, shown.pos, Pos::new(1, 1), |p| {
        view.tile(p)
    });
    assert_eq!(cells, fx.world.special_cells(1, &ogre, &w));
    assert!(cells.contains(&Pos::new(1, 1)));
    // Nothing else happens until it lets go, and then P0, who stayed, takes a triple blow.
    let events = run_until(&mut fx, 25, "the charge", is_let_go);
    let hits = hits_of(&events, "P0");
    assert_eq!(hits.len(), 1, "{events:?}");
    let armour = fx.world.gear_of(&fx.players[0]).armor + Class::Warrior.stats().armor;
    let (lo, _) = MonsterKind::Ogre.stats().damage;
    assert_eq!(hits[0].0, Blow::Special(Special::Charge));
    assert!(
        hits[0].1 >= crate::combat::after_armour(3 * lo, armour),
        "{hits:?}"
    );
    assert_eq!(
        monster(&fx, MonsterKind::Ogre).pos,
        Pos::new(2, 1),
        "it ran up to P0"
    );
    assert!(monster(&fx, MonsterKind::Ogre).windup.is_none());
    let view_after = {
        poll(&mut tracker, &mut view, &fx);
        view.entities
            .iter()
            .find(|e| e.id == ogre.id.0)
            .unwrap()
            .aim
    };
    assert_eq!(view_after, None, "the telegraph is gone from the screen");
}

#[test]
fn stepping_off_the_line_makes_a_charge_run_into_nothing_and_stumble() {
    let mut fx = fixture(
        &["##########", "#@....O..#", "#........#", "##########"],
        &[Class::Mage],
    );
    tough(&mut fx);
    run_until(&mut fx, 20, "a wind-up", winds_up);
    fx.act(0, Move(Dir::S));
    let events = run_until(&mut fx, 25, "the charge", is_let_go);
    assert!(hits_of(&events, "P0").is_empty(), "{events:?}");
    assert!(events.iter().any(|k| matches!(
        k,
        EventKind::SpecialBroken {
            why: Broken::Nobody,
            ..
        }
    )));
    let ogre = monster(&fx, MonsterKind::Ogre);
    assert_eq!(ogre.pos, Pos::new(1, 1), "it ran the whole line");
    let stumble = fx.world.ticks(crate::special::STUMBLE_MS);
    assert!(ogre.next_act.0 >= fx.world.tick().0 + stumble - 1);
}

#[test]
fn a_snare_on_its_line_stops_a_charger_short() {
    let mut fx = fixture(
        &["##########", "#@....O..#", "##########"],
        &[Class::Ranger],
    );
    tough(&mut fx);
    run_until(&mut fx, 20, "a wind-up", winds_up);
    fx.act(
        0,
        Action::Ability {
            slot: 2,
            target: Target::Cell(Pos::new(3, 1)),
        },
    );
    let events = run_until(&mut fx, 25, "the charge", is_let_go);
    assert!(hits_of(&events, "P0").is_empty(), "{events:?}");
    assert!(events.iter().any(|k| matches!(
        k,
        EventKind::Snared {
            monster: MonsterKind::Ogre
        }
    )));
    let ogre = monster(&fx, MonsterKind::Ogre);
    assert_eq!(ogre.pos, Pos::new(3, 1));
    assert!(ogre.is_rooted(fx.world.tick()));
}

#[test]
fn frost_nova_breaks_a_wind_up() {
    let mut fx = fixture(&["#########", "#@l.....#", "#########"], &[Class::Mage]);
    tough(&mut fx);
    run_until(&mut fx, 20, "a wind-up", winds_up);
    fx.act(
        0,
        Action::Ability {
            slot: 1,
            target: Target::Auto,
        },
    );
    let events = run_until(&mut fx, 3, "the frost", |k| {
        matches!(
            k,
            EventKind::SpecialBroken {
                why: Broken::Frozen,
                ..
            }
        )
    });
    assert!(monster(&fx, MonsterKind::Salamander).windup.is_none());
    // The breath never comes.
    fx.run(30);
    assert!(
        !events
            .iter()
            .any(|k| matches!(k, EventKind::Unleashed { .. }))
    );
    assert!(
        hits_of(&events, "P0")
            .iter()
            .all(|h| h.0 != Blow::Special(Special::Breath))
    );
}

#[test]
fn a_breath_hits_its_cone_a_ward_takes_it_whole_and_a_shield_wall_covers_who_is_behind() {
    let mut fx = fixture(
        &[
            "#########",
            "#.......#",
            "#l.@.@..#",
            "#....@..#",
            "#.......#",
            "#########",
        ],
        &[Class::Warrior, Class::Mage, Class::Healer],
    );
    tough(&mut fx);
    run_until(&mut fx, 20, "a wind-up", winds_up);
    let sal = monster(&fx, MonsterKind::Salamander);
    assert_eq!(
        sal.windup.unwrap().aim,
        Pos::new(3, 2),
        "at the nearest, the warrior"
    );
    // The warrior raises a shield wall; the healer wards herself.
    let healer = fx.character(2).unwrap().id;
    fx.act(
        0,
        Action::Ability {
            slot: 2,
            target: Target::Auto,
        },
    );
    fx.act(
        2,
        Action::Ability {
            slot: 1,
            target: Target::Entity(healer),
        },
    );
    let events = run_until(&mut fx, 30, "the breath", is_let_go);
    let breath = Blow::Special(Special::Breath);
    let warrior = hits_of(&events, "P0");
    assert_eq!(warrior.len(), 1, "{events:?}");
    assert_eq!(warrior[0].0, breath);
    assert!(
        hits_of(&events, "P1").is_empty(),
        "the mage stood behind the shield wall"
    );
    let ward = hits_of(&events, "P2");
    assert_eq!(ward.len(), 1, "{events:?}");
    assert_eq!((ward[0].0, ward[0].1), (breath, 0), "the ward took it all");
    assert!(ward[0].2 >= 1);
    assert_eq!(fx.character(2).unwrap().ward, 0, "and is spent");
}

#[test]
fn a_curse_needs_its_target_in_sight_when_it_lets_go() {
    let rows = [
        "##########",
        "#i.....@.#",
        "#######.##",
        "#######.##",
        "##########",
    ];
    // Stays in sight: hit.
    let mut fx = fixture(&rows, &[Class::Healer]);
    tough(&mut fx);
    run_until(&mut fx, 20, "a wind-up", winds_up);
    let events = run_until(&mut fx, 35, "the curse", is_let_go);
    let hits = hits_of(&events, "P0");
    assert!(
        hits.iter().any(|h| h.0 == Blow::Special(Special::Curse)),
        "{events:?}"
    );
    // Steps round the corner: it finds no target.
    let mut fx = fixture(&rows, &[Class::Healer]);
    tough(&mut fx);
    run_until(&mut fx, 20, "a wind-up", winds_up);
    fx.act(0, Move(Dir::S)).run(5);
    fx.act(0, Move(Dir::S));
    let events = run_until(&mut fx, 35, "the curse", is_let_go);
    assert!(events.iter().any(|k| matches!(
        k,
        EventKind::SpecialBroken {
            why: Broken::LostSight,
            ..
        }
    )));
    assert!(
        hits_of(&events, "P0")
            .iter()
            .all(|h| h.0 != Blow::Special(Special::Curse))
    );
}

#[test]
fn a_taunt_turns_a_wind_up_on_the_warrior() {
    let mut fx = fixture(
        &[
            "##########",
            "#@....O..#",
            "#........#",
            "#@.......#",
            "##########",
        ],
        &[Class::Mage, Class::Warrior],
    );
    tough(&mut fx);
    // Both are five cells away: the ogre means the first, the mage.
    run_until(&mut fx, 20, "a wind-up", winds_up);
    let w = monster(&fx, MonsterKind::Ogre).windup.unwrap();
    assert_eq!(w.target, fx.players[0]);
    fx.act(
        1,
        Action::Ability {
            slot: 0,
            target: Target::Auto,
        },
    );
    let events = run_until(
        &mut fx,
        3,
        "the turn",
        |k| matches!(k, EventKind::WindsUp { name, .. } if name == "P1"),
    );
    assert!(!events.is_empty());
    let w = monster(&fx, MonsterKind::Ogre).windup.unwrap();
    assert_eq!((w.target, w.aim), (fx.players[1], Pos::new(1, 3)));
}

#[test]
fn a_floor_left_alone_long_fills_up_again_away_from_who_arrives() {
    let mut fx = fixture(
        &[
            "##############################",
            "#@...........................#",
            "#............................#",
            "##############################",
        ],
        &[Class::Warrior],
    );
    let before = fx.world.floor(1).unwrap().monsters.len();
    assert_eq!(before, 0);
    // Just visited: nothing comes.
    fx.world.repopulate(1, Pos::new(1, 1));
    assert_eq!(fx.world.floor(1).unwrap().monsters.len(), 0);
    // Away for two stretches (nobody else there): two monsters (and any kin).
    let stretch = fx.world.ticks(REPOPULATE_MS);
    fx.world.core.tick = Tick(fx.world.core.tick.0 + 2 * stretch);
    fx.world.floor_mut(1).unwrap().visited_at = Tick::ZERO;
    let me = fx.players[0];
    fx.world.core.players.get_mut(&me).unwrap().connected = false;
    fx.world.repopulate(1, Pos::new(1, 1));
    let floor = fx.world.floor(1).unwrap();
    let leaders = floor.monsters.len();
    assert!(
        (2..=crate::mapgen::spawn_count(1)).contains(&leaders),
        "{leaders}"
    );
    assert!(
        floor
            .monsters
            .values()
            .all(|m| m.pos.chebyshev(Pos::new(1, 1)) >= REPOPULATE_AWAY)
    );
    assert_eq!(
        floor.visited_at,
        fx.world.tick(),
        "and it counts as visited"
    );
    fx.world.repopulate(1, Pos::new(1, 1));
    assert_eq!(fx.world.floor(1).unwrap().monsters.len(), leaders);
}
