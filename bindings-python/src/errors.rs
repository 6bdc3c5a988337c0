//! Core errors → the exception classes of `tokenwell._errors` (defined in Python so that
//! `ConfigError` can also be a `ValueError` and `TimeoutError` the built-in one), with the
//! attributes of DESIGN §4 set and the Rust cause chain as `__cause__`; and the panic boundary.

use std::error::Error as _;
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use tokenwell::{Error, ErrorCode};

/// Deeper causes than this are not worth a traceback section each.
const MAX_CAUSES: usize = 8;

/// Runs `f`, turning a panic into an `internal` error instead of letting it cross into Python.
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(panicked()))
}

pub(crate) fn panicked() -> Error {
    Error::internal("tokenwell: internal error (a panic in the native module); please report it")
}

/// The Python exception for a core error.
pub(crate) fn to_pyerr(py: Python<'_>, e: &Error) -> PyErr {
    build(py, e).unwrap_or_else(|failed| failed)
}

/// A `ConfigError` found on the Python side of the conversion (a value JSON has no form for).
pub(crate) fn config_error(py: Python<'_>, key: &str, message: String) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let kw = PyDict::new(py);
        kw.set_item("code", "config")?;
        kw.set_item("key", key)?;
        let exc = errors_module(py)?.getattr("ConfigError")?.call((message,), Some(&kw))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|failed| failed)
}

fn errors_module(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    py.import("tokenwell._errors")
}

fn class_name(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::Config => "ConfigError",
        ErrorCode::OAuth => "OAuthError",
        ErrorCode::Http => "HTTPError",
        ErrorCode::Network => "NetworkError",
        ErrorCode::Timeout => "TimeoutError",
        ErrorCode::InvalidResponse => "InvalidResponseError",
        ErrorCode::Cache => "CacheError",
        ErrorCode::Internal => "InternalError",
    }
}

fn build(py: Python<'_>, e: &Error) -> PyResult<PyErr> {
    let module = errors_module(py)?;
    let kw = PyDict::new(py);
    kw.set_item("code", e.code().as_str())?;
    kw.set_item("key", e.key())?;
    kw.set_item("status", e.status())?;
    kw.set_item("error", e.oauth_error())?;
    kw.set_item("error_description", e.error_description())?;
    kw.set_item("error_uri", e.error_uri())?;
    kw.set_item("body", e.body())?;
    let exc = module.getattr(class_name(e.code()))?.call((e.message(),), Some(&kw))?;
    let err = PyErr::from_value(exc);
    let mut texts = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        if texts.len() == MAX_CAUSES {
            break;
        }
        texts.push(redact_userinfo(&s.to_string()));
        source = s.source();
    }
    // Innermost first, so each level's `__cause__` is the one below it.
    let rust_error = module.getattr("RustError")?;
    let mut cause: Option<PyErr> = None;
    for text in texts.iter().rev() {
        let level = PyErr::from_value(rust_error.call1((text,))?);
        level.set_cause(py, cause.take());
        cause = Some(level);
    }
    err.set_cause(py, cause);
    Ok(err)
}

/// Third-party error texts may print a URL (a proxy's, say) with `user:password@` in it.
fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail.find(|c: char| c == '/' || c == ')' || c.is_whitespace()).unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(at) => {
                out.push_str("[redacted]");
                out.push_str(&tail[at..end]);
            }
            None => out.push_str(&tail[..end]),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}
