//! The audit trail's hash chain. Each record's hash covers its content and the previous
//! record's hash; sequence numbers are gap-free. So an edited row breaks its own hash, a
//! deleted row leaves a gap in `seq`, and a reordered pair breaks the `prev_hash` links.

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
/// (PostgreSQL's precision) and JSON is written canonically (sorted keys), so the hash
/// computed before the insert equals the one recomputed from the stored row.
pub fn record_hash(prev_hash: &str, r: &AuditRecord) -> String {
    let json = |v: &Option<Value>| {
        let mut out = String::new();
        canonical_json(v.as_ref().unwrap_or(&Value::Null), &mut out);
        out
    };
    let fields = [
        prev_hash.to_string(),
        r.seq.to_string(),
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

/// The first broken link found by [`Verifier`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// A record is missing (deleted) or the sequence does not start at 1.
    Gap { expected_seq: i64, found_seq: i64 },
    /// The record does not point at its predecessor (reordered or re-chained).
    PrevMismatch { seq: i64 },
    /// The record's content does not match its hash (edited).
    HashMismatch { seq: i64 },
}

impl Break {
    pub fn seq(&self) -> i64 {
        match self {
            Break::Gap { found_seq, .. } => *found_seq,
            Break::PrevMismatch { seq } | Break::HashMismatch { seq } => *seq,
        }
    }

    pub fn describe_zh(&self) -> String {
        match self {
            Break::Gap {
                expected_seq,
                found_seq,
            } => format!("第 {expected_seq} 条记录缺失（下一条为第 {found_seq} 条）：记录被删除"),
            Break::PrevMismatch { seq } => {
                format!("第 {seq} 条记录与前一条的链接断开：记录被重排或替换")
            }
            Break::HashMismatch { seq } => format!("第 {seq} 条记录的内容与其哈希不符：记录被篡改"),
        }
    }
}

/// Verifies records fed in `seq` order, in constant memory.
#[derive(Debug)]
pub struct Verifier {
    expected_seq: i64,
    prev_hash: String,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            expected_seq: 1,
            prev_hash: GENESIS.to_string(),
        }
    }
}

impl Verifier {
    /// Checks the next stored record (with its stored `prev_hash` and `hash`).
    pub fn feed(&mut self, r: &AuditRecord, prev_hash: &str, hash: &str) -> Result<(), Break> {
        if r.seq != self.expected_seq {
            return Err(Break::Gap {
                expected_seq: self.expected_seq,
                found_seq: r.seq,
            });
        }
        if prev_hash != self.prev_hash {
            return Err(Break::PrevMismatch { seq: r.seq });
        }
        if record_hash(prev_hash, r) != hash {
            return Err(Break::HashMismatch { seq: r.seq });
        }
        self.expected_seq += 1;
        self.prev_hash = hash.to_string();
        Ok(())
    }

    /// How many records verified so far.
    pub fn verified(&self) -> i64 {
        self.expected_seq - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

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

    fn chain(n: i64) -> Vec<(AuditRecord, String, String)> {
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

    fn verify(rows: &[(AuditRecord, String, String)]) -> Result<i64, Break> {
        let mut v = Verifier::default();
        for (r, prev, hash) in rows {
            v.feed(r, prev, hash)?;
        }
        Ok(v.verified())
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn key_order_does_not_change_the_hash() {
        let a = record(1, "x");
        let mut b = a.clone();
        b.before = Some(json!({"b": [1, 2], "name": "甲"}));
        assert_eq!(record_hash(GENESIS, &a), record_hash(GENESIS, &b));
    }

    #[test]
    fn detects_an_edit() {
        let mut rows = chain(5);
        rows[2].0.actor_name = "someone-else".into();
        assert_eq!(verify(&rows), Err(Break::HashMismatch { seq: 3 }));
    }

    #[test]
    fn detects_a_deletion() {
        let mut rows = chain(5);
        rows.remove(1);
        assert_eq!(
            verify(&rows),
            Err(Break::Gap {
                expected_seq: 2,
                found_seq: 3
            })
        );
    }

    #[test]
    fn detects_a_reordering() {
        let mut rows = chain(5);
        // Swap the contents of records 2 and 3 but keep the sequence numbers in order.
        let (a, b) = (rows[1].clone(), rows[2].clone());
        rows[1] = (AuditRecord { seq: 2, ..b.0 }, b.1, b.2);
        rows[2] = (AuditRecord { seq: 3, ..a.0 }, a.1, a.2);
        assert_eq!(verify(&rows), Err(Break::PrevMismatch { seq: 2 }));
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
