//! The audit admin's views: browse and filter the trail; verify its hash chain.
//!
//! The log reads in Chinese: actions and entity types through [`labels`], who (display name and
//! role), what and when in one line per record, the before/after as the fields that changed (the
//! raw record behind a 原始记录 disclosure); filtered by person, action, entity type, platform and
//! dates, paged, and exported to Excel with the same filters.

pub mod labels;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Deserialize;

use super::auth::CurrentUser;
use super::forms::Query;
use super::forms::{non_empty, query_string};
use super::layout::{Layout, local_time};
use super::widgets::Pagination;
use super::xlsx::{self, Cell};
use crate::db::audit::{self, AuditFilter, ListedRow, Verification};
use crate::db::platforms;
use crate::domain::calendar::beijing_date;
use crate::domain::scope::PlatformScope;
use crate::error::AppResult;
use crate::state::AppState;
use labels::{Change, action_zh, entity_zh};

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        get( "/audit",        Roles(AUDITOR, Global), list),
        get( "/audit.xlsx",   Roles(AUDITOR, Global), export_xlsx),
        get( "/audit/verify", Roles(AUDITOR, Global), verify),
    ]
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    actor: String,
    action: String,
    entity: String,
    entity_id: String,
    platform: String,
    from: String,
    to: String,
    page: Option<i64>,
    size: Option<i64>,
}

pub struct Entry {
    pub seq: i64,
    pub at: String,
    /// Display name and role (`张三（科技局业务人员）`), or 系统 for the system's own work.
    pub who: String,
    /// The login recorded, shown small beside the name.
    pub login: String,
    pub action: String,
    pub action_code: String,
    pub entity: String,
    pub entity_id: String,
    pub platform: String,
    pub platform_id: Option<i64>,
    /// Who did what to what, when, in one line.
    pub summary: String,
    pub addr: String,
    pub changes: Vec<Change>,
    pub before: String,
    pub after: String,
}

/// `张三（科技局业务人员）`; the system's own actors as 系统.
fn who(r: &ListedRow) -> String {
    match (&r.actor_display, r.actor_role) {
        (Some(name), Some(role)) => format!("{name}（{}）", role.label_zh()),
        (Some(name), None) => name.clone(),
        (None, _) if r.actor_id.is_none() => "系统".to_owned(),
        (None, _) => r.actor_name.clone(),
    }
}

impl Entry {
    fn of(r: ListedRow) -> Entry {
        let json = |v: &Option<serde_json::Value>| {
            v.as_ref()
                .map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
                .unwrap_or_default()
        };
        let who = who(&r);
        let at = local_time(&r.at);
        let action = action_zh(&r.action);
        let entity = entity_zh(&r.entity);
        let entity_id = r.entity_id.clone().unwrap_or_default();
        let platform = r.platform_name.clone().unwrap_or_default();
        let object = match (r.entity.as_str(), platform.is_empty()) {
            ("platform", false) => format!("平台“{platform}”"),
            (_, false) if entity_id.is_empty() => format!("{entity}（平台“{platform}”）"),
            (_, false) => format!("{entity} {entity_id}（平台“{platform}”）"),
            (_, true) if entity_id.is_empty() => entity.clone(),
            (_, true) => format!("{entity} {entity_id}"),
        };
        let summary = format!("{at}，{who}{action}：{object}");
        Entry {
            seq: r.seq,
            changes: labels::diff(r.before.as_ref(), r.after.as_ref()),
            before: json(&r.before),
            after: json(&r.after),
            login: if r.actor_display.is_some() {
                r.actor_name.clone()
            } else {
                String::new()
            },
            who,
            at,
            action,
            action_code: r.action,
            entity,
            entity_id,
            platform,
            platform_id: r.platform_id,
            summary,
            addr: r.client_addr.unwrap_or_default(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "audit/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub q: AuditQuery,
    pub entries: Vec<Entry>,
    pub pagination: Pagination,
    pub date_error: bool,
    /// `(login, 姓名（角色）)`.
    pub actors: Vec<(String, String)>,
    /// `(code, label)`, one per label.
    pub actions: Vec<(&'static str, &'static str)>,
    pub entities: Vec<(&'static str, &'static str)>,
    pub platforms: Vec<(String, String)>,
    pub export_href: String,
}

/// A date in Beijing time → the UTC instant it starts (`plus_days` = 1 for an inclusive end).
fn beijing_day_start(s: &str, plus_days: i64) -> Option<chrono::DateTime<Utc>> {
    let d =
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()? + chrono::Duration::days(plus_days);
    crate::domain::calendar::BEIJING
        .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The filter the query asks for, whether a date was invalid, and the query string to keep.
fn filter_of(q: &AuditQuery) -> (AuditFilter, bool, String) {
    let from = non_empty(&q.from).map(|s| beijing_day_start(s, 0));
    let to = non_empty(&q.to).map(|s| beijing_day_start(s, 1));
    let date_error = matches!(from, Some(None)) || matches!(to, Some(None));
    let filter = AuditFilter {
        actor: non_empty(&q.actor).map(str::to_lowercase),
        action: non_empty(&q.action).map(str::to_string),
        entity: non_empty(&q.entity).map(str::to_string),
        entity_id: non_empty(&q.entity_id).map(str::to_string),
        platform: non_empty(&q.platform).and_then(|p| p.parse().ok()),
        from: from.flatten(),
        to: to.flatten(),
    };
    let base = query_string(&[
        ("actor", &q.actor),
        ("action", &q.action),
        ("entity", &q.entity),
        ("entity_id", &q.entity_id),
        ("platform", &q.platform),
        ("from", &q.from),
        ("to", &q.to),
    ]);
    (filter, date_error, base)
}

/// One option per label (several codes read the same), in the table's order.
fn unique_labels(
    table: &'static [(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = Vec::new();
    for (code, label) in table {
        if !out.iter().any(|(_, l)| l == label) {
            out.push((code, label));
        }
    }
    out
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> AppResult<ListPage> {
    let (filter, date_error, base) = filter_of(&q);
    let mut pagination = Pagination::new(q.page, 50, base).with_size(q.size);
    let (rows, total) =
        audit::list(&state.db, &filter, pagination.per_page, pagination.offset()).await?;
    pagination.total = total;
    let actors = audit::actors(&state.db)
        .await?
        .into_iter()
        .map(|(login, name, role)| {
            let label = match role {
                Some(r) => format!("{name}（{}）", r.label_zh()),
                None => name,
            };
            (login, label)
        })
        .collect();
    let platforms = platforms::options(&state.db, PlatformScope::All)
        .await?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    Ok(ListPage {
        layout: Layout::for_user(&user, "audit"),
        export_href: format!("/audit.xlsx?{}", pagination.base_query),
        entries: rows.into_iter().map(Entry::of).collect(),
        q,
        pagination,
        date_error,
        actors,
        actions: unique_labels(labels::ACTIONS),
        entities: labels::ENTITIES.to_vec(),
        platforms,
    })
}

/// `GET /audit.xlsx`: every record matching the page's filters (not one page), in Chinese, with
/// the changed fields as text; the export is itself audited.
pub async fn export_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
    RawQuery(raw): RawQuery,
) -> AppResult<Response> {
    let (filter, _, _) = filter_of(&q);
    let (rows, _) = audit::list(&state.db, &filter, i64::MAX, 0).await?;
    xlsx::audit_export(&state.db, &user, "audit_log", raw.as_deref(), rows.len()).await?;
    let entries = rows.into_iter().map(|r| {
        let at = r.at;
        let e = Entry::of(r);
        let changes = e
            .changes
            .iter()
            .map(|c| format!("{}：{} → {}", c.field, c.before, c.after))
            .collect::<Vec<_>>()
            .join("\n");
        vec![
            Cell::Int(e.seq),
            Cell::Text(local_time(&at)),
            e.who.into(),
            e.action.into(),
            e.entity.into(),
            e.entity_id.into(),
            e.platform.into(),
            changes.into(),
            e.addr.into(),
        ]
    });
    xlsx::build(|b| {
        b.sheet(
            "审计日志",
            &[
                ("序号", 8.0),
                ("时间（北京时间）", 20.0),
                ("操作人", 24.0),
                ("操作", 22.0),
                ("对象类型", 14.0),
                ("对象编号", 10.0),
                ("平台", 30.0),
                ("变更内容", 60.0),
                ("来源地址", 16.0),
            ],
            entries,
        )
    })?
    .download("audit-log.xlsx", "审计日志.xlsx")
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
