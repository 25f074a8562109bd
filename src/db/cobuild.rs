//! City–county co-building (市县共建): the county platforms with the grades eligibility looks at, the yearly
//! share (with its history), proposals and their two-person decision, and the admitted platforms' grades.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgConnection;

use crate::domain::cobuild::{Candidate, ProposalStatus, Share};
use crate::domain::compliance::snapshot::Grade;
use crate::domain::platform::{Level, Stage};
use crate::domain::scope::PlatformRef;

/// The check constraint: the decider is not the proposer.
pub const TWO_PEOPLE: &str = "cobuild_two_people";
/// The partial unique index: one pending proposal per platform.
pub const ONE_PENDING: &str = "cobuild_one_pending";
/// The partial unique index: a platform is admitted once.
pub const ONE_ADMISSION: &str = "cobuild_one_admission";

/// A county (or any) platform with what eligibility looks at.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlatformRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction_id: i32,
    pub jurisdiction_name: String,
    pub advisor_id: Option<i64>,
    pub level: Level,
    pub stage: Stage,
    pub first_support_end: Option<NaiveDate>,
    pub previous_grade: Option<Grade>,
    pub last_grade: Option<Grade>,
}

impl PlatformRow {
    pub fn scope_ref(&self) -> PlatformRef {
        PlatformRef {
            id: self.id,
            jurisdiction_id: self.jurisdiction_id,
            advisor_id: self.advisor_id,
        }
    }

    /// The platform as eligibility sees it.
    pub fn candidate(&self) -> Candidate {
        Candidate {
            level: self.level,
            stage: self.stage,
            first_support_end: self.first_support_end,
            previous_grade: self.previous_grade,
            last_grade: self.last_grade,
        }
    }
}

// A year's grade as the rules read it (the two subqueries of `county_platforms` and
// `platform_for_update`): the published grade, `not_evaluated` when excluded, else none.

/// Every county-level platform, with its grades of `years` = (L−1, L).
pub async fn county_platforms(
    conn: &mut PgConnection,
    years: (i32, i32),
) -> Result<Vec<PlatformRow>, sqlx::Error> {
    platforms_with_grades(conn, years, None).await
}

/// One platform with its grades of `years`, locked until the transaction ends.
pub async fn platform_for_update(
    conn: &mut PgConnection,
    id: i64,
    years: (i32, i32),
) -> Result<Option<PlatformRow>, sqlx::Error> {
    sqlx::query!(
        "SELECT 1 AS one FROM platforms WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(platforms_with_grades(conn, years, Some(id)).await?.pop())
}

/// The county-level platforms (or platform `id`, whatever its level), with their grades of `years`.
async fn platforms_with_grades(
    conn: &mut PgConnection,
    years: (i32, i32),
    id: Option<i64>,
) -> Result<Vec<PlatformRow>, sqlx::Error> {
    sqlx::query_as!(
        PlatformRow,
        r#"SELECT p.id, p.code, p.name, p.jurisdiction_id, j.name AS jurisdiction_name, p.advisor_id,
                  p.level AS "level: Level", p.stage AS "stage: Stage", p.first_support_end,
                  (SELECT CASE WHEN e.status = 'excluded' THEN 'not_evaluated'
                                 WHEN r.status = 'published' THEN e.grade END
                    FROM evaluations e LEFT JOIN evaluation_rounds r ON r.year = e.year
                    WHERE e.platform_id = p.id AND e.year = $1) AS "previous_grade?: Grade",
                  (SELECT CASE WHEN e.status = 'excluded' THEN 'not_evaluated'
                                 WHEN r.status = 'published' THEN e.grade END
                    FROM evaluations e LEFT JOIN evaluation_rounds r ON r.year = e.year
                    WHERE e.platform_id = p.id AND e.year = $2) AS "last_grade?: Grade"
           FROM platforms p JOIN jurisdictions j ON j.id = p.jurisdiction_id
           WHERE CASE WHEN $3::bigint IS NULL THEN p.level = 'county' ELSE p.id = $3 END
           ORDER BY p.code"#,
        years.0,
        years.1,
        id
    )
    .fetch_all(conn)
    .await
}

/// Serializes the admissions of one year (the share is checked and used in the same transaction).
pub async fn lock_year(conn: &mut PgConnection, year: i32) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_advisory_xact_lock(26, $1)", year)
        .execute(conn)
        .await?;
    Ok(())
}

// ---- the share ------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ShareRow {
    pub id: i64,
    pub year: i32,
    pub share_pct: Option<i32>,
    pub max_platforms: Option<i32>,
    pub reason: String,
    pub set_by_name: Option<String>,
    pub set_at: DateTime<Utc>,
}

impl ShareRow {
    pub fn share(&self) -> Share {
        Share {
            pct: self.share_pct.and_then(|p| u32::try_from(p).ok()),
            max_platforms: self.max_platforms.and_then(|m| u32::try_from(m).ok()),
        }
    }
}

/// A year's share settings, newest first (the first is in force).
pub async fn shares(conn: &mut PgConnection, year: i32) -> Result<Vec<ShareRow>, sqlx::Error> {
    sqlx::query_as!(
        ShareRow,
        r#"SELECT s.id, s.year, s.share_pct, s.max_platforms, s.reason, u.display_name AS "set_by_name?", s.set_at
           FROM cobuild_shares s LEFT JOIN users u ON u.id = s.set_by
           WHERE s.year = $1 ORDER BY s.id DESC"#,
        year
    )
    .fetch_all(conn)
    .await
}

pub async fn insert_share(
    conn: &mut PgConnection,
    year: i32,
    share: Share,
    reason: &str,
    user_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO cobuild_shares (year, share_pct, max_platforms, reason, set_by)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        year,
        share.pct.and_then(|p| i32::try_from(p).ok()),
        share.max_platforms.and_then(|m| i32::try_from(m).ok()),
        reason,
        user_id
    )
    .fetch_one(conn)
    .await
}

// ---- proposals ------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ProposalRow {
    pub id: i64,
    pub year: i32,
    pub platform_id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction_id: i32,
    pub jurisdiction_name: String,
    pub advisor_id: Option<i64>,
    pub previous_grade: Option<Grade>,
    pub last_grade: Option<Grade>,
    pub reason: String,
    pub proposed_by: i64,
    pub proposed_by_name: Option<String>,
    pub proposed_at: DateTime<Utc>,
    pub status: ProposalStatus,
    pub decided_by: Option<i64>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: String,
}

impl ProposalRow {
    pub fn scope_ref(&self) -> PlatformRef {
        PlatformRef {
            id: self.platform_id,
            jurisdiction_id: self.jurisdiction_id,
            advisor_id: self.advisor_id,
        }
    }

    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id, "year": self.year, "platform_id": self.platform_id,
            "previous_grade": self.previous_grade, "last_grade": self.last_grade, "reason": self.reason,
            "proposed_by": self.proposed_by, "status": self.status, "decided_by": self.decided_by,
            "decision_reason": self.decision_reason,
        })
    }
}

/// The platforms with a proposal pending (of any year).
pub async fn pending_platforms(conn: &mut PgConnection) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar!("SELECT platform_id FROM cobuild_proposals WHERE status = 'pending'")
        .fetch_all(conn)
        .await
}

/// A year's proposals, pending first, then by platform code.
pub async fn proposals(
    conn: &mut PgConnection,
    year: i32,
) -> Result<Vec<ProposalRow>, sqlx::Error> {
    proposals_where(conn, Some(year), None).await
}

pub async fn proposal(
    conn: &mut PgConnection,
    id: i64,
) -> Result<Option<ProposalRow>, sqlx::Error> {
    Ok(proposals_where(conn, None, Some(id)).await?.pop())
}

/// The proposals of a year or the one with this id (one of them given), pending first.
async fn proposals_where(
    conn: &mut PgConnection,
    year: Option<i32>,
    id: Option<i64>,
) -> Result<Vec<ProposalRow>, sqlx::Error> {
    sqlx::query_as!(
        ProposalRow,
        r#"SELECT c.id, c.year, c.platform_id, p.code, p.name, p.jurisdiction_id, j.name AS jurisdiction_name,
                  p.advisor_id, c.previous_grade AS "previous_grade: Grade", c.last_grade AS "last_grade: Grade",
                  c.reason, c.proposed_by, up.display_name AS "proposed_by_name?", c.proposed_at,
                  c.status AS "status: ProposalStatus", c.decided_by, ud.display_name AS "decided_by_name?",
                  c.decided_at, c.decision_reason
           FROM cobuild_proposals c
           JOIN platforms p ON p.id = c.platform_id
           JOIN jurisdictions j ON j.id = p.jurisdiction_id
           LEFT JOIN users up ON up.id = c.proposed_by
           LEFT JOIN users ud ON ud.id = c.decided_by
           WHERE c.year = $1 OR c.id = $2
           ORDER BY c.status <> 'pending', p.code, c.id"#,
        year,
        id
    )
    .fetch_all(conn)
    .await
}

/// Admitted and pending proposals of a year: `(approved, pending)`.
pub async fn taken(conn: &mut PgConnection, year: i32) -> Result<(i64, i64), sqlx::Error> {
    let r = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE status = 'approved') AS "approved!",
                  count(*) FILTER (WHERE status = 'pending') AS "pending!"
           FROM cobuild_proposals WHERE year = $1"#,
        year
    )
    .fetch_one(conn)
    .await?;
    Ok((r.approved, r.pending))
}

pub struct NewProposal<'a> {
    pub year: i32,
    pub platform_id: i64,
    pub previous_grade: Option<Grade>,
    pub last_grade: Option<Grade>,
    pub reason: &'a str,
    pub proposed_by: i64,
}

/// Files a proposal; a second pending one of the platform violates [`ONE_PENDING`].
pub async fn insert_proposal(
    conn: &mut PgConnection,
    p: &NewProposal<'_>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO cobuild_proposals (year, platform_id, previous_grade, last_grade, reason, proposed_by)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        p.year,
        p.platform_id,
        p.previous_grade as Option<Grade>,
        p.last_grade as Option<Grade>,
        p.reason,
        p.proposed_by
    )
    .fetch_one(conn)
    .await
}

/// Decides a pending proposal; `false` if it was no longer pending. The database refuses the proposer as
/// decider ([`TWO_PEOPLE`]).
pub async fn decide(
    conn: &mut PgConnection,
    id: i64,
    approve: bool,
    reason: &str,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE cobuild_proposals
         SET status = $2, decision_reason = $3, decided_by = $4, decided_at = now()
         WHERE id = $1 AND status = 'pending'",
        id,
        if approve { "approved" } else { "rejected" },
        reason,
        user_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves a county platform to `city_county`; `false` if it was no longer county-level.
pub async fn admit(conn: &mut PgConnection, platform_id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE platforms SET level = 'city_county', version = version + 1, updated_at = now()
         WHERE id = $1 AND level = 'county'",
        platform_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

// ---- the admitted platforms' own results ------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AdmittedRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction_id: i32,
    pub jurisdiction_name: String,
    pub advisor_id: Option<i64>,
    pub stage: Stage,
    pub admitted_year: Option<i32>,
}

impl AdmittedRow {
    pub fn scope_ref(&self) -> PlatformRef {
        PlatformRef {
            id: self.id,
            jurisdiction_id: self.jurisdiction_id,
            advisor_id: self.advisor_id,
        }
    }
}

/// Every city–county platform, with the year it was admitted through this workflow (if it was).
pub async fn admitted(conn: &mut PgConnection) -> Result<Vec<AdmittedRow>, sqlx::Error> {
    sqlx::query_as!(
        AdmittedRow,
        r#"SELECT p.id, p.code, p.name, p.jurisdiction_id, j.name AS jurisdiction_name, p.advisor_id,
                  p.stage AS "stage: Stage",
                  (SELECT c.year FROM cobuild_proposals c WHERE c.platform_id = p.id AND c.status = 'approved')
                    AS "admitted_year?"
           FROM platforms p JOIN jurisdictions j ON j.id = p.jurisdiction_id
           WHERE p.level = 'city_county'
           ORDER BY p.code"#
    )
    .fetch_all(conn)
    .await
}

/// The grades of these platforms by year, as the rules read them: `(platform_id, year, grade)`.
pub async fn grades(
    conn: &mut PgConnection,
    platform_ids: &[i64],
) -> Result<Vec<(i64, i32, Grade)>, sqlx::Error> {
    // The WHERE keeps only rows whose CASE is not null (excluded, or a published grade).
    let rows = sqlx::query!(
        r#"SELECT e.platform_id, e.year,
                  CASE WHEN e.status = 'excluded' THEN 'not_evaluated' ELSE e.grade END AS "grade!: Grade"
           FROM evaluations e LEFT JOIN evaluation_rounds r ON r.year = e.year
           WHERE e.platform_id = ANY($1)
             AND (e.status = 'excluded' OR (r.status = 'published' AND e.grade IS NOT NULL))
           ORDER BY e.year"#,
        platform_ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.platform_id, r.year, r.grade))
        .collect())
}
