//! Compliance findings in the app: on each platform (grouped by lifecycle phase, with the cited
//! clause, the message and the facts), per rule across the platforms in scope, and the
//! platforms × rules matrix for staff and leaders.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde::Deserialize;

use super::auth::CurrentUser;
use super::cache::Page;
use super::dashboards;
use super::forms::{Path, Query, query_string};
use super::layout::Layout;
use super::widgets::Pagination;
use super::xlsx::{self, Cell};
use crate::db::compliance::{self, MatrixRow};
use crate::db::platforms;
use crate::domain::compliance::citation::clause_zh;
use crate::domain::compliance::{Phase, RuleDef, Status, facts, rule, rules};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // Compliance findings (POLICY-RULES.md).
        get( "/platforms/{id}/compliance",  Roles(PLATFORM_READERS, Platform), platform),
        get( "/compliance",                 Roles(OVERSIGHT, Global),          matrix),
        get( "/compliance.xlsx",            Roles(OVERSIGHT, Global),          matrix_xlsx),
        get( "/compliance/rules/{rule_id}", Roles(OVERSIGHT, Global),          rule_view),
    ]
}

/// A finding as shown.
pub struct FindingView {
    pub rule_id: String,
    /// The rule's short Chinese name.
    pub name: &'static str,
    pub title: &'static str,
    pub status: String,
    pub status_label: &'static str,
    pub clause: String,
    pub message: String,
    pub facts: Vec<(String, String)>,
}

pub struct PhaseGroup {
    pub label: &'static str,
    pub findings: Vec<FindingView>,
}

fn status_label(code: &str) -> &'static str {
    Status::parse(code).map(Status::label_zh).unwrap_or("")
}

/// A finding's facts as labelled Chinese values with units.
fn fact_rows(facts: &serde_json::Value) -> Vec<(String, String)> {
    facts
        .as_object()
        .map(|m| m.iter().map(|(k, v)| facts::fact_pair(k, v)).collect())
        .unwrap_or_default()
}

/// The phases in the order the compliance pages and the rule catalogue group their rules.
pub(super) const PHASES: [Phase; 6] = [
    Phase::Registration,
    Phase::Operation,
    Phase::AnnualCycle,
    Phase::Market,
    Phase::Rectification,
    Phase::Integrity,
];

#[derive(Template, WebTemplate)]
#[template(path = "compliance/platform.html")]
pub struct PlatformPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub name: String,
    pub code: String,
    pub as_of: String,
    pub groups: Vec<PhaseGroup>,
    pub counts: Vec<(&'static str, &'static str, usize)>,
}

pub async fn platform(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<PlatformPage> {
    let mut conn = state.db.acquire().await?;
    let p = platforms::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let mut stored = compliance::findings_of(&state.db, id).await?;
    if stored.is_empty() {
        // Not evaluated yet (a platform created moments ago): evaluate now.
        compliance::refresh(&state.db, Some(&[id]), crate::clock::today()).await?;
        stored = compliance::findings_of(&state.db, id).await?;
    }
    let as_of = stored
        .first()
        .map(|f| f.as_of.to_string())
        .unwrap_or_default();
    let groups = PHASES
        .iter()
        .map(|&phase| PhaseGroup {
            label: phase.label_zh(),
            findings: rules()
                .iter()
                .filter(|r| r.phase == phase)
                .filter_map(|r| stored.iter().find(|f| f.rule_id == r.id).map(|f| (r, f)))
                .map(|(r, f)| FindingView {
                    rule_id: r.id.to_string(),
                    name: r.name_zh,
                    title: r.title_zh,
                    status: f.status.as_str().to_owned(),
                    status_label: f.status.label_zh(),
                    clause: clause_zh(&f.clause),
                    message: f.message.clone(),
                    facts: fact_rows(&f.facts),
                })
                .collect(),
        })
        .filter(|g| !g.findings.is_empty())
        .collect();
    let counts = Status::ALL
        .iter()
        .map(|s| {
            (
                s.as_str(),
                s.label_zh(),
                stored.iter().filter(|f| f.status == *s).count(),
            )
        })
        .filter(|(_, _, n)| *n > 0)
        .collect();
    Ok(PlatformPage {
        layout: Layout::for_user(&user, "platforms"),
        tab: "compliance",
        tab_platform_id: id,
        name: p.name,
        code: p.code,
        as_of,
        groups,
        counts,
    })
}

// ---- the matrix -----------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MatrixQuery {
    jurisdiction: String,
    failing: String,
    page: Option<i64>,
    size: Option<i64>,
}

pub struct MatrixView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub cells: Vec<(String, &'static str)>,
}

impl MatrixView {
    fn from(row: MatrixRow, rules: &[RuleDef]) -> MatrixView {
        MatrixView {
            id: row.id,
            code: row.code,
            name: row.name,
            jurisdiction: row.jurisdiction,
            cells: rules
                .iter()
                .map(|r| {
                    let s = row.statuses.0.get(r.id).cloned().unwrap_or_default();
                    let label = status_label(&s);
                    (s, label)
                })
                .collect(),
        }
    }
}

pub struct RuleTotal {
    pub id: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub fail: i64,
    pub warn: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "compliance/matrix.html")]
pub struct MatrixPage {
    pub layout: Layout,
    /// `(id, short Chinese name, requirement)` per column.
    pub rule_cols: Vec<(&'static str, &'static str, &'static str)>,
    pub rows: Vec<MatrixView>,
    pub totals: Vec<RuleTotal>,
    pub jurisdictions: Vec<(String, String)>,
    pub q: MatrixQuery,
    pub pagination: Pagination,
    pub export_href: String,
}

async fn rule_totals(state: &AppState, user: &CurrentUser) -> AppResult<Vec<RuleTotal>> {
    let counts = state
        .cache
        .get("rule_totals", user, String::new(), async {
            Ok(compliance::rule_totals(&state.db, user.scope).await?)
        })
        .await?;
    let count = |id: &str, status: &str| {
        counts
            .iter()
            .find(|(r, s, _)| r == id && s == status)
            .map(|(_, _, n)| *n)
            .unwrap_or(0)
    };
    Ok(rules()
        .iter()
        .map(|r| RuleTotal {
            id: r.id,
            name: r.name_zh,
            title: r.title_zh,
            fail: count(r.id, "fail"),
            warn: count(r.id, "warn"),
        })
        .collect())
}

pub async fn matrix(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<MatrixQuery>,
) -> AppResult<MatrixPage> {
    let only_failing = q.failing == "1";
    let jurisdiction = q.jurisdiction.parse::<i32>().ok();
    let mut pagination = Pagination::new(
        q.page,
        50,
        query_string(&[("jurisdiction", &q.jurisdiction), ("failing", &q.failing)]),
    )
    .with_size(q.size);
    let key = pagination.cache_key();
    let (limit, offset) = (pagination.per_page, pagination.offset());
    let page = state
        .cache
        .get("compliance_matrix", &user, key, async {
            let (rows, total) = compliance::matrix(
                &state.db,
                user.scope,
                jurisdiction,
                only_failing,
                limit,
                offset,
            )
            .await?;
            Ok(Page { rows, total })
        })
        .await?;
    pagination.total = page.total;
    let rows = page.rows.clone();
    let totals = rule_totals(&state, &user).await?;
    let jurisdictions = dashboards::reference(&state, &user)
        .await?
        .jurisdictions
        .iter()
        .map(|j| (j.id.to_string(), j.name.clone()))
        .collect();
    Ok(MatrixPage {
        layout: Layout::for_user(&user, "compliance"),
        export_href: format!("/compliance.xlsx?{}", pagination.base_query),
        rule_cols: rules()
            .iter()
            .map(|r| (r.id, r.name_zh, r.title_zh))
            .collect(),
        rows: rows
            .into_iter()
            .map(|r| MatrixView::from(r, rules()))
            .collect(),
        totals,
        jurisdictions,
        q,
        pagination,
    })
}

/// `GET /compliance.xlsx`: the matrix with the page's filters, every platform (not one page), with
/// the per-rule totals and the findings needing attention, message and clause included.
pub async fn matrix_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<MatrixQuery>,
    RawQuery(raw): RawQuery,
) -> AppResult<Response> {
    let only_failing = q.failing == "1";
    let jurisdiction = q.jurisdiction.parse::<i32>().ok();
    let (rows, _) = compliance::matrix(
        &state.db,
        user.scope,
        jurisdiction,
        only_failing,
        i64::MAX,
        0,
    )
    .await?;
    let totals = rule_totals(&state, &user).await?;
    let open = compliance::open_findings(&state.db, user.scope, jurisdiction, only_failing).await?;
    xlsx::audit_export(
        &state.db,
        &user,
        "compliance_matrix",
        raw.as_deref(),
        rows.len(),
    )
    .await?;

    let mut columns: Vec<xlsx::Column> = vec![
        ("平台编号", 14.0),
        ("平台名称", 36.0),
        ("地区", 10.0),
        ("阶段", 10.0),
    ];
    columns.extend(rules().iter().map(|r| (r.name_zh, 12.0)));
    let matrix = rows.into_iter().map(|row| {
        let mut cells = vec![
            Cell::from(row.code.as_str()),
            row.name.as_str().into(),
            row.jurisdiction.as_str().into(),
            row.stage.label_zh().into(),
        ];
        cells.extend(rules().iter().map(|r| {
            row.statuses
                .0
                .get(r.id)
                .map_or(Cell::Blank, |s| status_label(s).into())
        }));
        cells
    });
    let totals = totals.into_iter().map(|t| {
        vec![
            t.name.into(),
            t.title.into(),
            Cell::Int(t.fail),
            Cell::Int(t.warn),
        ]
    });
    let open = open.into_iter().map(|f| {
        vec![
            f.code.into(),
            f.name.into(),
            f.jurisdiction.into(),
            rule(&f.rule_id).map_or("", |r| r.name_zh).into(),
            rule(&f.rule_id).map_or("", |r| r.title_zh).into(),
            f.status.label_zh().into(),
            clause_zh(&f.clause).into(),
            f.message.into(),
            Cell::Date(f.as_of),
        ]
    });
    xlsx::build(|b| {
        b.sheet("合规矩阵", &columns, matrix)?;
        b.sheet(
            "各规则汇总",
            &[
                ("规则", 16.0),
                ("要求", 36.0),
                ("不通过", 10.0),
                ("预警", 10.0),
            ],
            totals,
        )?;
        b.sheet(
            "问题明细",
            &[
                ("平台编号", 14.0),
                ("平台名称", 36.0),
                ("地区", 10.0),
                ("规则", 16.0),
                ("要求", 30.0),
                ("结论", 10.0),
                ("政策条款", 30.0),
                ("说明", 60.0),
                ("检查日期", 12.0),
            ],
            open,
        )
    })?
    .download("compliance.xlsx", "合规矩阵.xlsx")
}

// ---- one rule across platforms --------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "compliance/rule.html")]
pub struct RulePage {
    pub layout: Layout,
    pub rule: &'static RuleDef,
    pub clause: String,
    pub rows: Vec<(i64, String, String, String, &'static str, String)>,
}

pub async fn rule_view(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(rule_id): Path<String>,
) -> AppResult<RulePage> {
    let rule = rule(&rule_id).ok_or(AppError::NotFound)?;
    let rows = compliance::where_rule(
        &state.db,
        user.scope,
        rule.id,
        &["fail", "warn", "insufficient_data"],
    )
    .await?
    .into_iter()
    .map(|(id, code, name, status, message)| {
        let label = status_label(&status);
        (id, code, name, status, label, message)
    })
    .collect();
    Ok(RulePage {
        layout: Layout::for_user(&user, "compliance"),
        clause: clause_zh(rule.clause),
        rule,
        rows,
    })
}
