//! Opening the database: the server named by `DATABASE_URL`, or else a private cluster
//! started from the installed PostgreSQL binaries (see `embedded_pg`). Migrations run
//! under sqlx's advisory lock, so several app servers starting at once migrate once.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};

use crate::config::DbConfig;
use crate::embedded_pg::{EmbeddedOptions, EmbeddedPg};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Name of the database inside the embedded cluster.
pub const EMBEDDED_DB: &str = "kechuang";

/// An open pool, and the embedded cluster behind it if this process started one.
pub struct Database {
    pub pool: PgPool,
    pub embedded: Option<EmbeddedPg>,
}

impl Database {
    /// Connects (starting the embedded cluster when no URL is configured).
    pub async fn open(config: &DbConfig) -> anyhow::Result<Database> {
        let (options, embedded) = match &config.database_url {
            Some(url) => (
                PgConnectOptions::from_str(url)
                    .context("DATABASE_URL is not a valid PostgreSQL URL")?,
                None,
            ),
            None => {
                let pg = EmbeddedPg::start(EmbeddedOptions {
                    data_dir: config.data_dir.join("postgres"),
                    fsync: true,
                })
                .await?;
                pg.ensure_database(EMBEDDED_DB).await?;
                (pg.connect_options(EMBEDDED_DB), Some(pg))
            }
        };
        let options = session_settings(options)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .context("could not connect to PostgreSQL")?;
        Ok(Database { pool, embedded })
    }

    /// Closes the pool and stops the embedded cluster if this process started it.
    pub async fn close(self) {
        self.pool.close().await;
        if let Some(pg) = self.embedded
            && let Err(e) = pg.stop().await
        {
            tracing::warn!(error = %e, "could not stop the embedded PostgreSQL");
        }
    }
}

/// The settings of every application connection.
pub fn session_settings(options: PgConnectOptions) -> PgConnectOptions {
    options.options([("statement_timeout", "15s"), ("lock_timeout", "5s")])
}

pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await.context("running migrations")?;
    Ok(())
}

/// Warns loudly when the server would lose committed writes on a crash (QUALITY.md).
pub async fn check_durability(pool: &PgPool) -> anyhow::Result<()> {
    for setting in ["fsync", "synchronous_commit", "full_page_writes"] {
        let value: String = sqlx::query_scalar(&format!("SHOW {setting}"))
            .fetch_one(pool)
            .await?;
        if value != "on" {
            tracing::warn!(
                "PostgreSQL {setting} = {value}: committed writes may be lost on a crash"
            );
        }
    }
    Ok(())
}
