//! The year-end evaluation (年底评估): evaluations, evidence, expert assignments and scores, the year's
//! round with its objections, and the draft rectification case a 不合格 opens. Writes take the caller's
//! transaction (opened with `audit::begin`); state changes are guarded by the expected status in SQL so a
//! double submission changes nothing the second time.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use sqlx::{PgConnection, QueryBuilder};

use crate::domain::documents::DocumentKind;
use crate::domain::evaluation::{
    Assignment, EvalStatus, IntegrityRecord, ObjectionDraft, RoundStatus, ScoreDetail,
};
use crate::domain::platform::{Category, Level, Stage};
use crate::domain::scope::PlatformScope;
use crate::domain::scoring::{Grade, Values};

use super::platforms::push_scope;

/// A JSON object of numbers as indicator values; anything that is not a number is skipped.
pub fn values_of(v: &Value) -> Values {
    v.as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_f64().map(|n| (k.clone(), n)))
                .collect()
        })
        .unwrap_or_default()
}

// ---- evaluations ------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Evaluation {
    pub id: i64,
    pub platform_id: i64,
    pub year: i32,
    pub status: EvalStatus,
    pub actuals: Value,
    pub self_assessment: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub submitted_by_name: Option<String>,
    pub county_reviewed_at: Option<DateTime<Utc>>,
    pub county_reviewed_by_name: Option<String>,
    pub county_comment: String,
    pub city_reviewed_at: Option<DateTime<Utc>>,
    pub city_reviewed_by_name: Option<String>,
    pub city_comment: String,
    pub excluded_reason: String,
    pub config_version: Option<i32>,
    pub score_detail: Option<Value>,
    pub total_score: Option<f64>,
    pub rank: Option<i32>,
    pub grade: Option<Grade>,
    pub reward_yuan: Option<i64>,
    pub funding_coefficient: Option<f64>,
    pub lock_version: i32,
    pub reopened_until: Option<NaiveDate>,
    pub reopened_reason: String,
}

impl Evaluation {
    pub fn status(&self) -> EvalStatus {
        self.status
    }

    pub fn actual_values(&self) -> Values {
        values_of(&self.actuals)
    }

    /// The stored score detail, if it parses.
    pub fn detail(&self) -> Option<ScoreDetail> {
        self.score_detail
            .as_ref()
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    pub fn audit_json(&self) -> Value {
        json!({
            "id": self.id,
            "platform_id": self.platform_id,
            "year": self.year,
            "status": self.status,
            "actuals": self.actuals,
            "self_assessment": self.self_assessment,
            "county_comment": self.county_comment,
            "city_comment": self.city_comment,
            "excluded_reason": self.excluded_reason,
            "config_version": self.config_version,
            "total_score": self.total_score,
            "rank": self.rank,
            "grade": self.grade,
            "reward_yuan": self.reward_yuan,
            "funding_coefficient": self.funding_coefficient,
            "reopened_until": self.reopened_until,
            "lock_version": self.lock_version,
        })
    }
}

/// A platform's evaluation of `year`, if one was started.
pub async fn get(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
) -> Result<Option<Evaluation>, sqlx::Error> {
    evaluation(conn, Some(platform_id), None, year).await
}

/// Evaluation `id`, only if it belongs to `year`.
pub async fn get_in_year(
    conn: &mut PgConnection,
    id: i64,
    year: i32,
) -> Result<Option<Evaluation>, sqlx::Error> {
    evaluation(conn, None, Some(id), year).await
}

/// The evaluation of `year` of the platform or with the id given (one of them), with its people's names.
async fn evaluation(
    conn: &mut PgConnection,
    platform_id: Option<i64>,
    id: Option<i64>,
    year: i32,
) -> Result<Option<Evaluation>, sqlx::Error> {
    sqlx::query_as!(
        Evaluation,
        r#"SELECT e.id, e.platform_id, e.year, e.status AS "status: EvalStatus", e.actuals, e.self_assessment,
                  e.submitted_at, us.display_name AS "submitted_by_name?",
                  e.county_reviewed_at, uc.display_name AS "county_reviewed_by_name?", e.county_comment,
                  e.city_reviewed_at, ui.display_name AS "city_reviewed_by_name?", e.city_comment,
                  e.excluded_reason, e.config_version, e.score_detail, e.total_score, e.rank,
                  e.grade AS "grade: Grade", e.reward_yuan, e.funding_coefficient, e.lock_version,
                  e.reopened_until, e.reopened_reason
           FROM evaluations e
           LEFT JOIN users us ON us.id = e.submitted_by
           LEFT JOIN users uc ON uc.id = e.county_reviewed_by
           LEFT JOIN users ui ON ui.id = e.city_reviewed_by
           WHERE (e.platform_id = $1 OR e.id = $2) AND e.year = $3"#,
        platform_id,
        id,
        year
    )
    .fetch_optional(conn)
    .await
}

/// Locks the evaluation row of a platform and year (in the caller's transaction) and returns it.
pub async fn lock(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
) -> Result<Option<Evaluation>, sqlx::Error> {
    let id = sqlx::query_scalar!(
        "SELECT id FROM evaluations WHERE platform_id = $1 AND year = $2 FOR UPDATE",
        platform_id,
        year
    )
    .fetch_optional(&mut *conn)
    .await?;
    match id {
        Some(_) => get(conn, platform_id, year).await,
        None => Ok(None),
    }
}

/// Creates the draft evaluation of a platform and year if there is none; returns it locked.
pub async fn lock_or_create(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
) -> Result<Evaluation, sqlx::Error> {
    sqlx::query!(
        "INSERT INTO evaluations (platform_id, year) VALUES ($1, $2) ON CONFLICT (platform_id, year) DO NOTHING",
        platform_id,
        year
    )
    .execute(&mut *conn)
    .await?;
    lock(conn, platform_id, year)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

/// Saves the operator's draft if nobody saved in between (`lock_version`); false on a stale version.
pub async fn save_draft(
    conn: &mut PgConnection,
    id: i64,
    lock_version: i32,
    actuals: &Values,
    self_assessment: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE evaluations SET actuals = $3, self_assessment = $4, lock_version = lock_version + 1
         WHERE id = $1 AND lock_version = $2 AND status IN ('draft', 'county_returned', 'city_returned')",
        id,
        lock_version,
        json!(actuals),
        self_assessment
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the evidence documents of an evaluation.
pub async fn set_evidence(
    conn: &mut PgConnection,
    evaluation_id: i64,
    document_ids: &[i64],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM evaluation_evidence WHERE evaluation_id = $1",
        evaluation_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO evaluation_evidence (evaluation_id, document_id) SELECT $1, unnest($2::bigint[])",
        evaluation_id,
        document_ids
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves an evaluation from `from` to `to`; false if it was not in `from` any more.
pub async fn set_status(
    conn: &mut PgConnection,
    id: i64,
    from: EvalStatus,
    to: EvalStatus,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE evaluations SET status = $3, lock_version = lock_version + 1 WHERE id = $1 AND status = $2",
        id,
        from as EvalStatus,
        to as EvalStatus
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The operator's submission: who and when (`first_submitted_at` keeps the first one: a resubmission
/// after a return does not move the year's evaluation date).
pub async fn record_submission(
    conn: &mut PgConnection,
    id: i64,
    by: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE evaluations SET submitted_at = now(), submitted_by = $2,
                first_submitted_at = coalesce(first_submitted_at, now())
         WHERE id = $1",
        id,
        by
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A county review (pass or return) with its comment.
pub async fn record_county_review(
    conn: &mut PgConnection,
    id: i64,
    by: i64,
    comment: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE evaluations SET county_reviewed_at = now(), county_reviewed_by = $2, county_comment = $3 WHERE id = $1",
        id,
        by,
        comment
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A city review (pass or return) with its comment.
pub async fn record_city_review(
    conn: &mut PgConnection,
    id: i64,
    by: i64,
    comment: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE evaluations SET city_reviewed_at = now(), city_reviewed_by = $2, city_comment = $3 WHERE id = $1",
        id,
        by,
        comment
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks an evaluation not evaluated (INTEG-BAN), with the reason; false if already graded or excluded.
pub async fn exclude(conn: &mut PgConnection, id: i64, reason: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE evaluations SET status = 'excluded', excluded_reason = $2, total_score = NULL, rank = NULL,
                grade = NULL, lock_version = lock_version + 1
         WHERE id = $1 AND status NOT IN ('scored', 'excluded')",
        id,
        reason
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Staff allow a late first submission until `until`.
pub async fn reopen(
    conn: &mut PgConnection,
    id: i64,
    until: NaiveDate,
    reason: &str,
    by: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE evaluations SET reopened_until = $2, reopened_reason = $3, reopened_by = $4,
                lock_version = lock_version + 1
         WHERE id = $1",
        id,
        until,
        reason,
        by
    )
    .execute(conn)
    .await?;
    Ok(())
}

// ---- what an evaluation is built from -----------------------------------------------------

/// A platform document offered as evidence.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Doc {
    pub id: i64,
    pub kind: DocumentKind,
    pub title: String,
    pub created_at: DateTime<Utc>,
}

/// The platform's documents, newest first.
pub async fn platform_documents(
    conn: &mut PgConnection,
    platform_id: i64,
) -> Result<Vec<Doc>, sqlx::Error> {
    sqlx::query_as!(
        Doc,
        r#"SELECT id, kind AS "kind: DocumentKind", title, created_at FROM documents WHERE platform_id = $1
           ORDER BY created_at DESC, id DESC"#,
        platform_id
    )
    .fetch_all(conn)
    .await
}

/// Of `ids`, those that are documents of the platform.
pub async fn documents_of_platform(
    conn: &mut PgConnection,
    platform_id: i64,
    ids: &[i64],
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM documents WHERE platform_id = $1 AND id = ANY($2) ORDER BY id",
        platform_id,
        ids
    )
    .fetch_all(conn)
    .await
}

/// The evidence documents of an evaluation.
pub async fn evidence(
    conn: &mut PgConnection,
    evaluation_id: i64,
) -> Result<Vec<Doc>, sqlx::Error> {
    sqlx::query_as!(
        Doc,
        r#"SELECT d.id, d.kind AS "kind: DocumentKind", d.title, d.created_at FROM evaluation_evidence x
           JOIN documents d ON d.id = x.document_id WHERE x.evaluation_id = $1 ORDER BY d.id"#,
        evaluation_id
    )
    .fetch_all(conn)
    .await
}

/// The platform's integrity records (for the INTEG-BAN bar).
pub async fn integrity_records(
    conn: &mut PgConnection,
    platform_id: i64,
) -> Result<Vec<IntegrityRecord>, sqlx::Error> {
    sqlx::query_as!(
        IntegrityRecord,
        "SELECT occurred_on, serious FROM integrity_records WHERE platform_id = $1",
        platform_id
    )
    .fetch_all(conn)
    .await
}

/// The targets of the platform's APPROVED filing for `year` (latest approved version), if any.
pub async fn approved_targets(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
) -> Result<Option<Values>, sqlx::Error> {
    let targets = sqlx::query_scalar!(
        "SELECT targets FROM filings WHERE platform_id = $1 AND year = $2 AND status = 'approved'
         ORDER BY version DESC LIMIT 1",
        platform_id,
        year
    )
    .fetch_optional(conn)
    .await?;
    Ok(targets.as_ref().map(values_of))
}

// ---- the round ----------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Round {
    pub year: i32,
    pub status: RoundStatus,
    pub config_version: Option<i32>,
    pub proposed_at: Option<DateTime<Utc>>,
    pub notice_starts: Option<NaiveDate>,
    pub notice_ends: Option<NaiveDate>,
    pub published_at: Option<DateTime<Utc>>,
    pub lock_version: i32,
}

impl Round {
    pub fn status(&self) -> RoundStatus {
        self.status
    }

    pub fn audit_json(&self) -> Value {
        json!({
            "year": self.year,
            "status": self.status,
            "config_version": self.config_version,
            "notice_starts": self.notice_starts,
            "notice_ends": self.notice_ends,
        })
    }
}

/// The year's round; an `open` one when nothing was done yet (not stored).
pub async fn round(conn: &mut PgConnection, year: i32) -> Result<Round, sqlx::Error> {
    let r = sqlx::query_as!(
        Round,
        r#"SELECT year, status AS "status: RoundStatus", config_version, proposed_at, notice_starts,
                  notice_ends, published_at, lock_version
           FROM evaluation_rounds WHERE year = $1"#,
        year
    )
    .fetch_optional(conn)
    .await?;
    Ok(r.unwrap_or(Round {
        year,
        status: RoundStatus::Open,
        config_version: None,
        proposed_at: None,
        notice_starts: None,
        notice_ends: None,
        published_at: None,
        lock_version: 0,
    }))
}

/// The year's round, created if needed and locked for the caller's transaction.
pub async fn lock_round(conn: &mut PgConnection, year: i32) -> Result<Round, sqlx::Error> {
    sqlx::query!(
        "INSERT INTO evaluation_rounds (year) VALUES ($1) ON CONFLICT (year) DO NOTHING",
        year
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query_as!(
        Round,
        r#"SELECT year, status AS "status: RoundStatus", config_version, proposed_at, notice_starts,
                  notice_ends, published_at, lock_version
           FROM evaluation_rounds WHERE year = $1 FOR UPDATE"#,
        year
    )
    .fetch_one(conn)
    .await
}

/// The round's lock without creating it: the round in force for a platform's evaluation step.
pub async fn round_for_update(conn: &mut PgConnection, year: i32) -> Result<Round, sqlx::Error> {
    let r = sqlx::query_as!(
        Round,
        r#"SELECT year, status AS "status: RoundStatus", config_version, proposed_at, notice_starts,
                  notice_ends, published_at, lock_version
           FROM evaluation_rounds WHERE year = $1 FOR SHARE"#,
        year
    )
    .fetch_optional(&mut *conn)
    .await?;
    match r {
        Some(r) => Ok(r),
        None => round(conn, year).await,
    }
}

pub async fn round_proposed(
    conn: &mut PgConnection,
    year: i32,
    config_version: i32,
    by: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE evaluation_rounds SET status = 'proposed', config_version = $2, proposed_at = now(), proposed_by = $3,
                notice_starts = NULL, notice_ends = NULL, lock_version = lock_version + 1
         WHERE year = $1",
        year,
        config_version,
        by
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn round_notice(
    conn: &mut PgConnection,
    year: i32,
    starts: NaiveDate,
    ends: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE evaluation_rounds SET status = 'notice', notice_starts = $2, notice_ends = $3,
                lock_version = lock_version + 1
         WHERE year = $1",
        year,
        starts,
        ends
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn round_published(
    conn: &mut PgConnection,
    year: i32,
    by: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE evaluation_rounds SET status = 'published', published_at = now(), published_by = $2,
                lock_version = lock_version + 1
         WHERE year = $1",
        year,
        by
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Back to `open`: the proposed grades are cleared and the graded evaluations return to `city_passed`.
pub async fn round_withdrawn(conn: &mut PgConnection, year: i32) -> Result<u64, sqlx::Error> {
    sqlx::query!(
        "UPDATE evaluation_rounds SET status = 'open', notice_starts = NULL, notice_ends = NULL,
                lock_version = lock_version + 1
         WHERE year = $1",
        year
    )
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query!(
        "UPDATE evaluations SET status = 'city_passed', total_score = NULL, rank = NULL, grade = NULL,
                lock_version = lock_version + 1
         WHERE year = $1 AND status = 'scored'",
        year
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// One evaluation of the year with its platform and expert progress, for the round page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoundRow {
    pub id: i64,
    pub platform_id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction_name: String,
    pub level: Level,
    pub category: Option<Category>,
    pub stage: Stage,
    pub status: EvalStatus,
    pub actuals: Value,
    pub submitted_at: Option<DateTime<Utc>>,
    pub excluded_reason: String,
    pub score_detail: Option<Value>,
    pub total_score: Option<f64>,
    pub rank: Option<i32>,
    pub grade: Option<Grade>,
    pub reward_yuan: Option<i64>,
    pub funding_coefficient: Option<f64>,
}

impl RoundRow {
    pub fn status(&self) -> EvalStatus {
        self.status
    }

    pub fn detail(&self) -> Option<ScoreDetail> {
        self.score_detail
            .as_ref()
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }
}

/// Every evaluation of `year` the scope may see, by platform code. Runtime SQL: the scope's filter
/// is pushed at run time (`push_scope`).
pub async fn list_year(
    conn: &mut PgConnection,
    year: i32,
    scope: PlatformScope,
) -> Result<Vec<RoundRow>, sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "SELECT e.id, e.platform_id, p.code, p.name, j.name AS jurisdiction_name, p.level, p.category, p.stage,
                e.status, e.actuals, e.submitted_at, e.excluded_reason, e.score_detail, e.total_score, e.rank,
                e.grade, e.reward_yuan, e.funding_coefficient
         FROM evaluations e JOIN platforms p ON p.id = e.platform_id
         JOIN jurisdictions j ON j.id = p.jurisdiction_id
         WHERE e.year = ",
    );
    qb.push_bind(year);
    push_scope(&mut qb, scope);
    qb.push(" ORDER BY p.code, e.id");
    qb.build_query_as().fetch_all(conn).await
}

/// Operating platforms in scope that have not started their evaluation of `year`: `(id, code, name)`.
/// Runtime SQL: the scope's filter is pushed at run time (`push_scope`).
pub async fn not_started(
    conn: &mut PgConnection,
    year: i32,
    scope: PlatformScope,
) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "SELECT p.id, p.code, p.name FROM platforms p
         WHERE p.stage IN ('operating', 'rectifying')
           AND NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.platform_id = p.id AND e.year = ",
    );
    qb.push_bind(year).push(")");
    push_scope(&mut qb, scope);
    qb.push(" ORDER BY p.code");
    qb.build_query_as().fetch_all(conn).await
}

/// Number of the year's evaluations submitted but not through the reviews.
pub async fn count_in_review(conn: &mut PgConnection, year: i32) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM evaluations
           WHERE year = $1 AND status IN ('submitted', 'county_passed')"#,
        year
    )
    .fetch_one(conn)
    .await
}

/// Stores a score detail (quantitative step) without touching the status.
pub async fn store_quantitative(
    conn: &mut PgConnection,
    id: i64,
    config_version: i32,
    detail: &ScoreDetail,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE evaluations SET config_version = $2, score_detail = $3, lock_version = lock_version + 1
         WHERE id = $1 AND status = 'city_passed'",
        id,
        config_version,
        json!(detail)
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores the final score and the proposed rank and grade: `city_passed` → `scored`.
pub async fn store_proposed(
    conn: &mut PgConnection,
    id: i64,
    detail: &ScoreDetail,
    rank: i32,
    grade: Grade,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE evaluations SET status = 'scored', config_version = $2, score_detail = $3, total_score = $4,
                rank = $5, grade = $6, reward_yuan = NULL, funding_coefficient = NULL,
                lock_version = lock_version + 1
         WHERE id = $1 AND status IN ('city_passed', 'scored')",
        id,
        detail.config_version,
        json!(detail),
        detail.score.total,
        rank,
        grade as Grade
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores the published result on a graded evaluation.
pub async fn store_published(
    conn: &mut PgConnection,
    id: i64,
    rank: i32,
    grade: Grade,
    reward_yuan: i64,
    funding_coefficient: f64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE evaluations SET rank = $2, grade = $3, reward_yuan = $4, funding_coefficient = $5,
                lock_version = lock_version + 1
         WHERE id = $1 AND status = 'scored'",
        id,
        rank,
        grade as Grade,
        reward_yuan,
        funding_coefficient
    )
    .execute(conn)
    .await?;
    Ok(())
}

// ---- experts ------------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssignmentRow {
    pub id: i64,
    pub evaluation_id: i64,
    pub expert_id: i64,
    pub expert_name: String,
    pub conflict: Option<bool>,
    pub conflict_note: String,
    pub declared_at: Option<DateTime<Utc>>,
    pub submitted_at: Option<DateTime<Utc>>,
}

impl AssignmentRow {
    pub fn state(&self) -> Assignment {
        Assignment {
            conflict: self.conflict,
            submitted: self.submitted_at.is_some(),
        }
    }
}

/// Every assignment of the year's evaluations.
pub async fn assignments_for_year(
    conn: &mut PgConnection,
    year: i32,
) -> Result<Vec<AssignmentRow>, sqlx::Error> {
    assignments(conn, Some(year), None).await
}

/// The assignments of one evaluation.
pub async fn assignments_of(
    conn: &mut PgConnection,
    evaluation_id: i64,
) -> Result<Vec<AssignmentRow>, sqlx::Error> {
    assignments(conn, None, Some(evaluation_id)).await
}

/// The assignments of the year's evaluations or of one evaluation (one of them given).
async fn assignments(
    conn: &mut PgConnection,
    year: Option<i32>,
    evaluation_id: Option<i64>,
) -> Result<Vec<AssignmentRow>, sqlx::Error> {
    sqlx::query_as!(
        AssignmentRow,
        "SELECT a.id, a.evaluation_id, a.expert_id, u.display_name AS expert_name,
                a.conflict, a.conflict_note, a.declared_at, a.submitted_at
         FROM expert_assignments a JOIN users u ON u.id = a.expert_id
         JOIN evaluations e ON e.id = a.evaluation_id
         WHERE e.year = $1 OR a.evaluation_id = $2 ORDER BY a.id",
        year,
        evaluation_id
    )
    .fetch_all(conn)
    .await
}

/// Each assignment of an evaluation with its scores, for `score_platform`.
pub async fn scores_for_evaluation(
    conn: &mut PgConnection,
    evaluation_id: i64,
) -> Result<Vec<(Assignment, Values)>, sqlx::Error> {
    let assignments = assignments_of(conn, evaluation_id).await?;
    let rows = sqlx::query!(
        "SELECT s.assignment_id, s.indicator_key, s.score FROM expert_scores s
         JOIN expert_assignments a ON a.id = s.assignment_id WHERE a.evaluation_id = $1",
        evaluation_id
    )
    .fetch_all(conn)
    .await?;
    Ok(assignments
        .iter()
        .map(|a| {
            let scores = rows
                .iter()
                .filter(|r| r.assignment_id == a.id)
                .map(|r| (r.indicator_key.clone(), r.score))
                .collect();
            (a.state(), scores)
        })
        .collect())
}

/// Active expert accounts: `(id, display name, username)`.
pub async fn experts(conn: &mut PgConnection) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT id, display_name, username FROM users WHERE role = 'expert' AND NOT disabled
           ORDER BY display_name COLLATE "zh-Hans-x-icu", id"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.display_name, r.username))
        .collect())
}

/// Assigns an expert; the unique constraint `expert_assignments_key` refuses a second assignment of the same one.
pub async fn assign(
    conn: &mut PgConnection,
    evaluation_id: i64,
    expert_id: i64,
    by: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO expert_assignments (evaluation_id, expert_id, assigned_by) VALUES ($1, $2, $3) RETURNING id",
        evaluation_id,
        expert_id,
        by
    )
    .fetch_one(conn)
    .await
}

/// An assignment as its expert sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MyAssignment {
    pub id: i64,
    pub evaluation_id: i64,
    pub platform_id: i64,
    pub year: i32,
    pub platform_code: String,
    pub platform_name: String,
    pub category: Option<Category>,
    pub eval_status: EvalStatus,
    pub conflict: Option<bool>,
    pub conflict_note: String,
    pub declared_at: Option<DateTime<Utc>>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub assigned_at: DateTime<Utc>,
    pub round_status: Option<RoundStatus>,
}

impl MyAssignment {
    pub fn state(&self) -> Assignment {
        Assignment {
            conflict: self.conflict,
            submitted: self.submitted_at.is_some(),
        }
    }

    pub fn round(&self) -> RoundStatus {
        self.round_status.unwrap_or(RoundStatus::Open)
    }
}

/// The expert's own assignments, newest year first.
pub async fn my_assignments(
    conn: &mut PgConnection,
    expert_id: i64,
) -> Result<Vec<MyAssignment>, sqlx::Error> {
    assignments_of_expert(conn, expert_id, None).await
}

/// One assignment, only if it is the expert's own (otherwise `None`: a 404, never someone else's).
pub async fn my_assignment(
    conn: &mut PgConnection,
    id: i64,
    expert_id: i64,
) -> Result<Option<MyAssignment>, sqlx::Error> {
    Ok(assignments_of_expert(conn, expert_id, Some(id))
        .await?
        .pop())
}

/// The expert's assignments (only assignment `id`, if given), newest year first.
async fn assignments_of_expert(
    conn: &mut PgConnection,
    expert_id: i64,
    id: Option<i64>,
) -> Result<Vec<MyAssignment>, sqlx::Error> {
    sqlx::query_as!(
        MyAssignment,
        r#"SELECT a.id, a.evaluation_id, e.platform_id, e.year, p.code AS platform_code,
                  p.name AS platform_name, p.category AS "category: Category",
                  e.status AS "eval_status: EvalStatus", a.conflict, a.conflict_note, a.declared_at,
                  a.submitted_at, a.assigned_at, r.status AS "round_status?: RoundStatus"
           FROM expert_assignments a
           JOIN evaluations e ON e.id = a.evaluation_id
           JOIN platforms p ON p.id = e.platform_id
           LEFT JOIN evaluation_rounds r ON r.year = e.year
           WHERE a.expert_id = $1 AND ($2::bigint IS NULL OR a.id = $2)
           ORDER BY e.year DESC, p.code"#,
        expert_id,
        id
    )
    .fetch_all(conn)
    .await
}

/// Locks the expert's own assignment for a write.
pub async fn lock_my_assignment(
    conn: &mut PgConnection,
    id: i64,
    expert_id: i64,
) -> Result<Option<MyAssignment>, sqlx::Error> {
    let found = sqlx::query_scalar!(
        "SELECT id FROM expert_assignments WHERE id = $1 AND expert_id = $2 FOR UPDATE",
        id,
        expert_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    match found {
        Some(_) => my_assignment(conn, id, expert_id).await,
        None => Ok(None),
    }
}

/// Records the conflict declaration, once.
pub async fn declare(
    conn: &mut PgConnection,
    id: i64,
    conflict: bool,
    note: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE expert_assignments SET conflict = $2, conflict_note = $3, declared_at = now()
         WHERE id = $1 AND conflict IS NULL",
        id,
        conflict,
        note
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The scores of one assignment.
pub async fn scores(conn: &mut PgConnection, assignment_id: i64) -> Result<Values, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT indicator_key, score FROM expert_scores WHERE assignment_id = $1",
        assignment_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.indicator_key, r.score))
        .collect())
}

/// Replaces an assignment's scores.
pub async fn save_scores(
    conn: &mut PgConnection,
    assignment_id: i64,
    scores: &Values,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM expert_scores WHERE assignment_id = $1",
        assignment_id
    )
    .execute(&mut *conn)
    .await?;
    let keys: Vec<String> = scores.keys().cloned().collect();
    let values: Vec<f64> = scores.values().copied().collect();
    sqlx::query!(
        "INSERT INTO expert_scores (assignment_id, indicator_key, score)
         SELECT $1, k, s FROM unnest($2::text[], $3::float8[]) AS t(k, s)",
        assignment_id,
        &keys,
        &values
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Makes the scores final; false if they already were.
pub async fn submit_scores(
    conn: &mut PgConnection,
    assignment_id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE expert_assignments SET submitted_at = now() WHERE id = $1 AND submitted_at IS NULL AND conflict = false",
        assignment_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

// ---- objections ---------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ObjectionRow {
    pub id: i64,
    pub platform_id: i64,
    pub platform_name: String,
    pub raised_by: String,
    pub raised_on: NaiveDate,
    pub content: String,
    pub response: String,
    pub responded_by_name: Option<String>,
    pub responded_at: Option<DateTime<Utc>>,
    pub recorded_by_name: Option<String>,
}

impl ObjectionRow {
    pub fn answered(&self) -> bool {
        self.responded_at.is_some()
    }
}

/// The year's objections the scope may see, oldest first. Runtime SQL: the scope's filter is pushed
/// at run time (`push_scope`).
pub async fn objections(
    conn: &mut PgConnection,
    year: i32,
    scope: PlatformScope,
) -> Result<Vec<ObjectionRow>, sqlx::Error> {
    let mut qb = QueryBuilder::new(
        "SELECT o.id, o.platform_id, p.name AS platform_name, o.raised_by, o.raised_on, o.content, o.response,
                ur.display_name AS responded_by_name, o.responded_at, uc.display_name AS recorded_by_name
         FROM objections o JOIN platforms p ON p.id = o.platform_id
         LEFT JOIN users ur ON ur.id = o.responded_by
         LEFT JOIN users uc ON uc.id = o.recorded_by
         WHERE o.year = ",
    );
    qb.push_bind(year);
    push_scope(&mut qb, scope);
    qb.push(" ORDER BY o.raised_on, o.id");
    qb.build_query_as().fetch_all(conn).await
}

pub async fn count_unanswered(conn: &mut PgConnection, year: i32) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM objections WHERE year = $1 AND responded_at IS NULL"#,
        year
    )
    .fetch_one(conn)
    .await
}

pub async fn insert_objection(
    conn: &mut PgConnection,
    year: i32,
    platform_id: i64,
    o: &ObjectionDraft,
    by: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO objections (year, platform_id, raised_by, raised_on, content, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        year,
        platform_id,
        &o.raised_by,
        o.raised_on,
        &o.content,
        by
    )
    .fetch_one(conn)
    .await
}

/// Answers an objection of `year` once; `None` if there is no such objection, `Some(false)` if already answered.
pub async fn answer_objection(
    conn: &mut PgConnection,
    id: i64,
    year: i32,
    response: &str,
    by: i64,
) -> Result<Option<(bool, i64)>, sqlx::Error> {
    let found = sqlx::query!(
        "SELECT platform_id, responded_at FROM objections WHERE id = $1 AND year = $2 FOR UPDATE",
        id,
        year
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(found) = found else {
        return Ok(None);
    };
    if found.responded_at.is_some() {
        return Ok(Some((false, found.platform_id)));
    }
    sqlx::query!(
        "UPDATE objections SET response = $2, responded_by = $3, responded_at = now() WHERE id = $1",
        id,
        response,
        by
    )
    .execute(conn)
    .await?;
    Ok(Some((true, found.platform_id)))
}

// ---- results application --------------------------------------------------------------------

/// The rectification case publishing opened for the platform's 不合格 of `year`, if any:
/// `(id, still a draft)`.
pub async fn fail_case(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
) -> Result<Option<(i64, bool)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT id, status = 'draft' AS "draft!" FROM rectification_cases
           WHERE platform_id = $1 AND source = $2 ORDER BY id LIMIT 1"#,
        platform_id,
        format!("evaluation:{year}")
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.id, r.draft)))
}

/// Whether objection `id` was raised in `year`.
pub async fn objection_exists(
    conn: &mut PgConnection,
    id: i64,
    year: i32,
) -> Result<bool, sqlx::Error> {
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM objections WHERE id = $1 AND year = $2) AS "exists!""#,
        id,
        year
    )
    .fetch_one(conn)
    .await?;
    Ok(exists)
}

/// The platform's open or draft rectification case, if any.
pub async fn open_case(
    conn: &mut PgConnection,
    platform_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM rectification_cases WHERE platform_id = $1 AND status IN ('draft', 'open') LIMIT 1",
        platform_id
    )
    .fetch_optional(conn)
    .await
}

/// Opens a DRAFT rectification case for a 不合格 (triggers `{fail_grade}`, source `evaluation:{year}`).
pub async fn insert_fail_case(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
    trigger_note: &str,
    plan_summary: &str,
    by: Option<i64>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO rectification_cases (platform_id, status, triggers, trigger_note, plan_summary, source, opened_by)
         VALUES ($1, 'draft', '{fail_grade}', $2, $3, $4, $5) RETURNING id",
        platform_id,
        trigger_note,
        plan_summary,
        format!("evaluation:{year}"),
        by
    )
    .fetch_one(conn)
    .await
}

/// The years that have evaluations or a round, newest first, with the round's status.
pub async fn years(
    conn: &mut PgConnection,
) -> Result<Vec<(i32, Option<RoundStatus>, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT y.year AS "year!", r.status AS "status?: RoundStatus",
                  (SELECT count(*) FROM evaluations e WHERE e.year = y.year) AS "count!"
           FROM (SELECT year FROM evaluations UNION SELECT year FROM evaluation_rounds) y
           LEFT JOIN evaluation_rounds r ON r.year = y.year
           ORDER BY y.year DESC"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.year, r.status, r.count))
        .collect())
}
