//! End to end: the real `brogue` binary hosting, real clients joining over QUIC on 127.0.0.1,
//! real redb saves in temporary directories.

mod support;

use std::process::Command;
use std::time::Duration;

use game::protocol::{ClientMsg, EntityKind, Hello, PROTOCOL_VERSION, Refusal};
use game::{Action, Class, Dir, Goods, Pos, Stack, TradeInput};
use net::invite::{Invite, Secret};
use net::{Identity, JoinError, Target};
use support::{BIN, Client, HostProcess, bots_report};

#[tokio::test(flavor = "multi_thread")]
async fn two_players_join_by_invite_and_see_each_other_move() {
    let dir = tempfile::tempdir().unwrap();
    let host = HostProcess::start(dir.path(), "meet", &["--seed", "5"]);
    let invite = host.parsed_invite();
    let mut ada = Client::join(Identity::ephemeral(), &invite, "Ada").await;
    let mut bob = Client::join(Identity::ephemeral(), &invite, "Bob").await;
    assert_eq!(ada.joined.welcome.world, "meet");
    assert!(!ada.joined.welcome.returning);
    ada.create(Class::Warrior).await;
    bob.create(Class::Mage).await;

    // Both start at the entrance, within sight of each other.
    let ada_entity = |v: &game::view::ClientView| {
        let id = v.party.iter().find(|m| m.name == "Ada")?.entity?;
        v.entities.iter().find(|e| e.id == id).cloned()
    };
    bob.until(|v| ada_entity(v).is_some(), "Bob to see Ada")
        .await;
    let before = ada_entity(&bob.view).unwrap();
    assert!(matches!(
        before.kind,
        EntityKind::Character {
            class: Class::Warrior,
            ..
        }
    ));

    // Ada walks until she has moved; Bob sees her at her new place.
    let start = ada.view.me.as_ref().unwrap().pos;
    for dir in Dir::ALL.into_iter().cycle().take(16) {
        ada.act_and_wait(Action::Move(dir)).await;
        if ada.view.me.as_ref().unwrap().pos != start {
            break;
        }
        tokio::time::sleep(Duration::from_millis(220)).await;
    }
    let now = ada.view.me.as_ref().unwrap().pos;
    assert_ne!(now, start, "Ada could not move at all");
    bob.until(
        |v| ada_entity(v).is_some_and(|e| e.pos == now),
        "Bob to see Ada's new position",
    )
    .await;
    // The party list shows both, with their classes and round-trip times.
    bob.until(|v| v.party.iter().all(|m| m.rtt_ms.is_some()), "RTTs")
        .await;
    let names: Vec<&str> = bob.view.party.iter().map(|m| m.name.as_str()).collect();
    assert!(names.contains(&"Ada") && names.contains(&"Bob"));
}

#[tokio::test(flavor = "multi_thread")]
async fn host_restart_resumes_the_world_with_the_same_hash() {
    let dir = tempfile::tempdir().unwrap();
    let host = HostProcess::start(dir.path(), "keep", &["--seed", "9"]);
    assert_eq!(host.world_line, "keep tick 0");
    let invite = host.parsed_invite();
    let mut ada = Client::join(Identity::ephemeral(), &invite, "Ada").await;
    ada.create(Class::Ranger).await;
    for dir in [Dir::E, Dir::S, Dir::W, Dir::N, Dir::E] {
        ada.act(Action::Move(dir)).await;
        tokio::time::sleep(Duration::from_millis(220)).await;
    }
    let (saved, exit) = host.stop();
    assert!(exit.success(), "headless host exited with {exit}");
    assert_eq!(ada.closed().await, "host closed the session");
    // "keep tick T state H"
    let parts: Vec<&str> = saved.split(' ').collect();
    assert_eq!(parts[0], "keep");
    let tick: u64 = parts[2].parse().unwrap();
    assert!(tick > 0);
    let hash = parts[4];

    let again = HostProcess::start(dir.path(), "keep", &[]);
    assert!(
        !again.skipped.iter().any(|l| l.starts_with("repaired:")),
        "a clean stop leaves a save that needs no repair: {:?}",
        again.skipped
    );
    assert_eq!(again.world_line, format!("keep tick {tick}"));
    assert_eq!(
        again.state, hash,
        "the resumed world differs from the saved one"
    );
    // The player comes back to the same character without needing the secret.
    let invite = again.parsed_invite();
    let identity = ada.identity;
    let hello = Hello {
        protocol: PROTOCOL_VERSION,
        game_version: "e2e".into(),
        name: "Ada".into(),
        invite_secret: None,
        watch: false,
        world: None,
    };
    let session = net::client::join(&identity, &Target::from_invite(&invite), hello)
        .await
        .expect("a returning player needs no secret");
    assert!(session.welcome.returning);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_host_resumes_at_or_after_what_players_were_shown_and_says_it_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let (host, mut ada) =
        support::host_and_ada(dir.path(), "crash", &["--seed", "9"], Class::Warrior).await;
    for dir in [Dir::E, Dir::S, Dir::W, Dir::N] {
        ada.act_and_wait(Action::Move(dir)).await;
    }
    ada.drain(Duration::from_millis(300)).await;
    let shown = ada.view.tick;
    let pos = ada.view.me.as_ref().unwrap().pos;
    host.kill();

    let report = support::check_json(dir.path());
    assert_eq!(report["world"], "crash");
    assert_eq!(report["ok"], true, "{report}");
    assert!(report["tick"].as_u64().unwrap() >= shown);

    let again = HostProcess::start(dir.path(), "crash", &[]);
    let repaired = format!(
        "repaired: {} was not closed cleanly",
        dir.path().join(store::FILE_NAME).display()
    );
    assert!(again.skipped.contains(&repaired), "{:?}", again.skipped);
    let resumed: u64 = again
        .world_line
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        resumed >= shown,
        "resumed at {resumed}, Ada was shown {shown}"
    );
    assert_eq!(again.state, report["state"], "check and the host agree");
    let mut back = Client::join(ada.identity, &again.parsed_invite(), "Ada").await;
    back.until(|v| v.me.is_some(), "Ada's character").await;
    assert_eq!(back.view.me.as_ref().unwrap().pos, pos);
}

#[test]
fn a_second_host_on_the_same_data_dir_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let _host = HostProcess::start(dir.path(), "busy", &[]);
    let out = Command::new(BIN)
        .args(["host", "--headless", "--bind", "127.0.0.1", "--port", "0"])
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("this world is open in another brogue process"),
        "stderr: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_and_expired_secrets_are_refused_with_their_own_messages() {
    let dir = tempfile::tempdir().unwrap();
    let host = HostProcess::start(dir.path(), "gate", &[]);
    let invite = host.parsed_invite();
    let forged = Invite {
        secret: Secret([0x42; 16]),
        ..invite.clone()
    };
    let hello = |secret: Option<[u8; 16]>| Hello {
        protocol: PROTOCOL_VERSION,
        game_version: "e2e".into(),
        name: "Mallory".into(),
        invite_secret: secret,
        watch: false,
        world: None,
    };
    let target = Target::from_invite(&invite);
    let err = net::client::join(
        &Identity::ephemeral(),
        &target,
        hello(Some(forged.secret.0)),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, JoinError::Refused(Refusal::WrongSecret)),
        "{err}"
    );
    let err = net::client::join(&Identity::ephemeral(), &target, hello(None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, JoinError::Refused(Refusal::InviteRequired)),
        "{err}"
    );
    drop(host);

    // Age the issued secret: the host issues a fresh one and still recognises the old one.
    {
        let store = store::Store::open(&dir.path().join(store::FILE_NAME)).unwrap();
        let mut secrets = store.invite_secrets("gate").unwrap();
        for s in &mut secrets {
            s.expires_at = brogue::driver::now_unix() - 60;
        }
        store.set_invite_secrets("gate", &secrets).unwrap();
    }
    let host = HostProcess::start(dir.path(), "gate", &[]);
    let fresh = host.parsed_invite();
    assert_ne!(
        fresh.secret, invite.secret,
        "an expired secret was not replaced"
    );
    let target = Target::from_invite(&fresh);
    let err = net::client::join(
        &Identity::ephemeral(),
        &target,
        hello(Some(invite.secret.0)),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, JoinError::Refused(Refusal::ExpiredSecret)),
        "{err}"
    );
    assert!(err.to_string().contains("expired"));
    Client::join(Identity::ephemeral(), &fresh, "Newcomer").await;
}

#[test]
fn mistyped_codes_are_caught_before_dialling() {
    let dir = tempfile::tempdir().unwrap();
    let run = |code: &str| {
        Command::new(BIN)
            .args(["join", code, "--data-dir"])
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let code = Invite {
        host: net::KeyPin([1; 16]),
        addrs: vec!["127.0.0.1:9".parse().unwrap()],
        secret: Secret([2; 16]),
        expires_at: 4_000_000_000,
        world: None,
    }
    .encode();
    let mut typo = code.clone();
    let i = 20;
    let swapped = if &code[i..=i] == "Z" { "Y" } else { "Z" };
    typo.replace_range(i..=i, swapped);
    let out = run(&typo);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("typo"));
    let out = run("hello");
    assert!(String::from_utf8_lossy(&out.stderr).contains("neither an invite code"));
}

#[test]
fn a_seed_or_parties_for_an_existing_world_is_said_to_be_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let first = HostProcess::start(dir.path(), "seeded", &["--seed", "3"]);
    first.stop();
    let again = HostProcess::start(dir.path(), "seeded", &["--seed", "4"]);
    let (_, stderr) = again.stop_and_wait(Duration::from_secs(15));
    let note = stderr.iter().find(|l| l.starts_with("note: "));
    assert_eq!(
        note.map(String::as_str),
        Some(
            "note: world seeded already exists (seed 3): --seed 4 is ignored; a new --world NAME \
             makes a new dungeon"
        ),
        "{stderr:?}"
    );
    // --parties too: it is chosen when a world is made.
    let third = HostProcess::start(dir.path(), "seeded", &["--parties"]);
    let (_, stderr) = third.stop_and_wait(Duration::from_secs(15));
    let note = stderr.iter().find(|l| l.starts_with("note: "));
    assert_eq!(
        note.map(String::as_str),
        Some(
            "note: world seeded already exists and is together (everyone in one party): \
             --parties applies only to a world being made"
        ),
        "{stderr:?}"
    );
}

#[test]
fn the_config_file_is_found_and_a_bad_one_is_refused_with_where_and_what() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.toml");
    let out = Command::new(BIN)
        .args(["config", "path"])
        .env("BROGUE_CONFIG", &file)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        file.display().to_string()
    );
    std::fs::write(&file, "name = \"Ada\"\ntheme = \"neon\"\n").unwrap();
    let out = Command::new(BIN)
        .args(["leaderboard", "--data-dir"])
        .arg(dir.path())
        .env("BROGUE_CONFIG", &file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("config.toml: line 2, column 9: no theme \"neon\": choose default"),
        "{stderr}"
    );
}

#[test]
fn completions_and_the_manual_name_every_command_and_touch_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(args)
            .env("BROGUE_DATA_DIR", dir.path().join("never"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = run(&["completions", shell]);
        for command in ["solo", "host", "join", "doctor", "leaderboard"] {
            assert!(script.contains(command), "{shell} lacks {command}");
        }
    }
    let man = run(&["man"]);
    assert!(man.contains(".TH brogue 1"), "{man}");
    assert!(man.contains("doctor"));
    assert!(!dir.path().join("never").exists(), "no data dir was made");
}

#[test]
fn joining_with_the_hosts_own_data_dir_is_refused_and_the_host_plays_on() {
    let dir = tempfile::tempdir().unwrap();
    let host = HostProcess::start(dir.path(), "mine", &[]);
    let out = Command::new(BIN)
        .args(["join", &host.invite, "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("that is the host's own identity") && stderr.contains("--data-dir"),
        "{stderr}"
    );
    // Nothing was dialled: the host is still up and says so when stopped.
    let (saved, exit) = host.stop();
    assert!(exit.success());
    assert!(saved.starts_with("mine tick "), "{saved}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_actions_never_moves_a_character_faster() {
    let dir = tempfile::tempdir().unwrap();
    let host = HostProcess::start(dir.path(), "flood", &["--seed", "3"]);
    let mut ada = Client::join(Identity::ephemeral(), &host.parsed_invite(), "Ada").await;
    ada.create(Class::Warrior).await;
    ada.drain(Duration::from_millis(200)).await;
    // Two seconds of east-west steps at 200 messages a second, far above any key repeat.
    let began = std::time::Instant::now();
    let mut moves = 0;
    let mut last = ada.view.me.as_ref().unwrap().pos;
    let mut i = 0u32;
    while began.elapsed() < Duration::from_secs(2) {
        let dir = if i.is_multiple_of(2) { Dir::E } else { Dir::W };
        i += 1;
        ada.act(Action::Move(dir)).await;
        ada.drain(Duration::from_millis(5)).await;
        let now = ada.view.me.as_ref().unwrap().pos;
        if now != last {
            moves += 1;
            last = now;
        }
    }
    let elapsed = began.elapsed().as_secs_f64();
    assert!(i > 300, "the flood was only {i} messages");
    // 20 Hz and 4 ticks per move: at most 5 moves a second, however many messages arrive.
    assert!(
        moves >= 3,
        "the character barely moved ({moves}): the test proves nothing"
    );
    assert!(
        f64::from(moves) <= elapsed * 5.0 + 1.0,
        "{moves} moves in {elapsed:.2} s"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bots_json_output_parses_and_bots_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let bots_dir = tempfile::tempdir().unwrap();
    let host = HostProcess::start(dir.path(), "bots", &["--seed", "4"]);
    let run = || {
        bots_report(
            &host.invite,
            bots_dir.path(),
            &["--count", "2", "--duration", "3"],
        )
    };
    let first = run();
    assert_eq!(first["connected"], 2);
    assert_eq!(first["returning"], 0);
    assert_eq!(first["duration_s"], 3.0);
    assert!(first["actions_sent"].as_u64().unwrap() > 5);
    assert!(first["actions_acked"].as_u64().unwrap() > 5);
    let p50 = first["latency_ms"]["p50"].as_f64().unwrap();
    let p99 = first["latency_ms"]["p99"].as_f64().unwrap();
    assert!(p50 > 0.0 && p99 >= p50 && first["latency_ms"]["max"].as_f64().unwrap() >= p99);
    assert!(first["bytes_per_client_per_s"].as_f64().unwrap() > 0.0);
    assert_eq!(first["min_players_seen"], 1);
    assert_eq!(first["errors"], serde_json::json!([]));
    let second = run();
    assert_eq!(
        second["returning"], 2,
        "bots kept their identities: {second}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_players_trade_over_the_network_and_the_trade_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    // Seed 4: the first character starts on the entrance at (69, 8); one step south, an ore
    // vein lies to the south-east.
    let (host, mut ada) =
        support::host_and_ada(dir.path(), "market", &["--seed", "4"], Class::Warrior).await;
    let invite = host.parsed_invite();
    assert_eq!(ada.view.me.as_ref().unwrap().pos, Pos::new(69, 8));
    for (action, expect) in [(Action::Move(Dir::S), Pos::new(69, 9))] {
        ada.act_and_wait(action).await;
        tokio::time::sleep(Duration::from_millis(260)).await;
        ada.drain(Duration::from_millis(50)).await;
        assert_eq!(ada.view.me.as_ref().unwrap().pos, expect);
    }
    // Mine until Ada carries at least 3 units (each pass takes 1.5 s and yields 1 to 3).
    for _ in 0..6 {
        if ada.carried() >= 3 {
            break;
        }
        ada.act_and_wait(Action::Move(Dir::SE)).await;
        let before = ada.carried();
        ada.until(
            |v| v.pack.stacks.iter().map(|s| s.units).sum::<u32>() > before,
            "ore",
        )
        .await;
    }
    let mined = ada.carried();
    assert!(mined >= 3, "Ada mined only {mined}");
    let stack = ada.view.pack.stacks[0].clone();

    let mut bob = Client::join(Identity::ephemeral(), &invite, "Bob").await;
    bob.create(Class::Mage).await;
    ada.until(
        |v| {
            v.party
                .iter()
                .any(|m| m.name == "Bob" && m.entity.is_some())
        },
        "Bob",
    )
    .await;
    // Ada opens a trade and offers 2 units; Bob offers nothing; both accept the same phase.
    let with = ada.entity_of("Bob");
    ada.send(ClientMsg::Trade(TradeInput::Open { with })).await;
    ada.until(|v| v.trade.is_some(), "the trade to open").await;
    let id = ada.view.trade.as_ref().unwrap().id;
    let goods = Goods {
        stacks: vec![Stack {
            spawn: game::ore::SpawnId(stack.spawn),
            units: 2,
        }],
        items: vec![],
    };
    ada.send(ClientMsg::Trade(TradeInput::Offer { trade: id, goods }))
        .await;
    bob.until(
        |v| v.trade.as_ref().is_some_and(|t| t.theirs.stacks.len() == 1),
        "Ada's offer",
    )
    .await;
    let phase = bob.view.trade.as_ref().unwrap().phase;
    bob.send(ClientMsg::Trade(TradeInput::Accept { trade: id, phase }))
        .await;
    ada.send(ClientMsg::Trade(TradeInput::Accept { trade: id, phase }))
        .await;
    bob.until(
        |v| v.trade.is_none() && v.pack.stacks.iter().any(|s| s.units == 2),
        "the goods",
    )
    .await;
    ada.until(|v| v.trade.is_none(), "the trade to close").await;
    ada.drain(Duration::from_millis(100)).await;
    assert_eq!(ada.carried(), mined - 2);

    // The host stops and starts again: the swap is still there for both.
    let (_, exit) = host.stop();
    assert!(exit.success());
    {
        let store = store::Store::open(&dir.path().join(store::FILE_NAME)).unwrap();
        let trades = store.trades("market").unwrap();
        assert_eq!(trades.len(), 1, "the trade is in the history");
        assert_eq!(trades[0].a_gives.stacks[0].units, 2);
    }
    let again = HostProcess::start(dir.path(), "market", &[]);
    let invite = again.parsed_invite();
    let mut ada2 = Client::join(ada.identity, &invite, "Ada").await;
    let mut bob2 = Client::join(bob.identity, &invite, "Bob").await;
    assert!(ada2.joined.welcome.returning && bob2.joined.welcome.returning);
    bob2.until(|v| v.me.is_some(), "Bob's character").await;
    ada2.until(|v| v.me.is_some(), "Ada's character").await;
    assert_eq!(bob2.carried(), 2);
    assert_eq!(ada2.carried(), mined - 2);
}

/// The TUI host in a pseudo-terminal (`script`), stopped by `signal`: friends are told, the
/// world is saved, the terminal is given back (alternate screen left), the exit is clean.
async fn a_tui_host_stops_cleanly_on(signal: &str) {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIPPED: `script` (util-linux) is not installed, no pseudo-terminal");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let line = format!(
        "{BIN} host --bind 127.0.0.1 --port 0 --world tui --class mage --data-dir {}",
        dir.path().display()
    );
    let mut script = Command::new("script")
        .args(["-qfec", &line, "/dev/null"])
        .env("TERM", "xterm-256color")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = script.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = std::io::Read::read(&mut out, &mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                return;
            }
        }
    });
    let mut screen = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let code = loop {
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(100)) {
            screen.extend(chunk);
        }
        let text = String::from_utf8_lossy(&screen);
        if let Some(code) = text
            .split("invite: ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .filter(|c| c.len() >= 70)
        {
            break code.to_owned();
        }
        assert!(std::time::Instant::now() < deadline, "no invite: {text}");
    };
    let invite = Invite::parse(&code).unwrap();
    let mut friend = Client::join(Identity::ephemeral(), &invite, "Friend").await;
    friend.create(Class::Warrior).await;
    let pid = loop {
        let found = Command::new("pgrep")
            .args(["-f", "--", &format!("--data-dir {}", dir.path().display())])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&found.stdout).to_string();
        // The shell `script` started may still be there: the brogue process is the one whose
        // executable is ours.
        let ours = text
            .lines()
            .filter_map(|p| p.trim().parse::<u32>().ok())
            .find(|p| {
                std::fs::read_link(format!("/proc/{p}/exe"))
                    .is_ok_and(|exe| exe == std::path::Path::new(BIN))
            });
        if let Some(pid) = ours {
            break pid;
        }
        assert!(std::time::Instant::now() < deadline, "no brogue process");
        std::thread::sleep(Duration::from_millis(50));
    };
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let reason = tokio::time::timeout(Duration::from_secs(10), friend.closed())
        .await
        .expect("the friend is told");
    assert!(reason.contains("host closed"), "{reason}");
    let status = script.wait().unwrap();
    assert!(status.success(), "exit {status:?}");
    while let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
        screen.extend(chunk);
    }
    let text = String::from_utf8_lossy(&screen);
    assert!(text.contains("\x1b[?1049l"), "the alternate screen is left");
    let report = support::check_json(dir.path());
    assert_eq!(report["ok"], true, "{report}");
    let log = std::fs::read_dir(dir.path().join("logs"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect::<String>();
    assert!(log.contains(&format!("stopping on SIG{signal}")), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tui_host_saves_and_tells_friends_on_sigterm() {
    a_tui_host_stops_cleanly_on("TERM").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tui_host_saves_and_tells_friends_when_its_terminal_closes() {
    a_tui_host_stops_cleanly_on("HUP").await;
}

/// Bots playing through the link emulator: a lossy link, then 8 s of nothing (every bot notices,
/// redials with its key and plays on with a whole view), then a changed source address (QUIC
/// migrates: no reconnect at all).
#[tokio::test(flavor = "multi_thread")]
async fn bots_ride_out_a_lossy_link_an_outage_and_a_new_address() {
    let dir = tempfile::tempdir().unwrap();
    let bots_dir = tempfile::tempdir().unwrap();
    let host = HostProcess::start(dir.path(), "link", &["--seed", "4"]);
    let run = |link: &str, secs: &str| {
        let args = ["--count", "2", "--duration", secs, "--link", link];
        bots_report(&host.invite, bots_dir.path(), &args)
    };
    let cut = run("delay=10ms,jitter=2ms,loss=5%,outage=8s@3s", "16");
    assert_eq!(cut["connected"], 2, "{cut}");
    assert_eq!(cut["errors"], serde_json::json!([]), "{cut}");
    assert!(cut["reconnects"].as_u64().unwrap() >= 2, "{cut}");
    // Noticed within seconds of the cut, back within seconds of its end, before the run ended.
    let resume = cut["resume_ms"]["max"].as_f64().unwrap();
    assert!(resume > 1000.0 && resume < 12_000.0, "{cut}");
    assert!(cut["actions_acked"].as_u64().unwrap() > 20, "{cut}");
    assert!(cut["bytes_datagram_per_client_per_s"].as_f64().unwrap() > 0.0);
    assert!(cut["bytes_stream_per_client_per_s"].as_f64().unwrap() > 0.0);
    let moved = run("delay=5ms,rebind@2s", "5");
    assert_eq!(moved["errors"], serde_json::json!([]), "{moved}");
    assert_eq!(moved["reconnects"], 0, "{moved}");
    assert!(moved["actions_acked"].as_u64().unwrap() > 20, "{moved}");
}

#[test]
fn the_balance_simulator_prints_the_contracted_json_and_refuses_bad_parties() {
    let out = Command::new(BIN)
        .args(["sim", "--party", "warrior,healer", "--strategy", "dive"])
        .args([
            "--seeds",
            "2",
            "--first-seed",
            "5",
            "--minutes",
            "2",
            "--json",
        ])
        .output()
        .unwrap();
    let json = support::json_of(&out);
    assert_eq!(json["runs"], 2);
    assert_eq!(json["seeds"], serde_json::json!([5, 6]));
    let wins = json["wins"].as_u64().unwrap();
    assert_eq!(json["win_rate"].as_f64().unwrap(), wins as f64 / 2.0);
    assert!(json["deaths"].is_u64(), "{json}");
    assert!(json.get("median_minutes").is_some(), "{json}");
    let damage = json["damage_share"].as_object().unwrap();
    let keys: Vec<&str> = damage.keys().map(String::as_str).collect();
    assert_eq!(keys, ["healer", "warrior"]);
    assert!(
        json["damage_share"]["warrior"].as_f64().unwrap() > 0.0,
        "{json}"
    );
    assert!(json["healing_share"].is_object());
    let taken = json["taken_share"].as_object().unwrap();
    let keys: Vec<&str> = taken.keys().map(String::as_str).collect();
    assert_eq!(keys, ["healer", "warrior"], "{json}");
    assert!(json["downs_by_class"]["warrior"].is_u64(), "{json}");

    let out = Command::new(BIN)
        .args(["sim", "--party", "warrior,bard", "--seeds", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown class \"bard\""), "{err}");
}
