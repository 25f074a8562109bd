//! Configuration from flags and environment (`DATABASE_URL`, `KECHUANG_*`).
//! Secrets never reach the logs: `Debug` redacts the database URL.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Settings shared by every command.
#[derive(Clone, clap::Args)]
pub struct DbConfig {
    /// PostgreSQL URL. Unset: a private cluster is started under the data directory.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,

    /// Where the embedded PostgreSQL cluster lives.
    #[arg(long, env = "KECHUANG_DATA_DIR", default_value = "var", global = true)]
    pub data_dir: PathBuf,

    /// Maximum database connections in the pool.
    #[arg(
        long,
        env = "KECHUANG_DB_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    pub max_connections: u32,
}

impl fmt::Debug for DbConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbConfig")
            .field(
                "database_url",
                &self.database_url.as_ref().map(|_| "<redacted>"),
            )
            .field("data_dir", &self.data_dir)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// Settings of the web server.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "KECHUANG_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Load a demo dataset and the demo accounts (idempotent): `city` (the default: 40 platforms)
    /// or `scale` (the city plus 2,000 platforms × 10 years, for benchmarks).
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "city")]
    pub demo: Option<DemoDataset>,

    /// Mark cookies `Secure` (set when served behind TLS).
    #[arg(long, env = "KECHUANG_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// Trust the first address of `X-Forwarded-For` as the client address (behind a proxy).
    #[arg(long, env = "KECHUANG_TRUST_PROXY")]
    pub trust_proxy: bool,
}

/// What the running web application needs to know.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    pub secure_cookies: bool,
    pub trust_proxy: bool,
}

/// Which demo dataset to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoDataset {
    City,
    Scale,
}
