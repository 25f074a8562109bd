//! Demo support records (SUPPORT-RULES.md): recognitions, technology transactions, enterprise-led projects,
//! investments and fund results for a handful of operating platforms, so the 支持政策 tab shows every status.

use chrono::NaiveDate;
use sqlx::PgConnection;

use super::{DemoCity, LAST_YEAR};
use crate::domain::platform::Stage;
use crate::domain::scoring::Grade;
use crate::domain::support::Recognition;
use crate::domain::support::claims::ClaimStatus;
use crate::domain::support::records::InvestmentKind;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid demo date")
}

async fn recognition(
    conn: &mut PgConnection,
    platform: i64,
    kind: Recognition,
    on: NaiveDate,
    body: &str,
    reference: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO support_recognitions (platform_id, kind, recognised_on, issuing_body, document_ref)
         VALUES ($1, $2, $3, $4, $5)",
        platform,
        kind as Recognition,
        on,
        body,
        reference
    )
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
    sqlx::query!(
        "INSERT INTO support_tech_transactions (platform_id, year, counterparty, amount_yuan) VALUES ($1, $2, $3, $4)",
        platform,
        year,
        counterparty,
        amount
    )
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
    sqlx::query!(
        "INSERT INTO support_enterprise_projects (platform_id, name, enterprise, year, receipts_yuan)
         VALUES ($1, $2, $3, $4, $5)",
        platform,
        name,
        enterprise,
        year,
        receipts
    )
    .execute(conn)
    .await?;
    Ok(())
}

async fn investment(
    conn: &mut PgConnection,
    platform: i64,
    kind: InvestmentKind,
    year: i32,
    amount: i64,
    description: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO support_investments (platform_id, kind, year, amount_yuan, description) VALUES ($1, $2, $3, $4, $5)",
        platform,
        kind as InvestmentKind,
        year,
        amount,
        description
    )
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
        Recognition::SocialTechTransferAgency,
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
        Recognition::JsProvincialPocCenter,
        date(year, 4, 20),
        "江苏省科学技术厅",
        "示例认定-2025-007",
    )
    .await?;
    investment(
        conn,
        b,
        InvestmentKind::PocBuild,
        year - 1,
        900_000,
        "验证实验室改造",
    )
    .await?;
    investment(
        conn,
        b,
        InvestmentKind::PocBuild,
        year,
        700_000,
        "中试验证设备",
    )
    .await?;
    // c: a new R&D institution with joint R&D investment (Nanjing's pack, off by default, reads it).
    recognition(
        conn,
        c,
        Recognition::NewRndInstitution,
        date(year - 2, 11, 3),
        "南通市科学技术局",
        "示例认定-2023-031",
    )
    .await?;
    investment(
        conn,
        c,
        InvestmentKind::JointRnd,
        year,
        4_500_000,
        "与示例企业联合攻关",
    )
    .await?;
    // d: recognised as an agency but no transactions entered for the year: insufficient data.
    recognition(
        conn,
        d,
        Recognition::SocialTechTransferAgency,
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
    sqlx::query!(
        "INSERT INTO support_fund_results (platform_id, year, results, description) VALUES ($1, $2, 1, '示例创投基金')",
        e,
        year
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A document of the platform a claim files (the claim workflow asks for one).
async fn claim_document(
    conn: &mut PgConnection,
    platform: i64,
    title: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO documents (platform_id, kind, title) VALUES ($1, 'other', $2) RETURNING id",
        platform,
        title
    )
    .fetch_one(conn)
    .await
}

/// One demo claim as the workflow leaves it at `status`; its id.
#[allow(clippy::too_many_arguments)]
async fn claim(
    conn: &mut PgConnection,
    city: &DemoCity,
    platform: i64,
    programme: &str,
    as_of: NaiveDate,
    computed: i64,
    status: ClaimStatus,
    granted: Option<i64>,
) -> Result<i64, sqlx::Error> {
    let name = crate::domain::support::programme(programme).map_or("支持项目", |p| p.name_zh);
    let doc = claim_document(conn, platform, &format!("{name}申报材料（示例）")).await?;
    let paid = matches!(
        status,
        ClaimStatus::Paid | ClaimStatus::Recovering | ClaimStatus::Recovered
    );
    sqlx::query_scalar!(
        "INSERT INTO support_claims (platform_id, programme, as_of, computed_yuan, up_to, document_id, note, status,
                                     submitted_by, granted_yuan, review_note, reviewed_by, reviewed_at,
                                     paid_on, paid_yuan, voucher_no)
         VALUES ($1, $2, $3, $4, false, $5, '示例申报', $6, $7, $8, $9, $10, $11, $12, $8, $13)
         RETURNING id",
        platform,
        programme,
        as_of,
        computed,
        doc,
        status as ClaimStatus,
        city.operator_id,
        granted,
        if granted.is_some() { "材料齐全，同意支持" } else { "" },
        granted.map(|_| city.staff_id),
        granted.map(|_| (as_of + chrono::Duration::days(30)).and_hms_opt(10, 0, 0).expect("time").and_utc()),
        paid.then(|| as_of + chrono::Duration::days(60)),
        paid.then(|| format!("示例记-{}", as_of.format("%Y%m%d")))
    )
    .fetch_one(conn)
    .await
}

/// The workflows behind the support programmes, so a visitor sees each page with content: claims in every
/// state (submitted, approved, paid, recovering), the first exit decision with funds to recover and a partial
/// recovery (and a claim recovered under it), and a year's city–county co-building share with an approved
/// and a pending proposal.
pub async fn seed_workflows(conn: &mut PgConnection, city: &DemoCity) -> Result<(), sqlx::Error> {
    let operating: Vec<i64> = city
        .platforms
        .iter()
        .filter(|(_, _, stage, _)| *stage == Stage::Operating)
        .map(|(id, ..)| *id)
        .take(2)
        .collect();
    let [a, b] = operating[..] else {
        return Ok(());
    };
    let today: NaiveDate =
        sqlx::query_scalar!(r#"SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date AS "today!""#)
            .fetch_one(&mut *conn)
            .await?;
    let this_year = chrono::Datelike::year(&today);
    // a: 3% of its 1,500 万元 of transactions, filed; b: its proof-of-concept centre, approved.
    claim(
        conn,
        city,
        a,
        "JS-TECH-TRANSFER",
        today,
        450_000,
        ClaimStatus::Submitted,
        None,
    )
    .await?;
    claim(
        conn,
        city,
        b,
        "JS-POC-CENTER",
        today - chrono::Duration::days(90),
        1_000_000,
        ClaimStatus::Approved,
        Some(1_000_000),
    )
    .await?;
    // The NT reward of a platform graded excellent or good last year, paid.
    let rewarded = sqlx::query!(
        r#"SELECT platform_id, grade AS "grade!: Grade" FROM evaluations
           WHERE year = $1 AND grade IN ('excellent', 'good')
           ORDER BY grade, platform_id LIMIT 1"#,
        LAST_YEAR
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(r) = rewarded {
        let (p, grade) = (r.platform_id, r.grade);
        let amount = if grade == Grade::Excellent {
            500_000
        } else {
            200_000
        };
        claim(
            conn,
            city,
            p,
            "NT-REWARD",
            date(this_year, 3, 2),
            amount,
            ClaimStatus::Paid,
            Some(amount),
        )
        .await?;
    }

    // The first exit decision: 60 万元 to recover under the co-building agreement, 20 万元 recovered directly,
    // and 10 万元 being recovered on a claim paid before the exit.
    let exit = sqlx::query!(
        r#"SELECT id, platform_id, (signed_off_at AT TIME ZONE 'Asia/Shanghai')::date AS "decided!"
           FROM rectification_cases
           WHERE status = 'decided' AND decision = 'exit' ORDER BY id LIMIT 1"#
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(exit) = exit {
        let (case_id, p, decided) = (exit.id, exit.platform_id, exit.decided);
        sqlx::query!(
            "UPDATE rectification_cases SET funds_to_recover = 600000, agreement_end = $2,
                    funds_basis = '共建协议第八条：建设目标未达成的，按比例追回市级建设补助（示例）'
             WHERE id = $1",
            case_id,
            decided
        )
        .execute(&mut *conn)
        .await?;
        sqlx::query!(
            "INSERT INTO fund_recoveries (case_id, platform_id, recovered_on, amount, voucher, note, recorded_by)
             VALUES ($1, $2, $3, 200000, '示例缴款书-001', '第一笔退回', $4)",
            case_id,
            p,
            decided + chrono::Duration::days(40),
            city.staff_id
        )
        .execute(&mut *conn)
        .await?;
        let cid = claim(
            conn,
            city,
            p,
            "NT-REWARD",
            decided - chrono::Duration::days(400),
            200_000,
            ClaimStatus::Paid,
            Some(200_000),
        )
        .await?;
        sqlx::query!(
            "UPDATE support_claims SET status = 'recovering', recover_yuan = 100000, recover_case_id = $2,
                    recover_reason = '依据第 ' || $2::bigint || ' 号整改案件的退出决定追回财政资金', version = version + 3
             WHERE id = $1",
            cid,
            case_id
        )
        .execute(&mut *conn)
        .await?;
    }

    // City–county co-building this year: the share, one admission, one proposal waiting for a second person.
    sqlx::query!(
        "INSERT INTO cobuild_shares (year, share_pct, max_platforms, reason, set_by)
         VALUES ($1, 50, 3, '按评估结果择优纳入市级支持、协同共建（示例）', $2)",
        this_year,
        city.staff_id
    )
    .execute(&mut *conn)
    .await?;
    let eligible = sqlx::query!(
        r#"SELECT p.id, pe.grade AS "previous!: Grade", le.grade AS "last!: Grade" FROM platforms p
           JOIN evaluations pe ON pe.platform_id = p.id AND pe.year = $1 - 2
           JOIN evaluations le ON le.platform_id = p.id AND le.year = $1 - 1
           WHERE p.level = 'county' AND p.stage = 'operating' AND p.first_support_end <= $2
             AND pe.grade IN ('excellent', 'good') AND le.grade IN ('excellent', 'good')
           ORDER BY p.id LIMIT 2"#,
        this_year,
        today
    )
    .fetch_all(&mut *conn)
    .await?;
    for (n, e) in eligible.iter().enumerate() {
        let rid: i64 = sqlx::query_scalar!(
            "INSERT INTO cobuild_proposals (year, platform_id, previous_grade, last_grade, reason, proposed_by)
             VALUES ($1, $2, $3, $4, '功能定位清晰、运行机制健全，连续两年评估良好及以上（示例）', $5) RETURNING id",
            this_year,
            e.id,
            e.previous as Grade,
            e.last as Grade,
            city.staff_id
        )
        .fetch_one(&mut *conn)
        .await?;
        if n == 0 {
            sqlx::query!(
                "UPDATE cobuild_proposals SET status = 'approved', decided_by = $2, decided_at = now(),
                        decision_reason = '同意纳入市级支持，按市县共建管理（示例）' WHERE id = $1",
                rid,
                city.county_staff_id
            )
            .execute(&mut *conn)
            .await?;
            sqlx::query!(
                "UPDATE platforms SET level = 'city_county', version = version + 1 WHERE id = $1",
                e.id
            )
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}
