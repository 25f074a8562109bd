//! Per-programme tests: each status, boundaries, caps, floors; packs; stages; parsing.

use serde_json::{Value, json};

use super::*;
use crate::domain::compliance::params::ParamKey;

const NJ_ALL: &str = include_str!("../../../tests/fixtures/support-examples/support-nj-all.json");

/// The NJ-all example with `support` replaced and every pack enabled.
fn snapshot_with(support: Value) -> Value {
    let mut v: Value = serde_json::from_str(NJ_ALL).expect("fixture");
    v["platform"]["support"] = support;
    v
}

fn run(v: &Value) -> SupportOutput {
    let s = Snapshot::from_value(v).unwrap_or_else(|e| panic!("{e}"));
    evaluate(&s, &s.params)
}

fn result(v: &Value, id: &str) -> ProgrammeResult {
    run(v)
        .programmes
        .into_iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

/// (status, amount, up_to) of one programme.
fn outcome(v: &Value, id: &str) -> (SupportStatus, Option<i64>, bool) {
    let r = result(v, id);
    (r.status, r.amount_yuan, r.up_to)
}

use SupportStatus::{Eligible, InsufficientData, NotEligible};

fn with_grade_l(grade: Value) -> Value {
    let mut v = snapshot_with(json!({}));
    v["platform"]["years"][1]["grade"] = grade;
    v
}

#[test]
fn programmes_are_in_spec_order_with_their_packs() {
    let ids: Vec<&str> = programmes().iter().map(|p| p.id).collect();
    assert_eq!(
        ids,
        [
            "NT-REWARD",
            "NT-FUNDING",
            "JS-POC-CENTER",
            "JS-TECH-TRANSFER",
            "JS-ENTERPRISE-PROJECT",
            "NJ-JOINT-RND",
            "NJ-PUBLIC-PLATFORM",
            "NJ-JITRI-INSTITUTE",
            "NJ-POC-CENTER",
            "NJ-PILOT-PLATFORM",
            "NJ-FUND-FIRST-EQUITY"
        ]
    );
    for p in programmes() {
        assert!(p.id.starts_with(match p.pack {
            Pack::Nt10 => "NT-",
            Pack::Js => "JS-",
            Pack::Nj => "NJ-",
        }));
        assert!(p.clause.starts_with(p.pack.as_str()), "{}", p.id);
    }
}

#[test]
fn parameter_names_are_exactly_the_spec_list_and_share_the_params_namespace() {
    let names: Vec<String> = catalogue::all_params()
        .into_iter()
        .map(|(p, n)| format!("{p}.{n}"))
        .collect();
    assert_eq!(
        names,
        [
            "NT-REWARD.excellent_yuan",
            "NT-REWARD.good_yuan",
            "NT-FUNDING.excellent",
            "NT-FUNDING.good",
            "NT-FUNDING.pass",
            "NT-FUNDING.fail",
            "JS-POC-CENTER.amount_yuan",
            "JS-TECH-TRANSFER.percent",
            "JS-TECH-TRANSFER.cap_yuan",
            "JS-ENTERPRISE-PROJECT.min_receipts_yuan",
            "NJ-JOINT-RND.percent",
            "NJ-JOINT-RND.cap_yuan",
            "NJ-PUBLIC-PLATFORM.cap_yuan",
            "NJ-JITRI-INSTITUTE.cap_yuan",
            "NJ-POC-CENTER.cap_yuan",
            "NJ-PILOT-PLATFORM.cap_yuan",
            "NJ-FUND-FIRST-EQUITY.cap_yuan"
        ]
    );
    for name in &names {
        assert!(ParamKey::lookup(name).is_some(), "{name}");
    }
    // Rule parameters still resolve, and the listing of rule parameters is unchanged.
    assert!(ParamKey::lookup("MKT-BREAK-EVEN.transition_months").is_some());
    assert!(ParamKey::lookup("NT-REWARD.transition_months").is_none());
    assert!(ParamKey::lookup("MKT-BREAK-EVEN.cap_yuan").is_none());
    assert_eq!(Params::new().resolved_programmes().len(), names.len());
    assert!(
        Params::new()
            .resolved()
            .iter()
            .all(|p| programme(p.key.rule).is_none())
    );
}

#[test]
fn programme_parameters_are_typed() {
    for (key, value, ok) in [
        ("JS-TECH-TRANSFER.percent", json!(5), true),
        ("JS-TECH-TRANSFER.percent", json!(2.5), false),
        ("JS-TECH-TRANSFER.percent", json!(101), false),
        ("JS-TECH-TRANSFER.cap_yuan", json!(2_000_000), true),
        ("JS-TECH-TRANSFER.cap_yuan", json!(-1), false),
        ("JS-TECH-TRANSFER.cap_yuan", json!(10.5), false),
        ("NT-FUNDING.excellent", json!(1.5), true),
        ("NT-FUNDING.excellent", json!(-0.1), false),
        ("NT-FUNDING.excellent", json!("1.2"), false),
        ("NJ-FUND-FIRST-EQUITY.cap_yuan", json!(0), true),
        ("JS-TECH-TRANSFER.rate", json!(3), false),
    ] {
        let got = Params::from_json(&json!({ key: value }));
        assert_eq!(got.is_ok(), ok, "{key} = {value}");
        if let Err(e) = got {
            assert_eq!(e.field, format!("params.{key}"));
        }
    }
}

#[test]
fn public_example_nj_all() {
    let v: Value = serde_json::from_str(NJ_ALL).expect("fixture");
    let out = run(&v);
    assert_eq!(out.programmes.len(), 11);
    assert_eq!(out.total_yuan, 17_800_000);
    let got = |id: &str| {
        let r = out.programmes.iter().find(|r| r.id == id).expect(id);
        (r.status, r.amount_yuan, r.up_to)
    };
    assert_eq!(got("NT-REWARD"), (Eligible, Some(200_000), false));
    assert_eq!(got("NT-FUNDING"), (Eligible, None, false));
    assert_eq!(got("JS-TECH-TRANSFER"), (Eligible, Some(300_000), false));
    assert_eq!(got("NJ-JOINT-RND"), (Eligible, Some(800_000), false));
    assert_eq!(got("NJ-POC-CENTER"), (Eligible, Some(1_500_000), true));
    assert_eq!(got("NJ-PILOT-PLATFORM"), (Eligible, Some(2_000_000), true));
    assert_eq!(
        got("NJ-FUND-FIRST-EQUITY"),
        (Eligible, Some(2_000_000), true)
    );
}

#[test]
fn default_packs_are_nt10_and_js_and_packs_filter_the_programmes() {
    let mut v = snapshot_with(json!({}));
    v.as_object_mut().expect("object").remove("packs");
    let ids: Vec<&str> = run(&v).programmes.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), 5);
    assert!(ids.iter().all(|id| !id.starts_with("NJ-")));

    v["packs"] = json!(["NJ"]);
    let out = run(&v);
    assert_eq!(out.programmes.len(), 6);
    assert!(out.programmes.iter().all(|r| r.pack == Pack::Nj));

    v["packs"] = json!(["JS", "NT10", "JS"]);
    let ids: Vec<&str> = run(&v).programmes.iter().map(|r| r.id).collect();
    assert_eq!(
        ids[0], "NT-REWARD",
        "catalogue order whatever the listed order"
    );
    assert_eq!(ids.len(), 5);

    v["packs"] = json!([]);
    let out = run(&v);
    assert!(out.programmes.is_empty());
    assert_eq!(out.total_yuan, 0);
}

#[test]
fn invalid_packs_and_support_fields_name_the_field() {
    let cases = [
        ("packs", json!(["NT10", "SH"]), "packs[1]"),
        ("packs", json!("NT10"), "packs"),
    ];
    for (key, value, field) in cases {
        let mut v = snapshot_with(json!({}));
        v[key] = value;
        let err = Snapshot::from_value(&v).expect_err(field);
        assert_eq!(err.field, field);
    }
    for (support, field) in [
        (
            json!({"recognitions": ["new_rnd_institution", "nj_city_lab"]}),
            "platform.support.recognitions[1]",
        ),
        (
            json!({"tech_transaction_yuan": -1}),
            "platform.support.tech_transaction_yuan",
        ),
        (
            json!({"tech_transaction_yuan": 10.5}),
            "platform.support.tech_transaction_yuan",
        ),
        (
            json!({"enterprise_project_receipts_yuan": [100, -5]}),
            "platform.support.enterprise_project_receipts_yuan[1]",
        ),
        (
            json!({"poc_build_investment_yuan": "100"}),
            "platform.support.poc_build_investment_yuan",
        ),
        (
            json!({"fund_first_equity_results": 1.5}),
            "platform.support.fund_first_equity_results",
        ),
        (
            json!({"fund_first_equity_results": -1}),
            "platform.support.fund_first_equity_results",
        ),
        (json!([]), "platform.support"),
    ] {
        let err = Snapshot::from_value(&snapshot_with(support.clone())).expect_err(field);
        assert_eq!(err.field, field, "{support}");
    }
}

#[test]
fn missing_support_counts_as_zero() {
    let mut v = snapshot_with(json!(null));
    assert_eq!(
        Snapshot::from_value(&v).expect("null").platform.support,
        Support::default()
    );
    v["platform"]
        .as_object_mut()
        .expect("object")
        .remove("support");
    let s = Snapshot::from_value(&v).expect("absent");
    assert_eq!(s.platform.support, Support::default());
    let out = evaluate(&s, &s.params);
    for r in &out.programmes[2..] {
        assert_eq!(r.status, NotEligible, "{}", r.id);
    }
}

#[test]
fn nt_reward_by_grade() {
    for (grade, want) in [
        (json!("excellent"), (Eligible, Some(500_000), false)),
        (json!("good"), (Eligible, Some(200_000), false)),
        (json!("pass"), (NotEligible, None, false)),
        (json!("fail"), (NotEligible, None, false)),
        (json!("not_evaluated"), (InsufficientData, None, false)),
        (Value::Null, (InsufficientData, None, false)),
    ] {
        assert_eq!(
            outcome(&with_grade_l(grade.clone()), "NT-REWARD"),
            want,
            "{grade}"
        );
    }
    // No entry for L at all.
    let mut v = snapshot_with(json!({}));
    v["as_of"] = json!("2029-01-01");
    assert_eq!(outcome(&v, "NT-REWARD").0, InsufficientData);
    // Parameters apply.
    let mut v = with_grade_l(json!("excellent"));
    v["params"] = json!({"NT-REWARD.excellent_yuan": 800_000});
    assert_eq!(outcome(&v, "NT-REWARD"), (Eligible, Some(800_000), false));
}

#[test]
fn nt_funding_coefficient_by_grade() {
    for (grade, status, coefficient) in [
        ("excellent", Eligible, json!(1.2)),
        ("good", Eligible, json!(1.0)),
        ("pass", Eligible, json!(0.8)),
        ("fail", NotEligible, json!(0.0)),
    ] {
        let r = result(&with_grade_l(json!(grade)), "NT-FUNDING");
        assert_eq!((r.status, r.amount_yuan, r.up_to), (status, None, false));
        assert_eq!(r.facts["coefficient"], coefficient, "{grade}");
    }
    for grade in [json!("not_evaluated"), Value::Null] {
        let r = result(&with_grade_l(grade), "NT-FUNDING");
        assert_eq!(r.status, InsufficientData);
        assert!(!r.facts.contains_key("coefficient"));
    }
    let mut v = with_grade_l(json!("pass"));
    v["params"] = json!({"NT-FUNDING.pass": 0.5});
    assert_eq!(result(&v, "NT-FUNDING").facts["coefficient"], json!(0.5));
}

#[test]
fn js_poc_center() {
    let v = snapshot_with(json!({"recognitions": ["js_provincial_poc_center"]}));
    assert_eq!(
        outcome(&v, "JS-POC-CENTER"),
        (Eligible, Some(1_000_000), false)
    );
    let v = snapshot_with(json!({"recognitions": ["nj_city_poc_center"]}));
    assert_eq!(outcome(&v, "JS-POC-CENTER"), (NotEligible, None, false));
}

#[test]
fn js_results_say_they_come_from_a_draft() {
    let out = run(&snapshot_with(json!({})));
    for r in &out.programmes {
        assert_eq!(
            r.message.contains("征求意见稿"),
            r.pack == Pack::Js,
            "{}",
            r.id
        );
    }
    assert!(Pack::Js.label_zh().contains("征求意见稿"));
}

#[test]
fn js_tech_transfer_floor_and_cap() {
    let tt = |amount: i64| {
        snapshot_with(json!({"recognitions": ["social_tech_transfer_agency"],
                             "tech_transaction_yuan": amount}))
    };
    assert_eq!(
        outcome(&tt(0), "JS-TECH-TRANSFER"),
        (InsufficientData, None, false)
    );
    // ⌊3% × 33⌋ = ⌊0.99⌋ = 0: eligible, rounded down.
    assert_eq!(
        outcome(&tt(33), "JS-TECH-TRANSFER"),
        (Eligible, Some(0), false)
    );
    assert_eq!(
        outcome(&tt(3_000_001), "JS-TECH-TRANSFER"),
        (Eligible, Some(90_000), false)
    );
    assert_eq!(
        outcome(&tt(33_333_333), "JS-TECH-TRANSFER"),
        (Eligible, Some(999_999), false)
    );
    assert_eq!(
        outcome(&tt(33_333_334), "JS-TECH-TRANSFER"),
        (Eligible, Some(1_000_000), false)
    );
    assert_eq!(
        outcome(&tt(40_000_000), "JS-TECH-TRANSFER"),
        (Eligible, Some(1_000_000), false)
    );
    let r = result(&tt(3_000_000), "JS-TECH-TRANSFER");
    assert_eq!(r.facts["base_yuan"], json!(3_000_000));
    // Not recognised: not eligible whatever the transactions.
    let v = snapshot_with(json!({"tech_transaction_yuan": 40_000_000}));
    assert_eq!(outcome(&v, "JS-TECH-TRANSFER"), (NotEligible, None, false));
    // Huge amounts stay exact.
    assert_eq!(
        outcome(&tt(Yuan::MAX.get()), "JS-TECH-TRANSFER").1,
        Some(1_000_000)
    );
    let mut v = tt(Yuan::MAX.get());
    v["params"] =
        json!({"JS-TECH-TRANSFER.percent": 100, "JS-TECH-TRANSFER.cap_yuan": Yuan::MAX.get()});
    assert_eq!(outcome(&v, "JS-TECH-TRANSFER").1, Some(Yuan::MAX.get()));
}

#[test]
fn js_enterprise_project_counts_projects_at_the_threshold() {
    let v = snapshot_with(
        json!({"enterprise_project_receipts_yuan": [2_999_999, 3_000_000, 5_000_000]}),
    );
    let r = result(&v, "JS-ENTERPRISE-PROJECT");
    assert_eq!((r.status, r.amount_yuan, r.up_to), (Eligible, None, false));
    assert_eq!(r.facts["projects"], json!(2));
    let v = snapshot_with(json!({"enterprise_project_receipts_yuan": [2_999_999]}));
    assert_eq!(
        outcome(&v, "JS-ENTERPRISE-PROJECT"),
        (NotEligible, None, false)
    );
    let v = snapshot_with(json!({}));
    assert_eq!(outcome(&v, "JS-ENTERPRISE-PROJECT").0, NotEligible);
}

#[test]
fn nj_joint_rnd_percent_and_cap() {
    let jr = |amount: i64| {
        snapshot_with(json!({"recognitions": ["new_rnd_institution"],
                             "joint_rnd_new_investment_yuan": amount}))
    };
    assert_eq!(outcome(&jr(0), "NJ-JOINT-RND").0, InsufficientData);
    assert_eq!(
        outcome(&jr(4_000_000), "NJ-JOINT-RND"),
        (Eligible, Some(800_000), false)
    );
    assert_eq!(outcome(&jr(9), "NJ-JOINT-RND").1, Some(1));
    assert_eq!(outcome(&jr(15_000_000), "NJ-JOINT-RND").1, Some(3_000_000));
    assert_eq!(outcome(&jr(15_000_004), "NJ-JOINT-RND").1, Some(3_000_000));
    assert_eq!(outcome(&jr(14_999_999), "NJ-JOINT-RND").1, Some(2_999_999));
    let v = snapshot_with(json!({"joint_rnd_new_investment_yuan": 4_000_000}));
    assert_eq!(outcome(&v, "NJ-JOINT-RND").0, NotEligible);
}

#[test]
fn nj_fixed_ceilings() {
    for (recognition, id) in [
        ("led_public_service_platform", "NJ-PUBLIC-PLATFORM"),
        ("jitri_new_institute", "NJ-JITRI-INSTITUTE"),
    ] {
        let v = snapshot_with(json!({ "recognitions": [recognition] }));
        assert_eq!(outcome(&v, id), (Eligible, Some(5_000_000), true));
        let v = snapshot_with(json!({}));
        assert_eq!(outcome(&v, id), (NotEligible, None, false));
    }
}

#[test]
fn nj_build_investment_capped() {
    for (recognition, field, id) in [
        (
            "nj_city_poc_center",
            "poc_build_investment_yuan",
            "NJ-POC-CENTER",
        ),
        (
            "nj_pilot_platform",
            "pilot_build_investment_yuan",
            "NJ-PILOT-PLATFORM",
        ),
    ] {
        let v = |amount: i64| snapshot_with(json!({"recognitions": [recognition], field: amount}));
        assert_eq!(outcome(&v(0), id), (InsufficientData, None, false));
        assert_eq!(outcome(&v(1), id), (Eligible, Some(1), true));
        assert_eq!(
            outcome(&v(2_000_000), id),
            (Eligible, Some(2_000_000), true)
        );
        assert_eq!(
            outcome(&v(2_000_001), id),
            (Eligible, Some(2_000_000), true)
        );
        let unrecognised = snapshot_with(json!({ field: 1_000_000 }));
        assert_eq!(outcome(&unrecognised, id), (NotEligible, None, false));
    }
}

#[test]
fn nj_fund_first_equity_needs_a_count_and_a_recognition() {
    let v = |recognitions: Value, count: i64| {
        snapshot_with(json!({"recognitions": recognitions, "fund_first_equity_results": count}))
    };
    let id = "NJ-FUND-FIRST-EQUITY";
    assert_eq!(
        outcome(&v(json!(["nj_city_poc_center"]), 3), id),
        (Eligible, Some(3_000_000), true)
    );
    assert_eq!(
        outcome(&v(json!(["nj_pilot_platform"]), 1), id),
        (Eligible, Some(1_000_000), true)
    );
    assert_eq!(
        outcome(&v(json!(["nj_pilot_platform"]), 0), id),
        (NotEligible, None, false)
    );
    assert_eq!(
        outcome(&v(json!(["js_provincial_poc_center"]), 2), id),
        (NotEligible, None, false)
    );
}

#[test]
fn stages_outside_support_are_not_eligible_for_everything() {
    for stage in ["registration", "exited", "converted", "merged"] {
        let mut v: Value = serde_json::from_str(NJ_ALL).expect("fixture");
        v["platform"]["stage"] = json!(stage);
        let out = run(&v);
        assert_eq!(out.programmes.len(), 11);
        assert_eq!(out.total_yuan, 0, "{stage}");
        for r in &out.programmes {
            assert_eq!(
                (r.status, r.amount_yuan, r.up_to),
                (NotEligible, None, false),
                "{stage} {}",
                r.id
            );
            assert_eq!(r.facts["stage"], json!(stage));
        }
    }
    let mut v: Value = serde_json::from_str(NJ_ALL).expect("fixture");
    v["platform"]["stage"] = json!("rectifying");
    assert_eq!(run(&v).total_yuan, 17_800_000);
}

#[test]
fn total_counts_eligible_amounts_only() {
    let v = snapshot_with(
        json!({"recognitions": ["social_tech_transfer_agency", "nj_pilot_platform"],
                                 "tech_transaction_yuan": 1_000_000,
                                 "pilot_build_investment_yuan": 0}),
    );
    let out = run(&v);
    // NT-REWARD 200000 (good) + JS-TECH-TRANSFER 30000; the pilot platform lacks data.
    assert_eq!(out.total_yuan, 230_000);
}

#[test]
fn output_serialises_to_the_contract_shape() {
    let v = snapshot_with(json!({"recognitions": ["social_tech_transfer_agency"],
                                 "tech_transaction_yuan": 3_000_000}));
    let json = serde_json::to_value(run(&v)).expect("ser");
    assert_eq!(json["platform"], "NT-2019-003");
    assert_eq!(json["as_of"], "2026-11-21");
    let tt = &json["programmes"][3];
    assert_eq!(tt["id"], "JS-TECH-TRANSFER");
    assert_eq!(tt["pack"], "JS");
    assert_eq!(tt["clause"], "JS 附件 社会化技术转移机构奖补");
    assert_eq!(tt["status"], "eligible");
    assert_eq!(tt["amount_yuan"], 90_000);
    assert_eq!(tt["up_to"], false);
    assert_eq!(tt["facts"]["base_yuan"], 3_000_000);
    assert_eq!(json["programmes"][4]["amount_yuan"], Value::Null);
    let keys: Vec<&String> = tt.as_object().expect("object").keys().collect();
    assert_eq!(keys.len(), 8);
}

#[test]
fn text_report_lists_every_programme() {
    let v: Value = serde_json::from_str(NJ_ALL).expect("fixture");
    let text = render_text(&run(&v));
    for p in programmes() {
        assert!(text.contains(p.id), "{}", p.id);
    }
    assert!(text.contains("最高500.00万元"));
    assert!(text.contains("1,780.00万元"));
}

#[test]
fn snapshot_round_trips_support_and_packs() {
    let v = snapshot_with(json!({"recognitions": ["new_rnd_institution"],
                                 "enterprise_project_receipts_yuan": [3_000_000],
                                 "fund_first_equity_results": 2}));
    let s = Snapshot::from_value(&v).expect("valid");
    let again = Snapshot::from_value(&serde_json::to_value(&s).expect("ser")).expect("reparse");
    assert_eq!(s, again);
    let json = serde_json::to_value(&s).expect("ser");
    assert_eq!(json["packs"], json!(["NT10", "JS", "NJ"]));
    assert_eq!(
        json["platform"]["support"]["recognitions"],
        json!(["new_rnd_institution"])
    );
}

use crate::domain::money::Yuan;
