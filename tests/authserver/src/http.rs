//! Small response builders shared by every endpoint.

use axum::body::Body;
use axum::http::{header, HeaderValue, Response, StatusCode};
use serde_json::Value;

pub type Resp = Response<Body>;

/// The connection is closed without (further) answer. `reset` = with a TCP RST.
#[derive(Debug)]
pub struct Abort;

impl std::fmt::Display for Abort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection aborted on purpose")
    }
}

impl std::error::Error for Abort {}

fn status_of(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

pub fn raw(code: u16, content_type: Option<&str>, body: impl Into<Body>) -> Resp {
    let mut resp = Response::new(body.into());
    *resp.status_mut() = status_of(code);
    if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(c).ok()) {
        resp.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    resp
}

pub fn json(code: u16, value: &Value) -> Resp {
    raw(code, Some("application/json"), value.to_string())
}

/// A token endpoint answer: JSON with `Cache-Control: no-store` and `Pragma: no-cache`.
pub fn token_json(code: u16, value: &Value) -> Resp {
    let mut resp = json(code, value);
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}

pub fn text(code: u16, body: &str) -> Resp {
    raw(code, Some("text/plain; charset=utf-8"), body.to_string())
}

pub fn empty(code: u16) -> Resp {
    raw(code, None, Body::empty())
}

/// `{"error": …, "error_description": …}` (the description only when given).
pub fn oauth_error(code: u16, error: &str, description: Option<&str>) -> Resp {
    let mut v = serde_json::json!({ "error": error });
    if let Some(d) = description {
        v["error_description"] = Value::String(d.to_string());
    }
    token_json(code, &v)
}

pub fn with_header(mut resp: Resp, name: header::HeaderName, value: &str) -> Resp {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
    resp
}

pub fn not_found() -> Resp {
    json(404, &serde_json::json!({"error": "not_found"}))
}

pub fn method_not_allowed(allow: &str) -> Resp {
    with_header(json(405, &serde_json::json!({"error": "method_not_allowed"})), header::ALLOW, allow)
}
