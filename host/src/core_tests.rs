//! The host core under a virtual clock: admission, floods, lag, durability, storage faults,
//! reconnects, shutdown, and recovery after a crash. No sockets, no sleeps, no disk.

use std::time::Duration;

use game::floor::Floor;
use game::protocol::{ClientMsg, HostMsg, HostStatus, Refusal};
use game::{Action, Class, Dir, Input, PlayerId, Pos, Target, TickRate, World};

use crate::journal::{Checkpoint, recover};
use crate::rig::{Disk, Rig};
use crate::session::{ACTS_PER_TICK, MAX_LAG, MSGS_PER_SEC};
use crate::{Config, HostEvent, Persist, Rejected};

const HOST: PlayerId = PlayerId([1; 32]);
const ADA: PlayerId = PlayerId([2; 32]);
const BO: PlayerId = PlayerId([3; 32]);
const CY: PlayerId = PlayerId([4; 32]);
/// A room with a long corridor east of the stairs.
const ROOM: &[&str] = &[
    "##################",
    "#<...............#",
    "#................#",
    "##################",
];

fn world() -> World {
    World::with_first_floor("rig", 5, TickRate::DEFAULT, Floor::from_ascii(1, ROOM))
}

fn rig() -> Rig {
    Rig::new(world(), Config::new(HOST))
}

/// A host with room for one player (a solo game).
fn one_player_rig() -> Rig {
    let mut config = Config::new(HOST);
    config.max_players = 1;
    Rig::new(world(), config)
}

fn updates(rig: &Rig, conn: u64) -> usize {
    rig.client(conn)
        .inbox
        .iter()
        .filter(|m| matches!(m, HostMsg::Update(_) | HostMsg::Snapshot(_)))
        .count()
}

#[test]
fn the_host_player_needs_no_code_and_new_players_need_a_valid_one() {
    let mut rig = rig();
    assert!(rig.arrive(HOST, Rig::hello("host", None)).is_ok());
    assert_eq!(
        rig.arrive(ADA, Rig::hello("ada", None)).unwrap_err(),
        Refusal::InviteRequired
    );
    assert_eq!(
        rig.arrive(ADA, Rig::hello("ada", Some([0; 16])))
            .unwrap_err(),
        Refusal::WrongSecret
    );
    let secret = rig.secret().expect("invites are issued");
    let (_, welcome) = rig.arrive(ADA, Rig::hello("ada", Some(secret))).unwrap();
    assert!(!welcome.returning);
    assert_eq!(welcome.player, ADA);
}

#[test]
fn a_hello_that_names_another_world_is_refused_and_one_naming_this_world_admitted() {
    let mut rig = rig();
    let secret = rig.secret().expect("invites are issued");
    let name = rig.host.world().name().to_owned();
    let mut hello = Rig::hello("ada", Some(secret));
    hello.world = Some(format!("{name}-not"));
    assert_eq!(
        rig.arrive(ADA, hello.clone()).unwrap_err(),
        Refusal::NoSuchWorld {
            world: format!("{name}-not")
        }
    );
    hello.world = Some(name);
    assert!(rig.arrive(ADA, hello).is_ok());
}

#[test]
fn a_returning_player_needs_no_code_and_an_expired_one_is_told_so() {
    let mut rig = rig();
    let conn = rig.join(ADA, "ada", Class::Mage);
    rig.depart(conn);
    rig.run_ticks(2);
    // Days later: the code has expired, a new one was issued, Ada still comes back.
    let old = rig.secret().unwrap();
    rig.jump_wall_clock(2 * 24 * 3600);
    rig.run_for(Duration::from_secs(1));
    assert_ne!(rig.secret().unwrap(), old, "renewed");
    assert!(
        rig.events
            .iter()
            .any(|e| matches!(e, HostEvent::InviteIssued(s) if s.secret != old))
    );
    let (_, welcome) = rig.arrive(ADA, Rig::hello("ada", None)).unwrap();
    assert!(welcome.returning);
    assert_eq!(
        rig.arrive(BO, Rig::hello("bo", Some(old))).unwrap_err(),
        Refusal::ExpiredSecret
    );
}

#[test]
fn a_full_game_refuses_newcomers_but_not_a_reconnect_which_replaces_the_old_connection() {
    let mut rig = one_player_rig();
    let first = rig.join(ADA, "ada", Class::Warrior);
    let secret = rig.secret();
    assert!(matches!(
        rig.arrive(BO, Rig::hello("bo", secret)),
        Err(Refusal::Full { max_players: 1 })
    ));
    let (second, welcome) = rig.arrive(ADA, Rig::hello("ada", None)).unwrap();
    assert!(welcome.returning);
    let old = rig.client(first);
    assert_eq!(
        old.closed.as_deref(),
        Some("this identity connected again from elsewhere")
    );
    rig.run_ticks(2);
    assert!(rig.client(second).view.me.is_some(), "same character");
    let ada = rig.host.world().player(&ADA).unwrap();
    assert!(ada.connected);
}

#[test]
fn a_second_connection_with_the_hosts_own_key_is_refused_and_the_host_plays_on() {
    let mut rig = rig();
    let host = rig.join(HOST, "hana", Class::Mage);
    // A brogue started on the host's data dir dials in with the same key.
    assert_eq!(
        rig.arrive(HOST, Rig::hello("hana", None)).unwrap_err(),
        Refusal::AlreadyConnected
    );
    rig.run_ticks(2);
    assert_eq!(
        rig.client(host).closed,
        None,
        "the host's own session goes on"
    );
    assert!(rig.client(host).view.me.is_some());
    // Once the host's own player has left, its key is welcome again (the TUI host rejoining).
    rig.depart(host);
    rig.run_ticks(2);
    assert!(rig.arrive(HOST, Rig::hello("hana", None)).is_ok());
}

#[test]
fn round_trip_times_in_the_party_list_follow_big_changes_at_once_and_small_ones_slowly() {
    let mut rig = rig();
    let ada = rig.join(ADA, "ada", Class::Warrior);
    let bo = rig.join(BO, "bo", Class::Mage);
    let ada_rtt_seen_by_bo = |rig: &Rig| {
        rig.client(bo)
            .view
            .party
            .iter()
            .find(|m| m.name == "ada")
            .and_then(|m| m.rtt_ms)
    };
    let set = |rig: &mut Rig, ms: u64, wait: u64| {
        rig.host.handle_rtt(ada, Duration::from_millis(ms));
        rig.run_for(Duration::from_millis(wait));
    };
    set(&mut rig, 40, 1100);
    assert_eq!(ada_rtt_seen_by_bo(&rig), Some(40));
    set(&mut rig, 47, 1100);
    assert_eq!(ada_rtt_seen_by_bo(&rig), Some(40), "a small change waits");
    set(&mut rig, 120, 1100);
    assert_eq!(
        ada_rtt_seen_by_bo(&rig),
        Some(120),
        "a big one shows at once"
    );
    set(&mut rig, 125, 1100);
    assert_eq!(ada_rtt_seen_by_bo(&rig), Some(120));
    set(&mut rig, 125, 5000);
    assert_eq!(
        ada_rtt_seen_by_bo(&rig),
        Some(125),
        "and small ones within a few seconds"
    );
}

#[test]
fn a_solo_world_pauses_without_ticking_and_a_shared_one_never_does() {
    let mut rig = one_player_rig();
    let me = rig.join(HOST, "hana", Class::Mage);
    rig.run_ticks(2);
    let before = rig.host.world().tick();
    let journal = rig.journal().len();
    rig.send(me, ClientMsg::Pause { paused: true }).unwrap();
    rig.run_for(Duration::from_secs(3));
    assert_eq!(rig.host.world().tick(), before, "no tick while paused");
    assert_eq!(rig.journal().len(), journal, "nothing journaled");
    rig.send(me, ClientMsg::Pause { paused: false }).unwrap();
    rig.run_for(Duration::from_secs(1));
    assert!(rig.host.world().tick().0 >= before.0 + 15, "resumed");
    // With room for friends, nobody pauses the world.
    let mut rig = self::rig();
    let ada = rig.join(ADA, "ada", Class::Warrior);
    assert_eq!(
        rig.send(ada, ClientMsg::Pause { paused: true })
            .unwrap_err(),
        Rejected::NotSolo
    );
    let before = rig.host.world().tick();
    rig.run_for(Duration::from_secs(1));
    assert!(rig.host.world().tick().0 > before.0);
}

#[test]
fn a_flood_is_cut_to_the_rate_and_a_long_flood_disconnects() {
    let mut rig = rig();
    let conn = rig.join(ADA, "ada", Class::Warrior);
    let mut taken = 0;
    let mut dropped = 0;
    for _ in 0..200 {
        match rig.send(conn, ClientMsg::Chat { text: "x".into() }) {
            Ok(()) => taken += 1,
            Err(Rejected::OverBudget | Rejected::OverRate) => dropped += 1,
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert!(taken <= MSGS_PER_SEC as usize && taken > 0);
    assert_eq!(taken + dropped, 200);
    let mut verdict = Ok(());
    for _ in 0..1000 {
        verdict = rig.send(conn, ClientMsg::Chat { text: "x".into() });
        if verdict == Err(Rejected::Flooding) {
            break;
        }
    }
    assert_eq!(verdict, Err(Rejected::Flooding));
    assert_eq!(
        rig.client(conn).closed.as_deref(),
        Some("too many messages")
    );
    rig.run_ticks(1);
    assert!(!rig.host.world().player(&ADA).unwrap().connected);
}

#[test]
fn a_flood_of_actions_never_moves_a_character_faster() {
    let mut rig = rig();
    let conn = rig.join(ADA, "ada", Class::Warrior);
    let start = rig.client(conn).view.me.as_ref().unwrap().pos;
    // Two seconds of holding "east" as fast as the rate allows: at most a move per 4 ticks.
    for _ in 0..40 {
        for _ in 0..ACTS_PER_TICK + 3 {
            let _ = rig.act(conn, Action::Move(Dir::E));
        }
        rig.run_ticks(1);
    }
    let end = rig.client(conn).view.me.as_ref().unwrap().pos;
    let moved = end.x - start.x;
    assert!((8..=11).contains(&moved), "moved {moved} cells in 40 ticks");
}

#[test]
fn invalid_commands_are_refused_before_the_world_sees_them() {
    let mut rig = rig();
    let conn = rig.join(ADA, "ada", Class::Mage);
    let before = rig.host.world().state_hash();
    let blink = Action::Ability {
        slot: 2,
        target: Target::Cell(Pos::new(i16::MIN, 0)),
    };
    assert!(matches!(
        rig.act(conn, blink),
        Err(Rejected::Invalid(game::Invalid::OffFloor(_)))
    ));
    let huge = game::Stack {
        spawn: game::ore::SpawnId(1),
        units: u32::MAX,
    };
    let drop = Action::Drop(game::Goods {
        stacks: vec![huge, huge],
        items: vec![],
    });
    assert!(matches!(
        rig.act(conn, drop),
        Err(Rejected::Invalid(game::Invalid::MoreThanHeld { .. }))
    ));
    assert_eq!(rig.host.world().state_hash(), before, "nothing queued");
    // A second Hello breaks the protocol.
    assert_eq!(
        rig.send(conn, ClientMsg::Hello(Rig::hello("ada", None))),
        Err(Rejected::SecondHello)
    );
    assert!(rig.client(conn).closed.is_some());
}

#[test]
fn updates_wait_until_their_tick_is_durable() {
    let mut rig = rig();
    let conn = rig.join(ADA, "ada", Class::Warrior);
    let shown = updates(&rig, conn);
    rig.disk = Disk::Stalled;
    rig.act(conn, Action::Move(Dir::E)).unwrap();
    rig.run_ticks(5);
    assert_eq!(
        updates(&rig, conn),
        shown,
        "nothing leaves before its tick is durable"
    );
    assert!(rig.host.held_updates() > 0);
    assert!(rig.host.unsaved_ticks() >= 5);
    let durable = rig.host.durable();
    rig.disk = Disk::Ok;
    rig.pump();
    assert!(rig.host.durable() > durable);
    assert!(updates(&rig, conn) > shown, "released once durable");
    // The view the client now holds is never ahead of what is on disk.
    let on_disk = rig.journal().last().unwrap().0;
    assert!(rig.client(conn).view.tick <= on_disk.0 + 1);
}

#[test]
fn a_full_disk_is_told_to_everyone_pauses_the_world_and_resumes_without_loss() {
    let mut rig = rig();
    let conn = rig.join(ADA, "ada", Class::Warrior);
    rig.disk = Disk::Full;
    rig.act(conn, Action::Move(Dir::E)).unwrap();
    rig.run_for(Duration::from_secs(3));
    let told = rig.client(conn).inbox.iter().any(|m| {
        matches!(m, HostMsg::Status(HostStatus::CannotSave { reason }) if reason.contains("No space"))
    });
    assert!(told, "players hear why the host cannot save");
    let stopped_at = rig.host.world().tick();
    assert_eq!(rig.host.unsaved_ticks(), rig.host.max_unsaved_ticks());
    rig.run_for(Duration::from_secs(2));
    assert_eq!(rig.host.world().tick(), stopped_at, "the world waits");
    // Space returns: everything waiting is written, in order, and the game goes on.
    rig.disk = Disk::Ok;
    rig.pump();
    assert_eq!(rig.host.unsaved_ticks(), 0);
    assert!(
        rig.client(conn)
            .inbox
            .iter()
            .any(|m| matches!(m, HostMsg::Status(HostStatus::Saving)))
    );
    let ticks: Vec<u64> = rig.journal().iter().map(|(t, _)| t.0).collect();
    let expected: Vec<u64> = (ticks[0]..stopped_at.0).collect();
    assert_eq!(ticks, expected, "no tick missing from the journal");
    rig.run_ticks(3);
    assert_eq!(rig.host.world().tick().0, stopped_at.0 + 3);
}

#[test]
fn a_client_that_cannot_keep_up_gets_a_full_view_then_is_dropped() {
    let mut rig = rig();
    let conn = rig.join(ADA, "ada", Class::Warrior);
    let bob = rig.join(PlayerId([3; 32]), "bob", Class::Mage);
    // Bob chats every half second: ada's stream has something to carry.
    let chatter = |rig: &mut Rig, d: Duration| {
        let end = rig.now.mono + d;
        while rig.now.mono < end {
            let _ = rig.send(bob, ClientMsg::Chat { text: "hi".into() });
            rig.run_for(Duration::from_millis(500));
        }
    };
    rig.full_queues.push(conn);
    chatter(&mut rig, MAX_LAG / 2);
    assert!(rig.client(conn).closed.is_none());
    rig.full_queues.clear();
    rig.act(conn, Action::Move(Dir::E)).unwrap();
    rig.run_ticks(2);
    // The first update after the drop is a full view, so the client's map is whole.
    assert!(rig.client(conn).view.known_cells() > 0);
    rig.full_queues.push(conn);
    chatter(&mut rig, MAX_LAG + Duration::from_secs(2));
    assert_eq!(
        rig.client(conn).closed.as_deref(),
        Some("your connection could not keep up")
    );
}

#[test]
fn a_dropped_player_returns_to_the_same_character_which_waited_safely() {
    let mut rig = rig();
    let conn = rig.join(ADA, "ada", Class::Ranger);
    rig.act(conn, Action::Move(Dir::E)).unwrap();
    rig.run_ticks(5);
    let before = rig.host.world().player(&ADA).unwrap().character.clone();
    rig.depart(conn);
    rig.run_ticks(2);
    assert!(!rig.host.world().player(&ADA).unwrap().connected);
    let (again, welcome) = rig.arrive(ADA, Rig::hello("ada", None)).unwrap();
    assert!(welcome.returning);
    rig.run_ticks(2);
    let after = rig.host.world().player(&ADA).unwrap().character.clone();
    assert_eq!(after.map(|c| (c.id, c.pos)), before.map(|c| (c.id, c.pos)));
    assert!(rig.client(again).view.me.is_some());
}

#[test]
fn shutting_down_disconnects_everyone_in_a_journalled_tick_and_says_goodbye() {
    let mut rig = rig();
    let a = rig.join(ADA, "ada", Class::Warrior);
    let b = rig.join(BO, "bo", Class::Healer);
    rig.host.shut_down();
    rig.pump();
    for conn in [a, b] {
        let c = rig.client(conn);
        assert_eq!(c.closed.as_deref(), Some(crate::CLOSING));
        assert!(matches!(c.inbox.last(), Some(HostMsg::Closing { .. })));
    }
    assert_eq!(rig.host.world().connected_count(), 0);
    assert!(matches!(rig.written.last(), Some(Persist::Checkpoint(_))));
    let last = rig.journal().last().cloned().unwrap();
    assert_eq!(
        last.1
            .iter()
            .filter(|i| matches!(i, Input::Disconnect { .. }))
            .count(),
        2
    );
    assert_eq!(
        rig.arrive(ADA, Rig::hello("ada", None)).unwrap_err(),
        Refusal::ShuttingDown
    );
}

#[test]
fn after_a_crash_the_checkpoint_and_journal_rebuild_the_world_exactly() {
    let mut config = Config::new(HOST);
    config.checkpoint_every = Duration::from_secs(2);
    let mut rig = Rig::new(world(), config);
    let a = rig.join(ADA, "ada", Class::Warrior);
    let b = rig.join(BO, "bo", Class::Mage);
    for i in 0..60 {
        let dir = Dir::ALL[i % 8];
        let _ = rig.act(a, Action::Move(dir));
        let _ = rig.act(b, Action::Move(Dir::ALL[(i + 3) % 8]));
        let _ = rig.send(
            b,
            ClientMsg::Chat {
                text: format!("{i}"),
            },
        );
        rig.run_ticks(3);
    }
    // Some ticks never reached the disk when the process died.
    rig.disk = Disk::Stalled;
    rig.run_ticks(4);
    let durable = rig.host.durable();
    assert!(rig.host.world().tick() > durable);
    let checkpoint: Checkpoint = rig
        .written
        .iter()
        .rev()
        .find_map(|p| match p {
            Persist::Checkpoint(c) => Some((**c).clone()),
            _ => None,
        })
        .expect("a checkpoint was taken");
    assert!(checkpoint.tick.0 > 0);
    let after: Vec<_> = rig
        .journal()
        .into_iter()
        .filter(|(t, _)| *t >= checkpoint.tick)
        .collect();
    let recovered = recover(checkpoint, after, durable).unwrap();
    // The reference: the same journal replayed from the very start.
    let reference = recover(
        Checkpoint::of(&world()),
        rig.journal().into_iter().filter(|(t, _)| *t < durable),
        durable,
    )
    .unwrap();
    assert_eq!(recovered.tick(), durable);
    assert_eq!(recovered.state_hash(), reference.state_hash());
    // Every client was shown at most what is durable.
    for conn in [a, b] {
        assert!(rig.client(conn).view.tick < durable.0 + 1);
    }
}

#[test]
fn a_world_resumed_at_another_rate_switches_with_a_journalled_input() {
    let mut config = Config::new(HOST);
    config.tick_rate = TickRate::new(30).unwrap();
    let mut rig = Rig::new(world(), config);
    rig.run_ticks(1);
    assert_eq!(rig.host.world().tick_rate().hz(), 30);
    let first = &rig.journal()[0].1;
    assert!(first.contains(&Input::SetTickRate(TickRate::new(30).unwrap())));
}

#[test]
fn a_player_back_before_the_first_tick_after_a_crash_is_connected() {
    // The save says Ada is connected: the host was killed while she played.
    let mut w = world();
    w.handle_tick(&[Input::Connect {
        player: ADA,
        name: "ada".into(),
    }]);
    let mut rig = Rig::new(w, Config::new(HOST));
    let (conn, welcome) = rig.arrive(ADA, Rig::hello("ada", None)).unwrap();
    assert!(welcome.returning);
    rig.run_ticks(2);
    assert!(rig.host.world().player(&ADA).unwrap().connected);
    rig.send(conn, ClientMsg::CreateCharacter { class: Class::Mage })
        .unwrap();
    rig.run_ticks(2);
    assert!(rig.client(conn).view.me.is_some());
}

#[test]
fn an_idle_host_writes_its_journal_in_groups_and_a_watched_one_every_tick() {
    let mut rig = rig();
    let before = rig.commits;
    rig.run_for(Duration::from_secs(2));
    let ticks = 2 * u64::from(TickRate::DEFAULT.hz());
    let commits = (rig.commits - before) as u64;
    assert!(commits <= 5, "{commits} commits for {ticks} idle ticks");
    // Every tick is still in the journal, in order.
    let journal: Vec<u64> = rig.journal().iter().map(|(t, _)| t.0).collect();
    assert_eq!(journal, (0..journal.len() as u64).collect::<Vec<_>>());
    assert!(journal.len() as u64 >= ticks - rig.host.max_unsaved_ticks());
    // Someone watching: each tick is committed at once and its update goes out.
    let conn = rig.join(ADA, "ada", Class::Warrior);
    let before = rig.commits;
    let seq = rig.act(conn, Action::Move(Dir::E)).unwrap();
    rig.run_ticks(1);
    assert_eq!(rig.client(conn).view.ack, seq);
    assert_eq!(rig.commits, before + 1);
}

/// A throwaway key for storms.
fn key(n: u32) -> PlayerId {
    let mut id = [9u8; 32];
    id[..4].copy_from_slice(&n.to_le_bytes());
    PlayerId(id)
}

#[test]
fn one_code_admits_a_few_new_players_at_a_time_up_to_its_count_then_a_new_code_is_issued() {
    let mut config = Config::new(HOST);
    config.max_new_per_code = 12;
    config.max_players = 64;
    let mut rig = Rig::new(world(), config);
    let ada = rig.join(ADA, "ada", Class::Warrior);
    let code = rig.secret().unwrap();
    // A storm: a burst gets in, then the code admits one new key per five seconds.
    let mut verdicts = Vec::new();
    for n in 0..12 {
        verdicts.push(
            rig.arrive(key(n), Rig::hello("storm", Some(code)))
                .map(|_| ()),
        );
    }
    let admitted = verdicts.iter().filter(|v| v.is_ok()).count();
    assert_eq!(admitted, 7, "Ada plus seven: the burst of eight is spent");
    assert!(verdicts.contains(&Err(Refusal::JoiningTooFast)));
    rig.run_for(crate::core::NEW_PLAYER_EVERY * 10);
    let mut later = Vec::new();
    for n in 12..24 {
        later.push(
            rig.arrive(key(n), Rig::hello("storm", Some(code)))
                .map(|_| ()),
        );
    }
    assert_eq!(
        later.iter().filter(|v| v.is_ok()).count(),
        4,
        "twelve in all"
    );
    assert!(later.contains(&Err(Refusal::CodeUsedUp { max: 12 })));
    assert!(
        Refusal::CodeUsedUp { max: 12 }
            .to_string()
            .contains("has admitted its 12 players; ask the host for a new one")
    );
    // The host has a fresh code to give, and the admissions were saved.
    let fresh = rig.secret().unwrap();
    assert_ne!(fresh, code);
    assert!(
        rig.events
            .iter()
            .any(|e| matches!(e, HostEvent::InviteIssued(s) if s.secret == fresh))
    );
    let saved = rig.written.iter().rev().find_map(|p| match p {
        Persist::Secrets(s) => Some(s.clone()),
        _ => None,
    });
    assert!(
        saved
            .unwrap()
            .iter()
            .any(|s| s.secret == code && s.admitted == 12)
    );
    // Ada, a returning player, is unaffected; so is a newcomer with the fresh code.
    assert!(rig.client(ada).closed.is_none());
    assert!(rig.arrive(BO, Rig::hello("bo", Some(fresh))).is_ok());
}

#[test]
fn keys_that_never_played_are_left_out_of_the_party_and_forgotten_a_day_later() {
    let mut config = Config::new(HOST);
    config.max_players = 64;
    config.max_new_per_code = 64;
    let mut rig = Rig::new(world(), config);
    let ada = rig.join(ADA, "ada", Class::Warrior);
    let bo = rig.join(BO, "bo", Class::Mage);
    rig.depart(bo);
    let code = rig.secret().unwrap();
    for n in 0..4 {
        rig.run_for(crate::core::NEW_PLAYER_EVERY);
        let (conn, _) = rig.arrive(key(n), Rig::hello("ghost", Some(code))).unwrap();
        rig.run_ticks(1);
        rig.depart(conn);
    }
    rig.run_ticks(2);
    assert_eq!(rig.host.world().players().count(), 6);
    let party: Vec<&str> = rig
        .client(ada)
        .view
        .party
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(
        party,
        ["ada", "bo"],
        "Ada first, Bo away but with a character"
    );
    rig.jump_wall_clock(crate::core::FORGET_AFTER_SECS + 60);
    rig.run_for(Duration::from_secs(2));
    let left: Vec<&str> = rig
        .host
        .world()
        .players()
        .map(|(_, p)| p.name.as_str())
        .collect();
    assert_eq!(left, ["ada", "bo"], "the four ghosts are forgotten");
    let journal = rig.journal();
    let forgets = journal
        .iter()
        .flat_map(|(_, inputs)| inputs)
        .filter(|i| matches!(i, Input::Forget { .. }))
        .count();
    assert_eq!(forgets, 4, "journalled, so a replay forgets them too");
}

#[test]
fn a_full_game_gives_an_idle_players_slot_to_a_new_arrival_but_never_an_active_ones() {
    let mut config = Config::new(HOST);
    config.max_players = 2;
    let mut rig = Rig::new(world(), config);
    let ada = rig.join(ADA, "ada", Class::Warrior);
    let bo = rig.join(BO, "bo", Class::Mage);
    let code = rig.secret().unwrap();
    assert!(matches!(
        rig.arrive(key(1), Rig::hello("cy", Some(code))),
        Err(Refusal::Full { max_players: 2 })
    ));
    // Ada keeps playing; Bo says nothing for ten minutes.
    for _ in 0..11 {
        rig.send(
            ada,
            ClientMsg::Chat {
                text: "still here".into(),
            },
        )
        .unwrap();
        rig.run_for(Duration::from_secs(60));
    }
    assert!(rig.arrive(key(1), Rig::hello("cy", Some(code))).is_ok());
    assert!(rig.client(ada).closed.is_none());
    let why = rig.client(bo).closed.clone().expect("Bo yielded his slot");
    assert!(why.contains("idle for 10 minutes"), "{why}");
    rig.run_ticks(2);
    let bo_player = rig.host.world().player(&BO).unwrap();
    assert!(
        !bo_player.connected && bo_player.character.is_some(),
        "his character waits"
    );
    // Now everyone is active: the next arrival finds the game full.
    assert!(matches!(
        rig.arrive(key(2), Rig::hello("di", Some(code))),
        Err(Refusal::Full { .. })
    ));
}

#[test]
fn actions_repeated_in_datagrams_are_taken_once_and_acks_move_the_baseline() {
    let mut rig = rig();
    let conn = rig.join(ADA, "ada", Class::Warrior);
    let pos = |rig: &Rig| {
        rig.host
            .world()
            .player(&ADA)
            .unwrap()
            .character
            .as_ref()
            .unwrap()
            .pos
    };
    let start = pos(&rig);
    let step = |seqs: &[u32]| game::protocol::ClientDatagram {
        snapshot: 0,
        acts: seqs.iter().map(|s| (*s, Action::Move(Dir::E))).collect(),
    };
    // The same action arrives three times (repeats in later datagrams): one step.
    for dg in [step(&[1]), step(&[1]), step(&[1])] {
        rig.host.handle_datagram(conn, dg, rig.now).unwrap();
    }
    rig.run_for(Duration::from_secs(1));
    assert_eq!(pos(&rig).x, start.x + 1);
    // Older numbers are ignored; a newer one in the same datagram is taken.
    rig.host
        .handle_datagram(conn, step(&[1, 2]), rig.now)
        .unwrap();
    rig.run_for(Duration::from_secs(1));
    assert_eq!(pos(&rig).x, start.x + 2);
    assert_eq!(rig.client(conn).view.ack, 2);
    // The rig acknowledges every snapshot, so snapshots are deltas.
    let last = rig.client(conn).inbox.iter().rev().find_map(|m| match m {
        HostMsg::Snapshot(s) => Some(s.clone()),
        _ => None,
    });
    assert!(last.unwrap().baseline().is_some());
    // A datagram with more repeats than any client sends closes the connection.
    let flood = step(&[3, 4, 5, 6, 7]);
    assert_eq!(
        rig.host.handle_datagram(conn, flood, rig.now),
        Err(Rejected::TooManyActs)
    );
    rig.pump();
    assert!(rig.client(conn).closed.is_some());
}

/// A hello asking to watch.
fn watching(name: &str, secret: Option<[u8; 16]>) -> game::protocol::Hello {
    let mut hello = Rig::hello(name, secret);
    hello.watch = true;
    hello
}

/// What a client shows: own status, creatures, and every tile with whether it is in sight.
fn picture(rig: &Rig, conn: u64) -> impl PartialEq + std::fmt::Debug {
    let view = &rig.client(conn).view;
    let cells: Vec<_> = rig
        .host
        .world()
        .floor(1)
        .unwrap()
        .tiles()
        .positions()
        .map(|p| (view.tile(p), view.in_sight(p)))
        .collect();
    (
        view.me.clone(),
        view.entities.clone(),
        view.party.clone(),
        cells,
    )
}

#[test]
fn a_spectator_takes_no_slot_and_sees_exactly_what_the_player_it_follows_sees() {
    let mut config = Config::new(HOST);
    config.max_players = 2;
    let mut rig = Rig::new(world(), config);
    let ada = rig.join(ADA, "Ada", Class::Warrior);
    let bo = rig.join(BO, "Bo", Class::Mage);
    for _ in 0..6 {
        let _ = rig.act(ada, Action::Move(Dir::E));
        let _ = rig.act(bo, Action::Move(Dir::SE));
        rig.run_ticks(5);
    }
    // The game is full, and a stranger with the code watches all the same, using none of it.
    let secret = rig.secret();
    let used = rig.host.secrets().last().unwrap().admitted;
    assert!(matches!(
        rig.arrive(key(9), Rig::hello("Cy", secret)),
        Err(Refusal::Full { .. })
    ));
    let (sam, welcome) = rig.arrive(key(10), watching("Sam", secret)).unwrap();
    assert!(!welcome.returning);
    assert_eq!(rig.host.secrets().last().unwrap().admitted, used);
    assert!(
        rig.host.world().player(&key(10)).is_none(),
        "not in the world"
    );
    rig.run_ticks(3);
    assert!(rig.client(sam).view.me.is_some());
    assert_ne!(
        picture(&rig, ada),
        picture(&rig, bo),
        "the two see differently"
    );
    // The first player with a character, then whoever is asked for, then the next.
    assert_eq!(picture(&rig, sam), picture(&rig, ada));
    rig.send(
        sam,
        ClientMsg::Follow {
            name: Some("bo".into()),
        },
    )
    .unwrap();
    rig.run_ticks(3);
    assert_eq!(picture(&rig, sam), picture(&rig, bo));
    let _ = rig.act(bo, Action::Move(Dir::W));
    rig.run_ticks(6);
    assert_eq!(picture(&rig, sam), picture(&rig, bo));
    rig.send(sam, ClientMsg::Follow { name: None }).unwrap();
    rig.run_ticks(3);
    assert_eq!(picture(&rig, sam), picture(&rig, ada));
    rig.run_for(Duration::from_secs(1));
    assert!(
        rig.events
            .contains(&HostEvent::Spectators(vec!["Sam".into()]))
    );
    assert_eq!(rig.host.spectators(), ["Sam"]);
}

#[test]
fn a_spectator_cannot_act_chat_or_trade_and_each_try_is_counted() {
    let mut rig = rig();
    let ada = rig.join(ADA, "Ada", Class::Warrior);
    let (sam, _) = rig.arrive(key(10), watching("Sam", rig.secret())).unwrap();
    let journal_before = rig.journal().len();
    let tries = [
        ClientMsg::Act {
            seq: 1,
            action: Action::Move(Dir::E),
        },
        ClientMsg::Chat { text: "hi".into() },
        ClientMsg::CreateCharacter { class: Class::Mage },
        ClientMsg::Pause { paused: true },
        ClientMsg::Party(game::party::PartyCmd::Invite("Ada".into())),
    ];
    for msg in tries {
        assert!(matches!(rig.send(sam, msg), Err(Rejected::Spectator)));
    }
    let datagram = game::protocol::ClientDatagram {
        snapshot: 0,
        acts: vec![(2, Action::Wait)],
    };
    assert!(matches!(
        rig.host.handle_datagram(sam, datagram, rig.now),
        Err(Rejected::Spectator)
    ));
    assert_eq!(rig.host.spectator_refusals(), 6);
    rig.run_ticks(5);
    let from_sam = rig.journal()[journal_before..]
        .iter()
        .flat_map(|(_, inputs)| inputs)
        .any(|i| format!("{i:?}").contains("Chat") || format!("{i:?}").contains("Mage"));
    assert!(!from_sam, "nothing a spectator sent reached the world");
    assert!(rig.client(sam).closed.is_none(), "refused, not thrown out");
    // A player cannot follow.
    assert!(matches!(
        rig.send(ada, ClientMsg::Follow { name: None }),
        Err(Rejected::NotWatching)
    ));
}

#[test]
fn a_host_that_lets_spectators_chat_shows_their_lines_as_watching() {
    let mut config = Config::new(HOST);
    config.spectators_chat = true;
    let mut rig = Rig::new(world(), config);
    let ada = rig.join(ADA, "Ada", Class::Warrior);
    let (sam, welcome) = rig.arrive(key(10), watching("Sam", rig.secret())).unwrap();
    assert!(welcome.may_chat);
    rig.send(
        sam,
        ClientMsg::Chat {
            text: "go left".into(),
        },
    )
    .unwrap();
    rig.run_ticks(2);
    let line = |rig: &Rig, conn| {
        rig.client(conn).view.log.iter().any(|l| {
            matches!(&l.event, game::event::EventKind::Chat { name, text }
                if name == "Sam (watching)" && text == "go left")
        })
    };
    assert!(line(&rig, ada), "the player reads it");
    assert!(line(&rig, sam), "and so does the spectator");
    assert!(
        rig.host.world().player(&key(10)).is_none(),
        "still not in the world"
    );
    assert_eq!(rig.host.spectator_refusals(), 0);
}

#[test]
fn spectators_need_a_code_a_place_and_a_host_that_allows_them() {
    let mut config = Config::new(HOST);
    config.max_spectators = 1;
    let mut rig = Rig::new(world(), config);
    rig.join(ADA, "Ada", Class::Warrior);
    assert!(matches!(
        rig.arrive(key(10), watching("Sam", None)),
        Err(Refusal::InviteRequired)
    ));
    assert!(matches!(
        rig.arrive(key(10), watching("Sam", Some([0; 16]))),
        Err(Refusal::WrongSecret)
    ));
    // A player of the world needs no code to watch.
    let (first, _) = rig.arrive(ADA, watching("Ada", None)).unwrap();
    assert!(matches!(
        rig.arrive(key(11), watching("Tim", rig.secret())),
        Err(Refusal::SpectatorsFull { max: 1 })
    ));
    // The same key watching again replaces its older connection.
    rig.arrive(ADA, watching("Ada", None)).unwrap();
    assert!(rig.client(first).closed.is_some());

    let mut config = Config::new(HOST);
    config.max_spectators = 0;
    let mut rig = Rig::new(world(), config);
    assert!(matches!(
        rig.arrive(key(10), watching("Sam", rig.secret())),
        Err(Refusal::NoSpectators)
    ));
}

#[test]
fn a_dead_player_who_asks_watches_the_party_until_they_make_a_new_character() {
    let mut w = world();
    w.spawn_monster(1, game::monster::MonsterKind::Ogre, Pos::new(4, 1))
        .unwrap();
    let mut rig = Rig::new(w, Config::new(HOST));
    let ada = rig.join(ADA, "Ada", Class::Mage);
    for _ in 0..3000 {
        if rig.client(ada).view.me.is_none() {
            break;
        }
        rig.run_ticks(1);
    }
    assert!(rig.client(ada).view.me.is_none(), "the ogre won");
    let bo = rig.join(BO, "Bo", Class::Warrior);
    // Alive, a player cannot follow; dead, Ada can.
    assert!(matches!(
        rig.send(bo, ClientMsg::Follow { name: None }),
        Err(Rejected::NotWatching)
    ));
    rig.send(ada, ClientMsg::Follow { name: None }).unwrap();
    rig.run_ticks(3);
    let followed = |rig: &Rig, conn| {
        rig.client(conn).inbox.iter().rev().find_map(|m| match m {
            HostMsg::Update(u) => u.following.clone(),
            _ => None,
        })
    };
    assert_eq!(followed(&rig, ada), Some(Some("Bo".into())));
    assert_eq!(picture(&rig, ada), picture(&rig, bo));
    rig.send(
        ada,
        ClientMsg::CreateCharacter {
            class: Class::Ranger,
        },
    )
    .unwrap();
    rig.run_ticks(3);
    assert_eq!(followed(&rig, ada), Some(None), "back to her own view");
    let me = rig.client(ada).view.me.as_ref().map(|m| m.class);
    assert_eq!(me, Some(Class::Ranger));
}

#[test]
fn the_admin_kicks_bans_unbans_revokes_codes_and_announces() {
    let mut rig = rig();
    let ada = rig.join(ADA, "ada", Class::Mage);
    let bo = rig.join(BO, "bo", Class::Warrior);
    let roster = rig.host.roster();
    assert_eq!(roster.len(), 2);
    assert!(roster.iter().all(|r| r.connected && !r.banned));

    // An announcement reaches everyone.
    rig.host.announce("server restarts at 22:00");
    rig.pump();
    for conn in [ada, bo] {
        assert!(rig.client(conn).inbox.iter().any(|m| matches!(
            m,
            HostMsg::Status(HostStatus::Announcement { text })
                if text == "server restarts at 22:00"
        )));
    }

    // A kick closes the session with a reason; Ada may come back.
    assert!(
        rig.host
            .kick("nobody")
            .unwrap_err()
            .contains("no player called")
    );
    rig.host.kick("ada").unwrap();
    rig.pump();
    assert_eq!(rig.client(ada).closed.as_deref(), Some(crate::KICKED));
    assert!(rig.host.kick("ada").unwrap_err().contains("not connected"));
    let (ada, _) = rig.arrive(ADA, Rig::hello("ada", None)).unwrap();

    // A ban (by key prefix) closes her session, is written, and refuses her from now on.
    let prefix = ADA.to_string()[..10].to_owned();
    rig.host.ban(&prefix).unwrap();
    rig.pump();
    assert_eq!(rig.client(ada).closed.as_deref(), Some(crate::BANNED));
    assert!(
        rig.written
            .iter()
            .any(|p| matches!(p, Persist::Bans(b) if b == &vec![ADA]))
    );
    assert_eq!(
        rig.arrive(ADA, Rig::hello("ada", None)).unwrap_err(),
        Refusal::Banned
    );
    let mut watch = Rig::hello("ada", None);
    watch.watch = true;
    assert_eq!(rig.arrive(ADA, watch).unwrap_err(), Refusal::Banned);
    assert!(
        rig.host
            .roster()
            .iter()
            .any(|r| r.player == ADA && r.banned)
    );
    rig.host.unban("ada").unwrap();
    assert!(rig.host.unban("ada").unwrap_err().contains("not banned"));

    // A ban by whole key closes that key's watching too.
    let mut watch = Rig::hello("cy", rig.secret());
    watch.watch = true;
    let (watcher, _) = rig.arrive(CY, watch).unwrap();
    rig.host.ban(&CY.to_string()).unwrap();
    rig.pump();
    assert_eq!(rig.client(watcher).closed.as_deref(), Some(crate::BANNED));
    rig.host.unban(&CY.to_string()).unwrap();
    assert!(rig.arrive(ADA, Rig::hello("ada", None)).is_ok());

    // Revoking: the old code admits nobody new, the fresh one does; Bo stays.
    let old = rig.secret().unwrap();
    let fresh = rig.host.revoke_invites(rig.now);
    rig.pump();
    assert_ne!(fresh.secret, old);
    assert_eq!(
        rig.arrive(CY, Rig::hello("cy", Some(old))).unwrap_err(),
        Refusal::WrongSecret
    );
    assert!(rig.arrive(CY, Rig::hello("cy", Some(fresh.secret))).is_ok());
    assert!(rig.client(bo).closed.is_none());
}

/// In a world of strangers two players form a party through the host: each sees only their own
/// party in the list until Bo accepts Ada's invitation, then both see both; the commands are
/// journaled like any input, so a replay forms the same party.
#[test]
fn players_form_a_party_through_the_host_and_it_is_journaled() {
    let mut rig = Rig::new(world().with_parties(), Config::new(HOST));
    let ada = rig.join(ADA, "Ada", Class::Warrior);
    let bo = rig.join(BO, "Bo", Class::Mage);
    let listed = |rig: &Rig, conn| -> Vec<String> {
        let party = &rig.client(conn).view.party;
        party.iter().map(|m| m.name.clone()).collect()
    };
    rig.run_ticks(2);
    assert_eq!(listed(&rig, ada), ["Ada"]);
    assert_eq!(listed(&rig, bo), ["Bo"]);
    use game::party::PartyCmd;
    rig.send(ada, ClientMsg::Party(PartyCmd::Invite("Bo".into())))
        .unwrap();
    rig.run_ticks(1);
    rig.send(bo, ClientMsg::Party(PartyCmd::Accept("Ada".into())))
        .unwrap();
    rig.run_ticks(2);
    assert_eq!(listed(&rig, ada), ["Ada", "Bo"]);
    assert_eq!(listed(&rig, bo), ["Bo", "Ada"]);
    let world = rig.host.world();
    assert_eq!(world.party_of(&ADA), world.party_of(&BO));
    let journaled = rig
        .journal()
        .iter()
        .flat_map(|(_, inputs)| inputs)
        .filter(|i| matches!(i, Input::Party { .. }))
        .count();
    assert_eq!(journaled, 2);
}
