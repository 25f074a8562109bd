//! Changing one's password (also when the policy makes it due).

use super::*;

// ---- changing one's password ----------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "auth/password.html")]
pub struct PasswordPage {
    pub layout: Layout,
    pub forced: bool,
    pub errors: FieldErrors,
    pub rules: String,
}

async fn password_page_for(
    state: &AppState,
    user: &CurrentUser,
    errors: FieldErrors,
) -> AppResult<PasswordPage> {
    let policy = security_policy::get(&state.db).await?;
    let mut conn = state.db.acquire().await?;
    let account = users::get(&mut conn, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let expired = user.role.is_some_and(Role::password_expires)
        && Utc::now() - account.password_changed_at
            > Duration::days(policy.password_max_age_days.into());
    Ok(PasswordPage {
        layout: Layout::for_user(user, ""),
        forced: account.must_change_password || expired,
        errors,
        rules: format!(
            "至少{}个字符，包含大写字母、小写字母、数字、符号中的至少{}类，且不含用户名。",
            policy.min_length, policy.min_classes
        ),
    })
}

pub async fn password_page(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<PasswordPage> {
    password_page_for(&state, &user, FieldErrors::default()).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    w: Writer,
    State(state): State<AppState>,
    jar: CookieJar,
    user: CurrentUser,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let policy = security_policy::get(&state.db).await?;
    let mut conn = state.db.acquire().await?;
    let account = users::get(&mut conn, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);

    let mut errors = FieldErrors::default();
    if !password_hash::verify_async(form.current.clone(), account.password_hash.clone()).await? {
        errors.add("current", "当前密码不正确");
    }
    if let Err(msg) = policy.password_rules().check(&form.new, &account.username) {
        errors.add("new", msg);
    } else if form.new == form.current {
        errors.add("new", "新密码不能与当前密码相同");
    }
    if form.confirm != form.new {
        errors.add("confirm", "两次输入的新密码不一致");
    }
    if !errors.is_empty() {
        let page = password_page_for(&state, &user, errors).await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }

    let hash = password_hash::hash_async(form.new).await?;
    let mut tx = w.begin().await?;
    users::set_password(&mut tx, user.id, &hash, false).await?;
    // Every session of the account ends; this browser gets a fresh one.
    sessions::delete_for_user(&mut tx, user.id).await?;
    let cookie = sessions::create(&mut tx, user.id, user.addr.as_deref()).await?;
    tx.audit(Entry::new("password.change", "user", user.id))
        .await?;
    let to = format!("/?notice={}", Flash::PasswordChanged);
    tx.commit_at(Some(&to)).await?;
    Ok((jar.add(session_cookie(&state, cookie)), Redirect::to(&to)).into_response())
}
