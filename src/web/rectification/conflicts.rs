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

/// Why the case refuses a write: it is closed, else `message` when `refused` (the proposal is not
/// as the write needs it).
pub(super) fn case_refusal(c: &CaseRow, refused: bool, message: &str) -> Option<String> {
    closed_refusal(c).or_else(|| refused.then(|| message.to_owned()))
}

/// Why a case form wrote nothing (its transaction, dropped, rolls back).
pub(super) enum NotWritten {
    /// The case changed since the user's page was loaded: the case as read, and the rows of what
    /// was sent (the 409 page).
    Stale(CaseRow, Vec<ConflictRow>),
    /// The case page again with the form's refusal or field errors and what was typed (422).
    Refused(Feedback),
    Error(AppError),
}

impl From<AppError> for NotWritten {
    fn from(e: AppError) -> NotWritten {
        NotWritten::Error(e)
    }
}

impl From<sqlx::Error> for NotWritten {
    fn from(e: sqlx::Error) -> NotWritten {
        NotWritten::Error(e.into())
    }
}

impl NotWritten {
    /// The case `c` is not the version the form was loaded with; `mine` names what was sent.
    pub(super) fn stale(c: CaseRow, mine: impl FnOnce(&CaseRow) -> Vec<ConflictRow>) -> NotWritten {
        let rows = mine(&c);
        NotWritten::Stale(c, rows)
    }

    /// The form of `section` is refused: `message` above it, the fields as typed.
    pub(super) fn refusal(section: &'static str, message: String, kept: Kept) -> NotWritten {
        NotWritten::Refused(Feedback {
            section,
            errors: FieldErrors::default(),
            refusal: vec![message],
            kept,
        })
    }

    /// The form of `section` has fields to fix.
    pub(super) fn fields(section: &'static str, errors: FieldErrors, kept: Kept) -> NotWritten {
        NotWritten::Refused(Feedback {
            section,
            errors,
            refusal: Vec::new(),
            kept,
        })
    }
}

/// The case a form writes to, read in the caller's transaction (404 if it is not this
/// platform's); stale when it is not at the `version` the form was loaded with.
pub(super) async fn case_at(
    conn: &mut PgConnection,
    id: i64,
    cid: i64,
    version: i32,
    mine: impl FnOnce(&CaseRow) -> Vec<ConflictRow>,
) -> Result<CaseRow, NotWritten> {
    let c = case_for_write(conn, id, cid).await?;
    if c.version != version {
        return Err(NotWritten::stale(c, mine));
    }
    Ok(c)
}

/// The answer to a case form: the write's redirect when it was made, otherwise the 409 page
/// (`action`, the version sent) or the case page with the form's feedback (422).
pub(super) async fn answer(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    cid: i64,
    sent_version: i32,
    action: &'static str,
    written: Result<Response, NotWritten>,
) -> AppResult<Response> {
    match written {
        Ok(response) => Ok(response),
        Err(NotWritten::Stale(c, mine)) => {
            conflict(state, user, &c, sent_version, action, mine).await
        }
        Err(NotWritten::Refused(fb)) => Ok(refused(case_page(state, user, id, cid, fb, "").await?)),
        Err(NotWritten::Error(e)) => Err(e),
    }
}
