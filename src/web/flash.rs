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
    PasswordChanged = "password_changed" => "密码已修改，请使用新密码登录。",

    // The platform registry.
    PlatformCreated = "platform_created" => "平台已登记。",
    PlatformSaved = "platform_saved" => "修改已保存。",

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

    // Documents.
    DocumentUploaded = "document_uploaded" => "文件已上传。",
    DocumentRevised = "document_revised" => "新版本已上传，历史版本仍保留。",

    // Operation: advisors, visits, acceptance, integrity.

    // Rectification.

    // Checklist.

    // Ledger.

    // Annual configuration.

    // Year-start filing.

    // Mid-year.

    // Year-end evaluation (platform side).

    // Evaluation rounds.

    // Experts.

    // Accounts, roles and the security policy.

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
