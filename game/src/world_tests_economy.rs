//! Mining, crafting, the vault, dropping and picking up, death, the Heart, trades and chat:
//! every ore unit moves by an economy entry, and the ledger replays to the same economy.

use super::*;
use crate::craft::{self, CRAFT_MS, Recipe, Slot};
use crate::economy::{Goods, Holder, ItemKind, Place, Stack};
use crate::event::CraftProblem;
use crate::items::MINE_MS;
use crate::ore::{OreClass, ROTATION_MS, SpawnId};

/// Ticks for one pass of mining at the fixtures' 20 Hz, plus one.
const MINE: u64 = 31;

/// Gives `player` `units` of the current spawn of `class`, through a hidden vein.
fn give(fx: &mut Fx, player: usize, class: OreClass, units: u32) -> SpawnId {
    fx.world
        .give_ore(fx.players[player], class, units)
        .expect("the ore is given")
}

/// The spawn that Iron veins yield now.
fn current_iron(fx: &Fx) -> SpawnId {
    fx.world
        .economy()
        .spawns
        .current(OreClass::Iron)
        .unwrap()
        .id
}

fn pack(fx: &Fx, player: usize) -> Vec<Stack> {
    fx.world.economy().stacks(Place::Pack(fx.players[player]))
}

#[test]
fn mining_constant_matches_the_rule() {
    assert_eq!(MINE, TickRate::DEFAULT.ticks(MINE_MS) + 1);
}

#[test]
fn walking_into_a_vein_mines_it_until_it_is_exhausted() {
    let mut fx = fixture(&["#####", "#@%.#", "#####"], W1);
    let iron = current_iron(&fx);
    let vein = Pos::new(2, 1);
    fx.act(0, Action::Move(E)).run(1);
    assert!(matches!(
        fx.character(0).unwrap().channel,
        Some(Channel::Mining { .. })
    ));
    assert!(
        pack(&fx, 0).is_empty(),
        "ore arrives only when mining finishes"
    );
    fx.run(fx.world.ticks(MINE_MS));
    let got = pack(&fx, 0);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].spawn, iron);
    assert!((1..=3).contains(&got[0].units));
    assert_eq!(
        fx.world.economy().vein(1, vein).unwrap().units as u32,
        5 - got[0].units
    );
    for _ in 0..6 {
        fx.act(0, Action::Move(E)).run(MINE);
    }
    assert_eq!(
        pack(&fx, 0)[0].units,
        5,
        "a vein yields exactly what it holds"
    );
    assert_eq!(
        fx.world.floor(1).unwrap().tile(vein),
        Tile::Wall,
        "exhausted veins close"
    );
}

#[test]
fn spawns_rotate_and_new_mining_yields_the_new_spawn() {
    let mut fx = fixture(&["#####", "#@%.#", "#####"], W1);
    let old = current_iron(&fx);
    // Each rotation replaces the stalest class; seven rotations reach Iron again at the latest.
    fx.run(fx.world.ticks(ROTATION_MS) * 7 + 1);
    let new = current_iron(&fx);
    assert_ne!(old, new);
    assert!(
        fx.world.economy().spawns.get(old).is_some(),
        "old spawns stay known"
    );
    fx.act(0, Action::Move(E)).run(MINE);
    assert_eq!(pack(&fx, 0)[0].spawn, new);
}

#[test]
fn crafting_makes_the_weighted_average_item_and_wears_it() {
    let mut fx = fixture(&["#####", "#@..#", "#####"], W1);
    let a = give(&mut fx, 0, OreClass::Iron, 5);
    let before = fx.world.gear_of(&fx.players[0]);
    let stacks = vec![Stack { spawn: a, units: 4 }];
    fx.act(
        0,
        Action::Craft {
            recipe: Recipe::Dagger,
            stacks,
        },
    )
    .run(1);
    assert!(
        fx.world
            .economy()
            .items_at(Holder::Carried(fx.players[0]))
            .is_empty()
    );
    fx.run(fx.world.ticks(CRAFT_MS));
    let items = fx.world.economy().items_at(Holder::Carried(fx.players[0]));
    assert_eq!(items.len(), 1);
    let attrs = fx.world.economy().spawns.get(a).unwrap().attrs;
    assert_eq!(
        Some(items[0].quality),
        craft::quality(Recipe::Dagger, &[(attrs, 4)])
    );
    assert_eq!(items[0].kind, ItemKind::Gear(Recipe::Dagger));
    assert_eq!(pack(&fx, 0), vec![Stack { spawn: a, units: 1 }]);
    let c = fx.character(0).unwrap();
    assert_eq!(c.equipped.get(&Slot::Weapon), Some(&items[0].id));
    assert!(
        fx.world.gear_of(&fx.players[0]).melee > before.melee,
        "gear changes combat"
    );
    let best = &fx.world.player(&fx.players[0]).unwrap().stats.best_crafted;
    assert_eq!(best.as_ref().map(|b| b.1), Some(items[0].quality));
    let crafted = crate::fact::FactKind::BestCrafted {
        item: items[0].name.clone(),
        quality: items[0].quality,
    };
    let facts: Vec<_> = fx.world.take_facts().into_iter().map(|f| f.kind).collect();
    assert_eq!(facts, vec![crafted]);
}

#[test]
fn a_recipe_needs_its_exact_units_and_a_hard_enough_ore() {
    let mut fx = fixture(&["#####", "#@..#", "#####"], W1);
    let copper = give(&mut fx, 0, OreClass::Copper, 10);
    let iron = give(&mut fx, 0, OreClass::Iron, 10);
    fx.act(
        0,
        Action::Craft {
            recipe: Recipe::Dagger,
            stacks: vec![Stack {
                spawn: iron,
                units: 3,
            }],
        },
    )
    .run(1);
    assert!(fx.told(&Notice::CannotCraft(CraftProblem::Units {
        recipe: Recipe::Dagger,
        need: 4,
        chose: 3
    })));
    fx.act(
        0,
        Action::Craft {
            recipe: Recipe::Axe,
            stacks: vec![Stack {
                spawn: copper,
                units: 10,
            }],
        },
    )
    .run(1);
    assert!(fx.told(&Notice::CannotCraft(CraftProblem::TooSoft {
        class: OreClass::Copper,
        recipe: Recipe::Axe
    })));
    assert!(fx.character(0).unwrap().channel.is_none());
}

#[test]
fn damage_interrupts_crafting_and_keeps_the_ore() {
    let mut fx = fixture(&["#####", "#@..#", "#####"], W1);
    let a = give(&mut fx, 0, OreClass::Iron, 4);
    fx.act(
        0,
        Action::Craft {
            recipe: Recipe::Dagger,
            stacks: vec![Stack { spawn: a, units: 4 }],
        },
    )
    .run(5);
    let me = fx.players[0];
    fx.world.hurt_character(
        me,
        5,
        crate::monster::MonsterKind::Rat,
        crate::special::Blow::Melee,
    );
    assert!(fx.character(0).unwrap().channel.is_none());
    fx.run(fx.world.ticks(CRAFT_MS));
    assert!(fx.world.economy().items_at(Holder::Carried(me)).is_empty());
    assert_eq!(pack(&fx, 0), vec![Stack { spawn: a, units: 4 }]);
}

#[test]
fn the_vault_works_only_at_a_shrine_and_withdrawing_makes_a_character_impure() {
    let mut fx = fixture(&["######", "#@.._#", "######"], W1);
    let a = give(&mut fx, 0, OreClass::Iron, 6);
    let me = fx.players[0];
    let totals = fx.world.economy().totals();
    fx.act(0, Action::Deposit(vec![Stack { spawn: a, units: 4 }]))
        .run(1);
    assert!(fx.told(&Notice::NeedShrine));
    assert_eq!(fx.world.economy().units(Place::Vault(me), a), 0);
    fx.act(0, Action::Move(E)).run(4);
    fx.act(0, Action::Move(E)).run(4); // next to the shrine
    fx.act(0, Action::Deposit(vec![Stack { spawn: a, units: 4 }]))
        .run(4);
    assert_eq!(fx.world.economy().units(Place::Vault(me), a), 4);
    assert_eq!(fx.world.economy().units(Place::Pack(me), a), 2);
    assert!(!fx.character(0).unwrap().impure);
    fx.act(0, Action::Withdraw(vec![Stack { spawn: a, units: 1 }]))
        .run(4);
    assert_eq!(fx.world.economy().units(Place::Vault(me), a), 3);
    assert!(fx.character(0).unwrap().impure);
    // Asking for more than is there moves nothing.
    fx.act(0, Action::Withdraw(vec![Stack { spawn: a, units: 9 }]))
        .run(4);
    assert_eq!(fx.world.economy().units(Place::Vault(me), a), 3);
    assert_eq!(fx.world.economy().totals(), totals);
}

#[test]
fn ore_dropped_can_be_picked_up_and_death_drops_everything() {
    let mut fx = fixture(
        &["######", "#@@..#", "######"],
        &[Class::Warrior, Class::Mage],
    );
    let a = give(&mut fx, 0, OreClass::Iron, 6);
    let here = Place::Ground {
        depth: 1,
        pos: Pos::new(1, 1),
    };
    let drop = Goods {
        stacks: vec![Stack { spawn: a, units: 2 }],
        items: vec![],
    };
    fx.act(0, Action::Drop(drop)).run(4);
    assert_eq!(fx.world.economy().units(here, a), 2);
    assert_eq!(fx.world.economy().piles(1), vec![Pos::new(1, 1)]);
    fx.act(0, Action::PickUp).run(4);
    assert_eq!(fx.world.economy().units(here, a), 0);
    assert_eq!(pack(&fx, 0), vec![Stack { spawn: a, units: 6 }]);
    // The warrior dies: the ore lies where it fell, the mage picks it up.
    fx.character_mut(0).hp = 0;
    fx.character_mut(0).life = Life::Downed { left: 1, revive: 0 };
    fx.run(1);
    assert!(fx.character(0).is_none());
    assert_eq!(fx.world.economy().units(here, a), 6);
    fx.act(1, Action::Move(W)).run(4); // swap is impossible with nobody there: step onto it
    fx.act(1, Action::PickUp).run(1);
    assert_eq!(pack(&fx, 1), vec![Stack { spawn: a, units: 6 }]);
}

#[test]
fn carrying_the_heart_out_is_a_victory_pure_unless_the_vault_was_touched() {
    let mut fx = fixture(
        &["#####", "#@<.#", "#@..#", "#####"],
        &[Class::Warrior, Class::Ranger],
    );
    fx.world.ensure_floor(12);
    let (holder, heart) = fx.world.economy().heart().map(|(h, i)| (h, i.id)).unwrap();
    let Holder::Ground { depth: 12, pos } = holder else {
        panic!("the Heart lies on floor 12, not {holder:?}")
    };
    let warden =
        fx.world.floor(12).unwrap().monsters.values().any(|m| {
            m.kind == crate::monster::MonsterKind::DeepWarden && m.pos.chebyshev(pos) <= 3
        });
    assert!(warden, "the Heart is unguarded");
    let me = fx.players[0];
    assert!(fx.world.grant(Entry::Moved {
        from: Place::Ground { depth: 12, pos },
        to: Place::Pack(me),
        stacks: vec![],
        items: vec![heart],
    }));
    // The Heart weighs: a step with it takes twice as long.
    let heavy = fx
        .world
        .ticks(MOVE_MS * crate::heart::HEART_WEIGHT_PERCENT / 100);
    fx.act(0, Action::Move(E)).run(heavy);
    let _ = fx.world.take_facts();
    fx.act(0, Action::Ascend).run(1);
    assert!(fx.happened(|k| matches!(k, EventKind::Victory { pure: true, .. })));
    let won = fx.world.take_facts();
    assert_eq!(won.len(), 1);
    assert_eq!((won[0].player, won[0].class), (me, Class::Warrior));
    let run_ticks = fx.world.tick() - Tick(1);
    assert_eq!(
        won[0].kind,
        crate::fact::FactKind::Victory {
            pure: true,
            run_ticks
        }
    );
    let stats = &fx.world.player(&me).unwrap().stats;
    assert_eq!((stats.victories, stats.pure_victories), (1, 1));
    assert_eq!(fx.world.economy().victories().len(), 1);
    // A new Heart forms on floor 12 half an hour later (looked at once a second), and
    // everyone is told.
    assert!(fx.world.economy().heart().is_none());
    let regrow = fx.world.ticks(crate::heart::REGROW_MS);
    fx.run(regrow - fx.world.ticks(1_000));
    assert!(fx.world.economy().heart().is_none(), "formed early");
    let mut formed = false;
    for _ in 0..fx.world.ticks(2_000) {
        fx.run(1);
        formed |= fx.happened(|k| matches!(k, EventKind::HeartFormed));
    }
    assert!(formed, "nobody was told");
    let (holder, again) = fx.world.economy().heart().map(|(h, i)| (h, i.id)).unwrap();
    assert!(matches!(holder, Holder::Ground { depth: 12, .. }));
    assert_ne!(again, heart);
    // The same character carries the new Heart out: a character wins only once.
    assert!(fx.world.grant(Entry::Moved {
        from: Place::Ground { depth: 12, pos },
        to: Place::Pack(me),
        stacks: vec![],
        items: vec![again],
    }));
    fx.run(4);
    fx.act(0, Action::Ascend).run(1);
    assert!(fx.told(&crate::event::Notice::AlreadyWon));
    assert!(!fx.happened(|k| matches!(k, EventKind::Victory { .. })));
    assert_eq!(fx.world.economy().victories().len(), 1);
    assert!(matches!(fx.world.economy().heart(), Some((Holder::Carried(p), _)) if p == me));
    // Handed to a friend who touched the vault, it wins, but not purely.
    let friend = fx.players[1];
    assert!(fx.world.grant(Entry::Moved {
        from: Place::Pack(me),
        to: Place::Pack(friend),
        stacks: vec![],
        items: vec![again],
    }));
    fx.act(0, Action::Move(W)).run(4);
    fx.character_mut(1).impure = true;
    fx.act(1, Action::Move(crate::geom::Dir::NE)).run(heavy);
    fx.act(1, Action::Ascend).run(1);
    assert!(fx.happened(|k| matches!(k, EventKind::Victory { pure: false, .. })));
    let stats = &fx.world.player(&friend).unwrap().stats;
    assert_eq!((stats.victories, stats.pure_victories), (1, 0));
    // The next Heart is half an hour away again.
    assert!(fx.world.economy().heart().is_none());
}

fn trade_input(fx: &mut Fx, player: usize, trade: TradeInput) {
    let id = fx.players[player];
    fx.input(Input::Trade {
        player: id,
        trade: Checked::trusted(trade),
    })
    .run(1);
}

#[test]
fn a_trade_swaps_only_when_both_accept_the_same_offers() {
    let mut fx = fixture(
        &["######", "#@.@.#", "######"],
        &[Class::Warrior, Class::Mage],
    );
    let (a, b) = (fx.players[0], fx.players[1]);
    let ore = give(&mut fx, 0, OreClass::Iron, 5);
    let copper = give(&mut fx, 1, OreClass::Copper, 3);
    let b_entity = fx.character(1).unwrap().id;
    trade_input(&mut fx, 0, TradeInput::Open { with: b_entity });
    let id = fx.world.trade_of(&a).expect("open").id;
    let offer = |stacks| TradeInput::Offer {
        trade: id,
        goods: Goods {
            stacks,
            items: vec![],
        },
    };
    trade_input(
        &mut fx,
        0,
        offer(vec![Stack {
            spawn: ore,
            units: 4,
        }]),
    );
    trade_input(
        &mut fx,
        1,
        offer(vec![Stack {
            spawn: copper,
            units: 3,
        }]),
    );
    let phase = fx.world.trade_of(&a).unwrap().phase;
    trade_input(&mut fx, 0, TradeInput::Accept { trade: id, phase });
    // B changes the offer: A's acceptance is void, and an acceptance of the old phase is ignored.
    trade_input(
        &mut fx,
        1,
        offer(vec![Stack {
            spawn: copper,
            units: 2,
        }]),
    );
    assert_eq!(fx.world.trade_of(&a).unwrap().accepted, [false, false]);
    trade_input(&mut fx, 1, TradeInput::Accept { trade: id, phase });
    assert_eq!(fx.world.trade_of(&a).unwrap().accepted, [false, false]);
    let phase = fx.world.trade_of(&a).unwrap().phase;
    trade_input(&mut fx, 1, TradeInput::Accept { trade: id, phase });
    assert!(
        fx.world.trade_of(&a).is_some(),
        "one acceptance is not enough"
    );
    trade_input(&mut fx, 0, TradeInput::Accept { trade: id, phase });
    assert!(fx.world.trade_of(&a).is_none(), "the trade completed");
    assert_eq!(fx.world.economy().units(Place::Pack(a), ore), 1);
    assert_eq!(fx.world.economy().units(Place::Pack(b), ore), 4);
    assert_eq!(fx.world.economy().units(Place::Pack(a), copper), 2);
    assert_eq!(fx.world.economy().units(Place::Pack(b), copper), 1);
    let history = fx.world.take_trades();
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].id, history[0].a, history[0].b), (id, a, b));
    assert!(fx.world.take_trades().is_empty(), "taken once");
}

#[test]
fn a_trade_of_nothing_for_nothing_completes_without_a_record() {
    let mut fx = fixture(
        &["######", "#@@..#", "######"],
        &[Class::Warrior, Class::Mage],
    );
    let with = fx.character(1).unwrap().id;
    trade_input(&mut fx, 0, TradeInput::Open { with });
    let t = fx.world.trade_of(&fx.players[0]).expect("open");
    let (id, phase) = (t.id, t.phase);
    trade_input(&mut fx, 0, TradeInput::Accept { trade: id, phase });
    trade_input(&mut fx, 1, TradeInput::Accept { trade: id, phase });
    assert!(fx.world.trade_of(&fx.players[0]).is_none(), "done");
    assert!(fx.world.take_trades().is_empty());
}

#[test]
fn disconnecting_cancels_a_trade_and_nothing_moves() {
    let mut fx = fixture(
        &["######", "#@.@.#", "######"],
        &[Class::Warrior, Class::Mage],
    );
    let (a, b) = (fx.players[0], fx.players[1]);
    let ore = give(&mut fx, 0, OreClass::Iron, 5);
    let b_entity = fx.character(1).unwrap().id;
    trade_input(&mut fx, 0, TradeInput::Open { with: b_entity });
    let id = fx.world.trade_of(&a).unwrap().id;
    let goods = Goods {
        stacks: vec![Stack {
            spawn: ore,
            units: 5,
        }],
        items: vec![],
    };
    trade_input(&mut fx, 0, TradeInput::Offer { trade: id, goods });
    fx.input(Input::Disconnect {
        player: b,
        why: Departure::Lost,
    })
    .run(1);
    assert!(fx.world.trade_of(&a).is_none());
    assert_eq!(fx.world.economy().units(Place::Pack(a), ore), 5);
    // Offering what one does not carry is refused.
    let mut fx = fixture(
        &["######", "#@.@.#", "######"],
        &[Class::Warrior, Class::Mage],
    );
    let b_entity = fx.character(1).unwrap().id;
    trade_input(&mut fx, 0, TradeInput::Open { with: b_entity });
    let id = fx.world.trade_of(&fx.players[0]).unwrap().id;
    let phantom = Goods {
        stacks: vec![Stack {
            spawn: SpawnId(1),
            units: 99,
        }],
        items: vec![],
    };
    trade_input(
        &mut fx,
        0,
        TradeInput::Offer {
            trade: id,
            goods: phantom,
        },
    );
    assert!(fx.told(&Notice::OfferNotCarried));
}

#[test]
fn chat_is_sanitised_kept_to_200_lines_and_saved() {
    let mut fx = fixture(&["#####", "#@..#", "#####"], W1);
    let me = fx.players[0];
    fx.input(Input::Chat {
        player: me,
        text: "\u{1b}[31mhello\u{202e}".into(),
    })
    .run(1);
    assert!(fx.happened(
        |k| matches!(k, EventKind::Chat { name, text } if name == "P0" && text == "[31mhello")
    ));
    for i in 0..250 {
        fx.input(Input::Chat {
            player: me,
            text: format!("line {i}"),
        });
    }
    fx.run(1);
    let chat = fx.world.chat();
    assert_eq!(chat.len(), crate::world::CHAT_LINES);
    assert_eq!(chat.back().unwrap().text, "line 249");
    assert_eq!(chat.front().unwrap().text, "line 50");
    let loaded = World::from_save(fx.world.full_save()).unwrap();
    assert_eq!(loaded.chat(), fx.world.chat());
}

#[test]
fn mining_moving_and_banking_keep_every_spawn_conserved() {
    let mut fx = fixture(
        &["#######", "#@%._.#", "#..@..#", "#######"],
        &[Class::Warrior, Class::Mage],
    );
    let conserved = |fx: &Fx| assert_eq!(fx.world.economy().conservation(), vec![]);
    fx.act(0, Action::Move(E)).run(MINE);
    fx.act(0, Action::Move(E)).run(MINE);
    conserved(&fx);
    let mined = pack(&fx, 0);
    assert!(fx.world.economy().mined()[&mined[0].spawn] >= 2);
    fx.act(
        0,
        Action::Drop(Goods {
            stacks: vec![Stack {
                spawn: mined[0].spawn,
                units: 1,
            }],
            items: vec![],
        }),
    )
    .run(4);
    conserved(&fx);
    fx.act(0, Action::PickUp).run(4);
    // To the shrine: around the vein, next to `_`.
    fx.act(1, Action::Move(E)).run(4);
    fx.act(0, Action::Move(crate::geom::Dir::SE)).run(4);
    fx.act(0, Action::Move(crate::geom::Dir::NE)).run(4);
    fx.act(0, Action::Deposit(vec![mined[0]])).run(4);
    conserved(&fx);
    assert_eq!(
        fx.world
            .economy()
            .units(Place::Vault(fx.players[0]), mined[0].spawn),
        mined[0].units
    );
}

#[test]
fn a_client_that_connects_again_first_gets_the_chat_history() {
    let mut fx = fixture(&["#####", "#@..#", "#####"], W1);
    let me = fx.players[0];
    for i in 0..3 {
        fx.input(Input::Chat {
            player: me,
            text: format!("line {i}"),
        })
        .run(1);
    }
    let rtt = std::collections::BTreeMap::new();
    let mut fresh = crate::view::Tracker::new();
    let update = fresh.poll(&fx.world, me, &rtt).update.unwrap();
    let chat: Vec<&str> = update
        .log
        .iter()
        .filter_map(|l| match &l.event {
            EventKind::Chat { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(chat, ["line 0", "line 1", "line 2"]);
    // After that, only new lines arrive.
    fx.input(Input::Chat {
        player: me,
        text: "line 3".into(),
    })
    .run(1);
    let next = fresh.poll(&fx.world, me, &rtt).update.unwrap();
    let events: Vec<&EventKind> = next.log.iter().map(|l| &l.event).collect();
    let line3 = EventKind::Chat {
        name: "P0".into(),
        text: "line 3".into(),
    };
    assert_eq!(events, [&line3]);
}

// ----- client-supplied numbers never overflow inside the tick (regressions) -----

#[test]
fn dropping_two_huge_stacks_fails_without_overflow() {
    let mut fx = fixture(&["#####", "#@..#", "#####"], W1);
    let iron = give(&mut fx, 0, OreClass::Iron, 5);
    let before = fx.world.economy().totals();
    let huge = Stack {
        spawn: iron,
        units: u32::MAX,
    };
    fx.act(
        0,
        Action::Drop(Goods {
            stacks: vec![huge, huge],
            items: vec![],
        }),
    )
    .run(1);
    assert_eq!(fx.world.economy().totals(), before);
    assert_eq!(
        pack(&fx, 0),
        vec![Stack {
            spawn: iron,
            units: 5
        }]
    );
}

#[test]
fn blinking_at_the_edge_of_the_coordinate_range_fails_without_overflow() {
    let mut fx = fixture(&["#####", "#@..#", "#####"], &[Class::Mage]);
    let start = fx.character(0).unwrap().pos;
    for cell in [
        Pos::new(i16::MIN, 0),
        Pos::new(i16::MAX, i16::MAX),
        Pos::new(0, i16::MIN),
    ] {
        fx.act(
            0,
            Action::Ability {
                slot: 2,
                target: crate::ability::Target::Cell(cell),
            },
        )
        .run(1);
        assert_eq!(fx.character(0).unwrap().pos, start);
    }
}

/// Ore out of a vault carries the taint wherever it goes: through a trade, onto the ground and
/// into whatever is crafted from it; whoever takes it can no longer win a Pure Victory, and it
/// leaves a pack before the pack's own ore does (no laundering by handing on pure ore).
#[test]
fn withdrawn_ore_taints_whoever_takes_it_through_trades_drops_and_crafting() {
    let mut fx = fixture(
        &["#######", "#_@@@.#", "#######"],
        &[Class::Warrior, Class::Mage, Class::Ranger],
    );
    let (a, b, c) = (fx.players[0], fx.players[1], fx.players[2]);
    let iron = give(&mut fx, 0, OreClass::Iron, 20);
    fx.act(
        0,
        Action::Deposit(vec![Stack {
            spawn: iron,
            units: 12,
        }]),
    )
    .run(4);
    fx.act(
        0,
        Action::Withdraw(vec![Stack {
            spawn: iron,
            units: 10,
        }]),
    )
    .run(4);
    let economy = |fx: &Fx| fx.world.economy().clone();
    assert_eq!(economy(&fx).units(Place::Pack(a), iron), 18);
    assert_eq!(economy(&fx).withdrawn(Place::Pack(a), iron), 10);
    assert!(fx.character(0).unwrap().impure);

    // A trades 10 units to B: the withdrawn ones go first, so A keeps 8 pure and B is impure.
    let b_entity = fx.character(1).unwrap().id;
    trade_input(&mut fx, 0, TradeInput::Open { with: b_entity });
    let id = fx.world.trade_of(&a).expect("open").id;
    let goods = Goods {
        stacks: vec![Stack {
            spawn: iron,
            units: 10,
        }],
        items: vec![],
    };
    trade_input(&mut fx, 0, TradeInput::Offer { trade: id, goods });
    let phase = fx.world.trade_of(&a).unwrap().phase;
    assert!(!fx.character(1).unwrap().impure);
    trade_input(&mut fx, 0, TradeInput::Accept { trade: id, phase });
    trade_input(&mut fx, 1, TradeInput::Accept { trade: id, phase });
    assert!(fx.world.trade_of(&a).is_none(), "the trade completed");
    assert_eq!(economy(&fx).withdrawn(Place::Pack(a), iron), 0);
    assert_eq!(economy(&fx).withdrawn(Place::Pack(b), iron), 10);
    assert!(fx.character(1).unwrap().impure);
    assert!(fx.told(&Notice::Tainted));

    // B crafts a sword from it: the sword is tainted.
    let recipe = Recipe::Sword;
    let units = recipe.def().units;
    fx.act(
        1,
        Action::Craft {
            recipe,
            stacks: vec![Stack { spawn: iron, units }],
        },
    );
    let craft = fx.world.ticks(CRAFT_MS) + 2;
    fx.run(craft);
    let sword = fx
        .world
        .economy()
        .items_at(Holder::Carried(b))
        .iter()
        .find(|i| matches!(i.kind, ItemKind::Gear(Recipe::Sword)))
        .map(|i| i.id)
        .expect("a sword was crafted");
    assert!(fx.world.economy().is_tainted(sword));

    // B drops the sword and what ore is left; C (pure) picks them up and is impure.
    let here = fx.character(1).unwrap().pos;
    let left = fx.world.economy().units(Place::Pack(b), iron);
    let drop = Goods {
        stacks: vec![Stack {
            spawn: iron,
            units: left,
        }],
        items: vec![sword],
    };
    fx.act(1, Action::Drop(drop)).run(4);
    let ground = Place::Ground {
        depth: 1,
        pos: here,
    };
    assert_eq!(
        economy(&fx).withdrawn(ground, iron),
        10 - units.min(10),
        "what was not crafted stays withdrawn on the ground"
    );
    fx.world.set_position(b, 1, Pos::new(5, 1));
    fx.world.set_position(c, 1, here);
    assert!(!fx.character(2).unwrap().impure);
    fx.act(2, Action::PickUp).run(4);
    assert!(
        fx.character(2).unwrap().impure,
        "the tainted sword was taken"
    );
    assert!(fx.world.economy().is_tainted(sword));

    // What A kept is its own mined ore: nothing in its pack is marked.
    assert!(!fx.world.economy().holds_taint(Place::Pack(a)));
    assert!(fx.world.economy().conservation().is_empty());
}
