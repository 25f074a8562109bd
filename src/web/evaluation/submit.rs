//! The operator saves or submits the self-assessment.

use super::*;

// ---- the operator saves or submits ------------------------------------------------------------------

/// `POST /platforms/{id}/evaluation/{year}`: fields `action` (`save` | `submit`), `lock_version`,
/// `actual.<indicator key>`, `self_assessment`, `evidence` (repeated document ids).
pub async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, year)): Path<(i64, i32)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let action = match field(&fields, "action") {
        Some("save") => EvalAction::Save,
        Some("submit") => EvalAction::Submit,
        _ => return Err(AppError::BadRequest("请选择保存或提交。".into())),
    };
    let lock_version: i32 = field(&fields, "lock_version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| AppError::BadRequest("表单缺少版本信息，请刷新页面后重试。".into()))?;
    let mut evidence = Vec::new();
    for (k, v) in &fields {
        if k == "evidence" {
            evidence.push(
                v.parse::<i64>()
                    .map_err(|_| AppError::BadRequest("证明材料选择无效。".into()))?,
            );
        }
    }
    let input = EvalInput {
        actuals: fields
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("actual.")
                    .map(|key| (key.to_string(), v.clone()))
            })
            .collect(),
        self_assessment: field(&fields, "self_assessment").unwrap_or("").to_string(),
        evidence,
        confirmed: field(&fields, "confirm") == Some("yes"),
    };
    let today = today();

    let (mut tx, locked) = lock_facts(&w, id, year, today).await?;
    let (p, config, bar, before, f) = (
        locked.platform,
        locked.config,
        locked.bar,
        locked.before,
        locked.facts,
    );
    if let Err(refusal) = rules::check(action, actor_of(&user), &f) {
        // A barred platform is recorded as not evaluated, so everyone sees why.
        if let Some(bar) = bar
            && action == EvalAction::Submit
            && refusal.reasons.first() == Some(&bar.reason())
            && rules::may_exclude(f.status)
        {
            let e = db::lock_or_create(&mut tx, id, year).await?;
            persist_exclusion(&mut tx, &e, &bar).await?;
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        return Ok(refused(&user, "不能提交", &refusal, back(id, year)));
    }

    let submitting = action == EvalAction::Submit;
    let mut validated = rules::validate(&config.rubric, &input, submitting);
    // Evidence must be the platform's own documents.
    let mut wanted = input.evidence.clone();
    wanted.sort_unstable();
    wanted.dedup();
    let owned = db::documents_of_platform(&mut tx, id, &wanted).await?;
    if owned.len() != wanted.len() {
        let mut errors = validated.err().unwrap_or_default();
        errors.insert(
            "evidence".into(),
            "所选证明材料不属于本平台，请重新选择".into(),
        );
        validated = Err(errors);
    }
    let draft = match validated {
        Ok(d) => d,
        Err(errors) => {
            tx.rollback().await?;
            let typed = Typed {
                actuals: input.actuals,
                self_assessment: input.self_assessment,
                evidence: input.evidence,
                errors,
                ..Default::default()
            };
            let mut conn = state.db.acquire().await?;
            let page = build_page(&mut conn, &user, id, year, today, "", Some(typed)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };

    let e = match before.clone() {
        Some(e) => e,
        None => db::lock_or_create(&mut tx, id, year).await?,
    };
    if !db::save_draft(
        &mut tx,
        e.id,
        lock_version,
        &draft.actuals,
        &draft.self_assessment,
    )
    .await?
    {
        tx.rollback().await?;
        return conflict_page(
            &state,
            &user,
            &p,
            year,
            &config,
            &draft.actuals,
            &input.self_assessment,
        )
        .await;
    }
    db::set_evidence(&mut tx, e.id, &draft.evidence).await?;
    if submitting {
        let from = e.status();
        if !db::set_status(&mut tx, e.id, from, EvalStatus::Submitted).await? {
            tx.rollback().await?;
            return Err(AppError::BadRequest("评估状态已变化，请刷新页面。".into()));
        }
        db::record_submission(&mut tx, e.id, user.id).await?;
    }
    let after = db::get(&mut tx, id, year)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut after_json = after.audit_json();
    after_json["evidence"] = serde_json::json!(draft.evidence);
    let audit_action = if submitting {
        "evaluation.submit"
    } else {
        "evaluation.save"
    };
    tx.audit(
        Entry::new(audit_action, "evaluation", e.id)
            .before(before.as_ref().map(Evaluation::audit_json))
            .after(after_json),
    )
    .await?;
    if submitting {
        let next = if f.has_county_review() {
            "，等待县级初审"
        } else {
            "，等待市级复审"
        };
        tx.timeline(
            id,
            "evaluation.submitted",
            &format!("提交{year}年度评估材料{next}"),
            "",
        )
        .await?;
    }
    let notice = if submitting {
        Flash::EvaluationSubmitted
    } else {
        Flash::EvaluationSaved
    };
    tx.redirect(format!("{}&notice={notice}", back(id, year)))
        .await
}

#[derive(Template, WebTemplate)]
#[template(path = "evaluation/conflict.html")]
pub struct ConflictPage {
    pub layout: Layout,
    pub back: String,
    pub name: String,
    pub year: i32,
    pub rows: Vec<ConflictRow>,
}

/// Somebody saved in between: both versions side by side, nothing overwritten.
async fn conflict_page(
    state: &AppState,
    user: &CurrentUser,
    p: &Platform,
    year: i32,
    config: &AnnualConfig,
    mine: &Values,
    mine_text: &str,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let saved = db::get(&mut conn, p.id, year).await?;
    let theirs = saved
        .as_ref()
        .map(Evaluation::actual_values)
        .unwrap_or_default();
    let show = |v: Option<&f64>| v.map(|v| number_text(*v)).unwrap_or_default();
    let mut rows: Vec<ConflictRow> = config
        .rubric
        .indicators
        .iter()
        .filter(|i| i.kind == IndicatorKind::Quantitative)
        .map(|i| {
            let (m, t) = (show(mine.get(&i.key)), show(theirs.get(&i.key)));
            ConflictRow {
                label: i.label_zh.clone(),
                differs: m != t,
                mine: m,
                theirs: t,
            }
        })
        .collect();
    let their_text = saved
        .as_ref()
        .map(|e| e.self_assessment.clone())
        .unwrap_or_default();
    rows.push(ConflictRow {
        label: "自评报告".into(),
        differs: mine_text.trim() != their_text,
        mine: mine_text.trim().to_string(),
        theirs: their_text,
    });
    let page = ConflictPage {
        layout: Layout::for_user(user, "platforms"),
        back: back(p.id, year),
        name: p.name.clone(),
        year,
        rows,
    };
    Ok((StatusCode::CONFLICT, page).into_response())
}
