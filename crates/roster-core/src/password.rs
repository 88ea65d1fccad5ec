//! Password hashing with Argon2id at OWASP's memory and passes, in two lanes, off the async
//! runtime and bounded to the core count so that a flood of logins cannot exhaust memory.
//!
//! Hashes run on a pool of dedicated threads, one per core, in 19 MiB work areas allocated
//! once and reused, one per hash in flight (at most one per core). Allocating a fresh area per
//! hash cost a login ~40% more CPU in page faults, zeroing and unmapping (measured with perf;
//! see `docs/benchmarks.md`), and left peak memory to the allocator's mood. A hash that starts
//! while no other is in flight fills its two lanes in parallel (the argon2 crate's `parallel`
//! feature on a rayon pool), so a lone login takes half the time; one that starts beside
//! another fills them one after the other on a thread of its own, so a flood costs no more
//! CPU per hash. The hashing threads run in Linux's idle scheduling class, each kept to a CPU
//! of its own: a hash takes ~15 ms of CPU and a check ~10 µs, and without it a flood of logins
//! keeping every core busy would queue checks and list pages behind hashes. With it, a request
//! thread that wakes takes the core at once (or, during a flood, within a millisecond: see
//! `yield_ticks`), and the hashes still get every cycle nothing else wants.

use crate::error::{CoreError, CoreResult};
use crate::yield_ticks;
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::password_hash::PasswordVerifier;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// OWASP's recommended Argon2id memory: 19 MiB.
const MEMORY_KIB: u32 = 19 * 1024;
/// OWASP's recommended Argon2id iterations.
const ITERATIONS: u32 = 2;
/// Lanes: two, so that one hash can use two cores (the memory and passes are OWASP's, and an
/// attacker's cost per guess is the same in any number of lanes).
const LANES: u32 = 2;
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

/// Hashes and verifies passwords on dedicated low-priority threads, at most one hash per
/// core at a time, each in a work area that is allocated once and reused. The threads end
/// when the last clone of the hasher is dropped.
#[derive(Clone)]
pub struct PasswordHasher {
    threads: Arc<HashingThreads>,
    /// One permit per hash that may be in flight: one per core. A hash waits for its permit
    /// before it is handed to the threads.
    in_flight: Arc<Semaphore>,
    /// The slots of the hashes not in flight.
    slots: Arc<Mutex<Vec<Slot>>>,
}

/// The hashing threads: on each CPU, one that fills lanes beside the others and one that
/// fills a hash's lanes one after the other.
struct HashingThreads {
    /// Fills a hash's lanes in parallel, one thread per CPU. A hash runs here only when it is
    /// the only one in flight: a thread waiting for another's lane may take up any job of its
    /// pool meanwhile, and a second hash taken up so would hold the first back until it ends.
    together: rayon::ThreadPool,
    /// One single-thread pool per CPU, for a hash that starts beside another.
    alone: Vec<rayon::ThreadPool>,
}

/// What a hash in flight holds: the single-thread pool it may use, and its work area.
struct Slot {
    index: usize,
    area: Option<WorkArea>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::with_parallelism(cores)
    }
}

impl PasswordHasher {
    /// A hasher that runs at most `n` hashes at once, on `n` CPUs. With one, a hash fills its
    /// lanes one after the other: it takes the CPU time of a hash on one core.
    pub fn with_parallelism(n: usize) -> Self {
        // The threads of each CPU the process may use keep to it. With fewer hashes than CPUs
        // (a container's quota, say) the scheduler places them.
        let n = n.max(1);
        let cpus = allowed_cpus();
        let cpu_of = |i: usize| cpus.get(i).copied().filter(|_| cpus.len() == n);
        let together: Vec<Option<usize>> = (0..n).map(cpu_of).collect();
        let threads = HashingThreads {
            // A lone hash, beside at most its own client's requests: no yield ticks.
            together: hashing_pool(
                n,
                |i| format!("roster-hash-{i}"),
                move |i| together[i],
                false,
            ),
            alone: (0..n)
                .map(|i| {
                    let cpu = cpu_of(i);
                    hashing_pool(1, move |_| format!("roster-hash-{i}s"), move |_| cpu, true)
                })
                .collect(),
        };
        PasswordHasher {
            threads: Arc::new(threads),
            in_flight: Arc::new(Semaphore::new(n)),
            slots: Arc::new(Mutex::new(
                (0..n).map(|index| Slot { index, area: None }).collect(),
            )),
        }
    }

    /// Hashes a password into a PHC string.
    pub async fn hash(&self, password: &str) -> CoreResult<String> {
        let password = password.to_owned();
        self.run(move |area| {
            let failed = |e: &dyn std::fmt::Display| {
                CoreError::Internal(format!("password hashing failed: {e}"))
            };
            let salt = Salt::generate();
            let mut out = [0u8; OUTPUT_LEN];
            argon2()
                .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, &mut area[..])
                .map_err(|e| failed(&e))?;
            let phc = PasswordHash {
                algorithm: Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: ParamsString::try_from(&params()).map_err(|e| failed(&e))?,
                salt: Some(salt),
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

    /// Runs `f` on a hashing thread in a work area, once one of the permits for a hash in
    /// flight is free: with its lanes in parallel when no other hash is in flight, one after
    /// the other beside others.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut WorkArea) -> T + Send + 'static,
    ) -> CoreResult<T> {
        let stopped = || CoreError::Internal("password hashing has stopped".into());
        let permit = self
            .in_flight
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| stopped())?;
        let alone_in_flight = self.in_flight.available_permits() + 1 == self.threads.alone.len();
        let mut slot = self
            .slots
            .lock()
            .ok()
            .and_then(|mut s| s.pop())
            .ok_or_else(stopped)?;
        let slot_index = slot.index;
        let (answer, answered) = tokio::sync::oneshot::channel();
        let slots = self.slots.clone();
        let job = move || {
            let area = slot
                .area
                .get_or_insert_with(|| vec![Block::default(); params().block_count()]);
            let started = Instant::now();
            let ticking = yield_ticks::ticking();
            // A job that panics loses its answer, not the thread or the work area.
            let out = catch_unwind(AssertUnwindSafe(|| f(area)));
            drop(ticking);
            let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
            HASH_NANOS.fetch_add(nanos, Ordering::Relaxed);
            HASHES.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut s) = slots.lock() {
                s.push(slot);
            }
            drop(permit);
            if let Ok(out) = out {
                let _ = answer.send(out);
            }
        };
        if alone_in_flight {
            self.threads.together.spawn(job);
        } else {
            self.threads.alone[slot_index].spawn(job);
        }
        answered
            .await
            .map_err(|_| CoreError::Internal("a password hashing job failed".into()))
    }
}

/// A pool of `n` hashing threads, the `i`th kept to `cpu(i)` when that names one, all at the
/// lowest priority; with `ticking`, each gets yield ticks while it runs a hash.
fn hashing_pool(
    n: usize,
    name: impl FnMut(usize) -> String + 'static,
    cpu: impl Fn(usize) -> Option<usize> + Send + Sync + 'static,
    ticking: bool,
) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(name)
        .start_handler(move |i| {
            if let Some(cpu) = cpu(i) {
                pin_to(cpu);
            }
            lower_priority();
            if ticking {
                yield_ticks::register_this_thread();
            }
        })
        .exit_handler(|_| yield_ticks::unregister_this_thread())
        .build()
        .expect("the password hashing threads can be started")
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

/// Whether `phc` was made with roster's current parameters. One that was not verifies as it
/// is, and is made again at its user's next successful login.
pub fn is_current(phc: &str) -> bool {
    let ours = params();
    PasswordHash::new(phc).is_ok_and(|h| {
        h.algorithm == Algorithm::Argon2id.ident()
            && h.version == Some(Version::V0x13.into())
            && h.hash.as_ref().is_some_and(|o| o.len() == OUTPUT_LEN)
            && Params::try_from(&h).is_ok_and(|p| {
                p.m_cost() == ours.m_cost()
                    && p.t_cost() == ours.t_cost()
                    && p.p_cost() == ours.p_cost()
            })
    })
}

/// Verifies in the reusable work area any Argon2 hash whose memory fits in it (roster's own,
/// in one lane or two, and smaller ones), and through the crate's general path (which
/// allocates) any larger one.
fn verify_parsed(password: &[u8], parsed: &PasswordHash, area: &mut WorkArea) -> bool {
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(params) = Params::try_from(parsed) else {
        return false;
    };
    if params.block_count() > area.len() {
        return argon2().verify_password(password, parsed).is_ok();
    }
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let Ok(version) = parsed.version.map_or(Ok(Version::V0x13), Version::try_from) else {
        return false;
    };
    let mut out = [0u8; Output::MAX_LENGTH];
    let Some(out) = out.get_mut(..expected.len()) else {
        return false;
    };
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt, &mut *out, &mut area[..])
        .is_ok()
        // `Output` compares in constant time.
        && Output::new(out).is_ok_and(|o| &o == expected)
}

/// A hash of a random password, verified against when the login is unknown.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        use argon2::PasswordHasher as _;
        argon2()
            .hash_password_with_salt(crate::secret::generate().as_bytes(), &Salt::generate())
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
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=2$"));
        assert!(is_current(&phc));
        assert!(!is_current("not a hash"));
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
        use argon2::PasswordHasher as _;
        let h = PasswordHasher::with_parallelism(2);
        // Smaller than the work area; roster's parameters before two lanes; larger than it.
        for (m, t, p) in [(8192, 3, 1), (19456, 2, 1), (32768, 1, 1)] {
            let other = Argon2::new(
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(m, t, p, None).unwrap(),
            );
            let phc = other
                .hash_password_with_salt(b"imported secret", &Salt::generate())
                .unwrap()
                .to_string();
            assert!(
                h.verify("imported secret", Some(phc.clone()))
                    .await
                    .unwrap(),
                "m={m} t={t} p={p}"
            );
            assert!(!is_current(&phc), "m={m} t={t} p={p} is not roster's now");
            assert!(!h.verify("imported secreT", Some(phc)).await.unwrap());
        }
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
