//! Recoveries (追回) of funds after 退/转/并.

use super::*;

// ---- recoveries (追回) after 退/转/并 ---------------------------------------------------

/// Records a recovery of the funds a decided 退/转/并 set: never more than what remains (checked here, and by
/// the database's trigger), audited and on the timeline.
pub async fn record_recovery(
    State(state): State<AppState>,
    user: CurrentUser,
    w: Writer,
    Path((id, cid)): Path<(i64, i64)>,
    Form(fields): Form<RecoveryFields>,
) -> AppResult<Response> {
    let kept = || Kept {
        recovery: fields.clone(),
        ..Kept::default()
    };
    let written = async {
        let mut tx = w.begin().await?;
        let (status, due, recovered, decided_on) = recoveries::lock_case(&mut tx, id, cid)
            .await?
            .ok_or(AppError::NotFound)?;
        let due = due.unwrap_or(0);
        if status != CaseStatus::Decided || due == 0 || recovered >= due {
            let msg = if status != CaseStatus::Decided || due == 0 {
                "该案件没有应追回的财政资金（须为已生效的退/转/并决定且应追回金额大于0）。".to_owned()
            } else {
                format!(
                    "应追回的{}已全部追回（含支持项目申报上的追回和追回中的金额），不能再登记追回。",
                    yuan_text(due)
                )
            };
            return Err(NotWritten::refusal("recovery", msg, kept()));
        }
        let draft = parse_recovery(&fields, today(), decided_on, due, recovered)
            .map_err(|errors| NotWritten::fields("recovery", errors, kept()))?;
        let rid = match recoveries::insert(&mut tx, id, cid, &draft, user.id).await {
            Ok(rid) => rid,
            Err(e) if check_violation(&e).as_deref() == Some(recoveries::WITHIN_DUE) => {
                let msg = "追回金额超过尚待追回的金额，不能多追回。".to_owned();
                return Err(NotWritten::refusal("recovery", msg, kept()));
            }
            Err(e) => return Err(e.into()),
        };
        let total = recovered + draft.amount;
        tx.audit(
            Entry::new("rectification.recovery", "rectification_case", cid).after(
                serde_json::json!({
                    "recovery_id": rid,
                    "recovery": draft,
                    "funds_to_recover": due,
                    "recovered": {"before": recovered, "after": total},
                }),
            ),
        )
        .await?;
        let summary = format!(
            "追回财政资金{}（凭证号{}），累计追回{}，尚待追回{}",
            yuan_text(draft.amount),
            draft.voucher,
            yuan_text(total),
            yuan_text(outstanding(due, total))
        );
        tx.timeline(id, "funds.recovered", &summary, &draft.note)
            .await?;
        Ok(tx.redirect(case_url(id, cid, Flash::RecoveryRecorded, "recovery")).await?)
    }
    .await;
    // A recovery carries no case version: it is never stale (version and action are the 409 page's).
    answer(&state, &user, id, cid, 0, "", written).await
}
