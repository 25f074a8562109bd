//! The one-time form tokens of the write path (`web::write`): a submission claims its token in
//! the writing transaction, records where its result is when it commits, and a replay of it is
//! sent there instead of writing again.

use sqlx::{PgConnection, PgPool};

/// Claims the form token for this write; false if another submission of the same form holds it
/// (the insert waits while a parallel submission's transaction is open).
pub async fn claim(
    conn: &mut PgConnection,
    token: &str,
    user_id: i64,
    route: &str,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query!(
        "INSERT INTO submissions (token, user_id, route) VALUES ($1, $2, $3)
         ON CONFLICT (token) DO NOTHING",
        token,
        user_id,
        route
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(claimed == 1)
}

/// A completed submission of this user's: `Some(where its result is)` (the location may be
/// unknown), `None` if the token was never claimed by this user.
pub async fn result_of(
    db: &PgPool,
    token: &str,
    user_id: i64,
) -> Result<Option<Option<String>>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT location FROM submissions WHERE token = $1 AND user_id = $2",
        token,
        user_id
    )
    .fetch_optional(db)
    .await
}

/// The write's last statement: records where the result is (an empty token matches nothing) and
/// advances the data version, so that the page caches miss on the next view.
pub async fn complete(
    conn: &mut PgConnection,
    token: &str,
    location: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "WITH s AS (UPDATE submissions SET location = $2 WHERE token = $1)
         UPDATE data_version SET version = version + 1",
        token,
        location
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets form tokens older than a week (the daily work): a replay after that is a new submission.
pub async fn forget_old(db: &PgPool) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query!("DELETE FROM submissions WHERE created_at < now() - interval '7 days'")
            .execute(db)
            .await?
            .rows_affected(),
    )
}
