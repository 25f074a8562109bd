//! The rectification tab (a platform's cases and the open-case form) and the case page.

use super::*;

// ---- the tab: a platform's cases and the open-case form -------------------------------

pub struct CaseListRow {
    pub id: i64,
    pub opened: String,
    pub triggers: String,
    pub status_code: CaseStatus,
    pub status: &'static str,
    pub decision: String,
    pub deadline: String,
    pub progress: String,
}

impl From<&CaseRow> for CaseListRow {
    fn from(c: &CaseRow) -> CaseListRow {
        let decided = c.status == CaseStatus::Decided;
        let pending = c.decision.is_some() && !decided;
        CaseListRow {
            id: c.id,
            opened: local_time(&c.opened_at)[..10].to_owned(),
            triggers: trigger_labels(&c.triggers).join("、"),
            status_code: c.status,
            status: c.status.label_zh(),
            decision: match (decided, pending) {
                (true, _) => decision_label(c.decision).to_owned(),
                (false, true) => format!("待签核：{}", decision_label(c.decision)),
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
    let has_open = list.iter().any(|c| c.status == CaseStatus::Open);
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
    pub status_code: CaseStatus,
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
pub(super) fn settlement_summary(
    funds: Option<i64>,
    basis: &str,
    agreement_end: Option<NaiveDate>,
) -> String {
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
            status_code: c.status,
            status: c.status.label_zh(),
            decided: c.status == CaseStatus::Decided,
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
            decision: decision_label(c.decision),
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
            recovery_open: c.status == CaseStatus::Decided
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

pub(super) async fn case_page(
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
    let can_edit = user.has_role(Role::Staff) && c.status == CaseStatus::Open;
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

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, cid)): Path<(i64, i64)>,
    Query(q): Query<NoticeQuery>,
    Query(pq): Query<crate::web::print::PrintQuery>,
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

pub(super) fn refused(page: CasePage) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}
