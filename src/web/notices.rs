//! In-app notices: my notices (deadline reminders), marking them read — only one's own — and the
//! staff's list of overdue steps and checklist items across the platforms in their scope.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;

use super::auth::CurrentUser;
use super::forms::{Form, Pagination, Path, Query};
use super::layout::{Layout, local_time};
use super::write::{Entry, Writer};
use crate::db::checklist;
use crate::db::notices::{self, step_link};
use crate::domain::checklist::Source;
use crate::domain::reminders::beijing_today;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub struct NoticeRow {
    pub id: i64,
    pub text: String,
    pub link: String,
    pub days_left: i32,
    pub created: String,
    pub unread: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "notices/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub rows: Vec<NoticeRow>,
    pub pagination: Pagination,
    pub unread: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    page: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<ListPage> {
    let mut pagination = Pagination::new(q.page, 30, String::new());
    let (rows, total) =
        notices::list(&state.db, user.id, pagination.per_page, pagination.offset()).await?;
    pagination.total = total;
    Ok(ListPage {
        layout: Layout::for_user(&user, "notices"),
        rows: rows
            .into_iter()
            .map(|n| NoticeRow {
                id: n.id,
                unread: n.read_at.is_none(),
                created: local_time(&n.created_at),
                days_left: n.days_left,
                text: n.text,
                link: n.link,
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

#[derive(Template, WebTemplate)]
#[template(path = "notices/overdue.html")]
pub struct OverduePage {
    pub layout: Layout,
    pub today: String,
    pub steps: Vec<OverdueRow>,
    pub items: Vec<OverdueRow>,
}

pub async fn overdue(State(state): State<AppState>, user: CurrentUser) -> AppResult<OverduePage> {
    let today = beijing_today(Utc::now());
    let mut conn = state.db.acquire().await?;
    let steps = notices::overdue_steps(&mut conn, user.scope, today).await?;
    let items = checklist::overdue(&mut conn, user.scope, today).await?;
    Ok(OverduePage {
        layout: Layout::for_user(&user, "overdue"),
        today: today.to_string(),
        steps: steps
            .into_iter()
            .map(|s| OverdueRow {
                what: format!("{} 年度{}", s.year, s.step.label_zh()),
                link: step_link(s.step, s.platform_id, s.year),
                platform_id: s.platform_id,
                platform_name: s.platform_name,
                jurisdiction: s.jurisdiction_name,
                due: s.deadline.to_string(),
                days_late: s.days_late,
                detail: "未提交".into(),
            })
            .collect(),
        items: items
            .into_iter()
            .map(|i| OverdueRow {
                what: i.title,
                link: format!("/platforms/{}/checklist/{}", i.platform_id, i.id),
                platform_id: i.platform_id,
                platform_name: i.platform_name,
                jurisdiction: i.jurisdiction_name,
                due: i.due_date.to_string(),
                days_late: (today - i.due_date).num_days(),
                detail: format!(
                    "{}{}",
                    Source::parse(&i.source).label_zh(),
                    if i.owner.is_empty() {
                        String::new()
                    } else {
                        format!(" · 责任人：{}", i.owner)
                    }
                ),
            })
            .collect(),
    })
}
