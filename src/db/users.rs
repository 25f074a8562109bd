//! Accounts.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};

use crate::domain::role::Role;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: Option<Role>,
    pub platform_id: Option<i64>,
    pub jurisdiction_id: Option<i32>,
    pub must_change_password: bool,
    pub password_changed_at: DateTime<Utc>,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub disabled: bool,
    pub is_demo: bool,
    pub version: i32,
    /// Where notices are e-mailed (set by the system admin); None: in-app only.
    pub email: Option<String>,
    /// Whether reminders are e-mailed too (decisions always are).
    pub mail_reminders: bool,
}

impl User {
    pub fn role(&self) -> Option<Role> {
        self.role
    }

    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|t| t > now)
    }

    /// The audit view of an account: never the password hash.
    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// A row of the account lists, with names resolved.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserListRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Option<Role>,
    pub platform_name: Option<String>,
    pub jurisdiction_name: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
    pub disabled: bool,
    pub must_change_password: bool,
    pub version: i32,
}

impl UserListRow {
    pub fn role_label(&self) -> &'static str {
        self.role.map_or("未分配", Role::label_zh)
    }
    pub fn is_locked(&self) -> bool {
        self.locked_until.is_some_and(|t| t > Utc::now())
    }
    /// An administrator account: resets and status changes need a second administrator.
    pub fn is_admin(&self) -> bool {
        self.role.is_some_and(Role::is_admin)
    }
}

pub async fn find_by_username(pool: &PgPool, username: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        r#"SELECT id, username, display_name, password_hash, role AS "role: Role", platform_id, jurisdiction_id,
                must_change_password, password_changed_at, failed_logins, locked_until, disabled, is_demo,
                version, email, mail_reminders
         FROM users WHERE username = $1"#,
        username.trim().to_lowercase()
    )
    .fetch_optional(pool)
    .await
}

pub async fn get(conn: &mut PgConnection, id: i64) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        r#"SELECT id, username, display_name, password_hash, role AS "role: Role", platform_id, jurisdiction_id,
                must_change_password, password_changed_at, failed_logins, locked_until, disabled, is_demo,
                version, email, mail_reminders
         FROM users WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Sets (or clears) an account's e-mail address; the account as it is now.
pub async fn set_email(
    conn: &mut PgConnection,
    id: i64,
    email: Option<&str>,
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        r#"UPDATE users SET email = $2 WHERE id = $1
         RETURNING id, username, display_name, password_hash, role AS "role: Role", platform_id, jurisdiction_id,
                must_change_password, password_changed_at, failed_logins, locked_until, disabled, is_demo,
                version, email, mail_reminders"#,
        id,
        email
    )
    .fetch_optional(conn)
    .await
}

/// Whether the account's reminders are e-mailed too.
pub async fn mail_reminders(conn: &mut PgConnection, id: i64) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!("SELECT mail_reminders FROM users WHERE id = $1", id)
        .fetch_one(conn)
        .await
}

/// Whether the account's reminders are e-mailed too (its owner decides).
pub async fn set_mail_reminders(
    conn: &mut PgConnection,
    id: i64,
    on: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!("UPDATE users SET mail_reminders = $2 WHERE id = $1", id, on)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn list(pool: &PgPool, q: &str) -> Result<Vec<UserListRow>, sqlx::Error> {
    sqlx::query_as!(
        UserListRow,
        r#"SELECT u.id, u.username, u.display_name, u.role AS "role: Role", p.name AS "platform_name?",
                j.name AS "jurisdiction_name?", u.locked_until, u.disabled, u.must_change_password, u.version
         FROM users u
         LEFT JOIN platforms p ON p.id = u.platform_id
         LEFT JOIN jurisdictions j ON j.id = u.jurisdiction_id
         WHERE $1 = '' OR u.username ILIKE '%' || $1 || '%' OR u.display_name ILIKE '%' || $1 || '%'
         ORDER BY u.username"#,
        q.trim()
    )
    .fetch_all(pool)
    .await
}

/// A new account, without a role (the security admin assigns one), unless `role` is given by
/// the bootstrap command line or the demo loader (acting as `system`).
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: Option<Role>,
    pub platform_id: Option<i64>,
    pub jurisdiction_id: Option<i32>,
    pub must_change_password: bool,
    pub is_demo: bool,
}

pub async fn insert(conn: &mut PgConnection, u: &NewUser<'_>) -> Result<User, sqlx::Error> {
    sqlx::query_as!(
        User,
        r#"INSERT INTO users (username, display_name, password_hash, role, platform_id, jurisdiction_id,
                            must_change_password, is_demo)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING id, username, display_name, password_hash, role AS "role: Role", platform_id, jurisdiction_id,
                must_change_password, password_changed_at, failed_logins, locked_until, disabled, is_demo,
                version, email, mail_reminders"#,
        u.username,
        u.display_name,
        u.password_hash,
        u.role as Option<Role>,
        u.platform_id,
        u.jurisdiction_id,
        u.must_change_password,
        u.is_demo
    )
    .fetch_one(conn)
    .await
}

/// Sets role and scope if the row is still at `version`; `None` on a stale version.
pub async fn set_role(
    conn: &mut PgConnection,
    id: i64,
    version: i32,
    role: Option<Role>,
    platform_id: Option<i64>,
    jurisdiction_id: Option<i32>,
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        r#"UPDATE users SET role = $3, platform_id = $4, jurisdiction_id = $5, version = version + 1
         WHERE id = $1 AND version = $2
         RETURNING id, username, display_name, password_hash, role AS "role: Role", platform_id, jurisdiction_id,
                must_change_password, password_changed_at, failed_logins, locked_until, disabled, is_demo,
                version, email, mail_reminders"#,
        id,
        version,
        role as Option<Role>,
        platform_id,
        jurisdiction_id
    )
    .fetch_optional(conn)
    .await
}

pub async fn set_password(
    conn: &mut PgConnection,
    id: i64,
    password_hash: &str,
    must_change: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET password_hash = $2, must_change_password = $3, password_changed_at = now(),
                          failed_logins = 0, locked_until = NULL, version = version + 1
         WHERE id = $1",
        id,
        password_hash,
        must_change
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Counts a failed login and locks the account once `max_failures` is reached.
/// Returns the updated row.
pub async fn record_failure(
    conn: &mut PgConnection,
    id: i64,
    max_failures: i32,
    lockout_minutes: i32,
) -> Result<User, sqlx::Error> {
    sqlx::query_as!(
        User,
        r#"UPDATE users SET
            failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
            locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + make_interval(mins => $3)
                                ELSE locked_until END
         WHERE id = $1
         RETURNING id, username, display_name, password_hash, role AS "role: Role", platform_id, jurisdiction_id,
                must_change_password, password_changed_at, failed_logins, locked_until, disabled, is_demo,
                version, email, mail_reminders"#,
        id,
        max_failures,
        lockout_minutes
    )
    .fetch_one(conn)
    .await
}

pub async fn reset_failures(conn: &mut PgConnection, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET failed_logins = 0, locked_until = NULL
         WHERE id = $1 AND (failed_logins > 0 OR locked_until IS NOT NULL)",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_disabled(
    conn: &mut PgConnection,
    id: i64,
    disabled: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET disabled = $2, version = version + 1 WHERE id = $1",
        id,
        disabled
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends the old password: an unguessable one nobody knows, to be replaced through a reset link.
/// The account must set a new password.
pub async fn invalidate_password(
    conn: &mut PgConnection,
    id: i64,
    unusable_hash: &str,
) -> Result<(), sqlx::Error> {
    set_password(conn, id, unusable_hash, true).await
}

// ---- one-time password-reset links ----------------------------------------------------

/// A reset link as stored (the token itself never is).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResetLink {
    pub id: i64,
    pub user_id: i64,
    pub issued_by: i64,
    pub request_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Why a link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Live,
    Used,
    Revoked,
    Expired,
}

impl ResetLink {
    pub fn state(&self, now: DateTime<Utc>) -> LinkState {
        if self.used_at.is_some() {
            LinkState::Used
        } else if self.revoked_at.is_some() {
            LinkState::Revoked
        } else if self.expires_at <= now {
            LinkState::Expired
        } else {
            LinkState::Live
        }
    }
}

fn token_hash(token: &str) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Issues a reset link for `user_id` (revoking any earlier live one) in the caller's
/// transaction; returns the token, to be shown once. `request_id` names the approved request
/// for an administrator account.
pub async fn issue_reset_link(
    conn: &mut PgConnection,
    user_id: i64,
    issued_by: i64,
    request_id: Option<i64>,
) -> Result<(String, ResetLink), sqlx::Error> {
    sqlx::query!(
        "UPDATE password_reset_links SET revoked_at = now()
         WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL",
        user_id
    )
    .execute(&mut *conn)
    .await?;
    let token = crate::db::sessions::random_token();
    let link = sqlx::query_as!(
        ResetLink,
        "INSERT INTO password_reset_links (user_id, token_hash, issued_by, request_id)
         VALUES ($1, $2, $3, $4)
         RETURNING id, user_id, issued_by, request_id, created_at, expires_at, used_at, revoked_at",
        user_id,
        token_hash(&token),
        issued_by,
        request_id
    )
    .fetch_one(conn)
    .await?;
    Ok((token, link))
}

/// The link behind a token, whatever its state; `lock` holds it for the rest of the transaction.
pub async fn find_reset_link(
    conn: &mut PgConnection,
    token: &str,
    lock: bool,
) -> Result<Option<ResetLink>, sqlx::Error> {
    let hash = token_hash(token);
    if lock {
        sqlx::query_as!(
            ResetLink,
            "SELECT id, user_id, issued_by, request_id, created_at, expires_at, used_at, revoked_at
             FROM password_reset_links WHERE token_hash = $1 FOR UPDATE",
            hash
        )
        .fetch_optional(conn)
        .await
    } else {
        sqlx::query_as!(
            ResetLink,
            "SELECT id, user_id, issued_by, request_id, created_at, expires_at, used_at, revoked_at
             FROM password_reset_links WHERE token_hash = $1",
            hash
        )
        .fetch_optional(conn)
        .await
    }
}

/// Consumes a live link (the owner acting); `false` if it was no longer live.
pub async fn use_reset_link(conn: &mut PgConnection, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE password_reset_links SET used_at = now()
         WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()",
        id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
