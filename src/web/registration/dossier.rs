//! The dossier page (the 设立登记 tab) and its checklist.

use super::*;

// ---- the checklist ------------------------------------------------------------------------

/// One line of the registration checklist, with where to fix it.
pub struct CheckLine {
    pub code: &'static str,
    pub label: &'static str,
    pub met: bool,
    pub gap: String,
    pub href: String,
    pub fix: &'static str,
}

pub(super) fn checklist(
    p: &Platform,
    facts: &LifecycleFacts<i64>,
    user: &CurrentUser,
) -> Vec<CheckLine> {
    let id = p.id;
    domain::checklist(facts)
        .into_iter()
        .map(|item| {
            let (href, fix) = match item.requirement {
                Requirement::Charter => {
                    (format!("/platforms/{id}/registration#charter"), "办理章程")
                }
                Requirement::DecisionBody => (
                    format!("/platforms/{id}/registration#bodies"),
                    "组建决策机构",
                ),
                Requirement::Agreement => (
                    format!("/platforms/{id}/documents?kind={}", reg::AGREEMENT_DOC),
                    "上传共建协议",
                ),
                Requirement::Plan => (
                    format!("/platforms/{id}/documents?kind={}", reg::PLAN_DOC),
                    "上传建设方案",
                ),
                Requirement::Category if user.has_role(Role::Staff) => {
                    (format!("/platforms/{id}/edit"), "设置功能定位")
                }
                Requirement::Category => (
                    format!("/platforms/{id}/registration#category"),
                    "查看功能定位",
                ),
            };
            CheckLine {
                code: item.requirement.as_str(),
                label: item.requirement.label_zh(),
                met: item.met(),
                gap: item.gap.map(|g| g.to_string()).unwrap_or_default(),
                href,
                fix,
            }
        })
        .collect()
}

pub(super) async fn facts_of(
    state: &AppState,
    id: i64,
    reason: &str,
) -> AppResult<LifecycleFacts<i64>> {
    let mut conn = state.db.acquire().await?;
    reg::lifecycle_facts(&mut conn, id, reason)
        .await?
        .ok_or(AppError::NotFound)
}

// ---- the dossier page ---------------------------------------------------------------------

pub struct DocLine {
    pub kind: &'static str,
    pub label: &'static str,
    pub on_file: bool,
    pub title: String,
    pub uploaded: String,
    pub href: String,
}

fn doc_line(
    id: i64,
    kind: &'static str,
    label: &'static str,
    doc: &Option<reg::DocRef>,
) -> DocLine {
    DocLine {
        kind,
        label,
        on_file: doc.is_some(),
        title: doc.as_ref().map(|d| d.title.clone()).unwrap_or_default(),
        uploaded: doc
            .as_ref()
            .map(|d| local_time(&d.created_at)[..10].to_string())
            .unwrap_or_default(),
        href: format!("/platforms/{id}/documents?kind={kind}"),
    }
}

pub struct BodyView {
    pub body: Body,
    pub members: Vec<Member>,
    pub has_chair: bool,
    pub qualifies: bool,
}

pub struct ModeLine {
    pub code: &'static str,
    pub label: &'static str,
    pub on: bool,
}

pub struct CompanyView {
    pub company: Company,
    pub shareholders: Vec<Shareholder>,
    pub total: String,
    pub management_cash: String,
    pub mode_ticked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "registration/show.html")]
pub struct ShowPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub p: Platform,
    pub notice: &'static str,
    pub can_write: bool,
    pub is_staff: bool,
    pub can_approve: bool,
    pub in_registration: bool,
    pub charter_code: &'static str,
    pub charter_label: &'static str,
    pub charter_options: Vec<Opt>,
    pub can_set_charter: bool,
    pub docs: Vec<DocLine>,
    pub bodies: Vec<BodyView>,
    pub construction_start: String,
    pub construction_end: String,
    pub plan_targets: String,
    pub modes: Vec<ModeLine>,
    pub modes_label: String,
    pub companies: Vec<CompanyView>,
    /// Ticked company modes with no company on file yet: `(code, label)`.
    pub companies_missing: Vec<(&'static str, &'static str)>,
    pub checklist: Vec<CheckLine>,
    pub approved_at: String,
    pub approved_by: String,
    pub review: ReviewView,
}

impl ShowPage {
    pub fn checklist_complete(&self) -> bool {
        self.checklist.iter().all(|c| c.met)
    }

    /// The reason the open return gives for the part `code` ("" if none).
    pub fn reason_for(&self, code: &str) -> &str {
        self.review
            .returned
            .as_ref()
            .and_then(|r| r.reasons.iter().find(|l| l.code == code))
            .map(|l| l.reason.as_str())
            .unwrap_or("")
    }
}

/// One part of the dossier named in a return, with the reason.
pub struct ReasonLine {
    pub code: &'static str,
    pub label: &'static str,
    pub reason: String,
    /// Where the part is handled: its section on the registration page (basic info: the platform).
    pub href: String,
}

/// One step of the registration's history as shown.
pub struct HistoryLine {
    pub at: String,
    pub action: &'static str,
    pub chip: &'static str,
    pub actor: String,
    pub comment: String,
    pub reasons: Vec<ReasonLine>,
}

/// The open return (the registration is `returned`): who returned it, when, and why.
pub struct ReturnView {
    pub by: String,
    pub at: String,
    pub comment: String,
    pub reasons: Vec<ReasonLine>,
}

/// The review state of the dossier, its history and what this user may do next.
pub struct ReviewView {
    pub code: &'static str,
    pub label: &'static str,
    pub chip: &'static str,
    pub can_submit: bool,
    pub submit_label: &'static str,
    pub can_review: bool,
    pub returned: Option<ReturnView>,
    pub history: Vec<HistoryLine>,
}

fn reason_lines(id: i64, reasons: Vec<(Section, String)>) -> Vec<ReasonLine> {
    reasons
        .into_iter()
        .map(|(s, reason)| ReasonLine {
            code: s.as_str(),
            label: s.label_zh(),
            reason,
            href: match s {
                Section::Basic => format!("/platforms/{id}"),
                _ => format!("/platforms/{id}/registration#{}", s.as_str()),
            },
        })
        .collect()
}

pub(super) fn review_view(
    id: i64,
    user: &CurrentUser,
    stage: Stage,
    status: ReviewStatus,
    rows: Vec<reg::ReviewRow>,
) -> ReviewView {
    let returned = (status == ReviewStatus::Returned)
        .then(|| {
            rows.iter()
                .rev()
                .find(|r| r.action == ReviewAction::Returned)
        })
        .flatten()
        .map(|r| ReturnView {
            by: r.actor_name.clone().unwrap_or_else(|| "—".into()),
            at: local_time(&r.at),
            comment: r.comment.clone(),
            reasons: reason_lines(id, r.reasons()),
        });
    let history = rows
        .iter()
        .map(|r| HistoryLine {
            at: local_time(&r.at),
            action: r.action.label_zh(),
            chip: match r.action {
                ReviewAction::Returned => "returned",
                ReviewAction::Approved => "approved",
                ReviewAction::Submitted | ReviewAction::Resubmitted => "submitted",
            },
            actor: r.actor_name.clone().unwrap_or_else(|| "—".into()),
            comment: r.comment.clone(),
            reasons: reason_lines(id, r.reasons()),
        })
        .collect();
    let submit = domain::check_submit(stage, status);
    // Past registration without an approval on record (a platform entered directly), no status.
    let shown =
        (stage == Stage::Registration || status == ReviewStatus::Approved).then_some(status);
    ReviewView {
        code: shown.map(ReviewStatus::as_str).unwrap_or(""),
        label: shown.map(ReviewStatus::label_zh).unwrap_or(""),
        chip: shown.map(ReviewStatus::chip).unwrap_or(""),
        can_submit: writer(user) && submit.is_ok(),
        submit_label: match submit {
            Ok(ReviewAction::Resubmitted) => "按意见修改完毕，重新提交审批",
            _ => "提交审批",
        },
        can_review: user.has_role(Role::Staff) && domain::check_review(stage, status).is_ok(),
        returned,
        history,
    }
}

/// The charter states this user may choose (operators draft; staff also approve).
fn charter_options(user: &CurrentUser) -> Vec<Opt> {
    Charter::ALL
        .iter()
        .copied()
        .filter(|&c| user.has_role(Role::Staff) || c != Charter::Approved)
        .map(|c| Opt {
            value: c.as_str().into(),
            label: c.label_zh().into(),
        })
        .collect()
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<ShowPage> {
    let mut conn = state.db.acquire().await?;
    let p = platforms::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let r: Registration = reg::get(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    let docs: OnFile = reg::on_file(&mut conn, id).await?;
    let bodies = reg::bodies(&mut conn, id).await?;
    let mut members = reg::members(&mut conn, id).await?;
    let companies = reg::companies(&mut conn, id).await?;
    let mut holders = reg::shareholders(&mut conn, id).await?;
    let facts = reg::lifecycle_facts(&mut conn, id, "")
        .await?
        .ok_or(AppError::NotFound)?;
    let history = reg::history(&mut conn, id).await?;
    drop(conn);

    let stage = stage_of(&p);
    let review = review_view(id, &user, stage, r.status, history);
    let editable = domain::dossier_editable(stage);
    let can_write = writer(&user) && editable;
    let charter = r.charter_status;
    let modes = r.modes();

    let bodies = bodies
        .into_iter()
        .map(|body| {
            let mine: Vec<Member> = members.extract_if(.., |m| m.body_id == body.id).collect();
            let has_chair = mine.iter().any(|m| m.is_chair);
            let fact = DecisionBody {
                kind: body.kind,
                members: u32::try_from(mine.len()).unwrap_or(u32::MAX),
                has_chair,
            };
            BodyView {
                qualifies: fact.qualifies(DecisionBody::MIN_MEMBERS),
                has_chair,
                members: mine,
                body,
            }
        })
        .collect();
    let companies_missing = modes
        .iter()
        .copied()
        .filter(|&m| domain::has_company(m) && !companies.iter().any(|c| c.mode == m))
        .map(|m| (m.as_str(), m.label_zh()))
        .collect();
    let companies = companies
        .into_iter()
        .map(|company| {
            let shareholders: Vec<Shareholder> = holders
                .extract_if(.., |s| s.company_id == company.id)
                .collect();
            let stakes: Vec<_> = shareholders.iter().map(Shareholder::stake).collect();
            CompanyView {
                total: SharePct::sum(shareholders.iter().map(Shareholder::share)).to_string(),
                management_cash: domain::management_cash_share(&stakes).to_string(),
                mode_ticked: modes.contains(&company.mode),
                shareholders,
                company,
            }
        })
        .collect();

    Ok(ShowPage {
        layout: Layout::for_user(&user, "platforms"),
        tab: "registration",
        tab_platform_id: id,
        notice: Flash::text_of(&q.notice),
        can_write,
        is_staff: user.has_role(Role::Staff),
        can_approve: review.can_review,
        in_registration: stage == Stage::Registration,
        charter_code: charter.as_str(),
        charter_label: charter.label_zh(),
        charter_options: charter_options(&user),
        can_set_charter: can_write
            && domain::charter_change(user.role.unwrap_or(Role::Operator), charter, Charter::None)
                .is_ok(),
        docs: vec![
            doc_line(id, reg::CHARTER_DOC, "章程", &docs.charter),
            doc_line(id, reg::AGREEMENT_DOC, "共建协议", &docs.agreement),
            doc_line(id, reg::PLAN_DOC, "建设方案", &docs.plan),
        ],
        bodies,
        construction_start: date_or_dash(&p.construction_start),
        construction_end: date_or_dash(&p.construction_end),
        plan_targets: r.plan_targets.clone(),
        modes: OperatingMode::ALL
            .iter()
            .map(|&m| ModeLine {
                code: m.as_str(),
                label: m.label_zh(),
                on: modes.contains(&m),
            })
            .collect(),
        modes_label: domain::modes_label(&modes),
        companies,
        companies_missing,
        checklist: checklist(&p, &facts, &user),
        approved_at: r.approved_at.as_ref().map(local_time).unwrap_or_default(),
        approved_by: r.approved_by_name.clone().unwrap_or_default(),
        review,
        p,
    })
}
