//! The one-time password-reset link (`/reset/{token}`): a public page where the owner of an
//! account sets a new password under the security policy's rules. The link was issued by the
//! system admin (for an administrator account, only after a second administrator approved);
//! it lives 24 hours, works once, and only its SHA-256 is stored.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::Utc;
use serde::Deserialize;

use crate::db::audit::{self, Actor};
use crate::db::users::{self, LinkState, ResetLink, User};
use crate::db::{security_policy, sessions};
use crate::domain::validation::FieldErrors;
use crate::error::AppResult;
use crate::password_hash;
use crate::state::AppState;
use crate::web::auth::{ClientAddr, PRELOGIN_COOKIE};
use crate::web::forms::{Form, Path};
use crate::web::layout::Layout;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(in crate::web) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        get( "/reset/{token}", Public, form),
        post("/reset/{token}", Public, submit),
    ]
}

/// Where the reset page lives; the form's double-submit cookie is scoped to it.
const PREFIX: &str = "/reset";

pub fn link_path(token: &str) -> String {
    format!("{PREFIX}/{token}")
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/reset.html")]
pub struct ResetPage {
    pub layout: Layout,
    /// The form's double-submit token (empty when no form is shown).
    pub csrf: String,
    pub action: String,
    pub display_name: String,
    pub username: String,
    pub rules: String,
    pub errors: FieldErrors,
    /// Set when the link cannot be used (title, explanation) — no form then.
    pub refusal: Option<(&'static str, &'static str)>,
    pub done: bool,
}

fn page(action: String) -> ResetPage {
    ResetPage {
        layout: Layout::anonymous(),
        csrf: String::new(),
        action,
        display_name: String::new(),
        username: String::new(),
        rules: String::new(),
        errors: FieldErrors::default(),
        refusal: None,
        done: false,
    }
}

/// Nothing on this page may travel in a `Referer`, nor be cached.
fn private(mut resp: Response) -> Response {
    resp.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

fn refusal_of(state: Option<LinkState>) -> (StatusCode, &'static str, &'static str) {
    match state {
        Some(LinkState::Used) => (
            StatusCode::GONE,
            "该链接已使用",
            "每个重置链接只能使用一次。如需再次重置密码，请联系系统管理员重新发放链接。",
        ),
        Some(LinkState::Expired) => (
            StatusCode::GONE,
            "该链接已过期",
            "重置链接的有效期为24小时。请联系系统管理员重新发放链接。",
        ),
        Some(LinkState::Revoked) => (
            StatusCode::GONE,
            "该链接已作废",
            "系统管理员已为该账户发放了新的链接，此链接不再有效。请使用最新的链接。",
        ),
        Some(LinkState::Live) | None => (
            StatusCode::NOT_FOUND,
            "链接无效",
            "该重置链接不存在，请核对链接是否完整，或联系系统管理员重新发放。",
        ),
    }
}

fn refused(token: &str, state: Option<LinkState>) -> Response {
    let (status, title, message) = refusal_of(state);
    let mut p = page(link_path(token));
    p.refusal = Some((title, message));
    private((status, p).into_response())
}

/// The link and its account if the link is live.
async fn live_link(
    conn: &mut sqlx::PgConnection,
    token: &str,
    lock: bool,
) -> AppResult<Result<(ResetLink, User), Option<LinkState>>> {
    // A token is 43 URL-safe characters; anything else is simply unknown.
    if token.len() > 64
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(Err(None));
    }
    let Some(link) = users::find_reset_link(conn, token, lock).await? else {
        return Ok(Err(None));
    };
    match link.state(Utc::now()) {
        LinkState::Live => {}
        other => return Ok(Err(Some(other))),
    }
    match users::get(conn, link.user_id).await? {
        Some(user) => Ok(Ok((link, user))),
        None => Ok(Err(None)),
    }
}

async fn rules_text(state: &AppState) -> AppResult<String> {
    let policy = security_policy::get(&state.db).await?;
    Ok(format!(
        "至少{}个字符，包含大写字母、小写字母、数字、符号中的至少{}类，且不含用户名。",
        policy.min_length, policy.min_classes
    ))
}

pub async fn form(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let (_, user) = match live_link(&mut conn, &token, false).await? {
        Ok(found) => found,
        Err(why) => return Ok(refused(&token, why)),
    };
    drop(conn);
    let csrf = sessions::random_token();
    let cookie = Cookie::build((PRELOGIN_COOKIE, csrf.clone()))
        .path(PREFIX)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.secure_cookies)
        .build();
    let mut p = page(link_path(&token));
    p.csrf = csrf;
    p.display_name = user.display_name;
    p.username = user.username;
    p.rules = rules_text(&state).await?;
    Ok(private((jar.add(cookie), p).into_response()))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResetForm {
    new: String,
    confirm: String,
}

pub async fn submit(
    State(state): State<AppState>,
    jar: CookieJar,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
    Form(f): Form<ResetForm>,
) -> AppResult<Response> {
    let policy = security_policy::get(&state.db).await?;
    let mut conn = state.db.acquire().await?;
    let (_, user) = match live_link(&mut conn, &token, false).await? {
        Ok(found) => found,
        Err(why) => return Ok(refused(&token, why)),
    };
    drop(conn);

    let mut errors = FieldErrors::default();
    if let Err(msg) = policy.password_rules().check(&f.new, &user.username) {
        errors.add("new", msg);
    }
    if f.confirm != f.new {
        errors.add("confirm", "两次输入的新密码不一致");
    }
    if !errors.is_empty() {
        let mut p = page(link_path(&token));
        p.csrf = jar
            .get(PRELOGIN_COOKIE)
            .map(|c| c.value().to_string())
            .unwrap_or_default();
        p.display_name = user.display_name;
        p.username = user.username;
        p.rules = rules_text(&state).await?;
        p.errors = errors;
        return Ok(private(
            (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
        ));
    }

    let hash = password_hash::hash_async(f.new).await?;
    // The owner acts: the link proved it (migration 0015 lets only the owner use a link).
    let owner = Actor {
        id: Some(user.id),
        name: user.username.clone(),
        role: user.role(),
        addr,
    };
    let mut tx = audit::begin(&state.db, &owner).await?;
    // Checked again under a row lock: two submissions of one link set one password.
    let link = match live_link(&mut tx, &token, true).await? {
        Ok((link, _)) => link,
        Err(why) => {
            tx.rollback().await?;
            return Ok(refused(&token, why));
        }
    };
    if !users::use_reset_link(&mut tx, link.id).await? {
        tx.rollback().await?;
        return Ok(refused(&token, Some(LinkState::Used)));
    }
    users::set_password(&mut tx, user.id, &hash, false).await?;
    sessions::delete_for_user(&mut tx, user.id).await?;
    audit::record(
        &mut tx,
        &owner,
        "password.reset_link",
        "user",
        Some(user.id.to_string()),
        None,
        Some(serde_json::json!({"link_id": link.id, "request_id": link.request_id})),
    )
    .await?;
    tx.commit().await?;
    let mut p = page(link_path(&token));
    p.done = true;
    p.display_name = user.display_name;
    let jar = jar.remove(Cookie::build(PRELOGIN_COOKIE).path(PREFIX));
    Ok(private((jar, p).into_response()))
}
