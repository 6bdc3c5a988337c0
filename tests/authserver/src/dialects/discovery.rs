//! OIDC discovery documents: Keycloak's per realm, IdentityServer's at the root.

use serde_json::{json, Value};

use crate::settings::Settings;

const KEYCLOAK_AUTH_METHODS: [&str; 5] =
    ["private_key_jwt", "client_secret_basic", "client_secret_post", "tls_client_auth", "client_secret_jwt"];
const CONNECT_AUTH_METHODS: [&str; 2] = ["client_secret_basic", "client_secret_post"];

fn auth_methods(settings: &Settings, default: &[&str]) -> Value {
    match &settings.discovery_auth_methods {
        Some(list) => json!(list),
        None => json!(default),
    }
}

/// `GET /realms/{realm}/.well-known/openid-configuration`; `base` is the namespace's server URL.
pub fn keycloak_discovery(base: &str, realm: &str, settings: &Settings) -> Value {
    let issuer = format!("{base}/realms/{realm}");
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/protocol/openid-connect/auth"),
        "token_endpoint": format!("{issuer}/protocol/openid-connect/token"),
        "userinfo_endpoint": format!("{issuer}/protocol/openid-connect/userinfo"),
        "jwks_uri": format!("{issuer}/protocol/openid-connect/certs"),
        "grant_types_supported": [
            "authorization_code", "implicit", "refresh_token", "password", "client_credentials",
        ],
        "response_types_supported": ["code", "none", "id_token", "token", "id_token token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["HS256"],
        "token_endpoint_auth_methods_supported": auth_methods(settings, &KEYCLOAK_AUTH_METHODS),
    })
}

/// `GET /.well-known/openid-configuration` (IdentityServer, token endpoint `/connect/token`).
pub fn connect_discovery(base: &str, settings: &Settings) -> Value {
    json!({
        "issuer": base,
        "token_endpoint": format!("{base}/connect/token"),
        "jwks_uri": format!("{base}/.well-known/openid-configuration/jwks"),
        "grant_types_supported": ["client_credentials", "password", "refresh_token"],
        "scopes_supported": ["openid", "profile", "offline_access", "read", "write"],
        "token_endpoint_auth_methods_supported": auth_methods(settings, &CONNECT_AUTH_METHODS),
    })
}
