//! Data scope: which platforms an account may see (PRODUCT.md "sees").

use super::role::Role;

/// What a platform looks like to the scope check.
#[derive(Debug, Clone, Copy)]
pub struct PlatformRef {
    pub id: i64,
    pub jurisdiction_id: i32,
    pub advisor_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlatformScope {
    /// City staff and leaders.
    All,
    /// County staff: platforms of their county.
    Jurisdiction(i32),
    /// Operators: their own platform.
    Platform(i64),
    /// Advisors: the platforms they are assigned to.
    Advisor(i64),
    /// Everyone else (experts see evaluations, not platforms; administrators no business data).
    Nothing,
}

impl PlatformScope {
    /// The scope of an account. `jurisdiction_is_city` tells city staff from county staff.
    pub fn of(
        user_id: i64,
        role: Option<Role>,
        platform_id: Option<i64>,
        jurisdiction: Option<(i32, bool)>,
    ) -> PlatformScope {
        match (role, platform_id, jurisdiction) {
            (Some(Role::Leader), _, _) => PlatformScope::All,
            (Some(Role::Staff), _, Some((_, true))) => PlatformScope::All,
            (Some(Role::Staff), _, Some((id, false))) => PlatformScope::Jurisdiction(id),
            (Some(Role::Operator), Some(pid), _) => PlatformScope::Platform(pid),
            (Some(Role::Advisor), _, _) => PlatformScope::Advisor(user_id),
            _ => PlatformScope::Nothing,
        }
    }

    pub fn allows(self, p: PlatformRef) -> bool {
        match self {
            PlatformScope::All => true,
            PlatformScope::Jurisdiction(j) => p.jurisdiction_id == j,
            PlatformScope::Platform(id) => p.id == id,
            PlatformScope::Advisor(uid) => p.advisor_id == Some(uid),
            PlatformScope::Nothing => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: PlatformRef = PlatformRef {
        id: 5,
        jurisdiction_id: 3,
        advisor_id: Some(9),
    };

    #[test]
    fn each_role_sees_what_product_md_says() {
        assert!(PlatformScope::of(1, Some(Role::Leader), None, None).allows(P));
        assert!(PlatformScope::of(1, Some(Role::Staff), None, Some((1, true))).allows(P));
        assert!(PlatformScope::of(1, Some(Role::Staff), None, Some((3, false))).allows(P));
        assert!(!PlatformScope::of(1, Some(Role::Staff), None, Some((4, false))).allows(P));
        assert!(PlatformScope::of(1, Some(Role::Operator), Some(5), None).allows(P));
        assert!(!PlatformScope::of(1, Some(Role::Operator), Some(6), None).allows(P));
        assert!(PlatformScope::of(9, Some(Role::Advisor), None, None).allows(P));
        assert!(!PlatformScope::of(8, Some(Role::Advisor), None, None).allows(P));
        for role in [Role::Expert, Role::Sysadmin, Role::Secadmin, Role::Auditor] {
            assert!(!PlatformScope::of(1, Some(role), None, None).allows(P));
        }
        assert!(!PlatformScope::of(1, None, None, None).allows(P));
    }
}
