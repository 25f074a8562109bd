//! The guard every route passes through: the session, its timeouts and forced password change,
//! the route's roles and data scope, `Origin`, the CSRF token and a replayed form; refusals are
//! audited.

use axum::extract::{FromRequestParts, RawPathParams, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use chrono::{Duration, Utc};

use super::csrf::check_csrf;
use super::{ClientAddr, CurrentUser, PRELOGIN_COOKIE, SESSION_COOKIE, client_addr};
use crate::db::audit::{self, Actor};
use crate::db::security_policy::SecurityPolicy;
use crate::db::sessions::{self, SessionUser};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::write::{self, FormToken};
use crate::web::{Guard, Scope, no_store};

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
        Guard::ApiToken(scope) => {
            crate::web::api_v1::guard::check(&gs.app, scope, req, &mut who).await
        }
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
    use crate::web::limits::Hit;
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

pub(super) async fn check(
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
        user.crumbs = crate::web::crumbs::trail(gs.path, req.uri().path(), name, &user);
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
    let id = path_platform_id(&mut parts).await;
    (Request::from_parts(parts, body), id)
}

/// The `{id}` of the request's path, if it is a number (the API's guard reads it too).
pub(crate) async fn path_platform_id(parts: &mut axum::http::request::Parts) -> Option<i64> {
    let params = RawPathParams::from_request_parts(parts, &()).await.ok()?;
    params
        .iter()
        .find(|(k, _)| *k == "id")
        .and_then(|(_, v)| v.parse::<i64>().ok())
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
