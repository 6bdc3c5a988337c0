//! The warm path. A client keeps a small table of per-thread slots; the slot a thread owns
//! remembers the last token handle it returned, the engine's generation it was read at and
//! until when the engine would answer the same token. A warm call is then a generation load, a
//! clock read and one reference on a handle only that thread uses: no allocation, no lock, and
//! no cache line written by two reader threads.

use std::cell::UnsafeCell;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use engine::Token;

use crate::error::Failure;
use crate::token::{release, retain, tw_token};

/// Slots per client, and how many a thread may probe: threads beyond what fits still get
/// correct answers, through the engine and a handle of their own.
const SLOTS: usize = 64;
const PROBE: usize = 4;

/// Which engine call the mirror stands in for.
#[derive(Clone, Copy)]
pub(crate) enum Want {
    /// `cached()`: the token until its renewal point.
    Cached,
    /// `try_token()`: the token until refresh-ahead is due (then the engine must see the call).
    Token,
}

/// What the engine answered, read at `generation`.
pub(crate) struct Answer {
    pub generation: u64,
    pub cached_until: i64,
    pub token_until: i64,
}

#[derive(Default)]
struct State {
    generation: u64,
    cached_until: i64,
    token_until: i64,
    handle: Option<NonNull<tw_token>>,
}

/// One thread's slot; padded so two threads never write the same cache line.
#[repr(align(64))]
#[derive(Default)]
struct Slot {
    /// `pthread_self()` of the owner, 0 while free. A thread that exits keeps its slot, and a
    /// new thread reusing its id inherits it, which is harmless: only live threads call.
    owner: AtomicUsize,
    state: UnsafeCell<State>,
}

pub(crate) struct Mirror {
    slots: Box<[Slot; SLOTS]>,
}

// SAFETY: a slot's `state` is only touched by the thread whose id is in `owner` (claimed with a
// compare-exchange, so by one live thread at a time), or through `&mut self` when dropping.
unsafe impl Sync for Mirror {}
// SAFETY: the handles are reference-counted atomically and may be released from any thread.
unsafe impl Send for Mirror {}

#[inline]
fn thread_id() -> usize {
    // SAFETY: pthread_self has no preconditions. It is never 0 for a live thread.
    (unsafe { libc::pthread_self() }) as usize
}

#[inline]
fn home(id: usize) -> usize {
    // Thread ids are addresses spaced by stack sizes: mix the bits before taking the index.
    ((id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize % SLOTS
}

impl Mirror {
    pub(crate) fn new() -> Mirror {
        Mirror { slots: Box::new(std::array::from_fn(|_| Slot::default())) }
    }

    #[inline]
    fn own_slot(&self, id: usize) -> Option<&Slot> {
        let h = home(id);
        (0..PROBE).map(|i| &self.slots[(h + i) % SLOTS]).find(|s| s.owner.load(Ordering::Relaxed) == id)
    }

    /// A new reference to this thread's handle when it is still what the engine would answer.
    #[inline]
    pub(crate) fn lookup(&self, generation: u64, now: i64, want: Want) -> Option<*mut tw_token> {
        let slot = self.own_slot(thread_id())?;
        // SAFETY: this thread owns the slot (see `unsafe impl Sync`).
        let s = unsafe { &*slot.state.get() };
        let until = match want {
            Want::Cached => s.cached_until,
            Want::Token => s.token_until,
        };
        match s.handle {
            Some(h) if s.generation == generation && now < until => Some(retain(h)),
            _ => None,
        }
    }

    /// Hands out `token` (the engine's answer), reusing this thread's handle when it holds the
    /// same token, and remembers it for the next call.
    pub(crate) fn hand_out(&self, answer: Answer, token: Arc<Token>) -> Result<*mut tw_token, Failure> {
        let id = thread_id();
        let slot = self.own_slot(id).or_else(|| {
            let h = home(id);
            (0..PROBE)
                .map(|i| &self.slots[(h + i) % SLOTS])
                .find(|s| s.owner.compare_exchange(0, id, Ordering::Relaxed, Ordering::Relaxed).is_ok())
        });
        let Some(slot) = slot else {
            return Ok(tw_token::create(token, 1)?.as_ptr());
        };
        // SAFETY: this thread owns the slot (see `unsafe impl Sync`).
        let s = unsafe { &mut *slot.state.get() };
        let handle = match s.handle {
            // SAFETY: the slot holds a reference, so its handle is alive.
            Some(h) if unsafe { h.as_ref() }.holds(&token) => h,
            _ => {
                let h = tw_token::create(token, 1)?;
                if let Some(old) = s.handle.replace(h) {
                    release(old);
                }
                h
            }
        };
        s.generation = answer.generation;
        s.cached_until = answer.cached_until;
        s.token_until = answer.token_until;
        Ok(retain(handle))
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        for slot in self.slots.iter_mut() {
            if let Some(h) = slot.state.get_mut().handle.take() {
                release(h);
            }
        }
    }
}
