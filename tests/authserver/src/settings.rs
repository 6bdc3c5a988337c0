//! A namespace's settings: the defaults, `/_control` merging and their JSON view.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

/// Longest wait any setting or script answer may ask for (ms).
pub const MAX_WAIT_MS: u64 = 120_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenFormat {
    Jwt,
    Opaque,
}

#[derive(Clone, Debug)]
pub struct ClientDef {
    /// `None`: a public client.
    pub secret: Option<String>,
    pub direct_access: bool,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub delay_ms: u64,
    /// Number or string (answered as given) or `Null` (field omitted).
    pub expires_in: Value,
    pub jwt_lifetime: Option<f64>,
    pub token_format: TokenFormat,
    pub rotate_refresh: bool,
    /// Seconds; 0 = refresh tokens never expire.
    pub refresh_expires_in: u64,
    pub cc_refresh: bool,
    pub scope: Option<String>,
    pub discovery_auth_methods: Option<Vec<String>>,
    pub resource_401: u64,
    pub clients: BTreeMap<String, ClientDef>,
    pub users: BTreeMap<String, String>,
    pub extra: Map<String, Value>,
}

fn client(secret: Option<&str>, direct_access: bool) -> ClientDef {
    ClientDef { secret: secret.map(str::to_string), direct_access }
}

impl Default for Settings {
    fn default() -> Self {
        let mut clients = BTreeMap::new();
        clients.insert("app".into(), client(Some("app-secret"), true));
        clients.insert("public-app".into(), client(None, true));
        clients.insert("BinarlyClient".into(), client(None, true));
        clients.insert("admin-cli".into(), client(Some("admin-secret"), true));
        clients.insert("no-direct".into(), client(Some("no-direct-secret"), false));
        clients.insert("semansys-client".into(), client(Some("semansys-secret"), true));
        clients.insert("butlr-client".into(), client(Some("butlr-secret"), true));
        let mut users = BTreeMap::new();
        users.insert("alice".into(), "wonderland".into());
        users.insert("user@example.com".into(), "correct horse".into());
        Settings {
            delay_ms: 0,
            expires_in: json!(300),
            jwt_lifetime: None,
            token_format: TokenFormat::Jwt,
            rotate_refresh: true,
            refresh_expires_in: 1800,
            cc_refresh: false,
            scope: None,
            discovery_auth_methods: None,
            resource_401: 0,
            clients,
            users,
            extra: Map::new(),
        }
    }
}

impl Settings {
    /// The real lifetime of an access token, in milliseconds (may be 0 or negative).
    pub fn lifetime_ms(&self) -> i64 {
        let secs = self.jwt_lifetime.unwrap_or_else(|| match &self.expires_in {
            Value::Number(n) => n.as_f64().unwrap_or(300.0),
            Value::String(s) => s.trim().parse::<f64>().unwrap_or(300.0),
            _ => 300.0,
        });
        let ms = secs * 1000.0;
        if ms.is_finite() {
            ms.clamp(-1e15, 1e15) as i64
        } else {
            300_000
        }
    }

    pub fn to_json(&self) -> Value {
        let clients: Map<String, Value> = self
            .clients
            .iter()
            .map(|(id, c)| (id.clone(), json!({"secret": c.secret, "direct_access": c.direct_access})))
            .collect();
        json!({
            "delay_ms": self.delay_ms,
            "expires_in": self.expires_in,
            "jwt_lifetime": self.jwt_lifetime,
            "token_format": match self.token_format {
                TokenFormat::Jwt => "jwt",
                TokenFormat::Opaque => "opaque",
            },
            "rotate_refresh": self.rotate_refresh,
            "refresh_expires_in": self.refresh_expires_in,
            "cc_refresh": self.cc_refresh,
            "scope": self.scope,
            "discovery_auth_methods": self.discovery_auth_methods,
            "resource_401": self.resource_401,
            "clients": clients,
            "users": self.users,
            "extra": self.extra,
        })
    }

    /// Merges a `/_control` object into a copy of these settings; on any bad key or value
    /// nothing changes and the error names the key.
    pub fn merged(&self, patch: &Value) -> Result<Settings, String> {
        let obj = patch.as_object().ok_or_else(|| "the body must be a JSON object".to_string())?;
        let mut s = self.clone();
        for (key, v) in obj {
            apply(&mut s, key, v)?;
        }
        Ok(s)
    }
}

fn bad(key: &str, what: &str) -> String {
    format!("{key}: expected {what}")
}

fn as_u64(key: &str, v: &Value) -> Result<u64, String> {
    v.as_u64().ok_or_else(|| bad(key, "a non-negative integer"))
}

fn as_bool(key: &str, v: &Value) -> Result<bool, String> {
    v.as_bool().ok_or_else(|| bad(key, "true or false"))
}

fn apply(s: &mut Settings, key: &str, v: &Value) -> Result<(), String> {
    match key {
        "delay_ms" => {
            let ms = as_u64(key, v)?;
            if ms > MAX_WAIT_MS {
                return Err(format!("delay_ms: at most {MAX_WAIT_MS}"));
            }
            s.delay_ms = ms;
        }
        "expires_in" => match v {
            Value::Number(_) | Value::String(_) | Value::Null => s.expires_in = v.clone(),
            _ => return Err(bad(key, "a number, a string or null")),
        },
        "jwt_lifetime" => {
            s.jwt_lifetime = match v {
                Value::Null => None,
                _ => Some(v.as_f64().ok_or_else(|| bad(key, "a number or null"))?),
            }
        }
        "token_format" => {
            s.token_format = match v.as_str() {
                Some("jwt") => TokenFormat::Jwt,
                Some("opaque") => TokenFormat::Opaque,
                _ => return Err(bad(key, "\"jwt\" or \"opaque\"")),
            }
        }
        "rotate_refresh" => s.rotate_refresh = as_bool(key, v)?,
        "refresh_expires_in" => s.refresh_expires_in = as_u64(key, v)?,
        "cc_refresh" => s.cc_refresh = as_bool(key, v)?,
        "scope" => {
            s.scope = match v {
                Value::Null => None,
                Value::String(x) => Some(x.clone()),
                _ => return Err(bad(key, "a string or null")),
            }
        }
        "discovery_auth_methods" => {
            s.discovery_auth_methods = match v {
                Value::Null => None,
                Value::Array(items) => Some(
                    items
                        .iter()
                        .map(|i| i.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| bad(key, "a list of strings"))?,
                ),
                _ => return Err(bad(key, "a list of strings or null")),
            }
        }
        "resource_401" => s.resource_401 = as_u64(key, v)?,
        "clients" => {
            let obj = v.as_object().ok_or_else(|| bad(key, "an object"))?;
            let mut clients = BTreeMap::new();
            for (id, def) in obj {
                clients.insert(id.clone(), parse_client(id, def)?);
            }
            s.clients = clients;
        }
        "users" => {
            let obj = v.as_object().ok_or_else(|| bad(key, "an object"))?;
            let mut users = BTreeMap::new();
            for (name, pw) in obj {
                let pw = pw.as_str().ok_or_else(|| format!("users.{name}: expected a string"))?;
                users.insert(name.clone(), pw.to_string());
            }
            s.users = users;
        }
        "extra" => {
            s.extra = v.as_object().ok_or_else(|| bad(key, "an object"))?.clone();
        }
        _ => return Err(format!("unknown setting: {key}")),
    }
    Ok(())
}

fn parse_client(id: &str, def: &Value) -> Result<ClientDef, String> {
    let obj = def.as_object().ok_or_else(|| format!("clients.{id}: expected an object"))?;
    let mut c = ClientDef { secret: None, direct_access: true };
    for (k, v) in obj {
        match k.as_str() {
            "secret" => {
                c.secret = match v {
                    Value::Null => None,
                    Value::String(x) => Some(x.clone()),
                    _ => return Err(format!("clients.{id}.secret: expected a string or null")),
                }
            }
            "direct_access" => {
                c.direct_access =
                    v.as_bool().ok_or_else(|| format!("clients.{id}.direct_access: expected true or false"))?
            }
            _ => return Err(format!("clients.{id}: unknown key {k}")),
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetime_follows_expires_in_and_jwt_lifetime() {
        let mut s = Settings::default();
        assert_eq!(s.lifetime_ms(), 300_000);
        s.expires_in = json!("60");
        assert_eq!(s.lifetime_ms(), 60_000);
        s.expires_in = Value::Null;
        assert_eq!(s.lifetime_ms(), 300_000);
        s.jwt_lifetime = Some(1.5);
        assert_eq!(s.lifetime_ms(), 1_500);
    }

    #[test]
    fn merge_is_atomic_and_names_the_key() {
        let s = Settings::default();
        let err = s.merged(&json!({"delay_ms": 5, "nope": 1})).expect_err("unknown key");
        assert!(err.contains("nope"));
        assert_eq!(s.delay_ms, 0);
        let m = s.merged(&json!({"clients": {"x": {"secret": null}}, "token_format": "opaque"})).expect("valid");
        assert!(m.clients["x"].secret.is_none());
        assert!(m.clients["x"].direct_access);
        assert_eq!(m.token_format, TokenFormat::Opaque);
        assert!(s.merged(&json!({"delay_ms": 999_999})).is_err());
    }
}
