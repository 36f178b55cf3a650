//! Asking the home router to forward the host's UDP port, and what its answers mean for who can
//! join.
//!
//! Three protocols are asked together: UPnP IGD v1 and v2 (`igd-next`: SSDP search, then SOAP)
//! and PCP with its predecessor NAT-PMP (`crab_nat`: one UDP request to the default gateway).
//! The first phase only listens for who answers (an SSDP search and a NAT-PMP "external
//! address" request, together, at most [`SEARCH`]); the second maps with the best protocol that
//! answered (UPnP, then PCP, then NAT-PMP), so a router that speaks all three never holds two
//! mappings of ours. [`Reachability`] turns the outcome into one sentence for the host.
//!
//! Everything here sends packets only to the default gateway (unicast) and to the SSDP group
//! on the interface that leads to it; nothing here runs for a host bound to loopback.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU16;
use std::time::Duration;

use crab_nat::{InternetProtocol, PortMappingOptions, TimeoutConfig};
use igd_next::aio::Gateway;
use igd_next::aio::tokio::Tokio;
use igd_next::{PortMappingProtocol, SearchOptions};

/// How long to listen for routers before deciding none answered.
pub const SEARCH: Duration = Duration::from_millis(1500);
/// How long a mapping is asked for; it is renewed at half of what the router granted.
pub const LEASE: Duration = Duration::from_secs(3600);
/// Every mapping we make carries this description (UPnP shows it in router admin pages; a
/// leftover of ours from a crashed run is recognised by it and replaced).
pub const DESCRIPTION: &str = "brogue";

const CRAB_TIMEOUT: TimeoutConfig = TimeoutConfig {
    initial_timeout: Duration::from_millis(250),
    max_retries: 2,
    max_retry_timeout: Some(Duration::from_millis(750)),
};

/// A port-mapping protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Upnp,
    NatPmp,
    Pcp,
}

impl Protocol {
    /// The name people know it by.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Upnp => "UPnP",
            Protocol::NatPmp => "NAT-PMP",
            Protocol::Pcp => "PCP",
        }
    }

    /// The name in JSON (`upnp`, `natpmp`, `pcp`).
    pub fn key(self) -> &'static str {
        match self {
            Protocol::Upnp => "upnp",
            Protocol::NatPmp => "natpmp",
            Protocol::Pcp => "pcp",
        }
    }
}

/// What one protocol did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Answer {
    /// Not asked (no gateway known, or another protocol was used).
    #[default]
    NotAsked,
    /// Nothing came back in time.
    Silent,
    /// The question could not be sent (no route to the router, no network).
    Unsent(String),
    /// The router answered; the text says what.
    Answered(String),
    /// The router answered and refused, or the exchange broke; the text says how.
    Failed(String),
}

impl Answer {
    pub fn answered(&self) -> bool {
        matches!(self, Answer::Answered(_) | Answer::Failed(_))
    }
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::NotAsked => f.write_str("not asked"),
            Answer::Silent => f.write_str("no answer"),
            Answer::Unsent(s) => write!(f, "could not ask: {s}"),
            Answer::Answered(s) => f.write_str(s),
            Answer::Failed(s) => write!(f, "refused: {s}"),
        }
    }
}

/// What the router side of the network looks like, as far as it answered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Survey {
    /// The default gateway (IPv4), when the system names one.
    pub gateway: Option<IpAddr>,
    /// This machine's address toward the gateway: what the router forwards to.
    pub local: Option<IpAddr>,
    pub upnp: Answer,
    pub natpmp: Answer,
    pub pcp: Answer,
    /// The router's own outside address, as it reported it.
    pub outside: Option<IpAddr>,
    /// What the router said that means it has no public outside address of its own (NAT-PMP
    /// "network failure": miniupnpd, for one, says so rather than map behind another NAT).
    pub no_public_outside: Option<String>,
}

impl Survey {
    /// Whether any protocol got an answer.
    pub fn any_answer(&self) -> bool {
        self.upnp.answered() || self.natpmp.answered() || self.pcp.answered()
    }
}

/// A mapping of our port on the router; renew it before [`Mapping::renew_in`] passes, remove
/// it when hosting ends.
pub struct Mapping {
    pub protocol: Protocol,
    /// Where friends on the internet dial.
    pub external: SocketAddr,
    /// Where the router forwards to (this machine's address and the host's port).
    pub internal: SocketAddr,
    /// What the router granted.
    pub lease: Duration,
    kind: Kind,
}

enum Kind {
    Upnp(Box<Gateway<Tokio>>),
    Crab(crab_nat::PortMapping),
}

impl std::fmt::Debug for Mapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mapping")
            .field("protocol", &self.protocol)
            .field("external", &self.external)
            .field("internal", &self.internal)
            .field("lease", &self.lease)
            .finish()
    }
}

/// Asks the router to forward UDP `port` to this machine. Returns what each protocol said and
/// the mapping when one was made.
pub async fn map(port: u16) -> (Survey, Option<Mapping>) {
    let mut survey = Survey {
        gateway: default_gateway().map(IpAddr::V4),
        ..Survey::default()
    };
    let Some(internal_port) = NonZeroU16::new(port) else {
        return (survey, None);
    };
    survey.local = survey.gateway.and_then(local_address_toward);
    let mut search = SearchOptions::default();
    search.bind_addr = (survey.local.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)), 0).into();
    search.timeout = Some(SEARCH);
    search.single_search_timeout = Some(SEARCH);
    let upnp = tokio::time::timeout(SEARCH * 2, igd_next::aio::tokio::search_gateway(search));
    let pmp = async {
        match survey.gateway {
            Some(gw) => {
                Some(crab_nat::natpmp::external_address(gw.into(), Some(CRAB_TIMEOUT)).await)
            }
            None => None,
        }
    };
    let (upnp, pmp) = tokio::join!(upnp, pmp);
    let gateway = match upnp {
        Ok(Ok(gateway)) => {
            survey.upnp = Answer::Answered(format!("gateway at {}", gateway.addr));
            if survey.local.is_none() {
                survey.local = local_address_toward(gateway.addr.ip());
            }
            Some(gateway)
        }
        Ok(Err(igd_next::SearchError::IoError(e))) => {
            survey.upnp = Answer::Unsent(e.to_string());
            None
        }
        _ => {
            survey.upnp = Answer::Silent;
            None
        }
    };
    let port_control = match pmp {
        None => false,
        Some(Ok(outside)) => {
            survey.natpmp = Answer::Answered(format!("outside address {outside}"));
            survey.outside = Some(IpAddr::V4(outside));
            true
        }
        Some(Err(crab_nat::natpmp::Failure::Timeout)) => {
            survey.natpmp = Answer::Silent;
            false
        }
        Some(Err(crab_nat::natpmp::Failure::Socket(e))) => {
            survey.natpmp = Answer::Unsent(e.to_string());
            false
        }
        Some(Err(crab_nat::natpmp::Failure::NetworkFailure)) => {
            survey.natpmp = Answer::Failed("network failure (no outside address)".into());
            survey.no_public_outside = Some("NAT-PMP: network failure".into());
            true
        }
        // A PCP-only router answers NAT-PMP with "unsupported version": it still speaks.
        Some(Err(e)) => {
            survey.natpmp = Answer::Failed(e.to_string());
            true
        }
    };
    let Some(local) = survey.local else {
        return (survey, None);
    };
    let internal = SocketAddr::new(local, port);
    if let Some(gateway) = gateway {
        match map_upnp(&gateway, internal).await {
            Ok((external, lease)) => {
                survey.upnp = Answer::Answered(format!("mapped {external}"));
                survey.outside = Some(external.ip());
                let mapping = Mapping {
                    protocol: Protocol::Upnp,
                    external,
                    internal,
                    lease,
                    kind: Kind::Upnp(Box::new(gateway)),
                };
                return (survey, Some(mapping));
            }
            Err((why, outside)) => {
                survey.outside = survey.outside.or(outside);
                survey.upnp = Answer::Failed(why);
            }
        }
    }
    let (Some(gw), true) = (survey.gateway, port_control) else {
        return (survey, None);
    };
    let options = PortMappingOptions {
        external_port: Some(internal_port),
        lifetime_seconds: Some(LEASE.as_secs() as u32),
        timeout_config: Some(CRAB_TIMEOUT),
    };
    let pcp = crab_nat::pcp::port_mapping(
        crab_nat::pcp::BaseMapRequest::new(gw.into(), local, InternetProtocol::Udp, internal_port),
        None,
        None,
        options,
    )
    .await;
    let (protocol, result) = match pcp {
        Ok(m) => (Protocol::Pcp, Ok(m)),
        Err(e) => {
            survey.pcp = match e {
                crab_nat::pcp::Failure::Timeout => Answer::Silent,
                crab_nat::pcp::Failure::Socket(e) => Answer::Unsent(e.to_string()),
                e => Answer::Failed(e.to_string()),
            };
            let pmp = crab_nat::natpmp::port_mapping(
                gw.into(),
                InternetProtocol::Udp,
                internal_port,
                options,
            )
            .await
            .map_err(|e| e.to_string());
            if let Err(why) = &pmp {
                survey.natpmp = Answer::Failed(why.clone());
            }
            (Protocol::NatPmp, pmp)
        }
    };
    let Ok(mapping) = result else {
        return (survey, None);
    };
    let outside = match mapping.mapping_type() {
        crab_nat::PortMappingType::Pcp { external_ip, .. } => Some(external_ip),
        crab_nat::PortMappingType::NatPmp => survey.outside,
    };
    let Some(outside) = outside else {
        return (survey, None);
    };
    survey.outside = Some(outside);
    let external = SocketAddr::new(outside, mapping.external_port().get());
    let answer = Answer::Answered(format!("mapped {external}"));
    match protocol {
        Protocol::Pcp => survey.pcp = answer,
        _ => survey.natpmp = answer,
    }
    let mapping = Mapping {
        protocol,
        external,
        internal,
        lease: Duration::from_secs(u64::from(mapping.lifetime())),
        kind: Kind::Crab(mapping),
    };
    (survey, Some(mapping))
}

/// Maps with UPnP: first the host's own port outside (after removing leftovers of ours from
/// an earlier run), then any port the router picks. On failure, says why and what the router
/// gave as its outside address, if anything.
async fn map_upnp(
    gateway: &Gateway<Tokio>,
    internal: SocketAddr,
) -> Result<(SocketAddr, Duration), (String, Option<IpAddr>)> {
    let outside = gateway.get_external_ip().await.ok();
    remove_leftovers(gateway, internal).await;
    let lease = LEASE.as_secs() as u32;
    let port = match gateway
        .add_port(
            PortMappingProtocol::UDP,
            internal.port(),
            internal,
            lease,
            DESCRIPTION,
        )
        .await
    {
        Ok(()) => Ok(internal.port()),
        Err(igd_next::AddPortError::PortInUse) => gateway
            .add_any_port(PortMappingProtocol::UDP, internal, lease, DESCRIPTION)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match (port, outside) {
        (Ok(port), Some(ip)) => Ok((SocketAddr::new(ip, port), LEASE)),
        (Ok(port), None) => {
            let _ = gateway.remove_port(PortMappingProtocol::UDP, port).await;
            Err(("mapped, but would not say its outside address".into(), None))
        }
        (Err(why), outside) => Err((why, outside)),
    }
}

/// Removes UPnP mappings of ours (our description, this machine) that forward to another
/// port: a host that crashed could not remove them.
async fn remove_leftovers(gateway: &Gateway<Tokio>, internal: SocketAddr) {
    let mut stale = Vec::new();
    for index in 0..64 {
        let Ok(entry) = gateway.get_generic_port_mapping_entry(index).await else {
            break;
        };
        let ours = entry.port_mapping_description == DESCRIPTION
            && entry.internal_client == internal.ip().to_string()
            && entry.protocol == PortMappingProtocol::UDP;
        if ours && entry.internal_port != internal.port() {
            stale.push(entry.external_port);
        }
    }
    for port in stale {
        tracing::info!("removing a port mapping left by an earlier brogue: UDP {port}");
        let _ = gateway.remove_port(PortMappingProtocol::UDP, port).await;
    }
}

impl Mapping {
    /// When to renew: half the lease the router granted (at least a minute).
    pub fn renew_in(&self) -> Duration {
        (self.lease / 2).max(Duration::from_secs(60))
    }

    /// Asks the router to keep the mapping. The outside port may change (a router that
    /// restarted); `external` says where it is now.
    pub async fn renew(&mut self) -> Result<(), String> {
        match &mut self.kind {
            Kind::Upnp(gateway) => {
                gateway
                    .add_port(
                        PortMappingProtocol::UDP,
                        self.external.port(),
                        self.internal,
                        LEASE.as_secs() as u32,
                        DESCRIPTION,
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                if let Ok(ip) = gateway.get_external_ip().await {
                    self.external.set_ip(ip);
                }
            }
            Kind::Crab(mapping) => {
                mapping.renew().await.map_err(|e| e.to_string())?;
                self.external.set_port(mapping.external_port().get());
                if let crab_nat::PortMappingType::Pcp { external_ip, .. } = mapping.mapping_type() {
                    self.external.set_ip(external_ip);
                }
                self.lease = Duration::from_secs(u64::from(mapping.lifetime()));
            }
        }
        Ok(())
    }

    /// Removes the mapping from the router.
    pub async fn remove(self) -> Result<(), String> {
        match self.kind {
            Kind::Upnp(gateway) => gateway
                .remove_port(PortMappingProtocol::UDP, self.external.port())
                .await
                .map_err(|e| e.to_string()),
            Kind::Crab(mapping) => mapping.try_drop().await.map_err(|(e, _)| e.to_string()),
        }
    }
}

/// The IPv4 default gateway, from the kernel's routing table (Linux). Elsewhere none is known
/// and only UPnP, which finds the router by multicast, is tried.
pub fn default_gateway() -> Option<Ipv4Addr> {
    let table = std::fs::read_to_string("/proc/net/route").ok()?;
    parse_route_table(&table)
}

fn parse_route_table(table: &str) -> Option<Ipv4Addr> {
    const RTF_UP: u32 = 0x1;
    const RTF_GATEWAY: u32 = 0x2;
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (dest, gateway, flags) = (fields.get(1)?, fields.get(2)?, fields.get(3)?);
        let flags = u32::from_str_radix(flags, 16).ok()?;
        if *dest != "00000000" || flags & (RTF_UP | RTF_GATEWAY) != RTF_UP | RTF_GATEWAY {
            return None;
        }
        // The kernel prints the address in host byte order (little-endian here).
        let raw = u32::from_str_radix(gateway, 16).ok()?;
        Some(Ipv4Addr::from(raw.to_le_bytes()))
    })
}

/// This machine's address on the way to `peer` (no packet is sent: a UDP socket is only
/// connected, which picks the route).
pub fn local_address_toward(peer: IpAddr) -> Option<IpAddr> {
    let bind: SocketAddr = match peer {
        IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        IpAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = std::net::UdpSocket::bind(bind).ok()?;
    socket.connect((peer, 9)).ok()?;
    Some(socket.local_addr().ok()?.ip())
}

/// Addresses friends elsewhere cannot dial: private, shared (carrier-grade NAT), loopback,
/// link-local, unspecified, benchmarking.
pub fn is_not_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// Who can join, said plainly; `verdict()` is the machine-readable word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reachability {
    /// The router forwards `at` to us, or the host said so with `--public-addr`.
    Internet { at: SocketAddr, how: How },
    /// The router answered but its own outside address is private or shared (or it has none
    /// it will use: `outside` is then `None` and `evidence` says what it said).
    Cgnat {
        outside: Option<IpAddr>,
        protocol: Option<Protocol>,
        evidence: String,
    },
    /// Only this network: no router answered, mapping is off, or the router refused.
    LanOnly { port: u16, why: LanOnly },
    /// Bound to a loopback address: only this machine.
    Loopback,
}

/// How the internet address came to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum How {
    Mapped(Protocol),
    Manual,
}

/// Why only this network can join.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LanOnly {
    NoRouterAnswered,
    MappingOff,
    /// The router answered and would not map; the text is its answer.
    Refused(String),
    /// Not decided yet (the router has not answered within the first seconds).
    Asking,
}

impl Reachability {
    /// Decides from a survey and its mapping, for a host on `port`.
    pub fn from_survey(survey: &Survey, mapping: Option<&Mapping>, port: u16) -> Reachability {
        let protocol = mapping.map(|m| m.protocol);
        if let Some(outside) = survey.outside.filter(|ip| is_not_public(*ip)) {
            return Reachability::Cgnat {
                outside: Some(outside),
                protocol,
                evidence: String::new(),
            };
        }
        if let (None, Some(evidence)) = (mapping, &survey.no_public_outside) {
            return Reachability::Cgnat {
                outside: None,
                protocol: None,
                evidence: evidence.clone(),
            };
        }
        if let Some(m) = mapping {
            return Reachability::Internet {
                at: m.external,
                how: How::Mapped(m.protocol),
            };
        }
        let why = if survey.any_answer() {
            let answers = [
                (Protocol::Upnp, &survey.upnp),
                (Protocol::Pcp, &survey.pcp),
                (Protocol::NatPmp, &survey.natpmp),
            ];
            LanOnly::Refused(
                answers
                    .iter()
                    .filter(|(_, a)| a.answered())
                    .map(|(p, a)| format!("{}: {a}", p.name()))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        } else {
            LanOnly::NoRouterAnswered
        };
        Reachability::LanOnly { port, why }
    }

    /// `internet`, `cgnat`, `lan-only` or `loopback`.
    pub fn verdict(&self) -> &'static str {
        match self {
            Reachability::Internet { .. } => "internet",
            Reachability::Cgnat { .. } => "cgnat",
            Reachability::LanOnly { .. } => "lan-only",
            Reachability::Loopback => "loopback",
        }
    }
}

impl std::fmt::Display for Reachability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reachability::Internet {
                at,
                how: How::Mapped(p),
            } => write!(
                f,
                "friends on the internet can join at {at} (mapped on your router by {})",
                p.name()
            ),
            Reachability::Internet {
                at,
                how: How::Manual,
            } => write!(
                f,
                "friends on the internet can join at {at} (from --public-addr: UDP {} there must \
                 reach this machine)",
                at.port()
            ),
            Reachability::Cgnat {
                outside,
                protocol,
                evidence,
            } => {
                let router = match protocol {
                    Some(p) => format!("your router mapped the port by {}", p.name()),
                    None => "your router answered".to_owned(),
                };
                match outside {
                    Some(a) => write!(
                        f,
                        "{router}, but its own outside address is private/shared ({a}): you are \
                         behind another NAT (carrier-grade NAT)"
                    )?,
                    None => write!(
                        f,
                        "{router}, but it has no public outside address of its own \
                         ({evidence}): you are behind another NAT (carrier-grade NAT)"
                    )?,
                }
                f.write_str(
                    ". Friends outside cannot reach you; use a forwarded port on the outer \
                     router, a VPN, or a rented server with --public-addr",
                )
            }
            Reachability::LanOnly { port, why } => {
                let advice = format!(
                    "friends on this network can join; for friends elsewhere forward UDP {port} \
                     to this machine and pass --public-addr"
                );
                match why {
                    LanOnly::NoRouterAnswered => {
                        write!(f, "no router answered UPnP, NAT-PMP or PCP: {advice}")
                    }
                    LanOnly::MappingOff => {
                        write!(f, "port mapping is off (--no-port-mapping): {advice}")
                    }
                    LanOnly::Refused(answer) => {
                        write!(f, "your router would not map the port ({answer}): {advice}")
                    }
                    LanOnly::Asking => write!(f, "asking your router to map UDP {port}…"),
                }
            }
            Reachability::Loopback => {
                f.write_str("hosting on 127.0.0.1 only: only this machine can join")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_route_is_read_from_the_kernel_table() {
        let table = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                     eth0\t0011A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
                     eth0\t00000000\t0111A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
        assert_eq!(
            parse_route_table(table),
            Some(Ipv4Addr::new(192, 168, 17, 1))
        );
        assert_eq!(parse_route_table(&table[..140]), None);
        assert_eq!(parse_route_table("garbage"), None);
    }

    #[test]
    fn shared_and_private_outside_addresses_are_not_public() {
        for ip in [
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "192.168.1.1",
            "0.0.0.0",
            "fd00::1",
        ] {
            assert!(is_not_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["100.128.0.1", "5.9.1.1", "203.0.113.9", "2001:db8::1"] {
            assert!(!is_not_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn each_verdict_says_what_to_do() {
        let mut survey = Survey::default();
        let lan = Reachability::from_survey(&survey, None, 4470);
        assert_eq!(lan.verdict(), "lan-only");
        assert!(
            lan.to_string()
                .starts_with("no router answered UPnP, NAT-PMP or PCP")
        );
        assert!(lan.to_string().contains("forward UDP 4470"));
        survey.upnp = Answer::Answered("gateway at 10.0.0.1:5000".into());
        survey.outside = Some("100.64.3.4".parse().unwrap());
        let cgnat = Reachability::from_survey(&survey, None, 4470);
        assert_eq!(cgnat.verdict(), "cgnat");
        assert!(cgnat.to_string().contains("(100.64.3.4)"), "{cgnat}");
        survey.outside = None;
        survey.no_public_outside = Some("NAT-PMP: network failure".into());
        let cgnat = Reachability::from_survey(&survey, None, 4470);
        assert_eq!(cgnat.verdict(), "cgnat");
        assert!(
            cgnat.to_string().contains("no public outside address"),
            "{cgnat}"
        );
        survey.no_public_outside = None;
        survey.outside = Some("5.9.1.1".parse().unwrap());
        survey.upnp = Answer::Failed("The client is not authorized to map this port.".into());
        let refused = Reachability::from_survey(&survey, None, 4470);
        assert_eq!(refused.verdict(), "lan-only");
        assert!(refused.to_string().contains("not authorized"), "{refused}");
    }
}
