//! The platform side of the year-end evaluation (年底评估): the operator fills in full-year actuals, a
//! self-assessment and evidence and submits; county staff do the preliminary review of county platforms; city
//! staff the final review; staff may reopen a late first submission. A platform barred by `INTEG-BAN` is not
//! evaluated. Also the summary partial (`_yearend_summary.html`) the shared 年度考核 page includes.

use std::collections::BTreeMap;

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
use super::forms::{Form, Path, Query, valid_year};
use super::layout::{Layout, local_time};
use super::widgets::ConflictRow;
use super::write::{Entry, WriteTx, Writer};
use crate::db::annual_config;
use crate::db::evaluations::{self as db, Evaluation};
use crate::db::platforms::{self, Platform};
use crate::domain::annual::{AnnualConfig, Step};
use crate::domain::compliance::catalogue::BAN_MONTHS;
use crate::domain::documents::DocumentKind;
use crate::domain::evaluation::{
    self as rules, Actor, Bar, Errors, EvalAction, EvalFacts, EvalInput, EvalStatus, Refusal,
    RefusalKind, RoundStatus, ScoreDetail, indicator_unit,
};
use crate::domain::money::wan;
use crate::domain::platform::{Level, Stage};
use crate::domain::role::Role;
use crate::domain::scoring::{Grade, IndicatorKind, Values, display};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

use crate::clock::today;

mod display;
mod review;
mod submit;
mod summary;
mod tab;

pub use display::*;
pub use review::*;
pub use submit::*;
pub use summary::*;
pub use tab::*;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // The year-end evaluation (年底评估), platform side.
        get( "/platforms/{id}/evaluation",                      Roles(PLATFORM_READERS, Platform), page),
        post("/platforms/{id}/evaluation/{year}",               Roles(OPERATOR, Platform),         save),
        post("/platforms/{id}/evaluation/{year}/county-review", Roles(STAFF, Platform),            county_review),
        post("/platforms/{id}/evaluation/{year}/city-review",   Roles(STAFF, Platform),            city_review),
        post("/platforms/{id}/evaluation/{year}/reopen",        Roles(STAFF, Platform),            reopen),
    ]
}

pub(crate) fn actor_of(user: &CurrentUser) -> Actor {
    Actor {
        role: user.role,
        is_city_staff: user.is_city_staff,
    }
}

// ---- refusals -------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "evaluation/refused.html")]
pub struct RefusedPage {
    pub layout: Layout,
    pub title: &'static str,
    pub reasons: Vec<String>,
    pub back: String,
}

/// A refused action as a page: 403 when the actor may never do it, 409 when not now; every reason listed.
pub(crate) fn refused(
    user: &CurrentUser,
    title: &'static str,
    refusal: &Refusal,
    back: String,
) -> Response {
    let status = match refusal.kind {
        RefusalKind::Forbidden => StatusCode::FORBIDDEN,
        RefusalKind::State => StatusCode::CONFLICT,
    };
    let page = RefusedPage {
        layout: Layout::for_user(user, ""),
        title,
        reasons: refusal.reasons.clone(),
        back,
    };
    (status, page).into_response()
}

// ---- shared facts ---------------------------------------------------------------------------------

/// The INTEG-BAN bar of a platform for the round whose year-end deadline is `deadline` (a violation bars the rounds
/// whose deadline falls inside its ban), with the ban length in force (`rule_params`, else the catalogue default).
pub(crate) async fn bar_of(
    conn: &mut PgConnection,
    platform_id: i64,
    deadline: NaiveDate,
) -> AppResult<Option<Bar>> {
    let months = crate::db::rule_params::in_force(conn, today())
        .await?
        .get(&BAN_MONTHS)
        .0;
    let records = db::integrity_records(conn, platform_id).await?;
    Ok(rules::integrity_bar(&records, months, deadline))
}

/// Records that an evaluation is not evaluated (INTEG-BAN), in the caller's transaction (which then
/// refreshes the platform's findings: its grade becomes 未参评).
pub(crate) async fn persist_exclusion(
    tx: &mut WriteTx,
    e: &Evaluation,
    bar: &Bar,
) -> AppResult<bool> {
    if !rules::may_exclude(Some(e.status())) {
        return Ok(false);
    }
    let reason = bar.reason();
    if !db::exclude(tx, e.id, &reason).await? {
        return Ok(false);
    }
    let after = db::get(tx, e.platform_id, e.year)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new("evaluation.excluded", "evaluation", e.id)
            .before(e.audit_json())
            .after(after.audit_json()),
    )
    .await?;
    tx.touches(e.platform_id);
    let summary = format!("{}年度不参加绩效评估（科研诚信限制）", e.year);
    tx.timeline(e.platform_id, "evaluation.excluded", &summary, &reason)
        .await?;
    Ok(true)
}

fn level_of(p: &Platform) -> Level {
    p.level
}

fn stage_of(p: &Platform) -> Stage {
    p.stage
}

/// What an action on one evaluation is checked against, read in its transaction: the round and
/// the evaluation (if any) are locked until it ends.
pub(super) struct Locked {
    pub platform: Platform,
    pub config: AnnualConfig,
    pub bar: Option<Bar>,
    pub before: Option<Evaluation>,
    pub facts: EvalFacts,
}

/// Opens the write and reads [`Locked`] for platform `id`'s evaluation of `year`.
pub(super) async fn lock_facts(
    w: &Writer,
    id: i64,
    year: i32,
    today: NaiveDate,
) -> AppResult<(WriteTx, Locked)> {
    let mut tx = w.begin().await?;
    let platform = platforms::get(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let round = db::round_for_update(&mut tx, year).await?.status();
    let (config, _) = annual_config::get(&mut tx, year).await?;
    let bar = bar_of(&mut tx, id, config.deadline(year, Step::Yearend)).await?;
    let before = db::lock(&mut tx, id, year).await?;
    let facts = facts(&platform, before.as_ref(), year, &config, bar, round, today);
    let locked = Locked {
        platform,
        config,
        bar,
        before,
        facts,
    };
    Ok((tx, locked))
}

/// A refusal for one reason in the record's state (409), as a page.
pub(crate) fn refused_now(
    user: &CurrentUser,
    title: &'static str,
    reason: String,
    back: String,
) -> Response {
    let refusal = Refusal {
        kind: RefusalKind::State,
        reasons: vec![reason],
    };
    refused(user, title, &refusal, back)
}

fn facts(
    p: &Platform,
    e: Option<&Evaluation>,
    year: i32,
    config: &AnnualConfig,
    bar: Option<Bar>,
    round: RoundStatus,
    today: NaiveDate,
) -> EvalFacts {
    EvalFacts {
        year,
        level: level_of(p),
        stage: stage_of(p),
        status: e.map(Evaluation::status),
        today,
        deadline: config.deadline(year, Step::Yearend),
        reopened_until: e.and_then(|e| e.reopened_until),
        bar,
        round,
    }
}
