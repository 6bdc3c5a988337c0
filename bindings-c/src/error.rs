//! `tw_error` and `tw_code`: an engine error (or a misuse of the API caught at the boundary)
//! copied once into NUL-terminated strings that live as long as the handle.

use std::ffi::{c_char, c_int, CString};
use std::ptr;

use engine::{Error, ErrorCode};

/// Stable result codes (DESIGN §4). The values are fixed and never reused; `TW_OK` is never
/// carried by an error.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tw_code {
    TW_OK = 0,
    TW_CONFIG = 1,
    TW_OAUTH = 2,
    TW_HTTP = 3,
    TW_NETWORK = 4,
    TW_TIMEOUT = 5,
    TW_INVALID_RESPONSE = 6,
    TW_CACHE = 7,
    TW_INTERNAL = 8,
}

// The C values are the engine's own (`ErrorCode as u8`): checked when this compiles.
const _: () = {
    assert!(ErrorCode::Config as u8 == tw_code::TW_CONFIG as u8);
    assert!(ErrorCode::OAuth as u8 == tw_code::TW_OAUTH as u8);
    assert!(ErrorCode::Http as u8 == tw_code::TW_HTTP as u8);
    assert!(ErrorCode::Network as u8 == tw_code::TW_NETWORK as u8);
    assert!(ErrorCode::Timeout as u8 == tw_code::TW_TIMEOUT as u8);
    assert!(ErrorCode::InvalidResponse as u8 == tw_code::TW_INVALID_RESPONSE as u8);
    assert!(ErrorCode::Cache as u8 == tw_code::TW_CACHE as u8);
    assert!(ErrorCode::Internal as u8 == tw_code::TW_INTERNAL as u8);
};

impl From<ErrorCode> for tw_code {
    fn from(code: ErrorCode) -> Self {
        match code {
            ErrorCode::Config => tw_code::TW_CONFIG,
            ErrorCode::OAuth => tw_code::TW_OAUTH,
            ErrorCode::Http => tw_code::TW_HTTP,
            ErrorCode::Network => tw_code::TW_NETWORK,
            ErrorCode::Timeout => tw_code::TW_TIMEOUT,
            ErrorCode::InvalidResponse => tw_code::TW_INVALID_RESPONSE,
            ErrorCode::Cache => tw_code::TW_CACHE,
            ErrorCode::Internal => tw_code::TW_INTERNAL,
        }
    }
}

/// An error returned through a `tw_error **err` out-parameter. Free it with `tw_error_free`.
pub struct tw_error {
    code: tw_code,
    status: c_int,
    message: CString,
    key: Option<CString>,
    oauth_error: Option<CString>,
    description: Option<CString>,
    uri: Option<CString>,
    body: Option<CString>,
}

/// Why a call failed, before it is turned into a `tw_error`.
pub(crate) enum Failure {
    Engine(Error),
    /// A NULL or otherwise unusable argument: a bug in the calling program.
    Internal(&'static str),
    /// A JSON text that is not UTF-8 (the engine only sees `&str`).
    Config(&'static str),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Engine(e)
    }
}

/// C strings cannot hold NUL: server-provided text with one keeps what precedes it.
fn c_string(s: &str) -> CString {
    let end = s.find('\0').unwrap_or(s.len());
    CString::new(&s[..end]).unwrap_or_default()
}

impl Failure {
    pub(crate) fn into_error(self) -> tw_error {
        let bare = |code, message: &str, key: Option<&str>| tw_error {
            code,
            status: 0,
            message: c_string(message),
            key: key.map(c_string),
            oauth_error: None,
            description: None,
            uri: None,
            body: None,
        };
        match self {
            Failure::Internal(m) => bare(tw_code::TW_INTERNAL, m, None),
            Failure::Config(m) => bare(tw_code::TW_CONFIG, m, None),
            Failure::Engine(e) => tw_error {
                code: e.code().into(),
                status: e.status().map_or(0, c_int::from),
                message: c_string(e.message()),
                key: e.key().map(c_string),
                oauth_error: e.oauth_error().map(c_string),
                description: e.error_description().map(c_string),
                uri: e.error_uri().map(c_string),
                body: e.body().map(c_string),
            },
        }
    }
}

fn opt(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(ptr::null(), |s| s.as_ptr())
}

/// Runs an accessor on a possibly NULL error behind the panic boundary.
fn read<T: Copy>(err: *const tw_error, dflt: T, f: impl FnOnce(&tw_error) -> T) -> T {
    crate::quiet(dflt, || {
        // SAFETY: a non-NULL `err` is a live handle from this library (the caller's contract).
        match unsafe { err.as_ref() } {
            Some(e) => f(e),
            None => dflt,
        }
    })
}

/// The error's code (`TW_INTERNAL` for NULL).
#[no_mangle]
pub extern "C" fn tw_error_code(err: *const tw_error) -> tw_code {
    read(err, tw_code::TW_INTERNAL, |e| e.code)
}

/// What went wrong and what to fix; never contains a secret. NULL only for a NULL error.
#[no_mangle]
pub extern "C" fn tw_error_message(err: *const tw_error) -> *const c_char {
    read(err, ptr::null(), |e| e.message.as_ptr())
}

/// For `TW_CONFIG`: the configuration key at fault (DESIGN §2 spelling), else NULL.
#[no_mangle]
pub extern "C" fn tw_error_key(err: *const tw_error) -> *const c_char {
    read(err, ptr::null(), |e| opt(&e.key))
}

/// For `TW_OAUTH` and `TW_HTTP`: the HTTP status; 0 when there is none.
#[no_mangle]
pub extern "C" fn tw_error_status(err: *const tw_error) -> c_int {
    read(err, 0, |e| e.status)
}

/// For `TW_OAUTH`: the server's `error` field (e.g. `invalid_grant`), else NULL.
#[no_mangle]
pub extern "C" fn tw_error_oauth_error(err: *const tw_error) -> *const c_char {
    read(err, ptr::null(), |e| opt(&e.oauth_error))
}

/// For `TW_OAUTH`: the server's `error_description`, else NULL.
#[no_mangle]
pub extern "C" fn tw_error_description(err: *const tw_error) -> *const c_char {
    read(err, ptr::null(), |e| opt(&e.description))
}

/// For `TW_OAUTH`: the server's `error_uri`, else NULL.
#[no_mangle]
pub extern "C" fn tw_error_uri(err: *const tw_error) -> *const c_char {
    read(err, ptr::null(), |e| opt(&e.uri))
}

/// For `TW_HTTP`: the first 512 characters of the answer's body, else NULL.
#[no_mangle]
pub extern "C" fn tw_error_body(err: *const tw_error) -> *const c_char {
    read(err, ptr::null(), |e| opt(&e.body))
}

/// Frees an error; NULL is a no-op.
#[no_mangle]
pub extern "C" fn tw_error_free(err: *mut tw_error) {
    crate::quiet((), || {
        drop(crate::reclaim(err));
    })
}

/// The code as DESIGN §4 spells it (`"oauth"`, `"invalid_response"`, …; `"ok"` for `TW_OK`,
/// `"unknown"` for a value that is not a `tw_code`). The string is static.
#[no_mangle]
pub extern "C" fn tw_code_name(code: c_int) -> *const c_char {
    let name: &'static std::ffi::CStr = match code {
        0 => c"ok",
        1 => c"config",
        2 => c"oauth",
        3 => c"http",
        4 => c"network",
        5 => c"timeout",
        6 => c"invalid_response",
        7 => c"cache",
        8 => c"internal",
        _ => c"unknown",
    };
    name.as_ptr()
}
