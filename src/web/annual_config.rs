//! The annual cycle's configuration per year (年度配置): deadlines, the rubric, grade rules,
//! rewards, funding coefficients and the public-notice length. City staff edit (every save is a new
//! version with who/when/why) and start next year from this one; county staff read.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::auth::CurrentUser;
use super::flash::Flash;
use super::forms::{Form, Path, Query};
use super::layout::{Layout, local_time};
use super::widgets::{ConflictRow, Opt};
use super::write::{Entry, Writer};
use crate::db::annual_config;
use crate::domain::annual::{AnnualConfig, Step};
use crate::domain::config_form::{
    self, BLANK_ROWS, ConfigErrors, catsum_field, dimsum_field, kind_code, kind_label,
    number_input, row_count, row_field, weight_field,
};
use crate::domain::fields::RawForm;
use crate::domain::money::wan;
use crate::domain::platform::Category;
use crate::domain::scoring::{Dimension, IndicatorKind};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

use super::forms::valid_year;
use crate::clock::today;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // The annual cycle: configuration per year (city staff edit, county staff read).
        get( "/annual/config",             Roles(STAFF, Global), list),
        get( "/annual/config/{year}",      Roles(STAFF, Global), show),
        get( "/annual/config/{year}/edit", Roles(STAFF, City),   edit_form),
        post("/annual/config/{year}",      Roles(STAFF, City),   update),
        post("/annual/config/{year}/copy", Roles(STAFF, City),   copy),
    ]
}

// ---- list -----------------------------------------------------------------------------

pub struct YearRow {
    pub year: i32,
    pub configured: bool,
    pub version: i32,
    pub updated_by: String,
    pub updated_at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "annual/config_list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub rows: Vec<YearRow>,
    pub can_edit: bool,
}

pub async fn list(State(state): State<AppState>, user: CurrentUser) -> AppResult<ListPage> {
    let mut conn = state.db.acquire().await?;
    let configured = annual_config::list(&mut conn).await?;
    let this_year = chrono::Datelike::year(&today());
    let mut rows: Vec<YearRow> = configured
        .iter()
        .map(|c| YearRow {
            year: c.year,
            configured: true,
            version: c.version,
            updated_by: c.updated_by_name.clone().unwrap_or_else(|| "系统".into()),
            updated_at: local_time(&c.updated_at),
        })
        .collect();
    // The current and next year are always listed, configured or not.
    for year in [this_year, this_year + 1] {
        if !rows.iter().any(|r| r.year == year) {
            rows.push(YearRow {
                year,
                configured: false,
                version: 0,
                updated_by: String::new(),
                updated_at: String::new(),
            });
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.year));
    Ok(ListPage {
        layout: Layout::for_user(&user, "annual_config"),
        rows,
        can_edit: user.is_city_staff,
    })
}

// ---- show -----------------------------------------------------------------------------

pub struct DeadlineView {
    pub label: &'static str,
    pub month_day: String,
    pub date: String,
}

pub struct WeightRowView {
    pub category: &'static str,
    pub weights: Vec<String>,
    pub sum: String,
}

pub struct IndicatorView {
    pub key: String,
    pub label: String,
    pub weight: String,
    pub kind: &'static str,
}

pub struct DimensionView {
    pub label: &'static str,
    pub indicators: Vec<IndicatorView>,
    pub sum: String,
}

pub struct HistoryView {
    pub version: i32,
    pub reason: String,
    pub by: String,
    pub at: String,
    pub in_force: bool,
}

pub struct Pair {
    pub label: &'static str,
    pub value: String,
}

/// The configuration of one year, read-only.
pub struct ConfigView {
    pub deadlines: Vec<DeadlineView>,
    pub dim_headers: Vec<&'static str>,
    pub weight_rows: Vec<WeightRowView>,
    pub dimensions: Vec<DimensionView>,
    pub grades: Vec<Pair>,
    pub notice_days: u32,
}

impl ConfigView {
    pub fn of(c: &AnnualConfig, year: i32) -> ConfigView {
        let deadlines = Step::ALL
            .iter()
            .map(|&step| DeadlineView {
                label: step.label_zh(),
                month_day: match step {
                    Step::Filing => c.deadlines.filing.to_string(),
                    Step::Midyear => c.deadlines.midyear.to_string(),
                    Step::Yearend => format!("次年 {}", c.deadlines.yearend),
                },
                date: c.deadline(year, step).to_string(),
            })
            .collect();
        let weight_rows = Category::ALL
            .iter()
            .map(|&cat| {
                let w = c.rubric.dimensions.for_category(cat);
                WeightRowView {
                    category: cat.label_zh(),
                    weights: Dimension::ALL
                        .iter()
                        .map(|d| number_input(w.get(*d)))
                        .collect(),
                    sum: number_input(w.sum()),
                }
            })
            .collect();
        let dimensions = Dimension::ALL
            .iter()
            .map(|&dim| DimensionView {
                label: dim.label_zh(),
                indicators: c
                    .rubric
                    .indicators_of(dim)
                    .map(|i| IndicatorView {
                        key: i.key.clone(),
                        label: i.label_zh.clone(),
                        weight: number_input(i.weight),
                        kind: kind_label(i.kind),
                    })
                    .collect(),
                sum: number_input(c.rubric.indicators_of(dim).map(|i| i.weight).sum()),
            })
            .collect();
        let g = &c.grade_rules;
        let grades = [
            (
                "优秀",
                format!(
                    "≥ {} 分且位列前 {}%（向下取整，至少 1 个）",
                    number_input(g.excellent_min),
                    g.excellent_quota_pct
                ),
            ),
            ("良好", format!("≥ {} 分", number_input(g.good_min))),
            ("合格", format!("≥ {} 分", number_input(g.pass_min))),
            ("不合格", format!("< {} 分", number_input(g.pass_min))),
            (
                "奖励建议",
                format!(
                    "优秀 {} 万元，良好 {} 万元",
                    wan(g.reward_excellent_yuan),
                    wan(g.reward_good_yuan)
                ),
            ),
            (
                "次年经费系数",
                format!(
                    "优秀 {}，良好 {}，合格 {}，不合格 {}",
                    number_input(g.coefficients.excellent),
                    number_input(g.coefficients.good),
                    number_input(g.coefficients.pass),
                    number_input(g.coefficients.fail)
                ),
            ),
        ]
        .into_iter()
        .map(|(label, value)| Pair { label, value })
        .collect();
        ConfigView {
            deadlines,
            dim_headers: Dimension::ALL.iter().map(|d| d.label_zh()).collect(),
            weight_rows,
            dimensions,
            grades,
            notice_days: c.notice_days,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "annual/config_show.html")]
pub struct ShowPage {
    pub layout: Layout,
    pub year: i32,
    /// The version in force (0: defaults, not saved).
    pub version: i32,
    /// When an older version is shown: its number.
    pub viewing: Option<i32>,
    pub updated: String,
    pub config: ConfigView,
    pub history: Vec<HistoryView>,
    pub can_edit: bool,
    pub next_exists: bool,
    pub notice: &'static str,
    pub error: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    version: Option<i32>,
    notice: String,
}

async fn show_page(
    state: &AppState,
    user: &CurrentUser,
    year: i32,
    viewing: Option<i32>,
    notice: &'static str,
    error: String,
) -> AppResult<ShowPage> {
    let mut conn = state.db.acquire().await?;
    let (in_force, version) = annual_config::get(&mut conn, year).await?;
    let (config, viewing) = match viewing.filter(|v| *v != version) {
        Some(v) => (
            annual_config::get_version(&mut conn, year, v)
                .await?
                .ok_or(AppError::NotFound)?,
            Some(v),
        ),
        None => (in_force, None),
    };
    let meta = annual_config::meta(&mut conn, year).await?;
    let history = annual_config::history(&mut conn, year).await?;
    let next_exists = year >= 2100 || annual_config::meta(&mut conn, year + 1).await?.is_some();
    Ok(ShowPage {
        layout: Layout::for_user(user, "annual_config"),
        year,
        version,
        viewing,
        updated: meta
            .map(|m| {
                format!(
                    "{} 于 {} 保存",
                    m.updated_by_name.unwrap_or_else(|| "系统".into()),
                    local_time(&m.updated_at)
                )
            })
            .unwrap_or_default(),
        config: ConfigView::of(&config, year),
        history: history
            .into_iter()
            .map(|h| HistoryView {
                in_force: h.version == version,
                version: h.version,
                reason: h.reason,
                by: h.changed_by_name.unwrap_or_else(|| "系统".into()),
                at: local_time(&h.changed_at),
            })
            .collect(),
        can_edit: user.is_city_staff,
        next_exists,
        notice,
        error,
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<i32>,
    Query(q): Query<ShowQuery>,
) -> AppResult<ShowPage> {
    let year = valid_year(year)?;
    let notice = Flash::text_of(&q.notice);
    show_page(&state, &user, year, q.version, notice, String::new()).await
}

// ---- edit -----------------------------------------------------------------------------

pub struct Cell {
    pub name: String,
    pub value: String,
    pub error: String,
}

pub struct WeightInputs {
    pub category: &'static str,
    pub cells: Vec<Cell>,
    pub sum_error: String,
}

pub struct IndicatorInputs {
    pub key: Cell,
    pub label: Cell,
    pub dimension: Cell,
    pub weight: Cell,
    pub kind: Cell,
    pub remove_name: String,
    pub removed: bool,
    /// An indicator the saved configuration has (its key is shown read-only).
    pub existing: bool,
}

pub struct DimensionSum {
    pub label: &'static str,
    pub sum: String,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "annual/config_form.html")]
pub struct EditPage {
    pub layout: Layout,
    pub year: i32,
    pub version: i32,
    pub f: RawForm,
    pub errors: ConfigErrors,
    /// Every message, for the summary at the top.
    pub messages: Vec<String>,
    pub dim_headers: Vec<&'static str>,
    pub weights: Vec<WeightInputs>,
    pub rows: Vec<IndicatorInputs>,
    pub rows_count: usize,
    pub sums: Vec<DimensionSum>,
    pub dimension_options: Vec<Opt>,
    pub kind_options: Vec<Opt>,
}

impl EditPage {
    fn new(
        user: &CurrentUser,
        year: i32,
        version: i32,
        f: RawForm,
        saved_keys: &[String],
        errors: ConfigErrors,
    ) -> EditPage {
        let cell = |name: String| Cell {
            value: f.get(&name).to_owned(),
            error: errors.fields.get(&name).to_owned(),
            name,
        };
        let weights = Category::ALL
            .iter()
            .map(|&cat| WeightInputs {
                category: cat.label_zh(),
                cells: Dimension::ALL
                    .iter()
                    .map(|&d| cell(weight_field(cat, d)))
                    .collect(),
                sum_error: errors.fields.get(&catsum_field(cat)).to_owned(),
            })
            .collect();
        let n = row_count(&f).max(BLANK_ROWS);
        let rows: Vec<IndicatorInputs> = (0..n)
            .map(|i| {
                let key = cell(row_field(i, "key"));
                IndicatorInputs {
                    existing: saved_keys.contains(&key.value),
                    key,
                    label: cell(row_field(i, "label")),
                    dimension: cell(row_field(i, "dimension")),
                    weight: cell(row_field(i, "weight")),
                    kind: cell(row_field(i, "kind")),
                    removed: f.checked(&row_field(i, "remove")),
                    remove_name: row_field(i, "remove"),
                }
            })
            .collect();
        let sums = Dimension::ALL
            .iter()
            .map(|&d| {
                let sum: f64 = rows
                    .iter()
                    .filter(|r| !r.removed && r.dimension.value == d.as_str())
                    .filter_map(|r| r.weight.value.parse::<f64>().ok())
                    .sum();
                DimensionSum {
                    label: d.label_zh(),
                    sum: number_input(sum),
                    error: errors.fields.get(&dimsum_field(d)).to_owned(),
                }
            })
            .collect();
        let mut messages: Vec<String> = errors.fields.iter().map(|(_, m)| m.to_owned()).collect();
        messages.dedup();
        messages.extend(errors.general.iter().cloned());
        EditPage {
            layout: Layout::for_user(user, "annual_config"),
            year,
            version,
            errors,
            messages,
            dim_headers: Dimension::ALL.iter().map(|d| d.label_zh()).collect(),
            weights,
            rows_count: rows.len(),
            rows,
            sums,
            dimension_options: Dimension::ALL
                .iter()
                .map(|d| Opt {
                    value: d.as_str().into(),
                    label: d.label_zh().into(),
                })
                .collect(),
            kind_options: [IndicatorKind::Quantitative, IndicatorKind::Qualitative]
                .iter()
                .map(|k| Opt {
                    value: kind_code(*k).into(),
                    label: kind_label(*k).into(),
                })
                .collect(),
            f,
        }
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<i32>,
) -> AppResult<EditPage> {
    let year = valid_year(year)?;
    let mut conn = state.db.acquire().await?;
    let (config, version) = annual_config::get(&mut conn, year).await?;
    let keys: Vec<String> = config
        .rubric
        .indicators
        .iter()
        .map(|i| i.key.clone())
        .collect();
    Ok(EditPage::new(
        &user,
        year,
        version,
        config_form::to_form(&config),
        &keys,
        ConfigErrors::default(),
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "annual/config_conflict.html")]
pub struct ConflictPage {
    pub layout: Layout,
    pub year: i32,
    pub saved_by: String,
    pub rows: Vec<ConflictRow>,
}

/// Both configurations side by side, line by line.
fn conflict_rows(mine: &AnnualConfig, theirs: &AnnualConfig) -> Vec<ConflictRow> {
    let mine = config_form::summary(mine);
    let theirs = config_form::summary(theirs);
    let mut labels: Vec<String> = mine.iter().map(|(l, _)| l.clone()).collect();
    for (l, _) in &theirs {
        if !labels.contains(l) {
            labels.push(l.clone());
        }
    }
    let find = |list: &[(String, String)], label: &str| {
        list.iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| "（无）".into())
    };
    labels
        .into_iter()
        .map(|label| {
            let m = find(&mine, &label);
            let t = find(&theirs, &label);
            ConflictRow {
                differs: m != t,
                label,
                mine: m,
                theirs: t,
            }
        })
        .collect()
}

pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(year): Path<i32>,
    Form(f): Form<RawForm>,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let expected: i32 = f.get("version").parse().unwrap_or(-1);
    let mut tx = w.begin().await?;
    let (before, current) = annual_config::get(&mut tx, year).await?;
    let (config, reason) = match config_form::parse(&f) {
        Ok(parsed) => parsed,
        Err(errors) => {
            tx.rollback().await?;
            let keys: Vec<String> = before
                .rubric
                .indicators
                .iter()
                .map(|i| i.key.clone())
                .collect();
            let page = EditPage::new(&user, year, expected.max(0), f, &keys, errors);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let saved = if expected == current {
        annual_config::save(&mut tx, year, expected, &config, &reason, Some(user.id)).await?
    } else {
        None
    };
    let Some(version) = saved else {
        tx.rollback().await?;
        let mut conn = state.db.acquire().await?;
        let (theirs, _) = annual_config::get(&mut conn, year).await?;
        let meta = annual_config::meta(&mut conn, year).await?;
        let page = ConflictPage {
            layout: Layout::for_user(&user, "annual_config"),
            year,
            saved_by: meta
                .map(|m| {
                    format!(
                        "{} 于 {} 保存了第 {} 版",
                        m.updated_by_name.unwrap_or_else(|| "系统".into()),
                        local_time(&m.updated_at),
                        m.version
                    )
                })
                .unwrap_or_default(),
            rows: conflict_rows(&config, &theirs),
        };
        return Ok((StatusCode::CONFLICT, page).into_response());
    };
    if before.deadlines != config.deadlines {
        // The rules' EVAL-*.deadline parameters come from here: every platform is checked again.
        tx.touches_all();
    }
    tx.audit(
        Entry::new("annual_config.update", "annual_config", year)
            .before(serde_json::json!({"version": current, "config": before}))
            .after(serde_json::json!({"version": version, "config": config, "reason": reason})),
    )
    .await?;
    tx.redirect(format!(
        "/annual/config/{year}?notice={}",
        Flash::ConfigSaved
    ))
    .await
}

pub async fn copy(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(year): Path<i32>,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let next = valid_year(year + 1)?;
    let mut tx = w.begin().await?;
    let (config, version) = annual_config::get(&mut tx, year).await?;
    let reason = format!("自 {year} 年复制");
    let Some(_) = annual_config::save(&mut tx, next, 0, &config, &reason, Some(user.id)).await?
    else {
        tx.rollback().await?;
        let page = show_page(
            &state,
            &user,
            year,
            None,
            "",
            format!("{next} 年度已有配置，不能再复制；如需调整，请打开 {next} 年度配置修改。"),
        )
        .await?;
        return Ok((StatusCode::CONFLICT, page).into_response());
    };
    tx.touches_all();
    tx.audit(
        Entry::new("annual_config.copy", "annual_config", next).after(
            serde_json::json!({"version": 1, "from_year": year, "from_version": version,
                                "config": config, "reason": reason}),
        ),
    )
    .await?;
    tx.redirect(format!(
        "/annual/config/{next}?notice={}",
        Flash::ConfigCopied
    ))
    .await
}
