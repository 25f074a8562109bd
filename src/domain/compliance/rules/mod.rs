//! The logic of each rule. Each function sees a platform already inside the rule's scope (see
//! [`RuleDef::evaluate`](super::catalogue::RuleDef)) and returns the status, a Chinese message saying what is wrong
//! and what fixes it, and the facts it used.

pub(crate) mod annual;
pub(crate) mod integrity;
pub(crate) mod market;
pub(crate) mod operation;
pub(crate) mod rectification;
pub(crate) mod registration;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::{Map, Value};

use super::Status;
use super::params::Params;
use super::snapshot::{Platform, Snapshot, YearRecord};
use crate::domain::money;

/// What a rule reads: the platform, the parameters and the dates derived from `as_of`.
pub(crate) struct Ctx<'a> {
    pub(crate) platform: &'a Platform,
    pub(crate) params: &'a Params,
    pub(crate) as_of: NaiveDate,
    /// `Y`: the year of `as_of`.
    pub(crate) year: i32,
    /// `L = Y − 1`: the latest complete year.
    pub(crate) last: i32,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(snapshot: &'a Snapshot, params: &'a Params) -> Ctx<'a> {
        let year = snapshot.as_of.year();
        Ctx {
            platform: &snapshot.platform,
            params,
            as_of: snapshot.as_of,
            year,
            last: year - 1,
        }
    }

    /// `E(y)`.
    pub(crate) fn record(&self, year: i32) -> Option<&'a YearRecord> {
        self.platform.years.get(year)
    }
}

/// A rule's result before it is labelled with the rule's ID and clause.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Outcome {
    pub(crate) status: Status,
    pub(crate) message: String,
    pub(crate) facts: Map<String, Value>,
}

impl Outcome {
    pub(crate) fn new(status: Status, message: impl Into<String>) -> Outcome {
        Outcome {
            status,
            message: message.into(),
            facts: Map::new(),
        }
    }

    /// Adds a fact.
    pub(crate) fn fact(mut self, key: &str, value: impl Serialize) -> Outcome {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.facts.insert(key.to_owned(), value);
        self
    }
}

/// `num ÷ den` rounded to 4 decimal places; `None` when `den` is 0.
pub(crate) fn ratio4(num: i64, den: i64) -> Option<f64> {
    (den != 0).then(|| (num as f64 / den as f64 * 10_000.0).round() / 10_000.0)
}

/// `num ÷ den` as a percentage with one decimal ("45.5%"); "—" when `den` is 0.
pub(crate) fn percent_text(num: i64, den: i64) -> String {
    if den == 0 {
        "—".to_owned()
    } else {
        format!("{:.1}%", num as f64 * 100.0 / den as f64)
    }
}

/// Money for messages: "910.00万元".
pub(crate) fn wan(yuan: i64) -> String {
    format!("{}万元", money::wan(yuan))
}

/// The finding for a missing year record.
pub(crate) fn missing_year(year: i32) -> Outcome {
    Outcome::new(
        Status::InsufficientData,
        format!("缺少{year}年度数据：请补录该年度的收入、支出、人员和任务等台账。"),
    )
    .fact("year", year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_round_to_four_places() {
        assert_eq!(ratio4(9_100_000, 20_000_000), Some(0.455));
        assert_eq!(ratio4(2, 3), Some(0.6667));
        assert_eq!(ratio4(1, 0), None);
        assert_eq!(percent_text(1, 3), "33.3%");
        assert_eq!(percent_text(1, 0), "—");
        assert_eq!(wan(9_100_000), "910.00万元");
    }
}
