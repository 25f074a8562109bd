//! A platform's support records (migration 0023): recognitions, technology transactions, enterprise-led
//! projects, investments and fund first-equity results.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_json::Value;
use sqlx::PgConnection;

use crate::domain::support::Recognition;
use crate::domain::support::records::{InvestmentKind, NewRecord, RecordKind, Rows};

/// Every platform's rows (all platforms when `ids` is `None`), one query per table.
pub async fn rows(
    conn: &mut PgConnection,
    ids: Option<&[i64]>,
) -> Result<HashMap<i64, Rows>, sqlx::Error> {
    let mut out: HashMap<i64, Rows> = HashMap::new();
    const SCOPE: &str = "($1::bigint[] IS NULL OR platform_id = ANY($1))";
    let recs: Vec<(i64, String, NaiveDate)> = sqlx::query_as(&format!(
        "SELECT platform_id, kind, recognised_on FROM support_recognitions WHERE {SCOPE} ORDER BY id"
    ))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, kind, date) in recs {
        if let Some(kind) = Recognition::parse(&kind) {
            out.entry(pid).or_default().recognitions.push((kind, date));
        }
    }
    let tx: Vec<(i64, i32, i64)> = sqlx::query_as(&format!(
        "SELECT platform_id, year, amount_yuan FROM support_tech_transactions WHERE {SCOPE} ORDER BY id"
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
        "SELECT platform_id, year, receipts_yuan FROM support_enterprise_projects WHERE {SCOPE} ORDER BY id"
    ))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, year, receipts) in projects {
        out.entry(pid).or_default().projects.push((year, receipts));
    }
    let inv: Vec<(i64, String, i32, i64)> = sqlx::query_as(&format!(
        "SELECT platform_id, kind, year, amount_yuan FROM support_investments WHERE {SCOPE} ORDER BY id"
    ))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, kind, year, amount) in inv {
        if let Some(kind) = InvestmentKind::parse(&kind) {
            out.entry(pid)
                .or_default()
                .investments
                .push((kind, year, amount));
        }
    }
    let funds: Vec<(i64, i32, i32)> = sqlx::query_as(&format!(
        "SELECT platform_id, year, results FROM support_fund_results WHERE {SCOPE} ORDER BY id"
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
    pub kind: String,
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
    pub kind: String,
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
        recognitions: sqlx::query_as(
            "SELECT r.id, r.kind, r.recognised_on, r.issuing_body, r.document_ref, r.document_id,
                    d.title AS document_title
             FROM support_recognitions r LEFT JOIN documents d ON d.id = r.document_id
             WHERE r.platform_id = $1 ORDER BY r.recognised_on DESC, r.id DESC",
        )
        .bind(platform_id)
        .fetch_all(&mut *conn)
        .await?,
        transactions: sqlx::query_as(
            "SELECT id, year, counterparty, amount_yuan FROM support_tech_transactions
             WHERE platform_id = $1 ORDER BY year DESC, id DESC",
        )
        .bind(platform_id)
        .fetch_all(&mut *conn)
        .await?,
        projects: sqlx::query_as(
            "SELECT id, name, enterprise, year, receipts_yuan FROM support_enterprise_projects
             WHERE platform_id = $1 ORDER BY year DESC, id DESC",
        )
        .bind(platform_id)
        .fetch_all(&mut *conn)
        .await?,
        investments: sqlx::query_as(
            "SELECT id, kind, year, amount_yuan, description FROM support_investments
             WHERE platform_id = $1 ORDER BY year DESC, id DESC",
        )
        .bind(platform_id)
        .fetch_all(&mut *conn)
        .await?,
        funds: sqlx::query_as(
            "SELECT id, year, results, description FROM support_fund_results
             WHERE platform_id = $1 ORDER BY year DESC, id DESC",
        )
        .bind(platform_id)
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
                let own: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM documents WHERE id = $1 AND platform_id = $2",
                )
                .bind(doc)
                .bind(platform_id)
                .fetch_optional(&mut *conn)
                .await?;
                if own.is_none() {
                    return Err(InsertError::ForeignDocument);
                }
            }
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO support_recognitions (platform_id, kind, recognised_on, issuing_body, document_ref, document_id)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (platform_id, kind) DO NOTHING RETURNING id",
            )
            .bind(platform_id)
            .bind(r.kind.as_str())
            .bind(r.recognised_on)
            .bind(&r.issuing_body)
            .bind(&r.document_ref)
            .bind(r.document_id)
            .fetch_optional(&mut *conn)
            .await?;
            id.ok_or(InsertError::DuplicateRecognition)?
        }
        NewRecord::Transaction(t) => {
            sqlx::query_scalar(
                "INSERT INTO support_tech_transactions (platform_id, year, counterparty, amount_yuan)
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(platform_id)
            .bind(t.year)
            .bind(&t.counterparty)
            .bind(t.amount_yuan)
            .fetch_one(&mut *conn)
            .await?
        }
        NewRecord::Project(p) => {
            sqlx::query_scalar(
                "INSERT INTO support_enterprise_projects (platform_id, name, enterprise, year, receipts_yuan)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(platform_id)
            .bind(&p.name)
            .bind(&p.enterprise)
            .bind(p.year)
            .bind(p.receipts_yuan)
            .fetch_one(&mut *conn)
            .await?
        }
        NewRecord::Investment(i) => {
            sqlx::query_scalar(
                "INSERT INTO support_investments (platform_id, kind, year, amount_yuan, description)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(platform_id)
            .bind(i.kind.as_str())
            .bind(i.year)
            .bind(i.amount_yuan)
            .bind(&i.description)
            .fetch_one(&mut *conn)
            .await?
        }
        NewRecord::Fund(f) => {
            sqlx::query_scalar(
                "INSERT INTO support_fund_results (platform_id, year, results, description)
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(platform_id)
            .bind(f.year)
            .bind(f.results)
            .bind(&f.description)
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
    sqlx::query_scalar(&format!(
        "DELETE FROM {} t WHERE id = $1 AND platform_id = $2 RETURNING to_jsonb(t) - 'created_at'",
        kind.table()
    ))
    .bind(rid)
    .bind(platform_id)
    .fetch_optional(conn)
    .await
}
