use std::sync::Arc;

use sqlx::PgPool;

use crate::config::WebConfig;
use crate::web::cache::PageCache;
use crate::web::limits::Limits;

/// The application state every handler gets through `State`.
#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    pub config: Arc<WebConfig>,
    /// Sign-in and refusal-audit rate limits of this server.
    pub limits: Arc<Limits>,
    /// Page data kept until the next write (`web::cache`).
    pub cache: Arc<PageCache>,
}

impl AppState {
    pub fn new(db: PgPool, config: WebConfig) -> Self {
        AppState {
            db,
            config: Arc::new(config),
            limits: Arc::new(Limits::default()),
            cache: Arc::new(PageCache::default()),
        }
    }
}
