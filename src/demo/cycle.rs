//! Demo annual cycle, first part (runs before the mid-year and year-end seeders, which read it):
//! the configuration of 2023–2026 (version 1 each), the ledger of 2023–2026 itemising the reported
//! `annual_figures` of 2023–2025 (two platforms' reported totals deliberately differ from their items),
//! shared instruments, entered talent/R&D figures, and the year-start filings: 2023–2025 approved
//! (a few after a return), 2026 mostly approved, a few awaiting review, the demo operator's returned
//! with comments, one missing.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::json;
use sqlx::PgConnection;
use sqlx::types::Json;

use super::{DemoCity, Lcg, insert_event};
use crate::domain::annual::AnnualConfig;
use crate::domain::filing::target_indicators;
use crate::domain::ledger::{
    self, Channel, CompanyItem, ContractItem, ContractType, ExpenditureCategory, ExpenditureItem,
    InvestmentForm, LedgerYear, LicenceItem, PaymentModel, RevenueItem, TaskItem, TaskLevel,
};
use crate::domain::platform::Stage;
use crate::domain::scoring::Values;
use crate::domain::uscc::Uscc;

/// The complete past years and the year in progress.
const PAST: [i32; 3] = [2023, 2024, 2025];
const CURRENT: i32 = 2026;

/// Demo platform numbers (index into `DemoCity::platforms`) with a special story.
/// The demo operator's platform: its 2025 reported service orders exceed the items, and its 2026
/// filing was returned with comments.
const OPERATOR_PLATFORM: usize = 0;
/// Reported 2024 totals lower than the items (an extra government project was itemised).
const UNDER_REPORTED: usize = 3;
/// No 2026 filing at all.
const MISSING_2026: usize = 5;
/// 2026 filings awaiting review (the second one submitted late).
const SUBMITTED_2026: [usize; 3] = [6, 7, 8];
/// 2025 filings approved only after a return.
const RETURNED_FIRST_2025: [usize; 2] = [2, 9];

/// Seeds the configs, ledgers and filings (idempotency is handled by the caller).
pub async fn seed(conn: &mut PgConnection, city: &DemoCity) -> anyhow::Result<()> {
    configs(conn, city).await?;
    let mut rng = Lcg(20260101);
    for (n, (id, _, stage, since)) in city.platforms.iter().enumerate() {
        instruments(conn, *id, n, *since, &mut rng).await?;
        for year in PAST {
            let Some(reported) = reported(conn, *id, year).await? else {
                continue;
            };
            let items = past_ledger(conn, *id, n, year, &reported, &mut rng).await?;
            let entered =
                entered_values(conn, *id, year, reported.rnd_staff, 1.0, &mut rng).await?;
            let actuals = ledger::actuals(&ledger::derive(&items), &entered);
            past_filing(conn, city, *id, n, year, &reported, &actuals, &mut rng).await?;
        }
        let running = stage.is_operating()
            && since.is_some_and(|s| s <= NaiveDate::from_ymd_opt(CURRENT, 3, 31).unwrap_or(s));
        if running {
            let last = reported(conn, *id, CURRENT - 1).await?;
            let base = last.unwrap_or_else(|| Reported::starter(&mut rng));
            current_ledger(conn, *id, &base, &mut rng).await?;
            entered_values(conn, *id, CURRENT, base.rnd_staff, 0.8, &mut rng).await?;
            current_filing(conn, city, *id, n, *stage, &base, &mut rng).await?;
        }
    }
    Ok(())
}

// ---- configuration --------------------------------------------------------------------

async fn configs(conn: &mut PgConnection, city: &DemoCity) -> Result<(), sqlx::Error> {
    let config = Json(AnnualConfig::default());
    for year in PAST.iter().copied().chain([CURRENT]) {
        let on = NaiveDate::from_ymd_opt(year - 1, 12, 15).unwrap_or_default();
        let reason = if year == PAST[0] {
            "初始配置：按评估办法默认值".to_owned()
        } else {
            format!("自 {} 年复制", year - 1)
        };
        sqlx::query!(
            "INSERT INTO annual_configs (year, version, config, updated_by, updated_at)
             VALUES ($1, 1, $2, $3, ($4::date + time '09:30') AT TIME ZONE 'Asia/Shanghai')
             ON CONFLICT DO NOTHING",
            year,
            &config as _,
            city.staff_id,
            on
        )
        .execute(&mut *conn)
        .await?;
        sqlx::query!(
            "INSERT INTO annual_config_versions (year, version, config, reason, changed_by, changed_at)
             VALUES ($1, 1, $2, $3, $4, ($5::date + time '09:30') AT TIME ZONE 'Asia/Shanghai')
             ON CONFLICT DO NOTHING",
            year,
            &config as _,
            reason,
            city.staff_id,
            on
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

// ---- the ledger -----------------------------------------------------------------------

/// A year's reported totals (whole yuan).
struct Reported {
    channels: BTreeMap<Channel, i64>,
    expenditure: i64,
    rnd_staff: i64,
    major_tasks: i64,
}

impl Reported {
    /// A plausible first year for a platform without history.
    fn starter(rng: &mut Lcg) -> Reported {
        let channels = Channel::ALL
            .iter()
            .map(|c| (*c, rng.range(100_000, 800_000)))
            .collect();
        Reported {
            channels,
            expenditure: rng.range(3_000_000, 5_000_000),
            rnd_staff: rng.range(12, 30),
            major_tasks: 0,
        }
    }

    fn channel(&self, c: Channel) -> i64 {
        self.channels.get(&c).copied().unwrap_or(0)
    }
}

async fn reported(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
) -> Result<Option<Reported>, sqlx::Error> {
    Ok(crate::db::ledger::reported(conn, platform_id, year)
        .await?
        .map(|r| Reported {
            channels: r.channels,
            expenditure: r.expenditure,
            rnd_staff: r.rnd_staff,
            major_tasks: r.major_tasks,
        }))
}

/// `total` split into `parts` positive amounts (whole yuan) that sum exactly to it.
fn split(total: i64, parts: usize, rng: &mut Lcg) -> Vec<i64> {
    if total <= 0 {
        return Vec::new();
    }
    let parts = parts.clamp(1, 4).min(usize::try_from(total).unwrap_or(1));
    let weights: Vec<i64> = (0..parts).map(|_| rng.range(2, 8)).collect();
    let sum: i64 = weights.iter().sum();
    let mut out: Vec<i64> = weights.iter().map(|w| (total * w / sum).max(1)).collect();
    let assigned: i64 = out.iter().sum();
    if let Some(last) = out.last_mut() {
        *last += total - assigned;
    }
    out.retain(|a| *a > 0);
    out
}

fn date_in(year: i32, rng: &mut Lcg, last_month: u32) -> NaiveDate {
    let month = u32::try_from(rng.range(1, i64::from(last_month))).unwrap_or(1);
    let day = u32::try_from(rng.range(1, 28)).unwrap_or(1);
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

const CLIENTS: [&str; 8] = [
    "示例海工装备有限公司",
    "示例纺织科技有限公司",
    "示例新材料股份有限公司",
    "示例智能制造有限公司",
    "示例电子信息有限公司",
    "示例新能源科技有限公司",
    "示例船舶配套有限公司",
    "示例精密机械有限公司",
];

const ACHIEVEMENTS: [&str; 6] = [
    "一种高强度复合材料成型工艺",
    "船用低噪声推进器设计方法",
    "功能性纤维染整节能技术",
    "工业视觉缺陷检测算法",
    "锂电池极片涂布控制系统",
    "高端轴承热处理工艺",
];

/// Inserts one year's items for the reported `channels` and `expenditure` (each channel itemised
/// exactly unless `skew` says otherwise); returns what derivation sees.
#[allow(clippy::too_many_arguments)]
async fn insert_items(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
    last_month: u32,
    channels: &BTreeMap<Channel, i64>,
    expenditure: i64,
    major_tasks: i64,
    companies: i64,
    rng: &mut Lcg,
) -> Result<LedgerYear, sqlx::Error> {
    let mut items = LedgerYear {
        year,
        ..Default::default()
    };
    for (&channel, &total) in channels {
        let parts = if channel == Channel::FiscalSubsidy {
            1
        } else {
            usize::try_from(rng.range(1, 3)).unwrap_or(1)
        };
        for amount in split(total, parts, rng) {
            let client = CLIENTS[usize::try_from(rng.range(0, 7)).unwrap_or(0)];
            let on = date_in(year, rng, last_month);
            let (counterparty, description) = match channel {
                Channel::ServiceOrders => (client.to_owned(), "检测与中试服务订单".to_owned()),
                Channel::TechContracts => (client.to_owned(), "技术开发合同收入".to_owned()),
                Channel::AchievementTransfer => (client.to_owned(), "成果许可使用费".to_owned()),
                Channel::GovResearchProjects => (
                    "江苏省科学技术厅（示例）".to_owned(),
                    "省重点研发计划项目经费".to_owned(),
                ),
                Channel::IncubationReturns => (
                    "示例孵化企业（虚构）".to_owned(),
                    "孵化企业分红与股权收益".to_owned(),
                ),
                Channel::FiscalSubsidy => (
                    "南通市财政局（示例）".to_owned(),
                    "市级平台运行补助".to_owned(),
                ),
            };
            sqlx::query!(
                "INSERT INTO ledger_revenue (platform_id, year, channel, amount, counterparty, description, received_on)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                platform_id,
                year,
                channel as Channel,
                amount,
                &counterparty,
                &description,
                on
            )
            .execute(&mut *conn)
            .await?;
            items.revenue.push(RevenueItem { channel, amount });
            match channel {
                Channel::TechContracts => {
                    let contract_type =
                        ContractType::ALL[usize::try_from(rng.range(0, 4)).unwrap_or(0)];
                    // Most contracts are registered at the technology market.
                    let registration_no = if rng.range(0, 3) > 0 {
                        format!("{year}3206{:08}", rng.range(1, 99_999_999))
                    } else {
                        String::new()
                    };
                    sqlx::query!(
                        "INSERT INTO tech_contracts (platform_id, year, contract_type, counterparty, amount,
                                                     registration_no, signed_on)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        platform_id,
                        year,
                        contract_type as ContractType,
                        &counterparty,
                        amount,
                        &registration_no,
                        on
                    )
                    .execute(&mut *conn)
                    .await?;
                    items.contracts.push(ContractItem {
                        contract_type,
                        amount,
                        registration_no,
                    });
                }
                Channel::AchievementTransfer => {
                    let model = PaymentModel::ALL[usize::try_from(rng.range(0, 3)).unwrap_or(0)];
                    let first_use = model != PaymentModel::LumpSum;
                    let agreed = if model == PaymentModel::ZeroFeeStagedRoyalty {
                        0
                    } else {
                        amount * rng.range(100, 200) / 100
                    };
                    let schedule = match model {
                        PaymentModel::ZeroFeeStagedRoyalty => {
                            "零门槛费，投产后按销售额 3% 提成，按季度支付"
                        }
                        PaymentModel::Instalments => "分三期支付，每期 12 个月",
                        PaymentModel::Deferred => "验证成功后一次性支付，最长延期 24 个月",
                        PaymentModel::LumpSum => "签约后一次性支付",
                    };
                    let achievement = ACHIEVEMENTS[usize::try_from(rng.range(0, 5)).unwrap_or(0)];
                    sqlx::query!(
                        "INSERT INTO licences (platform_id, year, licensee, achievement, payment_model,
                                               use_first_pay_later, schedule, amount_agreed, amount_received)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                        platform_id,
                        year,
                        &counterparty,
                        achievement,
                        model as PaymentModel,
                        first_use,
                        schedule,
                        agreed,
                        amount
                    )
                    .execute(&mut *conn)
                    .await?;
                    items.licences.push(LicenceItem {
                        payment_model: model,
                        use_first_pay_later: first_use,
                        amount_agreed: agreed,
                        amount_received: amount,
                    });
                }
                _ => {}
            }
        }
    }
    // Expenditure by category: personnel, research and the rest.
    let shares = [
        (ExpenditureCategory::Personnel, rng.range(35, 45)),
        (ExpenditureCategory::Research, rng.range(25, 35)),
        (ExpenditureCategory::Equipment, rng.range(5, 15)),
        (ExpenditureCategory::Operations, rng.range(5, 12)),
    ];
    let mut left = expenditure;
    for (category, pct) in shares
        .iter()
        .copied()
        .chain([(ExpenditureCategory::Other, 0)])
    {
        let amount = if category == ExpenditureCategory::Other {
            left
        } else {
            (expenditure * pct / 100).min(left)
        };
        left -= amount;
        if amount <= 0 {
            continue;
        }
        sqlx::query!(
            "INSERT INTO ledger_expenditures (platform_id, year, category, amount, description)
             VALUES ($1, $2, $3, $4, $5)",
            platform_id,
            year,
            category as ExpenditureCategory,
            amount,
            format!("{year}年度{}", category.label_zh())
        )
        .execute(&mut *conn)
        .await?;
        items
            .expenditures
            .push(ExpenditureItem { category, amount });
    }
    for k in 0..major_tasks {
        let level = if rng.range(0, 2) == 0 {
            TaskLevel::National
        } else {
            TaskLevel::Provincial
        };
        let name = match level {
            TaskLevel::National => format!("国家重点研发计划示例课题（{year}-{}）", k + 1),
            TaskLevel::Provincial => format!("江苏省重大科技专项示例项目（{year}-{}）", k + 1),
        };
        let funding = rng.range(50, 400) * 10_000;
        sqlx::query!(
            "INSERT INTO major_tasks (platform_id, year, name, level, funding) VALUES ($1, $2, $3, $4, $5)",
            platform_id,
            year,
            name,
            level as TaskLevel,
            funding
        )
        .execute(&mut *conn)
        .await?;
        items.tasks.push(TaskItem { level, funding });
    }
    for k in 0..companies {
        let investment_form = InvestmentForm::ALL[usize::try_from(rng.range(0, 3)).unwrap_or(0)];
        let equity = if investment_form == InvestmentForm::None {
            0
        } else {
            rng.range(500, 3000)
        };
        let uscc = demo_uscc(rng);
        sqlx::query!(
            "INSERT INTO incubated_companies (platform_id, year, name, uscc, equity_pct, investment_form)
             VALUES ($1, $2, $3, $4, ($5::bigint / 100.0)::numeric(5, 2), $6)",
            platform_id,
            year,
            format!("示例孵化科技{platform_id}-{year}-{}有限公司", k + 1),
            uscc as Uscc,
            equity,
            investment_form as InvestmentForm
        )
        .execute(&mut *conn)
        .await?;
        items.companies.push(CompanyItem { investment_form });
    }
    Ok(items)
}

/// A valid, clearly fictitious unified social credit code (the check character computed).
fn demo_uscc(rng: &mut Lcg) -> Uscc {
    const CHARSET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut body = String::from("91320600MA");
    for _ in 0..7 {
        let i = usize::try_from(rng.range(0, 30)).unwrap_or(0);
        body.push(char::from(CHARSET[i]));
    }
    CHARSET
        .iter()
        .find_map(|c| Uscc::parse(&format!("{body}{}", char::from(*c))).ok())
        .unwrap_or_else(|| Uscc::parse("91320600MA1M9QX7K8").expect("a valid code"))
}

/// A complete past year: the reported totals itemised (two platforms deliberately off).
async fn past_ledger(
    conn: &mut PgConnection,
    platform_id: i64,
    n: usize,
    year: i32,
    reported: &Reported,
    rng: &mut Lcg,
) -> Result<LedgerYear, sqlx::Error> {
    let mut channels = reported.channels.clone();
    if n == OPERATOR_PLATFORM && year == 2025 {
        // One service order (12 万元) was never entered in the ledger.
        let so = channels.entry(Channel::ServiceOrders).or_insert(0);
        *so = (*so - 120_000).max(0);
    }
    if n == UNDER_REPORTED && year == 2024 {
        // A government project was itemised but left out of the reported totals.
        *channels.entry(Channel::GovResearchProjects).or_insert(0) += 350_000;
    }
    let companies = rng.range(0, 2);
    insert_items(
        conn,
        platform_id,
        year,
        12,
        &channels,
        reported.expenditure,
        reported.major_tasks,
        companies,
        rng,
    )
    .await
}

/// The year in progress: about ten months of items at last year's pace.
async fn current_ledger(
    conn: &mut PgConnection,
    platform_id: i64,
    base: &Reported,
    rng: &mut Lcg,
) -> Result<LedgerYear, sqlx::Error> {
    let pace = rng.range(60, 95);
    let channels: BTreeMap<Channel, i64> = base
        .channels
        .iter()
        .map(|(c, v)| (*c, v * pace / 100))
        .collect();
    insert_items(
        conn,
        platform_id,
        CURRENT,
        10,
        &channels,
        base.expenditure * 80 / 100,
        (base.major_tasks * pace / 100).max(0),
        rng.range(0, 1),
        rng,
    )
    .await
}

/// Talent and R&D figures (the rubric's quantitative indicators not derived from items).
async fn entered_values(
    conn: &mut PgConnection,
    platform_id: i64,
    year: i32,
    rnd_staff: i64,
    pace: f64,
    rng: &mut Lcg,
) -> Result<Values, sqlx::Error> {
    let scale = |x: i64| ((x as f64) * pace).round();
    let values: Values = [
        ("rnd_staff", rnd_staff as f64),
        ("core_technologies", scale(rng.range(1, 5))),
        ("invention_patents", scale(rng.range(2, 14))),
        ("high_level_talents", scale(rng.range(0, 6))),
        ("co_trained_talents", scale(rng.range(3, 25))),
        ("enterprises_served", scale(rng.range(15, 140))),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (key, value) in &values {
        sqlx::query!(
            "INSERT INTO indicator_values (platform_id, year, indicator_key, value)
             VALUES ($1, $2, $3, $4::float8::numeric) ON CONFLICT DO NOTHING",
            platform_id,
            year,
            key,
            value
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(values)
}

async fn instruments(
    conn: &mut PgConnection,
    platform_id: i64,
    n: usize,
    since: Option<NaiveDate>,
    rng: &mut Lcg,
) -> Result<(), sqlx::Error> {
    let Some(since) = since else {
        return Ok(());
    };
    const NAMES: [&str; 5] = [
        "场发射扫描电子显微镜",
        "X射线衍射仪",
        "高分辨液相色谱-质谱联用仪",
        "材料万能试验机",
        "三坐标测量机",
    ];
    for k in 0..rng.range(1, 3) {
        let name = NAMES[(n + usize::try_from(k).unwrap_or(0)) % NAMES.len()];
        sqlx::query!(
            "INSERT INTO instruments (platform_id, name, value_yuan, acquired_on, open_shared, on_provincial_platform)
             VALUES ($1, $2, $3, $4, $5, $6)",
            platform_id,
            name,
            rng.range(80, 900) * 10_000,
            since + chrono::Duration::days(rng.range(30, 300)),
            rng.range(0, 4) > 0,
            rng.range(0, 2) > 0
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

// ---- filings --------------------------------------------------------------------------

/// Targets around what the platform achieved (so the year-end scores vary), money in yuan.
fn targets_from(actuals: &Values, rng: &mut Lcg) -> Values {
    let rubric = AnnualConfig::default().rubric;
    target_indicators(&rubric)
        .map(|ind| {
            let actual = actuals.get(&ind.key).copied().unwrap_or(0.0);
            let factor = rng.range(80, 130) as f64 / 100.0;
            let target = match ledger::unit_of(&ind.key) {
                ledger::Unit::Yuan => ((actual * factor) / 10_000.0).round().max(1.0) * 10_000.0,
                ledger::Unit::Ratio => ((actual * factor) * 100.0).round().max(10.0) / 100.0,
                ledger::Unit::Count => (actual * factor).round().max(1.0),
            };
            (ind.key.clone(), target)
        })
        .collect()
}

fn plan_from(reported: &Reported, pct: i64) -> BTreeMap<String, i64> {
    Channel::ALL
        .iter()
        .map(|c| {
            (
                c.as_str().to_owned(),
                (reported.channel(*c) * pct / 100 / 10_000) * 10_000,
            )
        })
        .collect()
}

/// One filing version as the demo writes it.
struct DemoFiling<'a> {
    platform_id: i64,
    year: i32,
    version: i32,
    status: &'a str,
    targets: &'a Values,
    plan: &'a BTreeMap<String, i64>,
    budget: i64,
    submitted_on: NaiveDate,
    reviewed_on: Option<NaiveDate>,
    comment: &'a str,
    field_comments: serde_json::Value,
    /// The demo operator's account for its own platform; other platforms' operators are not demo accounts.
    submitted_by: Option<i64>,
}

async fn insert_filing(
    conn: &mut PgConnection,
    city: &DemoCity,
    f: &DemoFiling<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO filings (platform_id, year, version, status, targets, revenue_plan, expenditure_budget,
                              submitted_at, submitted_by, reviewed_at, reviewed_by, review_comment, field_comments,
                              lock_version, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7,
                 ($8::date + time '15:00') AT TIME ZONE 'Asia/Shanghai', $9,
                 ($10::date + time '11:00') AT TIME ZONE 'Asia/Shanghai', $11, $12, $13,
                 CASE WHEN $10::date IS NULL THEN 1 ELSE 2 END,
                 ($8::date + time '14:00') AT TIME ZONE 'Asia/Shanghai')
         ON CONFLICT DO NOTHING",
        f.platform_id,
        f.year,
        f.version,
        f.status,
        Json(f.targets) as _,
        Json(f.plan) as _,
        f.budget,
        f.submitted_on,
        f.submitted_by,
        f.reviewed_on,
        f.reviewed_on.map(|_| city.staff_id),
        f.comment,
        &f.field_comments
    )
    .execute(&mut *conn)
    .await?;
    let what = format!("{}年度年初备案（第 {} 版）", f.year, f.version);
    insert_event(
        conn,
        f.platform_id,
        f.submitted_on,
        "filing.submitted",
        None,
        None,
        &format!("提交{what}"),
    )
    .await?;
    if let Some(on) = f.reviewed_on {
        let (kind, summary) = match f.status {
            "returned" => ("filing.returned", format!("{what}被退回修改")),
            _ => ("filing.approved", format!("{what}审核通过")),
        };
        insert_event(conn, f.platform_id, on, kind, None, None, &summary).await?;
    }
    Ok(())
}

fn day(year: i32, month: u32, d: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, u32::try_from(d).unwrap_or(1)).unwrap_or_default()
}

#[allow(clippy::too_many_arguments)]
async fn past_filing(
    conn: &mut PgConnection,
    city: &DemoCity,
    platform_id: i64,
    n: usize,
    year: i32,
    reported: &Reported,
    actuals: &Values,
    rng: &mut Lcg,
) -> Result<(), sqlx::Error> {
    let targets = targets_from(actuals, rng);
    let plan = plan_from(reported, rng.range(85, 115));
    let budget = (reported.expenditure * rng.range(95, 110) / 100 / 10_000) * 10_000;
    let submitted_on = day(year, 3, rng.range(5, 28));
    let mut version = 1;
    if year == 2025 && RETURNED_FIRST_2025.contains(&n) {
        let mut low = targets.clone();
        if let Some(t) = low.get_mut("rnd_staff") {
            *t = (*t * 0.6).round();
        }
        insert_filing(
            conn,
            city,
            &DemoFiling {
                platform_id,
                year,
                version: 1,
                status: "returned",
                targets: &low,
                plan: &plan,
                budget,
                submitted_on,
                reviewed_on: Some(submitted_on + chrono::Duration::days(3)),
                comment: "研发人员目标明显低于上年实际，请按建设方案调整后重新提交。",
                field_comments: json!({"t_rnd_staff": "目标应不低于上年实际全职研发人员数"}),
                submitted_by: (n == OPERATOR_PLATFORM).then_some(city.operator_id),
            },
        )
        .await?;
        version = 2;
    }
    let submitted_on = if version == 2 {
        submitted_on + chrono::Duration::days(5)
    } else {
        submitted_on
    };
    insert_filing(
        conn,
        city,
        &DemoFiling {
            platform_id,
            year,
            version,
            status: "approved",
            targets: &targets,
            plan: &plan,
            budget,
            submitted_on,
            reviewed_on: Some(submitted_on + chrono::Duration::days(rng.range(2, 8))),
            comment: "同意备案。",
            field_comments: json!({}),
            submitted_by: (n == OPERATOR_PLATFORM).then_some(city.operator_id),
        },
    )
    .await
}

async fn current_filing(
    conn: &mut PgConnection,
    city: &DemoCity,
    platform_id: i64,
    n: usize,
    stage: Stage,
    base: &Reported,
    rng: &mut Lcg,
) -> Result<(), sqlx::Error> {
    if n == MISSING_2026 {
        return Ok(());
    }
    // Targets a little above last year's itemised pace.
    let mut last = Values::new();
    let self_generated: i64 = Channel::SELF_GENERATED
        .iter()
        .map(|c| base.channel(*c))
        .sum();
    last.insert("self_generated_income".into(), self_generated as f64);
    if base.expenditure > 0 {
        last.insert(
            "self_sufficiency_ratio".into(),
            self_generated as f64 / base.expenditure as f64,
        );
    }
    last.insert("rnd_staff".into(), base.rnd_staff as f64);
    last.insert("major_tasks".into(), base.major_tasks.max(1) as f64);
    last.insert(
        "rnd_expenditure".into(),
        (base.expenditure * 30 / 100) as f64,
    );
    last.insert(
        "tech_contract_value".into(),
        (base.channel(Channel::TechContracts) * 70 / 100) as f64,
    );
    last.insert(
        "revenue_channels".into(),
        Channel::SELF_GENERATED
            .iter()
            .filter(|c| base.channel(**c) > 0)
            .count() as f64,
    );
    for (k, v) in [
        ("core_technologies", 3.0),
        ("invention_patents", 8.0),
        ("high_level_talents", 3.0),
        ("co_trained_talents", 12.0),
        ("enterprises_served", 60.0),
        ("achievements_transferred", 2.0),
        ("companies_incubated", 1.0),
    ] {
        last.insert(k.into(), v);
    }
    let targets = targets_from(&last, rng);
    let plan = plan_from(base, rng.range(100, 120));
    let budget = (base.expenditure * rng.range(100, 110) / 100 / 10_000) * 10_000;
    let mut f = DemoFiling {
        platform_id,
        year: CURRENT,
        version: 1,
        status: "approved",
        targets: &targets,
        plan: &plan,
        budget,
        submitted_on: day(CURRENT, 3, rng.range(3, 28)),
        reviewed_on: None,
        comment: "",
        field_comments: json!({}),
        submitted_by: (n == OPERATOR_PLATFORM).then_some(city.operator_id),
    };
    if n == OPERATOR_PLATFORM {
        f.status = "returned";
        f.submitted_on = day(CURRENT, 3, 20);
        f.reviewed_on = Some(day(CURRENT, 3, 26));
        f.comment = "自我造血收入目标与上年实际持平，未体现市场化转型要求；请提高收入目标并补充技术合同计划后重新提交。";
        f.field_comments = json!({
            "t_self_generated_income": "目标应高于上年实际，体现增长",
            "plan_tech_contracts": "技术合同收入计划偏低，请与登记合同目标保持一致",
        });
    } else if let Some(k) = SUBMITTED_2026.iter().position(|&s| s == n) {
        f.status = "submitted";
        if k == 1 {
            f.submitted_on = day(CURRENT, 4, 12); // late: flagged
        }
    } else {
        f.reviewed_on = Some(f.submitted_on + chrono::Duration::days(rng.range(2, 9)));
        f.comment = if stage == Stage::Rectifying {
            "同意备案；整改期间按月报送收入进展。"
        } else {
            "同意备案。"
        };
    }
    insert_filing(conn, city, &f).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_sums_exactly() {
        let mut rng = Lcg(1);
        for total in [1, 2, 7, 10_000, 1_234_567, 99_999_999] {
            for parts in 1..=4 {
                let s = split(total, parts, &mut rng);
                assert_eq!(s.iter().sum::<i64>(), total, "{total} in {parts}");
                assert!(s.iter().all(|a| *a > 0));
            }
        }
        assert!(split(0, 3, &mut rng).is_empty());
    }

    #[test]
    fn demo_codes_are_valid() {
        let mut rng = Lcg(2);
        for _ in 0..50 {
            let code = demo_uscc(&mut rng);
            assert!(Uscc::parse(code.as_str()).is_ok());
        }
    }

    #[test]
    fn targets_cover_every_quantitative_indicator() {
        let mut rng = Lcg(3);
        let t = targets_from(&Values::new(), &mut rng);
        assert_eq!(t.len(), 14);
        assert!(t.values().all(|v| *v > 0.0));
    }
}
