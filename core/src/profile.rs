//! Profiles (DESIGN §6 "CLI"): the `[profiles.NAME]` tables of `config.toml`, read into
//! [`Config`] with `${NAME}` expansion and the `file` cache by default, chosen by name, and shown
//! with secrets redacted. The `tokenwell` CLI, Python's `Client.from_profile` and Node's
//! `Client.fromProfile` all read profiles through this module, so they agree.
//!
//! ```no_run
//! // ~/.config/tokenwell/config.toml:
//! //   [profiles.binarly]
//! //   preset = "binarly"
//! //   tenant = "acme"
//! //   grant = "password"
//! //   username = "${BINARLY_EMAIL}"
//! //   password = { env = "BINARLY_PASSWORD" }
//! # fn f() -> Result<(), tokenwell::Error> {
//! let config = tokenwell::profile::load(Some("binarly"), None)?;   // what from_profile("binarly") does
//! let client = tokenwell::Client::new(config)?;                      // shares the CLI's file cache
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::config::{Config, Grant, KeyStyle};
use crate::error::Error;
use crate::secret::SecretSource;
use crate::settings::Settings;

/// The keys whose values are secrets: redacted when shown, never accepted as CLI arguments.
pub const SECRET_KEYS: &[&str] = &["client_secret", "password", "refresh_token", "cache_secret"];

/// The cache a profile uses when it names none: tokens outlive the process, so a CLI in a loop
/// fetches once per token lifetime.
pub const DEFAULT_CACHE: &str = "file";

const REDACTED: &str = "[redacted]";

/// `$XDG_CONFIG_HOME/tokenwell/config.toml`, else `~/.config/tokenwell/config.toml`; `None`
/// when neither variable is set.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("tokenwell").join("config.toml"))
}

/// The configuration of one profile, as [`load`] gives it to Python's `Client.from_profile(name)`
/// and Node's `Client.fromProfile(name)`: the profile `name` (else `default`, else the only
/// one) of the file at `path` (else [`default_path`]), `${NAME}` expanded, the `file` cache
/// unless the profile names another. Errors are `config` errors naming the profile or key.
pub fn load(name: Option<&str>, path: Option<&Path>) -> Result<Config, Error> {
    Profiles::load(path)?.config(name).map(|(_, config)| config)
}

/// A configuration from loose keys (the CLI's one-off flags): `${NAME}` expanded, the `file`
/// cache unless `cache` is given.
pub fn one_off(keys: Map<String, Value>) -> Result<Config, Error> {
    Config::from_value_styled(Value::Object(keys), KeyStyle::Snake, true).map(with_default_cache)
}

fn with_default_cache(mut config: Config) -> Config {
    if config.cache.is_none() {
        config.cache = Some(DEFAULT_CACHE.to_owned());
    }
    config
}

/// The profiles of one `config.toml`, unexpanded as written.
#[derive(Debug, Clone)]
pub struct Profiles {
    path: PathBuf,
    exists: bool,
    tables: BTreeMap<String, Map<String, Value>>,
}

impl Profiles {
    /// Reads `path`, which must exist, or else the default file, where a missing file means
    /// "no profiles".
    pub fn load(path: Option<&Path>) -> Result<Profiles, Error> {
        let (path, explicit) = match path {
            Some(p) => (p.to_owned(), true),
            None => match default_path() {
                Some(p) => (p, false),
                None => {
                    return Err(Error::config(
                        "profile",
                        "no profiles file: neither XDG_CONFIG_HOME nor HOME is set; give the file's path",
                    ))
                }
            },
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Profiles::parse(&text, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                Ok(Profiles { path, exists: false, tables: BTreeMap::new() })
            }
            Err(e) => {
                Err(Error::config("profile", format!("the profiles file {} cannot be read ({e})", path.display())))
            }
        }
    }

    /// Parses the text of a profiles file; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Profiles, Error> {
        let shown = path.display();
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            // The message alone: toml's Display quotes the offending line, which may hold a secret.
            let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let at = line.map(|l| format!(", line {l}")).unwrap_or_default();
            Error::config("profile", format!("{shown}{at} is not valid TOML: {}", e.message().trim_end()))
        })?;
        let mut tables = BTreeMap::new();
        for (key, value) in table {
            if key != "profiles" {
                return Err(Error::config(
                    key.clone(),
                    format!("{shown}: unknown top-level key `{key}`: profiles go in [profiles.NAME] tables"),
                ));
            }
            let toml::Value::Table(profiles) = value else {
                return Err(Error::config("profiles", format!("{shown}: `profiles` must be tables, [profiles.NAME]")));
            };
            for (name, profile) in profiles {
                let json = serde_json::to_value(&profile)
                    .map_err(|e| Error::config("profile", format!("{shown}: profile `{name}` cannot be read ({e})")))?;
                let Value::Object(map) = json else {
                    return Err(Error::config(
                        format!("profiles.{name}"),
                        format!("{shown}: `profiles.{name}` must be a table of configuration keys"),
                    ));
                };
                tables.insert(name, map);
            }
        }
        Ok(Profiles { path: path.to_owned(), exists: true, tables })
    }

    /// The file these profiles come from (or would, when it does not exist).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file exists.
    pub fn exists(&self) -> bool {
        self.exists
    }

    /// The profile names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.tables.keys().map(String::as_str).collect()
    }

    /// The profile used for `name`: that one, else `default`, else the only one.
    pub fn choose<'a>(&'a self, name: Option<&'a str>) -> Result<&'a str, Error> {
        let shown = self.path.display();
        let names = self.names();
        if let Some(name) = name {
            if self.tables.contains_key(name) {
                return Ok(name);
            }
            return Err(if !self.exists {
                Error::config(
                    "profile",
                    format!("no profile `{name}`: {shown} does not exist; create it with a [profiles.{name}] table"),
                )
            } else if names.is_empty() {
                Error::config("profile", format!("no profile `{name}`: {shown} has no [profiles.NAME] table"))
            } else {
                Error::config(
                    "profile",
                    format!("no profile `{name}` in {shown}: the profiles are {}", names.join(", ")),
                )
            });
        }
        if self.tables.contains_key("default") {
            return Ok("default");
        }
        match names.as_slice() {
            [only] => Ok(only),
            [] if !self.exists => Err(Error::config(
                "profile",
                format!("no profile to use: {shown} does not exist; create it with a [profiles.NAME] table"),
            )),
            [] => Err(Error::config("profile", format!("no profile to use: {shown} has no [profiles.NAME] table"))),
            _ => Err(Error::config(
                "profile",
                format!("{shown} has several profiles and none is named `default`: choose one of {}", names.join(", ")),
            )),
        }
    }

    /// The chosen profile's name and configuration.
    pub fn config(&self, name: Option<&str>) -> Result<(String, Config), Error> {
        self.config_with(name, &Map::new())
    }

    /// Like [`Profiles::config`], with `overrides` (snake_case keys, e.g. the CLI's flags)
    /// replacing the profile's keys.
    pub fn config_with(&self, name: Option<&str>, overrides: &Map<String, Value>) -> Result<(String, Config), Error> {
        let name = self.choose(name)?.to_owned();
        let mut map = self.tables.get(&name).cloned().unwrap_or_default();
        map.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
        let config = Config::from_value_styled(Value::Object(map), KeyStyle::Snake, true).map_err(|e| {
            Error::config(e.key().unwrap_or("profile"), format!("profile `{name}` in {}: {e}", self.path.display()))
        })?;
        Ok((name, with_default_cache(config)))
    }

    /// The profile as written, with secret values, header and `extra` values, and passwords
    /// inside URLs replaced by `[redacted]`. `{ env = … }` and `{ file = … }` stay: they name
    /// where a secret is, not the secret.
    pub fn redacted(&self, name: &str) -> Option<Map<String, Value>> {
        let table = self.tables.get(name)?;
        Some(table.iter().map(|(k, v)| (k.clone(), redact(k, v))).collect())
    }
}

fn redact(key: &str, value: &Value) -> Value {
    match value {
        Value::String(_) if SECRET_KEYS.contains(&key) => Value::String(REDACTED.to_owned()),
        Value::Object(m) if SECRET_KEYS.contains(&key) => Value::Object(
            m.iter()
                .map(|(k, v)| match (k.as_str(), v) {
                    ("env" | "file", Value::String(_)) => (k.clone(), v.clone()),
                    _ => (k.clone(), Value::String(REDACTED.to_owned())),
                })
                .collect(),
        ),
        Value::Object(m) if key == "headers" || key == "extra" => {
            Value::Object(m.keys().map(|k| (k.clone(), Value::String(REDACTED.to_owned()))).collect())
        }
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), redact(key, v))).collect()),
        Value::Array(items) => Value::Array(items.iter().map(|v| redact(key, v)).collect()),
        Value::String(s) => Value::String(crate::secret::shown_url(s)),
        other => other.clone(),
    }
}

/// The cache key tokens of `config` are stored under (DESIGN §5), computed without reading its
/// secrets (which the cache key never includes): `tokenwell cache list` names the profile of
/// each entry even when a profile's secret is not at hand.
pub fn cache_key(config: &Config) -> Result<String, Error> {
    let mut c = config.clone();
    let stand_in = || Some(SecretSource::value("-"));
    for slot in [&mut c.client_secret, &mut c.password, &mut c.refresh_token, &mut c.cache_secret] {
        if slot.is_some() {
            *slot = stand_in();
        }
    }
    match c.grant.unwrap_or_default() {
        Grant::Password if c.password.is_none() => c.password = stand_in(),
        Grant::ClientCredentials if c.client_secret.is_none() => c.client_secret = stand_in(),
        Grant::RefreshToken if c.refresh_token.is_none() => c.refresh_token = stand_in(),
        _ => {}
    }
    c.ca_file = None;
    c.cache = Some("memory".to_owned());
    Ok(Settings::build(c)?.cache_key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn profiles(text: &str) -> Profiles {
        Profiles::parse(text, Path::new("/x/config.toml")).unwrap()
    }

    #[test]
    fn choose_default_only_or_error() {
        let p = profiles("[profiles.a]\ntoken_url = \"https://h/t\"\n[profiles.b]\ntoken_url = \"https://h/t\"\n");
        assert_eq!(p.choose(Some("b")).unwrap(), "b");
        let e = p.choose(None).unwrap_err();
        assert_eq!(e.key(), Some("profile"));
        assert!(e.to_string().contains("choose one of a, b"), "{e}");
        let e = p.choose(Some("c")).unwrap_err();
        assert!(e.to_string().contains("the profiles are a, b"), "{e}");
        let p = profiles("[profiles.only]\ntoken_url = \"https://h/t\"\n");
        assert_eq!(p.choose(None).unwrap(), "only");
        let p = profiles("[profiles.x]\n[profiles.default]\n");
        assert_eq!(p.choose(None).unwrap(), "default");
    }

    #[test]
    fn config_expands_and_defaults_to_file_cache() {
        std::env::set_var("TW_PROFILE_TEST_REALM", "demo");
        let p = profiles(
            "[profiles.kc]\npreset = \"keycloak\"\nbase_url = \"https://sso\"\nrealm = \"${TW_PROFILE_TEST_REALM}\"\n\
             client_id = \"c\"\nclient_secret = { env = \"TW_PROFILE_TEST_SECRET\" }\n\
             [profiles.mem]\ntoken_url = \"https://h/t\"\ncache = \"memory\"\n",
        );
        let (name, c) = p.config(Some("kc")).unwrap();
        assert_eq!(name, "kc");
        assert_eq!(c.realm.as_deref(), Some("demo"));
        assert_eq!(c.cache.as_deref(), Some("file"));
        let (_, c) = p.config(Some("mem")).unwrap();
        assert_eq!(c.cache.as_deref(), Some("memory"));
        let over: Map<String, Value> = json!({"realm": "other"}).as_object().cloned().unwrap();
        let (_, c) = p.config_with(Some("kc"), &over).unwrap();
        assert_eq!(c.realm.as_deref(), Some("other"));
    }

    #[test]
    fn errors_name_the_profile_and_key_without_echoing_secrets() {
        let p = profiles("[profiles.bad]\nclient_secre = \"x\"\n");
        let e = p.config(None).unwrap_err();
        assert_eq!(e.key(), Some("client_secre"));
        assert!(e.to_string().contains("profile `bad`") && e.to_string().contains("did you mean"), "{e}");
        let e = Profiles::parse("[profiles.x]\npassword = \"hunter2-secret\nx = 1", Path::new("/c.toml")).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let e = Profiles::parse("[profile.x]\n", Path::new("/c.toml")).unwrap_err();
        assert_eq!(e.key(), Some("profile"));
    }

    #[test]
    fn redaction() {
        let p = profiles(
            "[profiles.a]\ntoken_url = \"https://h/t\"\nclient_secret = \"s3cr3t-value\"\n\
             password = { env = \"PW\" }\nheaders = { X-Api-Key = \"hdr-secret\" }\n\
             cache = \"redis://:redis-pw@localhost:6379\"\n",
        );
        let r = Value::Object(p.redacted("a").unwrap()).to_string();
        for secret in ["s3cr3t-value", "hdr-secret", "redis-pw"] {
            assert!(!r.contains(secret), "{r}");
        }
        assert!(r.contains(r#""env":"PW""#) && r.contains("X-Api-Key"), "{r}");
    }

    #[test]
    fn cache_key_ignores_secrets() {
        let with = one_off(
            json!({"token_url": "https://h/t", "client_id": "c", "client_secret": "s"}).as_object().cloned().unwrap(),
        )
        .unwrap();
        let without =
            one_off(json!({"token_url": "https://h/t", "client_id": "c"}).as_object().cloned().unwrap()).unwrap();
        let env = one_off(
            json!({"token_url": "https://h/t", "client_id": "c", "client_secret": {"env": "TW_PROFILE_SURELY_UNSET"}})
                .as_object()
                .cloned()
                .unwrap(),
        )
        .unwrap();
        let key = cache_key(&with).unwrap();
        assert_eq!(key, cache_key(&without).unwrap());
        assert_eq!(key, cache_key(&env).unwrap());
        let mut memory = with;
        memory.cache = Some("memory".to_owned());
        assert_eq!(key, crate::Client::new(memory).unwrap().cache_key());
    }
}
