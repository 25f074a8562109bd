//! The 年度考核 tab of a platform (`GET /platforms/{id}/annual?year=Y`) and the year-start filing
//! (年初备案) in it.
//!
//! The tab is shared by the three steps of the annual cycle. [`AnnualPage`] renders
//! `templates/annual/platform.html`, which includes one partial per step:
//!
//! | step | partial | page field | filled by |
//! |---|---|---|---|
//! | 年初备案 | `annual/_filing.html` | `filing: Option<FilingSection>` | [`filing_section`] (this module) |
//! | 半年过堂 | `annual/_midyear.html` | `midyear: Option<MidyearSection>` | [`midyear_section`] |
//! | 年底评估 | `annual/_yearend.html` | `yearend: Option<YearendSection>` | [`yearend_section`] |
//!
//! The mid-year and year-end modules own their summary types and partials (`MidyearSummary`,
//! `YearendSummary`); this page includes them. Their own forms post to their own routes and
//! re-render their own pages.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use sqlx::PgConnection;

use super::auth::CurrentUser;
use super::flash::Flash;
use super::forms::{Form, Path, Query, year_or_current};
use super::layout::{Layout, local_time};
use super::widgets::{ConflictRow, YearLink, YearQuery, year_links};
use super::write::{Entry, WriteTx, Writer};
use crate::db::filings::{self, FilingRow};
use crate::db::{annual_config, platforms, unique_violation};
use crate::domain::annual::Step;
use crate::domain::fields::{FieldMessages, RawForm};
use crate::domain::filing::{
    self, BUDGET_FIELD, Decision, FilingStatus, REASON_FIELD, SaveTarget, Timeliness,
    comment_field, plan_field, target_field, target_indicators,
};
use crate::domain::ledger::{Channel, Unit, indicator_display, unit_of};
use crate::domain::money::wan;
use crate::domain::role::Role;
use crate::domain::scoring::Rubric;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

use crate::clock::today;
use crate::domain::calendar::beijing_date;

mod conflicts;
mod form;
mod tab;
mod version;

pub use conflicts::*;
pub use form::*;
pub use tab::*;
pub use version::*;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // The 年度考核 tab and the year-start filing (年初备案).
        get( "/platforms/{id}/annual",                     Roles(PLATFORM_READERS, Platform), page),
        get( "/platforms/{id}/annual/filing",              Roles(OPERATOR, Platform),         filing_form),
        post("/platforms/{id}/annual/filing",              Roles(OPERATOR, Platform),         save_filing),
        get( "/platforms/{id}/annual/filing/{fid}",        Roles(PLATFORM_READERS, Platform), filing_version),
        post("/platforms/{id}/annual/filing/{fid}/review", Roles(STAFF, Platform),            review_filing),
    ]
}

/// The current year in Asia/Shanghai.
pub fn current_year() -> i32 {
    today().year()
}

/// Records a filing's save, submission or review in the audit trail (`before` → the row as it is
/// now) and returns the row.
async fn audit_filing(
    tx: &mut WriteTx,
    id: i64,
    fid: i64,
    action: &str,
    before: Option<serde_json::Value>,
) -> AppResult<FilingRow> {
    let after = filings::get(tx, id, fid).await?.ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new(action, "filing", fid)
            .before(before)
            .after(after.audit_json()),
    )
    .await?;
    Ok(after)
}

/// What every platform sub-page shows at the top.
pub struct PlatformHead {
    pub id: i64,
    pub name: String,
    pub code: String,
    pub stage: crate::domain::platform::Stage,
    pub stage_label: &'static str,
}

impl PlatformHead {
    pub async fn load(conn: &mut PgConnection, id: i64) -> AppResult<PlatformHead> {
        let p = platforms::get(conn, id).await?.ok_or(AppError::NotFound)?;
        Ok(PlatformHead {
            id,
            stage_label: p.stage_label(),
            stage: p.stage,
            name: p.name,
            code: p.code,
        })
    }
}
