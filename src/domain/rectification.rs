//! Exit / rectification (退出整改, NT10 三(一)): the forms of a rectification case, parsed with every error at
//! once, and the [`LifecycleFacts`] a case's rows amount to. Pure: the web layer reads the rows and the form,
//! this module decides what they mean, and [`lifecycle::check`](super::lifecycle::check) decides the move.

use chrono::NaiveDate;
use serde::Serialize;

use super::lifecycle::{
    LifecycleFacts, MergeTarget, RectificationPlan, RefusalReason, Signatory, Transition, Trigger,
};
use super::platform::{Category, Stage};
use super::validation::FieldErrors;

code_enum! {
    /// The 退/转/并/留 decision on a case, as stored in `rectification_cases.decision`.
    DecisionKind {
        Exit = "exit" / "退出（退）",
        Convert = "convert" / "转型（转）",
        Merge = "merge" / "合并（并）",
        Retain = "retain" / "保留（留）",
    }
}

impl DecisionKind {
    /// The lifecycle transition this decision takes once signed off.
    pub fn transition(self) -> Transition {
        match self {
            DecisionKind::Exit => Transition::DecideExit,
            DecisionKind::Convert => Transition::DecideConvert,
            DecisionKind::Merge => Transition::DecideMerge,
            DecisionKind::Retain => Transition::DecideRetain,
        }
    }
}

code_enum! {
    /// A case's status, as stored in `rectification_cases.status`.
    CaseStatus {
        Draft = "draft" / "草稿",
        Open = "open" / "整改中",
        Decided = "decided" / "已决定",
        Withdrawn = "withdrawn" / "已撤销",
    }
}

/// Most measure rows one form may carry.
pub const MAX_MEASURES: usize = 20;
/// Empty measure rows the open-case form offers (more are added on the case page).
pub const BLANK_MEASURE_ROWS: usize = 3;

/// Error keys of the measure rows (`FieldErrors` keys are static).
const MEASURE_KEYS: [&str; MAX_MEASURES] = [
    "measure_0",
    "measure_1",
    "measure_2",
    "measure_3",
    "measure_4",
    "measure_5",
    "measure_6",
    "measure_7",
    "measure_8",
    "measure_9",
    "measure_10",
    "measure_11",
    "measure_12",
    "measure_13",
    "measure_14",
    "measure_15",
    "measure_16",
    "measure_17",
    "measure_18",
    "measure_19",
];

/// The error key of measure row `i` (0-based).
pub fn measure_key(i: usize) -> &'static str {
    MEASURE_KEYS.get(i).copied().unwrap_or("measures")
}

const NOTE_MAX: usize = 2000;
const PLAN_MAX: usize = 4000;
const DESCRIPTION_MAX: usize = 500;
const OWNER_MAX: usize = 50;

fn too_long(s: &str, max: usize) -> bool {
    s.chars().count() > max
}

fn parse_date(input: &str) -> Result<Option<NaiveDate>, &'static str> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    match NaiveDate::parse_from_str(input, "%Y-%m-%d") {
        Ok(d) if (2000..=2100).contains(&chrono::Datelike::year(&d)) => Ok(Some(d)),
        _ => Err("日期格式应为年-月-日（如 2026-03-31）（2000–2100年）"),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// A measure
// ---------------------------------------------------------------------------------------------------------------

/// A measure row as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct MeasureFields {
    pub description: String,
    pub owner: String,
    pub due_date: String,
}

impl MeasureFields {
    fn is_blank(&self) -> bool {
        self.description.trim().is_empty()
            && self.owner.trim().is_empty()
            && self.due_date.trim().is_empty()
    }
}

/// A valid measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureDraft {
    pub description: String,
    pub owner: String,
    pub due_date: NaiveDate,
}

/// Everything wrong with one measure, in the order of its fields.
fn measure_problems(
    m: &MeasureFields,
    deadline: Option<NaiveDate>,
) -> (Option<MeasureDraft>, Vec<(&'static str, String)>) {
    let mut problems = Vec::new();
    let description = m.description.trim();
    let owner = m.owner.trim();
    if description.is_empty() {
        problems.push(("description", "请填写整改措施".to_owned()));
    } else if too_long(description, DESCRIPTION_MAX) {
        problems.push(("description", format!("整改措施不超过{DESCRIPTION_MAX}字")));
    }
    if owner.is_empty() {
        problems.push(("owner", "请填写责任人".to_owned()));
    } else if too_long(owner, OWNER_MAX) {
        problems.push(("owner", format!("责任人不超过{OWNER_MAX}字")));
    }
    let due = match parse_date(&m.due_date) {
        Ok(None) => {
            problems.push(("due_date", "请填写完成时限".to_owned()));
            None
        }
        Ok(Some(d)) => {
            if let Some(deadline) = deadline.filter(|deadline| d > *deadline) {
                problems.push((
                    "due_date",
                    format!("完成时限不能晚于整改期限（{deadline}）"),
                ));
                None
            } else {
                Some(d)
            }
        }
        Err(msg) => {
            problems.push(("due_date", msg.to_owned()));
            None
        }
    };
    let draft = match due {
        Some(due_date) if problems.is_empty() => Some(MeasureDraft {
            description: description.to_owned(),
            owner: owner.to_owned(),
            due_date,
        }),
        _ => None,
    };
    (draft, problems)
}

/// One measure added on the case page; errors under `description`, `owner`, `due_date`.
/// A due date after the case's deadline is refused.
pub fn parse_measure(
    m: &MeasureFields,
    deadline: Option<NaiveDate>,
) -> Result<MeasureDraft, FieldErrors> {
    let (draft, problems) = measure_problems(m, deadline);
    let mut errors = FieldErrors::default();
    for (field, msg) in problems {
        errors.add(field, msg);
    }
    draft.ok_or(errors)
}

/// The warning for a measure due before its case started — most likely a slip of the year or month, not an
/// error: the user may keep the date after ticking “仍然保存”. `None` when the date is on or after the start
/// (or not a date at all: [`parse_measure`] reports that).
pub fn due_before_start(due_date: &str, started: NaiveDate) -> Option<String> {
    match parse_date(due_date) {
        Ok(Some(due)) if due < started => Some(format!(
            "完成时限 {due} 早于本案件的启动日期（{started}），可能填错了年份或月份。请核对；如确无误，请勾选“仍然保存”后再提交。"
        )),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Opening a case
// ---------------------------------------------------------------------------------------------------------------

/// The open-case form as typed (everything a string, so nothing is lost on error).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenCaseFields {
    /// Checked trigger codes.
    pub triggers: Vec<String>,
    /// Why the case is opened (the transition's reason).
    pub trigger_note: String,
    pub plan_summary: String,
    pub deadline: String,
    pub measures: Vec<MeasureFields>,
}

impl OpenCaseFields {
    /// From the posted pairs: `triggers` repeats; `measure_description`, `measure_owner`, `measure_due_date`
    /// repeat once per row, in row order. Unknown keys (the CSRF token) are ignored.
    pub fn from_pairs(pairs: &[(String, String)]) -> OpenCaseFields {
        let mut f = OpenCaseFields::default();
        let (mut descriptions, mut owners, mut dues) = (Vec::new(), Vec::new(), Vec::new());
        for (k, v) in pairs {
            match k.as_str() {
                "triggers" => f.triggers.push(v.clone()),
                "trigger_note" => f.trigger_note = v.clone(),
                "plan_summary" => f.plan_summary = v.clone(),
                "deadline" => f.deadline = v.clone(),
                "measure_description" => descriptions.push(v.clone()),
                "measure_owner" => owners.push(v.clone()),
                "measure_due_date" => dues.push(v.clone()),
                _ => {}
            }
        }
        let rows = descriptions.len().max(owners.len()).max(dues.len());
        let at = |list: &Vec<String>, i: usize| list.get(i).cloned().unwrap_or_default();
        f.measures = (0..rows)
            .map(|i| MeasureFields {
                description: at(&descriptions, i),
                owner: at(&owners, i),
                due_date: at(&dues, i),
            })
            .collect();
        f
    }

    /// The form to show: the typed rows that are not blank, then blank rows up to [`BLANK_MEASURE_ROWS`] rows.
    pub fn for_display(&self) -> OpenCaseFields {
        let mut shown = self.clone();
        shown.measures.retain(|m| !m.is_blank());
        while shown.measures.len() < BLANK_MEASURE_ROWS {
            shown.measures.push(MeasureFields::default());
        }
        shown
    }

    pub fn has_trigger(&self, code: &str) -> bool {
        self.triggers.iter().any(|t| t == code)
    }
}

/// The open-case form, read as far as it goes: what `lifecycle::check` looks at, plus the plan's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenCaseDraft {
    pub triggers: Vec<Trigger>,
    pub reason: String,
    pub plan_summary: String,
    pub deadline: Option<NaiveDate>,
    pub measures: Vec<MeasureDraft>,
}

impl OpenCaseDraft {
    /// The facts of the `operating → rectifying` transition.
    pub fn facts(&self, platform_id: i64) -> LifecycleFacts<i64> {
        LifecycleFacts {
            platform_id,
            reason: self.reason.clone(),
            triggers: self.triggers.clone(),
            plan: Some(RectificationPlan {
                measures: self
                    .measures
                    .iter()
                    .map(|m| m.description.clone())
                    .collect(),
                deadline: self.deadline,
            }),
            ..LifecycleFacts::default()
        }
    }
}

/// Reads the open-case form. The draft holds whatever is valid, so the caller can run the lifecycle guard on it
/// and show its refusals (missing triggers, measures, deadline, reason) together with the field errors here
/// (bad dates, incomplete measure rows, over-long text, a deadline already past).
pub fn parse_open_case(f: &OpenCaseFields, today: NaiveDate) -> (OpenCaseDraft, FieldErrors) {
    let mut errors = FieldErrors::default();

    let mut triggers = Vec::new();
    for code in &f.triggers {
        match Trigger::parse(code) {
            Some(t) if !triggers.contains(&t) => triggers.push(t),
            Some(_) => {}
            None => errors.add("triggers", "包含无法识别的整改触发情形"),
        }
    }
    // Stable order, whatever order the browser sent.
    triggers.sort_by_key(|t| Trigger::ALL.iter().position(|a| a == t));

    let reason = f.trigger_note.trim().to_owned();
    if too_long(&reason, NOTE_MAX) {
        errors.add("trigger_note", format!("启动理由不超过{NOTE_MAX}字"));
    }
    let plan_summary = f.plan_summary.trim().to_owned();
    if too_long(&plan_summary, PLAN_MAX) {
        errors.add("plan_summary", format!("整改方案概述不超过{PLAN_MAX}字"));
    }

    let deadline = match parse_date(&f.deadline) {
        Ok(Some(d)) if d <= today => {
            errors.add("deadline", "整改期限须晚于今天");
            None
        }
        Ok(d) => d,
        Err(msg) => {
            errors.add("deadline", msg);
            None
        }
    };

    let rows: Vec<&MeasureFields> = f.measures.iter().filter(|m| !m.is_blank()).collect();
    if rows.len() > MAX_MEASURES {
        errors.add(
            "measures",
            format!("一次最多填写{MAX_MEASURES}项措施，其余可在案件页面补充"),
        );
    }
    let mut measures = Vec::new();
    for (i, m) in rows.iter().take(MAX_MEASURES).enumerate() {
        let (draft, problems) = measure_problems(m, deadline);
        match draft {
            Some(d) => measures.push(d),
            None => {
                let text = problems
                    .into_iter()
                    .map(|(_, msg)| msg)
                    .collect::<Vec<_>>()
                    .join("；");
                errors.add(measure_key(i), format!("第{}项措施：{text}", i + 1));
            }
        }
    }

    (
        OpenCaseDraft {
            triggers,
            reason,
            plan_summary,
            deadline,
            measures,
        },
        errors,
    )
}

/// The form field a lifecycle refusal belongs next to (opening a case or proposing a decision).
pub fn refusal_field(r: &RefusalReason) -> Option<&'static str> {
    Some(match r {
        RefusalReason::NoTrigger => "triggers",
        RefusalReason::MissingRectificationPlan | RefusalReason::PlanWithoutMeasures => "measures",
        RefusalReason::PlanWithoutDeadline => "deadline",
        RefusalReason::ConvertTargetMissing | RefusalReason::ConvertTargetUnchanged { .. } => {
            "convert_to"
        }
        RefusalReason::MergeTargetMissing
        | RefusalReason::MergeIntoSelf
        | RefusalReason::MergeTargetNotOperating { .. } => "merge_into_id",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// The 退/转/并/留 decision
// ---------------------------------------------------------------------------------------------------------------

/// The proposal form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ProposalFields {
    pub decision: String,
    pub reason: String,
    pub convert_to: String,
    pub merge_into_id: String,
}

/// A proposed decision. Only the target its kind needs is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposal {
    pub kind: DecisionKind,
    pub reason: String,
    pub convert_to: Option<Category>,
    pub merge_into: Option<i64>,
}

/// Reads the proposal form. The kind and its target must parse; whether the target is acceptable (another
/// category, an operating platform other than this one) is the lifecycle guard's call, see [`proposal_gaps`].
pub fn parse_proposal(f: &ProposalFields) -> Result<Proposal, FieldErrors> {
    let mut errors = FieldErrors::default();
    let kind = DecisionKind::parse(f.decision.trim());
    if kind.is_none() {
        errors.add("decision", "请选择退、转、并、留之一");
    }
    let reason = f.reason.trim().to_owned();
    if reason.is_empty() {
        errors.add("reason", "请填写理由");
    } else if too_long(&reason, NOTE_MAX) {
        errors.add("reason", format!("理由不超过{NOTE_MAX}字"));
    }
    let convert_to = match (kind, f.convert_to.trim()) {
        (Some(DecisionKind::Convert), "") => {
            errors.add("convert_to", "请选择转型后的平台类别");
            None
        }
        (Some(DecisionKind::Convert), code) => {
            let c = Category::parse(code);
            if c.is_none() {
                errors.add("convert_to", "请选择转型后的平台类别");
            }
            c
        }
        _ => None,
    };
    let merge_into = match (kind, f.merge_into_id.trim()) {
        (Some(DecisionKind::Merge), id) => {
            let id = id.parse::<i64>().ok();
            if id.is_none() {
                errors.add("merge_into_id", "请选择并入的平台");
            }
            id
        }
        _ => None,
    };
    match kind {
        Some(kind) if errors.is_empty() => Ok(Proposal {
            kind,
            reason,
            convert_to,
            merge_into,
        }),
        _ => Err(errors),
    }
}

/// What a case amounts to for the decision guard, read from its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSnapshot {
    pub platform_id: i64,
    /// The platform's current category.
    pub category: Option<Category>,
    /// The recorded assessment (经充分评估); blank = none.
    pub assessment: String,
    pub proposal: Option<Proposal>,
    /// Who proposed, with their role now.
    pub proposer: Option<Signatory<i64>>,
}

/// The facts of the `rectifying → 退/转/并/留` transition. `merge_target_stage` is the stage of the proposal's
/// merge target now (`None` if there is none or it does not exist).
pub fn decision_facts(
    case: &CaseSnapshot,
    merge_target_stage: Option<Stage>,
    sign_off: Option<Signatory<i64>>,
) -> LifecycleFacts<i64> {
    let proposal = case.proposal.as_ref();
    LifecycleFacts {
        platform_id: case.platform_id,
        reason: proposal.map(|p| p.reason.clone()).unwrap_or_default(),
        category: case.category,
        assessment_recorded: !case.assessment.trim().is_empty(),
        proposer: case.proposer.clone(),
        sign_off,
        convert_target: proposal.and_then(|p| p.convert_to),
        merge_target: proposal
            .and_then(|p| p.merge_into)
            .zip(merge_target_stage)
            .map(|(platform_id, stage)| MergeTarget { platform_id, stage }),
        ..LifecycleFacts::default()
    }
}

/// What would still refuse the proposal once a second staff member signs it off: the guard's items except the
/// sign-off itself. Empty = the proposal may be recorded.
pub fn proposal_gaps(case: &CaseSnapshot, merge_target_stage: Option<Stage>) -> Vec<RefusalReason> {
    let Some(proposal) = &case.proposal else {
        return vec![RefusalReason::ProposerMissing];
    };
    let facts = decision_facts(case, merge_target_stage, None);
    super::lifecycle::missing(proposal.kind.transition(), &facts)
        .into_iter()
        .filter(|r| *r != RefusalReason::SignOffMissing)
        .collect()
}

/// A measure not done by its due date.
pub fn is_overdue(due: NaiveDate, done: bool, today: NaiveDate) -> bool {
    !done && due < today
}

// ---------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::check;
    use crate::domain::role::Role;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    const TODAY: (i32, u32, u32) = (2026, 3, 1);

    #[test]
    fn a_measure_due_before_the_case_started_is_flagged() {
        let started = d(2026, 3, 1);
        let warning = due_before_start("2025-04-30", started).expect("warned");
        assert!(
            warning.contains("2026-03-01") && warning.contains("2025-04-30"),
            "{warning}"
        );
        assert!(warning.contains("仍然保存"));
        assert_eq!(due_before_start("2026-03-01", started), None);
        assert_eq!(due_before_start("2026-06-30", started), None);
        assert_eq!(due_before_start("", started), None);
        assert_eq!(due_before_start("明天", started), None);
    }

    fn today() -> NaiveDate {
        d(TODAY.0, TODAY.1, TODAY.2)
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn complete_form() -> Vec<(String, String)> {
        pairs(&[
            ("csrf_token", "x"),
            ("triggers", "transfer_not_working"),
            ("triggers", "progress_below_expectation"),
            ("trigger_note", " 连续两年成果转化收入为0 "),
            ("plan_summary", "调整方向"),
            ("deadline", "2026-12-31"),
            ("measure_description", "重组团队"),
            ("measure_owner", "张三"),
            ("measure_due_date", "2026-06-30"),
            ("measure_description", ""),
            ("measure_owner", ""),
            ("measure_due_date", ""),
            ("measure_description", "对接企业"),
            ("measure_owner", "李四"),
            ("measure_due_date", "2026-09-30"),
        ])
    }

    #[test]
    fn a_complete_form_opens_the_case() {
        let fields = OpenCaseFields::from_pairs(&complete_form());
        assert_eq!(fields.measures.len(), 3);
        let (draft, errors) = parse_open_case(&fields, today());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            draft.triggers,
            vec![
                Trigger::ProgressBelowExpectation,
                Trigger::TransferNotWorking
            ],
            "triggers in display order"
        );
        assert_eq!(draft.reason, "连续两年成果转化收入为0");
        assert_eq!(draft.deadline, Some(d(2026, 12, 31)));
        assert_eq!(draft.measures.len(), 2, "the blank row is skipped");
        assert_eq!(draft.measures[1].owner, "李四");
        assert_eq!(
            check(
                Stage::Operating,
                Transition::OpenRectification,
                Role::Staff,
                &draft.facts(7)
            ),
            Ok(Stage::Rectifying)
        );
    }

    #[test]
    fn an_empty_form_is_refused_with_every_missing_item() {
        let fields = OpenCaseFields::from_pairs(&pairs(&[("csrf_token", "x")]));
        let (draft, errors) = parse_open_case(&fields, today());
        assert!(errors.is_empty(), "nothing malformed, only missing");
        let refusal = check(
            Stage::Operating,
            Transition::OpenRectification,
            Role::Staff,
            &draft.facts(7),
        )
        .expect_err("must refuse");
        assert_eq!(
            refusal.reasons,
            vec![
                RefusalReason::NoTrigger,
                RefusalReason::PlanWithoutMeasures,
                RefusalReason::PlanWithoutDeadline,
                RefusalReason::ReasonMissing,
            ]
        );
        let fields: Vec<_> = refusal.reasons.iter().map(refusal_field).collect();
        assert_eq!(
            fields,
            vec![Some("triggers"), Some("measures"), Some("deadline"), None]
        );
    }

    #[test]
    fn malformed_input_is_reported_field_by_field() {
        let fields = OpenCaseFields::from_pairs(&pairs(&[
            ("triggers", "bribery"),
            ("triggers", "other"),
            ("trigger_note", "说明"),
            ("deadline", "2026-02-30"),
            ("measure_description", "只有措施"),
            ("measure_owner", ""),
            ("measure_due_date", "明天"),
            ("measure_description", ""),
            ("measure_owner", "王五"),
            ("measure_due_date", "2026-05-01"),
        ]));
        let (draft, errors) = parse_open_case(&fields, today());
        assert_eq!(draft.triggers, vec![Trigger::Other]);
        assert_eq!(errors.get("triggers"), "包含无法识别的整改触发情形");
        assert!(errors.get("deadline").starts_with("日期格式应为"));
        assert_eq!(
            errors.get("measure_0"),
            "第1项措施：请填写责任人；日期格式应为年-月-日（如 2026-03-31）（2000–2100年）"
        );
        assert_eq!(errors.get("measure_1"), "第2项措施：请填写整改措施");
        assert_eq!(errors.len(), 4);
        assert!(draft.measures.is_empty());
        assert_eq!(draft.deadline, None);
    }

    #[test]
    fn the_deadline_is_in_the_future_and_bounds_the_measures() {
        let mut form = complete_form();
        for (k, v) in &mut form {
            if k == "deadline" {
                *v = "2026-03-01".to_owned();
            }
        }
        let (_, errors) = parse_open_case(&OpenCaseFields::from_pairs(&form), today());
        assert_eq!(errors.get("deadline"), "整改期限须晚于今天");

        let mut form = complete_form();
        for (k, v) in &mut form {
            if k == "deadline" {
                *v = "2026-07-31".to_owned();
            }
        }
        let (draft, errors) = parse_open_case(&OpenCaseFields::from_pairs(&form), today());
        assert_eq!(
            errors.get("measure_1"),
            "第2项措施：完成时限不能晚于整改期限（2026-07-31）"
        );
        assert_eq!(draft.measures.len(), 1);
    }

    #[test]
    fn too_many_rows_and_too_long_text() {
        let mut form = pairs(&[("trigger_note", &"长".repeat(NOTE_MAX + 1))]);
        for _ in 0..=MAX_MEASURES {
            form.extend(pairs(&[
                ("measure_description", "措施"),
                ("measure_owner", "人"),
                ("measure_due_date", "2026-04-01"),
            ]));
        }
        let (draft, errors) = parse_open_case(&OpenCaseFields::from_pairs(&form), today());
        assert!(errors.get("measures").starts_with("一次最多填写20项措施"));
        assert_eq!(errors.get("trigger_note"), "启动理由不超过2000字");
        assert_eq!(draft.measures.len(), MAX_MEASURES);
    }

    #[test]
    fn display_keeps_typed_rows_and_pads_with_blank_ones() {
        let fields = OpenCaseFields::from_pairs(&complete_form()).for_display();
        assert_eq!(fields.measures.len(), 3);
        assert_eq!(fields.measures[1].description, "对接企业");
        assert!(fields.measures[2].is_blank());
        assert!(fields.has_trigger("transfer_not_working"));
        assert!(!fields.has_trigger("other"));
        let empty = OpenCaseFields::default().for_display();
        assert_eq!(empty.measures.len(), BLANK_MEASURE_ROWS);
    }

    #[test]
    fn one_measure_on_the_case_page() {
        let ok = MeasureFields {
            description: "补充人员".into(),
            owner: "赵六".into(),
            due_date: "2026-05-01".into(),
        };
        assert_eq!(
            parse_measure(&ok, Some(d(2026, 6, 30))).map(|m| m.due_date),
            Ok(d(2026, 5, 1))
        );
        let errors = parse_measure(&MeasureFields::default(), None).expect_err("empty");
        assert_eq!(errors.get("description"), "请填写整改措施");
        assert_eq!(errors.get("owner"), "请填写责任人");
        assert_eq!(errors.get("due_date"), "请填写完成时限");
        let late = parse_measure(&ok, Some(d(2026, 4, 30))).expect_err("after deadline");
        assert_eq!(
            late.get("due_date"),
            "完成时限不能晚于整改期限（2026-04-30）"
        );
        let long = MeasureFields {
            owner: "人".repeat(OWNER_MAX + 1),
            ..ok
        };
        assert_eq!(
            parse_measure(&long, None).expect_err("long").get("owner"),
            "责任人不超过50字"
        );
    }

    // --- proposals and decisions ---

    fn proposal(
        kind: &str,
        convert_to: &str,
        merge_into_id: &str,
    ) -> Result<Proposal, FieldErrors> {
        parse_proposal(&ProposalFields {
            decision: kind.into(),
            reason: "经评估".into(),
            convert_to: convert_to.into(),
            merge_into_id: merge_into_id.into(),
        })
    }

    #[test]
    fn proposal_form() {
        let exit = proposal("exit", "other", "5").expect("valid");
        assert_eq!(exit.kind, DecisionKind::Exit);
        assert_eq!(
            (exit.convert_to, exit.merge_into),
            (None, None),
            "irrelevant targets are dropped"
        );
        assert_eq!(
            proposal("convert", "other", "").map(|p| p.convert_to),
            Ok(Some(Category::Other))
        );
        assert_eq!(
            proposal("merge", "", "12").map(|p| p.merge_into),
            Ok(Some(12))
        );
        assert_eq!(
            proposal("convert", "", "")
                .expect_err("no target")
                .get("convert_to"),
            "请选择转型后的平台类别"
        );
        assert_eq!(
            proposal("merge", "", "x")
                .expect_err("no target")
                .get("merge_into_id"),
            "请选择并入的平台"
        );
        let errors = parse_proposal(&ProposalFields::default()).expect_err("empty");
        assert_eq!(errors.get("decision"), "请选择退、转、并、留之一");
        assert_eq!(errors.get("reason"), "请填写理由");
        assert_eq!(errors.len(), 2);
    }

    fn staff(id: i64) -> Signatory<i64> {
        Signatory {
            user_id: id,
            role: Role::Staff,
        }
    }

    fn case_with(p: Proposal) -> CaseSnapshot {
        CaseSnapshot {
            platform_id: 7,
            category: Some(Category::TechnicalService),
            assessment: "经充分评估，建议……".into(),
            proposal: Some(p),
            proposer: Some(staff(1)),
        }
    }

    #[test]
    fn a_signed_off_decision_moves_the_stage() {
        let cases = [
            (proposal("exit", "", ""), None, Stage::Exited),
            (proposal("convert", "other", ""), None, Stage::Converted),
            (
                proposal("merge", "", "8"),
                Some(Stage::Operating),
                Stage::Merged,
            ),
            (proposal("retain", "", ""), None, Stage::Operating),
        ];
        for (p, target_stage, expected) in cases {
            let p = p.expect("valid");
            let t = p.kind.transition();
            let case = case_with(p);
            assert!(proposal_gaps(&case, target_stage).is_empty());
            let facts = decision_facts(&case, target_stage, Some(staff(2)));
            assert_eq!(
                check(Stage::Rectifying, t, Role::Staff, &facts),
                Ok(expected)
            );
            // The proposer signing off their own proposal is refused.
            let facts = decision_facts(&case, target_stage, Some(staff(1)));
            assert_eq!(
                check(Stage::Rectifying, t, Role::Staff, &facts)
                    .expect_err("one person")
                    .reasons,
                vec![RefusalReason::SignOffBySameUser]
            );
        }
    }

    #[test]
    fn proposal_gaps_name_what_the_guard_will_refuse() {
        let mut case = case_with(proposal("convert", "technical_service", "").expect("valid"));
        case.assessment = "  ".into();
        let gaps = proposal_gaps(&case, None);
        assert_eq!(
            gaps,
            vec![
                RefusalReason::AssessmentMissing,
                RefusalReason::ConvertTargetUnchanged {
                    category: Category::TechnicalService
                }
            ]
        );
        assert_eq!(refusal_field(&gaps[1]), Some("convert_to"));

        let into_self = case_with(proposal("merge", "", "7").expect("valid"));
        assert_eq!(
            proposal_gaps(&into_self, Some(Stage::Operating)),
            vec![RefusalReason::MergeIntoSelf]
        );
        let into_exited = case_with(proposal("merge", "", "8").expect("valid"));
        assert_eq!(
            proposal_gaps(&into_exited, Some(Stage::Exited)),
            vec![RefusalReason::MergeTargetNotOperating {
                stage: Stage::Exited
            }]
        );
        // A target that does not exist counts as none.
        assert_eq!(
            proposal_gaps(&into_exited, None),
            vec![RefusalReason::MergeTargetMissing]
        );
        let none = CaseSnapshot {
            proposal: None,
            ..into_exited
        };
        assert_eq!(
            proposal_gaps(&none, None),
            vec![RefusalReason::ProposerMissing]
        );
    }

    #[test]
    fn a_proposer_who_is_no_longer_staff_cannot_carry_the_decision() {
        let mut case = case_with(proposal("exit", "", "").expect("valid"));
        case.proposer = Some(Signatory {
            user_id: 1,
            role: Role::Leader,
        });
        let facts = decision_facts(&case, None, Some(staff(2)));
        assert_eq!(
            check(
                Stage::Rectifying,
                Transition::DecideExit,
                Role::Staff,
                &facts
            )
            .expect_err("refused")
            .reasons,
            vec![RefusalReason::ProposerNotStaff]
        );
    }

    #[test]
    fn overdue_measures() {
        assert!(is_overdue(d(2026, 2, 28), false, today()));
        assert!(!is_overdue(d(2026, 2, 28), true, today()));
        assert!(!is_overdue(today(), false, today()));
    }

    #[test]
    fn decision_codes_match_the_schema() {
        let codes: Vec<_> = DecisionKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(codes, ["exit", "convert", "merge", "retain"]);
        let statuses: Vec<_> = CaseStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(statuses, ["draft", "open", "decided", "withdrawn"]);
    }
}
