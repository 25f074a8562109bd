//! The compliance engine: policy clauses as rules over a platform snapshot (POLICY-RULES.md).
//!
//! [`evaluate`] is a pure function of a [`Snapshot`] (which carries `as_of`) and [`Params`]; it yields one
//! [`Finding`] per rule of the catalogue ([`rules`]), in catalogue order. [`check_json`] is the `kechuang check`
//! contract: JSON in, [`CheckOutput`] out, or an [`InputError`] naming the offending field.

pub mod catalogue;
pub mod citation;
mod error;
pub mod facts;
pub(crate) mod json;
pub mod params;
mod report;
mod rules;
pub mod snapshot;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Map, Value};

pub use catalogue::{Phase, RuleDef, Scope, rule, rules};
pub use error::InputError;
pub use params::{Param, ParamDef, ParamKey, ParamValue, Params};
pub use report::render_text;
pub use snapshot::{Platform, Snapshot};

use rules::Ctx;

code_enum! {
    /// The result of one rule for one platform.
    Status {
        Pass = "pass" / "通过",
        Fail = "fail" / "不通过",
        Warn = "warn" / "预警",
        Info = "info" / "提示",
        NotApplicable = "not_applicable" / "不适用",
        InsufficientData = "insufficient_data" / "数据不足",
    }
}

/// One rule's finding for one platform.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// Rule ID.
    pub rule: &'static str,
    pub status: Status,
    /// Clause citation.
    pub clause: &'static str,
    /// What is wrong and what fixes it (or why it passes / does not apply), in Chinese.
    pub message: String,
    /// The facts the rule used.
    pub facts: Map<String, Value>,
}

/// Evaluates every rule, in catalogue order, for the snapshot's platform as of the snapshot's date.
///
/// Uses `params` only (not `snapshot.params`): callers layer database and snapshot overrides as they need.
pub fn evaluate(snapshot: &Snapshot, params: &Params) -> Vec<Finding> {
    let ctx = Ctx::new(snapshot, params);
    rules()
        .iter()
        .map(|rule| {
            let outcome = rule.evaluate(&ctx);
            Finding {
                rule: rule.id,
                status: outcome.status,
                clause: rule.clause,
                message: outcome.message,
                facts: outcome.facts,
            }
        })
        .collect()
}

/// The result of `kechuang check`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckOutput {
    /// Platform code.
    pub platform: String,
    pub as_of: NaiveDate,
    pub findings: Vec<Finding>,
}

/// Parses a snapshot and evaluates it with the overrides it carries in `params`.
pub fn check_json(input: &str) -> Result<CheckOutput, InputError> {
    let snapshot = Snapshot::from_json_str(input)?;
    Ok(check(&snapshot))
}

/// Evaluates a parsed snapshot with its own parameter overrides.
pub fn check(snapshot: &Snapshot) -> CheckOutput {
    CheckOutput {
        platform: snapshot.platform.code.clone(),
        as_of: snapshot.as_of,
        findings: evaluate(snapshot, &snapshot.params),
    }
}
