//! The ledger (台账): rows added and deleted by the platform's own operator and staff, year totals
//! derived from the items and compared with the self-reported figures, validation, data scope.

use crate::common;

use crate::common::{Client, TestApp, document, two_platforms};
use axum::http::StatusCode;

const YEAR: &str = "2025";

async fn add(c: &mut Client, platform: i64, kind: &str, fields: &[(&str, &str)]) -> common::Resp {
    let mut all = vec![("year", YEAR)];
    all.extend_from_slice(fields);
    c.post(&format!("/platforms/{platform}/ledger/{kind}"), &all)
        .await
}

async fn revenue(c: &mut Client, platform: i64, channel: &str, wan: &str) -> common::Resp {
    let resp = add(
        c,
        platform,
        "revenue",
        &[("channel", channel), ("amount", wan)],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    resp
}

async fn expenditure(c: &mut Client, platform: i64, category: &str, wan: &str) {
    let resp = add(
        c,
        platform,
        "expenditure",
        &[("category", category), ("amount", wan)],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
}

/// The totals table as (label, itemised, reported, difference) rows.
fn totals(page: &common::Resp) -> Vec<String> {
    page.rows("#totals-table tbody tr")
}

async fn reported(
    app: &TestApp,
    platform: i64,
    service_orders: i64,
    expenditure: i64,
    major_tasks: i32,
) {
    sqlx::query(
        "INSERT INTO annual_figures (platform_id, year, service_orders, tech_contracts, fiscal_subsidy, expenditure,
                                     rnd_staff, major_tasks)
         VALUES ($1, 2025, $2, 800000, 3000000, $3, 30, $4)",
    )
    .bind(platform)
    .bind(service_orders)
    .bind(expenditure)
    .bind(major_tasks)
    .execute(app.pool())
    .await
    .unwrap();
}

#[tokio::test]
async fn the_operator_keeps_the_ledger_and_totals_are_derived_from_the_items() {
    let fx = two_platforms().await;
    let own = fx.own;
    let mut op = fx.app.signed_in("op-own").await;

    let page = op
        .get(&format!("/platforms/{own}/ledger?year={YEAR}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text("#revenue p.muted").contains("尚无收入记录"));
    assert!(page.text("#no-reported").contains("尚无平台自报"));

    revenue(&mut op, own, "service_orders", "100").await;
    revenue(&mut op, own, "service_orders", "50").await;
    revenue(&mut op, own, "tech_contracts", "80").await;
    revenue(&mut op, own, "fiscal_subsidy", "300").await;
    expenditure(&mut op, own, "personnel", "150").await;
    expenditure(&mut op, own, "research", "150").await;
    assert_eq!(fx.app.audit_count("ledger.add").await, 6);

    let page = op
        .get(&format!("/platforms/{own}/ledger?year={YEAR}"))
        .await;
    let lines = totals(&page);
    assert!(
        lines.contains(&"服务订单 150.00 — —".to_owned()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"财政补助 300.00 — —".to_owned()),
        "{lines:?}"
    );
    // Fiscal subsidy is not self-generated income: 150 + 80.
    assert!(
        lines.contains(&"自我造血收入合计 230.00 — —".to_owned()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"支出合计 300.00 — —".to_owned()),
        "{lines:?}"
    );
    assert_eq!(page.text("#self-sufficiency"), "0.77");
    assert_eq!(page.text("#channels-in-use"), "2");
    // Items grouped by channel with subtotals.
    let groups = page.rows("#revenue-table tr.group");
    assert_eq!(groups.len(), 3);
    assert!(groups[0].starts_with("服务订单 150.00"));
    assert!(page.texts("#revenue-table form[data-confirm]").len() == 4);

    // Contracts: only registered ones count towards the registered value.
    for (no, amount) in [("2025320600000123", "60"), ("", "20")] {
        let resp = add(
            &mut op,
            own,
            "contract",
            &[
                ("contract_type", "development"),
                ("counterparty", "示例船舶公司"),
                ("amount", amount),
                ("registration_no", no),
                ("signed_on", "2025-05-06"),
            ],
        )
        .await;
        assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    }
    for (kind, fields) in [
        (
            "licence",
            &[
                ("licensee", "示例企业"),
                ("achievement", "一种示例工艺"),
                ("payment_model", "zero_fee_staged_royalty"),
                ("use_first_pay_later", "on"),
                ("schedule", "首年免费，次年起按销售额 3% 提成"),
                ("amount_agreed", "30"),
                ("amount_received", "5"),
            ][..],
        ),
        (
            "company",
            &[
                ("name", "示例科技有限公司"),
                ("uscc", "91320600MA1M9QX7K8"),
                ("equity_pct", "12.5"),
                ("investment_form", "technology"),
            ][..],
        ),
        (
            "task",
            &[
                ("name", "示例国家重点研发计划课题"),
                ("level", "national"),
                ("funding", "200"),
            ][..],
        ),
        (
            "instrument",
            &[
                ("name", "示例场发射电镜"),
                ("value", "350"),
                ("open_shared", "on"),
            ][..],
        ),
    ] {
        let resp = add(&mut op, own, kind, fields).await;
        assert_eq!(resp.status, StatusCode::SEE_OTHER, "{kind}: {}", resp.body);
    }

    let page = op
        .get(&format!("/platforms/{own}/ledger?year={YEAR}"))
        .await;
    assert_eq!(
        page.text("#contracts-summary"),
        "共 2 项，成交额 80.00 万元；其中已登记 1 项，登记成交额 60.00 万元"
    );
    assert!(
        page.texts("#contract-table td")
            .contains(&"未登记".to_owned())
    );
    assert_eq!(
        page.text("#licences-summary"),
        "共 1 项（先使用后付费 1 项），约定金额 30.00 万元，已到账 5.00 万元"
    );
    assert!(
        page.texts("#company-table td")
            .contains(&"12.50%".to_owned())
    );
    assert_eq!(
        page.text("#tasks-summary"),
        "共 1 项（国家级 1 项），经费 200.00 万元"
    );
    assert_eq!(page.texts("#instrument-table tbody tr").len(), 1);
    // Instruments are not per year.
    let page = op.get(&format!("/platforms/{own}/ledger?year=2024")).await;
    assert_eq!(page.texts("#instrument-table tbody tr").len(), 1);
    assert!(page.texts("#contract-table").is_empty());
}

#[tokio::test]
async fn a_reported_total_that_differs_from_the_items_is_named() {
    let fx = two_platforms().await;
    let own = fx.own;
    let mut op = fx.app.signed_in("op-own").await;
    // Reported: service orders 160万, tech contracts 80万, subsidy 300万, expenditure 300万, 1 task.
    reported(&fx.app, own, 1_600_000, 3_000_000, 1).await;
    revenue(&mut op, own, "service_orders", "150").await;
    revenue(&mut op, own, "tech_contracts", "80").await;
    revenue(&mut op, own, "fiscal_subsidy", "300").await;
    expenditure(&mut op, own, "personnel", "300").await;

    let page = op
        .get(&format!("/platforms/{own}/ledger?year={YEAR}"))
        .await;
    let notices = page.texts("#discrepancies li");
    assert_eq!(
        notices,
        vec![
            "服务订单：自报 160.00 万元，台账逐笔合计 150.00 万元",
            "自我造血收入合计：自报 240.00 万元，台账逐笔合计 230.00 万元",
            "承担重大任务（项）：自报 1，台账逐笔合计 0",
        ]
    );
    assert!(
        page.text("#discrepancies strong")
            .contains("不一致（3 项）")
    );
    let differing = page.rows("#totals-table tr.differs");
    assert_eq!(differing.len(), 3);
    assert_eq!(differing[0], "服务订单 150.00 万元 160.00 万元 −10.00 万元");

    // Itemise the rest: consistent.
    revenue(&mut op, own, "service_orders", "10").await;
    let resp = add(
        &mut op,
        own,
        "task",
        &[("name", "示例省重大专项"), ("level", "provincial")],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let page = op
        .get(&format!("/platforms/{own}/ledger?year={YEAR}"))
        .await;
    assert!(page.texts("#discrepancies").is_empty());
    assert!(page.text("#consistent").contains("一致"));

    // The entered R&D staff figure is compared too, once entered.
    let resp = add(
        &mut op,
        own,
        "indicators",
        &[("v_rnd_staff", "28"), ("v_invention_patents", "4")],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let page = op
        .get(&format!("/platforms/{own}/ledger?year={YEAR}"))
        .await;
    assert_eq!(
        page.texts("#discrepancies li"),
        vec!["全职研发人员（人）：自报 30，台账逐笔合计 28"]
    );
    assert_eq!(page.value("input[name=v_rnd_staff]").as_deref(), Some("28"));
    assert_eq!(fx.app.audit_count("ledger.values").await, 1);
}

#[tokio::test]
async fn bad_rows_are_refused_field_by_field_keeping_what_was_typed() {
    let fx = two_platforms().await;
    let own = fx.own;
    let mut op = fx.app.signed_in("op-own").await;
    let resp = add(
        &mut op,
        own,
        "revenue",
        &[
            ("channel", "lottery"),
            ("amount", "-5"),
            ("counterparty", "示例付款方"),
            ("received_on", "2024-01-01"),
        ],
    )
    .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.text("#rev-channel-error"), "请选择收入渠道");
    assert_eq!(resp.text("#rev-amount-error"), "金额不能为负数");
    assert_eq!(resp.text("#rev-received_on-error"), "日期应在 2025 年内");
    assert_eq!(
        resp.value("#rev-counterparty").as_deref(),
        Some("示例付款方")
    );
    assert_eq!(resp.value("#rev-amount").as_deref(), Some("-5"));

    let resp = add(
        &mut op,
        own,
        "company",
        &[
            ("name", "示例科技有限公司"),
            ("uscc", "91320600MA1M9QX7K9"),
            ("investment_form", "cash"),
        ],
    )
    .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text("#com-uscc-error").contains("校验位错误"));

    let resp = add(&mut op, own, "indicators", &[("v_rnd_staff", "很多")]).await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.text("#ind-v_rnd_staff-error"), "请填写数字");
    assert_eq!(resp.value("#ind-v_rnd_staff").as_deref(), Some("很多"));

    // An unknown section does not exist; nothing was written.
    let resp = add(&mut op, own, "lottery", &[]).await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    assert_eq!(fx.app.audit_count("ledger.add").await, 0);
}

#[tokio::test]
async fn operators_see_and_touch_only_their_own_ledger() {
    let fx = two_platforms().await;
    let (own, other) = (fx.own, fx.other);
    let mut op = fx.app.signed_in("op-own").await;
    let mut op_other = fx.app.signed_in("op-other").await;
    revenue(&mut op, own, "service_orders", "10").await;
    revenue(&mut op_other, other, "service_orders", "20").await;
    let rid_own: i64 = fx
        .app
        .scalar("SELECT id FROM ledger_revenue WHERE platform_id = $1", own)
        .await;
    let rid_other: i64 = fx
        .app
        .scalar(
            "SELECT id FROM ledger_revenue WHERE platform_id = $1",
            other,
        )
        .await;

    // Another platform's ledger: not visible, not writable (out of scope answers 404, as if it
    // did not exist).
    assert_eq!(
        op.get(&format!("/platforms/{other}/ledger?year={YEAR}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let resp = add(
        &mut op,
        other,
        "revenue",
        &[("channel", "service_orders"), ("amount", "1")],
    )
    .await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    let resp = op
        .post(
            &format!("/platforms/{other}/ledger/revenue/{rid_other}/delete"),
            &[],
        )
        .await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    // Another platform's row through one's own platform's path: not found, not deleted.
    let resp = op
        .post(
            &format!("/platforms/{own}/ledger/revenue/{rid_other}/delete"),
            &[],
        )
        .await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    let left: i64 = fx.app.value("SELECT count(*) FROM ledger_revenue").await;
    assert_eq!(left, 2);

    // Deleting one's own row works and is audited with what was deleted.
    let resp = op
        .post(
            &format!("/platforms/{own}/ledger/revenue/{rid_own}/delete"),
            &[],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert_eq!(
        resp.location(),
        Some(format!("/platforms/{own}/ledger?year=2025&notice=ledger_deleted#revenue").as_str())
    );
    let before: serde_json::Value = fx
        .app
        .value(
            "SELECT before FROM audit_log WHERE action = 'ledger.delete' ORDER BY seq DESC LIMIT 1",
        )
        .await;
    assert_eq!(before["amount"], 100_000);
    assert_eq!(before["platform_id"], own);

    // Staff write too; the leader reads only.
    let mut staff = fx.app.signed_in("city-staff").await;
    revenue(&mut staff, other, "service_orders", "5").await;
    let mut leader = fx.app.signed_in("leader").await;
    let page = leader
        .get(&format!("/platforms/{own}/ledger?year={YEAR}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts("form#add-revenue").is_empty());
    let resp = add(
        &mut leader,
        own,
        "revenue",
        &[("channel", "service_orders"), ("amount", "1")],
    )
    .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_demo_city_itemises_its_reported_figures_and_files_every_year() {
    let app = TestApp::with_demo().await;
    let pool = app.pool();

    // Configurations 2023–2026, version 1 each.
    let configs: Vec<(i32, i32)> =
        sqlx::query_as("SELECT year, version FROM annual_configs ORDER BY year")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(configs, vec![(2023, 1), (2024, 1), (2025, 1), (2026, 1)]);

    // The ledger itemises the reported totals, except for exactly two platform-years.
    let reported: Vec<(i64, i32)> = sqlx::query_as(
        "SELECT platform_id, year FROM annual_figures WHERE year BETWEEN 2023 AND 2025 ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(reported.len() > 60);
    let mut conn = pool.acquire().await.unwrap();
    let mut differing = Vec::new();
    for (platform, year) in &reported {
        let items = kechuang::db::ledger::ledger_year(&mut conn, *platform, *year)
            .await
            .unwrap();
        let r = kechuang::db::ledger::reported(&mut conn, *platform, *year)
            .await
            .unwrap()
            .unwrap();
        let d = kechuang::domain::ledger::derive(&items);
        if kechuang::domain::ledger::compare(&d, &r, None)
            .iter()
            .any(|c| c.differs())
        {
            differing.push((*platform, *year));
        }
    }
    assert_eq!(differing.len(), 2, "{differing:?}");

    // Every reported past year has exactly one approved filing; 2026 is in progress.
    let approved: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM filings WHERE year BETWEEN 2023 AND 2025 AND status = 'approved'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(approved, reported.len() as i64);
    let by_status: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, count(*) FROM filings WHERE year = 2026 GROUP BY status ORDER BY status",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let count = |s: &str| {
        by_status
            .iter()
            .find(|(k, _)| k == s)
            .map_or(0, |(_, n)| *n)
    };
    assert_eq!(count("returned"), 1);
    assert_eq!(count("submitted"), 3);
    assert!(count("approved") >= 20);

    // The demo operator sees its 2025 discrepancy and its returned 2026 filing with comments.
    let mut op = app.client();
    op.login("demo-operator", kechuang::demo::PASSWORD).await;
    let own: i64 = app
        .value("SELECT platform_id FROM users WHERE username = 'demo-operator'")
        .await;
    let own = format!("/platforms/{own}");
    let ledger = op.get(&format!("{own}/ledger?year=2025")).await;
    assert_eq!(ledger.status, StatusCode::OK);
    assert!(ledger.texts("#discrepancies li")[0].starts_with("服务订单：自报"));
    let annual = op.get(&format!("{own}/annual?year=2026")).await;
    assert!(
        annual
            .text("#filing-review-comment")
            .contains("自我造血收入目标")
    );
    assert_eq!(annual.text("#filing-edit"), "按意见修改后重新提交");
    let history = op.get(&format!("{own}/annual?year=2024")).await;
    assert!(history.text("#filing-status").contains("已通过"));
    assert_eq!(
        kechuang::db::audit::verify(pool).await.unwrap().breaks,
        vec![]
    );
}

#[tokio::test]
async fn a_row_submitted_twice_with_one_form_is_added_once() {
    let fx = two_platforms().await;
    let own = fx.own;
    let mut op = fx.app.signed_in("op-own").await;
    let mut twin = fx.app.client();
    twin.cookies = op.cookies.clone();
    let path = format!("/platforms/{own}/ledger/revenue");
    let fields = [
        ("year", YEAR),
        ("channel", "service_orders"),
        ("amount", "12"),
        ("form_token", "0123456789abcdef0123456789abcdef"),
    ];
    // Two parallel submissions of the same form (a double click), then a replay (back button).
    let (a, b) = tokio::join!(op.post(&path, &fields), twin.post(&path, &fields));
    let replay = op.post(&path, &fields).await;
    let first = format!("/platforms/{own}/ledger?year={YEAR}&notice=ledger_added#revenue");
    for resp in [&a, &b, &replay] {
        assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
        assert_eq!(resp.location(), Some(first.as_str()));
    }
    let rows: i64 = fx
        .app
        .scalar(
            "SELECT count(*) FROM ledger_revenue WHERE platform_id = $1",
            own,
        )
        .await;
    assert_eq!(rows, 1);
    assert_eq!(fx.app.audit_count("ledger.add").await, 1);
    // The page the redirect leads to says what happened.
    let page = op.get(&first).await;
    assert_eq!(page.text(".notice"), "已添加。");
}

// ---- The 支持政策 tab (SUPPORT-RULES.md): programmes computed from the platform's records ----

/// The `data-status` of a programme's row on the support tab.
fn programme_status(page: &common::Resp, id: &str) -> String {
    let sel = scraper::Selector::parse(&format!("#programme-{id}")).unwrap();
    page.doc()
        .select(&sel)
        .next()
        .and_then(|e| e.value().attr("data-status").map(str::to_string))
        .unwrap_or_else(|| panic!("no row for {id}"))
}

#[tokio::test]
async fn support_tab_computes_programmes_from_the_records_entered() {
    use chrono::Datelike;
    let fx = two_platforms().await;
    let (own, other) = (fx.own, fx.other);
    let year_l = (kechuang::clock::today().year() - 1).to_string();
    let mut op = fx.app.signed_in("op-own").await;
    let url = format!("/platforms/{own}/support");

    let page = op.get(&url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // The default packs: NT10 and JS (JS labelled as a draft); Nanjing's programmes are off.
    assert_eq!(page.rows("#programmes-table tbody tr").len(), 5);
    assert!(page.body.contains("征求意见稿"));
    assert!(!page.body.contains("NJ-JOINT-RND"));
    assert_eq!(programme_status(&page, "JS-TECH-TRANSFER"), "not_eligible");
    assert_eq!(programme_status(&page, "NT-REWARD"), "insufficient_data");
    assert!(page.texts("nav.tabs a").iter().any(|t| t == "支持政策"));

    // A recognition without transactions: insufficient data.
    let resp = op
        .post(
            &format!("/platforms/{own}/support/recognition"),
            &[
                ("kind", "social_tech_transfer_agency"),
                ("recognised_on", "2025-06-30"),
                ("issuing_body", "江苏省科学技术厅"),
                ("document_ref", "测试认定-001"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let page = op.get(&url).await;
    assert_eq!(
        programme_status(&page, "JS-TECH-TRANSFER"),
        "insufficient_data"
    );
    assert!(page.rows("#recognition-table tbody tr")[0].contains("测试认定-001"));

    // Transactions of year L: 3% of 4,000 万元 is capped at 100 万元.
    let resp = op
        .post(
            &format!("/platforms/{own}/support/transaction"),
            &[
                ("year", &year_l),
                ("counterparty", "测试企业"),
                ("amount", "4000"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let page = op.get(&url).await;
    assert_eq!(programme_status(&page, "JS-TECH-TRANSFER"), "eligible");
    let line = page.rows("#programme-JS-TECH-TRANSFER")[0].clone();
    assert!(line.contains("100.00"), "{line}");
    assert!(line.contains("JS 附件 社会化技术转移机构奖补"), "{line}");
    assert_eq!(page.text("#support-total"), "100.00");
    assert_eq!(fx.app.audit_count("support.add").await, 2);

    // The snapshot carries the same figures (what `kechuang snapshot` prints).
    let snap = fx.app.snapshot(own, kechuang::clock::today()).await;
    let json = serde_json::to_value(&snap).unwrap();
    assert_eq!(
        json["platform"]["support"]["tech_transaction_yuan"],
        40_000_000
    );
    assert_eq!(
        json["platform"]["support"]["recognitions"],
        serde_json::json!(["social_tech_transfer_agency"])
    );
    assert_eq!(json["packs"], serde_json::json!(["NT10", "JS"]));

    // Invalid input: 422, the message beside the field, what was typed kept.
    let resp = op
        .post(
            &format!("/platforms/{own}/support/transaction"),
            &[
                ("year", "20x5"),
                ("counterparty", "保留的相对方"),
                ("amount", "-1"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text("#tt-year-error").contains("年度"));
    assert_eq!(resp.text("#tt-amount-error"), "金额不能为负数");
    assert_eq!(
        resp.value("#tt-counterparty").as_deref(),
        Some("保留的相对方")
    );
    // The same recognition twice is refused beside the field.
    let resp = op
        .post(
            &format!("/platforms/{own}/support/recognition"),
            &[
                ("kind", "social_tech_transfer_agency"),
                ("recognised_on", "2025-07-01"),
                ("issuing_body", "江苏省科学技术厅"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text("#rec-kind-error").contains("已登记该认定"));
    // A document of another platform cannot be linked.
    let foreign_doc = document(&fx.app, other, "他人的文件").await;
    let resp = op
        .post(
            &format!("/platforms/{own}/support/recognition"),
            &[
                ("kind", "js_provincial_poc_center"),
                ("recognised_on", "2025-07-01"),
                ("issuing_body", "江苏省科学技术厅"),
                ("document_id", &foreign_doc.to_string()),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text("#rec-document_id-error").contains("本平台文件"));

    // Staff delete the transaction: back to insufficient data, audited.
    let rid: i64 = fx
        .app
        .scalar(
            "SELECT id FROM support_tech_transactions WHERE platform_id = $1",
            own,
        )
        .await;
    let mut staff = fx.app.signed_in("city-staff").await;
    let resp = staff
        .post(
            &format!("/platforms/{own}/support/transaction/{rid}/delete"),
            &[],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(fx.app.audit_count("support.delete").await, 1);
    let page = staff.get(&url).await;
    assert_eq!(
        programme_status(&page, "JS-TECH-TRANSFER"),
        "insufficient_data"
    );
    assert!(page.body.contains("id=\"add-transaction\""));
}

#[tokio::test]
async fn support_tab_readers_and_writers_are_scoped() {
    let fx = two_platforms().await;
    let (own, other) = (fx.own, fx.other);
    // Leaders read, without forms.
    let mut leader = fx.app.signed_in("leader").await;
    let page = leader.get(&format!("/platforms/{own}/support")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("id=\"add-transaction\""));
    let resp = leader
        .post(
            &format!("/platforms/{own}/support/fund"),
            &[("year", "2025"), ("results", "1")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    // Another platform's operator neither reads nor writes (answered like a missing platform).
    let mut op_other = fx.app.signed_in("op-other").await;
    assert_eq!(
        op_other
            .get(&format!("/platforms/{own}/support"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let resp = op_other
        .post(
            &format!("/platforms/{own}/support/fund"),
            &[("year", "2025"), ("results", "1")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    // A record of one platform cannot be deleted through another's URL.
    let mut op = fx.app.signed_in("op-own").await;
    let resp = op
        .post(
            &format!("/platforms/{own}/support/fund"),
            &[("year", "2025"), ("results", "2")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let rid: i64 = fx.app.value("SELECT id FROM support_fund_results").await;
    let mut op_other_writes = fx.app.signed_in("op-other").await;
    let resp = op_other_writes
        .post(
            &format!("/platforms/{other}/support/fund/{rid}/delete"),
            &[],
        )
        .await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    let left: i64 = fx
        .app
        .value("SELECT count(*) FROM support_fund_results")
        .await;
    assert_eq!(left, 1);
}

/// Confirms an irreversible step: the first post answers with the confirmation page, the second
/// (with `confirmed=1`) goes through.
async fn post_confirmed(c: &mut Client, path: &str, fields: &[(&str, &str)]) -> common::Resp {
    let mut all = fields.to_vec();
    all.push(("confirmed", "1"));
    c.post(path, &all).await
}

#[tokio::test]
async fn a_support_claim_runs_from_filing_to_payment_and_recovery_audited() {
    use chrono::Datelike;
    let fx = two_platforms().await;
    let own = fx.own;
    let year_l = (kechuang::clock::today().year() - 1).to_string();
    let mut op = fx.app.signed_in("op-own").await;
    let doc = document(&fx.app, own, "技术转移奖补申报书").await;
    for (path, fields) in [
        (
            "recognition",
            vec![
                ("kind", "social_tech_transfer_agency"),
                ("recognised_on", "2025-06-30"),
                ("issuing_body", "江苏省科学技术厅"),
            ],
        ),
        (
            "transaction",
            vec![
                ("year", year_l.as_str()),
                ("counterparty", "测试企业"),
                ("amount", "1000"),
            ],
        ),
    ] {
        let resp = op
            .post(&format!("/platforms/{own}/support/{path}"), &fields)
            .await;
        assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    }
    // 申报: a programme that cannot be claimed, or no document, is refused beside the field.
    let claims = format!("/platforms/{own}/support-claims");
    let resp = op
        .post(
            &claims,
            &[("programme", "JS-POC-CENTER"), ("document_id", "")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!resp.text("#claim-programme-error").is_empty());
    assert!(resp.text("#claim-document_id-error").contains("申报材料"));
    let doc_s = doc.to_string();
    let resp = op
        .post(
            &claims,
            &[("programme", "JS-TECH-TRANSFER"), ("document_id", &doc_s)],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let (cid, computed): (i64, i64) =
        sqlx::query_as("SELECT id, computed_yuan FROM support_claims WHERE platform_id = $1")
            .bind(own)
            .fetch_one(fx.app.pool())
            .await
            .unwrap();
    // 3% of 1,000 万元.
    assert_eq!(computed, 300_000);
    // The operator may not review.
    let base = format!("/platforms/{own}/support-claims/{cid}");
    let resp = op
        .post(
            &format!("{base}/review"),
            &[("decision", "approve"), ("granted", "30"), ("version", "1")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);

    let mut staff = fx.app.signed_in("city-staff").await;
    let page = staff.get(&format!("/platforms/{own}/support")).await;
    assert!(page.body.contains(&format!("id=\"claim-{cid}-review\"")));
    // 审核: more than computed is refused with the reason.
    let resp = post_confirmed(
        &mut staff,
        &format!("{base}/review"),
        &[
            ("decision", "approve"),
            ("granted", "30.01"),
            ("version", "1"),
        ],
    )
    .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text(&format!("#claim-{cid}-granted-error"))
            .contains("超过测算金额 30.00 万元"),
        "{}",
        resp.text(&format!("#claim-{cid}-granted-error"))
    );
    let resp = post_confirmed(
        &mut staff,
        &format!("{base}/review"),
        &[("decision", "approve"), ("granted", "25"), ("version", "1")],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    // A second reviewer working from the old page: a conflict, nothing saved.
    let resp = post_confirmed(
        &mut staff,
        &format!("{base}/review"),
        &[("decision", "reject"), ("note", "重复"), ("version", "1")],
    )
    .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(resp.text("#claim-conflict").contains("已被他人处理"));
    // 拨付: at most the granted amount.
    let resp = post_confirmed(
        &mut staff,
        &format!("{base}/pay"),
        &[
            ("paid_on", "2026-01-15"),
            ("paid", "26"),
            ("voucher_no", "记-001"),
            ("version", "2"),
        ],
    )
    .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    let resp = post_confirmed(
        &mut staff,
        &format!("{base}/pay"),
        &[
            ("paid_on", "2026-01-15"),
            ("paid", "25"),
            ("voucher_no", "记-001"),
            ("version", "2"),
        ],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    // 追回, then recovered.
    let resp = post_confirmed(
        &mut staff,
        &format!("{base}/recover"),
        &[
            ("recover", "10"),
            ("reason", "JY 新型研发机构 四(四)"),
            ("version", "3"),
        ],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let resp = post_confirmed(
        &mut staff,
        &format!("{base}/recovered"),
        &[
            ("recovered_on", "2026-02-01"),
            ("recovered", "10"),
            ("version", "4"),
        ],
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let (status, granted, paid, recovered): (String, i64, i64, i64) = sqlx::query_as(
        "SELECT status, granted_yuan, paid_yuan, recovered_yuan FROM support_claims WHERE id = $1",
    )
    .bind(cid)
    .fetch_one(fx.app.pool())
    .await
    .unwrap();
    assert_eq!(
        (status.as_str(), granted, paid, recovered),
        ("recovered", 250_000, 250_000, 100_000)
    );
    for action in [
        "support.claim",
        "support.claim.review",
        "support.claim.pay",
        "support.claim.recover",
        "support.claim.recovered",
    ] {
        assert_eq!(fx.app.audit_count(action).await, 1, "{action}");
    }
    let page = op.get(&format!("/platforms/{own}/support")).await;
    let claim = page.text(&format!("#claim-{cid}"));
    assert!(claim.contains("已追回"), "{claim}");
    assert!(claim.contains("记-001"), "{claim}");
    assert!(
        !page.body.contains(&format!("id=\"claim-{cid}-")),
        "no step form for the operator"
    );

    // The leadership dashboard: what the city's platforms may claim, and what was granted, paid, recovered.
    let board = staff.get("/leadership").await;
    assert_eq!(board.status, StatusCode::OK);
    let year = chrono::Datelike::year(&kechuang::clock::today()).to_string();
    let granted = board.texts("#support-granted tbody td");
    assert_eq!(granted.len(), 6, "{granted:?}");
    assert_eq!(granted[0], year);
    assert_eq!(
        &granted[2..],
        ["1", "25.00", "25.00", "10.00"],
        "{granted:?}"
    );
    let potential = board.text("#support-potential tr[data-programme=JS-TECH-TRANSFER]");
    assert!(potential.contains("社会化技术转移"), "{potential}");
}
