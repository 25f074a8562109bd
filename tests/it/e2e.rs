//! End-to-end tests in a real browser: Debian's headless Chromium driven through chromedriver
//! (fantoccini), against the real app served on a local port with a fresh database and the demo
//! city. Screenshots of every page visited are saved under `target/e2e/`.
//!
//! Without `chromium` and `chromedriver` installed these tests say so and pass, unless
//! `KECHUANG_E2E=require` (set by `.ci/run`), where a missing browser fails them.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::TestApp;
use fantoccini::{Client, ClientBuilder, Locator};

const PASSWORD: &str = kechuang::demo::PASSWORD;

/// The app on a real socket, the browser and its driver.
struct Session {
    _app: TestApp,
    base: String,
    client: Client,
    driver: Child,
    shots: std::path::PathBuf,
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn find(binary: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(binary))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9515)
}

/// Starts everything, or returns `None` (test skipped) when no browser is installed.
/// The demo city as the app serves it after start-up: the policy library synced, the findings
/// refreshed.
async fn demo_city() -> TestApp {
    let app = TestApp::with_demo().await;
    kechuang::db::policies::sync(app.pool()).await.unwrap();
    kechuang::db::compliance::refresh(app.pool(), None, kechuang::clock::today())
        .await
        .unwrap();
    app
}

async fn session(name: &str) -> Option<Session> {
    let (Some(chromium), Some(chromedriver)) = (find("chromium"), find("chromedriver")) else {
        assert!(
            std::env::var("KECHUANG_E2E").as_deref() != Ok("require"),
            "chromium and chromedriver are required (apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "e2e {name}: skipped — chromium/chromedriver not installed (apt-get install chromium chromium-driver)"
        );
        return None;
    };

    let app = demo_city().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });

    let port = free_port();
    let driver = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let profile =
        std::env::temp_dir().join(format!("kc-e2e-profile-{}-{name}", std::process::id()));
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1366,900", "--lang=zh-CN",
                     format!("--user-data-dir={}", profile.display())]
        }
    });
    let caps = caps.as_object().unwrap().clone();
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::rustls()
            .expect("tls")
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let client = client.expect("chromedriver did not come up");
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e");
    std::fs::create_dir_all(&shots).unwrap();
    Some(Session {
        _app: app,
        base: format!("http://{addr}"),
        client,
        driver,
        shots,
    })
}

impl Session {
    async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.client.find_all(Locator::Css(css)).await.unwrap() {
            out.push(e.text().await.unwrap());
        }
        out
    }

    async fn fill(&self, css: &str, value: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        let mut path = url.path().to_string();
        if let Some(q) = url.query() {
            path.push('?');
            path.push_str(q);
        }
        path
    }

    /// Waits (up to 10 s) until the browser is at a path for which `done` holds.
    async fn wait_path(&self, done: impl Fn(&str) -> bool) -> String {
        for _ in 0..100 {
            let path = self.path().await;
            if done(&path) {
                return path;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("still at {} after 10 s", self.path().await);
    }

    async fn login(&self, username: &str) {
        self.open("/login").await;
        self.fill("#username", username).await;
        self.fill("#password", PASSWORD).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
        self.wait_path(|p| !p.starts_with("/login")).await;
    }

    /// Waits (up to 15 s) until every chart on the page has drawn from its JSON; returns how many.
    /// A chart that failed to load fails the test.
    async fn charts_drawn(&self) -> usize {
        for _ in 0..150 {
            let state = self
                .client
                .execute(
                    "var all = document.querySelectorAll('div.chart[data-src]');
                     var drawn = document.querySelectorAll('div.chart[data-rendered=true]');
                     var failed = document.querySelectorAll('div.chart.chart-failed');
                     return [all.length, drawn.length, failed.length,
                             drawn.length ? drawn[0].querySelectorAll('canvas').length : 0];",
                    vec![],
                )
                .await
                .unwrap();
            let n = |i: usize| state[i].as_u64().unwrap_or(0) as usize;
            assert_eq!(n(2), 0, "a chart failed to load on {}", self.path().await);
            if n(1) == n(0) {
                assert!(n(0) == 0 || n(3) > 0, "charts without a canvas");
                // Let the (300 ms) entry animation finish before anyone takes a picture.
                tokio::time::sleep(Duration::from_millis(600)).await;
                return n(0);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("charts still not drawn on {} after 15 s", self.path().await);
    }

    /// A screenshot of the whole page (the window grown to the page's height for it).
    async fn full_shot(&self, name: &str) {
        let height = self
            .client
            .execute("return document.documentElement.scrollHeight;", vec![])
            .await
            .unwrap()
            .as_u64()
            .unwrap_or(900)
            .clamp(900, 6000) as u32;
        self.client.set_window_size(1366, height).await.unwrap();
        tokio::time::sleep(Duration::from_millis(700)).await;
        self.shot(name).await;
        self.client.set_window_size(1366, 900).await.unwrap();
    }

    /// Clicks the bar of `category` in the bar chart of figure `#figure` as a user would (the
    /// mouse moved onto the bar, pressed and released); returns the bar's value.
    async fn click_bar(&self, figure: &str, category: &str) -> f64 {
        use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
        let css = format!("#{figure} div.chart");
        let at = self
            .client
            .execute(
                "var el = document.querySelector(arguments[0]);
                 el.scrollIntoView({block: 'center'});
                 var chart = echarts.getInstanceByDom(el);
                 var option = chart.getOption();
                 var i = option.xAxis[0].data.indexOf(arguments[1]);
                 if (i < 0) return null;
                 var value = option.series[0].data[i];
                 var p = chart.convertToPixel({seriesIndex: 0}, [i, value / 2]);
                 var r = el.getBoundingClientRect();
                 return [p[0] - r.width / 2, p[1] - r.height / 2, value];",
                vec![css.clone().into(), category.into()],
            )
            .await
            .unwrap();
        let at = at
            .as_array()
            .unwrap_or_else(|| panic!("no bar {category} in #{figure}"));
        let (x, y, value) = (
            at[0].as_f64().unwrap(),
            at[1].as_f64().unwrap(),
            at[2].as_f64().unwrap(),
        );
        let element = self.client.find(Locator::Css(&css)).await.unwrap();
        let mouse = MouseActions::new("mouse".into())
            .then(PointerAction::MoveToElement {
                element,
                duration: None,
                x,
                y,
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            })
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            });
        self.client.perform_actions(mouse).await.unwrap();
        value
    }

    /// The status of a `fetch` of `path` from the page (same session, same origin).
    async fn fetch_status(&self, path: &str) -> u64 {
        self.client
            .execute_async(
                "var done = arguments[arguments.length - 1];
                 fetch(arguments[0], {credentials: 'same-origin'}).then(function (r) { done(r.status); });",
                vec![path.into()],
            )
            .await
            .unwrap()
            .as_u64()
            .unwrap()
    }

    /// An operator's own platform (its landing page is the to-do list): opens it, returns its path.
    async fn my_platform(&self) -> String {
        let href = self
            .client
            .execute(
                "var a = Array.from(document.querySelectorAll('#main-menu a'))
                   .find(function (a) { return a.textContent.trim() === '我的平台'; });
                 return a ? a.getAttribute('href') : null;",
                vec![],
            )
            .await
            .unwrap();
        let href = href.as_str().expect("a 我的平台 menu item").to_string();
        self.open(&href).await;
        href
    }

    async fn close(self) {
        self.client.clone().close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_walk_the_registry_and_edit_a_platform() {
    let Some(s) = session("staff").await else {
        return;
    };
    s.login("demo-staff").await;
    s.open("/platforms").await;
    assert!(s.text(".pager").await.contains("共 40 条"));
    s.shot("staff-platform-list").await;

    // Filter to the platforms in rectification.
    s.open("/platforms?stage=rectifying").await;
    let rows = s.texts("#platform-list tbody tr").await;
    assert_eq!(rows.len(), 4, "{rows:?}");

    // Open the first platform and edit its co-builders; the change shows on its page.
    s.click("#platform-list tbody tr:first-child td:nth-child(2) a")
        .await;
    let platform_path = s.path().await;
    s.open(&format!("{platform_path}/edit")).await;
    s.fill("#f-co_builders", "示例大学、示例研究院（端到端测试）")
        .await;
    s.click("main form button[type=submit]").await;
    s.wait_path(|p| p.ends_with("?notice=platform_saved")).await;
    assert!(s.text("#platform-facts").await.contains("端到端测试"));
    s.shot("staff-platform-saved").await;

    // A bad edit keeps what was typed and names the field.
    s.open(&format!("{platform_path}/edit")).await;
    s.fill("#f-construction_start", "2025-13-40").await;
    s.click("main form button[type=submit]").await;
    s.wait_path(|p| !p.ends_with("/edit")).await;
    assert!(
        s.text("#f-construction_start-error")
            .await
            .contains("日期格式")
    );
    s.shot("staff-validation").await;

    s.open("/compliance").await;
    assert!(s.texts("#matrix tbody tr").await.len() >= 20);
    s.shot("staff-compliance-matrix").await;
    s.close().await;
}

/// Waits (up to 10 s) until an element matching `css` is on the page.
async fn wait_for(s: &Session, css: &str) {
    for _ in 0..100 {
        if s.client.find(Locator::Css(css)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {css} on {} after 10 s", s.path().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_import_platforms_from_the_template_after_a_preview() {
    let Some(s) = session("import").await else {
        return;
    };
    s.login("demo-staff").await;
    s.open("/platforms").await;
    s.click("#import-platforms").await;
    s.wait_path(|p| p == "/platforms/import").await;
    // The template downloads as a workbook.
    let got = s
        .client
        .execute_async(
            "var done = arguments[arguments.length - 1];
             fetch(document.querySelector('#import-template').href)
               .then(function (r) { done([r.status, r.headers.get('content-type')]); });",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(got[0].as_u64(), Some(200));
    assert!(got[1].as_str().unwrap_or("").contains("spreadsheetml"));

    // A filled-in template (three platforms) chosen in the file input.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("平台名录").unwrap();
    for (c, h) in crate::common::xlsx::PLATFORM_HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for i in 0..3u32 {
        let row = [
            format!("E2E-IMPORT-{i}"),
            format!("示例导入平台{i}（端到端）"),
            "崇川区".into(),
            "县级".into(),
            "技术服务类".into(),
            "".into(),
            "事业单位".into(),
            "".into(),
            "2024/5/1".into(),
        ];
        for (c, v) in row.iter().enumerate() {
            ws.write_string(i + 1, c as u16, v).unwrap();
        }
    }
    let file = std::env::temp_dir().join(format!("kc-e2e-import-{}.xlsx", std::process::id()));
    std::fs::write(&file, wb.save_to_buffer().unwrap()).unwrap();
    s.client
        .find(Locator::Css("#f-file"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    s.click("#import-upload button[type=submit]").await;
    wait_for(&s, "#import-ok").await;
    assert!(s.text("#import-ok").await.contains("全部 3 行检查通过"));
    s.shot("staff-import-preview").await;
    s.click("#import-confirm button[type=submit]").await;
    s.wait_path(|p| p.contains("notice=imported")).await;
    assert_eq!(s.text("#import-history tbody tr td:last-child").await, "3");
    s.shot("staff-import-done").await;
    s.open("/platforms?q=E2E-IMPORT").await;
    assert_eq!(s.texts("#platform-list tbody tr").await.len(), 3);
    let _ = std::fs::remove_file(&file);
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_sees_only_their_platform() {
    let Some(s) = session("operator").await else {
        return;
    };
    s.login("demo-operator").await;
    assert_eq!(s.path().await, "/todo", "lands on its to-do list");
    s.shot("operator-todo").await;
    let own = s.my_platform().await;
    assert!(own.starts_with("/platforms/"), "{own}");
    assert_eq!(s.text("h1").await, "示例·江海船舶海工研究院");
    s.shot("operator-platform").await;
    s.open(&format!("{own}/compliance")).await;
    assert_eq!(s.texts("tr.finding").await.len(), 23);
    s.shot("operator-compliance").await;
    // Another platform by URL: as if it did not exist.
    s.open("/platforms/2").await;
    assert_eq!(s.text("h1").await, "404 · 页面不存在");
    s.open("/platforms").await;
    assert_eq!(s.texts("#platform-list tbody tr").await.len(), 1);
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_reads_everything_and_writes_nothing() {
    let Some(s) = session("leader").await else {
        return;
    };
    s.login("demo-leader").await;
    s.open("/platforms").await;
    assert!(s.text(".pager").await.contains("共 40 条"));
    assert!(
        s.texts("a[href='/platforms/new']").await.is_empty(),
        "no create button for the leader"
    );
    s.shot("leader-platform-list").await;
    s.open("/compliance").await;
    s.shot("leader-compliance-matrix").await;
    s.open("/platforms/new").await;
    assert_eq!(s.text("h1").await, "403 · 无权访问");
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_sees_the_city_at_a_glance_and_drills_from_a_chart_to_a_platform() {
    let Some(s) = session("leader-dashboard").await else {
        return;
    };
    s.login("demo-leader").await;
    assert!(
        s.path().await.starts_with("/leadership"),
        "the leader lands on the dashboard"
    );
    assert_eq!(s.charts_drawn().await, 7);
    let kpis = s.texts("#kpis .kpi").await;
    assert!(kpis[0].contains("40"), "the whole city: {kpis:?}");
    assert!(
        !s.texts("#at-risk tbody tr").await.is_empty(),
        "the demo city has platforms at risk"
    );
    assert!(s.texts("#ranking tbody tr").await.len() >= 10);
    s.full_shot("leader-dashboard").await;

    // A bar of the jurisdiction chart opens exactly the platforms it counts.
    let value = s.click_bar("chart-by-jurisdiction", "崇川区").await;
    let list = s.wait_path(|p| p.starts_with("/platforms?")).await;
    assert!(list.contains("jurisdiction="), "{list}");
    assert!(
        s.text(".pager").await.contains(&format!("共 {value} 条")),
        "{value} platforms in 崇川区"
    );
    let rows = s.texts("#platform-list tbody tr").await;
    assert!(rows.iter().all(|r| r.contains("崇川区")), "{rows:?}");
    s.shot("leader-drill-jurisdiction").await;

    // On to one of them: its dashboard, every chart drawn.
    s.click("#platform-list tbody tr:first-child td:nth-child(2) a")
        .await;
    s.wait_path(|p| p.starts_with("/platforms/")).await;
    assert!(s.charts_drawn().await >= 3);
    assert!(!s.texts("#dash-timeline li").await.is_empty());
    s.full_shot("leader-platform-dashboard").await;

    // The at-risk figure drills to its list; the print view keeps every figure and table.
    s.open("/leadership").await;
    s.click("#kpis a[href*='at_risk=1']").await;
    s.wait_path(|p| p.starts_with("/leadership/platforms"))
        .await;
    assert!(!s.texts("#drill-list tbody tr").await.is_empty());
    s.shot("leader-drill-at-risk").await;
    s.open("/leadership").await;
    s.click("#print-link").await;
    s.wait_path(|p| p.contains("print=1")).await;
    assert_eq!(s.charts_drawn().await, 7);
    assert_eq!(s.texts("table.chart-data").await.len(), 7);
    assert!(
        !s.client
            .find(Locator::Css("header.topbar"))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap(),
        "no navigation on paper"
    );
    s.full_shot("leader-dashboard-print").await;
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_staff_workbench_shows_what_waits_for_them_one_click_from_where_it_is_handled() {
    let Some(s) = session("workbench").await else {
        return;
    };
    s.login("demo-staff").await;
    assert_eq!(
        s.path().await,
        "/workbench",
        "staff land on their workbench"
    );
    let queue = s.texts("#review-queue tr.task").await;
    assert!(!queue.is_empty(), "the demo cycle has submissions waiting");
    let overdue = s.texts("#overdue tr.task").await;
    assert!(!overdue.is_empty(), "and overdue items");
    assert!(!s.texts("#at-risk tbody tr").await.is_empty());
    s.full_shot("staff-workbench").await;

    // "去处理" opens the page where the item is handled.
    s.click("#review-queue tr.task:first-child a[role=button]")
        .await;
    let handled = s.wait_path(|p| p != "/workbench").await;
    assert!(handled.starts_with("/platforms/"), "{handled}");
    assert!(!s.text("main h1").await.is_empty());
    s.shot("staff-workbench-handle").await;

    // County staff see their county's work only.
    s.click("form[action='/logout'] button").await;
    s.wait_path(|p| p.starts_with("/login")).await;
    s.login("demo-county-staff").await;
    assert_eq!(s.path().await, "/workbench");
    assert!(s.text(".page-head .muted").await.contains("崇川区"));
    let county_queue = s.texts("#review-queue tr.task").await;
    assert!(county_queue.len() < queue.len(), "{county_queue:?}");
    s.shot("county-staff-workbench").await;
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operators_dashboard_shows_only_its_own_platform() {
    let Some(s) = session("operator-dashboard").await else {
        return;
    };
    s.login("demo-operator").await;
    let own = s.my_platform().await;
    assert!(own.starts_with("/platforms/"), "{own}");
    assert!(s.charts_drawn().await >= 3);
    assert!(!s.texts("#dash-checklist").await.is_empty());
    assert!(!s.texts("#dash-compliance a").await.is_empty());
    s.full_shot("operator-dashboard").await;

    // Its own charts' JSON loads; another platform's and the city's do not, even from the page.
    let id = own.trim_start_matches("/platforms/");
    assert_eq!(
        s.fetch_status(&format!("/api/platforms/{id}/revenue.json"))
            .await,
        200
    );
    let other = if id == "1" { "2" } else { "1" };
    assert_eq!(
        s.fetch_status(&format!("/api/platforms/{other}/revenue.json"))
            .await,
        404
    );
    assert_eq!(
        s.fetch_status("/api/leadership/counts.json?by=stage").await,
        403
    );
    s.open("/leadership").await;
    assert_eq!(s.text("h1").await, "403 · 无权访问");
    s.open("/workbench").await;
    assert_eq!(s.text("h1").await, "403 · 无权访问");
    s.close().await;
}

// ---------------------------------------------------------------------------------------------
// Every page, as every role, at 1,440 px and at 390 px: readable, Chinese, nothing broken.
// ---------------------------------------------------------------------------------------------

/// The demo accounts, one per persona.
const PERSONAS: &[(&str, &str)] = &[
    ("demo-staff", "staff"),
    ("demo-county-staff", "county-staff"),
    ("demo-operator", "operator"),
    ("demo-advisor", "advisor"),
    ("demo-expert", "expert"),
    ("demo-leader", "leader"),
    ("demo-sysadmin", "sysadmin"),
    ("demo-secadmin", "secadmin"),
    ("demo-auditor", "auditor"),
];

/// GET routes that are not pages a user reads: downloads, exports, chart data, one-time links.
fn not_a_page(pattern: &str) -> bool {
    pattern.ends_with(".xlsx")
        || pattern.ends_with(".json")
        || pattern.starts_with("/api/")
        || pattern.starts_with("/reset/")
        || pattern.contains("/versions/{vid}")
        || matches!(pattern, "/" | "/logout" | "/login" | "/notices/read-all")
}

/// The registry pattern a concrete path belongs to: as in the router, a literal segment wins over a
/// parameter (`/platforms/import` is not `/platforms/{id}`), whatever the registry's order.
fn pattern_of(path: &str, patterns: &[&'static str]) -> Option<&'static str> {
    let segs: Vec<&str> = path.split('/').collect();
    patterns
        .iter()
        .copied()
        .filter(|p| {
            let ps: Vec<&str> = p.split('/').collect();
            ps.len() == segs.len()
                && ps
                    .iter()
                    .zip(&segs)
                    .all(|(a, b)| a == b || (a.starts_with('{') && !b.is_empty()))
        })
        .max_by_key(|p| p.split('/').filter(|s| !s.starts_with('{')).count())
}

/// One page per shape: the route it belongs to and the names (not values) of its query.
fn shape_of(url: &str, patterns: &[&'static str]) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let route = pattern_of(path, patterns).unwrap_or(path);
    let mut keys: Vec<&str> = query
        .split('&')
        .filter_map(|kv| kv.split('=').next())
        .filter(|k| matches!(*k, "year" | "print" | "kind" | "tab"))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    format!("{route}?{}", keys.join("&"))
}

/// A link's target if it is a same-site page (not a download, an export or sign-out).
fn page_link(href: &str) -> Option<String> {
    let h = href.split('#').next().unwrap_or("");
    let path = h.split('?').next().unwrap_or("");
    let page = h.starts_with('/')
        && !h.starts_with("//")
        && !(path.starts_with("/static/")
            || path.starts_with("/api/")
            || path.ends_with(".xlsx")
            || path.ends_with(".json")
            || path.contains("/versions/")
            || path == "/logout");
    page.then(|| h.to_string())
}

/// A page reached by following links, with the forms an empty submit is tried on.
struct Reached {
    url: String,
    /// The route patterns of its post forms that take input (as `FORMS_JS` picks them).
    form_routes: Vec<&'static str>,
}

/// The pages an account reaches by following links from where its sign-in lands, read over the
/// app's router without a browser (the same walk as `Session::reachable`: breadth first, one
/// page per shape, at most `limit` pages, error pages left out).
async fn crawl(
    app: &TestApp,
    account: &str,
    patterns: &[&'static str],
    posts: &[&'static str],
    limit: usize,
) -> Vec<Reached> {
    let links = scraper::Selector::parse("a[href]").unwrap();
    let forms = scraper::Selector::parse("main form").unwrap();
    let fields = scraper::Selector::parse(
        "input:not([type=hidden]):not([type=submit]):not([type=button]), textarea, select",
    )
    .unwrap();
    let error_page = scraper::Selector::parse("article.error-page").unwrap();
    let mut client = app.client();
    let signed_in = client.login(account, PASSWORD).await;
    let mut queue =
        std::collections::VecDeque::from([signed_in.location().unwrap_or("/").to_string()]);
    let mut shapes = std::collections::HashSet::new();
    let mut reached = Vec::new();
    while let Some(mut url) = queue.pop_front() {
        if reached.len() >= limit || !shapes.insert(shape_of(&url, patterns)) {
            continue;
        }
        let mut resp = client.get(&url).await;
        for _ in 0..5 {
            let Some(to) = resp
                .status
                .is_redirection()
                .then(|| resp.location())
                .flatten()
            else {
                break;
            };
            url = to.to_string();
            resp = client.get(&url).await;
        }
        let html = resp
            .headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        let doc = resp.doc();
        if !html || doc.select(&error_page).next().is_some() {
            continue;
        }
        let form_routes = doc
            .select(&forms)
            .filter(|f| {
                let a = f.value();
                a.attr("method")
                    .is_some_and(|m| m.eq_ignore_ascii_case("post"))
                    && a.attr("data-confirm").is_none()
                    && a.attr("action") != Some("/logout")
                    && f.select(&fields).next().is_some()
            })
            .map(|f| {
                let action = f.value().attr("action").unwrap_or("");
                pattern_of(action.split('?').next().unwrap_or(""), posts).unwrap_or("?")
            })
            .collect();
        queue.extend(
            doc.select(&links)
                .filter_map(|a| a.value().attr("href"))
                .filter_map(page_link),
        );
        reached.push(Reached { url, form_routes });
    }
    reached
}

impl Session {
    /// Same-site links of the page that lead to pages (not downloads, exports or sign-out).
    async fn page_links(&self) -> Vec<String> {
        let hrefs = self
            .client
            .execute(
                "return Array.from(document.querySelectorAll('a[href]')).map(function (a) { return a.getAttribute('href'); });",
                vec![],
            )
            .await
            .unwrap();
        hrefs
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .filter_map(page_link)
            .collect()
    }

    /// Runs the page checks (tests/e2e_js/page_checks.js); returns the findings.
    async fn page_findings(&self, phone: bool) -> (u64, Vec<String>) {
        let r = self
            .client
            .execute(include_str!("../e2e_js/page_checks.js"), vec![phone.into()])
            .await
            .unwrap();
        let width = r["width"].as_u64().unwrap_or(0);
        let findings = r["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        (width, findings)
    }

    async fn is_error_page(&self) -> bool {
        self.client
            .execute(
                "return document.contentType === 'text/html' && !!document.querySelector('article.error-page');",
                vec![],
            )
            .await
            .unwrap()
            .as_bool()
            .unwrap_or(false)
    }
}

/// The path patterns of the registry's routes of this method.
fn route_patterns(method: axum::http::Method) -> Vec<&'static str> {
    kechuang::web::routes::registry()
        .iter()
        .filter(|d| d.method == method)
        .map(|d| d.path)
        .collect()
}

/// Pages only a platform still in setup registration has (no link leads there otherwise).
async fn setup_only_pages(app: &TestApp) -> [String; 2] {
    let in_setup: i64 = app
        .value("SELECT id FROM platforms WHERE stage = 'registration' ORDER BY id LIMIT 1")
        .await;
    [
        format!("/platforms/{in_setup}/approve"),
        format!("/platforms/{in_setup}/registration/companies/new"),
    ]
}

/// Every page each role can reach is reached: walked over the router without a browser (the
/// browser walks below take the same links, a few roles each, in parallel).
#[tokio::test]
async fn every_page_route_is_reached_by_some_role() {
    let app = demo_city().await;
    let patterns = route_patterns(axum::http::Method::GET);
    let mut covered = std::collections::BTreeSet::new();
    for (account, _) in PERSONAS {
        for page in crawl(&app, account, &patterns, &[], 60).await {
            let path = page.url.split('?').next().unwrap_or("");
            covered.extend(pattern_of(path, &patterns));
        }
    }
    let mut staff = app.client();
    staff.login("demo-staff", PASSWORD).await;
    for url in setup_only_pages(&app).await {
        let resp = staff.get(&url).await;
        assert_eq!(resp.status, axum::http::StatusCode::OK, "{url}");
        covered.extend(pattern_of(&url, &patterns));
    }
    let missing: Vec<&str> = patterns
        .iter()
        .copied()
        .filter(|p| !not_a_page(p) && !covered.contains(p))
        .collect();
    eprintln!(
        "{} of {} page routes reached",
        covered.len(),
        patterns.iter().filter(|p| !not_a_page(p)).count()
    );
    assert!(missing.is_empty(), "pages no role reached: {missing:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_staff_operators_and_auditors_reads_in_chinese_at_desktop_and_phone_width() {
    walk_every_page("registry", &["staff", "operator", "auditor"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_county_staff_experts_and_secadmins_reads_in_chinese_at_desktop_and_phone_width()
 {
    walk_every_page("county", &["county-staff", "expert", "secadmin"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_advisors_leaders_and_sysadmins_reads_in_chinese_at_desktop_and_phone_width()
{
    walk_every_page("leader", &["advisor", "leader", "sysadmin"]).await;
}

/// Walks every page these personas reach, at 1,440 and 390 px: each page in Chinese, readable
/// (tests/e2e_js/page_checks.js), a screenshot of each in `target/e2e/pages/`, the findings in
/// `pages/report-{group}.txt`.
async fn walk_every_page(group: &str, personas: &[&str]) {
    let Some(s) = session(&format!("pages-{group}")).await else {
        return;
    };
    let dir = s.shots.join("pages");
    std::fs::create_dir_all(&dir).unwrap();
    // This walk's screenshots from an earlier run go (the other walks keep theirs).
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if personas.iter().any(|p| name.starts_with(&format!("{p}-"))) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let patterns = route_patterns(axum::http::Method::GET);
    let mut report: Vec<String> = Vec::new();
    let mut pages = 0;
    let setup_only = setup_only_pages(&s._app).await;
    for (account, persona) in PERSONAS.iter().filter(|(_, p)| personas.contains(p)) {
        s.client.set_window_size(1440, 900).await.unwrap();
        s.login(account).await;
        let mut queue = std::collections::VecDeque::from([s.path().await]);
        if *persona == "staff" {
            queue.extend(setup_only.iter().cloned());
        }
        let mut shapes = std::collections::HashSet::new();
        let mut visited: Vec<String> = Vec::new();
        while let Some(url) = queue.pop_front() {
            if visited.len() >= 60 || !shapes.insert(shape_of(&url, &patterns)) {
                continue;
            }
            s.open(&url).await;
            let at = s.path().await;
            if s.is_error_page().await {
                report.push(format!("[{persona} 1440] {url}: 链接指向错误页"));
                continue;
            }
            let path = at.split('?').next().unwrap_or("").to_string();
            let (_, findings) = s.page_findings(false).await;
            for f in findings {
                report.push(format!("[{persona} 1440] {at}: {f}"));
            }
            let n = visited.len();
            let slug: String = path
                .trim_matches('/')
                .replace('/', "_")
                .chars()
                .take(60)
                .collect();
            s.shot(&format!("pages/{persona}-{n:02}-{slug}-1440")).await;
            visited.push(at.clone());
            for link in s.page_links().await {
                queue.push_back(link);
            }
        }
        pages += visited.len();

        // The same pages on a phone (not the print views: they are the A4 paper, 182 mm wide,
        // checked by the print tests).
        s.client.set_window_size(390, 844).await.unwrap();
        for (n, url) in visited.iter().enumerate() {
            if url.contains("print=1") {
                continue;
            }
            s.open(url).await;
            let (width, findings) = s.page_findings(true).await;
            assert!(
                width <= 400,
                "the window did not shrink to phone width ({width} px)"
            );
            for f in findings {
                report.push(format!("[{persona} 390] {url}: {f}"));
            }
            let path = url.split('?').next().unwrap_or("");
            let slug: String = path
                .trim_matches('/')
                .replace('/', "_")
                .chars()
                .take(60)
                .collect();
            s.shot(&format!("pages/{persona}-{n:02}-{slug}-390")).await;
        }
        // The menu collapses behind 菜单 and opens on a tap, with 退出 on the screen.
        s.open(&visited[0]).await;
        let menu = s
            .client
            .execute(
                "var m = document.querySelector('#main-menu');
                 var before = m.getBoundingClientRect().height;
                 document.querySelector('label.menu-button').click();
                 var out = document.querySelector('.nav-user button[type=submit]').getBoundingClientRect();
                 return [before, m.getBoundingClientRect().height, out.right, window.innerWidth];",
                vec![],
            )
            .await
            .unwrap();
        let v = |i: usize| menu[i].as_f64().unwrap_or(-1.0);
        assert_eq!(
            v(0),
            0.0,
            "{persona}: the menu is not collapsed at phone width"
        );
        assert!(v(1) > 0.0, "{persona}: 菜单 does not open the menu");
        assert!(
            v(2) <= v(3),
            "{persona}: 退出 is off-screen ({} > {})",
            v(2),
            v(3)
        );
        s.shot(&format!("pages/{persona}-menu-390")).await;
        s.client.set_window_size(1440, 900).await.unwrap();
        s.client.delete_all_cookies().await.unwrap();
    }

    let text = format!(
        "{pages} pages visited by {personas:?} (each at 1,440 and 390 px)\n{}",
        report.join("\n")
    );
    let report_file = format!("report-{group}.txt");
    std::fs::write(dir.join(&report_file), &text).unwrap();
    eprintln!("{}", text.lines().next().unwrap_or(""));
    assert!(
        report.is_empty(),
        "{} findings (all in target/e2e/pages/{report_file}):\n{}",
        report.len(),
        report
            .iter()
            .take(80)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    s.close().await;
}

impl Session {
    /// Submits the form `form` as it is (its submit button `button`, if given) and waits for
    /// the answer page to load.
    async fn submit_form(&self, form: &str, button: Option<&str>) {
        let before = self.path().await;
        self.client
            .execute(
                "window.kcOld = true; var f = document.querySelector(arguments[0]);
                 var b = arguments[1] ? f.querySelector(arguments[1]) : null;
                 if (b) f.requestSubmit(b); else f.requestSubmit();",
                vec![form.into(), button.unwrap_or("").into()],
            )
            .await
            .unwrap();
        for _ in 0..100 {
            let fresh = self
                .client
                .execute(
                    "return !window.kcOld && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .map(|v| v.as_bool().unwrap_or(false))
                .unwrap_or(false);
            if fresh {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no answer to the form {form} on {before}");
    }

    /// After a failed submit: the error summary is on the screen and the first bad field has
    /// the focus. Returns the summary's text.
    async fn error_summary_and_focus(&self, what: &str) -> String {
        let r = self
            .client
            .execute(
                "var box = document.querySelector('.error-summary');
                 if (!box) return {found: false};
                 var r = box.getBoundingClientRect();
                 var first = document.querySelector('main .field-error');
                 var active = document.activeElement;
                 return {found: true, text: box.innerText, top: r.top, height: window.innerHeight,
                         focused: !!active && active.matches('input, select, textarea'),
                         same_form: !!active && active.closest('form') === box.closest('form'),
                         has_error: !!first};",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(r["found"], true, "{what}: no error summary");
        let top = r["top"].as_f64().unwrap();
        let height = r["height"].as_f64().unwrap();
        assert!(
            r["focused"] == true && r["same_form"] == true,
            "{what}: the first bad field has no focus: {r}"
        );
        // The focused field is in view; the summary either in view or just above it.
        let _ = (top, height);
        let in_view = self
            .client
            .execute(
                "var a = document.activeElement.getBoundingClientRect();
                 return a.top >= 0 && a.bottom <= window.innerHeight;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(in_view, true, "{what}: the focused field is off-screen");
        r["text"].as_str().unwrap_or("").to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_submit_shows_what_is_wrong_where_the_eye_is_and_irreversible_steps_confirm_after_validation()
 {
    let Some(s) = session("forms").await else {
        return;
    };

    // Staff: a new platform with nothing filled in.
    s.login("demo-staff").await;
    s.open("/platforms/new").await;
    s.submit_form("main form[action='/platforms']", None).await;
    let text = s.error_summary_and_focus("登记新平台").await;
    assert!(text.contains("平台名称"), "{text}");
    s.shot("forms-new-platform-errors").await;

    // Staff: a rectification measure without anything, on a long case page.
    let case = s
        ._app
        .value::<i64>(
            "SELECT id FROM rectification_cases WHERE status = 'open' ORDER BY id LIMIT 1",
        )
        .await;
    let pid = s
        ._app
        .value::<i64>(
            "SELECT platform_id FROM rectification_cases WHERE status = 'open' ORDER BY id LIMIT 1",
        )
        .await;
    s.open(&format!("/platforms/{pid}/rectification/{case}"))
        .await;
    s.submit_form("#add-measure", None).await;
    s.error_summary_and_focus("整改措施").await;
    s.shot("forms-rectification-measure-errors").await;
    s.client.delete_all_cookies().await.unwrap();

    // Operator: a document without a file.
    s.login("demo-operator").await;
    let own = s.my_platform().await;
    s.open(&format!("{own}/documents")).await;
    s.submit_form("main form[action$='/documents']", None).await;
    s.error_summary_and_focus("上传文件").await;
    s.client.delete_all_cookies().await.unwrap();

    // Advisor: a visit without a date or topic.
    s.login("demo-advisor").await;
    let visited = s
        ._app
        .value::<i64>(
            "SELECT p.id FROM platforms p JOIN users u ON u.id = p.advisor_id
             WHERE u.username = 'demo-advisor' AND p.stage = 'operating' ORDER BY p.id LIMIT 1",
        )
        .await;
    s.open(&format!("/platforms/{visited}/operation")).await;
    s.submit_form("main form[action$='/visits']", None).await;
    s.error_summary_and_focus("服务记录").await;
    s.shot("forms-advisor-visit-errors").await;
    s.client.delete_all_cookies().await.unwrap();

    // Expert: the conflict declaration is validated first (nothing chosen: errors, no
    // question), then confirmed (the page asks, nothing is written until 确认提交).
    s.login("demo-expert").await;
    let aid = s
        ._app
        .value::<i64>(
            "SELECT a.id FROM expert_assignments a JOIN users u ON u.id = a.expert_id
             WHERE u.username = 'demo-expert' AND a.declared_at IS NULL ORDER BY a.id LIMIT 1",
        )
        .await;
    s.open(&format!("/expert/assignments/{aid}")).await;
    s.submit_form("main form[action$='/declaration']", None)
        .await;
    s.error_summary_and_focus("利益冲突声明").await;
    assert!(s.client.find(Locator::Css("#confirm-yes")).await.is_err());
    s.click("input[name=conflict][value=no]").await;
    s.submit_form("main form[action$='/declaration']", None)
        .await;
    assert!(
        s.text("#confirm-prompt")
            .await
            .contains("声明提交后不能更改")
    );
    s.shot("forms-expert-declaration-confirm").await;
    let pool = s._app.pool().clone();
    let declared = |pool: sqlx::PgPool| async move {
        sqlx::query_scalar::<_, bool>(
            "SELECT declared_at IS NOT NULL FROM expert_assignments WHERE id = $1",
        )
        .bind(aid)
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    assert!(
        !declared(pool.clone()).await,
        "written before it was confirmed"
    );
    s.submit_form("main form", Some("#confirm-yes")).await;
    assert!(declared(pool.clone()).await, "not written after 确认提交");
    assert!(
        s.path()
            .await
            .starts_with(&format!("/expert/assignments/{aid}"))
    );
    s.close().await;
}

/// The POST forms of the page a user fills in (visible fields; not sign-out, not the
/// browser-confirmed deletions), as `(index among the page's forms, action)`.
const FORMS_JS: &str = "return Array.from(document.querySelectorAll('main form')).map(function (f, i) {
    var fields = f.querySelectorAll('input:not([type=hidden]):not([type=submit]):not([type=button]), textarea, select');
    var ok = f.method === 'post' && !f.hasAttribute('data-confirm') && fields.length > 0
             && f.getAttribute('action') !== '/logout';
    return ok ? [i, f.getAttribute('action')] : null;
  }).filter(function (x) { return x; });";

/// Empties the form's fields (blank choice where there is one, boxes unticked) and submits it
/// with its first button, without the browser's own checks: the server has to answer.
const EMPTY_SUBMIT_JS: &str = "window.kcOld = true;
  var f = document.querySelectorAll('main form')[arguments[0]];
  f.querySelectorAll('input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=file]), textarea').forEach(function (el) {
    if (el.type === 'checkbox' || el.type === 'radio') el.checked = false; else el.value = '';
  });
  f.querySelectorAll('select').forEach(function (el) {
    for (var k = 0; k < el.options.length; k++) if (el.options[k].value === '') { el.selectedIndex = k; break; }
  });
  f.noValidate = true;
  var b = f.querySelector('button[type=submit], button:not([type]), input[type=submit]');
  if (b) f.requestSubmit(b); else f.requestSubmit();";

/// What the answer to a bad submission shows.
const OUTCOME_JS: &str = "function shown(e) { return e.getClientRects().length > 0 && (!e.checkVisibility || e.checkVisibility()); }
  var errs = Array.from(document.querySelectorAll('main .field-error')).filter(function (e) { return e.textContent.trim(); });
  var visible = errs.filter(shown);
  var box = document.querySelector('.error-summary');
  var a = document.activeElement;
  var r = a ? a.getBoundingClientRect() : null;
  var alertEl = document.querySelector('main .form-error[role=alert]');
  return {errors: visible.length, hidden: errs.length - visible.length, summary: !!box,
          focused: !!(a && box && a.matches('input, select, textarea') && a.closest('form') === box.closest('form')),
          in_view: !!(r && r.top >= 0 && r.bottom <= window.innerHeight),
          alert: !!alertEl && shown(alertEl), alert_focused: !!alertEl && a === alertEl,
          error_page: !!document.querySelector('article.error-page'),
          heading: (document.querySelector('h1') || {}).textContent || ''};";

impl Session {
    async fn wait_fresh_page(&self) {
        for _ in 0..100 {
            let fresh = self
                .client
                .execute(
                    "return !window.kcOld && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .map(|v| v.as_bool().unwrap_or(false))
                .unwrap_or(false);
            if fresh {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no answer after 10 s on {}", self.path().await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_form_answers_an_empty_submit_with_a_summary_and_the_first_bad_field_focused() {
    let Some(s) = session("every-form").await else {
        return;
    };
    let patterns = route_patterns(axum::http::Method::GET);
    let posts = route_patterns(axum::http::Method::POST);
    let mut tried = std::collections::BTreeSet::new();
    let mut findings = Vec::new();
    let mut outcomes = std::collections::BTreeMap::<&str, usize>::new();
    let mut accepted = Vec::new();
    for (account, persona) in PERSONAS {
        s.client.set_window_size(1440, 900).await.unwrap();
        s.login(account).await;
        // The pages are found without the browser; it opens only those with a form not tried yet.
        for page in crawl(&s._app, account, &patterns, &posts, 60).await {
            if page.form_routes.iter().all(|r| tried.contains(r)) {
                continue;
            }
            let url = page.url;
            s.open(&url).await;
            let forms = s.client.execute(FORMS_JS, vec![]).await.unwrap();
            for form in forms.as_array().into_iter().flatten() {
                let index = form[0].as_u64().unwrap_or(0);
                let action = form[1].as_str().unwrap_or("").to_string();
                let route =
                    pattern_of(action.split('?').next().unwrap_or(""), &posts).unwrap_or("?");
                if !tried.insert(route) {
                    continue;
                }
                s.open(&url).await;
                s.client
                    .execute(EMPTY_SUBMIT_JS, vec![index.into()])
                    .await
                    .unwrap();
                s.wait_fresh_page().await;
                let o = s.client.execute(OUTCOME_JS, vec![]).await.unwrap();
                let what = format!("[{persona}] {route}（{url}）");
                let outcome = if o["errors"].as_u64().unwrap_or(0) > 0 {
                    if !(o["summary"] == true && o["focused"] == true && o["in_view"] == true) {
                        findings.push(format!("{what}: 字段错误没有摘要或焦点：{o}"));
                    }
                    "字段错误"
                } else if o["hidden"].as_u64().unwrap_or(0) > 0 {
                    findings.push(format!("{what}: 错误信息被折叠看不见"));
                    "错误不可见"
                } else if o["error_page"] == true {
                    findings.push(format!("{what}: 提交后是错误页「{}」", o["heading"]));
                    "错误页"
                } else if o["alert"] == true {
                    if o["alert_focused"] != true {
                        findings.push(format!("{what}: 表单错误没有获得焦点"));
                    }
                    "表单错误"
                } else {
                    accepted.push(what.clone());
                    "已接受"
                };
                *outcomes.entry(outcome).or_default() += 1;
            }
        }
        s.client.delete_all_cookies().await.unwrap();
    }
    eprintln!(
        "{} forms submitted empty: {outcomes:?}\naccepted as empty (nothing required): {accepted:#?}",
        tried.len()
    );
    assert!(tried.len() >= 30, "only {} forms found", tried.len());
    assert!(findings.is_empty(), "{}", findings.join("\n"));
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leadership_dashboard_prints_on_a4_with_its_charts_and_page_numbers() {
    let Some(s) = session("print").await else {
        return;
    };
    s.login("demo-leader").await;
    s.open("/leadership?print=1").await;
    assert!(s.charts_drawn().await >= 4);
    let pdf = s
        .client
        .print(
            fantoccini::wd::PrintConfiguration::builder()
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    std::fs::write(s.shots.join("leadership-print.pdf"), &pdf).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let pages = pdf
        .windows(11)
        .filter(|w| w == b"/Type /Page" || w == b"/Type/Page\n")
        .count();
    assert!((2..=12).contains(&pages), "{pages} pages");
    // On paper every chart is as wide as the page's text, never wider.
    let fits = s
        .client
        .execute(
            "var out = [];
             window.matchMedia('print');
             document.querySelectorAll('div.chart').forEach(function (c) {
               var box = c.closest('article, main').getBoundingClientRect();
               var r = c.getBoundingClientRect();
               if (r.right > box.right + 1) out.push(c.getAttribute('data-src'));
             });
             return out;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fits, serde_json::json!([]), "charts wider than their box");
    s.close().await;
}

// ---- Printed documents (A4): a platform's dashboard, a filing, the evaluation results, a decision ----

/// Checks run in the print view before printing: the document head (and, for documents that are
/// signed, the signature block) is shown and no print rule hides it; what is not the document
/// (menu, tabs, forms, buttons) is hidden by the print rules; charts fit the document's width.
const PRINT_CHECKS: &str = "
  var hiders = [];
  function walk(rules, print) {
    for (var i = 0; i < rules.length; i++) {
      var r = rules[i];
      if (r.cssRules && r.media) { walk(r.cssRules, print || /print/.test(r.media.mediaText)); continue; }
      if (print && r.selectorText && r.style && r.style.display === 'none') hiders.push(r.selectorText);
    }
  }
  Array.prototype.forEach.call(document.styleSheets, function (s) { try { walk(s.cssRules, false); } catch (e) {} });
  function onPaper(el) {
    for (var e = el; e && e.nodeType === 1; e = e.parentElement) {
      if (getComputedStyle(e).display === 'none') return false;
      for (var i = 0; i < hiders.length; i++) if (e.matches(hiders[i])) return false;
    }
    return true;
  }
  var title = document.querySelector('.print-title');
  var sign = document.querySelector('.print-sign');
  var chrome = [];
  document.querySelectorAll('.topbar, nav.tabs, nav.crumbs, form, button, a[role=button], .print-toolbar')
    .forEach(function (e) { if (onPaper(e)) chrome.push(e.outerHTML.slice(0, 80)); });
  var doc = document.querySelector('.print-doc').getBoundingClientRect();
  var wide = [];
  document.querySelectorAll('.print-doc div.chart, .print-doc table').forEach(function (e) {
    if (e.getBoundingClientRect().right > doc.right + 1) wide.push(e.id || e.className);
  });
  return {
    title: title ? title.textContent.trim() : '',
    title_on_paper: !!title && onPaper(title),
    sign_on_paper: !!sign && onPaper(sign),
    chrome: chrome,
    wide: wide
  };";

impl Session {
    /// Prints the print view now open to PDF (A4), saves it as `target/e2e/<name>-print.pdf` and
    /// checks it: `title` on the page in print media, a page count within `pages`, a signature
    /// block when `signed`. With poppler's `pdftotext` installed, the title, the issuing unit and
    /// the page numbers are read back from the PDF itself.
    async fn print_document(
        &self,
        name: &str,
        title: &str,
        signed: bool,
        landscape: bool,
        pages: std::ops::RangeInclusive<usize>,
    ) {
        self.full_shot(&format!("{name}-print-view")).await;
        let r = self.client.execute(PRINT_CHECKS, vec![]).await.unwrap();
        assert_eq!(r["title"], title, "{name}: document title");
        assert_eq!(
            r["title_on_paper"], true,
            "{name}: the title is not printed"
        );
        assert_eq!(r["sign_on_paper"], signed, "{name}: signature block");
        assert_eq!(r["chrome"], serde_json::json!([]), "{name}: UI on paper");
        assert_eq!(
            r["wide"],
            serde_json::json!([]),
            "{name}: wider than the page"
        );
        self.full_shot(&format!("{name}-print-view")).await;

        use fantoccini::wd::{PrintConfiguration, PrintOrientation};
        let orientation = if landscape {
            PrintOrientation::Landscape
        } else {
            PrintOrientation::Portrait
        };
        let pdf = self
            .client
            .print(
                PrintConfiguration::builder()
                    .orientation(orientation)
                    .build()
                    .unwrap(),
            )
            .await
            .unwrap();
        let file = self.shots.join(format!("{name}-print.pdf"));
        std::fs::write(&file, &pdf).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        // Page objects: "/Type /Page" (not "/Pages").
        let n = (0..pdf.len())
            .filter(|&i| {
                let rest = &pdf[i..];
                [&b"/Type /Page"[..], &b"/Type/Page"[..]]
                    .iter()
                    .any(|t| rest.starts_with(t) && rest.get(t.len()) != Some(&b's'))
            })
            .count();
        assert!(pages.contains(&n), "{name}: {n} pages");
        if let Some(pdftotext) = find("pdftotext") {
            let out = Command::new(pdftotext)
                .arg(&file)
                .arg("-")
                .output()
                .unwrap();
            let text: String = String::from_utf8_lossy(&out.stdout)
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let want: String = title.chars().filter(|c| !c.is_whitespace()).collect();
            assert!(text.contains(&want), "{name}: title not in the PDF");
            assert!(text.contains("南通市科学技术局"), "{name}: no issuing unit");
            assert!(
                text.contains(&format!("第1页，共{n}页")),
                "{name}: no page numbers"
            );
            assert_eq!(
                text.contains("经办人") || text.contains("（盖章）"),
                signed,
                "{name}: signature block in the PDF"
            );
        }
    }
}

/// `SELECT` one row of two values from the test database.
async fn two(s: &Session, sql: &str) -> (i64, String) {
    sqlx::query_as::<_, (i64, String)>(sql)
        .fetch_one(s._app.pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platforms_dashboard_prints_on_a4_with_its_charts() {
    let Some(s) = session("print-platform").await else {
        return;
    };
    let (pid, name) = two(
        &s,
        "SELECT p.id, p.name FROM platforms p WHERE p.stage = 'operating'
           AND EXISTS (SELECT 1 FROM annual_figures r WHERE r.platform_id = p.id) ORDER BY p.id LIMIT 1",
    )
    .await;
    s.login("demo-staff").await;
    s.open(&format!("/platforms/{pid}")).await;
    s.click("a.print-link").await;
    s.wait_path(|p| p.ends_with("print=1")).await;
    assert!(s.charts_drawn().await >= 2);
    s.print_document("platform", &format!("{name}运行情况"), false, false, 1..=6)
        .await;
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_annual_filing_prints_on_a4_for_signing() {
    let Some(s) = session("print-filing").await else {
        return;
    };
    let (fid, name) = two(
        &s,
        "SELECT f.id, p.name FROM filings f JOIN platforms p ON p.id = f.platform_id
          WHERE f.status = 'approved' ORDER BY f.year DESC, f.id LIMIT 1",
    )
    .await;
    let (pid, year) = two(
        &s,
        &format!("SELECT platform_id, year::text FROM filings WHERE id = {fid}"),
    )
    .await;
    s.login("demo-staff").await;
    s.open(&format!("/platforms/{pid}/annual/filing/{fid}?print=1"))
        .await;
    s.print_document(
        "filing",
        &format!("{name} {year} 年度年初备案表"),
        true,
        false,
        1..=3,
    )
    .await;
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_evaluation_results_print_on_a4_under_the_bureaus_seal() {
    let Some(s) = session("print-results").await else {
        return;
    };
    let (year, _) = two(
        &s,
        "SELECT year::bigint, status FROM evaluation_rounds WHERE status = 'published'
          ORDER BY year DESC LIMIT 1",
    )
    .await;
    s.login("demo-leader").await;
    s.open(&format!("/evaluations/{year}/results")).await;
    s.click("a.print-link").await;
    s.wait_path(|p| p.ends_with("print=1")).await;
    s.print_document(
        "results",
        &format!("南通市科创平台 {year} 年度绩效评估结果"),
        true,
        true,
        1..=6,
    )
    .await;
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rectification_decision_prints_on_a4_under_the_bureaus_seal() {
    let Some(s) = session("print-decision").await else {
        return;
    };
    let (cid, name) = two(
        &s,
        "SELECT c.id, p.name FROM rectification_cases c JOIN platforms p ON p.id = c.platform_id
          WHERE c.status = 'decided' ORDER BY c.id LIMIT 1",
    )
    .await;
    let (pid, _) = two(
        &s,
        &format!("SELECT platform_id, status FROM rectification_cases WHERE id = {cid}"),
    )
    .await;
    s.login("demo-staff").await;
    s.open(&format!("/platforms/{pid}/rectification/{cid}"))
        .await;
    s.click("a.print-link").await;
    s.wait_path(|p| p.ends_with("print=1")).await;
    s.print_document(
        "decision",
        &format!("关于{name}的退、转、并、留决定"),
        true,
        false,
        1..=4,
    )
    .await;
    s.close().await;
}
