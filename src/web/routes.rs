//! The route registry: every route of the application, with who may use it. The router is
//! built from this table and nothing else, and the authorization matrix test walks it.

use axum::http::Method;
use axum::routing::{MethodRouter, get, post};

use super::{
    Guard, RouteDef, Scope, admin, annual, annual_config, audit, auth, health, home, jurisdictions,
    ledger, platforms, security,
};
use crate::domain::role::Role::{self, *};
use crate::state::AppState;

const STAFF: &[Role] = &[Staff];
/// Who may look at platforms (each within their data scope).
const PLATFORM_READERS: &[Role] = &[Staff, Leader, Operator, Advisor];
/// The platform's own operator (data scope) files; staff review.
const OPERATOR: &[Role] = &[Operator];
/// Who keeps a platform's ledger: its own operator and staff (each within their data scope).
const LEDGER_WRITERS: &[Role] = &[Operator, Staff];
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
        // The annual cycle: configuration per year (city staff edit, county staff read).
        route(
            M::GET,
            "/annual/config",
            Roles(STAFF, Scope::Global),
            get(annual_config::list),
        ),
        route(
            M::GET,
            "/annual/config/{year}",
            Roles(STAFF, Scope::Global),
            get(annual_config::show),
        ),
        route(
            M::GET,
            "/annual/config/{year}/edit",
            Roles(STAFF, Scope::City),
            get(annual_config::edit_form),
        ),
        route(
            M::POST,
            "/annual/config/{year}",
            Roles(STAFF, Scope::City),
            post(annual_config::update),
        ),
        route(
            M::POST,
            "/annual/config/{year}/copy",
            Roles(STAFF, Scope::City),
            post(annual_config::copy),
        ),
        // The ledger (台账) of a platform.
        route(
            M::GET,
            "/platforms/{id}/ledger",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(ledger::show),
        ),
        route(
            M::POST,
            "/platforms/{id}/ledger/{kind}",
            Roles(LEDGER_WRITERS, Scope::Platform),
            post(ledger::add),
        ),
        route(
            M::POST,
            "/platforms/{id}/ledger/{kind}/{rid}/delete",
            Roles(LEDGER_WRITERS, Scope::Platform),
            post(ledger::delete),
        ),
        // The 年度考核 tab and the year-start filing (年初备案).
        route(
            M::GET,
            "/platforms/{id}/annual",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(annual::page),
        ),
        route(
            M::GET,
            "/platforms/{id}/annual/filing",
            Roles(OPERATOR, Scope::Platform),
            get(annual::filing_form),
        ),
        route(
            M::POST,
            "/platforms/{id}/annual/filing",
            Roles(OPERATOR, Scope::Platform),
            post(annual::save_filing),
        ),
        route(
            M::GET,
            "/platforms/{id}/annual/filing/{fid}",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(annual::filing_version),
        ),
        route(
            M::POST,
            "/platforms/{id}/annual/filing/{fid}/review",
            Roles(STAFF, Scope::Platform),
            post(annual::review_filing),
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
