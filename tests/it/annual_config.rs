//! The per-year configuration (年度配置): defaults until saved, every save a new version with
//! who/when/why, errors per field and per dimension, optimistic concurrency, copy to next year,
//! city staff edit and county staff read.

use crate::common;

use crate::common::{CHONGCHUAN, CITY, Client, TestApp, cast, platform};
use axum::http::StatusCode;
use kechuang::domain::annual::AnnualConfig;
use kechuang::domain::config_form::{row_field, to_form};

async fn fixture() -> TestApp {
    let app = TestApp::new().await;
    let own = platform("OWN-001").in_county(CHONGCHUAN).insert(&app).await;
    cast()
        .staff("city-staff", CITY)
        .staff("county-staff", CHONGCHUAN)
        .operator("op-own", own)
        .leader("leader")
        .insert(&app)
        .await;
    app
}

/// The default configuration as the edit form posts it, with changes.
fn form(version: &str, reason: &str, changes: &[(String, &str)]) -> Vec<(String, String)> {
    let mut f = to_form(&AnnualConfig::default());
    f.set("version", version);
    f.set("reason", reason);
    for (k, v) in changes {
        f.set(k.clone(), *v);
    }
    f.0.into_iter().collect()
}

async fn post(c: &mut Client, path: &str, form: &[(String, String)]) -> common::Resp {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    c.post(path, &pairs).await
}

#[tokio::test]
async fn city_staff_save_versions_with_who_when_and_why() {
    let app = fixture().await;
    let mut staff = app.signed_in("city-staff").await;

    let home = staff.get("/annual/config").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.texts("header nav a").contains(&"年度配置".to_owned()));

    let page = staff.get("/annual/config/2030").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("#config-version"), "默认配置（未保存）");
    assert!(
        page.texts("#config-deadlines td")
            .contains(&"2030-03-31".to_owned())
    );
    assert!(
        page.texts("#config-deadlines td")
            .contains(&"2031-01-31".to_owned())
    );
    assert_eq!(
        page.rows("#config-weights tbody tr")[0],
        "战略任务类 40 25 15 10 10 100"
    );
    let edit = staff.get("/annual/config/2030/edit").await;
    assert_eq!(edit.status, StatusCode::OK);
    assert_eq!(edit.value("input[name=version]").as_deref(), Some("0"));
    assert_eq!(
        edit.value("input[name=ind_0_weight]").as_deref(),
        Some("30")
    );

    // Version 1: the defaults with a longer notice period.
    let resp = post(
        &mut staff,
        "/annual/config/2030",
        &form("0", "按新办法延长公示期", &[("notice_days".into(), "10")]),
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    // Version 2: re-weight two indicators of 技术研发 (30/25 → 35/20).
    let resp = post(
        &mut staff,
        "/annual/config/2030",
        &form(
            "1",
            "研发投入权重上调",
            &[
                ("notice_days".into(), "10"),
                (row_field(0, "weight"), "35"),
                (row_field(1, "weight"), "20"),
            ],
        ),
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);

    let page = staff.get("/annual/config/2030").await;
    assert!(page.text("#config-version").starts_with("第 2 版"));
    assert_eq!(page.text("#config-notice-days"), "10");
    let history = page.rows("#config-history tbody tr");
    assert_eq!(history.len(), 2);
    assert!(history[0].contains("研发投入权重上调") && history[0].contains("city-staff"));
    assert!(history[1].contains("按新办法延长公示期"));
    // An older version can be looked at.
    let old = staff.get("/annual/config/2030?version=1").await;
    assert!(old.text("#config-version").contains("历史版本：第 1 版"));
    assert!(
        old.texts("#config-indicators td")
            .contains(&"30".to_owned())
    );

    let (versions, in_force): (i64, i32) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM annual_config_versions WHERE year = 2030), \
                (SELECT version FROM annual_configs WHERE year = 2030)",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!((versions, in_force), (2, 2));
    assert_eq!(app.audit_count("annual_config.update").await, 2);
    let weight: f64 = app
        .value(
            "SELECT (config->'rubric'->'indicators'->0->>'weight')::float8 FROM annual_configs WHERE year = 2030",
        )
        .await;
    assert_eq!(weight, 35.0);
}

#[tokio::test]
async fn bad_weights_are_reported_per_dimension_with_everything_typed_kept() {
    let app = fixture().await;
    let mut staff = app.signed_in("city-staff").await;
    let resp = post(
        &mut staff,
        "/annual/config/2030",
        &form(
            "0",
            "",
            &[
                (row_field(0, "weight"), "20"),
                ("w_other_rnd".into(), "30"),
                ("filing_deadline".into(), "3月31日"),
            ],
        ),
    )
    .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.texts(".dimsum-error"),
        vec!["维度「技术研发」的指标权重合计为 90，应为 100"]
    );
    assert_eq!(
        resp.texts(".catsum-error"),
        vec!["其他平台类的五个维度权重合计为 105，应为 100"]
    );
    assert_eq!(resp.text("#f-reason-error"), "请填写修改原因");
    assert!(resp.text("#f-filing_deadline-error").contains("MM-DD"));
    assert!(resp.text("#config-errors").contains("有 4 处需要修改"));
    assert_eq!(
        resp.value("input[name=ind_0_weight]").as_deref(),
        Some("20")
    );
    assert_eq!(
        resp.value("input[name=filing_deadline]").as_deref(),
        Some("3月31日")
    );
    let saved: i64 = app.value("SELECT count(*) FROM annual_configs").await;
    assert_eq!(saved, 0);
}

#[tokio::test]
async fn indicators_are_added_and_removed_in_the_same_form() {
    let app = fixture().await;
    let mut staff = app.signed_in("city-staff").await;
    let rows = 18; // the default indicators; blank rows follow
    let resp = post(
        &mut staff,
        "/annual/config/2030",
        &form(
            "0",
            "以中试线替代核心技术指标",
            &[
                (row_field(1, "remove"), "on"),
                (row_field(rows, "key"), "pilot_lines"),
                (row_field(rows, "label"), "建成中试线"),
                (row_field(rows, "dimension"), "rnd"),
                (row_field(rows, "weight"), "25"),
                (row_field(rows, "kind"), "quantitative"),
            ],
        ),
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let page = staff.get("/annual/config/2030").await;
    let cells = page.texts("#config-indicators code");
    assert!(cells.contains(&"pilot_lines".to_owned()));
    assert!(!cells.contains(&"core_technologies".to_owned()));
    // The new indicator takes a target in that year's filing form.
    let own: i64 = app
        .value("SELECT id FROM platforms WHERE code = 'OWN-001'")
        .await;
    let mut op = app.signed_in("op-own").await;
    let filing = op
        .get(&format!("/platforms/{own}/annual/filing?year=2030"))
        .await;
    assert!(filing.value("input[name=t_pilot_lines]").is_some());
    assert!(filing.value("input[name=t_core_technologies]").is_none());
}

#[tokio::test]
async fn a_stale_edit_is_a_conflict_showing_both_versions() {
    let app = fixture().await;
    let mut staff = app.signed_in("city-staff").await;
    let resp = post(
        &mut staff,
        "/annual/config/2030",
        &form("0", "第一次", &[("notice_days".into(), "10")]),
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    // A second editor still has the form of version 0.
    let resp = post(
        &mut staff,
        "/annual/config/2030",
        &form("0", "第二次", &[("notice_days".into(), "12")]),
    )
    .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    let differing = resp.rows("#conflict-table tr.differs");
    assert_eq!(differing, vec!["公示期（天） 12 10"]);
    let version: i32 = app
        .value("SELECT version FROM annual_configs WHERE year = 2030")
        .await;
    assert_eq!(version, 1);
}

#[tokio::test]
async fn next_year_starts_from_this_year_once() {
    let app = fixture().await;
    let mut staff = app.signed_in("city-staff").await;
    let resp = post(
        &mut staff,
        "/annual/config/2030",
        &form("0", "本年度配置", &[("notice_days".into(), "9")]),
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let resp = staff.post("/annual/config/2030/copy", &[]).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(
        resp.location(),
        Some("/annual/config/2031?notice=config_copied")
    );
    let page = staff.get("/annual/config/2031").await;
    assert!(page.text("#config-version").starts_with("第 1 版"));
    assert_eq!(page.text("#config-notice-days"), "9");
    assert!(
        page.texts("#config-history td")
            .contains(&"自 2030 年复制".to_owned())
    );
    assert_eq!(app.audit_count("annual_config.copy").await, 1);

    // 2031 exists now: copying again is refused and changes nothing.
    let resp = staff.post("/annual/config/2030/copy", &[]).await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(resp.text("#config-error").contains("2031 年度已有配置"));
    let versions: i64 = app
        .value("SELECT count(*) FROM annual_config_versions WHERE year = 2031")
        .await;
    assert_eq!(versions, 1);
}

#[tokio::test]
async fn county_staff_read_only_other_roles_not_at_all() {
    let app = fixture().await;
    let mut county = app.signed_in("county-staff").await;
    assert_eq!(county.get("/annual/config").await.status, StatusCode::OK);
    let page = county.get("/annual/config/2030").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts("a[href='/annual/config/2030/edit']").is_empty());
    assert_eq!(
        county.get("/annual/config/2030/edit").await.status,
        StatusCode::FORBIDDEN
    );
    let resp = post(
        &mut county,
        "/annual/config/2030",
        &form("0", "县里改", &[]),
    )
    .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    assert_eq!(
        county.post("/annual/config/2030/copy", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    for user in ["op-own", "leader"] {
        let mut c = app.signed_in(user).await;
        assert_eq!(
            c.get("/annual/config").await.status,
            StatusCode::FORBIDDEN,
            "{user}"
        );
    }
    assert_eq!(app.audit_count("annual_config.update").await, 0);
}

#[tokio::test]
async fn moving_the_filing_deadline_moves_the_pages_and_the_rule() {
    let app = fixture().await;
    let id: i64 = app
        .value("SELECT id FROM platforms WHERE code = 'OWN-001'")
        .await;
    let today = kechuang::clock::today();
    use chrono::Datelike;
    let year = today.year();
    let mut tx =
        kechuang::db::audit::begin(app.pool(), &kechuang::db::audit::Actor::system("test"))
            .await
            .unwrap();
    sqlx::query(
        "UPDATE platforms SET stage = 'operating', operating_since = make_date($2 - 2, 1, 1) WHERE id = $1",
    )
    .bind(id)
    .bind(year)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.data_changed().await;
    kechuang::db::compliance::refresh(app.pool(), None, today)
        .await
        .unwrap();
    // Today is after 03-31 and nothing was filed.
    let deadline_passed = today > chrono::NaiveDate::from_ymd_opt(year, 3, 31).unwrap();
    if deadline_passed {
        assert_eq!(app.finding(id, "EVAL-FILING").await, "fail");
    }

    let mut staff = app.signed_in("city-staff").await;
    let resp = post(
        &mut staff,
        &format!("/annual/config/{year}"),
        &form(
            "0",
            "因故推迟年初备案",
            &[("filing_deadline".into(), "12-31")],
        ),
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);

    // The rule: the finding was recomputed against the moved deadline.
    assert_eq!(app.finding(id, "EVAL-FILING").await, "info");
    let facts: serde_json::Value = app
        .scalar(
            "SELECT facts FROM findings WHERE platform_id = $1 AND rule_id = 'EVAL-FILING'",
            id,
        )
        .await;
    assert!(
        facts.to_string().contains(&format!("{year}-12-31")),
        "{facts}"
    );
    // The pages: the platform's annual page and the rule's parameter in force.
    let mut op = app.signed_in("op-own").await;
    let page = op.get(&format!("/platforms/{id}/annual?year={year}")).await;
    assert!(
        page.body.contains(&format!("{year}-12-31")),
        "{}",
        page.body
    );
    let rule = staff.get("/rules/EVAL-FILING").await;
    assert!(
        rule.text("tr[data-param=deadline] td.current")
            .contains("12"),
        "{}",
        rule.text("tr[data-param=deadline]")
    );
}
