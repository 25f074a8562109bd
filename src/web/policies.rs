//! The policy library for staff and leaders: the policies, each policy's clause tree with the rules
//! implementing each clause, the rule catalogue, and each rule with the original text of its clauses.

use std::collections::BTreeSet;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::auth::CurrentUser;
use super::flash::Flash;
use super::forms::{Form, Path, Query};
use super::layout::{Layout, date_or_dash, local_time};
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

/// A policy's status as a badge.
pub struct Badge {
    /// CSS suffix.
    pub code: &'static str,
    pub label: &'static str,
}

fn badge(status: &str) -> Badge {
    match PolicyStatus::parse(status) {
        Some(PolicyStatus::InForce) => Badge {
            code: "in-force",
            label: "主要政策 · 现行有效",
        },
        Some(PolicyStatus::Draft) => Badge {
            code: "draft",
            label: "征求意见稿",
        },
        Some(PolicyStatus::Reference) | None => Badge {
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
            badge: badge(&row.status),
            is_draft: row.status == PolicyStatus::Draft.as_str(),
            clause_count: row.clause_count,
            rule_count: citing.len(),
        }
    }
}

fn clause_href(policy: &str, anchor: &str) -> String {
    format!("/policies/{policy}#{anchor}")
}

// ---- GET /policies ----------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "policies/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub policies: Vec<PolicyItem>,
    pub rule_total: usize,
}

pub async fn list(State(state): State<AppState>, user: CurrentUser) -> AppResult<ListPage> {
    let links = rule_links();
    let policies = policies::list(&state.db)
        .await?
        .iter()
        .map(|row| PolicyItem::new(row, &links))
        .collect();
    Ok(ListPage {
        layout: Layout::for_user(&user, "policies"),
        tab: "policies",
        policies,
        rule_total: catalogue().len(),
    })
}

// ---- GET /policies/{short_id} -----------------------------------------------------------------

/// A rule implementing a clause.
pub struct RuleRef {
    pub id: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub gloss: String,
}

/// One clause on the policy page.
pub struct ClauseView {
    pub id: String,
    pub anchor: String,
    pub level: i16,
    pub heading: String,
    /// The text's lines; a first line that is the heading itself is shown as the heading only.
    pub paragraphs: Vec<String>,
    pub rules: Vec<RuleRef>,
}

impl ClauseView {
    fn new(c: &ClauseRow, links: &[RuleLink]) -> ClauseView {
        let mut lines: Vec<&str> = c.text.lines().collect();
        if lines.first().is_some_and(|l| *l == c.heading) {
            lines.remove(0);
        }
        ClauseView {
            id: c.clause_id.clone(),
            anchor: c.anchor.clone(),
            level: c.level,
            heading: c.heading.clone(),
            paragraphs: lines.into_iter().map(str::to_owned).collect(),
            rules: links
                .iter()
                .filter(|l| l.citation.policy == c.policy && l.citation.clause_id == c.clause_id)
                .map(|l| RuleRef {
                    id: l.rule.id,
                    name: l.rule.name_zh,
                    title: l.rule.title_zh,
                    gloss: l.citation.gloss.clone().unwrap_or_default(),
                })
                .collect(),
        }
    }
}

/// A top-level clause (chapter or annex) with everything under it; the first chapter of a plan
/// (JY) carries the plan.
pub struct Group {
    pub part: Option<ClauseView>,
    pub head: ClauseView,
    pub members: Vec<ClauseView>,
}

fn groups(clauses: &[ClauseRow], links: &[RuleLink]) -> Vec<Group> {
    let is_part = |id: &Option<String>| {
        id.as_ref().is_some_and(|id| {
            clauses
                .iter()
                .any(|c| &c.clause_id == id && c.kind == ClauseKind::Part.as_str())
        })
    };
    let mut out: Vec<Group> = Vec::new();
    let mut pending_part: Option<ClauseView> = None;
    for c in clauses {
        let view = ClauseView::new(c, links);
        if c.kind == ClauseKind::Part.as_str() {
            if let Some(part) = pending_part.replace(view) {
                // A plan without chapters: show it on its own.
                out.push(Group {
                    part: None,
                    head: part,
                    members: Vec::new(),
                });
            }
            continue;
        }
        let top = c.parent_id.is_none() || is_part(&c.parent_id);
        match out.last_mut() {
            Some(group) if !top && pending_part.is_none() => group.members.push(view),
            _ => out.push(Group {
                part: pending_part.take(),
                head: view,
                members: Vec::new(),
            }),
        }
    }
    if let Some(part) = pending_part {
        out.push(Group {
            part: None,
            head: part,
            members: Vec::new(),
        });
    }
    out
}

#[derive(Template, WebTemplate)]
#[template(path = "policies/show.html")]
pub struct PolicyPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub p: PolicyItem,
    pub preamble: Vec<String>,
    pub groups: Vec<Group>,
    pub source_sha256: String,
    pub synced_at: String,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(short_id): Path<String>,
) -> AppResult<PolicyPage> {
    let row = policies::get(&state.db, &short_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let clauses = policies::clauses(&state.db, &row.short_id).await?;
    let links = rule_links();
    Ok(PolicyPage {
        layout: Layout::for_user(&user, "policies"),
        tab: "policies",
        p: PolicyItem::new(&row, &links),
        preamble: row
            .preamble
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        groups: groups(&clauses, &links),
        source_sha256: row.source_sha256.clone(),
        synced_at: local_time(&row.synced_at),
    })
}

// ---- GET /rules -------------------------------------------------------------------------------

/// A cited clause as a link.
pub struct CitationLink {
    pub label: String,
    pub gloss: String,
    /// None when the clause is not in the library tables (not synchronised).
    pub href: Option<String>,
}

pub struct ParamItem {
    pub name: &'static str,
    /// Chinese label of the parameter.
    pub label: String,
    /// The default as a Chinese value with its unit.
    pub default: String,
    /// The value in force, as a Chinese value with its unit.
    pub current: String,
    /// The value in force as typed in the edit form (`24`, `0.6`, `03-31`).
    pub current_raw: String,
    /// The value in force differs from the default.
    pub changed: bool,
    /// For the three cycle deadlines: the year whose cycle configuration sets the value (their only source).
    pub cycle_year: Option<i32>,
    /// `label value in force`, e.g. `成员至少 3 人`.
    pub phrase: String,
    /// The id of the parameter's latest recorded change (0: never changed); the edit form sends it back.
    pub seen: i64,
    pub kind: &'static str,
    pub description: &'static str,
}

/// A rule of the catalogue.
pub struct RuleItem {
    /// Position in the catalogue (1-based).
    pub n: usize,
    pub id: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub phase: &'static str,
    pub applies_to: String,
    /// The citation in Chinese.
    pub clause: String,
    pub citations: Vec<CitationLink>,
    pub params: Vec<ParamItem>,
}

impl RuleItem {
    /// The rule with its parameters' values in force (`params`, as [`rule_params::in_force`] gives them on `today`).
    fn new(
        n: usize,
        rule: &'static RuleDef,
        loaded: &[ClauseRow],
        params: &Params,
        today: NaiveDate,
    ) -> RuleItem {
        RuleItem {
            n,
            id: rule.id,
            name: rule.name_zh,
            title: rule.title_zh,
            phase: rule.phase.label_zh(),
            applies_to: rule.applies_to.describe_zh(),
            clause: clause_zh(rule.clause),
            citations: parse_citation(rule.clause)
                .into_iter()
                .map(|c| CitationLink {
                    label: format!("{} {}", policy_name_zh(c.policy), c.clause_id),
                    href: loaded
                        .iter()
                        .find(|r| r.policy == c.policy && r.clause_id == c.clause_id)
                        .map(|r| clause_href(&r.policy, &r.anchor)),
                    gloss: c.gloss.unwrap_or_default(),
                })
                .collect(),
            params: param_items(rule.id, rule.params, params, today),
        }
    }
}

/// The parameters of `owner_id` (a rule or a support programme) with their values in force.
fn param_items(
    owner_id: &str,
    defs: &'static [ParamDef],
    params: &Params,
    today: NaiveDate,
) -> Vec<ParamItem> {
    defs.iter()
        .map(|p| {
            let key = format!("{owner_id}.{}", p.name);
            let value = params.value(&key).unwrap_or(p.default);
            let json = serde_json::to_value(value).unwrap_or_default();
            let cycle_year = is_cycle_deadline(&key).then(|| {
                // The year-end deadline in force this year is last year's cycle's.
                today.year() - i32::from(owner_id == "EVAL-YEAREND")
            });
            let programme = support::programme(owner_id).is_some();
            let text = |v: ParamValue| {
                if programme {
                    programme_value_text(v)
                } else {
                    facts::value_text(p.name, &serde_json::to_value(v).unwrap_or_default())
                }
            };
            ParamItem {
                name: p.name,
                label: if programme {
                    p.description_zh.to_owned()
                } else {
                    facts::label(p.name)
                },
                default: text(p.default),
                current: text(value),
                current_raw: value.to_string(),
                changed: value != p.default,
                cycle_year,
                phrase: if programme {
                    format!("{} {}", p.description_zh, text(value))
                } else {
                    facts::param_phrase(p, &json)
                },
                seen: 0,
                kind: p.default.kind_zh(),
                description: p.description_zh,
            }
        })
        .collect()
}

/// A support programme's parameter value as shown: money in 万元, percentages with %, coefficients bare.
fn programme_value_text(v: ParamValue) -> String {
    match v {
        ParamValue::Yuan(y) => format!("{} 万元", wan(y.get())),
        ParamValue::Percent(p) => format!("{}%", p.0),
        other => other.to_string(),
    }
}

/// A stored parameter value as shown in the history.
fn stored_value_text(key: &str, value: &serde_json::Value) -> String {
    let (owner, name) = key.split_once('.').unwrap_or(("", key));
    if support::programme(owner).is_some() {
        let mut p = Params::new();
        if p.set_json(key, value).is_ok()
            && let Some(v) = p.value(key)
        {
            return programme_value_text(v);
        }
    }
    facts::value_text(name, value)
}

pub struct PhaseGroup {
    pub label: &'static str,
    pub rules: Vec<RuleItem>,
}

#[derive(Template, WebTemplate)]
#[template(path = "policies/rules.html")]
pub struct RulesPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub groups: Vec<PhaseGroup>,
    pub total: usize,
}

const PHASES: [Phase; 6] = [
    Phase::Registration,
    Phase::Operation,
    Phase::AnnualCycle,
    Phase::Market,
    Phase::Rectification,
    Phase::Integrity,
];

/// Every cited clause's row (for anchors), one query.
async fn cited_rows(state: &AppState, citations: &[Citation]) -> AppResult<Vec<ClauseRow>> {
    let keys: Vec<(&str, &str)> = citations
        .iter()
        .map(|c| (c.policy, c.clause_id.as_str()))
        .collect();
    Ok(policies::cited(&state.db, &keys)
        .await?
        .into_iter()
        .map(|c| c.clause)
        .collect())
}

pub async fn rules(State(state): State<AppState>, user: CurrentUser) -> AppResult<RulesPage> {
    let all: Vec<Citation> = catalogue()
        .iter()
        .flat_map(|r| parse_citation(r.clause))
        .collect();
    let loaded = cited_rows(&state, &all).await?;
    let today = crate::clock::today();
    let params = rule_params::in_force(&mut *state.db.acquire().await?, today).await?;
    let items: Vec<(Phase, RuleItem)> = catalogue()
        .iter()
        .enumerate()
        .map(|(i, r)| (r.phase, RuleItem::new(i + 1, r, &loaded, &params, today)))
        .collect();
    let mut groups: Vec<PhaseGroup> = PHASES
        .iter()
        .map(|phase| PhaseGroup {
            label: phase.label_zh(),
            rules: Vec::new(),
        })
        .collect();
    for (phase, item) in items {
        if let Some(i) = PHASES.iter().position(|p| *p == phase) {
            groups[i].rules.push(item);
        }
    }
    groups.retain(|g| !g.rules.is_empty());
    Ok(RulesPage {
        layout: Layout::for_user(&user, "policies"),
        tab: "rules",
        groups,
        total: catalogue().len(),
    })
}

// ---- GET /rules/{rule_id} ---------------------------------------------------------------------

/// A paragraph of quoted text, with the rule's gloss marked where it occurs.
pub struct Para {
    pub before: String,
    pub mark: String,
    pub after: String,
}

fn paragraphs(text: &str, gloss: &str) -> Vec<Para> {
    let mut marked = gloss.is_empty();
    text.lines()
        .map(|line| match line.find(gloss).filter(|_| !marked) {
            Some(at) => {
                marked = true;
                Para {
                    before: line[..at].to_owned(),
                    mark: gloss.to_owned(),
                    after: line[at + gloss.len()..].to_owned(),
                }
            }
            None => Para {
                before: line.to_owned(),
                mark: String::new(),
                after: String::new(),
            },
        })
        .collect()
}

/// A sub-clause quoted under a cited clause.
pub struct SubClause {
    pub id: String,
    pub depth: i16,
    pub paragraphs: Vec<String>,
}

/// A cited clause with its original text.
pub struct CitedView {
    pub policy: String,
    pub policy_name: String,
    pub policy_title: String,
    pub badge: Badge,
    pub clause_id: String,
    pub heading: String,
    pub href: String,
    pub gloss: String,
    pub paragraphs: Vec<Para>,
    pub subclauses: Vec<SubClause>,
}

#[derive(Template, WebTemplate)]
#[template(path = "policies/rule.html")]
pub struct RulePage {
    pub layout: Layout,
    pub tab: &'static str,
    pub rule: RuleItem,
    pub cited: Vec<CitedView>,
    /// Citations whose clause is not in the library tables.
    pub missing: Vec<String>,
    /// `(fail, warn)` over the platforms in the reader's scope (staff and leaders only read rules).
    pub across: (i64, i64),
    /// The reader may open the cross-platform drill-down (staff and leaders).
    pub can_drill: bool,
    /// The reader may change the parameters (city staff).
    pub can_edit: bool,
    /// The changes of this rule's parameters, newest first.
    pub history: Vec<ChangeRow>,
    /// The parameter form as submitted, when it was refused.
    pub form: Option<ParamForm>,
    pub notice: &'static str,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    #[serde(default)]
    pub notice: String,
}

/// One recorded parameter change.
pub struct ChangeRow {
    pub at: String,
    pub label: String,
    pub value: String,
    pub by: String,
    pub reason: String,
}

/// The parameter form as typed, with its errors (a refused change loses nothing).
pub struct ParamForm {
    pub name: String,
    pub value: String,
    pub reason: String,
    pub errors: FieldErrors,
}

impl RulePage {
    /// The form state for parameter `name`: what was typed if that form was refused, else empty.
    pub fn typed(&self, name: &str) -> (&str, &str) {
        match &self.form {
            Some(f) if f.name == name => (f.value.as_str(), f.reason.as_str()),
            _ => ("", ""),
        }
    }

    /// The error of `field` in the form of parameter `name`, or "".
    pub fn error(&self, name: &str, field: &str) -> &str {
        match &self.form {
            Some(f) if f.name == name => f.errors.get(field),
            _ => "",
        }
    }
}

pub async fn rule(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(rule_id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<RulePage> {
    let notice = Flash::text_of(&q.notice);
    rule_page(&state, &user, &rule_id, notice, None).await
}

/// The catalogue entry of `rule_id` with its 1-based position.
fn find_rule(rule_id: &str) -> AppResult<(usize, &'static RuleDef)> {
    catalogue()
        .iter()
        .enumerate()
        .find(|(_, r)| r.id == rule_id)
        .map(|(i, r)| (i + 1, r))
        .ok_or(AppError::NotFound)
}

async fn rule_page(
    state: &AppState,
    user: &CurrentUser,
    rule_id: &str,
    notice: &'static str,
    form: Option<ParamForm>,
) -> AppResult<RulePage> {
    let (n, def) = find_rule(rule_id)?;
    let citations = parse_citation(def.clause);
    let keys: Vec<(&str, &str)> = citations
        .iter()
        .map(|c| (c.policy, c.clause_id.as_str()))
        .collect();
    let found: Vec<CitedClause> = policies::cited(&state.db, &keys).await?;
    let titles = policies::list(&state.db).await?;
    let loaded: Vec<ClauseRow> = found.iter().map(|c| c.clause.clone()).collect();
    let mut cited = Vec::new();
    let mut missing = Vec::new();
    for citation in &citations {
        let hit = found.iter().find(|f| {
            f.clause.policy == citation.policy && f.clause.clause_id == citation.clause_id
        });
        let policy = titles.iter().find(|p| p.short_id == citation.policy);
        let (Some(hit), Some(policy)) = (hit, policy) else {
            missing.push(format!(
                "{} {}",
                policy_name_zh(citation.policy),
                citation.clause_id
            ));
            continue;
        };
        let gloss = citation.gloss.clone().unwrap_or_default();
        cited.push(CitedView {
            policy: policy.short_id.clone(),
            policy_name: policy_name_zh(&policy.short_id).to_owned(),
            policy_title: policy.title.clone(),
            badge: badge(&policy.status),
            clause_id: hit.clause.clause_id.clone(),
            heading: hit.clause.heading.clone(),
            href: clause_href(&hit.clause.policy, &hit.clause.anchor),
            paragraphs: paragraphs(&hit.clause.text, &gloss),
            gloss,
            subclauses: hit
                .descendants
                .iter()
                .map(|d| SubClause {
                    id: d.clause_id.clone(),
                    depth: d.level - hit.clause.level,
                    paragraphs: d.text.lines().map(str::to_owned).collect(),
                })
                .collect(),
        });
    }
    let totals = crate::db::compliance::rule_totals(&state.db, user.scope).await?;
    let today = crate::clock::today();
    let mut conn = state.db.acquire().await?;
    let params = rule_params::in_force(&mut conn, today).await?;
    let mut changes = rule_params::history(&mut conn, def.id).await?;
    // The deadlines' history is the cycle configuration's version history.
    changes.retain(|c| !is_cycle_deadline(&c.key));
    let mut item = RuleItem::new(n, def, &loaded, &params, today);
    for p in &mut item.params {
        let key = format!("{}.{}", def.id, p.name);
        p.seen = changes.iter().find(|c| c.key == key).map_or(0, |c| c.id);
    }
    let history = changes.into_iter().map(change_row).collect();
    drop(conn);
    let count = |status: &str| {
        totals
            .iter()
            .find(|(r, s, _)| r == def.id && s == status)
            .map_or(0, |t| t.2)
    };
    let across = (count("fail"), count("warn"));
    Ok(RulePage {
        can_drill: matches!(user.role, Some(Role::Staff | Role::Leader)),
        can_edit: user.is_city_staff,
        across,
        layout: Layout::for_user(user, "policies"),
        tab: "rules",
        rule: item,
        cited,
        missing,
        history,
        form,
        notice,
    })
}

// ---- GET /programmes ---------------------------------------------------------------------------

/// A support programme with its parameters in force.
pub struct ProgrammeItem {
    pub id: &'static str,
    pub name: &'static str,
    pub clause: String,
    pub params: Vec<ParamItem>,
}

/// A policy pack and its programmes.
pub struct PackGroup {
    pub code: &'static str,
    pub label: &'static str,
    pub draft: bool,
    pub enabled: bool,
    /// The id of the setting in force (the switch form's `seen`).
    pub seen: i64,
    pub programmes: Vec<ProgrammeItem>,
}

/// The pack switch form as submitted, when it was refused.
pub struct PackForm {
    pub code: String,
    pub reason: String,
    pub errors: FieldErrors,
}

/// One recorded pack setting.
pub struct PackChangeRow {
    pub at: String,
    pub pack: String,
    pub draft: bool,
    pub enabled: bool,
    pub by: String,
    pub reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "policies/programmes.html")]
pub struct ProgrammesPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub packs: Vec<PackGroup>,
    /// The reader may change the parameters (city staff).
    pub can_edit: bool,
    /// Every change of a programme parameter, newest first.
    pub history: Vec<ChangeRow>,
    /// The parameter form as submitted, when it was refused (`name` is `PROGRAMME-ID.name`).
    pub form: Option<ParamForm>,
    /// The pack switch form as submitted, when it was refused.
    pub pack_form: Option<PackForm>,
    /// Every pack setting, newest first (the deployment's defaults last).
    pub pack_history: Vec<PackChangeRow>,
    pub notice: &'static str,
}

impl ProgrammesPage {
    /// The reason typed in the switch form of pack `code`, if that form was refused.
    pub fn pack_reason(&self, code: &str) -> &str {
        match &self.pack_form {
            Some(f) if f.code == code => f.reason.as_str(),
            _ => "",
        }
    }

    /// The error of `field` in the switch form of pack `code`, or "".
    pub fn pack_error(&self, code: &str, field: &str) -> &str {
        match &self.pack_form {
            Some(f) if f.code == code => f.errors.get(field),
            _ => "",
        }
    }

    /// The form state for `PROGRAMME-ID.name`: what was typed if that form was refused, else empty.
    pub fn typed(&self, key: &str) -> (&str, &str) {
        match &self.form {
            Some(f) if f.name == key => (f.value.as_str(), f.reason.as_str()),
            _ => ("", ""),
        }
    }

    /// The error of `field` in the form of `PROGRAMME-ID.name`, or "".
    pub fn error(&self, key: &str, field: &str) -> &str {
        match &self.form {
            Some(f) if f.name == key => f.errors.get(field),
            _ => "",
        }
    }
}

pub async fn programmes(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<NoticeQuery>,
) -> AppResult<ProgrammesPage> {
    programmes_page(&state, &user, Flash::text_of(&q.notice), None, None).await
}

async fn programmes_page(
    state: &AppState,
    user: &CurrentUser,
    notice: &'static str,
    form: Option<ParamForm>,
    pack_form: Option<PackForm>,
) -> AppResult<ProgrammesPage> {
    let today = crate::clock::today();
    let mut conn = state.db.acquire().await?;
    let params = rule_params::in_force(&mut conn, today).await?;
    let changes = rule_params::history_of_programmes(&mut conn).await?;
    let settings = packs_db::settings(&mut conn).await?;
    let pack_changes = packs_db::history(&mut conn).await?;
    drop(conn);
    let packs = settings
        .iter()
        .map(|&packs_db::Setting { pack, enabled, id }| PackGroup {
            code: pack.as_str(),
            label: pack.label_zh(),
            draft: pack.is_draft(),
            enabled,
            seen: id,
            programmes: support::programmes()
                .iter()
                .filter(|p| p.pack == pack)
                .map(|p| {
                    let mut items = param_items(p.id, p.params, &params, today);
                    for item in &mut items {
                        let key = format!("{}.{}", p.id, item.name);
                        item.seen = changes.iter().find(|c| c.key == key).map_or(0, |c| c.id);
                    }
                    ProgrammeItem {
                        id: p.id,
                        name: p.name_zh,
                        clause: support::clause_zh(p.clause),
                        params: items,
                    }
                })
                .collect(),
        })
        .collect();
    let history = changes.into_iter().map(change_row).collect();
    let pack_history = pack_changes
        .into_iter()
        .map(|c| PackChangeRow {
            at: local_time(&c.changed_at),
            pack: c.pack.label_zh().to_owned(),
            draft: c.pack.is_draft(),
            enabled: c.enabled,
            by: c.changed_by.unwrap_or_else(|| "系统（部署默认）".into()),
            reason: c.reason,
        })
        .collect();
    Ok(ProgrammesPage {
        layout: Layout::for_user(user, "policies"),
        tab: "programmes",
        packs,
        can_edit: user.is_city_staff,
        history,
        form,
        pack_form,
        pack_history,
        notice,
    })
}

// ---- POST /programmes/packs/{code} -------------------------------------------------------------

/// City staff switch a policy pack on or off, with a reason: kept in the pack history, audited, and every
/// figure that depends on the enabled packs recomputed (`touches_all`, the data version advances). A stale
/// form (another switch of this pack since the page was opened) is a 409 conflict; switching off the last
/// enabled pack is refused.
pub async fn switch_pack(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(code): Path<String>,
    Form(f): Form<RawForm>,
) -> AppResult<Response> {
    let pack = Pack::parse(&code).ok_or(AppError::NotFound)?;
    let refuse = |errors: FieldErrors, status: StatusCode| {
        let form = PackForm {
            code: pack.as_str().to_owned(),
            reason: f.get("reason").to_owned(),
            errors,
        };
        let (state, user) = (&state, &user);
        async move {
            let page = programmes_page(state, user, "", None, Some(form)).await?;
            Ok::<Response, AppError>((status, page).into_response())
        }
    };
    let mut tx = w.begin().await?;
    packs_db::lock(&mut tx).await?;
    let settings = packs_db::settings(&mut tx).await?;
    let now = settings
        .iter()
        .find(|s| s.pack == pack)
        .copied()
        .ok_or(AppError::NotFound)?;
    let seen: i64 = f.get("seen").trim().parse().unwrap_or(-1);
    if seen != now.id {
        tx.rollback().await?;
        let mut errors = FieldErrors::default();
        errors.add(
            "enabled",
            format!(
                "在您打开本页之后，该政策包的启用状态已被他人修改，现为“{}”；请核对后重新提交",
                if now.enabled { "启用" } else { "停用" }
            ),
        );
        return refuse(errors, StatusCode::CONFLICT).await;
    }
    let enabled_now: Vec<Pack> = settings
        .iter()
        .filter(|s| s.enabled)
        .map(|s| s.pack)
        .collect();
    let change = match parse_pack_change(pack, f.get("enabled"), f.get("reason"), &enabled_now) {
        Ok(change) => change,
        Err(errors) => {
            tx.rollback().await?;
            return refuse(errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let id = packs_db::record(&mut tx, &change, user.id).await?;
    tx.audit(
        Entry::new("support_pack.switch", "support_pack_settings", id)
            .before(serde_json::json!({ "pack": pack.as_str(), "enabled": now.enabled }))
            .after(serde_json::json!({
                "pack": pack.as_str(), "enabled": change.enabled, "reason": change.reason
            })),
    )
    .await?;
    tx.touches_all();
    tx.redirect(format!(
        "/programmes?notice={}#pack-{}",
        Flash::PackSwitched,
        pack.as_str()
    ))
    .await
}

fn change_row(c: rule_params::Change) -> ChangeRow {
    let (owner, name) = c.key.split_once('.').unwrap_or(("", &c.key));
    let label = match support::programme(owner) {
        Some(p) => {
            let what = p
                .params
                .iter()
                .find(|d| d.name == name)
                .map_or(name, |d| d.description_zh);
            format!("{}：{what}", p.name_zh)
        }
        None => facts::label(name),
    };
    ChangeRow {
        at: local_time(&c.changed_at),
        value: stored_value_text(&c.key, &c.value),
        label,
        by: c.changed_by.unwrap_or_else(|| "系统".into()),
        reason: c.reason,
    }
}

// ---- POST /rules/{rule_id}/params/{name}, /programmes/{pid}/params/{name} ----------------------

/// What a parameter belongs to: a compliance rule or a support programme.
#[derive(Clone, Copy)]
enum Owner {
    Rule(&'static RuleDef),
    Programme(&'static ProgrammeDef),
}

impl Owner {
    fn id(self) -> &'static str {
        match self {
            Owner::Rule(r) => r.id,
            Owner::Programme(p) => p.id,
        }
    }

    fn params(self) -> &'static [ParamDef] {
        match self {
            Owner::Rule(r) => r.params,
            Owner::Programme(p) => p.params,
        }
    }

    /// Where the browser goes after a change.
    fn changed_location(self) -> String {
        match self {
            Owner::Rule(r) => format!("/rules/{}?notice={}#parameters", r.id, Flash::ParamChanged),
            Owner::Programme(p) => format!(
                "/programmes?notice={}#programme-{}",
                Flash::ProgrammeParamChanged,
                p.id
            ),
        }
    }
}

/// City staff change one parameter of a rule, with a reason; the change is kept in the history, audited, and
/// every platform's findings are recomputed with the new value. Refused forms come back with what was typed.
pub async fn update_param(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((rule_id, name)): Path<(String, String)>,
    Form(f): Form<RawForm>,
) -> AppResult<Response> {
    let (_, def) = find_rule(&rule_id)?;
    change_param(&state, &user, w, Owner::Rule(def), &name, &f).await
}

/// City staff change one parameter of a support programme (same rules as a rule parameter).
pub async fn update_programme_param(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((pid, name)): Path<(String, String)>,
    Form(f): Form<RawForm>,
) -> AppResult<Response> {
    let def = support::programme(&pid).ok_or(AppError::NotFound)?;
    change_param(&state, &user, w, Owner::Programme(def), &name, &f).await
}

async fn change_param(
    state: &AppState,
    user: &CurrentUser,
    w: Writer,
    owner: Owner,
    name: &str,
    f: &RawForm,
) -> AppResult<Response> {
    let param = owner
        .params()
        .iter()
        .find(|p| p.name == name)
        .ok_or(AppError::NotFound)?;
    let key = format!("{}.{}", owner.id(), param.name);
    let refuse = |errors: FieldErrors, status: StatusCode| {
        let form = ParamForm {
            name: match owner {
                Owner::Rule(_) => param.name.to_owned(),
                Owner::Programme(_) => key.clone(),
            },
            value: f.get("value").to_owned(),
            reason: f.get("reason").to_owned(),
            errors,
        };
        async move {
            let page = match owner {
                Owner::Rule(r) => rule_page(state, user, r.id, "", Some(form))
                    .await?
                    .into_response(),
                Owner::Programme(_) => programmes_page(state, user, "", Some(form), None)
                    .await?
                    .into_response(),
            };
            Ok::<Response, AppError>((status, page).into_response())
        }
    };
    let change = match param_form::parse(&key, f.get("value"), f.get("reason")) {
        Ok(c) => c,
        Err(errors) => return refuse(errors, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let mut tx = w.begin().await?;
    // One change of a key at a time; the form names the last change its author saw.
    rule_params::lock(&mut tx, &key).await?;
    let seen: i64 = f.get("seen").parse().unwrap_or(-1);
    let latest = rule_params::latest_id(&mut tx, &key).await?;
    let before = rule_params::in_force(&mut tx, crate::clock::today()).await?;
    let old = before.value(&key).unwrap_or(param.default);
    let mut errors = FieldErrors::default();
    if latest != seen {
        errors.add(
            "value",
            format!(
                "在您打开本页之后，该参数已被他人修改，现行值为 {}；请核对后重新提交",
                stored_value_text(&key, &serde_json::to_value(old).unwrap_or_default())
            ),
        );
    } else if change.value == old {
        errors.add("value", "新值与现行值相同，无需修改");
    }
    if !errors.is_empty() {
        tx.rollback().await?;
        let status = if latest != seen {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        return refuse(errors, status).await;
    }
    rule_params::record(&mut tx, &change, user.id).await?;
    tx.audit(
        Entry::new("rule_param.update", "rule_param", &key)
            .before(serde_json::json!({ "value": old }))
            .after(serde_json::json!({ "value": change.value, "reason": change.reason })),
    )
    .await?;
    tx.touches_all();
    tx.redirect(owner.changed_location()).await
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
