//! The `redis://` / `rediss://` cache for fleets: value `tokenwell:v1:tok:<key>` (the same
//! document as the file cache) with a TTL, a lock key `tokenwell:v1:lock:<key>` taken with
//! `SET NX PX` so one host fetches per renewal, and the salt key `tokenwell:v1:salt`.
//! One multiplexed connection per URL per process, re-made after an error or a fork.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::AsyncCommands;

use crate::cache::lock;
use crate::error::Error;

pub(crate) const SALT_KEY: &str = "tokenwell:v1:salt";

pub(crate) struct RedisCache {
    client: redis::Client,
    /// A display form of the URL without credentials.
    shown: String,
    conn: tokio::sync::Mutex<Option<(u32, MultiplexedConnection)>>,
}

static CACHES: LazyLock<Mutex<HashMap<String, Arc<RedisCache>>>> = LazyLock::new(Default::default);

fn err(shown: &str, e: impl std::fmt::Display) -> Error {
    Error::cache(format!("the Redis cache at {shown} failed: {e}"))
}

pub(crate) fn value_key(key: &str) -> String {
    format!("tokenwell:v1:tok:{key}")
}

fn lock_key(key: &str) -> String {
    format!("tokenwell:v1:lock:{key}")
}

impl RedisCache {
    /// The process-wide cache for `url` (validated: a config error names `cache`).
    pub fn for_url(url: &str) -> Result<Arc<RedisCache>, Error> {
        let mut map = lock(&CACHES);
        if let Some(c) = map.get(url) {
            return Ok(c.clone());
        }
        let client = redis::Client::open(url)
            .map_err(|_| Error::config("cache", "`cache` is not a valid redis:// or rediss:// URL"))?;
        let shown = match url::Url::parse(url) {
            Ok(u) => format!("{}://{}:{}", u.scheme(), u.host_str().unwrap_or("?"), u.port().unwrap_or(6379)),
            Err(_) => "redis".to_owned(),
        };
        let c = Arc::new(RedisCache { client, shown, conn: tokio::sync::Mutex::new(None) });
        map.insert(url.to_owned(), c.clone());
        Ok(c)
    }

    async fn conn(&self, timeout: Duration) -> Result<MultiplexedConnection, Error> {
        let pid = std::process::id();
        let mut guard = self.conn.lock().await;
        if let Some((owner, c)) = guard.as_ref() {
            if *owner == pid {
                return Ok(c.clone());
            }
        }
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        let c =
            self.client.get_multiplexed_async_connection_with_config(&config).await.map_err(|e| err(&self.shown, e))?;
        *guard = Some((pid, c.clone()));
        Ok(c)
    }

    /// Forgets the connection after an error, so the next use reconnects.
    async fn reset(&self) {
        *self.conn.lock().await = None;
    }

    async fn run<T, F, Fut>(&self, timeout: Duration, f: F) -> Result<T, Error>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let c = self.conn(timeout).await?;
        match tokio::time::timeout(timeout, f(c)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                self.reset().await;
                Err(err(&self.shown, e))
            }
            Err(_) => {
                self.reset().await;
                Err(err(&self.shown, "timed out"))
            }
        }
    }

    pub async fn salt(&self, timeout: Duration) -> Result<Vec<u8>, Error> {
        let mut fresh = [0u8; 32];
        getrandom::getrandom(&mut fresh)
            .map_err(|e| Error::cache(format!("no randomness for the cache salt ({e})")))?;
        let fresh = super::document::hex(&fresh);
        let salt: Option<String> = self
            .run(timeout, |mut c| async move {
                let _: Option<String> =
                    redis::cmd("SET").arg(SALT_KEY).arg(&fresh).arg("NX").query_async(&mut c).await?;
                c.get(SALT_KEY).await
            })
            .await?;
        salt.map(String::into_bytes).ok_or_else(|| err(&self.shown, "the salt key vanished"))
    }

    pub async fn load(&self, key: &str, timeout: Duration) -> Result<Option<Vec<u8>>, Error> {
        let k = value_key(key);
        self.run(timeout, |mut c| async move { c.get::<_, Option<Vec<u8>>>(k).await }).await
    }

    pub async fn store(&self, key: &str, bytes: Vec<u8>, ttl: Duration, timeout: Duration) -> Result<(), Error> {
        let k = value_key(key);
        let ms = ttl.as_millis().clamp(1000, u64::MAX as u128) as u64;
        self.run(timeout, |mut c| async move { c.pset_ex::<_, _, ()>(k, bytes, ms).await }).await
    }

    pub async fn remove(&self, key: &str, timeout: Duration) -> Result<bool, Error> {
        let k = value_key(key);
        let n: i64 = self.run(timeout, |mut c| async move { c.del(k).await }).await?;
        Ok(n > 0)
    }

    /// `SET lock NX PX`: `Some(token)` when this caller holds the lock for `hold`.
    pub async fn try_lock(&self, key: &str, hold: Duration, timeout: Duration) -> Result<Option<String>, Error> {
        let k = lock_key(key);
        let token = format!("{}-{:016x}", std::process::id(), fastrand::u64(..));
        let ms = hold.as_millis().clamp(100, u64::MAX as u128) as u64;
        let t = token.clone();
        let got: Option<String> = self
            .run(timeout, |mut c| async move {
                redis::cmd("SET").arg(k).arg(t).arg("NX").arg("PX").arg(ms).query_async(&mut c).await
            })
            .await?;
        Ok(got.map(|_| token))
    }

    /// Releases the lock if this caller still holds it.
    pub async fn unlock(&self, key: &str, token: String, timeout: Duration) {
        let k = lock_key(key);
        let script = redis::Script::new(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
        );
        let r: Result<i64, Error> =
            self.run(timeout, |mut c| async move { script.key(k).arg(token).invoke_async(&mut c).await }).await;
        if let Err(e) = r {
            tracing::warn!("tokenwell: could not release the Redis lock (it expires by itself): {e}");
        }
    }

    /// Every tokenwell key in the database (for `tokenwell cache list/clear`); bounded.
    pub async fn keys(&self, timeout: Duration) -> Result<Vec<String>, Error> {
        let all: Vec<String> = self
            .run(timeout, |mut c| async move {
                let mut out = Vec::new();
                let mut it = c.scan_match::<_, String>("tokenwell:v1:tok:*").await?;
                while let Some(k) = it.next_item().await {
                    out.push(k?);
                    if out.len() >= 100_000 {
                        break;
                    }
                }
                Ok(out)
            })
            .await?;
        let mut keys: Vec<String> =
            all.iter().filter_map(|k| k.strip_prefix("tokenwell:v1:tok:")).map(str::to_owned).collect();
        keys.sort();
        Ok(keys)
    }
}
