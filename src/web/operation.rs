//! Operation (运行管理): the industry advisor and the responsible staff member, the advisor's
//! service visits, the construction-period acceptance and the transformation deadline with the
//! time left, and research-integrity records with the evaluation ban.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::auth::CurrentUser;
use super::flash::Flash;
use super::forms::{Form, Path, Query};
use super::layout::{Layout, date_or_dash, local_time};
use super::widgets::NoticeQuery;
use super::widgets::{ConflictRow, Opt, enum_options};
use super::write::{Entry, Writer};
use crate::clock::today;
use crate::db::operation::{self as db, AcceptanceRow, AccountChoice, Assignment};
use crate::db::platforms::{self, Platform};
use crate::db::{documents, lifecycle, rule_params};
use crate::domain::compliance::catalogue::{
    ADVISOR_MAX_LOG_GAP_DAYS, BAN_MONTHS, BREAK_EVEN_TRANSITION_MONTHS,
};
use crate::domain::documents::DocumentKind;
use crate::domain::money::wan;
use crate::domain::operation::{
    AcceptanceContext, AcceptanceFields, AcceptanceResult, Action, AmountUnit, Ban, Countdown,
    IntegrityFields, VisitFields, VisitForm, VisitGap, active_ban, choose_account, countdown,
    stage_refusal, visit_gap,
};
use crate::domain::platform::Stage;
use crate::domain::role::Role;
use crate::domain::transformation::transformation_deadline;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // Operation (运行管理): advisor and staff, visits, acceptance, deadline, integrity.
        get( "/platforms/{id}/operation",  Roles(PLATFORM_READERS, Platform), show),
        post("/platforms/{id}/assignment", Roles(STAFF, Platform),            assign),
        post("/platforms/{id}/visits",     Roles(ADVISOR, Platform),          log_visit),
        post("/platforms/{id}/acceptance", Roles(STAFF, Platform),            record_acceptance),
        post("/platforms/{id}/integrity",  Roles(STAFF, Platform),            record_integrity),
    ]
}

fn account_options(choices: &[AccountChoice]) -> Vec<Opt> {
    choices
        .iter()
        .map(|c| Opt {
            value: c.id.to_string(),
            label: c.label.clone(),
        })
        .collect()
}

pub struct VisitView {
    pub date: String,
    pub form: &'static str,
    pub advisor: String,
    pub topics: String,
    pub advice: String,
    pub follow_up: String,
}

pub struct AcceptanceView {
    pub result: &'static str,
    pub result_code: String,
    pub accepted_on: String,
    pub remarks: String,
    pub document: Option<(String, String)>,
    pub recorded_by: String,
    pub recorded_at: String,
}

pub struct IntegrityView {
    pub occurred_on: String,
    pub serious: bool,
    pub description: String,
    pub funds: String,
    pub recorded_by: String,
}

/// The assignment form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AssignFields {
    pub advisor_id: String,
    pub staff_id: String,
    pub version: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "operation/page.html")]
pub struct OperationPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub p: Platform,
    pub notice: &'static str,
    pub today: String,
    // the transformation deadline
    pub construction_end: String,
    pub transition_months: u32,
    pub deadline: Option<Countdown>,
    // research integrity
    pub ban: Option<Ban>,
    pub ban_months: u32,
    pub integrity: Vec<IntegrityView>,
    pub can_record_integrity: bool,
    pub integrity_form: IntegrityFields,
    pub integrity_errors: FieldErrors,
    pub serious_options: Vec<Opt>,
    pub units: Vec<Opt>,
    // advisor and staff
    pub can_assign: bool,
    pub assign_refusal: &'static str,
    pub assign_form: AssignFields,
    pub assign_errors: FieldErrors,
    pub advisor_choices: Vec<Opt>,
    pub staff_choices: Vec<Opt>,
    // visits
    pub visits: Vec<VisitView>,
    pub last_visit: Option<VisitGap>,
    pub max_gap_days: u32,
    pub is_advisor: bool,
    pub can_log_visit: bool,
    pub visit_refusal: &'static str,
    pub visit_form: VisitFields,
    pub visit_errors: FieldErrors,
    pub visit_forms: Vec<Opt>,
    // construction-period acceptance
    pub acceptance: Option<AcceptanceView>,
    pub can_accept: bool,
    pub accept_refusal: &'static str,
    pub acceptance_form: AcceptanceFields,
    pub acceptance_errors: FieldErrors,
    pub acceptance_token: String,
    pub results: Vec<Opt>,
    pub reports: Vec<Opt>,
}

/// A form that failed, to show again with its errors.
enum Failed {
    None,
    Assign(AssignFields, FieldErrors),
    Visit(VisitFields, FieldErrors),
    Acceptance(AcceptanceFields, FieldErrors),
    Integrity(IntegrityFields, FieldErrors),
}

fn stage_of(p: &Platform) -> Stage {
    p.stage
}

/// The acceptance form's concurrency token: when the record shown was saved ("" = none).
fn token_of(a: Option<&AcceptanceRow>) -> String {
    a.map(|a| a.recorded_at.timestamp_micros().to_string())
        .unwrap_or_default()
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    notice: &'static str,
    failed: Failed,
) -> AppResult<OperationPage> {
    let mut conn = state.db.acquire().await?;
    let p = platforms::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let assignment = db::assignment(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let acceptance = db::acceptance(&mut conn, id).await?;
    let params = rule_params::in_force(&mut conn, crate::clock::today()).await?;
    drop(conn);
    let visits = db::visits(&state.db, id).await?;
    let integrity = db::integrity_records(&state.db, id).await?;
    let today = today();
    let stage = stage_of(&p);
    let staff = user.has_role(Role::Staff);

    let transition = params.get(&BREAK_EVEN_TRANSITION_MONTHS);
    let ban_months = params.get(&BAN_MONTHS);
    let max_gap = params.get(&ADVISOR_MAX_LOG_GAP_DAYS);
    let deadline = p
        .construction_end
        .map(|end| countdown(today, transformation_deadline(end, transition)));
    let ban = active_ban(
        integrity
            .iter()
            .filter(|r| r.serious)
            .map(|r| r.occurred_on),
        today,
        ban_months,
    );

    let (mut assign_form, mut assign_errors) = (
        AssignFields {
            advisor_id: assignment
                .advisor_id
                .map(|i| i.to_string())
                .unwrap_or_default(),
            staff_id: assignment
                .responsible_staff_id
                .map(|i| i.to_string())
                .unwrap_or_default(),
            version: assignment.version.to_string(),
        },
        FieldErrors::default(),
    );
    let mut visit_form = VisitFields {
        visit_date: today.to_string(),
        ..Default::default()
    };
    let mut visit_errors = FieldErrors::default();
    let mut acceptance_form = match &acceptance {
        Some(a) => AcceptanceFields {
            result: a.result.as_str().into(),
            accepted_on: a.accepted_on.to_string(),
            remarks: a.remarks.clone(),
            document_id: a.document_id.map(|d| d.to_string()).unwrap_or_default(),
        },
        None => AcceptanceFields::default(),
    };
    let mut acceptance_errors = FieldErrors::default();
    let mut integrity_form = IntegrityFields {
        funds_unit: AmountUnit::Wan.as_str().into(),
        ..Default::default()
    };
    let mut integrity_errors = FieldErrors::default();
    match failed {
        Failed::None => {}
        Failed::Assign(f, e) => {
            // Keep the version the user saw (a conflict shows on its own page).
            assign_form = AssignFields {
                version: assign_form.version,
                ..f
            };
            assign_errors = e;
        }
        Failed::Visit(f, e) => (visit_form, visit_errors) = (f, e),
        Failed::Acceptance(f, e) => (acceptance_form, acceptance_errors) = (f, e),
        Failed::Integrity(f, e) => (integrity_form, integrity_errors) = (f, e),
    }

    let (advisor_choices, staff_choices, reports) = if staff {
        (
            account_options(&db::advisor_choices(&state.db).await?),
            account_options(&db::staff_choices(&state.db, p.jurisdiction_id).await?),
            documents::options(&state.db, id, DocumentKind::AcceptanceReport)
                .await?
                .into_iter()
                .map(|(id, title)| Opt {
                    value: id.to_string(),
                    label: title,
                })
                .collect(),
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    let is_advisor = user.has_role(Role::Advisor);

    Ok(OperationPage {
        layout: Layout::for_user(user, "platforms"),
        tab: "operation",
        tab_platform_id: id,
        notice,
        today: today.to_string(),
        construction_end: date_or_dash(&p.construction_end),
        transition_months: transition.0,
        deadline,
        ban,
        ban_months: ban_months.0,
        integrity: integrity
            .iter()
            .map(|r| IntegrityView {
                occurred_on: r.occurred_on.to_string(),
                serious: r.serious,
                description: r.description.clone(),
                funds: wan(r.funds_to_recover),
                recorded_by: r.recorded_by_name.clone().unwrap_or_else(|| "—".into()),
            })
            .collect(),
        can_record_integrity: staff,
        integrity_form,
        integrity_errors,
        serious_options: vec![
            Opt {
                value: "yes".into(),
                label: "严重违规（绩效评估禁入）".into(),
            },
            Opt {
                value: "no".into(),
                label: "一般违规".into(),
            },
        ],
        units: enum_options(AmountUnit::ALL, AmountUnit::as_str, AmountUnit::label_zh),
        can_assign: staff,
        assign_refusal: stage_refusal(Action::Assign, stage).unwrap_or(""),
        assign_form,
        assign_errors,
        advisor_choices,
        staff_choices,
        last_visit: visits
            .first()
            .map(|v| visit_gap(v.visit_date, today, max_gap)),
        max_gap_days: max_gap.0,
        visits: visits
            .into_iter()
            .map(|v| VisitView {
                date: v.visit_date.to_string(),
                form: v.form.label_zh(),
                advisor: v.advisor_name,
                topics: v.topics,
                advice: v.advice,
                follow_up: v.follow_up,
            })
            .collect(),
        is_advisor,
        can_log_visit: is_advisor && assignment.advisor_id == Some(user.id),
        visit_refusal: stage_refusal(Action::Visit, stage).unwrap_or(""),
        visit_form,
        visit_errors,
        visit_forms: enum_options(VisitForm::ALL, VisitForm::as_str, VisitForm::label_zh),
        acceptance_token: token_of(acceptance.as_ref()),
        acceptance: acceptance.map(|a| AcceptanceView {
            result: a.result.label_zh(),
            result_code: a.result.as_str().into(),
            accepted_on: a.accepted_on.to_string(),
            remarks: a.remarks,
            document: a.document_id.map(|d| {
                (
                    format!("/platforms/{id}/documents?kind=acceptance_report#doc-{d}"),
                    a.document_title.unwrap_or_default(),
                )
            }),
            recorded_by: a.recorded_by_name.unwrap_or_else(|| "—".into()),
            recorded_at: local_time(&a.recorded_at),
        }),
        can_accept: staff,
        accept_refusal: stage_refusal(Action::Acceptance, stage).unwrap_or(""),
        acceptance_form,
        acceptance_errors,
        results: enum_options(
            AcceptanceResult::ALL,
            AcceptanceResult::as_str,
            AcceptanceResult::label_zh,
        ),
        reports,
        p,
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<OperationPage> {
    let notice = Flash::text_of(&q.notice);
    page(&state, &user, id, notice, Failed::None).await
}

async fn invalid(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    failed: Failed,
) -> AppResult<Response> {
    let page = page(state, user, id, "", failed).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

async fn platform(state: &AppState, id: i64) -> AppResult<Platform> {
    let mut conn = state.db.acquire().await?;
    platforms::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)
}

fn refused(errors: &mut FieldErrors, reason: Option<&'static str>) {
    if let Some(reason) = reason {
        errors.add("form", reason);
    }
}

/// The validated input if the platform's stage allows `action`; else every error, the stage's
/// refusal among them.
fn in_stage<T>(
    checked: Result<T, FieldErrors>,
    action: Action,
    p: &Platform,
) -> Result<T, FieldErrors> {
    match (checked, stage_refusal(action, stage_of(p))) {
        (Ok(v), None) => Ok(v),
        (checked, reason) => {
            let mut errors = checked.err().unwrap_or_default();
            refused(&mut errors, reason);
            Err(errors)
        }
    }
}

/// Where a write sends the browser: the section of the operation page, with the flash message.
fn notice_href(id: i64, notice: Flash, section: &str) -> String {
    format!("/platforms/{id}/operation?notice={notice}#{section}")
}

// ---- conflict page --------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "operation/conflict.html")]
pub struct ConflictPage {
    pub layout: Layout,
    pub id: i64,
    pub name: String,
    pub what: &'static str,
    pub anchor: &'static str,
    pub rows: Vec<ConflictRow>,
}

fn conflict(
    user: &CurrentUser,
    p: &Platform,
    what: &'static str,
    anchor: &'static str,
    rows: Vec<(&'static str, String, String)>,
) -> Response {
    let page = ConflictPage {
        layout: Layout::for_user(user, "platforms"),
        id: p.id,
        name: p.name.clone(),
        what,
        anchor,
        rows: rows
            .into_iter()
            .map(|(label, mine, theirs)| ConflictRow {
                label: label.into(),
                differs: mine != theirs,
                mine,
                theirs,
            })
            .collect(),
    };
    (StatusCode::CONFLICT, page).into_response()
}

// ---- advisor and responsible staff ----------------------------------------------------

fn name_in(choices: &[AccountChoice], id: Option<i64>) -> String {
    match id {
        None => "未指定".into(),
        Some(id) => choices
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.label.clone())
            .unwrap_or_else(|| format!("账户 #{id}")),
    }
}

async fn name_of(conn: &mut sqlx::PgConnection, id: Option<i64>) -> AppResult<String> {
    Ok(match id {
        Some(id) => db::display_name(conn, id)
            .await?
            .unwrap_or_else(|| format!("账户 #{id}")),
        None => String::new(),
    })
}

async fn assignment_json(
    conn: &mut sqlx::PgConnection,
    a: &Assignment,
) -> AppResult<serde_json::Value> {
    Ok(serde_json::json!({
        "advisor_id": a.advisor_id, "advisor_name": name_of(conn, a.advisor_id).await?,
        "responsible_staff_id": a.responsible_staff_id,
        "responsible_staff_name": name_of(conn, a.responsible_staff_id).await?,
        "version": a.version,
    }))
}

pub async fn assign(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(form): Form<AssignFields>,
) -> AppResult<Response> {
    let p = platform(&state, id).await?;
    let advisors = db::advisor_choices(&state.db).await?;
    let staff = db::staff_choices(&state.db, p.jurisdiction_id).await?;
    let mut errors = FieldErrors::default();
    refused(&mut errors, stage_refusal(Action::Assign, stage_of(&p)));
    let ids = |c: &[AccountChoice]| c.iter().map(|c| c.id).collect::<Vec<_>>();
    let advisor_id = choose_account(&form.advisor_id, "advisor_id", &ids(&advisors), &mut errors);
    let staff_id = choose_account(&form.staff_id, "staff_id", &ids(&staff), &mut errors);
    if !errors.is_empty() {
        return invalid(&state, &user, id, Failed::Assign(form, errors)).await;
    }
    let seen_version: Option<i32> = form.version.trim().parse().ok();

    let mut tx = w.begin().await?;
    let before = db::assignment(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let show_conflict = |now: &Assignment| {
        let rows = vec![
            (
                "产业顾问",
                name_in(&advisors, advisor_id),
                name_in(&advisors, now.advisor_id),
            ),
            (
                "专人专班",
                name_in(&staff, staff_id),
                name_in(&staff, now.responsible_staff_id),
            ),
        ];
        conflict(&user, &p, "产业顾问与专人专班", "assignment", rows)
    };
    if seen_version != Some(before.version) {
        tx.rollback().await?;
        return Ok(show_conflict(&before));
    }
    if before.advisor_id == advisor_id && before.responsible_staff_id == staff_id {
        tx.rollback().await?;
        return Ok(
            Redirect::to(&notice_href(id, Flash::AssignmentUnchanged, "assignment"))
                .into_response(),
        );
    }
    if !db::assign(&mut tx, id, before.version, advisor_id, staff_id).await? {
        tx.rollback().await?;
        let mut conn = state.db.acquire().await?;
        let now = db::assignment(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound)?;
        return Ok(show_conflict(&now));
    }
    let after = db::assignment(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let before_json = assignment_json(&mut tx, &before).await?;
    let after_json = assignment_json(&mut tx, &after).await?;
    tx.audit(
        Entry::new("platform.assign", "platform", id)
            .before(before_json.clone())
            .after(after_json.clone()),
    )
    .await?;
    let name = |v: &serde_json::Value, key: &str| v[key].as_str().unwrap_or("").to_string();
    if before.advisor_id != after.advisor_id {
        let summary = match after.advisor_id {
            Some(_) => format!("指定产业顾问：{}", name(&after_json, "advisor_name")),
            None => format!("取消产业顾问（原为{}）", name(&before_json, "advisor_name")),
        };
        tx.timeline(id, "advisor.assigned", &summary, "").await?;
    }
    if before.responsible_staff_id != after.responsible_staff_id {
        let summary = match after.responsible_staff_id {
            Some(_) => format!(
                "指定专人专班：{}",
                name(&after_json, "responsible_staff_name")
            ),
            None => format!(
                "取消专人专班（原为{}）",
                name(&before_json, "responsible_staff_name")
            ),
        };
        tx.timeline(id, "staff.assigned", &summary, "").await?;
    }
    tx.redirect(notice_href(id, Flash::AssignmentSaved, "assignment"))
        .await
}

// ---- service visits -------------------------------------------------------------------

fn excerpt(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        format!("{}…", s.chars().take(max).collect::<String>())
    } else {
        s.to_string()
    }
}

pub async fn log_visit(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(form): Form<VisitFields>,
) -> AppResult<Response> {
    let p = platform(&state, id).await?;
    // The guard admits advisors to their assigned platforms only; check again against the
    // row as it is now.
    let mut conn = state.db.acquire().await?;
    let assigned = db::assignment(&mut conn, id)
        .await?
        .and_then(|a| a.advisor_id);
    drop(conn);
    if assigned != Some(user.id) {
        return Err(AppError::Forbidden);
    }
    let visit = match in_stage(form.validate(today()), Action::Visit, &p) {
        Ok(v) => v,
        Err(errors) => return invalid(&state, &user, id, Failed::Visit(form, errors)).await,
    };
    let mut tx = w.begin().await?;
    let vid = db::insert_visit(&mut tx, id, user.id, &visit).await?;
    tx.audit(
        Entry::new("visit.create", "advisor_visit", vid).after(serde_json::json!({
            "platform_id": id, "advisor_id": user.id, "visit_date": visit.visit_date,
            "form": visit.form, "topics": visit.topics, "advice": visit.advice, "follow_up": visit.follow_up,
        })),
    )
    .await?;
    let summary = format!(
        "产业顾问{}{}服务：{}",
        user.display_name,
        visit.form.label_zh(),
        excerpt(&visit.topics, 60)
    );
    tx.timeline(id, "visit.logged", &summary, "").await?;
    tx.redirect(notice_href(id, Flash::VisitLogged, "visits"))
        .await
}

// ---- construction-period acceptance ---------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AcceptanceForm {
    result: String,
    accepted_on: String,
    remarks: String,
    document_id: String,
    /// The concurrency token: when the record the user saw was saved ("" = none).
    replaces: String,
}

impl AcceptanceForm {
    fn fields(&self) -> AcceptanceFields {
        AcceptanceFields {
            result: self.result.clone(),
            accepted_on: self.accepted_on.clone(),
            remarks: self.remarks.clone(),
            document_id: self.document_id.clone(),
        }
    }
}

fn acceptance_rows(a: Option<&AcceptanceRow>) -> [String; 3] {
    match a {
        None => ["（无记录）".into(), String::new(), String::new()],
        Some(a) => [
            a.result.label_zh().to_string(),
            a.accepted_on.to_string(),
            a.remarks.clone(),
        ],
    }
}

pub async fn record_acceptance(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(form): Form<AcceptanceForm>,
) -> AppResult<Response> {
    let p = platform(&state, id).await?;
    let report_ids = db::report_ids(&state.db, id).await?;
    let fields = form.fields();
    let checked = fields.validate(AcceptanceContext {
        today: today(),
        construction_start: p.construction_start,
        construction_end: p.construction_end,
        report_ids: &report_ids,
    });
    let acceptance = match in_stage(checked, Action::Acceptance, &p) {
        Ok(a) => a,
        Err(errors) => return invalid(&state, &user, id, Failed::Acceptance(fields, errors)).await,
    };
    let replaces = match form.replaces.trim() {
        "" => None,
        t => Some(
            t.parse::<i64>()
                .ok()
                .and_then(DateTime::<Utc>::from_timestamp_micros)
                .ok_or_else(|| AppError::BadRequest("表单已失效，请刷新页面后重试。".into()))?,
        ),
    };

    let mut tx = w.begin().await?;
    let before = db::acceptance(&mut tx, id).await?;
    let mine = || {
        [
            acceptance.result.label_zh().to_string(),
            acceptance.accepted_on.to_string(),
            acceptance.remarks.clone(),
        ]
    };
    let show_conflict = |now: Option<&AcceptanceRow>| {
        let [r1, d1, m1] = mine();
        let [r2, d2, m2] = acceptance_rows(now);
        conflict(
            &user,
            &p,
            "建设期满验收",
            "acceptance",
            vec![
                ("验收结论", r1, r2),
                ("验收日期", d1, d2),
                ("验收意见", m1, m2),
            ],
        )
    };
    if before.as_ref().map(|b| b.recorded_at) != replaces {
        tx.rollback().await?;
        return Ok(show_conflict(before.as_ref()));
    }
    if !db::save_acceptance(&mut tx, id, &acceptance, user.id, replaces).await? {
        tx.rollback().await?;
        let mut conn = state.db.acquire().await?;
        let now = db::acceptance(&mut conn, id).await?;
        return Ok(show_conflict(now.as_ref()));
    }
    let after = db::acceptance(&mut tx, id).await?;
    tx.audit(
        Entry::new("acceptance.record", "construction_acceptance", id)
            .before(before.as_ref().and_then(|b| serde_json::to_value(b).ok()))
            .after(after.as_ref().and_then(|a| serde_json::to_value(a).ok())),
    )
    .await?;
    let summary = format!(
        "{}建设期满验收：{}（验收日期 {}）",
        if before.is_some() { "更正" } else { "" },
        acceptance.result.label_zh(),
        acceptance.accepted_on
    );
    lifecycle::record(
        &mut tx,
        &user.actor(),
        &lifecycle::Event {
            platform_id: id,
            kind: "construction.accepted",
            from_stage: None,
            to_stage: None,
            summary: &summary,
            reason: &acceptance.remarks,
            document_id: acceptance.document_id,
        },
    )
    .await?;
    tx.redirect(notice_href(id, Flash::AcceptanceRecorded, "acceptance"))
        .await
}

// ---- research integrity ---------------------------------------------------------------

pub async fn record_integrity(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(form): Form<IntegrityFields>,
) -> AppResult<Response> {
    // The platform exists (the guard checked it); integrity records are allowed in every stage.
    let _ = platform(&state, id).await?;
    let record = match form.validate(today()) {
        Ok(r) => r,
        Err(errors) => return invalid(&state, &user, id, Failed::Integrity(form, errors)).await,
    };
    let mut tx = w.begin().await?;
    let params = rule_params::in_force(&mut tx, crate::clock::today()).await?;
    let rid = db::insert_integrity(&mut tx, id, &record, user.id).await?;
    tx.audit(
        Entry::new("integrity.record", "integrity_record", rid).after(serde_json::json!({
            "platform_id": id, "occurred_on": record.occurred_on, "serious": record.serious,
            "description": record.description, "funds_to_recover": record.funds_to_recover,
        })),
    )
    .await?;
    let ban = record
        .serious
        .then(|| active_ban([record.occurred_on], today(), params.get(&BAN_MONTHS)))
        .flatten();
    let summary = format!(
        "记录科研诚信{}违规（{}）{}",
        if record.serious { "严重" } else { "一般" },
        record.occurred_on,
        match ban {
            Some(b) => format!("，绩效评估禁入至 {}", b.until),
            None => String::new(),
        }
    );
    tx.timeline(id, "integrity.recorded", &summary, &record.description)
        .await?;
    tx.redirect(notice_href(id, Flash::IntegrityRecorded, "integrity"))
        .await
}
