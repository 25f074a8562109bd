//! The SQL alone of the leadership dashboard, for `scripts/bench.sh`: runs the statements that
//! `web::dashboards::leadership` issues for the whole city (default filters, the leader's scope), one
//! after the other on one connection, and prints p50/p95 of their total — to compare with the
//! page's own latency at one connection (QUALITY.md: page ≤ 1.5 × its SQL).
//!
//! cargo run --release --example sqltime -- --socket var-bench/postgres/run --runs 200

use std::time::{Duration, Instant};

use chrono::Datelike;
use kechuang::db::dashboards::{self as db, Filter};
use kechuang::db::{compliance, jurisdictions};
use kechuang::domain::scope::PlatformScope;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sqlx::Error> {
    let args: Vec<String> = std::env::args().collect();
    let socket = std::fs::canonicalize(arg(&args, "--socket", "var-bench/postgres/run"))
        .expect("the embedded cluster's socket directory");
    let runs: usize = arg(&args, "--runs", "200").parse().expect("--runs N");
    // The app's own session settings, so that the comparison is fair.
    let options = kechuang::database::session_settings(
        PgConnectOptions::new_without_pgpass()
            .host(socket.to_str().expect("a UTF-8 path"))
            .port(5432)
            .username("postgres")
            .database("kechuang"),
    );
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;

    let today = compliance::today();
    let mut times = Vec::with_capacity(runs);
    for i in 0..runs + 10 {
        let start = Instant::now();
        // The statements of one /leadership page view, in the handler's order.
        let months = db::transition_months(&pool).await?;
        let f = Filter {
            scope: PlatformScope::All,
            jurisdiction: None,
            category: None,
            year: today.year() - 1,
            today,
            transition_months: months,
        };
        jurisdictions::list(&pool).await?;
        db::counts(&pool, &f).await?;
        db::grades_by_year(&pool, &f).await?;
        db::revenue_by_year(&pool, &f).await?;
        db::break_even_share(&pool, &f).await?;
        db::at_risk(&pool, &f).await?;
        let latest = db::latest_published_year(&pool).await?;
        let ranking = Filter {
            year: latest.unwrap_or(f.year),
            ..f.clone()
        };
        db::ranking(&pool, &ranking, 20).await?;
        // The first runs warm the caches.
        if i >= 10 {
            times.push(start.elapsed());
        }
    }
    times.sort();
    let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "  leadership SQL alone (one connection, {runs} runs): p50 {:.1} ms  p95 {:.1} ms",
        ms(pct(0.50)),
        ms(pct(0.95))
    );
    Ok(())
}
