//! The setup registration dossier (设立登记, NT10 三(一)): charter, decision bodies and members,
//! construction-plan targets, the "平台+" operating modes and the operating / industrialization
//! company with its shareholders; and the checklist staff approve it against.
//!
//! Forms arrive as strings (nothing typed is lost on error) and are parsed here into drafts,
//! every bad field reported at once with a Chinese message for the field.

use std::fmt;

use serde::Serialize;

use super::lifecycle::{self, LifecycleFacts, RefusalReason, Transition};
use super::platform::{DecisionBody, DecisionBodyKind, Stage};
use super::role::Role;
use super::uscc::Uscc;
use super::validation::FieldErrors;

pub use super::compliance::snapshot::{Charter, OperatingMode};

code_enum! {
    /// How a shareholder contributed to the company (出资方式).
    Contribution {
        Cash = "cash" / "货币出资",
        Ip = "ip" / "知识产权出资",
        Equipment = "equipment" / "设备出资",
        Other = "other" / "其他",
    }
}

/// Whether a mode comes with a company on file (平台+运营管理公司 / +产业化公司).
pub fn has_company(mode: OperatingMode) -> bool {
    matches!(
        mode,
        OperatingMode::OperatingCompany | OperatingMode::IndustrializationCompany
    )
}

/// Whether the dossier may still be changed: not once the platform has exited, converted or merged.
pub fn dossier_editable(stage: Stage) -> bool {
    !stage.is_terminal()
}

// ---- charter ------------------------------------------------------------------------------

/// May `role` move the charter from `from` to `to`? Operators draft; approving a charter, or
/// changing one that is approved, is the bureau's (staff) decision.
pub fn charter_change(role: Role, from: Charter, to: Charter) -> Result<(), &'static str> {
    if role == Role::Staff {
        return Ok(());
    }
    if to == Charter::Approved {
        return Err("只有科技局业务人员可以审批章程");
    }
    if from == Charter::Approved {
        return Err("章程已审批，只有科技局业务人员可以变更其状态");
    }
    Ok(())
}

// ---- text helpers -------------------------------------------------------------------------

fn required_text(
    errors: &mut FieldErrors,
    field: &'static str,
    input: &str,
    what: &str,
    max: usize,
) -> String {
    let value = input.trim().to_string();
    match value.chars().count() {
        0 => errors.add(field, format!("请填写{what}")),
        n if n > max => errors.add(field, format!("{what}不能超过{max}个字")),
        _ => {}
    }
    value
}

fn optional_text(
    errors: &mut FieldErrors,
    field: &'static str,
    input: &str,
    what: &str,
    max: usize,
) -> String {
    let value = input.trim().to_string();
    if value.chars().count() > max {
        errors.add(field, format!("{what}不能超过{max}个字"));
    }
    value
}

/// A checkbox is ticked when the browser sends any value for it.
fn ticked(input: &str) -> bool {
    !input.trim().is_empty()
}

// ---- decision bodies ----------------------------------------------------------------------

/// The decision-body form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct BodyFields {
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BodyDraft {
    pub kind: DecisionBodyKind,
    pub name: String,
}

impl BodyFields {
    pub fn validate(&self) -> Result<BodyDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let kind = DecisionBodyKind::parse(self.kind.trim());
        if kind.is_none() {
            errors.add("kind", "请选择决策机构类型（理事会/董事会/管委会）");
        }
        let name = required_text(&mut errors, "name", &self.name, "决策机构名称", 100);
        match kind {
            Some(kind) if errors.is_empty() => Ok(BodyDraft { kind, name }),
            _ => Err(errors),
        }
    }
}

/// The member form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct MemberFields {
    pub name: String,
    pub position: String,
    pub affiliation: String,
    pub is_chair: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberDraft {
    pub name: String,
    pub position: String,
    pub affiliation: String,
    pub is_chair: bool,
}

impl MemberFields {
    pub fn validate(&self) -> Result<MemberDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = required_text(&mut errors, "name", &self.name, "成员姓名", 50);
        let position = optional_text(&mut errors, "position", &self.position, "职务", 50);
        let affiliation = optional_text(
            &mut errors,
            "affiliation",
            &self.affiliation,
            "所在单位",
            100,
        );
        if errors.is_empty() {
            Ok(MemberDraft {
                name,
                position,
                affiliation,
                is_chair: ticked(&self.is_chair),
            })
        } else {
            Err(errors)
        }
    }
}

/// The message when a body would get a second chair (the `decision_body_one_chair` index).
pub const SECOND_CHAIR: &str =
    "该决策机构已有负责人（理事长/董事长/主任），每个决策机构只能设一名负责人";

// ---- construction plan and operating modes ------------------------------------------------

/// The plan form as typed: the targets text and one checkbox per mode.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PlanFields {
    pub plan_targets: String,
    pub mode_operating_company: String,
    pub mode_industrialization_company: String,
    pub mode_proof_of_concept_center: String,
    pub mode_joint_innovation_center: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanDraft {
    pub plan_targets: String,
    pub modes: Vec<OperatingMode>,
}

/// The longest targets text.
pub const PLAN_TARGETS_MAX: usize = 4000;

impl PlanFields {
    /// The form showing a saved plan.
    pub fn of(targets: &str, modes: &[OperatingMode]) -> PlanFields {
        let tick = |m| {
            if modes.contains(&m) {
                "on".to_string()
            } else {
                String::new()
            }
        };
        PlanFields {
            plan_targets: targets.to_string(),
            mode_operating_company: tick(OperatingMode::OperatingCompany),
            mode_industrialization_company: tick(OperatingMode::IndustrializationCompany),
            mode_proof_of_concept_center: tick(OperatingMode::ProofOfConceptCenter),
            mode_joint_innovation_center: tick(OperatingMode::JointInnovationCenter),
        }
    }

    /// The modes ticked, in display order.
    pub fn modes(&self) -> Vec<OperatingMode> {
        [
            (
                OperatingMode::OperatingCompany,
                &self.mode_operating_company,
            ),
            (
                OperatingMode::IndustrializationCompany,
                &self.mode_industrialization_company,
            ),
            (
                OperatingMode::ProofOfConceptCenter,
                &self.mode_proof_of_concept_center,
            ),
            (
                OperatingMode::JointInnovationCenter,
                &self.mode_joint_innovation_center,
            ),
        ]
        .into_iter()
        .filter(|(_, v)| ticked(v))
        .map(|(m, _)| m)
        .collect()
    }

    pub fn validate(&self) -> Result<PlanDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let plan_targets = optional_text(
            &mut errors,
            "plan_targets",
            &self.plan_targets,
            "建设目标",
            PLAN_TARGETS_MAX,
        );
        if errors.is_empty() {
            Ok(PlanDraft {
                plan_targets,
                modes: self.modes(),
            })
        } else {
            Err(errors)
        }
    }
}

/// Modes as the page lists them: "平台+运营管理公司、平台+概念验证中心", or "未选择".
pub fn modes_label(modes: &[OperatingMode]) -> String {
    if modes.is_empty() {
        "未选择".to_string()
    } else {
        modes
            .iter()
            .map(|m| m.label_zh())
            .collect::<Vec<_>>()
            .join("、")
    }
}

// ---- the company --------------------------------------------------------------------------

/// The company form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CompanyFields {
    pub mode: String,
    pub name: String,
    pub uscc: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompanyDraft {
    pub mode: OperatingMode,
    pub name: String,
    pub uscc: Uscc,
}

impl CompanyFields {
    /// Validates the company; `modes` are the operating modes the dossier has ticked (a company
    /// is only registered for a company mode that is ticked).
    pub fn validate(&self, modes: &[OperatingMode]) -> Result<CompanyDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mode = match OperatingMode::parse(self.mode.trim()) {
            Some(m) if has_company(m) => {
                if !modes.contains(&m) {
                    errors.add("mode", format!("请先在运营模式中勾选「{}」", m.label_zh()));
                }
                Some(m)
            }
            _ => {
                errors.add("mode", "请选择公司类型（运营管理公司或产业化公司）");
                None
            }
        };
        let name = self.name.trim().to_string();
        match name.chars().count() {
            0 => errors.add("name", "请填写公司名称"),
            1 => errors.add("name", "公司名称至少2个字"),
            n if n > 100 => errors.add("name", "公司名称不能超过100个字"),
            _ => {}
        }
        // Typed codes are trimmed and upper-cased; the check digit is GB 32100-2015's.
        let code = self.uscc.trim().to_ascii_uppercase();
        let uscc = if code.is_empty() {
            errors.add("uscc", "请填写统一社会信用代码");
            None
        } else {
            Uscc::parse(&code)
                .map_err(|e| errors.add("uscc", e.to_string()))
                .ok()
        };
        match (mode, uscc) {
            (Some(mode), Some(uscc)) if errors.is_empty() => Ok(CompanyDraft { mode, name, uscc }),
            _ => Err(errors),
        }
    }
}

/// The constraint that keeps one company per mode and platform.
pub const COMPANY_MODE_TAKEN: &str = "该类型的公司已登记，请编辑已有记录";

// ---- shareholders -------------------------------------------------------------------------

/// A shareholding in hundredths of a percent (`3550` = 35.50%), exact like the `numeric(5, 2)`
/// column it is stored in. Between 0.01% and 100%.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SharePct(u32);

impl SharePct {
    /// 100%.
    pub const WHOLE: SharePct = SharePct(10_000);
    /// More than this (50%) controls the company.
    pub const CONTROL: SharePct = SharePct(5_000);

    /// Hundredths of a percent, as stored (`value / 100` is the percentage).
    pub fn hundredths(self) -> u32 {
        self.0
    }

    /// From stored hundredths (the database keeps them within range).
    pub fn from_hundredths(h: u32) -> SharePct {
        SharePct(h)
    }

    /// Parses "35", "35.5", "35.50" or "35.5%": at most two decimals, 0 < share ≤ 100.
    pub fn parse(input: &str) -> Result<SharePct, &'static str> {
        let s = input.trim();
        let s = s.strip_suffix('%').unwrap_or(s).trim();
        if s.is_empty() {
            return Err("请填写持股比例");
        }
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(frac) || whole.len() > 6 {
            return Err("持股比例须为数字，如 35 或 35.5（单位：%）");
        }
        if frac.len() > 2 {
            return Err("持股比例最多保留两位小数");
        }
        let whole: u32 = whole.parse().map_err(|_| "持股比例须为数字")?;
        let frac: u32 = format!("{frac:0<2}").parse().unwrap_or(0);
        let h = whole * 100 + frac;
        if h == 0 || h > Self::WHOLE.0 {
            return Err("持股比例须大于0且不超过100%");
        }
        Ok(SharePct(h))
    }

    /// Sum, saturating (sums are checked against [`SharePct::WHOLE`] anyway).
    pub fn plus(self, other: SharePct) -> SharePct {
        SharePct(self.0.saturating_add(other.0))
    }

    pub fn sum(shares: impl IntoIterator<Item = SharePct>) -> SharePct {
        shares.into_iter().fold(SharePct(0), SharePct::plus)
    }
}

impl fmt::Display for SharePct {
    /// "35.50%".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}%", self.0 / 100, self.0 % 100)
    }
}

/// The shareholder form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ShareholderFields {
    pub name: String,
    pub share_pct: String,
    pub contribution: String,
    pub is_management: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShareholderDraft {
    pub name: String,
    pub share: SharePct,
    pub contribution: Contribution,
    pub is_management: bool,
}

impl ShareholderFields {
    /// Validates one shareholder; `others` is what the company's other shareholders hold
    /// together, so that all shares sum to at most 100%.
    pub fn validate(&self, others: SharePct) -> Result<ShareholderDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = required_text(&mut errors, "name", &self.name, "股东名称", 100);
        let share = match SharePct::parse(&self.share_pct) {
            Ok(share) if share.plus(others) > SharePct::WHOLE => {
                errors.add(
                    "share_pct",
                    format!(
                        "各股东持股比例合计不能超过100%（其他股东已占{others}，本股东最多{}）",
                        SharePct(SharePct::WHOLE.0 - others.0.min(SharePct::WHOLE.0))
                    ),
                );
                None
            }
            Ok(share) => Some(share),
            Err(msg) => {
                errors.add("share_pct", msg);
                None
            }
        };
        let contribution = Contribution::parse(self.contribution.trim());
        if contribution.is_none() {
            errors.add("contribution", "请选择出资方式");
        }
        match (share, contribution) {
            (Some(share), Some(contribution)) if errors.is_empty() => Ok(ShareholderDraft {
                name,
                share,
                contribution,
                is_management: ticked(&self.is_management),
            }),
            _ => Err(errors),
        }
    }
}

/// A shareholding as far as control is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stake {
    pub share: SharePct,
    pub contribution: Contribution,
    /// Held by the platform's management or core staff.
    pub is_management: bool,
}

/// What management and core staff hold by cash contribution (货币出资).
pub fn management_cash_share(stakes: &[Stake]) -> SharePct {
    SharePct::sum(
        stakes
            .iter()
            .filter(|s| s.is_management && s.contribution == Contribution::Cash)
            .map(|s| s.share),
    )
}

/// 管理层和核心骨干以货币出资控股: derived, never typed — the platform's management and core staff
/// together hold more than 50% of the company through cash contributions. Shares paid in IP or
/// equipment do not count, nor do shares held by others (even if they act with management).
pub fn mgmt_cash_controlling(stakes: &[Stake]) -> bool {
    management_cash_share(stakes) > SharePct::CONTROL
}

// ---- the approval checklist ---------------------------------------------------------------

code_enum! {
    /// One requirement of the registration (NT10 三(一)), as the approval page lists them.
    Requirement {
        Charter = "charter" / "章程已审批",
        DecisionBody = "decision_body" / "决策机构已组建（不少于3名成员并设负责人）",
        Agreement = "agreement" / "共建协议已上传",
        Plan = "plan" / "建设方案已上传",
        Category = "category" / "功能定位已设置",
    }
}

impl Requirement {
    /// The requirement a refusal reason belongs to (`None` for stage, role and reason).
    pub fn of(reason: &RefusalReason) -> Option<Requirement> {
        match reason {
            RefusalReason::CharterNotApproved => Some(Requirement::Charter),
            RefusalReason::NoDecisionBody | RefusalReason::DecisionBodyInsufficient => {
                Some(Requirement::DecisionBody)
            }
            RefusalReason::MissingAgreement => Some(Requirement::Agreement),
            RefusalReason::MissingConstructionPlan => Some(Requirement::Plan),
            RefusalReason::CategoryNotSet => Some(Requirement::Category),
            _ => None,
        }
    }
}

/// One line of the checklist: met, or what is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistItem {
    pub requirement: Requirement,
    pub gap: Option<RefusalReason>,
}

impl ChecklistItem {
    pub fn met(&self) -> bool {
        self.gap.is_none()
    }
}

/// Every registration requirement, in order, with what the facts still lack — straight from the
/// lifecycle guard (`lifecycle::missing`), so the list and the approval can never disagree.
pub fn checklist<Id: PartialEq>(facts: &LifecycleFacts<Id>) -> Vec<ChecklistItem> {
    let gaps = lifecycle::missing(Transition::ApproveRegistration, facts);
    Requirement::ALL
        .iter()
        .map(|&requirement| ChecklistItem {
            requirement,
            gap: gaps
                .iter()
                .find(|g| Requirement::of(g) == Some(requirement))
                .cloned(),
        })
        .collect()
}

/// The body as the lifecycle guard sees it.
pub fn body_fact(kind: DecisionBodyKind, members: u32, has_chair: bool) -> DecisionBody {
    DecisionBody {
        kind,
        members,
        has_chair,
    }
}

// ---- review: submit, return for correction (退回补正), approve ------------------------------

code_enum! {
    /// Where the dossier is in its review.
    ReviewStatus {
        Draft = "draft" / "填报中（尚未提交审批）",
        Submitted = "submitted" / "已提交，待审批",
        Returned = "returned" / "已退回补正",
        Approved = "approved" / "已审批通过",
    }
}

impl ReviewStatus {
    /// The status chip class (`status-…` in `static/app.css`).
    pub fn chip(self) -> &'static str {
        match self {
            ReviewStatus::Draft => "draft",
            ReviewStatus::Submitted => "submitted",
            ReviewStatus::Returned => "returned",
            ReviewStatus::Approved => "approved",
        }
    }
}

code_enum! {
    /// One step of the registration's history.
    ReviewAction {
        Submitted = "submitted" / "提交审批",
        Returned = "returned" / "退回补正",
        Resubmitted = "resubmitted" / "修改后重新提交",
        Approved = "approved" / "审批通过",
    }
}

code_enum! {
    /// A part of the dossier a return names (the reasons are given per part). The codes are the
    /// anchors of the parts on the registration page.
    Section {
        Basic = "basic" / "平台登记信息",
        Charter = "charter" / "章程",
        Bodies = "bodies" / "决策机构",
        Plan = "plan" / "共建协议与建设方案",
        Category = "category" / "功能定位与产业集群",
        Modes = "modes" / "运营模式与公司",
    }
}

impl Section {
    /// The return form's field for this part's reason.
    pub fn field(self) -> &'static str {
        match self {
            Section::Basic => "r_basic",
            Section::Charter => "r_charter",
            Section::Bodies => "r_bodies",
            Section::Plan => "r_plan",
            Section::Category => "r_category",
            Section::Modes => "r_modes",
        }
    }
}

/// May the dossier be submitted (or resubmitted after a return) now? The step it would be.
pub fn check_submit(stage: Stage, status: ReviewStatus) -> Result<ReviewAction, &'static str> {
    if stage != Stage::Registration {
        return Err("平台已不在设立登记阶段，无需提交审批");
    }
    match status {
        ReviewStatus::Draft => Ok(ReviewAction::Submitted),
        ReviewStatus::Returned => Ok(ReviewAction::Resubmitted),
        ReviewStatus::Submitted => Err("设立登记已提交，正在等待科技局审批"),
        ReviewStatus::Approved => Err("设立登记已审批通过"),
    }
}

/// May staff decide (approve or return) now? Only a submitted dossier is decided.
pub fn check_review(stage: Stage, status: ReviewStatus) -> Result<(), &'static str> {
    if stage != Stage::Registration {
        return Err("平台已不在设立登记阶段，无需审批");
    }
    match status {
        ReviewStatus::Submitted => Ok(()),
        ReviewStatus::Draft => Err("设立登记尚未提交审批：请等待平台填报完成并提交后再审批或退回"),
        ReviewStatus::Returned => Err(
            "设立登记已退回补正，正在等待平台按意见修改后重新提交；重新提交前不能审批或再次退回",
        ),
        ReviewStatus::Approved => Err("设立登记已审批通过"),
    }
}

/// The return form as typed: a reason per part (what is wrong and why) and a general comment.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ReturnFields {
    pub comment: String,
    pub r_basic: String,
    pub r_charter: String,
    pub r_bodies: String,
    pub r_plan: String,
    pub r_category: String,
    pub r_modes: String,
}

/// A validated return: at least one part with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReturnDraft {
    pub comment: String,
    pub reasons: std::collections::BTreeMap<Section, String>,
}

/// The longest reason for one part, and the longest general comment.
pub const REASON_MAX: usize = 500;
pub const COMMENT_MAX: usize = 2000;

impl ReturnFields {
    /// The typed reason for a part.
    pub fn reason(&self, s: Section) -> &str {
        match s {
            Section::Basic => &self.r_basic,
            Section::Charter => &self.r_charter,
            Section::Bodies => &self.r_bodies,
            Section::Plan => &self.r_plan,
            Section::Category => &self.r_category,
            Section::Modes => &self.r_modes,
        }
    }

    pub fn validate(&self) -> Result<ReturnDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let comment = optional_text(
            &mut errors,
            "comment",
            &self.comment,
            "退回说明",
            COMMENT_MAX,
        );
        let mut reasons = std::collections::BTreeMap::new();
        for &s in Section::ALL {
            let reason = optional_text(
                &mut errors,
                s.field(),
                self.reason(s),
                "退回原因",
                REASON_MAX,
            );
            if !reason.is_empty() {
                reasons.insert(s, reason);
            }
        }
        if reasons.is_empty() && errors.is_empty() {
            errors.add(
                "reasons",
                "请至少对一项登记材料写明退回原因（哪一项有问题、为什么、应如何补正）",
            );
        }
        if errors.is_empty() {
            Ok(ReturnDraft { comment, reasons })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::platform::Category;

    // --- charter ---

    #[test]
    fn only_staff_approve_a_charter() {
        for from in Charter::ALL.iter().copied() {
            for to in Charter::ALL.iter().copied() {
                assert_eq!(charter_change(Role::Staff, from, to), Ok(()));
            }
        }
        assert_eq!(
            charter_change(Role::Operator, Charter::Draft, Charter::Approved),
            Err("只有科技局业务人员可以审批章程")
        );
        assert_eq!(
            charter_change(Role::Operator, Charter::None, Charter::Draft),
            Ok(())
        );
        assert_eq!(
            charter_change(Role::Operator, Charter::Draft, Charter::None),
            Ok(())
        );
        assert!(charter_change(Role::Operator, Charter::Approved, Charter::Draft).is_err());
        assert!(charter_change(Role::Leader, Charter::None, Charter::Approved).is_err());
    }

    // --- bodies and members ---

    #[test]
    fn a_body_needs_a_kind_and_a_name() {
        let ok = BodyFields {
            kind: "council".into(),
            name: " 理事会 ".into(),
        }
        .validate()
        .unwrap();
        assert_eq!(ok.kind, DecisionBodyKind::Council);
        assert_eq!(ok.name, "理事会");
        let errors = BodyFields {
            kind: "senate".into(),
            name: "  ".into(),
        }
        .validate()
        .unwrap_err();
        assert!(errors.has("kind"));
        assert_eq!(errors.get("name"), "请填写决策机构名称");
        let long = BodyFields {
            kind: "board".into(),
            name: "会".repeat(101),
        };
        assert_eq!(
            long.validate().unwrap_err().get("name"),
            "决策机构名称不能超过100个字"
        );
    }

    #[test]
    fn a_member_needs_a_name_and_may_chair() {
        let m = MemberFields {
            name: "张三".into(),
            position: "理事长".into(),
            affiliation: "示例大学".into(),
            is_chair: "on".into(),
        }
        .validate()
        .unwrap();
        assert!(m.is_chair);
        let m = MemberFields {
            name: "李四".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert!(!m.is_chair);
        let errors = MemberFields {
            name: "".into(),
            position: "职".repeat(51),
            affiliation: "单".repeat(101),
            is_chair: "".into(),
        }
        .validate()
        .unwrap_err();
        assert_eq!(errors.len(), 3);
    }

    // --- plan and modes ---

    #[test]
    fn plan_modes_round_trip_and_targets_are_bounded() {
        let modes = [
            OperatingMode::OperatingCompany,
            OperatingMode::JointInnovationCenter,
        ];
        let fields = PlanFields::of("三年内孵化企业10家", &modes);
        let draft = fields.validate().unwrap();
        assert_eq!(draft.modes, modes);
        assert_eq!(draft.plan_targets, "三年内孵化企业10家");
        let too_long = PlanFields {
            plan_targets: "字".repeat(PLAN_TARGETS_MAX + 1),
            ..Default::default()
        };
        assert!(too_long.validate().unwrap_err().has("plan_targets"));
        assert_eq!(modes_label(&[]), "未选择");
        assert_eq!(modes_label(&modes), "平台+运营管理公司、平台+联合创新中心");
    }

    // --- company ---

    fn company(mode: &str, name: &str, uscc: &str) -> CompanyFields {
        CompanyFields {
            mode: mode.into(),
            name: name.into(),
            uscc: uscc.into(),
        }
    }

    #[test]
    fn a_company_has_a_valid_uscc() {
        let modes = [OperatingMode::OperatingCompany];
        let d = company(
            "operating_company",
            "示例运营管理有限公司",
            " 91320600ma1m9qx7k8 ",
        )
        .validate(&modes)
        .unwrap();
        assert_eq!(
            d.uscc.as_str(),
            "91320600MA1M9QX7K8",
            "trimmed, upper-cased"
        );
        let errors = company("operating_company", "示例公司", "91320600MA1M9QX7K9")
            .validate(&modes)
            .unwrap_err();
        assert_eq!(
            errors.get("uscc"),
            "统一社会信用代码校验位错误（第18位应为“8”，实际为“9”）"
        );
        let errors = company("operating_company", "示例公司", "9132")
            .validate(&modes)
            .unwrap_err();
        assert!(errors.get("uscc").starts_with("统一社会信用代码应为18位"));
        let errors = company("operating_company", "示例公司", "")
            .validate(&modes)
            .unwrap_err();
        assert_eq!(errors.get("uscc"), "请填写统一社会信用代码");
    }

    #[test]
    fn a_company_belongs_to_a_ticked_company_mode() {
        let errors = company("proof_of_concept_center", "示例公司", "91320600MA1M9QX7K8")
            .validate(OperatingMode::ALL)
            .unwrap_err();
        assert!(errors.has("mode"));
        let errors = company(
            "industrialization_company",
            "示例公司",
            "91320600MA1M9QX7K8",
        )
        .validate(&[OperatingMode::OperatingCompany])
        .unwrap_err();
        assert_eq!(
            errors.get("mode"),
            "请先在运营模式中勾选「平台+产业化公司」"
        );
    }

    #[test]
    fn every_bad_company_field_at_once() {
        let errors = company("", "司", "ABC").validate(&[]).unwrap_err();
        assert_eq!(errors.len(), 3);
    }

    // --- shares ---

    #[test]
    fn share_percentages_are_exact() {
        let p = |s| SharePct::parse(s);
        assert_eq!(p("35").unwrap().hundredths(), 3500);
        assert_eq!(p("35.5").unwrap().hundredths(), 3550);
        assert_eq!(p(" 35.05% ").unwrap().hundredths(), 3505);
        assert_eq!(p("100").unwrap(), SharePct::WHOLE);
        assert_eq!(p("0.01").unwrap().hundredths(), 1);
        assert_eq!(p("35.5").unwrap().to_string(), "35.50%");
        assert_eq!(p("35.555"), Err("持股比例最多保留两位小数"));
        for bad in ["0", "0.00", "100.01", "101", "1000"] {
            assert_eq!(p(bad), Err("持股比例须大于0且不超过100%"), "{bad}");
        }
        for bad in ["-5", "abc", ".5", "3,5", "1e2", "5.-1"] {
            assert!(p(bad).is_err(), "{bad}");
        }
        assert_eq!(p(""), Err("请填写持股比例"));
    }

    fn holder(share: &str) -> ShareholderFields {
        ShareholderFields {
            name: "示例股东".into(),
            share_pct: share.into(),
            contribution: "cash".into(),
            is_management: String::new(),
        }
    }

    #[test]
    fn shares_sum_to_at_most_one_hundred() {
        let others = SharePct::parse("60").unwrap();
        assert!(holder("40").validate(others).is_ok());
        let errors = holder("40.01").validate(others).unwrap_err();
        assert_eq!(
            errors.get("share_pct"),
            "各股东持股比例合计不能超过100%（其他股东已占60.00%，本股东最多40.00%）"
        );
        let errors = ShareholderFields {
            name: "".into(),
            share_pct: "x".into(),
            contribution: "gold".into(),
            is_management: "on".into(),
        }
        .validate(SharePct::default())
        .unwrap_err();
        assert_eq!(errors.len(), 3);
    }

    #[test]
    fn management_controls_by_cash_above_half() {
        let stake = |pct: &str, contribution, is_management| Stake {
            share: SharePct::parse(pct).unwrap(),
            contribution,
            is_management,
        };
        use Contribution::*;
        // 30 + 21 = 51% cash by management: controlling.
        let stakes = [
            stake("30", Cash, true),
            stake("21", Cash, true),
            stake("49", Ip, false),
        ];
        assert!(mgmt_cash_controlling(&stakes));
        assert_eq!(management_cash_share(&stakes).to_string(), "51.00%");
        // Exactly half is not control.
        assert!(!mgmt_cash_controlling(&[
            stake("50", Cash, true),
            stake("50", Cash, false)
        ]));
        // Management shares paid in IP do not count.
        assert!(!mgmt_cash_controlling(&[
            stake("40", Cash, true),
            stake("30", Ip, true)
        ]));
        // Cash from others does not count.
        assert!(!mgmt_cash_controlling(&[
            stake("20", Cash, true),
            stake("60", Cash, false)
        ]));
        assert!(!mgmt_cash_controlling(&[]));
    }

    // --- checklist ---

    fn complete() -> LifecycleFacts<i64> {
        LifecycleFacts {
            platform_id: 1,
            reason: "同意".into(),
            charter_approved: true,
            decision_bodies: vec![body_fact(DecisionBodyKind::Council, 5, true)],
            co_building_agreement: true,
            construction_plan: true,
            category: Some(Category::TechnicalService),
            ..Default::default()
        }
    }

    #[test]
    fn checklist_of_a_complete_dossier_is_all_met() {
        let items = checklist(&complete());
        assert_eq!(items.len(), Requirement::ALL.len());
        assert!(items.iter().all(ChecklistItem::met));
        // The reason is the approver's, not part of the dossier.
        let no_reason = LifecycleFacts {
            reason: String::new(),
            ..complete()
        };
        assert!(checklist(&no_reason).iter().all(ChecklistItem::met));
    }

    #[test]
    fn checklist_names_each_gap_once() {
        let empty = LifecycleFacts::<i64>::default();
        let items = checklist(&empty);
        assert!(items.iter().all(|i| !i.met()));
        let gaps: Vec<_> = items
            .iter()
            .map(|i| i.gap.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(
            gaps,
            [
                "章程尚未审批",
                "尚未组建决策机构（理事会/董事会/管委会）",
                "缺少共建协议",
                "缺少建设方案",
                "未设置功能定位（平台类别）"
            ]
        );
        let thin = LifecycleFacts {
            decision_bodies: vec![body_fact(DecisionBodyKind::Board, 2, true)],
            ..complete()
        };
        let items = checklist(&thin);
        assert_eq!(
            items
                .iter()
                .filter(|i| !i.met())
                .map(|i| i.requirement)
                .collect::<Vec<_>>(),
            [Requirement::DecisionBody]
        );
        assert_eq!(items[1].gap, Some(RefusalReason::DecisionBodyInsufficient));
    }

    #[test]
    fn every_registration_refusal_maps_to_a_requirement() {
        // Whatever the guard can say about a dossier, the checklist has a line for it.
        let empty = LifecycleFacts::<i64>::default();
        for reason in lifecycle::missing(Transition::ApproveRegistration, &empty) {
            if reason != RefusalReason::ReasonMissing {
                assert!(Requirement::of(&reason).is_some(), "{reason:?}");
            }
        }
        assert_eq!(Requirement::of(&RefusalReason::ReasonMissing), None);
    }

    // --- review ---

    #[test]
    fn only_a_submitted_registration_is_decided() {
        use ReviewStatus::*;
        assert_eq!(check_review(Stage::Registration, Submitted), Ok(()));
        for status in [Draft, Returned, Approved] {
            assert!(
                check_review(Stage::Registration, status).is_err(),
                "{status:?}"
            );
        }
        assert!(check_review(Stage::Operating, Submitted).is_err());
        assert_eq!(
            check_submit(Stage::Registration, Draft),
            Ok(ReviewAction::Submitted)
        );
        assert_eq!(
            check_submit(Stage::Registration, Returned),
            Ok(ReviewAction::Resubmitted)
        );
        assert!(check_submit(Stage::Registration, Submitted).is_err());
        assert!(check_submit(Stage::Registration, Approved).is_err());
        assert!(check_submit(Stage::Operating, Draft).is_err());
    }

    #[test]
    fn a_return_names_at_least_one_part_with_its_reason() {
        let errors = ReturnFields::default().validate().unwrap_err();
        assert!(errors.has("reasons"));
        let errors = ReturnFields {
            comment: "请补正".into(),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(
            errors.has("reasons"),
            "a general comment alone is not enough"
        );
        let draft = ReturnFields {
            r_charter: " 章程未加盖共建单位公章 ".into(),
            r_bodies: "理事会成员不足3人".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(draft.reasons.len(), 2);
        assert_eq!(draft.reasons[&Section::Charter], "章程未加盖共建单位公章");
        let long = ReturnFields {
            r_plan: "字".repeat(REASON_MAX + 1),
            ..Default::default()
        };
        assert!(long.validate().unwrap_err().has("r_plan"));
        // Every part's field is distinct and found by its code.
        let mut fields: Vec<_> = Section::ALL.iter().map(|s| s.field()).collect();
        fields.dedup();
        assert_eq!(fields.len(), Section::ALL.len());
    }

    #[test]
    fn terminal_platforms_are_read_only() {
        assert!(dossier_editable(Stage::Registration));
        assert!(dossier_editable(Stage::Operating));
        assert!(dossier_editable(Stage::Rectifying));
        assert!(!dossier_editable(Stage::Exited));
        assert!(!dossier_editable(Stage::Converted));
        assert!(!dossier_editable(Stage::Merged));
    }
}
