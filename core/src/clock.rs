//! Time, injected: expiry decisions read a [`Clock`], so tests move time instead of sleeping.
//! The system clock reads the kernel's coarse wall clock (a few ns, ~4 ms resolution), which
//! keeps the cached path of `token()` cheap; token lifetimes are seconds, so that is plenty.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time in Unix nanoseconds.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now, in nanoseconds since the Unix epoch.
    fn now_ns(&self) -> i64;
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[inline]
    fn now_ns(&self) -> i64 {
        wall_now_ns()
    }
}

/// Unix nanoseconds from the coarse realtime clock where the OS has one.
#[inline]
pub fn wall_now_ns() -> i64 {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable timespec; CLOCK_REALTIME_COARSE exists on Linux.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut ts) };
        if rc == 0 {
            #[allow(clippy::unnecessary_cast)] // 32-bit targets have narrower fields
            return (ts.tv_sec as i64) * 1_000_000_000 + ts.tv_nsec as i64;
        }
    }
    precise_now_ns()
}

fn precise_now_ns() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos().min(i64::MAX as u128) as i64,
        Err(_) => 0,
    }
}

/// A clock that only moves when told to: for tests.
///
/// ```
/// use tokenwell::{Clock, ManualClock};
/// let clock = ManualClock::new();
/// let t0 = clock.now_ns();
/// clock.advance(std::time::Duration::from_secs(30));
/// assert_eq!(clock.now_ns() - t0, 30_000_000_000);
/// ```
#[derive(Debug)]
pub struct ManualClock {
    now: AtomicI64,
}

impl ManualClock {
    /// Starts at the real current time (servers still compare against real time).
    pub fn new() -> Arc<ManualClock> {
        Arc::new(ManualClock { now: AtomicI64::new(precise_now_ns()) })
    }
    /// Moves time forward.
    pub fn advance(&self, by: Duration) {
        self.now.fetch_add(by.as_nanos() as i64, Ordering::SeqCst);
    }
    /// Sets the time.
    pub fn set_ns(&self, ns: i64) {
        self.now.store(ns, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ns(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }
}
