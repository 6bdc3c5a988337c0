//! Script answers (`/_script`): parsing them and playing them out, faults included.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderName, HeaderValue};
use serde_json::{Map, Value};

use crate::http::{raw, Abort, Resp};
use crate::settings::MAX_WAIT_MS;
use crate::tokens::unique_id;

/// Size of the `huge` body: 1.5 MiB.
pub const HUGE_BYTES: usize = 1536 * 1024;
const DEFAULT_HANG_MS: u64 = 60_000;
const DEFAULT_DRIP_MS: u64 = 1_000;

#[derive(Clone, Debug)]
pub enum Kind {
    Status {
        status: u16,
        json: Option<Value>,
        body: Option<String>,
        content_type: Option<String>,
        retry_after: Option<String>,
    },
    Reset,
    Hang {
        ms: u64,
    },
    Drip {
        ms: u64,
        body: Option<String>,
    },
    Huge,
    Malformed,
    Redirect {
        location: String,
    },
    /// The dialect's normal logic.
    Issue,
}

#[derive(Clone, Debug)]
pub struct Answer {
    pub kind: Kind,
    /// Overrides the namespace's `delay_ms` for this answer.
    pub delay_ms: Option<u64>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

fn allowed(obj: &Map<String, Value>, keys: &[&str]) -> Result<(), String> {
    for k in obj.keys() {
        if !keys.contains(&k.as_str()) && !["delay_ms", "headers"].contains(&k.as_str()) {
            return Err(format!("unexpected key in answer: {k}"));
        }
    }
    Ok(())
}

fn wait_ms(obj: &Map<String, Value>, key: &str, default: u64) -> Result<u64, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => match v.as_u64() {
            Some(ms) if ms <= MAX_WAIT_MS => Ok(ms),
            _ => Err(format!("{key}: expected an integer 0..={MAX_WAIT_MS}")),
        },
    }
}

fn opt_string(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) if key == "retry_after" => Ok(Some(n.to_string())),
        Some(_) => Err(format!("{key}: expected a string")),
    }
}

fn parse_headers(obj: &Map<String, Value>) -> Result<Vec<(HeaderName, HeaderValue)>, String> {
    let Some(h) = obj.get("headers") else {
        return Ok(Vec::new());
    };
    let h = h.as_object().ok_or_else(|| "headers: expected an object".to_string())?;
    let mut out = Vec::new();
    for (name, value) in h {
        let value = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err(format!("headers.{name}: expected a string")),
        };
        let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("headers: bad header name {name:?}"))?;
        let v = HeaderValue::from_str(&value).map_err(|_| format!("headers.{name}: bad header value"))?;
        out.push((n, v));
    }
    Ok(out)
}

impl Answer {
    pub fn parse(v: &Value) -> Result<Answer, String> {
        let obj = v.as_object().ok_or_else(|| "each answer must be a JSON object".to_string())?;
        let delay_ms = match obj.get("delay_ms") {
            None | Some(Value::Null) => None,
            Some(_) => Some(wait_ms(obj, "delay_ms", 0)?),
        };
        let headers = parse_headers(obj)?;
        let kind = match obj.get("fault") {
            None => {
                allowed(obj, &["status", "json", "body", "content_type", "retry_after"])?;
                let status = match obj.get("status") {
                    None => 200,
                    Some(s) => match s.as_u64() {
                        Some(code @ 200..=599) => code as u16,
                        _ => return Err("status: expected an integer 200..=599".into()),
                    },
                };
                let json = obj.get("json").cloned();
                let body = opt_string(obj, "body")?;
                if json.is_some() && body.is_some() {
                    return Err("an answer has either json or body, not both".into());
                }
                Kind::Status {
                    status,
                    json,
                    body,
                    content_type: opt_string(obj, "content_type")?,
                    retry_after: opt_string(obj, "retry_after")?,
                }
            }
            Some(Value::String(f)) => match f.as_str() {
                "reset" => {
                    allowed(obj, &["fault"])?;
                    Kind::Reset
                }
                "hang" => {
                    allowed(obj, &["fault", "ms"])?;
                    Kind::Hang { ms: wait_ms(obj, "ms", DEFAULT_HANG_MS)? }
                }
                "drip" => {
                    allowed(obj, &["fault", "ms", "body"])?;
                    Kind::Drip { ms: wait_ms(obj, "ms", DEFAULT_DRIP_MS)?, body: opt_string(obj, "body")? }
                }
                "huge" => {
                    allowed(obj, &["fault"])?;
                    Kind::Huge
                }
                "malformed" => {
                    allowed(obj, &["fault"])?;
                    Kind::Malformed
                }
                "redirect" => {
                    allowed(obj, &["fault", "location"])?;
                    Kind::Redirect {
                        location: opt_string(obj, "location")?.unwrap_or_else(|| "/elsewhere".to_string()),
                    }
                }
                "issue" => {
                    allowed(obj, &["fault"])?;
                    Kind::Issue
                }
                other => return Err(format!("unknown fault: {other}")),
            },
            Some(_) => return Err("fault: expected a string".into()),
        };
        if let Kind::Redirect { location } = &kind {
            HeaderValue::from_str(location).map_err(|_| "location: bad header value")?;
        }
        Ok(Answer { kind, delay_ms, headers })
    }
}

/// Plays a scripted answer (not `Issue`, which the caller handles). `reset` is called to turn
/// the coming close into a TCP reset.
pub async fn play(kind: &Kind, reset: impl FnOnce()) -> Result<Resp, Abort> {
    match kind {
        Kind::Status { status, json, body, content_type, retry_after } => {
            let (ct, payload) = match (json, body) {
                (Some(j), _) => (Some("application/json"), j.to_string()),
                (None, Some(b)) => (Some("text/plain; charset=utf-8"), b.clone()),
                (None, None) => (None, String::new()),
            };
            let ct = content_type.as_deref().or(ct);
            let mut resp = raw(*status, ct, payload);
            if let Some(ra) = retry_after.as_deref().and_then(|r| HeaderValue::from_str(r).ok()) {
                resp.headers_mut().insert(header::RETRY_AFTER, ra);
            }
            Ok(resp)
        }
        Kind::Reset => {
            reset();
            Err(Abort)
        }
        Kind::Hang { ms } => {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
            Err(Abort)
        }
        Kind::Drip { ms, body } => {
            let body = body.clone().unwrap_or_else(|| {
                format!(r#"{{"access_token":"drip-{}","token_type":"Bearer","expires_in":300}}"#, unique_id())
            });
            Ok(raw(200, Some("application/json"), drip_body(body, *ms)))
        }
        Kind::Huge => Ok(raw(200, Some("application/json"), huge_body())),
        Kind::Malformed => Ok(raw(200, Some("application/json"), r#"{"access_token": "abc", "#)),
        Kind::Redirect { location } => {
            let mut resp = raw(302, None, Body::empty());
            if let Ok(v) = HeaderValue::from_str(location) {
                resp.headers_mut().insert(header::LOCATION, v);
            }
            Ok(resp)
        }
        Kind::Issue => Ok(raw(500, Some("text/plain"), "issue is not a fault")),
    }
}

/// The body one byte every `ms`; the whole drip stops (connection aborted) after `MAX_WAIT_MS`.
fn drip_body(body: String, ms: u64) -> Body {
    let bytes = Bytes::from(body);
    let max_bytes = MAX_WAIT_MS.checked_div(ms).map_or(bytes.len(), |n| n as usize);
    let stream = futures::stream::unfold(0usize, move |i| {
        let bytes = bytes.clone();
        async move {
            if i >= bytes.len() {
                return None;
            }
            if i >= max_bytes {
                // Past the bound: end with an error, which aborts the response.
                return Some((Err(std::io::Error::other("drip bound reached")), usize::MAX));
            }
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Some((Ok(bytes.slice(i..i + 1)), i + 1))
        }
    });
    Body::from_stream(stream)
}

/// 1.5 MiB of valid JSON, streamed in 64 KiB chunks (so sent chunked, without Content-Length).
fn huge_body() -> Body {
    let head = format!(r#"{{"access_token":"huge-{}","pad":""#, unique_id());
    let tail = r#""}"#;
    let pad = HUGE_BYTES.saturating_sub(head.len() + tail.len());
    let mut all = Vec::with_capacity(HUGE_BYTES);
    all.extend_from_slice(head.as_bytes());
    all.resize(all.len() + pad, b'x');
    all.extend_from_slice(tail.as_bytes());
    let all = Bytes::from(all);
    let chunks: Vec<Result<Bytes, std::io::Error>> = (0..all.len())
        .step_by(64 * 1024)
        .map(|start| Ok(all.slice(start..(start + 64 * 1024).min(all.len()))))
        .collect();
    Body::from_stream(futures::stream::iter(chunks))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_every_kind() {
        for v in [
            json!({"status": 503, "body": "<html>", "content_type": "text/html", "retry_after": 1}),
            json!({"json": {"access_token": "x"}, "headers": {"x-a": "b"}, "delay_ms": 5}),
            json!({"fault": "reset"}),
            json!({"fault": "hang", "ms": 10}),
            json!({"fault": "drip", "ms": 1}),
            json!({"fault": "huge"}),
            json!({"fault": "malformed"}),
            json!({"fault": "redirect", "location": "/x"}),
            json!({"fault": "issue", "delay_ms": 1}),
        ] {
            assert!(Answer::parse(&v).is_ok(), "{v}");
        }
    }

    #[test]
    fn rejects_bad_answers() {
        for v in [
            json!([]),
            json!({"fault": "explode"}),
            json!({"fault": "hang", "ms": 10_000_000}),
            json!({"status": 99}),
            json!({"json": {}, "body": ""}),
            json!({"stauts": 200}),
            json!({"headers": {"bad name": "x"}}),
        ] {
            assert!(Answer::parse(&v).is_err(), "{v}");
        }
    }
}
