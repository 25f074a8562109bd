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

    #[command(flatten)]
    pub mail: MailConfig,
}

/// What the running web application needs to know.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    pub secure_cookies: bool,
    pub trust_proxy: bool,
    /// The mail server notices are sent through; None: e-mails stay in the outbox.
    pub mail: Option<MailSettings>,
}

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SmtpTls {
    /// Plain SMTP (a relay on the same host or a trusted network only).
    None,
    /// SMTP, upgraded to TLS before anything is sent (refused if the server cannot).
    Starttls,
    /// TLS from the first byte (SMTPS).
    Tls,
}

impl SmtpTls {
    /// The port a server usually listens on for this mode.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            SmtpTls::None => "不加密",
            SmtpTls::Starttls => "STARTTLS 加密",
            SmtpTls::Tls => "TLS 加密",
        }
    }
}

/// E-mail notices: without `--smtp-host` nothing is sent and the e-mails wait in the outbox.
#[derive(Clone, clap::Args)]
pub struct MailConfig {
    /// The SMTP server e-mail notices are sent through.
    #[arg(long, env = "KECHUANG_SMTP_HOST")]
    pub smtp_host: Option<String>,

    /// Its port (default: 587 with STARTTLS, 465 with TLS, 25 without).
    #[arg(long, env = "KECHUANG_SMTP_PORT")]
    pub smtp_port: Option<u16>,

    /// Transport security.
    #[arg(
        long,
        env = "KECHUANG_SMTP_TLS",
        value_enum,
        default_value = "starttls"
    )]
    pub smtp_tls: SmtpTls,

    /// User name for SMTP authentication (none: no authentication).
    #[arg(long, env = "KECHUANG_SMTP_USER")]
    pub smtp_user: Option<String>,

    /// Password for SMTP authentication.
    #[arg(long, env = "KECHUANG_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,

    /// The sender, e.g. `科创平台 <noreply@kjj.nantong.gov.cn>`.
    #[arg(long, env = "KECHUANG_MAIL_FROM")]
    pub mail_from: Option<String>,

    /// The address users reach the app at, for the links in e-mails, e.g. `https://kc.example.cn`.
    #[arg(long, env = "KECHUANG_BASE_URL")]
    pub base_url: Option<String>,
}

impl fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailConfig")
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_tls", &self.smtp_tls)
            .field("smtp_user", &self.smtp_user)
            .field(
                "smtp_password",
                &self.smtp_password.as_ref().map(|_| "<redacted>"),
            )
            .field("mail_from", &self.mail_from)
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// A checked mail configuration.
#[derive(Clone)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub credentials: Option<(String, String)>,
    pub from: lettre::message::Mailbox,
    /// Without a trailing slash.
    pub base_url: String,
}

impl fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.credentials.as_ref().map(|(u, _)| u))
            .field("from", &self.from.to_string())
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl MailConfig {
    /// The settings when a mail server is configured (None when it is not); an incomplete or
    /// malformed configuration is an error at start-up, not a silent outbox.
    pub fn settings(&self) -> anyhow::Result<Option<MailSettings>> {
        use anyhow::{Context, bail};
        let Some(host) = self
            .smtp_host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
        else {
            return Ok(None);
        };
        let tls = self.smtp_tls;
        let from = self
            .mail_from
            .as_deref()
            .context("--smtp-host needs --mail-from (KECHUANG_MAIL_FROM), the sender's address")?
            .parse()
            .context("--mail-from is not an e-mail address (e.g. 科创平台 <noreply@example.cn>)")?;
        let base_url = self
            .base_url
            .as_deref()
            .context("--smtp-host needs --base-url (KECHUANG_BASE_URL), for the links in e-mails")?
            .trim()
            .trim_end_matches('/')
            .to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            bail!("--base-url must start with http:// or https://");
        }
        let credentials = match (&self.smtp_user, &self.smtp_password) {
            (Some(u), Some(p)) => Some((u.clone(), p.clone())),
            (None, None) => None,
            _ => bail!("--smtp-user and --smtp-password go together"),
        };
        Ok(Some(MailSettings {
            host: host.to_string(),
            port: self.smtp_port.unwrap_or(tls.default_port()),
            tls,
            credentials,
            from,
            base_url,
        }))
    }
}

/// Which demo dataset to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoDataset {
    City,
    Scale,
}
