//! The records behind `platform.support`: recognitions, technology transactions, enterprise-led projects,
//! investments and fund first-equity results — their forms (validated, Chinese messages per field) and how a
//! platform's rows become the [`Support`] input as of a date.
//!
//! Which rows count, as of a date with L = its year − 1: recognitions dated on or before the date; the
//! technology transactions, joint R&D investment, enterprise projects and fund results **of year L**; the
//! build investments (概念验证中心 / 中试平台 建设投入) of every year up to and including L (a build's cost
//! accumulates).

use chrono::{Datelike, NaiveDate};

use super::input::{Recognition, Support};
use crate::domain::calendar::parse_iso_date;
use crate::domain::fields::RawForm;
use crate::domain::ledger::parse_wan;
use crate::domain::money::Yuan;
use crate::domain::validation::FieldErrors;

code_enum! {
    /// A kind of support record (the path segment of its form).
    RecordKind {
        Recognition = "recognition" / "认定",
        Transaction = "transaction" / "技术交易",
        Project = "project" / "企业牵头产学研项目",
        Investment = "investment" / "投入",
        Fund = "fund" / "基金首投成果",
    }
}

impl RecordKind {
    /// The table holding this kind.
    pub fn table(self) -> &'static str {
        match self {
            RecordKind::Recognition => "support_recognitions",
            RecordKind::Transaction => "support_tech_transactions",
            RecordKind::Project => "support_enterprise_projects",
            RecordKind::Investment => "support_investments",
            RecordKind::Fund => "support_fund_results",
        }
    }
}

code_enum! {
    /// What an investment was for.
    InvestmentKind {
        JointRnd = "joint_rnd" / "协同企业联合攻关新增投入",
        PocBuild = "poc_build" / "概念验证中心建设投入",
        PilotBuild = "pilot_build" / "中试平台建设投入",
    }
}

/// A recognition as entered.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NewRecognition {
    pub kind: Recognition,
    pub recognised_on: NaiveDate,
    pub issuing_body: String,
    pub document_ref: String,
    /// The platform document it links to (checked to be the platform's by the database layer).
    pub document_id: Option<i64>,
}

/// A technology transaction as entered.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NewTransaction {
    pub year: i32,
    pub counterparty: String,
    pub amount_yuan: i64,
}

/// An enterprise-led project as entered.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NewProject {
    pub name: String,
    pub enterprise: String,
    pub year: i32,
    pub receipts_yuan: i64,
}

/// An investment as entered.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NewInvestment {
    pub kind: InvestmentKind,
    pub year: i32,
    pub amount_yuan: i64,
    pub description: String,
}

/// Fund first-equity results of a year as entered.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NewFundResult {
    pub year: i32,
    pub results: i32,
    pub description: String,
}

/// A validated record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewRecord {
    Recognition(NewRecognition),
    Transaction(NewTransaction),
    Project(NewProject),
    Investment(NewInvestment),
    Fund(NewFundResult),
}

struct Reader<'a> {
    f: &'a RawForm,
    errors: FieldErrors,
}

impl Reader<'_> {
    fn text(&mut self, name: &'static str, label: &str, min: usize, max: usize) -> String {
        let v = self.f.get(name).trim();
        let n = v.chars().count();
        if n < min {
            self.errors.add(name, format!("请填写{label}"));
        } else if n > max {
            self.errors.add(name, format!("{label}不能超过 {max} 个字"));
        }
        v.to_owned()
    }

    fn code<T>(
        &mut self,
        name: &'static str,
        label: &str,
        parse: fn(&str) -> Option<T>,
    ) -> Option<T> {
        let parsed = parse(self.f.get(name));
        if parsed.is_none() {
            self.errors.add(name, format!("请选择{label}"));
        }
        parsed
    }

    fn year(&mut self, name: &'static str) -> i32 {
        match self.f.get(name).trim().parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => y,
            _ => {
                self.errors.add(name, "请填写年度（2000–2100 的四位数字）");
                0
            }
        }
    }

    /// An amount in 万元; `positive` refuses 0.
    fn money(&mut self, name: &'static str, positive: bool) -> i64 {
        match parse_wan(self.f.get(name)) {
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

    fn date(&mut self, name: &'static str, today: NaiveDate) -> NaiveDate {
        let v = self.f.get(name).trim();
        match parse_iso_date(v) {
            None if v.is_empty() => {
                self.errors.add(name, "请填写日期");
                today
            }
            None => {
                self.errors
                    .add(name, "日期格式应为年-月-日（如 2026-03-31）");
                today
            }
            Some(d) if d > today => {
                self.errors.add(name, "认定日期不能晚于今天");
                d
            }
            Some(d) => d,
        }
    }

    fn count(&mut self, name: &'static str, label: &str) -> i32 {
        match self.f.get(name).trim().parse::<i32>() {
            Ok(n) if (1..=10_000).contains(&n) => n,
            _ => {
                self.errors.add(name, format!("{label}应为 1–10000 的整数"));
                0
            }
        }
    }

    fn optional_id(&mut self, name: &'static str) -> Option<i64> {
        let v = self.f.get(name).trim();
        if v.is_empty() {
            return None;
        }
        match v.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                self.errors.add(name, "请选择平台文件中的一份");
                None
            }
        }
    }
}

/// Validates the form of a record of `kind`; `today` bounds a recognition's date.
pub fn parse_record(
    kind: RecordKind,
    f: &RawForm,
    today: NaiveDate,
) -> Result<NewRecord, FieldErrors> {
    let mut r = Reader {
        f,
        errors: FieldErrors::default(),
    };
    let record = match kind {
        RecordKind::Recognition => {
            let kind = r.code("kind", "认定类型", Recognition::parse);
            let recognised_on = r.date("recognised_on", today);
            let issuing_body = r.text("issuing_body", "认定单位", 1, 100);
            let document_ref = r.text("document_ref", "文号", 0, 100);
            let document_id = r.optional_id("document_id");
            kind.map(|kind| {
                NewRecord::Recognition(NewRecognition {
                    kind,
                    recognised_on,
                    issuing_body,
                    document_ref,
                    document_id,
                })
            })
        }
        RecordKind::Transaction => {
            let year = r.year("year");
            let counterparty = r.text("counterparty", "交易相对方", 1, 100);
            let amount_yuan = r.money("amount", true);
            Some(NewRecord::Transaction(NewTransaction {
                year,
                counterparty,
                amount_yuan,
            }))
        }
        RecordKind::Project => {
            let name = r.text("name", "项目名称", 1, 100);
            let enterprise = r.text("enterprise", "牵头企业", 1, 100);
            let year = r.year("year");
            let receipts_yuan = r.money("receipts", false);
            Some(NewRecord::Project(NewProject {
                name,
                enterprise,
                year,
                receipts_yuan,
            }))
        }
        RecordKind::Investment => {
            let kind = r.code("kind", "投入类型", InvestmentKind::parse);
            let year = r.year("year");
            let amount_yuan = r.money("amount", true);
            let description = r.text("description", "说明", 0, 200);
            kind.map(|kind| {
                NewRecord::Investment(NewInvestment {
                    kind,
                    year,
                    amount_yuan,
                    description,
                })
            })
        }
        RecordKind::Fund => {
            let year = r.year("year");
            let results = r.count("results", "成果数");
            let description = r.text("description", "说明", 0, 200);
            Some(NewRecord::Fund(NewFundResult {
                year,
                results,
                description,
            }))
        }
    };
    match record {
        Some(record) if r.errors.is_empty() => Ok(record),
        _ => Err(r.errors),
    }
}

/// A platform's support rows, as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rows {
    /// (kind, date recognised)
    pub recognitions: Vec<(Recognition, NaiveDate)>,
    /// (year, amount)
    pub transactions: Vec<(i32, i64)>,
    /// (year, receipts)
    pub projects: Vec<(i32, i64)>,
    /// (kind, year, amount)
    pub investments: Vec<(InvestmentKind, i32, i64)>,
    /// (year, results)
    pub funds: Vec<(i32, i64)>,
}

fn yuan(v: i64) -> Yuan {
    Yuan::new(v.max(0)).unwrap_or(Yuan::MAX)
}

/// The [`Support`] input as of `as_of` (see the module documentation for which rows count).
pub fn support_as_of(rows: &Rows, as_of: NaiveDate) -> Support {
    let l = as_of.year() - 1;
    let sum = |it: &mut dyn Iterator<Item = i64>| yuan(it.fold(0i64, i64::saturating_add));
    let invested = |kind: InvestmentKind, cumulative: bool| {
        sum(&mut rows
            .investments
            .iter()
            .filter(|(k, y, _)| *k == kind && (*y == l || (cumulative && *y < l)))
            .map(|(_, _, a)| *a))
    };
    let mut recognitions: Vec<Recognition> = Recognition::ALL
        .iter()
        .copied()
        .filter(|r| rows.recognitions.iter().any(|(k, d)| k == r && *d <= as_of))
        .collect();
    recognitions.dedup();
    Support {
        recognitions,
        tech_transaction_yuan: sum(&mut rows
            .transactions
            .iter()
            .filter(|(y, _)| *y == l)
            .map(|(_, a)| *a)),
        enterprise_project_receipts_yuan: rows
            .projects
            .iter()
            .filter(|(y, _)| *y == l)
            .map(|(_, a)| yuan(*a))
            .collect(),
        joint_rnd_new_investment_yuan: invested(InvestmentKind::JointRnd, false),
        poc_build_investment_yuan: invested(InvestmentKind::PocBuild, true),
        pilot_build_investment_yuan: invested(InvestmentKind::PilotBuild, true),
        fund_first_equity_results: u32::try_from(
            rows.funds
                .iter()
                .filter(|(y, _)| *y == l)
                .map(|(_, n)| *n)
                .sum::<i64>(),
        )
        .unwrap_or(u32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_iso_date(s).expect("date")
    }

    #[test]
    fn yearly_sums_are_for_year_l_and_builds_accumulate() {
        let rows = Rows {
            recognitions: vec![
                (Recognition::NewRndInstitution, d("2025-05-01")),
                (Recognition::NjPilotPlatform, d("2026-12-01")),
            ],
            transactions: vec![(2025, 1_000_000), (2025, 2_000_000), (2024, 9_000_000)],
            projects: vec![(2025, 3_000_000), (2026, 5_000_000)],
            investments: vec![
                (InvestmentKind::JointRnd, 2025, 400_000),
                (InvestmentKind::JointRnd, 2024, 700_000),
                (InvestmentKind::PocBuild, 2024, 500_000),
                (InvestmentKind::PocBuild, 2025, 600_000),
                (InvestmentKind::PocBuild, 2026, 900_000),
            ],
            funds: vec![(2025, 2), (2025, 1), (2026, 5)],
        };
        let s = support_as_of(&rows, d("2026-11-21"));
        assert_eq!(s.recognitions, vec![Recognition::NewRndInstitution]);
        assert_eq!(s.tech_transaction_yuan.get(), 3_000_000);
        assert_eq!(
            s.enterprise_project_receipts_yuan,
            vec![Yuan::new(3_000_000).expect("valid")]
        );
        assert_eq!(s.joint_rnd_new_investment_yuan.get(), 400_000);
        assert_eq!(s.poc_build_investment_yuan.get(), 1_100_000);
        assert_eq!(s.pilot_build_investment_yuan.get(), 0);
        assert_eq!(s.fund_first_equity_results, 3);
        // The later recognition counts once its date has come.
        let s = support_as_of(&rows, d("2026-12-01"));
        assert_eq!(s.recognitions.len(), 2);
    }

    #[test]
    fn forms_validate_each_field_in_chinese() {
        let today = d("2026-11-21");
        let f = RawForm::from_pairs(&[
            ("kind", "nope"),
            ("recognised_on", "2027-01-01"),
            ("issuing_body", ""),
        ]);
        let e = parse_record(RecordKind::Recognition, &f, today).expect_err("invalid");
        assert_eq!(e.get("kind"), "请选择认定类型");
        assert_eq!(e.get("recognised_on"), "认定日期不能晚于今天");
        assert_eq!(e.get("issuing_body"), "请填写认定单位");

        let f = RawForm::from_pairs(&[
            ("kind", "new_rnd_institution"),
            ("recognised_on", "2025-05-01"),
            ("issuing_body", "南通市科技局"),
            ("document_ref", "通科发〔2025〕12号"),
        ]);
        let ok = parse_record(RecordKind::Recognition, &f, today).expect("valid");
        assert!(matches!(ok, NewRecord::Recognition(r) if r.document_id.is_none()));

        let f =
            RawForm::from_pairs(&[("year", "25"), ("counterparty", "某公司"), ("amount", "-3")]);
        let e = parse_record(RecordKind::Transaction, &f, today).expect_err("invalid");
        assert!(e.has("year"));
        assert_eq!(e.get("amount"), "金额不能为负数");

        let f = RawForm::from_pairs(&[
            ("year", "2025"),
            ("counterparty", "某公司"),
            ("amount", "300"),
        ]);
        assert_eq!(
            parse_record(RecordKind::Transaction, &f, today),
            Ok(NewRecord::Transaction(NewTransaction {
                year: 2025,
                counterparty: "某公司".into(),
                amount_yuan: 3_000_000
            }))
        );

        let f = RawForm::from_pairs(&[("year", "2025"), ("results", "1.5")]);
        let e = parse_record(RecordKind::Fund, &f, today).expect_err("invalid");
        assert_eq!(e.get("results"), "成果数应为 1–10000 的整数");

        let f = RawForm::from_pairs(&[("kind", "pilot_build"), ("year", "2025"), ("amount", "0")]);
        let e = parse_record(RecordKind::Investment, &f, today).expect_err("invalid");
        assert_eq!(e.get("amount"), "金额应大于 0");

        let f = RawForm::from_pairs(&[
            ("name", "海工焊接联合攻关"),
            ("enterprise", "某重工"),
            ("year", "2025"),
            ("receipts", "320"),
        ]);
        assert!(parse_record(RecordKind::Project, &f, today).is_ok());
    }
}
