use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::auth::CurrentUser;
use super::layout::Layout;
use crate::domain::role::Role;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        get( "/", SignedIn, home),
    ]
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub notice: &'static str,
    pub message: &'static str,
}

#[derive(Deserialize, Default)]
pub struct HomeQuery {
    #[serde(default)]
    notice: String,
}

/// Each role lands where its work is: operators, advisors and experts on their to-do list
/// (`/todo`), staff on the workbench (whose top is the same to-do groups), leaders on the
/// leadership dashboard, administrators and auditors on their work pages.
pub async fn home(user: CurrentUser, Query(q): Query<HomeQuery>) -> Response {
    let target = match (user.role, user.platform_id) {
        (Some(Role::Staff), _) => Some("/workbench".to_string()),
        (Some(Role::Leader), _) => Some("/leadership".to_string()),
        (Some(Role::Advisor), _) | (Some(Role::Operator), Some(_)) | (Some(Role::Expert), _) => {
            Some("/todo".to_string())
        }
        (Some(Role::Sysadmin), _) => Some("/admin/users".into()),
        (Some(Role::Secadmin), _) => Some("/security/users".into()),
        (Some(Role::Auditor), _) => Some("/audit".into()),
        _ => None,
    };
    if let Some(target) = target {
        let sep = if q.notice.is_empty() { "" } else { "?notice=" };
        let notice = if q.notice == "password_changed" {
            "password_changed"
        } else {
            ""
        };
        return Redirect::to(&format!("{target}{sep}{notice}")).into_response();
    }
    let message = match user.role {
        Some(Role::Operator) => {
            "您的账户尚未关联平台。请联系安全管理员为您关联所填报的平台后再使用本系统。"
        }
        _ => "您的账户尚未分配角色。请联系安全管理员为您分配角色后再使用本系统。",
    };
    let notice = if q.notice == "password_changed" {
        "密码已修改。"
    } else {
        ""
    };
    HomePage {
        layout: Layout::for_user(&user, ""),
        notice,
        message,
    }
    .into_response()
}
