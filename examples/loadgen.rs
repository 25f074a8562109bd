//! A small HTTP load generator for `scripts/bench.sh`: signs in as a demo account, then hits each
//! path with N concurrent connections for D seconds and prints p50/p95/p99 latency, requests/s
//! and errors, and the server's resident memory (from /proc, given its pid).
//!
//! cargo run --release --example loadgen -- --base http://127.0.0.1:8097 --user demo-leader \
//!     --pid 1234 --concurrency 32 --seconds 10 /platforms /platforms/1

use std::sync::Arc;
use std::time::{Duration, Instant};

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

fn rss_mb(pid: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Signs in and returns the session cookie header.
async fn sign_in(client: &reqwest::Client, base: &str, user: &str, password: &str) -> String {
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("GET /login");
    let prelogin = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("kc_prelogin="))
        .and_then(|c| c.split(';').next())
        .expect("prelogin cookie")
        .to_string();
    let html = page.text().await.unwrap();
    let token = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("token")
        .to_string();
    let body = format!(
        "csrf_token={token}&username={user}&password={}&next=/",
        password.replace('#', "%23")
    );
    let resp = client
        .post(format!("{base}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", base)
        .header("cookie", prelogin)
        .body(body)
        .send()
        .await
        .expect("POST /login");
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("kc_session="))
        .and_then(|c| c.split(';').next())
        .expect("signed in")
        .to_string()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = arg(&args, "--base", "http://127.0.0.1:8097");
    let user = arg(&args, "--user", "demo-leader");
    let password = arg(&args, "--password", "Kechuang#2025");
    let pid = arg(&args, "--pid", "");
    let concurrency: usize = arg(&args, "--concurrency", "32").parse().unwrap();
    let seconds: u64 = arg(&args, "--seconds", "10").parse().unwrap();
    let paths: Vec<String> = args
        .iter()
        .skip(1)
        .filter(|a| a.starts_with('/'))
        .cloned()
        .collect();

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let cookie = Arc::new(sign_in(&client, &base, &user, &password).await);
    println!(
        "{:<44} {:>9} {:>9} {:>9} {:>10} {:>7} {:>9}",
        "path (as ".to_string() + &user + ")",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "req/s",
        "errors",
        "RSS MB"
    );
    for path in paths {
        let url = Arc::new(format!("{base}{path}"));
        // Warm up.
        for _ in 0..20 {
            let _ = client
                .get(url.as_str())
                .header("cookie", cookie.as_str())
                .send()
                .await
                .map(|r| r.bytes());
        }
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (client, url, cookie) = (client.clone(), url.clone(), cookie.clone());
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match client
                        .get(url.as_str())
                        .header("cookie", cookie.as_str())
                        .send()
                        .await
                    {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            latencies.push(t.elapsed());
                        }
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            }));
        }
        let mut all = Vec::new();
        let mut errors = 0;
        let mut peak_rss = 0.0f64;
        for task in tasks {
            let (l, e) = task.await.unwrap();
            all.extend(l);
            errors += e;
            peak_rss = peak_rss.max(rss_mb(&pid).unwrap_or(0.0));
        }
        let elapsed = started.elapsed().as_secs_f64();
        all.sort();
        println!(
            "{:<44} {:>9.2} {:>9.2} {:>9.2} {:>10.0} {:>7} {:>9.1}",
            path,
            percentile(&all, 0.50),
            percentile(&all, 0.95),
            percentile(&all, 0.99),
            all.len() as f64 / elapsed,
            errors,
            rss_mb(&pid).unwrap_or(0.0).max(peak_rss)
        );
    }
}
