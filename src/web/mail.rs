//! E-mail notices in the browser: every signed-in user's 通知设置 (their address, read-only, and
//! whether reminders are e-mailed too), and the system admin's 邮件发送 page (whether a mail
//! server is configured, the outbox's counts and the recent failures).
//!
//! The address itself is set by the system admin on the account page (`admin::set_email`): it
//! is where the bureau's notices go, so it belongs to the account's identity, which the system
//! admin manages; the app has no confirmation round-trip that would prove a self-entered address.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::auth::CurrentUser;
use super::flash::Flash;
use super::forms::{Form, Query};
use super::layout::{Layout, local_time};
use super::widgets::{NoticeQuery, PageQuery, Pagination};
use super::write::{Entry, Writer};
use crate::db::mail::{self as outbox, Counts, FailureRow};
use crate::db::users;
use crate::domain::mail::{is_reminder, topic_zh};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // E-mail notices: one's own settings; the outbox for the system admin.
        get( "/notices/settings", SignedIn,                settings),
        post("/notices/settings", SignedIn,                save_settings),
        get( "/admin/mail",       Roles(SYSADMIN, Global), admin_page),
    ]
}

#[derive(Template, WebTemplate)]
#[template(path = "notices/settings.html")]
pub struct SettingsPage {
    pub layout: Layout,
    pub email: Option<String>,
    pub mail_reminders: bool,
    /// Whether this server sends e-mail at all.
    pub mail_on: bool,
    pub notice: &'static str,
}

pub async fn settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<NoticeQuery>,
) -> AppResult<SettingsPage> {
    let mut conn = state.db.acquire().await?;
    let me = users::get(&mut conn, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(SettingsPage {
        layout: Layout::for_user(&user, "notices"),
        email: me.email,
        mail_reminders: me.mail_reminders,
        mail_on: state.config.mail.is_some(),
        notice: Flash::text_of(&q.notice),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SettingsForm {
    /// The checkbox: "on" when ticked, absent when not.
    mail_reminders: String,
}

/// Turns the e-mail copies of one's own reminders on or off (decisions are always e-mailed).
pub async fn save_settings(
    user: CurrentUser,
    w: Writer,
    Form(f): Form<SettingsForm>,
) -> AppResult<Response> {
    let on = !f.mail_reminders.is_empty();
    let mut tx = w.begin().await?;
    let before = users::mail_reminders(&mut tx, user.id).await?;
    users::set_mail_reminders(&mut tx, user.id, on).await?;
    tx.audit(
        Entry::new("user.mail_reminders", "user", user.id)
            .before(Some(serde_json::json!({"mail_reminders": before})))
            .after(Some(serde_json::json!({"mail_reminders": on}))),
    )
    .await?;
    tx.redirect(format!(
        "/notices/settings?notice={}",
        Flash::MailSettingsSaved
    ))
    .await
}

// ---- the system admin's page --------------------------------------------------------------------

/// A failed e-mail as the page shows it.
pub struct FailureView {
    pub recipient: String,
    pub username: String,
    pub address: String,
    pub topic: &'static str,
    pub reminder: bool,
    pub attempts: i32,
    /// "等待重试（下次 …）" or "已放弃".
    pub state: String,
    pub given_up: bool,
    /// The Chinese summary and the mail server's own words.
    pub summary: String,
    pub detail: String,
    pub when: String,
}

impl From<FailureRow> for FailureView {
    fn from(r: FailureRow) -> FailureView {
        let given_up = r.status == "failed";
        let (summary, detail) = match r.last_error.split_once('\n') {
            Some((s, d)) => (s.to_string(), d.to_string()),
            None => (r.last_error.clone(), String::new()),
        };
        FailureView {
            recipient: r.display_name,
            username: r.username,
            address: r.to_address,
            topic: topic_zh(&r.kind),
            reminder: is_reminder(&r.kind),
            attempts: r.attempts,
            state: if given_up {
                "已放弃".into()
            } else {
                format!("等待重试（{}）", &local_time(&r.next_attempt_at)[..16])
            },
            given_up,
            summary,
            detail,
            when: r
                .claimed_at
                .map(|t| local_time(&t)[..16].to_string())
                .unwrap_or_default(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/mail.html")]
pub struct AdminPage {
    pub layout: Layout,
    /// The configured server: address, security, sender, link base. None: not configured.
    pub server: Option<(String, &'static str, String, String)>,
    pub counts: Counts,
    pub failures: Vec<FailureView>,
    pub pagination: Pagination,
}

pub async fn admin_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<PageQuery>,
) -> AppResult<AdminPage> {
    let mut pagination = q.pagination(20);
    let counts = outbox::counts(&state.db).await?;
    let (rows, total) =
        outbox::failures(&state.db, pagination.per_page, pagination.offset()).await?;
    pagination.total = total;
    Ok(AdminPage {
        layout: Layout::for_user(&user, "mail"),
        server: state.config.mail.as_ref().map(|m| {
            (
                format!("{}:{}", m.host, m.port),
                m.tls.label_zh(),
                m.from.to_string(),
                m.base_url.clone(),
            )
        }),
        counts,
        failures: rows.into_iter().map(FailureView::from).collect(),
        pagination,
    })
}
