//! The ledger tab (台账): a platform's items for a year — revenue by channel, expenditures, technology
//! contracts, licences, incubated companies, entered talent/R&D indicators, major tasks — and its shared
//! instruments; year totals derived from the items and compared with the self-reported figures.
//! Readers in scope see it; the platform's own operator and staff add and delete rows.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::annual::{PlatformHead, current_year};
use super::auth::CurrentUser;
use super::flash::Flash;
use super::forms::year_or_current;
use super::forms::{Form, Path, Query};
use super::layout::{Layout, date_or_dash};
use super::widgets::YearQuery;
use super::widgets::{Opt, YearLink, enum_options, year_links};
use super::write::{Entry, Writer};
use crate::db::{annual_config, ledger as db};
use crate::domain::fields::{FieldMessages, RawForm};
use crate::domain::ledger::{
    self, Channel, Check, ContractType, ExpenditureCategory, InvestmentForm, LedgerKind,
    PaymentModel, TaskLevel, indicator_input, is_derived, unit_of, value_field,
};
use crate::domain::money::wan;
use crate::domain::role::Role;
use crate::domain::scoring::IndicatorKind;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // The ledger (台账) of a platform.
        get( "/platforms/{id}/ledger",                     Roles(PLATFORM_READERS, Platform), show),
        post("/platforms/{id}/ledger/{kind}",              Roles(RECORD_KEEPERS, Platform),   add),
        post("/platforms/{id}/ledger/{kind}/{rid}/delete", Roles(RECORD_KEEPERS, Platform),   delete),
    ]
}

/// An add form as typed, with its errors.
#[derive(Default)]
pub struct AddForm {
    pub f: RawForm,
    pub errors: FieldErrors,
}

impl AddForm {
    pub fn v(&self, name: &str) -> &str {
        self.f.get(name)
    }

    pub fn e(&self, name: &str) -> &str {
        self.errors.get(name)
    }

    pub fn checked(&self, name: &str) -> bool {
        self.f.checked(name)
    }
}

pub struct Line {
    pub id: i64,
    pub cells: Vec<String>,
}

/// Items of one channel or category, with their subtotal.
pub struct Group {
    pub label: &'static str,
    pub total: String,
    pub lines: Vec<Line>,
}

pub struct IndicatorInput {
    pub label: String,
    pub dimension: &'static str,
    pub unit: &'static str,
    pub name: String,
    pub value: String,
    pub error: String,
}

/// A line of the totals table.
pub struct TotalLine {
    pub label: &'static str,
    pub itemised: String,
    pub reported: String,
    pub difference: String,
    pub differs: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "ledger/show.html")]
pub struct LedgerPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub head: PlatformHead,
    pub year: i32,
    pub years: Vec<YearLink>,
    pub can_write: bool,
    pub notice: &'static str,
    pub has_errors: bool,
    /// Figures whose self-reported total differs from the items.
    pub discrepancies: Vec<String>,
    pub has_reported: bool,
    pub totals: Vec<TotalLine>,
    pub self_sufficiency: String,
    pub channels_in_use: usize,
    pub revenue: Vec<Group>,
    pub expenditures: Vec<Group>,
    pub contracts: Vec<Line>,
    pub contracts_summary: String,
    pub licences: Vec<Line>,
    pub licences_summary: String,
    pub companies: Vec<Line>,
    pub tasks: Vec<Line>,
    pub tasks_summary: String,
    pub instruments: Vec<Line>,
    pub indicators: Vec<IndicatorInput>,
    pub forms: Forms,
    pub channel_options: Vec<Opt>,
    pub category_options: Vec<Opt>,
    pub contract_type_options: Vec<Opt>,
    pub payment_model_options: Vec<Opt>,
    pub investment_options: Vec<Opt>,
    pub level_options: Vec<Opt>,
}

/// The add forms of every section.
#[derive(Default)]
pub struct Forms {
    pub revenue: AddForm,
    pub expenditure: AddForm,
    pub contract: AddForm,
    pub licence: AddForm,
    pub company: AddForm,
    pub task: AddForm,
    pub instrument: AddForm,
}

impl Forms {
    fn slot(&mut self, kind: LedgerKind) -> Option<&mut AddForm> {
        Some(match kind {
            LedgerKind::Revenue => &mut self.revenue,
            LedgerKind::Expenditure => &mut self.expenditure,
            LedgerKind::Contract => &mut self.contract,
            LedgerKind::Licence => &mut self.licence,
            LedgerKind::Company => &mut self.company,
            LedgerKind::Task => &mut self.task,
            LedgerKind::Instrument => &mut self.instrument,
            LedgerKind::Indicators => return None,
        })
    }
}

/// One line per row: its id and its cells.
pub(super) fn lines_of<T>(rows: &[T], line: impl Fn(&T) -> (i64, Vec<String>)) -> Vec<Line> {
    rows.iter()
        .map(|row| {
            let (id, cells) = line(row);
            Line { id, cells }
        })
        .collect()
}

/// `s`, or "—" when it is blank.
pub(super) fn or_dash(s: &str) -> String {
    if s.trim().is_empty() {
        "—".into()
    } else {
        s.to_owned()
    }
}

/// What a failed post re-renders: the section's form as typed, or the indicator inputs as typed.
enum Retry {
    None,
    Row(LedgerKind, AddForm),
    Indicators(RawForm, FieldMessages),
}

async fn ledger_page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    year: i32,
    notice: &'static str,
    retry: Retry,
) -> AppResult<LedgerPage> {
    let mut conn = state.db.acquire().await?;
    let head = PlatformHead::load(&mut conn, id).await?;
    let rows = db::rows(&mut conn, id, year).await?;
    let instruments = db::instruments(&mut conn, id).await?;
    let entered = db::entered_values(&mut conn, id, year).await?;
    let reported = db::reported(&mut conn, id, year).await?;
    let (config, _) = annual_config::get(&mut conn, year).await?;
    let known_years = db::years(&mut conn, id).await?;
    drop(conn);

    let derived = ledger::derive(&rows.items(year));
    let checks: Vec<Check> = reported
        .as_ref()
        .map(|r| ledger::compare(&derived, r, entered.get("rnd_staff").copied()))
        .unwrap_or_default();
    let totals = if checks.is_empty() {
        // Nothing reported: the itemised totals alone.
        let mut lines: Vec<TotalLine> = Channel::ALL
            .iter()
            .map(|&c| total_line(c.label_zh(), wan(derived.channel(c))))
            .collect();
        lines.push(total_line("自我造血收入合计", wan(derived.self_generated)));
        lines.push(total_line("支出合计", wan(derived.expenditure)));
        lines.push(total_line(
            "承担重大任务（项）",
            derived.major_tasks.to_string(),
        ));
        lines
    } else {
        checks
            .iter()
            .map(|c| TotalLine {
                label: c.figure.label_zh(),
                itemised: c.itemised_display(),
                reported: c.reported_display(),
                difference: c.difference_display(),
                differs: c.differs(),
            })
            .collect()
    };
    let discrepancies = checks
        .iter()
        .filter(|c| c.differs())
        .map(Check::message)
        .collect();

    let revenue = Channel::ALL
        .iter()
        .filter_map(|&c| {
            let lines: Vec<Line> = rows
                .revenue
                .iter()
                .filter(|r| r.channel == c)
                .map(|r| Line {
                    id: r.id,
                    cells: vec![
                        wan(r.amount),
                        or_dash(&r.counterparty),
                        or_dash(&r.description),
                        date_or_dash(&r.received_on),
                    ],
                })
                .collect();
            (!lines.is_empty()).then(|| Group {
                label: c.label_zh(),
                total: wan(derived.channel(c)),
                lines,
            })
        })
        .collect();
    let expenditures = ExpenditureCategory::ALL
        .iter()
        .filter_map(|&c| {
            let lines: Vec<Line> = rows
                .expenditures
                .iter()
                .filter(|e| e.category == c)
                .map(|e| Line {
                    id: e.id,
                    cells: vec![wan(e.amount), or_dash(&e.description)],
                })
                .collect();
            (!lines.is_empty()).then(|| Group {
                label: c.label_zh(),
                total: wan(derived.category(c)),
                lines,
            })
        })
        .collect();
    let contracts = lines_of(&rows.contracts, |c| {
        (
            c.id,
            vec![
                c.contract_type.label_zh().to_owned(),
                c.counterparty.clone(),
                wan(c.amount),
                if c.registration_no.trim().is_empty() {
                    "未登记".into()
                } else {
                    c.registration_no.clone()
                },
                c.signed_on.to_string(),
            ],
        )
    });
    let licences = lines_of(&rows.licences, |l| {
        (
            l.id,
            vec![
                l.licensee.clone(),
                l.achievement.clone(),
                l.payment_model.label_zh().to_owned(),
                if l.use_first_pay_later { "是" } else { "否" }.into(),
                or_dash(&l.schedule),
                wan(l.amount_agreed),
                wan(l.amount_received),
            ],
        )
    });
    let companies = lines_of(&rows.companies, |c| {
        (
            c.id,
            vec![
                c.name.clone(),
                c.uscc.clone(),
                format!("{}%", c.equity_pct),
                c.investment_form.label_zh().to_owned(),
            ],
        )
    });
    let tasks = lines_of(&rows.tasks, |t| {
        (
            t.id,
            vec![
                t.name.clone(),
                t.level.label_zh().to_owned(),
                wan(t.funding),
            ],
        )
    });
    let instruments = lines_of(&instruments, |i| {
        (
            i.id,
            vec![
                i.name.clone(),
                wan(i.value_yuan),
                date_or_dash(&i.acquired_on),
                if i.open_shared { "是" } else { "否" }.into(),
                if i.on_provincial_platform {
                    "是"
                } else {
                    "否"
                }
                .into(),
            ],
        )
    });

    let mut forms = Forms::default();
    let (typed_values, value_errors) = match retry {
        Retry::None => (None, FieldMessages::default()),
        Retry::Row(kind, form) => {
            if let Some(slot) = forms.slot(kind) {
                *slot = form;
            }
            (None, FieldMessages::default())
        }
        Retry::Indicators(f, errors) => (Some(f), errors),
    };
    let has_errors = !value_errors.is_empty() || forms_have_errors(&forms);
    let indicators = config
        .rubric
        .indicators
        .iter()
        .filter(|i| i.kind == IndicatorKind::Quantitative && !is_derived(&i.key))
        .map(|i| {
            let name = value_field(&i.key);
            let unit = unit_of(&i.key);
            IndicatorInput {
                label: i.label_zh.clone(),
                dimension: i.dimension.label_zh(),
                unit: unit.label_zh(),
                value: match &typed_values {
                    Some(f) => f.get(&name).to_owned(),
                    None => entered
                        .get(&i.key)
                        .map(|v| indicator_input(unit, *v))
                        .unwrap_or_default(),
                },
                error: value_errors.get(&name).to_owned(),
                name,
            }
        })
        .collect();

    let mut years: Vec<i32> = known_years;
    let this_year = current_year();
    years.extend((this_year - 3)..=this_year);
    years.push(year);
    Ok(LedgerPage {
        layout: Layout::for_user(user, "platforms"),
        tab: "ledger",
        tab_platform_id: id,
        head,
        year,
        years: year_links(years, year),
        can_write: user.has_role(Role::Operator) || user.has_role(Role::Staff),
        notice,
        has_errors,
        discrepancies,
        has_reported: reported.is_some(),
        totals,
        self_sufficiency: derived
            .self_sufficiency
            .map(|r| format!("{r:.2}"))
            .unwrap_or_else(|| "—（无支出）".into()),
        channels_in_use: derived.channels_in_use,
        revenue,
        expenditures,
        contracts,
        contracts_summary: format!(
            "共 {} 项，成交额 {} 万元；其中已登记 {} 项，登记成交额 {} 万元",
            derived.contracts,
            wan(derived.contract_value),
            derived.registered_contracts,
            wan(derived.registered_contract_value)
        ),
        licences,
        licences_summary: format!(
            "共 {} 项（先使用后付费 {} 项），约定金额 {} 万元，已到账 {} 万元",
            derived.licences,
            derived.use_first_pay_later_licences,
            wan(derived.licences_agreed),
            wan(derived.licences_received)
        ),
        companies,
        tasks,
        tasks_summary: format!(
            "共 {} 项（国家级 {} 项），经费 {} 万元",
            derived.major_tasks,
            derived.national_tasks,
            wan(derived.task_funding)
        ),
        instruments,
        indicators,
        forms,
        channel_options: enum_options(Channel::ALL, Channel::as_str, Channel::label_zh),
        category_options: enum_options(
            ExpenditureCategory::ALL,
            ExpenditureCategory::as_str,
            ExpenditureCategory::label_zh,
        ),
        contract_type_options: enum_options(
            ContractType::ALL,
            ContractType::as_str,
            ContractType::label_zh,
        ),
        payment_model_options: enum_options(
            PaymentModel::ALL,
            PaymentModel::as_str,
            PaymentModel::label_zh,
        ),
        investment_options: enum_options(
            InvestmentForm::ALL,
            InvestmentForm::as_str,
            InvestmentForm::label_zh,
        ),
        level_options: enum_options(TaskLevel::ALL, TaskLevel::as_str, TaskLevel::label_zh),
    })
}

fn total_line(label: &'static str, itemised: String) -> TotalLine {
    TotalLine {
        label,
        itemised,
        reported: "—".into(),
        difference: "—".into(),
        differs: false,
    }
}

fn forms_have_errors(f: &Forms) -> bool {
    [
        &f.revenue,
        &f.expenditure,
        &f.contract,
        &f.licence,
        &f.company,
        &f.task,
        &f.instrument,
    ]
    .iter()
    .any(|a| !a.errors.is_empty())
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<YearQuery>,
) -> AppResult<LedgerPage> {
    let year = year_or_current(q.year)?;
    let notice = Flash::text_of(&q.notice);
    ledger_page(&state, &user, id, year, notice, Retry::None).await
}

fn parse_kind(kind: &str) -> AppResult<LedgerKind> {
    LedgerKind::parse(kind).ok_or(AppError::NotFound)
}

fn form_year(f: &RawForm) -> AppResult<i32> {
    f.get("year")
        .parse::<i32>()
        .ok()
        .filter(|y| crate::domain::calendar::YEARS.contains(y))
        .ok_or_else(|| AppError::BadRequest("缺少有效的年度，请返回台账页面重试。".into()))
}

/// Adds a row to a section (or saves the entered indicator values).
pub async fn add(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, kind)): Path<(i64, String)>,
    Form(f): Form<RawForm>,
) -> AppResult<Response> {
    let kind = parse_kind(&kind)?;
    let year = form_year(&f)?;
    if kind == LedgerKind::Indicators {
        return save_values(state, user, w, id, year, f).await;
    }
    let row = match ledger::parse_row(kind, year, &f) {
        Some(Ok(row)) => row,
        Some(Err(errors)) => {
            let page = ledger_page(
                &state,
                &user,
                id,
                year,
                "",
                Retry::Row(kind, AddForm { f, errors }),
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        None => return Err(AppError::NotFound),
    };
    let mut tx = w.begin().await?;
    let rid = db::insert(&mut tx, id, year, &row).await?;
    let after = db::row_json(&mut tx, kind, id, rid).await?;
    tx.audit(Entry::new("ledger.add", kind.table().unwrap_or("ledger"), rid).after(after))
        .await?;
    tx.redirect(format!(
        "/platforms/{id}/ledger?year={year}&notice={}#{}",
        Flash::LedgerAdded,
        kind.as_str()
    ))
    .await
}

async fn save_values(
    state: AppState,
    user: CurrentUser,
    w: Writer,
    id: i64,
    year: i32,
    f: RawForm,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let (config, _) = annual_config::get(&mut conn, year).await?;
    drop(conn);
    let keys: Vec<&str> = config
        .rubric
        .indicators
        .iter()
        .filter(|i| i.kind == IndicatorKind::Quantitative && !is_derived(&i.key))
        .map(|i| i.key.as_str())
        .collect();
    let values = match ledger::parse_indicator_values(&keys, &f) {
        Ok(v) => v,
        Err(errors) => {
            let page =
                ledger_page(&state, &user, id, year, "", Retry::Indicators(f, errors)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let mut tx = w.begin().await?;
    let before = db::entered_values(&mut tx, id, year).await?;
    db::set_values(&mut tx, id, year, &values).await?;
    let after = db::entered_values(&mut tx, id, year).await?;
    tx.audit(
        Entry::new("ledger.values", "indicator_values", format!("{id}:{year}"))
            .before(json!({"platform_id": id, "year": year, "values": before}))
            .after(json!({"platform_id": id, "year": year, "values": after})),
    )
    .await?;
    tx.redirect(format!(
        "/platforms/{id}/ledger?year={year}&notice={}#indicators",
        Flash::LedgerValuesSaved
    ))
    .await
}

/// Deletes a row of the platform's ledger (only a row of this platform).
pub async fn delete(
    w: Writer,
    Path((id, kind, rid)): Path<(i64, String, i64)>,
) -> AppResult<Response> {
    let kind = parse_kind(&kind)?;
    if kind.table().is_none() {
        return Err(AppError::NotFound);
    }
    let mut tx = w.begin().await?;
    let before = db::delete(&mut tx, kind, id, rid)
        .await?
        .ok_or(AppError::NotFound)?;
    let year = db::year_of(&before);
    tx.audit(Entry::new("ledger.delete", kind.table().unwrap_or("ledger"), rid).before(before))
        .await?;
    let query = year.map(|y| format!("year={y}&")).unwrap_or_default();
    tx.redirect(format!(
        "/platforms/{id}/ledger?{query}notice={}#{}",
        Flash::LedgerDeleted,
        kind.as_str()
    ))
    .await
}
