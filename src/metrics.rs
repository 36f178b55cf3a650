//! What `brogue serve --metrics ADDR` shows Prometheus: `GET /metrics` (the OpenMetrics text
//! format) and `GET /healthz`. Labels are the world and, for refusals, the reason; never a
//! player (a label per player would grow without bound).
//!
//! `prometheus-client` rather than `metrics` + `metrics-exporter-prometheus`: a typed
//! registry handed to each world's driver (no global recorder to install or to leak between
//! tests) and a text encoder with four small dependencies; the exporter would bring its own
//! HTTP stack or, without it, `metrics-util`'s. The HTTP side is a GET-only responder on a
//! tokio listener (one request per connection, a head of at most 8 KiB within 5 s).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WorldLabel {
    world: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: String,
}

fn tick_buckets() -> Histogram {
    // 0.25 ms … 128 ms: a tick at 20 Hz has 50 ms.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 10))
}

fn rtt_buckets() -> Histogram {
    // 5 ms … 2.5 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 10))
}

/// Every metric of a server, registered once.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    tick: Family<WorldLabel, Histogram>,
    overruns: Family<WorldLabel, Counter>,
    players: Family<WorldLabel, Gauge>,
    connections: Gauge,
    bytes_in: Family<WorldLabel, Counter>,
    bytes_out: Family<WorldLabel, Counter>,
    rtt: Histogram,
    unsaved: Family<WorldLabel, Gauge>,
    save_failures: Family<WorldLabel, Counter>,
    refused: Family<ReasonLabel, Counter>,
    flood_kicks: Family<WorldLabel, Counter>,
    /// Worlds that stopped by themselves, and why (for `/healthz`).
    stopped: Mutex<BTreeMap<String, String>>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let tick = Family::<WorldLabel, Histogram>::new_with_constructor(tick_buckets as fn() -> _);
        let overruns = Family::<WorldLabel, Counter>::default();
        let players = Family::<WorldLabel, Gauge>::default();
        let connections = Gauge::default();
        let bytes_in = Family::<WorldLabel, Counter>::default();
        let bytes_out = Family::<WorldLabel, Counter>::default();
        let rtt = rtt_buckets();
        let unsaved = Family::<WorldLabel, Gauge>::default();
        let save_failures = Family::<WorldLabel, Counter>::default();
        let refused = Family::<ReasonLabel, Counter>::default();
        let flood_kicks = Family::<WorldLabel, Counter>::default();
        registry.register(
            "brogue_tick_seconds",
            "How long a world's tick took (wall time)",
            tick.clone(),
        );
        registry.register(
            "brogue_tick_overruns",
            "Ticks that took longer than the tick period, or began a whole period late",
            overruns.clone(),
        );
        registry.register(
            "brogue_players",
            "Players connected to a world",
            players.clone(),
        );
        registry.register(
            "brogue_connections",
            "Connections admitted, every world together (players and spectators)",
            connections.clone(),
        );
        registry.register(
            "brogue_bytes_in",
            "UDP bytes received from a world's clients (QUIC included)",
            bytes_in.clone(),
        );
        registry.register(
            "brogue_bytes_out",
            "UDP bytes sent to a world's clients (QUIC included)",
            bytes_out.clone(),
        );
        registry.register(
            "brogue_rtt_seconds",
            "Round-trip times of connected clients, sampled once a second",
            rtt.clone(),
        );
        registry.register(
            "brogue_saver_backlog_ticks",
            "Ticks of a world played but not yet durable",
            unsaved.clone(),
        );
        registry.register(
            "brogue_saver_failures",
            "Writes of a world that failed (each is retried)",
            save_failures.clone(),
        );
        registry.register(
            "brogue_refused_joins",
            "Arrivals refused, by reason",
            refused.clone(),
        );
        registry.register(
            "brogue_flood_kicks",
            "Clients disconnected for flooding",
            flood_kicks.clone(),
        );
        Metrics {
            registry,
            tick,
            overruns,
            players,
            connections,
            bytes_in,
            bytes_out,
            rtt,
            unsaved,
            save_failures,
            refused,
            flood_kicks,
            stopped: Mutex::new(BTreeMap::new()),
        }
    }

    /// The handles one world's driver updates.
    pub fn world(self: &Arc<Metrics>, world: &str) -> WorldMetrics {
        let label = WorldLabel {
            world: world.to_owned(),
        };
        WorldMetrics {
            tick: self.tick.get_or_create_owned(&label),
            overruns: self.overruns.get_or_create_owned(&label),
            players: self.players.get_or_create_owned(&label),
            bytes_in: self.bytes_in.get_or_create_owned(&label),
            bytes_out: self.bytes_out.get_or_create_owned(&label),
            unsaved: self.unsaved.get_or_create_owned(&label),
            save_failures: self.save_failures.get_or_create_owned(&label),
            flood_kicks: self.flood_kicks.get_or_create_owned(&label),
            all: self.clone(),
            world: world.to_owned(),
            connections: 0,
        }
    }

    /// An arrival was refused for `reason` (a short snake_case word).
    pub fn refused(&self, reason: &str) {
        self.refused
            .get_or_create(&ReasonLabel {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// World `world` stopped by itself.
    pub fn stopped(&self, world: &str, why: &str) {
        let mut stopped = self.stopped.lock().unwrap_or_else(|p| p.into_inner());
        stopped.insert(world.to_owned(), why.to_owned());
    }

    /// The text Prometheus reads.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }

    /// `/healthz`: healthy while no world has stopped by itself.
    pub fn health(&self) -> (bool, String) {
        let stopped = self.stopped.lock().unwrap_or_else(|p| p.into_inner());
        if stopped.is_empty() {
            return (true, "ok\n".into());
        }
        let lines: String = stopped
            .iter()
            .map(|(world, why)| format!("world {world} stopped after an internal error: {why}\n"))
            .collect();
        (false, lines)
    }
}

/// One world's metrics, as its driver updates them.
#[derive(Debug)]
pub struct WorldMetrics {
    tick: Histogram,
    overruns: Counter,
    players: Gauge,
    bytes_in: Counter,
    bytes_out: Counter,
    unsaved: Gauge,
    save_failures: Counter,
    flood_kicks: Counter,
    all: Arc<Metrics>,
    world: String,
    /// This world's part of `brogue_connections`.
    connections: i64,
}

impl WorldMetrics {
    /// A tick took `took`, `late` after it was due; `period` is the world's tick period.
    pub fn tick(&self, took: Duration, late: Duration, period: Duration) {
        self.tick.observe(took.as_secs_f64());
        if took > period || late >= period {
            self.overruns.inc();
        }
    }

    pub fn players(&self, n: u16) {
        self.players.set(i64::from(n));
    }

    /// The world has `n` connections now.
    pub fn connections(&mut self, n: usize) {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        self.all.connections.inc_by(n - self.connections);
        self.connections = n;
    }

    pub fn bytes(&self, received: u64, sent: u64) {
        self.bytes_in.inc_by(received);
        self.bytes_out.inc_by(sent);
    }

    pub fn rtt(&self, rtt: Duration) {
        self.all.rtt.observe(rtt.as_secs_f64());
    }

    pub fn unsaved(&self, ticks: u64) {
        self.unsaved.set(i64::try_from(ticks).unwrap_or(i64::MAX));
    }

    pub fn save_failed(&self) {
        self.save_failures.inc();
    }

    pub fn flood_kick(&self) {
        self.flood_kicks.inc();
    }

    pub fn refused(&self, reason: &str) {
        self.all.refused(reason);
    }

    /// The server's metrics this world's are part of.
    pub fn all(&self) -> Arc<Metrics> {
        self.all.clone()
    }

    /// The world stopped by itself.
    pub fn stopped(&mut self, why: &str) {
        self.connections(0);
        self.players.set(0);
        self.all.stopped(&self.world, why);
    }
}

/// Serves `/metrics` and `/healthz` on `listener` until `stop`.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>, stop: CancellationToken) {
    loop {
        let (stream, _) = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!("metrics: cannot accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(5), answer(stream, &metrics)).await;
        });
    }
}

/// Binds the metrics address (a clear error when it is taken).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot serve metrics on {addr}: {e} (pick another --metrics address)"),
        )
    })
}

async fn answer(mut stream: tokio::net::TcpStream, metrics: &Metrics) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 || head.len() + n > 8192 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = head.split(|b| *b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split(' ');
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = path.split('?').next().unwrap_or("");
    let (status, kind, body) = match (method, path) {
        ("GET", "/metrics") => (
            "200 OK",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            metrics.encode(),
        ),
        ("GET", "/healthz") => match metrics.health() {
            (true, body) => ("200 OK", "text/plain; charset=utf-8", body),
            (false, body) => ("503 Service Unavailable", "text/plain; charset=utf-8", body),
        },
        ("GET", _) => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "try /metrics or /healthz\n".into(),
        ),
        _ => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "only GET\n".into(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: \
         close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worlds_share_the_connection_gauge_and_a_late_or_long_tick_is_an_overrun() {
        let all = Arc::new(Metrics::new());
        let mut a = all.world("a");
        let mut b = all.world("b");
        a.connections(3);
        b.connections(2);
        a.connections(1);
        let period = Duration::from_millis(50);
        a.tick(Duration::from_millis(2), Duration::ZERO, period);
        a.tick(Duration::from_millis(60), Duration::ZERO, period);
        a.tick(Duration::from_millis(1), Duration::from_millis(50), period);
        b.tick(Duration::from_millis(49), Duration::from_millis(49), period);
        a.refused("full");
        let text = all.encode();
        assert!(text.contains("brogue_connections 3\n"), "{text}");
        assert!(
            text.contains("brogue_tick_overruns_total{world=\"a\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("brogue_tick_overruns_total{world=\"b\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("brogue_tick_seconds_count{world=\"a\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("brogue_refused_joins_total{reason=\"full\"} 1\n"),
            "{text}"
        );
        assert_eq!(all.health(), (true, "ok\n".into()));
        b.stopped("boom");
        assert!(all.encode().contains("brogue_connections 1\n"));
        let (healthy, why) = all.health();
        assert!(!healthy && why.contains("world b stopped after an internal error: boom"));
    }
}
