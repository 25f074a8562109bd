//! Operation (运行管理): advisor, checklist, responsible staff, construction acceptance, instrument sharing,
//! city–county co-building.

use super::{Ctx, Outcome, wan};
use crate::domain::calendar::add_months;
use crate::domain::cobuild::{self, Candidate, Eligibility, grade_text};
use crate::domain::compliance::Status;
use crate::domain::compliance::catalogue::{
    ACCEPTANCE_GRACE_MONTHS, ADVISOR_MAX_LOG_GAP_DAYS, SHARE_MIN_VALUE,
};
use crate::domain::compliance::snapshot::Acceptance;

/// OPS-ADVISOR: an advisor is assigned and has logged service within the last [183] days.
pub(crate) fn advisor(c: &Ctx<'_>) -> Outcome {
    let max_gap = c.params.get(&ADVISOR_MAX_LOG_GAP_DAYS).0;
    let p = c.platform;
    let gap = p.last_advisor_log.map(|d| (c.as_of - d).num_days());
    let outcome = match (p.advisor_assigned, p.last_advisor_log, gap) {
        (false, _, _) => Outcome::new(
            Status::Fail,
            "尚未配备产业顾问：请按“一平台一清单一顾问”要求指派产业顾问。",
        ),
        (true, Some(last), Some(days)) if days > i64::from(max_gap) => Outcome::new(
            Status::Warn,
            format!(
                "产业顾问最近一次服务记录为{last}，距今{days}天，超过{max_gap}天：请顾问尽快开展服务并登记服务日志。"
            ),
        ),
        (true, Some(last), Some(days)) => Outcome::new(
            Status::Pass,
            format!("已配备产业顾问，最近一次服务记录为{last}（{days}天前）。"),
        ),
        (true, _, _) => Outcome::new(
            Status::Warn,
            "已配备产业顾问，但尚无服务记录：请顾问开展服务并登记服务日志。",
        ),
    };
    outcome
        .fact("advisor_assigned", p.advisor_assigned)
        .fact("last_advisor_log", p.last_advisor_log)
        .fact("days_since_last_log", gap)
        .fact("max_log_gap_days", max_gap)
}

/// OPS-CHECKLIST: the checklist exists and nothing on it is overdue.
pub(crate) fn checklist(c: &Ctx<'_>) -> Outcome {
    let list = c.platform.checklist;
    let (items, overdue) = (list.items(), list.overdue());
    let outcome = if items == 0 {
        Outcome::new(
            Status::Fail,
            "尚未建立平台任务清单：请按“一平台一清单”要求制定清单并明确责任人和期限。",
        )
    } else if overdue > 0 {
        Outcome::new(
            Status::Warn,
            format!("任务清单共{items}项，其中{overdue}项已逾期：请督促完成或经审批调整期限。"),
        )
    } else {
        Outcome::new(Status::Pass, format!("任务清单共{items}项，无逾期。"))
    };
    outcome.fact("items", items).fact("overdue", overdue)
}

/// OPS-STAFF: responsible staff are assigned.
pub(crate) fn staff(c: &Ctx<'_>) -> Outcome {
    let assigned = c.platform.responsible_staff_assigned;
    let outcome = if assigned {
        Outcome::new(Status::Pass, "已明确专人专班跟进平台建设管理。")
    } else {
        Outcome::new(
            Status::Fail,
            "尚未明确专人专班：请指定科技局业务人员负责跟进平台建设管理。",
        )
    };
    outcome.fact("responsible_staff_assigned", assigned)
}

/// OPS-ACCEPTANCE: once the construction period has ended, the acceptance (JY 新型研发机构 三(四)10) is
/// on file and passed; none after construction end + [6] months warns.
pub(crate) fn acceptance(c: &Ctx<'_>) -> Outcome {
    let p = c.platform;
    let Some(end) = p.construction_end.filter(|end| c.as_of > *end) else {
        let message = match p.construction_end {
            Some(end) => format!("建设期至{end}，尚未期满，暂不要求建设期满验收。"),
            None => "未登记建设期结束日期，暂不检查建设期满验收。".to_owned(),
        };
        return Outcome::new(Status::NotApplicable, message)
            .fact("construction_end", p.construction_end);
    };
    let months = c.params.get(&ACCEPTANCE_GRACE_MONTHS).0;
    let due = add_months(end, i32::try_from(months).unwrap_or(i32::MAX));
    let outcome = match p.acceptance {
        Acceptance::Passed => Outcome::new(
            Status::Pass,
            format!("建设期已于{end}期满，建设期满验收已通过。"),
        ),
        Acceptance::Conditional => Outcome::new(
            Status::Warn,
            format!(
                "建设期已于{end}期满，验收为有条件通过：请按验收意见完成整改，并将整改事项列入任务清单跟踪。"
            ),
        ),
        Acceptance::Failed => Outcome::new(
            Status::Fail,
            format!(
                "建设期已于{end}期满，验收未通过：请按验收意见制定整改措施，明确期限和责任人，整改后重新组织验收。"
            ),
        ),
        Acceptance::None if c.as_of > due => Outcome::new(
            Status::Warn,
            format!(
                "建设期已于{end}期满，超过{months}个月（{due}）仍未登记验收结果：请尽快组织建设期满验收并登记验收结果和验收报告。"
            ),
        ),
        Acceptance::None => Outcome::new(
            Status::Info,
            format!(
                "建设期已于{end}期满，尚未登记验收结果：请在{due}前组织建设期满验收并登记结果。"
            ),
        ),
    };
    outcome
        .fact("construction_end", end)
        .fact("acceptance", p.acceptance)
        .fact("due", due)
        .fact("grace_months", months)
}

/// SHARE-INSTRUMENTS: every instrument worth at least [100000] yuan is open-shared.
pub(crate) fn share_instruments(c: &Ctx<'_>) -> Outcome {
    let min = c.params.get(&SHARE_MIN_VALUE);
    let qualifying: Vec<_> = c
        .platform
        .instruments
        .iter()
        .filter(|i| i.value_yuan >= min)
        .collect();
    let not_shared = qualifying.iter().filter(|i| !i.open_shared).count();
    let threshold = wan(min.get());
    let outcome = if qualifying.is_empty() {
        Outcome::new(
            Status::NotApplicable,
            format!("无单价{threshold}及以上的科研仪器设备，不涉及开放共享要求。"),
        )
    } else if not_shared == 0 {
        Outcome::new(
            Status::Pass,
            format!(
                "单价{threshold}及以上的科研仪器设备{}台（套）均已开放共享。",
                qualifying.len()
            ),
        )
    } else {
        Outcome::new(
            Status::Warn,
            format!(
                "单价{threshold}及以上的科研仪器设备{}台（套）中有{not_shared}台（套）未开放共享：请纳入省科技资源统筹服务云平台对外开放共享。",
                qualifying.len()
            ),
        )
    };
    outcome
        .fact("min_value_yuan", min)
        .fact("qualifying", qualifying.len())
        .fact("not_shared", not_shared)
}

/// COBUILD-ELIGIBLE: a county platform whose first support period has ended is eligible for city–county
/// co-building when operating with the last two grades excellent or good (information only). The definition
/// is [`cobuild::eligibility`], shared with the admission page.
pub(crate) fn cobuild_eligible(c: &Ctx<'_>) -> Outcome {
    let p = c.platform;
    let (prev, last) = (c.last - 1, c.last);
    let prev_grade = c.record(prev).and_then(|r| r.grade);
    let last_grade = c.record(last).and_then(|r| r.grade);
    let candidate = Candidate {
        level: p.level,
        stage: p.stage,
        first_support_end: p.first_support_end,
        previous_grade: prev_grade,
        last_grade,
    };
    let eligibility = cobuild::eligibility(&candidate, c.as_of);
    let (support_end, operating) = match eligibility {
        Eligibility::NotCounty => {
            return Outcome::new(
                Status::NotApplicable,
                format!("仅适用于县级平台；该平台为{}平台。", p.level.label_zh()),
            )
            .fact("level", p.level);
        }
        Eligibility::SupportNotEnded { first_support_end } => {
            let message = match first_support_end {
                Some(end) => format!("首轮支持期至{end}，尚未结束。"),
                None => "未登记首轮支持期结束日期，暂不评估市县共建资格。".to_owned(),
            };
            return Outcome::new(Status::NotApplicable, message)
                .fact("first_support_end", first_support_end);
        }
        Eligibility::Assessed {
            support_end,
            operating,
            ..
        } => (support_end, operating),
    };
    let eligible = eligibility.is_eligible();
    let grades = format!(
        "{prev}、{last}年度绩效评估分别为{}、{}",
        grade_text(prev_grade),
        grade_text(last_grade)
    );
    let message = if eligible {
        format!(
            "首轮支持期已于{support_end}结束，{grades}，符合条件，可提请纳入市级支持、市县共建。"
        )
    } else {
        let stage = if operating {
            String::new()
        } else {
            format!("当前处于{}阶段，", p.stage.label_zh())
        };
        format!(
            "首轮支持期已于{support_end}结束；{stage}{grades}，暂不符合纳入市县共建的条件（须处于运行中且近两年均为优秀或良好）。"
        )
    };
    Outcome::new(Status::Info, message)
        .fact("eligible", eligible)
        .fact("first_support_end", support_end)
        .fact("stage", p.stage)
        .fact("previous_grade", prev_grade)
        .fact("last_grade", last_grade)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use serde_json::json;

    use crate::domain::compliance::Status;
    use crate::domain::compliance::snapshot::{Acceptance, Checklist, Grade, Instrument};
    use crate::domain::compliance::test_support::*;
    use crate::domain::platform::{Level, Stage};

    #[test]
    fn advisor_must_be_assigned() {
        let mut s = healthy();
        s.platform.advisor_assigned = false;
        assert_eq!(status(&s, "OPS-ADVISOR"), Status::Fail);
    }

    #[test]
    fn advisor_without_log_warns() {
        let mut s = healthy();
        s.platform.last_advisor_log = None;
        assert_eq!(status(&s, "OPS-ADVISOR"), Status::Warn);
    }

    #[test]
    fn advisor_log_183_days_old_passes_184_warns() {
        let mut s = healthy();
        s.platform.last_advisor_log = Some(s.as_of - Duration::days(183));
        let f = finding(&s, "OPS-ADVISOR");
        assert_eq!(f.status, Status::Pass);
        assert_eq!(f.facts["days_since_last_log"], json!(183));
        s.platform.last_advisor_log = Some(s.as_of - Duration::days(184));
        let f = finding(&s, "OPS-ADVISOR");
        assert_eq!(f.status, Status::Warn);
        assert!(f.message.contains("184天"));
    }

    #[test]
    fn advisor_gap_is_a_parameter() {
        let mut s = healthy();
        s.platform.last_advisor_log = Some(s.as_of - Duration::days(31));
        assert_eq!(status(&s, "OPS-ADVISOR"), Status::Pass);
        set_param(&mut s, "OPS-ADVISOR.max_log_gap_days", json!(30));
        assert_eq!(status(&s, "OPS-ADVISOR"), Status::Warn);
    }

    #[test]
    fn operating_rules_do_not_apply_in_registration() {
        let mut s = healthy();
        s.platform.stage = Stage::Registration;
        s.platform.advisor_assigned = false;
        for rule in [
            "OPS-ADVISOR",
            "OPS-CHECKLIST",
            "OPS-STAFF",
            "SHARE-INSTRUMENTS",
        ] {
            assert_eq!(status(&s, rule), Status::NotApplicable, "{rule}");
        }
        s.platform.stage = Stage::Rectifying;
        assert_eq!(status(&s, "OPS-ADVISOR"), Status::Fail);
    }

    #[test]
    fn checklist_empty_fails_overdue_warns() {
        let mut s = healthy();
        assert_eq!(status(&s, "OPS-CHECKLIST"), Status::Pass);
        s.platform.checklist = Checklist::new(6, 1).expect("valid");
        assert_eq!(status(&s, "OPS-CHECKLIST"), Status::Warn);
        s.platform.checklist = Checklist::new(0, 0).expect("valid");
        assert_eq!(status(&s, "OPS-CHECKLIST"), Status::Fail);
    }

    #[test]
    fn staff_must_be_assigned() {
        let mut s = healthy();
        assert_eq!(status(&s, "OPS-STAFF"), Status::Pass);
        s.platform.responsible_staff_assigned = false;
        assert_eq!(status(&s, "OPS-STAFF"), Status::Fail);
    }

    fn instrument(value: i64, open_shared: bool) -> Instrument {
        Instrument {
            value_yuan: yuan(value),
            open_shared,
        }
    }

    #[test]
    fn instruments_below_threshold_are_not_applicable() {
        let mut s = healthy();
        s.platform.instruments = vec![instrument(99_999, false)];
        assert_eq!(status(&s, "SHARE-INSTRUMENTS"), Status::NotApplicable);
        s.platform.instruments = vec![];
        assert_eq!(status(&s, "SHARE-INSTRUMENTS"), Status::NotApplicable);
    }

    #[test]
    fn instrument_at_threshold_must_be_shared() {
        let mut s = healthy();
        s.platform.instruments = vec![instrument(100_000, false), instrument(99_999, false)];
        let f = finding(&s, "SHARE-INSTRUMENTS");
        assert_eq!(f.status, Status::Warn);
        assert_eq!(f.facts["qualifying"], json!(1));
        assert_eq!(f.facts["not_shared"], json!(1));
        s.platform.instruments = vec![instrument(100_000, true), instrument(99_999, false)];
        assert_eq!(status(&s, "SHARE-INSTRUMENTS"), Status::Pass);
        set_param(&mut s, "SHARE-INSTRUMENTS.min_value_yuan", json!(50_000));
        assert_eq!(status(&s, "SHARE-INSTRUMENTS"), Status::Warn);
    }

    fn county(first_support_end: &str) -> crate::domain::compliance::Snapshot {
        let mut s = healthy();
        s.platform.level = Level::County;
        s.platform.first_support_end = Some(d(first_support_end));
        s
    }

    #[test]
    fn cobuild_only_for_county_platforms() {
        let mut s = county("2025-12-31");
        s.platform.level = Level::City;
        assert_eq!(status(&s, "COBUILD-ELIGIBLE"), Status::NotApplicable);
        s.platform.level = Level::CityCounty;
        assert_eq!(status(&s, "COBUILD-ELIGIBLE"), Status::NotApplicable);
        s.platform.level = Level::County;
        s.platform.first_support_end = None;
        assert_eq!(status(&s, "COBUILD-ELIGIBLE"), Status::NotApplicable);
    }

    #[test]
    fn cobuild_applies_from_the_end_of_first_support() {
        let s = county("2026-11-22");
        assert_eq!(status(&s, "COBUILD-ELIGIBLE"), Status::NotApplicable);
        let s = county("2026-11-21");
        let f = finding(&s, "COBUILD-ELIGIBLE");
        assert_eq!(f.status, Status::Info);
        assert_eq!(f.facts["eligible"], json!(true));
        assert_eq!(f.facts["first_support_end"], json!("2026-11-21"));
        assert_eq!(f.facts["last_grade"], json!("good"));
    }

    #[test]
    fn cobuild_eligibility_needs_two_good_grades_and_operating_stage() {
        let mut s = county("2025-06-30");
        edit_year(&mut s, 2024, |r| r.grade = Some(Grade::Excellent));
        assert_eq!(fact(&s, "COBUILD-ELIGIBLE", "eligible"), json!(true));
        edit_year(&mut s, 2024, |r| r.grade = Some(Grade::Pass));
        let f = finding(&s, "COBUILD-ELIGIBLE");
        assert_eq!(f.status, Status::Info);
        assert_eq!(f.facts["eligible"], json!(false));
        assert_eq!(f.facts["previous_grade"], json!("pass"));
        edit_year(&mut s, 2024, |r| r.grade = Some(Grade::Good));
        remove_year(&mut s, 2025);
        assert_eq!(fact(&s, "COBUILD-ELIGIBLE", "eligible"), json!(false));

        let mut s = county("2025-06-30");
        s.platform.stage = Stage::Rectifying;
        let f = finding(&s, "COBUILD-ELIGIBLE");
        assert_eq!(
            (f.status, f.facts["eligible"].clone()),
            (Status::Info, json!(false))
        );
        s.platform.stage = Stage::Registration;
        assert_eq!(fact(&s, "COBUILD-ELIGIBLE", "eligible"), json!(false));
        s.platform.stage = Stage::Merged;
        assert_eq!(status(&s, "COBUILD-ELIGIBLE"), Status::NotApplicable);
    }

    fn accepting(
        as_of: &str,
        end: &str,
        acceptance: Acceptance,
    ) -> crate::domain::compliance::Snapshot {
        let mut s = healthy_as_of(as_of);
        s.platform.construction_end = Some(d(end));
        s.platform.acceptance = acceptance;
        s
    }

    #[test]
    fn acceptance_not_applicable_until_construction_ends() {
        let mut s = accepting("2024-06-30", "2024-06-30", Acceptance::Failed);
        let f = finding(&s, "OPS-ACCEPTANCE");
        assert_eq!(f.status, Status::NotApplicable);
        assert!(f.message.contains("尚未期满"), "{}", f.message);
        s.as_of = d("2024-07-01");
        assert_eq!(status(&s, "OPS-ACCEPTANCE"), Status::Fail);
        s.platform.construction_end = None;
        assert_eq!(status(&s, "OPS-ACCEPTANCE"), Status::NotApplicable);
    }

    #[test]
    fn acceptance_results_pass_warn_fail() {
        let s = accepting("2026-11-21", "2024-06-30", Acceptance::Passed);
        assert_eq!(status(&s, "OPS-ACCEPTANCE"), Status::Pass);
        let s = accepting("2026-11-21", "2024-06-30", Acceptance::Conditional);
        let f = finding(&s, "OPS-ACCEPTANCE");
        assert_eq!(f.status, Status::Warn);
        assert!(f.message.contains("整改"), "{}", f.message);
        let s = accepting("2026-11-21", "2024-06-30", Acceptance::Failed);
        let f = finding(&s, "OPS-ACCEPTANCE");
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("重新组织验收"), "{}", f.message);
        assert_eq!(f.facts["acceptance"], json!("failed"));
    }

    #[test]
    fn acceptance_missing_is_info_for_six_months_then_warns() {
        // The day after construction end: still within the grace period.
        let mut s = accepting("2025-07-01", "2025-06-30", Acceptance::None);
        let f = finding(&s, "OPS-ACCEPTANCE");
        assert_eq!(f.status, Status::Info);
        assert_eq!(f.facts["due"], json!("2025-12-30"));
        // construction_end + 6 months: the last day of the grace period.
        s.as_of = d("2025-12-30");
        assert_eq!(status(&s, "OPS-ACCEPTANCE"), Status::Info);
        // One day later: overdue.
        s.as_of = d("2025-12-31");
        let f = finding(&s, "OPS-ACCEPTANCE");
        assert_eq!(f.status, Status::Warn);
        assert!(f.message.contains("组织建设期满验收"), "{}", f.message);
    }

    #[test]
    fn acceptance_grace_clamps_to_month_end() {
        // 2025-08-31 + 6 months = 2026-02-28.
        let mut s = accepting("2026-02-28", "2025-08-31", Acceptance::None);
        let f = finding(&s, "OPS-ACCEPTANCE");
        assert_eq!(f.status, Status::Info);
        assert_eq!(f.facts["due"], json!("2026-02-28"));
        s.as_of = d("2026-03-01");
        assert_eq!(status(&s, "OPS-ACCEPTANCE"), Status::Warn);
    }

    #[test]
    fn acceptance_grace_is_a_parameter_and_needs_operating_stage() {
        let mut s = accepting("2025-09-01", "2025-06-30", Acceptance::None);
        assert_eq!(status(&s, "OPS-ACCEPTANCE"), Status::Info);
        set_param(&mut s, "OPS-ACCEPTANCE.grace_months", json!(2));
        assert_eq!(status(&s, "OPS-ACCEPTANCE"), Status::Warn);
        s.platform.stage = Stage::Registration;
        assert_eq!(status(&s, "OPS-ACCEPTANCE"), Status::NotApplicable);
        s.platform.stage = Stage::Rectifying;
        assert_eq!(status(&s, "OPS-ACCEPTANCE"), Status::Warn);
    }
}
