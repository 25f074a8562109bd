//! The policy library: the start-up sync (idempotent, repairs drift, system-only), the policy and
//! rule pages for staff and leaders, who else is refused, and that every rule page quotes the
//! original text of every clause it cites.

use crate::common;

use crate::common::{Client, TestApp};
use axum::http::StatusCode;
use kechuang::db::audit::{self, Actor};
use kechuang::db::policies::{self, sha256_hex};
use kechuang::domain::compliance::{Phase, rules};
use kechuang::domain::policy_text::{library, policy, resolve_citation, rule_links};
use kechuang::domain::role::Role;

async fn synced_app() -> TestApp {
    let app = TestApp::new().await;
    let report = policies::sync(app.pool()).await.expect("sync");
    assert_eq!(report.policies_changed, ["NT10", "NJ", "JY", "LYG", "JS"]);
    app
}

async fn staff(app: &TestApp) -> Client {
    app.user("staff", Some(Role::Staff), None, Some("320600"))
        .await;
    app.signed_in("staff").await
}

async fn leader(app: &TestApp) -> Client {
    app.user("leader", Some(Role::Leader), None, None).await;
    app.signed_in("leader").await
}

/// Whitespace does not matter when comparing quoted text with the source.
fn squash(s: &str) -> String {
    s.split_whitespace().collect()
}

#[tokio::test]
async fn sync_fills_the_tables_and_a_second_run_changes_nothing() {
    let app = synced_app().await;
    let clauses: usize = library().iter().map(|p| p.clauses.len()).sum();
    assert_eq!(app.value::<i64>("SELECT count(*) FROM policies").await, 5);
    assert_eq!(
        app.value::<i64>("SELECT count(*) FROM policy_clauses",)
            .await,
        clauses as i64
    );
    assert_eq!(app.audit_count("policy.sync").await, 5);
    let synced_at: Vec<chrono::DateTime<chrono::Utc>> = app
        .values("SELECT synced_at FROM policies ORDER BY short_id")
        .await;

    let again = policies::sync(app.pool()).await.unwrap();
    assert!(again.is_noop(), "{again:?}");
    assert_eq!(app.value::<i64>("SELECT count(*) FROM policies").await, 5);
    assert_eq!(
        app.value::<i64>("SELECT count(*) FROM policy_clauses",)
            .await,
        clauses as i64
    );
    assert_eq!(
        app.audit_count("policy.sync").await,
        5,
        "no change, no audit record"
    );
    let synced_again: Vec<chrono::DateTime<chrono::Utc>> = app
        .values("SELECT synced_at FROM policies ORDER BY short_id")
        .await;
    assert_eq!(synced_at, synced_again, "rows untouched");

    // Stored as parsed, with the source's hash.
    let (status, sha, number): (String, String, Option<String>) = sqlx::query_as(
        "SELECT status, source_sha256, number FROM policies WHERE short_id = 'NT10'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(status, "in_force");
    assert_eq!(number.as_deref(), Some("通政办发〔2025〕10号"));
    assert_eq!(sha, sha256_hex(include_str!("../../policies/NT10.txt")));
    let js: String = app
        .value("SELECT status FROM policies WHERE short_id = 'JS'")
        .await;
    assert_eq!(js, "draft");
    let (parent, level, heading): (Option<String>, i16, String) = sqlx::query_as(
        "SELECT parent_id, level, heading FROM policy_clauses WHERE policy = 'NT10' AND clause_id = '二(一)3'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(
        (parent.as_deref(), level, heading.as_str()),
        (Some("二(一)"), 3, "技术服务类")
    );
}

#[tokio::test]
async fn sync_repairs_rows_that_differ_from_the_embedded_texts() {
    let app = synced_app().await;
    let total = app
        .value::<i64>("SELECT count(*) FROM policy_clauses")
        .await;
    // As if the texts had changed since the last start: a stale hash, an edited clause, a clause
    // that is no longer in the text, and a missing one.
    let actor = Actor::system("test");
    let mut tx = audit::begin(app.pool(), &actor).await.unwrap();
    for sql in [
        "UPDATE policies SET source_sha256 = repeat('0', 64), title = '旧标题' WHERE short_id = 'NT10'",
        "UPDATE policy_clauses SET text = '旧文本' WHERE policy = 'NT10' AND clause_id = '三(一)'",
        "INSERT INTO policy_clauses (policy, clause_id, parent_id, kind, level, ordinal, anchor, heading, text)
         VALUES ('NT10', '五', NULL, 'chapter', 1, 999, 'c-5', '已删除', '已删除的条款')",
        "DELETE FROM policy_clauses WHERE policy = 'LYG' AND clause_id = '二(五)16'",
    ] {
        sqlx::query(sql).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();

    let report = policies::sync(app.pool()).await.unwrap();
    assert_eq!(report.policies_changed, ["NT10", "LYG"]);
    assert_eq!(
        report.clauses_written, 2,
        "三(一) rewritten, 二(五)16 restored"
    );
    assert_eq!(report.clauses_deleted, 1);
    assert_eq!(
        app.value::<i64>("SELECT count(*) FROM policy_clauses",)
            .await,
        total
    );
    let text: String = app
        .value("SELECT text FROM policy_clauses WHERE policy = 'NT10' AND clause_id = '三(一)'")
        .await;
    assert_eq!(text, policy("NT10").unwrap().clause("三(一)").unwrap().text);
    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE action = 'policy.sync' AND entity_id = 'NT10'
         ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(before["source_sha256"], "0".repeat(64));
    assert_eq!(
        after["source_sha256"],
        sha256_hex(include_str!("../../policies/NT10.txt"))
    );
    assert!(policies::sync(app.pool()).await.unwrap().is_noop());
}

#[tokio::test]
async fn only_the_system_writes_the_library() {
    let app = synced_app().await;
    let id = app
        .user("staff", Some(Role::Staff), None, Some("320600"))
        .await;
    let actor = Actor {
        id: Some(id),
        name: "staff".into(),
        role: Some(Role::Staff),
        addr: None,
    };
    let mut tx = audit::begin(app.pool(), &actor).await.unwrap();
    let err = sqlx::query("UPDATE policy_clauses SET text = '篡改' WHERE policy = 'NT10'")
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("system only"), "{err}");
}

#[tokio::test]
async fn the_policy_list_shows_status_counts_and_the_draft() {
    let app = synced_app().await;
    for mut client in [staff(&app).await, leader(&app).await] {
        let page = client.get("/policies").await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(
            page.texts("#policy-list tbody tr td:first-child"),
            [
                "南通市工作指引",
                "南京市实施意见",
                "江阴市行动计划",
                "连云港市行动方案",
                "江苏省若干措施（征求意见稿）"
            ]
        );
        assert_eq!(
            page.text("tr[data-policy=NT10] .policy-status"),
            "主要政策 · 现行有效"
        );
        assert_eq!(page.text("tr[data-policy=JS] .policy-status"), "征求意见稿");
        for reference in ["NJ", "JY", "LYG"] {
            assert_eq!(
                page.text(&format!("tr[data-policy={reference}] .policy-status")),
                "参考政策"
            );
        }
        for p in library() {
            let citing: std::collections::BTreeSet<_> = rule_links()
                .into_iter()
                .filter(|l| l.citation.policy == p.short_id())
                .map(|l| l.rule.id)
                .collect();
            let row = format!("tr[data-policy={}]", p.short_id());
            assert_eq!(
                page.text(&format!("{row} td.clauses")),
                p.clauses.len().to_string()
            );
            assert_eq!(
                page.text(&format!("{row} td.rules")),
                citing.len().to_string()
            );
        }
        assert_eq!(page.text("tr[data-policy=JY] td.rules"), "4");
        assert!(
            page.text("tr[data-policy=NT10]")
                .contains("通政办发〔2025〕10号 2025-03-14 2025-03-18")
        );
        assert_eq!(page.texts("header.topbar a[aria-current=page]"), ["政策库"]);
    }
}

#[tokio::test]
async fn a_policy_page_shows_the_clause_tree_with_its_rules() {
    let app = synced_app().await;
    let mut c = staff(&app).await;
    let page = c.get("/policies/NT10").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.text("h1"),
        "市政府办公室关于印发南通市科技创新平台市场化转型、产业化发展工作指引的通知"
    );
    assert!(page.texts("#draft-warning").is_empty());
    // One collapsible section per chapter, open.
    assert_eq!(
        page.texts("details.chapter[open] > summary"),
        ["一 工作目标", "二 重点任务", "三 工作举措", "四 保障措施"]
    );
    let lifecycle = page.text("#c-3-1");
    assert!(lifecycle.starts_with(
        "三(一) 建立全过程管理机制 建立全过程管理机制。建立“设立登记-运行管理-退出整改”"
    ));
    let implementing = page.texts("#c-3-1 .clause-rules a");
    for rule in [
        "REG-CHARTER",
        "REG-DECISION-BODY",
        "OPS-ADVISOR",
        "OPS-CHECKLIST",
        "OPS-STAFF",
        "RECT-PROGRESS",
        "RECT-GRADE",
    ] {
        let name = kechuang::domain::compliance::rule(rule).unwrap().name_zh;
        assert!(
            implementing.contains(&name.to_string()),
            "{rule} in {implementing:?}"
        );
    }
    assert!(
        page.text("#c-2-1\\.3")
            .contains("技术服务类。以提供公共技术服务为主营业务")
    );
    assert_eq!(page.texts("#c-2-1\\.3 .clause-rules a"), ["技术服务主业"]);
    // The chapter's own text is under its summary, every clause has its anchor.
    assert!(
        page.text("#c-1 .clause-body")
            .contains("利用两年左右时间完成市场化转型")
    );
    assert_eq!(
        page.texts("#c-1 > .clause-body .clause-rules a"),
        ["收支平衡"]
    );
    let anchors = page.texts("[data-clause]").len();
    assert_eq!(anchors, policy("NT10").unwrap().clauses.len());

    // JY: the plans, their prefixed clause IDs, the traditional original text.
    let jy = leader(&app).await.get("/policies/JY").await;
    assert_eq!(jy.status, StatusCode::OK);
    assert_eq!(
        jy.texts(".policy-part h3"),
        [
            "创新型企业 江陰市創新型企業培育行動計劃(2023—2025年)",
            "新型研发机构 江陰市加快建設新型研發機構行動計劃(2023—2025年)",
            "技术转移 江陰市促進科技成果轉移轉化行動計劃(2023—2025年)"
        ]
    );
    let governance = jy.text("#c-p2-3-2\\.4");
    assert!(governance.starts_with("新型研发机构 三(二)4 支持新型研發機構運行創新"));
    assert!(governance.contains("理事會或董事會決策制"));
    assert_eq!(jy.texts("#c-p2-3-2\\.4 .clause-rules a"), ["决策机构"]);
    // The construction acceptance (三(四)10) is checked by OPS-ACCEPTANCE, named in Chinese.
    assert!(jy.text("#c-p2-3-4\\.10").contains("驗收考核"));
    assert_eq!(jy.texts("#c-p2-3-4\\.10 .clause-rules a"), ["建设期满验收"]);
}

#[tokio::test]
async fn the_draft_is_marked_as_a_draft() {
    let app = synced_app().await;
    let mut c = staff(&app).await;
    let page = c.get("/policies/JS").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("#policy-status"), "征求意见稿");
    assert!(
        page.text("#draft-warning")
            .contains("「征求意见稿」，尚未正式印发")
    );
    assert_eq!(
        page.text("h1"),
        "关于突出市场导向建设科技成果转化高地的若干措施"
    );
    assert!(page.text("#c-annex").contains("支持政策清单"));
    let nt10 = c.get("/policies/NT10").await;
    assert_eq!(nt10.text("#policy-status"), "主要政策 · 现行有效");
    let nj = c.get("/policies/NJ").await;
    assert_eq!(nj.text("#policy-status"), "参考政策");
    assert!(nj.text("#policy-facts").contains("原文未载标题"));
}

#[tokio::test]
async fn the_rule_catalogue_is_grouped_by_phase_and_links_to_clauses() {
    let app = synced_app().await;
    let mut c = leader(&app).await;
    let page = c.get("/rules").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.texts(".rule-phase h2")
            .iter()
            .map(|h| h.split(' ').next().unwrap().to_string())
            .collect::<Vec<_>>(),
        [
            "设立登记",
            "运行管理",
            "年度考核",
            "市场化转型",
            "退出整改",
            "科研诚信"
        ]
    );
    let ids = page.texts("tr[data-rule] td:nth-child(2) .rule-id");
    assert_eq!(ids.len(), rules().len());
    // Phase by phase, and within a phase in the spec's order.
    let mut by_phase: Vec<(usize, usize, &str)> = rules()
        .iter()
        .enumerate()
        .map(|(n, r)| (PHASES.iter().position(|p| *p == r.phase).unwrap(), n, r.id))
        .collect();
    by_phase.sort();
    assert_eq!(
        ids,
        by_phase
            .iter()
            .map(|(_, _, id)| id.to_string())
            .collect::<Vec<_>>()
    );
    let doc = page.doc();
    let sel = scraper::Selector::parse("tr[data-rule=REG-CHARTER] td.citations a").unwrap();
    let hrefs: Vec<_> = doc
        .select(&sel)
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(hrefs, ["/policies/NT10#c-3-1"]);
    let sel = scraper::Selector::parse("tr[data-rule=REG-DECISION-BODY] td.citations a").unwrap();
    let hrefs: Vec<_> = doc
        .select(&sel)
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(hrefs, ["/policies/NT10#c-3-1", "/policies/JY#c-p2-3-2.4"]);
    assert!(
        page.text("tr[data-rule=MKT-BREAK-EVEN] td.params")
            .contains("建设期满后收支平衡期限 24 个月")
    );
    assert_eq!(page.text("tr[data-rule=REG-CHARTER] td.params"), "无");
}

const PHASES: [Phase; 6] = [
    Phase::Registration,
    Phase::Operation,
    Phase::AnnualCycle,
    Phase::Market,
    Phase::Rectification,
    Phase::Integrity,
];

#[tokio::test]
async fn every_rule_page_quotes_the_original_text_of_each_cited_clause() {
    let app = synced_app().await;
    let mut c = staff(&app).await;
    let mut quoted = 0;
    for rule in rules() {
        let page = c.get(&format!("/rules/{}", rule.id)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", rule.id);
        assert_eq!(page.text("#rule-id"), rule.id);
        assert_eq!(page.text("h1"), rule.name_zh);
        assert!(page.text(".page-head").contains(rule.title_zh));
        assert!(page.texts(".form-error").is_empty(), "{}", rule.id);
        for (policy_id, clause_id) in resolve_citation(rule.clause) {
            let original = &policy(policy_id).unwrap().clause(&clause_id).unwrap().text;
            let shown = page.text(&format!(
                "blockquote.clause-text[data-policy=\"{policy_id}\"][data-clause=\"{clause_id}\"]"
            ));
            assert_eq!(
                squash(&shown),
                squash(original),
                "{} {policy_id} {clause_id}",
                rule.id
            );
            // And the quote is the source's own text.
            let source = policy(policy_id).unwrap().source.text;
            for line in original.lines() {
                assert!(source.contains(line), "{line} not in {policy_id}");
            }
            quoted += 1;
        }
        for p in rule.params {
            assert!(
                page.text(&format!("tr[data-param={}]", p.name)).contains(
                    &kechuang::domain::compliance::facts::value_text(
                        p.name,
                        &serde_json::to_value(p.default).unwrap()
                    )
                ),
                "{} {}",
                rule.id,
                p.name
            );
        }
        assert_eq!(page.text("#platform-results h2"), "各平台检查结果");
    }
    assert_eq!(
        quoted,
        rules()
            .iter()
            .map(|r| r.clause.split(';').count())
            .sum::<usize>()
    );

    // The gloss is marked in the quote, and sub-clauses come with the clause.
    let advisor = c.get("/rules/OPS-ADVISOR").await;
    assert_eq!(advisor.text("blockquote.clause-text mark"), "一顾问");
    assert!(
        advisor
            .text("tr[data-param=max_log_gap_days]")
            .contains("183")
    );
    let category = c.get("/rules/REG-CATEGORY").await;
    assert_eq!(
        category.texts("blockquote.subclause .clause-id"),
        ["二(一)1", "二(一)2", "二(一)3", "二(一)4"]
    );
    let sharing = c.get("/rules/SHARE-INSTRUMENTS").await;
    assert!(
        sharing
            .text("#clauses")
            .contains("10万元及其以上的科研仪器设备的全面开放")
    );
}

#[tokio::test]
async fn others_are_refused_and_unknown_ids_are_not_found() {
    let app = synced_app().await;
    let platform = app.platform("NT-TEST-001", "320613").await;
    app.user("operator", Some(Role::Operator), Some(platform), None)
        .await;
    for (username, role) in [
        ("advisor", Role::Advisor),
        ("expert", Role::Expert),
        ("sysadmin", Role::Sysadmin),
        ("secadmin", Role::Secadmin),
        ("auditor", Role::Auditor),
    ] {
        app.user(username, Some(role), None, None).await;
    }
    let paths = [
        "/policies",
        "/policies/NT10",
        "/rules",
        "/rules/REG-CHARTER",
    ];
    // Operators and advisors read the policies and rules their findings cite.
    for username in ["operator", "advisor"] {
        let mut c = app.signed_in(username).await;
        for path in paths {
            assert_eq!(
                c.get(path).await.status,
                StatusCode::OK,
                "{username} {path}"
            );
        }
    }
    for username in ["expert", "sysadmin", "secadmin", "auditor"] {
        let mut c = app.signed_in(username).await;
        for path in paths {
            assert_eq!(
                c.get(path).await.status,
                StatusCode::FORBIDDEN,
                "{username} {path}"
            );
        }
        let home = c.get("/password").await;
        assert!(
            !home
                .texts("header.topbar a")
                .contains(&"政策库".to_string()),
            "{username} sees no 政策库 entry"
        );
    }
    let mut anonymous = app.client();
    let resp = anonymous.get("/policies").await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);

    let mut c = staff(&app).await;
    for path in [
        "/policies/XX",
        "/policies/nt10",
        "/rules/NOPE",
        "/rules/reg-charter",
    ] {
        assert_eq!(c.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn before_the_first_sync_the_pages_say_what_to_do() {
    let app = TestApp::new().await;
    let mut c = staff(&app).await;
    let list = c.get("/policies").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text(".notice").contains("政策库尚未载入"));
    assert_eq!(c.get("/policies/NT10").await.status, StatusCode::NOT_FOUND);
    let rule = c.get("/rules/REG-CHARTER").await;
    assert_eq!(rule.status, StatusCode::OK);
    assert!(
        rule.text(".form-error")
            .contains("南通市工作指引 三(一) 的原文尚未载入")
    );
    // The results across platforms are one click away.
    assert!(rule.text("#rule-across").contains("不通过 0 个"));
    assert!(rule.body.contains("href=\"/compliance/rules/REG-CHARTER\""));
}

use crate::visible;

/// The library shows no file names, spec references or bare codes: policies and rules by their
/// Chinese names, parameters as phrases, the integrity value as 文本校验值.
#[tokio::test]
async fn the_library_reads_without_file_names_or_codes() {
    let app = synced_app().await;
    let mut c = staff(&app).await;
    let mut pages = vec![
        "/policies".to_string(),
        "/rules".to_string(),
        "/policies/NT10".to_string(),
        "/policies/JY".to_string(),
    ];
    pages.extend(rules().iter().map(|r| format!("/rules/{}", r.id)));
    for path in pages {
        let page = c.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let seen = visible::visible_text(&page.body);
        for raw in [
            "POLICY-RULES.md",
            "policies/",
            "NT10.txt",
            "SHA-256",
            "NT10",
            "min_members",
        ] {
            assert!(!seen.contains(raw), "{path} shows {raw}");
        }
        assert_eq!(visible::bare_codes(&seen), Vec::<String>::new(), "{path}");
    }
    let nt10 = c.get("/policies/NT10").await;
    assert!(nt10.text("#policy-facts").contains("文本校验值"));
    let rules_page = c.get("/rules").await;
    assert!(
        rules_page
            .text("tr[data-rule=REG-DECISION-BODY] td.params")
            .contains("成员至少 3 人")
    );
}

/// `(fail, warn)` findings of a rule over every platform.
async fn rule_statuses(app: &TestApp, rule: &str) -> (i64, i64) {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = 'fail'), count(*) FILTER (WHERE status = 'warn')
         FROM findings WHERE rule_id = $1",
    )
    .bind(rule)
    .fetch_one(app.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn city_staff_change_a_parameter_with_a_reason_and_findings_history_and_snapshot_follow() {
    // The demo city, then the policy library (independent of each other).
    let app = TestApp::with_demo().await;
    policies::sync(app.pool()).await.expect("sync");
    let today = kechuang::clock::today();
    kechuang::db::compliance::refresh(app.pool(), None, today)
        .await
        .unwrap();
    let (fails, warns) = rule_statuses(&app, "MKT-BREAK-EVEN").await;
    assert!(
        fails > 0,
        "the demo has platforms past their transition deadline"
    );
    let mut staff = staff(&app).await;

    let page = staff.get("/rules/MKT-BREAK-EVEN").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.text("tr[data-param=transition_months] td.current"),
        "24 个月"
    );
    assert!(page.text("#param-history").contains("未调整过"));
    let seen = page
        .value("#edit-transition_months input[name=seen]")
        .expect("the form names the last change seen");
    assert_eq!(seen, "0");
    let path = "/rules/MKT-BREAK-EVEN/params/transition_months";

    // Refused forms keep what was typed and say what is wrong next to the field.
    let resp = staff
        .post(path, &[("seen", "0"), ("value", "1200"), ("reason", " ")])
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text("#f-transition_months-reason-error")
            .contains("修改原因")
    );
    assert_eq!(
        resp.value("#f-transition_months-value").as_deref(),
        Some("1200")
    );
    let resp = staff
        .post(
            path,
            &[("seen", "0"), ("value", "两年"), ("reason", "会议决定")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text("#f-transition_months-value-error")
            .contains("月数")
    );
    assert_eq!(resp.text("#f-transition_months-reason"), "会议决定");
    let resp = staff
        .post(
            path,
            &[("seen", "0"), ("value", "24"), ("reason", "会议决定")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text("#f-transition_months-value-error")
            .contains("相同")
    );
    assert_eq!(rule_statuses(&app, "MKT-BREAK-EVEN").await, (fails, warns));

    // The change: history, audit, every platform re-checked with the new value.
    let resp = staff
        .post(
            path,
            &[
                ("seen", "0"),
                ("value", "1200"),
                ("reason", "市局会议决定延长过渡期"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(
        resp.location(),
        Some("/rules/MKT-BREAK-EVEN?notice=param_changed#parameters")
    );
    assert_eq!(app.audit_count("rule_param.update").await, 1);
    let (fails_after, warns_after) = rule_statuses(&app, "MKT-BREAK-EVEN").await;
    assert_eq!(fails_after, 0, "no platform is past a 100-year transition");
    assert_eq!(warns_after, warns + fails);
    let page = staff
        .get("/rules/MKT-BREAK-EVEN?notice=param_changed")
        .await;
    assert!(page.text("p.notice").contains("重新计算"));
    assert!(
        page.text("tr[data-param=transition_months] td.current")
            .starts_with("1200 个月")
    );
    let history = page.texts("#param-history tbody td");
    assert!(
        history.contains(&"市局会议决定延长过渡期".to_owned()),
        "{history:?}"
    );
    assert!(history.contains(&"1200 个月".to_owned()), "{history:?}");
    let seen = page
        .value("#edit-transition_months input[name=seen]")
        .unwrap();
    assert_ne!(seen, "0");
    // The rule list shows the value in force.
    let list = staff.get("/rules").await;
    assert!(
        list.text("tr[data-rule=MKT-BREAK-EVEN] td.params")
            .contains("1200")
    );

    // A form opened before that change is a conflict, not a silent overwrite.
    let resp = staff
        .post(
            path,
            &[("seen", "0"), ("value", "36"), ("reason", "另一人修改")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(
        resp.text("#f-transition_months-value-error")
            .contains("已被他人修改")
    );
    assert_eq!(resp.text("#f-transition_months-reason"), "另一人修改");

    // The snapshot carries the values in force (the deadlines from the year's cycle configuration).
    let id: i64 = app.value("SELECT min(id) FROM platforms").await;
    let json = serde_json::to_value(app.snapshot(id, today).await).unwrap();
    assert_eq!(json["params"]["MKT-BREAK-EVEN.transition_months"], 1200);
    assert_eq!(json["params"]["EVAL-FILING.deadline"], "03-31");
    assert_eq!(json["params"]["INTEG-BAN.ban_months"], 36);

    // The deadlines are not edited here; leaders and county staff edit nothing.
    let resp = staff
        .post(
            "/rules/EVAL-FILING/params/deadline",
            &[("seen", "0"), ("value", "04-30"), ("reason", "推迟")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = staff.get("/rules/EVAL-FILING").await;
    assert!(
        page.doc()
            .select(&scraper::Selector::parse("#edit-deadline").unwrap())
            .next()
            .is_none()
    );
    assert!(
        page.text("tr[data-param=deadline]")
            .contains("年度工作配置")
    );
    let mut leader = leader(&app).await;
    let resp = leader
        .post(path, &[("seen", "1"), ("value", "12"), ("reason", "x")])
        .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    app.user("county", Some(Role::Staff), None, Some("320613"))
        .await;
    let mut county = app.signed_in("county").await;
    let page = county.get("/rules/MKT-BREAK-EVEN").await;
    assert!(
        page.doc()
            .select(&scraper::Selector::parse("#edit-transition_months").unwrap())
            .next()
            .is_none()
    );
    let resp = county
        .post(path, &[("seen", "1"), ("value", "12"), ("reason", "x")])
        .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn city_staff_change_a_support_programme_parameter_with_history() {
    let app = synced_app().await;
    let mut staff = staff(&app).await;
    let page = staff.get("/programmes").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text("#pack-JS h2").contains("征求意见稿"));
    assert!(page.text("#pack-NJ h2").contains("未启用"));
    assert!(page.text("#pack-NT10 h2").contains("本市启用"));
    let row = "tr[data-param='JS-TECH-TRANSFER.percent'] td.current";
    assert_eq!(page.text(row), "3%");
    assert_eq!(
        page.text("tr[data-param='JS-TECH-TRANSFER.cap_yuan'] td.current"),
        "100.00 万元"
    );
    assert!(page.text("#param-history").contains("未调整过"));
    let path = "/programmes/JS-TECH-TRANSFER/params/percent";

    let resp = staff
        .post(
            path,
            &[("seen", "0"), ("value", "三"), ("reason", "省厅新文件")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text("#f-JS-TECH-TRANSFER-percent-value-error")
            .contains("百分比")
    );
    assert_eq!(
        resp.text("#f-JS-TECH-TRANSFER-percent-reason"),
        "省厅新文件"
    );

    let resp = staff
        .post(
            path,
            &[("seen", "0"), ("value", "5"), ("reason", "省厅新文件")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(
        resp.location(),
        Some("/programmes?notice=programme_param_changed#programme-JS-TECH-TRANSFER")
    );
    assert_eq!(app.audit_count("rule_param.update").await, 1);
    let page = staff
        .get("/programmes?notice=programme_param_changed")
        .await;
    assert!(page.text("p.notice").contains("支持政策参数已修改"));
    assert!(page.text(row).starts_with("5%"));
    let history = page.texts("#param-history tbody td");
    assert!(history.contains(&"5%".to_owned()), "{history:?}");
    assert!(history.contains(&"省厅新文件".to_owned()), "{history:?}");

    // The computation and the snapshot use the value in force.
    let today = kechuang::clock::today();
    let params =
        kechuang::db::rule_params::in_force(&mut app.pool().acquire().await.unwrap(), today)
            .await
            .unwrap();
    assert_eq!(
        params
            .value("JS-TECH-TRANSFER.percent")
            .map(|v| v.to_string()),
        Some("5".to_owned())
    );

    // Stale forms are conflicts; leaders change nothing.
    let resp = staff
        .post(path, &[("seen", "0"), ("value", "4"), ("reason", "再改")])
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    let mut leader = leader(&app).await;
    let page = leader.get("/programmes").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.doc()
            .select(&scraper::Selector::parse("details.param-edit").unwrap())
            .next()
            .is_none()
    );
    let resp = leader
        .post(path, &[("seen", "1"), ("value", "4"), ("reason", "x")])
        .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
}

/// The `seen` of a pack's switch form on the page.
fn pack_seen(page: &common::Resp, pack: &str) -> String {
    let sel = scraper::Selector::parse(&format!(
        "form[action='/programmes/packs/{pack}'] input[name=seen]"
    ))
    .unwrap();
    page.doc()
        .select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .unwrap_or_else(|| panic!("no switch form for {pack}"))
        .to_owned()
}

#[tokio::test]
async fn city_staff_switch_a_policy_pack_with_a_reason_and_the_platforms_follow() {
    let app = synced_app().await;
    let p = app.platform("NT-2024-001", "320613").await;
    let mut staff = staff(&app).await;
    let tab = staff.get(&format!("/platforms/{p}/support")).await;
    assert_eq!(tab.status, StatusCode::OK);
    assert!(tab.body.contains("id=\"programme-NT-REWARD\""));
    assert!(
        !tab.body.contains("id=\"programme-NJ-JOINT-RND\""),
        "NJ ships off"
    );
    let page = staff.get("/programmes").await;
    let history = page.text("#pack-history");
    assert!(history.contains("部署默认"), "{history}");
    let seen = pack_seen(&page, "NJ");

    // A reason is required; what was typed is kept on a refusal.
    let resp = staff
        .post(
            "/programmes/packs/NJ",
            &[("seen", &seen), ("enabled", "true"), ("reason", " ")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text("#f-pack-NJ-reason-error").contains("请填写原因"));

    let resp = staff
        .post(
            "/programmes/packs/NJ",
            &[
                ("seen", &seen),
                ("enabled", "true"),
                ("reason", "参照南京市措施测算"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(
        resp.location(),
        Some("/programmes?notice=pack_switched#pack-NJ")
    );
    assert_eq!(app.audit_count("support_pack.switch").await, 1);
    let page = staff.get("/programmes?notice=pack_switched").await;
    assert!(page.text("p.notice").contains("政策包的启用状态已修改"));
    assert!(page.text("#pack-NJ h2").contains("本市启用"));
    let history = page.texts("#pack-history tbody tr");
    assert!(history[0].contains("参照南京市措施测算"), "{history:?}");
    assert!(history[0].contains("启用"), "{history:?}");
    assert_eq!(history.len(), 4, "three defaults and the switch");

    // The platform's 支持政策 tab and its snapshot follow.
    let tab = staff.get(&format!("/platforms/{p}/support")).await;
    assert!(tab.body.contains("id=\"programme-NJ-JOINT-RND\""));
    assert!(tab.text("#programmes header").contains("南京"));
    let today = kechuang::clock::today();
    let params =
        kechuang::db::rule_params::in_force(&mut app.pool().acquire().await.unwrap(), today)
            .await
            .unwrap();
    let snaps = kechuang::db::snapshot::build(app.pool(), Some(&[p]), today, &params)
        .await
        .unwrap();
    let json = serde_json::to_value(&snaps[0].1).unwrap();
    assert_eq!(json["packs"], serde_json::json!(["NT10", "JS", "NJ"]));

    // A stale form (NJ switched since) is a conflict; nothing is saved.
    let resp = staff
        .post(
            "/programmes/packs/NJ",
            &[("seen", &seen), ("enabled", "false"), ("reason", "撤回")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(
        resp.text("#f-pack-NJ-enabled-error")
            .contains("已被他人修改")
    );
    assert_eq!(app.audit_count("support_pack.switch").await, 1);

    // Switching everything off is refused at the last enabled pack.
    for pack in ["NT10", "JS"] {
        let page = staff.get("/programmes").await;
        let seen = pack_seen(&page, pack);
        let resp = staff
            .post(
                &format!("/programmes/packs/{pack}"),
                &[
                    ("seen", &seen),
                    ("enabled", "false"),
                    ("reason", "改用南京包"),
                ],
            )
            .await;
        assert_eq!(resp.status, StatusCode::SEE_OTHER, "{pack}: {}", resp.body);
    }
    let page = staff.get("/programmes").await;
    let seen = pack_seen(&page, "NJ");
    let resp = staff
        .post(
            "/programmes/packs/NJ",
            &[
                ("seen", &seen),
                ("enabled", "false"),
                ("reason", "全部停用"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text("#f-pack-NJ-enabled-error")
            .contains("至少须启用一个政策包")
    );
    assert_eq!(resp.text("#f-pack-NJ-reason"), "全部停用");
    // The database refuses it too.
    let err = sqlx::query(
        "INSERT INTO support_pack_settings (pack, enabled, reason) VALUES ('NJ', false, 'x')",
    )
    .execute(app.pool())
    .await
    .expect_err("the last enabled pack stays on");
    assert!(err.to_string().contains("at least one"), "{err}");
    let tab = staff.get(&format!("/platforms/{p}/support")).await;
    assert!(!tab.body.contains("id=\"programme-NT-REWARD\""));
    assert!(tab.body.contains("id=\"programme-NJ-JOINT-RND\""));

    // Leaders read the page without the switch.
    let mut leader = leader(&app).await;
    let page = leader.get("/programmes").await;
    assert!(!page.body.contains("/programmes/packs/"));
    let resp = leader
        .post(
            "/programmes/packs/NT10",
            &[("seen", "1"), ("enabled", "true"), ("reason", "x")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
}
