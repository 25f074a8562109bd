//! Mid-year reports (the operator's H1 actuals) and review meetings (半年过堂), and what the
//! completion table needs from the year-start filing and the indicator values.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use sqlx::types::Json;

use crate::domain::midyear::{ReportStatus, ReviewDraft};
use crate::domain::scoring::Values;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Report {
    pub id: i64,
    pub platform_id: i64,
    pub year: i32,
    pub actuals: Json<Values>,
    pub status: ReportStatus,
    pub submitted_at: Option<DateTime<Utc>>,
    pub submitted_by: Option<i64>,
    pub submitted_by_name: Option<String>,
    pub late: bool,
    pub lock_version: i32,
}

impl Report {
    pub fn status(&self) -> ReportStatus {
        self.status
    }

    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "platform_id": self.platform_id, "year": self.year, "actuals": self.actuals.0,
            "status": self.status, "late": self.late, "lock_version": self.lock_version,
        })
    }
}

/// The platform's report for `year`, if it has started one.
pub async fn report(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
) -> Result<Option<Report>, sqlx::Error> {
    sqlx::query_as!(
        Report,
        r#"SELECT r.id, r.platform_id, r.year, r.actuals AS "actuals: Json<Values>",
                r.status AS "status: ReportStatus", r.submitted_at, r.submitted_by,
                u.display_name AS "submitted_by_name?", r.late, r.lock_version
         FROM midyear_reports r LEFT JOIN users u ON u.id = r.submitted_by
         WHERE r.platform_id = $1 AND r.year = $2"#,
        platform_id,
        year
    )
    .fetch_optional(conn)
    .await
}

/// Locks the report row for the rest of the transaction (so a save and a submission cannot
/// interleave), returning it as it is now.
pub async fn report_for_update(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
) -> Result<Option<Report>, sqlx::Error> {
    sqlx::query!(
        "SELECT 1 AS one FROM midyear_reports WHERE platform_id = $1 AND year = $2 FOR UPDATE",
        platform_id,
        year
    )
    .fetch_optional(&mut *conn)
    .await?;
    report(conn, platform_id, year).await
}

/// Saves the actuals of a draft, optionally submitting it. `version` is the `lock_version` the form
/// was built from (0: no report yet). False when somebody saved in between (or created it first).
pub async fn save(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
    version: i32,
    actuals: &Values,
    submit: Option<(i64, bool)>,
) -> Result<bool, sqlx::Error> {
    let (status, by, late) = match submit {
        Some((user, late)) => (ReportStatus::Submitted, Some(user), late),
        None => (ReportStatus::Draft, None, false),
    };
    let done = if version == 0 {
        sqlx::query!(
            "INSERT INTO midyear_reports (platform_id, year, actuals, status, submitted_at, submitted_by, late)
             VALUES ($1, $2, $3, $4, CASE WHEN $5::bigint IS NULL THEN NULL ELSE now() END, $5, $6)
             ON CONFLICT ON CONSTRAINT midyear_reports_key DO NOTHING",
            platform_id,
            year,
            Json(actuals) as _,
            status as ReportStatus,
            by,
            late
        )
        .execute(conn)
        .await?
    } else {
        sqlx::query!(
            "UPDATE midyear_reports
             SET actuals = $4, status = $5, submitted_at = CASE WHEN $6::bigint IS NULL THEN NULL ELSE now() END,
                 submitted_by = $6, late = $7, lock_version = lock_version + 1
             WHERE platform_id = $1 AND year = $2 AND lock_version = $3 AND status = 'draft'",
            platform_id,
            year,
            version,
            Json(actuals) as _,
            status as ReportStatus,
            by,
            late
        )
        .execute(conn)
        .await?
    };
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Review {
    pub id: i64,
    pub platform_id: i64,
    pub year: i32,
    pub meeting_date: NaiveDate,
    pub attendees: String,
    pub assessment: String,
    pub problems: String,
    pub recorded_by_name: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

pub async fn review(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
) -> Result<Option<Review>, sqlx::Error> {
    sqlx::query_as!(
        Review,
        r#"SELECT r.id, r.platform_id, r.year, r.meeting_date, r.attendees, r.assessment, r.problems,
                u.display_name AS "recorded_by_name?", r.recorded_at
         FROM midyear_reviews r LEFT JOIN users u ON u.id = r.recorded_by
         WHERE r.platform_id = $1 AND r.year = $2"#,
        platform_id,
        year
    )
    .fetch_optional(conn)
    .await
}

/// Records the review meeting; a second one for the same year violates `midyear_reviews_key`.
pub async fn insert_review(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
    d: &ReviewDraft,
    recorded_by: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO midyear_reviews (platform_id, year, meeting_date, attendees, assessment, problems, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        platform_id,
        year,
        d.meeting_date,
        &d.attendees,
        &d.assessment,
        &d.problems,
        recorded_by
    )
    .fetch_one(conn)
    .await
}

/// The targets of the year's approved year-start filing (the latest approved version) and that
/// version; None when no version has been approved.
pub async fn approved_targets(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
) -> Result<Option<(i32, Values)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT version, targets FROM filings
         WHERE platform_id = $1 AND year = $2 AND status = 'approved'
         ORDER BY version DESC LIMIT 1",
        platform_id,
        year
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.version, numbers(&r.targets))))
}

/// Indicator → number from a JSON object, skipping anything that is not a number.
fn numbers(v: &serde_json::Value) -> Values {
    v.as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_f64().map(|n| (k.clone(), n)))
                .collect()
        })
        .unwrap_or_default()
}

/// Years with a report or a review for the platform, newest first.
pub async fn years(conn: &mut PgConnection, platform_id: i64) -> Result<Vec<i32>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT year AS "year!" FROM midyear_reports WHERE platform_id = $1
         UNION SELECT year FROM midyear_reviews WHERE platform_id = $1
         ORDER BY 1 DESC"#,
        platform_id
    )
    .fetch_all(conn)
    .await
}
