//! Password hashing with Argon2id at OWASP's parameters, off the async runtime and bounded
//! to the core count so that a flood of logins cannot exhaust memory.
//!
//! Each permitted hash owns a reusable 19 MiB work area. Allocating a fresh one per hash
//! cost a login ~40% more CPU in page faults, zeroing and unmapping (measured with perf; see
//! `docs/benchmarks.md`), and left peak memory to the allocator's mood.

use crate::error::{CoreError, CoreResult};
use argon2::password_hash::{Output, ParamsString, PasswordHash, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::Semaphore;

/// OWASP's recommended Argon2id memory: 19 MiB.
const MEMORY_KIB: u32 = 19 * 1024;
/// OWASP's recommended Argon2id iterations.
const ITERATIONS: u32 = 2;
/// Lanes.
const LANES: u32 = 1;
/// Bytes of hash output.
const OUTPUT_LEN: usize = 32;

fn params() -> Params {
    Params::new(MEMORY_KIB, ITERATIONS, LANES, Some(OUTPUT_LEN))
        .expect("constant Argon2 parameters are valid")
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

/// An Argon2 work area sized for [`params`].
type WorkArea = Vec<Block>;

/// Hashes and verifies passwords on the blocking pool, at most one per core at a time, each
/// in a work area that is allocated once and reused.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    areas: Arc<Mutex<Vec<WorkArea>>>,
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
            areas: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Hashes a password into a PHC string.
    pub async fn hash(&self, password: &str) -> CoreResult<String> {
        let password = password.to_owned();
        self.run(move |area| {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            let failed = |e: &dyn std::fmt::Display| {
                CoreError::Internal(format!("password hashing failed: {e}"))
            };
            let mut salt_bytes = [0u8; 64];
            let salt_bytes = salt
                .as_salt()
                .decode_b64(&mut salt_bytes)
                .map_err(|e| failed(&e))?;
            let mut out = [0u8; OUTPUT_LEN];
            argon2()
                .hash_password_into_with_memory(
                    password.as_bytes(),
                    salt_bytes,
                    &mut out,
                    &mut area[..],
                )
                .map_err(|e| failed(&e))?;
            let phc = PasswordHash {
                algorithm: Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: ParamsString::try_from(&params()).map_err(|e| failed(&e))?,
                salt: Some(salt.as_salt()),
                hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
            };
            Ok(phc.to_string())
        })
        .await?
    }

    /// Whether `password` matches `phc`. With no stored hash, a dummy one is checked so that
    /// the answer takes as long as for a real account. A password far longer than any that
    /// can be set never matches, and costs one ordinary hash rather than one of its length.
    pub async fn verify(&self, password: &str, phc: Option<String>) -> CoreResult<bool> {
        let too_long = password.len() > crate::policy::MAX_PASSWORD * 4;
        let password = if too_long {
            String::new()
        } else {
            password.to_owned()
        };
        self.run(move |area| {
            let real = phc.is_some() && !too_long;
            let phc = phc.unwrap_or_else(|| dummy_hash().to_owned());
            let ok = match PasswordHash::new(&phc) {
                Ok(parsed) => verify_parsed(password.as_bytes(), &parsed, area),
                Err(_) => false,
            };
            real && ok
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut WorkArea) -> T + Send + 'static,
    ) -> CoreResult<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| CoreError::Internal("hasher closed".into()))?;
        let area = self.areas.lock().ok().and_then(|mut a| a.pop());
        let areas = self.areas.clone();
        tokio::task::spawn_blocking(move || {
            let mut area = area.unwrap_or_else(|| vec![Block::default(); params().block_count()]);
            let result = f(&mut area);
            if let Ok(mut a) = areas.lock() {
                a.push(area);
            }
            result
        })
        .await
        .map_err(|e| CoreError::Internal(format!("hashing task failed: {e}")))
    }
}

/// Verifies in the reusable work area when the hash has roster's own parameters, and through
/// the crate's general path (which allocates) for any other Argon2 hash.
fn verify_parsed(password: &[u8], parsed: &PasswordHash<'_>, area: &mut WorkArea) -> bool {
    let ours = params();
    let same_params = parsed.algorithm == Algorithm::Argon2id.ident()
        && parsed.version == Some(Version::V0x13.into())
        && Params::try_from(parsed).is_ok_and(|p| {
            p.m_cost() == ours.m_cost()
                && p.t_cost() == ours.t_cost()
                && p.p_cost() == ours.p_cost()
        });
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    if !same_params || expected.len() != OUTPUT_LEN {
        return argon2().verify_password(password, parsed).is_ok();
    }
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = [0u8; OUTPUT_LEN];
    if argon2()
        .hash_password_into_with_memory(password, salt_bytes, &mut out, &mut area[..])
        .is_err()
    {
        return false;
    }
    // `Output` compares in constant time.
    Output::new(&out).is_ok_and(|o| o == expected)
}

/// A hash of a random password, verified against when the login is unknown.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        use argon2::password_hash::PasswordHasher as _;
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
        assert!(!h
            .verify("wrong horse battery", Some(phc.clone()))
            .await
            .unwrap());
        assert!(!h.verify("anything", None).await.unwrap());
        assert!(!h
            .verify("correct horse battery", Some("not a hash".into()))
            .await
            .unwrap());
        // Two hashes of the same password differ (fresh salts) and both verify.
        let again = h.hash("correct horse battery").await.unwrap();
        assert_ne!(phc, again);
        assert!(h
            .verify("correct horse battery", Some(again))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn hashes_with_other_parameters_still_verify() {
        use argon2::password_hash::PasswordHasher as _;
        let other = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8192, 3, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let phc = other
            .hash_password(b"imported secret", &salt)
            .unwrap()
            .to_string();
        let h = PasswordHasher::with_parallelism(1);
        assert!(h
            .verify("imported secret", Some(phc.clone()))
            .await
            .unwrap());
        assert!(!h.verify("imported secreT", Some(phc)).await.unwrap());
    }

    #[tokio::test]
    async fn our_hashes_verify_with_the_plain_crate_path() {
        let h = PasswordHasher::with_parallelism(2);
        let phc = h.hash("interoperable pw").await.unwrap();
        let parsed = PasswordHash::new(&phc).unwrap();
        assert!(argon2()
            .verify_password(b"interoperable pw", &parsed)
            .is_ok());
    }
}
