//! Funds to recover after 退/转/并 (staff): every decided case with funds to recover in the user's scope —
//! the amount, what has been recovered, the recorded recoveries — outstanding ones first. What was
//! recovered on the platform's support claims under the decision counts toward its total (and is listed
//! with the claim's number); see `domain::support::claims` for why each recovered yuan is held once.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;

use super::auth::CurrentUser;
use super::layout::{Layout, date_or_dash, local_time};
use super::rectification::{RecoveryView, yuan_text};
use crate::db::recovery as db;
use crate::domain::recovery::outstanding;
use crate::domain::rectification::DecisionKind;
use crate::error::AppResult;
use crate::state::AppState;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        get( "/recovery", Roles(STAFF, Global), index),
    ]
}

pub struct DueView {
    pub case_id: i64,
    pub platform_id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub decision: &'static str,
    pub decided_on: String,
    pub funds_to_recover: String,
    pub funds_basis: String,
    pub agreement_end: String,
    pub recovered: String,
    pub outstanding: String,
    pub done: bool,
    pub recoveries: Vec<RecoveryView>,
    /// Claims recovered or being recovered under the decision: (link, text).
    pub claims: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "rectification/recovery.html")]
pub struct RecoveryPage {
    pub layout: Layout,
    pub rows: Vec<DueView>,
    pub open_count: usize,
    pub total_outstanding: String,
}

pub async fn index(State(state): State<AppState>, user: CurrentUser) -> AppResult<RecoveryPage> {
    let due: Vec<db::DueRow> = db::due(&state.db)
        .await?
        .into_iter()
        .filter(|r| user.scope.allows(r.scope_ref()))
        .collect();
    let ids: Vec<i64> = due.iter().map(|r| r.case_id).collect();
    let mut by_case: BTreeMap<i64, Vec<RecoveryView>> = BTreeMap::new();
    for r in db::recoveries(&state.db, &ids).await? {
        by_case
            .entry(r.case_id)
            .or_default()
            .push(RecoveryView::from(&r));
    }
    let mut claims_by_case: BTreeMap<i64, Vec<(String, String)>> = BTreeMap::new();
    for c in db::claim_recoveries(&state.db, &ids).await? {
        let what = match (c.recovered_on, c.recovered_yuan) {
            (Some(on), Some(y)) => {
                format!("{on} · {} · 申报第 {} 号追回到账", yuan_text(y), c.claim_id)
            }
            _ => format!(
                "申报第 {} 号追回中（{}）",
                c.claim_id,
                yuan_text(c.recover_yuan)
            ),
        };
        claims_by_case.entry(c.case_id).or_default().push((
            format!("/platforms/{}/support#claim-{}", c.platform_id, c.claim_id),
            what,
        ));
    }
    let total: i64 = due
        .iter()
        .map(|r| outstanding(r.funds_to_recover, r.recovered))
        .sum();
    let rows: Vec<DueView> = due
        .iter()
        .map(|r| DueView {
            case_id: r.case_id,
            platform_id: r.platform_id,
            code: r.code.clone(),
            name: r.name.clone(),
            jurisdiction: r.jurisdiction_name.clone(),
            decision: r.decision.map_or("", DecisionKind::label_zh),
            decided_on: r
                .decided_at
                .as_ref()
                .map(|t| local_time(t)[..10].to_owned())
                .unwrap_or_default(),
            funds_to_recover: yuan_text(r.funds_to_recover),
            funds_basis: r.funds_basis.clone(),
            agreement_end: date_or_dash(&r.agreement_end),
            recovered: yuan_text(r.recovered),
            outstanding: yuan_text(outstanding(r.funds_to_recover, r.recovered)),
            done: r.recovered >= r.funds_to_recover,
            recoveries: by_case.remove(&r.case_id).unwrap_or_default(),
            claims: claims_by_case.remove(&r.case_id).unwrap_or_default(),
        })
        .collect();
    Ok(RecoveryPage {
        layout: Layout::for_user(&user, "recovery"),
        open_count: rows.iter().filter(|r| !r.done).count(),
        total_outstanding: yuan_text(total),
        rows,
    })
}
