//! Reading an uploaded workbook, defensively: the file is checked as a zip archive first (entry
//! count and the size of every entry as actually decompressed, so a zip bomb is refused before
//! calamine reads anything), then the template's sheets are streamed cell by cell with a row
//! limit. calamine's `worksheet_range` is not used: it allocates the bounding box of the cells
//! present, so two cells at A1 and XFD1048576 would ask for billions of them.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use axum::http::StatusCode;
use calamine::{DataRef, Reader, Xlsx};
use chrono::NaiveDate;

use crate::domain::import::{CellValue, ImportRow, Problem, SheetSpec, cell_text};

/// Largest upload (as documents).
pub const MAX_FILE_BYTES: usize = crate::domain::documents::MAX_FILE_BYTES;
/// Largest total size of the archive's entries once decompressed.
pub const MAX_UNZIPPED_BYTES: u64 = 64 * 1024 * 1024;
/// Most entries in the archive (a template has about a dozen).
const MAX_ENTRIES: usize = 500;
/// Most data rows per sheet.
pub const MAX_ROWS: u32 = 5_000;
/// Columns past this one are not read (templates have at most 14).
const MAX_COLUMNS: u32 = 64;

/// Why a file cannot be imported at all, with the status it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            message: message.into(),
        }
    }

    fn unprocessable(message: impl Into<String>) -> Refusal {
        Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub fn too_large() -> Refusal {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "文件超过 {} MB 的上限，请分成几个文件分批导入。",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        )
    }
}

const NOT_XLSX: &str =
    "这不是 Excel 工作簿（.xlsx）文件。请下载本页的导入模板，填写后以 .xlsx 格式保存再上传。";

/// The data rows of a workbook, and the problems found in its cells while reading them.
#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<ImportRow>,
    pub problems: Vec<Problem>,
}

/// Excel's name of a column: 0 → A, 27 → AB.
pub fn column_letter(mut c: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(char::from(b'A' + (c % 26) as u8));
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.iter().rev().collect()
}

/// Checks the archive before anything parses it: a zip with a workbook, few entries, and at
/// most [`MAX_UNZIPPED_BYTES`] once really decompressed (declared sizes can lie).
fn check_archive(bytes: &[u8]) -> Result<(), Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::unprocessable("请选择要上传的 Excel 文件。"));
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "这是旧版 Excel（.xls）文件，请在 Excel 中「另存为」Excel 工作簿（.xlsx）后上传。",
        ));
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(Refusal::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, NOT_XLSX));
    }
    let damaged = || {
        Refusal::unprocessable("文件已损坏，无法读取。请在 Excel 中打开并重新保存为 .xlsx 后上传。")
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| damaged())?;
    if zip.len() > MAX_ENTRIES {
        return Err(bomb());
    }
    if zip.index_for_name("xl/workbook.xml").is_none() {
        return Err(Refusal::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, NOT_XLSX));
    }
    let mut left = MAX_UNZIPPED_BYTES;
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|_| damaged())?;
        if entry.size() > left {
            return Err(bomb());
        }
        let read = std::io::copy(&mut entry.take(left + 1), &mut std::io::sink())
            .map_err(|_| damaged())?;
        if read > left {
            return Err(bomb());
        }
        left -= read;
    }
    Ok(())
}

fn bomb() -> Refusal {
    Refusal::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "文件解压后超过 {} MB，不像是填写好的导入模板（可能是异常文件）。请使用本页的模板，分批导入。",
            MAX_UNZIPPED_BYTES / (1024 * 1024)
        ),
    )
}

fn cell_value(v: DataRef<'_>) -> CellValue {
    match v {
        DataRef::Empty => CellValue::Empty,
        DataRef::Int(n) => CellValue::Number(n as f64),
        DataRef::Float(f) => CellValue::Number(f),
        DataRef::String(s) => CellValue::Text(s),
        DataRef::SharedString(s) => CellValue::Text(s.to_string()),
        DataRef::Bool(b) => CellValue::Bool(b),
        DataRef::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d))
                .map_or(CellValue::Error, CellValue::Date)
        }
        DataRef::DateTime(dt) => CellValue::Number(dt.as_f64()),
        DataRef::DateTimeIso(s) => s
            .get(..10)
            .and_then(crate::domain::calendar::parse_iso_date)
            .map_or(CellValue::Text(s), CellValue::Date),
        DataRef::DurationIso(s) => CellValue::Text(s),
        DataRef::Error(_) => CellValue::Error,
    }
}

/// One sheet's cells by row and column, and its formula cells.
#[derive(Default)]
struct Cells {
    rows: BTreeMap<u32, BTreeMap<u32, CellValue>>,
    formulas: Vec<(u32, u32, String)>,
}

fn read_cells(wb: &mut Xlsx<Cursor<&[u8]>>, spec: &SheetSpec) -> Result<Cells, Refusal> {
    let unreadable = || {
        Refusal::unprocessable(format!(
            "工作表「{}」无法读取。请在 Excel 中打开并重新保存为 .xlsx 后上传。",
            spec.name
        ))
    };
    let merged = wb
        .merge_cells_by_sheet_name(spec.name)
        .map_err(|_| unreadable())?;
    if let Some(m) = merged.first() {
        return Err(Refusal::unprocessable(format!(
            "工作表「{}」含有合并单元格（如 {}{}:{}{}），导入无法判断合并后的内容属于哪一行。请选中整个表格「取消单元格合并」，把每一行填写完整后再上传。",
            spec.name,
            column_letter(m.start.1),
            m.start.0 + 1,
            column_letter(m.end.1),
            m.end.0 + 1
        )));
    }
    let mut reader = wb
        .worksheet_cells_reader(spec.name)
        .map_err(|_| unreadable())?;
    let mut cells = Cells::default();
    while let Some(cell) = reader.next_cell_with_formula().map_err(|_| unreadable())? {
        let (r, c) = cell.pos;
        if r > MAX_ROWS {
            return Err(Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "工作表「{}」超过 {MAX_ROWS} 行，请分成几个文件分批导入。",
                    spec.name
                ),
            ));
        }
        if c >= MAX_COLUMNS {
            continue;
        }
        if let Some(f) = cell.formula.filter(|f| !f.trim().is_empty()) {
            cells.formulas.push((r, c, f));
        }
        let value = cell_value(cell.value);
        if !value.is_empty() {
            cells.rows.entry(r).or_default().insert(c, value);
        }
    }
    Ok(cells)
}

/// Reads the template's sheets from `bytes`: refuses a file that is not the template (or not a
/// workbook, or too big), and otherwise returns every data row with the problems of its cells.
pub fn read(bytes: &[u8], specs: &[SheetSpec]) -> Result<Parsed, Refusal> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Refusal::too_large());
    }
    check_archive(bytes)?;
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| {
        Refusal::unprocessable(
            "无法读取该 Excel 文件（可能已加密或已损坏）。请取消密码保护，重新保存为 .xlsx 后上传。",
        )
    })?;
    let names = wb.sheet_names();
    let mut out = Parsed::default();
    let mut any_header = false;
    for (index, spec) in specs.iter().enumerate() {
        if !names.iter().any(|n| n == spec.name) {
            return Err(Refusal::unprocessable(format!(
                "文件与导入模板不符：没有工作表「{}」（本文件的工作表：{}）。请下载本页的导入模板，按模板填写后上传。",
                spec.name,
                names.join("、")
            )));
        }
        let cells = read_cells(&mut wb, spec)?;
        let Some(header) = cells.rows.get(&0) else {
            if cells.rows.is_empty() {
                continue;
            }
            return Err(wrong_header(spec, "第 1 行应是表头，现在是空行"));
        };
        any_header = true;
        let columns = match_header(spec, header)?;
        for (r, formula) in cells
            .formulas
            .iter()
            .filter(|(r, ..)| *r > 0)
            .map(|(r, c, f)| {
                let header = columns.iter().find(|(_, col)| *col == *c).map_or_else(
                    || column_letter(*c),
                    |(i, _)| spec.columns[*i].header.to_string(),
                );
                (r, (header, f))
            })
        {
            out.problems.push(Problem {
                sheet: spec.name,
                row: r + 1,
                column: formula.0,
                message: format!(
                    "该单元格是公式（={}），导入不计算公式：请复制后「选择性粘贴 → 数值」改为数值再上传",
                    formula.1
                ),
            });
        }
        for (&r, row) in cells.rows.range(1..) {
            let mut fields = BTreeMap::new();
            let mut bad = BTreeMap::new();
            let mut filled = false;
            for &(i, c) in &columns {
                let column = &spec.columns[i];
                let cell = row.get(&c).unwrap_or(&CellValue::Empty);
                filled |= !cell.is_empty();
                match cell_text(column, cell) {
                    Ok(text) => {
                        fields.insert(column.field.to_string(), text);
                    }
                    Err(message) => {
                        bad.insert(column.field.to_string(), message);
                    }
                }
            }
            if !filled {
                continue;
            }
            out.rows.push(ImportRow {
                sheet: index,
                row: r + 1,
                fields,
                bad,
            });
        }
    }
    if !any_header {
        return Err(Refusal::unprocessable(
            "文件是空的：工作表中没有表头，也没有数据。请下载本页的导入模板，填写后上传。",
        ));
    }
    if out.rows.is_empty() && out.problems.is_empty() {
        return Err(Refusal::unprocessable(
            "文件中没有数据：表头下方没有任何一行。请在模板的表头下方逐行填写后上传。",
        ));
    }
    Ok(out)
}

fn wrong_header(spec: &SheetSpec, what: &str) -> Refusal {
    Refusal::unprocessable(format!(
        "文件与导入模板不符：工作表「{}」{what}。请下载本页的导入模板，按模板的表头填写后上传。",
        spec.name
    ))
}

/// Where each of the template's columns is in the file: `(column index in spec, file column)`.
fn match_header(
    spec: &SheetSpec,
    header: &BTreeMap<u32, CellValue>,
) -> Result<Vec<(usize, u32)>, Refusal> {
    let texts: Vec<(u32, String)> = header
        .iter()
        .map(|(&c, v)| {
            let t = match v {
                CellValue::Text(s) => s.trim().to_string(),
                CellValue::Number(n) => n.to_string(),
                CellValue::Date(d) => d.to_string(),
                CellValue::Bool(b) => if *b { "是" } else { "否" }.to_string(),
                CellValue::Empty | CellValue::Error => "错误值".to_string(),
            };
            (c, t)
        })
        .collect();
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for (i, col) in spec.columns.iter().enumerate() {
        match texts.iter().find(|(_, t)| t == col.header) {
            Some((c, _)) => found.push((i, *c)),
            None => missing.push(format!("「{}」", col.header)),
        }
    }
    let extra: Vec<String> = texts
        .iter()
        .filter(|(_, t)| !spec.columns.iter().any(|col| col.header == t))
        .map(|(c, t)| format!("{}列「{t}」", column_letter(*c)))
        .collect();
    if !missing.is_empty() {
        return Err(wrong_header(spec, &format!("缺少列{}", missing.join(""))));
    }
    if !extra.is_empty() {
        return Err(wrong_header(
            spec,
            &format!("有模板之外的列：{}（请删除这些列）", extra.join("、")),
        ));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn what_is_not_a_workbook_is_refused_by_its_content() {
        let not = check_archive(b"%PDF-1.4 hello").unwrap_err();
        assert_eq!(not.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let xls = check_archive(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0]).unwrap_err();
        assert!(xls.message.contains(".xls"));
        let broken = check_archive(b"PK\x03\x04garbage").unwrap_err();
        assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}
