//! Invite codes: `BRG-` followed by Crockford base32 (case-insensitive, `-` ignored, `O`→0,
//! `I`/`L`→1) of a versioned postcard payload and a 2-byte checksum.
//!
//! The payload pins the host's key, says where to dial, and carries a 128-bit secret with an
//! expiry. The checksum catches typos before anything is dialled. With one IPv4 address a code
//! is 80 characters; with a router's public address and port plus one LAN address, 89.
//!
//! Two payload versions exist. Version 1 has one port for every address; version 2 gives each
//! address its own port (a router may map the host's port to a different public one). A code
//! whose addresses share one port is still written as version 1, so older brogues read it.
//! Version 3 is version 2 with the name of a world between the expiry and the addresses: a
//! server of many worlds (`brogue serve`) names which one the code admits to. Codes without a
//! world are never written as version 3.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::LazyLock;

use data_encoding::{DecodeKind, Encoding, Specification};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::tls::KeyPin;

/// The kind prefix of brogue invite codes.
pub const PREFIX: &str = "BRG-";
const CHECKSUM_LEN: usize = 2;

static CROCKFORD: LazyLock<Encoding> = LazyLock::new(|| {
    let mut spec = Specification::new();
    spec.symbols.push_str("0123456789ABCDEFGHJKMNPQRSTVWXYZ");
    spec.ignore.push_str("- \n\r\t");
    spec.translate.from.push_str("abcdefghjkmnpqrstvwxyzoOiIlL");
    spec.translate.to.push_str("ABCDEFGHJKMNPQRSTVWXYZ001111");
    spec.check_trailing_bits = false;
    spec.encoding().expect("a valid base32 specification")
});

/// A 128-bit invite secret (issued and checked by the host core's admission; carried here).
#[derive(Copy, Clone, PartialEq, Eq)]
pub struct Secret(pub [u8; 16]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// What an invite code says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invite {
    /// Pin of the host's key.
    pub host: KeyPin,
    /// Where to dial: the public address first when there is one, then the LAN ones.
    pub addrs: Vec<SocketAddr>,
    pub secret: Secret,
    /// Unix seconds (whole minutes) after which the secret no longer admits new players.
    pub expires_at: u64,
    /// The world this code admits to, on a server of many (1–[`MAX_WORLD_BYTES`] bytes).
    pub world: Option<String>,
}

/// The longest world name a code carries, in bytes (world names are at most 40 characters).
pub const MAX_WORLD_BYTES: usize = 160;

/// The private wire format of version 1 (its postcard variant index is the first byte, 0).
/// Version 2 is written by hand after a first byte of [`V2`]: postcard would spend a length
/// byte on the address list, and two IPv4 addresses with ports must fit in one line.
#[derive(Serialize, Deserialize)]
enum Wire {
    V1 {
        host: [u8; 16],
        secret: [u8; 16],
        #[serde(with = "postcard::fixint::be")]
        expires_minute: u32,
        #[serde(with = "postcard::fixint::be")]
        port: u16,
        addrs: Vec<WireAddr>,
    },
}

#[derive(Serialize, Deserialize)]
enum WireAddr {
    V4([u8; 4]),
    V6([u8; 16]),
}

/// The first byte of a version-2 payload: then the host pin (16), the secret (16), the expiry
/// minute (4, big-endian) and, to the end, addresses: `4` + 4 bytes or `6` + 16 bytes, each
/// followed by its port (2, big-endian).
const V2: u8 = 1;
const V2_FIXED: usize = 1 + 16 + 16 + 4;
/// The first byte of a version-3 payload: version 2's fixed part, then the world's name (a
/// length byte and UTF-8), then the addresses as in version 2.
const V3: u8 = 2;

/// Why a pasted code was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InviteError {
    #[error("no invite code given: paste the code the host printed (it starts with {PREFIX})")]
    Empty,
    #[error("this is not a brogue invite code: brogue codes start with {PREFIX}")]
    WrongKind,
    #[error(
        "the invite code has {found:?} at position {position}, which cannot appear in a code: \
         check for a typo"
    )]
    BadCharacter { found: char, position: usize },
    #[error("the invite code is incomplete or has extra characters: copy the whole code again")]
    Length,
    #[error(
        "the invite code has a typo (its checksum does not match): compare it with the host's \
         character by character, or copy it again"
    )]
    Checksum,
    #[error("the invite code is from a newer brogue: update brogue to join this host")]
    UnknownVersion,
    #[error("the invite code lists no address to dial: ask the host for a new code")]
    NoAddress,
}

impl Invite {
    /// The code to share, e.g. `BRG-0G2B…`.
    pub fn encode(&self) -> String {
        code_of(self.payload())
    }

    fn payload(&self) -> Vec<u8> {
        let expires_minute = u32::try_from(self.expires_at / 60).unwrap_or(u32::MAX);
        let port = self.addrs.first().map_or(0, SocketAddr::port);
        if self.world.is_none() && self.addrs.iter().all(|a| a.port() == port) {
            let wire = Wire::V1 {
                host: self.host.0,
                secret: self.secret.0,
                expires_minute,
                port,
                addrs: self
                    .addrs
                    .iter()
                    .map(|a| match a.ip() {
                        IpAddr::V4(v4) => WireAddr::V4(v4.octets()),
                        IpAddr::V6(v6) => WireAddr::V6(v6.octets()),
                    })
                    .collect(),
            };
            return postcard::to_stdvec(&wire).expect("in-memory encoding cannot fail");
        }
        let mut bytes = Vec::with_capacity(V2_FIXED + 19 * self.addrs.len());
        bytes.push(if self.world.is_some() { V3 } else { V2 });
        bytes.extend_from_slice(&self.host.0);
        bytes.extend_from_slice(&self.secret.0);
        bytes.extend_from_slice(&expires_minute.to_be_bytes());
        if let Some(world) = &self.world {
            let mut end = world.len().min(MAX_WORLD_BYTES);
            while !world.is_char_boundary(end) {
                end -= 1;
            }
            bytes.push(u8::try_from(end).expect("at most 160"));
            bytes.extend_from_slice(&world.as_bytes()[..end]);
        }
        for addr in &self.addrs {
            match addr.ip() {
                IpAddr::V4(v4) => {
                    bytes.push(4);
                    bytes.extend_from_slice(&v4.octets());
                }
                IpAddr::V6(v6) => {
                    bytes.push(6);
                    bytes.extend_from_slice(&v6.octets());
                }
            }
            bytes.extend_from_slice(&addr.port().to_be_bytes());
        }
        bytes
    }

    /// Reads a pasted code. Surrounding whitespace, case, dashes and spaces inside are forgiven.
    pub fn parse(code: &str) -> Result<Invite, InviteError> {
        let code = code.trim();
        if code.is_empty() {
            return Err(InviteError::Empty);
        }
        let head = code.get(..3).ok_or(InviteError::WrongKind)?;
        if !head.eq_ignore_ascii_case("BRG") {
            return Err(InviteError::WrongKind);
        }
        let body = &code[3..];
        let bytes = CROCKFORD
            .decode(body.as_bytes())
            .map_err(|e| match e.kind {
                DecodeKind::Symbol => InviteError::BadCharacter {
                    found: body[e.position..].chars().next().unwrap_or('?'),
                    position: e.position + 4,
                },
                _ => InviteError::Length,
            })?;
        if bytes.len() <= CHECKSUM_LEN {
            return Err(InviteError::Length);
        }
        let (payload, sum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
        if Sha256::digest(payload)[..CHECKSUM_LEN] != *sum {
            return Err(InviteError::Checksum);
        }
        let invite = match payload.first() {
            Some(&V2) => parse_v2(payload, false)?,
            Some(&V3) => parse_v2(payload, true)?,
            _ => parse_v1(payload)?,
        };
        if invite.addrs.is_empty() || invite.addrs.iter().any(|a| a.port() == 0) {
            return Err(InviteError::NoAddress);
        }
        Ok(invite)
    }

    pub fn is_expired(&self, now_unix: u64) -> bool {
        now_unix >= self.expires_at
    }
}

/// The code for a payload: it, its checksum, in base32 after the prefix.
fn code_of(mut bytes: Vec<u8>) -> String {
    let sum = Sha256::digest(&bytes);
    bytes.extend_from_slice(&sum[..CHECKSUM_LEN]);
    format!("{PREFIX}{}", CROCKFORD.encode(&bytes))
}

fn parse_v1(payload: &[u8]) -> Result<Invite, InviteError> {
    let (wire, rest): (Wire, &[u8]) = match postcard::take_from_bytes(payload) {
        Ok(ok) => ok,
        Err(_) if payload.first().is_some_and(|v| *v > V3) => {
            return Err(InviteError::UnknownVersion);
        }
        Err(_) => return Err(InviteError::Length),
    };
    if !rest.is_empty() {
        return Err(InviteError::Length);
    }
    let Wire::V1 {
        host,
        secret,
        expires_minute,
        port,
        addrs,
    } = wire;
    Ok(Invite {
        host: KeyPin(host),
        addrs: addrs
            .into_iter()
            .map(|a| match a {
                WireAddr::V4(o) => SocketAddr::new(IpAddr::V4(Ipv4Addr::from(o)), port),
                WireAddr::V6(o) => SocketAddr::new(IpAddr::V6(Ipv6Addr::from(o)), port),
            })
            .collect(),
        secret: Secret(secret),
        expires_at: u64::from(expires_minute) * 60,
        world: None,
    })
}

/// Versions 2 and 3 (`named`: with a world).
fn parse_v2(payload: &[u8], named: bool) -> Result<Invite, InviteError> {
    let fixed = payload.get(..V2_FIXED).ok_or(InviteError::Length)?;
    let take = |at: usize, n: usize| fixed[at..at + n].to_vec();
    let host: [u8; 16] = take(1, 16).try_into().expect("16 bytes");
    let secret: [u8; 16] = take(17, 16).try_into().expect("16 bytes");
    let expires_minute = u32::from_be_bytes(take(33, 4).try_into().expect("4 bytes"));
    let mut rest = &payload[V2_FIXED..];
    let world = if named {
        let (&len, tail) = rest.split_first().ok_or(InviteError::Length)?;
        let len = usize::from(len);
        if len == 0 || len > MAX_WORLD_BYTES {
            return Err(InviteError::Length);
        }
        let name = tail.get(..len).ok_or(InviteError::Length)?;
        let name = std::str::from_utf8(name).map_err(|_| InviteError::Length)?;
        rest = &tail[len..];
        Some(name.to_owned())
    } else {
        None
    };
    let mut addrs = Vec::new();
    while let Some((&kind, tail)) = rest.split_first() {
        let len = match kind {
            4 => 4,
            6 => 16,
            _ => return Err(InviteError::Length),
        };
        let entry = tail.get(..len + 2).ok_or(InviteError::Length)?;
        let (ip, port) = entry.split_at(len);
        let ip = match kind {
            4 => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(ip).expect("4 bytes"))),
            _ => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(ip).expect("16 bytes"))),
        };
        addrs.push(SocketAddr::new(ip, u16::from_be_bytes([port[0], port[1]])));
        rest = &tail[len + 2..];
    }
    Ok(Invite {
        host: KeyPin(host),
        addrs,
        secret: Secret(secret),
        expires_at: u64::from(expires_minute) * 60,
        world,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Invite {
        Invite {
            host: KeyPin([0xA5; 16]),
            addrs: vec![SocketAddr::new(Ipv4Addr::new(192, 168, 1, 23).into(), 4470)],
            secret: Secret([0x3C; 16]),
            expires_at: 1_795_000_020,
            world: None,
        }
    }

    #[test]
    fn a_code_names_its_world_when_the_server_has_many() {
        let mut invite = sample();
        invite.world = Some("Dépths of Ada".into());
        let code = invite.encode();
        assert_eq!(Invite::parse(&code).unwrap(), invite);
        // A name adds its bytes and one, in base32: a short name keeps the code short.
        invite.world = Some("ada".into());
        let short = invite.encode();
        assert_eq!(Invite::parse(&short).unwrap(), invite);
        assert!(short.len() <= 90, "{} characters: {short}", short.len());
        // And with a port of its own per address.
        invite.addrs.push("198.51.100.7:61234".parse().unwrap());
        assert_eq!(Invite::parse(&invite.encode()).unwrap(), invite);
        // A name cut off, empty or not UTF-8 is refused.
        let good = invite.payload();
        assert_eq!(good[0], V3);
        let reencode = |payload: &[u8]| Invite::parse(&code_of(payload.to_vec()));
        assert_eq!(reencode(&good), Ok(invite));
        assert_eq!(reencode(&good[..V2_FIXED + 2]), Err(InviteError::Length));
        let mut empty = good.clone();
        empty[V2_FIXED] = 0;
        assert_eq!(reencode(&empty), Err(InviteError::Length));
        let mut bad_utf8 = good.clone();
        bad_utf8[V2_FIXED + 1] = 0xFF;
        assert_eq!(reencode(&bad_utf8), Err(InviteError::Length));
    }

    #[test]
    fn a_code_round_trips() {
        let invite = sample();
        assert_eq!(Invite::parse(&invite.encode()).unwrap(), invite);
        let mut two = sample();
        two.addrs.push("[fe80::1]:4470".parse().unwrap());
        assert_eq!(Invite::parse(&two.encode()).unwrap(), two);
    }

    #[test]
    fn a_public_port_of_its_own_makes_a_version_2_code_that_fits_one_line() {
        let mut invite = sample();
        invite
            .addrs
            .insert(0, "198.51.100.7:61234".parse().unwrap());
        let code = invite.encode();
        assert_eq!(Invite::parse(&code).unwrap(), invite);
        assert!(code.len() <= 90, "{} characters: {code}", code.len());
        // The same addresses on one port stay version 1 (older brogues read them).
        invite.addrs[0].set_port(4470);
        let v1 = invite.encode();
        assert_eq!(Invite::parse(&v1).unwrap(), invite);
        assert!(v1.len() < code.len());
        let mut v6 = sample();
        v6.addrs.push("[2001:db8::7]:9".parse().unwrap());
        assert_eq!(Invite::parse(&v6.encode()).unwrap(), v6);
    }

    #[test]
    fn a_version_2_code_with_a_broken_address_list_is_refused() {
        let mut invite = sample();
        invite.addrs.push("198.51.100.7:61234".parse().unwrap());
        let good = invite.payload();
        let reencode = |payload: &[u8]| Invite::parse(&code_of(payload.to_vec()));
        assert_eq!(reencode(&good), Ok(invite));
        assert_eq!(reencode(&good[..good.len() - 1]), Err(InviteError::Length));
        assert_eq!(reencode(&good[..V2_FIXED]), Err(InviteError::NoAddress));
        assert_eq!(reencode(&good[..20]), Err(InviteError::Length));
        let mut bad_kind = good.clone();
        bad_kind[V2_FIXED] = 5;
        assert_eq!(reencode(&bad_kind), Err(InviteError::Length));
        let mut newer = good.clone();
        newer[0] = V3 + 1;
        assert_eq!(reencode(&newer), Err(InviteError::UnknownVersion));
    }

    #[test]
    fn golden_bytes_keep_old_codes_readable() {
        // Changing the wire format would break every code in circulation: this must never change.
        let code = sample().encode();
        assert_eq!(
            code,
            "BRG-02JTB9D5MPJTB9D5MPJTB9D5MPJKRF1W7GY3RF1W7GY3RF1W7GY3R0E8FQXH2XG1030AG08Q0JT0"
        );
        assert!(
            code.len() <= 80,
            "a one-address code is {} characters",
            code.len()
        );
    }

    #[test]
    fn pasting_is_forgiving() {
        let code = sample().encode();
        let messy = format!(
            "  {}  ",
            code.to_lowercase().replace('0', "o").replace('1', "l")
        );
        assert_eq!(Invite::parse(&messy).unwrap(), sample());
        let wrapped = format!("{}\n{}", &code[..40], &code[40..]);
        assert_eq!(Invite::parse(&wrapped).unwrap(), sample());
        let grouped: String = code
            .chars()
            .enumerate()
            .flat_map(|(i, c)| (i > 4 && i % 5 == 0).then_some('-').into_iter().chain([c]))
            .collect();
        assert_eq!(Invite::parse(&grouped).unwrap(), sample());
    }

    #[test]
    fn every_single_character_typo_is_caught() {
        let code = sample().encode();
        let symbols = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let mut accepted = Vec::new();
        for i in PREFIX.len()..code.len() {
            for s in symbols.chars() {
                if code.as_bytes()[i] as char == s {
                    continue;
                }
                let mut typo = code.clone();
                typo.replace_range(i..=i, &s.to_string());
                if Invite::parse(&typo).is_ok_and(|inv| inv != sample()) {
                    accepted.push(typo);
                }
            }
        }
        assert!(accepted.is_empty(), "typos accepted: {accepted:?}");
        let mut typo = code.clone();
        typo.replace_range(10..11, if &code[10..11] == "7" { "8" } else { "7" });
        assert_eq!(Invite::parse(&typo), Err(InviteError::Checksum));
    }

    #[test]
    fn each_kind_of_bad_code_has_its_own_message() {
        let code = sample().encode();
        assert_eq!(Invite::parse("   "), Err(InviteError::Empty));
        assert_eq!(
            Invite::parse("https://example.com"),
            Err(InviteError::WrongKind)
        );
        let mut bad = code.clone();
        bad.replace_range(12..13, "U");
        assert_eq!(
            Invite::parse(&bad),
            Err(InviteError::BadCharacter {
                found: 'U',
                position: 13
            })
        );
        let short = &code[..code.len() - 7];
        assert!(matches!(
            Invite::parse(short),
            Err(InviteError::Length | InviteError::Checksum)
        ));
        let messages: Vec<String> = [
            InviteError::Empty,
            InviteError::WrongKind,
            InviteError::Checksum,
            InviteError::Length,
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert!(messages.iter().all(|m| m.len() > 30));
    }

    #[test]
    fn expiry_is_checked_against_the_clock_given() {
        let invite = sample();
        assert!(!invite.is_expired(invite.expires_at - 1));
        assert!(invite.is_expired(invite.expires_at));
    }
}
