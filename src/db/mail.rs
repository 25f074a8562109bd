//! The e-mail outbox (`mail_outbox`, migration 0020). Rows are queued by a trigger in the same
//! transaction as their in-app notice; the sender (`crate::mail`) claims, sends and records them
//! here.
//!
//! **At most once.** A row is claimed and marked `sending` (its attempt counted) in one statement
//! that commits before the message is handed to the mail server. Only then is it sent; the result
//! is recorded afterwards. If the process dies between the two, the row stays `sending` and is
//! later given up as failed ([`give_up_stale`]) — never sent again: the issue asks that no notice
//! is ever e-mailed twice, and a lost e-mail still has its in-app notice. A failure the mail
//! server reported (it did not take the message) is safe to retry and is retried with backoff.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

/// A claimed row with what its e-mail says.
#[derive(Debug, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub to_address: String,
    pub attempts: i32,
    pub display_name: String,
    pub kind: String,
    pub text: String,
    pub link: String,
    pub due_on: Option<NaiveDate>,
}

/// Claims up to `limit` rows that are due, oldest first, marking them `sending` (one statement,
/// committed on return). Rows another server is claiming at the same moment are skipped, not
/// waited for.
pub async fn claim(pool: &PgPool, limit: i64) -> Result<Vec<Claimed>, sqlx::Error> {
    sqlx::query_as!(
        Claimed,
        r#"WITH claimed AS (
         UPDATE mail_outbox o
            SET status = 'sending', attempts = o.attempts + 1, claimed_at = now()
           FROM notices n, users u
          WHERE o.id IN (SELECT id FROM mail_outbox
                          WHERE status = 'pending' AND next_attempt_at <= now()
                          ORDER BY next_attempt_at, id LIMIT $1
                          FOR UPDATE SKIP LOCKED)
            AND n.id = o.notice_id AND u.id = o.user_id
      RETURNING o.id, o.to_address, o.attempts, u.display_name, n.kind, n.text, n.link, n.due_on)
         SELECT id AS "id!", to_address AS "to_address!", attempts AS "attempts!",
                display_name AS "display_name!", kind AS "kind!", text AS "text!", link AS "link!", due_on
           FROM claimed ORDER BY id"#,
        limit
    )
    .fetch_all(pool)
    .await
}

/// The mail server took the message.
pub async fn delivered(pool: &PgPool, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE mail_outbox SET status = 'sent', delivered_at = now(), last_error = NULL
          WHERE id = $1 AND status = 'sending'",
        id
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The mail server did not take the message: try again after `retry_in`, or (None) give up.
pub async fn failed(
    pool: &PgPool,
    id: i64,
    error: &str,
    retry_in: Option<Duration>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE mail_outbox
            SET status = CASE WHEN $3::bigint IS NULL THEN 'failed' ELSE 'pending' END,
                next_attempt_at = now() + make_interval(secs => coalesce($3::bigint, 0)),
                last_error = $2
          WHERE id = $1 AND status = 'sending'",
        id,
        error,
        retry_in.map(|d| d.as_secs() as i64)
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// What a row left `sending` for longer than `after` says: its sender stopped mid-way.
pub const STALE_ERROR: &str =
    "发送过程中服务中断，无法确认邮件服务器是否已收到，为避免重复发送不再重试";

/// Gives up the rows left `sending` for longer than `after` (the sender died between claiming
/// and recording): failed, never re-sent. Returns how many.
pub async fn give_up_stale(pool: &PgPool, after: Duration) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE mail_outbox SET status = 'failed', last_error = $2
          WHERE status = 'sending' AND claimed_at < now() - make_interval(secs => $1)",
        after.as_secs_f64(),
        STALE_ERROR
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// How many e-mails are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Counts {
    pub pending: i64,
    pub sending: i64,
    pub sent: i64,
    pub failed: i64,
}

pub async fn counts(pool: &PgPool) -> Result<Counts, sqlx::Error> {
    sqlx::query_as!(
        Counts,
        r#"SELECT count(*) FILTER (WHERE status = 'pending') AS "pending!",
                count(*) FILTER (WHERE status = 'sending') AS "sending!",
                count(*) FILTER (WHERE status = 'sent') AS "sent!",
                count(*) FILTER (WHERE status = 'failed') AS "failed!"
           FROM mail_outbox"#
    )
    .fetch_one(pool)
    .await
}

/// An e-mail that failed at least once (given up, or waiting for its next try). No notice text:
/// the system admin sees accounts and delivery, not the business data the notice is about.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FailureRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub to_address: String,
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: String,
    pub claimed_at: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
}

/// One page of the e-mails whose last try failed, the most recent first, and how many there are.
pub async fn failures(
    pool: &PgPool,
    limit: i64,
    offset: i64,
) -> Result<(Vec<FailureRow>, i64), sqlx::Error> {
    let rows = sqlx::query_as!(
        FailureRow,
        r#"SELECT o.id, u.username, u.display_name, o.to_address, n.kind, o.status, o.attempts,
                o.last_error AS "last_error!", o.claimed_at, o.next_attempt_at
           FROM mail_outbox o JOIN users u ON u.id = o.user_id JOIN notices n ON n.id = o.notice_id
          WHERE o.last_error IS NOT NULL AND o.status IN ('pending', 'failed')
          ORDER BY o.claimed_at DESC NULLS LAST, o.id DESC LIMIT $1 OFFSET $2"#,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM mail_outbox
          WHERE last_error IS NOT NULL AND status IN ('pending', 'failed')"#
    )
    .fetch_one(pool)
    .await?;
    Ok((rows, total))
}
