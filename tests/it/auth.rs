//! Sign-in, lockout, sessions, CSRF and forced password change, against a real PostgreSQL.

use crate::common::{PASSWORD, TestApp};
use axum::http::StatusCode;
use kechuang::domain::role::Role;

#[tokio::test]
async fn login_succeeds_and_logout_ends_the_session() {
    let app = TestApp::new().await;
    app.user("leader1", Some(Role::Leader), None, None).await;
    let mut c = app.client();
    let resp = c.login("leader1", PASSWORD).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert!(c.cookies.contains_key("kc_session"));
    let cookie = resp
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("kc_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert_eq!(c.get("/platforms").await.status, StatusCode::OK);
    assert_eq!(app.audit_count("login").await, 1);

    let old = c.clone();
    let resp = c.post("/logout", &[]).await;
    assert_eq!(resp.location(), Some("/login?notice=logged_out"));
    // The old cookie no longer works anywhere: logout is server-side.
    let mut old = old;
    assert_eq!(
        old.get("/platforms").await.location(),
        Some("/login?next=%2Fplatforms")
    );
    assert_eq!(app.audit_count("logout").await, 1);
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_message() {
    let app = TestApp::new().await;
    app.user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    let mut c = app.client();
    let wrong = c.login("staff1", "Wrong#Pass1").await;
    let unknown = c.login("nobody", "Wrong#Pass1").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.text(".form-error"), unknown.text(".form-error"));
    // What was typed (the user name) is kept.
    assert_eq!(
        wrong.value("input[name=username]").as_deref(),
        Some("staff1")
    );
    assert_eq!(app.audit_count("login.failed").await, 2);
}

#[tokio::test]
async fn five_failures_lock_the_account_for_thirty_minutes() {
    let app = TestApp::new().await;
    let id = app
        .user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    let mut c = app.client();
    for _ in 0..5 {
        assert_eq!(
            c.login("staff1", "Wrong#Pass1").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // Now even the right password is refused, with the same message.
    let resp = c.login("staff1", PASSWORD).await;
    assert_eq!(resp.status, StatusCode::UNAUTHORIZED);
    let minutes: f64 = app
        .scalar(
            "SELECT extract(epoch FROM locked_until - now())::float8 / 60 FROM users WHERE id = $1",
            id,
        )
        .await;
    assert!(
        (29.0..=30.0).contains(&minutes),
        "locked for {minutes} minutes"
    );
    assert_eq!(app.audit_count("account.locked").await, 1);
    assert_eq!(app.audit_count("login.refused").await, 1);

    // When the lock has passed, the right password works again.
    sqlx::query("UPDATE users SET locked_until = now() - interval '1 second' WHERE id = $1")
        .bind(id)
        .execute(app.pool())
        .await
        .unwrap();
    assert_eq!(
        c.login("staff1", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_session_id_rotates_at_every_sign_in() {
    let app = TestApp::new().await;
    app.user("leader1", Some(Role::Leader), None, None).await;
    let mut c = app.client();
    c.login("leader1", PASSWORD).await;
    let first = c.cookies["kc_session"].clone();
    let before = c.clone();
    // Sign in again from the same browser, which still sends its session cookie.
    let mut fresh = app.client();
    let token = fresh
        .get("/login")
        .await
        .value("input[name=csrf_token]")
        .unwrap();
    c.cookies
        .insert("kc_prelogin".into(), fresh.cookies["kc_prelogin"].clone());
    let resp = c
        .post_raw(
            "/login",
            &[
                ("csrf_token", &token),
                ("username", "leader1"),
                ("password", PASSWORD),
            ],
            Some("http://localhost"),
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let second = c.cookies["kc_session"].clone();
    assert_ne!(first, second);
    // The session a browser had before signing in is gone.
    let mut before = before;
    assert_eq!(before.get("/platforms").await.status, StatusCode::SEE_OTHER);
    assert_eq!(c.get("/platforms").await.status, StatusCode::OK);
}

#[tokio::test]
async fn idle_and_absolute_timeouts_end_sessions() {
    let app = TestApp::new().await;
    app.user("leader1", Some(Role::Leader), None, None).await;
    app.user("audit1", Some(Role::Auditor), None, None).await;
    let mut leader = app.signed_in("leader1").await;
    let mut auditor = app.signed_in("audit1").await;

    // 16 idle minutes: past an administrator's 15, within everyone else's 30.
    sqlx::query("UPDATE sessions SET last_seen_at = now() - interval '16 minutes'")
        .execute(app.pool())
        .await
        .unwrap();
    assert_eq!(leader.get("/platforms").await.status, StatusCode::OK);
    assert_eq!(auditor.get("/audit").await.status, StatusCode::SEE_OTHER);

    sqlx::query("UPDATE sessions SET last_seen_at = now() - interval '31 minutes'")
        .execute(app.pool())
        .await
        .unwrap();
    assert_eq!(leader.get("/platforms").await.status, StatusCode::SEE_OTHER);

    let mut leader = app.signed_in("leader1").await;
    sqlx::query("UPDATE sessions SET created_at = now() - interval '12 hours 1 minute'")
        .execute(app.pool())
        .await
        .unwrap();
    assert_eq!(leader.get("/platforms").await.status, StatusCode::SEE_OTHER);
    let left: i64 = app.value("SELECT count(*) FROM sessions").await;
    assert_eq!(left, 0, "expired sessions are deleted server-side");
}

#[tokio::test]
async fn csrf_and_origin_are_checked_on_every_state_change() {
    let app = TestApp::new().await;
    let mut c = app.staff_signed_in("staff1", "320600").await;
    let token = c.csrf().await;
    let fields = [
        ("code", "TS-2025-001"),
        ("name", "伪造平台"),
        ("jurisdiction_id", "1"),
        ("level", "city"),
        ("legal_form", "enterprise"),
    ];

    // No token, a wrong token, a foreign origin, no origin at all: all refused, nothing written.
    let no_token = c
        .post_raw("/platforms", &fields, Some("http://localhost"))
        .await;
    let mut with_wrong = vec![("csrf_token", "forged")];
    with_wrong.extend_from_slice(&fields);
    let wrong_token = c
        .post_raw("/platforms", &with_wrong, Some("http://localhost"))
        .await;
    let mut with_token = vec![("csrf_token", token.as_str())];
    with_token.extend_from_slice(&fields);
    let foreign = c
        .post_raw("/platforms", &with_token, Some("http://evil.example"))
        .await;
    let no_origin = c.post_raw("/platforms", &with_token, None).await;
    for resp in [&no_token, &wrong_token, &foreign, &no_origin] {
        assert_eq!(resp.status, StatusCode::FORBIDDEN);
        assert_eq!(resp.text("h1"), "403 · 请求已失效");
    }
    let count: i64 = app.value("SELECT count(*) FROM platforms").await;
    assert_eq!(count, 0);

    // The same post with the token from our own origin goes through.
    let ok = c
        .post_raw("/platforms", &with_token, Some("http://localhost"))
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);

    // The login form is protected too (double-submit token).
    let mut anon = app.client();
    let resp = anon
        .post_raw(
            "/login",
            &[("username", "staff1"), ("password", PASSWORD)],
            Some("http://localhost"),
        )
        .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn first_login_forces_a_password_change() {
    let app = TestApp::new().await;
    let id = app
        .user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    app.exec(
        "UPDATE users SET must_change_password = true WHERE id = $1",
        id,
    )
    .await;
    let mut c = app.signed_in("staff1").await;
    assert_eq!(c.get("/platforms").await.location(), Some("/password"));
    let page = c.get("/password").await;
    assert!(page.text(".form-error").contains("首次登录"));

    // Every rule is reported next to its field.
    let resp = c
        .post(
            "/password",
            &[
                ("current", "Wrong#1234"),
                ("new", "short"),
                ("confirm", "other"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.text("#f-current-error"), "当前密码不正确");
    assert!(resp.text("#f-new-error").starts_with("密码至少8个字符"));
    assert_eq!(resp.text("#f-confirm-error"), "两次输入的新密码不一致");
    let resp = c
        .post(
            "/password",
            &[
                ("current", PASSWORD),
                ("new", "alllowercase1"),
                ("confirm", "alllowercase1"),
            ],
        )
        .await;
    assert!(resp.text("#f-new-error").contains("至少3类"));
    // Still forced.
    assert_eq!(c.get("/platforms").await.location(), Some("/password"));

    let other_session = app.signed_in("staff1").await;
    let resp = c
        .post(
            "/password",
            &[
                ("current", PASSWORD),
                ("new", "New#Pass2026"),
                ("confirm", "New#Pass2026"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert_eq!(c.get("/platforms").await.status, StatusCode::OK);
    // Other sessions of the account ended; the new password works, the old one does not.
    let mut other_session = other_session;
    assert_eq!(
        other_session.get("/platforms").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.client().login("staff1", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.client().login("staff1", "New#Pass2026").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.audit_count("password.change").await, 1);
}

#[tokio::test]
async fn staff_passwords_expire_after_ninety_days() {
    let app = TestApp::new().await;
    let staff = app
        .user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    let leader = app.user("leader1", Some(Role::Leader), None, None).await;
    app.exec(
        "UPDATE users SET password_changed_at = now() - interval '91 days' WHERE id = ANY($1)",
        vec![staff, leader],
    )
    .await;
    assert_eq!(
        app.signed_in("staff1")
            .await
            .get("/platforms")
            .await
            .location(),
        Some("/password")
    );
    assert_eq!(
        app.signed_in("leader1")
            .await
            .get("/platforms")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn after_login_only_local_paths_are_followed() {
    let app = TestApp::new().await;
    app.user("leader1", Some(Role::Leader), None, None).await;
    let mut c = app.client();
    let page = c.get("/login?next=//evil.example/").await;
    let token = page.value("input[name=csrf_token]").unwrap();
    assert_eq!(page.value("input[name=next]").as_deref(), Some("/"));
    let resp = c
        .post_raw(
            "/login",
            &[
                ("csrf_token", &token),
                ("username", "leader1"),
                ("password", PASSWORD),
                ("next", "https://evil.example"),
            ],
            Some("http://localhost"),
        )
        .await;
    assert_eq!(resp.location(), Some("/"));
}
