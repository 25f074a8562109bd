//! Rule and support-programme parameters in force: the latest `rule_params` row per key over the catalogue
//! defaults, and the three
//! `EVAL-*.deadline` parameters from the year's cycle configuration (their only source).

use chrono::{Datelike, NaiveDate};
use sqlx::PgConnection;

use crate::domain::annual::{AnnualConfig, is_cycle_deadline, rule_deadlines};
use crate::domain::compliance::{ParamValue, Params};
use crate::domain::param_form::ParamChange;

/// Every parameter's value in force on `as_of`, each set explicitly (a snapshot built with them carries the
/// values in force): the latest stored change per key (history is kept), else the catalogue default; the
/// filing and mid-year deadlines from the cycle configuration of `as_of`'s year and the year-end deadline from
/// the year before's (it falls in `as_of`'s year). A stored value the catalogue no longer accepts (unknown key,
/// wrong kind) is skipped with a warning, so the default applies.
#[tracing::instrument(skip_all)]
pub async fn in_force(conn: &mut PgConnection, as_of: NaiveDate) -> Result<Params, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT DISTINCT ON (key) key, value FROM rule_params ORDER BY key, changed_at DESC, id DESC"
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut stored = Params::new();
    for row in rows {
        let (key, value) = (row.key, row.value);
        if is_cycle_deadline(&key) {
            continue;
        }
        if let Err(e) = stored.set_json(&key, &value) {
            tracing::warn!(key = %key, error = %e, "ignoring an invalid stored rule parameter");
        }
    }
    let year = as_of.year();
    let configs = sqlx::query!(
        r#"SELECT year, config AS "config: sqlx::types::Json<AnnualConfig>" FROM annual_configs
         WHERE year IN ($1, $1 - 1)"#,
        year
    )
    .fetch_all(&mut *conn)
    .await?;
    let config_of = |y: i32| {
        configs
            .iter()
            .find(|c| c.year == y)
            .map(|c| c.config.0.clone())
            .unwrap_or_default()
    };
    let mut params = Params::new();
    for p in stored
        .resolved()
        .into_iter()
        .chain(stored.resolved_programmes())
    {
        // Every resolved value is one the catalogue accepts.
        let _ = params.set(&p.key.to_string(), p.value);
    }
    for (key, day) in rule_deadlines(&config_of(year), &config_of(year - 1)) {
        let _ = params.set(key, ParamValue::MonthDay(day));
    }
    Ok(params)
}

/// Serialises changes of `key` until the transaction ends.
pub async fn lock(conn: &mut PgConnection, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtext('rule_params'), hashtext($1))",
        key
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The id of the latest recorded change of `key`, 0 when it was never changed.
pub async fn latest_id(conn: &mut PgConnection, key: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT coalesce(max(id), 0) AS "id!" FROM rule_params WHERE key = $1"#,
        key
    )
    .fetch_one(conn)
    .await
}

/// Records a change of one parameter (the history is the table itself).
pub async fn record(
    conn: &mut PgConnection,
    change: &ParamChange,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO rule_params (key, value, reason, changed_by) VALUES ($1, $2, $3, $4)",
        change.key.to_string(),
        serde_json::to_value(change.value).unwrap_or_default(),
        &change.reason,
        user_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One recorded change, as the rule page's history lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Change {
    pub id: i64,
    pub key: String,
    pub value: serde_json::Value,
    pub reason: String,
    pub changed_by: Option<String>,
    pub changed_at: chrono::DateTime<chrono::Utc>,
}

/// The changes of one rule's parameters, newest first.
pub async fn history(conn: &mut PgConnection, rule_id: &str) -> Result<Vec<Change>, sqlx::Error> {
    sqlx::query_as!(
        Change,
        r#"SELECT r.id, r.key, r.value, r.reason, u.display_name AS "changed_by?", r.changed_at
         FROM rule_params r LEFT JOIN users u ON u.id = r.changed_by
         WHERE r.key LIKE $1 || '.%'
         ORDER BY r.changed_at DESC, r.id DESC"#,
        rule_id
    )
    .fetch_all(conn)
    .await
}

/// The changes of every support programme's parameters, newest first.
pub async fn history_of_programmes(conn: &mut PgConnection) -> Result<Vec<Change>, sqlx::Error> {
    let keys: Vec<String> = crate::domain::support::programmes()
        .iter()
        .flat_map(|p| p.params.iter().map(move |d| format!("{}.{}", p.id, d.name)))
        .collect();
    sqlx::query_as!(
        Change,
        r#"SELECT r.id, r.key, r.value, r.reason, u.display_name AS "changed_by?", r.changed_at
         FROM rule_params r LEFT JOIN users u ON u.id = r.changed_by
         WHERE r.key = ANY($1)
         ORDER BY r.changed_at DESC, r.id DESC"#,
        &keys
    )
    .fetch_all(conn)
    .await
}
