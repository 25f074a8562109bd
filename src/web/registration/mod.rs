//! Setup registration (设立登记): the dossier tab of a platform, its forms (charter, decision
//! bodies and members, plan targets and operating modes, companies and shareholders), and the
//! staff approval that moves the platform to `operating`.
//!
//! Staff and the platform's own operator write (the route guard checks role and scope); the
//! leader and the advisor read. Approving the charter and the registration is staff's alone.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::auth::CurrentUser;
use super::flash::Flash;
use super::forms::{Form, Path, Query};
use super::layout::{Layout, date_or_dash, local_time};
use super::widgets::{ConflictRow, NoticeQuery, Opt, enum_options};
use super::write::{self, Entry, Writer};
use crate::db::lifecycle;
use crate::db::platforms::{self, Platform};
use crate::db::registration::{
    self as reg, Body, Company, Member, OnFile, Registration, Shareholder,
};
use crate::domain::lifecycle::{self as lc, LifecycleFacts, Transition};
use crate::domain::platform::{DecisionBody, DecisionBodyKind, Stage};
use crate::domain::registration::{
    self as domain, BodyFields, Charter, CompanyFields, Contribution, MemberFields, OperatingMode,
    PlanFields, Requirement, ReturnFields, ReviewAction, ReviewStatus, Section, SharePct,
    ShareholderFields,
};
use crate::domain::role::Role;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult, error_page};
use crate::state::AppState;

mod approval;
mod bodies;
mod companies;
mod dossier;
mod plan;

pub use approval::*;
pub use bodies::*;
pub use companies::*;
pub use dossier::*;
pub use plan::*;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // Setup registration (设立登记): the dossier, its forms, and the staff approval.
        get( "/platforms/{id}/registration",                                         Roles(PLATFORM_READERS, Platform), show),
        post("/platforms/{id}/registration/charter",                                 Roles(RECORD_KEEPERS, Platform),   set_charter),
        get( "/platforms/{id}/registration/plan",                                    Roles(RECORD_KEEPERS, Platform),   plan_form),
        post("/platforms/{id}/registration/plan",                                    Roles(RECORD_KEEPERS, Platform),   save_plan),
        get( "/platforms/{id}/registration/bodies/new",                              Roles(RECORD_KEEPERS, Platform),   new_body_form),
        post("/platforms/{id}/registration/bodies",                                  Roles(RECORD_KEEPERS, Platform),   create_body),
        get( "/platforms/{id}/registration/bodies/{body_id}",                        Roles(RECORD_KEEPERS, Platform),   edit_body_form),
        post("/platforms/{id}/registration/bodies/{body_id}",                        Roles(RECORD_KEEPERS, Platform),   update_body),
        post("/platforms/{id}/registration/bodies/{body_id}/delete",                 Roles(RECORD_KEEPERS, Platform),   delete_body),
        get( "/platforms/{id}/registration/bodies/{body_id}/members/new",            Roles(RECORD_KEEPERS, Platform),   new_member_form),
        post("/platforms/{id}/registration/bodies/{body_id}/members",                Roles(RECORD_KEEPERS, Platform),   create_member),
        get( "/platforms/{id}/registration/members/{member_id}",                     Roles(RECORD_KEEPERS, Platform),   edit_member_form),
        post("/platforms/{id}/registration/members/{member_id}",                     Roles(RECORD_KEEPERS, Platform),   update_member),
        post("/platforms/{id}/registration/members/{member_id}/delete",              Roles(RECORD_KEEPERS, Platform),   delete_member),
        get( "/platforms/{id}/registration/companies/new",                           Roles(RECORD_KEEPERS, Platform),   new_company_form),
        post("/platforms/{id}/registration/companies",                               Roles(RECORD_KEEPERS, Platform),   create_company),
        get( "/platforms/{id}/registration/companies/{company_id}",                  Roles(RECORD_KEEPERS, Platform),   edit_company_form),
        post("/platforms/{id}/registration/companies/{company_id}",                  Roles(RECORD_KEEPERS, Platform),   update_company),
        post("/platforms/{id}/registration/companies/{company_id}/delete",           Roles(RECORD_KEEPERS, Platform),   delete_company),
        get( "/platforms/{id}/registration/companies/{company_id}/shareholders/new", Roles(RECORD_KEEPERS, Platform),   new_shareholder_form),
        post("/platforms/{id}/registration/companies/{company_id}/shareholders",     Roles(RECORD_KEEPERS, Platform),   create_shareholder),
        get( "/platforms/{id}/registration/shareholders/{shareholder_id}",           Roles(RECORD_KEEPERS, Platform),   edit_shareholder_form),
        post("/platforms/{id}/registration/shareholders/{shareholder_id}",           Roles(RECORD_KEEPERS, Platform),   update_shareholder),
        post("/platforms/{id}/registration/shareholders/{shareholder_id}/delete",    Roles(RECORD_KEEPERS, Platform),   delete_shareholder),
        post("/platforms/{id}/registration/submit",                                  Roles(RECORD_KEEPERS, Platform),   submit),
        get( "/platforms/{id}/approve",                                              Roles(STAFF, Platform),            approve_form),
        post("/platforms/{id}/registration/return",                                  Roles(STAFF, Platform),            return_registration),
        post("/platforms/{id}/approve",                                              Roles(STAFF, Platform),            approve),
    ]
}

// ---- shared helpers -----------------------------------------------------------------------

async fn load_platform(state: &AppState, id: i64) -> AppResult<Platform> {
    let mut conn = state.db.acquire().await?;
    platforms::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)
}

fn stage_of(p: &Platform) -> Stage {
    p.stage
}

/// The platform whose dossier a form changes (404 if there is none); refuses (409) when the
/// dossier is archived.
async fn editable_platform(state: &AppState, id: i64) -> AppResult<Platform> {
    let p = load_platform(state, id).await?;
    editable(&p)?;
    Ok(p)
}

/// Refuses (409) when the platform has left the lifecycle (exited, converted, merged): its
/// dossier is archived.
fn editable(p: &Platform) -> AppResult<()> {
    let stage = stage_of(p);
    if domain::dossier_editable(stage) {
        return Ok(());
    }
    Err(AppError::conflict(
        "登记材料不可修改",
        format!(
            "平台当前阶段为「{}」，设立登记材料已归档，不能再修改。",
            stage.label_zh()
        ),
    ))
}

fn writer(user: &CurrentUser) -> bool {
    user.has_role(Role::Staff) || user.has_role(Role::Operator)
}

fn invalid(page: impl IntoResponse) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

/// The dossier page at `anchor`, saying `flash`.
fn back_to(id: i64, flash: Flash, anchor: &str) -> String {
    format!("/platforms/{id}/registration?notice={flash}#{anchor}")
}

/// The field error for a constraint the write ran into, if the database named one we map.
fn constraint_errors(e: &sqlx::Error) -> Option<FieldErrors> {
    let (field, message) = write::field_error(e)?;
    let mut errors = FieldErrors::default();
    errors.add(field, message);
    Some(errors)
}

/// Why a form was not saved: fields to fix (the form is shown again with them) or an error.
enum Unsaved {
    Fields(FieldErrors),
    Error(AppError),
}

impl From<FieldErrors> for Unsaved {
    fn from(errors: FieldErrors) -> Unsaved {
        Unsaved::Fields(errors)
    }
}

impl From<AppError> for Unsaved {
    fn from(e: AppError) -> Unsaved {
        Unsaved::Error(e)
    }
}

impl From<sqlx::Error> for Unsaved {
    fn from(e: sqlx::Error) -> Unsaved {
        Unsaved::Error(e.into())
    }
}

impl Unsaved {
    /// The error of an insert or update: a constraint the database names becomes the field to
    /// fix (the transaction, dropped, writes nothing); anything else is an error.
    fn of_write(e: sqlx::Error) -> Unsaved {
        match constraint_errors(&e) {
            Some(errors) => Unsaved::Fields(errors),
            None => Unsaved::Error(e.into()),
        }
    }
}

/// The answer to a posted form: the write's own response when it saved, the form again with
/// its field errors (422) when there is something to fix.
fn or_form_again<P: IntoResponse>(
    saved: Result<Response, Unsaved>,
    form: impl FnOnce(FieldErrors) -> P,
) -> AppResult<Response> {
    match saved {
        Ok(response) => Ok(response),
        Err(Unsaved::Fields(errors)) => Ok(invalid(form(errors))),
        Err(Unsaved::Error(e)) => Err(e),
    }
}

fn company_modes() -> Vec<Opt> {
    OperatingMode::ALL
        .iter()
        .copied()
        .filter(|&m| domain::has_company(m))
        .map(|m| Opt {
            value: m.as_str().into(),
            label: m.label_zh().into(),
        })
        .collect()
}

fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// The platform a sub-page belongs to, as the page heading shows it.
pub struct Head {
    pub id: i64,
    pub name: String,
    pub code: String,
}

impl Head {
    fn of(p: &Platform) -> Head {
        Head {
            id: p.id,
            name: p.name.clone(),
            code: p.code.clone(),
        }
    }
}
