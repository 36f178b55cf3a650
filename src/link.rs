//! A link emulator: a UDP relay that delays, jitters and drops packets between players and a
//! host, for benchmarks, tests and trying the game on a bad link by hand (`tc netem` is not
//! available everywhere, and needs root).
//!
//! The relay listens on a loopback port; each player address that writes to it gets its own
//! socket toward the host (so the host sees one address per player, as on a real network).
//! Every packet, each way, is dropped with the loss probability or sent after the delay plus a
//! uniform jitter; like netem, jitter reorders packets. An outage drops everything for a while;
//! a rebind moves every player's socket to a new port, as a client changing networks would.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// What the link does to each packet, each way.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinkSpec {
    pub delay: Duration,
    pub jitter: Duration,
    /// 0.0..=1.0.
    pub loss: f64,
    /// Drop everything for `.1`, starting `.0` after the relay starts.
    pub outage: Option<(Duration, Duration)>,
    /// Move every player's socket toward the host to a new port this long after the start.
    pub rebind: Option<Duration>,
}

impl FromStr for LinkSpec {
    type Err = String;

    /// `delay=40ms,jitter=5ms,loss=2%,outage=10s@5s,rebind@3s`; any subset, any order.
    fn from_str(s: &str) -> Result<LinkSpec, String> {
        let mut spec = LinkSpec::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || {
                format!(
                    "cannot read {part:?} in the link spec: expected delay=40ms, jitter=5ms, \
                     loss=2%, outage=10s@5s (10 s of nothing, 5 s in) or rebind@3s"
                )
            };
            if let Some(at) = part.strip_prefix("rebind@") {
                spec.rebind = Some(duration(at).ok_or_else(bad)?);
                continue;
            }
            let (key, value) = part.split_once('=').ok_or_else(bad)?;
            match key {
                "delay" => spec.delay = duration(value).ok_or_else(bad)?,
                "jitter" => spec.jitter = duration(value).ok_or_else(bad)?,
                "loss" => {
                    let pct: f64 = value
                        .strip_suffix('%')
                        .unwrap_or(value)
                        .parse()
                        .map_err(|_| bad())?;
                    if !(0.0..=100.0).contains(&pct) {
                        return Err(bad());
                    }
                    spec.loss = pct / 100.0;
                }
                "outage" => {
                    let (length, at) = value.split_once('@').ok_or_else(bad)?;
                    spec.outage = Some((
                        duration(at).ok_or_else(bad)?,
                        duration(length).ok_or_else(bad)?,
                    ));
                }
                _ => return Err(bad()),
            }
        }
        if spec.jitter > spec.delay {
            return Err(format!(
                "jitter ({:?}) larger than the delay ({:?}) would send packets back in time",
                spec.jitter, spec.delay
            ));
        }
        Ok(spec)
    }
}

/// `40ms`, `1.5s`, `250us`.
fn duration(text: &str) -> Option<Duration> {
    let (number, unit) = text
        .find(|c: char| c.is_ascii_alphabetic())
        .map(|i| text.split_at(i))?;
    let n: f64 = number
        .parse()
        .ok()
        .filter(|n: &f64| *n >= 0.0 && n.is_finite())?;
    let secs = match unit {
        "s" => n,
        "ms" => n / 1e3,
        "us" => n / 1e6,
        _ => return None,
    };
    Some(Duration::from_secs_f64(secs))
}

/// `target` reached through a relay with `spec` (the relay lives as long as the value).
pub async fn through(
    spec: LinkSpec,
    target: &net::Target,
) -> std::io::Result<(net::Target, Relay)> {
    let host = *target.addrs.first().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "the code has no address")
    })?;
    let relay = Relay::start(spec, host).await?;
    let target = net::Target {
        addrs: vec![relay.addr],
        pin: target.pin,
        world: target.world.clone(),
    };
    Ok((target, relay))
}

/// A running relay; dropping it stops it.
#[derive(Debug)]
pub struct Relay {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Relay {
    /// Starts a relay toward `host` on the loopback address of `host`'s family.
    pub async fn start(spec: LinkSpec, host: SocketAddr) -> std::io::Result<Relay> {
        let local: IpAddr = if host.is_ipv4() {
            Ipv4Addr::LOCALHOST.into()
        } else {
            Ipv6Addr::LOCALHOST.into()
        };
        let front = Arc::new(UdpSocket::bind((local, 0)).await?);
        let addr = front.local_addr()?;
        let task = tokio::spawn(relay(spec, host, front));
        Ok(Relay { addr, task })
    }
}

/// A small xorshift generator: the link's randomness needs no quality, only speed.
struct Dice(u64);

impl Dice {
    fn new() -> Dice {
        let mut seed = [0u8; 8];
        let _ = getrandom::fill(&mut seed);
        Dice(u64::from_le_bytes(seed) | 1)
    }

    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// When a packet sent now arrives, or `None` when it is lost.
struct Fate {
    spec: LinkSpec,
    start: Instant,
    dice: Dice,
}

impl Fate {
    fn of_packet(&mut self) -> Option<Instant> {
        let now = Instant::now();
        if let Some((at, length)) = self.spec.outage {
            let t = now.duration_since(self.start);
            if t >= at && t < at + length {
                return None;
            }
        }
        if self.dice.unit() < self.spec.loss {
            return None;
        }
        let jitter = self.spec.jitter.mul_f64(self.dice.unit());
        let delay = if self.dice.unit() < 0.5 {
            self.spec.delay.saturating_sub(jitter)
        } else {
            self.spec.delay + jitter
        };
        Some(now + delay)
    }
}

/// A packet on its way: to the host from a player (by the player's address), or back.
enum Toward {
    Host(SocketAddr),
    Player(SocketAddr),
}

async fn relay(spec: LinkSpec, host: SocketAddr, front: Arc<UdpSocket>) {
    let start = Instant::now();
    let rebind_at = spec.rebind.map(|d| start + d);
    let mut fate = Fate {
        spec,
        start,
        dice: Dice::new(),
    };
    // Packets back from the host, per player socket.
    let (back_tx, mut back_rx) = mpsc::channel::<(SocketAddr, Vec<u8>)>(4096);
    let mut players: BTreeMap<SocketAddr, (Arc<UdpSocket>, tokio::task::JoinHandle<()>)> =
        BTreeMap::new();
    let mut rebound = false;
    let mut buf = vec![0u8; 65_536];
    loop {
        let rebind = async {
            match rebind_at {
                Some(at) if !rebound => tokio::time::sleep_until(at).await,
                _ => std::future::pending().await,
            }
        };
        let (packet, toward) = tokio::select! {
            got = front.recv_from(&mut buf) => match got {
                Ok((n, from)) => (buf[..n].to_vec(), Toward::Host(from)),
                Err(_) => continue,
            },
            Some((player, packet)) = back_rx.recv() => (packet, Toward::Player(player)),
            () = rebind => {
                rebound = true;
                for (player, (_, task)) in std::mem::take(&mut players) {
                    task.abort();
                    if let Ok(socket) = open_toward(host, player, &back_tx).await {
                        players.insert(player, socket);
                    }
                }
                continue;
            }
        };
        let Some(at) = fate.of_packet() else {
            continue;
        };
        match toward {
            Toward::Host(player) => {
                let socket = match players.get(&player) {
                    Some((socket, _)) => socket.clone(),
                    None => match open_toward(host, player, &back_tx).await {
                        Ok(opened) => players.entry(player).or_insert(opened).0.clone(),
                        Err(e) => {
                            tracing::warn!("link emulator: cannot open a socket: {e}");
                            continue;
                        }
                    },
                };
                tokio::spawn(async move {
                    tokio::time::sleep_until(at).await;
                    let _ = socket.send(&packet).await;
                });
            }
            Toward::Player(player) => {
                let front = front.clone();
                tokio::spawn(async move {
                    tokio::time::sleep_until(at).await;
                    let _ = front.send_to(&packet, player).await;
                });
            }
        }
    }
}

/// A socket toward the host for one player, and the task reading what comes back.
async fn open_toward(
    host: SocketAddr,
    player: SocketAddr,
    back: &mpsc::Sender<(SocketAddr, Vec<u8>)>,
) -> std::io::Result<(Arc<UdpSocket>, tokio::task::JoinHandle<()>)> {
    let any: IpAddr = if host.is_ipv4() {
        Ipv4Addr::UNSPECIFIED.into()
    } else {
        Ipv6Addr::UNSPECIFIED.into()
    };
    let socket = Arc::new(UdpSocket::bind((any, 0)).await?);
    socket.connect(host).await?;
    let reader = socket.clone();
    let back = back.clone();
    let task = tokio::spawn(async move {
        let mut buf = vec![0u8; 65_536];
        while let Ok(n) = reader.recv(&mut buf).await {
            if back.send((player, buf[..n].to_vec())).await.is_err() {
                return;
            }
        }
    });
    Ok((socket, task))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_read_as_written_and_bad_ones_say_what_is_expected() {
        let spec: LinkSpec = "delay=40ms,jitter=5ms,loss=2%,outage=10s@5s,rebind@3s"
            .parse()
            .unwrap();
        assert_eq!(spec.delay, Duration::from_millis(40));
        assert_eq!(spec.jitter, Duration::from_millis(5));
        assert!((spec.loss - 0.02).abs() < 1e-9);
        assert_eq!(
            spec.outage,
            Some((Duration::from_secs(5), Duration::from_secs(10)))
        );
        assert_eq!(spec.rebind, Some(Duration::from_secs(3)));
        let err = "delay=40".parse::<LinkSpec>().unwrap_err();
        assert!(err.contains("delay=40ms"), "{err}");
        assert!("loss=200%".parse::<LinkSpec>().is_err());
        assert!("delay=5ms,jitter=10ms".parse::<LinkSpec>().is_err());
    }

    #[tokio::test]
    async fn the_relay_delays_and_drops_as_told() {
        let host = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let spec: LinkSpec = "delay=30ms".parse().unwrap();
        let relay = Relay::start(spec, host.local_addr().unwrap())
            .await
            .unwrap();
        let player = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let sent = Instant::now();
        player.send_to(b"ping", relay.addr).await.unwrap();
        let mut buf = [0u8; 16];
        let (n, via) = host.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"ping");
        assert!(sent.elapsed() >= Duration::from_millis(30));
        // The answer goes back through the player's own socket.
        let sent = Instant::now();
        host.send_to(b"pong", via).await.unwrap();
        let (n, from) = player.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"pong"[..], relay.addr));
        assert!(sent.elapsed() >= Duration::from_millis(30));
        // Total loss: nothing arrives.
        let lossy = Relay::start("loss=100%".parse().unwrap(), host.local_addr().unwrap())
            .await
            .unwrap();
        player.send_to(b"lost", lossy.addr).await.unwrap();
        let got = tokio::time::timeout(Duration::from_millis(200), host.recv_from(&mut buf)).await;
        assert!(
            got.is_err(),
            "a packet crossed a link that loses everything"
        );
    }
}
