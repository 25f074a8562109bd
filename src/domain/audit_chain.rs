//! The audit trail's hash chain. Each record's hash covers its content and the previous
//! record's hash; sequence numbers are gap-free. So an edited row breaks its own hash, a
//! deleted row leaves a gap in `seq`, and a reordered pair breaks the `prev_hash` links.
//!
//! The [`Verifier`] reads the whole chain once and lists every break: after one it
//! re-synchronises on the stored hash, so a false alarm or an old break never hides later
//! tampering.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit record's content, as stored.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub client_addr: Option<String>,
}

/// The SHA-256 (hex) of a record chained to `prev_hash`. Timestamps count in microseconds
/// (PostgreSQL's precision) and JSON is written canonically (sorted keys). The writer hashes
/// `before`/`after` as PostgreSQL's `jsonb` gives them back (see `db::audit::record`), so the
/// hash computed before the insert equals the one recomputed from the stored row.
pub fn record_hash(prev_hash: &str, r: &AuditRecord) -> String {
    hash_at(prev_hash, r, r.seq)
}

/// The hash `r` would have had at position `seq` (to recognise a record moved from there).
fn hash_at(prev_hash: &str, r: &AuditRecord, seq: i64) -> String {
    let json = |v: &Option<Value>| {
        let mut out = String::new();
        canonical_json(v.as_ref().unwrap_or(&Value::Null), &mut out);
        out
    };
    let fields = [
        prev_hash.to_string(),
        seq.to_string(),
        r.at.timestamp_micros().to_string(),
        r.actor_id.map(|i| i.to_string()).unwrap_or_default(),
        r.actor_name.clone(),
        r.action.clone(),
        r.entity.clone(),
        r.entity_id.clone().unwrap_or_default(),
        json(&r.before),
        json(&r.after),
        r.client_addr.clone().unwrap_or_default(),
    ];
    // Length-prefix every field so that no two different records share a text.
    let mut text = String::new();
    for field in fields {
        text.push_str(&format!("{}:{field}", field.len()));
    }
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// JSON with object keys sorted at every level.
fn canonical_json(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical_json(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// How many breaks a [`Verification`] lists; the total is always counted.
pub const MAX_LISTED: usize = 1000;
/// How many suspicious rows the verifier keeps to classify (beyond, each counts as one break).
const MAX_SUSPECTS: usize = 4 * MAX_LISTED;

/// What is wrong at a break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakKind {
    /// The record's content does not match its hash.
    Edited,
    /// Records `seq..=last_seq` are missing.
    Deleted { last_seq: i64 },
    /// The record at `seq` verifies as record `original_seq`: records were swapped or renumbered.
    Moved { original_seq: i64 },
    /// The record at `seq` is not part of the chain: the next record links past it, or it comes
    /// before the first.
    Inserted,
    /// The record at `seq` and the one before it verify on their own but do not link: one of
    /// them was replaced (or re-hashed).
    Unlinked { prev_seq: i64 },
}

/// One broken link of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub seq: i64,
    /// When the record at `seq` was written; for a deletion, the record after the gap.
    pub at: Option<DateTime<Utc>>,
    pub kind: BreakKind,
}

impl Break {
    /// The kind in a word, for the auditor's table.
    pub fn kind_zh(&self) -> &'static str {
        match self.kind {
            BreakKind::Edited => "内容被修改",
            BreakKind::Deleted { .. } => "记录被删除",
            BreakKind::Moved { .. } => "顺序被调换",
            BreakKind::Inserted => "记录被插入",
            BreakKind::Unlinked { .. } => "记录被替换",
        }
    }

    /// The sequence numbers concerned (`3` or `3–5`).
    pub fn seqs(&self) -> String {
        match self.kind {
            BreakKind::Deleted { last_seq } if last_seq > self.seq => {
                format!("{}–{last_seq}", self.seq)
            }
            _ => self.seq.to_string(),
        }
    }

    pub fn describe_zh(&self) -> String {
        let seq = self.seq;
        match self.kind {
            BreakKind::Edited => format!("第 {seq} 条记录的内容与其哈希不符：记录被篡改"),
            BreakKind::Deleted { last_seq } if last_seq > seq => {
                format!(
                    "第 {seq}–{last_seq} 条记录（共 {} 条）缺失：记录被删除",
                    last_seq - seq + 1
                )
            }
            BreakKind::Deleted { .. } => format!("第 {seq} 条记录缺失：记录被删除"),
            BreakKind::Moved { original_seq } => {
                format!("第 {seq} 条的位置上是原第 {original_seq} 条记录：顺序被调换或序号被改动")
            }
            BreakKind::Inserted => format!("第 {seq} 条记录不属于哈希链：记录被插入"),
            BreakKind::Unlinked { prev_seq } => format!(
                "第 {prev_seq} 条与第 {seq} 条记录之间的链接断开：其中一条被替换或重新计算了哈希"
            ),
        }
    }
}

/// The outcome of a verification run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Records read.
    pub checked: i64,
    /// The breaks in `seq` order, at most [`MAX_LISTED`].
    pub breaks: Vec<Break>,
    /// All breaks found (more than listed when the list is full).
    pub total_breaks: i64,
    /// The newest record (deleting the newest records leaves no break: compare with a note).
    pub last: Option<(i64, DateTime<Utc>)>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.total_breaks == 0
    }
}

/// A row that did not verify cleanly, kept for classification.
#[derive(Debug)]
struct Suspect {
    seq: i64,
    at: DateTime<Utc>,
    /// The row before (0: none).
    prev_seq: i64,
    prev_at: Option<DateTime<Utc>>,
    /// Sequence numbers missing just before this row.
    missing: Option<(i64, i64)>,
    /// Numbered before the chain's first record.
    before_start: bool,
    /// Its `prev_hash` is the stored hash of the row before.
    linked: bool,
    /// Its `prev_hash` is the stored hash of the row two before (the one between was inserted).
    links_two_back: bool,
    /// The position whose hash it carries: `Some(seq)` when it verifies where it is, another
    /// number when it was moved, `None` when its content was changed.
    original: Option<i64>,
    /// The record while `original` is unknown, to try again once the chain is read.
    pending: Option<(AuditRecord, String, String)>,
}

/// Verifies records fed in `seq` order and lists every break. Memory stays bounded: clean
/// rows are not kept, suspicious ones up to a cap.
#[derive(Debug)]
pub struct Verifier {
    checked: i64,
    last_seq: i64,
    last_at: Option<DateTime<Utc>>,
    prev_hash: String,
    prev_prev_hash: String,
    /// The original position of the previous row, when known (0 for the genesis).
    prev_original: Option<i64>,
    /// `original - seq` of the last moved row (renumbered runs move by the same offset).
    offset: i64,
    suspects: Vec<Suspect>,
    overflow: i64,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            checked: 0,
            last_seq: 0,
            last_at: None,
            prev_hash: GENESIS.to_string(),
            prev_prev_hash: GENESIS.to_string(),
            prev_original: Some(0),
            offset: 0,
            suspects: Vec::new(),
            overflow: 0,
        }
    }
}

fn verifies_at(r: &AuditRecord, seq: i64, prev_hash: &str, hash: &str) -> bool {
    hash_at(prev_hash, r, seq) == hash
}

impl Verifier {
    /// Checks the next stored record (with its stored `prev_hash` and `hash`); records must
    /// come in increasing `seq` order.
    pub fn feed(&mut self, r: &AuditRecord, prev_hash: &str, hash: &str) {
        let seq = r.seq;
        let linked = prev_hash == self.prev_hash;
        let original = if verifies_at(r, seq, prev_hash, hash) {
            Some(seq)
        } else {
            // Where it may have come from: after the record it links to, by the offset of
            // the last moved record, or one place off (a swap of neighbours).
            let candidates = [
                self.prev_original.filter(|_| linked).map(|o| o + 1),
                (self.offset != 0).then_some(seq + self.offset),
                Some(seq + 1),
                Some(seq - 1),
            ];
            candidates
                .into_iter()
                .flatten()
                .filter(|&c| c >= 1 && c != seq)
                .find(|&c| verifies_at(r, c, prev_hash, hash))
        };
        let pending = original
            .is_none()
            .then(|| (r.clone(), prev_hash.to_string(), hash.to_string()));
        self.step(seq, r.at, prev_hash, hash, original, pending);
    }

    /// A stored row whose content cannot be read back (JSON the writer never stores, such
    /// as a number beyond a double): its content was changed.
    pub fn feed_unreadable(&mut self, seq: i64, at: DateTime<Utc>, prev_hash: &str, hash: &str) {
        self.step(seq, at, prev_hash, hash, None, None);
    }

    fn step(
        &mut self,
        seq: i64,
        at: DateTime<Utc>,
        prev_hash: &str,
        hash: &str,
        original: Option<i64>,
        pending: Option<(AuditRecord, String, String)>,
    ) {
        self.checked += 1;
        let expected = self.last_seq + 1;
        let missing = (seq > expected).then_some((expected, seq - 1));
        let before_start = seq < expected;
        let linked = prev_hash == self.prev_hash;
        let links_two_back = !linked && self.checked > 1 && prev_hash == self.prev_prev_hash;
        let clean = original == Some(seq) && linked && missing.is_none() && !before_start;
        if !clean {
            if self.suspects.len() < MAX_SUSPECTS {
                self.suspects.push(Suspect {
                    seq,
                    at,
                    prev_seq: self.last_seq,
                    prev_at: self.last_at,
                    missing,
                    before_start,
                    linked,
                    links_two_back,
                    original,
                    pending,
                });
            } else {
                self.overflow += 1;
            }
        }
        if let Some(o) = original {
            self.offset = o - seq;
        }
        self.prev_original = original;
        self.last_seq = seq;
        self.last_at = Some(at);
        self.prev_prev_hash = std::mem::replace(&mut self.prev_hash, hash.to_string());
    }

    /// The `prev_hash` of each record whose origin is still unknown: the caller looks up
    /// which stored record carries each of these hashes and passes the answer to
    /// [`Verifier::finish`] (a record moved far from its place is recognised that way).
    pub fn unresolved_links(&self) -> Vec<String> {
        let mut links: Vec<String> = self
            .suspects
            .iter()
            .filter_map(|s| s.pending.as_ref())
            .map(|(_, prev, _)| prev.clone())
            .filter(|prev| prev != GENESIS)
            .collect();
        links.sort();
        links.dedup();
        links
    }

    /// The verification, given the `seq` of the stored record carrying each hash asked for
    /// by [`Verifier::unresolved_links`] (an empty map: no look-up).
    pub fn finish(mut self, located: &HashMap<String, i64>) -> Verification {
        self.resolve(located);
        let suspects = &self.suspects;
        let at_slot = |seq: i64| {
            suspects
                .binary_search_by_key(&seq, |s| s.seq)
                .ok()
                .map(|i| &suspects[i])
        };
        // Not the record that belongs at its place (moved, changed or inserted).
        let misplaced =
            |seq: i64| at_slot(seq).is_some_and(|s| s.before_start || s.original != Some(s.seq));
        let mut breaks: Vec<Break> = Vec::new();
        for s in suspects {
            let here = |kind| Break {
                seq: s.seq,
                at: Some(s.at),
                kind,
            };
            if s.before_start {
                breaks.push(here(BreakKind::Inserted));
                continue;
            }
            if let Some((first, last)) = s.missing {
                breaks.push(Break {
                    seq: first,
                    at: Some(s.at),
                    kind: BreakKind::Deleted { last_seq: last },
                });
            }
            match s.original {
                None => breaks.push(here(BreakKind::Edited)),
                Some(o) if o != s.seq => breaks.push(here(BreakKind::Moved { original_seq: o })),
                Some(_) => {}
            }
            // A broken link is explained by a gap or by a record out of place (this one or
            // the previous one); a record linking two back skips an inserted one; anything
            // else is a break of its own.
            if s.linked || s.missing.is_some() || misplaced(s.prev_seq) {
                continue;
            }
            if s.links_two_back {
                breaks.push(Break {
                    seq: s.prev_seq,
                    at: s.prev_at,
                    kind: BreakKind::Inserted,
                });
            } else if s.original == Some(s.seq) {
                breaks.push(here(BreakKind::Unlinked {
                    prev_seq: s.prev_seq,
                }));
            }
        }
        breaks.sort_by_key(|b| b.seq);
        let total_breaks = breaks.len() as i64 + self.overflow;
        breaks.truncate(MAX_LISTED);
        Verification {
            checked: self.checked,
            breaks,
            total_breaks,
            last: self.last_at.map(|at| (self.last_seq, at)),
        }
    }

    /// Recognises records moved far from their place: one that links to the record stored
    /// at `j` was written right after that record's original position.
    fn resolve(&mut self, located: &HashMap<String, i64>) {
        // A chain of moved records resolves one link per round.
        for _ in 0..4 {
            let originals: HashMap<i64, Option<i64>> =
                self.suspects.iter().map(|s| (s.seq, s.original)).collect();
            let original_at = |j: i64| originals.get(&j).copied().unwrap_or(Some(j));
            let mut progress = false;
            for s in &mut self.suspects {
                let Some((r, prev, hash)) = &s.pending else {
                    continue;
                };
                let candidate = if prev == GENESIS {
                    Some(1)
                } else {
                    located
                        .get(prev)
                        .and_then(|&j| original_at(j))
                        .map(|o| o + 1)
                };
                if let Some(c) = candidate.filter(|&c| c != s.seq)
                    && verifies_at(r, c, prev, hash)
                {
                    s.original = Some(c);
                    s.pending = None;
                    progress = true;
                }
            }
            if !progress {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    type Row = (AuditRecord, String, String);

    fn record(seq: i64, action: &str) -> AuditRecord {
        AuditRecord {
            seq,
            at: Utc.timestamp_micros(1_700_000_000_000_000 + seq).unwrap(),
            actor_id: Some(7),
            actor_name: "demo-staff".into(),
            action: action.into(),
            entity: "platform".into(),
            entity_id: Some("12".into()),
            before: Some(json!({"name": "甲", "b": [1, 2]})),
            after: Some(json!({"b": [1, 2], "name": "乙"})),
            client_addr: Some("127.0.0.1".into()),
        }
    }

    fn chain(n: i64) -> Vec<Row> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let r = record(seq, &format!("update{seq}"));
                let hash = record_hash(&prev, &r);
                let row = (r, prev.clone(), hash.clone());
                prev = hash;
                row
            })
            .collect()
    }

    /// Feeds rows in `seq` order (as the database returns them) and resolves far moves the
    /// way `db::audit::verify` does.
    fn verify(rows: &[Row]) -> Verification {
        let mut sorted: Vec<&Row> = rows.iter().collect();
        sorted.sort_by_key(|(r, _, _)| r.seq);
        let mut v = Verifier::default();
        for (r, prev, hash) in &sorted {
            v.feed(r, prev, hash);
        }
        let wanted = v.unresolved_links();
        let located = sorted
            .iter()
            .filter(|(_, _, hash)| wanted.contains(hash))
            .map(|(r, _, hash)| (hash.clone(), r.seq))
            .collect();
        v.finish(&located)
    }

    fn kinds(v: &Verification) -> Vec<(i64, BreakKind)> {
        v.breaks.iter().map(|b| (b.seq, b.kind.clone())).collect()
    }

    /// Swaps everything but `seq` between the rows at positions `a` and `b` (0-based).
    fn swap(rows: &mut [Row], a: usize, b: usize) {
        let (sa, sb) = (rows[a].0.seq, rows[b].0.seq);
        rows.swap(a, b);
        rows[a].0.seq = sa;
        rows[b].0.seq = sb;
    }

    #[test]
    fn intact_chain_verifies() {
        let v = verify(&chain(5));
        assert!(v.is_intact(), "{v:?}");
        assert_eq!((v.checked, v.last.map(|l| l.0)), (5, Some(5)));
        let empty = verify(&[]);
        assert!(empty.is_intact());
        assert_eq!((empty.checked, empty.last), (0, None));
    }

    #[test]
    fn key_order_does_not_change_the_hash() {
        let a = record(1, "x");
        let mut b = a.clone();
        b.before = Some(json!({"b": [1, 2], "name": "甲"}));
        assert_eq!(record_hash(GENESIS, &a), record_hash(GENESIS, &b));
    }

    #[test]
    fn detects_an_edit_and_goes_on() {
        let mut rows = chain(8);
        rows[2].0.actor_name = "someone-else".into();
        rows[5].0.after = Some(json!({"score": 99.5}));
        let v = verify(&rows);
        assert_eq!(
            kinds(&v),
            vec![(3, BreakKind::Edited), (6, BreakKind::Edited)]
        );
        assert_eq!(v.total_breaks, 2);
        assert_eq!(v.breaks[0].at, Some(rows[2].0.at));
        assert!(
            v.breaks[0]
                .describe_zh()
                .contains("第 3 条记录的内容与其哈希不符")
        );
    }

    #[test]
    fn detects_deletions_single_and_runs() {
        let mut rows = chain(10);
        rows.remove(7); // seq 8
        rows.drain(1..4); // seqs 2–4
        let v = verify(&rows);
        assert_eq!(
            kinds(&v),
            vec![
                (2, BreakKind::Deleted { last_seq: 4 }),
                (8, BreakKind::Deleted { last_seq: 8 })
            ]
        );
        assert_eq!(v.breaks[0].seqs(), "2–4");
        assert_eq!(
            v.breaks[0].at,
            Some(rows[1].0.at),
            "the record after the gap"
        );
        assert!(v.breaks[0].describe_zh().contains("共 3 条"));
        // The first record deleted.
        let v = verify(&chain(3)[1..]);
        assert_eq!(kinds(&v), vec![(1, BreakKind::Deleted { last_seq: 1 })]);
    }

    #[test]
    fn detects_a_swap_of_neighbours_and_a_far_swap() {
        let mut rows = chain(12);
        swap(&mut rows, 1, 2); // seqs 2 and 3
        swap(&mut rows, 5, 9); // seqs 6 and 10
        let v = verify(&rows);
        assert_eq!(
            kinds(&v),
            vec![
                (2, BreakKind::Moved { original_seq: 3 }),
                (3, BreakKind::Moved { original_seq: 2 }),
                (6, BreakKind::Moved { original_seq: 10 }),
                (10, BreakKind::Moved { original_seq: 6 }),
            ]
        );
        assert!(v.breaks[0].describe_zh().contains("原第 3 条"));
    }

    #[test]
    fn a_far_swap_without_the_look_up_is_still_reported() {
        let mut rows = chain(12);
        swap(&mut rows, 2, 8);
        let mut v = Verifier::default();
        for (r, prev, hash) in &rows {
            v.feed(r, prev, hash);
        }
        let v = v.finish(&HashMap::new());
        // Recognised as changed records rather than moved ones, but at the right places.
        assert_eq!(
            kinds(&v),
            vec![(3, BreakKind::Edited), (9, BreakKind::Edited)]
        );
    }

    #[test]
    fn detects_a_renumbered_tail_after_a_deletion() {
        // Record 4 deleted and the later ones renumbered to hide the gap.
        let mut rows = chain(8);
        rows.remove(3);
        for row in &mut rows[3..] {
            row.0.seq -= 1;
        }
        let v = verify(&rows);
        assert_eq!(
            kinds(&v),
            (4..=7)
                .map(|seq| (
                    seq,
                    BreakKind::Moved {
                        original_seq: seq + 1
                    }
                ))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn detects_an_insertion() {
        // A forged record before the first one.
        let mut rows = chain(3);
        let mut forged = record(0, "forged");
        forged.actor_name = "intruder".into();
        let hash = record_hash(GENESIS, &forged);
        rows.insert(0, (forged, GENESIS.to_string(), hash));
        assert_eq!(kinds(&verify(&rows)), vec![(0, BreakKind::Inserted)]);
        // A forged record in the middle, the later ones renumbered to make room.
        let mut rows = chain(5);
        for row in &mut rows[2..] {
            row.0.seq += 1;
        }
        let forged = record(3, "forged");
        let hash = record_hash(&rows[1].2, &forged);
        rows.insert(2, (forged, rows[1].2.clone(), hash));
        let v = verify(&rows);
        assert_eq!(
            kinds(&v),
            vec![
                (3, BreakKind::Inserted),
                (4, BreakKind::Moved { original_seq: 3 }),
                (5, BreakKind::Moved { original_seq: 4 }),
                (6, BreakKind::Moved { original_seq: 5 }),
            ]
        );
    }

    #[test]
    fn detects_a_replaced_record_with_a_recomputed_hash() {
        let mut rows = chain(5);
        rows[2].0.actor_name = "someone-else".into();
        rows[2].2 = record_hash(&rows[2].1, &rows[2].0);
        assert_eq!(
            kinds(&verify(&rows)),
            vec![(4, BreakKind::Unlinked { prev_seq: 3 })]
        );
    }

    #[test]
    fn every_kind_at_once() {
        let mut rows = chain(20);
        rows[3].0.action = "edited".into(); // seq 4
        swap(&mut rows, 9, 10); // seqs 10, 11
        rows.remove(15); // seq 16
        let v = verify(&rows);
        assert_eq!(
            kinds(&v),
            vec![
                (4, BreakKind::Edited),
                (10, BreakKind::Moved { original_seq: 11 }),
                (11, BreakKind::Moved { original_seq: 10 }),
                (16, BreakKind::Deleted { last_seq: 16 }),
            ]
        );
        assert_eq!(v.checked, 19);
    }

    #[test]
    fn an_unreadable_row_is_an_edit_and_the_chain_goes_on() {
        let rows = chain(5);
        let mut v = Verifier::default();
        for (i, (r, prev, hash)) in rows.iter().enumerate() {
            if i == 1 {
                v.feed_unreadable(r.seq, r.at, prev, hash);
            } else {
                v.feed(r, prev, hash);
            }
        }
        let v = v.finish(&HashMap::new());
        assert_eq!(kinds(&v), vec![(2, BreakKind::Edited)]);
        assert_eq!(v.checked, 5);
    }

    #[test]
    fn the_list_is_capped_and_the_total_counted() {
        let mut rows = chain(MAX_LISTED as i64 + 300);
        for row in &mut rows {
            row.0.actor_name = "x".into();
        }
        let v = verify(&rows);
        assert_eq!(v.breaks.len(), MAX_LISTED);
        assert_eq!(v.total_breaks, MAX_LISTED as i64 + 300);
        assert!(!v.is_intact());
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        let mut a = record(1, "ab");
        a.entity = "c".into();
        let mut b = record(1, "a");
        b.entity = "bc".into();
        assert_ne!(record_hash(GENESIS, &a), record_hash(GENESIS, &b));
    }
}
