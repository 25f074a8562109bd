//! The staff workbench (工作台).

use super::*;

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
    /// What the template shows below the frame (`today`, `groups` … read through `Deref`).
    pub data: WorkbenchData,
}

impl std::ops::Deref for WorkbenchPage {
    type Target = WorkbenchData;
    fn deref(&self) -> &WorkbenchData {
        &self.data
    }
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
pub(super) const RISK_LIMIT: usize = 20;

/// Rows shown per workbench section (the totals say how many there are).
const SECTION_LIMIT: i64 = 100;
/// How far ahead "upcoming" looks.
const UPCOMING_DAYS: i64 = 30;

/// What the workbench shows a staff member (everything but the frame), computed once per data version.
#[derive(Clone)]
pub struct WorkbenchData {
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
    Ok(WorkbenchPage {
        layout: Layout::for_user(&user, "workbench"),
        data: data.as_ref().clone(),
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
            stage: m.stage.label_zh(),
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
