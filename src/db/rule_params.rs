//! Rule parameters in force: the latest `rule_params` row per key over the catalogue defaults.

use sqlx::PgExecutor;

use crate::domain::compliance::Params;

/// Every parameter's value in force: the latest row per key (history is kept), else the
/// catalogue default. A stored value the catalogue no longer accepts (unknown key, wrong kind)
/// is skipped with a warning, so the default applies.
#[tracing::instrument(skip_all)]
pub async fn current<'e>(db: impl PgExecutor<'e>) -> Result<Params, sqlx::Error> {
    let rows: Vec<(String, serde_json::Value)> = sqlx::query_as(
        "SELECT DISTINCT ON (key) key, value FROM rule_params ORDER BY key, changed_at DESC, id DESC",
    )
    .fetch_all(db)
    .await?;
    let mut params = Params::new();
    for (key, value) in rows {
        if let Err(e) = params.set_json(&key, &value) {
            tracing::warn!(key = %key, error = %e, "ignoring an invalid stored rule parameter");
        }
    }
    Ok(params)
}
