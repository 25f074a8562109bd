//! The operator's year-start filing form (年初备案).

use super::*;

// ---- the operator's form ----------------------------------------------------------------

pub struct Input {
    pub name: String,
    pub label: String,
    pub hint: &'static str,
    pub value: String,
    pub error: String,
    /// The reviewer's comment on this field when the previous version was returned.
    pub comment: String,
}

pub struct InputGroup {
    pub label: &'static str,
    pub inputs: Vec<Input>,
}

#[derive(Template, WebTemplate)]
#[template(path = "annual/filing_form.html")]
pub struct FilingFormPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub head: PlatformHead,
    pub year: i32,
    pub deadline: String,
    pub late_warning: String,
    pub lock_version: i32,
    pub change: bool,
    pub needs_reason: bool,
    pub version: i32,
    /// Targets, by dimension.
    pub groups: Vec<InputGroup>,
    /// The revenue plan by channel, then the expenditure budget.
    pub money: Vec<InputGroup>,
    pub reason: Input,
    pub error_count: usize,
    /// The general comment of the returned version this one fixes.
    pub returned_comment: String,
}

struct FormState<'a> {
    rubric: &'a Rubric,
    values: RawForm,
    errors: FieldMessages,
    comments: BTreeMap<String, String>,
}

impl FormState<'_> {
    fn input(&self, name: String, label: String, hint: &'static str) -> Input {
        Input {
            value: self.values.get(&name).to_owned(),
            error: self.errors.get(&name).to_owned(),
            comment: self.comments.get(&name).cloned().unwrap_or_default(),
            name,
            label,
            hint,
        }
    }

    fn groups(&self) -> Vec<InputGroup> {
        let mut groups: Vec<InputGroup> = Vec::new();
        for ind in target_indicators(self.rubric) {
            let input = self.input(
                target_field(&ind.key),
                ind.label_zh.clone(),
                unit_of(&ind.key).label_zh(),
            );
            let label = ind.dimension.label_zh();
            match groups.iter_mut().find(|g| g.label == label) {
                Some(g) => g.inputs.push(input),
                None => groups.push(InputGroup {
                    label,
                    inputs: vec![input],
                }),
            }
        }
        groups
    }
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    conn: &mut PgConnection,
    user: &CurrentUser,
    id: i64,
    year: i32,
    rubric: &Rubric,
    deadline: NaiveDate,
    change: bool,
    needs_reason: bool,
    target: SaveTarget,
    values: RawForm,
    errors: FieldMessages,
    returned: Option<&FilingRow>,
) -> AppResult<FilingFormPage> {
    let head = PlatformHead::load(conn, id).await?;
    let state = FormState {
        rubric,
        values,
        errors,
        comments: returned
            .map(|r| r.field_comments.0.clone())
            .unwrap_or_default(),
    };
    let (lock_version, version) = match target {
        SaveTarget::UpdateDraft { lock_version, .. } => (lock_version, 0),
        SaveTarget::NewVersion { version } => (0, version),
    };
    let today = today();
    Ok(FilingFormPage {
        layout: Layout::for_user(user, "platforms"),
        tab: "annual",
        tab_platform_id: id,
        head,
        year,
        deadline: deadline.to_string(),
        late_warning: if today > deadline {
            format!(
                "已过截止日 {deadline}（逾期 {} 天），现在提交仍会受理，但将标记为逾期提交。",
                (today - deadline).num_days()
            )
        } else {
            String::new()
        },
        lock_version,
        change,
        needs_reason,
        version,
        groups: state.groups(),
        money: vec![
            InputGroup {
                label: "分渠道收入计划",
                inputs: Channel::ALL
                    .iter()
                    .map(|c| state.input(plan_field(*c), c.label_zh().to_owned(), ""))
                    .collect(),
            },
            InputGroup {
                label: "支出预算",
                inputs: vec![state.input(BUDGET_FIELD.into(), "年度支出预算".into(), "")],
            },
        ],
        reason: state.input(REASON_FIELD.into(), "变更原因".into(), ""),
        error_count: state.errors.len(),
        returned_comment: returned
            .map(|r| r.review_comment.clone())
            .unwrap_or_default(),
    })
}

/// The returned version a new or draft version `version` follows, if the one right before it was returned.
fn returned_before(rows: &[FilingRow], version: i32) -> Option<&FilingRow> {
    rows.iter()
        .find(|r| r.version == version - 1 && r.status() == FilingStatus::Returned)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FormQuery {
    year: Option<i32>,
    change: String,
}

pub async fn filing_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<FormQuery>,
) -> AppResult<Response> {
    let year = year_or_current(q.year)?;
    let change = q.change == "1";
    let mut conn = state.db.acquire().await?;
    let (config, _) = annual_config::get(&mut conn, year).await?;
    let rows = filings::list_year(&mut conn, id, year).await?;
    let versions = filings::versions(&rows);
    let plan = match filing::can_edit(&versions, change) {
        Ok(plan) => plan,
        Err(refusal) => {
            drop(conn);
            return Tab {
                state: &state,
                user: &user,
                id,
                year,
            }
            .refused("不能修改", refusal.to_string())
            .await;
        }
    };
    let rubric = &config.rubric;
    let (values, number) = match plan.target {
        SaveTarget::UpdateDraft { id: draft_id, .. } => {
            let draft = rows
                .iter()
                .find(|r| r.id == draft_id)
                .ok_or(AppError::NotFound)?;
            (
                filing::to_form(rubric, &draft.content(), &draft.change_reason),
                draft.version,
            )
        }
        SaveTarget::NewVersion { version } => {
            // A fix starts from the returned version, a change from the approved one.
            let base = returned_before(&rows, version).or_else(|| {
                versions
                    .approved()
                    .and_then(|a| rows.iter().find(|r| r.id == a.id))
            });
            (
                base.map(|b| filing::to_form(rubric, &b.content(), ""))
                    .unwrap_or_default(),
                version,
            )
        }
    };
    let page = form_page(
        &mut conn,
        &user,
        id,
        year,
        rubric,
        config.deadline(year, Step::Filing),
        plan.is_change,
        plan.is_change,
        plan.target,
        values,
        FieldMessages::default(),
        returned_before(&rows, number),
    )
    .await?;
    Ok(page.into_response())
}

pub(super) fn filing_label(year: i32, version: i32, change: bool) -> String {
    if change {
        format!("{year}年度年初备案变更（第 {version} 版）")
    } else {
        format!("{year}年度年初备案（第 {version} 版）")
    }
}

pub async fn save_filing(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(f): Form<RawForm>,
) -> AppResult<Response> {
    let year: i32 = f
        .get("year")
        .parse()
        .ok()
        .filter(|y| crate::domain::calendar::YEARS.contains(y))
        .ok_or_else(|| AppError::BadRequest("缺少有效的年度，请返回年度考核页面重试。".into()))?;
    let submitting = f.get("action") == "submit";
    let change = f.get("change") == "1";
    let typed_lock: i32 = f.get("lock_version").parse().unwrap_or(-1);
    let tab = Tab {
        state: &state,
        user: &user,
        id,
        year,
    };

    let mut tx = w.begin().await?;
    let (config, _) = annual_config::get(&mut tx, year).await?;
    let rubric = &config.rubric;
    let deadline = config.deadline(year, Step::Filing);
    // Serialise writers of this platform's filings for the year.
    filings::lock_year(&mut tx, id, year).await?;
    let rows = filings::list_year(&mut tx, id, year).await?;
    let versions = filings::versions(&rows);
    let plan = match filing::plan_save(&versions, submitting, change) {
        Ok(plan) => plan,
        Err(refusal) => {
            tx.rollback().await?;
            let title = if submitting {
                "不能提交"
            } else {
                "不能修改"
            };
            return tab.refused(title, refusal.to_string()).await;
        }
    };
    let stale = match plan.target {
        SaveTarget::UpdateDraft { lock_version, .. } => typed_lock != lock_version,
        SaveTarget::NewVersion { .. } => typed_lock != 0,
    };
    if stale {
        tx.rollback().await?;
        let saved = versions
            .open()
            .or(versions.latest())
            .and_then(|v| rows.iter().find(|r| r.id == v.id));
        let table = saved
            .map(|s| conflict_rows(rubric, &f, s))
            .unwrap_or_default();
        return tab
            .conflict(
                "保存冲突",
                "在您填报期间，本年度备案已被他人保存或提交。为避免覆盖，您的内容没有保存。请对照下表，重新打开填报页面后再修改。",
                table,
            )
            .await;
    }
    let parsed = match filing::parse(rubric, &f, submitting, plan.is_change) {
        Ok(p) => p,
        Err(errors) => {
            let number = match plan.target {
                SaveTarget::UpdateDraft { id: draft, .. } => {
                    rows.iter().find(|r| r.id == draft).map_or(0, |r| r.version)
                }
                SaveTarget::NewVersion { version } => version,
            };
            let returned = returned_before(&rows, number).cloned();
            let page = form_page(
                &mut tx,
                &user,
                id,
                year,
                rubric,
                deadline,
                plan.is_change,
                plan.is_change,
                plan.target,
                f,
                errors,
                returned.as_ref(),
            )
            .await?;
            tx.rollback().await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let submitted_by = submitting.then_some(user.id);
    let (fid, before) = match plan.target {
        SaveTarget::UpdateDraft {
            id: draft,
            lock_version,
        } => {
            let before = rows
                .iter()
                .find(|r| r.id == draft)
                .map(FilingRow::audit_json);
            let saved = filings::update_draft(
                &mut tx,
                id,
                draft,
                lock_version,
                &parsed.content,
                &parsed.change_reason,
                submitted_by,
            )
            .await?;
            if !saved {
                tx.rollback().await?;
                return tab
                    .refused(
                        "保存冲突",
                        "在您填报期间，本年度备案已被他人保存或提交，您的内容没有保存。请重新打开填报页面。",
                    )
                    .await;
            }
            (draft, before)
        }
        SaveTarget::NewVersion { version } => {
            match filings::insert(
                &mut tx,
                id,
                year,
                version,
                &parsed.content,
                &parsed.change_reason,
                submitted_by,
            )
            .await
            {
                Ok(fid) => (fid, None),
                Err(e) if unique_violation(&e).is_some() => {
                    tx.rollback().await?;
                    return tab
                        .refused(
                            "保存冲突",
                            "在您填报期间，本年度备案已被他人保存，您的内容没有保存。请重新打开填报页面。",
                        )
                        .await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let action = if submitting {
        "filing.submit"
    } else {
        "filing.save"
    };
    let after = audit_filing(&mut tx, id, fid, action, before).await?;
    if submitting {
        let late = today() > deadline;
        let summary = format!(
            "提交{}{}",
            filing_label(year, after.version, plan.is_change),
            if late { "（逾期提交）" } else { "" }
        );
        let reason = &parsed.change_reason;
        tx.timeline(id, "filing.submitted", &summary, reason)
            .await?;
    }
    let notice = if submitting {
        Flash::FilingSubmitted
    } else {
        Flash::FilingSaved
    };
    tx.redirect(format!(
        "/platforms/{id}/annual?year={year}&notice={notice}"
    ))
    .await
}
