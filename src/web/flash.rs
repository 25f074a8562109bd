//! Flash messages: what a page says after a write sent the browser back to it (`?notice=`).
//! One typed list, so a handler cannot send a code no page knows, and every page decodes the
//! same way: `Flash::text_of(&q.notice)`.

macro_rules! flashes {
    ($($variant:ident = $code:literal => $text:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Flash {
            $($variant,)*
        }

        impl Flash {
            pub const ALL: &'static [Flash] = &[$(Flash::$variant,)*];

            /// The code in the query string.
            pub fn code(self) -> &'static str {
                match self {
                    $(Flash::$variant => $code,)*
                }
            }

            /// What the page says.
            pub fn text(self) -> &'static str {
                match self {
                    $(Flash::$variant => $text,)*
                }
            }
        }
    };
}

flashes! {
    // Signing in and out.
    LoggedOut = "logged_out" => "您已安全退出。",
    PasswordChanged = "password_changed" => "密码已修改。",

    // The platform registry.
    PlatformCreated = "platform_created" => "平台已登记。",
    PlatformSaved = "platform_saved" => "修改已保存。",

    // Excel imports.
    Imported = "imported" => "导入完成：全部行已在同一步写入，导入记录见下方列表。",

    // Registration dossier.
    CharterSaved = "charter_saved" => "章程状态已保存。",
    RegistrationPlanSaved = "registration_plan_saved" => "建设方案目标与运营模式已保存。",
    DecisionBodySaved = "decision_body_saved" => "决策机构已保存。",
    DecisionBodyDeleted = "decision_body_deleted" => "决策机构已删除。",
    BodyMemberSaved = "body_member_saved" => "成员已保存。",
    BodyMemberDeleted = "body_member_deleted" => "成员已删除。",
    CompanySaved = "company_saved" => "公司信息已保存。",
    CompanyDeleted = "company_deleted" => "公司已删除。",
    ShareholderSaved = "shareholder_saved" => "股东信息已保存。",
    ShareholderDeleted = "shareholder_deleted" => "股东已删除。",
    RegistrationApproved = "registration_approved" => "设立登记已审批通过，平台进入运行管理阶段。",
    RegistrationSubmitted = "registration_submitted" => "设立登记已提交审批，请等待科技局业务人员审批。",
    RegistrationResubmitted = "registration_resubmitted" => "已按退回意见修改并重新提交审批。",
    RegistrationReturned = "registration_returned" => "设立登记已退回补正，退回原因已标注在对应的登记材料旁。",

    // Documents.
    DocumentUploaded = "document_uploaded" => "文件已上传。",
    DocumentRevised = "document_revised" => "新版本已上传，历史版本仍保留。",

    // Operation: advisors, visits, acceptance, integrity.
    AssignmentSaved = "advisor_assigned" => "产业顾问与专人专班已保存。",
    AssignmentUnchanged = "assignment_unchanged" => "未作修改。",
    VisitLogged = "visit_logged" => "服务记录已保存。",
    AcceptanceRecorded = "acceptance_recorded" => "建设期满验收结论已记录。",
    IntegrityRecorded = "integrity_recorded" => "科研诚信记录已保存。",

    // Rectification.
    CaseOpened = "case_opened" => "退出整改案件已启动，平台进入「退出整改」阶段。",
    MeasureAdded = "measure_added" => "整改措施已添加。",
    MeasureUpdated = "measure_updated" => "整改措施状态已更新。",
    NoteAdded = "note_added" => "进展记录已添加。",
    CaseAssessed = "case_assessed" => "充分评估意见已记录。",
    DecisionProposed = "decision_proposed" => "决定提议已提交，须由另一名业务人员签核后生效。",
    ProposalWithdrawn = "proposal_withdrawn" => "提议已撤回。",
    DecisionSignedOff = "decision_signed_off" => "决定已签核生效，平台阶段已变更。",
    RecoveryRecorded = "recovery_recorded" => "追回记录已登记。",

    // City–county co-building.
    CobuildShareSet = "cobuild_share_set" => "本年度纳入比例已设定。",
    CobuildProposed = "cobuild_proposed" => "纳入市县共建的提议已提交，须由另一名市科技局业务人员审批。",
    CobuildApproved = "cobuild_approved" => "已同意纳入：平台层级已变更为「市县共建」。",
    CobuildRejected = "cobuild_rejected" => "已决定不予纳入。",

    // Checklist.
    ChecklistAdded = "checklist_added" => "清单事项已添加。",
    ChecklistSaved = "checklist_saved" => "修改已保存。",
    ChecklistClosed = "checklist_closed" => "事项已关闭。",
    ChecklistReopened = "checklist_reopened" => "事项已重新打开。",
    ChecklistEvidence = "checklist_evidence" => "完成情况已保存。",
    ChecklistDone = "checklist_done" => "已标记完成，等待科技局确认关闭。",
    ChecklistCommented = "checklist_commented" => "意见已发表。",

    // Ledger.
    LedgerAdded = "ledger_added" => "已添加。",
    LedgerDeleted = "ledger_deleted" => "已删除。",
    LedgerValuesSaved = "ledger_values" => "指标数值已保存。",
    SupportClaimFiled = "support_claim_filed" => "已申报，等待审核。",
    SupportClaimStepSaved = "support_claim_step" => "已保存，操作已记入审计日志。",

    // Annual configuration.
    ConfigSaved = "config_saved" => "配置已保存为新版本。",
    ParamChanged = "param_changed" => "参数已修改并记入修改历史，所有平台的检查结果已按新参数重新计算。",
    ProgrammeParamChanged = "programme_param_changed" => "支持政策参数已修改并记入修改历史，各平台可申报的金额已按新参数测算。",
    PackSwitched = "pack_switched" => "政策包的启用状态已修改并记入启用历史，各平台可申报的支持项目已按启用的政策包重新测算。",
    ConfigCopied = "config_copied" => "已以上一年度配置创建本年度配置（第 1 版）。",

    // Year-start filing.
    FilingSaved = "filing_saved" => "草稿已保存，尚未提交。",
    FilingSubmitted = "filing_submitted" => "年初备案已提交，等待科技局审核。",
    FilingApproved = "filing_approved" => "已审核通过。",
    FilingReturned = "filing_returned" => "已退回，填报员将按意见修改后重新提交。",

    // Mid-year.
    MidyearSaved = "midyear_saved" => "半年报告草稿已保存。确认无误后请点击“提交半年报告”。",
    MidyearSubmitted = "midyear_submitted" => "半年报告已提交。",
    MidyearSubmittedLate = "midyear_submitted_late" => "半年报告已提交（已超过截止日期，记为逾期提交）。",
    MidyearReviewed = "midyear_reviewed" => "半年过堂会议已记录，整改要求已列入平台清单。",
    MidyearActionAdded = "midyear_action_added" => "整改要求已列入平台清单。",

    // Year-end evaluation (platform side).
    EvaluationSaved = "evaluation_saved" => "已保存草稿。提交前仍可修改。",
    EvaluationSubmitted = "evaluation_submitted" => "已提交，等待审核。",
    EvaluationReviewed = "evaluation_reviewed" => "审核意见已记录。",
    EvaluationReopened = "evaluation_reopened" => "已开放补交。",

    // Evaluation rounds.
    RoundComputed = "round_computed" => "定量得分已计算。",
    RoundExpertAssigned = "round_expert_assigned" => "已分配评审专家。",
    RoundProposed = "round_proposed" => "已生成拟评等次和排名。核对无误后开始公示。",
    RoundNoticeStarted = "round_notice_started" => "公示已开始。",
    ObjectionRecorded = "objection_recorded" => "异议已登记。",
    ObjectionAnswered = "objection_answered" => "异议已答复。",
    RoundPublished = "round_published" => "评估结果已发布，结果运用已生效。",
    RoundWithdrawn = "round_withdrawn" => "拟评结果已撤回，可调整后重新生成。",

    // Experts.
    ExpertDeclared = "expert_declared" => "利益冲突声明已记录。",
    ExpertScoresSaved = "expert_scores_saved" => "评分已保存，提交前仍可修改。",
    ExpertScoresSubmitted = "expert_scores_submitted" => "评分已提交。感谢您的评审。",

    // Accounts, roles and the security policy.
    AdminRequestFiled = "requested" => "申请已提交，须由另一名管理员批准后才会执行。",
    AdminRequestApproved = "approved" => "申请已批准并执行。",
    AdminRequestRejected = "rejected" => "申请已驳回，未做任何更改。",
    AccountStatusSaved = "status" => "账户状态已更新。",
    RoleSaved = "saved" => "角色已保存。",
    AccountUnlocked = "unlocked" => "账户已解锁。",
    RoleChangeRequested = "role_requested" => "涉及管理员角色的变更已提交申请，须由另一名管理员批准后才会生效。",
    RoleUnchanged = "unchanged" => "角色与数据范围没有变化，无需保存。",
    PolicySaved = "policy_saved" => "安全策略已保存，立即生效。",
    ApiTokenRevoked = "api_token_revoked" => "接口令牌已吊销，立即失效。",

    // E-mail notices.
    EmailSaved = "email_saved" => "电子邮箱已保存。",
    MailSettingsSaved = "mail_settings_saved" => "通知设置已保存。",

    // Jurisdictions.
}

impl Flash {
    /// The flash named by a query's `notice=` code, if any.
    pub fn parse(code: &str) -> Option<Flash> {
        Flash::ALL.iter().copied().find(|f| f.code() == code)
    }

    /// The text for a query's `notice=` code; empty for none or an unknown code.
    pub fn text_of(code: &str) -> &'static str {
        Flash::parse(code).map(Flash::text).unwrap_or("")
    }
}

impl std::fmt::Display for Flash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::Flash;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut codes: Vec<&str> = Flash::ALL.iter().map(|f| f.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Flash::ALL.len(), "two flashes share a code");
        for f in Flash::ALL {
            assert_eq!(Flash::parse(f.code()), Some(*f));
            assert!(!f.text().is_empty());
        }
        assert_eq!(Flash::text_of("no-such-code"), "");
    }
}
