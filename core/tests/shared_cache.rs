//! The file and Redis caches across real processes: this test binary re-runs itself as child
//! processes (the ignored `child` test) that ask for tokens with a given configuration.

mod common;

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Ns;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Child mode: `TW_CHILD_CONFIG` holds the configuration, `TW_CHILD_THREADS` how many threads
/// ask at once. Prints one line per thread: `OK <sha256 of the token> <ms left>` or `ERR <code>`.
#[test]
#[ignore = "run as a child process by the other tests"]
fn child() {
    let Ok(cfg) = std::env::var("TW_CHILD_CONFIG") else { return };
    let threads: usize = std::env::var("TW_CHILD_THREADS").ok().and_then(|t| t.parse().ok()).unwrap_or(1);
    let client = tokenwell::Client::new(tokenwell::Config::from_json(&cfg).expect("config")).expect("client");
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let c = client.clone();
            std::thread::spawn(move || match c.token_blocking() {
                Ok(t) => format!(
                    "OK {} {}",
                    hex(&Sha256::digest(t.access_token().as_bytes())),
                    (t.expires_in() * 1000.0) as i64
                ),
                Err(e) => format!("ERR {}", e.code()),
            })
        })
        .collect();
    for h in handles {
        println!("TW {}", h.join().unwrap());
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn spawn_child(config: &Value, threads: usize) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--ignored", "--nocapture", "--test-threads", "1"])
        .env("TW_CHILD_CONFIG", config.to_string())
        .env("TW_CHILD_THREADS", threads.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("child starts")
}

/// Waits (bounded) for a child and returns its result lines.
fn results(mut child: Child) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "child did not finish");
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    out.lines().filter_map(|l| l.find("TW ").map(|i| l[i + 3..].to_owned())).collect()
}

fn run_children(config: &Value, processes: usize, threads: usize) -> Vec<String> {
    let children: Vec<_> = (0..processes).map(|_| spawn_child(config, threads)).collect();
    children.into_iter().flat_map(results).collect()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tokenwell-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn file_config(ns: &Ns, dir: &Path) -> Value {
    let mut c = ns.password_config();
    c["cache"] = json!(format!("file:{}", dir.display()));
    c
}

fn all_ok_and_same(lines: &[String]) {
    assert!(lines.iter().all(|l| l.starts_with("OK ")), "{lines:?}");
    let first = lines[0].split(' ').nth(1).unwrap();
    assert!(lines.iter().all(|l| l.split(' ').nth(1) == Some(first)), "one token for all: {lines:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sixteen_processes_on_a_cold_file_cache_send_one_request() {
    let ns = Ns::new("file-16").await;
    ns.control(json!({"delay_ms": 300})).await;
    let dir = temp_dir("16");
    let cfg = file_config(&ns, &dir);
    let lines = tokio::task::spawn_blocking(move || run_children(&cfg, 16, 4)).await.unwrap();
    assert_eq!(lines.len(), 64);
    all_ok_and_same(&lines);
    assert_eq!(ns.total().await, 1);
    // The folder and files are private.
    assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    for e in std::fs::read_dir(&dir).unwrap() {
        let e = e.unwrap();
        assert_eq!(e.metadata().unwrap().permissions().mode() & 0o777, 0o600, "{:?}", e.file_name());
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn processes_taking_turns_never_reuse_a_rotated_refresh_token() {
    let ns = Ns::new("file-rotation").await;
    ns.control(json!({"expires_in": 2, "rotate_refresh": true})).await;
    let dir = temp_dir("rotation");
    let cfg = file_config(&ns, &dir);
    for round in 0..6 {
        let c = cfg.clone();
        let lines = tokio::task::spawn_blocking(move || run_children(&c, 1, 1)).await.unwrap();
        assert!(lines[0].starts_with("OK "), "round {round}: {lines:?}");
        // Past the renewal point (1 s for a 2 s token) before the next process runs.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    let stats = ns.stats().await;
    assert_eq!(stats["refresh_reuse"], 0, "{stats}");
    assert_eq!(stats["by_grant"]["password"], 1, "{stats}");
    assert_eq!(stats["by_grant"]["refresh_token"], 5, "{stats}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_lock_holder_does_not_block_the_others() {
    let ns = Ns::new("file-kill").await;
    ns.script(json!([{"fault": "hang", "ms": 20000}])).await;
    let dir = temp_dir("kill");
    let mut cfg = file_config(&ns, &dir);
    cfg["timeout"] = json!(5);
    cfg["retries"] = json!(0);
    let mut holder = spawn_child(&cfg, 1);
    // Wait until the holder's request reached the server, then kill it.
    for _ in 0..200 {
        if ns.total().await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    holder.kill().unwrap();
    let _ = holder.wait();
    let start = Instant::now();
    let c = cfg.clone();
    let lines = tokio::task::spawn_blocking(move || run_children(&c, 2, 1)).await.unwrap();
    all_ok_and_same(&lines);
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
    assert_eq!(ns.total().await, 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_entry_of_other_credentials_is_not_served() {
    let ns = Ns::new("file-creds").await;
    ns.control(json!({"users": {"alice": "wonderland", "bob": "builder"}})).await;
    let dir = temp_dir("creds");
    let cfg = file_config(&ns, &dir);
    let c1 = cfg.clone();
    tokio::task::spawn_blocking(move || run_children(&c1, 1, 1)).await.unwrap();
    // Same cache key (same user name), another password: the entry must not be served.
    let mut other = cfg.clone();
    other["password"] = json!("wrong-password");
    let lines = tokio::task::spawn_blocking(move || run_children(&other, 1, 1)).await.unwrap();
    assert_eq!(lines, ["ERR oauth"]);
    assert_eq!(ns.total().await, 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_sealed_entry_is_unreadable_without_the_secret() {
    let ns = Ns::new("file-sealed").await;
    let dir = temp_dir("sealed");
    let mut cfg = file_config(&ns, &dir);
    cfg["cache_secret"] = json!("zz-cache-secret");
    let client = tokenwell::Client::new(tokenwell::Config::from_value(cfg.clone()).unwrap()).unwrap();
    let token = client.token().await.unwrap();
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let raw = std::fs::read_to_string(&file).unwrap();
    assert!(!raw.contains(token.access_token()), "the token is sealed");
    assert!(!raw.contains(token.refresh_token().unwrap()));
    assert!(raw.contains("\"sealed\""));
    // Another process with the secret reads it (no request); one with another secret does not.
    let c = cfg.clone();
    let lines = tokio::task::spawn_blocking(move || run_children(&c, 1, 1)).await.unwrap();
    assert!(lines[0].starts_with("OK "));
    assert_eq!(ns.total().await, 1);
    cfg["cache_secret"] = json!("another-secret");
    let lines = tokio::task::spawn_blocking(move || run_children(&cfg, 1, 1)).await.unwrap();
    assert!(lines[0].starts_with("OK "));
    assert_eq!(ns.total().await, 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn loose_permissions_and_corrupt_files_are_refused_not_fatal() {
    let ns = Ns::new("file-perms").await;
    let dir = temp_dir("perms");
    let cfg = file_config(&ns, &dir);
    let c = cfg.clone();
    tokio::task::spawn_blocking(move || run_children(&c, 1, 1)).await.unwrap();
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    // A group-readable entry is refused: the child fetches (and still gets a token).
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let c = cfg.clone();
    let lines = tokio::task::spawn_blocking(move || run_children(&c, 1, 1)).await.unwrap();
    assert!(lines[0].starts_with("OK "), "{lines:?}");
    assert_eq!(ns.total().await, 2);
    // A truncated entry is ignored and replaced.
    std::fs::remove_file(&file).unwrap();
    std::fs::write(&file, "{\"v\":1,\"key\":").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let c = cfg.clone();
    let lines = tokio::task::spawn_blocking(move || run_children(&c, 1, 1)).await.unwrap();
    assert!(lines[0].starts_with("OK "), "{lines:?}");
    assert_eq!(ns.total().await, 3);
    let c = cfg.clone();
    let lines = tokio::task::spawn_blocking(move || run_children(&c, 1, 1)).await.unwrap();
    assert!(lines[0].starts_with("OK "), "{lines:?}");
    assert_eq!(ns.total().await, 3, "the replaced entry is served");
    // list and clear see the entry, never the token.
    let spec = format!("file:{}", dir.display());
    let entries = tokenwell::list_entries(&spec).unwrap();
    assert_eq!(entries.len(), 1);
    assert!(entries[0].expires_at.is_some() && entries[0].has_refresh_token == Some(true));
    assert_eq!(tokenwell::clear_entries(&spec, None).unwrap(), 1);
    assert!(tokenwell::list_entries(&spec).unwrap().is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn invalidate_reaches_other_processes_but_spares_a_newer_token() {
    let ns = Ns::new("file-invalidate").await;
    let dir = temp_dir("invalidate");
    let cfg = file_config(&ns, &dir);
    let client = tokenwell::Client::new(tokenwell::Config::from_value(cfg.clone()).unwrap()).unwrap();
    client.token().await.unwrap();
    client.invalidate();
    // Another process finds no access token in the entry and renews with the kept refresh token.
    let c = cfg.clone();
    let lines = tokio::task::spawn_blocking(move || run_children(&c, 1, 1)).await.unwrap();
    assert!(lines[0].starts_with("OK "));
    let stats = ns.stats().await;
    assert_eq!(stats["by_grant"]["refresh_token"], 1, "{stats}");
    // This process now invalidates its (old, already dropped) view: the newer entry stays.
    client.invalidate();
    let c = cfg.clone();
    tokio::task::spawn_blocking(move || run_children(&c, 1, 1)).await.unwrap();
    assert_eq!(ns.total().await, 2);
    let _ = std::fs::remove_dir_all(dir);
}

// ---- Redis ----

struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    fn start(port: u16) -> Option<Redis> {
        let bin =
            ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].into_iter().find(|p| Path::new(p).exists())?;
        let child = Command::new(bin)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Redis { child, port })
    }
    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_three_hosts_one_request_per_renewal_and_survives_an_outage() {
    let port = free_port();
    let Some(redis) = Redis::start(port) else {
        panic!("redis-server is not installed: `make test` installs it (apt-get install redis-server)");
    };
    let ns = Ns::new("redis-hosts").await;
    ns.control(json!({"expires_in": 2, "delay_ms": 100})).await;
    let mut cfg = ns.password_config();
    cfg["cache"] = json!(redis.url());
    cfg["timeout"] = json!(3);
    // Three renewals: three "hosts" (processes) × 32 callers each time.
    for round in 0..3 {
        let c = cfg.clone();
        let lines = tokio::task::spawn_blocking(move || run_children(&c, 3, 32)).await.unwrap();
        assert_eq!(lines.len(), 96);
        all_ok_and_same(&lines);
        assert_eq!(ns.total().await, round + 1, "one request for renewal {round}");
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    let stats = ns.stats().await;
    assert_eq!(stats["refresh_reuse"], 0, "{stats}");
    // Redis goes away: every caller still gets a valid token (each host fetches directly,
    // with the configured grant, not a refresh token other hosts hold).
    drop(redis);
    let c = cfg.clone();
    let lines = tokio::task::spawn_blocking(move || run_children(&c, 3, 4)).await.unwrap();
    assert!(lines.iter().all(|l| l.starts_with("OK ")), "{lines:?}");
    let after_outage = ns.total().await;
    assert_eq!(after_outage, 3 + 3, "one direct fetch per host");
    assert_eq!(ns.stats().await["refresh_reuse"], 0);
    // Redis is back (empty): sharing resumes.
    let redis = Redis::start(port).expect("restart");
    let c = cfg.clone();
    let lines = tokio::task::spawn_blocking(move || run_children(&c, 3, 8)).await.unwrap();
    all_ok_and_same(&lines);
    assert_eq!(ns.total().await, after_outage + 1);
    drop(redis);
}

/// `error_backoff` across processes: a shell loop of new processes (the CLI's case) sending a
/// wrong password reaches the server once per `error_backoff`, not once per process; other
/// credentials for the same key are not held back.
#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_loop_of_processes_sends_one_request_per_error_backoff() {
    let ns = Ns::new("file-backoff").await;
    let dir = temp_dir("backoff");
    let mut wrong = file_config(&ns, &dir);
    wrong["password"] = json!("not-the-password");
    wrong["error_backoff"] = json!(2);
    let loop_of = |cfg: &Value, n: usize| {
        let cfg = cfg.clone();
        tokio::task::spawn_blocking(move || (0..n).flat_map(|_| run_children(&cfg, 1, 1)).collect::<Vec<_>>())
    };
    let lines = loop_of(&wrong, 5).await.unwrap();
    assert_eq!(lines, vec!["ERR oauth"; 5], "every process gets the oauth error");
    assert_eq!(ns.total().await, 1, "four of five processes re-raised the first answer");
    // The right password is other credentials: not held back by the wrong one's failure.
    let right = file_config(&ns, &dir);
    let lines = loop_of(&right, 1).await.unwrap();
    assert!(lines[0].starts_with("OK "), "{lines:?}");
    assert_eq!(ns.total().await, 2);
    // Past error_backoff the wrong password is sent again, once; its failure never evicts the
    // right password's cached token.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let lines = loop_of(&wrong, 2).await.unwrap();
    assert_eq!(lines, vec!["ERR oauth"; 2]);
    assert_eq!(ns.total().await, 3);
    let lines = loop_of(&right, 2).await.unwrap();
    assert!(lines.iter().all(|l| l.starts_with("OK ")), "{lines:?}");
    assert_eq!(ns.total().await, 3, "the right password's token is still cached");
    // `cache list` shows the token's entry only; `cache clear` removes the failure record too.
    let spec = format!("file:{}", dir.display());
    assert_eq!(tokenwell::list_entries(&spec).unwrap().len(), 1);
    assert_eq!(tokenwell::clear_entries(&spec, None).unwrap(), 1);
    assert_eq!(
        std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension() == Some("json".as_ref()))
            .count(),
        0
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// A recorded failure holds back only the same request under the reader's own `error_backoff`:
/// not a client with `error_backoff = 0`, not one that changed a non-secret setting (here
/// `client_auth`), and a busy server (503) is not recorded at all. `cache clear` removes a
/// record even when no token document sits beside it.
#[tokio::test(flavor = "multi_thread")]
async fn a_failure_record_holds_back_only_the_same_request() {
    let ns = Ns::new("file-backoff-scope").await;
    let dir = temp_dir("backoff-scope");
    let mut wrong = file_config(&ns, &dir);
    wrong["password"] = json!("not-the-password");
    wrong["error_backoff"] = json!(3600);
    let run = |cfg: &Value| {
        let cfg = cfg.clone();
        tokio::task::spawn_blocking(move || run_children(&cfg, 1, 1))
    };
    assert_eq!(run(&wrong).await.unwrap(), vec!["ERR oauth"]);
    assert_eq!(run(&wrong).await.unwrap(), vec!["ERR oauth"]);
    assert_eq!(ns.total().await, 1, "held back by the record");
    let mut no_backoff = wrong.clone();
    no_backoff["error_backoff"] = json!(0);
    assert_eq!(run(&no_backoff).await.unwrap(), vec!["ERR oauth"]);
    assert_eq!(ns.total().await, 2, "error_backoff = 0 is not held back by another's record");
    let mut basic = wrong.clone();
    basic["client_auth"] = json!("basic");
    assert_eq!(run(&basic).await.unwrap(), vec!["ERR oauth"]);
    assert_eq!(ns.total().await, 3, "another client_auth is another request");
    // Only the record is left (no token was ever stored): `cache clear` removes it.
    let spec = format!("file:{}", dir.display());
    assert!(tokenwell::list_entries(&spec).unwrap().is_empty());
    tokenwell::clear_entries(&spec, None).unwrap();
    assert_eq!(run(&wrong).await.unwrap(), vec!["ERR oauth"]);
    assert_eq!(ns.total().await, 4, "cleared: the wrong password is sent again");

    // A 503 with an OAuth body is the server's trouble, not the request's: not recorded.
    let ns = Ns::new("file-backoff-503").await;
    let dir = temp_dir("backoff-503");
    let mut cc = ns.cc_config();
    cc["cache"] = json!(format!("file:{}", dir.display()));
    cc["retries"] = json!(0);
    ns.script(json!([{"status": 503, "json": {"error": "temporarily_unavailable"}}])).await;
    assert_eq!(run(&cc).await.unwrap(), vec!["ERR oauth"]);
    assert!(run(&cc).await.unwrap()[0].starts_with("OK "), "the next process asks again");
    assert_eq!(ns.total().await, 2);
    let _ = std::fs::remove_dir_all(dir);
}
