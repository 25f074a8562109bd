//! Plain-text rendering of a check, one line per rule.

use super::{CheckOutput, Status};

/// Display width: CJK and other non-ASCII characters count two columns.
fn width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

fn pad(s: &str, to: usize) -> String {
    let mut out = s.to_owned();
    out.push_str(&" ".repeat(to.saturating_sub(width(s))));
    out
}

/// A table: a header line, one line per rule (ID, status, clause, message), and the counts by status.
pub fn render_text(output: &CheckOutput) -> String {
    let id_w = output
        .findings
        .iter()
        .map(|f| width(f.rule))
        .chain([width("规则")])
        .max()
        .unwrap_or(0);
    let status_w = Status::ALL
        .iter()
        .map(|s| width(s.label_zh()))
        .max()
        .unwrap_or(0);
    let clause_w = output
        .findings
        .iter()
        .map(|f| width(f.clause))
        .chain([width("条款")])
        .max()
        .unwrap_or(0);

    let mut text = format!("平台 {}  检查日期 {}\n", output.platform, output.as_of);
    let line = |id: &str, status: &str, clause: &str, message: &str| {
        format!(
            "{}  {}  {}  {}\n",
            pad(id, id_w),
            pad(status, status_w),
            pad(clause, clause_w),
            message
        )
    };
    text.push_str(&line("规则", "结论", "条款", "说明"));
    for f in &output.findings {
        text.push_str(&line(f.rule, f.status.label_zh(), f.clause, &f.message));
    }
    let counts: Vec<String> = Status::ALL
        .iter()
        .map(|s| {
            let n = output.findings.iter().filter(|f| f.status == *s).count();
            format!("{} {n}", s.label_zh())
        })
        .collect();
    text.push_str(&format!("合计：{}\n", counts.join("，")));
    text
}
