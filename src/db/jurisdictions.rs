//! Jurisdictions (南通市 and its districts, counties and zones).

use sqlx::{PgConnection, PgPool};

use crate::domain::platform::JurisdictionRef;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Jurisdiction {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub kind: String,
}

impl Jurisdiction {
    pub fn is_city(&self) -> bool {
        self.kind == "city"
    }
    pub fn as_ref(&self) -> JurisdictionRef {
        JurisdictionRef {
            id: self.id,
            is_city: self.is_city(),
        }
    }
}

/// The jurisdiction with this code (`320600` is 南通市).
pub async fn id_by_code<'e>(
    db: impl sqlx::PgExecutor<'e>,
    code: &str,
) -> Result<Option<i32>, sqlx::Error> {
    sqlx::query_scalar!("SELECT id FROM jurisdictions WHERE code = $1", code.trim())
        .fetch_optional(db)
        .await
}

pub async fn list(pool: &PgPool) -> Result<Vec<Jurisdiction>, sqlx::Error> {
    sqlx::query_as!(
        Jurisdiction,
        "SELECT id, code, name, kind FROM jurisdictions ORDER BY sort_order, id"
    )
    .fetch_all(pool)
    .await
}

pub async fn insert(
    conn: &mut PgConnection,
    code: &str,
    name: &str,
    sort_order: i32,
) -> Result<Jurisdiction, sqlx::Error> {
    sqlx::query_as!(
        Jurisdiction,
        "INSERT INTO jurisdictions (code, name, kind, sort_order) VALUES ($1, $2, 'county', $3)
         RETURNING id, code, name, kind",
        code,
        name,
        sort_order
    )
    .fetch_one(conn)
    .await
}
