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
use super::platforms::{ConflictRow, Opt};
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

/// A 409 page when the platform has left the lifecycle (exited, converted, merged).
fn read_only(p: &Platform) -> Option<Response> {
    let stage = stage_of(p);
    (!domain::dossier_editable(stage)).then(|| {
        error_page(
            StatusCode::CONFLICT,
            "登记材料不可修改",
            format!(
                "平台当前阶段为「{}」，设立登记材料已归档，不能再修改。",
                stage.label_zh()
            ),
        )
    })
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

fn options<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<Opt> {
    all.iter()
        .map(|&v| Opt {
            value: code(v).into(),
            label: label(v).into(),
        })
        .collect()
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

// ---- the checklist ------------------------------------------------------------------------

/// One line of the registration checklist, with where to fix it.
pub struct CheckLine {
    pub code: &'static str,
    pub label: &'static str,
    pub met: bool,
    pub gap: String,
    pub href: String,
    pub fix: &'static str,
}

fn checklist(p: &Platform, facts: &LifecycleFacts<i64>, user: &CurrentUser) -> Vec<CheckLine> {
    let id = p.id;
    domain::checklist(facts)
        .into_iter()
        .map(|item| {
            let (href, fix) = match item.requirement {
                Requirement::Charter => {
                    (format!("/platforms/{id}/registration#charter"), "办理章程")
                }
                Requirement::DecisionBody => (
                    format!("/platforms/{id}/registration#bodies"),
                    "组建决策机构",
                ),
                Requirement::Agreement => (
                    format!("/platforms/{id}/documents?kind={}", reg::AGREEMENT_DOC),
                    "上传共建协议",
                ),
                Requirement::Plan => (
                    format!("/platforms/{id}/documents?kind={}", reg::PLAN_DOC),
                    "上传建设方案",
                ),
                Requirement::Category if user.has_role(Role::Staff) => {
                    (format!("/platforms/{id}/edit"), "设置功能定位")
                }
                Requirement::Category => (
                    format!("/platforms/{id}/registration#category"),
                    "查看功能定位",
                ),
            };
            CheckLine {
                code: item.requirement.as_str(),
                label: item.requirement.label_zh(),
                met: item.met(),
                gap: item.gap.map(|g| g.to_string()).unwrap_or_default(),
                href,
                fix,
            }
        })
        .collect()
}

async fn facts_of(state: &AppState, id: i64, reason: &str) -> AppResult<LifecycleFacts<i64>> {
    let mut conn = state.db.acquire().await?;
    reg::lifecycle_facts(&mut conn, id, reason)
        .await?
        .ok_or(AppError::NotFound)
}

// ---- the dossier page ---------------------------------------------------------------------

pub struct DocLine {
    pub kind: &'static str,
    pub label: &'static str,
    pub on_file: bool,
    pub title: String,
    pub uploaded: String,
    pub href: String,
}

fn doc_line(
    id: i64,
    kind: &'static str,
    label: &'static str,
    doc: &Option<reg::DocRef>,
) -> DocLine {
    DocLine {
        kind,
        label,
        on_file: doc.is_some(),
        title: doc.as_ref().map(|d| d.title.clone()).unwrap_or_default(),
        uploaded: doc
            .as_ref()
            .map(|d| local_time(&d.created_at)[..10].to_string())
            .unwrap_or_default(),
        href: format!("/platforms/{id}/documents?kind={kind}"),
    }
}

pub struct BodyView {
    pub body: Body,
    pub members: Vec<Member>,
    pub has_chair: bool,
    pub qualifies: bool,
}

pub struct ModeLine {
    pub code: &'static str,
    pub label: &'static str,
    pub on: bool,
}

pub struct CompanyView {
    pub company: Company,
    pub shareholders: Vec<Shareholder>,
    pub total: String,
    pub management_cash: String,
    pub mode_ticked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "registration/show.html")]
pub struct ShowPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub p: Platform,
    pub notice: &'static str,
    pub can_write: bool,
    pub is_staff: bool,
    pub can_approve: bool,
    pub in_registration: bool,
    pub charter_code: &'static str,
    pub charter_label: &'static str,
    pub charter_options: Vec<Opt>,
    pub can_set_charter: bool,
    pub docs: Vec<DocLine>,
    pub bodies: Vec<BodyView>,
    pub construction_start: String,
    pub construction_end: String,
    pub plan_targets: String,
    pub modes: Vec<ModeLine>,
    pub modes_label: String,
    pub companies: Vec<CompanyView>,
    /// Ticked company modes with no company on file yet: `(code, label)`.
    pub companies_missing: Vec<(&'static str, &'static str)>,
    pub checklist: Vec<CheckLine>,
    pub approved_at: String,
    pub approved_by: String,
    pub review: ReviewView,
}

impl ShowPage {
    pub fn checklist_complete(&self) -> bool {
        self.checklist.iter().all(|c| c.met)
    }

    /// The reason the open return gives for the part `code` ("" if none).
    pub fn reason_for(&self, code: &str) -> &str {
        self.review
            .returned
            .as_ref()
            .and_then(|r| r.reasons.iter().find(|l| l.code == code))
            .map(|l| l.reason.as_str())
            .unwrap_or("")
    }
}

/// One part of the dossier named in a return, with the reason.
pub struct ReasonLine {
    pub code: &'static str,
    pub label: &'static str,
    pub reason: String,
    /// Where the part is handled: its section on the registration page (basic info: the platform).
    pub href: String,
}

/// One step of the registration's history as shown.
pub struct HistoryLine {
    pub at: String,
    pub action: &'static str,
    pub chip: &'static str,
    pub actor: String,
    pub comment: String,
    pub reasons: Vec<ReasonLine>,
}

/// The open return (the registration is `returned`): who returned it, when, and why.
pub struct ReturnView {
    pub by: String,
    pub at: String,
    pub comment: String,
    pub reasons: Vec<ReasonLine>,
}

/// The review state of the dossier, its history and what this user may do next.
pub struct ReviewView {
    pub code: &'static str,
    pub label: &'static str,
    pub chip: &'static str,
    pub can_submit: bool,
    pub submit_label: &'static str,
    pub can_review: bool,
    pub returned: Option<ReturnView>,
    pub history: Vec<HistoryLine>,
}

fn reason_lines(id: i64, reasons: Vec<(Section, String)>) -> Vec<ReasonLine> {
    reasons
        .into_iter()
        .map(|(s, reason)| ReasonLine {
            code: s.as_str(),
            label: s.label_zh(),
            reason,
            href: match s {
                Section::Basic => format!("/platforms/{id}"),
                _ => format!("/platforms/{id}/registration#{}", s.as_str()),
            },
        })
        .collect()
}

fn review_view(
    id: i64,
    user: &CurrentUser,
    stage: Stage,
    status: ReviewStatus,
    rows: Vec<reg::ReviewRow>,
) -> ReviewView {
    let returned = (status == ReviewStatus::Returned)
        .then(|| {
            rows.iter()
                .rev()
                .find(|r| r.action() == Some(ReviewAction::Returned))
        })
        .flatten()
        .map(|r| ReturnView {
            by: r.actor_name.clone().unwrap_or_else(|| "—".into()),
            at: local_time(&r.at),
            comment: r.comment.clone(),
            reasons: reason_lines(id, r.reasons()),
        });
    let history = rows
        .iter()
        .map(|r| {
            let action = r.action();
            HistoryLine {
                at: local_time(&r.at),
                action: action.map(ReviewAction::label_zh).unwrap_or("—"),
                chip: match action {
                    Some(ReviewAction::Returned) => "returned",
                    Some(ReviewAction::Approved) => "approved",
                    _ => "submitted",
                },
                actor: r.actor_name.clone().unwrap_or_else(|| "—".into()),
                comment: r.comment.clone(),
                reasons: reason_lines(id, r.reasons()),
            }
        })
        .collect();
    let submit = domain::check_submit(stage, status);
    // Past registration without an approval on record (a platform entered directly), no status.
    let shown =
        (stage == Stage::Registration || status == ReviewStatus::Approved).then_some(status);
    ReviewView {
        code: shown.map(ReviewStatus::as_str).unwrap_or(""),
        label: shown.map(ReviewStatus::label_zh).unwrap_or(""),
        chip: shown.map(ReviewStatus::chip).unwrap_or(""),
        can_submit: writer(user) && submit.is_ok(),
        submit_label: match submit {
            Ok(ReviewAction::Resubmitted) => "按意见修改完毕，重新提交审批",
            _ => "提交审批",
        },
        can_review: user.has_role(Role::Staff) && domain::check_review(stage, status).is_ok(),
        returned,
        history,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

/// The charter states this user may choose (operators draft; staff also approve).
fn charter_options(user: &CurrentUser) -> Vec<Opt> {
    Charter::ALL
        .iter()
        .copied()
        .filter(|&c| user.has_role(Role::Staff) || c != Charter::Approved)
        .map(|c| Opt {
            value: c.as_str().into(),
            label: c.label_zh().into(),
        })
        .collect()
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<ShowPage> {
    let mut conn = state.db.acquire().await?;
    let p = platforms::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let r: Registration = reg::get(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    let docs: OnFile = reg::on_file(&mut conn, id).await?;
    let bodies = reg::bodies(&mut conn, id).await?;
    let mut members = reg::members(&mut conn, id).await?;
    let companies = reg::companies(&mut conn, id).await?;
    let mut holders = reg::shareholders(&mut conn, id).await?;
    let facts = reg::lifecycle_facts(&mut conn, id, "")
        .await?
        .ok_or(AppError::NotFound)?;
    let history = reg::history(&mut conn, id).await?;
    drop(conn);

    let stage = stage_of(&p);
    let review = review_view(id, &user, stage, r.review_status(), history);
    let editable = domain::dossier_editable(stage);
    let can_write = writer(&user) && editable;
    let charter = r.charter();
    let modes = r.modes();

    let bodies = bodies
        .into_iter()
        .map(|body| {
            let mine: Vec<Member> = members.extract_if(.., |m| m.body_id == body.id).collect();
            let has_chair = mine.iter().any(|m| m.is_chair);
            let fact = DecisionBody {
                kind: DecisionBodyKind::parse(&body.kind).unwrap_or(DecisionBodyKind::Council),
                members: u32::try_from(mine.len()).unwrap_or(u32::MAX),
                has_chair,
            };
            BodyView {
                qualifies: fact.qualifies(DecisionBody::MIN_MEMBERS),
                has_chair,
                members: mine,
                body,
            }
        })
        .collect();
    let companies_missing = modes
        .iter()
        .copied()
        .filter(|&m| domain::has_company(m) && !companies.iter().any(|c| c.mode == m.as_str()))
        .map(|m| (m.as_str(), m.label_zh()))
        .collect();
    let companies = companies
        .into_iter()
        .map(|company| {
            let shareholders: Vec<Shareholder> = holders
                .extract_if(.., |s| s.company_id == company.id)
                .collect();
            let stakes: Vec<_> = shareholders.iter().map(Shareholder::stake).collect();
            CompanyView {
                total: SharePct::sum(shareholders.iter().map(Shareholder::share)).to_string(),
                management_cash: domain::management_cash_share(&stakes).to_string(),
                mode_ticked: modes.iter().any(|m| m.as_str() == company.mode),
                shareholders,
                company,
            }
        })
        .collect();

    Ok(ShowPage {
        layout: Layout::for_user(&user, "platforms"),
        tab: "registration",
        tab_platform_id: id,
        notice: Flash::text_of(&q.notice),
        can_write,
        is_staff: user.has_role(Role::Staff),
        can_approve: review.can_review,
        in_registration: stage == Stage::Registration,
        charter_code: charter.as_str(),
        charter_label: charter.label_zh(),
        charter_options: charter_options(&user),
        can_set_charter: can_write
            && domain::charter_change(user.role.unwrap_or(Role::Operator), charter, Charter::None)
                .is_ok(),
        docs: vec![
            doc_line(id, reg::CHARTER_DOC, "章程", &docs.charter),
            doc_line(id, reg::AGREEMENT_DOC, "共建协议", &docs.agreement),
            doc_line(id, reg::PLAN_DOC, "建设方案", &docs.plan),
        ],
        bodies,
        construction_start: date_or_dash(&p.construction_start),
        construction_end: date_or_dash(&p.construction_end),
        plan_targets: r.plan_targets.clone(),
        modes: OperatingMode::ALL
            .iter()
            .map(|&m| ModeLine {
                code: m.as_str(),
                label: m.label_zh(),
                on: modes.contains(&m),
            })
            .collect(),
        modes_label: domain::modes_label(&modes),
        companies,
        companies_missing,
        checklist: checklist(&p, &facts, &user),
        approved_at: r.approved_at.as_ref().map(local_time).unwrap_or_default(),
        approved_by: r.approved_by_name.clone().unwrap_or_default(),
        review,
        p,
    })
}

// ---- submission ---------------------------------------------------------------------------

/// A 409 page saying why the step cannot be taken now.
fn refused(title: &'static str, message: &str) -> Response {
    error_page(StatusCode::CONFLICT, title, message.to_string())
}

/// The filer (staff or the platform's operator) submits the dossier for approval, or resubmits it
/// after correcting what a return named.
pub async fn submit(user: CurrentUser, w: Writer, Path(id): Path<i64>) -> AppResult<Response> {
    if !writer(&user) {
        return Err(AppError::Forbidden);
    }
    let mut tx = w.begin().await?;
    let stage = reg::lock_stage(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let before = reg::lock(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let action = match domain::check_submit(stage, before.review_status()) {
        Ok(action) => action,
        Err(message) => {
            tx.rollback().await?;
            return Ok(refused("不能提交审批", message));
        }
    };
    reg::set_status(&mut tx, id, ReviewStatus::Submitted).await?;
    let review_id =
        reg::record_review(&mut tx, id, action, user.id, "", &Default::default()).await?;
    let after = reg::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new(
            if action == ReviewAction::Resubmitted {
                "registration.resubmit"
            } else {
                "registration.submit"
            },
            "registration",
            id,
        )
        .before(before.audit_json())
        .after(serde_json::json!({"registration": after.audit_json(), "review_id": review_id})),
    )
    .await?;
    lifecycle::record(
        &mut tx,
        w.actor(),
        &lifecycle::Event {
            platform_id: id,
            kind: if action == ReviewAction::Resubmitted {
                "registration.resubmitted"
            } else {
                "registration.submitted"
            },
            from_stage: None,
            to_stage: None,
            summary: if action == ReviewAction::Resubmitted {
                "设立登记按退回意见修改后重新提交审批"
            } else {
                "设立登记提交审批"
            },
            reason: "",
            document_id: None,
        },
    )
    .await?;
    let flash = if action == ReviewAction::Resubmitted {
        Flash::RegistrationResubmitted
    } else {
        Flash::RegistrationSubmitted
    };
    tx.redirect(back_to(id, flash, "approval")).await
}

// ---- charter ------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CharterForm {
    charter_status: String,
}

pub async fn set_charter(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(form): Form<CharterForm>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let to = Charter::parse(form.charter_status.trim())
        .ok_or_else(|| AppError::BadRequest("请选择章程状态。".into()))?;
    let role = user.role.ok_or(AppError::Forbidden)?;
    let mut tx = w.begin().await?;
    let before = reg::lock(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let from = before.charter();
    if let Err(message) = domain::charter_change(role, from, to) {
        tx.rollback().await?;
        return Ok(error_page(
            StatusCode::FORBIDDEN,
            "无权执行此操作",
            message.to_string(),
        ));
    }
    if from == to {
        tx.rollback().await?;
        return Ok(Redirect::to(&back_to(id, Flash::CharterSaved, "charter")).into_response());
    }
    reg::set_charter(&mut tx, id, to).await?;
    let after = reg::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new("registration.charter", "registration", id)
            .before(before.audit_json())
            .after(after.audit_json()),
    )
    .await?;
    if to == Charter::Approved || from == Charter::Approved {
        let charter_doc = reg::on_file(&mut tx, id).await?.charter.map(|d| d.id);
        let summary = if to == Charter::Approved {
            "章程审批通过".to_string()
        } else {
            format!("章程撤回为「{}」", to.label_zh())
        };
        lifecycle::record(
            &mut tx,
            w.actor(),
            &lifecycle::Event {
                platform_id: id,
                kind: if to == Charter::Approved {
                    "charter.approved"
                } else {
                    "charter.withdrawn"
                },
                from_stage: None,
                to_stage: None,
                summary: &summary,
                reason: "",
                document_id: charter_doc,
            },
        )
        .await?;
    }
    tx.redirect(back_to(id, Flash::CharterSaved, "charter"))
        .await
}

// ---- plan targets and operating modes -----------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "registration/plan_form.html")]
pub struct PlanPage {
    pub layout: Layout,
    pub head: Head,
    pub version: i32,
    pub f: PlanFields,
    pub errors: FieldErrors,
    pub construction_start: String,
    pub construction_end: String,
    pub modes: Vec<ModeLine>,
}

fn plan_page(
    user: &CurrentUser,
    p: &Platform,
    version: i32,
    f: PlanFields,
    errors: FieldErrors,
) -> PlanPage {
    let ticked = f.modes();
    PlanPage {
        layout: Layout::for_user(user, "platforms"),
        head: Head::of(p),
        version,
        modes: OperatingMode::ALL
            .iter()
            .map(|&m| ModeLine {
                code: m.as_str(),
                label: m.label_zh(),
                on: ticked.contains(&m),
            })
            .collect(),
        f,
        errors,
        construction_start: date_or_dash(&p.construction_start),
        construction_end: date_or_dash(&p.construction_end),
    }
}

pub async fn plan_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let mut conn = state.db.acquire().await?;
    let r = reg::get(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    let f = PlanFields::of(&r.plan_targets, &r.modes());
    Ok(plan_page(&user, &p, r.version, f, FieldErrors::default()).into_response())
}

#[derive(Deserialize)]
pub struct PlanForm {
    #[serde(flatten)]
    fields: PlanFields,
    #[serde(default)]
    version: i32,
}

#[derive(Template, WebTemplate)]
#[template(path = "registration/conflict.html")]
pub struct ConflictPage {
    pub layout: Layout,
    pub head: Head,
    pub rows: Vec<ConflictRow>,
}

pub async fn save_plan(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(form): Form<PlanForm>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let draft = match form.fields.validate() {
        Ok(d) => d,
        Err(errors) => {
            return Ok(invalid(plan_page(
                &user,
                &p,
                form.version,
                form.fields,
                errors,
            )));
        }
    };
    let mut tx = w.begin().await?;
    let before = reg::lock(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    if !reg::update_plan(&mut tx, id, form.version, &draft).await? {
        // Somebody saved in between: show both versions, overwrite nothing.
        tx.rollback().await?;
        let theirs = before.modes();
        let rows = vec![
            ConflictRow {
                label: "建设目标",
                mine: draft.plan_targets.clone(),
                theirs: before.plan_targets.clone(),
                differs: draft.plan_targets != before.plan_targets,
            },
            ConflictRow {
                label: "运营模式",
                mine: domain::modes_label(&draft.modes),
                theirs: domain::modes_label(&theirs),
                differs: draft.modes != theirs,
            },
        ];
        let page = ConflictPage {
            layout: Layout::for_user(&user, "platforms"),
            head: Head::of(&p),
            rows,
        };
        return Ok((StatusCode::CONFLICT, page).into_response());
    }
    let after = reg::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new("registration.plan", "registration", id)
            .before(before.audit_json())
            .after(after.audit_json()),
    )
    .await?;
    tx.redirect(back_to(id, Flash::RegistrationPlanSaved, "plan"))
        .await
}

// ---- decision bodies ----------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "registration/body_form.html")]
pub struct BodyPage {
    pub layout: Layout,
    pub head: Head,
    pub body_id: Option<i64>,
    pub f: BodyFields,
    pub errors: FieldErrors,
    pub kinds: Vec<Opt>,
    pub members: Vec<Member>,
}

fn body_page(
    user: &CurrentUser,
    p: &Platform,
    body_id: Option<i64>,
    f: BodyFields,
    errors: FieldErrors,
    members: Vec<Member>,
) -> BodyPage {
    BodyPage {
        layout: Layout::for_user(user, "platforms"),
        head: Head::of(p),
        body_id,
        f,
        errors,
        kinds: options(
            DecisionBodyKind::ALL,
            DecisionBodyKind::as_str,
            DecisionBodyKind::label_zh,
        ),
        members,
    }
}

async fn load_body(state: &AppState, id: i64, body_id: i64) -> AppResult<(Body, Vec<Member>)> {
    let mut conn = state.db.acquire().await?;
    let body = reg::body(&mut conn, id, body_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let members = reg::body_members(&mut conn, body.id).await?;
    Ok((body, members))
}

pub async fn new_body_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let f = BodyFields {
        kind: DecisionBodyKind::Council.as_str().into(),
        name: String::new(),
    };
    Ok(body_page(&user, &p, None, f, FieldErrors::default(), Vec::new()).into_response())
}

pub async fn create_body(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(f): Form<BodyFields>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let draft = match f.validate() {
        Ok(d) => d,
        Err(errors) => return Ok(invalid(body_page(&user, &p, None, f, errors, Vec::new()))),
    };
    let mut tx = w.begin().await?;
    let body_id = reg::insert_body(&mut tx, id, &draft).await?;
    let after = reg::body(&mut tx, id, body_id).await?;
    tx.audit(Entry::new("decision_body.create", "decision_body", body_id).after(json(&after)))
        .await?;
    tx.redirect(format!(
        "/platforms/{id}/registration/bodies/{body_id}/members/new?notice={}",
        Flash::DecisionBodySaved
    ))
    .await
}

pub async fn edit_body_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, body_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    let (body, members) = load_body(&state, id, body_id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let f = BodyFields {
        kind: body.kind.clone(),
        name: body.name.clone(),
    };
    Ok(body_page(&user, &p, Some(body.id), f, FieldErrors::default(), members).into_response())
}

pub async fn update_body(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, body_id)): Path<(i64, i64)>,
    Form(f): Form<BodyFields>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    let (before, members) = load_body(&state, id, body_id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let draft = match f.validate() {
        Ok(d) => d,
        Err(errors) => {
            return Ok(invalid(body_page(
                &user,
                &p,
                Some(body_id),
                f,
                errors,
                members,
            )));
        }
    };
    let mut tx = w.begin().await?;
    reg::update_body(&mut tx, before.id, &draft).await?;
    let after = reg::body(&mut tx, id, body_id).await?;
    tx.audit(
        Entry::new("decision_body.update", "decision_body", body_id)
            .before(json(&before))
            .after(json(&after)),
    )
    .await?;
    tx.redirect(back_to(id, Flash::DecisionBodySaved, "bodies"))
        .await
}

pub async fn delete_body(
    State(state): State<AppState>,
    w: Writer,
    Path((id, body_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    let (before, members) = load_body(&state, id, body_id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let mut tx = w.begin().await?;
    reg::delete_body(&mut tx, before.id).await?;
    tx.audit(
        Entry::new("decision_body.delete", "decision_body", body_id)
            .before(serde_json::json!({"body": before, "members": members})),
    )
    .await?;
    tx.redirect(back_to(id, Flash::DecisionBodyDeleted, "bodies"))
        .await
}

// ---- members ------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "registration/member_form.html")]
pub struct MemberPage {
    pub layout: Layout,
    pub head: Head,
    pub body: Body,
    pub member_id: Option<i64>,
    pub f: MemberFields,
    pub errors: FieldErrors,
    pub members: Vec<Member>,
    pub notice: &'static str,
}

fn member_page(
    user: &CurrentUser,
    p: &Platform,
    body: Body,
    members: Vec<Member>,
    member_id: Option<i64>,
    f: MemberFields,
    errors: FieldErrors,
) -> MemberPage {
    MemberPage {
        layout: Layout::for_user(user, "platforms"),
        head: Head::of(p),
        body,
        member_id,
        f,
        errors,
        members,
        notice: "",
    }
}

fn member_fields(m: &Member) -> MemberFields {
    MemberFields {
        name: m.name.clone(),
        position: m.position.clone(),
        affiliation: m.affiliation.clone(),
        is_chair: if m.is_chair {
            "on".into()
        } else {
            String::new()
        },
    }
}

pub async fn new_member_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, body_id)): Path<(i64, i64)>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    let (body, members) = load_body(&state, id, body_id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let mut page = member_page(
        &user,
        &p,
        body,
        members,
        None,
        MemberFields::default(),
        FieldErrors::default(),
    );
    page.notice = Flash::text_of(&q.notice);
    Ok(page.into_response())
}

pub async fn create_member(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, body_id)): Path<(i64, i64)>,
    Form(f): Form<MemberFields>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    let (body, members) = load_body(&state, id, body_id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let draft = match f.validate() {
        Ok(d) => d,
        Err(errors) => {
            return Ok(invalid(member_page(
                &user, &p, body, members, None, f, errors,
            )));
        }
    };
    let mut tx = w.begin().await?;
    let member_id = match reg::insert_member(&mut tx, body.id, &draft).await {
        Ok(mid) => mid,
        Err(e) => {
            let Some(errors) = constraint_errors(&e) else {
                return Err(e.into());
            };
            tx.rollback().await?;
            return Ok(invalid(member_page(
                &user, &p, body, members, None, f, errors,
            )));
        }
    };
    tx.audit(
        Entry::new(
            "decision_body_member.create",
            "decision_body_member",
            member_id,
        )
        .after(serde_json::json!({"platform_id": id, "body_id": body.id, "member": draft})),
    )
    .await?;
    tx.redirect(back_to(id, Flash::BodyMemberSaved, "bodies"))
        .await
}

async fn load_member(
    state: &AppState,
    id: i64,
    member_id: i64,
) -> AppResult<(Member, Body, Vec<Member>)> {
    let mut conn = state.db.acquire().await?;
    let member = reg::member(&mut conn, id, member_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let body = reg::body(&mut conn, id, member.body_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let members = reg::body_members(&mut conn, body.id).await?;
    Ok((member, body, members))
}

pub async fn edit_member_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, member_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    let (member, body, members) = load_member(&state, id, member_id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let f = member_fields(&member);
    Ok(member_page(
        &user,
        &p,
        body,
        members,
        Some(member.id),
        f,
        FieldErrors::default(),
    )
    .into_response())
}

pub async fn update_member(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, member_id)): Path<(i64, i64)>,
    Form(f): Form<MemberFields>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    let (before, body, members) = load_member(&state, id, member_id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let draft = match f.validate() {
        Ok(d) => d,
        Err(errors) => {
            return Ok(invalid(member_page(
                &user,
                &p,
                body,
                members,
                Some(member_id),
                f,
                errors,
            )));
        }
    };
    let mut tx = w.begin().await?;
    match reg::update_member(&mut tx, before.id, &draft).await {
        Ok(()) => {}
        Err(e) => {
            let Some(errors) = constraint_errors(&e) else {
                return Err(e.into());
            };
            tx.rollback().await?;
            return Ok(invalid(member_page(
                &user,
                &p,
                body,
                members,
                Some(member_id),
                f,
                errors,
            )));
        }
    }
    let after = reg::member(&mut tx, id, member_id).await?;
    tx.audit(
        Entry::new(
            "decision_body_member.update",
            "decision_body_member",
            member_id,
        )
        .before(json(&before))
        .after(json(&after)),
    )
    .await?;
    tx.redirect(back_to(id, Flash::BodyMemberSaved, "bodies"))
        .await
}

pub async fn delete_member(
    State(state): State<AppState>,
    w: Writer,
    Path((id, member_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    let (before, _, _) = load_member(&state, id, member_id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let mut tx = w.begin().await?;
    reg::delete_member(&mut tx, before.id).await?;
    tx.audit(
        Entry::new(
            "decision_body_member.delete",
            "decision_body_member",
            member_id,
        )
        .before(json(&before)),
    )
    .await?;
    tx.redirect(back_to(id, Flash::BodyMemberDeleted, "bodies"))
        .await
}

// ---- companies ----------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "registration/company_form.html")]
pub struct CompanyPage {
    pub layout: Layout,
    pub head: Head,
    pub company_id: Option<i64>,
    pub f: CompanyFields,
    pub errors: FieldErrors,
    pub modes: Vec<Opt>,
    pub shareholders: Vec<Shareholder>,
    pub total: String,
    pub management_cash: String,
    pub controlling: bool,
}

fn company_page(
    user: &CurrentUser,
    p: &Platform,
    company: Option<&Company>,
    shareholders: Vec<Shareholder>,
    f: CompanyFields,
    errors: FieldErrors,
) -> CompanyPage {
    let stakes: Vec<_> = shareholders.iter().map(Shareholder::stake).collect();
    CompanyPage {
        layout: Layout::for_user(user, "platforms"),
        head: Head::of(p),
        company_id: company.map(|c| c.id),
        f,
        errors,
        modes: company_modes(),
        total: SharePct::sum(shareholders.iter().map(Shareholder::share)).to_string(),
        management_cash: domain::management_cash_share(&stakes).to_string(),
        controlling: company.is_some_and(|c| c.mgmt_cash_controlling),
        shareholders,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ModeQuery {
    mode: String,
}

pub async fn new_company_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<ModeQuery>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let mode = OperatingMode::parse(&q.mode)
        .filter(|&m| domain::has_company(m))
        .unwrap_or(OperatingMode::OperatingCompany);
    let f = CompanyFields {
        mode: mode.as_str().into(),
        ..Default::default()
    };
    Ok(company_page(&user, &p, None, Vec::new(), f, FieldErrors::default()).into_response())
}

async fn ticked_modes(state: &AppState, id: i64) -> AppResult<Vec<OperatingMode>> {
    let mut conn = state.db.acquire().await?;
    Ok(reg::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?
        .modes())
}

pub async fn create_company(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(f): Form<CompanyFields>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let modes = ticked_modes(&state, id).await?;
    let draft = match f.validate(&modes) {
        Ok(d) => d,
        Err(errors) => {
            return Ok(invalid(company_page(
                &user,
                &p,
                None,
                Vec::new(),
                f,
                errors,
            )));
        }
    };
    let mut tx = w.begin().await?;
    let company_id = match reg::insert_company(&mut tx, id, &draft).await {
        Ok(cid) => cid,
        Err(e) => {
            let Some(errors) = constraint_errors(&e) else {
                return Err(e.into());
            };
            tx.rollback().await?;
            return Ok(invalid(company_page(
                &user,
                &p,
                None,
                Vec::new(),
                f,
                errors,
            )));
        }
    };
    let after = reg::company(&mut tx, id, company_id).await?;
    tx.audit(Entry::new("company.create", "platform_company", company_id).after(json(&after)))
        .await?;
    tx.redirect(format!(
        "/platforms/{id}/registration/companies/{company_id}?notice={}",
        Flash::CompanySaved
    ))
    .await
}

async fn load_company(
    state: &AppState,
    id: i64,
    company_id: i64,
) -> AppResult<(Company, Vec<Shareholder>)> {
    let mut conn = state.db.acquire().await?;
    let company = reg::company(&mut conn, id, company_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let shareholders = reg::company_shareholders(&mut conn, company.id).await?;
    Ok((company, shareholders))
}

fn company_fields(c: &Company) -> CompanyFields {
    CompanyFields {
        mode: c.mode.clone(),
        name: c.name.clone(),
        uscc: c.uscc.clone(),
    }
}

pub async fn edit_company_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, company_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    let (company, shareholders) = load_company(&state, id, company_id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let f = company_fields(&company);
    Ok(company_page(
        &user,
        &p,
        Some(&company),
        shareholders,
        f,
        FieldErrors::default(),
    )
    .into_response())
}

pub async fn update_company(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, company_id)): Path<(i64, i64)>,
    Form(f): Form<CompanyFields>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    let (before, shareholders) = load_company(&state, id, company_id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let mut modes = ticked_modes(&state, id).await?;
    // A company already on file keeps its mode valid even if the mode was unticked since.
    if let Some(m) = OperatingMode::parse(&before.mode) {
        modes.push(m);
    }
    let draft = match f.validate(&modes) {
        Ok(d) => d,
        Err(errors) => {
            return Ok(invalid(company_page(
                &user,
                &p,
                Some(&before),
                shareholders,
                f,
                errors,
            )));
        }
    };
    let mut tx = w.begin().await?;
    match reg::update_company(&mut tx, before.id, &draft).await {
        Ok(()) => {}
        Err(e) => {
            let Some(errors) = constraint_errors(&e) else {
                return Err(e.into());
            };
            tx.rollback().await?;
            return Ok(invalid(company_page(
                &user,
                &p,
                Some(&before),
                shareholders,
                f,
                errors,
            )));
        }
    }
    let after = reg::company(&mut tx, id, company_id).await?;
    tx.audit(
        Entry::new("company.update", "platform_company", company_id)
            .before(json(&before))
            .after(json(&after)),
    )
    .await?;
    tx.redirect(back_to(id, Flash::CompanySaved, "modes")).await
}

pub async fn delete_company(
    State(state): State<AppState>,
    w: Writer,
    Path((id, company_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    let (before, shareholders) = load_company(&state, id, company_id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let mut tx = w.begin().await?;
    reg::delete_company(&mut tx, before.id).await?;
    tx.audit(
        Entry::new("company.delete", "platform_company", company_id)
            .before(serde_json::json!({"company": before, "shareholders": shareholders})),
    )
    .await?;
    tx.redirect(back_to(id, Flash::CompanyDeleted, "modes"))
        .await
}

// ---- shareholders -------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "registration/shareholder_form.html")]
pub struct ShareholderPage {
    pub layout: Layout,
    pub head: Head,
    pub company: Company,
    pub shareholder_id: Option<i64>,
    pub f: ShareholderFields,
    pub errors: FieldErrors,
    pub contributions: Vec<Opt>,
    /// The hint under the share field: what the other shareholders hold already.
    pub share_hint: String,
}

fn shareholder_page(
    user: &CurrentUser,
    p: &Platform,
    company: Company,
    others: SharePct,
    shareholder_id: Option<i64>,
    f: ShareholderFields,
    errors: FieldErrors,
) -> ShareholderPage {
    ShareholderPage {
        layout: Layout::for_user(user, "platforms"),
        head: Head::of(p),
        company,
        shareholder_id,
        f,
        errors,
        contributions: options(
            Contribution::ALL,
            Contribution::as_str,
            Contribution::label_zh,
        ),
        share_hint: format!("最多两位小数；其他股东合计已占 {others}"),
    }
}

/// What the company's shareholders other than `except` hold together.
fn others_total(shareholders: &[Shareholder], except: Option<i64>) -> SharePct {
    SharePct::sum(
        shareholders
            .iter()
            .filter(|s| Some(s.id) != except)
            .map(Shareholder::share),
    )
}

pub async fn new_shareholder_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, company_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    let (company, shareholders) = load_company(&state, id, company_id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let f = ShareholderFields {
        contribution: Contribution::Cash.as_str().into(),
        ..Default::default()
    };
    let others = others_total(&shareholders, None);
    Ok(
        shareholder_page(&user, &p, company, others, None, f, FieldErrors::default())
            .into_response(),
    )
}

/// Writes one shareholder (new when `shareholder_id` is `None`) with the company locked, so the
/// 100% check sees every other shareholder; then re-derives the control flag.
async fn save_shareholder(
    w: &Writer,
    user: &CurrentUser,
    p: &Platform,
    company_id: i64,
    shareholder_id: Option<i64>,
    f: ShareholderFields,
) -> AppResult<Response> {
    let id = p.id;
    let mut tx = w.begin().await?;
    let company = reg::lock_company(&mut tx, id, company_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let shareholders = reg::company_shareholders(&mut tx, company.id).await?;
    let before = match shareholder_id {
        Some(sid) => Some(
            shareholders
                .iter()
                .find(|s| s.id == sid)
                .cloned()
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let others = others_total(&shareholders, shareholder_id);
    let draft = match f.validate(others) {
        Ok(d) => d,
        Err(errors) => {
            tx.rollback().await?;
            return Ok(invalid(shareholder_page(
                user,
                p,
                company,
                others,
                shareholder_id,
                f,
                errors,
            )));
        }
    };
    let (sid, action) = match shareholder_id {
        Some(sid) => {
            reg::update_shareholder(&mut tx, sid, &draft).await?;
            (sid, "company_shareholder.update")
        }
        None => (
            reg::insert_shareholder(&mut tx, company.id, &draft).await?,
            "company_shareholder.create",
        ),
    };
    let controlling = reg::refresh_control(&mut tx, company.id).await?;
    let after = reg::shareholder(&mut tx, id, sid).await?;
    tx.audit(Entry::new(action, "company_shareholder", sid).before(before.map(|b| json(&b))).after(serde_json::json!({
            "shareholder": after,
            "company_mgmt_cash_controlling": {"before": company.mgmt_cash_controlling, "after": controlling},
        })))
    .await?;
    tx.redirect(back_to(id, Flash::ShareholderSaved, "modes"))
        .await
}

pub async fn create_shareholder(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, company_id)): Path<(i64, i64)>,
    Form(f): Form<ShareholderFields>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    save_shareholder(&w, &user, &p, company_id, None, f).await
}

async fn load_shareholder(
    state: &AppState,
    id: i64,
    shareholder_id: i64,
) -> AppResult<(Shareholder, Company, Vec<Shareholder>)> {
    let mut conn = state.db.acquire().await?;
    let holder = reg::shareholder(&mut conn, id, shareholder_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let company = reg::company(&mut conn, id, holder.company_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let all = reg::company_shareholders(&mut conn, company.id).await?;
    Ok((holder, company, all))
}

pub async fn edit_shareholder_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, shareholder_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    let (holder, company, all) = load_shareholder(&state, id, shareholder_id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let f = ShareholderFields {
        name: holder.name.clone(),
        share_pct: {
            let s = holder.share().to_string();
            s.trim_end_matches('%').to_string()
        },
        contribution: holder.contribution.clone(),
        is_management: if holder.is_management {
            "on".into()
        } else {
            String::new()
        },
    };
    let others = others_total(&all, Some(holder.id));
    Ok(shareholder_page(
        &user,
        &p,
        company,
        others,
        Some(holder.id),
        f,
        FieldErrors::default(),
    )
    .into_response())
}

pub async fn update_shareholder(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, shareholder_id)): Path<(i64, i64)>,
    Form(f): Form<ShareholderFields>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    let (holder, _, _) = load_shareholder(&state, id, shareholder_id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    save_shareholder(&w, &user, &p, holder.company_id, Some(holder.id), f).await
}

pub async fn delete_shareholder(
    State(state): State<AppState>,
    w: Writer,
    Path((id, shareholder_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let p = load_platform(&state, id).await?;
    let (holder, _, _) = load_shareholder(&state, id, shareholder_id).await?;
    if let Some(resp) = read_only(&p) {
        return Ok(resp);
    }
    let mut tx = w.begin().await?;
    let company = reg::lock_company(&mut tx, id, holder.company_id)
        .await?
        .ok_or(AppError::NotFound)?;
    reg::delete_shareholder(&mut tx, holder.id).await?;
    let controlling = reg::refresh_control(&mut tx, company.id).await?;
    tx.audit(Entry::new("company_shareholder.delete", "company_shareholder", shareholder_id).before(json(&holder)).after(serde_json::json!({
            "company_mgmt_cash_controlling": {"before": company.mgmt_cash_controlling, "after": controlling},
        })))
    .await?;
    tx.redirect(back_to(id, Flash::ShareholderDeleted, "modes"))
        .await
}

// ---- approval -----------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "registration/approve.html")]
pub struct ApprovePage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub p: Platform,
    pub checklist: Vec<CheckLine>,
    pub complete: bool,
    pub in_registration: bool,
    /// Why the last attempt was refused, one line per item (empty before any attempt).
    pub refusal: Vec<String>,
    pub reason: String,
    pub errors: FieldErrors,
    /// The review status and history; `review.can_review`: the approve and return forms show.
    pub review: ReviewView,
    /// Why staff cannot decide now (not submitted, returned, approved), if so.
    pub not_reviewable: String,
    /// The return form as typed, and its errors.
    pub ret: ReturnFields,
    pub return_errors: FieldErrors,
    pub sections: Vec<SectionInput>,
}

/// One part of the dossier on the return form.
pub struct SectionInput {
    pub code: &'static str,
    pub label: &'static str,
    pub field: &'static str,
    pub typed: String,
    pub error: String,
    /// What the checklist says is missing in this part, as a hint for the reason.
    pub gap: String,
}

/// What the checklist's requirement belongs to on the return form.
fn section_of(r: Requirement) -> Section {
    match r {
        Requirement::Charter => Section::Charter,
        Requirement::DecisionBody => Section::Bodies,
        Requirement::Agreement | Requirement::Plan => Section::Plan,
        Requirement::Category => Section::Category,
    }
}

#[allow(clippy::too_many_arguments)]
async fn approve_page(
    state: &AppState,
    user: &CurrentUser,
    p: Platform,
    facts: &LifecycleFacts<i64>,
    refusal: Vec<String>,
    reason: String,
    errors: FieldErrors,
    (ret, return_errors): (ReturnFields, FieldErrors),
) -> AppResult<ApprovePage> {
    let mut conn = state.db.acquire().await?;
    let r = reg::get(&mut conn, p.id).await?.ok_or(AppError::NotFound)?;
    let history = reg::history(&mut conn, p.id).await?;
    drop(conn);
    let stage = stage_of(&p);
    let status = r.review_status();
    let review = review_view(p.id, user, stage, status, history);
    let checklist = checklist(&p, facts, user);
    let sections = Section::ALL
        .iter()
        .map(|&s| SectionInput {
            code: s.as_str(),
            label: s.label_zh(),
            field: s.field(),
            typed: ret.reason(s).to_string(),
            error: return_errors.get(s.field()).to_string(),
            gap: checklist
                .iter()
                .filter(|c| !c.met && Requirement::parse(c.code).map(section_of) == Some(s))
                .map(|c| c.gap.clone())
                .collect::<Vec<_>>()
                .join("；"),
        })
        .collect();
    Ok(ApprovePage {
        layout: Layout::for_user(user, "platforms"),
        tab: "registration",
        tab_platform_id: p.id,
        complete: checklist.iter().all(|c| c.met),
        in_registration: stage == Stage::Registration,
        not_reviewable: domain::check_review(stage, status)
            .err()
            .unwrap_or_default()
            .to_string(),
        checklist,
        refusal,
        reason,
        errors,
        review,
        ret,
        return_errors,
        sections,
        p,
    })
}

pub async fn approve_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<ApprovePage> {
    let p = load_platform(&state, id).await?;
    let facts = facts_of(&state, id, "").await?;
    approve_page(
        &state,
        &user,
        p,
        &facts,
        Vec::new(),
        String::new(),
        FieldErrors::default(),
        Default::default(),
    )
    .await
}

/// Staff return a submitted registration for correction (退回补正), with a reason per part.
pub async fn return_registration(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(f): Form<ReturnFields>,
) -> AppResult<Response> {
    let mut tx = w.begin().await?;
    let stage = reg::lock_stage(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let before = reg::lock(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    if let Err(message) = domain::check_review(stage, before.review_status()) {
        tx.rollback().await?;
        return Ok(refused("不能退回", message));
    }
    let draft = match f.validate() {
        Ok(d) => d,
        Err(errors) => {
            tx.rollback().await?;
            let p = load_platform(&state, id).await?;
            let facts = facts_of(&state, id, "").await?;
            let page = approve_page(
                &state,
                &user,
                p,
                &facts,
                Vec::new(),
                String::new(),
                FieldErrors::default(),
                (f, errors),
            )
            .await?;
            return Ok(invalid(page));
        }
    };
    reg::set_status(&mut tx, id, ReviewStatus::Returned).await?;
    let review_id = reg::record_review(
        &mut tx,
        id,
        ReviewAction::Returned,
        user.id,
        &draft.comment,
        &draft.reasons,
    )
    .await?;
    let after = reg::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new("registration.return", "registration", id)
            .before(before.audit_json())
            .after(serde_json::json!({
                "registration": after.audit_json(), "review_id": review_id,
                "comment": draft.comment, "reasons": draft.reasons,
            })),
    )
    .await?;
    let parts = draft
        .reasons
        .keys()
        .map(|s| s.label_zh())
        .collect::<Vec<_>>()
        .join("、");
    lifecycle::record(
        &mut tx,
        w.actor(),
        &lifecycle::Event {
            platform_id: id,
            kind: "registration.returned",
            from_stage: None,
            to_stage: None,
            summary: &format!("设立登记被退回补正（需补正：{parts}）"),
            reason: &draft.comment,
            document_id: None,
        },
    )
    .await?;
    crate::db::notices::event(
        &mut tx,
        crate::db::notices::To::Platform(id),
        "event.registration_returned",
        &format!("设立登记被退回补正，请按退回意见修改后重新提交（需补正：{parts}）。"),
        &format!("/platforms/{id}/registration#approval"),
    )
    .await?;
    tx.redirect(back_to(id, Flash::RegistrationReturned, "approval"))
        .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ApproveForm {
    reason: String,
    confirm: String,
}

pub async fn approve(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(form): Form<ApproveForm>,
) -> AppResult<Response> {
    let role = user.role.ok_or(AppError::Forbidden)?;
    let reason = form.reason.trim().to_string();
    let mut tx = w.begin().await?;
    // The platform row is locked first: the facts read next cannot change until the commit.
    let stage = reg::lock_stage(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let locked = reg::lock(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    // Only a submitted registration is approved (not a draft, nor one returned for correction).
    // Past registration, the lifecycle guard below names the stage.
    if stage == Stage::Registration
        && let Err(message) = domain::check_review(stage, locked.review_status())
    {
        tx.rollback().await?;
        return Ok(refused("不能审批", message));
    }
    let facts = reg::lifecycle_facts(&mut tx, id, &reason)
        .await?
        .ok_or(AppError::NotFound)?;
    let outcome = lc::check(stage, Transition::ApproveRegistration, role, &facts);
    let mut errors = FieldErrors::default();
    if form.confirm.trim().is_empty() {
        errors.add("confirm", "请勾选确认已核对全部登记材料");
    }
    let to = match outcome {
        Ok(to) if errors.is_empty() => to,
        outcome => {
            tx.rollback().await?;
            let refusal = outcome.err().map(|r| r.messages()).unwrap_or_default();
            let p = load_platform(&state, id).await?;
            let page = approve_page(
                &state,
                &user,
                p,
                &facts,
                refusal,
                form.reason,
                errors,
                Default::default(),
            )
            .await?;
            return Ok(invalid(page));
        }
    };
    let before_platform = platforms::get(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let before = reg::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let since = reg::approve(&mut tx, id, user.id, to).await?;
    reg::record_review(
        &mut tx,
        id,
        ReviewAction::Approved,
        user.id,
        &reason,
        &Default::default(),
    )
    .await?;
    let after = reg::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new("registration.approve", "platform", id)
            .before(serde_json::json!({
                "stage": stage, "operating_since": before_platform.operating_since,
                "registration": before.audit_json(),
            }))
            .after(serde_json::json!({
                "stage": to, "operating_since": since, "registration": after.audit_json(),
                "reason": reason, "facts": facts,
            })),
    )
    .await?;
    lifecycle::record(
        &mut tx,
        w.actor(),
        &lifecycle::Event {
            platform_id: id,
            kind: "registration.approved",
            from_stage: Some(stage),
            to_stage: Some(to),
            summary: "设立登记审批通过，进入运行管理阶段",
            reason: &reason,
            document_id: None,
        },
    )
    .await?;
    crate::db::notices::event(
        &mut tx,
        crate::db::notices::To::Platform(id),
        "event.registration_approved",
        "设立登记审批通过，平台进入运行管理阶段。",
        &format!("/platforms/{id}/registration#approval"),
    )
    .await?;
    tx.redirect(back_to(id, Flash::RegistrationApproved, "approval"))
        .await
}
