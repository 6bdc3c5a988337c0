//! The process-wide memory cache: one [`Slot`] per cache key and credential fingerprint, shared
//! by every client built from the same configuration. A slot holds the current token (read
//! without locks through `ArcSwap`), the refresh token, the in-progress renewal (single flight)
//! and the `error_backoff` state.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use arc_swap::ArcSwapOption;
use futures::future::{BoxFuture, Shared};
use secrecy::SecretString;

use crate::error::Error;
use crate::token::Token;

pub(crate) mod document;
pub(crate) mod file;
pub(crate) mod redis;
pub(crate) mod shared;

pub(crate) type FlightResult = Result<Arc<Token>, Error>;
pub(crate) type FlightFuture = Shared<BoxFuture<'static, FlightResult>>;

/// The refresh token currently valid for a slot (rotation replaces it).
pub(crate) struct Refresh {
    pub token: SecretString,
    pub expires_at_ns: Option<i64>,
}

/// What a slot holds: the access token (absent after `invalidate()`) and the refresh token.
pub(crate) struct Entry {
    pub token: Option<Arc<Token>>,
    pub refresh: Option<Arc<Refresh>>,
    /// A background (refresh-ahead) renewal was started for this entry; at most one is.
    pub ahead_started: AtomicBool,
}

pub(crate) struct Flight {
    pub pid: u32,
    pub future: FlightFuture,
}

pub(crate) struct Backoff {
    pub error: Error,
    pub until_ns: i64,
}

#[derive(Default)]
pub(crate) struct Slot {
    pub current: ArcSwapOption<Entry>,
    pub flight: Mutex<Option<Flight>>,
    pub backoff: Mutex<Option<Backoff>>,
    /// Bumped on every change of `current`, so bindings can mirror the token cheaply.
    pub generation: AtomicU64,
    /// A refresh token was ever obtained for this slot: the configured one (grant
    /// `refresh_token`) may have been rotated away and must not be sent again.
    pub refreshed: AtomicBool,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl Slot {
    pub fn store(&self, entry: Option<Entry>) {
        self.current.store(entry.map(Arc::new));
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// Drops the access token, keeps the refresh token. With `only`, drops it only if it is
    /// still that access token (a 401 for an old token must not drop a newer one). Returns
    /// the access token dropped.
    pub fn invalidate(&self, only: Option<&str>) -> Option<Arc<Token>> {
        for _ in 0..16 {
            let cur = self.current.load_full()?;
            let token = cur.token.clone()?;
            if only.is_some_and(|a| a != token.access_token()) {
                return None;
            }
            let next =
                Arc::new(Entry { token: None, refresh: cur.refresh.clone(), ahead_started: AtomicBool::new(false) });
            let prev = self.current.compare_and_swap(&cur, Some(next));
            if prev.as_ref().is_some_and(|p| Arc::ptr_eq(p, &cur)) {
                self.generation.fetch_add(1, Ordering::Release);
                return Some(token);
            }
            // A renewal stored a new entry meanwhile: look again.
        }
        None
    }
}

type Key = (String, [u8; 32]);

static SLOTS: LazyLock<Mutex<HashMap<Key, &'static Slot>>> = LazyLock::new(Default::default);

/// The slot for a cache key and credential fingerprint, created on first use. Slots live as
/// long as the process (one per distinct configuration): a loop that builds a new client per
/// call still shares one token, one flight and one backoff, and bindings may keep a
/// `'static` reference to a slot's generation counter.
pub(crate) fn slot(cache_key: &str, fingerprint: [u8; 32]) -> &'static Slot {
    let mut map = lock(&SLOTS);
    map.entry((cache_key.to_owned(), fingerprint)).or_insert_with(|| Box::leak(Box::default()))
}
