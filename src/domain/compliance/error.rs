//! The error for a snapshot or parameter set that cannot be evaluated.

use serde::Serialize;

/// Invalid input: names the offending field by its JSON path (`platform.years[1].year`, `params.INTEG-BAN.ban_months`)
/// and says in Chinese what is wrong with it. `$` names the document itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("输入无效: {field}: {message}")]
pub struct InputError {
    /// JSON path of the field.
    pub field: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

impl InputError {
    /// An error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> InputError {
        InputError {
            field: field.into(),
            message: message.into(),
        }
    }
}
