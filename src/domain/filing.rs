//! Year-start filing (年初备案, EVALUATION.md §1): the operator files a target for every quantitative
//! indicator of the year's rubric, the revenue plan by channel and the expenditure budget; staff
//! approve or return it with comments; every version is kept.
//!
//! Versions of one platform and year: at most one in progress (draft or submitted) and at most one
//! approved. A returned version stays as returned; the fix is a new version. An approved version is
//! locked; a change (变更备案) is a new version with a reason, and the approved one is superseded only
//! when the change is approved. Submitting while a version is under review or approved is a
//! duplicate submission and is refused; a late submission is accepted and flagged (EVAL-FILING).

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;

use super::fields::{FieldMessages, RawForm};
use super::ledger::{Channel, indicator_input, parse_indicator, parse_wan, unit_of, wan_input};
use super::scoring::{Indicator, IndicatorKind, Rubric, Values};

code_enum! {
    /// Where one filing version stands.
    FilingStatus {
        Draft = "draft" / "草稿",
        Submitted = "submitted" / "已提交，待审核",
        Returned = "returned" / "已退回",
        Approved = "approved" / "已通过",
        Superseded = "superseded" / "已由变更版本替代",
    }
}

/// What a filing version holds. Money in yuan; targets keyed by indicator key (money targets in yuan).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilingContent {
    pub targets: Values,
    pub revenue_plan: BTreeMap<Channel, i64>,
    pub expenditure_budget: i64,
}

impl FilingContent {
    /// The planned self-generated income (the five channels).
    pub fn planned_self_generated(&self) -> i64 {
        Channel::SELF_GENERATED
            .iter()
            .map(|c| self.revenue_plan.get(c).copied().unwrap_or(0))
            .sum()
    }
}

/// The indicators that take a target: the quantitative ones, in rubric order.
pub fn target_indicators(rubric: &Rubric) -> impl Iterator<Item = &Indicator> {
    rubric
        .indicators
        .iter()
        .filter(|i| i.kind == IndicatorKind::Quantitative)
}

/// Form field of an indicator's target.
pub fn target_field(key: &str) -> String {
    format!("t_{key}")
}

/// Form field of a channel's planned revenue.
pub fn plan_field(channel: Channel) -> String {
    format!("plan_{}", channel.as_str())
}

pub const BUDGET_FIELD: &str = "budget";
pub const REASON_FIELD: &str = "change_reason";

/// A filing form as parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub content: FilingContent,
    pub change_reason: String,
}

/// Parses the filing form. A draft may leave targets and the budget empty; submitting needs every
/// target (0 is allowed: that indicator is then not scored) and the budget. `needs_reason`: the
/// version changes an approved filing, so the reason is required.
pub fn parse(
    rubric: &Rubric,
    f: &RawForm,
    submitting: bool,
    needs_reason: bool,
) -> Result<Parsed, FieldMessages> {
    let mut errors = FieldMessages::default();
    let mut content = FilingContent::default();
    for ind in target_indicators(rubric) {
        let field = target_field(&ind.key);
        let v = f.get(&field);
        if v.is_empty() {
            if submitting {
                errors.add(field, "提交前请填写目标值");
            }
            continue;
        }
        match parse_indicator(unit_of(&ind.key), v) {
            Ok(x) => {
                content.targets.insert(ind.key.clone(), x);
            }
            Err(e) => errors.add(field, e),
        }
    }
    for &channel in Channel::ALL {
        let field = plan_field(channel);
        let v = f.get(&field);
        if v.is_empty() {
            continue;
        }
        match parse_wan(v) {
            Ok(y) => {
                content.revenue_plan.insert(channel, y);
            }
            Err(e) => errors.add(field, e),
        }
    }
    match f.get(BUDGET_FIELD) {
        "" if submitting => errors.add(BUDGET_FIELD, "提交前请填写支出预算"),
        "" => {}
        v => match parse_wan(v) {
            Ok(y) => content.expenditure_budget = y,
            Err(e) => errors.add(BUDGET_FIELD, e),
        },
    }
    let change_reason = f.get(REASON_FIELD).to_owned();
    if needs_reason && change_reason.is_empty() {
        errors.add(REASON_FIELD, "变更已通过的备案，须说明变更原因");
    } else if change_reason.chars().count() > 1000 {
        errors.add(REASON_FIELD, "变更原因不能超过 1000 个字");
    }
    if errors.is_empty() {
        Ok(Parsed {
            content,
            change_reason,
        })
    } else {
        Err(errors)
    }
}

/// A stored version as the form shows it again.
pub fn to_form(rubric: &Rubric, content: &FilingContent, change_reason: &str) -> RawForm {
    let mut f = RawForm::default();
    for ind in target_indicators(rubric) {
        if let Some(&t) = content.targets.get(&ind.key) {
            f.set(
                target_field(&ind.key),
                indicator_input(unit_of(&ind.key), t),
            );
        }
    }
    for (&channel, &y) in &content.revenue_plan {
        f.set(plan_field(channel), wan_input(y));
    }
    if content.expenditure_budget > 0 {
        f.set(BUDGET_FIELD, wan_input(content.expenditure_budget));
    }
    f.set(REASON_FIELD, change_reason);
    f
}

// ---------------------------------------------------------------------------------------------------------------
// Versions and what may be done with them
// ---------------------------------------------------------------------------------------------------------------

/// One version of a platform's filing for a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionInfo {
    pub id: i64,
    pub version: i32,
    pub status: FilingStatus,
    pub lock_version: i32,
}

/// Every version of one platform's filing for one year, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YearFilings(pub Vec<VersionInfo>);

impl YearFilings {
    /// The version in progress (draft or submitted), if any.
    pub fn open(&self) -> Option<&VersionInfo> {
        self.0
            .iter()
            .find(|v| matches!(v.status, FilingStatus::Draft | FilingStatus::Submitted))
    }

    /// The approved version in force, if any.
    pub fn approved(&self) -> Option<&VersionInfo> {
        self.0.iter().find(|v| v.status == FilingStatus::Approved)
    }

    /// The newest version.
    pub fn latest(&self) -> Option<&VersionInfo> {
        self.0.iter().max_by_key(|v| v.version)
    }

    /// The number the next version gets.
    pub fn next_version(&self) -> i32 {
        self.latest().map_or(1, |v| v.version + 1)
    }
}

/// Where a save of the filing form goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveTarget {
    /// Update the draft in place (if still at `lock_version`).
    UpdateDraft { id: i64, lock_version: i32 },
    /// Insert a new version with this number.
    NewVersion { version: i32 },
}

/// A save plan: where it goes and whether it changes an approved filing (so needs a reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavePlan {
    pub target: SaveTarget,
    pub is_change: bool,
}

/// Why an action on a filing is refused. `Display` is the Chinese message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Submitting again while a version is under review.
    DuplicateWhileSubmitted { version: i32 },
    /// Submitting again while the approved version stands and no change was started.
    DuplicateAfterApproval { version: i32 },
    /// Editing a submitted version.
    UnderReview { version: i32 },
    /// Editing the approved version.
    ApprovedLocked { version: i32 },
    /// Starting a change when there is no approved version to change.
    NothingToChange,
    /// Reviewing a version that is not awaiting review.
    NotAwaitingReview { status: FilingStatus },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::DuplicateWhileSubmitted { version } => write!(
                f,
                "重复提交：本年度备案（第 {version} 版）已提交，正在审核，不能再次提交。"
            ),
            Refusal::DuplicateAfterApproval { version } => write!(
                f,
                "重复提交：本年度备案（第 {version} 版）已审核通过，不能再次提交；如需调整，请发起变更备案。"
            ),
            Refusal::UnderReview { version } => {
                write!(f, "本年度备案（第 {version} 版）已提交，审核期间不能修改。")
            }
            Refusal::ApprovedLocked { version } => write!(
                f,
                "本年度备案（第 {version} 版）已审核通过并锁定，不能修改；如需调整，请发起变更备案（须说明原因，并重新审核）。"
            ),
            Refusal::NothingToChange => {
                write!(f, "本年度尚无审核通过的备案，无需变更，请直接填报。")
            }
            Refusal::NotAwaitingReview { status } => write!(
                f,
                "该版本当前状态为「{}」，不在待审核状态，不能审核。",
                status.label_zh()
            ),
        }
    }
}

/// Decides where the operator's save (or submit) goes. `change`: the operator asked for a change of
/// the approved filing (变更备案).
pub fn plan_save(v: &YearFilings, submitting: bool, change: bool) -> Result<SavePlan, Refusal> {
    let approved = v.approved();
    match v.open() {
        Some(open) if open.status == FilingStatus::Submitted => Err(if submitting {
            Refusal::DuplicateWhileSubmitted {
                version: open.version,
            }
        } else {
            Refusal::UnderReview {
                version: open.version,
            }
        }),
        Some(draft) => Ok(SavePlan {
            target: SaveTarget::UpdateDraft {
                id: draft.id,
                lock_version: draft.lock_version,
            },
            is_change: approved.is_some(),
        }),
        None => match approved {
            Some(a) if !change => Err(if submitting {
                Refusal::DuplicateAfterApproval { version: a.version }
            } else {
                Refusal::ApprovedLocked { version: a.version }
            }),
            Some(_) => Ok(SavePlan {
                target: SaveTarget::NewVersion {
                    version: v.next_version(),
                },
                is_change: true,
            }),
            None if change => Err(Refusal::NothingToChange),
            None => Ok(SavePlan {
                target: SaveTarget::NewVersion {
                    version: v.next_version(),
                },
                is_change: false,
            }),
        },
    }
}

/// Whether the operator may open the form now, and as what; the same rules as [`plan_save`] for a
/// draft save.
pub fn can_edit(v: &YearFilings, change: bool) -> Result<SavePlan, Refusal> {
    plan_save(v, false, change)
}

/// Staff decision on a submitted version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Return,
}

/// A review as parsed from the form.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub decision: Decision,
    pub comment: String,
    /// Filing field (`t_<key>`, `plan_<channel>`, `budget`) → comment; only non-empty ones.
    pub field_comments: BTreeMap<String, String>,
}

/// Form field of the review comment on a filing field.
pub fn comment_field(field: &str) -> String {
    format!("c_{field}")
}

/// Every filing field that may carry a review comment, in form order.
pub fn commentable_fields(rubric: &Rubric) -> Vec<String> {
    let mut fields: Vec<String> = target_indicators(rubric)
        .map(|i| target_field(&i.key))
        .collect();
    fields.extend(Channel::ALL.iter().map(|c| plan_field(*c)));
    fields.push(BUDGET_FIELD.to_owned());
    fields
}

/// Parses the review form: `decision` (approve|return), `comment` (required to return), and
/// `c_<field>` comments on the filing's fields.
pub fn parse_review(rubric: &Rubric, f: &RawForm) -> Result<Review, FieldMessages> {
    let mut errors = FieldMessages::default();
    let decision = match f.get("decision") {
        "approve" => Some(Decision::Approve),
        "return" => Some(Decision::Return),
        _ => {
            errors.add("decision", "请选择审核结论");
            None
        }
    };
    let comment = f.get("comment").to_owned();
    if decision == Some(Decision::Return) && comment.is_empty() {
        errors.add("comment", "退回时请填写审核意见，说明需要修改的内容");
    }
    if comment.chars().count() > 2000 {
        errors.add("comment", "审核意见不能超过 2000 个字");
    }
    let mut field_comments = BTreeMap::new();
    for field in commentable_fields(rubric) {
        let cf = comment_field(&field);
        let c = f.get(&cf);
        if c.chars().count() > 500 {
            errors.add(cf, "单项意见不能超过 500 个字");
        } else if !c.is_empty() {
            field_comments.insert(field, c.to_owned());
        }
    }
    match decision {
        Some(decision) if errors.is_empty() => Ok(Review {
            decision,
            // Per-field comments go with a return; an approval keeps only its general comment.
            field_comments: if decision == Decision::Return {
                field_comments
            } else {
                BTreeMap::new()
            },
            comment,
        }),
        _ => Err(errors),
    }
}

/// Staff may review only a submitted version.
pub fn check_reviewable(status: FilingStatus) -> Result<(), Refusal> {
    if status == FilingStatus::Submitted {
        Ok(())
    } else {
        Err(Refusal::NotAwaitingReview { status })
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The deadline
// ---------------------------------------------------------------------------------------------------------------

/// The year's filing against its deadline (EVAL-FILING): judged on the first submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeliness {
    OnTime { on: NaiveDate },
    Late { on: NaiveDate, days: i64 },
    Due { days_left: i64 },
    Overdue { days: i64 },
}

impl Timeliness {
    pub fn of(deadline: NaiveDate, first_submitted: Option<NaiveDate>, today: NaiveDate) -> Self {
        match first_submitted {
            Some(on) if on <= deadline => Timeliness::OnTime { on },
            Some(on) => Timeliness::Late {
                on,
                days: (on - deadline).num_days(),
            },
            None if today <= deadline => Timeliness::Due {
                days_left: (deadline - today).num_days(),
            },
            None => Timeliness::Overdue {
                days: (today - deadline).num_days(),
            },
        }
    }

    /// Late or overdue: the page flags it.
    pub fn is_flagged(self) -> bool {
        matches!(self, Timeliness::Late { .. } | Timeliness::Overdue { .. })
    }
}

impl fmt::Display for Timeliness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timeliness::OnTime { on } => write!(f, "已于 {on} 按期提交"),
            Timeliness::Late { on, days } => {
                write!(f, "逾期提交：{on} 提交，晚于截止日 {days} 天")
            }
            Timeliness::Due { days_left } => write!(f, "尚未提交，距截止日还有 {days_left} 天"),
            Timeliness::Overdue { days } => write!(f, "逾期未提交：已超过截止日 {days} 天"),
        }
    }
}

/// Whether one version was submitted after the deadline.
pub fn submitted_late(submitted_on: NaiveDate, deadline: NaiveDate) -> bool {
    submitted_on > deadline
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn v(id: i64, version: i32, status: FilingStatus) -> VersionInfo {
        VersionInfo {
            id,
            version,
            status,
            lock_version: 1,
        }
    }

    fn full_form(rubric: &Rubric) -> RawForm {
        let mut f = RawForm::default();
        for ind in target_indicators(rubric) {
            f.set(target_field(&ind.key), "10");
        }
        f.set(plan_field(Channel::ServiceOrders), "120");
        f.set(plan_field(Channel::FiscalSubsidy), "300");
        f.set(BUDGET_FIELD, "500");
        f
    }

    #[test]
    fn a_complete_form_parses_with_money_in_yuan() {
        let r = Rubric::default_2025();
        let p = parse(&r, &full_form(&r), true, false).expect("valid");
        assert_eq!(p.content.targets.len(), 14);
        assert_eq!(p.content.targets["self_generated_income"], 100_000.0); // 10 万元
        assert_eq!(p.content.targets["rnd_staff"], 10.0);
        assert!(!p.content.targets.contains_key("filings_on_time")); // qualitative
        assert_eq!(p.content.revenue_plan[&Channel::ServiceOrders], 1_200_000);
        assert_eq!(p.content.planned_self_generated(), 1_200_000);
        assert_eq!(p.content.expenditure_budget, 5_000_000);
        // And back to the form unchanged.
        let again = to_form(&r, &p.content, "");
        assert_eq!(again.get("t_self_generated_income"), "10");
        assert_eq!(again.get("plan_service_orders"), "120");
        assert_eq!(again.get("budget"), "500");
    }

    #[test]
    fn submitting_needs_every_target_and_the_budget_a_draft_does_not() {
        let r = Rubric::default_2025();
        let mut f = RawForm::default();
        f.set("t_rnd_staff", "abc");
        let e = parse(&r, &f, true, false).expect_err("incomplete");
        assert_eq!(e.len(), 14 + 1);
        assert_eq!(e.get("t_rnd_staff"), "请填写数字");
        assert_eq!(e.get("t_invention_patents"), "提交前请填写目标值");
        assert_eq!(e.get("budget"), "提交前请填写支出预算");
        let e = parse(&r, &f, false, false).expect_err("bad number");
        assert_eq!(e.len(), 1);
        f.set("t_rnd_staff", "3");
        let draft = parse(&r, &f, false, false).expect("a partial draft");
        assert_eq!(draft.content.targets.len(), 1);
    }

    #[test]
    fn a_change_needs_a_reason() {
        let r = Rubric::default_2025();
        let e = parse(&r, &full_form(&r), true, true).expect_err("no reason");
        assert_eq!(e.get("change_reason"), "变更已通过的备案，须说明变更原因");
        let mut f = full_form(&r);
        f.set("change_reason", "新增国家重点研发计划任务");
        assert_eq!(
            parse(&r, &f, true, true).expect("valid").change_reason,
            "新增国家重点研发计划任务"
        );
    }

    #[test]
    fn first_filing_and_fix_after_return_are_new_versions() {
        let none = YearFilings::default();
        assert_eq!(
            plan_save(&none, true, false),
            Ok(SavePlan {
                target: SaveTarget::NewVersion { version: 1 },
                is_change: false
            })
        );
        let returned = YearFilings(vec![v(7, 1, FilingStatus::Returned)]);
        assert_eq!(
            plan_save(&returned, true, false),
            Ok(SavePlan {
                target: SaveTarget::NewVersion { version: 2 },
                is_change: false
            })
        );
        assert_eq!(plan_save(&none, false, true), Err(Refusal::NothingToChange));
    }

    #[test]
    fn a_draft_is_updated_in_place() {
        let f = YearFilings(vec![
            v(1, 1, FilingStatus::Returned),
            v(2, 2, FilingStatus::Draft),
        ]);
        assert_eq!(
            plan_save(&f, true, false),
            Ok(SavePlan {
                target: SaveTarget::UpdateDraft {
                    id: 2,
                    lock_version: 1
                },
                is_change: false
            })
        );
    }

    #[test]
    fn duplicate_submission_is_refused() {
        let submitted = YearFilings(vec![v(1, 1, FilingStatus::Submitted)]);
        let e = plan_save(&submitted, true, false).expect_err("duplicate");
        assert_eq!(e, Refusal::DuplicateWhileSubmitted { version: 1 });
        assert!(e.to_string().starts_with("重复提交"));
        assert_eq!(
            plan_save(&submitted, false, false),
            Err(Refusal::UnderReview { version: 1 })
        );
        let approved = YearFilings(vec![v(1, 1, FilingStatus::Approved)]);
        let e = plan_save(&approved, true, false).expect_err("duplicate");
        assert_eq!(e, Refusal::DuplicateAfterApproval { version: 1 });
        assert!(e.to_string().contains("变更备案"));
    }

    #[test]
    fn an_approved_filing_is_locked_and_changed_by_a_new_version() {
        let approved = YearFilings(vec![v(1, 1, FilingStatus::Approved)]);
        assert_eq!(
            plan_save(&approved, false, false),
            Err(Refusal::ApprovedLocked { version: 1 })
        );
        assert_eq!(
            plan_save(&approved, true, true),
            Ok(SavePlan {
                target: SaveTarget::NewVersion { version: 2 },
                is_change: true
            })
        );
        // While the change is in progress the approved version stays in force.
        let changing = YearFilings(vec![
            v(1, 1, FilingStatus::Approved),
            v(2, 2, FilingStatus::Draft),
        ]);
        assert_eq!(changing.approved().map(|a| a.id), Some(1));
        assert_eq!(
            plan_save(&changing, true, false).map(|p| p.is_change),
            Ok(true)
        );
        let under_review = YearFilings(vec![
            v(1, 1, FilingStatus::Approved),
            v(2, 2, FilingStatus::Submitted),
        ]);
        assert_eq!(
            plan_save(&under_review, true, true),
            Err(Refusal::DuplicateWhileSubmitted { version: 2 })
        );
    }

    #[test]
    fn review_needs_a_decision_and_a_comment_to_return() {
        let r = Rubric::default_2025();
        let e = parse_review(&r, &RawForm::default()).expect_err("empty");
        assert!(e.has("decision"));
        let e = parse_review(&r, &RawForm::from_pairs(&[("decision", "return")]))
            .expect_err("no comment");
        assert_eq!(e.get("comment"), "退回时请填写审核意见，说明需要修改的内容");
        let review = parse_review(
            &r,
            &RawForm::from_pairs(&[
                ("decision", "return"),
                ("comment", "目标偏低"),
                ("c_t_rnd_staff", "研发人员目标应不低于上年实际"),
                ("c_budget", ""),
                ("c_unknown", "ignored"),
            ]),
        )
        .expect("valid");
        assert_eq!(review.decision, Decision::Return);
        assert_eq!(review.field_comments.len(), 1);
        assert_eq!(
            review.field_comments["t_rnd_staff"],
            "研发人员目标应不低于上年实际"
        );
        let approve = parse_review(
            &r,
            &RawForm::from_pairs(&[("decision", "approve"), ("c_budget", "x")]),
        )
        .expect("valid");
        assert!(approve.field_comments.is_empty());
        assert_eq!(check_reviewable(FilingStatus::Submitted), Ok(()));
        assert!(check_reviewable(FilingStatus::Approved).is_err());
    }

    #[test]
    fn timeliness_against_the_deadline() {
        let deadline = d("2026-03-31");
        assert_eq!(
            Timeliness::of(deadline, Some(d("2026-03-31")), d("2026-05-01")),
            Timeliness::OnTime {
                on: d("2026-03-31")
            }
        );
        let late = Timeliness::of(deadline, Some(d("2026-04-03")), d("2026-05-01"));
        assert_eq!(
            late,
            Timeliness::Late {
                on: d("2026-04-03"),
                days: 3
            }
        );
        assert!(late.is_flagged());
        assert_eq!(
            late.to_string(),
            "逾期提交：2026-04-03 提交，晚于截止日 3 天"
        );
        assert_eq!(
            Timeliness::of(deadline, None, d("2026-03-17")),
            Timeliness::Due { days_left: 14 }
        );
        let overdue = Timeliness::of(deadline, None, d("2026-04-10"));
        assert_eq!(overdue, Timeliness::Overdue { days: 10 });
        assert!(overdue.is_flagged());
        assert!(submitted_late(d("2026-04-01"), deadline));
        assert!(!submitted_late(deadline, deadline));
    }
}
