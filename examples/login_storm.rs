//! A sign-in storm for `scripts/login_storm.sh`: N sign-in attempts to unknown accounts, C at a
//! time, each from its own client address (`X-Forwarded-For`, honoured when the server runs with
//! `--trust-proxy`), so only the global limit and the bounded hashing queue stand in the way.
//! Prints the answers by status, latency percentiles and the server's resident memory before,
//! at its peak, right after, and 5 s after.
//!
//! cargo run --example login_storm -- --base http://127.0.0.1:8098 --pid 1234 --attempts 1000 --concurrency 64

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

fn rss_mb(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))?
                .split_whitespace()
                .nth(1)?
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// One attempt: the login page (pre-login cookie and token), then the post. Returns the status.
async fn attempt(client: &reqwest::Client, base: &str, n: usize) -> Option<u16> {
    let forwarded = format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255);
    let page = client
        .get(format!("{base}/login"))
        .header("x-forwarded-for", &forwarded)
        .send()
        .await
        .ok()?;
    let prelogin = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("kc_prelogin="))
        .and_then(|c| c.split(';').next())?
        .to_string();
    let html = page.text().await.ok()?;
    let token = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)?
        .split('"')
        .next()?
        .to_string();
    let body = format!("csrf_token={token}&username=storm-{n}&password=Wrong%23Pass1&next=/");
    let resp = client
        .post(format!("{base}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", base)
        .header("cookie", prelogin)
        .header("x-forwarded-for", &forwarded)
        .body(body)
        .send()
        .await
        .ok()?;
    let status = resp.status().as_u16();
    let _ = resp.bytes().await;
    Some(status)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = Arc::new(arg(&args, "--base", "http://127.0.0.1:8098"));
    let pid = arg(&args, "--pid", "");
    let attempts: usize = arg(&args, "--attempts", "1000").parse().unwrap();
    let concurrency: usize = arg(&args, "--concurrency", "64").parse().unwrap();

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let before = rss_mb(&pid);
    let next = Arc::new(AtomicUsize::new(0));
    let results = Arc::new(Mutex::new((BTreeMap::<String, usize>::new(), Vec::new())));
    let peak = Arc::new(Mutex::new(before));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, base, next, results, peak, pid) = (
            client.clone(),
            base.clone(),
            next.clone(),
            results.clone(),
            peak.clone(),
            pid.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= attempts {
                    break;
                }
                let t = Instant::now();
                let status = attempt(&client, &base, n).await;
                let took = t.elapsed();
                let key = status.map_or("error".to_string(), |s| s.to_string());
                let mut r = results.lock().await;
                *r.0.entry(key).or_default() += 1;
                r.1.push(took);
                drop(r);
                if n % 16 == 0 {
                    let mut p = peak.lock().await;
                    *p = p.max(rss_mb(&pid));
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let after = rss_mb(&pid);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let settled = rss_mb(&pid);
    let (by_status, mut latencies) = Arc::try_unwrap(results).unwrap().into_inner();
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len().max(1) - 1) as f64 * p).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "sign-in storm: {attempts} attempts to unknown accounts, {concurrency} at a time, one client address each"
    );
    println!(
        "  answers by status: {by_status:?}   ({:.1} s, {:.0} attempts/s)",
        elapsed,
        attempts as f64 / elapsed
    );
    println!(
        "  latency ms: p50 {:.1}  p95 {:.1}  p99 {:.1}",
        pct(0.5),
        pct(0.95),
        pct(0.99)
    );
    println!(
        "  server RSS MB: before {before:.1}, peak {:.1}, right after {after:.1}, 5 s later {settled:.1}",
        *peak.lock().await
    );
}
