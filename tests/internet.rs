//! Internet play through a home router, end to end, in a NAT lab each test builds from network
//! namespaces and deletes: `home` (the host) and `friend` (a LAN player) on a bridge behind
//! `router` (nftables masquerade plus miniupnpd speaking UPnP IGD, NAT-PMP and PCP on its LAN
//! side), and `internet` (a friend outside) on the router's outside link. The outside addresses
//! exist only inside these namespaces; no packet reaches the machine's real interfaces.
//!
//! Needs root, `ip`, `nft` and `miniupnpd` (Debian: nftables, miniupnpd-nftables; `.ci/run`
//! installs them). Without them each test prints `SKIPPED: …` and returns.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{BIN, HostProcess, json_of};

static NEXT: AtomicU32 = AtomicU32::new(0);

const HOST_IP: &str = "10.77.0.2";
const FRIEND_IP: &str = "10.77.0.3";
const ROUTER_LAN_IP: &str = "10.77.0.1";

/// What the router is like.
#[derive(Clone, Copy)]
struct RouterKind {
    /// The first three octets of the outside link (the router is `.1`, the internet `.2`).
    outside: &'static str,
    upnp: bool,
    /// Describe itself as an IGD v1 device (WANIPConnection:1) rather than v2.
    igd_v1: bool,
    /// Whether miniupnpd runs at all.
    daemon: bool,
}

const HOME_ROUTER: RouterKind = RouterKind {
    outside: "5.9.0",
    upnp: true,
    igd_v1: false,
    daemon: true,
};

struct Lab {
    home: String,
    router: String,
    internet: String,
    friend: String,
    outside_ip: String,
    miniupnpd: Option<Child>,
    dir: tempfile::TempDir,
}

impl Lab {
    fn create(kind: RouterKind) -> Result<Lab, String> {
        support::root_for("building a NAT lab from network namespaces")
            .map_err(|_| "needs root (to build a NAT lab from network namespaces)".to_owned())?;
        for (tool, package) in [
            ("ip", "iproute2"),
            ("nft", "nftables"),
            ("miniupnpd", "miniupnpd-nftables"),
        ] {
            let found = Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success());
            if !found {
                return Err(format!(
                    "`{tool}` is not installed (Debian package {package})"
                ));
            }
        }
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let id = format!("{}{n}", std::process::id() % 10_000);
        let lab = Lab {
            home: format!("bh{id}"),
            router: format!("br{id}"),
            internet: format!("bi{id}"),
            friend: format!("bf{id}"),
            outside_ip: format!("{}.1", kind.outside),
            miniupnpd: None,
            dir: tempfile::tempdir().map_err(|e| e.to_string())?,
        };
        let (home, router, internet, friend) = (&lab.home, &lab.router, &lab.internet, &lab.friend);
        let out = kind.outside;
        let steps = [
            format!("netns add {home}"),
            format!("netns add {router}"),
            format!("netns add {internet}"),
            format!("netns add {friend}"),
            format!("link add h0 netns {home} type veth peer name lan-h netns {router}"),
            format!("link add f0 netns {friend} type veth peer name lan-f netns {router}"),
            format!("link add wan netns {router} type veth peer name i0 netns {internet}"),
            format!("-n {router} link add lan type bridge"),
            format!("-n {router} link set lan-h master lan"),
            format!("-n {router} link set lan-f master lan"),
            format!("-n {router} addr add {ROUTER_LAN_IP}/24 dev lan"),
            format!("-n {router} addr add {out}.1/24 dev wan"),
            format!("-n {home} addr add {HOST_IP}/24 dev h0"),
            format!("-n {friend} addr add {FRIEND_IP}/24 dev f0"),
            format!("-n {internet} addr add {out}.2/24 dev i0"),
            format!("-n {router} link set lan up"),
            format!("-n {router} link set lan-h up"),
            format!("-n {router} link set lan-f up"),
            format!("-n {router} link set wan up"),
            format!("-n {home} link set h0 up"),
            format!("-n {friend} link set f0 up"),
            format!("-n {internet} link set i0 up"),
            format!("-n {home} route add default via {ROUTER_LAN_IP}"),
            format!("-n {friend} route add default via {ROUTER_LAN_IP}"),
        ];
        for step in &steps {
            run("ip", &step.split_whitespace().collect::<Vec<_>>())?;
        }
        for ns in [home, router, internet, friend] {
            run("ip", &["-n", ns, "link", "set", "lo", "up"])?;
        }
        lab.exec(router, "sysctl", &["-qw", "net.ipv4.ip_forward=1"])?;
        // Where br_netfilter is loaded (Docker loads it), frames crossing the LAN bridge would
        // meet the router's forward policy; a home router's LAN switch does not filter.
        for table in ["iptables", "ip6tables", "arptables"] {
            let key = format!("net.bridge.bridge-nf-call-{table}=0");
            let _ = lab.exec(router, "sysctl", &["-qw", &key]);
        }
        // The router forwards what its LAN sends out and what miniupnpd lets in; it masquerades
        // the LAN behind its outside address. The chains miniupnpd fills must exist first.
        let rules = "table inet filter {\n\
             chain forward { type filter hook forward priority 0; policy drop;\n\
               ct state established,related accept\n\
               iifname \"lan\" oifname \"wan\" accept\n\
               jump miniupnpd\n\
             }\n\
             chain miniupnpd { }\n\
           }\n\
           table inet nat {\n\
             chain prerouting { type nat hook prerouting priority -100; policy accept;\n\
               jump prerouting_miniupnpd\n\
             }\n\
             chain postrouting { type nat hook postrouting priority 100; policy accept;\n\
               jump postrouting_miniupnpd\n\
               oifname \"wan\" masquerade\n\
             }\n\
             chain prerouting_miniupnpd { }\n\
             chain postrouting_miniupnpd { }\n\
           }\n";
        let rules_file = lab.dir.path().join("router.nft");
        std::fs::write(&rules_file, rules).map_err(|e| e.to_string())?;
        lab.exec(router, "nft", &["-f", &rules_file.to_string_lossy()])?;
        wait_until_up(&lab)?;
        let mut lab = lab;
        if kind.daemon {
            lab.start_miniupnpd(kind.upnp, kind.igd_v1)?;
        }
        Ok(lab)
    }

    fn start_miniupnpd(&mut self, upnp: bool, igd_v1: bool) -> Result<(), String> {
        let conf = self.dir.path().join("miniupnpd.conf");
        let text = format!(
            "ext_ifname=wan\nlistening_ip=lan\nhttp_port=0\nenable_natpmp=yes\n\
             enable_upnp={}\nsecure_mode=yes\nuuid=3d3cec3a-8cf0-11e0-98ee-000000000001\n\
             upnp_table_name=filter\nupnp_nat_table_name=nat\nupnp_forward_chain=miniupnpd\n\
             upnp_nat_chain=prerouting_miniupnpd\n\
             upnp_nat_postrouting_chain=postrouting_miniupnpd\n\
             allow 1024-65535 10.77.0.0/24 1024-65535\ndeny 0-65535 0.0.0.0/0 0-65535\n\
             force_igd_desc_v1={}\n",
            if upnp { "yes" } else { "no" },
            if igd_v1 { "yes" } else { "no" },
        );
        std::fs::write(&conf, text).map_err(|e| e.to_string())?;
        let log = std::fs::File::create(self.dir.path().join("miniupnpd.log"))
            .map_err(|e| e.to_string())?;
        let child = Command::new("ip")
            .args(["netns", "exec", &self.router, "miniupnpd", "-d", "-f"])
            .arg(&conf)
            .arg("-P")
            .arg(self.dir.path().join("miniupnpd.pid"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| e.to_string())?;
        self.miniupnpd = Some(child);
        // Ready once it listens for NAT-PMP/PCP (its last start-up line).
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.miniupnpd_log().contains("Listening for NAT-PMP") {
            if Instant::now() > deadline {
                return Err(format!(
                    "miniupnpd did not start:\n{}",
                    self.miniupnpd_log()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    fn miniupnpd_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("miniupnpd.log")).unwrap_or_default()
    }

    fn exec(&self, ns: &str, program: &str, args: &[&str]) -> Result<Output, String> {
        let mut all = vec!["netns", "exec", ns, program];
        all.extend_from_slice(args);
        run("ip", &all)
    }

    /// `brogue ARGS…` inside `ns`.
    fn brogue(&self, ns: &str, args: &[&str], data_dir: &Path) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns, BIN])
            .args(args)
            .arg("--data-dir")
            .arg(data_dir);
        cmd
    }

    /// The UDP ports the router forwards from outside now.
    fn forwarded_ports(&self) -> Vec<u16> {
        let out = self
            .exec(
                &self.router,
                "nft",
                &["list", "chain", "inet", "nat", "prerouting_miniupnpd"],
            )
            .expect("list the router's forwards");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut ports: Vec<u16> = text
            .lines()
            .filter(|l| l.contains("dnat"))
            .filter_map(|l| {
                let after = l.split("dport ").nth(1)?;
                after.split_whitespace().next()?.parse().ok()
            })
            .collect();
        ports.sort_unstable();
        ports
    }

    /// A headless host in `home` on `port`, with its first lines read.
    fn host(&self, data_dir: &Path, port: u16, extra: &[&str]) -> HostProcess {
        let port = port.to_string();
        let mut args = vec!["host", "--headless", "--port", &port, "--world", "lab"];
        args.extend_from_slice(extra);
        HostProcess::spawn(self.brogue(&self.home, &args, data_dir))
    }

    /// [`Lab::host`] on port 4470, and the reachability it printed.
    fn host_reach(&self, data_dir: &Path, extra: &[&str]) -> (HostProcess, String) {
        let mut host = self.host(data_dir, 4470, extra);
        let reach = host.expect_line("reachability: ");
        (host, reach)
    }

    /// `brogue doctor --json` in `home`.
    fn doctor(&self) -> Value {
        let dir = tempfile::tempdir().unwrap();
        let out = self
            .brogue(&self.home, &["doctor", "--json"], dir.path())
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).expect("doctor JSON")
    }

    /// One bot joining with `code` from `ns` for a second: its JSON report.
    fn bot(&self, ns: &str, code: &str) -> Value {
        let dir = tempfile::tempdir().unwrap();
        let args = ["bots", code, "--count", "1", "--duration", "1", "--json"];
        json_of(&self.brogue(ns, &args, dir.path()).output().unwrap())
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(mut child) = self.miniupnpd.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in [&self.home, &self.router, &self.internet, &self.friend] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

fn run(program: &str, args: &[&str]) -> Result<Output, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// New links report themselves up a moment late; miniupnpd and SSDP need them up.
fn wait_until_up(lab: &Lab) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    for (ns, iface) in [
        (&lab.home, "h0"),
        (&lab.friend, "f0"),
        (&lab.internet, "i0"),
        (&lab.router, "lan"),
        (&lab.router, "wan"),
    ] {
        let path = format!("/sys/class/net/{iface}/operstate");
        loop {
            let state = lab.exec(ns, "cat", &[&path])?;
            let state = String::from_utf8_lossy(&state.stdout).trim().to_owned();
            if state == "up" {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("{iface} in {ns} is {state}, never up"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok(())
}

macro_rules! lab_or_skip {
    ($name:literal, $kind:expr) => {
        match Lab::create($kind) {
            Ok(lab) => lab,
            Err(why) => {
                eprintln!("SKIPPED: {why} — {}", $name);
                return;
            }
        }
    };
}

fn data_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    (dir, path)
}

fn stop(host: HostProcess) -> String {
    let (status, stderr) = host.stop_and_wait(Duration::from_secs(15));
    assert!(
        status.success(),
        "host exit: {status:?}\n{}",
        stderr.join("\n")
    );
    stderr.join("\n")
}

#[test]
fn a_friend_on_the_internet_joins_through_the_port_the_router_mapped() {
    let lab = lab_or_skip!(
        "a_friend_on_the_internet_joins_through_the_port_the_router_mapped",
        HOME_ROUTER
    );
    // The doctor asks as a host would, says what it found, and leaves nothing mapped.
    let doctor = lab.doctor();
    assert_eq!(doctor["verdict"], "internet", "{doctor}");
    assert_eq!(doctor["mapping"]["protocol"], "upnp", "{doctor}");
    assert_eq!(doctor["renewed"], true, "{doctor}");
    assert_eq!(doctor["removed"], true, "{doctor}");
    assert_eq!(
        doctor["mapping"]["external"],
        format!("{}:4470", lab.outside_ip)
    );
    assert!(
        doctor["interfaces"].as_array().unwrap().iter().any(|i| {
            i["name"] == "h0" && i["address"] == HOST_IP && i["lan_discovery"] == true
        })
    );
    assert_eq!(lab.forwarded_ports(), Vec::<u16>::new());

    // A host that crashed leaves its mapping behind (port 5000); the next one replaces it.
    let (_h, host_dir) = data_dir();
    let crashed = lab.host(&host_dir, 5000, &[]);
    assert_eq!(lab.forwarded_ports(), [5000]);
    crashed.kill();
    let (host, reach) = lab.host_reach(&host_dir, &[]);
    assert_eq!(
        reach,
        format!(
            "internet friends on the internet can join at {}:4470 (mapped on your router by \
             UPnP)",
            lab.outside_ip
        )
    );
    assert_eq!(
        lab.forwarded_ports(),
        [4470],
        "the crashed host's mapping is gone"
    );
    // The public address comes first, then the LAN one.
    let invite = host.parsed_invite();
    assert_eq!(
        invite
            .addrs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            format!("{}:4470", lab.outside_ip),
            format!("{HOST_IP}:4470")
        ]
    );
    assert!(host.invite.len() <= 90, "{}", host.invite);

    let outside = lab.bot(&lab.internet, &host.invite);
    assert_eq!(outside["connected"], 1, "{outside}");
    assert!(outside["actions_acked"].as_u64().unwrap() > 0, "{outside}");
    let inside = lab.bot(&lab.friend, &host.invite);
    assert_eq!(inside["connected"], 1, "{inside}");

    let log = stop(host);
    assert!(log.contains("port mapping"), "{log}");
    assert_eq!(lab.forwarded_ports(), Vec::<u16>::new(), "removed on exit");
}

#[test]
fn an_igd_v1_router_maps_the_port_too() {
    let lab = lab_or_skip!(
        "an_igd_v1_router_maps_the_port_too",
        RouterKind {
            igd_v1: true,
            ..HOME_ROUTER
        }
    );
    let (_h, host_dir) = data_dir();
    let (host, reach) = lab.host_reach(&host_dir, &[]);
    assert!(
        reach.ends_with("(mapped on your router by UPnP)"),
        "{reach}"
    );
    assert!(
        lab.miniupnpd_log()
            .contains("WANIPConnection:1#AddPortMapping"),
        "the v1 service was used"
    );
    let outside = lab.bot(&lab.internet, &host.invite);
    assert_eq!(outside["connected"], 1, "{outside}");
    stop(host);
    assert_eq!(lab.forwarded_ports(), Vec::<u16>::new(), "removed on exit");
}

#[test]
fn with_upnp_off_nat_pmp_or_pcp_still_maps_the_port() {
    let lab = lab_or_skip!(
        "with_upnp_off_nat_pmp_or_pcp_still_maps_the_port",
        RouterKind {
            upnp: false,
            ..HOME_ROUTER
        }
    );
    let (_h, host_dir) = data_dir();
    let (host, reach) = lab.host_reach(&host_dir, &[]);
    assert!(
        reach.starts_with(&format!(
            "internet friends on the internet can join at {}:4470",
            lab.outside_ip
        )),
        "{reach}"
    );
    assert!(
        reach.ends_with("by PCP)") || reach.ends_with("by NAT-PMP)"),
        "{reach}"
    );
    assert_eq!(lab.forwarded_ports(), [4470]);
    let outside = lab.bot(&lab.internet, &host.invite);
    assert_eq!(outside["connected"], 1, "{outside}");
    stop(host);
    assert_eq!(lab.forwarded_ports(), Vec::<u16>::new(), "removed on exit");
    // The doctor renews its test mapping with PCP/NAT-PMP too.
    let doctor = lab.doctor();
    assert_eq!(doctor["verdict"], "internet", "{doctor}");
    assert_eq!(doctor["renewed"], true, "{doctor}");
    assert_eq!(lab.forwarded_ports(), Vec::<u16>::new());
}

#[test]
fn a_router_that_answers_later_gets_the_host_a_new_code_that_works_outside() {
    let mut lab = lab_or_skip!(
        "a_router_that_answers_later_gets_the_host_a_new_code_that_works_outside",
        RouterKind {
            daemon: false,
            ..HOME_ROUTER
        }
    );
    let (_h, host_dir) = data_dir();
    let (mut host, reach) = lab.host_reach(&host_dir, &[]);
    assert!(reach.starts_with("lan-only no router answered"), "{reach}");
    // The host switches UPnP on in the router, as the message suggests; within the first
    // retry (10 s) the host maps, says so, and prints a code with the public address first.
    lab.start_miniupnpd(true, false).unwrap();
    let reach = host.expect_line_within("reachability: ", Duration::from_secs(30));
    assert!(
        reach.starts_with(&format!(
            "internet friends on the internet can join at {}:4470",
            lab.outside_ip
        )),
        "{reach}"
    );
    // The new code and the verdict come in either order.
    let code = match host
        .skipped
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("invite: "))
    {
        Some(code) => code.to_owned(),
        None => host.expect_line("invite: "),
    };
    assert_ne!(code, host.invite);
    let invite = net::Invite::parse(&code).unwrap();
    assert_eq!(
        invite.secret,
        host.parsed_invite().secret,
        "the same secret, readdressed"
    );
    assert_eq!(
        invite.addrs[0].to_string(),
        format!("{}:4470", lab.outside_ip)
    );
    let outside = lab.bot(&lab.internet, &code);
    assert_eq!(outside["connected"], 1, "{outside}");
    stop(host);
    assert_eq!(lab.forwarded_ports(), Vec::<u16>::new(), "removed on exit");
}

#[test]
fn with_no_router_answering_the_host_says_so_and_lan_friends_still_join() {
    let lab = lab_or_skip!(
        "with_no_router_answering_the_host_says_so_and_lan_friends_still_join",
        RouterKind {
            daemon: false,
            ..HOME_ROUTER
        }
    );
    let (_h, host_dir) = data_dir();
    let (host, reach) = lab.host_reach(&host_dir, &[]);
    assert_eq!(
        reach,
        "lan-only no router answered UPnP, NAT-PMP or PCP: friends on this network can join; \
         for friends elsewhere forward UDP 4470 to this machine and pass --public-addr"
    );
    let inside = lab.bot(&lab.friend, &host.invite);
    assert_eq!(inside["connected"], 1, "{inside}");
    // From outside, the friend is told which address was tried and what happened there.
    let outside = lab.bot(&lab.internet, &host.invite);
    assert_eq!(outside["connected"], 0, "{outside}");
    let error = outside["errors"][0].as_str().unwrap_or_default();
    assert!(error.contains(&format!("{HOST_IP}:4470 — ")), "{outside}");

    // A forwarded port named by hand goes first in the code, and is what the host reports.
    stop(host);
    let public = format!("{}:4470", lab.outside_ip);
    let (host, reach) = lab.host_reach(&host_dir, &["--public-addr", &public, "--no-port-mapping"]);
    assert!(
        reach.starts_with(&format!(
            "internet friends on the internet can join at {public} (from --public-addr"
        )),
        "{reach}"
    );
    assert_eq!(host.parsed_invite().addrs[0].to_string(), public);
    stop(host);
}

#[test]
fn behind_carrier_grade_nat_the_host_says_friends_outside_cannot_reach_it() {
    let lab = lab_or_skip!(
        "behind_carrier_grade_nat_the_host_says_friends_outside_cannot_reach_it",
        RouterKind {
            outside: "100.64.0",
            ..HOME_ROUTER
        }
    );
    let (_h, host_dir) = data_dir();
    let (host, reach) = lab.host_reach(&host_dir, &[]);
    assert!(reach.starts_with("cgnat your router "), "{reach}");
    assert!(reach.contains("carrier-grade NAT"), "{reach}");
    assert!(reach.contains("--public-addr"), "{reach}");
    assert_eq!(lab.forwarded_ports(), Vec::<u16>::new());
    let inside = lab.bot(&lab.friend, &host.invite);
    assert_eq!(inside["connected"], 1, "{inside}");
    stop(host);
    let doctor = lab.doctor();
    assert_eq!(doctor["verdict"], "cgnat", "{doctor}");
    assert_eq!(doctor["mapping"]["protocol"], Value::Null);
}
