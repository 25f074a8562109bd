//! The support packs this deployment enables (migration 0027): one `support_pack_settings` row per change, the
//! latest row per pack in force; the history is the table itself. Every snapshot (`db::snapshot`) carries the
//! packs in force, so the 支持政策 tab, the leadership dashboard and `kechuang snapshot` follow a change.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::domain::support::Pack;
use crate::domain::support::packs::PackChange;

/// The database's last line (trigger `support_pack_settings_guard`): at least one pack stays enabled.
pub const ONE_ENABLED: &str = "support_packs_one_enabled";

/// A pack's setting in force, with the id of the row that set it (the form's `seen`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub pack: Pack,
    pub enabled: bool,
    pub id: i64,
}

/// Every pack's setting in force, in catalogue order (a pack without a row is off).
pub async fn settings(conn: &mut PgConnection) -> Result<Vec<Setting>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT DISTINCT ON (pack) pack AS "pack: Pack", enabled, id FROM support_pack_settings
         ORDER BY pack, id DESC"#
    )
    .fetch_all(conn)
    .await?;
    Ok(Pack::ALL
        .iter()
        .map(|&pack| {
            let row = rows.iter().find(|r| r.pack == pack);
            Setting {
                pack,
                enabled: row.is_some_and(|r| r.enabled),
                id: row.map_or(0, |r| r.id),
            }
        })
        .collect())
}

/// The packs enabled now, in catalogue order.
pub async fn enabled(conn: &mut PgConnection) -> Result<Vec<Pack>, sqlx::Error> {
    Ok(settings(conn)
        .await?
        .into_iter()
        .filter(|s| s.enabled)
        .map(|s| s.pack)
        .collect())
}

/// Serialises pack switches until the transaction ends (the "at least one enabled" check reads every pack).
pub async fn lock(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtext('support_pack_settings'))")
        .execute(conn)
        .await?;
    Ok(())
}

/// Records a switch; its id.
pub async fn record(
    conn: &mut PgConnection,
    change: &PackChange,
    user_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO support_pack_settings (pack, enabled, reason, changed_by) VALUES ($1, $2, $3, $4)
         RETURNING id",
        change.pack as Pack,
        change.enabled,
        &change.reason,
        user_id
    )
    .fetch_one(conn)
    .await
}

/// One recorded setting, as the history lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Change {
    pub id: i64,
    pub pack: Pack,
    pub enabled: bool,
    pub reason: String,
    pub changed_by: Option<String>,
    pub changed_at: DateTime<Utc>,
}

/// Every recorded setting, newest first (the deployment's defaults last, by 系统).
pub async fn history(conn: &mut PgConnection) -> Result<Vec<Change>, sqlx::Error> {
    sqlx::query_as!(
        Change,
        r#"SELECT s.id, s.pack AS "pack: Pack", s.enabled, s.reason, u.display_name AS "changed_by?", s.changed_at
         FROM support_pack_settings s LEFT JOIN users u ON u.id = s.changed_by
         ORDER BY s.id DESC"#
    )
    .fetch_all(conn)
    .await
}
