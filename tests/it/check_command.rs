//! `kechuang check` as a user runs it: the binary, its exit codes and its output.

use std::process::Command;

fn kechuang() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kechuang"))
}

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/policy-examples/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn reproduces_the_shared_examples_statuses() {
    for example in ["healthy", "registration-gaps", "breakeven-deadline-passed"] {
        let out = kechuang()
            .args(["check", "--input", &fixture(&format!("{example}.json"))])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{example}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let expected: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(fixture(&format!("{example}.expected.json"))).unwrap(),
        )
        .unwrap();
        let findings = got["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 23);
        for f in findings {
            let rule = f["rule"].as_str().unwrap();
            assert_eq!(f["status"], expected["statuses"][rule], "{example} {rule}");
            assert!(!f["clause"].as_str().unwrap().is_empty());
        }
    }
}

#[test]
fn refuses_invalid_input_with_exit_2_naming_the_field() {
    let healthy: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("healthy.json")).unwrap()).unwrap();
    // (the field the message must name, where to break the input, the bad value)
    let cases = [
        (
            "platform.operating_company.uscc",
            "/platform/operating_company/uscc",
            serde_json::json!("91320600MA1M9QX7K9"),
        ),
        (
            "platform.stage",
            "/platform/stage",
            serde_json::json!("closed"),
        ),
        (
            "platform.construction_end",
            "/platform/construction_end",
            serde_json::json!("2024-02-30"),
        ),
        (
            "platform.years[0].expenditure_yuan",
            "/platform/years/0/expenditure_yuan",
            serde_json::json!(-1),
        ),
        (
            "platform.years[1].year",
            "/platform/years/1/year",
            serde_json::json!(2024),
        ),
    ];
    let dir = std::env::temp_dir();
    for (i, (field, pointer, bad)) in cases.iter().enumerate() {
        let mut input = healthy.clone();
        *input.pointer_mut(pointer).unwrap() = bad.clone();
        let path = dir.join(format!("kc-check-{}-{i}.json", std::process::id()));
        std::fs::write(&path, input.to_string()).unwrap();
        let out = kechuang()
            .args([
                "check",
                "--input",
                path.to_str().unwrap(),
                "--format",
                "text",
            ])
            .output()
            .unwrap();
        std::fs::remove_file(&path).ok();
        assert_eq!(out.status.code(), Some(2), "{field}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(field), "{field} not named in: {stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn refuses_input_over_10_mb_without_reading_it() {
    // A sparse 1 GiB file: refused from its size (reading it would take a gigabyte of memory).
    let path = std::env::temp_dir().join(format!("kc-check-big-{}.json", std::process::id()));
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(1 << 30).unwrap();
    let out = kechuang()
        .args(["check", "--input", path.to_str().unwrap()])
        .output()
        .unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--input"), "{stderr}");
    assert!(stderr.contains("超过 10 MB"), "{stderr}");
    assert!(
        stderr.contains("input larger than 10 MB refused"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

/// Runs `kechuang` with `args`, `input` on standard input (written from another thread).
fn with_stdin(args: &[&str], input: Vec<u8>) -> std::process::Output {
    use std::io::Write;
    let mut child = kechuang()
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // The reader may stop early (and close the pipe): a failed write is expected then.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// Runs `check --input -` with `input` on standard input.
fn check_stdin(input: Vec<u8>) -> std::process::Output {
    with_stdin(&["check", "--input", "-"], input)
}

#[test]
fn reads_standard_input_up_to_10_mb() {
    let healthy = std::fs::read(fixture("healthy.json")).unwrap();
    let out = check_stdin(healthy);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["findings"].as_array().unwrap().len(), 23);

    // A stream has no size: refused once the 10 MB are passed.
    let out = check_stdin(vec![b' '; 10 * 1024 * 1024 + 1]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("超过 10 MB"), "{stderr}");
    assert!(out.stdout.is_empty());
}

// ---- `kechuang support` (SUPPORT-RULES.md): same input handling and exit codes ----

fn support_fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/support-examples/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Runs `kechuang support` with `args`, `input` on standard input.
fn support_run(args: &[&str], input: Vec<u8>) -> std::process::Output {
    with_stdin(&[&["support"], args].concat(), input)
}

#[test]
fn support_reproduces_the_public_examples_from_a_file_and_from_stdin() {
    for example in ["support-nj-all", "support-tt-capped"] {
        let expected: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(support_fixture(&format!("{example}.expected.json"))).unwrap(),
        )
        .unwrap();
        let path = support_fixture(&format!("{example}.json"));
        let from_file = support_run(&["--input", &path], Vec::new());
        let from_stdin = support_run(
            &["--input", "-", "--format", "json"],
            std::fs::read(&path).unwrap(),
        );
        for out in [from_file, from_stdin] {
            assert!(
                out.status.success(),
                "{example}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(got["platform"], "NT-2019-003");
            assert_eq!(got["total_yuan"], expected["total_yuan"], "{example}");
            let programmes = got["programmes"].as_array().unwrap();
            let wanted = expected["programmes"].as_object().unwrap();
            assert_eq!(programmes.len(), wanted.len(), "{example}");
            for p in programmes {
                let want = &wanted[p["id"].as_str().unwrap()];
                for key in ["status", "amount_yuan", "up_to"] {
                    assert_eq!(p[key], want[key], "{example} {} {key}", p["id"]);
                }
            }
        }
    }
    let text = support_run(
        &[
            "--input",
            &support_fixture("support-nj-all.json"),
            "--format",
            "text",
        ],
        Vec::new(),
    );
    assert!(text.status.success());
    assert!(String::from_utf8_lossy(&text.stdout).contains("征求意见稿"));
}

#[test]
fn support_refuses_invalid_input_with_exit_2_naming_the_field() {
    let base: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(support_fixture("support-nj-all.json")).unwrap(),
    )
    .unwrap();
    let cases = [
        ("packs[2]", "/packs/2", serde_json::json!("SH")),
        (
            "platform.support.recognitions[0]",
            "/platform/support/recognitions/0",
            serde_json::json!("city_lab"),
        ),
        (
            "platform.support.tech_transaction_yuan",
            "/platform/support/tech_transaction_yuan",
            serde_json::json!(-1),
        ),
        (
            "platform.support.fund_first_equity_results",
            "/platform/support/fund_first_equity_results",
            serde_json::json!(1.5),
        ),
        (
            "params.NJ-POC-CENTER.cap",
            "/params",
            serde_json::json!({"NJ-POC-CENTER.cap": 1}),
        ),
        (
            "platform.stage",
            "/platform/stage",
            serde_json::json!("closed"),
        ),
    ];
    for (field, pointer, bad) in cases {
        let mut input = base.clone();
        if pointer == "/params" {
            input["params"] = bad.clone();
        } else {
            *input.pointer_mut(pointer).unwrap() = bad.clone();
        }
        let out = support_run(&["--input", "-"], input.to_string().into_bytes());
        assert_eq!(out.status.code(), Some(2), "{field}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(field), "{field} not named in: {stderr}");
        assert!(out.stdout.is_empty());
    }
    let out = support_run(&["--input", "/nonexistent/kc-support.json"], Vec::new());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--input"));
}

#[test]
fn check_and_support_accept_each_others_parameters_and_refuse_others() {
    let mut input: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(support_fixture("support-nj-all.json")).unwrap(),
    )
    .unwrap();
    input["params"] = serde_json::json!({
        "MKT-BREAK-EVEN.transition_months": 30,
        "JS-TECH-TRANSFER.percent": 5,
        "NT-FUNDING.excellent": 1.5
    });
    let text = input.to_string().into_bytes();
    let support = support_run(&["--input", "-"], text.clone());
    assert!(
        support.status.success(),
        "{}",
        String::from_utf8_lossy(&support.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&support.stdout).unwrap();
    // 5% of 10,000,000.
    assert_eq!(got["programmes"][3]["amount_yuan"], 500_000);
    let check = check_stdin(text);
    assert!(
        check.status.success(),
        "check refused a snapshot with support, packs and programme parameters: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    assert!(!got["findings"].as_array().unwrap().is_empty());

    input["params"] = serde_json::json!({"JS-TECH-TRANSFER.rate": 5});
    let check = check_stdin(input.to_string().into_bytes());
    assert_eq!(check.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&check.stderr).contains("params.JS-TECH-TRANSFER.rate"));
}
