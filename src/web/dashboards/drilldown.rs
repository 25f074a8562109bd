//! The drill-down list behind the dashboards' figures (平台明细).

use super::*;

// ---- the drill-down list ------------------------------------------------------------------------

pub struct DrillView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub category: &'static str,
    pub stage: &'static str,
    pub stage_code: Stage,
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
            category: r.category.map_or("未设置", Category::label_zh),
            stage: r.stage.label_zh(),
            stage_code: r.stage,
            self_generated: money(r.self_generated),
            expenditure: money(r.expenditure),
            ratio: ratio.map_or("—".into(), |v| format!("{v:.2}")),
            balanced: ratio.is_some_and(|v| v >= 1.0),
            score: r.total_score.map_or("—".into(), |s| format!("{s:.1}")),
            rank: r.rank.map_or("—".into(), |n| n.to_string()),
            grade: r.grade.map_or("—", Grade::label_zh),
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
            Grade::parse(g).map_or("—", Grade::label_zh)
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

/// The dashboard's view of a query and the drill-down's criteria in it (the list and its export
/// read the same).
async fn drill_view(
    state: &AppState,
    user: &CurrentUser,
    q: &LeadershipQuery,
) -> AppResult<(View, DrillDown, Vec<String>)> {
    let view = view(state, user, q).await?;
    let (d, criteria) = drill_criteria(q, &view.filters, &view.reference.jurisdictions);
    Ok((view, d, criteria))
}

/// `/leadership/platforms`: the platforms behind a dashboard figure the registry cannot filter
/// (a grade in a year, break-even in a year, at risk, with figures in a year, "not set").
pub async fn drill_down(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<LeadershipQuery>,
) -> AppResult<DrillPage> {
    let pool = &state.db;
    let (View { filters, f, .. }, d, criteria) = drill_view(&state, &user, &q).await?;
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
    let key = pagination.cache_key();
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
    let (View { filters, f, .. }, d, criteria) = drill_view(&state, &user, &q).await?;
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
            r.category.map_or("未设置", Category::label_zh).into(),
            r.stage.label_zh().into(),
            opt(r.self_generated, Cell::Yuan),
            opt(r.expenditure, Cell::Yuan),
            opt(ratio, Cell::Decimal),
            opt(r.total_score, Cell::Decimal),
            opt(r.rank, |n| Cell::Int(n.into())),
            r.grade.map_or(Cell::Blank, |g| g.label_zh().into()),
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
