//! Calendar arithmetic for policy dates.
//!
//! Policy deadlines add calendar months with end-of-month clamping (2024-02-29 + 12 months = 2025-02-28),
//! and annual deadlines are given as a month and day ("03-31") placed in a year.
//!
//! "Today" is Beijing's date ([`today_beijing`]), computed from a `now` passed in: the domain never
//! reads the clock (`crate::clock::today()` is the one place that does).

use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};

/// Beijing time, UTC+08:00 (Asia/Shanghai has had no daylight saving since 1991: a fixed offset is exact).
pub const BEIJING: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+08:00 is a valid offset"),
};

/// Beijing's date at the instant `t`.
pub fn beijing_date(t: &DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&BEIJING).date_naive()
}

/// Today in Beijing at `now` (the date every deadline, reminder and rule is judged on).
pub fn today_beijing(now: DateTime<Utc>) -> NaiveDate {
    beijing_date(&now)
}

/// The latest year whose records are complete on `today` (the year before): the year the dashboards,
/// the registry export and the reference figures report by default.
pub fn last_complete_year(today: NaiveDate) -> i32 {
    today.year() - 1
}
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The years the system keeps records for: a year outside is a page that does not exist.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Whether `year` is a Gregorian leap year.
pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in `month` (1–12) of `year`; 0 for a month outside 1–12.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Adds `months` calendar months (negative subtracts), clamping the day to the end of the target month.
///
/// `2024-02-29 + 12 = 2025-02-28`, `2025-01-31 + 1 = 2025-02-28`, `2025-03-31 − 1 = 2025-02-28`.
/// A result outside chrono's range saturates at `NaiveDate::MIN` / `NaiveDate::MAX`.
pub fn add_months(d: NaiveDate, months: i32) -> NaiveDate {
    let index = i64::from(d.year()) * 12 + i64::from(d.month0()) + i64::from(months);
    let year = index.div_euclid(12);
    let month = index.rem_euclid(12) as u32 + 1;
    let Ok(year) = i32::try_from(year) else {
        return if months < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        };
    };
    let day = d.day().min(days_in_month(year, month));
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(if months < 0 {
        NaiveDate::MIN
    } else {
        NaiveDate::MAX
    })
}

/// A day of the year without the year ("03-31"), used for annual deadlines.
///
/// `02-29` is allowed and falls on 02-28 in common years.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    month: u32,
    day: u32,
}

/// Why a text is not a valid `MM-DD` month-day.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("应为 MM-DD 格式的月日（如 03-31），实际为“{0}”")]
pub struct MonthDayError(pub String);

impl MonthDay {
    /// A month-day from numbers; `None` unless the day exists in that month of a leap year.
    pub const fn new(month: u32, day: u32) -> Option<MonthDay> {
        let max = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 => 29,
            _ => 0,
        };
        if day >= 1 && day <= max {
            Some(MonthDay { month, day })
        } else {
            None
        }
    }

    /// Parses exactly `MM-DD` (two digits each).
    pub fn parse(s: &str) -> Result<MonthDay, MonthDayError> {
        let err = || MonthDayError(s.to_owned());
        let bytes = s.as_bytes();
        let well_formed = bytes.len() == 5
            && bytes[2] == b'-'
            && [0, 1, 3, 4].iter().all(|&i| bytes[i].is_ascii_digit());
        if !well_formed {
            return Err(err());
        }
        let month = s[0..2].parse().map_err(|_| err())?;
        let day = s[3..5].parse().map_err(|_| err())?;
        MonthDay::new(month, day).ok_or_else(err)
    }

    /// The month, 1–12.
    pub fn month(self) -> u32 {
        self.month
    }

    /// The day of the month, 1–31.
    pub fn day(self) -> u32 {
        self.day
    }

    /// This month-day in `year`, clamped to the end of the month (02-29 → 02-28 in a common year).
    ///
    /// Saturates at `NaiveDate::MAX` for a year beyond chrono's range.
    pub fn in_year(self, year: i32) -> NaiveDate {
        let day = self.day.min(days_in_month(year, self.month));
        NaiveDate::from_ymd_opt(year, self.month, day).unwrap_or(NaiveDate::MAX)
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

impl Serialize for MonthDay {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MonthDay {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        MonthDay::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Parses a date written exactly as `YYYY-MM-DD`.
pub fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let bytes = s.as_bytes();
    let well_formed = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !well_formed {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_beijing_time() {
        let t = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("test time")
                .with_timezone(&Utc)
        };
        let d = |s: &str| parse_iso_date(s).expect("test date");
        assert_eq!(today_beijing(t("2026-07-30T15:59:59Z")), d("2026-07-30"));
        assert_eq!(today_beijing(t("2026-07-30T16:00:00Z")), d("2026-07-31"));
        assert_eq!(today_beijing(t("2026-03-31T16:30:00Z")), d("2026-04-01"));
        assert_eq!(beijing_date(&t("2026-12-31T16:00:00Z")), d("2027-01-01"));
        assert_eq!(BEIJING.local_minus_utc(), 8 * 3600);
    }

    fn d(s: &str) -> NaiveDate {
        parse_iso_date(s).expect("test date")
    }

    #[test]
    fn the_last_complete_year_is_the_year_before_today_in_beijing() {
        assert_eq!(last_complete_year(d("2026-01-01")), 2025);
        assert_eq!(last_complete_year(d("2026-12-31")), 2025);
        // 2026-12-31 16:00 UTC is already 2027-01-01 in Beijing: 2026 is complete.
        let new_year = DateTime::parse_from_rfc3339("2026-12-31T16:00:00Z").expect("test time");
        assert_eq!(
            last_complete_year(today_beijing(new_year.with_timezone(&Utc))),
            2026
        );
    }

    #[test]
    fn adds_months_within_a_year() {
        assert_eq!(add_months(d("2025-01-15"), 1), d("2025-02-15"));
        assert_eq!(add_months(d("2025-01-15"), 0), d("2025-01-15"));
        assert_eq!(add_months(d("2025-11-30"), 2), d("2026-01-30"));
    }

    #[test]
    fn clamps_to_the_end_of_the_month() {
        assert_eq!(add_months(d("2024-02-29"), 12), d("2025-02-28"));
        assert_eq!(add_months(d("2025-01-31"), 1), d("2025-02-28"));
        assert_eq!(add_months(d("2024-01-31"), 1), d("2024-02-29"));
        assert_eq!(add_months(d("2025-08-31"), 1), d("2025-09-30"));
        assert_eq!(add_months(d("2024-02-29"), 48), d("2028-02-29"));
        assert_eq!(add_months(d("2024-02-29"), 24), d("2026-02-28"));
    }

    #[test]
    fn subtracts_months() {
        assert_eq!(add_months(d("2025-03-31"), -1), d("2025-02-28"));
        assert_eq!(add_months(d("2025-01-15"), -1), d("2024-12-15"));
        assert_eq!(add_months(d("2025-02-28"), -12), d("2024-02-28"));
        assert_eq!(add_months(d("2028-02-29"), -36), d("2025-02-28"));
        assert_eq!(add_months(d("2025-01-31"), -25), d("2022-12-31"));
    }

    #[test]
    fn saturates_out_of_range() {
        assert_eq!(add_months(d("2025-01-31"), i32::MAX), NaiveDate::MAX);
        assert_eq!(add_months(d("2025-01-31"), i32::MIN), NaiveDate::MIN);
    }

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2024));
        assert!(is_leap_year(2000));
        assert!(!is_leap_year(1900));
        assert!(!is_leap_year(2025));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2025, 2), 28);
        assert_eq!(days_in_month(2025, 13), 0);
    }

    #[test]
    fn month_day_parses_and_places_in_a_year() {
        let md = MonthDay::parse("03-31").expect("valid");
        assert_eq!((md.month(), md.day()), (3, 31));
        assert_eq!(md.to_string(), "03-31");
        assert_eq!(md.in_year(2026), d("2026-03-31"));
        let feb29 = MonthDay::parse("02-29").expect("valid");
        assert_eq!(feb29.in_year(2025), d("2025-02-28"));
        assert_eq!(feb29.in_year(2024), d("2024-02-29"));
    }

    #[test]
    fn month_day_rejects_malformed_text() {
        for bad in [
            "3-31", "03/31", "04-31", "13-01", "00-10", "02-30", "03-00", "0331", "03-31 ",
        ] {
            assert!(MonthDay::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn month_day_serde_round_trip() {
        let md = MonthDay::parse("07-31").expect("valid");
        let json = serde_json::to_string(&md).expect("serialize");
        assert_eq!(json, "\"07-31\"");
        let back: MonthDay = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, md);
        assert!(serde_json::from_str::<MonthDay>("\"07-32\"").is_err());
    }

    #[test]
    fn iso_dates_are_strict() {
        assert_eq!(parse_iso_date("2026-11-21"), Some(d("2026-11-21")));
        for bad in [
            "2026-1-21",
            "2026/11/21",
            "2026-02-30",
            "20261121",
            "2026-11-21T00:00",
            "+026-11-21",
        ] {
            assert_eq!(parse_iso_date(bad), None, "{bad}");
        }
    }
}
