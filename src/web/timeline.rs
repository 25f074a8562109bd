//! A platform's timeline: every stage change and key event, oldest first — when (Beijing time), who, what,
//! from → to, why, and the document it rests on.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;

use super::auth::CurrentUser;
use super::forms::Path;
use super::layout::{Layout, local_time};
use crate::db::audit;
use crate::db::lifecycle::{self, TimelineEntry};
use crate::db::platforms::{self, Platform};
use crate::domain::platform::Stage;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // The timeline of stage changes and key events.
        get( "/platforms/{id}/timeline", Roles(PLATFORM_READERS, Platform), show),
    ]
}

/// A stage badge: the code (for the colour) and the Chinese label.
pub struct StageBadge {
    pub code: &'static str,
    pub label: &'static str,
}

fn badge(s: Stage) -> StageBadge {
    StageBadge {
        code: s.as_str(),
        label: s.label_zh(),
    }
}

pub struct EventView {
    pub id: i64,
    pub at: String,
    pub who: String,
    pub kind: String,
    pub summary: String,
    pub from: Option<StageBadge>,
    pub to: Option<StageBadge>,
    pub reason: String,
    pub document_id: Option<i64>,
    pub document_title: String,
}

impl EventView {
    /// The event, its actor by display name: the account that acted, else the account whose login
    /// was recorded, else 系统 (the system's own work: the daily check, the demo loader).
    fn of(e: TimelineEntry, names: &HashMap<String, String>) -> EventView {
        let who = match e.actor_display {
            Some(name) => name,
            None => names
                .get(&e.actor_name)
                .cloned()
                .unwrap_or_else(|| "系统".to_owned()),
        };
        EventView {
            id: e.id,
            at: local_time(&e.at)[..16].to_owned(),
            who,
            from: e.from_stage.map(badge),
            to: e.to_stage.map(badge),
            kind: e.kind,
            summary: e.summary,
            reason: e.reason,
            document_id: e.document_id,
            document_title: e.document_title.unwrap_or_else(|| "相关文件".into()),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "platforms/timeline.html")]
pub struct TimelinePage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub p: Platform,
    pub events: Vec<EventView>,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<TimelinePage> {
    let mut conn = state.db.acquire().await?;
    let p = platforms::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let events = lifecycle::timeline(&state.db, id).await?;
    let logins: Vec<String> = events
        .iter()
        .filter(|e| e.actor_display.is_none())
        .map(|e| e.actor_name.clone())
        .collect();
    let names = if logins.is_empty() {
        HashMap::new()
    } else {
        audit::display_names(&state.db, &logins).await?
    };
    Ok(TimelinePage {
        layout: Layout::for_user(&user, "platforms"),
        tab: "timeline",
        tab_platform_id: id,
        p,
        events: events
            .into_iter()
            .map(|e| EventView::of(e, &names))
            .collect(),
    })
}
