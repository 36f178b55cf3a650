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

/// A connected session: a player, or a spectator who watches one.
#[derive(Debug)]
pub enum Session {
    Player(PlayerSession),
    Spectator(SpectatorSession),
}

impl Session {
    /// The player this session plays (`None` for a spectator).
    pub fn player(&self) -> Option<PlayerId> {
        match self {
            Session::Player(p) => Some(p.player),
            Session::Spectator(_) => None,
        }
    }

    pub fn link(&self) -> &Link {
        match self {
            Session::Player(p) => &p.link,
            Session::Spectator(s) => &s.link,
        }
    }

    pub fn link_mut(&mut self) -> &mut Link {
        match self {
            Session::Player(p) => &mut p.link,
            Session::Spectator(s) => &mut s.link,
        }
    }
}

/// What every connection has: what it was sent, how fast it may talk, whether it keeps up.
#[derive(Debug)]
pub struct Link {
    /// What this client was sent (replication diffs against it).
    pub tracker: Tracker,
    pub bucket: Bucket,
    /// Datagrams read this tick.
    pub datagrams: u8,
    /// Since when updates to it are being dropped (its queue is full).
    pub lagging_since: Option<Duration>,
    /// Round-trip time as the transport measures it.
    pub rtt: Duration,
}

impl Link {
    pub fn new(now: Duration) -> Link {
        Link {
            tracker: Tracker::new(),
            bucket: Bucket::new(now),
            datagrams: 0,
            lagging_since: None,
            rtt: Duration::ZERO,
        }
    }
}

/// A player's connection.
#[derive(Debug)]
pub struct PlayerSession {
    pub player: PlayerId,
    pub link: Link,
    /// Actions and inputs taken this tick.
    pub acts: u8,
    pub inputs: u8,
    /// The newest action sequence number taken (repeats are ignored).
    pub last_act: u32,
    /// When it last sent anything (for yielding idle slots).
    pub last_input: Duration,
    /// Whom the player asked to watch while it has no character.
    pub following: Option<PlayerId>,
    /// Whose view the tracker holds (`None`: the player's own).
    pub viewing: Option<PlayerId>,
}

impl PlayerSession {
    pub fn new(player: PlayerId, now: Duration) -> PlayerSession {
        PlayerSession {
            player,
            link: Link::new(now),
            acts: 0,
            inputs: 0,
            last_act: 0,
            last_input: now,
            following: None,
            viewing: None,
        }
    }
}

/// A spectator's connection: no character, no slot; it sees what the player it follows sees.
#[derive(Debug)]
pub struct SpectatorSession {
    /// The spectator's own key (never a player of the world because it watches).
    pub key: PlayerId,
    pub name: String,
    /// The player followed; the next with a character when `None` or gone.
    pub following: Option<PlayerId>,
    pub link: Link,
    /// Messages that asked to act, chat or trade: refused and counted.
    pub refused: u32,
}

impl SpectatorSession {
    pub fn new(key: PlayerId, name: String, now: Duration) -> SpectatorSession {
        SpectatorSession {
            key,
            name,
            following: None,
            link: Link::new(now),
            refused: 0,
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
