//! The policy library's parameter form: a new value for one rule parameter, typed by city staff, with the
//! reason for the change (POLICY-RULES.md "Parameters": each change with its reason, author and date kept).

use serde_json::Value;

use super::annual::is_cycle_deadline;
use super::compliance::{ParamKey, ParamValue, Params};
use super::validation::FieldErrors;

/// The longest reason kept (the history shows it in full).
pub const MAX_REASON_CHARS: usize = 200;

/// A valid change of one parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamChange {
    pub key: ParamKey,
    pub value: ParamValue,
    pub reason: String,
}

/// Checks the form for parameter `key`: `value` as typed (digits, or `MM-DD` for a deadline) and `reason`.
/// Errors name the form fields `value` and `reason`. The three cycle deadlines are refused: the year's cycle
/// configuration is their only source.
pub fn parse(key: &str, value: &str, reason: &str) -> Result<ParamChange, FieldErrors> {
    let mut errors = FieldErrors::default();
    let Some((key, def)) = ParamKey::lookup(key) else {
        errors.add("value", "没有这个参数");
        return Err(errors);
    };
    if is_cycle_deadline(&key.to_string()) {
        errors.add(
            "value",
            "该截止日期由年度工作配置决定，请在“年度配置”中修改当年的截止日期",
        );
        return Err(errors);
    }
    let value = value.trim();
    let parsed = if value.is_empty() {
        None
    } else {
        let json = match def.default {
            ParamValue::MonthDay(_) => Some(Value::String(value.to_owned())),
            _ => serde_json::from_str::<Value>(value)
                .ok()
                .filter(Value::is_number),
        };
        json.and_then(|json| {
            let mut params = Params::new();
            params.set_json(&key.to_string(), &json).ok()?;
            params.value(&key.to_string())
        })
    };
    if parsed.is_none() {
        errors.add("value", format!("请填写{}", def.default.kind_zh()));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        errors.add("reason", "请填写修改原因（将记入参数修改历史）");
    } else if reason.chars().count() > MAX_REASON_CHARS {
        errors.add("reason", format!("修改原因不超过 {MAX_REASON_CHARS} 个字"));
    }
    match parsed {
        Some(value) if errors.is_empty() => Ok(ParamChange {
            key,
            value,
            reason: reason.to_owned(),
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_change_is_typed_by_the_parameter() {
        let c = parse(
            "MKT-BREAK-EVEN.transition_months",
            " 30 ",
            " 市局会议决定延长过渡期 ",
        )
        .expect("valid");
        assert_eq!(c.key.to_string(), "MKT-BREAK-EVEN.transition_months");
        assert_eq!(c.value.to_string(), "30");
        assert_eq!(c.reason, "市局会议决定延长过渡期");
        let f = parse("RECT-PROGRESS.min_target_completion", "0.5", "调整").expect("fraction");
        assert_eq!(f.value.to_string(), "0.5");
    }

    #[test]
    fn bad_values_name_the_field_with_the_kind() {
        for bad in ["", "abc", "-1", "2.5", "101", "1e9999"] {
            let e = parse("MKT-CHANNELS.max_channel_percent", bad, "原因").expect_err(bad);
            assert!(e.get("value").contains("百分比"), "{bad}: {e:?}");
            assert!(!e.has("reason"));
        }
        let e = parse("RECT-PROGRESS.min_target_completion", "1.5", "原因").expect_err("range");
        assert!(e.get("value").contains("0–1"), "{e:?}");
    }

    #[test]
    fn a_reason_is_required_and_bounded() {
        let e = parse("INTEG-BAN.ban_months", "24", "  ").expect_err("no reason");
        assert!(e.get("reason").contains("修改原因"));
        assert!(!e.has("value"));
        let long = "因".repeat(MAX_REASON_CHARS + 1);
        assert!(
            parse("INTEG-BAN.ban_months", "24", &long)
                .expect_err("long")
                .has("reason")
        );
        assert!(parse("INTEG-BAN.ban_months", "24", &"因".repeat(MAX_REASON_CHARS)).is_ok());
    }

    #[test]
    fn deadlines_and_unknown_keys_are_refused() {
        let e = parse("EVAL-FILING.deadline", "04-30", "原因").expect_err("deadline");
        assert!(e.get("value").contains("年度"), "{e:?}");
        assert!(parse("NOPE.x", "1", "原因").is_err());
    }
}
