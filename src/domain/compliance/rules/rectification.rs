//! Rectification triggers (NT10 三(一)): a `warn` puts the platform on staff's at-risk list for an assessment
//! (经充分评估后); it does not move the platform by itself.

use super::{Ctx, Outcome, missing_year, percent_text, ratio4, wan};
use crate::domain::compliance::Status;
use crate::domain::compliance::catalogue::{DECLINE_PERCENT, PROGRESS_MIN_COMPLETION};
use crate::domain::compliance::snapshot::{Grade, YearRecord};
use crate::domain::platform::Stage;

const ASSESS: &str = "请列入风险关注名单，经充分评估后研究退、转、并、留。";

/// Both `E(L−1)` and `E(L)`, or the finding for the first one missing.
fn two_years<'a>(c: &Ctx<'a>) -> Result<(&'a YearRecord, &'a YearRecord), Outcome> {
    let prev = c
        .record(c.last - 1)
        .ok_or_else(|| missing_year(c.last - 1))?;
    let last = c.record(c.last).ok_or_else(|| missing_year(c.last))?;
    Ok((prev, last))
}

/// RECT-PROGRESS: last year's target completion is at least [0.6].
pub(crate) fn progress(c: &Ctx<'_>) -> Outcome {
    let Some(record) = c.record(c.last) else {
        return missing_year(c.last);
    };
    let min = c.params.get(&PROGRESS_MIN_COMPLETION).0;
    let Some(done) = record.target_completion else {
        return Outcome::new(
            Status::InsufficientData,
            format!(
                "{}年度无目标完成度（未备案年度目标或未填报实绩）：请补录年初备案目标和年度实绩。",
                c.last
            ),
        )
        .fact("year", c.last);
    };
    let outcome = if done < min {
        Outcome::new(
            Status::Warn,
            format!(
                "{}年度目标完成度为{:.1}%，低于{:.1}%，属“建设进度未达预期”情形：{ASSESS}",
                c.last,
                done * 100.0,
                min * 100.0
            ),
        )
    } else {
        Outcome::new(
            Status::Pass,
            format!("{}年度目标完成度为{:.1}%。", c.last, done * 100.0),
        )
    };
    outcome
        .fact("year", c.last)
        .fact("target_completion", done)
        .fact("min_target_completion", min)
}

/// Income from technology contracts and achievement transfer.
fn transfer_income(r: &YearRecord) -> i64 {
    r.revenue.tech_contracts.get() + r.revenue.achievement_transfer.get()
}

/// RECT-TRANSFER: technology contracts and achievement transfer are not both zero in both of the last two years.
pub(crate) fn transfer(c: &Ctx<'_>) -> Outcome {
    let (prev, last) = match two_years(c) {
        Ok(pair) => pair,
        Err(missing) => return missing,
    };
    let (prev_income, last_income) = (transfer_income(prev), transfer_income(last));
    let outcome = if prev_income == 0 && last_income == 0 {
        Outcome::new(
            Status::Warn,
            format!(
                "{}、{}两个年度技术合同和技术成果转化收入均为0，属“成果转化机制不畅”情形：{ASSESS}",
                prev.year, last.year
            ),
        )
    } else {
        Outcome::new(
            Status::Pass,
            format!(
                "{}、{}年度技术合同和技术成果转化收入分别为{}、{}。",
                prev.year,
                last.year,
                wan(prev_income),
                wan(last_income)
            ),
        )
    };
    outcome
        .fact("year", c.last)
        .fact("previous_transfer_income_yuan", prev_income)
        .fact("transfer_income_yuan", last_income)
}

/// Whether `now` is at least `percent`% below `before` (only when `before` > 0).
fn fell_by(before: i64, now: i64, percent: u32) -> bool {
    before > 0 && (before - now) * 100 >= i64::from(percent) * before
}

/// Relative decline from `before` to `now` (4 dp), when `before` > 0.
fn decline_ratio(before: i64, now: i64) -> Option<f64> {
    ratio4(before - now, before)
}

/// RECT-DECLINE: neither self-generated income nor R&D staff fell by [30]% or more from L−1 to L.
pub(crate) fn decline(c: &Ctx<'_>) -> Outcome {
    let (prev, last) = match two_years(c) {
        Ok(pair) => pair,
        Err(missing) => return missing,
    };
    let percent = c.params.get(&DECLINE_PERCENT).0;
    let (income_before, income_now) =
        (prev.revenue.self_generated(), last.revenue.self_generated());
    let (staff_before, staff_now) = (i64::from(prev.rnd_staff), i64::from(last.rnd_staff));

    let mut falls = Vec::new();
    if fell_by(income_before, income_now, percent) {
        falls.push(format!(
            "自主收入由{}降至{}（下降{}）",
            wan(income_before),
            wan(income_now),
            percent_text(income_before - income_now, income_before)
        ));
    }
    if fell_by(staff_before, staff_now, percent) {
        falls.push(format!(
            "研发人员由{staff_before}人降至{staff_now}人（下降{}）",
            percent_text(staff_before - staff_now, staff_before)
        ));
    }
    let outcome = if falls.is_empty() {
        Outcome::new(
            Status::Pass,
            format!(
                "{}年度自主收入和研发人员较{}年度均未下降{percent}%及以上。",
                last.year, prev.year
            ),
        )
    } else {
        Outcome::new(
            Status::Warn,
            format!(
                "{}年度较{}年度{}，降幅达到{percent}%及以上，属“主要职能弱化萎缩”情形：{ASSESS}",
                last.year,
                prev.year,
                falls.join("，")
            ),
        )
    };
    outcome
        .fact("year", c.last)
        .fact("previous_self_income_yuan", income_before)
        .fact("self_income_yuan", income_now)
        .fact(
            "self_income_decline",
            decline_ratio(income_before, income_now),
        )
        .fact("previous_rnd_staff", staff_before)
        .fact("rnd_staff", staff_now)
        .fact("rnd_staff_decline", decline_ratio(staff_before, staff_now))
        .fact("decline_percent", percent)
}

/// RECT-GRADE: a `fail` grade for L on a platform still in stage `operating` without an open case must be
/// rectified.
pub(crate) fn grade(c: &Ctx<'_>) -> Outcome {
    let p = c.platform;
    let grade = c
        .record(c.last)
        .and_then(|r| r.grade)
        .filter(|g| *g != Grade::NotEvaluated);
    let Some(grade) = grade else {
        return Outcome::new(
            Status::NotApplicable,
            format!("{}年度尚无绩效评估等次。", c.last),
        )
        .fact("year", c.last);
    };
    let handled = p.open_rectification_case || p.stage != Stage::Operating;
    let outcome = match grade {
        Grade::Fail if !handled => Outcome::new(
            Status::Fail,
            format!(
                "{}年度绩效评估为不合格，尚未立案整改：按本市绩效评估办法的结果运用，评为不合格的平台立案整改，请立案并明确整改措施、期限和责任人。",
                c.last
            ),
        ),
        Grade::Fail => Outcome::new(
            Status::Pass,
            format!("{}年度绩效评估为不合格，已进入整改程序。", c.last),
        ),
        other => Outcome::new(
            Status::Pass,
            format!("{}年度绩效评估等次为{}。", c.last, other.label_zh()),
        ),
    };
    outcome
        .fact("year", c.last)
        .fact("grade", grade)
        .fact("open_rectification_case", p.open_rectification_case)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::domain::compliance::Status;
    use crate::domain::compliance::snapshot::{Grade, Revenue};
    use crate::domain::compliance::test_support::*;
    use crate::domain::platform::Stage;

    fn income(n: i64) -> Revenue {
        Revenue {
            service_orders: yuan(n),
            ..Revenue::default()
        }
    }

    #[test]
    fn rect_triggers_apply_to_stage_operating_only() {
        let mut s = healthy();
        s.platform.stage = Stage::Rectifying;
        for rule in ["RECT-PROGRESS", "RECT-TRANSFER", "RECT-DECLINE"] {
            assert_eq!(status(&s, rule), Status::NotApplicable, "{rule}");
        }
    }

    #[test]
    fn progress_at_threshold_passes_below_warns() {
        let mut s = healthy();
        edit_year(&mut s, 2025, |r| r.target_completion = Some(0.6));
        assert_eq!(status(&s, "RECT-PROGRESS"), Status::Pass);
        edit_year(&mut s, 2025, |r| r.target_completion = Some(0.5999));
        let f = finding(&s, "RECT-PROGRESS");
        assert_eq!(f.status, Status::Warn);
        assert_eq!(f.facts["min_target_completion"], json!(0.6));
        set_param(&mut s, "RECT-PROGRESS.min_target_completion", json!(0.5));
        assert_eq!(status(&s, "RECT-PROGRESS"), Status::Pass);
    }

    #[test]
    fn progress_needs_a_completion_figure() {
        let mut s = healthy();
        edit_year(&mut s, 2025, |r| r.target_completion = None);
        assert_eq!(status(&s, "RECT-PROGRESS"), Status::InsufficientData);
        remove_year(&mut s, 2025);
        assert_eq!(status(&s, "RECT-PROGRESS"), Status::InsufficientData);
    }

    #[test]
    fn transfer_warns_when_both_years_have_none() {
        let mut s = healthy();
        for year in [2024, 2025] {
            edit_year(&mut s, year, |r| r.revenue = income(5_000_000));
        }
        assert_eq!(status(&s, "RECT-TRANSFER"), Status::Warn);
        edit_year(&mut s, 2024, |r| r.revenue.achievement_transfer = yuan(1));
        assert_eq!(status(&s, "RECT-TRANSFER"), Status::Pass);
        remove_year(&mut s, 2024);
        assert_eq!(status(&s, "RECT-TRANSFER"), Status::InsufficientData);
    }

    #[test]
    fn decline_of_exactly_30_percent_warns() {
        let mut s = healthy();
        edit_year(&mut s, 2024, |r| r.revenue = income(1_000_000));
        edit_year(&mut s, 2025, |r| r.revenue = income(700_000));
        let f = finding(&s, "RECT-DECLINE");
        assert_eq!(f.status, Status::Warn);
        assert_eq!(f.facts["self_income_decline"], json!(0.3));
        assert!(f.message.contains("自主收入"));
        edit_year(&mut s, 2025, |r| r.revenue = income(700_001));
        assert_eq!(status(&s, "RECT-DECLINE"), Status::Pass);
    }

    #[test]
    fn decline_in_rnd_staff_warns() {
        let mut s = healthy();
        edit_year(&mut s, 2024, |r| r.rnd_staff = 40);
        edit_year(&mut s, 2025, |r| r.rnd_staff = 28);
        let f = finding(&s, "RECT-DECLINE");
        assert_eq!(f.status, Status::Warn);
        assert!(f.message.contains("研发人员由40人降至28人"));
        edit_year(&mut s, 2025, |r| r.rnd_staff = 29);
        assert_eq!(status(&s, "RECT-DECLINE"), Status::Pass);
        set_param(&mut s, "RECT-DECLINE.decline_percent", json!(25));
        assert_eq!(status(&s, "RECT-DECLINE"), Status::Warn);
    }

    #[test]
    fn decline_ignores_a_zero_base() {
        let mut s = healthy();
        edit_year(&mut s, 2024, |r| {
            r.revenue = income(0);
            r.rnd_staff = 0;
        });
        edit_year(&mut s, 2025, |r| {
            r.revenue = income(0);
            r.rnd_staff = 0;
        });
        let f = finding(&s, "RECT-DECLINE");
        assert_eq!(f.status, Status::Pass);
        assert_eq!(f.facts["self_income_decline"], json!(null));
        remove_year(&mut s, 2025);
        assert_eq!(status(&s, "RECT-DECLINE"), Status::InsufficientData);
    }

    #[test]
    fn failed_grade_without_case_fails() {
        let mut s = healthy();
        edit_year(&mut s, 2025, |r| r.grade = Some(Grade::Fail));
        let f = finding(&s, "RECT-GRADE");
        assert_eq!(f.status, Status::Fail);
        assert_eq!(f.facts["grade"], json!("fail"));
        assert!(f.message.contains("立案整改"));
    }

    #[test]
    fn failed_grade_with_open_case_or_rectifying_passes() {
        let mut s = healthy();
        edit_year(&mut s, 2025, |r| r.grade = Some(Grade::Fail));
        s.platform.open_rectification_case = true;
        assert_eq!(status(&s, "RECT-GRADE"), Status::Pass);
        s.platform.open_rectification_case = false;
        s.platform.stage = Stage::Rectifying;
        assert_eq!(status(&s, "RECT-GRADE"), Status::Pass);
        s.platform.open_rectification_case = true;
        assert_eq!(status(&s, "RECT-GRADE"), Status::Pass);
        s.platform.stage = Stage::Registration;
        assert_eq!(status(&s, "RECT-GRADE"), Status::NotApplicable);
    }

    #[test]
    fn grade_missing_is_not_applicable_others_pass() {
        let mut s = healthy();
        assert_eq!(status(&s, "RECT-GRADE"), Status::Pass);
        edit_year(&mut s, 2025, |r| r.grade = Some(Grade::Pass));
        assert_eq!(status(&s, "RECT-GRADE"), Status::Pass);
        edit_year(&mut s, 2025, |r| r.grade = None);
        assert_eq!(status(&s, "RECT-GRADE"), Status::NotApplicable);
        edit_year(&mut s, 2025, |r| r.grade = Some(Grade::NotEvaluated));
        assert_eq!(status(&s, "RECT-GRADE"), Status::NotApplicable);
        remove_year(&mut s, 2025);
        assert_eq!(status(&s, "RECT-GRADE"), Status::NotApplicable);
    }
}
