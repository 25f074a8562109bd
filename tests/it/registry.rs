//! The platform registry: validation that keeps what was typed, unique codes, optimistic
//! concurrency, data scope in lists, filters, search, sort and pages.

use crate::common::{Client, Resp, TestApp};
use axum::http::StatusCode;
use kechuang::domain::role::Role;

async fn jurisdiction(app: &TestApp, code: &str) -> String {
    let id: i32 = app
        .scalar("SELECT id FROM jurisdictions WHERE code = $1", code)
        .await;
    id.to_string()
}

/// Registers an enterprise platform with only the required fields.
async fn register(
    c: &mut Client,
    code: &str,
    name: &str,
    jurisdiction_id: &str,
    level: &str,
) -> Resp {
    c.post(
        "/platforms",
        &[
            ("code", code),
            ("name", name),
            ("jurisdiction_id", jurisdiction_id),
            ("level", level),
            ("legal_form", "enterprise"),
        ],
    )
    .await
}

#[tokio::test]
async fn staff_register_a_platform_and_it_is_audited() {
    let app = TestApp::new().await;
    let mut c = app.staff_signed_in("staff1", "320600").await;
    let chongchuan = jurisdiction(&app, "320613").await;
    let resp = c
        .post(
            "/platforms",
            &[
                ("code", "nt-2025-101"),
                ("name", "示例新材料中试平台"),
                ("jurisdiction_id", &chongchuan),
                ("level", "county"),
                ("category", "technical_service"),
                ("industry_cluster", "new_materials"),
                ("legal_form", "enterprise"),
                ("co_builders", "示例大学"),
                ("construction_start", "2025-01-01"),
                ("construction_end", "2027-12-31"),
                ("first_support_end", "2028-12-31"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let location = resp.location().unwrap().to_string();
    assert!(location.ends_with("?notice=platform_created"), "{location}");
    let page = c.get(&location).await;
    assert_eq!(page.text("h1"), "示例新材料中试平台");
    let facts = page.texts("#platform-facts dd");
    assert_eq!(
        facts[0], "NT-2025-101",
        "the code is normalised to upper case"
    );
    assert!(facts.contains(&"技术服务类".to_string()));
    assert!(
        page.text(".stage").contains("设立登记"),
        "a new platform starts in registration"
    );

    let (action, after): (String, serde_json::Value) = sqlx::query_as(
        "SELECT action, after FROM audit_log WHERE entity = 'platform' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(action, "platform.create");
    assert_eq!(after["code"], "NT-2025-101");

    // The new platform's findings are stored by the creating write (the route names no
    // platform, so the write names it).
    let category: String = app
        .value(
            "SELECT f.status FROM findings f JOIN platforms p ON p.id = f.platform_id
             WHERE p.code = 'NT-2025-101' AND f.rule_id = 'REG-CATEGORY'",
        )
        .await;
    assert_eq!(category, "pass");
}

#[tokio::test]
async fn bad_input_names_every_field_and_keeps_what_was_typed() {
    let app = TestApp::new().await;
    let mut c = app.staff_signed_in("staff1", "320600").await;
    let resp = c
        .post(
            "/platforms",
            &[
                ("code", "编号!"),
                ("name", "示例平台<script>alert(1)</script>"),
                ("jurisdiction_id", ""),
                ("level", "galaxy"),
                ("legal_form", "enterprise"),
                ("co_builders", "示例大学"),
                ("construction_start", "2025-02-30"),
                ("construction_end", "2024-01-01"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text("#f-code-error").starts_with("平台编号须为3–32位"));
    assert_eq!(resp.text("#f-jurisdiction_id-error"), "请选择所属地区");
    assert_eq!(resp.text("#f-level-error"), "请选择平台层级");
    assert!(
        resp.text("#f-construction_start-error")
            .starts_with("日期格式应为")
    );
    assert!(resp.text(".form-error").contains("4 处"));
    // Everything typed is still there, escaped.
    assert_eq!(resp.value("#f-code").as_deref(), Some("编号!"));
    assert_eq!(
        resp.value("#f-name").as_deref(),
        Some("示例平台<script>alert(1)</script>")
    );
    assert_eq!(resp.value("#f-co_builders").as_deref(), Some("示例大学"));
    assert_eq!(
        resp.value("#f-construction_start").as_deref(),
        Some("2025-02-30")
    );
    assert!(!resp.body.contains("<script>alert(1)</script>"));
    let count: i64 = app.value("SELECT count(*) FROM platforms").await;
    assert_eq!(count, 0);
}

#[tokio::test]
async fn codes_are_unique() {
    let app = TestApp::new().await;
    app.platform("NT-2025-001", "320613").await;
    let mut c = app.staff_signed_in("staff1", "320600").await;
    let city = jurisdiction(&app, "320600").await;
    let resp = register(&mut c, "NT-2025-001", "另一个平台", &city, "city").await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.text("#f-code-error"), "平台编号已存在，请换一个编号");
    assert_eq!(resp.value("#f-name").as_deref(), Some("另一个平台"));
}

#[tokio::test]
async fn county_staff_register_only_in_their_county() {
    let app = TestApp::new().await;
    app.user("county1", Some(Role::Staff), None, Some("320613"))
        .await;
    let mut c = app.signed_in("county1").await;
    let haimen = jurisdiction(&app, "320614").await;
    let resp = register(&mut c, "HM-2025-001", "海门示例平台", &haimen, "county").await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.text("#f-jurisdiction_id-error"),
        "您无权在该地区登记平台"
    );
    // The form only offers their own county.
    let form = c.get("/platforms/new").await;
    assert_eq!(
        form.texts("#f-jurisdiction_id option[value]:not([value=''])"),
        vec!["崇川区"]
    );
}

async fn edit_fields(app: &TestApp, name: &str, version: &str) -> Vec<(&'static str, String)> {
    vec![
        ("code", "NT-2025-001".into()),
        ("name", name.into()),
        ("jurisdiction_id", jurisdiction(app, "320613").await),
        ("level", "county".into()),
        ("category", "technical_service".into()),
        ("legal_form", "enterprise".into()),
        ("version", version.into()),
    ]
}

#[tokio::test]
async fn a_stale_edit_gets_the_conflict_page_and_overwrites_nothing() {
    let app = TestApp::new().await;
    let id = app.platform("NT-2025-001", "320613").await;
    app.user("staff1", Some(Role::Staff), None, Some("320600"))
        .await;
    app.user("staff2", Some(Role::Staff), None, Some("320613"))
        .await;
    let mut alice = app.signed_in("staff1").await;
    let mut bob = app.signed_in("staff2").await;

    // Both open the edit form at version 1.
    let version = alice
        .get(&format!("/platforms/{id}/edit"))
        .await
        .value("input[name=version]")
        .unwrap();
    assert_eq!(
        bob.get(&format!("/platforms/{id}/edit"))
            .await
            .value("input[name=version]")
            .unwrap(),
        version
    );

    let fields = edit_fields(&app, "爱丽丝改的名称", &version).await;
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let resp = alice.post(&format!("/platforms/{id}"), &pairs).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);

    let fields = edit_fields(&app, "鲍勃改的名称", &version).await;
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let resp = bob.post(&format!("/platforms/{id}"), &pairs).await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    let rows = resp.texts("#conflict-table tr.differs");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains("鲍勃改的名称") && rows[0].contains("爱丽丝改的名称"));

    let name: String = app
        .scalar("SELECT name FROM platforms WHERE id = $1", id)
        .await;
    assert_eq!(name, "爱丽丝改的名称");
    assert_eq!(app.audit_count("platform.update").await, 1);
}

#[tokio::test]
async fn lists_respect_scope_filters_search_sort_and_pages() {
    let app = TestApp::new().await;
    for i in 1..=25 {
        let county = if i % 2 == 0 { "320613" } else { "320614" };
        app.platform(&format!("NT-2025-{i:03}"), county).await;
    }
    app.user("leader1", Some(Role::Leader), None, None).await;
    app.user("county1", Some(Role::Staff), None, Some("320613"))
        .await;

    let mut leader = app.signed_in("leader1").await;
    let page = leader.get("/platforms").await;
    assert_eq!(page.texts("#platform-list tbody tr").len(), 20);
    assert!(page.text(".pager").contains("共 25 条"));
    let page2 = leader.get("/platforms?page=2").await;
    assert_eq!(page2.texts("#platform-list tbody tr").len(), 5);

    let desc = leader.get("/platforms?sort=code&dir=desc").await;
    assert!(
        desc.text("#platform-list tbody tr td")
            .starts_with("NT-2025-025")
    );
    let search = leader.get("/platforms?q=2025-007").await;
    assert_eq!(search.texts("#platform-list tbody tr").len(), 1);
    let haimen = jurisdiction(&app, "320614").await;
    let filtered = leader
        .get(&format!("/platforms?jurisdiction={haimen}"))
        .await;
    assert!(filtered.text(".pager").contains("共 13 条"));
    // A filter survives paging links.
    assert!(filtered.body.contains(&format!("jurisdiction={haimen}")));
    let none = leader.get("/platforms?q=不存在的平台").await;
    assert!(none.text(".empty").contains("没有符合条件的平台"));

    // County staff only ever see their county, whatever they ask for.
    let mut county = app.signed_in("county1").await;
    let page = county
        .get(&format!("/platforms?jurisdiction={haimen}"))
        .await;
    assert!(page.text(".pager").contains("共 0 条"));
    let page = county.get("/platforms").await;
    assert!(page.text(".pager").contains("共 12 条"));
}

#[tokio::test]
async fn malformed_requests_get_chinese_error_pages() {
    let app = TestApp::new().await;
    app.user("leader1", Some(Role::Leader), None, None).await;
    let mut c = app.signed_in("leader1").await;
    let resp = c.get("/platforms/abc").await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    assert_eq!(resp.text("h1"), "404 · 页面不存在");
    let resp = c.get("/platforms/999999").await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    let resp = c.get("/no/such/page").await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    assert_eq!(resp.text("h1"), "404 · 页面不存在");
    let resp = c.get("/platforms?page=x").await;
    assert_eq!(resp.status, StatusCode::BAD_REQUEST);
    assert_eq!(resp.text("h1"), "400 · 请求无效");
}

#[tokio::test]
async fn city_staff_add_jurisdictions_and_duplicates_are_field_errors() {
    let app = TestApp::new().await;
    let mut c = app.staff_signed_in("staff1", "320600").await;
    let resp = c
        .post(
            "/jurisdictions",
            &[("code", "js0001"), ("name", "示例新区")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(resp.location(), Some("/jurisdictions"));
    let page = c.get("/jurisdictions").await;
    assert!(page.text("#jurisdictions").contains("JS0001"));
    assert_eq!(app.audit_count("jurisdiction.create").await, 1);

    // The database's unique constraints answer next to the field, keeping what was typed.
    let seeded: String = app
        .value("SELECT name FROM jurisdictions WHERE code = '320613'")
        .await;
    let resp = c
        .post(
            "/jurisdictions",
            &[("code", "JS0001"), ("name", "另一新区")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.text("#f-code-error"), "地区代码已存在");
    assert_eq!(resp.value("#f-name").as_deref(), Some("另一新区"));
    let resp = c
        .post("/jurisdictions", &[("code", "JS0002"), ("name", &seeded)])
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.text("#f-name-error"), "地区名称已存在");
    assert_eq!(app.audit_count("jurisdiction.create").await, 1);
    let count: i64 = app
        .value("SELECT count(*) FROM jurisdictions WHERE code LIKE 'JS%'")
        .await;
    assert_eq!(count, 1);
}

#[tokio::test]
async fn names_sort_in_pinyin_order_and_the_list_takes_a_page_size() {
    let app = TestApp::new().await;
    // Code point order would be 北 (U+5317) < 安 (U+5B89) < 张 (U+5F20); pinyin: an < bei < zhang.
    for (code, name) in [
        ("NT-P-1", "张謇纺织研究院"),
        ("NT-P-2", "北斗导航创新中心"),
        ("NT-P-3", "安全应急装备研究院"),
    ] {
        let id = app.platform(code, "320613").await;
        sqlx::query("UPDATE platforms SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(id)
            .execute(app.pool())
            .await
            .unwrap();
    }
    for i in 1..=22 {
        app.platform(&format!("NT-Q-{i:02}"), "320613").await;
    }
    app.user("leader1", Some(Role::Leader), None, None).await;
    let mut leader = app.signed_in("leader1").await;
    let page = leader.get("/platforms?sort=name&size=50").await;
    let names: Vec<String> = page
        .texts("#platform-list tbody tr")
        .into_iter()
        .filter(|t| !t.contains("测试平台"))
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names[0].contains("安全应急"), "{names:?}");
    assert!(names[1].contains("北斗导航"), "{names:?}");
    assert!(names[2].contains("张謇纺织"), "{names:?}");
    // 50 a page: all 25 on one; the page links keep the size; a size not offered is ignored.
    assert_eq!(page.texts("#platform-list tbody tr").len(), 25);
    let small = leader.get("/platforms?size=20").await;
    assert_eq!(small.texts("#platform-list tbody tr").len(), 20);
    let next: Vec<String> = small
        .doc()
        .select(&scraper::Selector::parse("a[rel=next]").unwrap())
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect();
    assert!(next[0].contains("page=2"), "{next:?}");
    assert_eq!(
        leader
            .get("/platforms?size=7")
            .await
            .texts("#platform-list tbody tr")
            .len(),
        20
    );
    // The page-jump form keeps the filters and offers the sizes.
    let jump = leader.get("/platforms?sort=name").await;
    assert_eq!(jump.texts(".pager-jump select[name=size] option").len(), 3);
    assert_eq!(
        jump.value(".pager-jump input[name=sort]").as_deref(),
        Some("name")
    );
}

/// The search's grams index (migration 0029) finds exactly what `name ILIKE '%q%' OR code ILIKE
/// '%q%'` finds, for one- and two-character Chinese terms, codes in any case, longer terms and
/// LIKE's own wildcards typed as text — and the index serves the search.
#[tokio::test]
async fn search_by_grams_finds_what_ilike_finds_and_uses_the_index() {
    let app = TestApp::new().await;
    let names = [
        ("NT-2025-001", "南通船舶海工研究院"),
        ("NT-2025-002", "海工装备中试平台"),
        ("nt-2025-003", "船"),
        ("SC-0123", "纺织新材料概念验证中心"),
        ("SC-0124", "100%_测试 Lab"),
        ("AB-9", "高端纺织 ABC 实验室"),
    ];
    for (code, _) in &names {
        app.platform(code, "320613").await;
    }
    let mut conn = app.db.superuser().await;
    for (code, name) in &names {
        sqlx::query("UPDATE platforms SET name = $2 WHERE code = $1")
            .bind(code)
            .bind(name)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let terms = [
        "船",
        "船舶",
        "舶海",
        "海工",
        "工",
        "纺织",
        "织新材",
        "nt",
        "NT-2025",
        "t-2",
        "sc-01",
        "0123",
        "9",
        "abc",
        "Abc 实",
        " ",
        "%",
        "_",
        "100%_",
        "%_测",
        "lab",
        "不存在",
        "南通船舶海工研究院",
        "院x",
    ];
    for term in terms {
        let escaped = format!(
            "%{}%",
            term.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let expected: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM platforms WHERE name ILIKE $1 OR code ILIKE $1",
        )
        .bind(&escaped)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        let filter = kechuang::db::platforms::ListFilter {
            q: term.to_string(),
            ..Default::default()
        };
        let found = kechuang::db::platforms::count(
            app.pool(),
            kechuang::domain::scope::PlatformScope::All,
            &filter,
        )
        .await
        .unwrap();
        // A blank term is no search at all.
        let expected = if term.trim().is_empty() { 6 } else { expected };
        assert_eq!(found, expected, "term {term:?}");
    }
    assert!(
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM platforms WHERE name ILIKE '%船舶%' OR code ILIKE '%船舶%'"
        )
        .fetch_one(&mut conn)
        .await
        .unwrap()
            > 0
    );

    // The page finds them too.
    app.user("leader1", Some(Role::Leader), None, None).await;
    let mut leader = app.signed_in("leader1").await;
    let page = leader.get("/platforms?q=%E6%B5%B7%E5%B7%A5").await; // 海工
    assert_eq!(page.texts("#platform-list tbody tr").len(), 2);

    // With table scans ruled out, a two-character term is served by the grams index.
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut conn)
        .await
        .unwrap();
    let plan: Vec<String> = sqlx::query_scalar(
        "EXPLAIN SELECT id FROM platforms p
         WHERE p.search_grams @> kc_term_grams('船舶') AND (p.name ILIKE '%船舶%' OR p.code ILIKE '%船舶%')",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(
        plan.iter().any(|l| l.contains("platforms_search_grams")),
        "{plan:#?}"
    );
}
