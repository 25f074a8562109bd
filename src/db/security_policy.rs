//! The password / lockout / session policy (one row, managed by the security admin).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};

use crate::domain::password::PasswordRules;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct SecurityPolicy {
    pub min_length: i32,
    pub min_classes: i32,
    pub max_failures: i32,
    pub lockout_minutes: i32,
    pub idle_minutes: i32,
    pub admin_idle_minutes: i32,
    pub absolute_hours: i32,
    pub password_max_age_days: i32,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

impl SecurityPolicy {
    pub fn password_rules(&self) -> PasswordRules {
        PasswordRules {
            min_length: self.min_length as usize,
            min_classes: self.min_classes as usize,
        }
    }
}

pub async fn get(pool: &PgPool) -> Result<SecurityPolicy, sqlx::Error> {
    sqlx::query_as!(
        SecurityPolicy,
        "SELECT min_length, min_classes, max_failures, lockout_minutes, idle_minutes, admin_idle_minutes,
                absolute_hours, password_max_age_days, version, updated_at
         FROM security_policy WHERE id = 1"
    )
    .fetch_one(pool)
    .await
}

/// Saves the policy if still at `version`; `None` on a stale version.
pub async fn update(
    conn: &mut PgConnection,
    p: &SecurityPolicy,
) -> Result<Option<SecurityPolicy>, sqlx::Error> {
    sqlx::query_as!(
        SecurityPolicy,
        "UPDATE security_policy SET min_length = $1, min_classes = $2, max_failures = $3, lockout_minutes = $4,
                idle_minutes = $5, admin_idle_minutes = $6, absolute_hours = $7, password_max_age_days = $8,
                version = version + 1, updated_at = now()
         WHERE id = 1 AND version = $9
         RETURNING min_length, min_classes, max_failures, lockout_minutes, idle_minutes, admin_idle_minutes,
                absolute_hours, password_max_age_days, version, updated_at",
        p.min_length,
        p.min_classes,
        p.max_failures,
        p.lockout_minutes,
        p.idle_minutes,
        p.admin_idle_minutes,
        p.absolute_hours,
        p.password_max_age_days,
        p.version
    )
    .fetch_optional(conn)
    .await
}
