//! Whole-engine tests: the `check` contract, closed stages, input validation with field paths, text rendering.

use serde_json::{Value, json};

use super::test_support::*;
use super::*;

/// Applies `edit` to the healthy snapshot JSON and returns the parse error.
fn input_error(edit: impl FnOnce(&mut Value)) -> InputError {
    let mut v = healthy_json();
    edit(&mut v);
    check_json(&v.to_string()).expect_err("invalid input")
}

fn assert_field(edit: impl FnOnce(&mut Value), field: &str, message_part: &str) {
    let err = input_error(edit);
    assert_eq!(err.field, field, "{err}");
    assert!(err.message.contains(message_part), "{err}");
}

#[test]
fn every_rule_once_in_catalogue_order() {
    let out = check_json(&healthy_json().to_string()).expect("valid");
    let ids: Vec<_> = out.findings.iter().map(|f| f.rule).collect();
    let catalogue: Vec<_> = rules().iter().map(|r| r.id).collect();
    assert_eq!(ids, catalogue);
    assert_eq!(out.platform, "NT-2019-003");
    assert_eq!(out.as_of, d("2026-11-21"));
    assert!(out.findings.iter().all(|f| !f.message.is_empty()));
}

#[test]
fn healthy_platform_has_no_problems() {
    let problems: Vec<_> = statuses_with(&healthy(), &Params::new())
        .into_iter()
        .filter(|(_, s)| !matches!(s, Status::Pass | Status::NotApplicable))
        .collect();
    assert_eq!(problems, vec![]);
}

#[test]
fn closed_stages_are_not_applicable_everywhere() {
    for stage in ["exited", "converted", "merged"] {
        let mut v = healthy_json();
        v["platform"]["stage"] = json!(stage);
        v["platform"]["level"] = json!("county");
        v["platform"]["first_support_end"] = json!("2025-01-01");
        v["platform"]["integrity_violations"] = json!([{"date": "2026-01-01", "serious": true}]);
        let out = check_json(&v.to_string()).expect("valid");
        assert_eq!(out.findings.len(), rules().len());
        for f in &out.findings {
            assert_eq!(f.status, Status::NotApplicable, "{stage} {}", f.rule);
        }
    }
}

#[test]
fn output_json_has_the_documented_shape() {
    let mut v = healthy_json();
    v["params"] = json!({"MKT-BREAK-EVEN.transition_months": 12});
    let out = check_json(&v.to_string()).expect("valid");
    let json = serde_json::to_value(&out).expect("serialize");
    // Sorted, so the test holds whether or not serde_json's `preserve_order` is on.
    let sorted_keys = |v: &Value| {
        let mut keys: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
        keys.sort();
        keys
    };
    let top = sorted_keys(&json);
    assert_eq!(top, ["as_of", "findings", "platform"]);
    assert_eq!(json["as_of"], "2026-11-21");
    let first = &json["findings"][0];
    assert_eq!(
        sorted_keys(first),
        ["clause", "facts", "message", "rule", "status"]
    );
    assert_eq!(first["rule"], "REG-CHARTER");
    assert_eq!(first["clause"], "NT10 三(一)");
    assert_eq!(first["status"], "pass");
    let break_even = &json["findings"][11];
    assert_eq!(break_even["rule"], "MKT-BREAK-EVEN");
    assert_eq!(break_even["facts"]["deadline"], "2025-06-30");
    assert_eq!(break_even["facts"]["ratio"], 1.1375);
}

#[test]
fn snapshot_params_apply_in_check_json_but_evaluate_uses_its_argument() {
    let mut v = healthy_json();
    v["platform"]["last_advisor_log"] = json!("2026-09-01");
    v["params"] = json!({"OPS-ADVISOR.max_log_gap_days": 30});
    let out = check_json(&v.to_string()).expect("valid");
    assert_eq!(out.findings[4].status, Status::Warn);
    let snapshot = Snapshot::from_value(&v).expect("valid");
    assert_eq!(evaluate(&snapshot, &Params::new())[4].status, Status::Pass);
}

#[test]
fn statuses_serialise_as_snake_case_with_chinese_labels() {
    let got: Vec<_> = Status::ALL
        .iter()
        .map(|s| (serde_json::to_value(s).expect("ser"), s.label_zh()))
        .collect();
    assert_eq!(
        got,
        [
            (json!("pass"), "通过"),
            (json!("fail"), "不通过"),
            (json!("warn"), "预警"),
            (json!("info"), "提示"),
            (json!("not_applicable"), "不适用"),
            (json!("insufficient_data"), "数据不足"),
        ]
    );
}

#[test]
fn snapshot_round_trips_through_json() {
    let mut snapshot = healthy();
    snapshot
        .params
        .set_json("EVAL-FILING.deadline", &json!("04-10"))
        .expect("valid");
    let text = serde_json::to_string(&snapshot).expect("serialize");
    let back = Snapshot::from_json_str(&text).expect("parse");
    assert_eq!(back, snapshot);
    let via_serde: Snapshot = serde_json::from_str(&text).expect("deserialize");
    assert_eq!(via_serde, snapshot);
}

#[test]
fn serde_deserialize_reports_the_field() {
    let mut v = healthy_json();
    v["platform"]["stage"] = json!("closed");
    let err = serde_json::from_value::<Snapshot>(v).expect_err("invalid");
    assert!(
        err.to_string().starts_with("输入无效: platform.stage: "),
        "{err}"
    );
}

#[test]
fn error_display_names_the_field() {
    let err = input_error(|v| v["platform"]["stage"] = json!("closed"));
    assert_eq!(
        err.to_string(),
        "输入无效: platform.stage: 未知取值“closed”，可选值：registration|operating|rectifying|exited|converted|merged"
    );
}

#[test]
fn unknown_enum_values_are_refused() {
    assert_field(
        |v| v["platform"]["category"] = json!("research"),
        "platform.category",
        "未知取值",
    );
    assert_field(
        |v| v["platform"]["level"] = json!("province"),
        "platform.level",
        "未知取值",
    );
    assert_field(
        |v| v["platform"]["charter"] = json!("Approved"),
        "platform.charter",
        "未知取值",
    );
    assert_field(
        |v| v["platform"]["decision_bodies"][0]["kind"] = json!("senate"),
        "platform.decision_bodies[0].kind",
        "未知取值",
    );
    assert_field(
        |v| v["platform"]["operating_modes"][1] = json!("incubator"),
        "platform.operating_modes[1]",
        "未知取值",
    );
    assert_field(
        |v| v["platform"]["years"][1]["grade"] = json!("average"),
        "platform.years[1].grade",
        "未知取值",
    );
    assert_field(
        |v| v["platform"]["years"][0]["filing"] = json!("late"),
        "platform.years[0].filing",
        "未知取值",
    );
    assert_field(
        |v| v["platform"]["stage"] = json!(3),
        "platform.stage",
        "应为字符串",
    );
    assert_field(
        |v| v["platform"]["acceptance"] = json!("accepted"),
        "platform.acceptance",
        "未知取值",
    );
}

#[test]
fn acceptance_is_optional_and_defaults_to_none() {
    let mut v = healthy_json();
    if let Some(p) = v["platform"].as_object_mut() {
        p.remove("acceptance");
    }
    let s = Snapshot::from_value(&v).expect("valid");
    assert_eq!(s.platform.acceptance, snapshot::Acceptance::None);
    // healthy: construction ended 2024-06-30, so no acceptance by 2026-11-21 is overdue.
    assert_eq!(status(&s, "OPS-ACCEPTANCE"), Status::Warn);
    v["platform"]["acceptance"] = Value::Null;
    let s = Snapshot::from_value(&v).expect("valid");
    assert_eq!(s.platform.acceptance, snapshot::Acceptance::None);
    for (code, expected) in [
        ("passed", Status::Pass),
        ("conditional", Status::Warn),
        ("failed", Status::Fail),
        ("none", Status::Warn),
    ] {
        v["platform"]["acceptance"] = json!(code);
        let out = check_json(&v.to_string()).expect("valid");
        let f = out
            .findings
            .iter()
            .find(|f| f.rule == "OPS-ACCEPTANCE")
            .expect("listed");
        assert_eq!(f.status, expected, "{code}");
    }
}

#[test]
fn malformed_dates_are_refused() {
    assert_field(|v| v["as_of"] = json!("2026-13-01"), "as_of", "有效日期");
    assert_field(|v| v["as_of"] = json!("2026/11/21"), "as_of", "YYYY-MM-DD");
    assert_field(
        |v| v["platform"]["construction_end"] = json!("2025-02-29"),
        "platform.construction_end",
        "有效日期",
    );
    assert_field(
        |v| v["platform"]["years"][2]["midyear_date"] = json!("2026-7-12"),
        "platform.years[2].midyear_date",
        "YYYY-MM-DD",
    );
    assert_field(
        |v| v["platform"]["integrity_violations"] = json!([{"date": 20240101, "serious": true}]),
        "platform.integrity_violations[0].date",
        "日期",
    );
}

#[test]
fn negative_money_and_counts_are_refused() {
    assert_field(
        |v| v["platform"]["years"][0]["revenue_yuan"]["service_orders"] = json!(-1),
        "platform.years[0].revenue_yuan.service_orders",
        "不能为负数",
    );
    assert_field(
        |v| v["platform"]["years"][2]["expenditure_yuan"] = json!(-8_000_000),
        "platform.years[2].expenditure_yuan",
        "不能为负数",
    );
    assert_field(
        |v| v["platform"]["instruments"][1]["value_yuan"] = json!(-5),
        "platform.instruments[1].value_yuan",
        "不能为负数",
    );
    assert_field(
        |v| v["platform"]["years"][0]["revenue_yuan"]["fiscal_subsidy"] = json!(12.5),
        "platform.years[0].revenue_yuan.fiscal_subsidy",
        "整数",
    );
    assert_field(
        |v| v["platform"]["checklist"]["overdue"] = json!(-1),
        "platform.checklist.overdue",
        "不能为负数",
    );
    assert_field(
        |v| v["platform"]["decision_bodies"][0]["members"] = json!(-3),
        "platform.decision_bodies[0].members",
        "不能为负数",
    );
    assert_field(
        |v| v["platform"]["years"][1]["rnd_staff"] = json!(-1),
        "platform.years[1].rnd_staff",
        "不能为负数",
    );
    assert_field(
        |v| v["platform"]["checklist"]["overdue"] = json!(7),
        "platform.checklist.overdue",
        "不能多于",
    );
}

#[test]
fn wrong_uscc_check_digit_is_refused() {
    assert_field(
        |v| v["platform"]["operating_company"]["uscc"] = json!("91320600MA1M9QX7K9"),
        "platform.operating_company.uscc",
        "统一社会信用代码校验位错误",
    );
    assert_field(
        |v| v["platform"]["operating_company"]["uscc"] = json!("91320600MA1M9QX7K"),
        "platform.operating_company.uscc",
        "应为18位",
    );
}

#[test]
fn duplicate_years_are_refused() {
    assert_field(
        |v| v["platform"]["years"][1]["year"] = json!(2024),
        "platform.years[1].year",
        "年度 2024 重复",
    );
}

#[test]
fn other_invalid_input_names_the_field() {
    assert_field(
        |v| v["platform"]["years"][0]["target_completion"] = json!(1.2),
        "platform.years[0].target_completion",
        "0–1",
    );
    assert_field(
        |v| v["platform"]["years"][0]["filing_date"] = Value::Null,
        "platform.years[0].filing_date",
        "须填写备案日期",
    );
    assert_field(
        |v| v["platform"]["years"][0]["filing"] = json!("none"),
        "platform.years[0].filing_date",
        "应为 null",
    );
    assert_field(
        |v| {
            if let Some(p) = v["platform"].as_object_mut() {
                p.remove("charter");
            }
        },
        "platform.charter",
        "缺少必填字段",
    );
    assert_field(
        |v| v["platform"]["advisor_assigned"] = Value::Null,
        "platform.advisor_assigned",
        "null",
    );
    assert_field(
        |v| v["platform"]["years"] = json!({}),
        "platform.years",
        "应为数组",
    );
    assert_field(
        |v| v["platform"]["code"] = json!(" "),
        "platform.code",
        "不能为空",
    );
    assert_field(
        |v| v["platform"]["years"][0]["year"] = json!(0),
        "platform.years[0].year",
        "1–9999",
    );
    assert_field(
        |v| v["params"] = json!({"MKT-BREAK-EVEN.transition_months": "24"}),
        "params.MKT-BREAK-EVEN.transition_months",
        "月数",
    );
    assert_field(
        |v| v["params"] = json!({"MKT-BREAK-EVEN.grace": 1}),
        "params.MKT-BREAK-EVEN.grace",
        "未知参数",
    );
}

#[test]
fn not_json_or_not_an_object_is_refused_at_the_root() {
    let err = check_json("{\"as_of\": ").expect_err("truncated");
    assert_eq!(err.field, "$");
    assert!(err.message.contains("不是有效的 JSON"));
    let err = check_json("[]").expect_err("array");
    assert_eq!(err.field, "$");
    let err = check_json("{}").expect_err("empty");
    assert_eq!(err.field, "as_of");
}

#[test]
fn nullable_fields_may_be_omitted_and_unknown_fields_are_ignored() {
    let mut v = healthy_json();
    if let Some(p) = v["platform"].as_object_mut() {
        p.remove("first_support_end");
        p.remove("operating_company");
        p.insert("jurisdiction".to_owned(), json!("崇川区"));
    }
    let out = check_json(&v.to_string()).expect("valid");
    assert_eq!(out.findings[13].rule, "MKT-OPERATING-COMPANY");
    assert_eq!(out.findings[13].status, Status::Warn);
}

#[test]
fn text_report_has_one_line_per_rule() {
    let mut snapshot = healthy();
    snapshot.platform.charter = snapshot::Charter::Draft;
    let text = render_text(&check(&snapshot));
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines.len(), rules().len() + 3);
    assert!(lines[0].contains("NT-2019-003") && lines[0].contains("2026-11-21"));
    assert!(
        lines[2].starts_with("REG-CHARTER")
            && lines[2].contains("不通过")
            && lines[2].contains("NT10 三(一)")
    );
    for (line, rule) in lines[2..].iter().zip(rules()) {
        assert!(line.starts_with(rule.id), "{line}");
    }
    assert!(lines[lines.len() - 1].starts_with("合计：通过 "));
    assert!(lines[lines.len() - 1].contains("不通过 1"));
}
