//! The runner of the shared JSON cases (`tests/vectors/`, `tests/faults/`): loads them, plays
//! each against the in-process authserver through the public API and checks what the
//! `tests/vectors/README.md` format says. `core/tests/vectors.rs` and `core/tests/faults.rs`
//! are its two front ends.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Map, Value};
use tokenwell::{Client, Config, Error, Token};

/// Tolerance for `expires_in` / `refresh_expires_in` checks.
const TOLERANCE_S: f64 = 5.0;

/// One case file: its stem (the authserver namespace) and its JSON.
pub struct Case {
    pub stem: String,
    pub v: Value,
}

/// Reads every `*.json` of `../tests/<folder>` (or of the folder named by `$dir_var`), keeping
/// the stems that contain `$filter_var` when it is set.
pub fn load(folder: &str, filter_var: &str, dir_var: &str) -> Vec<Case> {
    let dir = match std::env::var_os(dir_var) {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests").join(folder),
    };
    let filter = std::env::var(filter_var).ok();
    let mut out = Vec::new();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("utf-8 file name").to_string();
        if let Some(f) = &filter {
            if !stem.contains(f.as_str()) {
                continue;
            }
        }
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{stem}.json is not JSON: {e}"));
        out.push(Case { stem, v });
    }
    out.sort_by(|a, b| a.stem.cmp(&b.stem));
    assert!(!out.is_empty(), "no cases found in {}", dir.display());
    out
}

/// Sets every case's `env` once, before any client reads it (names are unique across cases).
pub fn set_env(cases: &[Case]) {
    let mut env_seen: BTreeMap<String, (String, String)> = BTreeMap::new();
    for case in cases {
        if let Some(env) = case.v.get("env").and_then(Value::as_object) {
            for (name, value) in env {
                let value = value.as_str().unwrap_or_default().to_string();
                if let Some((other, prev)) = env_seen.get(name) {
                    assert_eq!(*prev, value, "{}: env {name} also set differently by {other}", case.stem);
                }
                env_seen.insert(name.clone(), (case.stem.clone(), value.clone()));
                std::env::set_var(name, &value);
            }
        }
    }
}

/// The test server, a control client and a runtime, shared by every trial of a test binary.
#[derive(Clone)]
pub struct Harness {
    pub root: String,
    pub http: reqwest::Client,
    rt: Arc<tokio::runtime::Runtime>,
    _srv: Arc<tokenwell_authserver::Server>,
}

impl Harness {
    pub fn start() -> Harness {
        let srv = Arc::new(tokenwell_authserver::start().expect("test server"));
        let root = srv.url().trim_end_matches('/').to_string();
        let http =
            reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().expect("control client");
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().expect("runtime");
        Harness { root, http, rt: Arc::new(rt), _srv: srv }
    }

    /// The authserver's address (host:port), for fronts that relay to it.
    pub fn addr(&self) -> std::net::SocketAddr {
        self._srv.addr()
    }

    /// One libtest-mimic trial per case (so `cargo test` lists and counts each case and a
    /// failing case never hides another), each bounded by `limit`.
    pub fn trials<F, Fut>(&self, cases: Vec<Case>, limit: Duration, run: F) -> Vec<libtest_mimic::Trial>
    where
        F: Fn(Case, Harness) -> Fut + Clone + Send + 'static,
        Fut: Future<Output = Vec<String>> + Send,
    {
        cases
            .into_iter()
            .map(|case| {
                let (h, run) = (self.clone(), run.clone());
                libtest_mimic::Trial::test(case.stem.clone(), move || {
                    let rt = h.rt.clone();
                    let fails = rt.block_on(async move {
                        match tokio::time::timeout(limit, run(case, h)).await {
                            Ok(f) => f,
                            Err(_) => vec![format!("did not finish within {} s", limit.as_secs())],
                        }
                    });
                    if fails.is_empty() {
                        Ok(())
                    } else {
                        Err(fails.join("\n  ").into())
                    }
                })
            })
            .collect()
    }
}

/// What the runner substitutes besides `{server}` and `{tmp}`, and where.
#[derive(Clone, Default)]
pub struct Options {
    /// More `{name}` → value pairs (the fault matrix's `{front}`, `{front_ca}`).
    pub vars: Vec<(String, String)>,
    /// Substitute in `answers` too, and expand `{http_date+N}` (the fault matrix).
    pub answers: bool,
}

/// What one case gave: its failed checks, and how long construction and the calls took.
pub struct Outcome {
    pub fails: Vec<String>,
    pub elapsed: Option<Duration>,
}

struct Subst {
    pairs: Vec<(String, String)>,
    dates: bool,
}

impl Subst {
    /// Replaces the placeholders in every string value, at any depth.
    fn apply(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => {
                let mut s = s.clone();
                for (k, x) in &self.pairs {
                    s = s.replace(k.as_str(), x);
                }
                if self.dates {
                    s = http_dates(&s);
                }
                Value::String(s)
            }
            Value::Array(a) => Value::Array(a.iter().map(|x| self.apply(x)).collect()),
            Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), self.apply(x))).collect()),
            other => other.clone(),
        }
    }
}

/// `{http_date+N}` → the HTTP-date (IMF-fixdate) N seconds from now (N may be negative).
fn http_dates(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("{http_date") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "{http_date".len()..];
        let Some(end) = after.find('}') else { break };
        let secs: i64 =
            after[..end].trim_start_matches('+').parse().unwrap_or_else(|_| panic!("bad placeholder in {s}"));
        let at = if secs >= 0 {
            SystemTime::now() + Duration::from_secs(secs as u64)
        } else {
            SystemTime::now() - Duration::from_secs(secs.unsigned_abs())
        };
        out.push_str(&httpdate::fmt_http_date(at));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn build(config: &Value) -> Result<Client, Error> {
    let config = Config::from_value(config.clone())?;
    Client::new(config)
}

/// The strings that must never appear in an error (README "Secret strings").
pub fn secret_strings(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut from_config = |c: &Value| {
        for key in ["client_secret", "password", "refresh_token", "cache_secret"] {
            if let Some(s) = c.get(key).and_then(Value::as_str) {
                out.push(s.to_string());
            }
        }
    };
    from_config(&v["config"]);
    if let Some(calls) = v.get("calls").and_then(Value::as_array) {
        for call in calls {
            if let Some(p) = call.get("config_patch") {
                from_config(p);
            }
        }
    }
    if let Some(env) = v.get("env").and_then(Value::as_object) {
        out.extend(env.values().filter_map(Value::as_str).map(str::to_string));
    }
    if let Some(files) = v.get("files").and_then(Value::as_object) {
        for (name, content) in files {
            if !name.ends_with(".pem") {
                if let Some(s) = content.as_str() {
                    out.push(s.trim_end().to_string());
                }
            }
        }
    }
    if let Some(answers) = v.get("answers").and_then(Value::as_array) {
        for a in answers {
            for key in ["access_token", "refresh_token", "id_token"] {
                if let Some(s) = a.get("json").and_then(|j| j.get(key)).and_then(Value::as_str) {
                    out.push(s.to_string());
                }
            }
        }
    }
    if let Some(extra) = v.get("secrets").and_then(Value::as_array) {
        out.extend(extra.iter().filter_map(Value::as_str).map(str::to_string));
    }
    out.retain(|s| !s.is_empty());
    out
}

async fn post_json(http: &reqwest::Client, url: &str, body: &Value) -> Result<(), String> {
    let resp = http
        .post(url)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).expect("serialize"))
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    if !resp.status().is_success() {
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        return Err(format!("POST {url}: {status} {text}"));
    }
    Ok(())
}

async fn get_json(http: &reqwest::Client, url: &str) -> Result<Value, String> {
    let resp = http.get(url).send().await.map_err(|e| format!("GET {url}: {e}"))?;
    let status = resp.status();
    let text = resp.text().await.map_err(|e| format!("GET {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("GET {url}: {status} {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("GET {url}: not JSON ({e}): {text}"))
}

/// The normalized call list: `calls` as an integer N means N empty objects.
fn call_list(v: &Value) -> Vec<Value> {
    match v.get("calls") {
        None => vec![json!({})],
        Some(Value::Number(n)) => (0..n.as_u64().unwrap_or(1)).map(|_| json!({})).collect(),
        Some(Value::Array(a)) => a.clone(),
        Some(other) => panic!("bad calls: {other}"),
    }
}

/// Runs one case (README "Running a vector", steps 1–10).
pub async fn run_case(case: &Case, root: &str, http: &reqwest::Client, opts: &Options) -> Outcome {
    let mut fails: Vec<String> = Vec::new();
    let v = &case.v;
    let server = format!("{root}/t/{}", case.stem);
    let tmp: PathBuf = std::env::temp_dir().join(format!("tokenwell-case-{}-{}", std::process::id(), case.stem));
    let _ = std::fs::remove_dir_all(&tmp);
    if let Err(e) = std::fs::create_dir_all(&tmp) {
        return Outcome { fails: vec![format!("creating {}: {e}", tmp.display())], elapsed: None };
    }
    let tmp_s = tmp.to_string_lossy().into_owned();
    let mut pairs = vec![("{server}".to_string(), server.clone()), ("{tmp}".to_string(), tmp_s.clone())];
    pairs.extend(opts.vars.iter().cloned());
    let subst = Subst { pairs, dates: opts.answers };
    if let Some(files) = v.get("files").and_then(Value::as_object) {
        for (name, content) in files {
            if let Err(e) = std::fs::write(tmp.join(name), content.as_str().unwrap_or_default()) {
                fails.push(format!("writing file {name}: {e}"));
            }
        }
    }

    let mut elapsed = None;
    let result = run_case_inner(case, &server, &tmp_s, &subst, opts, http, &mut elapsed, &mut fails).await;
    if let Err(e) = result {
        fails.push(e);
    }
    let _ = std::fs::remove_dir_all(&tmp);
    Outcome { fails, elapsed }
}

#[allow(clippy::too_many_arguments)]
async fn run_case_inner(
    case: &Case,
    server: &str,
    tmp: &str,
    subst: &Subst,
    opts: &Options,
    http: &reqwest::Client,
    elapsed: &mut Option<Duration>,
    fails: &mut Vec<String>,
) -> Result<(), String> {
    let v = &case.v;
    post_json(http, &format!("{server}/_reset"), &json!({})).await?;
    if let Some(setup) = v.get("setup") {
        post_json(http, &format!("{server}/_control"), setup).await?;
    }
    if let Some(answers) = v.get("answers") {
        let answers = if opts.answers { subst.apply(answers) } else { answers.clone() };
        post_json(http, &format!("{server}/_script"), &json!({ "answers": answers })).await?;
    }

    let config = subst.apply(&v["config"]);
    let secrets = secret_strings(v);
    let expect = v.get("expect").cloned().ok_or("no expect")?;

    if let Ok(c) = Config::from_value(config.clone()) {
        check_secrets_in_debug(&format!("{c:?}"), &secrets, "Config Debug", fails);
    }
    let expects_config_error = expect.pointer("/error/code").and_then(Value::as_str) == Some("config");
    let started = Instant::now();
    match build(&config) {
        Err(err) => {
            if expects_config_error {
                check_error(&err, &expect["error"], &secrets, "construction", fails);
            } else {
                fails.push(format!("construction failed: code {} key {:?}: {err}", err.code().as_str(), err.key()));
                check_secrets_in_error(&err, &secrets, "construction", fails);
            }
        }
        Ok(client) => {
            if expects_config_error {
                fails.push(format!("construction succeeded, expected {}", expect["error"]));
            } else {
                check_secrets_in_debug(&format!("{client:?}"), &secrets, "Client Debug", fails);
                let seen = run_calls(v, client, &config, subst, &expect, &secrets, fails).await;
                if v.get("tmp_no_tokens").and_then(Value::as_bool) == Some(true) {
                    check_tmp_has_no_tokens(Path::new(tmp), &seen, fails);
                }
            }
        }
    }

    *elapsed = Some(started.elapsed());

    if let Some(ms) = v.get("settle_ms").and_then(Value::as_u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let records = get_json(http, &format!("{server}/_requests")).await?;
    check_requests(v, &case.stem, &records, fails);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn run_calls(
    v: &Value,
    client: Client,
    config: &Value,
    subst: &Subst,
    expect: &Value,
    secrets: &[String],
    fails: &mut Vec<String>,
) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut client = Arc::new(client);
    let mut prev: Option<String> = None;
    for (i, call) in call_list(v).iter().enumerate() {
        let n = i + 1;
        if let Some(ms) = call.get("sleep_ms").and_then(Value::as_u64) {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        let patch = call.get("config_patch").and_then(Value::as_object);
        if n > 1 && (patch.is_some() || call.get("new_client").and_then(Value::as_bool) == Some(true)) {
            let mut cfg = config.clone();
            if let Some(patch) = patch {
                let patch = subst.apply(&Value::Object(patch.clone()));
                if let (Some(obj), Some(p)) = (cfg.as_object_mut(), patch.as_object()) {
                    for (k, x) in p {
                        obj.insert(k.clone(), x.clone());
                    }
                }
            }
            match build(&cfg) {
                Ok(c) => client = Arc::new(c),
                Err(err) => {
                    fails.push(format!("call {n}: building the new client failed: {} {err}", err.code().as_str()));
                    return seen;
                }
            }
        }
        if call.get("invalidate").and_then(Value::as_bool) == Some(true) {
            client.invalidate();
        }
        let exp = call.get("expect").unwrap_or(expect);
        let parallel = call.get("parallel").and_then(Value::as_u64).unwrap_or(1).max(1) as usize;
        let results: Vec<Result<Arc<Token>, Error>> =
            futures::future::join_all((0..parallel).map(|_| client.token())).await;

        let what = if parallel > 1 { format!("call {n} (parallel {parallel})") } else { format!("call {n}") };
        for (j, r) in results.iter().enumerate() {
            let what = if parallel > 1 { format!("{what} #{}", j + 1) } else { what.clone() };
            check_result(r, exp, secrets, &what, fails);
        }
        for t in results.iter().filter_map(|r| r.as_ref().ok()) {
            seen.push(t.access_token().to_string());
            seen.extend(t.refresh_token().map(str::to_string));
        }
        let tokens: Vec<&str> = results.iter().filter_map(|r| r.as_ref().ok()).map(|t| t.access_token()).collect();
        if parallel > 1 && tokens.windows(2).any(|w| w[0] != w[1]) {
            fails.push(format!("{what}: concurrent calls returned different access tokens"));
        }
        let this = results.first().and_then(|r| r.as_ref().ok()).map(|t| t.access_token().to_string());
        if n > 1 {
            if let Some(rel) = call.get("token_vs_previous").and_then(Value::as_str) {
                match (&prev, &this) {
                    (Some(p), Some(t)) => {
                        let same = p == t;
                        if rel == "same" && !same {
                            fails.push(format!("{what}: expected the previous call's access token, got a new one"));
                        } else if rel == "different" && same {
                            fails.push(format!("{what}: expected a new access token, got the previous call's"));
                        }
                    }
                    _ => fails.push(format!("{what}: token_vs_previous {rel} needs tokens from both calls")),
                }
            }
        }
        prev = this;
    }
    seen
}

/// `tmp_no_tokens`: no file under the vector's folder holds a token in the clear.
fn check_tmp_has_no_tokens(dir: &Path, tokens: &[String], fails: &mut Vec<String>) {
    let mut stack = vec![dir.to_path_buf()];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            files += 1;
            let bytes = std::fs::read(&path).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            for t in tokens.iter().filter(|t| !t.is_empty()) {
                if text.contains(t.as_str()) {
                    fails.push(format!("{} holds a token in the clear", path.display()));
                }
            }
        }
    }
    if files == 0 {
        fails.push(format!("tmp_no_tokens: no file was written under {}", dir.display()));
    }
}

fn check_result(r: &Result<Arc<Token>, Error>, exp: &Value, secrets: &[String], what: &str, fails: &mut Vec<String>) {
    match (r, exp.get("token"), exp.get("error")) {
        (Ok(tok), Some(et), _) => check_token(tok, et, what, fails),
        (Err(err), _, Some(ee)) => check_error(err, ee, secrets, what, fails),
        (Ok(tok), None, Some(ee)) => fails.push(format!(
            "{what}: got a token (type {}, expires in {:.0} s), expected error {ee}",
            tok.token_type(),
            secs_until(tok.expires_at())
        )),
        (Err(err), Some(_), _) => {
            fails.push(format!(
                "{what}: expected a token, got error code {} status {:?} error {:?} key {:?}: {err}",
                err.code().as_str(),
                err.status(),
                err.oauth_error(),
                err.key()
            ));
            check_secrets_in_error(err, secrets, what, fails);
        }
        _ => fails.push(format!("{what}: expect has neither token nor error")),
    }
}

fn secs_until(t: SystemTime) -> f64 {
    match t.duration_since(SystemTime::now()) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

/// `null` → absent, `"*"` → present, else equal.
fn check_opt(field: &str, got: Option<&str>, want: &Value, what: &str, fails: &mut Vec<String>) {
    match want {
        Value::Null => {
            if got.is_some() {
                fails.push(format!("{what}: {field} should be absent, is present"));
            }
        }
        Value::String(s) if s == "*" => {
            if got.is_none() {
                fails.push(format!("{what}: {field} should be present, is absent"));
            }
        }
        Value::String(s) => {
            if got != Some(s.as_str()) {
                fails.push(format!("{what}: {field} is {got:?}, expected {s:?}"));
            }
        }
        other => fails.push(format!("{what}: bad expectation for {field}: {other}")),
    }
}

fn check_token(tok: &Token, et: &Value, what: &str, fails: &mut Vec<String>) {
    let at = tok.access_token();
    match et.get("access_token") {
        None => {}
        Some(Value::String(s)) if s == "*" && at.is_empty() => fails.push(format!("{what}: access_token is empty")),
        Some(Value::String(s)) if s != "*" && at != s => {
            fails.push(format!("{what}: access_token is {at:?}, expected {s:?}"))
        }
        Some(Value::String(_)) => {}
        Some(other) => fails.push(format!("{what}: bad expectation for access_token: {other}")),
    }
    if let Some(tt) = et.get("token_type").and_then(Value::as_str) {
        if tok.token_type() != tt {
            fails.push(format!("{what}: token_type is {:?}, expected {tt:?}", tok.token_type()));
        }
    }
    if let Some(want) = et.get("expires_in").and_then(Value::as_f64) {
        let got = secs_until(tok.expires_at());
        if (got - want).abs() > TOLERANCE_S {
            fails.push(format!("{what}: expires in {got:.1} s, expected {want} s (±{TOLERANCE_S})"));
        }
    }
    if let Some(want) = et.get("refresh_token") {
        check_opt("refresh_token", tok.refresh_token(), want, what, fails);
    }
    if let Some(want) = et.get("scope") {
        check_opt("scope", tok.scope(), want, what, fails);
    }
    if let Some(want) = et.get("id_token") {
        check_opt("id_token", tok.id_token(), want, what, fails);
    }
    match et.get("refresh_expires_in") {
        None => {}
        Some(Value::Null) if tok.refresh_expires_at().is_some() => {
            fails.push(format!("{what}: refresh_expires_at should be absent"))
        }
        Some(Value::Null) => {}
        Some(want) => match (want.as_f64(), tok.refresh_expires_at()) {
            (Some(want), Some(t)) => {
                let got = secs_until(t);
                if (got - want).abs() > TOLERANCE_S {
                    fails.push(format!("{what}: refresh token expires in {got:.1} s, expected {want} s"));
                }
            }
            (Some(_), None) => fails.push(format!("{what}: refresh_expires_at is absent")),
            _ => fails.push(format!("{what}: bad expectation for refresh_expires_in: {want}")),
        },
    }
    if let Some(extra) = et.get("extra").and_then(Value::as_object) {
        let got = tok.extra();
        for (k, want) in extra {
            match got.get(k) {
                None => fails.push(format!("{what}: extra has no {k:?} (has {:?})", got.keys().collect::<Vec<_>>())),
                Some(g) => {
                    if !value_matches(want, g) {
                        fails.push(format!("{what}: extra[{k:?}] is {g}, expected {want}"));
                    }
                }
            }
        }
    }
    let bearer = format!("Bearer {at}");
    if tok.authorization() != bearer {
        fails.push(format!("{what}: authorization is not \"Bearer <access_token>\""));
    }
    let debug = format!("{tok:?}");
    if !at.is_empty() && debug.contains(at) {
        fails.push(format!("{what}: Token Debug shows the access token"));
    }
    if let Some(rt) = tok.refresh_token() {
        if !rt.is_empty() && debug.contains(rt) {
            fails.push(format!("{what}: Token Debug shows the refresh token"));
        }
    }
}

fn check_error(err: &Error, ee: &Value, secrets: &[String], what: &str, fails: &mut Vec<String>) {
    let code = err.code().as_str();
    let summary = format!(
        "code {code} key {:?} status {:?} error {:?} description {:?}: {err}",
        err.key(),
        err.status(),
        err.oauth_error(),
        err.error_description()
    );
    if let Some(want) = ee.get("code").and_then(Value::as_str) {
        if code != want {
            fails.push(format!("{what}: error code {code}, expected {want} ({summary})"));
        }
    }
    let str_field = |name: &str, got: Option<&str>, fails: &mut Vec<String>| {
        if let Some(want) = ee.get(name) {
            let want_s = want.as_str();
            if got != want_s {
                fails.push(format!("{what}: error {name} is {got:?}, expected {want} ({summary})"));
            }
        }
    };
    str_field("key", err.key(), fails);
    str_field("error", err.oauth_error(), fails);
    str_field("error_description", err.error_description(), fails);
    str_field("error_uri", err.error_uri(), fails);
    str_field("body", err.body(), fails);
    if let Some(want) = ee.get("status") {
        let got = err.status().map(u64::from);
        if got != want.as_u64() {
            fails.push(format!("{what}: error status is {got:?}, expected {want} ({summary})"));
        }
    }
    if let Some(want) = ee.get("body_starts_with").and_then(Value::as_str) {
        if !err.body().unwrap_or_default().starts_with(want) {
            fails.push(format!("{what}: error body {:?} does not start with {want:?}", err.body()));
        }
    }
    if let Some(want) = ee.get("message_contains").and_then(Value::as_str) {
        if !err.to_string().contains(want) {
            fails.push(format!("{what}: error message {:?} does not contain {want:?}", err.to_string()));
        }
    }
    check_secrets_in_error(err, secrets, what, fails);
}

fn check_secrets_in_error(err: &Error, secrets: &[String], what: &str, fails: &mut Vec<String>) {
    check_secrets_in_debug(&err.to_string(), secrets, &format!("{what}: error Display"), fails);
    check_secrets_in_debug(&format!("{err:?}"), secrets, &format!("{what}: error Debug"), fails);
}

fn check_secrets_in_debug(text: &str, secrets: &[String], what: &str, fails: &mut Vec<String>) {
    for s in secrets {
        if text.contains(s.as_str()) {
            fails.push(format!("{what} contains the secret {s:?}"));
        }
    }
}

/// JSON equality where the expected string `"*"` matches any value, at any depth.
fn value_matches(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::String(s), _) if s == "*" => true,
        (Value::Object(w), Value::Object(g)) => {
            w.len() == g.len() && w.iter().all(|(k, wv)| g.get(k).is_some_and(|gv| value_matches(wv, gv)))
        }
        (Value::Array(w), Value::Array(g)) => w.len() == g.len() && w.iter().zip(g).all(|(a, b)| value_matches(a, b)),
        _ => want == got,
    }
}

fn describe(record: &Value) -> String {
    let grant = record
        .pointer("/form/grant_type")
        .or_else(|| record.pointer("/json/grant_type"))
        .map(|g| g.to_string())
        .unwrap_or_else(|| "-".into());
    format!(
        "{} {} grant_type={grant}",
        record["method"].as_str().unwrap_or("?"),
        record["path"].as_str().unwrap_or("?")
    )
}

fn check_requests(v: &Value, stem: &str, records: &Value, fails: &mut Vec<String>) {
    let Some(records) = records.as_array() else {
        fails.push(format!("/_requests is not an array: {records}"));
        return;
    };
    let want = v.get("requests").and_then(Value::as_array).cloned().unwrap_or_default();
    if records.len() != want.len() {
        fails.push(format!(
            "server recorded {} token requests, expected {}: [{}]",
            records.len(),
            want.len(),
            records.iter().map(describe).collect::<Vec<_>>().join("; ")
        ));
    }
    let prefix = format!("/t/{stem}");
    let mut prev_at: Option<f64> = None;
    for (i, (want, got)) in want.iter().zip(records).enumerate() {
        let what = format!("request {}", i + 1);
        if let Some(m) = want.get("method").and_then(Value::as_str) {
            if got["method"].as_str() != Some(m) {
                fails.push(format!("{what}: method {}, expected {m}", got["method"]));
            }
        }
        if let Some(p) = want.get("path").and_then(Value::as_str) {
            let gp = got["path"].as_str().unwrap_or_default();
            let gp = gp.strip_prefix(prefix.as_str()).unwrap_or(gp);
            if gp != p {
                fails.push(format!("{what}: path {gp:?}, expected {p:?}"));
            }
        }
        let headers = got.get("headers").and_then(Value::as_object).cloned().unwrap_or_else(Map::new);
        if let Some(h) = want.get("headers").and_then(Value::as_object) {
            for (name, wv) in h {
                match headers.get(&name.to_ascii_lowercase()) {
                    None => fails.push(format!("{what}: header {name} missing")),
                    Some(gv) => {
                        if wv.as_str() != Some("*") && gv != wv {
                            fails.push(format!("{what}: header {name} is {gv}, expected {wv}"));
                        }
                    }
                }
            }
        }
        if let Some(absent) = want.get("absent_headers").and_then(Value::as_array) {
            for name in absent.iter().filter_map(Value::as_str) {
                if let Some(gv) = headers.get(&name.to_ascii_lowercase()) {
                    fails.push(format!("{what}: header {name} should be absent, is {gv}"));
                }
            }
        }
        for body in ["form", "json"] {
            if let Some(wb) = want.get(body) {
                let gb = got.get(body).unwrap_or(&Value::Null);
                if !gb.is_object() {
                    fails.push(format!(
                        "{what}: expected a {body} body, server recorded {body}={gb} (content-type {})",
                        got["content_type"]
                    ));
                } else if !value_matches(wb, gb) {
                    fails.push(format!("{what}: {body} body is {gb}, expected {wb}"));
                }
            }
        }
        if let Some(wb) = want.get("basic") {
            let gb = got.get("basic").unwrap_or(&Value::Null);
            if wb != gb {
                fails.push(format!("{what}: Basic credentials {gb}, expected {wb}"));
            }
        }
        let at = got.get("at_ms").and_then(Value::as_f64);
        if let Some(gap) = want.get("min_gap_ms").and_then(Value::as_f64) {
            match (prev_at, at) {
                (Some(p), Some(a)) => {
                    if a - p < gap {
                        fails.push(format!(
                            "{what}: came {:.0} ms after the previous one, expected at least {gap}",
                            a - p
                        ));
                    }
                }
                _ => fails.push(format!("{what}: at_ms missing for min_gap_ms")),
            }
        }
        prev_at = at;
    }
}
