//! Conformance against a real Keycloak (tests/idp/keycloak): the provider documents' flows, end to
//! end, with Keycloak's own event log and token introspection as the witness of what went out.
//! Skipped (passing, with a note) unless TOKENWELL_KEYCLOAK_URL is set; `make test-keycloak` sets it.

use std::future::Future;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::FutureExt;
use serde_json::{json, Value};
use tokenwell::{jwt_claims, jwt_exp, Client, Config, Error, ErrorCode, ManualClock, Token};

// The fixtures of tests/idp/keycloak/realms/*.json.
const BINARLY: &str = "BinarlyRealm";
const PHASETWO: &str = "test-realm";
const ALICE: (&str, &str) = ("alice@example.com", "tw-alice-Pa55word!");
const BOB: &str = "bob@example.com";
const CAROL: (&str, &str) = ("carol@example.com", "tw-carol-Pa55word!");
const DAVE: (&str, &str) = ("dave@example.com", "tw-dave-Pa55word!");
const M2M: (&str, &str) = ("ci-cd-automation", "tw-m2m-Secret+with/special:chars%20");
const OBSERVER: (&str, &str) = ("test-observer", "tw-observer-secret");
const P2_ADMIN_CLI_SECRET: &str = "fd649804-3a74-4d69-acaa-8f065c6b7da1";
const P2_USER: (&str, &str) = ("uname@foo.com", "pwd123AZY");
const WRONG_PASSWORD: &str = "tw-wrong-Pa55word-0xBAD";
const WRONG_SECRET: &str = "tw-wrong-client-secret-0xBAD";
/// Nothing a user can print (errors, tokens, clients) may contain these.
const SECRETS: &[&str] =
    &[ALICE.1, CAROL.1, DAVE.1, M2M.1, OBSERVER.1, P2_ADMIN_CLI_SECRET, P2_USER.1, WRONG_PASSWORD, WRONG_SECRET];

#[derive(Clone)]
struct Kc {
    url: String,
    http: reqwest::Client,
}

impl Kc {
    fn token_url(&self, realm: &str) -> String {
        format!("{}/realms/{realm}/protocol/openid-connect/token", self.url)
    }

    /// The observer client's token (through tokenwell: it is a client-credentials client too).
    async fn observer_token(&self, realm: &str) -> String {
        let c = client(
            &format!("observer-{realm}"),
            json!({"preset": "keycloak", "base_url": self.url, "realm": realm,
                   "client_id": OBSERVER.0, "client_secret": OBSERVER.1}),
        );
        c.token().await.expect("the test-observer client gets a token").access_token().to_owned()
    }

    /// Keycloak's event log for `client_id` since `since_ms` (Unix ms), oldest first.
    async fn events(&self, realm: &str, client_id: &str, since_ms: i64) -> Vec<Value> {
        let bearer = self.observer_token(realm).await;
        let r = self
            .http
            .get(format!("{}/admin/realms/{realm}/events", self.url))
            .query(&[("client", client_id), ("max", "1000")])
            .bearer_auth(bearer)
            .send()
            .await
            .expect("the events API answers");
        assert!(r.status().is_success(), "events API: {}", r.status());
        let all: Vec<Value> = serde_json::from_str(&r.text().await.expect("events body")).expect("events JSON");
        let mut recent: Vec<Value> = all.into_iter().filter(|e| e["time"].as_i64().unwrap_or(0) >= since_ms).collect();
        recent.reverse();
        recent
    }

    /// Waits (at most 5 s) until the event log satisfies `done`, then gives it; Keycloak may store
    /// an event just after answering.
    async fn events_until(
        &self,
        realm: &str,
        client_id: &str,
        since_ms: i64,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let ev = self.events(realm, client_id, since_ms).await;
            if done(&ev) || Instant::now() >= deadline {
                return ev;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The status of the OIDC userinfo endpoint (a resource Keycloak itself guards) called with
    /// `token`: 200 while Keycloak, by its own clock, takes the token; 401 once it expired.
    async fn userinfo(&self, realm: &str, token: &str) -> u16 {
        let r = self
            .http
            .get(format!("{}/realms/{realm}/protocol/openid-connect/userinfo", self.url))
            .bearer_auth(token)
            .send()
            .await
            .expect("userinfo answers");
        r.status().as_u16()
    }
}

/// A client on its own cache key: rows never share a cached token or an error backoff.
fn client(key: &str, mut config: Value) -> Client {
    config["cache_key"] = json!(format!("keycloak-conformance-{key}"));
    let c = Client::new(Config::from_value(config).expect("valid configuration")).expect("client builds");
    let shown = format!("{c:?}");
    assert!(SECRETS.iter().all(|s| !shown.contains(s)), "Client Debug shows a secret: {shown}");
    c
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn claim(token: &str, name: &str) -> Value {
    jwt_claims(token).and_then(|c| c.get(name).cloned()).unwrap_or(Value::Null)
}

/// Events of `kind` of user `who`, a username or a user id (`sub`); any user when empty. Refresh
/// events carry only the user id.
fn count(events: &[Value], kind: &str, who: &str) -> usize {
    let by = |e: &Value| who.is_empty() || e["details"]["username"] == who || e["userId"] == who;
    events.iter().filter(|e| e["type"] == kind && by(e)).count()
}

fn assert_redacted(t: &Token) {
    let shown = format!("{t:?}");
    assert!(!shown.contains(t.access_token()), "Token Debug shows the access token");
    if let Some(rt) = t.refresh_token() {
        assert!(!shown.contains(rt), "Token Debug shows the refresh token");
    }
}

fn assert_no_secret(e: &Error) {
    let shown = format!("{e} {e:?}");
    for s in SECRETS {
        assert!(!shown.contains(s), "an error shows a secret: {shown}");
    }
}

fn oauth_error(e: &Error) -> String {
    format!(
        "oauth {}, status {}, \"{}\"",
        e.oauth_error().unwrap_or("-"),
        e.status().map_or("-".to_owned(), |s| s.to_string()),
        e.error_description().unwrap_or("")
    )
}

async fn password_grant_openid(kc: Kc) -> String {
    // Doc 000 verbatim: the token URL, BinarlyClient (public), scope=openid, username + password.
    let c = client(
        "password-openid",
        json!({"token_url": kc.token_url(BINARLY), "grant": "password", "client_id": "BinarlyClient",
               "scope": "openid", "username": ALICE.0, "password": ALICE.1}),
    );
    let t = c.token().await.expect("password grant");
    let exp = jwt_exp(t.access_token()).expect("the access token is a JWT with `exp`");
    assert!((t.expires_at_unix() - exp).abs() <= 2, "expires_at {} vs JWT exp {exp}", t.expires_at_unix());
    assert!((1790.0..=1800.0).contains(&t.expires_in()), "expires_in {}", t.expires_in());
    assert_eq!(t.token_type(), "Bearer");
    assert_eq!(t.authorization(), format!("Bearer {}", t.access_token()));
    assert_eq!(claim(t.access_token(), "azp"), "BinarlyClient");
    assert_eq!(claim(t.access_token(), "preferred_username"), ALICE.0);
    let scope = t.scope().unwrap_or_default().to_owned();
    assert!(scope.split(' ').any(|s| s == "openid"), "scope {scope:?}");
    assert!(t.id_token().is_some_and(|i| jwt_claims(i).is_some()), "an ID token comes with scope=openid");
    assert_redacted(&t);
    let again = c.token().await.expect("cached");
    assert!(Arc::ptr_eq(&t, &again), "the second call is answered from the cache");
    format!("expires_in {:.0} s (JWT exp matches), scope \"{scope}\", ID token", t.expires_in())
}

async fn refresh_expires_in_honoured(kc: Kc) -> String {
    // The client's clock jumps past the refresh token's expiry; Keycloak's does not, so a client
    // that ignored refresh_expires_in would still get a refresh through (same session, a
    // REFRESH_TOKEN event). Honouring it means a new password grant: a new session, a LOGIN.
    let clock = ManualClock::new();
    let config = json!({"preset": "keycloak", "base_url": kc.url, "realm": BINARLY, "grant": "password",
                        "client_id": "BinarlyClient", "scope": "openid", "username": ALICE.0, "password": ALICE.1,
                        "cache_key": "keycloak-conformance-refresh-expiry"});
    let c = Client::with_clock(Config::from_value(config).expect("config"), clock.clone()).expect("client");
    let since = now_ms();
    let a = c.token().await.expect("password grant");
    let rt = a.refresh_token().expect("a refresh token");
    let refresh_at = unix(a.refresh_expires_at().expect("refresh_expires_at from refresh_expires_in"));
    let rt_exp = jwt_exp(rt).expect("Keycloak's refresh tokens are JWTs");
    assert!((refresh_at - rt_exp).abs() <= 2, "refresh_expires_at {refresh_at} vs refresh JWT exp {rt_exp}");
    let lifetime = refresh_at - unix(a.issued_at());
    clock.set_ns((refresh_at + 1) * 1_000_000_000);
    let b = c.token().await.expect("a new token after the refresh token expired");
    assert_ne!(a.access_token(), b.access_token());
    assert_ne!(claim(a.access_token(), "sid"), claim(b.access_token(), "sid"), "a new session: password grant");
    let sub = claim(a.access_token(), "sub").as_str().unwrap_or_default().to_owned();
    let ev = kc.events_until(BINARLY, "BinarlyClient", since, |e| count(e, "LOGIN", &sub) >= 2).await;
    assert_eq!(count(&ev, "LOGIN", &sub), 2, "two password grants");
    assert_eq!(count(&ev, "REFRESH_TOKEN", &sub), 0, "the expired refresh token was never sent");
    format!("refresh_expires_in {lifetime} s = refresh JWT exp; past it: password grant, not refresh")
}

async fn refresh(kc: Kc) -> String {
    let c = client(
        "refresh",
        json!({"preset": "binarly", "base_url": kc.url, "grant": "password", "username": ALICE.0, "password": ALICE.1}),
    );
    let since = now_ms();
    let a = c.token().await.expect("password grant");
    c.invalidate(); // what a resource server's 401 leads to: the access token goes, the refresh token stays
    assert!(c.cached().is_none());
    let b = c.token().await.expect("refreshed");
    assert_ne!(a.access_token(), b.access_token());
    assert_eq!(claim(a.access_token(), "sid"), claim(b.access_token(), "sid"), "same session: refreshed");
    assert!(b.refresh_token().is_some());
    let sub = claim(a.access_token(), "sub").as_str().unwrap_or_default().to_owned();
    let ev = kc.events_until(BINARLY, "BinarlyClient", since, |e| count(e, "REFRESH_TOKEN", &sub) >= 1).await;
    assert_eq!((count(&ev, "LOGIN", &sub), count(&ev, "REFRESH_TOKEN", &sub)), (1, 1), "{ev:#?}");
    "invalidate() → one refresh_token grant, same session".to_owned()
}

async fn client_credentials(kc: Kc, basic: bool) -> String {
    // Doc 002's M2M client through the keycloak preset. Its secret holds `+ / : %20`: with Basic,
    // Keycloak form-urldecodes both halves (RFC 6749 §2.3.1), so only a correctly encoded header works.
    let mut config = json!({"preset": "keycloak", "base_url": kc.url, "realm": BINARLY,
                            "client_id": M2M.0, "client_secret": M2M.1});
    if basic {
        config["client_auth"] = json!("basic");
    }
    let since = now_ms();
    let t = client(if basic { "cc-basic" } else { "cc-post" }, config).token().await.expect("client credentials");
    assert_eq!(claim(t.access_token(), "azp"), M2M.0);
    assert!(t.refresh_token().is_none(), "Keycloak issues no refresh token to client credentials");
    assert!((1790.0..=1800.0).contains(&t.expires_in()), "expires_in {}", t.expires_in());
    assert_redacted(&t);
    let ev = kc.events_until(BINARLY, M2M.0, since, |e| count(e, "CLIENT_LOGIN", "") >= 1).await;
    assert_eq!(count(&ev, "CLIENT_LOGIN", ""), 1);
    let method = if basic { "HTTP Basic" } else { "the body" };
    format!("secret in {method}: {} s token, no refresh token", t.expires_in().round())
}

async fn single_flight(kc: Kc) -> String {
    let config = json!({"preset": "keycloak", "base_url": kc.url, "realm": BINARLY,
                        "client_id": M2M.0, "client_secret": M2M.1});
    let since = now_ms();
    // Half share one client, half build their own from the same configuration.
    let shared = client("single-flight", config.clone());
    let calls = (0..16).map(|i| {
        let c = if i % 2 == 0 { shared.clone() } else { client("single-flight", config.clone()) };
        tokio::spawn(async move { c.token().await })
    });
    let tokens: Vec<Arc<Token>> =
        futures::future::join_all(calls).await.into_iter().map(|r| r.expect("task").expect("token")).collect();
    assert!(tokens.iter().all(|t| t.access_token() == tokens[0].access_token()), "one token for all");
    let ev = kc.events_until(BINARLY, M2M.0, since, |e| count(e, "CLIENT_LOGIN", "") >= 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await; // a stray second request would show by now
    let ev = if count(&ev, "CLIENT_LOGIN", "") == 1 { kc.events(BINARLY, M2M.0, since).await } else { ev };
    assert_eq!(count(&ev, "CLIENT_LOGIN", ""), 1, "Keycloak saw one token request");
    "16 concurrent callers (8 clients) → 1 request to Keycloak".to_owned()
}

async fn wrong_password(kc: Kc) -> String {
    let c = client(
        "wrong-password",
        json!({"preset": "binarly", "base_url": kc.url, "grant": "password", "username": BOB, "password": WRONG_PASSWORD}),
    );
    let e = c.token().await.expect_err("a wrong password fails");
    assert_eq!(e.code(), ErrorCode::OAuth);
    assert_eq!(e.oauth_error(), Some("invalid_grant"));
    // Keycloak 26 answers 400 here (RFC 6749 §5.2), as the authserver's Keycloak dialect does.
    assert_eq!(e.status(), Some(400));
    assert_eq!(e.error_description(), Some("Invalid user credentials"));
    assert_no_secret(&e);
    oauth_error(&e)
}

async fn wrong_client_secret(kc: Kc) -> String {
    let c = client(
        "wrong-secret",
        json!({"preset": "keycloak", "base_url": kc.url, "realm": BINARLY, "client_id": M2M.0, "client_secret": WRONG_SECRET}),
    );
    let e = c.token().await.expect_err("a wrong client secret fails");
    assert_eq!(e.code(), ErrorCode::OAuth);
    // Keycloak 26 says unauthorized_client (not RFC 6749's invalid_client) with 401.
    assert_eq!((e.oauth_error(), e.status()), (Some("unauthorized_client"), Some(401)));
    assert_no_secret(&e);
    oauth_error(&e)
}

async fn direct_grants_disabled(kc: Kc) -> String {
    // Doc 002 has "Direct access grants" unchecked on the M2M client: a password grant with it fails.
    let c = client(
        "no-direct-grants",
        json!({"preset": "keycloak", "base_url": kc.url, "realm": BINARLY, "grant": "password",
               "client_id": M2M.0, "client_secret": M2M.1, "username": ALICE.0, "password": ALICE.1}),
    );
    let e = c.token().await.expect_err("no direct access grants");
    assert_eq!(e.code(), ErrorCode::OAuth);
    assert_eq!((e.oauth_error(), e.status()), (Some("unauthorized_client"), Some(400)));
    assert_no_secret(&e);
    oauth_error(&e)
}

async fn discovery(kc: Kc) -> String {
    let issuer = format!("{}/realms/{BINARLY}", kc.url);
    let c = client("discovery", json!({"issuer": issuer, "client_id": M2M.0, "client_secret": M2M.1}));
    let t = c.token().await.expect("token through discovery");
    assert_eq!(claim(t.access_token(), "iss"), issuer.as_str());
    assert_eq!(claim(t.access_token(), "azp"), M2M.0);
    "issuer → .well-known → token endpoint → token".to_owned()
}

async fn preset_binarly(kc: Kc) -> String {
    // What a Binarly user writes, with base_url instead of tenant: no client id, no scope.
    let c = client(
        "preset-binarly",
        json!({"preset": "binarly", "base_url": kc.url, "grant": "password", "username": ALICE.0, "password": ALICE.1}),
    );
    let t = c.token().await.expect("binarly preset");
    assert_eq!(claim(t.access_token(), "azp"), "BinarlyClient");
    assert!(t.scope().unwrap_or_default().split(' ').any(|s| s == "openid"));
    format!("BinarlyRealm, BinarlyClient, scope \"{}\"", t.scope().unwrap_or_default())
}

async fn preset_phasetwo_cc(kc: Kc) -> String {
    // Doc 004's first example: admin-cli + secret in the body.
    let c = client(
        "preset-phasetwo-cc",
        json!({"preset": "phasetwo", "base_url": kc.url, "realm": PHASETWO,
               "client_id": "admin-cli", "client_secret": P2_ADMIN_CLI_SECRET}),
    );
    let t = c.token().await.expect("phasetwo client credentials");
    assert_eq!(claim(t.access_token(), "azp"), "admin-cli");
    assert!((55.0..=60.0).contains(&t.expires_in()), "expires_in {}", t.expires_in());
    assert_eq!(t.token_type(), "Bearer");
    format!("admin-cli, {} s token", t.expires_in().round())
}

async fn preset_phasetwo_password(kc: Kc) -> String {
    let c = client(
        "preset-phasetwo-password",
        json!({"preset": "phasetwo", "base_url": kc.url, "realm": PHASETWO, "grant": "password",
               "client_id": "public-cli", "username": P2_USER.0, "password": P2_USER.1}),
    );
    let t = c.token().await.expect("phasetwo password grant");
    assert_eq!(claim(t.access_token(), "azp"), "public-cli");
    assert!(t.refresh_token().is_some());
    format!("public-cli, {} s token + refresh token", t.expires_in().round())
}

async fn renewal_60s(kc: Kc, password: bool) -> String {
    // Real time, real tokens: the renewal point of a 60 s token is 30 s (leeway 30, never before
    // half the lifetime) and refresh-ahead starts at 22.5 s. Every token a caller gets must have
    // ≥ 25 s left, and Keycloak must still accept the old token when its successor arrives.
    // The password grant renews with its refresh token; client credentials re-run the grant.
    let config = if password {
        json!({"preset": "phasetwo", "base_url": kc.url, "realm": PHASETWO, "grant": "password",
               "client_id": "public-cli", "scope": "openid", "username": P2_USER.0, "password": P2_USER.1})
    } else {
        json!({"preset": "phasetwo", "base_url": kc.url, "realm": PHASETWO, "scope": "openid",
               "client_id": "admin-cli", "client_secret": P2_ADMIN_CLI_SECRET})
    };
    let c = client(if password { "renewal-60s-password" } else { "renewal-60s-cc" }, config);
    let start = Instant::now();
    let mut current = c.token().await.expect("first token");
    let lifetime = claim(current.access_token(), "exp").as_i64().unwrap_or(0)
        - claim(current.access_token(), "iat").as_i64().unwrap_or(0);
    assert!((59..=61).contains(&lifetime), "test-realm issues 60 s tokens (exp − iat = {lifetime})");
    let (mut calls, mut slowest) = (0u32, Duration::ZERO);
    while start.elapsed() < Duration::from_secs(45) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let asked = Instant::now();
        let t = c.token().await.expect("token()");
        slowest = slowest.max(asked.elapsed());
        calls += 1;
        assert!(t.expires_in() > 25.0, "a caller got a token with {:.1} s left", t.expires_in());
        if t.access_token() == current.access_token() {
            continue;
        }
        let renewed_at = start.elapsed();
        // The old token was handed out ≤ 200 ms ago: Keycloak must still accept it, and the new one.
        assert_eq!(kc.userinfo(PHASETWO, current.access_token()).await, 200, "the replaced token still works");
        assert_eq!(kc.userinfo(PHASETWO, t.access_token()).await, 200, "the new token works");
        let how = if password {
            assert!(current.refresh_token().is_some());
            assert_eq!(claim(t.access_token(), "sid"), claim(current.access_token(), "sid"), "renewed by refresh");
            "with the refresh token"
        } else {
            assert!(current.refresh_token().is_none());
            "by client credentials"
        };
        return format!(
            "renewed {how} at {:.1} s of 60 (refresh-ahead); {calls} calls, none got < 25 s left, slowest {:.1} ms",
            renewed_at.as_secs_f64(),
            slowest.as_secs_f64() * 1e3
        );
    }
    current = c.token().await.expect("token()");
    panic!("the 60 s token was not renewed within 45 s ({calls} calls, expires_in {:.1})", current.expires_in());
}

async fn error_backoff_protects_account(kc: Kc) -> String {
    // A script retrying a wrong password in a loop (same client, and a new client each time).
    // Brute-force detection (failureFactor 3, two failures within 1 s lock for 60 s) would lock
    // Carol; error_backoff (5 s) re-raises the first answer, so Keycloak sees one failure.
    let bad = json!({"preset": "binarly", "base_url": kc.url, "grant": "password",
                     "username": CAROL.0, "password": WRONG_PASSWORD});
    let since = now_ms();
    let same = client("backoff-carol", bad.clone());
    for i in 0..10 {
        let c = if i % 2 == 0 { same.clone() } else { client("backoff-carol", bad.clone()) };
        let e = c.token().await.expect_err("wrong password");
        assert_eq!(e.oauth_error(), Some("invalid_grant"));
    }
    let good = client(
        "backoff-carol-right",
        json!({"preset": "binarly", "base_url": kc.url, "grant": "password", "username": CAROL.0, "password": CAROL.1}),
    );
    good.token().await.expect("the account is not locked: the right password works");
    let ev = kc.events_until(BINARLY, "BinarlyClient", since, |e| count(e, "LOGIN", CAROL.0) >= 1).await;
    assert_eq!(count(&ev, "LOGIN_ERROR", CAROL.0), 1, "Keycloak saw one failed login: {ev:#?}");
    "10 failing calls → 1 failed login at Keycloak; the account stays usable".to_owned()
}

async fn no_error_backoff_locks_account(kc: Kc) -> String {
    // The same loop with error_backoff = 0: two wrong passwords within a second and Keycloak's
    // brute-force detection locks Dave; then even the right password is refused.
    let bad = json!({"preset": "binarly", "base_url": kc.url, "grant": "password", "error_backoff": 0,
                     "username": DAVE.0, "password": WRONG_PASSWORD});
    let since = now_ms();
    let c = client("no-backoff-dave", bad);
    for _ in 0..2 {
        c.token().await.expect_err("wrong password");
    }
    let good = client(
        "no-backoff-dave-right",
        json!({"preset": "binarly", "base_url": kc.url, "grant": "password", "error_backoff": 0,
               "username": DAVE.0, "password": DAVE.1}),
    );
    let e = good.token().await.expect_err("locked: the right password is refused too");
    assert_eq!(e.oauth_error(), Some("invalid_grant"));
    let locked = |e: &[Value]| e.iter().any(|v| v["error"] == "user_temporarily_disabled");
    let ev = kc.events_until(BINARLY, "BinarlyClient", since, locked).await;
    assert!(count(&ev, "LOGIN_ERROR", DAVE.0) >= 3 && locked(&ev), "{ev:#?}");
    "2 failing calls → the account is locked (user_temporarily_disabled)".to_owned()
}

/// Rows and their outcome, printed as a table at the end.
#[derive(Default)]
struct Table {
    rows: Vec<(&'static str, Result<String, String>)>,
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}

impl Table {
    async fn run(&mut self, name: &'static str, row: impl Future<Output = String>) {
        let outcome = AssertUnwindSafe(row).catch_unwind().await.map_err(panic_text);
        self.rows.push((name, outcome));
    }

    fn print(&self, url: &str) -> usize {
        let failed = self.rows.iter().filter(|(_, r)| r.is_err()).count();
        let width = self.rows.iter().map(|(n, _)| n.chars().count()).max().unwrap_or(0);
        let mut s = format!("\nKeycloak conformance (Rust) against {url}\n");
        for (name, outcome) in &self.rows {
            let pad = " ".repeat(width - name.chars().count());
            match outcome {
                Ok(detail) => s += &format!("  {name}{pad}  pass  {detail}\n"),
                Err(why) => s += &format!("  {name}{pad}  FAIL  {}\n", why.replace('\n', " ")),
            }
        }
        s += &format!("keycloak conformance: {} passed, {failed} failed\n\n", self.rows.len() - failed);
        // Straight to the terminal: libtest captures print!, and the table is the point.
        let _ = std::io::stdout().lock().write_all(s.as_bytes());
        failed
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keycloak_conformance() {
    let Ok(url) = std::env::var("TOKENWELL_KEYCLOAK_URL") else {
        let _ = std::io::stdout().lock().write_all(
            b"\nkeycloak conformance: skipped, TOKENWELL_KEYCLOAK_URL is not set (`make test-keycloak` starts Keycloak)\n",
        );
        return;
    };
    let kc = Kc { url: url.trim_end_matches('/').to_owned(), http: reqwest::Client::new() };
    // The 60 s renewals take ~23 s of real time: they run beside the other rows (their own realm).
    let renewals = [tokio::spawn(renewal_60s(kc.clone(), true)), tokio::spawn(renewal_60s(kc.clone(), false))];

    let mut t = Table::default();
    t.run("password grant: BinarlyClient + scope=openid → JWT with exp", password_grant_openid(kc.clone())).await;
    t.run("refresh: invalidate() → refresh_token grant", refresh(kc.clone())).await;
    t.run("refresh_expires_in honoured", refresh_expires_in_honoured(kc.clone())).await;
    t.run("client credentials, secret in the body (preset keycloak)", client_credentials(kc.clone(), false)).await;
    t.run("client credentials, client_auth = basic", client_credentials(kc.clone(), true)).await;
    t.run("single flight against Keycloak", single_flight(kc.clone())).await;
    t.run("wrong password → oauth invalid_grant", wrong_password(kc.clone())).await;
    t.run("wrong client secret → oauth unauthorized_client", wrong_client_secret(kc.clone())).await;
    t.run("direct access grants disabled → unauthorized_client", direct_grants_disabled(kc.clone())).await;
    t.run("discovery through issuer", discovery(kc.clone())).await;
    t.run("preset binarly (base_url → local Keycloak)", preset_binarly(kc.clone())).await;
    t.run("preset phasetwo: client credentials (admin-cli)", preset_phasetwo_cc(kc.clone())).await;
    t.run("preset phasetwo: password grant (public client)", preset_phasetwo_password(kc.clone())).await;
    t.run("error_backoff: retry loop → 1 failed login, no lockout", error_backoff_protects_account(kc.clone())).await;
    t.run("error_backoff = 0: same loop locks the account", no_error_backoff_locks_account(kc.clone())).await;
    let names = ["60 s token renewed, no caller holds an expired one", "60 s client-credentials token renewed"];
    for (name, renewal) in names.into_iter().zip(renewals) {
        let outcome = renewal.await.map_err(|e| if e.is_panic() { panic_text(e.into_panic()) } else { e.to_string() });
        t.rows.push((name, outcome));
    }

    let failed = t.print(&kc.url);
    assert_eq!(failed, 0, "{failed} Keycloak conformance row(s) failed (table above)");
}
