//! Year-start filings (年初备案): every version of a platform's filing for a year. A version is only
//! ever loaded or changed together with its platform id; changes check `lock_version`.
//!
//! For the other steps: [`approved_targets`] gives the targets of the approved version in force.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use sqlx::types::Json;

use crate::domain::filing::{FilingContent, FilingStatus, VersionInfo, YearFilings};
use crate::domain::ledger::Channel;
use crate::domain::scoring::Values;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FilingRow {
    pub id: i64,
    pub platform_id: i64,
    pub year: i32,
    pub version: i32,
    pub status: FilingStatus,
    pub targets: Json<BTreeMap<String, f64>>,
    pub revenue_plan: Json<BTreeMap<String, i64>>,
    pub expenditure_budget: i64,
    pub change_reason: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub submitted_by_name: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub reviewed_by_name: Option<String>,
    pub review_comment: String,
    pub field_comments: Json<BTreeMap<String, String>>,
    pub lock_version: i32,
    pub created_at: DateTime<Utc>,
}

impl FilingRow {
    pub fn status(&self) -> FilingStatus {
        self.status
    }

    pub fn info(&self) -> VersionInfo {
        VersionInfo {
            id: self.id,
            version: self.version,
            status: self.status(),
            lock_version: self.lock_version,
        }
    }

    pub fn content(&self) -> FilingContent {
        FilingContent {
            targets: self.targets.0.clone(),
            revenue_plan: self
                .revenue_plan
                .0
                .iter()
                .filter_map(|(k, v)| Channel::parse(k).map(|c| (c, *v)))
                .collect(),
            expenditure_budget: self.expenditure_budget,
        }
    }

    /// What the audit trail keeps of a version.
    pub fn audit_json(&self) -> serde_json::Value {
        json!({
            "platform_id": self.platform_id, "year": self.year, "version": self.version, "status": self.status,
            "targets": self.targets.0, "revenue_plan": self.revenue_plan.0,
            "expenditure_budget": self.expenditure_budget, "change_reason": self.change_reason,
            "review_comment": self.review_comment, "field_comments": self.field_comments.0,
        })
    }
}

/// The years the platform has filed for (any version), in no order.
pub async fn years(conn: &mut PgConnection, platform_id: i64) -> Result<Vec<i32>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT DISTINCT year AS "year!" FROM filings WHERE platform_id = $1"#,
        platform_id
    )
    .fetch_all(conn)
    .await
}

/// Serialises the writers of a platform's filings for a year (until the transaction ends).
pub async fn lock_year(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtext('filing'), hashtext($1))",
        format!("{platform_id}:{year}")
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Every version of the platform's filing for `year`, oldest first.
pub async fn list_year(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
) -> Result<Vec<FilingRow>, sqlx::Error> {
    sqlx::query_as!(
        FilingRow,
        r#"SELECT f.id, f.platform_id, f.year, f.version, f.status AS "status: FilingStatus",
                f.targets AS "targets: Json<BTreeMap<String, f64>>",
                f.revenue_plan AS "revenue_plan: Json<BTreeMap<String, i64>>", f.expenditure_budget,
                f.change_reason, f.submitted_at, su.display_name AS "submitted_by_name?", f.reviewed_at,
                ru.display_name AS "reviewed_by_name?", f.review_comment,
                f.field_comments AS "field_comments: Json<BTreeMap<String, String>>", f.lock_version, f.created_at
         FROM filings f
         LEFT JOIN users su ON su.id = f.submitted_by
         LEFT JOIN users ru ON ru.id = f.reviewed_by
         WHERE f.platform_id = $1 AND f.year = $2 ORDER BY f.version"#,
        platform_id,
        year
    )
    .fetch_all(conn)
    .await
}

/// The versions as the state rules see them.
pub fn versions(rows: &[FilingRow]) -> YearFilings {
    YearFilings(rows.iter().map(FilingRow::info).collect())
}

/// One version, only if it belongs to the platform.
pub async fn get(
    conn: &mut PgConnection,
    platform_id: i64,
    id: i64,
) -> Result<Option<FilingRow>, sqlx::Error> {
    sqlx::query_as!(
        FilingRow,
        r#"SELECT f.id, f.platform_id, f.year, f.version, f.status AS "status: FilingStatus",
                f.targets AS "targets: Json<BTreeMap<String, f64>>",
                f.revenue_plan AS "revenue_plan: Json<BTreeMap<String, i64>>", f.expenditure_budget,
                f.change_reason, f.submitted_at, su.display_name AS "submitted_by_name?", f.reviewed_at,
                ru.display_name AS "reviewed_by_name?", f.review_comment,
                f.field_comments AS "field_comments: Json<BTreeMap<String, String>>", f.lock_version, f.created_at
         FROM filings f
         LEFT JOIN users su ON su.id = f.submitted_by
         LEFT JOIN users ru ON ru.id = f.reviewed_by
         WHERE f.id = $1 AND f.platform_id = $2"#,
        id,
        platform_id
    )
    .fetch_optional(conn)
    .await
}

fn plan_json(content: &FilingContent) -> Json<BTreeMap<String, i64>> {
    Json(
        content
            .revenue_plan
            .iter()
            .map(|(c, v)| (c.as_str().to_owned(), *v))
            .collect(),
    )
}

/// Inserts a new version, as a draft or already submitted by `submitted_by`; its id.
pub async fn insert(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
    version: i32,
    content: &FilingContent,
    change_reason: &str,
    submitted_by: Option<i64>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO filings (platform_id, year, version, status, targets, revenue_plan, expenditure_budget,
                              change_reason, submitted_at, submitted_by)
         VALUES ($1, $2, $3, CASE WHEN $8::bigint IS NULL THEN 'draft' ELSE 'submitted' END, $4, $5, $6, $7,
                 CASE WHEN $8::bigint IS NULL THEN NULL ELSE now() END, $8)
         RETURNING id",
        platform_id,
        year,
        version,
        Json(&content.targets) as _,
        plan_json(content) as _,
        content.expenditure_budget,
        change_reason,
        submitted_by
    )
    .fetch_one(conn)
    .await
}

/// Saves a draft in place (and submits it when `submitted_by` is given) if it is still a draft at
/// `lock_version`; `false` when somebody changed it first.
pub async fn update_draft(
    conn: &mut PgConnection,
    platform_id: i64,
    id: i64,
    lock_version: i32,
    content: &FilingContent,
    change_reason: &str,
    submitted_by: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE filings SET targets = $4, revenue_plan = $5, expenditure_budget = $6, change_reason = $7,
                status = CASE WHEN $8::bigint IS NULL THEN 'draft' ELSE 'submitted' END,
                submitted_at = CASE WHEN $8::bigint IS NULL THEN NULL ELSE now() END, submitted_by = $8,
                lock_version = lock_version + 1
         WHERE id = $1 AND platform_id = $2 AND lock_version = $3 AND status = 'draft'",
        id,
        platform_id,
        lock_version,
        Json(&content.targets) as _,
        plan_json(content) as _,
        content.expenditure_budget,
        change_reason,
        submitted_by
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the review of a submitted version at `lock_version`: approved (the previously approved
/// version of the year becomes superseded) or returned with comments. `false` when the version is
/// no longer submitted at that lock version.
#[allow(clippy::too_many_arguments)]
pub async fn review(
    conn: &mut PgConnection,
    platform_id: i64,
    id: i64,
    lock_version: i32,
    approve: bool,
    reviewer: i64,
    comment: &str,
    field_comments: &BTreeMap<String, String>,
) -> Result<bool, sqlx::Error> {
    // Lock the version first so two reviewers cannot both pass the checks below.
    let row = sqlx::query!(
        r#"SELECT year, status AS "status: FilingStatus", lock_version FROM filings
         WHERE id = $1 AND platform_id = $2 FOR UPDATE"#,
        id,
        platform_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    let year = row.year;
    if row.status != FilingStatus::Submitted || row.lock_version != lock_version {
        return Ok(false);
    }
    if approve {
        sqlx::query!(
            "UPDATE filings SET status = 'superseded', lock_version = lock_version + 1
             WHERE platform_id = $1 AND year = $2 AND status = 'approved'",
            platform_id,
            year
        )
        .execute(&mut *conn)
        .await?;
    }
    let status = if approve {
        FilingStatus::Approved
    } else {
        FilingStatus::Returned
    };
    sqlx::query!(
        "UPDATE filings SET status = $3, reviewed_at = now(), reviewed_by = $4, review_comment = $5,
                field_comments = $6, lock_version = lock_version + 1
         WHERE id = $1 AND platform_id = $2",
        id,
        platform_id,
        status as FilingStatus,
        reviewer,
        comment,
        Json(field_comments) as _
    )
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// The targets of the approved version in force for the platform and year, if any.
pub async fn approved_targets(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
) -> Result<Option<Values>, sqlx::Error> {
    let targets = sqlx::query_scalar!(
        r#"SELECT targets AS "targets: Json<BTreeMap<String, f64>>" FROM filings
         WHERE platform_id = $1 AND year = $2 AND status = 'approved'"#,
        platform_id,
        year
    )
    .fetch_optional(conn)
    .await?;
    Ok(targets.map(|t| t.0))
}
