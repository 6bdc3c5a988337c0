//! The control endpoints: `/_control`, `/_reset`, `/_stats`, `/_requests`, `/_script`, `/_issue`.

use axum::body::Bytes;
use axum::http::Method;
use serde_json::{json, Value};

use crate::faults::Answer;
use crate::http::{json, method_not_allowed, Resp};
use crate::state::{now_ms, AccessInfo, Namespace};

/// The answer to a control path, or `None` when `path` is not one.
pub fn handle(ns: &Namespace, method: &Method, path: &str, body: &Bytes) -> Option<Resp> {
    let post = *method == Method::POST;
    let get = *method == Method::GET;
    Some(match path {
        "/_control" if post => control(ns, body),
        "/_control" if get => json(200, &ns.lock().settings.to_json()),
        "/_control" => method_not_allowed("GET, POST"),
        "/_reset" if post => {
            ns.lock().reset();
            json(200, &json!({"ok": true}))
        }
        "/_stats" if get => json(200, &ns.lock().stats_json()),
        "/_requests" if get => {
            let list: Vec<Value> = ns.lock().requests.iter().cloned().collect();
            json(200, &Value::Array(list))
        }
        "/_script" if post => script(ns, body),
        "/_issue" if post => issue(ns, body),
        "/_reset" | "/_script" | "/_issue" => method_not_allowed("POST"),
        "/_stats" | "/_requests" => method_not_allowed("GET"),
        _ => return None,
    })
}

fn bad_request(msg: &str) -> Resp {
    json(400, &json!({"error": "bad_request", "error_description": msg}))
}

fn parse(body: &Bytes) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("body is not JSON: {e}"))
}

fn control(ns: &Namespace, body: &Bytes) -> Resp {
    let patch = match parse(body) {
        Ok(v) => v,
        Err(e) => return bad_request(&e),
    };
    let mut st = ns.lock();
    match st.settings.merged(&patch) {
        Ok(s) => {
            st.settings = s;
            json(200, &st.settings.to_json())
        }
        Err(e) => bad_request(&e),
    }
}

fn script(ns: &Namespace, body: &Bytes) -> Resp {
    let v = match parse(body) {
        Ok(v) => v,
        Err(e) => return bad_request(&e),
    };
    let Some(items) = v.get("answers").and_then(Value::as_array) else {
        return bad_request("expected {\"answers\": [ANSWER, …]}");
    };
    let mut answers = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match Answer::parse(item) {
            Ok(a) => answers.push(a),
            Err(e) => return bad_request(&format!("answers[{i}]: {e}")),
        }
    }
    let added = answers.len();
    let mut st = ns.lock();
    st.script.extend(answers);
    json(200, &json!({"queued": added, "script_left": st.script.len()}))
}

fn issue(ns: &Namespace, body: &Bytes) -> Resp {
    let v = match parse(body) {
        Ok(v) => v,
        Err(e) => return bad_request(&e),
    };
    let Some(token) = v.get("access_token").and_then(Value::as_str).filter(|t| !t.is_empty()) else {
        return bad_request("access_token: expected a non-empty string");
    };
    let secs = match v.get("expires_in") {
        None | Some(Value::Null) => 300.0,
        Some(x) => match x.as_f64() {
            Some(s) if s.is_finite() => s,
            _ => return bad_request("expires_in: expected a number"),
        },
    };
    let sub = match v.get("sub") {
        None | Some(Value::Null) => "external".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return bad_request("sub: expected a string"),
    };
    let expires_at_ms = now_ms().saturating_add((secs.clamp(-1e12, 1e12) * 1000.0) as i64);
    ns.lock().access.insert(token.to_string(), AccessInfo { sub, client_id: None, expires_at_ms });
    json(200, &json!({"ok": true}))
}
