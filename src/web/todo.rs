//! 我的待办: what each role has to do next, in groups with counts, each item a link to where it is
//! handled. Operators, advisors and experts land here (`/`); staff land on the workbench, whose
//! top sections are the same groups built by [`groups_for`] (the review queue with registrations
//! waiting for approval, everything overdue, open rectification cases).
//!
//! - operator: filings and evaluations returned for correction (with how long overdue), steps of
//!   the annual cycle due within 30 days or overdue, open checklist items, open rectification cases;
//! - advisor: assigned platforms due or overdue for a service visit (OPS-ADVISOR's
//!   `max_log_gap_days`, 183 days by default; due = within 30 days of it);
//! - expert: assignments waiting for a declaration or scores in an open round;
//! - staff: the review queue, everything overdue (`db::notices::overdue`, the one definition),
//!   open rectification cases.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use chrono::NaiveDate;

use super::auth::CurrentUser;
use super::dashboards::cycle_deadlines;
use super::layout::{Layout, local_time};
use super::links;
use super::notices::OverdueDigest;
use crate::clock::today;
use crate::db::dashboards::{self as dash, Filter};
use crate::db::evaluations::{self as evals, MyAssignment};
use crate::db::notices::{self, OverdueKind};
use crate::db::{rule_params, todo as db};
use crate::domain::annual::Step;
use crate::domain::calendar::beijing_date;
use crate::domain::compliance::catalogue::ADVISOR_MAX_LOG_GAP_DAYS;
use crate::domain::evaluation::RoundStatus;
use crate::domain::role::Role;
use crate::domain::scope::PlatformScope;
use crate::error::AppResult;
use crate::state::AppState;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // Each user's own to-do list (scoped by their role's data scope; empty for roles
        // without platform work), in-app notices (each user's own) and the staff's overdue list.
        get( "/todo", SignedIn, page),
    ]
}

/// Rows shown per group (the count says how many there are).
pub const GROUP_LIMIT: usize = 100;
/// How far ahead a step counts as due, and how early a visit counts as due.
pub const DUE_SOON_DAYS: i64 = 30;

/// One thing to do.
#[derive(Clone)]
pub struct TodoItem {
    pub what: String,
    /// `(id, "code name")` of the platform, if any.
    pub platform: Option<(i64, String)>,
    /// A date (submitted on, due on…), as the group's date column says.
    pub when: String,
    /// The status chip: CSS classes and the Chinese word.
    pub chip: Option<(&'static str, String)>,
    pub href: String,
}

/// A group of the to-do list, with its count.
#[derive(Clone)]
pub struct TodoGroup {
    /// The article's id (`review-queue`, `overdue`, …).
    pub id: &'static str,
    pub title: &'static str,
    pub date_label: &'static str,
    pub action: &'static str,
    /// How many there are (more than `items` when truncated).
    pub count: usize,
    pub items: Vec<TodoItem>,
    /// `(what, how many)` by kind (the overdue group).
    pub summary: Vec<(String, usize)>,
    pub empty: &'static str,
}

impl TodoGroup {
    fn new(
        id: &'static str,
        title: &'static str,
        date_label: &'static str,
        empty: &'static str,
        mut items: Vec<TodoItem>,
    ) -> TodoGroup {
        let count = items.len();
        items.truncate(GROUP_LIMIT);
        TodoGroup {
            id,
            title,
            date_label,
            action: "去处理",
            count,
            items,
            summary: Vec::new(),
            empty,
        }
    }

    pub fn truncated(&self) -> bool {
        self.count > self.items.len()
    }
}

fn chip(class: &'static str, word: impl Into<String>) -> Option<(&'static str, String)> {
    Some((class, word.into()))
}

fn late_chip(days: i64) -> Option<(&'static str, String)> {
    chip("status status-fail", format!("已逾期 {days} 天"))
}

fn platform_label(id: i64, code: &str, name: &str) -> Option<(i64, String)> {
    Some((id, format!("{code} {name}")))
}

/// Whether an expert's assignment waits for them: the round is open and they have not declared,
/// or declared no conflict and not yet submitted scores.
pub fn needs_action(a: &MyAssignment) -> bool {
    let s = a.state();
    a.round() == RoundStatus::Open
        && (s.conflict.is_none() || (s.conflict == Some(false) && !s.submitted))
}

/// The overdue group, from THE definition of overdue (the 逾期事项 page lists the same).
pub fn overdue_group(digest: &OverdueDigest, with_platform: bool) -> TodoGroup {
    let items = digest
        .all
        .rows
        .iter()
        .map(|o| TodoItem {
            what: match o.kind {
                OverdueKind::Step { .. } => o.kind_zh(),
                OverdueKind::Checklist => format!("清单事项：{}", o.title),
                OverdueKind::Rectification => o.what_zh(),
            },
            platform: with_platform
                .then(|| platform_label(o.platform_id, &o.platform_code, &o.platform_name))
                .flatten(),
            when: o.due.to_string(),
            chip: late_chip(o.days_late),
            href: links::overdue(o),
        })
        .collect();
    let mut g = TodoGroup::new("overdue", "逾期事项", "截止日", "没有逾期事项。", items);
    g.count = digest.all.total;
    g.summary = digest.by_kind.clone();
    g
}

fn cases_group(cases: Vec<db::OpenCase>, today: NaiveDate, with_platform: bool) -> TodoGroup {
    let items = cases
        .into_iter()
        .map(|c| TodoItem {
            what: "整改中".into(),
            platform: with_platform
                .then(|| platform_label(c.platform_id, &c.platform_code, &c.platform_name))
                .flatten(),
            when: c.deadline.map(|d| d.to_string()).unwrap_or_default(),
            chip: match c.deadline {
                Some(d) if d < today => late_chip((today - d).num_days()),
                Some(d) => chip(
                    "status status-open",
                    format!("还剩 {} 天", (d - today).num_days()),
                ),
                None => chip("status status-open", "未定期限"),
            },
            href: format!("/platforms/{}/rectification/{}", c.platform_id, c.id),
        })
        .collect();
    TodoGroup::new(
        "rectification",
        "整改中的平台",
        "整改期限",
        "没有进行中的整改。",
        items,
    )
}

/// The staff's review queue: filings, mid-year reports and evaluations to review, decisions to
/// sign off, registrations waiting for approval.
async fn review_group(state: &AppState, user: &CurrentUser, f: &Filter) -> AppResult<TodoGroup> {
    let today = f.today;
    let items = dash::review_queue(&state.db, f, user.id, user.is_city_staff)
        .await?
        .into_iter()
        .map(|q| {
            let year = q.year.unwrap_or_default();
            let pid = q.platform_id;
            let (what, href) = match q.kind.as_str() {
                "filing" => (
                    format!("{year}年度年初备案待审核"),
                    format!("/platforms/{pid}/annual?year={year}"),
                ),
                "evaluation" => (
                    format!("{year}年度年底评估待审核"),
                    format!("/platforms/{pid}/evaluation?year={year}"),
                ),
                "midyear" => (
                    format!("{year}年度半年报告待过堂"),
                    format!("/platforms/{pid}/midyear?year={year}"),
                ),
                "registration" => (
                    "设立登记待审批".to_string(),
                    format!("/platforms/{pid}/registration"),
                ),
                _ => (
                    "退转并留决定待会签".to_string(),
                    format!(
                        "/platforms/{pid}/rectification/{}",
                        q.ref_id.unwrap_or_default()
                    ),
                ),
            };
            let waited = q.since.map_or(0, |t| (today - beijing_date(&t)).num_days());
            TodoItem {
                what,
                href,
                when: q
                    .since
                    .map(|t| local_time(&t)[..10].to_string())
                    .unwrap_or_default(),
                chip: chip("status status-submitted", format!("已等待 {waited} 天")),
                platform: platform_label(pid, &q.code, &q.name),
            }
        })
        .collect();
    Ok(TodoGroup::new(
        "review-queue",
        "待我审核",
        "提交时间",
        "暂无待审核事项。平台提交年初备案、半年报告、年度评估材料或设立登记，或他人提出退转并留决定后，会出现在这里。",
        items,
    ))
}

/// The filter of the cross-platform queries for this user on `today`.
pub fn filter_of(user: &CurrentUser, today: NaiveDate, months: u32) -> Filter {
    Filter {
        scope: user.scope,
        jurisdiction: None,
        category: None,
        year: crate::domain::calendar::last_complete_year(today),
        today,
        transition_months: months,
    }
}

/// The staff's groups (the top of the workbench and their /todo).
pub async fn staff_groups(
    state: &AppState,
    user: &CurrentUser,
    f: &Filter,
) -> AppResult<Vec<TodoGroup>> {
    let review = review_group(state, user, f).await?;
    let overdue = super::notices::overdue_in_scope(state, user, f.today).await?;
    let mut conn = state.db.acquire().await?;
    let cases = db::open_cases(&mut conn, user.scope).await?;
    Ok(vec![
        review,
        overdue_group(&overdue, true),
        cases_group(cases, f.today, true),
    ])
}

async fn operator_groups(
    state: &AppState,
    platform_id: i64,
    today: NaiveDate,
) -> AppResult<Vec<TodoGroup>> {
    let scope = PlatformScope::Platform(platform_id);
    let mut conn = state.db.acquire().await?;
    let overdue = notices::overdue(&mut conn, scope, today).await?;
    let late_of = |step: Step, year: i32| {
        overdue
            .iter()
            .find_map(|o| (o.kind == OverdueKind::Step { step, year }).then_some(o.days_late))
    };

    // Returned for correction, with how long overdue where the deadline has passed.
    let returned: Vec<TodoItem> = db::returned(&mut conn, platform_id)
        .await?
        .into_iter()
        .map(|r| {
            let step = if r.step == "filing" {
                Step::Filing
            } else {
                Step::Yearend
            };
            let mut what = format!("{} 年度{}被退回，请修改后重新提交", r.year, step.label_zh());
            if !r.comment.trim().is_empty() {
                what.push_str(&format!("（审核意见：{}）", r.comment.trim()));
            }
            TodoItem {
                what,
                platform: None,
                when: r
                    .returned_at
                    .map(|t| local_time(&t)[..10].to_string())
                    .unwrap_or_default(),
                chip: match late_of(step, r.year) {
                    Some(days) => late_chip(days),
                    None => chip("status status-returned", "已退回"),
                },
                href: links::step(step, platform_id, r.year),
            }
        })
        .collect();

    // Due within 30 days or overdue, not returned (those are above).
    let mut due: Vec<TodoItem> = overdue
        .iter()
        .filter(|o| o.is_step() && !o.returned)
        .map(|o| TodoItem {
            what: format!("{}{}", o.what_zh(), o.state_zh()),
            platform: None,
            when: o.due.to_string(),
            chip: late_chip(o.days_late),
            href: links::overdue(o),
        })
        .collect();
    drop(conn);
    let horizon = today + chrono::Duration::days(DUE_SOON_DAYS);
    let steps: Vec<_> = cycle_deadlines(&state.db, today)
        .await?
        .into_iter()
        .filter(|(_, _, d)| *d >= today && *d <= horizon)
        .collect();
    let f = Filter {
        scope,
        jurisdiction: None,
        category: None,
        year: crate::domain::calendar::last_complete_year(today),
        today,
        transition_months: 0,
    };
    let (soon, _) = dash::missing_steps(&state.db, &f, &steps, GROUP_LIMIT as i64).await?;
    due.extend(soon.into_iter().map(|s| {
        let step = match s.step.as_str() {
            "filing" => Step::Filing,
            "midyear" => Step::Midyear,
            _ => Step::Yearend,
        };
        let left = (s.deadline - today).num_days();
        TodoItem {
            what: format!("{} 年度{}待提交", s.year, step.label_zh()),
            platform: None,
            when: s.deadline.to_string(),
            chip: if left == 0 {
                chip("status status-warn", "今天截止")
            } else {
                chip(
                    if left <= 3 {
                        "status status-warn"
                    } else {
                        "status status-info"
                    },
                    format!("还剩 {left} 天"),
                )
            },
            href: links::step(step, platform_id, s.year),
        }
    }));

    let mut conn = state.db.acquire().await?;
    let items: Vec<TodoItem> = db::open_items(&mut conn, scope)
        .await?
        .into_iter()
        .map(|i| TodoItem {
            what: i.title,
            platform: None,
            when: i.due_date.map(|d| d.to_string()).unwrap_or_default(),
            chip: match i.due_date {
                Some(d) if d < today => late_chip((today - d).num_days()),
                Some(_) => chip("status status-open", "待落实"),
                None => chip("status status-open", "未定期限"),
            },
            href: format!("/platforms/{}/checklist/{}", i.platform_id, i.id),
        })
        .collect();
    let cases = db::open_cases(&mut conn, scope).await?;
    Ok(vec![
        TodoGroup::new(
            "returned",
            "被退回待修改",
            "退回时间",
            "没有被退回的材料。",
            returned,
        ),
        TodoGroup::new(
            "due",
            "待提交（30 天内截止或已逾期）",
            "截止日",
            "近 30 天内没有需要提交的年度考核材料，也没有逾期未交的材料。",
            due,
        ),
        TodoGroup::new(
            "checklist",
            "清单待办",
            "完成期限",
            "清单上没有未落实的事项。",
            items,
        ),
        cases_group(cases, today, false),
    ])
}

async fn advisor_groups(
    state: &AppState,
    user: &CurrentUser,
    today: NaiveDate,
) -> AppResult<Vec<TodoGroup>> {
    let mut conn = state.db.acquire().await?;
    let max = i64::from(
        rule_params::in_force(&mut conn, today)
            .await?
            .get(&ADVISOR_MAX_LOG_GAP_DAYS)
            .0,
    );
    let items = db::advised_platforms(&mut conn, user.id)
        .await?
        .into_iter()
        .filter_map(|p| {
            let chip = match p.last_visit {
                None => chip("status status-warn", "尚无服务记录"),
                Some(last) => {
                    let next = last + chrono::Duration::days(max);
                    let left = (next - today).num_days();
                    if left < 0 {
                        late_chip(-left)
                    } else if left <= DUE_SOON_DAYS {
                        chip("status status-warn", format!("{left} 天内应走访"))
                    } else {
                        return None;
                    }
                }
            };
            Some(TodoItem {
                what: "开展服务并登记服务日志".into(),
                platform: platform_label(p.id, &p.code, &p.name),
                when: p.last_visit.map(|d| d.to_string()).unwrap_or_default(),
                chip,
                href: format!("/platforms/{}/operation#visits", p.id),
            })
        })
        .collect();
    let mut g = TodoGroup::new(
        "visits",
        "待走访平台",
        "最近一次服务",
        "您负责的平台近期都已走访，暂无需要走访的平台。",
        items,
    );
    g.action = "登记走访";
    Ok(vec![g])
}

async fn expert_groups(state: &AppState, user: &CurrentUser) -> AppResult<Vec<TodoGroup>> {
    let mut conn = state.db.acquire().await?;
    let items = evals::my_assignments(&mut conn, user.id)
        .await?
        .into_iter()
        .filter(needs_action)
        .map(|a| TodoItem {
            what: format!(
                "{} 年度评估：{}",
                a.year,
                if a.conflict.is_none() {
                    "请先申报利益冲突，再评分"
                } else {
                    "请评分并提交"
                }
            ),
            platform: platform_label(a.platform_id, &a.platform_code, &a.platform_name),
            when: local_time(&a.assigned_at)[..10].to_string(),
            chip: chip("status status-open", a.state().state_zh()),
            href: format!("/expert/assignments/{}", a.id),
        })
        .collect();
    let mut g = TodoGroup::new(
        "assignments",
        "待评审任务",
        "分配时间",
        "您当前没有待完成的评审任务。年底评估开始后，分配给您的评审任务将显示在这里。",
        items,
    );
    g.action = "去评审";
    Ok(vec![g])
}

/// The signed-in user's to-do groups (none for roles without platform work).
pub async fn groups_for(state: &AppState, user: &CurrentUser) -> AppResult<Vec<TodoGroup>> {
    let today = today();
    match (user.role, user.platform_id) {
        (Some(Role::Operator), Some(pid)) => operator_groups(state, pid, today).await,
        (Some(Role::Advisor), _) => advisor_groups(state, user, today).await,
        (Some(Role::Expert), _) => expert_groups(state, user).await,
        (Some(Role::Staff), _) => {
            let months = dash::transition_months(&state.db, today).await?;
            staff_groups(state, user, &filter_of(user, today, months)).await
        }
        _ => Ok(Vec::new()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "todo/page.html")]
pub struct TodoPage {
    pub layout: Layout,
    pub today: String,
    pub groups: Vec<TodoGroup>,
    /// Everything to do, over the groups.
    pub total: usize,
    pub notice: &'static str,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct TodoQuery {
    notice: String,
}

/// `GET /todo`: my to-do list.
pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    super::forms::Query(q): super::forms::Query<TodoQuery>,
) -> AppResult<TodoPage> {
    let groups = groups_for(&state, &user).await?;
    Ok(TodoPage {
        layout: Layout::for_user(&user, "todo"),
        today: today().to_string(),
        total: groups.iter().map(|g| g.count).sum(),
        groups,
        notice: if q.notice == "password_changed" {
            "密码已修改。"
        } else {
            ""
        },
    })
}
