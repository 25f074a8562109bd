//! The mid-year review (半年过堂, EVALUATION.md §2): the operator reports first-half actuals for the
//! quantitative indicators; completion is shown against the approved year-start targets; staff
//! record the review meeting, and each required action becomes a checklist item.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::calendar::parse_iso_date;
use super::checklist::{OWNER_MAX, TITLE_MAX, parse_due};
use super::scoring::{IndicatorKind, Rubric, Values};
use super::validation::FieldErrors;

code_enum! {
    /// Where the operator's mid-year report stands.
    ReportStatus {
        Draft = "draft" / "草稿",
        Submitted = "submitted" / "已提交",
    }
}

/// What the completion column shows when the filing has no (or a zero) target.
pub const NO_TARGET: &str = "无目标";

/// Indicators measured in whole yuan (entered and stored in yuan).
pub const MONEY_INDICATORS: [&str; 3] = [
    "rnd_expenditure",
    "tech_contract_value",
    "self_generated_income",
];

pub fn is_money(key: &str) -> bool {
    MONEY_INDICATORS.contains(&key)
}

/// The largest number accepted for an actual (10^15: any yuan amount, any count).
const VALUE_MAX: f64 = 1e15;

/// Completion `actual ÷ target` of one indicator; None when there is no target or it is zero
/// (nothing to measure against). An indicator not reported yet counts as 0.
pub fn ratio(actual: Option<f64>, target: Option<f64>) -> Option<f64> {
    match target {
        Some(t) if t > 0.0 => Some(actual.unwrap_or(0.0) / t),
        _ => None,
    }
}

/// A completion for display: "无目标", "62.5%", or "100%+" above the target.
pub fn display_ratio(r: Option<f64>) -> String {
    match r {
        None => NO_TARGET.into(),
        Some(r) if r > 1.0 => "100%+".into(),
        Some(r) => format!("{:.1}%", r * 100.0),
    }
}

/// A number as typed back into a form and shown in tables: whole numbers without decimals.
pub fn display_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// A number for a table: like [`display_number`], with thousands separators ("4,390,000").
pub fn display_grouped(v: f64) -> String {
    let s = display_number(v);
    let (int, frac) = s
        .split_once('.')
        .map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (n, c) in digits.chars().enumerate() {
        if n > 0 && (digits.len() - n).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// One line of the completion table.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub key: String,
    pub label: String,
    pub target: Option<f64>,
    pub actual: Option<f64>,
    pub ratio: Option<f64>,
}

impl Completion {
    pub fn ratio_display(&self) -> String {
        display_ratio(self.ratio)
    }
    /// Below half the target at mid-year: behind the time schedule.
    pub fn behind(&self) -> bool {
        self.ratio.is_some_and(|r| r < 0.5)
    }
}

/// The quantitative indicators of `rubric` in its order, with target, H1 actual and completion.
pub fn completion_table(rubric: &Rubric, targets: &Values, actuals: &Values) -> Vec<Completion> {
    rubric
        .indicators
        .iter()
        .filter(|i| i.kind == IndicatorKind::Quantitative)
        .map(|i| {
            let target = targets.get(&i.key).copied();
            let actual = actuals.get(&i.key).copied();
            Completion {
                key: i.key.clone(),
                label: i.label_zh.clone(),
                target,
                actual,
                ratio: ratio(actual, target),
            }
        })
        .collect()
}

/// The mean completion over the indicators that have a target, each capped at 100% (as in scoring:
/// over-achieving one indicator does not make up for another). None when no indicator has a target.
pub fn mean_completion(rows: &[Completion]) -> Option<f64> {
    let capped: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.ratio.map(|x| x.min(1.0)))
        .collect();
    (!capped.is_empty()).then(|| capped.iter().sum::<f64>() / capped.len() as f64)
}

/// The form field of an indicator's actual.
pub fn actual_field(key: &str) -> String {
    format!("actual_{key}")
}

/// Reads the actuals from the report form (fields `actual_<key>` for the quantitative indicators);
/// empty means not reported. Every bad field is reported at once, by indicator key.
pub fn parse_actuals(
    rubric: &Rubric,
    form: &BTreeMap<String, String>,
) -> Result<Values, BTreeMap<String, String>> {
    let mut values = Values::new();
    let mut errors = BTreeMap::new();
    for i in rubric
        .indicators
        .iter()
        .filter(|i| i.kind == IndicatorKind::Quantitative)
    {
        let raw = form
            .get(&actual_field(&i.key))
            .map(|s| s.trim().replace([',', '，', ' '], ""))
            .unwrap_or_default();
        if raw.is_empty() {
            continue;
        }
        match raw.parse::<f64>() {
            Ok(v) if v.is_finite() && (0.0..=VALUE_MAX).contains(&v) => {
                values.insert(i.key.clone(), v);
            }
            Ok(v) if v < 0.0 => {
                errors.insert(i.key.clone(), "不能为负数".to_owned());
            }
            Ok(_) => {
                errors.insert(i.key.clone(), "数值超出范围".to_owned());
            }
            Err(_) => {
                errors.insert(i.key.clone(), "请填写数字".to_owned());
            }
        }
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

/// Why a report cannot be changed or submitted.
pub fn check_edit(status: Option<ReportStatus>) -> Result<(), &'static str> {
    match status {
        Some(ReportStatus::Submitted) => Err("本年度半年报告已提交，不能再修改或重复提交"),
        _ => Ok(()),
    }
}

/// How many action rows the review form offers.
pub const ACTION_ROWS: usize = 5;

/// Field names of the review form's action rows: (title, owner, due date).
pub const ACTION_FIELDS: [(&str, &str, &str); ACTION_ROWS] = [
    ("action_title_1", "action_owner_1", "action_due_1"),
    ("action_title_2", "action_owner_2", "action_due_2"),
    ("action_title_3", "action_owner_3", "action_due_3"),
    ("action_title_4", "action_owner_4", "action_due_4"),
    ("action_title_5", "action_owner_5", "action_due_5"),
];

/// A required action of the review: it becomes a checklist item.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionDraft {
    pub title: String,
    pub owner: String,
    pub due_date: NaiveDate,
}

/// The review meeting as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ReviewFields {
    pub meeting_date: String,
    pub attendees: String,
    pub assessment: String,
    pub problems: String,
    pub action_title_1: String,
    pub action_owner_1: String,
    pub action_due_1: String,
    pub action_title_2: String,
    pub action_owner_2: String,
    pub action_due_2: String,
    pub action_title_3: String,
    pub action_owner_3: String,
    pub action_due_3: String,
    pub action_title_4: String,
    pub action_owner_4: String,
    pub action_due_4: String,
    pub action_title_5: String,
    pub action_owner_5: String,
    pub action_due_5: String,
}

/// A checked review.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewDraft {
    pub meeting_date: NaiveDate,
    pub attendees: String,
    pub assessment: String,
    pub problems: String,
    pub actions: Vec<ActionDraft>,
}

impl ReviewFields {
    /// The action rows as typed: (title, owner, due).
    pub fn action_rows(&self) -> [(&str, &str, &str); ACTION_ROWS] {
        [
            (
                &self.action_title_1,
                &self.action_owner_1,
                &self.action_due_1,
            ),
            (
                &self.action_title_2,
                &self.action_owner_2,
                &self.action_due_2,
            ),
            (
                &self.action_title_3,
                &self.action_owner_3,
                &self.action_due_3,
            ),
            (
                &self.action_title_4,
                &self.action_owner_4,
                &self.action_due_4,
            ),
            (
                &self.action_title_5,
                &self.action_owner_5,
                &self.action_due_5,
            ),
        ]
        .map(|(t, o, d)| (t.as_str(), o.as_str(), d.as_str()))
    }

    /// Checks every field at once: the meeting took place in `year` and not after `today`; a
    /// started action row needs its title, owner and a due date not before the meeting.
    pub fn validate(&self, year: i32, today: NaiveDate) -> Result<ReviewDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let meeting_date = match parse_iso_date(self.meeting_date.trim()) {
            None if self.meeting_date.trim().is_empty() => {
                errors.add("meeting_date", "请填写会议日期");
                None
            }
            None => {
                errors.add("meeting_date", "日期格式应为年-月-日（如 2026-03-31）");
                None
            }
            Some(d) if d > today => {
                errors.add("meeting_date", "会议日期不能晚于今天");
                None
            }
            Some(d) if chrono::Datelike::year(&d) != year => {
                errors.add("meeting_date", format!("会议日期应在 {year} 年内"));
                None
            }
            Some(d) => Some(d),
        };
        let text = |errors: &mut FieldErrors,
                    field: &'static str,
                    value: &str,
                    max: usize,
                    required: Option<&str>| {
            let v = value.trim();
            if let (true, Some(msg)) = (v.is_empty(), required) {
                errors.add(field, msg);
            }
            if v.chars().count() > max {
                errors.add(field, format!("不能超过 {max} 个字"));
            }
            v.to_owned()
        };
        let attendees = text(
            &mut errors,
            "attendees",
            &self.attendees,
            1000,
            Some("请填写参会人员"),
        );
        let assessment = text(
            &mut errors,
            "assessment",
            &self.assessment,
            4000,
            Some("请填写总体评价"),
        );
        let problems = text(&mut errors, "problems", &self.problems, 4000, None);
        let mut actions = Vec::new();
        for ((title, owner, due), (tf, of, df)) in self.action_rows().into_iter().zip(ACTION_FIELDS)
        {
            if title.trim().is_empty() && owner.trim().is_empty() && due.trim().is_empty() {
                continue;
            }
            let title = text(&mut errors, tf, title, TITLE_MAX, Some("请填写整改事项"));
            let owner = text(&mut errors, of, owner, OWNER_MAX, Some("请填写责任人"));
            let due_date = parse_due(&mut errors, df, due, true);
            if let (Some(d), Some(m)) = (due_date, meeting_date)
                && d < m
            {
                errors.add(df, "完成期限不能早于会议日期");
            }
            if let Some(due_date) = due_date {
                actions.push(ActionDraft {
                    title,
                    owner,
                    due_date,
                });
            }
        }
        match (errors.is_empty(), meeting_date) {
            (true, Some(meeting_date)) => Ok(ReviewDraft {
                meeting_date,
                attendees,
                assessment,
                problems,
                actions,
            }),
            _ => Err(errors),
        }
    }
}

/// One more action after the review, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ActionFields {
    pub title: String,
    pub owner: String,
    pub due_date: String,
}

impl ActionFields {
    pub fn validate(&self) -> Result<ActionDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let title = self.title.trim();
        if title.is_empty() {
            errors.add("title", "请填写整改事项");
        } else if title.chars().count() > TITLE_MAX {
            errors.add("title", format!("不能超过 {TITLE_MAX} 个字"));
        }
        let owner = self.owner.trim();
        if owner.is_empty() {
            errors.add("owner", "请填写责任人");
        } else if owner.chars().count() > OWNER_MAX {
            errors.add("owner", format!("不能超过 {OWNER_MAX} 个字"));
        }
        let due_date = parse_due(&mut errors, "due_date", &self.due_date, true);
        match (errors.is_empty(), due_date) {
            (true, Some(due_date)) => Ok(ActionDraft {
                title: title.to_owned(),
                owner: owner.to_owned(),
                due_date,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_iso_date(s).unwrap()
    }

    fn values(pairs: &[(&str, f64)]) -> Values {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn completion_is_actual_over_target_and_none_without_a_target() {
        assert_eq!(ratio(Some(5.0), Some(10.0)), Some(0.5));
        assert_eq!(ratio(None, Some(10.0)), Some(0.0));
        assert_eq!(ratio(Some(5.0), None), None);
        assert_eq!(ratio(Some(5.0), Some(0.0)), None);
        assert_eq!(display_ratio(None), "无目标");
        assert_eq!(display_ratio(Some(0.625)), "62.5%");
        assert_eq!(display_ratio(Some(1.0)), "100.0%");
        assert_eq!(display_ratio(Some(1.3)), "100%+");
    }

    #[test]
    fn the_table_lists_the_quantitative_indicators_and_the_mean_caps_each_at_100() {
        let rubric = Rubric::default_2025();
        let rows = completion_table(
            &rubric,
            &values(&[("rnd_staff", 40.0), ("invention_patents", 10.0)]),
            &values(&[("rnd_staff", 60.0), ("invention_patents", 3.0)]),
        );
        assert_eq!(rows.len(), 14, "the 14 quantitative indicators");
        assert!(rows.iter().all(|r| r.key != "filings_on_time"));
        let staff = rows.iter().find(|r| r.key == "rnd_staff").unwrap();
        assert_eq!(staff.ratio_display(), "100%+");
        let patents = rows.iter().find(|r| r.key == "invention_patents").unwrap();
        assert!(patents.behind());
        // (1.0 capped + 0.3) / 2
        assert!((mean_completion(&rows).unwrap() - 0.65).abs() < 1e-12);
        assert_eq!(
            mean_completion(&completion_table(&rubric, &Values::new(), &Values::new())),
            None
        );
    }

    #[test]
    fn actuals_parse_from_the_form_and_every_bad_one_is_named() {
        let rubric = Rubric::default_2025();
        let form: BTreeMap<String, String> = [
            ("actual_rnd_staff", " 42 "),
            ("actual_self_generated_income", "1,200,000"),
            ("actual_invention_patents", ""),
            ("actual_filings_on_time", "5"), // qualitative: ignored
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let v = parse_actuals(&rubric, &form).unwrap();
        assert_eq!(
            v,
            values(&[("rnd_staff", 42.0), ("self_generated_income", 1_200_000.0)])
        );
        let bad: BTreeMap<String, String> = [
            ("actual_rnd_staff", "四十"),
            ("actual_major_tasks", "-1"),
            ("actual_revenue_channels", "1e99"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let e = parse_actuals(&rubric, &bad).unwrap_err();
        assert_eq!(e.len(), 3);
        assert_eq!(e["major_tasks"], "不能为负数");
    }

    #[test]
    fn a_submitted_report_is_locked() {
        assert!(check_edit(None).is_ok());
        assert!(check_edit(Some(ReportStatus::Draft)).is_ok());
        assert!(check_edit(Some(ReportStatus::Submitted)).is_err());
    }

    #[test]
    fn the_review_form_checks_the_meeting_and_every_started_action_row() {
        let today = d("2026-08-10");
        let ok = ReviewFields {
            meeting_date: "2026-08-05".into(),
            attendees: "张三、李四".into(),
            assessment: "总体进度正常".into(),
            action_title_1: "补充理事会会议纪要".into(),
            action_owner_1: "平台办公室".into(),
            action_due_1: "2026-09-30".into(),
            ..Default::default()
        }
        .validate(2026, today)
        .unwrap();
        assert_eq!(ok.actions.len(), 1);
        assert_eq!(ok.actions[0].due_date, d("2026-09-30"));

        let bad = ReviewFields {
            meeting_date: "2026-08-11".into(),
            attendees: " ".into(),
            assessment: String::new(),
            action_title_2: "x".into(),
            action_due_3: "2026-01-01".into(),
            ..Default::default()
        }
        .validate(2026, today)
        .unwrap_err();
        for f in [
            "meeting_date",
            "attendees",
            "assessment",
            "action_owner_2",
            "action_due_2",
            "action_title_3",
            "action_owner_3",
        ] {
            assert!(bad.has(f), "{f}");
        }
        let wrong_year = ReviewFields {
            meeting_date: "2025-08-05".into(),
            attendees: "a".into(),
            assessment: "b".into(),
            ..Default::default()
        }
        .validate(2026, today)
        .unwrap_err();
        assert!(wrong_year.has("meeting_date"));
        let early_due = ReviewFields {
            meeting_date: "2026-08-05".into(),
            attendees: "a".into(),
            assessment: "b".into(),
            action_title_1: "t".into(),
            action_owner_1: "o".into(),
            action_due_1: "2026-08-01".into(),
            ..Default::default()
        }
        .validate(2026, today)
        .unwrap_err();
        assert!(early_due.has("action_due_1"));
    }

    #[test]
    fn one_more_action_needs_title_owner_and_due_date() {
        let e = ActionFields::default().validate().unwrap_err();
        assert_eq!(e.len(), 3);
        assert!(
            ActionFields {
                title: "t".into(),
                owner: "o".into(),
                due_date: "2026-10-01".into()
            }
            .validate()
            .is_ok()
        );
    }

    #[test]
    fn numbers_show_without_needless_decimals() {
        assert_eq!(display_number(42.0), "42");
        assert_eq!(display_number(0.8523), "0.85");
        assert_eq!(display_grouped(4_390_000.0), "4,390,000");
        assert_eq!(display_grouped(123.0), "123");
        assert_eq!(display_grouped(1234.5), "1,234.50");
        assert_eq!(display_grouped(-1000.0), "-1,000");
    }
}
