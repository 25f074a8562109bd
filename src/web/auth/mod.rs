//! Sign-in, sessions, CSRF and the guard every route passes through.

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;

use super::forms::{Form, Query};
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{Duration, Utc};
use serde::Deserialize;

use super::flash::Flash;
use super::layout::Layout;
use super::write::{self, Entry, FormToken, Writer};
use super::{Guard, Scope, no_store};
use crate::db::audit::{self, Actor};
use crate::db::security_policy::SecurityPolicy;
use crate::db::sessions::SessionUser;
use crate::db::{security_policy, sessions, users};
use crate::domain::role::Role;
use crate::domain::scope::PlatformScope;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::password_hash;
use crate::state::AppState;

mod login;
mod password;
pub mod password_reset;
pub mod security;

pub use login::*;
pub use password::*;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        get( "/login",    Public,          login_page),
        post("/login",    Public,          login),
        post("/logout",   PasswordPending, logout),
        get( "/password", PasswordPending, password_page),
        post("/password", PasswordPending, change_password),
    ]
}

pub const SESSION_COOKIE: &str = "kc_session";
/// Double-submit token for the only form posted before sign-in: the login form.
pub const PRELOGIN_COOKIE: &str = "kc_prelogin";
pub const CSRF_FIELD: &str = "csrf_token";
const CSRF_HEADER: &str = "x-csrf-token";

/// The signed-in account, put into the request by the guard.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Option<Role>,
    pub platform_id: Option<i64>,
    pub jurisdiction_id: Option<i32>,
    pub is_city_staff: bool,
    pub scope: PlatformScope,
    pub csrf: String,
    pub addr: Option<String>,
    /// Unread in-app notices, loaded with the session (the header's bell).
    pub unread_notices: i64,
    /// The page's breadcrumbs (set by the guard from the route registry).
    pub crumbs: Vec<super::crumbs::Crumb>,
    /// The data version read with the session: what the page caches are keyed by (`web::cache`).
    pub data_version: i64,
}

impl CurrentUser {
    fn from_session(s: &SessionUser, addr: Option<String>) -> CurrentUser {
        let role = s.role;
        let jurisdiction = s
            .jurisdiction_id
            .map(|id| (id, s.jurisdiction_is_city.unwrap_or(false)));
        CurrentUser {
            id: s.user_id,
            username: s.username.clone(),
            display_name: s.display_name.clone(),
            role,
            platform_id: s.platform_id,
            jurisdiction_id: s.jurisdiction_id,
            is_city_staff: role == Some(Role::Staff) && s.jurisdiction_is_city == Some(true),
            scope: PlatformScope::of(s.user_id, role, s.platform_id, jurisdiction),
            csrf: s.csrf_token.clone(),
            addr,
            unread_notices: s.unread_notices,
            crumbs: Vec::new(),
            data_version: 0,
        }
    }

    pub fn actor(&self) -> Actor {
        Actor {
            id: Some(self.id),
            name: self.username.clone(),
            role: self.role,
            addr: self.addr.clone(),
        }
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.role == Some(role)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Only the guard inserts it; a handler asking for it on a public route is a bug: deny.
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or(AppError::Forbidden)
    }
}

/// The client's address, for the audit trail.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientAddr>()
            .cloned()
            .unwrap_or(ClientAddr(None)))
    }
}

pub(crate) fn client_addr(req: &Request, trust_proxy: bool) -> Option<String> {
    if trust_proxy {
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_string());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip().to_string())
}

/// State of the guard layer: the app and the guard of the route it wraps.
#[derive(Clone)]
pub struct GuardState {
    pub app: AppState,
    pub guard: Guard,
    /// The route's path pattern (breadcrumbs).
    pub path: &'static str,
    /// The largest request body this route takes.
    pub body_limit: usize,
}

/// The guard: loads the session, enforces timeouts, forced password change, role, data
/// scope, `Origin` and the CSRF token, sends a replayed form to its first result, then runs
/// the handler. Anything unexpected denies; every refusal (403, CSRF, out of scope) is
/// written to the audit trail as a security event (rate-limited per client address).
pub async fn guard(State(gs): State<GuardState>, req: Request, next: Next) -> Response {
    let addr = client_addr(&req, gs.app.config.trust_proxy);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let mut who = None;
    let checked = match gs.guard {
        // Other systems: a bearer token instead of a session (no cookies, no CSRF).
        Guard::ApiToken(scope) => super::api_v1::guard::check(&gs.app, scope, req, &mut who).await,
        _ => check(&gs, req, &mut who).await,
    };
    let resp = match checked {
        Ok(req) => next.run(req).await,
        Err(resp) => resp,
    };
    if let Some(refusal) = resp.extensions().get::<Refusal>().copied() {
        audit_refusal(&gs.app, who, addr, &method, &path, refusal).await;
    }
    no_store(resp)
}

/// Why a request was refused, attached to the response (see `AppError::into_response`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal(pub &'static str);

async fn audit_refusal(
    app: &AppState,
    who: Option<Actor>,
    addr: Option<String>,
    method: &Method,
    path: &str,
    refusal: Refusal,
) {
    use super::limits::Hit;
    let Hit::Allowed { suppressed } = app.limits.refusals.hit(addr.as_deref()) else {
        return;
    };
    let actor = who.unwrap_or_else(|| Actor {
        id: None,
        name: "anonymous".into(),
        role: None,
        addr: addr.clone(),
    });
    let after = serde_json::json!({
        "reason": refusal.0,
        "method": method.as_str(),
        "path": path,
        "not_recorded_before": suppressed,
    });
    let written = async {
        let mut tx = audit::begin(&app.db, &actor).await?;
        audit::record(
            &mut tx,
            &actor,
            "request.refused",
            "request",
            None,
            None,
            Some(after),
        )
        .await?;
        tx.commit().await
    };
    if let Err(e) = written.await {
        tracing::warn!(error = %e, "a refused request could not be audited");
    }
}

/// The name of the platform a `Scope::Platform` route acts on (its breadcrumb).
#[derive(Debug, Clone)]
pub struct PlatformName(pub String);

/// The platform a `Scope::Platform` route acts on, once the guard has checked it.
#[derive(Debug, Clone, Copy)]
pub struct ScopedPlatform(pub i64);

async fn check(
    gs: &GuardState,
    mut req: Request,
    who: &mut Option<Actor>,
) -> Result<Request, Response> {
    let state = &gs.app;
    let addr = client_addr(&req, state.config.trust_proxy);
    req.extensions_mut().insert(ClientAddr(addr.clone()));
    let jar = CookieJar::from_headers(req.headers());
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD);

    if unsafe_method && !same_origin(&req) {
        return Err(AppError::Csrf.into_response());
    }

    // The platform a platform-scoped path names is looked up with the session, in one statement.
    let (mut req, path_platform) = if matches!(gs.guard, Guard::Roles(_, Scope::Platform)) {
        path_id(req).await
    } else {
        (req, None)
    };
    let (session, policy, data_version, scoped) = match jar.get(SESSION_COOKIE) {
        Some(cookie) => {
            let ctx = sessions::load_request(&state.db, cookie.value(), path_platform)
                .await
                .map_err(|e| AppError::from(e).into_response())?;
            let session = live_session(state, cookie.value(), ctx.session, &ctx.policy)
                .await
                .map_err(IntoResponse::into_response)?;
            (session, Some(ctx.policy), ctx.data_version, ctx.platform)
        }
        None => (None, None, 0, None),
    };

    if gs.guard == Guard::Public {
        if unsafe_method {
            let expected = jar.get(PRELOGIN_COOKIE).map(|c| c.value().to_string());
            req = check_csrf(req, expected.as_deref(), gs.body_limit).await?;
        }
        if let Some(s) = &session {
            req.extensions_mut()
                .insert(CurrentUser::from_session(s, addr));
        }
        return Ok(req);
    }

    let Some(session) = session else {
        return Err(if unsafe_method {
            AppError::Csrf.into_response()
        } else {
            let next = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let target = format!(
                "/login?next={}",
                form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            );
            Redirect::to(&target).into_response()
        });
    };
    let mut user = CurrentUser::from_session(&session, addr);
    user.data_version = data_version;
    *who = Some(user.actor());
    let policy = policy.expect("a session comes with the policy");

    if gs.guard != Guard::PasswordPending && password_change_due(&session, user.role, &policy) {
        return Err(if unsafe_method {
            AppError::Forbidden.into_response()
        } else {
            Redirect::to("/password").into_response()
        });
    }

    if let Guard::Roles(roles, scope) = gs.guard {
        let role_ok = user.role.is_some_and(|r| roles.contains(&r));
        if !role_ok {
            return Err(AppError::Forbidden.into_response());
        }
        match scope {
            Scope::Global => {}
            Scope::City => {
                if user.role == Some(Role::Staff) && !user.is_city_staff {
                    return Err(AppError::Forbidden.into_response());
                }
            }
            Scope::Platform => match (path_platform, scoped) {
                (Some(id), Some((p, name))) if user.scope.allows(p) => {
                    req.extensions_mut().insert(ScopedPlatform(id));
                    req.extensions_mut().insert(PlatformName(name));
                }
                // Out of scope answers as if it did not exist (no enumeration of ids), but is
                // audited as the access-control failure it is.
                (Some(_), Some(_)) => {
                    let mut resp = AppError::NotFound.into_response();
                    resp.extensions_mut().insert(Refusal("out_of_scope"));
                    return Err(resp);
                }
                _ => return Err(AppError::NotFound.into_response()),
            },
        }
    }

    if unsafe_method {
        req = check_csrf(req, Some(&user.csrf), gs.body_limit).await?;
        // A form submitted before (replay, back button, double click after the first
        // finished) is sent to the first submission's result and writes nothing.
        if let Some(token) = req.extensions().get::<FormToken>()
            && let Some(resp) = write::replay_of(&state.db, token, user.id)
                .await
                .map_err(IntoResponse::into_response)?
        {
            return Err(resp);
        }
    }
    if Utc::now() - session.last_seen_at > Duration::seconds(60)
        && let Some(cookie) = jar.get(SESSION_COOKIE)
    {
        // A failed touch only shortens the session; never fail the request for it.
        let _ = sessions::touch(&state.db, cookie.value()).await;
    }
    if !unsafe_method {
        let name = req.extensions().get::<PlatformName>().map(|n| n.0.as_str());
        user.crumbs = super::crumbs::trail(gs.path, req.uri().path(), name, &user);
    }
    req.extensions_mut().insert(user);
    Ok(req)
}

/// The session behind the cookie if it is still within the idle and absolute timeouts (an
/// expired one is deleted).
async fn live_session(
    state: &AppState,
    cookie: &str,
    session: Option<SessionUser>,
    policy: &SecurityPolicy,
) -> AppResult<Option<SessionUser>> {
    let Some(s) = session else {
        return Ok(None);
    };
    let is_admin = s.role.is_some_and(Role::is_admin);
    let idle = if is_admin {
        policy.admin_idle_minutes
    } else {
        policy.idle_minutes
    };
    let now = Utc::now();
    let expired = now - s.last_seen_at > Duration::minutes(idle.into())
        || now - s.created_at > Duration::hours(policy.absolute_hours.into());
    if expired || s.disabled {
        let mut conn = state.db.acquire().await?;
        sessions::delete(&mut conn, cookie).await?;
        return Ok(None);
    }
    Ok(Some(s))
}

fn password_change_due(s: &SessionUser, role: Option<Role>, policy: &SecurityPolicy) -> bool {
    let expired = role.is_some_and(Role::password_expires)
        && Utc::now() - s.password_changed_at > Duration::days(policy.password_max_age_days.into());
    s.must_change_password || expired
}

/// The path's `{id}` (a platform-scoped route's platform), if it is a number.
async fn path_id(req: Request) -> (Request, Option<i64>) {
    let (mut parts, body) = req.into_parts();
    let id = RawPathParams::from_request_parts(&mut parts, &())
        .await
        .ok()
        .and_then(|params| {
            params
                .iter()
                .find(|(k, _)| *k == "id")
                .and_then(|(_, v)| v.parse::<i64>().ok())
        });
    (Request::from_parts(parts, body), id)
}

/// A state-changing request must come from our own pages: `Origin` (or, failing that,
/// `Referer`) must name this host.
fn same_origin(req: &Request) -> bool {
    let Some(host) = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
    else {
        return false;
    };
    let source = req
        .headers()
        .get(header::ORIGIN)
        .or_else(|| req.headers().get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    match source {
        Some(url) => {
            let rest = url.split_once("://").map(|(_, r)| r).unwrap_or("");
            rest.split('/').next() == Some(host)
        }
        None => false,
    }
}

/// Largest body of an upload route (the guard buffers it); other routes take [`FORM_BODY`].
pub const MAX_UPLOAD_BODY: usize = 25 * 1024 * 1024;
/// Largest body of an ordinary form.
pub const FORM_BODY: usize = 2 * 1024 * 1024;

/// Checks the CSRF token from the `x-csrf-token` header, the urlencoded form field or the
/// multipart field, refuses control characters in form fields, picks up the form's one-time
/// token, and hands the (buffered) body on unchanged.
async fn check_csrf(
    req: Request,
    expected: Option<&str>,
    limit: usize,
) -> Result<Request, Response> {
    let Some(expected) = expected.filter(|e| !e.is_empty()) else {
        return Err(AppError::Csrf.into_response());
    };
    let too_large = || {
        crate::error::error_page(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "提交的内容过大",
            format!(
                "提交的内容超过 {} MB 的上限，请减小后重试。",
                limit / (1024 * 1024)
            ),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let header_token = req
        .headers()
        .get(write::IDEMPOTENCY_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(FormToken::parse);
    if let Some(token) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if constant_time_eq(token, expected) {
            let mut req = req;
            if let Some(t) = header_token {
                req.extensions_mut().insert(t);
            }
            Ok(req)
        } else {
            Err(AppError::Csrf.into_response())
        };
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let multipart = content_type.starts_with("multipart/form-data");
    if !multipart && !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(AppError::Csrf.into_response());
    }
    let (mut parts, body) = req.into_parts();
    let bytes = to_bytes(body, limit).await.map_err(|_| too_large())?;
    let (token, form_token) = if multipart {
        let mut fields = multipart_fields(
            &content_type,
            bytes.clone(),
            &[CSRF_FIELD, write::FORM_TOKEN_FIELD],
            limit,
        )
        .await;
        (
            fields.remove(CSRF_FIELD),
            fields.remove(write::FORM_TOKEN_FIELD),
        )
    } else {
        let mut token = None;
        let mut form_token = None;
        let mut prompt = None;
        let mut confirmed = false;
        let mut action = None;
        for (k, v) in form_urlencoded::parse(&bytes) {
            if has_control_chars(&k) || has_control_chars(&v) {
                return Err(AppError::BadRequest(BAD_CHARACTERS.into()).into_response());
            }
            if k == CSRF_FIELD {
                token = Some(v.into_owned());
            } else if k == write::FORM_TOKEN_FIELD {
                form_token = Some(v.into_owned());
            } else if k == write::CONFIRM_PROMPT_FIELD {
                prompt = Some(v.into_owned());
            } else if k == write::CONFIRMED_FIELD {
                confirmed = v == "1";
            } else if k == "action" {
                action = Some(v.into_owned());
            }
        }
        if prompt.is_none()
            && let Some(action) = &action
        {
            let key = format!("{}.{action}", write::CONFIRM_PROMPT_FIELD);
            prompt = form_urlencoded::parse(&bytes)
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.into_owned());
        }
        if let Some(prompt) = prompt.filter(|_| !confirmed) {
            // An irreversible step: the handler validates, then `Writer::begin` asks.
            let pairs = form_urlencoded::parse(&bytes)
                .filter(|(k, _)| k != write::CONFIRMED_FIELD)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            parts
                .extensions
                .insert(write::ConfirmPending { prompt, pairs });
        }
        (token, form_token)
    };
    match token {
        Some(token) if constant_time_eq(&token, expected) => {
            if let Some(t) = form_token
                .as_deref()
                .and_then(FormToken::parse)
                .or(header_token)
            {
                parts.extensions.insert(t);
            }
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        _ => Err(AppError::Csrf.into_response()),
    }
}

/// The message for a field, query or path with characters no form of ours sends.
pub const BAD_CHARACTERS: &str = "提交的内容包含无效的控制字符（例如空字符），请检查后重新输入。";

/// NUL and other control characters (tab, line breaks allowed: text areas send them).
pub fn has_control_chars(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// The text of the named fields of a buffered multipart body (one pass).
async fn multipart_fields(
    content_type: &str,
    bytes: axum::body::Bytes,
    names: &'static [&'static str],
    limit: usize,
) -> std::collections::HashMap<&'static str, String> {
    use tower::{Layer, ServiceExt};
    let Ok(req) = axum::http::Request::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(bytes))
    else {
        return Default::default();
    };
    let read = tower::service_fn(move |req: Request| async move {
        Ok::<_, std::convert::Infallible>(fields_named(req, names).await)
    });
    // The body is already buffered (at most `limit`): lift the extractor's default 2 MB
    // limit, which would otherwise refuse every larger upload as a CSRF failure.
    axum::extract::DefaultBodyLimit::max(limit)
        .layer(read)
        .oneshot(req)
        .await
        .unwrap_or_default()
}

async fn fields_named(
    req: Request,
    names: &'static [&'static str],
) -> std::collections::HashMap<&'static str, String> {
    let mut found = std::collections::HashMap::new();
    let Ok(mut multipart) = axum::extract::Multipart::from_request(req, &()).await else {
        return found;
    };
    while let Ok(Some(field)) = multipart.next_field().await {
        let Some(name) = field.name().and_then(|n| names.iter().find(|&&m| m == n)) else {
            continue;
        };
        if let Ok(text) = field.text().await {
            found.entry(*name).or_insert(text);
        }
    }
    found
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn session_cookie(state: &AppState, value: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies)
        .build()
}

/// Only same-site paths are followed after sign-in (no open redirect): a path that starts
/// with one `/`, names no other host once parsed as a URL, and carries no control character,
/// space or backslash (browsers drop tabs and turn `\\` into `/`, so `/%09/evil.example` would
/// otherwise lead to `//evil.example`).
pub fn safe_next(next: &str) -> &str {
    let plain = !next.is_empty()
        && next.starts_with('/')
        && !next.starts_with("//")
        && !next
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    let same_site = plain
        && next
            .parse::<axum::http::Uri>()
            .is_ok_and(|u| u.host().is_none() && u.scheme().is_none());
    if same_site { next } else { "/" }
}

#[cfg(test)]
mod tests {
    use super::{has_control_chars, safe_next};

    #[test]
    fn next_is_a_same_site_path_or_home() {
        for ok in ["/", "/platforms", "/platforms?q=a&page=2", "/platforms/1#x"] {
            assert_eq!(safe_next(ok), ok);
        }
        for bad in [
            "",
            "platforms",
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example",
            "/ /evil.example",
            "/\u{0}",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }

    #[test]
    fn control_characters_except_line_breaks_and_tabs() {
        assert!(has_control_chars("a\u{0}b"));
        assert!(has_control_chars("a\u{1b}b"));
        assert!(has_control_chars("a\u{7f}b"));
        assert!(has_control_chars("a\u{85}b"));
        assert!(!has_control_chars("第一行\r\n第二行\t完"));
    }
}
