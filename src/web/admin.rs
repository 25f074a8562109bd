//! The system admin's account management (三员分立: accounts only — roles belong to the
//! security admin, the audit log to the audit admin, business data to nobody of the three),
//! and dual control over administrator accounts.
//!
//! # Dual control (QUALITY.md)
//! - **Business accounts** (operator, staff, advisor, expert, leader, or no role yet): the system
//!   admin resets the password alone, but never sees a password: the old one stops working, the
//!   account's sessions end and a one-time reset link (24 h, single use, stored as SHA-256) is
//!   shown once, for the admin to hand to the owner, who sets the new password at `/reset/…`.
//!   Disabling and enabling a business account is the system admin's alone.
//! - **Administrator accounts** (sysadmin, secadmin, auditor — before or after the change):
//!   a reset, disabling, enabling or role change is only a *request* (who, what, target, reason,
//!   time). Resets and status changes are requested by a system admin, role changes by a
//!   security admin (`security.rs`). A request expires after 24 hours.
//! - **Who approves**: any *system admin or security admin* who is neither the requester nor the
//!   target. The audit admin never approves: they review these decisions in the audit trail and
//!   must stay independent of them. With the usual one account per role, every request about
//!   the audit admin has an approver; a request about the only other system/security admin
//!   needs a second such account (the server's `kechuang user create` command, acting as
//!   `system`, is the break-glass path).
//! - **Execution**: an approval carries the request out in the same transaction, acting as the
//!   requester under the approved request; the request, the approval or rejection, and the
//!   execution are three audit records. A reset of an administrator then issues the same
//!   one-time link, shown once to the approver. Migration 0015's triggers refuse any other
//!   change to an administrator account (other than their own password) in the database.

use askama::Template;
use askama_web::WebTemplate;

use super::forms::{Form, Path, Query};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::auth::CurrentUser;
use super::layout::{Layout, local_time};
use super::widgets::NoticeQuery;
use crate::db::admin_requests::{self, AdminRequest, FileError, Kind, RequestRow};
use crate::db::audit::{self, Actor};
use crate::db::users::{self, NewUser, User, UserListRow};
use crate::db::{sessions, unique_violation};
use crate::domain::import::{NewAccount, validate_account};
use crate::domain::role::Role;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::password_hash;
use crate::state::AppState;
use crate::web::flash::Flash;
use crate::web::write::{Entry, Writer};

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // 三员分立: accounts (system admin), roles and security policy (security admin), audit (audit admin).
        get( "/admin/users",                  Roles(SYSADMIN, Global),  list),
        post("/admin/users",                  Roles(SYSADMIN, Global),  create),
        post("/admin/users/{uid}/password",   Roles(SYSADMIN, Global),  reset_password),
        post("/admin/users/{uid}/status",     Roles(SYSADMIN, Global),  set_status),
        post("/admin/users/{uid}/email",      Roles(SYSADMIN, Global),  set_email),
        // Dual control over administrator accounts, and the owner's one-time reset link.
        get( "/admin/users/{uid}",            Roles(SYSADMIN, Global),  account),
        get( "/admin/requests",               Roles(APPROVERS, Global), requests),
        post("/admin/requests/{rid}/approve", Roles(APPROVERS, Global), approve),
        post("/admin/requests/{rid}/reject",  Roles(APPROVERS, Global), reject),
    ]
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewUserForm {
    username: String,
    display_name: String,
}

/// `?q=` of the account lists (the system admin's and the security admin's) and the redirect's
/// `&notice=`.
#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub notice: String,
}

/// A one-time reset link, shown once to the administrator who must hand it to the owner.
pub struct IssuedLink {
    pub username: String,
    pub display_name: String,
    pub url: String,
    pub expires_at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub layout: Layout,
    pub q: String,
    pub rows: Vec<UserListRow>,
    pub f: NewUserForm,
    pub errors: FieldErrors,
    /// Shown once after creating an account.
    pub issued: Option<(String, String)>,
    /// Shown once after resetting a business account's password.
    pub link: Option<IssuedLink>,
    pub notice: &'static str,
    /// Open requests this administrator may decide.
    pub open_requests: i64,
}

fn notice_text(code: &str) -> &'static str {
    Flash::text_of(code)
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    q: String,
    f: NewUserForm,
    errors: FieldErrors,
) -> AppResult<UsersPage> {
    let rows = users::list(&state.db, &q).await?;
    let open_requests = admin_requests::open_for_approver(&state.db, user.id).await?;
    Ok(UsersPage {
        layout: Layout::for_user(user, "users"),
        q,
        rows,
        f,
        errors,
        issued: None,
        link: None,
        notice: "",
        open_requests,
    })
}

/// The users page with an empty search and an empty new-account form.
async fn fresh_page(state: &AppState, user: &CurrentUser, q: String) -> AppResult<UsersPage> {
    page(
        state,
        user,
        q,
        NewUserForm::default(),
        FieldErrors::default(),
    )
    .await
}

/// A new business account as the system admin creates it (one at a time or imported): no role
/// yet, and a temporary password its owner must change at first login.
pub(super) fn new_account<'a>(account: &'a NewAccount, password_hash: &'a str) -> NewUser<'a> {
    NewUser {
        username: &account.username,
        display_name: &account.display_name,
        password_hash,
        role: None,
        platform_id: None,
        jurisdiction_id: None,
        must_change_password: true,
        is_demo: false,
    }
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<SearchQuery>,
) -> AppResult<UsersPage> {
    let mut p = fresh_page(&state, &user, q.q).await?;
    p.notice = notice_text(&q.notice);
    Ok(p)
}

pub async fn create(
    w: Writer,
    State(state): State<AppState>,
    user: CurrentUser,
    Form(f): Form<NewUserForm>,
) -> AppResult<Response> {
    let errors = match validate_account(&f.username, &f.display_name) {
        Err(errors) => errors,
        Ok(account) => {
            let password = password_hash::temporary_password();
            let hash = password_hash::hash_async(password.clone()).await?;
            let mut tx = w.begin().await?;
            match users::insert(&mut tx, &new_account(&account, &hash)).await {
                Ok(created) => {
                    tx.audit(
                        Entry::new("user.create", "user", created.id)
                            .after(Some(created.audit_json())),
                    )
                    .await?;
                    tx.commit().await?;
                    let mut p = fresh_page(&state, &user, String::new()).await?;
                    p.issued = Some((account.username, password));
                    return Ok(p.into_response());
                }
                Err(e) if unique_violation(&e).as_deref() == Some("users_username_key") => {
                    let mut errors = FieldErrors::default();
                    errors.add("username", "用户名已存在");
                    errors
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let page = page(&state, &user, String::new(), f, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

// ---- one account: reset, disable, enable (requests for administrator accounts) ----------

#[derive(Template, WebTemplate)]
#[template(path = "admin/account.html")]
pub struct AccountPage {
    pub layout: Layout,
    pub target: User,
    pub target_is_admin: bool,
    pub requests: Vec<RequestRow>,
    pub reason: String,
    /// The e-mail address field as typed (the stored one at first).
    pub email: String,
    pub errors: FieldErrors,
    pub notice: &'static str,
}

impl AccountPage {
    pub fn role_label(&self) -> &'static str {
        self.target
            .role()
            .map(Role::label_zh)
            .unwrap_or("未分配角色")
    }
    pub fn time(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        local_time(t)
    }
    pub fn locked(&self) -> bool {
        self.target.is_locked(chrono::Utc::now())
    }
}

async fn account_page(
    state: &AppState,
    user: &CurrentUser,
    target: User,
    reason: String,
    errors: FieldErrors,
) -> AppResult<AccountPage> {
    let requests = admin_requests::for_target(&state.db, target.id).await?;
    Ok(AccountPage {
        layout: Layout::for_user(user, "users"),
        target_is_admin: target.role().is_some_and(Role::is_admin),
        email: target.email.clone().unwrap_or_default(),
        target,
        requests,
        reason,
        errors,
        notice: "",
    })
}

async fn load_user(state: &AppState, uid: i64) -> AppResult<User> {
    let mut conn = state.db.acquire().await?;
    users::get(&mut conn, uid).await?.ok_or(AppError::NotFound)
}

pub async fn account(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(uid): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<AccountPage> {
    let target = load_user(&state, uid).await?;
    let mut page =
        account_page(&state, &user, target, String::new(), FieldErrors::default()).await?;
    page.notice = notice_text(&q.notice);
    Ok(page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EmailForm {
    email: String,
}

/// Sets or clears an account's e-mail address (where its notices are e-mailed). Only the system
/// admin does this, for any account: an address is where the bureau's notices go, so it is kept
/// with the account's identity rather than left to whoever holds the password (there is no
/// confirmation round-trip to prove an address belongs to its owner).
pub async fn set_email(
    w: Writer,
    State(state): State<AppState>,
    user: CurrentUser,
    Path(uid): Path<i64>,
    Form(f): Form<EmailForm>,
) -> AppResult<Response> {
    let target = load_user(&state, uid).await?;
    let email = match crate::domain::mail::check_address(&f.email) {
        Ok(email) => email,
        Err(msg) => {
            let mut errors = FieldErrors::default();
            errors.add("email", msg);
            let mut page = account_page(&state, &user, target, String::new(), errors).await?;
            page.email = f.email;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let mut tx = w.begin().await?;
    users::set_email(&mut tx, uid, email.as_deref())
        .await?
        .ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new("user.email", "user", uid)
            .before(Some(serde_json::json!({"email": target.email})))
            .after(Some(serde_json::json!({"email": email}))),
    )
    .await?;
    tx.redirect(format!("/admin/users/{uid}?notice={}", Flash::EmailSaved))
        .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResetForm {
    reason: String,
}

/// The reason of a request: required, at most 200 characters.
pub(crate) fn check_reason(reason: &str, required: bool) -> Result<String, &'static str> {
    let reason = reason.trim();
    match reason.chars().count() {
        0 if required => Err("请填写申请理由，供审批人核实"),
        n if n > 200 => Err("申请理由不能超过200字"),
        _ => Ok(reason.to_string()),
    }
}

/// Files a dual-control request about `target` as `user` (audited); `Err` carries the
/// message for the form when the account already has an open request.
pub async fn file_request(
    w: &Writer,
    user: &CurrentUser,
    target: &User,
    kind: Kind,
    payload: serde_json::Value,
    reason: &str,
) -> AppResult<Result<AdminRequest, &'static str>> {
    let mut tx = w.begin().await?;
    expire_overdue(&mut tx).await?;
    let filed = match admin_requests::file(&mut tx, kind, target.id, payload, reason, user.id).await
    {
        Ok(r) => r,
        Err(FileError::AlreadyPending) => {
            tx.rollback().await?;
            return Ok(Err(
                "该账户已有一项待审批的申请，请等待审批或其过期后再提交。",
            ));
        }
        Err(FileError::Db(e)) => return Err(e.into()),
    };
    tx.audit(
        Entry::new("admin_request.create", "admin_request", filed.id)
            .after(Some(filed.audit_json())),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(filed))
}

/// Marks overdue requests expired, each with its audit record.
async fn expire_overdue(conn: &mut sqlx::PgConnection) -> AppResult<()> {
    for r in admin_requests::expire_overdue(conn).await? {
        audit::record(
            conn,
            &Actor::system("dual-control"),
            "admin_request.expire",
            "admin_request",
            Some(r.id.to_string()),
            None,
            Some(r.audit_json()),
        )
        .await?;
    }
    Ok(())
}

/// The public address of a reset link, from the request's `Host`.
fn link_url(state: &AppState, headers: &HeaderMap, token: &str) -> String {
    let path = super::password_reset::link_path(token);
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) if !host.is_empty() => {
            let scheme = if state.config.secure_cookies {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{host}{path}")
        }
        _ => path,
    }
}

/// An unguessable password nobody knows, so that the old one stops working at once.
async fn unusable_password_hash() -> AppResult<String> {
    Ok(password_hash::hash_async(sessions::random_token()).await?)
}

pub async fn reset_password(
    w: Writer,
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(uid): Path<i64>,
    Form(f): Form<ResetForm>,
) -> AppResult<Response> {
    let target = load_user(&state, uid).await?;
    if uid == user.id {
        return Err(AppError::BadRequest(
            "不能在此重置自己的密码，请使用页面顶部的“修改密码”。".into(),
        ));
    }
    let is_admin = target.role().is_some_and(Role::is_admin);
    let reason = match check_reason(&f.reason, is_admin) {
        Ok(r) => r,
        Err(msg) => {
            return reason_refused(
                &state,
                &user,
                target,
                StatusCode::UNPROCESSABLE_ENTITY,
                f.reason,
                msg,
            )
            .await;
        }
    };
    if is_admin {
        return request_approval(&w, &state, &user, target, Kind::PasswordReset, reason).await;
    }

    // A business account: the administrator gets a link for the owner, never a password.
    let unusable = unusable_password_hash().await?;
    let mut tx = w.begin().await?;
    users::invalidate_password(&mut tx, uid, &unusable).await?;
    sessions::delete_for_user(&mut tx, uid).await?;
    let (token, link) = users::issue_reset_link(&mut tx, uid, user.id, None).await?;
    tx.audit(
        Entry::new("user.password_reset", "user", uid).after(Some(serde_json::json!({
            "method": "one_time_link",
            "link_id": link.id,
            "link_expires_at": link.expires_at,
            "reason": reason,
        }))),
    )
    .await?;
    tx.commit().await?;
    let issued = IssuedLink {
        username: target.username,
        display_name: target.display_name,
        url: link_url(&state, &headers, &token),
        expires_at: local_time(&link.expires_at),
    };
    let mut p = fresh_page(&state, &user, String::new()).await?;
    p.link = Some(issued);
    Ok(p.into_response())
}

#[derive(Deserialize)]
pub struct StatusForm {
    disabled: bool,
    #[serde(default)]
    reason: String,
}

/// The account page again with `status`, the reason's error next to the field (what was typed
/// kept).
async fn reason_refused(
    state: &AppState,
    user: &CurrentUser,
    target: User,
    status: StatusCode,
    reason: String,
    msg: &str,
) -> AppResult<Response> {
    let mut errors = FieldErrors::default();
    errors.add("reason", msg);
    let page = account_page(state, user, target, reason, errors).await?;
    Ok((status, page).into_response())
}

/// An action on an administrator account: filed for a second administrator's approval.
async fn request_approval(
    w: &Writer,
    state: &AppState,
    user: &CurrentUser,
    target: User,
    kind: Kind,
    reason: String,
) -> AppResult<Response> {
    match file_request(w, user, &target, kind, serde_json::json!({}), &reason).await? {
        Ok(_) => Ok(Redirect::to(&format!(
            "/admin/requests?notice={}",
            Flash::AdminRequestFiled
        ))
        .into_response()),
        Err(msg) => reason_refused(state, user, target, StatusCode::CONFLICT, reason, msg).await,
    }
}

pub async fn set_status(
    w: Writer,
    State(state): State<AppState>,
    user: CurrentUser,
    Path(uid): Path<i64>,
    Form(f): Form<StatusForm>,
) -> AppResult<Response> {
    if uid == user.id {
        return Err(AppError::BadRequest("不能停用自己的账户。".into()));
    }
    let before = load_user(&state, uid).await?;
    let is_admin = before.role().is_some_and(Role::is_admin);
    let reason = match check_reason(&f.reason, is_admin) {
        Ok(r) => r,
        Err(msg) => {
            return reason_refused(
                &state,
                &user,
                before,
                StatusCode::UNPROCESSABLE_ENTITY,
                f.reason,
                msg,
            )
            .await;
        }
    };
    if is_admin {
        let kind = if f.disabled {
            Kind::Disable
        } else {
            Kind::Enable
        };
        return request_approval(&w, &state, &user, before, kind, reason).await;
    }
    let mut tx = w.begin().await?;
    users::set_disabled(&mut tx, uid, f.disabled).await?;
    if f.disabled {
        sessions::delete_for_user(&mut tx, uid).await?;
    }
    let action = if f.disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    tx.audit(
        Entry::new(action, "user", uid)
            .before(Some(serde_json::json!({"disabled": before.disabled})))
            .after(Some(
                serde_json::json!({"disabled": f.disabled, "reason": reason}),
            )),
    )
    .await?;
    tx.redirect(format!("/admin/users?notice={}", Flash::AccountStatusSaved))
        .await
}

// ---- the requests: list, approve, reject -----------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "admin/requests.html")]
pub struct RequestsPage {
    pub layout: Layout,
    pub rows: Vec<RequestRow>,
    pub me: i64,
    pub can_decide: bool,
    pub notice: &'static str,
    pub error: String,
    pub link: Option<IssuedLink>,
}

impl RequestsPage {
    pub fn time(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        local_time(t)
    }
    pub fn time_opt(&self, t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
        t.as_ref().map(local_time).unwrap_or_else(|| "—".into())
    }
    /// Why this administrator may not decide an open request, if so.
    pub fn why_not(&self, r: &RequestRow) -> &'static str {
        refusal(r.requested_by, r.target_id, self.me, self.can_decide).unwrap_or("")
    }
}

/// The dual-control rule: an approver is a system or security admin, neither the requester
/// nor the target. `Some(message)` when `me` may not decide.
pub fn refusal(
    requested_by: i64,
    target_id: i64,
    me: i64,
    approver_role: bool,
) -> Option<&'static str> {
    if me == requested_by {
        Some("不能审批自己提交的申请，须由另一名管理员审批。")
    } else if me == target_id {
        Some("不能审批针对自己账户的申请。")
    } else if !approver_role {
        Some("只有系统管理员或安全管理员可以审批。")
    } else {
        None
    }
}

fn is_approver(user: &CurrentUser) -> bool {
    user.role
        .is_some_and(|r| admin_requests::APPROVER_ROLES.contains(&r))
}

async fn requests_page(
    state: &AppState,
    user: &CurrentUser,
    notice: &'static str,
    error: String,
    link: Option<IssuedLink>,
) -> AppResult<RequestsPage> {
    let rows = admin_requests::list(&state.db).await?;
    Ok(RequestsPage {
        layout: Layout::for_user(user, "requests"),
        rows,
        me: user.id,
        can_decide: is_approver(user),
        notice,
        error,
        link,
    })
}

pub async fn requests(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<NoticeQuery>,
) -> AppResult<RequestsPage> {
    requests_page(&state, &user, notice_text(&q.notice), String::new(), None).await
}

pub async fn approve(
    w: Writer,
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(rid): Path<i64>,
) -> AppResult<Response> {
    decide(&w, &state, &user, &headers, rid, true).await
}

pub async fn reject(
    w: Writer,
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(rid): Path<i64>,
) -> AppResult<Response> {
    decide(&w, &state, &user, &headers, rid, false).await
}

async fn refused(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    message: &str,
) -> AppResult<Response> {
    let page = requests_page(state, user, "", message.to_string(), None).await?;
    Ok((status, page).into_response())
}

/// The requested role change, as filed by the security admin.
#[derive(Deserialize)]
struct RoleChange {
    role: Option<String>,
    platform_id: Option<i64>,
    jurisdiction_id: Option<i32>,
    version: i32,
}

async fn decide(
    w: &Writer,
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    rid: i64,
    approve: bool,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let req = admin_requests::get(&mut conn, rid)
        .await?
        .ok_or(AppError::NotFound)?;
    let requester = users::get(&mut conn, req.requested_by)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    if let Some(msg) = refusal(req.requested_by, req.target_id, user.id, is_approver(user)) {
        return refused(state, user, StatusCode::FORBIDDEN, msg).await;
    }
    let kind = req.kind;
    // argon2 runs before the transaction opens.
    let unusable = if approve && kind == Kind::PasswordReset {
        Some(unusable_password_hash().await?)
    } else {
        None
    };

    let mut tx = w.begin().await?;
    expire_overdue(&mut tx).await?;
    let Some(decided) = admin_requests::decide(&mut tx, rid, approve, user.id).await? else {
        tx.commit().await?; // keeps the expiry
        return refused(
            state,
            user,
            StatusCode::CONFLICT,
            "该申请已被处理或已过期，不能再审批。",
        )
        .await;
    };
    tx.audit(
        Entry::new(
            if approve {
                "admin_request.approve"
            } else {
                "admin_request.reject"
            },
            "admin_request",
            rid,
        )
        .before(Some(req.audit_json()))
        .after(Some(decided.audit_json())),
    )
    .await?;
    if !approve {
        return tx
            .redirect(format!(
                "/admin/requests?notice={}",
                Flash::AdminRequestRejected
            ))
            .await;
    }

    // Carried out as the requester, under this approved request (migration 0015's triggers).
    if requester.disabled || requester.role() != Some(kind.requester_role()) {
        tx.rollback().await?;
        return refused(
            state,
            user,
            StatusCode::CONFLICT,
            "申请人已不再担任提出该申请的管理员角色，申请无法执行，请驳回。",
        )
        .await;
    }
    let as_requester = Actor {
        id: Some(requester.id),
        name: requester.username.clone(),
        role: requester.role(),
        addr: user.addr.clone(),
    };
    admin_requests::act_as(&mut tx, &as_requester, Some(rid)).await?;
    let target = users::get(&mut tx, req.target_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let approval = |mut after: serde_json::Value| {
        after["request_id"] = rid.into();
        after["approved_by"] = user.username.clone().into();
        after
    };
    let mut issued = None;
    match kind {
        Kind::Disable | Kind::Enable => {
            let disabled = kind == Kind::Disable;
            users::set_disabled(&mut tx, target.id, disabled).await?;
            if disabled {
                sessions::delete_for_user(&mut tx, target.id).await?;
            }
            audit::record(
                &mut tx,
                &as_requester,
                if disabled {
                    "user.disable"
                } else {
                    "user.enable"
                },
                "user",
                Some(target.id.to_string()),
                Some(serde_json::json!({"disabled": target.disabled})),
                Some(approval(serde_json::json!({"disabled": disabled}))),
            )
            .await?;
        }
        Kind::PasswordReset => {
            let unusable = unusable.unwrap_or_default();
            users::invalidate_password(&mut tx, target.id, &unusable).await?;
            sessions::delete_for_user(&mut tx, target.id).await?;
            let (token, link) =
                users::issue_reset_link(&mut tx, target.id, requester.id, Some(rid)).await?;
            audit::record(
                &mut tx,
                &as_requester,
                "user.password_reset",
                "user",
                Some(target.id.to_string()),
                None,
                Some(approval(serde_json::json!({
                    "method": "one_time_link",
                    "link_id": link.id,
                    "link_expires_at": link.expires_at,
                }))),
            )
            .await?;
            issued = Some(IssuedLink {
                username: target.username.clone(),
                display_name: target.display_name.clone(),
                url: link_url(state, headers, &token),
                expires_at: local_time(&link.expires_at),
            });
        }
        Kind::RoleChange => {
            let change: RoleChange = serde_json::from_value(req.payload.clone())
                .map_err(|e| anyhow::anyhow!("request {rid}: bad role payload: {e}"))?;
            let role = match change.role.as_deref() {
                None => None,
                Some(code) => Some(
                    Role::parse(code)
                        .ok_or_else(|| anyhow::anyhow!("request {rid}: unknown role {code}"))?,
                ),
            };
            let Some(after) = users::set_role(
                &mut tx,
                target.id,
                change.version,
                role,
                change.platform_id,
                change.jurisdiction_id,
            )
            .await?
            else {
                tx.rollback().await?;
                return refused(
                    state,
                    user,
                    StatusCode::CONFLICT,
                    "该账户在提出申请后已被修改，申请无法按原内容执行，请驳回后重新申请。",
                )
                .await;
            };
            sessions::delete_for_user(&mut tx, target.id).await?;
            audit::record(
                &mut tx,
                &as_requester,
                "user.role",
                "user",
                Some(target.id.to_string()),
                Some(target.audit_json()),
                Some(approval(after.audit_json())),
            )
            .await?;
        }
    }
    tx.commit().await?;
    match issued {
        Some(link) => {
            let page = requests_page(
                state,
                user,
                notice_text("approved"),
                String::new(),
                Some(link),
            )
            .await?;
            Ok(page.into_response())
        }
        None => Ok(Redirect::to(&format!(
            "/admin/requests?notice={}",
            Flash::AdminRequestApproved
        ))
        .into_response()),
    }
}

#[cfg(test)]
mod tests {
    use super::refusal;

    #[test]
    fn neither_the_requester_nor_the_target_nor_an_auditor_decides() {
        assert!(refusal(1, 2, 1, true).unwrap().contains("自己提交"));
        assert!(refusal(1, 2, 2, true).unwrap().contains("自己账户"));
        assert!(
            refusal(1, 2, 3, false)
                .unwrap()
                .contains("系统管理员或安全管理员")
        );
        assert_eq!(refusal(1, 2, 3, true), None);
    }
}
