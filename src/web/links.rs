//! Where things are handled: the paths of the pages a notice, a to-do or an overdue row leads to.
//! The database layer writes notices with these through [`NOTICES`]; it builds no URL itself.

use crate::db::notices::{self, Overdue, OverdueKind};
use crate::domain::annual::Step;

/// Where a step of a platform's year is handled.
pub fn step(step: Step, platform_id: i64, year: i32) -> String {
    match step {
        Step::Midyear => format!("/platforms/{platform_id}/midyear?year={year}"),
        Step::Filing => format!("/platforms/{platform_id}/annual?year={year}"),
        Step::Yearend => format!("/platforms/{platform_id}/evaluation?year={year}"),
    }
}

/// A checklist item of a platform.
pub fn checklist_item(platform_id: i64, item_id: i64) -> String {
    format!("/platforms/{platform_id}/checklist/{item_id}")
}

/// A rectification case of a platform.
pub fn rectification_case(platform_id: i64, case_id: i64) -> String {
    format!("/platforms/{platform_id}/rectification/{case_id}")
}

/// Where an overdue thing is handled.
pub fn overdue(o: &Overdue) -> String {
    match o.kind {
        OverdueKind::Step { step: s, year } => step(s, o.platform_id, year),
        OverdueKind::Checklist => checklist_item(o.platform_id, o.ref_id),
        OverdueKind::Rectification => rectification_case(o.platform_id, o.ref_id),
    }
}

/// The links of the generated notices (`db::notices::generate`).
pub const NOTICES: notices::Links = notices::Links {
    step,
    checklist_item,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(step(Step::Filing, 7, 2026), "/platforms/7/annual?year=2026");
        assert_eq!(
            step(Step::Midyear, 7, 2026),
            "/platforms/7/midyear?year=2026"
        );
        assert_eq!(
            step(Step::Yearend, 7, 2026),
            "/platforms/7/evaluation?year=2026"
        );
        assert_eq!(checklist_item(7, 3), "/platforms/7/checklist/3");
        assert_eq!(rectification_case(7, 3), "/platforms/7/rectification/3");
    }
}
