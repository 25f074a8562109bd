//! The fixture builder: the platforms and accounts a test starts from, written once.
//!
//! ```ignore
//! let own = platform("OWN-001").in_county(CHONGCHUAN).with_ledger(2025, Figures::default()).insert(&app).await;
//! let people = cast().staff("city-staff", CITY).operator("op-own", own).leader("leader").insert(&app).await;
//! ```
//!
//! Everything is written in one audited transaction that advances the data version, as the app's own
//! writes do.

use chrono::NaiveDate;
use kechuang::db::audit::{self, Actor};
use kechuang::domain::role::Role;

use super::TestApp;

/// 南通市 (the whole city).
pub const CITY: &str = "320600";
/// 崇川区.
pub const CHONGCHUAN: &str = "320613";
/// 海门区.
pub const HAIMEN: &str = "320614";

/// A year's reported figures (`annual_figures`), in yuan; zero where not set.
#[derive(Clone, Copy, Debug, Default)]
pub struct Figures {
    pub service_orders: i64,
    pub tech_contracts: i64,
    pub fiscal_subsidy: i64,
    pub expenditure: i64,
    pub rnd_staff: i32,
    pub major_tasks: i32,
}

/// A platform to insert: `测试平台<code>`, 技术服务类, operating, in 崇川区 unless told otherwise.
pub fn platform(code: &str) -> PlatformBuilder {
    PlatformBuilder {
        code: code.to_string(),
        jurisdiction: CHONGCHUAN.to_string(),
        stage: "operating",
        category: Some("technical_service"),
        cluster: None,
        construction: None,
        first_support_end: None,
        operating_since: None,
        co_builders: None,
        advisor: None,
        responsible_staff: None,
        ledger: Vec::new(),
        evaluations: Vec::new(),
    }
}

#[must_use = "a platform is written by .insert(&app)"]
pub struct PlatformBuilder {
    code: String,
    jurisdiction: String,
    stage: &'static str,
    category: Option<&'static str>,
    cluster: Option<&'static str>,
    construction: Option<(NaiveDate, NaiveDate)>,
    first_support_end: Option<NaiveDate>,
    operating_since: Option<NaiveDate>,
    co_builders: Option<String>,
    advisor: Option<i64>,
    responsible_staff: Option<i64>,
    ledger: Vec<(i32, Figures)>,
    evaluations: Vec<(i32, f64, i32, &'static str)>,
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date like 2020-03-01")
}

impl PlatformBuilder {
    /// In the county (or, with [`CITY`], at city level) of this jurisdiction code.
    pub fn in_county(mut self, code: &str) -> Self {
        self.jurisdiction = code.to_string();
        self
    }

    pub fn operating(mut self) -> Self {
        self.stage = "operating";
        self
    }

    /// Still being registered (登记).
    pub fn registering(mut self) -> Self {
        self.stage = "registration";
        self
    }

    /// Any other stage (`rectifying`, `exited`, `converted`; not `merged`, which needs a target).
    pub fn stage(mut self, stage: &'static str) -> Self {
        self.stage = stage;
        self
    }

    /// The category (`strategic_task`, `industrial_transformation`, `technical_service`, `other`);
    /// `None`: not yet classified.
    pub fn category(mut self, category: Option<&'static str>) -> Self {
        self.category = category;
        self
    }

    /// The industry cluster (`new_materials`, `new_energy`, …).
    pub fn cluster(mut self, cluster: &'static str) -> Self {
        self.cluster = Some(cluster);
        self
    }

    /// Construction period (建设期), both days included.
    pub fn construction(mut self, start: &str, end: &str) -> Self {
        self.construction = Some((day(start), day(end)));
        self
    }

    /// The end of the first support period (首个支持期).
    pub fn first_support_end(mut self, on: &str) -> Self {
        self.first_support_end = Some(day(on));
        self
    }

    /// In operation since (运行起始).
    pub fn operating_since(mut self, on: &str) -> Self {
        self.operating_since = Some(day(on));
        self
    }

    pub fn co_builders(mut self, who: &str) -> Self {
        self.co_builders = Some(who.to_string());
        self
    }

    /// The advisor (产业顾问) looking after it.
    pub fn advisor(mut self, user: i64) -> Self {
        self.advisor = Some(user);
        self
    }

    /// The staff member responsible for it (责任处室人员).
    pub fn responsible_staff(mut self, user: i64) -> Self {
        self.responsible_staff = Some(user);
        self
    }

    /// A scored evaluation of `year` (total score, rank, grade `excellent`/`good`/`pass`/`fail`) in
    /// that year's published round.
    pub fn evaluated(mut self, year: i32, score: f64, rank: i32, grade: &'static str) -> Self {
        self.evaluations.push((year, score, rank, grade));
        self
    }

    /// The figures reported for `year`.
    pub fn with_ledger(mut self, year: i32, figures: Figures) -> Self {
        self.ledger.push((year, figures));
        self
    }

    /// Writes it; returns its id.
    pub async fn insert(self, app: &TestApp) -> i64 {
        let level = if self.jurisdiction == CITY {
            "city"
        } else {
            "county"
        };
        let mut tx = audit::begin(app.pool(), &Actor::system("test"))
            .await
            .unwrap();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO platforms (code, name, jurisdiction_id, level, category, stage,
                                    construction_start, construction_end, co_builders, advisor_id,
                                    industry_cluster, first_support_end, operating_since,
                                    responsible_staff_id)
             SELECT $1, '测试平台' || $1, id, $3, $4, $5, $6, $7, coalesce($8, ''), $9, $10, $11,
                    $12, $13
               FROM jurisdictions WHERE code = $2
             RETURNING id",
        )
        .bind(&self.code)
        .bind(&self.jurisdiction)
        .bind(level)
        .bind(self.category)
        .bind(self.stage)
        .bind(self.construction.map(|c| c.0))
        .bind(self.construction.map(|c| c.1))
        .bind(&self.co_builders)
        .bind(self.advisor)
        .bind(self.cluster)
        .bind(self.first_support_end)
        .bind(self.operating_since)
        .bind(self.responsible_staff)
        .fetch_one(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("insert platform {}: {e}", self.code));
        for (year, f) in &self.ledger {
            sqlx::query(
                "INSERT INTO annual_figures (platform_id, year, service_orders, tech_contracts,
                                             fiscal_subsidy, expenditure, rnd_staff, major_tasks)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(year)
            .bind(f.service_orders)
            .bind(f.tech_contracts)
            .bind(f.fiscal_subsidy)
            .bind(f.expenditure)
            .bind(f.rnd_staff)
            .bind(f.major_tasks)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        for (year, score, rank, grade) in &self.evaluations {
            sqlx::query(
                "INSERT INTO evaluation_rounds (year, status) VALUES ($1, 'published')
                 ON CONFLICT (year) DO NOTHING",
            )
            .bind(year)
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO evaluations (platform_id, year, status, total_score, rank, grade)
                 VALUES ($1, $2, 'scored', $3, $4, $5)",
            )
            .bind(id)
            .bind(year)
            .bind(score)
            .bind(rank)
            .bind(grade)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        kechuang::db::data_changed(&mut tx).await.unwrap();
        tx.commit().await.unwrap();
        id
    }
}

/// Accounts to create (password [`super::PASSWORD`]), in order.
pub fn cast() -> Cast {
    Cast { people: Vec::new() }
}

#[must_use = "accounts are created by .insert(&app)"]
pub struct Cast {
    people: Vec<(String, Role, Option<i64>, Option<String>)>,
}

impl Cast {
    /// Staff (业务人员) of a jurisdiction ([`CITY`]: the whole city).
    pub fn staff(mut self, username: &str, jurisdiction: &str) -> Self {
        self.people.push((
            username.into(),
            Role::Staff,
            None,
            Some(jurisdiction.into()),
        ));
        self
    }

    /// The operator (填报员) of a platform.
    pub fn operator(mut self, username: &str, platform: i64) -> Self {
        self.people
            .push((username.into(), Role::Operator, Some(platform), None));
        self
    }

    pub fn leader(self, username: &str) -> Self {
        self.role(username, Role::Leader)
    }

    pub fn advisor(self, username: &str) -> Self {
        self.role(username, Role::Advisor)
    }

    /// An account with a role that has no platform or jurisdiction (leader, advisor, expert, admins).
    pub fn role(mut self, username: &str, role: Role) -> Self {
        self.people.push((username.into(), role, None, None));
        self
    }

    /// Creates the accounts; returns their ids in the order given.
    pub async fn insert(self, app: &TestApp) -> Vec<i64> {
        let mut ids = Vec::with_capacity(self.people.len());
        for (username, role, platform, jurisdiction) in &self.people {
            ids.push(
                app.user(username, Some(*role), *platform, jurisdiction.as_deref())
                    .await,
            );
        }
        ids
    }
}

// ---- records a test starts from ----------------------------------------------------------------
// Rows other tests' set-ups need as they are after the app wrote them, without going through the
// pages (the pages that write them are tested where they belong).

/// Version 1 of the platform's year-start filing for `year`, submitted now and awaiting review.
/// Returns its id.
pub async fn submitted_filing(app: &TestApp, platform: i64, year: i32) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO filings (platform_id, year, version, status, submitted_at)
         VALUES ($1, $2, 1, 'submitted', now()) RETURNING id",
    )
    .bind(platform)
    .bind(year)
    .fetch_one(app.pool())
    .await
    .unwrap()
}

/// Version 1 of the platform's year-start filing for `year`, approved, with these targets.
pub async fn approved_filing(app: &TestApp, platform: i64, year: i32, targets: serde_json::Value) {
    sqlx::query(
        "INSERT INTO filings (platform_id, year, version, status, targets) VALUES ($1, $2, 1, 'approved', $3)",
    )
    .bind(platform)
    .bind(year)
    .bind(targets)
    .execute(app.pool())
    .await
    .unwrap();
}

/// The platform's mid-year report of `year`, submitted now and awaiting review.
pub async fn submitted_midyear(app: &TestApp, platform: i64, year: i32) {
    sqlx::query(
        "INSERT INTO midyear_reports (platform_id, year, status, submitted_at) VALUES ($1, $2, 'submitted', now())",
    )
    .bind(platform)
    .bind(year)
    .execute(app.pool())
    .await
    .unwrap();
}

/// A document of kind `other` titled `title`, with no file yet. Returns its id.
pub async fn document(app: &TestApp, platform: i64, title: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO documents (platform_id, kind, title) VALUES ($1, 'other', $2) RETURNING id",
    )
    .bind(platform)
    .bind(title)
    .fetch_one(app.pool())
    .await
    .unwrap()
}

/// An open checklist item staff added by hand, due on `due` (`YYYY-MM-DD`). Returns its id.
pub async fn checklist_item(app: &TestApp, platform: i64, title: &str, due: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO checklist_items (platform_id, source, title, due_date)
         VALUES ($1, 'manual', $2, $3) RETURNING id",
    )
    .bind(platform)
    .bind(title)
    .bind(day(due))
    .fetch_one(app.pool())
    .await
    .unwrap()
}

// ---- forms a test submits ----------------------------------------------------------------------

/// A complete year-start filing form: every quantitative target of the 2025 rubric (10; the
/// self-sufficiency ratio 0.6), a revenue plan and a budget, with this `action` (`save`/`submit`)
/// and `lock_version`.
pub fn filing_form(year: &str, action: &str, lock: &str) -> Vec<(String, String)> {
    use kechuang::domain::filing::{target_field, target_indicators};
    use kechuang::domain::scoring::Rubric;
    let mut f: Vec<(String, String)> = vec![
        ("year".into(), year.into()),
        ("action".into(), action.into()),
        ("lock_version".into(), lock.into()),
        ("plan_service_orders".into(), "120".into()),
        ("plan_tech_contracts".into(), "80".into()),
        ("plan_fiscal_subsidy".into(), "300".into()),
        ("budget".into(), "500".into()),
    ];
    for ind in target_indicators(&Rubric::default_2025()) {
        let value = if ind.key == "self_sufficiency_ratio" {
            "0.6"
        } else {
            "10"
        };
        f.push((target_field(&ind.key), value.into()));
    }
    f
}

/// The form that opens a rectification case: two triggers, a plan, a deadline and two measures (with a
/// blank row between them, as the page leaves one).
pub const RECTIFICATION_FORM: &[(&str, &str)] = &[
    ("triggers", "transfer_not_working"),
    ("triggers", "progress_below_expectation"),
    ("trigger_note", "连续两年技术合同和成果转化收入均为0"),
    ("plan_summary", "调整方向，对接集群企业"),
    ("deadline", "2030-12-31"),
    ("measure_description", "重组研发团队"),
    ("measure_owner", "张主任"),
    ("measure_due_date", "2030-03-31"),
    ("measure_description", ""),
    ("measure_owner", ""),
    ("measure_due_date", ""),
    ("measure_description", "签订3项技术服务合同"),
    ("measure_owner", "运营公司"),
    ("measure_due_date", "2030-09-30"),
];

// ---- worlds a feature's tests share -------------------------------------------------------------

/// Two operating platforms in different counties and the people around them.
pub struct TwoPlatforms {
    pub app: TestApp,
    /// `OWN-001` in 崇川区, its operator `op-own`.
    pub own: i64,
    /// `OTHER-001` in 海门区, its operator `op-other`.
    pub other: i64,
}

/// [`TwoPlatforms`], with `city-staff`, `county-staff` (崇川区), `haimen-staff`, `leader` and `advisor`
/// (looking after neither platform).
pub async fn two_platforms() -> TwoPlatforms {
    let app = TestApp::new().await;
    let own = platform("OWN-001").in_county(CHONGCHUAN).insert(&app).await;
    let other = platform("OTHER-001").in_county(HAIMEN).insert(&app).await;
    cast()
        .operator("op-own", own)
        .operator("op-other", other)
        .staff("city-staff", CITY)
        .staff("county-staff", CHONGCHUAN)
        .staff("haimen-staff", HAIMEN)
        .leader("leader")
        .advisor("advisor")
        .insert(&app)
        .await;
    TwoPlatforms { app, own, other }
}
