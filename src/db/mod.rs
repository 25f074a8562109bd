//! sqlx query functions, one module per aggregate. Writes take a transaction opened with
//! [`audit::begin`] so the audit record lands in the same transaction as the change.

pub mod admin_requests;
pub mod annual_config;
pub mod api_tokens;
pub mod audit;
pub mod checklist;
pub mod cobuild;
pub mod compliance;
pub mod dashboards;
pub mod documents;
pub mod evaluations;
pub mod filings;
pub mod imports;
pub mod jurisdictions;
pub mod ledger;
pub mod lifecycle;
pub mod mail;
pub mod midyear;
pub mod notices;
pub mod operation;
pub mod packs;
pub mod platforms;
pub mod policies;
pub mod recovery;
pub mod rectification;
pub mod registration;
pub mod rule_params;
pub mod security_policy;
pub mod sessions;
pub mod snapshot;
pub mod submissions;
pub mod support;
pub mod todo;
pub mod types;
pub mod users;

/// Advances the data version (migration 0014), so that the page caches (`web::cache`) miss on the
/// next view. Every transaction that changes what pages show does this before it commits: the
/// write path for every form (`web::write`), and the writes outside it (the findings refresh, the
/// policy library's sync, the command line) through this function.
pub async fn data_changed(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("UPDATE data_version SET version = version + 1")
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes a session advisory lock (two-key form) if it is free; false if another session holds it.
pub async fn try_session_lock(
    conn: &mut sqlx::PgConnection,
    key: (i32, i32),
) -> Result<bool, sqlx::Error> {
    let locked = sqlx::query_scalar!("SELECT pg_try_advisory_lock($1, $2)", key.0, key.1)
        .fetch_one(conn)
        .await?;
    Ok(locked == Some(true))
}

/// Releases a session advisory lock taken with [`try_session_lock`].
pub async fn session_unlock(
    conn: &mut sqlx::PgConnection,
    key: (i32, i32),
) -> Result<(), sqlx::Error> {
    sqlx::query_scalar!("SELECT pg_advisory_unlock($1, $2)", key.0, key.1)
        .fetch_one(conn)
        .await?;
    Ok(())
}

/// Whether the database answers (the health check).
pub async fn ping(db: &sqlx::PgPool) -> Result<(), sqlx::Error> {
    sqlx::query_scalar!("SELECT 1").fetch_one(db).await?;
    Ok(())
}

/// PostgreSQL's unique-violation constraint name, if `e` is one.
pub fn unique_violation(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            db.constraint().map(str::to_string)
        }
        _ => None,
    }
}
