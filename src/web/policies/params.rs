//! City staff change a rule's or a programme's parameters.

use super::*;

// ---- POST /rules/{rule_id}/params/{name}, /programmes/{pid}/params/{name} ----------------------

/// What a parameter belongs to: a compliance rule or a support programme.
#[derive(Clone, Copy)]
enum Owner {
    Rule(&'static RuleDef),
    Programme(&'static ProgrammeDef),
}

impl Owner {
    fn id(self) -> &'static str {
        match self {
            Owner::Rule(r) => r.id,
            Owner::Programme(p) => p.id,
        }
    }

    fn params(self) -> &'static [ParamDef] {
        match self {
            Owner::Rule(r) => r.params,
            Owner::Programme(p) => p.params,
        }
    }

    /// Where the browser goes after a change.
    fn changed_location(self) -> String {
        match self {
            Owner::Rule(r) => format!("/rules/{}?notice={}#parameters", r.id, Flash::ParamChanged),
            Owner::Programme(p) => format!(
                "/programmes?notice={}#programme-{}",
                Flash::ProgrammeParamChanged,
                p.id
            ),
        }
    }
}

/// City staff change one parameter of a rule, with a reason; the change is kept in the history, audited, and
/// every platform's findings are recomputed with the new value. Refused forms come back with what was typed.
pub async fn update_param(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((rule_id, name)): Path<(String, String)>,
    Form(f): Form<RawForm>,
) -> AppResult<Response> {
    let (_, def) = find_rule(&rule_id)?;
    change_param(&state, &user, w, Owner::Rule(def), &name, &f).await
}

/// City staff change one parameter of a support programme (same rules as a rule parameter).
pub async fn update_programme_param(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((pid, name)): Path<(String, String)>,
    Form(f): Form<RawForm>,
) -> AppResult<Response> {
    let def = support::programme(&pid).ok_or(AppError::NotFound)?;
    change_param(&state, &user, w, Owner::Programme(def), &name, &f).await
}

async fn change_param(
    state: &AppState,
    user: &CurrentUser,
    w: Writer,
    owner: Owner,
    name: &str,
    f: &RawForm,
) -> AppResult<Response> {
    let param = owner
        .params()
        .iter()
        .find(|p| p.name == name)
        .ok_or(AppError::NotFound)?;
    let key = format!("{}.{}", owner.id(), param.name);
    let refuse = |errors: FieldErrors, status: StatusCode| {
        let form = ParamForm {
            name: match owner {
                Owner::Rule(_) => param.name.to_owned(),
                Owner::Programme(_) => key.clone(),
            },
            value: f.get("value").to_owned(),
            reason: f.get("reason").to_owned(),
            errors,
        };
        async move {
            let page = match owner {
                Owner::Rule(r) => rule_page(state, user, r.id, "", Some(form))
                    .await?
                    .into_response(),
                Owner::Programme(_) => programmes_page(state, user, "", Some(form), None)
                    .await?
                    .into_response(),
            };
            Ok::<Response, AppError>((status, page).into_response())
        }
    };
    let change = match param_form::parse(&key, f.get("value"), f.get("reason")) {
        Ok(c) => c,
        Err(errors) => return refuse(errors, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let mut tx = w.begin().await?;
    // One change of a key at a time; the form names the last change its author saw.
    rule_params::lock(&mut tx, &key).await?;
    let seen: i64 = f.get("seen").parse().unwrap_or(-1);
    let latest = rule_params::latest_id(&mut tx, &key).await?;
    let before = rule_params::in_force(&mut tx, crate::clock::today()).await?;
    let old = before.value(&key).unwrap_or(param.default);
    let mut errors = FieldErrors::default();
    if latest != seen {
        errors.add(
            "value",
            format!(
                "在您打开本页之后，该参数已被他人修改，现行值为 {}；请核对后重新提交",
                stored_value_text(&key, &serde_json::to_value(old).unwrap_or_default())
            ),
        );
    } else if change.value == old {
        errors.add("value", "新值与现行值相同，无需修改");
    }
    if !errors.is_empty() {
        tx.rollback().await?;
        let status = if latest != seen {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        return refuse(errors, status).await;
    }
    rule_params::record(&mut tx, &change, user.id).await?;
    tx.audit(
        Entry::new("rule_param.update", "rule_param", &key)
            .before(serde_json::json!({ "value": old }))
            .after(serde_json::json!({ "value": change.value, "reason": change.reason })),
    )
    .await?;
    tx.touches_all();
    tx.redirect(owner.changed_location()).await
}
