//! The one durable record: each tick's ordered inputs (the journal), and now and then a whole
//! world at one tick boundary (a checkpoint). Recovery is the newest checkpoint plus a replay
//! of the journal after it; determinism makes it exact.
//!
//! Tick numbers: a world whose [`World::tick`] is `T` has processed ticks `0..T`. The journal
//! entry of tick `t` holds the inputs that [`World::handle_tick`] consumed when it processed
//! tick `t`. A checkpoint at `T` is the world before tick `T`. A journal that is durable up to
//! `end` (exclusive) lets recovery reach the world before tick `end`.

use game::economy::TradeRecord;
use game::fact::Fact;
use game::{Input, StateHash, Tick, World, WorldSave};
use serde::{Deserialize, Serialize};

/// The inputs of one tick, and what that tick added to the world's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// The tick these inputs were consumed by.
    pub tick: Tick,
    /// In the order the world applied them.
    pub inputs: Vec<Input>,
    /// Trades the tick completed: stored as history rows in the same transaction as the inputs
    /// (a replay computes them again; the rows are for reading the history).
    pub trades: Vec<TradeRecord>,
    /// Leaderboard facts the tick recorded: kept in an outbox for a central leaderboard, in the
    /// same transaction as the inputs, when the host syncs one. A victory is followed by its
    /// proof (`FactKind::Proof`), which the store also keeps locally.
    pub facts: Vec<Fact>,
    /// Wall-clock unix seconds when the tick ran (facts carry it; replays ignore it).
    pub unix: u64,
}

impl JournalEntry {
    /// The outbox id of the `index`-th fact of this entry: unique per world, in order.
    pub fn fact_id(&self, index: usize) -> u64 {
        (self.tick.0 << 16) | (index.min(0xFFFF) as u64)
    }
}

/// A whole world between two ticks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Ticks processed: the next tick this world processes.
    pub tick: Tick,
    pub save: WorldSave,
}

impl Checkpoint {
    /// The world `world` as it is now.
    pub fn of(world: &World) -> Checkpoint {
        Checkpoint {
            tick: world.tick(),
            save: world.full_save(),
        }
    }

    /// The state hash of the world this checkpoint holds.
    pub fn state_hash(&self) -> StateHash {
        self.save.state_hash()
    }
}

/// Why a checkpoint and a journal do not make a world.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecoverError {
    /// The checkpoint does not load.
    #[error("the checkpoint at tick {tick} does not load: {reason}")]
    Checkpoint { tick: u64, reason: String },
    /// The checkpoint claims another tick than the world it holds.
    #[error("the checkpoint says tick {claimed} but holds a world at tick {holds}")]
    TickMismatch { claimed: u64, holds: u64 },
    /// A journal entry lies outside the span being replayed, or two share a tick.
    #[error("the journal has an entry for tick {tick} outside ticks {from}..{to}, or twice")]
    OutOfOrder { tick: u64, from: u64, to: u64 },
}

/// The world of `checkpoint` with the journal replayed onto it up to tick `end` (exclusive):
/// `journal` holds the entries of ticks with inputs, in tick order; ticks without an entry had
/// none.
pub fn recover(
    checkpoint: Checkpoint,
    journal: impl IntoIterator<Item = (Tick, Vec<Input>)>,
    end: Tick,
) -> Result<World, RecoverError> {
    let claimed = checkpoint.tick;
    let mut world = World::from_save(checkpoint.save).map_err(|e| RecoverError::Checkpoint {
        tick: claimed.0,
        reason: e.to_string(),
    })?;
    if world.tick() != claimed {
        return Err(RecoverError::TickMismatch {
            claimed: claimed.0,
            holds: world.tick().0,
        });
    }
    replay(&mut world, journal, end)?;
    Ok(world)
}

/// Advances `world` through tick `end` (exclusive), feeding each tick its journal entry.
pub fn replay(
    world: &mut World,
    journal: impl IntoIterator<Item = (Tick, Vec<Input>)>,
    end: Tick,
) -> Result<(), RecoverError> {
    let from = world.tick();
    let out_of_order = |tick: Tick| RecoverError::OutOfOrder {
        tick: tick.0,
        from: from.0,
        to: end.0,
    };
    for (tick, inputs) in journal {
        if tick < world.tick() || tick >= end {
            return Err(out_of_order(tick));
        }
        while world.tick() < tick {
            world.handle_tick(&[]);
        }
        world.handle_tick(&inputs);
        let _ = (world.take_trades(), world.take_facts());
    }
    while world.tick() < end {
        world.handle_tick(&[]);
        let _ = (world.take_trades(), world.take_facts());
    }
    Ok(())
}
