//! Exit / rectification (退出整改): a platform's cases and the form to open one; the case page with its plan,
//! measures, progress notes, assessment (经充分评估) and the 退/转/并/留 decision, proposed by one staff member
//! and signed off by a second. Every case write carries the case's `version` (stale → 409).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use sqlx::PgConnection;

use super::auth::CurrentUser;
use super::flash::Flash;
use super::forms::{Form, Path, Query};
use super::layout::{Layout, date_or_dash, local_time};
use super::platforms::{ConflictRow, Opt};
use super::write::{Entry, Writer};
use crate::clock::today;
use crate::db::platforms::{self, Platform};
use crate::db::recovery as recoveries;
use crate::db::rectification::{self as cases, CaseRow, MeasureRow, NoteRow};
use crate::db::{lifecycle, unique_violation};
use crate::domain::calendar::beijing_date;
use crate::domain::lifecycle::{RefusalReason, Signatory, Transition, Trigger, check};
use crate::domain::platform::{Category, Stage};
use crate::domain::recovery::{
    RecoveryFields, SettlementFields, outstanding, parse_recovery, parse_settlement,
};
use crate::domain::rectification::{
    CaseSnapshot, CaseStatus, DecisionKind, MeasureFields, OpenCaseFields, Proposal,
    ProposalFields, decision_facts, due_before_start, is_overdue, measure_key, parse_measure,
    parse_open_case, parse_proposal, proposal_gaps, refusal_field,
};
use crate::domain::role::Role;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A posted `version`; anything unreadable never matches a case (→ 409).
fn parse_version(s: &str) -> i32 {
    s.trim().parse().unwrap_or(-1)
}

/// The name of a violated check constraint, if `e` is one.
fn check_violation(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(db) if db.is_check_violation() => db.constraint().map(str::to_string),
        _ => None,
    }
}

async fn platform(conn: &mut PgConnection, id: i64) -> AppResult<Platform> {
    platforms::get(conn, id).await?.ok_or(AppError::NotFound)
}

fn trigger_labels(codes: &[String]) -> Vec<&'static str> {
    codes
        .iter()
        .filter_map(|c| Trigger::parse(c))
        .map(Trigger::label_zh)
        .collect()
}

fn decision_label(code: Option<&str>) -> &'static str {
    code.and_then(DecisionKind::parse)
        .map(DecisionKind::label_zh)
        .unwrap_or("")
}

/// The proposal stored on a case, if any.
fn proposal_of(c: &CaseRow) -> Option<Proposal> {
    let kind = DecisionKind::parse(c.decision.as_deref()?)?;
    Some(Proposal {
        kind,
        reason: c.decision_reason.clone(),
        convert_to: c.convert_to.as_deref().and_then(Category::parse),
        merge_into: c.merge_into_id,
    })
}

/// What a decision does, in words: "决定退出（退）", "转型为其他平台类", "并入 NT-… 某平台".
fn decision_summary(p: &Proposal, merge_name: Option<&str>) -> String {
    match p.kind {
        DecisionKind::Convert => format!(
            "转型（转）为{}",
            p.convert_to.map(Category::label_zh).unwrap_or("")
        ),
        DecisionKind::Merge => format!("合并（并）入{}", merge_name.unwrap_or("")),
        other => other.label_zh().to_owned(),
    }
}

// ---- the tab: a platform's cases and the open-case form -------------------------------

pub struct CaseListRow {
    pub id: i64,
    pub opened: String,
    pub triggers: String,
    pub status_code: String,
    pub status: &'static str,
    pub decision: String,
    pub deadline: String,
    pub progress: String,
}

impl From<&CaseRow> for CaseListRow {
    fn from(c: &CaseRow) -> CaseListRow {
        let decided = c.status == CaseStatus::Decided.as_str();
        let pending = c.decision.is_some() && !decided;
        CaseListRow {
            id: c.id,
            opened: local_time(&c.opened_at)[..10].to_owned(),
            triggers: trigger_labels(&c.triggers).join("、"),
            status_code: c.status.clone(),
            status: CaseStatus::parse(&c.status)
                .map(CaseStatus::label_zh)
                .unwrap_or(""),
            decision: match (decided, pending) {
                (true, _) => decision_label(c.decision.as_deref()).to_owned(),
                (false, true) => format!("待签核：{}", decision_label(c.decision.as_deref())),
                _ => "—".to_owned(),
            },
            deadline: date_or_dash(&c.deadline),
            progress: format!("{}/{}", c.measures_done, c.measures_total),
        }
    }
}

pub struct TriggerOpt {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

pub struct MeasureInput {
    pub key: &'static str,
    pub number: usize,
    pub f: MeasureFields,
}

#[derive(Template, WebTemplate)]
#[template(path = "rectification/index.html")]
pub struct TabPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub p: Platform,
    pub cases: Vec<CaseListRow>,
    pub can_open: bool,
    pub open_hint: String,
    pub f: OpenCaseFields,
    pub triggers: Vec<TriggerOpt>,
    pub measure_rows: Vec<MeasureInput>,
    pub errors: FieldErrors,
    pub refusal: Vec<String>,
}

async fn tab_page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    f: OpenCaseFields,
    errors: FieldErrors,
    refusal: Vec<String>,
) -> AppResult<TabPage> {
    let mut conn = state.db.acquire().await?;
    let p = platform(&mut conn, id).await?;
    drop(conn);
    let list = cases::list(&state.db, id).await?;
    let has_open = list.iter().any(|c| c.status == CaseStatus::Open.as_str());
    let stage = Some(p.stage);
    let is_staff = user.has_role(Role::Staff);
    let can_open = is_staff && stage == Some(Stage::Operating) && !has_open;
    let open_hint = match (is_staff, can_open, has_open) {
        (false, _, _) | (true, true, _) => String::new(),
        (true, false, true) => "本平台已有进行中的整改案件，请在该案件中继续整改。".to_owned(),
        (true, false, false) => format!(
            "平台当前为「{}」阶段，只有「运行中」的平台可以启动退出整改。",
            p.stage_label()
        ),
    };
    let f = f.for_display();
    Ok(TabPage {
        layout: Layout::for_user(user, "platforms"),
        tab: "rectification",
        tab_platform_id: id,
        cases: list.iter().map(CaseListRow::from).collect(),
        can_open,
        open_hint,
        triggers: Trigger::ALL
            .iter()
            .map(|t| TriggerOpt {
                value: t.as_str(),
                label: t.label_zh(),
                checked: f.has_trigger(t.as_str()),
            })
            .collect(),
        measure_rows: f
            .measures
            .iter()
            .enumerate()
            .map(|(i, m)| MeasureInput {
                key: measure_key(i),
                number: i + 1,
                f: m.clone(),
            })
            .collect(),
        f,
        errors,
        refusal,
        p,
    })
}

pub async fn index(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<TabPage> {
    tab_page(
        &state,
        &user,
        id,
        OpenCaseFields::default(),
        FieldErrors::default(),
        Vec::new(),
    )
    .await
}

/// Opens a case: the form is read as far as it goes, then `lifecycle::check(operating → rectifying)` lists
/// everything missing; only a complete form opens the case and moves the platform.
pub async fn open(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let role = user.role.ok_or(AppError::Forbidden)?;
    let fields = OpenCaseFields::from_pairs(&pairs);
    let (draft, mut errors) = parse_open_case(&fields, today());

    let mut tx = w.begin().await?;
    let stage = cases::lock_stage(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let refusal = match check(stage, Transition::OpenRectification, role, &draft.facts(id)) {
        Ok(_) => Vec::new(),
        Err(r) => r.reasons,
    };
    for r in &refusal {
        match (refusal_field(r), r) {
            (Some(field), _) => errors.add(field, r.to_string()),
            (None, RefusalReason::ReasonMissing) => errors.add("trigger_note", "请填写启动理由"),
            _ => {}
        }
    }
    if !errors.is_empty() || !refusal.is_empty() {
        tx.rollback().await?;
        let messages = refusal.iter().map(ToString::to_string).collect();
        let page = tab_page(&state, &user, id, fields, errors, messages).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }

    let case_id = match cases::insert(&mut tx, id, &draft, user.id).await {
        Ok(cid) => cid,
        Err(e) if unique_violation(&e).as_deref() == Some(cases::ONE_OPEN_CASE) => {
            tx.rollback().await?;
            let refusal = vec![
                "该平台已有进行中的整改案件（同一平台同时只能有一个进行中的案件），请在现有案件中继续整改。"
                    .to_owned(),
            ];
            let page = tab_page(&state, &user, id, fields, FieldErrors::default(), refusal).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    if !cases::move_platform(&mut tx, id, stage, Stage::Rectifying, None, None).await? {
        return Err(anyhow::anyhow!("platform {id} left {stage:?} while locked").into());
    }
    let after = cases::get(&mut tx, id, case_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let measures = cases::measures(&mut tx, case_id).await?;
    tx.audit(
        Entry::new("rectification.open", "rectification_case", case_id).after(serde_json::json!({
            "case": after.audit_json(),
            "measures": measures,
            "platform": {"id": id, "stage": {"from": stage, "to": Stage::Rectifying}},
        })),
    )
    .await?;
    let summary = format!(
        "启动退出整改（触发情形：{}），整改期限 {}",
        trigger_labels(&after.triggers).join("、"),
        date_or_dash(&after.deadline)
    );
    lifecycle::record(
        &mut tx,
        &user.actor(),
        &lifecycle::Event {
            platform_id: id,
            kind: "case.opened",
            from_stage: Some(stage),
            to_stage: Some(Stage::Rectifying),
            summary: &summary,
            reason: &after.trigger_note,
            document_id: None,
        },
    )
    .await?;
    crate::db::notices::event(
        &mut tx,
        crate::db::notices::To::Platform(id),
        "event.rectification_opened",
        &format!("{summary}。请按整改要求落实整改措施。"),
        &format!("/platforms/{id}/rectification/{case_id}"),
    )
    .await?;
    tx.redirect(format!(
        "/platforms/{id}/rectification/{case_id}?notice={}",
        Flash::CaseOpened
    ))
    .await
}

// ---- the case page --------------------------------------------------------------------

pub struct CaseView {
    pub id: i64,
    pub status_code: String,
    pub status: &'static str,
    pub decided: bool,
    pub triggers: Vec<&'static str>,
    pub trigger_note: String,
    pub plan_summary: String,
    pub deadline: String,
    pub opened_at: String,
    pub opened_by: String,
    pub source: String,
    pub assessment: String,
    pub assessed_by: String,
    pub assessed_at: String,
    pub has_proposal: bool,
    pub decision: &'static str,
    pub decision_text: String,
    pub decision_reason: String,
    pub proposed_by: String,
    pub proposed_at: String,
    pub signed_off_by: String,
    pub signed_off_at: String,
    pub merge_into_id: Option<i64>,
    pub version: i32,
    /// 退/转/并: the funds to recover and the agreement's end are recorded.
    pub has_settlement: bool,
    pub funds_to_recover: String,
    pub funds_basis: String,
    pub agreement_end: String,
    pub recovered: String,
    pub outstanding: String,
    /// Decided, with funds still to recover.
    pub recovery_open: bool,
}

/// Whole yuan with thousands separators: "1,200,000元".
pub fn yuan_text(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}{out}元", if n < 0 { "-" } else { "" })
}

/// What a 退/转/并 settles, in words (for the timeline and the notices).
fn settlement_summary(funds: Option<i64>, basis: &str, agreement_end: Option<NaiveDate>) -> String {
    let Some(funds) = funds else {
        return String::new();
    };
    let funds = if funds == 0 {
        "无须追回财政资金".to_owned()
    } else if basis.is_empty() {
        format!("应追回财政资金{}", yuan_text(funds))
    } else {
        format!("应追回财政资金{}（依据：{basis}）", yuan_text(funds))
    };
    let end = match agreement_end {
        Some(d) => format!("共建协议于{d}终止"),
        None => "共建协议于决定生效之日终止".to_owned(),
    };
    format!("；{funds}；{end}")
}

fn time_or_dash(t: &Option<chrono::DateTime<Utc>>) -> String {
    t.as_ref().map(local_time).unwrap_or_else(|| "—".into())
}

impl From<&CaseRow> for CaseView {
    fn from(c: &CaseRow) -> CaseView {
        let proposal = proposal_of(c);
        CaseView {
            id: c.id,
            status_code: c.status.clone(),
            status: CaseStatus::parse(&c.status)
                .map(CaseStatus::label_zh)
                .unwrap_or(""),
            decided: c.status == CaseStatus::Decided.as_str(),
            triggers: trigger_labels(&c.triggers),
            trigger_note: c.trigger_note.clone(),
            plan_summary: c.plan_summary.clone(),
            deadline: date_or_dash(&c.deadline),
            opened_at: local_time(&c.opened_at),
            opened_by: c.opened_by_name.clone().unwrap_or_else(|| "—".into()),
            source: if c.source == "manual" {
                String::new()
            } else {
                c.source.clone()
            },
            assessment: c.assessment.clone(),
            assessed_by: c.assessed_by_name.clone().unwrap_or_default(),
            assessed_at: time_or_dash(&c.assessed_at),
            has_proposal: proposal.is_some(),
            decision: decision_label(c.decision.as_deref()),
            decision_text: proposal
                .as_ref()
                .map(|p| decision_summary(p, c.merge_into_name.as_deref()))
                .unwrap_or_default(),
            decision_reason: c.decision_reason.clone(),
            proposed_by: c.proposed_by_name.clone().unwrap_or_default(),
            proposed_at: time_or_dash(&c.proposed_at),
            signed_off_by: c.signed_off_by_name.clone().unwrap_or_default(),
            signed_off_at: time_or_dash(&c.signed_off_at),
            merge_into_id: c.merge_into_id,
            version: c.version,
            has_settlement: c.funds_to_recover.is_some(),
            funds_to_recover: c.funds_to_recover.map(yuan_text).unwrap_or_default(),
            funds_basis: c.funds_basis.clone(),
            agreement_end: match (c.agreement_end, c.funds_to_recover) {
                (Some(d), _) => d.to_string(),
                (None, Some(_)) => "决定生效之日".to_owned(),
                (None, None) => String::new(),
            },
            recovered: yuan_text(c.recovered),
            outstanding: yuan_text(outstanding(c.funds_to_recover.unwrap_or(0), c.recovered)),
            recovery_open: c.status == CaseStatus::Decided.as_str()
                && c.funds_to_recover.unwrap_or(0) > c.committed,
        }
    }
}

pub struct MeasureView {
    pub id: i64,
    pub description: String,
    pub owner: String,
    pub due: String,
    pub done: bool,
    pub overdue: bool,
}

impl MeasureView {
    fn new(m: &MeasureRow, today: NaiveDate) -> MeasureView {
        MeasureView {
            id: m.id,
            description: m.description.clone(),
            owner: m.owner.clone(),
            due: m.due_date.to_string(),
            done: m.done,
            overdue: is_overdue(m.due_date, m.done, today),
        }
    }
}

pub struct NoteView {
    pub at: String,
    pub author: String,
    pub note: String,
}

impl From<&NoteRow> for NoteView {
    fn from(n: &NoteRow) -> NoteView {
        NoteView {
            at: local_time(&n.created_at),
            author: n.author_name.clone().unwrap_or_else(|| "—".into()),
            note: n.note.clone(),
        }
    }
}

/// What the user typed into one of the case page's forms, kept when it is refused.
#[derive(Default)]
pub struct Kept {
    pub note: String,
    pub measure: MeasureFields,
    /// The “仍然保存” tick under a measure due before the case started, as typed.
    pub measure_confirmed: bool,
    /// The warning beside the measure's 完成时限 when it is before the case's start date (empty if none).
    pub measure_warning: String,
    pub assessment: Option<String>,
    pub proposal: ProposalFields,
    pub settlement: SettlementFields,
    pub recovery: RecoveryFields,
    pub withdraw_reason: String,
}

pub struct RecoveryView {
    pub recovered_on: String,
    pub amount: String,
    pub voucher: String,
    pub note: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

impl From<&recoveries::RecoveryRow> for RecoveryView {
    fn from(r: &recoveries::RecoveryRow) -> RecoveryView {
        RecoveryView {
            recovered_on: r.recovered_on.to_string(),
            amount: yuan_text(r.amount),
            voucher: r.voucher.clone(),
            note: r.note.clone(),
            recorded_by: r.recorded_by_name.clone().unwrap_or_default(),
            recorded_at: local_time(&r.recorded_at)[..16].to_owned(),
        }
    }
}

/// A refused write on the case page: which section, the field errors and the guard's reasons.
#[derive(Default)]
pub struct Feedback {
    pub section: &'static str,
    pub errors: FieldErrors,
    pub refusal: Vec<String>,
    pub kept: Kept,
}

#[derive(Template, WebTemplate)]
#[template(path = "rectification/case.html")]
pub struct CasePage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub p: Platform,
    pub c: CaseView,
    pub measures: Vec<MeasureView>,
    pub notes: Vec<NoteView>,
    pub recoveries: Vec<RecoveryView>,
    /// Staff may record a recovery: decided, funds still to recover.
    pub can_recover: bool,
    /// Staff, and the case is still open.
    pub can_edit: bool,
    /// The signed-in user proposed the pending decision.
    pub i_proposed: bool,
    pub decisions: Vec<Opt>,
    pub convert_options: Vec<Opt>,
    pub merge_options: Vec<Opt>,
    pub fb: Feedback,
    pub assessment_value: String,
    pub notice: &'static str,
    /// The print view (`?print=1`): the case and its decision as an A4 document, without forms.
    pub print: bool,
}

async fn case_page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    cid: i64,
    fb: Feedback,
    notice: &'static str,
) -> AppResult<CasePage> {
    let mut conn = state.db.acquire().await?;
    let p = platform(&mut conn, id).await?;
    let c = cases::get(&mut conn, id, cid)
        .await?
        .ok_or(AppError::NotFound)?;
    let measures = cases::measures(&mut conn, cid).await?;
    let notes = cases::notes(&mut conn, cid).await?;
    drop(conn);
    let recovered = recoveries::recoveries(&state.db, &[cid]).await?;
    let can_edit = user.has_role(Role::Staff) && c.status == CaseStatus::Open.as_str();
    let merge_options = if can_edit && c.decision.is_none() {
        cases::merge_targets(&state.db, user.scope, id)
            .await?
            .into_iter()
            .map(|(value, label)| Opt {
                value: value.to_string(),
                label,
            })
            .collect()
    } else {
        Vec::new()
    };
    let current = p.category.map(Category::as_str);
    let today = today();
    Ok(CasePage {
        layout: Layout::for_user(user, "platforms"),
        tab: "rectification",
        tab_platform_id: id,
        can_edit,
        i_proposed: c.proposed_by == Some(user.id),
        decisions: DecisionKind::ALL
            .iter()
            .map(|k| Opt {
                value: k.as_str().into(),
                label: k.label_zh().into(),
            })
            .collect(),
        convert_options: Category::ALL
            .iter()
            .filter(|cat| Some(cat.as_str()) != current)
            .map(|cat| Opt {
                value: cat.as_str().into(),
                label: if *cat == Category::Other {
                    format!("{}（企业主导）", cat.label_zh())
                } else {
                    cat.label_zh().into()
                },
            })
            .collect(),
        merge_options,
        assessment_value: fb
            .kept
            .assessment
            .clone()
            .unwrap_or_else(|| c.assessment.clone()),
        fb,
        notice,
        measures: measures
            .iter()
            .map(|m| MeasureView::new(m, today))
            .collect(),
        notes: notes.iter().map(NoteView::from).collect(),
        recoveries: recovered.iter().map(RecoveryView::from).collect(),
        can_recover: user.has_role(Role::Staff) && CaseView::from(&c).recovery_open,
        c: CaseView::from(&c),
        p,
        print: false,
    })
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    notice: String,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, cid)): Path<(i64, i64)>,
    Query(q): Query<NoticeQuery>,
    Query(pq): Query<super::print::PrintQuery>,
) -> AppResult<CasePage> {
    let notice = Flash::text_of(&q.notice);
    let mut page = case_page(&state, &user, id, cid, Feedback::default(), notice).await?;
    if pq.on() {
        page.print = true;
        page.can_edit = false;
        page.can_recover = false;
    }
    Ok(page)
}

fn refused(page: CasePage) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

// ---- conflicts ------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "rectification/conflict.html")]
pub struct ConflictPage {
    pub layout: Layout,
    pub platform_id: i64,
    pub case_id: i64,
    pub name: String,
    pub action: &'static str,
    pub rows: Vec<ConflictRow>,
}

fn row(label: &'static str, mine: impl Into<String>, theirs: impl Into<String>) -> ConflictRow {
    let (mine, theirs) = (mine.into(), theirs.into());
    ConflictRow {
        label,
        differs: mine.trim() != theirs.trim(),
        mine,
        theirs,
    }
}

/// The 409 page: the case changed since the user's page was loaded. Shows what was sent against what is
/// saved now; nothing was written.
async fn conflict(
    state: &AppState,
    user: &CurrentUser,
    c: &CaseRow,
    sent_version: i32,
    action: &'static str,
    mut mine: Vec<ConflictRow>,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let p = platform(&mut conn, c.platform_id).await?;
    // The newest state, not the one read before the refused write.
    let now = cases::get(&mut conn, c.platform_id, c.id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let view = CaseView::from(&now);
    let mut rows = vec![
        row(
            "案件版本",
            sent_version.to_string(),
            now.version.to_string(),
        ),
        row("案件状态", CaseStatus::Open.label_zh(), view.status),
    ];
    rows.append(&mut mine);
    rows.push(row(
        "待签核 / 已作出的决定",
        "",
        if view.has_proposal {
            format!("{}（{}）", view.decision_text, view.decision_reason)
        } else {
            "无".into()
        },
    ));
    let page = ConflictPage {
        layout: Layout::for_user(user, "platforms"),
        platform_id: c.platform_id,
        case_id: c.id,
        name: p.name,
        action,
        rows,
    };
    Ok((StatusCode::CONFLICT, page).into_response())
}

/// Loads the case for a write in the caller's transaction (404 if it is not this platform's).
async fn case_for_write(conn: &mut PgConnection, id: i64, cid: i64) -> AppResult<CaseRow> {
    cases::get(conn, id, cid).await?.ok_or(AppError::NotFound)
}

fn closed_refusal(c: &CaseRow) -> Option<String> {
    (c.status != CaseStatus::Open.as_str()).then(|| {
        format!(
            "该案件状态为「{}」，不能再修改。",
            CaseStatus::parse(&c.status)
                .map(CaseStatus::label_zh)
                .unwrap_or("")
        )
    })
}

fn refusal_of(section: &'static str, message: String, kept: Kept) -> Feedback {
    Feedback {
        section,
        errors: FieldErrors::default(),
        refusal: vec![message],
        kept,
    }
}

// ---- measures -------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MeasureForm {
    version: String,
    description: String,
    owner: String,
    due_date: String,
    /// “仍然保存”: the user saw the early-date warning and keeps the date.
    due_confirm: String,
}

pub async fn add_measure(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, cid)): Path<(i64, i64)>,
    Form(form): Form<MeasureForm>,
) -> AppResult<Response> {
    let version = parse_version(&form.version);
    let confirmed = !form.due_confirm.trim().is_empty();
    let fields = MeasureFields {
        description: form.description,
        owner: form.owner,
        due_date: form.due_date,
    };
    let mut tx = w.begin().await?;
    let before = case_for_write(&mut tx, id, cid).await?;
    // A date before the case started is kept only once the user ticked “仍然保存”.
    let warning =
        due_before_start(&fields.due_date, beijing_date(&before.opened_at)).unwrap_or_default();
    let kept = || Kept {
        measure: fields.clone(),
        measure_confirmed: confirmed,
        measure_warning: warning.clone(),
        ..Kept::default()
    };
    if before.version != version {
        tx.rollback().await?;
        let mine = vec![row("新增整改措施", fields.description.clone(), "")];
        return conflict(&state, &user, &before, version, "添加整改措施", mine).await;
    }
    if let Some(msg) = closed_refusal(&before) {
        tx.rollback().await?;
        let fb = refusal_of("measures", msg, kept());
        return Ok(refused(case_page(&state, &user, id, cid, fb, "").await?));
    }
    let draft = match parse_measure(&fields, before.deadline) {
        Ok(d) if warning.is_empty() || confirmed => d,
        outcome => {
            let errors = outcome.err().unwrap_or_default();
            tx.rollback().await?;
            let fb = Feedback {
                section: "measures",
                errors,
                refusal: Vec::new(),
                kept: kept(),
            };
            return Ok(refused(case_page(&state, &user, id, cid, fb, "").await?));
        }
    };
    if !cases::touch(&mut tx, cid, version).await? {
        tx.rollback().await?;
        let mine = vec![row("新增整改措施", fields.description.clone(), "")];
        return conflict(&state, &user, &before, version, "添加整改措施", mine).await;
    }
    let measure_id = cases::insert_measure(&mut tx, cid, &draft).await?;
    tx.audit(
        Entry::new("rectification.measure_add", "rectification_case", cid).after(
            serde_json::json!({"measure_id": measure_id, "measure": draft, "version": version + 1}),
        ),
    )
    .await?;
    tx.redirect(format!(
        "/platforms/{id}/rectification/{cid}?notice={}#measures",
        Flash::MeasureAdded
    ))
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneForm {
    version: String,
    done: String,
}

pub async fn set_measure_done(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, cid, mid)): Path<(i64, i64, i64)>,
    Form(form): Form<DoneForm>,
) -> AppResult<Response> {
    let version = parse_version(&form.version);
    let done = form.done == "true";
    let mut tx = w.begin().await?;
    let before = case_for_write(&mut tx, id, cid).await?;
    let measure = cases::measures(&mut tx, cid)
        .await?
        .into_iter()
        .find(|m| m.id == mid)
        .ok_or(AppError::NotFound)?;
    let label = |d: bool| if d { "已完成" } else { "未完成" };
    if before.version != version {
        tx.rollback().await?;
        let mine = vec![row(
            "措施状态",
            format!("{}：{}", measure.description, label(done)),
            format!("{}：{}", measure.description, label(measure.done)),
        )];
        return conflict(&state, &user, &before, version, "更新整改措施", mine).await;
    }
    if let Some(msg) = closed_refusal(&before) {
        tx.rollback().await?;
        let fb = refusal_of("measures", msg, Kept::default());
        return Ok(refused(case_page(&state, &user, id, cid, fb, "").await?));
    }
    if !cases::touch(&mut tx, cid, version).await? {
        tx.rollback().await?;
        let mine = vec![row("措施状态", label(done), label(measure.done))];
        return conflict(&state, &user, &before, version, "更新整改措施", mine).await;
    }
    let after = cases::set_measure_done(&mut tx, cid, mid, done)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new("rectification.measure_done", "rectification_case", cid)
            .before(serde_json::json!({"measure": measure}))
            .after(serde_json::json!({"measure": after, "version": version + 1})),
    )
    .await?;
    tx.redirect(format!(
        "/platforms/{id}/rectification/{cid}?notice={}#measures",
        Flash::MeasureUpdated
    ))
    .await
}

// ---- progress notes -------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoteForm {
    version: String,
    note: String,
}

pub async fn add_note(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, cid)): Path<(i64, i64)>,
    Form(form): Form<NoteForm>,
) -> AppResult<Response> {
    let version = parse_version(&form.version);
    let note = form.note.trim().to_owned();
    let kept = || Kept {
        note: form.note.clone(),
        ..Kept::default()
    };
    let mut tx = w.begin().await?;
    let before = case_for_write(&mut tx, id, cid).await?;
    if before.version != version {
        tx.rollback().await?;
        let mine = vec![row("新增进展记录", note.clone(), "")];
        return conflict(&state, &user, &before, version, "添加进展记录", mine).await;
    }
    if let Some(msg) = closed_refusal(&before) {
        tx.rollback().await?;
        let fb = refusal_of("notes", msg, kept());
        return Ok(refused(case_page(&state, &user, id, cid, fb, "").await?));
    }
    let mut errors = FieldErrors::default();
    if note.is_empty() {
        errors.add("note", "请填写进展情况");
    } else if note.chars().count() > 2000 {
        errors.add("note", "进展记录不超过2000字");
    }
    if !errors.is_empty() {
        tx.rollback().await?;
        let fb = Feedback {
            section: "notes",
            errors,
            refusal: Vec::new(),
            kept: kept(),
        };
        return Ok(refused(case_page(&state, &user, id, cid, fb, "").await?));
    }
    if !cases::touch(&mut tx, cid, version).await? {
        tx.rollback().await?;
        let mine = vec![row("新增进展记录", note.clone(), "")];
        return conflict(&state, &user, &before, version, "添加进展记录", mine).await;
    }
    let note_id = cases::insert_note(&mut tx, cid, user.id, &note).await?;
    tx.audit(
        Entry::new("rectification.note_add", "rectification_case", cid)
            .after(serde_json::json!({"note_id": note_id, "note": note, "version": version + 1})),
    )
    .await?;
    tx.redirect(format!(
        "/platforms/{id}/rectification/{cid}?notice={}#notes",
        Flash::NoteAdded
    ))
    .await
}

// ---- the assessment (经充分评估) ---------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssessmentForm {
    version: String,
    assessment: String,
}

pub async fn assess(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, cid)): Path<(i64, i64)>,
    Form(form): Form<AssessmentForm>,
) -> AppResult<Response> {
    let version = parse_version(&form.version);
    let text = form.assessment.trim().to_owned();
    let kept = || Kept {
        assessment: Some(form.assessment.clone()),
        ..Kept::default()
    };
    let mut tx = w.begin().await?;
    let before = case_for_write(&mut tx, id, cid).await?;
    if before.version != version {
        tx.rollback().await?;
        let mine = vec![row("充分评估意见", text.clone(), before.assessment.clone())];
        return conflict(&state, &user, &before, version, "记录充分评估意见", mine).await;
    }
    let blocked = closed_refusal(&before).or_else(|| {
        before
            .proposed_by
            .is_some()
            .then(|| "已有待签核的决定提议；如需修改评估意见，请先撤回提议。".to_owned())
    });
    if let Some(msg) = blocked {
        tx.rollback().await?;
        let fb = refusal_of("assessment", msg, kept());
        return Ok(refused(case_page(&state, &user, id, cid, fb, "").await?));
    }
    let mut errors = FieldErrors::default();
    if text.is_empty() {
        errors.add("assessment", "请填写评估意见");
    } else if text.chars().count() > 4000 {
        errors.add("assessment", "评估意见不超过4000字");
    }
    if !errors.is_empty() {
        tx.rollback().await?;
        let fb = Feedback {
            section: "assessment",
            errors,
            refusal: Vec::new(),
            kept: kept(),
        };
        return Ok(refused(case_page(&state, &user, id, cid, fb, "").await?));
    }
    if !cases::record_assessment(&mut tx, cid, version, &text, user.id).await? {
        tx.rollback().await?;
        let mine = vec![row("充分评估意见", text.clone(), before.assessment.clone())];
        return conflict(&state, &user, &before, version, "记录充分评估意见", mine).await;
    }
    let after = case_for_write(&mut tx, id, cid).await?;
    tx.audit(
        Entry::new("rectification.assess", "rectification_case", cid)
            .before(before.audit_json())
            .after(after.audit_json()),
    )
    .await?;
    lifecycle::record(
        &mut tx,
        &user.actor(),
        &lifecycle::Event {
            platform_id: id,
            kind: "case.assessed",
            from_stage: None,
            to_stage: None,
            summary: "记录充分评估意见",
            reason: &text,
            document_id: None,
        },
    )
    .await?;
    tx.redirect(format!(
        "/platforms/{id}/rectification/{cid}?notice={}#assessment",
        Flash::CaseAssessed
    ))
    .await
}

// ---- the 退/转/并/留 proposal ----------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProposeForm {
    version: String,
    decision: String,
    reason: String,
    convert_to: String,
    merge_into_id: String,
    funds_to_recover: String,
    funds_basis: String,
    agreement_end: String,
}

/// The stage of a merge target the user may see, `None` if there is none (or not in their scope).
async fn visible_stage(
    conn: &mut PgConnection,
    state: &AppState,
    user: &CurrentUser,
    target: Option<i64>,
) -> AppResult<Option<Stage>> {
    let Some(target) = target else {
        return Ok(None);
    };
    match platforms::scope_ref(&state.db, target).await? {
        Some(r) if user.scope.allows(r) => Ok(cases::lock_stage(conn, target).await?),
        _ => Ok(None),
    }
}

pub async fn propose(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, cid)): Path<(i64, i64)>,
    Form(form): Form<ProposeForm>,
) -> AppResult<Response> {
    let role = user.role.ok_or(AppError::Forbidden)?;
    let version = parse_version(&form.version);
    let fields = ProposalFields {
        decision: form.decision,
        reason: form.reason,
        convert_to: form.convert_to,
        merge_into_id: form.merge_into_id,
    };
    let settlement_fields = SettlementFields {
        funds_to_recover: form.funds_to_recover,
        funds_basis: form.funds_basis,
        agreement_end: form.agreement_end,
    };
    let kept = || Kept {
        proposal: fields.clone(),
        settlement: settlement_fields.clone(),
        ..Kept::default()
    };
    let mine = |fields: &ProposalFields, c: &CaseRow| {
        vec![
            row(
                "决定",
                decision_label(Some(fields.decision.as_str())),
                decision_label(c.decision.as_deref()),
            ),
            row("理由", fields.reason.clone(), c.decision_reason.clone()),
        ]
    };
    let mut tx = w.begin().await?;
    let before = case_for_write(&mut tx, id, cid).await?;
    if before.version != version {
        tx.rollback().await?;
        let rows = mine(&fields, &before);
        return conflict(&state, &user, &before, version, "提议退/转/并/留", rows).await;
    }
    let blocked = closed_refusal(&before).or_else(|| {
        before
            .proposed_by
            .is_some()
            .then(|| "已有待签核的决定提议，请先签核或撤回。".to_owned())
    });
    if let Some(msg) = blocked {
        tx.rollback().await?;
        let fb = refusal_of("decision", msg, kept());
        return Ok(refused(case_page(&state, &user, id, cid, fb, "").await?));
    }
    let settlement = parse_settlement(
        DecisionKind::parse(fields.decision.trim()),
        &settlement_fields,
    );
    let (proposal, settlement) = match (parse_proposal(&fields), settlement) {
        (Ok(p), Ok(s)) => (p, s),
        (proposal, settlement) => {
            let mut errors = proposal.err().unwrap_or_default();
            for (field, msg) in settlement.err().unwrap_or_default().iter() {
                errors.add(field, msg);
            }
            tx.rollback().await?;
            let fb = Feedback {
                section: "decision",
                errors,
                refusal: Vec::new(),
                kept: kept(),
            };
            return Ok(refused(case_page(&state, &user, id, cid, fb, "").await?));
        }
    };
    let p = platform(&mut tx, id).await?;
    let target_stage = visible_stage(&mut tx, &state, &user, proposal.merge_into).await?;
    let snapshot = CaseSnapshot {
        platform_id: id,
        category: p.category,
        assessment: before.assessment.clone(),
        proposal: Some(proposal.clone()),
        proposer: Some(Signatory {
            user_id: user.id,
            role,
        }),
    };
    let gaps = proposal_gaps(&snapshot, target_stage);
    if !gaps.is_empty() {
        tx.rollback().await?;
        let mut errors = FieldErrors::default();
        for r in &gaps {
            match (refusal_field(r), r) {
                (Some(field), _) => errors.add(field, r.to_string()),
                (None, RefusalReason::ReasonMissing) => errors.add("reason", "请填写理由"),
                _ => {}
            }
        }
        let fb = Feedback {
            section: "decision",
            errors,
            refusal: gaps.iter().map(ToString::to_string).collect(),
            kept: kept(),
        };
        return Ok(refused(case_page(&state, &user, id, cid, fb, "").await?));
    }
    if !cases::propose(
        &mut tx,
        cid,
        version,
        &proposal,
        settlement.as_ref(),
        user.id,
    )
    .await?
    {
        tx.rollback().await?;
        let rows = mine(&fields, &before);
        return conflict(&state, &user, &before, version, "提议退/转/并/留", rows).await;
    }
    let after = case_for_write(&mut tx, id, cid).await?;
    tx.audit(
        Entry::new("rectification.propose", "rectification_case", cid)
            .before(before.audit_json())
            .after(after.audit_json()),
    )
    .await?;
    let summary = format!(
        "提议{}，待另一名业务人员签核",
        decision_summary(&proposal, after.merge_into_name.as_deref())
    );
    lifecycle::record(
        &mut tx,
        &user.actor(),
        &lifecycle::Event {
            platform_id: id,
            kind: "case.proposed",
            from_stage: None,
            to_stage: None,
            summary: &summary,
            reason: &proposal.reason,
            document_id: None,
        },
    )
    .await?;
    tx.redirect(format!(
        "/platforms/{id}/rectification/{cid}?notice={}#decision",
        Flash::DecisionProposed
    ))
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct WithdrawForm {
    version: String,
    #[serde(rename = "withdraw_reason")]
    reason: String,
}

pub async fn withdraw(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, cid)): Path<(i64, i64)>,
    Form(form): Form<WithdrawForm>,
) -> AppResult<Response> {
    let version = parse_version(&form.version);
    let reason = form.reason.trim().to_owned();
    let kept = || Kept {
        withdraw_reason: form.reason.clone(),
        ..Kept::default()
    };
    let mut tx = w.begin().await?;
    let before = case_for_write(&mut tx, id, cid).await?;
    if before.version != version {
        tx.rollback().await?;
        let rows = vec![row(
            "撤回提议",
            decision_label(before.decision.as_deref()),
            "",
        )];
        return conflict(&state, &user, &before, version, "撤回提议", rows).await;
    }
    let blocked = closed_refusal(&before).or_else(|| {
        before
            .proposed_by
            .is_none()
            .then(|| "没有待签核的提议可撤回。".to_owned())
    });
    if let Some(msg) = blocked {
        tx.rollback().await?;
        let fb = refusal_of("decision", msg, kept());
        return Ok(refused(case_page(&state, &user, id, cid, fb, "").await?));
    }
    if reason.chars().count() > 2000 {
        tx.rollback().await?;
        let mut errors = FieldErrors::default();
        errors.add("withdraw_reason", "撤回说明不超过2000字");
        let fb = Feedback {
            section: "decision",
            errors,
            refusal: Vec::new(),
            kept: kept(),
        };
        return Ok(refused(case_page(&state, &user, id, cid, fb, "").await?));
    }
    let proposal = proposal_of(&before);
    if !cases::withdraw(&mut tx, cid, version).await? {
        tx.rollback().await?;
        let rows = vec![row(
            "撤回提议",
            decision_label(before.decision.as_deref()),
            "",
        )];
        return conflict(&state, &user, &before, version, "撤回提议", rows).await;
    }
    let after = case_for_write(&mut tx, id, cid).await?;
    tx.audit(
        Entry::new("rectification.withdraw", "rectification_case", cid)
            .before(before.audit_json())
            .after(serde_json::json!({"case": after.audit_json(), "reason": reason})),
    )
    .await?;
    let summary = format!(
        "撤回{}的提议",
        proposal
            .as_ref()
            .map(|p| decision_summary(p, before.merge_into_name.as_deref()))
            .unwrap_or_default()
    );
    lifecycle::record(
        &mut tx,
        &user.actor(),
        &lifecycle::Event {
            platform_id: id,
            kind: "case.proposal_withdrawn",
            from_stage: None,
            to_stage: None,
            summary: &summary,
            reason: &reason,
            document_id: None,
        },
    )
    .await?;
    tx.redirect(format!(
        "/platforms/{id}/rectification/{cid}?notice={}#decision",
        Flash::ProposalWithdrawn
    ))
    .await
}

// ---- the sign-off: the decision takes effect ------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignOffForm {
    version: String,
}

/// A second staff member signs the pending proposal off: only now does `lifecycle::check` run on the
/// decision and the platform move (exited / converted with its new category / merged into its target /
/// back to operating).
pub async fn sign_off(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, cid)): Path<(i64, i64)>,
    Form(form): Form<SignOffForm>,
) -> AppResult<Response> {
    let role = user.role.ok_or(AppError::Forbidden)?;
    let version = parse_version(&form.version);
    let mut tx = w.begin().await?;
    let before = case_for_write(&mut tx, id, cid).await?;
    let mine = |c: &CaseRow| {
        vec![row(
            "签核的决定",
            decision_label(c.decision.as_deref()),
            decision_label(c.decision.as_deref()),
        )]
    };
    if before.version != version {
        tx.rollback().await?;
        let rows = mine(&before);
        return conflict(&state, &user, &before, version, "签核决定", rows).await;
    }
    let proposal = proposal_of(&before);
    let blocked = closed_refusal(&before).or_else(|| {
        (before.proposed_by.is_none() || proposal.is_none())
            .then(|| "没有待签核的提议：请先由一名业务人员提议退/转/并/留。".to_owned())
    });
    let (Some(proposal), None) = (proposal, blocked.clone()) else {
        tx.rollback().await?;
        let msg = blocked.unwrap_or_default();
        let fb = refusal_of("decision", msg, Kept::default());
        return Ok(refused(case_page(&state, &user, id, cid, fb, "").await?));
    };

    // Lock both platforms in id order, then read what the guard needs.
    let target = proposal.merge_into;
    let mut stage = None;
    let mut target_stage = None;
    let mut order = vec![Some(id), target];
    order.sort();
    for pid in order.into_iter().flatten() {
        let s = cases::lock_stage(&mut tx, pid).await?;
        if pid == id {
            stage = s;
        } else {
            target_stage = s;
        }
    }
    let stage = stage.ok_or(AppError::NotFound)?;
    let p_before = platform(&mut tx, id).await?;
    let proposer_id = before.proposed_by.unwrap_or_default();
    let proposer = cases::user_role(&mut tx, proposer_id)
        .await?
        .map(|role| Signatory {
            user_id: proposer_id,
            role,
        });
    let snapshot = CaseSnapshot {
        platform_id: id,
        category: p_before.category,
        assessment: before.assessment.clone(),
        proposal: Some(proposal.clone()),
        proposer,
    };
    let facts = decision_facts(
        &snapshot,
        target_stage,
        Some(Signatory {
            user_id: user.id,
            role,
        }),
    );
    let t = proposal.kind.transition();
    let to = match check(stage, t, role, &facts) {
        Ok(to) => to,
        Err(refusal) => {
            tx.rollback().await?;
            let fb = Feedback {
                section: "decision",
                errors: FieldErrors::default(),
                refusal: refusal.messages(),
                kept: Kept::default(),
            };
            return Ok(refused(case_page(&state, &user, id, cid, fb, "").await?));
        }
    };
    match cases::sign_off(&mut tx, cid, version, user.id).await {
        Ok(true) => {}
        Ok(false) => {
            tx.rollback().await?;
            let rows = mine(&before);
            return conflict(&state, &user, &before, version, "签核决定", rows).await;
        }
        Err(e) if check_violation(&e).as_deref() == Some(cases::TWO_PEOPLE) => {
            tx.rollback().await?;
            let msg = RefusalReason::SignOffBySameUser.to_string();
            let fb = refusal_of("decision", msg, Kept::default());
            return Ok(refused(case_page(&state, &user, id, cid, fb, "").await?));
        }
        Err(e) => return Err(e.into()),
    }
    let convert_to = (t == Transition::DecideConvert)
        .then_some(proposal.convert_to)
        .flatten();
    let merged_into = (t == Transition::DecideMerge).then_some(target).flatten();
    if !cases::move_platform(&mut tx, id, stage, to, convert_to, merged_into).await? {
        return Err(anyhow::anyhow!("platform {id} left {stage:?} while locked").into());
    }
    let after = case_for_write(&mut tx, id, cid).await?;
    let p_after = platform(&mut tx, id).await?;
    tx.audit(
        Entry::new("rectification.signoff", "rectification_case", cid)
            .before(
                serde_json::json!({"case": before.audit_json(), "platform": p_before.audit_json()}),
            )
            .after(serde_json::json!({
                "case": after.audit_json(),
                "platform": p_after.audit_json(),
                "merged_into_id": p_after.merged_into_id,
            })),
    )
    .await?;
    let what = decision_summary(&proposal, after.merge_into_name.as_deref());
    let summary = format!(
        "退/转/并/留决定生效：{what}{}（{} 提议，{} 签核）",
        settlement_summary(
            after.funds_to_recover,
            &after.funds_basis,
            after.agreement_end
        ),
        after.proposed_by_name.as_deref().unwrap_or("—"),
        after.signed_off_by_name.as_deref().unwrap_or("—"),
    );
    lifecycle::record(
        &mut tx,
        &user.actor(),
        &lifecycle::Event {
            platform_id: id,
            kind: "case.decided",
            from_stage: Some(stage),
            to_stage: Some(to),
            summary: &summary,
            reason: &proposal.reason,
            document_id: None,
        },
    )
    .await?;
    if let Some(target) = merged_into {
        tx.touches(target);
        let summary = format!("平台「{} {}」并入本平台", p_after.code, p_after.name);
        lifecycle::record(
            &mut tx,
            &user.actor(),
            &lifecycle::Event {
                platform_id: target,
                kind: "merge.received",
                from_stage: None,
                to_stage: None,
                summary: &summary,
                reason: &proposal.reason,
                document_id: None,
            },
        )
        .await?;
    }
    crate::db::notices::event(
        &mut tx,
        crate::db::notices::To::Platform(id),
        "event.rectification_decided",
        &format!("{summary}。"),
        &format!("/platforms/{id}/rectification/{cid}"),
    )
    .await?;
    tx.redirect(format!(
        "/platforms/{id}/rectification/{cid}?notice={}#decision",
        Flash::DecisionSignedOff
    ))
    .await
}

// ---- recoveries (追回) after 退/转/并 ---------------------------------------------------

/// Records a recovery of the funds a decided 退/转/并 set: never more than what remains (checked here, and by
/// the database's trigger), audited and on the timeline.
pub async fn record_recovery(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, cid)): Path<(i64, i64)>,
    Form(fields): Form<RecoveryFields>,
) -> AppResult<Response> {
    let kept = || Kept {
        recovery: fields.clone(),
        ..Kept::default()
    };
    let mut tx = w.begin().await?;
    let (status, due, recovered, decided_on) = recoveries::lock_case(&mut tx, id, cid)
        .await?
        .ok_or(AppError::NotFound)?;
    let due = due.unwrap_or(0);
    if status != CaseStatus::Decided || due == 0 || recovered >= due {
        tx.rollback().await?;
        let msg = if status != CaseStatus::Decided || due == 0 {
            "该案件没有应追回的财政资金（须为已生效的退/转/并决定且应追回金额大于0）。".to_owned()
        } else {
            format!(
                "应追回的{}已全部追回（含支持项目申报上的追回和追回中的金额），不能再登记追回。",
                yuan_text(due)
            )
        };
        let fb = refusal_of("recovery", msg, kept());
        return Ok(refused(case_page(&state, &user, id, cid, fb, "").await?));
    }
    let draft = match parse_recovery(&fields, today(), decided_on, due, recovered) {
        Ok(d) => d,
        Err(errors) => {
            tx.rollback().await?;
            let fb = Feedback {
                section: "recovery",
                errors,
                refusal: Vec::new(),
                kept: kept(),
            };
            return Ok(refused(case_page(&state, &user, id, cid, fb, "").await?));
        }
    };
    let rid = match recoveries::insert(&mut tx, id, cid, &draft, user.id).await {
        Ok(rid) => rid,
        Err(e) if check_violation(&e).as_deref() == Some(recoveries::WITHIN_DUE) => {
            tx.rollback().await?;
            let msg = "追回金额超过尚待追回的金额，不能多追回。".to_owned();
            let fb = refusal_of("recovery", msg, kept());
            return Ok(refused(case_page(&state, &user, id, cid, fb, "").await?));
        }
        Err(e) => return Err(e.into()),
    };
    let total = recovered + draft.amount;
    tx.audit(
        Entry::new("rectification.recovery", "rectification_case", cid).after(serde_json::json!({
            "recovery_id": rid,
            "recovery": draft,
            "funds_to_recover": due,
            "recovered": {"before": recovered, "after": total},
        })),
    )
    .await?;
    let summary = format!(
        "追回财政资金{}（凭证号{}），累计追回{}，尚待追回{}",
        yuan_text(draft.amount),
        draft.voucher,
        yuan_text(total),
        yuan_text(outstanding(due, total))
    );
    lifecycle::record(
        &mut tx,
        &user.actor(),
        &lifecycle::Event {
            platform_id: id,
            kind: "funds.recovered",
            from_stage: None,
            to_stage: None,
            summary: &summary,
            reason: &draft.note,
            document_id: None,
        },
    )
    .await?;
    tx.redirect(format!(
        "/platforms/{id}/rectification/{cid}?notice={}#recovery",
        Flash::RecoveryRecorded
    ))
    .await
}
