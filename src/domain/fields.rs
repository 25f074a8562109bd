//! Forms whose field names are data (one input per rubric indicator, one row per indicator in the
//! configuration form): the raw fields as posted, and error messages keyed by field name.
//!
//! [`super::validation::FieldErrors`] is for forms with fixed field names; these forms name fields
//! after indicator keys staff chose, so the names are owned strings.

use std::collections::BTreeMap;

/// The fields of a posted form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct RawForm(pub BTreeMap<String, String>);

impl RawForm {
    /// The field's value, trimmed; "" when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(|s| s.trim()).unwrap_or("")
    }

    /// Whether a checkbox (or any field) was sent with a non-empty value.
    pub fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }

    /// Sets a field (tests and re-rendering).
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    pub fn from_pairs(pairs: &[(&str, &str)]) -> RawForm {
        RawForm(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }
}

/// Chinese messages by field name, reported all at once; the first message for a field wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldMessages(BTreeMap<String, String>);

impl FieldMessages {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| message.into());
    }

    /// The message for a field, or "" (templates test `!= ""`).
    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map(String::as_str).unwrap_or("")
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Into a plain map (stored as JSON, e.g. a filing's per-field review comments).
    pub fn into_map(self) -> BTreeMap<String, String> {
        self.0
    }
}

impl From<BTreeMap<String, String>> for FieldMessages {
    fn from(map: BTreeMap<String, String>) -> Self {
        FieldMessages(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_form_trims_and_defaults_to_empty() {
        let f = RawForm::from_pairs(&[("a", "  x "), ("b", "")]);
        assert_eq!(f.get("a"), "x");
        assert_eq!(f.get("b"), "");
        assert_eq!(f.get("missing"), "");
        assert!(f.checked("a"));
        assert!(!f.checked("b"));
    }

    #[test]
    fn first_message_wins() {
        let mut m = FieldMessages::default();
        m.add("t_x", "一");
        m.add(String::from("t_x"), "二");
        assert_eq!(m.get("t_x"), "一");
        assert_eq!(m.len(), 1);
        assert!(m.has("t_x"));
        assert_eq!(m.get("other"), "");
    }
}
