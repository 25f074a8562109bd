//! Excel import with templates (issue 14): the platform registry (staff, bulk onboarding), a
//! platform's ledger for a year (its operator or staff) and accounts (the system admin).
//!
//! Each import has a page (template download, upload form, history of imports), a template, an
//! upload that answers with a preview, and a confirmation:
//! - **Upload** reads the file defensively ([`read`]: not a workbook, a zip bomb, merged cells,
//!   formulas, the wrong template, an empty sheet, too many rows — each a Chinese 4xx), then
//!   checks every row with the forms' own validators ([`check`]) and lists every problem by row,
//!   column and message. Nothing is written: a file without problems is kept in `imports`
//!   (pending, keyed by its SHA-256), so confirming needs no second upload.
//! - **Confirm** checks the kept rows again (the registry may have changed meanwhile) and writes
//!   them all in one transaction of the write path, audited once with the row count and the
//!   file's hash. The same file imported into the same target again is refused, at upload and
//!   by the database (`imports_done_key`).

pub mod check;
pub mod read;
pub mod template;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use sqlx::PgConnection;

use super::annual::current_year;
use super::auth::CurrentUser;
use super::flash::Flash;
use super::forms::year_or_current;
use super::forms::{Path, Query, bad_upload, file_bytes, query_string};
use super::layout::{Layout, local_time};
use super::widgets::Pagination;
use super::widgets::YearQuery;
use super::write::{Entry, Writer};
use crate::db::imports::{self, Done, HistoryScope, NewImport};
use crate::db::jurisdictions::{self, Jurisdiction};
use crate::db::users;
use crate::db::{ledger as ledger_db, lifecycle, platforms, registration};
use crate::domain::documents::sha256_hex;
use crate::domain::import::{ColumnKind, ImportKind, ImportRow, Problem, SheetSpec};
use crate::domain::platform::{JurisdictionRef, Stage};
use crate::error::{AppError, AppResult};
use crate::password_hash;
use crate::state::AppState;
use check::Checked;
use read::Refusal;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // Excel import of the registry (bulk onboarding): staff, county staff into their county.
        get( "/platforms/import",                           Roles(STAFF, Global),            platforms_page),
        get( "/platforms/import/template.xlsx",             Roles(STAFF, Global),            platforms_template),
        post("/platforms/import",                           Roles(STAFF, Global),            platforms_upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY)),
        post("/platforms/import/{iid}",                     Roles(STAFF, Global),            platforms_confirm),
        // Excel import of a year's ledger: the platform's operator and staff.
        get( "/platforms/{id}/ledger/import",               Roles(RECORD_KEEPERS, Platform), ledger_page),
        get( "/platforms/{id}/ledger/import/template.xlsx", Roles(RECORD_KEEPERS, Platform), ledger_template),
        post("/platforms/{id}/ledger/import",               Roles(RECORD_KEEPERS, Platform), ledger_upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY)),
        post("/platforms/{id}/ledger/import/{iid}",         Roles(RECORD_KEEPERS, Platform), ledger_confirm),
        get( "/admin/users/import",                         Roles(SYSADMIN, Global),         accounts_page),
        get( "/admin/users/import/template.xlsx",           Roles(SYSADMIN, Global),         accounts_template),
        post("/admin/users/import",                         Roles(SYSADMIN, Global),         accounts_upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY)),
        post("/admin/users/import/{iid}",                   Roles(SYSADMIN, Global),         accounts_confirm),
    ]
}

/// Most rows of a preview table (the problems are always listed in full).
const PREVIEW_ROWS: usize = 200;
/// Most accounts in one file: each gets an argon2 hash while the import is written.
const MAX_ACCOUNTS: usize = 200;

/// What an import is about: its kind, where it goes, its template and its pages.
struct Ctx {
    kind: ImportKind,
    /// `imports.target`: the same file twice into the same target is refused.
    target: String,
    platform: Option<(i64, String)>,
    year: Option<i32>,
    specs: Vec<SheetSpec>,
    /// The registry: the jurisdictions this staff member may register platforms in.
    allowed: Vec<JurisdictionRef>,
    /// The import page; uploads post here and confirmations to `{base}/{id}`.
    base: String,
    heading: String,
    back: (String, &'static str),
    /// The uploader's county for county staff (their imports' scope).
    jurisdiction_id: Option<i32>,
}

/// The jurisdictions this staff member may register platforms in (as the new-platform form).
fn allowed_of(all: Vec<Jurisdiction>, user: &CurrentUser) -> Vec<Jurisdiction> {
    if user.is_city_staff {
        all
    } else {
        all.into_iter()
            .filter(|j| Some(j.id) == user.jurisdiction_id)
            .collect()
    }
}

async fn platforms_ctx(state: &AppState, user: &CurrentUser) -> AppResult<Ctx> {
    // Every jurisdiction is a value of the column, so that a row of another county gets the
    // form's own refusal (您无权在该地区登记平台) rather than "not a choice".
    let all = jurisdictions::list(&state.db).await?;
    let specs = check::platforms_spec(&all);
    let allowed = allowed_of(all, user);
    Ok(Ctx {
        kind: ImportKind::Platforms,
        target: ImportKind::Platforms.as_str().into(),
        platform: None,
        year: None,
        specs,
        allowed: allowed.iter().map(Jurisdiction::as_ref).collect(),
        base: "/platforms/import".into(),
        heading: "批量导入平台".into(),
        back: ("/platforms".into(), "返回平台名录"),
        jurisdiction_id: if user.is_city_staff {
            None
        } else {
            user.jurisdiction_id
        },
    })
}

async fn ledger_ctx(state: &AppState, id: i64, year: i32) -> AppResult<Ctx> {
    let mut conn = state.db.acquire().await?;
    let p = platforms::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Ctx {
        kind: ImportKind::Ledger,
        target: format!("ledger:{id}:{year}"),
        platform: Some((id, p.name.clone())),
        year: Some(year),
        specs: check::ledger_spec(),
        allowed: Vec::new(),
        base: format!("/platforms/{id}/ledger/import"),
        heading: format!("导入 {year} 年度台账 · {}", p.name),
        back: (
            format!("/platforms/{id}/ledger?year={year}"),
            "返回收支台账",
        ),
        jurisdiction_id: None,
    })
}

fn accounts_ctx() -> Ctx {
    Ctx {
        kind: ImportKind::Accounts,
        target: ImportKind::Accounts.as_str().into(),
        platform: None,
        year: None,
        specs: check::accounts_spec(),
        allowed: Vec::new(),
        base: "/admin/users/import".into(),
        heading: "批量导入账户".into(),
        back: ("/admin/users".into(), "返回账户管理"),
        jurisdiction_id: None,
    }
}

impl Ctx {
    fn intro(&self) -> Vec<String> {
        let mut lines = match self.kind {
            ImportKind::Platforms => vec![
                "用于把已有平台一次登记进系统：每行一个平台，字段与「登记新平台」表单相同；填写了运营管理公司的，一并登记公司并勾选「平台+运营管理公司」。".to_string(),
                "导入后平台处于「设立登记」阶段，登记材料可在各平台的设立登记页补充。".to_string(),
            ],
            ImportKind::Ledger => vec![
                format!(
                    "用于把 {} 年度的台账一次录入「{}」：收入、支出、技术合同、成果许可各一张工作表，字段与台账页的新增表单相同，不需要的工作表留空即可。",
                    self.year.unwrap_or_default(),
                    self.platform.as_ref().map_or("", |(_, n)| n.as_str())
                ),
                "导入的记录追加到该年度已有的台账之后；金额单位为万元，日期须在该年度内。".to_string(),
            ],
            ImportKind::Accounts => vec![
                "用于一次创建多个账户：每行一个账户，规则与「创建账户」表单相同。".to_string(),
                "导入后每个账户获得一个临时密码（只显示一次），首次登录时须修改；角色与数据范围由安全管理员分配。".to_string(),
            ],
        };
        lines.push(format!(
            "上传后先显示预览，逐行列出所有问题（行号、列名、原因）；确认之前不会写入任何数据。确认后全部行在同一步写入（全部成功或全部不写入）。同一文件不会被重复导入。文件不超过 {} MB、每张工作表不超过 {} 行。",
            read::MAX_FILE_BYTES / (1024 * 1024),
            read::MAX_ROWS
        ));
        lines.push("请勿合并单元格、不要使用公式（请粘贴为数值），日期可填写 2024-05-01、2024/5/1 或 2024年5月1日。".to_string());
        lines
    }

    fn template_href(&self) -> String {
        match self.year {
            Some(y) => format!("{}/template.xlsx?year={y}", self.base),
            None => format!("{}/template.xlsx", self.base),
        }
    }

    fn template_name(&self) -> String {
        match self.kind {
            ImportKind::Platforms => "平台名录导入模板.xlsx".into(),
            ImportKind::Ledger => format!("{}年度台账导入模板.xlsx", self.year.unwrap_or_default()),
            ImportKind::Accounts => "账户导入模板.xlsx".into(),
        }
    }

    fn history_scope(&self) -> HistoryScope {
        match (&self.platform, self.jurisdiction_id) {
            (Some((id, _)), _) => HistoryScope::Platform(*id),
            (None, Some(j)) => HistoryScope::Jurisdiction(j),
            (None, None) => HistoryScope::All,
        }
    }

    fn active_menu(&self) -> &'static str {
        match self.kind {
            ImportKind::Accounts => "users",
            _ => "platforms",
        }
    }
}

// ---- the import page ------------------------------------------------------------------

/// One past import.
pub struct HistoryRow {
    pub when: String,
    pub by: String,
    pub file_name: String,
    pub rows: i32,
    pub year: String,
}

impl From<Done> for HistoryRow {
    fn from(d: Done) -> HistoryRow {
        HistoryRow {
            when: local_time(&d.imported_at),
            by: d.by,
            file_name: d.file_name,
            rows: d.row_count,
            year: d.year.map_or(String::new(), |y| format!("{y} 年")),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "import/page.html")]
pub struct ImportPage {
    pub layout: Layout,
    pub heading: String,
    pub intro: Vec<String>,
    pub back_href: String,
    pub back_label: &'static str,
    pub template_href: String,
    pub action: String,
    /// The ledger's year and the years to choose from.
    pub year: Option<i32>,
    pub years: Vec<i32>,
    /// Why the last upload could not be read (shown above the form).
    pub refusal: String,
    pub notice: &'static str,
    pub history: Vec<HistoryRow>,
    pub pagination: Pagination,
    pub show_year: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    year: Option<i32>,
    page: Option<i64>,
    notice: String,
}

async fn import_page(
    state: &AppState,
    user: &CurrentUser,
    ctx: &Ctx,
    page: Option<i64>,
    refusal: String,
    notice: &'static str,
) -> AppResult<ImportPage> {
    let base_query = ctx
        .year
        .map_or(String::new(), |y| query_string(&[("year", &y.to_string())]));
    let mut pagination = Pagination::new(page, 20, base_query);
    let (rows, total) = imports::history(
        &state.db,
        ctx.kind,
        ctx.history_scope(),
        pagination.per_page,
        pagination.offset(),
    )
    .await?;
    pagination.total = total;
    let this_year = current_year();
    let mut years: Vec<i32> = ((this_year - 5)..=this_year).rev().collect();
    if let Some(y) = ctx.year
        && !years.contains(&y)
    {
        years.push(y);
    }
    Ok(ImportPage {
        layout: Layout::for_user(user, ctx.active_menu()),
        heading: ctx.heading.clone(),
        intro: ctx.intro(),
        back_href: ctx.back.0.clone(),
        back_label: ctx.back.1,
        template_href: ctx.template_href(),
        action: ctx.base.clone(),
        year: ctx.year,
        years,
        refusal,
        notice,
        history: rows.into_iter().map(HistoryRow::from).collect(),
        pagination,
        show_year: ctx.kind == ImportKind::Ledger,
    })
}

fn with_status(status: StatusCode, page: impl IntoResponse) -> Response {
    (status, page).into_response()
}

async fn refused(
    state: &AppState,
    user: &CurrentUser,
    ctx: &Ctx,
    r: Refusal,
) -> AppResult<Response> {
    let page = import_page(state, user, ctx, None, r.message, "").await?;
    Ok(with_status(r.status, page))
}

/// An import page as opened (a page of its history, and the notice of the redirect).
async fn show(
    state: &AppState,
    user: &CurrentUser,
    ctx: &Ctx,
    q: PageQuery,
) -> AppResult<ImportPage> {
    let notice = Flash::text_of(&q.notice);
    import_page(state, user, ctx, q.page, String::new(), notice).await
}

pub async fn platforms_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<PageQuery>,
) -> AppResult<ImportPage> {
    let ctx = platforms_ctx(&state, &user).await?;
    show(&state, &user, &ctx, q).await
}

pub async fn ledger_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> AppResult<ImportPage> {
    let ctx = ledger_ctx(&state, id, year_or_current(q.year)?).await?;
    show(&state, &user, &ctx, q).await
}

pub async fn accounts_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<PageQuery>,
) -> AppResult<ImportPage> {
    let ctx = accounts_ctx();
    show(&state, &user, &ctx, q).await
}

// ---- templates ------------------------------------------------------------------------

fn template_download(ctx: &Ctx, ascii_name: &str) -> AppResult<Response> {
    let title = format!("{}（导入模板）", ctx.heading);
    let bytes = template::workbook(&title, &ctx.intro(), &ctx.specs)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("import template: {e}")))?;
    Ok(super::xlsx::download(
        bytes,
        ascii_name,
        &ctx.template_name(),
    ))
}

pub async fn platforms_template(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Response> {
    template_download(
        &platforms_ctx(&state, &user).await?,
        "platforms-template.xlsx",
    )
}

pub async fn ledger_template(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    let ctx = ledger_ctx(&state, id, year_or_current(q.year)?).await?;
    template_download(&ctx, "ledger-template.xlsx")
}

pub async fn accounts_template() -> AppResult<Response> {
    template_download(&accounts_ctx(), "accounts-template.xlsx")
}

// ---- upload and preview ---------------------------------------------------------------

/// The upload form: the file and (ledger) the year.
#[derive(Default)]
struct Upload {
    file_name: String,
    bytes: Vec<u8>,
    too_large: bool,
    year: String,
}

/// Reads the multipart body, keeping at most [`read::MAX_FILE_BYTES`] + 1 bytes of the file.
async fn read_upload(multipart: Result<Multipart, MultipartRejection>) -> AppResult<Upload> {
    let mut multipart = multipart.map_err(|_| bad_upload())?;
    let mut upload = Upload::default();
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                upload.too_large = true;
                break;
            }
            Err(_) => return Err(bad_upload()),
        };
        match field.name().unwrap_or("") {
            "file" => {
                upload.file_name = field.file_name().unwrap_or("").chars().take(120).collect();
                match file_bytes(&mut field, read::MAX_FILE_BYTES).await? {
                    Some(bytes) => upload.bytes = bytes,
                    None => upload.too_large = true,
                }
                if upload.too_large {
                    break;
                }
            }
            "year" => {
                let text = field.text().await.map_err(|_| bad_upload())?;
                upload.year = text.chars().take(8).collect();
            }
            _ => {} // csrf_token (checked by the guard) and anything else
        }
    }
    Ok(upload)
}

/// A problem as the preview lists it.
pub struct ProblemView {
    pub sheet: &'static str,
    pub row: u32,
    pub column: String,
    pub message: String,
}

/// A sheet's rows as read, for the preview.
pub struct TableView {
    pub name: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<(u32, Vec<String>)>,
    pub count: usize,
    pub hidden: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "import/preview.html")]
pub struct PreviewPage {
    pub layout: Layout,
    pub heading: String,
    pub base: String,
    pub file_name: String,
    pub sha256: String,
    pub row_count: usize,
    pub problems: Vec<ProblemView>,
    pub show_sheet: bool,
    pub notes: Vec<String>,
    pub tables: Vec<TableView>,
    /// Where 确认导入 posts (only when there is no problem).
    pub confirm_action: Option<String>,
}

/// A cell of the preview as the user typed it (a choice by its label, not its code).
fn shown(spec: &SheetSpec, row: &ImportRow) -> Vec<String> {
    spec.columns
        .iter()
        .map(|c| {
            let v = row.get(c.field);
            match &c.kind {
                ColumnKind::Choice(options) => options
                    .iter()
                    .find(|(_, code)| code == v)
                    .map_or_else(|| v.to_string(), |(label, _)| label.clone()),
                ColumnKind::YesNo => if v.is_empty() { "否" } else { "是" }.to_string(),
                _ => v.to_string(),
            }
        })
        .collect()
}

/// The preview of `rows` read from the file `(name, sha256)`.
fn preview(
    user: &CurrentUser,
    ctx: &Ctx,
    (file_name, sha256): (&str, &str),
    rows: &[ImportRow],
    problems: Vec<Problem>,
    notes: Vec<String>,
    confirm_action: Option<String>,
) -> PreviewPage {
    let tables = ctx
        .specs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let mine: Vec<&ImportRow> = rows.iter().filter(|r| r.sheet == i).collect();
            TableView {
                name: spec.name,
                headers: spec.columns.iter().map(|c| c.header).collect(),
                count: mine.len(),
                hidden: mine.len().saturating_sub(PREVIEW_ROWS),
                rows: mine
                    .iter()
                    .take(PREVIEW_ROWS)
                    .map(|r| (r.row, shown(spec, r)))
                    .collect(),
            }
        })
        .collect();
    PreviewPage {
        layout: Layout::for_user(user, ctx.active_menu()),
        heading: ctx.heading.clone(),
        base: ctx.base.clone(),
        file_name: file_name.to_string(),
        sha256: sha256.to_string(),
        row_count: rows.len(),
        show_sheet: ctx.specs.len() > 1,
        problems: problems
            .into_iter()
            .map(|p| ProblemView {
                sheet: p.sheet,
                row: p.row,
                column: p.column,
                message: p.message,
            })
            .collect(),
        notes,
        tables,
        confirm_action,
    }
}

/// The rows ready to write, by kind.
enum Items {
    Platforms(Vec<check::PlatformItem>),
    Ledger(Vec<crate::domain::ledger::NewRow>),
    Accounts(Vec<crate::domain::import::NewAccount>),
}

fn split<T>(c: Checked<T>, wrap: fn(Vec<T>) -> Items) -> (Items, Vec<Problem>, Vec<String>) {
    (wrap(c.items), c.problems, c.notes)
}

/// Checks the rows read from a file with the forms' validators (and the batch's own checks).
async fn check_rows(
    conn: &mut PgConnection,
    ctx: &Ctx,
    rows: &[ImportRow],
) -> AppResult<(Items, Vec<Problem>, Vec<String>)> {
    Ok(match ctx.kind {
        ImportKind::Platforms => split(
            check::platforms(conn, &ctx.specs[0], rows, &ctx.allowed).await?,
            Items::Platforms,
        ),
        ImportKind::Ledger => split(
            check::ledger(&ctx.specs, rows, ctx.year.unwrap_or_default()),
            Items::Ledger,
        ),
        ImportKind::Accounts => {
            if rows.len() > MAX_ACCOUNTS {
                return Err(AppError::BadRequest(format!(
                    "一个文件最多导入 {MAX_ACCOUNTS} 个账户，请分批导入。"
                )));
            }
            split(
                check::accounts(conn, &ctx.specs[0], rows).await?,
                Items::Accounts,
            )
        }
    })
}

fn already_message(d: &Done) -> String {
    format!(
        "该文件已于 {} 由 {} 导入（{} 行），本次未重复导入，没有写入任何数据。如需补充，请只上传新增的行。",
        local_time(&d.imported_at),
        d.by,
        d.row_count
    )
}

/// Reads, checks and previews an upload; a file without problems is kept for confirmation.
async fn upload(state: &AppState, user: &CurrentUser, ctx: Ctx, up: Upload) -> AppResult<Response> {
    if up.too_large {
        return refused(state, user, &ctx, Refusal::too_large()).await;
    }
    let sha256 = sha256_hex(&up.bytes);
    if let Some(done) = imports::already(&state.db, &ctx.target, &sha256).await? {
        let r = Refusal {
            status: StatusCode::CONFLICT,
            message: already_message(&done),
        };
        return refused(state, user, &ctx, r).await;
    }
    let specs = ctx.specs.clone();
    let bytes = up.bytes;
    let parsed = tokio::task::spawn_blocking(move || read::read(&bytes, &specs))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let parsed = match parsed {
        Ok(p) => p,
        Err(r) => return refused(state, user, &ctx, r).await,
    };
    let mut conn = state.db.acquire().await?;
    let (_, mut problems, notes) = check_rows(&mut conn, &ctx, &parsed.rows).await?;
    drop(conn);
    problems.extend(parsed.problems);
    let order = |p: &Problem| (ctx.specs.iter().position(|s| s.name == p.sheet), p.row);
    problems.sort_by_key(order);
    let file_name = if up.file_name.trim().is_empty() {
        "未命名.xlsx".to_string()
    } else {
        up.file_name
    };
    let confirm = if problems.is_empty() {
        let id = imports::stage(
            &state.db,
            &NewImport {
                kind: ctx.kind,
                target: &ctx.target,
                platform_id: ctx.platform.as_ref().map(|(id, _)| *id),
                year: ctx.year,
                jurisdiction_id: ctx.jurisdiction_id,
                file_name: &file_name,
                sha256: &sha256,
                rows: &parsed.rows,
                created_by: user.id,
            },
        )
        .await?;
        let year = ctx.year.map_or(String::new(), |y| format!("?year={y}"));
        Some(format!("{}/{id}{year}", ctx.base))
    } else {
        None
    };
    let status = if confirm.is_some() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = preview(
        user,
        &ctx,
        (&file_name, &sha256),
        &parsed.rows,
        problems,
        notes,
        confirm,
    );
    Ok(with_status(status, page))
}

pub async fn platforms_upload(
    State(state): State<AppState>,
    user: CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let up = read_upload(multipart).await?;
    let ctx = platforms_ctx(&state, &user).await?;
    upload(&state, &user, ctx, up).await
}

pub async fn ledger_upload(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let up = read_upload(multipart).await?;
    let year = year_or_current(up.year.trim().parse().ok())?;
    let ctx = ledger_ctx(&state, id, year).await?;
    upload(&state, &user, ctx, up).await
}

pub async fn accounts_upload(
    State(state): State<AppState>,
    user: CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let up = read_upload(multipart).await?;
    upload(&state, &user, accounts_ctx(), up).await
}

// ---- confirmation ---------------------------------------------------------------------

/// An account created by an import, with its one-time password.
pub struct IssuedAccount {
    pub username: String,
    pub display_name: String,
    pub password: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "import/accounts_done.html")]
pub struct AccountsDonePage {
    pub layout: Layout,
    pub file_name: String,
    pub accounts: Vec<IssuedAccount>,
}

/// Writes a confirmed upload: every row in one transaction, audited once.
async fn confirm(
    state: &AppState,
    user: &CurrentUser,
    w: Writer,
    ctx: Ctx,
    iid: i64,
) -> AppResult<Response> {
    let mut tx = w.begin().await?;
    let Some(pending) = imports::pending_for_update(&mut tx, iid, &ctx.target, user.id).await?
    else {
        tx.rollback().await?;
        let r = Refusal {
            status: StatusCode::GONE,
            message: "这次上传已失效（超过 24 小时未确认，或已经导入）。请重新上传文件。".into(),
        };
        return refused(state, user, &ctx, r).await;
    };
    let rows = pending.rows.0;
    let (items, problems, notes) = check_rows(&mut tx, &ctx, &rows).await?;
    if !problems.is_empty() {
        // The registry changed since the preview (e.g. a code was taken): nothing is written.
        tx.rollback().await?;
        let page = preview(
            user,
            &ctx,
            (&pending.file_name, &pending.sha256),
            &rows,
            problems,
            notes,
            None,
        );
        return Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, page));
    }
    let (created, issued) = match items {
        Items::Platforms(items) => (write_platforms(&mut tx, &w, items).await?, Vec::new()),
        Items::Ledger(items) => {
            let (id, _) = ctx.platform.clone().ok_or(AppError::NotFound)?;
            let year = ctx.year.unwrap_or_default();
            let mut ids = Vec::new();
            for row in &items {
                ids.push(json!(ledger_db::insert(&mut tx, id, year, row).await?));
            }
            (ids, Vec::new())
        }
        Items::Accounts(items) => write_accounts(&mut tx, items).await?,
    };
    if let Err(e) = imports::mark_imported(&mut tx, iid).await {
        if crate::db::unique_violation(&e).as_deref() == Some(imports::DONE_KEY) {
            tx.rollback().await?;
            let done = imports::already(&state.db, &ctx.target, &pending.sha256).await?;
            let message = done.as_ref().map_or_else(
                || "该文件已经导入过，本次未重复导入。".to_string(),
                already_message,
            );
            let r = Refusal {
                status: StatusCode::CONFLICT,
                message,
            };
            return refused(state, user, &ctx, r).await;
        }
        return Err(e.into());
    }
    let action = match ctx.kind {
        ImportKind::Platforms => "import.platforms",
        ImportKind::Ledger => "import.ledger",
        ImportKind::Accounts => "import.accounts",
    };
    tx.audit(Entry::new(action, "import", iid).after(json!({
        "file_name": pending.file_name,
        "sha256": pending.sha256,
        "row_count": rows.len(),
        "platform_id": ctx.platform.as_ref().map(|(id, _)| *id),
        "year": ctx.year,
        "created": created,
    })))
    .await?;
    if ctx.kind == ImportKind::Accounts {
        tx.commit().await?;
        let page = AccountsDonePage {
            layout: Layout::for_user(user, ctx.active_menu()),
            file_name: pending.file_name,
            accounts: issued,
        };
        return Ok(page.into_response());
    }
    let mut target = format!("{}?notice={}", ctx.base, Flash::Imported);
    if let Some(y) = ctx.year {
        target.push_str(&format!("&year={y}"));
    }
    tx.redirect(target).await
}

/// Registers the platforms as the new-platform form does (and their operating companies).
async fn write_platforms(
    tx: &mut super::write::WriteTx,
    w: &Writer,
    items: Vec<check::PlatformItem>,
) -> AppResult<Vec<serde_json::Value>> {
    let mut created = Vec::new();
    for item in items {
        let id = platforms::insert(tx, &item.draft).await?;
        tx.touches(id);
        lifecycle::record(
            tx,
            w.actor(),
            &lifecycle::Event {
                platform_id: id,
                kind: "registration.created",
                from_stage: None,
                to_stage: Some(Stage::Registration),
                summary: "批量导入登记新平台，进入设立登记阶段",
                reason: "",
                document_id: None,
            },
        )
        .await?;
        if let Some(company) = &item.company {
            imports::tick_operating_company(tx, id).await?;
            registration::insert_company(tx, id, company).await?;
        }
        created.push(json!({"id": id, "code": item.draft.code.as_str()}));
    }
    Ok(created)
}

/// Creates the accounts as the account form does: no role, a temporary password to change at
/// first sign-in (shown once, on the result page).
async fn write_accounts(
    tx: &mut super::write::WriteTx,
    items: Vec<crate::domain::import::NewAccount>,
) -> AppResult<(Vec<serde_json::Value>, Vec<IssuedAccount>)> {
    let mut created = Vec::new();
    let mut issued = Vec::new();
    for account in items {
        let password = password_hash::temporary_password();
        let hash = password_hash::hash_async(password.clone()).await?;
        let user = users::insert(tx, &super::admin::new_account(&account, &hash)).await?;
        created.push(json!({"id": user.id, "username": user.username}));
        issued.push(IssuedAccount {
            username: account.username,
            display_name: account.display_name,
            password,
        });
    }
    Ok((created, issued))
}

pub async fn platforms_confirm(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(iid): Path<i64>,
) -> AppResult<Response> {
    let ctx = platforms_ctx(&state, &user).await?;
    confirm(&state, &user, w, ctx, iid).await
}

pub async fn ledger_confirm(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, iid)): Path<(i64, i64)>,
    Query(q): Query<YearQuery>,
) -> AppResult<Response> {
    let ctx = ledger_ctx(&state, id, year_or_current(q.year)?).await?;
    confirm(&state, &user, w, ctx, iid).await
}

pub async fn accounts_confirm(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(iid): Path<i64>,
) -> AppResult<Response> {
    confirm(&state, &user, w, accounts_ctx(), iid).await
}
