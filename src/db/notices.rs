//! Notices: deadline reminders 14 and 3 days before each step of the annual cycle and on the
//! day, and one when a checklist item becomes overdue, to the platform's operators and its
//! responsible staff member; notices on events ([`event`]); each user's list; and the overdue
//! steps staff see.
//!
//! The generator is idempotent: `notices_once (user_id, kind, subject, days_left)` lets each
//! reminder exist once however often it runs.
//!
//! E-mail: every notice written to `notices`, by whichever function, is queued for e-mail in the
//! same transaction by the table's trigger (migration 0020, `db::mail`) when its recipient has an
//! address — reminders only if the recipient has not turned their e-mails off.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

use super::annual_config;
use super::audit::{self, Actor};
use super::platforms::push_scope;
use crate::domain::annual::Step;
use crate::domain::checklist::Source;
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

/// Where the generated notices lead: the web layer's paths (`web::links::NOTICES`), passed in so
/// that the database layer writes no URL (the texts are `domain::reminders`').
#[derive(Debug, Clone, Copy)]
pub struct Links {
    /// A step of a platform's year: `(step, platform id, year)`.
    pub step: fn(Step, i64, i32) -> String,
    /// A checklist item: `(platform id, item id)`.
    pub checklist_item: fn(i64, i64) -> String,
}

/// SQL: whether the platform `platform` has done `step` of `year` (both SQL expressions written
/// in this crate, never user input). The one definition of "done" behind the reminders, the
/// overdue list, the workbench, the to-do lists and the notices' 已办结 mark:
/// - filing: a version was submitted or approved (a change to an approved filing carries a reason);
/// - mid-year: the report is submitted;
/// - year-end: the evaluation is submitted (any status past the operator, returns excepted).
pub fn done_sql(step: Step, platform: &str, year: &str) -> String {
    match step {
        Step::Filing => format!(
            "EXISTS (SELECT 1 FROM filings f WHERE f.platform_id = {platform} AND f.year = {year}
                     AND (f.status IN ('submitted', 'approved') OR f.change_reason <> ''))"
        ),
        Step::Midyear => format!(
            "EXISTS (SELECT 1 FROM midyear_reports r WHERE r.platform_id = {platform} AND r.year = {year}
                     AND r.status = 'submitted')"
        ),
        Step::Yearend => format!(
            "EXISTS (SELECT 1 FROM evaluations e WHERE e.platform_id = {platform} AND e.year = {year}
                     AND e.status NOT IN ('draft', 'county_returned', 'city_returned'))"
        ),
    }
}

/// SQL: whether the step's live submission was returned for correction (not yet resubmitted).
fn returned_sql(step: Step, platform: &str, year: &str) -> String {
    match step {
        Step::Filing => format!(
            "EXISTS (SELECT 1 FROM filings f WHERE f.platform_id = {platform} AND f.year = {year}
                     AND f.status = 'returned' AND f.change_reason = '')"
        ),
        Step::Midyear => "false".into(),
        Step::Yearend => format!(
            "EXISTS (SELECT 1 FROM evaluations e WHERE e.platform_id = {platform} AND e.year = {year}
                     AND e.status IN ('county_returned', 'city_returned'))"
        ),
    }
}

/// SQL `CASE` over a `step` code column: [`done_sql`] (or [`returned_sql`]) of each step.
pub fn by_step(step_col: &str, f: impl Fn(Step) -> String) -> String {
    format!(
        "CASE {step_col} WHEN 'filing' THEN {} WHEN 'midyear' THEN {} ELSE {} END",
        f(Step::Filing),
        f(Step::Midyear),
        f(Step::Yearend)
    )
}

/// `AND` whether the platform `p` has done `step` of `year` ([`done_sql`]).
fn push_done(qb: &mut QueryBuilder<'_, Postgres>, step: Step, year: i32) {
    qb.push(done_sql(step, "p.id", &year.to_string()));
}

/// The stages that owe the annual cycle's steps: "operating" in POLICY-RULES.md (operating or
/// rectifying).
pub const OWING_STAGES: &str = "('operating', 'rectifying')";

/// The platforms that owe `step` of `year` by `deadline`: operating (or rectifying), and
/// operating by then.
fn push_owing(qb: &mut QueryBuilder<'_, Postgres>, deadline: NaiveDate) {
    qb.push(format!(
        " p.stage IN {OWING_STAGES} AND (p.operating_since IS NULL OR p.operating_since <= "
    ))
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
pub async fn generate_on(
    conn: &mut PgConnection,
    today: NaiveDate,
    links: &Links,
) -> Result<u64, sqlx::Error> {
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
                    links,
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
    created += insert_checklist_overdue(conn, today, links).await?;
    Ok(created)
}

/// One notice per open checklist item past its due date (`overdue.checklist`, once per item and
/// user), to the platform's operators and its responsible staff member; returns how many were
/// new.
async fn insert_checklist_overdue(
    conn: &mut PgConnection,
    today: NaiveDate,
    links: &Links,
) -> Result<u64, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT u.id AS user_id, i.id AS item_id, p.id AS platform_id, p.name AS platform_name, i.title,
                  i.due_date AS "due_date!"
           FROM checklist_items i
           JOIN platforms p ON p.id = i.platform_id
           JOIN users u ON ((u.role = 'operator' AND u.platform_id = p.id) OR u.id = p.responsible_staff_id)
                           AND NOT u.disabled
           WHERE i.status = 'open' AND i.due_date < $1
           ORDER BY i.id, u.id"#,
        today
    )
    .fetch_all(&mut *conn)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let (mut users, mut subjects, mut texts, mut hrefs, mut dues) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in rows {
        users.push(r.user_id);
        subjects.push(format!("checklist:{}", r.item_id));
        texts.push(reminders::checklist_overdue_text(
            &r.platform_name,
            &r.title,
            r.due_date,
        ));
        hrefs.push((links.checklist_item)(r.platform_id, r.item_id));
        dues.push(r.due_date);
    }
    let done = sqlx::query!(
        "INSERT INTO notices (user_id, kind, subject, days_left, text, link, due_on)
         SELECT n.user_id, 'overdue.checklist', n.subject, 0, n.text, n.link, n.due_on
         FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::date[])
              WITH ORDINALITY AS n (user_id, subject, text, link, due_on, ord)
         ORDER BY n.ord
         ON CONFLICT ON CONSTRAINT notices_once DO NOTHING",
        &users,
        &subjects,
        &texts,
        &hrefs,
        &dues
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// One reminder to one user about a platform's step (nothing when it exists already); returns
/// 1 when it was new.
#[allow(clippy::too_many_arguments)]
pub async fn insert_reminder(
    conn: &mut PgConnection,
    links: &Links,
    step: Step,
    year: i32,
    deadline: NaiveDate,
    reminder: Reminder,
    (platform_id, platform_name): (i64, &str),
    user_id: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "INSERT INTO notices (user_id, kind, subject, days_left, text, link, due_on)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT ON CONSTRAINT notices_once DO NOTHING",
        user_id,
        format!("deadline.{}", step_code(step)),
        format!("{}:{year}:platform:{platform_id}", step_code(step)),
        reminder.days_left as i32,
        reminders::reminder_text(platform_name, step, year, deadline),
        (links.step)(step, platform_id, year),
        deadline
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// SQL: whether the deadline reminder `n` is about a step that has been done since
/// ([`done_sql`] of the platform and year in its subject `step:year:platform:id`), or the overdue
/// notice `n` about a checklist item (`checklist:id`) that is no longer open.
fn resolved_sql(n: &str) -> String {
    let platform = format!("split_part({n}.subject, ':', 4)::bigint");
    let year = format!("split_part({n}.subject, ':', 2)::int");
    format!(
        "(({n}.kind LIKE 'deadline.%' AND {n}.subject ~ '^[a-z]+:[0-9]+:platform:[0-9]+$' AND {})
          OR CASE WHEN {n}.kind = 'overdue.checklist' AND {n}.subject ~ '^checklist:[0-9]+$'
                  THEN EXISTS (SELECT 1 FROM checklist_items ci
                                WHERE ci.id = split_part({n}.subject, ':', 2)::bigint
                                  AND ci.status <> 'open')
                  ELSE false END)",
        by_step(
            &format!("split_part({n}.subject, ':', 1)"),
            |step| done_sql(step, &platform, &year)
        )
    )
}

/// Marks read the unread reminders whose step has been done since (the daily work, so the
/// header's count does not keep them); returns how many.
pub async fn resolve_done(conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
    // Runtime SQL: the condition is [`resolved_sql`], built from [`done_sql`] (the one definition of
    // "done", shared with the QueryBuilder statements).
    let sql = format!(
        "UPDATE notices n SET read_at = now() WHERE n.read_at IS NULL AND {}",
        resolved_sql("n")
    );
    Ok(sqlx::query(&sql).execute(conn).await?.rows_affected())
}

/// Generates the reminders due on `today` (Asia/Shanghai) in its own transaction, audited when it
/// created any. Safe to run any number of times.
pub async fn generate(pool: &PgPool, today: NaiveDate, links: &Links) -> Result<u64, sqlx::Error> {
    let actor = Actor::system("reminders");
    let mut tx = audit::begin(pool, &actor).await?;
    let created = generate_on(&mut tx, today, links).await?;
    let resolved = resolve_done(&mut tx).await?;
    if created > 0 || resolved > 0 {
        audit::record(
            &mut tx,
            &actor,
            "notices.generate",
            "notice",
            None,
            None,
            Some(serde_json::json!({"date": today, "created": created, "resolved": resolved})),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(created)
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
    /// A deadline reminder's deadline (None for event notices).
    pub due_on: Option<NaiveDate>,
    /// A deadline reminder whose step has been done since.
    pub resolved: bool,
}

/// One page of the user's notices (unread first, newest first) and how many there are.
pub async fn list(
    pool: &PgPool,
    user_id: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Notice>, i64), sqlx::Error> {
    // Runtime SQL: `resolved` is [`resolved_sql`], built from [`done_sql`] (the one definition of
    // "done", shared with the QueryBuilder statements).
    let sql = format!(
        "SELECT n.id, n.kind, n.subject, n.days_left, n.text, n.link, n.created_at, n.read_at, n.due_on,
                {} AS resolved
         FROM notices n
         WHERE n.user_id = $1
         ORDER BY n.read_at IS NOT NULL, n.created_at DESC, n.id DESC LIMIT $2 OFFSET $3",
        resolved_sql("n")
    );
    let rows = sqlx::query_as(&sql)
        .bind(user_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM notices WHERE user_id = $1"#,
        user_id
    )
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
    sqlx::query_scalar!(
        "UPDATE notices SET read_at = coalesce(read_at, now()) WHERE id = $1 AND user_id = $2 RETURNING link",
        id,
        user_id
    )
    .fetch_optional(conn)
    .await
}

/// Marks all the user's notices read; returns how many were unread.
pub async fn mark_all_read(conn: &mut PgConnection, user_id: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE notices SET read_at = now() WHERE user_id = $1 AND read_at IS NULL",
        user_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

// ---- overdue: one definition for the workbench, the overdue list and the to-do lists ------------

pub use crate::domain::reminders::OverdueKind;

/// One overdue thing of a platform.
#[derive(Debug, Clone)]
pub struct Overdue {
    pub kind: OverdueKind,
    pub platform_id: i64,
    pub platform_code: String,
    pub platform_name: String,
    pub jurisdiction_name: String,
    /// The checklist item or rectification case (0 for a step).
    pub ref_id: i64,
    /// The checklist item's title (empty otherwise).
    pub title: String,
    /// The checklist item's source (None otherwise).
    pub source: Option<Source>,
    /// The checklist item's owner (empty otherwise).
    pub owner: String,
    pub due: NaiveDate,
    pub days_late: i64,
    /// A step whose submission was returned and not yet resubmitted.
    pub returned: bool,
}

impl Overdue {
    /// "2026 年度年初备案" / the checklist item's title / "整改期限已到，整改尚未办结".
    pub fn what_zh(&self) -> String {
        self.kind.what_zh(&self.title)
    }

    /// What kind of thing is overdue, for counts: "2026 年度年初备案未提交", "清单事项逾期", "整改逾期".
    pub fn kind_zh(&self) -> String {
        match self.kind {
            OverdueKind::Step { .. } => format!("{}{}", self.what_zh(), self.state_zh()),
            OverdueKind::Checklist => "清单事项逾期".into(),
            OverdueKind::Rectification => "整改逾期".into(),
        }
    }

    /// "已退回，未重新提交" / "未提交" for steps.
    pub fn state_zh(&self) -> &'static str {
        self.kind.state_zh(self.returned)
    }

    pub fn is_step(&self) -> bool {
        matches!(self.kind, OverdueKind::Step { .. })
    }
}

#[derive(Debug, sqlx::FromRow)]
struct OverdueRow {
    /// `filing`, `midyear`, `yearend`, `checklist` or `rectification`.
    kind: String,
    year: i32,
    platform_id: i64,
    platform_code: String,
    platform_name: String,
    jurisdiction_name: String,
    ref_id: i64,
    title: String,
    /// The checklist item's source ('' for a step or a case).
    source: Source,
    owner: String,
    due: NaiveDate,
    returned: bool,
}

/// Everything overdue `today` on the platforms `scope` allows — THE definition of overdue, shared
/// by the staff workbench, the overdue list (逾期事项) and the to-do lists:
/// - each step of the annual cycle whose deadline passed at most one cycle ago
///   ([`reminders::overdue`]), on the platforms that owe it (operating or rectifying, operating by
///   the deadline) and have not done it ([`done_sql`]; a returned submission is not done);
/// - open checklist items past their due date;
/// - open rectification cases past their deadline.
///
/// Most overdue first. A fixed number of statements, whatever the number of platforms.
pub async fn overdue(
    conn: &mut PgConnection,
    scope: PlatformScope,
    today: NaiveDate,
) -> Result<Vec<Overdue>, sqlx::Error> {
    let (mut codes, mut years, mut deadlines) = (Vec::new(), Vec::new(), Vec::new());
    for year in today.year() - 2..=today.year() {
        let (config, _) = annual_config::get(conn, year).await?;
        for step in Step::ALL {
            let deadline = config.deadline(year, step);
            if reminders::overdue(today, deadline, false).is_some() {
                codes.push(step_code(step));
                years.push(year);
                deadlines.push(deadline);
            }
        }
    }
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "SELECT s.step AS kind, s.year, p.id AS platform_id, p.code AS platform_code,
                p.name AS platform_name, j.name AS jurisdiction_name, 0::bigint AS ref_id,
                '' AS title, '' AS source, '' AS owner, s.deadline AS due, {} AS returned
         FROM UNNEST(",
        by_step("s.step", |step| returned_sql(step, "p.id", "s.year"))
    ));
    qb.push_bind(codes)
        .push("::text[], ")
        .push_bind(years)
        .push("::int[], ")
        .push_bind(deadlines)
        .push(format!(
            "::date[]) AS s (step, year, deadline)
             JOIN platforms p ON p.stage IN {OWING_STAGES}
                             AND (p.operating_since IS NULL OR p.operating_since <= s.deadline)
             JOIN jurisdictions j ON j.id = p.jurisdiction_id
             WHERE NOT {}",
            by_step("s.step", |step| done_sql(step, "p.id", "s.year"))
        ));
    push_scope(&mut qb, scope);
    qb.push(
        " UNION ALL
         SELECT 'checklist', 0, p.id, p.code, p.name, j.name, i.id, i.title, i.source, i.owner,
                i.due_date, false
         FROM checklist_items i JOIN platforms p ON p.id = i.platform_id
         JOIN jurisdictions j ON j.id = p.jurisdiction_id
         WHERE i.status = 'open' AND i.due_date < ",
    )
    .push_bind(today);
    push_scope(&mut qb, scope);
    qb.push(
        " UNION ALL
         SELECT 'rectification', 0, p.id, p.code, p.name, j.name, c.id, '', '', '', c.deadline, false
         FROM rectification_cases c JOIN platforms p ON p.id = c.platform_id
         JOIN jurisdictions j ON j.id = p.jurisdiction_id
         WHERE c.status = 'open' AND c.deadline < ",
    )
    .push_bind(today);
    push_scope(&mut qb, scope);
    qb.push(" ORDER BY due, platform_code, ref_id");
    let rows: Vec<OverdueRow> = qb.build_query_as().fetch_all(&mut *conn).await?;
    let mut out: Vec<Overdue> = rows
        .into_iter()
        .map(|r| {
            let kind = match r.kind.as_str() {
                "checklist" => OverdueKind::Checklist,
                "rectification" => OverdueKind::Rectification,
                "filing" => OverdueKind::Step {
                    step: Step::Filing,
                    year: r.year,
                },
                "midyear" => OverdueKind::Step {
                    step: Step::Midyear,
                    year: r.year,
                },
                _ => OverdueKind::Step {
                    step: Step::Yearend,
                    year: r.year,
                },
            };
            Overdue {
                kind,
                days_late: (today - r.due).num_days(),
                platform_id: r.platform_id,
                platform_code: r.platform_code,
                platform_name: r.platform_name,
                jurisdiction_name: r.jurisdiction_name,
                ref_id: r.ref_id,
                title: r.title,
                source: (kind == OverdueKind::Checklist).then_some(r.source),
                owner: r.owner,
                due: r.due,
                returned: r.returned,
            }
        })
        .collect();
    // Stable: equally late things keep the query's order (platform code, then id).
    out.sort_by_key(|o| std::cmp::Reverse(o.days_late));
    Ok(out)
}

// ---- notices on events ------------------------------------------------------------------------------

/// Who is told about an event.
#[derive(Debug, Clone, Copy)]
pub enum To<'a> {
    /// The platform's operators and its responsible staff member (专人专班).
    Platform(i64),
    /// The platform's operators only.
    Operators(i64),
    /// These users.
    Users(&'a [i64]),
    /// These users, about a platform (the text is prefixed with its name).
    UsersAbout(&'a [i64], i64),
}

/// Tells the recipients about an event (a filing returned, an expert assigned, results published…)
/// in the caller's transaction, so the notice exists exactly when the event does. `kind` is the
/// stored code (`event.…`, never shown), `text` the Chinese notice (for a platform's people it is
/// prefixed with the platform's name), `link` where it is handled (a local path). The user who acts (the transaction's actor) is not told about their own act, nor
/// are disabled accounts. Returns how many notices were written.
pub async fn event(
    conn: &mut PgConnection,
    to: To<'_>,
    kind: &str,
    text: &str,
    link: &str,
) -> Result<u64, sqlx::Error> {
    debug_assert!(kind.starts_with("event.") && link.starts_with('/'));
    // (the platform named, whether its operators and staff member are told, whether only operators)
    let (platform, its_people, operators_only, users): (Option<i64>, bool, bool, &[i64]) = match to
    {
        To::Platform(id) => (Some(id), true, false, &[]),
        To::Operators(id) => (Some(id), true, true, &[]),
        To::Users(ids) => (None, false, false, ids),
        To::UsersAbout(ids, id) => (Some(id), false, false, ids),
    };
    // One notice per event and user: the subject is the link and this transaction.
    let done = sqlx::query!(
        "INSERT INTO notices (user_id, kind, subject, days_left, text, link)
         SELECT u.id, $4, $6 || '@' || txid_current(), 0,
                coalesce((SELECT p.name FROM platforms p WHERE p.id = $1) || '：', '') || $5, $6
         FROM users u
         WHERE NOT u.disabled
           AND u.id IS DISTINCT FROM nullif(current_setting('kechuang.actor_id', true), '')::bigint
           AND (u.id = ANY($3)
                OR ($7 AND u.role = 'operator' AND u.platform_id = $1)
                OR ($7 AND NOT $2
                    AND u.id = (SELECT p.responsible_staff_id FROM platforms p WHERE p.id = $1)))
         ON CONFLICT ON CONSTRAINT notices_once DO NOTHING",
        platform,
        operators_only,
        users,
        kind,
        text,
        link,
        its_people
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
