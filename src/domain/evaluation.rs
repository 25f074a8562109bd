//! The year-end evaluation (年底评估, EVALUATION.md §3 and §5) as pure rules: who may move a platform's
//! evaluation from which status to which, the year's round (proposed → public notice → published), the
//! expert's conflict declaration and scoring, the integrity bar (`INTEG-BAN`), and the inputs handed to
//! [`scoring::score_platform`] and [`scoring::assign_grades`] — which do the arithmetic; nothing here
//! re-implements them.
//!
//! ```text
//! platform evaluation:
//!   draft ──submit──▶ submitted ──county pass──▶ county_passed ──city pass──▶ city_passed ──propose──▶ scored
//!     ▲                 │  (county / city_county platforms)         │                            │
//!     │                 └──county return──▶ county_returned         └──city return──▶ city_returned
//!     └──────────── returned evaluations are edited and submitted again ◀─────────────────────┘
//!   city platforms: submitted ──city pass / return──▶ …   (no county step)
//!   any status before `scored` ──barred by INTEG-BAN──▶ excluded (not evaluated)
//!
//! year round:
//!   open ──propose──▶ proposed ──start notice──▶ notice ──publish (notice over, objections answered)──▶ published
//!          proposed / notice ──withdraw──▶ open
//! ```
//!
//! "Today" (Beijing date) is always a parameter, so every rule here is testable with a pinned date.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::calendar::add_months;
use super::platform::{Category, Level, Stage};
use super::role::Role;
use super::scoring::{
    Dimension, ExpertScores, IndicatorKind, PlatformScore, Rubric, ScoreWarning, Values,
    score_platform,
};

/// Qualitative items need at least this many experts who declared no conflict and submitted their scores.
pub const MIN_EXPERTS: usize = 2;

/// Longest self-assessment, in characters.
pub const SELF_ASSESSMENT_MAX: usize = 4000;

/// Largest number accepted for an indicator value (well above any platform's yuan figures).
const VALUE_MAX: f64 = 1e13;

code_enum! {
    /// Where a platform's evaluation of one year stands (`evaluations.status`).
    EvalStatus {
        Draft = "draft" / "填报中",
        Submitted = "submitted" / "已提交，待审核",
        CountyReturned = "county_returned" / "县级初审退回",
        CountyPassed = "county_passed" / "县级初审通过，待市级复审",
        CityReturned = "city_returned" / "市级复审退回",
        CityPassed = "city_passed" / "市级复审通过，待专家评审",
        Scored = "scored" / "已评定等次",
        Excluded = "excluded" / "不参评",
    }
}

impl EvalStatus {
    /// The operator may still edit it (and submit it).
    pub fn is_editable(self) -> bool {
        matches!(
            self,
            EvalStatus::Draft | EvalStatus::CountyReturned | EvalStatus::CityReturned
        )
    }

    /// Submitted and somewhere in the reviews, not yet through them.
    pub fn is_in_review(self) -> bool {
        matches!(self, EvalStatus::Submitted | EvalStatus::CountyPassed)
    }
}

code_enum! {
    /// Where the year's results stand (`evaluation_rounds.status`).
    RoundStatus {
        Open = "open" / "评估进行中",
        Proposed = "proposed" / "已生成拟评等次",
        Notice = "notice" / "公示中",
        Published = "published" / "结果已发布",
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------------------------------------------

/// Why a refusal: the actor may never do this (403), or not now (409).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    Forbidden,
    State,
}

/// An action refused, with every reason in Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub kind: RefusalKind,
    /// Never empty.
    pub reasons: Vec<String>,
}

impl Refusal {
    fn forbidden(reason: impl Into<String>) -> Refusal {
        Refusal {
            kind: RefusalKind::Forbidden,
            reasons: vec![reason.into()],
        }
    }

    fn state(reason: impl Into<String>) -> Refusal {
        Refusal {
            kind: RefusalKind::State,
            reasons: vec![reason.into()],
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reasons.join("；"))
    }
}

/// Who is acting, as far as these rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub role: Option<Role>,
    /// Staff of the city bureau (市科技局), as opposed to a county's.
    pub is_city_staff: bool,
}

impl Actor {
    fn is_staff(self) -> bool {
        self.role == Some(Role::Staff)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The integrity bar (INTEG-BAN)
// ---------------------------------------------------------------------------------------------------------------

/// One `integrity_records` row, as the bar needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntegrityRecord {
    pub occurred_on: NaiveDate,
    pub serious: bool,
}

/// A platform barred from evaluation: a serious violation on `occurred_on`, barred until `until` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bar {
    pub occurred_on: NaiveDate,
    pub until: NaiveDate,
    pub months: u32,
}

impl Bar {
    /// The reason stored on the evaluation and shown to everyone.
    pub fn reason(&self) -> String {
        format!(
            "科研诚信限制（INTEG-BAN）：{}有严重科研失信行为，限制期{}个月（至{}解除）。按江阴市行动计划 新型研发机构 四(四)，限制期内不得参与绩效评价，本年度不参加绩效评估。",
            self.occurred_on, self.months, self.until
        )
    }
}

/// Is the platform barred from the round whose year-end deadline is `deadline`? A serious violation bars the rounds
/// whose deadline falls inside its ban: `occurred_on ≤ deadline < occurred_on + ban_months` (months added with
/// [`add_months`], the compliance engine's `INTEG-BAN` rule; JY 新型研发机构 四(四)). The bar ending last wins.
pub fn integrity_bar(
    records: &[IntegrityRecord],
    ban_months: u32,
    deadline: NaiveDate,
) -> Option<Bar> {
    let months = i32::try_from(ban_months).unwrap_or(i32::MAX);
    records
        .iter()
        .filter(|r| r.serious)
        .map(|r| Bar {
            occurred_on: r.occurred_on,
            until: add_months(r.occurred_on, months),
            months: ban_months,
        })
        .filter(|b| b.occurred_on <= deadline && deadline < b.until)
        .max_by_key(|b| b.until)
}

// ---------------------------------------------------------------------------------------------------------------
// A platform's evaluation: the workflow
// ---------------------------------------------------------------------------------------------------------------

code_enum! {
    /// A step in a platform's evaluation.
    EvalAction {
        /// The operator saves actuals, self-assessment and evidence (no status change).
        Save = "save" / "保存",
        /// The operator submits.
        Submit = "submit" / "提交",
        CountyPass = "county_pass" / "县级初审通过",
        CountyReturn = "county_return" / "县级初审退回",
        CityPass = "city_pass" / "市级复审通过",
        CityReturn = "city_return" / "市级复审退回",
        /// Staff allow a submission after the deadline (补交).
        Reopen = "reopen" / "开放补交",
    }
}

/// What the workflow needs to know about one platform's evaluation of one year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalFacts {
    pub year: i32,
    pub level: Level,
    pub stage: Stage,
    /// `None` while the operator has saved nothing.
    pub status: Option<EvalStatus>,
    pub today: NaiveDate,
    /// The year-end deadline (`AnnualConfig::deadline(year, Step::Yearend)`).
    pub deadline: NaiveDate,
    /// A late submission allowed by staff up to this day (inclusive).
    pub reopened_until: Option<NaiveDate>,
    /// Barred by a serious integrity violation today.
    pub bar: Option<Bar>,
    pub round: RoundStatus,
}

impl EvalFacts {
    /// County and city-county platforms go through the county's preliminary review.
    pub fn has_county_review(&self) -> bool {
        matches!(self.level, Level::County | Level::CityCounty)
    }

    /// Past the deadline and not reopened for today.
    pub fn is_late(&self) -> bool {
        self.today > self.deadline && self.reopened_until.is_none_or(|d| self.today > d)
    }
}

/// May `actor` take `action` on this evaluation? `Ok` carries the status afterwards.
///
/// Decisions worth knowing:
/// - The deadline applies to the first submission (a draft). An evaluation returned by a reviewer may be submitted
///   again after the deadline: the bureau asked for the change. For a late first submission staff reopen the
///   evaluation until a date they choose ([`EvalAction::Reopen`]).
/// - A platform barred by `INTEG-BAN` is refused saving, submission and review passes with the bar's reason; the
///   caller then records the evaluation as `excluded` (see [`may_exclude`]).
/// - Once the year's grades are proposed (round not `open`), nothing moves any more until staff withdraw them.
pub fn check(action: EvalAction, actor: Actor, f: &EvalFacts) -> Result<EvalStatus, Refusal> {
    use EvalAction::*;
    use EvalStatus::*;
    let status = f.status;
    match action {
        Save | Submit => {
            if actor.role != Some(Role::Operator) {
                return Err(Refusal::forbidden("年度评估材料由平台填报员填报和提交"));
            }
        }
        CountyPass | CountyReturn | Reopen => {
            if !actor.is_staff() {
                return Err(Refusal::forbidden("只有科技局业务人员可以办理"));
            }
        }
        CityPass | CityReturn => {
            if !(actor.is_staff() && actor.is_city_staff) {
                return Err(Refusal::forbidden("市级复审须由市科技局业务人员办理"));
            }
        }
    }
    if status == Some(Excluded) {
        let reason = f
            .bar
            .map(|b| b.reason())
            .unwrap_or_else(|| "本平台本年度不参加评估".into());
        return Err(Refusal::state(reason));
    }
    if f.round != RoundStatus::Open {
        return Err(Refusal::state(format!(
            "{}年度评估已{}，评估材料和审核已锁定",
            f.year,
            f.round.label_zh()
        )));
    }
    // A barred platform is not evaluated: nothing to fill in, nothing to pass (a reviewer may still return).
    let barred_action = matches!(action, Save | Submit | CountyPass | CityPass);
    if barred_action && let Some(bar) = f.bar {
        return Err(Refusal::state(bar.reason()));
    }
    match action {
        Save | Submit => {
            let current = status.unwrap_or(Draft);
            if !current.is_editable() {
                return Err(Refusal::state(format!(
                    "{}年度评估已提交（当前状态：{}），不能重复提交或修改",
                    f.year,
                    current.label_zh()
                )));
            }
            if action == Save {
                return Ok(current);
            }
            let mut reasons = Vec::new();
            if !f.stage.is_operating() {
                reasons.push(format!(
                    "平台处于「{}」阶段，只有运行中或整改中的平台参加年度评估",
                    f.stage.label_zh()
                ));
            }
            if current == Draft && f.is_late() {
                reasons.push(match f.reopened_until {
                    Some(d) => format!(
                        "{}年度评估的截止日期为{}，补交期限至{}已过，不能提交。如确需补交，请联系科技局业务人员",
                        f.year, f.deadline, d
                    ),
                    None => format!(
                        "{}年度评估的截止日期为{}，已过截止日期，不能提交。如确需补交，请联系科技局业务人员开放补交",
                        f.year, f.deadline
                    ),
                });
            }
            if reasons.is_empty() {
                Ok(Submitted)
            } else {
                Err(Refusal {
                    kind: RefusalKind::State,
                    reasons,
                })
            }
        }
        CountyPass | CountyReturn => {
            if !f.has_county_review() {
                return Err(Refusal::state("市级平台不经县级初审，直接由市科技局复审"));
            }
            if status != Some(Submitted) {
                return Err(Refusal::state(format!(
                    "只有已提交、待县级初审的评估可以初审（当前状态：{}）",
                    status.map(EvalStatus::label_zh).unwrap_or("未填报")
                )));
            }
            Ok(if action == CountyPass {
                CountyPassed
            } else {
                CountyReturned
            })
        }
        CityPass | CityReturn => {
            let expected = if f.has_county_review() {
                CountyPassed
            } else {
                Submitted
            };
            if status != Some(expected) {
                let why = if f.has_county_review() && status == Some(Submitted) {
                    "县级、市县共建平台须先经县级初审通过，再由市科技局复审".to_string()
                } else {
                    format!(
                        "当前状态为「{}」，不能进行市级复审",
                        status.map(EvalStatus::label_zh).unwrap_or("未填报")
                    )
                };
                return Err(Refusal::state(why));
            }
            Ok(if action == CityPass {
                CityPassed
            } else {
                CityReturned
            })
        }
        Reopen => {
            let current = status.unwrap_or(Draft);
            if current != Draft {
                return Err(Refusal::state(
                    "只有尚未提交的评估可以开放补交；被退回的评估可直接修改后重新提交",
                ));
            }
            if f.today <= f.deadline {
                return Err(Refusal::state(format!(
                    "尚未过截止日期（{}），无需开放补交",
                    f.deadline
                )));
            }
            Ok(Draft)
        }
    }
}

/// May an evaluation in `status` be marked `excluded` now? Not once graded (withdraw the round first) and not twice.
pub fn may_exclude(status: Option<EvalStatus>) -> bool {
    !matches!(status, Some(EvalStatus::Scored | EvalStatus::Excluded))
}

/// A reviewer's return needs a comment the operator can act on; a pass may carry one.
pub fn review_comment(action: EvalAction, comment: &str) -> Result<String, String> {
    let comment = comment.trim();
    let returns = matches!(action, EvalAction::CountyReturn | EvalAction::CityReturn);
    if returns && comment.is_empty() {
        return Err("退回时请填写意见，说明需要修改的内容".into());
    }
    if comment.chars().count() > 2000 {
        return Err("意见不能超过2000个字".into());
    }
    Ok(comment.to_string())
}

/// The reopening date staff choose: after today, and not more than 90 days ahead.
pub fn reopen_until(input: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let d = NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d")
        .map_err(|_| "日期格式应为年-月-日（如 2026-03-31）".to_string())?;
    if d < today {
        return Err("补交期限不能早于今天".into());
    }
    if (d - today).num_days() > 90 {
        return Err("补交期限最长为90天".into());
    }
    Ok(d)
}

/// The year an evaluation page opens on by default: the year just ended, or — from December — the current one.
pub fn default_year(today: NaiveDate) -> i32 {
    use chrono::Datelike;
    if today.month() == 12 {
        today.year()
    } else {
        today.year() - 1
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The operator's form
// ---------------------------------------------------------------------------------------------------------------

/// Field → Chinese message. Fields are indicator keys (`rnd_staff`), `self_assessment` or `evidence`.
pub type Errors = BTreeMap<String, String>;

/// The unit shown beside an indicator's input, by key (the default rubric's keys; others show none).
/// Money is in whole yuan, like the filing targets.
pub fn indicator_unit(key: &str) -> &'static str {
    match key {
        "rnd_expenditure" | "tech_contract_value" | "self_generated_income" => "元",
        "core_technologies" | "major_tasks" | "achievements_transferred" => "项",
        "invention_patents" => "件",
        "rnd_staff" | "high_level_talents" | "co_trained_talents" => "人",
        "companies_incubated" | "enterprises_served" => "家",
        "revenue_channels" => "个",
        "self_sufficiency_ratio" => "（比值，如 0.85）",
        _ => "",
    }
}

/// Whether an indicator counts things (people, items, companies): then only whole numbers are accepted.
fn is_count(key: &str) -> bool {
    matches!(indicator_unit(key), "项" | "件" | "人" | "家" | "个")
}

/// One number typed by a user: digits with an optional decimal part; thousands separators and spaces allowed.
pub fn parse_number(input: &str) -> Result<Option<f64>, &'static str> {
    let cleaned: String = input
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' ' | '\u{3000}'))
        .collect();
    if cleaned.is_empty() {
        return Ok(None);
    }
    if cleaned.starts_with('-') {
        return Err("不能为负数");
    }
    let valid = cleaned.chars().all(|c| c.is_ascii_digit() || c == '.')
        && cleaned.chars().filter(|c| *c == '.').count() <= 1
        && cleaned.chars().any(|c| c.is_ascii_digit());
    if !valid {
        return Err("请输入数字");
    }
    let v: f64 = cleaned.parse().map_err(|_| "请输入数字")?;
    if v > VALUE_MAX {
        return Err("数值过大");
    }
    Ok(Some(v))
}

/// What the operator typed, before it is checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvalInput {
    /// Indicator key → typed text, for the rubric's quantitative indicators.
    pub actuals: BTreeMap<String, String>,
    pub self_assessment: String,
    /// Documents chosen as evidence (already checked to belong to the platform by the caller).
    pub evidence: Vec<i64>,
    /// The operator confirmed the figures are true and complete (required to submit).
    pub confirmed: bool,
}

/// The checked form: actuals as numbers (only the quantitative indicators of the rubric).
#[derive(Debug, Clone, PartialEq)]
pub struct EvalDraft {
    pub actuals: Values,
    pub self_assessment: String,
    pub evidence: Vec<i64>,
}

/// Checks the operator's form. Saving accepts gaps; submitting needs every quantitative actual (0 when there is
/// none), a self-assessment, at least one evidence document and the operator's confirmation that the figures are
/// true (a submission cannot be taken back by the operator). Every bad field is reported at once.
pub fn validate(rubric: &Rubric, input: &EvalInput, submitting: bool) -> Result<EvalDraft, Errors> {
    let mut errors = Errors::new();
    let mut actuals = Values::new();
    for ind in rubric
        .indicators
        .iter()
        .filter(|i| i.kind == IndicatorKind::Quantitative)
    {
        let typed = input
            .actuals
            .get(&ind.key)
            .map(String::as_str)
            .unwrap_or("");
        match parse_number(typed) {
            Ok(Some(v)) if is_count(&ind.key) && v.fract() != 0.0 => {
                errors.insert(ind.key.clone(), "应为整数".into());
            }
            Ok(Some(v)) => {
                actuals.insert(ind.key.clone(), v);
            }
            Ok(None) if submitting => {
                errors.insert(ind.key.clone(), "请填写全年实际值（没有请填0）".into());
            }
            Ok(None) => {}
            Err(msg) => {
                errors.insert(ind.key.clone(), msg.into());
            }
        }
    }
    let self_assessment = input.self_assessment.trim().to_string();
    let length = self_assessment.chars().count();
    if length > SELF_ASSESSMENT_MAX {
        errors.insert(
            "self_assessment".into(),
            format!("自评报告不能超过{SELF_ASSESSMENT_MAX}个字（现为{length}个字）"),
        );
    } else if submitting && length == 0 {
        errors.insert(
            "self_assessment".into(),
            "请填写自评报告（目标完成情况、主要成效、存在问题）".into(),
        );
    }
    let mut evidence = input.evidence.clone();
    evidence.sort_unstable();
    evidence.dedup();
    if submitting && evidence.is_empty() {
        errors.insert(
            "evidence".into(),
            "请至少选择一份证明材料（可先在「文件」页上传）".into(),
        );
    }
    if submitting && !input.confirmed {
        errors.insert(
            "confirm".into(),
            "提交前请确认所填数据真实、准确（提交后不能自行修改）".into(),
        );
    }
    if errors.is_empty() {
        Ok(EvalDraft {
            actuals,
            self_assessment,
            evidence,
        })
    } else {
        Err(errors)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Experts
// ---------------------------------------------------------------------------------------------------------------

/// One expert assignment as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    /// `None` until declared; `Some(true)` = conflict of interest.
    pub conflict: Option<bool>,
    pub submitted: bool,
}

impl Assignment {
    /// Its scores count: declared no conflict and submitted.
    pub fn counts(self) -> bool {
        self.conflict == Some(false) && self.submitted
    }

    /// A short Chinese state for progress lists.
    pub fn state_zh(self) -> &'static str {
        match (self.conflict, self.submitted) {
            (None, _) => "待声明利益冲突",
            (Some(true), _) => "有利益冲突，不能评分（请另派专家）",
            (Some(false), false) => "评分中",
            (Some(false), true) => "已提交评分",
        }
    }
}

code_enum! {
    /// What an expert does with an assignment.
    ExpertAction {
        Declare = "declare" / "声明利益冲突",
        SaveScores = "save" / "保存评分",
        SubmitScores = "submit" / "提交评分",
    }
}

/// May the expert take `action` on their assignment, with the year's round in `round`?
pub fn check_expert(
    action: ExpertAction,
    a: Assignment,
    round: RoundStatus,
) -> Result<(), Refusal> {
    if round != RoundStatus::Open {
        return Err(Refusal::state(format!(
            "本年度评估{}，评审已结束",
            round.label_zh()
        )));
    }
    match action {
        ExpertAction::Declare => match a.conflict {
            None => Ok(()),
            Some(_) => Err(Refusal::state(
                "您已声明过利益冲突情况，不能更改；如有误请联系科技局业务人员",
            )),
        },
        ExpertAction::SaveScores | ExpertAction::SubmitScores => match a.conflict {
            None => Err(Refusal::state("请先声明与该平台是否存在利益冲突，再评分")),
            Some(true) => Err(Refusal::forbidden(
                "您已声明与该平台存在利益冲突，按回避规定不能对其评分。科技局将另行安排专家。",
            )),
            Some(false) if a.submitted => Err(Refusal::state("评分已提交，不能修改")),
            Some(false) => Ok(()),
        },
    }
}

/// Checks an expert's scores for the rubric's qualitative indicators: each 0–100; submitting needs all of them.
pub fn validate_scores(
    rubric: &Rubric,
    typed: &BTreeMap<String, String>,
    submitting: bool,
) -> Result<Values, Errors> {
    let mut errors = Errors::new();
    let mut scores = Values::new();
    for ind in rubric
        .indicators
        .iter()
        .filter(|i| i.kind == IndicatorKind::Qualitative)
    {
        let text = typed.get(&ind.key).map(String::as_str).unwrap_or("");
        match parse_number(text) {
            Ok(Some(v)) if v <= 100.0 => {
                scores.insert(ind.key.clone(), v);
            }
            Ok(Some(_)) => {
                errors.insert(ind.key.clone(), "评分应在0–100之间".into());
            }
            Ok(None) if submitting => {
                errors.insert(ind.key.clone(), "请评分（0–100）".into());
            }
            Ok(None) => {}
            Err(msg) => {
                errors.insert(ind.key.clone(), msg.into());
            }
        }
    }
    if errors.is_empty() {
        Ok(scores)
    } else {
        Err(errors)
    }
}

/// Progress of an evaluation's expert review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExpertProgress {
    pub assigned: usize,
    pub conflicted: usize,
    pub undeclared: usize,
    pub scoring: usize,
    pub submitted: usize,
}

impl ExpertProgress {
    pub fn of(assignments: &[Assignment]) -> ExpertProgress {
        let mut p = ExpertProgress {
            assigned: assignments.len(),
            ..Default::default()
        };
        for a in assignments {
            match (a.conflict, a.submitted) {
                (None, _) => p.undeclared += 1,
                (Some(true), _) => p.conflicted += 1,
                (Some(false), false) => p.scoring += 1,
                (Some(false), true) => p.submitted += 1,
            }
        }
        p
    }

    /// Enough experts have submitted for the qualitative items.
    pub fn is_complete(&self) -> bool {
        self.submitted >= MIN_EXPERTS
    }

    /// What is missing, in Chinese (empty when complete).
    pub fn missing_zh(&self) -> String {
        if self.is_complete() {
            return String::new();
        }
        let mut s = format!("有效专家评分{}/{}份", self.submitted, MIN_EXPERTS);
        let open = self.undeclared + self.scoring;
        if open > 0 {
            s.push_str(&format!("，{open}位专家尚未完成"));
        }
        if self.submitted + open < MIN_EXPERTS {
            s.push_str(&format!(
                "，还需分配{}位专家",
                MIN_EXPERTS - self.submitted - open
            ));
        }
        s
    }
}

/// The expert scores `score_platform` takes: per qualitative indicator, the scores of every assignment that counts
/// (no conflict, submitted). Conflicted, undeclared and unsubmitted assignments contribute nothing; keys that are
/// not qualitative indicators of the rubric are dropped.
pub fn expert_scores(rubric: &Rubric, assignments: &[(Assignment, Values)]) -> ExpertScores {
    let mut out = ExpertScores::new();
    for (_, scores) in assignments.iter().filter(|(a, _)| a.counts()) {
        for (key, score) in scores {
            let qualitative = rubric
                .indicator(key)
                .is_some_and(|i| i.kind == IndicatorKind::Qualitative);
            if qualitative {
                out.entry(key.clone()).or_default().push(*score);
            }
        }
    }
    out
}

/// Only the rubric's quantitative keys of a targets or actuals map.
pub fn quantitative_only(rubric: &Rubric, values: &Values) -> Values {
    values
        .iter()
        .filter(|(k, _)| {
            rubric
                .indicator(k)
                .is_some_and(|i| i.kind == IndicatorKind::Quantitative)
        })
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Scoring (through `scoring`)
// ---------------------------------------------------------------------------------------------------------------

code_enum! {
    /// Which score a stored detail is.
    ScoreStage {
        /// Quantitative indicators only (before the experts).
        Quantitative = "quantitative" / "定量得分",
        /// Quantitative and expert-scored items: the total graded.
        Final = "final" / "总分",
    }
}

/// What `evaluations.score_detail` holds: the score with its warnings, and what it was computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreDetail {
    pub stage: ScoreStage,
    pub config_version: i32,
    /// The approved filing's targets that were used.
    pub targets: Values,
    /// The evaluation's actuals that were used.
    pub actuals: Values,
    /// Expert scores per qualitative item (only assignments that count).
    pub expert_scores: ExpertScores,
    /// How many experts' scores counted.
    pub experts: usize,
    pub score: PlatformScore,
    /// The warnings as shown to users.
    pub warnings_zh: Vec<String>,
}

/// Scores one platform: quantitative only (`experts` empty) or final. Category unset → error message.
pub fn score(
    rubric: &Rubric,
    category: Option<Category>,
    config_version: i32,
    targets: &Values,
    actuals: &Values,
    assignments: &[(Assignment, Values)],
    stage: ScoreStage,
) -> Result<ScoreDetail, String> {
    let category = category.ok_or("平台未设置功能定位（类别），无法按类别权重计分")?;
    let targets = quantitative_only(rubric, targets);
    let actuals = quantitative_only(rubric, actuals);
    let experts = match stage {
        ScoreStage::Quantitative => ExpertScores::new(),
        ScoreStage::Final => expert_scores(rubric, assignments),
    };
    let counted = assignments.iter().filter(|(a, _)| a.counts()).count();
    let mut s = score_platform(rubric, category, &targets, &actuals, &experts);
    if stage == ScoreStage::Quantitative {
        // Before the experts, the qualitative items are pending, not missing: keep only real warnings.
        s.warnings.retain(|w| {
            !matches!(
                w,
                ScoreWarning::NoExpertScores { .. }
                    | ScoreWarning::DimensionNotScorable {
                        dimension: Dimension::Governance
                    }
            )
        });
    }
    let warnings_zh = s.warnings.iter().map(ToString::to_string).collect();
    Ok(ScoreDetail {
        stage,
        config_version,
        targets,
        actuals,
        expert_scores: experts,
        experts: if stage == ScoreStage::Final {
            counted
        } else {
            0
        },
        score: s,
        warnings_zh,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// The year's round
// ---------------------------------------------------------------------------------------------------------------

code_enum! {
    /// What staff do with the year's round.
    RoundAction {
        ComputeQuantitative = "compute" / "计算定量得分",
        AssignExpert = "assign" / "分配专家",
        Propose = "propose" / "生成拟评等次",
        StartNotice = "notice" / "开始公示",
        RecordObjection = "objection" / "登记异议",
        AnswerObjection = "answer" / "答复异议",
        Publish = "publish" / "发布结果",
        Withdraw = "withdraw" / "撤回拟评结果",
    }
}

/// What the round's rules need to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundFacts {
    pub status: RoundStatus,
    pub today: NaiveDate,
    pub notice_starts: Option<NaiveDate>,
    pub notice_ends: Option<NaiveDate>,
    /// Evaluations submitted but not through the reviews.
    pub in_review: usize,
    /// City-passed evaluations (the ones to grade).
    pub candidates: usize,
    /// Candidates that cannot be graded yet, each with why ("平台A：有效专家评分1/2份").
    pub not_ready: Vec<String>,
    pub unanswered_objections: usize,
}

/// The notice period starting `today`: `days` days, both ends included.
pub fn notice_period(today: NaiveDate, days: u32) -> (NaiveDate, NaiveDate) {
    let days = i64::from(days.max(1));
    (today, today + chrono::Duration::days(days - 1))
}

/// May `actor` take `action` on the year's round? `Ok` carries the round's status afterwards. Only city staff act;
/// every problem is listed at once.
pub fn check_round(
    action: RoundAction,
    actor: Actor,
    f: &RoundFacts,
) -> Result<RoundStatus, Refusal> {
    use RoundAction::*;
    use RoundStatus::*;
    if !(actor.is_staff() && actor.is_city_staff) {
        return Err(Refusal::forbidden(
            "年度评估的评分、评等、公示和发布由市科技局业务人员办理",
        ));
    }
    let wrong = |allowed: &str| {
        Err(Refusal::state(format!(
            "本年度评估当前为「{}」，{}",
            f.status.label_zh(),
            allowed
        )))
    };
    match action {
        ComputeQuantitative | AssignExpert => match f.status {
            Open => Ok(Open),
            _ => wrong("拟评等次生成后不能再计分或分配专家；如需调整请先撤回拟评结果"),
        },
        Propose => {
            if !matches!(f.status, Open | Proposed) {
                return wrong("公示开始后不能重新生成拟评等次；如需调整请先撤回拟评结果");
            }
            let mut reasons = Vec::new();
            if f.in_review > 0 {
                reasons.push(format!("尚有{}份评估未完成县级初审或市级复审", f.in_review));
            }
            if f.candidates == 0 {
                reasons.push("没有通过市级复审的评估，无法评定等次".into());
            }
            reasons.extend(f.not_ready.iter().cloned());
            if reasons.is_empty() {
                Ok(Proposed)
            } else {
                Err(Refusal {
                    kind: RefusalKind::State,
                    reasons,
                })
            }
        }
        StartNotice => match f.status {
            Proposed => Ok(Notice),
            _ => wrong("只有生成拟评等次后才能开始公示"),
        },
        RecordObjection | AnswerObjection => match f.status {
            Notice => Ok(Notice),
            _ => wrong("异议只在公示期间登记和答复"),
        },
        Publish => {
            if f.status != Notice {
                return wrong("须经公示后才能发布结果");
            }
            let mut reasons = Vec::new();
            match f.notice_ends {
                Some(ends) if f.today > ends => {}
                Some(ends) => reasons.push(format!("公示期至{ends}，公示期满后方可发布")),
                None => reasons.push("公示期未设定".into()),
            }
            if f.unanswered_objections > 0 {
                reasons.push(format!(
                    "尚有{}条异议未答复，全部答复后方可发布",
                    f.unanswered_objections
                ));
            }
            if reasons.is_empty() {
                Ok(Published)
            } else {
                Err(Refusal {
                    kind: RefusalKind::State,
                    reasons,
                })
            }
        }
        Withdraw => match f.status {
            Proposed | Notice => Ok(Open),
            _ => wrong("只有已生成拟评等次或公示中的结果可以撤回"),
        },
    }
}

/// An objection as recorded during the notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectionDraft {
    pub raised_by: String,
    pub raised_on: NaiveDate,
    pub content: String,
}

/// Checks an objection: who raised it, on which day (within the notice period, both ends included, and not in the
/// future), and what it says. An objection dated outside the notice period is refused.
pub fn validate_objection(
    raised_by: &str,
    raised_on: &str,
    content: &str,
    notice: (Option<NaiveDate>, Option<NaiveDate>),
    today: NaiveDate,
) -> Result<ObjectionDraft, Errors> {
    let (notice_starts, notice_ends) = notice;
    let mut errors = Errors::new();
    let raised_by = raised_by.trim().to_string();
    match raised_by.chars().count() {
        0 => {
            errors.insert("raised_by".into(), "请填写异议提出人（单位或个人）".into());
        }
        n if n > 100 => {
            errors.insert("raised_by".into(), "不能超过100个字".into());
        }
        _ => {}
    }
    let date = NaiveDate::parse_from_str(raised_on.trim(), "%Y-%m-%d").ok();
    match date {
        None => {
            errors.insert(
                "raised_on".into(),
                "日期格式应为年-月-日（如 2026-03-31）".into(),
            );
        }
        Some(d) if d > today => {
            errors.insert("raised_on".into(), "提出日期不能晚于今天".into());
        }
        Some(d) if notice_starts.is_some_and(|s| d < s) => {
            errors.insert(
                "raised_on".into(),
                format!(
                    "提出日期早于公示开始日期{}：只受理公示期内提出的异议",
                    notice_starts.map(|s| s.to_string()).unwrap_or_default()
                ),
            );
        }
        Some(d) if notice_ends.is_some_and(|e| d > e) => {
            errors.insert(
                "raised_on".into(),
                format!(
                    "提出日期晚于公示截止日期{}：公示期满后提出的异议不予受理",
                    notice_ends.map(|e| e.to_string()).unwrap_or_default()
                ),
            );
        }
        Some(_) => {}
    }
    let content = content.trim().to_string();
    match content.chars().count() {
        0 => {
            errors.insert("content".into(), "请填写异议内容".into());
        }
        n if n > 4000 => {
            errors.insert("content".into(), "不能超过4000个字".into());
        }
        _ => {}
    }
    match (errors.is_empty(), date) {
        (true, Some(raised_on)) => Ok(ObjectionDraft {
            raised_by,
            raised_on,
            content,
        }),
        _ => Err(errors),
    }
}

/// The answer to an objection: 1–4000 characters.
pub fn validate_answer(response: &str) -> Result<String, String> {
    let response = response.trim();
    match response.chars().count() {
        0 => Err("请填写答复内容".into()),
        n if n > 4000 => Err("答复不能超过4000个字".into()),
        _ => Ok(response.to_string()),
    }
}

/// The plan summary of the draft rectification case opened for a 不合格 platform.
pub fn fail_case_summary(year: i32, total: f64, rank: usize) -> String {
    format!(
        "{year}年度绩效评估结果为不合格（总分{}，排名第{rank}），按本市绩效评估办法的结果运用，评为不合格的平台立案整改：请平台对照评估意见制定整改方案（措施、责任人、完成时限），经科技局审核后正式启动整改程序。",
        super::scoring::display(total)
    )
}

// ---------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::scoring::{Grade, GradeRules, assign_grades};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    const OPERATOR: Actor = Actor {
        role: Some(Role::Operator),
        is_city_staff: false,
    };
    const COUNTY_STAFF: Actor = Actor {
        role: Some(Role::Staff),
        is_city_staff: false,
    };
    const CITY_STAFF: Actor = Actor {
        role: Some(Role::Staff),
        is_city_staff: true,
    };
    const LEADER: Actor = Actor {
        role: Some(Role::Leader),
        is_city_staff: false,
    };

    fn facts(level: Level, status: Option<EvalStatus>) -> EvalFacts {
        EvalFacts {
            year: 2025,
            level,
            stage: Stage::Operating,
            status,
            today: d("2026-01-10"),
            deadline: d("2026-01-31"),
            reopened_until: None,
            bar: None,
            round: RoundStatus::Open,
        }
    }

    #[test]
    fn county_platform_goes_through_both_reviews() {
        use EvalAction::*;
        use EvalStatus::*;
        let mut f = facts(Level::County, None);
        assert_eq!(check(Save, OPERATOR, &f), Ok(Draft));
        assert_eq!(check(Submit, OPERATOR, &f), Ok(Submitted));
        f.status = Some(Submitted);
        assert_eq!(check(CountyPass, COUNTY_STAFF, &f), Ok(CountyPassed));
        assert_eq!(check(CountyReturn, CITY_STAFF, &f), Ok(CountyReturned));
        // The city may not skip the county.
        let err = check(CityPass, CITY_STAFF, &f).unwrap_err();
        assert!(err.reasons[0].contains("须先经县级初审"), "{err}");
        f.status = Some(CountyPassed);
        assert_eq!(check(CityPass, CITY_STAFF, &f), Ok(CityPassed));
        assert_eq!(check(CityReturn, CITY_STAFF, &f), Ok(CityReturned));
        // County staff never do the city review.
        assert_eq!(
            check(CityPass, COUNTY_STAFF, &f).unwrap_err().kind,
            RefusalKind::Forbidden
        );
        // City-county platforms have the county step too.
        assert!(facts(Level::CityCounty, None).has_county_review());
    }

    #[test]
    fn city_platform_skips_the_county_step() {
        use EvalAction::*;
        let f = facts(Level::City, Some(EvalStatus::Submitted));
        assert!(!f.has_county_review());
        let err = check(CountyPass, CITY_STAFF, &f).unwrap_err();
        assert!(err.reasons[0].contains("市级平台不经县级初审"));
        assert_eq!(check(CityPass, CITY_STAFF, &f), Ok(EvalStatus::CityPassed));
    }

    #[test]
    fn only_the_operator_fills_and_submits() {
        let f = facts(Level::County, None);
        for actor in [COUNTY_STAFF, CITY_STAFF, LEADER] {
            let err = check(EvalAction::Submit, actor, &f).unwrap_err();
            assert_eq!(err.kind, RefusalKind::Forbidden);
        }
        let f = facts(Level::County, Some(EvalStatus::Submitted));
        assert_eq!(
            check(EvalAction::CountyPass, OPERATOR, &f)
                .unwrap_err()
                .kind,
            RefusalKind::Forbidden
        );
        assert_eq!(
            check(EvalAction::CountyPass, LEADER, &f).unwrap_err().kind,
            RefusalKind::Forbidden
        );
    }

    #[test]
    fn duplicate_submission_is_refused() {
        for status in [
            EvalStatus::Submitted,
            EvalStatus::CountyPassed,
            EvalStatus::CityPassed,
            EvalStatus::Scored,
        ] {
            let f = facts(Level::County, Some(status));
            let err = check(EvalAction::Submit, OPERATOR, &f).unwrap_err();
            assert_eq!(err.kind, RefusalKind::State);
            assert!(err.reasons[0].contains("不能重复提交"), "{err}");
            assert!(check(EvalAction::Save, OPERATOR, &f).is_err());
        }
    }

    #[test]
    fn returned_evaluations_are_edited_and_resubmitted_even_after_the_deadline() {
        for status in [EvalStatus::CountyReturned, EvalStatus::CityReturned] {
            let mut f = facts(Level::County, Some(status));
            f.today = d("2026-02-10");
            assert_eq!(check(EvalAction::Save, OPERATOR, &f), Ok(status));
            assert_eq!(
                check(EvalAction::Submit, OPERATOR, &f),
                Ok(EvalStatus::Submitted)
            );
        }
    }

    #[test]
    fn late_first_submission_is_refused_until_staff_reopen() {
        let mut f = facts(Level::County, Some(EvalStatus::Draft));
        f.today = d("2026-01-31");
        assert!(
            check(EvalAction::Submit, OPERATOR, &f).is_ok(),
            "the deadline day itself is in time"
        );
        f.today = d("2026-02-01");
        let err = check(EvalAction::Submit, OPERATOR, &f).unwrap_err();
        assert!(err.reasons[0].contains("已过截止日期"), "{err}");
        assert!(err.reasons[0].contains("2026-01-31"));
        // Saving a draft stays possible.
        assert!(check(EvalAction::Save, OPERATOR, &f).is_ok());
        // Staff reopen; the operator may submit up to that day.
        assert_eq!(
            check(EvalAction::Reopen, COUNTY_STAFF, &f),
            Ok(EvalStatus::Draft)
        );
        f.reopened_until = Some(d("2026-02-05"));
        assert!(check(EvalAction::Submit, OPERATOR, &f).is_ok());
        f.today = d("2026-02-06");
        let err = check(EvalAction::Submit, OPERATOR, &f).unwrap_err();
        assert!(err.reasons[0].contains("补交期限至2026-02-05已过"), "{err}");
        // Reopening before the deadline is pointless.
        let f = facts(Level::County, None);
        assert!(check(EvalAction::Reopen, CITY_STAFF, &f).is_err());
        assert_eq!(
            check(EvalAction::Reopen, OPERATOR, &f).unwrap_err().kind,
            RefusalKind::Forbidden
        );
    }

    #[test]
    fn only_operating_platforms_submit() {
        let mut f = facts(Level::County, None);
        f.stage = Stage::Registration;
        let err = check(EvalAction::Submit, OPERATOR, &f).unwrap_err();
        assert!(err.reasons[0].contains("设立登记"));
        f.stage = Stage::Rectifying;
        assert!(check(EvalAction::Submit, OPERATOR, &f).is_ok());
    }

    #[test]
    fn a_locked_round_freezes_every_step() {
        let mut f = facts(Level::City, Some(EvalStatus::Submitted));
        f.round = RoundStatus::Notice;
        let err = check(EvalAction::CityPass, CITY_STAFF, &f).unwrap_err();
        assert!(err.reasons[0].contains("公示中"), "{err}");
    }

    #[test]
    fn integrity_bar_uses_calendar_months() {
        let records = [
            IntegrityRecord {
                occurred_on: d("2023-02-28"),
                serious: true,
            },
            IntegrityRecord {
                occurred_on: d("2025-06-01"),
                serious: false,
            },
        ];
        let bar = integrity_bar(&records, 36, d("2026-02-27")).expect("barred");
        assert_eq!(bar.until, d("2026-02-28"));
        assert!(bar.reason().contains("INTEG-BAN"));
        assert!(bar.reason().contains("2023-02-28"));
        // On the day the bar ends it no longer applies.
        assert_eq!(integrity_bar(&records, 36, d("2026-02-28")), None);
        // Minor violations never bar; a shorter configured ban ends earlier.
        assert_eq!(integrity_bar(&records[1..], 36, d("2025-07-01")), None);
        assert_eq!(integrity_bar(&records, 12, d("2025-01-01")), None);
        // The latest bar wins.
        let two = [
            records[0],
            IntegrityRecord {
                occurred_on: d("2024-05-31"),
                serious: true,
            },
        ];
        assert_eq!(
            integrity_bar(&two, 36, d("2026-01-01")).map(|b| b.until),
            Some(d("2027-05-31"))
        );
    }

    #[test]
    fn integrity_bar_counts_from_the_violation_date() {
        // A violation dated 2025-10-28 bars the 2025 round (deadline 2026-01-31), not 2023's or 2024's.
        let records = [IntegrityRecord {
            occurred_on: d("2025-10-28"),
            serious: true,
        }];
        assert_eq!(integrity_bar(&records, 36, d("2024-01-31")), None);
        assert_eq!(integrity_bar(&records, 36, d("2025-01-31")), None);
        let bar = integrity_bar(&records, 36, d("2026-01-31")).expect("barred");
        assert_eq!(bar.until, d("2028-10-28"));
        // The rounds up to the one whose deadline is the day before the ban ends.
        assert!(integrity_bar(&records, 36, d("2028-01-31")).is_some());
        assert_eq!(integrity_bar(&records, 36, d("2029-01-31")), None);
        // A round whose deadline is the violation's date is barred; one due the day before is not.
        assert!(integrity_bar(&records, 36, d("2025-10-28")).is_some());
        assert_eq!(integrity_bar(&records, 36, d("2025-10-27")), None);
        // The reason quotes JY 新型研发机构 四(四) as it reads.
        assert!(
            bar.reason().contains("不得参与绩效评价"),
            "{}",
            bar.reason()
        );
    }

    #[test]
    fn a_barred_platform_cannot_be_submitted_or_passed() {
        let bar = Some(Bar {
            occurred_on: d("2024-03-01"),
            until: d("2027-03-01"),
            months: 36,
        });
        let mut f = facts(Level::County, None);
        f.bar = bar;
        let err = check(EvalAction::Submit, OPERATOR, &f).unwrap_err();
        assert!(err.reasons[0].contains("科研诚信限制"));
        assert!(check(EvalAction::Save, OPERATOR, &f).is_err());
        f.status = Some(EvalStatus::Submitted);
        assert!(check(EvalAction::CountyPass, COUNTY_STAFF, &f).is_err());
        // A return is still possible (it passes nothing).
        assert!(check(EvalAction::CountyReturn, COUNTY_STAFF, &f).is_ok());
        f.status = Some(EvalStatus::Excluded);
        let err = check(EvalAction::Save, OPERATOR, &f).unwrap_err();
        assert!(err.reasons[0].contains("科研诚信限制"));
        assert!(may_exclude(Some(EvalStatus::CityPassed)));
        assert!(may_exclude(None));
        assert!(!may_exclude(Some(EvalStatus::Scored)));
        assert!(!may_exclude(Some(EvalStatus::Excluded)));
    }

    #[test]
    fn returns_need_a_comment() {
        assert!(review_comment(EvalAction::CountyReturn, "  ").is_err());
        assert_eq!(
            review_comment(EvalAction::CityReturn, " 补充合同 "),
            Ok("补充合同".into())
        );
        assert_eq!(review_comment(EvalAction::CityPass, ""), Ok(String::new()));
        assert!(review_comment(EvalAction::CityPass, &"长".repeat(2001)).is_err());
    }

    #[test]
    fn reopen_dates_are_bounded() {
        let today = d("2026-02-03");
        assert_eq!(reopen_until("2026-02-10", today), Ok(d("2026-02-10")));
        assert!(reopen_until("2026-02-02", today).is_err());
        assert!(reopen_until("2026-06-01", today).is_err());
        assert!(reopen_until("soon", today).is_err());
    }

    #[test]
    fn default_year_is_the_year_just_ended_until_december() {
        assert_eq!(default_year(d("2026-01-15")), 2025);
        assert_eq!(default_year(d("2026-11-30")), 2025);
        assert_eq!(default_year(d("2026-12-01")), 2026);
    }

    #[test]
    fn numbers_are_parsed_strictly() {
        assert_eq!(parse_number(""), Ok(None));
        assert_eq!(parse_number(" 1,234.5 "), Ok(Some(1234.5)));
        assert_eq!(parse_number("0"), Ok(Some(0.0)));
        assert_eq!(parse_number("-3"), Err("不能为负数"));
        assert_eq!(parse_number("3e5"), Err("请输入数字"));
        assert_eq!(parse_number("1.2.3"), Err("请输入数字"));
        assert_eq!(parse_number("."), Err("请输入数字"));
        assert_eq!(parse_number("NaN"), Err("请输入数字"));
        assert_eq!(parse_number("99999999999999999"), Err("数值过大"));
    }

    fn input(pairs: &[(&str, &str)]) -> EvalInput {
        EvalInput {
            actuals: pairs
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
            self_assessment: String::new(),
            evidence: Vec::new(),
            confirmed: false,
        }
    }

    #[test]
    fn saving_accepts_gaps_but_submitting_needs_everything() {
        let rubric = Rubric::default_2025();
        let draft = validate(&rubric, &input(&[("rnd_staff", "12")]), false).expect("a draft");
        assert_eq!(draft.actuals.get("rnd_staff"), Some(&12.0));
        assert_eq!(draft.actuals.len(), 1);
        let errors = validate(&rubric, &input(&[("rnd_staff", "12")]), true).unwrap_err();
        // 13 other quantitative indicators, the self-assessment, the evidence and the confirmation.
        assert_eq!(errors.len(), 16, "{errors:?}");
        assert!(errors.contains_key("confirm"));
        assert!(errors.contains_key("self_assessment"));
        assert!(errors.contains_key("evidence"));
        assert!(!errors.contains_key("rnd_staff"));
    }

    #[test]
    fn every_bad_field_is_reported_and_counts_are_whole() {
        let rubric = Rubric::default_2025();
        let mut i = input(&[
            ("rnd_staff", "12.5"),
            ("rnd_expenditure", "abc"),
            ("self_sufficiency_ratio", "0.85"),
            ("charter_board_functioning", "90"),
        ]);
        i.self_assessment = "长".repeat(SELF_ASSESSMENT_MAX + 1);
        let errors = validate(&rubric, &i, false).unwrap_err();
        assert_eq!(
            errors.get("rnd_staff").map(String::as_str),
            Some("应为整数")
        );
        assert_eq!(
            errors.get("rnd_expenditure").map(String::as_str),
            Some("请输入数字")
        );
        assert!(errors.contains_key("self_assessment"));
        assert!(!errors.contains_key("self_sufficiency_ratio"));
        // Qualitative items are not the operator's to fill.
        assert!(!errors.contains_key("charter_board_functioning"));
    }

    #[test]
    fn a_complete_submission_validates() {
        let rubric = Rubric::default_2025();
        let mut i = EvalInput::default();
        for ind in &rubric.indicators {
            if ind.kind == IndicatorKind::Quantitative {
                i.actuals.insert(ind.key.clone(), "3".into());
            }
        }
        i.self_assessment = "完成年度目标".into();
        i.evidence = vec![5, 3, 5];
        i.confirmed = true;
        let draft = validate(&rubric, &i, true).expect("valid");
        assert_eq!(draft.actuals.len(), 14);
        assert_eq!(draft.evidence, vec![3, 5]);
    }

    // --- experts ---

    const UNDECLARED: Assignment = Assignment {
        conflict: None,
        submitted: false,
    };
    const CONFLICTED: Assignment = Assignment {
        conflict: Some(true),
        submitted: false,
    };
    const SCORING: Assignment = Assignment {
        conflict: Some(false),
        submitted: false,
    };
    const DONE: Assignment = Assignment {
        conflict: Some(false),
        submitted: true,
    };

    #[test]
    fn experts_declare_before_scoring_and_conflicted_ones_never_score() {
        let open = RoundStatus::Open;
        assert!(check_expert(ExpertAction::Declare, UNDECLARED, open).is_ok());
        assert!(check_expert(ExpertAction::Declare, SCORING, open).is_err());
        let err = check_expert(ExpertAction::SaveScores, UNDECLARED, open).unwrap_err();
        assert!(err.reasons[0].contains("请先声明"));
        let err = check_expert(ExpertAction::SubmitScores, CONFLICTED, open).unwrap_err();
        assert_eq!(err.kind, RefusalKind::Forbidden);
        assert!(err.reasons[0].contains("利益冲突"));
        assert!(check_expert(ExpertAction::SubmitScores, SCORING, open).is_ok());
        let err = check_expert(ExpertAction::SaveScores, DONE, open).unwrap_err();
        assert!(err.reasons[0].contains("已提交"));
        assert!(check_expert(ExpertAction::SaveScores, SCORING, RoundStatus::Proposed).is_err());
    }

    #[test]
    fn expert_scores_are_0_to_100_and_complete_on_submit() {
        let rubric = Rubric::default_2025();
        let typed: BTreeMap<String, String> = [
            ("charter_board_functioning", "90"),
            ("filings_on_time", "101"),
            ("compliance_remediation", "x"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
        let errors = validate_scores(&rubric, &typed, true).unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors.contains_key("information_disclosure"));
        let mut ok = typed.clone();
        ok.insert("filings_on_time".into(), "100".into());
        ok.insert("compliance_remediation".into(), "0".into());
        let scores = validate_scores(&rubric, &ok, false).expect("a partial save");
        assert_eq!(scores.len(), 3);
    }

    #[test]
    fn progress_needs_two_unconflicted_submissions() {
        let p = ExpertProgress::of(&[DONE, CONFLICTED, UNDECLARED]);
        assert_eq!(
            (p.assigned, p.submitted, p.conflicted, p.undeclared),
            (3, 1, 1, 1)
        );
        assert!(!p.is_complete());
        assert_eq!(p.missing_zh(), "有效专家评分1/2份，1位专家尚未完成");
        let p = ExpertProgress::of(&[DONE, CONFLICTED]);
        assert_eq!(p.missing_zh(), "有效专家评分1/2份，还需分配1位专家");
        let p = ExpertProgress::of(&[DONE, DONE, CONFLICTED]);
        assert!(p.is_complete());
        assert_eq!(p.missing_zh(), "");
    }

    fn scores(pairs: &[(&str, f64)]) -> Values {
        pairs.iter().map(|(k, v)| ((*k).to_string(), *v)).collect()
    }

    #[test]
    fn only_counting_assignments_feed_the_expert_mean() {
        let rubric = Rubric::default_2025();
        let assignments = vec![
            (
                DONE,
                scores(&[("filings_on_time", 80.0), ("rnd_staff", 5.0)]),
            ),
            (DONE, scores(&[("filings_on_time", 90.0)])),
            (CONFLICTED, scores(&[("filings_on_time", 10.0)])),
            (SCORING, scores(&[("filings_on_time", 20.0)])),
        ];
        let e = expert_scores(&rubric, &assignments);
        assert_eq!(e.get("filings_on_time"), Some(&vec![80.0, 90.0]));
        assert!(
            !e.contains_key("rnd_staff"),
            "quantitative keys are not expert-scored"
        );
    }

    fn all_quantitative(rubric: &Rubric, v: f64) -> Values {
        rubric
            .indicators
            .iter()
            .filter(|i| i.kind == IndicatorKind::Quantitative)
            .map(|i| (i.key.clone(), v))
            .collect()
    }

    fn all_qualitative(rubric: &Rubric, v: f64) -> Values {
        rubric
            .indicators
            .iter()
            .filter(|i| i.kind == IndicatorKind::Qualitative)
            .map(|i| (i.key.clone(), v))
            .collect()
    }

    #[test]
    fn quantitative_then_final_scores_go_through_score_platform() {
        let rubric = Rubric::default_2025();
        let targets = all_quantitative(&rubric, 10.0);
        let actuals = all_quantitative(&rubric, 10.0);
        let experts = vec![
            (DONE, all_qualitative(&rubric, 80.0)),
            (DONE, all_qualitative(&rubric, 60.0)),
            (CONFLICTED, all_qualitative(&rubric, 0.0)),
        ];
        let q = score(
            &rubric,
            Some(Category::TechnicalService),
            3,
            &targets,
            &actuals,
            &experts,
            ScoreStage::Quantitative,
        )
        .expect("scored");
        assert!((q.score.total - 100.0).abs() < 1e-9);
        assert!(q.warnings_zh.is_empty(), "{:?}", q.warnings_zh);
        assert_eq!(q.experts, 0);
        assert_eq!(q.config_version, 3);
        let f = score(
            &rubric,
            Some(Category::TechnicalService),
            3,
            &targets,
            &actuals,
            &experts,
            ScoreStage::Final,
        )
        .expect("scored");
        // Governance (10) at the experts' mean 70, everything else full: 90 + 7.
        assert!((f.score.total - 97.0).abs() < 1e-9, "{}", f.score.total);
        assert_eq!(f.score.dimension_score(Dimension::Governance), Some(70.0));
        assert_eq!(f.experts, 2);
        // Round trip through the stored JSON.
        let json = serde_json::to_value(&f).expect("json");
        assert_eq!(json["stage"], "final");
        assert_eq!(
            serde_json::from_value::<ScoreDetail>(json).expect("back"),
            f
        );
    }

    #[test]
    fn missing_targets_are_warned_and_category_is_required() {
        let rubric = Rubric::default_2025();
        let mut targets = all_quantitative(&rubric, 10.0);
        targets.remove("rnd_staff");
        let actuals = all_quantitative(&rubric, 5.0);
        let q = score(
            &rubric,
            Some(Category::Other),
            0,
            &targets,
            &actuals,
            &[],
            ScoreStage::Quantitative,
        )
        .expect("scored");
        assert_eq!(q.warnings_zh.len(), 1, "{:?}", q.warnings_zh);
        assert!(q.warnings_zh[0].contains("全职研发人员"));
        assert!(!q.targets.contains_key("rnd_staff"));
        assert!(
            score(&rubric, None, 0, &targets, &actuals, &[], ScoreStage::Final)
                .unwrap_err()
                .contains("功能定位")
        );
    }

    #[test]
    fn grading_seven_platforms_applies_the_quota_and_keeps_ties_together() {
        let rules = GradeRules::default();
        // 7 platforms → quota 1. Two tied at 95 at the top: neither is 优秀.
        let totals = [
            (1, 95.0),
            (2, 95.0),
            (3, 91.0),
            (4, 80.0),
            (5, 70.0),
            (6, 61.0),
            (7, 40.0),
        ];
        let results = assign_grades(&rules, &totals);
        let g = |id: i32| results.iter().find(|r| r.id == id).map(|r| r.grade);
        assert_eq!(g(1), Some(Grade::Good));
        assert_eq!(g(2), Some(Grade::Good));
        assert_eq!(
            g(3),
            Some(Grade::Good),
            "a lower platform does not take the place"
        );
        assert_eq!(g(5), Some(Grade::Pass));
        assert_eq!(g(7), Some(Grade::Fail));
        assert!(
            results
                .iter()
                .find(|r| r.id == 7)
                .is_some_and(|r| r.opens_rectification)
        );
    }

    // --- the round ---

    fn round(status: RoundStatus) -> RoundFacts {
        RoundFacts {
            status,
            today: d("2026-03-01"),
            notice_starts: None,
            notice_ends: None,
            in_review: 0,
            candidates: 7,
            not_ready: Vec::new(),
            unanswered_objections: 0,
        }
    }

    #[test]
    fn the_round_moves_open_proposed_notice_published() {
        use RoundAction::*;
        use RoundStatus::*;
        assert_eq!(check_round(Propose, CITY_STAFF, &round(Open)), Ok(Proposed));
        assert_eq!(
            check_round(Propose, CITY_STAFF, &round(Proposed)),
            Ok(Proposed)
        );
        assert_eq!(
            check_round(StartNotice, CITY_STAFF, &round(Proposed)),
            Ok(Notice)
        );
        let mut f = round(Notice);
        f.notice_starts = Some(d("2026-02-20"));
        f.notice_ends = Some(d("2026-02-26"));
        assert_eq!(check_round(RecordObjection, CITY_STAFF, &f), Ok(Notice));
        assert_eq!(check_round(Publish, CITY_STAFF, &f), Ok(Published));
        assert_eq!(check_round(Withdraw, CITY_STAFF, &f), Ok(Open));
        assert!(check_round(Withdraw, CITY_STAFF, &round(Published)).is_err());
        assert!(check_round(StartNotice, CITY_STAFF, &round(Open)).is_err());
        assert!(check_round(ComputeQuantitative, CITY_STAFF, &round(Proposed)).is_err());
        assert!(check_round(AssignExpert, CITY_STAFF, &round(Open)).is_ok());
        assert!(check_round(RecordObjection, CITY_STAFF, &round(Published)).is_err());
    }

    #[test]
    fn only_city_staff_run_the_round() {
        for actor in [COUNTY_STAFF, LEADER, OPERATOR] {
            let err =
                check_round(RoundAction::Propose, actor, &round(RoundStatus::Open)).unwrap_err();
            assert_eq!(err.kind, RefusalKind::Forbidden);
        }
    }

    #[test]
    fn proposing_lists_everything_not_ready() {
        let mut f = round(RoundStatus::Open);
        f.in_review = 2;
        f.not_ready = vec!["平台甲：有效专家评分1/2份".into()];
        let err = check_round(RoundAction::Propose, CITY_STAFF, &f).unwrap_err();
        assert_eq!(err.reasons.len(), 2, "{err}");
        f.in_review = 0;
        f.not_ready.clear();
        f.candidates = 0;
        assert!(check_round(RoundAction::Propose, CITY_STAFF, &f).is_err());
    }

    #[test]
    fn publishing_waits_for_the_notice_and_every_answer() {
        let mut f = round(RoundStatus::Notice);
        let (starts, ends) = notice_period(d("2026-02-24"), 7);
        assert_eq!((starts, ends), (d("2026-02-24"), d("2026-03-02")));
        f.notice_starts = Some(starts);
        f.notice_ends = Some(ends);
        f.unanswered_objections = 1;
        let err = check_round(RoundAction::Publish, CITY_STAFF, &f).unwrap_err();
        assert_eq!(err.reasons.len(), 2, "{err}");
        assert!(err.reasons[0].contains("公示期至2026-03-02"));
        assert!(err.reasons[1].contains("1条异议未答复"));
        f.today = d("2026-03-03");
        let err = check_round(RoundAction::Publish, CITY_STAFF, &f).unwrap_err();
        assert_eq!(err.reasons.len(), 1);
        f.unanswered_objections = 0;
        assert_eq!(
            check_round(RoundAction::Publish, CITY_STAFF, &f),
            Ok(RoundStatus::Published)
        );
    }

    #[test]
    fn objections_are_checked() {
        let today = d("2026-03-01");
        let notice = (Some(d("2026-02-24")), Some(d("2026-03-02")));
        let ok = validate_objection(" 某企业 ", "2026-02-25", " 数据有误 ", notice, today)
            .expect("valid");
        assert_eq!(ok.raised_by, "某企业");
        assert_eq!(ok.content, "数据有误");
        let errors = validate_objection("", "2026-03-05", "", notice, today).unwrap_err();
        assert_eq!(errors.len(), 3);
        let errors = validate_objection("甲", "2026-02-01", "乙", notice, today).unwrap_err();
        assert!(errors["raised_on"].contains("公示开始"));
        // Both ends of the notice period count.
        assert!(validate_objection("甲", "2026-02-24", "乙", notice, today).is_ok());
        let late = d("2026-03-10");
        assert!(validate_objection("甲", "2026-03-02", "乙", notice, late).is_ok());
        // After the notice period: refused, with the period's end in the message.
        let errors = validate_objection("甲", "2026-03-03", "乙", notice, late).unwrap_err();
        assert!(errors["raised_on"].contains("公示期满"), "{errors:?}");
        assert!(errors["raised_on"].contains("2026-03-02"), "{errors:?}");
        assert!(validate_answer("  ").is_err());
        assert_eq!(
            validate_answer(" 经核实，数据无误 "),
            Ok("经核实，数据无误".into())
        );
    }

    #[test]
    fn units_and_fail_summary() {
        assert_eq!(indicator_unit("rnd_expenditure"), "元");
        assert_eq!(indicator_unit("rnd_staff"), "人");
        assert_eq!(indicator_unit("unknown"), "");
        let s = fail_case_summary(2025, 42.123, 7);
        assert!(s.contains("2025年度") && s.contains("42.12") && s.contains("第7"));
    }
}
