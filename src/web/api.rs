//! JSON for the charts (`static/charts.js`). Each endpoint is registered with exactly the roles and
//! data scope of the page that shows its chart, and builds the chart with the same function as
//! that page's data table.

use axum::Json;
use axum::extract::State;

use super::charts::Chart;
use super::dashboards::{self, LeadershipQuery};
use super::forms::{Path, Query};
use super::platforms;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

use super::auth::CurrentUser;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        get( "/api/leadership/counts.json",          Roles(OVERSIGHT, Global),          leadership_counts),
        get( "/api/leadership/grades.json",          Roles(OVERSIGHT, Global),          leadership_grades),
        get( "/api/leadership/revenue.json",         Roles(OVERSIGHT, Global),          leadership_revenue),
        get( "/api/leadership/break-even.json",      Roles(OVERSIGHT, Global),          leadership_break_even),
        get( "/api/platforms/{id}/revenue.json",     Roles(PLATFORM_READERS, Platform), platform_revenue),
        get( "/api/platforms/{id}/revenue-mix.json", Roles(PLATFORM_READERS, Platform), platform_mix),
        get( "/api/platforms/{id}/break-even.json",  Roles(PLATFORM_READERS, Platform), platform_break_even),
        get( "/api/platforms/{id}/evaluations.json", Roles(PLATFORM_READERS, Platform), platform_evaluations),
    ]
}

// ---- one platform (Scope::Platform, like `GET /platforms/{id}`) ---------------------------------

// The platform's charts are those of its overview, kept with it until the next write.

pub async fn platform_revenue(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Chart>> {
    let o = platforms::overview(&state, &user, id).await?;
    Ok(Json(o.dashboard.revenue.clone()))
}

pub async fn platform_mix(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Chart>> {
    let o = platforms::overview(&state, &user, id).await?;
    Ok(Json(o.dashboard.mix.clone()))
}

pub async fn platform_break_even(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Chart>> {
    let o = platforms::overview(&state, &user, id).await?;
    Ok(Json(o.dashboard.break_even.clone()))
}

pub async fn platform_evaluations(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Json<Chart>> {
    let o = platforms::overview(&state, &user, id).await?;
    Ok(Json(o.dashboard.evaluations.clone()))
}

// ---- the leadership dashboard (staff and leaders, filtered by scope in SQL) ---------------------

pub async fn leadership_counts(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<LeadershipQuery>,
) -> AppResult<Json<Chart>> {
    let (filters, reference, data) = dashboards::leadership_charts(&state, &user, &q).await?;
    dashboards::counts_chart(&q.by, &data.counts, &reference.jurisdictions, &filters)
        .map(Json)
        .ok_or(AppError::NotFound)
}

pub async fn leadership_grades(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<LeadershipQuery>,
) -> AppResult<Json<Chart>> {
    let (filters, _, data) = dashboards::leadership_charts(&state, &user, &q).await?;
    Ok(Json(dashboards::grades_chart(&data.grades, &filters)))
}

pub async fn leadership_revenue(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<LeadershipQuery>,
) -> AppResult<Json<Chart>> {
    let (filters, _, data) = dashboards::leadership_charts(&state, &user, &q).await?;
    Ok(Json(dashboards::leadership_revenue_chart(
        &data.revenue,
        &filters,
    )))
}

pub async fn leadership_break_even(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<LeadershipQuery>,
) -> AppResult<Json<Chart>> {
    let (filters, _, data) = dashboards::leadership_charts(&state, &user, &q).await?;
    Ok(Json(dashboards::break_even_share_chart(
        &data.share,
        &filters,
    )))
}
