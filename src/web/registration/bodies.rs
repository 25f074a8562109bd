//! Decision bodies (理事会, 专家委员会 …) and their members.

use super::*;

// ---- decision bodies ----------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "registration/body_form.html")]
pub struct BodyPage {
    pub layout: Layout,
    pub head: Head,
    pub body_id: Option<i64>,
    pub f: BodyFields,
    pub errors: FieldErrors,
    pub kinds: Vec<Opt>,
    pub members: Vec<Member>,
}

fn body_page(
    user: &CurrentUser,
    p: &Platform,
    body_id: Option<i64>,
    f: BodyFields,
    errors: FieldErrors,
    members: Vec<Member>,
) -> BodyPage {
    BodyPage {
        layout: Layout::for_user(user, "platforms"),
        head: Head::of(p),
        body_id,
        f,
        errors,
        kinds: enum_options(
            DecisionBodyKind::ALL,
            DecisionBodyKind::as_str,
            DecisionBodyKind::label_zh,
        ),
        members,
    }
}

/// The platform, its decision body `body_id` and the body's members, for a form that changes
/// them: 404 if either is missing, 409 when the dossier is archived.
async fn body_to_edit(
    state: &AppState,
    id: i64,
    body_id: i64,
) -> AppResult<(Platform, Body, Vec<Member>)> {
    let p = load_platform(state, id).await?;
    let mut conn = state.db.acquire().await?;
    let body = reg::body(&mut conn, id, body_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let members = reg::body_members(&mut conn, body.id).await?;
    editable(&p)?;
    Ok((p, body, members))
}

pub async fn new_body_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let p = editable_platform(&state, id).await?;
    let f = BodyFields {
        kind: DecisionBodyKind::Council.as_str().into(),
        name: String::new(),
    };
    Ok(body_page(&user, &p, None, f, FieldErrors::default(), Vec::new()).into_response())
}

pub async fn create_body(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path(id): Path<i64>,
    Form(f): Form<BodyFields>,
) -> AppResult<Response> {
    let p = editable_platform(&state, id).await?;
    let saved = async {
        let draft = f.validate()?;
        let mut tx = w.begin().await?;
        let body_id = reg::insert_body(&mut tx, id, &draft).await?;
        let after = reg::body(&mut tx, id, body_id).await?;
        tx.audit(Entry::new("decision_body.create", "decision_body", body_id).after(json(&after)))
            .await?;
        Ok(tx
            .redirect(format!(
                "/platforms/{id}/registration/bodies/{body_id}/members/new?notice={}",
                Flash::DecisionBodySaved
            ))
            .await?)
    }
    .await;
    or_form_again(saved, |errors| {
        body_page(&user, &p, None, f, errors, Vec::new())
    })
}

pub async fn edit_body_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, body_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (p, body, members) = body_to_edit(&state, id, body_id).await?;
    let f = BodyFields {
        kind: body.kind.as_str().to_owned(),
        name: body.name.clone(),
    };
    Ok(body_page(&user, &p, Some(body.id), f, FieldErrors::default(), members).into_response())
}

pub async fn update_body(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, body_id)): Path<(i64, i64)>,
    Form(f): Form<BodyFields>,
) -> AppResult<Response> {
    let (p, before, members) = body_to_edit(&state, id, body_id).await?;
    let saved = async {
        let draft = f.validate()?;
        let mut tx = w.begin().await?;
        reg::update_body(&mut tx, before.id, &draft).await?;
        let after = reg::body(&mut tx, id, body_id).await?;
        tx.audit(
            Entry::new("decision_body.update", "decision_body", body_id)
                .before(json(&before))
                .after(json(&after)),
        )
        .await?;
        Ok(tx
            .redirect(back_to(id, Flash::DecisionBodySaved, "bodies"))
            .await?)
    }
    .await;
    or_form_again(saved, |errors| {
        body_page(&user, &p, Some(body_id), f, errors, members)
    })
}

pub async fn delete_body(
    State(state): State<AppState>,
    w: Writer,
    Path((id, body_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (_, before, members) = body_to_edit(&state, id, body_id).await?;
    let mut tx = w.begin().await?;
    reg::delete_body(&mut tx, before.id).await?;
    tx.audit(
        Entry::new("decision_body.delete", "decision_body", body_id)
            .before(serde_json::json!({"body": before, "members": members})),
    )
    .await?;
    tx.redirect(back_to(id, Flash::DecisionBodyDeleted, "bodies"))
        .await
}

// ---- members ------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "registration/member_form.html")]
pub struct MemberPage {
    pub layout: Layout,
    pub head: Head,
    pub body: Body,
    pub member_id: Option<i64>,
    pub f: MemberFields,
    pub errors: FieldErrors,
    pub members: Vec<Member>,
    pub notice: &'static str,
}

fn member_page(
    user: &CurrentUser,
    p: &Platform,
    body: Body,
    members: Vec<Member>,
    member_id: Option<i64>,
    f: MemberFields,
    errors: FieldErrors,
) -> MemberPage {
    MemberPage {
        layout: Layout::for_user(user, "platforms"),
        head: Head::of(p),
        body,
        member_id,
        f,
        errors,
        members,
        notice: "",
    }
}

fn member_fields(m: &Member) -> MemberFields {
    MemberFields {
        name: m.name.clone(),
        position: m.position.clone(),
        affiliation: m.affiliation.clone(),
        is_chair: if m.is_chair {
            "on".into()
        } else {
            String::new()
        },
    }
}

pub async fn new_member_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, body_id)): Path<(i64, i64)>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let (p, body, members) = body_to_edit(&state, id, body_id).await?;
    let mut page = member_page(
        &user,
        &p,
        body,
        members,
        None,
        MemberFields::default(),
        FieldErrors::default(),
    );
    page.notice = Flash::text_of(&q.notice);
    Ok(page.into_response())
}

pub async fn create_member(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, body_id)): Path<(i64, i64)>,
    Form(f): Form<MemberFields>,
) -> AppResult<Response> {
    let (p, body, members) = body_to_edit(&state, id, body_id).await?;
    let saved = async {
        let draft = f.validate()?;
        let mut tx = w.begin().await?;
        let member_id = reg::insert_member(&mut tx, body.id, &draft)
            .await
            .map_err(Unsaved::of_write)?;
        tx.audit(
            Entry::new(
                "decision_body_member.create",
                "decision_body_member",
                member_id,
            )
            .after(serde_json::json!({"platform_id": id, "body_id": body.id, "member": draft})),
        )
        .await?;
        Ok(tx
            .redirect(back_to(id, Flash::BodyMemberSaved, "bodies"))
            .await?)
    }
    .await;
    or_form_again(saved, |errors| {
        member_page(&user, &p, body, members, None, f, errors)
    })
}

/// The platform, its member `member_id`, the member's body and all its members, for a form
/// that changes them: 404 if one is missing, 409 when the dossier is archived.
async fn member_to_edit(
    state: &AppState,
    id: i64,
    member_id: i64,
) -> AppResult<(Platform, Member, Body, Vec<Member>)> {
    let p = load_platform(state, id).await?;
    let mut conn = state.db.acquire().await?;
    let member = reg::member(&mut conn, id, member_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let body = reg::body(&mut conn, id, member.body_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let members = reg::body_members(&mut conn, body.id).await?;
    editable(&p)?;
    Ok((p, member, body, members))
}

pub async fn edit_member_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, member_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (p, member, body, members) = member_to_edit(&state, id, member_id).await?;
    let f = member_fields(&member);
    Ok(member_page(
        &user,
        &p,
        body,
        members,
        Some(member.id),
        f,
        FieldErrors::default(),
    )
    .into_response())
}

pub async fn update_member(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, member_id)): Path<(i64, i64)>,
    Form(f): Form<MemberFields>,
) -> AppResult<Response> {
    let (p, before, body, members) = member_to_edit(&state, id, member_id).await?;
    let saved = async {
        let draft = f.validate()?;
        let mut tx = w.begin().await?;
        reg::update_member(&mut tx, before.id, &draft)
            .await
            .map_err(Unsaved::of_write)?;
        let after = reg::member(&mut tx, id, member_id).await?;
        tx.audit(
            Entry::new(
                "decision_body_member.update",
                "decision_body_member",
                member_id,
            )
            .before(json(&before))
            .after(json(&after)),
        )
        .await?;
        Ok(tx
            .redirect(back_to(id, Flash::BodyMemberSaved, "bodies"))
            .await?)
    }
    .await;
    or_form_again(saved, |errors| {
        member_page(&user, &p, body, members, Some(member_id), f, errors)
    })
}

pub async fn delete_member(
    State(state): State<AppState>,
    w: Writer,
    Path((id, member_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (_, before, _, _) = member_to_edit(&state, id, member_id).await?;
    let mut tx = w.begin().await?;
    reg::delete_member(&mut tx, before.id).await?;
    tx.audit(
        Entry::new(
            "decision_body_member.delete",
            "decision_body_member",
            member_id,
        )
        .before(json(&before)),
    )
    .await?;
    tx.redirect(back_to(id, Flash::BodyMemberDeleted, "bodies"))
        .await
}
