//! The list of years with their rounds.

use super::*;

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
            status: status.unwrap_or(RoundStatus::Open).label_zh(),
            count,
        })
        .collect();
    Ok(IndexPage {
        layout: Layout::for_user(&user, "evaluations"),
        years,
        current: rules::default_year(today()),
    })
}
