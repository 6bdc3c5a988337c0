//! The configuration schema of DESIGN §2, shared by every binding: parsing from JSON-like values
//! (snake_case or camelCase keys), `${NAME}` expansion, and the key-naming errors.
//! Validation and presets happen when a client is built (see `settings`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::Error;
use crate::secret::SecretSource;

/// The grant used to get the first token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// RFC 6749 §4.4: the client's own credentials.
    #[default]
    ClientCredentials,
    /// RFC 6749 §4.3: a user's username and password.
    Password,
    /// RFC 6749 §6: start from a refresh token the user already holds.
    RefreshToken,
}

impl Grant {
    /// The `grant_type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Grant::ClientCredentials => "client_credentials",
            Grant::Password => "password",
            Grant::RefreshToken => "refresh_token",
        }
    }
}

/// Where the client secret goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// In the request body (`client_id`, `client_secret`), as every provider document does.
    #[default]
    Post,
    /// HTTP Basic, RFC 6749 §2.3.1.
    Basic,
    /// Nowhere: a public client (only `client_id` is sent).
    None,
}

/// Request body encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BodyFormat {
    /// `application/x-www-form-urlencoded` (RFC 6749).
    #[default]
    Form,
    /// `application/json` (Auth0-style APIs such as Butlr).
    Json,
}

/// `scope` as one space-separated string or a list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Scope {
    /// `"openid profile"`.
    Text(String),
    /// `["openid", "profile"]`.
    List(Vec<String>),
}

impl Scope {
    /// The scopes in the order given, empty entries dropped.
    pub fn items(&self) -> Vec<String> {
        match self {
            Scope::Text(s) => s.split_whitespace().map(str::to_owned).collect(),
            Scope::List(l) => l.iter().flat_map(|s| s.split_whitespace()).map(str::to_owned).collect(),
        }
    }
}

/// Every key of DESIGN §2. All optional; defaults and presets apply when the client is built.
///
/// Build it field by field, or parse it from JSON/TOML with [`Config::from_json`],
/// [`Config::from_value`] or serde (unknown keys are errors that name the key).
///
/// ```
/// let config = tokenwell::Config::from_json(r#"{
///     "preset": "keycloak", "base_url": "https://sso.example.com", "realm": "demo",
///     "client_id": "svc", "client_secret": {"env": "SVC_SECRET"}
/// }"#).unwrap();
/// assert_eq!(config.realm.as_deref(), Some("demo"));
/// // Debug shows where a secret comes from, never a value; header and extra values are hidden.
/// let dbg = format!("{config:?}");
/// assert!(dbg.contains("Env(\"SVC_SECRET\")"));
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct Config {
    /// The token endpoint.
    pub token_url: Option<String>,
    /// OIDC issuer for discovery.
    pub issuer: Option<String>,
    /// A named provider shape (DESIGN §3).
    pub preset: Option<String>,
    /// Preset parameter.
    pub base_url: Option<String>,
    /// Preset parameter.
    pub realm: Option<String>,
    /// Preset parameter.
    pub tenant: Option<String>,
    /// The grant used to get the first token.
    pub grant: Option<Grant>,
    /// The client id.
    pub client_id: Option<String>,
    /// The client secret.
    pub client_secret: Option<SecretSource>,
    /// For `grant = password`.
    pub username: Option<String>,
    /// For `grant = password`.
    pub password: Option<SecretSource>,
    /// For `grant = refresh_token`.
    pub refresh_token: Option<SecretSource>,
    /// Requested scope.
    pub scope: Option<Scope>,
    /// Auth0-style audience.
    pub audience: Option<String>,
    /// RFC 8707 resource indicator.
    pub resource: Option<String>,
    /// More body fields, sent as given.
    pub extra: Option<BTreeMap<String, String>>,
    /// Where the client secret goes.
    pub client_auth: Option<ClientAuth>,
    /// Request encoding.
    pub body: Option<BodyFormat>,
    /// `false` omits `grant_type`.
    pub send_grant_type: Option<bool>,
    /// Seconds before expiry to renew (default 30, capped at half the lifetime).
    pub leeway: Option<f64>,
    /// Seconds of background renewal ahead of the renewal point (default 60; 0 = off).
    pub refresh_ahead: Option<f64>,
    /// Renew with the refresh token when one was issued (default true).
    pub use_refresh_token: Option<bool>,
    /// Seconds an `oauth` error is re-raised without asking again (default 5).
    pub error_backoff: Option<f64>,
    /// Lifetime assumed without `expires_in` or JWT `exp` (default 300).
    pub default_lifetime: Option<f64>,
    /// Per-request timeout in seconds (default 30).
    pub timeout: Option<f64>,
    /// Connect timeout in seconds (default 10).
    pub connect_timeout: Option<f64>,
    /// Extra tries on retryable failures (default 2).
    pub retries: Option<u32>,
    /// Extra PEM roots.
    pub ca_file: Option<PathBuf>,
    /// Proxy URL.
    pub proxy: Option<String>,
    /// Allow plain `http://` off loopback.
    pub allow_http: Option<bool>,
    /// Extra request headers.
    pub headers: Option<BTreeMap<String, String>>,
    /// `memory`, `file`, `file:/dir`, `redis://…`.
    pub cache: Option<String>,
    /// Override of the derived cache key.
    pub cache_key: Option<String>,
    /// Encrypts cached tokens at rest.
    pub cache_secret: Option<SecretSource>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys = |m: &Option<BTreeMap<String, String>>| m.as_ref().map(|m| m.keys().cloned().collect::<Vec<_>>());
        // URLs may carry credentials (`redis://:pw@host`, `?api_key=…`).
        let url = |u: &Option<String>| u.as_deref().map(crate::secret::shown_url);
        f.debug_struct("Config")
            .field("token_url", &url(&self.token_url))
            .field("issuer", &url(&self.issuer))
            .field("preset", &self.preset)
            .field("base_url", &url(&self.base_url))
            .field("realm", &self.realm)
            .field("tenant", &self.tenant)
            .field("grant", &self.grant)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("refresh_token", &self.refresh_token)
            .field("scope", &self.scope)
            .field("audience", &self.audience)
            .field("resource", &self.resource)
            .field("extra_keys", &keys(&self.extra))
            .field("client_auth", &self.client_auth)
            .field("body", &self.body)
            .field("headers_keys", &keys(&self.headers))
            .field("cache", &url(&self.cache))
            .field("cache_key", &self.cache_key)
            .field("cache_secret", &self.cache_secret)
            .finish_non_exhaustive()
    }
}

/// Every configuration key, in DESIGN §2's order.
pub const KEYS: &[&str] = &[
    "token_url",
    "issuer",
    "preset",
    "base_url",
    "realm",
    "tenant",
    "grant",
    "client_id",
    "client_secret",
    "username",
    "password",
    "refresh_token",
    "scope",
    "audience",
    "resource",
    "extra",
    "client_auth",
    "body",
    "send_grant_type",
    "leeway",
    "refresh_ahead",
    "use_refresh_token",
    "error_backoff",
    "default_lifetime",
    "timeout",
    "connect_timeout",
    "retries",
    "ca_file",
    "proxy",
    "allow_http",
    "headers",
    "cache",
    "cache_key",
    "cache_secret",
];

/// How keys are spelled in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStyle {
    /// `token_url` (Python, JSON, TOML, Go tags).
    Snake,
    /// `tokenUrl` (Node).
    Camel,
}

/// `token_url` → `tokenUrl`.
pub fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn spell(key: &str, style: KeyStyle) -> String {
    match style {
        KeyStyle::Snake => key.to_owned(),
        KeyStyle::Camel => camel_case(key),
    }
}

impl Error {
    /// The error with configuration keys spelled in `style`: Node's `tokenUrl` for errors
    /// raised after parsing (by `Client::new`), which name keys in snake_case.
    pub fn in_style(self, style: KeyStyle) -> Error {
        if style == KeyStyle::Snake || self.key().is_none() {
            return self;
        }
        let key = self.key().unwrap_or_default();
        let key = if KEYS.contains(&key) { camel_case(key) } else { key.to_owned() };
        let mut message = self.message().to_owned();
        for k in KEYS.iter().filter(|k| k.contains('_')) {
            message = replace_word(&message, k, &camel_case(k));
        }
        Error::config(key, message)
    }
}

/// Replaces `word` where it is not part of a longer identifier, nor a grant's name
/// ("grant `refresh_token` needs `refresh_token`").
fn replace_word(text: &str, word: &str, with: &str) -> String {
    let ident = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(word) {
        out.push_str(&rest[..i]);
        let after = rest[i + word.len()..].chars().next();
        let keep = ident(out.chars().last()) || ident(after) || out.ends_with("grant `");
        out.push_str(if keep { word } else { with });
        rest = &rest[i + word.len()..];
    }
    out.push_str(rest);
    out
}

/// "did you mean" for an unknown key, in the caller's spelling.
fn suggest(given: &str, style: KeyStyle) -> Option<String> {
    let given_l = given.to_ascii_lowercase();
    KEYS.iter()
        .map(|k| spell(k, style))
        .map(|k| (strsim::jaro_winkler(&given_l, &k.to_ascii_lowercase()), k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

fn parse_field<T: DeserializeOwned>(key: &str, value: Value, expected: &str) -> Result<T, Error> {
    serde_json::from_value(value.clone()).map_err(|e| {
        let got = match &value {
            Value::Null => "null".to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            // Never echo a string value: it may be a secret.
            Value::String(_) => "a string".to_owned(),
            Value::Array(_) => "a list".to_owned(),
            Value::Object(_) => "an object".to_owned(),
        };
        let detail = e.to_string();
        // serde's "unknown variant" text names the accepted values; keep it when it is about
        // an enum, since those values are never secrets.
        if detail.starts_with("unknown variant") {
            // serde names the accepted values after "expected"; the given value is not repeated
            // (a secret pasted into the wrong field must not reach the message).
            let accepted = detail.split("expected ").nth(1).unwrap_or(expected);
            let accepted = accepted.split(" at line").next().unwrap_or(accepted);
            Error::config(key, format!("`{key}` must be {accepted}, got another value"))
        } else {
            Error::config(key, format!("`{key}` must be {expected}, got {got}"))
        }
    })
}

fn parse_seconds(key: &str, value: Value) -> Result<f64, Error> {
    let secs: f64 = parse_field(key, value, "a number of seconds")?;
    if !secs.is_finite() || secs < 0.0 {
        return Err(Error::config(key, format!("`{key}` must be a number of seconds, 0 or more")));
    }
    if secs > 31_536_000.0 {
        return Err(Error::config(key, format!("`{key}` is over a year: give it in seconds")));
    }
    Ok(secs)
}

impl Config {
    /// Parses a JSON object with snake_case keys and expands `${NAME}` in its strings (the C
    /// constructor's and the CLI's path).
    ///
    /// ```
    /// std::env::set_var("TW_DOC_REALM", "demo");
    /// let c = tokenwell::Config::from_json(r#"{"token_url": "https://h/realms/${TW_DOC_REALM}/token"}"#).unwrap();
    /// assert_eq!(c.token_url.as_deref(), Some("https://h/realms/demo/token"));
    /// let err = tokenwell::Config::from_json(r#"{"token_ur": "x"}"#).unwrap_err();
    /// assert!(err.to_string().contains("did you mean `token_url`"));
    /// ```
    pub fn from_json(text: &str) -> Result<Config, Error> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Error::config("", format!("the configuration is not valid JSON ({}): fix the document", e)))?;
        Config::from_value_with(expand_value(value, "")?, KeyStyle::Snake)
    }

    /// Parses a TOML table (a CLI profile), expanding `${NAME}`.
    pub fn from_toml(text: &str) -> Result<Config, Error> {
        let table: toml::Table = toml::from_str(text)
            .map_err(|e| Error::config("", format!("the configuration is not valid TOML: {}", e.message())))?;
        let value = serde_json::to_value(table)
            .map_err(|e| Error::config("", format!("the configuration cannot be read: {e}")))?;
        Config::from_value_with(expand_value(value, "")?, KeyStyle::Snake)
    }

    /// Parses a JSON-like object with snake_case keys, without `${NAME}` expansion (Python
    /// keyword arguments, Rust values).
    pub fn from_value(value: Value) -> Result<Config, Error> {
        Config::from_value_with(value, KeyStyle::Snake)
    }

    /// Parses an object whose keys are spelled `style`; optionally expands `${NAME}` first.
    pub fn from_value_styled(value: Value, style: KeyStyle, expand: bool) -> Result<Config, Error> {
        let value = if expand { expand_value(value, "")? } else { value };
        Config::from_value_with(value, style)
    }

    fn from_value_with(value: Value, style: KeyStyle) -> Result<Config, Error> {
        let Value::Object(map) = value else {
            return Err(Error::config("", "the configuration must be an object of keys"));
        };
        let mut c = Config::default();
        for (given, v) in map {
            let key = match style {
                KeyStyle::Snake => given.clone(),
                KeyStyle::Camel => {
                    if given.contains('_') && KEYS.contains(&given.as_str()) {
                        let camel = camel_case(&given);
                        return Err(Error::config(
                            camel.clone(),
                            format!("unknown configuration key `{given}`: use `{camel}`"),
                        ));
                    }
                    match KEYS.iter().find(|k| camel_case(k) == given) {
                        Some(k) => (*k).to_owned(),
                        None => given.clone(),
                    }
                }
            };
            // `null` means "not given", as a missing key.
            if v.is_null() {
                if !KEYS.contains(&key.as_str()) {
                    return Err(unknown_key(&given, style));
                }
                continue;
            }
            c.set(&key, v).map_err(|e| match e {
                SetError::Unknown => unknown_key(&given, style),
                SetError::Bad(err) => rename_key(err, &given, &key),
            })?;
        }
        Ok(c)
    }

    fn set(&mut self, key: &str, v: Value) -> Result<(), SetError> {
        let s = |v: Value| parse_field::<String>(key, v, "a string");
        let secret =
            |v: Value| parse_field::<SecretSource>(key, v, r#"a string, {"env": "NAME"} or {"file": "/path"}"#);
        let b = |v: Value| parse_field::<bool>(key, v, "true or false");
        let map = |v: Value| parse_field::<BTreeMap<String, String>>(key, v, "a map of strings to strings");
        match key {
            "token_url" => self.token_url = Some(s(v)?),
            "issuer" => self.issuer = Some(s(v)?),
            "preset" => self.preset = Some(s(v)?),
            "base_url" => self.base_url = Some(s(v)?),
            "realm" => self.realm = Some(s(v)?),
            "tenant" => self.tenant = Some(s(v)?),
            "grant" => self.grant = Some(parse_field(key, v, "client_credentials, password or refresh_token")?),
            "client_id" => self.client_id = Some(s(v)?),
            "client_secret" => self.client_secret = Some(secret(v)?),
            "username" => self.username = Some(s(v)?),
            "password" => self.password = Some(secret(v)?),
            "refresh_token" => self.refresh_token = Some(secret(v)?),
            "scope" => self.scope = Some(parse_field(key, v, "a string or a list of strings")?),
            "audience" => self.audience = Some(s(v)?),
            "resource" => self.resource = Some(s(v)?),
            "extra" => self.extra = Some(map(v)?),
            "client_auth" => self.client_auth = Some(parse_field(key, v, "post, basic or none")?),
            "body" => self.body = Some(parse_field(key, v, "form or json")?),
            "send_grant_type" => self.send_grant_type = Some(b(v)?),
            "leeway" => self.leeway = Some(parse_seconds(key, v)?),
            "refresh_ahead" => self.refresh_ahead = Some(parse_seconds(key, v)?),
            "use_refresh_token" => self.use_refresh_token = Some(b(v)?),
            "error_backoff" => self.error_backoff = Some(parse_seconds(key, v)?),
            "default_lifetime" => self.default_lifetime = Some(parse_seconds(key, v)?),
            "timeout" => self.timeout = Some(parse_seconds(key, v)?),
            "connect_timeout" => self.connect_timeout = Some(parse_seconds(key, v)?),
            "retries" => self.retries = Some(parse_field(key, v, "a whole number, 0 or more")?),
            "ca_file" => self.ca_file = Some(PathBuf::from(s(v)?)),
            "proxy" => self.proxy = Some(s(v)?),
            "allow_http" => self.allow_http = Some(b(v)?),
            "headers" => self.headers = Some(map(v)?),
            "cache" => self.cache = Some(s(v)?),
            "cache_key" => self.cache_key = Some(s(v)?),
            "cache_secret" => self.cache_secret = Some(secret(v)?),
            _ => return Err(SetError::Unknown),
        }
        Ok(())
    }
}

enum SetError {
    Unknown,
    Bad(Error),
}

impl From<Error> for SetError {
    fn from(e: Error) -> Self {
        SetError::Bad(e)
    }
}

fn unknown_key(given: &str, style: KeyStyle) -> Error {
    let hint = match suggest(given, style) {
        Some(k) => format!(": did you mean `{k}`?"),
        None => String::new(),
    };
    Error::config(given, format!("unknown configuration key `{given}`{hint}"))
}

/// Re-spells the key of a value error in the caller's style (camelCase for Node).
fn rename_key(err: Error, given: &str, key: &str) -> Error {
    if given == key {
        return err;
    }
    let msg = err.message().replace(&format!("`{key}`"), &format!("`{given}`"));
    Error::config(given, msg)
}

impl<'de> Deserialize<'de> for Config {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        Config::from_value(Value::Object(map)).map_err(serde::de::Error::custom)
    }
}

/// Expands `${NAME}` from the environment in `text`; `$${` stays a literal `${`.
pub(crate) fn expand_vars(text: &str, key: &str) -> Result<String, Error> {
    if !text.contains('$') {
        return Ok(text.to_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(stripped) = after.strip_prefix("${") {
            out.push_str("${");
            rest = stripped;
        } else if let Some(body) = after.strip_prefix('{') {
            let Some(end) = body.find('}') else {
                return Err(Error::config(key, format!("`{key}` has an unclosed `${{` : write `${{NAME}}`")));
            };
            let name = &body[..end];
            let value = std::env::var(name).map_err(|_| {
                Error::config(
                    key,
                    format!("`{key}` refers to ${{{name}}}, which is not set in the environment: export it"),
                )
            })?;
            out.push_str(&value);
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn expand_value(value: Value, key: &str) -> Result<Value, Error> {
    Ok(match value {
        Value::String(s) => Value::String(expand_vars(&s, key)?),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| expand_value(v, key)).collect::<Result<_, _>>()?),
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let child = if key.is_empty() { k.clone() } else { key.to_owned() };
                out.insert(k, expand_value(v, &child)?);
            }
            Value::Object(out)
        }
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_key_suggests() {
        let e = Config::from_value(json!({"client_secre": "x"})).unwrap_err();
        assert_eq!(e.key(), Some("client_secre"));
        assert!(e.to_string().contains("did you mean `client_secret`"), "{e}");
        let e = Config::from_value(json!({"zzz": 1})).unwrap_err();
        assert_eq!(e.to_string(), "unknown configuration key `zzz`");
    }

    #[test]
    fn camel_case_keys() {
        let c = Config::from_value_styled(json!({"tokenUrl": "https://x/t", "clientId": "a"}), KeyStyle::Camel, false)
            .unwrap();
        assert_eq!(c.token_url.as_deref(), Some("https://x/t"));
        let e = Config::from_value_styled(json!({"token_url": "https://x/t"}), KeyStyle::Camel, false).unwrap_err();
        assert_eq!(e.key(), Some("tokenUrl"));
        assert!(e.to_string().contains("use `tokenUrl`"));
        let e = Config::from_value_styled(json!({"tokenURL": "x"}), KeyStyle::Camel, false).unwrap_err();
        assert!(e.to_string().contains("did you mean `tokenUrl`"), "{e}");
        let e = Config::from_value_styled(json!({"leeway": "x"}), KeyStyle::Camel, false).unwrap_err();
        assert_eq!(e.key(), Some("leeway"));
        let e = Config::from_value_styled(json!({"errorBackoff": -1}), KeyStyle::Camel, false).unwrap_err();
        assert_eq!(e.key(), Some("errorBackoff"));
        assert!(e.to_string().contains("`errorBackoff`"), "{e}");
    }

    #[test]
    fn bad_values_name_the_key_and_hide_strings() {
        let e = Config::from_value(json!({"leeway": "hunter2"})).unwrap_err();
        assert_eq!(e.key(), Some("leeway"));
        assert!(!e.to_string().contains("hunter2"));
        let e = Config::from_value(json!({"grant": "hunter2"})).unwrap_err();
        assert!(e.to_string().contains("client_credentials"), "{e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let e = Config::from_value(json!({"leeway": -1})).unwrap_err();
        assert_eq!(e.key(), Some("leeway"));
        let e = Config::from_value(json!({"client_secret": {"vault": "x"}})).unwrap_err();
        assert_eq!(e.key(), Some("client_secret"));
    }

    #[test]
    fn errors_respelled_for_camel_case() {
        let e = Error::config("client_secret", "grant `client_credentials` needs `client_secret`")
            .in_style(KeyStyle::Camel);
        assert_eq!(e.key(), Some("clientSecret"));
        assert_eq!(e.to_string(), "grant `client_credentials` needs `clientSecret`");
        let e = Error::config("refresh_token", "grant `refresh_token` needs `refresh_token`").in_style(KeyStyle::Camel);
        assert_eq!(e.to_string(), "grant `refresh_token` needs `refreshToken`");
    }

    #[test]
    fn scope_forms_and_null() {
        let c = Config::from_value(json!({"scope": ["a", "b c"], "realm": null})).unwrap();
        assert_eq!(c.scope.unwrap().items(), vec!["a", "b", "c"]);
        let c = Config::from_value(json!({"scope": " a  b "})).unwrap();
        assert_eq!(c.scope.unwrap().items(), vec!["a", "b"]);
    }

    #[test]
    fn expansion() {
        std::env::set_var("TW_CFG_TEST_A", "alpha");
        assert_eq!(expand_vars("x${TW_CFG_TEST_A}y", "k").unwrap(), "xalphay");
        assert_eq!(expand_vars("$${TW_CFG_TEST_A}", "k").unwrap(), "${TW_CFG_TEST_A}");
        assert_eq!(expand_vars("cost $5", "k").unwrap(), "cost $5");
        let e = expand_vars("${TW_CFG_NOT_SET_EVER}", "realm").unwrap_err();
        assert_eq!(e.key(), Some("realm"));
        let c = Config::from_toml("token_url = \"https://h/${TW_CFG_TEST_A}\"\nretries = 1\nleeway = 10").unwrap();
        assert_eq!(c.token_url.as_deref(), Some("https://h/alpha"));
        assert_eq!(c.leeway, Some(10.0));
    }
}
