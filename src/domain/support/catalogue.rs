//! The programme catalogue: every support programme's ID, pack, clause and parameters, in the order of
//! SUPPORT-RULES.md, with its logic.

use serde::Serialize;

use super::input::{Pack, Recognition};
use super::{Ctx, Outcome, percent_of, wan_zh};
use crate::domain::compliance::params::{Coefficient, Param, ParamDef, Percent};
use crate::domain::compliance::snapshot::Grade;
use crate::domain::money::Yuan;

/// A support programme as data.
#[derive(Debug, Serialize)]
pub struct ProgrammeDef {
    /// Stable ID (`JS-TECH-TRANSFER`).
    pub id: &'static str,
    pub pack: Pack,
    /// Clause citation, as in SUPPORT-RULES.md.
    pub clause: &'static str,
    /// Short Chinese name.
    pub name_zh: &'static str,
    /// Named parameters; keys are `"<id>.<name>"`.
    pub params: &'static [ParamDef],
    #[serde(skip)]
    pub(crate) check: fn(&Ctx<'_>) -> Outcome,
}

/// An amount default; evaluated at compile time.
const fn yuan(amount: i64) -> Yuan {
    match Yuan::new(amount) {
        Ok(y) => y,
        Err(_) => panic!("invalid amount default"),
    }
}

pub const REWARD_EXCELLENT: Param<Yuan> = Param {
    rule: "NT-REWARD",
    name: "excellent_yuan",
    default: yuan(500_000),
    description_zh: "年度绩效评估优秀的奖励金额（元）",
};
pub const REWARD_GOOD: Param<Yuan> = Param {
    rule: "NT-REWARD",
    name: "good_yuan",
    default: yuan(200_000),
    description_zh: "年度绩效评估良好的奖励金额（元）",
};
pub const FUNDING_EXCELLENT: Param<Coefficient> = Param {
    rule: "NT-FUNDING",
    name: "excellent",
    default: Coefficient(1.2),
    description_zh: "评估优秀的后续资金拨付系数",
};
pub const FUNDING_GOOD: Param<Coefficient> = Param {
    rule: "NT-FUNDING",
    name: "good",
    default: Coefficient(1.0),
    description_zh: "评估良好的后续资金拨付系数",
};
pub const FUNDING_PASS: Param<Coefficient> = Param {
    rule: "NT-FUNDING",
    name: "pass",
    default: Coefficient(0.8),
    description_zh: "评估合格的后续资金拨付系数",
};
pub const FUNDING_FAIL: Param<Coefficient> = Param {
    rule: "NT-FUNDING",
    name: "fail",
    default: Coefficient(0.0),
    description_zh: "评估不合格的后续资金拨付系数",
};
pub const JS_POC_AMOUNT: Param<Yuan> = Param {
    rule: "JS-POC-CENTER",
    name: "amount_yuan",
    default: yuan(1_000_000),
    description_zh: "省概念验证中心每家建设经费（元）",
};
pub const JS_TT_PERCENT: Param<Percent> = Param {
    rule: "JS-TECH-TRANSFER",
    name: "percent",
    default: Percent(3),
    description_zh: "社会化技术转移机构按技术交易额给予奖补的比例（%）",
};
pub const JS_TT_CAP: Param<Yuan> = Param {
    rule: "JS-TECH-TRANSFER",
    name: "cap_yuan",
    default: yuan(1_000_000),
    description_zh: "单个社会化技术转移机构奖补上限（元）",
};
pub const JS_PROJECT_MIN: Param<Yuan> = Param {
    rule: "JS-ENTERPRISE-PROJECT",
    name: "min_receipts_yuan",
    default: yuan(3_000_000),
    description_zh: "企业牵头产学研项目纳入省科技计划所需的单个项目实际到账金额（元）",
};
pub const NJ_JOINT_PERCENT: Param<Percent> = Param {
    rule: "NJ-JOINT-RND",
    name: "percent",
    default: Percent(20),
    description_zh: "新型研发机构协同企业联合攻关按新增投入资助的比例（%）",
};
pub const NJ_JOINT_CAP: Param<Yuan> = Param {
    rule: "NJ-JOINT-RND",
    name: "cap_yuan",
    default: yuan(3_000_000),
    description_zh: "协同企业联合攻关资助上限（元）",
};
pub const NJ_PUBLIC_CAP: Param<Yuan> = Param {
    rule: "NJ-PUBLIC-PLATFORM",
    name: "cap_yuan",
    default: yuan(5_000_000),
    description_zh: "牵头建成公共技术服务平台资助上限（元）",
};
pub const NJ_JITRI_CAP: Param<Yuan> = Param {
    rule: "NJ-JITRI-INSTITUTE",
    name: "cap_yuan",
    default: yuan(5_000_000),
    description_zh: "新设省产研院专业所奖励上限（元）",
};
pub const NJ_POC_CAP: Param<Yuan> = Param {
    rule: "NJ-POC-CENTER",
    name: "cap_yuan",
    default: yuan(2_000_000),
    description_zh: "市级概念验证中心按建设投入资助上限（元）",
};
pub const NJ_PILOT_CAP: Param<Yuan> = Param {
    rule: "NJ-PILOT-PLATFORM",
    name: "cap_yuan",
    default: yuan(2_000_000),
    description_zh: "中试平台按建设投入资助上限（元）",
};
pub const NJ_FUND_CAP: Param<Yuan> = Param {
    rule: "NJ-FUND-FIRST-EQUITY",
    name: "cap_yuan",
    default: yuan(1_000_000),
    description_zh: "每项被市场化基金首次股权投资的成果资助上限（元）",
};

static PROGRAMMES: [ProgrammeDef; 11] = [
    ProgrammeDef {
        id: "NT-REWARD",
        pack: Pack::Nt10,
        clause: "NT10 四(二) 择优给予奖励; EVALUATION.md §5",
        name_zh: "年度绩效评估择优奖励",
        params: &[REWARD_EXCELLENT.def(), REWARD_GOOD.def()],
        check: nt_reward,
    },
    ProgrammeDef {
        id: "NT-FUNDING",
        pack: Pack::Nt10,
        clause: "NT10 四(二) 结果作为后续资金拨付依据",
        name_zh: "后续资金拨付系数",
        params: &[
            FUNDING_EXCELLENT.def(),
            FUNDING_GOOD.def(),
            FUNDING_PASS.def(),
            FUNDING_FAIL.def(),
        ],
        check: nt_funding,
    },
    ProgrammeDef {
        id: "JS-POC-CENTER",
        pack: Pack::Js,
        clause: "JS 附件 省概念验证中心建设经费",
        name_zh: "省概念验证中心建设经费",
        params: &[JS_POC_AMOUNT.def()],
        check: js_poc_center,
    },
    ProgrammeDef {
        id: "JS-TECH-TRANSFER",
        pack: Pack::Js,
        clause: "JS 附件 社会化技术转移机构奖补",
        name_zh: "社会化技术转移机构奖补",
        params: &[JS_TT_PERCENT.def(), JS_TT_CAP.def()],
        check: js_tech_transfer,
    },
    ProgrammeDef {
        id: "JS-ENTERPRISE-PROJECT",
        pack: Pack::Js,
        clause: "JS 附件 企业牵头产学研项目纳入省科技计划",
        name_zh: "企业牵头产学研项目纳入省科技计划",
        params: &[JS_PROJECT_MIN.def()],
        check: js_enterprise_project,
    },
    ProgrammeDef {
        id: "NJ-JOINT-RND",
        pack: Pack::Nj,
        clause: "NJ 四13 协同企业联合攻关",
        name_zh: "新型研发机构协同企业联合攻关资助",
        params: &[NJ_JOINT_PERCENT.def(), NJ_JOINT_CAP.def()],
        check: nj_joint_rnd,
    },
    ProgrammeDef {
        id: "NJ-PUBLIC-PLATFORM",
        pack: Pack::Nj,
        clause: "NJ 四13 兼并重组、牵头建成公共技术服务平台",
        name_zh: "牵头建成公共技术服务平台资助",
        params: &[NJ_PUBLIC_CAP.def()],
        check: nj_public_platform,
    },
    ProgrammeDef {
        id: "NJ-JITRI-INSTITUTE",
        pack: Pack::Nj,
        clause: "NJ 四13 新设省产研院专业所",
        name_zh: "新设省产研院专业所奖励",
        params: &[NJ_JITRI_CAP.def()],
        check: nj_jitri_institute,
    },
    ProgrammeDef {
        id: "NJ-POC-CENTER",
        pack: Pack::Nj,
        clause: "NJ 四10 市级概念验证中心",
        name_zh: "市级概念验证中心建设资助",
        params: &[NJ_POC_CAP.def()],
        check: nj_poc_center,
    },
    ProgrammeDef {
        id: "NJ-PILOT-PLATFORM",
        pack: Pack::Nj,
        clause: "NJ 四11 中试平台",
        name_zh: "中试平台建设资助",
        params: &[NJ_PILOT_CAP.def()],
        check: nj_pilot_platform,
    },
    ProgrammeDef {
        id: "NJ-FUND-FIRST-EQUITY",
        pack: Pack::Nj,
        clause: "NJ 四10, 四11 市场化基金首次股权投资的成果",
        name_zh: "市场化基金首次股权投资成果资助",
        params: &[NJ_FUND_CAP.def()],
        check: nj_fund_first_equity,
    },
];

/// Every programme, in SUPPORT-RULES.md order.
pub fn programmes() -> &'static [ProgrammeDef] {
    &PROGRAMMES
}

/// The programme with this ID.
pub fn programme(id: &str) -> Option<&'static ProgrammeDef> {
    PROGRAMMES.iter().find(|p| p.id == id)
}

/// A programme's clause as shown to people: the citation of SUPPORT-RULES.md (the `support` contract), with our
/// own evaluation scheme named as people know it rather than by its specification file.
pub fn clause_zh(clause: &str) -> String {
    clause.replace("EVALUATION.md §5", "本市绩效评估办法")
}

/// "未认定为X": the reason a recognition-gated programme does not apply.
fn not_recognised(r: Recognition) -> Outcome {
    Outcome::not_eligible(format!("平台未获“{}”认定。", r.label_zh())).fact("recognition", r)
}

fn nt_reward(ctx: &Ctx<'_>) -> Outcome {
    let l = ctx.year_l;
    let Some(grade) = ctx.grade_l() else {
        return Outcome::insufficient(format!("{l}年度尚无绩效评估等次，无法确定是否给予奖励。"))
            .fact("year", l);
    };
    let amount = match grade {
        Grade::Excellent => ctx.params.get(&REWARD_EXCELLENT).get(),
        Grade::Good => ctx.params.get(&REWARD_GOOD).get(),
        _ => {
            return Outcome::not_eligible(format!(
                "{l}年度绩效评估等次为{}，奖励仅面向优秀、良好等次。",
                grade.label_zh()
            ))
            .fact("year", l)
            .fact("grade", grade);
        }
    };
    Outcome::eligible(
        Some(amount),
        false,
        format!(
            "{l}年度绩效评估等次为{}，按本市绩效评估办法可获奖励{}。",
            grade.label_zh(),
            wan_zh(amount)
        ),
    )
    .fact("year", l)
    .fact("grade", grade)
}

fn nt_funding(ctx: &Ctx<'_>) -> Outcome {
    let l = ctx.year_l;
    let Some(grade) = ctx.grade_l() else {
        return Outcome::insufficient(format!(
            "{l}年度尚无绩效评估等次，无法确定后续资金拨付系数。"
        ))
        .fact("year", l);
    };
    let coefficient = match grade {
        Grade::Excellent => ctx.params.get(&FUNDING_EXCELLENT),
        Grade::Good => ctx.params.get(&FUNDING_GOOD),
        Grade::Pass => ctx.params.get(&FUNDING_PASS),
        Grade::Fail | Grade::NotEvaluated => ctx.params.get(&FUNDING_FAIL),
    }
    .0;
    let outcome = if grade == Grade::Fail {
        Outcome::not_eligible(format!(
            "{l}年度绩效评估不合格，后续资金拨付系数为{coefficient}。"
        ))
    } else {
        Outcome::eligible(
            None,
            false,
            format!(
                "{l}年度绩效评估等次为{}，后续资金拨付、预算安排按系数{coefficient}确定（金额以预算为准）。",
                grade.label_zh()
            ),
        )
    };
    outcome
        .fact("year", l)
        .fact("grade", grade)
        .fact("coefficient", coefficient)
}

fn js_poc_center(ctx: &Ctx<'_>) -> Outcome {
    let r = Recognition::JsProvincialPocCenter;
    if !ctx.support.has(r) {
        return not_recognised(r);
    }
    let amount = ctx.params.get(&JS_POC_AMOUNT).get();
    Outcome::eligible(
        Some(amount),
        false,
        format!(
            "已认定为省级概念验证中心，省财政给予每家{}建设经费支持。",
            wan_zh(amount)
        ),
    )
    .fact("recognition", r)
}

fn js_tech_transfer(ctx: &Ctx<'_>) -> Outcome {
    let r = Recognition::SocialTechTransferAgency;
    if !ctx.support.has(r) {
        return not_recognised(r);
    }
    let base = ctx.support.tech_transaction_yuan.get();
    if base == 0 {
        return Outcome::insufficient(format!(
            "已认定为社会化技术转移机构，但未登记{}年度技术交易额。",
            ctx.year_l
        ))
        .fact("base_yuan", base);
    }
    let percent = ctx.params.get(&JS_TT_PERCENT).0;
    let cap = ctx.params.get(&JS_TT_CAP).get();
    let computed = percent_of(percent, base);
    let amount = computed.min(cap);
    let capped = if computed > cap {
        format!("，超过单个机构上限，按{}计", wan_zh(cap))
    } else {
        String::new()
    };
    Outcome::eligible(
        Some(amount),
        false,
        format!(
            "{}年度技术交易额{}，按{percent}%可给予奖补{}{capped}。",
            ctx.year_l,
            wan_zh(base),
            wan_zh(computed)
        ),
    )
    .fact("base_yuan", base)
    .fact("percent", percent)
    .fact("cap_yuan", cap)
}

fn js_enterprise_project(ctx: &Ctx<'_>) -> Outcome {
    let min = ctx.params.get(&JS_PROJECT_MIN).get();
    let projects = ctx
        .support
        .enterprise_project_receipts_yuan
        .iter()
        .filter(|y| y.get() >= min)
        .count();
    if projects == 0 {
        return Outcome::not_eligible(format!(
            "没有实际到账{}以上的企业牵头产学研项目。",
            wan_zh(min)
        ))
        .fact("projects", 0)
        .fact("min_receipts_yuan", min);
    }
    Outcome::eligible(
        None,
        false,
        format!(
            "{projects}个企业牵头产学研项目实际到账{}以上，可按程序纳入省科技计划项目（无固定金额）。",
            wan_zh(min)
        ),
    )
    .fact("projects", projects)
    .fact("min_receipts_yuan", min)
}

fn nj_joint_rnd(ctx: &Ctx<'_>) -> Outcome {
    let r = Recognition::NewRndInstitution;
    if !ctx.support.has(r) {
        return not_recognised(r);
    }
    let base = ctx.support.joint_rnd_new_investment_yuan.get();
    if base == 0 {
        return Outcome::insufficient(format!(
            "已认定为新型研发机构，但未登记{}年度协同企业联合攻关新增投入。",
            ctx.year_l
        ))
        .fact("base_yuan", base);
    }
    let percent = ctx.params.get(&NJ_JOINT_PERCENT).0;
    let cap = ctx.params.get(&NJ_JOINT_CAP).get();
    let computed = percent_of(percent, base);
    let amount = computed.min(cap);
    Outcome::eligible(
        Some(amount),
        false,
        format!(
            "{}年度协同企业联合攻关新增投入{}，按{percent}%资助{}（上限{}）。",
            ctx.year_l,
            wan_zh(base),
            wan_zh(amount),
            wan_zh(cap)
        ),
    )
    .fact("base_yuan", base)
    .fact("percent", percent)
    .fact("cap_yuan", cap)
}

/// A recognition worth a fixed ceiling.
fn ceiling(ctx: &Ctx<'_>, r: Recognition, cap: &Param<Yuan>, what: &str) -> Outcome {
    if !ctx.support.has(r) {
        return not_recognised(r);
    }
    let amount = ctx.params.get(cap).get();
    Outcome::eligible(
        Some(amount),
        true,
        format!(
            "{what}，可申请最高{}资助，实际金额经评审确定。",
            wan_zh(amount)
        ),
    )
    .fact("recognition", r)
}

fn nj_public_platform(ctx: &Ctx<'_>) -> Outcome {
    ceiling(
        ctx,
        Recognition::LedPublicServicePlatform,
        &NJ_PUBLIC_CAP,
        "已实质开展兼并重组、牵头建成公共技术服务平台",
    )
}

fn nj_jitri_institute(ctx: &Ctx<'_>) -> Outcome {
    ceiling(
        ctx,
        Recognition::JitriNewInstitute,
        &NJ_JITRI_CAP,
        "已新设省产研院专业研究所",
    )
}

/// A recognition whose ceiling is the build investment, capped.
fn build_investment(ctx: &Ctx<'_>, r: Recognition, invested: Yuan, cap: &Param<Yuan>) -> Outcome {
    if !ctx.support.has(r) {
        return not_recognised(r);
    }
    let base = invested.get();
    if base == 0 {
        return Outcome::insufficient(format!("已认定为{}，但未登记建设投入。", r.label_zh()))
            .fact("base_yuan", base);
    }
    let cap = ctx.params.get(cap).get();
    let amount = base.min(cap);
    Outcome::eligible(
        Some(amount),
        true,
        format!(
            "已认定为{}，建设投入{}，按建设投入可申请最高{}资助（上限{}）。",
            r.label_zh(),
            wan_zh(base),
            wan_zh(amount),
            wan_zh(cap)
        ),
    )
    .fact("base_yuan", base)
    .fact("cap_yuan", cap)
}

fn nj_poc_center(ctx: &Ctx<'_>) -> Outcome {
    build_investment(
        ctx,
        Recognition::NjCityPocCenter,
        ctx.support.poc_build_investment_yuan,
        &NJ_POC_CAP,
    )
}

fn nj_pilot_platform(ctx: &Ctx<'_>) -> Outcome {
    build_investment(
        ctx,
        Recognition::NjPilotPlatform,
        ctx.support.pilot_build_investment_yuan,
        &NJ_PILOT_CAP,
    )
}

fn nj_fund_first_equity(ctx: &Ctx<'_>) -> Outcome {
    let count = ctx.support.fund_first_equity_results;
    let recognised = ctx.support.has(Recognition::NjCityPocCenter)
        || ctx.support.has(Recognition::NjPilotPlatform);
    if !recognised {
        return Outcome::not_eligible("平台未获南京市级概念验证中心或中试平台认定。")
            .fact("results", count);
    }
    if count == 0 {
        return Outcome::not_eligible("没有被市场化基金首次股权投资的成果。").fact("results", 0);
    }
    let cap = ctx.params.get(&NJ_FUND_CAP).get();
    let amount = cap.saturating_mul(i64::from(count));
    Outcome::eligible(
        Some(amount),
        true,
        format!(
            "{count}项成果被市场化基金首次股权投资，每项最高{}，合计最高{}。",
            wan_zh(cap),
            wan_zh(amount)
        ),
    )
    .fact("results", count)
    .fact("cap_yuan", cap)
}

/// Every programme parameter as `(programme, name, default)`, for the consistency test.
#[cfg(test)]
pub(crate) fn all_params() -> Vec<(&'static str, &'static str)> {
    PROGRAMMES
        .iter()
        .flat_map(|p| p.params.iter().map(move |d| (p.id, d.name)))
        .collect()
}
