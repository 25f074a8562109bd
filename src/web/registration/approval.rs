//! Submitting the dossier, and the staff approval or return.

use super::*;

// ---- submission ---------------------------------------------------------------------------

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
    // A refusal drops the transaction: nothing is written, the form token stays free.
    let action = domain::check_submit(stage, before.status)
        .map_err(|message| AppError::conflict("不能提交审批", message))?;
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
    tx.timeline(
        id,
        if action == ReviewAction::Resubmitted {
            "registration.resubmitted"
        } else {
            "registration.submitted"
        },
        if action == ReviewAction::Resubmitted {
            "设立登记按退回意见修改后重新提交审批"
        } else {
            "设立登记提交审批"
        },
        "",
    )
    .await?;
    let flash = if action == ReviewAction::Resubmitted {
        Flash::RegistrationResubmitted
    } else {
        Flash::RegistrationSubmitted
    };
    tx.redirect(back_to(id, flash, "approval")).await
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

/// What the approval page shows again after a refused post: the approval's refusal, reason and
/// field errors, or the return form as typed with its errors (all empty on a first visit).
#[derive(Default)]
struct Typed {
    refusal: Vec<String>,
    reason: String,
    errors: FieldErrors,
    ret: ReturnFields,
    return_errors: FieldErrors,
}

async fn approve_page(
    state: &AppState,
    user: &CurrentUser,
    p: Platform,
    facts: &LifecycleFacts<i64>,
    typed: Typed,
) -> AppResult<ApprovePage> {
    let Typed {
        refusal,
        reason,
        errors,
        ret,
        return_errors,
    } = typed;
    let mut conn = state.db.acquire().await?;
    let r = reg::get(&mut conn, p.id).await?.ok_or(AppError::NotFound)?;
    let history = reg::history(&mut conn, p.id).await?;
    drop(conn);
    let stage = stage_of(&p);
    let status = r.status;
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
    approve_page(&state, &user, p, &facts, Typed::default()).await
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
    if let Err(message) = domain::check_review(stage, before.status) {
        tx.rollback().await?;
        return Err(AppError::conflict("不能退回", message));
    }
    let draft = match f.validate() {
        Ok(d) => d,
        Err(errors) => {
            tx.rollback().await?;
            let p = load_platform(&state, id).await?;
            let facts = facts_of(&state, id, "").await?;
            let typed = Typed {
                ret: f,
                return_errors: errors,
                ..Typed::default()
            };
            let page = approve_page(&state, &user, p, &facts, typed).await?;
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
    tx.timeline(
        id,
        "registration.returned",
        &format!("设立登记被退回补正（需补正：{parts}）"),
        &draft.comment,
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
        && let Err(message) = domain::check_review(stage, locked.status)
    {
        tx.rollback().await?;
        return Err(AppError::conflict("不能审批", message));
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
            let typed = Typed {
                refusal,
                reason: form.reason,
                errors,
                ..Typed::default()
            };
            let page = approve_page(&state, &user, p, &facts, typed).await?;
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
