//! Switching a policy pack on or off (SUPPORT-RULES.md "Policy packs": enabled packs are per deployment,
//! edited by staff with history). Pure: the form's validation against the settings in force.

use super::input::Pack;
use crate::domain::validation::FieldErrors;

/// The longest reason accepted (as the database's CHECK).
pub const REASON_MAX: usize = 200;

/// One accepted switch of a pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackChange {
    pub pack: Pack,
    pub enabled: bool,
    pub reason: String,
}

/// Validates switching `pack` to `enabled` (the form's `enabled`: "true" or "false") with `reason`, given the
/// packs enabled now. Refused, with the reason beside its field: no reason or a reason over 200 characters,
/// a switch to the state the pack is already in, and switching off the last enabled pack (a deployment
/// computes support from at least one pack).
pub fn parse_pack_change(
    pack: Pack,
    enabled: &str,
    reason: &str,
    enabled_now: &[Pack],
) -> Result<PackChange, FieldErrors> {
    let mut errors = FieldErrors::default();
    let enabled = match enabled.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => {
            errors.add("enabled", "请选择启用或停用");
            None
        }
    };
    let reason = reason.trim();
    let n = reason.chars().count();
    if n == 0 {
        errors.add(
            "reason",
            "请填写原因（如依据的文件文号、会议纪要），记入启用历史",
        );
    } else if n > REASON_MAX {
        errors.add("reason", format!("原因不能超过 {REASON_MAX} 个字"));
    }
    if let Some(on) = enabled {
        let is_on = enabled_now.contains(&pack);
        if on == is_on {
            errors.add(
                "enabled",
                if on {
                    "该政策包已启用，无需修改"
                } else {
                    "该政策包已停用，无需修改"
                },
            );
        } else if !on && enabled_now.iter().all(|p| *p == pack) {
            errors.add(
                "enabled",
                "至少须启用一个政策包：这是目前唯一启用的政策包，请先启用其他政策包再停用它",
            );
        }
    }
    match enabled {
        Some(enabled) if errors.is_empty() => Ok(PackChange {
            pack,
            enabled,
            reason: reason.to_owned(),
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_switch_needs_a_reason_and_a_change() {
        let now = [Pack::Nt10, Pack::Js];
        assert_eq!(
            parse_pack_change(Pack::Nj, "true", " 南京部署 ", &now),
            Ok(PackChange {
                pack: Pack::Nj,
                enabled: true,
                reason: "南京部署".into()
            })
        );
        let e = parse_pack_change(Pack::Nj, "true", "  ", &now).expect_err("no reason");
        assert!(e.get("reason").starts_with("请填写原因"));
        let e = parse_pack_change(Pack::Nj, "true", &"长".repeat(201), &now).expect_err("long");
        assert_eq!(e.get("reason"), "原因不能超过 200 个字");
        let e = parse_pack_change(Pack::Js, "true", "再次启用", &now).expect_err("same");
        assert_eq!(e.get("enabled"), "该政策包已启用，无需修改");
        let e = parse_pack_change(Pack::Nj, "false", "停用", &now).expect_err("same");
        assert_eq!(e.get("enabled"), "该政策包已停用，无需修改");
        let e = parse_pack_change(Pack::Nj, "", "x", &now).expect_err("no choice");
        assert_eq!(e.get("enabled"), "请选择启用或停用");
    }

    #[test]
    fn the_last_enabled_pack_stays_on() {
        let e = parse_pack_change(Pack::Js, "false", "停用", &[Pack::Js]).expect_err("last");
        assert!(e.get("enabled").starts_with("至少须启用一个政策包"));
        assert!(parse_pack_change(Pack::Js, "false", "停用", &[Pack::Nt10, Pack::Js]).is_ok());
    }
}
