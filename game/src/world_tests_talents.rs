//! Talents: chosen once a tier from the tier's level, each mastering one ability.

use super::*;
use crate::ability::{FREEZE_MS, ROOT_MS, Target};
use crate::command::Invalid;
use crate::monster::MonsterKind;
use crate::progress::xp_for;
use crate::talent::NotLearned;

fn reach_level(fx: &mut Fx, player: usize, level: u8) {
    fx.character_mut(player).xp = xp_for(level);
}

fn learn(fx: &mut Fx, player: usize, tier: u8, pick: u8) {
    fx.act(player, Action::Learn { tier, pick }).run(1);
}

#[test]
fn a_talent_opens_at_its_level_is_chosen_once_and_the_party_hears_of_it() {
    let mut fx = fixture(&["#####", "#@.@#", "#####"], &[Class::Mage, Class::Healer]);
    assert_eq!(fx.character(0).unwrap().talent_due(), None);
    learn(&mut fx, 0, 0, 0);
    assert!(fx.told(&Notice::NoTalent(NotLearned::TooLow { level: 4 })));
    assert_eq!(fx.character(0).unwrap().talents, [None; 3]);

    reach_level(&mut fx, 0, 4);
    assert_eq!(fx.character(0).unwrap().talent_due(), Some(0));
    learn(&mut fx, 0, 0, 1);
    assert_eq!(fx.character(0).unwrap().talents, [Some(1), None, None]);
    assert_eq!(fx.character(0).unwrap().talent_due(), None);
    assert!(fx.happened(|k| matches!(
        k,
        EventKind::Learned {
            class: Class::Mage,
            tier: 0,
            pick: 1,
            ..
        }
    )));
    // For good: neither the other talent of the tier nor the same again.
    learn(&mut fx, 0, 0, 0);
    assert!(fx.told(&Notice::NoTalent(NotLearned::Chosen)));
    assert_eq!(fx.character(0).unwrap().talents, [Some(1), None, None]);
    // Level 8 is not reached: tier 1 waits.
    learn(&mut fx, 0, 1, 0);
    assert!(fx.told(&Notice::NoTalent(NotLearned::TooLow { level: 8 })));
    // It takes no time: the character can act at once.
    assert!(fx.character(0).unwrap().ready_at <= fx.world.tick());
}

#[test]
fn talents_that_do_not_exist_are_refused_at_the_boundary() {
    let fx = fixture(&["####", "#@.#", "####"], W1);
    let player = fx.players[0];
    for (tier, pick) in [(3, 0), (0, 2), (255, 255)] {
        assert_eq!(
            fx.world.check_action(player, Action::Learn { tier, pick }),
            Err(Invalid::Talent { tier, pick })
        );
    }
    assert!(
        fx.world
            .check_action(player, Action::Learn { tier: 2, pick: 1 })
            .is_ok()
    );
}

#[test]
fn a_downed_character_can_still_choose() {
    let mut fx = fixture(&["####", "#@.#", "####"], W1);
    reach_level(&mut fx, 0, 4);
    fx.character_mut(0).life = Life::Downed {
        left: 1000,
        revive: 0,
    };
    learn(&mut fx, 0, 0, 0);
    assert_eq!(fx.character(0).unwrap().talents[0], Some(0));
}

#[test]
fn quick_halves_a_cooldown_and_reach_lengthens_a_range() {
    // Battle Rhythm (warrior tier 1, pick 1): Cleave every 3 s instead of 6.
    let mut fx = fixture(&["#####", "#@o.#", "#####"], W1);
    reach_level(&mut fx, 0, 8);
    learn(&mut fx, 0, 0, 0);
    learn(&mut fx, 0, 1, 1);
    fx.world
        .floors
        .get_mut(&1)
        .unwrap()
        .monsters
        .values_mut()
        .for_each(|m| m.hp = 500);
    let start = fx.world.tick();
    fx.act(
        0,
        Action::Ability {
            slot: 1,
            target: Target::Auto,
        },
    )
    .run(1);
    let ready = fx.character(0).unwrap().cooldowns[1];
    assert_eq!(ready - start, fx.world.ticks(3_000));

    // Glacier (mage tier 1, pick 1): Frost Nova freezes two cells round.
    let mut fx = fixture(&["######", "#@.o.#", "######"], &[Class::Mage]);
    fx.act(
        0,
        Action::Ability {
            slot: 1,
            target: Target::Auto,
        },
    )
    .run(1);
    assert!(fx.told(&Notice::NoTarget(crate::event::Wanted::Adjacent)));
    reach_level(&mut fx, 0, 8);
    learn(&mut fx, 0, 1, 1);
    fx.act(
        0,
        Action::Ability {
            slot: 1,
            target: Target::Auto,
        },
    )
    .run(1);
    assert!(monster(&fx, MonsterKind::Orc).is_frozen(fx.world.tick()));
}

#[test]
fn potent_talents_make_effects_last_twice_as_long_and_heals_half_as_much_again() {
    // Deep Freeze: Frost Nova freezes 6 s.
    let mut fx = fixture(&["#####", "#@o.#", "#####"], &[Class::Mage]);
    fx.world
        .floors
        .get_mut(&1)
        .unwrap()
        .monsters
        .values_mut()
        .for_each(|m| m.hp = 500);
    reach_level(&mut fx, 0, 4);
    learn(&mut fx, 0, 0, 1);
    let start = fx.world.tick();
    fx.act(
        0,
        Action::Ability {
            slot: 1,
            target: Target::Auto,
        },
    )
    .run(1);
    let frozen = monster(&fx, MonsterKind::Orc).effects.frozen_until;
    assert_eq!(frozen - start, fx.world.ticks(2 * FREEZE_MS));

    // Deadfall: the ranger's Snare roots 8 s.
    let mut fx = fixture(
        &["##########", "#@.....g.#", "##########"],
        &[Class::Ranger],
    );
    reach_level(&mut fx, 0, 4);
    learn(&mut fx, 0, 0, 1);
    fx.act(
        0,
        Action::Ability {
            slot: 2,
            target: Target::Cell(Pos::new(4, 1)),
        },
    )
    .run(1);
    let mut rooted = None;
    for _ in 0..200 {
        fx.run(1);
        let g = monster(&fx, MonsterKind::Goblin);
        if g.effects.rooted_until > fx.world.tick() {
            rooted = Some((g.effects.rooted_until, fx.world.tick()));
            break;
        }
    }
    let (until, seen) = rooted.expect("the goblin never stepped on the snare");
    // Seen the tick after it stepped on it.
    assert_eq!(until - seen + 1, fx.world.ticks(2 * ROOT_MS));

    // Mending: Heal restores 18–30 (12–20 half as much again) on a level-4 healer.
    let mut fx = fixture(
        &["#####", "#@.@#", "#####"],
        &[Class::Healer, Class::Warrior],
    );
    reach_level(&mut fx, 0, 4);
    learn(&mut fx, 0, 0, 0);
    fx.character_mut(1).hp = 1;
    fx.act(
        0,
        Action::Ability {
            slot: 0,
            target: Target::Auto,
        },
    )
    .run(1);
    let healed = fx.character(1).unwrap().hp - 1;
    // Level 4 adds a point of power: 13–21, half again 19–31.
    assert!((19..=31).contains(&healed), "healed {healed}");
}
