//! Deadlines and reminders: the generator sends each reminder once (14 and 3 days before and on the
//! day) to the operators and the responsible staff member of platforms that have not done the
//! step; notices are private; the header counts unread ones; the overdue list follows data scope;
//! events (a filing returned…) notify in the same transaction; stale reminders are not current.

use crate::common::{HAIMEN, TestApp, platform, submitted_filing, submitted_midyear};
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate, Utc};
use kechuang::db::notices;
use kechuang::domain::annual::Step;
use kechuang::domain::reminders::Reminder;
use kechuang::domain::role::Role;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn notices_of(app: &TestApp, user: i64) -> Vec<(String, String, i32, String)> {
    sqlx::query_as(
        "SELECT kind, subject, days_left, link FROM notices WHERE user_id = $1 ORDER BY id",
    )
    .bind(user)
    .fetch_all(app.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn the_generator_reminds_the_responsible_people_once_per_day_mark() {
    let app = TestApp::new().await;
    let staff = app
        .user("staff", Some(Role::Staff), None, Some("320600"))
        .await;
    let other_staff = app
        .user("other-staff", Some(Role::Staff), None, Some("320600"))
        .await;
    let p = platform("NT-001")
        .responsible_staff(staff)
        .insert(&app)
        .await;
    let filed = platform("NT-002")
        .responsible_staff(staff)
        .insert(&app)
        .await;
    let registering = platform("NT-003")
        .registering()
        .responsible_staff(staff)
        .insert(&app)
        .await;
    let op = app.user("op1", Some(Role::Operator), Some(p), None).await;
    let op2 = app
        .user("op2", Some(Role::Operator), Some(filed), None)
        .await;
    app.user("op3", Some(Role::Operator), Some(registering), None)
        .await;
    // NT-002 has filed for 2030 already.
    submitted_filing(&app, filed, 2030).await;

    // 14 days before the 2030 filing deadline (03-31): the operator and the responsible staff.
    assert_eq!(
        notices::generate(app.pool(), d("2030-03-17"), &kechuang::web::links::NOTICES)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        notices::generate(app.pool(), d("2030-03-17"), &kechuang::web::links::NOTICES)
            .await
            .unwrap(),
        0,
        "idempotent"
    );
    assert_eq!(
        notices::generate(app.pool(), d("2030-03-18"), &kechuang::web::links::NOTICES)
            .await
            .unwrap(),
        0
    );
    let mine = notices_of(&app, op).await;
    assert_eq!(
        mine,
        vec![(
            "deadline.filing".to_string(),
            format!("filing:2030:platform:{p}"),
            14,
            format!("/platforms/{p}/annual?year=2030")
        )]
    );
    assert_eq!(notices_of(&app, staff).await.len(), 1);
    assert!(notices_of(&app, op2).await.is_empty(), "already filed");
    assert!(notices_of(&app, other_staff).await.is_empty());

    // 3 days before and on the day; nothing after the deadline (overdue instead).
    assert_eq!(
        notices::generate(app.pool(), d("2030-03-28"), &kechuang::web::links::NOTICES)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        notices::generate(app.pool(), d("2030-03-31"), &kechuang::web::links::NOTICES)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        notices::generate(app.pool(), d("2030-03-31"), &kechuang::web::links::NOTICES)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        notices::generate(app.pool(), d("2030-04-01"), &kechuang::web::links::NOTICES)
            .await
            .unwrap(),
        0
    );
    let days: Vec<i32> = notices_of(&app, op).await.iter().map(|n| n.2).collect();
    assert_eq!(days, vec![14, 3, 0]);

    // The mid-year report (07-31) and the year-end evaluation (01-31 of the next year).
    assert_eq!(
        notices::generate(app.pool(), d("2030-07-17"), &kechuang::web::links::NOTICES)
            .await
            .unwrap(),
        4
    );
    sqlx::query(
        "INSERT INTO evaluations (platform_id, year, status) VALUES ($1, 2030, 'submitted'), ($2, 2030, 'draft')",
    )
    .bind(p)
    .bind(filed)
    .execute(app.pool())
    .await
    .unwrap();
    assert_eq!(
        notices::generate(app.pool(), d("2031-01-28"), &kechuang::web::links::NOTICES)
            .await
            .unwrap(),
        2
    );
    let yearend: Vec<String> = app
        .values("SELECT subject FROM notices WHERE kind = 'deadline.yearend' ORDER BY id")
        .await;
    assert_eq!(
        yearend,
        vec![format!("yearend:2030:platform:{filed}"); 2],
        "only the platform whose evaluation is not submitted"
    );
    let text: String = app
        .scalar(
            "SELECT text FROM notices WHERE kind = 'deadline.yearend' AND user_id = $1",
            op2,
        )
        .await;
    // The text carries the date; how far away it is is said when the notice is read.
    assert!(
        text.contains("2031-01-31") && !text.contains("还剩"),
        "{text}"
    );
    let due: Option<NaiveDate> = app
        .scalar(
            "SELECT due_on FROM notices WHERE kind = 'deadline.yearend' AND user_id = $1",
            op2,
        )
        .await;
    assert_eq!(due, Some(d("2031-01-31")));
    assert!(app.audit_count("notices.generate").await >= 5);
}

#[tokio::test]
async fn notices_are_private_and_counted_in_the_header() {
    let app = TestApp::new().await;
    let staff = app
        .user("staff", Some(Role::Staff), None, Some("320600"))
        .await;
    let p = platform("NT-001")
        .responsible_staff(staff)
        .insert(&app)
        .await;
    let op = app.user("op1", Some(Role::Operator), Some(p), None).await;
    notices::generate(app.pool(), d("2030-03-17"), &kechuang::web::links::NOTICES)
        .await
        .unwrap();
    notices::generate(app.pool(), d("2030-03-28"), &kechuang::web::links::NOTICES)
        .await
        .unwrap();
    let ids: Vec<i64> = app
        .column("SELECT id FROM notices WHERE user_id = $1 ORDER BY id", op)
        .await;
    let staff_notice: i64 = app
        .scalar("SELECT id FROM notices WHERE user_id = $1 LIMIT 1", staff)
        .await;

    let mut c = app.signed_in("op1").await;
    let page = c.get("/notices").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("#notice-bell .badge"), "2");
    assert_eq!(page.texts("#notices li.unread").len(), 2);
    assert!(page.text("#notices").contains("年初备案"));

    // Another user's notice: not found, and it stays unread.
    let resp = c.post(&format!("/notices/{staff_notice}/read"), &[]).await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    let read: Option<chrono::DateTime<Utc>> = app
        .scalar("SELECT read_at FROM notices WHERE id = $1", staff_notice)
        .await;
    assert!(read.is_none());

    // Marking one's own read; "go" follows the notice's link.
    let resp = c
        .post(&format!("/notices/{}/read", ids[0]), &[("go", "1")])
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert_eq!(
        resp.location(),
        Some(format!("/platforms/{p}/annual?year=2030").as_str())
    );
    let page = c.get("/notices").await;
    assert_eq!(page.text("#notice-bell .badge"), "1");
    let resp = c.post("/notices/read-all", &[]).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let page = c.get("/notices").await;
    assert!(page.texts("#notice-bell .badge").is_empty());
    assert!(page.texts("#notices li.unread").is_empty());
    assert_eq!(app.audit_count("notice.read").await, 1);

    // The staff member's list holds only their own.
    let mut s = app.signed_in("staff").await;
    let page = s.get("/notices").await;
    let listed: Vec<String> = page
        .doc()
        .select(&scraper::Selector::parse("#notices li").unwrap())
        .filter_map(|li| li.value().attr("data-id").map(str::to_string))
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .all(|id| !ids.iter().any(|o| o.to_string() == *id))
    );
}

#[tokio::test]
async fn the_overdue_list_respects_county_scope() {
    let app = TestApp::new().await;
    let own = platform("OD-001")
        .operating_since("2020-06-01")
        .insert(&app)
        .await;
    let other = platform("OD-002")
        .in_county(HAIMEN)
        .operating_since("2020-06-01")
        .insert(&app)
        .await;
    app.user("city", Some(Role::Staff), None, Some("320600"))
        .await;
    app.user("county", Some(Role::Staff), None, Some("320613"))
        .await;
    app.user("op1", Some(Role::Operator), Some(own), None).await;
    let today = kechuang::clock::today();
    let week_ago = today - Duration::days(7);
    for (platform, title) in [(own, "本区逾期事项"), (other, "外区逾期事项")] {
        sqlx::query(
            "INSERT INTO checklist_items (platform_id, source, title, owner, due_date) VALUES ($1, 'manual', $2, '平台办公室', $3)",
        )
        .bind(platform)
        .bind(title)
        .bind(week_ago)
        .execute(app.pool())
        .await
        .unwrap();
    }
    // Open but not yet due, and closed: neither is overdue.
    sqlx::query(
        "INSERT INTO checklist_items (platform_id, source, title, due_date, status)
         VALUES ($1, 'manual', '未到期', $2, 'open'), ($1, 'manual', '已关闭', $3, 'closed')",
    )
    .bind(own)
    .bind(today + Duration::days(7))
    .bind(week_ago)
    .execute(app.pool())
    .await
    .unwrap();

    let mut city = app.signed_in("city").await;
    let page = city.get("/annual/overdue").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let items = page.texts("#overdue-items tbody tr");
    assert_eq!(items.len(), 2);
    assert!(items[0].contains("7"));
    // Every step's latest passed deadline is overdue for both platforms (nothing was filed).
    let steps = page.texts("#overdue-steps tbody tr");
    assert_eq!(steps.len(), 6);

    let mut county = app.signed_in("county").await;
    let page = county.get("/annual/overdue").await;
    let items = page.texts("#overdue-items tbody tr");
    assert_eq!(items, vec![items[0].clone()]);
    assert!(items[0].contains("本区逾期事项"));
    let steps = page.texts("#overdue-steps tbody tr");
    assert_eq!(steps.len(), 3);
    assert!(steps.iter().all(|s| s.contains("测试平台OD-001")));
    let links: Vec<String> = page
        .doc()
        .select(&scraper::Selector::parse("#overdue-steps a").unwrap())
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect();
    assert!(
        links
            .iter()
            .all(|l| !l.contains(&format!("/platforms/{other}")))
    );
    assert!(
        links
            .iter()
            .any(|l| l.starts_with(&format!("/platforms/{own}/midyear?year=")))
    );

    // Submitting the mid-year report takes it off the list.
    let midyear_year: i32 = links
        .iter()
        .find_map(|l| l.split("/midyear?year=").nth(1))
        .and_then(|y| y.parse().ok())
        .unwrap();
    submitted_midyear(&app, own, midyear_year).await;
    app.data_changed().await;
    let page = county.get("/annual/overdue").await;
    assert_eq!(page.texts("#overdue-steps tbody tr").len(), 2);

    // Operators have no overdue list; the staff nav links to it.
    let mut op = app.signed_in("op1").await;
    assert_eq!(
        op.get("/annual/overdue").await.status,
        StatusCode::FORBIDDEN
    );
    assert!(
        page.doc()
            .select(&scraper::Selector::parse("header nav a[href='/annual/overdue']").unwrap())
            .next()
            .is_some()
    );
}

#[tokio::test]
async fn returning_a_filing_notifies_the_operator_in_the_same_transaction() {
    let app = TestApp::new().await;
    let staff = app
        .user("staff", Some(Role::Staff), None, Some("320600"))
        .await;
    let p = platform("NT-001")
        .responsible_staff(staff)
        .insert(&app)
        .await;
    let op = app.user("op1", Some(Role::Operator), Some(p), None).await;
    let year = kechuang::clock::today().format("%Y").to_string();
    let fid = submitted_filing(&app, p, year.parse().unwrap()).await;
    let link = format!("/platforms/{p}/annual?year={year}");
    let review = format!("/platforms/{p}/annual/filing/{fid}/review");

    // A notice written in a transaction that is rolled back does not exist.
    let mut tx = app.pool().begin().await.unwrap();
    let n = notices::event(
        &mut tx,
        notices::To::Platform(p),
        "event.filing_returned",
        "测试",
        &link,
    )
    .await
    .unwrap();
    assert_eq!(n, 2, "the operator and the responsible staff member");
    tx.rollback().await.unwrap();
    assert!(notices_of(&app, op).await.is_empty());

    // A review that fails (another review came first: stale lock version) writes nothing.
    let mut s = app.signed_in("staff").await;
    let resp = s
        .post(
            &review,
            &[
                ("decision", "return"),
                ("comment", "请补充收入计划"),
                ("lock_version", "99"),
            ],
        )
        .await;
    assert_ne!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert!(notices_of(&app, op).await.is_empty());

    // The return tells the operator, linking to the filing; not the staff member who acted.
    let resp = s
        .post(
            &review,
            &[
                ("decision", "return"),
                ("comment", "请补充收入计划"),
                ("lock_version", "1"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let mine = notices_of(&app, op).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0].0, "event.filing_returned");
    assert_eq!(mine[0].3, link);
    assert!(notices_of(&app, staff).await.is_empty(), "not the actor");

    let mut o = app.signed_in("op1").await;
    let page = o.get("/notices").await;
    assert_eq!(page.text("#notice-bell .badge"), "1");
    let li = page.text("#notices li.unread");
    assert!(li.contains("已退回") && li.contains("年初备案"), "{li}");
    assert!(li.contains("测试平台NT-001"), "named by the platform: {li}");
    // The operator lands on the to-do list, which has the returned filing.
    assert_eq!(o.get("/").await.location(), Some("/todo"));
    let todo = o.get("/todo").await;
    assert_eq!(todo.text("#returned .todo-count"), "1");
    assert!(todo.text("#returned").contains("请补充收入计划"));
}

#[tokio::test]
async fn stale_reminders_are_not_shown_as_current() {
    let app = TestApp::new().await;
    let p = platform("NT-001")
        .operating_since("2020-06-01")
        .insert(&app)
        .await;
    let op = app.user("op1", Some(Role::Operator), Some(p), None).await;
    let today = kechuang::clock::today();
    // "今天截止" a week ago.
    let deadline = today - Duration::days(7);
    let year: i32 = deadline.format("%Y").to_string().parse().unwrap();
    let mut conn = app.pool().acquire().await.unwrap();
    notices::insert_reminder(
        &mut conn,
        &kechuang::web::links::NOTICES,
        Step::Midyear,
        year,
        deadline,
        Reminder { days_left: 0 },
        (p, "测试平台NT-001"),
        op,
    )
    .await
    .unwrap();
    drop(conn);

    let mut o = app.signed_in("op1").await;
    let page = o.get("/notices").await;
    let text = page.text("#notices");
    assert!(!text.contains("今天截止"), "{text}");
    assert!(text.contains("已逾期 7 天"), "{text}");
    assert_eq!(page.texts("#notices li.unread").len(), 1);

    // Once the step is done the reminder is 已办结, not current, and the daily work marks it read.
    submitted_midyear(&app, p, year).await;
    let page = o.get("/notices").await;
    let text = page.text("#notices li.resolved");
    assert!(text.contains("已办结"), "{text}");
    assert!(!text.contains("已逾期") && !text.contains("今天截止"));
    assert!(page.texts("#notices li.unread").is_empty());
    notices::generate(app.pool(), today, &kechuang::web::links::NOTICES)
        .await
        .unwrap();
    let page = o.get("/notices").await;
    assert!(page.texts("#notice-bell .badge").is_empty());
}
