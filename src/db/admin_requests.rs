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
    pub kind: Kind,
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
    /// The audit view of a request.
    pub fn audit_json(&self) -> Value {
        serde_json::json!({
            "kind": self.kind.as_str(),
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
    pub kind: Kind,
    pub target_id: i64,
    pub reason: String,
    pub requested_by: i64,
    pub requested_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub status: String,
    pub decided_at: Option<DateTime<Utc>>,
    pub target_username: String,
    pub target_name: String,
    pub target_role: Option<Role>,
    pub requester_name: String,
    pub decider_name: Option<String>,
    pub new_role: Option<Role>,
    pub new_scope: Option<String>,
}

impl RequestRow {
    pub fn kind_label(&self) -> &'static str {
        self.kind.label_zh()
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

    pub fn role_label(role: Option<Role>) -> &'static str {
        role.map(Role::label_zh).unwrap_or("未分配角色")
    }

    pub fn target_role_label(&self) -> &'static str {
        Self::role_label(self.target_role)
    }

    /// What the request would do, in words.
    pub fn summary(&self) -> String {
        match self.kind {
            Kind::RoleChange => {
                let role = Self::role_label(self.new_role);
                match &self.new_scope {
                    Some(scope) => format!("角色改为：{role}（{scope}）"),
                    None => format!("角色改为：{role}"),
                }
            }
            Kind::PasswordReset => "原密码失效，向本人发放一次性重置链接".into(),
            Kind::Disable => "停用账户并结束其全部会话".into(),
            Kind::Enable => "恢复账户登录".into(),
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
    sqlx::query_as!(
        AdminRequest,
        r#"UPDATE admin_requests SET status = 'expired'
           WHERE status = 'pending' AND expires_at <= now()
           RETURNING id, kind AS "kind: Kind", target_id, payload, reason, requested_by, requested_at, expires_at,
                   status, decided_by, decided_at"#
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
    let inserted = sqlx::query_as!(
        AdminRequest,
        r#"INSERT INTO admin_requests (kind, target_id, payload, reason, requested_by)
           VALUES ($1, $2, $3, $4, $5)
           RETURNING id, kind AS "kind: Kind", target_id, payload, reason, requested_by, requested_at, expires_at,
                   status, decided_by, decided_at"#,
        kind as Kind,
        target_id,
        payload,
        reason.trim(),
        requested_by
    )
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
    sqlx::query_as!(
        AdminRequest,
        r#"SELECT id, kind AS "kind: Kind", target_id, payload, reason, requested_by, requested_at, expires_at,
                  status, decided_by, decided_at
           FROM admin_requests WHERE id = $1"#,
        id
    )
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
    sqlx::query_as!(
        AdminRequest,
        r#"UPDATE admin_requests SET status = $2, decided_by = $3, decided_at = now()
           WHERE id = $1 AND status = 'pending' AND expires_at > now()
           RETURNING id, kind AS "kind: Kind", target_id, payload, reason, requested_by, requested_at, expires_at,
                   status, decided_by, decided_at"#,
        id,
        if approve { "approved" } else { "rejected" },
        decided_by
    )
    .fetch_optional(conn)
    .await
}

/// Open requests first (oldest first), then the 50 most recent others.
pub async fn list(pool: &PgPool) -> Result<Vec<RequestRow>, sqlx::Error> {
    sqlx::query_as!(
        RequestRow,
        r#"SELECT x.id AS "id!", x.kind AS "kind!: Kind", x.target_id AS "target_id!", x.reason AS "reason!",
                  x.requested_by AS "requested_by!", x.requested_at AS "requested_at!",
                  x.expires_at AS "expires_at!", x.status AS "status!", x.decided_at,
                  x.target_username AS "target_username!", x.target_name AS "target_name!",
                  x.target_role AS "target_role?: Role", x.requester_name AS "requester_name!",
                  x.decider_name AS "decider_name?", x.new_role AS "new_role?: Role", x.new_scope AS "new_scope?"
           FROM (
               (SELECT r.id, r.kind, r.target_id, r.reason, r.requested_by, r.requested_at, r.expires_at,
                      r.status, r.decided_at, t.username AS target_username, t.display_name AS target_name,
                      t.role AS target_role, q.display_name AS requester_name, d.display_name AS decider_name,
                      r.payload ->> 'role' AS new_role, coalesce(p.name, j.name) AS new_scope
                FROM admin_requests r
           JOIN users t ON t.id = r.target_id
           JOIN users q ON q.id = r.requested_by
           LEFT JOIN users d ON d.id = r.decided_by
           LEFT JOIN platforms p ON p.id = (r.payload ->> 'platform_id')::bigint
           LEFT JOIN jurisdictions j ON j.id = (r.payload ->> 'jurisdiction_id')::int
                WHERE r.status = 'pending')
               UNION ALL
               (SELECT r.id, r.kind, r.target_id, r.reason, r.requested_by, r.requested_at, r.expires_at,
                      r.status, r.decided_at, t.username AS target_username, t.display_name AS target_name,
                      t.role AS target_role, q.display_name AS requester_name, d.display_name AS decider_name,
                      r.payload ->> 'role' AS new_role, coalesce(p.name, j.name) AS new_scope
                FROM admin_requests r
           JOIN users t ON t.id = r.target_id
           JOIN users q ON q.id = r.requested_by
           LEFT JOIN users d ON d.id = r.decided_by
           LEFT JOIN platforms p ON p.id = (r.payload ->> 'platform_id')::bigint
           LEFT JOIN jurisdictions j ON j.id = (r.payload ->> 'jurisdiction_id')::int
                WHERE r.status <> 'pending' ORDER BY r.requested_at DESC LIMIT 50)
           ) x
           ORDER BY x.status = 'pending' DESC,
                    CASE WHEN x.status = 'pending' THEN x.requested_at END,
                    x.requested_at DESC"#
    )
    .fetch_all(pool)
    .await
}

/// Requests concerning one account, newest first.
pub async fn for_target(pool: &PgPool, target_id: i64) -> Result<Vec<RequestRow>, sqlx::Error> {
    sqlx::query_as!(
        RequestRow,
        r#"SELECT r.id, r.kind AS "kind: Kind", r.target_id, r.reason, r.requested_by, r.requested_at, r.expires_at,
                  r.status, r.decided_at, t.username AS target_username, t.display_name AS target_name,
                  t.role AS "target_role?: Role", q.display_name AS requester_name,
                  d.display_name AS "decider_name?", r.payload ->> 'role' AS "new_role?: Role",
                  coalesce(p.name, j.name) AS "new_scope?"
           FROM admin_requests r
           JOIN users t ON t.id = r.target_id
           JOIN users q ON q.id = r.requested_by
           LEFT JOIN users d ON d.id = r.decided_by
           LEFT JOIN platforms p ON p.id = (r.payload ->> 'platform_id')::bigint
           LEFT JOIN jurisdictions j ON j.id = (r.payload ->> 'jurisdiction_id')::int
           WHERE r.target_id = $1 ORDER BY r.requested_at DESC LIMIT 20"#,
        target_id
    )
    .fetch_all(pool)
    .await
}

/// Open requests `user_id` may decide (not theirs, not about them).
pub async fn open_for_approver(pool: &PgPool, user_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM admin_requests
           WHERE status = 'pending' AND expires_at > now() AND requested_by <> $1 AND target_id <> $1"#,
        user_id
    )
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
    sqlx::query!(
        "SELECT set_config('kechuang.actor_role', $1, true) AS actor_role,
                set_config('kechuang.actor_id', $2, true) AS actor_id,
                set_config('kechuang.admin_request', $3, true) AS admin_request",
        role,
        actor.id.map(|i| i.to_string()).unwrap_or_default(),
        request_id.map(|i| i.to_string()).unwrap_or_default()
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}
