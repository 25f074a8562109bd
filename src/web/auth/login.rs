//! The login page, signing in and out.

use super::*;

// ---- the login page -------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub csrf: String,
    pub username: String,
    pub next: String,
    pub error: String,
    pub notice: &'static str,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    notice: String,
}

pub async fn login_page(
    State(state): State<AppState>,
    jar: CookieJar,
    user: Option<axum::Extension<CurrentUser>>,
    Query(q): Query<LoginQuery>,
) -> Response {
    if user.is_some() {
        return Redirect::to(safe_next(&q.next)).into_response();
    }
    let token = sessions::random_token();
    let cookie = Cookie::build((PRELOGIN_COOKIE, token.clone()))
        .path("/login")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.secure_cookies)
        .build();
    let notice = Flash::text_of(&q.notice);
    let page = LoginPage {
        layout: Layout::anonymous(),
        csrf: token,
        username: String::new(),
        next: safe_next(&q.next).to_string(),
        error: String::new(),
        notice,
    };
    (jar.add(cookie), page).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// The one message for every failure, so it tells nothing about which accounts exist.
const LOGIN_FAILED: &str = "用户名或密码错误，或账户已被锁定。连续失败次数过多的账户将被暂时锁定。";

pub async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    ClientAddr(addr): ClientAddr,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    if state.limits.sign_in.hit(addr.as_deref()) == crate::web::limits::Hit::Limited {
        return Err(AppError::TooManyRequests);
    }
    let policy = security_policy::get(&state.db).await?;
    let username = form.username.trim().to_lowercase();
    let found = users::find_by_username(&state.db, &username).await?;
    let stored = found
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| password_hash::dummy_hash().to_string());
    // Always verify, so that unknown users, locked users and wrong passwords take as long.
    let password_ok = password_hash::verify_async(form.password.clone(), stored).await?;
    let actor = Actor {
        id: found.as_ref().map(|u| u.id),
        name: username.clone(),
        role: None,
        addr: addr.clone(),
    };
    let mut tx = audit::begin(&state.db, &Actor::system("login")).await?;

    let user = match found {
        Some(u) if password_ok && !u.disabled && !u.is_locked(Utc::now()) => u,
        other => {
            let (action, after) = match &other {
                None => (
                    "login.failed",
                    serde_json::json!({"reason": "unknown_user"}),
                ),
                Some(u) if u.disabled => {
                    ("login.refused", serde_json::json!({"reason": "disabled"}))
                }
                Some(u) if u.is_locked(Utc::now()) => {
                    ("login.refused", serde_json::json!({"reason": "locked"}))
                }
                Some(u) => {
                    let after = users::record_failure(
                        &mut tx,
                        u.id,
                        policy.max_failures,
                        policy.lockout_minutes,
                    )
                    .await?;
                    if after.is_locked(Utc::now()) {
                        (
                            "account.locked",
                            serde_json::json!({"reason": "too_many_failures", "locked_until": after.locked_until}),
                        )
                    } else {
                        (
                            "login.failed",
                            serde_json::json!({"reason": "wrong_password", "failures": after.failed_logins}),
                        )
                    }
                }
            };
            audit::record(
                &mut tx,
                &actor,
                action,
                "user",
                other.map(|u| u.id.to_string()),
                None,
                Some(after),
            )
            .await?;
            tx.commit().await?;
            let token = jar
                .get(PRELOGIN_COOKIE)
                .map(|c| c.value().to_string())
                .unwrap_or_default();
            let page = LoginPage {
                layout: Layout::anonymous(),
                csrf: token,
                username: form.username,
                next: safe_next(&form.next).to_string(),
                error: LOGIN_FAILED.into(),
                notice: "",
            };
            return Ok((axum::http::StatusCode::UNAUTHORIZED, page).into_response());
        }
    };

    users::reset_failures(&mut tx, user.id).await?;
    // A fresh session id at every sign-in (no fixation); any older cookie is replaced.
    if let Some(old) = jar.get(SESSION_COOKIE) {
        sessions::delete(&mut tx, old.value()).await?;
    }
    let cookie = sessions::create(&mut tx, user.id, addr.as_deref()).await?;
    let actor = Actor {
        role: user.role(),
        ..actor
    };
    audit::record(
        &mut tx,
        &actor,
        "login",
        "user",
        Some(user.id.to_string()),
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    let jar = jar
        .add(session_cookie(&state, cookie))
        .remove(Cookie::build(PRELOGIN_COOKIE).path("/login"));
    Ok((jar, Redirect::to(safe_next(&form.next))).into_response())
}

pub async fn logout(w: Writer, jar: CookieJar, user: CurrentUser) -> AppResult<Response> {
    let mut tx = w.begin().await?;
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        sessions::delete(&mut tx, cookie.value()).await?;
    }
    tx.audit(Entry::new("logout", "user", user.id)).await?;
    tx.commit().await?;
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    let to = format!("/login?notice={}", Flash::LoggedOut);
    Ok((jar, Redirect::to(&to)).into_response())
}
