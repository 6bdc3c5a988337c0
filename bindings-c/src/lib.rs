//! libtokenwell: the C API of DESIGN §6 over the tokenwell engine. This file owns the calling
//! conventions every exported function shares (the panic boundary, NULL checks, the `err`
//! out-parameter); `client`, `token` and `error` own one opaque handle each.

#![allow(non_camel_case_types)]

mod client;
mod error;
mod mirror;
mod token;

use std::panic::{catch_unwind, AssertUnwindSafe};

pub use client::{
    tw_client, tw_client_cached, tw_client_free, tw_client_invalidate, tw_client_new_json, tw_client_token,
};
pub use error::{
    tw_code, tw_code_name, tw_error, tw_error_body, tw_error_code, tw_error_description, tw_error_free, tw_error_key,
    tw_error_message, tw_error_oauth_error, tw_error_status, tw_error_uri,
};
pub use token::{
    tw_token, tw_token_access_token, tw_token_authorization, tw_token_expires_at, tw_token_extra_json, tw_token_free,
    tw_token_id_token, tw_token_refresh_expires_at, tw_token_refresh_token, tw_token_scope, tw_token_token_type,
};

use error::Failure;

/// Runs `f` behind a panic boundary. On failure the error goes to `*err` (when `err` is not
/// NULL) and the function returns NULL; `*err` is never touched on success.
fn guard<T>(err: *mut *mut tw_error, f: impl FnOnce() -> Result<*mut T, Failure>) -> *mut T {
    let failure = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(ptr)) => return ptr,
        Ok(Err(failure)) => failure,
        Err(_) => Failure::Internal("tokenwell: a panic was caught at the C boundary; this is a bug, please report it"),
    };
    if !err.is_null() {
        // A panic while building the error must not escape either; the caller then sees NULL
        // without an error, which is still better than unwinding into C.
        if let Ok(e) = catch_unwind(AssertUnwindSafe(|| failure.into_error())) {
            // SAFETY: the caller passes either NULL (checked above) or a writable `tw_error **`.
            unsafe { *err = Box::into_raw(Box::new(e)) };
        }
    }
    std::ptr::null_mut()
}

/// Runs `f` behind a panic boundary for functions that report no error; a panic gives `dflt`.
fn quiet<T: Copy>(dflt: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(dflt)
}

/// Takes back ownership of a handle this library gave out; NULL gives `None`.
fn reclaim<T>(handle: *mut T) -> Option<Box<T>> {
    // SAFETY: the header's contract: a non-NULL handle came from `Box::into_raw` here and is
    // freed exactly once.
    (!handle.is_null()).then(|| unsafe { Box::from_raw(handle) })
}
