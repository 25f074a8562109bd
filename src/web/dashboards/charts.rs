//! Charts: what a chart shows, built once from a db function's rows and used twice — serialized
//! as the JSON that `static/charts.js` draws with ECharts, and rendered as the data table beside
//! the chart (`templates/dashboards/_chart.html`), so the two always agree.

use serde::Serialize;

use crate::db::dashboards::{EvaluationResult, YearRevenue};
use crate::domain::compliance::snapshot::Channel;
use crate::domain::scoring::{Dimension, Grade};
use crate::domain::transformation::TransformationDeadline;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    StackedBar,
    Line,
    Pie,
    Bar,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::StackedBar => "stacked-bar",
            Kind::Line => "line",
            Kind::Pie => "pie",
            Kind::Bar => "bar",
        }
    }
}

/// One series: a value per category (`None` = no figure).
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub name: String,
    pub data: Vec<Option<f64>>,
    /// Bars with the same stack are stacked; different stacks stand side by side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack: Option<&'static str>,
    /// Drill-down per data point, when it depends on the series (else the chart's `links`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
}

/// A horizontal reference line (the break-even line).
#[derive(Debug, Clone, Serialize)]
pub struct MarkLine {
    pub value: f64,
    pub label: String,
}

/// A vertical marker at a category (the transformation deadline's year).
#[derive(Debug, Clone, Serialize)]
pub struct MarkCategory {
    pub category: String,
    pub label: String,
}

/// An extra column of the data table only (text, e.g. a grade or the figures' source).
#[derive(Debug, Clone)]
pub struct Column {
    pub header: String,
    pub cells: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    /// The element id of the chart's figure.
    #[serde(skip)]
    pub id: &'static str,
    /// The JSON endpoint serving this chart.
    #[serde(skip)]
    pub src: String,
    pub kind: Kind,
    pub title: String,
    /// Unit of the values ("万元", "个", "分", "倍").
    pub unit: &'static str,
    /// Decimals shown (the JSON values are rounded to these already).
    pub decimals: usize,
    /// Header of the category column of the table ("年度", "类别").
    pub axis: &'static str,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    /// Drill-down per category.
    pub links: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mark_line: Option<MarkLine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mark_category: Option<MarkCategory>,
    /// What to do when there is nothing to show.
    #[serde(skip)]
    pub empty_hint: String,
    #[serde(skip)]
    pub columns: Vec<Column>,
    /// A sentence under the chart.
    #[serde(skip)]
    pub note: String,
}

/// Whole yuan → 万元, rounded half away from zero to 0.01 exactly as [`crate::domain::money::wan`].
pub fn wan_value(yuan: i64) -> f64 {
    let hundreds = (yuan.abs() + 50) / 100;
    let signed = if yuan < 0 { -hundreds } else { hundreds };
    signed as f64 / 100.0
}

fn round_to(v: f64, decimals: usize) -> f64 {
    let factor = 10f64.powi(decimals as i32);
    (v * factor).round() / factor
}

/// A table position as templates pass it (askama hands loop indexes over by reference).
pub trait AsIndex {
    fn index(&self) -> usize;
}

impl AsIndex for usize {
    fn index(&self) -> usize {
        *self
    }
}

impl<T: AsIndex + ?Sized> AsIndex for &T {
    fn index(&self) -> usize {
        (**self).index()
    }
}

impl Chart {
    fn new(id: &'static str, src: String, kind: Kind, title: String) -> Chart {
        Chart {
            id,
            src,
            kind,
            title,
            unit: "",
            decimals: 0,
            axis: "",
            categories: Vec::new(),
            series: Vec::new(),
            links: Vec::new(),
            mark_line: None,
            mark_category: None,
            empty_hint: String::new(),
            columns: Vec::new(),
            note: String::new(),
        }
    }

    /// A table too wide to stand beside its chart: it goes under it.
    pub fn is_wide(&self) -> bool {
        self.series.len() + self.columns.len() > 3
    }

    /// Nothing to draw: no category, or (for a pie) nothing above zero.
    pub fn is_empty(&self) -> bool {
        self.categories.is_empty()
            || !self
                .series
                .iter()
                .flat_map(|s| s.data.iter())
                .any(|v| v.is_some_and(|v| v != 0.0) || (self.kind != Kind::Pie && v.is_some()))
    }

    /// The table cell of series `s` at category `c`, as shown.
    pub fn cell(&self, s: impl AsIndex, c: impl AsIndex) -> String {
        let (s, c) = (s.index(), c.index());
        match self
            .series
            .get(s)
            .and_then(|s| s.data.get(c))
            .copied()
            .flatten()
        {
            Some(v) => format!("{v:.*}", self.decimals),
            None => "—".into(),
        }
    }

    /// The drill-down of series `s` at category `c`, or "".
    pub fn cell_link(&self, s: impl AsIndex, c: impl AsIndex) -> &str {
        let (s, c) = (s.index(), c.index());
        self.series
            .get(s)
            .and_then(|s| s.links.get(c))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// The drill-down of category `c`, or "".
    pub fn link(&self, c: impl AsIndex) -> &str {
        self.links.get(c.index()).map(String::as_str).unwrap_or("")
    }

    /// The extra column `k` at category `c`.
    pub fn column_cell(&self, k: impl AsIndex, c: impl AsIndex) -> &str {
        let (k, c) = (k.index(), c.index());
        self.columns
            .get(k)
            .and_then(|col| col.cells.get(c))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Sum of a single-series chart (pie), as shown.
    pub fn total(&self) -> String {
        let sum: f64 = self
            .series
            .iter()
            .flat_map(|s| s.data.iter())
            .flatten()
            .sum();
        format!("{:.*}", self.decimals, round_to(sum, self.decimals))
    }
}

pub const SUBSIDY_LABEL: &str = "财政补助（非自主收入）";

/// Revenue by channel per year: the five channels stacked, fiscal subsidy as its own bar beside
/// them (it is not self-generated income).
pub fn revenue_by_year(
    id: &'static str,
    src: String,
    title: String,
    years: &[YearRevenue],
    link: impl Fn(i32) -> String,
    source_column: Option<&str>,
) -> Chart {
    let mut c = Chart::new(id, src, Kind::StackedBar, title);
    c.unit = "万元";
    c.decimals = 2;
    c.axis = "年度";
    c.categories = years.iter().map(|y| y.year.to_string()).collect();
    c.links = years.iter().map(|y| link(y.year)).collect();
    for (i, channel) in Channel::ALL.iter().enumerate() {
        c.series.push(Series {
            name: channel.label_zh().into(),
            data: years
                .iter()
                .map(|y| Some(wan_value(y.channels()[i].1)))
                .collect(),
            stack: Some("self"),
            links: Vec::new(),
        });
    }
    c.series.push(Series {
        name: SUBSIDY_LABEL.into(),
        data: years
            .iter()
            .map(|y| Some(wan_value(y.fiscal_subsidy)))
            .collect(),
        stack: Some("subsidy"),
        links: Vec::new(),
    });
    c.columns.push(Column {
        header: "自主收入合计（万元）".into(),
        cells: years
            .iter()
            .map(|y| format!("{:.2}", wan_value(y.self_generated)))
            .collect(),
    });
    if let Some(header) = source_column {
        c.columns.push(Column {
            header: header.into(),
            cells: years
                .iter()
                .map(|y| {
                    if y.platforms > 1 {
                        y.platforms.to_string()
                    } else if y.revenue_from_ledger {
                        "台账合计".into()
                    } else {
                        "年报填报".into()
                    }
                })
                .collect(),
        });
    }
    c.empty_hint = "尚无收入数据。平台在“台账”中录入收入与支出（或填报年度数据）后，这里按年度显示各渠道收入。".into();
    c.note = "自主收入为服务订单、技术合同、技术成果转化、政府科研项目、孵化企业收益反哺五个渠道之和；财政补助单列，不计入自主收入。".into();
    c
}

/// One year's self-generated income by channel (a pie).
pub fn channel_mix(
    id: &'static str,
    src: String,
    year: Option<&YearRevenue>,
    link: impl Fn(i32) -> String,
) -> Chart {
    let title = match year {
        Some(y) => format!("{}年自主收入构成", y.year),
        None => "自主收入构成".into(),
    };
    let mut c = Chart::new(id, src, Kind::Pie, title);
    c.unit = "万元";
    c.decimals = 2;
    c.axis = "收入渠道";
    if let Some(y) = year {
        c.categories = Channel::ALL.iter().map(|ch| ch.label_zh().into()).collect();
        c.links = Channel::ALL.iter().map(|_| link(y.year)).collect();
        c.series.push(Series {
            name: "收入".into(),
            data: y
                .channels()
                .iter()
                .map(|(_, v)| Some(wan_value(*v)))
                .collect(),
            stack: None,
            links: Vec::new(),
        });
        c.note = format!(
            "不含财政补助（{}年 {:.2} 万元）。",
            y.year,
            wan_value(y.fiscal_subsidy)
        );
    }
    c.empty_hint = "本年度尚无自主收入记录。".into();
    c
}

/// The year whose mix the dashboard shows: this year if it has revenue, else the latest that has.
pub fn mix_year(years: &[YearRevenue], this_year: i32) -> Option<&YearRevenue> {
    years
        .iter()
        .rev()
        .filter(|y| y.year <= this_year)
        .find(|y| y.self_generated > 0)
}

/// Self-generated income ÷ expenditure per year against the break-even line (1.0), with the year of
/// the transformation deadline marked (the axis runs to it when it lies ahead).
pub fn break_even(
    id: &'static str,
    src: String,
    years: &[YearRevenue],
    t: &TransformationDeadline,
    link: impl Fn(i32) -> String,
) -> Chart {
    let mut c = Chart::new(id, src, Kind::Line, "自给率（自主收入 ÷ 支出）".into());
    c.unit = "倍";
    c.decimals = 2;
    c.axis = "年度";
    let mut rows: Vec<(i32, Option<&YearRevenue>)> =
        years.iter().map(|y| (y.year, Some(y))).collect();
    if let (Some(deadline), Some(&(last, _))) = (t.deadline, rows.last()) {
        use chrono::Datelike;
        let until = deadline.year().min(last + 10);
        rows.extend((last + 1..=until).map(|y| (y, None)));
    }
    c.categories = rows.iter().map(|(y, _)| y.to_string()).collect();
    c.links = rows.iter().map(|(y, _)| link(*y)).collect();
    c.series.push(Series {
        name: "自给率".into(),
        data: rows
            .iter()
            .map(|(_, y)| y.and_then(YearRevenue::ratio).map(|r| round_to(r, 2)))
            .collect(),
        stack: None,
        links: Vec::new(),
    });
    let money = |f: fn(&YearRevenue) -> i64| -> Vec<String> {
        rows.iter()
            .map(|(_, y)| y.map_or("—".into(), |y| format!("{:.2}", wan_value(f(y)))))
            .collect()
    };
    c.columns.push(Column {
        header: "自主收入（万元）".into(),
        cells: money(|y| y.self_generated),
    });
    c.columns.push(Column {
        header: "支出（万元）".into(),
        cells: money(|y| y.expenditure),
    });
    c.mark_line = Some(MarkLine {
        value: 1.0,
        label: "收支平衡线".into(),
    });
    if let Some(deadline) = t.deadline {
        use chrono::Datelike;
        let year = deadline.year().to_string();
        if c.categories.contains(&year) {
            c.mark_category = Some(MarkCategory {
                category: year,
                label: format!("转型期限 {deadline}"),
            });
        }
    }
    c.note = match (t.construction_end, t.deadline) {
        (Some(end), Some(deadline)) => format!(
            "建设期至{end}；市场化转型期限为建设期满后{}个月，即{deadline}，此后自给率应不低于1（收支平衡）。",
            t.months
        ),
        _ => "未登记建设期结束日期，无法确定市场化转型期限。".into(),
    };
    c.empty_hint = "尚无收入与支出数据，无法计算自给率。".into();
    c
}

/// Evaluation results of published rounds by dimension (grouped bars), with total, grade and rank
/// in the table.
pub fn evaluation_history(
    id: &'static str,
    src: String,
    results: &[EvaluationResult],
    link: impl Fn(i32) -> String,
) -> Chart {
    let mut c = Chart::new(id, src, Kind::Bar, "历年绩效评估（分维度得分）".into());
    c.unit = "分";
    c.decimals = 1;
    c.axis = "年度";
    c.categories = results.iter().map(|r| r.year.to_string()).collect();
    c.links = results.iter().map(|r| link(r.year)).collect();
    for d in Dimension::ALL {
        c.series.push(Series {
            name: d.label_zh().into(),
            data: results
                .iter()
                .map(|r| r.dimensions.0.get(d.as_str()).map(|v| round_to(*v, 1)))
                .collect(),
            stack: None,
            links: Vec::new(),
        });
    }
    c.columns.push(Column {
        header: "总分".into(),
        cells: results
            .iter()
            .map(|r| {
                r.total_score
                    .map_or("—".into(), |s| format!("{:.1}", round_to(s, 1)))
            })
            .collect(),
    });
    c.columns.push(Column {
        header: "等次".into(),
        cells: results
            .iter()
            .map(|r| r.grade.map_or("—", Grade::label_zh).into())
            .collect(),
    });
    c.columns.push(Column {
        header: "排名".into(),
        cells: results
            .iter()
            .map(|r| r.rank.map_or("—".into(), |n| n.to_string()))
            .collect(),
    });
    c.empty_hint =
        "尚无已发布的年度绩效评估结果。年底评估结果公示并发布后，这里按维度显示历年得分。".into();
    c
}

/// Counts per bucket (one series), e.g. platforms by stage.
pub fn counts(
    id: &'static str,
    src: String,
    kind: Kind,
    title: String,
    axis: &'static str,
    buckets: Vec<(String, i64, String)>,
) -> Chart {
    let mut c = Chart::new(id, src, kind, title);
    c.unit = "个";
    c.axis = axis;
    c.categories = buckets.iter().map(|b| b.0.clone()).collect();
    c.links = buckets.iter().map(|b| b.2.clone()).collect();
    c.series.push(Series {
        name: "平台数".into(),
        data: buckets.iter().map(|b| Some(b.1 as f64)).collect(),
        stack: None,
        links: Vec::new(),
    });
    c.empty_hint = "没有符合条件的平台。".into();
    c
}

/// Grade distribution per year: one stacked bar per year, a segment per grade.
pub fn grades_by_year(
    id: &'static str,
    src: String,
    rows: &[(i32, String, i64)],
    link: impl Fn(i32, Grade) -> String,
) -> Chart {
    let mut c = Chart::new(id, src, Kind::StackedBar, "等次分布（已发布年度）".into());
    c.unit = "个";
    c.axis = "年度";
    let mut years: Vec<i32> = rows.iter().map(|r| r.0).collect();
    years.dedup();
    c.categories = years.iter().map(i32::to_string).collect();
    for g in Grade::ALL {
        c.series.push(Series {
            name: g.label_zh().into(),
            data: years
                .iter()
                .map(|y| {
                    Some(
                        rows.iter()
                            .find(|r| r.0 == *y && r.1 == g.as_str())
                            .map_or(0, |r| r.2) as f64,
                    )
                })
                .collect(),
            stack: Some("grade"),
            links: years.iter().map(|y| link(*y, *g)).collect(),
        });
    }
    c.empty_hint = "尚无已发布的评估结果。".into();
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn year(year: i32, so: i64, exp: i64) -> YearRevenue {
        YearRevenue {
            year,
            service_orders: so,
            self_generated: so,
            expenditure: exp,
            platforms: 1,
            ..Default::default()
        }
    }

    #[test]
    fn wan_values_round_like_wan() {
        for v in [0, 49, 50, 12_345_678, 999_999, -12_345] {
            assert_eq!(
                format!("{:.2}", wan_value(v)),
                crate::domain::money::wan(v).replace(',', ""),
                "{v}"
            );
        }
    }

    #[test]
    fn table_cells_are_the_json_values() {
        let years = [year(2024, 1_234_500, 2_000_000), year(2025, 0, 0)];
        let c = revenue_by_year(
            "r",
            "/x".into(),
            "t".into(),
            &years,
            |y| format!("/l?year={y}"),
            None,
        );
        assert_eq!(c.series.len(), 6);
        assert_eq!(c.cell(0, 0), "123.45");
        assert_eq!(c.series[0].data[0], Some(123.45));
        assert_eq!(c.link(1), "/l?year=2025");
        assert_eq!(c.series[5].stack, Some("subsidy"));
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["kind"], "stacked-bar");
        assert_eq!(json["series"][0]["data"][0], 123.45);
    }

    #[test]
    fn break_even_runs_to_the_deadline_and_marks_it() {
        let years = [year(2023, 500, 1000), year(2024, 1500, 1000)];
        let t = TransformationDeadline::new(chrono::NaiveDate::from_ymd_opt(2025, 6, 30), 24);
        let c = break_even("b", "/x".into(), &years, &t, |y| y.to_string());
        assert_eq!(c.categories, ["2023", "2024", "2025", "2026", "2027"]);
        assert_eq!(c.series[0].data, [Some(0.5), Some(1.5), None, None, None]);
        let mark = c.mark_category.as_ref().unwrap();
        assert_eq!(mark.category, "2027");
        assert_eq!(mark.label, "转型期限 2027-06-30");
        assert_eq!(c.mark_line.as_ref().unwrap().value, 1.0);
        assert_eq!(c.column_cell(1, 0), "0.10");
    }

    #[test]
    fn an_empty_pie_is_empty() {
        let c = channel_mix("m", "/x".into(), None, |_| String::new());
        assert!(c.is_empty());
        let y = year(2025, 0, 10);
        let zero = channel_mix("m", "/x".into(), Some(&y), |_| String::new());
        assert!(zero.is_empty());
        let y = year(2025, 10_000, 10);
        assert!(!channel_mix("m", "/x".into(), Some(&y), |_| String::new()).is_empty());
        assert_eq!(
            mix_year(std::slice::from_ref(&y), 2026).map(|y| y.year),
            Some(2025)
        );
    }
}
