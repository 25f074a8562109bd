//! The audit trail (append-only, hash-chained, verified), 三员分立 in the database, the
//! administrators' pages, the health check and the demo loader.

use crate::common;

use crate::common::{PASSWORD, TestApp};
use axum::http::StatusCode;
use kechuang::db::audit::{self, Actor};
use kechuang::domain::audit_chain::BreakKind;
use kechuang::domain::role::Role;

/// Some audited activity: sign-ins and a registry edit.
async fn activity(app: &TestApp) {
    app.user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    app.user("audit1", Some(Role::Auditor), None, None).await;
    let mut c = app.signed_in("staff1").await;
    c.get("/platforms").await;
    let mut other = app.client();
    other.login("staff1", "Wrong#Pass1").await;
    c.post("/logout", &[]).await;
}

/// The breaks the verifier lists, as (seq, kind).
async fn breaks(app: &TestApp) -> Vec<(i64, BreakKind)> {
    let result = audit::verify(app.pool()).await.unwrap();
    assert_eq!(result.total_breaks, result.breaks.len() as i64);
    result.breaks.into_iter().map(|b| (b.seq, b.kind)).collect()
}

#[tokio::test]
async fn an_intact_chain_verifies_in_the_auditor_page() {
    let app = TestApp::new().await;
    activity(&app).await;
    let result = audit::verify(app.pool()).await.unwrap();
    assert_eq!(result.breaks, vec![]);
    assert!(result.is_intact());
    assert!(result.checked >= 3);
    let mut auditor = app.signed_in("audit1").await;
    let page = auditor.get("/audit/verify").await;
    assert!(
        page.text("#verify-result").starts_with("校验通过"),
        "{}",
        page.text("#verify-result")
    );
}

#[tokio::test]
async fn the_verifier_names_an_altered_row() {
    let app = TestApp::new().await;
    activity(&app).await;
    app.db
        .bypassing_triggers(&["UPDATE audit_log SET actor_name = 'someone-else' WHERE seq = 2"])
        .await;
    assert_eq!(breaks(&app).await, vec![(2, BreakKind::Edited)]);
    let mut auditor = app.signed_in("audit1").await;
    let page = auditor.get("/audit/verify").await;
    assert!(
        page.text("#verify-result").contains("发现 1 处断裂"),
        "{}",
        page.text("#verify-result")
    );
    let rows = page.texts("#verify-breaks tbody tr");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].starts_with("2 "), "{}", rows[0]);
    assert!(rows[0].contains("内容被修改"), "{}", rows[0]);
    assert!(
        rows[0].contains("第 2 条记录的内容与其哈希不符"),
        "{}",
        rows[0]
    );
}

#[tokio::test]
async fn the_verifier_names_a_deleted_row() {
    let app = TestApp::new().await;
    activity(&app).await;
    app.db
        .bypassing_triggers(&["DELETE FROM audit_log WHERE seq = 2"])
        .await;
    assert_eq!(
        breaks(&app).await,
        vec![(2, BreakKind::Deleted { last_seq: 2 })]
    );
}

#[tokio::test]
async fn the_verifier_names_a_reordered_pair() {
    let app = TestApp::new().await;
    activity(&app).await;
    // Swap the contents of rows 2 and 3, hashes included, keeping the sequence numbers.
    app.db.bypassing_triggers(&["UPDATE audit_log a SET at = b.at, actor_id = b.actor_id, actor_name = b.actor_name, action = b.action,
                entity = b.entity, entity_id = b.entity_id, before = b.before, after = b.after,
                client_addr = b.client_addr, prev_hash = b.prev_hash, hash = b.hash
         FROM audit_log b WHERE (a.seq, b.seq) IN ((2, 3), (3, 2))"])
    .await;
    assert_eq!(
        breaks(&app).await,
        vec![
            (2, BreakKind::Moved { original_seq: 3 }),
            (3, BreakKind::Moved { original_seq: 2 })
        ]
    );
}

#[tokio::test]
async fn the_trail_is_append_only_for_the_application() {
    let app = TestApp::new().await;
    activity(&app).await;
    for sql in [
        "UPDATE audit_log SET action = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let err = sqlx::query(sql).execute(app.pool()).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}

#[tokio::test]
async fn the_database_keeps_administrators_out_of_business_data() {
    let app = TestApp::new().await;
    let sysadmin = app.user("sys1", Some(Role::Sysadmin), None, None).await;
    let secadmin = app.user("sec1", Some(Role::Secadmin), None, None).await;
    let actor = |id, role| Actor {
        id: Some(id),
        name: "x".into(),
        role: Some(role),
        addr: None,
    };

    // A sysadmin transaction cannot write a platform, whatever the web layer does.
    let mut tx = audit::begin(app.pool(), &actor(sysadmin, Role::Sysadmin))
        .await
        .unwrap();
    let err = sqlx::query("INSERT INTO platforms (code, name, jurisdiction_id, level) VALUES ('X-1', '某平台', 1, 'city')")
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("may not write business data"),
        "{err}"
    );
    drop(tx);

    // Only the security admin assigns roles, and never their own.
    let target = app.user("target", None, None, None).await;
    let mut tx = audit::begin(app.pool(), &actor(sysadmin, Role::Sysadmin))
        .await
        .unwrap();
    let err = sqlx::query("UPDATE users SET role = 'auditor' WHERE id = $1")
        .bind(target)
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("only the security admin"), "{err}");
    drop(tx);
    let mut tx = audit::begin(app.pool(), &actor(secadmin, Role::Secadmin))
        .await
        .unwrap();
    let err = sqlx::query("UPDATE users SET role = 'auditor' WHERE id = $1")
        .bind(secadmin)
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("own role"), "{err}");
    drop(tx);
    // One role per account: an account cannot be both security and audit admin.
    let err = sqlx::query("UPDATE users SET role = 'secadmin,auditor' WHERE id = $1")
        .bind(target)
        .execute(app.pool())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("check constraint") || err.to_string().contains("security admin"),
        "{err}"
    );
}

#[tokio::test]
async fn sysadmin_creates_secadmin_grants_and_the_user_starts_working() {
    let app = TestApp::new().await;
    let platform = app.platform("NT-2025-001", "320613").await;
    app.user("sys1", Some(Role::Sysadmin), None, None).await;
    app.user("sec1", Some(Role::Secadmin), None, None).await;

    // The system admin creates the account; the temporary password is shown once.
    let mut sys = app.signed_in("sys1").await;
    let bad = sys
        .post("/admin/users", &[("username", "A"), ("display_name", "")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text("#f-username-error").starts_with("用户名为3–32位"));
    assert_eq!(bad.text("#f-display_name-error"), "请填写姓名");
    let created = sys
        .post(
            "/admin/users",
            &[("username", "zhang.san"), ("display_name", "张三")],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK);
    let temporary = created.text("#issued-password");
    assert_eq!(temporary.len(), 14);
    let dup = sys
        .post(
            "/admin/users",
            &[("username", "zhang.san"), ("display_name", "张三")],
        )
        .await;
    assert_eq!(dup.text("#f-username-error"), "用户名已存在");

    // Without a role the account sees nothing.
    let mut zhang = app.client();
    assert_eq!(
        zhang.login("zhang.san", &temporary).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(zhang.get("/").await.location(), Some("/password"));
    let resp = zhang
        .post(
            "/password",
            &[
                ("current", &temporary),
                ("new", "Zhang#2026ab"),
                ("confirm", "Zhang#2026ab"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert!(
        zhang
            .get("/")
            .await
            .text("article p")
            .contains("尚未分配角色")
    );
    assert_eq!(
        zhang.get(&format!("/platforms/{platform}")).await.status,
        StatusCode::FORBIDDEN
    );

    // The security admin makes it an operator of the platform; an operator needs a platform.
    let uid: i64 = app
        .value("SELECT id FROM users WHERE username = 'zhang.san'")
        .await;
    let mut sec = app.signed_in("sec1").await;
    let form = sec.get(&format!("/security/users/{uid}")).await;
    let version = form.value("input[name=version]").unwrap();
    let missing = sec
        .post(
            &format!("/security/users/{uid}"),
            &[("role", "operator"), ("version", &version)],
        )
        .await;
    assert_eq!(
        missing.text("#f-platform_id-error"),
        "平台填报员须绑定一个平台"
    );
    let ok = sec
        .post(
            &format!("/security/users/{uid}"),
            &[
                ("role", "operator"),
                ("platform_id", &platform.to_string()),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(ok.location(), Some("/security/users?notice=saved"));
    // A second save from the same stale form is a conflict, not an overwrite.
    let stale = sec
        .post(
            &format!("/security/users/{uid}"),
            &[("role", "leader"), ("version", &version)],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    // The role change ended the account's sessions; after signing in again it lands on its
    // to-do list and sees its platform.
    assert_eq!(zhang.get("/").await.status, StatusCode::SEE_OTHER);
    let mut zhang = app.client();
    zhang.login("zhang.san", "Zhang#2026ab").await;
    assert_eq!(zhang.get("/").await.location(), Some("/todo"));
    assert_eq!(zhang.get("/todo").await.status, StatusCode::OK);
    assert_eq!(
        zhang.get(&format!("/platforms/{platform}")).await.status,
        StatusCode::OK
    );

    // The security admin cannot change their own role.
    let sec_id: i64 = app
        .value("SELECT id FROM users WHERE username = 'sec1'")
        .await;
    let form = sec.get(&format!("/security/users/{sec_id}")).await;
    let version = form.value("input[name=version]").unwrap();
    let own = sec
        .post(
            &format!("/security/users/{sec_id}"),
            &[("role", "auditor"), ("version", &version)],
        )
        .await;
    assert_eq!(own.text("#f-role-error"), "不能修改自己的角色（三员分立）");

    for action in ["user.create", "user.role", "password.change"] {
        assert!(app.audit_count(action).await >= 1, "{action} not audited");
    }
}

#[tokio::test]
async fn the_security_policy_is_validated_and_takes_effect() {
    let app = TestApp::new().await;
    app.user("sec1", Some(Role::Secadmin), None, None).await;
    app.user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    let mut sec = app.signed_in("sec1").await;
    let form = sec.get("/security/policy").await;
    let version = form.value("input[name=version]").unwrap();
    let mut fields = vec![
        ("min_length", "6"),
        ("min_classes", "3"),
        ("max_failures", "3"),
        ("lockout_minutes", "30"),
        ("idle_minutes", "30"),
        ("admin_idle_minutes", "15"),
        ("absolute_hours", "12"),
        ("password_max_age_days", "90"),
        ("version", &version),
    ];
    let bad = sec.post("/security/policy", &fields).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.text("#f-min_length-error"), "请输入 8–64 之间的整数");
    assert_eq!(
        bad.value("#f-max_failures").as_deref(),
        Some("3"),
        "typed values are kept"
    );
    fields[0] = ("min_length", "10");
    assert_eq!(
        sec.post("/security/policy", &fields).await.location(),
        Some("/security/policy?notice=policy_saved")
    );

    // Three failures now lock the account.
    let mut c = app.client();
    for _ in 0..3 {
        c.login("staff1", "Wrong#Pass1").await;
    }
    assert_eq!(
        c.login("staff1", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.audit_count("security_policy.update").await, 1);
}

#[tokio::test]
async fn the_auditor_filters_the_trail() {
    let app = TestApp::new().await;
    activity(&app).await;
    let mut auditor = app.signed_in("audit1").await;
    let page = auditor.get("/audit?action=login.failed").await;
    let rows = page.texts("#audit-log > tbody > tr");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains("staff1"));
    let page = auditor.get("/audit?actor=staff1").await;
    assert!(page.texts("#audit-log > tbody > tr").len() >= 3);
    let page = auditor.get("/audit?from=not-a-date").await;
    assert!(page.text(".field-error").contains("日期格式"));
}

#[tokio::test]
async fn health_reflects_the_database() {
    let app = TestApp::new().await;
    let mut c = app.client();
    let resp = c.get("/healthz").await;
    assert_eq!(resp.status, StatusCode::OK);

    let unreachable = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_millis(300))
        .connect_lazy("postgres://nobody@127.0.0.1:1/none")
        .unwrap();
    let router = kechuang::router(kechuang::AppState::new(unreachable, Default::default()));
    let resp = tower::ServiceExt::oneshot(
        router,
        axum::http::Request::get("/healthz")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn the_demo_dataset_loads_once_and_signs_in() {
    let app = TestApp::new().await;
    kechuang::demo::load(app.pool()).await.unwrap();
    kechuang::demo::load(app.pool()).await.unwrap();
    let platforms: i64 = app.value("SELECT count(*) FROM platforms").await;
    assert_eq!(platforms, kechuang::demo::PLATFORMS as i64);
    let stages: i64 = app
        .value("SELECT count(DISTINCT stage) FROM platforms")
        .await;
    assert_eq!(stages, 6);
    let years: i64 = app
        .value("SELECT count(DISTINCT year) FROM annual_figures")
        .await;
    assert!(years >= 5);
    // Last year some operating platforms broke even and some did not, as the leader's dashboard shows.
    let share = kechuang::db::dashboards::break_even_share(
        app.pool(),
        &kechuang::db::dashboards::Filter {
            scope: kechuang::domain::scope::PlatformScope::All,
            jurisdiction: None,
            category: None,
            year: kechuang::domain::calendar::last_complete_year(kechuang::clock::today()),
            today: kechuang::clock::today(),
            transition_months: 36,
        },
    )
    .await
    .unwrap();
    assert!(
        share.balanced >= 5 && share.unbalanced >= 5,
        "demo break-even: {share:?}"
    );
    // Every demo account signs in with the documented password and no forced change.
    for (username, _) in kechuang::demo::accounts() {
        let mut c = app.client();
        assert_eq!(
            c.login(username, kechuang::demo::PASSWORD).await.status,
            StatusCode::SEE_OTHER,
            "{username}"
        );
        assert_ne!(c.get("/").await.location(), Some("/password"), "{username}");
    }
    // The operator sees their platform and its figures, not another one.
    let mut op = app.client();
    op.login("demo-operator", kechuang::demo::PASSWORD).await;
    assert_eq!(op.get("/").await.location(), Some("/todo"));
    let own: i64 = app
        .value("SELECT platform_id FROM users WHERE username = 'demo-operator'")
        .await;
    let own = format!("/platforms/{own}");
    let page = op.get(&own).await;
    assert!(page.texts("#annual-figures tbody tr").len() >= 3);
    let other: i64 = app.value("SELECT max(id) FROM platforms").await;
    assert_eq!(
        op.get(&format!("/platforms/{other}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(audit::verify(app.pool()).await.unwrap().breaks, vec![]);
}

use crate::visible;

/// The audit log reads in Chinese: actions and entity types by name, who by display name and role,
/// what changed field by field; filters by person, action, type, platform and dates; the filtered
/// list exports to Excel, and the export is itself audited.
#[tokio::test]
async fn the_audit_log_reads_in_chinese_filters_and_exports() {
    let app = TestApp::new().await;
    activity(&app).await;
    let p = app.platform("AU-001", "320613").await;
    // A display name for the staff member.
    let mut tx = audit::begin(app.pool(), &Actor::system("test"))
        .await
        .unwrap();
    sqlx::query("UPDATE users SET display_name = '张科员' WHERE username = 'staff1'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // A change with a before and an after: staff add and then edit a checklist item.
    let mut staff = app.signed_in("staff1").await;
    let resp = staff
        .post(
            &format!("/platforms/{p}/checklist"),
            &[
                ("title", "修订章程"),
                ("owner", "平台办公室"),
                ("due_date", "2030-06-30"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);

    let mut auditor = app.signed_in("audit1").await;
    let page = auditor.get("/audit").await;
    assert_eq!(page.status, StatusCode::OK);
    let seen = visible::visible_text(&page.body);
    assert!(
        seen.contains("登录") && seen.contains("新增清单事项"),
        "{seen}"
    );
    assert!(seen.contains("张科员（科技局业务人员）"), "{seen}");
    assert!(seen.contains("清单事项"));
    assert!(seen.contains("标题") && seen.contains("修订章程"), "{seen}");
    for raw in [
        "checklist.create",
        "checklist_item",
        "login.failed",
        "\"title\"",
    ] {
        assert!(!seen.contains(raw), "{raw} shown");
    }
    assert_eq!(visible::bare_codes(&seen), Vec::<String>::new(), "{seen}");
    // The raw record is still there, behind 原始记录.
    assert!(page.text("details.raw summary").contains("原始记录"));

    // Filters: action, entity type, platform, person, dates.
    let only = auditor.get("/audit?action=checklist.create").await;
    assert_eq!(only.texts("#audit-log > tbody > tr").len(), 1);
    let by_type = auditor.get("/audit?entity=checklist_item").await;
    assert_eq!(by_type.texts("#audit-log > tbody > tr").len(), 1);
    let by_platform = auditor.get(&format!("/audit?platform={p}")).await;
    let rows = by_platform.texts("#audit-log > tbody > tr");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains("测试平台AU-001"));
    let by_person = auditor.get("/audit?actor=staff1").await;
    assert!(
        by_person
            .texts("#audit-log > tbody > tr td.who")
            .iter()
            .all(|w| w.contains("张科员"))
    );
    assert!(
        by_person
            .texts("#audit-filters select[name=actor] option")
            .iter()
            .any(|o| o == "张科员（科技局业务人员）")
    );
    let future = auditor.get("/audit?from=2999-01-01").await;
    assert!(future.texts("#audit-log > tbody > tr").is_empty());

    // Export with the same filter.
    let exports_before = app.audit_count("export.xlsx").await;
    let xlsx = auditor.get("/audit.xlsx?actor=staff1").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(app.audit_count("export.xlsx").await, exports_before + 1);
    let sheets = common::xlsx::read(&xlsx.bytes);
    let sheet = &sheets[0];
    assert_eq!(sheet.name, "审计日志");
    let actions: Vec<String> = sheet
        .column("操作")
        .iter()
        .map(|c| c.text.clone())
        .collect();
    assert!(
        actions.iter().any(|a| a.contains("新增清单事项")),
        "{actions:?}"
    );
    assert!(
        actions.iter().all(|a| !a.contains("checklist.")),
        "{actions:?}"
    );
    // Only the staff member's records.
    assert!(
        sheet
            .column("操作人")
            .iter()
            .all(|c| c.text.contains("张科员"))
    );
}
