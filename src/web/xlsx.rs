//! Excel (.xlsx) exports: a workbook of plain tables with Chinese headers, a frozen header row and
//! number formats a bureau would use (money in whole yuan as `#,##0`, scores and ratios as `0.00`,
//! dates as `yyyy-mm-dd`), sent as a download. Every export is built from the same scoped query as
//! the page it belongs to, so it holds exactly what the user may see there.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{Color, ExcelDateTime, Format, FormatBorder, Workbook, XlsxError};

use super::auth::CurrentUser;
use crate::db::audit;
use crate::error::{AppError, AppResult};

/// One cell of an exported row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A count or a rank.
    Int(i64),
    /// Whole yuan (exact as a spreadsheet number: far below 2^53).
    Yuan(i64),
    /// A score or a ratio, two decimals.
    Decimal(f64),
    Date(NaiveDate),
    Blank,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

/// `Some(v)` as a cell, `None` as a blank one.
pub fn opt<T>(v: Option<T>, cell: impl Fn(T) -> Cell) -> Cell {
    v.map_or(Cell::Blank, cell)
}

/// A column: its header and its width in characters.
pub type Column<'a> = (&'a str, f64);

/// A workbook being built, one sheet per table.
pub struct Book {
    wb: Workbook,
    head: Format,
    yuan: Format,
    decimal: Format,
    date: Format,
}

impl Default for Book {
    fn default() -> Self {
        Self::new()
    }
}

impl Book {
    pub fn new() -> Book {
        Book {
            wb: Workbook::new(),
            head: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xDDE7F0))
                .set_border_bottom(FormatBorder::Thin),
            yuan: Format::new().set_num_format("#,##0"),
            decimal: Format::new().set_num_format("0.00"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
        }
    }

    /// Adds a sheet named `name` (at most 31 characters, none of `[]:*?/\`) with a header row of
    /// `columns` and then `rows`.
    pub fn sheet<I>(&mut self, name: &str, columns: &[Column], rows: I) -> Result<(), XlsxError>
    where
        I: IntoIterator<Item = Vec<Cell>>,
    {
        let ws = self.wb.add_worksheet();
        ws.set_name(name)?;
        for (c, (title, width)) in columns.iter().enumerate() {
            let c = col(c);
            ws.write_string_with_format(0, c, *title, &self.head)?;
            ws.set_column_width(c, *width)?;
        }
        ws.set_freeze_panes(1, 0)?;
        for (r, cells) in rows.into_iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
            for (c, cell) in cells.into_iter().enumerate() {
                let c = col(c);
                match cell {
                    Cell::Text(s) => {
                        ws.write_string(r, c, s)?;
                    }
                    Cell::Int(n) => {
                        ws.write_number(r, c, n as f64)?;
                    }
                    Cell::Yuan(y) => {
                        ws.write_number_with_format(r, c, y as f64, &self.yuan)?;
                    }
                    Cell::Decimal(v) => {
                        ws.write_number_with_format(r, c, v, &self.decimal)?;
                    }
                    Cell::Date(d) => {
                        let d = ExcelDateTime::from_ymd(
                            u16::try_from(d.year()).unwrap_or(1900),
                            u8::try_from(d.month()).unwrap_or(1),
                            u8::try_from(d.day()).unwrap_or(1),
                        )?;
                        ws.write_datetime_with_format(r, c, d, &self.date)?;
                    }
                    Cell::Blank => {}
                }
            }
        }
        Ok(())
    }

    /// The workbook as a download (see [`download`]).
    pub fn download(mut self, ascii_name: &str, chinese_name: &str) -> AppResult<Response> {
        let bytes = self
            .wb
            .save_to_buffer()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx export: {e}")))?;
        Ok(download(bytes, ascii_name, chinese_name))
    }
}

/// An .xlsx file's bytes as a download: `ascii_name` for old clients, `chinese_name` (RFC 6266
/// `filename*`) for everyone else.
pub fn download(bytes: Vec<u8>, ascii_name: &str, chinese_name: &str) -> Response {
    let chinese: String = form_urlencoded::byte_serialize(chinese_name.as_bytes()).collect();
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{chinese}"),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Records in the audit trail that `user` exported `rows` rows of `what` with `query` (bulk data
/// leaving the system is worth a line, though it changes nothing).
pub async fn audit_export(
    pool: &sqlx::PgPool,
    user: &CurrentUser,
    what: &str,
    query: Option<&str>,
    rows: usize,
) -> AppResult<()> {
    let actor = user.actor();
    let mut tx = audit::begin(pool, &actor).await?;
    audit::record(
        &mut tx,
        &actor,
        "export.xlsx",
        what,
        None,
        None,
        Some(serde_json::json!({"query": query.unwrap_or(""), "rows": rows})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Builds a workbook or fails with an internal error (the export's own data never makes it fail).
pub fn build(f: impl FnOnce(&mut Book) -> Result<(), XlsxError>) -> AppResult<Book> {
    let mut book = Book::new();
    f(&mut book).map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx export: {e}")))?;
    Ok(book)
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sheet_with_every_kind_of_cell_saves() {
        let book = build(|b| {
            b.sheet(
                "平台名录",
                &[("名称", 20.0), ("金额（元）", 12.0), ("日期", 12.0)],
                [
                    vec![
                        Cell::from("示例"),
                        Cell::Yuan(1_234_567),
                        Cell::Date(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()),
                    ],
                    vec![Cell::Int(3), Cell::Decimal(0.5), Cell::Blank],
                ],
            )
        })
        .unwrap();
        let resp = book.download("a.xlsx", "平台名录.xlsx").unwrap();
        let disposition = resp.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap();
        assert!(disposition.starts_with("attachment; filename=\"a.xlsx\""));
        assert!(disposition.contains("filename*=UTF-8''%E5%B9%B3"));
    }

    #[test]
    fn a_bad_sheet_name_is_an_internal_error_not_a_panic() {
        assert!(build(|b| b.sheet("a/b", &[], Vec::<Vec<Cell>>::new())).is_err());
    }
}
