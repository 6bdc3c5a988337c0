//! Minting access tokens (HS256 JWTs or opaque strings), ID tokens and refresh tokens.

use std::sync::atomic::{AtomicU64, Ordering};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use crate::settings::{Settings, TokenFormat};
use crate::state::{now_ms, AccessInfo, NsState, RefreshInfo};

/// The fixed HMAC-SHA256 key every JWT of this server is signed with.
pub const JWT_KEY: &[u8] = b"tokenwell-authserver-test-key";

static SERIAL: AtomicU64 = AtomicU64::new(1);

pub fn random_alnum(n: usize) -> String {
    std::iter::repeat_with(fastrand::alphanumeric).take(n).collect()
}

/// A process-unique id: a serial number plus randomness.
pub fn unique_id() -> String {
    format!("{}-{}", SERIAL.fetch_add(1, Ordering::Relaxed), random_alnum(12))
}

/// Signs `claims` as a compact HS256 JWT.
pub fn sign_jwt(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let input = format!("{header}.{payload}");
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(JWT_KEY) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes any key length"),
    };
    mac.update(input.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{input}.{sig}")
}

/// What a successful grant hands out.
pub struct Issued {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// Seconds the refresh token lives (for Keycloak's `refresh_expires_in`); 0 = none / no expiry.
    pub refresh_expires_in: u64,
    pub id_token: Option<String>,
}

/// Parameters of one issuance.
pub struct Grant<'a> {
    pub iss: &'a str,
    pub sub: &'a str,
    pub client_id: Option<&'a str>,
    pub scope: Option<&'a str>,
    pub refresh: bool,
    pub id_token: bool,
}

/// Mints an access token (and optionally refresh and ID tokens) and remembers them.
pub fn issue(st: &mut NsState, g: &Grant<'_>) -> Issued {
    let access_token = mint_access(st, g);
    let refresh_token = if g.refresh { Some(mint_refresh(st, g.sub, g.client_id, g.scope)) } else { None };
    let id_token = if g.id_token { Some(mint_id_token(&st.settings, g)) } else { None };
    Issued {
        access_token,
        refresh_expires_in: if refresh_token.is_some() { st.settings.refresh_expires_in } else { 0 },
        refresh_token,
        id_token,
    }
}

fn mint_access(st: &mut NsState, g: &Grant<'_>) -> String {
    let now = now_ms();
    let expires_at_ms = now.saturating_add(st.settings.lifetime_ms());
    let token = match st.settings.token_format {
        TokenFormat::Opaque => loop {
            let t = random_alnum(32);
            if !st.access.contains(&t) {
                break t;
            }
        },
        TokenFormat::Jwt => {
            let mut claims = Map::new();
            claims.insert("iss".into(), json!(g.iss));
            claims.insert("sub".into(), json!(g.sub));
            if let Some(c) = g.client_id {
                claims.insert("azp".into(), json!(c));
            }
            claims.insert("iat".into(), json!(now.div_euclid(1000)));
            claims.insert("exp".into(), json!(expires_at_ms.div_euclid(1000)));
            claims.insert("scope".into(), json!(g.scope.unwrap_or("")));
            claims.insert("jti".into(), json!(unique_id()));
            sign_jwt(&Value::Object(claims))
        }
    };
    st.access.insert(
        token.clone(),
        AccessInfo { sub: g.sub.to_string(), client_id: g.client_id.map(str::to_string), expires_at_ms },
    );
    st.stats.issued += 1;
    token
}

/// A new refresh token for `sub`, remembered as valid.
pub fn mint_refresh(st: &mut NsState, sub: &str, client_id: Option<&str>, scope: Option<&str>) -> String {
    let token = loop {
        let t = random_alnum(40);
        if !st.refresh.contains(&t) {
            break t;
        }
    };
    let life = st.settings.refresh_expires_in;
    st.refresh.insert(
        token.clone(),
        RefreshInfo {
            sub: sub.to_string(),
            client_id: client_id.map(str::to_string),
            scope: scope.map(str::to_string),
            expires_at_ms: (life > 0).then(|| now_ms().saturating_add(life as i64 * 1000)),
            revoked: false,
        },
    );
    token
}

fn mint_id_token(settings: &Settings, g: &Grant<'_>) -> String {
    let now = now_ms();
    let exp = now.saturating_add(settings.lifetime_ms());
    sign_jwt(&json!({
        "iss": g.iss,
        "sub": g.sub,
        "aud": g.client_id.unwrap_or("butlr"),
        "iat": now.div_euclid(1000),
        "exp": exp.div_euclid(1000),
        "typ": "ID",
        "jti": unique_id(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_has_three_parts_and_verifies() {
        let t = sign_jwt(&json!({"sub": "x"}));
        let parts: Vec<&str> = t.split('.').collect();
        assert_eq!(parts.len(), 3);
        let mut mac = Hmac::<Sha256>::new_from_slice(JWT_KEY).expect("key");
        mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
        let sig = URL_SAFE_NO_PAD.decode(parts[2]).expect("b64");
        assert!(mac.verify_slice(&sig).is_ok());
    }

    #[test]
    fn ids_are_unique() {
        assert_ne!(unique_id(), unique_id());
        assert_eq!(random_alnum(32).len(), 32);
    }
}
