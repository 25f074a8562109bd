//! Exit / rectification (退出整改): a platform's cases and the form to open one; the case page with its plan,
//! measures, progress notes, assessment (经充分评估) and the 退/转/并/留 decision, proposed by one staff member
//! and signed off by a second. Every case write carries the case's `version` (stale → 409).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use sqlx::PgConnection;

use super::auth::CurrentUser;
use super::flash::Flash;
use super::forms::{Form, Path, Query};
use super::layout::{Layout, date_or_dash, local_time};
use super::widgets::{ConflictRow, NoticeQuery, Opt};
use super::write::{Entry, Writer};
use crate::clock::today;
use crate::db::platforms::{self, Platform};
use crate::db::recovery as recoveries;
use crate::db::rectification::{self as cases, CaseRow, MeasureRow, NoteRow};
use crate::db::{lifecycle, unique_violation};
use crate::domain::calendar::beijing_date;
use crate::domain::lifecycle::{RefusalReason, Signatory, Transition, Trigger, check};
use crate::domain::platform::{Category, Stage};
use crate::domain::recovery::{
    RecoveryFields, SettlementFields, outstanding, parse_recovery, parse_settlement,
};
use crate::domain::rectification::{
    CaseSnapshot, CaseStatus, DecisionKind, MeasureFields, OpenCaseFields, Proposal,
    ProposalFields, decision_facts, due_before_start, is_overdue, measure_key, parse_measure,
    parse_open_case, parse_proposal, proposal_gaps, refusal_field,
};
use crate::domain::role::Role;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

mod conflicts;
mod decision;
mod funds;
mod progress;
mod tab;

pub use conflicts::*;
pub use decision::*;
pub use funds::*;
pub use progress::*;
pub use tab::*;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // Exit / rectification (退出整改) and the 退/转/并/留 decision: staff write, readers in scope read.
        get( "/platforms/{id}/rectification",                      Roles(PLATFORM_READERS, Platform), index),
        post("/platforms/{id}/rectification",                      Roles(STAFF, Platform),            open),
        get( "/platforms/{id}/rectification/{cid}",                Roles(PLATFORM_READERS, Platform), show),
        post("/platforms/{id}/rectification/{cid}/measures",       Roles(STAFF, Platform),            add_measure),
        post("/platforms/{id}/rectification/{cid}/measures/{mid}", Roles(STAFF, Platform),            set_measure_done),
        post("/platforms/{id}/rectification/{cid}/notes",          Roles(STAFF, Platform),            add_note),
        post("/platforms/{id}/rectification/{cid}/assessment",     Roles(STAFF, Platform),            assess),
        post("/platforms/{id}/rectification/{cid}/propose",        Roles(STAFF, Platform),            propose),
        post("/platforms/{id}/rectification/{cid}/withdraw",       Roles(STAFF, Platform),            withdraw),
        post("/platforms/{id}/rectification/{cid}/signoff",        Roles(STAFF, Platform),            sign_off),
        // Funds to recover after 退/转/并: staff list them and record recoveries (追回).
        post("/platforms/{id}/rectification/{cid}/recoveries",     Roles(STAFF, Platform),            record_recovery),
    ]
}

/// A posted `version`; anything unreadable never matches a case (→ 409).
fn parse_version(s: &str) -> i32 {
    s.trim().parse().unwrap_or(-1)
}

/// The case page at `anchor`, saying `flash`.
fn case_url(id: i64, cid: i64, flash: Flash, anchor: &str) -> String {
    format!("/platforms/{id}/rectification/{cid}?notice={flash}#{anchor}")
}

/// The name of a violated check constraint, if `e` is one.
fn check_violation(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(db) if db.is_check_violation() => db.constraint().map(str::to_string),
        _ => None,
    }
}

async fn platform(conn: &mut PgConnection, id: i64) -> AppResult<Platform> {
    platforms::get(conn, id).await?.ok_or(AppError::NotFound)
}

fn trigger_labels(triggers: &[Trigger]) -> Vec<&'static str> {
    triggers.iter().map(|t| t.label_zh()).collect()
}

fn decision_label(kind: Option<DecisionKind>) -> &'static str {
    kind.map_or("", DecisionKind::label_zh)
}

/// The proposal stored on a case, if any.
fn proposal_of(c: &CaseRow) -> Option<Proposal> {
    let kind = c.decision?;
    Some(Proposal {
        kind,
        reason: c.decision_reason.clone(),
        convert_to: c.convert_to,
        merge_into: c.merge_into_id,
    })
}

/// What a decision does, in words: "决定退出（退）", "转型为其他平台类", "并入 NT-… 某平台".
fn decision_summary(p: &Proposal, merge_name: Option<&str>) -> String {
    match p.kind {
        DecisionKind::Convert => format!(
            "转型（转）为{}",
            p.convert_to.map(Category::label_zh).unwrap_or("")
        ),
        DecisionKind::Merge => format!("合并（并）入{}", merge_name.unwrap_or("")),
        other => other.label_zh().to_owned(),
    }
}
