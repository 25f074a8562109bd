//! Demo rectification cases, plans, decisions (退/转/并/留).

use sqlx::PgConnection;

use super::DemoCity;

/// Seeds the demo city's rectification cases, plans, decisions (退/转/并/留) (idempotency is handled by the caller).
pub async fn seed(_conn: &mut PgConnection, _city: &DemoCity) -> anyhow::Result<()> {
    Ok(())
}
