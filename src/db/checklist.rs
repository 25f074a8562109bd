//! The checklist (一平台一清单): items and their comments. Every item query names its platform
//! (`WHERE id = $item AND platform_id = $platform`), so an item id from another platform is a 404.
//!
//! Items of rule findings (source `rule:<id>`) are opened, reworded and closed in bulk by the
//! findings refresh (`db::compliance::refresh`), at most one live item per rule and platform.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, Postgres, QueryBuilder};

use super::platforms::push_scope;
use crate::domain::checklist::{ItemDraft, ItemStatus, Source};
use crate::domain::role::Role;
use crate::domain::scope::PlatformScope;

/// An item as stored, with the number of comments and who created it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Item {
    pub id: i64,
    pub platform_id: i64,
    pub source: Source,
    pub title: String,
    pub description: String,
    pub owner: String,
    pub due_date: Option<NaiveDate>,
    pub status: ItemStatus,
    pub evidence: String,
    pub created_by: Option<i64>,
    pub created_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub comments: i64,
}

impl Item {
    /// The fields the audit trail keeps before and after a change.
    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "platform_id": self.platform_id, "source": self.source.code(), "title": self.title,
            "description": self.description, "owner": self.owner, "due_date": self.due_date,
            "status": self.status.as_str(), "evidence": self.evidence, "version": self.version,
        })
    }
}

/// The platform's items (any order: the page sorts them with `domain::checklist::sort_key`).
pub async fn list(conn: &mut PgConnection, platform_id: i64) -> Result<Vec<Item>, sqlx::Error> {
    sqlx::query_as!(
        Item,
        r#"SELECT i.id, i.platform_id, i.source AS "source: Source", i.title, i.description, i.owner, i.due_date,
                  i.status AS "status: ItemStatus", i.evidence, i.created_by, u.display_name AS "created_by_name?",
                  i.created_at, i.closed_at, i.version,
                  (SELECT count(*) FROM checklist_comments c WHERE c.item_id = i.id) AS "comments!"
           FROM checklist_items i LEFT JOIN users u ON u.id = i.created_by
           WHERE i.platform_id = $1 ORDER BY i.id"#,
        platform_id
    )
    .fetch_all(conn)
    .await
}

/// The platform's items from one source (e.g. `midyear:2026`), oldest first.
pub async fn list_from(
    conn: &mut PgConnection,
    platform_id: i64,
    source: &str,
) -> Result<Vec<Item>, sqlx::Error> {
    sqlx::query_as!(
        Item,
        r#"SELECT i.id, i.platform_id, i.source AS "source: Source", i.title, i.description, i.owner, i.due_date,
                  i.status AS "status: ItemStatus", i.evidence, i.created_by, u.display_name AS "created_by_name?",
                  i.created_at, i.closed_at, i.version,
                  (SELECT count(*) FROM checklist_comments c WHERE c.item_id = i.id) AS "comments!"
           FROM checklist_items i LEFT JOIN users u ON u.id = i.created_by
           WHERE i.platform_id = $1 AND i.source = $2 ORDER BY i.id"#,
        platform_id,
        source
    )
    .fetch_all(conn)
    .await
}

/// One item of the platform (None when the id belongs to another platform).
pub async fn get(
    conn: &mut PgConnection,
    platform_id: i64,
    id: i64,
) -> Result<Option<Item>, sqlx::Error> {
    sqlx::query_as!(
        Item,
        r#"SELECT i.id, i.platform_id, i.source AS "source: Source", i.title, i.description, i.owner, i.due_date,
                  i.status AS "status: ItemStatus", i.evidence, i.created_by, u.display_name AS "created_by_name?",
                  i.created_at, i.closed_at, i.version,
                  (SELECT count(*) FROM checklist_comments c WHERE c.item_id = i.id) AS "comments!"
           FROM checklist_items i LEFT JOIN users u ON u.id = i.created_by
           WHERE i.id = $1 AND i.platform_id = $2"#,
        id,
        platform_id
    )
    .fetch_optional(conn)
    .await
}

/// A new item; returns its id.
pub async fn insert(
    conn: &mut PgConnection,
    platform_id: i64,
    source: &Source,
    d: &ItemDraft,
    created_by: Option<i64>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO checklist_items (platform_id, source, title, description, owner, due_date, status, evidence,
                                      created_by, closed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $7 = 'closed' THEN now() END)
         RETURNING id",
        platform_id,
        source as &Source,
        d.title,
        d.description,
        d.owner,
        d.due_date,
        d.status as ItemStatus,
        d.evidence,
        created_by
    )
    .fetch_one(conn)
    .await
}

/// Staff edit: every field, if `version` is still current. False when somebody saved in between.
pub async fn update(
    conn: &mut PgConnection,
    platform_id: i64,
    id: i64,
    version: i32,
    d: &ItemDraft,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE checklist_items
         SET title = $4, description = $5, owner = $6, due_date = $7, status = $8, evidence = $9,
             closed_at = CASE WHEN $8 = 'closed' THEN coalesce(closed_at, now()) END, version = version + 1
         WHERE id = $1 AND platform_id = $2 AND version = $3",
        id,
        platform_id,
        version,
        d.title,
        d.description,
        d.owner,
        d.due_date,
        d.status as ItemStatus,
        d.evidence
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A status change with the evidence as it is now, if `version` is still current.
pub async fn set_status(
    conn: &mut PgConnection,
    platform_id: i64,
    id: i64,
    version: i32,
    status: ItemStatus,
    evidence: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE checklist_items
         SET status = $4, evidence = $5,
             closed_at = CASE WHEN $4 = 'closed' THEN coalesce(closed_at, now()) END, version = version + 1
         WHERE id = $1 AND platform_id = $2 AND version = $3",
        id,
        platform_id,
        version,
        status as ItemStatus,
        evidence
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Comment {
    pub id: i64,
    pub author_id: Option<i64>,
    pub author_name: Option<String>,
    pub author_role: Option<Role>,
    pub comment: String,
    pub created_at: DateTime<Utc>,
}

/// The comments on an item, oldest first.
pub async fn comments(conn: &mut PgConnection, item_id: i64) -> Result<Vec<Comment>, sqlx::Error> {
    sqlx::query_as!(
        Comment,
        r#"SELECT c.id, c.author_id, u.display_name AS "author_name?", u.role AS "author_role?: Role", c.comment,
                  c.created_at
           FROM checklist_comments c LEFT JOIN users u ON u.id = c.author_id
           WHERE c.item_id = $1 ORDER BY c.created_at, c.id"#,
        item_id
    )
    .fetch_all(conn)
    .await
}

pub async fn add_comment(
    conn: &mut PgConnection,
    item_id: i64,
    author_id: i64,
    comment: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO checklist_comments (item_id, author_id, comment) VALUES ($1, $2, $3) RETURNING id",
        item_id,
        author_id,
        comment
    )
    .fetch_one(conn)
    .await
}

/// An open item past its due date, for the staff's overdue list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OverdueItem {
    pub id: i64,
    pub platform_id: i64,
    pub platform_name: String,
    pub jurisdiction_name: String,
    pub source: Source,
    pub title: String,
    pub owner: String,
    pub due_date: NaiveDate,
}

/// Open items past their due date on the platforms `scope` allows, most overdue first.
pub async fn overdue(
    conn: &mut PgConnection,
    scope: PlatformScope,
    today: NaiveDate,
) -> Result<Vec<OverdueItem>, sqlx::Error> {
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT i.id, i.platform_id, p.name AS platform_name, j.name AS jurisdiction_name, i.source, i.title,
                i.owner, i.due_date
         FROM checklist_items i
         JOIN platforms p ON p.id = i.platform_id
         JOIN jurisdictions j ON j.id = p.jurisdiction_id
         WHERE i.status = 'open' AND i.due_date < ",
    );
    qb.push_bind(today);
    push_scope(&mut qb, scope);
    qb.push(" ORDER BY i.due_date, p.code, i.id");
    qb.build_query_as().fetch_all(conn).await
}
