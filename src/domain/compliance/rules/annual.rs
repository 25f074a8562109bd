//! Annual cycle (NT10 四(二)): year-start filing, mid-year review, year-end evaluation.

use chrono::NaiveDate;

use super::{Ctx, Outcome};
use crate::domain::compliance::Status;
use crate::domain::compliance::catalogue::{
    BAN_MONTHS, FILING_DEADLINE, MIDYEAR_DEADLINE, YEAREND_DEADLINE,
};
use crate::domain::compliance::snapshot::FilingStatus;
use crate::domain::operation::active_ban;

/// A dated step of the annual cycle, for messages.
struct Step<'a> {
    /// "2026年度年初备案".
    what: String,
    /// "提交" / "完成".
    verb: &'a str,
    /// What to do when it is overdue.
    fix: &'a str,
}

/// Pass when done by the deadline (the day itself counts), warn when done late, info while still due, fail when
/// overdue and not done.
fn against_deadline(
    as_of: NaiveDate,
    done: Option<NaiveDate>,
    deadline: NaiveDate,
    step: &Step<'_>,
) -> Outcome {
    let Step { what, verb, fix } = step;
    match done {
        Some(day) if day <= deadline => Outcome::new(
            Status::Pass,
            format!("{what}已于{day}{verb}（截止日{deadline}）。"),
        ),
        Some(day) => Outcome::new(
            Status::Warn,
            format!(
                "{what}于{day}{verb}，晚于截止日{deadline}{}天：请在年度评估中说明逾期原因，今后按期{verb}。",
                (day - deadline).num_days()
            ),
        ),
        None if as_of <= deadline => Outcome::new(
            Status::Info,
            format!(
                "{what}尚未{verb}，截止日为{deadline}（还有{}天）。",
                (deadline - as_of).num_days()
            ),
        ),
        None => Outcome::new(
            Status::Fail,
            format!(
                "{what}逾期未{verb}（截止日{deadline}，已逾期{}天）：{fix}",
                (as_of - deadline).num_days()
            ),
        ),
    }
}

/// The `not_applicable` outcome for a platform that started operating after `cutoff`.
fn started_after(c: &Ctx<'_>, cutoff: NaiveDate, what: &str) -> Option<Outcome> {
    let since = c.platform.operating_since.filter(|since| *since > cutoff)?;
    Some(
        Outcome::new(
            Status::NotApplicable,
            format!("平台于{since}开始运行，晚于{cutoff}，不要求{what}。"),
        )
        .fact("operating_since", since),
    )
}

/// EVAL-FILING: this year's filing is submitted by Y-[03-31].
pub(crate) fn filing(c: &Ctx<'_>) -> Outcome {
    let deadline = c.params.get(&FILING_DEADLINE).in_year(c.year);
    let what = format!("{}年度年初备案", c.year);
    if let Some(na) = started_after(c, deadline, &what) {
        return na;
    }
    let filing = c.record(c.year).map(|r| r.filing);
    let step = Step {
        what,
        verb: "提交",
        fix: "请尽快提交年度目标、收入计划和支出预算。",
    };
    against_deadline(c.as_of, filing.and_then(|f| f.date()), deadline, &step)
        .fact("year", c.year)
        .fact("deadline", deadline)
        .fact("filing", filing.map_or(FilingStatus::None, |f| f.status()))
        .fact("filing_date", filing.and_then(|f| f.date()))
}

/// EVAL-MIDYEAR: this year's mid-year review is held by Y-[07-31].
pub(crate) fn midyear(c: &Ctx<'_>) -> Outcome {
    let deadline = c.params.get(&MIDYEAR_DEADLINE).in_year(c.year);
    let what = format!("{}年度半年过堂", c.year);
    if let Some(na) = started_after(c, deadline, &what) {
        return na;
    }
    // `midyear_date` is the first submission of the operator's mid-year report, not the review meeting.
    let submitted = c.record(c.year).and_then(|r| r.midyear_date);
    let step = Step {
        what: format!("{what}报告"),
        verb: "提交",
        fix: "请尽快提交上半年目标完成情况报告，以便组织半年过堂。",
    };
    against_deadline(c.as_of, submitted, deadline, &step)
        .fact("year", c.year)
        .fact("deadline", deadline)
        .fact("midyear_date", submitted)
}

/// EVAL-YEAREND: last year's self-evaluation is submitted by D = Y-[01-31]; not applicable while an integrity ban
/// is in force on D (JY 新型研发机构 四(四): a barred platform does not take part in the evaluation).
pub(crate) fn yearend(c: &Ctx<'_>) -> Outcome {
    let deadline = c.params.get(&YEAREND_DEADLINE).in_year(c.year);
    let what = format!("{}年度年底评估", c.last);
    let year_end = NaiveDate::from_ymd_opt(c.last, 12, 31).unwrap_or(NaiveDate::MIN);
    if let Some(na) = started_after(c, year_end, &what) {
        return na;
    }
    let serious = c
        .platform
        .integrity_violations
        .iter()
        .filter(|v| v.serious)
        .map(|v| v.date);
    if let Some(ban) = active_ban(serious, deadline, c.params.get(&BAN_MONTHS)) {
        let (date, until) = (ban.violation_date, ban.until);
        return Outcome::new(
            Status::NotApplicable,
            format!(
                "{date}有严重科研失信行为，截止日{deadline}处于限制期内（至{until}解除）：按江阴市行动计划 新型研发机构 四(四)，限制期内不参与绩效评价，不要求{what}。"
            ),
        )
        .fact("year", c.last)
        .fact("deadline", deadline)
        .fact("violation_date", date)
        .fact("banned_until", until);
    }
    // `evaluation_date` is the first submission of the year's self-evaluation.
    let evaluated = c.record(c.last).and_then(|r| r.evaluation_date);
    let step = Step {
        what: format!("{what}自评材料"),
        verb: "提交",
        fix: "请尽快提交年度自评材料，以便完成初审、专家评审和公示。",
    };
    against_deadline(c.as_of, evaluated, deadline, &step)
        .fact("year", c.last)
        .fact("deadline", deadline)
        .fact("evaluation_date", evaluated)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::domain::compliance::Status;
    use crate::domain::compliance::snapshot::{Filing, IntegrityViolation};
    use crate::domain::compliance::test_support::*;

    #[test]
    fn filing_on_the_deadline_passes_the_day_after_warns() {
        let mut s = healthy();
        edit_year(&mut s, 2026, |r| {
            r.filing = Filing::Submitted(d("2026-03-31"))
        });
        let f = finding(&s, "EVAL-FILING");
        assert_eq!(f.status, Status::Pass);
        assert_eq!(f.facts["deadline"], json!("2026-03-31"));
        assert_eq!(f.facts["filing"], json!("submitted"));
        edit_year(&mut s, 2026, |r| {
            r.filing = Filing::Approved(d("2026-04-01"))
        });
        let f = finding(&s, "EVAL-FILING");
        assert_eq!(f.status, Status::Warn);
        assert!(f.message.contains("1天"));
    }

    #[test]
    fn missing_filing_is_info_until_the_deadline_then_fails() {
        let mut s = healthy_as_of("2026-03-31");
        edit_year(&mut s, 2026, |r| r.filing = Filing::None);
        assert_eq!(status(&s, "EVAL-FILING"), Status::Info);
        s.as_of = d("2026-04-01");
        assert_eq!(status(&s, "EVAL-FILING"), Status::Fail);
        remove_year(&mut s, 2026);
        assert_eq!(status(&s, "EVAL-FILING"), Status::Fail);
        s.as_of = d("2026-01-05");
        assert_eq!(status(&s, "EVAL-FILING"), Status::Info);
    }

    #[test]
    fn filing_not_required_when_operation_started_after_the_deadline() {
        let mut s = healthy();
        remove_year(&mut s, 2026);
        s.platform.operating_since = Some(d("2026-04-01"));
        assert_eq!(status(&s, "EVAL-FILING"), Status::NotApplicable);
        s.platform.operating_since = Some(d("2026-03-31"));
        assert_eq!(status(&s, "EVAL-FILING"), Status::Fail);
        s.platform.operating_since = None;
        assert_eq!(status(&s, "EVAL-FILING"), Status::Fail);
    }

    #[test]
    fn filing_deadline_is_a_parameter() {
        let mut s = healthy();
        edit_year(&mut s, 2026, |r| {
            r.filing = Filing::Submitted(d("2026-04-15"))
        });
        assert_eq!(status(&s, "EVAL-FILING"), Status::Warn);
        set_param(&mut s, "EVAL-FILING.deadline", json!("04-15"));
        assert_eq!(status(&s, "EVAL-FILING"), Status::Pass);
    }

    #[test]
    fn midyear_boundaries() {
        let mut s = healthy();
        edit_year(&mut s, 2026, |r| r.midyear_date = Some(d("2026-07-31")));
        assert_eq!(status(&s, "EVAL-MIDYEAR"), Status::Pass);
        edit_year(&mut s, 2026, |r| r.midyear_date = Some(d("2026-08-01")));
        assert_eq!(status(&s, "EVAL-MIDYEAR"), Status::Warn);
        edit_year(&mut s, 2026, |r| r.midyear_date = None);
        s.as_of = d("2026-07-31");
        let f = finding(&s, "EVAL-MIDYEAR");
        assert_eq!(f.status, Status::Info);
        assert!(f.message.contains("还有0天"));
        s.as_of = d("2026-08-01");
        assert_eq!(status(&s, "EVAL-MIDYEAR"), Status::Fail);
        s.platform.operating_since = Some(d("2026-08-01"));
        assert_eq!(status(&s, "EVAL-MIDYEAR"), Status::NotApplicable);
        s.platform.operating_since = Some(d("2026-07-31"));
        assert_eq!(status(&s, "EVAL-MIDYEAR"), Status::Fail);
    }

    #[test]
    fn yearend_boundaries() {
        let mut s = healthy();
        edit_year(&mut s, 2025, |r| r.evaluation_date = Some(d("2026-01-31")));
        let f = finding(&s, "EVAL-YEAREND");
        assert_eq!(f.status, Status::Pass);
        assert_eq!(f.facts["year"], json!(2025));
        assert_eq!(f.facts["deadline"], json!("2026-01-31"));
        edit_year(&mut s, 2025, |r| r.evaluation_date = Some(d("2026-02-01")));
        assert_eq!(status(&s, "EVAL-YEAREND"), Status::Warn);
        edit_year(&mut s, 2025, |r| r.evaluation_date = None);
        s.as_of = d("2026-01-31");
        assert_eq!(status(&s, "EVAL-YEAREND"), Status::Info);
        s.as_of = d("2026-02-01");
        assert_eq!(status(&s, "EVAL-YEAREND"), Status::Fail);
    }

    #[test]
    fn midyear_message_says_submitted_not_held() {
        let mut s = healthy();
        edit_year(&mut s, 2026, |r| r.midyear_date = Some(d("2026-07-12")));
        let f = finding(&s, "EVAL-MIDYEAR");
        assert_eq!(f.status, Status::Pass);
        assert!(f.message.contains("已于2026-07-12提交"), "{}", f.message);
        assert!(!f.message.contains("完成"), "{}", f.message);
        let f = finding(&s, "EVAL-YEAREND");
        assert!(!f.message.contains("完成"), "{}", f.message);
    }

    fn serious(date: &str) -> IntegrityViolation {
        IntegrityViolation {
            date: d(date),
            serious: true,
        }
    }

    #[test]
    fn yearend_not_applicable_while_a_ban_is_in_force_on_its_deadline() {
        // D = 2026-01-31; the ban of a violation on 2023-02-01 runs to 2026-02-01 (exclusive): in force on D.
        let mut s = healthy();
        edit_year(&mut s, 2025, |r| r.evaluation_date = None);
        s.platform.integrity_violations = vec![serious("2023-02-01")];
        let f = finding(&s, "EVAL-YEAREND");
        assert_eq!(f.status, Status::NotApplicable);
        assert_eq!(f.facts["banned_until"], json!("2026-02-01"));
        assert!(f.message.contains("四(四)"), "{}", f.message);
        assert!(f.message.contains("不参与绩效评价"), "{}", f.message);
        // Ended on D itself (2023-01-31 + 36 months = 2026-01-31): not in force, so the missing evaluation fails.
        s.platform.integrity_violations = vec![serious("2023-01-31")];
        assert_eq!(status(&s, "EVAL-YEAREND"), Status::Fail);
        // A violation dated D is in force on D.
        s.platform.integrity_violations = vec![serious("2026-01-31")];
        assert_eq!(status(&s, "EVAL-YEAREND"), Status::NotApplicable);
        // A violation after D does not bar last year's evaluation.
        s.platform.integrity_violations = vec![serious("2026-02-01")];
        assert_eq!(status(&s, "EVAL-YEAREND"), Status::Fail);
        // Minor violations never bar.
        s.platform.integrity_violations = vec![IntegrityViolation {
            date: d("2025-06-01"),
            serious: false,
        }];
        assert_eq!(status(&s, "EVAL-YEAREND"), Status::Fail);
        // The ban length is INTEG-BAN's parameter.
        s.platform.integrity_violations = vec![serious("2024-06-01")];
        assert_eq!(status(&s, "EVAL-YEAREND"), Status::NotApplicable);
        set_param(&mut s, "INTEG-BAN.ban_months", json!(12));
        assert_eq!(status(&s, "EVAL-YEAREND"), Status::Fail);
    }

    #[test]
    fn yearend_not_required_for_a_platform_that_started_after_last_year() {
        let mut s = healthy();
        remove_year(&mut s, 2025);
        s.platform.operating_since = Some(d("2026-01-01"));
        assert_eq!(status(&s, "EVAL-YEAREND"), Status::NotApplicable);
        s.platform.operating_since = Some(d("2025-12-31"));
        assert_eq!(status(&s, "EVAL-YEAREND"), Status::Fail);
    }
}
