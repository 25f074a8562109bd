//! In-process rate limits: sign-in attempts per client address and in total, and how many
//! refused requests are written to the audit trail (a flood of refusals must not flood the
//! chain). Fixed one-minute windows; the maps are cleared every window and capped in size.

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

/// The limits of one app server.
pub struct Limits {
    pub sign_in: Limiter,
    pub refusals: Limiter,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            sign_in: Limiter::new(SIGN_IN_PER_ADDRESS, SIGN_IN_TOTAL),
            refusals: Limiter::new(REFUSALS_PER_ADDRESS, REFUSALS_TOTAL),
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
}
