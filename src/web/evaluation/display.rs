//! Display helpers shared with the round, results and expert pages.

use super::*;

// ---- display helpers shared with the round, results and expert pages ----------------------------------

/// One dimension of a score, for display.
pub struct DimensionView {
    pub label: &'static str,
    pub weight: String,
    pub score: String,
}

/// A score detail, for display.
pub struct ScoreView {
    pub stage: &'static str,
    pub total: String,
    pub config_version: i32,
    pub experts: usize,
    pub dimensions: Vec<DimensionView>,
    pub warnings: Vec<String>,
}

pub(crate) fn score_view(d: &ScoreDetail) -> ScoreView {
    ScoreView {
        stage: d.stage.label_zh(),
        total: display(d.score.total),
        config_version: d.config_version,
        experts: d.experts,
        dimensions: d
            .score
            .by_dimension
            .iter()
            .map(|x| DimensionView {
                label: x.dimension.label_zh(),
                weight: format!("{:.0}", x.weight),
                score: x.score.map(display).unwrap_or_else(|| "—".into()),
            })
            .collect(),
        warnings: d.warnings_zh.clone(),
    }
}

pub(crate) fn grade_label(grade: Option<Grade>) -> &'static str {
    grade.map_or("—", Grade::label_zh)
}

/// A number as typed back into a form: no trailing `.0`.
pub(crate) fn number_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

pub(crate) fn document_kind_label(kind: DocumentKind) -> &'static str {
    match kind.as_str() {
        "charter" => "章程",
        "co_building_agreement" => "共建协议",
        "construction_plan" => "建设方案",
        "decision_body" => "决策机构",
        "company" => "运营公司",
        "acceptance_report" => "验收报告",
        "rectification" => "整改材料",
        "decision" => "决定文件",
        "integrity" => "科研诚信",
        _ => "其他",
    }
}

/// A value for reading: yuan with thousands separators, other numbers as they are.
pub(crate) fn value_text(key: &str, v: f64) -> String {
    if indicator_unit(key) == "元" && v.fract() == 0.0 && v.abs() < 1e15 {
        let digits = format!("{:.0}", v.abs());
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        if v < 0.0 { format!("-{out}") } else { out }
    } else {
        number_text(v)
    }
}

/// One quantitative indicator: its target, the value in the form (`value`, as typed) and for reading
/// (`shown`), and any error.
pub struct IndicatorRow {
    pub key: String,
    pub label: String,
    pub dimension: &'static str,
    pub unit: &'static str,
    pub target: String,
    pub value: String,
    pub shown: String,
    pub error: String,
}

pub(crate) fn indicator_rows(
    config: &AnnualConfig,
    targets: &Values,
    typed: &BTreeMap<String, String>,
    errors: &Errors,
) -> Vec<IndicatorRow> {
    config
        .rubric
        .indicators
        .iter()
        .filter(|i| i.kind == IndicatorKind::Quantitative)
        .map(|i| IndicatorRow {
            key: i.key.clone(),
            label: i.label_zh.clone(),
            dimension: i.dimension.label_zh(),
            unit: indicator_unit(&i.key),
            target: targets
                .get(&i.key)
                .map(|v| value_text(&i.key, *v))
                .unwrap_or_else(|| "未备案".into()),
            value: typed.get(&i.key).cloned().unwrap_or_default(),
            shown: typed
                .get(&i.key)
                .map(|t| match rules::parse_number(t) {
                    Ok(Some(v)) => value_text(&i.key, v),
                    _ => t.clone(),
                })
                .unwrap_or_default(),
            error: errors.get(&i.key).cloned().unwrap_or_default(),
        })
        .collect()
}
