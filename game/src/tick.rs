//! Simulation time. The world has no clock: time is the count of ticks the caller has passed in.

use std::ops::{Add, Sub};

use serde::{Deserialize, Serialize};

/// A point in simulation time, counted in ticks since the world began.
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Tick(pub u64);

impl Tick {
    pub const ZERO: Tick = Tick(0);

    pub const fn next(self) -> Tick {
        Tick(self.0 + 1)
    }
}

impl Add<u64> for Tick {
    type Output = Tick;

    fn add(self, ticks: u64) -> Tick {
        Tick(self.0.saturating_add(ticks))
    }
}

impl Sub for Tick {
    type Output = u64;

    /// Ticks from `rhs` to `self`, zero if `rhs` is later.
    fn sub(self, rhs: Tick) -> u64 {
        self.0.saturating_sub(rhs.0)
    }
}

/// Ticks per second: the world's fixed rate (10..=60, default 20).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TickRate(u8);

impl TickRate {
    pub const MIN: u8 = 10;
    pub const MAX: u8 = 60;
    pub const DEFAULT: TickRate = TickRate(20);

    /// `None` outside 10..=60.
    pub const fn new(hz: u8) -> Option<TickRate> {
        if hz >= Self::MIN && hz <= Self::MAX {
            Some(TickRate(hz))
        } else {
            None
        }
    }

    pub const fn hz(self) -> u8 {
        self.0
    }

    /// A duration in milliseconds as a whole number of ticks, at least one.
    pub const fn ticks(self, ms: u32) -> u64 {
        let t = (ms as u64 * self.0 as u64 + 500) / 1000;
        if t == 0 { 1 } else { t }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_scale_with_the_rate() {
        let r20 = TickRate::new(20).unwrap();
        assert_eq!(r20.ticks(200), 4);
        assert_eq!(r20.ticks(250), 5);
        assert_eq!(r20.ticks(15_000), 300);
        assert_eq!(r20.ticks(1), 1);
        assert_eq!(TickRate::new(60).unwrap().ticks(200), 12);
        assert_eq!(TickRate::new(9), None);
        assert_eq!(TickRate::new(61), None);
    }
}
