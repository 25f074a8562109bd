//! The check in front of every `/api/v1` data route (`Guard::ApiToken`): a bearer token instead
//! of a session. Deny by default: no token, an unknown, expired or revoked one → 401; too many
//! calls → 429 with `Retry-After`; a platform outside the token's jurisdiction → the same 404 as
//! one that does not exist (as on the pages). Refusals carry a [`Refusal`], so the session
//! guard's caller writes them to the audit trail as `request.refused`; every call let through
//! is audited as `api.call` (with the token's last use) before the handler runs — if that
//! record cannot be written, the call is refused with 503.

use axum::extract::{FromRequestParts, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::ApiError;
use crate::db::api_tokens::{self, Presented};
use crate::db::audit::{self, Actor};
use crate::db::platforms;
use crate::domain::scope::PlatformScope;
use crate::state::AppState;
use crate::web::Scope;
use crate::web::auth::{ClientAddr, Refusal, ScopedPlatform, client_addr};

/// The calling system, put into the request once its token has been checked.
#[derive(Debug, Clone)]
pub struct ApiClient {
    pub token_id: i64,
    pub name: String,
    pub scope: PlatformScope,
}

impl<S: Send + Sync> FromRequestParts<S> for ApiClient {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        // Only the token check inserts it: a handler reached without one denies.
        parts
            .extensions
            .get::<ApiClient>()
            .cloned()
            .ok_or(ApiError::Unauthorized(MISSING, "api_token_missing"))
    }
}

const MISSING: &str = "缺少接口令牌：请在请求头中提供 Authorization: Bearer <令牌>。";
const UNKNOWN: &str = "接口令牌无效。请核对令牌，或联系安全管理员重新签发。";
const EXPIRED: &str = "接口令牌已过期。请联系安全管理员重新签发。";
const REVOKED: &str = "接口令牌已被吊销。请联系安全管理员。";

/// The token of `Authorization: Bearer <token>`, if the header has that form (owned: the
/// request's body is not `Sync`, so nothing borrowed from it may live across an `await`).
fn bearer(req: &Request) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

fn refused(e: ApiError) -> Response {
    e.into_response()
}

/// Checks the token, the rate limit and the platform scope, audits the call, and hands the
/// request on with its [`ApiClient`] (and [`ScopedPlatform`] on `Scope::Platform` routes).
pub async fn check(
    app: &AppState,
    scope: Scope,
    mut req: Request,
    who: &mut Option<Actor>,
) -> Result<Request, Response> {
    let addr = client_addr(&req, app.config.trust_proxy);
    req.extensions_mut().insert(ClientAddr(addr.clone()));
    let Some(token) = bearer(&req) else {
        return Err(refused(ApiError::Unauthorized(
            MISSING,
            "api_token_missing",
        )));
    };
    let token = api_tokens::find(&app.db, &token)
        .await
        .map_err(|e| refused(e.into()))?;
    let Some(token) = token else {
        return Err(refused(ApiError::Unauthorized(
            UNKNOWN,
            "api_token_unknown",
        )));
    };
    let actor = actor_of(&token, addr);
    *who = Some(actor.clone());
    if token.revoked_at.is_some() {
        return Err(refused(ApiError::Unauthorized(
            REVOKED,
            "api_token_revoked",
        )));
    }
    if token.expires_at <= Utc::now() {
        return Err(refused(ApiError::Unauthorized(
            EXPIRED,
            "api_token_expired",
        )));
    }
    if let Err(seconds) = app.limits.api.take(token.id) {
        return Err(refused(ApiError::TooManyRequests(seconds)));
    }
    let client = ApiClient {
        token_id: token.id,
        name: token.name.clone(),
        scope: token.scope(),
    };
    match scope {
        Scope::Platform => req = check_platform(app, req, client.scope).await?,
        // Lists filter by the token's scope in their SQL (tests/it/authz_matrix.rs checks that no
        // API route is registered with `Scope::City`).
        Scope::Global | Scope::City => {}
    }
    let call = serde_json::json!({
        "name": token.name,
        "method": req.method().as_str(),
        "path": req.uri().path(),
        "query": req.uri().query().unwrap_or(""),
    });
    audit_call(app, &actor, token.id, call)
        .await
        .map_err(|e| refused(e.into()))?;
    req.extensions_mut().insert(client);
    Ok(req)
}

/// Who calls, for the audit trail: no account, the token's system by name.
fn actor_of(token: &Presented, addr: Option<String>) -> Actor {
    Actor {
        id: None,
        name: format!("api-token-{}", token.id),
        role: None,
        addr,
    }
}

/// The path's `{id}` must be a platform of the token's scope; outside it answers like a
/// platform that does not exist (no enumeration of ids), and is audited as a refusal.
async fn check_platform(
    app: &AppState,
    req: Request,
    scope: PlatformScope,
) -> Result<Request, Response> {
    let (mut parts, body) = req.into_parts();
    let id = crate::web::auth::path_platform_id(&mut parts)
        .await
        .ok_or_else(|| refused(ApiError::NotFound))?;
    match platforms::scope_ref(&app.db, id).await {
        Ok(Some(p)) if scope.allows(p) => {
            parts.extensions.insert(ScopedPlatform(id));
            Ok(Request::from_parts(parts, body))
        }
        Ok(Some(_)) => {
            let mut resp = refused(ApiError::NotFound);
            resp.extensions_mut().insert(Refusal("out_of_scope"));
            Err(resp)
        }
        Ok(None) => Err(refused(ApiError::NotFound)),
        Err(e) => Err(refused(e.into())),
    }
}

/// One audit record per call, with the token's last use, in one transaction.
async fn audit_call(
    app: &AppState,
    actor: &Actor,
    token_id: i64,
    call: serde_json::Value,
) -> Result<(), sqlx::Error> {
    let mut tx = audit::begin(&app.db, actor).await?;
    api_tokens::mark_used(&mut tx, token_id).await?;
    audit::record(
        &mut tx,
        actor,
        "api.call",
        "api_token",
        Some(token_id.to_string()),
        None,
        Some(call),
    )
    .await?;
    tx.commit().await
}

/// `401` answers name the scheme (RFC 6750).
pub(super) fn www_authenticate(resp: &mut Response) {
    if resp.status() == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"kechuang\""),
        );
    }
}
