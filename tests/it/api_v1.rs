//! The JSON API for other systems (issue 14, part 3): tokens issued by the security admin
//! (shown once, stored hashed, revocable, audited), the token check (missing, unknown,
//! expired, revoked → 401; another county's platform → 404; too many calls → 429), the data
//! scope of a county token, and the OpenAPI document against the route registry.

use std::collections::BTreeSet;

use crate::common::{Resp, TestApp};
use axum::http::StatusCode;
use kechuang::domain::role::Role;
use kechuang::web::Guard;
use kechuang::web::routes::registry;
use serde_json::Value;

fn json(r: &Resp) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.body))
}

/// The Chinese message of an error answer.
fn error_of(r: &Resp) -> String {
    json(r)["error"].as_str().unwrap_or_default().to_owned()
}

struct City {
    app: TestApp,
    /// In 崇川区 (320613) and in 海门区 (320614).
    own: i64,
    other: i64,
}

async fn city() -> City {
    let app = TestApp::new().await;
    let own = app.platform("CC-001", "320613").await;
    let other = app.platform("HM-001", "320614").await;
    City { app, own, other }
}

/// The security admin issues a token in the browser; returns the token shown once.
async fn issue(app: &TestApp, name: &str, jurisdiction_code: &str) -> String {
    if app
        .value::<i64>("SELECT count(*) FROM users WHERE username = 'sec'")
        .await
        == 0
    {
        app.user("sec", Some(Role::Secadmin), None, None).await;
    }
    let jurisdiction: i32 = app
        .scalar(
            "SELECT id FROM jurisdictions WHERE code = $1",
            jurisdiction_code,
        )
        .await;
    let mut sec = app.signed_in("sec").await;
    let page = sec.get("/security/api-tokens").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let expires = page.value("#f-expires_on").unwrap();
    let resp = sec
        .post(
            "/security/api-tokens",
            &[
                ("name", name),
                ("jurisdiction_id", &jurisdiction.to_string()),
                ("expires_on", &expires),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    let token = resp.text("#issued-token-value");
    assert!(token.starts_with("kc_"), "{token:?}");
    token
}

#[tokio::test]
async fn a_county_token_reads_its_county_only() {
    let c = city().await;
    let county = issue(&c.app, "崇川区数据平台", "320613").await;
    let whole_city = issue(&c.app, "市数据局", "320600").await;
    let mut client = c.app.client();

    let list = client.get_with_token("/api/v1/platforms", &county).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let body = json(&list);
    assert_eq!(body["total"], 1);
    assert_eq!(body["items"][0]["id"], c.own);
    assert_eq!(body["items"][0]["code"], "CC-001");
    assert_eq!(body["items"][0]["jurisdiction_code"], "320613");
    assert_eq!(body["items"][0]["jurisdiction_name"], "崇川区");
    assert_eq!(body["items"][0]["stage_label"], "运行中");

    // Filters cannot widen the scope: another county's code is an empty list.
    let filtered = client
        .get_with_token("/api/v1/platforms?jurisdiction=320614", &county)
        .await;
    assert_eq!(json(&filtered)["total"], 0);
    let all = client
        .get_with_token("/api/v1/platforms", &whole_city)
        .await;
    assert_eq!(json(&all)["total"], 2);
    let haimen = client
        .get_with_token(
            "/api/v1/platforms?jurisdiction=320614&stage=operating&category=technical_service&level=county&q=HM",
            &whole_city,
        )
        .await;
    assert_eq!(json(&haimen)["total"], 1, "{}", haimen.body);
    assert_eq!(json(&haimen)["items"][0]["id"], c.other);

    // Pagination: a page size above the maximum is cut to it.
    let paged = client
        .get_with_token("/api/v1/platforms?per_page=1000&page=2", &whole_city)
        .await;
    let body = json(&paged);
    assert_eq!(
        (body["page"].as_i64(), body["per_page"].as_i64()),
        (Some(2), Some(100))
    );
    assert_eq!(body["items"].as_array().unwrap().len(), 0);
    let one = client
        .get_with_token("/api/v1/platforms?per_page=1&page=2", &whole_city)
        .await;
    assert_eq!(json(&one)["items"][0]["id"], c.other);

    // Bad filters are a 400 in Chinese, never a 5xx.
    for bad in [
        "/api/v1/platforms?category=lab",
        "/api/v1/platforms?jurisdiction=999999",
        "/api/v1/platforms?page=abc",
        "/api/v1/platforms?per_page=-5x",
    ] {
        let r = client.get_with_token(bad, &county).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
        assert!(
            error_of(&r)
                .chars()
                .any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)),
            "{bad}: {}",
            r.body
        );
    }

    // One platform and its records: its own county's, yes; another county's, as if missing.
    for tail in [
        "",
        "/figures",
        "/findings",
        "/evaluations",
        "/support-claims",
    ] {
        let own = client
            .get_with_token(&format!("/api/v1/platforms/{}{tail}", c.own), &county)
            .await;
        assert_eq!(own.status, StatusCode::OK, "{tail}: {}", own.body);
        let other = client
            .get_with_token(&format!("/api/v1/platforms/{}{tail}", c.other), &county)
            .await;
        assert_eq!(
            other.status,
            StatusCode::NOT_FOUND,
            "{tail}: {}",
            other.body
        );
        let missing = client
            .get_with_token(&format!("/api/v1/platforms/99999999{tail}"), &county)
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(
            error_of(&other),
            error_of(&missing),
            "no enumeration of ids"
        );
    }
    let detail = json(
        &client
            .get_with_token(&format!("/api/v1/platforms/{}", c.own), &county)
            .await,
    );
    assert_eq!(detail["code"], "CC-001");
    assert_eq!(detail["level_label"], "县级");
    assert!(detail.get("advisor_name").is_none());

    // Every call is audited; the out-of-scope ones as refusals; the list shows the last use.
    // 6 lists, 4 refused filters, 5 records and 1 detail of its own platform (the refused and
    // missing ones are not calls that reached data).
    assert_eq!(c.app.audit_count("api.call").await, 16);
    let chain = kechuang::db::audit::verify(c.app.pool()).await.unwrap();
    assert_eq!(chain.total_breaks, 0, "{:?}", chain.breaks);
    let refused: i64 = c.app
        .value(
            "SELECT count(*) FROM audit_log WHERE action = 'request.refused' AND after ->> 'reason' = 'out_of_scope'
             AND actor_name LIKE 'api-token-%'",
        )
        .await;
    assert_eq!(refused, 5);
    let used: i64 = c
        .app
        .value("SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL")
        .await;
    assert_eq!(used, 2);
}

#[tokio::test]
async fn figures_findings_and_results_are_the_dashboards_own() {
    let c = city().await;
    let token = c.app.api_token("市数据局", "320600", 10).await;
    let pool = c.app.pool();
    // Self-reported totals (the ledger is empty): the dashboards read them through
    // platform_year_revenue, kept by triggers.
    sqlx::query(
        "INSERT INTO annual_figures (platform_id, year, service_orders, tech_contracts, fiscal_subsidy, expenditure)
         VALUES ($1, 2024, 100, 200, 50, 600), ($1, 2025, 1000, 0, 0, 0)",
    )
    .bind(c.own)
    .execute(pool)
    .await
    .unwrap();
    let mut client = c.app.client();
    let figures = client
        .get_with_token(&format!("/api/v1/platforms/{}/figures", c.own), &token)
        .await;
    assert_eq!(figures.status, StatusCode::OK, "{}", figures.body);
    let body = json(&figures);
    assert_eq!(body["unit"], "元");
    let years = body["years"].as_array().unwrap();
    let expected = kechuang::db::dashboards::platform_years(pool, c.own)
        .await
        .unwrap();
    assert_eq!(years.len(), 2);
    assert_eq!(years.len(), expected.len());
    assert_eq!(years[0]["self_generated"], 300);
    assert_eq!(years[0]["self_generated_ratio"], 0.5);
    assert_eq!(years[1]["self_generated_ratio"], Value::Null);
    for (y, e) in years.iter().zip(&expected) {
        assert_eq!(y["year"], e.year);
        assert_eq!(y["self_generated"], e.self_generated);
        assert_eq!(y["expenditure"], e.expenditure);
        assert_eq!(y["self_generated_ratio"].as_f64(), e.ratio());
    }
    let from = client
        .get_with_token(
            &format!("/api/v1/platforms/{}/figures?from_year=2025", c.own),
            &token,
        )
        .await;
    assert_eq!(json(&from)["years"].as_array().unwrap().len(), 1);
    assert_eq!(json(&from)["years"][0]["year"], 2025);

    kechuang::db::compliance::refresh(pool, Some(&[c.own]), kechuang::clock::today())
        .await
        .unwrap();
    let stored = kechuang::db::compliance::findings_of(pool, c.own)
        .await
        .unwrap();
    assert!(!stored.is_empty());
    let findings = json(
        &client
            .get_with_token(&format!("/api/v1/platforms/{}/findings", c.own), &token)
            .await,
    );
    let items = findings["items"].as_array().unwrap();
    assert_eq!(items.len(), stored.len());
    assert!(
        items
            .iter()
            .all(|f| !f["rule_name"].as_str().unwrap().is_empty())
    );
    let failing = stored
        .iter()
        .filter(|f| f.status == kechuang::domain::compliance::Status::Fail)
        .count();
    let only_fail = json(
        &client
            .get_with_token(
                &format!("/api/v1/platforms/{}/findings?status=fail", c.own),
                &token,
            )
            .await,
    );
    assert_eq!(only_fail["items"].as_array().unwrap().len(), failing);
    let bad = client
        .get_with_token(
            &format!("/api/v1/platforms/{}/findings?status=bad", c.own),
            &token,
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let results = json(
        &client
            .get_with_token(&format!("/api/v1/platforms/{}/evaluations", c.own), &token)
            .await,
    );
    assert_eq!(results["platform_id"], c.own);
    assert_eq!(results["items"], serde_json::json!([]));

    // Support claims: as the platform's 支持政策 page lists them, newest first.
    let none = json(
        &client
            .get_with_token(
                &format!("/api/v1/platforms/{}/support-claims", c.own),
                &token,
            )
            .await,
    );
    assert_eq!(none["items"], serde_json::json!([]));
    let mut tx =
        kechuang::db::audit::begin(c.app.pool(), &kechuang::db::audit::Actor::system("test"))
            .await
            .unwrap();
    let doc: i64 = sqlx::query_scalar(
        "INSERT INTO documents (platform_id, kind, title) VALUES ($1, 'other', '申报书') RETURNING id",
    )
    .bind(c.own)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO support_claims (platform_id, programme, as_of, computed_yuan, up_to, document_id, status,
                                     granted_yuan, reviewed_at, paid_on, paid_yuan, voucher_no)
         VALUES ($1, 'JS-TECH-TRANSFER', '2026-03-01', 90000, false, $2, 'paid', 80000, now(), '2026-05-01', 80000, 'PZ-1'),
                ($1, 'NT-REWARD', '2026-06-01', 200000, false, $2, 'submitted', NULL, NULL, NULL, NULL, NULL)",
    )
    .bind(c.own)
    .bind(doc)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let claims = json(
        &client
            .get_with_token(
                &format!("/api/v1/platforms/{}/support-claims", c.own),
                &token,
            )
            .await,
    );
    let items = claims["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{claims}");
    assert_eq!(items[0]["programme"], "NT-REWARD");
    assert_eq!(items[0]["status_label"], "已申报，待审核");
    assert_eq!(items[0]["granted_yuan"], Value::Null);
    assert_eq!(items[1]["programme"], "JS-TECH-TRANSFER");
    assert_eq!(items[1]["computed_yuan"], 90000);
    assert_eq!(items[1]["granted_yuan"], 80000);
    assert_eq!(items[1]["paid_on"], "2026-05-01");
    assert_eq!(items[1]["status"], "paid");
    assert!(
        items[1]["programme_name"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );
}

#[tokio::test]
async fn missing_unknown_expired_and_revoked_tokens_are_refused() {
    let c = city().await;
    let live = issue(&c.app, "崇川区数据平台", "320613").await;
    let expired = c.app.api_token("过期的系统", "320613", -1).await;
    let mut client = c.app.client();

    let none = client.get("/api/v1/platforms").await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert!(error_of(&none).contains("缺少接口令牌"), "{}", none.body);
    assert!(none.headers.get("www-authenticate").is_some());
    let unknown = client
        .get_with_token("/api/v1/platforms", "kc_not-a-token")
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(error_of(&unknown).contains("无效"));
    let old = client.get_with_token("/api/v1/platforms", &expired).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    assert!(error_of(&old).contains("已过期"), "{}", old.body);

    // A signed-in session is no token.
    c.app
        .user("staff", Some(Role::Staff), None, Some("320600"))
        .await;
    let mut staff = c.app.signed_in("staff").await;
    let session = staff.get("/api/v1/platforms").await;
    assert_eq!(session.status, StatusCode::UNAUTHORIZED);

    // Revoking: asked to confirm first, then the token stops working at once.
    assert_eq!(
        client
            .get_with_token("/api/v1/platforms", &live)
            .await
            .status,
        StatusCode::OK
    );
    let id: i64 = c
        .app
        .value("SELECT id FROM api_tokens WHERE name = '崇川区数据平台'")
        .await;
    let mut sec = c.app.signed_in("sec").await;
    let list = sec.get("/security/api-tokens").await;
    let prompt = list
        .value(&format!(
            "form[action='/security/api-tokens/{id}/revoke'] input[name=confirm_prompt]"
        ))
        .expect("a revoke button asking for confirmation");
    let path = format!("/security/api-tokens/{id}/revoke");
    let asked = sec.post(&path, &[("confirm_prompt", &prompt)]).await;
    assert_eq!(asked.status, StatusCode::OK);
    assert_eq!(
        client
            .get_with_token("/api/v1/platforms", &live)
            .await
            .status,
        StatusCode::OK,
        "not revoked before it is confirmed"
    );
    let done = sec
        .post(&path, &[("confirm_prompt", &prompt), ("confirmed", "1")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let revoked = client.get_with_token("/api/v1/platforms", &live).await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);
    assert!(error_of(&revoked).contains("吊销"), "{}", revoked.body);
    let list = sec.get("/security/api-tokens").await;
    assert!(list.body.contains("已吊销") && list.body.contains("已过期"));
    assert_eq!(c.app.audit_count("api_token.revoke").await, 1);
    assert_eq!(c.app.audit_count("api_token.issue").await, 1);
    // A revoked token cannot be revoked again.
    let again = sec
        .post(&path, &[("confirm_prompt", &prompt), ("confirmed", "1")])
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    let refused: Vec<String> = c.app
        .values(
            "SELECT after ->> 'reason' FROM audit_log WHERE action = 'request.refused' ORDER BY seq",
        )
        .await;
    for reason in [
        "api_token_missing",
        "api_token_unknown",
        "api_token_expired",
        "api_token_revoked",
    ] {
        assert!(refused.iter().any(|r| r == reason), "{reason}: {refused:?}");
    }
}

#[tokio::test]
async fn the_token_is_shown_once_and_stored_hashed() {
    let c = city().await;
    let token = issue(&c.app, "省科技厅", "320600").await;
    let stored: (String, String) =
        sqlx::query_as("SELECT token_hash, token_prefix FROM api_tokens WHERE name = '省科技厅'")
            .fetch_one(c.app.pool())
            .await
            .unwrap();
    assert_eq!(stored.0, kechuang::db::api_tokens::hash(&token));
    assert!(token.starts_with(&stored.1) && stored.1.len() < 12);
    let mut sec = c.app.signed_in("sec").await;
    let list = sec.get("/security/api-tokens").await;
    assert!(!list.body.contains(&token), "the token is shown again");
    assert!(list.text("#api-tokens").contains("省科技厅"));
    assert!(list.text("#api-tokens").contains("从未使用"));
    let audit: String = c
        .app
        .value("SELECT after::text FROM audit_log WHERE action = 'api_token.issue'")
        .await;
    assert!(
        !audit.contains(&token[3..]),
        "the token is in the audit trail"
    );

    // The form checks what it is given, in Chinese next to each field, keeping what was typed.
    let bad = sec
        .post(
            "/security/api-tokens",
            &[
                ("name", "某系统"),
                ("jurisdiction_id", ""),
                ("expires_on", "2099-01-01"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!bad.text("#f-jurisdiction_id-error").is_empty());
    assert!(bad.text("#f-expires_on-error").contains("最长一年"));
    assert_eq!(bad.value("#f-name").as_deref(), Some("某系统"));
    // Nobody but the security admin issues tokens.
    c.app
        .user("staff", Some(Role::Staff), None, Some("320600"))
        .await;
    let mut staff = c.app.signed_in("staff").await;
    assert_eq!(
        staff.get("/security/api-tokens").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn too_many_calls_answer_429_with_retry_after() {
    let c = city().await;
    let token = c.app.api_token("急躁的系统", "320613", 1).await;
    let other = c.app.api_token("另一个系统", "320613", 1).await;
    let mut client = c.app.client();
    let mut limited = None;
    for n in 1..=120 {
        let r = client.get_with_token("/api/v1/platforms", &token).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some((n, r));
            break;
        }
        assert_eq!(r.status, StatusCode::OK);
    }
    let (n, r) = limited.expect("never limited");
    assert!(
        n > kechuang::web::limits::API_BURST as usize,
        "limited after {n} calls"
    );
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert!(error_of(&r).contains("调用过于频繁"));
    // The limit is per token.
    assert_eq!(
        client
            .get_with_token("/api/v1/platforms", &other)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_openapi_document_describes_exactly_the_registered_api() {
    let app = TestApp::new().await;
    let resp = app.client().get("/api/v1/openapi.json").await;
    assert_eq!(resp.status, StatusCode::OK);
    let doc = json(&resp);
    let version = doc["openapi"].as_str().unwrap();
    assert!(version.starts_with("3."), "{version}");
    assert!(!doc["info"]["title"].as_str().unwrap().is_empty());

    let documented: BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    let registered: BTreeSet<String> = registry()
        .iter()
        .filter(|r| matches!(r.guard, Guard::ApiToken(_)))
        .map(|r| r.path.to_owned())
        .collect();
    assert_eq!(documented, registered);
    assert_eq!(registered.len(), 6);

    // Structure: every operation is a GET with an id, a summary, the bearer scheme, a 200
    // and a 401; every path parameter is declared; every reference resolves.
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let ops = item.as_object().unwrap();
        assert_eq!(ops.keys().collect::<Vec<_>>(), ["get"], "{path}");
        let op = &ops["get"];
        assert!(!op["operationId"].as_str().unwrap().is_empty(), "{path}");
        assert!(!op["summary"].as_str().unwrap().is_empty(), "{path}");
        assert!(
            op["security"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s.get("bearer").is_some())
        );
        for status in ["200", "401"] {
            assert!(
                op["responses"].get(status).is_some(),
                "{path} lacks {status}"
            );
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        for seg in path.split('/').filter(|s| s.starts_with('{')) {
            let name = seg.trim_matches(|c| c == '{' || c == '}');
            assert!(
                params
                    .iter()
                    .any(|p| p["name"] == name && p["in"] == "path" && p["required"] == true),
                "{path}: {name} undeclared"
            );
        }
        for p in &params {
            assert!(
                !p["description"].as_str().unwrap_or("").is_empty(),
                "{path}: {p}"
            );
        }
    }
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {r}"));
        assert!(schemas.contains_key(name), "{r} does not resolve");
    }

    validate_with_openapi_spec_validator(&resp.body);
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// The PyPI validator `openapi-spec-validator` (installed by .ci/run), when Python has it.
fn validate_with_openapi_spec_validator(doc: &str) {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let has = std::process::Command::new(&python)
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has {
        eprintln!(
            "openapi-spec-validator is not installed for {python}: only the structural checks ran \
             (pip install openapi-spec-validator)"
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("kc-openapi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("openapi.json");
    std::fs::write(&file, doc).unwrap();
    let out = std::process::Command::new(&python)
        .args([
            "-c",
            "import json, sys\n\
             from openapi_spec_validator import validate\n\
             validate(json.load(open(sys.argv[1], encoding='utf-8')))\n\
             print('valid')",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "openapi-spec-validator refused the document:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("openapi-spec-validator: valid");
}

#[tokio::test]
async fn the_api_page_for_people_lists_every_endpoint_in_chinese() {
    let app = TestApp::new().await;
    let page = app.client().get("/api-docs").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("h1"), "数据接口说明");
    let listed = page.texts(".api-endpoint header code");
    for r in registry()
        .iter()
        .filter(|r| matches!(r.guard, Guard::ApiToken(_)))
    {
        assert!(
            listed.iter().any(|l| l == &format!("GET {}", r.path)),
            "{} missing from {listed:?}",
            r.path
        );
    }
    assert!(page.text("#api-example").contains("Authorization: Bearer"));
    assert!(
        page.text(".api-endpoint h3")
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    );
}
