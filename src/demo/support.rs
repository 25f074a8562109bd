//! Demo support records (SUPPORT-RULES.md): recognitions, technology transactions, enterprise-led projects,
//! investments and fund results for a handful of operating platforms, so the 支持政策 tab shows every status.

use chrono::NaiveDate;
use sqlx::PgConnection;

use super::{DemoCity, LAST_YEAR};
use crate::domain::platform::Stage;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid demo date")
}

async fn recognition(
    conn: &mut PgConnection,
    platform: i64,
    kind: &str,
    on: NaiveDate,
    body: &str,
    reference: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO support_recognitions (platform_id, kind, recognised_on, issuing_body, document_ref)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(platform)
    .bind(kind)
    .bind(on)
    .bind(body)
    .bind(reference)
    .execute(conn)
    .await?;
    Ok(())
}

async fn transaction(
    conn: &mut PgConnection,
    platform: i64,
    year: i32,
    counterparty: &str,
    amount: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO support_tech_transactions (platform_id, year, counterparty, amount_yuan) VALUES ($1, $2, $3, $4)",
    )
    .bind(platform)
    .bind(year)
    .bind(counterparty)
    .bind(amount)
    .execute(conn)
    .await?;
    Ok(())
}

async fn project(
    conn: &mut PgConnection,
    platform: i64,
    name: &str,
    enterprise: &str,
    year: i32,
    receipts: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO support_enterprise_projects (platform_id, name, enterprise, year, receipts_yuan)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(platform)
    .bind(name)
    .bind(enterprise)
    .bind(year)
    .bind(receipts)
    .execute(conn)
    .await?;
    Ok(())
}

async fn investment(
    conn: &mut PgConnection,
    platform: i64,
    kind: &str,
    year: i32,
    amount: i64,
    description: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO support_investments (platform_id, kind, year, amount_yuan, description) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(platform)
    .bind(kind)
    .bind(year)
    .bind(amount)
    .bind(description)
    .execute(conn)
    .await?;
    Ok(())
}

/// Support records for the first five operating platforms.
pub async fn seed(conn: &mut PgConnection, city: &DemoCity) -> Result<(), sqlx::Error> {
    let operating: Vec<i64> = city
        .platforms
        .iter()
        .filter(|(_, _, stage, _)| *stage == Stage::Operating)
        .map(|(id, ..)| *id)
        .take(5)
        .collect();
    let [a, b, c, d, e] = operating[..] else {
        return Ok(());
    };
    let year = LAST_YEAR;
    // a (the demo operator's platform): a social tech-transfer agency with transactions, and two
    // enterprise-led projects, one above the provincial threshold.
    recognition(
        conn,
        a,
        "social_tech_transfer_agency",
        date(year - 1, 6, 18),
        "江苏省科学技术厅",
        "示例认定-2024-018",
    )
    .await?;
    transaction(conn, a, year, "示例海工装备有限公司", 8_600_000).await?;
    transaction(conn, a, year, "示例新材料科技有限公司", 6_400_000).await?;
    transaction(conn, a, year - 1, "示例船舶配套有限公司", 5_200_000).await?;
    project(
        conn,
        a,
        "示例深远海装备焊接工艺联合攻关",
        "示例重工股份有限公司",
        year,
        3_200_000,
    )
    .await?;
    project(
        conn,
        a,
        "示例海洋传感器可靠性提升",
        "示例智能传感有限公司",
        year,
        1_800_000,
    )
    .await?;
    // b: a provincial proof-of-concept centre with its build investment.
    recognition(
        conn,
        b,
        "js_provincial_poc_center",
        date(year, 4, 20),
        "江苏省科学技术厅",
        "示例认定-2025-007",
    )
    .await?;
    investment(conn, b, "poc_build", year - 1, 900_000, "验证实验室改造").await?;
    investment(conn, b, "poc_build", year, 700_000, "中试验证设备").await?;
    // c: a new R&D institution with joint R&D investment (Nanjing's pack, off by default, reads it).
    recognition(
        conn,
        c,
        "new_rnd_institution",
        date(year - 2, 11, 3),
        "南通市科学技术局",
        "示例认定-2023-031",
    )
    .await?;
    investment(conn, c, "joint_rnd", year, 4_500_000, "与示例企业联合攻关").await?;
    // d: recognised as an agency but no transactions entered for the year: insufficient data.
    recognition(
        conn,
        d,
        "social_tech_transfer_agency",
        date(year, 9, 1),
        "江苏省科学技术厅",
        "示例认定-2025-052",
    )
    .await?;
    // e: an enterprise-led project above the threshold, and fund results.
    project(
        conn,
        e,
        "示例高端纺织材料中试放大",
        "示例纺织集团有限公司",
        year,
        5_000_000,
    )
    .await?;
    sqlx::query(
        "INSERT INTO support_fund_results (platform_id, year, results, description) VALUES ($1, $2, 1, '示例创投基金')",
    )
    .bind(e)
    .bind(year)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
