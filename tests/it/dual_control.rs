//! Dual control for administrator accounts (QUALITY.md "Dual control", issue 11): no
//! administrator resets, disables, enables or demotes another administrator alone; a reset
//! never shows a password to an administrator, only a one-time link for the owner.

use crate::common::{Client, PASSWORD, Resp, TestApp};
use axum::http::StatusCode;
use kechuang::db::audit::{self, Actor};
use kechuang::domain::role::Role;

struct Admins {
    sys1: i64,
    sys2: i64,
    sec1: i64,
    audit1: i64,
}

async fn admins(app: &TestApp) -> Admins {
    Admins {
        sys1: app.user("sys1", Some(Role::Sysadmin), None, None).await,
        sys2: app.user("sys2", Some(Role::Sysadmin), None, None).await,
        sec1: app.user("sec1", Some(Role::Secadmin), None, None).await,
        audit1: app.user("audit1", Some(Role::Auditor), None, None).await,
    }
}

async fn can_sign_in(app: &TestApp, username: &str, password: &str) -> bool {
    app.client().login(username, password).await.status == StatusCode::SEE_OTHER
}

async fn user_row(app: &TestApp, id: i64) -> (String, bool, Option<String>) {
    sqlx::query_as("SELECT password_hash, disabled, role FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

async fn requests(app: &TestApp, target: i64) -> Vec<(i64, String, String)> {
    sqlx::query_as("SELECT id, kind, status FROM admin_requests WHERE target_id = $1 ORDER BY id")
        .bind(target)
        .fetch_all(app.pool())
        .await
        .unwrap()
}

async fn last_request(app: &TestApp, target: i64) -> i64 {
    requests(app, target)
        .await
        .last()
        .expect("no request filed")
        .0
}

/// The path of the one-time link shown on a page.
fn link_path(page: &Resp) -> String {
    let url = page
        .value("#reset-link")
        .unwrap_or_else(|| panic!("no reset link on the page: {}", page.body));
    let at = url.find("/reset/").expect("a /reset/ link");
    url[at..].to_string()
}

/// Opens a reset link and submits the form; returns the final response.
async fn use_link(client: &mut Client, path: &str, new: &str, confirm: &str) -> Resp {
    let form = client.get(path).await;
    let token = form.value("input[name=csrf_token]").unwrap_or_default();
    client
        .post_raw(
            path,
            &[("csrf_token", &token), ("new", new), ("confirm", confirm)],
            Some("http://localhost"),
        )
        .await
}

#[tokio::test]
async fn a_system_admin_alone_cannot_reset_disable_or_enable_another_administrator() {
    let app = TestApp::new().await;
    let a = admins(&app).await;
    let mut sys = app.signed_in("sys1").await;

    // The list offers a request page, not a reset button, for administrator accounts.
    let list = sys.get("/admin/users").await;
    assert!(
        !list
            .body
            .contains(&format!("/admin/users/{}/password", a.audit1))
    );

    for target in [a.audit1, a.sec1, a.sys2] {
        let before = user_row(&app, target).await;
        // Without a reason nothing is filed.
        let bare = sys
            .post(&format!("/admin/users/{target}/password"), &[])
            .await;
        assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bare.text(".form-error").contains("请填写申请理由"),
            "{}",
            bare.body
        );
        assert!(requests(&app, target).await.is_empty());

        let filed = sys
            .post(
                &format!("/admin/users/{target}/password"),
                &[("reason", "本人忘记密码，电话申请重置")],
            )
            .await;
        assert_eq!(filed.location(), Some("/admin/requests?notice=requested"));
        assert!(filed.value("#issued-password").is_none() && filed.value("#reset-link").is_none());
        // A second request for the same account waits for the first.
        let again = sys
            .post(
                &format!("/admin/users/{target}/status"),
                &[("disabled", "true"), ("reason", "离职")],
            )
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert!(again.text(".form-error").contains("待审批"));

        assert_eq!(
            requests(&app, target).await,
            vec![(
                last_request(&app, target).await,
                "password_reset".into(),
                "pending".into()
            )]
        );
        assert_eq!(
            user_row(&app, target).await,
            before,
            "the target is unchanged"
        );
    }
    for name in ["audit1", "sec1", "sys2"] {
        assert!(
            can_sign_in(&app, name, PASSWORD).await,
            "{name} still signs in"
        );
    }
    let page = sys.get("/admin/requests").await;
    assert_eq!(page.texts("#admin-requests tbody tr").len(), 3);
    assert!(
        page.text("#admin-requests tbody tr")
            .contains("不能审批自己提交的申请")
    );
    assert!(page.text("#admin-requests tbody tr").contains("待审批"));
    assert_eq!(app.audit_count("admin_request.create").await, 3);
    assert_eq!(app.audit_count("user.password_reset").await, 0);

    // Disabling (and later enabling) goes the same way: pending until a second administrator.
    let other = app.user("audit2", Some(Role::Auditor), None, None).await;
    let filed = sys
        .post(
            &format!("/admin/users/{other}/status"),
            &[("disabled", "true"), ("reason", "岗位调整")],
        )
        .await;
    assert_eq!(filed.location(), Some("/admin/requests?notice=requested"));
    assert!(!user_row(&app, other).await.1);
    assert!(can_sign_in(&app, "audit2", PASSWORD).await);
    let mut sec = app.signed_in("sec1").await;
    let rid = last_request(&app, other).await;
    let ok = sec
        .post(&format!("/admin/requests/{rid}/approve"), &[])
        .await;
    assert_eq!(ok.location(), Some("/admin/requests?notice=approved"));
    assert!(user_row(&app, other).await.1);
    assert!(!can_sign_in(&app, "audit2", PASSWORD).await);

    let filed = sys
        .post(
            &format!("/admin/users/{other}/status"),
            &[("disabled", "false"), ("reason", "恢复岗位")],
        )
        .await;
    assert_eq!(filed.location(), Some("/admin/requests?notice=requested"));
    assert!(
        user_row(&app, other).await.1,
        "still disabled until approved"
    );
    assert!(!can_sign_in(&app, "audit2", PASSWORD).await);
    assert_eq!(
        requests(&app, other).await.last().unwrap().1,
        "enable".to_string()
    );
}

#[tokio::test]
async fn neither_the_requester_nor_the_target_nor_the_auditor_approves() {
    let app = TestApp::new().await;
    let a = admins(&app).await;
    let mut sys = app.signed_in("sys1").await;
    let rid = request_disable(&app, &mut sys, a.sec1, "安全事件调查").await;

    let own = sys
        .post(&format!("/admin/requests/{rid}/approve"), &[])
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    assert!(
        own.text("#request-error")
            .contains("不能审批自己提交的申请")
    );

    let mut sec = app.signed_in("sec1").await;
    let target = sec
        .post(&format!("/admin/requests/{rid}/approve"), &[])
        .await;
    assert_eq!(target.status, StatusCode::FORBIDDEN);
    assert!(target.text("#request-error").contains("针对自己账户"));

    let mut auditor = app.signed_in("audit1").await;
    let audit = auditor
        .post(&format!("/admin/requests/{rid}/approve"), &[])
        .await;
    assert_eq!(audit.status, StatusCode::FORBIDDEN);
    assert_eq!(
        auditor.get("/admin/requests").await.status,
        StatusCode::FORBIDDEN
    );

    assert_eq!(requests(&app, a.sec1).await[0].2, "pending");
    assert!(!user_row(&app, a.sec1).await.1);
    assert!(can_sign_in(&app, "sec1", PASSWORD).await);

    // The second system admin rejects it: nothing happens, and it is recorded.
    let mut sys2 = app.signed_in("sys2").await;
    let page = sys2.get("/admin/requests").await;
    assert!(
        page.body
            .contains(&format!("/admin/requests/{rid}/approve"))
    );
    let rejected = sys2
        .post(&format!("/admin/requests/{rid}/reject"), &[])
        .await;
    assert_eq!(rejected.location(), Some("/admin/requests?notice=rejected"));
    assert_eq!(requests(&app, a.sec1).await[0].2, "rejected");
    assert!(!user_row(&app, a.sec1).await.1);
    // A decided request cannot be decided again.
    let late = sec
        .post(&format!("/admin/requests/{rid}/approve"), &[])
        .await;
    assert_ne!(late.status, StatusCode::SEE_OTHER);
    let late = sys2
        .post(&format!("/admin/requests/{rid}/approve"), &[])
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert!(late.text("#request-error").contains("已被处理或已过期"));
    assert!(!user_row(&app, a.sec1).await.1);
    assert_eq!(app.audit_count("admin_request.reject").await, 1);
    assert_eq!(app.audit_count("admin_request.approve").await, 0);
    assert_eq!(app.audit_count("user.disable").await, 0);
}

#[tokio::test]
async fn a_second_administrator_approves_and_the_request_is_carried_out_and_audited() {
    let app = TestApp::new().await;
    let a = admins(&app).await;
    let mut sys = app.signed_in("sys1").await;
    let mut sec = app.signed_in("sec1").await;
    let mut auditor = app.signed_in("audit1").await;

    // A reset of the audit admin, approved by the security admin.
    sys.post(
        &format!("/admin/users/{}/password", a.audit1),
        &[("reason", "本人来电，身份已核实")],
    )
    .await;
    let rid = last_request(&app, a.audit1).await;
    let approved = sec
        .post(&format!("/admin/requests/{rid}/approve"), &[])
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert!(approved.value("#issued-password").is_none());
    let path = link_path(&approved);
    assert_eq!(requests(&app, a.audit1).await[0].2, "approved");
    // The old password is gone and the audit admin's session ended.
    assert!(!can_sign_in(&app, "audit1", PASSWORD).await);
    assert_eq!(auditor.get("/audit").await.status, StatusCode::SEE_OTHER);
    // The owner sets the new password with the link.
    let done = use_link(&mut app.client(), &path, "Audit#New2026", "Audit#New2026").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(can_sign_in(&app, "audit1", "Audit#New2026").await);

    let (actor, after): (String, serde_json::Value) = sqlx::query_as(
        "SELECT actor_name, after FROM audit_log WHERE action = 'user.password_reset'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(actor, "sys1", "carried out as the requester");
    assert_eq!(after["request_id"], rid);
    assert_eq!(after["approved_by"], "sec1");
    for action in [
        "admin_request.create",
        "admin_request.approve",
        "user.password_reset",
        "password.reset_link",
    ] {
        assert_eq!(app.audit_count(action).await, 1, "{action}");
    }

    // The security admin demotes the audit admin; it waits for the system admin.
    let form = sec.get(&format!("/security/users/{}", a.audit1)).await;
    let version = form.value("input[name=version]").unwrap();
    let bare = sec
        .post(
            &format!("/security/users/{}", a.audit1),
            &[("role", "leader"), ("version", &version)],
        )
        .await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bare.text("#f-reason-error").contains("请填写申请理由"));
    let filed = sec
        .post(
            &format!("/security/users/{}", a.audit1),
            &[
                ("role", "leader"),
                ("version", &version),
                ("reason", "岗位调整"),
            ],
        )
        .await;
    assert_eq!(
        filed.location(),
        Some("/security/users?notice=role_requested")
    );
    assert_eq!(user_row(&app, a.audit1).await.2.as_deref(), Some("auditor"));
    let rid = last_request(&app, a.audit1).await;
    let page = sys.get("/admin/requests").await;
    assert!(
        page.text(&format!("#request-{rid}"))
            .contains("角色改为：领导")
    );
    let ok = sys
        .post(&format!("/admin/requests/{rid}/approve"), &[])
        .await;
    assert_eq!(ok.location(), Some("/admin/requests?notice=approved"));
    assert_eq!(user_row(&app, a.audit1).await.2.as_deref(), Some("leader"));
    let actor: String = app
        .value(
            "SELECT actor_name FROM audit_log WHERE action = 'user.role' ORDER BY seq DESC LIMIT 1",
        )
        .await;
    assert_eq!(actor, "sec1");

    // The second system admin is disabled by the first, approved by the security admin.
    let rid = request_disable(&app, &mut sys, a.sys2, "离岗").await;
    sec.post(&format!("/admin/requests/{rid}/approve"), &[])
        .await;
    assert!(user_row(&app, a.sys2).await.1);
    assert_eq!(app.audit_count("user.disable").await, 1);
    assert_eq!(app.audit_count("admin_request.approve").await, 3);

    assert_eq!(audit::verify(app.pool()).await.unwrap().breaks, vec![]);
}

#[tokio::test]
async fn a_business_reset_shows_a_one_time_link_and_no_password() {
    let app = TestApp::new().await;
    app.user("sys1", Some(Role::Sysadmin), None, None).await;
    let staff = app
        .user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    let mut owner = app.signed_in("staff1").await;
    let mut sys = app.signed_in("sys1").await;

    let reset = sys
        .post(&format!("/admin/users/{staff}/password"), &[])
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    assert!(reset.value("#issued-password").is_none());
    assert!(reset.text("#issued-link").contains("一次性"));
    let path = link_path(&reset);
    assert_eq!(path.len(), "/reset/".len() + 43);
    // Only the token's hash is stored.
    let token = &path["/reset/".len()..];
    let stored: i64 = app
        .scalar(
            "SELECT count(*) FROM password_reset_links WHERE token_hash = sha256(convert_to($1, 'UTF8'))",
            token,
        )
        .await;
    assert_eq!(stored, 1);
    // The old password stopped working and the owner's sessions ended.
    assert!(!can_sign_in(&app, "staff1", PASSWORD).await);
    assert_eq!(owner.get("/workbench").await.status, StatusCode::SEE_OTHER);

    // The owner opens the link; the policy's rules apply.
    let mut c = app.client();
    let form = c.get(&path).await;
    // A second tab holds the form open, to replay it after the first use.
    let mut tab = app.client();
    let tab_token = tab
        .get(&path)
        .await
        .value("input[name=csrf_token]")
        .unwrap();
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text("#reset header").contains("staff1"));
    let weak = use_link(&mut c, &path, "short", "short").await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!weak.text("#f-new-error").is_empty());
    let mismatch = use_link(&mut c, &path, "Staff#New2026", "Staff#New2027").await;
    assert_eq!(mismatch.text("#f-confirm-error"), "两次输入的新密码不一致");
    let forged = c
        .post_raw(
            &path,
            &[
                ("csrf_token", "forged"),
                ("new", "Staff#New2026"),
                ("confirm", "Staff#New2026"),
            ],
            Some("http://localhost"),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let done = use_link(&mut c, &path, "Staff#New2026", "Staff#New2026").await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(done.text("#reset-done").contains("新密码已生效"));
    let mut signed = app.client();
    assert_eq!(
        signed.login("staff1", "Staff#New2026").await.status,
        StatusCode::SEE_OTHER
    );
    assert_ne!(signed.get("/").await.location(), Some("/password"));

    // A second use is refused, by the page and by the form.
    let again = app.client().get(&path).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.text("#reset-refusal").contains("只能使用一次"));
    let again = tab
        .post_raw(
            &path,
            &[
                ("csrf_token", &tab_token),
                ("new", "Staff#Other2026"),
                ("confirm", "Staff#Other2026"),
            ],
            Some("http://localhost"),
        )
        .await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(can_sign_in(&app, "staff1", "Staff#New2026").await);
    assert!(!can_sign_in(&app, "staff1", "Staff#Other2026").await);

    // An unknown link.
    let unknown = app.client().get("/reset/not-a-real-token").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.text("#reset-refusal").contains("不存在"));

    // A newer link revokes the older one; an expired link is refused.
    let first = link_path(
        &sys.post(&format!("/admin/users/{staff}/password"), &[])
            .await,
    );
    let second = link_path(
        &sys.post(&format!("/admin/users/{staff}/password"), &[])
            .await,
    );
    let revoked = app.client().get(&first).await;
    assert_eq!(revoked.status, StatusCode::GONE);
    assert!(revoked.text("#reset-refusal").contains("新的链接"));
    let mut late = app.client();
    let form = late.get(&second).await;
    assert_eq!(form.status, StatusCode::OK);
    let late_token = form.value("input[name=csrf_token]").unwrap();
    app.db
        .bypassing_triggers(&[
            "UPDATE password_reset_links SET expires_at = now() - interval '1 minute'
         WHERE used_at IS NULL AND revoked_at IS NULL",
        ])
        .await;
    assert_eq!(late.get(&second).await.status, StatusCode::GONE);
    let expired = late
        .post_raw(
            &second,
            &[
                ("csrf_token", &late_token),
                ("new", "Staff#Late2026"),
                ("confirm", "Staff#Late2026"),
            ],
            Some("http://localhost"),
        )
        .await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(
        expired.text("#reset-refusal").contains("24小时"),
        "{}",
        expired.text("#reset-refusal")
    );
    assert!(!can_sign_in(&app, "staff1", "Staff#Late2026").await);

    assert_eq!(app.audit_count("user.password_reset").await, 3);
    assert_eq!(app.audit_count("password.reset_link").await, 1);
    assert_eq!(audit::verify(app.pool()).await.unwrap().breaks, vec![]);
}

#[tokio::test]
async fn requests_expire_after_a_day() {
    let app = TestApp::new().await;
    let a = admins(&app).await;
    let mut sys = app.signed_in("sys1").await;
    let rid = request_disable(&app, &mut sys, a.audit1, "离职").await;
    let hours: f64 = app
        .scalar(
            "SELECT extract(epoch FROM expires_at - requested_at)::float8 / 3600 FROM admin_requests WHERE id = $1",
            rid,
        )
        .await;
    assert_eq!(hours, 24.0);
    app.db
        .bypassing_triggers(&[
            "UPDATE admin_requests SET requested_at = now() - interval '25 hours',
                                   expires_at = now() - interval '1 hour'",
        ])
        .await;
    let mut sec = app.signed_in("sec1").await;
    let page = sec.get("/admin/requests").await;
    assert!(page.text(&format!("#request-{rid}")).contains("已过期"));
    assert!(
        !page
            .body
            .contains(&format!("/admin/requests/{rid}/approve"))
    );
    let late = sec
        .post(&format!("/admin/requests/{rid}/approve"), &[])
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert!(!user_row(&app, a.audit1).await.1);
    assert_eq!(requests(&app, a.audit1).await[0].2, "expired");
    assert_eq!(app.audit_count("admin_request.expire").await, 1);
    // A new request can be filed once the old one expired.
    let again = sys
        .post(
            &format!("/admin/users/{}/status", a.audit1),
            &[("disabled", "true"), ("reason", "离职")],
        )
        .await;
    assert_eq!(again.location(), Some("/admin/requests?notice=requested"));
}

/// `sys` asks for the account `target` to be disabled, for this reason; returns the request's id.
async fn request_disable(app: &TestApp, sys: &mut Client, target: i64, reason: &str) -> i64 {
    sys.post(
        &format!("/admin/users/{target}/status"),
        &[("disabled", "true"), ("reason", reason)],
    )
    .await;
    last_request(app, target).await
}

/// Files a pending request of `by` to disable `target`, in `conn`'s transaction; returns its id.
async fn pending_request(conn: &mut sqlx::PgConnection, target: i64, by: i64) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO admin_requests (kind, target_id, reason, requested_by) VALUES ('disable', $1, '测试', $2) RETURNING id",
    )
    .bind(target)
    .bind(by)
    .fetch_one(conn)
    .await
    .unwrap()
}

/// The account `id` acting as `role`, for a transaction opened by hand.
fn actor(id: i64, role: Role) -> Actor {
    Actor {
        id: Some(id),
        name: "x".into(),
        role: Some(role),
        addr: None,
    }
}

/// The database's refusal of `sql` (`$1`, `$2`, … bound to `binds`) in a transaction of the
/// account `id` acting as `role` (rolled back).
async fn refusal(app: &TestApp, id: i64, role: Role, sql: &str, binds: &[i64]) -> String {
    let mut tx = audit::begin(app.pool(), &actor(id, role)).await.unwrap();
    let mut query = sqlx::query(sql);
    for b in binds {
        query = query.bind(*b);
    }
    match query.execute(&mut *tx).await {
        Ok(_) => panic!("{sql} was not refused"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn the_database_refuses_administrator_changes_without_an_approved_request() {
    let app = TestApp::new().await;
    let a = admins(&app).await;
    let refused = |e: sqlx::Error| e.to_string();

    // A system admin transaction cannot disable or reset an administrator directly.
    for sql in [
        "UPDATE users SET disabled = true WHERE id = $1",
        "UPDATE users SET password_hash = 'x' WHERE id = $1",
    ] {
        let err = refusal(&app, a.sys1, Role::Sysadmin, sql, &[a.audit1]).await;
        assert!(
            err.contains("approved by a second administrator"),
            "{sql}: {err}"
        );
    }
    // Nor can the security admin demote one directly.
    let err = refusal(
        &app,
        a.sec1,
        Role::Secadmin,
        "UPDATE users SET role = 'leader' WHERE id = $1",
        &[a.audit1],
    )
    .await;
    assert!(err.contains("approved by a second administrator"), "{err}");
    // An administrator still changes their own password.
    let mut tx = audit::begin(app.pool(), &actor(a.audit1, Role::Auditor))
        .await
        .unwrap();
    sqlx::query("UPDATE users SET password_hash = 'changed-by-owner' WHERE id = $1")
        .bind(a.audit1)
        .execute(&mut *tx)
        .await
        .unwrap();
    drop(tx);

    // Requests: only the right role files them, nobody decides their own, and a pending
    // request authorises nothing.
    let err = refusal(
        &app,
        a.audit1,
        Role::Auditor,
        "INSERT INTO admin_requests (kind, target_id, reason, requested_by) VALUES ('disable', $1, 'x', $2)",
        &[a.sys1, a.audit1],
    )
    .await;
    assert!(err.contains("only the system admin"), "{err}");

    let mut tx = audit::begin(app.pool(), &actor(a.sys1, Role::Sysadmin))
        .await
        .unwrap();
    let rid = pending_request(&mut tx, a.audit1, a.sys1).await;
    sqlx::query("SELECT set_config('kechuang.admin_request', $1, true)")
        .bind(rid.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let err = sqlx::query("UPDATE users SET disabled = true WHERE id = $1")
        .bind(a.audit1)
        .execute(&mut *tx)
        .await
        .map_err(refused)
        .unwrap_err();
    assert!(err.contains("approved by a second administrator"), "{err}");
    drop(tx);

    let mut tx = audit::begin(app.pool(), &actor(a.sys1, Role::Sysadmin))
        .await
        .unwrap();
    let rid = pending_request(&mut tx, a.audit1, a.sys1).await;
    let err = sqlx::query(
        "UPDATE admin_requests SET status = 'approved', decided_by = $2, decided_at = now() WHERE id = $1",
    )
    .bind(rid)
    .bind(a.sys1)
    .execute(&mut *tx)
    .await
    .map_err(refused)
    .unwrap_err();
    assert!(err.contains("second_person"), "{err}");
    drop(tx);

    // Reset links for an administrator need the approved request too.
    let err = refusal(
        &app,
        a.sys1,
        Role::Sysadmin,
        "INSERT INTO password_reset_links (user_id, token_hash, issued_by) VALUES ($1, '\\x00', $2)",
        &[a.sec1, a.sys1],
    )
    .await;
    assert!(err.contains("needs an approved request"), "{err}");
}
