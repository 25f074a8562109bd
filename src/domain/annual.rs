//! The annual cycle's per-year configuration (EVALUATION.md): deadlines, the rubric, the grade
//! rules with rewards and funding coefficients, and the public-notice length. Stored per year as
//! JSON and versioned; a year's results are always recomputed from the version in force for it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::calendar::MonthDay;
use super::scoring::{GradeRules, Rubric};

/// Deadlines of a year `Y` (EVALUATION.md §1–3; the year-end evaluation closes in `Y + 1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deadlines {
    /// 年初备案, in `Y` (default 03-31).
    pub filing: MonthDay,
    /// 半年过堂, in `Y` (default 07-31).
    pub midyear: MonthDay,
    /// 年底评估, in `Y + 1` (default 01-31).
    pub yearend: MonthDay,
}

impl Default for Deadlines {
    fn default() -> Self {
        let md = |m, d| MonthDay::new(m, d).expect("valid default month-day");
        Deadlines {
            filing: md(3, 31),
            midyear: md(7, 31),
            yearend: md(1, 31),
        }
    }
}

/// The configuration in force for one year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnualConfig {
    pub deadlines: Deadlines,
    pub rubric: Rubric,
    pub grade_rules: GradeRules,
    /// 公示 period in days (default 7).
    pub notice_days: u32,
}

impl Default for AnnualConfig {
    fn default() -> Self {
        AnnualConfig {
            deadlines: Deadlines::default(),
            rubric: Rubric::default_2025(),
            grade_rules: GradeRules::default(),
            notice_days: 7,
        }
    }
}

/// Which of the year's three steps a deadline belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Filing,
    Midyear,
    Yearend,
}

impl Step {
    pub const ALL: [Step; 3] = [Step::Filing, Step::Midyear, Step::Yearend];

    pub fn label_zh(self) -> &'static str {
        match self {
            Step::Filing => "年初备案",
            Step::Midyear => "半年过堂",
            Step::Yearend => "年底评估",
        }
    }
}

/// The rule parameters that are not edited in the policy library: the year's cycle configuration is their only
/// source (POLICY-RULES.md "Parameters").
pub const CYCLE_DEADLINE_PARAMS: [&str; 3] = [
    "EVAL-FILING.deadline",
    "EVAL-MIDYEAR.deadline",
    "EVAL-YEAREND.deadline",
];

/// Whether the rule parameter `key` is one of the three deadlines set by the year's cycle configuration.
pub fn is_cycle_deadline(key: &str) -> bool {
    CYCLE_DEADLINE_PARAMS.contains(&key)
}

/// The three `EVAL-*.deadline` rule parameters in force on a day of year `Y`, given the cycle configurations of
/// `Y` and `Y − 1`: the filing and mid-year deadlines of `Y`'s cycle, and the year-end deadline of `Y − 1`'s cycle
/// (which falls in `Y`, where `EVAL-YEAREND` looks for it). Keys in [`CYCLE_DEADLINE_PARAMS`] order.
pub fn rule_deadlines(
    this_year: &AnnualConfig,
    last_year: &AnnualConfig,
) -> [(&'static str, MonthDay); 3] {
    [
        (CYCLE_DEADLINE_PARAMS[0], this_year.deadlines.filing),
        (CYCLE_DEADLINE_PARAMS[1], this_year.deadlines.midyear),
        (CYCLE_DEADLINE_PARAMS[2], last_year.deadlines.yearend),
    ]
}

impl AnnualConfig {
    /// The deadline of `step` for the cycle of `year`.
    pub fn deadline(&self, year: i32, step: Step) -> NaiveDate {
        match step {
            Step::Filing => self.deadlines.filing.in_year(year),
            Step::Midyear => self.deadlines.midyear.in_year(year),
            Step::Yearend => self.deadlines.yearend.in_year(year + 1),
        }
    }

    /// Checks the whole configuration; every problem in Chinese.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if let Err(e) = self.rubric.validate() {
            problems.extend(e.problems.iter().map(|p| p.to_string()));
        }
        let r = &self.grade_rules;
        if !(r.pass_min < r.good_min && r.good_min <= r.excellent_min && r.excellent_min <= 100.0) {
            problems.push("等次分数线应满足：合格 < 良好 ≤ 优秀 ≤ 100".into());
        }
        if r.excellent_quota_pct == 0 || r.excellent_quota_pct > 100 {
            problems.push("优秀比例应在 1%–100% 之间".into());
        }
        if r.reward_excellent_yuan < 0 || r.reward_good_yuan < 0 {
            problems.push("奖励金额不能为负数".into());
        }
        if !(1..=30).contains(&self.notice_days) {
            problems.push("公示期应为 1–30 天".into());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_deadlines_take_the_year_end_from_the_previous_cycle() {
        let mut this_year = AnnualConfig::default();
        this_year.deadlines.filing = MonthDay::parse("04-15").expect("md");
        this_year.deadlines.yearend = MonthDay::parse("02-28").expect("md");
        let mut last_year = AnnualConfig::default();
        last_year.deadlines.yearend = MonthDay::parse("01-15").expect("md");
        let got = rule_deadlines(&this_year, &last_year);
        let shown: Vec<(&str, String)> = got.iter().map(|(k, md)| (*k, md.to_string())).collect();
        assert_eq!(
            shown,
            [
                ("EVAL-FILING.deadline", "04-15".to_owned()),
                ("EVAL-MIDYEAR.deadline", "07-31".to_owned()),
                ("EVAL-YEAREND.deadline", "01-15".to_owned()),
            ]
        );
        for key in CYCLE_DEADLINE_PARAMS {
            assert!(is_cycle_deadline(key));
            assert!(
                crate::domain::compliance::ParamKey::lookup(key).is_some(),
                "{key} is a rule parameter"
            );
        }
        assert!(!is_cycle_deadline("MKT-BREAK-EVEN.transition_months"));
    }

    #[test]
    fn defaults_follow_evaluation_md() {
        let c = AnnualConfig::default();
        assert_eq!(
            c.deadline(2026, Step::Filing),
            NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
        );
        assert_eq!(
            c.deadline(2026, Step::Midyear),
            NaiveDate::from_ymd_opt(2026, 7, 31).unwrap()
        );
        assert_eq!(
            c.deadline(2026, Step::Yearend),
            NaiveDate::from_ymd_opt(2027, 1, 31).unwrap()
        );
        assert_eq!(c.notice_days, 7);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn round_trips_through_json() {
        let c = AnnualConfig::default();
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["deadlines"]["filing"], "03-31");
        assert_eq!(serde_json::from_value::<AnnualConfig>(json).unwrap(), c);
    }

    #[test]
    fn validation_reports_bad_grade_lines() {
        let mut c = AnnualConfig::default();
        c.grade_rules.good_min = 50.0;
        c.notice_days = 0;
        assert_eq!(c.validate().unwrap_err().len(), 2);
    }
}
