//! Excel imports (migration 0019): uploads waiting for confirmation, the imports done, and the
//! checks that keep a file from being imported twice into the same target.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};

use crate::domain::import::{ImportKind, ImportRow};

/// An upload that passed every check, kept until its uploader confirms it.
pub struct NewImport<'a> {
    pub kind: ImportKind,
    pub target: &'a str,
    pub platform_id: Option<i64>,
    pub year: Option<i32>,
    pub jurisdiction_id: Option<i32>,
    pub file_name: &'a str,
    pub sha256: &'a str,
    pub rows: &'a [ImportRow],
    pub created_by: i64,
}

/// How long an unconfirmed upload is kept.
const PENDING_HOURS: i32 = 24;

/// Keeps an upload for confirmation (and forgets this user's stale ones); returns its id.
pub async fn stage(db: &PgPool, i: &NewImport<'_>) -> Result<i64, sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query!(
        "DELETE FROM imports WHERE imported_at IS NULL
           AND (created_at < now() - make_interval(hours => $1) OR created_by = $2 AND target = $3)",
        PENDING_HOURS,
        i.created_by,
        i.target
    )
    .execute(&mut *tx)
    .await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO imports (kind, target, platform_id, year, jurisdiction_id, file_name, sha256,
                              row_count, rows, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        i.kind as ImportKind,
        i.target,
        i.platform_id,
        i.year,
        i.jurisdiction_id,
        i.file_name,
        i.sha256,
        i32::try_from(i.rows.len()).unwrap_or(i32::MAX),
        Json(i.rows) as _,
        i.created_by
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// An upload waiting for its confirmation.
pub struct Pending {
    pub id: i64,
    pub file_name: String,
    pub sha256: String,
    pub rows: Json<Vec<ImportRow>>,
}

/// This user's unconfirmed upload `id` into `target`, locked until the transaction ends.
pub async fn pending_for_update(
    conn: &mut PgConnection,
    id: i64,
    target: &str,
    user_id: i64,
) -> Result<Option<Pending>, sqlx::Error> {
    sqlx::query_as!(
        Pending,
        r#"SELECT id, file_name, sha256, rows AS "rows: Json<Vec<ImportRow>>" FROM imports
           WHERE id = $1 AND target = $2 AND created_by = $3 AND imported_at IS NULL
             AND created_at >= now() - make_interval(hours => $4)
           FOR UPDATE"#,
        id,
        target,
        user_id,
        PENDING_HOURS
    )
    .fetch_optional(conn)
    .await
}

/// Marks the upload imported. Fails on `imports_done_key` when the same file has been imported
/// into the same target meanwhile.
pub async fn mark_imported(conn: &mut PgConnection, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!("UPDATE imports SET imported_at = now() WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The constraint that refuses a second import of the same file into the same target.
pub const DONE_KEY: &str = "imports_done_key";

/// A past import, for the history list and the "already imported" message.
pub struct Done {
    pub file_name: String,
    pub row_count: i32,
    pub imported_at: DateTime<Utc>,
    pub by: String,
    pub platform_name: Option<String>,
    pub year: Option<i32>,
}

/// The import of this very file into `target`, if it has been done.
pub async fn already(db: &PgPool, target: &str, sha256: &str) -> Result<Option<Done>, sqlx::Error> {
    sqlx::query_as!(
        Done,
        r#"SELECT i.file_name, i.row_count, i.imported_at AS "imported_at!", u.display_name AS by,
                  p.name AS "platform_name?", i.year
           FROM imports i JOIN users u ON u.id = i.created_by
           LEFT JOIN platforms p ON p.id = i.platform_id
           WHERE i.target = $1 AND i.sha256 = $2 AND i.imported_at IS NOT NULL"#,
        target,
        sha256
    )
    .fetch_optional(db)
    .await
}

/// Which imports a history list shows.
pub enum HistoryScope {
    /// Every import of the kind.
    All,
    /// Imports by the staff of a county.
    Jurisdiction(i32),
    /// A platform's ledger imports.
    Platform(i64),
}

/// A page of the imports done, newest first, with the total.
pub async fn history(
    db: &PgPool,
    kind: ImportKind,
    scope: HistoryScope,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Done>, i64), sqlx::Error> {
    let (jurisdiction, platform) = match scope {
        HistoryScope::All => (None, None),
        HistoryScope::Jurisdiction(j) => (Some(j), None),
        HistoryScope::Platform(p) => (None, Some(p)),
    };
    // The filter is written twice (the page and the count): keep the two alike.
    let rows = sqlx::query_as!(
        Done,
        r#"SELECT i.file_name, i.row_count, i.imported_at AS "imported_at!", u.display_name AS by,
                  p.name AS "platform_name?", i.year
           FROM imports i JOIN users u ON u.id = i.created_by
           LEFT JOIN platforms p ON p.id = i.platform_id
           WHERE i.kind = $1 AND i.imported_at IS NOT NULL
             AND ($2::int IS NULL OR i.jurisdiction_id = $2)
             AND ($3::bigint IS NULL OR i.platform_id = $3)
           ORDER BY i.imported_at DESC, i.id DESC LIMIT $4 OFFSET $5"#,
        kind as ImportKind,
        jurisdiction,
        platform,
        limit,
        offset
    )
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM imports i
           WHERE i.kind = $1 AND i.imported_at IS NOT NULL
             AND ($2::int IS NULL OR i.jurisdiction_id = $2)
             AND ($3::bigint IS NULL OR i.platform_id = $3)"#,
        kind as ImportKind,
        jurisdiction,
        platform
    )
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}

/// Which of `codes` are platform codes already.
pub async fn existing_platform_codes(
    conn: &mut PgConnection,
    codes: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!("SELECT code FROM platforms WHERE code = ANY($1)", codes)
        .fetch_all(conn)
        .await
}

/// `(uscc, code)` of the platforms registered under any of `usccs`.
pub async fn platforms_by_uscc(
    conn: &mut PgConnection,
    usccs: &[String],
) -> Result<Vec<(String, String)>, sqlx::Error> {
    Ok(sqlx::query!(
        r#"SELECT uscc AS "uscc!", code FROM platforms WHERE uscc = ANY($1) ORDER BY code"#,
        usccs
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.uscc, r.code))
    .collect())
}

/// Which of `usernames` are taken.
pub async fn existing_usernames(
    conn: &mut PgConnection,
    usernames: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT username FROM users WHERE username = ANY($1)",
        usernames
    )
    .fetch_all(conn)
    .await
}

/// Adds the operating-company mode to a new platform's dossier (its company is then on file).
pub async fn tick_operating_company(
    conn: &mut PgConnection,
    platform_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE registrations SET operating_modes = array_append(operating_modes, 'operating_company')
         WHERE platform_id = $1 AND NOT ('operating_company' = ANY(operating_modes))",
        platform_id
    )
    .execute(conn)
    .await?;
    Ok(())
}
