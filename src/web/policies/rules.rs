//! The rule catalogue and one rule's page.

use super::*;

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
pub(super) fn param_items(
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
pub(super) fn stored_value_text(key: &str, value: &serde_json::Value) -> String {
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

pub(super) fn paragraphs(text: &str, gloss: &str) -> Vec<Para> {
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

impl ParamForm {
    /// What was typed in the form of parameter `name` — (value, reason) — if `form` is that
    /// form refused, else empty.
    pub fn typed<'a>(form: &'a Option<ParamForm>, name: &str) -> (&'a str, &'a str) {
        match form {
            Some(f) if f.name == name => (f.value.as_str(), f.reason.as_str()),
            _ => ("", ""),
        }
    }

    /// The error of `field` in the form of parameter `name`, or "".
    pub fn error<'a>(form: &'a Option<ParamForm>, name: &str, field: &str) -> &'a str {
        match form {
            Some(f) if f.name == name => f.errors.get(field),
            _ => "",
        }
    }
}

impl RulePage {
    /// The form state for parameter `name`: what was typed if that form was refused, else empty.
    pub fn typed(&self, name: &str) -> (&str, &str) {
        ParamForm::typed(&self.form, name)
    }

    /// The error of `field` in the form of parameter `name`, or "".
    pub fn error(&self, name: &str, field: &str) -> &str {
        ParamForm::error(&self.form, name, field)
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
pub(super) fn find_rule(rule_id: &str) -> AppResult<(usize, &'static RuleDef)> {
    catalogue()
        .iter()
        .enumerate()
        .find(|(_, r)| r.id == rule_id)
        .map(|(i, r)| (i + 1, r))
        .ok_or(AppError::NotFound)
}

pub(super) async fn rule_page(
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
            badge: badge(policy.status),
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
