//! Soak and stress on the real clock: 64 threads calling one client across many 2-second token
//! lifetimes (zero errors, never a token the server considers expired), and the lockout
//! protection under a tight loop of wrong credentials. `TW_SOAK_CALLS` sets the calls per
//! thread (default 2000, a few seconds; `make soak` runs 10 000).

mod common;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Ns;
use serde_json::{json, Value};
use tokenwell::{ErrorCode, Token};

const THREADS: usize = 64;
/// `/resource` checks per thread, spread over its calls.
const SAMPLES_PER_THREAD: usize = 20;

fn calls_per_thread() -> usize {
    std::env::var("TW_SOAK_CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// `GET {ns}/resource` with the token, over a plain socket (no runtime on these threads):
/// the HTTP status the server answered.
fn resource_status(ns_url: &str, token: &str) -> Result<u16, String> {
    let rest = ns_url.strip_prefix("http://").ok_or("not an http URL")?;
    let (host, path) = rest.split_once('/').ok_or("no path")?;
    let mut s = TcpStream::connect(host).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let req = format!(
        "GET /{path}/resource HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&answer);
    text.split(' ').nth(1).and_then(|c| c.parse().ok()).ok_or_else(|| format!("bad answer: {text:.80}"))
}

/// The server's own expiry for its token (JWT `exp`, whole seconds, rounded down: never later
/// than the server's real expiry), in Unix ns.
fn server_exp_ns(t: &Token) -> Option<i64> {
    tokenwell::jwt_exp(t.access_token()).map(|s| s * 1_000_000_000)
}

#[derive(Default)]
struct Counts {
    calls: AtomicU64,
    errors: AtomicU64,
    expired_client: AtomicU64,
    expired_server: AtomicU64,
    samples: AtomicU64,
    sample_failures: AtomicU64,
    /// Least time left on a handed-out token at the moment it was asked for, in µs.
    min_left_us: AtomicU64,
}

#[test]
fn sixty_four_threads_across_renewals_never_get_an_expired_token() {
    soak("soak-64", json!({}), 0.75);
}

/// Without refresh-ahead every thread reaches the renewal point and waits for the one renewal.
#[test]
fn sixty_four_threads_waiting_at_each_renewal_point_never_get_an_expired_token() {
    soak("soak-64-no-ahead", json!({ "refresh_ahead": 0 }), 1.0);
}

/// 64 threads on one client of 2-second tokens; `patch` is merged into the configuration and
/// `renew_after` is how far into a token's life its renewal may start (seconds).
fn soak(name: &str, patch: Value, renew_after: f64) {
    let rt = runtime();
    let ns = rt.block_on(Ns::new(name));
    rt.block_on(ns.control(json!({ "expires_in": 2 })));
    let mut cfg = ns.cc_config();
    for (k, v) in patch.as_object().into_iter().flatten() {
        cfg[k] = v.clone();
    }
    let client = common::client(cfg);
    let per_thread = calls_per_thread();
    let every = (per_thread / SAMPLES_PER_THREAD).max(1);
    let counts = Arc::new(Counts { min_left_us: AtomicU64::new(u64::MAX), ..Counts::default() });
    let tokens = Arc::new(Mutex::new(HashSet::<String>::new()));
    let first_error = Arc::new(Mutex::new(None::<String>));
    let started = Instant::now();

    std::thread::scope(|scope| {
        for th in 0..THREADS {
            let (client, counts, tokens, first_error, url) = (&client, &counts, &tokens, &first_error, &ns.url);
            scope.spawn(move || {
                let mut seen = HashSet::new();
                for i in 0..per_thread {
                    let asked_at = tokenwell::wall_now_ns();
                    // The ways bindings ask: blocking, or the no-wait paths first.
                    let result = match th % 3 {
                        0 => client.token_blocking(),
                        1 => client.try_token().map(Ok).unwrap_or_else(|| client.token_blocking()),
                        _ => client.cached().map(Ok).unwrap_or_else(|| client.token_blocking()),
                    };
                    counts.calls.fetch_add(1, Ordering::Relaxed);
                    let token = match result {
                        Ok(t) => t,
                        Err(e) => {
                            counts.errors.fetch_add(1, Ordering::Relaxed);
                            let mut first = first_error.lock().unwrap();
                            first.get_or_insert_with(|| format!("{}: {e}", e.code().as_str()));
                            continue;
                        }
                    };
                    let left = token.expires_at_unix_nanos() - asked_at;
                    if left <= 0 {
                        counts.expired_client.fetch_add(1, Ordering::Relaxed);
                    }
                    counts.min_left_us.fetch_min((left.max(0) / 1000) as u64, Ordering::Relaxed);
                    if server_exp_ns(&token).is_none_or(|exp| exp <= asked_at) {
                        counts.expired_server.fetch_add(1, Ordering::Relaxed);
                    }
                    if seen.insert(token.access_token().to_owned()) {
                        tokens.lock().unwrap().insert(token.access_token().to_owned());
                    }
                    if i % every == every / 2 {
                        counts.samples.fetch_add(1, Ordering::Relaxed);
                        if resource_status(url, token.access_token()) != Ok(200) {
                            counts.sample_failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    // Pace the calls so the run spans several lifetimes.
                    std::thread::sleep(Duration::from_millis(1));
                }
            });
        }
    });

    let elapsed = started.elapsed();
    let stats = rt.block_on(ns.stats());
    let c = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let distinct = tokens.lock().unwrap().len();
    println!(
        "soak ({name}): {} threads × {per_thread} calls = {} calls in {:.1} s; {} errors; {} handed out expired (client view), \
         {} (server's JWT exp); {} /resource samples, {} refused; {} token requests, {} distinct tokens, \
         max concurrent requests {}; least time left on a handed-out token {:.0} ms",
        THREADS,
        c(&counts.calls),
        elapsed.as_secs_f64(),
        c(&counts.errors),
        c(&counts.expired_client),
        c(&counts.expired_server),
        c(&counts.samples),
        c(&counts.sample_failures),
        stats["total"],
        distinct,
        stats["max_concurrent"],
        c(&counts.min_left_us) as f64 / 1000.0,
    );
    assert_eq!(c(&counts.calls), (THREADS * per_thread) as u64);
    assert_eq!(c(&counts.errors), 0, "first error: {:?}", first_error.lock().unwrap());
    assert_eq!(c(&counts.expired_client), 0, "tokens handed out at or past their expiry");
    assert_eq!(c(&counts.expired_server), 0, "tokens handed out past the server's exp");
    assert_eq!(c(&counts.sample_failures), 0, "the resource server refused handed-out tokens");
    assert!(c(&counts.samples) >= THREADS as u64);
    assert_eq!(stats["max_concurrent"], 1, "one renewal at a time (single flight)");
    // One renewal per token at most (none starts before `renew_after`), plus the first fetch.
    let most = (elapsed.as_secs_f64() / renew_after).ceil() as u64 + 2;
    let total = stats["total"].as_u64().unwrap();
    assert!(total <= most, "{total} token requests in {:.1} s (expected ≤ {most})", elapsed.as_secs_f64());
    assert!(total >= 2, "the run never crossed a renewal, so it showed nothing");
    assert_eq!(total as usize, distinct, "every fetched token was handed out");
}

/// A wrong-credentials loop on `threads` threads for `secs`, each call on a new client when
/// `new_clients`; returns the calls made and the server's request arrival times (ms).
fn hammer(ns: &Ns, rt: &tokio::runtime::Runtime, threads: usize, new_clients: bool, secs: f64) -> (u64, Vec<i64>) {
    let mut cfg = ns.cc_config();
    cfg["client_secret"] = json!("Tw-soak-wrong-secret");
    cfg["error_backoff"] = json!(1);
    cfg["retries"] = json!(0);
    let shared = common::client(cfg.clone());
    let calls = AtomicU64::new(0);
    let until = Instant::now() + Duration::from_secs_f64(secs);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (cfg, shared, calls) = (&cfg, &shared, &calls);
            scope.spawn(move || {
                while Instant::now() < until {
                    let client = if new_clients { common::client(cfg.clone()) } else { shared.clone() };
                    let err: tokenwell::Error = match client.token_blocking() {
                        Ok(_) => panic!("a token for wrong credentials"),
                        Err(e) => e,
                    };
                    assert_eq!(err.code(), ErrorCode::OAuth, "{err}");
                    assert_eq!(err.oauth_error(), Some("invalid_client"));
                    assert!(!err.to_string().contains("Tw-soak-wrong-secret"));
                    calls.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let records: Vec<Value> = rt.block_on(ns.requests());
    let at = records.iter().filter_map(|r| r["at_ms"].as_f64()).map(|a| a as i64).collect();
    (calls.into_inner(), at)
}

fn check_lockout(what: &str, calls: u64, at: &[i64], secs: f64) {
    let gaps: Vec<i64> = at.windows(2).map(|w| w[1] - w[0]).collect();
    println!("lockout ({what}): {calls} calls in {secs} s sent {} requests, gaps {gaps:?} ms", at.len());
    assert!(calls > 100, "the loop was not tight: {calls} calls");
    assert!(
        !at.is_empty() && at.len() as f64 <= secs + 1.0,
        "{} requests in {secs} s with error_backoff 1 s",
        at.len()
    );
    assert!(gaps.iter().all(|g| *g >= 990), "requests closer than error_backoff: {gaps:?}");
}

#[test]
fn wrong_credentials_in_a_tight_loop_send_one_request_per_error_backoff() {
    let rt = runtime();
    let ns = rt.block_on(Ns::new("soak-lockout"));
    let (calls, at) = hammer(&ns, &rt, 1, false, 3.0);
    check_lockout("one client, one thread", calls, &at, 3.0);
}

#[test]
fn a_new_client_per_call_on_eight_threads_is_held_back_too() {
    let rt = runtime();
    let ns = rt.block_on(Ns::new("soak-lockout-new"));
    let (calls, at) = hammer(&ns, &rt, 8, true, 3.0);
    check_lockout("a new client per call, 8 threads", calls, &at, 3.0);
}
