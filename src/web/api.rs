//! JSON for the charts (`static/charts.js`). Each endpoint is registered with exactly the roles and
//! data scope of the page that shows its chart, and builds the chart with the same function as
//! that page's data table.

use axum::Json;
use axum::extract::State;
use chrono::Datelike;

use super::charts::Chart;
use super::dashboards::{self, Filters, LeadershipQuery};
use super::forms::{Path, Query};
use crate::db::compliance::today;
use crate::db::dashboards::{self as db, Transition};
use crate::db::jurisdictions;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

use super::auth::CurrentUser;

// ---- one platform (Scope::Platform, like `GET /platforms/{id}`) ---------------------------------

pub async fn platform_revenue(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<Json<Chart>> {
    let years = db::platform_years(&state.db, id).await?;
    Ok(Json(dashboards::revenue_chart(id, &years)))
}

pub async fn platform_mix(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<Json<Chart>> {
    let years = db::platform_years(&state.db, id).await?;
    Ok(Json(dashboards::mix_chart(id, &years, today().year())))
}

pub async fn platform_break_even(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<Json<Chart>> {
    let years = db::platform_years(&state.db, id).await?;
    let end = db::construction_end(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let t = Transition::new(end, db::transition_months(&state.db).await?);
    Ok(Json(dashboards::break_even_chart(id, &years, &t)))
}

pub async fn platform_evaluations(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<Json<Chart>> {
    let results = db::platform_evaluations(&state.db, id).await?;
    Ok(Json(dashboards::evaluation_chart(id, &results)))
}

// ---- the leadership dashboard (staff and leaders, filtered by scope in SQL) ---------------------

async fn filter(
    state: &AppState,
    user: &CurrentUser,
    q: &LeadershipQuery,
) -> AppResult<(Filters, db::Filter)> {
    let today = today();
    let filters = Filters::parse(q, today);
    let f = filters.db(user, today, db::transition_months(&state.db).await?);
    Ok((filters, f))
}

pub async fn leadership_counts(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<LeadershipQuery>,
) -> AppResult<Json<Chart>> {
    let (filters, f) = filter(&state, &user, &q).await?;
    let rows = db::counts(&state.db, &f).await?;
    let all = jurisdictions::list(&state.db).await?;
    dashboards::counts_chart(&q.by, &rows, &all, &filters)
        .map(Json)
        .ok_or(AppError::NotFound)
}

pub async fn leadership_grades(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<LeadershipQuery>,
) -> AppResult<Json<Chart>> {
    let (filters, f) = filter(&state, &user, &q).await?;
    let rows = db::grades_by_year(&state.db, &f).await?;
    Ok(Json(dashboards::grades_chart(&rows, &filters)))
}

pub async fn leadership_revenue(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<LeadershipQuery>,
) -> AppResult<Json<Chart>> {
    let (filters, f) = filter(&state, &user, &q).await?;
    let years = db::revenue_by_year(&state.db, &f).await?;
    Ok(Json(dashboards::leadership_revenue_chart(&years, &filters)))
}

pub async fn leadership_break_even(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<LeadershipQuery>,
) -> AppResult<Json<Chart>> {
    let (filters, f) = filter(&state, &user, &q).await?;
    let share = db::break_even_share(&state.db, &f).await?;
    Ok(Json(dashboards::break_even_share_chart(&share, &filters)))
}
