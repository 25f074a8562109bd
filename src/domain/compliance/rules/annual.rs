//! Annual cycle (NT10 四(二)): year-start filing, mid-year review, year-end evaluation.

use chrono::NaiveDate;

use super::{Ctx, Outcome};
use crate::domain::compliance::Status;
use crate::domain::compliance::catalogue::{FILING_DEADLINE, MIDYEAR_DEADLINE, YEAREND_DEADLINE};
use crate::domain::compliance::snapshot::FilingStatus;

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
    let held = c.record(c.year).and_then(|r| r.midyear_date);
    let step = Step {
        what,
        verb: "完成",
        fix: "请尽快组织半年过堂，登记会议情况并将整改要求列入任务清单。",
    };
    against_deadline(c.as_of, held, deadline, &step)
        .fact("year", c.year)
        .fact("deadline", deadline)
        .fact("midyear_date", held)
}

/// EVAL-YEAREND: last year's evaluation is done by Y-[01-31].
pub(crate) fn yearend(c: &Ctx<'_>) -> Outcome {
    let deadline = c.params.get(&YEAREND_DEADLINE).in_year(c.year);
    let what = format!("{}年度年底评估", c.last);
    let year_end = NaiveDate::from_ymd_opt(c.last, 12, 31).unwrap_or(NaiveDate::MIN);
    if let Some(na) = started_after(c, year_end, &what) {
        return na;
    }
    let evaluated = c.record(c.last).and_then(|r| r.evaluation_date);
    let step = Step {
        what,
        verb: "完成",
        fix: "请尽快完成自评、初审、专家评审和公示。",
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
    use crate::domain::compliance::snapshot::Filing;
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
    fn yearend_not_required_for_a_platform_that_started_after_last_year() {
        let mut s = healthy();
        remove_year(&mut s, 2025);
        s.platform.operating_since = Some(d("2026-01-01"));
        assert_eq!(status(&s, "EVAL-YEAREND"), Status::NotApplicable);
        s.platform.operating_since = Some(d("2025-12-31"));
        assert_eq!(status(&s, "EVAL-YEAREND"), Status::Fail);
    }
}
