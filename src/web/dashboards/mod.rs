//! The three audiences' dashboards (PRODUCT.md "Screens"): the platform dashboard on a platform's
//! overview, the staff workbench and the leadership dashboard with its drill-down list and print
//! view. Every chart is built here from one db function and served twice: in the page as its data
//! table, and as JSON for `static/charts.js` (see `web/api.rs`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use sqlx::PgPool;

use super::auth::CurrentUser;
use super::forms::{Query, query_string};
use super::layout::{Layout, local_time};
use super::todo::{self, TodoGroup};
use super::widgets::{Opt, Pagination};
use super::xlsx::{self, Cell, opt};
use crate::clock::today;
use crate::db::dashboards::{
    self as db, AtRisk, DrillDown, DrillRow, EvaluationResult, Filter, MissingStep, UNSET,
    YearRevenue,
};
use crate::db::jurisdictions::{self, Jurisdiction};
use crate::db::{annual_config, platforms::Platform};
use crate::db::{rule_params, snapshot};
use crate::domain::annual::Step;
use crate::domain::compliance::{Status, rule};
use crate::domain::money::wan;
use crate::domain::platform::{Category, Cluster, Stage};
use crate::domain::scope::PlatformScope;
use crate::domain::scoring::Grade;
use crate::domain::support::{self, ProgrammeDef, SupportStatus};
use crate::domain::transformation::{Balance, TransformationDeadline, self_sufficiency_of};
use charts::{Chart, Kind};
use std::sync::Arc;

use super::cache::{Cached, Page};
use crate::error::AppResult;
use crate::state::AppState;

mod at_risk;
pub mod charts;
mod drilldown;
mod leadership;
mod platform;
mod workbench;

pub use at_risk::*;
pub use drilldown::*;
pub use leadership::*;
pub use platform::*;
pub use workbench::*;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // Dashboards (PRODUCT.md "Screens") and their charts' JSON, each endpoint with the roles
        // and scope of the page that shows it.
        get( "/workbench",                 Roles(STAFF, Global),     workbench),
        get( "/leadership",                Roles(OVERSIGHT, Global), leadership),
        get( "/leadership/platforms",      Roles(OVERSIGHT, Global), drill_down),
        get( "/leadership/platforms.xlsx", Roles(OVERSIGHT, Global), drill_down_xlsx),
    ]
}

fn stage_label(code: &str) -> &'static str {
    Stage::parse(code).map_or("", Stage::label_zh)
}

fn category_label(code: Option<&str>) -> &'static str {
    code.and_then(Category::parse)
        .map_or("未设置", Category::label_zh)
}
