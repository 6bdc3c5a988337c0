//! Butlr's JSON-only endpoints: `/api/v2/login` (password) and `/api/v2/clients/login`
//! (client credentials, with `audience`).

use serde_json::{json, Map, Value};

use super::{merge_extra, put_expires_in};
use crate::http::{oauth_error, text, token_json, Resp};
use crate::request::{Media, TokenRequest};
use crate::state::Namespace;
use crate::tokens::{self, Grant};

pub const AUDIENCE: &str = "https://butlrauth/";
const LOGIN_SCOPE: &str = "openid profile email offline_access";
const CLIENT_SCOPE: &str = "api";

/// A refusal: 415 (plain text) or an OAuth-style error body.
enum Refuse {
    Media,
    Error(u16, &'static str, String),
}

impl Refuse {
    fn bad(description: String) -> Refuse {
        Refuse::Error(400, "invalid_request", description)
    }

    fn into_resp(self) -> Resp {
        match self {
            Refuse::Media => text(415, "Unsupported Media Type"),
            Refuse::Error(status, error, d) => oauth_error(status, error, Some(&d)),
        }
    }
}

/// The JSON object body, or the refusal to give instead.
fn json_object(req: &TokenRequest) -> Result<&Map<String, Value>, Refuse> {
    if req.media != Media::Json {
        return Err(Refuse::Media);
    }
    match &req.json {
        Some(Value::Object(obj)) => Ok(obj),
        Some(_) => Err(Refuse::bad("body must be a JSON object".into())),
        None => Err(Refuse::bad("body is not valid JSON".into())),
    }
}

fn string_field<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a str, Refuse> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err(Refuse::bad(format!("missing field: {key}"))),
        Some(_) => Err(Refuse::bad(format!("field must be a string: {key}"))),
    }
}

pub fn login(ns: &Namespace, req: &TokenRequest) -> Resp {
    try_login(ns, req).unwrap_or_else(Refuse::into_resp)
}

fn try_login(ns: &Namespace, req: &TokenRequest) -> Result<Resp, Refuse> {
    let obj = json_object(req)?;
    if let Some(k) = obj.keys().filter(|k| *k != "username" && *k != "password").min() {
        return Err(Refuse::bad(format!("unexpected field: {k}")));
    }
    let username = string_field(obj, "username")?;
    let password = string_field(obj, "password")?;
    let mut st = ns.lock();
    if st.settings.users.get(username).map(String::as_str) != Some(password) {
        return Err(Refuse::Error(403, "access_denied", "Wrong email or password.".into()));
    }
    let scope = st.settings.scope.clone().unwrap_or_else(|| LOGIN_SCOPE.into());
    let g =
        Grant { iss: &req.base, sub: username, client_id: None, scope: Some(&scope), refresh: true, id_token: true };
    let t = tokens::issue(&mut st, &g);
    let mut out = Map::new();
    out.insert("access_token".into(), json!(t.access_token));
    if let Some(rt) = t.refresh_token {
        out.insert("refresh_token".into(), json!(rt));
    }
    if let Some(id) = t.id_token {
        out.insert("id_token".into(), json!(id));
    }
    out.insert("scope".into(), json!(scope));
    put_expires_in(&mut out, &st.settings.expires_in);
    out.insert("token_type".into(), json!("Bearer"));
    merge_extra(&mut out, &st.settings.extra);
    Ok(token_json(200, &Value::Object(out)))
}

pub fn clients_login(ns: &Namespace, req: &TokenRequest) -> Resp {
    try_clients_login(ns, req).unwrap_or_else(Refuse::into_resp)
}

fn try_clients_login(ns: &Namespace, req: &TokenRequest) -> Result<Resp, Refuse> {
    let obj = json_object(req)?;
    let client_id = string_field(obj, "client_id")?;
    let secret = string_field(obj, "client_secret")?;
    let audience = string_field(obj, "audience")?;
    let grant_type = string_field(obj, "grant_type")?;
    if grant_type != "client_credentials" {
        return Err(Refuse::Error(400, "unsupported_grant_type", format!("unsupported grant_type: {grant_type}")));
    }
    let mut st = ns.lock();
    let ok = st.settings.clients.get(client_id).and_then(|c| c.secret.as_deref()) == Some(secret);
    if !ok {
        return Err(Refuse::Error(401, "access_denied", "Unauthorized".into()));
    }
    if audience != AUDIENCE {
        return Err(Refuse::Error(403, "access_denied", format!("Service not enabled within domain: {audience}")));
    }
    let requested = match obj.get("scope") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    let scope = st.settings.scope.clone().or(requested).unwrap_or_else(|| CLIENT_SCOPE.into());
    let sub = format!("service-account-{client_id}");
    let g = Grant {
        iss: &req.base,
        sub: &sub,
        client_id: Some(client_id),
        scope: Some(&scope),
        refresh: false,
        id_token: false,
    };
    let t = tokens::issue(&mut st, &g);
    let mut out = Map::new();
    out.insert("access_token".into(), json!(t.access_token));
    out.insert("scope".into(), json!(scope));
    put_expires_in(&mut out, &st.settings.expires_in);
    out.insert("token_type".into(), json!("Bearer"));
    merge_extra(&mut out, &st.settings.extra);
    Ok(token_json(200, &Value::Object(out)))
}
