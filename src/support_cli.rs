//! `kechuang support --input snapshot.json [--format json|text]` (SUPPORT-RULES.md): which support programmes
//! of the enabled packs a platform may claim, and up to how much.
//!
//! Same input handling and exit codes as `kechuang check` ([`crate::check_cli`]): exit 0 evaluated, the result on
//! stdout; exit 2 invalid input, a message naming the field on stderr; exit 1 the result could not be written.
//! `--input -` reads standard input.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use crate::check_cli::{Format, run_command};
use crate::domain::support::{render_text, support_json};

/// Runs the computation on the file at `input`, printing to stdout and stderr.
pub fn run(input: &Path, format: Format) -> ExitCode {
    run_with(
        input,
        format,
        &mut io::stdout().lock(),
        &mut io::stderr().lock(),
    )
}

/// [`run`] with its output streams as arguments.
fn run_with(input: &Path, format: Format, out: &mut impl Write, err: &mut impl Write) -> ExitCode {
    run_command(
        input,
        format,
        support_json,
        render_text,
        "测算结果",
        out,
        err,
    )
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/support-examples")
            .join(name)
    }

    fn support(input: &Path, format: Format) -> (ExitCode, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_with(input, format, &mut out, &mut err);
        let text = |bytes| String::from_utf8(bytes).expect("UTF-8 output");
        (code, text(out), text(err))
    }

    #[test]
    fn valid_snapshot_prints_json_and_exits_0() {
        let (code, out, err) = support(&fixture("support-tt-capped.json"), Format::Json);
        assert_eq!(code, ExitCode::SUCCESS);
        assert_eq!(err, "");
        let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(json["total_yuan"], 1_200_000);
        assert_eq!(json["programmes"].as_array().map(Vec::len), Some(5));
    }

    #[test]
    fn text_format_prints_the_report() {
        let (code, out, _) = support(&fixture("support-nj-all.json"), Format::Text);
        assert_eq!(code, ExitCode::SUCCESS);
        assert!(out.contains("NJ-FUND-FIRST-EQUITY"), "{out}");
    }

    #[test]
    fn unreadable_input_exits_2_naming_the_argument() {
        let (code, out, err) = support(&fixture("no-such-file.json"), Format::Json);
        assert_eq!(code, ExitCode::from(2));
        assert_eq!(out, "");
        assert!(err.contains("--input"), "{err}");
    }
}
