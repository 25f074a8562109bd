//! The audit trail: one record per write, in the writer's transaction, hash-chained.

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use futures_util::TryStreamExt;
use serde_json::Value;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Transaction};

use crate::domain::audit_chain::{self, AuditRecord, Verifier};
pub use crate::domain::audit_chain::{Break, BreakKind, Verification};
use crate::domain::role::Role;

/// Serialises appends to the chain (held until the writing transaction ends).
const CHAIN_LOCK: i64 = 0x006b_6361_7564_6974; // "kcaudit"

/// Who is acting, and from where.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<i64>,
    pub name: String,
    pub role: Option<Role>,
    pub addr: Option<String>,
}

impl Actor {
    /// The command line and the demo loader act as `system`.
    pub fn system(name: &str) -> Actor {
        Actor {
            id: None,
            name: name.to_string(),
            role: None,
            addr: None,
        }
    }

    fn role_setting(&self) -> &'static str {
        match (self.id, self.role) {
            (None, _) => "system",
            (Some(_), Some(role)) => role.as_str(),
            (Some(_), None) => "none",
        }
    }
}

/// Opens a transaction that knows its actor: the database's 三员分立 triggers read it.
pub async fn begin(
    pool: &PgPool,
    actor: &Actor,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "SELECT set_config('kechuang.actor_role', $1, true) AS actor_role,
                set_config('kechuang.actor_id', $2, true) AS actor_id",
        actor.role_setting(),
        actor.id.map(|i| i.to_string()).unwrap_or_default()
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(tx)
}

/// Appends one record to the chain inside the caller's transaction.
pub async fn record(
    conn: &mut PgConnection,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: Option<String>,
    before: Option<Value>,
    after: Option<Value>,
) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", CHAIN_LOCK)
        .execute(&mut *conn)
        .await?;
    // PostgreSQL normalises JSON as `jsonb` (numbers as exact decimals, `-0` as `0`, keys
    // reordered, duplicates dropped): hash the values as they come back, in the same
    // statement that reads the chain's end, and store that very text. The verifier parses
    // the stored `jsonb` the same way, so it recomputes the same hash.
    let end = sqlx::query!(
        r#"SELECT last.seq AS "seq?", last.hash AS "hash?", $1::jsonb::text AS "before?", $2::jsonb::text AS "after?"
             FROM (SELECT 1) AS one
             LEFT JOIN (SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1) AS last ON true"#,
        before,
        after
    )
    .fetch_one(&mut *conn)
    .await?;
    let (last_seq, last_hash, before, after): (
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = (end.seq, end.hash, end.before, end.after);
    let parse = |text: &Option<String>| -> Result<Option<Value>, sqlx::Error> {
        text.as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))
    };
    let prev_hash = last_hash.unwrap_or_else(|| audit_chain::GENESIS.to_string());
    let r = AuditRecord {
        seq: last_seq.unwrap_or(0) + 1,
        at: Utc::now().trunc_subsecs(6),
        actor_id: actor.id,
        actor_name: actor.name.clone(),
        action: action.to_string(),
        entity: entity.to_string(),
        entity_id,
        before: parse(&before)?,
        after: parse(&after)?,
        client_addr: actor.addr.clone(),
    };
    let hash = audit_chain::record_hash(&prev_hash, &r);
    // `before`/`after` are the text PostgreSQL gave back above, bound as `text` and cast to
    // `jsonb` (`$8::text::jsonb`: the parameter's type is `text`, as the hashed text was).
    sqlx::query!(
        "INSERT INTO audit_log (seq, at, actor_id, actor_name, action, entity, entity_id, before, after,
                                client_addr, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb, $9::text::jsonb, $10, $11, $12)",
        r.seq,
        r.at,
        r.actor_id,
        r.actor_name,
        r.action,
        r.entity,
        r.entity_id,
        before,
        after,
        r.client_addr,
        prev_hash,
        hash
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A stored row with its JSON as PostgreSQL writes it (for the verifier).
struct StoredRow {
    seq: i64,
    at: DateTime<Utc>,
    actor_id: Option<i64>,
    actor_name: String,
    action: String,
    entity: String,
    entity_id: Option<String>,
    before: Option<String>,
    after: Option<String>,
    client_addr: Option<String>,
    prev_hash: String,
    hash: String,
}

impl StoredRow {
    /// The record, or `None` when its JSON does not parse.
    fn record(&self) -> Option<AuditRecord> {
        let parse = |text: &Option<String>| match text {
            None => Some(None),
            Some(t) => serde_json::from_str(t).ok().map(Some),
        };
        Some(AuditRecord {
            seq: self.seq,
            at: self.at,
            actor_id: self.actor_id,
            actor_name: self.actor_name.clone(),
            action: self.action.clone(),
            entity: self.entity.clone(),
            entity_id: self.entity_id.clone(),
            before: parse(&self.before)?,
            after: parse(&self.after)?,
            client_addr: self.client_addr.clone(),
        })
    }
}

/// Filters of the audit browser.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    /// The actor's login name (as recorded).
    pub actor: Option<String>,
    /// An action code, or a prefix of codes ending in `.` (`platform.`).
    pub action: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    /// Records about this platform: the platform itself, or anything carrying its `platform_id`.
    pub platform: Option<i64>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

fn push_filter<'a>(qb: &mut QueryBuilder<'a, Postgres>, f: &'a AuditFilter) {
    qb.push(" WHERE true");
    if let Some(actor) = &f.actor {
        qb.push(" AND a.actor_name = ").push_bind(actor);
    }
    if let Some(action) = &f.action {
        qb.push(" AND a.action LIKE ")
            .push_bind(format!("{}%", action.replace(['%', '_'], "")));
    }
    if let Some(entity) = &f.entity {
        qb.push(" AND a.entity = ").push_bind(entity);
    }
    if let Some(id) = &f.entity_id {
        qb.push(" AND a.entity_id = ").push_bind(id);
    }
    if let Some(p) = f.platform {
        qb.push(" AND ((a.entity = 'platform' AND a.entity_id = ")
            .push_bind(p.to_string())
            .push(") OR a.after->>'platform_id' = ")
            .push_bind(p.to_string())
            .push(" OR a.before->>'platform_id' = ")
            .push_bind(p.to_string())
            .push(")");
    }
    if let Some(from) = f.from {
        qb.push(" AND a.at >= ").push_bind(from);
    }
    if let Some(to) = f.to {
        qb.push(" AND a.at < ").push_bind(to);
    }
}

/// A record as the audit browser lists it: with the actor's display name and role (when the
/// actor is an account) and the platform it concerns (when there is one).
#[derive(Debug, sqlx::FromRow)]
pub struct ListedRow {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub actor_display: Option<String>,
    pub actor_role: Option<Role>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub client_addr: Option<String>,
    pub platform_id: Option<i64>,
    pub platform_name: Option<String>,
}

const LIST_SELECT: &str = "SELECT a.seq, a.at, a.actor_id, a.actor_name,
        COALESCE(u.display_name, un.display_name) AS actor_display, COALESCE(u.role, un.role) AS actor_role,
        a.action, a.entity, a.entity_id, a.before, a.after, a.client_addr, p.id AS platform_id, p.name AS platform_name
    FROM audit_log a
    LEFT JOIN users u ON u.id = a.actor_id
    LEFT JOIN users un ON a.actor_id IS NULL AND un.username = a.actor_name
    LEFT JOIN platforms p ON p.id = CASE
        WHEN a.entity = 'platform' AND a.entity_id ~ '^[0-9]{1,18}$' THEN a.entity_id::bigint
        WHEN a.after->>'platform_id' ~ '^[0-9]{1,18}$' THEN (a.after->>'platform_id')::bigint
        WHEN a.before->>'platform_id' ~ '^[0-9]{1,18}$' THEN (a.before->>'platform_id')::bigint
    END";

/// One page of records, newest first, and the total that match (`limit` = `i64::MAX` for all).
pub async fn list(
    pool: &PgPool,
    f: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ListedRow>, i64), sqlx::Error> {
    // Runtime SQL: the filters are pushed at run time (`push_filter`).
    let mut qb = QueryBuilder::new(LIST_SELECT);
    push_filter(&mut qb, f);
    qb.push(" ORDER BY a.seq DESC LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    let rows = qb.build_query_as::<ListedRow>().fetch_all(pool).await?;
    let mut qb = QueryBuilder::new("SELECT count(*) FROM audit_log a");
    push_filter(&mut qb, f);
    let total: i64 = qb.build_query_scalar().fetch_one(pool).await?;
    Ok((rows, total))
}

/// The people who appear in the trail, for the filter: `(login, display name, role)`, by name.
pub async fn actors(pool: &PgPool) -> Result<Vec<(String, String, Option<Role>)>, sqlx::Error> {
    sqlx::query!(
        r#"SELECT u.username, u.display_name, u.role AS "role: Role" FROM users u
           WHERE EXISTS (SELECT 1 FROM audit_log a WHERE a.actor_name = u.username)
           ORDER BY u.display_name, u.username"#
    )
    .map(|r| (r.username, r.display_name, r.role))
    .fetch_all(pool)
    .await
}

/// Display names of accounts by login name (for events that recorded only the login).
pub async fn display_names(
    pool: &PgPool,
    logins: &[String],
) -> Result<HashMap<String, String>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT username, display_name FROM users WHERE username = ANY($1)",
        logins
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.username, r.display_name))
        .collect())
}

/// Walks the whole chain in `seq` order (streaming) and lists every broken link. When some
/// records do not verify where they are, one more pass finds the records they link to, so a
/// record moved far from its place is named as such.
pub async fn verify(pool: &PgPool) -> Result<Verification, sqlx::Error> {
    let mut verifier = Verifier::default();
    // The JSON as text, parsed here exactly as `record` parsed it before hashing; a value
    // that does not parse (never written by `record`) is reported, not an error.
    let mut rows = sqlx::query_as!(
        StoredRow,
        r#"SELECT seq, at, actor_id, actor_name, action, entity, entity_id, before::text AS "before?",
                  after::text AS "after?", client_addr, prev_hash, hash
           FROM audit_log ORDER BY seq"#
    )
    .fetch(pool);
    while let Some(row) = rows.try_next().await? {
        match row.record() {
            Some(r) => verifier.feed(&r, &row.prev_hash, &row.hash),
            None => verifier.feed_unreadable(row.seq, row.at, &row.prev_hash, &row.hash),
        }
    }
    drop(rows);
    let wanted = verifier.unresolved_links();
    let located: HashMap<String, i64> = if wanted.is_empty() {
        HashMap::new()
    } else {
        sqlx::query!(
            "SELECT hash, seq FROM audit_log WHERE hash = ANY($1)",
            &wanted
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| (r.hash, r.seq))
        .collect()
    };
    Ok(verifier.finish(&located))
}
