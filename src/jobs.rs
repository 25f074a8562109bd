//! Daily work, in-process: at start-up and then at every Beijing midnight the deadline reminders
//! are generated and the findings of every platform are refreshed (dates move deadlines).
//!
//! Several app servers may share one database: the work runs on one of them at a time. A run
//! first takes a session advisory lock on a connection of its own; a server that finds it taken
//! skips that run. A scheduled run keeps the lock for [`HOLD`] at least, so servers whose clocks
//! or wake-ups differ by less than that skip too. A failed run (e.g. the database still starting)
//! is retried with backoff ([`BACKOFF`]) instead of waiting for the next midnight.

use std::time::{Duration, Instant};

use chrono::Utc;
use sqlx::{Connection, PgPool};

use crate::db::compliance::{self, Refreshed};
use crate::db::notices;

/// The daily work's advisory lock (two-key form, class and key).
const DAILY_LOCK: (i32, i32) = (0x4b43_4a42, 1); // "KCJB"

/// How long a scheduled run keeps the lock at least.
pub const HOLD: Duration = Duration::from_secs(300);

/// Waits between the tries of a run: five tries over about a minute.
pub const BACKOFF: [Duration; 4] = [
    Duration::from_secs(4),
    Duration::from_secs(8),
    Duration::from_secs(16),
    Duration::from_secs(32),
];

/// Until five seconds past the next midnight in Beijing (at least a minute).
fn until_beijing_midnight() -> Duration {
    (crate::domain::reminders::until_next_beijing_midnight(Utc::now()) + Duration::from_secs(5))
        .max(Duration::from_secs(60))
}

/// What a run of the daily work did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Daily {
    /// This server did the work.
    Ran {
        reminders: u64,
        refreshed: Refreshed,
    },
    /// Another server holds the lock: it is doing (or has just done) the work.
    Skipped,
}

/// Runs the daily work once unless another server is running it; releases the lock at once.
pub async fn run_daily(pool: &PgPool) -> Result<Daily, sqlx::Error> {
    run_daily_holding(pool, Duration::ZERO).await
}

/// [`run_daily`], keeping the lock until `hold` has passed since the start of a successful run.
pub async fn run_daily_holding(pool: &PgPool, hold: Duration) -> Result<Daily, sqlx::Error> {
    // A connection of its own: the session lock lives exactly as long as it (and dies with the process).
    let mut lock_conn = pool.acquire().await?.detach();
    let locked = crate::db::try_session_lock(&mut lock_conn, DAILY_LOCK).await?;
    if !locked {
        let _ = lock_conn.close().await;
        tracing::info!("daily work skipped: another app server is running it");
        return Ok(Daily::Skipped);
    }
    let started = Instant::now();
    let result = work(pool).await;
    if result.is_ok() {
        tokio::time::sleep(hold.saturating_sub(started.elapsed())).await;
    }
    // Released now (a closing session releases it only once its backend has exited).
    let _ = crate::db::session_unlock(&mut lock_conn, DAILY_LOCK).await;
    let _ = lock_conn.close().await;
    result
}

/// Deadline reminders (in-app only), then the findings of every platform. Both are idempotent,
/// so a failure of either fails the run, and the retry redoes both.
async fn work(pool: &PgPool) -> Result<Daily, sqlx::Error> {
    let today = crate::clock::today();
    let reminders = notices::generate(pool, today, &crate::web::links::NOTICES).await;
    match &reminders {
        Ok(created) => tracing::info!(created, "deadline reminders generated"),
        Err(e) => tracing::warn!(error = %e, "deadline reminders could not be generated"),
    }
    // One-time form tokens only need to outlive a browser's back button and a replay.
    match crate::db::submissions::forget_old(pool).await {
        Ok(n) => tracing::info!(forgotten = n, "old form tokens removed"),
        Err(e) => tracing::warn!(error = %e, "old form tokens could not be removed"),
    }
    let started = Instant::now();
    let refreshed = compliance::refresh(pool, None, today).await;
    match &refreshed {
        Ok(r) => tracing::info!(
            platforms = r.platforms,
            opened = r.items_opened,
            closed = r.items_closed,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "findings refreshed"
        ),
        Err(e) => tracing::warn!(error = %e, "daily findings refresh failed"),
    }
    Ok(Daily::Ran {
        reminders: reminders?,
        refreshed: refreshed?,
    })
}

/// Runs the daily work, retrying a failed run after each wait of `backoff`; the last failure
/// when every try failed. Returns the outcome and the number of tries.
pub async fn run_daily_retrying(
    pool: &PgPool,
    backoff: &[Duration],
    hold: Duration,
) -> (Result<Daily, sqlx::Error>, usize) {
    let mut tries = 0;
    let mut waits = backoff.iter();
    loop {
        tries += 1;
        let result = run_daily_holding(pool, hold).await;
        match (&result, waits.next()) {
            (Err(e), Some(wait)) => {
                tracing::warn!(error = %e, try_number = tries, retry_in_s = wait.as_secs_f64(), "daily work failed; retrying");
                tokio::time::sleep(*wait).await;
            }
            _ => return (result, tries),
        }
    }
}

/// Starts the daily loop in the background (first run now).
pub fn spawn_daily(pool: PgPool) {
    tokio::spawn(async move {
        loop {
            if let (Err(e), tries) = run_daily_retrying(&pool, &BACKOFF, HOLD).await {
                tracing::error!(error = %e, tries, "daily work failed; next try at midnight");
            }
            tokio::time::sleep(until_beijing_midnight()).await;
        }
    });
}
