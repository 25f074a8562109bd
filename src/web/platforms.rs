//! The platform registry: list with filters, search, sort and pages; create; detail; edit
//! with optimistic concurrency.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;

use super::forms::{Form, Path, Query};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::auth::CurrentUser;
use super::cache::Count;
use super::flash::Flash;
use super::forms::{non_empty, query_string};
use super::layout::{Layout, date_or_dash, local_time};
use super::widgets::{ConflictRow, NoticeQuery, Opt, Pagination, enum_options};
use super::write::{self, Entry, Writer};
use super::xlsx::{self, Cell, opt};
use crate::db::jurisdictions::{self, Jurisdiction};
use crate::db::platforms::{self, AnnualFigures, ListFilter, ListRow, Platform, SortKey};
use crate::db::{lifecycle, rectification};
use crate::domain::calendar::beijing_date;
use crate::domain::money::wan;
use crate::domain::platform::{
    Category, Cluster, JurisdictionRef, LegalForm, Level, PlatformDraft, PlatformFields, Stage,
};
use crate::domain::role::Role;
use crate::domain::transformation::{is_break_even, self_sufficiency, self_sufficiency_of};
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // The platform registry.
        get( "/platforms",           Roles(PLATFORM_READERS, Global),   list),
        get( "/platforms.xlsx",      Roles(PLATFORM_READERS, Global),   export_xlsx),
        get( "/platforms/new",       Roles(STAFF, Global),              new_form),
        post("/platforms",           Roles(STAFF, Global),              create),
        get( "/platforms/{id}",      Roles(PLATFORM_READERS, Platform), show),
        get( "/platforms/{id}/edit", Roles(STAFF, Platform),            edit_form),
        post("/platforms/{id}",      Roles(STAFF, Platform),            update),
    ]
}

/// The option lists every registry form and filter bar needs.
pub struct Choices {
    pub categories: Vec<Opt>,
    pub stages: Vec<Opt>,
    pub levels: Vec<Opt>,
    pub clusters: Vec<Opt>,
    pub legal_forms: Vec<Opt>,
    pub jurisdictions: Vec<Opt>,
}

impl Choices {
    fn new(jurisdictions: &[Jurisdiction]) -> Choices {
        Choices {
            categories: enum_options(Category::ALL, Category::as_str, Category::label_zh),
            stages: enum_options(Stage::ALL, Stage::as_str, Stage::label_zh),
            levels: enum_options(Level::ALL, Level::as_str, Level::label_zh),
            clusters: enum_options(Cluster::ALL, Cluster::as_str, Cluster::label_zh),
            legal_forms: enum_options(LegalForm::ALL, LegalForm::as_str, LegalForm::label_zh),
            jurisdictions: jurisdictions
                .iter()
                .map(|j| Opt {
                    value: j.id.to_string(),
                    label: j.name.clone(),
                })
                .collect(),
        }
    }
}

/// The line a registry page shows for its `notice=` code. A signed-in user sent here after
/// changing their password is told just that (the flash's own text, for the sign-in page,
/// asks to sign in again).
fn notice_text(code: &str) -> &'static str {
    match Flash::parse(code) {
        Some(Flash::PasswordChanged) => "密码已修改。",
        flash => flash.map_or("", Flash::text),
    }
}

// ---- list -----------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    category: String,
    stage: String,
    jurisdiction: String,
    level: String,
    cluster: String,
    sort: String,
    dir: String,
    page: Option<i64>,
    size: Option<i64>,
    notice: String,
}

pub struct Row {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub level: &'static str,
    pub category: &'static str,
    pub stage: &'static str,
    pub stage_code: Stage,
    pub cluster: &'static str,
    pub registered: String,
}

impl From<ListRow> for Row {
    fn from(r: ListRow) -> Row {
        Row {
            id: r.id,
            level: r.level.label_zh(),
            category: r.category.map_or("未设置", Category::label_zh),
            stage: r.stage.label_zh(),
            cluster: r.industry_cluster.map_or("—", Cluster::label_zh),
            registered: local_time(&r.created_at)[..10].to_string(),
            stage_code: r.stage,
            code: r.code,
            name: r.name,
            jurisdiction: r.jurisdiction_name,
        }
    }
}

/// A sortable column header.
pub struct SortLink {
    pub label: &'static str,
    pub href: String,
    pub arrow: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "platforms/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub q: ListQuery,
    pub choices: Choices,
    pub rows: Vec<Row>,
    pub pagination: Pagination,
    pub headers: Vec<SortLink>,
    pub export_href: String,
    pub can_create: bool,
    pub notice: &'static str,
}

impl ListQuery {
    fn filter(&self) -> ListFilter {
        ListFilter {
            q: self.q.clone(),
            category: Category::parse(&self.category),
            stage: Stage::parse(&self.stage),
            jurisdiction_id: self.jurisdiction.parse().ok(),
            level: Level::parse(&self.level),
            cluster: Cluster::parse(&self.cluster),
            sort: SortKey::parse(&self.sort),
            descending: self.dir == "desc",
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<ListPage> {
    let filter = q.filter();
    let filters = [
        ("q", q.q.as_str()),
        ("category", q.category.as_str()),
        ("stage", q.stage.as_str()),
        ("jurisdiction", q.jurisdiction.as_str()),
        ("level", q.level.as_str()),
        ("cluster", q.cluster.as_str()),
    ];
    let sort_pairs = [
        ("sort", filter.sort.as_str()),
        ("dir", if filter.descending { "desc" } else { "" }),
    ];
    let base_query = query_string(&[&filters[..], &sort_pairs[..]].concat());
    let export_href = format!("/platforms.xlsx?{base_query}");
    let mut pagination = Pagination::new(q.page, 20, base_query).with_size(q.size);
    // The page of rows and the count are kept until the next write (keyed by the data version,
    // like every cached page): paging back and forth, sorting and a repeated search read no table.
    let rows = state
        .cache
        .get(
            "registry_rows",
            &user,
            format!(
                "{}&page={}&size={}",
                pagination.base_query, pagination.page, pagination.per_page
            ),
            async {
                Ok(platforms::list(
                    &state.db,
                    user.scope,
                    &filter,
                    pagination.per_page,
                    pagination.offset(),
                )
                .await?)
            },
        )
        .await?;
    // The count scans every match (a search term matches by trigram or by scan).
    let total = state
        .cache
        .get(
            "registry_count",
            &user,
            pagination.base_query.clone(),
            async {
                Ok(Count(
                    platforms::count(&state.db, user.scope, &filter).await?,
                ))
            },
        )
        .await?;
    pagination.total = total.0;

    let headers = [
        (SortKey::Code, "编号"),
        (SortKey::Name, "名称"),
        (SortKey::Jurisdiction, "地区"),
        (SortKey::Stage, "阶段"),
        (SortKey::Created, "登记时间"),
    ]
    .into_iter()
    .map(|(key, label)| {
        let active = filter.sort == key;
        let dir = if active && !filter.descending {
            "desc"
        } else {
            ""
        };
        SortLink {
            label,
            href: format!(
                "?{}",
                query_string(&[&filters[..], &[("sort", key.as_str()), ("dir", dir)][..]].concat())
            ),
            arrow: match (active, filter.descending) {
                (false, _) => "",
                (true, false) => " ▲",
                (true, true) => " ▼",
            },
        }
    })
    .collect();

    let reference = super::dashboards::reference(&state, &user).await?;
    Ok(ListPage {
        layout: Layout::for_user(&user, "platforms"),
        choices: Choices::new(&reference.jurisdictions),
        rows: rows.iter().cloned().map(Row::from).collect(),
        pagination,
        headers,
        export_href,
        can_create: user.has_role(Role::Staff),
        notice: notice_text(&q.notice),
        q,
    })
}

/// `GET /platforms.xlsx`: every platform the list's filters match (not just one page), in the
/// list's order, with the last complete year's revenue and expenditure.
pub async fn export_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
    RawQuery(raw): RawQuery,
) -> AppResult<Response> {
    let year = crate::domain::calendar::last_complete_year(crate::clock::today());
    let rows = platforms::export(&state.db, user.scope, &q.filter(), year).await?;
    xlsx::audit_export(&state.db, &user, "platforms", raw.as_deref(), rows.len()).await?;
    let self_generated = format!("{year}年自我造血收入（元）");
    let subsidy = format!("{year}年财政补助（元）");
    let expenditure = format!("{year}年支出（元）");
    let ratio = format!("{year}年收支比");
    let columns = [
        ("编号", 14.0),
        ("名称", 36.0),
        ("地区", 10.0),
        ("层级", 10.0),
        ("功能定位", 12.0),
        ("阶段", 10.0),
        ("产业集群", 14.0),
        ("共建单位", 28.0),
        ("建设期开始", 12.0),
        ("建设期结束", 12.0),
        ("投入运行", 12.0),
        (self_generated.as_str(), 18.0),
        (subsidy.as_str(), 16.0),
        (expenditure.as_str(), 16.0),
        (ratio.as_str(), 12.0),
        ("登记时间", 12.0),
    ];
    let cells = rows.into_iter().map(|r| {
        let ratio = self_sufficiency_of(r.self_generated, r.expenditure);
        vec![
            r.code.into(),
            r.name.into(),
            r.jurisdiction_name.into(),
            r.level.label_zh().into(),
            r.category.map_or("未设置", Category::label_zh).into(),
            r.stage.label_zh().into(),
            r.industry_cluster.map_or("—", Cluster::label_zh).into(),
            r.co_builders.into(),
            opt(r.construction_start, Cell::Date),
            opt(r.construction_end, Cell::Date),
            opt(r.operating_since, Cell::Date),
            opt(r.self_generated, Cell::Yuan),
            opt(r.fiscal_subsidy, Cell::Yuan),
            opt(r.expenditure, Cell::Yuan),
            opt(ratio, Cell::Decimal),
            Cell::Date(beijing_date(&r.created_at)),
        ]
    });
    xlsx::build(|b| b.sheet("平台名录", &columns, cells))?
        .download("platforms.xlsx", "平台名录.xlsx")
}

// ---- detail ---------------------------------------------------------------------------

pub struct YearRow {
    pub year: i32,
    pub channels: [String; 5],
    pub self_generated: String,
    /// Where the revenue figures come from: "台账合计" or "年报填报".
    pub revenue_source: &'static str,
    /// When the ledger's sum is shown and the reported total differs: "年报填报 985.28，差额 −12.00".
    pub self_generated_note: String,
    pub fiscal_subsidy: String,
    pub expenditure: String,
    pub expenditure_source: &'static str,
    pub expenditure_note: String,
    pub ratio: String,
    pub balanced: bool,
    pub rnd_staff: String,
    pub major_tasks: String,
}

/// "年报填报 985.28，差额 −12.00" (ledger − reported, 万元).
fn reported_note(reported: Option<i64>, gap: Option<i64>) -> String {
    match (reported, gap) {
        (Some(r), Some(g)) => {
            let sign = if g < 0 { "−" } else { "+" };
            format!("年报填报 {}，差额 {sign}{}", wan(r), wan(g.abs()))
        }
        _ => String::new(),
    }
}

fn source_label(from_ledger: bool) -> &'static str {
    if from_ledger {
        "台账合计"
    } else {
        "年报填报"
    }
}

impl From<&AnnualFigures> for YearRow {
    fn from(f: &AnnualFigures) -> YearRow {
        let own = f.self_generated();
        let count = |n: Option<i32>| n.map(|n| n.to_string()).unwrap_or_else(|| "—".into());
        YearRow {
            year: f.year,
            channels: [
                wan(f.service_orders),
                wan(f.tech_contracts),
                wan(f.achievement_transfer),
                wan(f.gov_research_projects),
                wan(f.incubation_returns),
            ],
            self_generated: wan(own),
            revenue_source: source_label(f.revenue_from_ledger),
            self_generated_note: reported_note(f.reported_self_generated, f.self_generated_gap()),
            fiscal_subsidy: wan(f.fiscal_subsidy),
            expenditure: wan(f.expenditure),
            expenditure_source: source_label(f.expenditure_from_ledger),
            expenditure_note: reported_note(f.reported_expenditure, f.expenditure_gap()),
            ratio: self_sufficiency(own, f.expenditure).map_or("—".into(), |r| format!("{r:.2}")),
            balanced: is_break_even(own, f.expenditure),
            rnd_staff: count(f.rnd_staff),
            major_tasks: count(f.major_tasks),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "platforms/show.html")]
pub struct ShowPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub dashboard: super::dashboards::PlatformDashboard,
    pub p: Platform,
    pub years: Vec<YearRow>,
    pub can_edit: bool,
    pub notice: &'static str,
    pub construction_start: String,
    pub construction_end: String,
    pub first_support_end: String,
    pub operating_since: String,
    /// 登记时间: when the platform was registered, from its record.
    pub registered: String,
    /// Platforms merged into this one: `(id, code, name)`.
    pub merged_from: Vec<(i64, String, String)>,
    /// The print view (`?print=1`): the dashboard as an A4 document.
    pub print: bool,
}

/// What a platform's overview shows (everything but the frame), kept until the next write.
#[derive(Clone)]
pub struct Overview {
    p: Platform,
    years: Vec<AnnualFigures>,
    merged_from: Vec<(i64, String, String)>,
    pub dashboard: super::dashboards::PlatformDashboard,
}

/// The platform's overview (its page and its charts' JSON), from the cache when no write came since.
pub async fn overview(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<Arc<Overview>> {
    state
        .cache
        .get("platform_overview", user, id.to_string(), async {
            let mut conn = state.db.acquire().await?;
            let p = platforms::get(&mut conn, id)
                .await?
                .ok_or(AppError::NotFound)?;
            drop(conn);
            let today = crate::clock::today();
            Ok(Overview {
                years: platforms::annual_figures(&state.db, id).await?,
                merged_from: rectification::merged_from(&state.db, id).await?,
                dashboard: super::dashboards::platform_dashboard(&state.db, &p, today).await?,
                p,
            })
        })
        .await
}

impl super::cache::Cached for Overview {
    fn rows(&self) -> usize {
        1 + self.years.len()
            + self.merged_from.len()
            + self.dashboard.timeline.len()
            + self.dashboard.visits.len()
    }
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
    Query(pq): Query<super::print::PrintQuery>,
) -> AppResult<ShowPage> {
    let overview = overview(&state, &user, id).await?;
    let Overview {
        p,
        years,
        merged_from,
        dashboard,
    } = overview.as_ref().clone();
    Ok(ShowPage {
        layout: Layout::for_user(&user, "platforms"),
        dashboard,
        tab: "overview",
        tab_platform_id: id,
        years: years.iter().map(YearRow::from).collect(),
        can_edit: user.has_role(Role::Staff),
        notice: notice_text(&q.notice),
        construction_start: date_or_dash(&p.construction_start),
        construction_end: date_or_dash(&p.construction_end),
        first_support_end: date_or_dash(&p.first_support_end),
        operating_since: date_or_dash(&p.operating_since),
        registered: local_time(&p.created_at)[..10].to_string(),
        merged_from,
        print: pq.on(),
        p,
    })
}

// ---- create and edit ------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "platforms/form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub id: Option<i64>,
    pub version: i32,
    pub f: PlatformFields,
    pub errors: FieldErrors,
    pub choices: Choices,
    /// Another platform registered under the typed USCC, while the user has not confirmed.
    pub same_uscc: Option<SameUscc>,
    /// The "仍然登记" box as typed.
    pub uscc_confirmed: bool,
}

/// The platform a typed USCC already belongs to.
pub struct SameUscc {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// The jurisdictions this staff member may register platforms in.
async fn allowed_jurisdictions(
    state: &AppState,
    user: &CurrentUser,
) -> AppResult<Vec<Jurisdiction>> {
    let all = jurisdictions::list(&state.db).await?;
    Ok(if user.is_city_staff {
        all
    } else {
        all.into_iter()
            .filter(|j| Some(j.id) == user.jurisdiction_id)
            .collect()
    })
}

async fn form_page(
    state: &AppState,
    user: &CurrentUser,
    id: Option<i64>,
    version: i32,
    f: PlatformFields,
    errors: FieldErrors,
) -> AppResult<FormPage> {
    let allowed = allowed_jurisdictions(state, user).await?;
    Ok(FormPage {
        layout: Layout::for_user(user, "platforms"),
        id,
        version,
        f,
        errors,
        choices: Choices::new(&allowed),
        same_uscc: None,
        uscc_confirmed: false,
    })
}

/// The new-platform form starts blank: jurisdiction, level and legal form decide who sees the
/// platform and how it is judged, so a hurried clerk must choose them (nothing pre-selected).
pub async fn new_form(State(state): State<AppState>, user: CurrentUser) -> AppResult<FormPage> {
    form_page(
        &state,
        &user,
        None,
        0,
        PlatformFields::default(),
        FieldErrors::default(),
    )
    .await
}

/// Another platform (not `except`) already registered under the USCC typed in `f`, if the code
/// is valid and used.
async fn duplicate_uscc(
    state: &AppState,
    f: &PlatformFields,
    except: Option<i64>,
) -> AppResult<Option<SameUscc>> {
    let typed = f.uscc.trim().to_ascii_uppercase();
    if crate::domain::uscc::Uscc::parse(&typed).is_err() {
        return Ok(None);
    }
    let mut conn = state.db.acquire().await?;
    Ok(platforms::same_uscc(&mut conn, &typed, except)
        .await?
        .map(|(id, code, name)| SameUscc { id, code, name }))
}

#[derive(Deserialize)]
pub struct PlatformForm {
    #[serde(flatten)]
    fields: PlatformFields,
    #[serde(default)]
    version: i32,
    /// "仍然登记": the user saw the duplicate-USCC warning and goes ahead.
    #[serde(default)]
    uscc_confirm: String,
}

impl PlatformForm {
    fn confirmed(&self) -> bool {
        !self.uscc_confirm.trim().is_empty()
    }
}

fn invalid(page: FormPage) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

/// The form of platform `id` (`None`: a new one) checked: its draft, or the form again (422)
/// with its errors, and with any other platform holding the same USCC until the user ticks
/// “仍然登记”.
async fn checked(
    state: &AppState,
    user: &CurrentUser,
    id: Option<i64>,
    form: &PlatformForm,
) -> AppResult<Result<PlatformDraft, Response>> {
    let allowed: Vec<JurisdictionRef> = allowed_jurisdictions(state, user)
        .await?
        .iter()
        .map(Jurisdiction::as_ref)
        .collect();
    let same = duplicate_uscc(state, &form.fields, id).await?;
    let confirmed = form.confirmed();
    match form.fields.validate(&allowed) {
        Ok(d) if same.is_none() || confirmed => Ok(Ok(d)),
        outcome => {
            let errors = outcome.err().unwrap_or_default();
            let fields = form.fields.clone();
            let mut page = form_page(state, user, id, form.version, fields, errors).await?;
            page.same_uscc = same;
            page.uscc_confirmed = confirmed;
            Ok(Err(invalid(page)))
        }
    }
}

/// The answer to a write that failed: the form again (422) with the field error for a
/// constraint the database named (nothing was written), or the error.
async fn refused_write(
    state: &AppState,
    user: &CurrentUser,
    id: Option<i64>,
    form: PlatformForm,
    e: sqlx::Error,
) -> AppResult<Response> {
    let Some((field, message)) = write::field_error(&e) else {
        return Err(e.into());
    };
    let mut errors = FieldErrors::default();
    errors.add(field, message);
    let page = form_page(state, user, id, form.version, form.fields, errors).await?;
    Ok(invalid(page))
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Form(form): Form<PlatformForm>,
) -> AppResult<Response> {
    let draft = match checked(&state, &user, None, &form).await? {
        Ok(draft) => draft,
        Err(form_again) => return Ok(form_again),
    };
    let mut tx = w.begin().await?;
    let id = match platforms::insert(&mut tx, &draft).await {
        Ok(id) => id,
        Err(e) => {
            tx.rollback().await?;
            return refused_write(&state, &user, None, form, e).await;
        }
    };
    tx.touches(id);
    let created = platforms::get(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.audit(Entry::new("platform.create", "platform", id).after(created.audit_json()))
        .await?;
    lifecycle::record(
        &mut tx,
        w.actor(),
        &lifecycle::Event {
            platform_id: id,
            kind: "registration.created",
            from_stage: None,
            to_stage: Some(Stage::Registration),
            summary: "登记新平台，进入设立登记阶段",
            reason: "",
            document_id: None,
        },
    )
    .await?;
    tx.redirect(format!("/platforms/{id}?notice={}", Flash::PlatformCreated))
        .await
}

fn fields_of(p: &Platform) -> PlatformFields {
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    PlatformFields {
        code: p.code.clone(),
        name: p.name.clone(),
        jurisdiction_id: p.jurisdiction_id.to_string(),
        level: p.level.as_str().into(),
        category: p.category.map(|c| c.as_str().into()).unwrap_or_default(),
        industry_cluster: p
            .industry_cluster
            .map(|c| c.as_str().into())
            .unwrap_or_default(),
        legal_form: p.legal_form.as_str().into(),
        co_builders: p.co_builders.clone(),
        construction_start: date(p.construction_start),
        construction_end: date(p.construction_end),
        first_support_end: date(p.first_support_end),
        uscc: p.uscc.clone().unwrap_or_default(),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<FormPage> {
    let mut conn = state.db.acquire().await?;
    let p = platforms::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    form_page(
        &state,
        &user,
        Some(id),
        p.version,
        fields_of(&p),
        FieldErrors::default(),
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "platforms/conflict.html")]
pub struct ConflictPage {
    pub layout: Layout,
    pub id: i64,
    pub name: String,
    pub rows: Vec<ConflictRow>,
}

fn conflict_rows(mine: &PlatformFields, theirs: &PlatformFields) -> Vec<ConflictRow> {
    let pairs: [(&'static str, &String, &String); 12] = [
        ("平台编号", &mine.code, &theirs.code),
        ("平台名称", &mine.name, &theirs.name),
        ("所属地区", &mine.jurisdiction_id, &theirs.jurisdiction_id),
        ("平台层级", &mine.level, &theirs.level),
        ("功能定位", &mine.category, &theirs.category),
        ("产业集群", &mine.industry_cluster, &theirs.industry_cluster),
        ("法人形式", &mine.legal_form, &theirs.legal_form),
        ("共建单位", &mine.co_builders, &theirs.co_builders),
        (
            "建设期开始",
            &mine.construction_start,
            &theirs.construction_start,
        ),
        (
            "建设期结束",
            &mine.construction_end,
            &theirs.construction_end,
        ),
        (
            "首轮支持期结束",
            &mine.first_support_end,
            &theirs.first_support_end,
        ),
        ("统一社会信用代码", &mine.uscc, &theirs.uscc),
    ];
    pairs
        .into_iter()
        .map(|(label, m, t)| ConflictRow {
            label: label.into(),
            mine: m.trim().to_string(),
            theirs: t.clone(),
            differs: m.trim() != t.as_str(),
        })
        .collect()
}

pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(form): Form<PlatformForm>,
) -> AppResult<Response> {
    let draft = match checked(&state, &user, Some(id), &form).await? {
        Ok(draft) => draft,
        Err(form_again) => return Ok(form_again),
    };
    let mut tx = w.begin().await?;
    let before = platforms::get(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let saved = match platforms::update(&mut tx, id, form.version, &draft).await {
        Ok(saved) => saved,
        Err(e) => {
            tx.rollback().await?;
            return refused_write(&state, &user, Some(id), form, e).await;
        }
    };
    if !saved {
        // Somebody saved in between: show both versions, overwrite nothing.
        tx.rollback().await?;
        let page = ConflictPage {
            layout: Layout::for_user(&user, "platforms"),
            id,
            name: before.name.clone(),
            rows: conflict_rows(&form.fields, &fields_of(&before)),
        };
        return Ok((StatusCode::CONFLICT, page).into_response());
    }
    let after = platforms::get(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new("platform.update", "platform", id)
            .before(before.audit_json())
            .after(after.audit_json()),
    )
    .await?;
    tx.redirect(format!("/platforms/{id}?notice={}", Flash::PlatformSaved))
        .await
}

/// Used by templates to keep a `<select>` on the typed value.
pub fn selected(value: &str, current: &str) -> bool {
    non_empty(current) == Some(value)
}
