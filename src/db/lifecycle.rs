//! The timeline: every stage change and key event of a platform, in order.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::db::audit::Actor;
use crate::domain::platform::Stage;

/// One event to record; `summary` is the Chinese line the timeline shows.
pub struct Event<'a> {
    pub platform_id: i64,
    pub kind: &'a str,
    pub from_stage: Option<Stage>,
    pub to_stage: Option<Stage>,
    pub summary: &'a str,
    pub reason: &'a str,
    pub document_id: Option<i64>,
}

/// Records an event in the caller's transaction (next to the change and its audit record).
pub async fn record(
    conn: &mut PgConnection,
    actor: &Actor,
    e: &Event<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO lifecycle_events (platform_id, actor_id, actor_name, kind, from_stage, to_stage, summary,
                                       reason, document_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        e.platform_id,
        actor.id,
        &actor.name,
        e.kind,
        e.from_stage as Option<Stage>,
        e.to_stage as Option<Stage>,
        e.summary,
        e.reason,
        e.document_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TimelineEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_name: String,
    pub actor_display: Option<String>,
    pub kind: String,
    pub from_stage: Option<Stage>,
    pub to_stage: Option<Stage>,
    pub summary: String,
    pub reason: String,
    pub document_id: Option<i64>,
    pub document_title: Option<String>,
}

/// A platform's events, oldest first.
pub async fn timeline(pool: &PgPool, platform_id: i64) -> Result<Vec<TimelineEntry>, sqlx::Error> {
    sqlx::query_as!(
        TimelineEntry,
        r#"SELECT e.id, e.at, e.actor_name, u.display_name AS "actor_display?", e.kind,
                e.from_stage AS "from_stage: Stage", e.to_stage AS "to_stage: Stage",
                e.summary, e.reason, e.document_id, d.title AS "document_title?"
         FROM lifecycle_events e
         LEFT JOIN users u ON u.id = e.actor_id
         LEFT JOIN documents d ON d.id = e.document_id
         WHERE e.platform_id = $1
         ORDER BY e.at, e.id"#,
        platform_id
    )
    .fetch_all(pool)
    .await
}
