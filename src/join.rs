//! What a player can join with: an invite code, a LAN game, or the address of a host they have
//! joined before (or whose key fingerprint they typed). Every way ends in a pinned [`Target`].

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

use net::discovery::LanGame;
use net::{Invite, KeyPin, Target};

use crate::cli::DEFAULT_PORT;

/// A parsed Join field or `brogue join` argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JoinSpec {
    Invite(Invite),
    /// `host[:port] [fingerprint]`
    Address {
        addr: SocketAddr,
        pin: Option<KeyPin>,
    },
}

/// Where to dial, which key to expect, and the secret to present.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub target: Target,
    pub secret: Option<[u8; 16]>,
}

impl JoinSpec {
    /// Reads an invite code (`BRG-…`) or an address (`192.168.1.20:4470`, optionally followed
    /// by the host's key fingerprint).
    pub fn parse(input: &str) -> Result<JoinSpec, String> {
        let input = input.trim();
        if input.len() >= 3 && input[..3].eq_ignore_ascii_case("BRG") {
            return Invite::parse(input)
                .map(JoinSpec::Invite)
                .map_err(|e| e.to_string());
        }
        let mut words = input.split_whitespace();
        let Some(host) = words.next() else {
            return Err(
                "type an invite code (BRG-…) or a host's address like 192.168.1.20:4470".into(),
            );
        };
        let addr = parse_addr(host).ok_or_else(|| {
            format!(
                "{host:?} is neither an invite code (BRG-…) nor an address like \
                 192.168.1.20:4470"
            )
        })?;
        let pin = match words.next() {
            Some(fp) => Some(parse_fingerprint(fp).ok_or_else(|| {
                format!("{fp:?} is not a host key fingerprint (32 hex digits, colons allowed)")
            })?),
            None => None,
        };
        Ok(JoinSpec::Address { addr, pin })
    }

    /// The target to dial: the code's, or the address with the typed or remembered pin.
    pub fn resolve(&self, known: &KnownHosts) -> Result<Resolved, String> {
        match self {
            JoinSpec::Invite(invite) => Ok(Resolved {
                target: Target::from_invite(invite),
                secret: Some(invite.secret.0),
            }),
            JoinSpec::Address { addr, pin } => {
                let pin = pin.or_else(|| known.pin_for(addr)).ok_or_else(|| {
                    format!(
                        "brogue has not joined {addr} before, so it cannot check who answers \
                         there. Join once with the host's invite code, or type the host's key \
                         fingerprint after the address (the host sees it by pressing i)"
                    )
                })?;
                Ok(Resolved {
                    target: Target {
                        addrs: vec![*addr],
                        pin,
                        world: None,
                    },
                    secret: None,
                })
            }
        }
    }
}

/// Browses the LAN (up to `timeout`) for a compatible game of world `world`.
pub async fn find_lan_game(
    interfaces: &net::discovery::Interfaces,
    world: &str,
    timeout: std::time::Duration,
) -> color_eyre::eyre::Result<LanGame> {
    let mut browser = net::discovery::Browser::start(interfaces)?;
    let mut incompatible = None;
    let deadline = tokio::time::Instant::now() + timeout;
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, browser.next()).await {
        if let net::discovery::LanEvent::Found(game) = event
            && game.world == world
        {
            if game.compatible() {
                return Ok(game);
            }
            incompatible = Some(game.version);
        }
    }
    match incompatible {
        Some(version) => color_eyre::eyre::bail!(
            "the LAN game {world:?} runs brogue {version}, which this brogue ({}) cannot join",
            env!("CARGO_PKG_VERSION")
        ),
        None => color_eyre::eyre::bail!(
            "no game named {world:?} answered on the LAN within {} s (see `brogue lan`)",
            timeout.as_secs()
        ),
    }
}

/// The target of a game found on the LAN (pinned to its announced key).
pub fn lan_target(game: &LanGame) -> Target {
    Target {
        addrs: game
            .addrs
            .iter()
            .map(|ip| SocketAddr::new(*ip, game.port))
            .collect(),
        pin: game.pin,
        world: None,
    }
}

fn parse_addr(s: &str) -> Option<SocketAddr> {
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Some(addr);
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, DEFAULT_PORT));
    }
    // Only things that look like host names are looked up: a bare word is more likely a
    // mangled invite code than a machine, and should get that message without a DNS query.
    if !s.contains('.') && !s.contains(':') {
        return None;
    }
    let with_port = if s.contains(':') {
        s.to_owned()
    } else {
        format!("{s}:{DEFAULT_PORT}")
    };
    with_port.to_socket_addrs().ok()?.next()
}

/// 32 hex digits; colons, dashes and case are ignored.
pub fn parse_fingerprint(s: &str) -> Option<KeyPin> {
    let hex: String = s.chars().filter(|c| *c != ':' && *c != '-').collect();
    game::ids::unhex(&hex).map(KeyPin)
}

/// The full fingerprint people type: 32 hex digits in groups of four.
pub fn fingerprint(pin: &KeyPin) -> String {
    game::ids::hex(&pin.0)
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

/// Hosts this player joined before: address → pinned key. A plain text file in the data dir,
/// one `address fingerprint` per line, so a returning player can dial an address directly.
#[derive(Debug, Default)]
pub struct KnownHosts {
    path: PathBuf,
    entries: Vec<(SocketAddr, KeyPin)>,
}

impl KnownHosts {
    pub fn load(data_dir: &Path) -> KnownHosts {
        let path = data_dir.join("known_hosts");
        let entries = std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| {
                let mut w = line.split_whitespace();
                Some((w.next()?.parse().ok()?, parse_fingerprint(w.next()?)?))
            })
            .collect();
        KnownHosts { path, entries }
    }

    pub fn pin_for(&self, addr: &SocketAddr) -> Option<KeyPin> {
        self.entries
            .iter()
            .find(|(a, _)| a == addr)
            .map(|(_, p)| *p)
    }

    /// Remembers every address of `target` (replacing older pins for them) and saves the file.
    pub fn remember(&mut self, target: &Target) -> std::io::Result<()> {
        self.entries.retain(|(a, _)| !target.addrs.contains(a));
        self.entries
            .extend(target.addrs.iter().map(|a| (*a, target.pin)));
        let text: String = self
            .entries
            .iter()
            .map(|(a, p)| format!("{a} {}\n", fingerprint(p)))
            .collect();
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_addresses_and_fingerprints_parse() {
        let code = Invite {
            host: KeyPin([3; 16]),
            addrs: vec!["10.1.2.3:4470".parse().unwrap()],
            secret: net::invite::Secret([4; 16]),
            expires_at: 4_000_000_000,
            world: None,
        }
        .encode();
        assert!(matches!(JoinSpec::parse(&code), Ok(JoinSpec::Invite(_))));
        assert_eq!(
            JoinSpec::parse("10.0.0.5:5000"),
            Ok(JoinSpec::Address {
                addr: "10.0.0.5:5000".parse().unwrap(),
                pin: None
            })
        );
        let fp = fingerprint(&KeyPin([0xab; 16]));
        assert_eq!(
            JoinSpec::parse(&format!("10.0.0.5 {fp}")),
            Ok(JoinSpec::Address {
                addr: SocketAddr::new("10.0.0.5".parse().unwrap(), DEFAULT_PORT),
                pin: Some(KeyPin([0xab; 16]))
            })
        );
        assert!(
            JoinSpec::parse("10.0.0.5 nothex")
                .unwrap_err()
                .contains("fingerprint")
        );
        assert!(
            JoinSpec::parse("brg-oops")
                .unwrap_err()
                .contains("invite code")
        );
    }

    #[test]
    fn an_unknown_address_needs_a_code_or_fingerprint_and_a_known_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let mut known = KnownHosts::load(dir.path());
        let spec = JoinSpec::parse("10.9.9.9:4470").unwrap();
        assert!(spec.resolve(&known).unwrap_err().contains("invite code"));
        let target = Target {
            addrs: vec!["10.9.9.9:4470".parse().unwrap()],
            pin: KeyPin([9; 16]),
            world: None,
        };
        known.remember(&target).unwrap();
        let again = KnownHosts::load(dir.path());
        let resolved = spec.resolve(&again).unwrap();
        assert_eq!(resolved.target, target);
        assert_eq!(resolved.secret, None);
    }
}
