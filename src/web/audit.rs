//! The audit admin's views: browse and filter the trail; verify its hash chain.

use super::forms::Query;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Deserialize;

use super::auth::CurrentUser;
use super::forms::{Pagination, non_empty, query_string};
use super::layout::{Layout, beijing_date, local_time};
use crate::db::audit::{self, AuditFilter, Verification};
use crate::error::AppResult;
use crate::state::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    actor: String,
    action: String,
    entity: String,
    entity_id: String,
    from: String,
    to: String,
    page: Option<i64>,
}

pub struct Entry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub addr: String,
    pub before: String,
    pub after: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub q: AuditQuery,
    pub entries: Vec<Entry>,
    pub pagination: Pagination,
    pub date_error: bool,
}

/// A date in Beijing time → the UTC instant it starts (`plus_days` = 1 for an inclusive end).
fn beijing_day_start(s: &str, plus_days: i64) -> Option<chrono::DateTime<Utc>> {
    let d =
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()? + chrono::Duration::days(plus_days);
    let beijing = chrono::FixedOffset::east_opt(8 * 3600)?;
    beijing
        .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> AppResult<ListPage> {
    let from = non_empty(&q.from).map(|s| beijing_day_start(s, 0));
    let to = non_empty(&q.to).map(|s| beijing_day_start(s, 1));
    let date_error = matches!(from, Some(None)) || matches!(to, Some(None));
    let filter = AuditFilter {
        actor: non_empty(&q.actor).map(str::to_lowercase),
        action: non_empty(&q.action).map(str::to_string),
        entity: non_empty(&q.entity).map(str::to_string),
        entity_id: non_empty(&q.entity_id).map(str::to_string),
        from: from.flatten(),
        to: to.flatten(),
    };
    let base = query_string(&[
        ("actor", &q.actor),
        ("action", &q.action),
        ("entity", &q.entity),
        ("entity_id", &q.entity_id),
        ("from", &q.from),
        ("to", &q.to),
    ]);
    let mut pagination = Pagination::new(q.page, 50, base);
    let (rows, total) =
        audit::list(&state.db, &filter, pagination.per_page, pagination.offset()).await?;
    pagination.total = total;
    let json = |v: &Option<serde_json::Value>| {
        v.as_ref()
            .map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
            .unwrap_or_default()
    };
    let entries = rows
        .into_iter()
        .map(|r| Entry {
            seq: r.seq,
            at: local_time(&r.at),
            before: json(&r.before),
            after: json(&r.after),
            actor: r.actor_name,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id.unwrap_or_default(),
            addr: r.client_addr.unwrap_or_default(),
        })
        .collect();
    Ok(ListPage {
        layout: Layout::for_user(&user, "audit"),
        q,
        entries,
        pagination,
        date_error,
    })
}

/// One broken link, as the auditor reads it.
pub struct BreakRow {
    pub seqs: String,
    pub at: String,
    pub kind: &'static str,
    pub description: String,
    /// The audit log on that day (Beijing), to look around the break.
    pub day_href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit/verify.html")]
pub struct VerifyPage {
    pub layout: Layout,
    pub result: Verification,
    pub checked_at: String,
    pub breaks: Vec<BreakRow>,
    /// The newest record ("第 N 条，时间"), empty when the trail is empty.
    pub last: String,
}

/// Recomputes the whole chain (read-only, so a GET) and lists every broken link.
pub async fn verify(State(state): State<AppState>, user: CurrentUser) -> AppResult<VerifyPage> {
    let result = audit::verify(&state.db).await?;
    let breaks = result
        .breaks
        .iter()
        .map(|b| BreakRow {
            seqs: b.seqs(),
            at: b.at.as_ref().map(local_time).unwrap_or_else(|| "—".into()),
            kind: b.kind_zh(),
            description: b.describe_zh(),
            day_href: b
                .at
                .as_ref()
                .map(|at| {
                    let day = beijing_date(at).format("%Y-%m-%d").to_string();
                    format!("/audit?from={day}&to={day}")
                })
                .unwrap_or_default(),
        })
        .collect();
    let last = result
        .last
        .as_ref()
        .map(|(seq, at)| format!("第 {seq} 条（{}）", local_time(at)))
        .unwrap_or_default();
    Ok(VerifyPage {
        layout: Layout::for_user(&user, "verify"),
        result,
        checked_at: local_time(&Utc::now()),
        breaks,
        last,
    })
}
