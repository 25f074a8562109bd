//! The round page of a year.

use super::*;

// ---- the round page -------------------------------------------------------------------------------

pub struct ExpertLine {
    pub name: String,
    pub state: &'static str,
    pub conflicted: bool,
    pub note: String,
}

pub struct EvalLine {
    pub id: i64,
    pub platform_id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction: String,
    pub level: &'static str,
    pub category: &'static str,
    pub status: EvalStatus,
    pub status_label: &'static str,
    pub submitted: String,
    pub quantitative: String,
    pub warnings: usize,
    pub total: String,
    pub rank: String,
    pub grade: &'static str,
    pub grade_code: &'static str,
    pub excluded_reason: String,
    pub experts: Vec<ExpertLine>,
    pub progress: String,
    pub can_assign: bool,
    pub expert_options: Vec<Opt>,
}

pub struct ObjectionLine {
    pub id: i64,
    pub platform_name: String,
    pub raised_by: String,
    pub raised_on: String,
    pub content: String,
    pub answered: bool,
    pub response: String,
    pub responded: String,
    pub error: String,
}

/// A 不合格's results application after publishing.
pub struct FailLine {
    pub platform_id: i64,
    pub name: String,
    pub case: String,
}

#[derive(Default)]
pub struct ObjectionInput {
    pub evaluation_id: String,
    pub raised_by: String,
    pub raised_on: String,
    pub content: String,
    pub errors: Errors,
}

#[derive(Template, WebTemplate)]
#[template(path = "evaluation/round.html")]
pub struct RoundPage {
    pub layout: Layout,
    pub year: i32,
    pub status: String,
    pub status_label: &'static str,
    pub deadline: String,
    pub config_version: i32,
    pub notice_starts: String,
    pub notice_ends: String,
    pub published_at: String,
    pub notice: &'static str,
    pub is_city_staff: bool,
    pub can_compute: bool,
    pub can_propose: bool,
    pub can_notice: bool,
    pub can_publish: bool,
    pub can_withdraw: bool,
    pub can_object: bool,
    pub publish_blockers: Vec<String>,
    pub rows: Vec<EvalLine>,
    pub counts: Vec<(&'static str, usize)>,
    pub not_started: Vec<(i64, String, String)>,
    pub objections: Vec<ObjectionLine>,
    pub objection_options: Vec<Opt>,
    pub objection: ObjectionInput,
    pub fails: Vec<FailLine>,
    pub experts_available: bool,
}

impl RoundPage {
    pub fn objection_error(&self, field: &str) -> &str {
        self.objection
            .errors
            .get(field)
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// `GET /evaluations/{year}`.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<i32>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<RoundPage> {
    let year = valid_year(year)?;
    let notice = Flash::text_of(&q.notice);
    let mut conn = state.db.acquire().await?;
    round_page(
        &mut conn,
        &user,
        year,
        notice,
        ObjectionInput::default(),
        BTreeMap::new(),
    )
    .await
}

pub(super) async fn round_page(
    conn: &mut PgConnection,
    user: &CurrentUser,
    year: i32,
    notice: &'static str,
    objection: ObjectionInput,
    answer_errors: BTreeMap<i64, String>,
) -> AppResult<RoundPage> {
    let today = today();
    let round = db::round(conn, year).await?;
    let status = round.status();
    let (config, version) = match status {
        RoundStatus::Open => annual_config::get(conn, year).await?,
        _ => round_config(conn, year, round.config_version).await?,
    };
    let rows = db::list_year(conn, year, user.scope).await?;
    let assignments = db::assignments_for_year(conn, year).await?;
    let experts = db::experts(conn).await?;
    let objections = db::objections(conn, year, user.scope).await?;
    let not_started = db::not_started(conn, year, user.scope).await?;
    let unanswered = objections.iter().filter(|o| !o.answered()).count();
    let in_review = rows.iter().filter(|r| r.status().is_in_review()).count();
    let actor = actor_of(user);
    let facts = RoundFacts {
        status,
        today,
        notice_starts: round.notice_starts,
        notice_ends: round.notice_ends,
        in_review,
        candidates: 1,
        not_ready: Vec::new(),
        unanswered_objections: unanswered,
    };
    let may = |a: RoundAction| rules::check_round(a, actor, &facts).is_ok();
    let can_assign = may(RoundAction::AssignExpert);

    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let lines: Vec<EvalLine> = rows
        .iter()
        .map(|r| {
            let eval_status = r.status();
            *counts.entry(r.status.label_zh()).or_default() += 1;
            let mine: Vec<_> = assignments
                .iter()
                .filter(|a| a.evaluation_id == r.id)
                .collect();
            let progress = ExpertProgress::of(&mine.iter().map(|a| a.state()).collect::<Vec<_>>());
            let detail = r.detail();
            let city_passed = eval_status == EvalStatus::CityPassed;
            EvalLine {
                id: r.id,
                platform_id: r.platform_id,
                code: r.code.clone(),
                name: r.name.clone(),
                jurisdiction: r.jurisdiction_name.clone(),
                level: r.level.label_zh(),
                category: category_label(r.category),
                status: r.status,
                status_label: r.status.label_zh(),
                submitted: r
                    .submitted_at
                    .map(|t| local_time(&t)[..10].to_string())
                    .unwrap_or_else(|| "—".into()),
                quantitative: detail
                    .as_ref()
                    .filter(|d| d.stage == ScoreStage::Quantitative)
                    .map(|d| display(d.score.total))
                    .unwrap_or_else(|| "—".into()),
                warnings: detail.as_ref().map(|d| d.warnings_zh.len()).unwrap_or(0),
                total: r.total_score.map(display).unwrap_or_else(|| "—".into()),
                rank: r.rank.map(|x| x.to_string()).unwrap_or_else(|| "—".into()),
                grade: grade_label(r.grade),
                grade_code: r.grade.map(Grade::as_str).unwrap_or_default(),
                excluded_reason: r.excluded_reason.clone(),
                experts: mine
                    .iter()
                    .map(|a| ExpertLine {
                        name: a.expert_name.clone(),
                        state: a.state().state_zh(),
                        conflicted: a.conflict == Some(true),
                        note: a.conflict_note.clone(),
                    })
                    .collect(),
                progress: if !city_passed && eval_status != EvalStatus::Scored {
                    String::new()
                } else if progress.is_complete() {
                    format!("专家评分已完成（{}份）", progress.submitted)
                } else {
                    progress.missing_zh()
                },
                can_assign: can_assign && city_passed,
                expert_options: experts
                    .iter()
                    .filter(|(id, _, _)| !mine.iter().any(|a| a.expert_id == *id))
                    .map(|(id, name, username)| Opt {
                        value: id.to_string(),
                        label: format!("{name}（{username}）"),
                    })
                    .collect(),
            }
        })
        .collect();

    let publish_blockers = if status == RoundStatus::Notice {
        match rules::check_round(RoundAction::Publish, actor, &facts) {
            Err(r) if r.kind == rules::RefusalKind::State => r.reasons,
            _ => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let objection_options = rows
        .iter()
        .filter(|r| r.status() == EvalStatus::Scored)
        .map(|r| Opt {
            value: r.id.to_string(),
            label: format!("{} {}", r.code, r.name),
        })
        .collect();
    let mut fails = Vec::new();
    if status == RoundStatus::Published {
        for r in rows.iter().filter(|r| r.grade == Some(Grade::Fail)) {
            fails.push(FailLine {
                platform_id: r.platform_id,
                name: r.name.clone(),
                case: fail_case_note(conn, r.platform_id, year).await?,
            });
        }
    }
    Ok(RoundPage {
        layout: Layout::for_user(user, "evaluations"),
        year,
        status: status.as_str().into(),
        status_label: status.label_zh(),
        deadline: config.deadline(year, Step::Yearend).to_string(),
        config_version: version,
        notice_starts: round
            .notice_starts
            .map(|d| d.to_string())
            .unwrap_or_default(),
        notice_ends: round.notice_ends.map(|d| d.to_string()).unwrap_or_default(),
        published_at: round
            .published_at
            .map(|t| local_time(&t))
            .unwrap_or_default(),
        notice,
        is_city_staff: user.is_city_staff,
        can_compute: may(RoundAction::ComputeQuantitative)
            && rows.iter().any(|r| r.status() == EvalStatus::CityPassed),
        can_propose: may(RoundAction::Propose),
        can_notice: may(RoundAction::StartNotice),
        can_publish: user.is_city_staff && status == RoundStatus::Notice,
        can_withdraw: may(RoundAction::Withdraw),
        can_object: may(RoundAction::RecordObjection),
        publish_blockers,
        counts: counts.into_iter().collect(),
        rows: lines,
        not_started,
        objections: objections
            .into_iter()
            .map(|o| ObjectionLine {
                error: answer_errors.get(&o.id).cloned().unwrap_or_default(),
                id: o.id,
                answered: o.answered(),
                platform_name: o.platform_name,
                raised_by: o.raised_by,
                raised_on: o.raised_on.to_string(),
                content: o.content,
                response: o.response,
                responded: match o.responded_at {
                    Some(t) => format!(
                        "{} · {}",
                        local_time(&t),
                        o.responded_by_name.unwrap_or_default()
                    ),
                    None => String::new(),
                },
            })
            .collect(),
        objection_options,
        objection: ObjectionInput {
            raised_on: if objection.raised_on.is_empty() {
                today.to_string()
            } else {
                objection.raised_on
            },
            ..objection
        },
        fails,
        experts_available: !experts.is_empty(),
    })
}

/// What publishing did for a 不合格 platform's rectification.
async fn fail_case_note(conn: &mut PgConnection, platform_id: i64, year: i32) -> AppResult<String> {
    Ok(match db::fail_case(conn, platform_id, year).await? {
        Some((id, true)) => {
            format!("已生成整改案件草稿（#{id}），待业务人员完善后启动")
        }
        Some((id, _)) => format!("已生成整改案件（#{id}）"),
        None => match db::open_case(conn, platform_id).await? {
            Some(id) => format!("平台已有进行中的整改案件（#{id}），未重复生成"),
            None => "未生成整改案件".into(),
        },
    })
}

/// Commits the round's write and goes back to the round page with its flash.
pub(super) async fn done(tx: WriteTx, year: i32, flash: Flash) -> AppResult<Response> {
    tx.redirect(format!("{}?notice={flash}", round_href(year)))
        .await
}
