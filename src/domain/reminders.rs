//! Deadlines and reminders (EVALUATION.md §6): in-app notices 14 and 3 days before each deadline
//! and on the day; after the deadline a step that is not done is overdue instead. Nothing is ever
//! sent outside the system. "Today" is always Asia/Shanghai's date, passed in.

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::annual::Step;
use super::calendar::{BEIJING, today_beijing};

/// What the operator has to hand in for a step.
pub fn step_task_zh(step: Step) -> &'static str {
    match step {
        Step::Filing => "年初备案（年度目标、收入计划和支出预算）",
        Step::Midyear => "半年报告（上半年指标完成情况）",
        Step::Yearend => "年度评估材料（全年实绩、自评和佐证）",
    }
}

/// The text of a deadline reminder about a platform's step. How far away the deadline is is said
/// when the notice is read (never "今天截止" on a later day): the text carries the date only.
pub fn reminder_text(platform_name: &str, step: Step, year: i32, deadline: NaiveDate) -> String {
    format!(
        "{platform_name}：{year} 年度{}截止日期为 {deadline}，请及时提交{}。",
        step.label_zh(),
        step_task_zh(step),
    )
}

/// The text of the notice that a checklist item is past its due date.
pub fn checklist_overdue_text(platform_name: &str, title: &str, due: NaiveDate) -> String {
    format!(
        "{platform_name}：清单事项「{title}」的完成期限为 {}，已逾期，请尽快办理。",
        due.format("%Y-%m-%d")
    )
}

/// What is overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverdueKind {
    /// A step of the annual cycle not done by its deadline (of `year`'s cycle).
    Step { step: Step, year: i32 },
    /// An open checklist item past its due date.
    Checklist,
    /// An open rectification case past its deadline.
    Rectification,
}

impl OverdueKind {
    /// "2026 年度年初备案" / the checklist item's `title` / "整改期限已到，整改尚未办结".
    pub fn what_zh(self, title: &str) -> String {
        match self {
            OverdueKind::Step { step, year } => format!("{year} 年度{}", step.label_zh()),
            OverdueKind::Checklist => title.to_owned(),
            OverdueKind::Rectification => "整改期限已到，整改尚未办结".into(),
        }
    }

    /// "已退回，未重新提交" (`returned`) / "未提交" for steps; "未完成", "整改中" otherwise.
    pub fn state_zh(self, returned: bool) -> &'static str {
        match (self, returned) {
            (OverdueKind::Step { .. }, true) => "已退回，未重新提交",
            (OverdueKind::Step { .. }, false) => "未提交",
            (OverdueKind::Checklist, _) => "未完成",
            (OverdueKind::Rectification, _) => "整改中",
        }
    }
}

/// The days before a deadline on which a reminder goes out (the deadline day itself is 0).
pub const REMINDER_DAYS: [i64; 3] = [14, 3, 0];

/// How long after its deadline a missing step stays on the overdue list: one cycle. After that
/// the next year's step of the same kind is the one that matters.
pub const OVERDUE_WINDOW_DAYS: i64 = 365;

/// A reminder due today: the deadline is `days_left` (14, 3 or 0) days away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reminder {
    pub days_left: i64,
}

impl Reminder {
    /// "还剩 14 天" / "今天截止".
    pub fn label_zh(self) -> String {
        if self.days_left == 0 {
            "今天截止".into()
        } else {
            format!("还剩 {} 天", self.days_left)
        }
    }
}

/// How a deadline stands on `today`, as said on a reminder when it is read (never the day it was
/// written): `("还剩 5 天", "info")`, `("今天截止", "warn")`, `("已逾期 12 天", "fail")`, or
/// `("已办结", "closed")` once the step is done. The second value is the status chip's colour.
pub fn standing_zh(today: NaiveDate, deadline: NaiveDate, done: bool) -> (String, &'static str) {
    let days_left = (deadline - today).num_days();
    match (done, days_left) {
        (true, _) => ("已办结".into(), "closed"),
        (false, 0) => ("今天截止".into(), "warn"),
        (false, d) if d > 0 => (format!("还剩 {d} 天"), if d <= 3 { "warn" } else { "info" }),
        (false, d) => (format!("已逾期 {} 天", -d), "fail"),
    }
}

/// The reminder due `today` for a step with `deadline`, if any: exactly 14 or 3 days before, or on
/// the day, and only while the step is not done. None after the deadline (that is [`overdue`]).
pub fn due(today: NaiveDate, deadline: NaiveDate, done: bool) -> Option<Reminder> {
    if done {
        return None;
    }
    let days_left = (deadline - today).num_days();
    REMINDER_DAYS
        .contains(&days_left)
        .then_some(Reminder { days_left })
}

/// Days past the deadline when a step is overdue `today` (not done, deadline passed, within one
/// cycle); None otherwise.
pub fn overdue(today: NaiveDate, deadline: NaiveDate, done: bool) -> Option<i64> {
    let late = (today - deadline).num_days();
    (!done && late > 0 && late <= OVERDUE_WINDOW_DAYS).then_some(late)
}

/// Whether something submitted on `submitted_on` missed `deadline` (the deadline day is on time).
pub fn is_late(submitted_on: NaiveDate, deadline: NaiveDate) -> bool {
    submitted_on > deadline
}

/// How long from `now` until the next midnight in Beijing (never zero: at midnight exactly, a day).
pub fn until_next_beijing_midnight(now: DateTime<Utc>) -> std::time::Duration {
    let tomorrow = today_beijing(now)
        .checked_add_days(Days::new(1))
        .unwrap_or(NaiveDate::MAX);
    let midnight = tomorrow
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(BEIJING).single())
        .map(|t| t.with_timezone(&Utc));
    match midnight {
        Some(m) => (m - now)
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(86_400)),
        None => std::time::Duration::from_secs(86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn notice_texts() {
        assert_eq!(
            reminder_text("示例平台", Step::Filing, 2026, d("2026-03-31")),
            "示例平台：2026 年度年初备案截止日期为 2026-03-31，请及时提交年初备案（年度目标、收入计划和支出预算）。"
        );
        assert_eq!(
            checklist_overdue_text("示例平台", "完成验收", d("2026-01-05")),
            "示例平台：清单事项「完成验收」的完成期限为 2026-01-05，已逾期，请尽快办理。"
        );
        let step = OverdueKind::Step {
            step: Step::Midyear,
            year: 2026,
        };
        assert_eq!(step.what_zh(""), "2026 年度半年过堂");
        assert_eq!(step.state_zh(true), "已退回，未重新提交");
        assert_eq!(OverdueKind::Checklist.what_zh("某事项"), "某事项");
        assert_eq!(OverdueKind::Rectification.state_zh(false), "整改中");
    }

    #[test]
    fn reminders_go_out_exactly_14_and_3_days_before_and_on_the_day() {
        let deadline = d("2026-07-31");
        let mut hits = Vec::new();
        let mut day = d("2026-06-01");
        while day <= d("2026-09-30") {
            if let Some(r) = due(day, deadline, false) {
                hits.push((day, r.days_left));
            }
            day = day.succ_opt().unwrap();
        }
        assert_eq!(
            hits,
            vec![
                (d("2026-07-17"), 14),
                (d("2026-07-28"), 3),
                (d("2026-07-31"), 0)
            ]
        );
    }

    #[test]
    fn nothing_is_due_once_the_step_is_done_or_the_deadline_has_passed() {
        let deadline = d("2026-03-31");
        assert_eq!(due(d("2026-03-17"), deadline, true), None);
        assert_eq!(due(d("2026-03-31"), deadline, true), None);
        assert_eq!(due(d("2026-04-01"), deadline, false), None);
        assert_eq!(due(d("2026-03-16"), deadline, false), None);
        assert_eq!(due(d("2026-03-18"), deadline, false), None);
        assert_eq!(
            due(d("2026-03-31"), deadline, false).unwrap().label_zh(),
            "今天截止"
        );
        assert_eq!(
            due(d("2026-03-28"), deadline, false).unwrap().label_zh(),
            "还剩 3 天"
        );
    }

    #[test]
    fn a_missing_step_is_overdue_the_day_after_its_deadline_for_one_cycle() {
        let deadline = d("2026-03-31");
        assert_eq!(overdue(d("2026-03-31"), deadline, false), None);
        assert_eq!(overdue(d("2026-04-01"), deadline, false), Some(1));
        assert_eq!(overdue(d("2026-04-01"), deadline, true), None);
        assert_eq!(overdue(d("2027-03-31"), deadline, false), Some(365));
        assert_eq!(overdue(d("2027-04-01"), deadline, false), None);
    }

    #[test]
    fn a_reminder_says_where_the_deadline_stands_on_the_day_it_is_read() {
        let deadline = d("2026-07-31");
        assert_eq!(
            standing_zh(d("2026-07-17"), deadline, false).0,
            "还剩 14 天"
        );
        assert_eq!(standing_zh(d("2026-07-28"), deadline, false).1, "warn");
        assert_eq!(standing_zh(d("2026-07-31"), deadline, false).0, "今天截止");
        // "今天截止" is never shown on a later day.
        assert_eq!(
            standing_zh(d("2026-12-02"), deadline, false),
            ("已逾期 124 天".to_string(), "fail")
        );
        assert_eq!(
            standing_zh(d("2026-12-02"), deadline, true),
            ("已办结".to_string(), "closed")
        );
    }

    #[test]
    fn the_deadline_day_itself_is_on_time() {
        assert!(!is_late(d("2026-07-31"), d("2026-07-31")));
        assert!(is_late(d("2026-08-01"), d("2026-07-31")));
    }

    #[test]
    fn the_next_beijing_midnight_is_16_00_utc() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(
            until_next_beijing_midnight(t("2026-07-30T15:00:00Z")).as_secs(),
            3600
        );
        assert_eq!(
            until_next_beijing_midnight(t("2026-07-30T16:00:00Z")).as_secs(),
            86_400
        );
    }
}
