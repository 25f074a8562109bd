//! The Excel exports: the platform list (filters applied, every page), the compliance matrix with
//! its totals and open findings, and the leadership drill-down list. Each holds exactly what the
//! user may see on the page it belongs to, with Chinese headers and real number formats.

use crate::common::xlsx::{self, Sheet};
use crate::common::{CHONGCHUAN, CITY, Client, Figures, HAIMEN, TestApp, cast, platform};
use axum::http::{StatusCode, header};
use chrono::Datelike;
use kechuang::clock::today;
use kechuang::db::compliance;

/// Two platforms in 崇川区 (A1 with last year's figures, A2 without) and one in 海门区 (B1), with
/// findings; accounts for every kind of reader.
async fn city(app: &TestApp) -> (i64, i64, i64) {
    let last = today().year() - 1;
    let figures = |service_orders, expenditure| Figures {
        service_orders,
        fiscal_subsidy: 1_500_000,
        expenditure,
        ..Figures::default()
    };
    let a1 = platform("XL-A1")
        .in_county(CHONGCHUAN)
        .construction("2020-03-01", "2023-02-28")
        .co_builders("示例大学（虚构）")
        .with_ledger(last, figures(6_000_000, 4_000_000))
        .insert(app)
        .await;
    let a2 = platform("XL-A2").in_county(CHONGCHUAN).insert(app).await;
    let b1 = platform("XL-B1")
        .in_county(HAIMEN)
        .with_ledger(last, figures(1_000_000, 8_000_000))
        .insert(app)
        .await;
    compliance::refresh(app.pool(), None, today())
        .await
        .unwrap();
    cast()
        .staff("city-staff", CITY)
        .staff("county-staff", CHONGCHUAN)
        .operator("operator-a1", a1)
        .leader("leader")
        .insert(app)
        .await;
    (a1, a2, b1)
}

/// Downloads an export and reads it back, checking that it is one.
async fn download(c: &mut Client, path: &str) -> Vec<Sheet> {
    let resp = c.get(path).await;
    assert_eq!(resp.status, StatusCode::OK, "{path}: {}", resp.body);
    assert_eq!(
        resp.headers[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = resp.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"")
            && disposition.contains("filename*=UTF-8''"),
        "{disposition}"
    );
    xlsx::read(&resp.bytes)
}

fn codes(sheet: &Sheet, title: &str) -> Vec<String> {
    sheet.column(title).iter().map(|c| c.text.clone()).collect()
}

#[tokio::test]
async fn the_platform_list_exports_every_matching_platform_the_user_may_see() {
    let app = TestApp::new().await;
    let (_, _, _) = city(&app).await;
    let last = today().year() - 1;

    let mut staff = app.signed_in("city-staff").await;
    let page = staff
        .get("/platforms?jurisdiction=&sort=name&dir=desc")
        .await;
    let href = page
        .doc()
        .select(&scraper::Selector::parse("#export-xlsx").unwrap())
        .next()
        .and_then(|a| a.value().attr("href").map(str::to_string))
        .expect("the list offers the export");
    assert_eq!(href, "/platforms.xlsx?sort=name&dir=desc");

    let sheets = download(&mut staff, &href).await;
    assert_eq!(sheets.len(), 1);
    // Bulk data leaving the system is in the audit trail: who, what, with which filters, how many rows.
    let (entity, after): (String, serde_json::Value) = sqlx::query_as(
        "SELECT entity, after FROM audit_log WHERE action = 'export.xlsx' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(entity, "platforms");
    assert_eq!(
        after,
        serde_json::json!({"query": "sort=name&dir=desc", "rows": 3})
    );
    let list = &sheets[0];
    assert_eq!(list.name, "平台名录");
    assert_eq!(
        list.texts(0)[..8],
        [
            "编号",
            "名称",
            "地区",
            "层级",
            "功能定位",
            "阶段",
            "产业集群",
            "共建单位"
        ]
    );
    // The list's order (name, descending), all three platforms.
    assert_eq!(codes(list, "编号"), ["XL-B1", "XL-A2", "XL-A1"]);
    let a1 = list.rows.iter().position(|r| r[0].text == "XL-A1").unwrap();
    let row = |title: &str| {
        let c = list.rows[0].iter().position(|h| h.text == title).unwrap();
        list.rows[a1][c].clone()
    };
    assert_eq!(row("地区").text, "崇川区");
    assert_eq!(row("阶段").text, "运行中");
    assert_eq!(row("共建单位").text, "示例大学（虚构）");
    let end = row("建设期结束");
    assert_eq!(end.text, xlsx::serial(2023, 2, 28));
    assert_eq!(end.format, "yyyy-mm-dd");
    let own = row(&format!("{last}年自我造血收入（元）"));
    assert_eq!(
        (own.text.as_str(), own.format.as_str()),
        ("6000000", "#,##0")
    );
    let ratio = row(&format!("{last}年收支比"));
    assert_eq!(
        (ratio.text.as_str(), ratio.format.as_str()),
        ("1.5", "0.00")
    );
    // A2 has no figures: blank, not zero.
    let a2 = list.rows.iter().position(|r| r[0].text == "XL-A2").unwrap();
    let c = list.rows[0]
        .iter()
        .position(|h| h.text == format!("{last}年支出（元）"))
        .unwrap();
    assert_eq!(list.rows[a2].get(c).map_or("", |c| c.text.as_str()), "");

    // Filters apply exactly as on the page: a search, a county.
    let sheets = download(&mut staff, "/platforms.xlsx?q=A1").await;
    assert_eq!(codes(&sheets[0], "编号"), ["XL-A1"]);
    let haimen: i32 = app
        .scalar("SELECT id FROM jurisdictions WHERE code = $1", HAIMEN)
        .await;
    let sheets = download(
        &mut staff,
        &format!("/platforms.xlsx?jurisdiction={haimen}"),
    )
    .await;
    assert_eq!(codes(&sheets[0], "编号"), ["XL-B1"]);

    // County staff: their county only, whatever they ask for.
    let mut county = app.signed_in("county-staff").await;
    let sheets = download(&mut county, "/platforms.xlsx").await;
    assert_eq!(codes(&sheets[0], "编号"), ["XL-A1", "XL-A2"]);
    let sheets = download(
        &mut county,
        &format!("/platforms.xlsx?jurisdiction={haimen}"),
    )
    .await;
    assert_eq!(sheets[0].rows.len(), 1, "header only");

    // The operator: its own platform.
    let mut operator = app.signed_in("operator-a1").await;
    let sheets = download(&mut operator, "/platforms.xlsx").await;
    assert_eq!(codes(&sheets[0], "编号"), ["XL-A1"]);
}

#[tokio::test]
async fn the_compliance_matrix_exports_statuses_totals_and_open_findings_in_scope() {
    let app = TestApp::new().await;
    city(&app).await;
    let rules = kechuang::domain::compliance::rules();

    let mut staff = app.signed_in("city-staff").await;
    let page = staff.get("/compliance?failing=1").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.doc()
            .select(&scraper::Selector::parse("#export-xlsx").unwrap())
            .next()
            .and_then(|a| a.value().attr("href")),
        Some("/compliance.xlsx?failing=1")
    );
    let sheets = download(&mut staff, "/compliance.xlsx").await;
    let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["合规矩阵", "各规则汇总", "问题明细"]);
    let (matrix, totals, open) = (&sheets[0], &sheets[1], &sheets[2]);
    assert_eq!(matrix.rows[0].len(), 4 + rules.len());
    // Rules by their Chinese name.
    assert_eq!(matrix.texts(0)[4], rules[0].name_zh);
    assert_eq!(codes(matrix, "平台编号"), ["XL-A1", "XL-A2", "XL-B1"]);

    // The cells are the stored findings, as the page labels them.
    let stored: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT p.code, f.rule_id, f.status FROM findings f JOIN platforms p ON p.id = f.platform_id",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert!(!stored.is_empty());
    for (code, rule, status) in &stored {
        let r = matrix
            .rows
            .iter()
            .position(|row| row[0].text == *code)
            .unwrap();
        let name = kechuang::domain::compliance::rule(rule).unwrap().name_zh;
        let c = matrix.rows[0].iter().position(|h| h.text == name).unwrap();
        let label = kechuang::domain::compliance::Status::parse(status)
            .unwrap()
            .label_zh();
        assert_eq!(matrix.rows[r][c].text, label, "{code} {rule}");
    }
    // Totals: one row per rule, counts as numbers.
    assert_eq!(totals.rows.len(), 1 + rules.len());
    let fails = stored.iter().filter(|(_, _, s)| s == "fail").count();
    let summed: usize = totals
        .column("不通过")
        .iter()
        .map(|c| c.text.parse::<usize>().unwrap())
        .sum();
    assert_eq!(summed, fails);
    // Open findings: every fail, warn and insufficient-data finding, with its message.
    let needing: usize = stored
        .iter()
        .filter(|(_, _, s)| matches!(s.as_str(), "fail" | "warn" | "insufficient_data"))
        .count();
    assert_eq!(open.rows.len(), 1 + needing);
    assert!(open.column("说明").iter().all(|c| !c.text.is_empty()));
    assert!(
        open.column("检查日期")
            .iter()
            .all(|c| c.format == "yyyy-mm-dd")
    );

    // County staff: their county's platforms and findings only.
    let mut county = app.signed_in("county-staff").await;
    let sheets = download(&mut county, "/compliance.xlsx").await;
    assert_eq!(codes(&sheets[0], "平台编号"), ["XL-A1", "XL-A2"]);
    assert!(
        codes(&sheets[2], "平台编号")
            .iter()
            .all(|c| c.starts_with("XL-A"))
    );

    // The matrix is the bureau's: operators get no export.
    let mut operator = app.signed_in("operator-a1").await;
    assert_eq!(
        operator.get("/compliance.xlsx").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_leadership_export_is_the_drill_down_list_with_its_criteria() {
    let app = TestApp::new().await;
    city(&app).await;
    let last = today().year() - 1;

    let mut leader = app.signed_in("leader").await;
    let dashboard = leader.get("/leadership").await;
    let href = dashboard
        .doc()
        .select(&scraper::Selector::parse("#export-xlsx").unwrap())
        .next()
        .and_then(|a| a.value().attr("href").map(str::to_string))
        .expect("the dashboard offers the export");
    assert_eq!(href, format!("/leadership/platforms.xlsx?year={last}"));
    let sheets = download(&mut leader, &href).await;
    assert_eq!(sheets[0].name, "平台明细");
    assert_eq!(codes(&sheets[0], "平台编号").len(), 3);
    let own = sheets[0].column(&format!("{last}年自主收入（元）"));
    assert!(
        own.iter()
            .any(|c| c.text == "6000000" && c.format == "#,##0")
    );
    assert_eq!(sheets[1].name, "筛选条件");
    assert!(sheets[1].texts(1)[0].starts_with(&format!("{last}年度")));

    // The same list as the drill-down page: break-even platforms only.
    let page = leader
        .get(&format!("/leadership/platforms?year={last}&balance=yes"))
        .await;
    let export = page
        .doc()
        .select(&scraper::Selector::parse("#export-xlsx").unwrap())
        .next()
        .and_then(|a| a.value().attr("href").map(str::to_string))
        .unwrap();
    let sheets = download(&mut leader, &export).await;
    assert_eq!(codes(&sheets[0], "平台编号"), ["XL-A1"]);
    assert_eq!(sheets[0].column("自给率")[0].format, "0.00");
    assert!(sheets[1].texts(2)[0].contains("已收支平衡"));

    // County staff: their county only.
    let mut county = app.signed_in("county-staff").await;
    let sheets = download(&mut county, &href).await;
    let mut seen = codes(&sheets[0], "平台编号");
    seen.sort();
    assert_eq!(seen, ["XL-A1", "XL-A2"]);
    let mut operator = app.signed_in("operator-a1").await;
    assert_eq!(operator.get(&href).await.status, StatusCode::FORBIDDEN);
}
