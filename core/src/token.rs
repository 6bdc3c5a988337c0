//! The token a caller receives, and the parsing of a token endpoint's answer into it.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde_json::{Map, Value};
use zeroize::Zeroize;

use crate::error::Error;

/// Lifetimes above this are clamped: the token is renewed at least this often.
const MAX_LIFETIME_NS: i64 = 365 * 24 * 3600 * 1_000_000_000;
/// The latest time a stored token may carry: half of what i64 nanoseconds hold (year 2116).
const MAX_STORED_MS: i64 = i64::MAX / 1_000_000 / 2;

/// An access token with what the server said about it. Immutable; shared as `Arc<Token>`.
/// Its `Debug` never shows the token values.
///
/// ```no_run
/// # async fn f(client: tokenwell::Client) -> Result<(), tokenwell::Error> {
/// let token = client.token().await?;
/// let header = token.authorization();          // "Bearer eyJ…"
/// println!("{token:?}");                        // Token { token_type: "Bearer", access_token: "[redacted]", … }
/// # Ok(()) }
/// ```
pub struct Token {
    access_token: String,
    token_type: String,
    authorization: String,
    issued_at_ns: i64,
    expires_at_ns: i64,
    refresh_token: Option<String>,
    refresh_expires_at_ns: Option<i64>,
    scope: Option<String>,
    id_token: Option<String>,
    extra: Map<String, Value>,
}

fn to_system_time(ns: i64) -> SystemTime {
    if ns >= 0 {
        UNIX_EPOCH + Duration::from_nanos(ns as u64)
    } else {
        UNIX_EPOCH
    }
}

impl Token {
    /// The access token.
    pub fn access_token(&self) -> &str {
        &self.access_token
    }
    /// `Bearer` (normalised from any case) or the server's other type.
    pub fn token_type(&self) -> &str {
        &self.token_type
    }
    /// The `Authorization` header value: `"Bearer <access_token>"`.
    pub fn authorization(&self) -> &str {
        &self.authorization
    }
    /// When the server says the token expires.
    pub fn expires_at(&self) -> SystemTime {
        to_system_time(self.expires_at_ns)
    }
    /// Expiry in Unix seconds.
    pub fn expires_at_unix(&self) -> i64 {
        self.expires_at_ns.div_euclid(1_000_000_000)
    }
    /// Expiry in Unix nanoseconds.
    pub fn expires_at_unix_nanos(&self) -> i64 {
        self.expires_at_ns
    }
    /// When the request for this token was sent.
    pub fn issued_at(&self) -> SystemTime {
        to_system_time(self.issued_at_ns)
    }
    /// Seconds left until expiry, by the system clock (negative once expired).
    pub fn expires_in(&self) -> f64 {
        (self.expires_at_ns - crate::clock::wall_now_ns()) as f64 / 1e9
    }
    /// The refresh token that goes with this token, if any.
    pub fn refresh_token(&self) -> Option<&str> {
        self.refresh_token.as_deref()
    }
    /// When the refresh token expires (Keycloak's `refresh_expires_in`).
    pub fn refresh_expires_at(&self) -> Option<SystemTime> {
        self.refresh_expires_at_ns.map(to_system_time)
    }
    /// Granted scope, space-separated.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }
    /// The OIDC ID token, if any.
    pub fn id_token(&self) -> Option<&str> {
        self.id_token.as_deref()
    }
    /// The other fields of the answer.
    pub fn extra(&self) -> &Map<String, Value> {
        &self.extra
    }
    /// The extra fields as a JSON object text.
    pub fn extra_json(&self) -> String {
        Value::Object(self.extra.clone()).to_string()
    }

    pub(crate) fn issued_at_ns(&self) -> i64 {
        self.issued_at_ns
    }
    pub(crate) fn expires_at_ns(&self) -> i64 {
        self.expires_at_ns
    }
    pub(crate) fn refresh_expires_at_ns(&self) -> Option<i64> {
        self.refresh_expires_at_ns
    }

    /// A deep copy (a thread's private copy on the cached path).
    pub(crate) fn duplicate(&self) -> Token {
        Token {
            access_token: self.access_token.clone(),
            token_type: self.token_type.clone(),
            authorization: self.authorization.clone(),
            issued_at_ns: self.issued_at_ns,
            expires_at_ns: self.expires_at_ns,
            refresh_token: self.refresh_token.clone(),
            refresh_expires_at_ns: self.refresh_expires_at_ns,
            scope: self.scope.clone(),
            id_token: self.id_token.clone(),
            extra: self.extra.clone(),
        }
    }

    /// The form a shared cache stores (DESIGN §5, docs/cache-format.md).
    pub(crate) fn to_stored(&self) -> StoredToken {
        StoredToken {
            access_token: Some(self.access_token.clone()),
            token_type: self.token_type.clone(),
            issued_at_ms: self.issued_at_ns.div_euclid(1_000_000),
            expires_at_ms: self.expires_at_ns.div_euclid(1_000_000),
            refresh_token: self.refresh_token.clone(),
            refresh_expires_at_ms: self.refresh_expires_at_ns.map(|n| n.div_euclid(1_000_000)),
            scope: self.scope.clone(),
            id_token: self.id_token.clone(),
            extra: self.extra.clone(),
        }
    }

    /// Rebuilds a token read from a shared cache; `None` when the entry holds no access token
    /// (it was invalidated) or is inconsistent.
    pub(crate) fn from_stored(s: &StoredToken) -> Option<Token> {
        let access_token = s.access_token.clone().filter(|a| !a.is_empty())?;
        // Times far outside 1970..2116 come from a corrupt or forged entry; in nanoseconds
        // they would overflow the renewal arithmetic (found by fuzz/cache_document).
        let sane = |ms: i64| (0..=MAX_STORED_MS).contains(&ms);
        if s.expires_at_ms <= s.issued_at_ms || !sane(s.issued_at_ms) || !sane(s.expires_at_ms) {
            return None;
        }
        let token_type = if s.token_type.eq_ignore_ascii_case("bearer") || s.token_type.is_empty() {
            "Bearer".to_owned()
        } else {
            s.token_type.clone()
        };
        Some(Token {
            authorization: format!("{token_type} {access_token}"),
            access_token,
            token_type,
            issued_at_ns: s.issued_at_ms.saturating_mul(1_000_000),
            expires_at_ns: s.expires_at_ms.saturating_mul(1_000_000),
            refresh_token: s.refresh_token.clone(),
            refresh_expires_at_ns: s.refresh_expires_at_ms.map(|m| m.saturating_mul(1_000_000)),
            scope: s.scope.clone(),
            id_token: s.id_token.clone(),
            extra: s.extra.clone(),
        })
    }

    /// Parses a token endpoint's 2xx JSON object. `issued_at_ns` is when the request was sent
    /// (a conservative start for `expires_in`). `previous_refresh` is kept when a refresh answer
    /// carries no new refresh token (RFC 6749 §6).
    pub(crate) fn from_response(
        mut body: Map<String, Value>,
        issued_at_ns: i64,
        default_lifetime: Duration,
        previous_refresh: Option<(&str, Option<i64>)>,
    ) -> Result<Token, Error> {
        let access_token = match body.remove("access_token") {
            Some(Value::String(s)) if !s.is_empty() => s,
            Some(_) => return Err(Error::invalid_response("the token endpoint answered 2xx but `access_token` is not a non-empty string")),
            None => {
                return Err(Error::invalid_response(format!(
                    "the token endpoint answered 2xx without `access_token` (fields: {}): check token_url points at the token endpoint",
                    field_names(&body)
                )))
            }
        };
        let token_type = match body.remove("token_type") {
            Some(Value::String(t)) if t.eq_ignore_ascii_case("bearer") => "Bearer".to_owned(),
            Some(Value::String(t)) if !t.is_empty() => t,
            _ => "Bearer".to_owned(),
        };
        let expires_in = match body.remove("expires_in") {
            None | Some(Value::Null) => None,
            Some(v) => seconds_field("expires_in", &v)?,
        };
        let lifetime_ns = match expires_in {
            Some(s) if s > 0.0 => Some((s * 1e9).min(MAX_LIFETIME_NS as f64) as i64),
            // 0 means the server did not say: fall through to the JWT or the default.
            _ => None,
        };
        let expires_at_ns = match lifetime_ns {
            Some(l) => issued_at_ns.saturating_add(l),
            None => match jwt_exp(&access_token) {
                Some(exp) => {
                    let exp_ns = exp.saturating_mul(1_000_000_000);
                    if exp_ns <= issued_at_ns {
                        return Err(Error::invalid_response(
                            "the token endpoint issued a JWT whose `exp` is already past: check the server's clock",
                        ));
                    }
                    exp_ns.min(issued_at_ns.saturating_add(MAX_LIFETIME_NS))
                }
                None => issued_at_ns.saturating_add(default_lifetime.as_nanos().min(MAX_LIFETIME_NS as u128) as i64),
            },
        };
        let new_refresh = match body.remove("refresh_token") {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            _ => None,
        };
        let refresh_expires_in = match body.remove("refresh_expires_in") {
            None | Some(Value::Null) => None,
            // Keycloak sends 0 for refresh tokens that do not expire (offline tokens).
            Some(v) => seconds_field("refresh_expires_in", &v)?.filter(|s| *s > 0.0),
        };
        let (refresh_token, refresh_expires_at_ns) = match new_refresh {
            Some(rt) => (
                Some(rt),
                refresh_expires_in
                    .map(|s| issued_at_ns.saturating_add((s.min(MAX_LIFETIME_NS as f64 / 1e9) * 1e9) as i64)),
            ),
            None => match previous_refresh {
                Some((rt, exp)) => (Some(rt.to_owned()), exp),
                None => (None, None),
            },
        };
        let scope = match body.remove("scope") {
            Some(Value::String(s)) => Some(s),
            Some(Value::Array(items)) => Some(items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" ")),
            _ => None,
        };
        let id_token = match body.remove("id_token") {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        let authorization = format!("{token_type} {access_token}");
        Ok(Token {
            access_token,
            token_type,
            authorization,
            issued_at_ns,
            expires_at_ns,
            refresh_token,
            refresh_expires_at_ns,
            scope,
            id_token,
            extra: body,
        })
    }
}

/// A token as a shared cache stores it. Times are Unix milliseconds. `access_token` is absent
/// after an invalidation (the refresh token stays).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct StoredToken {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    #[serde(default)]
    pub token_type: String,
    pub issued_at_ms: i64,
    pub expires_at_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_expires_at_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
}

impl StoredToken {
    /// An entry with no token at all (a shared-cache document that records only a failure).
    pub(crate) fn empty(now_ms: i64) -> StoredToken {
        StoredToken {
            access_token: None,
            token_type: String::new(),
            issued_at_ms: now_ms,
            expires_at_ms: 0,
            refresh_token: None,
            refresh_expires_at_ms: None,
            scope: None,
            id_token: None,
            extra: Map::new(),
        }
    }
}

impl Drop for StoredToken {
    fn drop(&mut self) {
        for s in [&mut self.access_token, &mut self.refresh_token, &mut self.id_token].into_iter().flatten() {
            s.zeroize();
        }
    }
}

fn field_names(body: &Map<String, Value>) -> String {
    let mut names: Vec<&str> = body.keys().map(String::as_str).take(10).collect();
    names.sort_unstable();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

fn seconds_field(name: &str, v: &Value) -> Result<Option<f64>, Error> {
    let secs = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match secs {
        Some(s) if s.is_finite() && s >= 0.0 => Ok(Some(s)),
        Some(_) => Err(Error::invalid_response(format!("the token endpoint answered a negative or invalid `{name}`"))),
        None => Err(Error::invalid_response(format!(
            "the token endpoint answered a `{name}` that is not a number of seconds"
        ))),
    }
}

/// The `exp` claim of a JWT, decoded without verification (we only need a lifetime hint).
pub fn jwt_exp(token: &str) -> Option<i64> {
    let claims = jwt_claims(token)?;
    match claims.get("exp")? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        _ => None,
    }
}

/// The claims of a JWT (`header.payload.signature`), decoded without verification.
///
/// ```
/// let jwt = "eyJhbGciOiJub25lIn0.eyJleHAiOjE3MDAwMDAwMDAsInN1YiI6ImFsaWNlIn0.";
/// let claims = tokenwell::jwt_claims(jwt).unwrap();
/// assert_eq!(claims["sub"], "alice");
/// ```
pub fn jwt_claims(token: &str) -> Option<Map<String, Value>> {
    jwt_part(token, 1)
}

/// The header of a JWT, decoded without verification.
pub fn jwt_header(token: &str) -> Option<Map<String, Value>> {
    jwt_part(token, 0)
}

fn jwt_part(token: &str, index: usize) -> Option<Map<String, Value>> {
    let mut parts = token.split('.');
    let header = parts.next()?;
    let payload = parts.next()?;
    let _signature = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let part = if index == 0 { header } else { payload };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    match serde_json::from_slice::<Value>(&bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("token_type", &self.token_type)
            .field("access_token", &"[redacted]")
            .field("expires_at_unix", &self.expires_at_unix())
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "[redacted]"))
            .field("scope", &self.scope)
            .field("id_token", &self.id_token.as_ref().map(|_| "[redacted]"))
            .field("extra_keys", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        self.access_token.zeroize();
        self.authorization.zeroize();
        if let Some(r) = self.refresh_token.as_mut() {
            r.zeroize();
        }
        if let Some(r) = self.id_token.as_mut() {
            r.zeroize();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_700_000_000 * 1_000_000_000;

    fn parse(v: Value) -> Result<Token, Error> {
        let Value::Object(m) = v else { panic!() };
        Token::from_response(m, NOW, Duration::from_secs(300), None)
    }

    #[test]
    fn expires_in_forms() {
        assert_eq!(parse(json!({"access_token": "a", "expires_in": 60})).unwrap().expires_at_ns, NOW + 60_000_000_000);
        assert_eq!(
            parse(json!({"access_token": "a", "expires_in": "60"})).unwrap().expires_at_ns,
            NOW + 60_000_000_000
        );
        assert_eq!(parse(json!({"access_token": "a", "expires_in": 1.5})).unwrap().expires_at_ns, NOW + 1_500_000_000);
        assert_eq!(parse(json!({"access_token": "a"})).unwrap().expires_at_ns, NOW + 300_000_000_000);
        assert_eq!(parse(json!({"access_token": "a", "expires_in": 0})).unwrap().expires_at_ns, NOW + 300_000_000_000);
        assert_eq!(
            parse(json!({"access_token": "a", "expires_in": -5})).unwrap_err().code(),
            crate::ErrorCode::InvalidResponse
        );
        assert_eq!(
            parse(json!({"access_token": "a", "expires_in": "soon"})).unwrap_err().code(),
            crate::ErrorCode::InvalidResponse
        );
        assert_eq!(
            parse(json!({"access_token": "a", "expires_in": 1e300})).unwrap().expires_at_ns,
            NOW + MAX_LIFETIME_NS
        );
    }

    #[test]
    fn jwt_exp_fallback() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{{\"exp\":{}}}", 1_700_000_600));
        let jwt = format!("eyJhbGciOiJIUzI1NiJ9.{payload}.sig");
        assert_eq!(parse(json!({"access_token": jwt})).unwrap().expires_at_ns, NOW + 600_000_000_000);
        let past = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("{\"exp\":1}");
        let jwt = format!("eyJhbGciOiJIUzI1NiJ9.{past}.sig");
        assert_eq!(parse(json!({"access_token": jwt})).unwrap_err().code(), crate::ErrorCode::InvalidResponse);
        assert_eq!(jwt_exp("not.a.jwt"), None);
        assert_eq!(jwt_exp("a.b"), None);
    }

    #[test]
    fn fields() {
        let t = parse(json!({"access_token": "a", "token_type": "bearer", "scope": ["x", "y"], "refresh_token": "r",
            "refresh_expires_in": 1800, "id_token": "i", "session_state": "s"}))
        .unwrap();
        assert_eq!(t.token_type(), "Bearer");
        assert_eq!(t.authorization(), "Bearer a");
        assert_eq!(t.scope(), Some("x y"));
        assert_eq!(t.refresh_token(), Some("r"));
        assert_eq!(t.refresh_expires_at_ns, Some(NOW + 1_800_000_000_000));
        assert_eq!(t.id_token(), Some("i"));
        assert_eq!(t.extra().len(), 1);
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("\"a\"") && !dbg.contains("\"r\"") && !dbg.contains("\"i\""), "{dbg}");
        let t = parse(json!({"access_token": "a", "token_type": "DPoP"})).unwrap();
        assert_eq!(t.authorization(), "DPoP a");
        assert_eq!(parse(json!({"token_type": "bearer"})).unwrap_err().code(), crate::ErrorCode::InvalidResponse);
        assert_eq!(parse(json!({"access_token": 5})).unwrap_err().code(), crate::ErrorCode::InvalidResponse);
    }

    #[test]
    fn stored_times_out_of_range_are_refused() {
        let stored = |issued: i64, expires: i64| -> StoredToken {
            serde_json::from_value(json!({"access_token": "a", "issued_at_ms": issued, "expires_at_ms": expires}))
                .unwrap()
        };
        assert!(Token::from_stored(&stored(1, 2)).is_some());
        assert!(Token::from_stored(&stored(-9_000_000_000_000, -8_000_000_000_000)).is_none());
        assert!(Token::from_stored(&stored(0, i64::MAX)).is_none());
    }

    #[test]
    fn refresh_kept_when_not_rotated() {
        let Value::Object(m) = json!({"access_token": "a"}) else { panic!() };
        let t = Token::from_response(m, NOW, Duration::from_secs(300), Some(("old", Some(NOW + 5)))).unwrap();
        assert_eq!(t.refresh_token(), Some("old"));
        assert_eq!(t.refresh_expires_at_ns, Some(NOW + 5));
    }
}
