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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::compliance::rules;
    use crate::domain::policy_text::library;

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
}
