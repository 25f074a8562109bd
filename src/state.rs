use std::sync::Arc;

use sqlx::PgPool;

use crate::config::WebConfig;

/// The application state every handler gets through `State`.
#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    pub config: Arc<WebConfig>,
}

impl AppState {
    pub fn new(db: PgPool, config: WebConfig) -> Self {
        AppState {
            db,
            config: Arc::new(config),
        }
    }
}
