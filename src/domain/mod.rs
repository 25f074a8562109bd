//! The pure domain core: types and rules with no I/O (no axum, no sqlx).
//! Most unit tests live here.

/// An enum stored and exchanged as a short English code, shown as a Chinese label.
/// `ALL` lists the variants in display order; `parse` is strict.
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $code:literal / $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $code)] $variant),+
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
    };
}

pub mod audit_chain;
pub mod money;
pub mod password;
pub mod platform;
pub mod role;
pub mod scope;
pub mod validation;
