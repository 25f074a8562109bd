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
