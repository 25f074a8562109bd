//! Exit / rectification (退出整改): opening a case, its plan and progress, the assessment, the 退/转/并/留
//! decision proposed by one staff member and signed off by a second, the stage it moves the platform to, the
//! merged platforms on the target's page, the timeline, data scope and the audit trail.

use crate::common;

use crate::common::{
    CHONGCHUAN, CITY, Client, HAIMEN, RECTIFICATION_FORM, TestApp, cast, platform,
};
use axum::http::StatusCode;

/// Posted form fields.
type Fields<'a> = Vec<(&'a str, &'a str)>;

/// A 崇川区 platform (operating, 技术服务类) and everybody who may or may not touch it.
struct World {
    app: TestApp,
    platform: i64,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let ids = cast()
        .advisor("advisor")
        .advisor("other-advisor")
        .insert(&app)
        .await;
    let platform = platform("NT-2021-001")
        .in_county(CHONGCHUAN)
        .advisor(ids[0])
        .insert(&app)
        .await;
    cast()
        .staff("staff-a", CITY)
        .staff("staff-b", CHONGCHUAN)
        .staff("haimen-staff", HAIMEN)
        .operator("operator", platform)
        .leader("leader")
        .insert(&app)
        .await;
    World { app, platform }
}

/// Opens a case as `client` and returns its id.
async fn open_case(client: &mut Client, platform: i64) -> i64 {
    let resp = client
        .post(
            &format!("/platforms/{platform}/rectification"),
            RECTIFICATION_FORM,
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let location = resp.location().unwrap();
    let prefix = format!("/platforms/{platform}/rectification/");
    assert!(location.starts_with(&prefix), "{location}");
    location[prefix.len()..]
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn version(app: &TestApp, case: i64) -> String {
    let v: i32 = app
        .scalar(
            "SELECT version FROM rectification_cases WHERE id = $1",
            case,
        )
        .await;
    v.to_string()
}

/// A [`world`] whose platform has a case opened and assessed by `staff-a` (city), ready for a decision:
/// the world, `staff-a` signed in, and the case.
async fn assessed_case() -> (World, Client, i64) {
    let w = world().await;
    let (app, p) = (&w.app, w.platform);
    let mut alice = app.signed_in("staff-a").await;
    let case = open_case(&mut alice, p).await;
    assess(app, &mut alice, p, case).await;
    (w, alice, case)
}

fn case_path(platform: i64, case: i64, action: &str) -> String {
    format!("/platforms/{platform}/rectification/{case}{action}")
}

/// Posts `fields` to the case's `action` with the case's current version, as its page would.
async fn post_case(
    app: &TestApp,
    client: &mut Client,
    platform: i64,
    case: i64,
    action: &str,
    fields: &[(&str, &str)],
) -> common::Resp {
    let v = version(app, case).await;
    let mut all = vec![("version", v.as_str())];
    all.extend_from_slice(fields);
    client.post(&case_path(platform, case, action), &all).await
}

async fn assess(app: &TestApp, client: &mut Client, platform: i64, case: i64) {
    let resp = post_case(
        app,
        client,
        platform,
        case,
        "/assessment",
        &[("assessment", "经专家现场评估，平台整改未达预期")],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
}

async fn propose(
    app: &TestApp,
    client: &mut Client,
    platform: i64,
    case: i64,
    fields: &[(&str, &str)],
) -> common::Resp {
    post_case(app, client, platform, case, "/propose", fields).await
}

async fn sign_off(app: &TestApp, client: &mut Client, platform: i64, case: i64) -> common::Resp {
    post_case(app, client, platform, case, "/signoff", &[]).await
}

async fn events(
    app: &TestApp,
    platform: i64,
) -> Vec<(String, Option<String>, Option<String>, String)> {
    sqlx::query_as(
        "SELECT kind, from_stage, to_stage, reason FROM lifecycle_events WHERE platform_id = $1 ORDER BY at, id",
    )
    .bind(platform)
    .fetch_all(app.pool())
    .await
    .unwrap()
}

// ---- opening a case -------------------------------------------------------------------

#[tokio::test]
async fn staff_open_a_case_and_the_platform_is_rectifying() {
    let w = world().await;
    let (app, p) = (&w.app, w.platform);
    let mut staff = app.signed_in("staff-a").await;

    let tab = staff.get(&format!("/platforms/{p}/rectification")).await;
    assert_eq!(tab.status, StatusCode::OK);
    assert!(tab.text("#no-cases").starts_with("本平台没有整改案件"));
    assert_eq!(tab.texts("#f-triggers input[type=checkbox]").len(), 6);
    assert_eq!(tab.texts("#f-triggers label").len(), 6);
    assert_eq!(
        tab.texts("#f-triggers label")[5],
        "其他",
        "every trigger with its label"
    );
    // Each trigger's basis as the texts give it: NT10 三(一) names three situations and says "经充分评估后通过
    // 退、转、并、留等方式进行优化整合"; the 不合格 trigger is the city's evaluation scheme, not NT10.
    let basis = tab.text("#trigger-basis");
    assert!(
        basis.contains("经充分评估后通过退、转、并、留等方式进行优化整合"),
        "{basis}"
    );
    assert!(
        basis.contains("年度评估不合格：本市绩效评估办法"),
        "{basis}"
    );
    assert!(!basis.contains("启动退出整改，制定整改方案"), "{basis}");
    assert_eq!(
        tab.texts("input[name=measure_description]").len(),
        3,
        "three empty measure rows"
    );

    let case = open_case(&mut staff, p).await;
    assert_eq!(app.stage(p).await, "rectifying");

    let page = staff.get(&case_path(p, case, "?notice=case_opened")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("#case-status"), "整改中");
    assert_eq!(page.text(".page-head .stage"), "退出整改");
    assert_eq!(
        page.texts("#case-triggers .trigger-tag"),
        vec!["建设进度未达预期", "成果转化机制不畅"]
    );
    assert_eq!(page.text("#case-deadline"), "2030-12-31");
    let measures = page.texts("#measure-list tbody tr");
    assert_eq!(measures.len(), 2, "the blank row is not a measure");
    assert!(measures[0].contains("重组研发团队") && measures[0].contains("张主任"));
    assert!(page.text("p.notice").contains("退出整改案件已启动"));

    let tab = staff.get(&format!("/platforms/{p}/rectification")).await;
    assert_eq!(tab.texts("#cases tbody tr").len(), 1);
    assert!(
        tab.texts("#open-case").is_empty(),
        "no second case while one is open"
    );
    assert_eq!(
        tab.text("#open-hint"),
        "本平台已有进行中的整改案件，请在该案件中继续整改。"
    );

    assert_eq!(app.audit_count("rectification.open").await, 1);
    let (after,): (serde_json::Value,) =
        sqlx::query_as("SELECT after FROM audit_log WHERE action = 'rectification.open'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(after["platform"]["stage"]["to"], "rectifying");
    assert_eq!(after["measures"].as_array().unwrap().len(), 2);
    assert_eq!(
        events(app, p).await,
        vec![(
            "case.opened".to_owned(),
            Some("operating".to_owned()),
            Some("rectifying".to_owned()),
            "连续两年技术合同和成果转化收入均为0".to_owned()
        )]
    );
}

#[tokio::test]
async fn only_staff_in_scope_open_a_case() {
    let w = world().await;
    let (app, p) = (&w.app, w.platform);
    // Readers in scope are refused the write; staff out of scope do not see the platform (404).
    for (who, status) in [
        ("operator", StatusCode::FORBIDDEN),
        ("advisor", StatusCode::FORBIDDEN),
        ("leader", StatusCode::FORBIDDEN),
        ("haimen-staff", StatusCode::NOT_FOUND),
    ] {
        let mut c = app.signed_in(who).await;
        let resp = c
            .post(&format!("/platforms/{p}/rectification"), RECTIFICATION_FORM)
            .await;
        assert_eq!(resp.status, status, "{who}");
    }
    // Readers see the tab, without the form.
    for who in ["operator", "advisor", "leader"] {
        let mut c = app.signed_in(who).await;
        let tab = c.get(&format!("/platforms/{p}/rectification")).await;
        assert_eq!(tab.status, StatusCode::OK, "{who}");
        assert!(tab.texts("#open-case").is_empty(), "{who}");
        assert!(tab.texts("#open-hint").is_empty(), "{who}");
    }
    for who in ["haimen-staff", "other-advisor"] {
        let mut c = app.signed_in(who).await;
        let tab = c.get(&format!("/platforms/{p}/rectification")).await;
        assert_eq!(tab.status, StatusCode::NOT_FOUND, "{who}");
    }
    let cases: i64 = app.value("SELECT count(*) FROM rectification_cases").await;
    assert_eq!(cases, 0);
    assert_eq!(app.stage(p).await, "operating");
}

#[tokio::test]
async fn a_case_missing_its_items_lists_every_one() {
    let w = world().await;
    let (app, p) = (&w.app, w.platform);
    let mut staff = app.signed_in("staff-b").await;
    let resp = staff
        .post(
            &format!("/platforms/{p}/rectification"),
            &[
                ("plan_summary", "方案<b>草稿</b>"),
                ("measure_description", "只写了措施"),
                ("measure_owner", ""),
                ("measure_due_date", ""),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.texts("#refusal li"),
        vec![
            "未选择整改触发情形",
            "整改方案至少须列出1项整改措施",
            "整改方案未设定整改期限",
            "请填写理由",
        ]
    );
    assert_eq!(resp.text("#f-triggers-error"), "未选择整改触发情形");
    assert_eq!(resp.text("#f-deadline-error"), "整改方案未设定整改期限");
    assert_eq!(resp.text("#f-trigger_note-error"), "请填写启动理由");
    assert_eq!(
        resp.text("#f-measure_0-error"),
        "第1项措施：请填写责任人；请填写完成时限"
    );
    assert_eq!(
        resp.text("#f-measures-error"),
        "整改方案至少须列出1项整改措施"
    );
    // What was typed is kept (and escaped).
    assert_eq!(resp.text("#f-plan_summary"), "方案<b>草稿</b>");
    assert_eq!(
        resp.value("input[name=measure_description]").as_deref(),
        Some("只写了措施")
    );
    assert_eq!(app.stage(p).await, "operating");
    assert_eq!(app.audit_count("rectification.open").await, 0);

    // A deadline already past and a bad date are field errors.
    let mut form = RECTIFICATION_FORM.to_vec();
    for (k, v) in &mut form {
        if *k == "deadline" {
            *v = "2020-01-01";
        }
        if *k == "measure_due_date" && !v.is_empty() {
            *v = "2030-02-30";
        }
    }
    let resp = staff
        .post(&format!("/platforms/{p}/rectification"), &form)
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.text("#f-deadline-error"), "整改期限须晚于今天");
    assert!(resp.text("#f-measure_1-error").contains("日期格式应为"));
}

#[tokio::test]
async fn a_second_open_case_is_refused_with_a_clear_message() {
    let w = world().await;
    let (app, p) = (&w.app, w.platform);
    // An open case on a platform still marked operating (e.g. imported data): the partial unique index speaks.
    sqlx::query(
        "INSERT INTO rectification_cases (platform_id, triggers, trigger_note) VALUES ($1, '{other}', '导入')",
    )
    .bind(p)
    .execute(app.pool())
    .await
    .unwrap();
    let mut staff = app.signed_in("staff-a").await;
    let resp = staff
        .post(&format!("/platforms/{p}/rectification"), RECTIFICATION_FORM)
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text("#refusal li")
            .starts_with("该平台已有进行中的整改案件")
    );
    assert_eq!(app.stage(p).await, "operating");
}

#[tokio::test]
async fn a_registering_platform_cannot_be_put_into_rectification() {
    let w = world().await;
    let (app, p) = (&w.app, w.platform);
    app.exec(
        "UPDATE platforms SET stage = 'registration' WHERE id = $1",
        p,
    )
    .await;
    let mut staff = app.signed_in("staff-a").await;
    let resp = staff
        .post(&format!("/platforms/{p}/rectification"), RECTIFICATION_FORM)
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.texts("#refusal li"),
        vec!["当前阶段为「设立登记」，不能执行「启动退出整改」"]
    );
}

// ---- the plan and its progress --------------------------------------------------------

#[tokio::test]
async fn measures_and_notes_are_kept_and_audited() {
    let w = world().await;
    let (app, p) = (&w.app, w.platform);
    let mut staff = app.signed_in("staff-a").await;
    let case = open_case(&mut staff, p).await;

    let resp = post_case(
        app,
        &mut staff,
        p,
        case,
        "/measures",
        &[
            ("description", "引进2名高层次人才"),
            ("owner", "人事部"),
            ("due_date", "2031-01-31"),
        ],
    )
    .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.text("#f-due_date-error"),
        "完成时限不能晚于整改期限（2030-12-31）"
    );
    assert_eq!(
        resp.value("#f-description").as_deref(),
        Some("引进2名高层次人才")
    );

    let resp = post_case(
        app,
        &mut staff,
        p,
        case,
        "/measures",
        &[
            ("description", "引进2名高层次人才"),
            ("owner", "人事部"),
            ("due_date", "2030-10-31"),
        ],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);

    let measure: i64 = app
        .scalar(
            "SELECT id FROM rectification_measures WHERE case_id = $1 ORDER BY due_date LIMIT 1",
            case,
        )
        .await;
    let resp = post_case(
        app,
        &mut staff,
        p,
        case,
        &format!("/measures/{measure}"),
        &[("done", "true")],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);

    let resp = post_case(app, &mut staff, p, case, "/notes", &[("note", "  ")]).await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.text("#f-note-error"), "请填写进展情况");
    let resp = post_case(
        app,
        &mut staff,
        p,
        case,
        "/notes",
        &[("note", "团队重组完成")],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);

    let page = staff.get(&case_path(p, case, "")).await;
    let rows = page.texts("#measure-list tbody tr");
    assert_eq!(rows.len(), 3);
    assert!(rows[0].contains("重组研发团队") && rows[0].contains("已完成"));
    assert!(rows[2].contains("引进2名高层次人才") && rows[2].contains("进行中"));
    assert_eq!(page.texts("#note-list li").len(), 1);
    assert!(page.text("#note-list li").contains("团队重组完成"));

    // A measure of another case is not reachable through this one.
    let resp = staff
        .post(
            &case_path(p, case, "/measures/999999"),
            &[("version", &version(app, case).await), ("done", "true")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);

    assert_eq!(app.audit_count("rectification.measure_add").await, 1);
    assert_eq!(app.audit_count("rectification.measure_done").await, 1);
    assert_eq!(app.audit_count("rectification.note_add").await, 1);

    // Readers see the case but no forms.
    for who in ["operator", "advisor", "leader"] {
        let mut c = app.signed_in(who).await;
        let page = c.get(&case_path(p, case, "")).await;
        assert_eq!(page.status, StatusCode::OK, "{who}");
        assert_eq!(page.texts("#measure-list tbody tr").len(), 3);
        assert!(
            page.texts("form#add-note, form#assess, form#propose")
                .is_empty()
        );
    }
}

/// A measure due before its case started is most likely a slip of the year: the page warns, naming the case's
/// start date, keeps everything typed and saves nothing until “仍然保存” is ticked.
#[tokio::test]
async fn a_measure_dated_before_its_case_needs_a_tick() {
    let w = world().await;
    let (app, p) = (&w.app, w.platform);
    let mut staff = app.signed_in("staff-a").await;
    let case = open_case(&mut staff, p).await;
    // Started on 2026-03-01 (10:00 in Beijing).
    sqlx::query(
        "UPDATE rectification_cases SET opened_at = '2026-03-01 02:00:00+00' WHERE id = $1",
    )
    .bind(case)
    .execute(app.pool())
    .await
    .unwrap();
    let measures = || async {
        let n: i64 = app
            .scalar(
                "SELECT count(*) FROM rectification_measures WHERE case_id = $1",
                case,
            )
            .await;
        n
    };
    let before = measures().await;

    let v = version(app, case).await;
    let form = [
        ("version", v.as_str()),
        ("description", "补签2025年技术服务合同"),
        ("owner", "运营公司"),
        ("due_date", "2025-04-30"),
    ];
    let resp = staff.post(&case_path(p, case, "/measures"), &form).await;
    assert_eq!(
        resp.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        resp.body
    );
    let warning = resp.text("#due-warning");
    assert!(warning.contains("2026-03-01"), "{warning}");
    assert!(warning.contains("2025-04-30"), "{warning}");
    assert!(warning.contains("仍然保存"), "{warning}");
    assert_eq!(
        resp.value("#f-description").as_deref(),
        Some("补签2025年技术服务合同")
    );
    assert_eq!(resp.value("#f-owner").as_deref(), Some("运营公司"));
    assert_eq!(resp.value("#f-due_date").as_deref(), Some("2025-04-30"));
    assert_eq!(
        resp.doc()
            .select(&scraper::Selector::parse("#f-due_confirm:not([checked])").unwrap())
            .count(),
        1
    );
    assert_eq!(measures().await, before, "nothing saved without the tick");
    assert_eq!(app.audit_count("rectification.measure_add").await, 0);

    // A date on or after the start needs no tick.
    let on_start = [
        ("version", v.as_str()),
        ("description", "梳理合同台账"),
        ("owner", "运营公司"),
        ("due_date", "2026-03-01"),
    ];
    let resp = staff
        .post(&case_path(p, case, "/measures"), &on_start)
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);

    let v = version(app, case).await;
    let mut ticked = form.to_vec();
    ticked[0] = ("version", v.as_str());
    ticked.push(("due_confirm", "yes"));
    let resp = staff.post(&case_path(p, case, "/measures"), &ticked).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(measures().await, before + 2);
    let due: chrono::NaiveDate = sqlx::query_scalar(
        "SELECT due_date FROM rectification_measures WHERE case_id = $1 AND description = $2",
    )
    .bind(case)
    .bind("补签2025年技术服务合同")
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(due.to_string(), "2025-04-30");
}

#[tokio::test]
async fn a_stale_case_write_gets_the_conflict_page() {
    let w = world().await;
    let (app, p) = (&w.app, w.platform);
    let mut alice = app.signed_in("staff-a").await;
    let mut bob = app.signed_in("staff-b").await;
    let case = open_case(&mut alice, p).await;
    let seen = version(app, case).await;

    let resp = alice
        .post(
            &case_path(p, case, "/notes"),
            &[("version", &seen), ("note", "爱丽丝的记录")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let resp = bob
        .post(
            &case_path(p, case, "/assessment"),
            &[("version", &seen), ("assessment", "鲍勃的评估")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    let rows = resp.texts("#conflict-table tr.differs");
    assert!(rows.iter().any(|r| r.contains("鲍勃的评估")), "{rows:?}");
    let assessment: String = app
        .scalar(
            "SELECT assessment FROM rectification_cases WHERE id = $1",
            case,
        )
        .await;
    assert_eq!(assessment, "", "nothing overwritten");
    assert_eq!(app.audit_count("rectification.assess").await, 0);
}

// ---- the decision ---------------------------------------------------------------------

#[tokio::test]
async fn one_person_cannot_propose_and_sign_off() {
    let (w, mut alice, case) = assessed_case().await;
    let (app, p) = (&w.app, w.platform);
    let resp = propose(
        app,
        &mut alice,
        p,
        case,
        &[("decision", "exit"), ("reason", "整改无望")],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);

    let page = alice.get(&case_path(p, case, "")).await;
    assert!(page.text("#proposal .decision-text").contains("退出（退）"));
    assert!(page.texts("form#signoff").is_empty());
    assert!(page.text("#own-proposal").contains("不能签核自己的提议"));

    let resp = sign_off(app, &mut alice, p, case).await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.texts("#refusal li"),
        vec!["提议人与签核人不能为同一人，退/转/并/留决定须由另一名业务人员签核"]
    );
    assert_eq!(app.stage(p).await, "rectifying");
    assert_eq!(app.audit_count("rectification.signoff").await, 0);

    // The second staff member sees the sign-off form, with a confirmation.
    let mut bob = app.signed_in("staff-b").await;
    let page = bob.get(&case_path(p, case, "")).await;
    let sel = scraper::Selector::parse("form#signoff").unwrap();
    let doc = page.doc();
    let form = doc.select(&sel).next().expect("sign-off form");
    // Confirmed after validation: the form carries its question for the confirmation page.
    let prompt = scraper::Selector::parse("input[name=confirm_prompt]").unwrap();
    assert!(
        form.select(&prompt)
            .next()
            .and_then(|i| i.value().attr("value"))
            .unwrap()
            .contains("不可撤销")
    );
}

#[tokio::test]
async fn deciding_without_an_assessment_is_refused() {
    let w = world().await;
    let (app, p) = (&w.app, w.platform);
    let mut alice = app.signed_in("staff-a").await;
    let case = open_case(&mut alice, p).await;
    let resp = propose(
        app,
        &mut alice,
        p,
        case,
        &[("decision", "exit"), ("reason", "整改无望")],
    )
    .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.texts("#refusal li"),
        vec!["尚未记录充分评估意见（须经充分评估后决定）"]
    );
    assert_eq!(
        resp.value("#f-decision option[selected]").as_deref(),
        Some("exit")
    );

    // Even a proposal that got in without one (e.g. imported) cannot be signed off.
    let alice_id: i64 = app
        .value("SELECT id FROM users WHERE username = 'staff-a'")
        .await;
    sqlx::query(
        "UPDATE rectification_cases SET decision = 'exit', decision_reason = '导入', proposed_by = $2,
                proposed_at = now() WHERE id = $1",
    )
    .bind(case)
    .bind(alice_id)
    .execute(app.pool())
    .await
    .unwrap();
    let mut bob = app.signed_in("staff-b").await;
    let resp = sign_off(app, &mut bob, p, case).await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.texts("#refusal li"),
        vec!["尚未记录充分评估意见（须经充分评估后决定）"]
    );
    assert_eq!(app.stage(p).await, "rectifying");
}

#[tokio::test]
async fn bad_proposals_are_refused_with_reasons() {
    let w = world().await;
    let (app, p) = (&w.app, w.platform);
    let exited = platform("NT-2019-009").stage("exited").insert(app).await;
    let haimen = platform("HM-2020-001").in_county(HAIMEN).insert(app).await;
    let mut bob = app.signed_in("staff-b").await; // 崇川区 staff
    let case = open_case(&mut bob, p).await;
    assess(app, &mut bob, p, case).await;

    let page = bob.get(&case_path(p, case, "")).await;
    assert_eq!(
        page.texts("#f-convert_to option[value]:not([value=''])"),
        vec!["战略任务类", "产业转化类", "其他平台类（企业主导）"],
        "the current category is not offered"
    );
    assert!(
        page.texts("#f-merge_into_id option[value]:not([value=''])")
            .is_empty(),
        "no other operating platform in 崇川区"
    );

    let p_str = p.to_string();
    let exited_str = exited.to_string();
    let haimen_str = haimen.to_string();
    let cases: Vec<(Fields, &str, &str)> = vec![
        (vec![], "#f-decision-error", "请选择退、转、并、留之一"),
        (
            vec![("decision", "convert"), ("reason", "转型")],
            "#f-convert_to-error",
            "请选择转型后的平台类别",
        ),
        (
            vec![
                ("decision", "convert"),
                ("convert_to", "technical_service"),
                ("reason", "转型"),
            ],
            "#refusal li",
            "转型后的平台类别不能与当前类别（技术服务类）相同",
        ),
        (
            vec![
                ("decision", "merge"),
                ("merge_into_id", &p_str),
                ("reason", "合并"),
            ],
            "#refusal li",
            "平台不能并入自身",
        ),
        (
            vec![
                ("decision", "merge"),
                ("merge_into_id", &exited_str),
                ("reason", "合并"),
            ],
            "#refusal li",
            "并入的平台须处于「运行中」阶段，该平台当前为「已退出」",
        ),
        (
            vec![
                ("decision", "merge"),
                ("merge_into_id", &haimen_str),
                ("reason", "合并"),
            ],
            "#refusal li",
            "未选择并入的平台",
        ),
        (
            vec![("decision", "retain"), ("reason", " ")],
            "#f-reason-error",
            "请填写理由",
        ),
    ];
    for (fields, selector, message) in cases {
        let resp = propose(app, &mut bob, p, case, &fields).await;
        assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert_eq!(resp.text(selector), message, "{fields:?}");
    }
    assert_eq!(app.audit_count("rectification.propose").await, 0);
}

/// The platform the 并 decision merges into.
async fn merge_target(app: &TestApp) -> i64 {
    app.platform("NT-2020-100", "320613").await
}

#[tokio::test]
async fn each_signed_off_decision_moves_the_stage() {
    let w = world().await;
    let app = &w.app;
    let target = merge_target(app).await;
    let target_str = target.to_string();
    let mut alice = app.signed_in("staff-a").await;
    let mut bob = app.signed_in("staff-b").await;

    let decisions: Vec<(&str, Fields, &str)> = vec![
        ("exit", vec![], "exited"),
        ("convert", vec![("convert_to", "other")], "converted"),
        ("merge", vec![("merge_into_id", &target_str)], "merged"),
        ("retain", vec![], "operating"),
    ];
    for (i, (decision, extra, expected)) in decisions.into_iter().enumerate() {
        let p = if i == 0 {
            w.platform
        } else {
            app.platform(&format!("NT-2021-01{i}"), "320613").await
        };
        let case = open_case(&mut alice, p).await;
        assess(app, &mut alice, p, case).await;
        let reason = format!("经充分评估，决定{decision}");
        let mut fields = vec![("decision", decision), ("reason", reason.as_str())];
        fields.extend(extra);
        let resp = propose(app, &mut alice, p, case, &fields).await;
        assert_eq!(
            resp.status,
            StatusCode::SEE_OTHER,
            "{decision}: {}",
            resp.body
        );
        assert_eq!(
            app.stage(p).await,
            "rectifying",
            "a proposal alone moves nothing"
        );

        let resp = sign_off(app, &mut bob, p, case).await;
        assert_eq!(
            resp.status,
            StatusCode::SEE_OTHER,
            "{decision}: {}",
            resp.body
        );
        assert_eq!(app.stage(p).await, expected, "{decision}");

        let page = bob.get(&case_path(p, case, "")).await;
        assert_eq!(page.text("#case-status"), "已决定");
        assert!(page.text("#decided .decision-text").len() > 1);
        assert!(page.text("#decided").contains("staff-a"));
        assert!(page.text("#decided").contains("staff-b"));
        assert!(
            page.texts("form#propose, form#signoff, form#add-note")
                .is_empty()
        );

        let evs = events(app, p).await;
        let kinds: Vec<&str> = evs.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "case.opened",
                "case.assessed",
                "case.proposed",
                "case.decided"
            ],
            "{decision}"
        );
        let decided = evs.last().unwrap();
        assert_eq!(decided.1.as_deref(), Some("rectifying"));
        assert_eq!(decided.2.as_deref(), Some(expected));
        assert_eq!(decided.3, reason);

        match decision {
            "convert" => {
                let category: String = app
                    .scalar("SELECT category FROM platforms WHERE id = $1", p)
                    .await;
                assert_eq!(category, "other", "the conversion changes the category");
                let show = bob.get(&format!("/platforms/{p}")).await;
                assert!(
                    show.texts("#platform-facts dd")
                        .contains(&"其他平台类".to_owned())
                );
            }
            "merge" => {
                let into: Option<i64> = app
                    .scalar("SELECT merged_into_id FROM platforms WHERE id = $1", p)
                    .await;
                assert_eq!(into, Some(target));
                let show = bob.get(&format!("/platforms/{target}")).await;
                assert_eq!(
                    show.texts("#merged-from li"),
                    vec!["NT-2021-012 测试平台NT-2021-012"]
                );
                let merged = bob.get(&format!("/platforms/{p}")).await;
                assert!(merged.text("p.notice").contains("本平台已并入"));
                let target_events = events(app, target).await;
                assert_eq!(target_events.len(), 1);
                assert_eq!(target_events[0].0, "merge.received");
            }
            "retain" => {
                // Back to operating: a new case may be opened later.
                let tab = alice.get(&format!("/platforms/{p}/rectification")).await;
                assert_eq!(tab.texts("#open-case").len(), 1);
                assert_eq!(tab.text("#cases tbody tr .decision"), "保留（留）");
            }
            _ => {}
        }
    }
    assert_eq!(app.audit_count("rectification.open").await, 4);
    assert_eq!(app.audit_count("rectification.assess").await, 4);
    assert_eq!(app.audit_count("rectification.propose").await, 4);
    assert_eq!(app.audit_count("rectification.signoff").await, 4);
    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE action = 'rectification.signoff' ORDER BY seq LIMIT 1",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(before["platform"]["stage"], "rectifying");
    assert_eq!(after["platform"]["stage"], "exited");
    assert_eq!(after["case"]["status"], "decided");
}

#[tokio::test]
async fn a_pending_proposal_can_be_withdrawn() {
    let (w, mut alice, case) = assessed_case().await;
    let (app, p) = (&w.app, w.platform);
    let mut bob = app.signed_in("staff-b").await;
    let resp = propose(
        app,
        &mut alice,
        p,
        case,
        &[("decision", "exit"), ("reason", "整改无望")],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    // The assessment is frozen while a proposal is pending.
    let resp = post_case(
        app,
        &mut bob,
        p,
        case,
        "/assessment",
        &[("assessment", "改写")],
    )
    .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text("#assessment .refusal li")
            .contains("请先撤回提议")
    );

    let resp = post_case(
        app,
        &mut bob,
        p,
        case,
        "/withdraw",
        &[("withdraw_reason", "需补充评估")],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let page = bob.get(&case_path(p, case, "")).await;
    assert!(page.texts("#proposal").is_empty());
    assert_eq!(page.texts("form#propose").len(), 1);
    assert_eq!(app.audit_count("rectification.withdraw").await, 1);
    let kinds: Vec<String> = events(app, p).await.into_iter().map(|e| e.0).collect();
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("case.proposal_withdrawn")
    );

    // Nothing to withdraw or sign off any more.
    let resp = sign_off(app, &mut bob, p, case).await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text("#refusal li").starts_with("没有待签核的提议"));
}

#[tokio::test]
async fn staff_of_another_county_and_other_platforms_are_refused() {
    let (w, mut alice, case) = assessed_case().await;
    let (app, p) = (&w.app, w.platform);
    let resp = propose(
        app,
        &mut alice,
        p,
        case,
        &[("decision", "retain"), ("reason", "整改到位")],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);

    // Out of scope answers 404, as if the platform did not exist.
    let mut haimen = app.signed_in("haimen-staff").await;
    assert_eq!(
        haimen.get(&case_path(p, case, "")).await.status,
        StatusCode::NOT_FOUND
    );
    for action in ["/signoff", "/withdraw", "/notes", "/measures"] {
        let resp = post_case(app, &mut haimen, p, case, action, &[("note", "x")]).await;
        assert_eq!(resp.status, StatusCode::NOT_FOUND, "{action}");
    }
    let mut other = app.signed_in("other-advisor").await;
    assert_eq!(
        other.get(&case_path(p, case, "")).await.status,
        StatusCode::NOT_FOUND
    );
    // The operator and the leader read, and may not sign.
    for who in ["operator", "leader"] {
        let mut c = app.signed_in(who).await;
        assert_eq!(c.get(&case_path(p, case, "")).await.status, StatusCode::OK);
        let resp = post_case(app, &mut c, p, case, "/signoff", &[]).await;
        assert_eq!(resp.status, StatusCode::FORBIDDEN, "{who}");
    }
    // A case reached through another platform's path does not exist.
    let elsewhere = app.platform("NT-2021-050", "320613").await;
    let mut bob = app.signed_in("staff-b").await;
    assert_eq!(
        bob.get(&case_path(elsewhere, case, "")).await.status,
        StatusCode::NOT_FOUND
    );
    let resp = post_case(app, &mut bob, elsewhere, case, "/signoff", &[]).await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    assert_eq!(app.stage(p).await, "rectifying");
}

// ---- the timeline ---------------------------------------------------------------------

#[tokio::test]
async fn the_timeline_shows_every_event_in_order_with_reasons() {
    let w = world().await;
    let (app, p) = (&w.app, w.platform);
    let mut alice = app.signed_in("staff-a").await;
    let mut bob = app.signed_in("staff-b").await;

    let empty = alice.get(&format!("/platforms/{p}/timeline")).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.text("main").contains("尚无记录"));

    let case = open_case(&mut alice, p).await;
    assess(app, &mut alice, p, case).await;
    propose(
        app,
        &mut alice,
        p,
        case,
        &[
            ("decision", "convert"),
            ("convert_to", "strategic_task"),
            ("reason", "转为战略任务类更合适"),
        ],
    )
    .await;
    sign_off(app, &mut bob, p, case).await;

    let page = bob.get(&format!("/platforms/{p}/timeline")).await;
    assert_eq!(page.status, StatusCode::OK);
    let summaries = page.texts("#timeline li .summary");
    assert_eq!(summaries.len(), 4, "{summaries:?}");
    assert!(
        summaries[0].starts_with("启动退出整改（触发情形：建设进度未达预期、成果转化机制不畅）")
    );
    assert_eq!(summaries[1], "记录充分评估意见");
    assert_eq!(
        summaries[2],
        "提议转型（转）为战略任务类，待另一名业务人员签核"
    );
    assert!(summaries[3].starts_with("退/转/并/留决定生效：转型（转）为战略任务类"));
    let reasons = page.texts("#timeline li .reason");
    assert_eq!(reasons[0], "理由：连续两年技术合同和成果转化收入均为0");
    assert_eq!(reasons[3], "理由：转为战略任务类更合适");
    let first = page.text("#timeline li:first-child .stage-change");
    assert_eq!(first, "运行中 → 退出整改");
    let last = page.text("#timeline li:last-child .stage-change");
    assert_eq!(last, "退出整改 → 已转型");
    assert_eq!(page.text("#timeline li:first-child .who"), "staff-a");
    assert_eq!(page.text("#timeline li:last-child .who"), "staff-b");
    let at = page.text("#timeline li:first-child time");
    assert_eq!(at.len(), 16, "YYYY-MM-DD HH:MM: {at}");

    for who in ["operator", "advisor", "leader"] {
        let mut c = app.signed_in(who).await;
        let page = c.get(&format!("/platforms/{p}/timeline")).await;
        assert_eq!(page.status, StatusCode::OK, "{who}");
        assert_eq!(page.texts("#timeline li").len(), 4, "{who}");
    }
    for who in ["other-advisor", "haimen-staff"] {
        let mut c = app.signed_in(who).await;
        assert_eq!(
            c.get(&format!("/platforms/{p}/timeline")).await.status,
            StatusCode::NOT_FOUND,
            "{who}"
        );
    }
}

// ---- the demo city --------------------------------------------------------------------

#[tokio::test]
async fn the_demo_city_has_cases_for_every_late_stage() {
    let app = TestApp::with_demo().await;
    let counts: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT p.stage, c.status, count(*) FROM rectification_cases c JOIN platforms p ON p.id = c.platform_id
         GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    let counts: Vec<(&str, &str, i64)> = counts
        .iter()
        .map(|(s, c, n)| (s.as_str(), c.as_str(), *n))
        .collect();
    assert_eq!(
        counts,
        vec![
            ("converted", "decided", 2),
            ("exited", "decided", 3),
            ("merged", "decided", 3),
            // The 2025 不合格 platform's draft case from the evaluation results.
            ("operating", "draft", 1),
            ("rectifying", "open", 4),
        ]
    );
    // Every open case has an overdue measure; one awaits its sign-off.
    let overdue: i64 = app
        .value(
            "SELECT count(DISTINCT case_id) FROM rectification_measures m JOIN rectification_cases c ON c.id = m.case_id
             WHERE c.status = 'open' AND NOT m.done AND m.due_date < current_date",
        )
        .await;
    assert_eq!(overdue, 4);
    let (pending, platform, version): (i64, i64, i32) = sqlx::query_as(
        "SELECT id, platform_id, version FROM rectification_cases WHERE status = 'open' AND proposed_by IS NOT NULL",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();

    // The county staff member signs the pending 留 off: the platform operates again.
    let mut client = app.session_of("demo-county-staff").await;
    let page = client.get(&case_path(platform, pending, "")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("#measure-list tr.overdue").len(), 1);
    assert_eq!(page.texts("#note-list li").len(), 2);
    let resp = client
        .post(
            &case_path(platform, pending, "/signoff"),
            &[("version", &version.to_string())],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(app.stage(platform).await, "operating");

    // Merge targets list what was merged into them; decided platforms' timelines end with the decision.
    let (merged, target): (i64, i64) = sqlx::query_as(
        "SELECT id, merged_into_id FROM platforms WHERE stage = 'merged' ORDER BY id LIMIT 1",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    let mut client = app.session_of("demo-staff").await;
    let show = client.get(&format!("/platforms/{target}")).await;
    assert_eq!(show.texts("#merged-from li").len(), 1);
    let timeline = client.get(&format!("/platforms/{merged}/timeline")).await;
    let kinds: Vec<String> = timeline
        .doc()
        .select(&scraper::Selector::parse("#timeline li").unwrap())
        .map(|li| li.value().attr("data-kind").unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("registration.created")
    );
    let case_events: Vec<&str> = kinds
        .iter()
        .map(String::as_str)
        .filter(|k| k.starts_with("case."))
        .collect();
    assert_eq!(
        case_events,
        [
            "case.opened",
            "case.assessed",
            "case.proposed",
            "case.decided"
        ]
    );
    assert_eq!(kinds.last().map(String::as_str), Some("case.decided"));
}

// ---- after 退/转/并: funds to recover and the agreement's end ---------------------------

async fn recover(
    client: &mut Client,
    platform: i64,
    case: i64,
    date: &str,
    amount: &str,
    voucher: &str,
) -> common::Resp {
    client
        .post(
            &case_path(platform, case, "/recoveries"),
            &[
                ("recovered_on", date),
                ("amount", amount),
                ("voucher", voucher),
                ("note", ""),
            ],
        )
        .await
}

#[tokio::test]
async fn an_exit_records_funds_to_recover_and_recoveries_up_to_that_amount() {
    let (w, mut alice, case) = assessed_case().await;
    let (app, p) = (&w.app, w.platform);
    let mut bob = app.signed_in("staff-b").await;

    // Errors next to the fields, what was typed kept.
    let resp = propose(
        app,
        &mut alice,
        p,
        case,
        &[
            ("decision", "exit"),
            ("reason", "整改无望"),
            ("funds_to_recover", "12.5万"),
            ("funds_basis", ""),
            ("agreement_end", "2026-13-01"),
        ],
    )
    .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.text("#f-funds_to_recover-error"),
        "金额须为不小于0的整数（单位：元）"
    );
    assert!(resp.text("#f-agreement_end-error").contains("日期格式"));
    assert_eq!(resp.value("#f-funds_to_recover").as_deref(), Some("12.5万"));
    let resp = propose(
        app,
        &mut alice,
        p,
        case,
        &[
            ("decision", "exit"),
            ("reason", "整改无望"),
            ("funds_to_recover", "1,000,000"),
            ("funds_basis", ""),
        ],
    )
    .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text("#f-funds_basis-error")
            .starts_with("请填写追回依据")
    );

    let resp = propose(
        app,
        &mut alice,
        p,
        case,
        &[
            ("decision", "exit"),
            ("reason", "整改无望"),
            ("funds_to_recover", "1,000,000"),
            (
                "funds_basis",
                "共建协议第八条：未达建设目标的，追回市级补助",
            ),
            ("agreement_end", ""),
        ],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let page = alice.get(&case_path(p, case, "")).await;
    assert_eq!(page.text("#proposal .funds-to-recover"), "1,000,000元");
    assert_eq!(page.text("#proposal .agreement-end"), "决定生效之日");
    assert_eq!(
        sign_off(app, &mut bob, p, case).await.status,
        StatusCode::SEE_OTHER
    );

    // The agreement ends on the decision date; both shown on the case page and the timeline.
    let today = kechuang::clock::today().to_string();
    let page = bob.get(&case_path(p, case, "")).await;
    assert_eq!(page.text("#decided .funds-to-recover"), "1,000,000元");
    assert_eq!(page.text("#decided .agreement-end"), today);
    assert!(
        page.text("#recovery-status")
            .contains("尚待追回1,000,000元")
    );
    let timeline = bob.get(&format!("/platforms/{p}/timeline")).await;
    let decided = timeline.texts("#timeline li .summary").pop().unwrap();
    assert!(
        decided.contains("应追回财政资金1,000,000元")
            && decided.contains(&format!("共建协议于{today}终止")),
        "{decided}"
    );

    // Recoveries: audited, on the timeline, never above what remains.
    let resp = recover(&mut bob, p, case, &today, "600000", "JK-2026-001").await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let resp = recover(&mut bob, p, case, &today, "400001", "JK-2026-002").await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.text("#f-amount-error"),
        "追回金额400001元超过尚待追回的400000元（应追回1000000元，已追回600000元），不能多追回"
    );
    assert_eq!(resp.value("#f-voucher").as_deref(), Some("JK-2026-002"));
    let tomorrow = (kechuang::clock::today() + chrono::Duration::days(1)).to_string();
    let resp = recover(&mut bob, p, case, &tomorrow, "1", "JK").await;
    assert_eq!(resp.text("#f-recovered_on-error"), "追回日期不能晚于今天");

    // The list of funds to recover, for staff.
    let list = alice.get("/recovery").await;
    assert_eq!(list.status, StatusCode::OK);
    let row = list.text(&format!("#due-{case}"));
    assert!(
        row.contains("1,000,000元") && row.contains("600,000元") && row.contains("JK-2026-001"),
        "{row}"
    );
    assert_eq!(list.text(&format!("#due-{case} .outstanding")), "400,000元");

    let resp = recover(&mut alice, p, case, &today, "400000", "JK-2026-003").await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let page = alice.get(&case_path(p, case, "")).await;
    assert_eq!(page.texts("#recovery-records tbody tr").len(), 2);
    assert!(
        page.texts("#record-recovery").is_empty(),
        "nothing left to recover"
    );
    let resp = recover(&mut alice, p, case, &today, "1", "JK-2026-004").await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text("#recovery-refusal").contains("已全部追回"));
    let list = alice.get("/recovery").await;
    assert_eq!(
        list.text(&format!("#due-{case} .outstanding")),
        "已追回完毕"
    );

    assert_eq!(app.audit_count("rectification.recovery").await, 2);
    let recovered: i64 = app
        .value("SELECT sum(amount)::bigint FROM fund_recoveries")
        .await;
    assert_eq!(recovered, 1_000_000);
    let kinds: Vec<String> = app
        .column(
            "SELECT kind FROM lifecycle_events WHERE platform_id = $1 AND kind = 'funds.recovered'",
            p,
        )
        .await;
    assert_eq!(kinds.len(), 2);

    // The database holds the cap whatever the web layer does.
    let staff: i64 = app
        .value("SELECT id FROM users WHERE username = 'staff-a'")
        .await;
    let err = sqlx::query(
        "INSERT INTO fund_recoveries (case_id, platform_id, recovered_on, amount, voucher, recorded_by)
         VALUES ($1, $2, current_date, 1, 'X', $3)",
    )
    .bind(case)
    .bind(p)
    .bind(staff)
    .execute(app.pool())
    .await
    .unwrap_err();
    assert!(err.to_string().contains("exceed"), "{err}");
}

#[tokio::test]
async fn recoveries_are_for_staff_in_scope_and_an_explicit_agreement_end_is_kept() {
    let (w, mut alice, case) = assessed_case().await;
    let (app, p) = (&w.app, w.platform);
    let mut bob = app.signed_in("staff-b").await;
    let resp = propose(
        app,
        &mut alice,
        p,
        case,
        &[
            ("decision", "convert"),
            ("convert_to", "other"),
            ("reason", "转为企业主导"),
            ("funds_to_recover", "50000"),
            ("funds_basis", "审计结论"),
            ("agreement_end", "2026-01-31"),
        ],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    sign_off(app, &mut bob, p, case).await;
    let end: Option<chrono::NaiveDate> = app
        .scalar(
            "SELECT agreement_end FROM rectification_cases WHERE id = $1",
            case,
        )
        .await;
    assert_eq!(end.unwrap().to_string(), "2026-01-31");

    let today = kechuang::clock::today().to_string();
    for (who, status) in [
        ("operator", StatusCode::FORBIDDEN),
        ("leader", StatusCode::FORBIDDEN),
        ("haimen-staff", StatusCode::NOT_FOUND),
    ] {
        let mut c = app.signed_in(who).await;
        let resp = recover(&mut c, p, case, &today, "100", "V-1").await;
        assert_eq!(resp.status, status, "{who}");
    }
    // The operator reads the case with its settlement, without the form.
    let mut op = app.signed_in("operator").await;
    let page = op.get(&case_path(p, case, "")).await;
    assert_eq!(page.text("#decided .funds-to-recover"), "50,000元");
    assert!(page.texts("#record-recovery").is_empty());
    assert_eq!(op.get("/recovery").await.status, StatusCode::FORBIDDEN);
    // Staff of another county see nothing of it in the list.
    let mut hm = app.signed_in("haimen-staff").await;
    let list = hm.get("/recovery").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.texts(&format!("#due-{case}")).is_empty());
    assert_eq!(app.audit_count("rectification.recovery").await, 0);
}

#[tokio::test]
async fn a_retain_decision_records_no_funds() {
    let (w, mut alice, case) = assessed_case().await;
    let (app, p) = (&w.app, w.platform);
    let mut bob = app.signed_in("staff-b").await;
    let resp = propose(
        app,
        &mut alice,
        p,
        case,
        &[
            ("decision", "retain"),
            ("reason", "整改到位"),
            ("funds_to_recover", "999"),
        ],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    sign_off(app, &mut bob, p, case).await;
    let (funds, end): (Option<i64>, Option<chrono::NaiveDate>) = sqlx::query_as(
        "SELECT funds_to_recover, agreement_end FROM rectification_cases WHERE id = $1",
    )
    .bind(case)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!((funds, end), (None, None));
    let page = alice.get(&case_path(p, case, "")).await;
    assert!(page.texts("#recovery").is_empty());
    let today = kechuang::clock::today().to_string();
    let resp = recover(&mut alice, p, case, &today, "1", "V").await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// A claim of the platform already paid (`paid` yuan), as the claim workflow leaves it after 拨付.
async fn paid_claim(app: &TestApp, platform: i64, paid: i64) -> i64 {
    let doc: i64 = app
        .scalar(
            "INSERT INTO documents (platform_id, kind, title) VALUES ($1, 'other', '奖补申报书') RETURNING id",
            platform,
        )
        .await;
    sqlx::query_scalar(
        "INSERT INTO support_claims (platform_id, programme, as_of, computed_yuan, up_to, document_id, status,
                                     granted_yuan, paid_on, paid_yuan, voucher_no)
         VALUES ($1, 'NT-REWARD', current_date - 200, $2, false, $3, 'paid', $2, current_date - 150, $2, '记-01')
         RETURNING id",
    )
    .bind(platform)
    .bind(paid)
    .bind(doc)
    .fetch_one(app.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_paid_claim_is_recovered_under_the_exit_decision_and_counts_toward_its_total() {
    let w = world().await;
    let (app, p) = (&w.app, w.platform);
    let mut alice = app.signed_in("staff-a").await;
    let mut bob = app.signed_in("staff-b").await;
    let claim = paid_claim(app, p, 800_000).await;
    let case = open_case(&mut alice, p).await;
    assess(app, &mut alice, p, case).await;
    let resp = propose(
        app,
        &mut alice,
        p,
        case,
        &[
            ("decision", "exit"),
            ("reason", "整改无望"),
            ("funds_to_recover", "1,000,000"),
            ("funds_basis", "共建协议第八条"),
        ],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(
        sign_off(app, &mut bob, p, case).await.status,
        StatusCode::SEE_OTHER
    );
    let today = kechuang::clock::today().to_string();
    let resp = recover(&mut bob, p, case, &today, "300000", "JK-1").await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    // A serious integrity violation is a basis too (JY 新型研发机构 四(四)).
    sqlx::query(
        "INSERT INTO integrity_records (platform_id, occurred_on, serious, description)
         VALUES ($1, current_date - 10, true, '伪造实验数据')",
    )
    .bind(p)
    .execute(app.pool())
    .await
    .unwrap();

    // The paid claim shows the decision, and the 追回 form starts from it.
    let tab = alice.get(&format!("/platforms/{p}/support")).await;
    let facts = tab.text(&format!("#claim-{claim} .claim-facts"));
    assert!(
        facts.contains(&format!("第 {case} 号整改案件的退出"))
            && facts.contains("尚待追回 70.00 万元"),
        "{facts}"
    );
    let form = format!("#claim-{claim}-recover");
    assert_eq!(
        tab.value(&format!("{form} select[name=basis] option[selected]"))
            .as_deref(),
        Some(format!("case-{case}").as_str())
    );
    assert_eq!(
        tab.value(&format!("{form} input[name=recover]")).as_deref(),
        Some("70.00"),
        "the most the decision still takes (less than paid)"
    );
    let reason = tab
        .value(&format!("{form} input[name=reason]"))
        .unwrap_or_default();
    assert!(
        reason.contains(&format!("第 {case} 号整改案件的退出"))
            && reason.contains("共建协议第八条"),
        "{reason}"
    );
    let options = tab.texts(&format!("{form} select[name=basis] option"));
    assert!(
        options.iter().any(|o| o.contains("JY 新型研发机构 四(四)")),
        "{options:?}"
    );

    // More than the decision still has to recover is refused beside the amount.
    let base = format!("/platforms/{p}/support-claims/{claim}");
    let basis = format!("case-{case}");
    let resp = alice
        .post(
            &format!("{base}/recover"),
            &[
                ("basis", basis.as_str()),
                ("recover", "70.01"),
                ("reason", "依据退出决定"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text(&format!("#claim-{claim}-recover-error"))
            .contains("尚待追回的 70.00 万元"),
        "{}",
        resp.text(&format!("#claim-{claim}-recover-error"))
    );
    let resp = alice
        .post(
            &format!("{base}/recover"),
            &[
                ("basis", basis.as_str()),
                ("recover", "50"),
                ("reason", "依据退出决定"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let linked: Option<i64> = app
        .scalar(
            "SELECT recover_case_id FROM support_claims WHERE id = $1",
            claim,
        )
        .await;
    assert_eq!(linked, Some(case));

    // While the claim is being recovered its 50 万元 are committed: a direct recovery fits in the 20 万元 left.
    let resp = recover(&mut bob, p, case, &today, "200001", "JK-2").await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    let list = alice.get("/recovery").await;
    let row = list.text(&format!("#due-{case}"));
    assert!(row.contains(&format!("申报第 {claim} 号追回中")), "{row}");
    assert_eq!(list.text(&format!("#due-{case} .recovered")), "300,000元");

    // The money recovered on the claim counts toward the decision's total, once.
    let resp = alice
        .post(
            &format!("{base}/recovered"),
            &[
                ("recovered_on", &today),
                ("recovered", "50"),
                ("version", "2"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let list = alice.get("/recovery").await;
    assert_eq!(list.text(&format!("#due-{case} .recovered")), "800,000元");
    assert_eq!(list.text(&format!("#due-{case} .outstanding")), "200,000元");
    let row = list.text(&format!("#due-{case}"));
    assert!(row.contains(&format!("申报第 {claim} 号追回到账")), "{row}");
    let (direct, on_claims): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT sum(amount)::bigint FROM fund_recoveries WHERE case_id = $1),
                (SELECT sum(recovered_yuan)::bigint FROM support_claims WHERE recover_case_id = $1)",
    )
    .bind(case)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(
        (direct, on_claims),
        (300_000, 500_000),
        "each yuan held once"
    );
    let page = alice.get(&case_path(p, case, "")).await;
    assert!(
        page.text("#recovery-status").contains("尚待追回200,000元"),
        "{}",
        page.text("#recovery-status")
    );
    let resp = recover(&mut bob, p, case, &today, "200000", "JK-3").await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let list = alice.get("/recovery").await;
    assert_eq!(
        list.text(&format!("#due-{case} .outstanding")),
        "已追回完毕"
    );
    assert_eq!(app.audit_count("support.claim.recover").await, 1);
    assert_eq!(app.audit_count("support.claim.recovered").await, 1);

    // The database holds the decision's cap whatever the web layer does.
    let second = paid_claim(app, p, 100_000).await;
    let err = sqlx::query(
        "UPDATE support_claims SET status = 'recovering', recover_yuan = 1, recover_reason = 'x',
                recover_case_id = $2 WHERE id = $1",
    )
    .bind(second)
    .bind(case)
    .execute(app.pool())
    .await
    .unwrap_err();
    assert!(err.to_string().contains("does not fit"), "{err}");
}
