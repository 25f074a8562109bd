//! What the case page shows when somebody else saved first.

use super::*;

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

pub(super) fn row(
    label: &'static str,
    mine: impl Into<String>,
    theirs: impl Into<String>,
) -> ConflictRow {
    let (mine, theirs) = (mine.into(), theirs.into());
    ConflictRow {
        label: label.into(),
        differs: mine.trim() != theirs.trim(),
        mine,
        theirs,
    }
}

/// The 409 page: the case changed since the user's page was loaded. Shows what was sent against what is
/// saved now; nothing was written.
pub(super) async fn conflict(
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
pub(super) async fn case_for_write(
    conn: &mut PgConnection,
    id: i64,
    cid: i64,
) -> AppResult<CaseRow> {
    cases::get(conn, id, cid).await?.ok_or(AppError::NotFound)
}

pub(super) fn closed_refusal(c: &CaseRow) -> Option<String> {
    (c.status != CaseStatus::Open)
        .then(|| format!("该案件状态为「{}」，不能再修改。", c.status.label_zh()))
}

pub(super) fn refusal_of(section: &'static str, message: String, kept: Kept) -> Feedback {
    Feedback {
        section,
        errors: FieldErrors::default(),
        refusal: vec![message],
        kept,
    }
}
