//! One connection's state inside the host: who it is, what it was sent, how fast it may talk,
//! how much it may put in one tick, and whether it keeps up.

use std::time::Duration;

use game::PlayerId;
use game::view::Tracker;

/// Messages a client may send per second, sustained (bursts up to the same number).
pub const MSGS_PER_SEC: f64 = 40.0;
/// Dropped messages within [`FLOOD_WINDOW`] that mark a client as flooding.
pub const FLOOD_DROPS: u32 = 600;
pub const FLOOD_WINDOW: Duration = Duration::from_secs(10);
/// Most actions taken from one player per tick; more are dropped (never queued).
pub const ACTS_PER_TICK: u8 = 4;
/// Most inputs of any kind (actions, chat, trades, character creation) taken from one player
/// per tick: what waits for the next tick is bounded even while the world is paused.
pub const INPUTS_PER_TICK: u8 = 8;
/// Most datagrams read from one client per tick (it sends about one per snapshot and one per
/// action); more are dropped.
pub const DATAGRAMS_PER_TICK: u8 = 8;
/// A client whose updates keep being dropped this long is disconnected.
pub const MAX_LAG: Duration = Duration::from_secs(15);

/// Sessions are named by the driver (one per connection); never reused within a host.
pub type ConnId = u64;

/// A connected session. Players only, today; spectators will be the second kind.
#[derive(Debug)]
pub enum Session {
    Player(PlayerSession),
}

impl Session {
    pub fn player(&self) -> Option<PlayerId> {
        match self {
            Session::Player(p) => Some(p.player),
        }
    }
}

/// A player's connection.
#[derive(Debug)]
pub struct PlayerSession {
    pub player: PlayerId,
    /// What this client was sent (replication diffs against it).
    pub tracker: Tracker,
    pub bucket: Bucket,
    /// Actions and inputs taken this tick.
    pub acts: u8,
    pub inputs: u8,
    pub datagrams: u8,
    /// The newest action sequence number taken (repeats are ignored).
    pub last_act: u32,
    /// Since when updates to it are being dropped (its queue is full).
    pub lagging_since: Option<Duration>,
    /// Round-trip time as the transport measures it.
    pub rtt: Duration,
    /// When it last sent anything (for yielding idle slots).
    pub last_input: Duration,
}

impl PlayerSession {
    pub fn new(player: PlayerId, now: Duration) -> PlayerSession {
        PlayerSession {
            player,
            tracker: Tracker::new(),
            bucket: Bucket::new(now),
            acts: 0,
            inputs: 0,
            datagrams: 0,
            last_act: 0,
            lagging_since: None,
            rtt: Duration::ZERO,
            last_input: now,
        }
    }
}

/// A token bucket for one client's messages.
#[derive(Debug)]
pub struct Bucket {
    tokens: f64,
    last: Duration,
    dropped: u32,
    window: Duration,
}

/// What the bucket says about one message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Admit {
    Take,
    /// Over the rate: drop this message.
    Drop,
    /// Over the rate for long: close the connection.
    Flooding,
}

impl Bucket {
    pub fn new(now: Duration) -> Bucket {
        Bucket {
            tokens: MSGS_PER_SEC,
            last: now,
            dropped: 0,
            window: now,
        }
    }

    /// A message dropped without taking a token (over a per-tick budget): it counts toward
    /// calling the client a flood all the same.
    pub fn dropped_one(&mut self, now: Duration) -> Admit {
        if now.saturating_sub(self.window) > FLOOD_WINDOW {
            self.window = now;
            self.dropped = 0;
        }
        if self.dropped >= FLOOD_DROPS {
            Admit::Flooding
        } else {
            self.dropped += 1;
            Admit::Drop
        }
    }

    /// Takes a token for a message arriving at `now`.
    pub fn admit(&mut self, now: Duration) -> Admit {
        let elapsed = now.saturating_sub(self.last).as_secs_f64();
        self.last = self.last.max(now);
        self.tokens = (self.tokens + elapsed * MSGS_PER_SEC).min(MSGS_PER_SEC);
        if now.saturating_sub(self.window) > FLOOD_WINDOW {
            self.window = now;
            self.dropped = 0;
        }
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Admit::Take
        } else if self.dropped >= FLOOD_DROPS {
            Admit::Flooding
        } else {
            self.dropped += 1;
            Admit::Drop
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_refills_at_its_rate_and_calls_a_long_flood_a_flood() {
        let mut b = Bucket::new(Duration::ZERO);
        let now = Duration::from_secs(1);
        let taken = (0..100).filter(|_| b.admit(now) == Admit::Take).count();
        assert_eq!(taken, MSGS_PER_SEC as usize, "a burst up to the rate");
        // A quarter second later, a quarter of the rate is back.
        let later = now + Duration::from_millis(250);
        let taken = (0..100).filter(|_| b.admit(later) == Admit::Take).count();
        assert_eq!(taken, (MSGS_PER_SEC / 4.0) as usize);
        let verdicts: Vec<Admit> = (0..FLOOD_DROPS + 10).map(|_| b.admit(later)).collect();
        assert_eq!(verdicts.last(), Some(&Admit::Flooding));
    }
}
