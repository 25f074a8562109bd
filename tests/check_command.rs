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

/// Runs `check --input -` with `input` on standard input (written from another thread).
fn check_stdin(input: Vec<u8>) -> std::process::Output {
    use std::io::Write;
    let mut child = kechuang()
        .args(["check", "--input", "-"])
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
