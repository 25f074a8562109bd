//! The three audiences' dashboards (PRODUCT.md "Screens"): the platform dashboard on a platform's
//! overview, the staff workbench and the leadership dashboard with its drill-down list and print
//! view. Every chart is built here from one db function and served twice: in the page as its data
//! table, and as JSON for `static/charts.js` (see `web/api.rs`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use sqlx::PgPool;

use super::auth::CurrentUser;
use super::charts::{self, Chart, Kind};
use super::forms::{Query, query_string};
use super::layout::{Layout, local_time};
use super::todo::{self, TodoGroup};
use super::widgets::{Opt, Pagination};
use super::xlsx::{self, Cell, opt};
use crate::clock::today;
use crate::db::dashboards::{
    self as db, AtRisk, DrillDown, DrillRow, EvaluationResult, Filter, MissingStep, UNSET,
    YearRevenue,
};
use crate::db::jurisdictions::{self, Jurisdiction};
use crate::db::{annual_config, platforms::Platform};
use crate::db::{rule_params, snapshot};
use crate::domain::annual::Step;
use crate::domain::compliance::{Status, rule};
use crate::domain::money::wan;
use crate::domain::platform::{Category, Cluster, Stage};
use crate::domain::scope::PlatformScope;
use crate::domain::scoring::Grade;
use crate::domain::support::{self, ProgrammeDef, SupportStatus};
use crate::domain::transformation::{Balance, TransformationDeadline, self_sufficiency_of};
use std::sync::Arc;

use super::cache::{Cached, Page};
use crate::error::AppResult;
use crate::state::AppState;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // Dashboards (PRODUCT.md "Screens") and their charts' JSON, each endpoint with the roles
        // and scope of the page that shows it.
        get( "/workbench",                 Roles(STAFF, Global),     workbench),
        get( "/leadership",                Roles(OVERSIGHT, Global), leadership),
        get( "/leadership/platforms",      Roles(OVERSIGHT, Global), drill_down),
        get( "/leadership/platforms.xlsx", Roles(OVERSIGHT, Global), drill_down_xlsx),
    ]
}

fn stage_label(code: &str) -> &'static str {
    Stage::parse(code).map_or("", Stage::label_zh)
}

fn category_label(code: Option<&str>) -> &'static str {
    code.and_then(Category::parse)
        .map_or("未设置", Category::label_zh)
}

// ---- the platform dashboard ---------------------------------------------------------------------

pub fn revenue_chart(id: i64, years: &[YearRevenue]) -> Chart {
    charts::revenue_by_year(
        "chart-revenue",
        format!("/api/platforms/{id}/revenue.json"),
        "历年收入（按渠道）".into(),
        years,
        |y| format!("/platforms/{id}/ledger?year={y}"),
        Some("数据来源"),
    )
}

pub fn mix_chart(id: i64, years: &[YearRevenue], this_year: i32) -> Chart {
    charts::channel_mix(
        "chart-mix",
        format!("/api/platforms/{id}/revenue-mix.json"),
        charts::mix_year(years, this_year),
        |y| format!("/platforms/{id}/ledger?year={y}"),
    )
}

pub fn break_even_chart(id: i64, years: &[YearRevenue], t: &TransformationDeadline) -> Chart {
    charts::break_even(
        "chart-break-even",
        format!("/api/platforms/{id}/break-even.json"),
        years,
        t,
        |y| format!("/platforms/{id}/ledger?year={y}"),
    )
}

pub fn evaluation_chart(id: i64, results: &[EvaluationResult]) -> Chart {
    charts::evaluation_history(
        "chart-evaluations",
        format!("/api/platforms/{id}/evaluations.json"),
        results,
        |y| format!("/platforms/{id}/evaluation?year={y}"),
    )
}

#[derive(Clone)]
pub struct TimelineRow {
    pub at: String,
    pub summary: String,
    pub actor: String,
}

#[derive(Clone)]
pub struct VisitRow {
    pub date: String,
    pub form: &'static str,
    pub topics: String,
    pub advisor: String,
}

/// The platform dashboard shown on the platform's overview (`templates/platforms/_dashboard.html`).
#[derive(Clone)]
pub struct PlatformDashboard {
    pub platform_id: i64,
    pub timeline: Vec<TimelineRow>,
    pub checklist: db::ChecklistProgress,
    pub advisor: String,
    pub visits: Vec<VisitRow>,
    /// `(status code, label, count)`, in the catalogue's status order.
    pub findings: Vec<(&'static str, &'static str, i64)>,
    pub revenue: Chart,
    pub mix: Chart,
    pub break_even: Chart,
    pub evaluations: Chart,
    pub deadline: String,
}

impl PlatformDashboard {
    pub fn has_charts(&self) -> bool {
        [
            &self.revenue,
            &self.mix,
            &self.break_even,
            &self.evaluations,
        ]
        .iter()
        .any(|c| !c.is_empty())
    }

    pub fn checklist_percent(&self) -> i64 {
        let c = &self.checklist;
        if c.total == 0 {
            0
        } else {
            c.finished * 100 / c.total
        }
    }
}

fn visit_form(code: &str) -> &'static str {
    match code {
        "on_site" => "实地走访",
        "remote" => "远程服务",
        "meeting" => "会议座谈",
        "phone" => "电话沟通",
        _ => "服务",
    }
}

/// Everything the platform dashboard shows, in a fixed number of queries.
pub async fn platform_dashboard(
    pool: &PgPool,
    p: &Platform,
    today: NaiveDate,
) -> Result<PlatformDashboard, sqlx::Error> {
    let overview = db::platform_overview(pool, p.id, today).await?;
    let years = db::platform_years(pool, p.id).await?;
    let results = db::platform_evaluations(pool, p.id).await?;
    let t = TransformationDeadline::new(
        p.construction_end,
        db::transition_months(pool, today).await?,
    );
    Ok(PlatformDashboard {
        platform_id: p.id,
        timeline: overview
            .timeline
            .iter()
            .map(|e| TimelineRow {
                at: local_time(&e.at)[..10].to_string(),
                summary: e.summary.clone(),
                actor: e.actor_name.clone(),
            })
            .collect(),
        checklist: overview.checklist,
        advisor: p.advisor_name.clone().unwrap_or_default(),
        visits: overview
            .visits
            .iter()
            .map(|v| VisitRow {
                date: v.visit_date.to_string(),
                form: visit_form(&v.form),
                topics: v.topics.clone(),
                advisor: v.advisor_name.clone(),
            })
            .collect(),
        findings: Status::ALL
            .iter()
            .filter_map(|s| {
                overview
                    .findings
                    .iter()
                    .find(|(code, _)| code == s.as_str())
                    .map(|(_, n)| (s.as_str(), s.label_zh(), *n))
            })
            .collect(),
        revenue: revenue_chart(p.id, &years),
        mix: mix_chart(p.id, &years, today.year()),
        break_even: break_even_chart(p.id, &years, &t),
        evaluations: evaluation_chart(p.id, &results),
        deadline: t.deadline.map(|d| d.to_string()).unwrap_or_default(),
    })
}

// ---- at-risk rows (workbench and leadership) ----------------------------------------------------

#[derive(Clone)]
pub struct RiskRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub stage: &'static str,
    pub deadline: String,
    pub ratio: String,
    pub reasons: Vec<String>,
}

fn risk_rows(rows: Vec<AtRisk>, today: NaiveDate) -> Vec<RiskRow> {
    let year = db::last_complete_year(today);
    rows.into_iter()
        .map(|r| {
            let mut reasons = Vec::new();
            if let (true, Some(deadline)) = (r.transition, r.deadline) {
                let figures = match r.ratio {
                    Some(ratio) => format!("{year}年度自给率{ratio:.2}"),
                    None => format!("{year}年度无收支数据"),
                };
                reasons.push(if deadline < today {
                    format!("转型期限{deadline}已过，{figures}，未实现收支平衡")
                } else {
                    format!("距转型期限{deadline}不足6个月，{figures}，尚未收支平衡")
                });
            }
            for id in &r.rules {
                // The break-even failure says the same as the transition reason above.
                if id == "MKT-BREAK-EVEN" && r.transition {
                    continue;
                }
                reasons.push(match rule(id) {
                    Some(def) => format!("{}：{}", def.name_zh, def.title_zh),
                    None => id.clone(),
                });
            }
            RiskRow {
                id: r.id,
                code: r.code,
                name: r.name,
                jurisdiction: r.jurisdiction,
                stage: stage_label(&r.stage),
                deadline: r
                    .deadline
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "—".into()),
                ratio: r.ratio.map_or("—".into(), |v| format!("{v:.2}")),
                reasons,
            }
        })
        .collect()
}

// ---- the staff workbench ------------------------------------------------------------------------

/// A line of the workbench: what, for which platform, when, and where it is handled.
#[derive(Clone)]
pub struct Task {
    pub what: String,
    pub platform_id: i64,
    pub code: String,
    pub name: String,
    pub when: String,
    /// Days overdue (positive) or left (negative → shown as left).
    pub days: i64,
    pub href: String,
}

#[derive(Clone)]
pub struct MyRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub stage: &'static str,
    pub open_items: i64,
    pub overdue_items: i64,
    pub failing: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboards/workbench.html")]
pub struct WorkbenchPage {
    pub layout: Layout,
    pub today: String,
    pub scope_label: String,
    /// 待办: the review queue, everything overdue and the open rectification cases — the same
    /// groups as the staff's /todo (`web::todo`), the overdue count the same as /annual/overdue.
    pub groups: Vec<TodoGroup>,
    pub upcoming: Vec<Task>,
    pub upcoming_total: i64,
    /// The most urgent [`RISK_LIMIT`] of `at_risk_total`; the drill-down lists them all.
    pub at_risk: Vec<RiskRow>,
    pub at_risk_total: usize,
    pub mine: Vec<MyRow>,
}

fn step_label(code: &str) -> &'static str {
    match code {
        "filing" => Step::Filing.label_zh(),
        "midyear" => Step::Midyear.label_zh(),
        _ => Step::Yearend.label_zh(),
    }
}

fn step_href(s: &MissingStep) -> String {
    let page = match s.step.as_str() {
        "filing" => "annual",
        "midyear" => "midyear",
        _ => "evaluation",
    };
    format!("/platforms/{}/{page}?year={}", s.platform_id, s.year)
}

fn missing_task(s: MissingStep, today: NaiveDate) -> Task {
    Task {
        what: format!("{}年度{}未提交", s.year, step_label(&s.step)),
        href: step_href(&s),
        when: s.deadline.to_string(),
        days: (today - s.deadline).num_days(),
        platform_id: s.platform_id,
        code: s.code,
        name: s.name,
    }
}

fn due_task(d: db::DueItem, today: NaiveDate) -> Task {
    let (what, href) = match d.kind.as_str() {
        "rectification" => (
            "整改期限".to_string(),
            format!("/platforms/{}/rectification/{}", d.platform_id, d.ref_id),
        ),
        _ => (
            format!("清单事项：{}", d.title),
            format!("/platforms/{}/checklist", d.platform_id),
        ),
    };
    Task {
        what,
        href,
        when: d.due_date.to_string(),
        days: (today - d.due_date).num_days(),
        platform_id: d.platform_id,
        code: d.code,
        name: d.name,
    }
}

/// The deadlines of the current cycle: this year's filing and mid-year review, last year's
/// year-end evaluation (due this year) and this year's (due early next year).
pub(crate) async fn cycle_deadlines(
    pool: &PgPool,
    today: NaiveDate,
) -> Result<Vec<(Step, i32, NaiveDate)>, sqlx::Error> {
    let year = today.year();
    let mut conn = pool.acquire().await?;
    let (this, _) = annual_config::get(&mut conn, year).await?;
    let (last, _) = annual_config::get(&mut conn, year - 1).await?;
    Ok(vec![
        (
            Step::Yearend,
            year - 1,
            last.deadline(year - 1, Step::Yearend),
        ),
        (Step::Filing, year, this.deadline(year, Step::Filing)),
        (Step::Midyear, year, this.deadline(year, Step::Midyear)),
        (Step::Yearend, year, this.deadline(year, Step::Yearend)),
    ])
}

/// At-risk platforms listed on the workbench and the leadership dashboard (the most urgent; the
/// count is of all of them, and the drill-down list pages through every one).
const RISK_LIMIT: usize = 20;

/// Rows shown per workbench section (the totals say how many there are).
const SECTION_LIMIT: i64 = 100;
/// How far ahead "upcoming" looks.
const UPCOMING_DAYS: i64 = 30;

/// What the workbench shows a staff member (everything but the frame), computed once per data version.
#[derive(Clone)]
pub struct WorkbenchData {
    pub today: String,
    pub scope_label: String,
    pub groups: Vec<TodoGroup>,
    pub upcoming: Vec<Task>,
    pub upcoming_total: i64,
    pub at_risk: Vec<RiskRow>,
    pub at_risk_total: usize,
    pub mine: Vec<MyRow>,
}

impl Cached for WorkbenchData {
    fn rows(&self) -> usize {
        self.groups.iter().map(|g| g.items.len()).sum::<usize>()
            + self.upcoming.len()
            + self.at_risk.len()
            + self.mine.len()
    }
}

pub async fn workbench(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<WorkbenchPage> {
    // "My platforms" are the user's own: the key names the user as well as the scope.
    let data = state
        .cache
        .get(
            "workbench",
            &user,
            format!("user={}", user.id),
            workbench_data(&state, &user),
        )
        .await?;
    let data = data.as_ref().clone();
    Ok(WorkbenchPage {
        layout: Layout::for_user(&user, "workbench"),
        today: data.today,
        scope_label: data.scope_label,
        groups: data.groups,
        upcoming: data.upcoming,
        upcoming_total: data.upcoming_total,
        at_risk: data.at_risk,
        at_risk_total: data.at_risk_total,
        mine: data.mine,
    })
}

async fn workbench_data(state: &AppState, user: &CurrentUser) -> AppResult<WorkbenchData> {
    let pool = &state.db;
    let today = today();
    let reference = reference(state, user).await?;
    let f = todo::filter_of(user, today, reference.transition_months);
    let horizon = today + chrono::Duration::days(UPCOMING_DAYS);

    let groups = todo::staff_groups(state, user, &f).await?;

    // Upcoming: the steps due from today to the horizon, and items due in that time.
    let steps: Vec<_> = cycle_deadlines(pool, today)
        .await?
        .into_iter()
        .filter(|(_, _, deadline)| *deadline >= today && *deadline <= horizon)
        .collect();
    let (soon_steps, soon_steps_total) = db::missing_steps(pool, &f, &steps, SECTION_LIMIT).await?;
    let (soon_due, soon_due_total) = db::due_items(pool, &f, today, horizon, SECTION_LIMIT).await?;
    let upcoming_total = soon_steps_total + soon_due_total;
    let mut upcoming: Vec<Task> = soon_steps
        .into_iter()
        .map(|s| missing_task(s, today))
        .chain(soon_due.into_iter().map(|d| due_task(d, today)))
        .collect();
    upcoming.sort_by(|a, b| b.days.cmp(&a.days).then_with(|| a.code.cmp(&b.code)));
    upcoming.truncate(SECTION_LIMIT as usize);

    let mut at_risk = db::at_risk(pool, &f).await?;
    let at_risk_total = at_risk.len();
    at_risk.truncate(RISK_LIMIT);
    let at_risk = risk_rows(at_risk, today);
    let mine = db::my_platforms(pool, &f, user.id)
        .await?
        .into_iter()
        .map(|m| MyRow {
            id: m.id,
            stage: stage_label(&m.stage),
            code: m.code,
            name: m.name,
            jurisdiction: m.jurisdiction,
            open_items: m.open_items,
            overdue_items: m.overdue_items,
            failing: m.failing,
        })
        .collect();
    let scope_label = match user.scope {
        PlatformScope::Jurisdiction(j) => reference
            .jurisdictions
            .iter()
            .find(|x| x.id == j)
            .map_or_else(String::new, |x| x.name.clone()),
        _ => "全市".into(),
    };
    Ok(WorkbenchData {
        today: today.to_string(),
        scope_label,
        groups,
        upcoming,
        upcoming_total,
        at_risk,
        at_risk_total,
        mine,
    })
}

// ---- the leadership dashboard -------------------------------------------------------------------

/// The leadership dashboard's filters (and, for the drill-down list, what it selects), as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct LeadershipQuery {
    pub year: String,
    pub jurisdiction: String,
    pub category: String,
    pub print: String,
    /// Counts chart: `category`, `stage`, `jurisdiction` or `cluster`.
    pub by: String,
    pub stage: String,
    pub cluster: String,
    pub grade: String,
    pub balance: String,
    pub at_risk: String,
    pub figures: String,
    pub graded: String,
    pub page: Option<i64>,
    pub size: Option<i64>,
}

/// The filters as understood: invalid values are ignored, like the registry's.
#[derive(Debug, Clone)]
pub struct Filters {
    pub year: i32,
    pub jurisdiction: Option<i32>,
    pub category: Option<String>,
}

impl Filters {
    pub fn parse(q: &LeadershipQuery, today: NaiveDate) -> Filters {
        let latest = db::last_complete_year(today);
        Filters {
            year: q
                .year
                .parse::<i32>()
                .ok()
                .filter(|y| (2000..=today.year()).contains(y))
                .unwrap_or(latest),
            jurisdiction: q.jurisdiction.parse().ok(),
            category: (q.category == UNSET || Category::parse(&q.category).is_some())
                .then(|| q.category.clone()),
        }
    }

    fn year_s(&self) -> String {
        self.year.to_string()
    }

    fn jurisdiction_s(&self) -> String {
        self.jurisdiction.map(|j| j.to_string()).unwrap_or_default()
    }

    /// The filters as a query string (always with the year).
    pub fn query(&self) -> String {
        query_string(&[
            ("year", &self.year_s()),
            ("jurisdiction", &self.jurisdiction_s()),
            ("category", self.category.as_deref().unwrap_or("")),
        ])
    }

    /// The platforms behind a figure: the registry list when it can filter them (current
    /// category, stage, jurisdiction, cluster), else the dashboard's own drill-down list.
    pub fn platforms_link(&self, extra: &[(&str, &str)]) -> String {
        let jurisdiction = self.jurisdiction_s();
        let mut pairs: Vec<(&str, &str)> = vec![
            ("jurisdiction", jurisdiction.as_str()),
            ("category", self.category.as_deref().unwrap_or("")),
        ];
        for (k, v) in extra {
            pairs.retain(|(key, _)| key != k);
            pairs.push((k, v));
        }
        let registry_can = pairs.iter().all(|(k, v)| {
            *v != UNSET && matches!(*k, "jurisdiction" | "category" | "stage" | "cluster")
        });
        if registry_can {
            format!("/platforms?{}", query_string(&pairs))
        } else {
            let year = self.year_s();
            pairs.insert(0, ("year", year.as_str()));
            format!("/leadership/platforms?{}", query_string(&pairs))
        }
    }

    pub fn db(&self, user: &CurrentUser, today: NaiveDate, months: u32) -> Filter {
        Filter {
            scope: user.scope,
            jurisdiction: self.jurisdiction,
            category: self.category.clone(),
            year: self.year,
            today,
            transition_months: months,
        }
    }
}

/// Platform counts by `by` (`category`, `stage`, `jurisdiction`, `cluster`), from [`db::counts`]
/// rows; `None` for an unknown dimension.
pub fn counts_chart(
    by: &str,
    rows: &[(String, String, i64)],
    all_jurisdictions: &[Jurisdiction],
    f: &Filters,
) -> Option<Chart> {
    let count = |key: &str| {
        rows.iter()
            .find(|(d, k, _)| d == by && k == key)
            .map_or(0, |r| r.2)
    };
    let bucket = |key: &str, label: &str, param: &str| {
        let n = count(key);
        (n > 0).then(|| (label.to_string(), n, f.platforms_link(&[(param, key)])))
    };
    let unset = |param: &str| bucket(UNSET, "未设置", param);
    let (kind, title, axis, buckets): (Kind, &str, &'static str, Vec<_>) = match by {
        "category" => (
            Kind::Pie,
            "按功能定位",
            "功能定位",
            Category::ALL
                .iter()
                .filter_map(|c| bucket(c.as_str(), c.label_zh(), "category"))
                .chain(unset("category"))
                .collect(),
        ),
        "stage" => (
            Kind::Bar,
            "按生命周期阶段",
            "阶段",
            Stage::ALL
                .iter()
                .filter_map(|s| bucket(s.as_str(), s.label_zh(), "stage"))
                .collect(),
        ),
        "jurisdiction" => (
            Kind::Bar,
            "按地区",
            "地区",
            all_jurisdictions
                .iter()
                .filter_map(|j| bucket(&j.id.to_string(), &j.name, "jurisdiction"))
                .collect(),
        ),
        "cluster" => (
            Kind::Bar,
            "按产业集群",
            "产业集群",
            Cluster::ALL
                .iter()
                .filter_map(|c| bucket(c.as_str(), c.label_zh(), "cluster"))
                .chain(unset("cluster"))
                .collect(),
        ),
        _ => return None,
    };
    let id = match by {
        "category" => "chart-by-category",
        "stage" => "chart-by-stage",
        "jurisdiction" => "chart-by-jurisdiction",
        _ => "chart-by-cluster",
    };
    Some(charts::counts(
        id,
        format!("/api/leadership/counts.json?by={by}&{}", f.query()),
        kind,
        format!("平台数量{title}"),
        axis,
        buckets,
    ))
}

pub fn grades_chart(rows: &[(i32, String, i64)], f: &Filters) -> Chart {
    let mut c = charts::grades_by_year(
        "chart-grades",
        format!("/api/leadership/grades.json?{}", f.query()),
        rows,
        |year, grade| {
            let year = year.to_string();
            let mut g = f.clone();
            g.year = year.parse().unwrap_or(f.year);
            g.platforms_link(&[("grade", grade.as_str())])
        },
    );
    c.note = "点击色块查看该年度该等次的平台。".into();
    c
}

pub fn leadership_revenue_chart(years: &[YearRevenue], f: &Filters) -> Chart {
    charts::revenue_by_year(
        "chart-revenue",
        format!("/api/leadership/revenue.json?{}", f.query()),
        "收入按渠道及趋势（近十年）".into(),
        years,
        |year| {
            let mut g = f.clone();
            g.year = year;
            g.platforms_link(&[("figures", "1")])
        },
        Some("平台数"),
    )
}

pub fn break_even_share_chart(share: &db::BreakEvenShare, f: &Filters) -> Chart {
    let buckets = Balance::ALL
        .iter()
        .map(|b| {
            let count = match b {
                Balance::Yes => share.balanced,
                Balance::No => share.unbalanced,
                Balance::NoFigures => share.no_data,
            };
            let link = f.platforms_link(&[("balance", b.as_str())]);
            (b.label_zh().to_string(), count, link)
        })
        .collect();
    let mut c = charts::counts(
        "chart-break-even",
        format!("/api/leadership/break-even.json?{}", f.query()),
        Kind::Pie,
        format!("{}年度收支平衡情况", f.year),
        "情况",
        buckets,
    );
    c.note = match share.percent() {
        Some(p) => format!(
            "有收支数据的平台中，{:.1}%（{}/{}）实现收支平衡（自主收入 ≥ 支出）。",
            p,
            share.balanced,
            share.balanced + share.unbalanced
        ),
        None => format!("{}年度没有平台的收支数据。", f.year),
    };
    c.empty_hint = format!("{}年度没有运行中平台或收支数据。", f.year);
    c
}

pub struct RankRow {
    pub id: i64,
    pub rank: String,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub score: String,
    pub grade: &'static str,
    pub grade_code: String,
}

pub struct Kpi {
    pub label: &'static str,
    pub value: String,
    pub href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboards/leadership.html")]
pub struct LeadershipPage {
    pub layout: Layout,
    pub print: bool,
    pub generated_at: String,
    pub year: i32,
    pub q: LeadershipQuery,
    pub years: Vec<i32>,
    pub jurisdictions: Vec<Opt>,
    pub categories: Vec<Opt>,
    pub filter_summary: String,
    pub print_href: String,
    pub export_href: String,
    pub kpis: Vec<Kpi>,
    pub by_category: Chart,
    pub by_stage: Chart,
    pub by_jurisdiction: Chart,
    pub by_cluster: Chart,
    pub grades: Chart,
    pub revenue: Chart,
    pub break_even: Chart,
    /// The most urgent [`RISK_LIMIT`] of `at_risk_total`; the drill-down lists them all.
    pub at_risk: Vec<RiskRow>,
    pub at_risk_total: usize,
    pub at_risk_href: String,
    pub ranking: Vec<RankRow>,
    pub ranked_total: i64,
    pub ranking_href: String,
    pub ranking_year: i32,
    pub latest_published: Option<i32>,
    /// What the platforms in view may claim today, per programme of the enabled packs.
    pub support_potential: Vec<PotentialRow>,
    /// Claims granted, per year of review and programme.
    pub support_granted: Vec<GrantedRow>,
}

/// One programme's potential over the platforms in view.
pub struct PotentialRow {
    pub id: &'static str,
    pub name: &'static str,
    pub pack: &'static str,
    pub draft: bool,
    pub platforms: usize,
    /// 万元; "最高 …" when some amount is a ceiling; "—" without an amount.
    pub amount: String,
}

/// Granted claims of one programme in one year.
pub struct GrantedRow {
    pub year: i32,
    pub name: String,
    pub claims: i64,
    pub granted: String,
    pub paid: String,
    pub recovered: String,
}

/// The support figures of the leadership dashboard, for one scope and set of filters.
pub struct SupportTotals {
    /// `(programme, eligible platforms, amount, some amount is a ceiling)`.
    pub potential: Vec<(&'static ProgrammeDef, usize, Option<i64>, bool)>,
    pub granted: Vec<db::GrantedSupport>,
}

impl Cached for SupportTotals {
    fn rows(&self) -> usize {
        self.potential.len() + self.granted.len()
    }
}

/// Every platform in view evaluated against the enabled support programmes as of today, and the claims
/// granted; computed once per data version (a snapshot of every platform in view on a miss).
async fn support_totals(
    state: &AppState,
    user: &CurrentUser,
    v: &View,
) -> AppResult<Arc<SupportTotals>> {
    state
        .cache
        .get("leadership-support", user, v.filters.query(), async {
            let pool = &state.db;
            let ids = db::platform_ids(pool, &v.f).await?;
            let mut conn = pool.acquire().await?;
            let params = rule_params::in_force(&mut conn, v.today).await?;
            let snapshots = snapshot::build_on(&mut conn, Some(&ids), v.today, &params).await?;
            let enabled = crate::db::packs::enabled(&mut conn).await?;
            drop(conn);
            let mut potential: Vec<(&'static ProgrammeDef, usize, Option<i64>, bool)> =
                support::programmes()
                    .iter()
                    .filter(|p| enabled.contains(&p.pack))
                    .map(|p| (p, 0, None, false))
                    .collect();
            for (_, snap) in &snapshots {
                for r in support::evaluate(snap, &params).programmes {
                    if r.status != SupportStatus::Eligible {
                        continue;
                    }
                    if let Some(row) = potential.iter_mut().find(|row| row.0.id == r.id) {
                        row.1 += 1;
                        if let Some(a) = r.amount_yuan {
                            row.2 = Some(row.2.unwrap_or(0) + a);
                            row.3 |= r.up_to;
                        }
                    }
                }
            }
            Ok(SupportTotals {
                potential,
                granted: db::support_granted(pool, &v.f).await?,
            })
        })
        .await
}

impl LeadershipPage {
    pub fn has_charts(&self) -> bool {
        [
            &self.by_category,
            &self.by_stage,
            &self.by_jurisdiction,
            &self.by_cluster,
            &self.grades,
            &self.revenue,
            &self.break_even,
        ]
        .iter()
        .any(|c| !c.is_empty())
    }
}

fn filter_options(all: &[Jurisdiction]) -> (Vec<Opt>, Vec<Opt>) {
    let jurisdictions = all
        .iter()
        .map(|j| Opt {
            value: j.id.to_string(),
            label: j.name.clone(),
        })
        .collect();
    let categories = Category::ALL
        .iter()
        .map(|c| Opt {
            value: c.as_str().into(),
            label: c.label_zh().into(),
        })
        .chain(std::iter::once(Opt {
            value: UNSET.into(),
            label: "未设置".into(),
        }))
        .collect();
    (jurisdictions, categories)
}

fn summary(f: &Filters, all: &[Jurisdiction]) -> String {
    let jurisdiction = f
        .jurisdiction
        .and_then(|id| all.iter().find(|j| j.id == id))
        .map_or("全部地区".to_string(), |j| j.name.clone());
    let category = match f.category.as_deref() {
        None => "全部类别",
        Some(c) => category_label(Some(c)),
    };
    format!("{}年度 · {jurisdiction} · {category}", f.year)
}

/// What every leadership view starts from: today, the transformation period, the filters as
/// understood and as the queries take them, and the jurisdictions (for their names).
struct View {
    today: NaiveDate,
    months: u32,
    filters: Filters,
    f: Filter,
    reference: Arc<Reference>,
}

/// The reference data of the cross-platform views: the jurisdictions and the transformation
/// period in force (kept until the next write, `web::cache`).
pub struct Reference {
    pub jurisdictions: Vec<Jurisdiction>,
    pub transition_months: u32,
}

impl Cached for Reference {
    fn rows(&self) -> usize {
        self.jurisdictions.len()
    }
}

pub async fn reference(state: &AppState, user: &CurrentUser) -> AppResult<Arc<Reference>> {
    state
        .cache
        .get("reference", user, String::new(), async {
            Ok(Reference {
                jurisdictions: jurisdictions::list(&state.db).await?,
                transition_months: db::transition_months(&state.db, today()).await?,
            })
        })
        .await
}

async fn view(state: &AppState, user: &CurrentUser, q: &LeadershipQuery) -> AppResult<View> {
    let today = today();
    let filters = Filters::parse(q, today);
    let reference = reference(state, user).await?;
    let months = reference.transition_months;
    let f = filters.db(user, today, months);
    Ok(View {
        today,
        months,
        filters,
        f,
        reference,
    })
}

/// What the leadership dashboard and its four charts read, for one scope and set of filters:
/// ten years of aggregates over every platform in scope, computed once per data version.
pub struct LeadershipData {
    pub counts: Vec<(String, String, i64)>,
    pub grades: Vec<(i32, String, i64)>,
    pub revenue: Vec<db::YearRevenue>,
    pub share: db::BreakEvenShare,
    pub at_risk: Vec<AtRisk>,
    pub latest_published: Option<i32>,
    /// The ranking's year: the year chosen, or by default the latest published one.
    pub ranking_year: i32,
    pub ranked: Vec<db::Ranked>,
    pub ranked_total: i64,
}

impl Cached for LeadershipData {
    fn rows(&self) -> usize {
        self.counts.len()
            + self.grades.len()
            + self.revenue.len()
            + self.at_risk.len()
            + self.ranked.len()
    }
}

async fn leadership_data(
    state: &AppState,
    user: &CurrentUser,
    v: &View,
    year_chosen: bool,
) -> AppResult<Arc<LeadershipData>> {
    let params = format!("{}&year_chosen={year_chosen}", v.filters.query());
    state
        .cache
        .get("leadership", user, params, async {
            let pool = &state.db;
            let f = &v.f;
            let latest_published = db::latest_published_year(pool).await?;
            let mut ranking_filters = v.filters.clone();
            if !year_chosen && let Some(y) = latest_published {
                ranking_filters.year = y;
            }
            let (ranked, ranked_total) =
                db::ranking(pool, &ranking_filters.db(user, v.today, v.months), 20).await?;
            Ok(LeadershipData {
                counts: db::counts(pool, f).await?,
                grades: db::grades_by_year(pool, f).await?,
                revenue: db::revenue_by_year(pool, f).await?,
                share: db::break_even_share(pool, f).await?,
                at_risk: db::at_risk(pool, f).await?,
                latest_published,
                ranking_year: ranking_filters.year,
                ranked,
                ranked_total,
            })
        })
        .await
}

/// The leadership data for the charts' JSON (`web::api`): the same cached data as the page.
pub async fn leadership_charts(
    state: &AppState,
    user: &CurrentUser,
    q: &LeadershipQuery,
) -> AppResult<(Filters, Arc<Reference>, Arc<LeadershipData>)> {
    let v = view(state, user, q).await?;
    let data = leadership_data(state, user, &v, !q.year.is_empty()).await?;
    Ok((v.filters, v.reference, data))
}

pub async fn leadership(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<LeadershipQuery>,
) -> AppResult<LeadershipPage> {
    let v = view(&state, &user, &q).await?;
    let data = leadership_data(&state, &user, &v, !q.year.is_empty()).await?;
    let support_totals = support_totals(&state, &user, &v).await?;
    let View {
        today,
        filters,
        reference,
        ..
    } = v;
    let all_jurisdictions = &reference.jurisdictions;

    let counts = &data.counts;
    let chart =
        |by| counts_chart(by, counts, all_jurisdictions, &filters).expect("known dimension");
    let (by_category, by_stage, by_jurisdiction, by_cluster) = (
        chart("category"),
        chart("stage"),
        chart("jurisdiction"),
        chart("cluster"),
    );
    let total: i64 = counts
        .iter()
        .filter(|(d, _, _)| d == "stage")
        .map(|r| r.2)
        .sum();
    let operating: i64 = counts
        .iter()
        .filter(|(d, k, _)| d == "stage" && k == "operating")
        .map(|r| r.2)
        .sum();
    let grades = grades_chart(&data.grades, &filters);
    let revenue = leadership_revenue_chart(&data.revenue, &filters);
    let share = data.share;
    let break_even = break_even_share_chart(&share, &filters);
    let at_risk_total = data.at_risk.len();
    let at_risk = risk_rows(
        data.at_risk.iter().take(RISK_LIMIT).cloned().collect(),
        today,
    );
    let latest_published = data.latest_published;
    let mut ranking_filters = filters.clone();
    ranking_filters.year = data.ranking_year;
    let ranking_year = ranking_filters.year;
    let ranked_total = data.ranked_total;

    let kpis = vec![
        Kpi {
            label: "平台总数",
            value: total.to_string(),
            href: filters.platforms_link(&[]),
        },
        Kpi {
            label: "运行中",
            value: operating.to_string(),
            href: filters.platforms_link(&[("stage", "operating")]),
        },
        Kpi {
            label: "收支平衡占比",
            value: share.percent().map_or("—".into(), |p| format!("{p:.1}%")),
            href: filters.platforms_link(&[("balance", "yes")]),
        },
        Kpi {
            label: "风险平台",
            value: at_risk_total.to_string(),
            href: filters.platforms_link(&[("at_risk", "1")]),
        },
    ];
    let (jurisdictions, categories) = filter_options(all_jurisdictions);
    let print = q.print == "1";
    Ok(LeadershipPage {
        layout: Layout::for_user(&user, "leadership"),
        print,
        generated_at: local_time(&chrono::Utc::now())[..16].to_string(),
        year: filters.year,
        years: (2019.min(filters.year)..=today.year()).rev().collect(),
        jurisdictions,
        categories,
        filter_summary: summary(&filters, all_jurisdictions),
        print_href: format!("/leadership?{}&print=1", filters.query()),
        export_href: format!("/leadership/platforms.xlsx?{}", filters.query()),
        kpis,
        by_category,
        by_stage,
        by_jurisdiction,
        by_cluster,
        grades,
        revenue,
        break_even,
        at_risk,
        at_risk_total,
        at_risk_href: filters.platforms_link(&[("at_risk", "1")]),
        ranking: data
            .ranked
            .iter()
            .cloned()
            .map(|r| RankRow {
                id: r.id,
                rank: r.rank.map_or("—".into(), |n| n.to_string()),
                code: r.code,
                name: r.name,
                jurisdiction: r.jurisdiction,
                score: r.total_score.map_or("—".into(), |s| format!("{s:.1}")),
                grade: charts::grade_label(r.grade.as_deref()),
                grade_code: r.grade.unwrap_or_default(),
            })
            .collect(),
        ranked_total,
        ranking_href: ranking_filters.platforms_link(&[("graded", "1")]),
        ranking_year,
        latest_published,
        support_potential: support_totals
            .potential
            .iter()
            .map(|&(p, platforms, amount, up_to)| PotentialRow {
                id: p.id,
                name: p.name_zh,
                pack: p.pack.label_zh(),
                draft: p.pack.is_draft(),
                platforms,
                amount: match amount {
                    None => "—".into(),
                    Some(a) if up_to => format!("最高 {}", wan(a)),
                    Some(a) => wan(a),
                },
            })
            .collect(),
        support_granted: support_totals
            .granted
            .iter()
            .map(|g| GrantedRow {
                year: g.year,
                name: support::programme(&g.programme)
                    .map_or(g.programme.clone(), |p| p.name_zh.to_owned()),
                claims: g.claims,
                granted: wan(g.granted_yuan),
                paid: wan(g.paid_yuan),
                recovered: wan(g.recovered_yuan),
            })
            .collect(),
        q,
    })
}

// ---- the drill-down list ------------------------------------------------------------------------

pub struct DrillView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub category: &'static str,
    pub stage: &'static str,
    pub stage_code: String,
    pub self_generated: String,
    pub expenditure: String,
    pub ratio: String,
    pub balanced: bool,
    pub score: String,
    pub rank: String,
    pub grade: &'static str,
}

impl From<DrillRow> for DrillView {
    fn from(r: DrillRow) -> DrillView {
        let money = |v: Option<i64>| v.map_or("—".into(), crate::domain::money::wan);
        let ratio = self_sufficiency_of(r.self_generated, r.expenditure);
        DrillView {
            id: r.id,
            category: category_label(r.category.as_deref()),
            stage: stage_label(&r.stage),
            stage_code: r.stage,
            self_generated: money(r.self_generated),
            expenditure: money(r.expenditure),
            ratio: ratio.map_or("—".into(), |v| format!("{v:.2}")),
            balanced: ratio.is_some_and(|v| v >= 1.0),
            score: r.total_score.map_or("—".into(), |s| format!("{s:.1}")),
            rank: r.rank.map_or("—".into(), |n| n.to_string()),
            grade: charts::grade_label(r.grade.as_deref()),
            code: r.code,
            name: r.name,
            jurisdiction: r.jurisdiction,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboards/platforms.html")]
pub struct DrillPage {
    pub layout: Layout,
    pub year: i32,
    pub title: String,
    pub criteria: Vec<String>,
    pub rows: Vec<DrillView>,
    pub pagination: Pagination,
    pub back_href: String,
    pub export_href: String,
}

/// What a drill-down query selects, and the criteria in words (first the dashboard's filters).
fn drill_criteria(
    q: &LeadershipQuery,
    filters: &Filters,
    all_jurisdictions: &[Jurisdiction],
) -> (DrillDown, Vec<String>) {
    let keep = |v: &str, ok: bool| ok.then(|| v.to_string());
    let d = DrillDown {
        stage: keep(&q.stage, Stage::parse(&q.stage).is_some()),
        cluster: keep(
            &q.cluster,
            q.cluster == UNSET || Cluster::parse(&q.cluster).is_some(),
        ),
        grade: keep(&q.grade, Grade::parse(&q.grade).is_some()),
        balance: keep(&q.balance, Balance::parse(&q.balance).is_some()),
        at_risk: q.at_risk == "1",
        with_figures: q.figures == "1",
        graded: q.graded == "1",
    };
    let mut criteria = vec![summary(filters, all_jurisdictions)];
    if let Some(s) = &d.stage {
        criteria.push(format!("阶段：{}", stage_label(s)));
    }
    if let Some(c) = &d.cluster {
        criteria.push(format!(
            "产业集群：{}",
            Cluster::parse(c).map_or("未设置", Cluster::label_zh)
        ));
    }
    if let Some(g) = &d.grade {
        criteria.push(format!(
            "{}年度评估等次：{}",
            filters.year,
            charts::grade_label(Some(g))
        ));
    }
    if let Some(b) = &d.balance {
        criteria.push(format!(
            "{}年度{}",
            filters.year,
            match Balance::parse(b) {
                Some(Balance::NoFigures) => "无收支数据的运行中平台",
                Some(b) => b.label_zh(),
                None => "",
            }
        ));
    }
    if d.at_risk {
        criteria.push("风险平台（转型期限已过或临近仍未收支平衡，或存在整改风险）".into());
    }
    if d.with_figures {
        criteria.push(format!("{}年度有收支数据", filters.year));
    }
    if d.graded {
        criteria.push(format!("{}年度已发布评估结果（按排名）", filters.year));
    }
    (d, criteria)
}

/// `/leadership/platforms`: the platforms behind a dashboard figure the registry cannot filter
/// (a grade in a year, break-even in a year, at risk, with figures in a year, "not set").
pub async fn drill_down(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<LeadershipQuery>,
) -> AppResult<DrillPage> {
    let pool = &state.db;
    let View {
        filters,
        f,
        reference,
        ..
    } = view(&state, &user, &q).await?;
    let (d, criteria) = drill_criteria(&q, &filters, &reference.jurisdictions);
    let pairs = [
        ("year", filters.year.to_string()),
        (
            "jurisdiction",
            filters
                .jurisdiction
                .map(|j| j.to_string())
                .unwrap_or_default(),
        ),
        ("category", filters.category.clone().unwrap_or_default()),
        ("stage", d.stage.clone().unwrap_or_default()),
        ("cluster", d.cluster.clone().unwrap_or_default()),
        ("grade", d.grade.clone().unwrap_or_default()),
        ("balance", d.balance.clone().unwrap_or_default()),
        (
            "at_risk",
            if d.at_risk { "1".into() } else { String::new() },
        ),
        (
            "figures",
            if d.with_figures {
                "1".into()
            } else {
                String::new()
            },
        ),
        ("graded", if d.graded { "1".into() } else { String::new() }),
    ];
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut pagination = Pagination::new(q.page, 50, query_string(&pairs)).with_size(q.size);
    let key = format!(
        "{}&page={}&size={}",
        pagination.base_query, pagination.page, pagination.per_page
    );
    let (limit, offset) = (pagination.per_page, pagination.offset());
    let page = state
        .cache
        .get("drill_down", &user, key, async {
            let (rows, total) = db::drill_down(pool, &f, &d, limit, offset).await?;
            Ok(Page { rows, total })
        })
        .await?;
    pagination.total = page.total;
    let rows = page.rows.clone();
    Ok(DrillPage {
        layout: Layout::for_user(&user, "leadership"),
        year: filters.year,
        title: "平台明细".into(),
        criteria,
        rows: rows.into_iter().map(DrillView::from).collect(),
        export_href: format!("/leadership/platforms.xlsx?{}", query_string(&pairs)),
        pagination,
        back_href: format!("/leadership?{}", filters.query()),
    })
}

/// `GET /leadership/platforms.xlsx`: the drill-down list with the same query, every row.
pub async fn drill_down_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<LeadershipQuery>,
    RawQuery(raw): RawQuery,
) -> AppResult<Response> {
    let pool = &state.db;
    let View {
        filters,
        f,
        reference,
        ..
    } = view(&state, &user, &q).await?;
    let (d, criteria) = drill_criteria(&q, &filters, &reference.jurisdictions);
    let key = format!("{}&all", filters.query());
    let all = state
        .cache
        .get("drill_down_xlsx", &user, format!("{key}&{d:?}"), async {
            Ok(db::drill_down(pool, &f, &d, i64::MAX, 0).await?.0)
        })
        .await?;
    let rows = all.as_ref().clone();
    xlsx::audit_export(
        pool,
        &user,
        "leadership_platforms",
        raw.as_deref(),
        rows.len(),
    )
    .await?;
    let year = filters.year;
    let own = format!("{year}年自主收入（元）");
    let spent = format!("{year}年支出（元）");
    let columns = [
        ("平台编号", 14.0),
        ("平台名称", 36.0),
        ("地区", 10.0),
        ("功能定位", 12.0),
        ("阶段", 10.0),
        (own.as_str(), 18.0),
        (spent.as_str(), 16.0),
        ("自给率", 10.0),
        ("总分", 10.0),
        ("排名", 8.0),
        ("等次", 8.0),
    ];
    let cells = rows.into_iter().map(|r| {
        let ratio = self_sufficiency_of(r.self_generated, r.expenditure);
        vec![
            r.code.into(),
            r.name.into(),
            r.jurisdiction.into(),
            category_label(r.category.as_deref()).into(),
            stage_label(&r.stage).into(),
            opt(r.self_generated, Cell::Yuan),
            opt(r.expenditure, Cell::Yuan),
            opt(ratio, Cell::Decimal),
            opt(r.total_score, Cell::Decimal),
            opt(r.rank, |n| Cell::Int(n.into())),
            r.grade
                .as_deref()
                .map_or(Cell::Blank, |g| charts::grade_label(Some(g)).into()),
        ]
    });
    xlsx::build(|b| {
        b.sheet("平台明细", &columns, cells)?;
        b.sheet(
            "筛选条件",
            &[("条件", 60.0)],
            criteria.into_iter().map(|c| vec![Cell::Text(c)]),
        )
    })?
    .download(
        &format!("platforms-{year}.xlsx"),
        &format!("{year}年度平台明细.xlsx"),
    )
}
