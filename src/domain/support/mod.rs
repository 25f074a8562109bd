//! Support programmes (SUPPORT-RULES.md): which support a platform may claim, and up to how much.
//!
//! [`evaluate`] is a pure function of a [`Snapshot`] (its `as_of`, platform, `platform.support` and enabled
//! `packs`) and [`Params`]: one [`ProgrammeResult`] per programme of every enabled pack, in catalogue order
//! ([`programmes`]). [`support_json`] is the `kechuang support` contract. Programme parameters
//! (`PROGRAMME-ID.name`) live in the same [`Params`] namespace as rule parameters.

mod catalogue;
pub mod claims;
mod input;
pub mod packs;
pub mod records;
#[cfg(test)]
mod tests;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::compliance::snapshot::Grade;
use crate::domain::compliance::{InputError, Params, Snapshot};
use crate::domain::money::wan;
use crate::domain::platform::Stage;

pub use catalogue::{ProgrammeDef, clause_zh, programme, programmes};
pub use input::{Pack, Recognition, Support};
pub(crate) use input::{parse_packs, parse_support};

code_enum! {
    /// Whether a platform may claim a programme.
    SupportStatus {
        Eligible = "eligible" / "可申请",
        NotEligible = "not_eligible" / "不符合条件",
        InsufficientData = "insufficient_data" / "数据不足",
    }
}

/// One programme's result for one platform.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProgrammeResult {
    /// Programme ID (`JS-TECH-TRANSFER`).
    pub id: &'static str,
    pub pack: Pack,
    /// Clause citation.
    pub clause: &'static str,
    pub status: SupportStatus,
    /// Whole yuan (rounded down), when the policy states an amount or a ceiling.
    pub amount_yuan: Option<i64>,
    /// The amount is a ceiling (最高…): the grant is decided on review.
    pub up_to: bool,
    /// Why, in Chinese.
    pub message: String,
    /// The facts used.
    pub facts: Map<String, Value>,
}

impl ProgrammeResult {
    /// The programme's catalogue entry.
    pub fn def(&self) -> &'static ProgrammeDef {
        programme(self.id).expect("results come from the catalogue")
    }
}

/// The result of `kechuang support`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SupportOutput {
    /// Platform code.
    pub platform: String,
    pub as_of: NaiveDate,
    pub programmes: Vec<ProgrammeResult>,
    /// Sum of `amount_yuan` over eligible programmes (ceilings included).
    pub total_yuan: i64,
}

/// What one programme's logic concluded.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Outcome {
    status: SupportStatus,
    amount: Option<i64>,
    up_to: bool,
    message: String,
    facts: Map<String, Value>,
}

impl Outcome {
    fn eligible(amount: Option<i64>, up_to: bool, message: impl Into<String>) -> Outcome {
        Outcome {
            status: SupportStatus::Eligible,
            amount,
            up_to: up_to && amount.is_some(),
            message: message.into(),
            facts: Map::new(),
        }
    }

    fn not_eligible(message: impl Into<String>) -> Outcome {
        Outcome {
            status: SupportStatus::NotEligible,
            amount: None,
            up_to: false,
            message: message.into(),
            facts: Map::new(),
        }
    }

    fn insufficient(message: impl Into<String>) -> Outcome {
        Outcome {
            status: SupportStatus::InsufficientData,
            amount: None,
            up_to: false,
            message: message.into(),
            facts: Map::new(),
        }
    }

    fn fact(mut self, key: &str, value: impl Serialize) -> Outcome {
        self.facts.insert(
            key.to_owned(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }
}

/// What a programme's logic reads.
pub(crate) struct Ctx<'a> {
    pub snapshot: &'a Snapshot,
    pub params: &'a Params,
    pub support: &'a Support,
    /// L: the year before `as_of`'s.
    pub year_l: i32,
}

impl Ctx<'_> {
    /// E(L)'s grade, `None` when there is no entry for L, no grade, or `not_evaluated`.
    fn grade_l(&self) -> Option<Grade> {
        self.snapshot
            .platform
            .years
            .get(self.year_l)
            .and_then(|y| y.grade)
            .filter(|g| *g != Grade::NotEvaluated)
    }
}

/// ⌊percent% × base⌋ in whole yuan (exact: base ≤ 10^15, percent ≤ 100).
fn percent_of(percent: u32, base: i64) -> i64 {
    i64::try_from(i128::from(base) * i128::from(percent) / 100).unwrap_or(i64::MAX)
}

/// An amount in 万元 for a message ("90.00万元").
fn wan_zh(yuan: i64) -> String {
    format!("{}万元", wan(yuan))
}

/// Evaluates every programme of the snapshot's enabled packs, in catalogue order.
///
/// Uses `params` only (not `snapshot.params`): callers layer database and snapshot overrides as they need.
pub fn evaluate(snapshot: &Snapshot, params: &Params) -> SupportOutput {
    let ctx = Ctx {
        snapshot,
        params,
        support: &snapshot.platform.support,
        year_l: snapshot.as_of.year() - 1,
    };
    let stage = snapshot.platform.stage;
    let results: Vec<ProgrammeResult> = programmes()
        .iter()
        .filter(|p| snapshot.packs.contains(&p.pack))
        .map(|p| {
            let outcome = if stage.is_terminal() || stage == Stage::Registration {
                let why = if stage == Stage::Registration {
                    "平台尚在设立登记阶段，支持政策以认定为前提，暂不能申请。".to_owned()
                } else {
                    format!("平台{}，不再享受支持政策。", stage.label_zh())
                };
                Outcome::not_eligible(why).fact("stage", stage)
            } else {
                (p.check)(&ctx)
            };
            let message = if p.pack.is_draft() {
                format!("【征求意见稿】{}", outcome.message)
            } else {
                outcome.message
            };
            ProgrammeResult {
                id: p.id,
                pack: p.pack,
                clause: p.clause,
                status: outcome.status,
                amount_yuan: outcome.amount,
                up_to: outcome.up_to,
                message,
                facts: outcome.facts,
            }
        })
        .collect();
    let total_yuan = results
        .iter()
        .filter(|r| r.status == SupportStatus::Eligible)
        .filter_map(|r| r.amount_yuan)
        .fold(0i64, i64::saturating_add);
    SupportOutput {
        platform: snapshot.platform.code.clone(),
        as_of: snapshot.as_of,
        programmes: results,
        total_yuan,
    }
}

/// Parses a snapshot and evaluates its support programmes with the overrides it carries in `params`.
pub fn support_json(input: &str) -> Result<SupportOutput, InputError> {
    let snapshot = Snapshot::from_json_str(input)?;
    Ok(evaluate(&snapshot, &snapshot.params))
}

/// The output as a plain-text report for people.
pub fn render_text(output: &SupportOutput) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "平台 {}  截至 {}  支持政策测算",
        output.platform, output.as_of
    );
    for r in &output.programmes {
        let amount = match r.amount_yuan {
            Some(a) if r.up_to => format!("最高{}", wan_zh(a)),
            Some(a) => wan_zh(a),
            None => "—".to_owned(),
        };
        let _ = writeln!(
            out,
            "{:<22} {:<6} {:<8} {}  [{}]",
            r.id,
            r.pack.as_str(),
            r.status.label_zh(),
            amount,
            r.clause
        );
        let _ = writeln!(out, "    {}", r.message);
    }
    let _ = writeln!(
        out,
        "合计（可申请项目，含最高限额）：{}",
        wan_zh(output.total_yuan)
    );
    out
}
