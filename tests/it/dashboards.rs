//! The three audiences' dashboards and their charts' JSON: data scope (leader: the whole city;
//! county staff: their county; operator: their platform), drill-downs leading to the platforms
//! behind a figure, chart JSON equal to the table beside the chart, empty states, the print view,
//! and a city of 60 platforms.

use crate::common::fixture::PlatformBuilder;
use crate::common::{
    CHONGCHUAN, CITY, Client, Figures, HAIMEN, Resp, TestApp, checklist_item, platform,
    submitted_filing, submitted_midyear,
};
use axum::http::{StatusCode, header};
use chrono::Datelike;
use kechuang::clock::today;
use kechuang::domain::role::Role;
use serde_json::Value;

async fn exec(app: &TestApp, sql: &str, id: i64) {
    app.exec(sql, id).await;
}

/// A year of self-reported figures: `so` service orders, `fs` fiscal subsidy, `exp` expenditure.
async fn figures(app: &TestApp, id: i64, year: i32, so: i64, fs: i64, exp: i64) {
    sqlx::query(
        "INSERT INTO annual_figures (platform_id, year, service_orders, tech_contracts, fiscal_subsidy, expenditure)
         VALUES ($1, $2, $3, $3 / 4, $4, $5)",
    )
    .bind(id)
    .bind(year)
    .bind(so)
    .bind(fs)
    .bind(exp)
    .execute(app.pool())
    .await
    .unwrap();
}

/// A published evaluation result.
async fn evaluation(app: &TestApp, id: i64, year: i32, score: f64, rank: i32, grade: &str) {
    app.exec(
        "INSERT INTO evaluation_rounds (year, status) VALUES ($1, 'published') ON CONFLICT (year) DO NOTHING",
        year,
    )
    .await;
    let detail = serde_json::json!({"stage": "final", "score": {"total": score, "warnings": [], "by_dimension": [
        {"dimension": "rnd", "score": score - 5.0}, {"dimension": "talent", "score": score},
        {"dimension": "transfer", "score": 70.25}, {"dimension": "market", "score": null},
        {"dimension": "governance", "score": 88.0}]}});
    sqlx::query(
        "INSERT INTO evaluations (platform_id, year, status, total_score, rank, grade, score_detail)
         VALUES ($1, $2, 'scored', $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(year)
    .bind(score)
    .bind(rank)
    .bind(grade)
    .bind(detail)
    .execute(app.pool())
    .await
    .unwrap();
}

async fn json(c: &mut Client, path: &str) -> Value {
    let resp = c.get(path).await;
    assert_eq!(resp.status, StatusCode::OK, "{path}: {}", resp.body);
    assert_eq!(
        resp.headers[header::CONTENT_TYPE],
        "application/json",
        "{path}"
    );
    assert_eq!(resp.headers[header::CACHE_CONTROL], "no-store", "{path}");
    serde_json::from_str(&resp.body).unwrap()
}

/// The data-table cells of the chart figure `#id` (rows of cells, the category first).
fn table(page: &Resp, id: &str) -> Vec<Vec<String>> {
    let doc = page.doc();
    let rows = scraper::Selector::parse(&format!("#{id} table.chart-data tbody tr")).unwrap();
    let cells = scraper::Selector::parse("th, td").unwrap();
    doc.select(&rows)
        .map(|r| {
            r.select(&cells)
                .map(|c| c.text().collect::<String>().trim().to_string())
                .collect()
        })
        .collect()
}

/// The `href` of the table link whose text is `text` in chart `#id`.
fn link(page: &Resp, id: &str, text: &str) -> String {
    let doc = page.doc();
    let sel = scraper::Selector::parse(&format!("#{id} table.chart-data a")).unwrap();
    doc.select(&sel)
        .find(|a| a.text().collect::<String>().trim() == text)
        .and_then(|a| a.value().attr("href"))
        .unwrap_or_else(|| panic!("no link {text} in #{id}"))
        .to_string()
}

/// Every value of the chart's JSON appears in the same place of its table, as the table shows it.
fn assert_agree(page: &Resp, id: &str, chart: &Value) {
    let rows = table(page, id);
    let categories = chart["categories"].as_array().unwrap();
    let decimals = chart["decimals"].as_u64().unwrap() as usize;
    assert_eq!(rows.len(), categories.len(), "#{id}: rows");
    for (ci, row) in rows.iter().enumerate() {
        assert_eq!(
            row[0],
            categories[ci].as_str().unwrap(),
            "#{id}: category {ci}"
        );
        for (si, series) in chart["series"].as_array().unwrap().iter().enumerate() {
            let expected = match series["data"][ci].as_f64() {
                Some(v) => format!("{v:.decimals$}"),
                None => "—".into(),
            };
            assert_eq!(row[si + 1], expected, "#{id}: series {si} at {ci}");
        }
        if let Some(link) = chart["links"][ci].as_str() {
            assert!(!link.is_empty());
        }
    }
}

/// The number of the pager's "共 N 条".
fn listed(page: &Resp) -> i64 {
    let text = page.text(".pager > span:first-child");
    text.trim_start_matches("共 ")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("no count in {text:?}"))
}

struct City {
    a: i64,
    b: i64,
    c: i64,
    d: i64,
    e: i64,
}

/// Five platforms: a, b, c in 崇川区 (county staff's county), d in 海门区, e at city level; a and d
/// operate with construction ended long ago and are not at break-even (at risk), b is at
/// break-even, c is registering, e is rectifying.
async fn city(app: &TestApp) -> City {
    let last = today().year() - 1;
    // Three years of self-reported figures: service orders (a quarter of them in technical
    // contracts), fiscal subsidy, expenditure.
    let years = |p: PlatformBuilder, so: i64, fs: i64, exp: i64| {
        (last - 2..=last).fold(p, |p, year| {
            p.with_ledger(
                year,
                Figures {
                    service_orders: so,
                    tech_contracts: so / 4,
                    fiscal_subsidy: fs,
                    expenditure: exp,
                    ..Figures::default()
                },
            )
        })
    };
    let long_ago = |p: PlatformBuilder| {
        p.construction("2019-01-01", "2021-12-31")
            .cluster("new_materials")
    };
    let a = years(long_ago(platform("NT-A")), 3_000_000, 5_000_000, 10_000_000)
        .insert(app)
        .await;
    let b = years(
        platform("NT-B")
            .construction("2022-01-01", "2024-06-30")
            .cluster("new_energy"),
        12_000_000,
        1_000_000,
        10_000_000,
    )
    .insert(app)
    .await;
    let c = platform("NT-C")
        .registering()
        .category(None)
        .insert(app)
        .await;
    let d = years(
        long_ago(platform("NT-D").in_county(HAIMEN)),
        1_000_000,
        0,
        8_000_000,
    )
    .insert(app)
    .await;
    let e = platform("NT-E")
        .in_county(CITY)
        .stage("rectifying")
        .category(Some("strategic_task"))
        .insert(app)
        .await;
    // b's latest year also has ledger items: the ledger wins over the self-reported totals.
    sqlx::query(
        "INSERT INTO ledger_revenue (platform_id, year, channel, amount) VALUES
            ($1, $2, 'service_orders', 9000000), ($1, $2, 'incubation_returns', 4000000),
            ($1, $2, 'fiscal_subsidy', 123456)",
    )
    .bind(b)
    .bind(last)
    .execute(app.pool())
    .await
    .unwrap();
    evaluation(app, a, last, 72.5, 2, "pass").await;
    evaluation(app, b, last, 91.0, 1, "excellent").await;
    evaluation(app, d, last, 55.0, 3, "fail").await;
    City { a, b, c, d, e }
}

#[tokio::test]
async fn the_leader_sees_the_whole_city_and_drills_down_to_the_platforms() {
    let app = TestApp::new().await;
    let city = city(&app).await;
    app.user("leader", Some(Role::Leader), None, None).await;
    let mut leader = app.signed_in("leader").await;
    assert_eq!(leader.get("/").await.location(), Some("/leadership"));
    let page = leader.get("/leadership").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.text("nav a[aria-current=page]"), "领导驾驶舱");
    let kpis = page.texts("#kpis .kpi-value");
    assert_eq!(kpis[0], "5", "all five platforms of the city");

    // Counts by stage: 3 operating; the table link opens the registry filtered on it.
    let stages = table(&page, "chart-by-stage");
    assert!(
        stages.contains(&vec!["运行中".to_string(), "3".to_string()]),
        "{stages:?}"
    );
    let href = link(&page, "chart-by-stage", "运行中");
    assert_eq!(href, "/platforms?stage=operating");
    let list = leader.get(&href).await;
    assert_eq!(listed(&list), 3);
    assert_eq!(list.texts("#platform-list tbody tr").len(), 3);
    // By jurisdiction: 崇川区 3.
    let href = link(&page, "chart-by-jurisdiction", "崇川区");
    assert_eq!(listed(&leader.get(&href).await), 3);
    // "Not set" categories cannot be filtered by the registry: the dashboard's own list does.
    let href = link(&page, "chart-by-category", "未设置");
    assert!(href.starts_with("/leadership/platforms?"), "{href}");
    let drill = leader.get(&href).await;
    assert_eq!(listed(&drill), 1);
    assert!(drill.text("#drill-list").contains("NT-C"));

    // Grades of the last year: one excellent, drill down by the segment's link.
    let last = today().year() - 1;
    let grades = json(
        &mut leader,
        &format!("/api/leadership/grades.json?year={last}"),
    )
    .await;
    let excellent = grades["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "优秀")
        .unwrap();
    assert_eq!(excellent["data"].as_array().unwrap().last().unwrap(), 1.0);
    let href = excellent["links"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .as_str()
        .unwrap();
    assert_eq!(
        href,
        format!("/leadership/platforms?year={last}&grade=excellent")
    );
    let drill = leader.get(href).await;
    assert_eq!(listed(&drill), 1);
    assert!(drill.text("#drill-list").contains("NT-B"));

    // Break-even in the last year: b (ledger: 1300 万 ≥ 1000 万) yes; a and d no.
    let share = table(&page, "chart-break-even");
    assert_eq!(share[0], ["已收支平衡", "1"]);
    assert_eq!(share[1], ["未收支平衡", "2"]);
    let href = link(&page, "chart-break-even", "未收支平衡");
    let drill = leader.get(&href).await;
    assert_eq!(listed(&drill), 2);

    // At risk: a and d (deadline 2023-12-31 passed, not at break-even); not b.
    let risky: Vec<String> = page.texts("#at-risk tr.risk td:first-child");
    assert_eq!(risky.len(), 2, "{risky:?}");
    assert!(risky[0].contains("NT-A") && risky[1].contains("NT-D"));
    assert!(page.text("#at-risk").contains("转型期限2023-12-31已过"));
    let href = page
        .doc()
        .select(&scraper::Selector::parse("#at-risk p a").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_string();
    assert_eq!(listed(&leader.get(&href).await), 2);

    // Ranking of the last year (the latest published); a year not yet published says so.
    let ranking = page.texts("#ranking tbody tr td:nth-child(2)");
    assert_eq!(ranking.len(), 3);
    assert!(ranking[0].contains("NT-B"));
    let this_year = leader.get(&format!("/leadership?year={}", last + 1)).await;
    assert!(this_year.texts("#ranking tbody tr").is_empty());
    let empty = this_year.text("#ranking-empty");
    assert!(
        empty.contains("尚未发布") && empty.contains(&last.to_string()),
        "{empty}"
    );

    // Filters apply to every figure: 海门区 only.
    let haimen: i32 = app
        .scalar("SELECT id FROM jurisdictions WHERE code = $1", HAIMEN)
        .await;
    let page = leader
        .get(&format!("/leadership?jurisdiction={haimen}"))
        .await;
    assert_eq!(page.texts("#kpis .kpi-value")[0], "1");
    assert_eq!(page.texts("#at-risk tr.risk").len(), 1);
    assert_eq!(page.texts("#ranking tbody tr").len(), 1);
    let counts = json(
        &mut leader,
        &format!("/api/leadership/counts.json?by=stage&jurisdiction={haimen}"),
    )
    .await;
    assert_eq!(
        counts["links"][0],
        format!("/platforms?jurisdiction={haimen}&stage=operating")
    );
    let _ = city.e;
}

#[tokio::test]
async fn county_staff_see_only_their_county_on_the_workbench_and_in_the_json() {
    let app = TestApp::new().await;
    let city = city(&app).await;
    let staff = app
        .user("county", Some(Role::Staff), None, Some(CHONGCHUAN))
        .await;
    let other_staff = app
        .user("city-staff", Some(Role::Staff), None, Some(CITY))
        .await;
    let year = today().year();
    // Submitted filings in both counties; an unreviewed mid-year report; a decision awaiting
    // sign-off proposed by the other staff member; an overdue checklist item; b is theirs.
    for id in [city.a, city.d] {
        submitted_filing(&app, id, year).await;
    }
    submitted_midyear(&app, city.b, year).await;
    let case: i64 = sqlx::query_scalar(
        "INSERT INTO rectification_cases (platform_id, status, triggers, decision, proposed_by, proposed_at)
         VALUES ($1, 'open', '{other}', 'retain', $2, now()) RETURNING id",
    )
    .bind(city.a)
    .bind(other_staff)
    .fetch_one(app.pool())
    .await
    .unwrap();
    for id in [city.b, city.d] {
        checklist_item(&app, id, "补交验收材料", "2020-01-01").await;
    }
    sqlx::query("UPDATE platforms SET responsible_staff_id = $1 WHERE id = $2")
        .bind(staff)
        .bind(city.b)
        .execute(app.pool())
        .await
        .unwrap();

    // NT-C's setup registration is submitted for approval (registrations not yet submitted
    // wait on their filer, not on staff).
    sqlx::query(
        "INSERT INTO registrations (platform_id, status) VALUES ($1, 'submitted')
         ON CONFLICT (platform_id) DO UPDATE SET status = 'submitted'",
    )
    .bind(city.c)
    .execute(app.pool())
    .await
    .unwrap();
    app.exec(
        "INSERT INTO registration_reviews (platform_id, action) VALUES ($1, 'submitted')",
        city.c,
    )
    .await;

    let mut c = app.signed_in("county").await;
    assert_eq!(c.get("/").await.location(), Some("/workbench"));
    let page = c.get("/workbench").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.texts("#main-menu a")[0], "工作台");
    let queue = page.texts("#review-queue tr.task");
    // Two submissions, a mid-year report, a decision to sign off, NT-C's registration.
    assert_eq!(queue.len(), 4, "{queue:?}");
    assert!(
        queue
            .iter()
            .any(|t| t.contains("NT-C") && t.contains("设立登记待审批"))
    );
    assert!(
        queue.iter().all(|t| !t.contains("NT-D")),
        "海门区 is not theirs"
    );
    let hrefs: Vec<String> = page
        .doc()
        .select(&scraper::Selector::parse("#review-queue tr.task a[role=button]").unwrap())
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert!(hrefs.contains(&format!("/platforms/{}/annual?year={year}", city.a)));
    assert!(hrefs.contains(&format!("/platforms/{}/midyear?year={year}", city.b)));
    assert!(hrefs.contains(&format!("/platforms/{}/rectification/{case}", city.a)));
    // The proposer does not see their own proposal in their queue.
    let mut proposer = app.signed_in("city-staff").await;
    let theirs = proposer
        .get("/workbench")
        .await
        .texts("#review-queue tr.task");
    assert!(theirs.iter().all(|t| !t.contains("会签")), "{theirs:?}");
    assert!(
        theirs.iter().any(|t| t.contains("NT-D")),
        "city staff see 海门区"
    );

    let overdue = page.text("#overdue");
    assert!(overdue.contains("NT-B") && overdue.contains("补交验收材料"));
    assert!(!overdue.contains("NT-D"));
    let risky = page.texts("#at-risk tr.risk");
    assert_eq!(risky.len(), 1);
    assert!(risky[0].contains("NT-A"));
    let mine = page.texts("#my-platforms tbody tr");
    assert_eq!(mine.len(), 1);
    assert!(mine[0].contains("NT-B"));

    // The leadership figures and their JSON are the county's too.
    let counts = json(&mut c, "/api/leadership/counts.json?by=jurisdiction").await;
    assert_eq!(counts["categories"], serde_json::json!(["崇川区"]));
    assert_eq!(counts["series"][0]["data"], serde_json::json!([3.0]));
    let revenue = json(&mut c, "/api/leadership/revenue.json").await;
    let last = revenue["categories"].as_array().unwrap().len() - 1;
    // a: 300 + 75; b (ledger): 900 + 1300 … in 万元: only a and b, never d.
    assert_eq!(revenue["series"][0]["data"][last], 300.0 + 900.0);
    // Another county's platform: 404, as if it did not exist, the same as its page.
    assert_eq!(
        c.get(&format!("/platforms/{}", city.d)).await.status,
        StatusCode::NOT_FOUND
    );
    for chart in ["revenue", "revenue-mix", "break-even", "evaluations"] {
        let resp = c
            .get(&format!("/api/platforms/{}/{chart}.json", city.d))
            .await;
        assert_eq!(resp.status, StatusCode::NOT_FOUND, "{chart}");
    }
}

#[tokio::test]
async fn an_operator_sees_its_own_dashboard_and_nothing_else() {
    let app = TestApp::new().await;
    let city = city(&app).await;
    app.user("operator1", Some(Role::Operator), Some(city.b), None)
        .await;
    let mut op = app.signed_in("operator1").await;
    let page = op.get(&format!("/platforms/{}", city.b)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("/static/vendor/echarts/echarts.common.min.js")
    );
    for chart in ["revenue", "revenue-mix", "break-even", "evaluations"] {
        json(&mut op, &format!("/api/platforms/{}/{chart}.json", city.b)).await;
        for other in [city.a, city.d] {
            let resp = op
                .get(&format!("/api/platforms/{other}/{chart}.json"))
                .await;
            assert_eq!(resp.status, StatusCode::NOT_FOUND, "{chart} of {other}");
        }
    }
    for path in [
        "/leadership",
        "/workbench",
        "/api/leadership/counts.json?by=stage",
    ] {
        assert_eq!(op.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn chart_json_and_the_table_beside_it_agree() {
    let app = TestApp::new().await;
    let city = city(&app).await;
    exec(
        &app,
        "INSERT INTO lifecycle_events (platform_id, actor_name, kind, summary) VALUES ($1, 'test', 'x', '设立登记审批通过')",
        city.b,
    )
    .await;
    app.user("staff", Some(Role::Staff), None, Some(CITY)).await;
    let mut c = app.signed_in("staff").await;
    let b = city.b;
    let page = c.get(&format!("/platforms/{b}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for (id, chart) in [
        ("chart-revenue", "revenue"),
        ("chart-mix", "revenue-mix"),
        ("chart-break-even", "break-even"),
        ("chart-evaluations", "evaluations"),
    ] {
        let src = format!("/api/platforms/{b}/{chart}.json");
        let selector = format!("#{id} div.chart[data-src=\"{src}\"]");
        assert_eq!(page.texts(&selector).len(), 1, "{id} loads {src}");
        let data = json(&mut c, &src).await;
        assert_agree(&page, id, &data);
    }
    // The ledger wins for the last year: 900 + 400 万 self-generated, subsidy 12.35 万.
    let revenue = table(&page, "chart-revenue");
    let last = revenue.last().unwrap();
    assert_eq!(last[1], "900.00");
    assert_eq!(last[5], "400.00");
    assert_eq!(last[6], "12.35");
    assert_eq!(last[7], "1300.00");
    assert_eq!(last[8], "台账合计");
    assert_eq!(revenue[0][8], "年报填报");
    // Break-even: 1300 ÷ 1000 in the last year; the deadline (2024-06-30 + 24 months) is marked.
    let be = json(&mut c, &format!("/api/platforms/{b}/break-even.json")).await;
    assert_eq!(be["mark_line"]["value"], 1.0);
    assert_eq!(be["mark_category"]["label"], "转型期限 2026-06-30");
    let ratios = be["series"][0]["data"].as_array().unwrap();
    assert!(ratios.contains(&Value::from(1.3)), "{ratios:?}");
    // Evaluation by dimension from score_detail.
    let ev = json(&mut c, &format!("/api/platforms/{b}/evaluations.json")).await;
    assert_eq!(ev["series"][0]["name"], "技术研发");
    assert_eq!(ev["series"][0]["data"][0], 86.0);
    assert_eq!(ev["series"][3]["data"][0], Value::Null);
    assert_eq!(table(&page, "chart-evaluations")[0][7], "优秀");
    // The cards.
    assert!(page.text("#dash-timeline").contains("设立登记审批通过"));
    assert!(page.text("#dash-checklist").contains("清单中暂无事项"));

    // The leadership charts agree with their tables too.
    let page = c.get("/leadership").await;
    for (id, src) in [
        (
            "chart-by-category",
            "/api/leadership/counts.json?by=category",
        ),
        ("chart-by-stage", "/api/leadership/counts.json?by=stage"),
        (
            "chart-by-jurisdiction",
            "/api/leadership/counts.json?by=jurisdiction",
        ),
        ("chart-by-cluster", "/api/leadership/counts.json?by=cluster"),
        ("chart-grades", "/api/leadership/grades.json"),
        ("chart-revenue", "/api/leadership/revenue.json"),
        ("chart-break-even", "/api/leadership/break-even.json"),
    ] {
        let data = json(&mut c, src).await;
        assert_agree(&page, id, &data);
    }
    assert_eq!(
        c.get("/api/leadership/counts.json?by=nonsense")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn every_dashboard_has_empty_states_on_an_empty_database() {
    let app = TestApp::new().await;
    app.user("leader", Some(Role::Leader), None, None).await;
    app.user("staff", Some(Role::Staff), None, Some(CITY)).await;
    let mut leader = app.signed_in("leader").await;
    let page = leader.get("/leadership").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.texts("#kpis .kpi-value")[0], "0");
    assert!(page.texts("div.chart").is_empty(), "no chart without data");
    assert!(
        !page.body.contains("echarts"),
        "no chart library without charts"
    );
    assert!(page.texts("p.empty").len() >= 7);
    assert!(page.text("#ranking-empty").contains("尚未发布"));
    let json = json(&mut leader, "/api/leadership/revenue.json").await;
    assert_eq!(json["categories"], serde_json::json!([]));

    let mut staff = app.signed_in("staff").await;
    let page = staff.get("/workbench").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for section in [
        "review-queue",
        "overdue",
        "at-risk",
        "upcoming",
        "my-platforms",
    ] {
        assert!(
            !page.text(&format!("#{section} p.empty")).is_empty(),
            "{section} has an empty state"
        );
    }

    // A platform without any data.
    let id = app.platform("NT-EMPTY", CITY).await;
    let page = staff.get(&format!("/platforms/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.texts("div.chart").is_empty());
    assert!(page.text("#chart-evaluations").contains("尚无已发布"));
    assert!(page.text("#dash-advisor").contains("尚未指定产业顾问"));
    let drill = staff.get("/leadership/platforms?balance=yes").await;
    assert_eq!(drill.status, StatusCode::OK);
    assert!(drill.text("article.empty").contains("没有符合条件的平台"));
}

#[tokio::test]
async fn the_print_view_shows_every_chart_with_its_table_and_no_navigation() {
    let app = TestApp::new().await;
    city(&app).await;
    app.user("leader", Some(Role::Leader), None, None).await;
    let mut leader = app.signed_in("leader").await;
    let page = leader.get("/leadership").await;
    let href = page
        .doc()
        .select(&scraper::Selector::parse("#print-link").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .to_string();
    let print = leader.get(&href).await;
    assert_eq!(print.status, StatusCode::OK);
    assert_eq!(print.texts(".print-view").len(), 1);
    assert!(print.texts("form.filters").is_empty());
    assert!(print.text("h1").contains("绩效看板"));
    let tables = print.texts("table.chart-data").len();
    assert!(tables >= 6);
    assert_eq!(
        print.texts("div.chart[data-src]").len(),
        tables,
        "a chart above each table"
    );
    assert!(print.body.contains("/static/charts.js"));
    assert!(print.text("#filter-summary").contains("生成时间"));
}

#[tokio::test]
async fn the_leadership_dashboard_works_for_sixty_platforms() {
    let app = TestApp::new().await;
    let last = today().year() - 1;
    let codes = ["320613", "320614", "320612", "320682", CITY];
    for i in 0..60 {
        let id = app
            .platform(&format!("NT-S{i:03}"), codes[i % codes.len()])
            .await;
        app.exec(
            "UPDATE platforms SET construction_end = '2022-06-30', industry_cluster = 'next_gen_it' WHERE id = $1",
            id,
        )
        .await;
        for year in last - 4..=last {
            let exp = 10_000_000;
            figures(
                &app,
                id,
                year,
                2_000_000 * (1 + (i as i64 % 7)),
                500_000,
                exp,
            )
            .await;
        }
        let grade = ["excellent", "good", "pass", "fail"][i % 4];
        evaluation(&app, id, last, 95.0 - i as f64, i as i32 + 1, grade).await;
    }
    app.user("leader", Some(Role::Leader), None, None).await;
    let mut leader = app.signed_in("leader").await;
    let started = std::time::Instant::now();
    let page = leader.get("/leadership").await;
    let took = started.elapsed();
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.texts("#kpis .kpi-value")[0], "60");
    assert_eq!(page.texts("#ranking tbody tr").len(), 20);
    let share = table(&page, "chart-break-even");
    // Self-generated = service orders × 1.25: at break-even when 2 × (1 + i % 7) × 1.25 ≥ 10 (i % 7 ≥ 3).
    let balanced = (0..60).filter(|i| i % 7 >= 3).count();
    assert_eq!(share[0][1], balanced.to_string());
    let grades = json(
        &mut leader,
        &format!("/api/leadership/grades.json?year={last}"),
    )
    .await;
    assert_eq!(grades["series"][0]["data"], serde_json::json!([15.0]));
    let drill = leader
        .get(&format!("/leadership/platforms?year={last}&graded=1"))
        .await;
    assert_eq!(listed(&drill), 60);
    assert_eq!(drill.texts("#drill-list tbody tr").len(), 50);
    println!("leadership dashboard, 60 platforms: {took:?}");
}

/// `platform_year_revenue` (the table the dashboards read) differs from the live computation in
/// this many rows.
async fn summary_drift(app: &TestApp) -> i64 {
    app.value(
        "SELECT count(*) FROM ((SELECT * FROM platform_year_revenue EXCEPT SELECT * FROM platform_year_revenue_live)
                               UNION ALL
                               (SELECT * FROM platform_year_revenue_live EXCEPT SELECT * FROM platform_year_revenue)) d",
    )
    .await
}

#[tokio::test]
async fn the_yearly_revenue_table_follows_every_write_to_its_sources() {
    let app = TestApp::new().await;
    let city = city(&app).await;
    let pool = app.pool();
    let run = |sql: &'static str| async move {
        sqlx::query(sql).execute(pool).await.unwrap();
    };
    assert_eq!(summary_drift(&app).await, 0);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM platform_year_revenue")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(rows, 9, "three years of three platforms");

    // A year with only ledger items, a move to another year, an update, deletions.
    sqlx::query(
        "INSERT INTO ledger_revenue (platform_id, year, channel, amount)
         SELECT id, 2030, 'tech_contracts', 5000 FROM platforms",
    )
    .execute(pool)
    .await
    .unwrap();
    run("INSERT INTO ledger_expenditures (platform_id, year, category, amount) SELECT id, 2031, 'other', 7 FROM platforms").await;
    assert_eq!(summary_drift(&app).await, 0);
    run("UPDATE ledger_revenue SET year = 2029, amount = amount * 3 WHERE channel = 'tech_contracts'").await;
    run("UPDATE annual_figures SET expenditure = expenditure + 1").await;
    assert_eq!(summary_drift(&app).await, 0);
    run("DELETE FROM ledger_revenue WHERE year = 2029").await;
    run("DELETE FROM annual_figures WHERE year = (SELECT min(year) FROM annual_figures)").await;
    assert_eq!(summary_drift(&app).await, 0);
    let rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM platform_year_revenue WHERE year IN (2029, 2030)")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(rows, 0);

    // Two writers of the same platform at once: the second waits for the first and counts it.
    let mut first = pool.begin().await.unwrap();
    sqlx::query("INSERT INTO ledger_revenue (platform_id, year, channel, amount) VALUES ($1, 2032, 'service_orders', 100)")
        .bind(city.a)
        .execute(&mut *first)
        .await
        .unwrap();
    let second = {
        let pool = pool.clone();
        let a = city.a;
        tokio::spawn(async move {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query("INSERT INTO ledger_revenue (platform_id, year, channel, amount) VALUES ($1, 2032, 'service_orders', 20)")
                .bind(a)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    first.commit().await.unwrap();
    second.await.unwrap();
    let so: i64 = sqlx::query_scalar(
        "SELECT service_orders FROM platform_year_revenue WHERE platform_id = $1 AND year = 2032",
    )
    .bind(city.a)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(so, 120);
    assert_eq!(summary_drift(&app).await, 0);
}

#[tokio::test]
async fn the_scale_dataset_loads_with_ledgers_that_match_the_figures() {
    let app = TestApp::new().await;
    assert!(kechuang::demo::scale::load_n(app.pool(), 60).await.unwrap());
    assert!(
        !kechuang::demo::scale::load_n(app.pool(), 60).await.unwrap(),
        "idempotent"
    );
    let (platforms, years): (i64, i64) = sqlx::query_as(
        "SELECT count(DISTINCT platform_id), count(DISTINCT year) FROM annual_figures f
         JOIN platforms p ON p.id = f.platform_id WHERE p.code LIKE 'SC-%'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert!(platforms >= 55, "{platforms}");
    assert_eq!(years, 10);
    // Every scale platform-year is read from its ledger, and the ledger adds up to the figures.
    let mismatched: i64 = app
        .value(
            "SELECT count(*) FROM annual_figures f
             JOIN platforms p ON p.id = f.platform_id AND p.code LIKE 'SC-%'
             JOIN platform_year_revenue v ON v.platform_id = f.platform_id AND v.year = f.year
             WHERE NOT (v.revenue_from_ledger AND v.expenditure_from_ledger)
                OR v.service_orders <> f.service_orders OR v.fiscal_subsidy <> f.fiscal_subsidy
                OR v.expenditure <> f.expenditure
                OR v.self_generated <> f.service_orders + f.tech_contracts + f.achievement_transfer
                                       + f.gov_research_projects + f.incubation_returns",
        )
        .await;
    assert_eq!(mismatched, 0);
    let graded: i64 = app
        .value(
            "SELECT count(*) FROM evaluations e JOIN platforms p ON p.id = e.platform_id
             WHERE p.code LIKE 'SC-%' AND e.grade IS NOT NULL",
        )
        .await;
    assert!(graded >= platforms * 5, "{graded}");
    // The leader's dashboard over them answers.
    app.user("leader", Some(Role::Leader), None, None).await;
    let mut leader = app.signed_in("leader").await;
    let page = leader.get("/leadership").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text("#kpis").contains(&(40 + 60).to_string()));
}

/// Every cached page (`web::cache`) shows a write on the next view, in every scope that sees it,
/// and a scope never sees the figures of another: each viewer looks first (filling the cache),
/// staff write through the forms, each viewer looks again.
#[tokio::test]
async fn every_cached_page_shows_a_write_on_the_next_view_in_every_scope() {
    let app = TestApp::new().await;
    let city = city(&app).await;
    app.user("leader", Some(Role::Leader), None, None).await;
    app.user("city-staff", Some(Role::Staff), None, Some(CITY))
        .await;
    app.user("county", Some(Role::Staff), None, Some(CHONGCHUAN))
        .await;
    app.user("haimen", Some(Role::Staff), None, Some(HAIMEN))
        .await;
    app.user("operator1", Some(Role::Operator), Some(city.a), None)
        .await;
    let mut leader = app.signed_in("leader").await;
    let mut staff = app.signed_in("city-staff").await;
    let mut county = app.signed_in("county").await;
    let mut haimen = app.signed_in("haimen").await;
    let mut op = app.signed_in("operator1").await;

    /// What each cached page says, as numbers a write below changes.
    async fn figures(c: &mut Client, platform: i64) -> Vec<(String, String)> {
        let mut seen = Vec::new();
        let mut add = |what: &str, value: String| seen.push((what.to_string(), value));
        let page = c.get("/leadership").await;
        if page.status == StatusCode::OK {
            add(
                "leadership 平台总数",
                page.texts("#kpis .kpi-value")[0].clone(),
            );
            let counts = json(c, "/api/leadership/counts.json?by=stage").await;
            add("counts.json", counts["series"].to_string());
            let drill = c.get("/leadership/platforms?stage=registration").await;
            add("drill-down", drill.text(".pager > span:first-child"));
            add(
                "compliance matrix",
                c.get("/compliance").await.text(".pager > span:first-child"),
            );
            add(
                "registry count",
                c.get("/platforms").await.text(".pager > span:first-child"),
            );
            let found = c
                .get("/platforms?q=%E7%A4%BA%E4%BE%8B%E7%BC%93%E5%AD%98")
                .await;
            add(
                "registry rows (search 示例缓存)",
                found.body.contains("示例缓存测试研究院").to_string(),
            );
            let bench = c.get("/workbench").await;
            if bench.status == StatusCode::OK {
                add("workbench overdue", bench.text("#overdue .todo-count"));
                add(
                    "overdue list",
                    c.get("/annual/overdue").await.text("#overdue-total"),
                );
            }
        }
        let page = c.get(&format!("/platforms/{platform}")).await;
        if page.status == StatusCode::OK {
            add(
                "platform checklist",
                page.text("#dash-checklist .checklist-figures"),
            );
        }
        seen
    }
    let viewers: [(&str, &mut Client); 5] = [
        ("leader", &mut leader),
        ("city staff", &mut staff),
        ("county staff", &mut county),
        ("haimen staff", &mut haimen),
        ("operator", &mut op),
    ];
    let mut before = Vec::new();
    for (who, c) in viewers {
        before.push((who, figures(c, city.a).await));
    }
    // County staff and the leader see different totals for the same data version.
    assert_ne!(before[0].1[0], before[2].1[0], "{before:?}");

    // A new platform in 崇川区, and an overdue checklist item of platform a (崇川区).
    let jurisdiction: i32 = app
        .scalar("SELECT id FROM jurisdictions WHERE code = $1", CHONGCHUAN)
        .await;
    let jurisdiction = jurisdiction.to_string();
    let resp = staff
        .post(
            "/platforms",
            &[
                ("code", "NT-2026-900"),
                ("name", "示例缓存测试研究院"),
                ("jurisdiction_id", jurisdiction.as_str()),
                ("level", "county"),
                ("legal_form", "public_institution"),
                ("co_builders", "示例大学"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let resp = staff
        .post(
            &format!("/platforms/{}/checklist", city.a),
            &[
                ("title", "补交年度报告"),
                ("owner", "平台办公室"),
                ("due_date", "2020-01-31"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);

    let viewers: [(&str, &mut Client); 5] = [
        ("leader", &mut leader),
        ("city staff", &mut staff),
        ("county staff", &mut county),
        ("haimen staff", &mut haimen),
        ("operator", &mut op),
    ];
    for ((who, c), (_, was)) in viewers.into_iter().zip(&before) {
        let now = figures(c, city.a).await;
        assert_eq!(now.len(), was.len(), "{who}");
        for ((what, old), (_, new)) in was.iter().zip(&now) {
            // 海门区 sees neither platform: its figures stay; everyone else's change.
            if who == "haimen staff" {
                assert_eq!(
                    old, new,
                    "{who}: {what} changed for a write outside its scope"
                );
            } else {
                assert_ne!(
                    old, new,
                    "{who}: {what} still shows the data before the write"
                );
            }
        }
    }
}

/// The dashboards' SQL (`db::dashboards`) computes break-even, self-sufficiency, the
/// transformation deadline and the at-risk window exactly as `domain::transformation` defines
/// them: on the demo city and the scale dataset, for several days and transition lengths, every
/// platform's break-even class, ratio, deadline and risk agree with the domain functions.
#[tokio::test]
async fn the_dashboards_sql_computes_the_domain_rules() {
    use kechuang::db::dashboards::{self as dash, DrillDown, Filter};
    use kechuang::domain::compliance::params::Months;
    use kechuang::domain::platform::Stage;
    use kechuang::domain::scope::PlatformScope;
    use kechuang::domain::transformation as rules;
    use std::collections::{BTreeMap, BTreeSet};

    let app = TestApp::new().await;
    kechuang::demo::scale::load_n(app.pool(), 60).await.unwrap();
    let platforms: Vec<(
        i64,
        String,
        Option<chrono::NaiveDate>,
        Option<chrono::NaiveDate>,
    )> = sqlx::query_as("SELECT id, stage, operating_since, construction_end FROM platforms")
        .fetch_all(app.pool())
        .await
        .unwrap();
    let figures: BTreeMap<(i64, i32), (i64, i64)> = sqlx::query_as::<_, (i64, i32, i64, i64)>(
        "SELECT platform_id, year, self_generated, expenditure FROM platform_year_revenue",
    )
    .fetch_all(app.pool())
    .await
    .unwrap()
    .into_iter()
    .map(|(id, year, own, spent)| ((id, year), (own, spent)))
    .collect();
    assert!(platforms.len() >= 100, "{}", platforms.len());
    let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let mut at_risk_seen = 0;
    let mut classes_seen = BTreeSet::new();
    for (today, months) in [
        (d(2026, 11, 21), 24),
        (d(2025, 6, 30), 24),
        (d(2024, 2, 29), 18),
        (d(2027, 1, 31), 36),
    ] {
        let year = today.year() - 1;
        let f = Filter {
            scope: PlatformScope::All,
            jurisdiction: None,
            category: None,
            year,
            today,
            transition_months: months,
        };
        // Break-even class of every platform in `year`: the drill-down by class.
        for class in rules::Balance::ALL {
            let drill = DrillDown {
                balance: Some(class.as_str().to_owned()),
                ..DrillDown::default()
            };
            let (rows, _) = dash::drill_down(app.pool(), &f, &drill, 100_000, 0)
                .await
                .unwrap();
            let sql: BTreeSet<i64> = rows.iter().map(|r| r.id).collect();
            let domain: BTreeSet<i64> = platforms
                .iter()
                .filter(|(id, stage, since, _)| {
                    let active = rules::active_in_year(Stage::parse(stage).unwrap(), *since, year);
                    rules::balance(figures.get(&(*id, year)).copied(), active) == Some(*class)
                })
                .map(|p| p.0)
                .collect();
            assert_eq!(sql, domain, "{class:?} in {year}");
            if !sql.is_empty() {
                classes_seen.insert(class.as_str());
            }
            // The ratio shown beside each row is the domain's self-sufficiency.
            for r in &rows {
                assert_eq!(
                    rules::self_sufficiency_of(r.self_generated, r.expenditure),
                    figures
                        .get(&(r.id, year))
                        .and_then(|(own, spent)| rules::self_sufficiency(*own, *spent))
                );
            }
        }
        let share = dash::break_even_share(app.pool(), &f).await.unwrap();
        let count = |c: rules::Balance| {
            platforms
                .iter()
                .filter(|(id, stage, since, _)| {
                    let active = rules::active_in_year(Stage::parse(stage).unwrap(), *since, year);
                    rules::balance(figures.get(&(*id, year)).copied(), active) == Some(c)
                })
                .count() as i64
        };
        assert_eq!(
            (share.balanced, share.unbalanced, share.no_data),
            (
                count(rules::Balance::Yes),
                count(rules::Balance::No),
                count(rules::Balance::NoFigures)
            )
        );
    }
    // The at-risk list on those days and on the edges of the window before each deadline in the
    // data (six months before it to the day, and the day before that).
    let mut days: Vec<(chrono::NaiveDate, u32)> = vec![
        (d(2026, 11, 21), 24),
        (d(2025, 6, 30), 24),
        (d(2024, 2, 29), 18),
        (d(2027, 1, 31), 36),
    ];
    let ends: BTreeSet<chrono::NaiveDate> = platforms.iter().filter_map(|p| p.3).collect();
    for end in ends.iter().step_by((ends.len() / 6).max(1)) {
        let deadline = rules::transformation_deadline(*end, Months(24));
        let edge = kechuang::domain::calendar::add_months(deadline, -6);
        days.push((edge, 24));
        days.push((edge.pred_opt().unwrap(), 24));
    }
    for (today, months) in days {
        let f = Filter {
            scope: PlatformScope::All,
            jurisdiction: None,
            category: None,
            year: today.year() - 1,
            today,
            transition_months: months,
        };
        // The at-risk list: deadline, ratio and the transformation risk of every platform.
        let listed: BTreeMap<i64, dash::AtRisk> = dash::at_risk(app.pool(), &f)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        for (id, stage, _, end) in &platforms {
            let stage = Stage::parse(stage).unwrap();
            if !matches!(stage, Stage::Operating | Stage::Rectifying) {
                assert!(!listed.contains_key(id));
                continue;
            }
            let last = figures.get(&(*id, today.year() - 1)).copied();
            let balanced = last.is_some_and(|(own, spent)| rules::is_break_even(own, spent));
            let deadline = end.map(|end| rules::transformation_deadline(end, Months(months)));
            let risk = end.zip(deadline).is_some_and(|(end, deadline)| {
                rules::transformation_at_risk(end, deadline, today, balanced)
            });
            match listed.get(id) {
                Some(r) => {
                    assert_eq!(r.transition, risk, "platform {id} on {today}");
                    assert_eq!(r.deadline, deadline, "platform {id}");
                    assert_eq!(
                        r.ratio,
                        last.and_then(|(own, spent)| rules::self_sufficiency(own, spent))
                    );
                    at_risk_seen += usize::from(risk);
                }
                None => assert!(!risk, "platform {id} at risk on {today} but not listed"),
            }
        }
    }
    assert!(
        at_risk_seen > 0,
        "no platform at risk: the test compares nothing"
    );
    assert_eq!(classes_seen.len(), 3, "{classes_seen:?}");
}
