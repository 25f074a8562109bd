//! The audit trail as an auditor reads it: every action code and entity type the code base
//! writes, in Chinese; record fields with Chinese labels; the before/after as a field-by-field
//! diff of the fields that changed, values formatted.

use serde_json::{Map, Value};

use crate::domain::compliance::facts;
use crate::domain::role::Role;

/// Every action code written to the audit trail (and the lifecycle event kinds), in Chinese.
pub static ACTIONS: &[(&str, &str)] = &[
    // Sign-in and accounts
    ("login", "登录"),
    ("logout", "退出登录"),
    ("login.failed", "登录失败（密码错误）"),
    ("login.refused", "拒绝登录（账号已停用或锁定）"),
    ("account.locked", "账号因多次失败被锁定"),
    ("request.refused", "拒绝请求（无权限或校验失败）"),
    ("password.change", "修改密码"),
    ("password.reset_link", "生成密码重置链接"),
    ("user.create", "创建账号"),
    ("user.email", "修改电子邮箱"),
    ("user.mail_reminders", "修改邮件提醒设置"),
    ("user.disable", "停用账号"),
    ("user.enable", "启用账号"),
    ("user.password_reset", "重置密码"),
    ("user.role", "分配角色"),
    ("user.unlock", "解除锁定"),
    ("admin_request.create", "提出管理操作申请"),
    ("admin_request.approve", "批准管理操作申请"),
    ("admin_request.reject", "驳回管理操作申请"),
    ("admin_request.expire", "管理操作申请过期"),
    ("security_policy.update", "修改安全策略"),
    ("api_token.issue", "签发接口令牌"),
    ("api_token.revoke", "吊销接口令牌"),
    ("api.call", "调用数据接口"),
    // Registry and registration
    ("jurisdiction.create", "新增地区"),
    ("platform.create", "登记新平台"),
    ("platform.update", "修改平台信息"),
    ("import.platforms", "批量导入平台"),
    ("import.ledger", "导入年度台账"),
    ("import.accounts", "批量导入账户"),
    ("platform.assign", "调整顾问或专人专班"),
    ("registration.charter", "更新章程信息"),
    ("registration.plan", "更新共建协议与建设方案"),
    ("registration.approve", "登记审核通过"),
    ("registration.approved", "登记审核通过"),
    ("registration.created", "提交设立登记"),
    ("registration.submit", "设立登记提交审批"),
    ("registration.resubmit", "设立登记修改后重新提交"),
    ("registration.return", "设立登记退回补正"),
    ("registration.submitted", "设立登记提交审批"),
    ("registration.resubmitted", "设立登记修改后重新提交"),
    ("registration.returned", "设立登记退回补正"),
    ("decision_body.create", "新增决策机构"),
    ("decision_body.update", "修改决策机构"),
    ("decision_body.delete", "删除决策机构"),
    ("decision_body_member.create", "新增决策机构成员"),
    ("decision_body_member.update", "修改决策机构成员"),
    ("decision_body_member.delete", "删除决策机构成员"),
    ("company.create", "登记运营管理公司"),
    ("company.update", "修改运营管理公司"),
    ("company.delete", "删除运营管理公司"),
    ("company_shareholder.create", "新增公司股东"),
    ("company_shareholder.update", "修改公司股东"),
    ("company_shareholder.delete", "删除公司股东"),
    ("document.upload", "上传文件"),
    ("document.uploaded", "上传文件"),
    ("document.version", "上传文件新版本"),
    ("document.revised", "上传文件新版本"),
    // Operation
    ("visit.create", "记录顾问服务"),
    ("visit.logged", "记录顾问服务"),
    ("acceptance.record", "记录建设期验收"),
    ("integrity.record", "记录科研失信行为"),
    ("integrity.recorded", "记录科研失信行为"),
    ("checklist.create", "新增清单事项"),
    ("checklist.created", "新增清单事项"),
    ("checklist.update", "修改清单事项"),
    ("checklist.done", "报告清单事项已完成"),
    ("checklist.evidence", "更新清单事项办理情况"),
    ("checklist.close", "确认关闭清单事项"),
    ("checklist.closed", "关闭清单事项"),
    ("checklist.reopen", "重新打开清单事项"),
    ("checklist.reopened", "重新打开清单事项"),
    ("checklist.comment", "发表清单事项意见"),
    ("compliance.refresh", "合规检查更新清单"),
    ("ledger.add", "新增台账记录"),
    ("support.add", "登记支持政策记录"),
    ("support.delete", "删除支持政策记录"),
    ("support.claim", "申报支持项目"),
    ("support.claim.review", "审核支持项目申报"),
    ("support.claim.pay", "登记支持资金拨付"),
    ("support.claim.recover", "启动支持资金追回"),
    ("support.claim.recovered", "登记支持资金追回到账"),
    ("ledger.delete", "删除台账记录"),
    ("ledger.values", "填报年度指标"),
    ("notice.read", "阅读通知"),
    ("notice.read_all", "全部通知标为已读"),
    ("notices.generate", "生成提醒通知"),
    // Annual cycle
    ("annual_config.update", "修改年度考核配置"),
    ("rule_param.update", "修改规则参数"),
    ("support_pack.switch", "启用或停用支持政策包"),
    ("annual_config.copy", "沿用上年考核配置"),
    ("filing.save", "保存年初备案草稿"),
    ("filing.submit", "提交年初备案"),
    ("filing.submitted", "提交年初备案"),
    ("filing.approve", "年初备案审核通过"),
    ("filing.approved", "年初备案审核通过"),
    ("filing.return", "退回年初备案"),
    ("filing.returned", "退回年初备案"),
    ("midyear.save", "保存半年过堂报告"),
    ("midyear.submit", "提交半年过堂报告"),
    ("midyear.submitted", "提交半年过堂报告"),
    ("midyear.review", "记录半年过堂会审"),
    ("midyear.reviewed", "记录半年过堂会审"),
    ("evaluation.save", "保存年底评估材料"),
    ("evaluation.submit", "提交年底评估材料"),
    ("evaluation.submitted", "提交年底评估材料"),
    ("evaluation.county_pass", "县级初审通过"),
    ("evaluation.county_passed", "县级初审通过"),
    ("evaluation.county_return", "县级初审退回"),
    ("evaluation.county_returned", "县级初审退回"),
    ("evaluation.city_pass", "市级复审通过"),
    ("evaluation.city_passed", "市级复审通过"),
    ("evaluation.city_return", "市级复审退回"),
    ("evaluation.city_returned", "市级复审退回"),
    ("evaluation.reopen", "开放补交评估材料"),
    ("evaluation.reopened", "开放补交评估材料"),
    ("evaluation.excluded", "不参加本年度评估"),
    ("evaluation.score_quantitative", "计算定量得分"),
    ("evaluation.notice", "评估结果公示"),
    ("evaluation.published", "评估结果发布"),
    ("evaluation.objection", "对评估结果提出异议"),
    ("evaluation.objection_answered", "答复评估结果异议"),
    ("evaluation_round.propose", "生成拟评等次"),
    ("evaluation_round.notice", "公示评估结果"),
    ("evaluation_round.publish", "发布评估结果"),
    ("evaluation_round.withdraw", "撤回评估结果"),
    ("expert.assign", "分配评审专家"),
    ("expert.declare", "专家声明利益冲突"),
    ("expert.scores_save", "保存专家评分"),
    ("expert.scores_submit", "提交专家评分"),
    ("objection.record", "登记异议"),
    ("objection.answer", "答复异议"),
    // Rectification and exit
    ("rectification.open", "立案整改"),
    ("rectification.measure_add", "新增整改措施"),
    ("rectification.measure_done", "整改措施完成"),
    ("rectification.note_add", "添加整改记录"),
    ("rectification.assess", "整改评估"),
    ("rectification.draft", "拟定退转并留决定"),
    ("rectification.propose", "提请退转并留决定"),
    ("rectification.signoff", "签发退转并留决定"),
    ("rectification.withdraw", "撤回整改决定"),
    ("rectification.recovery", "登记财政资金追回"),
    ("cobuild.share", "设定市县共建纳入比例"),
    ("cobuild.propose", "提议纳入市县共建"),
    ("cobuild.decide", "审批纳入市县共建"),
    // System
    ("policy.sync", "载入政策文本"),
    ("policy.remove", "移除政策文本"),
    ("demo.load", "载入演示数据"),
    ("demo.load_scale", "载入规模测试数据"),
    ("export.xlsx", "导出 Excel"),
    ("thing.add", "示例操作"),
];

/// Every entity type written to the audit trail, in Chinese.
pub static ENTITIES: &[(&str, &str)] = &[
    ("user", "账号"),
    ("request", "请求"),
    ("admin_request", "管理操作申请"),
    ("security_policy", "安全策略"),
    ("api_token", "接口令牌"),
    ("jurisdiction", "地区"),
    ("platform", "平台"),
    ("registration", "设立登记"),
    ("decision_body", "决策机构"),
    ("decision_body_member", "决策机构成员"),
    ("platform_company", "运营管理公司"),
    ("company_shareholder", "公司股东"),
    ("document", "文件"),
    ("advisor_visit", "顾问服务记录"),
    ("construction_acceptance", "建设期验收"),
    ("integrity_record", "科研失信记录"),
    ("checklist", "清单"),
    ("checklist_item", "清单事项"),
    ("checklist_comment", "清单事项意见"),
    ("indicator_values", "年度指标"),
    ("import", "Excel 导入"),
    ("ledger", "台账"),
    ("ledger_revenue", "收入台账"),
    ("support_recognitions", "支持政策认定"),
    ("support_tech_transactions", "技术交易额"),
    ("support_enterprise_projects", "企业牵头产学研项目"),
    ("support_investments", "支持政策投入"),
    ("support_fund_results", "基金首投成果"),
    ("support_claims", "支持项目申报"),
    ("support_pack_settings", "支持政策包启用设置"),
    ("ledger_expenditures", "支出台账"),
    ("tech_contracts", "技术合同台账"),
    ("licences", "成果转化台账"),
    ("incubated_companies", "孵化企业台账"),
    ("major_tasks", "重大任务台账"),
    ("instruments", "仪器设备台账"),
    ("notice", "通知"),
    ("annual_config", "年度考核配置"),
    ("rule_param", "规则参数"),
    ("filing", "年初备案"),
    ("midyear_report", "半年过堂报告"),
    ("midyear_review", "半年过堂会审"),
    ("evaluation", "年底评估"),
    ("evaluation_round", "年度评估轮次"),
    ("expert_assignment", "专家评审任务"),
    ("objection", "异议"),
    ("rectification_case", "整改案件"),
    ("cobuild_share", "市县共建纳入比例"),
    ("cobuild_proposal", "市县共建纳入提议"),
    ("policy", "政策文本"),
    ("demo", "演示数据"),
    ("compliance_matrix", "合规矩阵"),
    ("leadership_platforms", "领导驾驶舱平台清单"),
    ("platforms", "平台清单"),
    ("evaluation_results", "评估结果"),
    ("audit_log", "审计日志"),
    ("thing", "示例对象"),
];

/// Record fields with Chinese labels (facts of the compliance table are used as well).
static FIELDS: &[(&str, &str)] = &[
    ("id", "编号"),
    ("platform_id", "平台编号"),
    ("platform", "平台"),
    ("code", "编号"),
    ("name", "名称"),
    ("title", "标题"),
    ("description", "说明"),
    ("status", "状态"),
    ("version", "版本"),
    ("lock_version", "版本"),
    ("config_version", "配置版本"),
    ("reason", "理由"),
    ("note", "备注"),
    ("comment", "意见"),
    ("owner", "责任人"),
    ("due_date", "完成期限"),
    ("evidence", "办理情况"),
    ("source", "来源"),
    ("role", "角色"),
    ("username", "用户名"),
    ("display_name", "姓名"),
    ("disabled", "已停用"),
    ("email", "电子邮箱"),
    ("mail_reminders", "邮件接收截止和逾期提醒"),
    ("locked_until", "锁定至"),
    ("failures", "连续失败次数"),
    ("jurisdiction_id", "地区"),
    ("legal_form", "法人形式"),
    ("industry_cluster", "产业集群"),
    ("construction_start", "建设起始日期"),
    ("uscc", "统一社会信用代码"),
    ("advisor_id", "产业顾问"),
    ("advisor_name", "产业顾问"),
    ("responsible_staff_id", "专人专班"),
    ("responsible_staff_name", "专人专班"),
    ("operating_modes", "运营模式"),
    ("co_builders", "共建单位"),
    ("members", "成员"),
    ("has_chair", "设主席/理事长"),
    ("kind", "类型"),
    ("charter_status", "章程状态"),
    ("charter_approved", "章程审批日期"),
    ("plan_summary", "建设方案摘要"),
    ("values", "指标值"),
    ("value_yuan", "金额"),
    ("revenue_yuan", "收入"),
    ("reward_yuan", "奖补金额"),
    ("fiscal_subsidy", "财政补助"),
    ("service_orders", "服务订单"),
    ("tech_contracts", "技术合同"),
    ("achievement_transfer", "技术成果转化"),
    ("gov_research_projects", "政府科研项目"),
    ("incubation_returns", "孵化企业收益反哺"),
    ("open_shared", "已开放共享"),
    ("visit_date", "服务日期"),
    ("date", "日期"),
    ("meeting_date", "会审日期"),
    ("attendees", "参会人员"),
    ("assessment", "评价"),
    ("problems", "问题"),
    ("measures", "措施"),
    ("measure", "措施"),
    ("advice", "建议"),
    ("topics", "服务内容"),
    ("self_assessment", "自评"),
    ("actuals", "实际完成"),
    ("targets", "目标"),
    ("plan_targets", "计划目标"),
    ("scores", "评分"),
    ("score", "得分"),
    ("total_score", "总分"),
    ("rank", "排名"),
    ("conflict", "利益冲突"),
    ("evaluation_id", "评估编号"),
    ("expert_id", "专家"),
    ("county_comment", "县级初审意见"),
    ("city_comment", "市级复审意见"),
    ("review_comment", "审核意见"),
    ("field_comments", "逐项意见"),
    ("reopened_until", "补交截止"),
    ("excluded_reason", "不参评理由"),
    ("decision", "决定"),
    ("decision_reason", "决定理由"),
    ("convert_to", "转型为"),
    ("merge_into_id", "并入平台"),
    ("funds_to_recover", "应收回资金"),
    ("funds_basis", "追回依据"),
    ("agreement_end", "共建协议终止日期"),
    ("recovery", "追回记录"),
    ("recovery_id", "追回记录编号"),
    ("recovered", "已追回"),
    ("recovered_on", "追回日期"),
    ("amount", "金额"),
    ("voucher", "凭证号"),
    ("share", "纳入比例"),
    ("pct", "比例（%）"),
    ("max_platforms", "最多纳入家数"),
    ("proposal", "提议"),
    ("previous_grade", "前一年度等次"),
    ("last_grade", "上一年度等次"),
    ("signed_off_by", "签发人"),
    ("proposed_by", "提请人"),
    ("approved_by", "审核人"),
    ("approved_at", "审核时间"),
    ("requested_by", "申请人"),
    ("decided_by", "决定人"),
    ("expires_at", "有效期至"),
    ("target_id", "对象账号"),
    ("query", "筛选条件"),
    ("rows", "导出行数"),
    ("count", "数量"),
    ("as_of", "检查日期"),
    ("platforms", "平台数"),
    ("items_opened_or_updated", "新增或更新的清单事项"),
    ("items_closed", "关闭的清单事项"),
    ("file_name", "文件名"),
    ("sha256", "文件指纹（SHA-256）"),
    ("row_count", "导入行数"),
    ("created", "新建的记录"),
    ("year", "年度"),
    ("size_bytes", "文件大小（字节）"),
    ("content_type", "文件类型"),
    ("item_id", "清单事项编号"),
    ("checklist_items", "清单事项"),
    ("link_expires_at", "链接有效期至"),
    ("notice_starts", "公示开始"),
    ("notice_ends", "公示结束"),
    ("excellent_quota", "优秀名额"),
    ("funding_coefficient", "资金系数"),
    ("from_year", "沿用年度"),
    ("from_version", "沿用版本"),
    ("config", "配置"),
    ("change_reason", "修改理由"),
    ("body", "决策机构"),
    ("member", "成员"),
    ("company", "公司"),
    ("shareholder", "股东"),
    ("shareholders", "股东"),
    ("registration", "设立登记"),
    ("case", "整改案件"),
    ("triggers", "立案原因"),
    ("trigger_note", "立案说明"),
    ("sign_off", "签发"),
    ("late", "逾期提交"),
    ("submitted", "已提交"),
    ("raised_on", "提出日期"),
    ("raised_by", "提出人"),
    ("response", "答复"),
    ("occurred_on", "发生日期"),
    ("serious", "严重"),
    ("method", "方式"),
    ("payload", "内容"),
    ("path", "路径"),
    ("not_recorded_before", "此前未记录的同类请求"),
    ("clauses_written", "写入条款数"),
    ("clauses_deleted", "删除条款数"),
    ("company_mgmt_cash_controlling", "管理层货币出资控股"),
    // Indicators of the default rubric
    ("rnd_expenditure", "研发投入"),
    ("tech_contract_value", "技术合同成交额"),
    ("self_generated_income", "自我造血收入"),
    ("core_technologies", "突破核心技术"),
    ("invention_patents", "发明专利"),
    ("high_level_talents", "高层次人才"),
    ("co_trained_talents", "联合培养人才"),
    ("enterprises_served", "服务企业"),
    ("achievements_transferred", "转化科技成果"),
    ("companies_incubated", "孵化企业"),
    ("revenue_channels", "收入渠道"),
    ("self_sufficiency_ratio", "自给率"),
];

/// The coded reasons the sign-in records give.
static REASONS: &[(&str, &str)] = &[
    ("wrong_password", "密码错误"),
    ("unknown_user", "账号不存在"),
    ("disabled", "账号已停用"),
    ("locked", "账号已锁定"),
    ("too_many_failures", "连续失败次数过多"),
    ("out_of_scope", "超出权限范围"),
    ("forbidden", "无权访问"),
    ("csrf", "表单校验失败"),
    ("rate_limited", "请求过于频繁"),
    ("api_token_missing", "未提供接口令牌"),
    ("api_token_unknown", "接口令牌无效"),
    ("api_token_expired", "接口令牌已过期"),
    ("api_token_revoked", "接口令牌已吊销"),
];

/// An action code in Chinese; an unknown code reads as its entity and a generic verb.
pub fn action_zh(code: &str) -> String {
    if let Some((_, l)) = ACTIONS.iter().find(|(c, _)| *c == code) {
        return (*l).to_owned();
    }
    let (entity, verb) = code.split_once('.').unwrap_or((code, ""));
    let verb = match verb {
        "create" | "add" => "新增",
        "update" | "save" => "修改",
        "delete" | "remove" => "删除",
        "submit" => "提交",
        "approve" => "审核通过",
        "return" => "退回",
        _ => "操作",
    };
    format!("{}{verb}", entity_zh(entity))
}

/// An entity type in Chinese; unknown types read as 其他记录.
pub fn entity_zh(code: &str) -> String {
    ENTITIES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| "其他记录".to_owned(), |(_, l)| (*l).to_owned())
}

/// A field's label: the audit table, the compliance facts table, else its words.
pub fn field_zh(key: &str) -> String {
    if let Some((_, l)) = FIELDS.iter().find(|(k, _)| *k == key) {
        return (*l).to_owned();
    }
    if facts::fact_def(key).is_some() {
        return facts::label(key);
    }
    key.replace('_', " ")
}

/// A code-valued field through the enum it belongs to.
fn code_value(key: &str, s: &str) -> Option<String> {
    use crate::domain::{checklist, evaluation, filing, midyear, platform, rectification};
    let label = match key {
        "role" => Role::parse(s).map(Role::label_zh),
        "reason" => REASONS.iter().find(|(c, _)| *c == s).map(|(_, l)| *l),
        "legal_form" => platform::LegalForm::parse(s).map(platform::LegalForm::label_zh),
        "industry_cluster" => platform::Cluster::parse(s).map(platform::Cluster::label_zh),
        "status" => checklist::ItemStatus::parse(s)
            .map(checklist::ItemStatus::label_zh)
            .or_else(|| filing::FilingStatus::parse(s).map(filing::FilingStatus::label_zh))
            .or_else(|| evaluation::EvalStatus::parse(s).map(evaluation::EvalStatus::label_zh))
            .or_else(|| {
                rectification::CaseStatus::parse(s).map(rectification::CaseStatus::label_zh)
            })
            .or_else(|| midyear::ReportStatus::parse(s).map(midyear::ReportStatus::label_zh)),
        _ => None,
    };
    label.map(str::to_owned)
}

/// A value as shown: through the facts table's format where the key is there, codes through
/// their enums, everything else readably.
pub fn value_zh(key: &str, v: &Value) -> String {
    if let Value::String(s) = v
        && let Some(l) = code_value(key, s)
    {
        return l;
    }
    if facts::fact_def(key).is_some() {
        return facts::value_text(key, v);
    }
    match v {
        Value::Null => "—".into(),
        Value::Bool(b) => if *b { "是" } else { "否" }.into(),
        Value::String(s) if s.is_empty() => "（空）".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(a) if a.is_empty() => "（无）".into(),
        Value::Array(a) => a
            .iter()
            .map(|x| value_zh(key, x))
            .collect::<Vec<_>>()
            .join("、"),
        Value::Object(o) => o
            .iter()
            .map(|(k, x)| format!("{}：{}", field_zh(k), value_zh(k, x)))
            .collect::<Vec<_>>()
            .join("；"),
    }
}

/// One changed field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// Flattens one level of nesting (`config.x`), so a change deep inside shows as that field.
fn flatten(v: Option<&Value>) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => flatten_into(&mut out, "", m, 0),
        Some(other) => out.push((String::new(), other.clone())),
    }
    out
}

fn flatten_into(out: &mut Vec<(String, Value)>, prefix: &str, m: &Map<String, Value>, depth: u8) {
    for (k, v) in m {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Object(inner) if depth < 1 && !inner.is_empty() => {
                flatten_into(out, &path, inner, depth + 1)
            }
            _ => out.push((path, v.clone())),
        }
    }
}

/// `a.b` → `甲 · 乙`.
fn path_zh(path: &str) -> String {
    if path.is_empty() {
        return "内容".into();
    }
    path.split('.')
        .map(field_zh)
        .collect::<Vec<_>>()
        .join(" · ")
}

fn last_key(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// The fields that differ between `before` and `after` (all of `after` for a creation, all of
/// `before` for a deletion), labelled and formatted, in the record's field order.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<Change> {
    let b = flatten(before);
    let a = flatten(after);
    let mut out = Vec::new();
    let fmt = |path: &str, v: Option<&Value>| match v {
        None => "—".to_owned(),
        Some(v) => value_zh(last_key(path), v),
    };
    for (path, av) in &a {
        let bv = b.iter().find(|(p, _)| p == path).map(|(_, v)| v);
        if bv != Some(av) {
            out.push(Change {
                field: path_zh(path),
                before: fmt(path, bv),
                after: fmt(path, Some(av)),
            });
        }
    }
    for (path, bv) in &b {
        if !a.iter().any(|(p, _)| p == path) {
            out.push(Change {
                field: path_zh(path),
                before: fmt(path, Some(bv)),
                after: "—".to_owned(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use serde_json::json;

    use super::*;

    /// The string literals at the top level of a call's arguments (not inside nested calls), from
    /// `start` (just after the opening parenthesis).
    fn top_level_literals(src: &str, start: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut depth = 0i32;
        let mut chars = src[start..].char_indices().peekable();
        while let Some((_, c)) = chars.next() {
            match c {
                '(' | '[' => depth += 1,
                ')' | ']' => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                }
                '"' => {
                    let mut lit = String::new();
                    for (_, c) in chars.by_ref() {
                        if c == '"' {
                            break;
                        }
                        lit.push(c);
                    }
                    if depth == 0 {
                        out.push(lit);
                    }
                }
                _ => {}
            }
        }
        out
    }

    fn is_code(s: &str) -> bool {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
    }

    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                rust_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// `(actions, entities)` the code base writes: the literal arguments of every
    /// `Entry::new(` / `Entry::global(` / `audit::record(` call, and the dotted literals of the
    /// `let action = …` / `let verb = …` statements that feed them.
    fn written_codes() -> (BTreeSet<String>, BTreeSet<String>) {
        let mut files = Vec::new();
        rust_files(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let (mut actions, mut entities) = (BTreeSet::new(), BTreeSet::new());
        for f in files {
            if f.ends_with("audit/labels.rs") {
                continue;
            }
            let src = std::fs::read_to_string(&f).expect("read");
            for call in ["Entry::new(", "Entry::global(", "audit::record("] {
                for (i, _) in src.match_indices(call) {
                    let lits: Vec<String> = top_level_literals(&src, i + call.len())
                        .into_iter()
                        .filter(|l| is_code(l))
                        .collect();
                    for l in lits {
                        if l.contains('.') || matches!(l.as_str(), "login" | "logout") {
                            actions.insert(l);
                        } else {
                            entities.insert(l);
                        }
                    }
                }
            }
            for stmt in ["let action = ", "let audit_action = ", "let verb = "] {
                for (i, _) in src.match_indices(stmt) {
                    let end = src[i..].find(";\n").map_or(src.len(), |e| i + e);
                    for lit in src[i..end].split('"').skip(1).step_by(2) {
                        if is_code(lit) && lit.contains('.') {
                            actions.insert(lit.to_owned());
                        }
                    }
                }
            }
        }
        for a in crate::domain::evaluation::EvalAction::ALL {
            actions.insert(format!("evaluation.{}", a.as_str()));
        }
        for k in crate::domain::ledger::LedgerKind::ALL {
            if let Some(t) = k.table() {
                entities.insert(t.to_owned());
            }
        }
        (actions, entities)
    }

    #[test]
    fn every_action_and_entity_the_code_base_writes_has_a_chinese_label() {
        let (actions, entities) = written_codes();
        assert!(actions.len() > 60, "{actions:?}");
        assert!(actions.contains("login") && actions.contains("filing.return"));
        assert!(entities.contains("platform") && entities.contains("checklist_item"));
        for a in &actions {
            assert!(
                ACTIONS.iter().any(|(c, _)| c == a),
                "action {a} has no Chinese label"
            );
        }
        for e in &entities {
            assert!(
                ENTITIES.iter().any(|(c, _)| c == e),
                "entity type {e} has no Chinese label"
            );
        }
        for (code, label) in ACTIONS.iter().chain(ENTITIES) {
            assert!(!label.is_empty() && !label.contains('_'), "{code}");
        }
    }

    #[test]
    fn a_diff_lists_the_changed_fields_only_in_chinese() {
        let before = json!({"title": "修订章程", "status": "open", "due_date": null, "version": 1,
                            "config": {"excellent_quota": 3, "x": 1}});
        let after = json!({"title": "修订章程", "status": "done", "due_date": "2026-05-01", "version": 2,
                           "config": {"excellent_quota": 4, "x": 1}});
        let d = diff(Some(&before), Some(&after));
        let fields: Vec<&str> = d.iter().map(|c| c.field.as_str()).collect();
        // Fields in the record's (key) order.
        assert_eq!(fields, ["配置 · 优秀名额", "完成期限", "状态", "版本"]);
        assert_eq!(d[0].after, "4");
        assert_eq!(d[1].before, "—");
        assert_eq!(d[2].before, "待办");
        let created = diff(None, Some(&json!({"role": "staff", "disabled": false})));
        assert_eq!(created.len(), 2);
        assert_eq!(created[0].after, "否");
        assert_eq!(created[1].after, "科技局业务人员");
        let deleted = diff(Some(&json!({"name": "理事会"})), None);
        assert_eq!(
            deleted,
            [Change {
                field: "名称".into(),
                before: "理事会".into(),
                after: "—".into()
            }]
        );
        assert_eq!(value_zh("reason", &json!("wrong_password")), "密码错误");
        assert_eq!(action_zh("filing.return"), "退回年初备案");
        assert_eq!(action_zh("unknown_thing.create"), "其他记录新增");
        assert_eq!(entity_zh("checklist_item"), "清单事项");
    }
}
