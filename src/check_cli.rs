//! `kechuang check --input snapshot.json [--format json|text]` (POLICY-RULES.md): evaluates one platform
//! snapshot with the compliance engine and prints the findings.
//!
//! Exit 0: evaluated, the findings on stdout. Exit 2: the input cannot be evaluated (unreadable file, over
//! [`MAX_INPUT`] bytes, invalid JSON, a bad field), with a message naming the field on stderr. Exit 1: the
//! findings could not be written (e.g. stdout closed). `--input -` reads standard input.

use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use crate::domain::compliance::{InputError, check_json, render_text};

/// How the findings are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Pretty-printed JSON, exactly as POLICY-RULES.md specifies.
    Json,
    /// A plain-text table for people.
    Text,
}

/// The exit status for input that cannot be evaluated.
const INVALID_INPUT: u8 = 2;

/// The largest input accepted (a real snapshot is a few kilobytes): 10 MiB.
pub const MAX_INPUT: u64 = 10 * 1024 * 1024;

/// Runs the check on the file at `input`, printing to stdout and stderr.
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
    run_command(input, format, check_json, render_text, "检查结果", out, err)
}

/// The loop `kechuang check` and `kechuang support` share: read `input` ([`read_input`]), `compute`
/// the result, print it as pretty JSON or as `render`'s text. Exit 2 with the message on `err` when
/// the input cannot be evaluated, 1 when the result (`what`, for the message) could not be written.
pub(crate) fn run_command<T: serde::Serialize>(
    input: &Path,
    format: Format,
    compute: impl FnOnce(&str) -> Result<T, InputError>,
    render: impl FnOnce(&T) -> String,
    what: &str,
    out: &mut impl Write,
    err: &mut impl Write,
) -> ExitCode {
    let output = match read_input(input).and_then(|text| compute(&text)) {
        Ok(output) => output,
        Err(e) => {
            // Nothing more can be done if stderr itself fails.
            let _ = writeln!(err, "{e}");
            return ExitCode::from(INVALID_INPUT);
        }
    };
    let written = match format {
        Format::Json => serde_json::to_writer_pretty(&mut *out, &output)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out)),
        Format::Text => out.write_all(render(&output).as_bytes()),
    }
    .and_then(|()| out.flush());
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(err, "无法输出{what}：{e}");
            ExitCode::FAILURE
        }
    }
}

/// The file's text (`-`: standard input), read up to [`MAX_INPUT`] bytes and never further: an
/// unreadable, oversized or non-UTF-8 input is invalid input for the `--input` argument.
fn read_input(path: &Path) -> Result<String, InputError> {
    let unreadable = |e: io::Error| {
        InputError::new(
            "--input",
            format!("无法读取文件“{}”：{}", path.display(), io_reason_zh(&e)),
        )
    };
    let too_large = || {
        InputError::new(
            "--input",
            format!(
                "输入“{}”超过 {} MB，拒绝读取（input larger than {} MB refused）",
                path.display(),
                MAX_INPUT / (1024 * 1024),
                MAX_INPUT / (1024 * 1024)
            ),
        )
    };
    let source: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        let file = std::fs::File::open(path).map_err(unreadable)?;
        let meta = file.metadata().map_err(unreadable)?;
        if meta.is_dir() {
            return Err(unreadable(io::ErrorKind::IsADirectory.into()));
        }
        // A regular file's size is known: refuse before reading anything.
        if meta.is_file() && meta.len() > MAX_INPUT {
            return Err(too_large());
        }
        Box::new(file)
    };
    // Pipes and devices have no size: read one byte past the limit at most.
    let mut bytes = Vec::new();
    source
        .take(MAX_INPUT + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|_| unreadable(io::ErrorKind::InvalidData.into()))
}

/// Why a file could not be read, in Chinese where the reason is a common one.
fn io_reason_zh(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "文件不存在".to_owned(),
        io::ErrorKind::PermissionDenied => "没有读取权限".to_owned(),
        io::ErrorKind::IsADirectory => "这是一个目录".to_owned(),
        io::ErrorKind::InvalidData => "不是 UTF-8 编码的文本".to_owned(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::PathBuf;

    use serde_json::Value;

    use super::*;

    /// A file under the temp directory, removed when dropped.
    struct TempFile(PathBuf);

    impl TempFile {
        fn with(name: &str, contents: &[u8]) -> TempFile {
            let path =
                std::env::temp_dir().join(format!("kechuang-check-{}-{name}", std::process::id()));
            fs::write(&path, contents).expect("write temp file");
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = fs::remove_file(&self.0);
        }
    }

    const HEALTHY: &str = include_str!("../tests/fixtures/policy-examples/healthy.json");

    /// Exit code, stdout and stderr of a run.
    fn check(input: &Path, format: Format) -> (ExitCode, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_with(input, format, &mut out, &mut err);
        let text = |bytes| String::from_utf8(bytes).expect("UTF-8 output");
        (code, text(out), text(err))
    }

    #[test]
    fn valid_snapshot_prints_pretty_json_findings_and_exits_0() {
        let file = TempFile::with("valid.json", HEALTHY.as_bytes());
        let (code, out, err) = check(&file.0, Format::Json);
        assert_eq!(code, ExitCode::SUCCESS);
        assert_eq!(err, "");
        assert!(
            out.starts_with("{\n  \"platform\""),
            "pretty-printed: {out}"
        );
        let json: Value = serde_json::from_str(&out).expect("JSON on stdout");
        let findings = json["findings"].as_array().expect("findings");
        assert_eq!(findings.len(), crate::domain::compliance::rules().len());
        assert_eq!(findings[0]["rule"], "REG-CHARTER");
    }

    #[test]
    fn text_format_prints_the_report() {
        let file = TempFile::with("text.json", HEALTHY.as_bytes());
        let (code, out, err) = check(&file.0, Format::Text);
        assert_eq!(code, ExitCode::SUCCESS);
        assert_eq!(err, "");
        assert!(out.starts_with("平台 "), "{out}");
        assert!(out.contains("MKT-BREAK-EVEN"));
        assert!(out.ends_with('\n'));
    }

    #[test]
    fn invalid_field_exits_2_naming_the_field() {
        let mut snapshot: Value = serde_json::from_str(HEALTHY).expect("fixture");
        snapshot["platform"]["stage"] = "closed".into();
        let file = TempFile::with("bad-stage.json", snapshot.to_string().as_bytes());
        let (code, out, err) = check(&file.0, Format::Json);
        assert_eq!(code, ExitCode::from(2));
        assert_eq!(out, "");
        assert!(err.contains("platform.stage"), "{err}");
        assert!(err.contains("closed"), "{err}");
    }

    #[test]
    fn malformed_json_exits_2() {
        let file = TempFile::with("malformed.json", b"{\"as_of\": ");
        let (code, out, err) = check(&file.0, Format::Text);
        assert_eq!(code, ExitCode::from(2));
        assert_eq!(out, "");
        assert!(err.contains("不是有效的 JSON"), "{err}");
    }

    #[test]
    fn unreadable_file_exits_2_naming_the_argument() {
        let missing = std::env::temp_dir().join("kechuang-check-no-such-file.json");
        let (code, out, err) = check(&missing, Format::Json);
        assert_eq!(code, ExitCode::from(2));
        assert_eq!(out, "");
        assert!(err.contains("--input"), "{err}");
        assert!(err.contains("文件不存在"), "{err}");

        let not_utf8 = TempFile::with("latin1.json", b"{\"name\": \"\xe9\"}");
        let (code, _, err) = check(&not_utf8.0, Format::Json);
        assert_eq!(code, ExitCode::from(2));
        assert!(err.contains("UTF-8"), "{err}");
    }

    #[test]
    fn oversized_file_is_refused_unread_with_exit_2() {
        let big = TempFile::with("big.json", b"");
        // Sparse: the size is over the limit, the content never read (it is not JSON either).
        let file = fs::OpenOptions::new().write(true).open(&big.0).unwrap();
        file.set_len(MAX_INPUT + 1).unwrap();
        let (code, out, err) = check(&big.0, Format::Json);
        assert_eq!(code, ExitCode::from(2));
        assert_eq!(out, "");
        assert!(err.contains("--input"), "{err}");
        assert!(err.contains("超过 10 MB"), "{err}");
        assert!(err.contains("input larger than 10 MB refused"), "{err}");

        // At the limit it is read (and then judged as JSON).
        file.set_len(MAX_INPUT).unwrap();
        let (code, _, err) = check(&big.0, Format::Json);
        assert_eq!(code, ExitCode::from(2));
        assert!(!err.contains("超过"), "{err}");
        assert!(err.contains("不是有效的 JSON"), "{err}");
    }

    #[test]
    fn run_returns_the_exit_code() {
        let missing = std::env::temp_dir().join("kechuang-check-run-no-such-file.json");
        assert_eq!(run(&missing, Format::Json), ExitCode::from(2));
    }

    #[test]
    fn closed_stdout_exits_1() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let file = TempFile::with("closed.json", HEALTHY.as_bytes());
        let mut err = Vec::new();
        let code = run_with(&file.0, Format::Json, &mut Closed, &mut err);
        assert_eq!(code, ExitCode::FAILURE);
        assert!(!err.is_empty());
    }
}
