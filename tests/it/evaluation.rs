//! The year-end evaluation (年底评估) end to end: the operator submits, county and city review, two experts score
//! (a third declares a conflict and is refused), grades come out with the quota (a tie at the boundary), the
//! public notice runs with an objection answered, results are published with their application (reward,
//! coefficient, a draft rectification case for a 不合格), the results table and its Excel export in scope.
//! And every refusal: duplicate and late submission, a barred platform, a conflicted expert scoring, another
//! expert's assignment, another platform's evaluation, publishing with an unanswered objection.

use std::io::Read;

use crate::common::{Client, Resp, TestApp, approved_filing, document};
use axum::http::{StatusCode, header};
use chrono::Datelike;
use kechuang::clock::today;
use kechuang::domain::role::Role;
use kechuang::domain::scoring::{IndicatorKind, Rubric};
use serde_json::{Value, json};

fn keys(kind: IndicatorKind) -> Vec<String> {
    Rubric::default_2025()
        .indicators
        .into_iter()
        .filter(|i| i.kind == kind)
        .map(|i| i.key)
        .collect()
}

/// Every quantitative target 100 (the self-sufficiency ratio 1.0).
fn targets() -> Value {
    let mut m = serde_json::Map::new();
    for k in keys(IndicatorKind::Quantitative) {
        let v = if k == "self_sufficiency_ratio" {
            json!(1.0)
        } else {
            json!(100)
        };
        m.insert(k, v);
    }
    Value::Object(m)
}

/// Actuals at `f` of every target.
fn actuals(f: f64) -> Value {
    let mut m = serde_json::Map::new();
    for k in keys(IndicatorKind::Quantitative) {
        let v = if k == "self_sufficiency_ratio" {
            f
        } else {
            (100.0 * f).round()
        };
        m.insert(k, json!(v));
    }
    Value::Object(m)
}

/// A platform whose evaluation of `year` passed the city review, with two experts' submitted scores `g`.
/// Technical-service weights make its total exactly 90·f + 0.1·g.
async fn ready_candidate(
    app: &TestApp,
    code: &str,
    jurisdiction: &str,
    year: i32,
    f: f64,
    g: f64,
    experts: &[i64],
) -> i64 {
    let p = app.platform(code, jurisdiction).await;
    approved_filing(app, p, year, targets()).await;
    let eid: i64 = sqlx::query_scalar(
        "INSERT INTO evaluations (platform_id, year, status, actuals, self_assessment, submitted_at)
         VALUES ($1, $2, 'city_passed', $3, '完成年度目标', now()) RETURNING id",
    )
    .bind(p)
    .bind(year)
    .bind(actuals(f))
    .fetch_one(app.pool())
    .await
    .unwrap();
    for &expert in experts {
        let aid: i64 = sqlx::query_scalar(
            "INSERT INTO expert_assignments (evaluation_id, expert_id, conflict, declared_at, submitted_at)
             VALUES ($1, $2, false, now(), now()) RETURNING id",
        )
        .bind(eid)
        .bind(expert)
        .fetch_one(app.pool())
        .await
        .unwrap();
        for k in keys(IndicatorKind::Qualitative) {
            sqlx::query(
                "INSERT INTO expert_scores (assignment_id, indicator_key, score) VALUES ($1, $2, $3)",
            )
            .bind(aid)
            .bind(k)
            .bind(g)
            .execute(app.pool())
            .await
            .unwrap();
        }
    }
    p
}

/// The `evaluation_date` of `year` in the platform's compliance snapshot (what `kechuang snapshot` writes).
async fn snapshot_evaluation_date(
    app: &TestApp,
    platform: i64,
    year: i32,
) -> Option<chrono::NaiveDate> {
    let snap = app.snapshot(platform, today()).await;
    snap.platform
        .years
        .get(year)
        .and_then(|r| r.evaluation_date)
}

async fn status_of(app: &TestApp, platform: i64, year: i32) -> String {
    sqlx::query_scalar("SELECT status FROM evaluations WHERE platform_id = $1 AND year = $2")
        .bind(platform)
        .bind(year)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

async fn events(app: &TestApp, platform: i64, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM lifecycle_events WHERE platform_id = $1 AND kind = $2")
        .bind(platform)
        .bind(kind)
        .fetch_one(app.pool())
        .await
        .unwrap()
}

/// The operator's complete form at `f` of every target, with evidence `doc`.
fn complete_form(f: f64, doc: i64, lock_version: &str) -> Vec<(String, String)> {
    let mut fields = vec![
        ("action".to_string(), "submit".to_string()),
        ("lock_version".to_string(), lock_version.to_string()),
        (
            "self_assessment".to_string(),
            "全年完成主要目标，研发投入稳步增长。".to_string(),
        ),
        ("evidence".to_string(), doc.to_string()),
        ("confirm".to_string(), "yes".to_string()),
    ];
    for (k, v) in actuals(f).as_object().unwrap() {
        fields.push((format!("actual.{k}"), v.to_string()));
    }
    fields
}

async fn post_owned(c: &mut Client, path: &str, fields: &[(String, String)]) -> Resp {
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post(path, &borrowed).await
}

async fn lock_version(c: &mut Client, platform: i64, year: i32) -> String {
    c.get(&format!("/platforms/{platform}/evaluation?year={year}"))
        .await
        .value("input[name=lock_version]")
        .expect("the form has a lock version")
}

fn zip_entry(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("an xlsx is a zip");
    let mut text = String::new();
    zip.by_name(name)
        .expect("entry present")
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// `(platform, rank, grade, total)` as stored.
type GradeRow = (i64, Option<i32>, Option<String>, Option<f64>);

fn grade_rows(resp: &Resp) -> Vec<(String, String, String)> {
    // (rank, platform cell, grade)
    let ranks = resp.texts("#results tbody tr td:nth-child(1)");
    let names = resp.texts("#results tbody tr th");
    let grades = resp.texts("#results tbody tr td.grade");
    ranks
        .into_iter()
        .zip(names)
        .zip(grades)
        .map(|((r, n), g)| (r, n, g))
        .collect()
}

/// A serious integrity violation (数据造假) of the platform on `occurred`.
async fn serious_violation(app: &TestApp, platform: i64, occurred: chrono::NaiveDate) {
    sqlx::query(
        "INSERT INTO integrity_records (platform_id, occurred_on, serious, description) VALUES ($1, $2, true, '数据造假')",
    )
    .bind(platform)
    .bind(occurred)
    .execute(app.pool())
    .await
    .unwrap();
}

#[tokio::test]
async fn the_year_end_evaluation_runs_from_submission_to_published_results() {
    let app = TestApp::new().await;
    let year = today().year();
    app.user("city", Some(Role::Staff), None, Some("320600"))
        .await;
    app.user("county", Some(Role::Staff), None, Some("320613"))
        .await;
    app.user("leader", Some(Role::Leader), None, None).await;
    let exp1 = app.user("exp1", Some(Role::Expert), None, None).await;
    let exp2 = app.user("exp2", Some(Role::Expert), None, None).await;
    let exp3 = app.user("exp3", Some(Role::Expert), None, None).await;

    // Platform A (county level, 崇川区) goes through every page.
    let a = app.platform("EVAL-A", "320613").await;
    app.user("op-a", Some(Role::Operator), Some(a), None).await;
    approved_filing(&app, a, year, targets()).await;
    let doc = document(&app, a, "2025年度财务审计报告").await;
    sqlx::query(
        "INSERT INTO indicator_values (platform_id, year, indicator_key, value) VALUES ($1, $2, 'rnd_staff', 37)",
    )
    .bind(a)
    .bind(year)
    .execute(app.pool())
    .await
    .unwrap();

    // Thirteen more platforms, already through the reviews and the experts: 14 evaluated → quota ⌊2.1⌋ = 2.
    let p1 = ready_candidate(&app, "EVAL-P1", "320613", year, 1.0, 90.0, &[exp2, exp3]).await; // 99
    let p2 = ready_candidate(&app, "EVAL-P2", "320614", year, 1.0, 50.0, &[exp2, exp3]).await; // 95
    let p3 = ready_candidate(&app, "EVAL-P3", "320600", year, 1.0, 50.0, &[exp2, exp3]).await; // 95
    let p4 = ready_candidate(&app, "EVAL-P4", "320614", year, 1.0, 20.0, &[exp2, exp3]).await; // 92
    let p5 = ready_candidate(&app, "EVAL-P5", "320614", year, 0.3, 50.0, &[exp2, exp3]).await; // 32
    for i in 0..8 {
        let (f, g) = if i % 2 == 0 { (0.8, 70.0) } else { (0.7, 60.0) }; // 79 good / 69 pass
        let jurisdiction = if i < 2 { "320613" } else { "320614" };
        ready_candidate(
            &app,
            &format!("EVAL-F{i}"),
            jurisdiction,
            year,
            f,
            g,
            &[exp2, exp3],
        )
        .await;
    }
    // P5 already has an open rectification case: publishing adds nothing for it.
    let existing_case: i64 = app
        .scalar(
            "INSERT INTO rectification_cases (platform_id, status, triggers, source) VALUES ($1, 'open', '{other}', 'manual') RETURNING id",
            p5,
        )
        .await;

    // --- the operator -------------------------------------------------------------------------------
    let mut op = app.signed_in("op-a").await;
    let page = op
        .get(&format!("/platforms/{a}/evaluation?year={year}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(
        page.value("#f-actual-rnd_staff").as_deref(),
        Some("37"),
        "prefilled from the recorded figures"
    );
    assert_eq!(page.text("#yearend-status"), "未填报");
    let version = lock_version(&mut op, a, year).await;

    // A partial draft saves.
    let resp = op
        .post(
            &format!("/platforms/{a}/evaluation/{year}"),
            &[
                ("action", "save"),
                ("lock_version", &version),
                ("actual.rnd_staff", "40"),
                ("self_assessment", "草稿"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(status_of(&app, a, year).await, "draft");
    assert_eq!(app.audit_count("evaluation.save").await, 1);

    // Submitting an incomplete form: every bad field at once, what was typed kept.
    let version = lock_version(&mut op, a, year).await;
    let resp = op
        .post(
            &format!("/platforms/{a}/evaluation/{year}"),
            &[
                ("action", "submit"),
                ("lock_version", &version),
                ("actual.rnd_staff", "40.5"),
                ("actual.rnd_expenditure", "-3"),
                ("self_assessment", ""),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.value("#f-actual-rnd_staff").as_deref(), Some("40.5"));
    let errors = resp.texts(".field-error");
    assert!(errors.contains(&"应为整数".to_string()), "{errors:?}");
    assert!(errors.contains(&"不能为负数".to_string()));
    assert!(resp.text("#f-self_assessment-error").contains("自评报告"));
    assert!(resp.text("#f-evidence-error").contains("证明材料"));
    assert!(resp.text("#f-confirm-error").contains("确认"));
    assert_eq!(status_of(&app, a, year).await, "draft");

    // Another platform's document is not evidence.
    let other = app.platform("EVAL-OTHER", "320614").await;
    let foreign = document(&app, other, "别人的文件").await;
    let mut form = complete_form(0.4, doc, &version);
    form.push(("evidence".into(), foreign.to_string()));
    let resp = post_owned(&mut op, &format!("/platforms/{a}/evaluation/{year}"), &form).await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text("#f-evidence-error").contains("不属于本平台"));

    // The complete submission.
    let resp = post_owned(
        &mut op,
        &format!("/platforms/{a}/evaluation/{year}"),
        &complete_form(0.4, doc, &version),
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(status_of(&app, a, year).await, "submitted");
    assert_eq!(events(&app, a, "evaluation.submitted").await, 1);
    let page = op
        .get(&format!("/platforms/{a}/evaluation?year={year}"))
        .await;
    assert!(page.text("#yearend-status").contains("已提交"));
    assert!(
        page.texts("#evaluation-form").is_empty(),
        "no form once submitted"
    );
    assert_eq!(page.texts("#evidence-list li").len(), 1);

    // A second submission is refused.
    let version = lock_version_or(&mut op, a, year).await;
    let resp = post_owned(
        &mut op,
        &format!("/platforms/{a}/evaluation/{year}"),
        &complete_form(0.4, doc, &version),
    )
    .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(resp.text("#refusal-reasons").contains("不能重复提交"));

    // The first submission, moved ten days back: the year's evaluation date (POLICY-RULES.md: a resubmission
    // after a return does not move it).
    let first_submitted = today() - chrono::Duration::days(10);
    sqlx::query(
        "UPDATE evaluations SET submitted_at = submitted_at - interval '10 days',
                first_submitted_at = first_submitted_at - interval '10 days'
         WHERE platform_id = $1 AND year = $2",
    )
    .bind(a)
    .bind(year)
    .execute(app.pool())
    .await
    .unwrap();

    // --- reviews ----------------------------------------------------------------------------------------
    let mut city = app.signed_in("city").await;
    let mut county = app.signed_in("county").await;
    let review = |kind: &str| format!("/platforms/{a}/evaluation/{year}/{kind}");
    let resp = city
        .post(&review("city-review"), &[("decision", "pass")])
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(resp.text("#refusal-reasons").contains("须先经县级初审"));

    let resp = county
        .post(
            &review("county-review"),
            &[("decision", "return"), ("comment", " ")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text("#review-error").contains("退回时请填写意见"));
    let resp = county
        .post(
            &review("county-review"),
            &[
                ("decision", "return"),
                ("comment", "请补充技术合同登记证明"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, a, year).await, "county_returned");
    let page = op
        .get(&format!("/platforms/{a}/evaluation?year={year}"))
        .await;
    assert_eq!(page.text("#county-comment"), "请补充技术合同登记证明");
    let version = lock_version(&mut op, a, year).await;
    let resp = post_owned(
        &mut op,
        &format!("/platforms/{a}/evaluation/{year}"),
        &complete_form(0.4, doc, &version),
    )
    .await;
    assert_eq!(
        resp.status,
        StatusCode::SEE_OTHER,
        "resubmitted after a return"
    );
    // The snapshot keeps the first submission's date; the review queue sees the latest submission.
    let evaluation_date = snapshot_evaluation_date(&app, a, year).await;
    assert_eq!(evaluation_date, Some(first_submitted));
    let latest: chrono::NaiveDate = sqlx::query_scalar(
        "SELECT (submitted_at AT TIME ZONE 'Asia/Shanghai')::date FROM evaluations WHERE platform_id = $1 AND year = $2",
    )
    .bind(a)
    .bind(year)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(latest, today());
    let resp = county
        .post(&review("county-review"), &[("decision", "pass")])
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, a, year).await, "county_passed");
    // County staff never do the city review.
    let resp = county
        .post(&review("city-review"), &[("decision", "pass")])
        .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    assert!(resp.text("#refusal-reasons").contains("市科技局"));
    let resp = city
        .post(
            &review("city-review"),
            &[("decision", "pass"), ("comment", "材料齐全")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, a, year).await, "city_passed");
    for kind in [
        "evaluation.county_returned",
        "evaluation.county_passed",
        "evaluation.city_passed",
    ] {
        assert_eq!(events(&app, a, kind).await, 1, "{kind}");
    }
    assert_eq!(app.audit_count("evaluation.county_return").await, 1);
    assert_eq!(app.audit_count("evaluation.city_pass").await, 1);

    // --- the round: quantitative score, experts -----------------------------------------------------------
    let round = format!("/evaluations/{year}");
    let resp = city.post(&format!("{round}/compute"), &[]).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let page = city.get(&round).await;
    assert_eq!(page.texts("#evaluations tbody tr").len(), 14);
    let eval_a: i64 = app
        .scalar("SELECT id FROM evaluations WHERE platform_id = $1", a)
        .await;
    assert!(
        page.text(&format!("#eval-{eval_a} td:nth-of-type(5)"))
            .starts_with("40.00"),
        "quantitative only: {}",
        page.text(&format!("#eval-{eval_a}"))
    );
    // Not enough experts yet: proposing is refused with the reason.
    let resp = city.post(&format!("{round}/propose"), &[]).await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(
        resp.text("#refusal-reasons")
            .contains("EVAL-A：有效专家评分0/2份")
            || resp
                .text("#refusal-reasons")
                .contains("测试平台EVAL-A：有效专家评分0/2份"),
        "{}",
        resp.text("#refusal-reasons")
    );
    for e in [exp1, exp2, exp3] {
        let resp = city
            .post(
                &format!("{round}/evaluations/{eval_a}/experts"),
                &[("expert_id", &e.to_string())],
            )
            .await;
        assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    }
    let resp = city
        .post(
            &format!("{round}/evaluations/{eval_a}/experts"),
            &[("expert_id", &exp2.to_string())],
        )
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT, "assigned twice");
    let aid = |expert: i64| {
        let pool = app.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM expert_assignments WHERE evaluation_id = $1 AND expert_id = $2",
            )
            .bind(eval_a)
            .bind(expert)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let (a1, a2, a3) = (aid(exp1).await, aid(exp2).await, aid(exp3).await);

    // Expert 1: a conflict of interest; scoring is refused with the reason.
    let mut e1 = app.signed_in("exp1").await;
    let home = e1.get("/").await;
    assert_eq!(home.location(), Some("/todo"));
    let list = e1.get("/expert").await;
    assert_eq!(list.texts("#assignments tbody tr").len(), 1);
    let resp = e1
        .post(
            &format!("/expert/assignments/{a1}/declaration"),
            &[("conflict", "yes"), ("note", "")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text("#f-note-error").contains("利益冲突情形"));
    let resp = e1
        .post(
            &format!("/expert/assignments/{a1}/declaration"),
            &[("conflict", "yes"), ("note", "本人在该平台共建单位兼职")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let mut scores: Vec<(String, String)> = keys(IndicatorKind::Qualitative)
        .into_iter()
        .map(|k| (format!("score.{k}"), "60".to_string()))
        .collect();
    scores.push(("action".into(), "submit".into()));
    let resp = post_owned(
        &mut e1,
        &format!("/expert/assignments/{a1}/scores"),
        &scores,
    )
    .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    assert!(resp.text("#refusal-reasons").contains("存在利益冲突"));
    assert!(resp.text("h1").contains("利益冲突"));
    let page = e1.get(&format!("/expert/assignments/{a1}")).await;
    assert!(page.text("#conflicted").contains("不能对其评分"));
    assert!(page.texts("#scoring form").is_empty());

    // Expert 2 cannot open expert 1's assignment.
    let mut e2 = app.signed_in("exp2").await;
    assert_eq!(
        e2.get(&format!("/expert/assignments/{a1}")).await.status,
        StatusCode::NOT_FOUND
    );
    let resp = post_owned(
        &mut e2,
        &format!("/expert/assignments/{a1}/scores"),
        &scores,
    )
    .await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    // Scoring before declaring is refused; then declare, save a partial score, submit.
    let resp = post_owned(
        &mut e2,
        &format!("/expert/assignments/{a2}/scores"),
        &scores,
    )
    .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(resp.text("#refusal-reasons").contains("请先声明"));
    let resp = e2
        .post(
            &format!("/expert/assignments/{a2}/declaration"),
            &[("conflict", "no")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let resp = e2
        .post(
            &format!("/expert/assignments/{a2}/scores"),
            &[("action", "submit"), ("score.filings_on_time", "120")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.text("#f-score-filings_on_time-error"),
        "评分应在0–100之间"
    );
    assert_eq!(resp.texts(".field-error").len(), 4);
    let resp = post_owned(
        &mut e2,
        &format!("/expert/assignments/{a2}/scores"),
        &scores,
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let resp = post_owned(
        &mut e2,
        &format!("/expert/assignments/{a2}/scores"),
        &scores,
    )
    .await;
    assert_eq!(
        resp.status,
        StatusCode::CONFLICT,
        "submitted scores are final"
    );
    let mut e3 = app.signed_in("exp3").await;
    e3.post(
        &format!("/expert/assignments/{a3}/declaration"),
        &[("conflict", "no")],
    )
    .await;
    let resp = post_owned(
        &mut e3,
        &format!("/expert/assignments/{a3}/scores"),
        &scores,
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert_eq!(app.audit_count("expert.declare").await, 3);
    assert_eq!(app.audit_count("expert.scores_submit").await, 2);
    let page = city.get(&round).await;
    let progress = page.text(&format!("#eval-{eval_a}"));
    assert!(progress.contains("有利益冲突"), "{progress}");
    assert!(progress.contains("专家评分已完成（2份）"), "{progress}");

    // --- proposed grades with the quota and a tie at its boundary ----------------------------------------
    let resp = city.post(&format!("{round}/propose"), &[]).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let grades: Vec<GradeRow> = sqlx::query_as(
        "SELECT platform_id, rank, grade, total_score FROM evaluations WHERE year = $1 ORDER BY rank, platform_id",
    )
    .bind(year)
    .fetch_all(app.pool())
    .await
    .unwrap();
    let of = |p: i64| grades.iter().find(|g| g.0 == p).cloned().unwrap();
    assert_eq!(of(p1).2.as_deref(), Some("excellent"));
    assert_eq!(of(p1).1, Some(1));
    // 95 tied at places 2–3 with a quota of 2: the tie is not split, neither is 优秀.
    assert_eq!((of(p2).1, of(p2).2.as_deref()), (Some(2), Some("good")));
    assert_eq!((of(p3).1, of(p3).2.as_deref()), (Some(2), Some("good")));
    assert_eq!((of(p4).1, of(p4).2.as_deref()), (Some(4), Some("good")));
    assert!((of(a).3.unwrap() - 42.0).abs() < 1e-9, "{:?}", of(a));
    assert_eq!(of(a).2.as_deref(), Some("fail"));
    assert_eq!(of(p5).2.as_deref(), Some("fail"));
    let excellent = grades
        .iter()
        .filter(|g| g.2.as_deref() == Some("excellent"))
        .count();
    assert_eq!(excellent, 1);
    // Nothing moves any more: an expert's score is locked, a review refused.
    let resp = city
        .post(
            &format!("{round}/evaluations/{eval_a}/experts"),
            &[("expert_id", &exp1.to_string())],
        )
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);

    // --- the public notice with an objection -------------------------------------------------------------
    let resp = city.post(&format!("{round}/publish"), &[]).await;
    assert_eq!(resp.status, StatusCode::CONFLICT, "not before the notice");
    let resp = city.post(&format!("{round}/notice"), &[]).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let page = city.get(&round).await;
    let t = today();
    assert_eq!(
        page.text("#notice-period"),
        format!("{t} 至 {}", t + chrono::Duration::days(6))
    );
    assert_eq!(events(&app, a, "evaluation.notice").await, 1);
    // The operator sees the proposed result during the notice.
    let page = op
        .get(&format!("/platforms/{a}/evaluation?year={year}"))
        .await;
    assert!(page.text("#yearend-result").contains("不合格"));

    let resp = city
        .post(
            &format!("{round}/objections"),
            &[
                ("evaluation_id", ""),
                ("raised_by", ""),
                ("raised_on", "x"),
                ("content", ""),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.texts("#objection-form .field-error").len(), 4);
    let eval_p2: i64 = app
        .scalar("SELECT id FROM evaluations WHERE platform_id = $1", p2)
        .await;
    let resp = city
        .post(
            &format!("{round}/objections"),
            &[
                ("evaluation_id", &eval_p2.to_string()),
                ("raised_by", "某同行企业"),
                ("raised_on", &t.to_string()),
                ("content", "认为该平台技术合同数据偏高"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let oid: i64 = app
        .scalar("SELECT id FROM objections WHERE year = $1", year)
        .await;
    // Notice over (dates moved into the past), but the objection is unanswered: refused.
    sqlx::query(
        "UPDATE evaluation_rounds SET notice_starts = notice_starts - 10, notice_ends = notice_ends - 10 WHERE year = $1",
    )
    .bind(year)
    .execute(app.pool())
    .await
    .unwrap();
    let resp = city.post(&format!("{round}/publish"), &[]).await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(resp.text("#refusal-reasons").contains("1条异议未答复"));
    // An objection dated after the notice period is refused, with what the user typed kept.
    let resp = city
        .post(
            &format!("{round}/objections"),
            &[
                ("evaluation_id", &eval_p2.to_string()),
                ("raised_by", "迟到的异议人"),
                ("raised_on", &t.to_string()),
                ("content", "公示期满后才提出的异议"),
            ],
        )
        .await;
    assert_eq!(
        resp.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        resp.body
    );
    assert!(
        resp.text("#objection-form")
            .contains("公示期满后提出的异议不予受理"),
        "{}",
        resp.text("#objection-form")
    );
    assert!(resp.body.contains("迟到的异议人"));
    let objections: i64 = app
        .scalar("SELECT count(*) FROM objections WHERE year = $1", year)
        .await;
    assert_eq!(objections, 1);
    let resp = city
        .post(
            &format!("{round}/objections/{oid}/answer"),
            &[("response", "")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    let resp = city
        .post(
            &format!("{round}/objections/{oid}/answer"),
            &[(
                "response",
                "经核查技术合同登记证明，数据属实，维持拟评结果。",
            )],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert_eq!(events(&app, p2, "evaluation.objection_answered").await, 1);

    // --- published, with results application -------------------------------------------------------------
    // Forget the graded platforms' findings: publishing must evaluate them again at once.
    sqlx::query(
        "DELETE FROM findings WHERE platform_id IN (SELECT platform_id FROM evaluations WHERE year = $1 AND status = 'scored')",
    )
    .bind(year)
    .execute(app.pool())
    .await
    .unwrap();
    let resp = city.post(&format!("{round}/publish"), &[]).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let refreshed: i64 = app
        .scalar(
            "SELECT count(DISTINCT f.platform_id) FROM findings f
             JOIN evaluations e ON e.platform_id = f.platform_id AND e.year = $1 AND e.grade IS NOT NULL",
            year,
        )
        .await;
    assert_eq!(
        refreshed, 14,
        "every published platform's findings are fresh"
    );
    let applied: Vec<(i64, String, i64, f64)> = sqlx::query_as(
        "SELECT platform_id, grade, reward_yuan, funding_coefficient FROM evaluations WHERE year = $1",
    )
    .bind(year)
    .fetch_all(app.pool())
    .await
    .unwrap();
    let of = |p: i64| applied.iter().find(|x| x.0 == p).cloned().unwrap();
    assert_eq!(of(p1), (p1, "excellent".into(), 500_000, 1.2));
    assert_eq!(of(p2), (p2, "good".into(), 200_000, 1.0));
    assert_eq!(of(a), (a, "fail".into(), 0, 0.0));
    let cases: Vec<(i64, String, Vec<String>, String, String)> = sqlx::query_as(
        "SELECT platform_id, status, triggers, source, plan_summary FROM rectification_cases ORDER BY id",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(
        cases.len(),
        2,
        "the existing case and one new draft: {cases:?}"
    );
    let drafted = cases.iter().find(|c| c.0 == a).expect("a draft for A");
    assert_eq!(drafted.1, "draft");
    assert_eq!(drafted.2, vec!["fail_grade".to_string()]);
    assert_eq!(drafted.3, format!("evaluation:{year}"));
    assert!(drafted.4.contains("不合格"));
    assert_eq!(events(&app, a, "case.drafted").await, 1);
    assert_eq!(events(&app, p5, "case.drafted").await, 0);
    let p5_event: String = app
        .scalar(
            "SELECT summary FROM lifecycle_events WHERE platform_id = $1 AND kind = 'evaluation.published'",
            p5,
        )
        .await;
    assert!(
        p5_event.contains(&format!("已有进行中的整改案件（#{existing_case}）")),
        "{p5_event}"
    );
    let published: i64 = app
        .value("SELECT count(*) FROM lifecycle_events WHERE kind = 'evaluation.published'")
        .await;
    assert_eq!(published, 14);
    assert_eq!(app.audit_count("evaluation_round.publish").await, 1);
    assert_eq!(app.audit_count("rectification.draft").await, 1);
    let page = city.get(&round).await;
    assert_eq!(page.text("#round-status"), "结果已发布");
    assert_eq!(page.texts("#fails li").len(), 2);
    let page = op
        .get(&format!("/platforms/{a}/evaluation?year={year}"))
        .await;
    assert!(page.text("#yearend-result").contains("经费系数 0.00"));

    // --- the results table and its export, in scope ------------------------------------------------------
    let results = city.get(&format!("{round}/results")).await;
    assert_eq!(results.status, StatusCode::OK);
    let rows = grade_rows(&results);
    assert_eq!(rows.len(), 14);
    assert_eq!(rows[0].0, "1");
    assert!(rows[0].1.contains("EVAL-P1"));
    assert_eq!(rows[0].2, "优秀");
    assert_eq!((rows[1].0.as_str(), rows[2].0.as_str()), ("2", "2"));
    assert_eq!(results.texts("#results thead th").len(), 13);
    let Resp {
        status,
        headers,
        bytes,
        ..
    } = city.get(&format!("{round}/results.xlsx")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers.get(header::CONTENT_TYPE).unwrap(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        headers
            .get(header::CONTENT_DISPOSITION)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let sheet = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
    assert_eq!(sheet.matches("<row ").count(), 15, "header + 14 rows");
    assert!(sheet.contains("ySplit=\"1\""), "the header row is frozen");
    let strings = zip_entry(&bytes, "xl/sharedStrings.xml");
    for h in [
        "排名",
        "平台名称",
        "总分",
        "等次",
        "奖励建议（元）",
        "EVAL-P1",
    ] {
        assert!(strings.contains(h), "{h} missing");
    }
    let styles = zip_entry(&bytes, "xl/styles.xml");
    assert!(
        styles.contains("formatCode=\"0.00\""),
        "0.00 for scores: {styles}"
    );
    assert!(
        styles.contains("formatCode=\"#,##0\""),
        "#,##0 for money: {styles}"
    );

    // County staff see their county's rows only (A, P1 and two fillers), on the page and in the file.
    let county_results = county.get(&format!("{round}/results")).await;
    let county_rows = grade_rows(&county_results);
    assert_eq!(county_rows.len(), 4, "{county_rows:?}");
    assert!(county_rows.iter().all(|r| !r.1.contains("EVAL-P2")));
    let bytes = county.get(&format!("{round}/results.xlsx")).await.bytes;
    let sheet = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
    assert_eq!(sheet.matches("<row ").count(), 5);
    let page = county.get(&round).await;
    assert_eq!(page.texts("#evaluations tbody tr").len(), 4);
    assert!(page.texts("#round-actions").is_empty(), "county staff read");
    let resp = county.post(&format!("{round}/withdraw"), &[]).await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);

    // The leader reads everything, acts on nothing.
    let mut leader = app.signed_in("leader").await;
    let results = leader.get(&format!("{round}/results")).await;
    assert_eq!(grade_rows(&results).len(), 14);
    assert!(leader.get(&round).await.texts("#round-actions").is_empty());
    assert_eq!(
        leader.post(&format!("{round}/publish"), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    // The operator has no business on the bureau's pages.
    assert_eq!(op.get(&round).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        op.get(&format!("{round}/results.xlsx")).await.status,
        StatusCode::FORBIDDEN
    );
}

/// The lock version on the page, or "1" when the form is gone (already submitted).
async fn lock_version_or(c: &mut Client, platform: i64, year: i32) -> String {
    c.get(&format!("/platforms/{platform}/evaluation?year={year}"))
        .await
        .value("input[name=lock_version]")
        .unwrap_or_else(|| "1".into())
}

#[tokio::test]
async fn an_operator_never_sees_or_writes_another_platforms_evaluation() {
    let app = TestApp::new().await;
    let year = today().year();
    let mine = app.platform("MINE-1", "320613").await;
    let theirs = app.platform("THEIRS-1", "320614").await;
    app.user("oper", Some(Role::Operator), Some(mine), None)
        .await;
    let doc = document(&app, theirs, "材料").await;
    let mut op = app.signed_in("oper").await;
    // Another platform is outside the operator's scope: 404, as if it did not exist.
    assert_eq!(
        op.get(&format!("/platforms/{theirs}/evaluation?year={year}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let resp = post_owned(
        &mut op,
        &format!("/platforms/{theirs}/evaluation/{year}"),
        &complete_form(1.0, doc, "1"),
    )
    .await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    let count: i64 = app.value("SELECT count(*) FROM evaluations").await;
    assert_eq!(count, 0);
    // Nor staff business: reviews are not the operator's.
    assert_eq!(
        op.post(
            &format!("/platforms/{mine}/evaluation/{year}/county-review"),
            &[("decision", "pass")]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // County staff of another county: out of scope, 404 too.
    app.user("haimen", Some(Role::Staff), None, Some("320614"))
        .await;
    let mut haimen = app.signed_in("haimen").await;
    assert_eq!(
        haimen
            .get(&format!("/platforms/{mine}/evaluation?year={year}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_late_first_submission_is_refused_until_staff_reopen() {
    let app = TestApp::new().await;
    // Two years back: its deadline (01-31 of last year) is always past.
    let year = today().year() - 2;
    let p = app.platform("LATE-1", "320613").await;
    app.user("oper", Some(Role::Operator), Some(p), None).await;
    app.user("county", Some(Role::Staff), None, Some("320613"))
        .await;
    let doc = document(&app, p, "材料").await;
    let mut op = app.signed_in("oper").await;
    let page = op
        .get(&format!("/platforms/{p}/evaluation?year={year}"))
        .await;
    assert!(page.text("#late").contains("已过"));
    let resp = post_owned(
        &mut op,
        &format!("/platforms/{p}/evaluation/{year}"),
        &complete_form(0.9, doc, "1"),
    )
    .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    let reasons = resp.text("#refusal-reasons");
    assert!(reasons.contains("已过截止日期"), "{reasons}");
    assert!(
        reasons.contains(&format!("{}-01-31", year + 1)),
        "{reasons}"
    );
    let count: i64 = app.value("SELECT count(*) FROM evaluations").await;
    assert_eq!(count, 0, "nothing was stored");

    // Staff reopen (with a reason, within 90 days); then the submission goes through.
    let mut county = app.signed_in("county").await;
    let until = (today() + chrono::Duration::days(3)).to_string();
    let resp = county
        .post(
            &format!("/platforms/{p}/evaluation/{year}/reopen"),
            &[("until", &until), ("reason", "")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text("#reopen-error").contains("理由"));
    let resp = county
        .post(
            &format!("/platforms/{p}/evaluation/{year}/reopen"),
            &[("until", &until), ("reason", "系统故障导致未能按时提交")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(events(&app, p, "evaluation.reopened").await, 1);
    let version = lock_version(&mut op, p, year).await;
    let resp = post_owned(
        &mut op,
        &format!("/platforms/{p}/evaluation/{year}"),
        &complete_form(0.9, doc, &version),
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(status_of(&app, p, year).await, "submitted");
}

#[tokio::test]
async fn a_platform_barred_for_integrity_is_not_evaluated() {
    let app = TestApp::new().await;
    let year = today().year();
    let p = app.platform("BAN-1", "320613").await;
    app.user("oper", Some(Role::Operator), Some(p), None).await;
    app.user("city", Some(Role::Staff), None, Some("320600"))
        .await;
    let doc = document(&app, p, "材料").await;
    let occurred = today() - chrono::Duration::days(400);
    serious_violation(&app, p, occurred).await;
    let mut op = app.signed_in("oper").await;
    let page = op
        .get(&format!("/platforms/{p}/evaluation?year={year}"))
        .await;
    assert!(page.text("#excluded").contains("INTEG-BAN"));
    assert!(page.texts("button[value=submit]").is_empty());
    let resp = post_owned(
        &mut op,
        &format!("/platforms/{p}/evaluation/{year}"),
        &complete_form(1.0, doc, "1"),
    )
    .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(
        resp.text("#refusal-reasons")
            .contains(&occurred.to_string())
    );
    assert_eq!(status_of(&app, p, year).await, "excluded");
    let reason: String = app
        .scalar(
            "SELECT excluded_reason FROM evaluations WHERE platform_id = $1",
            p,
        )
        .await;
    assert!(reason.contains("36个月"), "{reason}");
    assert_eq!(events(&app, p, "evaluation.excluded").await, 1);
    assert_eq!(app.audit_count("evaluation.excluded").await, 1);
    let page = op
        .get(&format!("/platforms/{p}/evaluation?year={year}"))
        .await;
    assert_eq!(page.text("#yearend-status"), "不参评");
    // Staff see it on the round page and in the results' 不参评 list.
    let mut city = app.signed_in("city").await;
    let page = city.get(&format!("/evaluations/{year}")).await;
    assert!(page.text("#evaluations tbody tr").contains("不参评"));

    // A shorter ban configured in the rule parameters lifts the bar.
    sqlx::query(
        "INSERT INTO rule_params (key, value, reason) VALUES ('INTEG-BAN.ban_months', '12', '测试')",
    )
    .execute(app.pool())
    .await
    .unwrap();
    let q = app.platform("BAN-2", "320613").await;
    serious_violation(&app, q, occurred).await;
    let page = city
        .get(&format!("/platforms/{q}/evaluation?year={year}"))
        .await;
    assert!(
        page.texts("#excluded").is_empty(),
        "13 months after, a 12-month ban is over"
    );
}

#[tokio::test]
async fn a_city_platform_goes_straight_to_the_city_review() {
    let app = TestApp::new().await;
    let year = today().year();
    let p = app.platform("CITY-1", "320600").await;
    app.user("oper", Some(Role::Operator), Some(p), None).await;
    app.user("city", Some(Role::Staff), None, Some("320600"))
        .await;
    let doc = document(&app, p, "材料").await;
    let mut op = app.signed_in("oper").await;
    let resp = post_owned(
        &mut op,
        &format!("/platforms/{p}/evaluation/{year}"),
        &complete_form(0.9, doc, "1"),
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let mut city = app.signed_in("city").await;
    let resp = city
        .post(
            &format!("/platforms/{p}/evaluation/{year}/county-review"),
            &[("decision", "pass")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(
        resp.text("#refusal-reasons")
            .contains("市级平台不经县级初审")
    );
    let resp = city
        .post(
            &format!("/platforms/{p}/evaluation/{year}/city-review"),
            &[("decision", "return"), ("comment", "请补充自评")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, p, year).await, "city_returned");
}

#[tokio::test]
async fn a_stale_save_shows_both_versions_and_overwrites_nothing() {
    let app = TestApp::new().await;
    let year = today().year();
    let p = app.platform("STALE-1", "320613").await;
    app.user("oper", Some(Role::Operator), Some(p), None).await;
    let mut op = app.signed_in("oper").await;
    let version = lock_version(&mut op, p, year).await;
    let save = |v: &str, staff: &str| {
        vec![
            ("action".to_string(), "save".to_string()),
            ("lock_version".to_string(), v.to_string()),
            ("actual.rnd_staff".to_string(), staff.to_string()),
        ]
    };
    let path = format!("/platforms/{p}/evaluation/{year}");
    let first = post_owned(&mut op, &path, &save(&version, "10")).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let second = post_owned(&mut op, &path, &save(&version, "20")).await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    let differing = second.texts("#conflict tr.differs");
    assert_eq!(differing.len(), 1, "{differing:?}");
    assert!(differing[0].contains("20") && differing[0].contains("10"));
    let saved: Value = app
        .scalar("SELECT actuals FROM evaluations WHERE platform_id = $1", p)
        .await;
    assert_eq!(saved["rnd_staff"], json!(10.0));
}

#[tokio::test]
async fn empty_states_guide_the_next_step() {
    let app = TestApp::new().await;
    let year = today().year();
    app.user("exp", Some(Role::Expert), None, None).await;
    app.user("city", Some(Role::Staff), None, Some("320600"))
        .await;
    let mut exp = app.signed_in("exp").await;
    let page = exp.get("/expert").await;
    assert!(page.text("#no-assignments").contains("没有分配的评审任务"));
    let mut city = app.signed_in("city").await;
    let page = city.get(&format!("/evaluations/{year}")).await;
    assert!(page.text("#no-evaluations").contains("年度考核"));
    let page = city.get(&format!("/evaluations/{year}/results")).await;
    assert!(page.text("#no-results").contains("尚未生成"));
    assert!(page.texts("#export").is_empty());
    let resp = city
        .post(&format!("/evaluations/{year}/propose"), &[])
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(
        resp.text("#refusal-reasons")
            .contains("没有通过市级复审的评估")
    );
    assert_eq!(
        city.get("/evaluations/1999").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_demo_city_has_three_published_rounds_and_the_current_year_in_progress() {
    let app = TestApp::with_demo().await;
    let rounds: Vec<(i32, String)> =
        sqlx::query_as("SELECT year, status FROM evaluation_rounds ORDER BY year")
            .fetch_all(app.pool())
            .await
            .unwrap();
    assert_eq!(
        rounds,
        vec![
            (2023, "published".to_string()),
            (2024, "published".to_string()),
            (2025, "published".to_string())
        ]
    );
    for year in [2023, 2024, 2025] {
        let grades: Vec<String> = app
            .column(
                "SELECT DISTINCT grade FROM evaluations WHERE year = $1 AND status = 'scored'",
                year,
            )
            .await;
        // Varied grades every year, always with an excellent and a 不合格 (whose draft case is tested).
        assert!(grades.len() >= 3, "{year}: grades not varied: {grades:?}");
        for g in ["excellent", "fail"] {
            assert!(
                grades.contains(&g.to_string()),
                "{year}: no {g} in {grades:?}"
            );
        }
        // Grades match the quota: at most ⌊15%⌋ (at least 1) excellent.
        let (n, excellent): (i64, i64) = sqlx::query_as(
            "SELECT count(*), count(*) FILTER (WHERE grade = 'excellent') FROM evaluations
             WHERE year = $1 AND status = 'scored'",
        )
        .bind(year)
        .fetch_one(app.pool())
        .await
        .unwrap();
        assert!(
            excellent >= 1 && excellent <= (n * 15 / 100).max(1),
            "{year}: {excellent}/{n}"
        );
        // Every graded evaluation has two experts' submitted scores.
        let short: i64 = app
            .scalar(
                "SELECT count(*) FROM evaluations e WHERE e.year = $1 AND e.status = 'scored'
                 AND (SELECT count(*) FROM expert_assignments a WHERE a.evaluation_id = e.id
                      AND a.conflict = false AND a.submitted_at IS NOT NULL) < 2",
                year,
            )
            .await;
        assert_eq!(short, 0);
    }
    // The platform with a serious violation is excluded only from the rounds whose year-end deadline falls
    // inside its ban (violation date ≤ deadline < date + 36 months): not from the rounds due before it.
    let excluded: Vec<(i32, chrono::NaiveDate)> = sqlx::query_as(
        "SELECT e.year, r.occurred_on FROM evaluations e
         JOIN integrity_records r ON r.platform_id = e.platform_id AND r.serious
         WHERE e.status = 'excluded' ORDER BY e.year",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert!(!excluded.is_empty(), "the demo has an excluded round");
    for (year, occurred_on) in &excluded {
        let deadline = chrono::NaiveDate::from_ymd_opt(year + 1, 1, 31).unwrap();
        assert!(
            *occurred_on <= deadline,
            "{year}: excluded for a violation on {occurred_on}, after the round's deadline"
        );
    }
    let evaluated_before_violation: i64 = app
        .value(
            "SELECT count(*) FROM evaluations e
             JOIN integrity_records r ON r.platform_id = e.platform_id AND r.serious
             WHERE e.status <> 'excluded' AND make_date(e.year + 1, 1, 31) < r.occurred_on",
        )
        .await;
    assert!(
        evaluated_before_violation >= 1,
        "rounds due before the violation are evaluated"
    );

    // 2024: two platforms tied at the quota's boundary, both 良好.
    let tie: Vec<(i32, String)> = sqlx::query_as(
        "SELECT rank, grade FROM evaluations WHERE year = 2024 AND rank IN
           (SELECT rank FROM evaluations WHERE year = 2024 AND status = 'scored' GROUP BY rank HAVING count(*) > 1)
         ORDER BY rank LIMIT 2",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(tie.len(), 2, "a tie in 2024");
    assert_eq!(tie[0], tie[1]);
    // 2025's 不合格 got draft cases (unless a case was already open); earlier years none.
    let drafts: Vec<String> = app
        .values(
            "SELECT source FROM rectification_cases WHERE triggers = '{fail_grade}' AND status = 'draft'",
        )
        .await;
    assert!(!drafts.is_empty());
    assert!(drafts.iter().all(|s| s == "evaluation:2025"), "{drafts:?}");
    // 2026 in progress: submitted or in review only, one with the experts.
    let statuses: Vec<String> = app
        .values("SELECT status FROM evaluations WHERE year = 2026")
        .await;
    assert!(statuses.len() >= 4, "{statuses:?}");
    assert!(statuses.iter().all(|s| s != "scored"));
    let mut expert = app.client();
    expert.login("demo-expert", kechuang::demo::PASSWORD).await;
    let list = expert.get("/expert").await;
    assert!(list.texts("#assignments tbody tr").len() > 1);
    assert!(list.text("#open-count").contains("1 项"));
    let mut staff = app.client();
    staff.login("demo-staff", kechuang::demo::PASSWORD).await;
    let results = staff.get("/evaluations/2025/results").await;
    assert_eq!(results.status, StatusCode::OK);
    assert!(results.texts("#results tbody tr").len() > 10);
    let round = staff.get("/evaluations/2026").await;
    assert!(round.texts("#evaluations tbody tr").len() >= 4);
    let mut county = app.client();
    county
        .login("demo-county-staff", kechuang::demo::PASSWORD)
        .await;
    let mine = county.get("/evaluations/2025/results").await;
    assert!(mine.texts("#results tbody tr").len() < results.texts("#results tbody tr").len());
}
