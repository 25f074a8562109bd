//! The checklist (一平台一清单): the platform's open points — actions from the mid-year review,
//! findings of the policy rules, items staff add by hand — with who may move an item where.
//!
//! Status rules: the operator reports an item done (with evidence of what was done); staff confirm
//! by closing it, or reopen it. Staff may also set any status when editing an item. Progress counts
//! done and closed items.

use chrono::NaiveDate;

use super::calendar::parse_iso_date;
use super::role::Role;
use super::validation::FieldErrors;

code_enum! {
    /// Where an item stands.
    ItemStatus {
        Open = "open" / "待办",
        Done = "done" / "已完成（待确认）",
        Closed = "closed" / "已关闭",
    }
}

impl ItemStatus {
    /// Open items first, then those waiting for staff, then closed ones.
    pub fn rank(self) -> u8 {
        match self {
            ItemStatus::Open => 0,
            ItemStatus::Done => 1,
            ItemStatus::Closed => 2,
        }
    }
}

/// Where an item came from, as stored in `checklist_items.source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Added by staff by hand.
    Manual,
    /// A required action of the mid-year review of that year.
    Midyear(i32),
    /// A finding of a policy rule (POLICY-RULES.md id), at most one open item per rule.
    Rule(String),
    /// A follow-up of the year-end evaluation of that year.
    Evaluation(i32),
    /// Anything else, shown as stored.
    Other(String),
}

impl Source {
    pub fn parse(code: &str) -> Source {
        if code == "manual" {
            return Source::Manual;
        }
        if let Some((kind, rest)) = code.split_once(':') {
            match (kind, rest.parse::<i32>()) {
                ("midyear", Ok(y)) => return Source::Midyear(y),
                ("evaluation", Ok(y)) => return Source::Evaluation(y),
                ("rule", _) if !rest.is_empty() => return Source::Rule(rest.to_owned()),
                _ => {}
            }
        }
        Source::Other(code.to_owned())
    }

    pub fn code(&self) -> String {
        match self {
            Source::Manual => "manual".into(),
            Source::Midyear(y) => format!("midyear:{y}"),
            Source::Rule(id) => format!("rule:{id}"),
            Source::Evaluation(y) => format!("evaluation:{y}"),
            Source::Other(s) => s.clone(),
        }
    }

    /// An item's title as shown: a rule's item is named by the rule (whatever was stored when it
    /// opened, e.g. an old `【RULE-ID】…` title); any other item by its stored title.
    pub fn display_title(&self, stored: &str) -> String {
        match self {
            Source::Rule(id) => match crate::domain::compliance::rule(id) {
                Some(r) => rule_item_title(r),
                None => stored.to_owned(),
            },
            _ => stored.to_owned(),
        }
    }

    pub fn label_zh(&self) -> String {
        match self {
            Source::Manual => "手工添加".into(),
            Source::Midyear(y) => format!("{y}年半年过堂"),
            Source::Rule(id) => match crate::domain::compliance::rule(id) {
                Some(r) => format!("合规规则：{}", r.name_zh),
                None => "合规规则".into(),
            },
            Source::Evaluation(y) => format!("{y}年度评估"),
            Source::Other(s) => s.clone(),
        }
    }
}

/// The title of the item a rule's finding opens: `收支平衡：建设期满后两年左右实现收支平衡`.
pub fn rule_item_title(r: &crate::domain::compliance::RuleDef) -> String {
    if r.name_zh == r.title_zh {
        r.name_zh.to_owned()
    } else {
        format!("{}：{}", r.name_zh, r.title_zh)
    }
}

/// What somebody wants to do with an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Report the item done (operator on their own platform, or staff).
    MarkDone,
    /// Save what was done so far without changing the status.
    UpdateEvidence,
    /// Staff confirm the item is dealt with (or no longer applies).
    Close,
    /// Staff put a done or closed item back on the list.
    Reopen,
    /// Staff edit the item and set its status directly.
    Edit(ItemStatus),
}

/// Why an action is refused, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

fn refuse(msg: &str) -> Result<ItemStatus, Refusal> {
    Err(Refusal(msg.to_owned()))
}

/// The status after `action` by `role` on an item in `status` with `evidence` (as it will be
/// saved), or why not. Data scope (own platform, assigned advisor) is the guard's business.
pub fn check(
    status: ItemStatus,
    action: Action,
    role: Role,
    evidence: &str,
) -> Result<ItemStatus, Refusal> {
    use ItemStatus::*;
    let staff = role == Role::Staff;
    let operator = role == Role::Operator;
    let has_evidence = !evidence.trim().is_empty();
    match action {
        Action::MarkDone | Action::UpdateEvidence if !(staff || operator) => {
            refuse("只有平台填报员或科技局业务人员可以更新清单事项")
        }
        Action::Close | Action::Reopen | Action::Edit(_) if !staff => {
            refuse("只有科技局业务人员可以编辑、关闭或重新打开清单事项")
        }
        Action::MarkDone => match status {
            Open if has_evidence => Ok(Done),
            Open => refuse("标记完成前请填写完成情况或佐证材料"),
            Done => refuse("该事项已标记完成，等待科技局确认"),
            Closed => refuse("该事项已关闭"),
        },
        Action::UpdateEvidence => match status {
            Closed => refuse("该事项已关闭，不能再修改佐证材料"),
            s => Ok(s),
        },
        Action::Close => match status {
            Closed => refuse("该事项已关闭"),
            _ => Ok(Closed),
        },
        Action::Reopen => match status {
            Open => refuse("该事项本就处于待办状态"),
            _ => Ok(Open),
        },
        Action::Edit(Done) if !has_evidence => refuse("标记完成前请填写完成情况或佐证材料"),
        Action::Edit(to) => Ok(to),
    }
}

/// Whether an item is overdue `today`: still open and past its due date.
pub fn is_overdue(status: ItemStatus, due: Option<NaiveDate>, today: NaiveDate) -> bool {
    status == ItemStatus::Open && due.is_some_and(|d| d < today)
}

/// Done and closed items out of all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub completed: usize,
    pub total: usize,
}

impl Progress {
    pub fn of(statuses: impl IntoIterator<Item = ItemStatus>) -> Progress {
        statuses
            .into_iter()
            .fold(Progress::default(), |p, s| Progress {
                completed: p.completed + usize::from(s != ItemStatus::Open),
                total: p.total + 1,
            })
    }

    /// Whole percent, rounded down (0 for an empty list).
    pub fn percent(self) -> usize {
        (self.completed * 100).checked_div(self.total).unwrap_or(0)
    }
}

/// The order of the list: open first, then by due date (none last), then oldest first.
pub fn sort_key(status: ItemStatus, due: Option<NaiveDate>, id: i64) -> (u8, bool, NaiveDate, i64) {
    (
        status.rank(),
        due.is_none(),
        due.unwrap_or(NaiveDate::MAX),
        id,
    )
}

/// An item as typed into the add or edit form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ItemFields {
    pub title: String,
    pub description: String,
    pub owner: String,
    pub due_date: String,
    pub status: String,
    pub evidence: String,
}

/// A checked item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemDraft {
    pub title: String,
    pub description: String,
    pub owner: String,
    pub due_date: Option<NaiveDate>,
    pub status: ItemStatus,
    pub evidence: String,
}

pub const TITLE_MAX: usize = 200;
pub const TEXT_MAX: usize = 2000;
pub const OWNER_MAX: usize = 100;

/// Checks a length in characters; adds the error for `field`.
fn check_len(errors: &mut FieldErrors, field: &'static str, value: &str, max: usize, label: &str) {
    if value.chars().count() > max {
        errors.add(field, format!("{label}不能超过 {max} 个字"));
    }
}

/// A date typed as `YYYY-MM-DD`, or empty.
pub fn parse_due(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    required: bool,
) -> Option<NaiveDate> {
    let v = value.trim();
    if v.is_empty() {
        if required {
            errors.add(field, "请填写完成期限");
        }
        return None;
    }
    let d = parse_iso_date(v);
    if d.is_none() {
        errors.add(field, "日期格式应为 YYYY-MM-DD");
    }
    d
}

impl ItemFields {
    /// Checks every field at once. A new item (`status` empty) is open; owner and due date are
    /// required when `strict` (a review action must have both).
    pub fn validate(&self, strict: bool) -> Result<ItemDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let title = self.title.trim();
        if title.is_empty() {
            errors.add("title", "请填写事项");
        }
        check_len(&mut errors, "title", title, TITLE_MAX, "事项");
        check_len(
            &mut errors,
            "description",
            self.description.trim(),
            TEXT_MAX,
            "说明",
        );
        let owner = self.owner.trim();
        if strict && owner.is_empty() {
            errors.add("owner", "请填写责任人");
        }
        check_len(&mut errors, "owner", owner, OWNER_MAX, "责任人");
        let due_date = parse_due(&mut errors, "due_date", &self.due_date, strict);
        check_len(
            &mut errors,
            "evidence",
            self.evidence.trim(),
            TEXT_MAX,
            "完成情况",
        );
        let status = match self.status.trim() {
            "" => Some(ItemStatus::Open),
            s => ItemStatus::parse(s),
        };
        if status.is_none() {
            errors.add("status", "请选择状态");
        }
        match (errors.is_empty(), status) {
            (true, Some(status)) => Ok(ItemDraft {
                title: title.to_owned(),
                description: self.description.trim().to_owned(),
                owner: owner.to_owned(),
                due_date,
                status,
                evidence: self.evidence.trim().to_owned(),
            }),
            _ => Err(errors),
        }
    }
}

/// A comment, trimmed: 1–2000 characters.
pub fn check_comment(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() {
        Err("请填写意见内容".into())
    } else if t.chars().count() > TEXT_MAX {
        Err(format!("意见不能超过 {TEXT_MAX} 个字"))
    } else {
        Ok(t.to_owned())
    }
}

/// Evidence as typed by the operator: at most 2000 characters.
pub fn check_evidence(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.chars().count() > TEXT_MAX {
        Err(format!("完成情况不能超过 {TEXT_MAX} 个字"))
    } else {
        Ok(t.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::ItemStatus::*;
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_iso_date(s).unwrap()
    }

    #[test]
    fn the_operator_reports_done_with_evidence_and_staff_confirm_or_reopen() {
        assert_eq!(
            check(Open, Action::MarkDone, Role::Operator, "已修订章程"),
            Ok(Done)
        );
        assert!(check(Open, Action::MarkDone, Role::Operator, "  ").is_err());
        assert!(check(Done, Action::MarkDone, Role::Operator, "x").is_err());
        assert_eq!(check(Done, Action::Close, Role::Staff, ""), Ok(Closed));
        assert_eq!(check(Open, Action::Close, Role::Staff, ""), Ok(Closed));
        assert_eq!(check(Done, Action::Reopen, Role::Staff, "x"), Ok(Open));
        assert_eq!(check(Closed, Action::Reopen, Role::Staff, ""), Ok(Open));
        assert!(check(Open, Action::Reopen, Role::Staff, "").is_err());
        assert!(check(Closed, Action::Close, Role::Staff, "").is_err());
    }

    #[test]
    fn only_staff_close_reopen_and_edit() {
        for role in [Role::Operator, Role::Advisor, Role::Leader, Role::Expert] {
            assert!(check(Done, Action::Close, role, "x").is_err());
            assert!(check(Closed, Action::Reopen, role, "x").is_err());
            assert!(check(Open, Action::Edit(Closed), role, "x").is_err());
        }
        for role in [Role::Advisor, Role::Leader, Role::Sysadmin] {
            assert!(check(Open, Action::MarkDone, role, "x").is_err());
            assert!(check(Open, Action::UpdateEvidence, role, "x").is_err());
        }
    }

    #[test]
    fn evidence_can_change_until_the_item_is_closed() {
        assert_eq!(
            check(Open, Action::UpdateEvidence, Role::Operator, ""),
            Ok(Open)
        );
        assert_eq!(
            check(Done, Action::UpdateEvidence, Role::Operator, "x"),
            Ok(Done)
        );
        assert!(check(Closed, Action::UpdateEvidence, Role::Operator, "x").is_err());
    }

    #[test]
    fn staff_edit_sets_any_status_but_done_needs_evidence() {
        assert_eq!(check(Closed, Action::Edit(Open), Role::Staff, ""), Ok(Open));
        assert_eq!(check(Open, Action::Edit(Done), Role::Staff, "x"), Ok(Done));
        assert!(check(Open, Action::Edit(Done), Role::Staff, "").is_err());
    }

    #[test]
    fn only_open_items_past_their_due_date_are_overdue() {
        let today = d("2026-08-10");
        assert!(is_overdue(Open, Some(d("2026-08-09")), today));
        assert!(!is_overdue(Open, Some(d("2026-08-10")), today));
        assert!(!is_overdue(Open, None, today));
        assert!(!is_overdue(Done, Some(d("2026-01-01")), today));
        assert!(!is_overdue(Closed, Some(d("2026-01-01")), today));
    }

    #[test]
    fn progress_counts_done_and_closed() {
        let p = Progress::of([Open, Done, Closed, Open]);
        assert_eq!(
            p,
            Progress {
                completed: 2,
                total: 4
            }
        );
        assert_eq!(p.percent(), 50);
        assert_eq!(Progress::of([]).percent(), 0);
    }

    #[test]
    fn the_list_puts_open_items_first_then_by_due_date() {
        let mut items = [
            (3, Closed, Some(d("2026-01-01"))),
            (2, Open, None),
            (1, Open, Some(d("2026-09-01"))),
            (4, Done, Some(d("2026-02-01"))),
            (5, Open, Some(d("2026-03-01"))),
        ];
        items.sort_by_key(|(id, s, due)| sort_key(*s, *due, *id));
        let ids: Vec<i64> = items.iter().map(|(id, _, _)| *id).collect();
        assert_eq!(ids, vec![5, 1, 2, 4, 3]);
    }

    #[test]
    fn sources_round_trip_and_read_in_chinese() {
        for code in [
            "manual",
            "midyear:2026",
            "rule:OPS-ADVISOR",
            "evaluation:2025",
            "other",
        ] {
            assert_eq!(Source::parse(code).code(), code);
        }
        assert_eq!(Source::parse("midyear:2026"), Source::Midyear(2026));
        assert_eq!(Source::parse("midyear:2026").label_zh(), "2026年半年过堂");
        assert_eq!(Source::parse("rule:X").label_zh(), "合规规则");
        assert_eq!(
            Source::parse("rule:OPS-ADVISOR").label_zh(),
            "合规规则：产业顾问"
        );
        assert_eq!(
            Source::parse("rule:OPS-CHECKLIST").display_title("【OPS-CHECKLIST】一平台一清单"),
            "一平台一清单"
        );
        assert_eq!(Source::Manual.display_title("修订章程"), "修订章程");
        for r in crate::domain::compliance::rules() {
            let t = Source::Rule(r.id.into()).display_title("x");
            assert!(!t.contains(r.id) && t.starts_with(r.name_zh), "{t}");
        }
        assert_eq!(
            Source::parse("midyear:x"),
            Source::Other("midyear:x".into())
        );
        assert_eq!(Source::parse("rule:"), Source::Other("rule:".into()));
    }

    #[test]
    fn the_form_reports_every_bad_field_at_once() {
        let f = ItemFields {
            title: " ".into(),
            description: "说".repeat(2001),
            owner: String::new(),
            due_date: "2026/08/01".into(),
            status: "bogus".into(),
            evidence: String::new(),
        };
        let e = f.validate(true).unwrap_err();
        for field in ["title", "description", "owner", "due_date", "status"] {
            assert!(e.has(field), "{field}");
        }
        let ok = ItemFields {
            title: " 修订章程 ".into(),
            owner: "张三".into(),
            due_date: "2026-09-30".into(),
            ..Default::default()
        }
        .validate(true)
        .unwrap();
        assert_eq!(ok.title, "修订章程");
        assert_eq!(ok.status, Open);
        assert_eq!(ok.due_date, Some(d("2026-09-30")));
        // By hand, owner and due date may wait.
        assert!(
            ItemFields {
                title: "x".into(),
                ..Default::default()
            }
            .validate(false)
            .is_ok()
        );
    }

    #[test]
    fn comments_are_trimmed_and_bounded() {
        assert_eq!(check_comment("  好 "), Ok("好".into()));
        assert!(check_comment("   ").is_err());
        assert!(check_comment(&"字".repeat(2001)).is_err());
        assert!(check_evidence(&"字".repeat(2001)).is_err());
        assert_eq!(check_evidence(""), Ok(String::new()));
    }
}
