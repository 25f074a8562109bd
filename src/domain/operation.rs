//! Operation (运行管理): the advisor's service visits, the construction-period acceptance, the
//! transformation deadline and the time left to it, research-integrity records and the
//! evaluation ban a serious one brings. Pure: today's date is passed in.

use chrono::NaiveDate;

use super::calendar::{add_months, parse_iso_date};
use super::compliance::params::{Days, Months};
use super::money::{Yuan, YuanError};
use super::platform::Stage;
use super::validation::FieldErrors;

code_enum! {
    /// How the advisor served the platform.
    VisitForm {
        OnSite = "on_site" / "现场",
        Remote = "remote" / "远程",
        Meeting = "meeting" / "会议",
        Phone = "phone" / "电话",
    }
}

code_enum! {
    /// The result of the construction-period acceptance (建设期满验收).
    AcceptanceResult {
        Passed = "passed" / "通过",
        Conditional = "conditional" / "有条件通过",
        Failed = "failed" / "不通过",
    }
}

code_enum! {
    /// The unit an amount is typed in.
    AmountUnit {
        Yuan = "yuan" / "元",
        Wan = "wan" / "万元",
    }
}

fn months_i32(m: Months) -> i32 {
    i32::try_from(m.0).unwrap_or(i32::MAX)
}

// ---- the time left to a deadline (the transformation deadline: `domain::transformation`) ----

/// How far a date is from today, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Countdown {
    pub deadline: NaiveDate,
    /// Days from today to the deadline: negative once it has passed.
    pub days_left: i64,
    /// "还剩 1 年 3 个月 12 天" / "今天到期" / "已过 2 个月 3 天".
    pub text: String,
}

impl Countdown {
    pub fn passed(&self) -> bool {
        self.days_left < 0
    }

    /// Within the last `days` days before the deadline (and not passed).
    pub fn near(&self, days: i64) -> bool {
        (0..=days).contains(&self.days_left)
    }
}

/// Whole calendar months from `from` to `to` (`from <= to`) and the days left over.
fn months_and_days(from: NaiveDate, to: NaiveDate) -> (i32, i64) {
    use chrono::Datelike;
    let mut m = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    while m > 0 && add_months(from, m) > to {
        m -= 1;
    }
    while add_months(from, m + 1) <= to {
        m += 1;
    }
    (m, (to - add_months(from, m)).num_days())
}

fn span_text(months: i32, days: i64) -> String {
    let mut parts = Vec::new();
    if months / 12 > 0 {
        parts.push(format!("{} 年", months / 12));
    }
    if months % 12 > 0 {
        parts.push(format!("{} 个月", months % 12));
    }
    if days > 0 || parts.is_empty() {
        parts.push(format!("{days} 天"));
    }
    parts.join(" ")
}

/// The time from `today` to `deadline`, or since it passed.
pub fn countdown(today: NaiveDate, deadline: NaiveDate) -> Countdown {
    let days_left = (deadline - today).num_days();
    let text = if days_left == 0 {
        "今天到期".to_string()
    } else if days_left > 0 {
        let (m, d) = months_and_days(today, deadline);
        format!("还剩 {}", span_text(m, d))
    } else {
        let (m, d) = months_and_days(deadline, today);
        format!("已过期 {}", span_text(m, d))
    };
    Countdown {
        deadline,
        days_left,
        text,
    }
}

// ---- research integrity: the evaluation ban -------------------------------------------

/// The first day a platform is no longer barred after a serious violation on `date`
/// (INTEG-BAN: date + [36] months). The compliance rule INTEG-BAN uses this too.
pub fn ban_end(date: NaiveDate, months: Months) -> NaiveDate {
    add_months(date, months_i32(months))
}

/// A ban in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ban {
    pub violation_date: NaiveDate,
    pub until: NaiveDate,
}

/// The ban in force on `as_of` from the serious violations on these dates: the one that ends
/// last among those running (`date ≤ as_of < until`). A violation dated after `as_of` does not bar yet.
pub fn active_ban(
    serious_dates: impl IntoIterator<Item = NaiveDate>,
    as_of: NaiveDate,
    months: Months,
) -> Option<Ban> {
    serious_dates
        .into_iter()
        .map(|d| Ban {
            violation_date: d,
            until: ban_end(d, months),
        })
        .filter(|b| b.violation_date <= as_of && as_of < b.until)
        .max_by_key(|b| b.until)
}

// ---- the advisor's service log --------------------------------------------------------

/// Days since the advisor's last visit and whether that is too long (OPS-ADVISOR.max_log_gap_days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitGap {
    pub days: i64,
    pub overdue: bool,
}

pub fn visit_gap(last: NaiveDate, today: NaiveDate, max: Days) -> VisitGap {
    let days = (today - last).num_days();
    VisitGap {
        days,
        overdue: days > i64::from(max.0),
    }
}

// ---- what may be recorded in which stage ----------------------------------------------

/// The writes of the operation page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Assign,
    Visit,
    Acceptance,
    Integrity,
}

/// Why `action` cannot be taken while the platform is in `stage`, if it cannot.
pub fn stage_refusal(action: Action, stage: Stage) -> Option<&'static str> {
    match (action, stage) {
        (Action::Integrity, _) => None,
        (_, s) if s.is_terminal() => Some("平台已退出、转型或合并，不再进行运行管理记录。"),
        (Action::Acceptance, Stage::Registration) => {
            Some("平台尚在设立登记阶段：建设期满验收须在登记审批通过、投入运行后记录。")
        }
        _ => None,
    }
}

// ---- amounts --------------------------------------------------------------------------

/// An amount typed in 元 (whole) or 万元 (up to four decimals), as whole yuan. Blank is 0;
/// thousands separators are allowed.
pub fn parse_amount(text: &str, unit: AmountUnit) -> Result<i64, String> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' '))
        .collect();
    if cleaned.is_empty() {
        return Ok(0);
    }
    if cleaned.starts_with('-') {
        return Err(YuanError::Negative.to_string());
    }
    let (int, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || (cleaned.contains('.') && frac.is_empty())
    {
        return Err("请填写数字金额，如 12.5".into());
    }
    let too_large = || YuanError::TooLarge.to_string();
    let int: i64 = int.parse().map_err(|_| too_large())?;
    let yuan = match unit {
        AmountUnit::Yuan => {
            if frac.trim_end_matches('0').is_empty() {
                int
            } else {
                return Err("以“元”为单位时请填写整数；有小数请改用“万元”".into());
            }
        }
        AmountUnit::Wan => {
            let frac = frac.trim_end_matches('0');
            if frac.len() > 4 {
                return Err("以“万元”为单位时最多保留四位小数（精确到元）".into());
            }
            let frac_yuan: i64 = format!("{frac:0<4}").parse().map_err(|_| too_large())?;
            int.checked_mul(10_000)
                .and_then(|y| y.checked_add(frac_yuan))
                .ok_or_else(too_large)?
        }
    };
    Yuan::new(yuan).map(Yuan::get).map_err(|e| e.to_string())
}

// ---- forms ----------------------------------------------------------------------------

fn required_date(
    raw: &str,
    field: &'static str,
    today: NaiveDate,
    errors: &mut FieldErrors,
) -> Option<NaiveDate> {
    let raw = raw.trim();
    if raw.is_empty() {
        errors.add(field, "请填写日期");
        return None;
    }
    match parse_iso_date(raw) {
        None => {
            errors.add(field, "日期格式应为年-月-日（如 2026-03-31）");
            None
        }
        Some(d) if d > today => {
            errors.add(field, "日期不能晚于今天");
            None
        }
        Some(d) => Some(d),
    }
}

fn text_field(
    raw: &str,
    field: &'static str,
    label: &str,
    required: bool,
    max: usize,
    errors: &mut FieldErrors,
) -> String {
    let t = raw.trim();
    if required && t.is_empty() {
        errors.add(field, format!("请填写{label}"));
    } else if t.chars().count() > max {
        errors.add(field, format!("{label}不能超过 {max} 个字"));
    }
    t.to_string()
}

/// The visit form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct VisitFields {
    pub visit_date: String,
    pub form: String,
    pub topics: String,
    pub advice: String,
    pub follow_up: String,
}

/// A valid service visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub visit_date: NaiveDate,
    pub form: VisitForm,
    pub topics: String,
    pub advice: String,
    pub follow_up: String,
}

impl VisitFields {
    pub fn validate(&self, today: NaiveDate) -> Result<Visit, FieldErrors> {
        let mut errors = FieldErrors::default();
        let date = required_date(&self.visit_date, "visit_date", today, &mut errors);
        let form = VisitForm::parse(self.form.trim());
        if form.is_none() {
            errors.add("form", "请选择服务形式");
        }
        let topics = text_field(&self.topics, "topics", "服务主题", true, 500, &mut errors);
        let advice = text_field(&self.advice, "advice", "意见建议", true, 2000, &mut errors);
        let follow_up = text_field(
            &self.follow_up,
            "follow_up",
            "后续跟进",
            false,
            1000,
            &mut errors,
        );
        match (date, form) {
            (Some(visit_date), Some(form)) if errors.is_empty() => Ok(Visit {
                visit_date,
                form,
                topics,
                advice,
                follow_up,
            }),
            _ => Err(errors),
        }
    }
}

/// The acceptance form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AcceptanceFields {
    pub result: String,
    pub accepted_on: String,
    pub remarks: String,
    pub document_id: String,
}

/// A valid acceptance record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acceptance {
    pub result: AcceptanceResult,
    pub accepted_on: NaiveDate,
    pub remarks: String,
    pub document_id: Option<i64>,
}

/// What the acceptance form is checked against.
#[derive(Debug, Clone, Copy)]
pub struct AcceptanceContext<'a> {
    pub today: NaiveDate,
    pub construction_start: Option<NaiveDate>,
    pub construction_end: Option<NaiveDate>,
    /// The platform's acceptance-report documents a record may point at.
    pub report_ids: &'a [i64],
}

impl AcceptanceFields {
    pub fn validate(&self, cx: AcceptanceContext<'_>) -> Result<Acceptance, FieldErrors> {
        let mut errors = FieldErrors::default();
        if cx.construction_end.is_none() {
            errors.add(
                "form",
                "平台尚未登记建设期结束日期，请先在“编辑登记信息”中补充，再记录建设期满验收。",
            );
        }
        let result = AcceptanceResult::parse(self.result.trim());
        if result.is_none() {
            errors.add("result", "请选择验收结论");
        }
        let date = required_date(&self.accepted_on, "accepted_on", cx.today, &mut errors);
        if let (Some(d), Some(start)) = (date, cx.construction_start)
            && d < start
        {
            errors.add(
                "accepted_on",
                format!("验收日期不能早于建设期开始（{start}）"),
            );
        }
        let remarks = text_field(
            &self.remarks,
            "remarks",
            "验收意见",
            false,
            2000,
            &mut errors,
        );
        if result == Some(AcceptanceResult::Conditional) && remarks.is_empty() {
            errors.add("remarks", "有条件通过时请写明所附条件");
        }
        let raw_doc = self.document_id.trim();
        let document_id = if raw_doc.is_empty() {
            None
        } else {
            match raw_doc.parse::<i64>() {
                Ok(id) if cx.report_ids.contains(&id) => Some(id),
                _ => {
                    errors.add("document_id", "请从本平台的验收报告中选择");
                    None
                }
            }
        };
        match (result, date) {
            (Some(result), Some(accepted_on)) if errors.is_empty() => Ok(Acceptance {
                result,
                accepted_on,
                remarks,
                document_id,
            }),
            _ => Err(errors),
        }
    }
}

/// The integrity form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct IntegrityFields {
    pub occurred_on: String,
    /// "yes" / "no"; blank until chosen.
    pub serious: String,
    pub description: String,
    pub funds: String,
    pub funds_unit: String,
}

/// A valid integrity record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrityRecord {
    pub occurred_on: NaiveDate,
    pub serious: bool,
    pub description: String,
    /// Whole yuan.
    pub funds_to_recover: i64,
}

impl IntegrityFields {
    pub fn validate(&self, today: NaiveDate) -> Result<IntegrityRecord, FieldErrors> {
        let mut errors = FieldErrors::default();
        let date = required_date(&self.occurred_on, "occurred_on", today, &mut errors);
        let serious = match self.serious.trim() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => {
                errors.add("serious", "请选择是否属于严重违规");
                None
            }
        };
        let description = text_field(
            &self.description,
            "description",
            "违规情况",
            true,
            2000,
            &mut errors,
        );
        let unit = AmountUnit::parse(self.funds_unit.trim()).unwrap_or(AmountUnit::Yuan);
        let funds = parse_amount(&self.funds, unit).map_err(|e| errors.add("funds", e));
        match (date, serious, funds) {
            (Some(occurred_on), Some(serious), Ok(funds_to_recover)) if errors.is_empty() => {
                Ok(IntegrityRecord {
                    occurred_on,
                    serious,
                    description,
                    funds_to_recover,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Which of the offered accounts the assignment form chose (blank = nobody).
pub fn choose_account(
    raw: &str,
    field: &'static str,
    allowed: &[i64],
    errors: &mut FieldErrors,
) -> Option<i64> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<i64>() {
        Ok(id) if allowed.contains(&id) => Some(id),
        _ => {
            errors.add(field, "请从列表中选择");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_iso_date(s).expect("test date")
    }

    #[test]
    fn countdown_before_on_and_after_the_deadline() {
        let c = countdown(d("2025-03-18"), d("2026-06-30"));
        assert_eq!(c.days_left, 469);
        assert_eq!(c.text, "还剩 1 年 3 个月 12 天");
        assert!(!c.passed());
        assert!(!c.near(90));

        let c = countdown(d("2026-06-30"), d("2026-06-30"));
        assert_eq!((c.days_left, c.text.as_str()), (0, "今天到期"));
        assert!(c.near(90));

        let c = countdown(d("2026-07-01"), d("2026-06-30"));
        assert_eq!(c.text, "已过期 1 天");
        assert!(c.passed());

        let c = countdown(d("2027-09-30"), d("2026-06-30"));
        assert_eq!(c.text, "已过期 1 年 3 个月");
        assert_eq!(c.days_left, -457);

        assert_eq!(
            countdown(d("2026-06-01"), d("2026-06-30")).text,
            "还剩 29 天"
        );
        assert_eq!(
            countdown(d("2026-05-29"), d("2026-06-30")).text,
            "还剩 1 个月 1 天"
        );
        assert_eq!(
            countdown(d("2026-05-30"), d("2026-06-30")).text,
            "还剩 1 个月"
        );
        assert_eq!(
            countdown(d("2024-06-30"), d("2026-06-30")).text,
            "还剩 2 年"
        );
    }

    #[test]
    fn countdown_months_respect_month_ends() {
        // 01-31 + 1 month clamps to 02-28: one whole month, then 3 days to 03-03.
        assert_eq!(
            countdown(d("2025-01-31"), d("2025-03-03")).text,
            "还剩 1 个月 3 天"
        );
        assert_eq!(
            countdown(d("2025-01-31"), d("2025-02-28")).text,
            "还剩 1 个月"
        );
        assert_eq!(
            countdown(d("2025-01-31"), d("2025-02-27")).text,
            "还剩 27 天"
        );
        assert!(countdown(d("2025-01-01"), d("2025-03-01")).near(90));
    }

    #[test]
    fn the_ban_runs_36_months_from_a_serious_violation() {
        let months = Months(36);
        assert_eq!(ban_end(d("2024-02-29"), months), d("2027-02-28"));
        let ban = active_ban([d("2025-01-10")], d("2026-03-01"), months).expect("banned");
        assert_eq!(ban.until, d("2028-01-10"));
        assert_eq!(ban.violation_date, d("2025-01-10"));
        // The last day of the ban and the first day after.
        assert!(active_ban([d("2025-01-10")], d("2028-01-09"), months).is_some());
        assert_eq!(active_ban([d("2025-01-10")], d("2028-01-10"), months), None);
        // The ban that ends last wins; expired ones do not count.
        let ban = active_ban(
            [d("2020-01-01"), d("2025-05-01"), d("2024-05-01")],
            d("2026-01-01"),
            months,
        )
        .expect("banned");
        assert_eq!(ban.until, d("2028-05-01"));
        assert_eq!(active_ban([], d("2026-01-01"), months), None);
        assert_eq!(
            active_ban([d("2024-01-01")], d("2026-01-01"), Months(24)),
            None
        );
        // A ban counts from the violation's date: not before it, from the day itself.
        assert_eq!(active_ban([d("2026-06-01")], d("2026-01-01"), months), None);
        assert!(active_ban([d("2026-01-01")], d("2026-01-01"), months).is_some());
        let ban = active_ban([d("2025-01-01"), d("2026-06-01")], d("2026-01-01"), months)
            .expect("banned");
        assert_eq!(ban.violation_date, d("2025-01-01"));
    }

    #[test]
    fn visit_gaps() {
        let max = Days(183);
        assert_eq!(
            visit_gap(d("2025-01-01"), d("2025-07-03"), max),
            VisitGap {
                days: 183,
                overdue: false
            }
        );
        assert!(visit_gap(d("2025-01-01"), d("2025-07-04"), max).overdue);
    }

    #[test]
    fn what_each_stage_allows() {
        for &stage in Stage::ALL {
            assert_eq!(stage_refusal(Action::Integrity, stage), None, "{stage:?}");
            for action in [Action::Assign, Action::Visit, Action::Acceptance] {
                let refused = stage_refusal(action, stage).is_some();
                let expected = stage.is_terminal()
                    || (action == Action::Acceptance && stage == Stage::Registration);
                assert_eq!(refused, expected, "{action:?} in {stage:?}");
            }
        }
    }

    #[test]
    fn amounts_in_yuan_and_wan() {
        let (yuan, wan) = (AmountUnit::Yuan, AmountUnit::Wan);
        assert_eq!(parse_amount("", yuan), Ok(0));
        assert_eq!(parse_amount(" 120000 ", yuan), Ok(120_000));
        assert_eq!(parse_amount("1,200,000", yuan), Ok(1_200_000));
        assert_eq!(parse_amount("120000.00", yuan), Ok(120_000));
        assert_eq!(parse_amount("12.5", wan), Ok(125_000));
        assert_eq!(parse_amount("0.0001", wan), Ok(1));
        assert_eq!(parse_amount("30", wan), Ok(300_000));
        assert_eq!(parse_amount("1.23450", wan), Ok(12_345));
        assert!(parse_amount("12.5", yuan).unwrap_err().contains("整数"));
        assert!(
            parse_amount("1.00001", wan)
                .unwrap_err()
                .contains("四位小数")
        );
        assert_eq!(parse_amount("-5", yuan), Err("金额不能为负数".into()));
        for bad in ["abc", "1.2.3", "12.", ".5", "1e6", "１２"] {
            assert!(parse_amount(bad, wan).is_err(), "{bad}");
        }
        assert!(parse_amount("99999999999999999999", yuan).is_err());
        assert!(
            parse_amount("100000000001", wan)
                .unwrap_err()
                .contains("超出范围")
        );
    }

    fn visit() -> VisitFields {
        VisitFields {
            visit_date: "2026-03-01".into(),
            form: "on_site".into(),
            topics: "中试线建设".into(),
            advice: "尽快完成设备验收".into(),
            follow_up: String::new(),
        }
    }

    #[test]
    fn visits() {
        let today = d("2026-03-18");
        let v = visit().validate(today).expect("valid");
        assert_eq!(v.form, VisitForm::OnSite);
        assert_eq!(v.visit_date, d("2026-03-01"));

        let bad = VisitFields {
            visit_date: "2026-03-19".into(),
            form: "telepathy".into(),
            topics: " ".into(),
            advice: "议".repeat(2001),
            follow_up: "跟".repeat(1001),
        }
        .validate(today)
        .expect_err("invalid");
        assert_eq!(bad.get("visit_date"), "日期不能晚于今天");
        assert_eq!(bad.get("form"), "请选择服务形式");
        assert_eq!(bad.get("topics"), "请填写服务主题");
        assert!(bad.get("advice").contains("2000"));
        assert!(bad.get("follow_up").contains("1000"));
        let bad = VisitFields {
            visit_date: "2026-02-30".into(),
            ..visit()
        }
        .validate(today)
        .expect_err("bad date");
        assert_eq!(
            bad.get("visit_date"),
            "日期格式应为年-月-日（如 2026-03-31）"
        );
    }

    fn acceptance(result: &str) -> AcceptanceFields {
        AcceptanceFields {
            result: result.into(),
            accepted_on: "2024-07-15".into(),
            remarks: String::new(),
            document_id: String::new(),
        }
    }

    fn cx(ids: &[i64]) -> AcceptanceContext<'_> {
        AcceptanceContext {
            today: d("2026-03-18"),
            construction_start: Some(d("2021-07-01")),
            construction_end: Some(d("2024-06-30")),
            report_ids: ids,
        }
    }

    #[test]
    fn acceptances() {
        let a = acceptance("passed").validate(cx(&[])).expect("valid");
        assert_eq!(a.result, AcceptanceResult::Passed);
        assert_eq!(a.document_id, None);

        let with_doc = AcceptanceFields {
            document_id: "7".into(),
            ..acceptance("failed")
        };
        assert_eq!(
            with_doc.validate(cx(&[7])).expect("valid").document_id,
            Some(7)
        );
        // A document that is not one of this platform's reports.
        let errors = with_doc.validate(cx(&[8])).expect_err("foreign");
        assert_eq!(errors.get("document_id"), "请从本平台的验收报告中选择");

        let errors = acceptance("conditional")
            .validate(cx(&[]))
            .expect_err("conditions");
        assert_eq!(errors.get("remarks"), "有条件通过时请写明所附条件");

        let errors = AcceptanceFields {
            accepted_on: "2020-01-01".into(),
            ..acceptance("maybe")
        }
        .validate(cx(&[]))
        .expect_err("invalid");
        assert_eq!(errors.get("result"), "请选择验收结论");
        assert!(errors.get("accepted_on").contains("2021-07-01"));

        let no_end = AcceptanceContext {
            construction_end: None,
            ..cx(&[])
        };
        let errors = acceptance("passed").validate(no_end).expect_err("no end");
        assert!(errors.get("form").contains("建设期结束日期"));
    }

    #[test]
    fn integrity_records() {
        let today = d("2026-03-18");
        let r = IntegrityFields {
            occurred_on: "2025-05-20".into(),
            serious: "yes".into(),
            description: "项目经费违规使用".into(),
            funds: "35.5".into(),
            funds_unit: "wan".into(),
        }
        .validate(today)
        .expect("valid");
        assert!(r.serious);
        assert_eq!(r.funds_to_recover, 355_000);

        let errors = IntegrityFields {
            occurred_on: String::new(),
            serious: String::new(),
            description: String::new(),
            funds: "十万".into(),
            funds_unit: "yuan".into(),
        }
        .validate(today)
        .expect_err("invalid");
        assert_eq!(errors.get("occurred_on"), "请填写日期");
        assert_eq!(errors.get("serious"), "请选择是否属于严重违规");
        assert_eq!(errors.get("description"), "请填写违规情况");
        assert!(errors.get("funds").starts_with("请填写数字金额"));
        assert_eq!(errors.len(), 4);
    }

    #[test]
    fn accounts_come_from_the_offered_list() {
        let mut errors = FieldErrors::default();
        assert_eq!(choose_account("", "advisor_id", &[3], &mut errors), None);
        assert_eq!(
            choose_account("3", "advisor_id", &[3], &mut errors),
            Some(3)
        );
        assert!(errors.is_empty());
        assert_eq!(choose_account("4", "advisor_id", &[3], &mut errors), None);
        assert_eq!(choose_account("x", "staff_id", &[3], &mut errors), None);
        assert_eq!(errors.get("advisor_id"), "请从列表中选择");
        assert_eq!(errors.get("staff_id"), "请从列表中选择");
    }
}
