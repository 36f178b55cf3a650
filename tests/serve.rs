//! `brogue serve` end to end: worlds made with `brogue world new`, served behind one port,
//! joined by each world's own invite code; a world whose tick panics stops alone while the
//! other plays on; SIGTERM saves the rest and exits 0; `brogue worlds --json` tells the admin.

mod support;

use std::process::Command;
use std::time::Duration;

use support::{BIN, HostProcess, bots_report, brogue, json_of};

#[test]
fn two_worlds_behind_one_port_and_a_panic_stops_only_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    for (name, seed) in [("halls", "3"), ("mines", "4")] {
        let out = brogue(&data, &["world", "new", name, "--seed", seed]);
        assert!(out.status.success(), "{out:?}");
    }
    let again = brogue(&data, &["world", "new", "halls"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already"));
    let listed = json_of(&brogue(&data, &["worlds", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[0]["name"], "halls");
    assert_eq!(listed[0]["players"], 0);
    assert!(listed[0]["last_played"].is_null());

    // "mines" panics in its tick 40 (2 s in): nobody else may notice.
    let (mut server, codes) = HostProcess::serve(
        &data,
        &[("BROGUE_TEST_PANIC_AT", "mines@40")],
        &["--metrics", "127.0.0.1:0"],
    );
    let metrics = server
        .skipped
        .iter()
        .find_map(|l| l.strip_prefix("metrics: http://"))
        .and_then(|l| l.strip_suffix("/metrics"))
        .expect("a metrics: line")
        .to_owned();
    let (status, body) = get(&metrics, "/healthz");
    assert_eq!(status, 200, "{body}");
    let code = |world: &str| {
        codes
            .iter()
            .find(|(w, _)| w == world)
            .map(|(_, c)| c.clone())
            .unwrap_or_else(|| panic!("no code for {world} in {codes:?}"))
    };
    let (halls, mines) = (code("halls"), code("mines"));
    assert_ne!(halls, mines);
    assert_eq!(
        net::Invite::parse(&mines).unwrap().world.as_deref(),
        Some("mines")
    );
    let stopped = server.expect_line("stopped: ");
    assert!(
        stopped.starts_with("mines after an internal error"),
        "{stopped}"
    );

    let bots = dir.path().join("bots");
    let report = bots_report(&halls, &bots, &["--count", "3", "--duration", "3"]);
    assert_eq!(report["connected"], 3, "{report}");
    assert!(report["actions_acked"].as_u64().unwrap() > 0, "{report}");
    // The stopped world says so to whoever comes.
    let out = Command::new(BIN)
        .args(["bots", &mines, "--count", "1", "--duration", "1", "--json"])
        .arg("--data-dir")
        .arg(&bots)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("no world called \\\"mines\\\""), "{text}");

    // Prometheus sees both worlds, the players that came and went, and the stopped world.
    // (The player count is looked at once a second: wait for the bots' leaving to show.)
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let text = loop {
        let (status, text) = get(&metrics, "/metrics");
        assert_eq!(status, 200);
        if text.contains("brogue_players{world=\"halls\"} 0")
            || std::time::Instant::now() > deadline
        {
            break text;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let value = |series: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))
    };
    assert!(value(r#"brogue_tick_seconds_count{world="halls"}"#) >= 60.0);
    assert!(value(r#"brogue_tick_seconds_count{world="mines"}"#) < 45.0);
    // (Whether a tick overran depends on the machine's load: only the series is checked.)
    assert!(value(r#"brogue_tick_overruns_total{world="halls"}"#) >= 0.0);
    assert_eq!(value(r#"brogue_players{world="halls"}"#), 0.0);
    assert!(value(r#"brogue_bytes_out_total{world="halls"}"#) > 3_000.0);
    assert!(value(r#"brogue_refused_joins_total{reason="no_such_world"}"#) >= 1.0);
    assert_eq!(value("brogue_connections"), 0.0);
    let (status, body) = get(&metrics, "/healthz");
    assert_eq!(status, 503);
    assert!(body.contains("world mines stopped"), "{body}");

    server.terminate();
    let saved = server.expect_line("saved: ");
    assert!(saved.starts_with("halls tick "), "{saved}");
    assert!(server.wait(Duration::from_secs(20)).success());

    // Both worlds are whole on disk: halls with its three players, mines up to its crash.
    let listed = json_of(&brogue(&data, &["worlds", "--json"]));
    let row = |name: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(row("halls")["players"], 3);
    assert!(row("halls")["last_played"].as_u64().unwrap() > 1_700_000_000);
    assert!(row("halls")["bytes"].as_u64() > row("mines")["bytes"].as_u64());
    let checked = brogue(&data, &["check", "--world", "mines"]);
    assert!(checked.status.success(), "{checked:?}");
    assert!(row("mines")["tick"].as_u64().unwrap() >= 39, "{listed}");
}

/// A GET over plain HTTP/1.1: the status and the body.
fn get(addr: &str, path: &str) -> (u16, String) {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

#[test]
fn serve_without_worlds_says_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = support::serve_command(dir.path()).output().unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("world new NAME"), "{text}");
}

#[test]
fn logs_can_be_json_lines_and_never_carry_colour_codes_into_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    assert!(brogue(&data, &["world", "new", "w"]).status.success());
    let (server, _) = HostProcess::serve(&data, &[], &["--log-json", "--log-days", "3"]);
    let (exit, stderr) = server.stop_and_wait(Duration::from_secs(20));
    assert!(exit.success(), "{stderr:?}");
    assert!(stderr.len() >= 2, "{stderr:?}");
    for line in &stderr {
        assert!(!line.contains('\u{1b}'), "{line}");
        let event: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        assert!(event["fields"]["message"].is_string(), "{line}");
    }
    let logs: Vec<_> = std::fs::read_dir(data.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(logs.iter().any(|f| f.ends_with(".jsonl")), "{logs:?}");
}

/// `brogue admin …` against the running server: its stdout, or its error.
fn admin(data: &std::path::Path, args: &[&str]) -> Result<String, String> {
    let mut all = vec!["admin"];
    all.extend(args);
    let out = brogue(data, &all);
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn the_admin_lists_kicks_bans_revokes_announces_and_stops_a_world_of_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    assert!(
        brogue(&data, &["world", "new", "w", "--parties"])
            .status
            .success()
    );
    let err = admin(&data, &["players"]).unwrap_err();
    assert!(err.contains("no brogue server is running"), "{err}");
    let (mut server, codes) = HostProcess::serve(&data, &[], &[]);
    let code = codes[0].1.clone();
    let bots_dir = dir.path().join("bots");
    let bots = {
        let (code, bots_dir) = (code.clone(), bots_dir.clone());
        std::thread::spawn(move || {
            bots_report(&code, &bots_dir, &["--count", "2", "--duration", "6"])
        })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let players = loop {
        let json: serde_json::Value =
            serde_json::from_str(&admin(&data, &["players", "--json"]).unwrap()).unwrap();
        let playing = json
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["connected"] == true)
            .count();
        if playing == 2 {
            break json;
        }
        assert!(std::time::Instant::now() < deadline, "{json}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(players[0]["world"], "w");
    // A world of strangers: each bot is a party of one.
    let parties: Vec<&serde_json::Value> = players
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["party"])
        .collect();
    assert!(parties.iter().all(|p| p.is_u64()), "{players}");
    assert_ne!(parties[0], parties[1], "{players}");

    // While it runs, the save is the server's: worlds and leaderboard ask it.
    let worlds = json_of(&brogue(&data, &["worlds", "--json"]));
    assert_eq!(worlds[0]["name"], "w");
    assert_eq!(worlds[0]["parties"], true, "{worlds}");
    let board = json_of(&brogue(&data, &["leaderboard", "--json"]));
    assert_eq!(board["worlds"][0]["world"], "w", "{board}");

    assert!(
        admin(&data, &["kick", "bot-0"])
            .unwrap()
            .contains("kicked bot-0")
    );
    let err = admin(&data, &["kick", "nobody"]).unwrap_err();
    assert!(err.contains("no player called"), "{err}");
    assert!(
        admin(&data, &["ban", "bot-1"])
            .unwrap()
            .contains("banned bot-1")
    );
    assert!(
        admin(&data, &["announce", "back", "in", "5"])
            .unwrap()
            .contains("announced")
    );
    let said = admin(&data, &["invite"]).unwrap();
    let fresh = said.rsplit(' ').next().unwrap().trim().to_owned();
    assert!(fresh.starts_with("BRG-") && fresh != code, "{said}");
    let report = bots.join().unwrap();
    let errors = report["errors"].to_string();
    assert!(errors.contains("removed you from this world"), "{errors}");
    assert!(errors.contains("banned this key"), "{errors}");

    // The old code admits nobody new; the fresh one does.
    let stranger = dir.path().join("stranger");
    let report = bots_report(&code, &stranger, &["--count", "1", "--duration", "1"]);
    assert_eq!(report["connected"], 0, "{report}");
    let report = bots_report(&fresh, &stranger, &["--count", "1", "--duration", "1"]);
    assert_eq!(report["connected"], 1, "{report}");

    assert!(
        admin(&data, &["stop-world", "w"])
            .unwrap()
            .contains("stopping w")
    );
    let stopped = server.expect_line("stopped: ");
    assert!(
        stopped.starts_with("w by the admin, saved: tick "),
        "{stopped}"
    );
    let err = admin(&data, &["players", "--world", "w"]).unwrap_err();
    assert!(err.contains("no running world called \"w\""), "{err}");

    // Worlds are made and started while it runs.
    let said = admin(&data, &["start-world", "w"]).unwrap();
    assert!(
        said.starts_with("world w is running; invite: BRG-"),
        "{said}"
    );
    assert!(admin(&data, &["players", "--world", "w"]).is_ok());
    let made = brogue(&data, &["world", "new", "fresh", "--seed", "9"]);
    let said = String::from_utf8_lossy(&made.stdout).into_owned();
    assert!(
        said.starts_with("world fresh is running; invite: "),
        "{made:?}"
    );
    let code = said.rsplit(' ').next().unwrap().trim().to_owned();
    let report = bots_report(&code, &stranger, &["--count", "1", "--duration", "1"]);
    assert_eq!(report["connected"], 1, "{report}");
    server.terminate();
    assert!(server.wait(Duration::from_secs(20)).success());

    // The ban outlives the server.
    let (server, _) = HostProcess::serve(&data, &[], &[]);
    let json: serde_json::Value =
        serde_json::from_str(&admin(&data, &["players", "--json"]).unwrap()).unwrap();
    let banned: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["banned"] == true)
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(banned, ["bot-1"]);
    server.terminate();
    assert!(server.wait(Duration::from_secs(20)).success());
}

#[test]
fn an_open_server_admits_without_a_valid_code_but_not_the_banned() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    assert!(brogue(&data, &["world", "new", "w"]).status.success());
    let (server, codes) = HostProcess::serve(&data, &[], &["--open"]);
    let old = codes[0].1.clone();
    assert!(admin(&data, &["invite"]).is_ok());
    // Nine at once: more than a code's burst of eight newcomers.
    let bots = dir.path().join("bots");
    let report = bots_report(&old, &bots, &["--count", "9", "--duration", "1"]);
    assert_eq!(report["connected"], 9, "{report}");
    assert!(admin(&data, &["ban", "bot-3"]).is_ok());
    let report = bots_report(&old, &bots, &["--count", "9", "--duration", "1"]);
    assert_eq!(report["connected"], 8, "{report}");
    server.terminate();
    assert!(server.wait(Duration::from_secs(20)).success());
}
