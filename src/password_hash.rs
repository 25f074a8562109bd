//! argon2id password hashing. Both functions are CPU-heavy: call them from
//! `spawn_blocking` in request handlers.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

pub fn hash(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2 hash failed: {e}"))
}

/// `false` for a wrong password and for a malformed stored hash.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the user does not exist, so that an unknown user name
/// takes as long as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("no-such-user-Dummy#1").unwrap_or_default())
}

pub async fn hash_async(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

pub async fn verify_async(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || verify(&password, &stored))
        .await
        .unwrap_or(false)
}

/// A random temporary password that satisfies the password rules (upper, lower, digit,
/// symbol, 14 characters). It is shown once and must be changed at first login.
pub fn temporary_password() -> String {
    let token = crate::db::sessions::random_token().replace(['-', '_'], "");
    format!("Kc#{}7", &token[..10])
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_with_argon2id_and_verifies() {
        let h = super::hash("Kechuang#2025").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("Kechuang#2025", &h));
        assert!(!super::verify("kechuang#2025", &h));
        assert!(!super::verify("Kechuang#2025", "not a hash"));
    }
}
