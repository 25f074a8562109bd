//! The figures behind the three audiences' dashboards (PRODUCT.md "Screens"): the platform
//! dashboard, the staff workbench and the leadership dashboard. Every function is one set-based
//! query (a few for the platform overview) over the platforms in the user's scope — never a query
//! per platform — so a page costs the same number of round trips for 40 platforms or 2,000.
//!
//! Revenue and expenditure come from `platform_year_revenue` (migration 0013): the ledger's items
//! when the ledger has any for that year, else the self-reported totals — the same figures the
//! compliance snapshot uses — kept per platform and year by triggers, so no page sums ledger items.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::QueryAs;
use sqlx::{FromRow, PgPool, Postgres};

use crate::domain::annual::Step;
use crate::domain::compliance::catalogue::BREAK_EVEN_TRANSITION_MONTHS;
use crate::domain::compliance::snapshot::Channel;
use crate::domain::platform::{Category, Stage};
use crate::domain::scope::PlatformScope;
use crate::domain::scoring::Grade;
use crate::domain::transformation::{AT_RISK_WINDOW_MONTHS, Balance, self_sufficiency};

// ---- a platform's own figures ---------------------------------------------------------------

/// One year of a platform's (or, summed, of many platforms') revenue and expenditure, whole yuan.
#[derive(Debug, Clone, Default, PartialEq, FromRow)]
pub struct YearRevenue {
    pub year: i32,
    pub service_orders: i64,
    pub tech_contracts: i64,
    pub achievement_transfer: i64,
    pub gov_research_projects: i64,
    pub incubation_returns: i64,
    pub fiscal_subsidy: i64,
    pub expenditure: i64,
    pub self_generated: i64,
    /// Revenue from ledger items (else self-reported totals); for sums: platforms with a ledger.
    pub revenue_from_ledger: bool,
    /// Platforms with figures that year (1 for a single platform).
    pub platforms: i64,
}

impl YearRevenue {
    /// The five self-generated channels, in the order of [`Channel::ALL`].
    pub fn channels(&self) -> [(Channel, i64); 5] {
        [
            (Channel::ServiceOrders, self.service_orders),
            (Channel::TechContracts, self.tech_contracts),
            (Channel::AchievementTransfer, self.achievement_transfer),
            (Channel::GovResearchProjects, self.gov_research_projects),
            (Channel::IncubationReturns, self.incubation_returns),
        ]
    }

    /// Self-generated income ÷ expenditure ([`self_sufficiency`]); `None` without expenditure.
    pub fn ratio(&self) -> Option<f64> {
        self_sufficiency(self.self_generated, self.expenditure)
    }

    pub fn has_revenue(&self) -> bool {
        self.self_generated + self.fiscal_subsidy > 0
    }
}

/// A platform's years, oldest first.
pub async fn platform_years(pool: &PgPool, id: i64) -> Result<Vec<YearRevenue>, sqlx::Error> {
    sqlx::query_as(
        "SELECT year, service_orders, tech_contracts, achievement_transfer, gov_research_projects,
                incubation_returns, fiscal_subsidy, expenditure, self_generated, revenue_from_ledger,
                1::bigint AS platforms
         FROM platform_year_revenue WHERE platform_id = $1 ORDER BY year",
    )
    .bind(id)
    .fetch_all(pool)
    .await
}

/// A published evaluation result with its score by dimension (`dimension code → 0..=100`).
#[derive(Debug, Clone, FromRow)]
pub struct EvaluationResult {
    pub year: i32,
    pub total_score: Option<f64>,
    pub rank: Option<i32>,
    pub grade: Option<Grade>,
    pub dimensions: sqlx::types::Json<std::collections::BTreeMap<String, f64>>,
}

/// The platform's results of published rounds, oldest first. The dimension scores are read from
/// `score_detail` (a `ScoreDetail` with the score under `score`, or a bare `PlatformScore`).
pub async fn platform_evaluations(
    pool: &PgPool,
    id: i64,
) -> Result<Vec<EvaluationResult>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.year, e.total_score, e.rank, e.grade,
                coalesce((SELECT jsonb_object_agg(d ->> 'dimension', (d ->> 'score')::float8)
                          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(dims.v) = 'array' THEN dims.v ELSE '[]' END) d
                          WHERE jsonb_typeof(d -> 'score') = 'number'), '{}') AS dimensions
         FROM evaluations e
         JOIN evaluation_rounds r ON r.year = e.year AND r.status = 'published'
         CROSS JOIN LATERAL (SELECT coalesce(e.score_detail -> 'score' -> 'by_dimension',
                                             e.score_detail -> 'by_dimension') AS v) dims
         WHERE e.platform_id = $1 AND (e.total_score IS NOT NULL OR e.grade IS NOT NULL)
         ORDER BY e.year",
    )
    .bind(id)
    .fetch_all(pool)
    .await
}

/// The transformation months in force on `today` (rule parameter, else the catalogue default).
pub async fn transition_months(pool: &PgPool, today: NaiveDate) -> Result<u32, sqlx::Error> {
    Ok(
        super::rule_params::in_force(&mut *pool.acquire().await?, today)
            .await?
            .get(&BREAK_EVEN_TRANSITION_MONTHS)
            .0,
    )
}

#[derive(Debug, Clone, FromRow)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    pub actor_name: String,
    pub summary: String,
    pub to_stage: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, FromRow)]
pub struct ChecklistProgress {
    pub total: i64,
    /// Done or closed.
    pub finished: i64,
    pub open: i64,
    pub overdue: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct Visit {
    pub visit_date: NaiveDate,
    pub form: String,
    pub topics: String,
    pub advisor_name: String,
}

/// The platform dashboard's cards: latest timeline events, checklist progress, the advisor's latest
/// service logs and the findings by status.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    pub timeline: Vec<TimelineEvent>,
    pub checklist: ChecklistProgress,
    pub visits: Vec<Visit>,
    /// `(status, count)`.
    pub findings: Vec<(String, i64)>,
}

pub async fn platform_overview(
    pool: &PgPool,
    id: i64,
    today: NaiveDate,
) -> Result<Overview, sqlx::Error> {
    let timeline = sqlx::query_as(
        // People by display name (events of the system's own work read 系统).
        "SELECT e.at, COALESCE(u.display_name, un.display_name,
                               CASE WHEN e.actor_id IS NULL THEN '系统' ELSE e.actor_name END) AS actor_name,
                e.summary, e.to_stage
         FROM lifecycle_events e
         LEFT JOIN users u ON u.id = e.actor_id
         LEFT JOIN users un ON e.actor_id IS NULL AND un.username = e.actor_name
         WHERE e.platform_id = $1
         ORDER BY e.at DESC, e.id DESC LIMIT 5",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    let checklist = sqlx::query_as(
        "SELECT count(*) AS total, count(*) FILTER (WHERE status IN ('done', 'closed')) AS finished,
                count(*) FILTER (WHERE status = 'open') AS open,
                count(*) FILTER (WHERE status = 'open' AND due_date < $2) AS overdue
         FROM checklist_items WHERE platform_id = $1",
    )
    .bind(id)
    .bind(today)
    .fetch_one(pool)
    .await?;
    let visits = sqlx::query_as(
        "SELECT v.visit_date, v.form, v.topics, u.display_name AS advisor_name
         FROM advisor_visits v JOIN users u ON u.id = v.advisor_id
         WHERE v.platform_id = $1 ORDER BY v.visit_date DESC, v.id DESC LIMIT 3",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    let findings = sqlx::query_as(
        "SELECT status, count(*) FROM findings WHERE platform_id = $1 GROUP BY status",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    Ok(Overview {
        timeline,
        checklist,
        visits,
        findings,
    })
}

// ---- cross-platform figures -----------------------------------------------------------------

/// What a cross-platform figure covers: the user's scope, the dashboard's filters, the reference
/// year and today.
#[derive(Debug, Clone)]
pub struct Filter {
    pub scope: PlatformScope,
    pub jurisdiction: Option<i32>,
    /// A category code, or `"unset"` for platforms without one.
    pub category: Option<String>,
    pub year: i32,
    pub today: NaiveDate,
    pub transition_months: u32,
}

/// Code of the "not set" bucket of category and cluster filters.
pub const UNSET: &str = "unset";

/// The platforms in scope and filtered, as `sp`. Binds: `$1` all, `$2` county, `$3` platform,
/// `$4` advisor (the scope), `$5` jurisdiction filter, `$6` category filter, `$7` year,
/// `$8` today, `$9` transformation months, `$10` the at-risk window in months. Every cross-platform
/// query starts with it and binds
/// all nine through [`query`]; later binds start at `$11`.
const SCOPED: &str = "
    sp AS (SELECT p.* FROM platforms p
           WHERE ($1 OR p.jurisdiction_id = $2 OR p.id = $3 OR p.advisor_id = $4)
             AND ($5::int IS NULL OR p.jurisdiction_id = $5)
             AND ($6::text IS NULL OR coalesce(p.category, 'unset') = $6))";

/// SQL of [`crate::domain::transformation::is_break_even`] over the `self_generated` and
/// `expenditure` columns of `v` (a `platform_year_revenue` row).
fn is_break_even_sql(v: &str) -> String {
    format!("({v}.expenditure > 0 AND {v}.self_generated >= {v}.expenditure)")
}

/// SQL of [`crate::domain::transformation::self_sufficiency`] over the columns of `v`
/// (NULL without expenditure).
fn self_sufficiency_sql(v: &str) -> String {
    format!("CASE WHEN {v}.expenditure > 0 THEN {v}.self_generated::float8 / {v}.expenditure END")
}

/// SQL of [`crate::domain::transformation::transformation_deadline`]: `end` + `months` (both SQL
/// expressions; PostgreSQL's month arithmetic clamps to the month's end like `add_months`).
fn transformation_deadline_sql(end: &str, months: &str) -> String {
    format!("({end} + make_interval(months => {months}))::date")
}

/// SQL of [`crate::domain::transformation::balance`] for `sp` joined with `v` (its
/// `platform_year_revenue` of year `$7`): the [`Balance`] code, or NULL (not counted); the
/// "active in the year" of [`crate::domain::transformation::active_in_year`].
fn balance_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "CASE WHEN {break_even} THEN '{yes}'
                  WHEN v.expenditure > 0 THEN '{no}'
                  WHEN v.platform_id IS NOT NULL
                       OR (sp.stage IN ('operating', 'rectifying')
                           AND (sp.operating_since IS NULL OR sp.operating_since <= make_date($7, 12, 31))) THEN '{none}'
             END",
            break_even = is_break_even_sql("v"),
            yes = Balance::Yes.as_str(),
            no = Balance::No.as_str(),
            none = Balance::NoFigures.as_str(),
        )
    })
}

/// The at-risk platforms of `sp`, as `risk (id, construction_end, deadline, ratio, transition, rules)`:
/// operating or rectifying platforms that are [`transformation_at_risk`] on `$8` (`transition`: the
/// deadline `$9` months after construction end has passed or is within `$10` months
/// ([`AT_RISK_WINDOW_MONTHS`]) while the latest complete year is not at break-even), or with a
/// `RECT-*` warning/failure or an `MKT-BREAK-EVEN` failure (`rules`).
///
/// [`transformation_at_risk`]: crate::domain::transformation::transformation_at_risk
fn risk_cte() -> &'static str {
    static RISK: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    RISK.get_or_init(|| {
        // The rule ids come from our own catalogue (the index on `findings (rule_id, status)` serves them).
        let ids: Vec<String> = crate::domain::compliance::rules()
            .iter()
            .filter(|r| r.id.starts_with("RECT-") || r.id == "MKT-BREAK-EVEN")
            .map(|r| format!("'{}'", r.id))
            .collect();
        RISK_TEMPLATE
            .replace("{RISK_RULES}", &ids.join(", "))
            .replace(
                "{DEADLINE}",
                &transformation_deadline_sql("sp.construction_end", "$9"),
            )
            .replace(
                "{WINDOW_END}",
                &transformation_deadline_sql("$8::date", "$10"),
            )
            .replace("{BREAK_EVEN}", &is_break_even_sql("rv"))
            .replace("{RATIO}", &self_sufficiency_sql("rv"))
    })
}

/// The SQL of [`risk_cte`]: `{DEADLINE}`, `{WINDOW_END}`, `{BREAK_EVEN}` and `{RATIO}` are the
/// domain's rules in SQL, `{RISK_RULES}` the rule ids.
const RISK_TEMPLATE: &str = "
    risk AS (
        SELECT * FROM (
            SELECT r.*,
                   r.construction_end < $8 AND r.deadline <= {WINDOW_END}
                       AND NOT r.balanced AS transition
            FROM (
                SELECT sp.id, sp.construction_end,
                       {DEADLINE} AS deadline,
                       coalesce({BREAK_EVEN}, false) AS balanced,
                       {RATIO} AS ratio,
                       coalesce(rf.rules, '{}') AS rules
                FROM sp
                LEFT JOIN platform_year_revenue rv
                       ON rv.platform_id = sp.id AND rv.year = extract(year FROM $8::date)::int - 1
                LEFT JOIN (SELECT f.platform_id, array_agg(f.rule_id ORDER BY f.rule_id) AS rules FROM findings f
                           WHERE f.rule_id = ANY (ARRAY[{RISK_RULES}]) AND f.status IN ('warn', 'fail')
                             AND (f.rule_id <> 'MKT-BREAK-EVEN' OR f.status = 'fail')
                           GROUP BY f.platform_id) rf ON rf.platform_id = sp.id
                WHERE sp.stage IN ('operating', 'rectifying')
            ) r
        ) r2
        WHERE coalesce(r2.transition, false) OR cardinality(r2.rules) > 0)";

fn scope_binds(scope: PlatformScope) -> (bool, Option<i32>, Option<i64>, Option<i64>) {
    match scope {
        PlatformScope::All => (true, None, None, None),
        PlatformScope::Jurisdiction(j) => (false, Some(j), None, None),
        PlatformScope::Platform(id) => (false, None, Some(id), None),
        PlatformScope::Advisor(uid) => (false, None, None, Some(uid)),
        PlatformScope::Nothing => (false, None, None, None),
    }
}

/// A query starting `WITH {SCOPED}`, with the filter's ten binds.
fn query<'q, O>(sql: &'q str, f: &Filter) -> QueryAs<'q, Postgres, O, PgArguments>
where
    O: for<'r> FromRow<'r, PgRow>,
{
    let (all, county, platform, advisor) = scope_binds(f.scope);
    // Not prepared: planned with the actual binds every time, so the planner drops the scope and
    // filter branches that do not apply. A prepared statement's generic plan (PostgreSQL's choice
    // after five runs) cannot, and was 3–4× slower on the dashboards over 2,000 platforms.
    sqlx::query_as(sql)
        .persistent(false)
        .bind(all)
        .bind(county)
        .bind(platform)
        .bind(advisor)
        .bind(f.jurisdiction)
        .bind(f.category.clone())
        .bind(f.year)
        .bind(f.today)
        .bind(i32::try_from(f.transition_months).unwrap_or(i32::MAX))
        .bind(i32::try_from(AT_RISK_WINDOW_MONTHS.0).unwrap_or(i32::MAX))
}

/// Platform counts by one dimension: `(dimension, key, count)` where dimension is `category`,
/// `stage`, `cluster` or `jurisdiction` (key = jurisdiction id); NULL category/cluster is `unset`.
pub async fn counts(pool: &PgPool, f: &Filter) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    let sql = format!(
        "WITH {SCOPED}
         SELECT 'category', coalesce(category, 'unset'), count(*) FROM sp GROUP BY 2
         UNION ALL SELECT 'stage', stage, count(*) FROM sp GROUP BY 2
         UNION ALL SELECT 'cluster', coalesce(industry_cluster, 'unset'), count(*) FROM sp GROUP BY 2
         UNION ALL SELECT 'jurisdiction', jurisdiction_id::text, count(*) FROM sp GROUP BY 2"
    );
    query(&sql, f).fetch_all(pool).await
}

/// Grade counts of published rounds up to the filter's year: `(year, grade, count)`.
pub async fn grades_by_year(
    pool: &PgPool,
    f: &Filter,
) -> Result<Vec<(i32, String, i64)>, sqlx::Error> {
    let sql = format!(
        "WITH {SCOPED}
         SELECT e.year, e.grade, count(*) FROM evaluations e
         JOIN sp ON sp.id = e.platform_id
         JOIN evaluation_rounds r ON r.year = e.year AND r.status = 'published'
         WHERE e.grade IS NOT NULL AND e.year <= $7 AND e.year > $7 - 10
         GROUP BY 1, 2 ORDER BY 1"
    );
    query(&sql, f).fetch_all(pool).await
}

/// Revenue by channel summed over the platforms, per year (the ten years up to the filter's year).
pub async fn revenue_by_year(pool: &PgPool, f: &Filter) -> Result<Vec<YearRevenue>, sqlx::Error> {
    let sql = format!(
        "WITH {SCOPED}
         SELECT v.year, sum(v.service_orders)::bigint AS service_orders,
                sum(v.tech_contracts)::bigint AS tech_contracts,
                sum(v.achievement_transfer)::bigint AS achievement_transfer,
                sum(v.gov_research_projects)::bigint AS gov_research_projects,
                sum(v.incubation_returns)::bigint AS incubation_returns,
                sum(v.fiscal_subsidy)::bigint AS fiscal_subsidy, sum(v.expenditure)::bigint AS expenditure,
                sum(v.self_generated)::bigint AS self_generated,
                bool_or(v.revenue_from_ledger) AS revenue_from_ledger, count(*) AS platforms
         FROM platform_year_revenue v JOIN sp ON sp.id = v.platform_id
         WHERE v.year <= $7 AND v.year > $7 - 10
         GROUP BY v.year ORDER BY v.year"
    );
    query(&sql, f).fetch_all(pool).await
}

/// Break-even in the filter's year: platforms at break-even, not, and active without figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromRow)]
pub struct BreakEvenShare {
    pub balanced: i64,
    pub unbalanced: i64,
    pub no_data: i64,
}

impl BreakEvenShare {
    /// Share at break-even among the platforms with figures, in percent.
    pub fn percent(&self) -> Option<f64> {
        let with_data = self.balanced + self.unbalanced;
        (with_data > 0).then(|| self.balanced as f64 * 100.0 / with_data as f64)
    }
}

pub async fn break_even_share(pool: &PgPool, f: &Filter) -> Result<BreakEvenShare, sqlx::Error> {
    let sql = format!(
        "WITH {SCOPED}
         SELECT count(*) FILTER (WHERE b = 'yes') AS balanced, count(*) FILTER (WHERE b = 'no') AS unbalanced,
                count(*) FILTER (WHERE b = 'none') AS no_data
         FROM (SELECT {} AS b
               FROM sp LEFT JOIN platform_year_revenue v ON v.platform_id = sp.id AND v.year = $7) x",
        balance_sql()
    );
    query(&sql, f).fetch_one(pool).await
}

/// A platform of the ranking.
#[derive(Debug, Clone, FromRow)]
pub struct Ranked {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub total_score: Option<f64>,
    pub rank: Option<i32>,
    pub grade: Option<Grade>,
}

/// The published ranking of the filter's year (the best `limit`), and the number ranked.
pub async fn ranking(
    pool: &PgPool,
    f: &Filter,
    limit: i64,
) -> Result<(Vec<Ranked>, i64), sqlx::Error> {
    let sql = format!(
        "WITH {SCOPED}
         SELECT sp.id, sp.code, sp.name, j.name AS jurisdiction, e.total_score, e.rank, e.grade,
                count(*) OVER () AS n
         FROM evaluations e
         JOIN sp ON sp.id = e.platform_id
         JOIN jurisdictions j ON j.id = sp.jurisdiction_id
         JOIN evaluation_rounds r ON r.year = e.year AND r.status = 'published'
         WHERE e.year = $7 AND (e.total_score IS NOT NULL OR e.grade IS NOT NULL)
         ORDER BY e.rank NULLS LAST, e.total_score DESC NULLS LAST, sp.code
         LIMIT $11"
    );
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        r: Ranked,
        n: i64,
    }
    let rows: Vec<Row> = query(&sql, f).bind(limit).fetch_all(pool).await?;
    let total = rows.first().map_or(0, |r| r.n);
    Ok((rows.into_iter().map(|r| r.r).collect(), total))
}

/// The ids of the platforms in scope and filtered, ascending.
pub async fn platform_ids(pool: &PgPool, f: &Filter) -> Result<Vec<i64>, sqlx::Error> {
    let sql = format!("WITH {SCOPED} SELECT id FROM sp ORDER BY id");
    let rows: Vec<(i64,)> = query(&sql, f).fetch_all(pool).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Support claims granted (审核通过) per programme and year of the review, over the platforms in scope and
/// filtered: how many, and the amounts granted, paid and recovered (whole yuan).
#[derive(Debug, Clone, FromRow)]
pub struct GrantedSupport {
    pub programme: String,
    pub year: i32,
    pub claims: i64,
    pub granted_yuan: i64,
    pub paid_yuan: i64,
    pub recovered_yuan: i64,
}

pub async fn support_granted(
    pool: &PgPool,
    f: &Filter,
) -> Result<Vec<GrantedSupport>, sqlx::Error> {
    let sql = format!(
        "WITH {SCOPED}
         SELECT c.programme, extract(year FROM c.reviewed_at AT TIME ZONE 'Asia/Shanghai')::int AS year,
                count(*) AS claims, sum(c.granted_yuan)::bigint AS granted_yuan,
                coalesce(sum(c.paid_yuan), 0)::bigint AS paid_yuan,
                coalesce(sum(c.recovered_yuan), 0)::bigint AS recovered_yuan
         FROM support_claims c JOIN sp ON sp.id = c.platform_id
         WHERE c.granted_yuan IS NOT NULL AND c.reviewed_at IS NOT NULL
         GROUP BY 1, 2 ORDER BY 2 DESC, 1"
    );
    query(&sql, f).fetch_all(pool).await
}

/// The latest year whose evaluation results are published.
pub async fn latest_published_year(pool: &PgPool) -> Result<Option<i32>, sqlx::Error> {
    sqlx::query_scalar("SELECT max(year) FROM evaluation_rounds WHERE status = 'published'")
        .fetch_one(pool)
        .await
}

/// An at-risk platform and why.
#[derive(Debug, Clone, FromRow)]
pub struct AtRisk {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub stage: Stage,
    pub construction_end: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    /// Self-generated ÷ expenditure in the latest complete year.
    pub ratio: Option<f64>,
    /// The transformation deadline has passed or is near without break-even.
    pub transition: bool,
    /// `RECT-*` (warn/fail) and `MKT-BREAK-EVEN` (fail) findings.
    pub rules: Vec<String>,
}

/// The at-risk platforms in scope (the filter's year is not used: risk is as of today).
pub async fn at_risk(pool: &PgPool, f: &Filter) -> Result<Vec<AtRisk>, sqlx::Error> {
    let sql = format!(
        "WITH {SCOPED}, {}
         SELECT sp.id, sp.code, sp.name, j.name AS jurisdiction, sp.stage, risk.construction_end, risk.deadline,
                risk.ratio, coalesce(risk.transition, false) AS transition, risk.rules
         FROM risk JOIN sp ON sp.id = risk.id JOIN jurisdictions j ON j.id = sp.jurisdiction_id
         ORDER BY risk.deadline NULLS LAST, sp.code",
        risk_cte()
    );
    query(&sql, f).fetch_all(pool).await
}

/// What a drill-down list selects beyond the dashboard's filter.
#[derive(Debug, Clone, Default)]
pub struct DrillDown {
    pub stage: Option<String>,
    /// A cluster code or `unset`.
    pub cluster: Option<String>,
    pub grade: Option<String>,
    /// `yes`, `no` or `none` (see [`break_even_share`]).
    pub balance: Option<String>,
    pub at_risk: bool,
    /// Only platforms with figures in the year.
    pub with_figures: bool,
    /// Only platforms with a published result in the year.
    pub graded: bool,
}

/// A platform of a drill-down list, with its figures of the filter's year.
#[derive(Debug, Clone, FromRow)]
pub struct DrillRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub category: Option<Category>,
    pub stage: Stage,
    pub self_generated: Option<i64>,
    pub expenditure: Option<i64>,
    pub total_score: Option<f64>,
    pub rank: Option<i32>,
    pub grade: Option<Grade>,
}

/// One page of the platforms behind a dashboard figure, and how many there are.
pub async fn drill_down(
    pool: &PgPool,
    f: &Filter,
    d: &DrillDown,
    limit: i64,
    offset: i64,
) -> Result<(Vec<DrillRow>, i64), sqlx::Error> {
    let sql = format!(
        "WITH {SCOPED}, {}
         SELECT sp.id, sp.code, sp.name, j.name AS jurisdiction, sp.category, sp.stage,
                v.self_generated, v.expenditure, e.total_score, e.rank, e.grade, count(*) OVER () AS n
         FROM sp
         JOIN jurisdictions j ON j.id = sp.jurisdiction_id
         LEFT JOIN platform_year_revenue v ON v.platform_id = sp.id AND v.year = $7
         LEFT JOIN (SELECT e.* FROM evaluations e
                    JOIN evaluation_rounds r ON r.year = e.year AND r.status = 'published') e
                ON e.platform_id = sp.id AND e.year = $7
         WHERE ($11::text IS NULL OR sp.stage = $11)
           AND ($12::text IS NULL OR coalesce(sp.industry_cluster, 'unset') = $12)
           AND ($13::text IS NULL OR e.grade = $13)
           AND ($14::text IS NULL OR ({balance}) = $14)
           AND (NOT $15 OR EXISTS (SELECT 1 FROM risk WHERE risk.id = sp.id))
           AND (NOT $16 OR v.platform_id IS NOT NULL)
           AND (NOT $17 OR e.total_score IS NOT NULL OR e.grade IS NOT NULL)
         ORDER BY e.rank NULLS LAST, e.total_score DESC NULLS LAST, sp.code
         LIMIT $18 OFFSET $19",
        risk_cte(),
        balance = balance_sql()
    );
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        r: DrillRow,
        n: i64,
    }
    let rows: Vec<Row> = query(&sql, f)
        .bind(d.stage.clone())
        .bind(d.cluster.clone())
        .bind(d.grade.clone())
        .bind(d.balance.clone())
        .bind(d.at_risk)
        .bind(d.with_figures)
        .bind(d.graded)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?;
    let total = rows.first().map_or(0, |r| r.n);
    Ok((rows.into_iter().map(|r| r.r).collect(), total))
}

// ---- the staff workbench ------------------------------------------------------------------------

/// Something waiting for this staff member's review.
#[derive(Debug, Clone, FromRow)]
pub struct QueueItem {
    /// `filing`, `evaluation`, `midyear`, `rectification` or `registration`.
    pub kind: String,
    pub platform_id: i64,
    pub code: String,
    pub name: String,
    pub year: Option<i32>,
    /// The rectification case, for `rectification`.
    pub ref_id: Option<i64>,
    pub since: Option<DateTime<Utc>>,
}

/// The review queue: submitted filings; evaluations awaiting this level's review (county staff:
/// submitted, of county-level platforms; city staff: passed by the county, or submitted by
/// city-level platforms); submitted mid-year reports not yet reviewed; rectification decisions
/// proposed by someone else and awaiting sign-off; setup registrations waiting for approval
/// (submitted or resubmitted, since then). Oldest first.
pub async fn review_queue(
    pool: &PgPool,
    f: &Filter,
    user_id: i64,
    city_staff: bool,
) -> Result<Vec<QueueItem>, sqlx::Error> {
    let sql = format!(
        "WITH {SCOPED}
         SELECT * FROM (
             SELECT 'filing' AS kind, sp.id AS platform_id, sp.code, sp.name, fl.year, NULL::bigint AS ref_id,
                    fl.submitted_at AS since
             FROM filings fl JOIN sp ON sp.id = fl.platform_id WHERE fl.status = 'submitted'
             UNION ALL
             SELECT 'evaluation', sp.id, sp.code, sp.name, e.year, NULL, coalesce(e.county_reviewed_at, e.submitted_at)
             FROM evaluations e JOIN sp ON sp.id = e.platform_id
             WHERE CASE WHEN $12 THEN e.status = 'county_passed' OR (e.status = 'submitted' AND sp.level = 'city')
                        ELSE e.status = 'submitted' AND sp.level <> 'city' END
             UNION ALL
             SELECT 'midyear', sp.id, sp.code, sp.name, m.year, NULL, m.submitted_at
             FROM midyear_reports m JOIN sp ON sp.id = m.platform_id
             WHERE m.status = 'submitted'
               AND NOT EXISTS (SELECT 1 FROM midyear_reviews w WHERE w.platform_id = m.platform_id AND w.year = m.year)
             UNION ALL
             SELECT 'rectification', sp.id, sp.code, sp.name, NULL, c.id, c.proposed_at
             FROM rectification_cases c JOIN sp ON sp.id = c.platform_id
             WHERE c.status = 'open' AND c.proposed_by IS NOT NULL AND c.signed_off_by IS NULL
               AND c.proposed_by <> $11
             UNION ALL
             SELECT 'registration', sp.id, sp.code, sp.name, NULL, NULL,
                    (SELECT max(rr.at) FROM registration_reviews rr
                     WHERE rr.platform_id = sp.id AND rr.action IN ('submitted', 'resubmitted'))
             FROM registrations r JOIN sp ON sp.id = r.platform_id
             WHERE sp.stage = 'registration' AND r.status = 'submitted'
         ) q
         ORDER BY since NULLS LAST, code
         LIMIT 500"
    );
    query(&sql, f)
        .bind(user_id)
        .bind(city_staff)
        .fetch_all(pool)
        .await
}

/// A step of the annual cycle a platform has not done: `(step, year, deadline)` + the platform.
#[derive(Debug, Clone, FromRow)]
pub struct MissingStep {
    /// `filing`, `midyear` or `yearend`.
    pub step: String,
    pub year: i32,
    pub deadline: NaiveDate,
    pub platform_id: i64,
    pub code: String,
    pub name: String,
}

pub fn step_code(step: Step) -> &'static str {
    match step {
        Step::Filing => "filing",
        Step::Midyear => "midyear",
        Step::Yearend => "yearend",
    }
}

/// The platforms in scope expected to have done each `(step, year, deadline)` that have not:
/// operating or rectifying platforms that started operating by the deadline that have not done
/// the step (`notices::done_sql`, the one definition; returned submissions count as not done). At most `limit` rows, and the total.
pub async fn missing_steps(
    pool: &PgPool,
    f: &Filter,
    steps: &[(Step, i32, NaiveDate)],
    limit: i64,
) -> Result<(Vec<MissingStep>, i64), sqlx::Error> {
    if steps.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let codes: Vec<&str> = steps.iter().map(|s| step_code(s.0)).collect();
    let years: Vec<i32> = steps.iter().map(|s| s.1).collect();
    let deadlines: Vec<NaiveDate> = steps.iter().map(|s| s.2).collect();
    let sql = format!(
        "WITH {SCOPED}
         SELECT s.step, s.year, s.deadline, sp.id AS platform_id, sp.code, sp.name, count(*) OVER () AS n
         FROM UNNEST($11::text[], $12::int[], $13::date[]) AS s (step, year, deadline)
         JOIN sp ON sp.stage IN ('operating', 'rectifying')
                AND (sp.operating_since IS NULL OR sp.operating_since <= s.deadline)
         WHERE NOT {done}
         ORDER BY s.deadline, sp.code
         LIMIT $14",
        done = super::notices::by_step("s.step", |step| super::notices::done_sql(
            step, "sp.id", "s.year"
        ))
    );
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        r: MissingStep,
        n: i64,
    }
    let rows: Vec<Row> = query(&sql, f)
        .bind(codes)
        .bind(years)
        .bind(deadlines)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    let total = rows.first().map_or(0, |r| r.n);
    Ok((rows.into_iter().map(|r| r.r).collect(), total))
}

/// An open checklist item or rectification case with a due date.
#[derive(Debug, Clone, FromRow)]
pub struct DueItem {
    /// `checklist` or `rectification`.
    pub kind: String,
    pub platform_id: i64,
    pub code: String,
    pub name: String,
    pub ref_id: i64,
    pub title: String,
    pub due_date: NaiveDate,
}

/// Open checklist items and open rectification cases due in `from..=to`.
pub async fn due_items(
    pool: &PgPool,
    f: &Filter,
    from: NaiveDate,
    to: NaiveDate,
    limit: i64,
) -> Result<(Vec<DueItem>, i64), sqlx::Error> {
    let sql = format!(
        "WITH {SCOPED}
         SELECT * , count(*) OVER () AS n FROM (
             SELECT 'checklist' AS kind, sp.id AS platform_id, sp.code, sp.name, c.id AS ref_id, c.title,
                    c.due_date
             FROM checklist_items c JOIN sp ON sp.id = c.platform_id
             WHERE c.status = 'open' AND c.due_date BETWEEN $11 AND $12
             UNION ALL
             SELECT 'rectification', sp.id, sp.code, sp.name, r.id, '整改期限', r.deadline
             FROM rectification_cases r JOIN sp ON sp.id = r.platform_id
             WHERE r.status = 'open' AND r.deadline BETWEEN $11 AND $12
         ) d
         ORDER BY due_date, code
         LIMIT $13"
    );
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        r: DueItem,
        n: i64,
    }
    let rows: Vec<Row> = query(&sql, f)
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    let total = rows.first().map_or(0, |r| r.n);
    Ok((rows.into_iter().map(|r| r.r).collect(), total))
}

/// A platform this staff member is responsible for (专人专班).
#[derive(Debug, Clone, FromRow)]
pub struct MyPlatform {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub stage: Stage,
    pub open_items: i64,
    pub overdue_items: i64,
    pub failing: i64,
}

pub async fn my_platforms(
    pool: &PgPool,
    f: &Filter,
    user_id: i64,
) -> Result<Vec<MyPlatform>, sqlx::Error> {
    let sql = format!(
        "WITH {SCOPED}
         SELECT sp.id, sp.code, sp.name, j.name AS jurisdiction, sp.stage,
                (SELECT count(*) FROM checklist_items c WHERE c.platform_id = sp.id AND c.status = 'open') AS open_items,
                (SELECT count(*) FROM checklist_items c WHERE c.platform_id = sp.id AND c.status = 'open'
                   AND c.due_date < $8) AS overdue_items,
                (SELECT count(*) FROM findings x WHERE x.platform_id = sp.id AND x.status = 'fail') AS failing
         FROM sp JOIN jurisdictions j ON j.id = sp.jurisdiction_id
         WHERE sp.responsible_staff_id = $11
         ORDER BY sp.code"
    );
    query(&sql, f).bind(user_id).fetch_all(pool).await
}
