//! Password hashing with Argon2id at OWASP's parameters, off the async runtime and bounded
//! to the core count so that a flood of logins cannot exhaust memory.
//!
//! Hashes run on a pool of dedicated threads, one per core, each with a 19 MiB work area it
//! allocates once and reuses. Allocating a fresh area per hash cost a login ~40% more CPU in
//! page faults, zeroing and unmapping (measured with perf; see `docs/benchmarks.md`), and left
//! peak memory to the allocator's mood. The hashing threads run in Linux's idle scheduling
//! class, each kept to a CPU of its own: a hash takes ~15 ms of CPU and a check ~10 µs, and
//! without it a flood of logins keeping every core busy would queue checks and list pages
//! behind hashes. With it, a request thread that wakes takes the core at once, and the hashes
//! still get every cycle nothing else wants.

use crate::error::{CoreError, CoreResult};
use argon2::password_hash::{Output, ParamsString, PasswordHash, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// OWASP's recommended Argon2id memory: 19 MiB.
const MEMORY_KIB: u32 = 19 * 1024;
/// OWASP's recommended Argon2id iterations.
const ITERATIONS: u32 = 2;
/// Lanes.
const LANES: u32 = 1;
/// Bytes of hash output.
const OUTPUT_LEN: usize = 32;
/// The nice value of the hashing threads where the idle class is refused (0 is normal, 19
/// the lowest priority).
const HASHING_NICE: libc::c_int = 10;

fn params() -> Params {
    Params::new(MEMORY_KIB, ITERATIONS, LANES, Some(OUTPUT_LEN))
        .expect("constant Argon2 parameters are valid")
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

/// Hashes and verifications finished in this process, and the time they took on their
/// threads (nanoseconds), for [`hash_totals`].
static HASHES: AtomicU64 = AtomicU64::new(0);
static HASH_NANOS: AtomicU64 = AtomicU64::new(0);

/// The password hashes and verifications this process has run, and how long they took on
/// their hashing threads (from the start of the work to its end, so a hash that other
/// threads kept waiting counts that wait).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashTotals {
    /// How many have finished.
    pub count: u64,
    /// Their time, summed.
    pub time: Duration,
}

/// What every hasher of this process has run so far.
pub fn hash_totals() -> HashTotals {
    HashTotals {
        count: HASHES.load(Ordering::Relaxed),
        time: Duration::from_nanos(HASH_NANOS.load(Ordering::Relaxed)),
    }
}

/// An Argon2 work area sized for [`params`].
type WorkArea = Vec<Block>;

/// One hash or verification, run by a hashing thread in its work area.
type Job = Box<dyn FnOnce(&mut WorkArea) + Send>;

/// Hashes and verifies passwords on dedicated low-priority threads, one hash per thread at a
/// time, each thread with a work area that is allocated once and reused. The threads end
/// when the last clone of the hasher is dropped.
#[derive(Clone)]
pub struct PasswordHasher {
    jobs: mpsc::Sender<Job>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::with_parallelism(cores)
    }
}

impl PasswordHasher {
    /// A hasher that runs at most `n` hashes at once, on `n` threads.
    pub fn with_parallelism(n: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        // One thread per CPU the process may use: each keeps to its own. With fewer threads
        // than CPUs (a container's quota, say) the scheduler places them.
        let n = n.max(1);
        let cpus = allowed_cpus();
        let pin = cpus.len() == n;
        for i in 0..n {
            let queue = queue.clone();
            let cpu = cpus.get(i).copied().filter(|_| pin);
            let spawned = std::thread::Builder::new()
                .name(format!("roster-hash-{i}"))
                .spawn(move || hashing_thread(&queue, cpu));
            if let Err(e) = spawned {
                tracing::error!("could not start a password hashing thread: {e}");
            }
        }
        PasswordHasher { jobs }
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
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |area| {
            let started = Instant::now();
            let out = f(area);
            let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
            HASH_NANOS.fetch_add(nanos, Ordering::Relaxed);
            HASHES.fetch_add(1, Ordering::Relaxed);
            let _ = answer.send(out);
        });
        self.jobs
            .send(job)
            .map_err(|_| CoreError::Internal("no password hashing thread is running".into()))?;
        answered
            .await
            .map_err(|_| CoreError::Internal("a password hashing job failed".into()))
    }
}

/// A hashing thread: keeps to its own CPU (when given one) and lowers its own priority, then
/// runs jobs from the shared queue until every sender is gone. A job that panics loses its
/// answer, not the thread.
fn hashing_thread(queue: &Mutex<mpsc::Receiver<Job>>, cpu: Option<usize>) {
    if let Some(cpu) = cpu {
        pin_to(cpu);
    }
    lower_priority();
    let mut area: Option<WorkArea> = None;
    loop {
        let job = match queue.lock() {
            Ok(q) => q.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let area = area.get_or_insert_with(|| vec![Block::default(); params().block_count()]);
        let _ = catch_unwind(AssertUnwindSafe(|| job(area)));
    }
}

/// Puts the calling thread in Linux's idle scheduling class, where it runs only when no
/// normal thread wants its CPU and yields the moment one wakes (a niced thread may keep the
/// CPU for the rest of its time slice, which showed as milliseconds of delay on checks
/// during a flood of logins). Falls back to nice [`HASHING_NICE`] if the class is refused.
#[cfg(target_os = "linux")]
fn lower_priority() {
    // SAFETY: gettid, sched_setscheduler and setpriority take plain integers and a pointer
    // to a parameter struct that lives across the call. On Linux, a thread id names one
    // thread, so only this thread changes.
    let failed = unsafe {
        let tid = libc::gettid();
        let param = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(tid, libc::SCHED_IDLE, &param) != 0
            && libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, HASHING_NICE) != 0
    };
    if failed {
        tracing::warn!("could not lower the priority of a password hashing thread");
    }
}

/// Other systems keep the normal priority.
#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

/// The CPUs this process may run on, in order.
#[cfg(target_os = "linux")]
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; sched_getaffinity fills it for the
    // calling thread (pid 0) and CPU_ISSET only reads it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .collect()
    }
}

/// Other systems leave placement to the scheduler.
#[cfg(not(target_os = "linux"))]
fn allowed_cpus() -> Vec<usize> {
    Vec::new()
}

/// Keeps the calling thread on `cpu`. The scheduler balances by weight, and at their low
/// priority two hashing threads weigh less than one request thread: left free, they were
/// found sharing one core a quarter of the time while the other ran a request thread or
/// idled, and a login then waited a whole hash longer.
#[cfg(target_os = "linux")]
fn pin_to(cpu: usize) {
    // SAFETY: as in `allowed_cpus`; sched_setaffinity with pid 0 changes only this thread.
    let failed = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0
    };
    if failed {
        tracing::warn!("could not keep a password hashing thread on CPU {cpu}");
    }
}

/// Other systems leave placement to the scheduler.
#[cfg(not(target_os = "linux"))]
fn pin_to(_cpu: usize) {}

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
