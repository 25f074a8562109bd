//! Demo rectification cases, plans, decisions (退/转/并/留).
//!
//! Rectifying platforms get an open case with its triggers, a plan of three measures (one done, one overdue, one
//! still running) and progress notes; the first of them (in 崇川区, so both demo staff accounts can act on it)
//! also has an assessment and a pending 留 proposal awaiting the second staff member's sign-off. Exited,
//! converted and merged platforms get the decided case that put them there, proposed by `demo-staff` and
//! signed off by `demo-county-staff`, with their timeline events on past dates.

use chrono::{Duration, NaiveDate};
use sqlx::PgConnection;

use super::{DemoCity, DemoEvent, lifecycle_event};
use crate::domain::lifecycle::Trigger;
use crate::domain::platform::{Category, Stage};
use crate::domain::rectification::DecisionKind;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The trigger sets the demo cases cycle through, with the facts behind them. None of them is
/// 评估不合格 (`FailGrade`): a case for a failed evaluation comes only from a 不合格 the demo
/// evaluations actually gave (`demo::evaluation` drafts it), so the trigger always matches the
/// platform's evaluation history.
const TRIGGERS: [(&[Trigger], &str); 3] = [
    (
        &[Trigger::ProgressBelowExpectation],
        "上一年度建设目标完成度仅为48%，低于60%，中试线建设明显滞后。",
    ),
    (
        &[Trigger::TransferNotWorking, Trigger::FunctionsWeakened],
        "连续两个年度技术合同和技术成果转化收入均为0，研发人员较上年减少四成。",
    ),
    (
        &[
            Trigger::ProgressBelowExpectation,
            Trigger::TransferNotWorking,
        ],
        "建设进度滞后且成果转化渠道尚未打通，年度自主收入下降三成。",
    ),
];

const MEASURES: [(&str, &str); 3] = [
    ("调整研发方向，聚焦集群企业共性技术需求", "平台主任"),
    ("与不少于3家集群企业签订技术服务合同", "运营公司总经理"),
    ("完善理事会议事规则，按季度报送整改进展", "理事会秘书处"),
];

/// Inserts a case opened on `opened` with its measures (`done` flags) and notes; returns its id.
async fn open_case(
    conn: &mut PgConnection,
    city: &DemoCity,
    platform_id: i64,
    n: usize,
    opened: NaiveDate,
    deadline: NaiveDate,
    done: [bool; 3],
) -> Result<i64, sqlx::Error> {
    let (triggers, note) = TRIGGERS[n % TRIGGERS.len()];
    let case_id = sqlx::query_scalar!(
        "INSERT INTO rectification_cases (platform_id, status, triggers, trigger_note, plan_summary, deadline,
                                          opened_by, opened_at)
         VALUES ($1, 'open', $2, $3, $4, $5, $6, ($7::date + time '09:30') AT TIME ZONE 'Asia/Shanghai')
         RETURNING id",
        platform_id,
        triggers as &[Trigger],
        note,
        "围绕集群需求调整方向、打通成果转化渠道、健全治理机制，按季度报送整改进展。",
        deadline,
        city.staff_id,
        opened
    )
    .fetch_one(&mut *conn)
    .await?;
    let dues = [
        opened + Duration::days(30),
        opened + Duration::days(60),
        deadline - Duration::days(30),
    ];
    for ((description, owner), (due, done)) in MEASURES.iter().zip(dues.into_iter().zip(done)) {
        sqlx::query!(
            "INSERT INTO rectification_measures (case_id, description, owner, due_date, done)
             VALUES ($1, $2, $3, $4, $5)",
            case_id,
            description,
            owner,
            due,
            done
        )
        .execute(&mut *conn)
        .await?;
    }
    let notes = [
        (20, "召开整改启动会，平台提交整改方案，明确责任人和时间表。"),
        (75, "研发方向调整已完成；企业对接仍在洽谈，进度慢于计划。"),
    ];
    for (days, text) in notes {
        sqlx::query!(
            "INSERT INTO rectification_notes (case_id, author_id, note, created_at)
             VALUES ($1, $2, $3, ($4::date + time '15:00') AT TIME ZONE 'Asia/Shanghai')",
            case_id,
            city.staff_id,
            text,
            opened + Duration::days(days)
        )
        .execute(&mut *conn)
        .await?;
    }
    lifecycle_event(
        conn,
        &DemoEvent {
            stages: (Some(Stage::Operating), Some(Stage::Rectifying)),
            ..DemoEvent::by(
                platform_id,
                opened,
                (city.staff_id, "demo-staff"),
                "case.opened",
                &format!(
                    "启动退出整改（触发情形：{}），整改期限 {deadline}",
                    triggers
                        .iter()
                        .map(|t| t.label_zh())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
                note,
            )
        },
    )
    .await?;
    Ok(case_id)
}

const ASSESSMENT: &str = "经组织产业顾问和3名行业专家现场评估，结合近两年运行数据，形成评估结论。";

async fn assess(
    conn: &mut PgConnection,
    city: &DemoCity,
    platform_id: i64,
    case_id: i64,
    on: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE rectification_cases SET assessment = $2, assessed_by = $3,
                assessed_at = ($4::date + time '10:00') AT TIME ZONE 'Asia/Shanghai'
         WHERE id = $1",
        case_id,
        ASSESSMENT,
        city.staff_id,
        on
    )
    .execute(&mut *conn)
    .await?;
    lifecycle_event(
        conn,
        &DemoEvent::by(
            platform_id,
            on,
            (city.staff_id, "demo-staff"),
            "case.assessed",
            "记录充分评估意见",
            ASSESSMENT,
        ),
    )
    .await
}

/// Records `demo-staff`'s proposal on `on`.
#[allow(clippy::too_many_arguments)]
async fn propose(
    conn: &mut PgConnection,
    city: &DemoCity,
    platform_id: i64,
    case_id: i64,
    on: NaiveDate,
    kind: DecisionKind,
    what: &str,
    reason: &str,
    convert_to: Option<Category>,
    merge_into: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE rectification_cases SET decision = $2, decision_reason = $3, convert_to = $4, merge_into_id = $5,
                proposed_by = $6, proposed_at = ($7::date + time '11:00') AT TIME ZONE 'Asia/Shanghai'
         WHERE id = $1",
        case_id,
        kind as DecisionKind,
        reason,
        convert_to as Option<Category>,
        merge_into,
        city.staff_id,
        on
    )
    .execute(&mut *conn)
    .await?;
    lifecycle_event(
        conn,
        &DemoEvent::by(
            platform_id,
            on,
            (city.staff_id, "demo-staff"),
            "case.proposed",
            &format!("提议{what}，待另一名业务人员签核"),
            reason,
        ),
    )
    .await
}

/// Seeds the demo city's rectification cases, plans, decisions (退/转/并/留) (idempotency is handled by the caller).
pub async fn seed(conn: &mut PgConnection, city: &DemoCity) -> anyhow::Result<()> {
    let mut open_n = 0;
    let mut decided_n = 0;
    for (id, _, stage, _) in &city.platforms {
        match stage {
            Stage::Rectifying => {
                seed_open(conn, city, *id, open_n).await?;
                open_n += 1;
            }
            Stage::Exited | Stage::Converted | Stage::Merged => {
                seed_decided(conn, city, *id, *stage, decided_n).await?;
                decided_n += 1;
            }
            _ => {}
        }
    }
    Ok(())
}

/// An open case; the first one also has an assessment and a pending 留 proposal.
async fn seed_open(
    conn: &mut PgConnection,
    city: &DemoCity,
    id: i64,
    n: usize,
) -> Result<(), sqlx::Error> {
    let opened = date(2026, 5, 12) + Duration::days(30 * n as i64);
    let deadline = date(2027, 3, 31);
    // The first measure is done, the second is past its due date and not done (overdue), the third runs on.
    let case_id = open_case(conn, city, id, n, opened, deadline, [true, false, false]).await?;
    if n == 0 {
        assess(conn, city, id, case_id, opened + Duration::days(150)).await?;
        propose(
            conn,
            city,
            id,
            case_id,
            opened + Duration::days(160),
            DecisionKind::Retain,
            DecisionKind::Retain.label_zh(),
            "整改措施大部分已落实，研发方向调整到位，建议保留并继续跟踪企业对接进展。",
            None,
            None,
        )
        .await?;
    }
    Ok(())
}

/// The decided case that took a platform to its terminal stage.
async fn seed_decided(
    conn: &mut PgConnection,
    city: &DemoCity,
    id: i64,
    stage: Stage,
    n: usize,
) -> Result<(), sqlx::Error> {
    let opened = date(2024, 3, 4) + Duration::days(45 * n as i64);
    let deadline = opened + Duration::days(270);
    let case_id = open_case(conn, city, id, n + 1, opened, deadline, [true, true, false]).await?;
    let assessed = deadline + Duration::days(14);
    assess(conn, city, id, case_id, assessed).await?;

    let row = sqlx::query!(
        r#"SELECT p.category AS "category?: Category", p.merged_into_id,
                  m.code || ' ' || m.name AS target_name
           FROM platforms p LEFT JOIN platforms m ON m.id = p.merged_into_id WHERE p.id = $1"#,
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    let target_name = row.target_name;
    let (kind, convert_to, merge_into) = match stage {
        Stage::Converted => (DecisionKind::Convert, row.category, None),
        Stage::Merged => (DecisionKind::Merge, None, row.merged_into_id),
        _ => (DecisionKind::Exit, None, None),
    };
    let (what, reason) = match kind {
        DecisionKind::Convert => (
            format!(
                "转型（转）为{}",
                convert_to.map(Category::label_zh).unwrap_or("")
            ),
            "平台现有团队和业务更适合新的功能定位，经评估同意转型。".to_owned(),
        ),
        DecisionKind::Merge => (
            format!("合并（并）入{}", target_name.as_deref().unwrap_or("")),
            "与同领域平台方向重叠，并入后可共享设备和团队，经评估同意合并。".to_owned(),
        ),
        _ => (
            DecisionKind::Exit.label_zh().to_owned(),
            "整改期满主要指标仍未达到要求，经充分评估，同意退出。".to_owned(),
        ),
    };
    let proposed = assessed + Duration::days(7);
    propose(
        conn, city, id, case_id, proposed, kind, &what, &reason, convert_to, merge_into,
    )
    .await?;
    let signed = proposed + Duration::days(5);
    sqlx::query!(
        "UPDATE rectification_cases SET status = 'decided', signed_off_by = $2,
                signed_off_at = ($3::date + time '16:00') AT TIME ZONE 'Asia/Shanghai', version = 5
         WHERE id = $1",
        case_id,
        city.county_staff_id,
        signed
    )
    .execute(&mut *conn)
    .await?;
    lifecycle_event(
        conn,
        &DemoEvent {
            stages: (Some(Stage::Rectifying), Some(stage)),
            ..DemoEvent::by(
                id,
                signed,
                (city.county_staff_id, "demo-county-staff"),
                "case.decided",
                &format!("退/转/并/留决定生效：{what}（市级业务人员提议，崇川区业务人员签核）"),
                &reason,
            )
        },
    )
    .await?;
    if let Some(target) = merge_into {
        let merged = sqlx::query!("SELECT code, name FROM platforms WHERE id = $1", id)
            .fetch_one(&mut *conn)
            .await?;
        let (code, name) = (merged.code, merged.name);
        lifecycle_event(
            conn,
            &DemoEvent::by(
                target,
                signed,
                (city.county_staff_id, "demo-county-staff"),
                "merge.received",
                &format!("平台「{code} {name}」并入本平台"),
                &reason,
            ),
        )
        .await?;
    }
    Ok(())
}
