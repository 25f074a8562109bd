//! The password rules (QUALITY.md: ≥ 8 characters with 3 of 4 character classes; the
//! security admin may make them stricter).

/// The rules in force, from `security_policy`.
#[derive(Debug, Clone, Copy)]
pub struct PasswordRules {
    pub min_length: usize,
    pub min_classes: usize,
}

impl Default for PasswordRules {
    fn default() -> Self {
        PasswordRules {
            min_length: 8,
            min_classes: 3,
        }
    }
}

impl PasswordRules {
    /// Checks a new password; the error is the Chinese message shown next to the field.
    pub fn check(&self, password: &str, username: &str) -> Result<(), String> {
        let len = password.chars().count();
        if len < self.min_length {
            return Err(format!("密码至少{}个字符", self.min_length));
        }
        if len > 128 {
            return Err("密码不能超过128个字符".into());
        }
        let classes = [
            password.chars().any(|c| c.is_ascii_lowercase()),
            password.chars().any(|c| c.is_ascii_uppercase()),
            password.chars().any(|c| c.is_ascii_digit()),
            password.chars().any(|c| !c.is_ascii_alphanumeric()),
        ]
        .into_iter()
        .filter(|&b| b)
        .count();
        if classes < self.min_classes {
            return Err(format!(
                "密码须包含大写字母、小写字母、数字、符号中的至少{}类",
                self.min_classes
            ));
        }
        if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
            return Err("密码不能包含用户名".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length_and_classes() {
        let rules = PasswordRules::default();
        assert!(rules.check("Ab1#", "x").is_err());
        assert!(rules.check("abcdefgh", "x").is_err());
        assert!(rules.check("abcdefg1", "x").is_err());
        assert!(rules.check("abcdef1#", "x").is_ok());
        assert!(rules.check("Kechuang#2025", "demo-staff").is_ok());
        assert!(rules.check("Zhang3#zhangsan", "zhangsan").is_err());
        let strict = PasswordRules {
            min_length: 10,
            min_classes: 4,
        };
        assert!(strict.check("abcdef1#", "x").is_err());
        assert!(strict.check("Abcdefg1#x", "zz").is_ok());
    }
}
