//! The year's evaluation round for the bureau: every evaluation of the year with its status, the
//! quantitative score, expert assignment and progress, proposed grades with the quota, the public notice
//! (公示) with objections, publishing with results application (reward, funding coefficient, a draft
//! rectification case for every 不合格), and the results table with its Excel export.
//! City staff act; county staff (their county's rows) and leaders read.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use sqlx::PgConnection;

use super::auth::CurrentUser;
use super::evaluation::{actor_of, bar_of, grade_label, persist_exclusion, refused, refused_now};
use super::flash::Flash;
use super::forms::{Form, Path, Query, valid_year};
use super::layout::{Layout, local_time};
use super::widgets::NoticeQuery;
use super::widgets::Opt;
use super::write::{self, Entry, WriteTx, Writer};
use super::xlsx::{self, Cell, opt};
use crate::clock::today;
use crate::db::annual_config;
use crate::db::evaluations::{self as db, RoundRow, values_of};
use crate::domain::annual::{AnnualConfig, Step};
use crate::domain::evaluation::{
    self as rules, Errors, EvalStatus, ExpertProgress, RoundAction, RoundFacts, RoundStatus,
    ScoreStage,
};
use crate::domain::money::wan;
use crate::domain::platform::Category;
use crate::domain::scope::PlatformScope;
use crate::domain::scoring::{Dimension, Grade, assign_grades, display};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

mod actions;
mod results;
mod round;
mod years;

pub use actions::*;
pub use results::*;
pub use round::*;
pub use years::*;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // The year's evaluation round: city staff act, county staff (their county) and leaders read.
        get( "/evaluations",                                  Roles(OVERSIGHT, Global), index),
        get( "/evaluations/{year}",                           Roles(OVERSIGHT, Global), show),
        post("/evaluations/{year}/compute",                   Roles(STAFF, City),       compute),
        post("/evaluations/{year}/evaluations/{eid}/experts", Roles(STAFF, City),       assign),
        post("/evaluations/{year}/propose",                   Roles(STAFF, City),       propose),
        post("/evaluations/{year}/notice",                    Roles(STAFF, City),       start_notice),
        post("/evaluations/{year}/objections",                Roles(STAFF, City),       record_objection),
        post("/evaluations/{year}/objections/{oid}/answer",   Roles(STAFF, City),       answer_objection),
        post("/evaluations/{year}/publish",                   Roles(STAFF, City),       publish),
        post("/evaluations/{year}/withdraw",                  Roles(STAFF, City),       withdraw),
        get( "/evaluations/{year}/results",                   Roles(OVERSIGHT, Global), results),
        get( "/evaluations/{year}/results.xlsx",              Roles(OVERSIGHT, Global), results_xlsx),
    ]
}

fn round_href(year: i32) -> String {
    format!("/evaluations/{year}")
}

fn category_label(category: Option<Category>) -> &'static str {
    category.map_or("未设置", Category::label_zh)
}

/// The configuration a round was graded with (its recorded version), else the one in force.
async fn round_config(
    conn: &mut PgConnection,
    year: i32,
    version: Option<i32>,
) -> AppResult<(AnnualConfig, i32)> {
    if let Some(v) = version
        && let Some(c) = annual_config::get_version(conn, year, v).await?
    {
        return Ok((c, v));
    }
    Ok(annual_config::get(conn, year).await?)
}
