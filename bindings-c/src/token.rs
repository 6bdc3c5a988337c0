//! `tw_token`: one engine token copied once into NUL-terminated strings, behind a reference
//! count so a thread can hand the same handle out again (see `mirror`) while each caller still
//! frees what it received exactly once.

use std::ffi::{c_char, CString};
use std::ptr::{self, NonNull};
use std::sync::atomic::{fence, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use engine::{Error, Token};
use zeroize::Zeroize;

use crate::error::Failure;

/// A token. Its strings live as long as the handle; free it with `tw_token_free`.
pub struct tw_token {
    refs: AtomicUsize,
    token: Arc<Token>,
    access_token: CString,
    token_type: CString,
    authorization: CString,
    refresh_token: Option<CString>,
    scope: Option<CString>,
    id_token: Option<CString>,
    extra_json: CString,
    expires_at: i64,
    refresh_expires_at: i64,
}

impl tw_token {
    /// A new handle with `refs` references (the caller's, plus the mirror's when it keeps one).
    pub(crate) fn create(token: Arc<Token>, refs: usize) -> Result<NonNull<tw_token>, Failure> {
        let exact = |s: &str| {
            CString::new(s).map_err(|_| {
                Failure::Engine(Error::internal(
                    "tokenwell: the token contains a NUL byte, which a C string cannot carry",
                ))
            })
        };
        let lossy = |s: &str| CString::new(s.split('\0').next().unwrap_or("")).unwrap_or_default();
        let handle = tw_token {
            refs: AtomicUsize::new(refs),
            access_token: exact(token.access_token())?,
            authorization: exact(token.authorization())?,
            refresh_token: token.refresh_token().map(exact).transpose()?,
            id_token: token.id_token().map(exact).transpose()?,
            token_type: lossy(token.token_type()),
            scope: token.scope().map(lossy),
            extra_json: lossy(&token.extra_json()),
            expires_at: token.expires_at_unix(),
            refresh_expires_at: token
                .refresh_expires_at()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs().min(i64::MAX as u64) as i64),
            token,
        };
        Ok(NonNull::from(Box::leak(Box::new(handle))))
    }

    pub(crate) fn holds(&self, token: &Arc<Token>) -> bool {
        Arc::ptr_eq(&self.token, token)
    }
}

/// One more reference to a live handle.
#[inline]
pub(crate) fn retain(handle: NonNull<tw_token>) -> *mut tw_token {
    // SAFETY: the caller holds a reference, so the handle is alive.
    unsafe { handle.as_ref() }.refs.fetch_add(1, Ordering::Relaxed);
    handle.as_ptr()
}

/// Drops one reference; the last one frees the handle.
#[inline]
pub(crate) fn release(handle: NonNull<tw_token>) {
    // SAFETY: the caller owns one reference, so the handle is alive until it is given up here.
    if unsafe { handle.as_ref() }.refs.fetch_sub(1, Ordering::Release) == 1 {
        fence(Ordering::Acquire);
        // SAFETY: that was the last reference; the handle came from `Box::leak` in `create`.
        drop(unsafe { Box::from_raw(handle.as_ptr()) });
    }
}

impl Drop for tw_token {
    fn drop(&mut self) {
        let wipe = |s: &mut CString| std::mem::take(s).into_bytes_with_nul().zeroize();
        wipe(&mut self.access_token);
        wipe(&mut self.authorization);
        self.refresh_token.as_mut().map(wipe);
        self.id_token.as_mut().map(wipe);
    }
}

fn read<T: Copy>(token: *const tw_token, dflt: T, f: impl FnOnce(&tw_token) -> T) -> T {
    crate::quiet(dflt, || {
        // SAFETY: a non-NULL `token` is a live handle from this library (the caller's contract).
        match unsafe { token.as_ref() } {
            Some(t) => f(t),
            None => dflt,
        }
    })
}

/// Runs `f` on the engine's token behind a handle (for the client's functions).
pub(crate) fn with_token<T: Copy>(token: *const tw_token, dflt: T, f: impl FnOnce(&Token) -> T) -> T {
    read(token, dflt, |t| f(&t.token))
}

fn opt(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(ptr::null(), |s| s.as_ptr())
}

/// The access token.
#[no_mangle]
pub extern "C" fn tw_token_access_token(token: *const tw_token) -> *const c_char {
    read(token, ptr::null(), |t| t.access_token.as_ptr())
}

/// `"Bearer"` (normalised from any case) or the server's other token type.
#[no_mangle]
pub extern "C" fn tw_token_token_type(token: *const tw_token) -> *const c_char {
    read(token, ptr::null(), |t| t.token_type.as_ptr())
}

/// The `Authorization` header value: `"Bearer <access token>"`.
#[no_mangle]
pub extern "C" fn tw_token_authorization(token: *const tw_token) -> *const c_char {
    read(token, ptr::null(), |t| t.authorization.as_ptr())
}

/// Expiry in Unix seconds (0 for NULL).
#[no_mangle]
pub extern "C" fn tw_token_expires_at(token: *const tw_token) -> i64 {
    read(token, 0, |t| t.expires_at)
}

/// When the refresh token expires, in Unix seconds (Keycloak's `refresh_expires_in`); 0 when
/// there is no refresh token or the server did not say.
#[no_mangle]
pub extern "C" fn tw_token_refresh_expires_at(token: *const tw_token) -> i64 {
    read(token, 0, |t| t.refresh_expires_at)
}

/// The refresh token, or NULL when none was issued.
#[no_mangle]
pub extern "C" fn tw_token_refresh_token(token: *const tw_token) -> *const c_char {
    read(token, ptr::null(), |t| opt(&t.refresh_token))
}

/// The granted scope, space-separated, or NULL when the server did not say.
#[no_mangle]
pub extern "C" fn tw_token_scope(token: *const tw_token) -> *const c_char {
    read(token, ptr::null(), |t| opt(&t.scope))
}

/// The OIDC ID token, or NULL.
#[no_mangle]
pub extern "C" fn tw_token_id_token(token: *const tw_token) -> *const c_char {
    read(token, ptr::null(), |t| opt(&t.id_token))
}

/// The answer's other fields as a JSON object text (`"{}"` when there are none).
#[no_mangle]
pub extern "C" fn tw_token_extra_json(token: *const tw_token) -> *const c_char {
    read(token, ptr::null(), |t| t.extra_json.as_ptr())
}

/// Frees a token returned by `tw_client_token` or `tw_client_cached`; NULL is a no-op.
#[no_mangle]
pub extern "C" fn tw_token_free(token: *mut tw_token) {
    crate::quiet((), || {
        if let Some(t) = NonNull::new(token) {
            release(t);
        }
    })
}
