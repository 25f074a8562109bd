//! Funds to recover after a 退/转/并 decision, and the recoveries (追回) recorded against them: directly
//! (`fund_recoveries`) or on a support claim paid to the platform (`support_claims.recover_case_id`). A
//! decision's recovered total is `kc_case_recovered` (both books), what it has committed `kc_case_committed`
//! (plus the claims still being recovered); see `domain::support::claims` for why each yuan is held once.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};

use crate::domain::platform::Stage;
use crate::domain::recovery::RecoveryDraft;
use crate::domain::rectification::CaseStatus;
use crate::domain::rectification::DecisionKind;
use crate::domain::scope::PlatformRef;
use crate::domain::support::claims::ClaimStatus;

/// The database's own cap (trigger `fund_recoveries_guard`): recovered never above the amount to recover.
pub const WITHIN_DUE: &str = "fund_recoveries_within_due";

/// A decided case with funds to recover.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueRow {
    pub case_id: i64,
    pub platform_id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction_id: i32,
    pub jurisdiction_name: String,
    pub advisor_id: Option<i64>,
    pub stage: Stage,
    pub decision: Option<DecisionKind>,
    pub decided_at: Option<DateTime<Utc>>,
    pub funds_to_recover: i64,
    pub funds_basis: String,
    pub agreement_end: Option<NaiveDate>,
    /// Recovered directly and on claims.
    pub recovered: i64,
    /// Recovered, plus claims still being recovered under the decision.
    pub committed: i64,
}

impl DueRow {
    pub fn scope_ref(&self) -> PlatformRef {
        PlatformRef {
            id: self.platform_id,
            jurisdiction_id: self.jurisdiction_id,
            advisor_id: self.advisor_id,
        }
    }
}

/// Every decided case with funds to recover (> 0): still outstanding first, then by platform code.
pub async fn due(pool: &PgPool) -> Result<Vec<DueRow>, sqlx::Error> {
    sqlx::query_as!(
        DueRow,
        // The derived table's columns carry no nullability: `!` states what the WHERE and the
        // tables guarantee.
        r#"SELECT d.case_id AS "case_id!", d.platform_id AS "platform_id!", d.code AS "code!",
                d.name AS "name!", d.jurisdiction_id AS "jurisdiction_id!",
                d.jurisdiction_name AS "jurisdiction_name!", d.advisor_id, d.stage AS "stage!: Stage",
                d.decision AS "decision: DecisionKind", d.decided_at, d.funds_to_recover AS "funds_to_recover!",
                d.funds_basis AS "funds_basis!", d.agreement_end, d.recovered AS "recovered!",
                d.committed AS "committed!"
         FROM (
            SELECT c.id AS case_id, p.id AS platform_id, p.code, p.name, p.jurisdiction_id,
                   j.name AS jurisdiction_name, p.advisor_id, p.stage, c.decision, c.signed_off_at AS decided_at,
                   c.funds_to_recover, c.funds_basis, c.agreement_end,
                   kc_case_recovered(c.id) AS recovered, kc_case_committed(c.id) AS committed
            FROM rectification_cases c
            JOIN platforms p ON p.id = c.platform_id
            JOIN jurisdictions j ON j.id = p.jurisdiction_id
            WHERE c.status = 'decided' AND c.funds_to_recover > 0
         ) d
         ORDER BY d.recovered >= d.funds_to_recover, d.code, d.case_id"#
    )
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct RecoveryRow {
    pub id: i64,
    pub case_id: i64,
    pub recovered_on: NaiveDate,
    pub amount: i64,
    pub voucher: String,
    pub note: String,
    pub recorded_by_name: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// The recoveries of these cases, oldest first.
pub async fn recoveries(pool: &PgPool, case_ids: &[i64]) -> Result<Vec<RecoveryRow>, sqlx::Error> {
    sqlx::query_as!(
        RecoveryRow,
        r#"SELECT r.id, r.case_id, r.recovered_on, r.amount, r.voucher, r.note,
                u.display_name AS "recorded_by_name?", r.recorded_at
         FROM fund_recoveries r LEFT JOIN users u ON u.id = r.recorded_by
         WHERE r.case_id = ANY($1) ORDER BY r.recovered_on, r.id"#,
        case_ids
    )
    .fetch_all(pool)
    .await
}

/// Locks the case against concurrent recoveries and returns `(status, funds_to_recover, recovered or
/// committed on claims, decided on (Beijing))`, or `None` if it is not this platform's case.
pub async fn lock_case(
    conn: &mut PgConnection,
    platform_id: i64,
    case_id: i64,
) -> Result<Option<(CaseStatus, Option<i64>, i64, Option<NaiveDate>)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT status AS "status: CaseStatus", funds_to_recover,
                (signed_off_at AT TIME ZONE 'Asia/Shanghai')::date AS decided_on
         FROM rectification_cases WHERE id = $1 AND platform_id = $2 FOR UPDATE"#,
        case_id,
        platform_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    // Directly, on claims, and on claims still being recovered: what remains is what may be recorded.
    let recovered = sqlx::query_scalar!(r#"SELECT kc_case_committed($1) AS "committed!""#, case_id)
        .fetch_one(conn)
        .await?;
    Ok(Some((
        row.status,
        row.funds_to_recover,
        recovered,
        row.decided_on,
    )))
}

pub async fn insert(
    conn: &mut PgConnection,
    platform_id: i64,
    case_id: i64,
    d: &RecoveryDraft,
    user_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO fund_recoveries (case_id, platform_id, recovered_on, amount, voucher, note, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        case_id,
        platform_id,
        d.recovered_on,
        d.amount,
        &d.voucher,
        &d.note,
        user_id
    )
    .fetch_one(conn)
    .await
}

/// A claim's recovery under a decision, as `/recovery` lists it beside the direct recoveries.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimRecoveryRow {
    pub case_id: i64,
    pub claim_id: i64,
    pub platform_id: i64,
    pub programme: String,
    pub status: ClaimStatus,
    pub recover_yuan: i64,
    pub recovered_on: Option<NaiveDate>,
    pub recovered_yuan: Option<i64>,
}

/// The claims recovered (or being recovered) under these cases, oldest first.
pub async fn claim_recoveries(
    pool: &PgPool,
    case_ids: &[i64],
) -> Result<Vec<ClaimRecoveryRow>, sqlx::Error> {
    sqlx::query_as!(
        ClaimRecoveryRow,
        r#"SELECT recover_case_id AS "case_id!", id AS claim_id, platform_id, programme,
                status AS "status: ClaimStatus", recover_yuan AS "recover_yuan!", recovered_on, recovered_yuan
         FROM support_claims WHERE recover_case_id = ANY($1) ORDER BY id"#,
        case_ids
    )
    .fetch_all(pool)
    .await
}

/// A signed-off 退/转/并 decision of the platform with funds still to recover (a claim's 追回 may rest on it).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenDecision {
    pub case_id: i64,
    pub decision: Option<DecisionKind>,
    pub decided_on: Option<NaiveDate>,
    pub funds_to_recover: i64,
    pub funds_basis: String,
    pub committed: i64,
}

/// The platform's decisions with funds still to recover (recovered and committed below the amount).
pub async fn open_decisions(
    conn: &mut PgConnection,
    platform_id: i64,
) -> Result<Vec<OpenDecision>, sqlx::Error> {
    sqlx::query_as!(
        OpenDecision,
        r#"SELECT d.case_id AS "case_id!", d.decision AS "decision: DecisionKind", d.decided_on,
                d.funds_to_recover AS "funds_to_recover!", d.funds_basis AS "funds_basis!",
                d.committed AS "committed!"
         FROM (
            SELECT id AS case_id, decision, (signed_off_at AT TIME ZONE 'Asia/Shanghai')::date AS decided_on,
                   funds_to_recover, funds_basis, kc_case_committed(id) AS committed
            FROM rectification_cases
            WHERE platform_id = $1 AND status = 'decided' AND funds_to_recover > 0
         ) d WHERE d.committed < d.funds_to_recover ORDER BY d.case_id"#,
        platform_id
    )
    .fetch_all(conn)
    .await
}

/// The platform's serious integrity violations (JY 新型研发机构 四(四): 按规定追回有关财政资金).
pub async fn serious_violations(
    conn: &mut PgConnection,
    platform_id: i64,
) -> Result<Vec<(i64, NaiveDate, String)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT id, occurred_on, description FROM integrity_records
         WHERE platform_id = $1 AND serious ORDER BY occurred_on, id",
        platform_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.occurred_on, r.description))
        .collect())
}
