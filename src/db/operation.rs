//! Operation (运行管理): who looks after a platform, the advisor's service visits, the
//! construction-period acceptance, research-integrity records.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};

use crate::domain::operation::{Acceptance, AcceptanceResult, IntegrityRecord, Visit, VisitForm};

// ---- advisor and responsible staff member ---------------------------------------------

/// Who is assigned to a platform now, and the row version the assignment form carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Assignment {
    pub advisor_id: Option<i64>,
    pub responsible_staff_id: Option<i64>,
    pub version: i32,
}

pub async fn assignment(
    conn: &mut PgConnection,
    platform_id: i64,
) -> Result<Option<Assignment>, sqlx::Error> {
    sqlx::query_as!(
        Assignment,
        "SELECT advisor_id, responsible_staff_id, version FROM platforms WHERE id = $1",
        platform_id
    )
    .fetch_optional(conn)
    .await
}

/// Saves both assignments if the platform is still at `version`; `false` means somebody saved
/// in between (the caller shows the conflict page).
pub async fn assign(
    conn: &mut PgConnection,
    platform_id: i64,
    version: i32,
    advisor_id: Option<i64>,
    staff_id: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE platforms SET advisor_id = $3, responsible_staff_id = $4, version = version + 1, updated_at = now()
         WHERE id = $1 AND version = $2",
        platform_id,
        version,
        advisor_id,
        staff_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An account offered in an assignment list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountChoice {
    pub id: i64,
    pub label: String,
}

/// Active advisor accounts.
pub async fn advisor_choices(pool: &PgPool) -> Result<Vec<AccountChoice>, sqlx::Error> {
    sqlx::query_as!(
        AccountChoice,
        r#"SELECT id, display_name || '（' || username || '）' AS "label!" FROM users
         WHERE role = 'advisor' AND NOT disabled ORDER BY display_name COLLATE "zh-Hans-x-icu", id"#
    )
    .fetch_all(pool)
    .await
}

/// Active staff accounts who can see a platform of this jurisdiction: city staff and the
/// jurisdiction's own staff.
pub async fn staff_choices(
    pool: &PgPool,
    jurisdiction_id: i32,
) -> Result<Vec<AccountChoice>, sqlx::Error> {
    sqlx::query_as!(
        AccountChoice,
        r#"SELECT u.id, u.display_name || '（' || j.name || '）' AS "label!"
         FROM users u JOIN jurisdictions j ON j.id = u.jurisdiction_id
         WHERE u.role = 'staff' AND NOT u.disabled AND (j.kind = 'city' OR u.jurisdiction_id = $1)
         ORDER BY j.kind = 'city' DESC, u.display_name COLLATE "zh-Hans-x-icu", u.id"#,
        jurisdiction_id
    )
    .fetch_all(pool)
    .await
}

/// A display name for the timeline and audit.
pub async fn display_name(
    conn: &mut PgConnection,
    user_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!("SELECT display_name FROM users WHERE id = $1", user_id)
        .fetch_optional(conn)
        .await
}

// ---- service visits -------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VisitRow {
    pub id: i64,
    pub advisor_name: String,
    pub visit_date: NaiveDate,
    pub form: VisitForm,
    pub topics: String,
    pub advice: String,
    pub follow_up: String,
    pub created_at: DateTime<Utc>,
}

/// A platform's visits, newest first.
#[tracing::instrument(skip(pool))]
pub async fn visits(pool: &PgPool, platform_id: i64) -> Result<Vec<VisitRow>, sqlx::Error> {
    sqlx::query_as!(
        VisitRow,
        r#"SELECT v.id, u.display_name AS advisor_name, v.visit_date, v.form AS "form: VisitForm", v.topics,
                v.advice, v.follow_up, v.created_at
         FROM advisor_visits v JOIN users u ON u.id = v.advisor_id
         WHERE v.platform_id = $1
         ORDER BY v.visit_date DESC, v.id DESC"#,
        platform_id
    )
    .fetch_all(pool)
    .await
}

pub async fn insert_visit(
    conn: &mut PgConnection,
    platform_id: i64,
    advisor_id: i64,
    v: &Visit,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO advisor_visits (platform_id, advisor_id, visit_date, form, topics, advice, follow_up)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        platform_id,
        advisor_id,
        v.visit_date,
        v.form as VisitForm,
        &v.topics,
        &v.advice,
        &v.follow_up
    )
    .fetch_one(conn)
    .await
}

// ---- construction-period acceptance ---------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct AcceptanceRow {
    pub result: AcceptanceResult,
    pub accepted_on: NaiveDate,
    pub remarks: String,
    pub document_id: Option<i64>,
    pub document_title: Option<String>,
    pub recorded_by_name: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

pub async fn acceptance(
    conn: &mut PgConnection,
    platform_id: i64,
) -> Result<Option<AcceptanceRow>, sqlx::Error> {
    sqlx::query_as!(
        AcceptanceRow,
        r#"SELECT a.result AS "result: AcceptanceResult", a.accepted_on, a.remarks, a.document_id,
                d.title AS "document_title?", u.display_name AS "recorded_by_name?", a.recorded_at
         FROM construction_acceptances a
         LEFT JOIN documents d ON d.id = a.document_id
         LEFT JOIN users u ON u.id = a.recorded_by
         WHERE a.platform_id = $1"#,
        platform_id
    )
    .fetch_optional(conn)
    .await
}

/// Records the acceptance. `replaces` is when the record the user saw was saved (`None`: they
/// saw none); `false` means the stored record is not that one any more (the caller shows the
/// conflict page).
pub async fn save_acceptance(
    conn: &mut PgConnection,
    platform_id: i64,
    a: &Acceptance,
    recorded_by: i64,
    replaces: Option<DateTime<Utc>>,
) -> Result<bool, sqlx::Error> {
    let done = match replaces {
        None => {
            sqlx::query!(
                "INSERT INTO construction_acceptances (platform_id, result, accepted_on, remarks, document_id,
                                                       recorded_by, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp())
                 ON CONFLICT (platform_id) DO NOTHING",
                platform_id,
                a.result as AcceptanceResult,
                a.accepted_on,
                &a.remarks,
                a.document_id,
                recorded_by
            )
            .execute(conn)
            .await?
        }
        Some(seen) => {
            sqlx::query!(
                "UPDATE construction_acceptances
                 SET result = $2, accepted_on = $3, remarks = $4, document_id = $5, recorded_by = $6,
                     recorded_at = clock_timestamp()
                 WHERE platform_id = $1 AND recorded_at = $7",
                platform_id,
                a.result as AcceptanceResult,
                a.accepted_on,
                &a.remarks,
                a.document_id,
                recorded_by,
                seen
            )
            .execute(conn)
            .await?
        }
    };
    Ok(done.rows_affected() == 1)
}

/// The ids of the platform's acceptance reports (what an acceptance record may point at).
pub async fn report_ids(pool: &PgPool, platform_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM documents WHERE platform_id = $1 AND kind = 'acceptance_report'",
        platform_id
    )
    .fetch_all(pool)
    .await
}

// ---- research integrity ---------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IntegrityRow {
    pub id: i64,
    pub occurred_on: NaiveDate,
    pub serious: bool,
    pub description: String,
    pub funds_to_recover: i64,
    pub recorded_by_name: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// A platform's integrity records, newest first.
#[tracing::instrument(skip(pool))]
pub async fn integrity_records(
    pool: &PgPool,
    platform_id: i64,
) -> Result<Vec<IntegrityRow>, sqlx::Error> {
    sqlx::query_as!(
        IntegrityRow,
        r#"SELECT r.id, r.occurred_on, r.serious, r.description, r.funds_to_recover,
                u.display_name AS "recorded_by_name?", r.recorded_at
         FROM integrity_records r LEFT JOIN users u ON u.id = r.recorded_by
         WHERE r.platform_id = $1
         ORDER BY r.occurred_on DESC, r.id DESC"#,
        platform_id
    )
    .fetch_all(pool)
    .await
}

pub async fn insert_integrity(
    conn: &mut PgConnection,
    platform_id: i64,
    r: &IntegrityRecord,
    recorded_by: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO integrity_records (platform_id, occurred_on, serious, description, funds_to_recover, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        platform_id,
        r.occurred_on,
        r.serious,
        &r.description,
        r.funds_to_recover,
        recorded_by
    )
    .fetch_one(conn)
    .await
}
