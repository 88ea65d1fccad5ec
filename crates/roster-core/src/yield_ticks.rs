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
//! Only pools given ticks have them, and only while they run a hash: an idle rayon thread
//! woken by a tick spins for a while before it sleeps again.

use std::sync::Arc;

/// How often a busy hashing thread offers its CPU.
#[cfg(target_os = "linux")]
const EVERY: libc::timespec = libc::timespec {
    tv_sec: 0,
    tv_nsec: 1_000_000,
};

/// The yield ticks of one pool of hashing threads.
pub(crate) struct Ticks(imp::Ticks);

/// While alive, the pool it came from is running a hash and its threads get yield ticks.
pub(crate) struct Busy(Arc<Ticks>);

impl Ticks {
    /// Ticks for a pool whose threads have yet to register.
    pub(crate) fn new() -> Arc<Ticks> {
        Arc::new(Ticks(imp::Ticks::default()))
    }

    /// Makes the calling thread one of this pool's (from its start handler).
    pub(crate) fn register_this_thread(&self) {
        self.0.register();
    }

    /// Takes the calling thread out of this pool's ticks (from its exit handler).
    pub(crate) fn unregister_this_thread(&self) {
        self.0.unregister();
    }

    /// Starts this pool's ticks (if they were not running) until the guard, and every other
    /// one from this pool, is dropped.
    pub(crate) fn busy(self: &Arc<Self>) -> Busy {
        self.0.busy_changed(1);
        Busy(self.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0 .0.busy_changed(-1);
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use super::EVERY;
    use std::cell::Cell;
    use std::sync::{Mutex, Once};

    /// One thread's timer.
    struct Timer(libc::timer_t);

    // SAFETY: a timer id is a handle the kernel resolves for any thread of the process.
    unsafe impl Send for Timer {}

    /// A pool's timers, and how many of its hashes are running.
    #[derive(Default)]
    struct State {
        timers: Vec<Timer>,
        busy: isize,
    }

    /// One pool's ticks.
    #[derive(Default)]
    pub(super) struct Ticks(Mutex<State>);

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

    fn set(timer: &Timer, on: bool) {
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
        // SAFETY: the timer exists until its thread unregisters it under the lock every
        // caller holds; the spec lives across the call.
        unsafe {
            libc::timer_settime(timer.0, 0, &spec, std::ptr::null_mut());
        }
    }

    impl Ticks {
        pub(super) fn busy_changed(&self, by: isize) {
            let Ok(mut state) = self.0.lock() else { return };
            let before = state.busy;
            state.busy += by;
            if (before == 0) != (state.busy == 0) {
                let on = state.busy > 0;
                for t in &state.timers {
                    set(t, on);
                }
            }
        }

        pub(super) fn register(&self) {
            HANDLER.call_once(|| {
                // SAFETY: a zeroed sigaction is valid; the handler is an extern "C" fn that
                // only calls an async-signal-safe function. SA_RESTART resumes interrupted
                // calls.
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
            let Some(id) = timer else {
                tracing::warn!("could not start yield ticks for a password hashing thread");
                return;
            };
            MINE.with(|m| m.set(Some(id)));
            if let Ok(mut state) = self.0.lock() {
                let timer = Timer(id);
                if state.busy > 0 {
                    set(&timer, true);
                }
                state.timers.push(timer);
            }
        }

        pub(super) fn unregister(&self) {
            let Some(id) = MINE.with(|m| m.take()) else {
                return;
            };
            if let Ok(mut state) = self.0.lock() {
                state.timers.retain(|t| t.0 != id);
                // SAFETY: the timer was made by this thread and is no longer in the list.
                unsafe {
                    libc::timer_delete(id);
                }
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    /// Other systems have no ticks.
    #[derive(Default)]
    pub(super) struct Ticks;

    impl Ticks {
        pub(super) fn busy_changed(&self, _: isize) {}
        pub(super) fn register(&self) {}
        pub(super) fn unregister(&self) {}
    }
}
