//! City–county co-building admission (市县共建, NT10 三(四)): for a year, the eligible county platforms with
//! their grades, the year's share (比例 / 最多家数, with history), proposals by one city staff member decided by
//! a second (approval moves the platform to `city_county`), and the admitted platforms' own results.
//! County staff read their county's part; leaders read everything.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use sqlx::PgConnection;

use super::auth::CurrentUser;
use super::flash::Flash;
use super::forms::{Form, Path, Query, valid_year, year_or_current};
use super::layout::{Layout, date_or_dash, local_time};
use super::widgets::YearQuery;
use super::write::{Entry, Writer};
use crate::clock::today;
use crate::db::cobuild::{self as db, PlatformRow, ProposalRow};
use crate::db::unique_violation;
use crate::domain::cobuild::{
    DecisionFields, ProposalStatus, Share, ShareFields, decider_refusal, grade_text, graded_years,
    parse_decision, parse_proposal_reason, parse_share, proposal_refusal, round_as_of,
    share_refusal,
};
use crate::domain::role::Role;
use crate::domain::validation::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Every route of this feature, one line each: method, path, who may use it (roles and data
/// scope), handler. `web::routes::registry()` is the union of the features' tables.
#[rustfmt::skip]
pub(super) fn routes() -> Vec<crate::web::RouteDef> {
    use crate::web::routes::prelude::*;
    vec![
        // City–county co-building (市县共建): city staff set the share, propose and decide (two people);
        // county staff read their county's part, leaders read.
        get( "/cobuild",                        Roles(OVERSIGHT, Global), index),
        post("/cobuild/{year}/share",           Roles(STAFF, City),       set_share),
        post("/cobuild/{year}/proposals",       Roles(STAFF, City),       propose),
        post("/cobuild/proposals/{rid}/decide", Roles(STAFF, City),       decide),
    ]
}

fn check_violation(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(db) if db.is_check_violation() => db.constraint().map(str::to_string),
        _ => None,
    }
}

// ---- the page ---------------------------------------------------------------------------

pub struct CandidateView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub support_end: String,
    pub previous_grade: &'static str,
    pub last_grade: &'static str,
    /// A pending proposal of this platform (any year).
    pub pending: bool,
}

pub struct ProposalView {
    pub id: i64,
    pub platform_id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub previous_grade: &'static str,
    pub last_grade: &'static str,
    pub reason: String,
    pub proposed_by: String,
    pub proposed_at: String,
    pub status_code: String,
    pub status: &'static str,
    pub pending: bool,
    pub decided_by: String,
    pub decided_at: String,
    pub decision_reason: String,
    /// The signed-in user proposed it (and so may not decide it).
    pub mine: bool,
}

impl ProposalView {
    fn new(p: &ProposalRow, user_id: i64) -> ProposalView {
        ProposalView {
            id: p.id,
            platform_id: p.platform_id,
            code: p.code.clone(),
            name: p.name.clone(),
            jurisdiction: p.jurisdiction_name.clone(),
            previous_grade: grade_text(p.previous_grade),
            last_grade: grade_text(p.last_grade),
            reason: p.reason.clone(),
            proposed_by: p.proposed_by_name.clone().unwrap_or_default(),
            proposed_at: local_time(&p.proposed_at)[..16].to_owned(),
            status_code: p.status.as_str().to_owned(),
            status: p.status.label_zh(),
            pending: p.status == ProposalStatus::Pending,
            decided_by: p.decided_by_name.clone().unwrap_or_default(),
            decided_at: p
                .decided_at
                .as_ref()
                .map(|t| local_time(t)[..16].to_owned())
                .unwrap_or_default(),
            decision_reason: p.decision_reason.clone(),
            mine: p.proposed_by == user_id,
        }
    }
}

pub struct ShareView {
    pub text: String,
    pub reason: String,
    pub by: String,
    pub at: String,
}

pub struct ResultRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub admitted_year: String,
    /// One cell per year of `ResultsPage::years`.
    pub grades: Vec<&'static str>,
}

/// What the user typed into one of the page's forms, kept when it is refused.
#[derive(Default)]
pub struct Feedback {
    /// `share`, `propose`, `decide` or empty.
    pub section: &'static str,
    /// The platform (propose) or proposal (decide) the refused form was about.
    pub target: i64,
    pub errors: FieldErrors,
    pub refusal: Vec<String>,
    pub share: ShareFields,
    pub reason: String,
    pub decision: DecisionFields,
}

impl Feedback {
    /// The error of a field of the share form, or "" when another form was refused (the forms share
    /// field names such as `reason`).
    pub fn share_error(&self, field: &str) -> &str {
        if self.section == "share" {
            self.errors.get(field)
        } else {
            ""
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "cobuild/index.html")]
pub struct CobuildPage {
    pub layout: Layout,
    pub year: i32,
    pub years: Vec<i32>,
    pub graded: (i32, i32),
    pub as_of: String,
    /// City staff: may set the share, propose and decide.
    pub can_write: bool,
    pub share: Option<ShareView>,
    pub share_history: Vec<ShareView>,
    /// Qualifying county platforms city-wide (still eligible + admitted this year).
    pub pool: u32,
    pub cap: Option<u32>,
    pub approved: i64,
    pub pending: i64,
    pub candidates: Vec<CandidateView>,
    pub proposals: Vec<ProposalView>,
    pub result_years: Vec<i32>,
    pub results: Vec<ResultRow>,
    pub fb: Feedback,
    pub notice: &'static str,
}

/// The eligible county platforms of a round, city-wide.
fn eligible(rows: &[PlatformRow], as_of: NaiveDate) -> Vec<&PlatformRow> {
    rows.iter()
        .filter(|r| crate::domain::cobuild::eligibility(&r.candidate(), as_of).is_eligible())
        .collect()
}

/// The round's numbers: `(eligible rows, pool, share, approved, pending)`.
struct Round {
    rows: Vec<PlatformRow>,
    as_of: NaiveDate,
    share: Option<Share>,
    approved: i64,
    pending: i64,
}

impl Round {
    async fn load(conn: &mut PgConnection, year: i32) -> AppResult<Round> {
        let rows = db::county_platforms(conn, graded_years(year)).await?;
        let share = db::shares(conn, year).await?.first().map(|s| s.share());
        let (approved, pending) = db::taken(conn, year).await?;
        Ok(Round {
            rows,
            as_of: round_as_of(year, today()),
            share,
            approved,
            pending,
        })
    }

    fn pool(&self) -> u32 {
        let still = eligible(&self.rows, self.as_of).len();
        u32::try_from(still).unwrap_or(u32::MAX) + u32::try_from(self.approved).unwrap_or(0)
    }
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    year: i32,
    fb: Feedback,
    notice: &'static str,
) -> AppResult<CobuildPage> {
    let mut conn = state.db.acquire().await?;
    let round = Round::load(&mut conn, year).await?;
    let shares = db::shares(&mut conn, year).await?;
    let proposals = db::proposals(&mut conn, year).await?;
    let admitted = db::admitted(&mut conn).await?;
    let ids: Vec<i64> = admitted.iter().map(|a| a.id).collect();
    let grades = db::grades(&mut conn, &ids).await?;
    let pending_anywhere: BTreeSet<i64> = db::pending_platforms(&mut conn)
        .await?
        .into_iter()
        .collect();
    drop(conn);

    let scope = user.scope;
    let pool = round.pool();
    let share_view = |s: &db::ShareRow| ShareView {
        text: s.share().describe(),
        reason: s.reason.clone(),
        by: s.set_by_name.clone().unwrap_or_default(),
        at: local_time(&s.set_at)[..16].to_owned(),
    };
    let candidates = eligible(&round.rows, round.as_of)
        .into_iter()
        .filter(|r| scope.allows(r.scope_ref()))
        .map(|r| CandidateView {
            id: r.id,
            code: r.code.clone(),
            name: r.name.clone(),
            jurisdiction: r.jurisdiction_name.clone(),
            support_end: date_or_dash(&r.first_support_end),
            previous_grade: grade_text(r.previous_grade),
            last_grade: grade_text(r.last_grade),
            pending: pending_anywhere.contains(&r.id),
        })
        .collect();

    let mut by_platform: BTreeMap<i64, BTreeMap<i32, &'static str>> = BTreeMap::new();
    let mut years = BTreeSet::new();
    for (pid, y, g) in &grades {
        years.insert(*y);
        by_platform
            .entry(*pid)
            .or_default()
            .insert(*y, grade_text(Some(*g)));
    }
    let result_years: Vec<i32> = years.into_iter().collect();
    let results = admitted
        .iter()
        .filter(|a| scope.allows(a.scope_ref()))
        .map(|a| ResultRow {
            id: a.id,
            code: a.code.clone(),
            name: a.name.clone(),
            jurisdiction: a.jurisdiction_name.clone(),
            admitted_year: a
                .admitted_year
                .map_or_else(|| "—".to_owned(), |y| y.to_string()),
            grades: result_years
                .iter()
                .map(|y| {
                    by_platform
                        .get(&a.id)
                        .and_then(|m| m.get(y))
                        .copied()
                        .unwrap_or("—")
                })
                .collect(),
        })
        .collect();

    let this_year = today().year();
    let mut years: Vec<i32> = ((this_year - 3)..=(this_year + 1)).collect();
    if !years.contains(&year) {
        years.push(year);
    }
    years.sort_unstable_by(|a, b| b.cmp(a));
    Ok(CobuildPage {
        layout: Layout::for_user(user, "cobuild"),
        year,
        years,
        graded: graded_years(year),
        as_of: round.as_of.to_string(),
        can_write: user.has_role(Role::Staff) && user.is_city_staff,
        share: shares.first().map(share_view),
        share_history: shares.iter().skip(1).map(share_view).collect(),
        pool,
        cap: round.share.map(|s| s.cap(pool)),
        approved: round.approved,
        pending: round.pending,
        candidates,
        proposals: proposals
            .iter()
            .filter(|p| scope.allows(p.scope_ref()))
            .map(|p| ProposalView::new(p, user.id))
            .collect(),
        result_years,
        results,
        fb,
        notice,
    })
}

pub async fn index(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<YearQuery>,
) -> AppResult<CobuildPage> {
    let year = year_or_current(q.year)?;
    page(
        &state,
        &user,
        year,
        Feedback::default(),
        Flash::text_of(&q.notice),
    )
    .await
}

async fn refused(
    state: &AppState,
    user: &CurrentUser,
    year: i32,
    fb: Feedback,
) -> AppResult<Response> {
    let page = page(state, user, year, fb, "").await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

fn back(year: i32, flash: Flash, anchor: &str) -> String {
    format!("/cobuild?year={year}&notice={flash}#{anchor}")
}

// ---- the share ----------------------------------------------------------------------------

pub async fn set_share(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(year): Path<i32>,
    Form(form): Form<ShareFields>,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let (share, reason) = match parse_share(&form) {
        Ok(v) => v,
        Err(errors) => {
            let fb = Feedback {
                section: "share",
                errors,
                share: form,
                ..Feedback::default()
            };
            return refused(&state, &user, year, fb).await;
        }
    };
    let mut tx = w.begin().await?;
    db::lock_year(&mut tx, year).await?;
    let before = db::shares(&mut tx, year).await?.into_iter().next();
    let id = db::insert_share(&mut tx, year, share, &reason, user.id).await?;
    tx.audit(
        Entry::new("cobuild.share", "cobuild_share", id)
            .before(before.map(|b| serde_json::json!(b)))
            .after(serde_json::json!({"year": year, "share": share, "reason": reason})),
    )
    .await?;
    tx.redirect(back(year, Flash::CobuildShareSet, "share"))
        .await
}

// ---- proposing --------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProposeForm {
    platform_id: String,
    reason: String,
}

pub async fn propose(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(year): Path<i32>,
    Form(form): Form<ProposeForm>,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let platform_id: i64 = form
        .platform_id
        .trim()
        .parse()
        .map_err(|_| AppError::NotFound)?;
    let fb = |errors: FieldErrors, refusal: Vec<String>| Feedback {
        section: "propose",
        target: platform_id,
        errors,
        refusal,
        reason: form.reason.clone(),
        ..Feedback::default()
    };
    let reason = match parse_proposal_reason(&form.reason) {
        Ok(r) => r,
        Err(errors) => return refused(&state, &user, year, fb(errors, Vec::new())).await,
    };
    let mut tx = w.begin().await?;
    db::lock_year(&mut tx, year).await?;
    let years = graded_years(year);
    let p = db::platform_for_update(&mut tx, platform_id, years)
        .await?
        .filter(|p| user.scope.allows(p.scope_ref()))
        .ok_or(AppError::NotFound)?;
    let round = Round::load(&mut tx, year).await?;
    let candidate = p.candidate();
    let refusal = proposal_refusal(&candidate, round.as_of, year).or_else(|| {
        let taken = u32::try_from(round.approved + round.pending).unwrap_or(u32::MAX);
        share_refusal(year, round.share, round.pool(), taken)
    });
    if let Some(msg) = refusal {
        tx.rollback().await?;
        return refused(&state, &user, year, fb(FieldErrors::default(), vec![msg])).await;
    }
    let new = db::NewProposal {
        year,
        platform_id,
        previous_grade: candidate.previous_grade,
        last_grade: candidate.last_grade,
        reason: &reason,
        proposed_by: user.id,
    };
    let id = match db::insert_proposal(&mut tx, &new).await {
        Ok(id) => id,
        Err(e) if unique_violation(&e).as_deref() == Some(db::ONE_PENDING) => {
            tx.rollback().await?;
            let msg = "该平台已有待审批的纳入提议，请等待审批结果。".to_owned();
            return refused(&state, &user, year, fb(FieldErrors::default(), vec![msg])).await;
        }
        Err(e) => return Err(e.into()),
    };
    let after = db::proposal(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.audit(Entry::new("cobuild.propose", "cobuild_proposal", id).after(after.audit_json()))
        .await?;
    let summary = format!(
        "提议纳入{year}年度市县共建（{}、{}年度绩效评估分别为{}、{}），待另一名市科技局业务人员审批",
        years.0,
        years.1,
        grade_text(candidate.previous_grade),
        grade_text(candidate.last_grade)
    );
    tx.timeline(platform_id, "cobuild.proposed", &summary, &reason)
        .await?;
    tx.touches(platform_id);
    tx.redirect(back(year, Flash::CobuildProposed, "proposals"))
        .await
}

// ---- deciding -----------------------------------------------------------------------------

pub async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(rid): Path<i64>,
    Form(form): Form<DecisionFields>,
) -> AppResult<Response> {
    let mut conn = state.db.acquire().await?;
    let found = db::proposal(&mut conn, rid)
        .await?
        .filter(|p| user.scope.allows(p.scope_ref()))
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let year = found.year;
    let fb = |errors: FieldErrors, refusal: Vec<String>| Feedback {
        section: "decide",
        target: rid,
        errors,
        refusal,
        decision: form.clone(),
        ..Feedback::default()
    };
    if let Some(msg) = decider_refusal(found.proposed_by, user.id) {
        return refused(
            &state,
            &user,
            year,
            fb(FieldErrors::default(), vec![msg.to_owned()]),
        )
        .await;
    }
    let (approve, reason) = match parse_decision(&form) {
        Ok(v) => v,
        Err(errors) => return refused(&state, &user, year, fb(errors, Vec::new())).await,
    };

    let mut tx = w.begin().await?;
    db::lock_year(&mut tx, year).await?;
    let years = graded_years(year);
    let platform = db::platform_for_update(&mut tx, found.platform_id, years)
        .await?
        .ok_or(AppError::NotFound)?;
    let before = db::proposal(&mut tx, rid)
        .await?
        .ok_or(AppError::NotFound)?;
    if before.status != ProposalStatus::Pending {
        tx.rollback().await?;
        let msg = format!(
            "该提议已由{}审批（{}），不能再次审批。",
            before.decided_by_name.as_deref().unwrap_or("他人"),
            before.status.label_zh()
        );
        return refused(&state, &user, year, fb(FieldErrors::default(), vec![msg])).await;
    }
    if approve {
        let round = Round::load(&mut tx, year).await?;
        let candidate = platform.candidate();
        let refusal = proposal_refusal(&candidate, round.as_of, year).or_else(|| {
            let taken = u32::try_from(round.approved).unwrap_or(u32::MAX);
            share_refusal(year, round.share, round.pool(), taken)
        });
        if let Some(msg) = refusal {
            tx.rollback().await?;
            return refused(&state, &user, year, fb(FieldErrors::default(), vec![msg])).await;
        }
    }
    match db::decide(&mut tx, rid, approve, &reason, user.id).await {
        Ok(true) => {}
        Ok(false) => {
            tx.rollback().await?;
            let msg = "该提议已被审批，不能再次审批。".to_owned();
            return refused(&state, &user, year, fb(FieldErrors::default(), vec![msg])).await;
        }
        Err(e) if check_violation(&e).as_deref() == Some(db::TWO_PEOPLE) => {
            tx.rollback().await?;
            let msg = decider_refusal(user.id, user.id)
                .unwrap_or_default()
                .to_owned();
            return refused(&state, &user, year, fb(FieldErrors::default(), vec![msg])).await;
        }
        Err(e) if unique_violation(&e).as_deref() == Some(db::ONE_ADMISSION) => {
            tx.rollback().await?;
            let msg = "该平台已纳入市县共建。".to_owned();
            return refused(&state, &user, year, fb(FieldErrors::default(), vec![msg])).await;
        }
        Err(e) => return Err(e.into()),
    }
    if approve && !db::admit(&mut tx, found.platform_id).await? {
        return Err(anyhow::anyhow!(
            "platform {} left county level while locked",
            found.platform_id
        )
        .into());
    }
    let after = db::proposal(&mut tx, rid)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.audit(
        Entry::new("cobuild.decide", "cobuild_proposal", rid)
            .before(before.audit_json())
            .after(serde_json::json!({
                "proposal": after.audit_json(),
                "platform": {"id": found.platform_id,
                             "level": if approve {
                                 serde_json::json!({"from": "county", "to": "city_county"})
                             } else {
                                 serde_json::json!("county")
                             }},
            })),
    )
    .await?;
    let summary = if approve {
        format!(
            "纳入{year}年度市县共建：平台层级由「县级」变更为「市县共建」（{} 提议，{} 审批同意）",
            after.proposed_by_name.as_deref().unwrap_or("—"),
            after.decided_by_name.as_deref().unwrap_or("—"),
        )
    } else {
        format!(
            "{year}年度市县共建提议未获同意（{} 提议，{} 审批不同意）",
            after.proposed_by_name.as_deref().unwrap_or("—"),
            after.decided_by_name.as_deref().unwrap_or("—"),
        )
    };
    tx.timeline(
        found.platform_id,
        if approve {
            "cobuild.admitted"
        } else {
            "cobuild.rejected"
        },
        &summary,
        &reason,
    )
    .await?;
    tx.touches(found.platform_id);
    let flash = if approve {
        Flash::CobuildApproved
    } else {
        Flash::CobuildRejected
    };
    tx.redirect(back(year, flash, "proposals")).await
}
