//! The 年底评估 tab of a platform.

use super::*;

// ---- the page -------------------------------------------------------------------------------------

pub struct DocRow {
    pub id: i64,
    pub title: String,
    pub kind: &'static str,
    pub uploaded: String,
    pub checked: bool,
}

/// What the operator typed when a submission is re-rendered with errors.
#[derive(Default)]
pub(crate) struct Typed {
    pub(super) actuals: BTreeMap<String, String>,
    pub(super) self_assessment: String,
    pub(super) evidence: Vec<i64>,
    pub(super) errors: Errors,
    pub(super) reopen_until: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "evaluation/platform.html")]
pub struct EvaluationPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub p: Platform,
    pub year: i32,
    pub years: Vec<i32>,
    pub yearend: YearendSummary,
    pub notice: &'static str,
    pub bar: String,
    pub late: bool,
    pub reopened_until: String,
    pub has_filing: bool,
    pub stage_ok: bool,
    pub rows: Vec<IndicatorRow>,
    pub self_assessment: String,
    pub docs: Vec<DocRow>,
    pub evidence: Vec<DocRow>,
    pub errors: Errors,
    pub lock_version: i32,
    pub can_edit: bool,
    pub can_submit: bool,
    pub has_county_review: bool,
    pub can_county_review: bool,
    pub can_city_review: bool,
    pub can_reopen: bool,
    pub review_error: String,
    pub reopen_error: String,
    pub reopen_until: String,
    pub reopen_reason: String,
    pub county_review: String,
    pub county_comment: String,
    pub city_review: String,
    pub city_comment: String,
    pub score: Option<ScoreView>,
    pub is_staff: bool,
}

impl EvaluationPage {
    pub fn error(&self, field: &str) -> &str {
        self.errors.get(field).map(String::as_str).unwrap_or("")
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    year: String,
    notice: String,
}

pub async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    let today = today();
    let year = match q.year.trim() {
        "" => rules::default_year(today),
        y => valid_year(y.parse().map_err(|_| AppError::NotFound)?)?,
    };
    let notice = Flash::text_of(&q.notice);
    let mut conn = state.db.acquire().await?;
    let page = build_page(&mut conn, &user, id, year, today, notice, None).await?;
    Ok(page.into_response())
}

pub(super) async fn build_page(
    conn: &mut PgConnection,
    user: &CurrentUser,
    id: i64,
    year: i32,
    today: NaiveDate,
    notice: &'static str,
    typed: Option<Typed>,
) -> AppResult<EvaluationPage> {
    let p = platforms::get(conn, id).await?.ok_or(AppError::NotFound)?;
    let e = db::get(conn, id, year).await?;
    let (config, _) = annual_config::get(conn, year).await?;
    let round = db::round(conn, year).await?.status();
    let bar = bar_of(conn, id, config.deadline(year, Step::Yearend)).await?;
    let targets = db::approved_targets(conn, id, year).await?;
    let f = facts(&p, e.as_ref(), year, &config, bar, round, today);
    let actor = actor_of(user);
    let may = |a: EvalAction| rules::check(a, actor, &f).is_ok();

    // What the form shows: what was typed (on errors), else what was saved, else the recorded figures.
    let typed = match typed {
        Some(t) => t,
        None => {
            let actuals = match &e {
                Some(e) => e.actual_values(),
                // A new submission starts from the ledger-derived values and the recorded indicator values.
                None => crate::db::ledger::actuals(conn, id, year).await?,
            };
            let evidence = match &e {
                Some(e) => db::evidence(conn, e.id)
                    .await?
                    .into_iter()
                    .map(|d| d.id)
                    .collect(),
                None => Vec::new(),
            };
            Typed {
                actuals: actuals
                    .iter()
                    .map(|(k, v)| (k.clone(), number_text(*v)))
                    .collect(),
                self_assessment: e
                    .as_ref()
                    .map(|e| e.self_assessment.clone())
                    .unwrap_or_default(),
                evidence,
                ..Default::default()
            }
        }
    };
    let docs: Vec<DocRow> = db::platform_documents(conn, id)
        .await?
        .into_iter()
        .map(|d| DocRow {
            checked: typed.evidence.contains(&d.id),
            id: d.id,
            kind: document_kind_label(d.kind),
            uploaded: local_time(&d.created_at)[..10].to_string(),
            title: d.title,
        })
        .collect();
    let evidence = docs
        .iter()
        .filter(|d| d.checked)
        .map(|d| DocRow {
            id: d.id,
            title: d.title.clone(),
            kind: d.kind,
            uploaded: d.uploaded.clone(),
            checked: true,
        })
        .collect();
    let review_line = |at: Option<chrono::DateTime<Utc>>, by: &Option<String>| match at {
        Some(at) => format!("{} · {}", local_time(&at), by.as_deref().unwrap_or("—")),
        None => String::new(),
    };
    let status = e.as_ref().map(Evaluation::status);
    let is_staff = user.has_role(Role::Staff);
    let graded = status == Some(EvalStatus::Scored);
    let score = e
        .as_ref()
        .and_then(Evaluation::detail)
        .filter(|_| {
            // Staff see the quantitative step; everyone sees the final score once it is public.
            (is_staff && !graded) || matches!(round, RoundStatus::Notice | RoundStatus::Published)
        })
        .map(|d| score_view(&d));
    let first_year = 2019.min(year);
    let last_year = chrono::Datelike::year(&today).max(year);
    Ok(EvaluationPage {
        layout: Layout::for_user(user, "platforms"),
        tab: "annual",
        tab_platform_id: id,
        year,
        years: (first_year..=last_year).rev().collect(),
        yearend: summary_of(id, year, e.as_ref(), &config, round).reward_in_yuan(),
        notice,
        bar: match (&e, bar) {
            (Some(e), _) if status == Some(EvalStatus::Excluded) => e.excluded_reason.clone(),
            (_, Some(b)) if rules::may_exclude(status) => b.reason(),
            _ => String::new(),
        },
        late: f.is_late() && status.is_none_or(|s| s == EvalStatus::Draft),
        reopened_until: f.reopened_until.map(|d| d.to_string()).unwrap_or_default(),
        has_filing: targets.is_some(),
        stage_ok: f.stage.is_operating(),
        rows: indicator_rows(
            &config,
            &targets.unwrap_or_default(),
            &typed.actuals,
            &typed.errors,
        ),
        self_assessment: typed.self_assessment,
        docs,
        evidence,
        errors: typed.errors,
        lock_version: e.as_ref().map(|e| e.lock_version).unwrap_or(1),
        can_edit: may(EvalAction::Save),
        can_submit: may(EvalAction::Submit),
        has_county_review: f.has_county_review(),
        can_county_review: may(EvalAction::CountyPass) || may(EvalAction::CountyReturn),
        can_city_review: may(EvalAction::CityPass) || may(EvalAction::CityReturn),
        can_reopen: may(EvalAction::Reopen),
        review_error: String::new(),
        reopen_error: String::new(),
        reopen_until: if typed.reopen_until.is_empty() {
            (today + chrono::Duration::days(7)).to_string()
        } else {
            typed.reopen_until
        },
        reopen_reason: String::new(),
        county_review: e
            .as_ref()
            .map(|e| review_line(e.county_reviewed_at, &e.county_reviewed_by_name))
            .unwrap_or_default(),
        county_comment: e
            .as_ref()
            .map(|e| e.county_comment.clone())
            .unwrap_or_default(),
        city_review: e
            .as_ref()
            .map(|e| review_line(e.city_reviewed_at, &e.city_reviewed_by_name))
            .unwrap_or_default(),
        city_comment: e
            .as_ref()
            .map(|e| e.city_comment.clone())
            .unwrap_or_default(),
        score,
        is_staff,
        p,
    })
}

pub(super) fn back(id: i64, year: i32) -> String {
    format!("/platforms/{id}/evaluation?year={year}")
}

pub(super) fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
