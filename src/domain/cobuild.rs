//! City–county co-building (市县共建, NT10 三(四): "县级平台，在首轮支持期结束后，按照一定比例和条件纳入市级支持、
//! 协同共建"). Pure: who is eligible (the one definition, used by the rule `COBUILD-ELIGIBLE` and by the
//! admission page alike), the yearly share and the cap it puts on admissions, and the two-person decision.

use chrono::NaiveDate;
use serde::Serialize;

use super::compliance::snapshot::Grade;
use super::platform::{Level, Stage};
use super::validation::FieldErrors;

/// What eligibility looks at, filled by the caller (a compliance snapshot, or the database).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub level: Level,
    pub stage: Stage,
    pub first_support_end: Option<NaiveDate>,
    /// E(L−1)'s grade: the year before the latest complete year.
    pub previous_grade: Option<Grade>,
    /// E(L)'s grade: the latest complete year.
    pub last_grade: Option<Grade>,
}

/// The outcome of [`eligibility`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eligibility {
    /// Not a county platform: co-building does not apply.
    NotCounty,
    /// The first support period has not ended on the day looked at (or no end date is recorded).
    SupportNotEnded {
        first_support_end: Option<NaiveDate>,
    },
    /// A county platform past its first support period: eligible when operating with both grades
    /// excellent or good.
    Assessed {
        support_end: NaiveDate,
        operating: bool,
        grades_ok: bool,
    },
}

impl Eligibility {
    pub fn is_eligible(self) -> bool {
        matches!(
            self,
            Eligibility::Assessed {
                operating: true,
                grades_ok: true,
                ..
            }
        )
    }
}

/// Excellent or good (a missing grade, pass, fail and not evaluated are not).
pub fn good_or_better(grade: Option<Grade>) -> bool {
    matches!(grade, Some(Grade::Excellent | Grade::Good))
}

/// POLICY-RULES.md `COBUILD-ELIGIBLE`: level county and first_support_end ≤ as_of, then eligible = stage
/// operating and E(L), E(L−1) grades both excellent or good.
pub fn eligibility(c: &Candidate, as_of: NaiveDate) -> Eligibility {
    if c.level != Level::County {
        return Eligibility::NotCounty;
    }
    match c.first_support_end {
        Some(end) if end <= as_of => Eligibility::Assessed {
            support_end: end,
            operating: c.stage == Stage::Operating,
            grades_ok: good_or_better(c.previous_grade) && good_or_better(c.last_grade),
        },
        other => Eligibility::SupportNotEnded {
            first_support_end: other,
        },
    }
}

/// The admission round of `year` looks at the day `min(today, year-12-31)`: the rules' `as_of`, so that
/// `L = year − 1` as in POLICY-RULES.md.
pub fn round_as_of(year: i32, today: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 12, 31).map_or(today, |end| end.min(today))
}

/// The two years whose grades count for a round in `year`: `(L−1, L)` with `L = year − 1`.
pub fn graded_years(year: i32) -> (i32, i32) {
    (year - 2, year - 1)
}

// ---------------------------------------------------------------------------------------------------------------
// The yearly share
// ---------------------------------------------------------------------------------------------------------------

/// A year's share: a whole percentage of the eligible county platforms, and/or a maximum number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Share {
    pub pct: Option<u32>,
    pub max_platforms: Option<u32>,
}

impl Share {
    /// How many platforms the year may admit when `pool` county platforms qualify (those still eligible
    /// plus those admitted this year): `floor(pool × pct ÷ 100)`, at most `max_platforms`.
    pub fn cap(self, pool: u32) -> u32 {
        let by_pct = self.pct.map_or(u32::MAX, |pct| {
            u32::try_from(u64::from(pool) * u64::from(pct) / 100).unwrap_or(u32::MAX)
        });
        by_pct.min(self.max_platforms.unwrap_or(u32::MAX))
    }

    /// The share in words: "30%", "最多2家", "30%且最多2家".
    pub fn describe(self) -> String {
        match (self.pct, self.max_platforms) {
            (Some(p), Some(m)) => format!("{p}%且最多{m}家"),
            (Some(p), None) => format!("{p}%"),
            (None, Some(m)) => format!("最多{m}家"),
            (None, None) => "未设定".to_owned(),
        }
    }
}

/// The share form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct ShareFields {
    pub share_pct: String,
    pub max_platforms: String,
    pub reason: String,
}

const REASON_MAX: usize = 500;
const DECISION_REASON_MAX: usize = 2000;

fn whole(
    errors: &mut FieldErrors,
    field: &'static str,
    input: &str,
    range: std::ops::RangeInclusive<u32>,
    message: &'static str,
) -> Option<u32> {
    let input = input.trim();
    if input.is_empty() {
        return None;
    }
    match input.parse::<u32>() {
        Ok(n) if range.contains(&n) => Some(n),
        _ => {
            errors.add(field, message);
            None
        }
    }
}

/// Reads the share form: a whole percentage 1–100 and/or a maximum 1–10000, and a reason.
pub fn parse_share(f: &ShareFields) -> Result<(Share, String), FieldErrors> {
    let mut errors = FieldErrors::default();
    let pct = whole(
        &mut errors,
        "share_pct",
        &f.share_pct,
        1..=100,
        "比例须为1–100之间的整数（百分比）",
    );
    let max_platforms = whole(
        &mut errors,
        "max_platforms",
        &f.max_platforms,
        1..=10000,
        "最多纳入家数须为1–10000之间的整数",
    );
    if errors.is_empty() && pct.is_none() && max_platforms.is_none() {
        errors.add("share_pct", "请填写比例或最多纳入家数（至少一项）");
    }
    let reason = f.reason.trim().to_owned();
    if reason.is_empty() {
        errors.add("reason", "请填写设定理由");
    } else if reason.chars().count() > REASON_MAX {
        errors.add("reason", format!("设定理由不超过{REASON_MAX}字"));
    }
    if errors.is_empty() {
        Ok((Share { pct, max_platforms }, reason))
    } else {
        Err(errors)
    }
}

/// Why one more admission in the year would be refused, if it would: no share configured, or the share
/// already taken by `taken` platforms (admitted, and for a new proposal also the pending ones) out of a
/// pool of `pool` qualifying county platforms.
pub fn share_refusal(year: i32, share: Option<Share>, pool: u32, taken: u32) -> Option<String> {
    let Some(share) = share else {
        return Some(format!(
            "{year}年度尚未设定纳入比例：请先设定本年度的纳入比例或最多纳入家数。"
        ));
    };
    let cap = share.cap(pool);
    (taken >= cap).then(|| {
        format!(
            "{year}年度纳入比例为{}（符合条件的县级平台{pool}家，可纳入{cap}家），已纳入或待审批{taken}家，名额已满，不能再纳入。",
            share.describe()
        )
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Proposal and decision
// ---------------------------------------------------------------------------------------------------------------

code_enum! {
    /// A proposal's status, as stored in `cobuild_proposals.status`.
    ProposalStatus {
        Pending = "pending" / "待审批",
        Approved = "approved" / "已纳入",
        Rejected = "rejected" / "未纳入",
    }
}

/// Reads a proposal's reason.
pub fn parse_proposal_reason(reason: &str) -> Result<String, FieldErrors> {
    let mut errors = FieldErrors::default();
    let reason = reason.trim().to_owned();
    if reason.is_empty() {
        errors.add("reason", "请填写提议理由");
    } else if reason.chars().count() > DECISION_REASON_MAX {
        errors.add("reason", format!("提议理由不超过{DECISION_REASON_MAX}字"));
    }
    if errors.is_empty() {
        Ok(reason)
    } else {
        Err(errors)
    }
}

/// The decision form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct DecisionFields {
    /// `approve` or `reject`.
    pub decision: String,
    pub decision_reason: String,
}

/// Reads the decision form: approve (`true`) or reject, with a reason.
pub fn parse_decision(f: &DecisionFields) -> Result<(bool, String), FieldErrors> {
    let mut errors = FieldErrors::default();
    let approve = match f.decision.trim() {
        "approve" => Some(true),
        "reject" => Some(false),
        _ => {
            errors.add("decision", "请选择同意纳入或不同意");
            None
        }
    };
    let reason = f.decision_reason.trim().to_owned();
    if reason.is_empty() {
        errors.add("decision_reason", "请填写审批意见");
    } else if reason.chars().count() > DECISION_REASON_MAX {
        errors.add(
            "decision_reason",
            format!("审批意见不超过{DECISION_REASON_MAX}字"),
        );
    }
    match approve {
        Some(a) if errors.is_empty() => Ok((a, reason)),
        _ => Err(errors),
    }
}

/// The two-person rule: the decider is never the proposer.
pub fn decider_refusal(proposed_by: i64, decider: i64) -> Option<&'static str> {
    (proposed_by == decider).then_some(
        "您是该提议的提议人，不能审批自己的提议：须由另一名市科技局业务人员审批（双人复核）。",
    )
}

/// Why a platform cannot be proposed now, judged on the day `as_of` of the round.
pub fn proposal_refusal(c: &Candidate, as_of: NaiveDate, year: i32) -> Option<String> {
    let (prev, last) = graded_years(year);
    match eligibility(c, as_of) {
        Eligibility::NotCounty => Some(format!(
            "该平台为{}平台，仅县级平台可纳入市县共建。",
            c.level.label_zh()
        )),
        Eligibility::SupportNotEnded {
            first_support_end: Some(end),
        } => Some(format!("首轮支持期至{end}，尚未结束，暂不能纳入。")),
        Eligibility::SupportNotEnded { .. } => {
            Some("未登记首轮支持期结束日期，暂不能纳入。".to_owned())
        }
        Eligibility::Assessed {
            operating: false, ..
        } => Some(format!(
            "平台当前处于{}阶段，须处于运行中方可纳入。",
            c.stage.label_zh()
        )),
        Eligibility::Assessed {
            grades_ok: false, ..
        } => Some(format!(
            "{prev}、{last}年度绩效评估分别为{}、{}，须均为优秀或良好方可纳入。",
            grade_text(c.previous_grade),
            grade_text(c.last_grade)
        )),
        Eligibility::Assessed { .. } => None,
    }
}

/// A grade in words ("无评估等次" when there is none).
pub fn grade_text(grade: Option<Grade>) -> &'static str {
    grade.map_or("无评估等次", Grade::label_zh)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn county() -> Candidate {
        Candidate {
            level: Level::County,
            stage: Stage::Operating,
            first_support_end: Some(d(2025, 6, 30)),
            previous_grade: Some(Grade::Good),
            last_grade: Some(Grade::Excellent),
        }
    }

    #[test]
    fn a_county_platform_past_its_support_with_two_good_grades_is_eligible() {
        let e = eligibility(&county(), d(2026, 3, 1));
        assert!(e.is_eligible(), "{e:?}");
        assert_eq!(proposal_refusal(&county(), d(2026, 3, 1), 2026), None);
    }

    #[test]
    fn the_support_period_ends_on_or_before_the_day_looked_at() {
        let c = county();
        assert!(eligibility(&c, d(2025, 6, 30)).is_eligible());
        assert_eq!(
            eligibility(&c, d(2025, 6, 29)),
            Eligibility::SupportNotEnded {
                first_support_end: Some(d(2025, 6, 30))
            }
        );
        let none = Candidate {
            first_support_end: None,
            ..c
        };
        assert!(!eligibility(&none, d(2030, 1, 1)).is_eligible());
        assert!(
            proposal_refusal(&none, d(2030, 1, 1), 2030)
                .unwrap()
                .contains("未登记")
        );
    }

    #[test]
    fn only_county_platforms_and_only_operating_ones() {
        for level in [Level::City, Level::CityCounty] {
            let c = Candidate { level, ..county() };
            assert_eq!(eligibility(&c, d(2026, 3, 1)), Eligibility::NotCounty);
        }
        for stage in [Stage::Rectifying, Stage::Registration, Stage::Exited] {
            let c = Candidate { stage, ..county() };
            let e = eligibility(&c, d(2026, 3, 1));
            assert!(!e.is_eligible(), "{stage:?}");
            assert!(
                proposal_refusal(&c, d(2026, 3, 1), 2026)
                    .unwrap()
                    .contains("须处于运行中")
            );
        }
    }

    #[test]
    fn both_grades_must_be_excellent_or_good() {
        for bad in [
            None,
            Some(Grade::Pass),
            Some(Grade::Fail),
            Some(Grade::NotEvaluated),
        ] {
            for c in [
                Candidate {
                    previous_grade: bad,
                    ..county()
                },
                Candidate {
                    last_grade: bad,
                    ..county()
                },
            ] {
                assert!(!eligibility(&c, d(2026, 3, 1)).is_eligible(), "{bad:?}");
            }
        }
        let c = Candidate {
            previous_grade: Some(Grade::Pass),
            ..county()
        };
        assert_eq!(
            proposal_refusal(&c, d(2026, 3, 1), 2026).unwrap(),
            "2024、2025年度绩效评估分别为合格、优秀，须均为优秀或良好方可纳入。"
        );
    }

    #[test]
    fn a_round_looks_at_the_end_of_its_year_at_the_latest() {
        assert_eq!(round_as_of(2025, d(2026, 3, 1)), d(2025, 12, 31));
        assert_eq!(round_as_of(2026, d(2026, 3, 1)), d(2026, 3, 1));
        assert_eq!(graded_years(2026), (2024, 2025));
    }

    #[test]
    fn the_share_caps_admissions_by_percentage_and_number() {
        let pct = Share {
            pct: Some(30),
            max_platforms: None,
        };
        assert_eq!(pct.cap(10), 3);
        assert_eq!(pct.cap(3), 0, "floor: 30% of 3 is less than one platform");
        let both = Share {
            pct: Some(50),
            max_platforms: Some(2),
        };
        assert_eq!(both.cap(10), 2);
        assert_eq!(both.cap(2), 1);
        let max = Share {
            pct: None,
            max_platforms: Some(4),
        };
        assert_eq!(max.cap(1), 4);
        assert_eq!(both.describe(), "50%且最多2家");

        assert_eq!(share_refusal(2026, Some(both), 10, 1), None);
        let refusal = share_refusal(2026, Some(both), 10, 2).unwrap();
        assert!(
            refusal.contains("名额已满") && refusal.contains("可纳入2家"),
            "{refusal}"
        );
        assert!(
            share_refusal(2026, None, 10, 0)
                .unwrap()
                .contains("尚未设定纳入比例")
        );
    }

    #[test]
    fn the_share_form_needs_a_limit_and_a_reason() {
        let f = ShareFields {
            share_pct: "30".into(),
            max_platforms: String::new(),
            reason: " 财政预算 ".into(),
        };
        assert_eq!(
            parse_share(&f).unwrap(),
            (
                Share {
                    pct: Some(30),
                    max_platforms: None
                },
                "财政预算".to_owned()
            )
        );
        let errors = parse_share(&ShareFields::default()).unwrap_err();
        assert_eq!(
            errors.get("share_pct"),
            "请填写比例或最多纳入家数（至少一项）"
        );
        assert_eq!(errors.get("reason"), "请填写设定理由");
        let errors = parse_share(&ShareFields {
            share_pct: "30.5".into(),
            max_platforms: "0".into(),
            reason: "x".into(),
        })
        .unwrap_err();
        assert_eq!(errors.get("share_pct"), "比例须为1–100之间的整数（百分比）");
        assert_eq!(
            errors.get("max_platforms"),
            "最多纳入家数须为1–10000之间的整数"
        );
        assert!(
            parse_share(&ShareFields {
                share_pct: "101".into(),
                reason: "x".into(),
                ..ShareFields::default()
            })
            .is_err()
        );
    }

    #[test]
    fn the_proposer_never_decides() {
        assert!(decider_refusal(7, 7).unwrap().contains("双人复核"));
        assert_eq!(decider_refusal(7, 8), None);
    }

    #[test]
    fn a_decision_is_approve_or_reject_with_a_reason() {
        let ok = DecisionFields {
            decision: "approve".into(),
            decision_reason: "同意".into(),
        };
        assert_eq!(parse_decision(&ok).unwrap(), (true, "同意".to_owned()));
        let errors = parse_decision(&DecisionFields {
            decision: "maybe".into(),
            decision_reason: " ".into(),
        })
        .unwrap_err();
        assert_eq!(errors.get("decision"), "请选择同意纳入或不同意");
        assert_eq!(errors.get("decision_reason"), "请填写审批意见");
        assert!(parse_proposal_reason("  ").is_err());
    }
}
