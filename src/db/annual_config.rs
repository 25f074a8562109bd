//! The per-year configuration of the annual cycle, versioned.

use sqlx::PgConnection;

use crate::domain::annual::AnnualConfig;

/// The configuration in force for `year` and its version; the defaults (version 0) when staff have
/// not configured that year yet.
pub async fn get(conn: &mut PgConnection, year: i32) -> Result<(AnnualConfig, i32), sqlx::Error> {
    let row: Option<(sqlx::types::Json<AnnualConfig>, i32)> =
        sqlx::query_as("SELECT config, version FROM annual_configs WHERE year = $1")
            .bind(year)
            .fetch_optional(conn)
            .await?;
    Ok(row
        .map(|(c, v)| (c.0, v))
        .unwrap_or_else(|| (AnnualConfig::default(), 0)))
}

/// The configuration of `year` as it was at `version` (for recomputing past results).
pub async fn get_version(
    conn: &mut PgConnection,
    year: i32,
    version: i32,
) -> Result<Option<AnnualConfig>, sqlx::Error> {
    if version == 0 {
        return Ok(Some(AnnualConfig::default()));
    }
    let row: Option<(sqlx::types::Json<AnnualConfig>,)> = sqlx::query_as(
        "SELECT config FROM annual_config_versions WHERE year = $1 AND version = $2",
    )
    .bind(year)
    .bind(version)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(c,)| c.0))
}
