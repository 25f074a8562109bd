//! The 支持政策 tab (SUPPORT-RULES.md): every programme of the enabled packs with its status, amount,
//! basis and clause for one platform as of today, and the records behind them (recognitions, technology
//! transactions, enterprise-led projects, investments, fund first-equity results), which the platform's own
//! operator and staff add and delete through the write path. Staff, leaders and the platform's operator read it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::annual::PlatformHead;
use super::auth::CurrentUser;
use super::flash::Flash;
use super::forms::{Form, Path, Query};
use super::layout::Layout;
use super::ledger::{AddForm, Opt};
use super::write::{Entry, Writer};
use crate::db::support::{self as db, InsertError};
use crate::db::{compliance, documents, snapshot};
use crate::domain::compliance::snapshot::Grade;
use crate::domain::fields::RawForm;
use crate::domain::money::wan;
use crate::domain::platform::Stage;
use crate::domain::role::Role;
use crate::domain::support::records::{InvestmentKind, RecordKind, parse_record};
use crate::domain::support::{self, Pack, Recognition, SupportStatus};
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

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
    pub clause: &'static str,
}

/// A record's line: its id and cells.
pub struct Line {
    pub id: i64,
    pub cells: Vec<String>,
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
}

fn options<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<Opt> {
    all.iter()
        .map(|&v| Opt {
            value: code(v),
            label: label(v),
        })
        .collect()
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

async fn support_page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    notice: &'static str,
    retry: Option<(RecordKind, AddForm)>,
) -> AppResult<SupportPage> {
    let as_of = compliance::today();
    let mut conn = state.db.acquire().await?;
    let head = PlatformHead::load(&mut conn, id).await?;
    let listing = db::listing(&mut conn, id).await?;
    let params = compliance::params(&mut *conn).await?;
    let built = snapshot::build_on(&mut conn, Some(&[id]), as_of, &params).await?;
    drop(conn);
    let docs = documents::list(&state.db, id, None).await?;
    let (_, snap) = built.into_iter().next().ok_or(AppError::NotFound)?;
    let output = support::evaluate(&snap, &params);

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
            clause: r.clause,
        })
        .collect();
    let recognitions = listing
        .recognitions
        .iter()
        .map(|r| Line {
            id: r.id,
            cells: vec![
                Recognition::parse(&r.kind)
                    .map(Recognition::label_zh)
                    .unwrap_or("—")
                    .to_owned(),
                r.recognised_on.to_string(),
                r.issuing_body.clone(),
                if r.document_ref.is_empty() {
                    "—".into()
                } else {
                    r.document_ref.clone()
                },
                r.document_title.clone().unwrap_or_else(|| "—".into()),
            ],
        })
        .collect();
    let transactions = listing
        .transactions
        .iter()
        .map(|t| Line {
            id: t.id,
            cells: vec![
                t.year.to_string(),
                t.counterparty.clone(),
                wan(t.amount_yuan),
            ],
        })
        .collect();
    let projects = listing
        .projects
        .iter()
        .map(|p| Line {
            id: p.id,
            cells: vec![
                p.year.to_string(),
                p.name.clone(),
                p.enterprise.clone(),
                wan(p.receipts_yuan),
            ],
        })
        .collect();
    let investments = listing
        .investments
        .iter()
        .map(|i| Line {
            id: i.id,
            cells: vec![
                i.year.to_string(),
                InvestmentKind::parse(&i.kind)
                    .map(InvestmentKind::label_zh)
                    .unwrap_or("—")
                    .to_owned(),
                wan(i.amount_yuan),
                if i.description.is_empty() {
                    "—".into()
                } else {
                    i.description.clone()
                },
            ],
        })
        .collect();
    let funds = listing
        .funds
        .iter()
        .map(|f| Line {
            id: f.id,
            cells: vec![
                f.year.to_string(),
                f.results.to_string(),
                if f.description.is_empty() {
                    "—".into()
                } else {
                    f.description.clone()
                },
            ],
        })
        .collect();
    let mut forms = Forms::default();
    let has_errors = retry.is_some();
    if let Some((kind, form)) = retry {
        *forms.slot(kind) = form;
    }
    Ok(SupportPage {
        layout: Layout::for_user(user, "platforms"),
        tab: "support",
        tab_platform_id: id,
        head,
        as_of: as_of.to_string(),
        year_l: chrono::Datelike::year(&as_of) - 1,
        packs: snap
            .packs
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
        recognition_options: options(Recognition::ALL, Recognition::as_str, Recognition::label_zh),
        investment_options: options(
            InvestmentKind::ALL,
            InvestmentKind::as_str,
            InvestmentKind::label_zh,
        ),
        document_options: docs.into_iter().map(|d| (d.id, d.title)).collect(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SupportQuery {
    notice: String,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<SupportQuery>,
) -> AppResult<SupportPage> {
    support_page(&state, &user, id, Flash::text_of(&q.notice), None).await
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
    let page = support_page(state, user, id, "", Some((kind, AddForm { f, errors }))).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
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
    let record = match parse_record(kind, &f, compliance::today()) {
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
