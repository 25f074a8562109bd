//! What city staff do in a round: open, assign experts, moderate, publish …

use super::*;

// ---- actions ------------------------------------------------------------------------------------

/// `POST /evaluations/{year}/compute`: the quantitative score of every city-passed evaluation.
pub async fn compute(user: CurrentUser, w: Writer, Path(year): Path<i32>) -> AppResult<Response> {
    let year = valid_year(year)?;
    let mut tx = match lock_round(&w, &user, year, RoundAction::ComputeQuantitative).await? {
        Ok((tx, _)) => tx,
        Err(refusal) => return Ok(refusal),
    };
    let (config, version) = annual_config::get(&mut tx, year).await?;
    let rows = db::list_year(&mut tx, year, PlatformScope::All).await?;
    for r in rows.iter().filter(|r| r.status() == EvalStatus::CityPassed) {
        if exclude_if_barred(&mut tx, r, year, config.deadline(year, Step::Yearend)).await? {
            continue;
        }
        let targets = db::approved_targets(&mut tx, r.platform_id, year)
            .await?
            .unwrap_or_default();
        let category = r.category;
        let Ok(detail) = rules::score(
            &config.rubric,
            category,
            version,
            &targets,
            &values_of(&r.actuals),
            &[],
            ScoreStage::Quantitative,
        ) else {
            continue; // no category: the round page says so on the row
        };
        db::store_quantitative(&mut tx, r.id, version, &detail).await?;
        tx.audit(
            Entry::new("evaluation.score_quantitative", "evaluation", r.id)
                .before(r.score_detail.clone())
                .after(json!(detail)),
        )
        .await?;
    }
    done(tx, year, Flash::RoundComputed).await
}

/// The heading of the page that refuses `action`.
fn refused_title(action: RoundAction) -> &'static str {
    match action {
        RoundAction::ComputeQuantitative => "不能计算定量得分",
        RoundAction::AssignExpert => "不能分配专家",
        RoundAction::Propose => "不能生成拟评等次",
        RoundAction::StartNotice => "不能开始公示",
        RoundAction::RecordObjection => "不能登记异议",
        RoundAction::AnswerObjection => "不能答复异议",
        RoundAction::Publish => "不能发布结果",
        RoundAction::Withdraw => "不能撤回",
    }
}

/// Opens the write and locks the year's round; `Err` is the refusal page (nothing written) when
/// the round's status does not allow `action`.
async fn lock_round(
    w: &Writer,
    user: &CurrentUser,
    year: i32,
    action: RoundAction,
) -> AppResult<Result<(WriteTx, db::Round), Response>> {
    let mut tx = w.begin().await?;
    let round = db::lock_round(&mut tx, year).await?;
    if let Err(r) = rules::check_round(action, actor_of(user), &quiet_facts(&round, today())) {
        tx.rollback().await?;
        let title = refused_title(action);
        return Ok(Err(refused(user, title, &r, round_href(year))));
    }
    Ok(Ok((tx, round)))
}

/// Facts for actions that only care about the round's status.
fn quiet_facts(round: &db::Round, today: chrono::NaiveDate) -> RoundFacts {
    RoundFacts {
        status: round.status(),
        today,
        notice_starts: round.notice_starts,
        notice_ends: round.notice_ends,
        in_review: 0,
        candidates: 1,
        not_ready: Vec::new(),
        unanswered_objections: 0,
    }
}

async fn exclude_if_barred(
    tx: &mut WriteTx,
    r: &RoundRow,
    year: i32,
    deadline: chrono::NaiveDate,
) -> AppResult<bool> {
    let Some(bar) = bar_of(tx, r.platform_id, deadline).await? else {
        return Ok(false);
    };
    let e = db::get_in_year(tx, r.id, year)
        .await?
        .ok_or(AppError::NotFound)?;
    persist_exclusion(tx, &e, &bar).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssignForm {
    expert_id: String,
}

/// `POST /evaluations/{year}/evaluations/{eid}/experts`: assign an expert to a city-passed evaluation.
pub async fn assign(
    user: CurrentUser,
    w: Writer,
    Path((year, eid)): Path<(i32, i64)>,
    Form(form): Form<AssignForm>,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let back = round_href(year);
    let (mut tx, _) = match lock_round(&w, &user, year, RoundAction::AssignExpert).await? {
        Ok(locked) => locked,
        Err(refusal) => return Ok(refusal),
    };
    let e = db::get_in_year(&mut tx, eid, year)
        .await?
        .ok_or(AppError::NotFound)?;
    if e.status() != EvalStatus::CityPassed {
        tx.rollback().await?;
        return Ok(refused_now(
            &user,
            "不能分配专家",
            format!(
                "只有通过市级复审、尚未评定等次的评估可以分配专家（当前状态：{}）",
                e.status.label_zh()
            ),
            back,
        ));
    }
    let expert_id: i64 = form
        .expert_id
        .parse()
        .map_err(|_| AppError::BadRequest("请选择评审专家。".into()))?;
    let experts = db::experts(&mut tx).await?;
    let Some((_, expert_name, _)) = experts.iter().find(|(id, _, _)| *id == expert_id) else {
        return Err(AppError::BadRequest("所选账户不是有效的评审专家。".into()));
    };
    let aid = match db::assign(&mut tx, e.id, expert_id, user.id).await {
        Ok(aid) => aid,
        Err(err) if write::field_error(&err).is_some_and(|(field, _)| field == "expert_id") => {
            tx.rollback().await?;
            return Ok(refused_now(
                &user,
                "不能分配专家",
                format!("专家{expert_name}已分配给该平台"),
                back,
            ));
        }
        Err(err) => return Err(err.into()),
    };
    tx.audit(
        Entry::new("expert.assign", "expert_assignment", aid).after(
            json!({"evaluation_id": e.id, "platform_id": e.platform_id, "year": year, "expert_id": expert_id}),
        ),
    )
    .await?;
    crate::db::notices::event(
        &mut tx,
        crate::db::notices::To::UsersAbout(&[expert_id], e.platform_id),
        "event.expert_assigned",
        &format!("您被分配为 {year} 年度评估的评审专家，请先申报有无利益冲突，再评分并提交。"),
        &format!("/expert/assignments/{aid}"),
    )
    .await?;
    done(tx, year, Flash::RoundExpertAssigned).await
}

/// `POST /evaluations/{year}/propose` (生成拟评等次): final scores (quantitative + experts), ranks and grades
/// with the quota. Refused while reviews are pending or any evaluation lacks two experts' scores.
pub async fn propose(user: CurrentUser, w: Writer, Path(year): Path<i32>) -> AppResult<Response> {
    let year = valid_year(year)?;
    let today = today();
    let actor = actor_of(&user);
    let (mut tx, round) = match lock_round(&w, &user, year, RoundAction::Propose).await? {
        Ok(locked) => locked,
        Err(refusal) => return Ok(refusal),
    };
    let before = round.audit_json();
    if round.status() == RoundStatus::Proposed {
        // Generating again starts from the city-passed evaluations.
        db::round_withdrawn(&mut tx, year).await?;
    }
    let (config, version) = annual_config::get(&mut tx, year).await?;
    let rows = db::list_year(&mut tx, year, PlatformScope::All).await?;
    let in_review = rows.iter().filter(|r| r.status().is_in_review()).count();
    let mut scored = Vec::new();
    let mut not_ready = Vec::new();
    for r in rows.iter().filter(|r| r.status() == EvalStatus::CityPassed) {
        if exclude_if_barred(&mut tx, r, year, config.deadline(year, Step::Yearend)).await? {
            continue;
        }
        let assignments = db::scores_for_evaluation(&mut tx, r.id).await?;
        let progress = ExpertProgress::of(&assignments.iter().map(|(a, _)| *a).collect::<Vec<_>>());
        if !progress.is_complete() {
            not_ready.push(format!("{}：{}", r.name, progress.missing_zh()));
            continue;
        }
        let targets = db::approved_targets(&mut tx, r.platform_id, year)
            .await?
            .unwrap_or_default();
        match rules::score(
            &config.rubric,
            r.category,
            version,
            &targets,
            &values_of(&r.actuals),
            &assignments,
            ScoreStage::Final,
        ) {
            Ok(detail) => scored.push((r, detail)),
            Err(msg) => not_ready.push(format!("{}：{msg}", r.name)),
        }
    }
    let facts = RoundFacts {
        status: RoundStatus::Open,
        today,
        notice_starts: None,
        notice_ends: None,
        in_review,
        candidates: scored.len() + not_ready.len(),
        not_ready,
        unanswered_objections: 0,
    };
    if let Err(r) = rules::check_round(RoundAction::Propose, actor, &facts) {
        tx.rollback().await?;
        return Ok(refused(&user, "不能生成拟评等次", &r, round_href(year)));
    }
    let totals: Vec<(usize, f64)> = scored
        .iter()
        .enumerate()
        .map(|(i, (_, d))| (i, d.score.total))
        .collect();
    let grades = assign_grades(&config.grade_rules, &totals);
    let mut results = Vec::new();
    for g in &grades {
        let (r, detail) = &scored[g.id];
        let rank = i32::try_from(g.rank).unwrap_or(i32::MAX);
        db::store_proposed(&mut tx, r.id, detail, rank, g.grade).await?;
        results.push(
            json!({"evaluation_id": r.id, "platform_id": r.platform_id, "total": g.score,
                            "rank": g.rank, "grade": g.grade}),
        );
    }
    db::round_proposed(&mut tx, year, version, user.id).await?;
    tx.audit(
        Entry::new("evaluation_round.propose", "evaluation_round", year)
            .before(before)
            .after(json!({"status": "proposed", "config_version": version,
                          "excellent_quota": config.grade_rules.excellent_quota(grades.len()),
                          "results": results})),
    )
    .await?;
    done(tx, year, Flash::RoundProposed).await
}

/// `POST /evaluations/{year}/notice`: the public notice (公示) starts today for the configured number of days.
pub async fn start_notice(
    user: CurrentUser,
    w: Writer,
    Path(year): Path<i32>,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let today = today();
    let (mut tx, round) = match lock_round(&w, &user, year, RoundAction::StartNotice).await? {
        Ok(locked) => locked,
        Err(refusal) => return Ok(refusal),
    };
    let (config, _) = round_config(&mut tx, year, round.config_version).await?;
    let (starts, ends) = rules::notice_period(today, config.notice_days);
    db::round_notice(&mut tx, year, starts, ends).await?;
    let rows = db::list_year(&mut tx, year, PlatformScope::All).await?;
    for r in rows.iter().filter(|r| r.status() == EvalStatus::Scored) {
        tx.timeline(
            r.platform_id,
            "evaluation.notice",
            &format!(
                "{year}年度评估拟评结果公示（{starts}至{ends}）：拟评{}",
                grade_label(r.grade)
            ),
            "",
        )
        .await?;
    }
    tx.audit(
        Entry::new("evaluation_round.notice", "evaluation_round", year)
            .before(round.audit_json())
            .after(json!({"status": "notice", "notice_starts": starts, "notice_ends": ends})),
    )
    .await?;
    done(tx, year, Flash::RoundNoticeStarted).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ObjectionForm {
    evaluation_id: String,
    raised_by: String,
    raised_on: String,
    content: String,
}

/// `POST /evaluations/{year}/objections`: record an objection raised during the notice.
pub async fn record_objection(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(year): Path<i32>,
    Form(form): Form<ObjectionForm>,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let today = today();
    let (mut tx, round) = match lock_round(&w, &user, year, RoundAction::RecordObjection).await? {
        Ok(locked) => locked,
        Err(refusal) => return Ok(refusal),
    };
    let evaluation = match form.evaluation_id.parse::<i64>() {
        Ok(eid) => db::get_in_year(&mut tx, eid, year)
            .await?
            .filter(|e| e.status() == EvalStatus::Scored),
        Err(_) => None,
    };
    let checked = rules::validate_objection(
        &form.raised_by,
        &form.raised_on,
        &form.content,
        (round.notice_starts, round.notice_ends),
        today,
    );
    let (e, o) = match (evaluation, checked) {
        (Some(e), Ok(o)) => (e, o),
        (e, checked) => {
            tx.rollback().await?;
            let mut errors = checked.err().unwrap_or_default();
            if e.is_none() {
                errors.insert("evaluation_id".into(), "请选择异议涉及的平台".into());
            }
            let input = ObjectionInput {
                evaluation_id: form.evaluation_id,
                raised_by: form.raised_by,
                raised_on: form.raised_on,
                content: form.content,
                errors,
            };
            let mut conn = state.db.acquire().await?;
            let page = round_page(&mut conn, &user, year, "", input, BTreeMap::new()).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let oid = db::insert_objection(&mut tx, year, e.platform_id, &o, user.id).await?;
    tx.audit(Entry::new("objection.record", "objection", oid).after(
        json!({"year": year, "platform_id": e.platform_id, "raised_by": o.raised_by,
               "raised_on": o.raised_on, "content": o.content}),
    ))
    .await?;
    tx.timeline(
        e.platform_id,
        "evaluation.objection",
        &format!("{year}年度评估公示期间收到异议（提出人：{}）", o.raised_by),
        &o.content,
    )
    .await?;
    done(tx, year, Flash::ObjectionRecorded).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnswerForm {
    response: String,
}

/// `POST /evaluations/{year}/objections/{oid}/answer`.
pub async fn answer_objection(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((year, oid)): Path<(i32, i64)>,
    Form(form): Form<AnswerForm>,
) -> AppResult<Response> {
    let year = valid_year(year)?;
    let (mut tx, _) = match lock_round(&w, &user, year, RoundAction::AnswerObjection).await? {
        Ok(locked) => locked,
        Err(refusal) => return Ok(refusal),
    };
    let response = match rules::validate_answer(&form.response) {
        Ok(r) => r,
        Err(msg) => {
            // Only render the error if the objection exists; otherwise it is a 404.
            let exists = db::objection_exists(&mut tx, oid, year).await?;
            tx.rollback().await?;
            if !exists {
                return Err(AppError::NotFound);
            }
            let mut conn = state.db.acquire().await?;
            let page = round_page(
                &mut conn,
                &user,
                year,
                "",
                ObjectionInput::default(),
                BTreeMap::from([(oid, msg)]),
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let platform_id = match db::answer_objection(&mut tx, oid, year, &response, user.id).await? {
        None => return Err(AppError::NotFound),
        Some((false, _)) => {
            tx.rollback().await?;
            return Ok(refused_now(
                &user,
                "不能答复异议",
                "该异议已答复".into(),
                round_href(year),
            ));
        }
        Some((true, platform_id)) => platform_id,
    };
    tx.audit(
        Entry::new("objection.answer", "objection", oid)
            .after(json!({"year": year, "platform_id": platform_id, "response": response})),
    )
    .await?;
    tx.timeline(
        platform_id,
        "evaluation.objection_answered",
        &format!("{year}年度评估异议已答复"),
        &response,
    )
    .await?;
    done(tx, year, Flash::ObjectionAnswered).await
}

/// `POST /evaluations/{year}/publish`: after the notice, with every objection answered. Stores grade, rank,
/// reward and funding coefficient; opens a DRAFT rectification case for every 不合格 without an open one.
pub async fn publish(user: CurrentUser, w: Writer, Path(year): Path<i32>) -> AppResult<Response> {
    let year = valid_year(year)?;
    let today = today();
    let mut tx = w.begin().await?;
    let round = db::lock_round(&mut tx, year).await?;
    let mut facts = quiet_facts(&round, today);
    facts.unanswered_objections =
        usize::try_from(db::count_unanswered(&mut tx, year).await?).unwrap_or(usize::MAX);
    if let Err(r) = rules::check_round(RoundAction::Publish, actor_of(&user), &facts) {
        tx.rollback().await?;
        return Ok(refused(&user, "不能发布结果", &r, round_href(year)));
    }
    let (config, version) = round_config(&mut tx, year, round.config_version).await?;
    let rows: Vec<RoundRow> = db::list_year(&mut tx, year, PlatformScope::All)
        .await?
        .into_iter()
        .filter(|r| r.status() == EvalStatus::Scored)
        .collect();
    let totals: Vec<(usize, f64)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (i, r.total_score.unwrap_or(0.0)))
        .collect();
    let mut results = Vec::new();
    for g in assign_grades(&config.grade_rules, &totals) {
        let r = &rows[g.id];
        // The published grade (and any drafted case) changes the platform's findings.
        tx.touches(r.platform_id);
        let rank = i32::try_from(g.rank).unwrap_or(i32::MAX);
        db::store_published(
            &mut tx,
            r.id,
            rank,
            g.grade,
            g.reward_yuan,
            g.funding_coefficient,
        )
        .await?;
        let mut note = String::new();
        let mut case_id = None;
        if g.opens_rectification {
            match db::open_case(&mut tx, r.platform_id).await? {
                Some(existing) => {
                    note = format!("；平台已有进行中的整改案件（#{existing}），未重复生成");
                }
                None => {
                    let summary = rules::fail_case_summary(year, g.score, g.rank);
                    let trigger = format!("{year}年度绩效评估不合格（总分{}）", display(g.score));
                    let cid = db::insert_fail_case(
                        &mut tx,
                        r.platform_id,
                        year,
                        &trigger,
                        &summary,
                        Some(user.id),
                    )
                    .await?;
                    tx.audit(
                        Entry::new("rectification.draft", "rectification_case", cid).after(
                            json!({"platform_id": r.platform_id, "status": "draft",
                                   "triggers": ["fail_grade"], "source": format!("evaluation:{year}"),
                                   "plan_summary": summary}),
                        ),
                    )
                    .await?;
                    tx.timeline(
                        r.platform_id,
                        "case.drafted",
                        &format!("{year}年度评估不合格，生成整改案件草稿（#{cid}）"),
                        &trigger,
                    )
                    .await?;
                    note = format!("；已生成整改案件草稿（#{cid}）");
                    case_id = Some(cid);
                }
            }
        }
        let reward = if g.reward_yuan > 0 {
            format!("，奖励建议{}万元", wan(g.reward_yuan))
        } else {
            String::new()
        };
        tx.timeline(
            r.platform_id,
            "evaluation.published",
            &format!(
                "{year}年度评估结果发布：{}（总分{}，第{}名{reward}，下年度经费系数{:.2}）{note}",
                g.grade.label_zh(),
                display(g.score),
                g.rank,
                g.funding_coefficient
            ),
            "",
        )
        .await?;
        crate::db::notices::event(
            &mut tx,
            crate::db::notices::To::Platform(r.platform_id),
            "event.results_published",
            &format!(
                "{year} 年度评估结果已发布：{}（第 {} 名）。",
                g.grade.label_zh(),
                g.rank
            ),
            &format!("/platforms/{}/evaluation?year={year}", r.platform_id),
        )
        .await?;
        results.push(json!({"evaluation_id": r.id, "platform_id": r.platform_id, "total": g.score,
                            "rank": g.rank, "grade": g.grade, "reward_yuan": g.reward_yuan,
                            "funding_coefficient": g.funding_coefficient, "rectification_case": case_id}));
    }
    db::round_published(&mut tx, year, user.id).await?;
    tx.audit(
        Entry::new("evaluation_round.publish", "evaluation_round", year)
            .before(round.audit_json())
            .after(json!({"status": "published", "config_version": version, "results": results})),
    )
    .await?;
    done(tx, year, Flash::RoundPublished).await
}

/// `POST /evaluations/{year}/withdraw`: proposed or noticed grades are withdrawn; the round reopens.
pub async fn withdraw(user: CurrentUser, w: Writer, Path(year): Path<i32>) -> AppResult<Response> {
    let year = valid_year(year)?;
    let (mut tx, round) = match lock_round(&w, &user, year, RoundAction::Withdraw).await? {
        Ok(locked) => locked,
        Err(refusal) => return Ok(refusal),
    };
    let reset = db::round_withdrawn(&mut tx, year).await?;
    tx.audit(
        Entry::new("evaluation_round.withdraw", "evaluation_round", year)
            .before(round.audit_json())
            .after(json!({"status": "open", "evaluations_reset": reset})),
    )
    .await?;
    done(tx, year, Flash::RoundWithdrawn).await
}
