//! Operation (运行管理): assigning the advisor and the responsible staff member, the assigned
//! advisor's service visits, the construction-period acceptance and the transformation
//! deadline, research-integrity records and the evaluation ban — with audit and timeline.

use crate::common::{Client, Resp, TestApp};
use axum::http::StatusCode;
use chrono::Duration;
use kechuang::db::audit::{self, Actor};
use kechuang::domain::calendar::add_months;
use kechuang::domain::role::Role;

async fn events(app: &TestApp, platform: i64, kind: &str) -> Vec<(String, Option<i64>)> {
    sqlx::query_as(
        "SELECT summary, document_id FROM lifecycle_events WHERE platform_id = $1 AND kind = $2 ORDER BY id",
    )
    .bind(platform)
    .bind(kind)
    .fetch_all(app.pool())
    .await
    .unwrap()
}

async fn version(app: &TestApp, platform: i64) -> String {
    app.scalar::<i64>(
        "SELECT version::bigint FROM platforms WHERE id = $1",
        platform,
    )
    .await
    .to_string()
}

/// Sets a platform's fields directly (as the registry form would have).
async fn set(app: &TestApp, platform: i64, sql: &str) {
    let mut tx = audit::begin(app.pool(), &Actor::system("test"))
        .await
        .unwrap();
    sqlx::query(&format!("UPDATE platforms SET {sql} WHERE id = $1"))
        .bind(platform)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// A document of a platform, inserted directly; returns its id.
async fn document(app: &TestApp, platform: i64, kind: &str, title: &str) -> i64 {
    let mut tx = audit::begin(app.pool(), &Actor::system("test"))
        .await
        .unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO documents (platform_id, kind, title) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(platform)
    .bind(kind)
    .bind(title)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO document_versions (document_id, version, file_name, content_type, size_bytes, sha256, content)
         VALUES ($1, 1, 'report.pdf', 'application/pdf', 9, 'x', '%PDF-1.4 '::bytea)",
    )
    .bind(id)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

/// Logs a phone visit to platform `p` on `date` with these topics (and the same advice).
async fn phone_visit(c: &mut Client, p: i64, date: &str, topics: &str) -> Resp {
    c.post(
        &format!("/platforms/{p}/visits"),
        &[
            ("visit_date", date),
            ("form", "phone"),
            ("topics", topics),
            ("advice", topics),
        ],
    )
    .await
}

#[tokio::test]
async fn staff_assign_the_advisor_and_the_responsible_staff_member() {
    let app = TestApp::new().await;
    let p = app.platform("OPS-001", "320613").await; // 崇川区
    let city = app
        .user("city-staff", Some(Role::Staff), None, Some("320600"))
        .await;
    let county = app
        .user("cc-staff", Some(Role::Staff), None, Some("320613"))
        .await;
    let elsewhere = app
        .user("hm-staff", Some(Role::Staff), None, Some("320614"))
        .await;
    let advisor = app.user("adv-a", Some(Role::Advisor), None, None).await;
    let gone = app.user("adv-gone", Some(Role::Advisor), None, None).await;
    app.exec("UPDATE users SET disabled = true WHERE id = $1", gone)
        .await;
    app.user("op-a", Some(Role::Operator), Some(p), None).await;
    app.user("leader", Some(Role::Leader), None, None).await;

    let mut c = app.signed_in("city-staff").await;
    let page = c.get(&format!("/platforms/{p}/operation")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("#advisor-name"), "未指定");
    let advisors: Vec<String> = page.texts("#f-advisor_id option");
    assert_eq!(
        advisors,
        vec!["未指定", "adv-a（adv-a）"],
        "active advisors only"
    );
    let staff_values: Vec<String> = {
        let doc = page.doc();
        doc.select(&scraper::Selector::parse("#f-staff_id option").unwrap())
            .map(|o| o.value().attr("value").unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        staff_values,
        vec![String::new(), city.to_string(), county.to_string()],
        "staff who can see the platform: city staff and 崇川区's"
    );
    let v = version(&app, p).await;
    kechuang::db::compliance::refresh(app.pool(), Some(&[p]), kechuang::clock::today())
        .await
        .unwrap();
    assert_eq!(app.finding(p, "OPS-STAFF").await, "fail");

    // Staff of another county cannot be chosen, nor a disabled advisor.
    let resp = c
        .post(
            &format!("/platforms/{p}/assignment"),
            &[
                ("advisor_id", &gone.to_string()),
                ("staff_id", &elsewhere.to_string()),
                ("version", &v),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.text("#f-advisor_id-error"), "请从列表中选择");
    assert_eq!(resp.text("#f-staff_id-error"), "请从列表中选择");

    let resp = c
        .post(
            &format!("/platforms/{p}/assignment"),
            &[
                ("advisor_id", &advisor.to_string()),
                ("staff_id", &county.to_string()),
                ("version", &v),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let page = c.get(resp.location().unwrap()).await;
    assert_eq!(page.text(".notice"), "产业顾问与专人专班已保存。");
    assert_eq!(page.text("#advisor-name"), "adv-a");
    assert_eq!(page.text("#staff-name"), "cc-staff");
    let (a, s): (Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT advisor_id, responsible_staff_id FROM platforms WHERE id = $1")
            .bind(p)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!((a, s), (Some(advisor), Some(county)));
    assert_ne!(version(&app, p).await, v, "the version moved on");
    // The write refreshed the platform's findings at once.
    assert_eq!(app.finding(p, "OPS-STAFF").await, "pass");

    // Audit and timeline.
    assert_eq!(app.audit_count("platform.assign").await, 1);
    let after: serde_json::Value = app
        .value("SELECT after FROM audit_log WHERE action = 'platform.assign'")
        .await;
    assert_eq!(after["advisor_name"], "adv-a");
    assert_eq!(
        events(&app, p, "advisor.assigned").await[0].0,
        "指定产业顾问：adv-a"
    );
    assert_eq!(
        events(&app, p, "staff.assigned").await[0].0,
        "指定专人专班：cc-staff"
    );

    // A second writer with the old version gets the conflict page; nothing is overwritten.
    let resp = c
        .post(
            &format!("/platforms/{p}/assignment"),
            &[
                ("advisor_id", ""),
                ("staff_id", &city.to_string()),
                ("version", &v),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    let first = resp.texts("#conflict-table tbody tr:first-child > *");
    assert_eq!(first, vec!["产业顾问", "未指定", "adv-a（adv-a）"]);
    assert_eq!(app.audit_count("platform.assign").await, 1);

    // Readers cannot assign; the operator and the leader see who is assigned.
    for who in ["op-a", "leader"] {
        let mut r = app.signed_in(who).await;
        let page = r.get(&format!("/platforms/{p}/operation")).await;
        assert_eq!(page.text("#advisor-name"), "adv-a", "{who}");
        assert!(
            page.texts("form[action$='/assignment']").is_empty(),
            "{who}"
        );
        let resp = r
            .post(
                &format!("/platforms/{p}/assignment"),
                &[
                    ("advisor_id", ""),
                    ("staff_id", ""),
                    ("version", &version(&app, p).await),
                ],
            )
            .await;
        assert_eq!(resp.status, StatusCode::FORBIDDEN, "{who}");
    }
}

#[tokio::test]
async fn only_the_assigned_advisor_logs_visits() {
    let app = TestApp::new().await;
    let p = app.platform("OPS-002", "320613").await;
    let other = app.platform("OPS-003", "320613").await;
    let advisor = app.user("adv-a", Some(Role::Advisor), None, None).await;
    let stranger = app.user("adv-b", Some(Role::Advisor), None, None).await;
    app.user("op-a", Some(Role::Operator), Some(p), None).await;
    app.user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    set(&app, p, &format!("advisor_id = {advisor}")).await;
    set(&app, other, &format!("advisor_id = {stranger}")).await;
    let today = kechuang::clock::today();

    let mut adv = app.signed_in("adv-a").await;
    let page = adv.get(&format!("/platforms/{p}/operation")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text("#visits-empty").starts_with("尚无服务记录"));
    assert_eq!(
        page.value("#f-visit_date").as_deref(),
        Some(today.to_string().as_str())
    );

    // Bad input: every field named, what was typed kept.
    let tomorrow = (today + Duration::days(1)).to_string();
    let resp = adv
        .post(
            &format!("/platforms/{p}/visits"),
            &[
                ("visit_date", &tomorrow),
                ("form", ""),
                ("topics", "中试线<script>"),
                ("advice", ""),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.text("#f-visit_date-error"), "日期不能晚于今天");
    assert_eq!(resp.text("#f-form-error"), "请选择服务形式");
    assert_eq!(resp.text("#f-advice-error"), "请填写意见建议");
    assert_eq!(resp.value("#f-topics").as_deref(), Some("中试线<script>"));

    let date = (today - Duration::days(3)).to_string();
    let resp = adv
        .post(
            &format!("/platforms/{p}/visits"),
            &[
                ("visit_date", &date),
                ("form", "on_site"),
                ("topics", "中试线建设进度"),
                ("advice", "尽快完成设备联调，准备技术合同登记"),
                ("follow_up", "两周后电话回访"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let page = adv.get(resp.location().unwrap()).await;
    assert_eq!(page.text(".notice"), "服务记录已保存。");
    assert_eq!(page.texts("#visit-list tbody tr").len(), 1);
    assert_eq!(
        page.texts("#visit-list tbody td"),
        vec![
            date.as_str(),
            "现场",
            "adv-a",
            "中试线建设进度",
            "尽快完成设备联调，准备技术合同登记",
            "两周后电话回访"
        ]
    );
    assert_eq!(page.text("#visit-gap"), "最近一次服务距今 3 天。");
    assert_eq!(app.audit_count("visit.create").await, 1);
    assert_eq!(
        events(&app, p, "visit.logged").await[0].0,
        "产业顾问adv-a现场服务：中试线建设进度"
    );

    // An advisor not assigned to the platform: refused, reading and writing (out of scope
    // answers 404, as if it did not exist).
    let mut b = app.signed_in("adv-b").await;
    assert_eq!(
        b.get(&format!("/platforms/{p}/operation")).await.status,
        StatusCode::NOT_FOUND
    );
    let resp = phone_visit(&mut b, p, &date, "冒名").await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);

    // The operator reads the visits but cannot log one; staff do not log visits either.
    let mut op = app.signed_in("op-a").await;
    let page = op.get(&format!("/platforms/{p}/operation")).await;
    assert_eq!(page.texts("#visit-list tbody tr").len(), 1);
    assert!(page.texts("form[action$='/visits']").is_empty());
    let resp = phone_visit(&mut op, p, &date, "x").await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    let mut staff = app.signed_in("staff1").await;
    let resp = phone_visit(&mut staff, p, &date, "x").await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.scalar::<i64>(
            "SELECT count(*) FROM advisor_visits WHERE platform_id = $1",
            p
        )
        .await,
        1
    );

    // Once the advisor is replaced, the old one is out (out of scope: 404).
    set(&app, p, &format!("advisor_id = {stranger}")).await;
    let resp = phone_visit(&mut adv, p, &date, "x").await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn overdue_service_is_flagged() {
    let app = TestApp::new().await;
    let p = app.platform("OPS-004", "320613").await;
    let advisor = app.user("adv-a", Some(Role::Advisor), None, None).await;
    set(&app, p, &format!("advisor_id = {advisor}")).await;
    let old = kechuang::clock::today() - Duration::days(200);
    let mut tx = audit::begin(app.pool(), &Actor::system("test"))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO advisor_visits (platform_id, advisor_id, visit_date, form, topics, advice)
         VALUES ($1, $2, $3, 'meeting', '年度计划', '聚焦两个方向')",
    )
    .bind(p)
    .bind(advisor)
    .bind(old)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut adv = app.signed_in("adv-a").await;
    let page = adv.get(&format!("/platforms/{p}/operation")).await;
    assert_eq!(
        page.text("#visit-gap.warn"),
        "最近一次服务距今 200 天：已超过 183 天，请尽快安排服务。"
    );
}

#[tokio::test]
async fn acceptance_and_the_transformation_deadline() {
    let app = TestApp::new().await;
    let p = app.platform("OPS-005", "320613").await;
    let b = app.platform("OPS-006", "320613").await;
    app.user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    app.user("op-a", Some(Role::Operator), Some(p), None).await;
    set(
        &app,
        p,
        "construction_start = '2021-07-01', construction_end = '2024-06-30'",
    )
    .await;
    let report = document(&app, p, "acceptance_report", "建设期满验收报告").await;
    let foreign = document(&app, b, "acceptance_report", "别的平台的报告").await;
    let charter = document(&app, p, "charter", "章程").await;

    // Construction ended more than 6 months ago with no acceptance on record: OPS-ACCEPTANCE warns.
    kechuang::db::compliance::refresh(app.pool(), Some(&[p]), kechuang::clock::today())
        .await
        .unwrap();
    assert_eq!(app.finding(p, "OPS-ACCEPTANCE").await, "warn");

    let mut c = app.signed_in("staff1").await;
    let page = c.get(&format!("/platforms/{p}/operation")).await;
    assert_eq!(page.text("#construction-end"), "2024-06-30");
    let deadline = page.text("#transformation-deadline");
    assert!(deadline.starts_with("2026-06-30 已过期"), "{deadline}");
    assert_eq!(page.texts("#time-left.passed").len(), 1);
    assert!(
        page.text("#acceptance-empty")
            .starts_with("尚未记录建设期满验收结论")
    );
    let reports = page.texts("#f-document_id option");
    assert_eq!(reports, vec!["暂不选择", "建设期满验收报告"]);

    // Only this platform's acceptance reports may be attached.
    for doc in [foreign, charter] {
        let resp = c
            .post(
                &format!("/platforms/{p}/acceptance"),
                &[
                    ("result", "passed"),
                    ("accepted_on", "2024-07-20"),
                    ("document_id", &doc.to_string()),
                    ("replaces", ""),
                ],
            )
            .await;
        assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            resp.text("#f-document_id-error"),
            "请从本平台的验收报告中选择"
        );
        assert_eq!(resp.value("#f-accepted_on").as_deref(), Some("2024-07-20"));
    }
    // Conditions must be written down.
    let resp = c
        .post(
            &format!("/platforms/{p}/acceptance"),
            &[
                ("result", "conditional"),
                ("accepted_on", "2024-07-20"),
                ("replaces", ""),
            ],
        )
        .await;
    assert_eq!(resp.text("#f-remarks-error"), "有条件通过时请写明所附条件");

    let resp = c
        .post(
            &format!("/platforms/{p}/acceptance"),
            &[
                ("result", "passed"),
                ("accepted_on", "2024-07-20"),
                ("remarks", "专家组一致同意通过"),
                ("document_id", &report.to_string()),
                ("replaces", ""),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let page = c.get(resp.location().unwrap()).await;
    let record = page.texts("#acceptance-record dd");
    assert_eq!(record[0], "通过");
    assert_eq!(record[1], "2024-07-20");
    assert_eq!(record[2], "专家组一致同意通过");
    assert_eq!(record[3], "建设期满验收报告");
    assert_eq!(app.audit_count("acceptance.record").await, 1);
    // The snapshot reads the record: the finding follows at once.
    assert_eq!(app.finding(p, "OPS-ACCEPTANCE").await, "pass");
    assert_eq!(
        events(&app, p, "construction.accepted").await,
        vec![(
            "建设期满验收：通过（验收日期 2024-07-20）".to_string(),
            Some(report)
        )]
    );

    // A second staff member who saw no record cannot silently overwrite this one.
    let resp = c
        .post(
            &format!("/platforms/{p}/acceptance"),
            &[
                ("result", "failed"),
                ("accepted_on", "2024-07-21"),
                ("replaces", ""),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(resp.text("#conflict-table").contains("不通过"));
    // With the token of what is shown, a correction is recorded (and audited with both versions).
    let token = page.value("input[name=replaces]").unwrap();
    let resp = c
        .post(
            &format!("/platforms/{p}/acceptance"),
            &[
                ("result", "conditional"),
                ("accepted_on", "2024-07-20"),
                ("remarks", "补充知识产权布局材料"),
                ("document_id", &report.to_string()),
                ("replaces", &token),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE action = 'acceptance.record' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(
        (before["result"].as_str(), after["result"].as_str()),
        (Some("passed"), Some("conditional"))
    );
    assert_eq!(
        events(&app, p, "construction.accepted").await[1].0,
        "更正建设期满验收：有条件通过（验收日期 2024-07-20）"
    );
    assert_eq!(app.finding(p, "OPS-ACCEPTANCE").await, "warn");

    // The operator reads it and cannot record one.
    let mut op = app.signed_in("op-a").await;
    let page = op.get(&format!("/platforms/{p}/operation")).await;
    assert_eq!(page.texts("#acceptance-record dd")[0], "有条件通过");
    assert!(page.texts("form[action$='/acceptance']").is_empty());
    let resp = op
        .post(
            &format!("/platforms/{p}/acceptance"),
            &[("result", "passed"), ("accepted_on", "2024-07-20")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);

    // The deadline follows the rule parameter in force (the latest row).
    let mut tx = audit::begin(app.pool(), &Actor::system("test"))
        .await
        .unwrap();
    for (months, ago) in [(30, 2), (36, 1)] {
        sqlx::query(
            "INSERT INTO rule_params (key, value, reason, changed_at)
             VALUES ('MKT-BREAK-EVEN.transition_months', to_jsonb($1::int), '测试', now() - make_interval(days => $2))",
        )
        .bind(months)
        .bind(ago)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let page = c.get(&format!("/platforms/{p}/operation")).await;
    assert!(
        page.text("#transformation-deadline")
            .starts_with("2027-06-30 还剩"),
        "{}",
        page.text("#transformation-deadline")
    );
    assert!(page.text("#deadline").contains("建设期结束 + 36 个月"));
}

#[tokio::test]
async fn acceptance_needs_an_operating_platform_with_a_construction_end() {
    let app = TestApp::new().await;
    let registering = app.platform("OPS-007", "320613").await;
    set(
        &app,
        registering,
        "stage = 'registration', construction_end = '2024-06-30'",
    )
    .await;
    let no_end = app.platform("OPS-008", "320613").await;
    let mut c = app.staff_signed_in("staff1", "320600").await;

    let page = c.get(&format!("/platforms/{registering}/operation")).await;
    assert!(
        page.text("#acceptance-refusal")
            .starts_with("平台尚在设立登记阶段")
    );
    let resp = c
        .post(
            &format!("/platforms/{registering}/acceptance"),
            &[
                ("result", "passed"),
                ("accepted_on", "2024-07-20"),
                ("replaces", ""),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);

    let page = c.get(&format!("/platforms/{no_end}/operation")).await;
    assert!(
        page.text("#transformation-deadline")
            .starts_with("尚未登记建设期结束日期")
    );
    let resp = c
        .post(
            &format!("/platforms/{no_end}/acceptance"),
            &[
                ("result", "passed"),
                ("accepted_on", "2024-07-20"),
                ("replaces", ""),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text("#acceptance-error")
            .contains("尚未登记建设期结束日期")
    );
    assert_eq!(
        app.scalar::<i64>(
            "SELECT count(*) FROM construction_acceptances WHERE platform_id <> $1",
            0
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_serious_integrity_violation_bars_evaluation() {
    let app = TestApp::new().await;
    let p = app.platform("OPS-009", "320613").await;
    let q = app.platform("OPS-010", "320613").await;
    app.user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    app.user("op-a", Some(Role::Operator), Some(p), None).await;
    app.user("leader", Some(Role::Leader), None, None).await;
    let today = kechuang::clock::today();
    let when = today - Duration::days(100);
    let until = add_months(when, 36);

    let mut c = app.signed_in("staff1").await;
    let page = c.get(&format!("/platforms/{p}/operation")).await;
    assert!(page.texts("#integrity-ban").is_empty());
    assert_eq!(page.text("#integrity-empty"), "无科研诚信违规记录。");

    // Everything wrong at once, and kept.
    let resp = c
        .post(
            &format!("/platforms/{p}/integrity"),
            &[
                ("occurred_on", "2025-13-01"),
                ("serious", ""),
                ("description", ""),
                ("funds", "12.34567"),
                ("funds_unit", "wan"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.text("#f-occurred_on-error"),
        "日期格式应为年-月-日（如 2026-03-31）"
    );
    assert_eq!(resp.text("#f-serious-error"), "请选择是否属于严重违规");
    assert_eq!(resp.text("#f-description-error"), "请填写违规情况");
    assert!(resp.text("#f-funds-error").contains("四位小数"));
    assert_eq!(resp.value("#f-funds").as_deref(), Some("12.34567"));

    let resp = c
        .post(
            &format!("/platforms/{p}/integrity"),
            &[
                ("occurred_on", &when.to_string()),
                ("serious", "yes"),
                ("description", "项目负责人数据造假，经核实属实"),
                ("funds", "12.5"),
                ("funds_unit", "wan"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let page = c.get(resp.location().unwrap()).await;
    assert_eq!(
        page.text("#integrity-ban strong"),
        format!("绩效评估禁入至 {until}（科研诚信严重违规）")
    );
    // What JY 新型研发机构 四(四) says, not a ban on applying for support.
    let ban = page.text("#integrity-ban small");
    assert!(
        ban.contains("不得参与绩效评价，并按规定追回有关财政资金"),
        "{ban}"
    );
    assert!(!ban.contains("不得申报"), "{ban}");
    assert_eq!(
        page.texts("#integrity-list tbody td"),
        vec![
            when.to_string().as_str(),
            "严重",
            "项目负责人数据造假，经核实属实",
            "12.50",
            "staff1"
        ]
    );
    let funds = app
        .scalar::<i64>(
            "SELECT funds_to_recover FROM integrity_records WHERE platform_id = $1",
            p,
        )
        .await;
    assert_eq!(funds, 125_000, "stored as whole yuan");
    assert_eq!(app.audit_count("integrity.record").await, 1);
    let recorded = events(&app, p, "integrity.recorded").await;
    assert_eq!(
        recorded[0].0,
        format!("记录科研诚信严重违规（{when}），绩效评估禁入至 {until}")
    );

    // Everyone who sees the platform sees the ban.
    for who in ["op-a", "leader"] {
        let mut r = app.signed_in(who).await;
        let page = r.get(&format!("/platforms/{p}/operation")).await;
        assert!(
            page.text("#integrity-ban").starts_with("绩效评估禁入至"),
            "{who}"
        );
        assert!(page.texts("form[action$='/integrity']").is_empty(), "{who}");
        let resp = r
            .post(
                &format!("/platforms/{p}/integrity"),
                &[
                    ("occurred_on", "2025-01-01"),
                    ("serious", "no"),
                    ("description", "x"),
                ],
            )
            .await;
        assert_eq!(resp.status, StatusCode::FORBIDDEN, "{who}");
    }

    // A minor violation, or a serious one whose 36 months are over, bars nothing.
    for (date, serious) in [(when.to_string(), "no"), ("2020-01-15".to_string(), "yes")] {
        let resp = c
            .post(
                &format!("/platforms/{q}/integrity"),
                &[
                    ("occurred_on", &date),
                    ("serious", serious),
                    ("description", "违规"),
                    ("funds", "30000"),
                    ("funds_unit", "yuan"),
                ],
            )
            .await;
        assert_eq!(resp.status, StatusCode::SEE_OTHER);
    }
    let page = c.get(&format!("/platforms/{q}/operation")).await;
    assert!(page.texts("#integrity-ban").is_empty());
    assert_eq!(page.texts("#integrity-list tbody tr").len(), 2);

    // The ban length is the rule parameter in force.
    let mut tx = audit::begin(app.pool(), &Actor::system("test"))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO rule_params (key, value, reason) VALUES ('INTEG-BAN.ban_months', '84', '测试')",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let page = c.get(&format!("/platforms/{q}/operation")).await;
    assert_eq!(
        page.text("#integrity-ban strong"),
        "绩效评估禁入至 2027-01-15（科研诚信严重违规）"
    );
}

#[tokio::test]
async fn the_demo_city_has_visits_acceptances_integrity_records_and_documents() {
    let app = TestApp::with_demo().await;
    assert!(
        app.value::<i64>("SELECT count(*) FROM advisor_visits",)
            .await
            >= 18
    );
    assert_eq!(
        app.value::<i64>("SELECT count(DISTINCT platform_id) FROM advisor_visits",)
            .await,
        6
    );
    // Exactly one of the advisor's platforms was last served more than 183 days ago.
    assert_eq!(
        app.value::<i64>(
            "SELECT count(*) FROM (SELECT platform_id FROM advisor_visits GROUP BY platform_id
                                   HAVING max(visit_date) < (now() AT TIME ZONE 'Asia/Shanghai')::date - 183) t",
        )
        .await,
        1
    );
    // Every platform past its construction end (and out of registration) has its acceptance.
    assert_eq!(
        app.value::<i64>(
            "SELECT count(*) FROM platforms p WHERE p.stage <> 'registration'
               AND p.construction_end + 50 <= (now() AT TIME ZONE 'Asia/Shanghai')::date
               AND NOT EXISTS (SELECT 1 FROM construction_acceptances a WHERE a.platform_id = p.id)",
        )
        .await,
        0
    );
    assert_eq!(
        app.value::<i64>(
            "SELECT count(*) FROM construction_acceptances WHERE result = 'conditional'"
        )
        .await,
        1
    );
    assert_eq!(
        app.value::<i64>("SELECT count(*) FROM construction_acceptances WHERE result = 'failed'",)
            .await,
        1
    );
    assert!(
        app.value::<i64>(
            "SELECT count(*) FROM construction_acceptances WHERE document_id IS NOT NULL"
        )
        .await
            >= 3
    );
    assert_eq!(
        app.value::<i64>("SELECT count(*) FROM integrity_records",)
            .await,
        2
    );
    assert_eq!(
        app.value::<i64>(
            "SELECT count(*) FROM integrity_records r JOIN platforms p ON p.id = r.platform_id
             WHERE r.serious AND p.stage = 'rectifying'"
        )
        .await,
        1
    );

    // What people see.
    let mut staff = app.client();
    staff.login("demo-staff", kechuang::demo::PASSWORD).await;
    let banned: i64 = app
        .value("SELECT platform_id FROM integrity_records WHERE serious")
        .await;
    let page = staff.get(&format!("/platforms/{banned}/operation")).await;
    assert!(page.text("#integrity-ban").starts_with("绩效评估禁入至"));
    let ids: Vec<i64> = app.values("SELECT id FROM platforms ORDER BY id").await;
    for id in &ids {
        for tab in ["operation", "documents"] {
            let resp = staff.get(&format!("/platforms/{id}/{tab}")).await;
            assert_eq!(resp.status, StatusCode::OK, "{tab} of {id}");
        }
    }
    let mut advisor = app.client();
    advisor
        .login("demo-advisor", kechuang::demo::PASSWORD)
        .await;
    let page = advisor
        .get(&format!("/platforms/{}/operation", ids[5]))
        .await;
    assert_eq!(
        page.texts("#visit-gap.warn").len(),
        1,
        "overdue service shows"
    );
    assert_eq!(page.texts("form[action$='/visits']").len(), 1);
    let mut op = app.client();
    op.login("demo-operator", kechuang::demo::PASSWORD).await;
    let page = op.get(&format!("/platforms/{}/documents", ids[0])).await;
    assert!(
        page.texts(".doc-kind h2")
            .contains(&"建设期满验收报告".to_string())
    );
    assert!(page.texts(".document tr.version").len() >= 3);
}
