//! The platform side of the year-end evaluation (年底评估): the operator fills in full-year actuals, a
//! self-assessment and evidence and submits; county staff do the preliminary review of county platforms; city
//! staff the final review; staff may reopen a late first submission. A platform barred by `INTEG-BAN` is not
//! evaluated. Also the summary partial (`_yearend_summary.html`) the shared 年度考核 page includes.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use sqlx::PgConnection;

use super::auth::CurrentUser;
use super::flash::Flash;
use super::forms::{Form, Path, Query, valid_year};
use super::layout::{Layout, local_time};
use super::write::{Entry, WriteTx, Writer};
use crate::db::annual_config;
use crate::db::evaluations::{self as db, Evaluation};
use crate::db::lifecycle;
use crate::db::platforms::{self, Platform};
use crate::domain::annual::{AnnualConfig, Step};
use crate::domain::compliance::catalogue::BAN_MONTHS;
use crate::domain::evaluation::{
    self as rules, Actor, Bar, Errors, EvalAction, EvalFacts, EvalInput, EvalStatus, Refusal,
    RefusalKind, RoundStatus, ScoreDetail, indicator_unit,
};
use crate::domain::money::wan;
use crate::domain::platform::{Level, Stage};
use crate::domain::role::Role;
use crate::domain::scoring::{Grade, IndicatorKind, Values, display};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

use crate::clock::today;

pub(crate) fn actor_of(user: &CurrentUser) -> Actor {
    Actor {
        role: user.role,
        is_city_staff: user.is_city_staff,
    }
}

// ---- refusals -------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "evaluation/refused.html")]
pub struct RefusedPage {
    pub layout: Layout,
    pub title: &'static str,
    pub reasons: Vec<String>,
    pub back: String,
}

/// A refused action as a page: 403 when the actor may never do it, 409 when not now; every reason listed.
pub(crate) fn refused(
    user: &CurrentUser,
    title: &'static str,
    refusal: &Refusal,
    back: String,
) -> Response {
    let status = match refusal.kind {
        RefusalKind::Forbidden => StatusCode::FORBIDDEN,
        RefusalKind::State => StatusCode::CONFLICT,
    };
    let page = RefusedPage {
        layout: Layout::for_user(user, ""),
        title,
        reasons: refusal.reasons.clone(),
        back,
    };
    (status, page).into_response()
}

// ---- shared facts ---------------------------------------------------------------------------------

/// The INTEG-BAN bar of a platform for the round whose year-end deadline is `deadline` (a violation bars the rounds
/// whose deadline falls inside its ban), with the ban length in force (`rule_params`, else the catalogue default).
pub(crate) async fn bar_of(
    conn: &mut PgConnection,
    platform_id: i64,
    deadline: NaiveDate,
) -> AppResult<Option<Bar>> {
    let months = crate::db::rule_params::in_force(conn, today())
        .await?
        .get(&BAN_MONTHS)
        .0;
    let records = db::integrity_records(conn, platform_id).await?;
    Ok(rules::integrity_bar(&records, months, deadline))
}

/// Records that an evaluation is not evaluated (INTEG-BAN), in the caller's transaction (which then
/// refreshes the platform's findings: its grade becomes 未参评).
pub(crate) async fn persist_exclusion(
    tx: &mut WriteTx,
    user: &CurrentUser,
    e: &Evaluation,
    bar: &Bar,
) -> AppResult<bool> {
    if !rules::may_exclude(e.status()) {
        return Ok(false);
    }
    let reason = bar.reason();
    if !db::exclude(tx, e.id, &reason).await? {
        return Ok(false);
    }
    let after = db::get(tx, e.platform_id, e.year)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new("evaluation.excluded", "evaluation", e.id)
            .before(e.audit_json())
            .after(after.audit_json()),
    )
    .await?;
    tx.touches(e.platform_id);
    lifecycle::record(
        tx,
        &user.actor(),
        &lifecycle::Event {
            platform_id: e.platform_id,
            kind: "evaluation.excluded",
            from_stage: None,
            to_stage: None,
            summary: &format!("{}年度不参加绩效评估（科研诚信限制）", e.year),
            reason: &reason,
            document_id: None,
        },
    )
    .await?;
    Ok(true)
}

fn level_of(p: &Platform) -> Level {
    p.level
}

fn stage_of(p: &Platform) -> Stage {
    p.stage
}

fn facts(
    p: &Platform,
    e: Option<&Evaluation>,
    year: i32,
    config: &AnnualConfig,
    bar: Option<Bar>,
    round: RoundStatus,
    today: NaiveDate,
) -> EvalFacts {
    EvalFacts {
        year,
        level: level_of(p),
        stage: stage_of(p),
        status: e.and_then(Evaluation::status),
        today,
        deadline: config.deadline(year, Step::Yearend),
        reopened_until: e.and_then(|e| e.reopened_until),
        bar,
        round,
    }
}

// ---- display helpers shared with the round, results and expert pages ----------------------------------

/// One dimension of a score, for display.
pub struct DimensionView {
    pub label: &'static str,
    pub weight: String,
    pub score: String,
}

/// A score detail, for display.
pub struct ScoreView {
    pub stage: &'static str,
    pub total: String,
    pub config_version: i32,
    pub experts: usize,
    pub dimensions: Vec<DimensionView>,
    pub warnings: Vec<String>,
}

pub(crate) fn score_view(d: &ScoreDetail) -> ScoreView {
    ScoreView {
        stage: d.stage.label_zh(),
        total: display(d.score.total),
        config_version: d.config_version,
        experts: d.experts,
        dimensions: d
            .score
            .by_dimension
            .iter()
            .map(|x| DimensionView {
                label: x.dimension.label_zh(),
                weight: format!("{:.0}", x.weight),
                score: x.score.map(display).unwrap_or_else(|| "—".into()),
            })
            .collect(),
        warnings: d.warnings_zh.clone(),
    }
}

pub(crate) fn grade_label(code: Option<&str>) -> &'static str {
    code.and_then(Grade::parse)
        .map(Grade::label_zh)
        .unwrap_or("—")
}

pub(crate) fn status_label(code: &str) -> &'static str {
    EvalStatus::parse(code)
        .map(EvalStatus::label_zh)
        .unwrap_or("—")
}

/// A number as typed back into a form: no trailing `.0`.
pub(crate) fn number_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

pub(crate) fn document_kind_label(kind: &str) -> &'static str {
    match kind {
        "charter" => "章程",
        "co_building_agreement" => "共建协议",
        "construction_plan" => "建设方案",
        "decision_body" => "决策机构",
        "company" => "运营公司",
        "acceptance_report" => "验收报告",
        "rectification" => "整改材料",
        "decision" => "决定文件",
        "integrity" => "科研诚信",
        _ => "其他",
    }
}

/// A value for reading: yuan with thousands separators, other numbers as they are.
pub(crate) fn value_text(key: &str, v: f64) -> String {
    if indicator_unit(key) == "元" && v.fract() == 0.0 && v.abs() < 1e15 {
        let digits = format!("{:.0}", v.abs());
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        if v < 0.0 { format!("-{out}") } else { out }
    } else {
        number_text(v)
    }
}

/// One quantitative indicator: its target, the value in the form (`value`, as typed) and for reading
/// (`shown`), and any error.
pub struct IndicatorRow {
    pub key: String,
    pub label: String,
    pub dimension: &'static str,
    pub unit: &'static str,
    pub target: String,
    pub value: String,
    pub shown: String,
    pub error: String,
}

pub(crate) fn indicator_rows(
    config: &AnnualConfig,
    targets: &Values,
    typed: &BTreeMap<String, String>,
    errors: &Errors,
) -> Vec<IndicatorRow> {
    config
        .rubric
        .indicators
        .iter()
        .filter(|i| i.kind == IndicatorKind::Quantitative)
        .map(|i| IndicatorRow {
            key: i.key.clone(),
            label: i.label_zh.clone(),
            dimension: i.dimension.label_zh(),
            unit: indicator_unit(&i.key),
            target: targets
                .get(&i.key)
                .map(|v| value_text(&i.key, *v))
                .unwrap_or_else(|| "未备案".into()),
            value: typed.get(&i.key).cloned().unwrap_or_default(),
            shown: typed
                .get(&i.key)
                .map(|t| match rules::parse_number(t) {
                    Ok(Some(v)) => value_text(&i.key, v),
                    _ => t.clone(),
                })
                .unwrap_or_default(),
            error: errors.get(&i.key).cloned().unwrap_or_default(),
        })
        .collect()
}

// ---- the year-end summary (partial) -----------------------------------------------------------------

/// What `templates/evaluation/_yearend_summary.html` shows: a platform's year-end evaluation at a glance.
/// A page including the partial needs a field `yearend: YearendSummary` (build it with [`yearend_summary`]).
pub struct YearendSummary {
    pub platform_id: i64,
    pub year: i32,
    pub status: String,
    pub status_label: &'static str,
    pub deadline: String,
    pub excluded_reason: String,
    pub submitted_at: String,
    /// Grades are public from the notice (公示) on.
    pub shows_result: bool,
    pub published: bool,
    pub total: String,
    pub grade: &'static str,
    pub rank: String,
    /// The suggested reward in `reward_unit` (万元 unless the page's other amounts are in 元).
    pub reward: String,
    pub reward_unit: &'static str,
    reward_yuan: Option<i64>,
    pub coefficient: String,
}

impl YearendSummary {
    /// The reward in 元 with thousands separators, for a page whose amounts are typed and shown in 元.
    pub fn reward_in_yuan(mut self) -> YearendSummary {
        if let Some(y) = self.reward_yuan {
            self.reward = super::evaluation_round::thousands(y);
        }
        self.reward_unit = "元";
        self
    }
}

/// The summary of a platform's evaluation of `year` (call it only for a platform the user may see).
pub async fn yearend_summary(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
) -> AppResult<YearendSummary> {
    let e = db::get(conn, platform_id, year).await?;
    let (config, _) = annual_config::get(conn, year).await?;
    let round = db::round(conn, year).await?.status();
    Ok(summary_of(platform_id, year, e.as_ref(), &config, round))
}

fn summary_of(
    platform_id: i64,
    year: i32,
    e: Option<&Evaluation>,
    config: &AnnualConfig,
    round: RoundStatus,
) -> YearendSummary {
    let status = e.map(|e| e.status.clone()).unwrap_or_default();
    let graded = e.is_some_and(|e| e.status() == Some(EvalStatus::Scored));
    YearendSummary {
        platform_id,
        year,
        status_label: if status.is_empty() {
            "未填报"
        } else {
            status_label(&status)
        },
        status,
        deadline: config.deadline(year, Step::Yearend).to_string(),
        excluded_reason: e.map(|e| e.excluded_reason.clone()).unwrap_or_default(),
        submitted_at: e
            .and_then(|e| e.submitted_at)
            .map(|t| local_time(&t))
            .unwrap_or_else(|| "—".into()),
        shows_result: graded && matches!(round, RoundStatus::Notice | RoundStatus::Published),
        published: graded && round == RoundStatus::Published,
        total: e
            .and_then(|e| e.total_score)
            .map(display)
            .unwrap_or_else(|| "—".into()),
        grade: grade_label(e.and_then(|e| e.grade.as_deref())),
        rank: e
            .and_then(|e| e.rank)
            .map(|r| r.to_string())
            .unwrap_or_else(|| "—".into()),
        reward: e
            .and_then(|e| e.reward_yuan)
            .map(wan)
            .unwrap_or_else(|| "—".into()),
        reward_unit: "万元",
        reward_yuan: e.and_then(|e| e.reward_yuan),
        coefficient: e
            .and_then(|e| e.funding_coefficient)
            .map(|c| format!("{c:.2}"))
            .unwrap_or_else(|| "—".into()),
    }
}

// ---- the page -------------------------------------------------------------------------------------

pub struct DocRow {
    pub id: i64,
    pub title: String,
    pub kind: &'static str,
    pub uploaded: String,
    pub checked: bool,
}

/// What the operator typed when a submission is re-rendered with errors.
#[derive(Default)]
pub(crate) struct Typed {
    actuals: BTreeMap<String, String>,
    self_assessment: String,
    evidence: Vec<i64>,
    errors: Errors,
    reopen_until: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "evaluation/platform.html")]
pub struct EvaluationPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub p: Platform,
    pub year: i32,
    pub years: Vec<i32>,
    pub yearend: YearendSummary,
    pub notice: &'static str,
    pub bar: String,
    pub late: bool,
    pub reopened_until: String,
    pub has_filing: bool,
    pub stage_ok: bool,
    pub rows: Vec<IndicatorRow>,
    pub self_assessment: String,
    pub docs: Vec<DocRow>,
    pub evidence: Vec<DocRow>,
    pub errors: Errors,
    pub lock_version: i32,
    pub can_edit: bool,
    pub can_submit: bool,
    pub has_county_review: bool,
    pub can_county_review: bool,
    pub can_city_review: bool,
    pub can_reopen: bool,
    pub review_error: String,
    pub reopen_error: String,
    pub reopen_until: String,
    pub reopen_reason: String,
    pub county_review: String,
    pub county_comment: String,
    pub city_review: String,
    pub city_comment: String,
    pub score: Option<ScoreView>,
    pub is_staff: bool,
}

impl EvaluationPage {
    pub fn error(&self, field: &str) -> &str {
        self.errors.get(field).map(String::as_str).unwrap_or("")
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    year: String,
    notice: String,
}

pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    let today = today();
    let year = match q.year.trim() {
        "" => rules::default_year(today),
        y => valid_year(y.parse().map_err(|_| AppError::NotFound)?)?,
    };
    let notice = Flash::text_of(&q.notice);
    let mut conn = state.db.acquire().await?;
    let page = build_page(&mut conn, &user, id, year, today, notice, None).await?;
    Ok(page.into_response())
}

async fn build_page(
    conn: &mut PgConnection,
    user: &CurrentUser,
    id: i64,
    year: i32,
    today: NaiveDate,
    notice: &'static str,
    typed: Option<Typed>,
) -> AppResult<EvaluationPage> {
    let p = platforms::get(conn, id).await?.ok_or(AppError::NotFound)?;
    let e = db::get(conn, id, year).await?;
    let (config, _) = annual_config::get(conn, year).await?;
    let round = db::round(conn, year).await?.status();
    let bar = bar_of(conn, id, config.deadline(year, Step::Yearend)).await?;
    let targets = db::approved_targets(conn, id, year).await?;
    let f = facts(&p, e.as_ref(), year, &config, bar, round, today);
    let actor = actor_of(user);
    let may = |a: EvalAction| rules::check(a, actor, &f).is_ok();

    // What the form shows: what was typed (on errors), else what was saved, else the recorded figures.
    let typed = match typed {
        Some(t) => t,
        None => {
            let actuals = match &e {
                Some(e) => e.actual_values(),
                // A new submission starts from the ledger-derived values and the recorded indicator values.
                None => crate::db::ledger::actuals(conn, id, year).await?,
            };
            let evidence = match &e {
                Some(e) => db::evidence(conn, e.id)
                    .await?
                    .into_iter()
                    .map(|d| d.id)
                    .collect(),
                None => Vec::new(),
            };
            Typed {
                actuals: actuals
                    .iter()
                    .map(|(k, v)| (k.clone(), number_text(*v)))
                    .collect(),
                self_assessment: e
                    .as_ref()
                    .map(|e| e.self_assessment.clone())
                    .unwrap_or_default(),
                evidence,
                ..Default::default()
            }
        }
    };
    let docs: Vec<DocRow> = db::platform_documents(conn, id)
        .await?
        .into_iter()
        .map(|d| DocRow {
            checked: typed.evidence.contains(&d.id),
            id: d.id,
            kind: document_kind_label(&d.kind),
            uploaded: local_time(&d.created_at)[..10].to_string(),
            title: d.title,
        })
        .collect();
    let evidence = docs
        .iter()
        .filter(|d| d.checked)
        .map(|d| DocRow {
            id: d.id,
            title: d.title.clone(),
            kind: d.kind,
            uploaded: d.uploaded.clone(),
            checked: true,
        })
        .collect();
    let review_line = |at: Option<chrono::DateTime<Utc>>, by: &Option<String>| match at {
        Some(at) => format!("{} · {}", local_time(&at), by.as_deref().unwrap_or("—")),
        None => String::new(),
    };
    let status = e.as_ref().and_then(Evaluation::status);
    let is_staff = user.has_role(Role::Staff);
    let graded = status == Some(EvalStatus::Scored);
    let score = e
        .as_ref()
        .and_then(Evaluation::detail)
        .filter(|_| {
            // Staff see the quantitative step; everyone sees the final score once it is public.
            (is_staff && !graded) || matches!(round, RoundStatus::Notice | RoundStatus::Published)
        })
        .map(|d| score_view(&d));
    let first_year = 2019.min(year);
    let last_year = chrono::Datelike::year(&today).max(year);
    Ok(EvaluationPage {
        layout: Layout::for_user(user, "platforms"),
        tab: "annual",
        tab_platform_id: id,
        year,
        years: (first_year..=last_year).rev().collect(),
        yearend: summary_of(id, year, e.as_ref(), &config, round).reward_in_yuan(),
        notice,
        bar: match (&e, bar) {
            (Some(e), _) if status == Some(EvalStatus::Excluded) => e.excluded_reason.clone(),
            (_, Some(b)) if rules::may_exclude(status) => b.reason(),
            _ => String::new(),
        },
        late: f.is_late() && status.is_none_or(|s| s == EvalStatus::Draft),
        reopened_until: f.reopened_until.map(|d| d.to_string()).unwrap_or_default(),
        has_filing: targets.is_some(),
        stage_ok: f.stage.is_operating(),
        rows: indicator_rows(
            &config,
            &targets.unwrap_or_default(),
            &typed.actuals,
            &typed.errors,
        ),
        self_assessment: typed.self_assessment,
        docs,
        evidence,
        errors: typed.errors,
        lock_version: e.as_ref().map(|e| e.lock_version).unwrap_or(1),
        can_edit: may(EvalAction::Save),
        can_submit: may(EvalAction::Submit),
        has_county_review: f.has_county_review(),
        can_county_review: may(EvalAction::CountyPass) || may(EvalAction::CountyReturn),
        can_city_review: may(EvalAction::CityPass) || may(EvalAction::CityReturn),
        can_reopen: may(EvalAction::Reopen),
        review_error: String::new(),
        reopen_error: String::new(),
        reopen_until: if typed.reopen_until.is_empty() {
            (today + chrono::Duration::days(7)).to_string()
        } else {
            typed.reopen_until
        },
        reopen_reason: String::new(),
        county_review: e
            .as_ref()
            .map(|e| review_line(e.county_reviewed_at, &e.county_reviewed_by_name))
            .unwrap_or_default(),
        county_comment: e
            .as_ref()
            .map(|e| e.county_comment.clone())
            .unwrap_or_default(),
        city_review: e
            .as_ref()
            .map(|e| review_line(e.city_reviewed_at, &e.city_reviewed_by_name))
            .unwrap_or_default(),
        city_comment: e
            .as_ref()
            .map(|e| e.city_comment.clone())
            .unwrap_or_default(),
        score,
        is_staff,
        p,
    })
}

fn back(id: i64, year: i32) -> String {
    format!("/platforms/{id}/evaluation?year={year}")
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

// ---- the operator saves or submits ------------------------------------------------------------------

/// `POST /platforms/{id}/evaluation/{year}`: fields `action` (`save` | `submit`), `lock_version`,
/// `actual.<indicator key>`, `self_assessment`, `evidence` (repeated document ids).
pub async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, year)): Path<(i64, i32)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let action = match field(&fields, "action") {
        Some("save") => EvalAction::Save,
        Some("submit") => EvalAction::Submit,
        _ => return Err(AppError::BadRequest("请选择保存或提交。".into())),
    };
    let lock_version: i32 = field(&fields, "lock_version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| AppError::BadRequest("表单缺少版本信息，请刷新页面后重试。".into()))?;
    let mut evidence = Vec::new();
    for (k, v) in &fields {
        if k == "evidence" {
            evidence.push(
                v.parse::<i64>()
                    .map_err(|_| AppError::BadRequest("证明材料选择无效。".into()))?,
            );
        }
    }
    let input = EvalInput {
        actuals: fields
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("actual.")
                    .map(|key| (key.to_string(), v.clone()))
            })
            .collect(),
        self_assessment: field(&fields, "self_assessment").unwrap_or("").to_string(),
        evidence,
        confirmed: field(&fields, "confirm") == Some("yes"),
    };
    let today = today();

    let mut tx = w.begin().await?;
    let p = platforms::get(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let round = db::round_for_update(&mut tx, year).await?.status();
    let (config, _) = annual_config::get(&mut tx, year).await?;
    let bar = bar_of(&mut tx, id, config.deadline(year, Step::Yearend)).await?;
    let before = db::lock(&mut tx, id, year).await?;
    let f = facts(&p, before.as_ref(), year, &config, bar, round, today);
    if let Err(refusal) = rules::check(action, actor_of(&user), &f) {
        // A barred platform is recorded as not evaluated, so everyone sees why.
        if let Some(bar) = bar
            && action == EvalAction::Submit
            && refusal.reasons.first() == Some(&bar.reason())
            && rules::may_exclude(f.status)
        {
            let e = db::lock_or_create(&mut tx, id, year).await?;
            persist_exclusion(&mut tx, &user, &e, &bar).await?;
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        return Ok(refused(&user, "不能提交", &refusal, back(id, year)));
    }

    let submitting = action == EvalAction::Submit;
    let mut validated = rules::validate(&config.rubric, &input, submitting);
    // Evidence must be the platform's own documents.
    let mut wanted = input.evidence.clone();
    wanted.sort_unstable();
    wanted.dedup();
    let owned = db::documents_of_platform(&mut tx, id, &wanted).await?;
    if owned.len() != wanted.len() {
        let mut errors = validated.err().unwrap_or_default();
        errors.insert(
            "evidence".into(),
            "所选证明材料不属于本平台，请重新选择".into(),
        );
        validated = Err(errors);
    }
    let draft = match validated {
        Ok(d) => d,
        Err(errors) => {
            tx.rollback().await?;
            let typed = Typed {
                actuals: input.actuals,
                self_assessment: input.self_assessment,
                evidence: input.evidence,
                errors,
                ..Default::default()
            };
            let mut conn = state.db.acquire().await?;
            let page = build_page(&mut conn, &user, id, year, today, "", Some(typed)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };

    let e = match before.clone() {
        Some(e) => e,
        None => db::lock_or_create(&mut tx, id, year).await?,
    };
    if !db::save_draft(
        &mut tx,
        e.id,
        lock_version,
        &draft.actuals,
        &draft.self_assessment,
    )
    .await?
    {
        tx.rollback().await?;
        return conflict_page(
            &state,
            &user,
            &p,
            year,
            &config,
            &draft.actuals,
            &input.self_assessment,
        )
        .await;
    }
    db::set_evidence(&mut tx, e.id, &draft.evidence).await?;
    if submitting {
        let from = e.status().unwrap_or(EvalStatus::Draft);
        if !db::set_status(&mut tx, e.id, from, EvalStatus::Submitted).await? {
            tx.rollback().await?;
            return Err(AppError::BadRequest("评估状态已变化，请刷新页面。".into()));
        }
        db::record_submission(&mut tx, e.id, user.id).await?;
    }
    let after = db::get(&mut tx, id, year)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut after_json = after.audit_json();
    after_json["evidence"] = serde_json::json!(draft.evidence);
    let audit_action = if submitting {
        "evaluation.submit"
    } else {
        "evaluation.save"
    };
    tx.audit(
        Entry::new(audit_action, "evaluation", e.id)
            .before(before.as_ref().map(Evaluation::audit_json))
            .after(after_json),
    )
    .await?;
    if submitting {
        let next = if f.has_county_review() {
            "，等待县级初审"
        } else {
            "，等待市级复审"
        };
        lifecycle::record(
            &mut tx,
            &user.actor(),
            &lifecycle::Event {
                platform_id: id,
                kind: "evaluation.submitted",
                from_stage: None,
                to_stage: None,
                summary: &format!("提交{year}年度评估材料{next}"),
                reason: "",
                document_id: None,
            },
        )
        .await?;
    }
    let notice = if submitting {
        Flash::EvaluationSubmitted
    } else {
        Flash::EvaluationSaved
    };
    tx.redirect(format!("{}&notice={notice}", back(id, year)))
        .await
}

/// One line of the conflict page.
pub struct ConflictRow {
    pub label: String,
    pub mine: String,
    pub theirs: String,
    pub differs: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "evaluation/conflict.html")]
pub struct ConflictPage {
    pub layout: Layout,
    pub back: String,
    pub name: String,
    pub year: i32,
    pub rows: Vec<ConflictRow>,
}

/// Somebody saved in between: both versions side by side, nothing overwritten.
async fn conflict_page(
    state: &AppState,
    user: &CurrentUser,
    p: &Platform,
    year: i32,
    config: &AnnualConfig,
    mine: &Values,
    mine_text: &str,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let saved = db::get(&mut conn, p.id, year).await?;
    let theirs = saved
        .as_ref()
        .map(Evaluation::actual_values)
        .unwrap_or_default();
    let show = |v: Option<&f64>| v.map(|v| number_text(*v)).unwrap_or_default();
    let mut rows: Vec<ConflictRow> = config
        .rubric
        .indicators
        .iter()
        .filter(|i| i.kind == IndicatorKind::Quantitative)
        .map(|i| {
            let (m, t) = (show(mine.get(&i.key)), show(theirs.get(&i.key)));
            ConflictRow {
                label: i.label_zh.clone(),
                differs: m != t,
                mine: m,
                theirs: t,
            }
        })
        .collect();
    let their_text = saved
        .as_ref()
        .map(|e| e.self_assessment.clone())
        .unwrap_or_default();
    rows.push(ConflictRow {
        label: "自评报告".into(),
        differs: mine_text.trim() != their_text,
        mine: mine_text.trim().to_string(),
        theirs: their_text,
    });
    let page = ConflictPage {
        layout: Layout::for_user(user, "platforms"),
        back: back(p.id, year),
        name: p.name.clone(),
        year,
        rows,
    };
    Ok((StatusCode::CONFLICT, page).into_response())
}

// ---- reviews ----------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReviewForm {
    decision: String,
    comment: String,
}

/// `POST /platforms/{id}/evaluation/{year}/county-review`: county staff of the platform's county, or city staff.
pub async fn county_review(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, year)): Path<(i64, i32)>,
    Form(form): Form<ReviewForm>,
) -> AppResult<Response> {
    let action = match form.decision.as_str() {
        "pass" => EvalAction::CountyPass,
        "return" => EvalAction::CountyReturn,
        _ => return Err(AppError::BadRequest("请选择通过或退回。".into())),
    };
    review(state, user, w, id, year, action, form.comment).await
}

/// `POST /platforms/{id}/evaluation/{year}/city-review`: city staff only.
pub async fn city_review(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, year)): Path<(i64, i32)>,
    Form(form): Form<ReviewForm>,
) -> AppResult<Response> {
    let action = match form.decision.as_str() {
        "pass" => EvalAction::CityPass,
        "return" => EvalAction::CityReturn,
        _ => return Err(AppError::BadRequest("请选择通过或退回。".into())),
    };
    review(state, user, w, id, year, action, form.comment).await
}

async fn review(
    state: AppState,
    user: CurrentUser,
    w: Writer,
    id: i64,
    year: i32,
    action: EvalAction,
    comment: String,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let today = today();
    let mut tx = w.begin().await?;
    let p = platforms::get(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let round = db::round_for_update(&mut tx, year).await?.status();
    let (config, _) = annual_config::get(&mut tx, year).await?;
    let bar = bar_of(&mut tx, id, config.deadline(year, Step::Yearend)).await?;
    let before = db::lock(&mut tx, id, year).await?;
    let f = facts(&p, before.as_ref(), year, &config, bar, round, today);
    let title = if matches!(action, EvalAction::CountyPass | EvalAction::CountyReturn) {
        "不能进行县级初审"
    } else {
        "不能进行市级复审"
    };
    let to = match rules::check(action, actor_of(&user), &f) {
        Ok(to) => to,
        Err(refusal) => {
            let passing = matches!(action, EvalAction::CountyPass | EvalAction::CityPass);
            match (bar, &before) {
                (Some(bar), Some(e))
                    if passing && refusal.reasons.first() == Some(&bar.reason()) =>
                {
                    persist_exclusion(&mut tx, &user, e, &bar).await?;
                    tx.commit().await?;
                }
                _ => tx.rollback().await?,
            }
            return Ok(refused(&user, title, &refusal, back(id, year)));
        }
    };
    let Some(e) = before else {
        // `check` refuses every review without an evaluation; keep the compiler and the reader sure.
        return Err(AppError::NotFound);
    };
    let comment = match rules::review_comment(action, &comment) {
        Ok(c) => c,
        Err(msg) => {
            tx.rollback().await?;
            let mut conn = state.db.acquire().await?;
            let mut page = build_page(&mut conn, &user, id, year, today, "", None).await?;
            page.review_error = msg;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let from = e.status().unwrap_or(EvalStatus::Draft);
    if !db::set_status(&mut tx, e.id, from, to).await? {
        tx.rollback().await?;
        return Err(AppError::BadRequest("评估状态已变化，请刷新页面。".into()));
    }
    let county = matches!(action, EvalAction::CountyPass | EvalAction::CountyReturn);
    if county {
        db::record_county_review(&mut tx, e.id, user.id, &comment).await?;
    } else {
        db::record_city_review(&mut tx, e.id, user.id, &comment).await?;
    }
    let after = db::get(&mut tx, id, year)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new(
            &format!("evaluation.{}", action.as_str()),
            "evaluation",
            e.id,
        )
        .before(e.audit_json())
        .after(after.audit_json()),
    )
    .await?;
    let kind = match to {
        EvalStatus::CountyPassed => "evaluation.county_passed",
        EvalStatus::CountyReturned => "evaluation.county_returned",
        EvalStatus::CityPassed => "evaluation.city_passed",
        _ => "evaluation.city_returned",
    };
    lifecycle::record(
        &mut tx,
        &user.actor(),
        &lifecycle::Event {
            platform_id: id,
            kind,
            from_stage: None,
            to_stage: None,
            summary: &format!("{year}年度评估：{}", action.label_zh()),
            reason: &comment,
            document_id: None,
        },
    )
    .await?;
    let returned = matches!(to, EvalStatus::CountyReturned | EvalStatus::CityReturned);
    crate::db::notices::event(
        &mut tx,
        crate::db::notices::To::Platform(id),
        &format!("event.{}", kind.replace('.', "_")),
        &format!(
            "{year} 年度评估材料：{}{}",
            action.label_zh(),
            if returned {
                "，请按审核意见修改后重新提交。"
            } else {
                "。"
            }
        ),
        &back(id, year),
    )
    .await?;
    tx.redirect(format!(
        "{}&notice={}",
        back(id, year),
        Flash::EvaluationReviewed
    ))
    .await
}

// ---- reopening a late first submission -----------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReopenForm {
    until: String,
    reason: String,
}

/// `POST /platforms/{id}/evaluation/{year}/reopen`: staff allow a first submission after the deadline.
pub async fn reopen(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, year)): Path<(i64, i32)>,
    Form(form): Form<ReopenForm>,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let today = today();
    let mut tx = w.begin().await?;
    let p = platforms::get(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let round = db::round_for_update(&mut tx, year).await?.status();
    let (config, _) = annual_config::get(&mut tx, year).await?;
    let bar = bar_of(&mut tx, id, config.deadline(year, Step::Yearend)).await?;
    let before = db::lock(&mut tx, id, year).await?;
    let f = facts(&p, before.as_ref(), year, &config, bar, round, today);
    if let Err(refusal) = rules::check(EvalAction::Reopen, actor_of(&user), &f) {
        tx.rollback().await?;
        return Ok(refused(&user, "不能开放补交", &refusal, back(id, year)));
    }
    let until = rules::reopen_until(&form.until, today);
    let reason = form.reason.trim().to_string();
    let reason_error = match reason.chars().count() {
        0 => "请填写开放补交的理由".to_string(),
        n if n > 500 => "理由不能超过500个字".to_string(),
        _ => String::new(),
    };
    let until = match (until, reason_error.is_empty()) {
        (Ok(d), true) => d,
        (until, _) => {
            tx.rollback().await?;
            let mut conn = state.db.acquire().await?;
            let mut page = build_page(&mut conn, &user, id, year, today, "", None).await?;
            page.reopen_error = [until.err().unwrap_or_default(), reason_error]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("；");
            page.reopen_until = form.until;
            page.reopen_reason = form.reason;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let e = match &before {
        Some(e) => e.clone(),
        None => db::lock_or_create(&mut tx, id, year).await?,
    };
    db::reopen(&mut tx, e.id, until, &reason, user.id).await?;
    let after = db::get(&mut tx, id, year)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new("evaluation.reopen", "evaluation", e.id)
            .before(before.as_ref().map(Evaluation::audit_json))
            .after(after.audit_json()),
    )
    .await?;
    lifecycle::record(
        &mut tx,
        &user.actor(),
        &lifecycle::Event {
            platform_id: id,
            kind: "evaluation.reopened",
            from_stage: None,
            to_stage: None,
            summary: &format!("{year}年度评估开放补交至{until}"),
            reason: &reason,
            document_id: None,
        },
    )
    .await?;
    tx.redirect(format!(
        "{}&notice={}",
        back(id, year),
        Flash::EvaluationReopened
    ))
    .await
}
