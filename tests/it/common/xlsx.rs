//! Reads back an exported .xlsx well enough to assert on it: sheet names, every cell's text
//! (shared strings resolved, numbers as written) and its number format.

use std::collections::HashMap;
use std::io::Read;

/// One cell: its text and the number format its style applies (`General` when none).
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub text: String,
    pub format: String,
}

/// A sheet: its name and rows of cells, blanks filled in so that columns line up.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    /// The texts of row `r` (0 = the header).
    pub fn texts(&self, r: usize) -> Vec<&str> {
        self.rows[r].iter().map(|c| c.text.as_str()).collect()
    }

    /// The column headed `title`, below the header.
    pub fn column(&self, title: &str) -> Vec<&Cell> {
        let c = self.rows[0]
            .iter()
            .position(|h| h.text == title)
            .unwrap_or_else(|| panic!("no column {title:?} in {:?}", self.texts(0)));
        self.rows[1..].iter().filter_map(|row| row.get(c)).collect()
    }
}

fn entry(zip: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>, name: &str) -> Option<String> {
    let mut text = String::new();
    zip.by_name(name).ok()?.read_to_string(&mut text).ok()?;
    Some(text)
}

/// The values of `attr="…"` in an element's opening tag.
fn attr<'a>(tag: &'a str, attr: &str) -> Option<&'a str> {
    let key = format!(" {attr}=\"");
    let start = tag.find(&key)? + key.len();
    Some(&tag[start..start + tag[start..].find('"')?])
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The text between `<tag …>` and `</tag>` pieces of `xml`, in order.
fn elements<'a>(xml: &'a str, tag: &str) -> Vec<(&'a str, &'a str)> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        // `<c` must not match `<cols`.
        if !after.starts_with([' ', '>', '/']) {
            rest = after;
            continue;
        }
        let end_of_tag = after.find('>').expect("closed tag");
        let head = &after[..end_of_tag];
        if head.ends_with('/') {
            out.push((head, ""));
            rest = &after[end_of_tag + 1..];
        } else {
            let body_start = end_of_tag + 1;
            let body_len = after[body_start..].find(&close).expect("closing tag");
            out.push((head, &after[body_start..body_start + body_len]));
            rest = &after[body_start + body_len + close.len()..];
        }
    }
    out
}

/// Column index of a cell reference like `AB12`.
fn column_of(reference: &str) -> usize {
    reference
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .fold(0, |n, ch| n * 26 + (ch as usize - 'A' as usize + 1))
        - 1
}

/// Every sheet of a workbook, in order.
pub fn read(bytes: &[u8]) -> Vec<Sheet> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("an xlsx is a zip");
    let shared: Vec<String> = entry(&mut zip, "xl/sharedStrings.xml")
        .map(|xml| {
            elements(&xml, "si")
                .into_iter()
                .map(|(_, si)| {
                    elements(si, "t")
                        .into_iter()
                        .map(|(_, t)| unescape(t))
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default();
    let styles = entry(&mut zip, "xl/styles.xml").unwrap_or_default();
    let custom: HashMap<&str, String> = elements(&styles, "numFmt")
        .into_iter()
        .filter_map(|(h, _)| Some((attr(h, "numFmtId")?, unescape(attr(h, "formatCode")?))))
        .collect();
    let xfs = elements(&styles, "cellXfs")
        .first()
        .map(|(_, body)| elements(body, "xf"))
        .unwrap_or_default();
    let format_of = |style: Option<&str>| -> String {
        let id = style
            .and_then(|s| s.parse::<usize>().ok())
            .and_then(|s| xfs.get(s))
            .and_then(|(h, _)| attr(h, "numFmtId"))
            .unwrap_or("0");
        match (id, custom.get(id)) {
            (_, Some(code)) => code.clone(),
            ("0", None) => "General".into(),
            (other, None) => format!("builtin {other}"),
        }
    };
    let workbook = entry(&mut zip, "xl/workbook.xml").expect("workbook.xml");
    elements(&workbook, "sheet")
        .into_iter()
        .enumerate()
        .map(|(i, (head, _))| {
            let xml =
                entry(&mut zip, &format!("xl/worksheets/sheet{}.xml", i + 1)).expect("sheet xml");
            let rows = elements(&xml, "row")
                .into_iter()
                .map(|(_, row)| {
                    let mut cells: Vec<Cell> = Vec::new();
                    for (c, body) in elements(row, "c") {
                        let col = column_of(attr(c, "r").expect("cell reference"));
                        let value = elements(body, "v").first().map(|(_, v)| unescape(v));
                        let text = match (attr(c, "t"), value) {
                            (Some("s"), Some(i)) => shared[i.parse::<usize>().unwrap()].clone(),
                            (_, Some(v)) => v,
                            (_, None) => String::new(),
                        };
                        while cells.len() < col {
                            cells.push(Cell {
                                text: String::new(),
                                format: "General".into(),
                            });
                        }
                        cells.push(Cell {
                            text,
                            format: format_of(attr(c, "s")),
                        });
                    }
                    cells
                })
                .collect();
            Sheet {
                name: unescape(attr(head, "name").expect("sheet name")),
                rows,
            }
        })
        .collect()
}

/// The spreadsheet serial number of a date (days since 1899-12-30), as the cell's text.
pub fn serial(y: i32, m: u32, d: u32) -> String {
    let day = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
    (day - epoch).num_days().to_string()
}

/// The header row of the platform import template's sheet 平台名录 (the import reads columns by it).
pub const PLATFORM_HEADER: [&str; 14] = [
    "平台编号",
    "平台名称",
    "所属地区",
    "平台层级",
    "功能定位",
    "产业集群",
    "法人形式",
    "共建单位",
    "建设期开始",
    "建设期结束",
    "首轮支持期结束",
    "统一社会信用代码",
    "运营管理公司名称",
    "运营管理公司统一社会信用代码",
];
