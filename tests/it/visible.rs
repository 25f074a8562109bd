//! What a reader sees of a page: the text of `main` outside elements marked as ids
//! (`.rule-id`), scripts and the raw-record disclosures; and the bare codes in it.

use scraper::{ElementRef, Html, Node, Selector};

/// The visible text of the page's `main` (or body), one space between text nodes.
pub fn visible_text(html: &str) -> String {
    let doc = Html::parse_document(html);
    let main = Selector::parse("main").unwrap();
    let body = Selector::parse("body").unwrap();
    let root = doc
        .select(&main)
        .next()
        .or_else(|| doc.select(&body).next())
        .expect("a body");
    let mut out = String::new();
    walk(root, &mut out);
    out
}

fn hidden(e: &ElementRef) -> bool {
    let v = e.value();
    matches!(
        v.name(),
        "script" | "style" | "template" | "option" | "select"
    ) || v.classes().any(|c| c == "rule-id" || c == "raw")
}

fn walk(e: ElementRef, out: &mut String) {
    if hidden(&e) {
        return;
    }
    for child in e.children() {
        match child.value() {
            Node::Text(t) => {
                out.push_str(t);
                out.push(' ');
            }
            Node::Element(_) => {
                if let Some(el) = ElementRef::wrap(child) {
                    walk(el, out);
                }
            }
            _ => {}
        }
    }
}

/// Tokens that are codes, not words: `OPS-CHECKLIST`-like ids, snake_case keys, file names.
pub fn bare_codes(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .filter(|t| !t.is_empty())
        .filter(|t| {
            // `[A-Z]+-[A-Z]`: two letter-only upper-case parts in a row (not `NT-2026-001`).
            let parts: Vec<&str> = t.split('-').collect();
            let upper = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_uppercase());
            let id_like = parts.windows(2).any(|w| upper(w[0]) && upper(w[1]));
            let snake = t.contains('_') && t.chars().any(|c| c.is_ascii_lowercase());
            let file = t.ends_with(".md") || t.ends_with(".txt") || t.ends_with(".rs");
            id_like || snake || file
        })
        .map(str::to_owned)
        .collect()
}
