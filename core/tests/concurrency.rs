//! Single flight and renewal timing, observed as the requests the test server counts.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{client, config, Ns};
use serde_json::json;
use tokenwell::{Client, ManualClock};

/// 200 tasks and 8 threads at once on `client`; returns the access tokens they got.
async fn herd(client: &Client) -> Vec<String> {
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move { c.token().await.map(|t| t.access_token().to_owned()) }));
    }
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let c = client.clone();
            std::thread::spawn(move || c.token_blocking().map(|t| t.access_token().to_owned()))
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap().expect("token"));
    }
    for t in threads {
        out.push(t.join().unwrap().expect("token"));
    }
    out
}

fn all_same(tokens: &[String]) -> bool {
    tokens.windows(2).all(|w| w[0] == w[1])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cold_herd_sends_one_request() {
    let ns = Ns::new("cold-herd").await;
    ns.control(json!({"delay_ms": 300})).await;
    let c = client(ns.cc_config());
    let tokens = herd(&c).await;
    assert_eq!(tokens.len(), 208);
    assert!(all_same(&tokens));
    assert_eq!(ns.total().await, 1);
    assert_eq!(ns.stats().await["max_concurrent"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn herd_at_renewal_sends_one_request() {
    let ns = Ns::new("renewal-herd").await;
    ns.control(json!({"delay_ms": 200, "expires_in": 60})).await;
    let clock = ManualClock::new();
    let mut cfg = ns.password_config();
    cfg["refresh_ahead"] = json!(0);
    let c = Client::with_clock(config(cfg), clock.clone()).unwrap();
    let first = c.token().await.unwrap();
    clock.advance(Duration::from_secs(31));
    let tokens = herd(&c).await;
    assert!(all_same(&tokens));
    assert_ne!(tokens[0], first.access_token());
    let stats = ns.stats().await;
    assert_eq!(stats["total"], 2, "{stats}");
    assert_eq!(stats["by_grant"]["refresh_token"], 1, "the renewal used the refresh token: {stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_clients_from_one_configuration_share_one_request() {
    let ns = Ns::new("fifty-clients").await;
    ns.control(json!({"delay_ms": 300})).await;
    let clients: Vec<Client> = (0..50).map(|_| client(ns.cc_config())).collect();
    let mut tasks = Vec::new();
    for c in &clients {
        for _ in 0..4 {
            let c = c.clone();
            tasks.push(tokio::spawn(async move { c.token().await.map(|t| t.access_token().to_owned()) }));
        }
    }
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap().unwrap());
    }
    assert!(all_same(&tokens));
    assert_eq!(ns.total().await, 1);
    // A client built later, from the same configuration, answers from the cache.
    assert_eq!(client(ns.cc_config()).cached().unwrap().access_token(), tokens[0]);
}

#[tokio::test]
async fn other_credentials_never_share_a_token() {
    let ns = Ns::new("other-creds").await;
    let a = client(ns.password_config());
    let mut other = ns.password_config();
    other["password"] = json!("not-the-password");
    let b = client(other);
    assert_eq!(a.cache_key(), b.cache_key(), "same key, different credentials");
    a.token().await.unwrap();
    assert!(b.cached().is_none());
    let err = b.token().await.unwrap_err();
    assert_eq!(err.oauth_error(), Some("invalid_grant"));
    assert_eq!(ns.total().await, 2);
}

async fn renewal_point(ns: &Ns, expires_in: u64, before: f64, at: f64) {
    ns.control(json!({"expires_in": expires_in})).await;
    let clock = ManualClock::new();
    let mut cfg = ns.cc_config();
    cfg["refresh_ahead"] = json!(0);
    let c = Client::with_clock(config(cfg), clock.clone()).unwrap();
    let first = c.token().await.unwrap();
    clock.advance(Duration::from_secs_f64(before));
    assert_eq!(c.token().await.unwrap().access_token(), first.access_token());
    assert!(c.cached().is_some());
    assert_eq!(ns.total().await, 1);
    clock.advance(Duration::from_secs_f64(at - before));
    assert!(c.cached().is_none(), "past the renewal point nothing is cached");
    let second = c.token().await.unwrap();
    assert_ne!(second.access_token(), first.access_token());
    assert_eq!(ns.total().await, 2);
}

#[tokio::test]
async fn a_60s_token_with_30s_leeway_renews_at_30s() {
    renewal_point(&Ns::new("renew-60").await, 60, 29.9, 30.0).await;
}

#[tokio::test]
async fn a_3600s_token_renews_at_3570s() {
    renewal_point(&Ns::new("renew-3600").await, 3600, 3569.9, 3570.0).await;
}

#[tokio::test]
async fn leeway_is_capped_at_half_the_lifetime() {
    // A 10 s token with the default 30 s leeway renews at 5 s, not immediately.
    renewal_point(&Ns::new("renew-10").await, 10, 4.9, 5.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_ahead_hands_out_the_cached_token_and_renews_once_in_the_background() {
    let ns = Ns::new("ahead").await;
    ns.control(json!({"expires_in": 60, "delay_ms": 300})).await;
    let clock = ManualClock::new();
    let c = Client::with_clock(config(ns.cc_config()), clock.clone()).unwrap();
    let first = c.token().await.unwrap();
    clock.advance(Duration::from_secs_f64(22.4));
    assert_eq!(c.token().await.unwrap().access_token(), first.access_token());
    assert_eq!(ns.total().await, 1, "before A = 22.5 s nothing happens");
    clock.advance(Duration::from_secs_f64(0.2));
    for _ in 0..100 {
        // Each call answers at once with the cached token while the renewal runs.
        assert_eq!(c.token().await.unwrap().access_token(), first.access_token());
    }
    let mut renewed = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let t = c.token().await.unwrap();
        if t.access_token() != first.access_token() {
            renewed = Some(t);
            break;
        }
    }
    assert!(renewed.is_some(), "the background renewal delivered a new token");
    assert_eq!(ns.total().await, 2, "exactly one background request");
}

#[tokio::test]
async fn rotation_never_reuses_a_refresh_token() {
    let ns = Ns::new("rotation").await;
    ns.control(json!({"expires_in": 60, "rotate_refresh": true})).await;
    let clock = ManualClock::new();
    let c = Client::with_clock(config(ns.password_config()), clock.clone()).unwrap();
    let mut seen = vec![c.token().await.unwrap().refresh_token().unwrap().to_owned()];
    for _ in 0..5 {
        clock.advance(Duration::from_secs(31));
        let t = c.token().await.unwrap();
        let rt = t.refresh_token().unwrap().to_owned();
        assert!(!seen.contains(&rt), "a new refresh token each renewal");
        seen.push(rt);
    }
    let stats = ns.stats().await;
    assert_eq!(stats["refresh_reuse"], 0, "{stats}");
    assert_eq!(stats["by_grant"]["refresh_token"], 5, "{stats}");
    assert_eq!(stats["by_grant"]["password"], 1, "{stats}");
    // Every refresh request carried the refresh token issued just before it.
    let sent: Vec<String> =
        ns.requests().await.iter().filter_map(|r| r["form"]["refresh_token"].as_str().map(str::to_owned)).collect();
    assert_eq!(sent, seen[..5].to_vec());
}

#[tokio::test]
async fn error_backoff_holds_back_a_wrong_password_loop() {
    let ns = Ns::new("backoff").await;
    let clock = ManualClock::new();
    let mut cfg = ns.password_config();
    cfg["password"] = json!("wrong-password-123");
    let mut codes = Vec::new();
    for _ in 0..20 {
        // A new client each time, as a careless retry loop would build: still held back.
        let c = Client::with_clock(config(cfg.clone()), clock.clone()).unwrap();
        let e = c.token().await.unwrap_err();
        codes.push((e.oauth_error().map(str::to_owned), e.status()));
        clock.advance(Duration::from_millis(245));
    }
    assert!(codes.iter().all(|c| c == &(Some("invalid_grant".to_owned()), Some(400))), "{codes:?}");
    assert_eq!(ns.total().await, 1, "20 calls in 4.9 s send one request");
    clock.advance(Duration::from_millis(200));
    let c = Client::with_clock(config(cfg), clock.clone()).unwrap();
    assert!(c.token().await.is_err());
    assert_eq!(ns.total().await, 2, "after 5 s the next call asks again");
}

#[tokio::test]
async fn a_refused_refresh_falls_back_once_to_the_configured_grant() {
    let ns = Ns::new("fallback").await;
    ns.control(json!({"expires_in": 60})).await;
    let clock = ManualClock::new();
    let c = Client::with_clock(config(ns.password_config()), clock.clone()).unwrap();
    c.token().await.unwrap();
    ns.script(json!([{"status": 400, "json": {"error": "invalid_grant", "error_description": "Token is not active"}}]))
        .await;
    clock.advance(Duration::from_secs(31));
    c.token().await.unwrap();
    let grants: Vec<String> =
        ns.requests().await.iter().map(|r| r["form"]["grant_type"].as_str().unwrap().to_owned()).collect();
    assert_eq!(grants, ["password", "refresh_token", "password"]);
}

#[tokio::test]
async fn use_refresh_token_false_reruns_the_configured_grant() {
    let ns = Ns::new("no-refresh").await;
    ns.control(json!({"expires_in": 60})).await;
    let clock = ManualClock::new();
    let mut cfg = ns.password_config();
    cfg["use_refresh_token"] = json!(false);
    let c = Client::with_clock(config(cfg), clock.clone()).unwrap();
    c.token().await.unwrap();
    clock.advance(Duration::from_secs(31));
    c.token().await.unwrap();
    assert_eq!(ns.stats().await["by_grant"]["password"], 2);
}

#[tokio::test]
async fn invalidate_drops_the_access_token_and_keeps_the_refresh_token() {
    let ns = Ns::new("invalidate").await;
    let c = client(ns.password_config());
    let first = c.token().await.unwrap();
    let g = c.generation();
    // Another client object with the same configuration invalidates: this one sees it.
    client(ns.password_config()).invalidate();
    assert!(c.cached().is_none());
    assert_ne!(c.generation(), g);
    let second = c.token().await.unwrap();
    assert_ne!(second.access_token(), first.access_token());
    assert_eq!(ns.stats().await["by_grant"]["refresh_token"], 1, "renewed with the kept refresh token");
}

#[tokio::test]
async fn cached_is_none_when_cold_and_never_fetches() {
    let ns = Ns::new("cached").await;
    let c = client(ns.cc_config());
    assert!(c.cached().is_none());
    assert!(c.try_token().is_none());
    assert_eq!(ns.total().await, 0);
    let t = c.token().await.unwrap();
    assert_eq!(c.cached().unwrap().access_token(), t.access_token());
    // A warm thread gets the same object every time (bindings rely on it to reuse theirs).
    assert!(Arc::ptr_eq(&c.cached().unwrap(), &c.cached().unwrap()));
    assert!(Arc::ptr_eq(&c.try_token().unwrap(), &c.cached().unwrap()));
    assert_eq!(ns.total().await, 1);
}

#[tokio::test]
async fn retries_a_503_then_succeeds() {
    let ns = Ns::new("retry-503").await;
    ns.script(json!([{"status": 503, "body": "busy", "retry_after": "0"}])).await;
    let c = client(ns.cc_config());
    c.token().await.unwrap();
    assert_eq!(ns.total().await, 2);
}

#[tokio::test]
async fn honours_retry_after_on_429() {
    let ns = Ns::new("retry-429").await;
    ns.script(json!([{"status": 429, "json": {"error": "slow_down"}, "retry_after": "1"}])).await;
    let c = client(ns.cc_config());
    let start = std::time::Instant::now();
    c.token().await.unwrap();
    assert!(start.elapsed() >= Duration::from_millis(900), "waited for Retry-After");
    assert_eq!(ns.total().await, 2);
}

#[tokio::test]
async fn oauth_errors_are_not_retried() {
    let ns = Ns::new("no-retry-oauth").await;
    let mut cfg = ns.cc_config();
    cfg["client_secret"] = json!("wrong");
    let e = client(cfg).token().await.unwrap_err();
    assert_eq!(e.oauth_error(), Some("invalid_client"));
    assert_eq!(ns.total().await, 1);
}

#[tokio::test]
async fn discovery_finds_the_endpoint_and_prefers_basic_when_post_is_not_listed() {
    let ns = Ns::new("discovery").await;
    ns.control(json!({"discovery_auth_methods": ["client_secret_basic"]})).await;
    let issuer = format!("{}/realms/demo", ns.url);
    let c = client(json!({"issuer": issuer, "client_id": "app", "client_secret": "app-secret"}));
    c.token().await.unwrap();
    let reqs = ns.requests().await;
    assert_eq!(reqs.len(), 1);
    assert!(reqs[0]["path"].as_str().unwrap().ends_with("/realms/demo/protocol/openid-connect/token"), "{}", reqs[0]);
    assert_eq!(reqs[0]["basic"]["client_id"], "app");
    assert!(reqs[0]["form"].get("client_secret").is_none());
}

#[tokio::test]
async fn discovery_keeps_post_when_the_server_lists_it() {
    let ns = Ns::new("discovery-post").await;
    // IdentityServer's discovery lists client_secret_post, and its endpoint refuses Basic.
    let c = client(json!({"issuer": ns.url, "client_id": "semansys-client", "client_secret": "semansys-secret"}));
    c.token().await.unwrap();
    let reqs = ns.requests().await;
    assert!(reqs[0]["path"].as_str().unwrap().ends_with("/connect/token"), "{}", reqs[0]);
    assert_eq!(reqs[0]["form"]["client_secret"], "semansys-secret");
    assert!(reqs[0]["basic"].is_null());
}

#[tokio::test]
async fn discovery_of_an_unreachable_issuer_is_a_network_error() {
    let e =
        client(json!({"issuer": "http://127.0.0.1:9/nowhere", "client_id": "a", "client_secret": "b", "retries": 0}))
            .token()
            .await
            .unwrap_err();
    assert_eq!(e.code(), tokenwell::ErrorCode::Network);
}

#[tokio::test]
async fn invalidate_if_spares_a_token_renewed_meanwhile() {
    let ns = Ns::new("invalidate-if").await;
    let c = client(ns.cc_config());
    let old = c.token().await.unwrap();
    assert!(c.invalidate_if(&old), "the cached token is the one that got the 401");
    let new = c.token().await.unwrap();
    assert_ne!(new.access_token(), old.access_token());
    // A late 401 for the old token must not drop the new one.
    assert!(!c.invalidate_if(&old));
    assert_eq!(c.cached().unwrap().access_token(), new.access_token());
    assert_eq!(ns.total().await, 2);
}
