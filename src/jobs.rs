//! Daily work, in-process: at start-up and then at every Beijing midnight the deadline reminders
//! are generated and the findings of every platform are refreshed (dates move deadlines). Running it on several app servers at once is
//! harmless: each run is one transaction and idempotent.

use std::time::Duration;

use chrono::{FixedOffset, Utc};
use sqlx::PgPool;

use crate::db::{compliance, notices};

/// Seconds until the next midnight in Beijing.
fn until_beijing_midnight() -> Duration {
    let beijing = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    let now = Utc::now().with_timezone(&beijing);
    let next = (now.date_naive() + chrono::Duration::days(1))
        .and_hms_opt(0, 0, 5)
        .expect("valid time");
    let secs = (next - now.naive_local()).num_seconds().max(60);
    Duration::from_secs(secs as u64)
}

/// Runs the daily work once: deadline reminders (in-app only), then the findings of every platform.
pub async fn run_daily(pool: &PgPool) {
    match notices::generate(pool, compliance::today()).await {
        Ok(created) => tracing::info!(created, "deadline reminders generated"),
        Err(e) => tracing::warn!(error = %e, "deadline reminders could not be generated"),
    }
    let started = std::time::Instant::now();
    match compliance::refresh(pool, None, compliance::today()).await {
        Ok(r) => tracing::info!(
            platforms = r.platforms,
            opened = r.items_opened,
            closed = r.items_closed,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "findings refreshed"
        ),
        Err(e) => tracing::warn!(error = %e, "daily findings refresh failed"),
    }
}

/// Starts the daily loop in the background (first run now).
pub fn spawn_daily(pool: PgPool) {
    tokio::spawn(async move {
        loop {
            run_daily(&pool).await;
            tokio::time::sleep(until_beijing_midnight()).await;
        }
    });
}
