//! The security admin's API tokens (`/security/api-tokens`): issue a token to a named system with
//! a data scope (one jurisdiction, or the city) and an expiry — shown once, stored hashed — list
//! them with their last use, and revoke one (confirmed first). Every issue and revocation is
//! audited by the write path; the calls themselves are audited by `api_v1::guard`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Months, NaiveDate, TimeZone, Utc};
use serde::Deserialize;

use super::auth::CurrentUser;
use super::flash::Flash;
use super::forms::{Form, Path, Query};
use super::layout::{Layout, local_time};
use super::widgets::{Opt, Pagination};
use super::write::{Entry, Writer};
use crate::db::api_tokens::{self, NewToken, TokenRow};
use crate::db::jurisdictions::{self, Jurisdiction};
use crate::domain::calendar::{BEIJING, beijing_date};
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // API tokens for other systems (security admin), and the versioned JSON API they read:
        // a bearer token instead of a session, within the token's jurisdiction.
        get( "/security/api-tokens",              Roles(SECADMIN, Global), list),
        post("/security/api-tokens",              Roles(SECADMIN, Global), issue),
        post("/security/api-tokens/{tid}/revoke", Roles(SECADMIN, Global), revoke),
    ]
}

/// The longest a token may live: a year, then the security admin issues a new one.
const MAX_VALIDITY_MONTHS: u32 = 12;
const PAGE_SIZE: i64 = 20;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    page: Option<i64>,
    size: Option<i64>,
    #[serde(default)]
    notice: String,
}

/// The issue form as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct TokenForm {
    pub name: String,
    pub jurisdiction_id: String,
    /// The last day the token works (Beijing time), `YYYY-MM-DD`.
    pub expires_on: String,
}

/// A token as the list shows it.
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub scope: String,
    pub prefix: String,
    pub expires_on: String,
    pub created: String,
    pub created_by: String,
    pub last_used: String,
    /// Status chip: CSS kind and word.
    pub status: (&'static str, &'static str),
    pub live: bool,
}

impl TokenView {
    fn of(r: TokenRow, now: DateTime<Utc>) -> TokenView {
        let status = if r.revoked_at.is_some() {
            ("none", "已吊销")
        } else if r.is_expired(now) {
            ("warn", "已过期")
        } else {
            ("pass", "有效")
        };
        TokenView {
            scope: scope_label(&r.jurisdiction_name, r.jurisdiction_is_city),
            // The stored expiry is the start of the next day in Beijing.
            expires_on: beijing_date(&(r.expires_at - Duration::seconds(1))).to_string(),
            created: local_time(&r.created_at)[..16].to_owned(),
            last_used: r
                .last_used_at
                .map(|t| local_time(&t)[..16].to_owned())
                .unwrap_or_else(|| "从未使用".into()),
            live: status.1 == "有效",
            status,
            id: r.id,
            name: r.name,
            prefix: r.token_prefix,
            created_by: r.created_by_name,
        }
    }
}

fn scope_label(jurisdiction: &str, is_city: bool) -> String {
    if is_city {
        format!("全市（{jurisdiction}）")
    } else {
        jurisdiction.to_owned()
    }
}

/// A token just issued: shown on this page once, never again.
pub struct Issued {
    pub name: String,
    pub scope: String,
    pub expires_on: String,
    pub token: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "security/api_tokens.html")]
pub struct TokensPage {
    pub layout: Layout,
    pub rows: Vec<TokenView>,
    pub pager: Pagination,
    pub f: TokenForm,
    pub errors: FieldErrors,
    pub jurisdictions: Vec<Opt>,
    pub notice: &'static str,
    pub issued: Option<Issued>,
    /// The latest expiry the form accepts (the date field's `max`).
    pub max_expiry: String,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    q: &ListQuery,
    f: TokenForm,
    errors: FieldErrors,
) -> AppResult<TokensPage> {
    let mut pager = Pagination::new(q.page, PAGE_SIZE, String::new()).with_size(q.size);
    let (rows, total) = api_tokens::list(&state.db, pager.per_page, pager.offset()).await?;
    pager.total = total;
    let now = Utc::now();
    let jurisdictions = jurisdictions::list(&state.db)
        .await?
        .into_iter()
        .map(|j| Opt {
            value: j.id.to_string(),
            label: scope_label(&j.name, j.is_city()),
        })
        .collect();
    Ok(TokensPage {
        layout: Layout::for_user(user, "api_tokens"),
        rows: rows.into_iter().map(|r| TokenView::of(r, now)).collect(),
        pager,
        f,
        errors,
        jurisdictions,
        notice: Flash::text_of(&q.notice),
        issued: None,
        max_expiry: latest_expiry(beijing_date(&now)).to_string(),
    })
}

fn latest_expiry(today: NaiveDate) -> NaiveDate {
    today
        .checked_add_months(Months::new(MAX_VALIDITY_MONTHS))
        .unwrap_or(today)
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<TokensPage> {
    let today = crate::clock::today();
    let f = TokenForm {
        expires_on: latest_expiry(today).to_string(),
        ..TokenForm::default()
    };
    page(&state, &user, &q, f, FieldErrors::default()).await
}

/// What a valid form issues.
#[derive(Debug)]
struct Valid {
    name: String,
    jurisdiction: Jurisdiction,
    expires_on: NaiveDate,
}

fn validate(f: &TokenForm, all: &[Jurisdiction], today: NaiveDate) -> Result<Valid, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = f.name.trim();
    match name.chars().count() {
        0 => errors.add("name", "请填写使用令牌的系统名称"),
        n if n > 100 => errors.add("name", "系统名称不能超过100个字"),
        _ => {}
    }
    let jurisdiction = f
        .jurisdiction_id
        .trim()
        .parse::<i32>()
        .ok()
        .and_then(|id| all.iter().find(|j| j.id == id));
    if jurisdiction.is_none() {
        errors.add("jurisdiction_id", "请选择令牌可查看的数据范围");
    }
    let expires_on = NaiveDate::parse_from_str(f.expires_on.trim(), "%Y-%m-%d").ok();
    match expires_on {
        None => errors.add("expires_on", "请填写有效期截止日期，如 2027-12-31"),
        Some(d) if d < today => errors.add("expires_on", "有效期截止日期不能早于今天"),
        Some(d) if d > latest_expiry(today) => errors.add(
            "expires_on",
            format!(
                "有效期最长一年，请填写不晚于 {} 的日期",
                latest_expiry(today)
            ),
        ),
        Some(_) => {}
    }
    match (jurisdiction, expires_on) {
        (Some(j), Some(d)) if errors.is_empty() => Ok(Valid {
            name: name.to_owned(),
            jurisdiction: j.clone(),
            expires_on: d,
        }),
        _ => Err(errors),
    }
}

/// The instant a token that works through `last_day` (Beijing) stops working.
fn end_of(last_day: NaiveDate) -> DateTime<Utc> {
    let next = last_day.succ_opt().unwrap_or(last_day);
    BEIJING
        .from_local_datetime(&next.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(Utc::now)
}

pub async fn issue(
    w: Writer,
    State(state): State<AppState>,
    user: CurrentUser,
    Form(f): Form<TokenForm>,
) -> AppResult<Response> {
    let all = jurisdictions::list(&state.db).await?;
    let today = crate::clock::today();
    let v = match validate(&f, &all, today) {
        Ok(v) => v,
        Err(errors) => {
            let p = page(&state, &user, &ListQuery::default(), f, errors).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, p).into_response());
        }
    };
    let token = api_tokens::new_token();
    let mut tx = w.begin().await?;
    let new = NewToken {
        name: &v.name,
        jurisdiction_id: v.jurisdiction.id,
        expires_at: end_of(v.expires_on),
        created_by: user.id,
    };
    let id = api_tokens::insert(&mut tx, &new, &token).await?;
    tx.audit(
        Entry::new("api_token.issue", "api_token", id).after(serde_json::json!({
            "name": v.name,
            "jurisdiction_id": v.jurisdiction.id,
            "expires_at": new.expires_at,
        })),
    )
    .await?;
    tx.commit().await?;
    let mut p = page(
        &state,
        &user,
        &ListQuery::default(),
        TokenForm {
            expires_on: latest_expiry(today).to_string(),
            ..TokenForm::default()
        },
        FieldErrors::default(),
    )
    .await?;
    p.issued = Some(Issued {
        scope: scope_label(&v.jurisdiction.name, v.jurisdiction.is_city()),
        name: v.name,
        expires_on: v.expires_on.to_string(),
        token,
    });
    Ok(p.into_response())
}

pub async fn revoke(w: Writer, user: CurrentUser, Path(tid): Path<i64>) -> AppResult<Response> {
    let mut tx = w.begin().await?;
    let Some(name) = api_tokens::revoke(&mut tx, tid, user.id).await? else {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    };
    tx.audit(
        Entry::new("api_token.revoke", "api_token", tid).after(serde_json::json!({
            "name": name,
        })),
    )
    .await?;
    tx.redirect(format!(
        "/security/api-tokens?notice={}",
        Flash::ApiTokenRevoked
    ))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_token_works_through_its_last_day_in_beijing() {
        assert_eq!(
            end_of(date("2027-03-31")).to_rfc3339(),
            "2027-03-31T16:00:00+00:00"
        );
    }

    #[test]
    fn the_form_needs_a_name_a_scope_and_an_expiry_within_a_year() {
        let all = vec![Jurisdiction {
            id: 3,
            code: "320613".into(),
            name: "崇川区".into(),
            kind: "county".into(),
        }];
        let today = date("2026-12-03");
        let form = |name: &str, j: &str, e: &str| TokenForm {
            name: name.into(),
            jurisdiction_id: j.into(),
            expires_on: e.into(),
        };
        let ok = validate(&form(" 市数据局 ", "3", "2027-12-03"), &all, today).unwrap();
        assert_eq!(ok.name, "市数据局");
        let bad = validate(&form("", "9", "2027-12-04"), &all, today).unwrap_err();
        assert!(bad.has("name") && bad.has("jurisdiction_id") && bad.has("expires_on"));
        assert!(
            validate(&form("甲", "3", "2026-12-02"), &all, today)
                .unwrap_err()
                .has("expires_on")
        );
        assert!(
            validate(&form("甲", "3", "明年"), &all, today)
                .unwrap_err()
                .has("expires_on")
        );
    }
}
