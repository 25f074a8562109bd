//! The dashboard on a platform's overview.

use super::*;

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
