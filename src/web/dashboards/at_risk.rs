//! At-risk rows, shared by the workbench and the leadership dashboard.

use super::*;

// ---- at-risk rows (workbench and leadership) ----------------------------------------------------

#[derive(Clone)]
pub struct RiskRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub stage: &'static str,
    pub deadline: String,
    pub ratio: String,
    pub reasons: Vec<String>,
}

pub(super) fn risk_rows(rows: Vec<AtRisk>, today: NaiveDate) -> Vec<RiskRow> {
    let year = crate::domain::calendar::last_complete_year(today);
    rows.into_iter()
        .map(|r| {
            let mut reasons = Vec::new();
            if let (true, Some(deadline)) = (r.transition, r.deadline) {
                let figures = match r.ratio {
                    Some(ratio) => format!("{year}年度自给率{ratio:.2}"),
                    None => format!("{year}年度无收支数据"),
                };
                reasons.push(if deadline < today {
                    format!("转型期限{deadline}已过，{figures}，未实现收支平衡")
                } else {
                    format!("距转型期限{deadline}不足6个月，{figures}，尚未收支平衡")
                });
            }
            for id in &r.rules {
                // The break-even failure says the same as the transition reason above.
                if id == "MKT-BREAK-EVEN" && r.transition {
                    continue;
                }
                reasons.push(match rule(id) {
                    Some(def) => format!("{}：{}", def.name_zh, def.title_zh),
                    None => id.clone(),
                });
            }
            RiskRow {
                id: r.id,
                code: r.code,
                name: r.name,
                jurisdiction: r.jurisdiction,
                stage: r.stage.label_zh(),
                deadline: r
                    .deadline
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "—".into()),
                ratio: r.ratio.map_or("—".into(), |v| format!("{v:.2}")),
                reasons,
            }
        })
        .collect()
}
