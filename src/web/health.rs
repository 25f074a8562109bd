use axum::extract::State;
use axum::http::StatusCode;

use crate::state::AppState;

/// 200 when the database answers, 503 otherwise (for load balancers and orchestrators).
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    let ping = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&state.db),
    )
    .await;
    match ping {
        Ok(Ok(_)) => (StatusCode::OK, "ok"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}
