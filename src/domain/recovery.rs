//! After a 退/转/并 decision (NT10 三(一)): the funds to recover and the end of
//! the co-building agreement, recorded with the decision, and the recoveries (追回) recorded against them —
//! never more than the amount to recover. Pure: parsing and the cap.

use chrono::NaiveDate;
use serde::Serialize;

use super::rectification::DecisionKind;
use super::validation::FieldErrors;

/// The largest amount accepted, in yuan (as [`super::money::Yuan::MAX`]).
const MAX_YUAN: i64 = 1_000_000_000_000_000;
const BASIS_MAX: usize = 2000;
const VOUCHER_MAX: usize = 200;
const NOTE_MAX: usize = 1000;

/// The settlement part of the 退/转/并/留 proposal form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SettlementFields {
    pub funds_to_recover: String,
    pub funds_basis: String,
    pub agreement_end: String,
}

/// What a 退/转/并 decision settles: the funds to recover (whole yuan, may be 0) with their basis, and the
/// co-building agreement's end (`None`: the decision date, filled in when the decision takes effect).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settlement {
    pub funds_to_recover: i64,
    pub funds_basis: String,
    pub agreement_end: Option<NaiveDate>,
}

/// A whole number of yuan: digits, optionally grouped with commas ("1,200,000"); `None` if blank.
fn parse_yuan(input: &str) -> Result<Option<i64>, &'static str> {
    let cleaned: String = input
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != '，')
        .collect();
    if cleaned.is_empty() {
        return Ok(None);
    }
    if !cleaned.bytes().all(|b| b.is_ascii_digit()) {
        return Err("金额须为不小于0的整数（单位：元）");
    }
    match cleaned.parse::<i64>() {
        Ok(n) if n <= MAX_YUAN => Ok(Some(n)),
        _ => Err("金额超出范围（不得超过 10^15 元）"),
    }
}

fn parse_date(input: &str) -> Result<Option<NaiveDate>, &'static str> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    match NaiveDate::parse_from_str(input, "%Y-%m-%d") {
        Ok(d) if (2000..=2100).contains(&chrono::Datelike::year(&d)) => Ok(Some(d)),
        _ => Err("日期格式应为年-月-日（如 2026-03-31）（2000–2100年）"),
    }
}

/// Reads the settlement for a decision of `kind`: for 退/转/并 the amount (blank or 0: nothing to recover), its
/// basis when it is not 0, the agreement's end (optional), nothing for 留 (what was typed is ignored). Errors under
/// `funds_to_recover`, `funds_basis`, `agreement_end`.
pub fn parse_settlement(
    kind: Option<DecisionKind>,
    f: &SettlementFields,
) -> Result<Option<Settlement>, FieldErrors> {
    let mut errors = FieldErrors::default();
    if matches!(kind, None | Some(DecisionKind::Retain)) {
        return Ok(None);
    }
    // Blank: nothing to recover (0), as the form's hint says.
    let amount = match parse_yuan(&f.funds_to_recover) {
        Ok(n) => Some(n.unwrap_or(0)),
        Err(msg) => {
            errors.add("funds_to_recover", msg);
            None
        }
    };
    let basis = f.funds_basis.trim().to_owned();
    if basis.chars().count() > BASIS_MAX {
        errors.add("funds_basis", format!("追回依据不超过{BASIS_MAX}字"));
    } else if basis.is_empty() && amount.is_some_and(|n| n > 0) {
        errors.add(
            "funds_basis",
            "请填写追回依据（如协议条款、审计结论、拨付文件）",
        );
    }
    let agreement_end = match parse_date(&f.agreement_end) {
        Ok(d) => d,
        Err(msg) => {
            errors.add("agreement_end", msg);
            None
        }
    };
    match amount {
        Some(funds_to_recover) if errors.is_empty() => Ok(Some(Settlement {
            funds_to_recover,
            funds_basis: basis,
            agreement_end,
        })),
        _ => Err(errors),
    }
}

/// The recovery form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RecoveryFields {
    pub recovered_on: String,
    pub amount: String,
    pub voucher: String,
    pub note: String,
}

/// One recovery to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecoveryDraft {
    pub recovered_on: NaiveDate,
    pub amount: i64,
    pub voucher: String,
    pub note: String,
}

/// What remains to recover: `to_recover − recovered` (never below 0).
pub fn outstanding(to_recover: i64, recovered: i64) -> i64 {
    (to_recover - recovered).max(0)
}

/// Reads a recovery: a date not after `today` and not before the decision (`decided_on`), a positive amount
/// not above what remains (`to_recover − recovered`), a voucher number. Errors under the field names.
pub fn parse_recovery(
    f: &RecoveryFields,
    today: NaiveDate,
    decided_on: Option<NaiveDate>,
    to_recover: i64,
    recovered: i64,
) -> Result<RecoveryDraft, FieldErrors> {
    let mut errors = FieldErrors::default();
    let date = match parse_date(&f.recovered_on) {
        Ok(None) => {
            errors.add("recovered_on", "请填写追回日期");
            None
        }
        Ok(Some(d)) if d > today => {
            errors.add("recovered_on", "追回日期不能晚于今天");
            None
        }
        Ok(Some(d)) if decided_on.is_some_and(|start| d < start) => {
            errors.add(
                "recovered_on",
                format!(
                    "追回日期不能早于退/转/并决定生效日期（{}）",
                    decided_on.unwrap_or(d)
                ),
            );
            None
        }
        Ok(d) => d,
        Err(msg) => {
            errors.add("recovered_on", msg);
            None
        }
    };
    let left = outstanding(to_recover, recovered);
    let amount = match parse_yuan(&f.amount) {
        Ok(None) => {
            errors.add("amount", "请填写追回金额（元）");
            None
        }
        Ok(Some(0)) => {
            errors.add("amount", "追回金额须大于0");
            None
        }
        Ok(Some(n)) if n > left => {
            errors.add(
                "amount",
                format!(
                    "追回金额{n}元超过尚待追回的{left}元（应追回{to_recover}元，已追回{recovered}元），不能多追回"
                ),
            );
            None
        }
        Ok(n) => n,
        Err(msg) => {
            errors.add("amount", msg);
            None
        }
    };
    let voucher = f.voucher.trim().to_owned();
    if voucher.is_empty() {
        errors.add("voucher", "请填写凭证号（如缴款书、银行回单编号）");
    } else if voucher.chars().count() > VOUCHER_MAX {
        errors.add("voucher", format!("凭证号不超过{VOUCHER_MAX}字"));
    }
    let note = f.note.trim().to_owned();
    if note.chars().count() > NOTE_MAX {
        errors.add("note", format!("备注不超过{NOTE_MAX}字"));
    }
    match (date, amount) {
        (Some(recovered_on), Some(amount)) if errors.is_empty() => Ok(RecoveryDraft {
            recovered_on,
            amount,
            voucher,
            note,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn fields(amount: &str, basis: &str, end: &str) -> SettlementFields {
        SettlementFields {
            funds_to_recover: amount.into(),
            funds_basis: basis.into(),
            agreement_end: end.into(),
        }
    }

    #[test]
    fn exit_convert_merge_record_the_funds_retain_does_not() {
        for kind in [
            DecisionKind::Exit,
            DecisionKind::Convert,
            DecisionKind::Merge,
        ] {
            let s = parse_settlement(
                Some(kind),
                &fields("1,200,000", " 共建协议第八条 ", "2026-06-30"),
            )
            .unwrap()
            .unwrap();
            assert_eq!(s.funds_to_recover, 1_200_000);
            assert_eq!(s.funds_basis, "共建协议第八条");
            assert_eq!(s.agreement_end, Some(d(2026, 6, 30)));
        }
        assert_eq!(
            parse_settlement(Some(DecisionKind::Retain), &fields("abc", "", "x")),
            Ok(None)
        );
        assert_eq!(parse_settlement(None, &fields("", "", "")), Ok(None));
    }

    #[test]
    fn zero_needs_no_basis_and_the_end_defaults_later() {
        for zero in ["0", "", " "] {
            let s = parse_settlement(Some(DecisionKind::Exit), &fields(zero, "", ""))
                .unwrap()
                .unwrap();
            assert_eq!(s.funds_to_recover, 0);
            assert_eq!(s.agreement_end, None);
        }
    }

    #[test]
    fn settlement_errors_are_in_chinese_next_to_their_fields() {
        let e =
            parse_settlement(Some(DecisionKind::Exit), &fields("", "", "2026-02-30")).unwrap_err();
        assert!(!e.has("funds_to_recover"), "blank is 0");
        assert!(e.get("agreement_end").contains("日期格式"));
        let e = parse_settlement(Some(DecisionKind::Exit), &fields("-5", "", "")).unwrap_err();
        assert_eq!(
            e.get("funds_to_recover"),
            "金额须为不小于0的整数（单位：元）"
        );
        let e = parse_settlement(Some(DecisionKind::Exit), &fields("12.5", "", "")).unwrap_err();
        assert!(e.has("funds_to_recover"));
        let e = parse_settlement(Some(DecisionKind::Exit), &fields("100", "", "")).unwrap_err();
        assert!(e.get("funds_basis").contains("请填写追回依据"));
    }

    fn rec(date: &str, amount: &str, voucher: &str) -> RecoveryFields {
        RecoveryFields {
            recovered_on: date.into(),
            amount: amount.into(),
            voucher: voucher.into(),
            note: String::new(),
        }
    }

    #[test]
    fn a_recovery_never_exceeds_what_remains() {
        let today = d(2026, 12, 3);
        let ok = parse_recovery(
            &rec("2026-12-01", "300000", "JK-1"),
            today,
            None,
            1_000_000,
            700_000,
        )
        .unwrap();
        assert_eq!(ok.amount, 300_000);
        let e = parse_recovery(
            &rec("2026-12-01", "300001", "JK-1"),
            today,
            None,
            1_000_000,
            700_000,
        )
        .unwrap_err();
        assert_eq!(
            e.get("amount"),
            "追回金额300001元超过尚待追回的300000元（应追回1000000元，已追回700000元），不能多追回"
        );
        assert_eq!(outstanding(100, 150), 0);
    }

    #[test]
    fn a_recovery_needs_a_past_date_a_positive_amount_and_a_voucher() {
        let today = d(2026, 12, 3);
        let e = parse_recovery(&rec("2026-12-04", "0", " "), today, None, 10, 0).unwrap_err();
        assert_eq!(e.get("recovered_on"), "追回日期不能晚于今天");
        assert_eq!(e.get("amount"), "追回金额须大于0");
        assert!(e.get("voucher").starts_with("请填写凭证号"));
        let e = parse_recovery(
            &rec("2026-01-01", "5", "V"),
            today,
            Some(d(2026, 2, 1)),
            10,
            0,
        )
        .unwrap_err();
        assert!(e.get("recovered_on").contains("2026-02-01"));
        let e = parse_recovery(&rec("", "", "V"), today, None, 10, 0).unwrap_err();
        assert_eq!(e.get("recovered_on"), "请填写追回日期");
        assert_eq!(e.get("amount"), "请填写追回金额（元）");
    }
}
