//! The charter choice, the plan targets and the operating modes.

use super::*;

// ---- charter ------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CharterForm {
    charter_status: String,
}

pub async fn set_charter(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(form): Form<CharterForm>,
) -> AppResult<Response> {
    editable_platform(&state, id).await?;
    let to = Charter::parse(form.charter_status.trim())
        .ok_or_else(|| AppError::BadRequest("请选择章程状态。".into()))?;
    let role = user.role.ok_or(AppError::Forbidden)?;
    let mut tx = w.begin().await?;
    let before = reg::lock(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let from = before.charter_status;
    if let Err(message) = domain::charter_change(role, from, to) {
        tx.rollback().await?;
        return Ok(error_page(
            StatusCode::FORBIDDEN,
            "无权执行此操作",
            message.to_string(),
        ));
    }
    if from == to {
        tx.rollback().await?;
        return Ok(Redirect::to(&back_to(id, Flash::CharterSaved, "charter")).into_response());
    }
    reg::set_charter(&mut tx, id, to).await?;
    let after = reg::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new("registration.charter", "registration", id)
            .before(before.audit_json())
            .after(after.audit_json()),
    )
    .await?;
    if to == Charter::Approved || from == Charter::Approved {
        let charter_doc = reg::on_file(&mut tx, id).await?.charter.map(|d| d.id);
        let summary = if to == Charter::Approved {
            "章程审批通过".to_string()
        } else {
            format!("章程撤回为「{}」", to.label_zh())
        };
        lifecycle::record(
            &mut tx,
            w.actor(),
            &lifecycle::Event {
                platform_id: id,
                kind: if to == Charter::Approved {
                    "charter.approved"
                } else {
                    "charter.withdrawn"
                },
                from_stage: None,
                to_stage: None,
                summary: &summary,
                reason: "",
                document_id: charter_doc,
            },
        )
        .await?;
    }
    tx.redirect(back_to(id, Flash::CharterSaved, "charter"))
        .await
}

// ---- plan targets and operating modes -----------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "registration/plan_form.html")]
pub struct PlanPage {
    pub layout: Layout,
    pub head: Head,
    pub version: i32,
    pub f: PlanFields,
    pub errors: FieldErrors,
    pub construction_start: String,
    pub construction_end: String,
    pub modes: Vec<ModeLine>,
}

fn plan_page(
    user: &CurrentUser,
    p: &Platform,
    version: i32,
    f: PlanFields,
    errors: FieldErrors,
) -> PlanPage {
    let ticked = f.modes();
    PlanPage {
        layout: Layout::for_user(user, "platforms"),
        head: Head::of(p),
        version,
        modes: OperatingMode::ALL
            .iter()
            .map(|&m| ModeLine {
                code: m.as_str(),
                label: m.label_zh(),
                on: ticked.contains(&m),
            })
            .collect(),
        f,
        errors,
        construction_start: date_or_dash(&p.construction_start),
        construction_end: date_or_dash(&p.construction_end),
    }
}

pub async fn plan_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let p = editable_platform(&state, id).await?;
    let mut conn = state.db.acquire().await?;
    let r = reg::get(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    let f = PlanFields::of(&r.plan_targets, &r.modes());
    Ok(plan_page(&user, &p, r.version, f, FieldErrors::default()).into_response())
}

#[derive(Deserialize)]
pub struct PlanForm {
    #[serde(flatten)]
    fields: PlanFields,
    #[serde(default)]
    version: i32,
}

#[derive(Template, WebTemplate)]
#[template(path = "registration/conflict.html")]
pub struct ConflictPage {
    pub layout: Layout,
    pub head: Head,
    pub rows: Vec<ConflictRow>,
}

pub async fn save_plan(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(form): Form<PlanForm>,
) -> AppResult<Response> {
    let p = editable_platform(&state, id).await?;
    let draft = match form.fields.validate() {
        Ok(d) => d,
        Err(errors) => {
            return Ok(invalid(plan_page(
                &user,
                &p,
                form.version,
                form.fields,
                errors,
            )));
        }
    };
    let mut tx = w.begin().await?;
    let before = reg::lock(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    if !reg::update_plan(&mut tx, id, form.version, &draft).await? {
        // Somebody saved in between: show both versions, overwrite nothing.
        tx.rollback().await?;
        let theirs = before.modes();
        let rows = vec![
            ConflictRow {
                label: "建设目标".into(),
                mine: draft.plan_targets.clone(),
                theirs: before.plan_targets.clone(),
                differs: draft.plan_targets != before.plan_targets,
            },
            ConflictRow {
                label: "运营模式".into(),
                mine: domain::modes_label(&draft.modes),
                theirs: domain::modes_label(&theirs),
                differs: draft.modes != theirs,
            },
        ];
        let page = ConflictPage {
            layout: Layout::for_user(&user, "platforms"),
            head: Head::of(&p),
            rows,
        };
        return Ok((StatusCode::CONFLICT, page).into_response());
    }
    let after = reg::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new("registration.plan", "registration", id)
            .before(before.audit_json())
            .after(after.audit_json()),
    )
    .await?;
    tx.redirect(back_to(id, Flash::RegistrationPlanSaved, "plan"))
        .await
}
