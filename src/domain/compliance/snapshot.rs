//! The platform snapshot the rules read: types, and parsing from JSON with field-exact errors.
//!
//! Every field of the documented format is required, except that a nullable field (`"YYYY-MM-DD|null"`, `category`,
//! `operating_company`, `target_completion`, `grade`, …) may also be left out, meaning `null`; `params` may be left out,
//! `acceptance` may be left out or `null`, meaning `none`, and so may `packs` and `platform.support`
//! (SUPPORT-RULES.md).
//! Unknown fields are ignored; unknown enum codes are refused.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::error::InputError;
use super::json::{Node, Obj, ROOT};
use super::params::Params;
use crate::domain::money::Yuan;
use crate::domain::platform::{Category, DecisionBody, Level, Stage};
use crate::domain::support::{Pack, Support, parse_packs, parse_support};
use crate::domain::uscc::Uscc;

/// A platform as of a date, with parameter overrides: the input of the compliance check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Snapshot {
    /// The date the check is made for.
    pub as_of: NaiveDate,
    /// Parameter overrides given with the snapshot (`check_json` evaluates with these).
    pub params: Params,
    /// The support policy packs enabled (SUPPORT-RULES.md); default NT10 and JS.
    pub packs: Vec<Pack>,
    /// The platform's record.
    pub platform: Platform,
}

/// A platform's record as the rules see it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Platform {
    pub code: String,
    pub name: String,
    pub category: Option<Category>,
    pub level: Level,
    pub stage: Stage,
    /// Date registration was approved.
    pub operating_since: Option<NaiveDate>,
    pub construction_end: Option<NaiveDate>,
    /// End of the first support period (county platforms).
    pub first_support_end: Option<NaiveDate>,
    pub charter: Charter,
    pub decision_bodies: Vec<DecisionBody>,
    pub co_building_agreement: bool,
    pub construction_plan: bool,
    pub operating_modes: Vec<OperatingMode>,
    pub operating_company: Option<OperatingCompany>,
    pub advisor_assigned: bool,
    pub last_advisor_log: Option<NaiveDate>,
    pub responsible_staff_assigned: bool,
    pub checklist: Checklist,
    /// The construction acceptance (建设期满验收); `none` while there is none on file.
    pub acceptance: Acceptance,
    pub open_rectification_case: bool,
    pub integrity_violations: Vec<IntegrityViolation>,
    pub instruments: Vec<Instrument>,
    pub years: Years,
    /// What the support programmes read (SUPPORT-RULES.md); optional in the input, all zero by default.
    pub support: Support,
}

code_enum! {
    /// State of the charter (章程).
    Charter {
        None = "none" / "未制定",
        Draft = "draft" / "草案",
        Approved = "approved" / "已审批",
    }
}

code_enum! {
    /// "平台+" operating modes (NT10 二(二)).
    OperatingMode {
        OperatingCompany = "operating_company" / "平台+运营管理公司",
        IndustrializationCompany = "industrialization_company" / "平台+产业化公司",
        ProofOfConceptCenter = "proof_of_concept_center" / "平台+概念验证中心",
        JointInnovationCenter = "joint_innovation_center" / "平台+联合创新中心",
    }
}

code_enum! {
    /// The construction acceptance (建设期满验收, JY 新型研发机构 三(四)10) as the rules see it.
    Acceptance {
        None = "none" / "未验收",
        Passed = "passed" / "通过",
        Conditional = "conditional" / "有条件通过",
        Failed = "failed" / "不通过",
    }
}

code_enum! {
    /// State of a year-start filing.
    FilingStatus {
        None = "none" / "未提交",
        Submitted = "submitted" / "已提交",
        Approved = "approved" / "已审核通过",
    }
}

code_enum! {
    /// Annual performance grade.
    Grade {
        Excellent = "excellent" / "优秀",
        Good = "good" / "良好",
        Pass = "pass" / "合格",
        Fail = "fail" / "不合格",
        NotEvaluated = "not_evaluated" / "未评估",
    }
}

code_enum! {
    /// The five self-generated revenue channels (NT10 二(二)); fiscal subsidy is not one of them.
    Channel {
        ServiceOrders = "service_orders" / "服务订单",
        TechContracts = "tech_contracts" / "技术合同",
        AchievementTransfer = "achievement_transfer" / "技术成果转化",
        GovResearchProjects = "gov_research_projects" / "政府科研项目",
        IncubationReturns = "incubation_returns" / "孵化企业收益反哺",
    }
}

/// The operating management company (平台+运营管理公司).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OperatingCompany {
    pub uscc: Uscc,
    /// Management and key staff control it through cash contributions (货币出资控股).
    pub mgmt_cash_controlling: bool,
}

/// The platform's checklist (一平台一清单).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Checklist {
    items: u32,
    overdue: u32,
}

impl Checklist {
    /// A checklist; `None` if more items are overdue than exist.
    pub fn new(items: u32, overdue: u32) -> Option<Checklist> {
        (overdue <= items).then_some(Checklist { items, overdue })
    }

    /// Number of items.
    pub fn items(self) -> u32 {
        self.items
    }

    /// Number of overdue items.
    pub fn overdue(self) -> u32 {
        self.overdue
    }
}

/// A research-integrity violation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct IntegrityViolation {
    pub date: NaiveDate,
    pub serious: bool,
}

/// A research instrument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Instrument {
    pub value_yuan: Yuan,
    pub open_shared: bool,
}

/// A year's revenue by channel, in yuan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Revenue {
    pub service_orders: Yuan,
    pub tech_contracts: Yuan,
    pub achievement_transfer: Yuan,
    pub gov_research_projects: Yuan,
    pub incubation_returns: Yuan,
    /// Fiscal subsidy: not self-generated.
    pub fiscal_subsidy: Yuan,
}

impl Revenue {
    /// The five self-generated channels with their income.
    pub fn channels(&self) -> [(Channel, Yuan); 5] {
        [
            (Channel::ServiceOrders, self.service_orders),
            (Channel::TechContracts, self.tech_contracts),
            (Channel::AchievementTransfer, self.achievement_transfer),
            (Channel::GovResearchProjects, self.gov_research_projects),
            (Channel::IncubationReturns, self.incubation_returns),
        ]
    }

    /// Self-generated income: the sum of the five channels, fiscal subsidy excluded (exact: each is at most 10^15).
    pub fn self_generated(&self) -> i64 {
        self.channels().iter().map(|(_, y)| y.get()).sum()
    }
}

/// A year-start filing: its state and, once filed, the date it was filed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filing {
    None,
    Submitted(NaiveDate),
    Approved(NaiveDate),
}

impl Filing {
    /// The state.
    pub fn status(self) -> FilingStatus {
        match self {
            Filing::None => FilingStatus::None,
            Filing::Submitted(_) => FilingStatus::Submitted,
            Filing::Approved(_) => FilingStatus::Approved,
        }
    }

    /// The filing date, if filed.
    pub fn date(self) -> Option<NaiveDate> {
        match self {
            Filing::None => None,
            Filing::Submitted(d) | Filing::Approved(d) => Some(d),
        }
    }
}

/// One year of the platform's ledger and annual cycle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct YearRecord {
    pub year: i32,
    pub revenue: Revenue,
    pub expenditure: Yuan,
    pub rnd_staff: u32,
    pub major_tasks: u32,
    /// Mean over indicators of min(actual/target, 1), in 0–1; `None` if there were no targets.
    pub target_completion: Option<f64>,
    pub filing: Filing,
    pub midyear_date: Option<NaiveDate>,
    pub evaluation_date: Option<NaiveDate>,
    pub grade: Option<Grade>,
}

/// The JSON shape of a [`YearRecord`].
#[derive(Serialize)]
struct YearRecordJson<'a> {
    year: i32,
    revenue_yuan: &'a Revenue,
    expenditure_yuan: Yuan,
    rnd_staff: u32,
    major_tasks: u32,
    target_completion: Option<f64>,
    filing: FilingStatus,
    filing_date: Option<NaiveDate>,
    midyear_date: Option<NaiveDate>,
    evaluation_date: Option<NaiveDate>,
    grade: Option<Grade>,
}

impl Serialize for YearRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        YearRecordJson {
            year: self.year,
            revenue_yuan: &self.revenue,
            expenditure_yuan: self.expenditure,
            rnd_staff: self.rnd_staff,
            major_tasks: self.major_tasks,
            target_completion: self.target_completion,
            filing: self.filing.status(),
            filing_date: self.filing.date(),
            midyear_date: self.midyear_date,
            evaluation_date: self.evaluation_date,
            grade: self.grade,
        }
        .serialize(serializer)
    }
}

/// Year records, one per year, in ascending order.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Years(Vec<YearRecord>);

/// Two records for the same year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("年度 {0} 重复")]
pub struct DuplicateYear(pub i32);

impl Years {
    /// The records sorted by year; refused if a year appears twice.
    pub fn new(mut records: Vec<YearRecord>) -> Result<Years, DuplicateYear> {
        records.sort_by_key(|r| r.year);
        if let Some(pair) = records.windows(2).find(|w| w[0].year == w[1].year) {
            return Err(DuplicateYear(pair[0].year));
        }
        Ok(Years(records))
    }

    /// The record for `year`.
    pub fn get(&self, year: i32) -> Option<&YearRecord> {
        self.0
            .binary_search_by_key(&year, |r| r.year)
            .ok()
            .and_then(|i| self.0.get(i))
    }

    /// All records, by year.
    pub fn iter(&self) -> impl Iterator<Item = &YearRecord> {
        self.0.iter()
    }

    /// Number of years.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no years.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Snapshot {
    /// Parses a snapshot from JSON text.
    pub fn from_json_str(input: &str) -> Result<Snapshot, InputError> {
        let value: Value = serde_json::from_str(input).map_err(|e| {
            InputError::new(
                ROOT,
                format!("不是有效的 JSON（第{}行第{}列附近）", e.line(), e.column()),
            )
        })?;
        Snapshot::from_value(&value)
    }

    /// Parses a snapshot from a JSON value.
    pub fn from_value(value: &Value) -> Result<Snapshot, InputError> {
        let root = Node::new(value, ROOT).object()?;
        let as_of = root.date("as_of")?;
        let params = root
            .opt("params", Params::from_json_node)?
            .unwrap_or_default();
        let platform = root.obj("platform", parse_platform)?;
        let packs = parse_packs(&root)?;
        Ok(Snapshot {
            as_of,
            params,
            packs,
            platform,
        })
    }
}

impl<'de> Deserialize<'de> for Snapshot {
    /// Goes through [`Snapshot::from_value`], so serde and `check_json` accept exactly the same input.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Snapshot::from_value(&value).map_err(serde::de::Error::custom)
    }
}

fn parse_platform(o: &Obj<'_>) -> Result<Platform, InputError> {
    Ok(Platform {
        code: o.str("code")?,
        name: o.str("name")?,
        category: o.opt_code("category")?,
        level: o.code("level")?,
        stage: o.code("stage")?,
        operating_since: o.opt_date("operating_since")?,
        construction_end: o.opt_date("construction_end")?,
        first_support_end: o.opt_date("first_support_end")?,
        charter: o.code("charter")?,
        decision_bodies: o.list("decision_bodies", |n| parse_decision_body(&n.object()?))?,
        co_building_agreement: o.bool("co_building_agreement")?,
        construction_plan: o.bool("construction_plan")?,
        operating_modes: o.list("operating_modes", |n| n.code())?,
        operating_company: o.opt_obj("operating_company", parse_operating_company)?,
        advisor_assigned: o.bool("advisor_assigned")?,
        last_advisor_log: o.opt_date("last_advisor_log")?,
        responsible_staff_assigned: o.bool("responsible_staff_assigned")?,
        checklist: o.obj("checklist", parse_checklist)?,
        acceptance: o.opt_code("acceptance")?.unwrap_or(Acceptance::None),
        open_rectification_case: o.bool("open_rectification_case")?,
        integrity_violations: o.list("integrity_violations", |n| parse_violation(&n.object()?))?,
        instruments: o.list("instruments", |n| parse_instrument(&n.object()?))?,
        years: parse_years(o)?,
        support: parse_support(o)?,
    })
}

fn parse_decision_body(o: &Obj<'_>) -> Result<DecisionBody, InputError> {
    Ok(DecisionBody {
        kind: o.code("kind")?,
        members: o.count("members")?,
        has_chair: o.bool("has_chair")?,
    })
}

fn parse_operating_company(o: &Obj<'_>) -> Result<OperatingCompany, InputError> {
    Ok(OperatingCompany {
        uscc: o.req("uscc", |n| {
            Uscc::parse(n.str()?).map_err(|e| n.error(e.to_string()))
        })?,
        mgmt_cash_controlling: o.bool("mgmt_cash_controlling")?,
    })
}

fn parse_checklist(o: &Obj<'_>) -> Result<Checklist, InputError> {
    let items = o.count("items")?;
    let overdue = o.count("overdue")?;
    Checklist::new(items, overdue).ok_or_else(|| {
        InputError::new(
            o.field_path("overdue"),
            format!("逾期项数（{overdue}）不能多于清单项数（{items}）"),
        )
    })
}

fn parse_violation(o: &Obj<'_>) -> Result<IntegrityViolation, InputError> {
    Ok(IntegrityViolation {
        date: o.date("date")?,
        serious: o.bool("serious")?,
    })
}

fn parse_instrument(o: &Obj<'_>) -> Result<Instrument, InputError> {
    Ok(Instrument {
        value_yuan: o.yuan("value_yuan")?,
        open_shared: o.bool("open_shared")?,
    })
}

/// Parses `years`, refusing a year that appeared earlier (the error names the later entry's `year`).
fn parse_years(o: &Obj<'_>) -> Result<Years, InputError> {
    let records = o.list("years", |n| parse_year(&n.object()?))?;
    let mut seen: BTreeMap<i32, usize> = BTreeMap::new();
    for (i, record) in records.iter().enumerate() {
        if let Some(first) = seen.insert(record.year, i) {
            return Err(InputError::new(
                format!("{}[{i}].year", o.field_path("years")),
                format!("年度 {} 重复（与 years[{first}] 相同）", record.year),
            ));
        }
    }
    Years::new(records).map_err(|e| InputError::new(o.field_path("years"), e.to_string()))
}

fn parse_year(o: &Obj<'_>) -> Result<YearRecord, InputError> {
    let year = o.req("year", |n| n.integer_in(1, 9999))?;
    Ok(YearRecord {
        year: i32::try_from(year)
            .map_err(|_| InputError::new(o.field_path("year"), "年度超出范围"))?,
        revenue: o.obj("revenue_yuan", parse_revenue)?,
        expenditure: o.yuan("expenditure_yuan")?,
        rnd_staff: o.count("rnd_staff")?,
        major_tasks: o.count("major_tasks")?,
        target_completion: o.opt("target_completion", |n| n.fraction())?,
        filing: parse_filing(o)?,
        midyear_date: o.opt_date("midyear_date")?,
        evaluation_date: o.opt_date("evaluation_date")?,
        grade: o.opt_code("grade")?,
    })
}

fn parse_revenue(o: &Obj<'_>) -> Result<Revenue, InputError> {
    Ok(Revenue {
        service_orders: o.yuan("service_orders")?,
        tech_contracts: o.yuan("tech_contracts")?,
        achievement_transfer: o.yuan("achievement_transfer")?,
        gov_research_projects: o.yuan("gov_research_projects")?,
        incubation_returns: o.yuan("incubation_returns")?,
        fiscal_subsidy: o.yuan("fiscal_subsidy")?,
    })
}

/// `filing` and `filing_date` together: a filed (submitted/approved) filing has a date, an unfiled one has none.
fn parse_filing(o: &Obj<'_>) -> Result<Filing, InputError> {
    let status: FilingStatus = o.code("filing")?;
    let date = o.opt_date("filing_date")?;
    let date_path = || o.field_path("filing_date");
    match (status, date) {
        (FilingStatus::None, None) => Ok(Filing::None),
        (FilingStatus::None, Some(_)) => Err(InputError::new(
            date_path(),
            "备案状态为 none（未提交）时备案日期应为 null",
        )),
        (FilingStatus::Submitted, Some(d)) => Ok(Filing::Submitted(d)),
        (FilingStatus::Approved, Some(d)) => Ok(Filing::Approved(d)),
        (_, None) => Err(InputError::new(
            date_path(),
            format!("备案状态为 {status} 时须填写备案日期"),
        )),
    }
}
