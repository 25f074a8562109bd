//! No N+1 queries: every list, dashboard and export issues the same number of SQL statements
//! whether the city has 4 platforms or 24 (QUALITY.md: "a page issues a bounded number of
//! queries"). Statements are counted from sqlx's own per-statement trace events, caught by a
//! subscriber that only this test's thread sees.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::{Client, TestApp};
use axum::http::StatusCode;
use chrono::Datelike;
use kechuang::clock::today;
use kechuang::domain::role::Role;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// Counts sqlx's `sqlx::query` events (one per statement executed).
struct Statements(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Statements {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// `n` more operating platforms across the counties, each with three years of figures, a
/// published evaluation and an advisor visit; then every platform's findings.
async fn grow(app: &TestApp, from: usize, n: usize) {
    let counties = ["320613", "320614", "320612", "320682"];
    let last = today().year() - 1;
    for i in from..from + n {
        let id = app
            .platform(&format!("QC-{i:03}"), counties[i % counties.len()])
            .await;
        sqlx::query(
            "UPDATE platforms SET construction_start = '2019-01-01', construction_end = '2021-12-31',
                    operating_since = '2019-06-01', industry_cluster = 'new_materials',
                    advisor_id = (SELECT id FROM users WHERE username = 'advisor'),
                    responsible_staff_id = (SELECT id FROM users WHERE username = 'staff')
             WHERE id = $1",
        )
        .bind(id)
        .execute(app.pool())
        .await
        .unwrap();
        for year in last - 2..=last {
            sqlx::query(
                "INSERT INTO annual_figures (platform_id, year, service_orders, tech_contracts, fiscal_subsidy, expenditure)
                 VALUES ($1, $2, $3, 100000, 500000, 2000000)",
            )
            .bind(id)
            .bind(year)
            .bind(1_000_000 + 100_000 * i as i64)
            .execute(app.pool())
            .await
            .unwrap();
        }
        sqlx::query(
            "INSERT INTO evaluation_rounds (year, status) VALUES ($1, 'published') ON CONFLICT (year) DO NOTHING",
        )
        .bind(last)
        .execute(app.pool())
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO evaluations (platform_id, year, status, total_score, rank, grade)
             VALUES ($1, $2, 'scored', $3, $4, 'good')",
        )
        .bind(id)
        .bind(last)
        .bind(80.0 + i as f64 / 10.0)
        .bind(i as i32 + 1)
        .execute(app.pool())
        .await
        .unwrap();
    }
    kechuang::db::compliance::refresh(app.pool(), None, today())
        .await
        .unwrap();
}

/// The statements each page issues, in order.
async fn count(app: &TestApp, pages: &[(&str, &str)]) -> Vec<usize> {
    let counter = Arc::new(AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry().with(Statements(counter.clone()));
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut out = Vec::new();
    for (user, path) in pages {
        let mut c: Client = app.signed_in(user).await;
        let before = counter.load(Ordering::Relaxed);
        let resp = c.get(path).await;
        assert_eq!(resp.status, StatusCode::OK, "{user} {path}: {}", resp.body);
        out.push(counter.load(Ordering::Relaxed) - before);
    }
    out
}

// The default `#[tokio::test]` runtime runs every task on this thread, so the thread's
// subscriber sees every statement the request causes.
#[tokio::test]
async fn pages_issue_the_same_statements_for_4_or_24_platforms() {
    let app = TestApp::new().await;
    app.user("staff", Some(Role::Staff), None, Some("320600"))
        .await;
    app.user("leader", Some(Role::Leader), None, None).await;
    app.user("advisor", Some(Role::Advisor), None, None).await;
    grow(&app, 0, 4).await;
    let first: i64 = sqlx::query_scalar("SELECT min(id) FROM platforms")
        .fetch_one(app.pool())
        .await
        .unwrap();
    app.user("operator", Some(Role::Operator), Some(first), None)
        .await;
    let last = today().year() - 1;
    let dashboard = format!("/platforms/{first}");
    let compliance = format!("/platforms/{first}/compliance");
    let results = format!("/evaluations/{last}/results");
    let results_xlsx = format!("/evaluations/{last}/results.xlsx");
    let pages = [
        ("staff", "/platforms"),
        ("staff", "/platforms.xlsx"),
        ("staff", "/workbench"),
        ("staff", "/compliance"),
        ("staff", "/compliance.xlsx"),
        ("staff", results.as_str()),
        ("staff", results_xlsx.as_str()),
        ("leader", "/leadership"),
        ("leader", "/leadership/platforms?at_risk=1"),
        ("leader", "/leadership/platforms.xlsx"),
        ("leader", "/api/leadership/counts.json?by=jurisdiction"),
        ("leader", "/api/leadership/revenue.json"),
        ("operator", dashboard.as_str()),
        ("operator", compliance.as_str()),
        ("advisor", "/platforms"),
        ("operator", "/todo"),
        ("advisor", "/todo"),
        ("staff", "/todo"),
    ];
    let small = count(&app, &pages).await;
    assert!(
        small.iter().all(|&n| n > 0),
        "statements were counted: {small:?}"
    );
    grow(&app, 4, 20).await;
    let large = count(&app, &pages).await;
    let grew: Vec<String> = pages
        .iter()
        .zip(small.iter().zip(&large))
        .filter(|(_, (s, l))| s != l)
        .map(|((user, path), (s, l))| format!("{user} {path}: {s} → {l}"))
        .collect();
    assert!(
        grew.is_empty(),
        "statements grew with the platforms:\n{}",
        grew.join("\n")
    );
    for ((user, path), n) in pages.iter().zip(&large) {
        println!("{n:>3} statements  {user} {path}");
    }
}
