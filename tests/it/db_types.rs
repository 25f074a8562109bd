//! The domain's types through PostgreSQL (`db::types`): every code of every `code_enum!` type and
//! the stored newtypes make a round trip; a stored value the type refuses is an error, not a panic.

use crate::common;

use kechuang::db::types::round_trip_all;
use kechuang::domain::money::Yuan;
use kechuang::domain::platform::{Category, PlatformCode, Stage};
use kechuang::domain::uscc::Uscc;
use sqlx::PgPool;

async fn round_trip<T>(pool: &PgPool, v: T, sql_type: &str) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + for<'q> sqlx::Encode<'q, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
        + Send
        + Unpin,
{
    sqlx::query_scalar(&format!("SELECT $1::{sql_type}"))
        .bind(v)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn every_code_of_every_enum_round_trips_as_text() {
    let db = common::TestDb::new().await;
    let pool = &db.pool;
    let n = round_trip_all(pool).await.unwrap();
    assert!(n > 100, "{n} values");
    for s in Stage::ALL {
        assert_eq!(round_trip(pool, *s, "text").await, *s);
    }
    for c in Category::ALL {
        assert_eq!(round_trip(pool, *c, "text").await, *c);
    }
    // An array of them binds as text[] (`= ANY($1)` filters).
    let stored: Vec<Stage> = sqlx::query_scalar("SELECT unnest($1::text[])")
        .bind(Stage::ALL.to_vec())
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(stored, Stage::ALL);
}

#[tokio::test]
async fn an_unknown_code_is_a_decode_error() {
    let db = common::TestDb::new().await;
    let err = sqlx::query_scalar::<_, Stage>("SELECT 'Operating'::text")
        .fetch_one(&db.pool)
        .await
        .unwrap_err();
    assert!(matches!(err, sqlx::Error::ColumnDecode { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("\"Operating\"") && text.contains("Stage"),
        "{text}"
    );

    let none: Option<Stage> = sqlx::query_scalar("SELECT NULL::text")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(none, None);
}

#[tokio::test]
async fn newtypes_round_trip_and_refuse_what_they_do_not_accept() {
    let db = common::TestDb::new().await;
    let pool = &db.pool;
    for y in [Yuan::ZERO, Yuan::new(12_345_678).unwrap(), Yuan::MAX] {
        assert_eq!(round_trip(pool, y, "bigint").await, y);
    }
    let negative = sqlx::query_scalar::<_, Yuan>("SELECT -1::bigint")
        .fetch_one(pool)
        .await
        .unwrap_err();
    assert!(negative.to_string().contains("Yuan"), "{negative}");

    let uscc = Uscc::parse("91320600MA1M9QX7K8").unwrap();
    assert_eq!(round_trip(pool, uscc.clone(), "text").await, uscc);
    assert!(
        sqlx::query_scalar::<_, Uscc>("SELECT '91350100M000100Y44'::text")
            .fetch_one(pool)
            .await
            .is_err()
    );

    let code = PlatformCode::parse("KC-2025-001").unwrap();
    assert_eq!(round_trip(pool, code.clone(), "text").await, code);
    assert!(
        sqlx::query_scalar::<_, PlatformCode>("SELECT ''::text")
            .fetch_one(pool)
            .await
            .is_err()
    );
}
