//! Policy citations as a reader sees them: the policy by a short Chinese name, not its ID.

use crate::domain::policy_text::parse_citation;

/// A policy's short Chinese name (`NT10` → `南通市工作指引`); unknown IDs read as themselves.
pub fn policy_name_zh(short_id: &str) -> &str {
    match short_id {
        "NT10" => "南通市工作指引",
        "NJ" => "南京市实施意见",
        "JY" => "江阴市行动计划",
        "LYG" => "连云港市行动方案",
        "JS" => "江苏省若干措施（征求意见稿）",
        other => other,
    }
}

/// A rule's clause citation in Chinese: `NT10 三(一) 一顾问; JY 新型研发机构 三(二)4` →
/// `南通市工作指引 三(一)（一顾问）；江阴市行动计划 新型研发机构 三(二)4`.
pub fn clause_zh(clause: &str) -> String {
    let parsed = parse_citation(clause);
    if parsed.is_empty() {
        return clause.to_owned();
    }
    parsed
        .iter()
        .map(|c| {
            let gloss = c
                .gloss
                .as_deref()
                .map(|g| format!("（{g}）"))
                .unwrap_or_default();
            format!("{} {}{gloss}", policy_name_zh(c.policy), c.clause_id)
        })
        .collect::<Vec<_>>()
        .join("；")
}

/// Names a text may give a policy by, besides its short ID: the Chinese short name and its document number.
const POLICY_NAMES: &[(&str, &str)] = &[
    ("南通市工作指引", "NT10"),
    ("通政办发〔2025〕10号", "NT10"),
    ("南京市实施意见", "NJ"),
    ("江阴市行动计划", "JY"),
    ("澄政办发〔2023〕27号", "JY"),
    ("连云港市行动方案", "LYG"),
    ("连政办发〔2016〕126号", "LYG"),
    ("江苏省若干措施（征求意见稿）", "JS"),
];

/// A clause a text cites: the policy, the clause ID as the library names it, and where the citation starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mention {
    pub policy: &'static str,
    pub clause_id: String,
    /// Byte offset of the policy's name in the text.
    pub at: usize,
}

const CN_NUMERAL_CHARS: &str = "一二三四五六七八九十";

fn take_while(s: &str, f: impl Fn(char) -> bool) -> (&str, &str) {
    let end = s
        .char_indices()
        .find(|&(_, c)| !f(c))
        .map_or(s.len(), |(i, _)| i);
    s.split_at(end)
}

/// A clause path at the start of `s` (`三(一)`, `二(一)3`, `四13`, `六(二十二)`, `附件`), with what follows it.
/// Full-width brackets are read as ASCII ones.
fn clause_path(s: &str) -> Option<(String, &str)> {
    if let Some(rest) = s.strip_prefix("附件") {
        return Some(("附件".to_owned(), rest));
    }
    let (chapter, mut rest) = take_while(s, |c| CN_NUMERAL_CHARS.contains(c));
    crate::domain::policy_text::cn_numeral(chapter)?;
    let mut path = chapter.to_owned();
    if let Some(inner) = rest.strip_prefix(['(', '（']) {
        let (section, after) = take_while(inner, |c| CN_NUMERAL_CHARS.contains(c));
        if let (Some(_), Some(after)) = (
            crate::domain::policy_text::cn_numeral(section),
            after.strip_prefix([')', '）']),
        ) {
            path.push_str(&format!("({section})"));
            rest = after;
        }
    }
    let (item, after) = take_while(rest, |c| c.is_ascii_digit());
    path.push_str(item);
    Some((path, after))
}

/// A reference after a policy's name: `[PART] PATH`, or a part alone; with what follows it.
fn reference<'a>(policy: &'static str, s: &'a str) -> Option<(String, &'a str)> {
    let s = s.trim_start_matches(' ');
    let parts = crate::domain::policy_text::policy(policy).map_or(&[][..], |p| p.source.parts);
    if let Some(part) = parts.iter().find(|p| s.starts_with(p.short_name)) {
        let after = &s[part.short_name.len()..];
        return match clause_path(after.trim_start_matches(' ')) {
            Some((path, rest)) => Some((format!("{} {path}", part.short_name), rest)),
            None => Some((part.short_name.to_owned(), after)),
        };
    }
    clause_path(s)
}

/// Every clause citation in a text: a policy's short ID (`NT10 三(一)`, `JY 新型研发机构 四(四)`), Chinese name or
/// document number (`南通市工作指引（通政办发〔2025〕10号）三(一)`) followed by a clause path, and the paths
/// chained after it with `;`, `；` or `、` (`NT10 三(一); 四(二)`). A name not followed by a path is no citation.
pub fn clause_mentions(text: &str) -> Vec<Mention> {
    let mut names: Vec<(&str, &'static str)> = POLICY_NAMES.to_vec();
    names.extend(
        crate::domain::policy_text::sources()
            .iter()
            .map(|s| (s.short_id, s.short_id)),
    );
    let mut out = Vec::new();
    for (at, _) in text.char_indices() {
        let rest = &text[at..];
        let Some(&(name, policy)) = names.iter().find(|(n, _)| rest.starts_with(*n)) else {
            continue;
        };
        // A short ID is a whole word: not part of `JSON`, `NJU` or `MY_JS`.
        if name.is_ascii() {
            let before = text[..at].chars().next_back();
            let after = rest[name.len()..].chars().next();
            let wordy = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            if wordy(before) || wordy(after) {
                continue;
            }
        }
        let mut s = &rest[name.len()..];
        // A parenthetical after a Chinese name: `南通市工作指引（通政办发〔2025〕10号）三(一)`.
        if !name.is_ascii()
            && let Some(inner) = s.strip_prefix('（')
            && let Some(end) = inner.find('）')
            && clause_path(inner).is_none()
        {
            s = &inner[end + '）'.len_utf8()..];
        }
        let Some((clause_id, mut s)) = reference(policy, s) else {
            continue;
        };
        out.push(Mention {
            policy,
            clause_id,
            at,
        });
        // Chained references in the same policy.
        loop {
            let t = s.trim_start_matches(' ');
            let Some(t) = t
                .strip_prefix(';')
                .or_else(|| t.strip_prefix('；'))
                .or_else(|| t.strip_prefix('、'))
            else {
                break;
            };
            match reference(policy, t) {
                Some((clause_id, rest)) => {
                    out.push(Mention {
                        policy,
                        clause_id,
                        at,
                    });
                    s = rest;
                }
                None => break,
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::compliance::rules;
    use crate::domain::policy_text::{library, policy};

    #[test]
    fn every_policy_has_a_chinese_name() {
        for p in library() {
            let name = policy_name_zh(p.short_id());
            assert!(!name.is_ascii(), "{} has no Chinese name", p.short_id());
        }
    }

    #[test]
    fn every_rule_clause_reads_without_policy_ids() {
        for r in rules() {
            let zh = clause_zh(r.clause);
            for p in library() {
                assert!(!zh.contains(p.short_id()), "{}: {zh}", r.id);
            }
        }
        assert_eq!(
            clause_zh("NT10 三(一) 一顾问"),
            "南通市工作指引 三(一)（一顾问）"
        );
    }

    fn ids(text: &str) -> Vec<(&'static str, String)> {
        clause_mentions(text)
            .into_iter()
            .map(|m| (m.policy, m.clause_id))
            .collect()
    }

    #[test]
    fn mentions_are_read_in_every_form() {
        let own = |p: &'static str, c: &str| (p, c.to_owned());
        assert_eq!(
            ids("NT10 三(一); 四(二)"),
            [own("NT10", "三(一)"), own("NT10", "四(二)")]
        );
        assert_eq!(
            ids("按江阴市行动计划 新型研发机构 四(四)，限制期内"),
            [own("JY", "新型研发机构 四(四)")]
        );
        assert_eq!(
            ids("南通市工作指引（通政办发〔2025〕10号）三(一)“对建设进度"),
            [own("NT10", "三(一)")]
        );
        assert_eq!(
            ids("依据通政办发〔2025〕10号三（一）："),
            [own("NT10", "三(一)")]
        );
        assert_eq!(
            ids("NJ 四13、LYG 二(五)16"),
            [own("NJ", "四13"), own("LYG", "二(五)16")]
        );
        assert_eq!(ids("JS 附件"), [own("JS", "附件")]);
        assert_eq!(ids("JY 新型研发机构"), [own("JY", "新型研发机构")]);
        // Not citations: an ID inside a word, an ID not followed by a clause path.
        assert!(ids("JSON 一 MY_JS 二 NJU 三").is_empty());
        assert!(ids(r#""NT10" => "南通市工作指引","#).is_empty());
    }

    /// Every source file of the product that may cite a clause: templates, the Rust sources (messages,
    /// the catalogue, the demo data), each with its path.
    fn product_texts() -> Vec<(String, String)> {
        fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
            let mut entries: Vec<_> = std::fs::read_dir(dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .filter_map(Result::ok)
                .map(|e| e.path())
                .collect();
            entries.sort();
            for path in entries {
                if path.is_dir() {
                    walk(&path, out);
                } else if path
                    .extension()
                    .is_some_and(|x| x == "rs" || x == "html" || x == "txt" || x == "js")
                {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    out.push((path.display().to_string(), text));
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        for dir in ["templates", "src"] {
            walk(&root.join(dir), &mut out);
        }
        out
    }

    #[test]
    fn every_cited_clause_exists_in_the_policy_texts() {
        let mut checked = 0;
        let mut missing = Vec::new();
        for (path, text) in product_texts() {
            // The parser's own tests cite missing clauses on purpose.
            let text = if path.ends_with("policy_text.rs") {
                text.split("#[cfg(test)]")
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            } else {
                text
            };
            for m in clause_mentions(&text) {
                checked += 1;
                let exists = policy(m.policy).is_some_and(|p| p.clause(&m.clause_id).is_some());
                if !exists {
                    let line = text[..m.at].lines().count().max(1);
                    missing.push(format!("{path}:{line}: {} {}", m.policy, m.clause_id));
                }
            }
        }
        for r in rules() {
            for c in crate::domain::policy_text::parse_citation(r.clause) {
                checked += 1;
                if policy(c.policy).is_none_or(|p| p.clause(&c.clause_id).is_none()) {
                    missing.push(format!("catalogue {}: {} {}", r.id, c.policy, c.clause_id));
                }
            }
        }
        assert!(
            checked > 50,
            "only {checked} citations found: is the scan reading the sources?"
        );
        assert!(
            missing.is_empty(),
            "citations of clauses the texts do not have:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn a_citation_of_a_missing_clause_is_caught() {
        let text = format!("依据{} 九(九)与{} 新型研发机构 三(四)10", "NT10", "JY");
        let found = clause_mentions(&text);
        assert_eq!(found.len(), 2);
        let exists =
            |m: &Mention| policy(m.policy).is_some_and(|p| p.clause(&m.clause_id).is_some());
        assert!(!exists(&found[0]));
        assert!(exists(&found[1]));
    }
}
