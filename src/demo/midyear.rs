//! Demo mid-year reviews (半年过堂), the checklist and deadline notices, 2023–2026.
//!
//! Runs after the ledger and configuration seeder (cfg) and before the evaluation seeder (eval):
//! - a year-start filing per operating platform and year where none exists yet (approved, targets
//!   set against what the platform's ledger — or, without one, its reported figures — shows, with a
//!   per-platform ambition so the year-end grades vary), so the completion table has targets;
//! - 2023–2025: every operating platform's H1 report (a few late) and review meeting, whose actions
//!   are checklist items, nearly all closed by now;
//! - 2026: most reports submitted, a few missing or still drafts; reviews for about half; actions
//!   open or done, one overdue (on the demo operator's platform); a few items staff added by hand,
//!   with comments;
//! - the deadline reminders the demo accounts would have received this year, as of each day.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Utc};
use sqlx::PgConnection;
use sqlx::types::Json;

use super::{DemoCity, Lcg, insert_event};
use crate::db::notices::{generate_on, insert_reminder};
use crate::domain::annual::{AnnualConfig, Step};
use crate::domain::checklist::ItemStatus;
use crate::domain::filing::FilingStatus;
use crate::domain::midyear::ReportStatus;
use crate::domain::platform::Stage;
use crate::domain::reminders::{REMINDER_DAYS, Reminder};
use crate::domain::scoring::Values;

/// The years seeded: three complete ones and the current one in progress.
const YEARS: [i32; 4] = [2023, 2024, 2025, 2026];
const CURRENT: i32 = 2026;

/// Indicators that are a level at any time (H1 ≈ full year), not a flow that accumulates.
const STOCKS: [&str; 3] = ["rnd_staff", "revenue_channels", "self_sufficiency_ratio"];

/// Target ÷ expected actual, by platform: below 1 is an easy target, 2 a hard one. Spread so that
/// the year-end grades come out varied.
const AMBITION: [f64; 8] = [0.85, 0.95, 1.05, 1.0, 1.15, 1.3, 1.6, 2.1];

/// Platforms (demo index) whose 2026 mid-year report is missing, and one still a draft.
const MISSING_2026: [usize; 3] = [5, 13, 19];
const DRAFT_2026: usize = 9;
/// Platforms (demo index) with no 2026 filing yet, and one submitted but not approved.
const NO_FILING_2026: usize = 21;
const UNAPPROVED_FILING_2026: usize = 23;

const ACTIONS: [&str; 10] = [
    "补充理事会会议纪要并报市科技局备案",
    "制定提升自我造血能力的专项方案",
    "加快技术合同登记，补齐登记号",
    "完善大型科学仪器开放共享制度并接入省共享平台",
    "落实研发人员绩效激励办法",
    "梳理孵化企业股权投资台账",
    "按季度报送收入支出台账",
    "加强与共建高校的成果转化对接",
    "完善官网信息公开栏目",
    "制定下半年技术服务订单拓展计划",
];
const OWNERS: [&str; 5] = [
    "平台办公室",
    "平台主任",
    "财务部",
    "成果转化部",
    "综合管理部",
];
const ASSESSMENTS: [&str; 4] = [
    "上半年总体进展符合预期，收入结构持续优化。",
    "主要指标完成过半，技术合同登记额进度偏慢，需加快。",
    "自我造血收入增长较快，但研发投入不足，下半年需加大投入。",
    "人才引进进展较好，成果转化和孵化企业工作需进一步加强。",
];
const PROBLEMS: [&str; 4] = [
    "部分技术合同未登记；理事会上半年未召开会议。",
    "收入渠道仍以服务订单为主，渠道单一。",
    "研发经费支出进度低于预算。",
    "",
];

/// A date in `year`; month/day are clamped to a real date.
fn day(year: i32, month: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, d.clamp(1, 28)).unwrap_or_default()
}

/// A year's reported totals (`annual_figures`).
struct Figures {
    service_orders: i64,
    tech_contracts: i64,
    achievement_transfer: i64,
    gov_research_projects: i64,
    incubation_returns: i64,
    fiscal_subsidy: i64,
    expenditure: i64,
    rnd_staff: i32,
    major_tasks: i32,
}

/// What the platform is expected to achieve over `year`, per quantitative indicator.
async fn expected(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
    rng: &mut Lcg,
) -> Result<(Values, BTreeMap<String, i64>, i64), sqlx::Error> {
    let ledger = sqlx::query!(
        r#"SELECT
           (SELECT coalesce(sum(amount), 0) FROM ledger_revenue
             WHERE platform_id = $1 AND year = $2 AND channel <> 'fiscal_subsidy')::bigint AS "own!",
           (SELECT count(DISTINCT channel) FROM ledger_revenue
             WHERE platform_id = $1 AND year = $2 AND channel <> 'fiscal_subsidy') AS "channels!",
           (SELECT coalesce(sum(amount), 0) FROM ledger_expenditures WHERE platform_id = $1 AND year = $2)::bigint
             AS "spend!",
           (SELECT coalesce(sum(amount), 0) FROM ledger_expenditures
             WHERE platform_id = $1 AND year = $2 AND category = 'research')::bigint AS "research!",
           (SELECT coalesce(sum(amount), 0) FROM tech_contracts
             WHERE platform_id = $1 AND year = $2 AND registration_no <> '')::bigint AS "contracts!",
           (SELECT count(*) FROM incubated_companies WHERE platform_id = $1 AND year = $2) AS "incubated!",
           (SELECT count(*) FROM major_tasks WHERE platform_id = $1 AND year = $2) AS "tasks!",
           (SELECT count(*) FROM licences WHERE platform_id = $1 AND year = $2) AS "licences!""#,
        platform_id,
        year
    )
    .fetch_one(&mut *conn)
    .await?;
    let (own, channels, spend, research, contracts, incubated, tasks, licences) = (
        ledger.own,
        ledger.channels,
        ledger.spend,
        ledger.research,
        ledger.contracts,
        ledger.incubated,
        ledger.tasks,
        ledger.licences,
    );
    let by_channel: Vec<(String, i64)> = sqlx::query!(
        r#"SELECT channel, sum(amount)::bigint AS "sum!" FROM ledger_revenue WHERE platform_id = $1 AND year = $2
           GROUP BY channel"#,
        platform_id,
        year
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.channel, r.sum))
    .collect();
    // The reported figures of that year (or, for the year in progress, last year's grown by 10%).
    let figures: Option<Figures> = sqlx::query_as!(
        Figures,
        "SELECT service_orders, tech_contracts, achievement_transfer, gov_research_projects,
                incubation_returns, fiscal_subsidy, expenditure, rnd_staff, major_tasks
         FROM annual_figures WHERE platform_id = $1 AND year <= $2 ORDER BY year DESC LIMIT 1",
        platform_id,
        year
    )
    .fetch_optional(&mut *conn)
    .await?;
    let recorded: Values = crate::db::ledger::entered_values(conn, platform_id, year).await?;

    let grow = |v: i64| if year > 2025 { v + v / 10 } else { v };
    let f = figures.unwrap_or(Figures {
        service_orders: 1_500_000,
        tech_contracts: 600_000,
        achievement_transfer: 200_000,
        gov_research_projects: 500_000,
        incubation_returns: 100_000,
        fiscal_subsidy: 2_000_000,
        expenditure: 4_000_000,
        rnd_staff: 30,
        major_tasks: 1,
    });
    let f_channels = [
        f.service_orders,
        f.tech_contracts,
        f.achievement_transfer,
        f.gov_research_projects,
        f.incubation_returns,
    ]
    .map(grow);
    let ledger_seeded = own > 0 || spend > 0;
    let mut v = Values::new();
    let mut put = |k: &str, x: f64| {
        if x > 0.0 {
            v.insert(k.to_owned(), x);
        }
    };
    let own = if ledger_seeded {
        own
    } else {
        f_channels.iter().sum()
    };
    let spend = if ledger_seeded && spend > 0 {
        spend
    } else {
        grow(f.expenditure).max(1)
    };
    put("self_generated_income", own as f64);
    put(
        "self_sufficiency_ratio",
        (own as f64 / spend as f64 * 100.0).round() / 100.0,
    );
    put(
        "revenue_channels",
        if ledger_seeded {
            channels as f64
        } else {
            f_channels.iter().filter(|c| **c > 0).count() as f64
        },
    );
    put(
        "rnd_expenditure",
        if ledger_seeded {
            research as f64
        } else {
            (spend * 35 / 100) as f64
        },
    );
    put(
        "tech_contract_value",
        if ledger_seeded {
            contracts
        } else {
            f_channels[1]
        } as f64,
    );
    put(
        "companies_incubated",
        if ledger_seeded {
            incubated
        } else {
            rng.range(1, 4)
        } as f64,
    );
    put(
        "major_tasks",
        if ledger_seeded {
            tasks
        } else {
            i64::from(f.major_tasks)
        } as f64,
    );
    put(
        "achievements_transferred",
        if ledger_seeded {
            licences
        } else {
            rng.range(1, 6)
        } as f64,
    );
    let mut synthetic = |key: &str, lo: i64, hi: i64| {
        recorded
            .get(key)
            .copied()
            .unwrap_or_else(|| rng.range(lo, hi) as f64)
    };
    let rnd_staff = recorded
        .get("rnd_staff")
        .copied()
        .unwrap_or(f64::from(f.rnd_staff));
    let extra = [
        ("core_technologies", synthetic("core_technologies", 1, 5)),
        ("invention_patents", synthetic("invention_patents", 2, 15)),
        ("high_level_talents", synthetic("high_level_talents", 1, 6)),
        ("co_trained_talents", synthetic("co_trained_talents", 5, 40)),
        (
            "enterprises_served",
            synthetic("enterprises_served", 20, 200),
        ),
    ];
    for (k, x) in extra {
        put(k, x);
    }
    put("rnd_staff", rnd_staff);
    let plan: BTreeMap<String, i64> = if ledger_seeded {
        by_channel.into_iter().collect()
    } else {
        [
            "service_orders",
            "tech_contracts",
            "achievement_transfer",
            "gov_research_projects",
            "incubation_returns",
        ]
        .iter()
        .zip(f_channels)
        .map(|(c, x)| ((*c).to_owned(), x))
        .chain(std::iter::once((
            "fiscal_subsidy".to_owned(),
            f.fiscal_subsidy,
        )))
        .collect()
    };
    Ok((v, plan, spend))
}

/// A target from an expected value: money to the nearest 10,000 yuan, counts whole (at least 1),
/// ratios to two decimals.
fn target_of(key: &str, expected: f64, ambition: f64) -> f64 {
    let t = expected * ambition;
    match key {
        "self_sufficiency_ratio" => (t * 100.0).round() / 100.0,
        "self_generated_income" | "rnd_expenditure" | "tech_contract_value" => {
            ((t / 10_000.0).round() * 10_000.0).max(10_000.0)
        }
        _ => t.round().max(1.0),
    }
}

/// H1 actual from the expected full-year value: a share of a flow, about the level of a stock.
fn h1_of(key: &str, expected: f64, share: f64, rng: &mut Lcg) -> f64 {
    let x = if STOCKS.contains(&key) {
        expected * rng.range(90, 105) as f64 / 100.0
    } else {
        expected * share
    };
    match key {
        "self_sufficiency_ratio" => (x * 100.0).round() / 100.0,
        "self_generated_income" | "rnd_expenditure" | "tech_contract_value" => x.round(),
        _ => x.round(),
    }
}

struct Seeded {
    /// `(platform index, year)` → the date the H1 report was submitted.
    submitted: BTreeMap<(usize, i32), NaiveDate>,
}

/// Seeds the demo city's filings (where missing), mid-year reports and reviews, checklist items
/// with comments, and this year's deadline notices.
pub async fn seed(conn: &mut PgConnection, city: &DemoCity) -> anyhow::Result<()> {
    let today = crate::domain::calendar::today_beijing(Utc::now());
    let mut rng = Lcg(20260731);
    let mut seeded = Seeded {
        submitted: BTreeMap::new(),
    };
    for year in YEARS {
        for (i, (id, _, stage, since)) in city.platforms.iter().enumerate() {
            let took_part = match stage {
                Stage::Operating => true,
                Stage::Rectifying => year < CURRENT,
                _ => false,
            };
            let operating_before = since.is_some_and(|s| s.year() < year);
            if !took_part || !operating_before {
                continue;
            }
            seed_year(conn, city, &mut rng, &mut seeded, i, *id, year, today).await?;
        }
    }
    seed_manual_items(conn, city).await?;
    seed_notices(conn, city, &seeded, today).await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn seed_year(
    conn: &mut PgConnection,
    city: &DemoCity,
    rng: &mut Lcg,
    seeded: &mut Seeded,
    i: usize,
    id: i64,
    year: i32,
    today: NaiveDate,
) -> Result<(), sqlx::Error> {
    let config = AnnualConfig::default();
    let operator = (i == 0).then_some(city.operator_id);
    let (expected, plan, spend) = expected(conn, id, year, rng).await?;

    // The year-start filing (unless one is there already, or this is one of the 2026 gaps).
    if !(year == CURRENT && i == NO_FILING_2026) {
        let ambition = AMBITION[(i + year as usize) % AMBITION.len()];
        let targets: Values = expected
            .iter()
            .map(|(k, x)| (k.clone(), target_of(k, *x, ambition)))
            .collect();
        let approved = !(year == CURRENT && i == UNAPPROVED_FILING_2026);
        let filed_on = day(year, 3, 5 + (i as u32 % 20));
        let budget = spend + spend * rng.range(0, 10) / 100;
        let filing_status = if approved {
            FilingStatus::Approved
        } else {
            FilingStatus::Submitted
        };
        sqlx::query!(
            "INSERT INTO filings (platform_id, year, version, status, targets, revenue_plan, expenditure_budget,
                                  submitted_at, submitted_by, reviewed_at, reviewed_by, review_comment)
             VALUES ($1, $2, 1, $3, $4, $5, $6, ($7::date + time '10:00') AT TIME ZONE 'Asia/Shanghai', $8,
                     CASE WHEN $3 = 'approved' THEN ($7::date + 7 + time '15:00') AT TIME ZONE 'Asia/Shanghai' END,
                     CASE WHEN $3 = 'approved' THEN $9::bigint END,
                     CASE WHEN $3 = 'approved' THEN '同意备案。' ELSE '' END)
             ON CONFLICT DO NOTHING",
            id,
            year,
            filing_status as FilingStatus,
            Json(&targets) as _,
            Json(&plan) as _,
            budget,
            filed_on,
            operator,
            city.staff_id
        )
        .execute(&mut *conn)
        .await?;
    }

    // The H1 report.
    if year == CURRENT && MISSING_2026.contains(&i) {
        return Ok(());
    }
    let share = if i % 7 == 3 {
        rng.range(20, 32) as f64 / 100.0 // behind schedule
    } else {
        rng.range(38, 62) as f64 / 100.0
    };
    let actuals: Values = expected
        .iter()
        .map(|(k, x)| (k.clone(), h1_of(k, *x, share, rng)))
        .collect();
    let deadline = config.deadline(year, Step::Midyear);
    let late = (i + year as usize).is_multiple_of(11) && i != 0;
    let submitted_on = if late {
        deadline + chrono::Duration::days(rng.range(2, 12))
    } else if i == 0 {
        day(year, 7, 20)
    } else {
        day(year, 7, 8 + (i as u32 % 20))
    };
    let draft = (year == CURRENT && i == DRAFT_2026) || submitted_on > today;
    let report_status = if draft {
        ReportStatus::Draft
    } else {
        ReportStatus::Submitted
    };
    sqlx::query!(
        "INSERT INTO midyear_reports (platform_id, year, actuals, status, submitted_at, submitted_by, late)
         VALUES ($1, $2, $3, $4, CASE WHEN $4 = 'submitted' THEN ($5::date + time '16:00') AT TIME ZONE 'Asia/Shanghai' END,
                 CASE WHEN $4 = 'submitted' THEN $6::bigint END, $7)
         ON CONFLICT DO NOTHING",
        id,
        year,
        Json(&actuals) as _,
        report_status as ReportStatus,
        submitted_on,
        operator,
        late && !draft
    )
    .execute(&mut *conn)
    .await?;
    if draft {
        return Ok(());
    }
    seeded.submitted.insert((i, year), submitted_on);
    let summary = if late {
        format!("提交 {year} 年度半年报告（逾期提交，截止日期 {deadline}）")
    } else {
        format!("提交 {year} 年度半年报告")
    };
    insert_event(
        conn,
        id,
        submitted_on,
        "midyear.submitted",
        None,
        None,
        &summary,
    )
    .await?;

    // The review meeting: every year before this one; about half of this year's.
    if year == CURRENT && i % 2 == 1 {
        return Ok(());
    }
    let meeting = submitted_on + chrono::Duration::days(rng.range(10, 30));
    if meeting > today {
        return Ok(());
    }
    let n_actions = if i == 0 && year == CURRENT {
        3
    } else {
        rng.range(1, 3) as usize
    };
    let review_id: Option<i64> = sqlx::query_scalar!(
        "INSERT INTO midyear_reviews (platform_id, year, meeting_date, attendees, assessment, problems, recorded_by,
                                      recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, ($3::date + time '17:00') AT TIME ZONE 'Asia/Shanghai')
         ON CONFLICT DO NOTHING RETURNING id",
        id,
        year,
        meeting,
        "市科技局平台管理处、平台主任、财务负责人、产业顾问",
        ASSESSMENTS[(i + year as usize) % ASSESSMENTS.len()],
        PROBLEMS[(i * 3 + year as usize) % PROBLEMS.len()],
        city.staff_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    if review_id.is_none() {
        return Ok(());
    }
    insert_event(
        conn,
        id,
        meeting,
        "midyear.reviewed",
        None,
        None,
        &format!("召开 {year} 年度半年过堂会议（{meeting}），提出 {n_actions} 项整改要求"),
    )
    .await?;
    for k in 0..n_actions {
        // The demo operator's platform gets the actions its comments and evidence talk about.
        let title = if i == 0 && year == CURRENT {
            [ACTIONS[0], ACTIONS[1], ACTIONS[3]][k % 3]
        } else {
            ACTIONS[(i * 3 + k + year as usize) % ACTIONS.len()]
        };
        let owner = OWNERS[(i + k) % OWNERS.len()];
        let (due, status, evidence) = action_state(i, k, year, meeting);
        let item_id: i64 = sqlx::query_scalar!(
            "INSERT INTO checklist_items (platform_id, source, title, description, owner, due_date, status, evidence,
                                          created_by, created_at, closed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, ($10::date + time '17:30') AT TIME ZONE 'Asia/Shanghai',
                     CASE WHEN $7 = 'closed' THEN ($6::date + time '12:00') AT TIME ZONE 'Asia/Shanghai' END)
             RETURNING id",
            id,
            format!("midyear:{year}"),
            title,
            format!("{year} 年度半年过堂提出的整改要求"),
            owner,
            due,
            status as ItemStatus,
            evidence,
            city.staff_id,
            meeting
        )
        .fetch_one(&mut *conn)
        .await?;
        if i == 0 && year == CURRENT && k == 0 {
            comment_thread(conn, city, item_id, meeting).await?;
        }
    }
    Ok(())
}

/// Due date, status and evidence of action `k` of a review: earlier years are dealt with; this
/// year's are open or reported done, and one on the demo operator's platform is overdue.
fn action_state(
    i: usize,
    k: usize,
    year: i32,
    meeting: NaiveDate,
) -> (NaiveDate, ItemStatus, &'static str) {
    let due = meeting + chrono::Duration::days(60 + 30 * k as i64);
    match (year, i, k) {
        (CURRENT, 0, 0) => (day(CURRENT, 10, 28), ItemStatus::Open, ""),
        (CURRENT, 0, 1) => (
            day(CURRENT, 12, 15),
            ItemStatus::Done,
            "已制定专项方案并经理事会审议通过（见 2026 年第 3 次理事会纪要）。",
        ),
        (CURRENT, _, _) if (i + k).is_multiple_of(3) => (
            day(CURRENT, 12, 10 + (k as u32) * 5),
            ItemStatus::Done,
            "已按要求落实，相关材料已上传文件库。",
        ),
        (CURRENT, _, _) => (
            day(CURRENT + 1, 1 + (k as u32 % 3), 15),
            ItemStatus::Open,
            "",
        ),
        (2025, _, _) if (i + k) % 9 == 4 => (due, ItemStatus::Done, "已落实，待科技局确认。"),
        _ => (due, ItemStatus::Closed, "已按期完成，材料已归档。"),
    }
}

/// A short exchange on the demo operator's overdue item.
async fn comment_thread(
    conn: &mut PgConnection,
    city: &DemoCity,
    item_id: i64,
    meeting: NaiveDate,
) -> Result<(), sqlx::Error> {
    let thread = [
        (city.staff_id, 3, "请于 10 月底前提交理事会会议纪要扫描件。"),
        (city.operator_id, 5, "已在安排理事会会议，会后即提交纪要。"),
        (
            city.advisor_id,
            9,
            "建议同步修订理事会议事规则，明确每半年至少召开一次会议。",
        ),
    ];
    for (author, after, text) in thread {
        sqlx::query!(
            "INSERT INTO checklist_comments (item_id, author_id, comment, created_at)
             VALUES ($1, $2, $3, (($4::date + $5::int) + time '09:30') AT TIME ZONE 'Asia/Shanghai')",
            item_id,
            author,
            text,
            meeting,
            after
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A few items staff added by hand (demo indices, title, owner, due, status, evidence).
async fn seed_manual_items(conn: &mut PgConnection, city: &DemoCity) -> Result<(), sqlx::Error> {
    let items: [(usize, &str, &str, NaiveDate, ItemStatus, &str); 4] = [
        (
            0,
            "完善官网信息公开栏目（章程、年度报告、收支情况）",
            "综合管理部",
            day(CURRENT + 1, 1, 15),
            ItemStatus::Open,
            "",
        ),
        (
            3,
            "补报 2025 年度技术合同登记材料",
            "成果转化部",
            day(CURRENT, 12, 20),
            ItemStatus::Done,
            "已在技术合同登记系统补登 6 份合同，登记号见台账。",
        ),
        (
            7,
            "更新大型科学仪器共享目录",
            "平台办公室",
            day(CURRENT, 9, 30),
            ItemStatus::Closed,
            "已更新目录并在省大型科学仪器共享平台上线 12 台套。",
        ),
        (
            1,
            "落实产业顾问提出的服务对接建议",
            "平台主任",
            day(CURRENT + 1, 2, 28),
            ItemStatus::Open,
            "",
        ),
    ];
    for (i, title, owner, due, status, evidence) in items {
        let Some((id, _, _, _)) = city.platforms.get(i) else {
            continue;
        };
        sqlx::query!(
            "INSERT INTO checklist_items (platform_id, source, title, owner, due_date, status, evidence, created_by,
                                          created_at, closed_at)
             VALUES ($1, 'manual', $2, $3, $4, $5, $6, $7, ($4::date - 60 + time '10:00') AT TIME ZONE 'Asia/Shanghai',
                     CASE WHEN $5 = 'closed' THEN ($4::date + time '12:00') AT TIME ZONE 'Asia/Shanghai' END)",
            id,
            title,
            owner,
            due,
            status as ItemStatus,
            evidence,
            city.staff_id
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The reminders of this year's filing and mid-year deadlines as the demo accounts received them
/// (a platform that had not yet submitted on a reminder day got that day's notice), then today's.
async fn seed_notices(
    conn: &mut PgConnection,
    city: &DemoCity,
    seeded: &Seeded,
    today: NaiveDate,
) -> Result<(), sqlx::Error> {
    let config = AnnualConfig::default();
    for step in [Step::Filing, Step::Midyear] {
        let deadline = config.deadline(CURRENT, step);
        for (i, (id, _, stage, since)) in city.platforms.iter().enumerate() {
            if *stage != Stage::Operating || !since.is_some_and(|s| s <= deadline) {
                continue;
            }
            let done_on: Option<NaiveDate> = match step {
                Step::Midyear => seeded.submitted.get(&(i, CURRENT)).copied(),
                _ => {
                    sqlx::query_scalar!(
                        "SELECT min((submitted_at AT TIME ZONE 'Asia/Shanghai')::date) FROM filings
                         WHERE platform_id = $1 AND year = $2 AND status IN ('submitted', 'approved', 'superseded')",
                        id,
                        CURRENT
                    )
                    .fetch_one(&mut *conn)
                    .await?
                }
            };
            let recipients: Vec<(i64, String)> = sqlx::query!(
                "SELECT u.id, p.name FROM platforms p
                 JOIN users u ON ((u.role = 'operator' AND u.platform_id = p.id) OR u.id = p.responsible_staff_id)
                                 AND NOT u.disabled
                 WHERE p.id = $1",
                id
            )
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|r| (r.id, r.name))
            .collect();
            for days_left in REMINDER_DAYS {
                let on = deadline - chrono::Duration::days(days_left);
                if on > today || done_on.is_some_and(|d| d <= on) {
                    continue;
                }
                for (user_id, name) in &recipients {
                    insert_reminder(
                        conn,
                        &crate::web::links::NOTICES,
                        step,
                        CURRENT,
                        deadline,
                        Reminder { days_left },
                        (*id, name),
                        *user_id,
                    )
                    .await?;
                }
                // As of that morning; read the next day where the platform has acted on it
                // since, still unread where it has not.
                sqlx::query!(
                    "UPDATE notices SET created_at = ($2::date + time '08:00') AT TIME ZONE 'Asia/Shanghai',
                                        read_at = CASE WHEN $3
                                                       THEN ($2::date + 1 + time '09:00') AT TIME ZONE 'Asia/Shanghai' END
                     WHERE created_at = now() AND subject = $1",
                    format!(
                        "{}:{CURRENT}:platform:{id}",
                        crate::db::notices::step_code(step)
                    ),
                    on,
                    done_on.is_some()
                )
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    generate_on(conn, today, &crate::web::links::NOTICES).await?;
    Ok(())
}
