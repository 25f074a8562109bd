//! The 年度考核 tab and its filing section.

use super::*;

// ---- the shared page ------------------------------------------------------------------

/// The 半年过堂 section: the mid-year module's summary.
pub type MidyearSection = crate::web::midyear::MidyearSummary;
/// The 年底评估 section: the year-end module's summary.
pub type YearendSection = crate::web::evaluation::YearendSummary;

pub(super) async fn midyear_section(
    state: &AppState,
    _user: &CurrentUser,
    platform_id: i64,
    year: i32,
) -> AppResult<Option<MidyearSection>> {
    let mut conn = state.db.acquire().await?;
    Ok(Some(
        MidyearSection::load(&mut conn, platform_id, year, today())
            .await?
            // The filing and the year-end result beside it are in 万元.
            .money_in_wan(),
    ))
}

pub(super) async fn yearend_section(
    state: &AppState,
    _user: &CurrentUser,
    platform_id: i64,
    year: i32,
) -> AppResult<Option<YearendSection>> {
    let mut conn = state.db.acquire().await?;
    Ok(Some(
        crate::web::evaluation::yearend_summary(&mut conn, platform_id, year).await?,
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "annual/platform.html")]
pub struct AnnualPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub head: PlatformHead,
    pub year: i32,
    pub years: Vec<YearLink>,
    pub notice: String,
    /// 年初备案.
    pub filing: Option<FilingSection>,
    /// 半年过堂.
    pub midyear: Option<MidyearSection>,
    /// 年底评估.
    pub yearend: Option<YearendSection>,
}

pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<YearQuery>,
) -> AppResult<AnnualPage> {
    let year = year_or_current(q.year)?;
    let mut conn = state.db.acquire().await?;
    let head = PlatformHead::load(&mut conn, id).await?;
    let filed_years = crate::db::filings::years(&mut conn, id).await?;
    let filing = filing_section(&mut conn, &user, id, year).await?;
    drop(conn);
    let this_year = current_year();
    let mut years = filed_years;
    years.extend((this_year - 3)..=(this_year + 1));
    years.push(year);
    Ok(AnnualPage {
        layout: Layout::for_user(&user, "platforms"),
        tab: "annual",
        tab_platform_id: id,
        head,
        year,
        years: year_links(years, year),
        notice: Flash::text_of(&q.notice).into(),
        filing: Some(filing),
        midyear: midyear_section(&state, &user, id, year).await?,
        yearend: yearend_section(&state, &user, id, year).await?,
    })
}

// ---- the filing section ---------------------------------------------------------------

/// One field of a filing version as shown (with the reviewer's comment on it, if any).
pub struct FieldLine {
    pub group: &'static str,
    pub label: String,
    pub value: String,
    pub comment: String,
    /// The review form's comment input for this field.
    pub comment_name: String,
    pub comment_typed: String,
}

/// One filing version as shown.
pub struct FilingView {
    pub id: i64,
    pub version: i32,
    pub status: &'static str,
    pub status_code: &'static str,
    pub lines: Vec<FieldLine>,
    pub planned_self_generated: String,
    pub change_reason: String,
    pub submitted: String,
    pub late: bool,
    pub reviewed: String,
    pub review_comment: String,
    pub lock_version: i32,
}

/// The version the year's deadline is judged on: the first one submitted (EVAL-FILING, as the
/// section's 按期/逾期 line says). Only that version can be flagged 逾期提交: a later version (a
/// fix after a return, a change) submitted after the deadline does not make the filing late.
pub(super) fn first_submitted_id(rows: &[FilingRow]) -> Option<i64> {
    rows.iter()
        .filter_map(|r| r.submitted_at.map(|at| (at, r.id)))
        .min()
        .map(|(_, id)| id)
}

/// Whether `row` is the year's first submission and came after the deadline.
fn version_late(row: &FilingRow, first_submitted: Option<i64>, deadline: NaiveDate) -> bool {
    first_submitted == Some(row.id)
        && row
            .submitted_at
            .as_ref()
            .is_some_and(|t| filing::submitted_late(beijing_date(t), deadline))
}

pub(super) fn filing_view(
    rubric: &Rubric,
    row: &FilingRow,
    deadline: NaiveDate,
    first_submitted: Option<i64>,
    typed: Option<&RawForm>,
) -> FilingView {
    let content = row.content();
    let comments = &row.field_comments.0;
    let line = |group: &'static str, field: String, label: String, value: String| {
        let comment_name = comment_field(&field);
        FieldLine {
            group,
            label,
            value,
            comment: comments.get(&field).cloned().unwrap_or_default(),
            comment_typed: typed
                .map(|f| f.get(&comment_name).to_owned())
                .unwrap_or_default(),
            comment_name,
        }
    };
    let mut lines = Vec::new();
    // Money lines carry their unit once, in the label ("研发投入（万元）"), never after the number.
    let shown = |key: &str, t: f64| match unit_of(key) {
        Unit::Yuan => wan(t.round() as i64),
        unit => indicator_display(unit, t),
    };
    let labelled = |key: &str, label: String| match unit_of(key) {
        Unit::Yuan => format!("{label}（万元）"),
        _ => label,
    };
    for ind in target_indicators(rubric) {
        let value = content
            .targets
            .get(&ind.key)
            .map(|t| shown(&ind.key, *t))
            .unwrap_or_else(|| "未填".into());
        lines.push(line(
            ind.dimension.label_zh(),
            target_field(&ind.key),
            labelled(&ind.key, ind.label_zh.clone()),
            value,
        ));
    }
    // Targets of indicators the year's rubric no longer has.
    for (key, t) in &content.targets {
        if rubric.indicator(key).is_none() {
            lines.push(line(
                "其他",
                target_field(key),
                labelled(key, key.clone()),
                shown(key, *t),
            ));
        }
    }
    for &c in Channel::ALL {
        lines.push(line(
            "收入计划",
            plan_field(c),
            format!("{}（万元）", c.label_zh()),
            wan(content.revenue_plan.get(&c).copied().unwrap_or(0)),
        ));
    }
    lines.push(line(
        "支出预算",
        BUDGET_FIELD.to_owned(),
        "年度支出预算（万元）".into(),
        wan(content.expenditure_budget),
    ));
    let status = row.status();
    FilingView {
        id: row.id,
        version: row.version,
        status: status.label_zh(),
        status_code: status.as_str(),
        lines,
        planned_self_generated: wan(content.planned_self_generated()),
        change_reason: row.change_reason.clone(),
        submitted: match (&row.submitted_at, &row.submitted_by_name) {
            (Some(at), by) => format!(
                "{} 于 {} 提交",
                by.as_deref().unwrap_or("—"),
                local_time(at)
            ),
            (None, _) => String::new(),
        },
        late: version_late(row, first_submitted, deadline),
        reviewed: match (&row.reviewed_at, &row.reviewed_by_name) {
            (Some(at), by) => format!(
                "{} 于 {} 审核",
                by.as_deref().unwrap_or("—"),
                local_time(at)
            ),
            (None, _) => String::new(),
        },
        review_comment: row.review_comment.clone(),
        lock_version: row.lock_version,
    }
}

/// One line of the version list.
pub struct VersionLine {
    pub id: i64,
    pub version: i32,
    pub status: &'static str,
    pub status_code: &'static str,
    pub submitted: String,
    pub late: bool,
    pub reviewed: String,
    pub change_reason: String,
}

pub struct InForce {
    pub id: i64,
    pub version: i32,
}

/// The 年初备案 section of the annual page.
pub struct FilingSection {
    pub deadline: String,
    pub timeliness: String,
    pub flagged: bool,
    /// The version to look at now: the one in progress, else the newest.
    pub shown: Option<FilingView>,
    /// The approved version in force, when `shown` is another (a change in progress): its id and number.
    pub in_force: Option<InForce>,
    pub versions: Vec<VersionLine>,
    /// Operator: the form can be opened; with this label.
    pub can_file: bool,
    pub file_label: &'static str,
    /// Operator: an approved filing can be changed (变更备案).
    pub can_change: bool,
    /// Staff: the version awaiting review.
    pub review_id: Option<i64>,
    pub is_operator: bool,
}

pub async fn filing_section(
    conn: &mut PgConnection,
    user: &CurrentUser,
    platform_id: i64,
    year: i32,
) -> AppResult<FilingSection> {
    let (config, _) = annual_config::get(conn, year).await?;
    let rows = filings::list_year(conn, platform_id, year).await?;
    let versions = filings::versions(&rows);
    let deadline = config.deadline(year, Step::Filing);
    let first_submitted = rows
        .iter()
        .filter_map(|r| r.submitted_at.as_ref())
        .map(beijing_date)
        .min();
    let timeliness = Timeliness::of(deadline, first_submitted, today());
    let first_id = first_submitted_id(&rows);
    let shown_row = versions
        .open()
        .or(versions.latest())
        .and_then(|v| rows.iter().find(|r| r.id == v.id));
    let in_force = versions
        .approved()
        .filter(|a| shown_row.is_some_and(|s| s.id != a.id))
        .map(|a| InForce {
            id: a.id,
            version: a.version,
        });
    let is_operator = user.has_role(Role::Operator);
    let edit = filing::can_edit(&versions, false);
    let file_label = match (versions.open(), versions.latest()) {
        (Some(_), _) => "继续填报（草稿）",
        (None, Some(l)) if l.status == FilingStatus::Returned => "按意见修改后重新提交",
        _ => "填报年初备案",
    };
    Ok(FilingSection {
        deadline: deadline.to_string(),
        timeliness: timeliness.to_string(),
        flagged: timeliness.is_flagged(),
        shown: shown_row.map(|r| filing_view(&config.rubric, r, deadline, first_id, None)),
        in_force,
        versions: rows
            .iter()
            .rev()
            .map(|r| {
                let status = r.status();
                VersionLine {
                    id: r.id,
                    version: r.version,
                    status: status.label_zh(),
                    status_code: status.as_str(),
                    submitted: r.submitted_at.as_ref().map(local_time).unwrap_or_default(),
                    late: version_late(r, first_id, deadline),
                    reviewed: match (&r.reviewed_at, &r.reviewed_by_name) {
                        (Some(at), by) => {
                            format!("{} {}", by.as_deref().unwrap_or(""), local_time(at))
                        }
                        _ => String::new(),
                    },
                    change_reason: r.change_reason.clone(),
                }
            })
            .collect(),
        can_file: is_operator && edit.is_ok(),
        file_label,
        can_change: is_operator && versions.approved().is_some() && versions.open().is_none(),
        review_id: versions
            .open()
            .filter(|o| o.status == FilingStatus::Submitted && user.has_role(Role::Staff))
            .map(|o| o.id),
        is_operator,
    })
}
