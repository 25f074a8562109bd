//! The leadership dashboard (领导驾驶舱) and its charts' data.

use super::*;

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
        let latest = crate::domain::calendar::last_complete_year(today);
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

pub(super) fn summary(f: &Filters, all: &[Jurisdiction]) -> String {
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
pub(super) struct View {
    pub(super) today: NaiveDate,
    pub(super) months: u32,
    pub(super) filters: Filters,
    pub(super) f: Filter,
    pub(super) reference: Arc<Reference>,
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

pub(super) async fn view(
    state: &AppState,
    user: &CurrentUser,
    q: &LeadershipQuery,
) -> AppResult<View> {
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
                grade: r.grade.map_or("—", Grade::label_zh),
                grade_code: r.grade.map(|g| g.as_str().to_string()).unwrap_or_default(),
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
