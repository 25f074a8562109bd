//! The policy library for staff and leaders: the policies, each policy's clause tree with the rules
//! implementing each clause, the rule catalogue, and each rule with the original text of its clauses.

use std::collections::BTreeSet;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};

use super::auth::CurrentUser;
use super::compliance::PHASES;
use super::flash::Flash;
use super::forms::{Form, Path, Query};
use super::layout::{Layout, date_or_dash, local_time};
use super::widgets::NoticeQuery;
use super::write::{Entry, Writer};
use crate::db::packs as packs_db;
use crate::db::policies::{self, CitedClause, ClauseRow, PolicyRow};
use crate::db::rule_params;
use crate::domain::annual::is_cycle_deadline;
use crate::domain::compliance::citation::{clause_zh, policy_name_zh};
use crate::domain::compliance::{
    ParamDef, ParamValue, Params, Phase, RuleDef, facts, rules as catalogue,
};
use crate::domain::fields::RawForm;
use crate::domain::money::wan;
use crate::domain::param_form;
use crate::domain::policy_text::{
    Citation, ClauseKind, PolicyStatus, RuleLink, parse_citation, rule_links,
};
use crate::domain::role::Role;
use crate::domain::support::packs::parse_pack_change;
use crate::domain::support::{self, Pack, ProgrammeDef};
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

mod library;
mod params;
mod programmes;
mod rules;

pub use library::*;
pub use params::*;
pub use programmes::*;
pub use rules::*;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // The policy library and the rule catalogue (read-only; path params are not platforms).
        get( "/policies",                       Roles(PLATFORM_READERS, Global), list),
        get( "/policies/{short_id}",            Roles(PLATFORM_READERS, Global), show),
        get( "/rules",                          Roles(PLATFORM_READERS, Global), rules),
        get( "/rules/{rule_id}",                Roles(PLATFORM_READERS, Global), rule),
        // City staff change a rule's parameters (with a reason; history kept, findings recomputed).
        post("/rules/{rule_id}/params/{name}",  Roles(STAFF, City),              update_param),
        // Support programmes (SUPPORT-RULES.md): packs, programmes and their parameters; city staff change them.
        get( "/programmes",                     Roles(PLATFORM_READERS, Global), programmes),
        post("/programmes/{pid}/params/{name}", Roles(STAFF, City),              update_programme_param),
        // City staff switch a pack on or off (with a reason; history kept, support recomputed).
        post("/programmes/packs/{code}",        Roles(STAFF, City),              switch_pack),
    ]
}

/// A policy's status as a badge.
pub struct Badge {
    /// CSS suffix.
    pub code: &'static str,
    pub label: &'static str,
}

fn badge(status: PolicyStatus) -> Badge {
    match status {
        PolicyStatus::InForce => Badge {
            code: "in-force",
            label: "主要政策 · 现行有效",
        },
        PolicyStatus::Draft => Badge {
            code: "draft",
            label: "征求意见稿",
        },
        PolicyStatus::Reference => Badge {
            code: "reference",
            label: "参考政策",
        },
    }
}

/// A policy as listed and as shown on its page.
pub struct PolicyItem {
    pub short_id: String,
    /// The policy's short Chinese name.
    pub short_name: String,
    pub title: String,
    pub issuer: String,
    pub number: String,
    pub issued_on: String,
    pub published_on: String,
    pub validity: String,
    pub jurisdiction: String,
    pub purpose: String,
    pub note: String,
    pub badge: Badge,
    pub is_draft: bool,
    pub clause_count: i64,
    pub rule_count: usize,
}

impl PolicyItem {
    fn new(row: &PolicyRow, links: &[RuleLink]) -> PolicyItem {
        let citing: BTreeSet<&str> = links
            .iter()
            .filter(|l| l.citation.policy == row.short_id)
            .map(|l| l.rule.id)
            .collect();
        PolicyItem {
            short_id: row.short_id.clone(),
            short_name: policy_name_zh(&row.short_id).to_owned(),
            title: row.title.clone(),
            issuer: row.issuer.clone().unwrap_or_else(|| "—".into()),
            number: row.number.clone().unwrap_or_else(|| "—".into()),
            issued_on: date_or_dash(&row.issued_on),
            published_on: date_or_dash(&row.published_on),
            validity: row.validity.clone().unwrap_or_else(|| "未载明".into()),
            jurisdiction: row.jurisdiction.clone(),
            purpose: row.purpose.clone(),
            note: row.note.clone(),
            badge: badge(row.status),
            is_draft: row.status == PolicyStatus::Draft,
            clause_count: row.clause_count,
            rule_count: citing.len(),
        }
    }
}

fn clause_href(policy: &str, anchor: &str) -> String {
    format!("/policies/{policy}#{anchor}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gloss_is_marked_once() {
        let p = paragraphs("甲一顾问乙\n一顾问", "一顾问");
        assert_eq!(
            (
                p[0].before.as_str(),
                p[0].mark.as_str(),
                p[0].after.as_str()
            ),
            ("甲", "一顾问", "乙")
        );
        assert_eq!((p[1].before.as_str(), p[1].mark.as_str()), ("一顾问", ""));
        let plain = paragraphs("甲\n乙", "");
        assert!(plain.iter().all(|p| p.mark.is_empty()));
    }
}
