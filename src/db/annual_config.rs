//! The per-year configuration of the annual cycle, versioned.

use sqlx::PgConnection;
use sqlx::types::Json;

use crate::domain::annual::AnnualConfig;

/// The configuration in force for `year` and its version; the defaults (version 0) when staff have
/// not configured that year yet.
pub async fn get(conn: &mut PgConnection, year: i32) -> Result<(AnnualConfig, i32), sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT config AS "config: Json<AnnualConfig>", version FROM annual_configs WHERE year = $1"#,
        year
    )
    .fetch_optional(conn)
    .await?;
    Ok(row
        .map(|r| (r.config.0, r.version))
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
    let config = sqlx::query_scalar!(
        r#"SELECT config AS "config: Json<AnnualConfig>" FROM annual_config_versions
         WHERE year = $1 AND version = $2"#,
        year,
        version
    )
    .fetch_optional(conn)
    .await?;
    Ok(config.map(|c| c.0))
}

/// A configured year, as the list shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConfiguredYear {
    pub year: i32,
    pub version: i32,
    pub updated_by_name: Option<String>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Every configured year, newest first.
pub async fn list(conn: &mut PgConnection) -> Result<Vec<ConfiguredYear>, sqlx::Error> {
    sqlx::query_as!(
        ConfiguredYear,
        r#"SELECT c.year, c.version, u.display_name AS "updated_by_name?", c.updated_at
         FROM annual_configs c LEFT JOIN users u ON u.id = c.updated_by
         ORDER BY c.year DESC"#
    )
    .fetch_all(conn)
    .await
}

/// The version in force of one configured year, with who saved it and when.
pub async fn meta(
    conn: &mut PgConnection,
    year: i32,
) -> Result<Option<ConfiguredYear>, sqlx::Error> {
    sqlx::query_as!(
        ConfiguredYear,
        r#"SELECT c.year, c.version, u.display_name AS "updated_by_name?", c.updated_at
         FROM annual_configs c LEFT JOIN users u ON u.id = c.updated_by
         WHERE c.year = $1"#,
        year
    )
    .fetch_optional(conn)
    .await
}

/// One saved version of a year's configuration: who, when, why.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionEntry {
    pub version: i32,
    pub reason: String,
    pub changed_by_name: Option<String>,
    pub changed_at: chrono::DateTime<chrono::Utc>,
}

/// Every saved version of a year's configuration, newest first.
pub async fn history(conn: &mut PgConnection, year: i32) -> Result<Vec<VersionEntry>, sqlx::Error> {
    sqlx::query_as!(
        VersionEntry,
        r#"SELECT v.version, v.reason, u.display_name AS "changed_by_name?", v.changed_at
         FROM annual_config_versions v LEFT JOIN users u ON u.id = v.changed_by
         WHERE v.year = $1 ORDER BY v.version DESC"#,
        year
    )
    .fetch_all(conn)
    .await
}

/// Saves a new version of `year`'s configuration if the version in force is still `expected`
/// (0: the year is not configured yet), and keeps it in the history with the reason. The new version
/// number, or `None` when somebody saved first (or, for 0, the year already exists).
pub async fn save(
    conn: &mut PgConnection,
    year: i32,
    expected: i32,
    config: &AnnualConfig,
    reason: &str,
    changed_by: Option<i64>,
) -> Result<Option<i32>, sqlx::Error> {
    let json = Json(config);
    let version: Option<i32> = if expected == 0 {
        sqlx::query_scalar!(
            "INSERT INTO annual_configs (year, version, config, updated_by) VALUES ($1, 1, $2, $3)
             ON CONFLICT (year) DO NOTHING RETURNING version",
            year,
            json as _,
            changed_by
        )
        .fetch_optional(&mut *conn)
        .await?
    } else {
        sqlx::query_scalar!(
            "UPDATE annual_configs SET version = version + 1, config = $3, updated_by = $4, updated_at = now()
             WHERE year = $1 AND version = $2 RETURNING version",
            year,
            expected,
            json as _,
            changed_by
        )
        .fetch_optional(&mut *conn)
        .await?
    };
    let Some(version) = version else {
        return Ok(None);
    };
    sqlx::query!(
        "INSERT INTO annual_config_versions (year, version, config, reason, changed_by) VALUES ($1, $2, $3, $4, $5)",
        year,
        version,
        json as _,
        reason,
        changed_by
    )
    .execute(&mut *conn)
    .await?;
    Ok(Some(version))
}
