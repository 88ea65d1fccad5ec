//! Yield ticks for the password-hashing threads that run hashes beside others (a flood of
//! logins): while such a thread runs a hash, it gets a signal every [`EVERY`], whose handler
//! gives its CPU to whatever else is waiting for it (`sched_yield`).
//!
//! Why: the hashing threads run in Linux's idle class so that request threads come first,
//! but measured on a 2-core VM (Linux 6.18, 250 Hz), a request thread woken onto a CPU that a
//! CPU-bound thread holds did not always take it at once: it waited up to the next scheduler
//! tick, 4 ms, with the busy thread in the idle class as at nice 19. A list page, which hands
//! each statement to SQLite's connection thread and back, met such a wait often enough that
//! its p99 during a flood of 64 logging-in clients was 3.3–4.6 ms against 0.7–1.2 ms idle.
//! With ticks every millisecond it was 0.8–1.3 ms, and logins/s did not change measurably;
//! every half millisecond cost 12–15% of them. A hash has no point where it could yield by
//! itself (the argon2 crate runs it in one call), hence the signal.
//!
//! Only threads that registered have a timer, and it runs only while the thread hashes: an
//! idle rayon thread woken by a tick spins for a while before it sleeps again.

/// How often a busy hashing thread offers its CPU.
#[cfg(target_os = "linux")]
const EVERY: libc::timespec = libc::timespec {
    tv_sec: 0,
    tv_nsec: 1_000_000,
};

/// Gives the calling thread a timer for yield ticks (from a hashing thread's start handler).
pub(crate) fn register_this_thread() {
    imp::register();
}

/// Deletes the calling thread's timer (from its exit handler).
pub(crate) fn unregister_this_thread() {
    imp::unregister();
}

/// Yield ticks on the calling thread until the guard is dropped; none on a thread that did
/// not register.
pub(crate) fn ticking() -> Ticking {
    imp::set(true);
    Ticking(std::marker::PhantomData)
}

/// While alive, the thread that made it gets yield ticks. Not `Send`: the ticks are the
/// thread's own.
pub(crate) struct Ticking(std::marker::PhantomData<*const ()>);

impl Drop for Ticking {
    fn drop(&mut self) {
        imp::set(false);
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use super::EVERY;
    use std::cell::Cell;
    use std::sync::Once;

    static HANDLER: Once = Once::new();

    thread_local! {
        /// The calling thread's timer, once registered.
        static MINE: Cell<Option<libc::timer_t>> = const { Cell::new(None) };
    }

    /// The signal the ticks come as: a real-time one, which nothing else in roster uses.
    fn signal() -> libc::c_int {
        libc::SIGRTMIN() + 4
    }

    extern "C" fn on_tick(_: libc::c_int) {
        // SAFETY: sched_yield takes nothing and is async-signal-safe.
        unsafe {
            libc::sched_yield();
        }
    }

    /// Starts or stops the calling thread's ticks, if it has a timer.
    pub(super) fn set(on: bool) {
        let Some(timer) = MINE.with(Cell::get) else {
            return;
        };
        let every = if on {
            EVERY
        } else {
            libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            }
        };
        let spec = libc::itimerspec {
            it_interval: every,
            it_value: every,
        };
        // SAFETY: the timer is this thread's and lives until it unregisters; the spec lives
        // across the call.
        unsafe {
            libc::timer_settime(timer, 0, &spec, std::ptr::null_mut());
        }
    }

    pub(super) fn register() {
        HANDLER.call_once(|| {
            // SAFETY: a zeroed sigaction is valid; the handler is an extern "C" fn that only
            // calls an async-signal-safe function. SA_RESTART resumes interrupted calls.
            let failed = unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_tick as *const () as libc::sighandler_t;
                action.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal(), &action, std::ptr::null_mut()) != 0
            };
            if failed {
                tracing::warn!("could not set up yield ticks for password hashing");
            }
        });
        // SAFETY: a zeroed sigevent is valid; it names this thread (gettid) as the one the
        // signal goes to, and timer_create writes the new timer's id into `id`.
        let timer = unsafe {
            let mut event: libc::sigevent = std::mem::zeroed();
            event.sigev_notify = libc::SIGEV_THREAD_ID;
            event.sigev_signo = signal();
            event.sigev_notify_thread_id = libc::gettid();
            let mut id: libc::timer_t = std::ptr::null_mut();
            (libc::timer_create(libc::CLOCK_MONOTONIC, &mut event, &mut id) == 0).then_some(id)
        };
        match timer {
            Some(id) => MINE.with(|m| m.set(Some(id))),
            None => tracing::warn!("could not start yield ticks for a password hashing thread"),
        }
    }

    pub(super) fn unregister() {
        if let Some(id) = MINE.with(Cell::take) {
            // SAFETY: the timer was made by this thread, which no longer names it.
            unsafe {
                libc::timer_delete(id);
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    /// Other systems have no ticks.
    pub(super) fn set(_: bool) {}
    pub(super) fn register() {}
    pub(super) fn unregister() {}
}
