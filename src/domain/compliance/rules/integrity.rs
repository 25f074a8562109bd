//! Research integrity (JY 新型研发机构 四(四)): a serious violation bars the platform for [36] months.

use super::{Ctx, Outcome};
use crate::domain::compliance::Status;
use crate::domain::compliance::catalogue::BAN_MONTHS;
use crate::domain::operation::{active_ban, ban_end};

/// INTEG-BAN: fail while `date ≤ as_of < date + [36] months` for some serious violation. `banned_until` is that end date
/// (`date + 36 months`, the first day the platform is no longer barred). The ban itself is computed in
/// `domain::operation` (the operation page shows it too).
pub(crate) fn ban(c: &Ctx<'_>) -> Outcome {
    let months = c.params.get(&BAN_MONTHS);
    let serious: Vec<_> = c
        .platform
        .integrity_violations
        .iter()
        .filter(|v| v.serious)
        .map(|v| v.date)
        .collect();
    let months_n = months.0;
    let outcome = match active_ban(serious.iter().copied(), c.as_of, months) {
        Some(ban) => {
            let (date, until) = (ban.violation_date, ban.until);
            Outcome::new(
                Status::Fail,
                format!(
                    "{date}有严重科研失信行为，限制期{months_n}个月，至{until}解除：按江阴市行动计划 新型研发机构 四(四)，限制期内不得参与绩效评价，并按规定追回有关财政资金。"
                ),
            )
            .fact("violation_date", date)
            .fact("banned_until", until)
        }
        None if !serious.iter().any(|d| *d <= c.as_of) => {
            Outcome::new(Status::Pass, "无严重科研失信记录。")
        }
        None => {
            let last_end = serious
                .iter()
                .filter(|d| **d <= c.as_of)
                .map(|d| ban_end(*d, months))
                .max();
            Outcome::new(
                Status::Pass,
                format!(
                    "严重科研失信行为的限制期已届满（{}解除）。",
                    last_end.map(|d| d.to_string()).unwrap_or_default()
                ),
            )
            .fact("banned_until", last_end)
        }
    };
    outcome
        .fact("serious_violations", serious.len())
        .fact("ban_months", months_n)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::domain::compliance::Status;
    use crate::domain::compliance::snapshot::IntegrityViolation;
    use crate::domain::compliance::test_support::*;
    use crate::domain::platform::Stage;

    fn violation(date: &str, serious: bool) -> IntegrityViolation {
        IntegrityViolation {
            date: d(date),
            serious,
        }
    }

    #[test]
    fn no_serious_violation_passes() {
        let mut s = healthy();
        assert_eq!(status(&s, "INTEG-BAN"), Status::Pass);
        s.platform.integrity_violations = vec![violation("2026-01-01", false)];
        assert_eq!(status(&s, "INTEG-BAN"), Status::Pass);
    }

    #[test]
    fn ban_lasts_until_the_day_before_date_plus_36_months() {
        let mut s = healthy_as_of("2026-06-14");
        s.platform.integrity_violations = vec![violation("2023-06-15", true)];
        let f = finding(&s, "INTEG-BAN");
        assert_eq!(f.status, Status::Fail);
        assert_eq!(f.facts["banned_until"], json!("2026-06-15"));
        assert_eq!(f.facts["violation_date"], json!("2023-06-15"));
        s.as_of = d("2026-06-15");
        assert_eq!(status(&s, "INTEG-BAN"), Status::Pass);
    }

    #[test]
    fn ban_end_clamps_to_month_end() {
        // 2024-02-29 + 36 months = 2027-02-28.
        let mut s = healthy_as_of("2027-02-27");
        s.platform.integrity_violations = vec![violation("2024-02-29", true)];
        assert_eq!(fact(&s, "INTEG-BAN", "banned_until"), json!("2027-02-28"));
        assert_eq!(status(&s, "INTEG-BAN"), Status::Fail);
        s.as_of = d("2027-02-28");
        assert_eq!(status(&s, "INTEG-BAN"), Status::Pass);
    }

    #[test]
    fn latest_active_ban_is_reported() {
        let mut s = healthy();
        s.platform.integrity_violations = vec![
            violation("2025-01-10", true),
            violation("2024-05-01", true),
            violation("2026-01-01", false),
        ];
        let f = finding(&s, "INTEG-BAN");
        assert_eq!(f.status, Status::Fail);
        assert_eq!(f.facts["banned_until"], json!("2028-01-10"));
        assert_eq!(f.facts["serious_violations"], json!(2));
    }

    #[test]
    fn ban_counts_from_the_violation_date() {
        let mut s = healthy_as_of("2026-11-20");
        s.platform.integrity_violations = vec![violation("2026-11-21", true)];
        let f = finding(&s, "INTEG-BAN");
        assert_eq!(f.status, Status::Pass);
        assert!(!f.message.contains("届满"), "{}", f.message);
        s.as_of = d("2026-11-21");
        let f = finding(&s, "INTEG-BAN");
        assert_eq!(f.status, Status::Fail);
        assert_eq!(f.facts["banned_until"], json!("2029-11-21"));
    }

    #[test]
    fn ban_length_is_a_parameter_and_applies_in_registration() {
        let mut s = healthy();
        s.platform.stage = Stage::Registration;
        s.platform.integrity_violations = vec![violation("2024-01-01", true)];
        assert_eq!(status(&s, "INTEG-BAN"), Status::Fail);
        set_param(&mut s, "INTEG-BAN.ban_months", json!(24));
        let f = finding(&s, "INTEG-BAN");
        assert_eq!(f.status, Status::Pass);
        assert_eq!(f.facts["banned_until"], json!("2026-01-01"));
    }
}
