//! The operating companies and their shareholders.

use super::*;

// ---- companies ----------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "registration/company_form.html")]
pub struct CompanyPage {
    pub layout: Layout,
    pub head: Head,
    pub company_id: Option<i64>,
    pub f: CompanyFields,
    pub errors: FieldErrors,
    pub modes: Vec<Opt>,
    pub shareholders: Vec<Shareholder>,
    pub total: String,
    pub management_cash: String,
    pub controlling: bool,
}

fn company_page(
    user: &CurrentUser,
    p: &Platform,
    company: Option<&Company>,
    shareholders: Vec<Shareholder>,
    f: CompanyFields,
    errors: FieldErrors,
) -> CompanyPage {
    let stakes: Vec<_> = shareholders.iter().map(Shareholder::stake).collect();
    CompanyPage {
        layout: Layout::for_user(user, "platforms"),
        head: Head::of(p),
        company_id: company.map(|c| c.id),
        f,
        errors,
        modes: company_modes(),
        total: SharePct::sum(shareholders.iter().map(Shareholder::share)).to_string(),
        management_cash: domain::management_cash_share(&stakes).to_string(),
        controlling: company.is_some_and(|c| c.mgmt_cash_controlling),
        shareholders,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ModeQuery {
    mode: String,
}

pub async fn new_company_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<ModeQuery>,
) -> AppResult<Response> {
    let p = editable_platform(&state, id).await?;
    let mode = OperatingMode::parse(&q.mode)
        .filter(|&m| domain::has_company(m))
        .unwrap_or(OperatingMode::OperatingCompany);
    let f = CompanyFields {
        mode: mode.as_str().into(),
        ..Default::default()
    };
    Ok(company_page(&user, &p, None, Vec::new(), f, FieldErrors::default()).into_response())
}

async fn ticked_modes(state: &AppState, id: i64) -> AppResult<Vec<OperatingMode>> {
    let mut conn = state.db.acquire().await?;
    Ok(reg::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?
        .modes())
}

pub async fn create_company(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(f): Form<CompanyFields>,
) -> AppResult<Response> {
    let p = editable_platform(&state, id).await?;
    let modes = ticked_modes(&state, id).await?;
    let saved = async {
        let draft = f.validate(&modes)?;
        let mut tx = w.begin().await?;
        let company_id = reg::insert_company(&mut tx, id, &draft)
            .await
            .map_err(Unsaved::of_write)?;
        let after = reg::company(&mut tx, id, company_id).await?;
        tx.audit(Entry::new("company.create", "platform_company", company_id).after(json(&after)))
            .await?;
        Ok(tx
            .redirect(format!(
                "/platforms/{id}/registration/companies/{company_id}?notice={}",
                Flash::CompanySaved
            ))
            .await?)
    }
    .await;
    or_form_again(saved, |errors| {
        company_page(&user, &p, None, Vec::new(), f, errors)
    })
}

/// The platform, its company `company_id` and the company's shareholders, for a form that
/// changes them: 404 if either is missing, 409 when the dossier is archived.
async fn company_to_edit(
    state: &AppState,
    id: i64,
    company_id: i64,
) -> AppResult<(Platform, Company, Vec<Shareholder>)> {
    let p = load_platform(state, id).await?;
    let mut conn = state.db.acquire().await?;
    let company = reg::company(&mut conn, id, company_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let shareholders = reg::company_shareholders(&mut conn, company.id).await?;
    editable(&p)?;
    Ok((p, company, shareholders))
}

fn company_fields(c: &Company) -> CompanyFields {
    CompanyFields {
        mode: c.mode.as_str().to_owned(),
        name: c.name.clone(),
        uscc: c.uscc.clone(),
    }
}

pub async fn edit_company_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, company_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (p, company, shareholders) = company_to_edit(&state, id, company_id).await?;
    let f = company_fields(&company);
    Ok(company_page(
        &user,
        &p,
        Some(&company),
        shareholders,
        f,
        FieldErrors::default(),
    )
    .into_response())
}

pub async fn update_company(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, company_id)): Path<(i64, i64)>,
    Form(f): Form<CompanyFields>,
) -> AppResult<Response> {
    let (p, before, shareholders) = company_to_edit(&state, id, company_id).await?;
    let mut modes = ticked_modes(&state, id).await?;
    // A company already on file keeps its mode valid even if the mode was unticked since.
    modes.push(before.mode);
    let saved = async {
        let draft = f.validate(&modes)?;
        let mut tx = w.begin().await?;
        reg::update_company(&mut tx, before.id, &draft)
            .await
            .map_err(Unsaved::of_write)?;
        let after = reg::company(&mut tx, id, company_id).await?;
        tx.audit(
            Entry::new("company.update", "platform_company", company_id)
                .before(json(&before))
                .after(json(&after)),
        )
        .await?;
        Ok(tx
            .redirect(back_to(id, Flash::CompanySaved, "modes"))
            .await?)
    }
    .await;
    or_form_again(saved, |errors| {
        company_page(&user, &p, Some(&before), shareholders, f, errors)
    })
}

pub async fn delete_company(
    State(state): State<AppState>,
    w: Writer,
    Path((id, company_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (_, before, shareholders) = company_to_edit(&state, id, company_id).await?;
    let mut tx = w.begin().await?;
    reg::delete_company(&mut tx, before.id).await?;
    tx.audit(
        Entry::new("company.delete", "platform_company", company_id)
            .before(serde_json::json!({"company": before, "shareholders": shareholders})),
    )
    .await?;
    tx.redirect(back_to(id, Flash::CompanyDeleted, "modes"))
        .await
}

// ---- shareholders -------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "registration/shareholder_form.html")]
pub struct ShareholderPage {
    pub layout: Layout,
    pub head: Head,
    pub company: Company,
    pub shareholder_id: Option<i64>,
    pub f: ShareholderFields,
    pub errors: FieldErrors,
    pub contributions: Vec<Opt>,
    /// The hint under the share field: what the other shareholders hold already.
    pub share_hint: String,
}

fn shareholder_page(
    user: &CurrentUser,
    p: &Platform,
    company: Company,
    others: SharePct,
    shareholder_id: Option<i64>,
    f: ShareholderFields,
    errors: FieldErrors,
) -> ShareholderPage {
    ShareholderPage {
        layout: Layout::for_user(user, "platforms"),
        head: Head::of(p),
        company,
        shareholder_id,
        f,
        errors,
        contributions: enum_options(
            Contribution::ALL,
            Contribution::as_str,
            Contribution::label_zh,
        ),
        share_hint: format!("最多两位小数；其他股东合计已占 {others}"),
    }
}

/// What the company's shareholders other than `except` hold together.
fn others_total(shareholders: &[Shareholder], except: Option<i64>) -> SharePct {
    SharePct::sum(
        shareholders
            .iter()
            .filter(|s| Some(s.id) != except)
            .map(Shareholder::share),
    )
}

pub async fn new_shareholder_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, company_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (p, company, shareholders) = company_to_edit(&state, id, company_id).await?;
    let f = ShareholderFields {
        contribution: Contribution::Cash.as_str().into(),
        ..Default::default()
    };
    let others = others_total(&shareholders, None);
    Ok(
        shareholder_page(&user, &p, company, others, None, f, FieldErrors::default())
            .into_response(),
    )
}

/// Writes one shareholder (new when `shareholder_id` is `None`) with the company locked, so the
/// 100% check sees every other shareholder; then re-derives the control flag.
async fn save_shareholder(
    w: &Writer,
    user: &CurrentUser,
    p: &Platform,
    company_id: i64,
    shareholder_id: Option<i64>,
    f: ShareholderFields,
) -> AppResult<Response> {
    let id = p.id;
    let mut tx = w.begin().await?;
    let company = reg::lock_company(&mut tx, id, company_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let shareholders = reg::company_shareholders(&mut tx, company.id).await?;
    let before = match shareholder_id {
        Some(sid) => Some(
            shareholders
                .iter()
                .find(|s| s.id == sid)
                .cloned()
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let others = others_total(&shareholders, shareholder_id);
    let draft = match f.validate(others) {
        Ok(d) => d,
        Err(errors) => {
            tx.rollback().await?;
            return Ok(invalid(shareholder_page(
                user,
                p,
                company,
                others,
                shareholder_id,
                f,
                errors,
            )));
        }
    };
    let (sid, action) = match shareholder_id {
        Some(sid) => {
            reg::update_shareholder(&mut tx, sid, &draft).await?;
            (sid, "company_shareholder.update")
        }
        None => (
            reg::insert_shareholder(&mut tx, company.id, &draft).await?,
            "company_shareholder.create",
        ),
    };
    let controlling = reg::refresh_control(&mut tx, company.id).await?;
    let after = reg::shareholder(&mut tx, id, sid).await?;
    tx.audit(Entry::new(action, "company_shareholder", sid).before(before.map(|b| json(&b))).after(serde_json::json!({
            "shareholder": after,
            "company_mgmt_cash_controlling": {"before": company.mgmt_cash_controlling, "after": controlling},
        })))
    .await?;
    tx.redirect(back_to(id, Flash::ShareholderSaved, "modes"))
        .await
}

pub async fn create_shareholder(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, company_id)): Path<(i64, i64)>,
    Form(f): Form<ShareholderFields>,
) -> AppResult<Response> {
    let p = editable_platform(&state, id).await?;
    save_shareholder(&w, &user, &p, company_id, None, f).await
}

/// The platform, its shareholder `shareholder_id`, the shareholder's company and all its
/// shareholders, for a form that changes them: 404 if one is missing, 409 when the dossier is
/// archived.
async fn shareholder_to_edit(
    state: &AppState,
    id: i64,
    shareholder_id: i64,
) -> AppResult<(Platform, Shareholder, Company, Vec<Shareholder>)> {
    let p = load_platform(state, id).await?;
    let mut conn = state.db.acquire().await?;
    let holder = reg::shareholder(&mut conn, id, shareholder_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let company = reg::company(&mut conn, id, holder.company_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let all = reg::company_shareholders(&mut conn, company.id).await?;
    editable(&p)?;
    Ok((p, holder, company, all))
}

pub async fn edit_shareholder_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, shareholder_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (p, holder, company, all) = shareholder_to_edit(&state, id, shareholder_id).await?;
    let f = ShareholderFields {
        name: holder.name.clone(),
        share_pct: {
            let s = holder.share().to_string();
            s.trim_end_matches('%').to_string()
        },
        contribution: holder.contribution.as_str().to_owned(),
        is_management: if holder.is_management {
            "on".into()
        } else {
            String::new()
        },
    };
    let others = others_total(&all, Some(holder.id));
    Ok(shareholder_page(
        &user,
        &p,
        company,
        others,
        Some(holder.id),
        f,
        FieldErrors::default(),
    )
    .into_response())
}

pub async fn update_shareholder(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, shareholder_id)): Path<(i64, i64)>,
    Form(f): Form<ShareholderFields>,
) -> AppResult<Response> {
    let (p, holder, _, _) = shareholder_to_edit(&state, id, shareholder_id).await?;
    save_shareholder(&w, &user, &p, holder.company_id, Some(holder.id), f).await
}

pub async fn delete_shareholder(
    State(state): State<AppState>,
    w: Writer,
    Path((id, shareholder_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (_, holder, _, _) = shareholder_to_edit(&state, id, shareholder_id).await?;
    let mut tx = w.begin().await?;
    let company = reg::lock_company(&mut tx, id, holder.company_id)
        .await?
        .ok_or(AppError::NotFound)?;
    reg::delete_shareholder(&mut tx, holder.id).await?;
    let controlling = reg::refresh_control(&mut tx, company.id).await?;
    tx.audit(Entry::new("company_shareholder.delete", "company_shareholder", shareholder_id).before(json(&holder)).after(serde_json::json!({
            "company_mgmt_cash_controlling": {"before": company.mgmt_cash_controlling, "after": controlling},
        })))
    .await?;
    tx.redirect(back_to(id, Flash::ShareholderDeleted, "modes"))
        .await
}
