//! City–county co-building admission (市县共建, NT10 三(四)): the eligible county platforms with their grades,
//! the yearly share with its reason, a proposal by one city staff member and the decision by a second (never
//! the proposer: page, handler and database), approval moving the platform to `city_county` with its timeline
//! event and audit record, the share cap, the admitted platforms' results, and who sees what.

use crate::common;

use crate::common::{CHONGCHUAN, CITY, Client, HAIMEN, TestApp, cast, platform};
use axum::http::StatusCode;
use chrono::Datelike;

/// The current year in Beijing: the round the page opens on.
fn this_year() -> i32 {
    kechuang::clock::today().year()
}

struct World {
    app: TestApp,
    year: i32,
    /// 崇川区, eligible.
    a: i64,
    /// 崇川区, eligible.
    b: i64,
    /// 海门区, eligible.
    c: i64,
    /// 崇川区, one grade only 合格: not eligible.
    pass: i64,
    /// 崇川区, first support period not ended: not eligible.
    young: i64,
}

/// A county platform whose first support period ends on `support_end`, graded `grades` in the two years
/// before `year`.
async fn county_platform(
    app: &TestApp,
    code: &str,
    county: &str,
    support_end: &str,
    grades: (&'static str, &'static str),
    year: i32,
) -> i64 {
    platform(code)
        .in_county(county)
        .first_support_end(support_end)
        .evaluated(year - 2, 90.0, 1, grades.0)
        .evaluated(year - 1, 90.0, 1, grades.1)
        .insert(app)
        .await
}

async fn world() -> World {
    let app = TestApp::new().await;
    let year = this_year();
    let ended = format!("{}-06-30", year - 1);
    let future = format!("{}-06-30", year + 1);
    let a = county_platform(
        &app,
        "CC-001",
        "320613",
        &ended,
        ("excellent", "good"),
        year,
    )
    .await;
    let b = county_platform(&app, "CC-002", "320613", &ended, ("good", "good"), year).await;
    let c = county_platform(
        &app,
        "HM-001",
        "320614",
        &ended,
        ("good", "excellent"),
        year,
    )
    .await;
    let pass = county_platform(
        &app,
        "CC-003",
        "320613",
        &ended,
        ("pass", "excellent"),
        year,
    )
    .await;
    let young = county_platform(
        &app,
        "CC-004",
        "320613",
        &future,
        ("excellent", "excellent"),
        year,
    )
    .await;
    cast()
        .staff("city-a", CITY)
        .staff("city-b", CITY)
        .staff("chongchuan", CHONGCHUAN)
        .staff("haimen", HAIMEN)
        .operator("operator", a)
        .leader("leader")
        .insert(&app)
        .await;
    World {
        app,
        year,
        a,
        b,
        c,
        pass,
        young,
    }
}

async fn set_share(client: &mut Client, year: i32, pct: &str, max: &str) -> common::Resp {
    client
        .post(
            &format!("/cobuild/{year}/share"),
            &[
                ("share_pct", pct),
                ("max_platforms", max),
                ("reason", "市财政年度预算安排"),
            ],
        )
        .await
}

async fn propose(client: &mut Client, year: i32, platform: i64) -> common::Resp {
    client
        .post(
            &format!("/cobuild/{year}/proposals"),
            &[
                ("platform_id", &platform.to_string()),
                ("reason", "连续两年评估优良，运行良好"),
            ],
        )
        .await
}

async fn proposal_of(app: &TestApp, platform: i64) -> i64 {
    app.scalar(
        "SELECT id FROM cobuild_proposals WHERE platform_id = $1 ORDER BY id DESC LIMIT 1",
        platform,
    )
    .await
}

async fn decide(client: &mut Client, proposal: i64, decision: &str) -> common::Resp {
    client
        .post(
            &format!("/cobuild/proposals/{proposal}/decide"),
            &[
                ("decision", decision),
                ("decision_reason", "经局务会研究同意"),
            ],
        )
        .await
}

async fn level(app: &TestApp, platform: i64) -> String {
    app.scalar("SELECT level FROM platforms WHERE id = $1", platform)
        .await
}

#[tokio::test]
async fn the_page_lists_exactly_the_eligible_county_platforms_with_their_grades() {
    let w = world().await;
    let mut staff = w.app.signed_in("city-a").await;
    let page = staff.get("/cobuild").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let rows = page.texts("#candidate-list tbody tr");
    assert_eq!(rows.len(), 3, "{rows:?}");
    for id in [w.a, w.b, w.c] {
        assert_eq!(page.texts(&format!("#candidate-{id}")).len(), 1);
    }
    for id in [w.pass, w.young] {
        assert!(page.texts(&format!("#candidate-{id}")).is_empty());
    }
    assert_eq!(
        page.texts(&format!("#candidate-{} td.grade", w.a)),
        vec!["优秀", "良好"]
    );
    // The same definition as the rule: COBUILD-ELIGIBLE's facts agree, platform by platform.
    let all = kechuang::db::compliance::evaluate(w.app.pool(), None, kechuang::clock::today())
        .await
        .unwrap();
    assert_eq!(all.len(), 5);
    for (id, _, findings) in all {
        let f = findings
            .iter()
            .find(|f| f.rule == "COBUILD-ELIGIBLE")
            .unwrap();
        let eligible = f.facts.get("eligible") == Some(&serde_json::json!(true));
        assert_eq!(
            eligible,
            [w.a, w.b, w.c].contains(&id),
            "{id}: {}",
            f.message
        );
    }
}

#[tokio::test]
async fn proposal_and_approval_by_two_people_admit_the_platform() {
    let w = world().await;
    let (app, year) = (&w.app, w.year);
    let mut a = app.signed_in("city-a").await;
    let mut b = app.signed_in("city-b").await;

    // No share yet: refused with the reason.
    let resp = propose(&mut a, year, w.a).await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text("#propose-refusal").contains("尚未设定纳入比例"),
        "{}",
        resp.text("#propose-refusal")
    );

    let resp = set_share(&mut a, year, "", "2").await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(app.audit_count("cobuild.share").await, 1);

    let resp = propose(&mut a, year, w.a).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let pid = proposal_of(app, w.a).await;
    assert_eq!(app.audit_count("cobuild.propose").await, 1);

    // The proposer sees no decision form and is refused by the handler.
    let page = a.get("/cobuild").await;
    assert_eq!(
        page.texts(&format!("#proposal-{pid} .own-proposal")).len(),
        1
    );
    assert!(page.texts(&format!("#proposal-{pid} form")).is_empty());
    let resp = decide(&mut a, pid, "approve").await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text("#decide-refusal").contains("不能审批自己的提议"));
    assert_eq!(level(app, w.a).await, "county");

    // A missing decision and reason: errors next to the fields, nothing decided.
    let resp = b
        .post(
            &format!("/cobuild/proposals/{pid}/decide"),
            &[("decision", ""), ("decision_reason", "")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.body.contains("请选择同意纳入或不同意"));
    assert!(resp.body.contains("请填写审批意见"));

    let resp = decide(&mut b, pid, "approve").await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(level(app, w.a).await, "city_county");
    assert_eq!(app.audit_count("cobuild.decide").await, 1);
    let (after,): (serde_json::Value,) =
        sqlx::query_as("SELECT after FROM audit_log WHERE action = 'cobuild.decide'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(after["platform"]["level"]["to"], "city_county");
    let kinds: Vec<String> = app
        .column(
            "SELECT kind FROM lifecycle_events WHERE platform_id = $1 ORDER BY at, id",
            w.a,
        )
        .await;
    assert_eq!(kinds, vec!["cobuild.proposed", "cobuild.admitted"]);
    let timeline = a.get(&format!("/platforms/{}/timeline", w.a)).await;
    assert!(
        timeline
            .body
            .contains("平台层级由「县级」变更为「市县共建」")
    );

    // Decided once: a second decision is refused.
    let resp = decide(&mut b, pid, "reject").await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The admitted platform is gone from the candidates and shows in the results with its grades.
    let page = b.get("/cobuild").await;
    assert!(page.texts(&format!("#candidate-{}", w.a)).is_empty());
    let row = page.text(&format!("#result-{}", w.a));
    assert!(
        row.contains("优秀") && row.contains("良好") && row.contains(&year.to_string()),
        "{row}"
    );
}

#[tokio::test]
async fn the_database_refuses_the_proposer_as_decider() {
    let w = world().await;
    let app = &w.app;
    let mut a = app.signed_in("city-a").await;
    assert_eq!(
        set_share(&mut a, w.year, "100", "").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        propose(&mut a, w.year, w.b).await.status,
        StatusCode::SEE_OTHER
    );
    let pid = proposal_of(app, w.b).await;
    let err = sqlx::query(
        "UPDATE cobuild_proposals SET status = 'approved', decided_by = proposed_by, decided_at = now(),
                decision_reason = '自批' WHERE id = $1",
    )
    .bind(pid)
    .execute(app.pool())
    .await
    .unwrap_err();
    assert!(err.to_string().contains("cobuild_two_people"), "{err}");
}

#[tokio::test]
async fn the_share_caps_the_admissions() {
    let w = world().await;
    let (app, year) = (&w.app, w.year);
    let mut a = app.signed_in("city-a").await;
    let mut b = app.signed_in("city-b").await;
    // 3 eligible, 50% → 1 platform.
    let resp = set_share(&mut a, year, "50", "").await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert_eq!(
        propose(&mut a, year, w.a).await.status,
        StatusCode::SEE_OTHER
    );
    let resp = propose(&mut a, year, w.b).await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    let refusal = resp.text("#propose-refusal");
    assert!(
        refusal.contains("名额已满") && refusal.contains("可纳入1家"),
        "{refusal}"
    );
    // Typed reason kept.
    assert_eq!(
        resp.value(&format!("#f-reason-{}", w.b)).as_deref(),
        Some("连续两年评估优良，运行良好")
    );
    decide(&mut b, proposal_of(app, w.a).await, "approve").await;
    assert_eq!(level(app, w.a).await, "city_county");

    // Raising the share (with history) allows one more; approval is capped again at decision time.
    let resp = set_share(&mut b, year, "100", "1").await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let page = a.get("/cobuild").await;
    assert_eq!(page.text("#share-text"), "100%且最多1家");
    assert_eq!(page.texts("#share-history li").len(), 1);
    let resp = propose(&mut a, year, w.b).await;
    assert_eq!(
        resp.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "cap 1 reached"
    );
    let resp = set_share(&mut b, year, "100", "").await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert_eq!(
        propose(&mut a, year, w.b).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        propose(&mut a, year, w.c).await.status,
        StatusCode::SEE_OTHER
    );
    // Lower the cap before the decisions: the second approval is refused.
    set_share(&mut b, year, "", "2").await;
    let resp = decide(&mut b, proposal_of(app, w.b).await, "approve").await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let resp = decide(&mut b, proposal_of(app, w.c).await, "approve").await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text("#decide-refusal").contains("名额已满"));
    assert_eq!(level(app, w.c).await, "county");
    // A rejection is always possible.
    let resp = decide(&mut b, proposal_of(app, w.c).await, "reject").await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert_eq!(level(app, w.c).await, "county");
}

#[tokio::test]
async fn ineligible_platforms_cannot_be_proposed_and_share_errors_are_in_chinese() {
    let w = world().await;
    let mut a = w.app.signed_in("city-a").await;
    set_share(&mut a, w.year, "100", "").await;
    let resp = propose(&mut a, w.year, w.pass).await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text("#propose-refusal").contains("须均为优秀或良好"));
    let resp = propose(&mut a, w.year, w.young).await;
    assert!(resp.text("#propose-refusal").contains("尚未结束"));

    let resp = a
        .post(
            &format!("/cobuild/{}/share", w.year),
            &[("share_pct", "三十"), ("max_platforms", ""), ("reason", "")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.text("#f-share_pct-error"),
        "比例须为1–100之间的整数（百分比）"
    );
    assert_eq!(resp.text("#f-reason-error"), "请填写设定理由");
    assert_eq!(resp.value("#f-share_pct").as_deref(), Some("三十"));
}

#[tokio::test]
async fn county_staff_read_their_county_operators_are_refused() {
    let w = world().await;
    let (app, year) = (&w.app, w.year);
    let mut a = app.signed_in("city-a").await;
    set_share(&mut a, year, "100", "").await;
    propose(&mut a, year, w.a).await;
    propose(&mut a, year, w.c).await;
    let pa = proposal_of(app, w.a).await;

    // 崇川区 staff see their county's proposal, read-only; not 海门区's.
    let mut cc = app.signed_in("chongchuan").await;
    let page = cc.get("/cobuild").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("#proposal-list tbody tr").len(), 1);
    assert_eq!(page.texts(&format!("#proposal-{pa}")).len(), 1);
    assert!(page.texts("form.decide-form").is_empty());
    assert!(page.texts("form.propose-form").is_empty());
    assert!(page.texts("#share-form").is_empty());
    // County staff may not write (city staff only).
    assert_eq!(
        decide(&mut cc, pa, "approve").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        propose(&mut cc, year, w.b).await.status,
        StatusCode::FORBIDDEN
    );

    // 海门区 staff see nothing of 崇川区.
    let mut hm = app.signed_in("haimen").await;
    let page = hm.get("/cobuild").await;
    assert!(page.texts(&format!("#proposal-{pa}")).is_empty());
    assert!(page.texts(&format!("#candidate-{}", w.a)).is_empty());

    // Leaders read everything; operators are refused.
    let mut leader = app.signed_in("leader").await;
    let page = leader.get("/cobuild").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("#proposal-list tbody tr").len(), 2);
    assert!(page.texts("form.decide-form").is_empty());
    assert_eq!(
        decide(&mut leader, pa, "approve").await.status,
        StatusCode::FORBIDDEN
    );
    let mut op = app.signed_in("operator").await;
    assert_eq!(op.get("/cobuild").await.status, StatusCode::FORBIDDEN);
    assert_eq!(level(app, w.a).await, "county");
}
