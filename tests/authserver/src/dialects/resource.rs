//! `GET /resource`: a protected resource that accepts the namespace's unexpired access tokens.

use axum::http::{header, HeaderMap};
use serde_json::json;

use crate::http::{json, with_header, Resp};
use crate::state::{now_ms, Namespace};

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

pub fn resource(ns: &Namespace, headers: &HeaderMap) -> Resp {
    let mut st = ns.lock();
    st.stats.resource += 1;
    let forced = st.settings.resource_401 > 0;
    if forced {
        st.settings.resource_401 -= 1;
    }
    let sub = bearer(headers)
        .and_then(|t| st.access.get(t))
        .filter(|info| now_ms() < info.expires_at_ms)
        .map(|info| (info.sub.clone(), info.client_id.clone()));
    match sub {
        Some((sub, client_id)) if !forced => json(200, &json!({"ok": true, "sub": sub, "client_id": client_id})),
        _ => {
            st.stats.resource_401 += 1;
            with_header(
                json(401, &json!({"error": "invalid_token"})),
                header::WWW_AUTHENTICATE,
                "Bearer error=\"invalid_token\"",
            )
        }
    }
}
