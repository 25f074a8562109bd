//! The pure domain core: types and rules with no I/O (no axum, no sqlx).
//! Most unit tests live here.

/// An enum stored and exchanged as a short English code, shown as a Chinese label.
/// `ALL` lists the variants in display order; `parse` and `FromStr` are strict (exact code only).
/// Every such enum also implements [`CodeEnum`], for code that is generic over them.
///
/// ```text
/// code_enum! {
///     /// Doc of the enum.
///     Charter {
///         /// Doc of a variant (optional).
///         None = "none" / "未制定",
///         Approved = "approved" / "已审批",
///     }
/// }
/// ```
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $code:literal / $label:literal),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $code)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == code)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::UnknownCode;

            fn from_str(code: &str) -> Result<Self, Self::Err> {
                Self::parse(code).ok_or_else(|| $crate::domain::UnknownCode(code.to_owned()))
            }
        }

        impl $crate::domain::CodeEnum for $name {
            const ALL: &'static [$name] = $name::ALL;

            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }
    };
}

pub mod annual;
pub mod audit_chain;
pub mod calendar;
pub mod checklist;
pub mod cobuild;
pub mod compliance;
pub mod config_form;
pub mod documents;
pub mod evaluation;
pub mod fields;
pub mod filing;
pub mod import;
pub mod ledger;
pub mod lifecycle;
pub mod mail;
pub mod midyear;
pub mod money;
pub mod operation;
pub mod param_form;
pub mod password;
pub mod platform;
pub mod policy_text;
pub mod recovery;
pub mod rectification;
pub mod registration;
pub mod reminders;
pub mod role;
pub mod scope;
pub mod scoring;
pub mod support;
pub mod transformation;
pub mod uscc;
pub mod validation;

/// A string that is not the code of any variant of a `code_enum!` type (the `FromStr` error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("无法识别的取值「{0}」")]
pub struct UnknownCode(pub String);

/// What every `code_enum!` type offers, for code that is generic over them
/// (e.g. a JSON reader that names the accepted codes in its errors).
pub trait CodeEnum: Copy + std::str::FromStr<Err = UnknownCode> + 'static {
    /// Every variant, in display order.
    const ALL: &'static [Self];

    /// The stored code.
    fn as_str(self) -> &'static str;

    /// Every code, joined for a message: `a|b|c`.
    fn codes() -> String {
        Self::ALL
            .iter()
            .map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join("|")
    }
}

#[cfg(test)]
mod tests {
    use super::platform::Stage;
    use super::*;

    #[test]
    fn from_str_is_strict_and_says_what_it_refused() {
        assert_eq!("operating".parse::<Stage>(), Ok(Stage::Operating));
        let err = "Operating".parse::<Stage>().unwrap_err();
        assert_eq!(err, UnknownCode("Operating".to_owned()));
        assert_eq!(err.to_string(), "无法识别的取值「Operating」");
    }

    #[test]
    fn codes_are_listed_in_display_order() {
        assert_eq!(
            <Stage as CodeEnum>::codes(),
            "registration|operating|rectifying|exited|converted|merged"
        );
    }
}
