//! The RFC 6749 token endpoints: generic `/token`, Keycloak and IdentityServer (`/connect/token`).
//! One grant logic; each dialect has its own body rules, answer shape and error wording.

use axum::http::header;
use serde_json::{json, Map, Value};

use super::{merge_extra, put_expires_in, Dialect};
use crate::http::{empty, oauth_error, token_json, with_header, Resp};
use crate::request::{Basic, Media, TokenRequest};
use crate::settings::{ClientDef, Settings};
use crate::state::{now_ms, Namespace, NsState};
use crate::tokens::{self, Grant, Issued};

/// Why a request fails, before the dialect words it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fail {
    /// Unknown client, wrong or missing secret, secret sent by a public client.
    BadClient,
    /// IdentityServer: the secret was sent with HTTP Basic.
    BasicNotAllowed,
    /// The `Authorization: Basic` header does not decode.
    BadBasic,
    /// Both HTTP Basic and `client_secret` in the body.
    MultipleAuth,
    /// `client_id` in the body differs from the Basic one.
    ClientMismatch,
    BadUser,
    NoDirect,
    PublicCc,
    Unsupported(String),
    MissingGrant,
    Missing(&'static str),
    BadRefresh,
    Duplicate(String),
    NotString(String),
    NotObject,
    /// The body's media type is not accepted by this dialect.
    Media,
}

/// Request parameters with empty values dropped (RFC 6749 §3.2).
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

pub fn answer(d: &Dialect, ns: &Namespace, req: &TokenRequest) -> Resp {
    let used_basic = matches!(req.basic, Basic::Creds { .. });
    let result = params(d, req).and_then(|p| {
        let mut st = ns.lock();
        grant(d, &mut st, req, &p)
    });
    match result {
        Ok(v) => token_json(200, &v),
        Err(f) => fail(d, &f, used_basic),
    }
}

fn params(d: &Dialect, req: &TokenRequest) -> Result<Params, Fail> {
    let form_only = !matches!(d, Dialect::Generic);
    let pairs: Vec<(String, String)> = match (&req.media, &req.form, &req.json) {
        (Media::Form, Some(form), _) => form.clone(),
        (Media::Json, _, json) if !form_only => {
            let Some(Value::Object(obj)) = json else {
                return Err(Fail::NotObject);
            };
            let mut pairs = Vec::new();
            for (k, v) in obj {
                match v {
                    Value::String(s) => pairs.push((k.clone(), s.clone())),
                    Value::Null => {}
                    _ => return Err(Fail::NotString(k.clone())),
                }
            }
            pairs
        }
        _ => return Err(Fail::Media),
    };
    let pairs: Vec<(String, String)> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    for (i, (k, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(k2, _)| k2 == k) {
            return Err(Fail::Duplicate(k.clone()));
        }
    }
    Ok(Params(pairs))
}

/// Client authentication; the authenticated client's id.
fn authenticate(d: &Dialect, settings: &Settings, req: &TokenRequest, p: &Params) -> Result<(String, ClientDef), Fail> {
    let body_id = p.get("client_id");
    let body_secret = p.get("client_secret");
    if *d == Dialect::Connect && !matches!(req.basic, Basic::Absent) {
        return Err(Fail::BasicNotAllowed);
    }
    let (id, secret) = match &req.basic {
        Basic::Malformed => return Err(Fail::BadBasic),
        Basic::Creds { client_id, secret } => {
            if body_secret.is_some() {
                return Err(Fail::MultipleAuth);
            }
            if body_id.is_some_and(|b| b != client_id) {
                return Err(Fail::ClientMismatch);
            }
            (client_id.as_str(), Some(secret.as_str()).filter(|s| !s.is_empty()))
        }
        Basic::Absent => (body_id.ok_or(Fail::BadClient)?, body_secret),
    };
    let client = settings.clients.get(id).ok_or(Fail::BadClient)?;
    let ok = match (&client.secret, secret) {
        (None, None) => true,
        (Some(want), Some(got)) => want == got,
        _ => false,
    };
    if ok {
        Ok((id.to_string(), client.clone()))
    } else {
        Err(Fail::BadClient)
    }
}

fn grant(d: &Dialect, st: &mut NsState, req: &TokenRequest, p: &Params) -> Result<Value, Fail> {
    let grant_type = p.get("grant_type").ok_or(Fail::MissingGrant)?;
    let (client_id, client) = authenticate(d, &st.settings, req, p)?;
    let iss = match d {
        Dialect::Keycloak { realm } => format!("{}/realms/{realm}", req.base),
        _ => req.base.clone(),
    };
    let requested = p.get("scope");
    let (issued, scope) = match grant_type {
        "client_credentials" => {
            if client.secret.is_none() {
                return Err(Fail::PublicCc);
            }
            let scope = answer_scope(d, &st.settings, requested);
            let sub = format!("service-account-{client_id}");
            let g = Grant {
                iss: &iss,
                sub: &sub,
                client_id: Some(&client_id),
                scope: scope.as_deref(),
                refresh: st.settings.cc_refresh,
                id_token: wants_id_token(d, scope.as_deref()),
            };
            (tokens::issue(st, &g), scope)
        }
        "password" => {
            if !client.direct_access {
                return Err(Fail::NoDirect);
            }
            let username = p.get("username").ok_or(Fail::Missing("username"))?;
            let password = p.get("password").ok_or(Fail::Missing("password"))?;
            if st.settings.users.get(username).map(String::as_str) != Some(password) {
                return Err(Fail::BadUser);
            }
            let scope = answer_scope(d, &st.settings, requested);
            let g = Grant {
                iss: &iss,
                sub: username,
                client_id: Some(&client_id),
                scope: scope.as_deref(),
                refresh: true,
                id_token: wants_id_token(d, scope.as_deref()),
            };
            (tokens::issue(st, &g), scope)
        }
        "refresh_token" => {
            let rt = p.get("refresh_token").ok_or(Fail::Missing("refresh_token"))?;
            refresh(d, st, &iss, &client_id, rt)?
        }
        other => return Err(Fail::Unsupported(other.to_string())),
    };
    let mut out = success(d, &st.settings, &issued, scope.as_deref());
    merge_extra(&mut out, &st.settings.extra);
    Ok(Value::Object(out))
}

/// The refresh grant: the presented token must be live, unrevoked and this client's.
fn refresh(
    d: &Dialect,
    st: &mut NsState,
    iss: &str,
    client_id: &str,
    rt: &str,
) -> Result<(Issued, Option<String>), Fail> {
    let now = now_ms();
    let info = match st.refresh.get(rt) {
        None => return Err(Fail::BadRefresh),
        Some(i) if i.revoked => {
            st.stats.refresh_reuse += 1;
            return Err(Fail::BadRefresh);
        }
        Some(i) => i.clone(),
    };
    if info.expires_at_ms.is_some_and(|e| now >= e) || info.client_id.as_deref().is_some_and(|c| c != client_id) {
        return Err(Fail::BadRefresh);
    }
    let scope = match &st.settings.scope {
        Some(s) => Some(s.clone()),
        None => info.scope.clone(),
    };
    let g = Grant {
        iss,
        sub: &info.sub,
        client_id: Some(client_id),
        scope: scope.as_deref(),
        refresh: false,
        id_token: wants_id_token(d, scope.as_deref()),
    };
    let mut issued = tokens::issue(st, &g);
    if st.settings.rotate_refresh {
        if let Some(old) = st.refresh.get_mut(rt) {
            old.revoked = true;
        }
        let new = tokens::mint_refresh(st, &info.sub, info.client_id.as_deref(), info.scope.as_deref());
        issued.refresh_expires_in = st.settings.refresh_expires_in;
        issued.refresh_token = Some(new);
    } else {
        issued.refresh_expires_in = info.expires_at_ms.map(|e| ((e - now).max(0) as u64).div_ceil(1000)).unwrap_or(0);
        issued.refresh_token = Some(rt.to_string());
    }
    Ok((issued, scope))
}

fn wants_id_token(d: &Dialect, scope: Option<&str>) -> bool {
    matches!(d, Dialect::Keycloak { .. }) && scope.is_some_and(|s| s.split(' ').any(|x| x == "openid"))
}

/// The `scope` answered: the `scope` setting when set, else per dialect.
fn answer_scope(d: &Dialect, settings: &Settings, requested: Option<&str>) -> Option<String> {
    if let Some(s) = &settings.scope {
        return Some(s.clone());
    }
    match d {
        Dialect::Keycloak { .. } => {
            let mut out: Vec<&str> = Vec::new();
            for s in requested.unwrap_or("").split(' ').chain(["profile", "email"]) {
                if !s.is_empty() && !out.contains(&s) {
                    out.push(s);
                }
            }
            Some(out.join(" "))
        }
        Dialect::Connect => Some(requested.unwrap_or("read write").to_string()),
        _ => requested.map(str::to_string),
    }
}

fn success(d: &Dialect, s: &Settings, t: &Issued, scope: Option<&str>) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("access_token".into(), json!(t.access_token));
    put_expires_in(&mut out, &s.expires_in);
    match d {
        Dialect::Keycloak { .. } => {
            out.insert("refresh_expires_in".into(), json!(t.refresh_expires_in));
            if let Some(rt) = &t.refresh_token {
                out.insert("refresh_token".into(), json!(rt));
            }
            out.insert("token_type".into(), json!("bearer"));
            if let Some(id) = &t.id_token {
                out.insert("id_token".into(), json!(id));
            }
            out.insert("not-before-policy".into(), json!(0));
            out.insert("session_state".into(), json!(session_state()));
        }
        _ => {
            out.insert("token_type".into(), json!("Bearer"));
            if let Some(rt) = &t.refresh_token {
                out.insert("refresh_token".into(), json!(rt));
                // The generic endpoint states the refresh token's life (when it has one), as many
                // servers do; IdentityServer does not.
                if *d == Dialect::Generic && t.refresh_expires_in > 0 {
                    out.insert("refresh_expires_in".into(), json!(t.refresh_expires_in));
                }
            }
        }
    }
    if let Some(sc) = scope {
        out.insert("scope".into(), json!(sc));
    }
    out
}

/// A random UUID-shaped string.
fn session_state() -> String {
    let hex = |n: usize| -> String {
        std::iter::repeat_with(|| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0')).take(n).collect()
    };
    format!("{}-{}-{}-{}-{}", hex(8), hex(4), hex(4), hex(4), hex(12))
}

/// Words a failure the way the dialect's real server does.
fn fail(d: &Dialect, f: &Fail, used_basic: bool) -> Resp {
    match d {
        Dialect::Keycloak { .. } => keycloak_fail(f),
        Dialect::Connect => connect_fail(f),
        _ => generic_fail(f, used_basic),
    }
}

fn common_fail(f: &Fail) -> Option<Resp> {
    Some(match f {
        Fail::BadBasic => oauth_error(400, "invalid_request", Some("Malformed HTTP Basic authorization")),
        Fail::MultipleAuth => oauth_error(
            400,
            "invalid_request",
            Some("Multiple client authentication methods (HTTP Basic and client_secret)"),
        ),
        Fail::ClientMismatch => {
            oauth_error(400, "invalid_request", Some("client_id in the body differs from the HTTP Basic one"))
        }
        Fail::Duplicate(k) => {
            oauth_error(400, "invalid_request", Some(&format!("Parameter included more than once: {k}")))
        }
        Fail::NotString(k) => oauth_error(400, "invalid_request", Some(&format!("Parameter must be a string: {k}"))),
        Fail::NotObject => oauth_error(400, "invalid_request", Some("The JSON body must be an object")),
        Fail::Missing(k) => oauth_error(400, "invalid_request", Some(&format!("Missing parameter: {k}"))),
        Fail::BadRefresh => oauth_error(400, "invalid_grant", Some("Token is not active")),
        _ => return None,
    })
}

fn generic_fail(f: &Fail, used_basic: bool) -> Resp {
    if let Some(r) = common_fail(f) {
        return r;
    }
    match f {
        Fail::BadClient | Fail::BasicNotAllowed => {
            let r = oauth_error(401, "invalid_client", Some("Client authentication failed"));
            if used_basic {
                with_header(r, header::WWW_AUTHENTICATE, "Basic realm=\"authserver\"")
            } else {
                r
            }
        }
        Fail::BadUser => oauth_error(400, "invalid_grant", Some("Invalid username or password")),
        Fail::NoDirect => oauth_error(400, "unauthorized_client", Some("Client not allowed to use the password grant")),
        Fail::PublicCc => oauth_error(400, "unauthorized_client", Some("Public clients cannot use client_credentials")),
        Fail::Unsupported(g) => {
            oauth_error(400, "unsupported_grant_type", Some(&format!("Unsupported grant_type: {g}")))
        }
        Fail::MissingGrant => oauth_error(400, "invalid_request", Some("Missing parameter: grant_type")),
        _ => oauth_error(
            400,
            "invalid_request",
            Some("Content-Type must be application/x-www-form-urlencoded or application/json"),
        ),
    }
}

fn keycloak_fail(f: &Fail) -> Resp {
    if *f == Fail::Media {
        return empty(415);
    }
    if let Some(r) = common_fail(f) {
        return r;
    }
    match f {
        Fail::BadUser => oauth_error(400, "invalid_grant", Some("Invalid user credentials")),
        Fail::NoDirect => oauth_error(400, "unauthorized_client", Some("Client not allowed for direct access grants")),
        Fail::PublicCc => {
            oauth_error(401, "unauthorized_client", Some("Public client not allowed to retrieve service account"))
        }
        Fail::Unsupported(_) => oauth_error(400, "unsupported_grant_type", Some("Unsupported grant_type")),
        Fail::MissingGrant => oauth_error(400, "invalid_request", Some("Missing form parameter: grant_type")),
        _ => oauth_error(401, "invalid_client", Some("Invalid client or Invalid client credentials")),
    }
}

fn connect_fail(f: &Fail) -> Resp {
    match f {
        Fail::Media => oauth_error(400, "invalid_request", None),
        Fail::BadClient | Fail::BasicNotAllowed | Fail::BadBasic | Fail::MultipleAuth | Fail::ClientMismatch => {
            oauth_error(400, "invalid_client", None)
        }
        Fail::BadUser => oauth_error(400, "invalid_grant", Some("invalid_username_or_password")),
        Fail::NoDirect | Fail::PublicCc => oauth_error(400, "unauthorized_client", None),
        Fail::Unsupported(_) | Fail::MissingGrant => oauth_error(400, "unsupported_grant_type", None),
        _ => common_fail(f).unwrap_or_else(|| oauth_error(400, "invalid_request", None)),
    }
}
