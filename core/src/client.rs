//! The client: hands out the cached token, decides when to renew (renewal point, refresh-ahead),
//! runs one renewal at a time per cache slot (single flight), and applies `error_backoff`.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures::FutureExt;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::cache::shared::{Acquired, Shared};
use crate::cache::{self, lock, Backoff, Entry, Flight, FlightFuture, FlightResult, Refresh, Slot};
use crate::clock::{wall_now_ns, Clock};
use crate::config::{ClientAuth, Config, Grant};
use crate::error::Error;
use crate::settings::Settings;
use crate::token::Token;
use crate::transport::{self, Fields};

/// Gets, caches and renews tokens for one configuration. Cheap to clone; clones share
/// everything. Clients built from the same configuration (same cache key and credentials) share
/// one token, one renewal in flight and one error backoff, process-wide.
///
/// ```no_run
/// # async fn f() -> Result<(), tokenwell::Error> {
/// let client = tokenwell::Client::new(tokenwell::Config::from_json(r#"{
///     "token_url": "https://sso.example.com/realms/demo/protocol/openid-connect/token",
///     "client_id": "svc", "client_secret": {"env": "SVC_SECRET"}
/// }"#)?)?;
/// let token = client.token().await?;                // fetched once, then cached
/// let header = token.authorization().to_owned();    // "Bearer …"
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    settings: Settings,
    slot: &'static Slot,
    /// `None` = the system clock, read without a virtual call.
    clock: Option<Arc<dyn Clock>>,
    /// The file or Redis cache, when configured.
    shared: Option<Shared>,
    leeway_ns: i64,
    ahead_ns: i64,
    backoff_ns: i64,
    /// `TOKENWELL_TEST_PANIC=renewal` when the client was built (see `testhook`).
    panic_in_renewal: bool,
}

enum Wait {
    Ready(FlightResult),
    Flight(FlightFuture),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A caller that needs a token now: any token before its renewal point will do.
    Foreground,
    /// Refresh-ahead: renew unless someone already did.
    Background,
}

enum Grantee<'a> {
    Configured,
    Refresh(&'a Refresh),
}

/// The future of [`Client::token`]: small, and answering the cached path on its first poll.
#[must_use = "futures do nothing unless awaited"]
pub struct TokenFuture<'a> {
    client: &'a Client,
    state: FutureState,
}

enum FutureState {
    Start,
    Waiting(FlightFuture),
    Done,
}

impl std::future::Future for TokenFuture<'_> {
    type Output = Result<Arc<Token>, Error>;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        use std::task::Poll;
        loop {
            match &mut self.state {
                FutureState::Start => {
                    let inner = &self.client.inner;
                    if let Some(t) = inner.peek(true).or_else(|| inner.adopt_from_file()) {
                        self.state = FutureState::Done;
                        return Poll::Ready(Ok(t));
                    }
                    match inner.join(Mode::Foreground) {
                        Wait::Ready(r) => {
                            self.state = FutureState::Done;
                            return Poll::Ready(r);
                        }
                        Wait::Flight(f) => self.state = FutureState::Waiting(f),
                    }
                }
                FutureState::Waiting(f) => {
                    let r = std::task::ready!(f.poll_unpin(cx));
                    self.state = FutureState::Done;
                    return Poll::Ready(r);
                }
                FutureState::Done => return Poll::Pending,
            }
        }
    }
}

/// A thread's copy of the last token it read, for the cached path.
struct Local {
    slot: usize,
    generation: u64,
    leeway_ns: i64,
    ahead_ns: i64,
    token: Arc<Token>,
    r: i64,
    a: i64,
}

thread_local! {
    static LOCAL: std::cell::RefCell<Option<Local>> = const { std::cell::RefCell::new(None) };
}

fn dur_ns(d: std::time::Duration) -> i64 {
    d.as_nanos().min(i64::MAX as u128) as i64
}

impl Client {
    /// Builds a client; every configuration error is returned here.
    pub fn new(config: Config) -> Result<Client, Error> {
        Client::build(config, None)
    }

    /// Builds a client reading time from `clock` (tests move time instead of sleeping).
    pub fn with_clock(config: Config, clock: Arc<dyn Clock>) -> Result<Client, Error> {
        Client::build(config, Some(clock))
    }

    fn build(config: Config, clock: Option<Arc<dyn Clock>>) -> Result<Client, Error> {
        crate::testhook::point("construct", crate::testhook::armed("construct"));
        let settings = Settings::build(config)?;
        let slot = cache::slot(&settings.cache_key, settings.fingerprint);
        let shared = Shared::open(&settings);
        Ok(Client {
            inner: Arc::new(Inner {
                shared,
                leeway_ns: dur_ns(settings.leeway),
                ahead_ns: dur_ns(settings.refresh_ahead),
                backoff_ns: dur_ns(settings.error_backoff),
                panic_in_renewal: crate::testhook::armed("renewal"),
                settings,
                slot,
                clock,
            }),
        })
    }

    /// A valid token: the cached one when it is before its renewal point (no I/O, no lock),
    /// else one renewal shared with every concurrent caller. Dropping the future never cancels a
    /// renewal other callers wait for.
    pub fn token(&self) -> TokenFuture<'_> {
        TokenFuture { client: self, state: FutureState::Start }
    }

    /// [`Client::token`] for synchronous code: blocks the calling thread while a renewal runs
    /// (on tokenwell's own runtime). Do not call it from inside an async task.
    pub fn token_blocking(&self) -> Result<Arc<Token>, Error> {
        if let Some(t) = self.inner.peek(true) {
            return Ok(t);
        }
        if let Some(t) = self.inner.adopt_from_file() {
            return Ok(t);
        }
        match self.inner.join(Mode::Foreground) {
            Wait::Ready(r) => r,
            Wait::Flight(f) => futures::executor::block_on(f),
        }
    }

    /// What `token()` would return without waiting: the cached token before its renewal point
    /// (starting the background renewal when refresh-ahead is due), else `None`. Never does I/O
    /// on the calling thread; bindings call it first.
    #[inline]
    pub fn try_token(&self) -> Option<Arc<Token>> {
        self.inner.peek(true)
    }

    /// The cached token if it is before its renewal point; `None` otherwise. No I/O, no lock,
    /// no allocation, and it never starts a renewal.
    #[inline]
    pub fn cached(&self) -> Option<Arc<Token>> {
        self.inner.peek(false)
    }

    /// Drops the cached access token of this cache key (a resource server answered 401); the
    /// refresh token stays. Every client sharing the key sees it.
    pub fn invalidate(&self) {
        self.invalidate_where(None);
    }

    /// Drops the cached access token only if it is still `token` (a resource server answered
    /// 401 to that token): when another caller already renewed, the newer token stays. Returns
    /// whether it dropped anything. The HTTP helpers of the bindings use this.
    pub fn invalidate_if(&self, token: &Token) -> bool {
        self.invalidate_where(Some(token.access_token()))
    }

    fn invalidate_where(&self, only: Option<&str>) -> bool {
        let Some(dropped) = self.inner.slot.invalidate(only) else { return false };
        tracing::debug!(cache_key = %self.short_key(), "tokenwell: token invalidated");
        if self.inner.shared.is_some() {
            let inner = self.inner.clone();
            let done = crate::runtime::block_on(async move {
                match &inner.shared {
                    Some(sh) => sh.invalidate(&inner.settings, dropped.access_token()).await,
                    None => Ok(()),
                }
            });
            if let Err(e) | Ok(Err(e)) = done {
                tracing::warn!("tokenwell: could not invalidate the shared cache entry: {e}");
            }
        }
        true
    }

    /// Changes whenever the cached token of this key changes (renewal, invalidation), so a
    /// binding can mirror the token and notice changes made through another client.
    #[inline]
    pub fn generation(&self) -> u64 {
        self.inner.slot.generation.load(Ordering::Acquire)
    }

    /// The counter behind [`Client::generation`], shared by every client of this cache key and
    /// alive for the rest of the process: a binding can expose its memory to its host language
    /// (Node reads it from JavaScript without crossing into native code).
    pub fn generation_cell(&self) -> &'static std::sync::atomic::AtomicU64 {
        &self.inner.slot.generation
    }

    /// The instant (Unix ns) from which `try_token()` stops answering from the mirror alone:
    /// the start of refresh-ahead (or the renewal point when it is off), for `token`.
    pub fn fresh_until_ns(&self, token: &Token) -> i64 {
        let (r, a) = self.inner.points(token);
        if self.inner.ahead_ns == 0 {
            r
        } else {
            a
        }
    }

    /// The renewal point (Unix ns) of `token` under this client's leeway.
    pub fn renew_at_ns(&self, token: &Token) -> i64 {
        self.inner.points(token).0
    }

    /// The cache key (hex SHA-256, or the configured `cache_key`).
    pub fn cache_key(&self) -> &str {
        &self.inner.settings.cache_key
    }

    fn short_key(&self) -> &str {
        let k = &self.inner.settings.cache_key;
        &k[..k.len().min(12)]
    }
}

impl Inner {
    #[inline]
    fn now(&self) -> i64 {
        match &self.clock {
            None => wall_now_ns(),
            Some(c) => c.now_ns(),
        }
    }

    /// The process's HTTP client for this configuration (looked up per request, not kept: after
    /// a `fork()` the child must not use its parent's connections).
    fn http(&self) -> Result<reqwest::Client, Error> {
        transport::http_client(&self.settings)
    }

    /// A cold client whose file cache holds a fresh token takes it without starting the
    /// runtime or building an HTTP client (a new process's first call, a CLI in a shell loop).
    fn adopt_from_file(&self) -> Option<Arc<Token>> {
        let stored = self.shared.as_ref()?.load_file_now(&self.settings)?;
        let token = Token::from_stored(&stored)?;
        let (r, _) = self.points(&token);
        if self.now() >= r {
            return None;
        }
        tracing::debug!("tokenwell: token taken from the file cache");
        Some(self.commit(token))
    }

    /// (renewal point R, refresh-ahead start A) for a token.
    #[inline]
    fn points(&self, t: &Token) -> (i64, i64) {
        let issued = t.issued_at_ns();
        let exp = t.expires_at_ns();
        let r = exp - self.leeway_ns.min((exp - issued) / 2);
        let a = r - self.ahead_ns.min((r - issued) / 4);
        (r, a)
    }

    /// The cached path. Each thread keeps its own copy of the current token, tagged with the
    /// slot's generation: a warm call reads one atomic, the clock and thread-local memory, and
    /// bumps a reference count no other thread touches (readers on many threads do not contend).
    #[inline]
    fn peek(self: &Arc<Self>, start_ahead: bool) -> Option<Arc<Token>> {
        let generation = self.slot.generation.load(Ordering::Acquire);
        let now = self.now();
        let slot = self.slot as *const Slot as usize;
        let hit = LOCAL.with(|l| {
            let l = l.borrow();
            let l = l.as_ref()?;
            let same = l.slot == slot
                && l.generation == generation
                && l.leeway_ns == self.leeway_ns
                && l.ahead_ns == self.ahead_ns;
            // Before A any caller may have it; between A and R only `cached()` (token() must
            // start the background renewal, which the slow path does once).
            (same && now < if start_ahead { l.a } else { l.r }).then(|| l.token.clone())
        });
        if hit.is_some() {
            return hit;
        }
        self.peek_slow(start_ahead, generation, now)
    }

    #[cold]
    fn peek_slow(self: &Arc<Self>, start_ahead: bool, generation: u64, now: i64) -> Option<Arc<Token>> {
        let guard = self.slot.current.load();
        let entry = guard.as_ref()?;
        let token = entry.token.as_ref()?;
        let (r, a) = self.points(token);
        if now >= r {
            return None;
        }
        LOCAL.with(|l| {
            *l.borrow_mut() = Some(Local {
                slot: self.slot as *const Slot as usize,
                generation,
                leeway_ns: self.leeway_ns,
                ahead_ns: self.ahead_ns,
                token: Arc::new(token.duplicate()),
                r,
                a: if self.ahead_ns == 0 { r } else { a },
            })
        });
        if start_ahead && self.ahead_ns > 0 && now >= a && !entry.ahead_started.swap(true, Ordering::AcqRel) {
            tracing::debug!("tokenwell: refresh-ahead: renewing in the background");
            let _ = self.join(Mode::Background);
        }
        Some(token.clone())
    }

    fn join(self: &Arc<Self>, mode: Mode) -> Wait {
        let pid = std::process::id();
        let mut flight = lock(&self.slot.flight);
        if let Some(f) = flight.as_ref() {
            if f.pid == pid {
                return Wait::Flight(f.future.clone());
            }
        }
        // Double-check under the lock: a renewal may have finished since `peek`.
        if let Some(entry) = self.slot.current.load().as_ref() {
            if let Some(token) = &entry.token {
                let now = self.now();
                let (r, a) = self.points(token);
                let good_until = if mode == Mode::Foreground { r } else { a };
                if now < good_until {
                    return Wait::Ready(Ok(token.clone()));
                }
            }
        }
        let held_back = lock(&self.slot.backoff).as_ref().filter(|b| self.now() < b.until_ns).map(|b| b.error.clone());
        if let Some(error) = held_back {
            drop(flight);
            // Logged outside the locks: a binding's log handler may take its own locks (the GIL).
            tracing::debug!("tokenwell: re-raising the last oauth error (error_backoff)");
            return Wait::Ready(Err(error));
        }
        let me = self.clone();
        let task = crate::runtime::handle().spawn(async move {
            let result = match AssertUnwindSafe(me.renew(mode)).catch_unwind().await {
                Ok(r) => r,
                Err(_) => Err(Error::internal("tokenwell: a renewal panicked; this is a bug, please report it")),
            };
            me.finish(&result);
            result
        });
        let future = async move {
            match task.await {
                Ok(r) => r,
                Err(e) => Err(Error::internal(format!("tokenwell: the renewal task failed: {e}"))),
            }
        }
        .boxed()
        .shared();
        *flight = Some(Flight { pid, future: future.clone() });
        Wait::Flight(future)
    }

    fn finish(&self, result: &FlightResult) {
        match result {
            Ok(_) => *lock(&self.slot.backoff) = None,
            Err(e) => {
                tracing::warn!(code = e.code().as_str(), "tokenwell: getting a token failed: {e}");
                if e.code() == crate::ErrorCode::OAuth && self.backoff_ns > 0 {
                    *lock(&self.slot.backoff) =
                        Some(Backoff { error: e.clone(), until_ns: self.now().saturating_add(self.backoff_ns) });
                }
            }
        }
        *lock(&self.slot.flight) = None;
    }

    /// One renewal: adopt a token another process stored, or fetch one (holding the shared
    /// cache's lock when there is one) and store it.
    async fn renew(&self, mode: Mode) -> FlightResult {
        crate::testhook::point("renewal", self.panic_in_renewal);
        let Some(sh) = &self.shared else {
            return self.fetch(None, true).await;
        };
        let fresh = |t: &crate::token::StoredToken| {
            Token::from_stored(t).is_some_and(|t| {
                let (r, a) = self.points(&t);
                self.now() < if mode == Mode::Foreground { r } else { a }
            })
        };
        let mut cache_ok = true;
        let (lock, current, refresh_ok) = match sh.acquire(&self.settings, fresh).await {
            Acquired::Fresh(t) => match Token::from_stored(&t) {
                Some(token) => {
                    tracing::debug!("tokenwell: token taken from the shared cache");
                    return Ok(self.commit(token));
                }
                None => (None, None, true),
            },
            Acquired::Locked { lock, current } => (Some(lock), current, true),
            Acquired::Unavailable(e) => {
                // Other hosts may hold the same refresh token; using it blind could be reuse.
                tracing::warn!("tokenwell: {e}; fetching directly");
                cache_ok = false;
                (None, None, !sh.is_redis())
            }
            Acquired::TimedOut => {
                tracing::warn!("tokenwell: another process held the cache lock past `timeout`; fetching directly");
                (None, None, false)
            }
            Acquired::HeldBack(e) => {
                tracing::debug!("tokenwell: re-raising another process's oauth error (error_backoff)");
                return Err(e);
            }
        };
        let shared_refresh = current.as_ref().and_then(|c| {
            c.refresh_token.as_ref().map(|rt| Refresh {
                token: SecretString::from(rt.clone()),
                expires_at_ns: c.refresh_expires_at_ms.map(|m| m.saturating_mul(1_000_000)),
            })
        });
        let result = self.fetch(shared_refresh, refresh_ok).await;
        match &result {
            Ok(token) if refresh_ok || !sh.is_redis() => {
                if let Err(e) = sh.store(&self.settings, &token.to_stored()).await {
                    tracing::warn!("tokenwell: could not store the token in the shared cache: {e}");
                }
            }
            // Not when the cache just failed: recording would wait on it again (up to `timeout`).
            Err(e) if e.code() == crate::ErrorCode::OAuth && self.backoff_ns > 0 && cache_ok => {
                if let Err(e) = sh.record_failure(&self.settings, e, self.settings.error_backoff).await {
                    tracing::warn!("tokenwell: could not record the error in the shared cache: {e}");
                }
            }
            _ => {}
        }
        if let Some(lock) = lock {
            sh.release(&self.settings, lock).await;
        }
        result
    }

    /// Gets a token from the server: with the newest refresh token (the shared cache's, else
    /// the memory's) when allowed, falling back once to the configured grant.
    async fn fetch(&self, shared_refresh: Option<Refresh>, refresh_ok: bool) -> FlightResult {
        let s = &self.settings;
        let (url, auth) = self.endpoint().await?;
        let now = self.now();
        let memory_refresh = self.slot.current.load_full().and_then(|e| e.refresh.clone());
        let refresh: Option<&Refresh> =
            shared_refresh.as_ref().or(memory_refresh.as_deref()).filter(|r| r.expires_at_ns.is_none_or(|x| x > now));

        if s.grant == Grant::RefreshToken {
            // The configured grant *is* a refresh: send the newest refresh token we know.
            let configured;
            let r = match refresh {
                Some(r) => r,
                None => {
                    let Some(rt) = s.refresh_token.clone() else {
                        return Err(Error::config("refresh_token", "grant `refresh_token` needs `refresh_token`"));
                    };
                    configured = Refresh { token: rt, expires_at_ns: None };
                    &configured
                }
            };
            return self.request(&url, auth, Grantee::Refresh(r)).await;
        }
        if s.use_refresh_token && refresh_ok {
            if let Some(r) = refresh {
                match self.request(&url, auth, Grantee::Refresh(r)).await {
                    Ok(t) => return Ok(t),
                    Err(e) if e.oauth_error() == Some("invalid_grant") => {
                        tracing::warn!(
                            "tokenwell: the refresh token was refused (invalid_grant); using the {} grant",
                            s.grant.as_str()
                        );
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        self.request(&url, auth, Grantee::Configured).await
    }

    /// The token endpoint and client authentication, through discovery when needed.
    async fn endpoint(&self) -> Result<(Url, ClientAuth), Error> {
        let s = &self.settings;
        if let Some(u) = &s.token_url {
            return Ok((u.clone(), s.client_auth));
        }
        let Some(issuer) = &s.issuer else {
            return Err(Error::config("token_url", "no token endpoint configured"));
        };
        let d = crate::discovery::discover(&self.http()?, s, issuer).await?;
        let auth = match (&d.auth_methods, s.client_auth_explicit, &s.client_secret) {
            (Some(methods), false, Some(_)) if !methods.iter().any(|m| m == "client_secret_post") => ClientAuth::Basic,
            _ => s.client_auth,
        };
        Ok((d.token_endpoint.clone(), auth))
    }

    async fn request(&self, url: &Url, auth: ClientAuth, grantee: Grantee<'_>) -> FlightResult {
        let s = &self.settings;
        let mut fields = Fields::default();
        let mut headers = HeaderMap::new();
        let grant_type = match grantee {
            Grantee::Refresh(_) => "refresh_token",
            Grantee::Configured => s.grant.as_str(),
        };
        if s.send_grant_type {
            fields.push("grant_type", grant_type);
        }
        let mut previous_refresh = None;
        match grantee {
            Grantee::Refresh(r) => {
                fields.push("refresh_token", r.token.expose_secret());
                previous_refresh = Some((r.token.expose_secret(), r.expires_at_ns));
            }
            Grantee::Configured => {
                if s.grant == Grant::Password {
                    fields.push("username", s.username.as_deref().unwrap_or(""));
                    fields.push("password", s.password.as_ref().map(|p| p.expose_secret()).unwrap_or(""));
                }
            }
        }
        transport::client_auth(s, auth, &mut fields, &mut headers)?;
        if matches!(grantee, Grantee::Configured) {
            if !s.scope.is_empty() {
                fields.push("scope", &s.scope.join(" "));
            }
            if let Some(a) = &s.audience {
                fields.push("audience", a);
            }
        }
        if let Some(r) = &s.resource {
            fields.push("resource", r);
        }
        for (k, v) in &s.extra {
            fields.push(k, v);
        }
        let mut secrets = s.secrets();
        if let Some((rt, _)) = previous_refresh {
            secrets.push(rt);
        }
        tracing::debug!(grant = grant_type, url = %url, "tokenwell: requesting a token");
        let issued_at = self.now();
        let body = transport::post_token(&self.http()?, s, url, &fields, &headers, &secrets).await?;
        let token = Token::from_response(body, issued_at, s.default_lifetime, previous_refresh)?;
        tracing::debug!(
            grant = grant_type,
            expires_in_s = (token.expires_at_ns() - issued_at) / 1_000_000_000,
            refresh_token = token.refresh_token().is_some(),
            "tokenwell: token received"
        );
        Ok(self.commit(token))
    }

    /// Stores a new token (and its refresh token, replacing a rotated one) before anyone
    /// receives it.
    fn commit(&self, token: Token) -> Arc<Token> {
        let token = Arc::new(token);
        let refresh = token.refresh_token().map(|r| {
            Arc::new(Refresh { token: SecretString::from(r.to_owned()), expires_at_ns: token.refresh_expires_at_ns() })
        });
        if refresh.is_some() {
            self.slot.refreshed.store(true, Ordering::Release);
        }
        self.slot.store(Some(Entry { token: Some(token.clone()), refresh, ahead_started: AtomicBool::new(false) }));
        token
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.inner.settings;
        f.debug_struct("Client")
            .field("token_url", &s.token_url.as_ref().map(|u| crate::secret::shown_url(u.as_str())))
            .field("issuer", &s.issuer.as_ref().map(|u| crate::secret::shown_url(u.as_str())))
            .field("grant", &s.grant.as_str())
            .field("client_id", &s.client_id)
            .field("username", &s.username)
            .field("cache_key", &self.short_key())
            .finish_non_exhaustive()
    }
}
