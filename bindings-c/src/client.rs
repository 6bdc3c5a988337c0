//! `tw_client`: an engine client plus what the warm path needs (the engine's generation counter
//! for the token's cache key, and the per-thread slots of `mirror`).

use std::ffi::{c_char, CStr};
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};

use engine::{wall_now_ns, Client, Config};

use crate::error::{tw_error, Failure};
use crate::mirror::{Answer, Mirror, Want};
use crate::token::tw_token;

/// A client built from one configuration. Safe to use from many threads at once; free it with
/// `tw_client_free` once no thread uses it.
pub struct tw_client {
    client: Client,
    generation: &'static AtomicU64,
    mirror: Mirror,
}

/// A NUL-terminated string the C caller promises is NULL or valid.
fn c_str<'a>(s: *const c_char) -> Option<&'a CStr> {
    // SAFETY: the header's contract: a non-NULL pointer is a NUL-terminated string.
    (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) })
}

/// The client behind a pointer the C caller promises is NULL or live.
fn live<'a>(client: *const tw_client) -> Option<&'a tw_client> {
    // SAFETY: the header's contract: a non-NULL client is a live handle from this library.
    unsafe { client.as_ref() }
}

impl tw_client {
    /// The warm path: this thread's handle, if the engine would still answer that token.
    #[inline]
    fn warm(&self, want: Want) -> Option<*mut tw_token> {
        self.mirror.lookup(self.generation.load(Ordering::Acquire), wall_now_ns(), want)
    }

    fn answer(&self, generation: u64, token: std::sync::Arc<engine::Token>) -> Result<*mut tw_token, Failure> {
        let answer = Answer {
            generation,
            cached_until: self.client.renew_at_ns(&token),
            token_until: self.client.fresh_until_ns(&token),
        };
        self.mirror.hand_out(answer, token)
    }
}

/// Builds a client from a JSON object of DESIGN §2's keys; `${NAME}` inside strings is
/// replaced by the environment variable. Every configuration error is reported here.
#[no_mangle]
pub extern "C" fn tw_client_new_json(json: *const c_char, err: *mut *mut tw_error) -> *mut tw_client {
    crate::guard(err, || {
        let text = c_str(json)
            .ok_or(Failure::Config("tw_client_new_json: the configuration text is NULL"))?
            .to_str()
            .map_err(|_| Failure::Config("tw_client_new_json: the configuration is not UTF-8"))?;
        let client = Client::new(Config::from_json(text)?)?;
        let generation = client.generation_cell();
        Ok(Box::into_raw(Box::new(tw_client { client, generation, mirror: Mirror::new() })))
    })
}

/// A valid token: the cached one while it is fresh (no I/O), else the result of the one
/// renewal all callers share; blocks the calling thread meanwhile. NULL and `*err` set on
/// failure.
#[no_mangle]
pub extern "C" fn tw_client_token(client: *const tw_client, err: *mut *mut tw_error) -> *mut tw_token {
    match crate::quiet(None, || live(client).and_then(|c| c.warm(Want::Token))) {
        Some(t) => t,
        None => token_slow(client, err),
    }
}

#[cold]
#[inline(never)]
fn token_slow(client: *const tw_client, err: *mut *mut tw_error) -> *mut tw_token {
    crate::guard(err, || {
        let c = live(client).ok_or(Failure::Internal("tw_client_token: the client is NULL"))?;
        let generation = c.generation.load(Ordering::Acquire);
        let token = match c.client.try_token() {
            Some(t) => t,
            None => c.client.token_blocking()?,
        };
        c.answer(generation, token)
    })
}

/// The cached token if one is valid, else NULL. No I/O, never starts a renewal, never blocks.
#[no_mangle]
pub extern "C" fn tw_client_cached(client: *const tw_client) -> *mut tw_token {
    match crate::quiet(None, || live(client).and_then(|c| c.warm(Want::Cached))) {
        Some(t) => t,
        None => cached_slow(client),
    }
}

#[cold]
#[inline(never)]
fn cached_slow(client: *const tw_client) -> *mut tw_token {
    crate::quiet(ptr::null_mut(), || {
        let Some(c) = live(client) else { return ptr::null_mut() };
        let generation = c.generation.load(Ordering::Acquire);
        match c.client.cached() {
            Some(token) => c.answer(generation, token).unwrap_or(ptr::null_mut()),
            None => ptr::null_mut(),
        }
    })
}

/// The counter that changes whenever this client's cached token changes (a renewal, an
/// invalidation, through any client of the same configuration). The pointer stays valid for the
/// rest of the process, even after `tw_client_free`; read it atomically. With
/// `tw_token_fresh_until`, a caller can keep its own copy of a token and revalidate it without a
/// call (the Go module does). NULL for a NULL client.
#[no_mangle]
pub extern "C" fn tw_client_generation(client: *const tw_client) -> *const u64 {
    crate::quiet(ptr::null(), || live(client).map_or(ptr::null(), |c| c.generation.as_ptr() as *const u64))
}

/// Until when (Unix nanoseconds) `token` may be handed out again without asking this client:
/// the start of its refresh-ahead window, or its renewal point when refresh-ahead is off. 0 for
/// a NULL argument.
#[no_mangle]
pub extern "C" fn tw_token_fresh_until(client: *const tw_client, token: *const tw_token) -> i64 {
    crate::quiet(0, || match live(client) {
        Some(c) => crate::token::with_token(token, 0, |t| c.client.fresh_until_ns(t)),
        None => 0,
    })
}

/// Drops the cached access token (a resource server answered 401); the next
/// `tw_client_token` renews it. Reaches every client built from the same configuration.
#[no_mangle]
pub extern "C" fn tw_client_invalidate(client: *const tw_client) {
    crate::quiet((), || {
        if let Some(c) = live(client) {
            c.client.invalidate();
        }
    })
}

/// Frees a client; NULL is a no-op. Tokens it returned stay valid until freed themselves.
#[no_mangle]
pub extern "C" fn tw_client_free(client: *mut tw_client) {
    crate::quiet((), || {
        drop(crate::reclaim(client));
    })
}
