//! Demo the registration dossiers (charters, decision bodies, companies).

use sqlx::PgConnection;

use super::DemoCity;

/// Seeds the demo city's the registration dossiers (charters, decision bodies, companies) (idempotency is handled by the caller).
pub async fn seed(_conn: &mut PgConnection, _city: &DemoCity) -> anyhow::Result<()> {
    Ok(())
}
