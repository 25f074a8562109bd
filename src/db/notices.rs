//! In-app notices (nothing is ever sent outside the system): deadline reminders 14 and 3 days
//! before each step of the annual cycle and on the day, to the platform's operators and its
//! responsible staff member; each user's list; and the overdue steps staff see.
//!
//! The generator is idempotent: `notices_once (user_id, kind, subject, days_left)` lets each
//! reminder exist once however often it runs.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

use super::annual_config;
use super::audit::{self, Actor};
use super::platforms::push_scope;
use crate::domain::annual::Step;
use crate::domain::reminders::{self, Reminder};
use crate::domain::scope::PlatformScope;

/// The stored code of a step (`notices.kind` is `deadline.<code>`).
pub fn step_code(step: Step) -> &'static str {
    match step {
        Step::Filing => "filing",
        Step::Midyear => "midyear",
        Step::Yearend => "yearend",
    }
}

/// What the operator has to hand in for a step.
fn step_task_zh(step: Step) -> &'static str {
    match step {
        Step::Filing => "年初备案（年度目标、收入计划和支出预算）",
        Step::Midyear => "半年报告（上半年指标完成情况）",
        Step::Yearend => "年度评估材料（全年实绩、自评和佐证）",
    }
}

/// Where a step of a platform's year is handled.
pub fn step_link(step: Step, platform_id: i64, year: i32) -> String {
    match step {
        Step::Midyear => format!("/platforms/{platform_id}/midyear?year={year}"),
        Step::Filing | Step::Yearend => format!("/platforms/{platform_id}/annual?year={year}"),
    }
}

/// `AND` whether the platform `p` has done `step` of `year`:
/// - filing: a version was submitted or approved (a change to an approved filing carries a reason);
/// - mid-year: the report is submitted;
/// - year-end: the evaluation is submitted (any status past the operator, returns excepted).
fn push_done(qb: &mut QueryBuilder<'_, Postgres>, step: Step, year: i32) {
    match step {
        Step::Filing => qb
            .push("EXISTS (SELECT 1 FROM filings f WHERE f.platform_id = p.id AND f.year = ")
            .push_bind(year)
            .push(" AND (f.status IN ('submitted', 'approved') OR f.change_reason <> ''))"),
        Step::Midyear => qb
            .push(
                "EXISTS (SELECT 1 FROM midyear_reports r WHERE r.platform_id = p.id AND r.year = ",
            )
            .push_bind(year)
            .push(" AND r.status = 'submitted')"),
        Step::Yearend => qb
            .push("EXISTS (SELECT 1 FROM evaluations e WHERE e.platform_id = p.id AND e.year = ")
            .push_bind(year)
            .push(" AND e.status NOT IN ('draft', 'county_returned', 'city_returned'))"),
    };
}

/// The platforms that owe `step` of `year` by `deadline`: operating, and operating by then.
fn push_owing(qb: &mut QueryBuilder<'_, Postgres>, deadline: NaiveDate) {
    qb.push(" p.stage = 'operating' AND (p.operating_since IS NULL OR p.operating_since <= ")
        .push_bind(deadline)
        .push(")");
}

#[derive(Debug, sqlx::FromRow)]
struct Recipient {
    platform_id: i64,
    platform_name: String,
    done: bool,
    user_id: i64,
}

/// Creates the reminders due on `today` in the caller's transaction; returns how many were new.
pub async fn generate_on(conn: &mut PgConnection, today: NaiveDate) -> Result<u64, sqlx::Error> {
    let mut created = 0;
    for year in today.year() - 1..=today.year() + 1 {
        let (config, _) = annual_config::get(conn, year).await?;
        for step in Step::ALL {
            let deadline = config.deadline(year, step);
            // Nothing is due on this day for anybody: skip the query.
            if reminders::due(today, deadline, false).is_none() {
                continue;
            }
            let mut qb = QueryBuilder::new("SELECT p.id AS platform_id, p.name AS platform_name, ");
            push_done(&mut qb, step, year);
            qb.push(
                " AS done, u.id AS user_id
                 FROM platforms p
                 JOIN users u ON ((u.role = 'operator' AND u.platform_id = p.id) OR u.id = p.responsible_staff_id)
                                 AND NOT u.disabled
                 WHERE",
            );
            push_owing(&mut qb, deadline);
            qb.push(" ORDER BY p.id, u.id");
            let rows: Vec<Recipient> = qb.build_query_as().fetch_all(&mut *conn).await?;
            for r in rows {
                let Some(reminder) = reminders::due(today, deadline, r.done) else {
                    continue;
                };
                created += insert_reminder(
                    conn,
                    step,
                    year,
                    deadline,
                    reminder,
                    (r.platform_id, &r.platform_name),
                    r.user_id,
                )
                .await?;
            }
        }
    }
    Ok(created)
}

/// One reminder to one user about a platform's step (nothing when it exists already); returns
/// 1 when it was new.
pub async fn insert_reminder(
    conn: &mut PgConnection,
    step: Step,
    year: i32,
    deadline: NaiveDate,
    reminder: Reminder,
    (platform_id, platform_name): (i64, &str),
    user_id: i64,
) -> Result<u64, sqlx::Error> {
    let text = format!(
        "{platform_name}：{year} 年度{}截止日期为 {deadline}（{}），请及时提交{}。",
        step.label_zh(),
        reminder.label_zh(),
        step_task_zh(step),
    );
    let done = sqlx::query(
        "INSERT INTO notices (user_id, kind, subject, days_left, text, link)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT ON CONSTRAINT notices_once DO NOTHING",
    )
    .bind(user_id)
    .bind(format!("deadline.{}", step_code(step)))
    .bind(format!("{}:{year}:platform:{platform_id}", step_code(step)))
    .bind(reminder.days_left as i32)
    .bind(text)
    .bind(step_link(step, platform_id, year))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Generates the reminders due on `today` (Asia/Shanghai) in its own transaction, audited when it
/// created any. Safe to run any number of times.
pub async fn generate(pool: &PgPool, today: NaiveDate) -> Result<u64, sqlx::Error> {
    let actor = Actor::system("reminders");
    let mut tx = audit::begin(pool, &actor).await?;
    let created = generate_on(&mut tx, today).await?;
    if created > 0 {
        audit::record(
            &mut tx,
            &actor,
            "notices.generate",
            "notice",
            None,
            None,
            Some(serde_json::json!({"date": today, "created": created})),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(created)
}

/// Runs the generator now and then every day just after midnight in Beijing, for as long as the
/// server runs (a failed run is retried an hour later).
pub fn spawn_daily(pool: PgPool) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let today = reminders::beijing_today(Utc::now());
            let wait = match generate(&pool, today).await {
                Ok(created) => {
                    tracing::info!(%today, created, "deadline reminders generated");
                    reminders::until_next_beijing_midnight(Utc::now())
                        + std::time::Duration::from_secs(1)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "deadline reminders could not be generated; retrying in an hour");
                    std::time::Duration::from_secs(3600)
                }
            };
            tokio::time::sleep(wait).await;
        }
    })
}

// ---- a user's notices ------------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Notice {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub days_left: i32,
    pub text: String,
    pub link: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// One page of the user's notices (unread first, newest first) and how many there are.
pub async fn list(
    pool: &PgPool,
    user_id: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Notice>, i64), sqlx::Error> {
    let rows = sqlx::query_as(
        "SELECT id, kind, subject, days_left, text, link, created_at, read_at FROM notices
         WHERE user_id = $1
         ORDER BY read_at IS NOT NULL, created_at DESC, id DESC LIMIT $2 OFFSET $3",
    )
    .bind(user_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar("SELECT count(*) FROM notices WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(pool)
        .await?;
    Ok((rows, total))
}

/// Marks one of the user's own notices read; None when it is not theirs (or does not exist).
pub async fn mark_read(
    conn: &mut PgConnection,
    user_id: i64,
    id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE notices SET read_at = coalesce(read_at, now()) WHERE id = $1 AND user_id = $2 RETURNING link",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(conn)
    .await
}

/// Marks all the user's notices read; returns how many were unread.
pub async fn mark_all_read(conn: &mut PgConnection, user_id: i64) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query("UPDATE notices SET read_at = now() WHERE user_id = $1 AND read_at IS NULL")
            .bind(user_id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected())
}

// ---- overdue steps (staff) -------------------------------------------------------------------------

/// A step of the annual cycle a platform has not done by its deadline.
#[derive(Debug, Clone)]
pub struct OverdueStep {
    pub step: Step,
    pub year: i32,
    pub deadline: NaiveDate,
    pub days_late: i64,
    pub platform_id: i64,
    pub platform_name: String,
    pub jurisdiction_name: String,
}

#[derive(Debug, sqlx::FromRow)]
struct OwingRow {
    id: i64,
    name: String,
    jurisdiction_name: String,
}

/// Filings, mid-year reports and evaluations overdue `today` on the operating platforms `scope`
/// allows (each step's latest passed deadline, within one cycle), most overdue first.
pub async fn overdue_steps(
    conn: &mut PgConnection,
    scope: PlatformScope,
    today: NaiveDate,
) -> Result<Vec<OverdueStep>, sqlx::Error> {
    let mut out = Vec::new();
    for year in today.year() - 2..=today.year() {
        let (config, _) = annual_config::get(conn, year).await?;
        for step in Step::ALL {
            let deadline = config.deadline(year, step);
            let Some(days_late) = reminders::overdue(today, deadline, false) else {
                continue;
            };
            let mut qb = QueryBuilder::new(
                "SELECT p.id, p.name, j.name AS jurisdiction_name
                 FROM platforms p JOIN jurisdictions j ON j.id = p.jurisdiction_id
                 WHERE",
            );
            push_owing(&mut qb, deadline);
            push_scope(&mut qb, scope);
            qb.push(" AND NOT ");
            push_done(&mut qb, step, year);
            qb.push(" ORDER BY p.code");
            let rows: Vec<OwingRow> = qb.build_query_as().fetch_all(&mut *conn).await?;
            out.extend(rows.into_iter().map(|r| OverdueStep {
                step,
                year,
                deadline,
                days_late,
                platform_id: r.id,
                platform_name: r.name,
                jurisdiction_name: r.jurisdiction_name,
            }));
        }
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.days_late));
    Ok(out)
}
