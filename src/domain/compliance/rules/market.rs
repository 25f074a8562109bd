//! Market transformation (NT10 一, 二): break-even, revenue channels, operating company, category-specific duties.

use super::{Ctx, Outcome, missing_year, percent_text, ratio4, wan};
use crate::domain::compliance::Status;
use crate::domain::compliance::catalogue::{
    BREAK_EVEN_TRANSITION_MONTHS, CHANNELS_MAX_SHARE_PERCENT, CHANNELS_MIN,
    STRATEGIC_MIN_MAJOR_TASKS, TECH_SERVICE_MIN_PERCENT,
};
use crate::domain::compliance::snapshot::OperatingMode;
use crate::domain::transformation::{is_break_even, self_sufficiency, transformation_deadline};

/// MKT-BREAK-EVEN: from construction end + [24] months, self-generated income covers expenditure.
pub(crate) fn break_even(c: &Ctx<'_>) -> Outcome {
    let Some(end) = c.platform.construction_end.filter(|end| c.as_of > *end) else {
        let message = match c.platform.construction_end {
            Some(end) => format!("建设期至{end}，尚未期满，暂不考核收支平衡。"),
            None => "未登记建设期结束日期，暂不考核收支平衡。".to_owned(),
        };
        return Outcome::new(Status::NotApplicable, message)
            .fact("construction_end", c.platform.construction_end);
    };
    let months = c.params.get(&BREAK_EVEN_TRANSITION_MONTHS);
    let deadline = transformation_deadline(end, months);
    let months = months.0;
    let with_dates = |o: Outcome| {
        o.fact("year", c.last)
            .fact("construction_end", end)
            .fact("deadline", deadline)
    };
    let Some(record) = c.record(c.last) else {
        return with_dates(missing_year(c.last));
    };
    let (income, spent) = (record.revenue.self_generated(), record.expenditure.get());
    if spent == 0 {
        return with_dates(Outcome::new(
            Status::InsufficientData,
            format!(
                "{}年度支出为0，无法计算收支比：请核实并补录该年度支出。",
                c.last
            ),
        ))
        .fact("self_income_yuan", income)
        .fact("expenditure_yuan", spent);
    }
    let figures = format!(
        "{}年度自主收入（不含财政补助）{}，支出{}，收支比{}",
        c.last,
        wan(income),
        wan(spent),
        percent_text(income, spent)
    );
    let outcome = if is_break_even(income, spent) {
        Outcome::new(Status::Pass, format!("{figures}，已实现收支平衡。"))
    } else if c.as_of > deadline {
        Outcome::new(
            Status::Fail,
            format!(
                "{figures}；建设期满后{months}个月的转型期限{deadline}已过，仍未实现收支平衡：请拓展多元化收入渠道、压降支出，并评估是否列入整改。"
            ),
        )
    } else {
        Outcome::new(
            Status::Warn,
            format!(
                "{figures}，尚未实现收支平衡：须在{deadline}前完成市场化转型、实现收支平衡，请拓展多元化收入渠道。"
            ),
        )
    };
    with_dates(outcome)
        .fact("self_income_yuan", income)
        .fact("expenditure_yuan", spent)
        .fact(
            "ratio",
            self_sufficiency(income, spent).map(|r| (r * 10_000.0).round() / 10_000.0),
        )
}

/// MKT-CHANNELS: at least [3] channels earn income and the largest is at most [70]% of self-generated income.
pub(crate) fn channels(c: &Ctx<'_>) -> Outcome {
    let Some(record) = c.record(c.last) else {
        return missing_year(c.last);
    };
    let min_channels = c.params.get(&CHANNELS_MIN).0;
    let max_percent = c.params.get(&CHANNELS_MAX_SHARE_PERCENT).0;
    let income = record.revenue.self_generated();
    let channels = record.revenue.channels();
    let active = channels.iter().filter(|(_, y)| !y.is_zero()).count();
    // The first channel with the highest income.
    let largest = channels.iter().rev().max_by_key(|(_, y)| *y).copied();
    let largest_amount = largest.map_or(0, |(_, y)| y.get());
    let enough_channels = active >= min_channels as usize;
    let balanced = largest_amount * 100 <= i64::from(max_percent) * income;

    let mut problems = Vec::new();
    if !enough_channels {
        problems.push(format!(
            "有收入的渠道仅{active}个（应不少于{min_channels}个）"
        ));
    }
    if !balanced && let Some((channel, amount)) = largest {
        problems.push(format!(
            "最大渠道“{}”占自主收入的{}（应不超过{max_percent}%）",
            channel.label_zh(),
            percent_text(amount.get(), income)
        ));
    }
    let outcome = if problems.is_empty() {
        Outcome::new(
            Status::Pass,
            format!("{}年度有收入的渠道{active}个，收入结构较为均衡。", c.last),
        )
    } else {
        Outcome::new(
            Status::Warn,
            format!(
                "{}年度{}：请拓展服务订单、技术合同、技术成果转化、政府科研项目、孵化企业收益反哺等多元化收入渠道。",
                c.last,
                problems.join("，")
            ),
        )
    };
    outcome
        .fact("year", c.last)
        .fact("active_channels", active)
        .fact("min_channels", min_channels)
        .fact(
            "largest_channel",
            largest.filter(|_| income > 0).map(|(ch, _)| ch),
        )
        .fact("largest_share", ratio4(largest_amount, income))
        .fact("max_channel_percent", max_percent)
        .fact("self_income_yuan", income)
}

/// MKT-OPERATING-COMPANY: the `operating_company` mode is chosen and the company is on file.
pub(crate) fn operating_company(c: &Ctx<'_>) -> Outcome {
    let p = c.platform;
    let mode = p.operating_modes.contains(&OperatingMode::OperatingCompany);
    let company = p.operating_company.as_ref();
    let outcome = match (mode, company) {
        (true, Some(co)) => {
            let control = if co.mgmt_cash_controlling {
                "管理层和核心骨干以货币出资控股"
            } else {
                "管理层尚未以货币出资控股，鼓励推动管理层和核心骨干货币出资控股"
            };
            Outcome::new(
                Status::Pass,
                format!(
                    "已实行“平台+运营管理公司”模式（统一社会信用代码{}），{control}。",
                    co.uscc
                ),
            )
        }
        (true, None) => Outcome::new(
            Status::Warn,
            "已选择“平台+运营管理公司”模式，但未登记运营管理公司：请补录公司信息（含统一社会信用代码）。",
        ),
        (false, Some(_)) => Outcome::new(
            Status::Warn,
            "已登记运营管理公司，但运营模式中未选择“平台+运营管理公司”：请核实并更新运营模式。",
        ),
        (false, None) => Outcome::new(
            Status::Warn,
            "未实行“平台+运营管理公司”模式：鼓励设立多元投资的运营管理公司，实行企业化运营管理。",
        ),
    };
    outcome
        .fact("mode_selected", mode)
        .fact("company_on_file", company.is_some())
        .fact(
            "mgmt_cash_controlling",
            company.map(|co| co.mgmt_cash_controlling),
        )
}

/// CAT-TECH-SERVICE: service orders and technology contracts are at least [50]% of self-generated income.
pub(crate) fn tech_service(c: &Ctx<'_>) -> Outcome {
    let Some(record) = c.record(c.last) else {
        return missing_year(c.last);
    };
    let min_percent = c.params.get(&TECH_SERVICE_MIN_PERCENT).0;
    let income = record.revenue.self_generated();
    let service = record.revenue.service_orders.get() + record.revenue.tech_contracts.get();
    let outcome = if income == 0 {
        Outcome::new(
            Status::Warn,
            format!(
                "{}年度无自主收入：技术服务类平台应以公共技术服务为主营业务，请通过技术开发、转让、咨询、服务等方式承接服务订单和技术合同。",
                c.last
            ),
        )
    } else if service * 100 >= i64::from(min_percent) * income {
        Outcome::new(
            Status::Pass,
            format!(
                "{}年度服务订单与技术合同收入{}，占自主收入的{}。",
                c.last,
                wan(service),
                percent_text(service, income)
            ),
        )
    } else {
        Outcome::new(
            Status::Warn,
            format!(
                "{}年度服务订单与技术合同收入{}，仅占自主收入的{}（应不低于{min_percent}%）：技术服务类平台应以公共技术服务为主营业务，请扩大技术服务供给。",
                c.last,
                wan(service),
                percent_text(service, income)
            ),
        )
    };
    outcome
        .fact("year", c.last)
        .fact("service_income_yuan", service)
        .fact("self_income_yuan", income)
        .fact("share", ratio4(service, income))
        .fact("min_service_percent", min_percent)
}

/// CAT-STRATEGIC: at least [1] national or provincial major task last year.
pub(crate) fn strategic(c: &Ctx<'_>) -> Outcome {
    let Some(record) = c.record(c.last) else {
        return missing_year(c.last);
    };
    let min = c.params.get(&STRATEGIC_MIN_MAJOR_TASKS).0;
    let tasks = record.major_tasks;
    let outcome = if tasks >= min {
        Outcome::new(
            Status::Pass,
            format!("{}年度承担国家、省重大任务{tasks}项。", c.last),
        )
    } else {
        Outcome::new(
            Status::Warn,
            format!(
                "{}年度承担国家、省重大任务{tasks}项（应不少于{min}项）：战略任务类平台应以承担国家、省重大战略科技任务为目的，请积极争取重大任务。",
                c.last
            ),
        )
    };
    outcome
        .fact("year", c.last)
        .fact("major_tasks", tasks)
        .fact("min_major_tasks", min)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::domain::compliance::Status;
    use crate::domain::compliance::snapshot::{OperatingMode, Revenue};
    use crate::domain::compliance::test_support::*;
    use crate::domain::platform::{Category, Stage};

    fn revenue(channels: [i64; 5]) -> Revenue {
        Revenue {
            service_orders: yuan(channels[0]),
            tech_contracts: yuan(channels[1]),
            achievement_transfer: yuan(channels[2]),
            gov_research_projects: yuan(channels[3]),
            incubation_returns: yuan(channels[4]),
            fiscal_subsidy: yuan(9_999_999),
        }
    }

    /// Healthy platform, construction ending `end`, with 2025 income/expenditure as given.
    fn break_even_case(
        as_of: &str,
        end: &str,
        income: i64,
        spent: i64,
    ) -> crate::domain::compliance::Snapshot {
        let mut s = healthy_as_of(as_of);
        s.platform.construction_end = Some(d(end));
        edit_year(&mut s, 2025, |r| {
            r.revenue = revenue([income, 0, 0, 0, 0]);
            r.expenditure = yuan(spent);
        });
        s
    }

    #[test]
    fn break_even_not_applicable_until_construction_ends() {
        let mut s = break_even_case("2026-06-30", "2026-06-30", 1, 2);
        assert_eq!(status(&s, "MKT-BREAK-EVEN"), Status::NotApplicable);
        s.as_of = d("2026-07-01");
        let f = finding(&s, "MKT-BREAK-EVEN");
        assert_eq!(f.status, Status::Warn);
        assert_eq!(f.facts["deadline"], json!("2028-06-30"));
        s.platform.construction_end = None;
        assert_eq!(status(&s, "MKT-BREAK-EVEN"), Status::NotApplicable);
    }

    #[test]
    fn break_even_ratio_exactly_one_passes() {
        let s = break_even_case("2026-11-21", "2020-12-31", 8_000_000, 8_000_000);
        let f = finding(&s, "MKT-BREAK-EVEN");
        assert_eq!(f.status, Status::Pass);
        assert_eq!(f.facts["ratio"], json!(1.0));
        let s = break_even_case("2026-11-21", "2020-12-31", 7_999_999, 8_000_000);
        let f = finding(&s, "MKT-BREAK-EVEN");
        assert_eq!(f.status, Status::Fail);
        // Rounded for display, but the comparison is exact.
        assert_eq!(f.facts["ratio"], json!(1.0));
    }

    #[test]
    fn break_even_deadline_day_warns_the_day_after_fails() {
        // 2024-06-30 + 24 months = 2026-06-30.
        let mut s = break_even_case("2026-06-30", "2024-06-30", 4_550_000, 10_000_000);
        let f = finding(&s, "MKT-BREAK-EVEN");
        assert_eq!(f.status, Status::Warn);
        assert_eq!(f.facts["deadline"], json!("2026-06-30"));
        assert_eq!(f.facts["ratio"], json!(0.455));
        s.as_of = d("2026-07-01");
        assert_eq!(status(&s, "MKT-BREAK-EVEN"), Status::Fail);
    }

    #[test]
    fn break_even_deadline_clamps_to_month_end() {
        // 2024-02-29 + 24 months = 2026-02-28.
        let mut s = break_even_case("2026-02-28", "2024-02-29", 1, 2);
        let f = finding(&s, "MKT-BREAK-EVEN");
        assert_eq!(
            (f.status, f.facts["deadline"].clone()),
            (Status::Warn, json!("2026-02-28"))
        );
        s.as_of = d("2026-03-01");
        assert_eq!(status(&s, "MKT-BREAK-EVEN"), Status::Fail);

        // 2023-08-31 + 24 months = 2025-08-31; with 18 months, 2025-02-28.
        let mut s = break_even_case("2026-11-21", "2023-08-31", 1, 2);
        assert_eq!(fact(&s, "MKT-BREAK-EVEN", "deadline"), json!("2025-08-31"));
        set_param(&mut s, "MKT-BREAK-EVEN.transition_months", json!(18));
        assert_eq!(fact(&s, "MKT-BREAK-EVEN", "deadline"), json!("2025-02-28"));
    }

    #[test]
    fn break_even_transition_is_a_parameter() {
        let mut s = break_even_case("2026-11-21", "2024-06-30", 1, 2);
        assert_eq!(status(&s, "MKT-BREAK-EVEN"), Status::Fail);
        set_param(&mut s, "MKT-BREAK-EVEN.transition_months", json!(36));
        let f = finding(&s, "MKT-BREAK-EVEN");
        assert_eq!(
            (f.status, f.facts["deadline"].clone()),
            (Status::Warn, json!("2027-06-30"))
        );
    }

    #[test]
    fn break_even_needs_last_year_with_expenditure() {
        let mut s = break_even_case("2026-11-21", "2024-06-30", 5, 0);
        let f = finding(&s, "MKT-BREAK-EVEN");
        assert_eq!(f.status, Status::InsufficientData);
        assert_eq!(f.facts["deadline"], json!("2026-06-30"));
        remove_year(&mut s, 2025);
        assert_eq!(status(&s, "MKT-BREAK-EVEN"), Status::InsufficientData);
    }

    #[test]
    fn break_even_excludes_fiscal_subsidy() {
        let s = break_even_case("2026-11-21", "2024-06-30", 1_000, 2_000);
        let f = finding(&s, "MKT-BREAK-EVEN");
        assert_eq!(f.facts["self_income_yuan"], json!(1_000));
        assert_eq!(f.status, Status::Fail);
    }

    #[test]
    fn break_even_follows_its_own_scope() {
        let mut s = break_even_case("2026-11-21", "2024-06-30", 1, 2);
        s.platform.stage = Stage::Registration;
        assert_eq!(status(&s, "MKT-BREAK-EVEN"), Status::Fail);
        s.platform.stage = Stage::Exited;
        assert_eq!(status(&s, "MKT-BREAK-EVEN"), Status::NotApplicable);
    }

    fn channels_case(channels: [i64; 5]) -> crate::domain::compliance::Snapshot {
        let mut s = healthy();
        edit_year(&mut s, 2025, |r| r.revenue = revenue(channels));
        s
    }

    #[test]
    fn channels_three_with_largest_exactly_70_percent_pass() {
        let s = channels_case([700, 200, 100, 0, 0]);
        let f = finding(&s, "MKT-CHANNELS");
        assert_eq!(f.status, Status::Pass);
        assert_eq!(f.facts["active_channels"], json!(3));
        assert_eq!(f.facts["largest_share"], json!(0.7));
        let s = channels_case([701, 199, 100, 0, 0]);
        let f = finding(&s, "MKT-CHANNELS");
        assert_eq!(f.status, Status::Warn);
        assert_eq!(f.facts["largest_channel"], json!("service_orders"));
        assert!(f.message.contains("服务订单"));
    }

    #[test]
    fn channels_fewer_than_three_warn() {
        let f = finding(&channels_case([500, 500, 0, 0, 0]), "MKT-CHANNELS");
        assert_eq!(f.status, Status::Warn);
        assert!(f.message.contains("仅2个"));
        assert_eq!(status(&channels_case([0; 5]), "MKT-CHANNELS"), Status::Warn);
    }

    #[test]
    fn channel_thresholds_are_parameters() {
        let mut s = channels_case([500, 500, 0, 0, 0]);
        set_param(&mut s, "MKT-CHANNELS.min_channels", json!(2));
        assert_eq!(status(&s, "MKT-CHANNELS"), Status::Pass);
        set_param(&mut s, "MKT-CHANNELS.max_channel_percent", json!(49));
        assert_eq!(status(&s, "MKT-CHANNELS"), Status::Warn);
    }

    #[test]
    fn channels_need_last_year() {
        let mut s = healthy();
        remove_year(&mut s, 2025);
        assert_eq!(status(&s, "MKT-CHANNELS"), Status::InsufficientData);
    }

    #[test]
    fn operating_company_needs_mode_and_company() {
        let mut s = healthy();
        let f = finding(&s, "MKT-OPERATING-COMPANY");
        assert_eq!(f.status, Status::Pass);
        assert_eq!(f.facts["mgmt_cash_controlling"], json!(true));

        if let Some(co) = s.platform.operating_company.as_mut() {
            co.mgmt_cash_controlling = false;
        }
        let f = finding(&s, "MKT-OPERATING-COMPANY");
        assert_eq!(f.status, Status::Pass);
        assert_eq!(f.facts["mgmt_cash_controlling"], json!(false));
        assert!(f.message.contains("尚未以货币出资控股"));

        s.platform.operating_modes = vec![OperatingMode::JointInnovationCenter];
        assert_eq!(status(&s, "MKT-OPERATING-COMPANY"), Status::Warn);
        s.platform.operating_modes = vec![OperatingMode::OperatingCompany];
        s.platform.operating_company = None;
        let f = finding(&s, "MKT-OPERATING-COMPANY");
        assert_eq!(f.status, Status::Warn);
        assert_eq!(f.facts["mgmt_cash_controlling"], json!(null));
    }

    fn tech_service_case(channels: [i64; 5]) -> crate::domain::compliance::Snapshot {
        let mut s = channels_case(channels);
        s.platform.category = Some(Category::TechnicalService);
        s
    }

    #[test]
    fn tech_service_applies_only_to_that_category() {
        let s = channels_case([0, 0, 1, 0, 0]);
        assert_eq!(status(&s, "CAT-TECH-SERVICE"), Status::NotApplicable);
        let mut s = tech_service_case([0, 0, 1, 0, 0]);
        s.platform.stage = Stage::Registration;
        assert_eq!(status(&s, "CAT-TECH-SERVICE"), Status::NotApplicable);
    }

    #[test]
    fn tech_service_exactly_half_passes() {
        let s = tech_service_case([300, 200, 250, 250, 0]);
        let f = finding(&s, "CAT-TECH-SERVICE");
        assert_eq!(f.status, Status::Pass);
        assert_eq!(f.facts["share"], json!(0.5));
        let s = tech_service_case([300, 199, 251, 250, 0]);
        assert_eq!(status(&s, "CAT-TECH-SERVICE"), Status::Warn);
    }

    #[test]
    fn tech_service_without_income_warns() {
        let s = tech_service_case([0; 5]);
        assert_eq!(status(&s, "CAT-TECH-SERVICE"), Status::Warn);
        let mut s = tech_service_case([1; 5]);
        remove_year(&mut s, 2025);
        assert_eq!(status(&s, "CAT-TECH-SERVICE"), Status::InsufficientData);
    }

    #[test]
    fn strategic_needs_a_major_task() {
        let mut s = healthy();
        assert_eq!(status(&s, "CAT-STRATEGIC"), Status::NotApplicable);
        s.platform.category = Some(Category::StrategicTask);
        edit_year(&mut s, 2025, |r| r.major_tasks = 1);
        assert_eq!(status(&s, "CAT-STRATEGIC"), Status::Pass);
        edit_year(&mut s, 2025, |r| r.major_tasks = 0);
        assert_eq!(status(&s, "CAT-STRATEGIC"), Status::Warn);
        set_param(&mut s, "CAT-STRATEGIC.min_major_tasks", json!(0));
        assert_eq!(status(&s, "CAT-STRATEGIC"), Status::Pass);
        remove_year(&mut s, 2025);
        assert_eq!(status(&s, "CAT-STRATEGIC"), Status::InsufficientData);
    }
}
