//! The policy library: `policies` and `policy_clauses`, filled from the texts embedded in the binary
//! ([`crate::domain::policy_text`]) by [`sync`] at start-up, and read by the policy pages.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

use super::audit::{self, Actor};
use crate::domain::policy_text::{ClauseKind, Policy, PolicyRole, PolicyStatus, library};

/// Serialises concurrent syncs (several app servers starting at once).
const SYNC_LOCK: i64 = 0x006b_6370_6f6c_6963; // "kcpolic"

/// What a sync changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// Policies inserted or updated (their row, or any of their clauses).
    pub policies_changed: Vec<String>,
    /// Policies no longer embedded, removed with their clauses.
    pub policies_removed: Vec<String>,
    /// Clause rows inserted or updated.
    pub clauses_written: u64,
    /// Clause rows deleted (no longer in their policy's text).
    pub clauses_deleted: u64,
}

impl SyncReport {
    pub fn is_noop(&self) -> bool {
        *self == SyncReport::default()
    }
}

/// The SHA-256 of an embedded text, hex.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Makes the tables equal to the embedded library: upserts every policy and clause, deletes what is
/// no longer there, touches nothing that is already equal (so a second run changes nothing), and
/// records each changed policy in the audit trail. One transaction, as `system`.
#[tracing::instrument(skip(pool))]
pub async fn sync(pool: &PgPool) -> Result<SyncReport, sqlx::Error> {
    let actor = Actor::system("policy-sync");
    let mut tx = audit::begin(pool, &actor).await?;
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", SYNC_LOCK)
        .execute(&mut *tx)
        .await?;
    let mut report = SyncReport::default();
    for (i, policy) in library().iter().enumerate() {
        sync_policy(&mut tx, &actor, policy, i as i32 + 1, &mut report).await?;
    }
    let keep: Vec<&str> = library().iter().map(Policy::short_id).collect();
    let removed: Vec<String> = sqlx::query_scalar!(
        "DELETE FROM policies WHERE short_id <> ALL($1) RETURNING short_id",
        &keep as &[&str]
    )
    .fetch_all(&mut *tx)
    .await?;
    for short_id in &removed {
        audit::record(
            &mut tx,
            &actor,
            "policy.remove",
            "policy",
            Some(short_id.clone()),
            None,
            None,
        )
        .await?;
    }
    report.policies_removed = removed;
    if !report.is_noop() {
        super::data_changed(&mut tx).await?;
    }
    tx.commit().await?;
    if report.is_noop() {
        tracing::info!("policy library up to date");
    } else {
        tracing::info!(
            changed = ?report.policies_changed,
            removed = ?report.policies_removed,
            clauses_written = report.clauses_written,
            clauses_deleted = report.clauses_deleted,
            "policy library synchronised"
        );
    }
    Ok(report)
}

async fn sync_policy(
    conn: &mut PgConnection,
    actor: &Actor,
    policy: &Policy,
    sort_order: i32,
    report: &mut SyncReport,
) -> Result<(), sqlx::Error> {
    let short_id = policy.short_id();
    let sha = sha256_hex(policy.source.text);
    let before = sqlx::query!(
        r#"SELECT source_sha256,
                  (SELECT count(*) FROM policy_clauses c WHERE c.policy = p.short_id) AS "clauses!"
           FROM policies p WHERE short_id = $1"#,
        short_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| (r.source_sha256, r.clauses));

    let meta = &policy.meta;
    let row_changed = sqlx::query!(
        "INSERT INTO policies (short_id, title, issuer, number, issued_on, published_on, validity, status,
                               role, jurisdiction, purpose, note, preamble, source_file, source_sha256, sort_order)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (short_id) DO UPDATE SET
             title = EXCLUDED.title, issuer = EXCLUDED.issuer, number = EXCLUDED.number,
             issued_on = EXCLUDED.issued_on, published_on = EXCLUDED.published_on,
             validity = EXCLUDED.validity, status = EXCLUDED.status, role = EXCLUDED.role,
             jurisdiction = EXCLUDED.jurisdiction, purpose = EXCLUDED.purpose, note = EXCLUDED.note,
             preamble = EXCLUDED.preamble, source_file = EXCLUDED.source_file,
             source_sha256 = EXCLUDED.source_sha256, sort_order = EXCLUDED.sort_order, synced_at = now()
         WHERE (policies.title, policies.issuer, policies.number, policies.issued_on, policies.published_on,
                policies.validity, policies.status, policies.role, policies.jurisdiction, policies.purpose,
                policies.note, policies.preamble, policies.source_file, policies.source_sha256,
                policies.sort_order)
               IS DISTINCT FROM
               (EXCLUDED.title, EXCLUDED.issuer, EXCLUDED.number, EXCLUDED.issued_on, EXCLUDED.published_on,
                EXCLUDED.validity, EXCLUDED.status, EXCLUDED.role, EXCLUDED.jurisdiction, EXCLUDED.purpose,
                EXCLUDED.note, EXCLUDED.preamble, EXCLUDED.source_file, EXCLUDED.source_sha256,
                EXCLUDED.sort_order)",
        short_id,
        policy.title(),
        meta.issuer.as_deref(),
        meta.number.as_deref(),
        meta.issued_on,
        meta.published_on,
        meta.validity.as_deref(),
        policy.status() as PolicyStatus,
        policy.source.role as PolicyRole,
        policy.source.jurisdiction_zh,
        policy.source.purpose_zh,
        policy.source.note_zh,
        policy.preamble,
        policy.source.file,
        sha,
        sort_order
    )
    .execute(&mut *conn)
    .await?
    .rows_affected()
        > 0;

    let clauses = &policy.clauses;
    let ids: Vec<&str> = clauses.iter().map(|c| c.id.as_str()).collect();
    let parents: Vec<Option<&str>> = clauses.iter().map(|c| c.parent.as_deref()).collect();
    let kinds: Vec<&str> = clauses.iter().map(|c| c.kind.as_str()).collect();
    let levels: Vec<i16> = clauses.iter().map(|c| c.kind.level()).collect();
    let ordinals: Vec<i32> = (1..=clauses.len() as i32).collect();
    let anchors: Vec<&str> = clauses.iter().map(|c| c.anchor.as_str()).collect();
    let headings: Vec<&str> = clauses.iter().map(|c| c.heading.as_str()).collect();
    let texts: Vec<&str> = clauses.iter().map(|c| c.text.as_str()).collect();
    let written = sqlx::query!(
        "INSERT INTO policy_clauses (policy, clause_id, parent_id, kind, level, ordinal, anchor, heading, text)
         SELECT $1, * FROM UNNEST($2::text[], $3::text[], $4::text[], $5::int2[], $6::int4[], $7::text[],
                                  $8::text[], $9::text[])
         ON CONFLICT (policy, clause_id) DO UPDATE SET
             parent_id = EXCLUDED.parent_id, kind = EXCLUDED.kind, level = EXCLUDED.level,
             ordinal = EXCLUDED.ordinal, anchor = EXCLUDED.anchor, heading = EXCLUDED.heading,
             text = EXCLUDED.text
         WHERE (policy_clauses.parent_id, policy_clauses.kind, policy_clauses.level, policy_clauses.ordinal,
                policy_clauses.anchor, policy_clauses.heading, policy_clauses.text)
               IS DISTINCT FROM
               (EXCLUDED.parent_id, EXCLUDED.kind, EXCLUDED.level, EXCLUDED.ordinal, EXCLUDED.anchor,
                EXCLUDED.heading, EXCLUDED.text)",
        short_id,
        &ids as &[&str],
        &parents as &[Option<&str>],
        &kinds as &[&str],
        &levels,
        &ordinals,
        &anchors as &[&str],
        &headings as &[&str],
        &texts as &[&str]
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let deleted = sqlx::query!(
        "DELETE FROM policy_clauses WHERE policy = $1 AND clause_id <> ALL($2)",
        short_id,
        &ids as &[&str]
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();

    if row_changed || written > 0 || deleted > 0 {
        report.policies_changed.push(short_id.to_owned());
        report.clauses_written += written;
        report.clauses_deleted += deleted;
        audit::record(
            conn,
            actor,
            "policy.sync",
            "policy",
            Some(short_id.to_owned()),
            before.map(|(sha, n)| json!({"source_sha256": sha, "clauses": n})),
            Some(json!({
                "source_sha256": sha,
                "title": policy.title(),
                "status": policy.status().as_str(),
                "clauses": clauses.len(),
                "clauses_written": written,
                "clauses_deleted": deleted,
            })),
        )
        .await?;
    }
    Ok(())
}

// ---- reads ------------------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PolicyRow {
    pub short_id: String,
    pub title: String,
    pub issuer: Option<String>,
    pub number: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub published_on: Option<NaiveDate>,
    pub validity: Option<String>,
    pub status: PolicyStatus,
    pub role: PolicyRole,
    pub jurisdiction: String,
    pub purpose: String,
    pub note: String,
    pub preamble: String,
    pub source_file: String,
    pub source_sha256: String,
    pub synced_at: DateTime<Utc>,
    pub clause_count: i64,
}

/// Every policy, in library order.
#[tracing::instrument(skip(pool))]
pub async fn list(pool: &PgPool) -> Result<Vec<PolicyRow>, sqlx::Error> {
    sqlx::query_as!(
        PolicyRow,
        r#"SELECT p.short_id, p.title, p.issuer, p.number, p.issued_on, p.published_on, p.validity,
                  p.status AS "status: PolicyStatus", p.role AS "role: PolicyRole", p.jurisdiction, p.purpose,
                  p.note, p.preamble, p.source_file, p.source_sha256, p.synced_at,
                  (SELECT count(*) FROM policy_clauses c WHERE c.policy = p.short_id) AS "clause_count!"
           FROM policies p ORDER BY p.sort_order, p.short_id"#
    )
    .fetch_all(pool)
    .await
}

#[tracing::instrument(skip(pool))]
pub async fn get(pool: &PgPool, short_id: &str) -> Result<Option<PolicyRow>, sqlx::Error> {
    sqlx::query_as!(
        PolicyRow,
        r#"SELECT p.short_id, p.title, p.issuer, p.number, p.issued_on, p.published_on, p.validity,
                  p.status AS "status: PolicyStatus", p.role AS "role: PolicyRole", p.jurisdiction, p.purpose,
                  p.note, p.preamble, p.source_file, p.source_sha256, p.synced_at,
                  (SELECT count(*) FROM policy_clauses c WHERE c.policy = p.short_id) AS "clause_count!"
           FROM policies p WHERE p.short_id = $1"#,
        short_id
    )
    .fetch_optional(pool)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClauseRow {
    pub policy: String,
    pub clause_id: String,
    pub parent_id: Option<String>,
    pub kind: ClauseKind,
    pub level: i16,
    pub ordinal: i32,
    pub anchor: String,
    pub heading: String,
    pub text: String,
}

/// A policy's clauses in document order.
#[tracing::instrument(skip(pool))]
pub async fn clauses(pool: &PgPool, short_id: &str) -> Result<Vec<ClauseRow>, sqlx::Error> {
    sqlx::query_as!(
        ClauseRow,
        r#"SELECT policy, clause_id, parent_id, kind AS "kind: ClauseKind", level, ordinal, anchor, heading, text
           FROM policy_clauses WHERE policy = $1 ORDER BY ordinal"#,
        short_id
    )
    .fetch_all(pool)
    .await
}

/// A cited clause with its sub-clauses (all levels, document order).
#[derive(Debug, Clone)]
pub struct CitedClause {
    pub clause: ClauseRow,
    pub descendants: Vec<ClauseRow>,
}

/// The clauses named by `(policy, clause_id)` keys, each with its sub-clauses; keys not in the
/// library are left out.
#[tracing::instrument(skip(pool))]
pub async fn cited(pool: &PgPool, keys: &[(&str, &str)]) -> Result<Vec<CitedClause>, sqlx::Error> {
    let policies: Vec<&str> = keys.iter().map(|(p, _)| *p).collect();
    let ids: Vec<&str> = keys.iter().map(|(_, c)| *c).collect();
    let rows: Vec<(String, ClauseRow)> = sqlx::query_as!(
        RootedClause,
        r#"WITH RECURSIVE tree AS (
             SELECT c.*, c.clause_id AS root
             FROM policy_clauses c
             JOIN UNNEST($1::text[], $2::text[]) AS w(policy, clause_id) USING (policy, clause_id)
             UNION ALL
             SELECT c.*, t.root
             FROM policy_clauses c JOIN tree t ON c.policy = t.policy AND c.parent_id = t.clause_id
         )
         SELECT root AS "root!", policy AS "policy!", clause_id AS "clause_id!", parent_id,
                kind AS "kind!: ClauseKind", level AS "level!", ordinal AS "ordinal!", anchor AS "anchor!",
                heading AS "heading!", text AS "text!"
         FROM tree ORDER BY policy, root, ordinal"#,
        &policies as &[&str],
        &ids as &[&str]
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.root.clone(), r.into()))
    .collect();
    Ok(keys
        .iter()
        .filter_map(|(policy, id)| {
            let mut mine = rows
                .iter()
                .filter(|(root, c)| c.policy == *policy && root == id)
                .map(|(_, c)| c.clone());
            let clause = mine.find(|c| c.clause_id == *id)?;
            Some(CitedClause {
                clause,
                descendants: mine.collect(),
            })
        })
        .collect())
}

struct RootedClause {
    root: String,
    policy: String,
    clause_id: String,
    parent_id: Option<String>,
    kind: ClauseKind,
    level: i16,
    ordinal: i32,
    anchor: String,
    heading: String,
    text: String,
}

impl From<RootedClause> for ClauseRow {
    fn from(r: RootedClause) -> ClauseRow {
        ClauseRow {
            policy: r.policy,
            clause_id: r.clause_id,
            parent_id: r.parent_id,
            kind: r.kind,
            level: r.level,
            ordinal: r.ordinal,
            anchor: r.anchor,
            heading: r.heading,
            text: r.text,
        }
    }
}
