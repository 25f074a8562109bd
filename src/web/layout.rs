//! What every page's `base.html` needs: the signed-in user, the CSRF token for forms, and
//! the navigation for the user's role.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::calendar::BEIJING;

use super::auth::CurrentUser;
use crate::domain::role::Role;

pub struct NavItem {
    pub href: String,
    pub label: &'static str,
    pub key: &'static str,
}

pub struct Layout {
    pub user_name: String,
    pub role_label: &'static str,
    pub signed_in: bool,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub active: &'static str,
    /// Unread in-app notices of the signed-in user (the bell links to `/notices`).
    pub unread_notices: i64,
    /// Breadcrumbs of pages below the first level (empty otherwise).
    pub crumbs: Vec<super::crumbs::Crumb>,
    /// When the page was made, in Beijing time (shown on paper).
    pub printed_at: String,
}

fn item(href: impl Into<String>, label: &'static str, key: &'static str) -> NavItem {
    NavItem {
        href: href.into(),
        label,
        key,
    }
}

impl Layout {
    pub fn anonymous() -> Layout {
        Layout {
            user_name: String::new(),
            role_label: "",
            signed_in: false,
            csrf: String::new(),
            nav: Vec::new(),
            active: "",
            unread_notices: 0,
            crumbs: Vec::new(),
            printed_at: String::new(),
        }
    }

    /// The layout for a signed-in user; `active` is the key of the current nav item.
    pub fn for_user(user: &CurrentUser, active: &'static str) -> Layout {
        let nav = match user.role {
            Some(Role::Staff) => {
                let mut nav = vec![
                    item("/workbench", "工作台", "workbench"),
                    item("/platforms", "平台名录", "platforms"),
                    item("/compliance", "合规矩阵", "compliance"),
                    item("/annual/overdue", "逾期事项", "overdue"),
                    item("/evaluations", "年度评估", "evaluations"),
                ];
                nav.push(item("/annual/config", "年度配置", "annual_config"));
                nav.push(item("/cobuild", "共建", "cobuild"));
                nav.push(item("/recovery", "追回", "recovery"));
                if user.is_city_staff {
                    nav.push(item("/jurisdictions", "地区管理", "jurisdictions"));
                }
                nav.push(item("/policies", "政策库", "policies"));
                nav
            }
            Some(Role::Leader) => vec![
                item("/leadership", "领导驾驶舱", "leadership"),
                item("/platforms", "平台名录", "platforms"),
                item("/policies", "政策库", "policies"),
                item("/evaluations", "年度评估", "evaluations"),
                item("/cobuild", "市县共建", "cobuild"),
            ],
            Some(Role::Advisor) => vec![
                item("/todo", "我的待办", "todo"),
                item("/platforms", "平台名录", "platforms"),
                item("/policies", "政策库", "policies"),
            ],
            Some(Role::Operator) => match user.platform_id {
                Some(id) => vec![
                    item("/todo", "我的待办", "todo"),
                    item(format!("/platforms/{id}"), "我的平台", "platforms"),
                    item("/policies", "政策库", "policies"),
                ],
                None => vec![item("/policies", "政策库", "policies")],
            },
            Some(Role::Sysadmin) => vec![
                item("/admin/users", "账户管理", "users"),
                item("/admin/requests", "双人复核", "requests"),
                item("/admin/mail", "邮件发送", "mail"),
            ],
            Some(Role::Secadmin) => vec![
                item("/security/users", "角色授权", "roles"),
                item("/security/policy", "安全策略", "policy"),
                item("/security/api-tokens", "接口令牌", "api_tokens"),
                item("/admin/requests", "双人复核", "requests"),
            ],
            Some(Role::Auditor) => vec![
                item("/audit", "审计日志", "audit"),
                item("/audit/verify", "完整性校验", "verify"),
            ],
            Some(Role::Expert) => vec![
                item("/todo", "我的待办", "todo"),
                item("/expert", "评审任务", "expert"),
            ],
            None => Vec::new(),
        };
        Layout {
            user_name: user.display_name.clone(),
            role_label: user.role.map(Role::label_zh).unwrap_or("未分配角色"),
            signed_in: true,
            csrf: user.csrf.clone(),
            nav,
            active,
            unread_notices: user.unread_notices,
            crumbs: user.crumbs.clone(),
            printed_at: local_time(&Utc::now())[..16].to_string(),
        }
    }
}

/// A timestamp in Beijing time (China has no daylight saving; a fixed +08:00 is exact).
pub fn local_time(t: &DateTime<Utc>) -> String {
    t.with_timezone(&BEIJING)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

pub fn date_or_dash(d: &Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_else(|| "—".into())
}
