//! Refusals and the conflict page (somebody saved first).

use super::*;

// ---- refusals and conflicts -------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "annual/refused.html")]
pub struct RefusedPage {
    pub layout: Layout,
    pub tab: &'static str,
    pub tab_platform_id: i64,
    pub head: PlatformHead,
    pub year: i32,
    pub title: &'static str,
    pub message: String,
    /// Mine against what is saved, when somebody saved first.
    pub rows: Vec<ConflictRow>,
}

/// The platform's 年度考核 tab for a year, where a refused filing write is explained (409).
pub(super) struct Tab<'a> {
    pub state: &'a AppState,
    pub user: &'a CurrentUser,
    pub id: i64,
    pub year: i32,
}

impl Tab<'_> {
    /// The refusal page: why nothing was saved.
    pub async fn refused(
        &self,
        title: &'static str,
        message: impl Into<String>,
    ) -> AppResult<Response> {
        self.conflict(title, message, Vec::new()).await
    }

    /// The refusal page with what was typed against what somebody saved first.
    pub async fn conflict(
        &self,
        title: &'static str,
        message: impl Into<String>,
        rows: Vec<ConflictRow>,
    ) -> AppResult<Response> {
        let mut conn = self.state.db.acquire().await?;
        let head = PlatformHead::load(&mut conn, self.id).await?;
        let page = RefusedPage {
            layout: Layout::for_user(self.user, "platforms"),
            tab: "annual",
            tab_platform_id: self.id,
            head,
            year: self.year,
            title,
            message: message.into(),
            rows,
        };
        Ok((StatusCode::CONFLICT, page).into_response())
    }
}

/// The filing fields as typed against a saved version.
pub(super) fn conflict_rows(
    rubric: &Rubric,
    mine: &RawForm,
    saved: &FilingRow,
) -> Vec<ConflictRow> {
    let theirs = filing::to_form(rubric, &saved.content(), &saved.change_reason);
    let mut labels: BTreeMap<String, String> = target_indicators(rubric)
        .map(|i| (target_field(&i.key), i.label_zh.clone()))
        .collect();
    for &c in Channel::ALL {
        labels.insert(plan_field(c), format!("收入计划·{}（万元）", c.label_zh()));
    }
    labels.insert(BUDGET_FIELD.into(), "支出预算（万元）".into());
    labels.insert(REASON_FIELD.into(), "变更原因".into());
    let mut fields = filing::commentable_fields(rubric);
    fields.push(REASON_FIELD.into());
    fields
        .into_iter()
        .map(|field| {
            let m = mine.get(&field).to_owned();
            let t = theirs.get(&field).to_owned();
            ConflictRow {
                label: labels.get(&field).cloned().unwrap_or_else(|| field.clone()),
                differs: m != t,
                mine: m,
                theirs: t,
            }
        })
        .collect()
}
