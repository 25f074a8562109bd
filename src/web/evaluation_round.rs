//! The year's evaluation round for the bureau: every evaluation of the year with its status, the
//! quantitative score, expert assignment and progress, proposed grades with the quota, the public notice
//! (公示) with objections, publishing with results application (reward, funding coefficient, a draft
//! rectification case for every 不合格), and the results table with its Excel export.
//! City staff act; county staff (their county's rows) and leaders read.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use sqlx::PgConnection;

use super::auth::CurrentUser;
use super::evaluation::{actor_of, bar_of, grade_label, persist_exclusion, refused, status_label};
use super::flash::Flash;
use super::forms::{Form, Path, Query, valid_year};
use super::layout::{Layout, local_time};
use super::widgets::Opt;
use super::write::{self, Entry, WriteTx, Writer};
use super::xlsx::{self, Cell, opt};
use crate::clock::today;
use crate::db::annual_config;
use crate::db::evaluations::{self as db, RoundRow, values_of};
use crate::db::lifecycle;
use crate::domain::annual::{AnnualConfig, Step};
use crate::domain::evaluation::{
    self as rules, Errors, EvalStatus, ExpertProgress, RoundAction, RoundFacts, RoundStatus,
    ScoreStage,
};
use crate::domain::money::wan;
use crate::domain::platform::{Category, Level};
use crate::domain::scope::PlatformScope;
use crate::domain::scoring::{Dimension, Grade, assign_grades, display};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // The year's evaluation round: city staff act, county staff (their county) and leaders read.
        get( "/evaluations",                                  Roles(OVERSIGHT, Global), index),
        get( "/evaluations/{year}",                           Roles(OVERSIGHT, Global), show),
        post("/evaluations/{year}/compute",                   Roles(STAFF, City),       compute),
        post("/evaluations/{year}/evaluations/{eid}/experts", Roles(STAFF, City),       assign),
        post("/evaluations/{year}/propose",                   Roles(STAFF, City),       propose),
        post("/evaluations/{year}/notice",                    Roles(STAFF, City),       start_notice),
        post("/evaluations/{year}/objections",                Roles(STAFF, City),       record_objection),
        post("/evaluations/{year}/objections/{oid}/answer",   Roles(STAFF, City),       answer_objection),
        post("/evaluations/{year}/publish",                   Roles(STAFF, City),       publish),
        post("/evaluations/{year}/withdraw",                  Roles(STAFF, City),       withdraw),
        get( "/evaluations/{year}/results",                   Roles(OVERSIGHT, Global), results),
        get( "/evaluations/{year}/results.xlsx",              Roles(OVERSIGHT, Global), results_xlsx),
    ]
}

fn round_href(year: i32) -> String {
    format!("/evaluations/{year}")
}

fn category_label(code: &Option<String>) -> &'static str {
    code.as_deref()
        .and_then(Category::parse)
        .map(Category::label_zh)
        .unwrap_or("未设置")
}

/// The configuration a round was graded with (its recorded version), else the one in force.
async fn round_config(
    conn: &mut PgConnection,
    year: i32,
    version: Option<i32>,
) -> AppResult<(AnnualConfig, i32)> {
    if let Some(v) = version
        && let Some(c) = annual_config::get_version(conn, year, v).await?
    {
        return Ok((c, v));
    }
    Ok(annual_config::get(conn, year).await?)
}

// ---- the list of years ----------------------------------------------------------------------------

pub struct YearLine {
    pub year: i32,
    pub status: &'static str,
    pub count: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "evaluation/index.html")]
pub struct IndexPage {
    pub layout: Layout,
    pub years: Vec<YearLine>,
    pub current: i32,
}

/// `GET /evaluations`: the years with evaluations, newest first.
pub async fn index(State(state): State<AppState>, user: CurrentUser) -> AppResult<IndexPage> {
    let mut conn = state.db.acquire().await?;
    let years = db::years(&mut conn)
        .await?
        .into_iter()
        .map(|(year, status, count)| YearLine {
            year,
            status: status
                .as_deref()
                .and_then(RoundStatus::parse)
                .unwrap_or(RoundStatus::Open)
                .label_zh(),
            count,
        })
        .collect();
    Ok(IndexPage {
        layout: Layout::for_user(&user, "evaluations"),
        years,
        current: rules::default_year(today()),
    })
}

// ---- the round page -------------------------------------------------------------------------------

pub struct ExpertLine {
    pub name: String,
    pub state: &'static str,
    pub conflicted: bool,
    pub note: String,
}

pub struct EvalLine {
    pub id: i64,
    pub platform_id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub level: &'static str,
    pub category: &'static str,
    pub status: String,
    pub status_label: &'static str,
    pub submitted: String,
    pub quantitative: String,
    pub warnings: usize,
    pub total: String,
    pub rank: String,
    pub grade: &'static str,
    pub grade_code: String,
    pub excluded_reason: String,
    pub experts: Vec<ExpertLine>,
    pub progress: String,
    pub can_assign: bool,
    pub expert_options: Vec<Opt>,
}

pub struct ObjectionLine {
    pub id: i64,
    pub platform_name: String,
    pub raised_by: String,
    pub raised_on: String,
    pub content: String,
    pub answered: bool,
    pub response: String,
    pub responded: String,
    pub error: String,
}

/// A 不合格's results application after publishing.
pub struct FailLine {
    pub platform_id: i64,
    pub name: String,
    pub case: String,
}

#[derive(Default)]
pub struct ObjectionInput {
    pub evaluation_id: String,
    pub raised_by: String,
    pub raised_on: String,
    pub content: String,
    pub errors: Errors,
}

#[derive(Template, WebTemplate)]
#[template(path = "evaluation/round.html")]
pub struct RoundPage {
    pub layout: Layout,
    pub year: i32,
    pub status: String,
    pub status_label: &'static str,
    pub deadline: String,
    pub config_version: i32,
    pub notice_starts: String,
    pub notice_ends: String,
    pub published_at: String,
    pub notice: &'static str,
    pub is_city_staff: bool,
    pub can_compute: bool,
    pub can_propose: bool,
    pub can_notice: bool,
    pub can_publish: bool,
    pub can_withdraw: bool,
    pub can_object: bool,
    pub publish_blockers: Vec<String>,
    pub rows: Vec<EvalLine>,
    pub counts: Vec<(&'static str, usize)>,
    pub not_started: Vec<(i64, String, String)>,
    pub objections: Vec<ObjectionLine>,
    pub objection_options: Vec<Opt>,
    pub objection: ObjectionInput,
    pub fails: Vec<FailLine>,
    pub experts_available: bool,
}

impl RoundPage {
    pub fn objection_error(&self, field: &str) -> &str {
        self.objection
            .errors
            .get(field)
            .map(String::as_str)
            .unwrap_or("")
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

/// `GET /evaluations/{year}`.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<i32>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<RoundPage> {
    let year = valid_year(year)?;
    let notice = Flash::text_of(&q.notice);
    let mut conn = state.db.acquire().await?;
    round_page(
        &mut conn,
        &user,
        year,
        notice,
        ObjectionInput::default(),
        BTreeMap::new(),
    )
    .await
}

async fn round_page(
    conn: &mut PgConnection,
    user: &CurrentUser,
    year: i32,
    notice: &'static str,
    objection: ObjectionInput,
    answer_errors: BTreeMap<i64, String>,
) -> AppResult<RoundPage> {
    let today = today();
    let round = db::round(conn, year).await?;
    let status = round.status();
    let (config, version) = match status {
        RoundStatus::Open => annual_config::get(conn, year).await?,
        _ => round_config(conn, year, round.config_version).await?,
    };
    let rows = db::list_year(conn, year, user.scope).await?;
    let assignments = db::assignments_for_year(conn, year).await?;
    let experts = db::experts(conn).await?;
    let objections = db::objections(conn, year, user.scope).await?;
    let not_started = db::not_started(conn, year, user.scope).await?;
    let unanswered = objections.iter().filter(|o| !o.answered()).count();
    let in_review = rows
        .iter()
        .filter(|r| r.status().is_some_and(EvalStatus::is_in_review))
        .count();
    let actor = actor_of(user);
    let facts = RoundFacts {
        status,
        today,
        notice_starts: round.notice_starts,
        notice_ends: round.notice_ends,
        in_review,
        candidates: 1,
        not_ready: Vec::new(),
        unanswered_objections: unanswered,
    };
    let may = |a: RoundAction| rules::check_round(a, actor, &facts).is_ok();
    let can_assign = may(RoundAction::AssignExpert);

    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let lines: Vec<EvalLine> = rows
        .iter()
        .map(|r| {
            let eval_status = r.status();
            *counts.entry(status_label(&r.status)).or_default() += 1;
            let mine: Vec<_> = assignments
                .iter()
                .filter(|a| a.evaluation_id == r.id)
                .collect();
            let progress = ExpertProgress::of(&mine.iter().map(|a| a.state()).collect::<Vec<_>>());
            let detail = r.detail();
            let city_passed = eval_status == Some(EvalStatus::CityPassed);
            EvalLine {
                id: r.id,
                platform_id: r.platform_id,
                code: r.code.clone(),
                name: r.name.clone(),
                jurisdiction: r.jurisdiction_name.clone(),
                level: Level::parse(&r.level).map(Level::label_zh).unwrap_or(""),
                category: category_label(&r.category),
                status: r.status.clone(),
                status_label: status_label(&r.status),
                submitted: r
                    .submitted_at
                    .map(|t| local_time(&t)[..10].to_string())
                    .unwrap_or_else(|| "—".into()),
                quantitative: detail
                    .as_ref()
                    .filter(|d| d.stage == ScoreStage::Quantitative)
                    .map(|d| display(d.score.total))
                    .unwrap_or_else(|| "—".into()),
                warnings: detail.as_ref().map(|d| d.warnings_zh.len()).unwrap_or(0),
                total: r.total_score.map(display).unwrap_or_else(|| "—".into()),
                rank: r.rank.map(|x| x.to_string()).unwrap_or_else(|| "—".into()),
                grade: grade_label(r.grade.as_deref()),
                grade_code: r.grade.clone().unwrap_or_default(),
                excluded_reason: r.excluded_reason.clone(),
                experts: mine
                    .iter()
                    .map(|a| ExpertLine {
                        name: a.expert_name.clone(),
                        state: a.state().state_zh(),
                        conflicted: a.conflict == Some(true),
                        note: a.conflict_note.clone(),
                    })
                    .collect(),
                progress: if !city_passed && eval_status != Some(EvalStatus::Scored) {
                    String::new()
                } else if progress.is_complete() {
                    format!("专家评分已完成（{}份）", progress.submitted)
                } else {
                    progress.missing_zh()
                },
                can_assign: can_assign && city_passed,
                expert_options: experts
                    .iter()
                    .filter(|(id, _, _)| !mine.iter().any(|a| a.expert_id == *id))
                    .map(|(id, name, username)| Opt {
                        value: id.to_string(),
                        label: format!("{name}（{username}）"),
                    })
                    .collect(),
            }
        })
        .collect();

    let publish_blockers = if status == RoundStatus::Notice {
        match rules::check_round(RoundAction::Publish, actor, &facts) {
            Err(r) if r.kind == rules::RefusalKind::State => r.reasons,
            _ => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let objection_options = rows
        .iter()
        .filter(|r| r.status() == Some(EvalStatus::Scored))
        .map(|r| Opt {
            value: r.id.to_string(),
            label: format!("{} {}", r.code, r.name),
        })
        .collect();
    let mut fails = Vec::new();
    if status == RoundStatus::Published {
        for r in rows
            .iter()
            .filter(|r| r.grade.as_deref() == Some(Grade::Fail.as_str()))
        {
            fails.push(FailLine {
                platform_id: r.platform_id,
                name: r.name.clone(),
                case: fail_case_note(conn, r.platform_id, year).await?,
            });
        }
    }
    Ok(RoundPage {
        layout: Layout::for_user(user, "evaluations"),
        year,
        status: status.as_str().into(),
        status_label: status.label_zh(),
        deadline: config.deadline(year, Step::Yearend).to_string(),
        config_version: version,
        notice_starts: round
            .notice_starts
            .map(|d| d.to_string())
            .unwrap_or_default(),
        notice_ends: round.notice_ends.map(|d| d.to_string()).unwrap_or_default(),
        published_at: round
            .published_at
            .map(|t| local_time(&t))
            .unwrap_or_default(),
        notice,
        is_city_staff: user.is_city_staff,
        can_compute: may(RoundAction::ComputeQuantitative)
            && rows
                .iter()
                .any(|r| r.status() == Some(EvalStatus::CityPassed)),
        can_propose: may(RoundAction::Propose),
        can_notice: may(RoundAction::StartNotice),
        can_publish: user.is_city_staff && status == RoundStatus::Notice,
        can_withdraw: may(RoundAction::Withdraw),
        can_object: may(RoundAction::RecordObjection),
        publish_blockers,
        counts: counts.into_iter().collect(),
        rows: lines,
        not_started,
        objections: objections
            .into_iter()
            .map(|o| ObjectionLine {
                error: answer_errors.get(&o.id).cloned().unwrap_or_default(),
                id: o.id,
                answered: o.answered(),
                platform_name: o.platform_name,
                raised_by: o.raised_by,
                raised_on: o.raised_on.to_string(),
                content: o.content,
                response: o.response,
                responded: match o.responded_at {
                    Some(t) => format!(
                        "{} · {}",
                        local_time(&t),
                        o.responded_by_name.unwrap_or_default()
                    ),
                    None => String::new(),
                },
            })
            .collect(),
        objection_options,
        objection: ObjectionInput {
            raised_on: if objection.raised_on.is_empty() {
                today.to_string()
            } else {
                objection.raised_on
            },
            ..objection
        },
        fails,
        experts_available: !experts.is_empty(),
    })
}

/// What publishing did for a 不合格 platform's rectification.
async fn fail_case_note(conn: &mut PgConnection, platform_id: i64, year: i32) -> AppResult<String> {
    let drafted: Option<(i64, String)> = sqlx::query_as(
        "SELECT id, status FROM rectification_cases WHERE platform_id = $1 AND source = $2 ORDER BY id LIMIT 1",
    )
    .bind(platform_id)
    .bind(format!("evaluation:{year}"))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match drafted {
        Some((id, status)) if status == "draft" => {
            format!("已生成整改案件草稿（#{id}），待业务人员完善后启动")
        }
        Some((id, _)) => format!("已生成整改案件（#{id}）"),
        None => match db::open_case(conn, platform_id).await? {
            Some(id) => format!("平台已有进行中的整改案件（#{id}），未重复生成"),
            None => "未生成整改案件".into(),
        },
    })
}

/// Commits the round's write and goes back to the round page with its flash.
async fn done(tx: WriteTx, year: i32, flash: Flash) -> AppResult<Response> {
    tx.redirect(format!("{}?notice={flash}", round_href(year)))
        .await
}

// ---- actions ------------------------------------------------------------------------------------

/// `POST /evaluations/{year}/compute`: the quantitative score of every city-passed evaluation.
pub async fn compute(user: CurrentUser, w: Writer, Path(year): Path<i32>) -> AppResult<Response> {
    let year = valid_year(year)?;
    let today = today();
    let mut tx = w.begin().await?;
    let round = db::lock_round(&mut tx, year).await?;
    let facts = quiet_facts(&round, today);
    if let Err(r) = rules::check_round(RoundAction::ComputeQuantitative, actor_of(&user), &facts) {
        tx.rollback().await?;
        return Ok(refused(&user, "不能计算定量得分", &r, round_href(year)));
    }
    let (config, version) = annual_config::get(&mut tx, year).await?;
    let rows = db::list_year(&mut tx, year, PlatformScope::All).await?;
    for r in rows
        .iter()
        .filter(|r| r.status() == Some(EvalStatus::CityPassed))
    {
        if exclude_if_barred(
            &mut tx,
            &user,
            r,
            year,
            config.deadline(year, Step::Yearend),
        )
        .await?
        {
            continue;
        }
        let targets = db::approved_targets(&mut tx, r.platform_id, year)
            .await?
            .unwrap_or_default();
        let category = r.category.as_deref().and_then(Category::parse);
        let Ok(detail) = rules::score(
            &config.rubric,
            category,
            version,
            &targets,
            &values_of(&r.actuals),
            &[],
            ScoreStage::Quantitative,
        ) else {
            continue; // no category: the round page says so on the row
        };
        db::store_quantitative(&mut tx, r.id, version, &detail).await?;
        tx.audit(
            Entry::new("evaluation.score_quantitative", "evaluation", r.id)
                .before(r.score_detail.clone())
                .after(json!(detail)),
        )
        .await?;
    }
    done(tx, year, Flash::RoundComputed).await
}

/// Facts for actions that only care about the round's status.
fn quiet_facts(round: &db::Round, today: chrono::NaiveDate) -> RoundFacts {
    RoundFacts {
        status: round.status(),
        today,
        notice_starts: round.notice_starts,
        notice_ends: round.notice_ends,
        in_review: 0,
        candidates: 1,
        not_ready: Vec::new(),
        unanswered_objections: 0,
    }
}

async fn exclude_if_barred(
    tx: &mut WriteTx,
    user: &CurrentUser,
    r: &RoundRow,
    year: i32,
    deadline: chrono::NaiveDate,
) -> AppResult<bool> {
    let Some(bar) = bar_of(tx, r.platform_id, deadline).await? else {
        return Ok(false);
    };
    let e = db::get_in_year(tx, r.id, year)
        .await?
        .ok_or(AppError::NotFound)?;
    persist_exclusion(tx, user, &e, &bar).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssignForm {
    expert_id: String,
}

/// `POST /evaluations/{year}/evaluations/{eid}/experts`: assign an expert to a city-passed evaluation.
pub async fn assign(
    user: CurrentUser,
    w: Writer,
    Path((year, eid)): Path<(i32, i64)>,
    Form(form): Form<AssignForm>,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let mut tx = w.begin().await?;
    let round = db::lock_round(&mut tx, year).await?;
    let back = round_href(year);
    if let Err(r) = rules::check_round(
        RoundAction::AssignExpert,
        actor_of(&user),
        &quiet_facts(&round, today()),
    ) {
        tx.rollback().await?;
        return Ok(refused(&user, "不能分配专家", &r, back));
    }
    let e = db::get_in_year(&mut tx, eid, year)
        .await?
        .ok_or(AppError::NotFound)?;
    if e.status() != Some(EvalStatus::CityPassed) {
        tx.rollback().await?;
        let r = rules::Refusal {
            kind: rules::RefusalKind::State,
            reasons: vec![format!(
                "只有通过市级复审、尚未评定等次的评估可以分配专家（当前状态：{}）",
                status_label(&e.status)
            )],
        };
        return Ok(refused(&user, "不能分配专家", &r, back));
    }
    let expert_id: i64 = form
        .expert_id
        .parse()
        .map_err(|_| AppError::BadRequest("请选择评审专家。".into()))?;
    let experts = db::experts(&mut tx).await?;
    let Some((_, expert_name, _)) = experts.iter().find(|(id, _, _)| *id == expert_id) else {
        return Err(AppError::BadRequest("所选账户不是有效的评审专家。".into()));
    };
    let aid = match db::assign(&mut tx, e.id, expert_id, user.id).await {
        Ok(aid) => aid,
        Err(err) if write::field_error(&err).is_some_and(|(field, _)| field == "expert_id") => {
            tx.rollback().await?;
            let r = rules::Refusal {
                kind: rules::RefusalKind::State,
                reasons: vec![format!("专家{expert_name}已分配给该平台")],
            };
            return Ok(refused(&user, "不能分配专家", &r, back));
        }
        Err(err) => return Err(err.into()),
    };
    tx.audit(
        Entry::new("expert.assign", "expert_assignment", aid).after(
            json!({"evaluation_id": e.id, "platform_id": e.platform_id, "year": year, "expert_id": expert_id}),
        ),
    )
    .await?;
    crate::db::notices::event(
        &mut tx,
        crate::db::notices::To::UsersAbout(&[expert_id], e.platform_id),
        "event.expert_assigned",
        &format!("您被分配为 {year} 年度评估的评审专家，请先申报有无利益冲突，再评分并提交。"),
        &format!("/expert/assignments/{aid}"),
    )
    .await?;
    done(tx, year, Flash::RoundExpertAssigned).await
}

/// `POST /evaluations/{year}/propose` (生成拟评等次): final scores (quantitative + experts), ranks and grades
/// with the quota. Refused while reviews are pending or any evaluation lacks two experts' scores.
pub async fn propose(user: CurrentUser, w: Writer, Path(year): Path<i32>) -> AppResult<Response> {
    let year = valid_year(year)?;
    let today = today();
    let actor = actor_of(&user);
    let mut tx = w.begin().await?;
    let round = db::lock_round(&mut tx, year).await?;
    let before = round.audit_json();
    if let Err(r) = rules::check_round(RoundAction::Propose, actor, &quiet_facts(&round, today)) {
        tx.rollback().await?;
        return Ok(refused(&user, "不能生成拟评等次", &r, round_href(year)));
    }
    if round.status() == RoundStatus::Proposed {
        // Generating again starts from the city-passed evaluations.
        db::round_withdrawn(&mut tx, year).await?;
    }
    let (config, version) = annual_config::get(&mut tx, year).await?;
    let rows = db::list_year(&mut tx, year, PlatformScope::All).await?;
    let in_review = rows
        .iter()
        .filter(|r| r.status().is_some_and(EvalStatus::is_in_review))
        .count();
    let mut scored = Vec::new();
    let mut not_ready = Vec::new();
    for r in rows
        .iter()
        .filter(|r| r.status() == Some(EvalStatus::CityPassed))
    {
        if exclude_if_barred(
            &mut tx,
            &user,
            r,
            year,
            config.deadline(year, Step::Yearend),
        )
        .await?
        {
            continue;
        }
        let assignments = db::scores_for_evaluation(&mut tx, r.id).await?;
        let progress = ExpertProgress::of(&assignments.iter().map(|(a, _)| *a).collect::<Vec<_>>());
        if !progress.is_complete() {
            not_ready.push(format!("{}：{}", r.name, progress.missing_zh()));
            continue;
        }
        let targets = db::approved_targets(&mut tx, r.platform_id, year)
            .await?
            .unwrap_or_default();
        match rules::score(
            &config.rubric,
            r.category.as_deref().and_then(Category::parse),
            version,
            &targets,
            &values_of(&r.actuals),
            &assignments,
            ScoreStage::Final,
        ) {
            Ok(detail) => scored.push((r, detail)),
            Err(msg) => not_ready.push(format!("{}：{msg}", r.name)),
        }
    }
    let facts = RoundFacts {
        status: RoundStatus::Open,
        today,
        notice_starts: None,
        notice_ends: None,
        in_review,
        candidates: scored.len() + not_ready.len(),
        not_ready,
        unanswered_objections: 0,
    };
    if let Err(r) = rules::check_round(RoundAction::Propose, actor, &facts) {
        tx.rollback().await?;
        return Ok(refused(&user, "不能生成拟评等次", &r, round_href(year)));
    }
    let totals: Vec<(usize, f64)> = scored
        .iter()
        .enumerate()
        .map(|(i, (_, d))| (i, d.score.total))
        .collect();
    let grades = assign_grades(&config.grade_rules, &totals);
    let mut results = Vec::new();
    for g in &grades {
        let (r, detail) = &scored[g.id];
        let rank = i32::try_from(g.rank).unwrap_or(i32::MAX);
        db::store_proposed(&mut tx, r.id, detail, rank, g.grade.as_str()).await?;
        results.push(
            json!({"evaluation_id": r.id, "platform_id": r.platform_id, "total": g.score,
                            "rank": g.rank, "grade": g.grade}),
        );
    }
    db::round_proposed(&mut tx, year, version, user.id).await?;
    tx.audit(
        Entry::new("evaluation_round.propose", "evaluation_round", year)
            .before(before)
            .after(json!({"status": "proposed", "config_version": version,
                          "excellent_quota": config.grade_rules.excellent_quota(grades.len()),
                          "results": results})),
    )
    .await?;
    done(tx, year, Flash::RoundProposed).await
}

/// `POST /evaluations/{year}/notice`: the public notice (公示) starts today for the configured number of days.
pub async fn start_notice(
    user: CurrentUser,
    w: Writer,
    Path(year): Path<i32>,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let today = today();
    let mut tx = w.begin().await?;
    let round = db::lock_round(&mut tx, year).await?;
    if let Err(r) = rules::check_round(
        RoundAction::StartNotice,
        actor_of(&user),
        &quiet_facts(&round, today),
    ) {
        tx.rollback().await?;
        return Ok(refused(&user, "不能开始公示", &r, round_href(year)));
    }
    let (config, _) = round_config(&mut tx, year, round.config_version).await?;
    let (starts, ends) = rules::notice_period(today, config.notice_days);
    db::round_notice(&mut tx, year, starts, ends).await?;
    let rows = db::list_year(&mut tx, year, PlatformScope::All).await?;
    for r in rows
        .iter()
        .filter(|r| r.status() == Some(EvalStatus::Scored))
    {
        lifecycle::record(
            &mut tx,
            &user.actor(),
            &lifecycle::Event {
                platform_id: r.platform_id,
                kind: "evaluation.notice",
                from_stage: None,
                to_stage: None,
                summary: &format!(
                    "{year}年度评估拟评结果公示（{starts}至{ends}）：拟评{}",
                    grade_label(r.grade.as_deref())
                ),
                reason: "",
                document_id: None,
            },
        )
        .await?;
    }
    tx.audit(
        Entry::new("evaluation_round.notice", "evaluation_round", year)
            .before(round.audit_json())
            .after(json!({"status": "notice", "notice_starts": starts, "notice_ends": ends})),
    )
    .await?;
    done(tx, year, Flash::RoundNoticeStarted).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ObjectionForm {
    evaluation_id: String,
    raised_by: String,
    raised_on: String,
    content: String,
}

/// `POST /evaluations/{year}/objections`: record an objection raised during the notice.
pub async fn record_objection(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(year): Path<i32>,
    Form(form): Form<ObjectionForm>,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let today = today();
    let mut tx = w.begin().await?;
    let round = db::lock_round(&mut tx, year).await?;
    if let Err(r) = rules::check_round(
        RoundAction::RecordObjection,
        actor_of(&user),
        &quiet_facts(&round, today),
    ) {
        tx.rollback().await?;
        return Ok(refused(&user, "不能登记异议", &r, round_href(year)));
    }
    let evaluation = match form.evaluation_id.parse::<i64>() {
        Ok(eid) => db::get_in_year(&mut tx, eid, year)
            .await?
            .filter(|e| e.status() == Some(EvalStatus::Scored)),
        Err(_) => None,
    };
    let checked = rules::validate_objection(
        &form.raised_by,
        &form.raised_on,
        &form.content,
        (round.notice_starts, round.notice_ends),
        today,
    );
    let (e, o) = match (evaluation, checked) {
        (Some(e), Ok(o)) => (e, o),
        (e, checked) => {
            tx.rollback().await?;
            let mut errors = checked.err().unwrap_or_default();
            if e.is_none() {
                errors.insert("evaluation_id".into(), "请选择异议涉及的平台".into());
            }
            let input = ObjectionInput {
                evaluation_id: form.evaluation_id,
                raised_by: form.raised_by,
                raised_on: form.raised_on,
                content: form.content,
                errors,
            };
            let mut conn = state.db.acquire().await?;
            let page = round_page(&mut conn, &user, year, "", input, BTreeMap::new()).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let oid = db::insert_objection(&mut tx, year, e.platform_id, &o, user.id).await?;
    tx.audit(Entry::new("objection.record", "objection", oid).after(
        json!({"year": year, "platform_id": e.platform_id, "raised_by": o.raised_by,
               "raised_on": o.raised_on, "content": o.content}),
    ))
    .await?;
    lifecycle::record(
        &mut tx,
        &user.actor(),
        &lifecycle::Event {
            platform_id: e.platform_id,
            kind: "evaluation.objection",
            from_stage: None,
            to_stage: None,
            summary: &format!("{year}年度评估公示期间收到异议（提出人：{}）", o.raised_by),
            reason: &o.content,
            document_id: None,
        },
    )
    .await?;
    done(tx, year, Flash::ObjectionRecorded).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnswerForm {
    response: String,
}

/// `POST /evaluations/{year}/objections/{oid}/answer`.
pub async fn answer_objection(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((year, oid)): Path<(i32, i64)>,
    Form(form): Form<AnswerForm>,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let mut tx = w.begin().await?;
    let round = db::lock_round(&mut tx, year).await?;
    if let Err(r) = rules::check_round(
        RoundAction::AnswerObjection,
        actor_of(&user),
        &quiet_facts(&round, today()),
    ) {
        tx.rollback().await?;
        return Ok(refused(&user, "不能答复异议", &r, round_href(year)));
    }
    let response = match rules::validate_answer(&form.response) {
        Ok(r) => r,
        Err(msg) => {
            // Only render the error if the objection exists; otherwise it is a 404.
            let exists: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM objections WHERE id = $1 AND year = $2)",
            )
            .bind(oid)
            .bind(year)
            .fetch_one(&mut *tx)
            .await?;
            tx.rollback().await?;
            if !exists {
                return Err(AppError::NotFound);
            }
            let mut conn = state.db.acquire().await?;
            let page = round_page(
                &mut conn,
                &user,
                year,
                "",
                ObjectionInput::default(),
                BTreeMap::from([(oid, msg)]),
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let platform_id = match db::answer_objection(&mut tx, oid, year, &response, user.id).await? {
        None => return Err(AppError::NotFound),
        Some((false, _)) => {
            tx.rollback().await?;
            let r = rules::Refusal {
                kind: rules::RefusalKind::State,
                reasons: vec!["该异议已答复".into()],
            };
            return Ok(refused(&user, "不能答复异议", &r, round_href(year)));
        }
        Some((true, platform_id)) => platform_id,
    };
    tx.audit(
        Entry::new("objection.answer", "objection", oid)
            .after(json!({"year": year, "platform_id": platform_id, "response": response})),
    )
    .await?;
    lifecycle::record(
        &mut tx,
        &user.actor(),
        &lifecycle::Event {
            platform_id,
            kind: "evaluation.objection_answered",
            from_stage: None,
            to_stage: None,
            summary: &format!("{year}年度评估异议已答复"),
            reason: &response,
            document_id: None,
        },
    )
    .await?;
    done(tx, year, Flash::ObjectionAnswered).await
}

/// `POST /evaluations/{year}/publish`: after the notice, with every objection answered. Stores grade, rank,
/// reward and funding coefficient; opens a DRAFT rectification case for every 不合格 without an open one.
pub async fn publish(user: CurrentUser, w: Writer, Path(year): Path<i32>) -> AppResult<Response> {
    let year = valid_year(year)?;
    let today = today();
    let mut tx = w.begin().await?;
    let round = db::lock_round(&mut tx, year).await?;
    let mut facts = quiet_facts(&round, today);
    facts.unanswered_objections =
        usize::try_from(db::count_unanswered(&mut tx, year).await?).unwrap_or(usize::MAX);
    if let Err(r) = rules::check_round(RoundAction::Publish, actor_of(&user), &facts) {
        tx.rollback().await?;
        return Ok(refused(&user, "不能发布结果", &r, round_href(year)));
    }
    let (config, version) = round_config(&mut tx, year, round.config_version).await?;
    let rows: Vec<RoundRow> = db::list_year(&mut tx, year, PlatformScope::All)
        .await?
        .into_iter()
        .filter(|r| r.status() == Some(EvalStatus::Scored))
        .collect();
    let totals: Vec<(usize, f64)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (i, r.total_score.unwrap_or(0.0)))
        .collect();
    let mut results = Vec::new();
    for g in assign_grades(&config.grade_rules, &totals) {
        let r = &rows[g.id];
        // The published grade (and any drafted case) changes the platform's findings.
        tx.touches(r.platform_id);
        let rank = i32::try_from(g.rank).unwrap_or(i32::MAX);
        db::store_published(
            &mut tx,
            r.id,
            rank,
            g.grade.as_str(),
            g.reward_yuan,
            g.funding_coefficient,
        )
        .await?;
        let mut note = String::new();
        let mut case_id = None;
        if g.opens_rectification {
            match db::open_case(&mut tx, r.platform_id).await? {
                Some(existing) => {
                    note = format!("；平台已有进行中的整改案件（#{existing}），未重复生成");
                }
                None => {
                    let summary = rules::fail_case_summary(year, g.score, g.rank);
                    let trigger = format!("{year}年度绩效评估不合格（总分{}）", display(g.score));
                    let cid = db::insert_fail_case(
                        &mut tx,
                        r.platform_id,
                        year,
                        &trigger,
                        &summary,
                        Some(user.id),
                    )
                    .await?;
                    tx.audit(
                        Entry::new("rectification.draft", "rectification_case", cid).after(
                            json!({"platform_id": r.platform_id, "status": "draft",
                                   "triggers": ["fail_grade"], "source": format!("evaluation:{year}"),
                                   "plan_summary": summary}),
                        ),
                    )
                    .await?;
                    lifecycle::record(
                        &mut tx,
                        &user.actor(),
                        &lifecycle::Event {
                            platform_id: r.platform_id,
                            kind: "case.drafted",
                            from_stage: None,
                            to_stage: None,
                            summary: &format!("{year}年度评估不合格，生成整改案件草稿（#{cid}）"),
                            reason: &trigger,
                            document_id: None,
                        },
                    )
                    .await?;
                    note = format!("；已生成整改案件草稿（#{cid}）");
                    case_id = Some(cid);
                }
            }
        }
        let reward = if g.reward_yuan > 0 {
            format!("，奖励建议{}万元", wan(g.reward_yuan))
        } else {
            String::new()
        };
        lifecycle::record(
            &mut tx,
            &user.actor(),
            &lifecycle::Event {
                platform_id: r.platform_id,
                kind: "evaluation.published",
                from_stage: None,
                to_stage: None,
                summary: &format!(
                    "{year}年度评估结果发布：{}（总分{}，第{}名{reward}，下年度经费系数{:.2}）{note}",
                    g.grade.label_zh(),
                    display(g.score),
                    g.rank,
                    g.funding_coefficient
                ),
                reason: "",
                document_id: None,
            },
        )
        .await?;
        crate::db::notices::event(
            &mut tx,
            crate::db::notices::To::Platform(r.platform_id),
            "event.results_published",
            &format!(
                "{year} 年度评估结果已发布：{}（第 {} 名）。",
                g.grade.label_zh(),
                g.rank
            ),
            &format!("/platforms/{}/evaluation?year={year}", r.platform_id),
        )
        .await?;
        results.push(json!({"evaluation_id": r.id, "platform_id": r.platform_id, "total": g.score,
                            "rank": g.rank, "grade": g.grade, "reward_yuan": g.reward_yuan,
                            "funding_coefficient": g.funding_coefficient, "rectification_case": case_id}));
    }
    db::round_published(&mut tx, year, user.id).await?;
    tx.audit(
        Entry::new("evaluation_round.publish", "evaluation_round", year)
            .before(round.audit_json())
            .after(json!({"status": "published", "config_version": version, "results": results})),
    )
    .await?;
    done(tx, year, Flash::RoundPublished).await
}

/// `POST /evaluations/{year}/withdraw`: proposed or noticed grades are withdrawn; the round reopens.
pub async fn withdraw(user: CurrentUser, w: Writer, Path(year): Path<i32>) -> AppResult<Response> {
    let year = valid_year(year)?;
    let mut tx = w.begin().await?;
    let round = db::lock_round(&mut tx, year).await?;
    if let Err(r) = rules::check_round(
        RoundAction::Withdraw,
        actor_of(&user),
        &quiet_facts(&round, today()),
    ) {
        tx.rollback().await?;
        return Ok(refused(&user, "不能撤回", &r, round_href(year)));
    }
    let reset = db::round_withdrawn(&mut tx, year).await?;
    tx.audit(
        Entry::new("evaluation_round.withdraw", "evaluation_round", year)
            .before(round.audit_json())
            .after(json!({"status": "open", "evaluations_reset": reset})),
    )
    .await?;
    done(tx, year, Flash::RoundWithdrawn).await
}

// ---- results -----------------------------------------------------------------------------------------

pub struct ResultLine {
    pub rank: Option<i32>,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub category: &'static str,
    pub dimensions: Vec<Option<f64>>,
    pub total: Option<f64>,
    pub grade: &'static str,
    pub grade_code: String,
    pub reward: Option<i64>,
    pub coefficient: Option<f64>,
}

impl ResultLine {
    pub fn rank_text(&self) -> String {
        self.rank.map(|r| r.to_string()).unwrap_or_default()
    }
    pub fn dimension_texts(&self) -> Vec<String> {
        self.dimensions
            .iter()
            .map(|d| d.map(display).unwrap_or_else(|| "—".into()))
            .collect()
    }
    pub fn total_text(&self) -> String {
        self.total.map(display).unwrap_or_else(|| "—".into())
    }
    pub fn reward_text(&self) -> String {
        self.reward.map(thousands).unwrap_or_else(|| "—".into())
    }
    pub fn coefficient_text(&self) -> String {
        self.coefficient
            .map(|c| format!("{c:.2}"))
            .unwrap_or_else(|| "—".into())
    }
}

/// Whole yuan with thousands separators: 500,000.
pub(crate) fn thousands(yuan: i64) -> String {
    let digits = yuan.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if yuan < 0 { format!("-{out}") } else { out }
}

/// The results the user may see: graded evaluations of the year in scope, by rank.
async fn result_lines(
    conn: &mut PgConnection,
    user: &CurrentUser,
    year: i32,
) -> AppResult<(Vec<ResultLine>, Vec<(String, String, String)>)> {
    let rows = db::list_year(conn, year, user.scope).await?;
    let mut graded: Vec<&RoundRow> = rows
        .iter()
        .filter(|r| r.status() == Some(EvalStatus::Scored))
        .collect();
    graded.sort_by(|a, b| {
        a.rank
            .unwrap_or(i32::MAX)
            .cmp(&b.rank.unwrap_or(i32::MAX))
            .then_with(|| a.code.cmp(&b.code))
    });
    let lines = graded
        .into_iter()
        .map(|r| {
            let detail = r.detail();
            ResultLine {
                rank: r.rank,
                code: r.code.clone(),
                name: r.name.clone(),
                jurisdiction: r.jurisdiction_name.clone(),
                category: category_label(&r.category),
                dimensions: Dimension::ALL
                    .iter()
                    .map(|d| detail.as_ref().and_then(|x| x.score.dimension_score(*d)))
                    .collect(),
                total: r.total_score,
                grade: grade_label(r.grade.as_deref()),
                grade_code: r.grade.clone().unwrap_or_default(),
                reward: r.reward_yuan,
                coefficient: r.funding_coefficient,
            }
        })
        .collect();
    let excluded = rows
        .iter()
        .filter(|r| r.status() == Some(EvalStatus::Excluded))
        .map(|r| (r.code.clone(), r.name.clone(), r.excluded_reason.clone()))
        .collect();
    Ok((lines, excluded))
}

#[derive(Template, WebTemplate)]
#[template(path = "evaluation/results.html")]
pub struct ResultsPage {
    pub layout: Layout,
    pub year: i32,
    pub status: String,
    pub status_label: &'static str,
    pub dimension_labels: Vec<&'static str>,
    pub rows: Vec<ResultLine>,
    pub excluded: Vec<(String, String, String)>,
    pub notice_period: String,
    /// The print view (`?print=1`): the results as an A4 document under the bureau's seal.
    pub print: bool,
}

/// `GET /evaluations/{year}/results`.
pub async fn results(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<i32>,
    Query(pq): Query<super::print::PrintQuery>,
) -> AppResult<ResultsPage> {
    let year = valid_year(year)?;
    let mut conn = state.db.acquire().await?;
    let round = db::round(&mut conn, year).await?;
    let (rows, excluded) = result_lines(&mut conn, &user, year).await?;
    Ok(ResultsPage {
        layout: Layout::for_user(&user, "evaluations"),
        year,
        status: round.status.clone(),
        status_label: round.status().label_zh(),
        dimension_labels: Dimension::ALL.iter().map(|d| d.label_zh()).collect(),
        rows,
        excluded,
        notice_period: match (round.notice_starts, round.notice_ends) {
            (Some(s), Some(e)) => format!("{s} 至 {e}"),
            _ => String::new(),
        },
        print: pq.on(),
    })
}

/// `GET /evaluations/{year}/results.xlsx`: exactly the rows of the results page, as an Excel workbook.
pub async fn results_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<i32>,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let mut conn = state.db.acquire().await?;
    let (rows, _) = result_lines(&mut conn, &user, year).await?;
    drop(conn);
    let what = format!("evaluation_results_{year}");
    xlsx::audit_export(&state.db, &user, &what, None, rows.len()).await?;
    let mut columns: Vec<xlsx::Column> = vec![
        ("排名", 6.0),
        ("平台编号", 14.0),
        ("平台名称", 36.0),
        ("所属地区", 12.0),
        ("功能定位", 12.0),
    ];
    columns.extend(Dimension::ALL.iter().map(|d| (d.label_zh(), 12.0)));
    columns.extend([
        ("总分", 10.0),
        ("等次", 8.0),
        ("奖励建议（元）", 14.0),
        ("下年度经费系数", 14.0),
    ]);
    let cells = rows.into_iter().map(|r| {
        let mut cells = vec![
            opt(r.rank, |n| Cell::Int(n.into())),
            r.code.into(),
            r.name.into(),
            r.jurisdiction.into(),
            r.category.into(),
        ];
        cells.extend(
            r.dimensions
                .iter()
                .map(|d| d.map_or(Cell::from("—"), Cell::Decimal)),
        );
        cells.extend([
            opt(r.total, Cell::Decimal),
            r.grade.into(),
            opt(r.reward, Cell::Yuan),
            opt(r.coefficient, Cell::Decimal),
        ]);
        cells
    });
    xlsx::build(|b| b.sheet(&format!("{year}年度评估结果"), &columns, cells))?.download(
        &format!("evaluation-results-{year}.xlsx"),
        &format!("{year}年度评估结果.xlsx"),
    )
}
