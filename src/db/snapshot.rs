//! Builds compliance snapshots (POLICY-RULES.md) from the database, for one platform or for all of
//! them at once with a fixed number of set-based queries (no per-platform query loop).
//!
//! Where the figures come from: a year's revenue and expenditure are the ledger's items when the
//! ledger has any for that year, else the platform's self-reported totals (`annual_figures`) — the
//! `platform_year_revenue` table (migration 0013), which the dashboards read too;
//! filing, mid-year and evaluation dates are Beijing dates of the first submission (a resubmission
//! after a return does not move them: filings keep every version, evaluations `first_submitted_at`); the grade is
//! the published grade (`not_evaluated` when the platform was excluded); `support` is built from the
//! support records (`db::support`, see `domain::support::records` for which rows count); `packs` are
//! the packs the deployment enables now (`db::packs`, switched by city staff on `/programmes`).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

use crate::domain::compliance::Params;
use crate::domain::compliance::snapshot::{
    Acceptance, Charter, Checklist, Filing, Grade, Instrument, IntegrityViolation,
    OperatingCompany, OperatingMode, Platform as SnapPlatform, Revenue, Snapshot, YearRecord,
    Years,
};
use crate::domain::money::Yuan;
use crate::domain::platform::{Category, DecisionBody, DecisionBodyKind, Level, Stage};
use crate::domain::support::records::support_as_of;
use crate::domain::support::{Pack, Support};
use crate::domain::uscc::Uscc;

type Ids<'a> = Option<&'a [i64]>;

/// `WHERE` fragment selecting the platforms asked for: `column = ANY($1)`, or `$1 IS NULL` (true: `$1`
/// is bound as NULL) for all of them. Two statement texts, not one `($1 IS NULL OR column = ANY($1))`:
/// a prepared statement's generic plan cannot use an index for that disjunction, so refreshing one
/// platform scanned whole tables (2.9 ms instead of 0.16 ms per statement on the scale dataset).
pub(crate) fn platforms_in(ids: Ids<'_>, column: &str) -> String {
    match ids {
        Some(_) => format!("{column} = ANY($1)"),
        None => "$1::bigint[] IS NULL".to_string(),
    }
}

fn yuan(v: i64) -> Yuan {
    Yuan::new(v.max(0)).unwrap_or(Yuan::MAX)
}

#[derive(sqlx::FromRow)]
struct Head {
    id: i64,
    code: String,
    name: String,
    category: Option<Category>,
    level: Level,
    stage: Stage,
    operating_since: Option<NaiveDate>,
    construction_end: Option<NaiveDate>,
    first_support_end: Option<NaiveDate>,
    charter_status: Option<Charter>,
    operating_modes: Option<Vec<OperatingMode>>,
    advisor_assigned: bool,
    staff_assigned: bool,
}

#[derive(Default)]
struct YearData {
    /// Revenue and expenditure from `platform_year_revenue`.
    figures: Option<(Revenue, i64)>,
    /// Self-reported R&D staff and major tasks (`annual_figures`).
    reported: Option<(i32, i32)>,
    rnd_staff: Option<i64>,
    major_tasks: Option<i64>,
    filing: Option<(String, Option<NaiveDate>)>,
    midyear_date: Option<NaiveDate>,
    evaluation: Option<(Option<NaiveDate>, String, Option<String>, bool)>,
    target_completion: Option<f64>,
}

/// Everything about the platforms asked for, gathered by one query per table.
#[derive(Default)]
struct Gathered {
    bodies: HashMap<i64, Vec<DecisionBody>>,
    documents: HashMap<i64, Vec<String>>,
    companies: HashMap<i64, OperatingCompany>,
    last_visit: HashMap<i64, NaiveDate>,
    checklist: HashMap<i64, (i64, i64)>,
    acceptance: HashMap<i64, Acceptance>,
    open_case: HashMap<i64, bool>,
    integrity: HashMap<i64, Vec<IntegrityViolation>>,
    instruments: HashMap<i64, Vec<Instrument>>,
    years: HashMap<i64, BTreeMap<i32, YearData>>,
    support: HashMap<i64, Support>,
}

/// Snapshots of the given platforms (all when `ids` is `None`) as of `as_of`, with `params`.
pub async fn build(
    pool: &PgPool,
    ids: Ids<'_>,
    as_of: NaiveDate,
    params: &Params,
) -> Result<Vec<(i64, Snapshot)>, sqlx::Error> {
    build_on(&mut *pool.acquire().await?, ids, as_of, params).await
}

/// [`build`] on one connection (e.g. inside the findings refresh's locked transaction).
pub async fn build_on(
    conn: &mut PgConnection,
    ids: Ids<'_>,
    as_of: NaiveDate,
    params: &Params,
) -> Result<Vec<(i64, Snapshot)>, sqlx::Error> {
    let in_heads = platforms_in(ids, "p.id");
    let heads: Vec<Head> = sqlx::query_as(&format!(
        "SELECT p.id, p.code, p.name, p.category, p.level, p.stage, p.operating_since, p.construction_end,
                p.first_support_end, r.charter_status, r.operating_modes,
                p.advisor_id IS NOT NULL AS advisor_assigned, p.responsible_staff_id IS NOT NULL AS staff_assigned
         FROM platforms p LEFT JOIN registrations r ON r.platform_id = p.id
         WHERE {in_heads}
         ORDER BY p.id"
    ))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    let g = gather(conn, ids, as_of).await?;
    let packs = super::packs::enabled(conn).await?;
    Ok(heads
        .into_iter()
        .map(|h| (h.id, assemble(h, &g, as_of, params, &packs)))
        .collect())
}

async fn gather(
    conn: &mut PgConnection,
    ids: Ids<'_>,
    as_of: NaiveDate,
) -> Result<Gathered, sqlx::Error> {
    let mut g = Gathered::default();
    let scope = platforms_in(ids, "platform_id");
    let year_end = as_of
        .format("%Y")
        .to_string()
        .parse::<i32>()
        .unwrap_or(2100);

    let rows: Vec<(i64, String, i64, bool)> = sqlx::query_as(&format!(
        "SELECT b.platform_id, b.kind, count(m.id), coalesce(bool_or(m.is_chair), false)
         FROM decision_bodies b LEFT JOIN decision_body_members m ON m.body_id = b.id
         WHERE {scope} GROUP BY b.id ORDER BY b.id"
    ))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, kind, members, has_chair) in rows {
        if let Some(kind) = DecisionBodyKind::parse(&kind) {
            let members = u32::try_from(members).unwrap_or(0);
            g.bodies.entry(pid).or_default().push(DecisionBody {
                kind,
                members,
                has_chair,
            });
        }
    }

    let rows: Vec<(i64, String)> = sqlx::query_as(&format!(
        "SELECT DISTINCT d.platform_id, d.kind FROM documents d
         WHERE {scope} AND EXISTS (SELECT 1 FROM document_versions v WHERE v.document_id = d.id)"
    ))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, kind) in rows {
        g.documents.entry(pid).or_default().push(kind);
    }

    let rows: Vec<(i64, String, bool)> = sqlx::query_as(&format!(
        "SELECT platform_id, uscc, mgmt_cash_controlling FROM platform_companies
         WHERE {scope} AND mode = 'operating_company'"
    ))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, uscc, mgmt_cash_controlling) in rows {
        match Uscc::parse(&uscc) {
            Ok(uscc) => {
                g.companies.insert(
                    pid,
                    OperatingCompany {
                        uscc,
                        mgmt_cash_controlling,
                    },
                );
            }
            Err(e) => {
                tracing::warn!(platform = pid, error = %e, "stored USCC does not validate; company left out")
            }
        }
    }

    let rows: Vec<(i64, NaiveDate)> = sqlx::query_as(&format!(
        "SELECT platform_id, max(visit_date) FROM advisor_visits WHERE {scope} AND visit_date <= $2
         GROUP BY platform_id"
    ))
    .bind(ids)
    .bind(as_of)
    .fetch_all(&mut *conn)
    .await?;
    g.last_visit.extend(rows);

    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT platform_id, count(*), count(*) FILTER (WHERE status = 'open' AND due_date < $2)
         FROM checklist_items WHERE {scope} GROUP BY platform_id"
    ))
    .bind(ids)
    .bind(as_of)
    .fetch_all(&mut *conn)
    .await?;
    g.checklist.extend(
        rows.into_iter()
            .map(|(pid, items, overdue)| (pid, (items, overdue))),
    );

    // The construction acceptance on record (one per platform), if dated on or before as_of.
    let rows: Vec<(i64, String)> = sqlx::query_as(&format!(
        "SELECT platform_id, result FROM construction_acceptances WHERE {scope} AND accepted_on <= $2"
    ))
    .bind(ids)
    .bind(as_of)
    .fetch_all(&mut *conn)
    .await?;
    g.acceptance.extend(
        rows.into_iter()
            .filter_map(|(pid, result)| Acceptance::parse(&result).map(|a| (pid, a))),
    );

    let rows: Vec<(i64,)> = sqlx::query_as(&format!(
        "SELECT DISTINCT platform_id FROM rectification_cases WHERE {scope} AND status = 'open'"
    ))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    g.open_case
        .extend(rows.into_iter().map(|(pid,)| (pid, true)));

    let rows: Vec<(i64, NaiveDate, bool)> = sqlx::query_as(&format!(
        "SELECT platform_id, occurred_on, serious FROM integrity_records WHERE {scope} AND occurred_on <= $2
         ORDER BY occurred_on"
    ))
    .bind(ids)
    .bind(as_of)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, date, serious) in rows {
        g.integrity
            .entry(pid)
            .or_default()
            .push(IntegrityViolation { date, serious });
    }

    let rows: Vec<(i64, i64, bool)> = sqlx::query_as(&format!(
        "SELECT platform_id, value_yuan, open_shared FROM instruments WHERE {scope} ORDER BY id"
    ))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, value, open_shared) in rows {
        g.instruments.entry(pid).or_default().push(Instrument {
            value_yuan: yuan(value),
            open_shared,
        });
    }

    gather_years(conn, ids, year_end, &mut g).await?;

    // Support records (SUPPORT-RULES.md): year L's sums, recognitions dated up to as_of.
    g.support = super::support::rows(conn, ids)
        .await?
        .into_iter()
        .map(|(pid, rows)| (pid, support_as_of(&rows, as_of)))
        .collect();
    Ok(g)
}

async fn gather_years(
    conn: &mut PgConnection,
    ids: Ids<'_>,
    last_year: i32,
    g: &mut Gathered,
) -> Result<(), sqlx::Error> {
    let scope = platforms_in(ids, "platform_id");
    type Figures = (i64, i32, i64, i64, i64, i64, i64, i64, i64);
    let rows: Vec<Figures> = sqlx::query_as(&format!(
        "SELECT platform_id, year, service_orders, tech_contracts, achievement_transfer, gov_research_projects,
                incubation_returns, fiscal_subsidy, expenditure
         FROM platform_year_revenue WHERE {scope} AND year <= $2"
    ))
    .bind(ids)
    .bind(last_year)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, year, so, tc, at, gr, ir, fs, exp) in rows {
        let revenue = Revenue {
            service_orders: yuan(so),
            tech_contracts: yuan(tc),
            achievement_transfer: yuan(at),
            gov_research_projects: yuan(gr),
            incubation_returns: yuan(ir),
            fiscal_subsidy: yuan(fs),
        };
        g.year(pid, year).figures = Some((revenue, exp));
    }
    let rows: Vec<(i64, i32, i32, i32)> = sqlx::query_as(&format!(
        "SELECT platform_id, year, rnd_staff, major_tasks FROM annual_figures WHERE {scope} AND year <= $2"
    ))
    .bind(ids)
    .bind(last_year)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, year, staff, tasks) in rows {
        g.year(pid, year).reported = Some((staff, tasks));
    }
    let rows: Vec<(i64, i32, f64)> = sqlx::query_as(&format!(
        "SELECT platform_id, year, value::float8 FROM indicator_values
         WHERE {scope} AND year <= $2 AND indicator_key = 'rnd_staff'"
    ))
    .bind(ids)
    .bind(last_year)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, year, value) in rows {
        g.year(pid, year).rnd_staff = Some(value.round() as i64);
    }
    let rows: Vec<(i64, i32, i64)> = sqlx::query_as(&format!(
        "SELECT platform_id, year, count(*) FROM major_tasks WHERE {scope} AND year <= $2 GROUP BY platform_id, year"
    ))
    .bind(ids)
    .bind(last_year)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, year, count) in rows {
        g.year(pid, year).major_tasks = Some(count);
    }

    // The live filing of each year and the date it was first submitted.
    let rows: Vec<(i64, i32, String, Option<NaiveDate>)> = sqlx::query_as(&format!(
        "SELECT f.platform_id, f.year, f.status,
                (SELECT min(x.submitted_at AT TIME ZONE 'Asia/Shanghai')::date FROM filings x
                  WHERE x.platform_id = f.platform_id AND x.year = f.year)
         FROM filings f WHERE {scope} AND f.year <= $2 AND f.status <> 'superseded'"
    ))
    .bind(ids)
    .bind(last_year)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, year, status, date) in rows {
        g.year(pid, year).filing = Some((status, date));
    }
    let rows: Vec<(i64, i32, NaiveDate)> = sqlx::query_as(&format!(
        "SELECT platform_id, year, (submitted_at AT TIME ZONE 'Asia/Shanghai')::date FROM midyear_reports
         WHERE {scope} AND year <= $2 AND status = 'submitted' AND submitted_at IS NOT NULL"
    ))
    .bind(ids)
    .bind(last_year)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, year, date) in rows {
        g.year(pid, year).midyear_date = Some(date);
    }
    type EvaluationRow = (i64, i32, Option<NaiveDate>, String, Option<String>, bool);
    let rows: Vec<EvaluationRow> = sqlx::query_as(&format!(
        "SELECT e.platform_id, e.year,
                (coalesce(e.first_submitted_at, e.submitted_at) AT TIME ZONE 'Asia/Shanghai')::date, e.status, e.grade,
                coalesce(r.status = 'published', false)
         FROM evaluations e LEFT JOIN evaluation_rounds r ON r.year = e.year
         WHERE {scope} AND e.year <= $2"
    ))
    .bind(ids)
    .bind(last_year)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, year, date, status, grade, published) in rows {
        g.year(pid, year).evaluation = Some((date, status, grade, published));
    }

    // Target completion: mean over the approved filing's targets of min(actual ÷ target, 1),
    // actuals from the year-end evaluation.
    let in_filings = platforms_in(ids, "f.platform_id");
    let rows: Vec<(i64, i32, Option<f64>)> = sqlx::query_as(&format!(
        "SELECT f.platform_id, f.year,
                (SELECT avg(least((e.actuals ->> t.key)::float8 / t.value::text::float8, 1.0))
                   FROM jsonb_each(f.targets) t
                  WHERE jsonb_typeof(t.value) = 'number' AND t.value::text::float8 > 0
                    AND jsonb_typeof(e.actuals -> t.key) = 'number')
         FROM filings f JOIN evaluations e ON e.platform_id = f.platform_id AND e.year = f.year
         WHERE {in_filings} AND f.year <= $2 AND f.status = 'approved'"
    ))
    .bind(ids)
    .bind(last_year)
    .fetch_all(&mut *conn)
    .await?;
    for (pid, year, completion) in rows {
        g.year(pid, year).target_completion = completion;
    }
    Ok(())
}

impl Gathered {
    fn year(&mut self, platform_id: i64, year: i32) -> &mut YearData {
        self.years
            .entry(platform_id)
            .or_default()
            .entry(year)
            .or_default()
    }
}

fn year_record(year: i32, d: &YearData) -> YearRecord {
    let (revenue, expenditure) = d.figures.unwrap_or((Revenue::default(), 0));
    let (reported_staff, reported_tasks) = d.reported.unwrap_or((0, 0));
    let filing = match &d.filing {
        Some((status, Some(date))) if status == "approved" => Filing::Approved(*date),
        Some((status, Some(date))) if status == "submitted" => Filing::Submitted(*date),
        // Returned or draft: not (yet) filed.
        _ => Filing::None,
    };
    let (evaluation_date, grade) = match &d.evaluation {
        Some((date, status, grade, published)) => {
            let grade = if status == "excluded" {
                Some(Grade::NotEvaluated)
            } else if *published {
                grade.as_deref().and_then(Grade::parse)
            } else {
                None
            };
            (*date, grade)
        }
        None => (None, None),
    };
    YearRecord {
        year,
        revenue,
        expenditure: yuan(expenditure),
        rnd_staff: u32::try_from(d.rnd_staff.unwrap_or(reported_staff.into())).unwrap_or(0),
        major_tasks: u32::try_from(d.major_tasks.unwrap_or(reported_tasks.into())).unwrap_or(0),
        target_completion: d.target_completion.map(|c| c.clamp(0.0, 1.0)),
        filing,
        midyear_date: d.midyear_date,
        evaluation_date,
        grade,
    }
}

fn assemble(h: Head, g: &Gathered, as_of: NaiveDate, params: &Params, packs: &[Pack]) -> Snapshot {
    let docs = g.documents.get(&h.id).map(Vec::as_slice).unwrap_or(&[]);
    let has_doc = |kind: &str| docs.iter().any(|k| k == kind);
    let (items, overdue) = g.checklist.get(&h.id).copied().unwrap_or((0, 0));
    let checklist = Checklist::new(
        u32::try_from(items).unwrap_or(u32::MAX),
        u32::try_from(overdue).unwrap_or(0),
    )
    .unwrap_or(Checklist::new(0, 0).expect("0 ≤ 0"));
    let years: Vec<YearRecord> = g
        .years
        .get(&h.id)
        .map(|ys| ys.iter().map(|(year, d)| year_record(*year, d)).collect())
        .unwrap_or_default();
    let platform = SnapPlatform {
        code: h.code.clone(),
        name: h.name.clone(),
        category: h.category,
        level: h.level,
        stage: h.stage,
        operating_since: h.operating_since,
        construction_end: h.construction_end,
        first_support_end: h.first_support_end,
        charter: h.charter_status.unwrap_or(Charter::None),
        decision_bodies: g.bodies.get(&h.id).cloned().unwrap_or_default(),
        co_building_agreement: has_doc("co_building_agreement"),
        construction_plan: has_doc("construction_plan"),
        operating_modes: h.operating_modes.clone().unwrap_or_default(),
        operating_company: g.companies.get(&h.id).cloned(),
        advisor_assigned: h.advisor_assigned,
        last_advisor_log: g.last_visit.get(&h.id).copied(),
        responsible_staff_assigned: h.staff_assigned,
        checklist,
        acceptance: g.acceptance.get(&h.id).copied().unwrap_or(Acceptance::None),
        open_rectification_case: g.open_case.contains_key(&h.id),
        integrity_violations: g.integrity.get(&h.id).cloned().unwrap_or_default(),
        instruments: g.instruments.get(&h.id).cloned().unwrap_or_default(),
        // Years are unique by construction (a map key).
        years: Years::new(years).unwrap_or_default(),
        support: g.support.get(&h.id).cloned().unwrap_or_default(),
    };
    Snapshot {
        as_of,
        params: params.clone(),
        packs: packs.to_vec(),
        platform,
    }
}
