//! Test harness: the built `tokenwell` binary run in a private HOME/XDG_CONFIG_HOME/XDG_CACHE_HOME
//! against the in-process test server, one server namespace per test. A tiny HTTP/1.1 client
//! reads the server's counters (`/_stats`, `/_requests`) and scripts it.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::time::Duration;

use serde_json::{json, Value};

static SERVER: LazyLock<tokenwell_authserver::Server> =
    LazyLock::new(|| tokenwell_authserver::start().expect("the test server starts"));

pub const BIN: &str = env!("CARGO_BIN_EXE_tokenwell");

/// Sends one request to the test server and parses its JSON answer.
pub fn http(method: &str, url: &str, body: Option<&Value>) -> Value {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut s = TcpStream::connect(host).expect("connect to the test server");
    s.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read answer");
    let text = String::from_utf8_lossy(&raw);
    let (head, mut payload) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let mut decoded = String::new();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        while let Some((size, rest)) = payload.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).expect("chunk size");
            if n == 0 {
                break;
            }
            decoded.push_str(&rest[..n]);
            payload = &rest[n + 2..];
        }
    } else {
        decoded.push_str(payload);
    }
    serde_json::from_str(&decoded).unwrap_or_else(|_| panic!("{method} {url}: not JSON: {decoded}"))
}

/// What one run of the binary gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "expected success: {self:?}");
        self
    }
    pub fn code(self, code: i32) -> Run {
        assert_eq!(self.code, code, "expected exit {code}: {self:?}");
        self
    }
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|_| panic!("stdout is not JSON: {self:?}"))
    }
}

/// A private home for one test: its own config and cache folders and its own server namespace.
pub struct Home {
    pub root: PathBuf,
    pub server: String,
}

impl Home {
    pub fn new(name: &str) -> Home {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("config/tokenwell")).expect("config dir");
        let server = SERVER.ns_url(name);
        http("POST", &format!("{server}/_reset"), None);
        Home { root, server }
    }

    pub fn config_path(&self) -> PathBuf {
        self.root.join("config/tokenwell/config.toml")
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.root.join("cache/tokenwell")
    }

    /// Writes config.toml; `{server}` becomes this test's server URL.
    pub fn profiles(&self, toml: &str) {
        std::fs::write(self.config_path(), toml.replace("{server}", &self.server)).expect("write config");
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[], None)
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.run_with(args, env, None)
    }

    /// Runs the binary with only this home's environment (stdin from `stdin`, else /dev/null:
    /// never a terminal, so it never prompts).
    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env_clear()
            .env("HOME", &self.root)
            .env("XDG_CONFIG_HOME", self.root.join("config"))
            .env("XDG_CACHE_HOME", self.root.join("cache"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("run tokenwell");
        if let Some(text) = stdin {
            // A run that refuses its arguments exits before reading stdin: a broken pipe then is
            // the expected outcome, not a test failure (its exit code and stderr are still checked).
            match child.stdin.take().expect("stdin").write_all(text.as_bytes()) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => panic!("write stdin: {e}"),
            }
        }
        let out = child.wait_with_output().expect("tokenwell finishes");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn stats(&self) -> Value {
        http("GET", &format!("{}/_stats", self.server), None)
    }

    pub fn total(&self) -> u64 {
        self.stats()["total"].as_u64().expect("total")
    }

    pub fn requests(&self) -> Vec<Value> {
        http("GET", &format!("{}/_requests", self.server), None).as_array().cloned().unwrap_or_default()
    }

    pub fn control(&self, settings: Value) {
        http("POST", &format!("{}/_control", self.server), Some(&settings));
    }

    pub fn script(&self, answers: Value) {
        http("POST", &format!("{}/_script", self.server), Some(&json!({ "answers": answers })));
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
