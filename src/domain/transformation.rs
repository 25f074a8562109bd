//! Market transformation (市场化转型, NT10 一): the rules the compliance engine (`MKT-BREAK-EVEN`), the
//! dashboards, the exports and the data API share, each written here once.
//!
//! - **Self-sufficiency** (自给率, [`self_sufficiency`]): self-generated income (fiscal subsidy excluded)
//!   ÷ expenditure; none without expenditure.
//! - **Break-even** (收支平衡, [`is_break_even`]): self-generated income covers a positive expenditure,
//!   compared exactly in whole yuan (a ratio of 0.99999 is not at break-even).
//! - **The transformation deadline** ([`transformation_deadline`]): construction end + the
//!   `MKT-BREAK-EVEN.transition_months` in force, end-of-month clamped (2024-02-29 + 24 = 2026-02-28).
//! - **At risk** ([`transformation_at_risk`]): construction has ended and the deadline has passed or
//!   lies within [`AT_RISK_WINDOW_MONTHS`] of today while the latest complete year is not at break-even.
//!
//! Where the dashboards compute these in SQL over thousands of platforms (`db::dashboards`), the SQL is
//! named after the function here, takes its parameters as binds, and a test checks the two agree.

use chrono::NaiveDate;

use super::calendar::add_months;
use super::compliance::params::Months;
use super::platform::Stage;

/// Self-generated income ÷ expenditure (自给率); `None` when nothing was spent.
pub fn self_sufficiency(self_generated: i64, expenditure: i64) -> Option<f64> {
    (expenditure > 0).then(|| self_generated as f64 / expenditure as f64)
}

/// [`self_sufficiency`] of figures that may be missing (a platform without figures for the year).
pub fn self_sufficiency_of(self_generated: Option<i64>, expenditure: Option<i64>) -> Option<f64> {
    self_sufficiency(self_generated?, expenditure?)
}

/// Whether self-generated income covers a positive expenditure (收支平衡), compared exactly.
pub fn is_break_even(self_generated: i64, expenditure: i64) -> bool {
    expenditure > 0 && self_generated >= expenditure
}

code_enum! {
    /// A platform's break-even class in a year, as the leadership dashboard counts it.
    Balance {
        /// At break-even.
        Yes = "yes" / "已收支平衡",
        /// With expenditure, not at break-even.
        No = "no" / "未收支平衡",
        /// Active in the year but without figures (or without expenditure).
        NoFigures = "none" / "无收支数据",
    }
}

/// Whether a platform is expected to have figures for `year`: operating or rectifying, and operating
/// by the end of that year (or without a recorded start).
pub fn active_in_year(stage: Stage, operating_since: Option<NaiveDate>, year: i32) -> bool {
    matches!(stage, Stage::Operating | Stage::Rectifying)
        && operating_since.is_none_or(|since| {
            NaiveDate::from_ymd_opt(year, 12, 31).is_some_and(|end| since <= end)
        })
}

/// The break-even class of a platform in a year from its `(self_generated, expenditure)` of that
/// year (`None`: no figures): figures with expenditure are [`Balance::Yes`] or [`Balance::No`];
/// figures without expenditure, or none while [`active_in_year`], are [`Balance::NoFigures`];
/// otherwise the platform is not counted (`None`).
pub fn balance(figures: Option<(i64, i64)>, active: bool) -> Option<Balance> {
    match figures {
        Some((own, spent)) if spent > 0 => Some(if is_break_even(own, spent) {
            Balance::Yes
        } else {
            Balance::No
        }),
        Some(_) => Some(Balance::NoFigures),
        None => active.then_some(Balance::NoFigures),
    }
}

/// The market-transformation deadline: construction end + `months`
/// (`MKT-BREAK-EVEN.transition_months`), end-of-month clamped.
pub fn transformation_deadline(construction_end: NaiveDate, months: Months) -> NaiveDate {
    add_months(
        construction_end,
        i32::try_from(months.0).unwrap_or(i32::MAX),
    )
}

/// A platform's transformation deadline with what it is computed from, for the pages that show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransformationDeadline {
    pub construction_end: Option<NaiveDate>,
    pub months: u32,
    /// `None` without a construction end.
    pub deadline: Option<NaiveDate>,
}

impl TransformationDeadline {
    pub fn new(construction_end: Option<NaiveDate>, months: u32) -> TransformationDeadline {
        TransformationDeadline {
            construction_end,
            months,
            deadline: construction_end.map(|end| transformation_deadline(end, Months(months))),
        }
    }
}

/// How close to the transformation deadline a platform not at break-even counts as at risk.
pub const AT_RISK_WINDOW_MONTHS: Months = Months(6);

/// Whether a platform is at risk of missing its transformation (转型风险) on `today`: construction
/// ended before today, the deadline has passed or falls within [`AT_RISK_WINDOW_MONTHS`] of today,
/// and the latest complete year is not at break-even (`balanced`, false without figures).
pub fn transformation_at_risk(
    construction_end: NaiveDate,
    deadline: NaiveDate,
    today: NaiveDate,
    balanced: bool,
) -> bool {
    construction_end < today
        && deadline <= transformation_deadline(today, AT_RISK_WINDOW_MONTHS)
        && !balanced
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::parse_iso_date;

    fn d(s: &str) -> NaiveDate {
        parse_iso_date(s).expect("test date")
    }

    #[test]
    fn self_sufficiency_needs_spending() {
        assert_eq!(self_sufficiency(6, 4), Some(1.5));
        assert_eq!(self_sufficiency(0, 4), Some(0.0));
        assert_eq!(self_sufficiency(6, 0), None);
        assert_eq!(self_sufficiency_of(Some(6), Some(4)), Some(1.5));
        assert_eq!(self_sufficiency_of(None, Some(4)), None);
        assert_eq!(self_sufficiency_of(Some(6), None), None);
    }

    #[test]
    fn break_even_is_exact_and_needs_spending() {
        assert!(is_break_even(8_000_000, 8_000_000));
        assert!(!is_break_even(7_999_999, 8_000_000));
        assert!(is_break_even(8_000_001, 8_000_000));
        assert!(!is_break_even(5, 0));
        assert!(!is_break_even(0, 0));
    }

    #[test]
    fn balance_classes() {
        assert_eq!(balance(Some((10, 10)), false), Some(Balance::Yes));
        assert_eq!(balance(Some((9, 10)), false), Some(Balance::No));
        assert_eq!(balance(Some((9, 0)), false), Some(Balance::NoFigures));
        assert_eq!(balance(None, true), Some(Balance::NoFigures));
        assert_eq!(balance(None, false), None);
    }

    #[test]
    fn active_in_year_by_stage_and_start() {
        assert!(active_in_year(Stage::Operating, None, 2025));
        assert!(active_in_year(
            Stage::Rectifying,
            Some(d("2025-12-31")),
            2025
        ));
        assert!(!active_in_year(
            Stage::Operating,
            Some(d("2026-01-01")),
            2025
        ));
        assert!(!active_in_year(Stage::Registration, None, 2025));
        assert!(!active_in_year(Stage::Exited, None, 2025));
    }

    #[test]
    fn deadline_is_construction_end_plus_the_parameter() {
        assert_eq!(
            transformation_deadline(d("2024-06-30"), Months(24)),
            d("2026-06-30")
        );
        assert_eq!(
            transformation_deadline(d("2024-02-29"), Months(24)),
            d("2026-02-28")
        );
        assert_eq!(
            transformation_deadline(d("2024-06-30"), Months(0)),
            d("2024-06-30")
        );
        assert_eq!(
            transformation_deadline(d("2023-08-31"), Months(30)),
            d("2026-02-28")
        );
        let t = TransformationDeadline::new(Some(d("2025-06-30")), 24);
        assert_eq!(t.deadline, Some(d("2027-06-30")));
        assert_eq!(TransformationDeadline::new(None, 24).deadline, None);
    }

    #[test]
    fn at_risk_from_six_months_before_the_deadline() {
        let end = d("2024-06-30");
        let deadline = d("2026-06-30");
        // Six months before the deadline to the day: at risk; a day earlier: not yet.
        assert!(transformation_at_risk(
            end,
            deadline,
            d("2025-12-30"),
            false
        ));
        assert!(!transformation_at_risk(
            end,
            deadline,
            d("2025-12-29"),
            false
        ));
        // Past the deadline: at risk, unless at break-even.
        assert!(transformation_at_risk(
            end,
            deadline,
            d("2027-01-01"),
            false
        ));
        assert!(!transformation_at_risk(
            end,
            deadline,
            d("2027-01-01"),
            true
        ));
        // Month ends clamp: 2025-08-31 + 6 months = 2026-02-28.
        assert!(transformation_at_risk(
            end,
            d("2026-02-28"),
            d("2025-08-31"),
            false
        ));
        assert!(!transformation_at_risk(
            end,
            d("2026-03-01"),
            d("2025-08-31"),
            false
        ));
        // Construction not ended before today: not at risk.
        assert!(!transformation_at_risk(end, end, end, false));
    }
}
