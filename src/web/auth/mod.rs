//! Sign-in, sessions, CSRF and the guard every route passes through: the signed-in account
//! (`CurrentUser`) and the session cookie here; the guard in `guard.rs`, the body checks (CSRF
//! token, control characters, limits) in `csrf.rs`, the pages in `login.rs`, `password.rs`,
//! `password_reset.rs` and `security.rs`.

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;

use super::forms::{Form, Query};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{Duration, Utc};
use serde::Deserialize;

use super::flash::Flash;
use super::layout::Layout;
use super::write::{Entry, Writer};
use crate::db::audit::{self, Actor};
use crate::db::sessions::SessionUser;
use crate::db::{security_policy, sessions, users};
use crate::domain::role::Role;
use crate::domain::scope::PlatformScope;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::password_hash;
use crate::state::AppState;

mod csrf;
mod guard;
mod login;
mod password;
pub mod password_reset;
pub mod security;

pub use csrf::{BAD_CHARACTERS, FORM_BODY, MAX_UPLOAD_BODY, has_control_chars};
pub(crate) use guard::path_platform_id;
pub use guard::{GuardState, PlatformName, Refusal, ScopedPlatform, guard};
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
