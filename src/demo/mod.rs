//! The demo dataset (`serve --demo`): a synthetic city on Nantong's real jurisdictions with
//! clearly fictitious platforms (every name starts with 示例), across the four categories and
//! every lifecycle stage, with several years of figures, and one account per role.
//! Loading is idempotent: existing rows are left alone.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

use crate::db::audit::{self, Actor};
use crate::db::users::{self, NewUser};
use crate::domain::platform::{Category, Cluster, Stage};
use crate::domain::role::Role;
use crate::password_hash;

mod cycle;
mod evaluation;
mod midyear;
mod operation;
mod rectification;
mod registration;
pub mod scale;
mod support;

/// What the per-area demo seeders get: the platforms as created and the demo accounts.
pub struct DemoCity {
    /// `(id, code, stage, operating_since)` in creation order (index = demo platform number).
    pub platforms: Vec<(i64, String, Stage, Option<NaiveDate>)>,
    /// When each platform was registered (登记时间), by the same index.
    pub registered: Vec<NaiveDate>,
    pub staff_id: i64,
    pub county_staff_id: i64,
    pub operator_id: i64,
    pub advisor_id: i64,
}

/// The password of every demo account.
pub const PASSWORD: &str = "Kechuang#2025";

/// Number of demo platforms.
pub const PLATFORMS: usize = 40;

/// The first complete year of figures and the last (the latest complete year).
const FIRST_YEAR: i32 = 2019;
const LAST_YEAR: i32 = 2025;

/// `(username, role, description)` of the demo accounts.
const ACCOUNTS: &[(&str, Role, &str)] = &[
    ("demo-staff", Role::Staff, "市科技局业务人员（全市）"),
    ("demo-county-staff", Role::Staff, "崇川区业务人员（仅本区）"),
    (
        "demo-operator",
        Role::Operator,
        "平台填报员（示例·江海船舶海工研究院）",
    ),
    ("demo-advisor", Role::Advisor, "产业顾问（指定平台）"),
    ("demo-expert", Role::Expert, "评审专家"),
    ("demo-expert2", Role::Expert, "评审专家（第二位）"),
    ("demo-leader", Role::Leader, "领导（只读）"),
    ("demo-sysadmin", Role::Sysadmin, "系统管理员"),
    ("demo-secadmin", Role::Secadmin, "安全管理员"),
    ("demo-auditor", Role::Auditor, "审计管理员"),
];

/// `(username, what it is)` for the start-up banner.
pub fn accounts() -> Vec<(&'static str, String)> {
    ACCOUNTS
        .iter()
        .map(|(u, r, d)| (*u, format!("{} — {d}", r.label_zh())))
        .collect()
}

/// A tiny deterministic generator, so the demo city is the same on every machine.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    /// A value in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
}

const PREFIXES: [&str; 10] = [
    "江海",
    "紫琅",
    "濠河",
    "狼山",
    "通吴",
    "港城",
    "崇川湾",
    "启海",
    "沿江",
    "滨海",
];
const KINDS: [&str; 4] = ["研究院", "创新中心", "技术服务平台", "产业研究院"];

/// Stage of the demo platform number `i` (0-based): every stage appears.
fn stage_of(i: usize) -> Stage {
    match i {
        0..=23 => Stage::Operating,
        24..=27 => Stage::Registration,
        28..=31 => Stage::Rectifying,
        32..=34 => Stage::Exited,
        35..=36 => Stage::Converted,
        _ => Stage::Merged,
    }
}

struct DemoPlatform {
    code: String,
    name: String,
    jurisdiction_code: &'static str,
    level: &'static str,
    category: Option<Category>,
    cluster: Cluster,
    stage: Stage,
    construction_start: NaiveDate,
    construction_end: NaiveDate,
    first_support_end: Option<NaiveDate>,
    operating_since: Option<NaiveDate>,
    /// 登记时间: 90 days before it started operating; the platforms still in registration were
    /// registered this year, four weeks apart, their construction starting the month after.
    registered: NaiveDate,
    /// The platform's own unified social credit code (a 事业单位: 12…).
    uscc: String,
}

/// A valid, made-up unified social credit code for demo platform `i`: 12 (public institution) +
/// 320600 (Nantong) + an organisation code, the check character computed by [`Uscc`] itself.
fn platform_uscc(i: usize) -> String {
    use crate::domain::uscc::{Uscc, UsccError};
    let body = format!("12320600MB{:07}", 2_000_000 + i * 41);
    let mut candidate = format!("{body}0");
    if let Err(UsccError::CheckDigit { expected, .. }) = Uscc::parse(&candidate) {
        candidate = format!("{body}{expected}");
    }
    candidate
}

/// The day demo platform `i` was registered, given when it started operating (if it has).
fn registered_on(i: usize, operating_since: Option<NaiveDate>) -> NaiveDate {
    match operating_since {
        Some(since) => since - chrono::Duration::days(90),
        None => {
            NaiveDate::from_ymd_opt(2026, 5, 11).unwrap_or_default()
                + chrono::Duration::days(28 * (i.saturating_sub(24) % 6) as i64)
        }
    }
}

/// The first day of the month after `d`.
fn next_month(d: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or_default()
}

const JURISDICTIONS: [&str; 9] = [
    "320600", "320613", "320612", "320614", "320682", "320685", "320681", "320623", "NTETDZ",
];

fn demo_platforms() -> Vec<DemoPlatform> {
    let mut rng = Lcg(20250314);
    (0..PLATFORMS)
        .map(|i| {
            let stage = stage_of(i);
            let cluster = Cluster::ALL[i % Cluster::ALL.len()];
            let start_year = 2018 + (i % 6) as i32;
            let jurisdiction_code = if i == 0 {
                "320613"
            } else {
                JURISDICTIONS[i % JURISDICTIONS.len()]
            };
            let level = match (jurisdiction_code, i % 3) {
                ("320600", _) => "city",
                (_, 0) => "city_county",
                _ => "county",
            };
            let operating_since = (stage != Stage::Registration).then(|| {
                NaiveDate::from_ymd_opt(start_year, 6, 1 + rng.range(0, 27) as u32)
                    .unwrap_or_default()
            });
            let registered = registered_on(i, operating_since);
            // A platform still in registration starts building the month after it registered.
            let construction_start = if stage == Stage::Registration {
                next_month(registered)
            } else {
                NaiveDate::from_ymd_opt(start_year, 1 + (i % 12) as u32, 1).unwrap_or_default()
            };
            let construction_end = {
                use chrono::Datelike;
                NaiveDate::from_ymd_opt(
                    construction_start.year() + 3,
                    construction_start.month(),
                    1,
                )
                .and_then(|d| d.pred_opt())
                .unwrap_or_default()
            };
            let year = if stage == Stage::Registration {
                2026
            } else {
                start_year
            };
            DemoPlatform {
                code: format!("NT-{year}-{:03}", i + 1),
                name: format!(
                    "示例·{}{}{}",
                    PREFIXES[i % PREFIXES.len()],
                    cluster.label_zh(),
                    KINDS[i % KINDS.len()]
                ),
                jurisdiction_code,
                level,
                // Registrations in progress have not all chosen their category yet.
                category: (stage != Stage::Registration || i % 2 == 0)
                    .then(|| Category::ALL[i % Category::ALL.len()]),
                cluster,
                stage,
                construction_start,
                construction_end,
                first_support_end: (level != "city")
                    .then(|| construction_end + chrono::Duration::days(365 * 2)),
                operating_since,
                registered,
                uscc: platform_uscc(i),
            }
        })
        .collect()
}

/// Loads the demo city. Safe to run on every start: nothing that exists is changed.
pub async fn load(pool: &PgPool) -> anyhow::Result<()> {
    let actor = Actor::system("demo");
    let mut tx = audit::begin(pool, &actor).await?;
    let already = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM users WHERE username = 'demo-staff') AS "exists!""#
    )
    .fetch_one(&mut *tx)
    .await?;
    if already {
        return Ok(());
    }
    let hash = password_hash::hash_async(PASSWORD.to_string()).await?;
    let platforms = demo_platforms();
    let mut ids = Vec::with_capacity(platforms.len());
    for p in &platforms {
        ids.push(insert_platform(&mut tx, p).await?);
    }
    // Merged platforms point at an operating one (the first few).
    for (n, i) in (0..PLATFORMS)
        .filter(|&i| stage_of(i) == Stage::Merged)
        .enumerate()
    {
        sqlx::query!(
            "UPDATE platforms SET stage = 'merged', merged_into_id = $2 WHERE id = $1",
            ids[i],
            ids[n + 1]
        )
        .execute(&mut *tx)
        .await?;
    }
    let mut rng = Lcg(7);
    for (p, &id) in platforms.iter().zip(&ids) {
        insert_figures(&mut tx, id, p, &mut rng).await?;
    }

    let mut account_ids = Vec::new();
    for &(username, role, description) in ACCOUNTS {
        let jurisdiction_code = match username {
            "demo-staff" => Some("320600"),
            "demo-county-staff" => Some("320613"),
            _ => None,
        };
        let jurisdiction_id: Option<i32> = match jurisdiction_code {
            Some(code) => Some(
                crate::db::jurisdictions::id_by_code(&mut *tx, code)
                    .await?
                    .ok_or(sqlx::Error::RowNotFound)?,
            ),
            None => None,
        };
        let user = users::insert(
            &mut tx,
            &NewUser {
                username,
                display_name: &format!("演示{}", role.label_zh()),
                password_hash: &hash,
                role: Some(role),
                platform_id: (role == Role::Operator).then_some(ids[0]),
                jurisdiction_id,
                must_change_password: false,
                is_demo: true,
            },
        )
        .await?;
        audit::record(
            &mut tx,
            &actor,
            "user.create",
            "user",
            Some(user.id.to_string()),
            None,
            Some(serde_json::json!({"username": username, "role": role, "note": description})),
        )
        .await?;
        account_ids.push((username, user.id));
    }
    let find = |name: &str| {
        account_ids
            .iter()
            .find(|(u, _)| *u == name)
            .map(|(_, id)| *id)
            .unwrap_or_default()
    };
    // The advisor looks after a handful of operating platforms, the city staff member after most.
    sqlx::query!(
        "UPDATE platforms SET advisor_id = $1 WHERE id = ANY($2)",
        find("demo-advisor"),
        &ids[0..6]
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE platforms SET responsible_staff_id = $1 WHERE stage IN ('operating', 'rectifying')",
        find("demo-staff")
    )
    .execute(&mut *tx)
    .await?;

    let city = DemoCity {
        platforms: platforms
            .iter()
            .zip(&ids)
            .map(|(p, &id)| (id, p.code.clone(), p.stage, p.operating_since))
            .collect(),
        registered: platforms.iter().map(|p| p.registered).collect(),
        staff_id: find("demo-staff"),
        county_staff_id: find("demo-county-staff"),
        operator_id: find("demo-operator"),
        advisor_id: find("demo-advisor"),
    };
    base_events(&mut tx, &city).await?;
    registration::seed(&mut tx, &city).await?;
    operation::seed(&mut tx, &city).await?;
    rectification::seed(&mut tx, &city).await?;
    cycle::seed(&mut tx, &city).await?;
    midyear::seed(&mut tx, &city).await?;
    evaluation::seed(&mut tx, &city).await?;
    support::seed(&mut tx, &city).await?;
    support::seed_workflows(&mut tx, &city).await?;

    audit::record(
        &mut tx,
        &actor,
        "demo.load",
        "demo",
        None,
        None,
        Some(serde_json::json!({"platforms": PLATFORMS, "accounts": ACCOUNTS.len(), "years": [FIRST_YEAR, LAST_YEAR]})),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        "demo dataset loaded: {PLATFORMS} platforms, {} accounts",
        ACCOUNTS.len()
    );
    Ok(())
}

/// Every platform's first events: registered, and (unless still registering) approved.
async fn base_events(conn: &mut PgConnection, city: &DemoCity) -> Result<(), sqlx::Error> {
    for ((id, _, stage, since), &registered) in city.platforms.iter().zip(&city.registered) {
        insert_event(
            conn,
            *id,
            registered,
            "registration.created",
            None,
            Some(Stage::Registration),
            "登记新平台，进入设立登记阶段",
        )
        .await?;
        if let (Some(since), false) = (since, *stage == Stage::Registration) {
            insert_event(
                conn,
                *id,
                *since,
                "registration.approved",
                Some(Stage::Registration),
                Some(Stage::Operating),
                "设立登记审批通过，进入运行管理阶段",
            )
            .await?;
        }
    }
    Ok(())
}

/// A timeline event on a past date (demo only; the app records events as they happen), by the
/// system account `demo`.
pub(crate) async fn insert_event(
    conn: &mut PgConnection,
    platform_id: i64,
    on: NaiveDate,
    kind: &str,
    from: Option<Stage>,
    to: Option<Stage>,
    summary: &str,
) -> Result<(), sqlx::Error> {
    lifecycle_event(
        conn,
        &DemoEvent {
            platform_id,
            on,
            actor: (None, "demo"),
            kind,
            stages: (from, to),
            summary,
            reason: "",
            document_id: None,
        },
    )
    .await
}

/// A timeline event as the demo seeders write it: at 10:00 Beijing time on `on`.
pub(crate) struct DemoEvent<'a> {
    pub platform_id: i64,
    pub on: NaiveDate,
    /// `(actor_id, actor_name)`; no id for the system account.
    pub actor: (Option<i64>, &'a str),
    pub kind: &'a str,
    /// `(from_stage, to_stage)`.
    pub stages: (Option<Stage>, Option<Stage>),
    pub summary: &'a str,
    /// `''` when there is none (the column's default).
    pub reason: &'a str,
    pub document_id: Option<i64>,
}

impl<'a> DemoEvent<'a> {
    /// An event by a demo account (`(id, username)`) on a past day that moves no stage and cites
    /// no document; set `stages` or `document_id` on top where it does.
    pub fn by(
        platform_id: i64,
        on: NaiveDate,
        actor: (i64, &'a str),
        kind: &'a str,
        summary: &'a str,
        reason: &'a str,
    ) -> DemoEvent<'a> {
        DemoEvent {
            platform_id,
            on,
            actor: (Some(actor.0), actor.1),
            kind,
            stages: (None, None),
            summary,
            reason,
            document_id: None,
        }
    }
}

/// The one statement every demo seeder writes its timeline events with.
pub(crate) async fn lifecycle_event(
    conn: &mut PgConnection,
    e: &DemoEvent<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO lifecycle_events (platform_id, at, actor_id, actor_name, kind, from_stage, to_stage, summary,
                                       reason, document_id)
         VALUES ($1, ($2::date + time '10:00') AT TIME ZONE 'Asia/Shanghai', $3, $4, $5, $6, $7, $8, $9, $10)",
        e.platform_id,
        e.on,
        e.actor.0,
        e.actor.1,
        e.kind,
        e.stages.0.map(Stage::as_str),
        e.stages.1.map(Stage::as_str),
        e.summary,
        e.reason,
        e.document_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

async fn insert_platform(conn: &mut PgConnection, p: &DemoPlatform) -> Result<i64, sqlx::Error> {
    // Merged platforms get their target right after; insert them as exited first so the
    // `merged ⇔ merged_into_id` constraint holds row by row.
    let stage = if p.stage == Stage::Merged {
        Stage::Exited
    } else {
        p.stage
    };
    // The casts name the parameters' types, which an `INSERT … SELECT` does not infer.
    let id = sqlx::query_scalar!(
        "INSERT INTO platforms (code, name, jurisdiction_id, level, category, industry_cluster, legal_form, co_builders,
                                construction_start, construction_end, first_support_end, operating_since, stage,
                                uscc, created_at, updated_at)
         SELECT $1::text, $2::text, j.id, $4::text, $5::text, $6::text, 'public_institution', $7::text, $8::date,
                $9::date, $10::date, $11::date, $12::text, $14::text,
                ($13::date + time '09:30') AT TIME ZONE 'Asia/Shanghai',
                ($13::date + time '09:30') AT TIME ZONE 'Asia/Shanghai'
         FROM jurisdictions j WHERE j.code = $3
         RETURNING id",
        &p.code,
        &p.name,
        p.jurisdiction_code,
        p.level,
        p.category.map(Category::as_str),
        p.cluster.as_str(),
        "示例大学、示例研究所（虚构）",
        p.construction_start,
        p.construction_end,
        p.first_support_end,
        p.operating_since,
        stage.as_str(),
        p.registered,
        p.uscc.as_str()
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// Year totals from the year the platform started operating to the latest complete year;
/// self-generated income grows at different paces, so some platforms break even and some do not.
async fn insert_figures(
    conn: &mut PgConnection,
    id: i64,
    p: &DemoPlatform,
    rng: &mut Lcg,
) -> Result<(), sqlx::Error> {
    let Some(since) = p.operating_since else {
        return Ok(());
    };
    let first = chrono::Datelike::year(&since).max(FIRST_YEAR);
    let growth = rng.range(5, 35); // % a year
    let mut base = rng.range(800_000, 4_000_000);
    // Costs start well above income and grow slower: fast growers reach break-even within a few
    // years, slow ones never do.
    let cost_growth = rng.range(3, 8);
    let mut cost = base * rng.range(110, 170) / 100 + 500_000;
    for year in first..=LAST_YEAR {
        let expenditure = cost * rng.range(95, 106) / 100;
        let weights = [
            rng.range(10, 40),
            rng.range(5, 30),
            rng.range(0, 20),
            rng.range(5, 30),
            rng.range(0, 10),
        ];
        let total: i64 = weights.iter().sum::<i64>().max(1);
        let channel = |w: i64| base * w / total;
        sqlx::query!(
            "INSERT INTO annual_figures (platform_id, year, service_orders, tech_contracts, achievement_transfer,
                                         gov_research_projects, incubation_returns, fiscal_subsidy, expenditure,
                                         rnd_staff, major_tasks)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT DO NOTHING",
            id,
            year,
            channel(weights[0]),
            channel(weights[1]),
            channel(weights[2]),
            channel(weights[3]),
            channel(weights[4]),
            rng.range(1_000_000, 5_000_000),
            expenditure,
            rng.range(12, 80) as i32,
            rng.range(0, 3) as i32
        )
        .execute(&mut *conn)
        .await?;
        base += base * growth / 100;
        cost += cost * cost_growth / 100;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_and_category_appears() {
        let platforms = demo_platforms();
        assert_eq!(platforms.len(), PLATFORMS);
        for stage in Stage::ALL {
            assert!(
                platforms.iter().any(|p| p.stage == *stage),
                "{stage:?} missing"
            );
        }
        for category in Category::ALL {
            assert!(
                platforms.iter().any(|p| p.category == Some(*category)),
                "{category:?} missing"
            );
        }
        assert!(platforms.iter().all(|p| p.name.starts_with("示例")));
        for p in &platforms {
            assert!(
                crate::domain::uscc::Uscc::parse(&p.uscc).is_ok(),
                "{}",
                p.uscc
            );
            // Registered before it operated, and (still registering) before it started building.
            if let Some(since) = p.operating_since {
                assert!(p.registered < since, "{}", p.code);
            } else {
                assert!(p.registered < p.construction_start, "{}", p.code);
                assert!(p.registered.to_string().starts_with("2026-"), "{}", p.code);
            }
        }
        let mut usccs: Vec<_> = platforms.iter().map(|p| p.uscc.clone()).collect();
        usccs.sort();
        usccs.dedup();
        assert_eq!(usccs.len(), PLATFORMS);
        let mut codes: Vec<_> = platforms.iter().map(|p| p.code.clone()).collect();
        codes.dedup();
        assert_eq!(codes.len(), PLATFORMS);
    }

    #[test]
    fn one_demo_account_per_role() {
        for role in Role::ALL {
            assert!(
                ACCOUNTS.iter().any(|(_, r, _)| r == role),
                "{role:?} missing"
            );
        }
    }
}
