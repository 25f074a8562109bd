//! Demo advisor visits, construction acceptances, integrity records, documents.

use sqlx::PgConnection;

use super::DemoCity;

/// Seeds the demo city's advisor visits, construction acceptances, integrity records, documents (idempotency is handled by the caller).
pub async fn seed(_conn: &mut PgConnection, _city: &DemoCity) -> anyhow::Result<()> {
    Ok(())
}
