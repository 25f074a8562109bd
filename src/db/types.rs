//! The domain's types at the database boundary: `sqlx::Type`, `Decode` and `Encode` for every
//! `code_enum!` type (stored as its English text code in a `text` column with a CHECK constraint)
//! and for the stored newtypes (`Yuan` as `bigint`, `Uscc` and `PlatformCode` as `text`).
//!
//! The impls live here, not in `src/domain`, so the domain keeps no sqlx import. A stored value the
//! type does not accept (an unknown code, a negative amount) is a decode error naming the type and
//! the value, never a panic.
//!
//! In `query!`/`query_as!`, select a column with a type override to decode it:
//! `SELECT stage AS "stage: Stage"`; bind one as `stage as Stage` (or pass `stage.as_str()`).

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgHasArrayType, PgTypeInfo, PgValueRef};
use sqlx::{Decode, Encode, Postgres, Type};

use crate::domain;
use crate::domain::money::Yuan;
use crate::domain::platform::PlatformCode;
use crate::domain::uscc::Uscc;

/// A stored value that its Rust type refuses: the type's name, the value and why.
#[derive(Debug, thiserror::Error)]
#[error("column value {value:?} is not a valid {type_name}{}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
pub struct InvalidStoredValue {
    pub type_name: &'static str,
    pub value: String,
    pub reason: Option<String>,
}

/// Text-coded types: `Type` is `text` (compatible with `varchar` & co, as `&str`), `Encode` writes
/// the code, `Decode` parses it with `$parse` (`fn(&str) -> Option<Self>` or `Result<Self, E>`
/// through `.ok()`), and arrays of them bind as `text[]`.
macro_rules! text_coded {
    ($($ty:ty => $name:expr, |$s:ident| $parse:expr, |$v:ident| $code:expr;)+) => {$(
        impl Type<Postgres> for $ty {
            fn type_info() -> PgTypeInfo {
                <&str as Type<Postgres>>::type_info()
            }

            fn compatible(ty: &PgTypeInfo) -> bool {
                <&str as Type<Postgres>>::compatible(ty)
            }
        }

        impl PgHasArrayType for $ty {
            fn array_type_info() -> PgTypeInfo {
                <&str as PgHasArrayType>::array_type_info()
            }

            fn array_compatible(ty: &PgTypeInfo) -> bool {
                <&str as PgHasArrayType>::array_compatible(ty)
            }
        }

        impl Encode<'_, Postgres> for $ty {
            fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
                let $v = self;
                <&str as Encode<Postgres>>::encode($code, buf)
            }
        }

        impl<'r> Decode<'r, Postgres> for $ty {
            fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
                let $s = <&str as Decode<Postgres>>::decode(value)?;
                let parsed: Option<$ty> = $parse;
                parsed.ok_or_else(|| {
                    InvalidStoredValue { type_name: $name, value: $s.to_owned(), reason: None }.into()
                })
            }
        }
    )+};
}

/// Every `code_enum!` type, through its `as_str`/`parse`.
macro_rules! code_enums {
    ($($ty:ident in $($path:ident)::+),+ $(,)?) => {
        text_coded! {
            $(domain::$($path)::+::$ty => stringify!($ty), |s| domain::$($path)::+::$ty::parse(s), |v| v.as_str();)+
        }

        /// Sends every variant of every type [`code_enums!`] covers through the server as `text` and
        /// decodes it back (the round-trip test, `tests/it/db_types.rs`): the number of values checked.
        #[doc(hidden)]
        pub async fn round_trip_all(pool: &sqlx::PgPool) -> Result<usize, String> {
            let mut n = 0;
            $(
                for v in domain::$($path)::+::$ty::ALL {
                    let back: domain::$($path)::+::$ty = sqlx::query_scalar("SELECT $1::text")
                        .bind(*v)
                        .fetch_one(pool)
                        .await
                        .map_err(|e| format!("{}::{v:?}: {e}", stringify!($ty)))?;
                    if back != *v {
                        return Err(format!("{}::{v:?} came back as {back:?}", stringify!($ty)));
                    }
                    n += 1;
                }
            )+
            Ok(n)
        }
    };
}

code_enums! {
    Category in platform,
    Stage in platform,
    Level in platform,
    Cluster in platform,
    LegalForm in platform,
    DecisionBodyKind in platform,
    Role in role,
    Contribution in registration,
    Requirement in registration,
    ReviewStatus in registration,
    ReviewAction in registration,
    Section in registration,
    ReportStatus in midyear,
    Channel in ledger,
    ExpenditureCategory in ledger,
    ContractType in ledger,
    PaymentModel in ledger,
    InvestmentForm in ledger,
    TaskLevel in ledger,
    LedgerKind in ledger,
    Charter in compliance::snapshot,
    OperatingMode in compliance::snapshot,
    Acceptance in compliance::snapshot,
    FilingStatus in compliance::snapshot,
    Grade in compliance::snapshot,
    Channel in compliance::snapshot,
    Status in compliance,
    FilingStatus in filing,
    EvalStatus in evaluation,
    RoundStatus in evaluation,
    EvalAction in evaluation,
    ExpertAction in evaluation,
    ScoreStage in evaluation,
    RoundAction in evaluation,
    PolicyStatus in policy_text,
    PolicyRole in policy_text,
    ClauseKind in policy_text,
    VisitForm in operation,
    AcceptanceResult in operation,
    AmountUnit in operation,
    Pack in support,
    Recognition in support,
    ClaimStatus in support::claims,
    ClaimStep in support::claims,
    RecordKind in support::records,
    InvestmentKind in support::records,
    SupportStatus in support,
    ProposalStatus in cobuild,
    Transition in lifecycle,
    Trigger in lifecycle,
    Balance in transformation,
    ItemStatus in checklist,
    DocumentKind in documents,
    FileType in documents,
    Dimension in scoring,
    Grade in scoring,
    DecisionKind in rectification,
    CaseStatus in rectification,
    ImportKind in import,
}

text_coded! {
    Uscc => "Uscc", |s| Uscc::parse(s).ok(), |v| v.as_str();
    PlatformCode => "PlatformCode", |s| PlatformCode::parse(s).ok(), |v| v.as_str();
    crate::db::admin_requests::Kind => "admin_requests::Kind", |s| crate::db::admin_requests::Kind::parse(s), |v| v.as_str();
    domain::checklist::Source => "Source", |s| Some(domain::checklist::Source::parse(s)), |v| v.code().as_str();
}

/// Whole yuan, stored as `bigint`; a stored amount outside `0..=Yuan::MAX` is a decode error.
impl Type<Postgres> for Yuan {
    fn type_info() -> PgTypeInfo {
        <i64 as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <i64 as Type<Postgres>>::compatible(ty)
    }
}

impl PgHasArrayType for Yuan {
    fn array_type_info() -> PgTypeInfo {
        <i64 as PgHasArrayType>::array_type_info()
    }
}

impl Encode<'_, Postgres> for Yuan {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Postgres>>::encode(self.get(), buf)
    }
}

impl<'r> Decode<'r, Postgres> for Yuan {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let n = <i64 as Decode<Postgres>>::decode(value)?;
        Yuan::new(n).map_err(|e| {
            InvalidStoredValue {
                type_name: "Yuan",
                value: n.to_string(),
                reason: Some(e.to_string()),
            }
            .into()
        })
    }
}
