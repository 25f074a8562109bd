//! The route registry: every route of the application, with who may use it. The router is
//! built from this table and nothing else, and the authorization matrix test walks it.

use axum::http::Method;
use axum::routing::{MethodRouter, get, post};

use super::{
    Guard, RouteDef, Scope, admin, audit, auth, evaluation, evaluation_round, expert, health, home,
    jurisdictions, platforms, security,
};
use crate::domain::role::Role::{self, *};
use crate::state::AppState;

const STAFF: &[Role] = &[Staff];
/// Who may look at platforms (each within their data scope).
const PLATFORM_READERS: &[Role] = &[Staff, Leader, Operator, Advisor];
const OPERATOR: &[Role] = &[Operator];
/// Staff and leaders: the year's evaluation round and results (each within their data scope).
const ROUND_READERS: &[Role] = &[Staff, Leader];
const EXPERT: &[Role] = &[Expert];
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
        // The year-end evaluation (年底评估), platform side.
        route(
            M::GET,
            "/platforms/{id}/evaluation",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(evaluation::page),
        ),
        route(
            M::POST,
            "/platforms/{id}/evaluation/{year}",
            Roles(OPERATOR, Scope::Platform),
            post(evaluation::save),
        ),
        route(
            M::POST,
            "/platforms/{id}/evaluation/{year}/county-review",
            Roles(STAFF, Scope::Platform),
            post(evaluation::county_review),
        ),
        route(
            M::POST,
            "/platforms/{id}/evaluation/{year}/city-review",
            Roles(STAFF, Scope::Platform),
            post(evaluation::city_review),
        ),
        route(
            M::POST,
            "/platforms/{id}/evaluation/{year}/reopen",
            Roles(STAFF, Scope::Platform),
            post(evaluation::reopen),
        ),
        // The year's evaluation round: city staff act, county staff (their county) and leaders read.
        route(
            M::GET,
            "/evaluations",
            Roles(ROUND_READERS, Scope::Global),
            get(evaluation_round::index),
        ),
        route(
            M::GET,
            "/evaluations/{year}",
            Roles(ROUND_READERS, Scope::Global),
            get(evaluation_round::show),
        ),
        route(
            M::POST,
            "/evaluations/{year}/compute",
            Roles(STAFF, Scope::City),
            post(evaluation_round::compute),
        ),
        route(
            M::POST,
            "/evaluations/{year}/evaluations/{eid}/experts",
            Roles(STAFF, Scope::City),
            post(evaluation_round::assign),
        ),
        route(
            M::POST,
            "/evaluations/{year}/propose",
            Roles(STAFF, Scope::City),
            post(evaluation_round::propose),
        ),
        route(
            M::POST,
            "/evaluations/{year}/notice",
            Roles(STAFF, Scope::City),
            post(evaluation_round::start_notice),
        ),
        route(
            M::POST,
            "/evaluations/{year}/objections",
            Roles(STAFF, Scope::City),
            post(evaluation_round::record_objection),
        ),
        route(
            M::POST,
            "/evaluations/{year}/objections/{oid}/answer",
            Roles(STAFF, Scope::City),
            post(evaluation_round::answer_objection),
        ),
        route(
            M::POST,
            "/evaluations/{year}/publish",
            Roles(STAFF, Scope::City),
            post(evaluation_round::publish),
        ),
        route(
            M::POST,
            "/evaluations/{year}/withdraw",
            Roles(STAFF, Scope::City),
            post(evaluation_round::withdraw),
        ),
        route(
            M::GET,
            "/evaluations/{year}/results",
            Roles(ROUND_READERS, Scope::Global),
            get(evaluation_round::results),
        ),
        route(
            M::GET,
            "/evaluations/{year}/results.xlsx",
            Roles(ROUND_READERS, Scope::Global),
            get(evaluation_round::results_xlsx),
        ),
        // The expert's own assignments (another expert's is a 404).
        route(
            M::GET,
            "/expert",
            Roles(EXPERT, Scope::Global),
            get(expert::list),
        ),
        route(
            M::GET,
            "/expert/assignments/{aid}",
            Roles(EXPERT, Scope::Global),
            get(expert::show),
        ),
        route(
            M::POST,
            "/expert/assignments/{aid}/declaration",
            Roles(EXPERT, Scope::Global),
            post(expert::declare),
        ),
        route(
            M::POST,
            "/expert/assignments/{aid}/scores",
            Roles(EXPERT, Scope::Global),
            post(expert::scores),
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
