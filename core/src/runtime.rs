//! The one tokio runtime of the process, owned by the core and shared by every binding. Token
//! requests always run here, so a caller that gives up (a cancelled Python task, a dropped
//! future) never cancels a fetch other callers wait for. After `fork()` the child has none of
//! the parent's threads: a new runtime is made for it.

use std::sync::Mutex;

use tokio::runtime::{Builder, Handle, Runtime};

static RUNTIME: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);

/// A handle to tokenwell's runtime, created on first use (and again in a forked child).
pub fn handle() -> Handle {
    let pid = std::process::id();
    let mut guard = match RUNTIME.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some((owner, rt)) = *guard {
        if owner == pid {
            return rt.handle().clone();
        }
        // A forked child: the parent's worker threads do not exist here. The old runtime is
        // leaked on purpose; dropping it would try to join threads that are gone.
    }
    // Two workers: renewals are rare and short, but one worker may be blocked delivering a log
    // record or a result into a host language (Python's GIL, held by a caller that waits on the
    // runtime): the other keeps renewals moving. One worker measured only 0.04 ms faster at
    // process start. A failure to start threads is retried with one (a panic here is caught at
    // the binding's boundary and reported as `internal`).
    let build =
        |workers| Builder::new_multi_thread().worker_threads(workers).thread_name("tokenwell").enable_all().build();
    let rt = match build(2) {
        Ok(rt) => rt,
        Err(e) => {
            tracing::warn!("tokenwell: cannot start the runtime's threads ({e}); trying with one");
            build(1).expect("tokenwell cannot start a thread for its runtime")
        }
    };
    let rt: &'static Runtime = Box::leak(Box::new(rt));
    *guard = Some((pid, rt));
    rt.handle().clone()
}

/// Runs `fut` on tokenwell's runtime and waits for it from a synchronous caller.
pub fn block_on<F>(fut: F) -> Result<F::Output, crate::Error>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let task = handle().spawn(fut);
    futures::executor::block_on(task)
        .map_err(|e| crate::Error::internal(format!("tokenwell: a background task failed: {e}")))
}

/// Waits on the calling thread for up to `limit` for `fut` (a [`crate::Client::token`] future),
/// polling it there: `None` when it is not done yet, and another call goes on waiting. For
/// bindings that must return now and then while they wait (Python checks for Ctrl-C). Dropping
/// the future instead gives up waiting; the renewal goes on for the other callers.
pub fn wait_for<F>(fut: &mut F, limit: std::time::Duration) -> Option<F::Output>
where
    F: std::future::Future + Unpin,
{
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Poll::Ready(out) = std::pin::Pin::new(&mut *fut).poll(&mut cx) {
            return Some(out);
        }
        // A wake-up before the deadline (spurious or not) polls again.
        let now = std::time::Instant::now();
        if now >= deadline {
            return None;
        }
        std::thread::park_timeout(deadline - now);
    }
}
