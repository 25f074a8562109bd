//! The web layer: the route registry, the access guard every route passes through, and one
//! module per feature with its handlers, forms and page structs.

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::domain::role::Role;
use crate::error::error_page;
use crate::state::AppState;

pub mod admin;
pub mod annual;
pub mod annual_config;
pub mod api;
pub mod api_tokens;
pub mod api_v1;
pub mod assets;
pub mod audit;
pub mod auth;
pub use auth::{password_reset, security};
pub mod cache;
pub use dashboards::charts;
pub mod checklist;
pub mod cobuild;
pub mod compliance;
pub mod crumbs;
pub mod dashboards;
pub mod documents;
pub mod evaluation;
pub mod evaluation_round;
pub mod expert;
pub mod flash;
pub mod forms;
pub mod health;
pub mod home;
pub mod import;
pub mod jurisdictions;
pub mod layout;
pub mod ledger;
pub mod limits;
pub mod links;
pub mod mail;
pub mod midyear;
pub mod notices;
pub mod operation;
pub mod platforms;
pub mod policies;
pub mod print;
pub mod recovery;
pub mod rectification;
pub mod registration;
pub mod routes;
pub mod support;
pub mod timeline;
pub mod todo;
pub mod widgets;
pub mod write;
pub mod xlsx;

/// Who may use a route. Deny by default: a request passes only what its route's guard allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// No sign-in needed (login page).
    Public,
    /// Any signed-in account, even one that must change its password first (password page, logout).
    PasswordPending,
    /// Any signed-in account.
    SignedIn,
    /// Signed-in accounts holding one of these roles, within the data scope.
    Roles(&'static [Role], Scope),
    /// Other systems with an API token (`Authorization: Bearer …`, never a session), within the
    /// token's jurisdiction; `Scope::Platform` checks the path's `{id}` like the pages do.
    ApiToken(Scope),
}

/// The data scope a route checks beyond the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// No object in the path: lists filter by scope in their SQL.
    Global,
    /// The path's `{id}` is a platform the account must be allowed to see.
    Platform,
    /// Staff must be city-level (市科技局) staff.
    City,
}

/// One entry of the route registry.
pub struct RouteDef {
    pub method: axum::http::Method,
    pub path: &'static str,
    pub guard: Guard,
    pub handler: MethodRouter<AppState>,
    /// The largest request body the route takes (uploads are larger than forms).
    pub body_limit: usize,
    /// The route creates or submits something: it must be safe against double submission
    /// (tests/it/write_path.rs submits every such route twice, in parallel and as a replay).
    pub creates: bool,
}

/// The whole application: `/healthz`, every registered route behind its guard, static assets,
/// the error fallback and the production middleware.
pub fn router(state: AppState) -> Router {
    // Outside the registry and its guard: answers without a session or the security policy.
    let mut app = Router::new().route("/healthz", axum::routing::get(health::healthz));
    for def in routes::registry() {
        let guarded = def.handler.layer(from_fn_with_state(
            auth::GuardState {
                app: state.clone(),
                guard: def.guard,
                path: def.path,
                body_limit: def.body_limit,
            },
            auth::guard,
        ));
        app = app.route(def.path, guarded);
    }
    let request_id = HeaderName::from_static("x-request-id");
    let static_files = Router::new()
        .nest_service("/static", ServeDir::new(assets::dir()).precompressed_gzip())
        .layer(axum::middleware::from_fn(assets::cache_control));
    app.merge(static_files)
        .fallback(|| async { error_page(StatusCode::NOT_FOUND, "页面不存在", "您访问的页面不存在。".into()) })
        .layer(DefaultBodyLimit::max(auth::FORM_BODY))
        .layer(axum::middleware::from_fn(refuse_control_chars))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                        let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
                        let matched = req
                            .extensions()
                            .get::<axum::extract::MatchedPath>()
                            .map(|p| p.as_str().to_owned())
                            .unwrap_or_default();
                        tracing::info_span!("request", method = %req.method(), path = %matched, request_id = %id)
                    }),
                )
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(CatchPanicLayer::custom(|_| {
                    error_page(StatusCode::INTERNAL_SERVER_ERROR, "系统错误", "系统处理请求时出错，请稍后重试。".into())
                }))
                .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
                .layer(CompressionLayer::new())
                .layer(header_layer(header::CONTENT_SECURITY_POLICY, CSP))
                .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .layer(header_layer(header::REFERRER_POLICY, "same-origin"))
                .layer(header_layer(header::X_FRAME_OPTIONS, "DENY")),
        )
        .with_state(state)
}

/// A path or query with NUL or another control character (percent-encoded or not) is no
/// link of ours: a Chinese 400 before any handler or database sees it.
async fn refuse_control_chars(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let uri = req.uri();
    let bad = |s: &str| percent_decoded(s).any(|b| b < 0x20 || b == 0x7f);
    if bad(uri.path()) || uri.query().is_some_and(bad) {
        return crate::error::AppError::BadRequest(auth::BAD_CHARACTERS.into()).into_response();
    }
    next.run(req).await
}

/// The bytes of a percent-encoded string (a malformed escape is taken literally).
fn percent_decoded(s: &str) -> impl Iterator<Item = u8> + '_ {
    let b = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        let c = *b.get(i)?;
        if c == b'%'
            && let Some(hex) = b.get(i + 1..i + 3)
            && let Some(v) = std::str::from_utf8(hex)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            i += 3;
            return Some(v);
        }
        i += 1;
        Some(c)
    })
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
                   base-uri 'none'; object-src 'none'";

fn header_layer(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// Pages carry personal or scoring data: never cache them.
pub(crate) fn no_store(mut resp: Response) -> Response {
    resp.headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    resp
}
