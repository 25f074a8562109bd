//! A platform's support records (migration 0023): recognitions, technology transactions, enterprise-led
//! projects, investments and fund first-equity results.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_json::Value;
use sqlx::PgConnection;

use crate::domain::support::Recognition;
use crate::domain::support::claims::ClaimStatus;
use crate::domain::support::records::{InvestmentKind, NewRecord, RecordKind, Rows};

/// Every platform's rows (all platforms when `ids` is `None`), one query per table.
pub async fn rows(
    conn: &mut PgConnection,
    ids: Option<&[i64]>,
) -> Result<HashMap<i64, Rows>, sqlx::Error> {
    let mut out: HashMap<i64, Rows> = HashMap::new();
    // Runtime SQL: the WHERE clause is one of two texts chosen at run time (`snapshot::platforms_in`:
    // one for some platforms, one for all, so that each gets its own plan). The kinds decode typed.
    let scope = super::snapshot::platforms_in(ids, "platform_id");
    let recs: Vec<(i64, Recognition, NaiveDate)> = sqlx::query_as(&format!(
        "SELECT platform_id, kind, recognised_on FROM support_recognitions WHERE {scope} ORDER BY id"
    ))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, kind, date) in recs {
        out.entry(pid).or_default().recognitions.push((kind, date));
    }
    let tx: Vec<(i64, i32, i64)> = sqlx::query_as(&format!(
        "SELECT platform_id, year, amount_yuan FROM support_tech_transactions WHERE {scope} ORDER BY id"
    ))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, year, amount) in tx {
        out.entry(pid)
            .or_default()
            .transactions
            .push((year, amount));
    }
    let projects: Vec<(i64, i32, i64)> = sqlx::query_as(&format!(
        "SELECT platform_id, year, receipts_yuan FROM support_enterprise_projects WHERE {scope} ORDER BY id"
    ))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, year, receipts) in projects {
        out.entry(pid).or_default().projects.push((year, receipts));
    }
    let inv: Vec<(i64, InvestmentKind, i32, i64)> = sqlx::query_as(&format!(
        "SELECT platform_id, kind, year, amount_yuan FROM support_investments WHERE {scope} ORDER BY id"
    ))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, kind, year, amount) in inv {
        out.entry(pid)
            .or_default()
            .investments
            .push((kind, year, amount));
    }
    let funds: Vec<(i64, i32, i32)> = sqlx::query_as(&format!(
        "SELECT platform_id, year, results FROM support_fund_results WHERE {scope} ORDER BY id"
    ))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, year, results) in funds {
        out.entry(pid)
            .or_default()
            .funds
            .push((year, i64::from(results)));
    }
    Ok(out)
}

/// A recognition as listed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecognitionRow {
    pub id: i64,
    pub kind: Recognition,
    pub recognised_on: NaiveDate,
    pub issuing_body: String,
    pub document_ref: String,
    pub document_id: Option<i64>,
    pub document_title: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TransactionRow {
    pub id: i64,
    pub year: i32,
    pub counterparty: String,
    pub amount_yuan: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProjectRow {
    pub id: i64,
    pub name: String,
    pub enterprise: String,
    pub year: i32,
    pub receipts_yuan: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvestmentRow {
    pub id: i64,
    pub kind: InvestmentKind,
    pub year: i32,
    pub amount_yuan: i64,
    pub description: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FundRow {
    pub id: i64,
    pub year: i32,
    pub results: i32,
    pub description: String,
}

/// A platform's records for its support page.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub recognitions: Vec<RecognitionRow>,
    pub transactions: Vec<TransactionRow>,
    pub projects: Vec<ProjectRow>,
    pub investments: Vec<InvestmentRow>,
    pub funds: Vec<FundRow>,
}

/// The platform's records, newest year first.
pub async fn listing(conn: &mut PgConnection, platform_id: i64) -> Result<Listing, sqlx::Error> {
    Ok(Listing {
        recognitions: sqlx::query_as!(
            RecognitionRow,
            r#"SELECT r.id, r.kind AS "kind: Recognition", r.recognised_on, r.issuing_body, r.document_ref,
                      r.document_id, d.title AS "document_title?"
               FROM support_recognitions r LEFT JOIN documents d ON d.id = r.document_id
               WHERE r.platform_id = $1 ORDER BY r.recognised_on DESC, r.id DESC"#,
            platform_id
        )
        .fetch_all(&mut *conn)
        .await?,
        transactions: sqlx::query_as!(
            TransactionRow,
            "SELECT id, year, counterparty, amount_yuan FROM support_tech_transactions
             WHERE platform_id = $1 ORDER BY year DESC, id DESC",
            platform_id
        )
        .fetch_all(&mut *conn)
        .await?,
        projects: sqlx::query_as!(
            ProjectRow,
            "SELECT id, name, enterprise, year, receipts_yuan FROM support_enterprise_projects
             WHERE platform_id = $1 ORDER BY year DESC, id DESC",
            platform_id
        )
        .fetch_all(&mut *conn)
        .await?,
        investments: sqlx::query_as!(
            InvestmentRow,
            r#"SELECT id, kind AS "kind: InvestmentKind", year, amount_yuan, description FROM support_investments
               WHERE platform_id = $1 ORDER BY year DESC, id DESC"#,
            platform_id
        )
        .fetch_all(&mut *conn)
        .await?,
        funds: sqlx::query_as!(
            FundRow,
            "SELECT id, year, results, description FROM support_fund_results
             WHERE platform_id = $1 ORDER BY year DESC, id DESC",
            platform_id
        )
        .fetch_all(&mut *conn)
        .await?,
    })
}

/// Why a record was not stored.
#[derive(Debug)]
pub enum InsertError {
    /// The platform already holds this recognition.
    DuplicateRecognition,
    /// The linked document is not one of the platform's.
    ForeignDocument,
    Db(sqlx::Error),
}

impl From<sqlx::Error> for InsertError {
    fn from(e: sqlx::Error) -> Self {
        InsertError::Db(e)
    }
}

/// Stores a record of the platform; its id.
pub async fn insert(
    conn: &mut PgConnection,
    platform_id: i64,
    record: &NewRecord,
) -> Result<i64, InsertError> {
    Ok(match record {
        NewRecord::Recognition(r) => {
            if let Some(doc) = r.document_id {
                let own = sqlx::query_scalar!(
                    "SELECT id FROM documents WHERE id = $1 AND platform_id = $2",
                    doc,
                    platform_id
                )
                .fetch_optional(&mut *conn)
                .await?;
                if own.is_none() {
                    return Err(InsertError::ForeignDocument);
                }
            }
            let id = sqlx::query_scalar!(
                "INSERT INTO support_recognitions (platform_id, kind, recognised_on, issuing_body, document_ref, document_id)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (platform_id, kind) DO NOTHING RETURNING id",
                platform_id,
                r.kind as Recognition,
                r.recognised_on,
                r.issuing_body,
                r.document_ref,
                r.document_id
            )
            .fetch_optional(&mut *conn)
            .await?;
            id.ok_or(InsertError::DuplicateRecognition)?
        }
        NewRecord::Transaction(t) => {
            sqlx::query_scalar!(
                "INSERT INTO support_tech_transactions (platform_id, year, counterparty, amount_yuan)
                 VALUES ($1, $2, $3, $4) RETURNING id",
                platform_id,
                t.year,
                t.counterparty,
                t.amount_yuan
            )
            .fetch_one(&mut *conn)
            .await?
        }
        NewRecord::Project(p) => {
            sqlx::query_scalar!(
                "INSERT INTO support_enterprise_projects (platform_id, name, enterprise, year, receipts_yuan)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                platform_id,
                p.name,
                p.enterprise,
                p.year,
                p.receipts_yuan
            )
            .fetch_one(&mut *conn)
            .await?
        }
        NewRecord::Investment(i) => {
            sqlx::query_scalar!(
                "INSERT INTO support_investments (platform_id, kind, year, amount_yuan, description)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                platform_id,
                i.kind as InvestmentKind,
                i.year,
                i.amount_yuan,
                i.description
            )
            .fetch_one(&mut *conn)
            .await?
        }
        NewRecord::Fund(f) => {
            sqlx::query_scalar!(
                "INSERT INTO support_fund_results (platform_id, year, results, description)
                 VALUES ($1, $2, $3, $4) RETURNING id",
                platform_id,
                f.year,
                f.results,
                f.description
            )
            .fetch_one(&mut *conn)
            .await?
        }
    })
}

/// The stored row as JSON (for the audit record); `None` if it is not this platform's.
pub async fn row_json(
    conn: &mut PgConnection,
    kind: RecordKind,
    platform_id: i64,
    rid: i64,
) -> Result<Option<Value>, sqlx::Error> {
    // Runtime SQL: the table is the record kind's, chosen at run time.
    sqlx::query_scalar(&format!(
        "SELECT to_jsonb(t) - 'created_at' FROM {} t WHERE id = $1 AND platform_id = $2",
        kind.table()
    ))
    .bind(rid)
    .bind(platform_id)
    .fetch_optional(conn)
    .await
}

/// Deletes a row of the platform; the row as it was, or `None` if it is not this platform's.
pub async fn delete(
    conn: &mut PgConnection,
    kind: RecordKind,
    platform_id: i64,
    rid: i64,
) -> Result<Option<Value>, sqlx::Error> {
    // Runtime SQL: the table is the record kind's, chosen at run time.
    sqlx::query_scalar(&format!(
        "DELETE FROM {} t WHERE id = $1 AND platform_id = $2 RETURNING to_jsonb(t) - 'created_at'",
        kind.table()
    ))
    .bind(rid)
    .bind(platform_id)
    .fetch_optional(conn)
    .await
}

// ---- claims (migration 0024) ----

/// The database's cap on a claim's 追回 under a decision (trigger `support_claims_recovery_guard`).
pub const RECOVER_WITHIN_DUE: &str = "support_claims_recover_within_due";

/// A claim as listed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimRow {
    pub id: i64,
    pub programme: String,
    pub as_of: NaiveDate,
    pub computed_yuan: i64,
    pub up_to: bool,
    pub document_id: i64,
    pub document_title: String,
    pub note: String,
    pub status: ClaimStatus,
    pub submitted_by: Option<String>,
    pub granted_yuan: Option<i64>,
    pub review_note: String,
    pub reviewed_by: Option<String>,
    pub paid_on: Option<NaiveDate>,
    pub paid_yuan: Option<i64>,
    pub voucher_no: Option<String>,
    pub recover_yuan: Option<i64>,
    pub recover_reason: Option<String>,
    pub recovered_on: Option<NaiveDate>,
    pub recovered_yuan: Option<i64>,
    /// The basis of the 追回 (migration 0027): a 退/转/并 decision's case, or a serious integrity violation.
    pub recover_case_id: Option<i64>,
    pub recover_integrity_id: Option<i64>,
    pub version: i32,
}

/// The platform's claims, newest first.
pub async fn claims(
    conn: &mut PgConnection,
    platform_id: i64,
) -> Result<Vec<ClaimRow>, sqlx::Error> {
    claims_where(conn, platform_id, None).await
}

/// One claim of the platform.
pub async fn claim(
    conn: &mut PgConnection,
    platform_id: i64,
    cid: i64,
) -> Result<Option<ClaimRow>, sqlx::Error> {
    Ok(claims_where(conn, platform_id, Some(cid)).await?.pop())
}

/// The platform's claims (only claim `claim_id`, if given), newest first.
async fn claims_where(
    conn: &mut PgConnection,
    platform_id: i64,
    claim_id: Option<i64>,
) -> Result<Vec<ClaimRow>, sqlx::Error> {
    sqlx::query_as!(
        ClaimRow,
        r#"SELECT c.id, c.programme, c.as_of, c.computed_yuan, c.up_to, c.document_id,
                  d.title AS document_title, c.note, c.status AS "status: ClaimStatus",
                  su.display_name AS "submitted_by?", c.granted_yuan, c.review_note,
                  ru.display_name AS "reviewed_by?", c.paid_on, c.paid_yuan, c.voucher_no, c.recover_yuan,
                  c.recover_reason, c.recovered_on, c.recovered_yuan, c.recover_case_id, c.recover_integrity_id,
                  c.version
           FROM support_claims c JOIN documents d ON d.id = c.document_id
           LEFT JOIN users su ON su.id = c.submitted_by LEFT JOIN users ru ON ru.id = c.reviewed_by
           WHERE c.platform_id = $1 AND ($2::bigint IS NULL OR c.id = $2)
           ORDER BY c.submitted_at DESC, c.id DESC"#,
        platform_id,
        claim_id
    )
    .fetch_all(conn)
    .await
}

/// The claim row as JSON (for the audit record).
pub async fn claim_json(conn: &mut PgConnection, cid: i64) -> Result<Option<Value>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT to_jsonb(c) AS "json!" FROM support_claims c WHERE id = $1"#,
        cid
    )
    .fetch_optional(conn)
    .await
}

/// Files a claim (申报); its id.
#[allow(clippy::too_many_arguments)]
pub async fn insert_claim(
    conn: &mut PgConnection,
    platform_id: i64,
    claim: &crate::domain::support::claims::NewClaim,
    as_of: NaiveDate,
    computed_yuan: i64,
    up_to: bool,
    user_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO support_claims (platform_id, programme, as_of, computed_yuan, up_to, document_id, note, submitted_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        platform_id,
        claim.programme,
        as_of,
        computed_yuan,
        up_to,
        claim.document_id,
        claim.note,
        user_id
    )
    .fetch_one(conn)
    .await
}

/// Applies a step to the claim if it is still in the step's starting status at `version`; whether it did.
pub async fn apply_step(
    conn: &mut PgConnection,
    platform_id: i64,
    cid: i64,
    version: i32,
    step: crate::domain::support::claims::ClaimStep,
    input: &crate::domain::support::claims::StepInput,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    use crate::domain::support::claims::StepInput;
    // One statement per step: each sets its own columns, guarded by the claim's version and the
    // step's starting status.
    let from = step.from_status();
    let done = match input {
        StepInput::Review { granted_yuan, note } => {
            sqlx::query!(
                "UPDATE support_claims SET status = CASE WHEN $5::bigint IS NULL THEN 'rejected' ELSE 'approved' END,
                        granted_yuan = $5, review_note = $6, reviewed_by = $7, reviewed_at = now(),
                        version = version + 1
                 WHERE id = $1 AND platform_id = $2 AND version = $3 AND status = $4",
                cid,
                platform_id,
                version,
                from as ClaimStatus,
                *granted_yuan,
                note,
                user_id
            )
            .execute(conn)
            .await?
        }
        StepInput::Pay {
            paid_on,
            paid_yuan,
            voucher_no,
        } => {
            sqlx::query!(
                "UPDATE support_claims SET status = 'paid', paid_on = $5, paid_yuan = $6, voucher_no = $7,
                        version = version + 1
                 WHERE id = $1 AND platform_id = $2 AND version = $3 AND status = $4",
                cid,
                platform_id,
                version,
                from as ClaimStatus,
                *paid_on,
                *paid_yuan,
                voucher_no
            )
            .execute(conn)
            .await?
        }
        StepInput::Recover {
            recover_yuan,
            reason,
            basis,
        } => {
            sqlx::query!(
                "UPDATE support_claims SET status = 'recovering', recover_yuan = $5, recover_reason = $6,
                        recover_case_id = $7, recover_integrity_id = $8, version = version + 1
                 WHERE id = $1 AND platform_id = $2 AND version = $3 AND status = $4",
                cid,
                platform_id,
                version,
                from as ClaimStatus,
                *recover_yuan,
                reason,
                basis.case_id(),
                basis.integrity_id()
            )
            .execute(conn)
            .await?
        }
        StepInput::Recovered {
            recovered_on,
            recovered_yuan,
        } => {
            sqlx::query!(
                "UPDATE support_claims SET status = 'recovered', recovered_on = $5, recovered_yuan = $6,
                        version = version + 1
                 WHERE id = $1 AND platform_id = $2 AND version = $3 AND status = $4",
                cid,
                platform_id,
                version,
                from as ClaimStatus,
                *recovered_on,
                *recovered_yuan
            )
            .execute(conn)
            .await?
        }
    };
    Ok(done.rows_affected() == 1)
}
