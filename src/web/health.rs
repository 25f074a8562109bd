//! `/healthz` for load balancers and orchestrators. Routed outside the access guard (no session,
//! no security-policy read): plain text `ok` (200) when the database answers `SELECT 1` within
//! [`TIMEOUT`], else `unavailable` (503). Never cached.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// The whole check (pool acquire included) gives up after this long.
pub const TIMEOUT: Duration = Duration::from_secs(2);

pub async fn healthz(State(state): State<AppState>) -> Response {
    let ping = tokio::time::timeout(TIMEOUT, crate::db::ping(&state.db)).await;
    let (status, body) = match ping {
        Ok(Ok(_)) => (StatusCode::OK, "ok"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
    };
    let no_store = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    (status, no_store, body).into_response()
}
