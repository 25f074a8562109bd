//! A platform's lifecycle (NT10 三(一), "设立登记-运行管理-退出整改") as a pure state machine.
//!
//! ```text
//! registration ──approve──▶ operating ──open case──▶ rectifying ──decide──▶ exited | converted | merged | operating (retain)
//! ```
//!
//! [`check`] decides whether an actor may move a platform from one stage to the next. It never touches the
//! database: the caller fills a [`LifecycleFacts`] from it, and records the event (who, when, why, evidence)
//! only when `check` returns `Ok`. A refusal lists every missing item at once, in Chinese, so the page can show
//! the user the whole to-do list in one go.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::platform::{Category, DecisionBody, Stage};
use super::role::Role;

// ---------------------------------------------------------------------------------------------------------------
// Transition
// ---------------------------------------------------------------------------------------------------------------

code_enum! {
    /// A move from one [`Stage`] to another. Each transition has exactly one source and one target stage.
    Transition {
        /// registration → operating.
        ApproveRegistration = "approve_registration" / "审批设立登记",
        /// operating → rectifying.
        OpenRectification = "open_rectification" / "启动退出整改",
        /// rectifying → exited (退).
        DecideExit = "decide_exit" / "决定退出（退）",
        /// rectifying → converted (转): to another category, or to an enterprise-led `other` platform.
        DecideConvert = "decide_convert" / "决定转型（转）",
        /// rectifying → merged (并): into a named platform.
        DecideMerge = "decide_merge" / "决定合并（并）",
        /// rectifying → operating (留).
        DecideRetain = "decide_retain" / "决定保留（留）",
    }
}

/// Every transition is taken by bureau staff; operators, advisors, experts, leaders and the three admins never.
const STAFF_ONLY: &[Role] = &[Role::Staff];

impl Transition {
    /// The only stage this transition may start from.
    pub fn from(self) -> Stage {
        match self {
            Transition::ApproveRegistration => Stage::Registration,
            Transition::OpenRectification => Stage::Operating,
            Transition::DecideExit
            | Transition::DecideConvert
            | Transition::DecideMerge
            | Transition::DecideRetain => Stage::Rectifying,
        }
    }

    /// The stage this transition leads to.
    pub fn to(self) -> Stage {
        match self {
            Transition::ApproveRegistration => Stage::Operating,
            Transition::OpenRectification => Stage::Rectifying,
            Transition::DecideExit => Stage::Exited,
            Transition::DecideConvert => Stage::Converted,
            Transition::DecideMerge => Stage::Merged,
            Transition::DecideRetain => Stage::Operating,
        }
    }

    /// The roles that may take this transition.
    pub fn allowed_roles(self) -> &'static [Role] {
        STAFF_ONLY
    }

    /// Whether this is one of the 退/转/并/留 decisions, which need an assessment and a second staff sign-off.
    pub fn is_decision(self) -> bool {
        self.from() == Stage::Rectifying
    }
}

/// The transitions that may start from `stage` (none from a terminal stage), in lifecycle order.
pub fn available(stage: Stage) -> Vec<Transition> {
    Transition::ALL
        .iter()
        .copied()
        .filter(|t| t.from() == stage)
        .collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------------------------

code_enum! {
    /// Why a rectification case is opened (NT10 三(一), plus the evaluation and integrity triggers).
    Trigger {
        ProgressBelowExpectation = "progress_below_expectation" / "建设进度未达预期",
        TransferNotWorking = "transfer_not_working" / "成果转化机制不畅",
        FunctionsWeakened = "functions_weakened" / "主要职能弱化萎缩",
        FailGrade = "fail_grade" / "年度评估不合格",
        IntegrityViolation = "integrity_violation" / "科研诚信违规",
        /// Explained in the transition's reason.
        Other = "other" / "其他",
    }
}

/// The rectification plan attached to a case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RectificationPlan {
    /// Rectification measures; blank entries do not count.
    pub measures: Vec<String>,
    /// The date by which the measures must be done.
    pub deadline: Option<NaiveDate>,
}

/// A staff member taking part in a 退/转/并/留 decision: who proposed it, or who signed it off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signatory<Id> {
    /// The user's id.
    pub user_id: Id,
    /// The user's role at the time of signing.
    pub role: Role,
}

/// The platform a merge goes into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeTarget<Id> {
    /// The receiving platform's id.
    pub platform_id: Id,
    /// The receiving platform's current stage.
    pub stage: Stage,
}

/// Everything the guards look at, filled by the caller from the database. Pure data.
///
/// `Id` is whatever the application uses for user and platform ids (e.g. `uuid::Uuid` or `i64`); the guard only
/// compares ids for equality. Fields irrelevant to the transition being checked are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LifecycleFacts<Id> {
    /// The platform being moved.
    pub platform_id: Id,
    /// Why the transition is taken. Every transition needs one (blank does not count).
    pub reason: String,

    // --- registration → operating ---
    /// The charter (章程) is approved.
    pub charter_approved: bool,
    /// The decision bodies formed so far.
    pub decision_bodies: Vec<DecisionBody>,
    /// A co-building agreement (共建协议) is on file.
    pub co_building_agreement: bool,
    /// A construction plan (建设方案) is on file.
    pub construction_plan: bool,
    /// The platform's category (功能定位); also the "current category" a conversion must differ from.
    pub category: Option<Category>,

    // --- operating → rectifying ---
    /// Why the case is opened; at least one.
    pub triggers: Vec<Trigger>,
    /// The rectification plan: at least one measure and a deadline.
    pub plan: Option<RectificationPlan>,

    // --- rectifying → 退/转/并/留 ---
    /// The assessment (经充分评估) is recorded on the case.
    pub assessment_recorded: bool,
    /// Who proposed the decision.
    pub proposer: Option<Signatory<Id>>,
    /// Who signed it off; must be another staff member.
    pub sign_off: Option<Signatory<Id>>,
    /// 转: the category after conversion (`other` = enterprise-led).
    pub convert_target: Option<Category>,
    /// 并: the platform to merge into.
    pub merge_target: Option<MergeTarget<Id>>,
}

// ---------------------------------------------------------------------------------------------------------------
// Refusal
// ---------------------------------------------------------------------------------------------------------------

/// One reason a transition is refused. `Display` gives the Chinese message shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RefusalReason {
    /// The platform is not in the transition's source stage.
    #[error("当前阶段为「{}」，不能执行「{}」", .stage.label_zh(), .transition.label_zh())]
    WrongStage {
        stage: Stage,
        transition: Transition,
    },
    /// The actor's role may not take the transition.
    #[error("仅{}可执行此操作", roles_zh(.transition.allowed_roles()))]
    RoleNotAllowed { role: Role, transition: Transition },
    /// 章程 not approved.
    #[error("章程尚未审批")]
    CharterNotApproved,
    /// No decision body recorded at all.
    #[error("尚未组建决策机构（理事会/董事会/管委会）")]
    NoDecisionBody,
    /// Decision bodies exist but none has enough members and a chair.
    #[error("决策机构成员不足{}人或未设负责人", DecisionBody::MIN_MEMBERS)]
    DecisionBodyInsufficient,
    /// 共建协议 missing.
    #[error("缺少共建协议")]
    MissingAgreement,
    /// 建设方案 missing.
    #[error("缺少建设方案")]
    MissingConstructionPlan,
    /// Category not set.
    #[error("未设置功能定位（平台类别）")]
    CategoryNotSet,
    /// Opening a case without a trigger.
    #[error("未选择整改触发情形")]
    NoTrigger,
    /// Opening a case without a plan.
    #[error("缺少整改方案")]
    MissingRectificationPlan,
    /// The plan has no (non-blank) measure.
    #[error("整改方案至少须列出1项整改措施")]
    PlanWithoutMeasures,
    /// The plan has no deadline.
    #[error("整改方案未设定整改期限")]
    PlanWithoutDeadline,
    /// Deciding without the assessment NT10 requires.
    #[error("尚未记录充分评估意见（须经充分评估后决定）")]
    AssessmentMissing,
    /// No proposer recorded.
    #[error("缺少提议人")]
    ProposerMissing,
    /// The proposer is not staff.
    #[error("提议人须为科技局业务人员")]
    ProposerNotStaff,
    /// Nobody signed the decision off.
    #[error("退/转/并/留决定须由另一名业务人员签核")]
    SignOffMissing,
    /// The sign-off is by a non-staff account.
    #[error("签核人须为科技局业务人员")]
    SignOffNotStaff,
    /// The proposer signed off their own decision.
    #[error("提议人与签核人不能为同一人，退/转/并/留决定须由另一名业务人员签核")]
    SignOffBySameUser,
    /// 转 without a target category.
    #[error("未选择转型后的平台类别")]
    ConvertTargetMissing,
    /// 转 into the category the platform already has.
    #[error("转型后的平台类别不能与当前类别（{}）相同", .category.label_zh())]
    ConvertTargetUnchanged { category: Category },
    /// 并 without a receiving platform.
    #[error("未选择并入的平台")]
    MergeTargetMissing,
    /// 并 into itself.
    #[error("平台不能并入自身")]
    MergeIntoSelf,
    /// 并 into a platform that is not operating.
    #[error("并入的平台须处于「运行中」阶段，该平台当前为「{}」", .stage.label_zh())]
    MergeTargetNotOperating { stage: Stage },
    /// No reason given.
    #[error("请填写理由")]
    ReasonMissing,
}

fn roles_zh(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.label_zh())
        .collect::<Vec<_>>()
        .join("或")
}

/// A refused transition with every reason, in a stable order: stage, role, then the guard's items, reason last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}", self.messages().join("；"))]
pub struct Refusal {
    /// Never empty.
    pub reasons: Vec<RefusalReason>,
}

impl Refusal {
    /// The Chinese messages, one per reason.
    pub fn messages(&self) -> Vec<String> {
        self.reasons.iter().map(ToString::to_string).collect()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Check
// ---------------------------------------------------------------------------------------------------------------

/// May `actor_role` take transition `t` from `stage`, given `facts`? `Ok` carries the new stage.
///
/// Everything wrong is reported at once. When the platform is not in `t`'s source stage, the guard's items are
/// not listed (no amount of paperwork would make the transition legal); a wrong role, on the other hand, does not
/// hide them, so an operator can see what staff will be missing before approval.
pub fn check<Id: PartialEq>(
    stage: Stage,
    t: Transition,
    actor_role: Role,
    facts: &LifecycleFacts<Id>,
) -> Result<Stage, Refusal> {
    let mut reasons = Vec::new();
    let stage_ok = stage == t.from();
    if !stage_ok {
        reasons.push(RefusalReason::WrongStage {
            stage,
            transition: t,
        });
    }
    if !t.allowed_roles().contains(&actor_role) {
        reasons.push(RefusalReason::RoleNotAllowed {
            role: actor_role,
            transition: t,
        });
    }
    if stage_ok {
        reasons.extend(missing(t, facts));
    }
    if reasons.is_empty() {
        Ok(t.to())
    } else {
        Err(Refusal { reasons })
    }
}

/// The guard of `t` alone: what the facts still lack, ignoring stage and role. Empty when complete.
/// Useful for showing a to-do list before anyone presses the button.
pub fn missing<Id: PartialEq>(t: Transition, facts: &LifecycleFacts<Id>) -> Vec<RefusalReason> {
    let mut reasons = match t {
        Transition::ApproveRegistration => registration_gaps(facts),
        Transition::OpenRectification => case_gaps(facts),
        Transition::DecideExit | Transition::DecideRetain => decision_gaps(facts),
        Transition::DecideConvert => {
            let mut r = decision_gaps(facts);
            r.extend(convert_gaps(facts));
            r
        }
        Transition::DecideMerge => {
            let mut r = decision_gaps(facts);
            r.extend(merge_gaps(facts));
            r
        }
    };
    if facts.reason.trim().is_empty() {
        reasons.push(RefusalReason::ReasonMissing);
    }
    reasons
}

fn registration_gaps<Id>(facts: &LifecycleFacts<Id>) -> Vec<RefusalReason> {
    let mut r = Vec::new();
    if !facts.charter_approved {
        r.push(RefusalReason::CharterNotApproved);
    }
    if facts.decision_bodies.is_empty() {
        r.push(RefusalReason::NoDecisionBody);
    } else if !facts
        .decision_bodies
        .iter()
        .any(|body| body.qualifies(DecisionBody::MIN_MEMBERS))
    {
        r.push(RefusalReason::DecisionBodyInsufficient);
    }
    if !facts.co_building_agreement {
        r.push(RefusalReason::MissingAgreement);
    }
    if !facts.construction_plan {
        r.push(RefusalReason::MissingConstructionPlan);
    }
    if facts.category.is_none() {
        r.push(RefusalReason::CategoryNotSet);
    }
    r
}

fn case_gaps<Id>(facts: &LifecycleFacts<Id>) -> Vec<RefusalReason> {
    let mut r = Vec::new();
    if facts.triggers.is_empty() {
        r.push(RefusalReason::NoTrigger);
    }
    match &facts.plan {
        None => r.push(RefusalReason::MissingRectificationPlan),
        Some(plan) => {
            if plan.measures.iter().all(|m| m.trim().is_empty()) {
                r.push(RefusalReason::PlanWithoutMeasures);
            }
            if plan.deadline.is_none() {
                r.push(RefusalReason::PlanWithoutDeadline);
            }
        }
    }
    r
}

fn decision_gaps<Id: PartialEq>(facts: &LifecycleFacts<Id>) -> Vec<RefusalReason> {
    let mut r = Vec::new();
    if !facts.assessment_recorded {
        r.push(RefusalReason::AssessmentMissing);
    }
    match &facts.proposer {
        None => r.push(RefusalReason::ProposerMissing),
        Some(p) if p.role != Role::Staff => r.push(RefusalReason::ProposerNotStaff),
        Some(_) => {}
    }
    match &facts.sign_off {
        None => r.push(RefusalReason::SignOffMissing),
        Some(s) => {
            if s.role != Role::Staff {
                r.push(RefusalReason::SignOffNotStaff);
            }
            if facts
                .proposer
                .as_ref()
                .is_some_and(|p| p.user_id == s.user_id)
            {
                r.push(RefusalReason::SignOffBySameUser);
            }
        }
    }
    r
}

fn convert_gaps<Id>(facts: &LifecycleFacts<Id>) -> Vec<RefusalReason> {
    match facts.convert_target {
        None => vec![RefusalReason::ConvertTargetMissing],
        Some(target) if facts.category == Some(target) => {
            vec![RefusalReason::ConvertTargetUnchanged { category: target }]
        }
        Some(_) => Vec::new(),
    }
}

fn merge_gaps<Id: PartialEq>(facts: &LifecycleFacts<Id>) -> Vec<RefusalReason> {
    let Some(target) = &facts.merge_target else {
        return vec![RefusalReason::MergeTargetMissing];
    };
    let mut r = Vec::new();
    if target.platform_id == facts.platform_id {
        r.push(RefusalReason::MergeIntoSelf);
    }
    if target.stage != Stage::Operating {
        r.push(RefusalReason::MergeTargetNotOperating {
            stage: target.stage,
        });
    }
    r
}

// ---------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::domain::platform::DecisionBodyKind;

    const PLATFORM: u32 = 7;
    const OTHER_PLATFORM: u32 = 8;
    const ALICE: u32 = 101;
    const BOB: u32 = 102;

    fn staff(user_id: u32) -> Signatory<u32> {
        Signatory {
            user_id,
            role: Role::Staff,
        }
    }

    /// Facts that satisfy the guard of every transition at once.
    fn complete() -> LifecycleFacts<u32> {
        LifecycleFacts {
            platform_id: PLATFORM,
            reason: "材料齐全，同意".to_owned(),
            charter_approved: true,
            decision_bodies: vec![DecisionBody {
                kind: DecisionBodyKind::Council,
                members: DecisionBody::MIN_MEMBERS,
                has_chair: true,
            }],
            co_building_agreement: true,
            construction_plan: true,
            category: Some(Category::StrategicTask),
            triggers: vec![Trigger::ProgressBelowExpectation],
            plan: Some(RectificationPlan {
                measures: vec!["调整研发方向".to_owned()],
                deadline: NaiveDate::from_ymd_opt(2026, 12, 31),
            }),
            assessment_recorded: true,
            proposer: Some(staff(ALICE)),
            sign_off: Some(staff(BOB)),
            convert_target: Some(Category::Other),
            merge_target: Some(MergeTarget {
                platform_id: OTHER_PLATFORM,
                stage: Stage::Operating,
            }),
        }
    }

    fn refusal(stage: Stage, t: Transition, facts: &LifecycleFacts<u32>) -> Vec<RefusalReason> {
        match check(stage, t, Role::Staff, facts) {
            Ok(to) => panic!("{t:?} from {stage:?} unexpectedly allowed, to {to:?}"),
            Err(refusal) => refusal.reasons,
        }
    }

    const LEGAL: [(Stage, Transition, Stage); 6] = [
        (
            Stage::Registration,
            Transition::ApproveRegistration,
            Stage::Operating,
        ),
        (
            Stage::Operating,
            Transition::OpenRectification,
            Stage::Rectifying,
        ),
        (Stage::Rectifying, Transition::DecideExit, Stage::Exited),
        (
            Stage::Rectifying,
            Transition::DecideConvert,
            Stage::Converted,
        ),
        (Stage::Rectifying, Transition::DecideMerge, Stage::Merged),
        (
            Stage::Rectifying,
            Transition::DecideRetain,
            Stage::Operating,
        ),
    ];

    #[test]
    fn matrix_of_every_stage_transition_and_role() {
        let facts = complete();
        let mut allowed = 0;
        for &stage in Stage::ALL {
            for &t in Transition::ALL {
                let legal = LEGAL
                    .iter()
                    .find(|(from, lt, _)| *from == stage && *lt == t)
                    .map(|(_, _, to)| *to);
                for &role in Role::ALL {
                    let got = check(stage, t, role, &facts);
                    let mut expected = Vec::new();
                    if legal.is_none() {
                        expected.push(RefusalReason::WrongStage {
                            stage,
                            transition: t,
                        });
                    }
                    if role != Role::Staff {
                        expected.push(RefusalReason::RoleNotAllowed {
                            role,
                            transition: t,
                        });
                    }
                    match (legal, role) {
                        (Some(to), Role::Staff) => {
                            assert_eq!(got, Ok(to), "{stage:?} {t:?} {role:?}");
                            allowed += 1;
                        }
                        _ => assert_eq!(
                            got,
                            Err(Refusal { reasons: expected }),
                            "{stage:?} {t:?} {role:?}"
                        ),
                    }
                }
            }
        }
        assert_eq!(allowed, LEGAL.len());
    }

    #[test]
    fn transitions_declare_the_legal_pairs() {
        for (from, t, to) in LEGAL {
            assert_eq!((t.from(), t.to()), (from, to), "{t:?}");
            assert_eq!(t.allowed_roles(), &[Role::Staff]);
        }
        assert_eq!(LEGAL.len(), Transition::ALL.len());
    }

    #[test]
    fn available_lists_exactly_the_outgoing_transitions() {
        assert_eq!(
            available(Stage::Registration),
            vec![Transition::ApproveRegistration]
        );
        assert_eq!(
            available(Stage::Operating),
            vec![Transition::OpenRectification]
        );
        assert_eq!(
            available(Stage::Rectifying),
            vec![
                Transition::DecideExit,
                Transition::DecideConvert,
                Transition::DecideMerge,
                Transition::DecideRetain
            ]
        );
        for &stage in Stage::ALL {
            assert_eq!(
                available(stage).is_empty(),
                stage.is_terminal(),
                "{stage:?}"
            );
        }
    }

    #[test]
    fn wrong_stage_and_role_messages() {
        let err = check(
            Stage::Operating,
            Transition::ApproveRegistration,
            Role::Operator,
            &complete(),
        )
        .expect_err("must refuse");
        assert_eq!(
            err.messages(),
            vec![
                "当前阶段为「运行中」，不能执行「审批设立登记」".to_owned(),
                "仅科技局业务人员可执行此操作".to_owned(),
            ]
        );
        assert_eq!(
            err.to_string(),
            "当前阶段为「运行中」，不能执行「审批设立登记」；仅科技局业务人员可执行此操作"
        );
    }

    #[test]
    fn wrong_role_still_lists_guard_gaps() {
        let facts = LifecycleFacts {
            charter_approved: false,
            ..complete()
        };
        let err = check(
            Stage::Registration,
            Transition::ApproveRegistration,
            Role::Leader,
            &facts,
        )
        .expect_err("must refuse");
        assert_eq!(
            err.reasons,
            vec![
                RefusalReason::RoleNotAllowed {
                    role: Role::Leader,
                    transition: Transition::ApproveRegistration
                },
                RefusalReason::CharterNotApproved,
            ]
        );
    }

    // --- registration guard ---

    #[test]
    fn registration_with_nothing_lists_every_gap_at_once() {
        let facts = LifecycleFacts::<u32>::default();
        let err = check(
            Stage::Registration,
            Transition::ApproveRegistration,
            Role::Staff,
            &facts,
        )
        .expect_err("must refuse");
        assert_eq!(
            err.messages(),
            vec![
                "章程尚未审批",
                "尚未组建决策机构（理事会/董事会/管委会）",
                "缺少共建协议",
                "缺少建设方案",
                "未设置功能定位（平台类别）",
                "请填写理由",
            ]
        );
    }

    #[test]
    fn registration_each_missing_item() {
        let t = Transition::ApproveRegistration;
        let s = Stage::Registration;
        let cases: Vec<(LifecycleFacts<u32>, RefusalReason)> = vec![
            (
                LifecycleFacts {
                    charter_approved: false,
                    ..complete()
                },
                RefusalReason::CharterNotApproved,
            ),
            (
                LifecycleFacts {
                    decision_bodies: vec![],
                    ..complete()
                },
                RefusalReason::NoDecisionBody,
            ),
            (
                LifecycleFacts {
                    co_building_agreement: false,
                    ..complete()
                },
                RefusalReason::MissingAgreement,
            ),
            (
                LifecycleFacts {
                    construction_plan: false,
                    ..complete()
                },
                RefusalReason::MissingConstructionPlan,
            ),
            (
                LifecycleFacts {
                    category: None,
                    ..complete()
                },
                RefusalReason::CategoryNotSet,
            ),
            (
                LifecycleFacts {
                    reason: "  \n".to_owned(),
                    ..complete()
                },
                RefusalReason::ReasonMissing,
            ),
        ];
        for (facts, expected) in cases {
            assert_eq!(refusal(s, t, &facts), vec![expected]);
        }
    }

    #[test]
    fn decision_body_needs_members_and_chair() {
        let body = |members, has_chair| DecisionBody {
            kind: DecisionBodyKind::Board,
            members,
            has_chair,
        };
        let t = Transition::ApproveRegistration;
        let s = Stage::Registration;
        for bodies in [
            vec![body(DecisionBody::MIN_MEMBERS - 1, true)],
            vec![body(9, false)],
            vec![body(2, true), body(5, false)],
        ] {
            let facts = LifecycleFacts {
                decision_bodies: bodies,
                ..complete()
            };
            let reasons = refusal(s, t, &facts);
            assert_eq!(reasons, vec![RefusalReason::DecisionBodyInsufficient]);
            assert_eq!(reasons[0].to_string(), "决策机构成员不足3人或未设负责人");
        }
        // One functional body among several is enough.
        let facts = LifecycleFacts {
            decision_bodies: vec![body(2, true), body(3, true)],
            ..complete()
        };
        assert_eq!(check(s, t, Role::Staff, &facts), Ok(Stage::Operating));
    }

    // --- opening a case ---

    #[test]
    fn opening_a_case_each_missing_item() {
        let t = Transition::OpenRectification;
        let s = Stage::Operating;
        let plan = |measures: Vec<&str>, deadline| RectificationPlan {
            measures: measures.into_iter().map(str::to_owned).collect(),
            deadline,
        };
        let deadline = NaiveDate::from_ymd_opt(2026, 6, 30);
        let cases: Vec<(LifecycleFacts<u32>, Vec<RefusalReason>)> = vec![
            (
                LifecycleFacts {
                    triggers: vec![],
                    ..complete()
                },
                vec![RefusalReason::NoTrigger],
            ),
            (
                LifecycleFacts {
                    plan: None,
                    ..complete()
                },
                vec![RefusalReason::MissingRectificationPlan],
            ),
            (
                LifecycleFacts {
                    plan: Some(plan(vec![], deadline)),
                    ..complete()
                },
                vec![RefusalReason::PlanWithoutMeasures],
            ),
            (
                LifecycleFacts {
                    plan: Some(plan(vec!["  "], deadline)),
                    ..complete()
                },
                vec![RefusalReason::PlanWithoutMeasures],
            ),
            (
                LifecycleFacts {
                    plan: Some(plan(vec!["整改"], None)),
                    ..complete()
                },
                vec![RefusalReason::PlanWithoutDeadline],
            ),
            (
                LifecycleFacts {
                    plan: Some(plan(vec![], None)),
                    ..complete()
                },
                vec![
                    RefusalReason::PlanWithoutMeasures,
                    RefusalReason::PlanWithoutDeadline,
                ],
            ),
            (
                LifecycleFacts {
                    reason: String::new(),
                    ..complete()
                },
                vec![RefusalReason::ReasonMissing],
            ),
        ];
        for (facts, expected) in cases {
            assert_eq!(refusal(s, t, &facts), expected);
        }
    }

    #[test]
    fn opening_a_case_ignores_registration_items() {
        // Registration paperwork is not re-checked once the platform operates.
        let facts = LifecycleFacts {
            charter_approved: false,
            category: None,
            ..complete()
        };
        assert_eq!(
            check(
                Stage::Operating,
                Transition::OpenRectification,
                Role::Staff,
                &facts
            ),
            Ok(Stage::Rectifying)
        );
    }

    #[test]
    fn every_trigger_is_accepted_alone() {
        for &trigger in Trigger::ALL {
            let facts = LifecycleFacts {
                triggers: vec![trigger],
                ..complete()
            };
            assert_eq!(
                check(
                    Stage::Operating,
                    Transition::OpenRectification,
                    Role::Staff,
                    &facts
                ),
                Ok(Stage::Rectifying),
                "{trigger:?}"
            );
        }
    }

    // --- decisions ---

    const DECISIONS: [Transition; 4] = [
        Transition::DecideExit,
        Transition::DecideConvert,
        Transition::DecideMerge,
        Transition::DecideRetain,
    ];

    #[test]
    fn decisions_each_missing_common_item() {
        let cases: Vec<(LifecycleFacts<u32>, Vec<RefusalReason>)> = vec![
            (
                LifecycleFacts {
                    assessment_recorded: false,
                    ..complete()
                },
                vec![RefusalReason::AssessmentMissing],
            ),
            (
                LifecycleFacts {
                    proposer: None,
                    ..complete()
                },
                vec![RefusalReason::ProposerMissing],
            ),
            (
                LifecycleFacts {
                    proposer: Some(Signatory {
                        user_id: ALICE,
                        role: Role::Advisor,
                    }),
                    ..complete()
                },
                vec![RefusalReason::ProposerNotStaff],
            ),
            (
                LifecycleFacts {
                    sign_off: None,
                    ..complete()
                },
                vec![RefusalReason::SignOffMissing],
            ),
            (
                LifecycleFacts {
                    sign_off: Some(Signatory {
                        user_id: BOB,
                        role: Role::Leader,
                    }),
                    ..complete()
                },
                vec![RefusalReason::SignOffNotStaff],
            ),
            (
                LifecycleFacts {
                    reason: " ".to_owned(),
                    ..complete()
                },
                vec![RefusalReason::ReasonMissing],
            ),
        ];
        for t in DECISIONS {
            for (facts, expected) in &cases {
                assert_eq!(&refusal(Stage::Rectifying, t, facts), expected, "{t:?}");
            }
        }
    }

    #[test]
    fn one_person_cannot_propose_and_sign_off() {
        let facts = LifecycleFacts {
            proposer: Some(staff(ALICE)),
            sign_off: Some(staff(ALICE)),
            ..complete()
        };
        for t in DECISIONS {
            let reasons = refusal(Stage::Rectifying, t, &facts);
            assert_eq!(reasons, vec![RefusalReason::SignOffBySameUser], "{t:?}");
            assert!(
                reasons[0]
                    .to_string()
                    .contains("退/转/并/留决定须由另一名业务人员签核")
            );
        }
    }

    #[test]
    fn sign_off_missing_message() {
        let facts = LifecycleFacts {
            sign_off: None,
            ..complete()
        };
        let err = check(
            Stage::Rectifying,
            Transition::DecideExit,
            Role::Staff,
            &facts,
        )
        .expect_err("must refuse");
        assert_eq!(
            err.messages(),
            vec!["退/转/并/留决定须由另一名业务人员签核"]
        );
    }

    #[test]
    fn convert_needs_a_different_target_category() {
        let t = Transition::DecideConvert;
        let missing = LifecycleFacts {
            convert_target: None,
            ..complete()
        };
        assert_eq!(
            refusal(Stage::Rectifying, t, &missing),
            vec![RefusalReason::ConvertTargetMissing]
        );
        let same = LifecycleFacts {
            category: Some(Category::TechnicalService),
            convert_target: Some(Category::TechnicalService),
            ..complete()
        };
        let reasons = refusal(Stage::Rectifying, t, &same);
        assert_eq!(
            reasons,
            vec![RefusalReason::ConvertTargetUnchanged {
                category: Category::TechnicalService
            }]
        );
        assert_eq!(
            reasons[0].to_string(),
            "转型后的平台类别不能与当前类别（技术服务类）相同"
        );
        let to_other_category = LifecycleFacts {
            convert_target: Some(Category::IndustrialTransformation),
            ..complete()
        };
        assert_eq!(
            check(Stage::Rectifying, t, Role::Staff, &to_other_category),
            Ok(Stage::Converted)
        );
        // Other decisions do not look at the conversion target.
        assert_eq!(
            check(
                Stage::Rectifying,
                Transition::DecideExit,
                Role::Staff,
                &missing
            ),
            Ok(Stage::Exited)
        );
    }

    #[test]
    fn merge_needs_another_operating_platform() {
        let t = Transition::DecideMerge;
        let missing = LifecycleFacts {
            merge_target: None,
            ..complete()
        };
        assert_eq!(
            refusal(Stage::Rectifying, t, &missing),
            vec![RefusalReason::MergeTargetMissing]
        );
        let into_self = LifecycleFacts {
            merge_target: Some(MergeTarget {
                platform_id: PLATFORM,
                stage: Stage::Operating,
            }),
            ..complete()
        };
        assert_eq!(
            refusal(Stage::Rectifying, t, &into_self),
            vec![RefusalReason::MergeIntoSelf]
        );
        for stage in Stage::ALL
            .iter()
            .copied()
            .filter(|s| *s != Stage::Operating)
        {
            let facts = LifecycleFacts {
                merge_target: Some(MergeTarget {
                    platform_id: OTHER_PLATFORM,
                    stage,
                }),
                ..complete()
            };
            assert_eq!(
                refusal(Stage::Rectifying, t, &facts),
                vec![RefusalReason::MergeTargetNotOperating { stage }]
            );
        }
        let exited = LifecycleFacts {
            merge_target: Some(MergeTarget {
                platform_id: OTHER_PLATFORM,
                stage: Stage::Exited,
            }),
            ..complete()
        };
        assert_eq!(
            refusal(Stage::Rectifying, t, &exited)[0].to_string(),
            "并入的平台须处于「运行中」阶段，该平台当前为「已退出」"
        );
        // Other decisions do not look at the merge target.
        assert_eq!(
            check(
                Stage::Rectifying,
                Transition::DecideRetain,
                Role::Staff,
                &missing
            ),
            Ok(Stage::Operating)
        );
    }

    #[test]
    fn decision_with_nothing_lists_every_gap_at_once() {
        let facts = LifecycleFacts::<u32>::default();
        let err = check(
            Stage::Rectifying,
            Transition::DecideMerge,
            Role::Staff,
            &facts,
        )
        .expect_err("must refuse");
        assert_eq!(
            err.reasons,
            vec![
                RefusalReason::AssessmentMissing,
                RefusalReason::ProposerMissing,
                RefusalReason::SignOffMissing,
                RefusalReason::MergeTargetMissing,
                RefusalReason::ReasonMissing,
            ]
        );
    }

    #[test]
    fn missing_is_empty_for_complete_facts() {
        for &t in Transition::ALL {
            assert!(missing(t, &complete()).is_empty(), "{t:?}");
        }
    }

    // --- codes ---

    #[test]
    fn codes_round_trip_through_from_str_and_serde() {
        fn round_trip<T>(all: &[T], as_str: fn(T) -> &'static str)
        where
            T: Copy
                + PartialEq
                + std::fmt::Debug
                + FromStr
                + Serialize
                + serde::de::DeserializeOwned,
            T::Err: std::fmt::Debug,
        {
            for &x in all {
                assert_eq!(as_str(x).parse::<T>().ok(), Some(x));
                let json = serde_json::to_string(&x).expect("serialise");
                assert_eq!(json, format!("\"{}\"", as_str(x)));
                assert_eq!(serde_json::from_str::<T>(&json).ok(), Some(x));
            }
        }
        round_trip(Stage::ALL, Stage::as_str);
        round_trip(Transition::ALL, Transition::as_str);
        round_trip(Trigger::ALL, Trigger::as_str);
        round_trip(DecisionBodyKind::ALL, DecisionBodyKind::as_str);
        assert_eq!(
            "closed".parse::<Stage>().map_err(|e| e.to_string()),
            Err("无法识别的取值「closed」".to_owned())
        );
    }

    #[test]
    fn labels() {
        let stages: Vec<_> = Stage::ALL.iter().map(|s| s.label_zh()).collect();
        assert_eq!(
            stages,
            [
                "设立登记",
                "运行中",
                "退出整改",
                "已退出",
                "已转型",
                "已合并"
            ]
        );
        let triggers: Vec<_> = Trigger::ALL.iter().map(|t| t.label_zh()).collect();
        assert_eq!(
            triggers,
            [
                "建设进度未达预期",
                "成果转化机制不畅",
                "主要职能弱化萎缩",
                "年度评估不合格",
                "科研诚信违规",
                "其他"
            ]
        );
        let terminal: Vec<_> = Stage::ALL
            .iter()
            .copied()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(terminal, [Stage::Exited, Stage::Converted, Stage::Merged]);
    }

    #[test]
    fn facts_deserialise_from_json() {
        let json = r#"{
            "platform_id": 7, "reason": "同意",
            "charter_approved": true,
            "decision_bodies": [{"kind": "management_committee", "members": 5, "has_chair": true}],
            "co_building_agreement": true, "construction_plan": true, "category": "technical_service",
            "triggers": [], "plan": null, "assessment_recorded": false,
            "proposer": null, "sign_off": null, "convert_target": null, "merge_target": null
        }"#;
        let facts: LifecycleFacts<u32> = serde_json::from_str(json).expect("valid facts");
        assert_eq!(
            check(
                Stage::Registration,
                Transition::ApproveRegistration,
                Role::Staff,
                &facts
            ),
            Ok(Stage::Operating)
        );
    }
}
