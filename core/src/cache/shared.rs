//! The shared caches (file, Redis) as the renewal sees them: wait for or take the per-key lock,
//! read the entry another process may have written, store the new token, invalidate. Entries are
//! served only when their credential fingerprint matches; a failing cache degrades to fetching
//! directly, never to an error.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use super::document::{self, Entry, Failure, Miss, SealKey};
use super::file::FileCache;
use super::redis::RedisCache;
use crate::cache::lock;
use crate::clock::wall_now_ns;
use crate::error::{Error, OAuthDetails};
use crate::settings::{CacheKind, Settings};
use crate::token::StoredToken;

pub(crate) enum Backend {
    File(FileCache),
    Redis(Arc<RedisCache>),
}

pub(crate) enum Lock {
    File(#[allow(dead_code)] std::fs::File),
    Redis(String),
}

pub(crate) enum Acquired {
    /// Another process renewed: use its token.
    Fresh(StoredToken),
    /// This caller holds the lock; `current` is the verified entry, if any (for its refresh token).
    Locked { lock: Lock, current: Option<StoredToken> },
    /// The cache failed: fetch directly (and do not use a refresh token others may hold).
    Unavailable(Error),
    /// Another holder did not finish within `timeout`: fetch directly.
    TimedOut,
    /// A process got an `oauth` error for these credentials less than `error_backoff` ago.
    HeldBack(Error),
}

pub(crate) struct Shared {
    backend: Backend,
    seal: Option<SealKey>,
    fingerprint: Mutex<Option<[u8; 32]>>,
}

/// A refresh token without a stated lifetime keeps a Redis entry this long.
const REFRESH_DEFAULT_TTL: Duration = Duration::from_secs(24 * 3600);

fn now_ms() -> i64 {
    wall_now_ns() / 1_000_000
}

impl Shared {
    /// The shared cache of these settings, or `None` for `memory`. A cache that cannot be
    /// opened is reported and skipped: tokens are still fetched.
    pub fn open(s: &Settings) -> Option<Shared> {
        let backend = match &s.cache {
            CacheKind::Memory => return None,
            CacheKind::File(dir) => match FileCache::open(dir) {
                Ok(f) => Backend::File(f),
                Err(e) => {
                    tracing::warn!("tokenwell: {e}; continuing with the in-memory cache only");
                    return None;
                }
            },
            CacheKind::Redis(r) => Backend::Redis(r.clone()),
        };
        let seal = s.cache_secret.as_ref().map(|c| SealKey::derive(c.expose_secret()));
        Some(Shared { backend, seal, fingerprint: Mutex::new(None) })
    }

    async fn salt(&self, s: &Settings) -> Result<Vec<u8>, Error> {
        match &self.backend {
            Backend::File(f) => f.salt(),
            Backend::Redis(r) => r.salt(s.timeout).await,
        }
    }

    /// The credential fingerprint keyed with `cache_secret`, else with the cache's salt.
    async fn fingerprint(&self, s: &Settings, reread: bool) -> Result<[u8; 32], Error> {
        if !reread {
            if let Some(fp) = *lock(&self.fingerprint) {
                return Ok(fp);
            }
        }
        let fp = match &s.cache_secret {
            Some(c) => s.fingerprint_keyed(c.expose_secret().as_bytes()),
            None => s.fingerprint_keyed(&self.salt(s).await?),
        };
        *lock(&self.fingerprint) = Some(fp);
        Ok(fp)
    }

    async fn load_raw(&self, s: &Settings, key: &str) -> Result<Option<Vec<u8>>, Error> {
        match &self.backend {
            Backend::File(f) => f.load(key),
            Backend::Redis(r) => r.load(key, s.timeout).await,
        }
    }

    /// The entry for this key and these credentials, if there is a readable one.
    async fn load(&self, s: &Settings) -> Result<Option<Entry>, Error> {
        self.load_at(s, &s.cache_key, false).await
    }

    /// The `oauth` error another process recorded for the same request (these credentials and
    /// these settings), while in force for this client's own `error_backoff`. A record that
    /// cannot be read holds nothing back.
    async fn held_back(&self, s: &Settings) -> Option<Error> {
        if s.error_backoff.is_zero() {
            return None;
        }
        let entry = self.load_at(s, &backoff_key(&s.cache_key), true).await.ok()??;
        held_back(&entry, s.error_backoff)
    }

    /// The fingerprint a document must carry: the credentials' for a token; for a failure
    /// record, the credentials' bound to the request's other settings.
    fn doc_fp(fp: [u8; 32], s: &Settings, record: bool) -> [u8; 32] {
        if !record {
            return fp;
        }
        let mut h = Sha256::new();
        h.update(b"tokenwell:v1:backoff\0");
        h.update(fp);
        h.update(s.request_shape);
        h.finalize().into()
    }

    async fn load_at(&self, s: &Settings, key: &str, record: bool) -> Result<Option<Entry>, Error> {
        let Some(bytes) = self.load_raw(s, key).await? else { return Ok(None) };
        let fp = Self::doc_fp(self.fingerprint(s, false).await?, s, record);
        match document::decode(&bytes, key, &fp, self.seal.as_ref()) {
            Ok(t) => Ok(Some(t)),
            // Another request's failure record: not ours, nothing to re-read.
            Err(Miss::OtherCredentials) if record => Ok(None),
            Err(Miss::OtherCredentials) if s.cache_secret.is_none() && matches!(self.backend, Backend::Redis(_)) => {
                // Redis may have lost the salt key and another host set a new one: re-read it once.
                let fp2 = self.fingerprint(s, true).await?;
                if fp2 == fp {
                    return Ok(None);
                }
                Ok(document::decode(&bytes, key, &fp2, self.seal.as_ref()).ok())
            }
            Err(Miss::Corrupt(why)) => {
                tracing::warn!("tokenwell: ignoring the shared cache entry ({why}); it will be replaced");
                Ok(None)
            }
            Err(Miss::OtherCredentials) => {
                tracing::debug!("tokenwell: the shared cache entry was fetched with other credentials; not served");
                Ok(None)
            }
            Err(Miss::CannotUnseal) => {
                tracing::warn!("tokenwell: the shared cache entry is sealed with another cache_secret; not served");
                Ok(None)
            }
        }
    }

    /// The file cache's entry for these credentials, read synchronously (no runtime needed);
    /// `None` for Redis, a miss, or any failure (the renewal then looks again, properly).
    pub fn load_file_now(&self, s: &Settings) -> Option<StoredToken> {
        let Backend::File(f) = &self.backend else { return None };
        let bytes = f.load(&s.cache_key).ok()??;
        let known = *lock(&self.fingerprint);
        let fp = match known {
            Some(fp) => fp,
            None => {
                let fp = match &s.cache_secret {
                    Some(c) => s.fingerprint_keyed(c.expose_secret().as_bytes()),
                    None => s.fingerprint_keyed(&f.salt().ok()?),
                };
                *lock(&self.fingerprint) = Some(fp);
                fp
            }
        };
        document::decode(&bytes, &s.cache_key, &fp, self.seal.as_ref()).ok().map(|e| e.token)
    }

    async fn try_lock(&self, s: &Settings) -> Result<Option<Lock>, Error> {
        match &self.backend {
            Backend::File(f) => Ok(f.try_lock(&s.cache_key)?.map(Lock::File)),
            Backend::Redis(r) => {
                let hold = s.timeout * (s.retries + 1) + Duration::from_secs(1);
                Ok(r.try_lock(&s.cache_key, hold, s.timeout).await?.map(Lock::Redis))
            }
        }
    }

    pub async fn release(&self, s: &Settings, lock: Lock) {
        match (lock, &self.backend) {
            (Lock::Redis(token), Backend::Redis(r)) => r.unlock(&s.cache_key, token, s.timeout).await,
            (Lock::File(f), _) => drop(f),
            (Lock::Redis(_), _) => {}
        }
    }

    /// Waits (at most `timeout`) until this caller holds the key's lock or another process has
    /// stored a token that `fresh` accepts.
    pub async fn acquire(&self, s: &Settings, fresh: impl Fn(&StoredToken) -> bool) -> Acquired {
        let deadline = tokio::time::Instant::now() + s.timeout;
        let poll = match self.backend {
            Backend::File(_) => Duration::from_millis(10),
            Backend::Redis(_) => Duration::from_millis(25),
        };
        let mut logged = false;
        loop {
            match self.load(s).await {
                Ok(Some(e)) if fresh(&e.token) => return Acquired::Fresh(e.token),
                Ok(_) => {}
                Err(e) => return Acquired::Unavailable(e),
            }
            if let Some(error) = self.held_back(s).await {
                return Acquired::HeldBack(error);
            }
            match self.try_lock(s).await {
                Ok(Some(lock)) => {
                    // Re-read under the lock: the holder before us may have just stored.
                    return match self.load(s).await {
                        Ok(Some(e)) if fresh(&e.token) => {
                            self.release(s, lock).await;
                            Acquired::Fresh(e.token)
                        }
                        // The holder before us may have just recorded an oauth error.
                        Ok(current) => match self.held_back(s).await {
                            Some(error) => {
                                self.release(s, lock).await;
                                Acquired::HeldBack(error)
                            }
                            None => Acquired::Locked { lock, current: current.map(|e| e.token) },
                        },
                        Err(e) => {
                            self.release(s, lock).await;
                            Acquired::Unavailable(e)
                        }
                    };
                }
                Ok(None) => {
                    if !logged {
                        tracing::debug!("tokenwell: another process is renewing this token; waiting for it");
                        logged = true;
                    }
                }
                Err(e) => return Acquired::Unavailable(e),
            }
            if tokio::time::Instant::now() + poll > deadline {
                return Acquired::TimedOut;
            }
            tokio::time::sleep(poll).await;
        }
    }

    pub async fn store(&self, s: &Settings, token: &StoredToken) -> Result<(), Error> {
        self.write(s, &s.cache_key, token, None, ttl(token)).await
    }

    async fn write(
        &self,
        s: &Settings,
        key: &str,
        token: &StoredToken,
        failure: Option<&Failure>,
        ttl: Duration,
    ) -> Result<(), Error> {
        let fp = Self::doc_fp(self.fingerprint(s, false).await?, s, failure.is_some());
        let bytes = document::encode(key, &fp, token, failure, self.seal.as_ref(), now_ms());
        match &self.backend {
            Backend::File(f) => f.store(key, &bytes),
            Backend::Redis(r) => r.store(key, bytes, ttl, s.timeout).await,
        }
    }

    /// Records an `oauth` error for `backoff`, so that other processes with these credentials
    /// re-raise it instead of sending them again. It lives beside the key's token document,
    /// never in it: a wrong password cannot evict the token of the right one.
    /// Only a refusal of the request itself is recorded (a 4xx other than 429): a busy or
    /// failing server is not a reason to hold back other processes.
    pub async fn record_failure(&self, s: &Settings, error: &Error, backoff: Duration) -> Result<(), Error> {
        let Some(d) = error.oauth().filter(|d| (400..500).contains(&d.status) && d.status != 429) else {
            return Ok(());
        };
        let now = now_ms();
        let failure = Failure {
            until_ms: now.saturating_add(backoff.as_millis().min(i64::MAX as u128) as i64),
            status: d.status,
            error: d.error.clone(),
            error_description: d.error_description.clone(),
            error_uri: d.error_uri.clone(),
            message: error.message().to_owned(),
        };
        let key = backoff_key(&s.cache_key);
        self.write(s, &key, &StoredToken::empty(now), Some(&failure), backoff.max(Duration::from_secs(1))).await
    }

    /// Drops the access token from the entry if it still holds `access_token` (a newer one
    /// stays); the refresh token stays in either case.
    pub async fn invalidate(&self, s: &Settings, access_token: &str) -> Result<(), Error> {
        let Some(mut entry) = self.load(s).await? else { return Ok(()) };
        if entry.token.access_token.as_deref() != Some(access_token) {
            return Ok(());
        }
        entry.token.access_token = None;
        self.store(s, &entry.token).await
    }

    pub fn is_redis(&self) -> bool {
        matches!(self.backend, Backend::Redis(_))
    }
}

/// Where a key's last `oauth` error is recorded: `~` is not allowed in cache keys, so this
/// never names a token document, and listings skip it.
pub(crate) fn backoff_key(cache_key: &str) -> String {
    format!("{cache_key}~backoff")
}

/// Whether a stored name is a failure record rather than a key's token document.
fn is_record(name: &str) -> bool {
    name.contains('~')
}

/// The recorded failure as the error to re-raise, while it is in force: until the writer's
/// `until_ms` and no longer than this client's own `error_backoff` after it was written. A
/// record written in the future (the clock was set back) is ignored.
fn held_back(e: &Entry, own_backoff: Duration) -> Option<Error> {
    let now = now_ms();
    let own_until = e.written_at_ms.saturating_add(own_backoff.as_millis().min(i64::MAX as u128) as i64);
    let until = e.failure.as_ref()?.until_ms.min(own_until);
    if now >= until || e.written_at_ms > now.saturating_add(1000) {
        return None;
    }
    let f = e.failure.as_ref()?;
    let details = OAuthDetails {
        status: f.status,
        error: f.error.clone(),
        error_description: f.error_description.clone(),
        error_uri: f.error_uri.clone(),
    };
    let left = (until - now) as f64 / 1000.0;
    let message = format!(
        "{} (another process got this answer; re-raised for {left:.1} s more by error_backoff instead of sending the same credentials again)",
        f.message
    );
    Some(Error::oauth_failure(details, message))
}

/// The longer of the access and refresh tokens' remaining lifetimes.
fn ttl(t: &StoredToken) -> Duration {
    let now = now_ms();
    let access = (t.expires_at_ms - now).max(0);
    let refresh = match (&t.refresh_token, t.refresh_expires_at_ms) {
        (None, _) => 0,
        (Some(_), Some(at)) => (at - now).max(0),
        (Some(_), None) => REFRESH_DEFAULT_TTL.as_millis() as i64,
    };
    Duration::from_millis(access.max(refresh).max(1000) as u64)
}

/// What `tokenwell cache list` shows of an entry: never a token.
#[derive(Debug, Clone)]
pub struct CacheEntry {
    /// The cache key.
    pub key: String,
    /// When the access token expires (absent when sealed or invalidated).
    pub expires_at: Option<SystemTime>,
    /// Whether the entry holds a refresh token (unknown, `None`, when sealed).
    pub has_refresh_token: Option<bool>,
    /// Sealed with a `cache_secret`.
    pub sealed: bool,
}

fn summary(key: &str, bytes: &[u8]) -> CacheEntry {
    let v: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    let at = |ms: Option<i64>| ms.filter(|m| *m > 0).map(|m| UNIX_EPOCH + Duration::from_millis(m as u64));
    let token = &v["token"];
    let sealed = v.get("sealed").is_some();
    CacheEntry {
        key: key.to_owned(),
        expires_at: if token["access_token"].is_string() { at(token["expires_at_ms"].as_i64()) } else { None },
        has_refresh_token: if sealed { None } else { Some(token["refresh_token"].is_string()) },
        sealed,
    }
}

fn backend_for(cache: &str) -> Result<Backend, Error> {
    match crate::settings::parse_cache(cache)? {
        CacheKind::Memory => {
            Err(Error::config("cache", "the memory cache lives in one process: nothing to list or clear"))
        }
        CacheKind::File(dir) => Ok(Backend::File(FileCache::open(&dir)?)),
        CacheKind::Redis(r) => Ok(Backend::Redis(r)),
    }
}

/// Lists the entries of a shared cache (`file`, `file:/dir`, `redis://…`). Never shows tokens.
pub fn list_entries(cache: &str) -> Result<Vec<CacheEntry>, Error> {
    let timeout = Duration::from_secs(10);
    match backend_for(cache)? {
        Backend::File(f) => {
            let mut out = Vec::new();
            for key in f.keys()?.into_iter().filter(|k| !is_record(k)) {
                if let Some(bytes) = f.load(&key)? {
                    out.push(summary(&key, &bytes));
                }
            }
            Ok(out)
        }
        Backend::Redis(r) => crate::runtime::block_on(async move {
            let mut out = Vec::new();
            for key in r.keys(timeout).await?.into_iter().filter(|k| !is_record(k)) {
                if let Some(bytes) = r.load(&key, timeout).await? {
                    out.push(summary(&key, &bytes));
                }
            }
            Ok(out)
        })?,
    }
}

/// Removes one key's entry, or every tokenwell entry when `key` is `None`; returns how many.
pub fn clear_entries(cache: &str, key: Option<&str>) -> Result<usize, Error> {
    let timeout = Duration::from_secs(10);
    match backend_for(cache)? {
        Backend::File(f) => {
            let keys = match key {
                Some(k) => vec![k.to_owned(), backoff_key(k)],
                None => f.keys()?,
            };
            let mut n = 0;
            for k in keys {
                n += usize::from(f.remove(&k)? && !is_record(&k));
            }
            Ok(n)
        }
        Backend::Redis(r) => {
            let key = key.map(str::to_owned);
            crate::runtime::block_on(async move {
                let keys = match key {
                    Some(k) => vec![backoff_key(&k), k],
                    None => r.keys(timeout).await?,
                };
                let mut n = 0;
                for k in keys {
                    n += usize::from(r.remove(&k, timeout).await? && !is_record(&k));
                }
                Ok(n)
            })?
        }
    }
}
