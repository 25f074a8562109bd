//! Measures (整改措施) and progress notes.

use super::*;

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
    let mine = |_: &CaseRow| vec![row("新增整改措施", fields.description.clone(), "")];
    let written = async {
        let mut tx = w.begin().await?;
        let before = case_at(&mut tx, id, cid, version, mine).await?;
        // A date before the case started is kept only once the user ticked “仍然保存”.
        let warning =
            due_before_start(&fields.due_date, beijing_date(&before.opened_at)).unwrap_or_default();
        let kept = || Kept {
            measure: fields.clone(),
            measure_confirmed: confirmed,
            measure_warning: warning.clone(),
            ..Kept::default()
        };
        if let Some(msg) = closed_refusal(&before) {
            return Err(NotWritten::refusal("measures", msg, kept()));
        }
        let draft = match parse_measure(&fields, before.deadline) {
            Ok(d) if warning.is_empty() || confirmed => d,
            outcome => {
                let errors = outcome.err().unwrap_or_default();
                return Err(NotWritten::fields("measures", errors, kept()));
            }
        };
        if !cases::touch(&mut tx, cid, version).await? {
            return Err(NotWritten::stale(before, mine));
        }
        let measure_id = cases::insert_measure(&mut tx, cid, &draft).await?;
        tx.audit(
            Entry::new("rectification.measure_add", "rectification_case", cid).after(
                serde_json::json!({"measure_id": measure_id, "measure": draft, "version": version + 1}),
            ),
        )
        .await?;
        Ok(tx.redirect(case_url(id, cid, Flash::MeasureAdded, "measures")).await?)
    }
    .await;
    answer(&state, &user, id, cid, version, "添加整改措施", written).await
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
    let label = |d: bool| if d { "已完成" } else { "未完成" };
    let written = async {
        let mut tx = w.begin().await?;
        let before = case_for_write(&mut tx, id, cid).await?;
        let measure = cases::measures(&mut tx, cid)
            .await?
            .into_iter()
            .find(|m| m.id == mid)
            .ok_or(AppError::NotFound)?;
        if before.version != version {
            let what = |d| format!("{}：{}", measure.description, label(d));
            let mine = vec![row("措施状态", what(done), what(measure.done))];
            return Err(NotWritten::Stale(before, mine));
        }
        if let Some(msg) = closed_refusal(&before) {
            return Err(NotWritten::refusal("measures", msg, Kept::default()));
        }
        if !cases::touch(&mut tx, cid, version).await? {
            let mine = vec![row("措施状态", label(done), label(measure.done))];
            return Err(NotWritten::Stale(before, mine));
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
        Ok(tx
            .redirect(case_url(id, cid, Flash::MeasureUpdated, "measures"))
            .await?)
    }
    .await;
    answer(&state, &user, id, cid, version, "更新整改措施", written).await
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
    let mine = |_: &CaseRow| vec![row("新增进展记录", note.clone(), "")];
    let written = async {
        let mut tx = w.begin().await?;
        let before = case_at(&mut tx, id, cid, version, mine).await?;
        if let Some(msg) = closed_refusal(&before) {
            return Err(NotWritten::refusal("notes", msg, kept()));
        }
        let mut errors = FieldErrors::default();
        if note.is_empty() {
            errors.add("note", "请填写进展情况");
        } else if note.chars().count() > 2000 {
            errors.add("note", "进展记录不超过2000字");
        }
        if !errors.is_empty() {
            return Err(NotWritten::fields("notes", errors, kept()));
        }
        if !cases::touch(&mut tx, cid, version).await? {
            return Err(NotWritten::stale(before, mine));
        }
        let note_id = cases::insert_note(&mut tx, cid, user.id, &note).await?;
        tx.audit(
            Entry::new("rectification.note_add", "rectification_case", cid).after(
                serde_json::json!({"note_id": note_id, "note": note, "version": version + 1}),
            ),
        )
        .await?;
        Ok(tx
            .redirect(case_url(id, cid, Flash::NoteAdded, "notes"))
            .await?)
    }
    .await;
    answer(&state, &user, id, cid, version, "添加进展记录", written).await
}
