//! Password hashing with Argon2id at OWASP's parameters, off the async runtime and bounded
//! to the core count so that a flood of logins cannot exhaust memory.

use crate::error::{CoreError, CoreResult};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

/// OWASP's recommended Argon2id configuration: 19 MiB, 2 iterations, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes and verifies passwords on the blocking pool, at most one per core at a time.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::with_parallelism(cores)
    }
}

impl PasswordHasher {
    /// A hasher that runs at most `n` hashes at once.
    pub fn with_parallelism(n: usize) -> Self {
        PasswordHasher {
            permits: Arc::new(Semaphore::new(n.max(1))),
        }
    }

    /// Hashes a password into a PHC string.
    pub async fn hash(&self, password: &str) -> CoreResult<String> {
        let password = password.to_owned();
        self.run(move || {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            argon2()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| CoreError::Internal(format!("password hashing failed: {e}")))
        })
        .await?
    }

    /// Whether `password` matches `phc`. With no stored hash, a dummy one is checked so that
    /// the answer takes as long as for a real account.
    pub async fn verify(&self, password: &str, phc: Option<String>) -> CoreResult<bool> {
        let password = password.to_owned();
        self.run(move || {
            let real = phc.is_some();
            let phc = phc.unwrap_or_else(|| dummy_hash().to_owned());
            let ok = match PasswordHash::new(&phc) {
                Ok(parsed) => argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok(),
                Err(_) => false,
            };
            real && ok
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> CoreResult<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| CoreError::Internal("hasher closed".into()))?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| CoreError::Internal(format!("hashing task failed: {e}")))
    }
}

/// A hash of a random password, verified against when the login is unknown.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        argon2()
            .hash_password(crate::secret::generate().as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_reject() {
        let h = PasswordHasher::with_parallelism(1);
        let phc = h.hash("correct horse battery").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(h
            .verify("correct horse battery", Some(phc.clone()))
            .await
            .unwrap());
        assert!(!h.verify("wrong horse battery", Some(phc)).await.unwrap());
        assert!(!h.verify("anything", None).await.unwrap());
    }
}
