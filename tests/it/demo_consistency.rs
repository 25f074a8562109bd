//! The demo city agrees with itself and every number has one figure (issue 10, item 7): each
//! platform's 登记时间 is its own historical date, a rectification "for a failed evaluation" only
//! follows a 不合格 (and no 优秀 platform is put into rectification), a platform's overview shows
//! one 自主收入 per year (the ledger's sum, labelled, with the reported total and the difference
//! beside it), and a filing's lateness is judged one way on every line of its section.

use std::collections::BTreeSet;

use crate::common::{Client, TestApp};
use axum::http::StatusCode;
use chrono::NaiveDate;
use kechuang::domain::money::wan;

async fn demo() -> (TestApp, Client) {
    let app = TestApp::with_demo().await;
    let mut staff = app.client();
    staff.login("demo-staff", kechuang::demo::PASSWORD).await;
    (app, staff)
}

#[tokio::test]
async fn every_demo_platform_has_its_own_historical_registration_time() {
    let (app, mut staff) = demo().await;
    type Row = (
        i64,
        String,
        NaiveDate,
        Option<NaiveDate>,
        NaiveDate,
        Option<NaiveDate>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT p.id, p.stage, (p.created_at AT TIME ZONE 'Asia/Shanghai')::date, p.operating_since,
                (now() AT TIME ZONE 'Asia/Shanghai')::date,
                (SELECT (min(e.at) AT TIME ZONE 'Asia/Shanghai')::date FROM lifecycle_events e
                 WHERE e.platform_id = p.id AND e.kind = 'registration.created')
         FROM platforms p WHERE p.code LIKE 'NT-%' ORDER BY p.id",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(rows.len(), kechuang::demo::PLATFORMS);
    let mut dates = BTreeSet::new();
    for (id, stage, registered, since, today, event) in &rows {
        assert!(registered < today, "platform {id} registered on load day");
        assert_eq!(
            Some(*registered),
            *event,
            "platform {id}: the timeline says the same"
        );
        match since {
            Some(since) => assert!(registered < since, "platform {id}: before operating"),
            None => assert_eq!(stage, "registration", "platform {id}"),
        }
        dates.insert(*registered);
    }
    assert!(dates.len() > 30, "dates vary: {}", dates.len());

    // The pages show the date on record.
    let (id, _, registered, ..) = &rows[0];
    let page = staff.get(&format!("/platforms/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("#registered-on"), registered.to_string());
    let list = staff.get("/platforms?sort=created").await;
    assert!(list.body.contains(&registered.to_string()));
}

#[tokio::test]
async fn rectification_triggers_match_the_evaluation_history() {
    let (app, _) = demo().await;
    // A case for a failed evaluation follows a 不合格 of an earlier year.
    let unfounded: Vec<(i64, String)> = sqlx::query_as(
        "SELECT c.id, p.code FROM rectification_cases c JOIN platforms p ON p.id = c.platform_id
         WHERE 'fail_grade' = ANY(c.triggers)
           AND NOT EXISTS (SELECT 1 FROM evaluations e
                           WHERE e.platform_id = c.platform_id AND e.grade = 'fail'
                             AND e.year < extract(year FROM coalesce(c.opened_at, now())))",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert!(
        unfounded.is_empty(),
        "cases for a failed evaluation without one: {unfounded:?}"
    );
    let founded: i64 = app
        .value("SELECT count(*) FROM rectification_cases WHERE 'fail_grade' = ANY(triggers)")
        .await;
    assert!(
        founded >= 1,
        "the demo still has a case for a failed evaluation"
    );
    // No platform graded 优秀 in the last published year before its case is put into rectification.
    let excellent: Vec<(String, i32)> = sqlx::query_as(
        "SELECT p.code, e.year FROM rectification_cases c JOIN platforms p ON p.id = c.platform_id
         JOIN LATERAL (SELECT year, grade FROM evaluations e
                       WHERE e.platform_id = c.platform_id AND e.grade IS NOT NULL
                         AND e.year < extract(year FROM coalesce(c.opened_at, now()))
                       ORDER BY year DESC LIMIT 1) e ON true
         WHERE c.status IN ('draft', 'open') AND e.grade = 'excellent'",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert!(excellent.is_empty(), "优秀 yet rectifying: {excellent:?}");
}

#[tokio::test]
async fn a_platforms_overview_shows_one_self_generated_income_per_year() {
    let (app, mut staff) = demo().await;
    // The years whose ledger sum differs from the reported total.
    let differing: Vec<(i64, i32, i64, i64)> = sqlx::query_as(
        "SELECT v.platform_id, v.year, v.self_generated,
                a.service_orders + a.tech_contracts + a.achievement_transfer + a.gov_research_projects
                    + a.incubation_returns
         FROM platform_year_revenue v JOIN annual_figures a USING (platform_id, year)
         WHERE v.revenue_from_ledger AND v.self_generated <> a.service_orders + a.tech_contracts
               + a.achievement_transfer + a.gov_research_projects + a.incubation_returns
         ORDER BY v.platform_id, v.year",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert!(!differing.is_empty(), "the demo has a ledger that differs");
    for (platform, year, ledger, reported) in differing {
        let page = staff.get(&format!("/platforms/{platform}")).await;
        assert_eq!(page.status, StatusCode::OK);
        let doc = page.doc();
        let rows = scraper::Selector::parse("#annual-figures tbody tr").unwrap();
        let th = scraper::Selector::parse("th").unwrap();
        let own = scraper::Selector::parse("td.self-generated").unwrap();
        let strong = scraper::Selector::parse("strong").unwrap();
        let row = doc
            .select(&rows)
            .find(|r| {
                r.select(&th)
                    .next()
                    .is_some_and(|t| t.text().collect::<String>() == year.to_string())
            })
            .expect("the year's row");
        let cell = row.select(&own).next().expect("自主收入 cell");
        let shown: String = cell.select(&strong).next().unwrap().text().collect();
        // The figure is the ledger's, as the chart beside it; the reported total is labelled.
        assert_eq!(shown, wan(ledger), "{platform} {year}");
        let text: String = cell.text().collect();
        assert!(text.contains("台账合计"), "{text}");
        let sign = if ledger < reported { "−" } else { "+" };
        assert!(
            text.contains(&format!(
                "年报填报 {}，差额 {sign}{}",
                wan(reported),
                wan((ledger - reported).abs())
            )),
            "{text}"
        );
        let chart = page.texts("table.chart-data[data-chart=chart-revenue] tbody tr");
        let line = chart
            .iter()
            .find(|l| l.starts_with(&year.to_string()))
            .expect("the chart's row");
        assert!(line.contains(&wan(ledger)), "{line}");
        assert!(line.contains("台账合计"), "{line}");
        // The reported figure appears only in the labelled note, never as a bare figure.
        let bare = page
            .texts("td strong")
            .into_iter()
            .filter(|t| *t == wan(reported))
            .count();
        assert_eq!(bare, 0, "{platform} {year}: {}", wan(reported));
    }
}

/// The section's lines for a platform-year: the 按期/逾期 line and every 逾期 flag.
async fn lateness(c: &mut Client, platform: i64, year: i32) -> (String, Vec<String>) {
    let page = c
        .get(&format!("/platforms/{platform}/annual?year={year}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    (
        page.text("#filing-timeliness"),
        page.texts("#filing .flag-late"),
    )
}

#[tokio::test]
async fn a_filing_submitted_on_time_is_not_flagged_late_for_its_resubmission() {
    use kechuang::domain::annual::Step;
    let app = TestApp::new().await;
    let p = app.platform("NT-2025-001", "320613").await;
    let mut staff = app.staff_signed_in("staff1", "320600").await;
    let year = 2025;
    let mut conn = app.pool().acquire().await.unwrap();
    let deadline = kechuang::db::annual_config::get(&mut conn, year)
        .await
        .unwrap()
        .0
        .deadline(year, Step::Filing);
    drop(conn);
    // Version 1 on time and returned; version 2 (the fix) after the deadline, then approved.
    let on_time = deadline - chrono::Duration::days(5);
    let fixed = deadline + chrono::Duration::days(20);
    for (version, status, on) in [(1, "returned", on_time), (2, "approved", fixed)] {
        sqlx::query(
            "INSERT INTO filings (platform_id, year, version, status, submitted_at, reviewed_at, review_comment)
             VALUES ($1, $2, $3, $4, ($5::date + time '10:00') AT TIME ZONE 'Asia/Shanghai',
                     ($5::date + time '16:00') AT TIME ZONE 'Asia/Shanghai', $6)",
        )
        .bind(p)
        .bind(year)
        .bind(version)
        .bind(status)
        .bind(on)
        .bind(if version == 1 { "目标偏低" } else { "" })
        .execute(app.pool())
        .await
        .unwrap();
    }
    // The year's filing was on time (judged on the first submission): no line says otherwise.
    let (timeliness, flags) = lateness(&mut staff, p, year).await;
    assert!(timeliness.contains("按期提交"), "{timeliness}");
    assert!(flags.is_empty(), "{timeliness} above {flags:?}");
    let ids: Vec<i64> = app
        .column(
            "SELECT id FROM filings WHERE platform_id = $1 ORDER BY version",
            p,
        )
        .await;
    for fid in &ids {
        let v = staff
            .get(&format!("/platforms/{p}/annual/filing/{fid}"))
            .await;
        assert!(v.texts(".flag-late").is_empty(), "version #{fid}");
    }

    // Had the first submission been late, it (and only it) carries the flag.
    sqlx::query(
        "UPDATE filings SET submitted_at = submitted_at + interval '10 days' WHERE platform_id = $1 AND version = 1",
    )
    .bind(p)
    .execute(app.pool())
    .await
    .unwrap();
    let (timeliness, flags) = lateness(&mut staff, p, year).await;
    assert!(timeliness.starts_with("逾期提交"), "{timeliness}");
    assert_eq!(
        flags,
        vec![timeliness.clone(), "逾期".to_string()],
        "the section line and version 1's row in the list"
    );
    let v1 = staff
        .get(&format!("/platforms/{p}/annual/filing/{}", ids[0]))
        .await;
    assert_eq!(v1.texts(".flag-late"), vec!["逾期提交"]);
    let v2 = staff
        .get(&format!("/platforms/{p}/annual/filing/{}", ids[1]))
        .await;
    assert!(v2.texts(".flag-late").is_empty());
}

#[tokio::test]
async fn no_demo_filing_section_says_on_time_and_late_at_once() {
    let (app, mut staff) = demo().await;
    let years: Vec<(i64, i32)> = sqlx::query_as(
        "SELECT DISTINCT platform_id, year FROM filings WHERE submitted_at IS NOT NULL ORDER BY 1, 2",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert!(!years.is_empty());
    for (platform, year) in years {
        let (timeliness, flags) = lateness(&mut staff, platform, year).await;
        if timeliness.contains("按期提交") {
            assert!(
                flags.is_empty(),
                "{platform} {year}: {timeliness} above {flags:?}"
            );
        }
    }
}
