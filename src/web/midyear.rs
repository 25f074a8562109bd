//! The mid-year review (半年过堂) of a platform's year: the operator's H1 report (draft → submitted,
//! late submissions accepted and marked), completion against the approved year-start targets, the
//! review meeting staff record, and its required actions (checklist items with source
//! `midyear:{year}`).
//!
//! The section belongs to the 年度考核 tab; `templates/annual/_midyear_summary.html` renders a
//! [`MidyearSummary`] (bound as `midyear`) so the shared annual page can include it.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use serde::Deserialize;
use sqlx::PgConnection;

use super::auth::CurrentUser;
use super::checklist::{ConflictPage, Diff};
use super::flash::Flash;
use super::forms::{Form, Path, Query};
use super::layout::{Layout, local_time};
use super::widgets::YearQuery;
use super::write::{self, Entry, WriteTx, Writer};
use crate::clock::today;
use crate::db::{annual_config, checklist, midyear, platforms};
use crate::domain::annual::Step;
use crate::domain::checklist::{ItemDraft, ItemStatus, Source, is_overdue};
use crate::domain::midyear::{
    self as rules, ACTION_FIELDS, ActionDraft, ActionFields, ReportStatus, ReviewFields,
    actual_field, completion_table, display_grouped, display_number, is_money, mean_completion,
    parse_actuals,
};
use crate::domain::reminders::is_late;
use crate::domain::role::Role;
use crate::domain::scoring::Values;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // 半年过堂: the operator's H1 report, the review meeting and its actions.
        get( "/platforms/{id}/midyear",         Roles(PLATFORM_READERS, Platform), page),
        post("/platforms/{id}/midyear/report",  Roles(OPERATOR, Platform),         save_report),
        post("/platforms/{id}/midyear/submit",  Roles(OPERATOR, Platform),         submit_report),
        post("/platforms/{id}/midyear/review",  Roles(STAFF, Platform),            record_review),
        post("/platforms/{id}/midyear/actions", Roles(STAFF, Platform),            add_action),
    ]
}

/// One line of the completion table, ready to show.
pub struct CompletionRow {
    pub key: String,
    pub label: String,
    pub unit: &'static str,
    pub target: String,
    pub actual: String,
    pub ratio: String,
    pub has_target: bool,
    pub behind: bool,
    /// The numbers behind `target` and `actual` (yuan for money), to show them in another unit.
    raw: (Option<f64>, Option<f64>),
}

/// A required action of the review, as the checklist holds it now.
pub struct ActionRow {
    pub id: i64,
    pub title: String,
    pub owner: String,
    pub due_date: String,
    pub status: String,
    pub status_label: &'static str,
    pub overdue: bool,
}

/// The recorded review meeting.
pub struct ReviewView {
    pub meeting_date: String,
    pub attendees: String,
    pub assessment: String,
    pub problems: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// Everything the summary partial shows for one platform and year.
pub struct MidyearSummary {
    pub platform_id: i64,
    /// The unit of the money rows: 元 on the mid-year page (as its form takes them), 万元 on the annual page.
    pub money_unit: &'static str,
    pub year: i32,
    pub deadline: String,
    /// `none`, `draft` or `submitted`.
    pub report_status: &'static str,
    pub report_status_label: &'static str,
    pub submitted_at: String,
    pub submitted_by: String,
    pub late: bool,
    /// The approved filing version the targets come from (0: none approved).
    pub filing_version: i32,
    pub rows: Vec<CompletionRow>,
    pub mean: String,
    pub review: Option<ReviewView>,
    pub actions: Vec<ActionRow>,
}

impl MidyearSummary {
    /// The money rows in 万元 with two decimals (for a page whose other amounts are in 万元).
    pub fn money_in_wan(mut self) -> MidyearSummary {
        self.money_unit = "万元";
        let wan = |v: Option<f64>| {
            v.map_or_else(
                || "—".into(),
                |y| crate::domain::money::wan(y.round() as i64),
            )
        };
        for r in self.rows.iter_mut().filter(|r| r.unit == "元") {
            r.unit = "万元";
            r.target = wan(r.raw.0);
            r.actual = wan(r.raw.1);
        }
        self
    }

    /// Loads the summary of `year` for a platform; `today` marks overdue actions.
    pub async fn load(
        conn: &mut PgConnection,
        platform_id: i64,
        year: i32,
        today: chrono::NaiveDate,
    ) -> AppResult<MidyearSummary> {
        let (config, _) = annual_config::get(conn, year).await?;
        let report = midyear::report(conn, platform_id, year).await?;
        let targets = midyear::approved_targets(conn, platform_id, year).await?;
        let review = midyear::review(conn, platform_id, year).await?;
        let actions =
            checklist::list_from(conn, platform_id, &Source::Midyear(year).code()).await?;
        let actuals = report
            .as_ref()
            .map(|r| r.actuals.0.clone())
            .unwrap_or_default();
        let (filing_version, target_values) = targets.unwrap_or((0, Values::new()));
        let table = completion_table(&config.rubric, &target_values, &actuals);
        let mean = mean_completion(&table);
        let (report_status, report_status_label) = match report.as_ref().map(|r| r.status()) {
            None => ("none", "未填报"),
            Some(s) => (s.as_str(), s.label_zh()),
        };
        Ok(MidyearSummary {
            money_unit: "元",
            platform_id,
            year,
            deadline: config.deadline(year, Step::Midyear).to_string(),
            report_status,
            report_status_label,
            submitted_at: report
                .as_ref()
                .and_then(|r| r.submitted_at)
                .map(|t| local_time(&t))
                .unwrap_or_default(),
            submitted_by: report
                .as_ref()
                .and_then(|r| r.submitted_by_name.clone())
                .unwrap_or_default(),
            late: report.as_ref().is_some_and(|r| r.late),
            filing_version,
            rows: table
                .iter()
                .map(|c| CompletionRow {
                    key: c.key.clone(),
                    label: c.label.clone(),
                    unit: if is_money(&c.key) { "元" } else { "" },
                    target: c.target.map(display_grouped).unwrap_or_else(|| "—".into()),
                    actual: c.actual.map(display_grouped).unwrap_or_else(|| "—".into()),
                    ratio: c.ratio_display(),
                    has_target: c.ratio.is_some(),
                    behind: c.behind(),
                    raw: (c.target, c.actual),
                })
                .collect(),
            mean: mean
                .map(|m| format!("{:.1}%", m * 100.0))
                .unwrap_or_else(|| "—".into()),
            review: review.map(|r| ReviewView {
                meeting_date: r.meeting_date.to_string(),
                attendees: r.attendees,
                assessment: r.assessment,
                problems: r.problems,
                recorded_by: r.recorded_by_name.unwrap_or_default(),
                recorded_at: local_time(&r.recorded_at),
            }),
            actions: actions
                .iter()
                .map(|i| ActionRow {
                    id: i.id,
                    title: i.title.clone(),
                    owner: i.owner.clone(),
                    due_date: i.due_date.map(|d| d.to_string()).unwrap_or_default(),
                    status: i.status.as_str().to_owned(),
                    status_label: i.status.label_zh(),
                    overdue: is_overdue(i.status, i.due_date, today),
                })
                .collect(),
        })
    }
}

/// A report input as the form shows it.
pub struct ReportField {
    pub key: String,
    pub name: String,
    pub label: String,
    pub unit: &'static str,
    pub value: String,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "annual/midyear.html")]
pub struct MidyearPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub platform_name: String,
    pub platform_code: String,
    pub year: i32,
    pub years: Vec<i32>,
    pub midyear: MidyearSummary,
    pub can_report: bool,
    pub can_review: bool,
    pub can_add_action: bool,
    pub report_fields: Vec<ReportField>,
    pub report_version: i32,
    pub prefilled: bool,
    pub review: ReviewFields,
    pub review_errors: FieldErrors,
    pub action: ActionFields,
    pub action_errors: FieldErrors,
    pub error: String,
    pub notice: &'static str,
}

/// One input of an action row of the review form.
pub struct ActionCell {
    pub name: &'static str,
    pub value: String,
    pub error: String,
}

/// One action row of the review form: its number and its title, owner and due-date inputs.
pub struct ActionRowForm {
    pub n: usize,
    pub cells: [ActionCell; 3],
}

impl MidyearPage {
    /// The review form's action rows with what was typed and the errors.
    pub fn action_rows(&self) -> Vec<ActionRowForm> {
        self.review
            .action_rows()
            .iter()
            .zip(ACTION_FIELDS)
            .enumerate()
            .map(|(i, ((t, o, d), (tf, of, df)))| {
                let cell = |name: &'static str, value: &str| ActionCell {
                    name,
                    value: value.to_string(),
                    error: self.review_errors.get(name).to_string(),
                };
                ActionRowForm {
                    n: i + 1,
                    cells: [cell(tf, t), cell(of, o), cell(df, d)],
                }
            })
            .collect()
    }
}

/// What a re-rendered page keeps from the request.
#[derive(Default)]
struct Typed {
    report: Option<(BTreeMap<String, String>, BTreeMap<String, String>)>,
    review: Option<(ReviewFields, FieldErrors)>,
    action: Option<(ActionFields, FieldErrors)>,
    error: String,
    notice: &'static str,
}

async fn build_page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    year: i32,
    typed: Typed,
) -> AppResult<MidyearPage> {
    let mut conn = state.db.acquire().await?;
    let p = platforms::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let today = today();
    let summary = MidyearSummary::load(&mut conn, id, year, today).await?;
    let (config, _) = annual_config::get(&mut conn, year).await?;
    let report = midyear::report(&mut conn, id, year).await?;
    let mut years = midyear::years(&mut conn, id).await?;
    years.extend((today.year() - 3)..=today.year());
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();

    // The values the report form starts from: what was typed, the saved draft, or — for a new
    // report — the platform's recorded indicator values of the year.
    // A new report starts from the ledger-derived values and the recorded indicator values.
    let (typed_values, typed_errors) = typed.report.unwrap_or_default();
    let (saved, prefilled): (Values, bool) = match &report {
        Some(r) => (r.actuals.0.clone(), false),
        None => {
            let values = crate::db::ledger::actuals(&mut conn, id, year).await?;
            let any = !values.is_empty();
            (values, any)
        }
    };
    let has_typed = !typed_values.is_empty();
    let report_fields = config
        .rubric
        .indicators
        .iter()
        .filter(|i| i.kind == crate::domain::scoring::IndicatorKind::Quantitative)
        .map(|i| {
            let name = actual_field(&i.key);
            let value = if has_typed {
                typed_values.get(&name).cloned().unwrap_or_default()
            } else {
                saved
                    .get(&i.key)
                    .map(|v| display_number(*v))
                    .unwrap_or_default()
            };
            ReportField {
                error: typed_errors.get(&i.key).cloned().unwrap_or_default(),
                key: i.key.clone(),
                label: i.label_zh.clone(),
                unit: if is_money(&i.key) { "元" } else { "" },
                name,
                value,
            }
        })
        .collect();
    let submitted = report
        .as_ref()
        .is_some_and(|r| r.status() == ReportStatus::Submitted);
    let staff = user.has_role(Role::Staff);
    let (review, review_errors) = typed.review.unwrap_or_default();
    let (action, action_errors) = typed.action.unwrap_or_default();
    Ok(MidyearPage {
        layout: Layout::for_user(user, "platforms"),
        tab: "annual",
        tab_platform_id: id,
        platform_name: p.name,
        platform_code: p.code,
        year,
        years,
        can_report: user.has_role(Role::Operator) && !submitted && reportable(year),
        can_review: staff && summary.review.is_none(),
        can_add_action: staff && summary.review.is_some(),
        midyear: summary,
        report_fields,
        report_version: report.as_ref().map(|r| r.lock_version).unwrap_or(0),
        prefilled: prefilled && !has_typed,
        review,
        review_errors,
        action,
        action_errors,
        error: typed.error,
        notice: typed.notice,
    })
}

/// A year from a form or query: 2000–2100 and not in the future.
fn check_year(year: Option<i32>) -> AppResult<i32> {
    let this_year = today().year();
    match year {
        Some(y) if (2000..=this_year).contains(&y) => Ok(y),
        Some(_) => Err(AppError::BadRequest(
            "年度无效：只能查看或填报本年度及以前年度。".into(),
        )),
        None => Ok(this_year),
    }
}

/// The mid-year page of a platform's year.
fn href(id: i64, year: i32) -> String {
    format!("/platforms/{id}/midyear?year={year}")
}

/// Where a write sends the browser: the page, with the flash message of what was done.
fn notice_href(id: i64, year: i32, notice: Flash) -> String {
    format!("{}&notice={notice}", href(id, year))
}

/// The operator reports on this year, or (late) on last year; older years are history.
fn reportable(year: i32) -> bool {
    year >= today().year() - 1
}

/// The year of a report form: one the operator may still report on.
fn report_year(form: &BTreeMap<String, String>) -> AppResult<i32> {
    let year = form_year(form.get("year").map(String::as_str))?;
    if reportable(year) {
        Ok(year)
    } else {
        Err(AppError::BadRequest(
            "只能填报本年度或上一年度的半年报告。".into(),
        ))
    }
}

pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<YearQuery>,
) -> AppResult<MidyearPage> {
    let year = check_year(q.year)?;
    let notice = Flash::text_of(&q.notice);
    build_page(
        &state,
        &user,
        id,
        year,
        Typed {
            notice,
            ..Default::default()
        },
    )
    .await
}

/// The year a form names (required), checked like a query's.
fn form_year(year: Option<&str>) -> AppResult<i32> {
    let year = year
        .and_then(|y| y.trim().parse().ok())
        .ok_or_else(|| AppError::BadRequest("缺少年度。".into()))?;
    check_year(Some(year))
}

fn form_version(form: &BTreeMap<String, String>) -> i32 {
    form.get("version")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// The platform and year a mid-year write is about, and who writes: what showing the page again needs.
struct At<'a> {
    state: &'a AppState,
    user: &'a CurrentUser,
    id: i64,
    year: i32,
}

impl<'a> At<'a> {
    fn new(state: &'a AppState, user: &'a CurrentUser, id: i64, year: i32) -> Self {
        At {
            state,
            user,
            id,
            year,
        }
    }

    /// The page again, answered with `status`: what was typed and its errors, or a refusal.
    async fn again(&self, status: StatusCode, typed: Typed) -> AppResult<Response> {
        let page = build_page(self.state, self.user, self.id, self.year, typed).await?;
        Ok((status, page).into_response())
    }

    /// The page again with what was typed and its errors (422).
    async fn invalid(&self, typed: Typed) -> AppResult<Response> {
        self.again(StatusCode::UNPROCESSABLE_ENTITY, typed).await
    }

    /// The page again with why the write was refused.
    async fn refused(&self, status: StatusCode, message: &str) -> AppResult<Response> {
        let typed = Typed {
            error: message.to_owned(),
            ..Default::default()
        };
        self.again(status, typed).await
    }
}

fn values_conflict(
    rubric: &crate::domain::scoring::Rubric,
    mine: &Values,
    theirs: &Values,
) -> Vec<Diff> {
    rubric
        .indicators
        .iter()
        .filter(|i| i.kind == crate::domain::scoring::IndicatorKind::Quantitative)
        .map(|i| {
            let show = |v: &Values| {
                v.get(&i.key)
                    .map(|x| display_number(*x))
                    .unwrap_or_default()
            };
            let (m, t) = (show(mine), show(theirs));
            Diff {
                label: i.label_zh.clone(),
                differs: m != t,
                mine: m,
                theirs: t,
            }
        })
        .collect()
}

/// The operator saves the report's actuals as a draft.
pub async fn save_report(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(form): Form<BTreeMap<String, String>>,
) -> AppResult<Response> {
    let year = report_year(&form)?;
    let at = At::new(&state, &user, id, year);
    let version = form_version(&form);
    let mut conn = state.db.acquire().await?;
    let (config, _) = annual_config::get(&mut conn, year).await?;
    drop(conn);
    let actuals = match parse_actuals(&config.rubric, &form) {
        Ok(v) => v,
        Err(errors) => {
            return at
                .invalid(Typed {
                    report: Some((form, errors)),
                    error: "部分数值有误，请按提示修改。".into(),
                    ..Default::default()
                })
                .await;
        }
    };
    let mut tx = w.begin().await?;
    let before = midyear::report_for_update(&mut tx, id, year).await?;
    if let Err(msg) = rules::check_edit(before.as_ref().map(|r| r.status())) {
        tx.rollback().await?;
        return at.refused(StatusCode::CONFLICT, msg).await;
    }
    if !midyear::save(&mut tx, id, year, version, &actuals, None).await? {
        tx.rollback().await?;
        let theirs = before.map(|r| r.actuals.0).unwrap_or_default();
        return Ok(conflict(&user, id, year, &config.rubric, &actuals, &theirs));
    }
    let after = midyear::report(&mut tx, id, year)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new("midyear.save", "midyear_report", after.id)
            .before(before.map(|r| r.audit_json()))
            .after(after.audit_json()),
    )
    .await?;
    tx.redirect(notice_href(id, year, Flash::MidyearSaved))
        .await
}

fn conflict(
    user: &CurrentUser,
    id: i64,
    year: i32,
    rubric: &crate::domain::scoring::Rubric,
    mine: &Values,
    theirs: &Values,
) -> Response {
    let page = ConflictPage {
        layout: Layout::for_user(user, "platforms"),
        heading: format!("保存冲突：{year} 年度半年报告"),
        what: "该半年报告".into(),
        rows: values_conflict(rubric, mine, theirs),
        back_href: href(id, year),
        back_label: "打开最新内容重新填写",
    };
    (StatusCode::CONFLICT, page).into_response()
}

/// The operator submits the saved draft. Late is allowed and recorded; a second submission is not.
pub async fn submit_report(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(form): Form<BTreeMap<String, String>>,
) -> AppResult<Response> {
    let year = report_year(&form)?;
    let at = At::new(&state, &user, id, year);
    let version = form_version(&form);
    let today = today();
    let mut tx = w.begin().await?;
    let (config, _) = annual_config::get(&mut tx, year).await?;
    let Some(before) = midyear::report_for_update(&mut tx, id, year).await? else {
        tx.rollback().await?;
        return at
            .refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "请先填写并保存半年报告，再提交。",
            )
            .await;
    };
    if let Err(msg) = rules::check_edit(Some(before.status())) {
        tx.rollback().await?;
        return at.refused(StatusCode::CONFLICT, msg).await;
    }
    if before.lock_version != version {
        tx.rollback().await?;
        return at
            .refused(
                StatusCode::CONFLICT,
                "提交前报告已被修改（可能在另一窗口中保存过）。请核对下方最新内容后再提交。",
            )
            .await;
    }
    let actuals = before.actuals.0.clone();
    // Every indicator with an approved target needs its actual; and at least one value overall.
    let targets = midyear::approved_targets(&mut tx, id, year)
        .await?
        .map(|(_, t)| t)
        .unwrap_or_default();
    let missing: Vec<String> = config
        .rubric
        .indicators
        .iter()
        .filter(|i| targets.get(&i.key).is_some_and(|t| *t > 0.0) && !actuals.contains_key(&i.key))
        .map(|i| i.label_zh.clone())
        .collect();
    if actuals.is_empty() || !missing.is_empty() {
        tx.rollback().await?;
        let message = if missing.is_empty() {
            "请至少填写一项上半年实绩并保存后再提交。".to_owned()
        } else {
            format!(
                "以下指标在年初备案中有目标值，请填写上半年实绩并保存后再提交：{}",
                missing.join("、")
            )
        };
        return at.refused(StatusCode::UNPROCESSABLE_ENTITY, &message).await;
    }
    let deadline = config.deadline(year, Step::Midyear);
    let late = is_late(today, deadline);
    if !midyear::save(&mut tx, id, year, version, &actuals, Some((user.id, late))).await? {
        tx.rollback().await?;
        return at
            .refused(StatusCode::CONFLICT, "提交前报告已被修改，请核对后再提交。")
            .await;
    }
    let after = midyear::report(&mut tx, id, year)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new("midyear.submit", "midyear_report", after.id)
            .before(before.audit_json())
            .after(after.audit_json()),
    )
    .await?;
    let summary = if late {
        format!("提交 {year} 年度半年报告（逾期提交，截止日期 {deadline}）")
    } else {
        format!("提交 {year} 年度半年报告")
    };
    tx.timeline(id, "midyear.submitted", &summary, "").await?;
    let notice = if late {
        Flash::MidyearSubmittedLate
    } else {
        Flash::MidyearSubmitted
    };
    tx.redirect(notice_href(id, year, notice)).await
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    year: String,
    #[serde(flatten)]
    fields: ReviewFields,
}

/// Inserts the actions of the review as checklist items; returns their ids.
async fn insert_actions(
    tx: &mut WriteTx,
    user: &CurrentUser,
    id: i64,
    year: i32,
    actions: &[ActionDraft],
) -> AppResult<Vec<i64>> {
    let mut ids = Vec::new();
    for a in actions {
        let draft = ItemDraft {
            title: a.title.clone(),
            description: format!("{year} 年度半年过堂提出的整改要求"),
            owner: a.owner.clone(),
            due_date: Some(a.due_date),
            status: ItemStatus::Open,
            evidence: String::new(),
        };
        let item_id =
            checklist::insert(tx, id, &Source::Midyear(year), &draft, Some(user.id)).await?;
        let item = checklist::get(tx, id, item_id)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.audit(
            Entry::new("checklist.create", "checklist_item", item_id).after(item.audit_json()),
        )
        .await?;
        ids.push(item_id);
    }
    Ok(ids)
}

/// Staff record the review meeting; each required action becomes a checklist item.
pub async fn record_review(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(form): Form<ReviewForm>,
) -> AppResult<Response> {
    let year = form_year(Some(&form.year))?;
    let at = At::new(&state, &user, id, year);
    let draft = match form.fields.validate(year, today()) {
        Ok(d) => d,
        Err(errors) => {
            let typed = Typed {
                review: Some((form.fields, errors)),
                ..Default::default()
            };
            return at.invalid(typed).await;
        }
    };
    let mut tx = w.begin().await?;
    let review_id = match midyear::insert_review(&mut tx, id, year, &draft, user.id).await {
        Ok(rid) => rid,
        Err(e) if write::field_error(&e).is_some_and(|(field, _)| field == "year") => {
            tx.rollback().await?;
            let message =
                "本年度的半年过堂会议已经记录过。如需补充整改要求，请使用下方“补充整改要求”。";
            return at.refused(StatusCode::CONFLICT, message).await;
        }
        Err(e) => return Err(e.into()),
    };
    let item_ids = insert_actions(&mut tx, &user, id, year, &draft.actions).await?;
    tx.audit(
        Entry::new("midyear.review", "midyear_review", review_id).after(serde_json::json!({
            "platform_id": id, "year": year, "meeting_date": draft.meeting_date,
            "attendees": draft.attendees, "assessment": draft.assessment, "problems": draft.problems,
            "checklist_items": item_ids,
        })),
    )
    .await?;
    let summary = format!(
        "召开 {year} 年度半年过堂会议（{}），提出 {} 项整改要求",
        draft.meeting_date,
        item_ids.len()
    );
    tx.timeline(id, "midyear.reviewed", &summary, &draft.problems)
        .await?;
    crate::db::notices::event(
        &mut tx,
        crate::db::notices::To::Platform(id),
        "event.midyear_reviewed",
        &format!("{summary}。请查看过堂意见并落实整改要求。"),
        &href(id, year),
    )
    .await?;
    tx.redirect(notice_href(id, year, Flash::MidyearReviewed))
        .await
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    year: String,
    #[serde(flatten)]
    fields: ActionFields,
}

/// Staff add one more required action after the review.
pub async fn add_action(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> AppResult<Response> {
    let year = form_year(Some(&form.year))?;
    let at = At::new(&state, &user, id, year);
    let draft = match form.fields.validate() {
        Ok(d) => d,
        Err(errors) => {
            let typed = Typed {
                action: Some((form.fields, errors)),
                ..Default::default()
            };
            return at.invalid(typed).await;
        }
    };
    let mut tx = w.begin().await?;
    if midyear::review(&mut tx, id, year).await?.is_none() {
        tx.rollback().await?;
        return at
            .refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "请先记录本年度的半年过堂会议。",
            )
            .await;
    }
    insert_actions(&mut tx, &user, id, year, std::slice::from_ref(&draft)).await?;
    let summary = format!("补充 {year} 年度半年过堂整改要求：{}", draft.title);
    tx.timeline(id, "checklist.created", &summary, "").await?;
    tx.redirect(notice_href(id, year, Flash::MidyearActionAdded))
        .await
}
