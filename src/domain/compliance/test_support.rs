//! Test helpers: a healthy operating platform to vary one field at a time.

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::snapshot::{Snapshot, YearRecord, Years};
use super::{Finding, Params, Status, evaluate};
use crate::domain::calendar::parse_iso_date;
use crate::domain::money::Yuan;

/// A date from `YYYY-MM-DD`.
pub(crate) fn d(s: &str) -> NaiveDate {
    parse_iso_date(s).unwrap_or_else(|| panic!("bad test date {s}"))
}

/// An amount.
pub(crate) fn yuan(n: i64) -> Yuan {
    Yuan::new(n).unwrap_or_else(|e| panic!("bad test amount {n}: {e}"))
}

fn year_json(year: i32, last: bool) -> Value {
    json!({
        "year": year,
        "revenue_yuan": {"service_orders": 3_000_000, "tech_contracts": 2_500_000, "achievement_transfer": 1_200_000,
                         "gov_research_projects": 2_000_000, "incubation_returns": 400_000, "fiscal_subsidy": 5_000_000},
        "expenditure_yuan": 8_000_000, "rnd_staff": 42, "major_tasks": 2, "target_completion": 0.92,
        "filing": "approved", "filing_date": format!("{year}-03-10"),
        "midyear_date": format!("{year}-07-12"),
        "evaluation_date": if last { Value::Null } else { json!(format!("{}-01-20", year + 1)) },
        "grade": if last { Value::Null } else { json!("good") }
    })
}

/// The healthy example (`healthy.json`): a city platform operating since 2019, as of 2026-11-21, every rule
/// passing or not applicable.
pub(crate) fn healthy_json() -> Value {
    json!({
        "as_of": "2026-11-21",
        "platform": {
            "code": "NT-2019-003", "name": "示例海工装备技术研究院",
            "category": "industrial_transformation", "level": "city", "stage": "operating",
            "operating_since": "2019-09-01", "construction_end": "2024-06-30", "first_support_end": null,
            "charter": "approved",
            "decision_bodies": [{"kind": "council", "members": 7, "has_chair": true}],
            "co_building_agreement": true, "construction_plan": true,
            "operating_modes": ["operating_company", "joint_innovation_center"],
            "operating_company": {"uscc": "91320600MA1M9QX7K8", "mgmt_cash_controlling": true},
            "advisor_assigned": true, "last_advisor_log": "2026-10-15",
            "responsible_staff_assigned": true,
            "checklist": {"items": 6, "overdue": 0},
            "acceptance": "passed",
            "open_rectification_case": false,
            "integrity_violations": [],
            "instruments": [{"value_yuan": 1_500_000, "open_shared": true}, {"value_yuan": 80_000, "open_shared": false}],
            "years": [year_json(2024, false), year_json(2025, false), year_json(2026, true)]
        }
    })
}

/// The healthy platform, parsed.
pub(crate) fn healthy() -> Snapshot {
    Snapshot::from_value(&healthy_json()).unwrap_or_else(|e| panic!("healthy snapshot: {e}"))
}

/// The healthy platform as of another date.
pub(crate) fn healthy_as_of(as_of: &str) -> Snapshot {
    let mut s = healthy();
    s.as_of = d(as_of);
    s
}

/// Changes one year's record.
pub(crate) fn edit_year(s: &mut Snapshot, year: i32, f: impl FnOnce(&mut YearRecord)) {
    let mut records: Vec<YearRecord> = s.platform.years.iter().copied().collect();
    let record = records
        .iter_mut()
        .find(|r| r.year == year)
        .unwrap_or_else(|| panic!("no year {year}"));
    f(record);
    s.platform.years = Years::new(records).unwrap_or_else(|e| panic!("{e}"));
}

/// Removes one year's record.
pub(crate) fn remove_year(s: &mut Snapshot, year: i32) {
    let records: Vec<YearRecord> = s
        .platform
        .years
        .iter()
        .copied()
        .filter(|r| r.year != year)
        .collect();
    s.platform.years = Years::new(records).unwrap_or_else(|e| panic!("{e}"));
}

/// Sets a parameter override on the snapshot.
pub(crate) fn set_param(s: &mut Snapshot, key: &str, value: Value) {
    s.params
        .set_json(key, &value)
        .unwrap_or_else(|e| panic!("{e}"));
}

/// The finding of one rule, evaluated with the snapshot's own params.
pub(crate) fn finding(s: &Snapshot, rule: &str) -> Finding {
    evaluate(s, &s.params)
        .into_iter()
        .find(|f| f.rule == rule)
        .unwrap_or_else(|| panic!("no finding for {rule}"))
}

/// The status of one rule.
pub(crate) fn status(s: &Snapshot, rule: &str) -> Status {
    finding(s, rule).status
}

/// One fact of one rule's finding.
pub(crate) fn fact(s: &Snapshot, rule: &str, key: &str) -> Value {
    finding(s, rule)
        .facts
        .get(key)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Evaluates with explicit params (ignoring the snapshot's own).
pub(crate) fn statuses_with(s: &Snapshot, params: &Params) -> Vec<(&'static str, Status)> {
    evaluate(s, params)
        .into_iter()
        .map(|f| (f.rule, f.status))
        .collect()
}
