//! LAN discovery with mDNS / DNS-SD: hosts announce `_brogue._udp.local.`, players browse for
//! it. The only module that imports `mdns_sd`; like mdns-sd itself, it talks over channels.
//!
//! Everything read from the network here is a hint from anyone on the link: TXT values are
//! length-capped, allow-listed and sanitised, and joining a game found here still verifies the
//! host's key (pinned from the announced fingerprint or from an invite code).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use game::protocol::PROTOCOL_VERSION;
use game::text::sanitize;
use mdns_sd::{IfKind, ServiceDaemon, ServiceEvent, ServiceInfo, TxtProperties};
use tokio::sync::mpsc;

use crate::tls::KeyPin;

/// The DNS-SD service type of brogue games.
pub const SERVICE_TYPE: &str = "_brogue._udp.local.";
/// Longest TXT value accepted; longer ones make the whole record ignored.
pub const MAX_TXT_VALUE: usize = 64;
/// How often the daemon looks for interfaces that came up or changed address.
const IP_CHECK_SECS: u32 = 5;
/// Most TXT entries accepted in one record.
const MAX_TXT_ENTRIES: usize = 16;

/// TXT keys (the allow-list). No secrets, no player identities, no save contents.
mod key {
    pub const PROTOCOL: &str = "p";
    pub const VERSION: &str = "v";
    pub const WORLD: &str = "w";
    pub const HOST: &str = "h";
    pub const PLAYERS: &str = "n";
    pub const MAX_PLAYERS: &str = "m";
    pub const FINGERPRINT: &str = "fp";
    pub const NEEDS_CODE: &str = "code";
}

/// Which network interfaces discovery may use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Interfaces {
    /// Every usable interface.
    #[default]
    All,
    /// Only these (by name, e.g. `eth0`).
    Named(Vec<String>),
}

/// Starting discovery failed.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("LAN discovery is unavailable: {0}")]
    Daemon(String),
    #[error("no network interface named {0:?} (see `ip link` or `ifconfig`)")]
    NoSuchInterface(String),
}

/// What a host tells the LAN about its game.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    pub world: String,
    pub host_name: String,
    pub players: u16,
    pub max_players: u16,
    /// Players found on the LAN may join without an invite code.
    pub open: bool,
    pub pin: KeyPin,
}

/// A game seen on the LAN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LanGame {
    /// The DNS-SD instance's full name (unique on the link).
    pub id: String,
    pub world: String,
    pub host_name: String,
    pub addrs: Vec<IpAddr>,
    pub port: u16,
    pub players: u16,
    pub max_players: u16,
    pub protocol: u32,
    pub version: String,
    pub needs_code: bool,
    pub pin: KeyPin,
}

impl LanGame {
    /// Can this build join it?
    pub fn compatible(&self) -> bool {
        self.protocol == PROTOCOL_VERSION
    }

    /// Reads a game from a resolved service's parts. `None` when the record is malformed:
    /// missing or oversized keys, a bad fingerprint, numbers that do not parse.
    pub fn from_txt(
        id: &str,
        txt: &TxtProperties,
        mut addrs: Vec<IpAddr>,
        port: u16,
    ) -> Option<LanGame> {
        if txt.len() > MAX_TXT_ENTRIES || port == 0 || addrs.is_empty() {
            return None;
        }
        let get = |k: &str| -> Option<&str> {
            let value = txt.get_property_val_str(k)?;
            (value.len() <= MAX_TXT_VALUE).then_some(value)
        };
        let fingerprint = get(key::FINGERPRINT)?;
        let pin = parse_pin(fingerprint)?;
        addrs.retain(|ip| match ip {
            IpAddr::V4(_) => true,
            IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
        });
        addrs.sort_by_key(|ip| (ip.is_ipv6(), *ip));
        addrs.dedup();
        if addrs.is_empty() {
            return None;
        }
        Some(LanGame {
            id: sanitize(id, 120),
            world: sanitize(get(key::WORLD)?, 40),
            host_name: sanitize(get(key::HOST)?, 16),
            addrs,
            port,
            players: get(key::PLAYERS)?.parse().ok()?,
            max_players: get(key::MAX_PLAYERS)?.parse().ok()?,
            protocol: get(key::PROTOCOL)?.parse().ok()?,
            version: sanitize(get(key::VERSION)?, 24),
            needs_code: match get(key::NEEDS_CODE)? {
                "1" => true,
                "0" => false,
                _ => return None,
            },
            pin,
        })
    }
}

fn parse_pin(hex: &str) -> Option<KeyPin> {
    game::ids::unhex(hex).map(KeyPin)
}

pub(crate) fn txt_of(a: &Announcement) -> Vec<(String, String)> {
    vec![
        (key::PROTOCOL.into(), PROTOCOL_VERSION.to_string()),
        (key::VERSION.into(), env!("CARGO_PKG_VERSION").into()),
        (key::WORLD.into(), truncate(&sanitize(&a.world, 40))),
        (key::HOST.into(), truncate(&sanitize(&a.host_name, 16))),
        (key::PLAYERS.into(), a.players.to_string()),
        (key::MAX_PLAYERS.into(), a.max_players.to_string()),
        (key::FINGERPRINT.into(), game::ids::hex(&a.pin.0)),
        (
            key::NEEDS_CODE.into(),
            if a.open { "0" } else { "1" }.into(),
        ),
    ]
}

/// Cuts `s` to at most [`MAX_TXT_VALUE`] bytes on a character boundary.
fn truncate(s: &str) -> String {
    let mut end = s.len().min(MAX_TXT_VALUE);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// Starts an mDNS daemon limited to `interfaces`.
///
/// mdns-sd joins the mDNS group on every interface that is up while it starts, before any
/// restriction applies; the restriction then leaves the others. So names are checked first (a
/// typo never touches the network), and tests create daemons only inside network namespaces.
fn daemon(interfaces: &Interfaces) -> Result<ServiceDaemon, DiscoveryError> {
    check_interfaces(interfaces)?;
    let daemon = ServiceDaemon::new().map_err(|e| DiscoveryError::Daemon(e.to_string()))?;
    // Interfaces that come up later (a laptop joining Wi-Fi, a fresh link whose state is still
    // settling) are picked up within seconds rather than the default half minute.
    daemon
        .set_ip_check_interval(IP_CHECK_SECS)
        .map_err(|e| DiscoveryError::Daemon(e.to_string()))?;
    if let Interfaces::Named(names) = interfaces {
        daemon
            .disable_interface(IfKind::All)
            .map_err(|e| DiscoveryError::Daemon(e.to_string()))?;
        let named: Vec<IfKind> = names.iter().map(|n| IfKind::Name(n.clone())).collect();
        daemon
            .enable_interface(named)
            .map_err(|e| DiscoveryError::Daemon(e.to_string()))?;
    }
    Ok(daemon)
}

/// Every named interface must exist.
pub fn check_interfaces(interfaces: &Interfaces) -> Result<(), DiscoveryError> {
    let Interfaces::Named(names) = interfaces else {
        return Ok(());
    };
    let known: Vec<String> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.name)
        .collect();
    match names.iter().find(|n| !known.contains(n)) {
        Some(missing) => Err(DiscoveryError::NoSuchInterface(missing.clone())),
        None => Ok(()),
    }
}

/// A game announced on the LAN; withdrawn (with goodbye packets) by [`Announcer::stop`].
pub struct Announcer {
    daemon: ServiceDaemon,
    info: ServiceInfo,
    announcement: Announcement,
}

impl std::fmt::Debug for Announcer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Announcer")
            .field("fullname", &self.info.get_fullname())
            .finish()
    }
}

impl Announcer {
    /// Announces `announcement` for a host listening on `port`. With `addr` `None` (a host bound
    /// to the unspecified address) each interface announces its own addresses.
    pub fn start(
        announcement: Announcement,
        addr: Option<IpAddr>,
        port: u16,
        interfaces: &Interfaces,
    ) -> Result<Announcer, DiscoveryError> {
        let daemon = daemon(interfaces)?;
        let short = &game::ids::hex(&announcement.pin.0)[..8];
        let instance = truncate(&format!(
            "{} - {} ({short})",
            sanitize(&announcement.world, 24),
            sanitize(&announcement.host_name, 16)
        ));
        let host = format!("brogue-{short}.local.");
        let info = Self::info(&announcement, &instance, &host, addr, port)?;
        daemon
            .register(info.clone())
            .map_err(|e| DiscoveryError::Daemon(e.to_string()))?;
        Ok(Announcer {
            daemon,
            info,
            announcement,
        })
    }

    fn info(
        a: &Announcement,
        instance: &str,
        host: &str,
        addr: Option<IpAddr>,
        port: u16,
    ) -> Result<ServiceInfo, DiscoveryError> {
        let props: std::collections::HashMap<String, String> = txt_of(a).into_iter().collect();
        let addrs: Vec<IpAddr> = addr.into_iter().collect();
        let info = ServiceInfo::new(SERVICE_TYPE, instance, host, &addrs[..], port, props)
            .map_err(|e| DiscoveryError::Daemon(e.to_string()))?;
        Ok(if addr.is_none() {
            info.enable_addr_auto()
        } else {
            info
        })
    }

    /// The announced instance's full DNS-SD name.
    pub fn name(&self) -> &str {
        self.info.get_fullname()
    }

    /// Re-announces with a new player count (no-op when unchanged).
    pub fn set_players(&mut self, players: u16) {
        if players == self.announcement.players {
            return;
        }
        self.announcement.players = players;
        let addrs: Vec<IpAddr> = self.info.get_addresses().iter().copied().collect();
        let addr = (!self.info.is_addr_auto())
            .then(|| addrs.first().copied())
            .flatten();
        if let Ok(info) = Self::info(
            &self.announcement,
            self.info
                .get_fullname()
                .trim_end_matches(&format!(".{SERVICE_TYPE}")),
            self.info.get_hostname(),
            addr,
            self.info.get_port(),
        ) {
            let _ = self.daemon.register(info.clone());
            self.info = info;
        }
    }

    /// Withdraws the announcement (goodbye packets) and stops the daemon.
    pub fn stop(self) {
        if let Ok(done) = self.daemon.unregister(self.info.get_fullname()) {
            let _ = done.recv_timeout(Duration::from_secs(2));
        }
        if let Ok(done) = self.daemon.shutdown() {
            let _ = done.recv_timeout(Duration::from_secs(2));
        }
    }
}

/// What a browser reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LanEvent {
    /// A game appeared or changed.
    Found(LanGame),
    /// A game was withdrawn (its id).
    Lost(String),
}

/// Browses the LAN for games; results arrive on [`Browser::next`]. Stops when dropped.
pub struct Browser {
    daemon: ServiceDaemon,
    events: mpsc::Receiver<LanEvent>,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Browser")
    }
}

impl Browser {
    pub fn start(interfaces: &Interfaces) -> Result<Browser, DiscoveryError> {
        let daemon = daemon(interfaces)?;
        let raw = daemon
            .browse(SERVICE_TYPE)
            .map_err(|e| DiscoveryError::Daemon(e.to_string()))?;
        let (tx, events) = mpsc::channel(64);
        std::thread::Builder::new()
            .name("brogue-lan".into())
            .spawn(move || {
                while let Ok(event) = raw.recv() {
                    let out = match event {
                        ServiceEvent::ServiceResolved(s) => {
                            let addrs = s.addresses.iter().map(|a| a.to_ip_addr()).collect();
                            match LanGame::from_txt(&s.fullname, &s.txt_properties, addrs, s.port) {
                                Some(game) => LanEvent::Found(game),
                                None => {
                                    tracing::debug!("ignoring a malformed announcement");
                                    continue;
                                }
                            }
                        }
                        ServiceEvent::ServiceRemoved(_, fullname) => {
                            LanEvent::Lost(sanitize(&fullname, 120))
                        }
                        ServiceEvent::SearchStopped(_) => return,
                        _ => continue,
                    };
                    if tx.blocking_send(out).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| DiscoveryError::Daemon(e.to_string()))?;
        Ok(Browser { daemon, events })
    }

    /// The next change, or `None` once browsing has stopped.
    pub async fn next(&mut self) -> Option<LanEvent> {
        self.events.recv().await
    }

    /// Browses for `timeout` and returns the games still announced at the end, by id.
    pub async fn collect(mut self, timeout: Duration) -> Vec<LanGame> {
        let mut games: BTreeMap<String, LanGame> = BTreeMap::new();
        let deadline = tokio::time::Instant::now() + timeout;
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, self.next()).await {
            apply(&mut games, event);
        }
        games.into_values().collect()
    }
}

/// Folds an event into a list of games by id.
pub fn apply(games: &mut BTreeMap<String, LanGame>, event: LanEvent) {
    match event {
        LanEvent::Found(game) => {
            games.insert(game.id.clone(), game);
        }
        LanEvent::Lost(id) => {
            games.remove(&id);
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.daemon.stop_browse(SERVICE_TYPE);
        let _ = self.daemon.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good_entries() -> Vec<Vec<u8>> {
        let fp = format!("fp={}", "ab".repeat(16));
        vec![
            format!("p={PROTOCOL_VERSION}").into_bytes(),
            b"v=0.1.0".to_vec(),
            b"w=Deep Halls".to_vec(),
            b"h=Hana".to_vec(),
            b"n=2".to_vec(),
            b"m=8".to_vec(),
            fp.into_bytes(),
            b"code=0".to_vec(),
        ]
    }

    fn parse(entries: &[Vec<u8>]) -> Option<LanGame> {
        let txt = TxtProperties::from(crate::fuzz::raw_txt(entries).as_slice());
        LanGame::from_txt(
            "Deep Halls - Hana (abababab)._brogue._udp.local.",
            &txt,
            vec!["10.0.0.7".parse().unwrap()],
            4470,
        )
    }

    #[test]
    fn a_well_formed_record_parses() {
        let game = parse(&good_entries()).expect("well formed");
        assert_eq!(game.world, "Deep Halls");
        assert_eq!(game.host_name, "Hana");
        assert_eq!((game.players, game.max_players, game.port), (2, 8, 4470));
        assert!(!game.needs_code);
        assert_eq!(game.pin, KeyPin([0xab; 16]));
        assert!(game.compatible());
        // Another protocol version parses, marked incompatible.
        let mut old = good_entries();
        old[0] = format!("p={}", PROTOCOL_VERSION + 1).into_bytes();
        assert!(!parse(&old).unwrap().compatible());
    }

    #[test]
    fn what_we_announce_is_what_we_parse() {
        let a = Announcement {
            world: "caves".into(),
            host_name: "Bob".into(),
            players: 3,
            max_players: 6,
            open: false,
            pin: KeyPin([7; 16]),
        };
        let entries: Vec<Vec<u8>> = txt_of(&a)
            .into_iter()
            .map(|(k, v)| format!("{k}={v}").into_bytes())
            .collect();
        let game = parse(&entries).unwrap();
        assert_eq!(
            (game.world.as_str(), game.host_name.as_str()),
            ("caves", "Bob")
        );
        assert_eq!((game.players, game.max_players), (3, 6));
        assert!(game.needs_code);
        assert_eq!(game.pin, a.pin);
        // No key outside the allow-list, nothing secret.
        let keys: Vec<String> = txt_of(&a).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["p", "v", "w", "h", "n", "m", "fp", "code"]);
    }

    #[test]
    fn malformed_records_are_ignored() {
        // Missing a required key.
        let mut missing = good_entries();
        missing.retain(|e| !e.starts_with(b"fp="));
        assert_eq!(parse(&missing), None);
        // An oversized value.
        let mut big = good_entries();
        big[2] = format!("w={}", "x".repeat(200)).into_bytes();
        assert_eq!(parse(&big), None);
        // A fingerprint that is not 32 hex digits, numbers that are not numbers.
        let mut bad_fp = good_entries();
        bad_fp[6] = b"fp=zz".to_vec();
        assert_eq!(parse(&bad_fp), None);
        let mut bad_n = good_entries();
        bad_n[4] = b"n=-1".to_vec();
        assert_eq!(parse(&bad_n), None);
        let mut bad_code = good_entries();
        bad_code[7] = b"code=maybe".to_vec();
        assert_eq!(parse(&bad_code), None);
        // Too many entries.
        let mut many = good_entries();
        for i in 0..20 {
            many.push(format!("x{i}=1").into_bytes());
        }
        assert_eq!(parse(&many), None);
        // Truncated wire bytes (a length byte promising more than is there) do not panic.
        let txt = TxtProperties::from(&[40u8, b'p', b'=', b'1'][..]);
        assert_eq!(
            LanGame::from_txt("x", &txt, vec!["10.0.0.1".parse().unwrap()], 1),
            None
        );
    }

    #[test]
    fn control_characters_in_names_are_stripped() {
        let mut evil = good_entries();
        evil[2] = b"w=\x1b[2JEvil\xe2\x80\xaeWorld".to_vec();
        evil[3] = b"h=\x07Bob\x00".to_vec();
        let game = parse(&evil).expect("still a game, with clean names");
        assert_eq!(game.world, "[2JEvilWorld");
        assert_eq!(game.host_name, "Bob");
    }

    #[test]
    fn an_unknown_interface_is_named_in_the_error() {
        // Checked before any daemon exists: this test sends nothing anywhere.
        let err = check_interfaces(&Interfaces::Named(vec!["nosuch0".into()])).unwrap_err();
        assert!(err.to_string().contains("nosuch0"));
        assert!(check_interfaces(&Interfaces::Named(vec!["lo".into()])).is_ok());
    }
}
