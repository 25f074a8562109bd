//! The route registry: every route of the application, with who may use it. The router is
//! built from this table and nothing else, and the authorization matrix test walks it.

use axum::http::Method;
use axum::routing::{MethodRouter, get, post};

use super::compliance;
use super::{
    Guard, RouteDef, Scope, admin, audit, auth, health, home, jurisdictions, platforms, security,
};
use super::{api, dashboards};
use crate::domain::role::Role::{self, *};
use crate::state::AppState;

const STAFF: &[Role] = &[Staff];
/// Who may look at platforms (each within their data scope).
const PLATFORM_READERS: &[Role] = &[Staff, Leader, Operator, Advisor];
/// Cross-platform views: staff (their scope) and leaders.
const OVERSIGHT: &[Role] = &[Staff, Leader];
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
        // Compliance findings (POLICY-RULES.md).
        route(
            M::GET,
            "/platforms/{id}/compliance",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(compliance::platform),
        ),
        route(
            M::GET,
            "/compliance",
            Roles(OVERSIGHT, Scope::Global),
            get(compliance::matrix),
        ),
        route(
            M::GET,
            "/compliance/rules/{rule_id}",
            Roles(OVERSIGHT, Scope::Global),
            get(compliance::rule_view),
        ),
        // Dashboards (PRODUCT.md "Screens") and their charts' JSON, each endpoint with the roles
        // and scope of the page that shows it.
        route(
            M::GET,
            "/workbench",
            Roles(STAFF, Scope::Global),
            get(dashboards::workbench),
        ),
        route(
            M::GET,
            "/leadership",
            Roles(OVERSIGHT, Scope::Global),
            get(dashboards::leadership),
        ),
        route(
            M::GET,
            "/leadership/platforms",
            Roles(OVERSIGHT, Scope::Global),
            get(dashboards::drill_down),
        ),
        route(
            M::GET,
            "/api/leadership/counts.json",
            Roles(OVERSIGHT, Scope::Global),
            get(api::leadership_counts),
        ),
        route(
            M::GET,
            "/api/leadership/grades.json",
            Roles(OVERSIGHT, Scope::Global),
            get(api::leadership_grades),
        ),
        route(
            M::GET,
            "/api/leadership/revenue.json",
            Roles(OVERSIGHT, Scope::Global),
            get(api::leadership_revenue),
        ),
        route(
            M::GET,
            "/api/leadership/break-even.json",
            Roles(OVERSIGHT, Scope::Global),
            get(api::leadership_break_even),
        ),
        route(
            M::GET,
            "/api/platforms/{id}/revenue.json",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(api::platform_revenue),
        ),
        route(
            M::GET,
            "/api/platforms/{id}/revenue-mix.json",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(api::platform_mix),
        ),
        route(
            M::GET,
            "/api/platforms/{id}/break-even.json",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(api::platform_break_even),
        ),
        route(
            M::GET,
            "/api/platforms/{id}/evaluations.json",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(api::platform_evaluations),
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
