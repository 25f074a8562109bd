//! E-mail notices, the pure part: which notices are reminders (a user may turn their e-mails
//! off; decisions always go out), an e-mail address as the system admin types it, the Chinese
//! subject and body of the e-mail copy of a notice, and the sender's retry schedule.

use std::time::Duration;

use chrono::NaiveDate;

/// Whether a notice of this stored kind is a reminder (deadline 14/3/0 days, an overdue
/// checklist item) rather than a decision or event. The same rule as the database's
/// `kc_is_reminder` (migration 0020), which decides what is queued.
pub fn is_reminder(kind: &str) -> bool {
    kind.starts_with("deadline.") || kind.starts_with("overdue.")
}

/// A checked e-mail address: trimmed, lower-case domain; None for an empty field (no e-mail).
pub fn check_address(input: &str) -> Result<Option<String>, &'static str> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    const MESSAGE: &str = "请填写有效的电子邮箱地址，如 zhangsan@example.cn";
    if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(MESSAGE);
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return Err(MESSAGE);
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_alphabetic()));
    if !(local_ok && domain_ok) {
        return Err(MESSAGE);
    }
    Ok(Some(format!("{local}@{}", domain.to_ascii_lowercase())))
}

/// What the notice is about, for the subject line (by the notice's stored kind).
pub fn topic_zh(kind: &str) -> &'static str {
    match kind {
        "deadline.filing" => "年初备案截止提醒",
        "deadline.midyear" => "半年过堂截止提醒",
        "deadline.yearend" => "年底评估截止提醒",
        "overdue.checklist" => "清单事项已逾期",
        "event.registration_returned" => "设立登记被退回补正",
        "event.registration_approved" => "设立登记已审批通过",
        "event.filing_returned" => "年初备案被退回",
        "event.filing_approved" => "年初备案已审核通过",
        "event.midyear_reviewed" => "半年过堂意见",
        "event.expert_assigned" => "新的评审任务",
        "event.results_published" => "年度评估结果已发布",
        "event.rectification_opened" => "退出整改已启动",
        "event.rectification_decided" => "退出整改决定",
        "event.evaluation_county_returned" | "event.evaluation_city_returned" => {
            "年度评估材料被退回"
        }
        "event.evaluation_county_passed" | "event.evaluation_city_passed" => "年度评估材料审核通过",
        _ => "新的通知",
    }
}

/// The subject: the topic, and for a reminder its deadline (the e-mail may be read days later,
/// so it names the date rather than "还剩 N 天").
pub fn subject_zh(kind: &str, due_on: Option<NaiveDate>) -> String {
    match due_on {
        Some(due) if kind.starts_with("deadline.") => {
            format!("【科创平台】{}（截止日期 {due}）", topic_zh(kind))
        }
        _ => format!("【科创平台】{}", topic_zh(kind)),
    }
}

/// The body: the notice's own text, the full link to where it is handled, and for reminders
/// where to turn their e-mails off. `base_url` has no trailing slash; `link` is a local path.
pub fn body_zh(display_name: &str, kind: &str, text: &str, base_url: &str, link: &str) -> String {
    let mut body = format!(
        "{display_name}，您好：\n\n{text}\n\n请登录科创平台全周期管理平台查看和办理：\n{base_url}{link}\n"
    );
    if is_reminder(kind) {
        body.push_str(&format!(
            "\n不想通过邮件接收截止提醒和逾期提醒，可在“通知设置”中关闭：\n{base_url}/notices/settings\n（退回、通过、分配任务、发布结果等通知仍会发送。）\n"
        ));
    }
    body.push_str("\n此邮件由系统自动发送，请勿直接回复。\n");
    body
}

/// Tries of one e-mail before it is given up as failed.
pub const MAX_ATTEMPTS: i32 = 8;

/// The wait after the `attempts`-th failed try: 1 minute, doubling, at most 6 hours (eight tries
/// span about four hours).
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 20) - 1;
    Duration::from_secs((60u64 << exp).min(6 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminders_and_decisions() {
        assert!(is_reminder("deadline.filing"));
        assert!(is_reminder("overdue.checklist"));
        assert!(!is_reminder("event.filing_returned"));
        assert!(!is_reminder("event.results_published"));
    }

    #[test]
    fn addresses() {
        assert_eq!(check_address("  "), Ok(None));
        assert_eq!(
            check_address(" Zhang.San@KJJ.Nantong.gov.cn "),
            Ok(Some("Zhang.San@kjj.nantong.gov.cn".into()))
        );
        for bad in [
            "zhangsan",
            "zhang san@example.cn",
            "@example.cn",
            "a@b",
            "a@-b.cn",
            "a..b@example.cn",
            "张三@example.cn",
            "a@example.c0m",
            "a@example..cn",
            "a@b@example.cn",
        ] {
            assert!(check_address(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn subject_and_body() {
        let due = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        assert_eq!(
            subject_zh("deadline.filing", Some(due)),
            "【科创平台】年初备案截止提醒（截止日期 2026-03-31）"
        );
        assert_eq!(
            subject_zh("event.filing_returned", None),
            "【科创平台】年初备案被退回"
        );
        assert_eq!(
            subject_zh("event.something_new", None),
            "【科创平台】新的通知"
        );
        let body = body_zh(
            "张三",
            "event.filing_returned",
            "示例平台：2026 年度年初备案被退回",
            "https://kc.example.cn",
            "/platforms/7/annual?year=2026",
        );
        assert!(body.contains("https://kc.example.cn/platforms/7/annual?year=2026"));
        assert!(!body.contains("通知设置"));
        let reminder = body_zh("张三", "deadline.filing", "…", "http://h", "/x");
        assert!(reminder.contains("http://h/notices/settings"));
    }

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        assert_eq!(backoff(1), Duration::from_secs(60));
        assert_eq!(backoff(2), Duration::from_secs(120));
        assert_eq!(backoff(4), Duration::from_secs(480));
        assert_eq!(backoff(30), Duration::from_secs(6 * 3600));
    }
}
