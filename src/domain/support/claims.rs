//! The claim workflow (SUPPORT-RULES.md, "In the application"): 申报 (operator or staff, with a document) →
//! 审核 (staff: granted ≤ the computed amount or ceiling, or not supported, with the reason) → 拨付 (date,
//! amount, voucher) → 追回 (amount to recover, then recovered). Each step is a form validated here; the
//! database layer moves the claim only from the state the step expects.
//!
//! A 追回 rests on a basis ([`RecoverBasis`]): a signed-off 退/转/并 decision with funds to recover (NT10
//! 三(一) 退出整改; the amount then fits in what the decision still has to recover), a serious integrity
//! violation (JY 新型研发机构 四(四): 按规定追回有关财政资金), or another basis named in the reason.
//!
//! One place holds each recovered yuan (migration 0027): money recovered on a claim stays on the claim
//! (`recovered_yuan`), money recovered directly under the decision is a `fund_recoveries` row, and the
//! decision's recovered total on `/recovery` is the sum of the two, computed and never copied. This is the
//! simpler of the two models (the other would copy a claim's recovery into `fund_recoveries` and keep the
//! claim's figure in step with it): nothing is written twice, so nothing can disagree. While a claim is being
//! recovered its amount counts as committed under the decision, so the two books together never exceed the
//! decision's funds to recover (checked here, and by the database's triggers).

use chrono::NaiveDate;

use crate::domain::calendar::parse_iso_date;
use crate::domain::fields::RawForm;
use crate::domain::ledger::parse_wan;
use crate::domain::money::wan;
use crate::domain::validation::FieldErrors;

code_enum! {
    /// Where a claim stands.
    ClaimStatus {
        Submitted = "submitted" / "已申报，待审核",
        Approved = "approved" / "审核通过，待拨付",
        Rejected = "rejected" / "审核未通过",
        Paid = "paid" / "已拨付",
        Recovering = "recovering" / "追回中",
        Recovered = "recovered" / "已追回",
    }
}

code_enum! {
    /// A step after 申报.
    ClaimStep {
        Review = "review" / "审核",
        Pay = "pay" / "拨付",
        Recover = "recover" / "启动追回",
        Recovered = "recovered" / "登记追回到账",
    }
}

impl ClaimStep {
    /// The status a claim must be in for this step.
    pub fn from_status(self) -> ClaimStatus {
        match self {
            ClaimStep::Review => ClaimStatus::Submitted,
            ClaimStep::Pay => ClaimStatus::Approved,
            ClaimStep::Recover => ClaimStatus::Paid,
            ClaimStep::Recovered => ClaimStatus::Recovering,
        }
    }
}

/// A new claim as entered: the programme, its document and a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewClaim {
    pub programme: String,
    pub document_id: i64,
    pub note: String,
}

/// What a step writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepInput {
    /// Approved with a granted amount, or (None) not supported; the reason or note.
    Review {
        granted_yuan: Option<i64>,
        note: String,
    },
    Pay {
        paid_on: NaiveDate,
        paid_yuan: i64,
        voucher_no: String,
    },
    Recover {
        recover_yuan: i64,
        reason: String,
        basis: RecoverBasis,
    },
    Recovered {
        recovered_on: NaiveDate,
        recovered_yuan: i64,
    },
}

/// What a claim's 追回 rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecoverBasis {
    /// A signed-off 退/转/并 decision (its rectification case) with funds to recover.
    Decision(i64),
    /// A serious integrity violation (its record), JY 新型研发机构 四(四).
    Integrity(i64),
    /// Another basis, named in the reason.
    Other,
}

impl RecoverBasis {
    /// The value of the form's `basis` field.
    pub fn key(self) -> String {
        match self {
            RecoverBasis::Decision(id) => format!("case-{id}"),
            RecoverBasis::Integrity(id) => format!("integrity-{id}"),
            RecoverBasis::Other => "other".into(),
        }
    }

    /// The decision's case id, if the basis is a decision.
    pub fn case_id(self) -> Option<i64> {
        match self {
            RecoverBasis::Decision(id) => Some(id),
            _ => None,
        }
    }

    /// The integrity record's id, if the basis is a violation.
    pub fn integrity_id(self) -> Option<i64> {
        match self {
            RecoverBasis::Integrity(id) => Some(id),
            _ => None,
        }
    }
}

/// A basis the 追回 form offers for the platform: its label, the reason it pre-fills (naming the decision or
/// the clause), and the most a claim may still recover under it (`None`: only the paid amount bounds it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BasisOption {
    pub basis: RecoverBasis,
    pub label: String,
    pub reason: String,
    pub outstanding: Option<i64>,
}

/// The amount the 追回 form pre-fills under `option` for a claim that paid `paid` (yuan).
pub fn suggested_recovery(option: &BasisOption, paid: i64) -> i64 {
    option.outstanding.map_or(paid, |o| o.min(paid))
}

/// A claim's figures the steps are checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimFigures {
    /// The computed amount or ceiling when the claim was made.
    pub computed_yuan: i64,
    pub up_to: bool,
    pub granted_yuan: Option<i64>,
    pub paid_yuan: Option<i64>,
    pub paid_on: Option<NaiveDate>,
    pub recover_yuan: Option<i64>,
}

fn text(
    f: &RawForm,
    errors: &mut FieldErrors,
    name: &'static str,
    label: &str,
    min: usize,
) -> String {
    let v = f.get(name).trim();
    let n = v.chars().count();
    if n < min {
        errors.add(name, format!("请填写{label}"));
    } else if n > 500 {
        errors.add(name, format!("{label}不能超过 500 个字"));
    }
    v.to_owned()
}

fn money(f: &RawForm, errors: &mut FieldErrors, name: &'static str) -> i64 {
    match parse_wan(f.get(name)) {
        Ok(0) => {
            errors.add(name, "金额应大于 0");
            0
        }
        Ok(y) => y,
        Err(e) => {
            errors.add(name, e);
            0
        }
    }
}

fn date(f: &RawForm, errors: &mut FieldErrors, name: &'static str, today: NaiveDate) -> NaiveDate {
    match parse_iso_date(f.get(name).trim()) {
        Some(d) if d > today => {
            errors.add(name, "日期不能晚于今天");
            d
        }
        Some(d) => d,
        None => {
            errors.add(name, "请填写日期，格式如 2026-03-31");
            today
        }
    }
}

/// Validates a new claim; `claimable` lists the programmes that may be claimed now (eligible, with an
/// amount), `documents` the platform's documents.
pub fn parse_claim(
    f: &RawForm,
    claimable: &[&str],
    documents: &[i64],
) -> Result<NewClaim, FieldErrors> {
    let mut errors = FieldErrors::default();
    let programme = f.get("programme").trim();
    if !claimable.contains(&programme) {
        errors.add("programme", "请选择本平台当前可申请且有测算金额的支持项目");
    }
    let document_id = match f.get("document_id").trim().parse::<i64>() {
        Ok(id) if documents.contains(&id) => id,
        _ => {
            errors.add(
                "document_id",
                "请选择申报材料（先在“文件”页上传，再在此选择）",
            );
            0
        }
    };
    let note = text(f, &mut errors, "note", "说明", 0);
    if errors.is_empty() {
        Ok(NewClaim {
            programme: programme.to_owned(),
            document_id,
            note,
        })
    } else {
        Err(errors)
    }
}

/// Validates a step against the claim's figures (and, for 追回, the bases the platform offers); every refusal
/// says why, beside its field.
pub fn parse_step(
    step: ClaimStep,
    f: &RawForm,
    figures: &ClaimFigures,
    bases: &[BasisOption],
    today: NaiveDate,
) -> Result<StepInput, FieldErrors> {
    let mut errors = FieldErrors::default();
    let input = match step {
        ClaimStep::Review => {
            let decision = f.get("decision");
            let note = text(
                f,
                &mut errors,
                "note",
                "审核意见",
                usize::from(decision == "reject"),
            );
            let granted_yuan = match decision {
                "approve" => {
                    let granted = money(f, &mut errors, "granted");
                    if granted > figures.computed_yuan {
                        errors.add(
                            "granted",
                            format!(
                                "核定金额 {} 万元超过测算{} {} 万元，不能核定",
                                wan(granted),
                                if figures.up_to {
                                    "的最高限额"
                                } else {
                                    "金额"
                                },
                                wan(figures.computed_yuan)
                            ),
                        );
                    }
                    Some(granted)
                }
                "reject" => None,
                _ => {
                    errors.add("decision", "请选择审核结论");
                    None
                }
            };
            StepInput::Review { granted_yuan, note }
        }
        ClaimStep::Pay => {
            let paid_on = date(f, &mut errors, "paid_on", today);
            let paid_yuan = money(f, &mut errors, "paid");
            let granted = figures.granted_yuan.unwrap_or(0);
            if paid_yuan > granted {
                errors.add(
                    "paid",
                    format!("拨付金额不能超过核定金额 {} 万元", wan(granted)),
                );
            }
            let voucher_no = text(f, &mut errors, "voucher_no", "凭证号", 1);
            StepInput::Pay {
                paid_on,
                paid_yuan,
                voucher_no,
            }
        }
        ClaimStep::Recover => {
            let recover_yuan = money(f, &mut errors, "recover");
            let paid = figures.paid_yuan.unwrap_or(0);
            if recover_yuan > paid {
                errors.add(
                    "recover",
                    format!("追回金额不能超过已拨付的 {} 万元", wan(paid)),
                );
            }
            let key = f.get("basis").trim();
            let chosen = if key.is_empty() || key == "other" {
                if key.is_empty() && bases.iter().any(|b| b.basis != RecoverBasis::Other) {
                    errors.add("basis", "请选择追回依据");
                }
                None
            } else {
                let found = bases.iter().find(|b| b.basis.key() == key);
                if found.is_none() {
                    errors.add(
                        "basis",
                        "所选依据已不适用（如决定的资金已追回完毕），请重新选择",
                    );
                }
                found
            };
            if let Some(due) = chosen.and_then(|b| b.outstanding)
                && recover_yuan > due
            {
                errors.add(
                    "recover",
                    format!(
                        "追回金额不能超过该决定尚待追回的 {} 万元（已扣除已追回和追回中的金额）",
                        wan(due)
                    ),
                );
            }
            let reason = text(f, &mut errors, "reason", "追回依据说明", 1);
            StepInput::Recover {
                recover_yuan,
                reason,
                basis: chosen.map_or(RecoverBasis::Other, |b| b.basis),
            }
        }
        ClaimStep::Recovered => {
            let recovered_on = date(f, &mut errors, "recovered_on", today);
            if let Some(paid_on) = figures.paid_on
                && recovered_on < paid_on
            {
                errors.add("recovered_on", "追回日期不能早于拨付日期");
            }
            let recovered_yuan = money(f, &mut errors, "recovered");
            let due = figures.recover_yuan.unwrap_or(0);
            if recovered_yuan > due {
                errors.add(
                    "recovered",
                    format!("追回到账金额不能超过应追回的 {} 万元", wan(due)),
                );
            }
            StepInput::Recovered {
                recovered_on,
                recovered_yuan,
            }
        }
    };
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_iso_date(s).expect("date")
    }

    const FIGURES: ClaimFigures = ClaimFigures {
        computed_yuan: 1_000_000,
        up_to: true,
        granted_yuan: Some(800_000),
        paid_yuan: Some(800_000),
        paid_on: None,
        recover_yuan: Some(300_000),
    };

    #[test]
    fn a_claim_needs_a_claimable_programme_and_a_document() {
        let f = RawForm::from_pairs(&[("programme", "NT-FUNDING"), ("document_id", "9")]);
        let e = parse_claim(&f, &["JS-TECH-TRANSFER"], &[3]).expect_err("invalid");
        assert!(e.has("programme"));
        assert!(e.get("document_id").contains("申报材料"));
        let f = RawForm::from_pairs(&[("programme", "JS-TECH-TRANSFER"), ("document_id", "3")]);
        assert_eq!(
            parse_claim(&f, &["JS-TECH-TRANSFER"], &[3]),
            Ok(NewClaim {
                programme: "JS-TECH-TRANSFER".into(),
                document_id: 3,
                note: String::new()
            })
        );
    }

    #[test]
    fn review_grants_at_most_the_computed_amount_or_ceiling() {
        let today = d("2026-11-21");
        let approve = |wan: &str| RawForm::from_pairs(&[("decision", "approve"), ("granted", wan)]);
        assert_eq!(
            parse_step(ClaimStep::Review, &approve("100"), &FIGURES, &[], today),
            Ok(StepInput::Review {
                granted_yuan: Some(1_000_000),
                note: String::new()
            })
        );
        let e = parse_step(
            ClaimStep::Review,
            &approve("100.0001"),
            &FIGURES,
            &[],
            today,
        )
        .expect_err("above the ceiling");
        assert_eq!(
            e.get("granted"),
            "核定金额 100.00 万元超过测算的最高限额 100.00 万元，不能核定"
        );
        let e =
            parse_step(ClaimStep::Review, &approve("0"), &FIGURES, &[], today).expect_err("zero");
        assert_eq!(e.get("granted"), "金额应大于 0");
        // Not supported: a reason is required.
        let reject = RawForm::from_pairs(&[("decision", "reject")]);
        let e =
            parse_step(ClaimStep::Review, &reject, &FIGURES, &[], today).expect_err("no reason");
        assert_eq!(e.get("note"), "请填写审核意见");
        let reject = RawForm::from_pairs(&[("decision", "reject"), ("note", "材料不全")]);
        assert!(matches!(
            parse_step(ClaimStep::Review, &reject, &FIGURES, &[], today),
            Ok(StepInput::Review {
                granted_yuan: None,
                ..
            })
        ));
        let e = parse_step(ClaimStep::Review, &RawForm::default(), &FIGURES, &[], today)
            .expect_err("no decision");
        assert!(e.has("decision"));
    }

    #[test]
    fn payment_and_recovery_are_bounded_by_the_previous_step() {
        let today = d("2026-11-21");
        let pay = RawForm::from_pairs(&[
            ("paid_on", "2026-11-01"),
            ("paid", "80.0001"),
            ("voucher_no", ""),
        ]);
        let e = parse_step(ClaimStep::Pay, &pay, &FIGURES, &[], today).expect_err("too much");
        assert_eq!(e.get("paid"), "拨付金额不能超过核定金额 80.00 万元");
        assert_eq!(e.get("voucher_no"), "请填写凭证号");
        let pay = RawForm::from_pairs(&[
            ("paid_on", "2026-12-01"),
            ("paid", "80"),
            ("voucher_no", "记-2026-118"),
        ]);
        let e = parse_step(ClaimStep::Pay, &pay, &FIGURES, &[], today).expect_err("future");
        assert_eq!(e.get("paid_on"), "日期不能晚于今天");

        let recover = RawForm::from_pairs(&[("recover", "81"), ("reason", "")]);
        let e =
            parse_step(ClaimStep::Recover, &recover, &FIGURES, &[], today).expect_err("too much");
        assert_eq!(e.get("recover"), "追回金额不能超过已拨付的 80.00 万元");
        assert!(e.has("reason"));

        let figures = ClaimFigures {
            paid_on: Some(d("2026-06-01")),
            ..FIGURES
        };
        let recovered = RawForm::from_pairs(&[("recovered_on", "2026-05-01"), ("recovered", "31")]);
        let e =
            parse_step(ClaimStep::Recovered, &recovered, &figures, &[], today).expect_err("bad");
        assert_eq!(e.get("recovered_on"), "追回日期不能早于拨付日期");
        assert_eq!(
            e.get("recovered"),
            "追回到账金额不能超过应追回的 30.00 万元"
        );
        let recovered = RawForm::from_pairs(&[("recovered_on", "2026-07-01"), ("recovered", "30")]);
        assert_eq!(
            parse_step(ClaimStep::Recovered, &recovered, &figures, &[], today),
            Ok(StepInput::Recovered {
                recovered_on: d("2026-07-01"),
                recovered_yuan: 300_000
            })
        );
    }

    #[test]
    fn a_recovery_under_a_decision_fits_in_what_it_still_has_to_recover() {
        let today = d("2026-11-21");
        let bases = [
            BasisOption {
                basis: RecoverBasis::Decision(7),
                label: "退出决定".into(),
                reason: "依据退出决定追回".into(),
                outstanding: Some(200_000),
            },
            BasisOption {
                basis: RecoverBasis::Integrity(3),
                label: "科研诚信".into(),
                reason: "JY 新型研发机构 四(四)".into(),
                outstanding: None,
            },
        ];
        assert_eq!(suggested_recovery(&bases[0], 800_000), 200_000);
        assert_eq!(suggested_recovery(&bases[1], 800_000), 800_000);
        let form = |basis: &str, wan: &str| {
            RawForm::from_pairs(&[("basis", basis), ("recover", wan), ("reason", "依据")])
        };
        let e = parse_step(
            ClaimStep::Recover,
            &form("case-7", "20.01"),
            &FIGURES,
            &bases,
            today,
        )
        .expect_err("above the decision's outstanding");
        assert!(e.get("recover").contains("尚待追回的 20.00 万元"), "{e:?}");
        assert_eq!(
            parse_step(
                ClaimStep::Recover,
                &form("case-7", "20"),
                &FIGURES,
                &bases,
                today
            ),
            Ok(StepInput::Recover {
                recover_yuan: 200_000,
                reason: "依据".into(),
                basis: RecoverBasis::Decision(7)
            })
        );
        // A violation bounds nothing but the paid amount.
        assert!(matches!(
            parse_step(
                ClaimStep::Recover,
                &form("integrity-3", "80"),
                &FIGURES,
                &bases,
                today
            ),
            Ok(StepInput::Recover {
                basis: RecoverBasis::Integrity(3),
                ..
            })
        ));
        let e = parse_step(
            ClaimStep::Recover,
            &form("case-8", "1"),
            &FIGURES,
            &bases,
            today,
        )
        .expect_err("not offered");
        assert!(e.get("basis").contains("已不适用"));
        let e = parse_step(ClaimStep::Recover, &form("", "1"), &FIGURES, &bases, today)
            .expect_err("a basis is chosen when there are some");
        assert_eq!(e.get("basis"), "请选择追回依据");
        assert!(matches!(
            parse_step(
                ClaimStep::Recover,
                &form("other", "1"),
                &FIGURES,
                &bases,
                today
            ),
            Ok(StepInput::Recover {
                basis: RecoverBasis::Other,
                ..
            })
        ));
    }

    #[test]
    fn each_step_starts_from_one_status() {
        assert_eq!(ClaimStep::Review.from_status(), ClaimStatus::Submitted);
        assert_eq!(ClaimStep::Pay.from_status(), ClaimStatus::Approved);
        assert_eq!(ClaimStep::Recover.from_status(), ClaimStatus::Paid);
        assert_eq!(ClaimStep::Recovered.from_status(), ClaimStatus::Recovering);
    }
}
