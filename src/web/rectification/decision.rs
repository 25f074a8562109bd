//! The assessment (经充分评估), the 退/转/并/留 proposal and the sign-off that puts it into effect.

use super::*;

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
    let mine = |c: &CaseRow| vec![row("充分评估意见", text.clone(), c.assessment.clone())];
    let written = async {
        let mut tx = w.begin().await?;
        let before = case_at(&mut tx, id, cid, version, mine).await?;
        let blocked = case_refusal(
            &before,
            before.proposed_by.is_some(),
            "已有待签核的决定提议；如需修改评估意见，请先撤回提议。",
        );
        if let Some(msg) = blocked {
            return Err(NotWritten::refusal("assessment", msg, kept()));
        }
        let mut errors = FieldErrors::default();
        if text.is_empty() {
            errors.add("assessment", "请填写评估意见");
        } else if text.chars().count() > 4000 {
            errors.add("assessment", "评估意见不超过4000字");
        }
        if !errors.is_empty() {
            return Err(NotWritten::fields("assessment", errors, kept()));
        }
        if !cases::record_assessment(&mut tx, cid, version, &text, user.id).await? {
            return Err(NotWritten::stale(before, mine));
        }
        let after = case_for_write(&mut tx, id, cid).await?;
        tx.audit(
            Entry::new("rectification.assess", "rectification_case", cid)
                .before(before.audit_json())
                .after(after.audit_json()),
        )
        .await?;
        tx.timeline(id, "case.assessed", "记录充分评估意见", &text)
            .await?;
        Ok(tx
            .redirect(case_url(id, cid, Flash::CaseAssessed, "assessment"))
            .await?)
    }
    .await;
    answer(&state, &user, id, cid, version, "记录充分评估意见", written).await
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
    let mine = |c: &CaseRow| {
        vec![
            row(
                "决定",
                decision_label(DecisionKind::parse(fields.decision.as_str())),
                decision_label(c.decision),
            ),
            row("理由", fields.reason.clone(), c.decision_reason.clone()),
        ]
    };
    let written = async {
        let mut tx = w.begin().await?;
        let before = case_at(&mut tx, id, cid, version, mine).await?;
        let blocked = case_refusal(
            &before,
            before.proposed_by.is_some(),
            "已有待签核的决定提议，请先签核或撤回。",
        );
        if let Some(msg) = blocked {
            return Err(NotWritten::refusal("decision", msg, kept()));
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
                return Err(NotWritten::fields("decision", errors, kept()));
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
            return Err(NotWritten::Refused(fb));
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
            return Err(NotWritten::stale(before, mine));
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
        tx.timeline(id, "case.proposed", &summary, &proposal.reason)
            .await?;
        Ok(tx
            .redirect(case_url(id, cid, Flash::DecisionProposed, "decision"))
            .await?)
    }
    .await;
    answer(&state, &user, id, cid, version, "提议退/转/并/留", written).await
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
    let mine = |c: &CaseRow| vec![row("撤回提议", decision_label(c.decision), "")];
    let written = async {
        let mut tx = w.begin().await?;
        let before = case_at(&mut tx, id, cid, version, mine).await?;
        let blocked = case_refusal(
            &before,
            before.proposed_by.is_none(),
            "没有待签核的提议可撤回。",
        );
        if let Some(msg) = blocked {
            return Err(NotWritten::refusal("decision", msg, kept()));
        }
        if reason.chars().count() > 2000 {
            let mut errors = FieldErrors::default();
            errors.add("withdraw_reason", "撤回说明不超过2000字");
            return Err(NotWritten::fields("decision", errors, kept()));
        }
        let proposal = proposal_of(&before);
        if !cases::withdraw(&mut tx, cid, version).await? {
            return Err(NotWritten::stale(before, mine));
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
        tx.timeline(id, "case.proposal_withdrawn", &summary, &reason)
            .await?;
        Ok(tx
            .redirect(case_url(id, cid, Flash::ProposalWithdrawn, "decision"))
            .await?)
    }
    .await;
    answer(&state, &user, id, cid, version, "撤回提议", written).await
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
    let mine = |c: &CaseRow| {
        vec![row(
            "签核的决定",
            decision_label(c.decision),
            decision_label(c.decision),
        )]
    };
    let written = async {
        let mut tx = w.begin().await?;
        let before = case_at(&mut tx, id, cid, version, mine).await?;
        let proposal = proposal_of(&before);
        let blocked = case_refusal(
            &before,
            before.proposed_by.is_none() || proposal.is_none(),
            "没有待签核的提议：请先由一名业务人员提议退/转/并/留。",
        );
        let (Some(proposal), None) = (proposal, blocked.clone()) else {
            let msg = blocked.unwrap_or_default();
            return Err(NotWritten::refusal("decision", msg, Kept::default()));
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
                let fb = Feedback {
                    section: "decision",
                    errors: FieldErrors::default(),
                    refusal: refusal.messages(),
                    kept: Kept::default(),
                };
                return Err(NotWritten::Refused(fb));
            }
        };
        match cases::sign_off(&mut tx, cid, version, user.id).await {
            Ok(true) => {}
            Ok(false) => {
                return Err(NotWritten::stale(before, mine));
            }
            Err(e) if check_violation(&e).as_deref() == Some(cases::TWO_PEOPLE) => {
                let msg = RefusalReason::SignOffBySameUser.to_string();
                return Err(NotWritten::refusal("decision", msg, Kept::default()));
            }
            Err(e) => return Err(e.into()),
        }
        let convert_to = (t == Transition::DecideConvert)
            .then_some(proposal.convert_to)
            .flatten();
        let merged_into = (t == Transition::DecideMerge).then_some(target).flatten();
        if !cases::move_platform(&mut tx, id, stage, to, convert_to, merged_into).await? {
            let e = anyhow::anyhow!("platform {id} left {stage:?} while locked");
            return Err(AppError::from(e).into());
        }
        let after = case_for_write(&mut tx, id, cid).await?;
        let p_after = platform(&mut tx, id).await?;
        tx.audit(
            Entry::new("rectification.signoff", "rectification_case", cid)
                .before(serde_json::json!({
                    "case": before.audit_json(),
                    "platform": p_before.audit_json(),
                }))
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
            tx.timeline(target, "merge.received", &summary, &proposal.reason)
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
        Ok(tx
            .redirect(case_url(id, cid, Flash::DecisionSignedOff, "decision"))
            .await?)
    }
    .await;
    answer(&state, &user, id, cid, version, "签核决定", written).await
}
