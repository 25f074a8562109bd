//! Runs every policy example in `tests/fixtures/policy-examples/`: `X.json` is the snapshot, `X.expected.json`
//! holds the expected status of each rule and, optionally, expected facts per rule.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use kechuang::domain::compliance::{check_json, rules};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/policy-examples")
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Snapshot files, sorted, excluding the `.expected.json` files.
fn example_inputs() -> Vec<PathBuf> {
    let dir = examples_dir();
    let mut inputs: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.ends_with(".json") && !name.ends_with(".expected.json")
        })
        .collect();
    inputs.sort();
    inputs
}

fn expected_path(input: &Path) -> PathBuf {
    let name = input
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    input.with_file_name(name.replace(".json", ".expected.json"))
}

/// Expected facts as `(rule, key, value)`. Accepted shapes: `{"RULE": {"key": v}}`, `{"RULE.key": v}`, and a bare
/// `{"key": v}` (some finding must have that fact).
fn expected_facts(facts: &Value) -> Vec<(Option<String>, String, Value)> {
    let is_rule = |id: &str| rules().iter().any(|r| r.id == id);
    let mut out = Vec::new();
    for (key, value) in facts.as_object().into_iter().flatten() {
        match (value.as_object(), key.split_once('.')) {
            (Some(per_rule), _) if is_rule(key) => {
                for (fact, v) in per_rule {
                    out.push((Some(key.clone()), fact.clone(), v.clone()));
                }
            }
            (_, Some((rule, fact))) if is_rule(rule) => {
                out.push((Some(rule.to_owned()), fact.to_owned(), value.clone()));
            }
            _ => out.push((None, key.clone(), value.clone())),
        }
    }
    out
}

/// Equal JSON values; numbers within 0.0001 (ratios are reported to 4 decimal places).
fn same_value(actual: &Value, expected: &Value) -> bool {
    match (actual.as_f64(), expected.as_f64()) {
        (Some(a), Some(e)) => (a - e).abs() < 1e-4 + f64::EPSILON,
        _ => actual == expected,
    }
}

/// Checks one example; returns the mismatches.
fn check_example(input: &Path) -> Vec<String> {
    let name = input
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    let text = fs::read_to_string(input).unwrap_or_else(|e| panic!("{name}: {e}"));
    let expected = read_json(&expected_path(input));
    let output = match check_json(&text) {
        Ok(output) => output,
        Err(e) => return vec![format!("{name}: refused: {e}")],
    };
    let actual = serde_json::to_value(&output).unwrap_or_else(|e| panic!("{name}: {e}"));
    let findings = actual["findings"].as_array().cloned().unwrap_or_default();
    let by_rule = |rule: &str| findings.iter().find(|f| f["rule"] == rule).cloned();

    let mut problems = Vec::new();
    let statuses = expected["statuses"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if statuses.len() != rules().len() {
        problems.push(format!(
            "{name}: expected file lists {} rules, catalogue has {}",
            statuses.len(),
            rules().len()
        ));
    }
    for (rule, status) in &statuses {
        match by_rule(rule) {
            None => problems.push(format!("{name}: no finding for {rule}")),
            Some(f) if f["status"] != *status => problems.push(format!(
                "{name}: {rule}: expected {status}, got {} ({})",
                f["status"], f["message"]
            )),
            Some(_) => {}
        }
    }
    for (rule, key, value) in expected_facts(&expected["facts"]) {
        let matched = findings
            .iter()
            .filter(|f| rule.as_deref().is_none_or(|r| f["rule"] == r))
            .any(|f| same_value(&f["facts"][&key], &value));
        if !matched {
            let got = rule
                .as_deref()
                .and_then(by_rule)
                .map(|f| f["facts"][&key].clone());
            problems.push(format!(
                "{name}: {}facts.{key}: expected {value}, got {}",
                rule.map(|r| format!("{r}.")).unwrap_or_default(),
                got.unwrap_or(Value::Null)
            ));
        }
    }
    problems
}

#[test]
fn policy_examples_match_expected_findings() {
    let inputs = example_inputs();
    assert!(
        !inputs.is_empty(),
        "no examples in {}",
        examples_dir().display()
    );
    let problems: Vec<String> = inputs.iter().flat_map(|p| check_example(p)).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---- Support programmes (SUPPORT-RULES.md): `tests/fixtures/support-examples/` ----

/// Checks one support example: status, amount_yuan and up_to per programme, and total_yuan; the
/// programmes listed must be exactly those computed, in any order.
fn check_support_example(input: &Path) -> Vec<String> {
    let name = input
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    let text = fs::read_to_string(input).unwrap_or_else(|e| panic!("{name}: {e}"));
    let expected = read_json(&expected_path(input));
    let output = match kechuang::domain::support::support_json(&text) {
        Ok(output) => output,
        Err(e) => return vec![format!("{name}: refused: {e}")],
    };
    let actual = serde_json::to_value(&output).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut problems = Vec::new();
    let programmes = actual["programmes"].as_array().cloned().unwrap_or_default();
    let wanted = expected["programmes"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if programmes.len() != wanted.len() {
        problems.push(format!(
            "{name}: {} programmes computed, {} expected",
            programmes.len(),
            wanted.len()
        ));
    }
    for (id, want) in &wanted {
        let Some(got) = programmes.iter().find(|p| p["id"] == *id.as_str()) else {
            problems.push(format!("{name}: no result for {id}"));
            continue;
        };
        for key in ["status", "amount_yuan", "up_to"] {
            if got[key] != want[key] {
                problems.push(format!(
                    "{name}: {id}.{key}: expected {}, got {} ({})",
                    want[key], got[key], got["message"]
                ));
            }
        }
    }
    if actual["total_yuan"] != expected["total_yuan"] {
        problems.push(format!(
            "{name}: total_yuan: expected {}, got {}",
            expected["total_yuan"], actual["total_yuan"]
        ));
    }
    problems
}

#[test]
fn support_examples_match_expected_output() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/support-examples");
    let mut inputs: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.ends_with(".json") && !name.ends_with(".expected.json")
        })
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 2, "no examples in {}", dir.display());
    let problems: Vec<String> = inputs
        .iter()
        .flat_map(|p| check_support_example(p))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn policy_examples_also_pass_the_support_computation() {
    // A plain policy snapshot (no `support`, no `packs`) is valid support input: the default packs.
    for input in example_inputs() {
        let text = fs::read_to_string(&input).unwrap();
        let out = kechuang::domain::support::support_json(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", input.display()));
        assert_eq!(out.programmes.len(), 5, "{}", input.display());
    }
}
