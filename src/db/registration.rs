//! The registration dossier (设立登记): the `registrations` row, decision bodies and members,
//! the operating / industrialization companies and their shareholders, the dossier's documents
//! on file, and the facts the lifecycle guard approves the registration against.
//!
//! Every sub-record is looked up together with its platform (`… AND platform_id = $1`), so an
//! id from another platform is simply not found.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use sqlx::types::Json;

use crate::domain::documents::DocumentKind;
use crate::domain::lifecycle::LifecycleFacts;
use crate::domain::platform::{Category, DecisionBodyKind, Stage};
use crate::domain::registration::{
    self, BodyDraft, Charter, CompanyDraft, Contribution, MemberDraft, OperatingMode, PlanDraft,
    ReviewAction, ReviewStatus, Section, SharePct, ShareholderDraft, Stake,
};

// ---- the registrations row ----------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Registration {
    pub platform_id: i64,
    pub charter_status: Charter,
    pub plan_targets: String,
    pub operating_modes: Vec<OperatingMode>,
    pub approved_at: Option<DateTime<Utc>>,
    pub approved_by: Option<i64>,
    pub approved_by_name: Option<String>,
    pub version: i32,
    /// Where the dossier is in its review.
    pub status: ReviewStatus,
}

impl Registration {
    /// The modes ticked, in the form's order, each once.
    pub fn modes(&self) -> Vec<OperatingMode> {
        OperatingMode::ALL
            .iter()
            .copied()
            .filter(|m| self.operating_modes.contains(m))
            .collect()
    }

    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "charter_status": self.charter_status, "plan_targets": self.plan_targets,
            "operating_modes": self.operating_modes, "approved_at": self.approved_at,
            "approved_by": self.approved_by, "version": self.version, "status": self.status,
        })
    }
}

pub async fn get(
    conn: &mut PgConnection,
    platform_id: i64,
) -> Result<Option<Registration>, sqlx::Error> {
    sqlx::query_as!(
        Registration,
        r#"SELECT r.platform_id, r.charter_status AS "charter_status: Charter", r.plan_targets,
                  r.operating_modes AS "operating_modes: Vec<OperatingMode>", r.approved_at, r.approved_by,
                  u.display_name AS "approved_by_name?", r.version, r.status AS "status: ReviewStatus"
           FROM registrations r LEFT JOIN users u ON u.id = r.approved_by
           WHERE r.platform_id = $1"#,
        platform_id
    )
    .fetch_optional(conn)
    .await
}

/// The row, locked until the transaction ends (writes to the dossier's own row go through it).
pub async fn lock(
    conn: &mut PgConnection,
    platform_id: i64,
) -> Result<Option<Registration>, sqlx::Error> {
    sqlx::query_as!(
        Registration,
        r#"SELECT r.platform_id, r.charter_status AS "charter_status: Charter", r.plan_targets,
                  r.operating_modes AS "operating_modes: Vec<OperatingMode>", r.approved_at, r.approved_by,
                  u.display_name AS "approved_by_name?", r.version, r.status AS "status: ReviewStatus"
           FROM registrations r LEFT JOIN users u ON u.id = r.approved_by
           WHERE r.platform_id = $1
           FOR UPDATE OF r"#,
        platform_id
    )
    .fetch_optional(conn)
    .await
}

/// Sets the charter status. The version guards the plan form only, so it is left alone.
pub async fn set_charter(
    conn: &mut PgConnection,
    platform_id: i64,
    status: Charter,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE registrations SET charter_status = $2 WHERE platform_id = $1",
        platform_id,
        status as Charter
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Saves the plan targets and operating modes if the row is still at `version`; `false` means
/// somebody else saved first.
pub async fn update_plan(
    conn: &mut PgConnection,
    platform_id: i64,
    version: i32,
    d: &PlanDraft,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE registrations SET plan_targets = $3, operating_modes = $4, version = version + 1
         WHERE platform_id = $1 AND version = $2",
        platform_id,
        version,
        d.plan_targets,
        &d.modes as &[OperatingMode]
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

// ---- documents on file --------------------------------------------------------------------

/// The latest document of a kind (uploads live in `documents`; see the documents pages).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocRef {
    pub id: i64,
    pub kind: DocumentKind,
    pub title: String,
    pub created_at: DateTime<Utc>,
}

/// The dossier's three documents, each the latest of its kind, if any.
#[derive(Debug, Clone, Default)]
pub struct OnFile {
    pub charter: Option<DocRef>,
    pub agreement: Option<DocRef>,
    pub plan: Option<DocRef>,
}

pub const CHARTER_DOC: &str = "charter";
pub const AGREEMENT_DOC: &str = "co_building_agreement";
pub const PLAN_DOC: &str = "construction_plan";

pub async fn on_file(conn: &mut PgConnection, platform_id: i64) -> Result<OnFile, sqlx::Error> {
    let docs: Vec<DocRef> = sqlx::query_as!(
        DocRef,
        r#"SELECT DISTINCT ON (kind) id, kind AS "kind: DocumentKind", title, created_at FROM documents
           WHERE platform_id = $1 AND kind IN ('charter', 'co_building_agreement', 'construction_plan')
           ORDER BY kind, created_at DESC, id DESC"#,
        platform_id
    )
    .fetch_all(conn)
    .await?;
    let take = |kind: &str| docs.iter().find(|d| d.kind.as_str() == kind).cloned();
    Ok(OnFile {
        charter: take(CHARTER_DOC),
        agreement: take(AGREEMENT_DOC),
        plan: take(PLAN_DOC),
    })
}

// ---- decision bodies and members ----------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Body {
    pub id: i64,
    pub platform_id: i64,
    pub kind: DecisionBodyKind,
    pub name: String,
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Member {
    pub id: i64,
    pub body_id: i64,
    pub name: String,
    pub position: String,
    pub affiliation: String,
    pub is_chair: bool,
}

pub async fn bodies(conn: &mut PgConnection, platform_id: i64) -> Result<Vec<Body>, sqlx::Error> {
    sqlx::query_as!(
        Body,
        r#"SELECT id, platform_id, kind AS "kind: DecisionBodyKind", name FROM decision_bodies
           WHERE platform_id = $1 ORDER BY id"#,
        platform_id
    )
    .fetch_all(conn)
    .await
}

/// Every member of the platform's bodies: chairs first, then in the order entered.
pub async fn members(
    conn: &mut PgConnection,
    platform_id: i64,
) -> Result<Vec<Member>, sqlx::Error> {
    sqlx::query_as!(
        Member,
        "SELECT m.id, m.body_id, m.name, m.position, m.affiliation, m.is_chair
         FROM decision_body_members m JOIN decision_bodies b ON b.id = m.body_id
         WHERE b.platform_id = $1 ORDER BY m.body_id, m.is_chair DESC, m.id",
        platform_id
    )
    .fetch_all(conn)
    .await
}

pub async fn body(
    conn: &mut PgConnection,
    platform_id: i64,
    body_id: i64,
) -> Result<Option<Body>, sqlx::Error> {
    sqlx::query_as!(
        Body,
        r#"SELECT id, platform_id, kind AS "kind: DecisionBodyKind", name FROM decision_bodies
           WHERE id = $2 AND platform_id = $1"#,
        platform_id,
        body_id
    )
    .fetch_optional(conn)
    .await
}

pub async fn body_members(
    conn: &mut PgConnection,
    body_id: i64,
) -> Result<Vec<Member>, sqlx::Error> {
    sqlx::query_as!(
        Member,
        "SELECT id, body_id, name, position, affiliation, is_chair FROM decision_body_members
         WHERE body_id = $1 ORDER BY is_chair DESC, id",
        body_id
    )
    .fetch_all(conn)
    .await
}

pub async fn insert_body(
    conn: &mut PgConnection,
    platform_id: i64,
    d: &BodyDraft,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO decision_bodies (platform_id, kind, name) VALUES ($1, $2, $3) RETURNING id",
        platform_id,
        d.kind as DecisionBodyKind,
        d.name
    )
    .fetch_one(conn)
    .await
}

pub async fn update_body(
    conn: &mut PgConnection,
    body_id: i64,
    d: &BodyDraft,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE decision_bodies SET kind = $2, name = $3 WHERE id = $1",
        body_id,
        d.kind as DecisionBodyKind,
        d.name
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a body and (cascading) its members.
pub async fn delete_body(conn: &mut PgConnection, body_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM decision_bodies WHERE id = $1", body_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn member(
    conn: &mut PgConnection,
    platform_id: i64,
    member_id: i64,
) -> Result<Option<Member>, sqlx::Error> {
    sqlx::query_as!(
        Member,
        "SELECT m.id, m.body_id, m.name, m.position, m.affiliation, m.is_chair
         FROM decision_body_members m JOIN decision_bodies b ON b.id = m.body_id
         WHERE m.id = $2 AND b.platform_id = $1",
        platform_id,
        member_id
    )
    .fetch_optional(conn)
    .await
}

/// Fails with a unique violation on `decision_body_one_chair` for a second chair.
pub async fn insert_member(
    conn: &mut PgConnection,
    body_id: i64,
    d: &MemberDraft,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO decision_body_members (body_id, name, position, affiliation, is_chair)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        body_id,
        d.name,
        d.position,
        d.affiliation,
        d.is_chair
    )
    .fetch_one(conn)
    .await
}

/// Fails with a unique violation on `decision_body_one_chair` for a second chair.
pub async fn update_member(
    conn: &mut PgConnection,
    member_id: i64,
    d: &MemberDraft,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE decision_body_members SET name = $2, position = $3, affiliation = $4, is_chair = $5
         WHERE id = $1",
        member_id,
        d.name,
        d.position,
        d.affiliation,
        d.is_chair
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_member(conn: &mut PgConnection, member_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM decision_body_members WHERE id = $1", member_id)
        .execute(conn)
        .await?;
    Ok(())
}

// ---- companies and shareholders -----------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Company {
    pub id: i64,
    pub platform_id: i64,
    pub mode: OperatingMode,
    pub name: String,
    pub uscc: String,
    pub mgmt_cash_controlling: bool,
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Shareholder {
    pub id: i64,
    pub company_id: i64,
    pub name: String,
    /// Hundredths of a percent (the `numeric(5, 2)` column × 100, exact).
    pub share_hundredths: i32,
    pub contribution: Contribution,
    pub is_management: bool,
}

impl Shareholder {
    pub fn share(&self) -> SharePct {
        SharePct::from_hundredths(u32::try_from(self.share_hundredths).unwrap_or(0))
    }

    pub fn stake(&self) -> Stake {
        Stake {
            share: self.share(),
            contribution: self.contribution,
            is_management: self.is_management,
        }
    }
}

pub async fn companies(
    conn: &mut PgConnection,
    platform_id: i64,
) -> Result<Vec<Company>, sqlx::Error> {
    sqlx::query_as!(
        Company,
        r#"SELECT id, platform_id, mode AS "mode: OperatingMode", name, uscc, mgmt_cash_controlling
           FROM platform_companies WHERE platform_id = $1 ORDER BY mode"#,
        platform_id
    )
    .fetch_all(conn)
    .await
}

pub async fn company(
    conn: &mut PgConnection,
    platform_id: i64,
    company_id: i64,
) -> Result<Option<Company>, sqlx::Error> {
    sqlx::query_as!(
        Company,
        r#"SELECT id, platform_id, mode AS "mode: OperatingMode", name, uscc, mgmt_cash_controlling
           FROM platform_companies WHERE id = $2 AND platform_id = $1"#,
        platform_id,
        company_id
    )
    .fetch_optional(conn)
    .await
}

/// The company, locked until the transaction ends: shareholder changes are serialised per
/// company so that two at once cannot take the shares past 100%.
pub async fn lock_company(
    conn: &mut PgConnection,
    platform_id: i64,
    company_id: i64,
) -> Result<Option<Company>, sqlx::Error> {
    sqlx::query_as!(
        Company,
        r#"SELECT id, platform_id, mode AS "mode: OperatingMode", name, uscc, mgmt_cash_controlling
           FROM platform_companies WHERE id = $2 AND platform_id = $1 FOR UPDATE"#,
        platform_id,
        company_id
    )
    .fetch_optional(conn)
    .await
}

/// Every shareholder of the platform's companies.
pub async fn shareholders(
    conn: &mut PgConnection,
    platform_id: i64,
) -> Result<Vec<Shareholder>, sqlx::Error> {
    sqlx::query_as!(
        Shareholder,
        r#"SELECT s.id, s.company_id, s.name, (s.share_pct * 100)::int AS "share_hundredths!",
                  s.contribution AS "contribution: Contribution", s.is_management
           FROM company_shareholders s JOIN platform_companies c ON c.id = s.company_id
           WHERE c.platform_id = $1 ORDER BY s.company_id, s.share_pct DESC, s.id"#,
        platform_id
    )
    .fetch_all(conn)
    .await
}

pub async fn company_shareholders(
    conn: &mut PgConnection,
    company_id: i64,
) -> Result<Vec<Shareholder>, sqlx::Error> {
    sqlx::query_as!(
        Shareholder,
        r#"SELECT s.id, s.company_id, s.name, (s.share_pct * 100)::int AS "share_hundredths!",
                  s.contribution AS "contribution: Contribution", s.is_management
           FROM company_shareholders s JOIN platform_companies c ON c.id = s.company_id
           WHERE s.company_id = $1 ORDER BY s.share_pct DESC, s.id"#,
        company_id
    )
    .fetch_all(conn)
    .await
}

pub async fn shareholder(
    conn: &mut PgConnection,
    platform_id: i64,
    shareholder_id: i64,
) -> Result<Option<Shareholder>, sqlx::Error> {
    sqlx::query_as!(
        Shareholder,
        r#"SELECT s.id, s.company_id, s.name, (s.share_pct * 100)::int AS "share_hundredths!",
                  s.contribution AS "contribution: Contribution", s.is_management
           FROM company_shareholders s JOIN platform_companies c ON c.id = s.company_id
           WHERE s.id = $2 AND c.platform_id = $1"#,
        platform_id,
        shareholder_id
    )
    .fetch_optional(conn)
    .await
}

/// Fails with a unique violation on `platform_companies_mode_key` for a second company of a mode.
pub async fn insert_company(
    conn: &mut PgConnection,
    platform_id: i64,
    d: &CompanyDraft,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO platform_companies (platform_id, mode, name, uscc) VALUES ($1, $2, $3, $4) RETURNING id",
        platform_id,
        d.mode as OperatingMode,
        d.name,
        d.uscc.as_str()
    )
    .fetch_one(conn)
    .await
}

/// Fails with a unique violation on `platform_companies_mode_key` for a second company of a mode.
pub async fn update_company(
    conn: &mut PgConnection,
    company_id: i64,
    d: &CompanyDraft,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE platform_companies SET mode = $2, name = $3, uscc = $4 WHERE id = $1",
        company_id,
        d.mode as OperatingMode,
        d.name,
        d.uscc.as_str()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a company and (cascading) its shareholders.
pub async fn delete_company(conn: &mut PgConnection, company_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM platform_companies WHERE id = $1", company_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_shareholder(
    conn: &mut PgConnection,
    company_id: i64,
    d: &ShareholderDraft,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO company_shareholders (company_id, name, share_pct, contribution, is_management)
         VALUES ($1, $2, $3::int::numeric / 100, $4, $5) RETURNING id",
        company_id,
        d.name,
        i32::try_from(d.share.hundredths()).unwrap_or(i32::MAX),
        d.contribution as Contribution,
        d.is_management
    )
    .fetch_one(conn)
    .await
}

pub async fn update_shareholder(
    conn: &mut PgConnection,
    shareholder_id: i64,
    d: &ShareholderDraft,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE company_shareholders SET name = $2, share_pct = $3::int::numeric / 100, contribution = $4,
                is_management = $5
         WHERE id = $1",
        shareholder_id,
        d.name,
        i32::try_from(d.share.hundredths()).unwrap_or(i32::MAX),
        d.contribution as Contribution,
        d.is_management
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_shareholder(
    conn: &mut PgConnection,
    shareholder_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM company_shareholders WHERE id = $1",
        shareholder_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Recomputes `mgmt_cash_controlling` from the shareholders (it is derived, never typed:
/// see [`registration::mgmt_cash_controlling`]) and returns it.
pub async fn refresh_control(
    conn: &mut PgConnection,
    company_id: i64,
) -> Result<bool, sqlx::Error> {
    let stakes: Vec<Stake> = company_shareholders(&mut *conn, company_id)
        .await?
        .iter()
        .map(Shareholder::stake)
        .collect();
    let controlling = registration::mgmt_cash_controlling(&stakes);
    sqlx::query!(
        "UPDATE platform_companies SET mgmt_cash_controlling = $2 WHERE id = $1",
        company_id,
        controlling
    )
    .execute(conn)
    .await?;
    Ok(controlling)
}

// ---- approval -----------------------------------------------------------------------------

/// The platform's stage, the row locked until the transaction ends (so the facts read next
/// cannot be approved twice or change stage underneath).
pub use super::platforms::lock_stage;

/// What the lifecycle guard needs to approve the registration, read from the database: the
/// charter status, every decision body with its member count and whether it has a chair, the
/// agreement and plan on file (a `documents` row of that kind), the category. `reason` is the
/// approver's. `None` if there is no such platform.
pub async fn lifecycle_facts(
    conn: &mut PgConnection,
    platform_id: i64,
    reason: &str,
) -> Result<Option<LifecycleFacts<i64>>, sqlx::Error> {
    let Some(row) = sqlx::query!(
        r#"SELECT p.category AS "category?: Category", r.charter_status AS "charter?: Charter",
                  EXISTS (SELECT 1 FROM documents d WHERE d.platform_id = p.id AND d.kind = 'co_building_agreement')
                    AS "agreement!",
                  EXISTS (SELECT 1 FROM documents d WHERE d.platform_id = p.id AND d.kind = 'construction_plan')
                    AS "plan!"
           FROM platforms p LEFT JOIN registrations r ON r.platform_id = p.id
           WHERE p.id = $1"#,
        platform_id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let bodies = sqlx::query!(
        r#"SELECT b.kind AS "kind: DecisionBodyKind", count(m.id) AS "members!",
                  coalesce(bool_or(m.is_chair), false) AS "has_chair!"
           FROM decision_bodies b LEFT JOIN decision_body_members m ON m.body_id = b.id
           WHERE b.platform_id = $1 GROUP BY b.id, b.kind ORDER BY b.id"#,
        platform_id
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(LifecycleFacts {
        platform_id,
        reason: reason.to_string(),
        charter_approved: row.charter == Some(Charter::Approved),
        decision_bodies: bodies
            .into_iter()
            .map(|b| {
                registration::body_fact(b.kind, u32::try_from(b.members).unwrap_or(0), b.has_chair)
            })
            .collect(),
        co_building_agreement: row.agreement,
        construction_plan: row.plan,
        category: row.category,
        ..Default::default()
    }))
}

/// Moves an approved registration to `operating` (the caller has run `lifecycle::check`):
/// operating since today in Beijing time, the dossier stamped with who approved it and when.
pub async fn approve(
    conn: &mut PgConnection,
    platform_id: i64,
    approver_id: i64,
    to: Stage,
) -> Result<NaiveDate, sqlx::Error> {
    let since: NaiveDate = sqlx::query_scalar!(
        r#"UPDATE platforms SET stage = $2, operating_since = (now() AT TIME ZONE 'Asia/Shanghai')::date,
                  updated_at = now()
           WHERE id = $1 RETURNING operating_since AS "operating_since!""#,
        platform_id,
        to as Stage
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE registrations SET approved_at = now(), approved_by = $2, status = 'approved'
         WHERE platform_id = $1",
        platform_id,
        approver_id
    )
    .execute(conn)
    .await?;
    Ok(since)
}

// ---- review history -----------------------------------------------------------------------

/// Sets the review status (the caller has checked the step with `registration::check_*`).
pub async fn set_status(
    conn: &mut PgConnection,
    platform_id: i64,
    status: ReviewStatus,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE registrations SET status = $2 WHERE platform_id = $1",
        platform_id,
        status as ReviewStatus
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records one step of the registration's history; `reasons` are a return's, per part.
pub async fn record_review(
    conn: &mut PgConnection,
    platform_id: i64,
    action: ReviewAction,
    actor_id: i64,
    comment: &str,
    reasons: &BTreeMap<Section, String>,
) -> Result<i64, sqlx::Error> {
    let items: BTreeMap<&str, &str> = reasons
        .iter()
        .map(|(s, r)| (s.as_str(), r.as_str()))
        .collect();
    sqlx::query_scalar!(
        "INSERT INTO registration_reviews (platform_id, action, actor_id, comment, item_comments)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        platform_id,
        action as ReviewAction,
        actor_id,
        comment,
        Json(items) as _
    )
    .fetch_one(conn)
    .await
}

/// One step of the history, with the person's display name.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ReviewRow {
    pub id: i64,
    pub action: ReviewAction,
    pub actor_name: Option<String>,
    pub at: DateTime<Utc>,
    pub comment: String,
    pub item_comments: Json<BTreeMap<String, String>>,
}

impl ReviewRow {
    /// The reasons per part, in the dossier's order (unknown codes dropped).
    pub fn reasons(&self) -> Vec<(Section, String)> {
        Section::ALL
            .iter()
            .filter_map(|&s| self.item_comments.0.get(s.as_str()).map(|r| (s, r.clone())))
            .collect()
    }
}

/// The registration's history, oldest first.
pub async fn history(
    conn: &mut PgConnection,
    platform_id: i64,
) -> Result<Vec<ReviewRow>, sqlx::Error> {
    sqlx::query_as!(
        ReviewRow,
        r#"SELECT r.id, r.action AS "action: ReviewAction", u.display_name AS "actor_name?", r.at, r.comment,
                  r.item_comments AS "item_comments: Json<BTreeMap<String, String>>"
           FROM registration_reviews r LEFT JOIN users u ON u.id = r.actor_id
           WHERE r.platform_id = $1 ORDER BY r.at, r.id"#,
        platform_id
    )
    .fetch_all(conn)
    .await
}
