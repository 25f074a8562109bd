//! argon2id password hashing. Hashing is CPU- and memory-heavy (19 MiB per hash), so in the
//! server it runs on a small fixed pool of threads (one per core) behind a bounded queue: a
//! storm of sign-ins queues or is refused, and never spreads 19 MiB blocks over hundreds of
//! blocking threads (whose allocator arenas then keep them).

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

/// Makes glibc serve large blocks (argon2's 19 MiB) straight from the system and give them back
/// on free. By default glibc raises its mmap threshold after the first such free, so every thread
/// arena then keeps ~40–60 MB of freed argon2 memory resident for good (a sign-in storm took the
/// server from 33 MB to 265 MB and it stayed there). Setting the threshold fixes it at 4 MB.
/// Called once at start-up by `main`; a no-op where the allocator is not glibc's.
pub fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before any other thread runs.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 * 1024 * 1024);
    }
}

/// The hashing queue is full: the caller answers 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("password hashing is saturated")]
pub struct Busy;

/// Jobs waiting or running at most; beyond that a sign-in is refused at once.
const QUEUE: usize = 64;
static SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(QUEUE);

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads (one per core), started on first use.
fn workers() -> &'static std::sync::Mutex<std::sync::mpsc::Sender<Job>> {
    static POOL: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> =
        std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        let n = std::thread::available_parallelism().map_or(2, |n| n.get());
        for i in 0..n {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .expect("could not start a password-hashing thread");
        }
        std::sync::Mutex::new(tx)
    })
}

async fn run<T: Send + 'static>(
    permit: tokio::sync::SemaphorePermit<'static>,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(f());
    });
    let sent = workers()
        .lock()
        .map(|w| w.send(job).is_ok())
        .unwrap_or(false);
    assert!(sent, "password-hashing threads are gone");
    let out = rx.await.expect("a password-hashing thread panicked");
    drop(permit);
    out
}

/// Hashes a new password (waits for a slot: account changes are rare and deliberate).
pub async fn hash_async(password: String) -> anyhow::Result<String> {
    let permit = SLOTS.acquire().await?;
    run(permit, move || hash(&password)).await
}

/// Verifies a sign-in; `Err(Busy)` when the queue is full (the caller answers 429).
pub async fn verify_async(password: String, stored: String) -> Result<bool, Busy> {
    let permit = SLOTS.try_acquire().map_err(|_| Busy)?;
    Ok(run(permit, move || verify(&password, &stored)).await)
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
