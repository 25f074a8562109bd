//! The rule catalogue: every rule's ID, clause, phase, scope and parameters, in the order of POLICY-RULES.md.

use serde::Serialize;

use super::Status;
use super::params::{Count, Days, Fraction, Months, Param, ParamDef, Percent};
use super::rules::{self, Ctx, Outcome};
use super::snapshot::Platform;
use crate::domain::calendar::MonthDay;
use crate::domain::money::Yuan;
use crate::domain::platform::{Category, DecisionBody, Stage};

/// The part of the lifecycle a rule belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Registration,
    Operation,
    AnnualCycle,
    Market,
    Rectification,
    Integrity,
}

impl Phase {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Phase::Registration => "设立登记",
            Phase::Operation => "运行管理",
            Phase::AnnualCycle => "年度考核",
            Phase::Market => "市场化转型",
            Phase::Rectification => "退出整改",
            Phase::Integrity => "科研诚信",
        }
    }
}

/// Which platforms a rule applies to by stage (and category); rules add their own date conditions on top.
/// Platforms that are exited, converted or merged are outside every scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Stage `registration`, `operating` or `rectifying`.
    RegistrationOrOperating,
    /// Stage `operating` or `rectifying`.
    Operating,
    /// Stage `operating` only.
    StageOperating,
    /// Stage `operating` or `rectifying`, of this category.
    OperatingCategory(Category),
    /// Any stage still in the lifecycle; the rule's own conditions decide.
    Unrestricted,
}

impl Scope {
    /// Whether the platform is inside this scope.
    pub fn includes(self, platform: &Platform) -> bool {
        let stage = platform.stage;
        if stage.is_terminal() {
            return false;
        }
        match self {
            Scope::RegistrationOrOperating => stage == Stage::Registration || stage.is_operating(),
            Scope::Operating => stage.is_operating(),
            Scope::StageOperating => stage == Stage::Operating,
            Scope::OperatingCategory(c) => stage.is_operating() && platform.category == Some(c),
            Scope::Unrestricted => true,
        }
    }

    /// Why a platform is outside this scope, in Chinese.
    fn mismatch_zh(self, platform: &Platform) -> String {
        match (self, platform.category) {
            (Scope::OperatingCategory(_), category) if platform.stage.is_operating() => {
                match category {
                    Some(c) => format!("该平台为{}平台", c.label_zh()),
                    None => "该平台尚未确定类别".to_owned(),
                }
            }
            _ => format!("该平台当前阶段为“{}”", platform.stage.label_zh()),
        }
    }

    /// The scope in Chinese.
    pub fn describe_zh(self) -> String {
        match self {
            Scope::RegistrationOrOperating => "设立登记期及运行期（含退出整改阶段）平台".to_owned(),
            Scope::Operating => "运行期（含退出整改阶段）平台".to_owned(),
            Scope::StageOperating => "运行中平台（不含退出整改阶段）".to_owned(),
            Scope::OperatingCategory(c) => {
                format!("运行期（含退出整改阶段）的{}平台", c.label_zh())
            }
            Scope::Unrestricted => "未退出、转型或合并的平台".to_owned(),
        }
    }
}

/// A rule as data.
#[derive(Debug, Serialize)]
pub struct RuleDef {
    /// Stable ID (`MKT-BREAK-EVEN`).
    pub id: &'static str,
    /// Clause citation, as in POLICY-RULES.md (`NT10 一`).
    pub clause: &'static str,
    pub phase: Phase,
    /// The rule's short Chinese name, shown wherever the rule is named (`收支平衡`); the ID may appear
    /// small beside it, never instead of it.
    pub name_zh: &'static str,
    /// What the rule requires, as a sentence.
    pub title_zh: &'static str,
    pub applies_to: Scope,
    /// Named parameters; keys are `"<id>.<name>"`.
    pub params: &'static [ParamDef],
    #[serde(skip)]
    pub(crate) check: fn(&Ctx<'_>) -> Outcome,
}

impl RuleDef {
    /// Evaluates this rule: `not_applicable` outside its scope, otherwise its own logic.
    pub(crate) fn evaluate(&self, ctx: &Ctx<'_>) -> Outcome {
        let platform = ctx.platform;
        if platform.stage.is_terminal() {
            return Outcome::new(
                Status::NotApplicable,
                format!("平台{}，不再进行合规检查。", platform.stage.label_zh()),
            )
            .fact("stage", platform.stage);
        }
        if !self.applies_to.includes(platform) {
            return Outcome::new(
                Status::NotApplicable,
                format!(
                    "本规则仅适用于{}；{}。",
                    self.applies_to.describe_zh(),
                    self.applies_to.mismatch_zh(platform)
                ),
            )
            .fact("stage", platform.stage);
        }
        (self.check)(ctx)
    }
}

// ---- Parameters (one typed declaration each; the catalogue lists them via `def()`) ----

/// A month-day default; evaluated at compile time, so an invalid one fails the build.
const fn month_day(month: u32, day: u32) -> MonthDay {
    match MonthDay::new(month, day) {
        Some(md) => md,
        None => panic!("invalid month-day default"),
    }
}

/// An amount default; evaluated at compile time, so an invalid one fails the build.
const fn yuan(amount: i64) -> Yuan {
    match Yuan::new(amount) {
        Ok(y) => y,
        Err(_) => panic!("invalid amount default"),
    }
}

pub const DECISION_BODY_MIN_MEMBERS: Param<Count> = Param {
    rule: "REG-DECISION-BODY",
    name: "min_members",
    default: Count(DecisionBody::MIN_MEMBERS),
    description_zh: "决策机构（理事会/董事会/管委会）最少成员数",
};

pub const ADVISOR_MAX_LOG_GAP_DAYS: Param<Days> = Param {
    rule: "OPS-ADVISOR",
    name: "max_log_gap_days",
    default: Days(183),
    description_zh: "产业顾问最近一次服务记录距检查日的最长天数，超过即预警",
};

pub const ACCEPTANCE_GRACE_MONTHS: Param<Months> = Param {
    rule: "OPS-ACCEPTANCE",
    name: "grace_months",
    default: Months(6),
    description_zh: "建设期满后完成验收的宽限期，超过仍未验收即预警，单位：月",
};

pub const FILING_DEADLINE: Param<MonthDay> = Param {
    rule: "EVAL-FILING",
    name: "deadline",
    default: month_day(3, 31),
    description_zh: "年初备案截止日（当年的月-日）",
};

pub const MIDYEAR_DEADLINE: Param<MonthDay> = Param {
    rule: "EVAL-MIDYEAR",
    name: "deadline",
    default: month_day(7, 31),
    description_zh: "半年过堂截止日（当年的月-日）",
};

pub const YEAREND_DEADLINE: Param<MonthDay> = Param {
    rule: "EVAL-YEAREND",
    name: "deadline",
    default: month_day(1, 31),
    description_zh: "上一年度年底评估截止日（次年的月-日）",
};

pub const BREAK_EVEN_TRANSITION_MONTHS: Param<Months> = Param {
    rule: "MKT-BREAK-EVEN",
    name: "transition_months",
    default: Months(24),
    description_zh: "建设期满后实现收支平衡（市场化转型）的期限，单位：月",
};

pub const CHANNELS_MIN: Param<Count> = Param {
    rule: "MKT-CHANNELS",
    name: "min_channels",
    default: Count(3),
    description_zh: "有收入的自主收入渠道最少个数",
};

pub const CHANNELS_MAX_SHARE_PERCENT: Param<Percent> = Param {
    rule: "MKT-CHANNELS",
    name: "max_channel_percent",
    default: Percent(70),
    description_zh: "最大单一收入渠道占自主收入的最高百分比",
};

pub const TECH_SERVICE_MIN_PERCENT: Param<Percent> = Param {
    rule: "CAT-TECH-SERVICE",
    name: "min_service_percent",
    default: Percent(50),
    description_zh: "服务订单与技术合同收入占自主收入的最低百分比",
};

pub const STRATEGIC_MIN_MAJOR_TASKS: Param<Count> = Param {
    rule: "CAT-STRATEGIC",
    name: "min_major_tasks",
    default: Count(1),
    description_zh: "上一年度承担国家、省重大任务的最少项数",
};

pub const PROGRESS_MIN_COMPLETION: Param<Fraction> = Param {
    rule: "RECT-PROGRESS",
    name: "min_target_completion",
    default: Fraction(0.6),
    description_zh: "上一年度目标完成度下限（0–1），低于即为建设进度未达预期",
};

pub const DECLINE_PERCENT: Param<Percent> = Param {
    rule: "RECT-DECLINE",
    name: "decline_percent",
    default: Percent(30),
    description_zh: "自主收入或研发人员同比下降达到该百分比即为主要职能弱化萎缩",
};

pub const BAN_MONTHS: Param<Months> = Param {
    rule: "INTEG-BAN",
    name: "ban_months",
    default: Months(36),
    description_zh: "严重科研失信行为后的限制期，单位：月",
};

pub const SHARE_MIN_VALUE: Param<Yuan> = Param {
    rule: "SHARE-INSTRUMENTS",
    name: "min_value_yuan",
    default: yuan(100_000),
    description_zh: "须开放共享的科研仪器设备单价下限（元）",
};

/// Every typed parameter as `(rule, name, default)`, to check the catalogue against.
#[cfg(test)]
pub(crate) const ALL_PARAMS: &[(&str, &str, super::params::ParamValue)] = &[
    (
        DECISION_BODY_MIN_MEMBERS.rule,
        DECISION_BODY_MIN_MEMBERS.name,
        DECISION_BODY_MIN_MEMBERS.def().default,
    ),
    (
        ADVISOR_MAX_LOG_GAP_DAYS.rule,
        ADVISOR_MAX_LOG_GAP_DAYS.name,
        ADVISOR_MAX_LOG_GAP_DAYS.def().default,
    ),
    (
        ACCEPTANCE_GRACE_MONTHS.rule,
        ACCEPTANCE_GRACE_MONTHS.name,
        ACCEPTANCE_GRACE_MONTHS.def().default,
    ),
    (
        FILING_DEADLINE.rule,
        FILING_DEADLINE.name,
        FILING_DEADLINE.def().default,
    ),
    (
        MIDYEAR_DEADLINE.rule,
        MIDYEAR_DEADLINE.name,
        MIDYEAR_DEADLINE.def().default,
    ),
    (
        YEAREND_DEADLINE.rule,
        YEAREND_DEADLINE.name,
        YEAREND_DEADLINE.def().default,
    ),
    (
        BREAK_EVEN_TRANSITION_MONTHS.rule,
        BREAK_EVEN_TRANSITION_MONTHS.name,
        BREAK_EVEN_TRANSITION_MONTHS.def().default,
    ),
    (
        CHANNELS_MIN.rule,
        CHANNELS_MIN.name,
        CHANNELS_MIN.def().default,
    ),
    (
        CHANNELS_MAX_SHARE_PERCENT.rule,
        CHANNELS_MAX_SHARE_PERCENT.name,
        CHANNELS_MAX_SHARE_PERCENT.def().default,
    ),
    (
        TECH_SERVICE_MIN_PERCENT.rule,
        TECH_SERVICE_MIN_PERCENT.name,
        TECH_SERVICE_MIN_PERCENT.def().default,
    ),
    (
        STRATEGIC_MIN_MAJOR_TASKS.rule,
        STRATEGIC_MIN_MAJOR_TASKS.name,
        STRATEGIC_MIN_MAJOR_TASKS.def().default,
    ),
    (
        PROGRESS_MIN_COMPLETION.rule,
        PROGRESS_MIN_COMPLETION.name,
        PROGRESS_MIN_COMPLETION.def().default,
    ),
    (
        DECLINE_PERCENT.rule,
        DECLINE_PERCENT.name,
        DECLINE_PERCENT.def().default,
    ),
    (BAN_MONTHS.rule, BAN_MONTHS.name, BAN_MONTHS.def().default),
    (
        SHARE_MIN_VALUE.rule,
        SHARE_MIN_VALUE.name,
        SHARE_MIN_VALUE.def().default,
    ),
];

static RULES: [RuleDef; 23] = [
    RuleDef {
        id: "REG-CHARTER",
        name_zh: "章程审批",
        clause: "NT10 三(一)",
        phase: Phase::Registration,
        title_zh: "章程经审批",
        applies_to: Scope::RegistrationOrOperating,
        params: &[],
        check: rules::registration::charter,
    },
    RuleDef {
        id: "REG-DECISION-BODY",
        name_zh: "决策机构",
        clause: "NT10 三(一); JY 新型研发机构 三(二)4",
        phase: Phase::Registration,
        title_zh: "组建决策机构",
        applies_to: Scope::RegistrationOrOperating,
        params: &[DECISION_BODY_MIN_MEMBERS.def()],
        check: rules::registration::decision_body,
    },
    RuleDef {
        id: "REG-CATEGORY",
        name_zh: "平台类别",
        clause: "NT10 二(一)",
        phase: Phase::Registration,
        title_zh: "明确平台类别",
        applies_to: Scope::RegistrationOrOperating,
        params: &[],
        check: rules::registration::category,
    },
    RuleDef {
        id: "REG-AGREEMENT-PLAN",
        name_zh: "共建协议与方案",
        clause: "JY 新型研发机构 三(四)9",
        phase: Phase::Registration,
        title_zh: "共建协议与建设方案备案",
        applies_to: Scope::RegistrationOrOperating,
        params: &[],
        check: rules::registration::agreement_plan,
    },
    RuleDef {
        id: "OPS-ADVISOR",
        name_zh: "产业顾问",
        clause: "NT10 三(一) 一顾问",
        phase: Phase::Operation,
        title_zh: "配备产业顾问并持续服务",
        applies_to: Scope::Operating,
        params: &[ADVISOR_MAX_LOG_GAP_DAYS.def()],
        check: rules::operation::advisor,
    },
    RuleDef {
        id: "OPS-CHECKLIST",
        name_zh: "一平台一清单",
        clause: "NT10 三(一) 一清单",
        phase: Phase::Operation,
        title_zh: "一平台一清单",
        applies_to: Scope::Operating,
        params: &[],
        check: rules::operation::checklist,
    },
    RuleDef {
        id: "OPS-STAFF",
        name_zh: "专人专班",
        clause: "NT10 三(一) 专人专班",
        phase: Phase::Operation,
        title_zh: "专人专班跟进",
        applies_to: Scope::Operating,
        params: &[],
        check: rules::operation::staff,
    },
    RuleDef {
        id: "OPS-ACCEPTANCE",
        name_zh: "建设期满验收",
        clause: "JY 新型研发机构 三(四)10",
        phase: Phase::Operation,
        title_zh: "建设期满后按期组织验收",
        applies_to: Scope::Operating,
        params: &[ACCEPTANCE_GRACE_MONTHS.def()],
        check: rules::operation::acceptance,
    },
    RuleDef {
        id: "EVAL-FILING",
        name_zh: "年初备案",
        clause: "NT10 四(二) 年初备案",
        phase: Phase::AnnualCycle,
        title_zh: "年初备案",
        applies_to: Scope::Operating,
        params: &[FILING_DEADLINE.def()],
        check: rules::annual::filing,
    },
    RuleDef {
        id: "EVAL-MIDYEAR",
        name_zh: "半年过堂",
        clause: "NT10 四(二) 半年过堂",
        phase: Phase::AnnualCycle,
        title_zh: "半年过堂",
        applies_to: Scope::Operating,
        params: &[MIDYEAR_DEADLINE.def()],
        check: rules::annual::midyear,
    },
    RuleDef {
        id: "EVAL-YEAREND",
        name_zh: "年底评估",
        clause: "NT10 四(二) 年底评估",
        phase: Phase::AnnualCycle,
        title_zh: "年底评估",
        applies_to: Scope::Operating,
        params: &[YEAREND_DEADLINE.def()],
        check: rules::annual::yearend,
    },
    RuleDef {
        id: "MKT-BREAK-EVEN",
        name_zh: "收支平衡",
        clause: "NT10 一",
        phase: Phase::Market,
        title_zh: "建设期满后两年左右实现收支平衡",
        applies_to: Scope::Unrestricted,
        params: &[BREAK_EVEN_TRANSITION_MONTHS.def()],
        check: rules::market::break_even,
    },
    RuleDef {
        id: "MKT-CHANNELS",
        name_zh: "多元收入渠道",
        clause: "NT10 二(二)",
        phase: Phase::Market,
        title_zh: "多元化收入渠道",
        applies_to: Scope::Operating,
        params: &[CHANNELS_MIN.def(), CHANNELS_MAX_SHARE_PERCENT.def()],
        check: rules::market::channels,
    },
    RuleDef {
        id: "MKT-OPERATING-COMPANY",
        name_zh: "运营管理公司",
        clause: "NT10 二(二)1",
        phase: Phase::Market,
        title_zh: "平台+运营管理公司",
        applies_to: Scope::Operating,
        params: &[],
        check: rules::market::operating_company,
    },
    RuleDef {
        id: "CAT-TECH-SERVICE",
        name_zh: "技术服务主业",
        clause: "NT10 二(一)3",
        phase: Phase::Market,
        title_zh: "技术服务类平台以公共技术服务为主营业务",
        applies_to: Scope::OperatingCategory(Category::TechnicalService),
        params: &[TECH_SERVICE_MIN_PERCENT.def()],
        check: rules::market::tech_service,
    },
    RuleDef {
        id: "CAT-STRATEGIC",
        name_zh: "重大战略任务",
        clause: "NT10 二(一)1",
        phase: Phase::Operation,
        title_zh: "战略任务类平台承担重大战略科技任务",
        applies_to: Scope::OperatingCategory(Category::StrategicTask),
        params: &[STRATEGIC_MIN_MAJOR_TASKS.def()],
        check: rules::market::strategic,
    },
    RuleDef {
        id: "RECT-PROGRESS",
        name_zh: "建设进度",
        clause: "NT10 三(一) 建设进度未达预期",
        phase: Phase::Rectification,
        title_zh: "建设进度未达预期（整改风险）",
        applies_to: Scope::StageOperating,
        params: &[PROGRESS_MIN_COMPLETION.def()],
        check: rules::rectification::progress,
    },
    RuleDef {
        id: "RECT-TRANSFER",
        name_zh: "成果转化",
        clause: "NT10 三(一) 成果转化机制不畅",
        phase: Phase::Rectification,
        title_zh: "成果转化机制不畅（整改风险）",
        applies_to: Scope::StageOperating,
        params: &[],
        check: rules::rectification::transfer,
    },
    RuleDef {
        id: "RECT-DECLINE",
        name_zh: "职能弱化",
        clause: "NT10 三(一) 主要职能弱化萎缩",
        phase: Phase::Rectification,
        title_zh: "主要职能弱化萎缩（整改风险）",
        applies_to: Scope::StageOperating,
        params: &[DECLINE_PERCENT.def()],
        check: rules::rectification::decline,
    },
    RuleDef {
        id: "RECT-GRADE",
        name_zh: "不合格整改",
        clause: "NT10 三(一); 四(二)",
        phase: Phase::Rectification,
        title_zh: "绩效评估不合格须立案整改",
        applies_to: Scope::Operating,
        params: &[],
        check: rules::rectification::grade,
    },
    RuleDef {
        id: "INTEG-BAN",
        name_zh: "科研诚信",
        clause: "JY 新型研发机构 四(四)",
        phase: Phase::Integrity,
        title_zh: "严重科研失信限制期",
        applies_to: Scope::RegistrationOrOperating,
        params: &[BAN_MONTHS.def()],
        check: rules::integrity::ban,
    },
    RuleDef {
        id: "SHARE-INSTRUMENTS",
        name_zh: "仪器开放共享",
        clause: "NT10 二(四)3; LYG 二(五)16",
        phase: Phase::Operation,
        title_zh: "科研仪器设备开放共享",
        applies_to: Scope::Operating,
        params: &[SHARE_MIN_VALUE.def()],
        check: rules::operation::share_instruments,
    },
    RuleDef {
        id: "COBUILD-ELIGIBLE",
        name_zh: "市县共建资格",
        clause: "NT10 三(四)",
        phase: Phase::Operation,
        title_zh: "县级平台纳入市县共建资格",
        applies_to: Scope::Unrestricted,
        params: &[],
        check: rules::operation::cobuild_eligible,
    },
];

/// Every rule, in the order findings are reported.
pub fn rules() -> &'static [RuleDef] {
    &RULES
}

/// The rule with this ID.
pub fn rule(id: &str) -> Option<&'static RuleDef> {
    RULES.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_ORDER: [&str; 23] = [
        "REG-CHARTER",
        "REG-DECISION-BODY",
        "REG-CATEGORY",
        "REG-AGREEMENT-PLAN",
        "OPS-ADVISOR",
        "OPS-CHECKLIST",
        "OPS-STAFF",
        "OPS-ACCEPTANCE",
        "EVAL-FILING",
        "EVAL-MIDYEAR",
        "EVAL-YEAREND",
        "MKT-BREAK-EVEN",
        "MKT-CHANNELS",
        "MKT-OPERATING-COMPANY",
        "CAT-TECH-SERVICE",
        "CAT-STRATEGIC",
        "RECT-PROGRESS",
        "RECT-TRANSFER",
        "RECT-DECLINE",
        "RECT-GRADE",
        "INTEG-BAN",
        "SHARE-INSTRUMENTS",
        "COBUILD-ELIGIBLE",
    ];

    #[test]
    fn rules_are_in_spec_order() {
        let ids: Vec<_> = rules().iter().map(|r| r.id).collect();
        assert_eq!(ids, SPEC_ORDER);
    }

    #[test]
    fn every_rule_has_a_short_chinese_name() {
        let mut seen = std::collections::BTreeSet::new();
        for r in rules() {
            let name = r.name_zh.trim();
            assert!(!name.is_empty(), "{} has no Chinese name", r.id);
            assert!(name.chars().count() <= 8, "{}: {name} is not short", r.id);
            assert!(!name.is_ascii(), "{}: {name} is not Chinese", r.id);
            assert!(
                !name.chars().any(|c| c.is_ascii_alphanumeric()),
                "{}: {name}",
                r.id
            );
            assert!(seen.insert(name), "{name} names two rules");
            assert!(!r.title_zh.trim().is_empty(), "{}", r.id);
        }
    }

    #[test]
    fn typed_params_sit_under_their_rule() {
        for (rule_id, name, _) in ALL_PARAMS {
            let r = rule(rule_id).unwrap_or_else(|| panic!("{rule_id}"));
            assert!(r.params.iter().any(|p| p.name == *name), "{rule_id}.{name}");
        }
    }

    #[test]
    fn catalogue_serialises_for_the_policy_library() {
        let json = serde_json::to_value(rule("MKT-BREAK-EVEN").expect("exists")).expect("ser");
        assert_eq!(
            json,
            serde_json::json!({
                "id": "MKT-BREAK-EVEN", "clause": "NT10 一", "phase": "market", "name_zh": "收支平衡",
                "title_zh": "建设期满后两年左右实现收支平衡", "applies_to": "unrestricted",
                "params": [{"name": "transition_months", "default": 24,
                            "description_zh": "建设期满后实现收支平衡（市场化转型）的期限，单位：月"}]
            })
        );
        let json = serde_json::to_value(rule("EVAL-FILING").expect("exists")).expect("ser");
        assert_eq!(json["params"][0]["default"], "03-31");
        let json = serde_json::to_value(rule("CAT-STRATEGIC").expect("exists")).expect("ser");
        assert_eq!(
            json["applies_to"],
            serde_json::json!({"operating_category": "strategic_task"})
        );
    }
}
