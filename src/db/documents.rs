//! A platform's documents and their versions. The content is stored in PostgreSQL (so a
//! database backup is a complete backup) and is read only for a download.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::documents::{CheckedFile, DocumentKind};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Document {
    pub id: i64,
    pub platform_id: i64,
    pub kind: DocumentKind,
    pub title: String,
    pub created_at: DateTime<Utc>,
}

/// A version as listed (no content).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionRow {
    pub id: i64,
    pub document_id: i64,
    pub version: i32,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i32,
    pub sha256: String,
    pub note: String,
    pub uploader: Option<String>,
    pub uploaded_at: DateTime<Utc>,
}

/// A platform's documents (of one kind, if given), by kind then newest first.
#[tracing::instrument(skip(pool))]
pub async fn list(
    pool: &PgPool,
    platform_id: i64,
    kind: Option<DocumentKind>,
) -> Result<Vec<Document>, sqlx::Error> {
    sqlx::query_as!(
        Document,
        r#"SELECT id, platform_id, kind AS "kind: DocumentKind", title, created_at FROM documents
         WHERE platform_id = $1 AND ($2::text IS NULL OR kind = $2)
         ORDER BY kind, created_at DESC, id DESC"#,
        platform_id,
        kind as Option<DocumentKind>
    )
    .fetch_all(pool)
    .await
}

/// Every version of those documents (one query for the whole page), newest first.
#[tracing::instrument(skip(pool))]
pub async fn versions(
    pool: &PgPool,
    platform_id: i64,
    kind: Option<DocumentKind>,
) -> Result<Vec<VersionRow>, sqlx::Error> {
    sqlx::query_as!(
        VersionRow,
        r#"SELECT v.id, v.document_id, v.version, v.file_name, v.content_type, v.size_bytes, v.sha256, v.note,
                u.display_name AS "uploader?", v.uploaded_at
         FROM document_versions v
         JOIN documents d ON d.id = v.document_id
         LEFT JOIN users u ON u.id = v.uploaded_by
         WHERE d.platform_id = $1 AND ($2::text IS NULL OR d.kind = $2)
         ORDER BY v.document_id, v.version DESC"#,
        platform_id,
        kind as Option<DocumentKind>
    )
    .fetch_all(pool)
    .await
}

/// The platform's document `id`, locked for adding a version; `None` if it is not this platform's.
pub async fn get_for_update(
    conn: &mut PgConnection,
    platform_id: i64,
    id: i64,
) -> Result<Option<Document>, sqlx::Error> {
    sqlx::query_as!(
        Document,
        r#"SELECT id, platform_id, kind AS "kind: DocumentKind", title, created_at FROM documents
         WHERE id = $1 AND platform_id = $2 FOR UPDATE"#,
        id,
        platform_id
    )
    .fetch_optional(conn)
    .await
}

/// The `(id, title)` of the platform's documents of one kind, newest first (for choosers).
pub async fn options(
    pool: &PgPool,
    platform_id: i64,
    kind: DocumentKind,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT id, title FROM documents WHERE platform_id = $1 AND kind = $2 ORDER BY created_at DESC, id DESC",
        platform_id,
        kind as DocumentKind
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.title)).collect())
}

pub async fn insert(
    conn: &mut PgConnection,
    platform_id: i64,
    kind: DocumentKind,
    title: &str,
    created_by: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO documents (platform_id, kind, title, created_by) VALUES ($1, $2, $3, $4) RETURNING id",
        platform_id,
        kind as DocumentKind,
        title,
        created_by
    )
    .fetch_one(conn)
    .await
}

/// Adds the next version of a document (the caller holds the document's row lock, so
/// numbers never collide). Returns `(version id, version number)`.
pub async fn insert_version(
    conn: &mut PgConnection,
    document_id: i64,
    file: &CheckedFile,
    content: &[u8],
    note: &str,
    uploaded_by: i64,
) -> Result<(i64, i32), sqlx::Error> {
    let row = sqlx::query!(
        "INSERT INTO document_versions (document_id, version, file_name, content_type, size_bytes, sha256, content,
                                        note, uploaded_by)
         SELECT $1, COALESCE(max(version), 0) + 1, $2, $3, $4, $5, $6, $7, $8
         FROM document_versions WHERE document_id = $1
         RETURNING id, version",
        document_id,
        &file.file_name,
        file.file_type.content_type(),
        file.size,
        &file.sha256,
        content,
        note,
        uploaded_by
    )
    .fetch_one(conn)
    .await?;
    Ok((row.id, row.version))
}

/// A stored file, ready to send.
#[derive(Debug, sqlx::FromRow)]
pub struct StoredFile {
    pub file_name: String,
    pub content_type: String,
    pub sha256: String,
    pub content: Vec<u8>,
}

/// Version `vid` of document `did` of platform `platform_id` — all three must match.
#[tracing::instrument(skip(pool))]
pub async fn file(
    pool: &PgPool,
    platform_id: i64,
    did: i64,
    vid: i64,
) -> Result<Option<StoredFile>, sqlx::Error> {
    sqlx::query_as!(
        StoredFile,
        "SELECT v.file_name, v.content_type, v.sha256, v.content
         FROM document_versions v JOIN documents d ON d.id = v.document_id
         WHERE v.id = $3 AND v.document_id = $2 AND d.platform_id = $1",
        platform_id,
        did,
        vid
    )
    .fetch_optional(pool)
    .await
}
