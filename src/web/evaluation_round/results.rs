//! The published results and their export.

use super::*;

// ---- results -----------------------------------------------------------------------------------------

pub struct ResultLine {
    pub rank: Option<i32>,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub category: &'static str,
    pub dimensions: Vec<Option<f64>>,
    pub total: Option<f64>,
    pub grade: &'static str,
    pub grade_code: &'static str,
    pub reward: Option<i64>,
    pub coefficient: Option<f64>,
}

impl ResultLine {
    pub fn rank_text(&self) -> String {
        self.rank.map(|r| r.to_string()).unwrap_or_default()
    }
    pub fn dimension_texts(&self) -> Vec<String> {
        self.dimensions
            .iter()
            .map(|d| d.map(display).unwrap_or_else(|| "—".into()))
            .collect()
    }
    pub fn total_text(&self) -> String {
        self.total.map(display).unwrap_or_else(|| "—".into())
    }
    pub fn reward_text(&self) -> String {
        self.reward.map(thousands).unwrap_or_else(|| "—".into())
    }
    pub fn coefficient_text(&self) -> String {
        self.coefficient
            .map(|c| format!("{c:.2}"))
            .unwrap_or_else(|| "—".into())
    }
}

/// Whole yuan with thousands separators: 500,000.
pub(crate) fn thousands(yuan: i64) -> String {
    let digits = yuan.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if yuan < 0 { format!("-{out}") } else { out }
}

/// The results the user may see: graded evaluations of the year in scope, by rank.
async fn result_lines(
    conn: &mut PgConnection,
    user: &CurrentUser,
    year: i32,
) -> AppResult<(Vec<ResultLine>, Vec<(String, String, String)>)> {
    let rows = db::list_year(conn, year, user.scope).await?;
    let mut graded: Vec<&RoundRow> = rows
        .iter()
        .filter(|r| r.status() == EvalStatus::Scored)
        .collect();
    graded.sort_by(|a, b| {
        a.rank
            .unwrap_or(i32::MAX)
            .cmp(&b.rank.unwrap_or(i32::MAX))
            .then_with(|| a.code.cmp(&b.code))
    });
    let lines = graded
        .into_iter()
        .map(|r| {
            let detail = r.detail();
            ResultLine {
                rank: r.rank,
                code: r.code.clone(),
                name: r.name.clone(),
                jurisdiction: r.jurisdiction_name.clone(),
                category: category_label(r.category),
                dimensions: Dimension::ALL
                    .iter()
                    .map(|d| detail.as_ref().and_then(|x| x.score.dimension_score(*d)))
                    .collect(),
                total: r.total_score,
                grade: grade_label(r.grade),
                grade_code: r.grade.map(Grade::as_str).unwrap_or_default(),
                reward: r.reward_yuan,
                coefficient: r.funding_coefficient,
            }
        })
        .collect();
    let excluded = rows
        .iter()
        .filter(|r| r.status() == EvalStatus::Excluded)
        .map(|r| (r.code.clone(), r.name.clone(), r.excluded_reason.clone()))
        .collect();
    Ok((lines, excluded))
}

#[derive(Template, WebTemplate)]
#[template(path = "evaluation/results.html")]
pub struct ResultsPage {
    pub layout: Layout,
    pub year: i32,
    pub status: String,
    pub status_label: &'static str,
    pub dimension_labels: Vec<&'static str>,
    pub rows: Vec<ResultLine>,
    pub excluded: Vec<(String, String, String)>,
    pub notice_period: String,
    /// The print view (`?print=1`): the results as an A4 document under the bureau's seal.
    pub print: bool,
}

/// `GET /evaluations/{year}/results`.
pub async fn results(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<i32>,
    Query(pq): Query<crate::web::print::PrintQuery>,
) -> AppResult<ResultsPage> {
    let year = valid_year(year)?;
    let mut conn = state.db.acquire().await?;
    let round = db::round(&mut conn, year).await?;
    let (rows, excluded) = result_lines(&mut conn, &user, year).await?;
    Ok(ResultsPage {
        layout: Layout::for_user(&user, "evaluations"),
        year,
        status: round.status.as_str().to_owned(),
        status_label: round.status().label_zh(),
        dimension_labels: Dimension::ALL.iter().map(|d| d.label_zh()).collect(),
        rows,
        excluded,
        notice_period: match (round.notice_starts, round.notice_ends) {
            (Some(s), Some(e)) => format!("{s} 至 {e}"),
            _ => String::new(),
        },
        print: pq.on(),
    })
}

/// `GET /evaluations/{year}/results.xlsx`: exactly the rows of the results page, as an Excel workbook.
pub async fn results_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<i32>,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let mut conn = state.db.acquire().await?;
    let (rows, _) = result_lines(&mut conn, &user, year).await?;
    drop(conn);
    let what = format!("evaluation_results_{year}");
    xlsx::audit_export(&state.db, &user, &what, None, rows.len()).await?;
    let mut columns: Vec<xlsx::Column> = vec![
        ("排名", 6.0),
        ("平台编号", 14.0),
        ("平台名称", 36.0),
        ("所属地区", 12.0),
        ("功能定位", 12.0),
    ];
    columns.extend(Dimension::ALL.iter().map(|d| (d.label_zh(), 12.0)));
    columns.extend([
        ("总分", 10.0),
        ("等次", 8.0),
        ("奖励建议（元）", 14.0),
        ("下年度经费系数", 14.0),
    ]);
    let cells = rows.into_iter().map(|r| {
        let mut cells = vec![
            opt(r.rank, |n| Cell::Int(n.into())),
            r.code.into(),
            r.name.into(),
            r.jurisdiction.into(),
            r.category.into(),
        ];
        cells.extend(
            r.dimensions
                .iter()
                .map(|d| d.map_or(Cell::from("—"), Cell::Decimal)),
        );
        cells.extend([
            opt(r.total, Cell::Decimal),
            r.grade.into(),
            opt(r.reward, Cell::Yuan),
            opt(r.coefficient, Cell::Decimal),
        ]);
        cells
    });
    xlsx::build(|b| b.sheet(&format!("{year}年度评估结果"), &columns, cells))?.download(
        &format!("evaluation-results-{year}.xlsx"),
        &format!("{year}年度评估结果.xlsx"),
    )
}
