//! The route registry: every route of the application, with who may use it. The router is
//! built from this table and nothing else, and the authorization matrix test walks it.

use axum::http::Method;
use axum::routing::{MethodRouter, get, post};

use super::{
    Guard, RouteDef, Scope, admin, audit, auth, checklist, health, home, jurisdictions, midyear,
    notices, platforms, security,
};
use crate::domain::role::Role::{self, *};
use crate::state::AppState;

const STAFF: &[Role] = &[Staff];
/// Who may look at platforms (each within their data scope).
const PLATFORM_READERS: &[Role] = &[Staff, Leader, Operator, Advisor];
const SYSADMIN: &[Role] = &[Sysadmin];
const SECADMIN: &[Role] = &[Secadmin];
const AUDITOR: &[Role] = &[Auditor];
const OPERATOR: &[Role] = &[Operator];
/// Who may comment on a platform's checklist (each within their data scope).
const CHECKLIST_COMMENTERS: &[Role] = &[Staff, Operator, Advisor];

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
        // 半年过堂: the operator's H1 report, the review meeting and its actions.
        route(
            M::GET,
            "/platforms/{id}/midyear",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(midyear::page),
        ),
        route(
            M::POST,
            "/platforms/{id}/midyear/report",
            Roles(OPERATOR, Scope::Platform),
            post(midyear::save_report),
        ),
        route(
            M::POST,
            "/platforms/{id}/midyear/submit",
            Roles(OPERATOR, Scope::Platform),
            post(midyear::submit_report),
        ),
        route(
            M::POST,
            "/platforms/{id}/midyear/review",
            Roles(STAFF, Scope::Platform),
            post(midyear::record_review),
        ),
        route(
            M::POST,
            "/platforms/{id}/midyear/actions",
            Roles(STAFF, Scope::Platform),
            post(midyear::add_action),
        ),
        // 清单 (一平台一清单).
        route(
            M::GET,
            "/platforms/{id}/checklist",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(checklist::list),
        ),
        route(
            M::POST,
            "/platforms/{id}/checklist",
            Roles(STAFF, Scope::Platform),
            post(checklist::create),
        ),
        route(
            M::GET,
            "/platforms/{id}/checklist/{cid}",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(checklist::show),
        ),
        route(
            M::POST,
            "/platforms/{id}/checklist/{cid}",
            Roles(STAFF, Scope::Platform),
            post(checklist::update),
        ),
        route(
            M::POST,
            "/platforms/{id}/checklist/{cid}/close",
            Roles(STAFF, Scope::Platform),
            post(checklist::close),
        ),
        route(
            M::POST,
            "/platforms/{id}/checklist/{cid}/reopen",
            Roles(STAFF, Scope::Platform),
            post(checklist::reopen),
        ),
        route(
            M::POST,
            "/platforms/{id}/checklist/{cid}/progress",
            Roles(OPERATOR, Scope::Platform),
            post(checklist::progress),
        ),
        route(
            M::POST,
            "/platforms/{id}/checklist/{cid}/comments",
            Roles(CHECKLIST_COMMENTERS, Scope::Platform),
            post(checklist::comment),
        ),
        // In-app notices (each user's own) and the staff's overdue list.
        route(M::GET, "/notices", SignedIn, get(notices::list)),
        route(
            M::POST,
            "/notices/read-all",
            SignedIn,
            post(notices::mark_all_read),
        ),
        route(
            M::POST,
            "/notices/{nid}/read",
            SignedIn,
            post(notices::mark_read),
        ),
        route(
            M::GET,
            "/annual/overdue",
            Roles(STAFF, Scope::Global),
            get(notices::overdue),
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
