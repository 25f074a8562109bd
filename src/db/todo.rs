//! What each role has to do (待办): the queries behind the to-do lists of `web::todo` that are not
//! already elsewhere (the review queue is `dashboards::review_queue`, overdue things are
//! `notices::overdue`, the expert's assignments `evaluations::my_assignments`). Each is one
//! set-based statement, whatever the number of platforms.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, Postgres, QueryBuilder};

use super::platforms::push_scope;
use crate::domain::scope::PlatformScope;

/// A filing or year-end evaluation returned to the platform and not yet resubmitted.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Returned {
    /// `filing` or `yearend`.
    pub step: String,
    pub year: i32,
    pub platform_id: i64,
    pub returned_at: Option<DateTime<Utc>>,
    pub comment: String,
}

/// The platform's returned filings and evaluations, newest year first.
pub async fn returned(
    conn: &mut PgConnection,
    platform_id: i64,
) -> Result<Vec<Returned>, sqlx::Error> {
    // A UNION's columns carry no nullability: `!` states what both branches' tables guarantee.
    sqlx::query_as!(
        Returned,
        r#"SELECT 'filing' AS "step!", f.year AS "year!", f.platform_id AS "platform_id!",
                f.reviewed_at AS returned_at, f.review_comment AS "comment!"
         FROM filings f WHERE f.platform_id = $1 AND f.status = 'returned'
         UNION ALL
         SELECT 'yearend', e.year, e.platform_id,
                CASE WHEN e.status = 'city_returned' THEN e.city_reviewed_at ELSE e.county_reviewed_at END,
                CASE WHEN e.status = 'city_returned' THEN e.city_comment ELSE e.county_comment END
         FROM evaluations e WHERE e.platform_id = $1 AND e.status IN ('county_returned', 'city_returned')
         ORDER BY 2 DESC, 1"#,
        platform_id
    )
    .fetch_all(conn)
    .await
}

/// An open checklist item.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenItem {
    pub id: i64,
    pub platform_id: i64,
    pub title: String,
    pub due_date: Option<NaiveDate>,
}

/// The open checklist items of the platforms `scope` allows, the earliest due first (undated last).
pub async fn open_items(
    conn: &mut PgConnection,
    scope: PlatformScope,
) -> Result<Vec<OpenItem>, sqlx::Error> {
    // Runtime SQL: the scope filter (`push_scope`) is built at run time.
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT i.id, i.platform_id, i.title, i.due_date
         FROM checklist_items i JOIN platforms p ON p.id = i.platform_id
         WHERE i.status = 'open'",
    );
    push_scope(&mut qb, scope);
    qb.push(" ORDER BY i.due_date NULLS LAST, i.id");
    qb.build_query_as().fetch_all(conn).await
}

/// An open rectification case (整改).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenCase {
    pub id: i64,
    pub platform_id: i64,
    pub platform_code: String,
    pub platform_name: String,
    pub deadline: Option<NaiveDate>,
    pub opened_at: DateTime<Utc>,
}

/// The open rectification cases of the platforms `scope` allows, the earliest deadline first.
pub async fn open_cases(
    conn: &mut PgConnection,
    scope: PlatformScope,
) -> Result<Vec<OpenCase>, sqlx::Error> {
    // Runtime SQL: the scope filter (`push_scope`) is built at run time.
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT c.id, c.platform_id, p.code AS platform_code, p.name AS platform_name, c.deadline, c.opened_at
         FROM rectification_cases c JOIN platforms p ON p.id = c.platform_id
         WHERE c.status = 'open'",
    );
    push_scope(&mut qb, scope);
    qb.push(" ORDER BY c.deadline NULLS LAST, p.code, c.id");
    qb.build_query_as().fetch_all(conn).await
}

/// A platform an advisor looks after and the date of its last service visit.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AdvisedPlatform {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub last_visit: Option<NaiveDate>,
}

/// The operating (or rectifying) platforms assigned to the advisor — those OPS-ADVISOR checks —
/// with their last visit (by anyone), the longest-unvisited first.
pub async fn advised_platforms(
    conn: &mut PgConnection,
    advisor_id: i64,
) -> Result<Vec<AdvisedPlatform>, sqlx::Error> {
    // The stages are `notices::OWING_STAGES`, written out: a macro's SQL is one literal.
    sqlx::query_as!(
        AdvisedPlatform,
        r#"SELECT p.id, p.code, p.name,
                  (SELECT max(v.visit_date) FROM advisor_visits v WHERE v.platform_id = p.id) AS last_visit
           FROM platforms p
           WHERE p.advisor_id = $1 AND p.stage IN ('operating', 'rectifying')
           ORDER BY last_visit NULLS FIRST, p.code"#,
        advisor_id
    )
    .fetch_all(conn)
    .await
}
