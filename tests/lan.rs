//! LAN parties end to end, inside network namespaces each test creates (two namespaces joined
//! by a veth pair) and deletes. Nothing here sends anything on the machine's real interfaces:
//! every process that uses mDNS runs inside a namespace.

mod support;

use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{BIN, HostProcess, json_of, read_lines};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// Two namespaces, `a` and `b`, joined by a veth pair with addresses in a private /24.
struct Lan {
    a: String,
    b: String,
    if_a: String,
    if_b: String,
    ip_a: IpAddr,
}

impl Lan {
    /// Creates the namespaces, or says why it cannot.
    fn create() -> Result<Lan, String> {
        support::root_for("creating network namespaces")?;
        if Command::new("ip").arg("-V").output().is_err() {
            return Err("the `ip` tool (iproute2) is not installed".into());
        }
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let id = format!("{}{n}", std::process::id() % 10_000);
        let lan = Lan {
            a: format!("brg{id}a"),
            b: format!("brg{id}b"),
            if_a: format!("bv{id}a"),
            if_b: format!("bv{id}b"),
            ip_a: format!("10.{}.{n}.1", 100 + std::process::id() % 100)
                .parse()
                .unwrap(),
        };
        let ip_b = format!("10.{}.{n}.2", 100 + std::process::id() % 100);
        let mut steps = vec![
            format!("netns add {}", lan.a),
            format!("netns add {}", lan.b),
            format!(
                "link add {} netns {} type veth peer name {} netns {}",
                lan.if_a, lan.a, lan.if_b, lan.b
            ),
        ];
        for (ns, iface, ip) in [
            (&lan.a, &lan.if_a, lan.ip_a.to_string()),
            (&lan.b, &lan.if_b, ip_b),
        ] {
            steps.push(format!("-n {ns} addr add {ip}/24 dev {iface}"));
            steps.push(format!("-n {ns} link set {iface} up"));
            steps.push(format!("-n {ns} link set lo up"));
        }
        for step in steps {
            let out = Command::new("ip")
                .args(step.split_whitespace())
                .output()
                .map_err(|e| e.to_string())?;
            if !out.status.success() {
                return Err(format!(
                    "ip {step}: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        // The kernel reports a new link's operational state up to a second late; mDNS only uses
        // interfaces that are operationally up.
        let deadline = Instant::now() + Duration::from_secs(5);
        for (ns, iface) in [(&lan.a, &lan.if_a), (&lan.b, &lan.if_b)] {
            let path = format!("/sys/class/net/{iface}/operstate");
            loop {
                let state = Command::new("ip")
                    .args(["netns", "exec", ns, "cat", &path])
                    .output()
                    .map_err(|e| e.to_string())?;
                if String::from_utf8_lossy(&state.stdout).trim() == "up" {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(format!("{iface} in {ns} never came up"));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(lan)
    }

    /// `brogue ARGS…` inside namespace `ns`, with discovery limited to its veth end.
    fn brogue(&self, ns: &str, args: &[&str], data_dir: &std::path::Path) -> Command {
        let iface = if ns == self.a { &self.if_a } else { &self.if_b };
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns, BIN])
            .args(args)
            .args(["--lan-iface", iface])
            .arg("--data-dir")
            .arg(data_dir);
        cmd
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        // Deleting a namespace deletes the veth end inside it, and so the pair.
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

macro_rules! lan_or_skip {
    ($name:literal) => {
        match Lan::create() {
            Ok(lan) => lan,
            Err(why) => {
                eprintln!("SKIPPED {}: {why}", $name);
                return;
            }
        }
    };
}

#[test]
fn a_lan_game_is_found_joined_and_withdrawn() {
    let lan = lan_or_skip!("a_lan_game_is_found_joined_and_withdrawn");
    let host_dir = tempfile::tempdir().unwrap();
    let b_dir = tempfile::tempdir().unwrap();
    let a = lan.a.clone();
    let b = lan.b.clone();
    let mut host = HostProcess::spawn(lan.brogue(
        &a,
        &[
            "host",
            "--headless",
            "--lan-open",
            "--bind",
            "0.0.0.0",
            "--port",
            "0",
            "--world",
            "lanparty",
            "--name",
            "Hana",
        ],
        host_dir.path(),
    ));
    let port: u16 = host
        .expect_line("listening: ")
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let key = host.expect_line("key: ");
    host.expect_line("lan: announced as ");

    // Bound to 0.0.0.0, the invite names the real interface address.
    let invite = host.parsed_invite();
    assert!(
        invite.addrs.contains(&(lan.ip_a, port).into()),
        "invite addresses {:?}",
        invite.addrs
    );
    assert!(
        invite
            .addrs
            .iter()
            .all(|a| !a.ip().is_loopback() && !a.ip().is_unspecified())
    );

    // A watcher in b, running across the whole story.
    let mut watcher = lan
        .brogue(&b, &["lan", "--watch", "--timeout", "30"], b_dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let events = read_lines(watcher.stdout.take().unwrap());

    // `brogue lan --json` in b finds it within 3 s.
    let started = Instant::now();
    let out = lan
        .brogue(&b, &["lan", "--json", "--timeout", "3"], b_dir.path())
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(6));
    let games = json_of(&out);
    let game = games
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["world"] == "lanparty")
        .unwrap_or_else(|| panic!("not found within 3 s: {games}"));
    assert_eq!(game["host"], "Hana");
    assert_eq!(game["port"], port);
    assert_eq!(game["needs_code"], false);
    assert_eq!(game["compatible"], true);
    assert_eq!(game["fingerprint"], key.as_str());
    assert!(
        game["addresses"]
            .as_array()
            .unwrap()
            .contains(&Value::from(lan.ip_a.to_string()))
    );

    // A player in b joins it from the LAN (no code: the game is open) and plays.
    let out = lan
        .brogue(
            &b,
            &[
                "bots",
                "--lan",
                "lanparty",
                "--count",
                "1",
                "--duration",
                "2",
                "--json",
            ],
            b_dir.path(),
        )
        .output()
        .unwrap();
    let report = json_of(&out);
    assert_eq!(report["connected"], 1, "{report}");
    assert!(report["actions_acked"].as_u64().unwrap() > 0, "{report}");
    assert!(report["bytes_per_client_per_s"].as_f64().unwrap() > 0.0);
    assert_eq!(report["errors"], serde_json::json!([]));

    // Stopping the host withdraws the announcement: the watcher sees it go.
    let (_, exit) = host.stop();
    assert!(exit.success());
    let mut found = false;
    let mut lost = false;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !lost && Instant::now() < deadline {
        let Ok(line) = events.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        let event: Value = serde_json::from_str(&line).unwrap();
        match event["event"].as_str() {
            Some("found") if event["game"]["world"] == "lanparty" => found = true,
            Some("lost") if event["name"].as_str().unwrap().starts_with("lanparty") => lost = true,
            _ => {}
        }
    }
    let _ = watcher.kill();
    let _ = watcher.wait();
    assert!(found, "the watcher never saw the game");
    assert!(lost, "the game was not withdrawn when the host stopped");

    // A second `brogue lan` no longer lists it.
    let out = lan
        .brogue(&b, &["lan", "--json", "--timeout", "2"], b_dir.path())
        .output()
        .unwrap();
    let games = json_of(&out);
    assert!(
        games
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["world"] != "lanparty"),
        "still listed: {games}"
    );
}

#[test]
fn a_lan_game_that_is_not_open_still_needs_the_code() {
    let lan = lan_or_skip!("a_lan_game_that_is_not_open_still_needs_the_code");
    let host_dir = tempfile::tempdir().unwrap();
    let b_dir = tempfile::tempdir().unwrap();
    let a = lan.a.clone();
    let b = lan.b.clone();
    let host = HostProcess::spawn(lan.brogue(
        &a,
        &[
            "host",
            "--headless",
            "--lan",
            "--bind",
            "0.0.0.0",
            "--port",
            "0",
            "--world",
            "closed",
        ],
        host_dir.path(),
    ));
    let bots = |args: &[&str]| {
        let mut all = vec!["bots", "--count", "1", "--duration", "1", "--json"];
        all.extend_from_slice(args);
        json_of(&lan.brogue(&b, &all, b_dir.path()).output().unwrap())
    };
    let refused = bots(&["--lan", "closed"]);
    assert_eq!(refused["connected"], 0);
    assert!(
        refused["errors"][0]
            .as_str()
            .unwrap()
            .contains("invite code"),
        "{refused}"
    );
    // With the code (which names the host's real address), the same player gets in, and from
    // then on needs no code, not even from the LAN list.
    let with_code = bots(&[&host.invite]);
    assert_eq!(with_code["connected"], 1, "{with_code}");
    let returning = bots(&["--lan", "closed"]);
    assert_eq!(returning["connected"], 1, "{returning}");
    assert_eq!(returning["returning"], 1);
}
