//! The system admin's account management (三员分立: accounts only — roles belong to the
//! security admin, the audit log to the audit admin, business data to nobody of the three).

use askama::Template;
use askama_web::WebTemplate;

use super::forms::{Form, Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::auth::CurrentUser;
use super::layout::Layout;
use crate::db::users::{self, NewUser, UserListRow};
use crate::db::{audit, sessions, unique_violation};
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::password_hash;
use crate::state::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewUserForm {
    username: String,
    display_name: String,
}

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub layout: Layout,
    pub q: String,
    pub rows: Vec<UserListRow>,
    pub f: NewUserForm,
    pub errors: FieldErrors,
    /// Shown once after creating an account or resetting a password.
    pub issued: Option<(String, String)>,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    q: String,
    f: NewUserForm,
    errors: FieldErrors,
    issued: Option<(String, String)>,
) -> AppResult<UsersPage> {
    let rows = users::list(&state.db, &q).await?;
    Ok(UsersPage {
        layout: Layout::for_user(user, "users"),
        q,
        rows,
        f,
        errors,
        issued,
    })
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<SearchQuery>,
) -> AppResult<UsersPage> {
    page(
        &state,
        &user,
        q.q,
        NewUserForm::default(),
        FieldErrors::default(),
        None,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(f): Form<NewUserForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    let username = f.username.trim().to_lowercase();
    let valid_name = (3..=32).contains(&username.len())
        && username.starts_with(|c: char| c.is_ascii_alphanumeric())
        && username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if username.is_empty() {
        errors.add("username", "请填写用户名");
    } else if !valid_name {
        errors.add(
            "username",
            "用户名为3–32位小写字母、数字或 . _ -，以字母或数字开头",
        );
    }
    match f.display_name.trim().chars().count() {
        0 => errors.add("display_name", "请填写姓名"),
        n if n > 40 => errors.add("display_name", "姓名不能超过40个字"),
        _ => {}
    }
    if errors.is_empty() {
        let password = password_hash::temporary_password();
        let hash = password_hash::hash_async(password.clone()).await?;
        let mut tx = audit::begin(&state.db, &user.actor()).await?;
        let new = NewUser {
            username: &username,
            display_name: f.display_name.trim(),
            password_hash: &hash,
            role: None,
            platform_id: None,
            jurisdiction_id: None,
            must_change_password: true,
            is_demo: false,
        };
        match users::insert(&mut tx, &new).await {
            Ok(created) => {
                audit::record(
                    &mut tx,
                    &user.actor(),
                    "user.create",
                    "user",
                    Some(created.id.to_string()),
                    None,
                    Some(created.audit_json()),
                )
                .await?;
                tx.commit().await?;
                let issued = Some((username, password));
                return Ok(page(
                    &state,
                    &user,
                    String::new(),
                    NewUserForm::default(),
                    FieldErrors::default(),
                    issued,
                )
                .await?
                .into_response());
            }
            Err(e) if unique_violation(&e).as_deref() == Some("users_username_key") => {
                errors.add("username", "用户名已存在");
            }
            Err(e) => return Err(e.into()),
        }
    }
    let page = page(&state, &user, String::new(), f, errors, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub async fn reset_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(uid): Path<i64>,
) -> AppResult<Response> {
    let password = password_hash::temporary_password();
    let hash = password_hash::hash_async(password.clone()).await?;
    let mut tx = audit::begin(&state.db, &user.actor()).await?;
    let target = users::get(&mut tx, uid).await?.ok_or(AppError::NotFound)?;
    users::set_password(&mut tx, uid, &hash, true).await?;
    sessions::delete_for_user(&mut tx, uid).await?;
    audit::record(
        &mut tx,
        &user.actor(),
        "user.password_reset",
        "user",
        Some(uid.to_string()),
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    let issued = Some((target.username, password));
    Ok(page(
        &state,
        &user,
        String::new(),
        NewUserForm::default(),
        FieldErrors::default(),
        issued,
    )
    .await?
    .into_response())
}

#[derive(Deserialize)]
pub struct StatusForm {
    disabled: bool,
}

pub async fn set_status(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(uid): Path<i64>,
    Form(f): Form<StatusForm>,
) -> AppResult<Response> {
    if uid == user.id {
        return Err(AppError::BadRequest("不能停用自己的账户。".into()));
    }
    let mut tx = audit::begin(&state.db, &user.actor()).await?;
    let before = users::get(&mut tx, uid).await?.ok_or(AppError::NotFound)?;
    users::set_disabled(&mut tx, uid, f.disabled).await?;
    if f.disabled {
        sessions::delete_for_user(&mut tx, uid).await?;
    }
    let action = if f.disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    audit::record(
        &mut tx,
        &user.actor(),
        action,
        "user",
        Some(uid.to_string()),
        Some(serde_json::json!({"disabled": before.disabled})),
        Some(serde_json::json!({"disabled": f.disabled})),
    )
    .await?;
    tx.commit().await?;
    Ok(axum::response::Redirect::to("/admin/users").into_response())
}
