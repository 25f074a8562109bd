//! The audit chain hashes exactly what PostgreSQL stores (no false "记录被篡改" for awkward
//! JSON such as a computed score), and the verifier lists every break, not only the first.

use crate::common::TestApp;
use axum::http::StatusCode;
use kechuang::db::audit::{self, Actor, BreakKind, Verification};
use kechuang::domain::audit_chain::{self, AuditRecord};
use kechuang::domain::role::Role;
use serde_json::{Map, Value, json};

/// xorshift64*: enough randomness for a property test, reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Any finite double, every bit pattern alike (subnormals, huge, negative, integral).
    fn any_f64(&mut self) -> f64 {
        loop {
            let f = f64::from_bits(self.next());
            if f.is_finite() {
                return f;
            }
        }
    }

    /// A score as the rules compute it: a sum of weighted ratios.
    fn score(&mut self) -> f64 {
        let weight = self.below(40) as f64;
        let ratio = self.below(10_000) as f64 / 7.0 / 100.0;
        weight * ratio + 0.1 * self.below(10) as f64
    }
}

/// Doubles that did not survive the old write path, or that PostgreSQL writes differently.
const AWKWARD: [f64; 18] = [
    0.1 + 0.2,
    0.1 * 3.0,
    1.0 / 3.0,
    87.35,
    1e300,
    -1e300,
    5e-324,
    -0.0,
    1e16,
    1e21,
    9_007_199_254_740_993.0,
    12_345_678_901_234_567_890.0,
    f64::MAX,
    f64::MIN_POSITIVE,
    f64::EPSILON,
    -1e-7,
    123_456.789e-20,
    2.5e15,
];

const TEXTS: [&str; 14] = [
    "科创平台",
    "南通市科技局（评估）",
    "\"quoted\"",
    "back\\slash",
    "line\nbreak\ttab",
    "\u{1}\u{1f}\u{7f}",
    "\u{2028}\u{2029}",
    "😀 emoji",
    "é è ü",
    "<script>alert(1)</script>",
    "",
    " ",
    "a/b",
    "\\u0000 (escaped, not a NUL)",
];

fn random_key(rng: &mut Rng) -> String {
    let keys = [
        "a",
        "b",
        "aa",
        "Z",
        "名称",
        "得分",
        "score",
        "score_detail",
        "_",
        "10",
        "9",
        "é",
    ];
    format!(
        "{}{}",
        keys[rng.below(keys.len() as u64) as usize],
        rng.below(3)
    )
}

fn random_value(rng: &mut Rng, depth: u32) -> Value {
    let leaf = depth >= 3;
    match rng.below(if leaf { 7 } else { 9 }) {
        0 => json!(rng.any_f64()),
        1 => json!(AWKWARD[rng.below(AWKWARD.len() as u64) as usize]),
        2 => json!(rng.score()),
        3 => json!(rng.next() as i64),
        4 => json!(rng.next()),
        5 => json!(TEXTS[rng.below(TEXTS.len() as u64) as usize]),
        6 => [Value::Null, json!(true), json!(false), json!(0), json!(-1)][rng.below(5) as usize]
            .clone(),
        7 => Value::Array(
            (0..rng.below(5))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.below(6) {
                map.insert(random_key(rng), random_value(rng, depth + 1));
            }
            Value::Object(map)
        }
    }
}

/// Equal as values: numbers by value (`-0` is `0`; `1e16` may come back as an integer).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(p), Some(q), _, _) => p == q,
                (_, _, Some(p), Some(q)) => p == q,
                _ => x.as_f64() == y.as_f64(),
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn staff() -> Actor {
    Actor {
        id: None,
        name: "prop-test".into(),
        role: Some(Role::Staff),
        addr: Some("203.0.113.7".into()),
    }
}

/// Appends records through `audit::record`, several per transaction.
async fn append(app: &TestApp, values: &[(Option<Value>, Option<Value>)]) {
    for chunk in values.chunks(7) {
        let mut tx = audit::begin(app.pool(), &staff()).await.unwrap();
        for (i, (before, after)) in chunk.iter().enumerate() {
            audit::record(
                &mut tx,
                &staff(),
                "evaluation.score_quantitative",
                "evaluation",
                Some(i.to_string()),
                before.clone(),
                after.clone(),
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }
}

fn assert_intact(v: &Verification, context: &str) {
    assert!(
        v.is_intact(),
        "{context}: {} breaks, first: {:?}",
        v.total_breaks,
        v.breaks.iter().take(5).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn random_scores_and_awkward_json_verify_after_the_jsonb_round_trip() {
    let seed: u64 = std::env::var("KECHUANG_PROP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    let mut rng = Rng(seed);
    let app = TestApp::new().await;
    let mut values: Vec<(Option<Value>, Option<Value>)> = Vec::new();
    // Every awkward double alone, in a score detail and nested in an array.
    for f in AWKWARD {
        values.push((None, Some(json!(f))));
        values.push((
            Some(json!({"total": f, "items": [{"score": f, "名称": "定量"}]})),
            Some(json!([f, -f, {"z": f, "a": [f]}])),
        ));
    }
    // Random scores (as the rules produce them), random doubles and random documents.
    for _ in 0..300 {
        let detail = json!({
            "total": rng.score(),
            "indicators": (0..rng.below(8)).map(|k| json!({
                "key": format!("q{k}"), "score": rng.score(), "ratio": rng.any_f64(),
            })).collect::<Vec<_>>(),
        });
        let before = (rng.below(3) > 0).then(|| random_value(&mut rng, 0));
        values.push((before, Some(detail)));
    }
    append(&app, &values).await;
    let v = audit::verify(app.pool()).await.unwrap();
    assert_intact(
        &v,
        &format!("seed {seed} (KECHUANG_PROP_SEED={seed} to replay)"),
    );
    assert_eq!(v.checked, values.len() as i64);
    // The stored values are the values written (PostgreSQL only drops the sign of -0).
    let stored: Vec<(Option<Value>, Option<Value>)> =
        sqlx::query_as("SELECT before, after FROM audit_log ORDER BY seq")
            .fetch_all(app.pool())
            .await
            .unwrap();
    for (i, ((b, a), (sb, sa))) in values.iter().zip(&stored).enumerate() {
        for (written, back) in [(b, sb), (a, sa)] {
            match (written, back) {
                (Some(w), Some(s)) => assert!(same(w, s), "seed {seed}, record {i}: {w} → {s}"),
                (None, None) => {}
                _ => panic!("seed {seed}, record {i}: {written:?} stored as {back:?}"),
            }
        }
    }
}

#[tokio::test]
async fn records_hashed_the_old_way_still_verify() {
    // Before the fix the writer hashed the JSON it sent; for ordinary values that is the
    // JSON PostgreSQL gives back, so chains written then verify unchanged.
    let app = TestApp::new().await;
    let mut prev = audit_chain::GENESIS.to_string();
    let at = chrono::Utc::now();
    let rows = [
        (None, Some(json!({"name": "甲平台", "stage": "operating"}))),
        (
            Some(json!({"score": 87.5, "items": [1, 2, 3]})),
            Some(json!({"score": 91.25, "items": [1, 2, 3], "备注": "复核"})),
        ),
    ];
    for (i, (before, after)) in rows.into_iter().enumerate() {
        let r = AuditRecord {
            seq: i as i64 + 1,
            at: chrono::SubsecRound::trunc_subsecs(at, 6),
            actor_id: Some(3),
            actor_name: "demo-staff".into(),
            action: "platform.update".into(),
            entity: "platform".into(),
            entity_id: Some("1".into()),
            before,
            after,
            client_addr: None,
        };
        let hash = audit_chain::record_hash(&prev, &r);
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor_id, actor_name, action, entity, entity_id, before, after,
                                    client_addr, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(r.seq)
        .bind(r.at)
        .bind(r.actor_id)
        .bind(&r.actor_name)
        .bind(&r.action)
        .bind(&r.entity)
        .bind(&r.entity_id)
        .bind(&r.before)
        .bind(&r.after)
        .bind(&r.client_addr)
        .bind(&prev)
        .bind(&hash)
        .execute(app.pool())
        .await
        .unwrap();
        prev = hash;
    }
    // New records continue the old chain.
    append(&app, &[(None, Some(json!(0.1 + 0.2)))]).await;
    let v = audit::verify(app.pool()).await.unwrap();
    assert_intact(&v, "old chain");
    assert_eq!(v.checked, 3);
}

#[tokio::test]
async fn a_staff_score_computation_in_the_demo_city_verifies() {
    let app = TestApp::with_demo().await;
    let mut staff = app.client();
    staff.login("demo-staff", kechuang::demo::PASSWORD).await;
    // The city passes what the counties passed and the city platforms' submissions, as in
    // a real round, so that several evaluations get scored.
    let waiting: Vec<i64> = app
        .values(
            "SELECT e.platform_id FROM evaluations e JOIN platforms p ON p.id = e.platform_id
             WHERE e.year = 2026 AND (e.status = 'county_passed' OR (e.status = 'submitted' AND p.level = 'city'))",
        )
        .await;
    for platform in &waiting {
        let resp = staff
            .post(
                &format!("/platforms/{platform}/evaluation/2026/city-review"),
                &[("decision", "pass"), ("comment", "材料齐全")],
            )
            .await;
        assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    }
    let resp = staff.post("/evaluations/2026/compute", &[]).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    // The computed score detail holds fractional scores (what broke the old chain).
    let details: Vec<Value> = app
        .values("SELECT after FROM audit_log WHERE action = 'evaluation.score_quantitative'")
        .await;
    assert_eq!(details.len(), waiting.len() + 1, "scores computed");
    assert!(
        details.iter().any(|d| d.to_string().contains('.')),
        "no fractional score in {details:?}"
    );
    let v = audit::verify(app.pool()).await.unwrap();
    assert_intact(&v, "demo city after 计算得分");
    // The auditor's page says so.
    let mut auditor = app.client();
    auditor
        .login("demo-auditor", kechuang::demo::PASSWORD)
        .await;
    let page = auditor.get("/audit/verify").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text("#verify-result").starts_with("校验通过"),
        "{}",
        page.text("#verify-result")
    );
}

async fn chain_of(app: &TestApp, n: usize) {
    let mut rng = Rng(0x5eed);
    let values: Vec<_> = (0..n)
        .map(|_| (None, Some(json!({"score": rng.score(), "名称": "平台"}))))
        .collect();
    append(app, &values).await;
}

fn kinds(v: &Verification) -> Vec<(i64, BreakKind)> {
    v.breaks.iter().map(|b| (b.seq, b.kind.clone())).collect()
}

#[tokio::test]
async fn an_edit_a_deletion_and_a_swap_are_each_listed() {
    let app = TestApp::new().await;
    chain_of(&app, 20).await;
    app.user("audit1", Some(Role::Auditor), None, None).await;
    let records: i64 = app.value("SELECT count(*) FROM audit_log").await;
    app.db
        .bypassing_triggers(&[
            // Altered: the score of record 3.
            "UPDATE audit_log SET after = '{\"score\": 100, \"名称\": \"平台\"}' WHERE seq = 3",
            // Deleted: record 8.
            "DELETE FROM audit_log WHERE seq = 8",
            // Swapped: records 12 and 13 exchange places.
            "UPDATE audit_log SET seq = -12 WHERE seq = 12",
            "UPDATE audit_log SET seq = 12 WHERE seq = 13",
            "UPDATE audit_log SET seq = 13 WHERE seq = -12",
        ])
        .await;
    let v = audit::verify(app.pool()).await.unwrap();
    assert_eq!(
        kinds(&v),
        vec![
            (3, BreakKind::Edited),
            (8, BreakKind::Deleted { last_seq: 8 }),
            (12, BreakKind::Moved { original_seq: 13 }),
            (13, BreakKind::Moved { original_seq: 12 }),
        ]
    );
    assert_eq!((v.total_breaks, v.checked), (4, records - 1));
    // The auditor sees each one, in Chinese.
    let mut auditor = app.signed_in("audit1").await;
    let page = auditor.get("/audit/verify").await;
    assert!(
        page.text("#verify-result").contains("发现 4 处断裂"),
        "{}",
        page.text("#verify-result")
    );
    let rows = page.texts("#verify-breaks tbody tr");
    assert_eq!(rows.len(), 4, "{rows:?}");
    for (row, (seq, kind)) in rows.iter().zip([
        ("3", "内容被修改"),
        ("8", "记录被删除"),
        ("12", "顺序被调换"),
        ("13", "顺序被调换"),
    ]) {
        assert!(row.starts_with(&format!("{seq} ")), "{row}");
        assert!(row.contains(kind), "{row}");
        assert!(row.contains("查看当天日志"), "{row}");
    }
    assert!(rows[2].contains("原第 13 条"), "{}", rows[2]);
}

#[tokio::test]
async fn a_far_swap_and_a_replaced_record_are_listed_after_an_earlier_break() {
    let app = TestApp::new().await;
    chain_of(&app, 30).await;
    // A re-hashed replacement of record 20 (hash recomputed, so only the next link shows it).
    let (prev, at): (String, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("SELECT prev_hash, at FROM audit_log WHERE seq = 20")
            .fetch_one(app.pool())
            .await
            .unwrap();
    let forged = AuditRecord {
        seq: 20,
        at,
        actor_id: None,
        actor_name: "intruder".into(),
        action: "evaluation.score_quantitative".into(),
        entity: "evaluation".into(),
        entity_id: Some("1".into()),
        before: None,
        after: Some(json!({"score": 99})),
        client_addr: None,
    };
    let forged_hash = audit_chain::record_hash(&prev, &forged);
    app.db.bypassing_triggers(&[
            "DELETE FROM audit_log WHERE seq IN (2, 3)",
            "UPDATE audit_log SET seq = -5 WHERE seq = 5",
            "UPDATE audit_log SET seq = 5 WHERE seq = 15",
            "UPDATE audit_log SET seq = 15 WHERE seq = -5",
            &format!(
                "UPDATE audit_log SET actor_name = 'intruder', actor_id = NULL, entity_id = '1', before = NULL,
                        after = '{{\"score\": 99}}', client_addr = NULL, hash = '{forged_hash}' WHERE seq = 20"
            ),
        ])
    .await;
    let v = audit::verify(app.pool()).await.unwrap();
    assert_eq!(
        kinds(&v),
        vec![
            (2, BreakKind::Deleted { last_seq: 3 }),
            (5, BreakKind::Moved { original_seq: 15 }),
            (15, BreakKind::Moved { original_seq: 5 }),
            (21, BreakKind::Unlinked { prev_seq: 20 }),
        ]
    );
    assert_eq!(v.breaks[0].seqs(), "2–3");
}

#[tokio::test]
async fn a_number_beyond_a_double_is_reported_not_a_failure() {
    let app = TestApp::new().await;
    chain_of(&app, 6).await;
    app.db
        .bypassing_triggers(&["UPDATE audit_log SET after = '{\"score\": 1e400}' WHERE seq = 4"])
        .await;
    let v = audit::verify(app.pool()).await.unwrap();
    assert_eq!(kinds(&v), vec![(4, BreakKind::Edited)]);
    assert_eq!(v.checked, 6);
}
