//! The route registry: every route of the application, with who may use it. Each feature declares
//! its routes in its own table, one line per route (`fn routes()` in `web::<feature>`, using
//! [`prelude`]); [`registry`] is their union. The router is built from the registry (plus static
//! assets and the guard-free `/healthz`), and the authorization matrix test walks it.

use std::convert::Infallible;

use axum::extract::Request;
use axum::handler::Handler;
use axum::http::Method;
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, Route};
use tower::{Layer, Service};

use super::{
    Guard, RouteDef, admin, annual, annual_config, api, api_tokens, api_v1, audit, auth, checklist,
    cobuild, compliance, dashboards, documents, evaluation, evaluation_round, expert, home, import,
    jurisdictions, ledger, mail, midyear, notices, operation, password_reset, platforms, policies,
    recovery, rectification, registration, security, support, timeline, todo,
};
use crate::domain::role::Role::{self, *};
use crate::state::AppState;

/// What a feature's route table needs: `use crate::web::routes::prelude::*;` inside its `routes()`.
pub mod prelude {
    pub use super::{
        ADVISOR, APPROVERS, AUDITOR, CHECKLIST_COMMENTERS, EXPERT, OPERATOR, OVERSIGHT,
        PLATFORM_READERS, RECORD_KEEPERS, SECADMIN, STAFF, SUPPORT_READERS, SYSADMIN,
    };
    pub use super::{get, post};
    pub use crate::web::Guard::*;
    pub use crate::web::Scope::*;
    pub use crate::web::auth::MAX_UPLOAD_BODY;
    pub use axum::extract::DefaultBodyLimit;
}

// The roles of the routes, named once.
pub const STAFF: &[Role] = &[Staff];
/// Who may look at platforms (each within their data scope).
pub const PLATFORM_READERS: &[Role] = &[Staff, Leader, Operator, Advisor];
/// Cross-platform views: staff (their scope) and leaders.
pub const OVERSIGHT: &[Role] = &[Staff, Leader];
/// Who keeps a platform's own records (registration dossier, documents, ledger): staff, and the platform's
/// own operator (scope-checked).
pub const RECORD_KEEPERS: &[Role] = &[Staff, Operator];
/// Who reads a platform's 支持政策 tab: staff, leaders and the platform's own operator (scope-checked).
pub const SUPPORT_READERS: &[Role] = &[Staff, Leader, Operator];
/// Only advisors log service visits (on the platforms assigned to them).
pub const ADVISOR: &[Role] = &[Advisor];
/// The platform's own operator (data scope) files and reports; staff review.
pub const OPERATOR: &[Role] = &[Operator];
pub const EXPERT: &[Role] = &[Expert];
pub const SYSADMIN: &[Role] = &[Sysadmin];
pub const SECADMIN: &[Role] = &[Secadmin];
pub const AUDITOR: &[Role] = &[Auditor];
/// Who files and decides dual-control requests about administrator accounts (web::admin).
pub const APPROVERS: &[Role] = &[Sysadmin, Secadmin];
/// Who may comment on a platform's checklist (each within their data scope).
pub const CHECKLIST_COMMENTERS: &[Role] = &[Staff, Operator, Advisor];

/// A `GET` route: its path, who may use it, its handler.
pub fn get<H, T>(path: &'static str, guard: Guard, handler: H) -> RouteDef
where
    H: Handler<T, AppState>,
    T: 'static,
{
    def(Method::GET, path, guard, axum::routing::get(handler))
}

/// A `POST` route: its path, who may use it, its handler.
pub fn post<H, T>(path: &'static str, guard: Guard, handler: H) -> RouteDef
where
    H: Handler<T, AppState>,
    T: 'static,
{
    def(Method::POST, path, guard, axum::routing::post(handler))
}

impl RouteDef {
    /// Wraps the handler in a layer of its own, inside the guard the router adds (an upload's
    /// `DefaultBodyLimit`, so that its multipart extractor takes the larger body).
    pub fn layer<L>(mut self, layer: L) -> RouteDef
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request, Error = Infallible> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.handler = self.handler.layer(layer);
        self
    }
}

fn def(
    method: Method,
    path: &'static str,
    guard: Guard,
    handler: MethodRouter<AppState>,
) -> RouteDef {
    RouteDef {
        method,
        path,
        guard,
        handler,
        body_limit: super::auth::FORM_BODY,
        creates: false,
    }
}

/// POST routes that create a record or submit something new: each must answer a double
/// submission with the first one's result (tests/it/write_path.rs walks this list).
pub const CREATE_ROUTES: &[&str] = &[
    "/platforms",
    "/platforms/{id}/rectification",
    "/platforms/{id}/rectification/{cid}/measures",
    "/platforms/{id}/rectification/{cid}/notes",
    "/platforms/{id}/registration/bodies",
    "/platforms/{id}/registration/bodies/{body_id}/members",
    "/platforms/{id}/registration/companies",
    "/platforms/{id}/registration/companies/{company_id}/shareholders",
    "/platforms/{id}/documents",
    "/platforms/{id}/documents/{did}/versions",
    "/platforms/{id}/visits",
    "/platforms/{id}/integrity",
    "/platforms/{id}/ledger/{kind}",
    "/platforms/{id}/support/{kind}",
    "/platforms/{id}/support-claims",
    "/cobuild/{year}/proposals",
    "/platforms/{id}/rectification/{cid}/recoveries",
    "/platforms/{id}/midyear/actions",
    "/platforms/{id}/checklist",
    "/platforms/{id}/checklist/{cid}/comments",
    "/evaluations/{year}/objections",
    "/jurisdictions",
    "/admin/users",
    "/platforms/import/{iid}",
    "/platforms/{id}/ledger/import/{iid}",
    "/admin/users/import/{iid}",
    "/security/api-tokens",
];

/// Routes that take a file upload (a larger body than a form): documents and Excel imports
/// (20 MB files; the guard buffers up to [`super::auth::MAX_UPLOAD_BODY`]).
pub const UPLOAD_ROUTES: &[&str] = &[
    "/platforms/{id}/documents",
    "/platforms/{id}/documents/{did}/versions",
    "/platforms/import",
    "/platforms/{id}/ledger/import",
    "/admin/users/import",
];

/// Every route of the application: the features' tables, then the creating and upload routes
/// marked from the two lists above.
pub fn registry() -> Vec<RouteDef> {
    let tables = [
        auth::routes(),
        home::routes(),
        platforms::routes(),
        import::routes(),
        compliance::routes(),
        rectification::routes(),
        recovery::routes(),
        cobuild::routes(),
        timeline::routes(),
        registration::routes(),
        documents::routes(),
        operation::routes(),
        annual_config::routes(),
        ledger::routes(),
        support::routes(),
        annual::routes(),
        midyear::routes(),
        checklist::routes(),
        todo::routes(),
        notices::routes(),
        mail::routes(),
        evaluation::routes(),
        evaluation_round::routes(),
        expert::routes(),
        dashboards::routes(),
        api::routes(),
        jurisdictions::routes(),
        policies::routes(),
        admin::routes(),
        password_reset::routes(),
        security::routes(),
        api_tokens::routes(),
        api_v1::routes(),
        audit::routes(),
    ];
    let mut defs: Vec<RouteDef> = tables.into_iter().flatten().collect();
    for def in &mut defs {
        if def.method == Method::POST {
            def.creates = CREATE_ROUTES.contains(&def.path);
            if UPLOAD_ROUTES.contains(&def.path) {
                def.body_limit = super::auth::MAX_UPLOAD_BODY;
            }
        }
    }
    defs
}
