//! The warm path. Each thread remembers, per client, the last token handle it returned, the
//! engine's generation it was read at, and until when the engine would answer the same token.
//! A warm call is then a generation load, a clock read and one reference on a handle this
//! thread owns: no allocation, and no cache line shared with other reader threads.

use std::cell::RefCell;
use std::ptr::NonNull;

use crate::token::{release, retain, tw_token};

/// Which engine call the mirror stands in for.
#[derive(Clone, Copy)]
pub(crate) enum Want {
    /// `cached()`: the token until its renewal point.
    Cached,
    /// `try_token()`: the token until refresh-ahead is due (then the engine must see the call).
    Token,
}

/// Clients a thread mirrors at once; programs use one or two, and a stale entry (a freed
/// client) only costs the memory of its token until it is pushed out.
const CAPACITY: usize = 4;

struct Entry {
    client: u64,
    generation: u64,
    cached_until: i64,
    token_until: i64,
    handle: NonNull<tw_token>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        release(self.handle);
    }
}

thread_local! {
    static MIRROR: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

/// A new reference to the mirrored handle when it is still what the engine would answer.
#[inline]
pub(crate) fn lookup(client: u64, generation: u64, now: i64, want: Want) -> Option<*mut tw_token> {
    MIRROR
        .try_with(|m| {
            let m = m.try_borrow().ok()?;
            let e = m.iter().find(|e| e.client == client)?;
            let until = match want {
                Want::Cached => e.cached_until,
                Want::Token => e.token_until,
            };
            (e.generation == generation && now < until).then(|| retain(e.handle))
        })
        .ok()
        .flatten()
}

/// What the engine answered, read at `generation`.
pub(crate) struct Answer {
    pub client: u64,
    pub generation: u64,
    pub cached_until: i64,
    pub token_until: i64,
}

/// Hands out `token` (the engine's answer), reusing this thread's handle when it holds the same
/// token, and remembers it for the next call.
pub(crate) fn hand_out(
    answer: Answer,
    token: std::sync::Arc<engine::Token>,
) -> Result<*mut tw_token, crate::error::Failure> {
    let stored = MIRROR.try_with(|m| {
        let Ok(mut m) = m.try_borrow_mut() else { return Ok(None) };
        let pos = m.iter().position(|e| e.client == answer.client);
        let handle = match pos.map(|i| &m[i]) {
            // SAFETY: the entry holds a reference, so its handle is alive.
            Some(e) if unsafe { e.handle.as_ref() }.holds(&token) => e.handle,
            _ => {
                let h = tw_token::create(token.clone(), 1)?;
                let entry = Entry {
                    client: answer.client,
                    generation: answer.generation,
                    cached_until: answer.cached_until,
                    token_until: answer.token_until,
                    handle: h,
                };
                match pos {
                    Some(i) => m[i] = entry,
                    None => {
                        if m.len() == CAPACITY {
                            m.remove(0);
                        }
                        m.push(entry);
                    }
                }
                h
            }
        };
        if let Some(e) = m.iter_mut().find(|e| e.client == answer.client) {
            e.generation = answer.generation;
            e.cached_until = answer.cached_until;
            e.token_until = answer.token_until;
        }
        Ok(Some(retain(handle)))
    });
    match stored {
        Ok(Ok(Some(h))) => Ok(h),
        Ok(Err(e)) => Err(e),
        // The thread is exiting (or re-entered): no mirror, a handle of the caller's own.
        _ => Ok(tw_token::create(token, 1)?.as_ptr()),
    }
}

/// Drops this thread's entry for a client being freed (other threads drop theirs when they
/// exit or push it out).
pub(crate) fn forget(client: u64) {
    let _ = MIRROR.try_with(|m| {
        if let Ok(mut m) = m.try_borrow_mut() {
            m.retain(|e| e.client != client);
        }
    });
}
