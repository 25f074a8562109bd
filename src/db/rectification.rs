//! Rectification cases (退出整改): the case, its measures and progress notes, the 退/转/并/留 proposal and its
//! sign-off, and the platform's move out of `rectifying`. Every write to a case checks and bumps its `version`
//! (optimistic concurrency): a `false` return means somebody else changed the case first.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

use crate::domain::lifecycle::Trigger;
use crate::domain::platform::{Category, Stage};
use crate::domain::recovery::Settlement;
use crate::domain::rectification::{
    CaseStatus, DecisionKind, MeasureDraft, OpenCaseDraft, Proposal,
};
use crate::domain::role::Role;
use crate::domain::scope::PlatformScope;

/// The partial unique index allowing one open (or draft) case per platform.
pub const ONE_OPEN_CASE: &str = "rectification_one_open";
/// The check constraint: the sign-off is by somebody other than the proposer.
pub const TWO_PEOPLE: &str = "rectification_two_people";

/// A case as stored, with the names of the people involved.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct CaseRow {
    pub id: i64,
    pub platform_id: i64,
    pub status: CaseStatus,
    pub triggers: Vec<Trigger>,
    pub trigger_note: String,
    pub plan_summary: String,
    pub deadline: Option<NaiveDate>,
    pub assessment: String,
    pub assessed_by_name: Option<String>,
    pub assessed_at: Option<DateTime<Utc>>,
    pub decision: Option<DecisionKind>,
    pub decision_reason: String,
    pub convert_to: Option<Category>,
    pub merge_into_id: Option<i64>,
    pub merge_into_name: Option<String>,
    pub proposed_by: Option<i64>,
    pub proposed_by_name: Option<String>,
    pub proposed_at: Option<DateTime<Utc>>,
    pub signed_off_by: Option<i64>,
    pub signed_off_by_name: Option<String>,
    pub signed_off_at: Option<DateTime<Utc>>,
    pub source: String,
    pub opened_by_name: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub version: i32,
    pub measures_total: i64,
    pub measures_done: i64,
    /// After 退/转/并: the funds to recover (yuan), their basis, the co-building agreement's end.
    pub funds_to_recover: Option<i64>,
    pub funds_basis: String,
    pub agreement_end: Option<NaiveDate>,
    /// Recovered: the recorded recoveries plus what claims recovered under the decision (migration 0027).
    pub recovered: i64,
    /// Recovered, plus claims still being recovered under the decision.
    pub committed: i64,
}

impl CaseRow {
    /// What the audit trail keeps of a case.
    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id, "platform_id": self.platform_id, "status": self.status,
            "triggers": self.triggers, "trigger_note": self.trigger_note, "plan_summary": self.plan_summary,
            "deadline": self.deadline, "assessment": self.assessment, "decision": self.decision,
            "decision_reason": self.decision_reason, "convert_to": self.convert_to,
            "merge_into_id": self.merge_into_id, "proposed_by": self.proposed_by,
            "signed_off_by": self.signed_off_by, "version": self.version,
            "funds_to_recover": self.funds_to_recover, "funds_basis": self.funds_basis,
            "agreement_end": self.agreement_end,
        })
    }
}

/// A platform's cases, newest first.
pub async fn list(pool: &PgPool, platform_id: i64) -> Result<Vec<CaseRow>, sqlx::Error> {
    cases(&mut *pool.acquire().await?, platform_id, None).await
}

/// One case of one platform (`None` if the case belongs to another platform).
pub async fn get(
    conn: &mut PgConnection,
    platform_id: i64,
    case_id: i64,
) -> Result<Option<CaseRow>, sqlx::Error> {
    Ok(cases(conn, platform_id, Some(case_id)).await?.pop())
}

/// The platform's cases (only case `case_id`, if given), newest first, with people's names and
/// the measures' and funds' figures.
async fn cases(
    conn: &mut PgConnection,
    platform_id: i64,
    case_id: Option<i64>,
) -> Result<Vec<CaseRow>, sqlx::Error> {
    sqlx::query_as!(
        CaseRow,
        r#"SELECT c.id, c.platform_id, c.status AS "status: CaseStatus", c.triggers AS "triggers: Vec<Trigger>",
                  c.trigger_note, c.plan_summary, c.deadline,
                  c.assessment, ua.display_name AS "assessed_by_name?", c.assessed_at,
                  c.decision AS "decision: DecisionKind", c.decision_reason, c.convert_to AS "convert_to: Category",
                  c.merge_into_id, m.code || ' ' || m.name AS "merge_into_name?",
                  c.proposed_by, up.display_name AS "proposed_by_name?", c.proposed_at,
                  c.signed_off_by, us.display_name AS "signed_off_by_name?", c.signed_off_at,
                  c.source, uo.display_name AS "opened_by_name?", c.opened_at, c.version,
                  (SELECT count(*) FROM rectification_measures x WHERE x.case_id = c.id) AS "measures_total!",
                  (SELECT count(*) FROM rectification_measures x WHERE x.case_id = c.id AND x.done) AS "measures_done!",
                  c.funds_to_recover, c.funds_basis, c.agreement_end,
                  kc_case_recovered(c.id) AS "recovered!", kc_case_committed(c.id) AS "committed!"
           FROM rectification_cases c
           LEFT JOIN users ua ON ua.id = c.assessed_by
           LEFT JOIN users up ON up.id = c.proposed_by
           LEFT JOIN users us ON us.id = c.signed_off_by
           LEFT JOIN users uo ON uo.id = c.opened_by
           LEFT JOIN platforms m ON m.id = c.merge_into_id
           WHERE c.platform_id = $1 AND ($2::bigint IS NULL OR c.id = $2)
           ORDER BY c.opened_at DESC, c.id DESC"#,
        platform_id,
        case_id
    )
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct MeasureRow {
    pub id: i64,
    pub description: String,
    pub owner: String,
    pub due_date: NaiveDate,
    pub done: bool,
}

pub async fn measures(
    conn: &mut PgConnection,
    case_id: i64,
) -> Result<Vec<MeasureRow>, sqlx::Error> {
    sqlx::query_as!(
        MeasureRow,
        "SELECT id, description, owner, due_date, done FROM rectification_measures
         WHERE case_id = $1 ORDER BY due_date, id",
        case_id
    )
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoteRow {
    pub id: i64,
    pub author_name: Option<String>,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

/// Progress notes, oldest first.
pub async fn notes(conn: &mut PgConnection, case_id: i64) -> Result<Vec<NoteRow>, sqlx::Error> {
    sqlx::query_as!(
        NoteRow,
        r#"SELECT n.id, u.display_name AS "author_name?", n.note, n.created_at
           FROM rectification_notes n LEFT JOIN users u ON u.id = n.author_id
           WHERE n.case_id = $1 ORDER BY n.created_at, n.id"#,
        case_id
    )
    .fetch_all(conn)
    .await
}

/// Opens a case with its measures. A second open case of the platform violates [`ONE_OPEN_CASE`].
pub async fn insert(
    conn: &mut PgConnection,
    platform_id: i64,
    d: &OpenCaseDraft,
    opened_by: i64,
) -> Result<i64, sqlx::Error> {
    let id = sqlx::query_scalar!(
        "INSERT INTO rectification_cases (platform_id, status, triggers, trigger_note, plan_summary, deadline, opened_by)
         VALUES ($1, 'open', $2, $3, $4, $5, $6) RETURNING id",
        platform_id,
        &d.triggers[..] as &[Trigger],
        &d.reason,
        &d.plan_summary,
        d.deadline,
        opened_by
    )
    .fetch_one(&mut *conn)
    .await?;
    for m in &d.measures {
        insert_measure(conn, id, m).await?;
    }
    Ok(id)
}

pub async fn insert_measure(
    conn: &mut PgConnection,
    case_id: i64,
    m: &MeasureDraft,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO rectification_measures (case_id, description, owner, due_date) VALUES ($1, $2, $3, $4)
         RETURNING id",
        case_id,
        &m.description,
        &m.owner,
        m.due_date
    )
    .fetch_one(conn)
    .await
}

/// Marks a measure of this case done (or not); `None` if the case has no such measure.
pub async fn set_measure_done(
    conn: &mut PgConnection,
    case_id: i64,
    measure_id: i64,
    done: bool,
) -> Result<Option<MeasureRow>, sqlx::Error> {
    sqlx::query_as!(
        MeasureRow,
        "UPDATE rectification_measures SET done = $3 WHERE id = $2 AND case_id = $1
         RETURNING id, description, owner, due_date, done",
        case_id,
        measure_id,
        done
    )
    .fetch_optional(conn)
    .await
}

pub async fn insert_note(
    conn: &mut PgConnection,
    case_id: i64,
    author_id: i64,
    note: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO rectification_notes (case_id, author_id, note) VALUES ($1, $2, $3) RETURNING id",
        case_id,
        author_id,
        note
    )
    .fetch_one(conn)
    .await
}

/// Claims the next version of an open case (for writes to its measures and notes).
pub async fn touch(
    conn: &mut PgConnection,
    case_id: i64,
    version: i32,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE rectification_cases SET version = version + 1
         WHERE id = $1 AND version = $2 AND status = 'open'",
        case_id,
        version
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records (or revises) the assessment while no proposal is pending.
pub async fn record_assessment(
    conn: &mut PgConnection,
    case_id: i64,
    version: i32,
    assessment: &str,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE rectification_cases SET assessment = $3, assessed_by = $4, assessed_at = now(), version = version + 1
         WHERE id = $1 AND version = $2 AND status = 'open' AND proposed_by IS NULL",
        case_id,
        version,
        assessment,
        user_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the proposal, with what a 退/转/并 settles (funds to recover, the agreement's end).
pub async fn propose(
    conn: &mut PgConnection,
    case_id: i64,
    version: i32,
    p: &Proposal,
    settlement: Option<&Settlement>,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE rectification_cases
         SET decision = $3, decision_reason = $4, convert_to = $5, merge_into_id = $6,
             proposed_by = $7, proposed_at = now(), version = version + 1,
             funds_to_recover = $8, funds_basis = $9, agreement_end = $10
         WHERE id = $1 AND version = $2 AND status = 'open' AND proposed_by IS NULL",
        case_id,
        version,
        p.kind as DecisionKind,
        &p.reason,
        p.convert_to as Option<Category>,
        p.merge_into,
        user_id,
        settlement.map(|s| s.funds_to_recover),
        settlement.map(|s| s.funds_basis.as_str()).unwrap_or(""),
        settlement.and_then(|s| s.agreement_end)
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Withdraws the pending proposal, leaving the case open for another one.
pub async fn withdraw(
    conn: &mut PgConnection,
    case_id: i64,
    version: i32,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE rectification_cases
         SET decision = NULL, decision_reason = '', convert_to = NULL, merge_into_id = NULL,
             proposed_by = NULL, proposed_at = NULL, version = version + 1,
             funds_to_recover = NULL, funds_basis = '', agreement_end = NULL
         WHERE id = $1 AND version = $2 AND status = 'open' AND proposed_by IS NOT NULL",
        case_id,
        version
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Signs the pending proposal off and closes the case as decided; a 退/转/并 agreement without an end date
/// ends on the decision date (Beijing). The database refuses a sign-off by the proposer ([`TWO_PEOPLE`]).
pub async fn sign_off(
    conn: &mut PgConnection,
    case_id: i64,
    version: i32,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE rectification_cases
         SET signed_off_by = $3, signed_off_at = now(), status = 'decided', version = version + 1,
             agreement_end = CASE WHEN funds_to_recover IS NULL THEN agreement_end
                                  ELSE coalesce(agreement_end, (now() AT TIME ZONE 'Asia/Shanghai')::date) END
         WHERE id = $1 AND version = $2 AND status = 'open' AND proposed_by IS NOT NULL",
        case_id,
        version,
        user_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A user's current role (for the proposer of a decision).
pub async fn user_role(conn: &mut PgConnection, user_id: i64) -> Result<Option<Role>, sqlx::Error> {
    let role = sqlx::query_scalar!(
        r#"SELECT role AS "role: Role" FROM users WHERE id = $1"#,
        user_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(role.flatten())
}

/// A platform's stage, locked against concurrent changes until the transaction ends.
pub use super::platforms::lock_stage;

/// Moves a platform from `from` to `to` (the caller has run `lifecycle::check`); a conversion also sets the
/// category, a merge the receiving platform. `false` if the platform was no longer at `from`.
pub async fn move_platform(
    conn: &mut PgConnection,
    platform_id: i64,
    from: Stage,
    to: Stage,
    category: Option<Category>,
    merged_into: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE platforms
         SET stage = $3, category = COALESCE($4, category), merged_into_id = $5,
             version = version + 1, updated_at = now()
         WHERE id = $1 AND stage = $2",
        platform_id,
        from as Stage,
        to as Stage,
        category as Option<Category>,
        merged_into
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Operating platforms a platform may be merged into: in the user's scope, not the platform itself.
/// Runtime SQL: the scope's filter is pushed at run time.
pub async fn merge_targets(
    pool: &PgPool,
    scope: PlatformScope,
    exclude: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let mut qb: QueryBuilder<'_, Postgres> = QueryBuilder::new(
        "SELECT p.id, p.code || ' ' || p.name FROM platforms p WHERE p.stage = 'operating' AND p.id <> ",
    );
    qb.push_bind(exclude);
    super::platforms::push_scope(&mut qb, scope);
    qb.push(" ORDER BY p.code");
    qb.build_query_as().fetch_all(pool).await
}

/// The platforms merged into this one: `(id, code, name)`.
pub async fn merged_from(
    pool: &PgPool,
    platform_id: i64,
) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT id, code, name FROM platforms WHERE merged_into_id = $1 AND stage = 'merged' ORDER BY code",
        platform_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.code, r.name)).collect())
}
