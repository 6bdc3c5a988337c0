//! The way the core's threads enter Python (log records, `token_async()` results), and the way
//! out at interpreter exit. Before 3.13 nothing stops a foreign thread from taking the GIL while
//! the interpreter finalizes, and CPython then ends that thread with `pthread_exit` in the middle
//! of Rust frames: a crash at exit (found by the forced-panic test). So an `atexit` hook, which
//! runs before finalization, closes this gate and waits, with the GIL released, for the threads
//! inside to leave; after that no foreign thread attaches, and a thread blocked in `token()` that
//! would have to take the GIL back stays parked until the process ends.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use pyo3::prelude::*;

/// How long exit waits for a callback or log record already inside Python.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

struct Gate {
    closed: bool,
    /// The thread that closed the gate (the one finalizing): it goes on using Python.
    closer: Option<ThreadId>,
    inside: usize,
    /// The process the count belongs to: a child forked while a thread was inside starts at 0.
    pid: u32,
}

static GATE: Mutex<Gate> = Mutex::new(Gate { closed: false, closer: None, inside: 0, pid: 0 });
static LEFT: Condvar = Condvar::new();

fn lock() -> MutexGuard<'static, Gate> {
    let mut g = GATE.lock().unwrap_or_else(|p| p.into_inner());
    let pid = std::process::id();
    if g.pid != pid {
        g.pid = pid;
        g.inside = 0;
    }
    g
}

/// A thread on its way into Python; exit waits until it is dropped (after the GIL is released).
pub(crate) struct Inside {
    counted: bool,
}

impl Drop for Inside {
    fn drop(&mut self) {
        if self.counted {
            let mut g = lock();
            g.inside = g.inside.saturating_sub(1);
            drop(g);
            LEFT.notify_all();
        }
    }
}

/// Leave to take the GIL, or None once the interpreter is exiting (except for the exiting thread).
pub(crate) fn enter() -> Option<Inside> {
    let mut g = lock();
    if g.closed {
        return (g.closer == Some(thread::current().id())).then_some(Inside { counted: false });
    }
    g.inside += 1;
    Some(Inside { counted: true })
}

/// `Python::try_attach` for the core's threads: None once the interpreter is exiting.
pub(crate) fn attach<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> Option<R> {
    let _inside = enter()?;
    Python::try_attach(f)
}

/// For a thread that must not take the GIL back: the process is ending, this thread with it.
pub(crate) fn park_forever() -> ! {
    loop {
        thread::park();
    }
}

#[pyfunction]
fn close(py: Python<'_>) {
    py.detach(|| {
        let deadline = Instant::now() + CLOSE_WAIT;
        let mut g = lock();
        g.closed = true;
        g.closer = Some(thread::current().id());
        while g.inside > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            g = LEFT.wait_timeout(g, left).unwrap_or_else(|p| p.into_inner()).0;
        }
    });
}

/// Registers the hook that closes the gate at exit.
pub(crate) fn install(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let hook = wrap_pyfunction!(close, m)?;
    m.py().import("atexit")?.call_method1("register", (hook,))?;
    Ok(())
}
