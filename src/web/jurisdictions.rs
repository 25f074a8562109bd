//! Jurisdictions: Nantong's are seeded; city staff add more.

use askama::Template;
use askama_web::WebTemplate;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::auth::CurrentUser;
use super::forms::Form;
use super::layout::Layout;
use super::write::{self, Entry, Writer};
use crate::db::jurisdictions::{self, Jurisdiction};
use crate::domain::validation::FieldErrors;
use crate::error::AppResult;
use crate::state::AppState;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // Jurisdictions: city staff add more.
        get( "/jurisdictions", Roles(STAFF, City), list),
        post("/jurisdictions", Roles(STAFF, City), create),
    ]
}

#[derive(Deserialize, Default)]
pub struct JurisdictionForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "jurisdictions/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub rows: Vec<Jurisdiction>,
    pub f: JurisdictionForm,
    pub errors: FieldErrors,
    pub notice: &'static str,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    f: JurisdictionForm,
    errors: FieldErrors,
    notice: &'static str,
) -> AppResult<ListPage> {
    Ok(ListPage {
        layout: Layout::for_user(user, "jurisdictions"),
        rows: jurisdictions::list(&state.db).await?,
        f,
        errors,
        notice,
    })
}

pub async fn list(State(state): State<AppState>, user: CurrentUser) -> AppResult<ListPage> {
    page(
        &state,
        &user,
        JurisdictionForm::default(),
        FieldErrors::default(),
        "",
    )
    .await
}

fn validate(f: &JurisdictionForm) -> FieldErrors {
    let mut errors = FieldErrors::default();
    let code = f.code.trim();
    if code.is_empty() {
        errors.add("code", "请填写地区代码");
    } else if code.len() > 20 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        errors.add("code", "地区代码为1–20位字母或数字，如行政区划代码 320602");
    }
    match f.name.trim().chars().count() {
        0 => errors.add("name", "请填写地区名称"),
        1 => errors.add("name", "地区名称至少2个字"),
        n if n > 30 => errors.add("name", "地区名称不能超过30个字"),
        _ => {}
    }
    errors
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Form(f): Form<JurisdictionForm>,
) -> AppResult<Response> {
    let mut errors = validate(&f);
    if errors.is_empty() {
        let mut tx = w.begin().await?;
        let code = f.code.trim().to_ascii_uppercase();
        match jurisdictions::insert(&mut tx, &code, f.name.trim(), 100).await {
            Ok(j) => {
                let after = serde_json::to_value(&j).ok();
                tx.audit(Entry::new("jurisdiction.create", "jurisdiction", j.id).after(after))
                    .await?;
                return tx.redirect("/jurisdictions").await;
            }
            Err(e) => match write::field_error(&e) {
                Some((field, message)) => {
                    tx.rollback().await?;
                    errors.add(field, message);
                }
                None => return Err(e.into()),
            },
        }
    }
    let page = page(&state, &user, f, errors, "").await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
