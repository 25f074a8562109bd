//! In-app notices: my notices (deadline reminders, said as of today, and notices on events),
//! marking them read — only one's own — and the staff's list of everything overdue across the
//! platforms in their scope (the one definition: `db::notices::overdue`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Response;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Deserialize;

use super::auth::CurrentUser;
use super::forms::{Form, Path, Query};
use super::layout::{Layout, local_time};
use super::widgets::{PageQuery, Pagination};
use super::write::{Entry, Writer};
use crate::clock::today;
use crate::db::notices::{self, Overdue, OverdueKind};
use crate::domain::reminders::standing_zh;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        get( "/notices",            SignedIn,             list),
        post("/notices/read-all",   SignedIn,             mark_all_read),
        post("/notices/{nid}/read", SignedIn,             mark_read),
        get( "/annual/overdue",     Roles(STAFF, Global), overdue),
    ]
}

pub struct NoticeRow {
    pub id: i64,
    pub text: String,
    pub link: String,
    /// The status chip: colour (`status-…`) and Chinese word.
    pub chip: Option<(&'static str, String)>,
    /// A reminder about a step done since: shown as 已办结, not as current.
    pub resolved: bool,
    pub created: String,
    pub unread: bool,
}

/// The chip of an event notice, by its stored kind.
fn event_chip(kind: &str) -> Option<(&'static str, String)> {
    let k = kind.strip_prefix("event.")?;
    let (class, word) = if k.ends_with("_returned") {
        ("returned", "已退回")
    } else if k.ends_with("_approved") || k.ends_with("_passed") {
        ("approved", "已通过")
    } else if k.ends_with("_assigned") {
        ("info", "新任务")
    } else if k.ends_with("_published") {
        ("info", "已发布")
    } else if k.ends_with("_reviewed") {
        ("info", "已过堂")
    } else if k.ends_with("_opened") {
        ("warn", "整改")
    } else if k.ends_with("_decided") {
        ("info", "已决定")
    } else {
        ("info", "通知")
    };
    Some((class, word.to_string()))
}

fn chip_class(c: &str) -> &'static str {
    match c {
        "returned" => "status status-returned",
        "approved" => "status status-approved",
        "warn" => "status status-warn",
        "fail" => "status status-fail",
        "closed" => "status status-closed",
        _ => "status status-info",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "notices/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub rows: Vec<NoticeRow>,
    pub pagination: Pagination,
    pub unread: i64,
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<PageQuery>,
) -> AppResult<ListPage> {
    let today = today();
    let mut pagination = q.pagination(20);
    let (rows, total) =
        notices::list(&state.db, user.id, pagination.per_page, pagination.offset()).await?;
    pagination.total = total;
    Ok(ListPage {
        layout: Layout::for_user(&user, "notices"),
        rows: rows
            .into_iter()
            .map(|n| {
                let chip = match n.due_on {
                    Some(due) => {
                        let (word, class) = standing_zh(today, due, n.resolved);
                        Some((chip_class(class), word))
                    }
                    None => event_chip(&n.kind).map(|(c, w)| (chip_class(c), w)),
                };
                NoticeRow {
                    id: n.id,
                    unread: n.read_at.is_none() && !n.resolved,
                    resolved: n.resolved,
                    created: local_time(&n.created_at),
                    chip,
                    text: n.text,
                    link: n.link,
                }
            })
            .collect(),
        pagination,
        unread: user.unread_notices,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReadForm {
    /// "1": go on to the notice's page after marking it read.
    go: String,
}

/// Only local paths are followed (the generator writes them; never an open redirect).
fn local_link(link: &str) -> Option<&str> {
    (link.starts_with('/') && !link.starts_with("//") && !link.starts_with("/\\")).then_some(link)
}

/// Marks one of my notices read (another user's notice id is a 404), then back to the list or on
/// to the notice's page.
pub async fn mark_read(
    user: CurrentUser,
    w: Writer,
    Path(nid): Path<i64>,
    Form(form): Form<ReadForm>,
) -> AppResult<Response> {
    let mut tx = w.begin().await?;
    let Some(link) = notices::mark_read(&mut tx, user.id, nid).await? else {
        return Err(AppError::NotFound);
    };
    tx.audit(Entry::new("notice.read", "notice", nid)).await?;
    let target = match (form.go.as_str(), local_link(&link)) {
        ("1", Some(l)) => l.to_owned(),
        _ => "/notices".to_owned(),
    };
    tx.redirect(target).await
}

pub async fn mark_all_read(user: CurrentUser, w: Writer) -> AppResult<Response> {
    let mut tx = w.begin().await?;
    let count = notices::mark_all_read(&mut tx, user.id).await?;
    if count > 0 {
        tx.audit(
            Entry::global("notice.read_all", "notice").after(serde_json::json!({"count": count})),
        )
        .await?;
    }
    tx.redirect("/notices").await
}

// ---- overdue (staff) -------------------------------------------------------------------------------

pub struct OverdueRow {
    pub what: String,
    pub platform_id: i64,
    pub platform_name: String,
    pub jurisdiction: String,
    pub due: String,
    pub days_late: i64,
    pub detail: String,
    pub link: String,
}

impl OverdueRow {
    pub fn of(o: &Overdue) -> OverdueRow {
        let detail = match (o.kind, &o.source) {
            (OverdueKind::Checklist, Some(source)) => format!(
                "{}{}",
                source.label_zh(),
                if o.owner.is_empty() {
                    String::new()
                } else {
                    format!(" · 责任人：{}", o.owner)
                }
            ),
            _ => o.state_zh().to_string(),
        };
        OverdueRow {
            what: o.what_zh(),
            link: super::links::overdue(o),
            platform_id: o.platform_id,
            platform_name: o.platform_name.clone(),
            jurisdiction: o.jurisdiction_name.clone(),
            due: o.due.to_string(),
            days_late: o.days_late,
            detail,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "notices/overdue.html")]
pub struct OverduePage {
    pub layout: Layout,
    pub today: String,
    /// Everything overdue: the same count as the workbench's 逾期事项.
    pub total: usize,
    pub steps: Vec<OverdueRow>,
    pub steps_total: usize,
    pub items: Vec<OverdueRow>,
    pub items_total: usize,
    pub cases: Vec<OverdueRow>,
    pub cases_total: usize,
}

/// Rows listed per section of the overdue page (the section's heading counts all of them).
const SECTION_ROWS: usize = 50;

/// One section of everything overdue: its most overdue rows and how many there are.
pub struct Section {
    pub rows: Vec<Overdue>,
    pub total: usize,
}

impl Section {
    fn of<'a>(all: impl Iterator<Item = &'a Overdue>, keep: usize) -> Section {
        let mut rows = Vec::new();
        let mut total = 0;
        for o in all {
            if rows.len() < keep {
                rows.push(o.clone());
            }
            total += 1;
        }
        Section { rows, total }
    }
}

/// What the overdue page and the workbench's overdue group show of everything overdue in a scope
/// ([`notices::overdue`], most overdue first): the count, the count by kind, the most overdue of
/// all and of each section. The page cache keeps this digest, not the list: city-wide the list has
/// thousands of rows, more than a cache shard takes, and it was recomputed on every view.
pub struct OverdueDigest {
    pub all: Section,
    /// `(what, how many)` by kind, in order of first appearance.
    pub by_kind: Vec<(String, usize)>,
    pub steps: Section,
    pub items: Section,
    pub cases: Section,
}

impl OverdueDigest {
    /// `keep_all` rows of the whole list are kept (the workbench group's length).
    pub fn of(all: &[Overdue], keep_all: usize) -> OverdueDigest {
        let mut by_kind: Vec<(String, usize)> = Vec::new();
        for o in all {
            let what = o.kind_zh();
            match by_kind.iter_mut().find(|(w, _)| *w == what) {
                Some((_, n)) => *n += 1,
                None => by_kind.push((what, 1)),
            }
        }
        OverdueDigest {
            all: Section::of(all.iter(), keep_all),
            by_kind,
            steps: Section::of(all.iter().filter(|o| o.is_step()), SECTION_ROWS),
            items: Section::of(
                all.iter().filter(|o| o.kind == OverdueKind::Checklist),
                SECTION_ROWS,
            ),
            cases: Section::of(
                all.iter().filter(|o| o.kind == OverdueKind::Rectification),
                SECTION_ROWS,
            ),
        }
    }
}

impl super::cache::Cached for OverdueDigest {
    fn rows(&self) -> usize {
        self.all.rows.len()
            + self.by_kind.len()
            + self.steps.rows.len()
            + self.items.rows.len()
            + self.cases.rows.len()
    }
}

/// Everything overdue in the user's scope today ([`notices::overdue`]), as its digest, kept until
/// the next write.
pub async fn overdue_in_scope(
    state: &AppState,
    user: &CurrentUser,
    today: NaiveDate,
) -> AppResult<Arc<OverdueDigest>> {
    state
        .cache
        .get("overdue", user, today.to_string(), async {
            let mut conn = state.db.acquire().await?;
            let all = notices::overdue(&mut conn, user.scope, today).await?;
            Ok(OverdueDigest::of(&all, super::todo::GROUP_LIMIT))
        })
        .await
}

pub async fn overdue(State(state): State<AppState>, user: CurrentUser) -> AppResult<OverduePage> {
    let today = today();
    let digest = overdue_in_scope(&state, &user, today).await?;
    let rows = |s: &Section| s.rows.iter().map(OverdueRow::of).collect();
    Ok(OverduePage {
        layout: Layout::for_user(&user, "overdue"),
        today: today.to_string(),
        total: digest.all.total,
        steps: rows(&digest.steps),
        steps_total: digest.steps.total,
        items: rows(&digest.items),
        items_total: digest.items.total,
        cases: rows(&digest.cases),
        cases_total: digest.cases.total,
    })
}
