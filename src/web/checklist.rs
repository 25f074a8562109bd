//! The checklist tab (清单, 一平台一清单): the platform's items, open first, with progress; staff add,
//! edit, close and reopen items; the operator reports progress and marks items done; staff, the
//! operator and the assigned advisor comment. Who may move an item where is
//! `domain::checklist::check`; the guard has already checked the platform is in scope.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::auth::CurrentUser;
use super::flash::Flash;
use super::forms::{Form, Path, Query};
use super::layout::{Layout, local_time};
use super::widgets::NoticeQuery;
use super::widgets::Opt;
use super::write::{Entry, WriteTx, Writer};
use crate::clock::today;
use crate::db::checklist::{self, Item};
use crate::db::platforms;
use crate::domain::checklist::{
    Action, ItemFields, ItemStatus, Progress, Source, check, check_comment, check_evidence,
    is_overdue, sort_key,
};
use crate::domain::role::Role;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // 清单 (一平台一清单).
        get( "/platforms/{id}/checklist",                Roles(PLATFORM_READERS, Platform),     list),
        post("/platforms/{id}/checklist",                Roles(STAFF, Platform),                create),
        get( "/platforms/{id}/checklist/{cid}",          Roles(PLATFORM_READERS, Platform),     show),
        post("/platforms/{id}/checklist/{cid}",          Roles(STAFF, Platform),                update),
        post("/platforms/{id}/checklist/{cid}/close",    Roles(STAFF, Platform),                close),
        post("/platforms/{id}/checklist/{cid}/reopen",   Roles(STAFF, Platform),                reopen),
        post("/platforms/{id}/checklist/{cid}/progress", Roles(OPERATOR, Platform),             progress),
        post("/platforms/{id}/checklist/{cid}/comments", Roles(CHECKLIST_COMMENTERS, Platform), comment),
    ]
}

/// One line of a "what you sent / what is saved" table.
pub struct Diff {
    pub label: String,
    pub mine: String,
    pub theirs: String,
    pub differs: bool,
}

/// Somebody saved in between: nothing was overwritten; both versions side by side.
#[derive(Template, WebTemplate)]
#[template(path = "checklist/conflict.html")]
pub struct ConflictPage {
    pub layout: Layout,
    pub heading: String,
    /// What was being edited ("该清单事项").
    pub what: String,
    pub rows: Vec<Diff>,
    pub back_href: String,
    pub back_label: &'static str,
}

/// An item as the list and the item page show it.
pub struct ItemRow {
    pub id: i64,
    pub source: String,
    pub title: String,
    pub description: String,
    pub owner: String,
    pub due_date: String,
    pub overdue: bool,
    pub status: &'static str,
    pub status_label: &'static str,
    pub evidence: String,
    pub comments: i64,
    pub created: String,
    pub closed_at: String,
    pub version: i32,
}

impl ItemRow {
    fn of(i: &Item, today: chrono::NaiveDate) -> ItemRow {
        let status = i.status;
        let source = &i.source;
        ItemRow {
            id: i.id,
            title: source.display_title(&i.title),
            source: source.label_zh(),
            description: i.description.clone(),
            owner: i.owner.clone(),
            due_date: i.due_date.map(|d| d.to_string()).unwrap_or_default(),
            overdue: is_overdue(status, i.due_date, today),
            status: status.as_str(),
            status_label: status.label_zh(),
            evidence: i.evidence.clone(),
            comments: i.comments,
            created: format!(
                "{} {}",
                &local_time(&i.created_at)[..10],
                i.created_by_name.as_deref().unwrap_or("系统")
            ),
            closed_at: i
                .closed_at
                .map(|t| local_time(&t)[..10].to_string())
                .unwrap_or_default(),
            version: i.version,
        }
    }
}

fn status_options() -> Vec<Opt> {
    ItemStatus::ALL
        .iter()
        .map(|s| Opt {
            value: s.as_str().into(),
            label: s.label_zh().into(),
        })
        .collect()
}

// ---- the list ------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "checklist/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub platform_name: String,
    pub platform_code: String,
    pub items: Vec<ItemRow>,
    pub progress: Progress,
    pub overdue: usize,
    pub can_add: bool,
    pub f: ItemFields,
    pub errors: FieldErrors,
    pub notice: &'static str,
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    f: ItemFields,
    errors: FieldErrors,
    notice: &'static str,
) -> AppResult<ListPage> {
    let mut conn = state.db.acquire().await?;
    let p = platforms::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut items = checklist::list(&mut conn, id).await?;
    items.sort_by_key(|i| sort_key(i.status, i.due_date, i.id));
    let today = today();
    let rows: Vec<ItemRow> = items.iter().map(|i| ItemRow::of(i, today)).collect();
    Ok(ListPage {
        layout: Layout::for_user(user, "platforms"),
        tab: "checklist",
        tab_platform_id: id,
        platform_name: p.name,
        platform_code: p.code,
        progress: Progress::of(items.iter().map(|i| i.status)),
        overdue: rows.iter().filter(|r| r.overdue).count(),
        items: rows,
        can_add: user.has_role(Role::Staff),
        f,
        errors,
        notice,
    })
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<ListPage> {
    let notice = Flash::text_of(&q.notice);
    list_page(
        &state,
        &user,
        id,
        ItemFields::default(),
        FieldErrors::default(),
        notice,
    )
    .await
}

/// Staff add an item by hand.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(f): Form<ItemFields>,
) -> AppResult<Response> {
    let f = ItemFields {
        status: String::new(),
        ..f
    };
    let draft = match f.validate(false) {
        Ok(d) => d,
        Err(errors) => {
            let page = list_page(&state, &user, id, f, errors, "").await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let mut tx = w.begin().await?;
    let item_id = checklist::insert(&mut tx, id, &Source::Manual, &draft, Some(user.id)).await?;
    let item = checklist::get(&mut tx, id, item_id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.audit(Entry::new("checklist.create", "checklist_item", item_id).after(item.audit_json()))
        .await?;
    tx.timeline(
        id,
        "checklist.created",
        &format!("新增清单事项：{}", draft.title),
        "",
    )
    .await?;
    tx.redirect(format!(
        "/platforms/{id}/checklist?notice={}",
        Flash::ChecklistAdded
    ))
    .await
}

// ---- one item ------------------------------------------------------------------------------------

pub struct CommentRow {
    pub author: String,
    pub role: &'static str,
    pub at: String,
    pub comment: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "checklist/item.html")]
pub struct ItemPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub platform_name: String,
    pub item: ItemRow,
    pub comments: Vec<CommentRow>,
    pub can_edit: bool,
    pub can_close: bool,
    pub can_reopen: bool,
    pub can_report: bool,
    pub can_comment: bool,
    pub f: ItemFields,
    pub errors: FieldErrors,
    pub statuses: Vec<Opt>,
    pub evidence: String,
    pub evidence_error: String,
    pub comment: String,
    pub comment_error: String,
    pub error: String,
    pub notice: &'static str,
}

/// What a re-rendered item page keeps from the request.
#[derive(Default)]
struct Typed {
    edit: Option<(ItemFields, FieldErrors)>,
    evidence: Option<(String, String)>,
    comment: Option<(String, String)>,
    error: String,
    notice: &'static str,
}

fn fields_of(i: &Item) -> ItemFields {
    ItemFields {
        title: i.title.clone(),
        description: i.description.clone(),
        owner: i.owner.clone(),
        due_date: i.due_date.map(|d| d.to_string()).unwrap_or_default(),
        status: i.status.as_str().to_owned(),
        evidence: i.evidence.clone(),
    }
}

async fn load_item(state: &AppState, id: i64, cid: i64) -> AppResult<Item> {
    let mut conn = state.db.acquire().await?;
    checklist::get(&mut conn, id, cid)
        .await?
        .ok_or(AppError::NotFound)
}

async fn item_page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    cid: i64,
    typed: Typed,
) -> AppResult<ItemPage> {
    let mut conn = state.db.acquire().await?;
    let p = platforms::get(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let item = checklist::get(&mut conn, id, cid)
        .await?
        .ok_or(AppError::NotFound)?;
    let comments = checklist::comments(&mut conn, cid).await?;
    let status = item.status;
    let role = user.role.unwrap_or(Role::Leader);
    let allowed = |action| check(status, action, role, "x").is_ok();
    let (f, errors) = typed
        .edit
        .unwrap_or_else(|| (fields_of(&item), FieldErrors::default()));
    let (evidence, evidence_error) = typed
        .evidence
        .unwrap_or_else(|| (item.evidence.clone(), String::new()));
    let (comment, comment_error) = typed.comment.unwrap_or_default();
    Ok(ItemPage {
        layout: Layout::for_user(user, "platforms"),
        tab: "checklist",
        tab_platform_id: id,
        platform_name: p.name,
        item: ItemRow::of(&item, today()),
        comments: comments
            .into_iter()
            .map(|c| CommentRow {
                author: c.author_name.unwrap_or_else(|| "系统".into()),
                role: c.author_role.map(Role::label_zh).unwrap_or(""),
                at: local_time(&c.created_at),
                comment: c.comment,
            })
            .collect(),
        can_edit: role == Role::Staff,
        can_close: role == Role::Staff && allowed(Action::Close),
        can_reopen: role == Role::Staff && allowed(Action::Reopen),
        can_report: role == Role::Operator && allowed(Action::UpdateEvidence),
        can_comment: matches!(role, Role::Staff | Role::Operator | Role::Advisor),
        f,
        errors,
        statuses: status_options(),
        evidence,
        evidence_error,
        comment,
        comment_error,
        error: typed.error,
        notice: typed.notice,
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, cid)): Path<(i64, i64)>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<ItemPage> {
    let notice = Flash::text_of(&q.notice);
    item_page(
        &state,
        &user,
        id,
        cid,
        Typed {
            notice,
            ..Default::default()
        },
    )
    .await
}

fn item_href(id: i64, cid: i64, notice: Flash) -> String {
    format!("/platforms/{id}/checklist/{cid}?notice={notice}")
}

fn conflict_page(
    user: &CurrentUser,
    id: i64,
    cid: i64,
    mine: &ItemFields,
    theirs: &Item,
) -> Response {
    let theirs = fields_of(theirs);
    let status = |s: &str| {
        ItemStatus::parse(s)
            .map(|s| s.label_zh().to_owned())
            .unwrap_or_else(|| s.to_owned())
    };
    let pairs = [
        ("事项", mine.title.trim().to_owned(), theirs.title),
        (
            "说明",
            mine.description.trim().to_owned(),
            theirs.description,
        ),
        ("责任人", mine.owner.trim().to_owned(), theirs.owner),
        ("完成期限", mine.due_date.trim().to_owned(), theirs.due_date),
        ("状态", status(mine.status.trim()), status(&theirs.status)),
        ("完成情况", mine.evidence.trim().to_owned(), theirs.evidence),
    ];
    let page = ConflictPage {
        layout: Layout::for_user(user, "platforms"),
        heading: "保存冲突：清单事项".into(),
        what: "该清单事项".into(),
        rows: pairs
            .into_iter()
            .map(|(label, mine, theirs)| Diff {
                label: label.into(),
                differs: mine != theirs,
                mine,
                theirs,
            })
            .collect(),
        back_href: format!("/platforms/{id}/checklist/{cid}"),
        back_label: "打开最新内容",
    };
    (StatusCode::CONFLICT, page).into_response()
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(flatten)]
    fields: ItemFields,
    #[serde(default)]
    version: i32,
}

/// The item page again with what was typed and its errors (422).
async fn invalid(
    state: &AppState,
    user: &CurrentUser,
    (id, cid): (i64, i64),
    typed: Typed,
) -> AppResult<Response> {
    let page = item_page(state, user, id, cid, typed).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

async fn invalid_edit(
    state: &AppState,
    user: &CurrentUser,
    item: (i64, i64),
    fields: ItemFields,
    errors: FieldErrors,
) -> AppResult<Response> {
    let typed = Typed {
        edit: Some((fields, errors)),
        ..Default::default()
    };
    invalid(state, user, item, typed).await
}

/// Staff edit an item (owner, due date, status, evidence, …).
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, cid)): Path<(i64, i64)>,
    Form(form): Form<EditForm>,
) -> AppResult<Response> {
    let before = load_item(&state, id, cid).await?;
    let draft = match form.fields.validate(false) {
        Ok(d) => d,
        Err(errors) => return invalid_edit(&state, &user, (id, cid), form.fields, errors).await,
    };
    let role = user.role.unwrap_or(Role::Leader);
    if let Err(refusal) = check(
        before.status,
        Action::Edit(draft.status),
        role,
        &draft.evidence,
    ) {
        let mut errors = FieldErrors::default();
        errors.add("status", refusal.0);
        return invalid_edit(&state, &user, (id, cid), form.fields, errors).await;
    }
    let mut tx = w.begin().await?;
    if !checklist::update(&mut tx, id, cid, form.version, &draft).await? {
        tx.rollback().await?;
        let theirs = load_item(&state, id, cid).await?;
        return Ok(conflict_page(&user, id, cid, &form.fields, &theirs));
    }
    let after = checklist::get(&mut tx, id, cid)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new("checklist.update", "checklist_item", cid)
            .before(before.audit_json())
            .after(after.audit_json()),
    )
    .await?;
    if before.status != after.status {
        status_event(&mut tx, id, &after).await?;
    }
    tx.redirect(item_href(id, cid, Flash::ChecklistSaved)).await
}

/// The timeline line of a status change.
async fn status_event(tx: &mut WriteTx, id: i64, item: &Item) -> AppResult<()> {
    let (kind, verb) = match item.status {
        ItemStatus::Open => ("checklist.reopened", "重新打开清单事项"),
        ItemStatus::Done => ("checklist.done", "清单事项报告完成"),
        ItemStatus::Closed => ("checklist.closed", "关闭清单事项"),
    };
    let summary = format!("{verb}：{}", item.title);
    tx.timeline(id, kind, &summary, "").await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VersionForm {
    version: i32,
    evidence: String,
    /// Operator progress: "1" marks the item done as well.
    mark_done: String,
}

/// A status change (close, reopen, done) or an evidence update, checked by the domain rules.
async fn change(
    state: &AppState,
    user: &CurrentUser,
    w: Writer,
    id: i64,
    cid: i64,
    action: Action,
    form: VersionForm,
) -> AppResult<Response> {
    let before = load_item(state, id, cid).await?;
    let role = user.role.unwrap_or(Role::Leader);
    let reporting = matches!(action, Action::MarkDone | Action::UpdateEvidence);
    let evidence = if reporting {
        match check_evidence(&form.evidence) {
            Ok(e) => e,
            Err(msg) => {
                let typed = Typed {
                    evidence: Some((form.evidence, msg)),
                    ..Default::default()
                };
                return invalid(state, user, (id, cid), typed).await;
            }
        }
    } else {
        before.evidence.clone()
    };
    let status = match check(before.status, action, role, &evidence) {
        Ok(s) => s,
        Err(refusal) => {
            let typed = if reporting {
                Typed {
                    evidence: Some((form.evidence, refusal.0)),
                    ..Default::default()
                }
            } else {
                Typed {
                    error: refusal.0,
                    ..Default::default()
                }
            };
            let code = if before.status == ItemStatus::Closed || !reporting {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let page = item_page(state, user, id, cid, typed).await?;
            return Ok((code, page).into_response());
        }
    };
    let mut tx = w.begin().await?;
    if !checklist::set_status(&mut tx, id, cid, form.version, status, &evidence).await? {
        tx.rollback().await?;
        let mine = ItemFields {
            status: status.as_str().into(),
            evidence,
            ..fields_of(&before)
        };
        let theirs = load_item(state, id, cid).await?;
        return Ok(conflict_page(user, id, cid, &mine, &theirs));
    }
    let after = checklist::get(&mut tx, id, cid)
        .await?
        .ok_or(AppError::NotFound)?;
    let verb = match action {
        Action::MarkDone => "checklist.done",
        Action::UpdateEvidence => "checklist.evidence",
        Action::Close => "checklist.close",
        Action::Reopen => "checklist.reopen",
        Action::Edit(_) => "checklist.update",
    };
    tx.audit(
        Entry::new(verb, "checklist_item", cid)
            .before(before.audit_json())
            .after(after.audit_json()),
    )
    .await?;
    if before.status != after.status {
        status_event(&mut tx, id, &after).await?;
    }
    let notice = match action {
        Action::MarkDone => Flash::ChecklistDone,
        Action::UpdateEvidence => Flash::ChecklistEvidence,
        Action::Close => Flash::ChecklistClosed,
        Action::Reopen => Flash::ChecklistReopened,
        Action::Edit(_) => Flash::ChecklistSaved,
    };
    tx.redirect(item_href(id, cid, notice)).await
}

/// Staff close an item (confirming it is dealt with).
pub async fn close(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, cid)): Path<(i64, i64)>,
    Form(form): Form<VersionForm>,
) -> AppResult<Response> {
    change(&state, &user, w, id, cid, Action::Close, form).await
}

/// Staff put an item back on the list.
pub async fn reopen(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, cid)): Path<(i64, i64)>,
    Form(form): Form<VersionForm>,
) -> AppResult<Response> {
    change(&state, &user, w, id, cid, Action::Reopen, form).await
}

/// The operator reports what was done, optionally marking the item done.
pub async fn progress(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, cid)): Path<(i64, i64)>,
    Form(form): Form<VersionForm>,
) -> AppResult<Response> {
    let action = if form.mark_done == "1" {
        Action::MarkDone
    } else {
        Action::UpdateEvidence
    };
    change(&state, &user, w, id, cid, action, form).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CommentForm {
    comment: String,
}

/// Staff, the operator and the assigned advisor comment on an item.
pub async fn comment(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, cid)): Path<(i64, i64)>,
    Form(form): Form<CommentForm>,
) -> AppResult<Response> {
    let item = load_item(&state, id, cid).await?;
    let text = match check_comment(&form.comment) {
        Ok(t) => t,
        Err(msg) => {
            let typed = Typed {
                comment: Some((form.comment, msg)),
                ..Default::default()
            };
            return invalid(&state, &user, (id, cid), typed).await;
        }
    };
    let mut tx = w.begin().await?;
    let comment_id = checklist::add_comment(&mut tx, item.id, user.id, &text).await?;
    tx.audit(
        Entry::new("checklist.comment", "checklist_comment", comment_id)
            .after(serde_json::json!({"platform_id": id, "item_id": item.id, "comment": text})),
    )
    .await?;
    tx.redirect(item_href(id, cid, Flash::ChecklistCommented))
        .await
}
