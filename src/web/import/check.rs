//! The templates' columns and the checks of the rows read from them. Every row goes through the
//! validator of the form it replaces — `PlatformFields::validate` (with the uploader's
//! jurisdictions, so county staff cannot import another county's platform) and
//! `CompanyFields::validate` for the registry, `ledger::parse_row` for the ledger,
//! `validate_account` for accounts — plus what only a batch can get wrong: the same code twice in
//! the file, or a code already taken.

use std::collections::BTreeMap;

use sqlx::PgConnection;

use crate::db::imports;
use crate::db::jurisdictions::Jurisdiction;
use crate::domain::CodeEnum;
use crate::domain::import::{
    Column, ColumnKind, ImportRow, NewAccount, Problem, SheetSpec, problems_of, validate_account,
};
use crate::domain::ledger::{
    self, Channel, ContractType, ExpenditureCategory, LedgerKind, NewRow, PaymentModel,
};
use crate::domain::platform::{
    Category, Cluster, JurisdictionRef, LegalForm, Level, PlatformDraft, PlatformFields,
};
use crate::domain::registration::{CompanyDraft, CompanyFields, OperatingMode};

fn choice<T: CodeEnum>(label: fn(T) -> &'static str) -> ColumnKind {
    ColumnKind::Choice(
        T::ALL
            .iter()
            .map(|&v| (label(v).to_string(), v.as_str().to_string()))
            .collect(),
    )
}

/// The registry template: the new-platform form's fields and the operating company.
pub fn platforms_spec(jurisdictions: &[Jurisdiction]) -> Vec<SheetSpec> {
    use ColumnKind::*;
    let places = Choice(
        jurisdictions
            .iter()
            .map(|j| (j.name.clone(), j.id.to_string()))
            .collect(),
    );
    let example_place = jurisdictions
        .iter()
        .find(|j| !j.is_city())
        .or(jurisdictions.first())
        .map_or(String::new(), |j| j.name.clone());
    vec![SheetSpec {
        name: "平台名录",
        code: "platforms",
        columns: vec![
            Column::new("平台编号", "code", Code)
                .required()
                .note("3–32位大写字母、数字或连字符，以字母开头；不能与已登记的平台重复")
                .example("NT-2024-101"),
            Column::new("平台名称", "name", Text)
                .required()
                .note("2–100个字")
                .example("示例新材料研究院"),
            Column::new("所属地区", "jurisdiction_id", places)
                .required()
                .note("决定由哪个区县的业务人员管理；县级或市县共建平台须归属到区县。区县业务人员只能导入本区县的平台")
                .example(example_place),
            Column::new("平台层级", "level", choice(Level::label_zh))
                .required()
                .example(Level::County.label_zh()),
            Column::new("功能定位", "category", choice(Category::label_zh))
                .note("可暂不填写")
                .example(Category::TechnicalService.label_zh()),
            Column::new("产业集群", "industry_cluster", choice(Cluster::label_zh))
                .note("可不填写")
                .example(Cluster::NewMaterials.label_zh()),
            Column::new("法人形式", "legal_form", choice(LegalForm::label_zh))
                .required()
                .example(LegalForm::PublicInstitution.label_zh()),
            Column::new("共建单位", "co_builders", Text)
                .note("最多500字，多个单位用顿号分隔")
                .example("示例大学、示例区人民政府"),
            Column::new("建设期开始", "construction_start", Date).example("2024-01-01"),
            Column::new("建设期结束", "construction_end", Date)
                .note("不能早于建设期开始")
                .example("2026-12-31"),
            Column::new("首轮支持期结束", "first_support_end", Date)
                .note("仅县级或市县共建平台填写")
                .example("2027-12-31"),
            Column::new("统一社会信用代码", "uscc", Code)
                .note("平台自身的18位代码；非独立法人（依托单位内设）可不填。与已登记平台相同时，预览页会提示")
                .example(""),
            Column::new("运营管理公司名称", "company_name", Text)
                .note("「平台+运营管理公司」模式的公司，可不填；填写后须同时填写其统一社会信用代码，运营模式随之勾选")
                .example("示例运营管理有限公司"),
            Column::new("运营管理公司统一社会信用代码", "company_uscc", Code)
                .note("运营管理公司的18位代码")
                .example("91320600MA1M9QX7K8"),
        ],
    }]
}

/// The ledger template of a year: revenue, expenditure, technology contracts and licences, as
/// the ledger page's add forms take them.
pub fn ledger_spec() -> Vec<SheetSpec> {
    use ColumnKind::*;
    let wan = |header| Column::new(header, "amount", Wan);
    vec![
        SheetSpec {
            name: "收入",
            code: LedgerKind::Revenue.as_str(),
            columns: vec![
                Column::new("收入渠道", "channel", choice(Channel::label_zh))
                    .required()
                    .note("财政补助不计入自我造血收入")
                    .example(Channel::ServiceOrders.label_zh()),
                wan("金额（万元）")
                    .required()
                    .note("大于 0；单位万元，最多四位小数")
                    .example("12.5"),
                Column::new("付款方", "counterparty", Text)
                    .note("最多100字")
                    .example("示例船舶制造有限公司"),
                Column::new("说明", "description", Text)
                    .note("最多200字")
                    .example("检测服务费"),
                Column::new("到账日期", "received_on", Date)
                    .note("须在导入的年度内")
                    .example("2025-03-15"),
            ],
        },
        SheetSpec {
            name: "支出",
            code: LedgerKind::Expenditure.as_str(),
            columns: vec![
                Column::new(
                    "支出类别",
                    "category",
                    choice(ExpenditureCategory::label_zh),
                )
                .required()
                .example(ExpenditureCategory::Personnel.label_zh()),
                wan("金额（万元）")
                    .required()
                    .note("大于 0；单位万元")
                    .example("80"),
                Column::new("说明", "description", Text)
                    .note("最多200字")
                    .example("研发人员工资"),
            ],
        },
        SheetSpec {
            name: "技术合同",
            code: LedgerKind::Contract.as_str(),
            columns: vec![
                Column::new("合同类型", "contract_type", choice(ContractType::label_zh))
                    .required()
                    .example(ContractType::Development.label_zh()),
                Column::new("合同相对方", "counterparty", Text)
                    .required()
                    .example("示例海工装备有限公司"),
                Column::new("成交金额（万元）", "amount", Wan)
                    .required()
                    .note("大于 0；单位万元")
                    .example("50"),
                Column::new("登记号", "registration_no", Code)
                    .note("技术合同登记号；尚未登记可不填")
                    .example("2025320600000123"),
                Column::new("签订日期", "signed_on", Date)
                    .required()
                    .note("须在导入的年度内")
                    .example("2025-06-30"),
            ],
        },
        SheetSpec {
            name: "成果许可",
            code: LedgerKind::Licence.as_str(),
            columns: vec![
                Column::new("被许可方", "licensee", Text)
                    .required()
                    .example("示例新能源科技有限公司"),
                Column::new("成果名称", "achievement", Text)
                    .required()
                    .example("一种船用复合材料的制备方法"),
                Column::new("付费方式", "payment_model", choice(PaymentModel::label_zh))
                    .required()
                    .example(PaymentModel::Instalments.label_zh()),
                Column::new("先使用后付费", "use_first_pay_later", YesNo).example("是"),
                Column::new("付款安排", "schedule", Text)
                    .note("最多500字")
                    .example("签约后分三年支付"),
                Column::new("约定金额（万元）", "amount_agreed", Wan)
                    .note("单位万元，可不填")
                    .example("30"),
                Column::new("已到账金额（万元）", "amount_received", Wan)
                    .note("单位万元，可不填")
                    .example("10"),
            ],
        },
    ]
}

/// The accounts template: the account form's two fields.
pub fn accounts_spec() -> Vec<SheetSpec> {
    vec![SheetSpec {
        name: "账户",
        code: "accounts",
        columns: vec![
            Column::new("用户名", "username", ColumnKind::Code)
                .required()
                .note("3–32位小写字母、数字或 . _ -，以字母或数字开头；登录时使用，不能与已有账户重复")
                .example("zhang.san"),
            Column::new("姓名", "display_name", ColumnKind::Text)
                .required()
                .note("最多40个字")
                .example("张三"),
        ],
    }]
}

/// What the checks found: the rows ready to write, every problem, and notes that do not stop
/// the import (a USCC another platform uses — a warning on the form too).
pub struct Checked<T> {
    pub items: Vec<T>,
    pub problems: Vec<Problem>,
    pub notes: Vec<String>,
}

impl<T> Default for Checked<T> {
    fn default() -> Self {
        Checked {
            items: Vec::new(),
            problems: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// A registry row ready to write.
pub struct PlatformItem {
    pub draft: PlatformDraft,
    pub company: Option<CompanyDraft>,
}

/// The message for a code that another row of the same file has already.
fn repeated(what: &str, first_row: u32) -> String {
    format!("与第 {first_row} 行的{what}重复")
}

pub async fn platforms(
    conn: &mut PgConnection,
    spec: &SheetSpec,
    rows: &[ImportRow],
    allowed: &[JurisdictionRef],
) -> Result<Checked<PlatformItem>, sqlx::Error> {
    let mut out = Checked::default();
    let mut seen_codes: BTreeMap<String, u32> = BTreeMap::new();
    let mut seen_usccs: BTreeMap<String, u32> = BTreeMap::new();
    let mut code_rows: Vec<(String, u32)> = Vec::new();
    for row in rows {
        let fields = PlatformFields {
            code: row.get("code").into(),
            name: row.get("name").into(),
            jurisdiction_id: row.get("jurisdiction_id").into(),
            level: row.get("level").into(),
            category: row.get("category").into(),
            industry_cluster: row.get("industry_cluster").into(),
            legal_form: row.get("legal_form").into(),
            co_builders: row.get("co_builders").into(),
            construction_start: row.get("construction_start").into(),
            construction_end: row.get("construction_end").into(),
            first_support_end: row.get("first_support_end").into(),
            uscc: row.get("uscc").into(),
        };
        let mut errors: Vec<(&str, String)> = Vec::new();
        let draft = fields
            .validate(allowed)
            .map_err(|e| errors.extend(e.iter().map(|(f, m)| (f, m.to_string()))))
            .ok();
        let has_company =
            !row.get("company_name").is_empty() || !row.get("company_uscc").is_empty();
        let company = if has_company {
            let company = CompanyFields {
                mode: OperatingMode::OperatingCompany.as_str().into(),
                name: row.get("company_name").into(),
                uscc: row.get("company_uscc").into(),
            };
            company
                .validate(&[OperatingMode::OperatingCompany])
                .map_err(|e| {
                    errors.extend(e.iter().map(|(f, m)| {
                        let field = if f == "uscc" {
                            "company_uscc"
                        } else {
                            "company_name"
                        };
                        (field, m.to_string())
                    }))
                })
                .ok()
        } else {
            None
        };
        if let Some(d) = &draft {
            let code = d.code.as_str().to_string();
            if let Some(first) = seen_codes.get(&code) {
                errors.push(("code", repeated("平台编号", *first)));
            } else {
                seen_codes.insert(code.clone(), row.row);
                code_rows.push((code, row.row));
            }
            if let Some(u) = &d.uscc {
                match seen_usccs.get(u.as_str()) {
                    Some(first) => out.notes.push(format!(
                        "第 {} 行：统一社会信用代码 {} 与第 {first} 行相同。",
                        row.row,
                        u.as_str()
                    )),
                    None => {
                        seen_usccs.insert(u.as_str().to_string(), row.row);
                    }
                }
            }
        }
        problems_of(
            spec,
            row,
            errors.iter().map(|(f, m)| (*f, m.as_str())),
            &mut out.problems,
        );
        if errors.is_empty()
            && row.bad.is_empty()
            && let Some(draft) = draft
        {
            out.items.push(PlatformItem { draft, company });
        }
    }
    let codes: Vec<String> = code_rows.iter().map(|(c, _)| c.clone()).collect();
    let taken = imports::existing_platform_codes(conn, &codes).await?;
    for (code, row) in code_rows.iter().filter(|(c, _)| taken.contains(c)) {
        out.problems.push(Problem {
            sheet: spec.name,
            row: *row,
            column: spec.header_of("code").to_string(),
            message: format!("平台编号「{code}」已被已登记的平台使用，请换一个编号"),
        });
    }
    let usccs: Vec<String> = seen_usccs.keys().cloned().collect();
    for (uscc, code) in imports::platforms_by_uscc(conn, &usccs).await? {
        if let Some(row) = seen_usccs.get(&uscc) {
            out.notes.push(format!(
                "第 {row} 行：统一社会信用代码 {uscc} 与已登记的平台 {code} 相同。"
            ));
        }
    }
    out.problems.sort_by_key(|p| p.row);
    Ok(out)
}

/// The ledger rows of `year`, each through the ledger page's own parser.
pub fn ledger(specs: &[SheetSpec], rows: &[ImportRow], year: i32) -> Checked<NewRow> {
    let mut out = Checked::default();
    for row in rows {
        let Some(spec) = specs.get(row.sheet) else {
            continue;
        };
        let Some(kind) = LedgerKind::parse(spec.code) else {
            continue;
        };
        let form = crate::domain::fields::RawForm(row.fields.clone());
        match ledger::parse_row(kind, year, &form) {
            Some(Ok(parsed)) if row.bad.is_empty() => out.items.push(parsed),
            Some(Ok(_)) => problems_of(spec, row, [], &mut out.problems),
            Some(Err(errors)) => problems_of(spec, row, errors.iter(), &mut out.problems),
            None => {}
        }
    }
    out
}

pub async fn accounts(
    conn: &mut PgConnection,
    spec: &SheetSpec,
    rows: &[ImportRow],
) -> Result<Checked<NewAccount>, sqlx::Error> {
    let mut out = Checked::default();
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    let mut names: Vec<(String, u32)> = Vec::new();
    for row in rows {
        match validate_account(row.get("username"), row.get("display_name")) {
            Ok(account) => {
                if let Some(first) = seen.get(&account.username) {
                    problems_of(
                        spec,
                        row,
                        [("username", repeated("用户名", *first).as_str())],
                        &mut out.problems,
                    );
                } else if row.bad.is_empty() {
                    seen.insert(account.username.clone(), row.row);
                    names.push((account.username.clone(), row.row));
                    out.items.push(account);
                } else {
                    problems_of(spec, row, [], &mut out.problems);
                }
            }
            Err(errors) => problems_of(spec, row, errors.iter(), &mut out.problems),
        }
    }
    let usernames: Vec<String> = names.iter().map(|(n, _)| n.clone()).collect();
    let taken = imports::existing_usernames(conn, &usernames).await?;
    for (name, row) in names.iter().filter(|(n, _)| taken.contains(n)) {
        out.problems.push(Problem {
            sheet: spec.name,
            row: *row,
            column: spec.header_of("username").to_string(),
            message: format!("用户名「{name}」已存在"),
        });
    }
    out.problems.sort_by_key(|p| p.row);
    Ok(out)
}
