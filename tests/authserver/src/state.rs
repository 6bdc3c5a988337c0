//! Per-namespace state: settings, script, counters, issued tokens and recorded requests.
//!
//! Each namespace has one `std::sync::Mutex`; it is only ever held for short, synchronous
//! sections (never across an `.await`), which keeps every counter exact under concurrency.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::faults::Answer;
use crate::settings::Settings;

pub const MAX_NAMESPACES: usize = 10_000;
pub const MAX_RECORDED: usize = 1_000;
/// Issued access (and, separately, refresh) tokens remembered per namespace.
pub const MAX_TOKENS: usize = 100_000;

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

#[derive(Default)]
pub struct Stats {
    pub total: u64,
    pub by_path: BTreeMap<String, u64>,
    pub by_grant: BTreeMap<String, u64>,
    pub by_client: BTreeMap<String, u64>,
    pub refresh_reuse: u64,
    pub resource: u64,
    pub resource_401: u64,
    pub max_concurrent: u64,
    pub issued: u64,
    pub discovery: u64,
}

#[derive(Clone, Debug)]
pub struct AccessInfo {
    pub sub: String,
    pub client_id: Option<String>,
    pub expires_at_ms: i64,
}

#[derive(Clone, Debug)]
pub struct RefreshInfo {
    pub sub: String,
    /// `None`: not bound to a client (Butlr's password login).
    pub client_id: Option<String>,
    pub scope: Option<String>,
    /// `None`: never expires.
    pub expires_at_ms: Option<i64>,
    pub revoked: bool,
}

/// A map that forgets its oldest entries past `MAX_TOKENS`.
pub struct Store<T> {
    map: HashMap<String, T>,
    order: VecDeque<String>,
}

impl<T> Default for Store<T> {
    fn default() -> Self {
        Store { map: HashMap::new(), order: VecDeque::new() }
    }
}

impl<T> Store<T> {
    pub fn insert(&mut self, key: String, value: T) {
        if self.map.insert(key.clone(), value).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > MAX_TOKENS {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
    }
    pub fn get(&self, key: &str) -> Option<&T> {
        self.map.get(key)
    }
    pub fn get_mut(&mut self, key: &str) -> Option<&mut T> {
        self.map.get_mut(key)
    }
    pub fn contains(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }
}

#[derive(Default)]
pub struct NsState {
    pub settings: Settings,
    pub script: VecDeque<Answer>,
    pub stats: Stats,
    pub requests: VecDeque<Value>,
    pub access: Store<AccessInfo>,
    pub refresh: Store<RefreshInfo>,
    pub in_flight: u64,
}

impl NsState {
    /// Back to defaults; requests still in progress keep being tracked by `in_flight`.
    pub fn reset(&mut self) {
        let in_flight = self.in_flight;
        *self = NsState::default();
        self.in_flight = in_flight;
    }

    pub fn stats_json(&self) -> Value {
        let s = &self.stats;
        json!({
            "total": s.total,
            "by_path": s.by_path,
            "by_grant": s.by_grant,
            "by_client": s.by_client,
            "refresh_reuse": s.refresh_reuse,
            "resource": s.resource,
            "resource_401": s.resource_401,
            "max_concurrent": s.max_concurrent,
            "issued": s.issued,
            "discovery": s.discovery,
            "in_flight": self.in_flight,
            "script_left": self.script.len(),
        })
    }

    pub fn record(&mut self, entry: Value) {
        self.requests.push_back(entry);
        while self.requests.len() > MAX_RECORDED {
            self.requests.pop_front();
        }
    }
}

pub struct Namespace {
    state: Mutex<NsState>,
}

impl Namespace {
    fn new() -> Self {
        Namespace { state: Mutex::new(NsState::default()) }
    }

    /// Locks the namespace. A poisoned lock (a panic elsewhere) is recovered, not propagated.
    pub fn lock(&self) -> MutexGuard<'_, NsState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Marks one token request in progress; dropping it (even on cancellation) ends it.
pub struct InFlight {
    ns: Arc<Namespace>,
}

impl InFlight {
    /// Must be called with the state already locked by the caller (passed in).
    pub fn begin(ns: &Arc<Namespace>, st: &mut NsState) -> InFlight {
        st.in_flight += 1;
        if st.in_flight > st.stats.max_concurrent {
            st.stats.max_concurrent = st.in_flight;
        }
        InFlight { ns: ns.clone() }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut st = self.ns.lock();
        st.in_flight = st.in_flight.saturating_sub(1);
    }
}

#[derive(Default)]
pub struct Registry {
    spaces: Mutex<HashMap<String, Arc<Namespace>>>,
}

impl Registry {
    /// The namespace named `name`, created on first use; `None` past `MAX_NAMESPACES`.
    pub fn get(&self, name: &str) -> Option<Arc<Namespace>> {
        let mut map = self.spaces.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ns) = map.get(name) {
            return Some(ns.clone());
        }
        if map.len() >= MAX_NAMESPACES {
            return None;
        }
        let ns = Arc::new(Namespace::new());
        map.insert(name.to_string(), ns.clone());
        Some(ns)
    }
}

/// `[A-Za-z0-9_-]{1,64}`
pub fn valid_namespace(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_forgets_oldest() {
        let mut s = Store::default();
        for i in 0..(MAX_TOKENS + 5) {
            s.insert(format!("k{i}"), i);
        }
        assert!(!s.contains("k0"));
        assert!(!s.contains("k4"));
        assert!(s.contains("k5"));
        assert_eq!(s.get(&format!("k{}", MAX_TOKENS + 4)), Some(&(MAX_TOKENS + 4)));
    }

    #[test]
    fn at_most_max_namespaces() {
        let r = Registry::default();
        for i in 0..MAX_NAMESPACES {
            assert!(r.get(&format!("n{i}")).is_some());
        }
        assert!(r.get("one-too-many").is_none());
        // Existing ones are still served.
        assert!(r.get("n0").is_some());
    }

    #[test]
    fn namespace_names() {
        assert!(valid_namespace("test-42_x"));
        assert!(!valid_namespace(""));
        assert!(!valid_namespace("a/b"));
        assert!(!valid_namespace(&"a".repeat(65)));
    }
}
