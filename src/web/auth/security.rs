//! The security admin: assigns roles and data scope, unlocks accounts, and sets the
//! password / lockout / session policy. A role change that involves an administrator role
//! (the account's current role or the new one) is filed as a dual-control request that
//! another system or security admin approves (see `web::admin`).

use askama::Template;
use askama_web::WebTemplate;

use crate::web::forms::{Form, Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::db::admin_requests::{self, Kind};
use crate::db::security_policy::{self, SecurityPolicy};
use crate::db::users::{self, User, UserListRow};
use crate::db::{jurisdictions, platforms, sessions};
use crate::domain::role::Role;
use crate::domain::scope::PlatformScope;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::admin::SearchQuery;
use crate::web::auth::CurrentUser;
use crate::web::flash::Flash;
use crate::web::layout::Layout;
use crate::web::widgets::{NoticeQuery, Opt};
use crate::web::write::{Entry, Writer};

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(in crate::web) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        get( "/security/users",              Roles(SECADMIN, Global), users),
        get( "/security/users/{uid}",        Roles(SECADMIN, Global), role_form),
        post("/security/users/{uid}",        Roles(SECADMIN, Global), assign_role),
        post("/security/users/{uid}/unlock", Roles(SECADMIN, Global), unlock),
        get( "/security/policy",             Roles(SECADMIN, Global), policy_form),
        post("/security/policy",             Roles(SECADMIN, Global), update_policy),
    ]
}

#[derive(Template, WebTemplate)]
#[template(path = "security/users.html")]
pub struct UsersPage {
    pub layout: Layout,
    pub q: String,
    pub rows: Vec<UserListRow>,
    pub notice: &'static str,
    /// Open dual-control requests this administrator may decide.
    pub open_requests: i64,
}

pub async fn users(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<SearchQuery>,
) -> AppResult<UsersPage> {
    let rows = users::list(&state.db, &q.q).await?;
    let notice = Flash::text_of(&q.notice);
    let open_requests = admin_requests::open_for_approver(&state.db, user.id).await?;
    Ok(UsersPage {
        layout: Layout::for_user(&user, "roles"),
        q: q.q,
        rows,
        notice,
        open_requests,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RoleForm {
    role: String,
    platform_id: String,
    jurisdiction_id: String,
    version: i32,
    /// Required when an administrator role is involved (a dual-control request).
    reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "security/role.html")]
pub struct RolePage {
    pub layout: Layout,
    pub target: User,
    pub f: RoleForm,
    pub errors: FieldErrors,
    pub roles: Vec<Opt>,
    pub platforms: Vec<Opt>,
    pub jurisdictions: Vec<Opt>,
    pub conflict: bool,
}

async fn role_page(
    state: &AppState,
    user: &CurrentUser,
    target: User,
    f: RoleForm,
    errors: FieldErrors,
    conflict: bool,
) -> AppResult<RolePage> {
    let platforms = platforms::options(&state.db, PlatformScope::All)
        .await?
        .into_iter()
        .map(|(id, label)| Opt {
            value: id.to_string(),
            label,
        })
        .collect();
    let jurisdictions = jurisdictions::list(&state.db)
        .await?
        .into_iter()
        .map(|j| Opt {
            value: j.id.to_string(),
            label: j.name,
        })
        .collect();
    let roles = Role::ALL
        .iter()
        .map(|r| Opt {
            value: r.as_str().into(),
            label: r.label_zh().into(),
        })
        .collect();
    Ok(RolePage {
        layout: Layout::for_user(user, "roles"),
        target,
        f,
        errors,
        roles,
        platforms,
        jurisdictions,
        conflict,
    })
}

fn form_of(u: &User) -> RoleForm {
    RoleForm {
        role: u.role.map(|r| r.as_str().into()).unwrap_or_default(),
        platform_id: u.platform_id.map(|p| p.to_string()).unwrap_or_default(),
        jurisdiction_id: u.jurisdiction_id.map(|j| j.to_string()).unwrap_or_default(),
        version: u.version,
        reason: String::new(),
    }
}

pub async fn role_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(uid): Path<i64>,
) -> AppResult<RolePage> {
    let mut conn = state.db.acquire().await?;
    let target = users::get(&mut conn, uid)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let f = form_of(&target);
    role_page(&state, &user, target, f, FieldErrors::default(), false).await
}

/// A role with the data scope that goes with it.
struct Grant {
    role: Option<Role>,
    platform_id: Option<i64>,
    jurisdiction_id: Option<i32>,
}

/// Role and scope from the form: the scope field that fits the role, and only that one.
fn parse_role(f: &RoleForm) -> Result<Grant, FieldErrors> {
    let mut errors = FieldErrors::default();
    let role = match f.role.trim() {
        "" => None,
        code => {
            let role = Role::parse(code);
            if role.is_none() {
                errors.add("role", "请从列表中选择角色");
            }
            role
        }
    };
    let platform_id = f.platform_id.trim().parse::<i64>().ok();
    let jurisdiction_id = f.jurisdiction_id.trim().parse::<i32>().ok();
    let grant = match role {
        Some(Role::Operator) => {
            if platform_id.is_none() {
                errors.add("platform_id", "平台填报员须绑定一个平台");
            }
            Grant {
                role,
                platform_id,
                jurisdiction_id: None,
            }
        }
        Some(Role::Staff) => {
            if jurisdiction_id.is_none() {
                errors.add(
                    "jurisdiction_id",
                    "业务人员须指定所属地区（市级可见全部平台）",
                );
            }
            Grant {
                role,
                platform_id: None,
                jurisdiction_id,
            }
        }
        _ => Grant {
            role,
            platform_id: None,
            jurisdiction_id: None,
        },
    };
    if errors.is_empty() {
        Ok(grant)
    } else {
        Err(errors)
    }
}

pub async fn assign_role(
    w: Writer,
    State(state): State<AppState>,
    user: CurrentUser,
    Path(uid): Path<i64>,
    Form(f): Form<RoleForm>,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let before = users::get(&mut conn, uid)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    if uid == user.id {
        let mut errors = FieldErrors::default();
        errors.add("role", "不能修改自己的角色（三员分立）");
        let page = role_page(&state, &user, before, f, errors, false).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let grant = match parse_role(&f) {
        Ok(parsed) => parsed,
        Err(errors) => {
            let page = role_page(&state, &user, before, f, errors, false).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let admin_involved =
        before.role().is_some_and(Role::is_admin) || grant.role.is_some_and(Role::is_admin);
    if admin_involved {
        return request_role_change(&w, &state, &user, before, f, grant).await;
    }
    let mut tx = w.begin().await?;
    let Some(after) = users::set_role(
        &mut tx,
        uid,
        f.version,
        grant.role,
        grant.platform_id,
        grant.jurisdiction_id,
    )
    .await?
    else {
        tx.rollback().await?;
        let f = form_of(&before);
        let page = role_page(&state, &user, before, f, FieldErrors::default(), true).await?;
        return Ok((StatusCode::CONFLICT, page).into_response());
    };
    // The account's sessions end so that the new role and scope apply from its next sign-in.
    sessions::delete_for_user(&mut tx, uid).await?;
    tx.audit(
        Entry::new("user.role", "user", uid)
            .before(Some(before.audit_json()))
            .after(Some(after.audit_json())),
    )
    .await?;
    tx.redirect(format!("/security/users?notice={}", Flash::RoleSaved))
        .await
}

/// A role change involving an administrator role: filed for a second administrator's approval,
/// carried out only then (`web::admin`).
async fn request_role_change(
    w: &Writer,
    state: &AppState,
    user: &CurrentUser,
    before: User,
    f: RoleForm,
    grant: Grant,
) -> AppResult<Response> {
    if f.version != before.version {
        let f = form_of(&before);
        let page = role_page(state, user, before, f, FieldErrors::default(), true).await?;
        return Ok((StatusCode::CONFLICT, page).into_response());
    }
    if (before.role(), before.platform_id, before.jurisdiction_id)
        == (grant.role, grant.platform_id, grant.jurisdiction_id)
    {
        return Ok(
            Redirect::to(&format!("/security/users?notice={}", Flash::RoleUnchanged))
                .into_response(),
        );
    }
    let reason = match crate::web::admin::check_reason(&f.reason, true) {
        Ok(r) => r,
        Err(msg) => {
            let mut errors = FieldErrors::default();
            errors.add("reason", msg);
            let page = role_page(state, user, before, f, errors, false).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let payload = serde_json::json!({
        "role": grant.role.map(Role::as_str),
        "platform_id": grant.platform_id,
        "jurisdiction_id": grant.jurisdiction_id,
        "version": f.version,
    });
    match crate::web::admin::file_request(w, user, &before, Kind::RoleChange, payload, &reason)
        .await?
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/security/users?notice={}",
            Flash::RoleChangeRequested
        ))
        .into_response()),
        Err(msg) => {
            let mut errors = FieldErrors::default();
            errors.add("reason", msg);
            let page = role_page(state, user, before, f, errors, false).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
    }
}

pub async fn unlock(w: Writer, Path(uid): Path<i64>) -> AppResult<Response> {
    let mut tx = w.begin().await?;
    users::get(&mut tx, uid).await?.ok_or(AppError::NotFound)?;
    users::reset_failures(&mut tx, uid).await?;
    tx.audit(Entry::new("user.unlock", "user", uid)).await?;
    tx.redirect(format!("/security/users?notice={}", Flash::AccountUnlocked))
        .await
}

// ---- the security policy --------------------------------------------------------------

/// The policy form as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct PolicyForm {
    min_length: String,
    min_classes: String,
    max_failures: String,
    lockout_minutes: String,
    idle_minutes: String,
    admin_idle_minutes: String,
    absolute_hours: String,
    password_max_age_days: String,
    version: i32,
}

/// One numeric field of the policy with its allowed range (GB/T 22239 sets the outer bounds).
pub struct PolicyField {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
    pub min: i32,
    pub max: i32,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "security/policy.html")]
pub struct PolicyPage {
    pub layout: Layout,
    pub fields: Vec<PolicyField>,
    pub version: i32,
    pub notice: &'static str,
    pub conflict: bool,
}

const POLICY_FIELDS: [(&str, &str, i32, i32); 8] = [
    ("min_length", "密码最小长度", 8, 64),
    ("min_classes", "密码至少包含的字符类别数", 3, 4),
    ("max_failures", "连续登录失败锁定次数", 3, 10),
    ("lockout_minutes", "锁定时长（分钟）", 10, 1440),
    ("idle_minutes", "会话空闲超时（分钟）", 5, 30),
    ("admin_idle_minutes", "管理员会话空闲超时（分钟）", 5, 15),
    ("absolute_hours", "会话最长有效期（小时）", 1, 12),
    (
        "password_max_age_days",
        "业务人员及管理员密码有效期（天）",
        30,
        90,
    ),
];

impl PolicyForm {
    fn values(&self) -> [&String; 8] {
        [
            &self.min_length,
            &self.min_classes,
            &self.max_failures,
            &self.lockout_minutes,
            &self.idle_minutes,
            &self.admin_idle_minutes,
            &self.absolute_hours,
            &self.password_max_age_days,
        ]
    }

    fn of(p: &SecurityPolicy) -> PolicyForm {
        PolicyForm {
            min_length: p.min_length.to_string(),
            min_classes: p.min_classes.to_string(),
            max_failures: p.max_failures.to_string(),
            lockout_minutes: p.lockout_minutes.to_string(),
            idle_minutes: p.idle_minutes.to_string(),
            admin_idle_minutes: p.admin_idle_minutes.to_string(),
            absolute_hours: p.absolute_hours.to_string(),
            password_max_age_days: p.password_max_age_days.to_string(),
            version: p.version,
        }
    }

    /// Every field checked against its range; all errors at once.
    fn parse(&self, current: &SecurityPolicy) -> Result<SecurityPolicy, Vec<PolicyField>> {
        let fields: Vec<PolicyField> = POLICY_FIELDS
            .iter()
            .zip(self.values())
            .map(|(&(name, label, min, max), value)| {
                let error = match value.trim().parse::<i32>() {
                    Ok(v) if (min..=max).contains(&v) => String::new(),
                    _ => format!("请输入 {min}–{max} 之间的整数"),
                };
                PolicyField {
                    name,
                    label,
                    value: value.clone(),
                    min,
                    max,
                    error,
                }
            })
            .collect();
        if fields.iter().any(|f| !f.error.is_empty()) {
            return Err(fields);
        }
        let v: Vec<i32> = fields
            .iter()
            .map(|f| f.value.trim().parse().unwrap_or_default())
            .collect();
        Ok(SecurityPolicy {
            min_length: v[0],
            min_classes: v[1],
            max_failures: v[2],
            lockout_minutes: v[3],
            idle_minutes: v[4],
            admin_idle_minutes: v[5],
            absolute_hours: v[6],
            password_max_age_days: v[7],
            version: self.version,
            updated_at: current.updated_at,
        })
    }

    fn fields(&self) -> Vec<PolicyField> {
        POLICY_FIELDS
            .iter()
            .zip(self.values())
            .map(|(&(name, label, min, max), value)| PolicyField {
                name,
                label,
                value: value.clone(),
                min,
                max,
                error: String::new(),
            })
            .collect()
    }
}

pub async fn policy_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<NoticeQuery>,
) -> AppResult<PolicyPage> {
    let policy = security_policy::get(&state.db).await?;
    Ok(PolicyPage {
        layout: Layout::for_user(&user, "policy"),
        fields: PolicyForm::of(&policy).fields(),
        version: policy.version,
        notice: Flash::text_of(&q.notice),
        conflict: false,
    })
}

pub async fn update_policy(
    w: Writer,
    State(state): State<AppState>,
    user: CurrentUser,
    Form(f): Form<PolicyForm>,
) -> AppResult<Response> {
    let current = security_policy::get(&state.db).await?;
    let parsed = match f.parse(&current) {
        Ok(p) => p,
        Err(fields) => {
            let page = PolicyPage {
                layout: Layout::for_user(&user, "policy"),
                fields,
                version: f.version,
                notice: "",
                conflict: false,
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let mut tx = w.begin().await?;
    let Some(saved) = security_policy::update(&mut tx, &parsed).await? else {
        tx.rollback().await?;
        let page = PolicyPage {
            layout: Layout::for_user(&user, "policy"),
            fields: PolicyForm::of(&current).fields(),
            version: current.version,
            notice: "",
            conflict: true,
        };
        return Ok((StatusCode::CONFLICT, page).into_response());
    };
    tx.audit(
        Entry::new("security_policy.update", "security_policy", "1")
            .before(serde_json::to_value(&current).ok())
            .after(serde_json::to_value(&saved).ok()),
    )
    .await?;
    tx.redirect(format!("/security/policy?notice={}", Flash::PolicySaved))
        .await
}
