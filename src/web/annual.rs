//! The 年度考核 tab of a platform (`GET /platforms/{id}/annual?year=Y`) and the year-start filing
//! (年初备案) in it.
//!
//! The tab is shared by the three steps of the annual cycle. [`AnnualPage`] renders
//! `templates/annual/platform.html`, which includes one partial per step:
//!
//! | step | partial | page field | filled by |
//! |---|---|---|---|
//! | 年初备案 | `annual/_filing.html` | `filing: Option<FilingSection>` | [`filing_section`] (this module) |
//! | 半年过堂 | `annual/_midyear.html` | `midyear: Option<MidyearSection>` | [`midyear_section`] |
//! | 年底评估 | `annual/_yearend.html` | `yearend: Option<YearendSection>` | [`yearend_section`] |
//!
//! The mid-year and year-end modules own their summary types and partials (`MidyearSummary`,
//! `YearendSummary`); this page includes them. Their own forms post to their own routes and
//! re-render their own pages.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use sqlx::PgConnection;

use super::auth::CurrentUser;
use super::flash::Flash;
use super::forms::valid_year;
use super::forms::{Form, Path, Query};
use super::layout::{Layout, local_time};
use super::write::{Entry, Writer};
use crate::db::filings::{self, FilingRow};
use crate::db::{annual_config, lifecycle, platforms, unique_violation};
use crate::domain::annual::Step;
use crate::domain::fields::{FieldMessages, RawForm};
use crate::domain::filing::{
    self, BUDGET_FIELD, Decision, FilingStatus, REASON_FIELD, SaveTarget, Timeliness,
    comment_field, plan_field, target_field, target_indicators,
};
use crate::domain::ledger::{Channel, Unit, indicator_display, unit_of};
use crate::domain::money::wan;
use crate::domain::role::Role;
use crate::domain::scoring::Rubric;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

use crate::clock::today;
use crate::domain::calendar::beijing_date;

/// The current year in Asia/Shanghai.
pub fn current_year() -> i32 {
    today().year()
}

/// A year of the year selector.
pub struct YearLink {
    pub year: i32,
    pub selected: bool,
}

/// The year selector: each year once, in order, with the selected one marked.
pub fn year_links(mut years: Vec<i32>, selected: i32) -> Vec<YearLink> {
    years.sort_unstable();
    years.dedup();
    years
        .into_iter()
        .filter(|y| crate::domain::calendar::YEARS.contains(y))
        .map(|year| YearLink {
            year,
            selected: year == selected,
        })
        .collect()
}

/// What every platform sub-page shows at the top.
pub struct PlatformHead {
    pub id: i64,
    pub name: String,
    pub code: String,
    pub stage: crate::domain::platform::Stage,
    pub stage_label: &'static str,
}

impl PlatformHead {
    pub async fn load(conn: &mut PgConnection, id: i64) -> AppResult<PlatformHead> {
        let p = platforms::get(conn, id).await?.ok_or(AppError::NotFound)?;
        Ok(PlatformHead {
            id,
            stage_label: p.stage_label(),
            stage: p.stage,
            name: p.name,
            code: p.code,
        })
    }
}

// ---- the shared page ------------------------------------------------------------------

/// The 半年过堂 section: the mid-year module's summary.
pub type MidyearSection = crate::web::midyear::MidyearSummary;
/// The 年底评估 section: the year-end module's summary.
pub type YearendSection = crate::web::evaluation::YearendSummary;

async fn midyear_section(
    state: &AppState,
    _user: &CurrentUser,
    platform_id: i64,
    year: i32,
) -> AppResult<Option<MidyearSection>> {
    let mut conn = state.db.acquire().await?;
    Ok(Some(
        MidyearSection::load(&mut conn, platform_id, year, today())
            .await?
            // The filing and the year-end result beside it are in 万元.
            .money_in_wan(),
    ))
}

async fn yearend_section(
    state: &AppState,
    _user: &CurrentUser,
    platform_id: i64,
    year: i32,
) -> AppResult<Option<YearendSection>> {
    let mut conn = state.db.acquire().await?;
    Ok(Some(
        crate::web::evaluation::yearend_summary(&mut conn, platform_id, year).await?,
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "annual/platform.html")]
pub struct AnnualPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub head: PlatformHead,
    pub year: i32,
    pub years: Vec<YearLink>,
    pub notice: String,
    /// 年初备案.
    pub filing: Option<FilingSection>,
    /// 半年过堂.
    pub midyear: Option<MidyearSection>,
    /// 年底评估.
    pub yearend: Option<YearendSection>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnnualQuery {
    year: Option<i32>,
    notice: String,
}

pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<AnnualQuery>,
) -> AppResult<AnnualPage> {
    let year = valid_year(q.year.unwrap_or_else(current_year))?;
    let mut conn = state.db.acquire().await?;
    let head = PlatformHead::load(&mut conn, id).await?;
    let filed_years: Vec<i32> =
        sqlx::query_scalar("SELECT DISTINCT year FROM filings WHERE platform_id = $1")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    let filing = filing_section(&mut conn, &user, id, year).await?;
    drop(conn);
    let this_year = current_year();
    let mut years = filed_years;
    years.extend((this_year - 3)..=(this_year + 1));
    years.push(year);
    Ok(AnnualPage {
        layout: Layout::for_user(&user, "platforms"),
        tab: "annual",
        tab_platform_id: id,
        head,
        year,
        years: year_links(years, year),
        notice: Flash::text_of(&q.notice).into(),
        filing: Some(filing),
        midyear: midyear_section(&state, &user, id, year).await?,
        yearend: yearend_section(&state, &user, id, year).await?,
    })
}

// ---- the filing section ---------------------------------------------------------------

/// One field of a filing version as shown (with the reviewer's comment on it, if any).
pub struct FieldLine {
    pub group: &'static str,
    pub label: String,
    pub value: String,
    pub comment: String,
    /// The review form's comment input for this field.
    pub comment_name: String,
    pub comment_typed: String,
}

/// One filing version as shown.
pub struct FilingView {
    pub id: i64,
    pub version: i32,
    pub status: &'static str,
    pub status_code: &'static str,
    pub lines: Vec<FieldLine>,
    pub planned_self_generated: String,
    pub change_reason: String,
    pub submitted: String,
    pub late: bool,
    pub reviewed: String,
    pub review_comment: String,
    pub lock_version: i32,
}

/// The version the year's deadline is judged on: the first one submitted (EVAL-FILING, as the
/// section's 按期/逾期 line says). Only that version can be flagged 逾期提交: a later version (a
/// fix after a return, a change) submitted after the deadline does not make the filing late.
fn first_submitted_id(rows: &[FilingRow]) -> Option<i64> {
    rows.iter()
        .filter_map(|r| r.submitted_at.map(|at| (at, r.id)))
        .min()
        .map(|(_, id)| id)
}

/// Whether `row` is the year's first submission and came after the deadline.
fn version_late(row: &FilingRow, first_submitted: Option<i64>, deadline: NaiveDate) -> bool {
    first_submitted == Some(row.id)
        && row
            .submitted_at
            .as_ref()
            .is_some_and(|t| filing::submitted_late(beijing_date(t), deadline))
}

fn filing_view(
    rubric: &Rubric,
    row: &FilingRow,
    deadline: NaiveDate,
    first_submitted: Option<i64>,
    typed: Option<&RawForm>,
) -> FilingView {
    let content = row.content();
    let comments = &row.field_comments.0;
    let line = |group: &'static str, field: String, label: String, value: String| {
        let comment_name = comment_field(&field);
        FieldLine {
            group,
            label,
            value,
            comment: comments.get(&field).cloned().unwrap_or_default(),
            comment_typed: typed
                .map(|f| f.get(&comment_name).to_owned())
                .unwrap_or_default(),
            comment_name,
        }
    };
    let mut lines = Vec::new();
    // Money lines carry their unit once, in the label ("研发投入（万元）"), never after the number.
    let shown = |key: &str, t: f64| match unit_of(key) {
        Unit::Yuan => wan(t.round() as i64),
        unit => indicator_display(unit, t),
    };
    let labelled = |key: &str, label: String| match unit_of(key) {
        Unit::Yuan => format!("{label}（万元）"),
        _ => label,
    };
    for ind in target_indicators(rubric) {
        let value = content
            .targets
            .get(&ind.key)
            .map(|t| shown(&ind.key, *t))
            .unwrap_or_else(|| "未填".into());
        lines.push(line(
            ind.dimension.label_zh(),
            target_field(&ind.key),
            labelled(&ind.key, ind.label_zh.clone()),
            value,
        ));
    }
    // Targets of indicators the year's rubric no longer has.
    for (key, t) in &content.targets {
        if rubric.indicator(key).is_none() {
            lines.push(line(
                "其他",
                target_field(key),
                labelled(key, key.clone()),
                shown(key, *t),
            ));
        }
    }
    for &c in Channel::ALL {
        lines.push(line(
            "收入计划",
            plan_field(c),
            format!("{}（万元）", c.label_zh()),
            wan(content.revenue_plan.get(&c).copied().unwrap_or(0)),
        ));
    }
    lines.push(line(
        "支出预算",
        BUDGET_FIELD.to_owned(),
        "年度支出预算（万元）".into(),
        wan(content.expenditure_budget),
    ));
    let status = row.status();
    FilingView {
        id: row.id,
        version: row.version,
        status: status.label_zh(),
        status_code: status.as_str(),
        lines,
        planned_self_generated: wan(content.planned_self_generated()),
        change_reason: row.change_reason.clone(),
        submitted: match (&row.submitted_at, &row.submitted_by_name) {
            (Some(at), by) => format!(
                "{} 于 {} 提交",
                by.as_deref().unwrap_or("—"),
                local_time(at)
            ),
            (None, _) => String::new(),
        },
        late: version_late(row, first_submitted, deadline),
        reviewed: match (&row.reviewed_at, &row.reviewed_by_name) {
            (Some(at), by) => format!(
                "{} 于 {} 审核",
                by.as_deref().unwrap_or("—"),
                local_time(at)
            ),
            (None, _) => String::new(),
        },
        review_comment: row.review_comment.clone(),
        lock_version: row.lock_version,
    }
}

/// One line of the version list.
pub struct VersionLine {
    pub id: i64,
    pub version: i32,
    pub status: &'static str,
    pub status_code: &'static str,
    pub submitted: String,
    pub late: bool,
    pub reviewed: String,
    pub change_reason: String,
}

pub struct InForce {
    pub id: i64,
    pub version: i32,
}

/// The 年初备案 section of the annual page.
pub struct FilingSection {
    pub deadline: String,
    pub timeliness: String,
    pub flagged: bool,
    /// The version to look at now: the one in progress, else the newest.
    pub shown: Option<FilingView>,
    /// The approved version in force, when `shown` is another (a change in progress): its id and number.
    pub in_force: Option<InForce>,
    pub versions: Vec<VersionLine>,
    /// Operator: the form can be opened; with this label.
    pub can_file: bool,
    pub file_label: &'static str,
    /// Operator: an approved filing can be changed (变更备案).
    pub can_change: bool,
    /// Staff: the version awaiting review.
    pub review_id: Option<i64>,
    pub is_operator: bool,
}

pub async fn filing_section(
    conn: &mut PgConnection,
    user: &CurrentUser,
    platform_id: i64,
    year: i32,
) -> AppResult<FilingSection> {
    let (config, _) = annual_config::get(conn, year).await?;
    let rows = filings::list_year(conn, platform_id, year).await?;
    let versions = filings::versions(&rows);
    let deadline = config.deadline(year, Step::Filing);
    let first_submitted = rows
        .iter()
        .filter_map(|r| r.submitted_at.as_ref())
        .map(beijing_date)
        .min();
    let timeliness = Timeliness::of(deadline, first_submitted, today());
    let first_id = first_submitted_id(&rows);
    let shown_row = versions
        .open()
        .or(versions.latest())
        .and_then(|v| rows.iter().find(|r| r.id == v.id));
    let in_force = versions
        .approved()
        .filter(|a| shown_row.is_some_and(|s| s.id != a.id))
        .map(|a| InForce {
            id: a.id,
            version: a.version,
        });
    let is_operator = user.has_role(Role::Operator);
    let edit = filing::can_edit(&versions, false);
    let file_label = match (versions.open(), versions.latest()) {
        (Some(_), _) => "继续填报（草稿）",
        (None, Some(l)) if l.status == FilingStatus::Returned => "按意见修改后重新提交",
        _ => "填报年初备案",
    };
    Ok(FilingSection {
        deadline: deadline.to_string(),
        timeliness: timeliness.to_string(),
        flagged: timeliness.is_flagged(),
        shown: shown_row.map(|r| filing_view(&config.rubric, r, deadline, first_id, None)),
        in_force,
        versions: rows
            .iter()
            .rev()
            .map(|r| {
                let status = r.status();
                VersionLine {
                    id: r.id,
                    version: r.version,
                    status: status.label_zh(),
                    status_code: status.as_str(),
                    submitted: r.submitted_at.as_ref().map(local_time).unwrap_or_default(),
                    late: version_late(r, first_id, deadline),
                    reviewed: match (&r.reviewed_at, &r.reviewed_by_name) {
                        (Some(at), by) => {
                            format!("{} {}", by.as_deref().unwrap_or(""), local_time(at))
                        }
                        _ => String::new(),
                    },
                    change_reason: r.change_reason.clone(),
                }
            })
            .collect(),
        can_file: is_operator && edit.is_ok(),
        file_label,
        can_change: is_operator && versions.approved().is_some() && versions.open().is_none(),
        review_id: versions
            .open()
            .filter(|o| o.status == FilingStatus::Submitted && user.has_role(Role::Staff))
            .map(|o| o.id),
        is_operator,
    })
}

// ---- refusals and conflicts -------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "annual/refused.html")]
pub struct RefusedPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub head: PlatformHead,
    pub year: i32,
    pub title: &'static str,
    pub message: String,
    /// Mine against what is saved, when somebody saved first.
    pub rows: Vec<ConflictRow>,
}

pub struct ConflictRow {
    pub label: String,
    pub mine: String,
    pub theirs: String,
    pub differs: bool,
}

async fn refused(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    year: i32,
    title: &'static str,
    message: String,
    rows: Vec<ConflictRow>,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let head = PlatformHead::load(&mut conn, id).await?;
    let page = RefusedPage {
        layout: Layout::for_user(user, "platforms"),
        tab: "annual",
        tab_platform_id: id,
        head,
        year,
        title,
        message,
        rows,
    };
    Ok((StatusCode::CONFLICT, page).into_response())
}

/// The filing fields as typed against a saved version.
fn conflict_rows(rubric: &Rubric, mine: &RawForm, saved: &FilingRow) -> Vec<ConflictRow> {
    let theirs = filing::to_form(rubric, &saved.content(), &saved.change_reason);
    let mut labels: BTreeMap<String, String> = target_indicators(rubric)
        .map(|i| (target_field(&i.key), i.label_zh.clone()))
        .collect();
    for &c in Channel::ALL {
        labels.insert(plan_field(c), format!("收入计划·{}（万元）", c.label_zh()));
    }
    labels.insert(BUDGET_FIELD.into(), "支出预算（万元）".into());
    labels.insert(REASON_FIELD.into(), "变更原因".into());
    let mut fields = filing::commentable_fields(rubric);
    fields.push(REASON_FIELD.into());
    fields
        .into_iter()
        .map(|field| {
            let m = mine.get(&field).to_owned();
            let t = theirs.get(&field).to_owned();
            ConflictRow {
                label: labels.get(&field).cloned().unwrap_or_else(|| field.clone()),
                differs: m != t,
                mine: m,
                theirs: t,
            }
        })
        .collect()
}

// ---- the operator's form ----------------------------------------------------------------

pub struct Input {
    pub name: String,
    pub label: String,
    pub hint: &'static str,
    pub value: String,
    pub error: String,
    /// The reviewer's comment on this field when the previous version was returned.
    pub comment: String,
}

pub struct InputGroup {
    pub label: &'static str,
    pub inputs: Vec<Input>,
}

#[derive(Template, WebTemplate)]
#[template(path = "annual/filing_form.html")]
pub struct FilingFormPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub head: PlatformHead,
    pub year: i32,
    pub deadline: String,
    pub late_warning: String,
    pub lock_version: i32,
    pub change: bool,
    pub needs_reason: bool,
    pub version: i32,
    /// Targets, by dimension.
    pub groups: Vec<InputGroup>,
    /// The revenue plan by channel, then the expenditure budget.
    pub money: Vec<InputGroup>,
    pub reason: Input,
    pub error_count: usize,
    /// The general comment of the returned version this one fixes.
    pub returned_comment: String,
}

struct FormState<'a> {
    rubric: &'a Rubric,
    values: RawForm,
    errors: FieldMessages,
    comments: BTreeMap<String, String>,
}

impl FormState<'_> {
    fn input(&self, name: String, label: String, hint: &'static str) -> Input {
        Input {
            value: self.values.get(&name).to_owned(),
            error: self.errors.get(&name).to_owned(),
            comment: self.comments.get(&name).cloned().unwrap_or_default(),
            name,
            label,
            hint,
        }
    }

    fn groups(&self) -> Vec<InputGroup> {
        let mut groups: Vec<InputGroup> = Vec::new();
        for ind in target_indicators(self.rubric) {
            let input = self.input(
                target_field(&ind.key),
                ind.label_zh.clone(),
                unit_of(&ind.key).label_zh(),
            );
            let label = ind.dimension.label_zh();
            match groups.iter_mut().find(|g| g.label == label) {
                Some(g) => g.inputs.push(input),
                None => groups.push(InputGroup {
                    label,
                    inputs: vec![input],
                }),
            }
        }
        groups
    }
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    conn: &mut PgConnection,
    user: &CurrentUser,
    id: i64,
    year: i32,
    rubric: &Rubric,
    deadline: NaiveDate,
    change: bool,
    needs_reason: bool,
    target: SaveTarget,
    values: RawForm,
    errors: FieldMessages,
    returned: Option<&FilingRow>,
) -> AppResult<FilingFormPage> {
    let head = PlatformHead::load(conn, id).await?;
    let state = FormState {
        rubric,
        values,
        errors,
        comments: returned
            .map(|r| r.field_comments.0.clone())
            .unwrap_or_default(),
    };
    let (lock_version, version) = match target {
        SaveTarget::UpdateDraft { lock_version, .. } => (lock_version, 0),
        SaveTarget::NewVersion { version } => (0, version),
    };
    let today = today();
    Ok(FilingFormPage {
        layout: Layout::for_user(user, "platforms"),
        tab: "annual",
        tab_platform_id: id,
        head,
        year,
        deadline: deadline.to_string(),
        late_warning: if today > deadline {
            format!(
                "已过截止日 {deadline}（逾期 {} 天），现在提交仍会受理，但将标记为逾期提交。",
                (today - deadline).num_days()
            )
        } else {
            String::new()
        },
        lock_version,
        change,
        needs_reason,
        version,
        groups: state.groups(),
        money: vec![
            InputGroup {
                label: "分渠道收入计划",
                inputs: Channel::ALL
                    .iter()
                    .map(|c| state.input(plan_field(*c), c.label_zh().to_owned(), ""))
                    .collect(),
            },
            InputGroup {
                label: "支出预算",
                inputs: vec![state.input(BUDGET_FIELD.into(), "年度支出预算".into(), "")],
            },
        ],
        reason: state.input(REASON_FIELD.into(), "变更原因".into(), ""),
        error_count: state.errors.len(),
        returned_comment: returned
            .map(|r| r.review_comment.clone())
            .unwrap_or_default(),
    })
}

/// The returned version a new or draft version `version` follows, if the one right before it was returned.
fn returned_before(rows: &[FilingRow], version: i32) -> Option<&FilingRow> {
    rows.iter()
        .find(|r| r.version == version - 1 && r.status() == FilingStatus::Returned)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FormQuery {
    year: Option<i32>,
    change: String,
}

pub async fn filing_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<FormQuery>,
) -> AppResult<Response> {
    let year = valid_year(q.year.unwrap_or_else(current_year))?;
    let change = q.change == "1";
    let mut conn = state.db.acquire().await?;
    let (config, _) = annual_config::get(&mut conn, year).await?;
    let rows = filings::list_year(&mut conn, id, year).await?;
    let versions = filings::versions(&rows);
    let plan = match filing::can_edit(&versions, change) {
        Ok(plan) => plan,
        Err(refusal) => {
            drop(conn);
            return refused(
                &state,
                &user,
                id,
                year,
                "不能修改",
                refusal.to_string(),
                Vec::new(),
            )
            .await;
        }
    };
    let rubric = &config.rubric;
    let (values, number) = match plan.target {
        SaveTarget::UpdateDraft { id: draft_id, .. } => {
            let draft = rows
                .iter()
                .find(|r| r.id == draft_id)
                .ok_or(AppError::NotFound)?;
            (
                filing::to_form(rubric, &draft.content(), &draft.change_reason),
                draft.version,
            )
        }
        SaveTarget::NewVersion { version } => {
            // A fix starts from the returned version, a change from the approved one.
            let base = returned_before(&rows, version).or_else(|| {
                versions
                    .approved()
                    .and_then(|a| rows.iter().find(|r| r.id == a.id))
            });
            (
                base.map(|b| filing::to_form(rubric, &b.content(), ""))
                    .unwrap_or_default(),
                version,
            )
        }
    };
    let page = form_page(
        &mut conn,
        &user,
        id,
        year,
        rubric,
        config.deadline(year, Step::Filing),
        plan.is_change,
        plan.is_change,
        plan.target,
        values,
        FieldMessages::default(),
        returned_before(&rows, number),
    )
    .await?;
    Ok(page.into_response())
}

fn filing_label(year: i32, version: i32, change: bool) -> String {
    if change {
        format!("{year}年度年初备案变更（第 {version} 版）")
    } else {
        format!("{year}年度年初备案（第 {version} 版）")
    }
}

pub async fn save_filing(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(f): Form<RawForm>,
) -> AppResult<Response> {
    let year: i32 = f
        .get("year")
        .parse()
        .ok()
        .filter(|y| crate::domain::calendar::YEARS.contains(y))
        .ok_or_else(|| AppError::BadRequest("缺少有效的年度，请返回年度考核页面重试。".into()))?;
    let submitting = f.get("action") == "submit";
    let change = f.get("change") == "1";
    let typed_lock: i32 = f.get("lock_version").parse().unwrap_or(-1);

    let mut tx = w.begin().await?;
    let (config, _) = annual_config::get(&mut tx, year).await?;
    let rubric = &config.rubric;
    let deadline = config.deadline(year, Step::Filing);
    // Serialise writers of this platform's filings for the year.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('filing'), hashtext($1))")
        .bind(format!("{id}:{year}"))
        .execute(&mut *tx)
        .await?;
    let rows = filings::list_year(&mut tx, id, year).await?;
    let versions = filings::versions(&rows);
    let plan = match filing::plan_save(&versions, submitting, change) {
        Ok(plan) => plan,
        Err(refusal) => {
            tx.rollback().await?;
            let title = if submitting {
                "不能提交"
            } else {
                "不能修改"
            };
            return refused(
                &state,
                &user,
                id,
                year,
                title,
                refusal.to_string(),
                Vec::new(),
            )
            .await;
        }
    };
    let stale = match plan.target {
        SaveTarget::UpdateDraft { lock_version, .. } => typed_lock != lock_version,
        SaveTarget::NewVersion { .. } => typed_lock != 0,
    };
    if stale {
        tx.rollback().await?;
        let saved = versions
            .open()
            .or(versions.latest())
            .and_then(|v| rows.iter().find(|r| r.id == v.id));
        let table = saved
            .map(|s| conflict_rows(rubric, &f, s))
            .unwrap_or_default();
        return refused(
            &state,
            &user,
            id,
            year,
            "保存冲突",
            "在您填报期间，本年度备案已被他人保存或提交。为避免覆盖，您的内容没有保存。请对照下表，重新打开填报页面后再修改。".into(),
            table,
        )
        .await;
    }
    let parsed = match filing::parse(rubric, &f, submitting, plan.is_change) {
        Ok(p) => p,
        Err(errors) => {
            let number = match plan.target {
                SaveTarget::UpdateDraft { id: draft, .. } => {
                    rows.iter().find(|r| r.id == draft).map_or(0, |r| r.version)
                }
                SaveTarget::NewVersion { version } => version,
            };
            let returned = returned_before(&rows, number).cloned();
            let page = form_page(
                &mut tx,
                &user,
                id,
                year,
                rubric,
                deadline,
                plan.is_change,
                plan.is_change,
                plan.target,
                f,
                errors,
                returned.as_ref(),
            )
            .await?;
            tx.rollback().await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let submitted_by = submitting.then_some(user.id);
    let (fid, before) = match plan.target {
        SaveTarget::UpdateDraft {
            id: draft,
            lock_version,
        } => {
            let before = rows
                .iter()
                .find(|r| r.id == draft)
                .map(FilingRow::audit_json);
            let saved = filings::update_draft(
                &mut tx,
                id,
                draft,
                lock_version,
                &parsed.content,
                &parsed.change_reason,
                submitted_by,
            )
            .await?;
            if !saved {
                tx.rollback().await?;
                return refused(
                    &state,
                    &user,
                    id,
                    year,
                    "保存冲突",
                    "在您填报期间，本年度备案已被他人保存或提交，您的内容没有保存。请重新打开填报页面。".into(),
                    Vec::new(),
                )
                .await;
            }
            (draft, before)
        }
        SaveTarget::NewVersion { version } => {
            match filings::insert(
                &mut tx,
                id,
                year,
                version,
                &parsed.content,
                &parsed.change_reason,
                submitted_by,
            )
            .await
            {
                Ok(fid) => (fid, None),
                Err(e) if unique_violation(&e).is_some() => {
                    tx.rollback().await?;
                    return refused(
                        &state,
                        &user,
                        id,
                        year,
                        "保存冲突",
                        "在您填报期间，本年度备案已被他人保存，您的内容没有保存。请重新打开填报页面。".into(),
                        Vec::new(),
                    )
                    .await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let after = filings::get(&mut tx, id, fid)
        .await?
        .ok_or(AppError::NotFound)?;
    let action = if submitting {
        "filing.submit"
    } else {
        "filing.save"
    };
    tx.audit(
        Entry::new(action, "filing", fid)
            .before(before)
            .after(after.audit_json()),
    )
    .await?;
    if submitting {
        let late = today() > deadline;
        let summary = format!(
            "提交{}{}",
            filing_label(year, after.version, plan.is_change),
            if late { "（逾期提交）" } else { "" }
        );
        lifecycle::record(
            &mut tx,
            &user.actor(),
            &lifecycle::Event {
                platform_id: id,
                kind: "filing.submitted",
                from_stage: None,
                to_stage: None,
                summary: &summary,
                reason: &parsed.change_reason,
                document_id: None,
            },
        )
        .await?;
    }
    let notice = if submitting {
        Flash::FilingSubmitted
    } else {
        Flash::FilingSaved
    };
    tx.redirect(format!(
        "/platforms/{id}/annual?year={year}&notice={notice}"
    ))
    .await
}

// ---- one version, and its review ----------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "annual/filing_version.html")]
pub struct FilingVersionPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub head: PlatformHead,
    pub year: i32,
    pub deadline: String,
    pub view: FilingView,
    pub can_review: bool,
    pub errors: FieldMessages,
    pub decision: String,
    pub comment: String,
    /// The print view (`?print=1`): the version as an A4 document to sign, without the review form.
    pub print: bool,
}

async fn version_page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    fid: i64,
    typed: Option<RawForm>,
    errors: FieldMessages,
) -> AppResult<FilingVersionPage> {
    let mut conn = state.db.acquire().await?;
    let row = filings::get(&mut conn, id, fid)
        .await?
        .ok_or(AppError::NotFound)?;
    let head = PlatformHead::load(&mut conn, id).await?;
    let (config, _) = annual_config::get(&mut conn, row.year).await?;
    let deadline = config.deadline(row.year, Step::Filing);
    let rows = filings::list_year(&mut conn, id, row.year).await?;
    let view = filing_view(
        &config.rubric,
        &row,
        deadline,
        first_submitted_id(&rows),
        typed.as_ref(),
    );
    Ok(FilingVersionPage {
        layout: Layout::for_user(user, "platforms"),
        tab: "annual",
        tab_platform_id: id,
        head,
        year: row.year,
        deadline: deadline.to_string(),
        can_review: user.has_role(Role::Staff) && row.status() == FilingStatus::Submitted,
        decision: typed
            .as_ref()
            .map(|f| f.get("decision").to_owned())
            .unwrap_or_default(),
        comment: typed
            .as_ref()
            .map(|f| f.get("comment").to_owned())
            .unwrap_or_default(),
        errors,
        view,
        print: false,
    })
}

pub async fn filing_version(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, fid)): Path<(i64, i64)>,
    Query(pq): Query<super::print::PrintQuery>,
) -> AppResult<FilingVersionPage> {
    let mut page = version_page(&state, &user, id, fid, None, FieldMessages::default()).await?;
    if pq.on() {
        page.print = true;
        page.can_review = false;
    }
    Ok(page)
}

pub async fn review_filing(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, fid)): Path<(i64, i64)>,
    Form(f): Form<RawForm>,
) -> AppResult<Response> {
    let mut tx = w.begin().await?;
    let row = filings::get(&mut tx, id, fid)
        .await?
        .ok_or(AppError::NotFound)?;
    let year = row.year;
    if let Err(refusal) = filing::check_reviewable(row.status()) {
        tx.rollback().await?;
        return refused(
            &state,
            &user,
            id,
            year,
            "不能审核",
            refusal.to_string(),
            Vec::new(),
        )
        .await;
    }
    let (config, _) = annual_config::get(&mut tx, year).await?;
    let review = match filing::parse_review(&config.rubric, &f) {
        Ok(r) => r,
        Err(errors) => {
            tx.rollback().await?;
            let page = version_page(&state, &user, id, fid, Some(f), errors).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let typed_lock: i32 = f.get("lock_version").parse().unwrap_or(-1);
    let approve = review.decision == Decision::Approve;
    let done = typed_lock == row.lock_version
        && filings::review(
            &mut tx,
            id,
            fid,
            typed_lock,
            approve,
            user.id,
            &review.comment,
            &review.field_comments,
        )
        .await?;
    if !done {
        tx.rollback().await?;
        return refused(
            &state,
            &user,
            id,
            year,
            "审核冲突",
            "在您审核期间，该版本已被他人审核或修改，您的审核意见没有保存。请重新打开该版本查看。"
                .into(),
            Vec::new(),
        )
        .await;
    }
    let after = filings::get(&mut tx, id, fid)
        .await?
        .ok_or(AppError::NotFound)?;
    let action = if approve {
        "filing.approve"
    } else {
        "filing.return"
    };
    tx.audit(
        Entry::new(action, "filing", fid)
            .before(row.audit_json())
            .after(after.audit_json()),
    )
    .await?;
    let what = filing_label(year, row.version, !row.change_reason.is_empty());
    let summary = if approve {
        format!("{what}审核通过")
    } else {
        format!("{what}被退回修改")
    };
    lifecycle::record(
        &mut tx,
        &user.actor(),
        &lifecycle::Event {
            platform_id: id,
            kind: if approve {
                "filing.approved"
            } else {
                "filing.returned"
            },
            from_stage: None,
            to_stage: None,
            summary: &summary,
            reason: &review.comment,
            document_id: None,
        },
    )
    .await?;
    crate::db::notices::event(
        &mut tx,
        crate::db::notices::To::Platform(id),
        if approve {
            "event.filing_approved"
        } else {
            "event.filing_returned"
        },
        &if approve {
            format!("{summary}。")
        } else {
            format!("{summary}，请按审核意见修改后重新提交。")
        },
        &format!("/platforms/{id}/annual?year={year}"),
    )
    .await?;
    let notice = if approve {
        Flash::FilingApproved
    } else {
        Flash::FilingReturned
    };
    tx.redirect(format!(
        "/platforms/{id}/annual?year={year}&notice={notice}"
    ))
    .await
}
