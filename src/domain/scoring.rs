//! Year-end evaluation (年底评估): the rubric, a platform's score, and grades with results application.
//! Implements `EVALUATION.md` §4 (rubric and scoring) and §5 (grades, quota, ties, 结果运用).
//!
//! Everything here is pure. The rubric and the grade rules are configuration the application stores as JSON per
//! year (versioned), so a year's results can always be recomputed from the configuration in force that year.
//! Scores keep full `f64` precision; round only for display, with [`display`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::platform::Category;

/// Values per indicator key: a platform's filed targets, or its reported actuals.
pub type Values = BTreeMap<String, f64>;

/// Expert scores (each 0..=100) per qualitative indicator key.
pub type ExpertScores = BTreeMap<String, Vec<f64>>;

/// With at least this many expert scores for an item, the highest and the lowest are dropped before averaging.
pub const TRIM_FROM_EXPERTS: usize = 5;

/// Scores closer than this are the same score: they tie, and they meet a threshold they are this close to.
/// Absorbs floating-point noise (a platform that scores exactly 90 on paper must not get 89.99999999999999
/// and lose 优秀); far below the 0.01 shown to users.
pub const SCORE_EPSILON: f64 = 1e-9;

/// Weights are compared with this tolerance when checking that they sum to 100.
const WEIGHT_SUM_TOLERANCE: f64 = 1e-6;

// ---------------------------------------------------------------------------------------------------------------
// Dimension
// ---------------------------------------------------------------------------------------------------------------

code_enum! {
    /// One of the five evaluation dimensions.
    Dimension {
        Rnd = "rnd" / "技术研发",
        Talent = "talent" / "人才培养",
        Transfer = "transfer" / "成果转化",
        Market = "market" / "市场化运营",
        Governance = "governance" / "管理规范",
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Rubric
// ---------------------------------------------------------------------------------------------------------------

/// The weight of each dimension for one category; they should sum to 100.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DimensionWeights {
    /// 技术研发.
    pub rnd: f64,
    /// 人才培养.
    pub talent: f64,
    /// 成果转化.
    pub transfer: f64,
    /// 市场化运营.
    pub market: f64,
    /// 管理规范.
    pub governance: f64,
}

impl DimensionWeights {
    /// The weight of `dimension`.
    pub fn get(&self, dimension: Dimension) -> f64 {
        match dimension {
            Dimension::Rnd => self.rnd,
            Dimension::Talent => self.talent,
            Dimension::Transfer => self.transfer,
            Dimension::Market => self.market,
            Dimension::Governance => self.governance,
        }
    }

    /// The sum of the five weights.
    pub fn sum(&self) -> f64 {
        Dimension::ALL.iter().map(|d| self.get(*d)).sum()
    }
}

/// Dimension weights for every category (the table in `EVALUATION.md` §4).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CategoryWeights {
    /// 战略任务类.
    pub strategic_task: DimensionWeights,
    /// 产业转化类.
    pub industrial_transformation: DimensionWeights,
    /// 技术服务类.
    pub technical_service: DimensionWeights,
    /// 其他平台类.
    pub other: DimensionWeights,
}

impl CategoryWeights {
    /// The dimension weights used for platforms of `category`.
    pub fn for_category(&self, category: Category) -> &DimensionWeights {
        match category {
            Category::StrategicTask => &self.strategic_task,
            Category::IndustrialTransformation => &self.industrial_transformation,
            Category::TechnicalService => &self.technical_service,
            Category::Other => &self.other,
        }
    }
}

/// How an indicator is scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// From the platform's filed target and reported actual: min(actual ÷ target, 1).
    Quantitative,
    /// From the assigned experts' scores (0..=100).
    Qualitative,
}

/// One rubric indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    /// Stable snake_case key; targets, actuals and expert scores are keyed by it.
    pub key: String,
    /// The dimension it belongs to.
    pub dimension: Dimension,
    /// The Chinese name shown to users.
    pub label_zh: String,
    /// Weight within its dimension; a dimension's weights should sum to 100.
    pub weight: f64,
    /// Quantitative or qualitative.
    pub kind: IndicatorKind,
}

/// The evaluation rubric of one year: dimension weights by category and the indicators.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rubric {
    /// Dimension weights by category.
    pub dimensions: CategoryWeights,
    /// The indicators, in display order.
    pub indicators: Vec<Indicator>,
}

/// A rubric that cannot be used as it stands; `problems` are Chinese messages for the staff editing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("评估指标体系配置有误：{}", .problems.join("；"))]
pub struct RubricError {
    /// Every problem found.
    pub problems: Vec<String>,
}

fn weights(rnd: f64, talent: f64, transfer: f64, market: f64, governance: f64) -> DimensionWeights {
    DimensionWeights {
        rnd,
        talent,
        transfer,
        market,
        governance,
    }
}

fn indicator(
    key: &str,
    dimension: Dimension,
    label_zh: &str,
    weight: f64,
    kind: IndicatorKind,
) -> Indicator {
    Indicator {
        key: key.to_owned(),
        dimension,
        label_zh: label_zh.to_owned(),
        weight,
        kind,
    }
}

impl Rubric {
    /// The default rubric (`EVALUATION.md` §4). Dimension weights are the table there; the within-dimension
    /// weights (each dimension sums to 100) are this module's choice:
    ///
    /// | dimension | indicator (key) | weight |
    /// |---|---|---|
    /// | rnd | 研发经费支出 `rnd_expenditure` | 30 |
    /// | rnd | 攻克关键核心技术 `core_technologies` | 25 |
    /// | rnd | 发明专利授权 `invention_patents` | 25 |
    /// | rnd | 承担国家/省重大任务 `major_tasks` | 20 |
    /// | talent | 全职研发人员 `rnd_staff` | 40 |
    /// | talent | 引进高层次人才 `high_level_talents` | 35 |
    /// | talent | 与企业联合培养人才 `co_trained_talents` | 25 |
    /// | transfer | 登记技术合同成交额 `tech_contract_value` | 30 |
    /// | transfer | 成果转让/许可 `achievements_transferred` | 25 |
    /// | transfer | 孵化企业 `companies_incubated` | 20 |
    /// | transfer | 服务企业 `enterprises_served` | 25 |
    /// | market | 自我造血收入 `self_generated_income` | 40 |
    /// | market | 自给率 `self_sufficiency_ratio` | 40 |
    /// | market | 在用收入渠道数 `revenue_channels` | 20 |
    /// | governance (expert) | 章程执行与决策机构运行 `charter_board_functioning` | 30 |
    /// | governance (expert) | 按时备案报送 `filings_on_time` | 20 |
    /// | governance (expert) | 合规问题整改 `compliance_remediation` | 30 |
    /// | governance (expert) | 信息公开 `information_disclosure` | 20 |
    ///
    /// Income and self-sufficiency carry most of the market weight because they are what NT10's break-even goal
    /// measures; the channel count is a diversity check. Charter/board functioning and open compliance failures
    /// weigh more than the procedural items in governance.
    pub fn default_2025() -> Rubric {
        use Dimension::*;
        use IndicatorKind::*;
        Rubric {
            dimensions: CategoryWeights {
                strategic_task: weights(40.0, 25.0, 15.0, 10.0, 10.0),
                industrial_transformation: weights(20.0, 15.0, 35.0, 20.0, 10.0),
                technical_service: weights(15.0, 15.0, 20.0, 40.0, 10.0),
                other: weights(25.0, 15.0, 25.0, 25.0, 10.0),
            },
            indicators: vec![
                indicator("rnd_expenditure", Rnd, "研发经费支出", 30.0, Quantitative),
                indicator(
                    "core_technologies",
                    Rnd,
                    "攻克关键核心技术",
                    25.0,
                    Quantitative,
                ),
                indicator("invention_patents", Rnd, "发明专利授权", 25.0, Quantitative),
                indicator(
                    "major_tasks",
                    Rnd,
                    "承担国家/省重大任务",
                    20.0,
                    Quantitative,
                ),
                indicator("rnd_staff", Talent, "全职研发人员", 40.0, Quantitative),
                indicator(
                    "high_level_talents",
                    Talent,
                    "引进高层次人才",
                    35.0,
                    Quantitative,
                ),
                indicator(
                    "co_trained_talents",
                    Talent,
                    "与企业联合培养人才",
                    25.0,
                    Quantitative,
                ),
                indicator(
                    "tech_contract_value",
                    Transfer,
                    "登记技术合同成交额",
                    30.0,
                    Quantitative,
                ),
                indicator(
                    "achievements_transferred",
                    Transfer,
                    "成果转让/许可",
                    25.0,
                    Quantitative,
                ),
                indicator(
                    "companies_incubated",
                    Transfer,
                    "孵化企业",
                    20.0,
                    Quantitative,
                ),
                indicator(
                    "enterprises_served",
                    Transfer,
                    "服务企业",
                    25.0,
                    Quantitative,
                ),
                indicator(
                    "self_generated_income",
                    Market,
                    "自我造血收入（五类渠道，不含财政补助）",
                    40.0,
                    Quantitative,
                ),
                indicator(
                    "self_sufficiency_ratio",
                    Market,
                    "自给率（自我造血收入÷支出）",
                    40.0,
                    Quantitative,
                ),
                indicator(
                    "revenue_channels",
                    Market,
                    "在用收入渠道数",
                    20.0,
                    Quantitative,
                ),
                indicator(
                    "charter_board_functioning",
                    Governance,
                    "章程执行与决策机构运行",
                    30.0,
                    Qualitative,
                ),
                indicator(
                    "filings_on_time",
                    Governance,
                    "按时备案报送",
                    20.0,
                    Qualitative,
                ),
                indicator(
                    "compliance_remediation",
                    Governance,
                    "合规问题整改",
                    30.0,
                    Qualitative,
                ),
                indicator(
                    "information_disclosure",
                    Governance,
                    "信息公开",
                    20.0,
                    Qualitative,
                ),
            ],
        }
    }

    /// The indicator with `key`, if any.
    pub fn indicator(&self, key: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.key == key)
    }

    /// The indicators of `dimension`, in rubric order.
    pub fn indicators_of(&self, dimension: Dimension) -> impl Iterator<Item = &Indicator> {
        self.indicators
            .iter()
            .filter(move |i| i.dimension == dimension)
    }

    /// Checks a rubric staff edited: every category's dimension weights are non-negative and sum to 100; keys
    /// are non-empty and unique; every dimension has indicators with non-negative weights summing to 100.
    /// Scoring works on any rubric (it normalises), but a rubric that fails this is not what staff meant.
    pub fn validate(&self) -> Result<(), RubricError> {
        let mut problems = Vec::new();
        for &category in Category::ALL {
            let w = self.dimensions.for_category(category);
            if Dimension::ALL.iter().any(|d| !is_usable_weight(w.get(*d))) {
                problems.push(format!("{}的维度权重不能为负数", category.label_zh()));
            }
            if !sums_to_100(w.sum()) {
                problems.push(format!(
                    "{}的维度权重合计为{}，应为100",
                    category.label_zh(),
                    w.sum()
                ));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for ind in &self.indicators {
            if ind.key.trim().is_empty() {
                problems.push(format!("指标「{}」缺少标识", ind.label_zh));
            } else if !seen.insert(ind.key.as_str()) {
                problems.push(format!("指标标识「{}」重复", ind.key));
            }
            if !is_usable_weight(ind.weight) {
                problems.push(format!("指标「{}」的权重不能为负数", ind.label_zh));
            }
        }
        for &dimension in Dimension::ALL {
            let count = self.indicators_of(dimension).count();
            let sum: f64 = self.indicators_of(dimension).map(|i| i.weight).sum();
            if count == 0 {
                problems.push(format!("维度「{}」没有指标", dimension.label_zh()));
            } else if !sums_to_100(sum) {
                problems.push(format!(
                    "维度「{}」的指标权重合计为{}，应为100",
                    dimension.label_zh(),
                    sum
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(RubricError { problems })
        }
    }
}

fn is_usable_weight(w: f64) -> bool {
    w.is_finite() && w >= 0.0
}

fn sums_to_100(sum: f64) -> bool {
    (sum - 100.0).abs() <= WEIGHT_SUM_TOLERANCE
}

/// A weight as scoring uses it: negative or non-finite weights count as 0.
fn usable_weight(w: f64) -> f64 {
    if is_usable_weight(w) { w } else { 0.0 }
}

// ---------------------------------------------------------------------------------------------------------------
// Platform score
// ---------------------------------------------------------------------------------------------------------------

/// Something the score could not take at face value. `Display` gives the Chinese message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScoreWarning {
    /// No target filed: the indicator is left out and its dimension's other weights renormalised.
    MissingTarget { key: String, label_zh: String },
    /// A zero (or negative) target: left out like a missing one.
    NonPositiveTarget {
        key: String,
        label_zh: String,
        target: f64,
    },
    /// A target but no actual reported: counted as 0 achievement.
    MissingActual { key: String, label_zh: String },
    /// A negative or non-finite actual: counted as 0 achievement.
    InvalidActual { key: String, label_zh: String },
    /// No usable expert score for a qualitative item: left out like a missing target.
    NoExpertScores { key: String, label_zh: String },
    /// Expert scores outside 0..=100 (or non-finite) were ignored.
    InvalidExpertScores {
        key: String,
        label_zh: String,
        count: usize,
    },
    /// No indicator of this dimension could be scored: its weight is spread over the other dimensions.
    DimensionNotScorable { dimension: Dimension },
    /// Nothing at all could be scored: the total is 0.
    NothingScorable,
}

impl fmt::Display for ScoreWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScoreWarning::MissingTarget { label_zh, .. } => write!(
                f,
                "指标「{label_zh}」未填报目标值，未计分，本维度其余指标权重按比例调整"
            ),
            ScoreWarning::NonPositiveTarget { label_zh, .. } => write!(
                f,
                "指标「{label_zh}」目标值为0，未计分，本维度其余指标权重按比例调整"
            ),
            ScoreWarning::MissingActual { label_zh, .. } => {
                write!(f, "指标「{label_zh}」未填报实际值，按完成0计")
            }
            ScoreWarning::InvalidActual { label_zh, .. } => {
                write!(f, "指标「{label_zh}」实际值无效（负数或非数值），按完成0计")
            }
            ScoreWarning::NoExpertScores { label_zh, .. } => write!(
                f,
                "指标「{label_zh}」尚无专家评分，未计分，本维度其余指标权重按比例调整"
            ),
            ScoreWarning::InvalidExpertScores {
                label_zh, count, ..
            } => write!(
                f,
                "指标「{label_zh}」有{count}个专家评分不在0～100之间，已忽略"
            ),
            ScoreWarning::DimensionNotScorable { dimension } => write!(
                f,
                "维度「{}」没有可计分的指标，其权重按比例分配给其他维度",
                dimension.label_zh()
            ),
            ScoreWarning::NothingScorable => write!(f, "没有任何可计分的指标，总分记为0"),
        }
    }
}

/// How one indicator scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorScore {
    /// The indicator's key.
    pub key: String,
    /// Quantitative or qualitative.
    pub kind: IndicatorKind,
    /// The configured weight within the dimension.
    pub weight: f64,
    /// The weight actually applied, out of 100 within the dimension, after renormalisation (0 if left out).
    pub effective_weight: f64,
    /// Achievement 0..=1: min(actual ÷ target, 1), or the (trimmed) expert mean ÷ 100. `None` = left out.
    pub achievement: Option<f64>,
    /// Contribution to the dimension score: effective weight × achievement.
    pub points: f64,
}

/// How one dimension scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DimensionScore {
    /// The dimension.
    pub dimension: Dimension,
    /// The configured weight for the platform's category.
    pub weight: f64,
    /// The weight actually applied, out of 100, after renormalisation (0 if not scorable).
    pub effective_weight: f64,
    /// 0..=100, or `None` when no indicator of the dimension could be scored.
    pub score: Option<f64>,
    /// Contribution to the total: effective weight × score ÷ 100.
    pub points: f64,
    /// Every indicator of the dimension, in rubric order.
    pub indicators: Vec<IndicatorScore>,
}

/// A platform's year-end score, at full precision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlatformScore {
    /// 0..=100.
    pub total: f64,
    /// Every dimension, in [`Dimension::ALL`] order.
    pub by_dimension: Vec<DimensionScore>,
    /// What was left out or taken as 0, and why; empty when every indicator was scored as filed.
    pub warnings: Vec<ScoreWarning>,
}

impl PlatformScore {
    /// The score of `dimension`, if it could be scored.
    pub fn dimension_score(&self, dimension: Dimension) -> Option<f64> {
        self.by_dimension
            .iter()
            .find(|d| d.dimension == dimension)
            .and_then(|d| d.score)
    }
}

/// Scores one platform against the rubric (`EVALUATION.md` §4).
///
/// - Quantitative indicator: achievement = min(actual ÷ target, 1). A missing, zero (or negative) target leaves the
///   indicator out and renormalises the dimension's other weights, with a warning naming it. A missing or invalid
///   actual against a valid target counts as 0 (with a warning): not reporting must not raise the score.
/// - Qualitative indicator: the mean of the experts' scores ÷ 100; with [`TRIM_FROM_EXPERTS`] or more scores, one
///   highest and one lowest are dropped (see [`trimmed_mean`]). No usable expert score is treated like a missing
///   target. Scores outside 0..=100 are ignored with a warning.
/// - Dimension score = Σ wᵢ × achievementᵢ ÷ Σ wᵢ × 100 over the scorable indicators — equal to
///   Σ wᵢ × achievementᵢ when nothing was left out and the weights sum to 100.
/// - **A dimension with no scorable indicator is left out too**, and its weight is renormalised across the other
///   dimensions (with a warning), consistently with the indicator rule: the platform is scored on what can be
///   scored rather than given 0 for what nobody could measure. If nothing at all can be scored, the total is 0.
/// - Total = Σ W_d × score_d ÷ Σ W_d over the scorable dimensions (= Σ W_d × score_d ÷ 100 when complete), 0..=100.
///
/// Target, actual and expert-score entries whose key is not in the rubric are ignored.
pub fn score_platform(
    rubric: &Rubric,
    category: Category,
    targets: &Values,
    actuals: &Values,
    expert_scores: &ExpertScores,
) -> PlatformScore {
    let mut warnings = Vec::new();
    let mut by_dimension: Vec<DimensionScore> = Dimension::ALL
        .iter()
        .copied()
        .map(|dimension| {
            let weight = rubric.dimensions.for_category(category).get(dimension);
            let indicators = rubric.indicators_of(dimension).map(|ind| {
                (
                    ind,
                    achievement(ind, targets, actuals, expert_scores, &mut warnings),
                )
            });
            let dim = score_dimension(dimension, weight, indicators.collect());
            if dim.score.is_none() && usable_weight(weight) > 0.0 {
                warnings.push(ScoreWarning::DimensionNotScorable { dimension });
            }
            dim
        })
        .collect();

    let scorable_weight: f64 = by_dimension
        .iter()
        .filter(|d| d.score.is_some())
        .map(|d| usable_weight(d.weight))
        .sum();
    if scorable_weight <= 0.0 {
        warnings.push(ScoreWarning::NothingScorable);
        return PlatformScore {
            total: 0.0,
            by_dimension,
            warnings,
        };
    }
    let mut weighted_sum = 0.0;
    for d in &mut by_dimension {
        if let Some(score) = d.score {
            let w = usable_weight(d.weight);
            d.effective_weight = w / scorable_weight * 100.0;
            d.points = w * score / scorable_weight;
            weighted_sum += w * score;
        }
    }
    // One division at the end keeps round numbers round (9000 / 90 = 100 exactly).
    let total = weighted_sum / scorable_weight;
    PlatformScore {
        total,
        by_dimension,
        warnings,
    }
}

/// Scores one dimension from its indicators' achievements (`None` = left out). `effective_weight` and
/// `points` of the dimension itself are filled in by the caller once it knows which dimensions are scorable.
fn score_dimension(
    dimension: Dimension,
    weight: f64,
    indicators: Vec<(&Indicator, Option<f64>)>,
) -> DimensionScore {
    let scorable_weight: f64 = indicators
        .iter()
        .filter(|(_, a)| a.is_some())
        .map(|(ind, _)| usable_weight(ind.weight))
        .sum();
    let indicators: Vec<IndicatorScore> = indicators
        .into_iter()
        .map(|(ind, achievement)| {
            let effective_weight = match achievement {
                Some(_) if scorable_weight > 0.0 => {
                    usable_weight(ind.weight) / scorable_weight * 100.0
                }
                _ => 0.0,
            };
            IndicatorScore {
                key: ind.key.clone(),
                kind: ind.kind,
                weight: ind.weight,
                effective_weight,
                achievement,
                points: effective_weight * achievement.unwrap_or(0.0),
            }
        })
        .collect();
    let score = (scorable_weight > 0.0).then(|| {
        indicators
            .iter()
            .filter_map(|i| i.achievement.map(|a| usable_weight(i.weight) * a))
            .sum::<f64>()
            / scorable_weight
            * 100.0
    });
    DimensionScore {
        dimension,
        weight,
        effective_weight: 0.0,
        score,
        points: 0.0,
        indicators,
    }
}

/// An indicator's achievement in 0..=1, or `None` when it is left out; pushes any warning.
fn achievement(
    ind: &Indicator,
    targets: &Values,
    actuals: &Values,
    expert_scores: &ExpertScores,
    warnings: &mut Vec<ScoreWarning>,
) -> Option<f64> {
    match ind.kind {
        IndicatorKind::Quantitative => quantitative_achievement(ind, targets, actuals, warnings),
        IndicatorKind::Qualitative => qualitative_achievement(ind, expert_scores, warnings),
    }
}

fn quantitative_achievement(
    ind: &Indicator,
    targets: &Values,
    actuals: &Values,
    warnings: &mut Vec<ScoreWarning>,
) -> Option<f64> {
    let key = ind.key.clone();
    let label_zh = ind.label_zh.clone();
    let Some(&target) = targets.get(&ind.key) else {
        warnings.push(ScoreWarning::MissingTarget { key, label_zh });
        return None;
    };
    if !(target.is_finite() && target > 0.0) {
        warnings.push(ScoreWarning::NonPositiveTarget {
            key,
            label_zh,
            target,
        });
        return None;
    }
    match actuals.get(&ind.key) {
        None => {
            warnings.push(ScoreWarning::MissingActual { key, label_zh });
            Some(0.0)
        }
        Some(&actual) if !(actual.is_finite() && actual >= 0.0) => {
            warnings.push(ScoreWarning::InvalidActual { key, label_zh });
            Some(0.0)
        }
        Some(&actual) => Some((actual / target).min(1.0)),
    }
}

fn qualitative_achievement(
    ind: &Indicator,
    expert_scores: &ExpertScores,
    warnings: &mut Vec<ScoreWarning>,
) -> Option<f64> {
    let given = expert_scores.get(&ind.key).map_or(&[][..], Vec::as_slice);
    let valid: Vec<f64> = given
        .iter()
        .copied()
        .filter(|s| (0.0..=100.0).contains(s))
        .collect();
    let invalid = given.len() - valid.len();
    if invalid > 0 {
        warnings.push(ScoreWarning::InvalidExpertScores {
            key: ind.key.clone(),
            label_zh: ind.label_zh.clone(),
            count: invalid,
        });
    }
    let mean = trimmed_mean(&valid);
    if mean.is_none() {
        warnings.push(ScoreWarning::NoExpertScores {
            key: ind.key.clone(),
            label_zh: ind.label_zh.clone(),
        });
    }
    mean.map(|m| m / 100.0)
}

/// The mean of the experts' scores; with [`TRIM_FROM_EXPERTS`] (5) or more, one highest and one lowest are
/// dropped first (4 scores: plain mean). `None` for no scores.
pub fn trimmed_mean(scores: &[f64]) -> Option<f64> {
    if scores.is_empty() {
        return None;
    }
    let mut sorted = scores.to_vec();
    sorted.sort_by(f64::total_cmp);
    let kept = if sorted.len() >= TRIM_FROM_EXPERTS {
        &sorted[1..sorted.len() - 1]
    } else {
        &sorted[..]
    };
    Some(kept.iter().sum::<f64>() / kept.len() as f64)
}

/// A score as shown to users: two decimals. The only place scores are rounded.
pub fn display(score: f64) -> String {
    // `+ 0.0` turns -0.0 into 0.0 so it never shows as "-0.00".
    format!("{:.2}", score + 0.0)
}

// ---------------------------------------------------------------------------------------------------------------
// Grades
// ---------------------------------------------------------------------------------------------------------------

code_enum! {
    /// The year-end grade, best first.
    Grade {
        Excellent = "excellent" / "优秀",
        Good = "good" / "良好",
        Pass = "pass" / "合格",
        Fail = "fail" / "不合格",
    }
}

/// Next year's funding coefficient per grade.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FundingCoefficients {
    /// 优秀 (default 1.2).
    pub excellent: f64,
    /// 良好 (default 1.0).
    pub good: f64,
    /// 合格 (default 0.8).
    pub pass: f64,
    /// 不合格 (default 0).
    pub fail: f64,
}

impl Default for FundingCoefficients {
    fn default() -> Self {
        FundingCoefficients {
            excellent: 1.2,
            good: 1.0,
            pass: 0.8,
            fail: 0.0,
        }
    }
}

/// Grade thresholds, the excellent quota and results application (`EVALUATION.md` §5). Money in whole yuan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GradeRules {
    /// 优秀 needs at least this score (and a place within the quota).
    pub excellent_min: f64,
    /// 优秀 quota: this percentage of the platforms evaluated, rounded down, at least 1.
    pub excellent_quota_pct: u32,
    /// 良好 from this score.
    pub good_min: f64,
    /// 合格 from this score; below it 不合格.
    pub pass_min: f64,
    /// Reward recommendation for 优秀.
    pub reward_excellent_yuan: i64,
    /// Reward recommendation for 良好.
    pub reward_good_yuan: i64,
    /// Funding coefficients for next year's budget.
    pub coefficients: FundingCoefficients,
}

impl Default for GradeRules {
    fn default() -> Self {
        GradeRules {
            excellent_min: 90.0,
            excellent_quota_pct: 15,
            good_min: 75.0,
            pass_min: 60.0,
            reward_excellent_yuan: 500_000,
            reward_good_yuan: 200_000,
            coefficients: FundingCoefficients::default(),
        }
    }
}

impl GradeRules {
    /// The number of 优秀 places for `n` evaluated platforms: ⌊n × pct ÷ 100⌋, at least 1.
    pub fn excellent_quota(&self, n: usize) -> usize {
        let pct = usize::try_from(self.excellent_quota_pct).unwrap_or(usize::MAX);
        (n.saturating_mul(pct) / 100).max(1)
    }

    /// The grade a score earns by thresholds alone, given whether it is within the 优秀 quota.
    pub fn grade_for(&self, score: f64, within_quota: bool) -> Grade {
        let meets = |min: f64| score >= min - SCORE_EPSILON;
        if meets(self.excellent_min) && within_quota {
            Grade::Excellent
        } else if meets(self.good_min) {
            Grade::Good
        } else if meets(self.pass_min) {
            Grade::Pass
        } else {
            Grade::Fail
        }
    }

    /// The reward recommendation for `grade`, in yuan (0 for 合格 and 不合格).
    pub fn reward_yuan(&self, grade: Grade) -> i64 {
        match grade {
            Grade::Excellent => self.reward_excellent_yuan,
            Grade::Good => self.reward_good_yuan,
            Grade::Pass | Grade::Fail => 0,
        }
    }

    /// Next year's funding coefficient for `grade`.
    pub fn funding_coefficient(&self, grade: Grade) -> f64 {
        match grade {
            Grade::Excellent => self.coefficients.excellent,
            Grade::Good => self.coefficients.good,
            Grade::Pass => self.coefficients.pass,
            Grade::Fail => self.coefficients.fail,
        }
    }
}

/// One platform's place in the year's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradeResult<Id> {
    /// The platform.
    pub id: Id,
    /// Its total score, full precision (a non-finite input is recorded as 0).
    pub score: f64,
    /// Competition rank (1, 1, 3, …): equal scores share a rank.
    pub rank: usize,
    /// The grade after the quota.
    pub grade: Grade,
    /// Reward recommendation in yuan.
    pub reward_yuan: i64,
    /// Next year's funding coefficient.
    pub funding_coefficient: f64,
    /// 不合格: a draft rectification case is to be opened.
    pub opens_rectification: bool,
}

/// Ranks and grades the platforms evaluated in one year and applies the results (`EVALUATION.md` §5).
///
/// The caller passes only the platforms actually evaluated: a platform barred by a serious integrity violation in
/// the last three years (`INTEG-BAN`) is not evaluated, must be left out of `platforms`, and so does not count
/// towards the quota either.
///
/// - Ranks: competition ranking by score, highest first; scores within [`SCORE_EPSILON`] tie and share a rank.
/// - 优秀: score ≥ `excellent_min` **and** within the quota ([`GradeRules::excellent_quota`]). A tie group is
///   within the quota only if all of it is: the quota never splits a tie, so when admitting every platform tied at
///   the boundary would exceed it, none of them is 优秀 — they are 良好, and the unused places stay unused.
/// - 良好 ≥ `good_min`, 合格 ≥ `pass_min`, otherwise 不合格 (which opens rectification).
/// - Tied platforms always get the same grade (thresholds are applied to the tie group's top score).
///
/// Returns one result per input, in rank order; platforms that tie keep their input order. A non-finite score
/// is treated as 0.
pub fn assign_grades<Id: Clone>(
    rules: &GradeRules,
    platforms: &[(Id, f64)],
) -> Vec<GradeResult<Id>> {
    let quota = rules.excellent_quota(platforms.len());
    let mut order: Vec<(usize, f64)> = platforms
        .iter()
        .enumerate()
        .map(|(i, (_, score))| (i, if score.is_finite() { *score } else { 0.0 }))
        .collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));

    let mut results = Vec::with_capacity(order.len());
    let mut start = 0;
    while start < order.len() {
        let top = order[start].1;
        let size = order[start..]
            .iter()
            .take_while(|(_, score)| top - score <= SCORE_EPSILON)
            .count();
        let end = start + size;
        // Positions are 1-based: the group occupies ranks start+1 ..= end.
        let grade = rules.grade_for(top, end <= quota);
        for &(i, score) in &order[start..end] {
            results.push(GradeResult {
                id: platforms[i].0.clone(),
                score,
                rank: start + 1,
                grade,
                reward_yuan: rules.reward_yuan(grade),
                funding_coefficient: rules.funding_coefficient(grade),
                opens_rectification: grade == Grade::Fail,
            });
        }
        start = end;
    }
    results
}

// ---------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    const EPS: f64 = 1e-9;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < EPS
    }

    fn values(pairs: &[(&str, f64)]) -> Values {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    fn experts(pairs: &[(&str, &[f64])]) -> ExpertScores {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.to_vec()))
            .collect()
    }

    fn keys(rubric: &Rubric, kind: IndicatorKind) -> Vec<&str> {
        rubric
            .indicators
            .iter()
            .filter(|i| i.kind == kind)
            .map(|i| i.key.as_str())
            .collect()
    }

    /// Every quantitative target 10, every actual 10, every expert 100 → 100.
    fn full_marks(rubric: &Rubric) -> (Values, Values, ExpertScores) {
        let q = keys(rubric, IndicatorKind::Quantitative);
        let targets: Values = q.iter().map(|k| ((*k).to_owned(), 10.0)).collect();
        let actuals = targets.clone();
        let experts: ExpertScores = keys(rubric, IndicatorKind::Qualitative)
            .iter()
            .map(|k| ((*k).to_owned(), vec![100.0]))
            .collect();
        (targets, actuals, experts)
    }

    /// A small rubric: rnd has a (50) and b (30) and c (20); governance has g (100, qualitative).
    /// Dimension weights for every category: rnd 60, governance 40, others 0.
    fn small_rubric() -> Rubric {
        let w = weights(60.0, 0.0, 0.0, 0.0, 40.0);
        Rubric {
            dimensions: CategoryWeights {
                strategic_task: w,
                industrial_transformation: w,
                technical_service: w,
                other: w,
            },
            indicators: vec![
                indicator("a", Dimension::Rnd, "甲", 50.0, IndicatorKind::Quantitative),
                indicator("b", Dimension::Rnd, "乙", 30.0, IndicatorKind::Quantitative),
                indicator("c", Dimension::Rnd, "丙", 20.0, IndicatorKind::Quantitative),
                indicator(
                    "g",
                    Dimension::Governance,
                    "管理",
                    100.0,
                    IndicatorKind::Qualitative,
                ),
            ],
        }
    }

    // --- rubric ---

    #[test]
    fn default_rubric_matches_the_weights_table_and_validates() {
        let r = Rubric::default_2025();
        assert_eq!(r.validate(), Ok(()));
        let table = [
            (Category::StrategicTask, [40.0, 25.0, 15.0, 10.0, 10.0]),
            (
                Category::IndustrialTransformation,
                [20.0, 15.0, 35.0, 20.0, 10.0],
            ),
            (Category::TechnicalService, [15.0, 15.0, 20.0, 40.0, 10.0]),
            (Category::Other, [25.0, 15.0, 25.0, 25.0, 10.0]),
        ];
        for (category, row) in table {
            for (&d, w) in Dimension::ALL.iter().zip(row) {
                assert_eq!(
                    r.dimensions.for_category(category).get(d),
                    w,
                    "{category:?} {d:?}"
                );
            }
        }
        assert!(
            r.indicators_of(Dimension::Governance)
                .all(|i| i.kind == IndicatorKind::Qualitative)
        );
        assert!(
            r.indicators
                .iter()
                .filter(|i| i.dimension != Dimension::Governance)
                .all(|i| i.kind == IndicatorKind::Quantitative)
        );
        assert!(r.indicators.iter().all(|i| {
            !i.key.is_empty() && i.key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        }));
        assert_eq!(r.indicators.len(), 18);
    }

    #[test]
    fn rubric_round_trips_through_json() {
        let r = Rubric::default_2025();
        let json = serde_json::to_string(&r).expect("serialise rubric");
        assert!(json.contains("\"strategic_task\":{\"rnd\":40.0"));
        assert!(json.contains("\"kind\":\"qualitative\""));
        let back: Rubric = serde_json::from_str(&json).expect("deserialise rubric");
        assert_eq!(back, r);
        let rules = GradeRules::default();
        let json = serde_json::to_string(&rules).expect("serialise rules");
        assert_eq!(serde_json::from_str::<GradeRules>(&json).ok(), Some(rules));
    }

    #[test]
    fn rubric_validation_lists_every_problem() {
        let mut r = Rubric::default_2025();
        r.dimensions.other.market = 30.0;
        r.indicators[1].key = "rnd_expenditure".to_owned();
        r.indicators[4].weight = -40.0;
        r.indicators.retain(|i| i.dimension != Dimension::Transfer);
        let err = r.validate().expect_err("invalid rubric");
        assert_eq!(
            err.problems,
            vec![
                "其他平台类的维度权重合计为105，应为100",
                "指标标识「rnd_expenditure」重复",
                "指标「全职研发人员」的权重不能为负数",
                "维度「人才培养」的指标权重合计为20，应为100",
                "维度「成果转化」没有指标",
            ]
        );
    }

    // --- score_platform ---

    #[test]
    fn full_marks_score_100_for_every_category() {
        let r = Rubric::default_2025();
        let (t, a, e) = full_marks(&r);
        for &category in Category::ALL {
            let s = score_platform(&r, category, &t, &a, &e);
            assert_eq!(s.total, 100.0, "{category:?}");
            assert!(s.warnings.is_empty());
            assert_eq!(s.by_dimension.len(), 5);
        }
    }

    #[test]
    fn worked_example_with_the_default_rubric() {
        // industrial_transformation: rnd 20, talent 15, transfer 35, market 20, governance 10.
        let r = Rubric::default_2025();
        let (t, mut a, _) = full_marks(&r);
        a.insert("rnd_expenditure".into(), 5.0); // 0.5 × 30 = 15
        a.insert("invention_patents".into(), 20.0); // capped: 25
        a.insert("major_tasks".into(), 0.0); // 0 × 20
        a.insert("high_level_talents".into(), 5.0); // 0.5 × 35 = 17.5
        a.insert("self_generated_income".into(), 8.0); // 0.8 × 40 = 32
        a.insert("revenue_channels".into(), 5.0); // 0.5 × 20 = 10
        let e = experts(&[
            ("charter_board_functioning", &[80.0]),
            ("filings_on_time", &[80.0]),
            ("compliance_remediation", &[80.0]),
            ("information_disclosure", &[80.0]),
        ]);
        let s = score_platform(&r, Category::IndustrialTransformation, &t, &a, &e);
        let dims: Vec<f64> = Dimension::ALL
            .iter()
            .map(|d| s.dimension_score(*d).expect("scored"))
            .collect();
        let expected_dims = [65.0, 82.5, 100.0, 82.0, 80.0];
        for (got, want) in dims.iter().zip(expected_dims) {
            assert!(close(*got, want), "{got} vs {want}");
        }
        // (20×65 + 15×82.5 + 35×100 + 20×82 + 10×80) / 100
        assert!(close(s.total, 84.775), "{}", s.total);
        assert!(s.warnings.is_empty());
        let points: f64 = s.by_dimension.iter().map(|d| d.points).sum();
        assert!(close(points, s.total));
    }

    #[test]
    fn over_achievement_is_capped_at_1() {
        let r = small_rubric();
        let t = values(&[("a", 10.0), ("b", 10.0), ("c", 10.0)]);
        let a = values(&[("a", 50.0), ("b", 10.0), ("c", 0.0)]);
        let e = experts(&[("g", &[50.0])]);
        let s = score_platform(&r, Category::Other, &t, &a, &e);
        let rnd = &s.by_dimension[0];
        assert_eq!(rnd.indicators[0].achievement, Some(1.0));
        // 50×1 + 30×1 + 20×0 = 80; total = (60×80 + 40×50) / 100 = 68
        assert!(close(rnd.score.unwrap_or(f64::NAN), 80.0));
        assert!(close(s.total, 68.0));
    }

    #[test]
    fn missing_target_renormalises_the_dimension() {
        let r = small_rubric();
        let t = values(&[("b", 10.0), ("c", 10.0)]);
        let a = values(&[("a", 10.0), ("b", 10.0), ("c", 5.0)]);
        let e = experts(&[("g", &[100.0])]);
        let s = score_platform(&r, Category::Other, &t, &a, &e);
        let rnd = &s.by_dimension[0];
        // b 30 and c 20 renormalised to 60 and 40: 60×1 + 40×0.5 = 80.
        assert!(close(rnd.score.unwrap_or(f64::NAN), 80.0));
        assert_eq!(rnd.indicators[0].achievement, None);
        assert_eq!(rnd.indicators[0].effective_weight, 0.0);
        assert!(close(rnd.indicators[1].effective_weight, 60.0));
        assert!(close(rnd.indicators[2].effective_weight, 40.0));
        assert!(close(s.total, (60.0 * 80.0 + 40.0 * 100.0) / 100.0));
        assert_eq!(
            s.warnings,
            vec![ScoreWarning::MissingTarget {
                key: "a".into(),
                label_zh: "甲".into()
            }]
        );
        assert_eq!(
            s.warnings[0].to_string(),
            "指标「甲」未填报目标值，未计分，本维度其余指标权重按比例调整"
        );
    }

    #[test]
    fn zero_target_renormalises_the_dimension() {
        let r = small_rubric();
        let t = values(&[("a", 0.0), ("b", 10.0), ("c", 10.0)]);
        let a = values(&[("a", 3.0), ("b", 10.0), ("c", 5.0)]);
        let e = experts(&[("g", &[100.0])]);
        let s = score_platform(&r, Category::Other, &t, &a, &e);
        assert!(close(
            s.dimension_score(Dimension::Rnd).unwrap_or(f64::NAN),
            80.0
        ));
        assert!(close(s.total, 88.0));
        assert_eq!(
            s.warnings,
            vec![ScoreWarning::NonPositiveTarget {
                key: "a".into(),
                label_zh: "甲".into(),
                target: 0.0
            }]
        );
        assert!(s.warnings[0].to_string().contains("目标值为0"));
        // A negative target is treated the same way.
        let t = values(&[("a", -5.0), ("b", 10.0), ("c", 10.0)]);
        let s2 = score_platform(&r, Category::Other, &t, &a, &e);
        assert_eq!(s2.total, s.total);
    }

    #[test]
    fn missing_or_invalid_actual_counts_as_zero() {
        let r = small_rubric();
        let t = values(&[("a", 10.0), ("b", 10.0), ("c", 10.0)]);
        let a = values(&[("b", -1.0), ("c", 10.0)]);
        let e = experts(&[("g", &[100.0])]);
        let s = score_platform(&r, Category::Other, &t, &a, &e);
        assert!(close(
            s.dimension_score(Dimension::Rnd).unwrap_or(f64::NAN),
            20.0
        ));
        assert_eq!(
            s.warnings,
            vec![
                ScoreWarning::MissingActual {
                    key: "a".into(),
                    label_zh: "甲".into()
                },
                ScoreWarning::InvalidActual {
                    key: "b".into(),
                    label_zh: "乙".into()
                },
            ]
        );
    }

    #[test]
    fn dimension_without_scorable_indicator_is_renormalised_across_dimensions() {
        let r = small_rubric();
        let t = values(&[("a", 10.0), ("b", 10.0), ("c", 10.0)]);
        let a = values(&[("a", 10.0), ("b", 5.0), ("c", 10.0)]);
        let s = score_platform(&r, Category::Other, &t, &a, &ExpertScores::new());
        // rnd = 50 + 15 + 20 = 85 and carries all the weight.
        assert!(close(s.total, 85.0));
        let gov = &s.by_dimension[4];
        assert_eq!(gov.score, None);
        assert_eq!(gov.effective_weight, 0.0);
        assert!(close(s.by_dimension[0].effective_weight, 100.0));
        assert_eq!(
            s.warnings,
            vec![
                ScoreWarning::NoExpertScores {
                    key: "g".into(),
                    label_zh: "管理".into()
                },
                ScoreWarning::DimensionNotScorable {
                    dimension: Dimension::Governance
                },
            ]
        );
        assert_eq!(
            s.warnings[1].to_string(),
            "维度「管理规范」没有可计分的指标，其权重按比例分配给其他维度"
        );
    }

    #[test]
    fn default_rubric_without_governance_scores() {
        let r = Rubric::default_2025();
        let (t, a, _) = full_marks(&r);
        let s = score_platform(&r, Category::StrategicTask, &t, &a, &ExpertScores::new());
        assert_eq!(s.total, 100.0);
        assert_eq!(s.warnings.len(), 5); // four items + the dimension
    }

    #[test]
    fn nothing_scorable_gives_zero_with_a_warning() {
        let r = small_rubric();
        let s = score_platform(
            &r,
            Category::Other,
            &Values::new(),
            &Values::new(),
            &ExpertScores::new(),
        );
        assert_eq!(s.total, 0.0);
        assert_eq!(s.warnings.last(), Some(&ScoreWarning::NothingScorable));
        assert_eq!(s.warnings.len(), 3 + 1 + 2 + 1);
    }

    #[test]
    fn trimmed_mean_with_4_and_5_experts() {
        assert_eq!(trimmed_mean(&[]), None);
        assert_eq!(trimmed_mean(&[70.0]), Some(70.0));
        // 4 experts: plain mean.
        assert_eq!(trimmed_mean(&[100.0, 60.0, 70.0, 80.0]), Some(77.5));
        // 5 experts: drop one 100 and one 50, mean of 70, 80, 90.
        assert_eq!(trimmed_mean(&[100.0, 50.0, 80.0, 90.0, 70.0]), Some(80.0));
        // Equal extremes: only one of each is dropped.
        assert_eq!(trimmed_mean(&[60.0, 60.0, 90.0, 90.0, 75.0]), Some(75.0));
    }

    #[test]
    fn qualitative_items_use_the_trimmed_mean() {
        let r = small_rubric();
        let t = values(&[("a", 1.0), ("b", 1.0), ("c", 1.0)]);
        let a = t.clone();
        let four = experts(&[("g", &[100.0, 60.0, 70.0, 80.0])]);
        let five = experts(&[("g", &[100.0, 50.0, 80.0, 90.0, 70.0])]);
        let s4 = score_platform(&r, Category::Other, &t, &a, &four);
        let s5 = score_platform(&r, Category::Other, &t, &a, &five);
        assert!(close(
            s4.dimension_score(Dimension::Governance)
                .unwrap_or(f64::NAN),
            77.5
        ));
        assert!(close(
            s5.dimension_score(Dimension::Governance)
                .unwrap_or(f64::NAN),
            80.0
        ));
        assert!(close(s5.total, 60.0 + 0.4 * 80.0));
    }

    #[test]
    fn out_of_range_expert_scores_are_ignored() {
        let r = small_rubric();
        let t = values(&[("a", 1.0), ("b", 1.0), ("c", 1.0)]);
        let e = experts(&[("g", &[120.0, 80.0, -1.0])]);
        let s = score_platform(&r, Category::Other, &t, &t, &e);
        assert!(close(
            s.dimension_score(Dimension::Governance).unwrap_or(f64::NAN),
            80.0
        ));
        assert_eq!(
            s.warnings,
            vec![ScoreWarning::InvalidExpertScores {
                key: "g".into(),
                label_zh: "管理".into(),
                count: 2
            }]
        );
    }

    #[test]
    fn display_rounds_to_two_decimals() {
        assert_eq!(display(84.776), "84.78");
        assert_eq!(display(90.0), "90.00");
        assert_eq!(display(66.666_666_7), "66.67");
        assert_eq!(display(-0.0), "0.00");
    }

    #[test]
    fn platform_score_serialises_warnings_with_a_kind() {
        let r = small_rubric();
        let s = score_platform(
            &r,
            Category::Other,
            &Values::new(),
            &Values::new(),
            &ExpertScores::new(),
        );
        let json = serde_json::to_value(&s).expect("serialise score");
        assert_eq!(json["warnings"][0]["kind"], "missing_target");
        assert_eq!(json["warnings"][0]["key"], "a");
        let back: PlatformScore = serde_json::from_value(json).expect("deserialise score");
        assert_eq!(back, s);
    }

    // --- grades ---

    fn grade_of(results: &[GradeResult<u32>], id: u32) -> Grade {
        results
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.grade)
            .expect("id present")
    }

    /// `n` platforms with ids 1..=n; the given scores first, the rest 70.
    fn field(n: u32, top: &[f64]) -> Vec<(u32, f64)> {
        (1..=n)
            .map(|id| (id, top.get(id as usize - 1).copied().unwrap_or(70.0)))
            .collect()
    }

    #[test]
    fn quota_rounds_down_with_a_minimum_of_one() {
        let rules = GradeRules::default();
        assert_eq!(rules.excellent_quota(1), 1);
        assert_eq!(rules.excellent_quota(6), 1);
        assert_eq!(rules.excellent_quota(7), 1);
        assert_eq!(rules.excellent_quota(13), 1);
        assert_eq!(rules.excellent_quota(14), 2);
        assert_eq!(rules.excellent_quota(20), 3);
        for (n, quota) in [(6, 1), (7, 1), (20, 3)] {
            let all_high: Vec<(u32, f64)> = (1..=n)
                .map(|id| (id, 90.0 + f64::from(id) / 10.0))
                .collect();
            let results = assign_grades(&rules, &all_high);
            let excellent = results
                .iter()
                .filter(|r| r.grade == Grade::Excellent)
                .count();
            assert_eq!(excellent, quota, "n = {n}");
        }
    }

    #[test]
    fn all_above_90_are_limited_by_the_quota() {
        let rules = GradeRules::default();
        let platforms: Vec<(u32, f64)> = (1..=10).map(|id| (id, 90.0 + f64::from(id))).collect();
        let results = assign_grades(&rules, &platforms);
        assert_eq!(results[0].id, 10);
        assert_eq!(results[0].grade, Grade::Excellent);
        assert_eq!(results[0].reward_yuan, 500_000);
        assert_eq!(results[0].funding_coefficient, 1.2);
        for r in &results[1..] {
            assert_eq!(r.grade, Grade::Good, "{r:?}");
            assert_eq!(r.reward_yuan, 200_000);
            assert_eq!(r.funding_coefficient, 1.0);
        }
    }

    #[test]
    fn tie_at_the_quota_boundary_is_excluded_entirely() {
        let rules = GradeRules::default();
        // n = 20 → quota 3. Ranks 1, 2, then 95 tied ×2 at positions 3–4: would need 4 places.
        let results = assign_grades(&rules, &field(20, &[99.0, 98.0, 95.0, 95.0]));
        assert_eq!(grade_of(&results, 1), Grade::Excellent);
        assert_eq!(grade_of(&results, 2), Grade::Excellent);
        assert_eq!(grade_of(&results, 3), Grade::Good);
        assert_eq!(grade_of(&results, 4), Grade::Good);
        assert_eq!(
            results
                .iter()
                .filter(|r| r.grade == Grade::Excellent)
                .count(),
            2
        );
        // n = 6 → quota 1, two tied at the top: nobody is excellent.
        let results = assign_grades(&rules, &field(6, &[95.0, 95.0]));
        assert!(results.iter().all(|r| r.grade != Grade::Excellent));
        assert_eq!(grade_of(&results, 1), Grade::Good);
        assert_eq!(grade_of(&results, 2), Grade::Good);
        // A lower platform does not take the unused place.
        let results = assign_grades(&rules, &field(6, &[95.0, 95.0, 92.0]));
        assert_eq!(grade_of(&results, 3), Grade::Good);
    }

    #[test]
    fn tie_fully_inside_the_quota_is_excellent() {
        let rules = GradeRules::default();
        // n = 20 → quota 3: 99, then 95 tied ×2 at positions 2–3.
        let results = assign_grades(&rules, &field(20, &[99.0, 95.0, 95.0, 94.0]));
        assert_eq!(grade_of(&results, 1), Grade::Excellent);
        assert_eq!(grade_of(&results, 2), Grade::Excellent);
        assert_eq!(grade_of(&results, 3), Grade::Excellent);
        assert_eq!(grade_of(&results, 4), Grade::Good);
    }

    #[test]
    fn thresholds_are_inclusive() {
        let rules = GradeRules::default();
        // Each case: 19 fillers at 50 plus the score under test; n = 20 → quota 3, so a 90 at rank 1 qualifies.
        for (score, grade) in [
            (90.0, Grade::Excellent),
            (89.99, Grade::Good),
            (75.0, Grade::Good),
            (74.99, Grade::Pass),
            (60.0, Grade::Pass),
            (59.99, Grade::Fail),
        ] {
            let mut platforms = vec![(0, score)];
            platforms.extend((1..20).map(|id| (id, 50.0)));
            assert_eq!(
                grade_of(&assign_grades(&rules, &platforms), 0),
                grade,
                "{score}"
            );
        }
        // Floating-point noise below a threshold does not cost a grade.
        assert_eq!(rules.grade_for(90.0 - 1e-12, true), Grade::Excellent);
        assert_eq!(rules.grade_for(60.0 - 1e-12, false), Grade::Pass);
    }

    #[test]
    fn results_application_per_grade() {
        let rules = GradeRules::default();
        let results = assign_grades(&rules, &field(7, &[95.0, 80.0, 65.0, 40.0]));
        let by_id = |id: u32| results.iter().find(|r| r.id == id).expect("present");
        let row = |r: &GradeResult<u32>| {
            (
                r.grade,
                r.reward_yuan,
                r.funding_coefficient,
                r.opens_rectification,
            )
        };
        assert_eq!(row(by_id(1)), (Grade::Excellent, 500_000, 1.2, false));
        assert_eq!(row(by_id(2)), (Grade::Good, 200_000, 1.0, false));
        assert_eq!(row(by_id(3)), (Grade::Pass, 0, 0.8, false));
        assert_eq!(row(by_id(4)), (Grade::Fail, 0, 0.0, true));
    }

    #[test]
    fn ranks_share_ties_in_competition_order() {
        let rules = GradeRules::default();
        let platforms = [
            (1, 80.0),
            (2, 90.0),
            (3, 90.0),
            (4, 70.0),
            (5, 80.0),
            (6, 10.0),
        ];
        let results = assign_grades(&rules, &platforms);
        let got: Vec<(u32, usize)> = results.iter().map(|r| (r.id, r.rank)).collect();
        assert_eq!(got, vec![(2, 1), (3, 1), (1, 3), (5, 3), (4, 5), (6, 6)]);
        // Scores equal up to floating-point noise tie too.
        let results = assign_grades(&rules, &[(1, 0.1 + 0.2), (2, 0.3), (3, 0.2)]);
        assert_eq!(
            results.iter().map(|r| r.rank).collect::<Vec<_>>(),
            vec![1, 1, 3]
        );
    }

    #[test]
    fn empty_and_non_finite_inputs() {
        let rules = GradeRules::default();
        assert!(assign_grades::<u32>(&rules, &[]).is_empty());
        let results = assign_grades(&rules, &[(1, f64::NAN), (2, 61.0)]);
        assert_eq!(results[0].id, 2);
        assert_eq!(results[1].score, 0.0);
        assert_eq!(results[1].grade, Grade::Fail);
        assert_eq!(results[1].rank, 2);
    }

    #[test]
    fn codes_round_trip_through_from_str_and_serde() {
        fn round_trip<T>(all: &[T], as_str: fn(T) -> &'static str)
        where
            T: Copy
                + PartialEq
                + fmt::Debug
                + std::str::FromStr
                + Serialize
                + serde::de::DeserializeOwned,
        {
            for &x in all {
                assert_eq!(as_str(x).parse::<T>().ok(), Some(x));
                let json = serde_json::to_string(&x).expect("serialise");
                assert_eq!(json, format!("\"{}\"", as_str(x)));
                assert_eq!(serde_json::from_str::<T>(&json).ok(), Some(x));
            }
        }
        round_trip(Category::ALL, Category::as_str);
        round_trip(Dimension::ALL, Dimension::as_str);
        round_trip(Grade::ALL, Grade::as_str);
        assert_eq!(
            "great".parse::<Grade>().map_err(|e| e.to_string()),
            Err("无法识别的取值「great」".to_owned())
        );
        let labels: Vec<_> = Grade::ALL.iter().map(|g| g.label_zh()).collect();
        assert_eq!(labels, ["优秀", "良好", "合格", "不合格"]);
        let labels: Vec<_> = Category::ALL.iter().map(|c| c.label_zh()).collect();
        assert_eq!(
            labels,
            ["战略任务类", "产业转化类", "技术服务类", "其他平台类"]
        );
        let labels: Vec<_> = Dimension::ALL.iter().map(|d| d.label_zh()).collect();
        assert_eq!(
            labels,
            ["技术研发", "人才培养", "成果转化", "市场化运营", "管理规范"]
        );
    }
}
