//! Roles (PRODUCT.md "Who uses it"). One role per account; the three administrator
//! roles are kept separate (三员分立) and none of them touches business data.

code_enum! {
    Role {
        Operator = "operator" / "平台填报员",
        Staff = "staff" / "科技局业务人员",
        Advisor = "advisor" / "产业顾问",
        Expert = "expert" / "评审专家",
        Leader = "leader" / "领导",
        Sysadmin = "sysadmin" / "系统管理员",
        Secadmin = "secadmin" / "安全管理员",
        Auditor = "auditor" / "审计管理员",
    }
}

impl Role {
    /// The three administrator roles of 三员分立.
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Sysadmin | Role::Secadmin | Role::Auditor)
    }

    /// Staff and administrators have passwords that expire (QUALITY.md).
    pub fn password_expires(self) -> bool {
        self == Role::Staff || self.is_admin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_role() {
        for &role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn exactly_three_admin_roles() {
        assert_eq!(Role::ALL.iter().filter(|r| r.is_admin()).count(), 3);
    }
}
