//! Year-start filing (年初备案): an operator files, is returned with comments, fixes and resubmits,
//! is approved; an approved filing is locked and changed only by a new version with a reason;
//! duplicate submissions are refused, late ones flagged; data scope.

use crate::common;

use crate::common::{Client, TestApp, TwoPlatforms, filing_form, two_platforms};
use axum::http::StatusCode;
use kechuang::domain::compliance::snapshot::Filing;

/// A year whose filing deadline (03-31) is still ahead whenever these tests run.
const FUTURE: &str = "2090";
/// A year whose deadline has passed.
const PAST: &str = "2020";

/// The 2090 filing in the platform's compliance snapshot (what `kechuang snapshot` writes).
async fn snapshot_filing(app: &TestApp, platform: i64) -> Filing {
    let as_of = chrono::NaiveDate::from_ymd_opt(2090, 6, 1).unwrap();
    let snap = app.snapshot(platform, as_of).await;
    snap.platform
        .years
        .get(2090)
        .map_or(Filing::None, |r| r.filing)
}

fn set(form: &mut Vec<(String, String)>, name: &str, value: &str) {
    form.retain(|(k, _)| k != name);
    form.push((name.into(), value.into()));
}

async fn post(c: &mut Client, path: &str, form: &[(String, String)]) -> common::Resp {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    c.post(path, &pairs).await
}

/// (id, version, status, lock_version) of every version, oldest first.
async fn versions(app: &TestApp, platform: i64, year: i32) -> Vec<(i64, i32, String, i32)> {
    sqlx::query_as(
        "SELECT id, version, status, lock_version FROM filings WHERE platform_id = $1 AND year = $2 ORDER BY version",
    )
    .bind(platform)
    .bind(year)
    .fetch_all(app.pool())
    .await
    .unwrap()
}

async fn events(app: &TestApp, platform: i64, kind: &str) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT summary, reason FROM lifecycle_events WHERE platform_id = $1 AND kind = $2 ORDER BY id",
    )
    .bind(platform)
    .bind(kind)
    .fetch_all(app.pool())
    .await
    .unwrap()
}

/// Files and gets approved a complete filing for `year`; returns the version id.
async fn file_and_approve(fx: &TwoPlatforms, year: &str) -> i64 {
    let mut op = fx.app.signed_in("op-own").await;
    let resp = post(
        &mut op,
        &format!("/platforms/{}/annual/filing", fx.own),
        &filing_form(year, "submit", "0"),
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let (fid, _, _, lock) = versions(&fx.app, fx.own, year.parse().unwrap()).await[0].clone();
    let mut staff = fx.app.signed_in("county-staff").await;
    let resp = staff
        .post(
            &format!("/platforms/{}/annual/filing/{fid}/review", fx.own),
            &[("decision", "approve"), ("lock_version", &lock.to_string())],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    fid
}

#[tokio::test]
async fn operator_files_is_returned_fixes_resubmits_and_is_approved() {
    let fx = two_platforms().await;
    let own = fx.own;
    let mut op = fx.app.signed_in("op-own").await;

    // Nothing filed yet: the page says what to do.
    let page = op
        .get(&format!("/platforms/{own}/annual?year={FUTURE}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text("#filing-empty").contains("尚未填报"));
    assert_eq!(page.text("#filing-edit"), "填报年初备案");
    assert!(page.text("#filing-timeliness").contains("尚未提交"));
    // The other steps' sections are there (filled by their modules).
    assert_eq!(page.texts("#midyear > header h3"), vec!["半年过堂"]);
    assert_eq!(page.texts("#yearend > header h3"), vec!["年底评估"]);

    // The form lists every quantitative indicator (14 by default), the plan and the budget.
    let form = op
        .get(&format!("/platforms/{own}/annual/filing?year={FUTURE}"))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(form.texts("fieldset.target-group input").len(), 14);
    assert!(form.value("input[name=plan_incubation_returns]").is_some());
    assert!(form.value("input[name=budget]").is_some());

    // A partial draft is fine; submitting it incomplete is not.
    let path = format!("/platforms/{own}/annual/filing");
    let resp = op
        .post(
            &path,
            &[
                ("year", FUTURE),
                ("action", "save"),
                ("lock_version", "0"),
                ("t_rnd_staff", "30"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let v = versions(&fx.app, own, 2090).await;
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].2, "draft");
    assert_eq!(fx.app.audit_count("filing.save").await, 1);

    let resp = op
        .post(
            &path,
            &[
                ("year", FUTURE),
                ("action", "submit"),
                ("lock_version", &v[0].3.to_string()),
                ("t_rnd_staff", "三十"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp.text("#f-t_rnd_staff-error"), "请填写数字");
    assert_eq!(
        resp.value("#f-t_rnd_staff").as_deref(),
        Some("三十"),
        "typed value kept"
    );
    assert_eq!(
        resp.text("#f-t_invention_patents-error"),
        "提交前请填写目标值"
    );
    assert_eq!(resp.text("#f-budget-error"), "提交前请填写支出预算");

    // Complete and submit the draft.
    let lock = v[0].3.to_string();
    let mut form = filing_form(FUTURE, "submit", &lock);
    set(&mut form, "t_rnd_staff", "30");
    let resp = post(&mut op, &path, &form).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let v = versions(&fx.app, own, 2090).await;
    assert_eq!((v.len(), v[0].2.as_str()), (1, "submitted"));
    let submitted = events(&fx.app, own, "filing.submitted").await;
    assert_eq!(submitted.len(), 1);
    assert_eq!(submitted[0].0, "提交2090年度年初备案（第 1 版）");
    let page = op
        .get(&format!("/platforms/{own}/annual?year={FUTURE}"))
        .await;
    assert!(page.text("#filing-status").contains("已提交，待审核"));
    assert!(page.text("#filing-timeliness").contains("按期提交"));
    assert!(
        page.texts("#filing-edit").is_empty(),
        "no editing under review"
    );

    // Submitting again is a duplicate; editing under review is refused too.
    let resp = post(&mut op, &path, &filing_form(FUTURE, "submit", "0")).await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(
        resp.text("#refusal").starts_with("重复提交"),
        "{}",
        resp.text("#refusal")
    );
    let resp = op
        .get(&format!("/platforms/{own}/annual/filing?year={FUTURE}"))
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(resp.text("#refusal").contains("审核期间不能修改"));
    assert_eq!(versions(&fx.app, own, 2090).await.len(), 1);

    // Staff return it: a general comment is required; per-field comments go next to the fields.
    let fid = v[0].0;
    let mut staff = fx.app.signed_in("county-staff").await;
    let review_path = format!("/platforms/{own}/annual/filing/{fid}/review");
    let page = staff
        .get(&format!("/platforms/{own}/annual?year={FUTURE}"))
        .await;
    assert_eq!(page.texts("#filing-review"), vec!["审核"]);
    let version_page = staff
        .get(&format!("/platforms/{own}/annual/filing/{fid}"))
        .await;
    assert_eq!(version_page.status, StatusCode::OK);
    let lock = version_page.value("input[name=lock_version]").unwrap();
    let resp = staff
        .post(
            &review_path,
            &[
                ("decision", "return"),
                ("lock_version", &lock),
                ("c_t_rnd_staff", "研发人员目标应不低于上年实际"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.text("#f-comment-error"),
        "退回时请填写审核意见，说明需要修改的内容"
    );
    assert_eq!(
        resp.value("input[name=c_t_rnd_staff]").as_deref(),
        Some("研发人员目标应不低于上年实际")
    );
    let resp = staff
        .post(
            &review_path,
            &[
                ("decision", "return"),
                ("lock_version", &lock),
                ("comment", "研发投入目标偏低，请调整"),
                ("c_t_rnd_staff", "研发人员目标应不低于上年实际"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(versions(&fx.app, own, 2090).await[0].2, "returned");
    let returned = events(&fx.app, own, "filing.returned").await;
    assert_eq!(
        returned,
        vec![(
            "2090年度年初备案（第 1 版）被退回修改".to_owned(),
            "研发投入目标偏低，请调整".to_owned()
        )]
    );
    assert_eq!(fx.app.audit_count("filing.return").await, 1);

    // The operator sees the comments, on the page and next to the field in the form.
    let page = op
        .get(&format!("/platforms/{own}/annual?year={FUTURE}"))
        .await;
    assert!(
        page.text("#filing-review-comment")
            .contains("研发投入目标偏低，请调整")
    );
    assert!(
        page.texts("#filing-lines .field-comment")
            .contains(&"研发人员目标应不低于上年实际".to_owned())
    );
    assert_eq!(page.text("#filing-edit"), "按意见修改后重新提交");
    let form = op
        .get(&format!("/platforms/{own}/annual/filing?year={FUTURE}"))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(
        form.text("#f-t_rnd_staff-comment"),
        "审核意见：研发人员目标应不低于上年实际"
    );
    assert_eq!(
        form.value("#f-t_rnd_staff").as_deref(),
        Some("30"),
        "starts from the returned version"
    );
    assert!(form.text("#returned-comment").contains("研发投入目标偏低"));
    assert_eq!(form.value("input[name=lock_version]").as_deref(), Some("0"));

    // The first submission, moved ten days back: the year's filing date.
    sqlx::query(
        "UPDATE filings SET submitted_at = submitted_at - interval '10 days' WHERE platform_id = $1 AND year = 2090",
    )
    .bind(own)
    .execute(fx.app.pool())
    .await
    .unwrap();
    let first_submitted = kechuang::clock::today() - chrono::Duration::days(10);

    // The fix is a new version; the returned one is kept as it was.
    let mut form = filing_form(FUTURE, "submit", "0");
    set(&mut form, "t_rnd_staff", "45");
    let resp = post(&mut op, &path, &form).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let v = versions(&fx.app, own, 2090).await;
    assert_eq!(
        v.iter().map(|x| (x.1, x.2.as_str())).collect::<Vec<_>>(),
        vec![(1, "returned"), (2, "submitted")]
    );
    // The snapshot's filing date is the first submission, not the resubmission.
    assert_eq!(
        snapshot_filing(&fx.app, own).await,
        Filing::Submitted(first_submitted)
    );

    // Staff approve version 2.
    let lock = v[1].3.to_string();
    let resp = staff
        .post(
            &format!("/platforms/{own}/annual/filing/{}/review", v[1].0),
            &[
                ("decision", "approve"),
                ("lock_version", &lock),
                ("comment", "同意备案"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let v = versions(&fx.app, own, 2090).await;
    assert_eq!(v[1].2, "approved");
    assert_eq!(
        snapshot_filing(&fx.app, own).await,
        Filing::Approved(first_submitted)
    );
    let approved = events(&fx.app, own, "filing.approved").await;
    assert_eq!(approved[0].0, "2090年度年初备案（第 2 版）审核通过");
    let target: f64 = fx
        .app
        .scalar(
            "SELECT (targets->>'rnd_staff')::float8 FROM filings WHERE id = $1",
            v[1].0,
        )
        .await;
    assert_eq!(target, 45.0);
    // Money targets are stored in yuan.
    let income: f64 = fx
        .app
        .scalar(
            "SELECT (targets->>'self_generated_income')::float8 FROM filings WHERE id = $1",
            v[1].0,
        )
        .await;
    assert_eq!(income, 100_000.0);

    // Every version stays viewable.
    let page = op
        .get(&format!("/platforms/{own}/annual?year={FUTURE}"))
        .await;
    assert!(page.text("#filing-status").contains("已通过"));
    assert_eq!(page.texts("#filing-versions tbody tr").len(), 2);
    let old = op
        .get(&format!("/platforms/{own}/annual/filing/{}", v[0].0))
        .await;
    assert_eq!(old.status, StatusCode::OK);
    assert_eq!(old.text("#version-status"), "已退回");
    assert!(old.text("#version-comment").contains("研发投入目标偏低"));
    // Audit: two submits and one save, one return and one approve.
    assert_eq!(fx.app.audit_count("filing.submit").await, 2);
    assert_eq!(fx.app.audit_count("filing.approve").await, 1);
}

#[tokio::test]
async fn an_approved_filing_is_locked_and_a_change_is_a_new_version_with_a_reason() {
    let fx = two_platforms().await;
    let own = fx.own;
    let first = file_and_approve(&fx, FUTURE).await;
    let mut op = fx.app.signed_in("op-own").await;
    let path = format!("/platforms/{own}/annual/filing");

    // Editing the approved filing is refused; so is submitting it again.
    let resp = post(&mut op, &path, &filing_form(FUTURE, "save", "0")).await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(resp.text("#refusal").contains("已审核通过并锁定，不能修改"));
    let resp = post(&mut op, &path, &filing_form(FUTURE, "submit", "0")).await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(resp.text("#refusal").starts_with("重复提交"));
    let resp = op
        .get(&format!("/platforms/{own}/annual/filing?year={FUTURE}"))
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert_eq!(versions(&fx.app, own, 2090).await.len(), 1);

    // 变更备案: a new version that needs a reason.
    let page = op
        .get(&format!("/platforms/{own}/annual?year={FUTURE}"))
        .await;
    assert_eq!(page.text("#filing-change"), "变更备案");
    let form = op
        .get(&format!(
            "/platforms/{own}/annual/filing?year={FUTURE}&change=1"
        ))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.value("textarea[name=change_reason]").is_none()); // a textarea has no value attribute
    assert_eq!(form.texts("textarea[name=change_reason]").len(), 1);
    assert_eq!(
        form.value("#f-t_rnd_staff").as_deref(),
        Some("10"),
        "starts from the approved version"
    );

    let mut change = filing_form(FUTURE, "submit", "0");
    change.push(("change".into(), "1".into()));
    let resp = post(&mut op, &path, &change).await;
    assert_eq!(resp.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        resp.text("#f-change_reason-error"),
        "变更已通过的备案，须说明变更原因"
    );
    set(&mut change, "change_reason", "新增承担国家重点研发计划任务");
    set(&mut change, "t_major_tasks", "3");
    let resp = post(&mut op, &path, &change).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let v = versions(&fx.app, own, 2090).await;
    assert_eq!(
        v.iter().map(|x| (x.1, x.2.as_str())).collect::<Vec<_>>(),
        vec![(1, "approved"), (2, "submitted")],
        "the approved version stays in force until the change is approved"
    );
    let submitted = events(&fx.app, own, "filing.submitted").await;
    assert_eq!(
        submitted.last().unwrap(),
        &(
            "提交2090年度年初备案变更（第 2 版）".to_owned(),
            "新增承担国家重点研发计划任务".to_owned()
        )
    );
    let page = op
        .get(&format!("/platforms/{own}/annual?year={FUTURE}"))
        .await;
    assert!(page.text("#filing .notice").contains("第 1 版（已通过）"));

    // Approving the change supersedes the old approval.
    let mut staff = fx.app.signed_in("city-staff").await;
    let resp = staff
        .post(
            &format!("/platforms/{own}/annual/filing/{}/review", v[1].0),
            &[
                ("decision", "approve"),
                ("lock_version", &v[1].3.to_string()),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let v = versions(&fx.app, own, 2090).await;
    assert_eq!(v[0], (first, 1, "superseded".to_owned(), v[0].3));
    assert_eq!(v[1].2, "approved");
    let page = op
        .get(&format!("/platforms/{own}/annual/filing/{first}"))
        .await;
    assert_eq!(page.text("#version-status"), "已由变更版本替代");
}

#[tokio::test]
async fn a_late_submission_is_accepted_and_flagged_a_missing_one_is_overdue() {
    let fx = two_platforms().await;
    let own = fx.own;
    let mut op = fx.app.signed_in("op-own").await;
    let page = op
        .get(&format!("/platforms/{own}/annual?year={PAST}"))
        .await;
    assert!(page.text("#filing-timeliness").starts_with("逾期未提交"));
    let form = op
        .get(&format!("/platforms/{own}/annual/filing?year={PAST}"))
        .await;
    assert!(form.text("#late-warning").contains("将标记为逾期提交"));
    let resp = post(
        &mut op,
        &format!("/platforms/{own}/annual/filing"),
        &filing_form(PAST, "submit", "0"),
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let page = op
        .get(&format!("/platforms/{own}/annual?year={PAST}"))
        .await;
    assert!(page.text("#filing-timeliness").starts_with("逾期提交"));
    assert!(page.text("#filing-status").contains("逾期提交"));
    let submitted = events(&fx.app, own, "filing.submitted").await;
    assert_eq!(
        submitted[0].0,
        "提交2020年度年初备案（第 1 版）（逾期提交）"
    );
}

#[tokio::test]
async fn filings_respect_roles_and_data_scope() {
    let fx = two_platforms().await;
    let (own, other) = (fx.own, fx.other);
    let fid = file_and_approve(&fx, FUTURE).await;
    let app = &fx.app;

    // The other platform's operator can neither see nor file for this platform: out of their
    // scope it answers 404, as if it did not exist.
    let mut op_other = app.signed_in("op-other").await;
    assert_eq!(
        op_other
            .get(&format!("/platforms/{own}/annual?year={FUTURE}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        op_other
            .get(&format!("/platforms/{own}/annual/filing/{fid}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let resp = post(
        &mut op_other,
        &format!("/platforms/{own}/annual/filing"),
        &filing_form("2091", "submit", "0"),
    )
    .await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    // A version of this platform is not reachable through the other platform's path.
    assert_eq!(
        op_other
            .get(&format!("/platforms/{other}/annual/filing/{fid}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The leader reads and writes nothing; staff review but do not file; operators do not review.
    let mut leader = app.signed_in("leader").await;
    assert_eq!(
        leader
            .get(&format!("/platforms/{own}/annual?year={FUTURE}"))
            .await
            .status,
        StatusCode::OK
    );
    let page = leader
        .get(&format!("/platforms/{own}/annual/filing/{fid}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts("input[name=decision]").is_empty());
    let resp = post(
        &mut leader,
        &format!("/platforms/{own}/annual/filing"),
        &filing_form("2091", "submit", "0"),
    )
    .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    let mut staff = app.signed_in("city-staff").await;
    let resp = post(
        &mut staff,
        &format!("/platforms/{own}/annual/filing"),
        &filing_form("2091", "submit", "0"),
    )
    .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    let mut op = app.signed_in("op-own").await;
    let resp = op
        .post(
            &format!("/platforms/{own}/annual/filing/{fid}/review"),
            &[("decision", "approve"), ("lock_version", "1")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    // Staff of another county cannot review this county's platform (outside their scope: 404).
    let mut haimen = app.signed_in("haimen-staff").await;
    let resp = haimen
        .post(
            &format!("/platforms/{own}/annual/filing/{fid}/review"),
            &[("decision", "approve"), ("lock_version", "1")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::NOT_FOUND);
    // An unassigned advisor sees nothing.
    let mut advisor = app.signed_in("advisor").await;
    assert_eq!(
        advisor
            .get(&format!("/platforms/{own}/annual"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Nobody forged a filing.
    assert_eq!(versions(app, own, 2091).await.len(), 0);
}

#[tokio::test]
async fn reviewing_twice_or_from_a_stale_page_is_refused() {
    let fx = two_platforms().await;
    let own = fx.own;
    let fid = file_and_approve(&fx, FUTURE).await;
    let mut staff = fx.app.signed_in("county-staff").await;
    let resp = staff
        .post(
            &format!("/platforms/{own}/annual/filing/{fid}/review"),
            &[
                ("decision", "return"),
                ("comment", "再看看"),
                ("lock_version", "1"),
            ],
        )
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(resp.text("#refusal").contains("不在待审核状态"));

    // A stale lock version on a submitted filing: nothing is saved.
    let mut op = fx.app.signed_in("op-own").await;
    let resp = post(
        &mut op,
        &format!("/platforms/{own}/annual/filing"),
        &filing_form("2091", "submit", "0"),
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    let v = versions(&fx.app, own, 2091).await;
    let resp = staff
        .post(
            &format!("/platforms/{own}/annual/filing/{}/review", v[0].0),
            &[("decision", "approve"), ("lock_version", "99")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert_eq!(versions(&fx.app, own, 2091).await[0].2, "submitted");
}

#[tokio::test]
async fn a_draft_saved_elsewhere_meanwhile_is_a_conflict_showing_both() {
    let fx = two_platforms().await;
    let own = fx.own;
    let mut op = fx.app.signed_in("op-own").await;
    let path = format!("/platforms/{own}/annual/filing");
    // Two tabs open the empty form (lock 0); the first saves a draft.
    let resp = post(&mut op, &path, &filing_form(FUTURE, "save", "0")).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    // The second still carries lock 0.
    let mut mine = filing_form(FUTURE, "save", "0");
    set(&mut mine, "t_rnd_staff", "77");
    let resp = post(&mut op, &path, &mine).await;
    assert_eq!(resp.status, StatusCode::CONFLICT);
    assert!(resp.text("#refusal").contains("没有保存"));
    let differing = resp.rows("#conflict-table tr.differs");
    assert_eq!(differing.len(), 1, "{differing:?}");
    assert_eq!(differing[0], "全职研发人员 77 10");
    let v = versions(&fx.app, own, 2090).await;
    assert_eq!(v.len(), 1);
}

/// One unit per screen: the annual page shows every amount in 万元 — the filing's money lines and the mid-year
/// table label the unit once (“（万元）”), and no number cell carries a unit of its own.
#[tokio::test]
async fn the_annual_page_shows_money_in_one_labelled_unit() {
    let fx = two_platforms().await;
    let own = fx.own;
    file_and_approve(&fx, FUTURE).await;
    let mut op = fx.app.signed_in("op-own").await;
    let page = op
        .get(&format!("/platforms/{own}/annual?year={FUTURE}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);

    let lines = page.rows("#filing-lines tbody tr");
    assert!(
        lines
            .iter()
            .any(|l| l.trim() == "收入计划 服务订单（万元） 120.00"),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.trim() == "支出预算 年度支出预算（万元） 500.00"),
        "{lines:?}"
    );
    let labelled = |l: &&String| l.contains("（万元）");
    assert!(lines.iter().filter(labelled).count() >= 7, "{lines:?}");

    let midyear = page.rows("#midyear-completion tbody tr");
    assert!(
        midyear.iter().any(|r| r.contains("（万元）")),
        "{midyear:?}"
    );
    assert!(!midyear.iter().any(|r| r.contains("（元）")), "{midyear:?}");

    // No number carries a unit: the unit is in the label, and 元 never shows beside 万元.
    let cells = page.texts("td.num");
    assert!(!cells.is_empty());
    for cell in &cells {
        assert!(!cell.contains('元'), "a cell with its own unit: {cell:?}");
    }
    assert!(!page.body.contains("（元）"), "元 beside 万元 on one page");
}
