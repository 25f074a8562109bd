//! Compliance from the database: snapshots equal to what `kechuang check` sees, findings stored,
//! checklist items opened and closed by the findings, refreshed by writes.

use crate::common::{TestApp, platform};
use axum::http::StatusCode;
use kechuang::db::compliance;
use kechuang::domain::compliance::check_json;
use kechuang::domain::role::Role;

#[tokio::test]
async fn every_demo_platforms_findings_equal_check_on_its_snapshot() {
    let app = TestApp::with_demo().await;
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    let refreshed = compliance::refresh(app.pool(), None, as_of).await.unwrap();
    assert_eq!(refreshed.platforms, kechuang::demo::PLATFORMS);

    let snapshots = app.snapshots(None, as_of).await;
    assert_eq!(snapshots.len(), kechuang::demo::PLATFORMS);
    let mut statuses_seen = std::collections::BTreeSet::new();
    for (id, snap) in snapshots {
        // What `kechuang snapshot` prints, fed to `kechuang check`.
        let json = serde_json::to_string(&snap).unwrap();
        let out = check_json(&json)
            .unwrap_or_else(|e| panic!("snapshot of {id} is not valid check input: {e}\n{json}"));
        let stored: Vec<(String, String)> = sqlx::query_as(
            "SELECT rule_id, status FROM findings WHERE platform_id = $1 ORDER BY rule_id",
        )
        .bind(id)
        .fetch_all(app.pool())
        .await
        .unwrap();
        let mut from_check: Vec<(String, String)> = out
            .findings
            .iter()
            .map(|f| (f.rule.to_string(), f.status.as_str().to_string()))
            .collect();
        from_check.sort();
        assert_eq!(stored, from_check, "platform {id}");
        statuses_seen.extend(from_check.into_iter().map(|(_, s)| s));
    }
    assert!(
        statuses_seen.len() >= 4,
        "the demo exercises several statuses: {statuses_seen:?}"
    );
}

#[tokio::test]
async fn failing_findings_open_checklist_items_and_a_fix_closes_them() {
    let app = TestApp::new().await;
    let id = platform("NT-2026-001")
        .registering()
        .category(None)
        .insert(&app)
        .await;
    let today = kechuang::clock::today();
    compliance::refresh(app.pool(), Some(&[id]), today)
        .await
        .unwrap();
    let status: String = app.finding(id, "REG-CATEGORY").await;
    assert_eq!(status, "fail");
    let open: i64 = app
        .scalar(
            "SELECT count(*) FROM checklist_items WHERE platform_id = $1 AND source = 'rule:REG-CATEGORY' AND status = 'open'",
            id,
        )
        .await;
    assert_eq!(open, 1);
    // A second refresh opens nothing new.
    compliance::refresh(app.pool(), Some(&[id]), today)
        .await
        .unwrap();
    let items: i64 = app
        .scalar(
            "SELECT count(*) FROM checklist_items WHERE platform_id = $1 AND source = 'rule:REG-CATEGORY'",
            id,
        )
        .await;
    assert_eq!(items, 1);

    // Marked done by the operator but still failing: still one item, not a second one.
    sqlx::query("UPDATE checklist_items SET status = 'done' WHERE platform_id = $1 AND source = 'rule:REG-CATEGORY'")
        .bind(id)
        .execute(app.pool())
        .await
        .unwrap();
    compliance::refresh(app.pool(), Some(&[id]), today)
        .await
        .unwrap();
    let items: i64 = app
        .scalar(
            "SELECT count(*) FROM checklist_items WHERE platform_id = $1 AND source = 'rule:REG-CATEGORY'",
            id,
        )
        .await;
    assert_eq!(items, 1);

    // Staff set the category in the registry: the write refreshes the platform at once.
    let mut staff = app.staff_signed_in("staff1", "320600").await;
    let form = staff.get(&format!("/platforms/{id}/edit")).await;
    let field = |name: &str| form.value(&format!("[name={name}]")).unwrap_or_default();
    let (code, name, jurisdiction, version) = (field("code"), field("name"), "", field("version"));
    let jurisdiction_id: i32 = app
        .scalar("SELECT jurisdiction_id FROM platforms WHERE id = $1", id)
        .await;
    let _ = jurisdiction;
    let resp = staff
        .post(
            &format!("/platforms/{id}"),
            &[
                ("code", &code),
                ("name", &name),
                ("jurisdiction_id", &jurisdiction_id.to_string()),
                ("level", "county"),
                ("category", "technical_service"),
                ("legal_form", "enterprise"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let status: String = app.finding(id, "REG-CATEGORY").await;
    assert_eq!(status, "pass");
    let (state, evidence): (String, String) =
        sqlx::query_as("SELECT status, evidence FROM checklist_items WHERE platform_id = $1 AND source = 'rule:REG-CATEGORY'")
            .bind(id)
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(state, "closed");
    assert!(evidence.contains("自动关闭"));
    assert!(app.audit_count("compliance.refresh").await >= 2);
}

#[tokio::test]
async fn findings_pages_follow_scope() {
    let app = TestApp::new().await;
    let own = app.platform("NT-2026-001", "320613").await;
    let other = app.platform("NT-2026-002", "320614").await;
    compliance::refresh(app.pool(), None, kechuang::clock::today())
        .await
        .unwrap();
    app.user("county1", Some(Role::Staff), None, Some("320613"))
        .await;
    app.user("leader1", Some(Role::Leader), None, None).await;
    app.user("op1", Some(Role::Operator), Some(own), None).await;

    let mut op = app.signed_in("op1").await;
    let page = op.get(&format!("/platforms/{own}/compliance")).await;
    assert_eq!(page.status, StatusCode::OK);
    let rows = page.texts("tr.finding");
    assert_eq!(rows.len(), 23, "every rule once");
    assert!(page.body.contains("data-rule=\"OPS-CHECKLIST\""));
    assert_eq!(
        op.get(&format!("/platforms/{other}/compliance"))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "another platform answers like a missing one"
    );
    assert_eq!(op.get("/compliance").await.status, StatusCode::FORBIDDEN);

    let mut county = app.signed_in("county1").await;
    let matrix = county.get("/compliance").await;
    assert_eq!(
        matrix.texts("#matrix tbody tr").len(),
        1,
        "county staff see their county only"
    );
    let mut leader = app.signed_in("leader1").await;
    let matrix = leader.get("/compliance").await;
    assert_eq!(matrix.texts("#matrix tbody tr").len(), 2);
    let rule = leader.get("/compliance/rules/OPS-ADVISOR").await;
    assert_eq!(
        rule.texts("#rule-platforms tbody tr").len(),
        2,
        "no advisor anywhere: both fail"
    );
    assert_eq!(
        leader.get("/compliance/rules/NO-SUCH-RULE").await.status,
        StatusCode::NOT_FOUND
    );
}

use crate::visible;

/// The matrix, a platform's compliance tab and a rule's page read in Chinese: rules by name (the
/// id only inside `.rule-id`), facts as labelled values with units, no raw keys or codes.
#[tokio::test]
async fn compliance_pages_name_rules_and_facts_in_chinese() {
    let app = TestApp::with_demo().await;
    compliance::refresh(app.pool(), None, kechuang::clock::today())
        .await
        .unwrap();
    app.user("leader1", Some(Role::Leader), None, None).await;
    let mut leader = app.signed_in("leader1").await;

    let matrix = leader.get("/compliance").await;
    assert_eq!(matrix.status, StatusCode::OK);
    let headers = matrix.texts("#matrix thead th[data-rule] a");
    assert_eq!(headers.len(), 23);
    assert!(headers.contains(&"收支平衡".to_string()), "{headers:?}");
    assert!(headers.contains(&"建设期满验收".to_string()), "{headers:?}");
    let seen = visible::visible_text(&matrix.body);
    assert!(seen.contains("一平台一清单") && seen.contains("产业顾问"));
    assert_eq!(visible::bare_codes(&seen), Vec::<String>::new());
    assert!(!seen.contains("OPS-") && !seen.contains("POLICY-RULES.md"));
    // The id is still there, small and marked.
    assert!(
        matrix
            .body
            .contains("<small class=\"rule-id\">OPS-CHECKLIST</small>")
    );

    let strategic: i64 = app
        .value(
            "SELECT id FROM platforms WHERE category = 'strategic_task' AND stage = 'operating' ORDER BY id LIMIT 1",
        )
        .await;
    let tab = leader
        .get(&format!("/platforms/{strategic}/compliance"))
        .await;
    assert_eq!(tab.status, StatusCode::OK);
    let seen = visible::visible_text(&tab.body);
    assert_eq!(visible::bare_codes(&seen), Vec::<String>::new(), "{seen}");
    for raw in [
        "strategic_task",
        "target_completion",
        "self_income_yuan",
        "NT10",
    ] {
        assert!(!seen.contains(raw), "{raw} shown on the compliance tab");
    }
    assert!(
        seen.contains("平台类别") && seen.contains("战略任务类"),
        "{seen}"
    );
    assert!(seen.contains("南通市工作指引"));
    // Fractions as percentages with one decimal, money in 万元.
    let facts = tab.texts("dl.mini dd").join(" ");
    assert!(facts.contains('%') && facts.contains("万元"), "{facts}");
    assert!(
        !facts
            .split_whitespace()
            .any(|v| v.contains('.') && v.split('.').nth(1).is_some_and(|d| d.len() > 2)),
        "a long raw float among {facts}"
    );

    let rule = leader.get("/compliance/rules/REG-DECISION-BODY").await;
    assert_eq!(rule.text("h1"), "决策机构 REG-DECISION-BODY");
    let seen = visible::visible_text(&rule.body);
    assert_eq!(visible::bare_codes(&seen), Vec::<String>::new(), "{seen}");
}
