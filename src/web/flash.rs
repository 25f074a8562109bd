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

    // Registration dossier.

    // Documents.

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
