//! Staff reviews, and reopening a late first submission.

use super::*;

// ---- reviews ----------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReviewForm {
    decision: String,
    comment: String,
}

impl ReviewForm {
    /// The action the chosen decision is at this level: `pass` or `return`.
    fn decision(&self, pass: EvalAction, ret: EvalAction) -> AppResult<EvalAction> {
        match self.decision.as_str() {
            "pass" => Ok(pass),
            "return" => Ok(ret),
            _ => Err(AppError::BadRequest("请选择通过或退回。".into())),
        }
    }
}

/// `POST /platforms/{id}/evaluation/{year}/county-review`: county staff of the platform's county, or city staff.
pub async fn county_review(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, year)): Path<(i64, i32)>,
    Form(form): Form<ReviewForm>,
) -> AppResult<Response> {
    let action = form.decision(EvalAction::CountyPass, EvalAction::CountyReturn)?;
    review(state, user, w, id, year, action, form.comment).await
}

/// `POST /platforms/{id}/evaluation/{year}/city-review`: city staff only.
pub async fn city_review(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, year)): Path<(i64, i32)>,
    Form(form): Form<ReviewForm>,
) -> AppResult<Response> {
    let action = form.decision(EvalAction::CityPass, EvalAction::CityReturn)?;
    review(state, user, w, id, year, action, form.comment).await
}

pub(super) async fn review(
    state: AppState,
    user: CurrentUser,
    w: Writer,
    id: i64,
    year: i32,
    action: EvalAction,
    comment: String,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let today = today();
    let (mut tx, locked) = lock_facts(&w, id, year, today).await?;
    let (bar, before, f) = (locked.bar, locked.before, locked.facts);
    let title = if matches!(action, EvalAction::CountyPass | EvalAction::CountyReturn) {
        "不能进行县级初审"
    } else {
        "不能进行市级复审"
    };
    let to = match rules::check(action, actor_of(&user), &f) {
        Ok(to) => to,
        Err(refusal) => {
            let passing = matches!(action, EvalAction::CountyPass | EvalAction::CityPass);
            match (bar, &before) {
                (Some(bar), Some(e))
                    if passing && refusal.reasons.first() == Some(&bar.reason()) =>
                {
                    persist_exclusion(&mut tx, e, &bar).await?;
                    tx.commit().await?;
                }
                _ => tx.rollback().await?,
            }
            return Ok(refused(&user, title, &refusal, back(id, year)));
        }
    };
    let Some(e) = before else {
        // `check` refuses every review without an evaluation; keep the compiler and the reader sure.
        return Err(AppError::NotFound);
    };
    let comment = match rules::review_comment(action, &comment) {
        Ok(c) => c,
        Err(msg) => {
            tx.rollback().await?;
            let mut conn = state.db.acquire().await?;
            let mut page = build_page(&mut conn, &user, id, year, today, "", None).await?;
            page.review_error = msg;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let from = e.status();
    if !db::set_status(&mut tx, e.id, from, to).await? {
        tx.rollback().await?;
        return Err(AppError::BadRequest("评估状态已变化，请刷新页面。".into()));
    }
    let county = matches!(action, EvalAction::CountyPass | EvalAction::CountyReturn);
    if county {
        db::record_county_review(&mut tx, e.id, user.id, &comment).await?;
    } else {
        db::record_city_review(&mut tx, e.id, user.id, &comment).await?;
    }
    let after = db::get(&mut tx, id, year)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new(
            &format!("evaluation.{}", action.as_str()),
            "evaluation",
            e.id,
        )
        .before(e.audit_json())
        .after(after.audit_json()),
    )
    .await?;
    let kind = match to {
        EvalStatus::CountyPassed => "evaluation.county_passed",
        EvalStatus::CountyReturned => "evaluation.county_returned",
        EvalStatus::CityPassed => "evaluation.city_passed",
        _ => "evaluation.city_returned",
    };
    tx.timeline(
        id,
        kind,
        &format!("{year}年度评估：{}", action.label_zh()),
        &comment,
    )
    .await?;
    let returned = matches!(to, EvalStatus::CountyReturned | EvalStatus::CityReturned);
    crate::db::notices::event(
        &mut tx,
        crate::db::notices::To::Platform(id),
        &format!("event.{}", kind.replace('.', "_")),
        &format!(
            "{year} 年度评估材料：{}{}",
            action.label_zh(),
            if returned {
                "，请按审核意见修改后重新提交。"
            } else {
                "。"
            }
        ),
        &back(id, year),
    )
    .await?;
    tx.redirect(format!(
        "{}&notice={}",
        back(id, year),
        Flash::EvaluationReviewed
    ))
    .await
}

// ---- reopening a late first submission -----------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReopenForm {
    until: String,
    reason: String,
}

/// `POST /platforms/{id}/evaluation/{year}/reopen`: staff allow a first submission after the deadline.
pub async fn reopen(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, year)): Path<(i64, i32)>,
    Form(form): Form<ReopenForm>,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let today = today();
    let (mut tx, locked) = lock_facts(&w, id, year, today).await?;
    let (before, f) = (locked.before, locked.facts);
    if let Err(refusal) = rules::check(EvalAction::Reopen, actor_of(&user), &f) {
        tx.rollback().await?;
        return Ok(refused(&user, "不能开放补交", &refusal, back(id, year)));
    }
    let until = rules::reopen_until(&form.until, today);
    let reason = form.reason.trim().to_string();
    let reason_error = match reason.chars().count() {
        0 => "请填写开放补交的理由".to_string(),
        n if n > 500 => "理由不能超过500个字".to_string(),
        _ => String::new(),
    };
    let until = match (until, reason_error.is_empty()) {
        (Ok(d), true) => d,
        (until, _) => {
            tx.rollback().await?;
            let mut conn = state.db.acquire().await?;
            let mut page = build_page(&mut conn, &user, id, year, today, "", None).await?;
            page.reopen_error = [until.err().unwrap_or_default(), reason_error]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("；");
            page.reopen_until = form.until;
            page.reopen_reason = form.reason;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let e = match &before {
        Some(e) => e.clone(),
        None => db::lock_or_create(&mut tx, id, year).await?,
    };
    db::reopen(&mut tx, e.id, until, &reason, user.id).await?;
    let after = db::get(&mut tx, id, year)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new("evaluation.reopen", "evaluation", e.id)
            .before(before.as_ref().map(Evaluation::audit_json))
            .after(after.audit_json()),
    )
    .await?;
    tx.timeline(
        id,
        "evaluation.reopened",
        &format!("{year}年度评估开放补交至{until}"),
        &reason,
    )
    .await?;
    tx.redirect(format!(
        "{}&notice={}",
        back(id, year),
        Flash::EvaluationReopened
    ))
    .await
}
