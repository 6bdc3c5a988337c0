//! Where a command's configuration comes from: a profile (with flag overrides) or a one-off
//! profile made of flags; secrets from the environment, standard input or a no-echo prompt, never
//! from arguments. Then the token: the file cache's copy when it is fresh, else the core client.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use serde_json::{json, Map, Value};
use tokenwell::profile::{self, Profiles};
use tokenwell::{CacheEntry, Client, Config, ErrorCode, SecretSource, Token};

use crate::Failure;

/// Non-secret keys for a one-off profile, or to override the chosen profile's.
#[derive(Args, Default)]
#[command(
    next_help_heading = "One-off profile (overrides the profile's keys; with --preset, --token-url or --issuer and no -p, no profile is read)"
)]
pub struct ProfileFlags {
    #[arg(long, global = true, value_name = "NAME")]
    preset: Option<String>,
    #[arg(long, global = true, value_name = "URL")]
    token_url: Option<String>,
    #[arg(long, global = true, value_name = "URL")]
    issuer: Option<String>,
    #[arg(long, global = true, value_name = "URL")]
    base_url: Option<String>,
    #[arg(long, global = true)]
    realm: Option<String>,
    #[arg(long, global = true)]
    tenant: Option<String>,
    /// client_credentials, password or refresh_token
    #[arg(long, global = true)]
    grant: Option<String>,
    #[arg(long, global = true, value_name = "ID")]
    client_id: Option<String>,
    #[arg(long, global = true)]
    username: Option<String>,
    /// Space-separated scopes
    #[arg(long, global = true)]
    scope: Option<String>,
    #[arg(long, global = true)]
    audience: Option<String>,
    #[arg(long, global = true)]
    resource: Option<String>,
    /// post, basic or none
    #[arg(long, global = true, value_name = "HOW")]
    client_auth: Option<String>,
    /// file (default), file:/dir, memory, redis://…
    #[arg(long, global = true, value_name = "SPEC")]
    cache: Option<String>,
    #[arg(long, global = true, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// Per-request timeout in seconds
    #[arg(long, global = true, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// Allow plain http:// off loopback
    #[arg(long, global = true)]
    allow_http: bool,
    /// Read the client secret from this environment variable
    #[arg(long, global = true, value_name = "VAR")]
    client_secret_env: Option<String>,
    /// Read the password from this environment variable
    #[arg(long, global = true, value_name = "VAR")]
    password_env: Option<String>,
}

impl ProfileFlags {
    /// The flags given, as configuration keys.
    fn keys(&self) -> Map<String, Value> {
        let mut m = Map::new();
        let text = [
            ("preset", &self.preset),
            ("token_url", &self.token_url),
            ("issuer", &self.issuer),
            ("base_url", &self.base_url),
            ("realm", &self.realm),
            ("tenant", &self.tenant),
            ("grant", &self.grant),
            ("client_id", &self.client_id),
            ("username", &self.username),
            ("scope", &self.scope),
            ("audience", &self.audience),
            ("resource", &self.resource),
            ("client_auth", &self.client_auth),
            ("cache", &self.cache),
        ];
        for (k, v) in text {
            if let Some(v) = v {
                m.insert(k.to_owned(), json!(v));
            }
        }
        if let Some(p) = &self.ca_file {
            m.insert("ca_file".to_owned(), json!(p));
        }
        if let Some(t) = self.timeout {
            m.insert("timeout".to_owned(), json!(t));
        }
        if self.allow_http {
            m.insert("allow_http".to_owned(), json!(true));
        }
        if let Some(var) = &self.client_secret_env {
            m.insert("client_secret".to_owned(), json!({ "env": var }));
        }
        if let Some(var) = &self.password_env {
            m.insert("password".to_owned(), json!({ "env": var }));
        }
        m
    }

    /// A one-off profile needs no file: it names its own endpoint.
    fn names_endpoint(&self) -> bool {
        self.preset.is_some() || self.token_url.is_some() || self.issuer.is_some()
    }
}

/// Secrets on standard input (`printf %s "$PW" | tokenwell token --password-stdin`).
#[derive(Args, Default)]
#[command(next_help_heading = "Secrets (never as arguments)")]
pub struct SecretFlags {
    /// Read the password from standard input
    #[arg(long, global = true, conflicts_with = "client_secret_stdin")]
    password_stdin: bool,
    /// Read the client secret from standard input
    #[arg(long, global = true)]
    client_secret_stdin: bool,
}

/// The configuration a command runs with; `profile` is `None` for a one-off.
pub struct Target {
    pub profile: Option<String>,
    pub config: Config,
}

impl Target {
    fn fail(&self, error: tokenwell::Error) -> Failure {
        // Configuration errors name the profile to fix; others name their server already.
        let context = match (&self.profile, error.code()) {
            (Some(p), ErrorCode::Config) => Some(format!("profile `{p}`")),
            _ => None,
        };
        Failure::Core { error: Box::new(error), context }
    }
}

/// Chooses the configuration: `-p NAME` (+ flags), else a one-off from endpoint flags, else the
/// default profile (+ flags).
pub fn target(name: Option<&str>, path: Option<&Path>, flags: &ProfileFlags) -> Result<Target, Failure> {
    let keys = flags.keys();
    if name.is_none() && flags.names_endpoint() {
        return Ok(Target { profile: None, config: profile::one_off(keys)? });
    }
    let (name, config) = Profiles::load(path)?.config_with(name, &keys)?;
    Ok(Target { profile: Some(name), config })
}

fn read_stdin(what: &str) -> Result<SecretSource, Failure> {
    let mut text = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| Failure::Usage(format!("--{what}-stdin: standard input cannot be read ({e})")))?;
    text.truncate(text.trim_end().len());
    if text.is_empty() {
        return Err(Failure::Usage(format!("--{what}-stdin: standard input is empty: pipe the {what} in")));
    }
    Ok(SecretSource::value(text))
}

/// Asks on the terminal for the secret a configuration error says is missing; false when that
/// is not what the error is about.
fn prompt(error: &tokenwell::Error, config: &mut Config) -> Result<bool, Failure> {
    let (slot, label) = match error.key() {
        Some("password") if config.password.is_none() => {
            let who = config.username.clone().unwrap_or_default();
            (&mut config.password, format!("Password for {who}: "))
        }
        Some("client_secret") if config.client_secret.is_none() => {
            let who = config.client_id.clone().unwrap_or_default();
            (&mut config.client_secret, format!("Client secret for {who}: "))
        }
        _ => return Ok(false),
    };
    let secret = rpassword::prompt_password(label)
        .map_err(|e| Failure::Usage(format!("cannot read the secret from the terminal ({e})")))?;
    if secret.is_empty() {
        return Err(Failure::Usage("nothing was typed".to_owned()));
    }
    *slot = Some(SecretSource::value(secret));
    Ok(true)
}

/// The token for the chosen configuration. A fresh file-cache entry is served by the core
/// without building an HTTP client or starting its runtime: the fast path of a shell loop.
pub fn token(
    name: Option<&str>,
    path: Option<&Path>,
    flags: &ProfileFlags,
    secrets: &SecretFlags,
) -> Result<(Target, Arc<Token>), Failure> {
    let mut target = target(name, path, flags)?;
    if secrets.password_stdin {
        target.config.password = Some(read_stdin("password")?);
    }
    if secrets.client_secret_stdin {
        target.config.client_secret = Some(read_stdin("client-secret")?);
    }
    let interactive = std::io::stdin().is_terminal();
    loop {
        match Client::new(target.config.clone()) {
            Ok(client) => {
                let result = client.token_blocking();
                return result.map(|t| (target, t)).map_err(Failure::from);
            }
            Err(e) if e.code() == ErrorCode::Config && interactive && prompt(&e, &mut target.config)? => continue,
            Err(e) => return Err(target.fail(e)),
        }
    }
}

/// One `cache list` row.
pub struct Row {
    pub cache: String,
    pub entry: CacheEntry,
    pub profiles: Vec<String>,
}

/// The caches the profiles use (plus `file`, where every binding's `cache = "file"` lands), or
/// the one `--cache` names, with each profile's cache key.
fn caches(path: Option<&Path>, flags: &ProfileFlags) -> Result<BTreeMap<String, Vec<(String, String)>>, Failure> {
    let mut caches: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let only = flags.cache.clone();
    caches.insert(only.clone().unwrap_or_else(|| profile::DEFAULT_CACHE.to_owned()), Vec::new());
    let profiles = Profiles::load(path)?;
    for name in profiles.names() {
        // A profile that cannot be read names no entry; `tokenwell token -p NAME` says why.
        let Ok((_, config)) = profiles.config(Some(name)) else { continue };
        let Ok(key) = profile::cache_key(&config) else { continue };
        let spec = config.cache.clone().unwrap_or_default();
        if spec == "memory" || only.as_ref().is_some_and(|o| *o != spec) {
            continue;
        }
        caches.entry(spec).or_default().push((key, name.to_owned()));
    }
    Ok(caches)
}

pub fn cache_rows(path: Option<&Path>, flags: &ProfileFlags) -> Result<Vec<Row>, Failure> {
    let mut rows = Vec::new();
    for (cache, keys) in caches(path, flags)? {
        for entry in tokenwell::list_entries(&cache)? {
            let profiles = keys.iter().filter(|(k, _)| *k == entry.key).map(|(_, n)| n.clone()).collect();
            rows.push(Row { cache: cache.clone(), entry, profiles });
        }
    }
    Ok(rows)
}

/// Removes the chosen profile's entry, or every entry of every cache the profiles use.
pub fn cache_clear(name: Option<&str>, path: Option<&Path>, flags: &ProfileFlags) -> Result<usize, Failure> {
    if name.is_some() || flags.names_endpoint() {
        let target = target(name, path, flags)?;
        let key = profile::cache_key(&target.config).map_err(|e| target.fail(e))?;
        let spec = target.config.cache.clone().unwrap_or_default();
        return tokenwell::clear_entries(&spec, Some(&key)).map_err(|e| target.fail(e));
    }
    let mut removed = 0;
    for cache in caches(path, flags)?.keys() {
        removed += tokenwell::clear_entries(cache, None)?;
    }
    Ok(removed)
}
