//! The policy library: the list of policies and one policy's text.

use super::*;

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

pub(super) fn groups(clauses: &[ClauseRow], links: &[RuleLink]) -> Vec<Group> {
    let is_part = |id: &Option<String>| {
        id.as_ref().is_some_and(|id| {
            clauses
                .iter()
                .any(|c| &c.clause_id == id && c.kind == ClauseKind::Part)
        })
    };
    let mut out: Vec<Group> = Vec::new();
    let mut pending_part: Option<ClauseView> = None;
    for c in clauses {
        let view = ClauseView::new(c, links);
        if c.kind == ClauseKind::Part {
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
