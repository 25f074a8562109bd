//! The compliance refresh times of `scripts/bench.sh` (QUALITY.md: every platform ≤ 1 s, one
//! platform ≤ 10 ms): the full refresh (snapshots, the rules, storing what changed, checklist
//! sync) repeated on the loaded database, one platform's refresh, and the rules alone on one
//! snapshot (what `kechuang check` does, bar ≤ 5 ms).
//!
//! cargo run --release --example refreshtime -- --socket var-bench/postgres/run [--platform 1000]

use std::time::{Duration, Instant};

use kechuang::db::compliance;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(times: &mut [Duration], p: f64) -> f64 {
    times.sort();
    ms(times[((times.len() - 1) as f64 * p).round() as usize])
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sqlx::Error> {
    let args: Vec<String> = std::env::args().collect();
    let socket = std::fs::canonicalize(arg(&args, "--socket", "var-bench/postgres/run"))
        .expect("the embedded cluster's socket directory");
    let platform: i64 = arg(&args, "--platform", "1000")
        .parse()
        .expect("--platform ID");
    let options = kechuang::database::session_settings(
        PgConnectOptions::new_without_pgpass()
            .host(socket.to_str().expect("a UTF-8 path"))
            .port(5432)
            .username("postgres")
            .database(kechuang::database::EMBEDDED_DB),
    );
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await?;
    let today = kechuang::clock::today();

    let mut full = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let r = compliance::refresh(&pool, None, today).await?;
        full.push(start.elapsed());
        assert!(
            r.platforms > 0,
            "no platforms: is the scale dataset loaded?"
        );
    }
    let listed: Vec<String> = full.iter().map(|d| format!("{:.0}", ms(*d))).collect();
    println!(
        "compliance refresh of every platform, again (nothing changed): {} ms (bar 1,000 ms)",
        listed.join(" / ")
    );

    let mut one = Vec::new();
    for _ in 0..50 {
        let start = Instant::now();
        compliance::refresh(&pool, Some(&[platform]), today).await?;
        one.push(start.elapsed());
    }
    println!(
        "compliance refresh of one platform (#{platform}, 50 runs): p50 {:.1} ms, p95 {:.1} ms (bar 10 ms)",
        percentile(&mut one, 0.5),
        percentile(&mut one, 0.95)
    );

    let evaluated = compliance::evaluate(&pool, Some(&[platform]), today).await?;
    let (_, snapshot, _) = evaluated.first().expect("the platform exists");
    let params = kechuang::db::rule_params::in_force(&mut *pool.acquire().await?, today).await?;
    let mut rules = Vec::new();
    for _ in 0..200 {
        let start = Instant::now();
        std::hint::black_box(kechuang::domain::compliance::evaluate(snapshot, &params));
        rules.push(start.elapsed());
    }
    println!(
        "the rules on one snapshot (what `kechuang check` runs, 200 runs): p50 {:.3} ms (bar 5 ms)",
        percentile(&mut rules, 0.5)
    );
    Ok(())
}
