//! Printed documents (A4): a page asked for with `?print=1` is its print view — the document
//! without tabs, forms or buttons, with a head naming the issuing unit and the date, and for
//! documents that are signed or filed a signature block (`templates/_print.html`).

use chrono::Datelike;
use serde::Deserialize;

/// The `print` query parameter of a page that has a print view.
#[derive(Deserialize, Default)]
pub struct PrintQuery {
    #[serde(default)]
    pub print: String,
}

impl PrintQuery {
    /// Whether the print view was asked for (`?print=1`).
    pub fn on(&self) -> bool {
        self.print == "1"
    }
}

/// Today in Beijing, as a document's date is written: `2026年5月12日`.
pub fn today() -> String {
    let d = crate::clock::today();
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_print_1_asks_for_the_print_view() {
        let q = |s: &str| PrintQuery { print: s.into() };
        assert!(q("1").on());
        assert!(!q("").on());
        assert!(!q("0").on());
        assert!(today().ends_with('日'));
    }
}
