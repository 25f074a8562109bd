//! The one write path. Every state-changing handler goes through it:
//!
//! ```ignore
//! pub async fn add(w: Writer, Path(id): Path<i64>, Form(f): Form<Fields>) -> AppResult<Response> {
//!     let draft = match f.validate() { Ok(d) => d, Err(errors) => return /* 422 page */ };
//!     let mut tx = w.begin().await?;               // transaction with the actor; claims the form token
//!     let rid = db::insert(&mut tx, id, &draft).await?;
//!     tx.audit(Entry::new("thing.add", "thing", rid).after(json!(draft))).await?;
//!     tx.redirect(format!("/platforms/{id}/things?notice={}", Flash::ThingAdded)).await
//! }
//! ```
//!
//! `begin` opens the transaction with the actor (the database's 三员分立 triggers read it) and
//! claims the form's one-time token: a parallel duplicate waits for the first submission and
//! is then sent to its result, a replay is sent there by the guard before the handler runs.
//! `commit`/`redirect` record where the submission led, advance the data version, commit, and
//! refresh the findings of the platforms the write touched (the route's platform, and any the
//! handler names with [`WriteTx::touches`]).

use std::ops::{Deref, DerefMut};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use super::auth::{CurrentUser, ScopedPlatform};
use crate::db::audit::{self, Actor};
use crate::db::{compliance, submissions};
use crate::domain::registration;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The hidden field every form carries next to the CSRF token (`layout.once()`).
pub const FORM_TOKEN_FIELD: &str = "form_token";
/// A form for an irreversible step carries its question in this hidden field (or in
/// `confirm_prompt.<action>`, asked only when the form's `action` is that button): once the
/// handler has validated the input, committing answers with a confirmation page that
/// re-submits the same fields with [`CONFIRMED_FIELD`] set (confirmation after validation).
pub const CONFIRM_PROMPT_FIELD: &str = "confirm_prompt";
/// Set to `1` by the confirmation page.
pub const CONFIRMED_FIELD: &str = "confirmed";

/// An irreversible submission not yet confirmed (put into the request by the guard).
#[derive(Debug, Clone)]
pub struct ConfirmPending {
    pub prompt: String,
    pub pairs: Vec<(String, String)>,
}

/// The confirmation page: the question, and the validated fields ready to be sent again.
#[derive(askama::Template)]
#[template(path = "confirm.html")]
struct ConfirmPage<'a> {
    layout: super::layout::Layout,
    prompt: &'a str,
    action: &'a str,
    pairs: &'a [(String, String)],
}

/// The same, for clients that are not browsers.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// The one-time token of the submitted form, put into the request by the guard.
#[derive(Debug, Clone)]
pub struct FormToken(pub String);

impl FormToken {
    /// Tokens we issue are 32 hex digits; anything else is ignored (the form then has no
    /// double-submission protection, as before tokens existed).
    pub fn parse(s: &str) -> Option<FormToken> {
        let s = s.trim();
        ((16..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| FormToken(s.to_string()))
    }
}

/// A fresh one-time form token.
pub fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A state-changing request: who acts, which form, which platform the route is about.
pub struct Writer {
    db: PgPool,
    actor: Actor,
    user_id: i64,
    token: Option<String>,
    route: String,
    platform: Option<i64>,
    /// The confirmation page to answer with instead of writing (irreversible, unconfirmed).
    confirm: Option<String>,
}

impl FromRequestParts<AppState> for Writer {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Writer> {
        // Only the guard inserts the user; a write without one is denied.
        let user = parts
            .extensions
            .get::<CurrentUser>()
            .ok_or(AppError::Forbidden)?;
        let confirm = match parts.extensions.get::<ConfirmPending>() {
            Some(c) => {
                use askama::Template;
                let page = ConfirmPage {
                    layout: super::layout::Layout::for_user(user, ""),
                    prompt: &c.prompt,
                    action: parts.uri.path(),
                    pairs: &c.pairs,
                };
                Some(page.render().map_err(|e| AppError::Internal(e.into()))?)
            }
            None => None,
        };
        Ok(Writer {
            confirm,
            db: state.db.clone(),
            actor: user.actor(),
            user_id: user.id,
            token: parts.extensions.get::<FormToken>().map(|t| t.0.clone()),
            route: format!("{} {}", parts.method, parts.uri.path()),
            platform: parts.extensions.get::<ScopedPlatform>().map(|p| p.0),
        })
    }
}

impl Writer {
    /// Opens the writing transaction and claims the form token. A duplicate of a submission
    /// that committed meanwhile gets `AppError::Resubmitted` (its result) and writes nothing.
    pub async fn begin(&self) -> AppResult<WriteTx> {
        let mut tx = audit::begin(&self.db, &self.actor).await?;
        if let Some(token) = &self.token {
            // Waits while a parallel submission of the same form holds the key.
            if !submissions::claim(&mut tx, token, self.user_id, &self.route).await? {
                tx.rollback().await?;
                return Err(resubmitted(&self.db, token, self.user_id).await?);
            }
        }
        Ok(WriteTx {
            tx,
            db: self.db.clone(),
            actor: self.actor.clone(),
            token: self.token.clone(),
            platforms: self.platform.into_iter().collect(),
            all_platforms: false,
            confirm: self.confirm.clone(),
        })
    }

    /// Who acts (for handlers that write through a helper of their own).
    pub fn actor(&self) -> &Actor {
        &self.actor
    }
}

/// Where the submission of `token` led, if it has been made before (by this user).
async fn resubmitted(db: &PgPool, token: &str, user_id: i64) -> AppResult<AppError> {
    let location = submissions::result_of(db, token, user_id).await?;
    Ok(AppError::Resubmitted(location.flatten()))
}

/// The guard's check before a handler runs: a replay of a completed submission is sent to
/// its result at once.
pub async fn replay_of(
    db: &PgPool,
    token: &FormToken,
    user_id: i64,
) -> AppResult<Option<Response>> {
    let done = submissions::result_of(db, &token.0, user_id).await?;
    Ok(done.map(|location| AppError::Resubmitted(location).into_response()))
}

/// One audit entry: what was done to which record, with its before and after.
#[derive(Debug, Clone)]
pub struct Entry {
    action: String,
    entity: String,
    id: Option<String>,
    before: Option<Value>,
    after: Option<Value>,
}

impl Entry {
    pub fn new(action: &str, entity: &str, id: impl ToString) -> Entry {
        Entry {
            action: action.to_string(),
            entity: entity.to_string(),
            id: Some(id.to_string()),
            before: None,
            after: None,
        }
    }

    /// An entry about no single record (e.g. a bulk change).
    pub fn global(action: &str, entity: &str) -> Entry {
        Entry {
            id: None,
            ..Entry::new(action, entity, "")
        }
    }

    pub fn before(mut self, v: impl Into<Option<Value>>) -> Entry {
        self.before = v.into();
        self
    }

    pub fn after(mut self, v: impl Into<Option<Value>>) -> Entry {
        self.after = v.into();
        self
    }
}

/// The open writing transaction. Derefs to the connection, so `db::…(&mut tx, …)` works.
pub struct WriteTx {
    tx: Transaction<'static, Postgres>,
    db: PgPool,
    actor: Actor,
    token: Option<String>,
    platforms: Vec<i64>,
    /// The write changes what every platform is checked against (a rule parameter, a cycle deadline).
    all_platforms: bool,
    /// The confirmation page of an irreversible step not yet confirmed.
    confirm: Option<String>,
}

impl Deref for WriteTx {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.tx
    }
}

impl WriteTx {
    /// Appends the audit entry, in this transaction.
    pub async fn audit(&mut self, e: Entry) -> AppResult<()> {
        audit::record(
            &mut self.tx,
            &self.actor,
            &e.action,
            &e.entity,
            e.id,
            e.before,
            e.after,
        )
        .await?;
        Ok(())
    }

    /// This write changes another platform's records too (its findings are refreshed).
    pub fn touches(&mut self, platform_id: i64) {
        if !self.platforms.contains(&platform_id) {
            self.platforms.push(platform_id);
        }
    }

    /// This write changes what every platform is checked against: all findings are refreshed.
    pub fn touches_all(&mut self) {
        self.all_platforms = true;
    }

    /// Commits; a resubmission of the form is then shown `location`.
    ///
    /// An irreversible step (its form carried a `confirm_prompt`) that the user has not yet
    /// confirmed is not committed: the handler has validated everything by now, so the
    /// transaction is rolled back and the confirmation page answers, re-sending every field.
    pub async fn commit_at(mut self, location: Option<&str>) -> AppResult<()> {
        if let Some(page) = self.confirm.take() {
            self.tx.rollback().await?;
            return Err(AppError::Confirm(page));
        }
        submissions::complete(&mut self.tx, self.token.as_deref().unwrap_or(""), location).await?;
        self.tx.commit().await?;
        if self.all_platforms || !self.platforms.is_empty() {
            self.platforms.sort_unstable();
            let ids = (!self.all_platforms).then_some(self.platforms.as_slice());
            // The write is committed: a failed refresh is logged, and the daily run repairs it.
            if let Err(e) = compliance::refresh(&self.db, ids, crate::clock::today()).await {
                tracing::warn!(platforms = ?self.platforms, error = %e, "findings refresh after a write failed");
            }
        }
        Ok(())
    }

    /// Commits a write whose response is a page rather than a redirect.
    pub async fn commit(self) -> AppResult<()> {
        self.commit_at(None).await
    }

    /// Commits and sends the browser to `location` (303), where a resubmission goes too.
    pub async fn redirect(self, location: impl Into<String>) -> AppResult<Response> {
        let location = location.into();
        self.commit_at(Some(&location)).await?;
        Ok(Redirect::to(&location).into_response())
    }

    /// Gives up the write (nothing is kept, the form token is free again).
    pub async fn rollback(self) -> AppResult<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

/// A field error for a constraint the database enforces, by constraint name: the one table
/// that turns a violation into a message next to the field.
pub fn field_error(e: &sqlx::Error) -> Option<(&'static str, &'static str)> {
    let sqlx::Error::Database(db) = e else {
        return None;
    };
    Some(match db.constraint()? {
        "platforms_code_key" => ("code", "平台编号已存在，请换一个编号"),
        "jurisdictions_code_key" => ("code", "地区代码已存在"),
        "jurisdictions_name_key" => ("name", "地区名称已存在"),
        "users_username_key" => ("username", "用户名已存在"),
        "platform_companies_mode_key" => ("mode", registration::COMPANY_MODE_TAKEN),
        "decision_body_one_chair" => ("is_chair", registration::SECOND_CHAIR),
        "midyear_reviews_key" => ("year", "该年度的半年过堂会议已记录"),
        "expert_assignments_key" => ("expert_id", "该专家已分配给此平台"),
        _ => return None,
    })
}

impl WriteTx {
    /// Puts an event that moves no stage and cites no document on the platform's timeline
    /// (大事记), by the writer, in this transaction: `kind`, its `summary` and the user's `reason`.
    pub async fn timeline(
        &mut self,
        platform_id: i64,
        kind: &str,
        summary: &str,
        reason: &str,
    ) -> AppResult<()> {
        let event = crate::db::lifecycle::Event {
            platform_id,
            kind,
            from_stage: None,
            to_stage: None,
            summary,
            reason,
            document_id: None,
        };
        crate::db::lifecycle::record(&mut self.tx, &self.actor, &event).await?;
        Ok(())
    }
}
