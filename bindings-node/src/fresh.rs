//! Per-client "the mirror may still answer" words, seen from JS through a typed array. Arming
//! one stores a fresh epoch; one task on tokenwell's runtime sets it to 0 when the token's
//! fresh-until instant passes, so the JS hot path reads memory instead of the clock.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use tokio::sync::Notify;

/// Monotonic sleeps miss a system suspend and wall-clock jumps: the task re-reads the wall clock
/// at least this often, which bounds how late a word can go stale after either.
const RECHECK: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct FreshWord {
    /// The epoch JS armed and may answer with; 0 = stale. Aligned for a `Uint32Array` view.
    word: AtomicU32,
    next_epoch: AtomicU32,
}

struct Armed {
    word: Weak<FreshWord>,
    epoch: u32,
    deadline_ns: i64,
}

#[derive(Default)]
struct Table {
    armed: Vec<Armed>,
    running: bool,
}

static TABLE: Mutex<Table> = Mutex::new(Table { armed: Vec::new(), running: false });
static WAKE: Notify = Notify::const_new();

fn table() -> MutexGuard<'static, Table> {
    match TABLE.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl FreshWord {
    pub fn as_ptr(&self) -> *mut u32 {
        self.word.as_ptr()
    }

    /// Makes the word hold a new epoch until `deadline_ns` (Unix ns) and returns it; 0 when the
    /// deadline has passed already (JS then never matches).
    pub fn arm(self: &Arc<Self>, deadline_ns: i64) -> u32 {
        let mut epoch = self.next_epoch.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        if epoch == 0 {
            epoch = self.next_epoch.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        }
        let mut t = table();
        t.armed.retain(|a| !std::ptr::eq(a.word.as_ptr(), Arc::as_ptr(self)));
        if deadline_ns <= tokenwell::wall_now_ns() {
            self.word.store(0, Ordering::Release);
            return 0;
        }
        self.word.store(epoch, Ordering::Release);
        t.armed.push(Armed { word: Arc::downgrade(self), epoch, deadline_ns });
        if t.running {
            WAKE.notify_one();
        } else {
            // Marked running once the task exists: if the runtime cannot start (a panic, caught at
            // the boundary), the next arm tries again instead of trusting a task that never ran.
            tokenwell::runtime::handle().spawn(expire());
            t.running = true;
        }
        epoch
    }
}

/// Sets due words to 0; runs while anything is armed.
async fn expire() {
    loop {
        let wait = {
            let mut t = table();
            let now = tokenwell::wall_now_ns();
            t.armed.retain(|a| {
                let Some(word) = a.word.upgrade() else { return false };
                if a.deadline_ns > now {
                    return true;
                }
                let _ = word.word.compare_exchange(a.epoch, 0, Ordering::AcqRel, Ordering::Relaxed);
                false
            });
            let Some(next) = t.armed.iter().map(|a| a.deadline_ns).min() else {
                t.running = false;
                return;
            };
            Duration::from_nanos((next - now).max(0) as u64).min(RECHECK)
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = WAKE.notified() => {}
        }
    }
}
