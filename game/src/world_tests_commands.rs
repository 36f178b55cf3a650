//! Commands checked at the boundary: what a client may ask for, and what is refused before the
//! world sees it.

use super::*;
use crate::command::{Invalid, MAX_LIST};
use crate::economy::{Goods, ItemId, Stack};
use crate::ore::{OreClass, SpawnId};

fn iron(fx: &mut Fx, units: u32) -> SpawnId {
    fx.world
        .give_ore(fx.players[0], OreClass::Iron, units)
        .expect("the ore is given")
}

#[test]
fn aimed_cells_must_lie_on_the_characters_floor() {
    let fx = fixture(&["#####", "#@..#", "#####"], &[Class::Mage]);
    let me = fx.players[0];
    let blink = |p| Action::Ability {
        slot: 2,
        target: Target::Cell(p),
    };
    assert!(fx.world.check_action(me, blink(Pos::new(3, 1))).is_ok());
    for p in [Pos::new(i16::MIN, 0), Pos::new(5, 1), Pos::new(0, -1)] {
        assert_eq!(
            fx.world.check_action(me, blink(p)),
            Err(Invalid::OffFloor(p))
        );
    }
    let slot = Action::Ability {
        slot: 3,
        target: Target::Auto,
    };
    assert_eq!(fx.world.check_action(me, slot), Err(Invalid::Slot(3)));
    let ghost = Action::Ability {
        slot: 0,
        target: Target::Entity(EntityId(999)),
    };
    assert_eq!(
        fx.world.check_action(me, ghost),
        Err(Invalid::UnknownEntity(999))
    );
}

#[test]
fn counts_must_be_held_and_are_summed_without_overflow() {
    let mut fx = fixture(&["#####", "#@..#", "#####"], W1);
    let me = fx.players[0];
    let spawn = iron(&mut fx, 5);
    let stack = |units| Stack { spawn, units };
    let drop = |stacks: Vec<Stack>| {
        Action::Drop(Goods {
            stacks,
            items: vec![],
        })
    };
    // Two stacks of one spawn are merged.
    let checked = fx
        .world
        .check_action(me, drop(vec![stack(2), stack(3)]))
        .unwrap();
    assert_eq!(checked.get(), &drop(vec![stack(5)]));
    assert_eq!(
        fx.world
            .check_action(me, drop(vec![stack(u32::MAX), stack(u32::MAX)])),
        Err(Invalid::MoreThanHeld {
            spawn: spawn.0,
            wanted: 2 * u64::from(u32::MAX),
            held: 5
        })
    );
    assert_eq!(
        fx.world.check_action(me, drop(vec![stack(0)])),
        Err(Invalid::EmptyStack)
    );
    let unknown = Stack {
        spawn: SpawnId(9999),
        units: 1,
    };
    assert_eq!(
        fx.world.check_action(me, Action::Deposit(vec![unknown])),
        Err(Invalid::UnknownSpawn(9999))
    );
    assert!(matches!(
        fx.world.check_action(me, Action::Withdraw(vec![stack(1)])),
        Err(Invalid::MoreThanHeld { held: 0, .. })
    ));
    let long = vec![stack(1); MAX_LIST + 1];
    assert_eq!(
        fx.world.check_action(me, Action::Deposit(long)),
        Err(Invalid::TooLong(MAX_LIST + 1))
    );
    assert_eq!(
        fx.world.check_action(me, Action::Equip(ItemId(42))),
        Err(Invalid::NotCarried(42))
    );
}

#[test]
fn trade_moves_need_a_trade_of_ones_own() {
    let mut fx = fixture(&["#####", "#@@.#", "#####"], &[Class::Warrior, Class::Mage]);
    let (a, b) = (fx.players[0], fx.players[1]);
    assert_eq!(
        fx.world.check_trade(a, TradeInput::Cancel { trade: 7 }),
        Err(Invalid::UnknownTrade(7))
    );
    let with = fx.character(1).unwrap().id;
    let open = fx
        .world
        .check_trade(a, TradeInput::Open { with })
        .expect("B is a player");
    fx.input(Input::Trade {
        player: a,
        trade: open,
    })
    .run(1);
    let id = fx.world.trade_of(&a).expect("the trade opened").id;
    let offer = |goods| TradeInput::Offer { trade: id, goods };
    let spawn = iron(&mut fx, 3);
    let too_much = Goods {
        stacks: vec![Stack { spawn, units: 4 }],
        items: vec![],
    };
    assert!(matches!(
        fx.world.check_trade(a, offer(too_much)),
        Err(Invalid::MoreThanHeld { .. })
    ));
    assert!(fx.world.check_trade(b, offer(Goods::default())).is_ok());
    let nobody = PlayerId([77; 32]);
    assert_eq!(
        fx.world
            .check_trade(nobody, TradeInput::Cancel { trade: id }),
        Err(Invalid::UnknownTrade(id))
    );
    assert_eq!(
        fx.world.check_action(nobody, Action::Wait),
        Err(Invalid::NoCharacter)
    );
}
