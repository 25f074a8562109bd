//! The mid-year review (半年过堂): the operator files the H1 report (draft → submitted, late
//! accepted and marked, a second submission refused), completion against the approved targets,
//! staff record the review and its actions land on the checklist; data scope and validation.

use crate::common;

use crate::common::{CITY, HAIMEN, TestApp, approved_filing, cast, platform};
use axum::http::StatusCode;
use chrono::Datelike;
use kechuang::domain::annual::AnnualConfig;
use kechuang::domain::calendar::MonthDay;

fn this_year() -> i32 {
    kechuang::clock::today().year()
}

struct Fx {
    p: i64,
    other: i64,
}

/// A platform in 崇川区 with its operator, another in 海门区 with its own, city and county staff,
/// the leader, and an advisor assigned to the first.
async fn fixture(app: &TestApp) -> Fx {
    let adv = cast().advisor("adv").insert(app).await;
    let p = platform("MID-001").advisor(adv[0]).insert(app).await;
    let other = platform("MID-002").in_county(HAIMEN).insert(app).await;
    cast()
        .operator("op1", p)
        .operator("op2", other)
        .staff("staff", CITY)
        .staff("county", HAIMEN)
        .leader("leader")
        .insert(app)
        .await;
    Fx { p, other }
}

/// Moves the year's mid-year deadline (staff configure it per year).
async fn midyear_deadline(app: &TestApp, year: i32, month: u32, day: u32) {
    let mut config = AnnualConfig::default();
    config.deadlines.midyear = MonthDay::new(month, day).unwrap();
    sqlx::query("INSERT INTO annual_configs (year, config) VALUES ($1, $2)")
        .bind(year)
        .bind(serde_json::to_value(&config).unwrap())
        .execute(app.pool())
        .await
        .unwrap();
}

fn ratio_of(page: &common::Resp, key: &str) -> String {
    page.text(&format!("#midyear-completion tr[data-key={key}] td.ratio"))
}

#[tokio::test]
async fn the_operator_files_staff_hold_the_review_and_actions_land_on_the_checklist() {
    let app = TestApp::new().await;
    let fx = fixture(&app).await;
    let year = this_year();
    midyear_deadline(&app, year, 12, 31).await;
    approved_filing(
        &app,
        fx.p,
        year,
        serde_json::json!({"rnd_staff": 40, "invention_patents": 10, "self_generated_income": 2000000}),
    )
    .await;
    // A recorded indicator value of the year pre-fills the new report.
    sqlx::query(
        "INSERT INTO indicator_values (platform_id, year, indicator_key, value) VALUES ($1, $2, 'rnd_staff', 33)",
    )
    .bind(fx.p)
    .bind(year)
    .execute(app.pool())
    .await
    .unwrap();

    let mut op = app.signed_in("op1").await;
    let url = format!("/platforms/{}/midyear?year={year}", fx.p);
    let page = op.get(&url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.text("#midyear-status"), "未填报");
    assert_eq!(
        page.value("#f-actual_rnd_staff").as_deref(),
        Some("33"),
        "pre-filled from the recorded indicator values"
    );
    assert_eq!(ratio_of(&page, "rnd_staff"), "0.0%");
    assert_eq!(ratio_of(&page, "major_tasks"), "无目标");
    assert!(
        page.texts("#submit-form").is_empty(),
        "nothing to submit before a draft is saved"
    );

    let y = year.to_string();
    let resp = op
        .post(
            &format!("/platforms/{}/midyear/report", fx.p),
            &[
                ("year", &y),
                ("version", "0"),
                ("actual_rnd_staff", "20"),
                ("actual_invention_patents", "12"),
                ("actual_self_generated_income", "1,000,000"),
                ("actual_major_tasks", ""),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let page = op.get(&url).await;
    assert_eq!(page.text("#midyear-status"), "草稿");
    assert_eq!(ratio_of(&page, "rnd_staff"), "50.0%");
    assert_eq!(ratio_of(&page, "invention_patents"), "100%+");
    assert_eq!(ratio_of(&page, "self_generated_income"), "50.0%");
    assert_eq!(ratio_of(&page, "major_tasks"), "无目标");
    // (0.5 + 1.0 capped + 0.5) / 3
    assert_eq!(page.text("#midyear-mean"), "66.7%");
    let version = page.value("#submit-form input[name=version]").unwrap();

    let resp = op
        .post(
            &format!("/platforms/{}/midyear/submit", fx.p),
            &[("year", &y), ("version", &version)],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert!(
        resp.location()
            .unwrap()
            .ends_with("notice=midyear_submitted")
    );
    // The submission refreshed the platform's findings at once (no daily run needed).
    let held: Option<String> = sqlx::query_scalar(
        "SELECT facts->>'midyear_date' FROM findings WHERE platform_id = $1 AND rule_id = 'EVAL-MIDYEAR'",
    )
    .bind(fx.p)
    .fetch_optional(app.pool())
    .await
    .unwrap()
    .flatten();
    assert_eq!(held, Some(kechuang::clock::today().to_string()));
    let page = op.get(&url).await;
    assert_eq!(page.text("#midyear-status"), "已提交");
    assert!(page.texts("#midyear-late").is_empty(), "on time");
    assert!(
        page.texts("#report-form").is_empty(),
        "a submitted report is locked"
    );

    // A second submission (or edit) is refused and changes nothing.
    let again = op
        .post(
            &format!("/platforms/{}/midyear/submit", fx.p),
            &[("year", &y), ("version", &version)],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.text("#page-error").contains("不能再修改或重复提交"));
    let edit = op
        .post(
            &format!("/platforms/{}/midyear/report", fx.p),
            &[("year", &y), ("version", "2"), ("actual_rnd_staff", "99")],
        )
        .await;
    assert_eq!(edit.status, StatusCode::CONFLICT);
    assert_eq!(app.audit_count("midyear.submit").await, 1);
    assert_eq!(app.audit_count("midyear.save").await, 1);
    assert_eq!(
        app.scalar::<i64>(
            "SELECT count(*) FROM lifecycle_events WHERE platform_id = $1 AND kind = 'midyear.submitted'",
            fx.p,
        )
        .await,
        1
    );

    // Staff hold the review; each required action becomes a checklist item.
    let mut staff = app.signed_in("staff").await;
    let today = kechuang::clock::today().to_string();
    let due = format!("{}-12-31", year + 1);
    let resp = staff
        .post(
            &format!("/platforms/{}/midyear/review", fx.p),
            &[
                ("year", &y),
                ("meeting_date", &today),
                ("attendees", "市科技局张三、平台主任李四"),
                ("assessment", "总体进度正常，专利授权超额完成。"),
                ("problems", "理事会上半年未召开会议。"),
                ("action_title_1", "召开理事会并报送会议纪要"),
                ("action_owner_1", "平台办公室"),
                ("action_due_1", &due),
                ("action_title_3", "制定自我造血收入提升方案"),
                ("action_owner_3", "平台主任"),
                ("action_due_3", &due),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let page = staff.get(&url).await;
    assert!(page.text("#midyear-review").contains("专利授权超额完成"));
    let actions = page.texts("#midyear-actions tbody tr");
    assert_eq!(actions.len(), 2);
    assert!(actions[0].contains("召开理事会并报送会议纪要"));
    assert!(actions[0].contains("平台办公室"));
    assert!(actions[0].contains(&due));
    assert!(
        page.texts("#review-form").is_empty(),
        "recorded once; more actions go through the add form"
    );

    // The same items on the checklist tab, with source, owner and due date — the operator sees them.
    let list = op.get(&format!("/platforms/{}/checklist", fx.p)).await;
    // (Beside them, the platform's failing compliance findings have items of their own.)
    let rows: Vec<String> = list
        .texts("#checklist tbody tr")
        .into_iter()
        .filter(|r| r.contains(&format!("{year}年半年过堂")))
        .collect();
    assert_eq!(rows.len(), 2);
    assert!(rows[0].contains(&format!("{year}年半年过堂")));
    assert!(
        rows.iter()
            .any(|r| r.contains("平台主任") && r.contains(&due))
    );
    let source: String = app
        .scalar(
            "SELECT DISTINCT source FROM checklist_items WHERE platform_id = $1",
            fx.p,
        )
        .await;
    assert_eq!(source, format!("midyear:{year}"));

    // A second review of the year is refused; one more action can be added.
    let again = staff
        .post(
            &format!("/platforms/{}/midyear/review", fx.p),
            &[
                ("year", &y),
                ("meeting_date", &today),
                ("attendees", "x"),
                ("assessment", "y"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let resp = staff
        .post(
            &format!("/platforms/{}/midyear/actions", fx.p),
            &[
                ("year", &y),
                ("title", "补报技术合同登记材料"),
                ("owner", "成果转化部"),
                ("due_date", &due),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let page = staff.get(&url).await;
    assert_eq!(page.texts("#midyear-actions tbody tr").len(), 3);

    assert_eq!(app.audit_count("midyear.review").await, 1);
    assert_eq!(app.audit_count("checklist.create").await, 3);
    assert_eq!(
        app.scalar::<i64>(
            "SELECT count(*) FROM lifecycle_events WHERE platform_id = $1 AND kind = 'midyear.reviewed'",
            fx.p,
        )
        .await,
        1
    );

    // The leader and the assigned advisor read it; neither gets a form.
    for who in ["leader", "adv"] {
        let mut c = app.signed_in(who).await;
        let page = c.get(&url).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.texts("form[action$='/midyear/report']").is_empty());
        assert!(page.texts("form[action$='/midyear/actions']").is_empty());
        assert_eq!(page.texts("#midyear-actions tbody tr").len(), 3);
    }
}

#[tokio::test]
async fn a_late_submission_is_accepted_and_recorded_as_late() {
    let app = TestApp::new().await;
    let fx = fixture(&app).await;
    // Last year's report: its 07-31 deadline has passed.
    let year = this_year() - 1;
    let y = year.to_string();
    let mut op = app.signed_in("op1").await;
    let resp = op
        .post(
            &format!("/platforms/{}/midyear/report", fx.p),
            &[("year", &y), ("version", "0"), ("actual_rnd_staff", "12")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let resp = op
        .post(
            &format!("/platforms/{}/midyear/submit", fx.p),
            &[("year", &y), ("version", "1")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert!(resp.location().unwrap().contains("submitted_late"));
    let page = op
        .get(&format!("/platforms/{}/midyear?year={year}", fx.p))
        .await;
    assert_eq!(page.text("#midyear-status"), "已提交");
    assert_eq!(page.text("#midyear-late"), "逾期提交");
    let (late, after): (bool, serde_json::Value) = sqlx::query_as(
        "SELECT r.late, a.after FROM midyear_reports r, audit_log a
         WHERE r.platform_id = $1 AND a.action = 'midyear.submit'",
    )
    .bind(fx.p)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert!(late);
    assert_eq!(after["late"], true);
    let summary: String = app
        .scalar(
            "SELECT summary FROM lifecycle_events WHERE platform_id = $1 AND kind = 'midyear.submitted'",
            fx.p,
        )
        .await;
    assert!(summary.contains("逾期提交"));
}

#[tokio::test]
async fn an_operator_cannot_read_or_file_another_platforms_report() {
    // Another platform is not theirs: out-of-scope ids answer 404, as if they did not exist.
    let app = TestApp::new().await;
    let fx = fixture(&app).await;
    let y = this_year().to_string();
    let mut op2 = app.signed_in("op2").await;
    op2.post(
        &format!("/platforms/{}/midyear/report", fx.other),
        &[("year", &y), ("version", "0"), ("actual_rnd_staff", "7")],
    )
    .await;

    let mut op = app.signed_in("op1").await;
    let page = op
        .get(&format!("/platforms/{}/midyear?year={y}", fx.other))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("actual_rnd_staff\" value=\"7"));
    let resp = op
        .post(
            &format!("/platforms/{}/midyear/report", fx.other),
            &[("year", &y), ("version", "1"), ("actual_rnd_staff", "1")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    let resp = op
        .post(
            &format!("/platforms/{}/midyear/submit", fx.other),
            &[("year", &y), ("version", "1")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);

    // County staff see their county only (404 outside it); staff do not file; operators do not review.
    let mut county = app.signed_in("county").await;
    assert_eq!(
        county
            .get(&format!("/platforms/{}/midyear", fx.p))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        county
            .get(&format!("/platforms/{}/midyear", fx.other))
            .await
            .status,
        StatusCode::OK
    );
    let mut staff = app.signed_in("staff").await;
    let resp = staff
        .post(
            &format!("/platforms/{}/midyear/report", fx.p),
            &[("year", &y), ("version", "0"), ("actual_rnd_staff", "1")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    let resp = op
        .post(
            &format!("/platforms/{}/midyear/review", fx.p),
            &[("year", &y), ("meeting_date", "2020-01-01")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    let value: serde_json::Value = app
        .scalar(
            "SELECT actuals FROM midyear_reports WHERE platform_id = $1",
            fx.other,
        )
        .await;
    assert_eq!(value["rnd_staff"], 7.0, "untouched");
}

#[tokio::test]
async fn bad_input_names_every_field_and_nothing_is_saved() {
    let app = TestApp::new().await;
    let fx = fixture(&app).await;
    let year = this_year();
    let y = year.to_string();
    approved_filing(
        &app,
        fx.p,
        year,
        serde_json::json!({"rnd_staff": 40, "major_tasks": 2}),
    )
    .await;
    let mut op = app.signed_in("op1").await;
    let resp = op
        .post(
            &format!("/platforms/{}/midyear/report", fx.p),
            &[
                ("year", &y),
                ("version", "0"),
                ("actual_rnd_staff", "四十"),
                ("actual_major_tasks", "-1"),
                ("actual_invention_patents", "3"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.texts(".field-error").len(), 2);
    assert_eq!(resp.text("#f-actual_rnd_staff-error"), "请填写数字");
    assert_eq!(resp.text("#f-actual_major_tasks-error"), "不能为负数");
    assert_eq!(
        resp.value("#f-actual_invention_patents").as_deref(),
        Some("3"),
        "what was typed is kept"
    );
    assert_eq!(
        app.scalar::<i64>(
            "SELECT count(*) FROM midyear_reports WHERE platform_id = $1",
            fx.p
        )
        .await,
        0
    );

    // Submitting before saving, then with an indicator that has a target left empty.
    let resp = op
        .post(
            &format!("/platforms/{}/midyear/submit", fx.p),
            &[("year", &y), ("version", "0")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    op.post(
        &format!("/platforms/{}/midyear/report", fx.p),
        &[("year", &y), ("version", "0"), ("actual_rnd_staff", "20")],
    )
    .await;
    let resp = op
        .post(
            &format!("/platforms/{}/midyear/submit", fx.p),
            &[("year", &y), ("version", "1")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text("#page-error").contains("承担国家/省重大任务"));

    // A stale draft does not overwrite a newer one.
    op.post(
        &format!("/platforms/{}/midyear/report", fx.p),
        &[
            ("year", &y),
            ("version", "1"),
            ("actual_rnd_staff", "21"),
            ("actual_major_tasks", "1"),
        ],
    )
    .await;
    let stale = op
        .post(
            &format!("/platforms/{}/midyear/report", fx.p),
            &[("year", &y), ("version", "1"), ("actual_rnd_staff", "99")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.texts("#conflict-table tr.differs").len() >= 2);

    // A future year is not a year one can report on.
    let future = (year + 1).to_string();
    let resp = op
        .post(
            &format!("/platforms/{}/midyear/report", fx.p),
            &[("year", &future), ("version", "0")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::BAD_REQUEST);
    // Nor one two years back: that report is history.
    let old = (year - 2).to_string();
    let resp = op
        .post(
            &format!("/platforms/{}/midyear/report", fx.p),
            &[("year", &old), ("version", "0"), ("actual_rnd_staff", "1")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::BAD_REQUEST);
    let page = op
        .get(&format!("/platforms/{}/midyear?year={old}", fx.p))
        .await;
    assert!(page.texts("#report-form").is_empty());

    // The review form: every missing field at once; a meeting after today is refused.
    let mut staff = app.signed_in("staff").await;
    let resp = staff
        .post(
            &format!("/platforms/{}/midyear/review", fx.p),
            &[
                ("year", &y),
                ("meeting_date", ""),
                ("attendees", ""),
                ("assessment", ""),
                ("action_title_2", "只有事项"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    for id in [
        "#f-meeting_date-error",
        "#f-attendees-error",
        "#f-assessment-error",
        "#f-action_owner_2-error",
        "#f-action_due_2-error",
    ] {
        assert!(!resp.text(id).is_empty(), "{id}");
    }
    assert_eq!(resp.value("#f-action_title_2").as_deref(), Some("只有事项"));
    let tomorrow = (kechuang::clock::today() + chrono::Duration::days(1)).to_string();
    let resp = staff
        .post(
            &format!("/platforms/{}/midyear/review", fx.p),
            &[
                ("year", &y),
                ("meeting_date", &tomorrow),
                ("attendees", "a"),
                ("assessment", "b"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.text("#f-meeting_date-error"), "会议日期不能晚于今天");
    let resp = staff
        .post(
            &format!("/platforms/{}/midyear/actions", fx.p),
            &[
                ("year", &y),
                ("title", "t"),
                ("owner", "o"),
                ("due_date", "2030-01-01"),
            ],
        )
        .await;
    assert_eq!(
        resp.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no review recorded yet"
    );
    assert_eq!(
        app.scalar::<i64>(
            "SELECT count(*) FROM checklist_items WHERE platform_id = $1 AND source NOT LIKE 'rule:%'",
            fx.p,
        )
        .await,
        0
    );
}
