//! The ledger (台账): the evidence behind a platform's yearly figures — revenue items by channel,
//! expenditures, technology contracts, achievement licences, incubated companies, major tasks,
//! shared instruments — and what is derived from it.
//!
//! [`derive`] turns one year's items into totals; [`indicator_values`] maps those totals to the
//! rubric's indicator keys, so the mid-year and year-end steps read ledger-derived actuals from here
//! and never re-add items themselves. [`compare`] checks the platform's self-reported totals
//! (`annual_figures`) against the items. Money is whole yuan; forms take 万元 ([`parse_wan`]).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use super::calendar::parse_iso_date;
use super::fields::{FieldMessages, RawForm};
use super::money::{Yuan, wan};
use super::scoring::Values;
use super::uscc::Uscc;
use super::validation::FieldErrors;

code_enum! {
    /// Where revenue comes from: the five self-generated channels (PRODUCT.md) and fiscal subsidy,
    /// which is **not** self-generated income.
    Channel {
        ServiceOrders = "service_orders" / "服务订单",
        TechContracts = "tech_contracts" / "技术合同",
        AchievementTransfer = "achievement_transfer" / "技术成果转化",
        GovResearchProjects = "gov_research_projects" / "政府科研项目",
        IncubationReturns = "incubation_returns" / "孵化企业收益反哺",
        FiscalSubsidy = "fiscal_subsidy" / "财政补助",
    }
}

impl Channel {
    /// The five channels of self-generated income (自我造血), fiscal subsidy excluded.
    pub const SELF_GENERATED: [Channel; 5] = [
        Channel::ServiceOrders,
        Channel::TechContracts,
        Channel::AchievementTransfer,
        Channel::GovResearchProjects,
        Channel::IncubationReturns,
    ];

    pub fn is_self_generated(self) -> bool {
        self != Channel::FiscalSubsidy
    }
}

code_enum! {
    /// What an expenditure was for.
    ExpenditureCategory {
        Personnel = "personnel" / "人员支出",
        Equipment = "equipment" / "设备购置",
        Operations = "operations" / "运行维护",
        /// R&D spending: the rubric's 研发经费支出 is the sum of these.
        Research = "research" / "研发支出",
        Other = "other" / "其他支出",
    }
}

code_enum! {
    /// 技术合同类型.
    ContractType {
        Development = "development" / "技术开发",
        Transfer = "transfer" / "技术转让",
        License = "license" / "技术许可",
        Consulting = "consulting" / "技术咨询",
        Service = "service" / "技术服务",
    }
}

code_enum! {
    /// How a licensee pays for an achievement (先使用后付费 models and the plain one).
    PaymentModel {
        ZeroFeeStagedRoyalty = "zero_fee_staged_royalty" / "零门槛费+阶段性支付+收入提成",
        Instalments = "instalments" / "分期支付",
        Deferred = "deferred" / "延期支付",
        LumpSum = "lump_sum" / "一次性支付",
    }
}

code_enum! {
    /// How the platform invested in a company it incubated.
    InvestmentForm {
        Cash = "cash" / "现金出资",
        Technology = "technology" / "技术入股",
        Equipment = "equipment" / "设备出资",
        None = "none" / "未出资",
    }
}

code_enum! {
    /// Level of a major task the platform undertakes.
    TaskLevel {
        National = "national" / "国家级",
        Provincial = "provincial" / "省级",
    }
}

code_enum! {
    /// The sections of the ledger page; the code is the `{kind}` of its add and delete routes.
    LedgerKind {
        Revenue = "revenue" / "收入",
        Expenditure = "expenditure" / "支出",
        Contract = "contract" / "技术合同",
        Licence = "licence" / "成果许可",
        Company = "company" / "孵化企业",
        Task = "task" / "重大任务",
        Instrument = "instrument" / "共享仪器",
        /// Talent, R&D and other entered indicator values (saved together, not row by row).
        Indicators = "indicators" / "人才与研发等指标",
    }
}

impl LedgerKind {
    /// The table of a row kind; `None` for [`LedgerKind::Indicators`]. Static names only: safe in SQL.
    pub fn table(self) -> Option<&'static str> {
        match self {
            LedgerKind::Revenue => Some("ledger_revenue"),
            LedgerKind::Expenditure => Some("ledger_expenditures"),
            LedgerKind::Contract => Some("tech_contracts"),
            LedgerKind::Licence => Some("licences"),
            LedgerKind::Company => Some("incubated_companies"),
            LedgerKind::Task => Some("major_tasks"),
            LedgerKind::Instrument => Some("instruments"),
            LedgerKind::Indicators => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Money in forms (万元) and indicator units
// ---------------------------------------------------------------------------------------------------------------

/// Parses an amount typed in 万元 ("12.5", "1,200", "0.0001") into whole yuan, exactly: at most four
/// decimals (1 元), not negative, at most [`Yuan::MAX`].
pub fn parse_wan(s: &str) -> Result<i64, &'static str> {
    let s: String = s
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != '，')
        .collect();
    if s.is_empty() {
        return Err("请填写金额");
    }
    if s.starts_with('-') {
        return Err("金额不能为负数");
    }
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return Err("请填写数字金额（万元），如 12.5");
    }
    if frac.len() > 4 {
        return Err("金额最多精确到 0.0001 万元（1 元）");
    }
    if int.len() > 12 {
        return Err("金额超出范围");
    }
    let int: i64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| "金额超出范围")?
    };
    let frac: i64 = format!("{frac:0<4}").parse().map_err(|_| "金额超出范围")?;
    let yuan = int * 10_000 + frac;
    Yuan::new(yuan).map_err(|_| "金额超出范围")?;
    Ok(yuan)
}

/// An amount in 万元 exactly as a form field should show it again (no rounding): 123_400 → "12.34".
pub fn wan_input(yuan: i64) -> String {
    let sign = if yuan < 0 { "-" } else { "" };
    let y = yuan.unsigned_abs();
    let frac = format!("{:04}", y % 10_000);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{sign}{}", y / 10_000)
    } else {
        format!("{sign}{}.{frac}", y / 10_000)
    }
}

/// What an indicator's numbers are: money (stored in yuan, typed in 万元), a ratio, or a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Yuan,
    Ratio,
    Count,
}

impl Unit {
    /// The unit shown next to an input.
    pub fn label_zh(self) -> &'static str {
        match self {
            Unit::Yuan => "万元",
            Unit::Ratio => "比值，如 0.85",
            Unit::Count => "数量",
        }
    }
}

/// The unit of a rubric indicator. Indicators staff add later are plain numbers.
pub fn unit_of(key: &str) -> Unit {
    match key {
        "rnd_expenditure" | "tech_contract_value" | "self_generated_income" => Unit::Yuan,
        "self_sufficiency_ratio" => Unit::Ratio,
        _ => Unit::Count,
    }
}

/// Parses a value typed for an indicator of `unit` (money in 万元 → yuan).
pub fn parse_indicator(unit: Unit, s: &str) -> Result<f64, String> {
    let s = s.trim();
    match unit {
        Unit::Yuan => parse_wan(s).map(|y| y as f64).map_err(str::to_owned),
        Unit::Ratio | Unit::Count => {
            let ok = !s.is_empty()
                && s.chars().all(|c| c.is_ascii_digit() || c == '.')
                && s.chars().filter(|c| *c == '.').count() <= 1
                && s != ".";
            let value: f64 = if ok {
                s.parse().map_err(|_| "请填写数字".to_owned())?
            } else if s.starts_with('-') {
                return Err("不能为负数".into());
            } else {
                return Err("请填写数字".into());
            };
            if !value.is_finite() || value > 1e12 {
                return Err("数值超出范围".into());
            }
            if unit == Unit::Ratio && value > 100.0 {
                return Err("比值应在 0–100 之间（如 0.85 表示 85%）".into());
            }
            Ok(value)
        }
    }
}

/// An indicator value as a form field shows it again.
pub fn indicator_input(unit: Unit, value: f64) -> String {
    match unit {
        Unit::Yuan => wan_input(value.round() as i64),
        Unit::Ratio | Unit::Count => trim_number(value),
    }
}

/// An indicator value for display, with its unit.
pub fn indicator_display(unit: Unit, value: f64) -> String {
    match unit {
        Unit::Yuan => format!("{} 万元", wan(value.round() as i64)),
        Unit::Ratio => format!("{value:.2}"),
        Unit::Count => trim_number(value),
    }
}

fn trim_number(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" {
        "0".into()
    } else {
        s.to_owned()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The items and what is derived from them
// ---------------------------------------------------------------------------------------------------------------

/// A revenue item: what derivation needs of a `ledger_revenue` row.
#[derive(Debug, Clone, PartialEq)]
pub struct RevenueItem {
    pub channel: Channel,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExpenditureItem {
    pub category: ExpenditureCategory,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContractItem {
    pub contract_type: ContractType,
    pub amount: i64,
    /// 技术合同登记号; empty = not registered.
    pub registration_no: String,
}

impl ContractItem {
    pub fn registered(&self) -> bool {
        !self.registration_no.trim().is_empty()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LicenceItem {
    pub payment_model: PaymentModel,
    pub use_first_pay_later: bool,
    pub amount_agreed: i64,
    pub amount_received: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CompanyItem {
    pub investment_form: InvestmentForm,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskItem {
    pub level: TaskLevel,
    pub funding: i64,
}

/// One platform's ledger items of one year (shared instruments are not per year and derive nothing).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LedgerYear {
    pub year: i32,
    pub revenue: Vec<RevenueItem>,
    pub expenditures: Vec<ExpenditureItem>,
    pub contracts: Vec<ContractItem>,
    pub licences: Vec<LicenceItem>,
    pub companies: Vec<CompanyItem>,
    pub tasks: Vec<TaskItem>,
}

/// A year's totals, derived from the items.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    pub year: i32,
    /// Every channel (all six present, 0 when no item).
    pub revenue_by_channel: BTreeMap<Channel, i64>,
    /// The five channels, fiscal subsidy excluded.
    pub self_generated: i64,
    pub fiscal_subsidy: i64,
    /// Every category (all present, 0 when no item).
    pub expenditure_by_category: BTreeMap<ExpenditureCategory, i64>,
    pub expenditure: i64,
    /// The `research` category: the rubric's 研发经费支出.
    pub rnd_expenditure: i64,
    /// Self-generated ÷ expenditure; `None` when expenditure is 0.
    pub self_sufficiency: Option<f64>,
    /// Self-generated channels with income this year (0–5).
    pub channels_in_use: usize,
    pub contracts: usize,
    pub contract_value: i64,
    pub registered_contracts: usize,
    /// Value of the contracts with a registration number (登记技术合同成交额).
    pub registered_contract_value: i64,
    pub licences: usize,
    /// Technology contracts of type 技术转让: with the licences, the achievements transferred.
    pub transfer_contracts: usize,
    pub use_first_pay_later_licences: usize,
    pub licences_agreed: i64,
    pub licences_received: i64,
    pub companies_incubated: usize,
    pub major_tasks: usize,
    pub national_tasks: usize,
    pub task_funding: i64,
}

impl Derived {
    /// The total of one channel.
    pub fn channel(&self, channel: Channel) -> i64 {
        self.revenue_by_channel.get(&channel).copied().unwrap_or(0)
    }

    /// The total of one expenditure category.
    pub fn category(&self, category: ExpenditureCategory) -> i64 {
        self.expenditure_by_category
            .get(&category)
            .copied()
            .unwrap_or(0)
    }
}

/// Year totals from the items (pure; amounts are trusted to be positive as the database ensures).
pub fn derive(items: &LedgerYear) -> Derived {
    let mut revenue_by_channel: BTreeMap<Channel, i64> =
        Channel::ALL.iter().map(|c| (*c, 0)).collect();
    for r in &items.revenue {
        *revenue_by_channel.entry(r.channel).or_insert(0) += r.amount;
    }
    let self_generated: i64 = Channel::SELF_GENERATED
        .iter()
        .map(|c| revenue_by_channel[c])
        .sum();
    let channels_in_use = Channel::SELF_GENERATED
        .iter()
        .filter(|c| revenue_by_channel[*c] > 0)
        .count();
    let mut expenditure_by_category: BTreeMap<ExpenditureCategory, i64> =
        ExpenditureCategory::ALL.iter().map(|c| (*c, 0)).collect();
    for e in &items.expenditures {
        *expenditure_by_category.entry(e.category).or_insert(0) += e.amount;
    }
    let expenditure: i64 = expenditure_by_category.values().sum();
    let registered = || items.contracts.iter().filter(|c| c.registered());
    Derived {
        year: items.year,
        fiscal_subsidy: revenue_by_channel[&Channel::FiscalSubsidy],
        self_generated,
        channels_in_use,
        revenue_by_channel,
        rnd_expenditure: expenditure_by_category[&ExpenditureCategory::Research],
        expenditure_by_category,
        expenditure,
        self_sufficiency: super::transformation::self_sufficiency(self_generated, expenditure),
        contracts: items.contracts.len(),
        contract_value: items.contracts.iter().map(|c| c.amount).sum(),
        registered_contracts: registered().count(),
        registered_contract_value: registered().map(|c| c.amount).sum(),
        licences: items.licences.len(),
        transfer_contracts: items
            .contracts
            .iter()
            .filter(|c| c.contract_type == ContractType::Transfer)
            .count(),
        use_first_pay_later_licences: items
            .licences
            .iter()
            .filter(|l| l.use_first_pay_later)
            .count(),
        licences_agreed: items.licences.iter().map(|l| l.amount_agreed).sum(),
        licences_received: items.licences.iter().map(|l| l.amount_received).sum(),
        companies_incubated: items.companies.len(),
        major_tasks: items.tasks.len(),
        national_tasks: items
            .tasks
            .iter()
            .filter(|t| t.level == TaskLevel::National)
            .count(),
        task_funding: items.tasks.iter().map(|t| t.funding).sum(),
    }
}

/// The rubric indicators whose actual value comes from the ledger, not from an entered figure.
pub const DERIVED_KEYS: [&str; 8] = [
    "rnd_expenditure",
    "major_tasks",
    "tech_contract_value",
    "achievements_transferred",
    "companies_incubated",
    "self_generated_income",
    "self_sufficiency_ratio",
    "revenue_channels",
];

/// Whether an indicator's actual is derived from the ledger (and so has no input of its own).
pub fn is_derived(key: &str) -> bool {
    DERIVED_KEYS.contains(&key)
}

/// The derived totals as actual values by rubric indicator key (money in yuan). The
/// self-sufficiency ratio is absent when there was no expenditure.
pub fn indicator_values(d: &Derived) -> BTreeMap<String, f64> {
    let mut v = BTreeMap::new();
    let mut put = |k: &str, x: f64| {
        v.insert(k.to_owned(), x);
    };
    put("rnd_expenditure", d.rnd_expenditure as f64);
    put("major_tasks", d.major_tasks as f64);
    put("tech_contract_value", d.registered_contract_value as f64);
    // 成果转让/许可: 技术转让 contracts and achievement licences.
    put(
        "achievements_transferred",
        (d.transfer_contracts + d.licences) as f64,
    );
    put("companies_incubated", d.companies_incubated as f64);
    put("self_generated_income", d.self_generated as f64);
    put("revenue_channels", d.channels_in_use as f64);
    if let Some(r) = d.self_sufficiency {
        put("self_sufficiency_ratio", r);
    }
    v
}

/// A year's actuals: the entered indicator values with the ledger-derived ones on top (an entered
/// value for a derived key is ignored — the ledger is the evidence).
pub fn actuals(d: &Derived, entered: &Values) -> Values {
    let mut v: Values = entered
        .iter()
        .filter(|(k, _)| !is_derived(k))
        .map(|(k, x)| (k.clone(), *x))
        .collect();
    v.extend(indicator_values(d));
    v
}

// ---------------------------------------------------------------------------------------------------------------
// Self-reported totals against the items
// ---------------------------------------------------------------------------------------------------------------

/// A platform's self-reported year totals (`annual_figures`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reported {
    pub channels: BTreeMap<Channel, i64>,
    pub expenditure: i64,
    pub rnd_staff: i64,
    pub major_tasks: i64,
}

/// A figure that is both self-reported and itemised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    Channel(Channel),
    SelfGenerated,
    Expenditure,
    MajorTasks,
    /// Full-time R&D staff: reported vs the ledger's entered figure.
    RndStaff,
}

impl Figure {
    pub fn label_zh(self) -> &'static str {
        match self {
            Figure::Channel(c) => c.label_zh(),
            Figure::SelfGenerated => "自我造血收入合计",
            Figure::Expenditure => "支出合计",
            Figure::MajorTasks => "承担重大任务（项）",
            Figure::RndStaff => "全职研发人员（人）",
        }
    }

    pub fn is_money(self) -> bool {
        matches!(
            self,
            Figure::Channel(_) | Figure::SelfGenerated | Figure::Expenditure
        )
    }
}

/// One line of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub figure: Figure,
    pub reported: i64,
    /// From the items (or, for R&D staff, the ledger's entered figure).
    pub itemised: i64,
}

impl Check {
    pub fn differs(&self) -> bool {
        self.reported != self.itemised
    }

    /// "120.00 万元" or "3".
    fn show(&self, v: i64) -> String {
        if self.figure.is_money() {
            format!("{} 万元", wan(v))
        } else {
            v.to_string()
        }
    }

    pub fn reported_display(&self) -> String {
        self.show(self.reported)
    }

    pub fn itemised_display(&self) -> String {
        self.show(self.itemised)
    }

    /// Itemised − reported, signed.
    pub fn difference_display(&self) -> String {
        let d = self.itemised - self.reported;
        let s = self.show(d.abs());
        match d.signum() {
            0 => "—".into(),
            1 => format!("+{s}"),
            _ => format!("−{s}"),
        }
    }

    /// The Chinese sentence the page shows when the figures differ.
    pub fn message(&self) -> String {
        format!(
            "{}：自报 {}，台账逐笔合计 {}",
            self.figure.label_zh(),
            self.reported_display(),
            self.itemised_display()
        )
    }
}

/// Every reported figure against the ledger, in display order. R&D staff is compared only when the
/// ledger has an entered figure for it.
pub fn compare(d: &Derived, r: &Reported, rnd_staff_entered: Option<f64>) -> Vec<Check> {
    let mut checks: Vec<Check> = Channel::ALL
        .iter()
        .map(|&c| Check {
            figure: Figure::Channel(c),
            reported: r.channels.get(&c).copied().unwrap_or(0),
            itemised: d.channel(c),
        })
        .collect();
    checks.push(Check {
        figure: Figure::SelfGenerated,
        reported: Channel::SELF_GENERATED
            .iter()
            .map(|c| r.channels.get(c).copied().unwrap_or(0))
            .sum(),
        itemised: d.self_generated,
    });
    checks.push(Check {
        figure: Figure::Expenditure,
        reported: r.expenditure,
        itemised: d.expenditure,
    });
    checks.push(Check {
        figure: Figure::MajorTasks,
        reported: r.major_tasks,
        itemised: d.major_tasks as i64,
    });
    if let Some(staff) = rnd_staff_entered {
        checks.push(Check {
            figure: Figure::RndStaff,
            reported: r.rnd_staff,
            itemised: staff.round() as i64,
        });
    }
    checks
}

// ---------------------------------------------------------------------------------------------------------------
// New rows from the ledger page's forms
// ---------------------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct NewRevenue {
    pub channel: Channel,
    pub amount: i64,
    pub counterparty: String,
    pub description: String,
    pub received_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewExpenditure {
    pub category: ExpenditureCategory,
    pub amount: i64,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewContract {
    pub contract_type: ContractType,
    pub counterparty: String,
    pub amount: i64,
    pub registration_no: String,
    pub signed_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewLicence {
    pub licensee: String,
    pub achievement: String,
    pub payment_model: PaymentModel,
    pub use_first_pay_later: bool,
    pub schedule: String,
    pub amount_agreed: i64,
    pub amount_received: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCompany {
    pub name: String,
    pub uscc: Uscc,
    /// Equity in hundredths of a percent (12.5% → 1250): exact, two decimals like the column.
    pub equity_bp: i64,
    pub investment_form: InvestmentForm,
}

impl NewCompany {
    pub fn equity_pct(&self) -> f64 {
        self.equity_bp as f64 / 100.0
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    pub name: String,
    pub level: TaskLevel,
    pub funding: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewInstrument {
    pub name: String,
    pub value_yuan: i64,
    pub acquired_on: Option<NaiveDate>,
    pub open_shared: bool,
    pub on_provincial_platform: bool,
}

/// A new ledger row, parsed from its section's form.
#[derive(Debug, Clone, PartialEq)]
pub enum NewRow {
    Revenue(NewRevenue),
    Expenditure(NewExpenditure),
    Contract(NewContract),
    Licence(NewLicence),
    Company(NewCompany),
    Task(NewTask),
    Instrument(NewInstrument),
}

/// Reads fields, collecting every error.
struct Reader<'a> {
    f: &'a RawForm,
    errors: FieldErrors,
}

impl<'a> Reader<'a> {
    fn text(&mut self, name: &'static str, label: &str, min: usize, max: usize) -> String {
        let v = self.f.get(name);
        let n = v.chars().count();
        if n < min {
            if n == 0 {
                self.errors.add(name, format!("请填写{label}"));
            } else {
                self.errors.add(name, format!("{label}至少 {min} 个字"));
            }
        } else if n > max {
            self.errors.add(name, format!("{label}不能超过 {max} 个字"));
        }
        v.to_owned()
    }

    fn code<T: Copy>(
        &mut self,
        name: &'static str,
        label: &str,
        parse: fn(&str) -> Option<T>,
    ) -> Option<T> {
        let v = self.f.get(name);
        let parsed = parse(v);
        if parsed.is_none() {
            self.errors.add(name, format!("请选择{label}"));
        }
        parsed
    }

    /// A money field in 万元; `positive` refuses 0.
    fn money(&mut self, name: &'static str, positive: bool, required: bool) -> i64 {
        let v = self.f.get(name);
        if v.is_empty() && !required {
            return 0;
        }
        match parse_wan(v) {
            Ok(0) if positive => {
                self.errors.add(name, "金额应大于 0");
                0
            }
            Ok(y) => y,
            Err(e) => {
                self.errors.add(name, e);
                0
            }
        }
    }

    /// An optional date; when `year` is given, it must fall in that year.
    fn date(&mut self, name: &'static str, required: bool, year: Option<i32>) -> Option<NaiveDate> {
        let v = self.f.get(name);
        if v.is_empty() {
            if required {
                self.errors.add(name, "请填写日期");
            }
            return None;
        }
        match parse_iso_date(v) {
            None => {
                self.errors
                    .add(name, "日期格式应为年-月-日（如 2026-03-31）");
                None
            }
            Some(d) => {
                if let Some(y) = year
                    && d.year() != y
                {
                    self.errors.add(name, format!("日期应在 {y} 年内"));
                }
                Some(d)
            }
        }
    }
}

/// Parses equity as a percentage with at most two decimals, 0–100, into hundredths.
fn parse_equity(s: &str) -> Result<i64, &'static str> {
    let s = s.trim().trim_end_matches('%');
    if s.is_empty() {
        return Ok(0);
    }
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || int.len() > 3 {
        return Err("请填写 0–100 之间的持股比例（%）");
    }
    if frac.len() > 2 {
        return Err("持股比例最多两位小数");
    }
    let int: i64 = int
        .parse()
        .map_err(|_| "请填写 0–100 之间的持股比例（%）")?;
    let frac: i64 = format!("{frac:0<2}")
        .parse()
        .map_err(|_| "请填写 0–100 之间的持股比例（%）")?;
    let bp = int * 100 + frac;
    if bp > 10_000 {
        return Err("持股比例不能超过 100%");
    }
    Ok(bp)
}

/// Parses the add form of a row kind for the ledger of `year`, reporting every bad field at once.
/// `None` for [`LedgerKind::Indicators`], which is not a row (see [`parse_indicator_values`]).
pub fn parse_row(kind: LedgerKind, year: i32, f: &RawForm) -> Option<Result<NewRow, FieldErrors>> {
    let mut r = Reader {
        f,
        errors: FieldErrors::default(),
    };
    let row = match kind {
        LedgerKind::Revenue => {
            let channel = r.code("channel", "收入渠道", Channel::parse);
            let amount = r.money("amount", true, true);
            let counterparty = r.text("counterparty", "付款方", 0, 100);
            let description = r.text("description", "说明", 0, 200);
            let received_on = r.date("received_on", false, Some(year));
            channel.map(|channel| {
                NewRow::Revenue(NewRevenue {
                    channel,
                    amount,
                    counterparty,
                    description,
                    received_on,
                })
            })
        }
        LedgerKind::Expenditure => {
            let category = r.code("category", "支出类别", ExpenditureCategory::parse);
            let amount = r.money("amount", true, true);
            let description = r.text("description", "说明", 0, 200);
            category.map(|category| {
                NewRow::Expenditure(NewExpenditure {
                    category,
                    amount,
                    description,
                })
            })
        }
        LedgerKind::Contract => {
            let contract_type = r.code("contract_type", "合同类型", ContractType::parse);
            let counterparty = r.text("counterparty", "合同相对方", 1, 100);
            let amount = r.money("amount", true, true);
            let registration_no = r.text("registration_no", "登记号", 0, 50);
            let signed_on = r.date("signed_on", true, Some(year));
            match (contract_type, signed_on) {
                (Some(contract_type), Some(signed_on)) => Some(NewRow::Contract(NewContract {
                    contract_type,
                    counterparty,
                    amount,
                    registration_no,
                    signed_on,
                })),
                _ => None,
            }
        }
        LedgerKind::Licence => {
            let licensee = r.text("licensee", "被许可方", 1, 100);
            let achievement = r.text("achievement", "成果名称", 1, 200);
            let payment_model = r.code("payment_model", "付费方式", PaymentModel::parse);
            let use_first_pay_later = f.checked("use_first_pay_later");
            let schedule = r.text("schedule", "付款安排", 0, 500);
            let amount_agreed = r.money("amount_agreed", false, false);
            let amount_received = r.money("amount_received", false, false);
            payment_model.map(|payment_model| {
                NewRow::Licence(NewLicence {
                    licensee,
                    achievement,
                    payment_model,
                    use_first_pay_later,
                    schedule,
                    amount_agreed,
                    amount_received,
                })
            })
        }
        LedgerKind::Company => {
            let name = r.text("name", "企业名称", 2, 100);
            let uscc = match Uscc::parse(&f.get("uscc").to_uppercase()) {
                Ok(u) => Some(u),
                Err(e) => {
                    r.errors.add("uscc", e.to_string());
                    None
                }
            };
            let equity_bp = match parse_equity(f.get("equity_pct")) {
                Ok(bp) => bp,
                Err(e) => {
                    r.errors.add("equity_pct", e);
                    0
                }
            };
            let investment_form = r.code("investment_form", "出资方式", InvestmentForm::parse);
            match (uscc, investment_form) {
                (Some(uscc), Some(investment_form)) => Some(NewRow::Company(NewCompany {
                    name,
                    uscc,
                    equity_bp,
                    investment_form,
                })),
                _ => None,
            }
        }
        LedgerKind::Task => {
            let name = r.text("name", "任务名称", 2, 200);
            let level = r.code("level", "任务级别", TaskLevel::parse);
            let funding = r.money("funding", false, false);
            level.map(|level| {
                NewRow::Task(NewTask {
                    name,
                    level,
                    funding,
                })
            })
        }
        LedgerKind::Instrument => {
            let name = r.text("name", "仪器名称", 2, 100);
            let value_yuan = r.money("value", true, true);
            let acquired_on = r.date("acquired_on", false, None);
            Some(NewRow::Instrument(NewInstrument {
                name,
                value_yuan,
                acquired_on,
                open_shared: f.checked("open_shared"),
                on_provincial_platform: f.checked("on_provincial_platform"),
            }))
        }
        LedgerKind::Indicators => return None,
    };
    Some(match row {
        Some(row) if r.errors.is_empty() => Ok(row),
        _ => Err(r.errors),
    })
}

/// The field name of an entered indicator's input.
pub fn value_field(key: &str) -> String {
    format!("v_{key}")
}

/// Parses the entered-indicator form: one `v_<key>` input per key of `keys`; an empty input means
/// "no value" (`None`, the stored value is removed).
pub fn parse_indicator_values(
    keys: &[&str],
    f: &RawForm,
) -> Result<BTreeMap<String, Option<f64>>, FieldMessages> {
    let mut errors = FieldMessages::default();
    let mut out = BTreeMap::new();
    for key in keys {
        let field = value_field(key);
        let v = f.get(&field);
        if v.is_empty() {
            out.insert((*key).to_owned(), None);
            continue;
        }
        match parse_indicator(unit_of(key), v) {
            Ok(x) => {
                out.insert((*key).to_owned(), Some(x));
            }
            Err(e) => errors.add(field, e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(channel: Channel, amount: i64) -> RevenueItem {
        RevenueItem { channel, amount }
    }

    fn exp(category: ExpenditureCategory, amount: i64) -> ExpenditureItem {
        ExpenditureItem { category, amount }
    }

    fn sample() -> LedgerYear {
        LedgerYear {
            year: 2025,
            revenue: vec![
                rev(Channel::ServiceOrders, 1_000_000),
                rev(Channel::ServiceOrders, 500_000),
                rev(Channel::TechContracts, 800_000),
                rev(Channel::FiscalSubsidy, 3_000_000),
            ],
            expenditures: vec![
                exp(ExpenditureCategory::Personnel, 1_500_000),
                exp(ExpenditureCategory::Research, 1_000_000),
                exp(ExpenditureCategory::Research, 500_000),
            ],
            contracts: vec![
                ContractItem {
                    contract_type: ContractType::Development,
                    amount: 600_000,
                    registration_no: "2025320600000123".into(),
                },
                ContractItem {
                    contract_type: ContractType::Service,
                    amount: 200_000,
                    registration_no: "  ".into(),
                },
                ContractItem {
                    contract_type: ContractType::Transfer,
                    amount: 0,
                    registration_no: String::new(),
                },
            ],
            licences: vec![
                LicenceItem {
                    payment_model: PaymentModel::ZeroFeeStagedRoyalty,
                    use_first_pay_later: true,
                    amount_agreed: 300_000,
                    amount_received: 50_000,
                },
                LicenceItem {
                    payment_model: PaymentModel::LumpSum,
                    use_first_pay_later: false,
                    amount_agreed: 100_000,
                    amount_received: 100_000,
                },
            ],
            companies: vec![CompanyItem {
                investment_form: InvestmentForm::Technology,
            }],
            tasks: vec![
                TaskItem {
                    level: TaskLevel::National,
                    funding: 2_000_000,
                },
                TaskItem {
                    level: TaskLevel::Provincial,
                    funding: 0,
                },
            ],
        }
    }

    #[test]
    fn derives_the_year_totals() {
        let d = derive(&sample());
        assert_eq!(d.year, 2025);
        assert_eq!(d.channel(Channel::ServiceOrders), 1_500_000);
        assert_eq!(d.channel(Channel::TechContracts), 800_000);
        assert_eq!(d.channel(Channel::IncubationReturns), 0);
        assert_eq!(d.revenue_by_channel.len(), 6);
        // Fiscal subsidy is not self-generated income.
        assert_eq!(d.self_generated, 2_300_000);
        assert_eq!(d.fiscal_subsidy, 3_000_000);
        assert_eq!(d.channels_in_use, 2);
        assert_eq!(d.expenditure, 3_000_000);
        assert_eq!(d.rnd_expenditure, 1_500_000);
        assert_eq!(d.category(ExpenditureCategory::Personnel), 1_500_000);
        assert_eq!(d.self_sufficiency, Some(2_300_000.0 / 3_000_000.0));
        assert_eq!(d.contracts, 3);
        assert_eq!(d.contract_value, 800_000);
        assert_eq!(d.transfer_contracts, 1);
        // Only the contract with a registration number counts as registered.
        assert_eq!(d.registered_contracts, 1);
        assert_eq!(d.registered_contract_value, 600_000);
        assert_eq!(d.licences, 2);
        assert_eq!(d.use_first_pay_later_licences, 1);
        assert_eq!(d.licences_agreed, 400_000);
        assert_eq!(d.licences_received, 150_000);
        assert_eq!(d.companies_incubated, 1);
        assert_eq!(d.major_tasks, 2);
        assert_eq!(d.national_tasks, 1);
        assert_eq!(d.task_funding, 2_000_000);
    }

    #[test]
    fn no_expenditure_means_no_ratio() {
        let d = derive(&LedgerYear {
            year: 2026,
            revenue: vec![rev(Channel::ServiceOrders, 10)],
            ..Default::default()
        });
        assert_eq!(d.expenditure, 0);
        assert_eq!(d.self_sufficiency, None);
        let v = indicator_values(&d);
        assert!(!v.contains_key("self_sufficiency_ratio"));
        assert_eq!(v["self_generated_income"], 10.0);
    }

    #[test]
    fn an_empty_year_derives_zeros() {
        let d = derive(&LedgerYear::default());
        assert_eq!(d.self_generated, 0);
        assert_eq!(d.channels_in_use, 0);
        assert_eq!(d.major_tasks, 0);
        assert_eq!(indicator_values(&d).len(), 7);
    }

    #[test]
    fn indicator_values_use_the_rubric_keys() {
        let d = derive(&sample());
        let v = indicator_values(&d);
        let rubric = super::super::scoring::Rubric::default_2025();
        for key in v.keys() {
            assert!(
                rubric.indicator(key).is_some(),
                "{key} is not in the rubric"
            );
            assert!(is_derived(key));
        }
        assert_eq!(v.len(), DERIVED_KEYS.len());
        assert_eq!(v["rnd_expenditure"], 1_500_000.0);
        assert_eq!(v["major_tasks"], 2.0);
        assert_eq!(v["tech_contract_value"], 600_000.0);
        // Two licences and one 技术转让 contract.
        assert_eq!(v["achievements_transferred"], 3.0);
        assert_eq!(v["companies_incubated"], 1.0);
        assert_eq!(v["self_generated_income"], 2_300_000.0);
        assert_eq!(v["revenue_channels"], 2.0);
        assert!((v["self_sufficiency_ratio"] - 0.766_666).abs() < 1e-5);
    }

    #[test]
    fn actuals_prefer_the_ledger_over_entered_values() {
        let d = derive(&sample());
        let mut entered = Values::new();
        entered.insert("rnd_staff".into(), 30.0);
        entered.insert("major_tasks".into(), 9.0);
        let a = actuals(&d, &entered);
        assert_eq!(a["rnd_staff"], 30.0);
        assert_eq!(a["major_tasks"], 2.0);
    }

    #[test]
    fn comparison_names_the_figures_that_differ() {
        let d = derive(&sample());
        let mut r = Reported {
            channels: d.revenue_by_channel.clone(),
            expenditure: 3_000_000,
            rnd_staff: 30,
            major_tasks: 2,
        };
        let checks = compare(&d, &r, Some(30.0));
        assert_eq!(checks.len(), 6 + 3 + 1);
        assert!(checks.iter().all(|c| !c.differs()));
        r.channels.insert(Channel::ServiceOrders, 1_600_000);
        r.major_tasks = 3;
        let differing: Vec<Check> = compare(&d, &r, None)
            .into_iter()
            .filter(Check::differs)
            .collect();
        assert_eq!(differing.len(), 3, "{differing:?}"); // the channel, the sum, the tasks
        assert_eq!(
            differing[0].message(),
            "服务订单：自报 160.00 万元，台账逐笔合计 150.00 万元"
        );
        assert_eq!(differing[0].difference_display(), "−10.00 万元");
        assert_eq!(differing[1].figure, Figure::SelfGenerated);
        assert_eq!(
            differing[2].message(),
            "承担重大任务（项）：自报 3，台账逐笔合计 2"
        );
        assert_eq!(differing[2].difference_display(), "−1");
    }

    #[test]
    fn parses_wan_exactly() {
        assert_eq!(parse_wan("12.5"), Ok(125_000));
        assert_eq!(parse_wan("1,200"), Ok(12_000_000));
        assert_eq!(parse_wan("0.0001"), Ok(1));
        assert_eq!(parse_wan(".5"), Ok(5_000));
        assert_eq!(parse_wan("0"), Ok(0));
        assert!(parse_wan("-1").is_err());
        assert!(parse_wan("1.23456").is_err());
        assert!(parse_wan("abc").is_err());
        assert!(parse_wan("").is_err());
        assert!(parse_wan(".").is_err());
        assert!(parse_wan("1e5").is_err());
        assert!(parse_wan("99999999999999").is_err());
        for y in [0, 1, 10_000, 123_400, 125_000, 9_876_543_210] {
            assert_eq!(parse_wan(&wan_input(y)), Ok(y));
        }
        assert_eq!(wan_input(123_400), "12.34");
        assert_eq!(wan_input(10_000), "1");
    }

    #[test]
    fn indicator_units() {
        assert_eq!(unit_of("self_generated_income"), Unit::Yuan);
        assert_eq!(unit_of("self_sufficiency_ratio"), Unit::Ratio);
        assert_eq!(unit_of("rnd_staff"), Unit::Count);
        assert_eq!(unit_of("something_staff_added"), Unit::Count);
        assert_eq!(parse_indicator(Unit::Yuan, "50"), Ok(500_000.0));
        assert_eq!(parse_indicator(Unit::Count, "12"), Ok(12.0));
        assert_eq!(parse_indicator(Unit::Ratio, "0.85"), Ok(0.85));
        assert!(parse_indicator(Unit::Count, "-3").is_err());
        assert!(parse_indicator(Unit::Count, "三").is_err());
        assert!(parse_indicator(Unit::Ratio, "150").is_err());
        assert_eq!(indicator_input(Unit::Yuan, 500_000.0), "50");
        assert_eq!(indicator_input(Unit::Count, 12.0), "12");
        assert_eq!(indicator_input(Unit::Ratio, 0.85), "0.85");
        assert_eq!(indicator_display(Unit::Yuan, 500_000.0), "50.00 万元");
        assert_eq!(indicator_display(Unit::Ratio, 0.8), "0.80");
    }

    #[test]
    fn revenue_form_reports_every_bad_field() {
        let f = RawForm::from_pairs(&[
            ("channel", "lottery"),
            ("amount", "-5"),
            ("received_on", "2024-03-01"),
        ]);
        let errors = parse_row(LedgerKind::Revenue, 2025, &f)
            .expect("a row kind")
            .expect_err("invalid");
        assert_eq!(errors.len(), 3);
        assert_eq!(errors.get("channel"), "请选择收入渠道");
        assert_eq!(errors.get("amount"), "金额不能为负数");
        assert_eq!(errors.get("received_on"), "日期应在 2025 年内");

        let f = RawForm::from_pairs(&[("channel", "service_orders"), ("amount", "12.5")]);
        let row = parse_row(LedgerKind::Revenue, 2025, &f)
            .expect("kind")
            .expect("valid");
        assert_eq!(
            row,
            NewRow::Revenue(NewRevenue {
                channel: Channel::ServiceOrders,
                amount: 125_000,
                counterparty: String::new(),
                description: String::new(),
                received_on: None,
            })
        );
    }

    #[test]
    fn contract_needs_type_counterparty_amount_and_date_in_the_year() {
        let errors = parse_row(LedgerKind::Contract, 2025, &RawForm::default())
            .expect("kind")
            .expect_err("empty");
        for field in ["contract_type", "counterparty", "amount", "signed_on"] {
            assert!(errors.has(field), "{field}");
        }
        let f = RawForm::from_pairs(&[
            ("contract_type", "development"),
            ("counterparty", "示例船舶公司"),
            ("amount", "30"),
            ("registration_no", ""),
            ("signed_on", "2025-05-06"),
        ]);
        let NewRow::Contract(c) = parse_row(LedgerKind::Contract, 2025, &f)
            .expect("kind")
            .expect("valid")
        else {
            panic!("not a contract")
        };
        assert_eq!(c.amount, 300_000);
        assert_eq!(c.registration_no, "");
    }

    #[test]
    fn company_uscc_and_equity_are_checked() {
        let f = RawForm::from_pairs(&[
            ("name", "示例科技有限公司"),
            ("uscc", "91320600MA1M9QX7K9"),
            ("equity_pct", "120"),
            ("investment_form", "technology"),
        ]);
        let errors = parse_row(LedgerKind::Company, 2025, &f)
            .expect("kind")
            .expect_err("bad uscc");
        assert!(errors.get("uscc").contains("校验位错误"));
        assert_eq!(errors.get("equity_pct"), "持股比例不能超过 100%");
        let f = RawForm::from_pairs(&[
            ("name", "示例科技有限公司"),
            ("uscc", "91320600ma1m9qx7k8"),
            ("equity_pct", "12.5"),
            ("investment_form", "technology"),
        ]);
        let NewRow::Company(c) = parse_row(LedgerKind::Company, 2025, &f)
            .expect("kind")
            .expect("valid")
        else {
            panic!("not a company")
        };
        assert_eq!(c.uscc.as_str(), "91320600MA1M9QX7K8");
        assert_eq!(c.equity_bp, 1250);
        assert_eq!(c.equity_pct(), 12.5);
        assert_eq!(parse_equity("12.345"), Err("持股比例最多两位小数"));
        assert_eq!(parse_equity(""), Ok(0));
    }

    #[test]
    fn licence_and_instrument_flags() {
        let f = RawForm::from_pairs(&[
            ("licensee", "示例企业"),
            ("achievement", "一种示例工艺"),
            ("payment_model", "zero_fee_staged_royalty"),
            ("use_first_pay_later", "on"),
            ("amount_agreed", "10"),
        ]);
        let NewRow::Licence(l) = parse_row(LedgerKind::Licence, 2025, &f)
            .expect("kind")
            .expect("valid")
        else {
            panic!("not a licence")
        };
        assert!(l.use_first_pay_later);
        assert_eq!((l.amount_agreed, l.amount_received), (100_000, 0));
        let f = RawForm::from_pairs(&[
            ("name", "示例电镜"),
            ("value", "300"),
            ("open_shared", "on"),
        ]);
        let NewRow::Instrument(i) = parse_row(LedgerKind::Instrument, 2025, &f)
            .expect("kind")
            .expect("valid")
        else {
            panic!("not an instrument")
        };
        assert!(i.open_shared && !i.on_provincial_platform);
        assert_eq!(i.value_yuan, 3_000_000);
        assert!(parse_row(LedgerKind::Indicators, 2025, &f).is_none());
    }

    #[test]
    fn indicator_values_form() {
        let f = RawForm::from_pairs(&[("v_rnd_staff", "35"), ("v_invention_patents", "")]);
        let v = parse_indicator_values(&["rnd_staff", "invention_patents"], &f).expect("valid");
        assert_eq!(v["rnd_staff"], Some(35.0));
        assert_eq!(v["invention_patents"], None);
        let f = RawForm::from_pairs(&[("v_rnd_staff", "x")]);
        let e = parse_indicator_values(&["rnd_staff"], &f).expect_err("bad");
        assert_eq!(e.get("v_rnd_staff"), "请填写数字");
    }

    #[test]
    fn every_row_kind_has_a_table() {
        for kind in LedgerKind::ALL {
            assert_eq!(kind.table().is_none(), *kind == LedgerKind::Indicators);
        }
    }
}
