//! Setup registration (设立登记): the operator fills in the dossier, staff approve it against the
//! checklist (an incomplete one is refused with every gap listed), field errors (USCC check
//! digit, a second chair, shares over 100%), the stale-edit conflict, and data scope.

use crate::common;

use crate::common::{Client, TestApp, platform};
use axum::http::StatusCode;
use kechuang::domain::role::Role;

/// A platform in the registration stage (no category unless `category`).
async fn registering(app: &TestApp, code: &str, jurisdiction: &str, category: bool) -> i64 {
    platform(code)
        .in_county(jurisdiction)
        .registering()
        .category(category.then_some("technical_service"))
        .insert(app)
        .await
}

/// A fresh app with NT-2026-001 being registered in 崇川区 (classified) and its operator `op1`.
async fn with_operator() -> (TestApp, i64) {
    let app = TestApp::new().await;
    let p = registering(&app, "NT-2026-001", "320613", true).await;
    app.user("op1", Some(Role::Operator), Some(p), None).await;
    (app, p)
}

/// [`with_operator`], and the city's staff member `staff1`.
async fn with_operator_and_staff() -> (TestApp, i64) {
    let (app, p) = with_operator().await;
    app.user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    (app, p)
}

/// The platform's plan names the 平台+运营管理公司 mode (its companies page then asks for one).
async fn plans_an_operating_company(app: &TestApp, platform: i64) {
    app.exec(
        "UPDATE registrations SET operating_modes = '{operating_company}' WHERE platform_id = $1",
        platform,
    )
    .await;
}

/// A document row of `kind` on file for the platform (the upload pages are another feature).
async fn document(app: &TestApp, platform: i64, kind: &str) {
    sqlx::query("INSERT INTO documents (platform_id, kind, title) VALUES ($1, $2, $3)")
        .bind(platform)
        .bind(kind)
        .bind(format!("测试{kind}"))
        .execute(app.pool())
        .await
        .unwrap();
}

/// Sets the charter's status (`draft`, `approved`, …) on the dossier.
async fn set_charter(c: &mut Client, platform: i64, status: &str) -> common::Resp {
    c.post(
        &format!("/platforms/{platform}/registration/charter"),
        &[("charter_status", status)],
    )
    .await
}

/// Adds a company of `mode` (`operating_company`, `industrialization_company`) to the dossier.
async fn add_company(
    c: &mut Client,
    platform: i64,
    mode: &str,
    name: &str,
    uscc: &str,
) -> common::Resp {
    c.post(
        &format!("/platforms/{platform}/registration/companies"),
        &[("mode", mode), ("name", name), ("uscc", uscc)],
    )
    .await
}

/// Approves the registration (confirmed) with this reason.
async fn approve(c: &mut Client, platform: i64, reason: &str) -> common::Resp {
    c.post(
        &format!("/platforms/{platform}/approve"),
        &[("reason", reason), ("confirm", "yes")],
    )
    .await
}

/// Adds a decision body through the form; returns its id.
async fn add_body(c: &mut Client, platform: i64, kind: &str, name: &str) -> i64 {
    let resp = c
        .post(
            &format!("/platforms/{platform}/registration/bodies"),
            &[("kind", kind), ("name", name)],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    // → /platforms/{id}/registration/bodies/{body_id}/members/new?notice=decision_body_saved
    let location = resp.location().unwrap();
    location.split('/').nth(5).unwrap().parse().unwrap()
}

async fn add_member(
    c: &mut Client,
    platform: i64,
    body: i64,
    name: &str,
    chair: bool,
) -> common::Resp {
    let mut fields = vec![
        ("name", name),
        ("position", if chair { "理事长" } else { "理事" }),
        ("affiliation", "示例大学"),
    ];
    if chair {
        fields.push(("is_chair", "on"));
    }
    c.post(
        &format!("/platforms/{platform}/registration/bodies/{body}/members"),
        &fields,
    )
    .await
}

/// Submits the dossier for approval (as whoever `c` is signed in as).
async fn submit(c: &mut Client, platform: i64) -> common::Resp {
    c.post(&format!("/platforms/{platform}/registration/submit"), &[])
        .await
}

async fn review_status(app: &TestApp, platform: i64) -> String {
    app.scalar(
        "SELECT status FROM registrations WHERE platform_id = $1",
        platform,
    )
    .await
}

async fn controlling(app: &TestApp, company: i64) -> bool {
    app.scalar(
        "SELECT mgmt_cash_controlling FROM platform_companies WHERE id = $1",
        company,
    )
    .await
}

const VALID_USCC: &str = "91320600MA1M9QX7K8";

#[tokio::test]
async fn the_operator_fills_in_the_dossier_of_their_own_platform() {
    let (app, p) = with_operator().await;
    let mut op = app.signed_in("op1").await;

    // The empty dossier says what to do next.
    let page = op.get(&format!("/platforms/{p}/registration")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("#charter-status"), "未制定");
    assert!(page.text("#bodies .empty").contains("尚未组建决策机构"));
    assert!(page.text("#plan-targets").contains("尚未填写"));
    let docs = page.texts(".doc");
    assert_eq!(docs.len(), 3);
    assert!(docs.iter().all(|d| d.contains("未上传")), "{docs:?}");
    assert!(
        page.body
            .contains(&format!("/platforms/{p}/documents?kind=charter"))
    );
    // Operators never see the approval button.
    assert!(page.texts("#approve-link").is_empty());

    // Charter: the operator drafts it.
    let resp = set_charter(&mut op, p, "draft").await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);

    // A council with three members, the first one chairing.
    let body = add_body(&mut op, p, "council", "第一届理事会").await;
    for (name, chair) in [("张明远", true), ("李思齐", false), ("王海波", false)] {
        let resp = add_member(&mut op, p, body, name, chair).await;
        assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    }

    // Plan targets and modes.
    let form = op.get(&format!("/platforms/{p}/registration/plan")).await;
    let version = form.value("input[name=version]").unwrap();
    let resp = op
        .post(
            &format!("/platforms/{p}/registration/plan"),
            &[
                ("version", &version),
                ("plan_targets", "三年内孵化科技型企业10家"),
                ("mode_operating_company", "on"),
                ("mode_proof_of_concept_center", "on"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);

    // The operating company, with a shareholder: management holds 55% in cash.
    let page = op.get(&format!("/platforms/{p}/registration")).await;
    assert!(
        page.text(".company-missing").contains("尚未登记公司信息"),
        "a ticked company mode asks for its company"
    );
    let resp = add_company(
        &mut op,
        p,
        "operating_company",
        "示例运营管理有限公司",
        " 91320600ma1m9qx7k8 ",
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let company: i64 = resp
        .location()
        .unwrap()
        .split('/')
        .nth(5)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    for (name, pct, contribution, mgmt) in [
        ("管理团队持股平台", "55", "cash", true),
        ("依托单位", "45", "ip", false),
    ] {
        let mut fields = vec![
            ("name", name),
            ("share_pct", pct),
            ("contribution", contribution),
        ];
        if mgmt {
            fields.push(("is_management", "on"));
        }
        let resp = op
            .post(
                &format!("/platforms/{p}/registration/companies/{company}/shareholders"),
                &fields,
            )
            .await;
        assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    }

    let page = op.get(&format!("/platforms/{p}/registration")).await;
    assert_eq!(page.text("#charter-status"), "草案");
    assert_eq!(page.texts("#bodies table.members tbody tr").len(), 3);
    assert!(page.text("#bodies h3").contains("3人"));
    assert!(page.text("#bodies h3").contains("✓ 符合要求"));
    assert_eq!(page.text("#plan-targets"), "三年内孵化科技型企业10家");
    assert_eq!(
        page.texts("#mode-list li.on"),
        vec!["✓ 平台+运营管理公司", "✓ 平台+概念验证中心"]
    );
    assert_eq!(page.text(".company .uscc"), VALID_USCC);
    assert!(page.text(".company .mgmt-control").starts_with("是"));
    assert_eq!(page.text(".company .total"), "100.00%");
    // The checklist shows what staff will still miss.
    let unmet: Vec<_> = page
        .doc()
        .select(&scraper::Selector::parse("#checklist tr.unmet").unwrap())
        .map(|r| r.value().attr("data-requirement").unwrap().to_string())
        .collect();
    assert_eq!(unmet, ["charter", "agreement", "plan"]);

    // Every write is in the audit trail.
    for (action, n) in [
        ("registration.charter", 1),
        ("decision_body.create", 1),
        ("decision_body_member.create", 3),
        ("registration.plan", 1),
        ("company.create", 1),
        ("company_shareholder.create", 2),
    ] {
        assert_eq!(app.audit_count(action).await, n, "{action}");
    }
    let controlling: bool = app
        .scalar(
            "SELECT mgmt_cash_controlling FROM platform_companies WHERE platform_id = $1",
            p,
        )
        .await;
    assert!(controlling, "derived from the shareholders");
}

#[tokio::test]
async fn the_operator_cannot_approve_the_charter_nor_the_registration() {
    let (app, p) = with_operator().await;
    let mut op = app.signed_in("op1").await;

    let resp = set_charter(&mut op, p, "approved").await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    assert!(resp.body.contains("只有科技局业务人员可以审批章程"));
    let status: String = app
        .scalar(
            "SELECT charter_status FROM registrations WHERE platform_id = $1",
            p,
        )
        .await;
    assert_eq!(status, "none");
    // The operator's charter form does not even offer it.
    let page = op.get(&format!("/platforms/{p}/registration")).await;
    assert!(
        page.texts("#f-charter_status option[value=approved]")
            .is_empty()
    );

    // The approval routes are staff-only: the guard refuses.
    let resp = op.get(&format!("/platforms/{p}/approve")).await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    let resp = approve(&mut op, p, "同意").await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    assert_eq!(app.stage(p).await, "registration");
    assert_eq!(app.audit_count("registration.approve").await, 0);
}

#[tokio::test]
async fn an_approved_charter_stays_with_staff() {
    let (app, p) = with_operator_and_staff().await;
    let mut staff = app.signed_in("staff1").await;
    document(&app, p, "charter").await;
    let resp = set_charter(&mut staff, p, "approved").await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    // A key event on the timeline, with the charter document.
    let (summary, doc): (String, Option<i64>) = sqlx::query_as(
        "SELECT summary, document_id FROM lifecycle_events WHERE platform_id = $1 AND kind = 'charter.approved'",
    )
    .bind(p)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(summary, "章程审批通过");
    assert!(doc.is_some());
    // The write refreshed the platform's findings itself (not the guard, not the daily run).
    let charter: String = app.finding(p, "REG-CHARTER").await;
    assert_eq!(charter, "pass");

    let mut op = app.signed_in("op1").await;
    let resp = set_charter(&mut op, p, "draft").await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    assert!(resp.body.contains("章程已审批"));
    let page = op.get(&format!("/platforms/{p}/registration")).await;
    assert!(page.texts("#charter-form").is_empty());
    assert_eq!(page.text("#charter-status"), "已审批");
}

#[tokio::test]
async fn approving_an_incomplete_registration_lists_every_gap() {
    let app = TestApp::new().await;
    let p = registering(&app, "NT-2026-001", "320613", false).await;
    let mut staff = app.staff_signed_in("staff1", "320600").await;

    let page = staff.get(&format!("/platforms/{p}/approve")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("#checklist tr.unmet").len(), 5);
    assert!(page.text("#checklist-summary").contains("尚不齐全"));
    let links: Vec<String> = page
        .doc()
        .select(&scraper::Selector::parse("#checklist tr.unmet a").unwrap())
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(
        links,
        [
            format!("/platforms/{p}/registration#charter"),
            format!("/platforms/{p}/registration#bodies"),
            format!("/platforms/{p}/documents?kind=co_building_agreement"),
            format!("/platforms/{p}/documents?kind=construction_plan"),
            format!("/platforms/{p}/edit"),
        ]
    );

    // Submitted as it is (the page warns that it is incomplete), then refused on approval.
    let page = staff.get(&format!("/platforms/{p}/registration")).await;
    assert!(page.text("#submit-form").contains("尚不齐全"));
    assert_eq!(submit(&mut staff, p).await.status, StatusCode::SEE_OTHER);
    let resp = approve(&mut staff, p, "同意设立").await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.texts("#refusal li"),
        vec![
            "章程尚未审批",
            "尚未组建决策机构（理事会/董事会/管委会）",
            "缺少共建协议",
            "缺少建设方案",
            "未设置功能定位（平台类别）",
        ]
    );
    assert_eq!(resp.text("#f-reason"), "同意设立", "the remarks are kept");

    // A body that is too small is named as such.
    let body = add_body(&mut staff, p, "board", "董事会").await;
    add_member(&mut staff, p, body, "张明远", true).await;
    add_member(&mut staff, p, body, "李思齐", false).await;
    let resp = approve(&mut staff, p, "同意设立").await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.texts("#refusal li")
            .contains(&"决策机构成员不足3人或未设负责人".to_string())
    );

    assert_eq!(app.stage(p).await, "registration");
    assert_eq!(
        app.scalar::<i64>(
            "SELECT count(*) FROM lifecycle_events WHERE platform_id = $1 AND kind = 'registration.approved'",
            p,
        )
        .await,
        0
    );
    assert_eq!(app.audit_count("registration.approve").await, 0);
}

#[tokio::test]
async fn staff_approve_a_complete_registration() {
    let app = TestApp::new().await;
    let p = registering(&app, "NT-2026-001", "320613", true).await;
    let staff_id = app
        .user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    let mut staff = app.signed_in("staff1").await;

    // Complete the dossier: charter approved, a council of three with a chair, the two documents.
    let resp = set_charter(&mut staff, p, "approved").await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let body = add_body(&mut staff, p, "council", "第一届理事会").await;
    for (name, chair) in [("张明远", true), ("李思齐", false), ("王海波", false)] {
        add_member(&mut staff, p, body, name, chair).await;
    }
    document(&app, p, "co_building_agreement").await;
    document(&app, p, "construction_plan").await;

    // Not submitted yet: the page says so and offers no approval.
    let page = staff.get(&format!("/platforms/{p}/approve")).await;
    assert!(page.texts("#approve-form").is_empty());
    assert!(page.text("#not-reviewable").contains("尚未提交审批"));
    let resp = approve(&mut staff, p, "材料齐全，同意设立").await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert_eq!(app.stage(p).await, "registration");
    assert_eq!(submit(&mut staff, p).await.status, StatusCode::SEE_OTHER);

    let page = staff.get(&format!("/platforms/{p}/approve")).await;
    assert_eq!(page.texts("#checklist tr.met").len(), 5);
    assert!(page.texts("#checklist tr.unmet").is_empty());
    assert!(
        page.body.contains("name=\"confirm_prompt\""),
        "an irreversible action asks first"
    );

    // No remarks, no confirmation: refused, nothing moves.
    let resp = staff.post(&format!("/platforms/{p}/approve"), &[]).await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.texts("#refusal li"), vec!["请填写理由"]);
    assert_eq!(
        resp.text("#f-confirm-error"),
        "请勾选确认已核对全部登记材料"
    );
    assert_eq!(app.stage(p).await, "registration");

    let resp = approve(&mut staff, p, "材料齐全，同意设立").await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(app.stage(p).await, "operating");
    let (since, today): (chrono::NaiveDate, chrono::NaiveDate) = sqlx::query_as(
        "SELECT operating_since, (now() AT TIME ZONE 'Asia/Shanghai')::date FROM platforms WHERE id = $1",
    )
    .bind(p)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(since, today);
    let (approved_by, approved): (Option<i64>, bool) = sqlx::query_as(
        "SELECT approved_by, approved_at IS NOT NULL FROM registrations WHERE platform_id = $1",
    )
    .bind(p)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(approved_by, Some(staff_id));
    assert!(approved);

    let (from, to, reason, actor): (Option<String>, Option<String>, String, String) =
        sqlx::query_as(
            "SELECT from_stage, to_stage, reason, actor_name FROM lifecycle_events
         WHERE platform_id = $1 AND kind = 'registration.approved'",
        )
        .bind(p)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(from.as_deref(), Some("registration"));
    assert_eq!(to.as_deref(), Some("operating"));
    assert_eq!(reason, "材料齐全，同意设立");
    assert_eq!(actor, "staff1");
    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE action = 'registration.approve' AND entity_id = $1",
    )
    .bind(p.to_string())
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(before["stage"], "registration");
    assert_eq!(after["stage"], "operating");
    assert_eq!(after["reason"], "材料齐全，同意设立");

    let page = staff
        .get(&format!(
            "/platforms/{p}/registration?notice=registration_approved"
        ))
        .await;
    assert!(page.text("#approval-status").contains("审批通过"));
    assert!(page.texts("#approve-link").is_empty());

    // Approving twice is refused: the platform is no longer registering.
    let resp = approve(&mut staff, p, "再次审批").await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.texts("#refusal li"),
        vec!["当前阶段为「运行中」，不能执行「审批设立登记」"]
    );
    assert_eq!(app.audit_count("registration.approve").await, 1);
}

#[tokio::test]
async fn county_staff_cannot_touch_another_countys_platform() {
    let app = TestApp::new().await;
    let own = registering(&app, "NT-2026-001", "320613", true).await;
    let other = registering(&app, "NT-2026-002", "320614", true).await;
    app.user("county1", Some(Role::Staff), None, Some("320613"))
        .await;
    let mut c = app.signed_in("county1").await;

    assert_eq!(
        c.get(&format!("/platforms/{own}/registration"))
            .await
            .status,
        StatusCode::OK
    );
    for path in [
        "registration",
        "approve",
        "registration/plan",
        "registration/bodies/new",
    ] {
        // Out of scope answers as if it did not exist (no enumeration of ids).
        let resp = c.get(&format!("/platforms/{other}/{path}")).await;
        assert_eq!(resp.status, StatusCode::NOT_FOUND, "GET {path}");
    }
    for (path, fields) in [
        ("registration/charter", vec![("charter_status", "approved")]),
        (
            "registration/bodies",
            vec![("kind", "council"), ("name", "理事会")],
        ),
        ("approve", vec![("reason", "同意"), ("confirm", "yes")]),
    ] {
        let resp = c.post(&format!("/platforms/{other}/{path}"), &fields).await;
        assert_eq!(resp.status, StatusCode::NOT_FOUND, "POST {path}");
    }
    assert_eq!(
        app.scalar::<i64>(
            "SELECT count(*) FROM decision_bodies WHERE platform_id = $1",
            other
        )
        .await,
        0
    );
    assert_eq!(app.stage(other).await, "registration");
}

#[tokio::test]
async fn records_of_another_platform_are_not_found_through_ones_own() {
    let app = TestApp::new().await;
    let mine = registering(&app, "NT-2026-001", "320613", true).await;
    let theirs = registering(&app, "NT-2026-002", "320613", true).await;
    app.user("op1", Some(Role::Operator), Some(mine), None)
        .await;
    let mut staff = app.staff_signed_in("staff1", "320600").await;
    let body = add_body(&mut staff, theirs, "council", "理事会").await;
    add_member(&mut staff, theirs, body, "张明远", true).await;
    let member: i64 = app
        .scalar(
            "SELECT id FROM decision_body_members WHERE body_id = $1",
            body,
        )
        .await;

    let mut op = app.signed_in("op1").await;
    // Their platform directly: the guard.
    let resp = op.get(&format!("/platforms/{theirs}/registration")).await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    // Their records through my platform's paths: not found.
    for path in [
        format!("/platforms/{mine}/registration/bodies/{body}"),
        format!("/platforms/{mine}/registration/members/{member}"),
        format!("/platforms/{mine}/registration/bodies/{body}/members/new"),
    ] {
        assert_eq!(op.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    for path in [
        format!("/platforms/{mine}/registration/members/{member}/delete"),
        format!("/platforms/{mine}/registration/bodies/{body}/delete"),
    ] {
        assert_eq!(
            op.post(&path, &[]).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let resp = op
        .post(
            &format!("/platforms/{mine}/registration/members/{member}"),
            &[("name", "篡改")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    let name: String = app
        .scalar(
            "SELECT name FROM decision_body_members WHERE id = $1",
            member,
        )
        .await;
    assert_eq!(name, "张明远");
}

#[tokio::test]
async fn leader_and_advisor_read_but_never_write() {
    let app = TestApp::new().await;
    let p = registering(&app, "NT-2026-001", "320613", true).await;
    let other = registering(&app, "NT-2026-002", "320613", true).await;
    app.user("leader1", Some(Role::Leader), None, None).await;
    let advisor = app.user("adv1", Some(Role::Advisor), None, None).await;
    sqlx::query("UPDATE platforms SET advisor_id = $2 WHERE id = $1")
        .bind(p)
        .bind(advisor)
        .execute(app.pool())
        .await
        .unwrap();

    for username in ["leader1", "adv1"] {
        let mut c = app.signed_in(username).await;
        let page = c.get(&format!("/platforms/{p}/registration")).await;
        assert_eq!(page.status, StatusCode::OK, "{username}");
        assert!(page.texts("#charter-form").is_empty(), "{username}");
        assert!(
            !page.body.contains("/registration/bodies/new"),
            "{username}"
        );
        let resp = c
            .post(
                &format!("/platforms/{p}/registration/bodies"),
                &[("kind", "council"), ("name", "理事会")],
            )
            .await;
        assert_eq!(resp.status, StatusCode::FORBIDDEN, "{username}");
        let resp = c.get(&format!("/platforms/{p}/approve")).await;
        assert_eq!(resp.status, StatusCode::FORBIDDEN, "{username}");
    }
    // The advisor sees only assigned platforms.
    let mut adv = app.signed_in("adv1").await;
    assert_eq!(
        adv.get(&format!("/platforms/{other}/registration"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_invalid_uscc_is_a_field_error_and_keeps_what_was_typed() {
    let (app, p) = with_operator().await;
    let mut op = app.signed_in("op1").await;
    plans_an_operating_company(&app, p).await;

    let resp = add_company(
        &mut op,
        p,
        "operating_company",
        "示例运营管理有限公司",
        "91320600MA1M9QX7K9",
    )
    .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.text("#f-uscc-error"),
        "统一社会信用代码校验位错误（第18位应为“8”，实际为“9”）"
    );
    assert_eq!(resp.value("#f-uscc").as_deref(), Some("91320600MA1M9QX7K9"));
    assert_eq!(
        resp.value("#f-name").as_deref(),
        Some("示例运营管理有限公司")
    );
    assert!(resp.text(".form-error").contains("1 处"));

    // A mode the dossier has not ticked is refused too.
    let resp = add_company(
        &mut op,
        p,
        "industrialization_company",
        "示例产业化有限公司",
        VALID_USCC,
    )
    .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.text("#f-mode-error"),
        "请先在运营模式中勾选「平台+产业化公司」"
    );
    assert_eq!(
        app.scalar::<i64>(
            "SELECT count(*) FROM platform_companies WHERE platform_id = $1",
            p
        )
        .await,
        0
    );

    // One company per mode: the constraint becomes a field error.
    let ok = add_company(
        &mut op,
        p,
        "operating_company",
        "示例运营管理有限公司",
        VALID_USCC,
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let again = add_company(
        &mut op,
        p,
        "operating_company",
        "另一家公司",
        "9144030071526726XG",
    )
    .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        again.text("#f-mode-error"),
        "该类型的公司已登记，请编辑已有记录"
    );
    assert_eq!(again.value("#f-name").as_deref(), Some("另一家公司"));
}

#[tokio::test]
async fn a_second_chair_is_a_field_error() {
    let (app, p) = with_operator().await;
    let mut op = app.signed_in("op1").await;
    let body = add_body(&mut op, p, "council", "理事会").await;
    assert_eq!(
        add_member(&mut op, p, body, "张明远", true).await.status,
        StatusCode::SEE_OTHER
    );
    let resp = add_member(&mut op, p, body, "李思齐", true).await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text("#f-is_chair-error")
            .starts_with("该决策机构已有负责人")
    );
    assert_eq!(resp.value("#f-name").as_deref(), Some("李思齐"));
    assert_eq!(resp.value("#f-position").as_deref(), Some("理事长"));

    // Promoting an existing member to chair is refused the same way.
    assert_eq!(
        add_member(&mut op, p, body, "王海波", false).await.status,
        StatusCode::SEE_OTHER
    );
    let wang: i64 = app
        .value("SELECT id FROM decision_body_members WHERE name = '王海波'")
        .await;
    let resp = op
        .post(
            &format!("/platforms/{p}/registration/members/{wang}"),
            &[("name", "王海波"), ("is_chair", "on")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text("#f-is_chair-error")
            .starts_with("该决策机构已有负责人")
    );
    let chairs = app
        .scalar::<i64>(
            "SELECT count(*) FROM decision_body_members WHERE body_id = $1 AND is_chair",
            body,
        )
        .await;
    assert_eq!(chairs, 1);
    assert_eq!(app.audit_count("decision_body_member.create").await, 2);
    assert_eq!(app.audit_count("decision_body_member.update").await, 0);
}

#[tokio::test]
async fn shares_sum_to_at_most_one_hundred_percent_and_control_is_derived() {
    let (app, p) = with_operator().await;
    let mut op = app.signed_in("op1").await;
    plans_an_operating_company(&app, p).await;
    add_company(
        &mut op,
        p,
        "operating_company",
        "示例运营管理有限公司",
        VALID_USCC,
    )
    .await;
    let company: i64 = app
        .scalar(
            "SELECT id FROM platform_companies WHERE platform_id = $1",
            p,
        )
        .await;
    let add = |name: &'static str, pct: &'static str, contribution: &'static str, mgmt: bool| {
        let mut fields = vec![
            ("name", name),
            ("share_pct", pct),
            ("contribution", contribution),
        ];
        if mgmt {
            fields.push(("is_management", "on"));
        }
        fields
    };
    let path = format!("/platforms/{p}/registration/companies/{company}/shareholders");
    let resp = op.post(&path, &add("依托单位", "60", "cash", false)).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let resp = op
        .post(&path, &add("管理团队", "40.01", "cash", true))
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.text("#f-share_pct-error"),
        "各股东持股比例合计不能超过100%（其他股东已占60.00%，本股东最多40.00%）"
    );
    assert_eq!(resp.value("#f-share_pct").as_deref(), Some("40.01"));
    let resp = op.post(&path, &add("管理团队", "40", "cash", true)).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert!(!controlling(&app, company).await, "40% is not control");
    // The other shareholder sells down to 45%, management takes 55% in cash: control.
    let (holder, team): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT id FROM company_shareholders WHERE name = '依托单位'),
                (SELECT id FROM company_shareholders WHERE name = '管理团队')",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    let resp = op
        .post(
            &format!("/platforms/{p}/registration/shareholders/{holder}"),
            &add("依托单位", "45", "cash", false),
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let resp = op
        .post(
            &format!("/platforms/{p}/registration/shareholders/{team}"),
            &add("管理团队", "55", "cash", true),
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert!(controlling(&app, company).await);
    let page = op.get(&format!("/platforms/{p}/registration")).await;
    assert!(page.text(".company .mgmt-control").starts_with("是"));
    assert!(page.text(".company .mgmt-control").contains("55.00%"));
    // Deleting management's stake re-derives it.
    let resp = op
        .post(
            &format!("/platforms/{p}/registration/shareholders/{team}/delete"),
            &[],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert!(!controlling(&app, company).await);
    assert_eq!(app.audit_count("company_shareholder.delete").await, 1);
}

#[tokio::test]
async fn a_stale_plan_edit_is_a_conflict() {
    let (app, p) = with_operator_and_staff().await;
    let mut op = app.signed_in("op1").await;
    let mut staff = app.signed_in("staff1").await;
    let path = format!("/platforms/{p}/registration/plan");
    let v_op = op.get(&path).await.value("input[name=version]").unwrap();
    let v_staff = staff.get(&path).await.value("input[name=version]").unwrap();
    assert_eq!(v_op, v_staff);

    let resp = staff
        .post(
            &path,
            &[
                ("version", &v_staff),
                ("plan_targets", "业务人员的目标"),
                ("mode_joint_innovation_center", "on"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let resp = op
        .post(
            &path,
            &[("version", &v_op), ("plan_targets", "填报员的目标")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert_eq!(
        resp.texts("#conflict-table tbody tr:nth-child(1) td"),
        vec!["填报员的目标", "业务人员的目标"]
    );
    assert_eq!(
        resp.texts("#conflict-table tbody tr:nth-child(2) td"),
        vec!["未选择", "平台+联合创新中心"]
    );
    assert_eq!(resp.texts("#conflict-table tr.differs").len(), 2);
    let targets: String = app
        .scalar(
            "SELECT plan_targets FROM registrations WHERE platform_id = $1",
            p,
        )
        .await;
    assert_eq!(targets, "业务人员的目标", "nothing was overwritten");
    assert_eq!(app.audit_count("registration.plan").await, 1);
}

#[tokio::test]
async fn a_platform_that_has_exited_keeps_its_dossier_read_only() {
    let app = TestApp::new().await;
    let p = platform("NT-2020-001").stage("exited").insert(&app).await;
    let mut staff = app.staff_signed_in("staff1", "320600").await;
    let page = staff.get(&format!("/platforms/{p}/registration")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts("#charter-form").is_empty());
    let resp = staff
        .post(
            &format!("/platforms/{p}/registration/bodies"),
            &[("kind", "council"), ("name", "理事会")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(resp.body.contains("不能再修改"));
}

#[tokio::test]
async fn deleting_a_body_removes_its_members_and_is_audited() {
    let (app, p) = with_operator().await;
    let mut op = app.signed_in("op1").await;
    let body = add_body(&mut op, p, "management_committee", "管委会").await;
    add_member(&mut op, p, body, "张明远", true).await;
    let resp = op
        .post(
            &format!("/platforms/{p}/registration/bodies/{body}"),
            &[("kind", "management_committee"), ("name", "第二届管委会")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let page = op.get(&format!("/platforms/{p}/registration")).await;
    assert!(page.text("#bodies h3").starts_with("第二届管委会"));
    assert!(page.body.contains("data-confirm="));
    let resp = op
        .post(
            &format!("/platforms/{p}/registration/bodies/{body}/delete"),
            &[],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar::<i64>(
            "SELECT count(*) FROM decision_body_members WHERE body_id = $1",
            body
        )
        .await,
        0
    );
    let before: serde_json::Value = app
        .value("SELECT before FROM audit_log WHERE action = 'decision_body.delete'")
        .await;
    assert_eq!(before["body"]["name"], "第二届管委会");
    assert_eq!(before["members"][0]["name"], "张明远");
}

#[tokio::test]
async fn the_demo_city_has_complete_and_partial_dossiers() {
    use kechuang::domain::lifecycle::{Transition, missing};
    use kechuang::domain::uscc::Uscc;

    let app = TestApp::with_demo().await;
    let platforms: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, stage FROM platforms ORDER BY id")
            .fetch_all(app.pool())
            .await
            .unwrap();
    let mut conn = app.pool().acquire().await.unwrap();
    let mut approvable = Vec::new();
    let mut gaps = Vec::new();
    for (id, stage) in &platforms {
        let facts = kechuang::db::registration::lifecycle_facts(&mut conn, *id, "同意")
            .await
            .unwrap()
            .unwrap();
        let missing = missing(Transition::ApproveRegistration, &facts);
        if stage == "registration" {
            if missing.is_empty() {
                approvable.push(*id);
            } else {
                gaps.push(missing);
            }
        } else {
            assert!(missing.is_empty(), "platform {id} ({stage}): {missing:?}");
            let members: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM decision_body_members m JOIN decision_bodies b ON b.id = m.body_id
                 WHERE b.platform_id = $1",
            )
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
            assert!(
                (5..=9).contains(&members),
                "platform {id}: {members} members"
            );
        }
    }
    assert_eq!(approvable.len(), 1, "one registration is ready to approve");
    assert!(gaps.len() >= 2);
    gaps.dedup();
    assert!(gaps.len() >= 2, "the gaps differ: {gaps:?}");

    // Every company has a valid USCC and a company mode that is ticked.
    let companies: Vec<(String, bool)> = sqlx::query_as(
        "SELECT c.uscc, c.mode = ANY(r.operating_modes) FROM platform_companies c
         JOIN registrations r ON r.platform_id = c.platform_id",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert!(companies.len() > 20);
    for (uscc, ticked) in &companies {
        assert!(Uscc::parse(uscc).is_ok(), "{uscc}");
        assert!(ticked);
    }
    // The documents are real PDFs with their SHA-256.
    let bad: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM document_versions
         WHERE substring(content from 1 for 8) <> '%PDF-1.4'::bytea
            OR sha256 <> encode(sha256(content), 'hex') OR size_bytes <> length(content)",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(bad, 0);
    drop(conn);

    // Staff can approve the ready one in the browser.
    let mut staff = app.client();
    staff.login("demo-staff", kechuang::demo::PASSWORD).await;
    let page = staff
        .get(&format!("/platforms/{}/approve", approvable[0]))
        .await;
    assert_eq!(page.texts("#checklist tr.met").len(), 5);
    assert_eq!(page.text("#review-status"), "已提交，待审批");
    let resp = staff
        .post(
            &format!("/platforms/{}/approve", approvable[0]),
            &[("reason", "演示审批"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
}

// ---- 退回补正: return with reasons, correct, resubmit, approve ------------------------------

/// The history rows of the registration page: `(事项, 经办人)`.
fn history(page: &common::Resp) -> Vec<(String, String)> {
    page.cells("#review-history tbody tr")
        .into_iter()
        .map(|cells| (cells[1].clone(), cells[2].clone()))
        .collect()
}

#[tokio::test]
async fn a_registration_is_returned_with_reasons_corrected_resubmitted_and_approved() {
    let (app, p) = with_operator_and_staff().await;
    let mut staff = app.signed_in("staff1").await;
    let mut op = app.signed_in("op1").await;

    // The operator files a dossier with a council of two; staff approved the charter.
    let resp = set_charter(&mut staff, p, "approved").await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let body = add_body(&mut op, p, "council", "第一届理事会").await;
    add_member(&mut op, p, body, "张明远", true).await;
    add_member(&mut op, p, body, "李思齐", false).await;
    document(&app, p, "co_building_agreement").await;
    document(&app, p, "construction_plan").await;
    let page = op.get(&format!("/platforms/{p}/registration")).await;
    assert_eq!(page.text("#review-status"), "填报中（尚未提交审批）");
    assert_eq!(page.text("#submit-form button"), "提交审批");
    let resp = submit(&mut op, p).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(review_status(&app, p).await, "submitted");
    assert_eq!(
        submit(&mut op, p).await.status,
        StatusCode::CONFLICT,
        "a submitted dossier is not submitted twice"
    );
    // The operator decides nothing.
    assert_eq!(
        op.get(&format!("/platforms/{p}/approve")).await.status,
        StatusCode::FORBIDDEN
    );
    let resp = op
        .post(
            &format!("/platforms/{p}/registration/return"),
            &[("r_bodies", "自己退回")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);

    // Staff return it: at least one part must carry a reason; what was typed is kept.
    let page = staff.get(&format!("/platforms/{p}/approve")).await;
    assert_eq!(page.texts("#return-form").len(), 1);
    assert_eq!(page.texts("#approve-form").len(), 1);
    let resp = staff
        .post(
            &format!("/platforms/{p}/registration/return"),
            &[("comment", "请补正")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text("#return-error").contains("至少对一项"));
    assert_eq!(resp.text("#f-comment"), "请补正");
    assert_eq!(review_status(&app, p).await, "submitted");
    let resp = staff
        .post(
            &format!("/platforms/{p}/registration/return"),
            &[
                ("r_bodies", "理事会仅2名成员，请补足至少3名"),
                ("r_plan", "建设方案缺少年度目标分解"),
                ("comment", "请补正后重新提交"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(review_status(&app, p).await, "returned");
    assert_eq!(app.audit_count("registration.return").await, 1);
    let (after,): (serde_json::Value,) = sqlx::query_as(
        "SELECT after FROM audit_log WHERE action = 'registration.return' AND entity_id = $1",
    )
    .bind(p.to_string())
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(after["reasons"]["bodies"], "理事会仅2名成员，请补足至少3名");
    assert_eq!(
        app.scalar::<i64>(
            "SELECT count(*) FROM lifecycle_events WHERE platform_id = $1 AND kind = 'registration.returned'",
            p,
        )
        .await,
        1
    );

    // While returned, staff can neither approve nor return again.
    let page = staff.get(&format!("/platforms/{p}/approve")).await;
    assert!(page.texts("#approve-form").is_empty());
    assert!(page.text("#not-reviewable").contains("已退回补正"));
    let resp = approve(&mut staff, p, "同意").await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert_eq!(app.stage(p).await, "registration");
    assert_eq!(app.audit_count("registration.approve").await, 0);
    let resp = staff
        .post(
            &format!("/platforms/{p}/registration/return"),
            &[("r_charter", "再次退回")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);

    // The operator sees the return: who, why, and each reason next to its part.
    let page = op.get(&format!("/platforms/{p}/registration")).await;
    assert_eq!(page.text("#review-status"), "已退回补正");
    let returned = page.text("#returned");
    assert!(returned.contains("staff1"), "{returned}");
    assert!(returned.contains("请补正后重新提交"), "{returned}");
    assert_eq!(
        page.texts("#returned-reasons li"),
        vec![
            "决策机构：理事会仅2名成员，请补足至少3名",
            "共建协议与建设方案：建设方案缺少年度目标分解",
        ]
    );
    assert!(
        page.text("#bodies .section-return")
            .contains("理事会仅2名成员")
    );
    assert!(page.text("#plan .section-return").contains("年度目标分解"));
    assert!(page.texts("#charter .section-return").is_empty());
    assert_eq!(
        page.text("#submit-form button"),
        "按意见修改完毕，重新提交审批"
    );

    // Corrected and resubmitted; the reasons are history now.
    add_member(&mut op, p, body, "王海波", false).await;
    let resp = submit(&mut op, p).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert_eq!(
        resp.location(),
        Some(
            format!("/platforms/{p}/registration?notice=registration_resubmitted#approval")
                .as_str()
        )
    );
    assert_eq!(review_status(&app, p).await, "submitted");
    assert_eq!(app.audit_count("registration.resubmit").await, 1);
    let page = op.get(&format!("/platforms/{p}/registration")).await;
    assert!(page.texts("#returned").is_empty());
    assert!(page.texts(".section-return").is_empty());

    // Approved from the submitted state.
    let resp = approve(&mut staff, p, "补正后材料齐全，同意设立").await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(app.stage(p).await, "operating");
    assert_eq!(review_status(&app, p).await, "approved");

    // The history: every step, who (by name) and when, the return with its reasons.
    let page = op.get(&format!("/platforms/{p}/registration")).await;
    assert_eq!(
        history(&page),
        vec![
            ("提交审批".to_string(), "op1".to_string()),
            ("退回补正".to_string(), "staff1".to_string()),
            ("修改后重新提交".to_string(), "op1".to_string()),
            ("审批通过".to_string(), "staff1".to_string()),
        ]
    );
    let text = page.text("#review-history");
    assert!(text.contains("理事会仅2名成员"), "{text}");
    assert!(text.contains("补正后材料齐全，同意设立"), "{text}");
    assert_eq!(page.text("#review-status"), "已审批通过");
}

#[tokio::test]
async fn only_the_platforms_own_people_see_and_act_on_its_registration() {
    let app = TestApp::new().await;
    let mine = registering(&app, "NT-2026-001", "320613", true).await;
    let theirs = registering(&app, "NT-2026-002", "320614", true).await;
    app.user("op1", Some(Role::Operator), Some(mine), None)
        .await;
    app.user("op2", Some(Role::Operator), Some(theirs), None)
        .await;
    app.user("county1", Some(Role::Staff), None, Some("320613"))
        .await;
    let mut op2 = app.signed_in("op2").await;
    assert_eq!(submit(&mut op2, theirs).await.status, StatusCode::SEE_OTHER);

    // Another platform's operator: not found, nothing changes.
    let mut op1 = app.signed_in("op1").await;
    assert_eq!(
        op1.get(&format!("/platforms/{theirs}/registration"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(submit(&mut op1, theirs).await.status, StatusCode::NOT_FOUND);
    // Staff of another county: not found either.
    let mut county = app.signed_in("county1").await;
    let resp = county
        .post(
            &format!("/platforms/{theirs}/registration/return"),
            &[("r_charter", "越权退回")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    let resp = approve(&mut county, theirs, "越权").await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    assert_eq!(review_status(&app, theirs).await, "submitted");
    assert_eq!(
        app.scalar::<i64>(
            "SELECT count(*) FROM registration_reviews WHERE platform_id = $1",
            theirs
        )
        .await,
        1
    );
    // The own operator's platform is untouched by all this.
    assert_eq!(review_status(&app, mine).await, "draft");
}

// ---- 登记新平台: nothing pre-selected, duplicate USCC ----------------------------------------

/// The options of a select and which one is selected.
fn options(page: &common::Resp, select: &str) -> (Vec<String>, Vec<String>) {
    let doc = page.doc();
    let all = scraper::Selector::parse(&format!("{select} option")).unwrap();
    let selected = scraper::Selector::parse(&format!("{select} option[selected]")).unwrap();
    (
        doc.select(&all)
            .map(|o| o.text().collect::<String>())
            .collect(),
        doc.select(&selected)
            .map(|o| o.text().collect::<String>())
            .collect(),
    )
}

#[tokio::test]
async fn the_new_platform_form_preselects_no_jurisdiction_level_or_legal_form() {
    let app = TestApp::new().await;
    app.user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    app.user("county1", Some(Role::Staff), None, Some("320613"))
        .await;
    for who in ["staff1", "county1"] {
        let mut c = app.signed_in(who).await;
        let page = c.get("/platforms/new").await;
        assert_eq!(page.status, StatusCode::OK);
        for select in ["#f-jurisdiction_id", "#f-level", "#f-legal_form"] {
            let (all, selected) = options(&page, select);
            assert_eq!(all[0], "请选择…", "{who} {select}");
            assert!(selected.is_empty(), "{who} {select}: {selected:?}");
        }
    }
    // Not choosing them is an error next to each field; what was typed stays.
    let mut staff = app.signed_in("staff1").await;
    let resp = staff
        .post(
            "/platforms",
            &[
                ("code", "NT-2026-101"),
                ("name", "示例新登记研究院"),
                ("jurisdiction_id", ""),
                ("level", ""),
                ("legal_form", ""),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.text("#f-jurisdiction_id-error"), "请选择所属地区");
    assert_eq!(resp.text("#f-level-error"), "请选择平台层级");
    assert_eq!(resp.text("#f-legal_form-error"), "请选择法人形式");
    assert_eq!(resp.value("#f-name").as_deref(), Some("示例新登记研究院"));
    let n: i64 = app.value("SELECT count(*) FROM platforms").await;
    assert_eq!(n, 0);
}

#[tokio::test]
async fn a_duplicate_uscc_warns_naming_the_platform_and_needs_a_tick() {
    let app = TestApp::new().await;
    let first = app.platform("NT-2025-001", "320613").await;
    sqlx::query("UPDATE platforms SET uscc = $2 WHERE id = $1")
        .bind(first)
        .bind(VALID_USCC)
        .execute(app.pool())
        .await
        .unwrap();
    let mut staff = app.staff_signed_in("staff1", "320600").await;
    let jurisdiction: i32 = app
        .value("SELECT id FROM jurisdictions WHERE code = '320613'")
        .await;
    let jurisdiction = jurisdiction.to_string();
    let mut fields = vec![
        ("code", "NT-2026-102"),
        ("name", "示例重复代码研究院"),
        ("jurisdiction_id", jurisdiction.as_str()),
        ("level", "county"),
        ("legal_form", "public_institution"),
        ("co_builders", "示例大学"),
        // Typed in lower case with spaces: still the same code.
        ("uscc", " 91320600ma1m9qx7k8 "),
    ];
    let resp = staff.post("/platforms", &fields).await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    let warning = resp.text("#uscc-warning");
    assert!(warning.contains("NT-2025-001"), "{warning}");
    assert!(warning.contains("测试平台NT-2025-001"), "{warning}");
    assert!(resp.text("label[for=f-uscc_confirm]").contains("仍然登记"));
    // Nothing typed is lost.
    assert_eq!(resp.value("#f-name").as_deref(), Some("示例重复代码研究院"));
    assert_eq!(resp.value("#f-co_builders").as_deref(), Some("示例大学"));
    assert_eq!(
        resp.value("#f-uscc").as_deref(),
        Some(" 91320600ma1m9qx7k8 ")
    );
    assert_eq!(
        options(&resp, "#f-level").1,
        vec!["县级".to_string()],
        "the choices stay"
    );
    let n: i64 = app.value("SELECT count(*) FROM platforms").await;
    assert_eq!(n, 1, "nothing registered without the tick");

    // Ticked: registered, the code normalised; the platform page shows it.
    fields.push(("uscc_confirm", "yes"));
    let resp = staff.post("/platforms", &fields).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let usccs: Vec<Option<String>> = app.values("SELECT uscc FROM platforms ORDER BY id").await;
    assert_eq!(
        usccs,
        vec![Some(VALID_USCC.to_string()), Some(VALID_USCC.to_string())]
    );
    // A new code needs no tick.
    let resp = staff
        .post(
            "/platforms",
            &[
                ("code", "NT-2026-103"),
                ("name", "示例另一研究院"),
                ("jurisdiction_id", jurisdiction.as_str()),
                ("level", "county"),
                ("legal_form", "internal_unit"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
}
