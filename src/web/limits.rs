//! In-process rate limits: sign-in attempts per client address and in total, and how many
//! refused requests are written to the audit trail (a flood of refusals must not flood the
//! chain). Fixed one-minute windows; the maps are cleared every window and capped in size.
//! API tokens have a token bucket each (`/api/v1`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
/// Distinct addresses tracked per window; beyond that every new address counts as limited.
const MAX_KEYS: usize = 10_000;

/// Sign-in attempts allowed per client address per minute.
pub const SIGN_IN_PER_ADDRESS: u32 = 30;
/// Sign-in attempts allowed in total per minute.
pub const SIGN_IN_TOTAL: u32 = 600;
/// Refused requests audited per client address per minute (the rest are counted).
pub const REFUSALS_PER_ADDRESS: u32 = 10;
/// Refused requests audited in total per minute.
pub const REFUSALS_TOTAL: u32 = 100;

struct Window {
    started: Instant,
    total: u32,
    per_key: HashMap<String, u32>,
    /// Counted but not let through (refusals not audited), since the last one that was.
    suppressed: u64,
}

impl Window {
    fn new() -> Window {
        Window {
            started: Instant::now(),
            total: 0,
            per_key: HashMap::new(),
            suppressed: 0,
        }
    }
}

/// One fixed-window counter with a per-key and a total limit.
pub struct Limiter {
    per_key: u32,
    total: u32,
    window: Mutex<Window>,
}

/// The outcome of a hit on a [`Limiter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    /// Allowed; `suppressed` hits were refused since the last allowed one.
    Allowed {
        suppressed: u64,
    },
    Limited,
}

impl Limiter {
    pub fn new(per_key: u32, total: u32) -> Limiter {
        Limiter {
            per_key,
            total,
            window: Mutex::new(Window::new()),
        }
    }

    /// Counts one hit for `key` (no key: only the total applies).
    pub fn hit(&self, key: Option<&str>) -> Hit {
        let Ok(mut w) = self.window.lock() else {
            return Hit::Limited;
        };
        if w.started.elapsed() >= WINDOW {
            let suppressed = w.suppressed;
            *w = Window::new();
            w.suppressed = suppressed;
        }
        let full = w.per_key.len() >= MAX_KEYS;
        let key_count = match key {
            Some(k) => match w.per_key.get_mut(k) {
                Some(n) => {
                    *n = n.saturating_add(1);
                    *n
                }
                None if full => u32::MAX,
                None => {
                    w.per_key.insert(k.to_string(), 1);
                    1
                }
            },
            None => 0,
        };
        w.total = w.total.saturating_add(1);
        if key_count > self.per_key || w.total > self.total {
            w.suppressed += 1;
            Hit::Limited
        } else {
            Hit::Allowed {
                suppressed: std::mem::take(&mut w.suppressed),
            }
        }
    }
}

/// Calls an API token may make in a burst (the bucket's size).
pub const API_BURST: u32 = 30;
/// Calls an API token may make per minute in the long run (the bucket's refill).
pub const API_PER_MINUTE: u32 = 60;

/// A token bucket per key (an API token's id): `burst` calls at once, then `per_minute`
/// spread evenly. In-process: with several app servers each grants its own share.
pub struct Buckets {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<i64, (f64, Instant)>>,
}

impl Buckets {
    pub fn new(burst: u32, per_minute: u32) -> Buckets {
        Buckets {
            burst: f64::from(burst),
            per_second: f64::from(per_minute) / 60.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one call from `key`'s bucket: `Ok` if there was one, else `Err(seconds)` until
    /// the next call is allowed (for `Retry-After`).
    pub fn take(&self, key: i64) -> Result<(), u64> {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Err(1);
        };
        let now = Instant::now();
        if buckets.len() >= MAX_KEYS && !buckets.contains_key(&key) {
            // Full buckets have forgotten nothing worth keeping.
            buckets.retain(|_, (level, at)| {
                *level + at.elapsed().as_secs_f64() * self.per_second < self.burst
            });
        }
        let (level, at) = buckets.entry(key).or_insert((self.burst, now));
        *level = (*level + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *level >= 1.0 {
            *level -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *level) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

/// The limits of one app server.
pub struct Limits {
    pub sign_in: Limiter,
    pub refusals: Limiter,
    /// Calls per API token (`/api/v1`).
    pub api: Buckets,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            sign_in: Limiter::new(SIGN_IN_PER_ADDRESS, SIGN_IN_TOTAL),
            refusals: Limiter::new(REFUSALS_PER_ADDRESS, REFUSALS_TOTAL),
            api: Buckets::new(API_BURST, API_PER_MINUTE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_in_total_and_counts_what_it_refused() {
        let l = Limiter::new(2, 4);
        assert_eq!(l.hit(Some("a")), Hit::Allowed { suppressed: 0 });
        assert_eq!(l.hit(Some("a")), Hit::Allowed { suppressed: 0 });
        assert_eq!(l.hit(Some("a")), Hit::Limited);
        assert_eq!(l.hit(Some("b")), Hit::Allowed { suppressed: 1 });
        // The total (4 hits, limited ones included) is spent for everyone.
        assert_eq!(l.hit(Some("c")), Hit::Limited);
        assert_eq!(l.hit(None), Hit::Limited);
    }

    #[test]
    fn buckets_allow_a_burst_then_say_when_to_retry() {
        let b = Buckets::new(3, 60);
        for _ in 0..3 {
            assert_eq!(b.take(7), Ok(()));
        }
        assert_eq!(b.take(7), Err(1));
        // Another token has its own bucket.
        assert_eq!(b.take(8), Ok(()));
        let slow = Buckets::new(1, 2);
        assert_eq!(slow.take(1), Ok(()));
        assert_eq!(slow.take(1), Err(30));
    }
}
