//! Server-side sessions. The cookie carries a random id; the table stores only its SHA-256.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

use super::security_policy::SecurityPolicy;
use crate::domain::role::Role;
use crate::domain::scope::PlatformRef;

/// A random token, URL-safe base64 of 32 bytes.
pub fn random_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn id_hash(cookie: &str) -> Vec<u8> {
    Sha256::digest(cookie.as_bytes()).to_vec()
}

/// A live session joined with its account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionUser {
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub username: String,
    pub display_name: String,
    pub role: Option<Role>,
    pub platform_id: Option<i64>,
    pub jurisdiction_id: Option<i32>,
    pub jurisdiction_is_city: Option<bool>,
    pub must_change_password: bool,
    pub password_changed_at: DateTime<Utc>,
    pub disabled: bool,
    /// Unread in-app notices (the bell in the header).
    pub unread_notices: i64,
}

/// Creates a session and returns the cookie value.
pub async fn create(
    conn: &mut PgConnection,
    user_id: i64,
    addr: Option<&str>,
) -> Result<String, sqlx::Error> {
    let cookie = random_token();
    sqlx::query!(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, client_addr) VALUES ($1, $2, $3, $4)",
        id_hash(&cookie),
        user_id,
        random_token(),
        addr,
    )
    .execute(conn)
    .await?;
    Ok(cookie)
}

/// Everything the guard needs to know about a request, read in one statement: the security policy,
/// the data version (what the page caches are keyed by, `web::cache`), the session behind the
/// cookie with its account, and the platform the path names (its scope and breadcrumb).
pub struct RequestContext {
    pub policy: SecurityPolicy,
    pub data_version: i64,
    pub session: Option<SessionUser>,
    pub platform: Option<(PlatformRef, String)>,
}

pub async fn load_request(
    pool: &PgPool,
    cookie: &str,
    platform: Option<i64>,
) -> Result<RequestContext, sqlx::Error> {
    // Every column of the session, account and platform is nullable here (the LEFT JOINs): `?`
    // marks them so; the session exists when `user_id` is there.
    let row = sqlx::query!(
        r#"SELECT sp.min_length, sp.min_classes, sp.max_failures, sp.lockout_minutes, sp.idle_minutes,
                sp.admin_idle_minutes, sp.absolute_hours, sp.password_max_age_days, sp.version, sp.updated_at,
                dv.version AS data_version,
                s.user_id AS "user_id?", s.csrf_token AS "csrf_token?", s.created_at AS "created_at?",
                s.last_seen_at AS "last_seen_at?",
                u.username AS "username?", u.display_name AS "display_name?", u.role AS "role?: Role",
                u.platform_id, u.jurisdiction_id,
                (j.kind = 'city') AS jurisdiction_is_city,
                u.must_change_password AS "must_change_password?",
                u.password_changed_at AS "password_changed_at?", u.disabled AS "disabled?",
                (SELECT count(*) FROM notices n WHERE n.user_id = s.user_id AND n.read_at IS NULL)
                    AS "unread_notices!",
                pl.id AS "scoped_id?", pl.jurisdiction_id AS "scoped_jurisdiction_id?",
                pl.advisor_id AS scoped_advisor_id, pl.name AS "scoped_name?"
         FROM security_policy sp
         CROSS JOIN data_version dv
         LEFT JOIN (sessions s JOIN users u ON u.id = s.user_id
                    LEFT JOIN jurisdictions j ON j.id = u.jurisdiction_id) ON s.id_hash = $1
         LEFT JOIN platforms pl ON pl.id = $2
         WHERE sp.id = 1"#,
        id_hash(cookie),
        platform,
    )
    .fetch_one(pool)
    .await?;
    let missing = |column: &str| sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: "NULL in a session column".into(),
    };
    let session = match row.user_id {
        Some(user_id) => Some(SessionUser {
            user_id,
            csrf_token: row.csrf_token.ok_or_else(|| missing("csrf_token"))?,
            created_at: row.created_at.ok_or_else(|| missing("created_at"))?,
            last_seen_at: row.last_seen_at.ok_or_else(|| missing("last_seen_at"))?,
            username: row.username.ok_or_else(|| missing("username"))?,
            display_name: row.display_name.ok_or_else(|| missing("display_name"))?,
            role: row.role,
            platform_id: row.platform_id,
            jurisdiction_id: row.jurisdiction_id,
            jurisdiction_is_city: row.jurisdiction_is_city,
            must_change_password: row
                .must_change_password
                .ok_or_else(|| missing("must_change_password"))?,
            password_changed_at: row
                .password_changed_at
                .ok_or_else(|| missing("password_changed_at"))?,
            disabled: row.disabled.ok_or_else(|| missing("disabled"))?,
            unread_notices: row.unread_notices,
        }),
        None => None,
    };
    let platform = match (row.scoped_id, row.scoped_jurisdiction_id, row.scoped_name) {
        (Some(id), Some(jurisdiction_id), Some(name)) => Some((
            PlatformRef {
                id,
                jurisdiction_id,
                advisor_id: row.scoped_advisor_id,
            },
            name,
        )),
        _ => None,
    };
    Ok(RequestContext {
        policy: SecurityPolicy {
            min_length: row.min_length,
            min_classes: row.min_classes,
            max_failures: row.max_failures,
            lockout_minutes: row.lockout_minutes,
            idle_minutes: row.idle_minutes,
            admin_idle_minutes: row.admin_idle_minutes,
            absolute_hours: row.absolute_hours,
            password_max_age_days: row.password_max_age_days,
            version: row.version,
            updated_at: row.updated_at,
        },
        data_version: row.data_version,
        session,
        platform,
    })
}

/// Marks the session as used now (callers skip this when it was marked in the last minute).
pub async fn touch(pool: &PgPool, cookie: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1",
        id_hash(cookie)
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn delete(conn: &mut PgConnection, cookie: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM sessions WHERE id_hash = $1", id_hash(cookie))
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session of an account (password change, disable, role change).
pub async fn delete_for_user(conn: &mut PgConnection, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM sessions WHERE user_id = $1", user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes sessions past the absolute lifetime (run at start-up and now and then).
pub async fn purge_expired(pool: &PgPool, absolute_hours: i32) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM sessions WHERE created_at < now() - make_interval(hours => $1)",
        absolute_hours
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}
