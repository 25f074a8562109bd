//! The downloadable templates: a 说明 sheet (what the import does, then every column with its
//! format, whether it is required, what it means and its allowed values, then an example row),
//! the data sheets with their Chinese headers, drop-downs for the allowed values and text/date
//! formats, and a 可选值 sheet the drop-downs read their lists from.

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, Format, FormatBorder, Formula, Workbook,
    XlsxError,
};

use super::read::{MAX_ROWS, column_letter};
use crate::domain::import::{ColumnKind, SheetSpec};

/// Name of the sheet with the drop-downs' lists.
const OPTIONS_SHEET: &str = "可选值";

fn width(header: &str) -> f64 {
    (header.chars().count() as f64 * 2.2 + 2.0).max(12.0)
}

/// The template workbook: `intro` lines on top of the 说明 sheet, then each sheet's columns.
pub fn workbook(title: &str, intro: &[String], specs: &[SheetSpec]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let title_format = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDE7F0))
        .set_border_bottom(FormatBorder::Thin);
    let head_required = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xFCE4D6))
        .set_border_bottom(FormatBorder::Thin);
    let wrap = Format::new().set_text_wrap();
    let text = Format::new().set_num_format("@");
    let date = Format::new().set_num_format("yyyy-mm-dd");

    // 说明
    let guide = wb.add_worksheet();
    guide.set_name("说明")?;
    guide.set_column_width(0, 22)?;
    guide.set_column_width(1, 8)?;
    guide.set_column_width(2, 30)?;
    guide.set_column_width(3, 50)?;
    guide.set_column_width(4, 40)?;
    guide.write_string_with_format(0, 0, title, &title_format)?;
    let mut r: u32 = 1;
    for line in intro {
        guide.write_string(r, 0, line)?;
        r += 1;
    }
    for spec in specs {
        r += 1;
        guide.write_string_with_format(r, 0, format!("工作表「{}」的各列", spec.name), &bold)?;
        r += 1;
        for (c, h) in ["列名", "必填", "格式", "说明", "可选值"]
            .iter()
            .enumerate()
        {
            guide.write_string_with_format(r, c as u16, *h, &head)?;
        }
        for col in &spec.columns {
            r += 1;
            guide.write_string(r, 0, col.header)?;
            guide.write_string(r, 1, if col.required { "是" } else { "否" })?;
            guide.write_string_with_format(r, 2, col.format_zh(), &wrap)?;
            guide.write_string_with_format(r, 3, col.note, &wrap)?;
            guide.write_string_with_format(r, 4, col.labels().join("、"), &wrap)?;
        }
        r += 2;
        guide.write_string_with_format(
            r,
            0,
            format!("填写示例（工作表「{}」的一行）", spec.name),
            &bold,
        )?;
        r += 1;
        for (c, col) in spec.columns.iter().enumerate() {
            guide.write_string_with_format(r, c as u16, col.header, &head)?;
            guide.write_string(r + 1, c as u16, &col.example)?;
        }
        r += 1;
    }

    // The lists of the drop-downs, one column per choice column.
    let mut lists: Vec<(&str, Vec<&str>)> = Vec::new();
    for spec in specs {
        for col in &spec.columns {
            if matches!(col.kind, ColumnKind::Choice(_))
                && !lists.iter().any(|(h, _)| *h == col.header)
            {
                lists.push((col.header, col.labels()));
            }
        }
    }

    for spec in specs {
        let ws = wb.add_worksheet();
        ws.set_name(spec.name)?;
        ws.set_freeze_panes(1, 0)?;
        for (c, col) in spec.columns.iter().enumerate() {
            let c = c as u16;
            let format = if col.required { &head_required } else { &head };
            ws.write_string_with_format(0, c, col.header, format)?;
            ws.set_column_width(c, width(col.header))?;
            match &col.kind {
                ColumnKind::Code => {
                    ws.set_column_format(c, &text)?;
                }
                ColumnKind::Date => {
                    ws.set_column_format(c, &date)?;
                }
                ColumnKind::Choice(_) => {
                    let i = lists
                        .iter()
                        .position(|(h, _)| *h == col.header)
                        .unwrap_or(0);
                    let n = lists.get(i).map_or(1, |(_, l)| l.len().max(1));
                    let letter = column_letter(i as u32);
                    let dv = DataValidation::new()
                        .allow_list_formula(Formula::new(format!(
                            "='{OPTIONS_SHEET}'!${letter}$2:${letter}${}",
                            n + 1
                        )))
                        .set_error_style(DataValidationErrorStyle::Stop)
                        .set_error_title("取值无效")?
                        .set_error_message("请从下拉列表中选择。")?;
                    ws.add_data_validation(1, c, MAX_ROWS, c, &dv)?;
                }
                ColumnKind::YesNo => {
                    let dv = DataValidation::new()
                        .allow_list_strings(&["是", "否"])?
                        .set_error_title("取值无效")?
                        .set_error_message("请填写「是」或「否」。")?;
                    ws.add_data_validation(1, c, MAX_ROWS, c, &dv)?;
                }
                ColumnKind::Text | ColumnKind::Wan => {}
            }
        }
    }

    let options = wb.add_worksheet();
    options.set_name(OPTIONS_SHEET)?;
    for (c, (header, labels)) in lists.iter().enumerate() {
        let c = c as u16;
        options.write_string_with_format(0, c, *header, &head)?;
        options.set_column_width(c, width(header).max(18.0))?;
        for (r, label) in labels.iter().enumerate() {
            options.write_string(r as u32 + 1, c, *label)?;
        }
    }
    wb.save_to_buffer()
}
