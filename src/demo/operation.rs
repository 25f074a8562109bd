//! Demo advisor visits, construction acceptances, integrity records, documents.
//!
//! The demo advisor's six platforms get visits over the past year (one platform's last visit is
//! more than 183 days old, so OPS-ADVISOR warns); every platform past its construction end and
//! out of registration gets its acceptance (mostly passed, one with conditions, one failed), some
//! with the acceptance report as a PDF; a rectifying platform has a serious integrity violation
//! (so it is barred from evaluation) and an operating one a minor violation.

use chrono::{Duration, NaiveDate, Utc};
use sqlx::PgConnection;

use super::{DemoCity, DemoEvent, lifecycle_event};
use crate::db::documents;
use crate::domain::documents::{DocumentKind, UploadedFile, check_file};
use crate::domain::operation::{AcceptanceResult, VisitForm};
use crate::domain::platform::Stage;

/// `(topics, advice, follow-up)` of the demo visits, used in turn.
const VISITS: &[(&str, &str, &str)] = &[
    (
        "年度目标与收入渠道梳理",
        "服务订单与技术合同占比偏低，建议组建专职技术经纪团队，对接园区重点企业需求。",
        "一个月内提交技术经纪团队组建方案",
    ),
    (
        "中试线建设进度",
        "设备到货滞后两个月，建议与供应商签订补充协议，并调整中试计划排期。",
        "下次走访核查设备联调情况",
    ),
    (
        "技术合同登记与成果转化",
        "已签技术合同未全部登记，建议本季度内完成技术合同认定登记，享受相关政策。",
        "",
    ),
    (
        "孵化企业股权安排",
        "孵化企业持股比例约定不清，建议按章程明确平台持股与收益反哺机制。",
        "协助对接律师事务所",
    ),
    (
        "大型仪器开放共享",
        "两台单价超过十万元的仪器尚未接入省大型仪器共享平台，建议尽快完成接入。",
        "两周后电话确认接入进度",
    ),
    (
        "市场化运营公司筹建",
        "运营公司股权结构中管理层现金出资比例偏低，建议研究核心团队持股方案。",
        "",
    ),
];

/// Days before today of each demo advisor platform's visits (index = platform number 0–5);
/// platform 5's last visit is more than 183 days ago.
const VISIT_DAYS_AGO: [&[i64]; 6] = [
    &[12, 58, 121, 205, 290, 350],
    &[30, 95, 170, 260],
    &[7, 64, 150, 240, 330],
    &[45, 140, 230],
    &[20, 110, 200, 300],
    &[201, 265, 340],
];

/// A small but real one-page PDF with these (ASCII) lines.
fn demo_pdf(lines: &[String]) -> Vec<u8> {
    let escape = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)")
    };
    let text: String = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            format!(
                "BT /F1 12 Tf 72 {} Td ({}) Tj ET\n",
                770 - i * 20,
                escape(l)
            )
        })
        .collect();
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
            .to_string(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
        format!("<< /Length {} >>\nstream\n{text}endstream", text.len()),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A document with one version per file, uploaded on the given days; returns its id.
async fn document(
    conn: &mut PgConnection,
    platform_id: i64,
    kind: DocumentKind,
    title: &str,
    uploaded_by: i64,
    versions: &[(NaiveDate, &str, Vec<u8>, &str)],
) -> anyhow::Result<i64> {
    let id = documents::insert(conn, platform_id, kind, title, uploaded_by).await?;
    for (day, file_name, bytes, note) in versions {
        // Demo files pass the same checks as uploads.
        let file = check_file(Some(&UploadedFile {
            name: (*file_name).to_string(),
            bytes: bytes.clone(),
            too_large: false,
        }))
        .map_err(|e| anyhow::anyhow!("demo file {file_name}: {e}"))?;
        let (vid, _) = documents::insert_version(conn, id, &file, bytes, note, uploaded_by).await?;
        sqlx::query!(
            "UPDATE document_versions SET uploaded_at = ($1::date + time '10:00') AT TIME ZONE 'Asia/Shanghai'
             WHERE id = $2",
            day,
            vid
        )
        .execute(&mut *conn)
        .await?;
    }
    if let Some((first, ..)) = versions.first() {
        sqlx::query!(
            "UPDATE documents SET created_at = ($1::date + time '10:00') AT TIME ZONE 'Asia/Shanghai' WHERE id = $2",
            first,
            id
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// Seeds the demo city's advisor visits, construction acceptances, integrity records, documents (idempotency is handled by the caller).
pub async fn seed(conn: &mut PgConnection, city: &DemoCity) -> anyhow::Result<()> {
    let today = crate::domain::calendar::today_beijing(Utc::now());
    let staff = (city.staff_id, "demo-staff");
    let code_of = |id: i64| {
        city.platforms
            .iter()
            .find(|p| p.0 == id)
            .map(|p| p.1.clone())
            .unwrap_or_default()
    };

    // ---- the demo advisor's service visits
    let mut n = 0;
    for (k, days) in VISIT_DAYS_AGO.iter().enumerate() {
        let Some(&(platform_id, ..)) = city.platforms.get(k) else {
            continue;
        };
        for &ago in days.iter().rev() {
            let (topics, advice, follow_up) = VISITS[n % VISITS.len()];
            let form = VisitForm::ALL[n % VisitForm::ALL.len()];
            n += 1;
            let on = today - Duration::days(ago);
            sqlx::query!(
                "INSERT INTO advisor_visits (platform_id, advisor_id, visit_date, form, topics, advice, follow_up, created_at)
                 VALUES ($2, $3, $1, $4, $5, $6, $7, ($1::date + time '10:00') AT TIME ZONE 'Asia/Shanghai')",
                on,
                platform_id,
                city.advisor_id,
                form as VisitForm,
                topics,
                advice,
                follow_up
            )
            .execute(&mut *conn)
            .await?;
            lifecycle_event(
                conn,
                &DemoEvent::by(
                    platform_id,
                    on,
                    (city.advisor_id, "demo-advisor"),
                    "visit.logged",
                    &format!("产业顾问演示产业顾问{}服务：{topics}", form.label_zh()),
                    "",
                ),
            )
            .await?;
        }
    }

    // ---- construction-period acceptances
    let ids: Vec<i64> = city.platforms.iter().map(|p| p.0).collect();
    let ends: Vec<(i64, Option<NaiveDate>)> = sqlx::query!(
        r#"SELECT id, construction_end AS "construction_end?" FROM platforms WHERE id = ANY($1) ORDER BY id"#,
        &ids[..]
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.id, r.construction_end))
    .collect();
    let ended: Vec<(i64, Stage, NaiveDate)> = city
        .platforms
        .iter()
        .filter_map(|(id, _, stage, _)| {
            let end = ends.iter().find(|(i, _)| i == id)?.1?;
            (*stage != Stage::Registration && end + Duration::days(50) <= today)
                .then_some((*id, *stage, end))
        })
        .collect();
    let own = city.platforms.first().map(|p| p.0);
    let failed = ended
        .iter()
        .find(|(_, s, _)| *s == Stage::Rectifying)
        .map(|e| e.0);
    let conditional = ended
        .iter()
        .filter(|(id, s, _)| *s == Stage::Operating && Some(*id) != own)
        .nth(2)
        .map(|e| e.0);
    for (i, &(id, _, end)) in ended.iter().enumerate() {
        let result = if Some(id) == failed {
            AcceptanceResult::Failed
        } else if Some(id) == conditional {
            AcceptanceResult::Conditional
        } else {
            AcceptanceResult::Passed
        };
        let on = end + Duration::days(20 + (i as i64 % 5) * 7);
        let remarks = match result {
            AcceptanceResult::Passed => "建设任务全部完成，专家组同意通过验收。",
            AcceptanceResult::Conditional => {
                "主要建设任务完成；中试线产能未达方案目标，限六个月内补充产能验证报告。"
            }
            AcceptanceResult::Failed => {
                "自主收入、研发人员等核心指标均未达到建设方案目标，验收不通过，建议进入整改。"
            }
        };
        // The operator's platform and the two special cases keep their report as a PDF.
        let with_report = Some(id) == own || result != AcceptanceResult::Passed;
        let document_id = if with_report {
            let code = code_of(id);
            let pdf = demo_pdf(&[
                "Construction acceptance report (demo, fictitious)".into(),
                format!("Platform: {code}"),
                format!("Construction period ended: {end}"),
                format!("Acceptance date: {on}"),
                format!("Result: {}", result.as_str()),
            ]);
            Some(
                document(
                    conn,
                    id,
                    DocumentKind::AcceptanceReport,
                    "建设期满验收报告（示例）",
                    city.staff_id,
                    &[(on, &format!("{code}-验收报告.pdf"), pdf, "专家组验收报告")],
                )
                .await?,
            )
        } else {
            None
        };
        sqlx::query!(
            "INSERT INTO construction_acceptances (platform_id, result, accepted_on, remarks, document_id, recorded_by,
                                                   recorded_at)
             VALUES ($2, $3, $1, $4, $5, $6, ($1::date + time '10:00') AT TIME ZONE 'Asia/Shanghai')",
            on,
            id,
            result as AcceptanceResult,
            remarks,
            document_id,
            city.staff_id
        )
        .execute(&mut *conn)
        .await?;
        lifecycle_event(
            conn,
            &DemoEvent {
                document_id,
                ..DemoEvent::by(
                    id,
                    on,
                    staff,
                    "construction.accepted",
                    &format!("建设期满验收：{}（验收日期 {on}）", result.label_zh()),
                    remarks,
                )
            },
        )
        .await?;
    }

    // ---- research integrity: a serious violation on a rectifying platform, a minor one elsewhere
    let rectifying = city
        .platforms
        .iter()
        .find(|p| p.2 == Stage::Rectifying)
        .map(|p| p.0);
    let minor_on = city.platforms.get(3).map(|p| p.0);
    let records = [
        (
            rectifying,
            today - Duration::days(400),
            true,
            "示例：平台承担的市级科技项目存在虚报科研人员劳务费的情况，经调查核实属严重科研失信行为（虚构）。",
            350_000_i64,
        ),
        (
            minor_on,
            today - Duration::days(250),
            false,
            "示例：年度科技报告逾期两个月提交，已责令改正（虚构）。",
            0,
        ),
    ];
    for (platform, on, serious, description, funds) in records {
        let Some(platform_id) = platform else {
            continue;
        };
        sqlx::query!(
            "INSERT INTO integrity_records (platform_id, occurred_on, serious, description, funds_to_recover, recorded_by,
                                            recorded_at)
             VALUES ($2, $1, $3, $4, $5, $6, ($1::date + time '10:00') AT TIME ZONE 'Asia/Shanghai')",
            on,
            platform_id,
            serious,
            description,
            funds,
            city.staff_id
        )
        .execute(&mut *conn)
        .await?;
        let document_id = if serious {
            let pdf = demo_pdf(&[
                "Research integrity finding (demo, fictitious)".into(),
                format!("Platform: {}", code_of(platform_id)),
                format!("Date: {on}"),
                "Finding: serious; funds to recover: 350000 yuan".into(),
            ]);
            Some(
                document(
                    conn,
                    platform_id,
                    DocumentKind::Integrity,
                    "科研诚信调查处理决定（示例）",
                    city.staff_id,
                    &[(on, "科研诚信处理决定.pdf", pdf, "")],
                )
                .await?,
            )
        } else {
            None
        };
        let until = crate::domain::calendar::add_months(on, 36);
        let summary = if serious {
            format!("记录科研诚信严重违规（{on}），绩效评估禁入至 {until}")
        } else {
            format!("记录科研诚信一般违规（{on}）")
        };
        lifecycle_event(
            conn,
            &DemoEvent {
                document_id,
                ..DemoEvent::by(
                    platform_id,
                    on,
                    staff,
                    "integrity.recorded",
                    &summary,
                    description,
                )
            },
        )
        .await?;
    }

    // ---- a document with two versions on the operator's platform
    if let Some(&(platform_id, ref code, ..)) = city.platforms.first() {
        let first = today - Duration::days(75);
        let second = today - Duration::days(30);
        let summary = |v: &str| {
            demo_pdf(&[
                "Annual work summary (demo, fictitious)".into(),
                format!("Platform: {code}"),
                format!("Draft: {v}"),
            ])
        };
        let id = document(
            conn,
            platform_id,
            DocumentKind::Other,
            "年度工作总结（示例）",
            city.operator_id,
            &[
                (first, "年度工作总结-初稿.pdf", summary("v1"), "初稿"),
                (
                    second,
                    "年度工作总结-修订稿.pdf",
                    summary("v2"),
                    "按顾问意见修订",
                ),
            ],
        )
        .await?;
        for (on, kind, text) in [
            (
                first,
                "document.uploaded",
                "上传其他《年度工作总结（示例）》（年度工作总结-初稿.pdf）",
            ),
            (
                second,
                "document.revised",
                "上传其他《年度工作总结（示例）》第 2 版（年度工作总结-修订稿.pdf）",
            ),
        ] {
            lifecycle_event(
                conn,
                &DemoEvent {
                    document_id: Some(id),
                    ..DemoEvent::by(
                        platform_id,
                        on,
                        (city.operator_id, "demo-operator"),
                        kind,
                        text,
                        "",
                    )
                },
            )
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::documents::{FileType, detect};

    #[test]
    fn demo_pdfs_are_pdfs_with_a_valid_xref() {
        let pdf = demo_pdf(&["Hello (world)".into()]);
        assert_eq!(detect(&pdf), Ok(FileType::Pdf));
        let text = String::from_utf8(pdf.clone()).expect("ascii");
        let startxref: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|s| s.lines().next())
            .and_then(|s| s.parse().ok())
            .expect("startxref");
        assert!(text[startxref..].starts_with("xref"));
        // Every object offset points at its object.
        for (i, line) in text[startxref..].lines().skip(3).take(5).enumerate() {
            let off: usize = line[..10].parse().expect("offset");
            assert!(
                text[off..].starts_with(&format!("{} 0 obj", i + 1)),
                "{line}"
            );
        }
        assert!(text.contains("(Hello \\(world\\)) Tj"));
    }

    #[test]
    fn one_advisor_platform_is_overdue() {
        let overdue: Vec<usize> = VISIT_DAYS_AGO
            .iter()
            .enumerate()
            .filter(|(_, days)| days.iter().min().is_some_and(|&d| d > 183))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(overdue, vec![5]);
        assert!(
            VISIT_DAYS_AGO
                .iter()
                .flat_map(|d| d.iter())
                .all(|&d| d < 366)
        );
    }
}
