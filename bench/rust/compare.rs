//! tokenwell beside the `oauth2` crate with the cache a user writes around it (a tokio mutex
//! held across the fetch, 30 s leeway). Modes as in every language of bench/ (bench/README.md):
//! `inproc SERVER` prints the in-process measures as JSON; `once`, `load` and `hold` are the
//! child processes bench/driver.py times and counts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{ClientId, ClientSecret, EndpointNotSet, EndpointSet, TokenResponse, TokenUrl};
use serde_json::{json, Value};

const SECRET: &str = "app-secret";
const READERS: usize = 4;

type CcClient = BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// The hand-written cache: what the oauth2 crate's docs leave to the user.
struct HandCache {
    client: CcClient,
    http: reqwest::Client,
    slot: tokio::sync::Mutex<Option<(Arc<BasicTokenResponse>, Instant)>>,
}

impl HandCache {
    async fn get(&self) -> Result<Arc<BasicTokenResponse>, String> {
        let mut slot = self.slot.lock().await;
        if let Some((t, expires)) = &*slot {
            if Instant::now() + Duration::from_secs(30) < *expires {
                return Ok(t.clone());
            }
        }
        let r = self.client.exchange_client_credentials().request_async(&self.http).await.map_err(|e| e.to_string())?;
        let expires = Instant::now() + r.expires_in().unwrap_or(Duration::from_secs(300));
        let t = Arc::new(r);
        *slot = Some((t.clone(), expires));
        Ok(t)
    }
}

enum Lib {
    Tokenwell(tokenwell::Client),
    TokenwellTry(tokenwell::Client),
    OAuth2(Box<HandCache>),
    Raw(String),
}

enum Tok {
    Tw(Arc<tokenwell::Token>),
    O2(Arc<BasicTokenResponse>),
    Raw(String),
}

impl Tok {
    fn access(&self) -> &str {
        match self {
            Tok::Tw(t) => t.access_token(),
            Tok::O2(t) => t.access_token().secret(),
            Tok::Raw(s) => s,
        }
    }
}

const LIBS: &[(&str, &str)] = &[
    ("tokenwell", "`client.token().await`"),
    ("tokenwell try_token()", "synchronous `client.try_token()` (warm path only)"),
    ("oauth2 + hand-written cache", "`exchange_client_credentials` behind a `tokio::sync::Mutex` cache, 30 s leeway"),
];
const RAW: (&str, &str) = ("raw POST", "`reqwest` POST on a new connection");

fn make(name: &str, url: &str, cache: Option<&str>) -> Result<Lib, String> {
    let tw = || {
        let mut v = json!({"token_url": url, "client_id": "app", "client_secret": SECRET});
        if let Some(c) = cache {
            v["cache"] = json!(c);
        }
        tokenwell::Config::from_value(v).and_then(tokenwell::Client::new).map_err(|e| e.to_string())
    };
    Ok(match name {
        "tokenwell" => Lib::Tokenwell(tw()?),
        "tokenwell try_token()" => Lib::TokenwellTry(tw()?),
        "oauth2 + hand-written cache" => Lib::OAuth2(Box::new(HandCache {
            client: BasicClient::new(ClientId::new("app".into()))
                .set_client_secret(ClientSecret::new(SECRET.into()))
                .set_token_uri(TokenUrl::new(url.into()).map_err(|e| e.to_string())?),
            // As the oauth2 crate's docs build it: no redirects on the token request.
            http: reqwest::ClientBuilder::new()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| e.to_string())?,
            slot: tokio::sync::Mutex::new(None),
        })),
        "raw POST" => Lib::Raw(url.into()),
        _ => return Err(format!("unknown library {name}")),
    })
}

impl Lib {
    #[inline]
    async fn get(&self) -> Result<Tok, String> {
        match self {
            Lib::Tokenwell(c) => c.token().await.map(Tok::Tw).map_err(|e| e.to_string()),
            Lib::TokenwellTry(c) => match c.try_token() {
                Some(t) => Ok(Tok::Tw(t)),
                None => c.token().await.map(Tok::Tw).map_err(|e| e.to_string()),
            },
            Lib::OAuth2(h) => h.get().await.map(Tok::O2),
            Lib::Raw(url) => raw_post(url).await.map(Tok::Raw),
        }
    }
}

// ---- plain HTTP to the test server ----

/// One reqwest client for the process with pooling off: each POST opens a new connection, as in
/// every language's raw POST (building a client per POST would time the TLS root store instead).
fn raw_client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| reqwest::ClientBuilder::new().pool_max_idle_per_host(0).build().expect("reqwest client"))
}

async fn raw_post(url: &str) -> Result<String, String> {
    let r = raw_client()
        .post(url)
        .basic_auth("app", Some(SECRET))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status() != 200 {
        return Err(format!("token endpoint answered {}", r.status()));
    }
    let v: Value = r.json().await.map_err(|e| e.to_string())?;
    Ok(v["access_token"].as_str().unwrap_or_default().to_owned())
}

async fn control(http: &reqwest::Client, ns: &str, settings: Option<Value>) {
    let ok = |r: Result<reqwest::Response, reqwest::Error>| match r {
        Ok(r) if r.status() == 200 => {}
        other => panic!("test server: {other:?}"),
    };
    ok(http.post(format!("{ns}/_reset")).header("content-type", "application/json").body("{}").send().await);
    if let Some(s) = settings {
        ok(http
            .post(format!("{ns}/_control"))
            .header("content-type", "application/json")
            .body(s.to_string())
            .send()
            .await);
    }
}

async fn stats(http: &reqwest::Client, ns: &str) -> Value {
    http.get(format!("{ns}/_stats")).send().await.expect("stats").json().await.expect("stats json")
}

fn slug(name: &str) -> String {
    let s: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    s.trim_matches('-').to_owned()
}

fn quick() -> bool {
    std::env::var("BENCH_QUICK").as_deref() == Ok("1")
}

// ---- measures ----

async fn warm_ns(lib: Arc<Lib>, readers: usize) -> Vec<f64> {
    let (repeats, calls) = if quick() { (3, 1_000_000) } else { (7, 5_000_000) };
    let per = calls / readers;
    async fn run(lib: &Lib, n: usize) {
        for _ in 0..n {
            let t = lib.get().await.expect("warm token");
            std::hint::black_box(t.access());
        }
    }
    run(&lib, per / 10).await;
    let mut runs = vec![];
    for _ in 0..repeats {
        let t = Instant::now();
        let tasks: Vec<_> = (0..readers)
            .map(|_| {
                let lib = lib.clone();
                tokio::spawn(async move { run(&lib, per).await })
            })
            .collect();
        for task in tasks {
            task.await.expect("reader");
        }
        runs.push(t.elapsed().as_nanos() as f64 / (per * readers) as f64);
    }
    runs
}

/// The libraries take turns, run by run, each round in a rotated order, so neither the machine's
/// changing load nor the work just before (code left warm) favours one. Each run asks a namespace
/// nothing used before (the server creates it on first use): no call of the harness's own, which
/// would warm the raw POST's HTTP code, comes between two runs.
async fn first_ms(names: &[&str], server: &str) -> Vec<Vec<f64>> {
    let runs_n = if quick() { 3 } else { 101 };
    let mut runs = vec![vec![]; names.len()];
    for i in 0..runs_n {
        for j in 0..names.len() {
            let k = (i + j) % names.len();
            let ns = format!("{server}/t/rust-first-{}-{}-{i}", slug(names[k]), std::process::id());
            let t = Instant::now();
            let lib = make(names[k], &format!("{ns}/token"), None).expect("client");
            lib.get().await.expect("first token");
            runs[k].push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    runs
}

async fn herd(http: &reqwest::Client, name: &str, server: &str, callers: usize) -> Value {
    let ns = format!("{server}/t/rust-herd{callers}-{}-{}", slug(name), std::process::id());
    control(http, &ns, Some(json!({"delay_ms": 50}))).await;
    let lib = Arc::new(make(name, &format!("{ns}/token"), None).expect("client"));
    let gate = Arc::new(tokio::sync::Barrier::new(callers));
    let t = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let (lib, gate) = (lib.clone(), gate.clone());
            tokio::spawn(async move {
                gate.wait().await;
                lib.get().await.is_err()
            })
        })
        .collect();
    let mut errors = 0;
    for task in tasks {
        errors += usize::from(task.await.unwrap_or(true));
    }
    json!({"requests": stats(http, &ns).await["total"], "errors": errors, "seconds": t.elapsed().as_secs_f64()})
}

/// A call every 100 ms for 6 s; each handed-out token goes to the server's /resource at once,
/// which answers 401 (counted in its stats) for a token it considers expired.
async fn cadence(http: reqwest::Client, name: &'static str, server: String, expires_in: u64) -> Value {
    let ns = format!("{server}/t/rust-exp{expires_in}-{}-{}", slug(name), std::process::id());
    control(&http, &ns, Some(json!({"expires_in": expires_in}))).await;
    let lib = make(name, &format!("{ns}/token"), None).expect("client");
    let t0 = tokio::time::Instant::now();
    let (mut calls, mut errors) = (0, 0);
    for i in 0..60u32 {
        tokio::time::sleep_until(t0 + Duration::from_millis(100) * i).await;
        match lib.get().await {
            Ok(t) => {
                calls += 1;
                let _ = http.get(format!("{ns}/resource")).bearer_auth(t.access()).send().await;
            }
            Err(_) => errors += 1,
        }
    }
    let s = stats(&http, &ns).await;
    json!({"calls": calls, "requests": s["total"], "expired": s["resource_401"], "errors": errors})
}

async fn inproc(server: &str) -> Value {
    let http = reqwest::Client::new();
    let mut results = serde_json::Map::new();
    let all: Vec<(&str, &str)> = LIBS.iter().copied().chain([RAW]).collect();
    for (name, how) in &all {
        results.insert(name.to_string(), json!({"how": how}));
    }
    for (name, _) in LIBS {
        let ns = format!("{server}/t/rust-warm-{}-{}", slug(name), std::process::id());
        control(&http, &ns, None).await;
        let lib = Arc::new(make(name, &format!("{ns}/token"), None).expect("client"));
        lib.get().await.expect("first token");
        results[*name]["warm"] = json!(warm_ns(lib.clone(), 1).await);
        results[*name]["warm_readers"] = json!(warm_ns(lib, READERS).await);
    }
    let full: Vec<&'static str> = LIBS.iter().map(|(n, _)| *n).filter(|n| !n.contains("try_token")).collect();
    let cold: Vec<&str> = full.iter().copied().chain([RAW.0]).collect();
    for (name, runs) in cold.iter().zip(first_ms(&cold, server).await) {
        results[*name]["first_ms"] = json!(runs);
    }
    for name in &full {
        for n in [64, 1000] {
            results[*name][format!("herd{n}")] = herd(&http, name, server, n).await;
        }
    }
    let mut tasks = vec![];
    for name in &full {
        for e in [2, 60] {
            tasks.push((*name, e, tokio::spawn(cadence(http.clone(), name, server.to_owned(), e))));
        }
    }
    for (name, e, task) in tasks {
        results[name][format!("exp{e}")] = task.await.expect("cadence");
    }
    json!({
        "lang": "Rust",
        "versions": {"rustc": option_env!("BENCH_RUSTC").unwrap_or("?"), "tokenwell": env_version("tokenwell"), "oauth2": env_version("oauth2"), "reqwest": env_version("reqwest")},
        "readers": READERS,
        "order": all.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "libs": results,
    })
}

/// The version of a dependency as Cargo.lock resolved it (read at run time from the lock file
/// beside this crate, passed in BENCH_LOCK by the make target).
fn env_version(krate: &str) -> String {
    let lock = std::env::var("BENCH_LOCK").ok().and_then(|p| std::fs::read_to_string(p).ok()).unwrap_or_default();
    let needle = format!("name = \"{krate}\"\nversion = \"");
    lock.find(&needle)
        .and_then(|i| lock[i + needle.len()..].split('"').next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn rss_kb() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Where a new process's first token goes, in ms: tokenwell's runtime start, then two clients on
/// fresh namespaces; the first pays the one-time costs (its HTTP client, code not yet run), the
/// second only the request. Run in a fresh process by the driver.
async fn parts(server: &str) -> Value {
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let _ = tokenwell::runtime::handle();
    let mut out = json!({"runtime": ms(t)});
    for i in 1..=2 {
        let url = format!("{server}/t/rust-parts-{}-{i}/token", std::process::id());
        let t = Instant::now();
        let lib = make("tokenwell", &url, None).expect("client");
        out[format!("new{i}")] = json!(ms(t));
        let t = Instant::now();
        lib.get().await.expect("token");
        out[format!("token{i}")] = json!(ms(t));
    }
    out
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map(String::as_str).unwrap_or("");
    if mode == "inproc" {
        println!("{}", inproc(&args[1]).await);
        return;
    }
    if mode == "parts" {
        println!("{}", parts(&args[1]).await);
        return;
    }
    let (name, ns) = (args[1].as_str(), args[2].as_str());
    let url = format!("{ns}/token");
    match mode {
        "load" => {
            if name != "none" {
                make(name, &url, None).expect("client");
            }
        }
        "hold" => {
            let lib = (name != "none").then(|| make(name, &url, None).expect("client"));
            if let Some(lib) = &lib {
                lib.get().await.expect("token");
            }
            println!("{{\"rss_kb\": {}}}", rss_kb());
        }
        "once" => {
            let cache = args.iter().position(|a| a == "--cache").and_then(|i| args.get(i + 1));
            let lib = make(name, &url, cache.map(String::as_str)).expect("client");
            if args.iter().any(|a| a == "--wait") {
                println!("ready");
                let mut line = String::new();
                let _ = std::io::stdin().read_line(&mut line);
            }
            lib.get().await.expect("token");
            println!("ok");
        }
        _ => {
            eprintln!("unknown mode {mode}");
            std::process::exit(2);
        }
    }
}
