//! The per-year configuration form (年度配置): every field of [`AnnualConfig`] as typed by staff,
//! parsed with every problem reported at once next to its field, plus a change reason.
//!
//! Field names: `filing_deadline`, `midyear_deadline`, `yearend_deadline` (MM-DD); `w_<category>_<dimension>`
//! (the dimension weights table); indicator rows `ind_<i>_key|label|dimension|weight|kind` and
//! `ind_<i>_remove` for `i` in `0..rows`; `excellent_min`, `excellent_quota_pct`, `good_min`, `pass_min`,
//! `reward_excellent`, `reward_good` (万元), `coef_excellent|good|pass|fail`; `notice_days`; `reason`.
//! Sums that are off are reported on `catsum_<category>` and `dimsum_<dimension>`.

use std::collections::BTreeSet;

use super::annual::{AnnualConfig, Deadlines};
use super::calendar::MonthDay;
use super::fields::{FieldMessages, RawForm};
use super::ledger::{parse_wan, wan_input};
use super::platform::Category;
use super::scoring::{
    CategoryWeights, Dimension, DimensionWeights, FundingCoefficients, GradeRules, Indicator,
    IndicatorKind, Rubric,
};

/// The most indicator rows a form may carry.
pub const MAX_ROWS: usize = 100;
/// Blank rows offered for new indicators.
pub const BLANK_ROWS: usize = 3;

/// Field names of an indicator row.
pub fn row_field(i: usize, part: &str) -> String {
    format!("ind_{i}_{part}")
}

pub fn weight_field(category: Category, dimension: Dimension) -> String {
    format!("w_{}_{}", category.as_str(), dimension.as_str())
}

pub fn catsum_field(category: Category) -> String {
    format!("catsum_{}", category.as_str())
}

pub fn dimsum_field(dimension: Dimension) -> String {
    format!("dimsum_{}", dimension.as_str())
}

/// Stable code of an indicator kind in the form.
pub fn kind_code(kind: IndicatorKind) -> &'static str {
    match kind {
        IndicatorKind::Quantitative => "quantitative",
        IndicatorKind::Qualitative => "qualitative",
    }
}

pub fn kind_label(kind: IndicatorKind) -> &'static str {
    match kind {
        IndicatorKind::Quantitative => "定量（目标与实际）",
        IndicatorKind::Qualitative => "定性（专家评分）",
    }
}

fn parse_kind(s: &str) -> Option<IndicatorKind> {
    match s {
        "quantitative" => Some(IndicatorKind::Quantitative),
        "qualitative" => Some(IndicatorKind::Qualitative),
        _ => None,
    }
}

/// A number as the form shows it: no trailing zeros.
pub fn number_input(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" {
        "0".into()
    } else {
        s.to_owned()
    }
}

/// The configuration as form fields (with [`BLANK_ROWS`] empty indicator rows at the end).
pub fn to_form(c: &AnnualConfig) -> RawForm {
    let mut f = RawForm::default();
    f.set("filing_deadline", c.deadlines.filing.to_string());
    f.set("midyear_deadline", c.deadlines.midyear.to_string());
    f.set("yearend_deadline", c.deadlines.yearend.to_string());
    for &cat in Category::ALL {
        let w = c.rubric.dimensions.for_category(cat);
        for &dim in Dimension::ALL {
            f.set(weight_field(cat, dim), number_input(w.get(dim)));
        }
    }
    for (i, ind) in c.rubric.indicators.iter().enumerate() {
        f.set(row_field(i, "key"), ind.key.clone());
        f.set(row_field(i, "label"), ind.label_zh.clone());
        f.set(row_field(i, "dimension"), ind.dimension.as_str());
        f.set(row_field(i, "weight"), number_input(ind.weight));
        f.set(row_field(i, "kind"), kind_code(ind.kind));
    }
    f.set("rows", (c.rubric.indicators.len() + BLANK_ROWS).to_string());
    let g = &c.grade_rules;
    f.set("excellent_min", number_input(g.excellent_min));
    f.set("excellent_quota_pct", g.excellent_quota_pct.to_string());
    f.set("good_min", number_input(g.good_min));
    f.set("pass_min", number_input(g.pass_min));
    f.set("reward_excellent", wan_input(g.reward_excellent_yuan));
    f.set("reward_good", wan_input(g.reward_good_yuan));
    f.set("coef_excellent", number_input(g.coefficients.excellent));
    f.set("coef_good", number_input(g.coefficients.good));
    f.set("coef_pass", number_input(g.coefficients.pass));
    f.set("coef_fail", number_input(g.coefficients.fail));
    f.set("notice_days", c.notice_days.to_string());
    f
}

/// The configuration as labelled lines (for showing two versions side by side).
pub fn summary(c: &AnnualConfig) -> Vec<(String, String)> {
    let mut lines = vec![
        ("年初备案截止".to_owned(), c.deadlines.filing.to_string()),
        ("半年过堂截止".to_owned(), c.deadlines.midyear.to_string()),
        (
            "年底评估截止（次年）".to_owned(),
            c.deadlines.yearend.to_string(),
        ),
    ];
    for &cat in Category::ALL {
        let w = c.rubric.dimensions.for_category(cat);
        lines.push((
            format!("{}维度权重", cat.label_zh()),
            Dimension::ALL
                .iter()
                .map(|d| format!("{} {}", d.label_zh(), number_input(w.get(*d))))
                .collect::<Vec<_>>()
                .join("，"),
        ));
    }
    for ind in &c.rubric.indicators {
        lines.push((
            format!("指标 {}", ind.key),
            format!(
                "{}（{}，权重 {}，{}）",
                ind.label_zh,
                ind.dimension.label_zh(),
                number_input(ind.weight),
                kind_label(ind.kind)
            ),
        ));
    }
    let g = &c.grade_rules;
    lines.extend([
        ("优秀分数线".to_owned(), number_input(g.excellent_min)),
        (
            "优秀比例（%）".to_owned(),
            g.excellent_quota_pct.to_string(),
        ),
        ("良好分数线".to_owned(), number_input(g.good_min)),
        ("合格分数线".to_owned(), number_input(g.pass_min)),
        (
            "优秀奖励（万元）".to_owned(),
            wan_input(g.reward_excellent_yuan),
        ),
        ("良好奖励（万元）".to_owned(), wan_input(g.reward_good_yuan)),
        (
            "经费系数（优秀/良好/合格/不合格）".to_owned(),
            [
                g.coefficients.excellent,
                g.coefficients.good,
                g.coefficients.pass,
                g.coefficients.fail,
            ]
            .iter()
            .map(|x| number_input(*x))
            .collect::<Vec<_>>()
            .join(" / "),
        ),
        ("公示期（天）".to_owned(), c.notice_days.to_string()),
    ]);
    lines
}

/// The number of indicator rows the form carries (bounded).
pub fn row_count(f: &RawForm) -> usize {
    f.get("rows").parse::<usize>().unwrap_or(0).min(MAX_ROWS)
}

/// Every problem of a posted configuration form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigErrors {
    /// By field name (including `catsum_*` and `dimsum_*`).
    pub fields: FieldMessages,
    /// Problems [`AnnualConfig::validate`] found that no field check did.
    pub general: Vec<String>,
}

impl ConfigErrors {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_empty()
    }

    pub fn count(&self) -> usize {
        self.fields.len() + self.general.len()
    }
}

struct Reader<'a> {
    f: &'a RawForm,
    errors: FieldMessages,
}

impl Reader<'_> {
    fn number(&mut self, name: &str, min: f64, max: f64, fallback: f64) -> f64 {
        let v = self.f.get(name);
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() && (min..=max).contains(&x) => x,
            Ok(_) => {
                self.errors.add(
                    name,
                    format!("应在 {} – {} 之间", number_input(min), number_input(max)),
                );
                fallback
            }
            Err(_) if v.is_empty() => {
                self.errors.add(name, "请填写");
                fallback
            }
            Err(_) => {
                self.errors.add(name, "请填写数字");
                fallback
            }
        }
    }

    fn integer(&mut self, name: &str, min: u32, max: u32, fallback: u32) -> u32 {
        let v = self.f.get(name);
        match v.parse::<u32>() {
            Ok(x) if (min..=max).contains(&x) => x,
            _ if v.is_empty() => {
                self.errors.add(name, "请填写");
                fallback
            }
            _ => {
                self.errors
                    .add(name, format!("应为 {min} – {max} 之间的整数"));
                fallback
            }
        }
    }

    fn month_day(&mut self, name: &str, fallback: MonthDay) -> MonthDay {
        match MonthDay::parse(self.f.get(name)) {
            Ok(md) => md,
            Err(e) => {
                self.errors.add(name, e.to_string());
                fallback
            }
        }
    }

    fn money(&mut self, name: &str, fallback: i64) -> i64 {
        match parse_wan(self.f.get(name)) {
            Ok(y) => y,
            Err(e) => {
                self.errors.add(name, e);
                fallback
            }
        }
    }
}

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && key.len() <= 50
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn sums_to_100(sum: f64) -> bool {
    (sum - 100.0).abs() <= 1e-6
}

/// Parses the configuration form: the configuration and the change reason, or every problem.
pub fn parse(f: &RawForm) -> Result<(AnnualConfig, String), ConfigErrors> {
    let defaults = AnnualConfig::default();
    let mut r = Reader {
        f,
        errors: FieldMessages::default(),
    };

    let deadlines = Deadlines {
        filing: r.month_day("filing_deadline", defaults.deadlines.filing),
        midyear: r.month_day("midyear_deadline", defaults.deadlines.midyear),
        yearend: r.month_day("yearend_deadline", defaults.deadlines.yearend),
    };

    let mut table = defaults.rubric.dimensions;
    for &cat in Category::ALL {
        let mut w = *defaults.rubric.dimensions.for_category(cat);
        let mut all_parsed = true;
        for &dim in Dimension::ALL {
            let name = weight_field(cat, dim);
            let before = r.errors.len();
            let x = r.number(&name, 0.0, 100.0, 0.0);
            all_parsed &= r.errors.len() == before;
            set_weight(&mut w, dim, x);
        }
        if all_parsed && !sums_to_100(w.sum()) {
            r.errors.add(
                catsum_field(cat),
                format!(
                    "{}的五个维度权重合计为 {}，应为 100",
                    cat.label_zh(),
                    number_input(w.sum())
                ),
            );
        }
        set_category(&mut table, cat, w);
    }

    let mut indicators = Vec::new();
    let mut seen = BTreeSet::new();
    let mut dims_parsed: BTreeSet<Dimension> = Dimension::ALL.iter().copied().collect();
    for i in 0..row_count(f) {
        if f.checked(&row_field(i, "remove")) {
            continue;
        }
        let key = f.get(&row_field(i, "key")).to_owned();
        let label = f.get(&row_field(i, "label")).to_owned();
        let weight_text = f.get(&row_field(i, "weight"));
        if key.is_empty() && label.is_empty() && weight_text.is_empty() {
            continue; // an unused blank row
        }
        if !valid_key(&key) {
            r.errors.add(
                row_field(i, "key"),
                "标识应为小写英文字母开头，由小写字母、数字和下划线组成（不超过 50 个字符）",
            );
        } else if !seen.insert(key.clone()) {
            r.errors
                .add(row_field(i, "key"), format!("标识「{key}」重复"));
        }
        let n = label.chars().count();
        if n == 0 || n > 50 {
            r.errors
                .add(row_field(i, "label"), "请填写指标名称（不超过 50 个字）");
        }
        let dimension = Dimension::parse(f.get(&row_field(i, "dimension")));
        if dimension.is_none() {
            r.errors.add(row_field(i, "dimension"), "请选择维度");
        }
        let before = r.errors.len();
        let weight = r.number(&row_field(i, "weight"), 0.0, 100.0, 0.0);
        if r.errors.len() != before
            && let Some(d) = dimension
        {
            dims_parsed.remove(&d);
        }
        let kind = parse_kind(f.get(&row_field(i, "kind")));
        if kind.is_none() {
            r.errors.add(row_field(i, "kind"), "请选择计分方式");
        }
        if let (Some(dimension), Some(kind)) = (dimension, kind) {
            indicators.push(Indicator {
                key,
                dimension,
                label_zh: label,
                weight,
                kind,
            });
        }
    }
    for &dim in Dimension::ALL {
        let of_dim: Vec<&Indicator> = indicators.iter().filter(|i| i.dimension == dim).collect();
        let sum: f64 = of_dim.iter().map(|i| i.weight).sum();
        if of_dim.is_empty() {
            r.errors.add(
                dimsum_field(dim),
                format!("维度「{}」没有指标，至少需要一个", dim.label_zh()),
            );
        } else if dims_parsed.contains(&dim) && !sums_to_100(sum) {
            r.errors.add(
                dimsum_field(dim),
                format!(
                    "维度「{}」的指标权重合计为 {}，应为 100",
                    dim.label_zh(),
                    number_input(sum)
                ),
            );
        }
    }

    let d = &defaults.grade_rules;
    let excellent_min = r.number("excellent_min", 0.0, 100.0, d.excellent_min);
    let good_min = r.number("good_min", 0.0, 100.0, d.good_min);
    let pass_min = r.number("pass_min", 0.0, 100.0, d.pass_min);
    let lines_parsed = ["excellent_min", "good_min", "pass_min"]
        .iter()
        .all(|n| !r.errors.has(n));
    if lines_parsed && !(pass_min < good_min && good_min <= excellent_min) {
        r.errors
            .add("good_min", "等次分数线应满足：合格 < 良好 ≤ 优秀 ≤ 100");
    }
    let grade_rules = GradeRules {
        excellent_min,
        excellent_quota_pct: r.integer("excellent_quota_pct", 1, 100, d.excellent_quota_pct),
        good_min,
        pass_min,
        reward_excellent_yuan: r.money("reward_excellent", d.reward_excellent_yuan),
        reward_good_yuan: r.money("reward_good", d.reward_good_yuan),
        coefficients: FundingCoefficients {
            excellent: r.number("coef_excellent", 0.0, 10.0, d.coefficients.excellent),
            good: r.number("coef_good", 0.0, 10.0, d.coefficients.good),
            pass: r.number("coef_pass", 0.0, 10.0, d.coefficients.pass),
            fail: r.number("coef_fail", 0.0, 10.0, d.coefficients.fail),
        },
    };
    let notice_days = r.integer("notice_days", 1, 30, defaults.notice_days);

    let reason = f.get("reason").to_owned();
    if reason.is_empty() {
        r.errors.add("reason", "请填写修改原因");
    } else if reason.chars().count() > 500 {
        r.errors.add("reason", "修改原因不能超过 500 个字");
    }

    let config = AnnualConfig {
        deadlines,
        rubric: Rubric {
            dimensions: table,
            indicators,
        },
        grade_rules,
        notice_days,
    };
    let mut errors = ConfigErrors {
        fields: r.errors,
        general: Vec::new(),
    };
    if errors.fields.is_empty()
        && let Err(problems) = config.validate()
    {
        errors.general = problems;
    }
    if errors.is_empty() {
        Ok((config, reason))
    } else {
        Err(errors)
    }
}

fn set_weight(w: &mut DimensionWeights, dim: Dimension, x: f64) {
    match dim {
        Dimension::Rnd => w.rnd = x,
        Dimension::Talent => w.talent = x,
        Dimension::Transfer => w.transfer = x,
        Dimension::Market => w.market = x,
        Dimension::Governance => w.governance = x,
    }
}

fn set_category(t: &mut CategoryWeights, cat: Category, w: DimensionWeights) {
    match cat {
        Category::StrategicTask => t.strategic_task = w,
        Category::IndustrialTransformation => t.industrial_transformation = w,
        Category::TechnicalService => t.technical_service = w,
        Category::Other => t.other = w,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form_of_defaults() -> RawForm {
        let mut f = to_form(&AnnualConfig::default());
        f.set("reason", "按评估办法调整");
        f
    }

    #[test]
    fn the_defaults_round_trip_through_the_form() {
        let (c, reason) = parse(&form_of_defaults()).expect("valid");
        assert_eq!(c, AnnualConfig::default());
        assert_eq!(reason, "按评估办法调整");
    }

    #[test]
    fn summary_names_every_indicator() {
        let lines = summary(&AnnualConfig::default());
        assert_eq!(lines.len(), 3 + 4 + 18 + 8);
        assert!(lines.contains(&(
            "指标 rnd_staff".to_owned(),
            "全职研发人员（人才培养，权重 40，定量（目标与实际））".to_owned()
        )));
    }

    #[test]
    fn a_reason_is_required() {
        let mut f = form_of_defaults();
        f.set("reason", "  ");
        let e = parse(&f).expect_err("no reason");
        assert_eq!(e.fields.get("reason"), "请填写修改原因");
        assert_eq!(e.count(), 1);
    }

    #[test]
    fn weights_off_in_a_dimension_are_named() {
        let mut f = form_of_defaults();
        // Row 0 is rnd_expenditure (rnd, 30): make it 20 → rnd sums to 90.
        f.set(row_field(0, "weight"), "20");
        // And a category row off as well.
        f.set(weight_field(Category::Other, Dimension::Rnd), "30");
        let e = parse(&f).expect_err("bad sums");
        assert_eq!(
            e.fields.get("dimsum_rnd"),
            "维度「技术研发」的指标权重合计为 90，应为 100"
        );
        assert_eq!(
            e.fields.get("catsum_other"),
            "其他平台类的五个维度权重合计为 105，应为 100"
        );
        assert!(!e.fields.has("dimsum_talent"));
        assert_eq!(e.count(), 2);
    }

    #[test]
    fn indicators_can_be_added_removed_and_reweighted() {
        let mut f = form_of_defaults();
        let rows = row_count(&f);
        // Remove core_technologies (row 1, rnd 25) and add a new rnd indicator of 25 in a blank row.
        f.set(row_field(1, "remove"), "on");
        let new = rows - BLANK_ROWS;
        f.set(row_field(new, "key"), "pilot_lines");
        f.set(row_field(new, "label"), "建成中试线");
        f.set(row_field(new, "dimension"), "rnd");
        f.set(row_field(new, "weight"), "25");
        f.set(row_field(new, "kind"), "quantitative");
        let (c, _) = parse(&f).expect("valid");
        assert!(c.rubric.indicator("core_technologies").is_none());
        assert_eq!(
            c.rubric.indicator("pilot_lines").map(|i| i.weight),
            Some(25.0)
        );
        assert_eq!(c.rubric.indicators.len(), 18);
    }

    #[test]
    fn every_bad_field_at_once() {
        let mut f = form_of_defaults();
        f.set("filing_deadline", "3-31");
        f.set("notice_days", "0");
        f.set("good_min", "50");
        f.set("reward_good", "-1");
        f.set(row_field(2, "key"), "rnd_expenditure"); // duplicate of row 0
        f.set(row_field(3, "label"), "");
        f.set(row_field(4, "kind"), "magic");
        let e = parse(&f).expect_err("bad");
        assert!(e.fields.get("filing_deadline").contains("MM-DD"));
        assert_eq!(e.fields.get("notice_days"), "应为 1 – 30 之间的整数");
        assert_eq!(
            e.fields.get("good_min"),
            "等次分数线应满足：合格 < 良好 ≤ 优秀 ≤ 100"
        );
        assert_eq!(e.fields.get("reward_good"), "金额不能为负数");
        assert_eq!(e.fields.get("ind_2_key"), "标识「rnd_expenditure」重复");
        assert!(e.fields.has("ind_3_label"));
        assert_eq!(e.fields.get("ind_4_kind"), "请选择计分方式");
        // Row 4 (rnd_staff, talent) has no kind, so it is not an indicator: talent sums to 60.
        assert!(e.fields.get("dimsum_talent").contains("合计为 60"));
    }

    #[test]
    fn a_dimension_left_without_indicators_is_named() {
        let mut f = form_of_defaults();
        for i in 0..row_count(&f) {
            if f.get(&row_field(i, "dimension")) == "governance" {
                f.set(row_field(i, "remove"), "on");
            }
        }
        let e = parse(&f).expect_err("empty dimension");
        assert_eq!(
            e.fields.get("dimsum_governance"),
            "维度「管理规范」没有指标，至少需要一个"
        );
    }
}
