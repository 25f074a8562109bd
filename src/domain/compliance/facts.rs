//! How a finding's facts and a rule's parameters read in Chinese: one table giving every fact key
//! (and parameter name) a label and a format — percent with one decimal, 万元 with two decimals,
//! dates, enum codes through their Chinese labels, booleans as 是/否.

use serde_json::Value;

use super::ParamDef;
use super::snapshot::{Acceptance, Channel, Charter, FilingStatus, Grade};
use crate::domain::money;
use crate::domain::platform::{Category, DecisionBodyKind, Level, Stage};

/// How a value is shown.
#[derive(Clone, Copy, Debug)]
pub enum Format {
    /// A whole number with its unit (`3 人`).
    Count(&'static str),
    /// A fraction 0–1 shown as a percentage with one decimal (`91.6%`).
    Fraction,
    /// A whole percentage (`70%`).
    Percent,
    /// Whole yuan shown in 万元 with two decimals.
    Wan,
    /// `YYYY-MM-DD`, or `MM-DD` for a yearly date (`每年 3月31日`).
    Date,
    /// A year (`2025 年`).
    Year,
    /// 是 / 否.
    Bool,
    /// A code shown through its Chinese label.
    Code(fn(&str) -> Option<&'static str>),
}

/// One fact key (or parameter name) and how it reads.
#[derive(Clone, Copy, Debug)]
pub struct FactDef {
    pub key: &'static str,
    pub label: &'static str,
    pub format: Format,
}

const fn def(key: &'static str, label: &'static str, format: Format) -> FactDef {
    FactDef { key, label, format }
}

fn category(c: &str) -> Option<&'static str> {
    Category::parse(c).map(Category::label_zh)
}
fn stage(c: &str) -> Option<&'static str> {
    Stage::parse(c).map(Stage::label_zh)
}
fn level(c: &str) -> Option<&'static str> {
    Level::parse(c).map(Level::label_zh)
}
fn grade(c: &str) -> Option<&'static str> {
    Grade::parse(c).map(Grade::label_zh)
}
fn filing(c: &str) -> Option<&'static str> {
    FilingStatus::parse(c).map(FilingStatus::label_zh)
}
fn charter(c: &str) -> Option<&'static str> {
    Charter::parse(c).map(Charter::label_zh)
}
fn acceptance(c: &str) -> Option<&'static str> {
    Acceptance::parse(c).map(Acceptance::label_zh)
}
fn channel(c: &str) -> Option<&'static str> {
    Channel::parse(c).map(Channel::label_zh)
}
fn body_kind(c: &str) -> Option<&'static str> {
    DecisionBodyKind::parse(c).map(DecisionBodyKind::label_zh)
}

use Format::*;

/// Every fact key the rules write and every parameter name, with its label and format.
pub static FACTS: &[FactDef] = &[
    def("year", "年度", Year),
    def("stage", "平台阶段", Code(stage)),
    def("category", "平台类别", Code(category)),
    def("level", "平台级别", Code(level)),
    def("charter", "章程", Code(charter)),
    def("bodies", "决策机构", Count("个")),
    def("qualifying_body", "符合要求的决策机构", Code(body_kind)),
    def("min_members", "成员至少", Count("人")),
    def("co_building_agreement", "共建协议已备案", Bool),
    def("construction_plan", "建设方案已备案", Bool),
    def("advisor_assigned", "已配备产业顾问", Bool),
    def("last_advisor_log", "最近一次顾问服务", Date),
    def("days_since_last_log", "距最近一次服务", Count("天")),
    def("max_log_gap_days", "服务间隔最长", Count("天")),
    def("items", "清单事项", Count("项")),
    def("overdue", "逾期事项", Count("项")),
    def("responsible_staff_assigned", "已落实专人专班", Bool),
    def("deadline", "截止日期", Date),
    def("filing", "年初备案", Code(filing)),
    def("filing_date", "备案日期", Date),
    def("midyear_date", "半年过堂日期", Date),
    def("evaluation_date", "年底评估日期", Date),
    def("operating_since", "登记通过日期", Date),
    def("construction_end", "建设期满日期", Date),
    def("acceptance", "建设期满验收", Code(acceptance)),
    def("due", "验收期限", Date),
    def("grace_months", "建设期满后验收宽限期", Count("个月")),
    def("transition_months", "建设期满后收支平衡期限", Count("个月")),
    def("self_income_yuan", "自主收入", Wan),
    def("expenditure_yuan", "支出", Wan),
    def("ratio", "收支比", Fraction),
    def("active_channels", "有收入的渠道", Count("个")),
    def("min_channels", "收入渠道至少", Count("个")),
    def("largest_channel", "最大收入渠道", Code(channel)),
    def("largest_share", "最大渠道占比", Fraction),
    def("max_channel_percent", "单一渠道占比至多", Percent),
    def("mode_selected", "已选择“平台+运营管理公司”模式", Bool),
    def("company_on_file", "已登记运营管理公司", Bool),
    def("mgmt_cash_controlling", "管理层货币出资控股", Bool),
    def("service_income_yuan", "服务订单与技术合同收入", Wan),
    def("share", "服务收入占比", Fraction),
    def("min_service_percent", "服务收入占比至少", Percent),
    def("major_tasks", "承担国家、省重大任务", Count("项")),
    def("min_major_tasks", "重大任务至少", Count("项")),
    def("target_completion", "目标完成度", Fraction),
    def("min_target_completion", "目标完成度至少", Fraction),
    def("previous_transfer_income_yuan", "上一年成果转化收入", Wan),
    def("transfer_income_yuan", "成果转化收入", Wan),
    def("previous_self_income_yuan", "上一年自主收入", Wan),
    def("self_income_decline", "自主收入降幅", Fraction),
    def("previous_rnd_staff", "上一年研发人员", Count("人")),
    def("rnd_staff", "研发人员", Count("人")),
    def("rnd_staff_decline", "研发人员降幅", Fraction),
    def("decline_percent", "降幅预警线", Percent),
    def("grade", "评估等次", Code(grade)),
    def("open_rectification_case", "有在办整改案件", Bool),
    def("violation_date", "失信行为日期", Date),
    def("banned_until", "限制期至", Date),
    def("serious_violations", "严重科研失信记录", Count("条")),
    def("ban_months", "限制期", Count("个月")),
    def("min_value_yuan", "须开放共享的仪器单价下限", Wan),
    def("qualifying", "须开放共享的仪器设备", Count("台（套）")),
    def("not_shared", "未开放共享", Count("台（套）")),
    def("eligible", "符合市县共建资格", Bool),
    def("first_support_end", "首轮支持期满", Date),
    def("previous_grade", "前年等次", Code(grade)),
    def("last_grade", "上一年等次", Code(grade)),
];

/// The entry for a key.
pub fn fact_def(key: &str) -> Option<&'static FactDef> {
    FACTS.iter().find(|f| f.key == key)
}

/// A key's label; an unknown key reads as its words (`some_key` → `some key`), never as snake_case.
pub fn label(key: &str) -> String {
    match fact_def(key) {
        Some(d) => d.label.to_owned(),
        None => key.replace('_', " "),
    }
}

fn percent1(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn date(s: &str) -> String {
    let parts: Vec<&str> = s.split('-').collect();
    let n = |p: &str| p.parse::<u32>().ok();
    match parts.as_slice() {
        [y, m, d] => match (n(m), n(d)) {
            (Some(m), Some(d)) if y.len() == 4 => format!("{y}年{m}月{d}日"),
            _ => s.to_owned(),
        },
        [m, d] => match (n(m), n(d)) {
            (Some(m), Some(d)) => format!("每年{m}月{d}日"),
            _ => s.to_owned(),
        },
        _ => s.to_owned(),
    }
}

fn number(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
        Some(x) => format!("{:.2}", x),
        None => v.to_string(),
    }
}

/// A value as shown, per the key's format; null is "—".
pub fn value_text(key: &str, v: &Value) -> String {
    if v.is_null() {
        return "—".into();
    }
    let Some(d) = fact_def(key) else {
        return generic(v);
    };
    match (d.format, v) {
        (Count(unit), Value::Number(_)) => format!("{} {unit}", number(v)),
        (Fraction, Value::Number(n)) => n.as_f64().map_or_else(|| generic(v), percent1),
        (Percent, Value::Number(_)) => format!("{}%", number(v)),
        (Wan, Value::Number(n)) => match n.as_i64() {
            Some(y) => format!("{} 万元", money::wan(y)),
            None => n.as_f64().map_or_else(
                || generic(v),
                |y| format!("{} 万元", money::wan(y.round() as i64)),
            ),
        },
        (Date, Value::String(s)) => date(s),
        (Year, Value::Number(_)) => format!("{} 年", number(v)),
        (Bool, Value::Bool(b)) => if *b { "是" } else { "否" }.into(),
        (Code(f), Value::String(s)) => f(s).map_or_else(|| s.replace('_', " "), str::to_owned),
        _ => generic(v),
    }
}

/// Anything else, readably: strings as they are, booleans 是/否, lists joined.
fn generic(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Bool(b) => if *b { "是" } else { "否" }.into(),
        Value::String(s) => s.clone(),
        Value::Number(_) => number(v),
        Value::Array(a) => a.iter().map(generic).collect::<Vec<_>>().join("、"),
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| format!("{}：{}", label(k), value_text(k, v)))
            .collect::<Vec<_>>()
            .join("；"),
    }
}

/// A fact as a `(label, value)` pair.
pub fn fact_pair(key: &str, v: &Value) -> (String, String) {
    (label(key), value_text(key, v))
}

/// A parameter at a value, as one phrase: `成员至少 3 人`, `截止日期 每年3月31日`.
pub fn param_phrase(p: &ParamDef, value: &Value) -> String {
    format!("{} {}", label(p.name), value_text(p.name, value))
}

/// A parameter at its default, as one phrase.
pub fn param_default_phrase(p: &ParamDef) -> String {
    let v = serde_json::to_value(p.default).unwrap_or(Value::Null);
    param_phrase(p, &v)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use super::*;
    use crate::domain::compliance::rules;

    /// Every `.fact("key"` in the rule sources.
    fn keys_in_sources() -> BTreeSet<String> {
        let sources = [
            include_str!("catalogue.rs"),
            include_str!("rules/mod.rs"),
            include_str!("rules/annual.rs"),
            include_str!("rules/integrity.rs"),
            include_str!("rules/market.rs"),
            include_str!("rules/operation.rs"),
            include_str!("rules/rectification.rs"),
            include_str!("rules/registration.rs"),
        ];
        let mut keys = BTreeSet::new();
        for src in sources {
            for (i, _) in src.match_indices(".fact(") {
                let rest = src[i + 6..].trim_start();
                if let Some(rest) = rest.strip_prefix('"') {
                    let end = rest.find('"').expect("closed literal");
                    keys.insert(rest[..end].to_owned());
                }
            }
        }
        keys
    }

    #[test]
    fn every_fact_key_the_rules_write_has_a_label() {
        let keys = keys_in_sources();
        assert!(keys.len() > 50, "{keys:?}");
        for k in &keys {
            assert!(fact_def(k).is_some(), "fact key {k} has no Chinese label");
        }
    }

    #[test]
    fn every_fact_of_every_fixture_reads_in_chinese() {
        use crate::domain::compliance::{Snapshot, evaluate, test_support};
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/policy-examples"
        );
        let mut snapshots = vec![
            test_support::healthy(),
            test_support::healthy_as_of("2026-02-15"),
            test_support::healthy_as_of("2030-12-31"),
        ];
        for entry in std::fs::read_dir(dir).expect("fixtures") {
            let path = entry.expect("entry").path();
            let name = path.to_string_lossy().to_string();
            if name.ends_with(".json") && !name.ends_with(".expected.json") {
                let text = std::fs::read_to_string(&path).expect("read");
                snapshots.push(Snapshot::from_json_str(&text).expect("snapshot"));
            }
        }
        for snapshot in snapshots {
            for f in evaluate(&snapshot, &snapshot.params) {
                for (k, v) in &f.facts {
                    assert!(fact_def(k).is_some(), "{} writes unlabelled {k}", f.rule);
                    let text = value_text(k, v);
                    assert!(
                        !text.contains('_') && !text.is_empty(),
                        "{}: {k} = {text}",
                        f.rule
                    );
                }
            }
        }
    }

    #[test]
    fn every_parameter_has_a_label() {
        for r in rules() {
            for p in r.params {
                assert!(
                    fact_def(p.name).is_some(),
                    "{}.{} has no label",
                    r.id,
                    p.name
                );
                let phrase = param_default_phrase(p);
                assert!(!phrase.contains('_'), "{phrase}");
            }
        }
    }

    #[test]
    fn formats() {
        assert_eq!(
            value_text("target_completion", &json!(0.9160654312695892)),
            "91.6%"
        );
        assert_eq!(
            value_text("self_income_yuan", &json!(12_345_678)),
            "1,234.57 万元"
        );
        assert_eq!(
            value_text("category", &json!("strategic_task")),
            "战略任务类"
        );
        assert_eq!(
            value_text("deadline", &json!("2026-03-31")),
            "2026年3月31日"
        );
        assert_eq!(value_text("deadline", &json!("03-31")), "每年3月31日");
        assert_eq!(value_text("advisor_assigned", &json!(true)), "是");
        assert_eq!(value_text("advisor_assigned", &json!(false)), "否");
        assert_eq!(value_text("year", &json!(2025)), "2025 年");
        assert_eq!(value_text("filing_date", &Value::Null), "—");
        assert_eq!(value_text("max_channel_percent", &json!(70)), "70%");
        assert_eq!(label("unknown_key"), "unknown key");
        let r = crate::domain::compliance::rule("REG-DECISION-BODY").expect("rule");
        assert_eq!(param_default_phrase(&r.params[0]), "成员至少 3 人");
    }
}
