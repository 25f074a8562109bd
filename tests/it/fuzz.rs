//! No 5xx from any input (issue 11): a deterministic fuzz over the whole route registry, as
//! every role (anonymous and each demo account), on the demo city.
//!
//! First every persona crawls the pages it can reach (links and forms, so the fuzz knows real
//! ids and the real fields of every form), then ≥ 10,000 malformed requests are generated
//! from a fixed seed: hostile path parameters, query strings, form fields, CSRF tokens,
//! content types and multipart bodies. Every response with a status ≥ 500 is collected and
//! all of them are printed in the assertion message.

use crate::common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use crate::common::{Client, Resp, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use kechuang::web::routes::registry;
use scraper::{ElementRef, Html, Selector};

/// The fixed seed: the same requests on every run.
const SEED: u64 = 0x6b65_6368_7561_6e67;
/// Malformed requests sent after the crawl.
const FUZZ_REQUESTS: usize = 10_000;
/// Fuzz streams run concurrently (each its own seed).
const STREAMS: usize = 4;

/// A tiny xorshift generator (no crate needed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// True with `percent` % probability.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Values put into path parameters (already percent-encoded where needed).
fn hostile_path_values() -> Vec<String> {
    let mut v: Vec<String> = [
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "-1",
        "0",
        "99999999999999999999",
        "999999",
        "2147483648",
        "99999",
        "1.5",
        "1e3",
        "+1",
        "0x10",
        "NaN",
        "abc",
        "null",
        "%00",
        "1%00",
        "%0a",
        "%0d%0a",
        "%09",
        "%7f",
        "%C0%AE",
        "%C0%AE%C0%AE",
        "%2e%2e",
        "..",
        "%FF%FE",
        "%",
        "%zz",
        "%E4%B8%AD%E6%96%87",
        "%EF%BC%91",
        "%20",
        "%2F",
        "revenue",
        "unknown",
        "REG-CHARTER",
        "NT10",
        "%3Cscript%3E",
        "'%20OR%201=1--",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("A".repeat(10 * 1024));
    v.push("%E4%B8%AD".repeat(1200));
    v.push("9".repeat(400));
    v
}

/// Query pieces (already encoded).
fn hostile_query_pieces() -> Vec<String> {
    let mut v: Vec<String> = [
        "page=9223372036854775807",
        "page=-5",
        "page=0",
        "page=abc",
        "page=99999999999999999999",
        "page=1&page=2",
        "page=1&page=x",
        "year=99999",
        "year=-1",
        "year=0000",
        "year=2025&year=2026",
        "year=abc",
        "next=/%09/evil.example",
        "next=%0d%0aSet-Cookie:x",
        "next=//evil.example",
        "next=/%5C%5Cevil.example",
        "next=https://evil.example/",
        "next=%2F%2Fevil.example",
        "q=%00",
        "q=a%00b",
        "q=%01",
        "q=%1b%5B31m",
        "q=%7f",
        "q=%",
        "q=%zz",
        "q=%FF%FE",
        "q=%C0%AE",
        "q=%E4%B8%AD%E6%96%87",
        "q='%20OR%201=1--",
        "notice=unknown",
        "notice=%00",
        "kind=xxx",
        "stage=xxx",
        "status=xxx",
        "jurisdiction=999999999",
        "jurisdiction=-1",
        "platform=9223372036854775807",
        "from=0000-00-00",
        "to=99999-12-31",
        "sort=;DROP%20TABLE%20users",
        "&&&",
        "=",
        "a",
        "=x&=y",
        "%3D%3D%3D",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(format!("q={}", "B".repeat(10 * 1024)));
    v.push(format!("page={}", "9".repeat(300)));
    v
}

/// Form values, already encoded for an urlencoded body (some deliberately malformed).
fn hostile_form_values() -> Vec<Vec<u8>> {
    let decoded: &[&str] = &[
        "\0",
        "a\0b",
        "\u{1}",
        "\u{1b}[31m",
        "\u{7f}",
        "\u{85}",
        "\r\n",
        "",
        " ",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "99999999999999999999",
        "2147483648",
        "-1",
        "0",
        "1e309",
        "-1e309",
        "NaN",
        "inf",
        "1.5",
        "0.000000000000000000000001",
        "1,000",
        "１２３",
        "0000-00-00",
        "99999-12-31",
        "2025-02-30",
        "2025-13-01",
        "-0001-01-01",
        "1900-01-01",
        "9999-12-31",
        "2025-01-01",
        "2025/01/01",
        "2025-01-01T00:00:00",
        "中文测试",
        "true",
        "on",
        "[]",
        "{}",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "unknown_enum",
        "\u{202e}abc",
        "\u{feff}",
        "🙂",
        "/%09/evil.example",
        "//evil.example",
    ];
    let mut v: Vec<Vec<u8>> = decoded.iter().map(|s| enc(s)).collect();
    for raw in [
        &b"%FF%FE"[..],
        b"%C0%AE",
        b"%",
        b"%zz",
        b"%00",
        b"a%E4%B8",
        b"\xff\xfe",
        b"\xc0\xae",
        b"%0",
        b"a+b+%2B",
    ] {
        v.push(raw.to_vec());
    }
    v.push(enc(&"长".repeat(10 * 1024)));
    v.push(enc(&"x".repeat(100 * 1024)));
    v.push(enc(&"9".repeat(5000)));
    v
}

fn enc(s: &str) -> Vec<u8> {
    form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .into_bytes()
}

/// Field names no form of ours has, and names of other forms' fields.
const EXTRA_FIELDS: &[&str] = &[
    "id",
    "platform_id",
    "jurisdiction_id",
    "version",
    "role",
    "year",
    "amount",
    "date",
    "kind",
    "stage",
    "status",
    "score",
    "page",
    "next",
    "name",
    "title",
    "note",
    "unknown",
    "",
    "\u{0}",
];

/// Query keys that pages take (added to those seen in links).
const QUERY_KEYS: &[&str] = &[
    "page",
    "year",
    "next",
    "notice",
    "q",
    "kind",
    "stage",
    "status",
    "jurisdiction",
    "category",
    "level",
    "cluster",
    "sort",
    "from",
    "to",
    "grade",
    "month",
    "error",
];

/// One persona: anonymous or a demo account, with its own cookie jar.
#[derive(Clone)]
struct Persona {
    name: &'static str,
    user_id: Option<i64>,
    client: Client,
    csrf: String,
}

/// A form seen on a page: where it posts and what it sends.
#[derive(Clone)]
struct SeenForm {
    persona: usize,
    action: String,
    multipart: bool,
    fields: Vec<(String, String)>,
    files: Vec<String>,
}

/// One response with a status ≥ 500.
struct Failure(String);

struct Fuzz {
    personas: Vec<Persona>,
    app_router_sent: usize,
    failures: Vec<Failure>,
    statuses: BTreeMap<u16, usize>,
    /// Posts that got past the guard to a handler (not 401/403/404/405/413/429).
    reached_handlers: usize,
}

const DEMO_ACCOUNTS: &[&str] = &[
    "demo-staff",
    "demo-county-staff",
    "demo-operator",
    "demo-advisor",
    "demo-expert",
    "demo-expert2",
    "demo-leader",
    "demo-sysadmin",
    "demo-secadmin",
    "demo-auditor",
];

/// A brand-new session (no argon2 round trip, no sign-in rate limit) and its CSRF token.
async fn signed_in(app: &TestApp, user_id: i64) -> (Client, String) {
    let mut client = app.session_for(user_id).await;
    let csrf = client.csrf().await;
    (client, csrf)
}

/// An anonymous client holding the pre-login cookie (the login form's CSRF token).
async fn anonymous(app: &TestApp) -> (Client, String) {
    let mut client = app.client();
    let page = client.get("/login").await;
    let csrf = page.value("input[name=csrf_token]").unwrap();
    (client, csrf)
}

/// A request of ours, kept for the failure report.
struct Sent {
    method: Method,
    uri: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Fuzz {
    async fn send(&mut self, app: &TestApp, who: usize, sent: Sent, headers: &[(&str, String)]) {
        let persona = &mut self.personas[who];
        let mut req = Request::builder()
            .method(sent.method.clone())
            .uri(sent.uri.as_str())
            .header(header::HOST, "localhost")
            .header(header::COOKIE, persona.client.cookie_header());
        if let Some(ct) = &sent.content_type {
            req = req.header(header::CONTENT_TYPE, ct.as_str());
        }
        for (k, v) in headers {
            req = req.header(*k, v.as_str());
        }
        let req = match req.body(Body::from(sent.body.clone())) {
            Ok(r) => r,
            // A URI no client could send (the generator keeps to valid ones).
            Err(e) => panic!("the fuzz built an invalid request {}: {e}", sent.uri),
        };
        let resp = persona.client.send(req).await;
        self.app_router_sent += 1;
        self.record(who, &sent, &resp);
        // Keep the persona signed in (a fuzzed logout or an expired session ends it).
        let persona = &mut self.personas[who];
        if let Some(uid) = persona.user_id {
            let bounced = resp.location().is_some_and(|l| l.starts_with("/login"));
            if bounced || !persona.client.cookies.contains_key("kc_session") {
                let (client, csrf) = signed_in(app, uid).await;
                persona.client = client;
                persona.csrf = csrf;
            }
        } else if !persona.client.cookies.contains_key("kc_prelogin") {
            let (client, csrf) = anonymous(app).await;
            persona.client = client;
            persona.csrf = csrf;
        }
    }

    fn record(&mut self, who: usize, sent: &Sent, resp: &Resp) {
        *self.statuses.entry(resp.status.as_u16()).or_default() += 1;
        if sent.method == Method::POST
            && !matches!(
                resp.status,
                StatusCode::UNAUTHORIZED
                    | StatusCode::FORBIDDEN
                    | StatusCode::NOT_FOUND
                    | StatusCode::METHOD_NOT_ALLOWED
                    | StatusCode::PAYLOAD_TOO_LARGE
                    | StatusCode::TOO_MANY_REQUESTS
            )
        {
            self.reached_handlers += 1;
        }
        if resp.status.as_u16() >= 500 {
            let shown = |b: &[u8], n: usize| {
                let s = String::from_utf8_lossy(&b[..b.len().min(n)]).into_owned();
                format!("{s:?}")
            };
            let uri = if sent.uri.len() > 300 {
                format!("{}…({} bytes)", &sent.uri[..300], sent.uri.len())
            } else {
                sent.uri.clone()
            };
            self.failures.push(Failure(format!(
                "{} {} {} [{}] body={} -> {} {}",
                self.personas[who].name,
                sent.method,
                uri,
                sent.content_type.as_deref().unwrap_or("-"),
                shown(&sent.body, 300),
                resp.status,
                shown(resp.body.as_bytes(), 200),
            )));
        }
    }
}

/// Same-site links and post forms of a page.
fn links_and_forms(body: &str, persona: usize, links: &mut Vec<String>, forms: &mut Vec<SeenForm>) {
    let doc = Html::parse_document(body);
    let a = Selector::parse("a[href]").unwrap();
    for e in doc.select(&a) {
        let href = e.value().attr("href").unwrap_or("");
        let href = href.split('#').next().unwrap_or("");
        if href.starts_with('/') && !href.starts_with("//") && !href.starts_with("/static") {
            links.push(href.to_string());
        }
    }
    let form_sel = Selector::parse("form").unwrap();
    let field_sel = Selector::parse("input[name], select[name], textarea[name]").unwrap();
    let option_sel = Selector::parse("option").unwrap();
    for f in doc.select(&form_sel) {
        let method = f
            .value()
            .attr("method")
            .unwrap_or("get")
            .to_ascii_lowercase();
        let action = f.value().attr("action").unwrap_or("").to_string();
        if method != "post" || !action.starts_with('/') {
            if method == "get" && action.starts_with('/') {
                links.push(action);
            }
            continue;
        }
        let multipart = f
            .value()
            .attr("enctype")
            .is_some_and(|e| e.contains("multipart"));
        let mut fields = Vec::new();
        let mut files = Vec::new();
        for field in f.select(&field_sel) {
            let el = field.value();
            let name = el.attr("name").unwrap_or("").to_string();
            let value = match el.name() {
                "select" => {
                    let options: Vec<ElementRef> = field.select(&option_sel).collect();
                    let chosen = options
                        .iter()
                        .find(|o| o.value().attr("selected").is_some())
                        .or_else(|| {
                            options
                                .iter()
                                .find(|o| o.value().attr("value").is_some_and(|v| !v.is_empty()))
                        })
                        .or(options.first());
                    chosen
                        .map(|o| {
                            o.value()
                                .attr("value")
                                .map(str::to_string)
                                .unwrap_or_else(|| o.text().collect())
                        })
                        .unwrap_or_default()
                }
                "textarea" => field.text().collect(),
                _ => {
                    let ty = el.attr("type").unwrap_or("text").to_ascii_lowercase();
                    match ty.as_str() {
                        "file" => {
                            files.push(name);
                            continue;
                        }
                        "submit" | "button" | "image" | "reset" => continue,
                        "checkbox" | "radio" if el.attr("checked").is_none() => continue,
                        _ => el.attr("value").unwrap_or("").to_string(),
                    }
                }
            };
            fields.push((name, value));
        }
        forms.push(SeenForm {
            persona,
            action,
            multipart,
            fields,
            files,
        });
    }
}

/// Whether a concrete path (no query) matches a registry pattern.
fn matches(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let c: Vec<&str> = path.split('/').collect();
    p.len() == c.len()
        && p.iter()
            .zip(&c)
            .all(|(a, b)| (a.starts_with('{') && !b.is_empty()) || a == b)
}

/// A path with numbers in place of ids, to visit few pages of each kind.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|s| {
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                "#"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A concrete path for a pattern when the crawl saw none.
fn default_concrete(pattern: &str, platform: i64, uid: i64) -> String {
    pattern
        .split('/')
        .map(|s| match s {
            "{id}" => platform.to_string(),
            "{uid}" => uid.to_string(),
            "{year}" => "2025".into(),
            "{kind}" => "revenue".into(),
            "{short_id}" => "NT10".into(),
            "{rule_id}" => "REG-CHARTER".into(),
            s if s.starts_with('{') => "999999".into(),
            s => s.into(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Replaces some path parameters of `concrete` (matched to `pattern`) by hostile values.
fn mutate_path(rng: &mut Rng, pattern: &str, concrete: &str, hostile: &[String]) -> String {
    let p: Vec<&str> = pattern.split('/').collect();
    let mut c: Vec<String> = concrete.split('/').map(str::to_string).collect();
    let params: Vec<usize> = (0..p.len()).filter(|&i| p[i].starts_with('{')).collect();
    if params.is_empty() {
        // No parameter: mangle a literal segment instead.
        let i = 1 + rng.below(c.len().saturating_sub(1).max(1));
        if i < c.len() {
            let piece = rng.pick(&["%00", "%0a", "%C0%AE", "%FF", "%E4%B8%AD", "%", ".."]);
            c[i] = format!("{}{piece}", c[i]);
        }
        return c.join("/");
    }
    let mut changed = false;
    for &i in &params {
        if rng.chance(50) {
            c[i] = rng.pick(hostile).clone();
            changed = true;
        }
    }
    if !changed {
        let i = *rng.pick(&params);
        c[i] = rng.pick(hostile).clone();
    }
    c.join("/")
}

fn hostile_query(rng: &mut Rng, pieces: &[String], keys: &[String], values: &[Vec<u8>]) -> String {
    let n = 1 + rng.below(4);
    let mut parts = Vec::new();
    for _ in 0..n {
        if rng.chance(60) {
            parts.push(rng.pick(pieces).clone());
        } else {
            let k = rng.pick(keys);
            let v = rng.pick(values);
            // Raw bytes that are not URI characters are percent-encoded (the URI must parse).
            let v: String = v[..v.len().min(12 * 1024)]
                .iter()
                .map(|&b| {
                    if b.is_ascii_graphic() && b != b'#' {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            parts.push(format!("{k}={v}"));
        }
    }
    parts.join("&")
}

/// An urlencoded body from fields (values encoded), with mutations.
fn mutate_fields(
    rng: &mut Rng,
    fields: &[(String, String)],
    values: &[Vec<u8>],
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = fields
        .iter()
        .filter(|(k, _)| k != "csrf_token")
        .filter(|(k, _)| k != "form_token" || rng.chance(25))
        .map(|(k, v)| (enc(k), enc(v)))
        .collect();
    match rng.below(10) {
        // Every field hostile.
        0 => {
            for f in &mut out {
                f.1 = rng.pick(values).clone();
            }
        }
        // Missing fields.
        1 => {
            let n = 1 + rng.below(out.len().max(1));
            for _ in 0..n {
                if !out.is_empty() {
                    let i = rng.below(out.len());
                    out.remove(i);
                }
            }
        }
        // Unknown and repeated keys.
        2 => {
            out.push((
                enc(rng.pick::<&str>(EXTRA_FIELDS)),
                rng.pick(values).clone(),
            ));
            if !out.is_empty() {
                let i = rng.below(out.len());
                let dup = (out[i].0.clone(), rng.pick(values).clone());
                out.push(dup);
            }
        }
        // Nothing at all.
        3 if rng.chance(30) => out.clear(),
        // One to three fields hostile, the rest as the page had them.
        _ => {
            let n = 1 + rng.below(3);
            for _ in 0..n {
                if !out.is_empty() {
                    let i = rng.below(out.len());
                    out[i].1 = rng.pick(values).clone();
                }
            }
        }
    }
    out
}

fn urlencoded(fields: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            body.push(b'&');
        }
        body.extend_from_slice(k);
        body.push(b'=');
        body.extend_from_slice(v);
    }
    body
}

/// A multipart body (CSRF first, the fields, a file), then damaged in one of several ways.
fn multipart_body(
    rng: &mut Rng,
    csrf: Option<&str>,
    fields: &[(String, String)],
    files: &[String],
    values: &[Vec<u8>],
) -> (String, Vec<u8>) {
    let boundary = "----kcfuzz7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    let part = |body: &mut Vec<u8>, headers: &str, content: &[u8]| {
        body.extend_from_slice(format!("--{boundary}\r\n{headers}\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    };
    if let Some(t) = csrf {
        part(
            &mut body,
            "Content-Disposition: form-data; name=\"csrf_token\"",
            t.as_bytes(),
        );
    }
    for (k, v) in fields {
        if k == "csrf_token" || k == "form_token" {
            continue;
        }
        let value: Vec<u8> = if rng.chance(30) {
            // Hostile, as the text it stands for (decoded is close enough in a multipart part).
            rng.pick(values).clone()
        } else {
            v.as_bytes().to_vec()
        };
        part(
            &mut body,
            &format!("Content-Disposition: form-data; name=\"{k}\""),
            &value,
        );
    }
    let file_field = files.first().map(String::as_str).unwrap_or("file");
    let filename = rng
        .pick(&[
            "report.pdf",
            "../../etc/passwd",
            "中文文件.docx",
            "a\u{1}b.pdf",
            "",
            "noext",
            "x.exe",
        ])
        .to_string();
    let filename = if rng.chance(10) {
        "n".repeat(5000) + ".pdf"
    } else {
        filename
    };
    let content: Vec<u8> = match rng.below(4) {
        0 => Vec::new(),
        1 => b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n".to_vec(),
        2 => (0..2048).map(|i| (i * 7 % 256) as u8).collect(),
        _ => "报告正文".repeat(100).into_bytes(),
    };
    part(
        &mut body,
        &format!(
            "Content-Disposition: form-data; name=\"{file_field}\"; filename=\"{filename}\"\r\nContent-Type: {}",
            rng.pick(&[
                "application/pdf",
                "application/octet-stream",
                "text/plain",
                "x/\u{7f}"
            ])
        ),
        &content,
    );
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let mut content_type = format!("multipart/form-data; boundary={boundary}");
    match rng.below(8) {
        0 | 1 => {}
        // Truncated anywhere.
        2 | 3 => {
            let cut = rng.below(body.len());
            body.truncate(cut);
        }
        // No closing boundary.
        4 => {
            let end = body.len() - boundary.len() - 6;
            body.truncate(end);
        }
        // Another boundary than the header says, or none at all.
        5 => {
            content_type = if rng.chance(50) {
                "multipart/form-data; boundary=other".into()
            } else {
                "multipart/form-data".into()
            }
        }
        // Broken part headers.
        6 => {
            let text = String::from_utf8_lossy(&body).into_owned();
            let broken = text
                .replacen(
                    "Content-Disposition: form-data; ",
                    "Content-Disposition ",
                    2,
                )
                .replacen("name=\"", "name=", 1);
            body = broken.into_bytes();
        }
        // Garbage.
        _ => {
            body = (0..rng.below(4096))
                .map(|_| (rng.next() & 0xff) as u8)
                .collect();
        }
    }
    (content_type, body)
}

#[tokio::test]
async fn no_input_gives_a_server_error() {
    let started = Instant::now();
    let app = TestApp::with_demo().await;
    // The account the {uid} routes act on: nobody's persona, so a fuzzed reset or disable
    // leaves the personas signed in.
    let target_user = app.user("fuzz-target", None, None, None).await;
    let own_platform: i64 = app
        .value("SELECT platform_id FROM users WHERE username = 'demo-operator'")
        .await;
    eprintln!("demo loaded in {:?}", started.elapsed());

    let mut personas = Vec::new();
    let (client, csrf) = anonymous(&app).await;
    personas.push(Persona {
        name: "anonymous",
        user_id: None,
        client,
        csrf,
    });
    for name in DEMO_ACCOUNTS {
        let uid = app.user_id(name).await;
        let (client, csrf) = signed_in(&app, uid).await;
        personas.push(Persona {
            name,
            user_id: Some(uid),
            client,
            csrf,
        });
    }
    let mut fz = Fuzz {
        personas,
        app_router_sent: 0,
        failures: Vec::new(),
        statuses: BTreeMap::new(),
        reached_handlers: 0,
    };
    let routes = registry();

    // ---- crawl: real ids and real forms --------------------------------------------------
    let mut forms: Vec<SeenForm> = Vec::new();
    let mut seen_paths: BTreeSet<String> = BTreeSet::new();
    let mut query_keys: BTreeSet<String> = QUERY_KEYS.iter().map(|s| s.to_string()).collect();
    for who in 0..fz.personas.len() {
        let mut queue: Vec<String> = vec!["/".into()];
        for r in &routes {
            if r.method == Method::GET {
                queue.push(default_concrete(r.path, own_platform, target_user));
            }
        }
        let mut visited: BTreeSet<String> = BTreeSet::new();
        let mut per_shape: HashMap<String, usize> = HashMap::new();
        let mut i = 0;
        while i < queue.len() && visited.len() < 70 {
            let path = queue[i].clone();
            i += 1;
            let bare = path.split('?').next().unwrap_or("").to_string();
            let count = per_shape.entry(shape(&bare)).or_default();
            if *count >= 1 || !visited.insert(path.clone()) || bare == "/logout" {
                continue;
            }
            *count += 1;
            let sent = Sent {
                method: Method::GET,
                uri: path.clone(),
                content_type: None,
                body: Vec::new(),
            };
            let persona = &mut fz.personas[who];
            let req = Request::get(path.as_str())
                .header(header::HOST, "localhost")
                .header(header::COOKIE, persona.client.cookie_header())
                .body(Body::empty())
                .unwrap();
            let resp = persona.client.send(req).await;
            fz.app_router_sent += 1;
            fz.record(who, &sent, &resp);
            if resp.status != StatusCode::OK
                || !resp
                    .headers
                    .get(header::CONTENT_TYPE)
                    .is_some_and(|c| c.to_str().unwrap_or("").starts_with("text/html"))
            {
                continue;
            }
            let mut links = Vec::new();
            let mut found = Vec::new();
            links_and_forms(&resp.body, who, &mut links, &mut found);
            for l in links {
                if let Some((p, q)) = l.split_once('?') {
                    for (k, _) in form_urlencoded::parse(q.as_bytes()) {
                        query_keys.insert(k.into_owned());
                    }
                    seen_paths.insert(p.to_string());
                } else {
                    seen_paths.insert(l.clone());
                }
                queue.push(l);
            }
            for f in found {
                seen_paths.insert(f.action.clone());
                let same = forms
                    .iter()
                    .filter(|g| g.persona == who && shape(&g.action) == shape(&f.action))
                    .count();
                if same < 3 && f.action != "/logout" {
                    forms.push(f);
                }
            }
        }
    }
    // Account actions act on the target account only: a fuzzed form that happens to be valid
    // must not disable, re-role or reset a persona.
    let retarget = |path: &str| -> String {
        let mut segs: Vec<String> = path.split('/').map(str::to_string).collect();
        if segs.len() > 3
            && (segs[1] == "admin" || segs[1] == "security")
            && segs[2] == "users"
            && segs[3].bytes().all(|b| b.is_ascii_digit())
        {
            segs[3] = target_user.to_string();
        }
        segs.join("/")
    };
    for f in &mut forms {
        f.action = retarget(&f.action);
    }
    let seen_paths: BTreeSet<String> = seen_paths.iter().map(|p| retarget(p)).collect();
    let crawl_requests = fz.app_router_sent;
    eprintln!(
        "crawled {crawl_requests} pages, {} forms, {} paths in {:?}",
        forms.len(),
        seen_paths.len(),
        started.elapsed()
    );
    assert!(
        forms.len() >= 40,
        "the crawl found too few forms to fuzz ({})",
        forms.len()
    );

    // Concrete paths the crawl saw, per registry route.
    let concrete: Vec<Vec<String>> = routes
        .iter()
        .map(|r| {
            let mut v: Vec<String> = seen_paths
                .iter()
                .filter(|p| matches(r.path, p))
                .take(8)
                .cloned()
                .collect();
            v.push(default_concrete(r.path, own_platform, target_user));
            v
        })
        .collect();
    let forms_of_route: Vec<Vec<usize>> = routes
        .iter()
        .map(|r| {
            (0..forms.len())
                .filter(|&i| matches(r.path, &forms[i].action))
                .collect()
        })
        .collect();
    let uploads: Vec<usize> = (0..forms.len()).filter(|&i| forms[i].multipart).collect();
    let upload_routes: Vec<&str> = routes
        .iter()
        .filter(|r| r.method == Method::POST && r.path.contains("/documents"))
        .map(|r| r.path)
        .collect();
    let get_routes: Vec<usize> = (0..routes.len())
        .filter(|&i| routes[i].method == Method::GET)
        .collect();

    let path_values = hostile_path_values();
    let query_pieces = hostile_query_pieces();
    let values = hostile_form_values();
    let query_keys: Vec<String> = query_keys.into_iter().collect();

    // ---- fuzz ----------------------------------------------------------------------------
    let ctx = Ctx {
        routes: &routes,
        concrete: &concrete,
        forms: &forms,
        forms_of_route: &forms_of_route,
        uploads: &uploads,
        upload_routes: &upload_routes,
        get_routes: &get_routes,
        path_values: &path_values,
        query_pieces: &query_pieces,
        values: &values,
        query_keys: &query_keys,
        own_platform,
        target_user,
    };
    // A few streams at once (the requests of one wait on the database while another runs).
    let streams = (0..STREAMS as u64).map(|k| {
        let fresh = Fuzz {
            personas: fz.personas.clone(),
            app_router_sent: 0,
            failures: Vec::new(),
            statuses: BTreeMap::new(),
            reached_handlers: 0,
        };
        stream(
            &app,
            ctx,
            fresh,
            SEED ^ (k + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15),
            FUZZ_REQUESTS / STREAMS,
        )
    });
    for done in futures_util::future::join_all(streams).await {
        fz.app_router_sent += done.app_router_sent;
        fz.failures.extend(done.failures);
        for (k, v) in done.statuses {
            *fz.statuses.entry(k).or_default() += v;
        }
        fz.reached_handlers += done.reached_handlers;
    }

    eprintln!(
        "{} requests ({} fuzzed) in {:?}; statuses {:?}; {} posts reached a handler",
        fz.app_router_sent,
        fz.app_router_sent - crawl_requests,
        started.elapsed(),
        fz.statuses,
        fz.reached_handlers
    );
    assert!(fz.app_router_sent - crawl_requests >= 10_000);
    // The fuzz must get past the guard, or it tests only the guard.
    assert!(
        fz.reached_handlers >= 1_000,
        "only {} fuzzed posts reached a handler",
        fz.reached_handlers
    );
    let failures: Vec<String> = fz.failures.iter().map(|f| f.0.clone()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} requests answered ≥ 500:\n{}",
        failures.len(),
        fz.app_router_sent,
        failures.join("\n")
    );
}

/// Everything a fuzz stream draws from.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    routes: &'a [kechuang::web::RouteDef],
    concrete: &'a [Vec<String>],
    forms: &'a [SeenForm],
    forms_of_route: &'a [Vec<usize>],
    uploads: &'a [usize],
    upload_routes: &'a [&'static str],
    get_routes: &'a [usize],
    path_values: &'a [String],
    query_pieces: &'a [String],
    values: &'a [Vec<u8>],
    query_keys: &'a [String],
    own_platform: i64,
    target_user: i64,
}

/// One stream of `n` malformed requests from `seed`.
async fn stream(app: &TestApp, ctx: Ctx<'_>, mut fz: Fuzz, seed: u64, n: usize) -> Fuzz {
    let Ctx {
        routes,
        concrete,
        forms,
        forms_of_route,
        uploads,
        upload_routes,
        get_routes,
        path_values,
        query_pieces,
        values,
        query_keys,
        own_platform,
        target_user,
    } = ctx;
    let mut rng = Rng(seed);
    let target = fz.app_router_sent + n;
    while fz.app_router_sent < target {
        let who = rng.below(fz.personas.len());
        let mode = rng.below(100);
        let mut headers: Vec<(&str, String)> = Vec::new();
        let sent = if mode < 30 {
            // A registry route with hostile path parameters (and sometimes a hostile query).
            let r = rng.below(routes.len());
            let route = &routes[r];
            let base = rng.pick(&concrete[r]).clone();
            let mut uri = mutate_path(&mut rng, route.path, &base, path_values);
            if rng.chance(30) {
                uri = format!(
                    "{uri}?{}",
                    hostile_query(&mut rng, query_pieces, query_keys, values)
                );
            }
            if route.method == Method::POST {
                let fields = match forms_of_route[r].as_slice() {
                    [] => Vec::new(),
                    list => forms[*rng.pick(list)].fields.clone(),
                };
                let body = urlencoded(&mutate_fields(&mut rng, &fields, values));
                post_form(&mut rng, &fz.personas[who].csrf, uri, body, &mut headers)
            } else {
                get(uri)
            }
        } else if mode < 55 {
            // A real form with hostile fields, mostly by the persona that saw it.
            let f = &forms[rng.below(forms.len())];
            let who = if rng.chance(90) { f.persona } else { who };
            let mut uri = f.action.clone();
            if rng.chance(10) {
                uri = format!(
                    "{uri}?{}",
                    hostile_query(&mut rng, query_pieces, query_keys, values)
                );
            }
            let sent = if f.multipart {
                let csrf = csrf_variant(&mut rng, &fz.personas[who].csrf);
                let (ct, body) =
                    multipart_body(&mut rng, csrf.as_deref(), &f.fields, &f.files, values);
                headers.push(("origin", "http://localhost".into()));
                Sent {
                    method: Method::POST,
                    uri,
                    content_type: Some(ct),
                    body,
                }
            } else {
                let body = urlencoded(&mutate_fields(&mut rng, &f.fields, values));
                post_form(&mut rng, &fz.personas[who].csrf, uri, body, &mut headers)
            };
            fz.send(app, who, sent, &headers).await;
            continue;
        } else if mode < 75 {
            // A page with a hostile query string.
            let r = *rng.pick(get_routes);
            let base = rng.pick(&concrete[r]).clone();
            let q = hostile_query(&mut rng, query_pieces, query_keys, values);
            get(format!("{base}?{q}"))
        } else if mode < 85 {
            // Uploads: malformed, truncated, wrongly typed multipart bodies.
            let (uri, fields, files, who) = if !uploads.is_empty() && rng.chance(70) {
                let f = &forms[*rng.pick(uploads)];
                (
                    f.action.clone(),
                    f.fields.clone(),
                    f.files.clone(),
                    f.persona,
                )
            } else {
                let p = rng.pick(upload_routes);
                let base = default_concrete(p, own_platform, target_user);
                (
                    mutate_path(&mut rng, p, &base, path_values),
                    Vec::new(),
                    Vec::new(),
                    who,
                )
            };
            let csrf = csrf_variant(&mut rng, &fz.personas[who].csrf);
            let (ct, body) = multipart_body(&mut rng, csrf.as_deref(), &fields, &files, values);
            headers.push(("origin", "http://localhost".into()));
            let sent = Sent {
                method: Method::POST,
                uri,
                content_type: Some(ct),
                body,
            };
            fz.send(app, who, sent, &headers).await;
            continue;
        } else if mode < 92 {
            // Sign-in, sign-out and password forms with hostile fields (anonymous mostly).
            let who = if rng.chance(70) { 0 } else { who };
            let (uri, fields): (&str, &[(&str, &str)]) = match rng.below(3) {
                0 | 1 => (
                    "/login",
                    &[
                        ("username", "fuzz-target"),
                        ("password", "wrong"),
                        ("next", "/"),
                    ],
                ),
                _ => (
                    "/password",
                    &[
                        ("current", "wrong"),
                        ("new", "Abcdef#12345x"),
                        ("confirm", "Abcdef#12345x"),
                    ],
                ),
            };
            let fields: Vec<(String, String)> = fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let body = urlencoded(&mutate_fields(&mut rng, &fields, values));
            post_form(
                &mut rng,
                &fz.personas[who].csrf,
                uri.to_string(),
                body,
                &mut headers,
            )
        } else {
            // Other methods, odd content types and headers on any route.
            let r = rng.below(routes.len());
            let base = rng.pick(&concrete[r]).clone();
            let method = rng
                .pick(&[
                    Method::PUT,
                    Method::DELETE,
                    Method::PATCH,
                    Method::OPTIONS,
                    Method::HEAD,
                    Method::POST,
                    Method::GET,
                ])
                .clone();
            let ct = rng
                .pick(&[
                    "application/json",
                    "text/plain",
                    "application/xml",
                    "application/x-www-form-urlencoded; charset=gbk",
                    "multipart/form-data; boundary=",
                    "",
                ])
                .to_string();
            let body: Vec<u8> = match rng.below(3) {
                0 => br#"{"csrf_token": null, "id": 9223372036854775808}"#.to_vec(),
                1 => format!("csrf_token={}&x=%00", fz.personas[who].csrf).into_bytes(),
                _ => vec![0xff, 0xfe, 0x00, 0x01],
            };
            headers.push(("origin", "http://localhost".into()));
            if rng.chance(30) {
                headers.push(("x-csrf-token", fz.personas[who].csrf.clone()));
            }
            if rng.chance(20) {
                headers.push(("idempotency-key", rng.pick(path_values).clone()));
            }
            Sent {
                method,
                uri: base,
                content_type: Some(ct),
                body,
            }
        };
        fz.send(app, who, sent, &headers).await;
    }
    fz
}

fn get(uri: String) -> Sent {
    Sent {
        method: Method::GET,
        uri,
        content_type: None,
        body: Vec::new(),
    }
}

/// The CSRF token to send: mostly the right one, sometimes none, a wrong or a hostile one.
fn csrf_variant(rng: &mut Rng, csrf: &str) -> Option<String> {
    match rng.below(20) {
        0 => None,
        1 => Some("0".repeat(csrf.len())),
        2 => Some(format!("{csrf}\0")),
        3 => Some(String::new()),
        _ => Some(csrf.to_string()),
    }
}

/// An urlencoded post: CSRF variant first, then the body; sometimes a foreign origin or
/// another content type.
fn post_form(
    rng: &mut Rng,
    csrf: &str,
    uri: String,
    body: Vec<u8>,
    headers: &mut Vec<(&'static str, String)>,
) -> Sent {
    let mut full = Vec::new();
    if let Some(t) = csrf_variant(rng, csrf) {
        full.extend_from_slice(b"csrf_token=");
        full.extend_from_slice(&enc(&t));
        if !body.is_empty() {
            full.push(b'&');
        }
    }
    full.extend_from_slice(&body);
    match rng.below(40) {
        0 => {}
        1 => headers.push(("origin", "http://evil.example".into())),
        _ => headers.push(("origin", "http://localhost".into())),
    }
    let content_type = match rng.below(30) {
        0 => None,
        1 => Some("text/plain".to_string()),
        2 => Some("application/json".to_string()),
        3 => Some("multipart/form-data; boundary=x".to_string()),
        _ => Some("application/x-www-form-urlencoded".to_string()),
    };
    Sent {
        method: Method::POST,
        uri,
        content_type,
        body: full,
    }
}

/// `next=/%09/evil.example` stays on the site after a successful sign-in, and so do the
/// other tricks browsers turn into another host.
#[tokio::test]
async fn next_after_sign_in_stays_on_the_site() {
    let app = TestApp::new().await;
    app.user(
        "next-user",
        Some(kechuang::domain::role::Role::Leader),
        None,
        None,
    )
    .await;
    // As a browser sends them (percent-encoded in the query string).
    for raw in [
        "/%09/evil.example",
        "/%2509/evil.example",
        "//evil.example",
        "/%5Cevil.example",
        "%5C%5Cevil.example",
        "https://evil.example/",
        "/%0d%0aSet-Cookie:x",
        "%0d%0aSet-Cookie:x",
        "%20//evil.example",
        "/%2F/evil.example",
        "/.//evil.example",
    ] {
        let next: String = form_urlencoded::parse(format!("next={raw}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        let mut client = app.client();
        let page = client.get(&format!("/login?next={raw}")).await;
        assert!(
            page.status.as_u16() < 500,
            "GET /login?next={raw}: {}",
            page.status
        );
        // Whatever the page carries forward (and the raw value, as a forged form would).
        let carried = page.value("input[name=next]");
        if let Some(v) = &carried {
            assert!(
                same_site(v),
                "the login page carries next={v:?} for {raw:?}"
            );
        }
        if page.status != StatusCode::OK {
            client.get("/login").await;
        }
        let token = client.cookies.get("kc_prelogin").cloned().unwrap();
        for sent_next in [carried.unwrap_or_default(), next.clone()] {
            let mut c = client.clone();
            let resp = c
                .post_raw(
                    "/login",
                    &[
                        ("csrf_token", token.as_str()),
                        ("username", "next-user"),
                        ("password", common::PASSWORD),
                        ("next", sent_next.as_str()),
                    ],
                    Some("http://localhost"),
                )
                .await;
            if resp.status == StatusCode::BAD_REQUEST {
                // Refused as a control character: no sign-in, no redirect anywhere.
                continue;
            }
            assert_eq!(
                resp.status,
                StatusCode::SEE_OTHER,
                "sign-in with next={sent_next:?}"
            );
            let location = resp.location().unwrap();
            assert!(
                same_site(location),
                "next={sent_next:?} led to {location:?}"
            );
        }
    }
    // A proper same-site next is still followed.
    let mut client = app.client();
    let page = client.get("/login?next=%2Fleadership%3Fyear%3D2025").await;
    let token = page.value("input[name=csrf_token]").unwrap();
    let next = page.value("input[name=next]").unwrap();
    let resp = client
        .post_raw(
            "/login",
            &[
                ("csrf_token", token.as_str()),
                ("username", "next-user"),
                ("password", common::PASSWORD),
                ("next", next.as_str()),
            ],
            Some("http://localhost"),
        )
        .await;
    assert_eq!(resp.location(), Some("/leadership?year=2025"));
}

/// A location a browser follows to this site: one leading `/`, then no second `/` or `\\`
/// (browsers read `\\` as `/`), no control character or space anywhere (browsers drop tabs and
/// line breaks, which would join `/` and `/`).
fn same_site(location: &str) -> bool {
    location.starts_with('/')
        && !location.starts_with("//")
        && !location.starts_with("/\\")
        && !location
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
}

/// An operator asking for another platform gets the same 404 as for a platform that does not
/// exist (no enumeration of ids), on pages, charts and posts alike.
#[tokio::test]
async fn an_out_of_scope_platform_is_as_absent_as_a_nonexistent_one() {
    let app = TestApp::new().await;
    let own = app.platform("OWN-001", "320613").await;
    let other = app.platform("OTHER-001", "320614").await;
    app.user(
        "operator-a",
        Some(kechuang::domain::role::Role::Operator),
        Some(own),
        None,
    )
    .await;
    let mut client = app.signed_in("operator-a").await;
    let missing = other + 1_000_000;
    let mut compared = 0;
    for route in registry() {
        if !route.path.starts_with("/platforms/{id}")
            && !route.path.starts_with("/api/platforms/{id}")
        {
            continue;
        }
        let roles_ok = matches!(route.guard, kechuang::web::Guard::Roles(r, _) if r.contains(&kechuang::domain::role::Role::Operator));
        if !roles_ok {
            continue;
        }
        let path_for = |id: i64| default_concrete(route.path, id, 1);
        let (a, b) = if route.method == Method::GET {
            (
                client.get(&path_for(other)).await,
                client.get(&path_for(missing)).await,
            )
        } else {
            (
                client.post(&path_for(other), &[]).await,
                client.post(&path_for(missing), &[]).await,
            )
        };
        assert_eq!(
            a.status,
            StatusCode::NOT_FOUND,
            "{} {} (other platform)",
            route.method,
            route.path
        );
        assert_eq!(
            b.status,
            StatusCode::NOT_FOUND,
            "{} {} (no platform)",
            route.method,
            route.path
        );
        assert_eq!(
            a.body, b.body,
            "{} {}: the out-of-scope answer differs from the nonexistent one",
            route.method, route.path
        );
        compared += 1;
    }
    assert!(compared >= 10, "only {compared} platform routes compared");
    // And the own platform is there.
    let own_page = client.get(&format!("/platforms/{own}")).await;
    assert_eq!(own_page.status, StatusCode::OK);
}

/// The security admin's role form with a platform or jurisdiction that does not exist: a
/// Chinese 4xx, never a database error.
#[tokio::test]
async fn role_form_with_nonexistent_ids_is_refused_cleanly() {
    let app = TestApp::new().await;
    app.user(
        "sec",
        Some(kechuang::domain::role::Role::Secadmin),
        None,
        None,
    )
    .await;
    let target = app.user("someone", None, None, None).await;
    let mut client = app.signed_in("sec").await;
    let form = client.get(&format!("/security/users/{target}")).await;
    assert_eq!(form.status, StatusCode::OK);
    let version = form
        .value("input[name=version]")
        .unwrap_or_else(|| "0".into());
    for (role, platform, jurisdiction) in [
        ("operator", "999999999", ""),
        ("staff", "", "999999999"),
        ("operator", "9223372036854775807", ""),
        ("staff", "", "-1"),
        ("operator", "99999999999999999999", ""),
        ("nonsense", "", ""),
    ] {
        let resp = client
            .post(
                &format!("/security/users/{target}"),
                &[
                    ("role", role),
                    ("platform_id", platform),
                    ("jurisdiction_id", jurisdiction),
                    ("version", version.as_str()),
                ],
            )
            .await;
        assert!(
            resp.status.is_client_error(),
            "role={role} platform={platform} jurisdiction={jurisdiction}: {} {}",
            resp.status,
            resp.body.chars().take(300).collect::<String>()
        );
        assert!(
            resp.body
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "the refusal is not in Chinese"
        );
    }
    let role: Option<String> = app
        .scalar("SELECT role::text FROM users WHERE id = $1", target)
        .await;
    assert_eq!(role, None, "a refused role form changed the account");
}
