//! One filed version, and its review by staff.

use super::*;

// ---- one version, and its review ----------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "annual/filing_version.html")]
pub struct FilingVersionPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub head: PlatformHead,
    pub year: i32,
    pub deadline: String,
    pub view: FilingView,
    pub can_review: bool,
    pub errors: FieldMessages,
    pub decision: String,
    pub comment: String,
    /// The print view (`?print=1`): the version as an A4 document to sign, without the review form.
    pub print: bool,
}

async fn version_page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    fid: i64,
    typed: Option<RawForm>,
    errors: FieldMessages,
) -> AppResult<FilingVersionPage> {
    let mut conn = state.db.acquire().await?;
    let row = filings::get(&mut conn, id, fid)
        .await?
        .ok_or(AppError::NotFound)?;
    let head = PlatformHead::load(&mut conn, id).await?;
    let (config, _) = annual_config::get(&mut conn, row.year).await?;
    let deadline = config.deadline(row.year, Step::Filing);
    let rows = filings::list_year(&mut conn, id, row.year).await?;
    let view = filing_view(
        &config.rubric,
        &row,
        deadline,
        first_submitted_id(&rows),
        typed.as_ref(),
    );
    Ok(FilingVersionPage {
        layout: Layout::for_user(user, "platforms"),
        tab: "annual",
        tab_platform_id: id,
        head,
        year: row.year,
        deadline: deadline.to_string(),
        can_review: user.has_role(Role::Staff) && row.status() == FilingStatus::Submitted,
        decision: typed
            .as_ref()
            .map(|f| f.get("decision").to_owned())
            .unwrap_or_default(),
        comment: typed
            .as_ref()
            .map(|f| f.get("comment").to_owned())
            .unwrap_or_default(),
        errors,
        view,
        print: false,
    })
}

pub async fn filing_version(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, fid)): Path<(i64, i64)>,
    Query(pq): Query<crate::web::print::PrintQuery>,
) -> AppResult<FilingVersionPage> {
    let mut page = version_page(&state, &user, id, fid, None, FieldMessages::default()).await?;
    if pq.on() {
        page.print = true;
        page.can_review = false;
    }
    Ok(page)
}

pub async fn review_filing(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, fid)): Path<(i64, i64)>,
    Form(f): Form<RawForm>,
) -> AppResult<Response> {
    let mut tx = w.begin().await?;
    let row = filings::get(&mut tx, id, fid)
        .await?
        .ok_or(AppError::NotFound)?;
    let year = row.year;
    let tab = Tab {
        state: &state,
        user: &user,
        id,
        year,
    };
    if let Err(refusal) = filing::check_reviewable(row.status()) {
        tx.rollback().await?;
        return tab.refused("不能审核", refusal.to_string()).await;
    }
    let (config, _) = annual_config::get(&mut tx, year).await?;
    let review = match filing::parse_review(&config.rubric, &f) {
        Ok(r) => r,
        Err(errors) => {
            tx.rollback().await?;
            let page = version_page(&state, &user, id, fid, Some(f), errors).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let typed_lock: i32 = f.get("lock_version").parse().unwrap_or(-1);
    let approve = review.decision == Decision::Approve;
    let done = typed_lock == row.lock_version
        && filings::review(
            &mut tx,
            id,
            fid,
            typed_lock,
            approve,
            user.id,
            &review.comment,
            &review.field_comments,
        )
        .await?;
    if !done {
        tx.rollback().await?;
        return tab
            .refused(
                "审核冲突",
                "在您审核期间，该版本已被他人审核或修改，您的审核意见没有保存。请重新打开该版本查看。",
            )
            .await;
    }
    let what = filing_label(year, row.version, !row.change_reason.is_empty());
    let action = if approve {
        "filing.approve"
    } else {
        "filing.return"
    };
    // The decision's lifecycle event, notice event and flash.
    let (kind, event, notice) = if approve {
        (
            "filing.approved",
            "event.filing_approved",
            Flash::FilingApproved,
        )
    } else {
        (
            "filing.returned",
            "event.filing_returned",
            Flash::FilingReturned,
        )
    };
    let (summary, message) = if approve {
        let summary = format!("{what}审核通过");
        let message = format!("{summary}。");
        (summary, message)
    } else {
        let summary = format!("{what}被退回修改");
        let message = format!("{summary}，请按审核意见修改后重新提交。");
        (summary, message)
    };
    audit_filing(&mut tx, id, fid, action, Some(row.audit_json())).await?;
    tx.timeline(id, kind, &summary, &review.comment).await?;
    let tab_href = format!("/platforms/{id}/annual?year={year}");
    let to = crate::db::notices::To::Platform(id);
    crate::db::notices::event(&mut tx, to, event, &message, &tab_href).await?;
    tx.redirect(format!("{tab_href}&notice={notice}")).await
}
