//! The provider dialects: which path speaks which, and what each answers.

mod butlr;
mod discovery;
mod oauth;
mod resource;

pub use discovery::{connect_discovery, keycloak_discovery};
pub use resource::resource;

use serde_json::{Map, Value};

use crate::http::Resp;
use crate::request::TokenRequest;
use crate::state::Namespace;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// `POST /token`: RFC 6749, form or JSON.
    Generic,
    /// `POST /realms/{realm}/protocol/openid-connect/token`.
    Keycloak { realm: String },
    /// `POST /connect/token`: IdentityServer (Semansys).
    Connect,
    /// `POST /api/v2/login`: Butlr password login.
    ButlrLogin,
    /// `POST /api/v2/clients/login`: Butlr client credentials.
    ButlrClients,
}

/// The dialect of a token path (relative to the namespace), if it is one.
pub fn token_dialect(path: &str) -> Option<Dialect> {
    match path {
        "/token" => return Some(Dialect::Generic),
        "/connect/token" => return Some(Dialect::Connect),
        "/api/v2/login" => return Some(Dialect::ButlrLogin),
        "/api/v2/clients/login" => return Some(Dialect::ButlrClients),
        _ => {}
    }
    realm_path(path, "/protocol/openid-connect/token").map(|realm| Dialect::Keycloak { realm })
}

/// `/realms/{realm}{suffix}` → the realm.
pub fn realm_path(path: &str, suffix: &str) -> Option<String> {
    let realm = path.strip_prefix("/realms/")?.strip_suffix(suffix)?;
    (!realm.is_empty() && !realm.contains('/')).then(|| realm.to_string())
}

/// The grant a request asks for, as counted in `by_grant`.
pub fn grant_of(d: &Dialect, req: &TokenRequest) -> Option<String> {
    match d {
        Dialect::ButlrLogin => Some(req.field("grant_type").unwrap_or_else(|| "password".into())),
        _ => req.field("grant_type"),
    }
}

/// The dialect's own answer to a token request.
pub fn answer(d: &Dialect, ns: &Namespace, req: &TokenRequest) -> Resp {
    if req.method != axum::http::Method::POST {
        return crate::http::method_not_allowed("POST");
    }
    match d {
        Dialect::ButlrLogin => butlr::login(ns, req),
        Dialect::ButlrClients => butlr::clients_login(ns, req),
        _ => oauth::answer(d, ns, req),
    }
}

/// Merges the `extra` setting into a success answer (`null` removes a field).
pub(crate) fn merge_extra(answer: &mut Map<String, Value>, extra: &Map<String, Value>) {
    for (k, v) in extra {
        if v.is_null() {
            answer.remove(k);
        } else {
            answer.insert(k.clone(), v.clone());
        }
    }
}

/// Puts `expires_in` as the settings say: a number or string as given, omitted for `null`.
pub(crate) fn put_expires_in(answer: &mut Map<String, Value>, expires_in: &Value) {
    if !expires_in.is_null() {
        answer.insert("expires_in".into(), expires_in.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_paths() {
        assert_eq!(token_dialect("/token"), Some(Dialect::Generic));
        assert_eq!(
            token_dialect("/realms/BinarlyRealm/protocol/openid-connect/token"),
            Some(Dialect::Keycloak { realm: "BinarlyRealm".into() })
        );
        assert_eq!(token_dialect("/realms//protocol/openid-connect/token"), None);
        assert_eq!(token_dialect("/realms/a/b/protocol/openid-connect/token"), None);
        assert_eq!(token_dialect("/tokens"), None);
    }
}
