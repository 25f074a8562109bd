//! Spreadsheet imports: what each template's columns are, and how a cell typed in Excel becomes
//! the text a form field would have carried. No rule about the data lives here: the rows are
//! validated by the forms' own validators (`PlatformFields::validate`, `ledger::parse_row`,
//! [`validate_account`]…); this module only reads cells the way a bureau types them — dates as
//! 2024/5/1 or 2024年5月1日, full-width digits, money with thousands separators — and refuses,
//! with a message naming the unit, what a form would never have received (a unit typed into a
//! number, a formula, an error value).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::validation::FieldErrors;

code_enum! {
    /// The kinds of import, by their stored code.
    ImportKind {
        Platforms = "platforms" / "平台名录",
        Ledger = "ledger" / "年度台账",
        Accounts = "accounts" / "账户",
    }
}

/// What a column holds, which decides how its cells are read.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnKind {
    /// Free text, kept as typed (trimmed).
    Text,
    /// A code such as a platform code, a USCC or a user name: full-width letters and digits
    /// are turned into ordinary ones.
    Code,
    /// A date, stored as `YYYY-MM-DD` for the validators.
    Date,
    /// Money in 万元, as the forms take it.
    Wan,
    /// One of the listed `(label, code)` values (a drop-down in the template).
    Choice(Vec<(String, String)>),
    /// 是 / 否 (a checkbox in the form).
    YesNo,
}

/// One column of a template.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The Chinese header in the template's first row.
    pub header: &'static str,
    /// The form field the column fills.
    pub field: &'static str,
    pub kind: ColumnKind,
    pub required: bool,
    /// What the 说明 sheet says about it.
    pub note: &'static str,
    /// The example row's value.
    pub example: String,
}

impl Column {
    pub fn new(header: &'static str, field: &'static str, kind: ColumnKind) -> Column {
        Column {
            header,
            field,
            kind,
            required: false,
            note: "",
            example: String::new(),
        }
    }

    pub fn required(mut self) -> Column {
        self.required = true;
        self
    }

    pub fn note(mut self, note: &'static str) -> Column {
        self.note = note;
        self
    }

    pub fn example(mut self, example: impl Into<String>) -> Column {
        self.example = example.into();
        self
    }

    /// The allowed values for the 说明 sheet and the drop-down.
    pub fn labels(&self) -> Vec<&str> {
        match &self.kind {
            ColumnKind::Choice(options) => options.iter().map(|(l, _)| l.as_str()).collect(),
            ColumnKind::YesNo => vec!["是", "否"],
            _ => Vec::new(),
        }
    }

    /// The format the 说明 sheet describes.
    pub fn format_zh(&self) -> &'static str {
        match self.kind {
            ColumnKind::Text | ColumnKind::Code => "文字",
            ColumnKind::Date => "日期，如 2024-05-01、2024/5/1 或 2024年5月1日",
            ColumnKind::Wan => "数字，单位万元（如 12.5），不要带单位",
            ColumnKind::Choice(_) => "从下拉列表中选择",
            ColumnKind::YesNo => "填「是」或「否」",
        }
    }
}

/// One data sheet of a template.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetSpec {
    pub name: &'static str,
    /// The form this sheet's rows go through (e.g. a ledger section's code), for the caller.
    pub code: &'static str,
    pub columns: Vec<Column>,
}

impl SheetSpec {
    /// The header of the column filling `field` (for an error of that field).
    pub fn header_of(&self, field: &str) -> &'static str {
        self.columns
            .iter()
            .find(|c| c.field == field)
            .map_or("—", |c| c.header)
    }
}

/// A cell as read from the file.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
    /// An error value such as `#VALUE!`.
    Error,
}

impl CellValue {
    pub fn is_empty(&self) -> bool {
        match self {
            CellValue::Empty => true,
            CellValue::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// Full-width ASCII (ＡＢＣ１２３，．－) and the ideographic space as their ordinary forms.
pub fn halfwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// A number as a form would carry it: the shortest text that reads back as the same value.
fn number_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A date typed as text: 2024-05-01, 2024/5/1, 2024.5.1 or 2024年5月1日 (full-width digits too;
/// a time after the date is ignored). `None` when it is not a real day.
pub fn parse_date_text(s: &str) -> Option<NaiveDate> {
    let s = halfwidth(s);
    let s = s.trim();
    let s = s.split_whitespace().next().unwrap_or("");
    let unified: String = s
        .trim_end_matches('日')
        .trim_end_matches('号')
        .chars()
        .map(|c| match c {
            '年' | '月' | '/' | '.' => '-',
            c => c,
        })
        .collect();
    let parts: Vec<&str> = unified.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    let digits = |t: &str, min: usize, max: usize| {
        (min..=max).contains(&t.len()) && t.chars().all(|c| c.is_ascii_digit())
    };
    if !digits(y, 4, 4) || !digits(m, 1, 2) || !digits(d, 1, 2) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// The date of an Excel serial day number (1900 system), for dates kept as plain numbers.
fn excel_serial_date(v: f64) -> Option<NaiveDate> {
    // 2000-01-01 … 2100-12-31: anything else is not a date someone meant.
    if !(36_526.0..=73_415.0).contains(&v) || v.fract() != 0.0 {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(chrono::Days::new(v as u64))
}

/// Whether `s` groups its integer part in threes with commas (1,200 or 12,345,678.5).
fn well_grouped(s: &str) -> bool {
    let int = s.split('.').next().unwrap_or("");
    let groups: Vec<&str> = int.split(',').collect();
    groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups
            .iter()
            .all(|g| !g.is_empty() && g.chars().all(|c| c.is_ascii_digit()))
}

/// The text a form field would have carried for this cell, or why the cell cannot be read.
pub fn cell_text(column: &Column, cell: &CellValue) -> Result<String, String> {
    if let CellValue::Error = cell {
        return Err("单元格是错误值（如 #VALUE!、#REF!），请改为实际内容".into());
    }
    match &column.kind {
        ColumnKind::Text => Ok(match cell {
            CellValue::Text(s) => s.trim().to_string(),
            CellValue::Number(v) => number_text(*v),
            CellValue::Date(d) => d.to_string(),
            CellValue::Bool(b) => if *b { "是" } else { "否" }.to_string(),
            CellValue::Empty | CellValue::Error => String::new(),
        }),
        ColumnKind::Code => Ok(match cell {
            CellValue::Text(s) => halfwidth(s).trim().to_string(),
            CellValue::Number(v) => number_text(*v),
            _ => String::new(),
        }),
        ColumnKind::Date => match cell {
            CellValue::Empty => Ok(String::new()),
            CellValue::Date(d) => Ok(d.to_string()),
            CellValue::Number(v) => excel_serial_date(*v)
                .map(|d| d.to_string())
                .ok_or_else(|| format!("「{}」不是日期，请填写如 2024-05-01", number_text(*v))),
            CellValue::Text(s) if s.trim().is_empty() => Ok(String::new()),
            CellValue::Text(s) => parse_date_text(s).map(|d| d.to_string()).ok_or_else(|| {
                format!(
                    "无法识别的日期「{}」，请填写如 2024-05-01、2024/5/1 或 2024年5月1日",
                    s.trim()
                )
            }),
            CellValue::Bool(_) | CellValue::Error => Err("请填写日期，如 2024-05-01".into()),
        },
        ColumnKind::Wan => match cell {
            CellValue::Empty => Ok(String::new()),
            CellValue::Number(v) => Ok(number_text(*v)),
            CellValue::Text(s) => {
                let typed = halfwidth(s);
                let t: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
                if t.contains(['万', '元', '¥', '￥', '$', '亿', '千', '百']) {
                    return Err(format!(
                        "「{}」带有单位：本列单位为万元，请只填写数字（如 12.5 表示 12.5 万元）",
                        s.trim()
                    ));
                }
                if t.contains(',') && !well_grouped(&t) {
                    return Err(format!(
                        "「{}」的千位分隔符位置不对：本列单位为万元，请只填写数字（如 1200.5）",
                        s.trim()
                    ));
                }
                Ok(t)
            }
            CellValue::Date(_) | CellValue::Bool(_) | CellValue::Error => {
                Err("请填写数字金额，本列单位为万元（如 12.5）".into())
            }
        },
        ColumnKind::Choice(options) => {
            let typed = match cell {
                CellValue::Text(s) => s.trim().to_string(),
                CellValue::Number(v) => number_text(*v),
                CellValue::Empty => return Ok(String::new()),
                _ => String::from("?"),
            };
            if typed.is_empty() {
                return Ok(String::new());
            }
            options
                .iter()
                .find(|(label, _)| *label == typed)
                .map(|(_, code)| code.clone())
                .ok_or_else(|| {
                    format!(
                        "「{typed}」不是可选的取值，请从下拉列表中选择：{}",
                        column.labels().join("、")
                    )
                })
        }
        ColumnKind::YesNo => match cell {
            CellValue::Empty => Ok(String::new()),
            CellValue::Bool(b) => Ok(if *b { "on" } else { "" }.to_string()),
            CellValue::Text(s) => match s.trim() {
                "是" => Ok("on".into()),
                "否" | "" => Ok(String::new()),
                other => Err(format!("「{other}」：请填写「是」或「否」")),
            },
            _ => Err("请填写「是」或「否」".into()),
        },
    }
}

/// One problem of an upload: where (sheet, row as Excel numbers it, column header) and what.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub sheet: &'static str,
    pub row: u32,
    pub column: String,
    pub message: String,
}

/// A data row read from a sheet: its Excel row number and the form fields its cells fill.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportRow {
    /// Index of the sheet in the template's list.
    pub sheet: usize,
    /// The row number Excel shows (the header is row 1).
    pub row: u32,
    pub fields: BTreeMap<String, String>,
    /// Cells that could not be read, by field, with the reason (a row with any is not kept).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bad: BTreeMap<String, String>,
}

impl ImportRow {
    /// The field's text, trimmed; "" when absent.
    pub fn get(&self, field: &str) -> &str {
        self.fields.get(field).map_or("", |s| s.trim())
    }
}

/// The problems of `row`: its unreadable cells, then the validator's `errors` for its other
/// fields (a cell that could not be read is not reported twice), in the order of the columns,
/// named by their headers.
pub fn problems_of<'f, 'm>(
    spec: &SheetSpec,
    row: &ImportRow,
    errors: impl IntoIterator<Item = (&'f str, &'m str)>,
    out: &mut Vec<Problem>,
) {
    let others = errors
        .into_iter()
        .filter(|(field, _)| !row.bad.contains_key(*field))
        .map(|(f, m)| (f.to_string(), m.to_string()));
    let mut found: Vec<(String, String)> = row.bad.clone().into_iter().chain(others).collect();
    let at = |field: &str| spec.columns.iter().position(|c| c.field == field);
    found.sort_by_key(|(field, _)| at(field));
    out.extend(found.into_iter().map(|(field, message)| Problem {
        sheet: spec.name,
        row: row.row,
        column: spec.header_of(&field).to_string(),
        message,
    }));
}

/// A new account as the system admin types it: user name and name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
}

/// The account form's rules (web::admin's create and the accounts import): a user name of 3–32
/// lower-case letters, digits or `. _ -` starting with a letter or digit (typed upper case is
/// lowered), and a name of at most 40 characters.
pub fn validate_account(username: &str, display_name: &str) -> Result<NewAccount, FieldErrors> {
    let mut errors = FieldErrors::default();
    let username = username.trim().to_lowercase();
    let valid_name = (3..=32).contains(&username.len())
        && username.starts_with(|c: char| c.is_ascii_alphanumeric())
        && username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if username.is_empty() {
        errors.add("username", "请填写用户名");
    } else if !valid_name {
        errors.add(
            "username",
            "用户名为3–32位小写字母、数字或 . _ -，以字母或数字开头",
        );
    }
    let display_name = display_name.trim().to_string();
    match display_name.chars().count() {
        0 => errors.add("display_name", "请填写姓名"),
        n if n > 40 => errors.add("display_name", "姓名不能超过40个字"),
        _ => {}
    }
    if errors.is_empty() {
        Ok(NewAccount {
            username,
            display_name,
        })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(kind: ColumnKind) -> Column {
        Column::new("金额（万元）", "amount", kind)
    }

    #[test]
    fn dates_are_read_as_typed_in_china() {
        let d = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
        for typed in [
            "2024-05-01",
            "2024/5/1",
            "2024年5月1日",
            "２０２４年５月１日",
            "2024.05.01",
            " 2024-5-1 00:00:00",
        ] {
            assert_eq!(parse_date_text(typed), Some(d), "{typed}");
        }
        for nonsense in ["2024-02-30", "明年五月", "24/5/1", "2024-5", "20240501", ""] {
            assert_eq!(parse_date_text(nonsense), None, "{nonsense}");
        }
        let c = col(ColumnKind::Date);
        assert_eq!(
            cell_text(&c, &CellValue::Number(45_413.0)),
            Ok("2024-05-01".into())
        );
        let err = cell_text(&c, &CellValue::Text("下个月".into())).unwrap_err();
        assert!(err.contains("无法识别的日期「下个月」"), "{err}");
    }

    #[test]
    fn money_takes_plain_numbers_in_wan_and_names_the_unit_otherwise() {
        let c = col(ColumnKind::Wan);
        assert_eq!(cell_text(&c, &CellValue::Number(12.5)), Ok("12.5".into()));
        assert_eq!(cell_text(&c, &CellValue::Number(300.0)), Ok("300".into()));
        assert_eq!(
            cell_text(&c, &CellValue::Text("１，２００.５".into())),
            Ok("1,200.5".into())
        );
        let unit = cell_text(&c, &CellValue::Text("12万元".into())).unwrap_err();
        assert!(unit.contains("本列单位为万元"), "{unit}");
        let bad_group = cell_text(&c, &CellValue::Text("1,20".into())).unwrap_err();
        assert!(bad_group.contains("千位分隔符"), "{bad_group}");
    }

    #[test]
    fn choices_are_chinese_labels_and_unknown_ones_list_the_allowed() {
        let c = Column::new(
            "平台层级",
            "level",
            ColumnKind::Choice(vec![
                ("市级".into(), "city".into()),
                ("县级".into(), "county".into()),
            ]),
        );
        assert_eq!(
            cell_text(&c, &CellValue::Text(" 县级 ".into())),
            Ok("county".into())
        );
        let err = cell_text(&c, &CellValue::Text("county".into())).unwrap_err();
        assert_eq!(
            err,
            "「county」不是可选的取值，请从下拉列表中选择：市级、县级"
        );
    }

    #[test]
    fn codes_lose_their_full_width_and_errors_are_refused() {
        let c = Column::new("平台编号", "code", ColumnKind::Code);
        assert_eq!(
            cell_text(&c, &CellValue::Text("ＮＴ－２０２４－００１".into())),
            Ok("NT-2024-001".into())
        );
        assert!(cell_text(&c, &CellValue::Error).is_err());
    }

    #[test]
    fn accounts_follow_the_account_form() {
        assert_eq!(
            validate_account(" Zhang.San ", "张三"),
            Ok(NewAccount {
                username: "zhang.san".into(),
                display_name: "张三".into()
            })
        );
        let errors = validate_account("_x", "").unwrap_err();
        assert!(errors.get("username").contains("3–32位"));
        assert_eq!(errors.get("display_name"), "请填写姓名");
    }
}
