//! A validated configuration: presets applied, defaults filled, secrets read, URLs checked,
//! the cache key and credential fingerprint computed. Every configuration error surfaces here,
//! when the client is constructed.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::LazyLock;
use std::time::Duration;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use url::Url;

use crate::config::{BodyFormat, ClientAuth, Config, Grant};
use crate::error::Error;
use crate::preset;

/// Which cache holds tokens.
pub(crate) enum CacheKind {
    /// One store per process.
    Memory,
    /// One document per key in this folder.
    File(std::path::PathBuf),
    /// A Redis server shared by hosts.
    Redis(std::sync::Arc<crate::cache::redis::RedisCache>),
}

/// Parses `cache`: `memory`, `file`, `file:/dir`, `redis://…`, `rediss://…`.
pub(crate) fn parse_cache(spec: &str) -> Result<CacheKind, Error> {
    match spec {
        "memory" => Ok(CacheKind::Memory),
        "file" => match crate::cache::file::default_dir() {
            Some(d) => Ok(CacheKind::File(d)),
            None => Err(Error::config(
                "cache",
                "cache `file` needs XDG_CACHE_HOME or HOME to find its folder: use file:/some/dir",
            )),
        },
        s if s.starts_with("file:") => {
            let dir = &s["file:".len()..];
            if dir.is_empty() {
                return Err(Error::config(
                    "cache",
                    "cache `file:` needs a folder after the colon, e.g. file:/var/cache/tokenwell",
                ));
            }
            Ok(CacheKind::File(std::path::PathBuf::from(dir)))
        }
        s if s.starts_with("redis://") || s.starts_with("rediss://") => {
            Ok(CacheKind::Redis(crate::cache::redis::RedisCache::for_url(s)?))
        }
        _ => Err(Error::config("cache", "`cache` must be memory, file, file:/some/dir, redis://… or rediss://…")),
    }
}

pub(crate) struct Settings {
    pub token_url: Option<Url>,
    pub issuer: Option<Url>,
    pub grant: Grant,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub refresh_token: Option<SecretString>,
    pub scope: Vec<String>,
    pub audience: Option<String>,
    pub resource: Option<String>,
    pub extra: BTreeMap<String, String>,
    pub client_auth: ClientAuth,
    pub client_auth_explicit: bool,
    pub body: BodyFormat,
    pub send_grant_type: bool,
    pub leeway: Duration,
    pub refresh_ahead: Duration,
    pub use_refresh_token: bool,
    pub error_backoff: Duration,
    pub default_lifetime: Duration,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retries: u32,
    pub ca_certs: Vec<reqwest::Certificate>,
    pub proxy: Option<reqwest::Proxy>,
    /// What makes two HTTP clients interchangeable (see `transport::http_client`).
    pub http_key: String,
    pub allow_http: bool,
    pub headers: reqwest::header::HeaderMap,
    pub cache: CacheKind,
    pub cache_secret: Option<SecretString>,
    pub cache_key: String,
    pub fingerprint: [u8; 32],
    /// SHA-256 of everything that shapes the token request besides the secrets (endpoint,
    /// grant, client id, username, scope, audience, resource, extra, client_auth, body,
    /// send_grant_type, headers): an `oauth` error recorded for other processes holds back only
    /// a request that would be the same.
    pub request_shape: [u8; 32],
}

/// See [`Settings::request_shape`].
fn request_shape(s: &Settings) -> [u8; 32] {
    let mut h = Sha256::new();
    let mut field = |name: &str, value: &[u8]| {
        h.update((name.len() as u64).to_be_bytes());
        h.update(name.as_bytes());
        h.update((value.len() as u64).to_be_bytes());
        h.update(value);
    };
    field("token_url", s.token_url.as_ref().map_or("", Url::as_str).as_bytes());
    field("issuer", s.issuer.as_ref().map_or("", Url::as_str).as_bytes());
    field("grant", s.grant.as_str().as_bytes());
    field("client_id", s.client_id.as_deref().unwrap_or("").as_bytes());
    field("username", s.username.as_deref().unwrap_or("").as_bytes());
    field("scope", s.scope.join(" ").as_bytes());
    field("audience", s.audience.as_deref().unwrap_or("").as_bytes());
    field("resource", s.resource.as_deref().unwrap_or("").as_bytes());
    for (k, v) in &s.extra {
        field(&format!("extra.{k}"), v.as_bytes());
    }
    field("client_auth", format!("{:?}/{}", s.client_auth, s.client_auth_explicit).as_bytes());
    field("body", format!("{:?}", s.body).as_bytes());
    field("send_grant_type", &[u8::from(s.send_grant_type)]);
    for (k, v) in &s.headers {
        field(&format!("header.{k}"), v.as_bytes());
    }
    h.finalize().into()
}

/// Body fields tokenwell sets itself; `extra` may not override them.
const RESERVED_FIELDS: &[&str] = &[
    "grant_type",
    "client_id",
    "client_secret",
    "username",
    "password",
    "refresh_token",
    "scope",
    "audience",
    "resource",
];

/// A duration key; fields set directly on `Config` (not parsed) are checked here, since
/// `Duration::from_secs_f64` panics on a negative, NaN or huge value.
fn secs(key: &str, v: Option<f64>, default: f64) -> Result<Duration, Error> {
    match v.unwrap_or(default) {
        s if s.is_finite() && (0.0..=31_536_000.0).contains(&s) => Ok(Duration::from_secs_f64(s)),
        _ => Err(Error::config(key, format!("`{key}` must be a number of seconds from 0 to a year"))),
    }
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Parses and checks an endpoint URL: http(s) only, plain HTTP only on loopback or with
/// `allow_http`, no credentials inside.
pub(crate) fn check_url(key: &str, text: &str, allow_http: bool) -> Result<Url, Error> {
    let url = Url::parse(text.trim())
        .map_err(|e| Error::config(key, format!("`{key}` is not a valid URL ({e}): give an absolute https:// URL")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http || is_loopback(&url) => {}
        "http" => {
            return Err(Error::config(
                key,
                format!("`{key}` uses plain http:// to {}: credentials would cross the network unencrypted; use https://, or set allow_http = true if you must", url.host_str().unwrap_or("?")),
            ))
        }
        other => return Err(Error::config(key, format!("`{key}` must be an http(s) URL, not {other}://"))),
    }
    if url.host().is_none() {
        return Err(Error::config(key, format!("`{key}` has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(key, format!("`{key}` must not carry credentials: use client_id and client_secret")));
    }
    Ok(url)
}

/// The URL as it enters the cache key: scheme and host lower-cased (the `url` crate does that),
/// the default port dropped, the path as given.
fn normalized(url: &Url) -> String {
    let mut s = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
    if let Some(port) = url.port() {
        s.push_str(&format!(":{port}"));
    }
    s.push_str(url.path());
    if let Some(q) = url.query() {
        s.push('?');
        s.push_str(q);
    }
    s
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The process-wide salt of the memory cache's credential fingerprints.
static PROCESS_SALT: LazyLock<[u8; 32]> = LazyLock::new(|| {
    let mut salt = [0u8; 32];
    if getrandom::getrandom(&mut salt).is_err() {
        // No OS randomness: fall back to something unpredictable enough for an in-process key.
        let seed = format!("{:?}{}", std::time::SystemTime::now(), std::process::id());
        salt.copy_from_slice(&Sha256::digest(seed.as_bytes()));
    }
    salt
});

impl Settings {
    pub(crate) fn build(mut c: Config) -> Result<Settings, Error> {
        preset::apply(&mut c)?;
        let allow_http = c.allow_http.unwrap_or(false);
        let grant = c.grant.unwrap_or_default();

        let token_url = c.token_url.as_deref().map(|u| check_url("token_url", u, allow_http)).transpose()?;
        let issuer = c.issuer.as_deref().map(|u| check_url("issuer", u, allow_http)).transpose()?;
        if token_url.is_none() && issuer.is_none() {
            return Err(Error::config(
                "token_url",
                "no token endpoint: give `token_url`, an OIDC `issuer`, or a `preset`",
            ));
        }

        let client_secret = c.client_secret.as_ref().map(|s| s.resolve("client_secret")).transpose()?;
        let password = c.password.as_ref().map(|s| s.resolve("password")).transpose()?;
        let refresh_token = c.refresh_token.as_ref().map(|s| s.resolve("refresh_token")).transpose()?;
        let cache_secret = c.cache_secret.as_ref().map(|s| s.resolve("cache_secret")).transpose()?;
        let client_id = c.client_id.clone().filter(|s| !s.is_empty());

        match grant {
            Grant::Password => {
                if c.username.as_deref().unwrap_or("").is_empty() {
                    return Err(Error::config("username", "grant `password` needs `username`"));
                }
                if password.is_none() {
                    return Err(Error::config(
                        "password",
                        "grant `password` needs `password` (inline, {\"env\": NAME} or {\"file\": PATH})",
                    ));
                }
            }
            Grant::ClientCredentials => {
                if client_id.is_none() {
                    return Err(Error::config("client_id", "grant `client_credentials` needs `client_id`"));
                }
                if client_secret.is_none() {
                    return Err(Error::config("client_secret", "grant `client_credentials` needs `client_secret`"));
                }
            }
            Grant::RefreshToken => {
                if refresh_token.is_none() {
                    return Err(Error::config("refresh_token", "grant `refresh_token` needs `refresh_token`"));
                }
            }
        }
        if grant != Grant::Password {
            if c.username.is_some() {
                return Err(Error::config(
                    "username",
                    format!(
                        "`username` is only used with grant `password`, but grant is `{}`: set grant = \"password\"",
                        grant.as_str()
                    ),
                ));
            }
            if c.password.is_some() {
                return Err(Error::config(
                    "password",
                    format!(
                        "`password` is only used with grant `password`, but grant is `{}`: set grant = \"password\"",
                        grant.as_str()
                    ),
                ));
            }
        }
        let client_auth = c.client_auth.unwrap_or_default();
        if client_auth == ClientAuth::Basic && client_id.is_none() {
            return Err(Error::config("client_auth", "client_auth `basic` needs `client_id`"));
        }
        if client_secret.is_some() && client_id.is_none() {
            return Err(Error::config("client_id", "`client_secret` is set but `client_id` is not"));
        }

        let extra = c.extra.clone().unwrap_or_default();
        for k in extra.keys() {
            if RESERVED_FIELDS.contains(&k.as_str()) {
                return Err(Error::config(
                    "extra",
                    format!("`extra` may not set `{k}`: tokenwell sends it from its own key"),
                ));
            }
        }

        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in c.headers.iter().flatten() {
            let n = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::config("headers", format!("`headers`: `{name}` is not a valid header name")))?;
            let mut v = reqwest::header::HeaderValue::from_str(value).map_err(|_| {
                Error::config("headers", format!("`headers`: the value of `{name}` is not a valid header value"))
            })?;
            v.set_sensitive(true);
            headers.insert(n, v);
        }

        let timeout = secs("timeout", c.timeout, 30.0)?;
        if timeout.is_zero() {
            return Err(Error::config("timeout", "`timeout` must be more than 0 seconds"));
        }
        let connect_timeout = secs("connect_timeout", c.connect_timeout, 10.0)?;
        if connect_timeout.is_zero() {
            return Err(Error::config("connect_timeout", "`connect_timeout` must be more than 0 seconds"));
        }
        let retries = c.retries.unwrap_or(2);
        if retries > 10 {
            return Err(Error::config("retries", "`retries` is at most 10"));
        }

        let mut ca_certs = Vec::new();
        if let Some(path) = &c.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| Error::config("ca_file", format!("`ca_file` {} cannot be read ({e})", path.display())))?;
            ca_certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|_| {
                Error::config("ca_file", format!("`ca_file` {} holds no valid PEM certificate", path.display()))
            })?;
            if ca_certs.is_empty() {
                return Err(Error::config("ca_file", format!("`ca_file` {} holds no PEM certificate", path.display())));
            }
        }
        let proxy = match &c.proxy {
            None => None,
            Some(p) => {
                let url = Url::parse(p).map_err(|_| {
                    Error::config("proxy", "`proxy` is not a valid URL (e.g. http://proxy.internal:3128)")
                })?;
                if !matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h") {
                    return Err(Error::config("proxy", "`proxy` must be an http://, https:// or socks5:// URL"));
                }
                Some(
                    reqwest::Proxy::all(url.as_str())
                        .map_err(|_| Error::config("proxy", "`proxy` is not a usable proxy URL"))?,
                )
            }
        };

        let cache = parse_cache(c.cache.as_deref().unwrap_or("memory"))?;

        let scope = c.scope.as_ref().map(|s| s.items()).unwrap_or_default();
        let endpoint = match (&token_url, &issuer) {
            (Some(u), _) => normalized(u),
            (None, Some(i)) => format!("issuer:{}", normalized(i)),
            (None, None) => String::new(),
        };
        let cache_key = match &c.cache_key {
            Some(k) => {
                if k.is_empty()
                    || k.len() > 128
                    || !k.chars().all(|ch| ch.is_ascii_alphanumeric() || "._-".contains(ch))
                    || k.starts_with('.')
                {
                    return Err(Error::config(
                        "cache_key",
                        "`cache_key` must be 1–128 characters of letters, digits, `.`, `_` and `-`",
                    ));
                }
                k.clone()
            }
            None => derive_cache_key(
                &endpoint,
                grant,
                client_id.as_deref(),
                c.username.as_deref(),
                &scope,
                c.audience.as_deref(),
                c.resource.as_deref(),
                &extra,
            ),
        };
        let salt = cache_secret
            .as_ref()
            .map(|s| s.expose_secret().as_bytes().to_vec())
            .unwrap_or_else(|| PROCESS_SALT.to_vec());
        let fingerprint = fingerprint(&salt, &[client_secret.as_ref(), password.as_ref(), refresh_token.as_ref()]);

        // Plain-HTTP-only clients skip loading the system's trust store (milliseconds).
        let tls = issuer.is_some() || token_url.as_ref().is_some_and(|u| u.scheme() == "https");
        let http_key = format!(
            "{:?}|{:?}|{:?}|{:?}|{tls}",
            timeout,
            connect_timeout,
            c.ca_file.as_ref().map(|p| p.display().to_string()),
            c.proxy
        );
        Ok(Settings {
            token_url,
            issuer,
            grant,
            client_id,
            client_secret,
            username: c.username.clone(),
            password,
            refresh_token,
            scope,
            audience: c.audience.clone(),
            resource: c.resource.clone(),
            extra,
            client_auth,
            client_auth_explicit: c.client_auth.is_some(),
            body: c.body.unwrap_or_default(),
            send_grant_type: c.send_grant_type.unwrap_or(true),
            leeway: secs("leeway", c.leeway, 30.0)?,
            refresh_ahead: secs("refresh_ahead", c.refresh_ahead, 60.0)?,
            use_refresh_token: c.use_refresh_token.unwrap_or(true),
            error_backoff: secs("error_backoff", c.error_backoff, 5.0)?,
            default_lifetime: secs("default_lifetime", c.default_lifetime, 300.0)?,
            timeout,
            connect_timeout,
            retries,
            ca_certs,
            proxy,
            http_key,
            allow_http,
            headers,
            cache,
            cache_secret,
            cache_key,
            fingerprint,
            request_shape: [0; 32],
        })
        .map(|mut s| {
            s.request_shape = request_shape(&s);
            s
        })
    }

    /// The credential fingerprint keyed with `key` (a shared cache's salt or `cache_secret`).
    pub(crate) fn fingerprint_keyed(&self, key: &[u8]) -> [u8; 32] {
        fingerprint(key, &[self.client_secret.as_ref(), self.password.as_ref(), self.refresh_token.as_ref()])
    }

    /// Every secret this configuration holds, to scrub server text of them.
    pub(crate) fn secrets(&self) -> Vec<&str> {
        [&self.client_secret, &self.password, &self.refresh_token]
            .into_iter()
            .flatten()
            .map(|s| s.expose_secret())
            .collect()
    }
}

/// SHA-256 over the fields that make two configurations ask for the same token (DESIGN §5),
/// hex-encoded. Never includes a secret.
#[allow(clippy::too_many_arguments)]
pub(crate) fn derive_cache_key(
    endpoint: &str,
    grant: Grant,
    client_id: Option<&str>,
    username: Option<&str>,
    scope: &[String],
    audience: Option<&str>,
    resource: Option<&str>,
    extra: &BTreeMap<String, String>,
) -> String {
    let mut scopes: Vec<&str> = scope.iter().map(String::as_str).collect();
    scopes.sort_unstable();
    scopes.dedup();
    let mut h = Sha256::new();
    let mut field = |name: &str, value: &str| {
        // Length-prefixed, so no two different inputs share a byte string.
        h.update((name.len() as u64).to_be_bytes());
        h.update(name.as_bytes());
        h.update((value.len() as u64).to_be_bytes());
        h.update(value.as_bytes());
    };
    field("v", "1");
    field("token_url", endpoint);
    field("grant", grant.as_str());
    field("client_id", client_id.unwrap_or(""));
    field("username", username.unwrap_or(""));
    field("scope", &scopes.join(" "));
    field("audience", audience.unwrap_or(""));
    field("resource", resource.unwrap_or(""));
    for (k, v) in extra {
        field(&format!("extra.{k}"), v);
    }
    hex(&h.finalize())
}

fn fingerprint(salt: &[u8], secrets: &[Option<&SecretString>]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(salt).unwrap_or_else(|_| {
        // HMAC takes keys of any length; this branch is unreachable, but stays panic-free.
        <Hmac<Sha256> as Mac>::new_from_slice(&[0u8; 32]).expect("32-byte HMAC key")
    });
    for s in secrets {
        match s {
            Some(s) => {
                mac.update(&[1]);
                mac.update(&(s.expose_secret().len() as u64).to_be_bytes());
                mac.update(s.expose_secret().as_bytes());
            }
            None => mac.update(&[0]),
        }
    }
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn build(v: serde_json::Value) -> Result<Settings, Error> {
        Settings::build(Config::from_value(v)?)
    }

    #[test]
    fn cache_key_normalizes() {
        let a = build(json!({"token_url": "HTTPS://Example.COM:443/Token", "client_id": "c", "client_secret": "s", "scope": "b a a"})).unwrap();
        let b = build(json!({"token_url": "https://example.com/Token", "client_id": "c", "client_secret": "other", "scope": ["a", "b"]})).unwrap();
        assert_eq!(a.cache_key, b.cache_key);
        assert_ne!(a.fingerprint, b.fingerprint);
        let c =
            build(json!({"token_url": "https://example.com/token", "client_id": "c", "client_secret": "s"})).unwrap();
        assert_ne!(a.cache_key, c.cache_key, "path case is kept");
        assert_eq!(a.cache_key.len(), 64);
    }

    #[test]
    fn presets_fill_token_urls() {
        let s = build(
            json!({"preset": "binarly", "tenant": "Acme", "grant": "password", "username": "u", "password": "p"}),
        )
        .unwrap();
        assert_eq!(
            s.token_url.unwrap().as_str(),
            "https://auth-acme.binarly.cloud/realms/BinarlyRealm/protocol/openid-connect/token"
        );
        assert_eq!(s.client_id.as_deref(), Some("BinarlyClient"));
        assert_eq!(s.scope, vec!["openid"]);
        let s = build(json!({"preset": "phasetwo", "realm": "r1", "client_id": "admin-cli", "client_secret": "x"}))
            .unwrap();
        assert_eq!(
            s.token_url.unwrap().as_str(),
            "https://app.phasetwo.io/auth/realms/r1/protocol/openid-connect/token"
        );
        let s = build(json!({"preset": "butlr", "grant": "password", "username": "u", "password": "p"})).unwrap();
        assert_eq!(s.token_url.unwrap().as_str(), "https://api.butlr.io/api/v2/login");
        assert!(!s.send_grant_type);
        assert_eq!(s.body, BodyFormat::Json);
        assert!(!s.use_refresh_token);
        let s = build(json!({"preset": "butlr", "client_id": "i", "client_secret": "x"})).unwrap();
        assert_eq!(s.token_url.unwrap().as_str(), "https://api.butlr.io/api/v2/clients/login");
        assert_eq!(s.audience.as_deref(), Some("https://butlrauth/"));
        let s = build(json!({"preset": "semansys", "grant": "password", "client_id": "i", "client_secret": "x", "username": "u", "password": "p"})).unwrap();
        assert_eq!(s.token_url.unwrap().as_str(), "https://oidc-pre.semansys.com/connect/token");
        let s = build(json!({"preset": "keycloak", "base_url": "http://127.0.0.1:8080/", "realm": "demo", "client_id": "i", "client_secret": "x"})).unwrap();
        assert_eq!(s.token_url.unwrap().as_str(), "http://127.0.0.1:8080/realms/demo/protocol/openid-connect/token");
        let s = build(json!({"preset": "binarly", "base_url": "http://localhost:9", "grant": "password", "username": "u", "password": "p"})).unwrap();
        assert_eq!(
            s.token_url.unwrap().as_str(),
            "http://localhost:9/realms/BinarlyRealm/protocol/openid-connect/token"
        );
        let s =
            build(json!({"preset": "keycloak", "token_url": "https://x/t", "client_id": "i", "client_secret": "x"}))
                .unwrap();
        assert_eq!(s.token_url.unwrap().as_str(), "https://x/t");
    }

    #[test]
    fn configuration_errors_name_the_key() {
        let cases = [
            (json!({}), "token_url"),
            (json!({"preset": "keycloak", "realm": "r", "client_id": "i", "client_secret": "x"}), "base_url"),
            (json!({"preset": "keycloack"}), "preset"),
            (json!({"preset": "binarly", "grant": "password", "username": "u", "password": "p"}), "tenant"),
            (json!({"realm": "r", "token_url": "https://x/t"}), "realm"),
            (json!({"token_url": "https://x/t", "grant": "password", "password": "p"}), "username"),
            (json!({"token_url": "https://x/t", "grant": "password", "username": "u"}), "password"),
            (json!({"token_url": "https://x/t", "client_id": "i"}), "client_secret"),
            (json!({"token_url": "https://x/t", "grant": "refresh_token"}), "refresh_token"),
            (json!({"token_url": "http://example.com/t", "client_id": "i", "client_secret": "s"}), "token_url"),
            (json!({"token_url": "ftp://example.com/t", "client_id": "i", "client_secret": "s"}), "token_url"),
            (json!({"token_url": "not a url", "client_id": "i", "client_secret": "s"}), "token_url"),
            (
                json!({"token_url": "https://x/t", "client_id": "i", "client_secret": "s", "extra": {"grant_type": "x"}}),
                "extra",
            ),
            (
                json!({"token_url": "https://x/t", "client_id": "i", "client_secret": "s", "headers": {"bad name": "x"}}),
                "headers",
            ),
            (json!({"token_url": "https://x/t", "client_id": "i", "client_secret": "s", "timeout": 0}), "timeout"),
            (json!({"token_url": "https://x/t", "client_id": "i", "client_secret": "s", "retries": 11}), "retries"),
            (
                json!({"token_url": "https://x/t", "client_id": "i", "client_secret": "s", "ca_file": "/nonexistent/ca.pem"}),
                "ca_file",
            ),
            (json!({"token_url": "https://x/t", "client_id": "i", "client_secret": "s", "proxy": "::"}), "proxy"),
            (json!({"token_url": "https://x/t", "client_id": "i", "client_secret": "s", "cache": "disk"}), "cache"),
            (
                json!({"token_url": "https://x/t", "client_id": "i", "client_secret": "s", "cache_key": "../etc"}),
                "cache_key",
            ),
            (
                json!({"token_url": "https://x/t", "client_id": "i", "client_secret": {"env": "TW_SURELY_UNSET_VAR"}}),
                "client_secret",
            ),
            (
                json!({"token_url": "https://x/t", "client_id": "i", "client_secret": {"file": "/nonexistent/secret"}}),
                "client_secret",
            ),
            (json!({"token_url": "https://x/t", "client_id": "i", "client_secret": "s", "username": "u"}), "username"),
        ];
        for (cfg, key) in cases {
            let err = build(cfg.clone()).err().unwrap_or_else(|| panic!("{cfg} built"));
            assert_eq!(err.key(), Some(key), "{cfg}: {err}");
        }
    }

    #[test]
    fn durations_set_directly_are_checked_not_panicking() {
        for bad in [-1.0, f64::NAN, f64::INFINITY, 1e300] {
            let mut c = Config::from_value(json!({"token_url": "https://h/t", "client_id": "c", "client_secret": "s"}))
                .unwrap();
            c.timeout = Some(bad);
            assert_eq!(Settings::build(c).err().and_then(|e| e.key().map(str::to_owned)).as_deref(), Some("timeout"));
        }
    }

    #[test]
    fn loopback_http_allowed() {
        for u in ["http://localhost:1/t", "http://127.0.0.5/t", "http://[::1]:80/t"] {
            build(json!({"token_url": u, "client_id": "i", "client_secret": "s"})).unwrap();
        }
        build(json!({"token_url": "http://example.com/t", "allow_http": true, "client_id": "i", "client_secret": "s"}))
            .unwrap();
    }
}
