//! Breadcrumbs, from the route registry: a page below the first level shows the trail of the
//! pages above it that the user may open (平台名录 › 某平台 › 年度填报 › 填报版本). The trail
//! follows the path: each prefix of the page's route that is itself a page with a title here
//! is a step; `{id}` under `/platforms` is named by the platform.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::Method;

use super::auth::CurrentUser;
use super::{Guard, Scope};
use crate::domain::role::Role;

/// One step of the trail; the last one is the page itself (shown, not linked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crumb {
    pub href: String,
    pub label: String,
}

/// The title of each page that can be a step of a trail. `{}` is the path's last parameter
/// (a year); `{platform}` is the platform's name.
const TITLES: &[(&str, &str)] = &[
    ("/platforms", "平台名录"),
    ("/platforms/new", "登记新平台"),
    ("/platforms/import", "批量导入平台"),
    ("/platforms/{id}", "{platform}"),
    ("/platforms/{id}/edit", "编辑基本信息"),
    ("/platforms/{id}/annual", "年度填报"),
    ("/platforms/{id}/annual/filing", "年初备案"),
    ("/platforms/{id}/annual/filing/{fid}", "备案版本"),
    ("/platforms/{id}/approve", "审批设立登记"),
    ("/platforms/{id}/checklist", "整改清单"),
    ("/platforms/{id}/checklist/{cid}", "清单事项"),
    ("/platforms/{id}/compliance", "合规检查"),
    ("/platforms/{id}/documents", "文件资料"),
    ("/platforms/{id}/documents/{did}/versions/{vid}", "文件版本"),
    ("/platforms/{id}/evaluation", "年底评估"),
    ("/platforms/{id}/ledger", "收支台账"),
    ("/platforms/{id}/ledger/import", "导入台账"),
    ("/platforms/{id}/midyear", "半年报告"),
    ("/platforms/{id}/operation", "运行管理"),
    ("/platforms/{id}/rectification", "退出整改"),
    ("/platforms/{id}/rectification/{cid}", "整改案件"),
    ("/platforms/{id}/registration", "设立登记"),
    ("/platforms/{id}/registration/plan", "建设方案"),
    ("/platforms/{id}/registration/bodies/new", "新增机构"),
    ("/platforms/{id}/registration/bodies/{body_id}", "机构"),
    (
        "/platforms/{id}/registration/bodies/{body_id}/members/new",
        "新增成员",
    ),
    ("/platforms/{id}/registration/members/{member_id}", "成员"),
    ("/platforms/{id}/registration/companies/new", "新增运营公司"),
    (
        "/platforms/{id}/registration/companies/{company_id}",
        "运营公司",
    ),
    (
        "/platforms/{id}/registration/companies/{company_id}/shareholders/new",
        "新增股东",
    ),
    (
        "/platforms/{id}/registration/shareholders/{shareholder_id}",
        "股东",
    ),
    ("/platforms/{id}/timeline", "大事记"),
    ("/annual/config", "年度配置"),
    ("/annual/config/{year}", "{} 年度配置"),
    ("/annual/config/{year}/edit", "编辑"),
    ("/annual/overdue", "逾期事项"),
    ("/evaluations", "年度评估"),
    ("/evaluations/{year}", "{} 年度评估"),
    ("/evaluations/{year}/results", "评估结果"),
    ("/expert", "评审任务"),
    ("/expert/assignments/{aid}", "评审"),
    ("/compliance", "合规矩阵"),
    ("/compliance/rules/{rule_id}", "规则明细"),
    ("/rules", "规则库"),
    ("/rules/{rule_id}", "规则"),
    ("/policies", "政策库"),
    ("/policies/{short_id}", "政策原文"),
    ("/leadership", "领导驾驶舱"),
    ("/leadership/platforms", "平台明细"),
    ("/admin/users", "账户管理"),
    ("/admin/users/import", "批量导入账户"),
    ("/admin/users/{uid}", "账户"),
    ("/admin/requests", "双人复核"),
    ("/security/users", "角色授权"),
    ("/security/users/{uid}", "账户角色"),
    ("/security/policy", "安全策略"),
    ("/audit", "审计日志"),
    ("/audit/verify", "完整性校验"),
    ("/notices", "通知"),
    ("/notices/settings", "通知设置"),
    ("/jurisdictions", "地区管理"),
    ("/workbench", "工作台"),
];

/// Who may open each titled page (from the registry, built once).
static GUARDS: LazyLock<HashMap<&'static str, Guard>> = LazyLock::new(|| {
    super::routes::registry()
        .into_iter()
        .filter(|d| d.method == Method::GET)
        .map(|d| (d.path, d.guard))
        .collect()
});

fn title_of(pattern: &str) -> Option<&'static str> {
    TITLES.iter().find(|(p, _)| *p == pattern).map(|(_, t)| *t)
}

fn may_open(guard: Guard, user: &CurrentUser) -> bool {
    match guard {
        Guard::Public | Guard::PasswordPending | Guard::SignedIn => true,
        // Only other systems, with a token: never a step of a signed-in user's trail.
        Guard::ApiToken(_) => false,
        Guard::Roles(roles, scope) => {
            user.role.is_some_and(|r| roles.contains(&r))
                && !(scope == Scope::City && user.role == Some(Role::Staff) && !user.is_city_staff)
        }
    }
}

/// The trail of the page at `path` (matched by `pattern`); empty on first-level pages.
pub fn trail(pattern: &str, path: &str, platform: Option<&str>, user: &CurrentUser) -> Vec<Crumb> {
    let pat: Vec<&str> = pattern.split('/').collect();
    let act: Vec<&str> = path.split('/').collect();
    if pat.len() != act.len() {
        return Vec::new();
    }
    let mut crumbs = Vec::new();
    for k in 2..=pat.len() {
        let prefix = pat[..k].join("/");
        let Some(title) = title_of(&prefix) else {
            continue;
        };
        let last = k == pat.len();
        if !last
            && !GUARDS
                .get(prefix.as_str())
                .is_some_and(|g| may_open(*g, user))
        {
            continue;
        }
        let label = if title == "{platform}" {
            platform.unwrap_or("平台").to_string()
        } else {
            title.replace("{}", act[k - 1])
        };
        crumbs.push(Crumb {
            href: act[..k].join("/"),
            label,
        });
    }
    if crumbs.len() < 2 { Vec::new() } else { crumbs }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_titled_page_is_a_get_route() {
        for (pattern, _) in TITLES {
            assert!(GUARDS.contains_key(pattern), "{pattern} is not a GET route");
        }
    }
}
