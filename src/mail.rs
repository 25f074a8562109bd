//! The e-mail sender: a task started by `serve` (when a mail server is configured) that delivers
//! the outbox (`db::mail`) over SMTP, records each delivery or failure, and retries failures the
//! mail server reported with exponential backoff (`domain::mail::backoff`) until
//! `domain::mail::MAX_ATTEMPTS`, then gives them up as failed. Each e-mail is sent at most once
//! (see `db::mail`). Several app servers may run it on one database: claims skip locked rows.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sqlx::PgPool;

use crate::config::{MailSettings, SmtpTls};
use crate::db::mail::{self as outbox, Claimed};
use crate::domain::mail::{MAX_ATTEMPTS, backoff, body_zh, subject_zh};

/// Rows claimed at a time.
const BATCH: i64 = 20;

/// How often the outbox is looked at when it has nothing due.
const POLL: Duration = Duration::from_secs(15);

/// A row `sending` for this long was abandoned by a sender that stopped (a batch of [`BATCH`]
/// slow servers at the transport's 20 s timeout takes under 7 minutes).
const STALE_AFTER: Duration = Duration::from_secs(30 * 60);

/// An SMTP connection setup and what every e-mail says about its sender.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    base_url: String,
    /// The right-hand side of Message-IDs (the base URL's host).
    id_domain: String,
}

impl Mailer {
    pub fn new(s: &MailSettings) -> anyhow::Result<Mailer> {
        let builder = match s.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host)?,
        };
        let mut builder = builder.port(s.port).timeout(Some(Duration::from_secs(20)));
        if let Some((user, password)) = &s.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        let id_domain = s
            .base_url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split(['/', ':']).next())
            .filter(|h| !h.is_empty())
            .unwrap_or("kechuang")
            .to_string();
        Ok(Mailer {
            transport: builder.build(),
            from: s.from.clone(),
            base_url: s.base_url.clone(),
            id_domain,
        })
    }

    /// The e-mail copy of a notice. Its Message-ID names the outbox row, so a receiving system
    /// can tell copies apart (the same row is never sent twice).
    fn message(&self, c: &Claimed) -> Result<Message, String> {
        let to: Mailbox = c
            .to_address
            .parse()
            .map_err(|e| format!("收件地址无效\n{e}"))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject_zh(&c.kind, c.due_on))
            .message_id(Some(format!("<outbox-{}@{}>", c.id, self.id_domain)))
            .header(ContentType::TEXT_PLAIN)
            .body(body_zh(
                &c.display_name,
                &c.kind,
                &c.text,
                &self.base_url,
                &c.link,
            ))
            .map_err(|e| format!("邮件无法生成\n{e}"))
    }
}

/// What a round of the sender did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub claimed: usize,
    pub sent: usize,
    /// Failed this time, to be tried again later.
    pub retrying: usize,
    /// Failed for good (rejected, or out of tries).
    pub failed: usize,
}

/// A failure as stored: a Chinese summary, a line break, the mail server's own words; and
/// whether trying again can help.
fn describe(e: &lettre::transport::smtp::Error) -> (String, bool) {
    let summary = if e.is_permanent() {
        "邮件服务器拒收"
    } else if e.is_transient() {
        "邮件服务器暂时无法接收"
    } else if e.is_timeout() {
        "连接邮件服务器超时"
    } else {
        "无法连接邮件服务器"
    };
    (format!("{summary}\n{e}"), !e.is_permanent())
}

/// Sends one batch of due e-mails (after giving up rows abandoned mid-send).
pub async fn send_due(pool: &PgPool, mailer: &Mailer) -> Result<Round, sqlx::Error> {
    let stale = outbox::give_up_stale(pool, STALE_AFTER).await?;
    if stale > 0 {
        tracing::warn!(
            stale,
            "e-mails abandoned while being sent were given up (not re-sent)"
        );
    }
    let claimed = outbox::claim(pool, BATCH).await?;
    let mut round = Round {
        claimed: claimed.len(),
        ..Round::default()
    };
    for c in &claimed {
        let result = match mailer.message(c) {
            Ok(message) => mailer
                .transport
                .send(message)
                .await
                .map_err(|e| describe(&e)),
            Err(text) => Err((text, false)),
        };
        match result {
            Ok(_) => {
                outbox::delivered(pool, c.id).await?;
                round.sent += 1;
            }
            Err((text, retry)) => {
                let retry_in = (retry && c.attempts < MAX_ATTEMPTS).then(|| backoff(c.attempts));
                tracing::warn!(id = c.id, attempts = c.attempts, error = %text, retry = retry_in.is_some(), "e-mail not sent");
                outbox::failed(pool, c.id, &text, retry_in).await?;
                if retry_in.is_some() {
                    round.retrying += 1;
                } else {
                    round.failed += 1;
                }
            }
        }
    }
    Ok(round)
}

/// Delivers the outbox for as long as the server runs: a full batch is followed by the next at
/// once, otherwise the outbox is looked at again after [`POLL`].
pub fn spawn_sender(pool: PgPool, mailer: Mailer) {
    tokio::spawn(async move {
        loop {
            let wait = match send_due(&pool, &mailer).await {
                Ok(r) => {
                    if r.claimed > 0 {
                        tracing::info!(
                            sent = r.sent,
                            retrying = r.retrying,
                            failed = r.failed,
                            "e-mail notices"
                        );
                    }
                    if r.claimed as i64 == BATCH {
                        Duration::ZERO
                    } else {
                        POLL
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the e-mail outbox could not be read");
                    POLL
                }
            };
            tokio::time::sleep(wait).await;
        }
    });
}
