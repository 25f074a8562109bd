//! 我的待办 on the demo city: each role lands on its to-do list (staff on the workbench, whose
//! top is the same groups) with the right counts, every item a link to where it is handled; and
//! the workbench's overdue count is the overdue page's (one definition of overdue).

use crate::common::{Client, Resp, TestApp};
use axum::http::StatusCode;
use kechuang::clock::today;

async fn demo(app: &TestApp, username: &str) -> Client {
    let mut c = app.client();
    let resp = c.login(username, kechuang::demo::PASSWORD).await;
    assert_eq!(
        resp.status,
        StatusCode::SEE_OTHER,
        "{username}: {}",
        resp.body
    );
    c
}

/// The landing page of a signed-in client (following the redirect from `/`).
async fn landing(c: &mut Client) -> (String, Resp) {
    let to = c.get("/").await.location().unwrap().to_string();
    let page = c.get(&to).await;
    assert_eq!(page.status, StatusCode::OK, "{to}: {}", page.body);
    (to, page)
}

/// The count shown in a group's heading.
fn count(page: &Resp, group: &str) -> i64 {
    page.text(&format!("#{group} .todo-count")).parse().unwrap()
}

fn hrefs(page: &Resp, selector: &str) -> Vec<String> {
    page.doc()
        .select(&scraper::Selector::parse(selector).unwrap())
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect()
}

async fn user_id(app: &TestApp, username: &str) -> (i64, Option<i64>) {
    sqlx::query_as("SELECT id, platform_id FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn each_demo_role_lands_on_its_to_do_list_with_counts() {
    let app = TestApp::with_demo().await;
    let today = today();

    // ---- operator: the returned filing, with how long it is overdue; checklist; steps due.
    let (_, pid) = user_id(&app, "demo-operator").await;
    let pid = pid.unwrap();
    let mut op = demo(&app, "demo-operator").await;
    let (to, page) = landing(&mut op).await;
    assert_eq!(to, "/todo");
    for group in ["returned", "due", "checklist", "rectification"] {
        assert!(
            !page.texts(&format!("#{group} h2")).is_empty(),
            "operator group {group}"
        );
    }
    let returned: Vec<(i32, String)> = sqlx::query_as(
        "SELECT year, status FROM filings WHERE platform_id = $1 AND status = 'returned' ORDER BY year",
    )
    .bind(pid)
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert!(
        !returned.is_empty(),
        "the demo operator's filing is returned"
    );
    let evals_returned = app
        .scalar::<i64>(
            "SELECT count(*) FROM evaluations WHERE platform_id = $1 AND status IN ('county_returned', 'city_returned')",
            pid,
        )
        .await;
    assert_eq!(
        count(&page, "returned"),
        returned.len() as i64 + evals_returned
    );
    let year = returned.last().unwrap().0;
    let rows = page.texts("#returned tr.task");
    let row = rows
        .iter()
        .find(|r| r.contains(&format!("{year} 年度年初备案被退回")))
        .expect("the returned filing is listed");
    let deadline = chrono::NaiveDate::from_ymd_opt(year, 3, 31).unwrap();
    if today > deadline && (today - deadline).num_days() <= 365 {
        let late = (today - deadline).num_days();
        assert!(row.contains(&format!("已逾期 {late} 天")), "{row}");
    }
    assert!(
        hrefs(&page, "#returned a[role=button]")
            .contains(&format!("/platforms/{pid}/annual?year={year}"))
    );
    let open_items = app
        .scalar::<i64>(
            "SELECT count(*) FROM checklist_items WHERE platform_id = $1 AND status = 'open'",
            pid,
        )
        .await;
    assert_eq!(count(&page, "checklist"), open_items);
    if open_items == 0 {
        assert!(!page.text("#checklist p.empty").is_empty());
    } else {
        assert!(
            hrefs(&page, "#checklist a[role=button]")
                .iter()
                .all(|h| h.starts_with(&format!("/platforms/{pid}/checklist/")))
        );
    }
    assert!(page.text("header nav").contains("我的待办"));

    // ---- advisor: the platform not visited for more than 183 days is overdue for a visit.
    let (advisor, _) = user_id(&app, "demo-advisor").await;
    let mut adv = demo(&app, "demo-advisor").await;
    let (to, page) = landing(&mut adv).await;
    assert_eq!(to, "/todo");
    let overdue_visits = app
        .scalar::<i64>(
            "SELECT count(*) FROM platforms p
             WHERE p.advisor_id = $1 AND p.stage IN ('operating', 'rectifying')
               AND coalesce((SELECT max(visit_date) FROM advisor_visits v WHERE v.platform_id = p.id)
                            < (now() AT TIME ZONE 'Asia/Shanghai')::date - 183, true)",
            advisor,
        )
        .await;
    assert!(overdue_visits >= 1, "the demo has an overdue visit");
    let late = page
        .texts("#visits tr.task")
        .iter()
        .filter(|r| r.contains("已逾期") || r.contains("尚无服务记录"))
        .count() as i64;
    assert_eq!(late, overdue_visits);
    assert!(count(&page, "visits") >= overdue_visits);
    assert!(
        hrefs(&page, "#visits a[role=button]")
            .iter()
            .all(|h| h.ends_with("/operation#visits"))
    );

    // ---- expert: the assignments waiting for a declaration or scores.
    let (expert, _) = user_id(&app, "demo-expert").await;
    let mut ex = demo(&app, "demo-expert").await;
    let (to, page) = landing(&mut ex).await;
    assert_eq!(to, "/todo");
    let waiting = app
        .scalar::<i64>(
            "SELECT count(*) FROM expert_assignments a JOIN evaluations e ON e.id = a.evaluation_id
             LEFT JOIN evaluation_rounds r ON r.year = e.year
             WHERE a.expert_id = $1 AND coalesce(r.status, 'open') = 'open'
               AND (a.conflict IS NULL OR (NOT a.conflict AND a.submitted_at IS NULL))",
            expert,
        )
        .await;
    assert_eq!(count(&page, "assignments"), waiting);
    if waiting == 0 {
        assert!(
            page.text("#assignments p.empty")
                .contains("没有待完成的评审任务")
        );
    } else {
        assert!(
            hrefs(&page, "#assignments a[role=button]")
                .iter()
                .all(|h| h.starts_with("/expert/assignments/"))
        );
    }

    // ---- staff: the review queue includes registrations waiting for approval; overdue; cases.
    let mut staff = demo(&app, "demo-staff").await;
    let (to, page) = landing(&mut staff).await;
    assert_eq!(to, "/workbench");
    let registering = app
        .value::<i64>(
            "SELECT count(*) FROM platforms p JOIN registrations r ON r.platform_id = p.id
             WHERE p.stage = 'registration' AND r.status = 'submitted'",
        )
        .await;
    let queue = page.texts("#review-queue tr.task");
    assert_eq!(
        queue
            .iter()
            .filter(|r| r.contains("设立登记待审批"))
            .count() as i64,
        registering
    );
    assert_eq!(count(&page, "review-queue"), queue.len() as i64);
    let cases = app
        .value::<i64>("SELECT count(*) FROM rectification_cases WHERE status = 'open'")
        .await;
    assert_eq!(count(&page, "rectification"), cases);
    // The staff's /todo holds the same groups as the top of the workbench.
    let todo = staff.get("/todo").await;
    assert_eq!(todo.status, StatusCode::OK);
    for group in ["review-queue", "overdue", "rectification"] {
        assert_eq!(count(&todo, group), count(&page, group), "{group}");
    }

    // ---- a role without platform work: an empty state, no error.
    let mut leader = demo(&app, "demo-leader").await;
    let page = leader.get("/todo").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text("#todo-none").contains("没有需要办理"));
}

#[tokio::test]
async fn the_workbench_and_the_overdue_page_count_the_same_overdue_items() {
    let app = TestApp::with_demo().await;
    for username in ["demo-staff", "demo-county-staff"] {
        let mut c = demo(&app, username).await;
        let workbench = c.get("/workbench").await;
        assert_eq!(workbench.status, StatusCode::OK, "{}", workbench.body);
        let page = c.get("/annual/overdue").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let listed = page.texts("#overdue-steps tbody tr").len()
            + page.texts("#overdue-items tbody tr").len()
            + page.texts("#overdue-cases tbody tr").len();
        let total: usize = page
            .text("#overdue-total strong")
            .parse()
            .expect("the overdue page says its total");
        assert_eq!(listed, total, "{username}: the page lists what it counts");
        assert_eq!(
            count(&workbench, "overdue"),
            total as i64,
            "{username}: the workbench counts what the overdue page lists"
        );
        // The same items, not only the same number.
        let mut on_workbench = hrefs(&workbench, "#overdue a[role=button]");
        let mut on_page = hrefs(
            &page,
            "#overdue-steps td:last-child a, #overdue-items td:last-child a, #overdue-cases td:last-child a",
        );
        on_workbench.sort();
        on_page.sort();
        if total <= 100 {
            assert_eq!(on_workbench, on_page, "{username}");
        }
    }
}
