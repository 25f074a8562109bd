//! Demo registration dossiers (设立登记): every platform past registration has a complete one
//! (approved charter, the three documents, a council of 5–9 with a chair, operating modes, and a
//! company with a valid USCC where a company mode is chosen); the platforms still in registration
//! have partial dossiers with different gaps, one of them complete enough to approve.

use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use super::{DemoCity, insert_event};
use crate::domain::platform::{DecisionBodyKind, Stage};
use crate::domain::registration::{
    self, BodyDraft, Charter, Contribution, OperatingMode, ReviewAction, ReviewStatus, Section,
    SharePct, Stake,
};
use crate::domain::uscc::{Uscc, UsccError};

/// Seeds the demo city's registration dossiers (idempotency is handled by the caller).
pub async fn seed(conn: &mut PgConnection, city: &DemoCity) -> anyhow::Result<()> {
    let mut approvable_chosen = false;
    let mut gap = 0;
    for (n, ((id, code, stage, since), &registered)) in
        city.platforms.iter().zip(&city.registered).enumerate()
    {
        let uploader = if n == 0 {
            city.operator_id
        } else {
            city.staff_id
        };
        let d = Demo {
            id: *id,
            code,
            n,
            registered,
            uploader,
        };
        if *stage != Stage::Registration {
            d.complete(conn, city, *since).await?;
            continue;
        }
        let has_category = sqlx::query_scalar!(
            r#"SELECT category IS NOT NULL AS "has_category!" FROM platforms WHERE id = $1"#,
            *id
        )
        .fetch_one(&mut *conn)
        .await?;
        if has_category && !approvable_chosen {
            // Everything on file: staff can approve it in the demo.
            approvable_chosen = true;
            d.complete(conn, city, None).await?;
        } else {
            d.partial(conn, city, gap).await?;
            gap += 1;
        }
    }
    Ok(())
}

/// One demo platform being given its dossier.
struct Demo<'a> {
    id: i64,
    code: &'a str,
    /// Demo platform number (0-based): varies names, sizes and modes.
    n: usize,
    registered: NaiveDate,
    uploader: i64,
}

const SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙",
];
const GIVEN: [&str; 10] = [
    "明远", "思齐", "海波", "晓峰", "建华", "静怡", "志强", "雨涵", "立新", "文博",
];
const AFFILIATIONS: [&str; 5] = [
    "示例大学",
    "示例研究所",
    "示例市科技局",
    "示例依托企业",
    "示例产业投资基金",
];

/// A fictitious person's name, different per platform and seat.
fn person(n: usize, seat: usize) -> String {
    format!(
        "{}{}",
        SURNAMES[(n * 7 + seat * 5) % SURNAMES.len()],
        GIVEN[(n * 3 + seat) % GIVEN.len()]
    )
}

/// The modes of demo platform `n`: every mode appears, most with a company.
fn modes_of(n: usize) -> Vec<OperatingMode> {
    use OperatingMode::*;
    match n % 4 {
        0 => vec![OperatingCompany, ProofOfConceptCenter],
        1 => vec![OperatingCompany, IndustrializationCompany],
        2 => vec![JointInnovationCenter],
        _ => vec![OperatingCompany, JointInnovationCenter],
    }
}

/// A valid unified social credit code for a demo company: 91 (enterprise) + 320600 (Nantong) +
/// a made-up organisation code, the check character computed by [`Uscc`] itself.
fn demo_uscc(n: usize, mode: OperatingMode) -> Uscc {
    let serial = 1_000_000 + n * 37 + usize::from(mode == OperatingMode::IndustrializationCompany);
    let body = format!("91320600MA{serial:07}");
    let mut candidate = format!("{body}0");
    if let Err(UsccError::CheckDigit { expected, .. }) = Uscc::parse(&candidate) {
        candidate = format!("{body}{expected}");
    }
    Uscc::parse(&candidate).expect("a demo USCC built with its own check character")
}

/// A small but real PDF naming the platform and the document.
fn demo_pdf(code: &str, kind: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n% kechuang demo document: {code} {kind}\n\
         1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
         2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n\
         3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n\
         trailer << /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

impl Demo<'_> {
    /// A document of `kind` with one version, uploaded `days` after registration.
    async fn document(
        &self,
        conn: &mut PgConnection,
        kind: &str,
        title: &str,
        days: i64,
    ) -> Result<i64, sqlx::Error> {
        let on = self.registered + chrono::Duration::days(days);
        let doc_id = sqlx::query_scalar!(
            "INSERT INTO documents (platform_id, kind, title, created_by, created_at)
             VALUES ($1, $2, $3, $4, ($5::date + time '10:00') AT TIME ZONE 'Asia/Shanghai') RETURNING id",
            self.id,
            kind,
            title,
            self.uploader,
            on
        )
        .fetch_one(&mut *conn)
        .await?;
        let content = demo_pdf(self.code, kind);
        sqlx::query!(
            "INSERT INTO document_versions (document_id, version, file_name, content_type, size_bytes, sha256,
                                            content, uploaded_by, uploaded_at)
             VALUES ($1, 1, $2, 'application/pdf', $3, $4, $5, $6,
                     ($7::date + time '10:00') AT TIME ZONE 'Asia/Shanghai')",
            doc_id,
            format!("{}-{title}.pdf", self.code),
            i32::try_from(content.len()).unwrap_or(i32::MAX),
            hex::encode(Sha256::digest(&content)),
            content.as_slice(),
            self.uploader,
            on
        )
        .execute(&mut *conn)
        .await?;
        Ok(doc_id)
    }

    async fn documents(
        &self,
        conn: &mut PgConnection,
        charter: bool,
        agreement: bool,
        plan: bool,
    ) -> Result<(), sqlx::Error> {
        if charter {
            self.document(conn, "charter", "平台章程（示例）", 15)
                .await?;
        }
        if agreement {
            self.document(conn, "co_building_agreement", "共建协议（示例）", 5)
                .await?;
        }
        if plan {
            self.document(conn, "construction_plan", "建设方案（示例）", 10)
                .await?;
        }
        Ok(())
    }

    /// A decision body with `members` members; the first is the chair when `chair`.
    async fn body(
        &self,
        conn: &mut PgConnection,
        kind: DecisionBodyKind,
        members: usize,
        chair: bool,
    ) -> Result<(), sqlx::Error> {
        let draft = BodyDraft {
            kind,
            name: format!("第一届{}", kind.label_zh()),
        };
        let body_id = crate::db::registration::insert_body(conn, self.id, &draft).await?;
        let (head, deputy, member) = match kind {
            DecisionBodyKind::Council => ("理事长", "副理事长", "理事"),
            DecisionBodyKind::Board => ("董事长", "副董事长", "董事"),
            DecisionBodyKind::ManagementCommittee => ("主任", "副主任", "委员"),
        };
        for seat in 0..members {
            let position = match seat {
                0 if chair => head,
                0 | 1 => deputy,
                _ => member,
            };
            sqlx::query!(
                "INSERT INTO decision_body_members (body_id, name, position, affiliation, is_chair)
                 VALUES ($1, $2, $3, $4, $5)",
                body_id,
                person(self.n, seat),
                position,
                AFFILIATIONS[(self.n + seat) % AFFILIATIONS.len()],
                chair && seat == 0
            )
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    async fn dossier_row(
        &self,
        conn: &mut PgConnection,
        charter: Charter,
        targets: &str,
        modes: &[OperatingMode],
        approved: Option<(NaiveDate, i64)>,
        status: ReviewStatus,
    ) -> Result<(), sqlx::Error> {
        sqlx::query!(
            "UPDATE registrations SET charter_status = $2, plan_targets = $3, operating_modes = $4,
                    approved_at = ($5::date + time '10:00') AT TIME ZONE 'Asia/Shanghai', approved_by = $6,
                    status = $7
             WHERE platform_id = $1",
            self.id,
            charter as Charter,
            targets,
            modes as &[OperatingMode],
            approved.map(|(on, _)| on),
            approved.map(|(_, by)| by),
            status as ReviewStatus
        )
        .execute(conn)
        .await?;
        Ok(())
    }

    /// One step of the registration's history on a past day (`reasons`: a return's, per part).
    async fn review(
        &self,
        conn: &mut PgConnection,
        action: ReviewAction,
        on: NaiveDate,
        actor: i64,
        comment: &str,
        reasons: &[(Section, &str)],
    ) -> Result<(), sqlx::Error> {
        let items: std::collections::BTreeMap<&str, &str> =
            reasons.iter().map(|(s, r)| (s.as_str(), *r)).collect();
        sqlx::query!(
            "INSERT INTO registration_reviews (platform_id, action, actor_id, at, comment, item_comments)
             VALUES ($1, $2, $3, ($4::date + time '10:00') AT TIME ZONE 'Asia/Shanghai', $5, $6)",
            self.id,
            action as ReviewAction,
            actor,
            on,
            comment,
            sqlx::types::Json(items) as _
        )
        .execute(conn)
        .await?;
        Ok(())
    }

    /// The company of a company mode, with shareholders; the control flag derived from them.
    async fn company(
        &self,
        conn: &mut PgConnection,
        mode: OperatingMode,
    ) -> Result<(), sqlx::Error> {
        let (suffix, holders): (&str, [(&str, &str, Contribution, bool); 3]) = match mode {
            OperatingMode::IndustrializationCompany => (
                "产业化有限公司",
                [
                    ("示例产业集团有限公司", "60", Contribution::Cash, false),
                    ("平台核心骨干（示例）", "25", Contribution::Cash, true),
                    ("示例大学技术转移中心", "15", Contribution::Ip, false),
                ],
            ),
            _ if self.n.is_multiple_of(2) => (
                "运营管理有限公司",
                [
                    (
                        "平台管理团队持股平台（示例）",
                        "55",
                        Contribution::Cash,
                        true,
                    ),
                    ("依托单位（示例）", "30", Contribution::Ip, false),
                    ("示例产业投资基金", "15", Contribution::Cash, false),
                ],
            ),
            _ => (
                "运营管理有限公司",
                [
                    ("依托单位（示例）", "51", Contribution::Cash, false),
                    ("平台核心骨干（示例）", "29", Contribution::Cash, true),
                    ("示例创业投资有限公司", "20", Contribution::Equipment, false),
                ],
            ),
        };
        let stakes: Vec<Stake> = holders
            .iter()
            .map(|(_, pct, contribution, is_management)| Stake {
                share: SharePct::parse(pct).unwrap_or_default(),
                contribution: *contribution,
                is_management: *is_management,
            })
            .collect();
        let uscc = demo_uscc(self.n, mode);
        let company_id = sqlx::query_scalar!(
            "INSERT INTO platform_companies (platform_id, mode, name, uscc, mgmt_cash_controlling, created_at)
             VALUES ($1, $2, $3, $4, $5, ($6::date + time '10:00') AT TIME ZONE 'Asia/Shanghai') RETURNING id",
            self.id,
            mode as OperatingMode,
            format!("示例{}{suffix}", self.code.replace('-', "")),
            uscc as Uscc,
            registration::mgmt_cash_controlling(&stakes),
            self.registered + chrono::Duration::days(30)
        )
        .fetch_one(&mut *conn)
        .await?;
        for ((name, _, contribution, is_management), stake) in holders.iter().zip(&stakes) {
            // `$3` is the share in hundredths of a percent, an `int4` (so it is cast before the division).
            sqlx::query!(
                "INSERT INTO company_shareholders (company_id, name, share_pct, contribution, is_management)
                 VALUES ($1, $2, $3::int4::numeric / 100, $4, $5)",
                company_id,
                *name,
                i32::try_from(stake.share.hundredths()).unwrap_or(0),
                *contribution as Contribution,
                *is_management
            )
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    fn targets(&self) -> String {
        format!(
            "建设期内：研发投入不低于{}万元；引进和培育研发人员{}名；孵化科技型企业{}家；\
             签订技术合同{}项；建成中试验证线1条并对外开放共享。（示例目标）",
            2000 + 500 * (self.n % 5),
            30 + 5 * (self.n % 6),
            5 + self.n % 8,
            20 + 3 * (self.n % 7)
        )
    }

    /// A complete dossier; `approved_on` stamps the approval (platforms past registration).
    async fn complete(
        &self,
        conn: &mut PgConnection,
        city: &DemoCity,
        approved_on: Option<NaiveDate>,
    ) -> Result<(), sqlx::Error> {
        let modes = modes_of(self.n);
        self.dossier_row(
            conn,
            Charter::Approved,
            &self.targets(),
            &modes,
            approved_on.map(|on| (on, city.staff_id)),
            if approved_on.is_some() {
                ReviewStatus::Approved
            } else {
                ReviewStatus::Submitted
            },
        )
        .await?;
        // Submitted once everything was on file; approved when it started operating, or (the one
        // still in registration) waiting for staff.
        let submitted = self.registered + chrono::Duration::days(45);
        self.review(
            conn,
            ReviewAction::Submitted,
            submitted,
            self.uploader,
            "",
            &[],
        )
        .await?;
        if let Some(on) = approved_on {
            self.review(
                conn,
                ReviewAction::Approved,
                on,
                city.staff_id,
                "经核对，章程、决策机构、共建协议和建设方案齐全，同意设立。",
                &[],
            )
            .await?;
        }
        self.documents(conn, true, true, true).await?;
        let kind = if self.n % 3 == 2 {
            DecisionBodyKind::Board
        } else {
            DecisionBodyKind::Council
        };
        self.body(conn, kind, 5 + self.n % 5, true).await?;
        for &mode in modes.iter().filter(|&&m| registration::has_company(m)) {
            self.company(conn, mode).await?;
        }
        insert_event(
            conn,
            self.id,
            self.registered + chrono::Duration::days(20),
            "charter.approved",
            None,
            None,
            "章程审批通过",
        )
        .await?;
        Ok(())
    }

    /// A dossier still missing things, a different set for each `gap`.
    async fn partial(
        &self,
        conn: &mut PgConnection,
        city: &DemoCity,
        gap: usize,
    ) -> Result<(), sqlx::Error> {
        match gap % 3 {
            0 => {
                // Charter only drafted, a council of two, the agreement but no plan.
                self.dossier_row(conn, Charter::Draft, "", &[], None, ReviewStatus::Draft)
                    .await?;
                self.documents(conn, true, true, false).await?;
                self.body(conn, DecisionBodyKind::Council, 2, true).await?;
            }
            1 => {
                // Charter approved, a board of four without a chair, the plan but no agreement.
                // Submitted anyway, and returned for correction with a reason per part.
                let modes = [OperatingMode::JointInnovationCenter];
                self.dossier_row(
                    conn,
                    Charter::Approved,
                    &self.targets(),
                    &modes,
                    None,
                    ReviewStatus::Returned,
                )
                .await?;
                let submitted = self.registered + chrono::Duration::days(35);
                self.review(
                    conn,
                    ReviewAction::Submitted,
                    submitted,
                    self.uploader,
                    "",
                    &[],
                )
                .await?;
                let returned = submitted + chrono::Duration::days(6);
                self.review(
                    conn,
                    ReviewAction::Returned,
                    returned,
                    city.staff_id,
                    "请补正后重新提交。",
                    &[
                        (
                            Section::Bodies,
                            "董事会仅录入4名成员且未指定董事长，请补录成员并指定负责人。",
                        ),
                        (
                            Section::Plan,
                            "缺少与共建单位签订的共建协议，请上传加盖各方公章的协议文本。",
                        ),
                    ],
                )
                .await?;
                insert_event(
                    conn,
                    self.id,
                    returned,
                    "registration.returned",
                    None,
                    None,
                    "设立登记被退回补正（需补正：决策机构、共建协议与建设方案）",
                )
                .await?;
                self.documents(conn, true, false, true).await?;
                self.body(conn, DecisionBodyKind::Board, 4, false).await?;
                insert_event(
                    conn,
                    self.id,
                    self.registered + chrono::Duration::days(20),
                    "charter.approved",
                    None,
                    None,
                    "章程审批通过",
                )
                .await?;
            }
            _ => {
                // Both documents on file, but no charter and no decision body yet.
                let modes = [OperatingMode::OperatingCompany];
                self.dossier_row(
                    conn,
                    Charter::None,
                    &self.targets(),
                    &modes,
                    None,
                    ReviewStatus::Draft,
                )
                .await?;
                self.documents(conn, false, true, true).await?;
                self.company(conn, OperatingMode::OperatingCompany).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_usccs_are_valid_and_distinct() {
        let mut seen = std::collections::BTreeSet::new();
        for n in 0..super::super::PLATFORMS {
            for mode in [
                OperatingMode::OperatingCompany,
                OperatingMode::IndustrializationCompany,
            ] {
                let uscc = demo_uscc(n, mode);
                assert!(Uscc::parse(uscc.as_str()).is_ok());
                assert!(seen.insert(uscc), "duplicate USCC for {n}");
            }
        }
    }

    #[test]
    fn every_mode_appears_and_demo_pdfs_are_pdfs() {
        for mode in OperatingMode::ALL {
            assert!((0..4).any(|n| modes_of(n).contains(mode)), "{mode:?}");
        }
        assert!(demo_pdf("NT-2019-001", "charter").starts_with(b"%PDF-1.4"));
    }
}
