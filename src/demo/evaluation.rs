//! Demo year-end evaluations (年底评估): complete, published rounds for 2023–2025 — scored from the approved
//! filings' targets through `scoring::score_platform` and `assign_grades` with two experts on the qualitative
//! items, varied grades with at least one 不合格 a year and a tie at the 优秀 quota's boundary in 2024 — and the
//! current year 2026 in progress (a few evaluations submitted or in review, one with the experts).
//!
//! Runs LAST among the seeders: it reads the filings (and, if seeded, integrity records and rectification cases)
//! the others wrote. Actuals are the platform's figures where it has them (the year totals and recorded indicator
//! values); the designed cases (leaders, the tie, the failures) and the indicators without figures are generated
//! relative to each target, so every grade appears.

use chrono::{Datelike, NaiveDate};
use serde_json::json;
use sqlx::PgConnection;

use super::{DemoCity, Lcg, insert_event};
use crate::db::{annual_config, evaluations as db};
use crate::domain::annual::Step;
use crate::domain::compliance::catalogue::BAN_MONTHS;
use crate::domain::evaluation::{self as rules, Assignment, EvalStatus, ScoreStage};
use crate::domain::platform::{Category, Level, Stage};
use crate::domain::scoring::{Grade, IndicatorKind, Values, assign_grades};

/// The complete years and the year in progress.
const PAST_YEARS: [i32; 3] = [2023, 2024, 2025];
const CURRENT_YEAR: i32 = 2026;

/// A demo platform as the evaluation needs it.
struct Candidate {
    id: i64,
    index: usize,
    name: String,
    rectifying: bool,
    level: Level,
    category: Option<Category>,
    chongchuan: bool,
}

/// How a platform does in a year: achievement factor on every target, and the experts' mean. A designed profile
/// (leader, tie, failure) ignores the platform's own figures so its outcome is certain.
#[derive(Clone, Copy)]
struct Profile {
    f: f64,
    g: f64,
    designed: bool,
}

fn designed(f: f64, g: f64) -> Profile {
    Profile {
        f,
        g,
        designed: true,
    }
}

/// The platform's figures of `year` for the indicators they give: from the year totals (self-generated income =
/// the five channels, self-sufficiency = that ÷ expenditure, channels in use, R&D staff, major tasks) and the
/// recorded indicator values.
// merge: take the ledger-derived values (`domain::ledger::derive`) here once the ledger module lands.
async fn figures(conn: &mut PgConnection, platform: i64, year: i32) -> anyhow::Result<Values> {
    let row = sqlx::query!(
        "SELECT service_orders, tech_contracts, achievement_transfer, gov_research_projects, incubation_returns,
                expenditure, rnd_staff, major_tasks
         FROM annual_figures WHERE platform_id = $1 AND year = $2",
        platform,
        year
    )
    .fetch_optional(&mut *conn)
    .await?;
    let mut v = Values::new();
    if let Some(row) = row {
        let (expenditure, staff, tasks) = (row.expenditure, row.rnd_staff, row.major_tasks);
        let channels = [
            row.service_orders,
            row.tech_contracts,
            row.achievement_transfer,
            row.gov_research_projects,
            row.incubation_returns,
        ];
        let own: i64 = channels.iter().sum();
        v.insert("self_generated_income".into(), own as f64);
        if expenditure > 0 {
            let ratio = own as f64 / expenditure as f64;
            v.insert(
                "self_sufficiency_ratio".into(),
                (ratio * 100.0).round() / 100.0,
            );
        }
        let in_use = channels.iter().filter(|x| **x > 0).count();
        v.insert("revenue_channels".into(), in_use as f64);
        v.insert("rnd_staff".into(), f64::from(staff));
        v.insert("major_tasks".into(), f64::from(tasks));
    }
    v.extend(crate::db::ledger::entered_values(conn, platform, year).await?);
    Ok(v)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// Seeds the demo city's year-end evaluations (idempotency is handled by the caller).
pub async fn seed(conn: &mut PgConnection, city: &DemoCity) -> anyhow::Result<()> {
    // Two experts who can be told apart on the pages.
    sqlx::query!(
        "UPDATE users SET display_name = '演示评审专家（二）' WHERE username = 'demo-expert2'"
    )
    .execute(&mut *conn)
    .await?;
    let experts: Vec<i64> = sqlx::query_scalar!(
        "SELECT id FROM users WHERE username IN ('demo-expert', 'demo-expert2') ORDER BY username"
    )
    .fetch_all(&mut *conn)
    .await?;
    let candidates = candidates(conn, city).await?;
    for year in PAST_YEARS {
        past_year(conn, city, &candidates, &experts, year).await?;
    }
    current_year(conn, city, &candidates, &experts).await?;
    Ok(())
}

async fn candidates(conn: &mut PgConnection, city: &DemoCity) -> anyhow::Result<Vec<Candidate>> {
    let mut out = Vec::new();
    for (index, (id, _, stage, _)) in city.platforms.iter().enumerate() {
        if !stage.is_operating() {
            continue;
        }
        let row = sqlx::query!(
            r#"SELECT p.name, p.level AS "level: Level", p.category AS "category: Category", j.code
               FROM platforms p JOIN jurisdictions j ON j.id = p.jurisdiction_id WHERE p.id = $1"#,
            id
        )
        .fetch_one(&mut *conn)
        .await?;
        out.push(Candidate {
            id: *id,
            index,
            name: row.name,
            rectifying: *stage == Stage::Rectifying,
            level: row.level,
            category: row.category,
            chongchuan: row.code == "320613",
        });
    }
    Ok(out)
}

/// Operating through the whole of `year`.
fn operating_in(city: &DemoCity, c: &Candidate, year: i32) -> bool {
    city.platforms[c.index]
        .3
        .is_some_and(|since| since.year() < year)
}

/// A plausible target per quantitative indicator (used only when no filing was seeded for the year).
fn generated_targets(rng: &mut Lcg, keys: &[String]) -> Values {
    keys.iter()
        .map(|k| {
            let v = match k.as_str() {
                "rnd_expenditure" => rng.range(3_000, 8_000) as f64 * 1_000.0,
                "core_technologies" => rng.range(2, 6) as f64,
                "invention_patents" => rng.range(3, 12) as f64,
                "major_tasks" => rng.range(1, 3) as f64,
                "rnd_staff" => rng.range(20, 80) as f64,
                "high_level_talents" => rng.range(2, 8) as f64,
                "co_trained_talents" => rng.range(5, 30) as f64,
                "tech_contract_value" => rng.range(1_000, 5_000) as f64 * 1_000.0,
                "achievements_transferred" => rng.range(2, 8) as f64,
                "companies_incubated" => rng.range(1, 5) as f64,
                "enterprises_served" => rng.range(20, 120) as f64,
                "self_generated_income" => rng.range(2_000, 9_000) as f64 * 1_000.0,
                "self_sufficiency_ratio" => rng.range(50, 100) as f64 / 100.0,
                "revenue_channels" => rng.range(3, 5) as f64,
                _ => rng.range(1, 10) as f64,
            };
            (k.clone(), v)
        })
        .collect()
}

/// The approved targets of each candidate for `year`. When no filing at all was seeded for the year (the filing
/// seeder is absent), approved filings are created here so the demo stays consistent: targets = approved filing.
async fn targets_for(
    conn: &mut PgConnection,
    city: &DemoCity,
    year: i32,
    platforms: &[&Candidate],
    keys: &[String],
) -> anyhow::Result<Vec<Option<Values>>> {
    let any: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM filings WHERE year = $1) AS "any!""#,
        year
    )
    .fetch_one(&mut *conn)
    .await?;
    let mut rng = Lcg(u64::try_from(year).unwrap_or(1) * 7919);
    let mut out = Vec::new();
    for c in platforms {
        if !any {
            // merge: the filing seeder normally provides these; this only runs without it. Targets are a little
            // above the platform's own figures where it has them.
            let mut targets = generated_targets(&mut rng, keys);
            for (k, fig) in figures(conn, c.id, year).await? {
                if let Some(t) = targets.get_mut(&k) {
                    let stretch = rng.range(100, 160) as f64 / 100.0;
                    *t = if k == "self_sufficiency_ratio" {
                        ((fig * stretch * 100.0).round() / 100.0).max(0.1)
                    } else {
                        (fig * stretch).round().max(1.0)
                    };
                }
            }
            sqlx::query!(
                "INSERT INTO filings (platform_id, year, version, status, targets, submitted_at, reviewed_at,
                                      reviewed_by, review_comment)
                 VALUES ($1, $2, 1, 'approved', $3, ($4::date + time '10:00') AT TIME ZONE 'Asia/Shanghai',
                         ($5::date + time '10:00') AT TIME ZONE 'Asia/Shanghai', $6, '目标合理，同意备案')",
                c.id,
                year,
                json!(targets),
                date(year, 3, 10),
                date(year, 3, 20),
                city.staff_id
            )
            .execute(&mut *conn)
            .await?;
        }
        out.push(db::approved_targets(conn, c.id, year).await?);
    }
    Ok(out)
}

/// The operator's reported actuals: each target times `f` (±8%), whole numbers where the indicator counts.
fn actuals_for(targets: &Values, f: f64, rng: &mut Lcg) -> Values {
    targets
        .iter()
        .map(|(k, t)| {
            let jitter = if f >= 1.0 {
                1.0
            } else {
                1.0 + (rng.range(-8, 8) as f64) / 100.0
            };
            let v = (t * f * jitter).max(0.0);
            let v = if k == "self_sufficiency_ratio" {
                (v * 100.0).round() / 100.0
            } else {
                v.round()
            };
            (k.clone(), v)
        })
        .collect()
}

fn expert_scores(keys: &[String], g: f64, spread: f64) -> [Values; 2] {
    let clamp = |x: f64| x.clamp(0.0, 100.0);
    [
        keys.iter()
            .map(|k| (k.clone(), clamp(g - spread)))
            .collect(),
        keys.iter()
            .map(|k| (k.clone(), clamp(g + spread)))
            .collect(),
    ]
}

/// Profiles for a year: random for most, with designed top performers, a boundary tie (2024) and failures.
fn profiles(year: i32, platforms: &[&Candidate], quota: usize) -> Vec<Profile> {
    let mut rng = Lcg(u64::try_from(year).unwrap_or(1) * 104_729);
    let mut out: Vec<Profile> = platforms
        .iter()
        .map(|_| Profile {
            // Above 不合格 even with an unfavourable jitter (0.66 × 0.92 × 90 + 6.2 > 60) and, even at full marks on
            // every target, below the designed tie (90 + 8.8 < 99): the failures and the tie are the designed ones.
            f: rng.range(66, 90) as f64 / 100.0,
            g: rng.range(62, 88) as f64,
            designed: false,
        })
        .collect();
    let n = out.len();
    if n < 6 {
        return out;
    }
    match year {
        2024 => {
            // quota − 1 clear leaders, then two platforms of the same category tied right at the boundary:
            // admitting both would exceed the quota, so neither is 优秀.
            for (k, p) in out.iter_mut().take(quota.saturating_sub(1)).enumerate() {
                *p = designed(1.05, 99.0 - k as f64 * 2.0);
            }
            let start = quota.saturating_sub(1);
            let first = start;
            let second = (first + 1..n)
                .find(|&j| platforms[j].category == platforms[first].category)
                .unwrap_or(first + 1);
            out[first] = designed(1.05, 90.0);
            out[second] = designed(1.05, 90.0);
            out[n - 1] = designed(0.35, 52.0);
        }
        2023 => {
            out[0] = designed(1.05, 94.0);
            out[3] = designed(1.02, 91.0);
            out[n - 2] = designed(0.4, 55.0);
        }
        _ => {
            out[1] = designed(1.05, 96.0);
            out[4] = designed(1.0, 92.0);
            // The platforms put into rectification the next year (for weak progress or transfer)
            // did poorly this year: a pass at best, never among the leaders or 优秀.
            for (p, c) in out.iter_mut().zip(platforms) {
                if c.rectifying {
                    *p = designed(0.7, 66.0);
                }
            }
            // One operating platform and one already rectifying fail (the latter may have an open case).
            if let Some(j) = platforms.iter().rposition(|c| !c.rectifying) {
                out[j] = designed(0.38, 55.0);
            }
            if let Some(j) = platforms.iter().position(|c| c.rectifying) {
                out[j] = designed(0.42, 50.0);
            }
        }
    }
    out
}

async fn past_year(
    conn: &mut PgConnection,
    city: &DemoCity,
    all: &[Candidate],
    experts: &[i64],
    year: i32,
) -> anyhow::Result<()> {
    let (config, version) = annual_config::get(conn, year).await?;
    let quantitative: Vec<String> = config
        .rubric
        .indicators
        .iter()
        .filter(|i| i.kind == IndicatorKind::Quantitative)
        .map(|i| i.key.clone())
        .collect();
    let qualitative: Vec<String> = config
        .rubric
        .indicators
        .iter()
        .filter(|i| i.kind == IndicatorKind::Qualitative)
        .map(|i| i.key.clone())
        .collect();
    let next = year + 1;
    let reviewed_on = date(next, 1, 25);
    // Barred platforms are recorded as not evaluated: those with a ban in force on the round's year-end deadline.
    let ban_months = crate::db::rule_params::in_force(conn, crate::clock::today())
        .await?
        .get(&BAN_MONTHS)
        .0;
    let mut platforms = Vec::new();
    for c in all.iter().filter(|c| operating_in(city, c, year)) {
        let records = db::integrity_records(conn, c.id).await?;
        match rules::integrity_bar(&records, ban_months, config.deadline(year, Step::Yearend)) {
            Some(bar) => {
                sqlx::query!(
                    "INSERT INTO evaluations (platform_id, year, status, excluded_reason) VALUES ($1, $2, 'excluded', $3)",
                    c.id,
                    year,
                    bar.reason()
                )
                .execute(&mut *conn)
                .await?;
            }
            None => platforms.push(c),
        }
    }
    let targets = targets_for(conn, city, year, &platforms, &quantitative).await?;
    // Only platforms with an approved filing (and a category) are evaluated.
    let evaluated: Vec<(&Candidate, Values)> = platforms
        .iter()
        .zip(targets)
        .filter_map(|(c, t)| t.filter(|_| c.category.is_some()).map(|t| (*c, t)))
        .collect();
    let refs: Vec<&Candidate> = evaluated.iter().map(|(c, _)| *c).collect();
    let quota = config.grade_rules.excellent_quota(refs.len());
    let profiles = profiles(year, &refs, quota);
    let mut rng = Lcg(u64::try_from(year).unwrap_or(1) * 31);
    let done = Assignment {
        conflict: Some(false),
        submitted: true,
    };

    let mut scored = Vec::new();
    for ((c, targets), p) in evaluated.iter().zip(&profiles) {
        let mut actuals = actuals_for(targets, p.f, &mut rng);
        if !p.designed {
            for (k, v) in figures(conn, c.id, year).await? {
                if let Some(a) = actuals.get_mut(&k) {
                    *a = v;
                }
            }
        }
        let spread = if p.f >= 1.0 { 0.0 } else { 3.0 };
        let [s1, s2] = expert_scores(&qualitative, p.g, spread);
        let assignments = vec![(done, s1.clone()), (done, s2.clone())];
        let detail = rules::score(
            &config.rubric,
            c.category,
            version,
            targets,
            &actuals,
            &assignments,
            ScoreStage::Final,
        )
        .map_err(anyhow::Error::msg)?;
        scored.push((*c, actuals, [s1, s2], detail));
    }
    let totals: Vec<(usize, f64)> = scored
        .iter()
        .enumerate()
        .map(|(i, s)| (i, s.3.score.total))
        .collect();
    let grades = assign_grades(&config.grade_rules, &totals);
    let published = date(next, 2, 26);
    for g in &grades {
        let (c, actuals, scores, detail) = &scored[g.id];
        let submitted = date(next, 1, 5 + (c.index % 15) as u32);
        let county = c.level != Level::City;
        let county_reviewer = if c.chongchuan {
            city.county_staff_id
        } else {
            city.staff_id
        };
        let eid: i64 = sqlx::query_scalar!(
            "INSERT INTO evaluations (platform_id, year, status, actuals, self_assessment, submitted_at, submitted_by,
                                      county_reviewed_by, county_reviewed_at, county_comment,
                                      city_reviewed_by, city_reviewed_at, city_comment, config_version, score_detail,
                                      total_score, rank, grade, reward_yuan, funding_coefficient)
             VALUES ($1, $2, 'scored', $3, $4, ($5::date + time '10:00') AT TIME ZONE 'Asia/Shanghai', $6,
                     $7, CASE WHEN $7::bigint IS NULL THEN NULL ELSE ($8::date + time '15:00') AT TIME ZONE 'Asia/Shanghai' END,
                     $9, $10, ($8::date + time '17:00') AT TIME ZONE 'Asia/Shanghai', '材料齐全，同意报送专家评审',
                     $11, $12, $13, $14, $15, $16, $17)
             RETURNING id",
            c.id,
            year,
            json!(actuals),
            format!(
                "{year}年度，平台围绕备案目标推进研发、人才培养和成果转化工作，主要指标完成情况见上表。存在问题：{}。",
                if g.grade == Grade::Fail {
                    "自我造血能力不足，部分目标未完成"
                } else {
                    "市场化收入结构仍需优化"
                }
            ),
            submitted,
            (c.index == 0).then_some(city.operator_id),
            county.then_some(county_reviewer),
            reviewed_on,
            if county { "初审通过" } else { "" },
            city.staff_id,
            version,
            json!(detail),
            g.score,
            i32::try_from(g.rank).unwrap_or(i32::MAX),
            g.grade as Grade,
            g.reward_yuan,
            g.funding_coefficient
        )
        .fetch_one(&mut *conn)
        .await?;
        sqlx::query!(
            "INSERT INTO evaluation_evidence (evaluation_id, document_id)
             SELECT $1, id FROM documents WHERE platform_id = $2 ORDER BY id LIMIT 2",
            eid,
            c.id
        )
        .execute(&mut *conn)
        .await?;
        for (expert, s) in experts.iter().zip(scores.iter()) {
            let aid: i64 = sqlx::query_scalar!(
                "INSERT INTO expert_assignments (evaluation_id, expert_id, conflict, declared_at, submitted_at,
                                                 assigned_by, assigned_at)
                 VALUES ($1, $2, false, ($3::date + time '09:30') AT TIME ZONE 'Asia/Shanghai',
                         ($3::date + time '16:00') AT TIME ZONE 'Asia/Shanghai', $4,
                         ($3::date + time '09:00') AT TIME ZONE 'Asia/Shanghai')
                 RETURNING id",
                eid,
                expert,
                date(next, 2, 5),
                city.staff_id
            )
            .fetch_one(&mut *conn)
            .await?;
            let keys: Vec<String> = s.keys().cloned().collect();
            let values: Vec<f64> = s.values().copied().collect();
            sqlx::query!(
                "INSERT INTO expert_scores (assignment_id, indicator_key, score)
                 SELECT $1, k, v FROM unnest($2::text[], $3::float8[]) AS t(k, v)",
                aid,
                &keys[..],
                &values[..]
            )
            .execute(&mut *conn)
            .await?;
        }
        insert_event(
            conn,
            c.id,
            submitted,
            "evaluation.submitted",
            None,
            None,
            &format!("提交{year}年度评估材料"),
        )
        .await?;
        let mut note = String::new();
        if g.opens_rectification && year == 2025 {
            match db::open_case(conn, c.id).await? {
                Some(existing) => {
                    note = format!("；平台已有进行中的整改案件（#{existing}），未重复生成");
                }
                None => {
                    let cid = db::insert_fail_case(
                        conn,
                        c.id,
                        year,
                        &format!("{year}年度绩效评估不合格（总分{:.2}）", g.score),
                        &rules::fail_case_summary(year, g.score, g.rank),
                        Some(city.staff_id),
                    )
                    .await?;
                    sqlx::query!(
                        "UPDATE rectification_cases SET opened_at = ($2::date + time '11:00') AT TIME ZONE 'Asia/Shanghai' WHERE id = $1",
                        cid,
                        published
                    )
                    .execute(&mut *conn)
                    .await?;
                    insert_event(
                        conn,
                        c.id,
                        published,
                        "case.drafted",
                        None,
                        None,
                        &format!("{year}年度评估不合格，生成整改案件草稿（#{cid}）"),
                    )
                    .await?;
                    note = format!("；已生成整改案件草稿（#{cid}）");
                }
            }
        }
        insert_event(
            conn,
            c.id,
            published,
            "evaluation.published",
            None,
            None,
            &format!(
                "{year}年度评估结果发布：{}（总分{:.2}，第{}名，下年度经费系数{:.2}）{note}",
                g.grade.label_zh(),
                g.score,
                g.rank,
                g.funding_coefficient
            ),
        )
        .await?;
    }
    sqlx::query!(
        "INSERT INTO evaluation_rounds (year, status, config_version, proposed_at, proposed_by, notice_starts,
                                        notice_ends, published_at, published_by)
         VALUES ($1, 'published', $2, ($3::date + time '10:00') AT TIME ZONE 'Asia/Shanghai', $4, $5, $6,
                 ($7::date + time '10:00') AT TIME ZONE 'Asia/Shanghai', $4)",
        year,
        version,
        date(next, 2, 10),
        city.staff_id,
        date(next, 2, 12),
        rules::notice_period(date(next, 2, 12), config.notice_days).1,
        published
    )
    .execute(&mut *conn)
    .await?;
    // One answered objection per year, on the platform ranked second.
    if let Some(g) = grades.get(1) {
        let c = scored[g.id].0;
        sqlx::query!(
            "INSERT INTO objections (year, platform_id, raised_by, raised_on, content, response, responded_by,
                                     responded_at, recorded_by)
             VALUES ($1, $2, '示例同行企业（虚构）', $3, '认为该平台技术合同成交额统计口径偏宽。',
                     '经核查技术合同登记证明，统计口径符合规定，维持拟评结果。', $4,
                     ($5::date + time '15:00') AT TIME ZONE 'Asia/Shanghai', $4)",
            year,
            c.id,
            date(next, 2, 14),
            city.staff_id,
            date(next, 2, 16)
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// 2026, in progress: a few evaluations submitted or in review, one with the experts (demo-expert has not
/// declared yet; demo-expert2 is scoring). The demo operator's platform has not started (to try the flow).
async fn current_year(
    conn: &mut PgConnection,
    city: &DemoCity,
    all: &[Candidate],
    experts: &[i64],
) -> anyhow::Result<()> {
    let year = CURRENT_YEAR;
    let (config, _) = annual_config::get(conn, year).await?;
    let quantitative: Vec<String> = config
        .rubric
        .indicators
        .iter()
        .filter(|i| i.kind == IndicatorKind::Quantitative)
        .map(|i| i.key.clone())
        .collect();
    let picks: Vec<&Candidate> = all
        .iter()
        .filter(|c| c.index != 0 && c.category.is_some() && operating_in(city, c, year))
        .filter(|c| city.platforms[c.index].2 == Stage::Operating)
        .take(6)
        .collect();
    let targets = targets_for(conn, city, year, &picks, &quantitative).await?;
    let mut rng = Lcg(2026);
    // (status, county comment, city comment)
    let plan = [
        (EvalStatus::Submitted, "", ""),
        (EvalStatus::Submitted, "", ""),
        (EvalStatus::CountyPassed, "初审通过", ""),
        (
            EvalStatus::CountyReturned,
            "请补充技术合同登记证明和财务审计报告",
            "",
        ),
        (
            EvalStatus::CityPassed,
            "初审通过",
            "材料齐全，同意报送专家评审",
        ),
        (EvalStatus::Submitted, "", ""),
    ];
    for ((c, t), (status, county_comment, city_comment)) in picks.iter().zip(targets).zip(plan) {
        let Some(t) = t else { continue };
        let county = c.level != Level::City;
        // A city platform has no county step: its "county" states become the city's.
        let status = match (county, status) {
            (false, EvalStatus::CountyPassed) => EvalStatus::Submitted,
            (false, EvalStatus::CountyReturned) => EvalStatus::CityReturned,
            (_, s) => s,
        };
        let actuals = actuals_for(&t, rng.range(70, 98) as f64 / 100.0, &mut rng);
        let submitted = date(year, 11, 3 + (c.index % 10) as u32);
        let county_reviewed = county && status != EvalStatus::Submitted;
        let city_reviewed = matches!(status, EvalStatus::CityPassed | EvalStatus::CityReturned);
        let county_reviewer = if c.chongchuan {
            city.county_staff_id
        } else {
            city.staff_id
        };
        let city_comment = if status == EvalStatus::CityReturned {
            "请补充技术合同登记证明和财务审计报告"
        } else {
            city_comment
        };
        let eid: i64 = sqlx::query_scalar!(
            "INSERT INTO evaluations (platform_id, year, status, actuals, self_assessment, submitted_at,
                                      county_reviewed_by, county_reviewed_at, county_comment,
                                      city_reviewed_by, city_reviewed_at, city_comment)
             VALUES ($1, $2, $3, $4, $5, ($6::date + time '10:00') AT TIME ZONE 'Asia/Shanghai',
                     $7, CASE WHEN $7::bigint IS NULL THEN NULL ELSE ($6::date + 3 + time '15:00') AT TIME ZONE 'Asia/Shanghai' END, $8,
                     $9, CASE WHEN $9::bigint IS NULL THEN NULL ELSE ($6::date + 6 + time '15:00') AT TIME ZONE 'Asia/Shanghai' END, $10)
             RETURNING id",
            c.id,
            year,
            status as EvalStatus,
            json!(actuals),
            format!(
                "{year}年度主要目标基本完成，详见定量指标和证明材料。（{}）",
                c.name
            ),
            submitted,
            county_reviewed.then_some(county_reviewer),
            if county_reviewed { county_comment } else { "" },
            city_reviewed.then_some(city.staff_id),
            city_comment
        )
        .fetch_one(&mut *conn)
        .await?;
        insert_event(
            conn,
            c.id,
            submitted,
            "evaluation.submitted",
            None,
            None,
            &format!("提交{year}年度评估材料"),
        )
        .await?;
        if status == EvalStatus::CityPassed {
            for (k, expert) in experts.iter().enumerate() {
                sqlx::query!(
                    "INSERT INTO expert_assignments (evaluation_id, expert_id, conflict, declared_at, assigned_by)
                     VALUES ($1, $2, $3, CASE WHEN $3::boolean IS NULL THEN NULL ELSE now() END, $4)",
                    eid,
                    expert,
                    (k == 1).then_some(false),
                    city.staff_id
                )
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    Ok(())
}
