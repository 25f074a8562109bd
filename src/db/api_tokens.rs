//! API tokens for other systems (migration 0021). The token itself is shown once when it is
//! issued; the table keeps its SHA-256 (the token is 256 random bits, so a fast hash is enough).

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

use crate::domain::scope::PlatformScope;

/// Every token starts with this, so a leaked one is easy to recognise (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "kc_";

/// A fresh token: [`TOKEN_PREFIX`] and 32 random bytes in URL-safe base64.
pub fn new_token() -> String {
    format!("{TOKEN_PREFIX}{}", super::sessions::random_token())
}

/// The stored form of a token.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// What the list shows of a token (never the token).
fn shown_prefix(token: &str) -> String {
    token.chars().take(TOKEN_PREFIX.len() + 6).collect()
}

/// A token as the security admin's list shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub jurisdiction_name: String,
    pub jurisdiction_is_city: bool,
    pub token_prefix: String,
    pub expires_at: DateTime<Utc>,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl TokenRow {
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }
}

/// One page of tokens, newest first, and how many there are.
pub async fn list(
    pool: &PgPool,
    limit: i64,
    offset: i64,
) -> Result<(Vec<TokenRow>, i64), sqlx::Error> {
    let rows = sqlx::query_as!(
        TokenRow,
        r#"SELECT t.id, t.name, j.name AS jurisdiction_name, (j.kind = 'city') AS "jurisdiction_is_city!",
                t.token_prefix, t.expires_at, u.display_name AS created_by_name, t.created_at,
                t.revoked_at, t.last_used_at
         FROM api_tokens t
         JOIN jurisdictions j ON j.id = t.jurisdiction_id
         JOIN users u ON u.id = t.created_by
         ORDER BY t.created_at DESC, t.id DESC
         LIMIT $1 OFFSET $2"#,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM api_tokens"#)
        .fetch_one(pool)
        .await?;
    Ok((rows, total))
}

/// What is stored when a token is issued.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub name: &'a str,
    pub jurisdiction_id: i32,
    pub expires_at: DateTime<Utc>,
    pub created_by: i64,
}

/// Stores a new token (the transaction must act as the security admin `created_by`); returns its id.
pub async fn insert(
    conn: &mut PgConnection,
    t: &NewToken<'_>,
    token: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO api_tokens (name, jurisdiction_id, token_hash, token_prefix, expires_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        t.name,
        t.jurisdiction_id,
        hash(token),
        shown_prefix(token),
        t.expires_at,
        t.created_by
    )
    .fetch_one(conn)
    .await
}

/// Revokes a token that is not yet revoked; returns its name, or `None` when there is no such
/// live token (already revoked, or unknown).
pub async fn revoke(
    conn: &mut PgConnection,
    id: i64,
    by: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE api_tokens SET revoked_at = now(), revoked_by = $2
         WHERE id = $1 AND revoked_at IS NULL RETURNING name",
        id,
        by
    )
    .fetch_optional(conn)
    .await
}

/// A token presented by a client, as the API guard sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Presented {
    pub id: i64,
    pub name: String,
    pub jurisdiction_id: i32,
    pub jurisdiction_is_city: bool,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Presented {
    /// The platforms the token may read: the whole city, or one county's.
    pub fn scope(&self) -> PlatformScope {
        if self.jurisdiction_is_city {
            PlatformScope::All
        } else {
            PlatformScope::Jurisdiction(self.jurisdiction_id)
        }
    }
}

/// The token with this value, live or not (`None`: no such token).
pub async fn find(pool: &PgPool, token: &str) -> Result<Option<Presented>, sqlx::Error> {
    sqlx::query_as!(
        Presented,
        r#"SELECT t.id, t.name, t.jurisdiction_id, (j.kind = 'city') AS "jurisdiction_is_city!",
                t.expires_at, t.revoked_at
         FROM api_tokens t JOIN jurisdictions j ON j.id = t.jurisdiction_id
         WHERE t.token_hash = $1"#,
        hash(token)
    )
    .fetch_optional(pool)
    .await
}

/// Records that the token was used now (in the call's audit transaction).
pub async fn mark_used(conn: &mut PgConnection, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE api_tokens SET last_used_at = now() WHERE id = $1",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 43);
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(shown_prefix(&a).len(), TOKEN_PREFIX.len() + 6);
    }
}
