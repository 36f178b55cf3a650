//! Fuzz harnesses for what `net` reads from strangers: invite codes, frames, and mDNS TXT
//! records. Shared by the cargo-fuzz targets (`fuzz/fuzz_targets/`) and by the ordinary test
//! that replays their stored corpora (`tests/fuzz.rs` at the workspace root), so every input the
//! fuzzer ever kept is also a regression test. Each harness panics on a broken invariant.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use game::protocol::{ClientMsg, HostMsg, MAX_CLIENT_FRAME, MAX_HOST_FRAME};
use mdns_sd::TxtProperties;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::discovery::{self, Announcement, LanEvent, LanGame};
use crate::frame;
use crate::invite::{Invite, Secret};
use crate::tls::KeyPin;

/// A pasted invite code: parsing never panics, every error can be shown, and a code that parses
/// encodes back to one that parses to the same invite.
pub fn invite(data: &[u8]) {
    let pasted = String::from_utf8_lossy(data);
    match Invite::parse(&pasted) {
        Ok(invite) => {
            assert!(!invite.addrs.is_empty() && invite.addrs.iter().all(|a| a.port() != 0));
            assert_eq!(Invite::parse(&invite.encode()), Ok(invite));
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// Bytes as they arrive on a stream, read as frames the way both ends read them: the length
/// prefix is checked against the cap before anything is allocated, a body decodes to exactly
/// one message or is malformed, whatever decodes encodes again to the same message, and the
/// handshake's version peek agrees with the full decode.
pub fn frames(data: &[u8]) {
    let mut rest = data;
    while let Some((prefix, tail)) = rest.split_first_chunk::<4>() {
        let len = match frame::frame_len(*prefix, MAX_HOST_FRAME) {
            Ok(len) => len,
            Err(e) => {
                assert!(e.is_misbehaviour());
                return;
            }
        };
        // A frame whose rest never comes is the stall deadline's business, not the decoder's.
        let Some((body, tail)) = tail.split_at_checked(len) else {
            return;
        };
        rest = tail;
        if len <= MAX_CLIENT_FRAME {
            let msg = round_trip::<ClientMsg>(body);
            let peek = ClientMsg::peek_hello(body);
            if let Some(ClientMsg::Hello(hello)) = msg {
                let peek = peek.expect("a Hello's version can be peeked");
                assert_eq!(
                    (peek.protocol, &peek.game_version),
                    (hello.protocol, &hello.game_version)
                );
            }
        }
        round_trip::<HostMsg>(body);
    }
}

fn round_trip<T>(body: &[u8]) -> Option<T>
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    match frame::decode::<T>(body) {
        Ok(msg) => {
            let again = postcard::to_stdvec(&msg).expect("a decoded message encodes");
            assert_eq!(frame::decode::<T>(&again).ok().as_ref(), Some(&msg));
            Some(msg)
        }
        Err(e) => {
            assert!(e.is_misbehaviour());
            None
        }
    }
}

/// Longest service instance name a harness input supplies (mDNS labels are at most 255 bytes).
const MAX_ID: usize = 255;

/// A resolved LAN service built from bytes: an instance name, up to three addresses, a port and
/// the raw TXT record. A game that parses holds only short, safe text and dialable addresses,
/// and the Join list keeps one entry per service.
///
/// Layout: `[id_len][id][port: 2][n_addrs][(kind, 4 or 16 bytes)…][TXT rdata…]`.
pub fn txt(data: &[u8]) {
    let Some((id, properties, addrs, port)) = service(data) else {
        return;
    };
    let Some(game) = LanGame::from_txt(&id, &properties, addrs, port) else {
        return;
    };
    for (text, max) in [
        (&game.id, 120),
        (&game.world, 40),
        (&game.host_name, 16),
        (&game.version, 24),
    ] {
        assert!(text.chars().count() <= max, "{text:?} is longer than {max}");
        assert!(
            !text.chars().any(game::text::is_unsafe),
            "{text:?} holds a character a terminal would act on"
        );
    }
    assert!(game.port != 0 && !game.addrs.is_empty());
    assert!(
        game.addrs
            .iter()
            .all(|ip| !matches!(ip, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80)),
        "a link-local address needs a scope the record does not carry"
    );
    let mut games = BTreeMap::new();
    discovery::apply(&mut games, LanEvent::Found(game.clone()));
    discovery::apply(&mut games, LanEvent::Found(game.clone()));
    assert_eq!(games.len(), 1);
    discovery::apply(&mut games, LanEvent::Lost(game.id));
    assert!(games.is_empty());
}

/// Splits a [`txt`] input into a resolved service's parts.
fn service(data: &[u8]) -> Option<(String, TxtProperties, Vec<IpAddr>, u16)> {
    let (id_len, rest) = data.split_first()?;
    let (id, rest) = rest.split_at_checked(usize::from(*id_len).min(MAX_ID))?;
    let (port, rest) = rest.split_first_chunk::<2>()?;
    let (n, mut rest) = rest.split_first()?;
    let mut addrs = Vec::new();
    for _ in 0..n % 4 {
        let (kind, tail) = rest.split_first()?;
        if kind % 2 == 0 {
            let (v4, tail) = tail.split_first_chunk::<4>()?;
            addrs.push(IpAddr::V4(Ipv4Addr::from(*v4)));
            rest = tail;
        } else {
            let (v6, tail) = tail.split_first_chunk::<16>()?;
            addrs.push(IpAddr::V6(Ipv6Addr::from(*v6)));
            rest = tail;
        }
    }
    let id = String::from_utf8_lossy(id).into_owned();
    Some((
        id,
        TxtProperties::from(rest),
        addrs,
        u16::from_le_bytes(*port),
    ))
}

/// Raw TXT record bytes: length-prefixed `key=value` strings, as on the wire.
pub fn raw_txt<E: AsRef<[u8]>>(entries: &[E]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        let e = e.as_ref();
        out.push(u8::try_from(e.len()).expect("a TXT entry is at most 255 bytes"));
        out.extend_from_slice(e);
    }
    out
}

/// Seeds for each target, by target name: the well-formed inputs the fuzzer should start from
/// and the near misses worth keeping.
pub fn seeds(target: &str) -> Vec<(&'static str, Vec<u8>)> {
    match target {
        "invite" => invite_seeds(),
        "frame" => frame_seeds(),
        "txt" => txt_seeds(),
        _ => Vec::new(),
    }
}

fn sample_invite(addrs: Vec<IpAddr>) -> Invite {
    Invite {
        host: KeyPin([0xA5; 16]),
        addrs: addrs.into_iter().map(|ip| (ip, 4470).into()).collect(),
        secret: Secret([0x3C; 16]),
        expires_at: 1_795_000_020,
        world: None,
    }
}

fn invite_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let v4 = sample_invite(vec![IpAddr::V4(Ipv4Addr::new(192, 168, 1, 23))]).encode();
    let both = sample_invite(vec![
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7)),
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9)),
    ])
    .encode();
    let mut mapped = sample_invite(vec![IpAddr::V4(Ipv4Addr::new(192, 168, 1, 23))]);
    mapped
        .addrs
        .insert(0, (Ipv4Addr::new(198, 51, 100, 7), 61234).into());
    let mapped = mapped.encode();
    let mut named = sample_invite(vec![IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9))]);
    named.world = Some("Deep Halls".into());
    let named = named.encode();
    let mut typo = v4.clone();
    typo.replace_range(10..11, if &v4[10..11] == "Z" { "Y" } else { "Z" });
    vec![
        ("v4", v4.clone().into_bytes()),
        ("v6-and-v4", both.into_bytes()),
        ("public-port-and-lan", mapped.into_bytes()),
        ("named-world", named.into_bytes()),
        (
            "pasted-lowercase-with-dashes",
            format!("  {}\n", v4.to_lowercase().replace("brg-", "brg-----"))
                .replace("0", "o")
                .into_bytes(),
        ),
        ("typo", typo.into_bytes()),
        ("cut-short", v4.as_bytes()[..v4.len() / 2].to_vec()),
        ("not-a-code", b"https://example.com/join".to_vec()),
    ]
}

/// A stream of frames with `msgs` encoded as both ends write them.
fn stream<T: Serialize>(msgs: &[T]) -> Vec<u8> {
    let mut out = Vec::new();
    for msg in msgs {
        let body = postcard::to_stdvec(msg).expect("encodes");
        out.extend_from_slice(&u32::try_from(body.len()).expect("small").to_le_bytes());
        out.extend_from_slice(&body);
    }
    out
}

fn frame_seeds() -> Vec<(&'static str, Vec<u8>)> {
    use game::protocol::{HostStatus, Refusal, Welcome};
    use game::{Action, Dir};
    let hello = ClientMsg::Hello(game::protocol::Hello {
        protocol: game::protocol::PROTOCOL_VERSION,
        game_version: "0.1.0".into(),
        name: "ada".into(),
        invite_secret: Some([7; 16]),
        watch: false,
        world: None,
    });
    let client = stream(&[
        hello,
        ClientMsg::Act {
            seq: 1,
            action: Action::Move(Dir::E),
        },
        ClientMsg::Chat {
            text: "hello there".into(),
        },
        ClientMsg::Party(game::party::PartyCmd::Invite("Bo".into())),
        ClientMsg::Leave,
    ]);
    let host = stream(&[
        HostMsg::Welcome(Welcome {
            world: "Deepwood".into(),
            player: game::PlayerId([1; 32]),
            returning: false,
            tick_rate: 20,
            may_chat: true,
        }),
        HostMsg::Status(HostStatus::CannotSave {
            reason: "disk full".into(),
        }),
        HostMsg::Refused(Refusal::CodeUsedUp { max: 16 }),
        HostMsg::Closing {
            reason: "bye".into(),
        },
    ]);
    let mut oversized = (u32::try_from(MAX_HOST_FRAME).expect("small") + 1)
        .to_le_bytes()
        .to_vec();
    oversized.extend_from_slice(&[0; 8]);
    let mut trailing = stream(&[ClientMsg::Leave]);
    trailing[0] += 1;
    trailing.push(0);
    vec![
        ("client-stream", client),
        ("host-stream", host),
        ("oversized-prefix", oversized),
        ("trailing-byte", trailing),
    ]
}

fn txt_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let announcement = Announcement {
        world: "Deep Halls".into(),
        host_name: "Hana".into(),
        players: 2,
        max_players: 8,
        pin: KeyPin([0xab; 16]),
        open: false,
    };
    let entries: Vec<Vec<u8>> = discovery::txt_of(&announcement)
        .into_iter()
        .map(|(k, v)| format!("{k}={v}").into_bytes())
        .collect();
    let service = |id: &str, addrs: &[IpAddr], txt: &[u8]| {
        let mut out = vec![u8::try_from(id.len()).expect("short id")];
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&4470u16.to_le_bytes());
        out.push(u8::try_from(addrs.len()).expect("few addresses"));
        for ip in addrs {
            match ip {
                IpAddr::V4(v4) => {
                    out.push(0);
                    out.extend_from_slice(&v4.octets());
                }
                IpAddr::V6(v6) => {
                    out.push(1);
                    out.extend_from_slice(&v6.octets());
                }
            }
        }
        out.extend_from_slice(txt);
        out
    };
    let id = "Deep Halls - Hana (abababab)._brogue._udp.local.";
    let lan: IpAddr = Ipv4Addr::new(10, 0, 0, 7).into();
    let link_local: IpAddr = "fe80::1".parse().expect("an address");
    let mut hostile = entries.clone();
    hostile[2] = "w=\u{1b}[2J\u{202e}evil\u{e0041}".as_bytes().to_vec();
    let mut duplicated = entries.clone();
    duplicated.insert(0, b"n=99999999".to_vec());
    vec![
        ("announcement", service(id, &[lan], &raw_txt(&entries))),
        (
            "two-addresses",
            service(id, &[link_local, lan], &raw_txt(&entries)),
        ),
        ("escape-in-world", service(id, &[lan], &raw_txt(&hostile))),
        ("duplicate-key", service(id, &[lan], &raw_txt(&duplicated))),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(target: &str, name: &str) -> Vec<u8> {
        seeds(target)
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| b)
            .expect("a seed of that name")
    }

    #[test]
    fn the_invite_seeds_reach_both_outcomes() {
        for name in ["v4", "v6-and-v4", "pasted-lowercase-with-dashes"] {
            let code = String::from_utf8(seed("invite", name)).unwrap();
            assert!(Invite::parse(&code).is_ok(), "{name}: {code}");
        }
        let typo = String::from_utf8(seed("invite", "typo")).unwrap();
        assert_eq!(
            Invite::parse(&typo),
            Err(crate::InviteError::Checksum),
            "{typo}"
        );
    }

    #[test]
    fn the_frame_seeds_decode_as_both_ends_read_them() {
        let client = seed("frame", "client-stream");
        let len = frame::frame_len(client[..4].try_into().unwrap(), MAX_CLIENT_FRAME).unwrap();
        let first: ClientMsg = frame::decode(&client[4..4 + len]).unwrap();
        assert!(matches!(first, ClientMsg::Hello(_)));
        let trailing = seed("frame", "trailing-byte");
        assert!(frame::decode::<ClientMsg>(&trailing[4..]).is_err());
        let oversized = seed("frame", "oversized-prefix");
        let err = frame::frame_len(oversized[..4].try_into().unwrap(), MAX_HOST_FRAME);
        assert!(matches!(err, Err(frame::FrameError::TooLarge { .. })));
    }

    #[test]
    fn the_txt_seeds_parse_and_hostile_text_is_cleaned() {
        let parse = |name| {
            let (id, txt, addrs, port) = service(&seed("txt", name)).unwrap();
            LanGame::from_txt(&id, &txt, addrs, port)
        };
        let game = parse("announcement").expect("our own announcement parses");
        assert_eq!((game.world.as_str(), game.players), ("Deep Halls", 2));
        let two = parse("two-addresses").unwrap();
        assert_eq!(two.addrs, vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7))]);
        let hostile = parse("escape-in-world").unwrap();
        assert_eq!(hostile.world, "[2Jevil");
        // The first of two keys wins, as mdns-sd reads them.
        assert_eq!(parse("duplicate-key").map(|g| g.players), None);
    }
}
