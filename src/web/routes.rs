//! The route registry: every route of the application, with who may use it. The router is
//! built from this table (plus static assets and the guard-free `/healthz`), and the
//! authorization matrix test walks it.

use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{MethodRouter, get, post};

use super::compliance;
use super::registration;
use super::{
    Guard, RouteDef, Scope, admin, annual, annual_config, audit, auth, checklist, cobuild,
    documents, evaluation, evaluation_round, expert, home, import, jurisdictions, ledger, mail,
    midyear, notices, operation, password_reset, platforms, policies, recovery, rectification,
    security, support, timeline, todo,
};
use super::{api, api_tokens, api_v1, dashboards};
use crate::domain::role::Role::{self, *};
use crate::state::AppState;

const STAFF: &[Role] = &[Staff];
/// Who may look at platforms (each within their data scope).
const PLATFORM_READERS: &[Role] = &[Staff, Leader, Operator, Advisor];
/// Cross-platform views: staff (their scope) and leaders.
const OVERSIGHT: &[Role] = &[Staff, Leader];
/// Who keeps a platform's own records (registration dossier, documents, ledger): staff, and the platform's
/// own operator (scope-checked).
const RECORD_KEEPERS: &[Role] = &[Staff, Operator];
/// Who reads a platform's 支持政策 tab: staff, leaders and the platform's own operator (scope-checked).
const SUPPORT_READERS: &[Role] = &[Staff, Leader, Operator];
/// Only advisors log service visits (on the platforms assigned to them).
const ADVISOR: &[Role] = &[Advisor];
/// The platform's own operator (data scope) files and reports; staff review.
const OPERATOR: &[Role] = &[Operator];
const EXPERT: &[Role] = &[Expert];
const SYSADMIN: &[Role] = &[Sysadmin];
const SECADMIN: &[Role] = &[Secadmin];
const AUDITOR: &[Role] = &[Auditor];
/// Who files and decides dual-control requests about administrator accounts (web::admin).
const APPROVERS: &[Role] = &[Sysadmin, Secadmin];
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
        body_limit: super::auth::FORM_BODY,
        creates: false,
    }
}

/// POST routes that create a record or submit something new: each must answer a double
/// submission with the first one's result (tests/write_path.rs walks this list).
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

pub fn registry() -> Vec<RouteDef> {
    let mut defs = routes();
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

fn routes() -> Vec<RouteDef> {
    use Guard::*;
    use Method as M;
    vec![
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
            "/platforms.xlsx",
            Roles(PLATFORM_READERS, Scope::Global),
            get(platforms::export_xlsx),
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
        // Excel import of the registry (bulk onboarding): staff, county staff into their county.
        route(
            M::GET,
            "/platforms/import",
            Roles(STAFF, Scope::Global),
            get(import::platforms_page),
        ),
        route(
            M::GET,
            "/platforms/import/template.xlsx",
            Roles(STAFF, Scope::Global),
            get(import::platforms_template),
        ),
        route(
            M::POST,
            "/platforms/import",
            Roles(STAFF, Scope::Global),
            post(import::platforms_upload)
                .layer(DefaultBodyLimit::max(super::auth::MAX_UPLOAD_BODY)),
        ),
        route(
            M::POST,
            "/platforms/import/{iid}",
            Roles(STAFF, Scope::Global),
            post(import::platforms_confirm),
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
            "/compliance.xlsx",
            Roles(OVERSIGHT, Scope::Global),
            get(compliance::matrix_xlsx),
        ),
        route(
            M::GET,
            "/compliance/rules/{rule_id}",
            Roles(OVERSIGHT, Scope::Global),
            get(compliance::rule_view),
        ),
        // Exit / rectification (退出整改) and the 退/转/并/留 decision: staff write, readers in scope read.
        route(
            M::GET,
            "/platforms/{id}/rectification",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(rectification::index),
        ),
        route(
            M::POST,
            "/platforms/{id}/rectification",
            Roles(STAFF, Scope::Platform),
            post(rectification::open),
        ),
        route(
            M::GET,
            "/platforms/{id}/rectification/{cid}",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(rectification::show),
        ),
        route(
            M::POST,
            "/platforms/{id}/rectification/{cid}/measures",
            Roles(STAFF, Scope::Platform),
            post(rectification::add_measure),
        ),
        route(
            M::POST,
            "/platforms/{id}/rectification/{cid}/measures/{mid}",
            Roles(STAFF, Scope::Platform),
            post(rectification::set_measure_done),
        ),
        route(
            M::POST,
            "/platforms/{id}/rectification/{cid}/notes",
            Roles(STAFF, Scope::Platform),
            post(rectification::add_note),
        ),
        route(
            M::POST,
            "/platforms/{id}/rectification/{cid}/assessment",
            Roles(STAFF, Scope::Platform),
            post(rectification::assess),
        ),
        route(
            M::POST,
            "/platforms/{id}/rectification/{cid}/propose",
            Roles(STAFF, Scope::Platform),
            post(rectification::propose),
        ),
        route(
            M::POST,
            "/platforms/{id}/rectification/{cid}/withdraw",
            Roles(STAFF, Scope::Platform),
            post(rectification::withdraw),
        ),
        route(
            M::POST,
            "/platforms/{id}/rectification/{cid}/signoff",
            Roles(STAFF, Scope::Platform),
            post(rectification::sign_off),
        ),
        // Funds to recover after 退/转/并: staff list them and record recoveries (追回).
        route(
            M::POST,
            "/platforms/{id}/rectification/{cid}/recoveries",
            Roles(STAFF, Scope::Platform),
            post(rectification::record_recovery),
        ),
        route(
            M::GET,
            "/recovery",
            Roles(STAFF, Scope::Global),
            get(recovery::index),
        ),
        // City–county co-building (市县共建): city staff set the share, propose and decide (two people);
        // county staff read their county's part, leaders read.
        route(
            M::GET,
            "/cobuild",
            Roles(OVERSIGHT, Scope::Global),
            get(cobuild::index),
        ),
        route(
            M::POST,
            "/cobuild/{year}/share",
            Roles(STAFF, Scope::City),
            post(cobuild::set_share),
        ),
        route(
            M::POST,
            "/cobuild/{year}/proposals",
            Roles(STAFF, Scope::City),
            post(cobuild::propose),
        ),
        route(
            M::POST,
            "/cobuild/proposals/{rid}/decide",
            Roles(STAFF, Scope::City),
            post(cobuild::decide),
        ),
        // The timeline of stage changes and key events.
        route(
            M::GET,
            "/platforms/{id}/timeline",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(timeline::show),
        ),
        // Setup registration (设立登记): the dossier, its forms, and the staff approval.
        route(
            M::GET,
            "/platforms/{id}/registration",
            Roles(PLATFORM_READERS, Scope::Platform),
            get(registration::show),
        ),
        route(
            M::POST,
            "/platforms/{id}/registration/charter",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(registration::set_charter),
        ),
        route(
            M::GET,
            "/platforms/{id}/registration/plan",
            Roles(RECORD_KEEPERS, Scope::Platform),
            get(registration::plan_form),
        ),
        route(
            M::POST,
            "/platforms/{id}/registration/plan",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(registration::save_plan),
        ),
        route(
            M::GET,
            "/platforms/{id}/registration/bodies/new",
            Roles(RECORD_KEEPERS, Scope::Platform),
            get(registration::new_body_form),
        ),
        route(
            M::POST,
            "/platforms/{id}/registration/bodies",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(registration::create_body),
        ),
        route(
            M::GET,
            "/platforms/{id}/registration/bodies/{body_id}",
            Roles(RECORD_KEEPERS, Scope::Platform),
            get(registration::edit_body_form),
        ),
        route(
            M::POST,
            "/platforms/{id}/registration/bodies/{body_id}",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(registration::update_body),
        ),
        route(
            M::POST,
            "/platforms/{id}/registration/bodies/{body_id}/delete",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(registration::delete_body),
        ),
        route(
            M::GET,
            "/platforms/{id}/registration/bodies/{body_id}/members/new",
            Roles(RECORD_KEEPERS, Scope::Platform),
            get(registration::new_member_form),
        ),
        route(
            M::POST,
            "/platforms/{id}/registration/bodies/{body_id}/members",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(registration::create_member),
        ),
        route(
            M::GET,
            "/platforms/{id}/registration/members/{member_id}",
            Roles(RECORD_KEEPERS, Scope::Platform),
            get(registration::edit_member_form),
        ),
        route(
            M::POST,
            "/platforms/{id}/registration/members/{member_id}",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(registration::update_member),
        ),
        route(
            M::POST,
            "/platforms/{id}/registration/members/{member_id}/delete",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(registration::delete_member),
        ),
        route(
            M::GET,
            "/platforms/{id}/registration/companies/new",
            Roles(RECORD_KEEPERS, Scope::Platform),
            get(registration::new_company_form),
        ),
        route(
            M::POST,
            "/platforms/{id}/registration/companies",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(registration::create_company),
        ),
        route(
            M::GET,
            "/platforms/{id}/registration/companies/{company_id}",
            Roles(RECORD_KEEPERS, Scope::Platform),
            get(registration::edit_company_form),
        ),
        route(
            M::POST,
            "/platforms/{id}/registration/companies/{company_id}",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(registration::update_company),
        ),
        route(
            M::POST,
            "/platforms/{id}/registration/companies/{company_id}/delete",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(registration::delete_company),
        ),
        route(
            M::GET,
            "/platforms/{id}/registration/companies/{company_id}/shareholders/new",
            Roles(RECORD_KEEPERS, Scope::Platform),
            get(registration::new_shareholder_form),
        ),
        route(
            M::POST,
            "/platforms/{id}/registration/companies/{company_id}/shareholders",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(registration::create_shareholder),
        ),
        route(
            M::GET,
            "/platforms/{id}/registration/shareholders/{shareholder_id}",
            Roles(RECORD_KEEPERS, Scope::Platform),
            get(registration::edit_shareholder_form),
        ),
        route(
            M::POST,
            "/platforms/{id}/registration/shareholders/{shareholder_id}",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(registration::update_shareholder),
        ),
        route(
            M::POST,
            "/platforms/{id}/registration/shareholders/{shareholder_id}/delete",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(registration::delete_shareholder),
        ),
        route(
            M::POST,
            "/platforms/{id}/registration/submit",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(registration::submit),
        ),
        route(
            M::GET,
            "/platforms/{id}/approve",
            Roles(STAFF, Scope::Platform),
            get(registration::approve_form),
        ),
        route(
            M::POST,
            "/platforms/{id}/registration/return",
            Roles(STAFF, Scope::Platform),
            post(registration::return_registration),
        ),
        route(
            M::POST,
            "/platforms/{id}/approve",
            Roles(STAFF, Scope::Platform),
            post(registration::approve),
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
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(documents::create).layer(DefaultBodyLimit::max(documents::UPLOAD_BODY_LIMIT)),
        ),
        route(
            M::POST,
            "/platforms/{id}/documents/{did}/versions",
            Roles(RECORD_KEEPERS, Scope::Platform),
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
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(ledger::add),
        ),
        route(
            M::POST,
            "/platforms/{id}/ledger/{kind}/{rid}/delete",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(ledger::delete),
        ),
        // Excel import of a year's ledger: the platform's operator and staff.
        route(
            M::GET,
            "/platforms/{id}/ledger/import",
            Roles(RECORD_KEEPERS, Scope::Platform),
            get(import::ledger_page),
        ),
        route(
            M::GET,
            "/platforms/{id}/ledger/import/template.xlsx",
            Roles(RECORD_KEEPERS, Scope::Platform),
            get(import::ledger_template),
        ),
        route(
            M::POST,
            "/platforms/{id}/ledger/import",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(import::ledger_upload).layer(DefaultBodyLimit::max(super::auth::MAX_UPLOAD_BODY)),
        ),
        route(
            M::POST,
            "/platforms/{id}/ledger/import/{iid}",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(import::ledger_confirm),
        ),
        // The 支持政策 tab (SUPPORT-RULES.md) and the records behind it.
        route(
            M::GET,
            "/platforms/{id}/support",
            Roles(SUPPORT_READERS, Scope::Platform),
            get(support::show),
        ),
        route(
            M::POST,
            "/platforms/{id}/support/{kind}",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(support::add),
        ),
        route(
            M::POST,
            "/platforms/{id}/support/{kind}/{rid}/delete",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(support::delete),
        ),
        // Support claims: 申报 by the operator or staff; 审核, 拨付 and 追回 by staff.
        route(
            M::POST,
            "/platforms/{id}/support-claims",
            Roles(RECORD_KEEPERS, Scope::Platform),
            post(support::add_claim),
        ),
        route(
            M::POST,
            "/platforms/{id}/support-claims/{cid}/review",
            Roles(STAFF, Scope::Platform),
            post(support::review),
        ),
        route(
            M::POST,
            "/platforms/{id}/support-claims/{cid}/pay",
            Roles(STAFF, Scope::Platform),
            post(support::pay),
        ),
        route(
            M::POST,
            "/platforms/{id}/support-claims/{cid}/recover",
            Roles(STAFF, Scope::Platform),
            post(support::recover),
        ),
        route(
            M::POST,
            "/platforms/{id}/support-claims/{cid}/recovered",
            Roles(STAFF, Scope::Platform),
            post(support::recovered),
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
        // Each user's own to-do list (scoped by their role's data scope; empty for roles
        // without platform work), in-app notices (each user's own) and the staff's overdue list.
        route(M::GET, "/todo", SignedIn, get(todo::page)),
        route(M::GET, "/notices", SignedIn, get(notices::list)),
        // E-mail notices: one's own settings; the outbox for the system admin.
        route(M::GET, "/notices/settings", SignedIn, get(mail::settings)),
        route(
            M::POST,
            "/notices/settings",
            SignedIn,
            post(mail::save_settings),
        ),
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
            Roles(OVERSIGHT, Scope::Global),
            get(evaluation_round::index),
        ),
        route(
            M::GET,
            "/evaluations/{year}",
            Roles(OVERSIGHT, Scope::Global),
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
            Roles(OVERSIGHT, Scope::Global),
            get(evaluation_round::results),
        ),
        route(
            M::GET,
            "/evaluations/{year}/results.xlsx",
            Roles(OVERSIGHT, Scope::Global),
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
            "/leadership/platforms.xlsx",
            Roles(OVERSIGHT, Scope::Global),
            get(dashboards::drill_down_xlsx),
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
        // The policy library and the rule catalogue (read-only; path params are not platforms).
        route(
            M::GET,
            "/policies",
            Roles(PLATFORM_READERS, Scope::Global),
            get(policies::list),
        ),
        route(
            M::GET,
            "/policies/{short_id}",
            Roles(PLATFORM_READERS, Scope::Global),
            get(policies::show),
        ),
        route(
            M::GET,
            "/rules",
            Roles(PLATFORM_READERS, Scope::Global),
            get(policies::rules),
        ),
        route(
            M::GET,
            "/rules/{rule_id}",
            Roles(PLATFORM_READERS, Scope::Global),
            get(policies::rule),
        ),
        // City staff change a rule's parameters (with a reason; history kept, findings recomputed).
        route(
            M::POST,
            "/rules/{rule_id}/params/{name}",
            Roles(STAFF, Scope::City),
            post(policies::update_param),
        ),
        // Support programmes (SUPPORT-RULES.md): packs, programmes and their parameters; city staff change them.
        route(
            M::GET,
            "/programmes",
            Roles(PLATFORM_READERS, Scope::Global),
            get(policies::programmes),
        ),
        route(
            M::POST,
            "/programmes/{pid}/params/{name}",
            Roles(STAFF, Scope::City),
            post(policies::update_programme_param),
        ),
        // City staff switch a pack on or off (with a reason; history kept, support recomputed).
        route(
            M::POST,
            "/programmes/packs/{code}",
            Roles(STAFF, Scope::City),
            post(policies::switch_pack),
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
            M::GET,
            "/admin/users/import",
            Roles(SYSADMIN, Scope::Global),
            get(import::accounts_page),
        ),
        route(
            M::GET,
            "/admin/users/import/template.xlsx",
            Roles(SYSADMIN, Scope::Global),
            get(import::accounts_template),
        ),
        route(
            M::POST,
            "/admin/users/import",
            Roles(SYSADMIN, Scope::Global),
            post(import::accounts_upload)
                .layer(DefaultBodyLimit::max(super::auth::MAX_UPLOAD_BODY)),
        ),
        route(
            M::POST,
            "/admin/users/import/{iid}",
            Roles(SYSADMIN, Scope::Global),
            post(import::accounts_confirm),
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
            M::POST,
            "/admin/users/{uid}/email",
            Roles(SYSADMIN, Scope::Global),
            post(admin::set_email),
        ),
        route(
            M::GET,
            "/admin/mail",
            Roles(SYSADMIN, Scope::Global),
            get(mail::admin_page),
        ),
        // Dual control over administrator accounts, and the owner's one-time reset link.
        route(
            M::GET,
            "/admin/users/{uid}",
            Roles(SYSADMIN, Scope::Global),
            get(admin::account),
        ),
        route(
            M::GET,
            "/admin/requests",
            Roles(APPROVERS, Scope::Global),
            get(admin::requests),
        ),
        route(
            M::POST,
            "/admin/requests/{rid}/approve",
            Roles(APPROVERS, Scope::Global),
            post(admin::approve),
        ),
        route(
            M::POST,
            "/admin/requests/{rid}/reject",
            Roles(APPROVERS, Scope::Global),
            post(admin::reject),
        ),
        route(M::GET, "/reset/{token}", Public, get(password_reset::form)),
        route(
            M::POST,
            "/reset/{token}",
            Public,
            post(password_reset::submit),
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
        // API tokens for other systems (security admin), and the versioned JSON API they read:
        // a bearer token instead of a session, within the token's jurisdiction.
        route(
            M::GET,
            "/security/api-tokens",
            Roles(SECADMIN, Scope::Global),
            get(api_tokens::list),
        ),
        route(
            M::POST,
            "/security/api-tokens",
            Roles(SECADMIN, Scope::Global),
            post(api_tokens::issue),
        ),
        route(
            M::POST,
            "/security/api-tokens/{tid}/revoke",
            Roles(SECADMIN, Scope::Global),
            post(api_tokens::revoke),
        ),
        route(M::GET, "/api-docs", Public, get(api_v1::docs::page)),
        route(
            M::GET,
            "/api/v1/openapi.json",
            Public,
            get(api_v1::openapi_json),
        ),
        route(
            M::GET,
            "/api/v1/platforms",
            ApiToken(Scope::Global),
            get(api_v1::list_platforms),
        ),
        route(
            M::GET,
            "/api/v1/platforms/{id}",
            ApiToken(Scope::Platform),
            get(api_v1::get_platform),
        ),
        route(
            M::GET,
            "/api/v1/platforms/{id}/figures",
            ApiToken(Scope::Platform),
            get(api_v1::platform_figures),
        ),
        route(
            M::GET,
            "/api/v1/platforms/{id}/findings",
            ApiToken(Scope::Platform),
            get(api_v1::platform_findings),
        ),
        route(
            M::GET,
            "/api/v1/platforms/{id}/evaluations",
            ApiToken(Scope::Platform),
            get(api_v1::platform_evaluations),
        ),
        route(
            M::GET,
            "/api/v1/platforms/{id}/support-claims",
            ApiToken(Scope::Platform),
            get(api_v1::platform_support_claims),
        ),
        route(
            M::GET,
            "/audit",
            Roles(AUDITOR, Scope::Global),
            get(audit::list),
        ),
        route(
            M::GET,
            "/audit.xlsx",
            Roles(AUDITOR, Scope::Global),
            get(audit::export_xlsx),
        ),
        route(
            M::GET,
            "/audit/verify",
            Roles(AUDITOR, Scope::Global),
            get(audit::verify),
        ),
    ]
}
