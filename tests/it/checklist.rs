//! The checklist tab (清单): staff add, edit, close and reopen items; the operator reports
//! progress and marks items done; the assigned advisor (and staff, the operator) comment; items of
//! another platform are not found; concurrency; and the rule-finding calls issue 5 will use.

use crate::common;

use crate::common::{CITY, HAIMEN, TestApp, cast, platform};
use axum::http::StatusCode;
use chrono::Duration;

struct Fx {
    p: i64,
    other: i64,
}

async fn fixture(app: &TestApp) -> Fx {
    let adv = cast().advisor("adv").advisor("adv2").insert(app).await;
    let p = platform("CL-001").advisor(adv[0]).insert(app).await;
    let other = platform("CL-002")
        .in_county(HAIMEN)
        .advisor(adv[1])
        .insert(app)
        .await;
    cast()
        .operator("op1", p)
        .staff("staff", CITY)
        .leader("leader")
        .insert(app)
        .await;
    Fx { p, other }
}

/// Staff add an item through the form; returns its id.
async fn add_item(c: &mut common::Client, platform: i64, title: &str, due: &str) -> i64 {
    let resp = c
        .post(
            &format!("/platforms/{platform}/checklist"),
            &[("title", title), ("owner", "平台办公室"), ("due_date", due)],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let page = c.get(&format!("/platforms/{platform}/checklist")).await;
    let sel = scraper::Selector::parse("#checklist tbody tr").unwrap();
    page.doc()
        .select(&sel)
        .find(|tr| tr.text().collect::<String>().contains(title))
        .and_then(|tr| tr.value().attr("data-id"))
        .and_then(|id| id.parse().ok())
        .expect("the new item is listed")
}

fn version_of(page: &common::Resp) -> String {
    page.value("#edit-form input[name=version]")
        .or_else(|| page.value("#progress-form input[name=version]"))
        .or_else(|| page.value("form[action$='/close'] input[name=version]"))
        .or_else(|| page.value("form[action$='/reopen'] input[name=version]"))
        .expect("a version on the page")
}

#[tokio::test]
async fn items_go_from_open_to_done_to_closed_and_back() {
    let app = TestApp::new().await;
    let fx = fixture(&app).await;
    let mut staff = app.signed_in("staff").await;
    let empty = staff.get(&format!("/platforms/{}/checklist", fx.p)).await;
    assert!(empty.text("#checklist-empty").contains("手工添加"));

    let today = kechuang::clock::today();
    let yesterday = (today - Duration::days(1)).to_string();
    let later = (today + Duration::days(30)).to_string();
    let late_item = add_item(&mut staff, fx.p, "补充理事会会议纪要", &yesterday).await;
    let item = add_item(&mut staff, fx.p, "完善信息公开栏目", &later).await;
    add_item(&mut staff, fx.p, "更新仪器共享目录", &later).await;

    // Beside the three added by hand, the platform's failing compliance findings have items too.
    let list = staff.get(&format!("/platforms/{}/checklist", fx.p)).await;
    let total = list.texts("#checklist tbody tr").len();
    assert_eq!(
        list.texts("#checklist tbody tr")
            .iter()
            .filter(|r| r.contains("手工添加"))
            .count(),
        3
    );
    assert!(
        list.texts("#checklist tbody tr")[0].contains("补充理事会会议纪要"),
        "open items by due date: the overdue one first"
    );
    assert_eq!(list.texts(".overdue-mark").len(), 1);
    assert!(
        list.text("#checklist-progress")
            .contains(&format!("0 / {total}"))
    );

    // The operator reports: evidence first is required to mark done.
    let mut op = app.signed_in("op1").await;
    let url = format!("/platforms/{}/checklist/{item}", fx.p);
    let page = op.get(&url).await;
    assert!(
        page.texts("#edit-form").is_empty(),
        "operators do not edit items"
    );
    let v = version_of(&page);
    let resp = op
        .post(
            &format!("{url}/progress"),
            &[("version", &v), ("evidence", ""), ("mark_done", "1")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text("#f-evidence-error").contains("佐证"));
    let resp = op
        .post(
            &format!("{url}/progress"),
            &[
                ("version", &v),
                ("evidence", "栏目已上线，见官网“信息公开”。"),
                ("mark_done", "1"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let page = op.get(&url).await;
    assert_eq!(page.text("#item-status"), "已完成（待确认）");
    assert!(page.text("#item-evidence").contains("栏目已上线"));
    // The operator cannot close it: that is staff's confirmation.
    let resp = op
        .post(&format!("{url}/close"), &[("version", &version_of(&page))])
        .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);

    // Staff confirm by closing; progress counts done and closed; reopen puts it back.
    let page = staff.get(&url).await;
    let resp = staff
        .post(&format!("{url}/close"), &[("version", &version_of(&page))])
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let list = staff.get(&format!("/platforms/{}/checklist", fx.p)).await;
    assert!(
        list.text("#checklist-progress")
            .contains(&format!("1 / {total}"))
    );
    let rows = list.texts("#checklist tbody tr");
    assert!(
        rows[total - 1].contains("完善信息公开栏目"),
        "closed items last"
    );
    // A closed item: the operator can no longer change its evidence.
    let page = op.get(&url).await;
    assert!(page.texts("#progress-form").is_empty());
    let resp = op
        .post(
            &format!("{url}/progress"),
            &[
                ("version", &version_of(&staff.get(&url).await)),
                ("evidence", "x"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    let page = staff.get(&url).await;
    let resp = staff
        .post(&format!("{url}/reopen"), &[("version", &version_of(&page))])
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert_eq!(staff.get(&url).await.text("#item-status"), "待办");
    // Reopening an open item is refused with a reason.
    let page = staff.get(&url).await;
    let resp = staff
        .post(&format!("{url}/reopen"), &[("version", &version_of(&page))])
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(resp.text("#page-error").contains("待办"));

    // Staff edit owner and due date; the overdue one is no longer overdue.
    let late_url = format!("/platforms/{}/checklist/{late_item}", fx.p);
    let page = staff.get(&late_url).await;
    let resp = staff
        .post(
            &late_url,
            &[
                ("version", &version_of(&page)),
                ("title", "补充理事会会议纪要"),
                ("owner", "平台主任"),
                ("due_date", &later),
                ("status", "open"),
                ("evidence", ""),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let list = staff.get(&format!("/platforms/{}/checklist", fx.p)).await;
    assert!(list.texts(".overdue-mark").is_empty());

    for action in [
        "checklist.create",
        "checklist.done",
        "checklist.close",
        "checklist.reopen",
        "checklist.update",
    ] {
        assert!(app.audit_count(action).await >= 1, "{action} audited");
    }
    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE action = 'checklist.update' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(before["owner"], "平台办公室");
    assert_eq!(after["owner"], "平台主任");
    let kinds: Vec<String> = app
        .column(
            "SELECT kind FROM lifecycle_events WHERE platform_id = $1 AND kind LIKE 'checklist.%' ORDER BY id",
            fx.p,
        )
        .await;
    for kind in [
        "checklist.created",
        "checklist.done",
        "checklist.closed",
        "checklist.reopened",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} on the timeline");
    }
}

#[tokio::test]
async fn the_assigned_advisor_comments_and_is_refused_elsewhere() {
    let app = TestApp::new().await;
    let fx = fixture(&app).await;
    let mut staff = app.signed_in("staff").await;
    let item = add_item(&mut staff, fx.p, "制定自我造血方案", "").await;
    let other_item = add_item(&mut staff, fx.other, "另一平台的事项", "").await;

    let mut adv = app.signed_in("adv").await;
    let url = format!("/platforms/{}/checklist/{item}", fx.p);
    let resp = adv
        .post(
            &format!("{url}/comments"),
            &[("comment", "建议结合技术服务订单拓展一并考虑。")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let mut op = app.signed_in("op1").await;
    op.post(
        &format!("{url}/comments"),
        &[("comment", "收到，月底前提交初稿。")],
    )
    .await;
    let page = staff.get(&url).await;
    let comments = page.texts("#comment-list li");
    assert_eq!(comments.len(), 2);
    assert!(comments[0].contains("建议结合技术服务订单") && comments[0].contains("产业顾问"));
    assert!(comments[1].contains("平台填报员"));
    assert_eq!(app.audit_count("checklist.comment").await, 2);

    // Not assigned to the other platform: refused there, and cannot even read it (out of scope
    // answers 404, as if it did not exist).
    let other_url = format!("/platforms/{}/checklist/{other_item}", fx.other);
    let resp = adv
        .post(&format!("{other_url}/comments"), &[("comment", "越权意见")])
        .await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    assert_eq!(adv.get(&other_url).await.status, StatusCode::NOT_FOUND);
    // The leader reads but does not comment; an empty comment is a field error.
    let mut leader = app.signed_in("leader").await;
    let page = leader.get(&url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts("form[action$='/comments']").is_empty());
    let resp = leader
        .post(&format!("{url}/comments"), &[("comment", "x")])
        .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    let resp = adv
        .post(&format!("{url}/comments"), &[("comment", "  ")])
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.text("#f-comment-error"), "请填写意见内容");
    // An item id of another platform under this platform's path is not found.
    let mixed = format!("/platforms/{}/checklist/{other_item}", fx.p);
    assert_eq!(staff.get(&mixed).await.status, StatusCode::NOT_FOUND);
    let resp = adv
        .post(&format!("{mixed}/comments"), &[("comment", "x")])
        .await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    let n: i64 = app
        .scalar(
            "SELECT count(*) FROM checklist_comments WHERE item_id = $1",
            other_item,
        )
        .await;
    assert_eq!(n, 0);
}

#[tokio::test]
async fn bad_input_and_stale_edits_are_refused() {
    let app = TestApp::new().await;
    let fx = fixture(&app).await;
    let mut staff = app.signed_in("staff").await;
    let resp = staff
        .post(
            &format!("/platforms/{}/checklist", fx.p),
            &[("title", ""), ("owner", "x"), ("due_date", "明天")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.text("#f-title-error"), "请填写事项");
    assert_eq!(resp.text("#f-due_date-error"), "日期格式应为 YYYY-MM-DD");
    assert_eq!(resp.value("#f-owner").as_deref(), Some("x"));
    // Operators, advisors and the leader do not add items.
    for who in ["op1", "adv", "leader"] {
        let mut c = app.signed_in(who).await;
        let resp = c
            .post(&format!("/platforms/{}/checklist", fx.p), &[("title", "t")])
            .await;
        assert_eq!(resp.status, StatusCode::FORBIDDEN, "{who}");
    }

    let item = add_item(&mut staff, fx.p, "原事项", "").await;
    let url = format!("/platforms/{}/checklist/{item}", fx.p);
    let page = staff.get(&url).await;
    let v = version_of(&page);
    let edit = |title: &'static str, status: &'static str| {
        vec![
            ("version", v.clone()),
            ("title", title.to_string()),
            ("owner", String::new()),
            ("due_date", String::new()),
            ("status", status.to_string()),
            ("evidence", String::new()),
            ("description", String::new()),
        ]
    };
    let fields = edit("另一人改的标题", "open");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(staff.post(&url, &pairs).await.status, StatusCode::SEE_OTHER);
    // The same version again: somebody saved in between.
    let fields = edit("我的标题", "open");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let stale = staff.post(&url, &pairs).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let differs = stale.texts("#conflict-table tr.differs");
    assert_eq!(differs.len(), 1);
    assert!(differs[0].contains("我的标题") && differs[0].contains("另一人改的标题"));
    // Done without evidence is refused at the status field.
    let page = staff.get(&url).await;
    let v = version_of(&page);
    let resp = staff
        .post(
            &url,
            &[
                ("version", &v),
                ("title", "另一人改的标题"),
                ("status", "done"),
                ("evidence", ""),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text("#f-status-error").contains("佐证"));
}

#[tokio::test]
async fn an_item_or_comment_submitted_twice_with_one_form_is_added_once() {
    let app = TestApp::new().await;
    let fx = fixture(&app).await;
    let mut staff = app.signed_in("staff").await;
    let mut twin = app.client();
    twin.cookies = staff.cookies.clone();
    let path = format!("/platforms/{}/checklist", fx.p);
    let fields = [
        ("title", "补充年度工作总结"),
        ("owner", "平台办公室"),
        ("form_token", "aaaabbbbccccddddeeeeffff00001111"),
    ];
    let (a, b) = tokio::join!(staff.post(&path, &fields), twin.post(&path, &fields));
    let replay = staff.post(&path, &fields).await;
    let listed = format!("{path}?notice=checklist_added");
    for resp in [&a, &b, &replay] {
        assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
        assert_eq!(resp.location(), Some(listed.as_str()));
    }
    let items: Vec<i64> = app
        .values("SELECT id FROM checklist_items WHERE title = '补充年度工作总结'")
        .await;
    assert_eq!(items.len(), 1);
    assert_eq!(app.audit_count("checklist.create").await, 1);
    assert_eq!(staff.get(&listed).await.text(".notice"), "清单事项已添加。");

    let url = format!("{path}/{}", items[0]);
    let fields = [
        ("comment", "请在月底前完成。"),
        ("form_token", "aaaabbbbccccddddeeeeffff00002222"),
    ];
    let comments = format!("{url}/comments");
    let (a, b) = tokio::join!(
        staff.post(&comments, &fields),
        twin.post(&comments, &fields)
    );
    let replay = staff.post(&comments, &fields).await;
    let shown = format!("{url}?notice=checklist_commented");
    for resp in [&a, &b, &replay] {
        assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
        assert_eq!(resp.location(), Some(shown.as_str()));
    }
    assert_eq!(app.audit_count("checklist.comment").await, 1);
    let page = staff.get(&shown).await;
    assert_eq!(page.texts("#comment-list li").len(), 1);
    assert_eq!(page.text(".notice"), "意见已发表。");
}

use crate::visible;

/// Items a rule's finding opens are titled by the rule's Chinese name, and so are items stored
/// with the old `【RULE-ID】…` title: no rule id anywhere in the list or on the item.
#[tokio::test]
async fn rule_items_are_named_by_the_rule_in_chinese() {
    let app = TestApp::new().await;
    let fx = fixture(&app).await;
    kechuang::db::compliance::refresh(app.pool(), None, kechuang::clock::today())
        .await
        .unwrap();
    let titles: Vec<String> = app
        .column(
            "SELECT title FROM checklist_items WHERE platform_id = $1 AND source LIKE 'rule:%'",
            fx.p,
        )
        .await;
    assert!(!titles.is_empty());
    assert!(titles.iter().all(|t| !t.contains('【')), "{titles:?}");
    // An item stored before the rename.
    sqlx::query(
        "UPDATE checklist_items SET title = '【OPS-ADVISOR】配备产业顾问并持续服务'
         WHERE platform_id = $1 AND source = 'rule:OPS-ADVISOR'",
    )
    .bind(fx.p)
    .execute(app.pool())
    .await
    .unwrap();
    let mut staff = app.signed_in("staff").await;
    let list = staff.get(&format!("/platforms/{}/checklist", fx.p)).await;
    assert_eq!(list.status, StatusCode::OK);
    let seen = visible::visible_text(&list.body);
    assert!(seen.contains("产业顾问：配备产业顾问并持续服务"), "{seen}");
    assert!(seen.contains("合规规则：产业顾问"));
    assert!(!seen.contains('【') && !seen.contains("OPS-"), "{seen}");
    assert_eq!(visible::bare_codes(&seen), Vec::<String>::new());
    let id: i64 = app
        .scalar(
            "SELECT id FROM checklist_items WHERE platform_id = $1 AND source = 'rule:OPS-ADVISOR'",
            fx.p,
        )
        .await;
    let item = staff
        .get(&format!("/platforms/{}/checklist/{id}", fx.p))
        .await;
    assert_eq!(item.text("#item-title"), "产业顾问：配备产业顾问并持续服务");
    assert!(!visible::visible_text(&item.body).contains("OPS-"));
}
