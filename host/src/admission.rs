//! Who may play: invite secrets (issued, renewed, expired), the player limit, returning players.
//!
//! A secret admits any number of new players until it expires; each uses it once, after which
//! their key is known to the world and they return without one. Expired secrets are remembered
//! for a week so their holders hear "expired", not "wrong".

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// How long invite codes stay valid.
pub const INVITE_TTL_SECS: u64 = 24 * 3600;
/// A secret is replaced this long before it expires.
pub const RENEW_BEFORE_SECS: u64 = 3600;
/// Expired secrets are remembered this long.
pub const EXPIRED_MEMORY_SECS: u64 = 7 * 24 * 3600;

/// A secret a host has issued, with its expiry (unix seconds, a whole minute) and how many new
/// players it has admitted.
#[derive(Copy, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedSecret {
    pub secret: [u8; 16],
    pub expires_at: u64,
    pub admitted: u32,
}

impl std::fmt::Debug for IssuedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedSecret")
            .field("expires_at", &self.expires_at)
            .field("admitted", &self.admitted)
            .finish_non_exhaustive()
    }
}

impl IssuedSecret {
    /// `secret`, valid for `ttl_secs` from `now_unix`, rounded down to a whole minute (the
    /// invite code carries minutes).
    pub fn new(secret: [u8; 16], now_unix: u64, ttl_secs: u64) -> IssuedSecret {
        IssuedSecret {
            secret,
            expires_at: now_unix.saturating_add(ttl_secs) / 60 * 60,
            admitted: 0,
        }
    }
}

/// What a presented secret is worth.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SecretCheck {
    /// The secret at this index, still valid.
    Valid(usize),
    /// One of ours, but expired.
    Expired,
    /// Not one we issued (or none was given).
    Wrong,
}

/// Checks `given` against every secret a host issued, in constant time per secret.
pub fn check_secret(
    issued: &[IssuedSecret],
    given: Option<&[u8; 16]>,
    now_unix: u64,
) -> SecretCheck {
    let Some(given) = given else {
        return SecretCheck::Wrong;
    };
    let mut result = SecretCheck::Wrong;
    for (i, s) in issued.iter().enumerate() {
        if bool::from(s.secret.ct_eq(given)) {
            result = if now_unix < s.expires_at {
                SecretCheck::Valid(i)
            } else {
                SecretCheck::Expired
            };
        }
    }
    result
}

/// The secrets to honour after `now_unix`: forgotten once expired for a week, oldest first.
/// Returns whether the newest one is still fresh: more than [`RENEW_BEFORE_SECS`] to live and
/// fewer than `max_new` players admitted.
pub(crate) fn prune(secrets: &mut Vec<IssuedSecret>, now_unix: u64, max_new: u32) -> bool {
    secrets.retain(|s| s.expires_at.saturating_add(EXPIRED_MEMORY_SECS) > now_unix);
    secrets.sort_by_key(|s| s.expires_at);
    secrets.last().is_some_and(|s| {
        s.expires_at > now_unix.saturating_add(RENEW_BEFORE_SECS) && s.admitted < max_new
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 2_000_000_000;

    #[test]
    fn a_secret_is_valid_until_it_expires_then_expired_then_forgotten() {
        let s = IssuedSecret::new([7; 16], NOW, 2 * 3600);
        assert_eq!(s.expires_at % 60, 0);
        let issued = [s];
        assert_eq!(
            check_secret(&issued, Some(&[7; 16]), NOW),
            SecretCheck::Valid(0)
        );
        assert_eq!(
            check_secret(&issued, Some(&[7; 16]), s.expires_at),
            SecretCheck::Expired
        );
        assert_eq!(
            check_secret(&issued, Some(&[8; 16]), NOW),
            SecretCheck::Wrong
        );
        assert_eq!(check_secret(&issued, None, NOW), SecretCheck::Wrong);
        let mut kept = vec![s];
        assert!(prune(&mut kept, NOW, 16), "fresh for an hour yet");
        assert!(!prune(&mut kept, s.expires_at - 60, 16), "due for renewal");
        kept[0].admitted = 16;
        assert!(!prune(&mut kept, NOW, 16), "used up: due for renewal");
        assert_eq!(kept.len(), 1);
        prune(&mut kept, s.expires_at + EXPIRED_MEMORY_SECS, 16);
        assert!(kept.is_empty(), "forgotten a week after expiry");
    }
}
