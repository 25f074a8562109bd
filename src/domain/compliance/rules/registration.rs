//! Registration (设立登记): charter, decision body, category, agreement and plan.

use super::{Ctx, Outcome};
use crate::domain::compliance::Status;
use crate::domain::compliance::catalogue::DECISION_BODY_MIN_MEMBERS;
use crate::domain::compliance::snapshot::Charter;
use crate::domain::platform::DecisionBody;

/// REG-CHARTER: the charter is approved.
pub(crate) fn charter(c: &Ctx<'_>) -> Outcome {
    let charter = c.platform.charter;
    let outcome = match charter {
        Charter::Approved => Outcome::new(Status::Pass, "章程已审批。"),
        Charter::Draft => Outcome::new(
            Status::Fail,
            "章程尚为草案、未经审批：请完成章程审议程序并上传批准后的章程。",
        ),
        Charter::None => Outcome::new(
            Status::Fail,
            "尚未制定章程：请指导平台制定章程，经审批后上传。",
        ),
    };
    outcome.fact("charter", charter)
}

fn describe(body: &DecisionBody) -> String {
    format!(
        "{}{}人、{}",
        body.kind.label_zh(),
        body.members,
        if body.has_chair {
            "设负责人"
        } else {
            "未设负责人"
        }
    )
}

/// REG-DECISION-BODY: some decision body has at least [3] members and a chair.
pub(crate) fn decision_body(c: &Ctx<'_>) -> Outcome {
    let min = c.params.get(&DECISION_BODY_MIN_MEMBERS).0;
    let bodies = &c.platform.decision_bodies;
    let qualifying = bodies.iter().find(|b| b.qualifies(min));
    let outcome = match qualifying {
        Some(body) => Outcome::new(
            Status::Pass,
            format!("已组建决策机构（{}），符合要求。", describe(body)),
        ),
        None if bodies.is_empty() => Outcome::new(
            Status::Fail,
            format!(
                "尚未组建理事会、董事会或管委会等决策机构：请组建成员不少于{min}人并设负责人的决策机构。"
            ),
        ),
        None => {
            let list: Vec<String> = bodies.iter().map(describe).collect();
            Outcome::new(
                Status::Fail,
                format!(
                    "现有决策机构（{}）均不满足成员不少于{min}人且设负责人的要求：请补足成员或明确负责人。",
                    list.join("；")
                ),
            )
        }
    };
    outcome
        .fact("min_members", min)
        .fact("bodies", bodies.len())
        .fact("qualifying_body", qualifying.map(|b| b.kind))
}

/// REG-CATEGORY: the category is set.
pub(crate) fn category(c: &Ctx<'_>) -> Outcome {
    let category = c.platform.category;
    let outcome = match category {
        Some(cat) => Outcome::new(Status::Pass, format!("平台类别为{}。", cat.label_zh())),
        None => Outcome::new(
            Status::Fail,
            "尚未确定平台类别：请在战略任务类、产业转化类、技术服务类、其他平台类中明确功能定位。",
        ),
    };
    outcome.fact("category", category)
}

/// REG-AGREEMENT-PLAN: co-building agreement and construction plan are both on file.
pub(crate) fn agreement_plan(c: &Ctx<'_>) -> Outcome {
    let p = c.platform;
    let missing: Vec<&str> = [
        (p.co_building_agreement, "共建协议"),
        (p.construction_plan, "建设方案"),
    ]
    .iter()
    .filter(|(on_file, _)| !on_file)
    .map(|(_, name)| *name)
    .collect();
    let outcome = if missing.is_empty() {
        Outcome::new(Status::Pass, "共建协议和建设方案均已备案。")
    } else {
        Outcome::new(
            Status::Fail,
            format!("缺少{}：请上传后备案。", missing.join("和")),
        )
    };
    outcome
        .fact("co_building_agreement", p.co_building_agreement)
        .fact("construction_plan", p.construction_plan)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::domain::compliance::Status;
    use crate::domain::compliance::snapshot::Charter;
    use crate::domain::compliance::test_support::*;
    use crate::domain::platform::{Category, DecisionBody, DecisionBodyKind, Stage};

    fn body(kind: DecisionBodyKind, members: u32, has_chair: bool) -> DecisionBody {
        DecisionBody {
            kind,
            members,
            has_chair,
        }
    }

    #[test]
    fn charter_must_be_approved() {
        let mut s = healthy();
        assert_eq!(status(&s, "REG-CHARTER"), Status::Pass);
        s.platform.charter = Charter::Draft;
        let f = finding(&s, "REG-CHARTER");
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("草案"));
        assert_eq!(f.facts["charter"], json!("draft"));
        s.platform.charter = Charter::None;
        assert_eq!(status(&s, "REG-CHARTER"), Status::Fail);
    }

    #[test]
    fn registration_rules_apply_in_registration_and_rectifying_stages() {
        for stage in [Stage::Registration, Stage::Operating, Stage::Rectifying] {
            let mut s = healthy();
            s.platform.stage = stage;
            s.platform.charter = Charter::Draft;
            assert_eq!(status(&s, "REG-CHARTER"), Status::Fail, "{stage}");
        }
    }

    #[test]
    fn decision_body_needs_three_members_and_a_chair() {
        let mut s = healthy();
        let cases = [
            (vec![body(DecisionBodyKind::Board, 3, true)], Status::Pass),
            (vec![body(DecisionBodyKind::Board, 2, true)], Status::Fail),
            (
                vec![body(DecisionBodyKind::Council, 9, false)],
                Status::Fail,
            ),
            (vec![], Status::Fail),
            (
                vec![
                    body(DecisionBodyKind::Board, 2, true),
                    body(DecisionBodyKind::ManagementCommittee, 5, true),
                ],
                Status::Pass,
            ),
        ];
        for (bodies, expected) in cases {
            s.platform.decision_bodies = bodies.clone();
            assert_eq!(status(&s, "REG-DECISION-BODY"), expected, "{bodies:?}");
        }
        s.platform.decision_bodies = vec![];
        assert!(
            finding(&s, "REG-DECISION-BODY")
                .message
                .contains("尚未组建")
        );
    }

    #[test]
    fn decision_body_minimum_is_a_parameter() {
        let mut s = healthy();
        s.platform.decision_bodies = vec![body(DecisionBodyKind::Board, 4, true)];
        assert_eq!(status(&s, "REG-DECISION-BODY"), Status::Pass);
        set_param(&mut s, "REG-DECISION-BODY.min_members", json!(5));
        let f = finding(&s, "REG-DECISION-BODY");
        assert_eq!(f.status, Status::Fail);
        assert_eq!(f.facts["min_members"], json!(5));
        assert!(f.message.contains("董事会4人"));
    }

    #[test]
    fn category_must_be_set() {
        let mut s = healthy();
        assert_eq!(status(&s, "REG-CATEGORY"), Status::Pass);
        s.platform.category = None;
        assert_eq!(status(&s, "REG-CATEGORY"), Status::Fail);
        s.platform.category = Some(Category::Other);
        assert_eq!(status(&s, "REG-CATEGORY"), Status::Pass);
    }

    #[test]
    fn agreement_and_plan_both_on_file() {
        let mut s = healthy();
        assert_eq!(status(&s, "REG-AGREEMENT-PLAN"), Status::Pass);
        s.platform.construction_plan = false;
        let f = finding(&s, "REG-AGREEMENT-PLAN");
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("建设方案") && !f.message.contains("共建协议"));
        s.platform.co_building_agreement = false;
        assert!(
            finding(&s, "REG-AGREEMENT-PLAN")
                .message
                .contains("共建协议和建设方案")
        );
    }
}
