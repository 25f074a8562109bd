//! The route registry: every route of the application, with who may use it. The router is
//! built from this table and nothing else, and the authorization matrix test walks it.

use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{MethodRouter, get, post};

use super::{
    Guard, RouteDef, Scope, admin, audit, auth, documents, health, home, jurisdictions, operation,
    platforms, security,
};
use crate::domain::role::Role::{self, *};
use crate::state::AppState;

const STAFF: &[Role] = &[Staff];
/// Who may look at platforms (each within their data scope).
const PLATFORM_READERS: &[Role] = &[Staff, Leader, Operator, Advisor];
/// Who may file a platform's documents: staff, and the platform's own operator.
const DOCUMENT_UPLOADERS: &[Role] = &[Staff, Operator];
/// Only advisors log service visits (on the platforms assigned to them).
const ADVISOR: &[Role] = &[Advisor];
const SYSADMIN: &[Role] = &[Sysadmin];
const SECADMIN: &[Role] = &[Secadmin];
const AUDITOR: &[Role] = &[Auditor];

fn route(
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
    }
}

pub fn registry() -> Vec<RouteDef> {
    use Guard::*;
    use Method as M;
    vec![
        route(M::GET, "/healthz", Public, get(health::healthz)),
        route(M::GET, "/login", Public, get(auth::login_page)),
        route(M::POST, "/login", Public, post(auth::login)),
        route(M::POST, "/logout", PasswordPending, post(auth::logout)),
        route(
            M::GET,
            "/password",
            PasswordPending,
            get(auth::password_page),
        ),
        route(
            M::POST,
            "/password",
            PasswordPending,
            post(auth::change_password),
        ),
        route(M::GET, "/", SignedIn, get(home::home)),
        // The platform registry.
        route(
            M::GET,
            "/platforms",
            Roles(PLATFORM_READERS, Scope::Global),
            get(platforms::list),
        ),
        route(
            M::GET,
            "/platforms/new",
            Roles(STAFF, Scope::Global),
            get(platforms::new_form),
        ),
        route(
            M::POST,
            "/platforms",
            Roles(STAFF, Scope::Global),
            post(platforms::create),
        ),
        route(
            M::GET,
            "/platforms/{id}",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(platforms::show),
        ),
        route(
            M::GET,
            "/platforms/{id}/edit",
            Roles(STAFF, Scope::Platform),
            get(platforms::edit_form),
        ),
        route(
            M::POST,
            "/platforms/{id}",
            Roles(STAFF, Scope::Platform),
            post(platforms::update),
        ),
        // Documents (issue 3): listed by kind with every version; uploads never overwrite.
        route(
            M::GET,
            "/platforms/{id}/documents",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(documents::list),
        ),
        route(
            M::POST,
            "/platforms/{id}/documents",
            Roles(DOCUMENT_UPLOADERS, Scope::Platform),
            post(documents::create).layer(DefaultBodyLimit::max(documents::UPLOAD_BODY_LIMIT)),
        ),
        route(
            M::POST,
            "/platforms/{id}/documents/{did}/versions",
            Roles(DOCUMENT_UPLOADERS, Scope::Platform),
            post(documents::create_version)
                .layer(DefaultBodyLimit::max(documents::UPLOAD_BODY_LIMIT)),
        ),
        route(
            M::GET,
            "/platforms/{id}/documents/{did}/versions/{vid}",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(documents::download),
        ),
        // Operation (运行管理): advisor and staff, visits, acceptance, deadline, integrity.
        route(
            M::GET,
            "/platforms/{id}/operation",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(operation::show),
        ),
        route(
            M::POST,
            "/platforms/{id}/assignment",
            Roles(STAFF, Scope::Platform),
            post(operation::assign),
        ),
        route(
            M::POST,
            "/platforms/{id}/visits",
            Roles(ADVISOR, Scope::Platform),
            post(operation::log_visit),
        ),
        route(
            M::POST,
            "/platforms/{id}/acceptance",
            Roles(STAFF, Scope::Platform),
            post(operation::record_acceptance),
        ),
        route(
            M::POST,
            "/platforms/{id}/integrity",
            Roles(STAFF, Scope::Platform),
            post(operation::record_integrity),
        ),
        // Jurisdictions: city staff add more.
        route(
            M::GET,
            "/jurisdictions",
            Roles(STAFF, Scope::City),
            get(jurisdictions::list),
        ),
        route(
            M::POST,
            "/jurisdictions",
            Roles(STAFF, Scope::City),
            post(jurisdictions::create),
        ),
        // 三员分立: accounts (system admin), roles and security policy (security admin), audit (audit admin).
        route(
            M::GET,
            "/admin/users",
            Roles(SYSADMIN, Scope::Global),
            get(admin::list),
        ),
        route(
            M::POST,
            "/admin/users",
            Roles(SYSADMIN, Scope::Global),
            post(admin::create),
        ),
        route(
            M::POST,
            "/admin/users/{uid}/password",
            Roles(SYSADMIN, Scope::Global),
            post(admin::reset_password),
        ),
        route(
            M::POST,
            "/admin/users/{uid}/status",
            Roles(SYSADMIN, Scope::Global),
            post(admin::set_status),
        ),
        route(
            M::GET,
            "/security/users",
            Roles(SECADMIN, Scope::Global),
            get(security::users),
        ),
        route(
            M::GET,
            "/security/users/{uid}",
            Roles(SECADMIN, Scope::Global),
            get(security::role_form),
        ),
        route(
            M::POST,
            "/security/users/{uid}",
            Roles(SECADMIN, Scope::Global),
            post(security::assign_role),
        ),
        route(
            M::POST,
            "/security/users/{uid}/unlock",
            Roles(SECADMIN, Scope::Global),
            post(security::unlock),
        ),
        route(
            M::GET,
            "/security/policy",
            Roles(SECADMIN, Scope::Global),
            get(security::policy_form),
        ),
        route(
            M::POST,
            "/security/policy",
            Roles(SECADMIN, Scope::Global),
            post(security::update_policy),
        ),
        route(
            M::GET,
            "/audit",
            Roles(AUDITOR, Scope::Global),
            get(audit::list),
        ),
        route(
            M::GET,
            "/audit/verify",
            Roles(AUDITOR, Scope::Global),
            get(audit::verify),
        ),
    ]
}
