//! How fast the central-leaderboard sync drains an outbox into PostgreSQL (for
//! docs/BENCHMARKS.md):
//!
//! ```sh
//! cargo run --release --example drain_rate -- 'postgres://postgres@127.0.0.1/test?options=-csearch_path%3Dbench' 20000
//! ```
//!
//! It journals N facts (one per tick, a kill each) into a fresh save with an outbox, starts the
//! real saver thread and sync task, and times until the outbox is empty.

use std::sync::Arc;
use std::time::{Duration, Instant};

use brogue::saver::{Report, Saver};
use game::fact::{Fact, FactKind};
use game::{Tick, TickRate, World};
use host::{Checkpoint, JournalEntry, Persist};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("a PostgreSQL URL");
    let n: u64 = args.next().map_or(20_000, |a| a.parse().expect("a count"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(store::FILE_NAME);
    let save = store::Store::open(&path).unwrap();
    let world = World::new("bench", 1, TickRate::DEFAULT);
    save.create_world(&Checkpoint::of(&world)).unwrap();
    let thread = Saver::start(save, path);
    let mut saver = thread.world("bench", true).await;
    let identity = Arc::new(net::Identity::ephemeral());
    for t in 0..n {
        let fact = Fact {
            player: game::PlayerId([(t % 8) as u8; 32]),
            name: format!("bot-{}", t % 8),
            class: game::Class::Warrior,
            kind: FactKind::Kill {
                monster: game::monster::MonsterKind::Rat,
            },
        };
        let entry = JournalEntry {
            tick: Tick(t),
            inputs: vec![],
            trades: vec![],
            facts: vec![fact],
            unix: 2_000_000_000,
        };
        saver.write(Persist::Journal(entry)).await;
    }
    while let Some(r) = saver.reports.recv().await {
        if matches!(r, Report::Durable(t) if t.0 + 1 == n) {
            break;
        }
    }
    let central = store::central::Central::from_url(&url).unwrap();
    let outbox = saver.outbox();
    let stop = tokio_util::sync::CancellationToken::new();
    let started = Instant::now();
    let sync = tokio::spawn(brogue::central::run(
        central,
        identity,
        "bench".into(),
        outbox.clone(),
        stop.clone(),
    ));
    while !outbox.peek(1).await.is_empty() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    stop.cancel();
    let stats = sync.await.unwrap();
    println!(
        "{n} facts in {secs:.2} s: {:.0} facts/s ({} batches, {} connections)",
        n as f64 / secs,
        stats.batches,
        stats.connects
    );
    let _ = saver.close().await;
    let _ = thread.close().await;
}
