//! The policy library: the five policy texts the product cites, embedded at build time
//! (`policies/*.txt`), and a parser that turns a document's text into its metadata and a clause
//! tree with stable IDs built from the document's own outline markers.
//!
//! Markers: `一、` chapter, `(一)`/`（一）` section, `1.`/`1、`/`1﹒`/`（1）` item, `附件` annex. A clause's ID is
//! its path, written with ASCII parentheses as the rule catalogue cites it: `二(一)3`. Documents made of
//! several plans that each restart their outline (JY) have a part per plan, and their IDs carry the plan's
//! short name: `新型研发机构 三(二)4`. Each clause keeps its heading (the text up to the first `。`, or its
//! heading line) and its own original text (its lines without the marker; sub-clauses are their own clauses).
//!
//! Citations (`NT10 三(一) 一顾问`, `NT10 三(一); 四(二)`) resolve to clauses with [`resolve_citation`].

use std::collections::HashSet;
use std::sync::OnceLock;

use chrono::NaiveDate;

use super::compliance::{RuleDef, rules};

code_enum! {
    /// What a policy is in the product.
    PolicyStatus {
        /// The policy in force that platforms are checked against (NT10).
        InForce = "in_force" / "现行有效",
        /// A draft for comment (征求意见稿): never shown or used as if in force.
        Draft = "draft" / "征求意见稿",
        /// Another jurisdiction's policy, consulted for reference (support matching, practices).
        Reference = "reference" / "参考政策",
    }
}

code_enum! {
    /// The role a policy plays in the product.
    PolicyRole {
        Primary = "primary" / "主要政策",
        Reference = "reference" / "参考政策",
    }
}

code_enum! {
    /// The kind of outline element a clause is.
    ClauseKind {
        /// One of several plans in one document (JY).
        Part = "part" / "行动计划",
        /// `一、`
        Chapter = "chapter" / "部分",
        /// `(一)`
        Section = "section" / "项",
        /// `1.`
        Item = "item" / "条",
        /// `附件`
        Annex = "annex" / "附件",
    }
}

impl ClauseKind {
    /// Depth in the outline: part 0, chapter and annex 1, section 2, item 3.
    pub fn level(self) -> i16 {
        match self {
            ClauseKind::Part => 0,
            ClauseKind::Chapter | ClauseKind::Annex => 1,
            ClauseKind::Section => 2,
            ClauseKind::Item => 3,
        }
    }
}

/// A plan inside a document: the line that starts it, and its short name in clause IDs.
#[derive(Debug, Clone, Copy)]
pub struct PartSpec {
    /// The start of the plan's title line, as written (traditional characters for JY).
    pub title: &'static str,
    /// Simplified short name used in IDs and citations (`新型研发机构`).
    pub short_name: &'static str,
}

/// One embedded policy text and what the product knows about it beyond its text.
#[derive(Debug)]
pub struct Source {
    /// Short ID used in citations (`NT10`).
    pub short_id: &'static str,
    /// File under `policies/`.
    pub file: &'static str,
    pub text: &'static str,
    pub role: PolicyRole,
    /// The government the document comes from.
    pub jurisdiction_zh: &'static str,
    /// Shown when the text carries no title line.
    pub fallback_title: &'static str,
    /// What the product uses it for.
    pub purpose_zh: &'static str,
    /// What the text itself does not say (empty if nothing).
    pub note_zh: &'static str,
    pub parts: &'static [PartSpec],
}

const JY_PARTS: &[PartSpec] = &[
    PartSpec {
        title: "江陰市創新型企業培育行動計劃",
        short_name: "创新型企业",
    },
    PartSpec {
        title: "江陰市加快建設新型研發機構行動計劃",
        short_name: "新型研发机构",
    },
    PartSpec {
        title: "江陰市促進科技成果轉移轉化行動計劃",
        short_name: "技术转移",
    },
];

static SOURCES: [Source; 5] = [
    Source {
        short_id: "NT10",
        file: "NT10.txt",
        text: include_str!("../../policies/NT10.txt"),
        role: PolicyRole::Primary,
        jurisdiction_zh: "南通市",
        fallback_title: "南通市科技创新平台市场化转型、产业化发展工作指引",
        purpose_zh: "本系统的主要政策：平台全周期管理（设立登记—运行管理—退出整改）、“一平台一清单一顾问”、\
                     “年初备案、半年过堂、年底评估”、四类功能定位、多元收入渠道与建设期满后两年左右实现收支平衡，\
                     以及退、转、并、留。",
        note_zh: "",
        parts: &[],
    },
    Source {
        short_id: "NJ",
        file: "NJ.txt",
        text: include_str!("../../policies/NJ.txt"),
        role: PolicyRole::Reference,
        jurisdiction_zh: "南京市",
        fallback_title: "南京市科技成果转化实施意见（22条）",
        purpose_zh: "参考政策：支持与补助政策匹配（如新型研发机构协同企业开展联合攻关，根据新增投入20%给予最高300万元\
                     资助），公共技术服务平台的合同考核退出机制。",
        note_zh: "原文未载标题、发文机关、文号和日期（发布于2024年7月以后）；标题为本系统据正文所拟。",
        parts: &[],
    },
    Source {
        short_id: "JY",
        file: "JY.txt",
        text: include_str!("../../policies/JY.txt"),
        role: PolicyRole::Reference,
        jurisdiction_zh: "江阴市",
        fallback_title: "江阴市科技创新行动计划（2023—2025年）",
        purpose_zh: "参考政策：新型研发机构的年度认定与公示、理事会或董事会决策制和院长负责制、\
                     共建期满验收、科研诚信（严重违背者3年内不得参与绩效评价，并按规定追回有关财政资金）、信息公开。",
        note_zh: "原文为繁体字，含三个行动计划；各计划的条款编号前冠以计划简称（创新型企业、新型研发机构、技术转移）。",
        parts: JY_PARTS,
    },
    Source {
        short_id: "LYG",
        file: "LYG.txt",
        text: include_str!("../../policies/LYG.txt"),
        role: PolicyRole::Reference,
        jurisdiction_zh: "连云港市",
        fallback_title: "连云港市促进科技成果转移转化行动方案",
        purpose_zh: "参考政策：10万元及以上科研仪器设备全面开放共享，技术转移服务体系。",
        note_zh: "",
        parts: &[],
    },
    Source {
        short_id: "JS",
        file: "JS.txt",
        text: include_str!("../../policies/JS.txt"),
        role: PolicyRole::Reference,
        jurisdiction_zh: "江苏省",
        fallback_title: "关于突出市场导向建设科技成果转化高地的若干措施（征求意见稿）",
        purpose_zh: "参考政策（征求意见稿）：支持政策匹配（如省概念验证中心每家100万元建设经费；\
                     对促成重大成果转化的社会化技术转移机构按技术交易额的3%奖补，单个机构不超过100万元）。",
        note_zh: "征求意见稿，尚未正式印发，不作为现行政策适用；原文未载发文机关、文号和日期。",
        parts: &[],
    },
];

/// The embedded policy texts, primary policy first.
pub fn sources() -> &'static [Source] {
    &SOURCES
}

/// What a document's header says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    pub title: Option<String>,
    /// 发布机构.
    pub issuer: Option<String>,
    /// 文号.
    pub number: Option<String>,
    /// 成文日期.
    pub issued_on: Option<NaiveDate>,
    /// 发布日期.
    pub published_on: Option<NaiveDate>,
    /// Validity as the header states it (`有效`).
    pub validity: Option<String>,
    /// The document calls itself a draft for comment (征求意见稿).
    pub draft: bool,
}

/// One clause of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    /// Path ID: `二(一)3`, `新型研发机构 三(二)4`, `附件`.
    pub id: String,
    pub parent: Option<String>,
    pub kind: ClauseKind,
    /// URL- and HTML-safe anchor, unique in the document: `c-2-1.3`, `c-p2-3-2.4`, `c-annex`.
    pub anchor: String,
    pub heading: String,
    /// The clause's own original text, lines joined by `\n`, without its marker.
    pub text: String,
}

/// A parsed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedText {
    pub meta: Metadata,
    /// The lines before the first clause (page header, notice, introduction), original text.
    pub preamble: String,
    /// Every clause, in document order (parents before children).
    pub clauses: Vec<Clause>,
}

// ---- markers ----------------------------------------------------------------------------------

const CN_DIGITS: &str = "一二三四五六七八九十";

/// The value of a Chinese numeral from 一 to 九十九.
pub fn cn_numeral(s: &str) -> Option<u32> {
    let digit = |c: char| {
        CN_DIGITS
            .chars()
            .position(|d| d == c)
            .filter(|&i| i < 9)
            .map(|i| i as u32 + 1)
    };
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [c] if *c == '十' => Some(10),
        [c] => digit(*c),
        ['十', u] => digit(*u).map(|u| 10 + u),
        [t, '十'] => digit(*t).map(|t| t * 10),
        [t, '十', u] => Some(digit(*t)? * 10 + digit(*u)?),
        _ => None,
    }
}

/// Splits a leading run of chars satisfying `f`.
fn leading(s: &str, f: impl Fn(char) -> bool) -> (&str, &str) {
    let end = s
        .char_indices()
        .find(|&(_, c)| !f(c))
        .map_or(s.len(), |(i, _)| i);
    s.split_at(end)
}

/// `一、rest` → (numeral, value, rest).
fn chapter_marker(line: &str) -> Option<(&str, u32, &str)> {
    let (num, rest) = leading(line, |c| CN_DIGITS.contains(c));
    let rest = rest.strip_prefix('、')?;
    Some((num, cn_numeral(num)?, rest))
}

/// `(一)rest` or `（一）rest` → (numeral, value, rest).
fn section_marker(line: &str) -> Option<(&str, u32, &str)> {
    let inner = line.strip_prefix(['(', '（'])?;
    let (num, rest) = leading(inner, |c| CN_DIGITS.contains(c));
    let rest = rest.strip_prefix([')', '）'])?;
    Some((num, cn_numeral(num)?, rest))
}

/// `1.rest`, `1．rest`, `1﹒rest`, `1、rest` or `（1）rest` → (value, rest). `2.0版` is no marker.
fn item_marker(line: &str) -> Option<(u32, &str)> {
    if let Some(inner) = line.strip_prefix(['(', '（']) {
        let (num, rest) = leading(inner, |c| c.is_ascii_digit());
        let rest = rest.strip_prefix([')', '）'])?;
        return Some((num.parse().ok()?, rest.trim_start()));
    }
    let (num, rest) = leading(line, |c| c.is_ascii_digit());
    if num.is_empty() || num.len() > 3 {
        return None;
    }
    let rest = rest.strip_prefix(['.', '．', '﹒', '、'])?;
    if rest.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((num.parse().ok()?, rest.trim_start()))
}

/// `附件`, `附件:` or `附件：` (with what follows on the line).
fn annex_marker(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("附件")?;
    if rest.is_empty() {
        return Some("");
    }
    rest.strip_prefix([':', '：']).map(str::trim)
}

/// Web-page furniture after the document's end (download links, share buttons, related reading).
fn is_page_furniture(line: &str) -> bool {
    const STARTS: &[&str] = &[
        "图解",
        "圖解",
        "解读",
        "解讀",
        "政策关联解读",
        "政策關聯解讀",
        "分享到",
        "•",
        "收藏",
        "打印",
        "关闭",
        "關閉",
    ];
    let lower = line.to_ascii_lowercase();
    STARTS.iter().any(|s| line.starts_with(s))
        || [".pdf", ".doc", ".docx", ".wps", ".ofd"]
            .iter()
            .any(|ext| lower.ends_with(ext))
}

/// The heading of a clause from its first line (marker removed): up to the first 。, else the line.
fn heading_of(first: &str) -> String {
    let head = first.split('。').next().unwrap_or(first).trim();
    if head.is_empty() { first.trim() } else { head }.to_owned()
}

// ---- header -----------------------------------------------------------------------------------

/// The value after `key` (and an optional colon) on a header line, up to the next space.
fn header_field(lines: &[&str], keys: &[&str]) -> Option<String> {
    for line in lines {
        for key in keys {
            let Some(pos) = line.find(key) else { continue };
            if line[..pos]
                .chars()
                .next_back()
                .is_some_and(|c| !c.is_whitespace())
            {
                continue;
            }
            let rest = line[pos + key.len()..]
                .trim_start_matches([':', '：'])
                .trim_start();
            let value: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
            if !value.is_empty() {
                return Some(value);
            }
        }
    }
    None
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    let (y, rest) = s.split_once('年')?;
    let (m, rest) = rest.split_once('月')?;
    let d = rest.strip_suffix('日')?;
    if y.len() != 4
        || [y, m, d]
            .iter()
            .any(|p| !p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// `连政办发〔2016〕126号` on a line of its own.
fn is_document_number(line: &str) -> bool {
    line.chars().count() <= 30
        && !line.contains(char::is_whitespace)
        && line.contains('〔')
        && line.contains('〕')
        && (line.ends_with('号') || line.ends_with('號'))
}

fn is_draft_marker(line: &str) -> bool {
    line.contains("征求意见稿") || line.contains("徵求意見稿")
}

/// The document's title: a `名称:` field, else the first line starting a `关于…` title, with the
/// lines it wraps onto.
fn title_of(lines: &[&str]) -> Option<String> {
    if let Some(t) = header_field(lines, &["名称", "名稱"]) {
        return Some(t);
    }
    let is_title_start = |l: &str| {
        !l.contains(char::is_whitespace)
            && !l.contains('。')
            && ["关于", "關于", "關於"]
                .iter()
                .any(|k| l.find(k).is_some_and(|p| l[..p].chars().count() <= 8))
    };
    let start = lines.iter().position(|l| is_title_start(l))?;
    let mut title = lines[start].to_owned();
    for next in &lines[start + 1..] {
        let ends = [
            "通知", "意见", "意見", "措施", "方案", "办法", "辦法", "计划", "計劃",
        ];
        if next.is_empty()
            || is_draft_marker(next)
            || next.contains('。')
            || next.contains(char::is_whitespace)
            || ends.iter().any(|e| title.ends_with(e))
        {
            break;
        }
        title.push_str(next);
    }
    Some(title)
}

fn metadata(header: &[&str]) -> Metadata {
    let date = |keys: &[&str]| header_field(header, keys).and_then(|v| parse_date(&v));
    let signature = header.iter().position(|l| parse_date(l).is_some());
    let mut meta = Metadata {
        title: title_of(header),
        issuer: header_field(header, &["发布机构", "發布機構"]),
        number: header_field(header, &["文号", "文號", "文件编号", "文件編號"]),
        issued_on: date(&["成文日期", "生成日期"]),
        published_on: date(&["发布日期", "發布日期", "公开日期", "公開日期"]),
        validity: header_field(header, &["有效性", "效力状况", "效力狀況"]),
        draft: header.iter().any(|l| is_draft_marker(l)),
    };
    if meta.number.is_none() {
        meta.number = header
            .iter()
            .find(|l| is_document_number(l))
            .map(|l| (*l).to_owned());
    }
    if let Some(i) = signature {
        if meta.issued_on.is_none() {
            meta.issued_on = parse_date(header[i]);
        }
        if meta.issuer.is_none() {
            meta.issuer = header[..i]
                .iter()
                .rev()
                .find(|l| !l.is_empty())
                .filter(|l| l.chars().count() <= 30 && !l.contains(['。', ',', '，', ':', '：']))
                .map(|l| (*l).to_owned());
        }
    }
    meta
}

// ---- the parser -------------------------------------------------------------------------------

/// Where the parser is in the outline.
#[derive(Clone)]
struct Node {
    index: usize,
    id: String,
    anchor: String,
}

#[derive(Default)]
struct Builder {
    clauses: Vec<Clause>,
    /// Lines of each clause (index-aligned with `clauses`).
    lines: Vec<Vec<String>>,
    part: Option<(Node, String)>,
    chapter: Option<Node>,
    section: Option<Node>,
}

impl Builder {
    fn push(
        &mut self,
        kind: ClauseKind,
        id: String,
        anchor: String,
        parent: Option<&Node>,
        first: &str,
    ) -> Node {
        let index = self.clauses.len();
        self.clauses.push(Clause {
            id: id.clone(),
            parent: parent.map(|p| p.id.clone()),
            kind,
            anchor: anchor.clone(),
            heading: heading_of(first),
            text: String::new(),
        });
        self.lines.push(if first.is_empty() {
            Vec::new()
        } else {
            vec![first.to_owned()]
        });
        Node { index, id, anchor }
    }

    /// The ID prefix and anchor prefix of the current part.
    fn prefixes(&self) -> (String, String) {
        match &self.part {
            Some((node, short)) => (format!("{short} "), node.anchor.clone()),
            None => (String::new(), "c".to_owned()),
        }
    }

    fn current(&self) -> Option<usize> {
        self.clauses.len().checked_sub(1)
    }
}

/// Parses a document. `parts` names the plans of a multi-plan document (empty for the others).
pub fn parse(text: &str, parts: &[PartSpec]) -> ParsedText {
    let mut b = Builder::default();
    let mut preamble: Vec<&str> = Vec::new();
    let mut in_annex = false;
    for raw in text.lines() {
        let line = raw.trim();
        let started = !b.clauses.is_empty();
        if line.is_empty() {
            if !started {
                preamble.push(line);
            }
            continue;
        }
        if started && is_page_furniture(line) {
            break;
        }
        if let Some((n, spec)) = parts
            .iter()
            .enumerate()
            .find(|(_, p)| line.starts_with(p.title))
        {
            let anchor = format!("c-p{}", n + 1);
            let node = b.push(
                ClauseKind::Part,
                spec.short_name.to_owned(),
                anchor,
                None,
                line,
            );
            b.clauses[node.index].heading = line.to_owned();
            b.part = Some((node, spec.short_name.to_owned()));
            b.chapter = None;
            b.section = None;
            in_annex = false;
            continue;
        }
        let part_node = b.part.as_ref().map(|(n, _)| n.clone());
        let (prefix, aprefix) = b.prefixes();
        if let Some((num, n, rest)) = chapter_marker(line) {
            let node = b.push(
                ClauseKind::Chapter,
                format!("{prefix}{num}"),
                format!("{aprefix}-{n}"),
                part_node.as_ref(),
                rest,
            );
            b.chapter = Some(node);
            b.section = None;
            in_annex = false;
            continue;
        }
        if let Some((num, n, rest)) = section_marker(line).filter(|_| !in_annex) {
            let (id, anchor, parent) = match &b.chapter {
                Some(c) => (
                    format!("{}({num})", c.id),
                    format!("{}-{n}", c.anchor),
                    Some(c.clone()),
                ),
                None => (
                    format!("{prefix}({num})"),
                    format!("{aprefix}-s{n}"),
                    part_node,
                ),
            };
            let node = b.push(ClauseKind::Section, id, anchor, parent.as_ref(), rest);
            b.section = Some(node);
            continue;
        }
        if let Some((n, rest)) = item_marker(line).filter(|_| started && !in_annex) {
            let parent = b
                .section
                .clone()
                .or_else(|| b.chapter.clone())
                .or(part_node);
            let under_part =
                b.part.as_ref().map(|(node, _)| node.index) == parent.as_ref().map(|p| p.index);
            let (id, anchor) = match &parent {
                Some(p) if under_part => (format!("{prefix}{n}"), format!("{}.{n}", p.anchor)),
                Some(p) => (format!("{}{n}", p.id), format!("{}.{n}", p.anchor)),
                None => (n.to_string(), format!("c.{n}")),
            };
            b.push(ClauseKind::Item, id, anchor, parent.as_ref(), rest);
            continue;
        }
        if let Some(rest) = annex_marker(line).filter(|_| started) {
            b.push(
                ClauseKind::Annex,
                format!("{prefix}附件"),
                format!("{aprefix}-annex"),
                part_node.as_ref(),
                rest,
            );
            b.chapter = None;
            b.section = None;
            in_annex = true;
            continue;
        }
        match b.current() {
            Some(i) => {
                let clause = &mut b.clauses[i];
                if clause.kind == ClauseKind::Part && b.lines[i].len() == 1 && is_year_range(line) {
                    clause.heading.push_str(line);
                } else if clause.kind == ClauseKind::Annex && b.lines[i].is_empty() {
                    clause.heading = heading_of(line);
                }
                b.lines[i].push(line.to_owned());
            }
            None => preamble.push(line),
        }
    }
    // An annex with nothing in it (a bare "附件:" before the page's share buttons) is no clause.
    if let Some(last) = b.clauses.last()
        && last.kind == ClauseKind::Annex
        && b.lines.last().is_some_and(Vec::is_empty)
    {
        b.clauses.pop();
        b.lines.pop();
    }
    let mut clauses = b.clauses;
    for (clause, lines) in clauses.iter_mut().zip(b.lines) {
        clause.text = lines.join("\n");
        if clause.heading.is_empty() {
            clause.heading = clause.kind.label_zh().to_owned();
        }
    }
    dedupe(&mut clauses);
    let header: Vec<&str> = preamble.iter().copied().filter(|l| !l.is_empty()).collect();
    ParsedText {
        meta: metadata(&header),
        preamble: collapse_blank_lines(&preamble),
        clauses,
    }
}

/// `(2023—2025年)` on the line after a plan's title.
fn is_year_range(line: &str) -> bool {
    line.starts_with(['(', '（']) && line.contains('年') && line.chars().count() <= 16
}

fn collapse_blank_lines(lines: &[&str]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for l in lines {
        if l.is_empty() && out.last().is_none_or(|p| p.is_empty()) {
            continue;
        }
        out.push(l);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// A repeated ID (a document numbering the same item twice) gets a `~2` suffix, so IDs stay unique.
fn dedupe(clauses: &mut [Clause]) {
    let mut seen = HashSet::new();
    let mut renamed: Vec<(String, String)> = Vec::new();
    for clause in clauses.iter_mut() {
        if let Some(parent) = &clause.parent
            && let Some((_, new)) = renamed.iter().rev().find(|(old, _)| old == parent)
        {
            clause.parent = Some(new.clone());
        }
        if seen.insert(clause.id.clone()) {
            continue;
        }
        let k = (2..)
            .find(|k| !seen.contains(&format!("{}~{k}", clause.id)))
            .unwrap_or(2);
        let new = format!("{}~{k}", clause.id);
        renamed.push((clause.id.clone(), new.clone()));
        clause.id = new.clone();
        clause.anchor = format!("{}x{k}", clause.anchor);
        seen.insert(new);
    }
}

// ---- the library ------------------------------------------------------------------------------

/// A policy of the library: its source and its parsed text.
#[derive(Debug)]
pub struct Policy {
    pub source: &'static Source,
    pub meta: Metadata,
    pub preamble: String,
    pub clauses: Vec<Clause>,
}

impl Policy {
    pub fn short_id(&self) -> &'static str {
        self.source.short_id
    }

    /// The title the text gives, else the library's.
    pub fn title(&self) -> &str {
        self.meta
            .title
            .as_deref()
            .unwrap_or(self.source.fallback_title)
    }

    /// A draft is a draft whatever its role; otherwise the primary policy is in force and the others
    /// are references.
    pub fn status(&self) -> PolicyStatus {
        match (self.meta.draft, self.source.role) {
            (true, _) => PolicyStatus::Draft,
            (false, PolicyRole::Primary) => PolicyStatus::InForce,
            (false, PolicyRole::Reference) => PolicyStatus::Reference,
        }
    }

    pub fn clause(&self, id: &str) -> Option<&Clause> {
        self.clauses.iter().find(|c| c.id == id)
    }

    pub fn children<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Clause> + 'a {
        self.clauses
            .iter()
            .filter(move |c| c.parent.as_deref() == Some(id))
    }
}

/// Every policy, parsed once, in the order of [`sources`].
pub fn library() -> &'static [Policy] {
    static LIBRARY: OnceLock<Vec<Policy>> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        sources()
            .iter()
            .map(|source| {
                let parsed = parse(source.text, source.parts);
                Policy {
                    source,
                    meta: parsed.meta,
                    preamble: parsed.preamble,
                    clauses: parsed.clauses,
                }
            })
            .collect()
    })
}

pub fn policy(short_id: &str) -> Option<&'static Policy> {
    library().iter().find(|p| p.short_id() == short_id)
}

// ---- citations --------------------------------------------------------------------------------

/// One clause reference of a citation: `NT10 三(一) 一顾问` → NT10, `三(一)`, gloss `一顾问`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    pub policy: &'static str,
    pub clause_id: String,
    /// The phrase after the clause path that says which part of the clause is meant.
    pub gloss: Option<String>,
}

/// Reads a citation: references separated by `;`, each `POLICY [PART] PATH [gloss]`; a reference
/// without a policy ID (`NT10 三(一); 四(二)`) is in the previous reference's policy. Unknown policies
/// are skipped. Does not check that the clause exists (see [`resolve_citation`]).
pub fn parse_citation(citation: &str) -> Vec<Citation> {
    let mut out = Vec::new();
    let mut current: Option<&'static Source> = None;
    for piece in citation.split([';', '；']) {
        let normalized = piece.replace('（', "(").replace('）', ")");
        let mut tokens: Vec<&str> = normalized.split_whitespace().collect();
        if tokens.is_empty() {
            continue;
        }
        if let Some(source) = sources().iter().find(|s| s.short_id == tokens[0]) {
            current = Some(source);
            tokens.remove(0);
        }
        let Some(source) = current else { continue };
        let mut prefix = String::new();
        if let Some(part) = tokens
            .first()
            .and_then(|t| source.parts.iter().find(|p| p.short_name == *t))
        {
            tokens.remove(0);
            if tokens.is_empty() {
                out.push(Citation {
                    policy: source.short_id,
                    clause_id: part.short_name.to_owned(),
                    gloss: None,
                });
                continue;
            }
            prefix = format!("{} ", part.short_name);
        }
        let Some(path) = tokens.first() else { continue };
        let gloss = tokens[1..].join(" ");
        out.push(Citation {
            policy: source.short_id,
            clause_id: format!("{prefix}{path}"),
            gloss: (!gloss.is_empty()).then_some(gloss),
        });
    }
    out
}

/// The clauses a citation names that exist in the library, as `(policy short ID, clause ID)`.
pub fn resolve_citation(citation: &str) -> Vec<(&'static str, String)> {
    parse_citation(citation)
        .into_iter()
        .filter(|c| policy(c.policy).is_some_and(|p| p.clause(&c.clause_id).is_some()))
        .map(|c| (c.policy, c.clause_id))
        .collect()
}

/// A rule of the catalogue and one clause it cites.
#[derive(Debug, Clone)]
pub struct RuleLink {
    pub rule: &'static RuleDef,
    pub citation: Citation,
}

/// Every (rule, cited clause) pair of the catalogue, in catalogue order, resolved clauses only.
pub fn rule_links() -> Vec<RuleLink> {
    rules()
        .iter()
        .flat_map(|rule| {
            parse_citation(rule.clause)
                .into_iter()
                .filter(|c| policy(c.policy).is_some_and(|p| p.clause(&c.clause_id).is_some()))
                .map(move |citation| RuleLink { rule, citation })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib(short_id: &str) -> &'static Policy {
        policy(short_id).unwrap()
    }

    fn clause(short_id: &str, id: &str) -> &'static Clause {
        lib(short_id)
            .clause(id)
            .unwrap_or_else(|| panic!("{short_id} has no clause {id}"))
    }

    fn ids(p: &Policy, kind: ClauseKind) -> Vec<&str> {
        p.clauses
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c| c.id.as_str())
            .collect()
    }

    #[test]
    fn chinese_numerals() {
        let cases = [
            ("一", 1),
            ("九", 9),
            ("十", 10),
            ("十一", 11),
            ("二十", 20),
            ("二十二", 22),
            ("九十九", 99),
        ];
        for (s, v) in cases {
            assert_eq!(cn_numeral(s), Some(v), "{s}");
        }
        for s in ["", "十十", "一二", "百", "一十一十"] {
            assert_eq!(cn_numeral(s), None, "{s}");
        }
    }

    #[test]
    fn markers() {
        assert_eq!(chapter_marker("二、重点任务"), Some(("二", 2, "重点任务")));
        assert_eq!(chapter_marker("二重点任务"), None);
        assert_eq!(section_marker("(一)强化"), Some(("一", 1, "强化")));
        assert_eq!(
            section_marker("（二十二）加力"),
            Some(("二十二", 22, "加力"))
        );
        assert_eq!(section_marker("(2023—2025年)"), None);
        assert_eq!(section_marker("(此件公开发布)"), None);
        assert_eq!(item_marker("3.技术服务类。"), Some((3, "技术服务类。")));
        assert_eq!(item_marker("1. 强化企业"), Some((1, "强化企业")));
        assert_eq!(item_marker("1﹒全力招引"), Some((1, "全力招引")));
        assert_eq!(item_marker("12、加强"), Some((12, "加强")));
        assert_eq!(item_marker("（1）加强"), Some((1, "加强")));
        assert_eq!(item_marker("2.0升级版"), None);
        assert_eq!(item_marker("2025年3月14日"), None);
        assert_eq!(item_marker("10万元以上"), None);
        assert_eq!(annex_marker("附件"), Some(""));
        assert_eq!(annex_marker("附件：清单"), Some("清单"));
        assert_eq!(annex_marker("附件下载"), None);
    }

    #[test]
    fn a_small_document_with_every_marker() {
        let text = "发布机构: 某市人民政府办公室 文号: 某政发〔2024〕1号\n\
                    成文日期: 2024-01-02 发布日期: 2024-01-05 有效性: 有效\n\
                    名称: 关于某事的通知\n\n前言。\n\
                    一、总则\n(一)目标。做好。\n1、第一条。内容\n接续一行\n（2）第二条\n\
                    （二）任务\n二、保障。全文\n附件\n清单\n甲\n分享到:\n一、不再解析";
        let parsed = parse(text, &[]);
        let m = &parsed.meta;
        assert_eq!(m.issuer.as_deref(), Some("某市人民政府办公室"));
        assert_eq!(m.number.as_deref(), Some("某政发〔2024〕1号"));
        assert_eq!(m.issued_on, NaiveDate::from_ymd_opt(2024, 1, 2));
        assert_eq!(m.published_on, NaiveDate::from_ymd_opt(2024, 1, 5));
        assert_eq!(m.validity.as_deref(), Some("有效"));
        assert_eq!(m.title.as_deref(), Some("关于某事的通知"));
        assert!(!m.draft);
        assert!(parsed.preamble.ends_with("前言。"));
        let got: Vec<_> = parsed
            .clauses
            .iter()
            .map(|c| {
                (
                    c.id.as_str(),
                    c.parent.as_deref(),
                    c.anchor.as_str(),
                    c.heading.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("一", None, "c-1", "总则"),
                ("一(一)", Some("一"), "c-1-1", "目标"),
                ("一(一)1", Some("一(一)"), "c-1-1.1", "第一条"),
                ("一(一)2", Some("一(一)"), "c-1-1.2", "第二条"),
                ("一(二)", Some("一"), "c-1-2", "任务"),
                ("二", None, "c-2", "保障"),
                ("附件", None, "c-annex", "清单"),
            ]
        );
        assert_eq!(parsed.clauses[2].text, "第一条。内容\n接续一行");
        assert_eq!(
            parsed.clauses[6].text, "清单\n甲",
            "page furniture ends the document"
        );
    }

    #[test]
    fn repeated_numbers_get_unique_ids() {
        let parsed = parse("一、甲\n1.子\n一、乙\n1.子", &[]);
        let ids: Vec<_> = parsed
            .clauses
            .iter()
            .map(|c| (c.id.as_str(), c.parent.as_deref()))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("一", None),
                ("一1", Some("一")),
                ("一~2", None),
                ("一1~2", Some("一~2"))
            ]
        );
        let anchors: HashSet<_> = parsed.clauses.iter().map(|c| &c.anchor).collect();
        assert_eq!(anchors.len(), 4);
    }

    #[test]
    fn nt10_outline_and_known_clauses() {
        let nt10 = lib("NT10");
        assert_eq!(ids(nt10, ClauseKind::Chapter), ["一", "二", "三", "四"]);
        assert_eq!(clause("NT10", "一").heading, "工作目标");
        assert!(
            clause("NT10", "一")
                .text
                .contains("利用两年左右时间完成市场化转型,达到收支平衡")
        );
        let tech = clause("NT10", "二(一)3");
        assert!(tech.text.starts_with("技术服务类"), "{}", tech.text);
        assert_eq!(tech.heading, "技术服务类");
        assert_eq!(tech.parent.as_deref(), Some("二(一)"));
        assert_eq!(tech.anchor, "c-2-1.3");
        assert_eq!(
            clause("NT10", "二(一)").heading,
            "强化功能定位,优化发展方向"
        );
        assert_eq!(lib("NT10").children("二(一)").count(), 4);
        let lifecycle = clause("NT10", "三(一)");
        assert_eq!(lifecycle.heading, "建立全过程管理机制");
        assert!(lifecycle.text.contains("一平台一清单一顾问"));
        assert!(
            clause("NT10", "四(二)")
                .text
                .contains("年初备案、半年过堂、年底评估")
        );
        assert!(clause("NT10", "二(四)3").text.contains("开放共享"));
        assert_eq!(ids(nt10, ClauseKind::Section).len(), 4 + 4 + 5 + 3);
        assert_eq!(ids(nt10, ClauseKind::Item).len(), 4 + 4 + 3 + 3);
        let last = nt10.clauses.last().unwrap();
        assert_eq!(last.id, "四(三)");
        assert!(
            !last.text.contains("pdf") && !last.text.contains("点击查看"),
            "{}",
            last.text
        );
        assert!(nt10.preamble.contains("本工作指引"));
    }

    #[test]
    fn nt10_metadata() {
        let m = &lib("NT10").meta;
        assert_eq!(m.issuer.as_deref(), Some("南通市人民政府办公室"));
        assert_eq!(m.number.as_deref(), Some("通政办发〔2025〕10号"));
        assert_eq!(m.issued_on, NaiveDate::from_ymd_opt(2025, 3, 14));
        assert_eq!(m.published_on, NaiveDate::from_ymd_opt(2025, 3, 18));
        assert_eq!(m.validity.as_deref(), Some("有效"));
        assert_eq!(
            m.title.as_deref(),
            Some("市政府办公室关于印发南通市科技创新平台市场化转型、产业化发展工作指引的通知")
        );
        assert!(!m.draft);
        assert_eq!(lib("NT10").status(), PolicyStatus::InForce);
    }

    #[test]
    fn nj_has_22_measures_and_no_header() {
        let nj = lib("NJ");
        assert_eq!(ids(nj, ClauseKind::Chapter).len(), 6);
        let items = ids(nj, ClauseKind::Item);
        assert_eq!(items.len(), 22);
        assert_eq!(items[0], "一1");
        assert_eq!(items[21], "六22");
        assert!(
            clause("NJ", "四13")
                .text
                .contains("根据新增投入20%给予最高300万元资助")
        );
        // The 20% is tied to 协同企业开展联合攻关, in the text and in what the library says of it.
        assert!(
            clause("NJ", "四13")
                .text
                .contains("协同企业开展联合攻关,根据新增投入20%")
        );
        assert!(
            nj.source
                .purpose_zh
                .contains("协同企业开展联合攻关，根据新增投入20%")
        );
        assert_eq!(nj.meta, Metadata::default());
        assert_eq!(nj.title(), nj.source.fallback_title);
        assert_eq!(nj.status(), PolicyStatus::Reference);
        assert!(!nj.clauses.iter().any(|c| c.text.contains("分享到")));
        assert!(
            ids(nj, ClauseKind::Annex).is_empty(),
            "an empty 附件 is no clause"
        );
    }

    #[test]
    fn jy_has_three_plans_with_prefixed_ids() {
        let jy = lib("JY");
        assert_eq!(
            ids(jy, ClauseKind::Part),
            ["创新型企业", "新型研发机构", "技术转移"]
        );
        let plan = clause("JY", "新型研发机构");
        assert_eq!(
            plan.heading,
            "江陰市加快建設新型研發機構行動計劃(2023—2025年)"
        );
        assert_eq!(plan.anchor, "c-p2");
        let governance = clause("JY", "新型研发机构 三(二)4");
        assert!(
            governance.text.contains("理事會或董事會決策制"),
            "{}",
            governance.text
        );
        assert_eq!(governance.parent.as_deref(), Some("新型研发机构 三(二)"));
        assert_eq!(governance.anchor, "c-p2-3-2.4");
        assert!(
            clause("JY", "新型研发机构 三(四)9")
                .text
                .contains("共建協議和建設方案")
        );
        assert!(
            clause("JY", "新型研发机构 四(四)")
                .text
                .contains("3年內不得參與績效評價")
        );
        assert_eq!(
            clause("JY", "新型研发机构 一").parent.as_deref(),
            Some("新型研发机构")
        );
        assert!(
            clause("JY", "创新型企业 二(一)1")
                .text
                .starts_with("全力招引優質科技企業")
        );
        // Items 10 and 12 lost their numbers in the source: their text stays in the section.
        assert!(clause("JY", "技术转移 二(三)").text.contains("服務力.構建"));
        assert!(
            clause("JY", "技术转移 二(三)11")
                .text
                .starts_with("培育專業化服務隊伍")
        );
        let last = jy.clauses.last().unwrap();
        assert_eq!(last.id, "技术转移 三(三)");
        assert!(!last.text.contains("收藏") && !last.text.contains("解讀"));
        let m = &jy.meta;
        assert_eq!(m.issuer.as_deref(), Some("江陰市人民政府辦公室"));
        assert_eq!(m.number.as_deref(), Some("澄政辦發〔2023〕27號"));
        assert_eq!(m.issued_on, NaiveDate::from_ymd_opt(2023, 4, 7));
        assert_eq!(m.published_on, NaiveDate::from_ymd_opt(2023, 4, 27));
        assert_eq!(m.validity.as_deref(), Some("有效"));
        assert_eq!(
            m.title.as_deref(),
            Some("關于印發江陰市創新型企業培育行動計劃(2023—2025年)等科技創新行動計劃的通知")
        );
        assert_eq!(jy.status(), PolicyStatus::Reference);
    }

    #[test]
    fn lyg_metadata_from_the_notice() {
        let lyg = lib("LYG");
        let m = &lyg.meta;
        assert_eq!(m.number.as_deref(), Some("连政办发〔2016〕126号"));
        assert_eq!(m.issuer.as_deref(), Some("连云港市人民政府办公室"));
        assert_eq!(m.issued_on, NaiveDate::from_ymd_opt(2016, 9, 22));
        assert_eq!(m.published_on, None);
        assert_eq!(m.validity, None);
        assert_eq!(
            m.title.as_deref(),
            Some("市政府办公室关于印发连云港市促进科技成果转移转化行动方案的通知")
        );
        assert!(
            clause("LYG", "二(五)16")
                .text
                .contains("10万元及其以上的科研仪器设备的全面开放")
        );
        assert_eq!(ids(lyg, ClauseKind::Item).len(), 16);
    }

    #[test]
    fn js_is_a_draft() {
        let js = lib("JS");
        assert!(js.meta.draft);
        assert_eq!(js.status(), PolicyStatus::Draft);
        assert_eq!(js.title(), "关于突出市场导向建设科技成果转化高地的若干措施");
        assert_eq!(ids(js, ClauseKind::Section).len(), 22);
        assert_eq!(clause("JS", "二(五)").heading, "提升概念验证中心能级");
        assert_eq!(clause("JS", "六(二十二)").anchor, "c-6-22");
        let annex = clause("JS", "附件");
        assert_eq!(annex.heading, "支持政策清单");
        assert!(annex.text.contains("按技术交易额的3%给予奖补"));
        assert_eq!(js.meta.issuer, None);
        assert_eq!(js.meta.number, None);
    }

    #[test]
    fn ids_and_anchors_are_unique_and_parents_come_first() {
        for p in library() {
            let mut ids = HashSet::new();
            let mut anchors = HashSet::new();
            for c in &p.clauses {
                assert!(!c.id.contains('~'), "{} repeats {}", p.short_id(), c.id);
                assert!(ids.insert(c.id.as_str()), "{} {}", p.short_id(), c.id);
                assert!(
                    anchors.insert(c.anchor.as_str()),
                    "{} {}",
                    p.short_id(),
                    c.anchor
                );
                assert!(
                    c.anchor
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '.'),
                    "{}",
                    c.anchor
                );
                if let Some(parent) = &c.parent {
                    assert!(
                        ids.contains(parent.as_str()),
                        "{} {} before its parent",
                        p.short_id(),
                        c.id
                    );
                }
                assert!(
                    !c.heading.is_empty() && !c.text.is_empty(),
                    "{} {}",
                    p.short_id(),
                    c.id
                );
            }
            assert!(p.clauses.len() > 10, "{}", p.short_id());
        }
    }

    #[test]
    fn citations_are_read_with_their_gloss_and_inherited_policy() {
        assert_eq!(
            parse_citation("NT10 三(一) 一顾问"),
            vec![Citation {
                policy: "NT10",
                clause_id: "三(一)".into(),
                gloss: Some("一顾问".into())
            }]
        );
        assert_eq!(
            resolve_citation("NT10 三(一); 四(二)"),
            vec![("NT10", "三(一)".to_owned()), ("NT10", "四(二)".to_owned())]
        );
        assert_eq!(
            resolve_citation("NT10 二(四)3; LYG 二(五)16"),
            vec![
                ("NT10", "二(四)3".to_owned()),
                ("LYG", "二(五)16".to_owned())
            ]
        );
        assert_eq!(
            resolve_citation("JY 新型研发机构 三（二）4"),
            vec![("JY", "新型研发机构 三(二)4".to_owned())]
        );
        assert_eq!(
            resolve_citation("JY 新型研发机构"),
            vec![("JY", "新型研发机构".to_owned())]
        );
        assert!(resolve_citation("NT10 九(九)").is_empty());
        assert!(resolve_citation("XX 一").is_empty());
    }

    #[test]
    fn every_rule_of_the_catalogue_cites_clauses_that_exist() {
        for rule in rules() {
            let pieces = rule.clause.split(';').count();
            let resolved = resolve_citation(rule.clause);
            assert_eq!(
                resolved.len(),
                pieces,
                "{}: {} resolves to {resolved:?}",
                rule.id,
                rule.clause
            );
            for (policy_id, clause_id) in &resolved {
                let matches = policy(policy_id)
                    .unwrap()
                    .clauses
                    .iter()
                    .filter(|c| &c.id == clause_id)
                    .count();
                assert_eq!(matches, 1, "{}: {policy_id} {clause_id}", rule.id);
            }
            // A gloss names a phrase of the clause.
            for c in parse_citation(rule.clause) {
                if let Some(gloss) = &c.gloss {
                    let text = &policy(c.policy).unwrap().clause(&c.clause_id).unwrap().text;
                    assert!(
                        text.contains(gloss.as_str()),
                        "{}: {gloss} not in {}",
                        rule.id,
                        c.clause_id
                    );
                }
            }
        }
        assert_eq!(
            rule_links().len(),
            rules()
                .iter()
                .map(|r| r.clause.split(';').count())
                .sum::<usize>()
        );
    }

    #[test]
    fn statuses_and_roles() {
        let got: Vec<_> = library()
            .iter()
            .map(|p| (p.short_id(), p.status()))
            .collect();
        assert_eq!(
            got,
            [
                ("NT10", PolicyStatus::InForce),
                ("NJ", PolicyStatus::Reference),
                ("JY", PolicyStatus::Reference),
                ("LYG", PolicyStatus::Reference),
                ("JS", PolicyStatus::Draft),
            ]
        );
    }
}
