//! The year-end summary (a partial of the platform pages).

use super::*;

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
            self.reward = crate::web::evaluation_round::thousands(y);
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

pub(super) fn summary_of(
    platform_id: i64,
    year: i32,
    e: Option<&Evaluation>,
    config: &AnnualConfig,
    round: RoundStatus,
) -> YearendSummary {
    let graded = e.is_some_and(|e| e.status() == EvalStatus::Scored);
    YearendSummary {
        platform_id,
        year,
        status_label: e.map_or("未填报", |e| e.status.label_zh()),
        status: e.map(|e| e.status.as_str().to_owned()).unwrap_or_default(),
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
        grade: grade_label(e.and_then(|e| e.grade)),
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
