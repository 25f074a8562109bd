//! No N+1 queries: every list, dashboard and export issues the same number of SQL statements
//! whether the city has 4 platforms or 24 (QUALITY.md: "a page issues a bounded number of
//! queries"). Statements are counted from sqlx's own per-statement trace events, caught by a
//! subscriber that only this test's thread sees.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::{Client, Figures, TestApp, platform};
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
    let (advisor, staff) = (app.user_id("advisor").await, app.user_id("staff").await);
    for i in from..from + n {
        let figures = Figures {
            service_orders: 1_000_000 + 100_000 * i as i64,
            tech_contracts: 100_000,
            fiscal_subsidy: 500_000,
            expenditure: 2_000_000,
            ..Figures::default()
        };
        (last - 2..=last)
            .fold(platform(&format!("QC-{i:03}")), |p, year| {
                p.with_ledger(year, figures)
            })
            .in_county(counties[i % counties.len()])
            .construction("2019-01-01", "2021-12-31")
            .operating_since("2019-06-01")
            .cluster("new_materials")
            .advisor(advisor)
            .responsible_staff(staff)
            .evaluated(last, 80.0 + i as f64 / 10.0, i as i32 + 1, "good")
            .insert(app)
            .await;
    }
    kechuang::db::compliance::refresh(app.pool(), None, today())
        .await
        .unwrap();
}

/// The statements each page issues, in order.
/// While exactly one `Dispatch` exists, tracing-core caches a callsite's interest from the
/// subscriber of whichever thread registers the callsite first (tokio-rs/tracing#3611): a
/// statement first run by another test's thread, which has no subscriber, would cache "never"
/// for this test's counter too. A second dispatch, alive for the whole run, makes tracing combine
/// the interests of all dispatches and ask the current thread's subscriber at each event.
static SECOND_DISPATCH: std::sync::LazyLock<tracing::Dispatch> = std::sync::LazyLock::new(|| {
    tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default())
});

async fn count(app: &TestApp, pages: &[(&str, &str)]) -> Vec<usize> {
    std::sync::LazyLock::force(&SECOND_DISPATCH);
    let counter = Arc::new(AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry().with(Statements(counter.clone()));
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other tests of this binary run on other threads without a subscriber: a callsite first hit there
    // may have cached "never interested". Recompute every callsite's interest now that this thread's
    // subscriber exists.
    tracing::callsite::rebuild_interest_cache();
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
    let first: i64 = app.value("SELECT min(id) FROM platforms").await;
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
