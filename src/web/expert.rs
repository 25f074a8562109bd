//! The expert's pages (评审专家): their own assignments only. For each, the expert first declares whether they
//! have a conflict of interest with the platform; a conflicted expert never scores (staff assign another).
//! Then they score every qualitative indicator 0–100 and submit. Another expert's assignment is a 404.

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
use super::evaluation::{
    IndicatorRow, document_kind_label, indicator_rows, number_text, refused, refused_now,
};
use super::flash::Flash;
use super::forms::{Form, Path, Query};
use super::layout::{Layout, local_time};
use super::widgets::NoticeQuery;
use super::write::{Entry, WriteTx, Writer};
use crate::db::annual_config;
use crate::db::evaluations::{self as db, MyAssignment};
use crate::domain::evaluation::{self as rules, Errors, EvalStatus, ExpertAction, RefusalKind};
use crate::domain::platform::Category;
use crate::domain::scoring::IndicatorKind;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // The expert's own assignments (another expert's is a 404).
        get( "/expert",                               Roles(EXPERT, Global), list),
        get( "/expert/assignments/{aid}",             Roles(EXPERT, Global), show),
        post("/expert/assignments/{aid}/declaration", Roles(EXPERT, Global), declare),
        post("/expert/assignments/{aid}/scores",      Roles(EXPERT, Global), scores),
    ]
}

fn category_label(category: Option<Category>) -> &'static str {
    category.map_or("未设置", Category::label_zh)
}

fn href(aid: i64) -> String {
    format!("/expert/assignments/{aid}")
}

// ---- the list -------------------------------------------------------------------------------------------

pub struct Line {
    pub id: i64,
    pub year: i32,
    pub platform: String,
    pub code: String,
    pub category: &'static str,
    pub state: &'static str,
    pub needs_action: bool,
    pub round: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "evaluation/expert_list.html")]
pub struct ExpertListPage {
    pub layout: Layout,
    pub rows: Vec<Line>,
    pub open: usize,
}

/// `GET /expert`: the signed-in expert's own assignments.
pub async fn list(State(state): State<AppState>, user: CurrentUser) -> AppResult<ExpertListPage> {
    let mut conn = state.db.acquire().await?;
    let rows: Vec<Line> = db::my_assignments(&mut conn, user.id)
        .await?
        .into_iter()
        .map(|a| {
            let s = a.state();
            Line {
                id: a.id,
                year: a.year,
                needs_action: super::todo::needs_action(&a),
                platform: a.platform_name.clone(),
                code: a.platform_code.clone(),
                category: category_label(a.category),
                state: s.state_zh(),
                round: a.round().label_zh(),
            }
        })
        .collect();
    Ok(ExpertListPage {
        layout: Layout::for_user(&user, "expert"),
        open: rows.iter().filter(|r| r.needs_action).count(),
        rows,
    })
}

// ---- one assignment ----------------------------------------------------------------------------------

pub struct ScoreItem {
    pub key: String,
    pub label: String,
    pub weight: String,
    pub value: String,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "evaluation/expert_assignment.html")]
pub struct AssignmentPage {
    pub layout: Layout,
    pub id: i64,
    pub year: i32,
    pub platform: String,
    pub code: String,
    pub category: &'static str,
    pub eval_status: &'static str,
    pub state: &'static str,
    pub conflict: Option<bool>,
    pub conflict_note: String,
    pub declared_at: String,
    pub submitted_at: String,
    pub can_declare: bool,
    pub can_score: bool,
    pub rows: Vec<IndicatorRow>,
    pub self_assessment: String,
    pub evidence: Vec<(String, &'static str)>,
    pub items: Vec<ScoreItem>,
    pub errors: Errors,
    pub note_typed: String,
    pub notice: &'static str,
}

impl AssignmentPage {
    pub fn error(&self, field: &str) -> &str {
        self.errors.get(field).map(String::as_str).unwrap_or("")
    }
}

/// `GET /expert/assignments/{aid}`: only the expert's own assignment (another's is a 404).
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(aid): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<AssignmentPage> {
    let notice = Flash::text_of(&q.notice);
    let mut conn = state.db.acquire().await?;
    let a = db::my_assignment(&mut conn, aid, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    assignment_page(
        &mut conn,
        &user,
        a,
        notice,
        None,
        Errors::new(),
        String::new(),
    )
    .await
}

async fn assignment_page(
    conn: &mut PgConnection,
    user: &CurrentUser,
    a: MyAssignment,
    notice: &'static str,
    typed: Option<BTreeMap<String, String>>,
    errors: Errors,
    note_typed: String,
) -> AppResult<AssignmentPage> {
    let e = db::get_in_year(conn, a.evaluation_id, a.year)
        .await?
        .ok_or(AppError::NotFound)?;
    let (config, _) = annual_config::get(conn, a.year).await?;
    let targets = db::approved_targets(conn, a.platform_id, a.year)
        .await?
        .unwrap_or_default();
    let actuals: BTreeMap<String, String> = e
        .actual_values()
        .iter()
        .map(|(k, v)| (k.clone(), number_text(*v)))
        .collect();
    let evidence = db::evidence(conn, e.id)
        .await?
        .into_iter()
        .map(|d| (d.title, document_kind_label(d.kind)))
        .collect();
    let saved: BTreeMap<String, String> = db::scores(conn, a.id)
        .await?
        .iter()
        .map(|(k, v)| (k.clone(), number_text(*v)))
        .collect();
    let typed = typed.unwrap_or(saved);
    let s = a.state();
    let round = a.round();
    let scoring_phase = e.status() == EvalStatus::CityPassed;
    let items = config
        .rubric
        .indicators
        .iter()
        .filter(|i| i.kind == IndicatorKind::Qualitative)
        .map(|i| ScoreItem {
            key: i.key.clone(),
            label: i.label_zh.clone(),
            weight: format!("{:.0}", i.weight),
            value: typed.get(&i.key).cloned().unwrap_or_default(),
            error: errors.get(&i.key).cloned().unwrap_or_default(),
        })
        .collect();
    Ok(AssignmentPage {
        layout: Layout::for_user(user, "expert"),
        id: a.id,
        year: a.year,
        platform: a.platform_name.clone(),
        code: a.platform_code.clone(),
        category: category_label(a.category),
        eval_status: a.eval_status.label_zh(),
        state: s.state_zh(),
        conflict: a.conflict,
        conflict_note: a.conflict_note.clone(),
        declared_at: a.declared_at.map(|t| local_time(&t)).unwrap_or_default(),
        submitted_at: a.submitted_at.map(|t| local_time(&t)).unwrap_or_default(),
        can_declare: rules::check_expert(ExpertAction::Declare, s, round).is_ok(),
        can_score: scoring_phase && rules::check_expert(ExpertAction::SaveScores, s, round).is_ok(),
        rows: indicator_rows(&config, &targets, &actuals, &Errors::new()),
        self_assessment: e.self_assessment.clone(),
        evidence,
        items,
        errors,
        note_typed,
        notice,
    })
}

/// Opens the write and locks the expert's own assignment `aid` (another's is a 404).
async fn lock_mine(w: &Writer, user: &CurrentUser, aid: i64) -> AppResult<(WriteTx, MyAssignment)> {
    let mut tx = w.begin().await?;
    let a = db::lock_my_assignment(&mut tx, aid, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((tx, a))
}

// ---- declaring a conflict of interest --------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeclareForm {
    conflict: String,
    note: String,
}

/// `POST /expert/assignments/{aid}/declaration`: `conflict` = `yes` | `no`; a conflict needs a note.
pub async fn declare(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(aid): Path<i64>,
    Form(form): Form<DeclareForm>,
) -> AppResult<Response> {
    let (mut tx, a) = lock_mine(&w, &user, aid).await?;
    if let Err(r) = rules::check_expert(ExpertAction::Declare, a.state(), a.round()) {
        tx.rollback().await?;
        return Ok(refused(&user, "不能声明", &r, href(aid)));
    }
    let note = form.note.trim().to_string();
    let mut errors = Errors::new();
    let conflict = match form.conflict.as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            errors.insert("conflict".into(), "请选择是否与该平台存在利益冲突".into());
            None
        }
    };
    if conflict == Some(true) && note.is_empty() {
        errors.insert(
            "note".into(),
            "请说明利益冲突情形（如任职、亲属、合作或经济往来关系）".into(),
        );
    }
    if note.chars().count() > 500 {
        errors.insert("note".into(), "说明不能超过500个字".into());
    }
    let Some(conflict) = conflict.filter(|_| errors.is_empty()) else {
        tx.rollback().await?;
        let mut conn = state.db.acquire().await?;
        let page = assignment_page(&mut conn, &user, a, "", None, errors, form.note).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    if !db::declare(&mut tx, aid, conflict, &note).await? {
        tx.rollback().await?;
        return Err(AppError::BadRequest("已声明过，请刷新页面。".into()));
    }
    tx.audit(
        Entry::new("expert.declare", "expert_assignment", aid)
            .before(json!({"conflict": null}))
            .after(json!({"evaluation_id": a.evaluation_id, "platform_id": a.platform_id, "conflict": conflict, "note": note})),
    )
    .await?;
    tx.redirect(format!("{}?notice={}", href(aid), Flash::ExpertDeclared))
        .await
}

// ---- scoring ------------------------------------------------------------------------------------------

/// `POST /expert/assignments/{aid}/scores`: `action` = `save` | `submit`, `score.<indicator key>` = 0–100.
pub async fn scores(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(aid): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let action = match fields
        .iter()
        .find(|(k, _)| k == "action")
        .map(|(_, v)| v.as_str())
    {
        Some("save") => ExpertAction::SaveScores,
        Some("submit") => ExpertAction::SubmitScores,
        _ => return Err(AppError::BadRequest("请选择保存或提交评分。".into())),
    };
    let typed: BTreeMap<String, String> = fields
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("score.")
                .map(|key| (key.to_string(), v.clone()))
        })
        .collect();
    let (mut tx, a) = lock_mine(&w, &user, aid).await?;
    if let Err(r) = rules::check_expert(action, a.state(), a.round()) {
        tx.rollback().await?;
        let title = if r.kind == RefusalKind::Forbidden {
            "不能评分：存在利益冲突"
        } else {
            "不能评分"
        };
        return Ok(refused(&user, title, &r, href(aid)));
    }
    if a.eval_status != EvalStatus::CityPassed {
        tx.rollback().await?;
        return Ok(refused_now(
            &user,
            "不能评分",
            format!(
                "该平台的评估当前为「{}」，不在专家评审阶段",
                a.eval_status.label_zh()
            ),
            href(aid),
        ));
    }
    let (config, version) = annual_config::get(&mut tx, a.year).await?;
    let submitting = action == ExpertAction::SubmitScores;
    let scores = match rules::validate_scores(&config.rubric, &typed, submitting) {
        Ok(s) => s,
        Err(errors) => {
            tx.rollback().await?;
            let mut conn = state.db.acquire().await?;
            let page = assignment_page(&mut conn, &user, a, "", Some(typed), errors, String::new())
                .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let before = db::scores(&mut tx, aid).await?;
    db::save_scores(&mut tx, aid, &scores).await?;
    if submitting && !db::submit_scores(&mut tx, aid).await? {
        tx.rollback().await?;
        return Err(AppError::BadRequest("评分已提交，请刷新页面。".into()));
    }
    let action = if submitting {
        "expert.scores_submit"
    } else {
        "expert.scores_save"
    };
    tx.audit(
        Entry::new(action, "expert_assignment", aid)
            .before(json!({"scores": before}))
            .after(
                json!({"evaluation_id": a.evaluation_id, "platform_id": a.platform_id, "scores": scores,
                        "submitted": submitting, "config_version": version}),
            ),
    )
    .await?;
    let notice = if submitting {
        Flash::ExpertScoresSubmitted
    } else {
        Flash::ExpertScoresSaved
    };
    tx.redirect(format!("{}?notice={notice}", href(aid))).await
}
