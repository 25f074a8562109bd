//! The 支持政策 tab (SUPPORT-RULES.md): every programme of the enabled packs with its status, amount,
//! basis and clause for one platform as of today, and the records behind them (recognitions, technology
//! transactions, enterprise-led projects, investments, fund first-equity results), which the platform's own
//! operator and staff add and delete through the write path. Staff, leaders and the platform's operator read it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{MatchedPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::annual::PlatformHead;
use super::auth::CurrentUser;
use super::flash::Flash;
use super::forms::{Form, Path, Query};
use super::layout::Layout;
use super::ledger::{AddForm, Line, lines_of, or_dash};
use super::widgets::{NoticeQuery, Opt, enum_options};
use super::write::{Entry, Writer};
use crate::db::recovery as recovery_db;
use crate::db::support::{self as db, InsertError};
use crate::db::{documents, rule_params, snapshot};
use crate::domain::compliance::snapshot::Grade;
use crate::domain::fields::RawForm;
use crate::domain::money::wan;
use crate::domain::platform::Stage;
use crate::domain::rectification::DecisionKind;
use crate::domain::role::Role;
use crate::domain::support::claims::{
    BasisOption, ClaimFigures, ClaimStatus, ClaimStep, RecoverBasis, parse_claim, parse_step,
    suggested_recovery,
};
use crate::domain::support::records::{InvestmentKind, RecordKind, parse_record};
use crate::domain::support::{
    self, Pack, ProgrammeResult, Recognition, SupportOutput, SupportStatus, programme,
};
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // The 支持政策 tab (SUPPORT-RULES.md) and the records behind it.
        get( "/platforms/{id}/support",                        Roles(SUPPORT_READERS, Platform), show),
        post("/platforms/{id}/support/{kind}",                 Roles(RECORD_KEEPERS, Platform),  add),
        post("/platforms/{id}/support/{kind}/{rid}/delete",    Roles(RECORD_KEEPERS, Platform),  delete),
        // Support claims: 申报 by the operator or staff; 审核, 拨付 and 追回 by staff.
        post("/platforms/{id}/support-claims",                 Roles(RECORD_KEEPERS, Platform),  add_claim),
        post("/platforms/{id}/support-claims/{cid}/review",    Roles(STAFF, Platform),           claim_step),
        post("/platforms/{id}/support-claims/{cid}/pay",       Roles(STAFF, Platform),           claim_step),
        post("/platforms/{id}/support-claims/{cid}/recover",   Roles(STAFF, Platform),           claim_step),
        post("/platforms/{id}/support-claims/{cid}/recovered", Roles(STAFF, Platform),           claim_step),
    ]
}

/// One programme's line.
pub struct ProgrammeLine {
    pub id: &'static str,
    pub name: &'static str,
    pub pack: &'static str,
    pub draft: bool,
    pub status: &'static str,
    pub status_label: &'static str,
    /// "50.00", "最高 500.00" or "—" (万元).
    pub amount: String,
    pub message: String,
    pub basis: Vec<(String, String)>,
    pub clause: String,
}

/// What a refused post re-renders: the form as typed with its errors, or a conflict message.
pub enum Retry {
    None,
    Record(RecordKind, AddForm),
    Claim(AddForm),
    Step(i64, AddForm),
    Conflict(String),
}

/// A claim's line, with the step its state allows next.
pub struct ClaimLine {
    pub id: i64,
    pub version: i32,
    /// The programme's Chinese name, and its id (shown marked as an id).
    pub programme: String,
    pub programme_id: String,
    pub status: &'static str,
    pub status_label: &'static str,
    /// (label, value) of what the claim has gathered so far.
    pub facts: Vec<(&'static str, String)>,
    /// The next step (staff only), if any: its path segment and label.
    pub next: Option<(&'static str, &'static str)>,
    pub form: AddForm,
}

/// The add forms, one per kind.
#[derive(Default)]
pub struct Forms {
    pub recognition: AddForm,
    pub transaction: AddForm,
    pub project: AddForm,
    pub investment: AddForm,
    pub fund: AddForm,
}

impl Forms {
    fn slot(&mut self, kind: RecordKind) -> &mut AddForm {
        match kind {
            RecordKind::Recognition => &mut self.recognition,
            RecordKind::Transaction => &mut self.transaction,
            RecordKind::Project => &mut self.project,
            RecordKind::Investment => &mut self.investment,
            RecordKind::Fund => &mut self.fund,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "support/show.html")]
pub struct SupportPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub head: PlatformHead,
    pub as_of: String,
    pub year_l: i32,
    pub packs: Vec<(&'static str, bool)>,
    pub programmes: Vec<ProgrammeLine>,
    pub total: String,
    pub can_write: bool,
    pub notice: &'static str,
    pub has_errors: bool,
    pub recognitions: Vec<Line>,
    pub transactions: Vec<Line>,
    pub projects: Vec<Line>,
    pub investments: Vec<Line>,
    pub funds: Vec<Line>,
    pub forms: Forms,
    pub recognition_options: Vec<Opt>,
    pub investment_options: Vec<Opt>,
    pub document_options: Vec<(i64, String)>,
    pub claims: Vec<ClaimLine>,
    /// Programmes that may be claimed now (eligible with an amount): (id, label).
    pub claimable: Vec<(&'static str, String)>,
    pub claim_form: AddForm,
    pub is_staff: bool,
    pub conflict: String,
    /// The bases a 追回 may rest on: (form value, label).
    pub basis_options: Vec<(String, String)>,
}

/// A fact of a programme's result in Chinese.
fn basis_pair(key: &str, value: &Value) -> (String, String) {
    let code = value.as_str().unwrap_or_default();
    let money = || {
        value
            .as_i64()
            .map(|y| format!("{} 万元", wan(y)))
            .unwrap_or_default()
    };
    match key {
        "year" => ("年度".into(), value.to_string()),
        "grade" => (
            "评估等次".into(),
            Grade::parse(code)
                .map(Grade::label_zh)
                .unwrap_or(code)
                .into(),
        ),
        "coefficient" => ("后续资金拨付系数".into(), value.to_string()),
        "base_yuan" => ("测算基数".into(), money()),
        "percent" => ("比例".into(), format!("{value}%")),
        "cap_yuan" => ("上限".into(), money()),
        "min_receipts_yuan" => ("单个项目到账门槛".into(), money()),
        "projects" => ("符合条件的项目数".into(), value.to_string()),
        "results" => ("基金首投成果数".into(), value.to_string()),
        "recognition" => (
            "认定".into(),
            Recognition::parse(code)
                .map(Recognition::label_zh)
                .unwrap_or(code)
                .into(),
        ),
        "stage" => (
            "平台阶段".into(),
            Stage::parse(code)
                .map(Stage::label_zh)
                .unwrap_or(code)
                .into(),
        ),
        other => (other.to_owned(), value.to_string()),
    }
}

fn amount_cell(amount: Option<i64>, up_to: bool) -> String {
    match amount {
        Some(a) if up_to => format!("最高 {}", wan(a)),
        Some(a) => wan(a),
        None => "—".into(),
    }
}

/// The platform's support computation as of today, with the packs it used.
async fn compute(state: &AppState, id: i64) -> AppResult<(SupportOutput, Vec<Pack>)> {
    let mut conn = state.db.acquire().await?;
    let today = crate::clock::today();
    let params = rule_params::in_force(&mut conn, today).await?;
    let built = snapshot::build_on(&mut conn, Some(&[id]), today, &params).await?;
    let (_, snap) = built.into_iter().next().ok_or(AppError::NotFound)?;
    Ok((support::evaluate(&snap, &params), snap.packs))
}

/// The bases a claim's 追回 may rest on for the platform: its signed-off 退/转/并 decisions with funds still to
/// recover (the amount then fits in what remains), its serious integrity violations (JY 新型研发机构 四(四)).
async fn recover_bases(
    conn: &mut sqlx::PgConnection,
    platform_id: i64,
) -> AppResult<Vec<BasisOption>> {
    let mut bases = Vec::new();
    for d in recovery_db::open_decisions(&mut *conn, platform_id).await? {
        let kind = d.decision.map_or("退/转/并", DecisionKind::label_zh);
        let on = d.decided_on.map(|d| d.to_string()).unwrap_or_default();
        let left = (d.funds_to_recover - d.committed).max(0);
        bases.push(BasisOption {
            basis: RecoverBasis::Decision(d.case_id),
            label: format!(
                "第 {} 号整改案件的{kind}决定（{on} 生效）：应追回 {} 万元，尚待追回 {} 万元",
                d.case_id,
                wan(d.funds_to_recover),
                wan(left)
            ),
            reason: format!(
                "依据第 {} 号整改案件的{kind}决定（{on} 生效）追回财政资金{}",
                d.case_id,
                if d.funds_basis.is_empty() {
                    String::new()
                } else {
                    format!("：{}", d.funds_basis)
                }
            ),
            outstanding: Some(left),
        });
    }
    for (rid, on, description) in recovery_db::serious_violations(&mut *conn, platform_id).await? {
        bases.push(BasisOption {
            basis: RecoverBasis::Integrity(rid),
            label: format!("严重违背科研诚信（{on}）：JY 新型研发机构 四(四) 按规定追回有关财政资金"),
            reason: format!(
                "依据 JY 新型研发机构 四(四)，严重违背科研诚信（{on}：{description}），按规定追回有关财政资金"
            ),
            outstanding: None,
        });
    }
    Ok(bases)
}

/// Programmes that may be claimed: eligible, with an amount or ceiling.
fn claimable(output: &SupportOutput) -> Vec<&ProgrammeResult> {
    output
        .programmes
        .iter()
        .filter(|r| r.status == SupportStatus::Eligible && r.amount_yuan.is_some())
        .collect()
}

fn claim_line(c: &db::ClaimRow, is_staff: bool, bases: &[BasisOption]) -> ClaimLine {
    let status = c.status;
    let money = |v: Option<i64>| v.map(wan).unwrap_or_default();
    let mut facts = vec![
        (
            if c.up_to {
                "测算最高限额（万元）"
            } else {
                "测算金额（万元）"
            },
            format!("{}（{} 测算）", wan(c.computed_yuan), c.as_of),
        ),
        ("申报材料", c.document_title.clone()),
        (
            "申报人",
            c.submitted_by.clone().unwrap_or_else(|| "—".into()),
        ),
    ];
    if !c.note.is_empty() {
        facts.push(("申报说明", c.note.clone()));
    }
    if let Some(g) = c.granted_yuan {
        facts.push(("核定金额（万元）", wan(g)));
    }
    if c.reviewed_by.is_some() {
        facts.push((
            "审核",
            format!(
                "{}{}",
                c.reviewed_by.clone().unwrap_or_default(),
                if c.review_note.is_empty() {
                    String::new()
                } else {
                    format!("：{}", c.review_note)
                }
            ),
        ));
    }
    if let Some(d) = c.paid_on {
        facts.push((
            "拨付",
            format!(
                "{d}，{} 万元，凭证号 {}",
                money(c.paid_yuan),
                c.voucher_no.clone().unwrap_or_default()
            ),
        ));
    }
    if status == ClaimStatus::Paid {
        for b in bases.iter().filter(|b| b.basis.case_id().is_some()) {
            facts.push(("可依据的退出决定", b.label.clone()));
        }
    }
    if let Some(case_id) = c.recover_case_id {
        facts.push((
            "追回计入",
            format!("第 {case_id} 号整改案件的应追回资金（资金追回页合计）"),
        ));
    }
    if let Some(r) = c.recover_yuan {
        facts.push((
            "应追回（万元）",
            format!(
                "{}（{}）",
                wan(r),
                c.recover_reason.clone().unwrap_or_default()
            ),
        ));
    }
    if let Some(d) = c.recovered_on {
        facts.push(("已追回", format!("{d}，{} 万元", money(c.recovered_yuan))));
    }
    let next = match status {
        ClaimStatus::Submitted => Some(ClaimStep::Review),
        ClaimStatus::Approved => Some(ClaimStep::Pay),
        ClaimStatus::Paid => Some(ClaimStep::Recover),
        ClaimStatus::Recovering => Some(ClaimStep::Recovered),
        _ => None,
    }
    .filter(|_| is_staff)
    .map(|s| (s.as_str(), s.label_zh()));
    // The 追回 form starts from the first basis offered: its reason, and as much as it still takes.
    let form = match (status, bases.first()) {
        (ClaimStatus::Paid, Some(b)) if is_staff => {
            let amount = wan(suggested_recovery(b, c.paid_yuan.unwrap_or(0)));
            AddForm {
                f: RawForm::from_pairs(&[
                    ("basis", &b.basis.key()),
                    ("recover", &amount),
                    ("reason", &b.reason),
                ]),
                errors: FieldErrors::default(),
            }
        }
        _ => AddForm::default(),
    };
    ClaimLine {
        id: c.id,
        version: c.version,
        programme: programme(&c.programme)
            .map(|p| p.name_zh.to_owned())
            .unwrap_or_else(|| c.programme.clone()),
        programme_id: c.programme.clone(),
        status: status.as_str(),
        status_label: status.label_zh(),
        facts,
        next,
        form,
    }
}

async fn support_page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    notice: &'static str,
    retry: Retry,
) -> AppResult<SupportPage> {
    let as_of = crate::clock::today();
    let mut conn = state.db.acquire().await?;
    let head = PlatformHead::load(&mut conn, id).await?;
    let listing = db::listing(&mut conn, id).await?;
    let claim_rows = db::claims(&mut conn, id).await?;
    let bases = recover_bases(&mut conn, id).await?;
    drop(conn);
    let (output, packs) = compute(state, id).await?;
    let docs = documents::list(&state.db, id, None).await?;
    let is_staff = user.has_role(Role::Staff);

    let programmes = output
        .programmes
        .iter()
        .map(|r| ProgrammeLine {
            id: r.id,
            name: r.def().name_zh,
            pack: r.pack.label_zh(),
            draft: r.pack.is_draft(),
            status: r.status.as_str(),
            status_label: r.status.label_zh(),
            amount: if r.status == SupportStatus::Eligible {
                amount_cell(r.amount_yuan, r.up_to)
            } else {
                "—".into()
            },
            message: r.message.clone(),
            basis: r.facts.iter().map(|(k, v)| basis_pair(k, v)).collect(),
            clause: support::clause_zh(r.clause),
        })
        .collect();
    let recognitions = lines_of(&listing.recognitions, |r| {
        (
            r.id,
            vec![
                r.kind.label_zh().to_owned(),
                r.recognised_on.to_string(),
                r.issuing_body.clone(),
                or_dash(&r.document_ref),
                r.document_title.clone().unwrap_or_else(|| "—".into()),
            ],
        )
    });
    let transactions = lines_of(&listing.transactions, |t| {
        (
            t.id,
            vec![
                t.year.to_string(),
                t.counterparty.clone(),
                wan(t.amount_yuan),
            ],
        )
    });
    let projects = lines_of(&listing.projects, |p| {
        (
            p.id,
            vec![
                p.year.to_string(),
                p.name.clone(),
                p.enterprise.clone(),
                wan(p.receipts_yuan),
            ],
        )
    });
    let investments = lines_of(&listing.investments, |i| {
        (
            i.id,
            vec![
                i.year.to_string(),
                i.kind.label_zh().to_owned(),
                wan(i.amount_yuan),
                or_dash(&i.description),
            ],
        )
    });
    let funds = lines_of(&listing.funds, |f| {
        (
            f.id,
            vec![
                f.year.to_string(),
                f.results.to_string(),
                or_dash(&f.description),
            ],
        )
    });
    let mut forms = Forms::default();
    let mut claims: Vec<ClaimLine> = claim_rows
        .iter()
        .map(|c| claim_line(c, is_staff, &bases))
        .collect();
    let mut claim_form = AddForm::default();
    let mut conflict = String::new();
    let has_errors = matches!(retry, Retry::Record(..) | Retry::Claim(_) | Retry::Step(..));
    match retry {
        Retry::None => {}
        Retry::Record(kind, form) => *forms.slot(kind) = form,
        Retry::Claim(form) => claim_form = form,
        Retry::Step(cid, form) => {
            if let Some(line) = claims.iter_mut().find(|c| c.id == cid) {
                line.form = form;
            }
        }
        Retry::Conflict(message) => conflict = message,
    }
    Ok(SupportPage {
        layout: Layout::for_user(user, "platforms"),
        tab: "support",
        tab_platform_id: id,
        head,
        as_of: as_of.to_string(),
        year_l: chrono::Datelike::year(&as_of) - 1,
        packs: packs
            .iter()
            .map(|p: &Pack| (p.label_zh(), p.is_draft()))
            .collect(),
        programmes,
        total: wan(output.total_yuan),
        can_write: user.has_role(Role::Operator) || user.has_role(Role::Staff),
        notice,
        has_errors,
        recognitions,
        transactions,
        projects,
        investments,
        funds,
        forms,
        recognition_options: enum_options(
            Recognition::ALL,
            Recognition::as_str,
            Recognition::label_zh,
        ),
        investment_options: enum_options(
            InvestmentKind::ALL,
            InvestmentKind::as_str,
            InvestmentKind::label_zh,
        ),
        document_options: docs.into_iter().map(|d| (d.id, d.title)).collect(),
        claimable: claimable(&output)
            .into_iter()
            .map(|r| {
                (
                    r.id,
                    format!(
                        "{}（{} 万元{}）",
                        r.def().name_zh,
                        amount_cell(r.amount_yuan, r.up_to),
                        if r.pack.is_draft() {
                            "，征求意见稿"
                        } else {
                            ""
                        }
                    ),
                )
            })
            .collect(),
        claims,
        claim_form,
        is_staff,
        conflict,
        basis_options: bases
            .iter()
            .map(|b| (b.basis.key(), b.label.clone()))
            .chain(std::iter::once((
                RecoverBasis::Other.key(),
                "其他依据（在说明中写明）".to_owned(),
            )))
            .collect(),
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<SupportPage> {
    support_page(&state, &user, id, Flash::text_of(&q.notice), Retry::None).await
}

fn parse_kind(kind: &str) -> AppResult<RecordKind> {
    RecordKind::parse(kind).ok_or(AppError::NotFound)
}

async fn refused(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    kind: RecordKind,
    f: RawForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let retry = Retry::Record(kind, AddForm { f, errors });
    answer(state, user, id, StatusCode::UNPROCESSABLE_ENTITY, retry).await
}

/// The tab again with `status`, showing what was refused (the typed form and its errors, or
/// the conflict), so nothing typed is lost.
async fn answer(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    status: StatusCode,
    retry: Retry,
) -> AppResult<Response> {
    let page = support_page(state, user, id, "", retry).await?;
    Ok((status, page).into_response())
}

/// Adds a record of the platform.
pub async fn add(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, kind)): Path<(i64, String)>,
    Form(f): Form<RawForm>,
) -> AppResult<Response> {
    let kind = parse_kind(&kind)?;
    let record = match parse_record(kind, &f, crate::clock::today()) {
        Ok(record) => record,
        Err(errors) => return refused(&state, &user, id, kind, f, errors).await,
    };
    let mut tx = w.begin().await?;
    let rid = match db::insert(&mut tx, id, &record).await {
        Ok(rid) => rid,
        Err(InsertError::Db(e)) => return Err(e.into()),
        Err(e) => {
            tx.rollback().await?;
            let mut errors = FieldErrors::default();
            match e {
                InsertError::DuplicateRecognition => {
                    errors.add("kind", "平台已登记该认定；如需更正，请先删除原记录再添加")
                }
                _ => errors.add("document_id", "请选择本平台文件中的一份"),
            }
            return refused(&state, &user, id, kind, f, errors).await;
        }
    };
    let after = db::row_json(&mut tx, kind, id, rid)
        .await?
        .unwrap_or_else(|| json!({"id": rid}));
    tx.audit(Entry::new("support.add", kind.table(), rid).after(after))
        .await?;
    tx.redirect(format!(
        "/platforms/{id}/support?notice={}#{}",
        Flash::LedgerAdded,
        kind.as_str()
    ))
    .await
}

/// Deletes a record of the platform (only a record of this platform).
pub async fn delete(
    w: Writer,
    Path((id, kind, rid)): Path<(i64, String, i64)>,
) -> AppResult<Response> {
    let kind = parse_kind(&kind)?;
    let mut tx = w.begin().await?;
    let before = db::delete(&mut tx, kind, id, rid)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.audit(Entry::new("support.delete", kind.table(), rid).before(before))
        .await?;
    tx.redirect(format!(
        "/platforms/{id}/support?notice={}#{}",
        Flash::LedgerDeleted,
        kind.as_str()
    ))
    .await
}

// ---- claims: 申报 → 审核 → 拨付 → 追回 ----

/// 申报: the platform's operator or staff claim an eligible programme, with a document.
pub async fn add_claim(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(f): Form<RawForm>,
) -> AppResult<Response> {
    let (output, _) = compute(&state, id).await?;
    let open = claimable(&output);
    let ids: Vec<&str> = open.iter().map(|r| r.id).collect();
    let docs: Vec<i64> = documents::list(&state.db, id, None)
        .await?
        .iter()
        .map(|d| d.id)
        .collect();
    let claim = match parse_claim(&f, &ids, &docs) {
        Ok(claim) => claim,
        Err(errors) => {
            let retry = Retry::Claim(AddForm { f, errors });
            return answer(&state, &user, id, StatusCode::UNPROCESSABLE_ENTITY, retry).await;
        }
    };
    let result = open
        .iter()
        .find(|r| r.id == claim.programme)
        .ok_or(AppError::NotFound)?;
    let computed = result.amount_yuan.unwrap_or(0);
    let mut tx = w.begin().await?;
    let cid = db::insert_claim(
        &mut tx,
        id,
        &claim,
        output.as_of,
        computed,
        result.up_to,
        user.id,
    )
    .await?;
    let after = db::claim_json(&mut tx, cid).await?;
    tx.audit(Entry::new("support.claim", "support_claims", cid).after(after))
        .await?;
    tx.redirect(format!(
        "/platforms/{id}/support?notice={}#claims",
        Flash::SupportClaimFiled
    ))
    .await
}

/// 审核, 拨付, 追回 (the amount to recover and why) and 追回到账 (staff): the step is the last segment
/// of the route (`…/support-claims/{cid}/review`, `/pay`, `/recover`, `/recovered`).
pub async fn claim_step(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    route: MatchedPath,
    Path((id, cid)): Path<(i64, i64)>,
    Form(f): Form<RawForm>,
) -> AppResult<Response> {
    let segment = route.as_str().rsplit('/').next().unwrap_or_default();
    let step = ClaimStep::parse(segment).ok_or(AppError::NotFound)?;
    let mut conn = state.db.acquire().await?;
    let claim = db::claim(&mut conn, id, cid)
        .await?
        .ok_or(AppError::NotFound)?;
    let bases = if step == ClaimStep::Recover {
        recover_bases(&mut conn, id).await?
    } else {
        Vec::new()
    };
    drop(conn);
    let conflict = |now: &db::ClaimRow| {
        format!(
            "第 {cid} 号申报已被他人处理（当前状态：{}），您的“{}”没有保存。请查看最新状态后再操作。",
            now.status.label_zh(),
            step.label_zh()
        )
    };
    let seen: Option<i32> = f.get("version").trim().parse().ok();
    if seen != Some(claim.version) || claim.status != step.from_status() {
        let retry = Retry::Conflict(conflict(&claim));
        return answer(&state, &user, id, StatusCode::CONFLICT, retry).await;
    }
    let figures = ClaimFigures {
        computed_yuan: claim.computed_yuan,
        up_to: claim.up_to,
        granted_yuan: claim.granted_yuan,
        paid_yuan: claim.paid_yuan,
        paid_on: claim.paid_on,
        recover_yuan: claim.recover_yuan,
    };
    let input = match parse_step(step, &f, &figures, &bases, crate::clock::today()) {
        Ok(input) => input,
        Err(errors) => {
            let retry = Retry::Step(cid, AddForm { f, errors });
            return answer(&state, &user, id, StatusCode::UNPROCESSABLE_ENTITY, retry).await;
        }
    };
    let mut tx = w.begin().await?;
    let before = db::claim_json(&mut tx, cid).await?;
    let applied = match db::apply_step(&mut tx, id, cid, claim.version, step, &input, user.id).await
    {
        Ok(applied) => applied,
        // The decision's funds were recovered elsewhere in the meantime (the database's cap).
        Err(sqlx::Error::Database(e)) if e.constraint() == Some(db::RECOVER_WITHIN_DUE) => {
            tx.rollback().await?;
            let mut errors = FieldErrors::default();
            errors.add(
                "recover",
                "该决定尚待追回的金额已变化（他人刚登记了追回），请按页面上的最新金额重新填写",
            );
            let retry = Retry::Step(cid, AddForm { f, errors });
            return answer(&state, &user, id, StatusCode::CONFLICT, retry).await;
        }
        Err(e) => return Err(e.into()),
    };
    if !applied {
        tx.rollback().await?;
        let mut conn = state.db.acquire().await?;
        let now = db::claim(&mut conn, id, cid)
            .await?
            .ok_or(AppError::NotFound)?;
        drop(conn);
        let retry = Retry::Conflict(conflict(&now));
        return answer(&state, &user, id, StatusCode::CONFLICT, retry).await;
    }
    let after = db::claim_json(&mut tx, cid).await?;
    tx.audit(
        Entry::new(
            &format!("support.claim.{}", step.as_str()),
            "support_claims",
            cid,
        )
        .before(before)
        .after(after),
    )
    .await?;
    tx.redirect(format!(
        "/platforms/{id}/support?notice={}#claim-{cid}",
        Flash::SupportClaimStepSaved
    ))
    .await
}
