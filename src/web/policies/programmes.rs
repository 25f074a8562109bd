//! Support programmes and packs; city staff switch a pack on or off.

use super::*;

// ---- GET /programmes ---------------------------------------------------------------------------

/// A support programme with its parameters in force.
pub struct ProgrammeItem {
    pub id: &'static str,
    pub name: &'static str,
    pub clause: String,
    pub params: Vec<ParamItem>,
}

/// A policy pack and its programmes.
pub struct PackGroup {
    pub code: &'static str,
    pub label: &'static str,
    pub draft: bool,
    pub enabled: bool,
    /// The id of the setting in force (the switch form's `seen`).
    pub seen: i64,
    pub programmes: Vec<ProgrammeItem>,
}

/// The pack switch form as submitted, when it was refused.
pub struct PackForm {
    pub code: String,
    pub reason: String,
    pub errors: FieldErrors,
}

/// One recorded pack setting.
pub struct PackChangeRow {
    pub at: String,
    pub pack: String,
    pub draft: bool,
    pub enabled: bool,
    pub by: String,
    pub reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "policies/programmes.html")]
pub struct ProgrammesPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub packs: Vec<PackGroup>,
    /// The reader may change the parameters (city staff).
    pub can_edit: bool,
    /// Every change of a programme parameter, newest first.
    pub history: Vec<ChangeRow>,
    /// The parameter form as submitted, when it was refused (`name` is `PROGRAMME-ID.name`).
    pub form: Option<ParamForm>,
    /// The pack switch form as submitted, when it was refused.
    pub pack_form: Option<PackForm>,
    /// Every pack setting, newest first (the deployment's defaults last).
    pub pack_history: Vec<PackChangeRow>,
    pub notice: &'static str,
}

impl ProgrammesPage {
    /// The reason typed in the switch form of pack `code`, if that form was refused.
    pub fn pack_reason(&self, code: &str) -> &str {
        match &self.pack_form {
            Some(f) if f.code == code => f.reason.as_str(),
            _ => "",
        }
    }

    /// The error of `field` in the switch form of pack `code`, or "".
    pub fn pack_error(&self, code: &str, field: &str) -> &str {
        match &self.pack_form {
            Some(f) if f.code == code => f.errors.get(field),
            _ => "",
        }
    }

    /// The form state for `PROGRAMME-ID.name`: what was typed if that form was refused, else empty.
    pub fn typed(&self, key: &str) -> (&str, &str) {
        ParamForm::typed(&self.form, key)
    }

    /// The error of `field` in the form of `PROGRAMME-ID.name`, or "".
    pub fn error(&self, key: &str, field: &str) -> &str {
        ParamForm::error(&self.form, key, field)
    }
}

pub async fn programmes(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<NoticeQuery>,
) -> AppResult<ProgrammesPage> {
    programmes_page(&state, &user, Flash::text_of(&q.notice), None, None).await
}

pub(super) async fn programmes_page(
    state: &AppState,
    user: &CurrentUser,
    notice: &'static str,
    form: Option<ParamForm>,
    pack_form: Option<PackForm>,
) -> AppResult<ProgrammesPage> {
    let today = crate::clock::today();
    let mut conn = state.db.acquire().await?;
    let params = rule_params::in_force(&mut conn, today).await?;
    let changes = rule_params::history_of_programmes(&mut conn).await?;
    let settings = packs_db::settings(&mut conn).await?;
    let pack_changes = packs_db::history(&mut conn).await?;
    drop(conn);
    let packs = settings
        .iter()
        .map(|&packs_db::Setting { pack, enabled, id }| PackGroup {
            code: pack.as_str(),
            label: pack.label_zh(),
            draft: pack.is_draft(),
            enabled,
            seen: id,
            programmes: support::programmes()
                .iter()
                .filter(|p| p.pack == pack)
                .map(|p| {
                    let mut items = param_items(p.id, p.params, &params, today);
                    for item in &mut items {
                        let key = format!("{}.{}", p.id, item.name);
                        item.seen = changes.iter().find(|c| c.key == key).map_or(0, |c| c.id);
                    }
                    ProgrammeItem {
                        id: p.id,
                        name: p.name_zh,
                        clause: support::clause_zh(p.clause),
                        params: items,
                    }
                })
                .collect(),
        })
        .collect();
    let history = changes.into_iter().map(change_row).collect();
    let pack_history = pack_changes
        .into_iter()
        .map(|c| PackChangeRow {
            at: local_time(&c.changed_at),
            pack: c.pack.label_zh().to_owned(),
            draft: c.pack.is_draft(),
            enabled: c.enabled,
            by: c.changed_by.unwrap_or_else(|| "系统（部署默认）".into()),
            reason: c.reason,
        })
        .collect();
    Ok(ProgrammesPage {
        layout: Layout::for_user(user, "policies"),
        tab: "programmes",
        packs,
        can_edit: user.is_city_staff,
        history,
        form,
        pack_form,
        pack_history,
        notice,
    })
}

// ---- POST /programmes/packs/{code} -------------------------------------------------------------

/// City staff switch a policy pack on or off, with a reason: kept in the pack history, audited, and every
/// figure that depends on the enabled packs recomputed (`touches_all`, the data version advances). A stale
/// form (another switch of this pack since the page was opened) is a 409 conflict; switching off the last
/// enabled pack is refused.
pub async fn switch_pack(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(code): Path<String>,
    Form(f): Form<RawForm>,
) -> AppResult<Response> {
    let pack = Pack::parse(&code).ok_or(AppError::NotFound)?;
    let refuse = |errors: FieldErrors, status: StatusCode| {
        let form = PackForm {
            code: pack.as_str().to_owned(),
            reason: f.get("reason").to_owned(),
            errors,
        };
        let (state, user) = (&state, &user);
        async move {
            let page = programmes_page(state, user, "", None, Some(form)).await?;
            Ok::<Response, AppError>((status, page).into_response())
        }
    };
    let mut tx = w.begin().await?;
    packs_db::lock(&mut tx).await?;
    let settings = packs_db::settings(&mut tx).await?;
    let now = settings
        .iter()
        .find(|s| s.pack == pack)
        .copied()
        .ok_or(AppError::NotFound)?;
    let seen: i64 = f.get("seen").trim().parse().unwrap_or(-1);
    if seen != now.id {
        tx.rollback().await?;
        let mut errors = FieldErrors::default();
        errors.add(
            "enabled",
            format!(
                "在您打开本页之后，该政策包的启用状态已被他人修改，现为“{}”；请核对后重新提交",
                if now.enabled { "启用" } else { "停用" }
            ),
        );
        return refuse(errors, StatusCode::CONFLICT).await;
    }
    let enabled_now: Vec<Pack> = settings
        .iter()
        .filter(|s| s.enabled)
        .map(|s| s.pack)
        .collect();
    let change = match parse_pack_change(pack, f.get("enabled"), f.get("reason"), &enabled_now) {
        Ok(change) => change,
        Err(errors) => {
            tx.rollback().await?;
            return refuse(errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let id = packs_db::record(&mut tx, &change, user.id).await?;
    tx.audit(
        Entry::new("support_pack.switch", "support_pack_settings", id)
            .before(serde_json::json!({ "pack": pack.as_str(), "enabled": now.enabled }))
            .after(serde_json::json!({
                "pack": pack.as_str(), "enabled": change.enabled, "reason": change.reason
            })),
    )
    .await?;
    tx.touches_all();
    tx.redirect(format!(
        "/programmes?notice={}#pack-{}",
        Flash::PackSwitched,
        pack.as_str()
    ))
    .await
}

pub(super) fn change_row(c: rule_params::Change) -> ChangeRow {
    let (owner, name) = c.key.split_once('.').unwrap_or(("", &c.key));
    let label = match support::programme(owner) {
        Some(p) => {
            let what = p
                .params
                .iter()
                .find(|d| d.name == name)
                .map_or(name, |d| d.description_zh);
            format!("{}：{what}", p.name_zh)
        }
        None => facts::label(name),
    };
    ChangeRow {
        at: local_time(&c.changed_at),
        value: stored_value_text(&c.key, &c.value),
        label,
        by: c.changed_by.unwrap_or_else(|| "系统".into()),
        reason: c.reason,
    }
}
