//! Dual control for administrator accounts: pending requests that a second administrator
//! approves or rejects (see `web::admin` for the rules, migration 0015 for the triggers that
//! hold them in the database).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use crate::db::audit::Actor;
use crate::domain::role::Role;

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    PasswordReset,
    Disable,
    Enable,
    RoleChange,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PasswordReset => "password_reset",
            Kind::Disable => "disable",
            Kind::Enable => "enable",
            Kind::RoleChange => "role_change",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [
            Kind::PasswordReset,
            Kind::Disable,
            Kind::Enable,
            Kind::RoleChange,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Kind::PasswordReset => "重置密码",
            Kind::Disable => "停用账户",
            Kind::Enable => "启用账户",
            Kind::RoleChange => "变更角色",
        }
    }

    /// The administrator role that files this kind of request: accounts belong to the system
    /// admin, roles to the security admin (三员分立).
    pub fn requester_role(self) -> Role {
        match self {
            Kind::RoleChange => Role::Secadmin,
            _ => Role::Sysadmin,
        }
    }
}

/// Roles that may approve or reject a request (never the requester, never the target).
pub const APPROVER_ROLES: [Role; 2] = [Role::Sysadmin, Role::Secadmin];

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AdminRequest {
    pub id: i64,
    pub kind: String,
    pub target_id: i64,
    pub payload: Value,
    pub reason: String,
    pub requested_by: i64,
    pub requested_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub status: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl AdminRequest {
    pub fn kind(&self) -> Option<Kind> {
        Kind::parse(&self.kind)
    }

    /// The audit view of a request.
    pub fn audit_json(&self) -> Value {
        serde_json::json!({
            "kind": self.kind,
            "target_id": self.target_id,
            "payload": self.payload,
            "reason": self.reason,
            "requested_by": self.requested_by,
            "expires_at": self.expires_at,
            "status": self.status,
            "decided_by": self.decided_by,
        })
    }
}

/// A request as the list shows it, names resolved.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestRow {
    pub id: i64,
    pub kind: String,
    pub target_id: i64,
    pub reason: String,
    pub requested_by: i64,
    pub requested_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub status: String,
    pub decided_at: Option<DateTime<Utc>>,
    pub target_username: String,
    pub target_name: String,
    pub target_role: Option<String>,
    pub requester_name: String,
    pub decider_name: Option<String>,
    pub new_role: Option<String>,
    pub new_scope: Option<String>,
}

impl RequestRow {
    pub fn kind_label(&self) -> &'static str {
        Kind::parse(&self.kind)
            .map(Kind::label_zh)
            .unwrap_or("其他")
    }

    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "pending" if self.expires_at <= Utc::now() => "已过期",
            "pending" => "待审批",
            "approved" => "已批准并执行",
            "rejected" => "已驳回",
            "expired" => "已过期",
            _ => "未知",
        }
    }

    /// The chip colour of the status (shared classes of `app.css`).
    pub fn status_class(&self) -> &'static str {
        match self.status.as_str() {
            "pending" if self.expires_at > Utc::now() => "status-open",
            "approved" => "status-approved",
            "rejected" => "status-returned",
            _ => "status-none",
        }
    }

    pub fn is_open(&self) -> bool {
        self.status == "pending" && self.expires_at > Utc::now()
    }

    pub fn role_label(role: &Option<String>) -> &'static str {
        role.as_deref()
            .and_then(Role::parse)
            .map(Role::label_zh)
            .unwrap_or("未分配角色")
    }

    pub fn target_role_label(&self) -> &'static str {
        Self::role_label(&self.target_role)
    }

    /// What the request would do, in words.
    pub fn summary(&self) -> String {
        match Kind::parse(&self.kind) {
            Some(Kind::RoleChange) => {
                let role = Self::role_label(&self.new_role);
                match &self.new_scope {
                    Some(scope) => format!("角色改为：{role}（{scope}）"),
                    None => format!("角色改为：{role}"),
                }
            }
            Some(Kind::PasswordReset) => "原密码失效，向本人发放一次性重置链接".into(),
            Some(Kind::Disable) => "停用账户并结束其全部会话".into(),
            Some(Kind::Enable) => "恢复账户登录".into(),
            None => String::new(),
        }
    }
}

/// Why a request could not be filed.
#[derive(Debug)]
pub enum FileError {
    /// The account already has an open request.
    AlreadyPending,
    Db(sqlx::Error),
}

impl From<sqlx::Error> for FileError {
    fn from(e: sqlx::Error) -> Self {
        FileError::Db(e)
    }
}

/// Marks overdue pending requests as expired; returns them (for the audit trail).
pub async fn expire_overdue(conn: &mut PgConnection) -> Result<Vec<AdminRequest>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE admin_requests SET status = 'expired'
         WHERE status = 'pending' AND expires_at <= now() RETURNING *",
    )
    .fetch_all(conn)
    .await
}

/// Files a pending request in the caller's transaction (opened as the requester).
pub async fn file(
    conn: &mut PgConnection,
    kind: Kind,
    target_id: i64,
    payload: Value,
    reason: &str,
    requested_by: i64,
) -> Result<AdminRequest, FileError> {
    let inserted = sqlx::query_as(
        "INSERT INTO admin_requests (kind, target_id, payload, reason, requested_by)
         VALUES ($1, $2, $3, $4, $5) RETURNING *",
    )
    .bind(kind.as_str())
    .bind(target_id)
    .bind(payload)
    .bind(reason.trim())
    .bind(requested_by)
    .fetch_one(conn)
    .await;
    match inserted {
        Ok(r) => Ok(r),
        Err(e)
            if crate::db::unique_violation(&e).as_deref() == Some("admin_requests_one_pending") =>
        {
            Err(FileError::AlreadyPending)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn get(conn: &mut PgConnection, id: i64) -> Result<Option<AdminRequest>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM admin_requests WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Records the decision if the request is still pending and not overdue; `None` otherwise
/// (someone else decided it first, or it expired).
pub async fn decide(
    conn: &mut PgConnection,
    id: i64,
    approve: bool,
    decided_by: i64,
) -> Result<Option<AdminRequest>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE admin_requests SET status = $2, decided_by = $3, decided_at = now()
         WHERE id = $1 AND status = 'pending' AND expires_at > now() RETURNING *",
    )
    .bind(id)
    .bind(if approve { "approved" } else { "rejected" })
    .bind(decided_by)
    .fetch_optional(conn)
    .await
}

const ROW_SELECT: &str =
    "SELECT r.id, r.kind, r.target_id, r.reason, r.requested_by, r.requested_at, r.expires_at,
        r.status, r.decided_at, t.username AS target_username, t.display_name AS target_name,
        t.role AS target_role, q.display_name AS requester_name, d.display_name AS decider_name,
        r.payload ->> 'role' AS new_role, coalesce(p.name, j.name) AS new_scope
 FROM admin_requests r
 JOIN users t ON t.id = r.target_id
 JOIN users q ON q.id = r.requested_by
 LEFT JOIN users d ON d.id = r.decided_by
 LEFT JOIN platforms p ON p.id = (r.payload ->> 'platform_id')::bigint
 LEFT JOIN jurisdictions j ON j.id = (r.payload ->> 'jurisdiction_id')::int";

/// Open requests first (oldest first), then the 50 most recent others.
pub async fn list(pool: &PgPool) -> Result<Vec<RequestRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT * FROM (
             ({ROW_SELECT} WHERE r.status = 'pending')
             UNION ALL
             ({ROW_SELECT} WHERE r.status <> 'pending' ORDER BY r.requested_at DESC LIMIT 50)
         ) x
         ORDER BY x.status = 'pending' DESC,
                  CASE WHEN x.status = 'pending' THEN x.requested_at END,
                  x.requested_at DESC"
    ))
    .fetch_all(pool)
    .await
}

/// Requests concerning one account, newest first.
pub async fn for_target(pool: &PgPool, target_id: i64) -> Result<Vec<RequestRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{ROW_SELECT} WHERE r.target_id = $1 ORDER BY r.requested_at DESC LIMIT 20"
    ))
    .bind(target_id)
    .fetch_all(pool)
    .await
}

/// Open requests `user_id` may decide (not theirs, not about them).
pub async fn open_for_approver(pool: &PgPool, user_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM admin_requests
         WHERE status = 'pending' AND expires_at > now() AND requested_by <> $1 AND target_id <> $1",
    )
    .bind(user_id)
    .fetch_one(pool)
    .await
}

/// Switches the transaction's acting user (the 三员分立 triggers read it) and names the
/// approved request the following writes carry out (`None`: no request).
pub async fn act_as(
    conn: &mut PgConnection,
    actor: &Actor,
    request_id: Option<i64>,
) -> Result<(), sqlx::Error> {
    let role = match (actor.id, actor.role) {
        (None, _) => "system",
        (Some(_), Some(role)) => role.as_str(),
        (Some(_), None) => "none",
    };
    sqlx::query(
        "SELECT set_config('kechuang.actor_role', $1, true), set_config('kechuang.actor_id', $2, true),
                set_config('kechuang.admin_request', $3, true)",
    )
    .bind(role)
    .bind(actor.id.map(|i| i.to_string()).unwrap_or_default())
    .bind(request_id.map(|i| i.to_string()).unwrap_or_default())
    .execute(conn)
    .await?;
    Ok(())
}
