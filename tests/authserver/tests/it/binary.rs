//! The `tokenwell-authserver` binary: one URL line, then serving until SIGTERM or max-seconds.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn spawn(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tokenwell-authserver"))
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("first line");
    (child, line.trim_end().to_string())
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if start.elapsed() > within {
            let _ = child.kill();
            panic!("did not exit within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn prints_url_serves_and_stops_on_sigterm() {
    let (mut child, url) = spawn(&["--port", "0", "--max-seconds", "30"]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let port: u16 = url.rsplit(':').next().expect("port").parse().expect("num");
    assert!(port > 0);
    let r = crate::common::client().get(format!("{url}/_stats")).send().await.expect("serves");
    assert_eq!(r.status(), 200);
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    assert!(wait_exit(&mut child, Duration::from_secs(5)).success());
}

#[test]
fn exits_after_max_seconds() {
    let (mut child, url) = spawn(&["--max-seconds=1"]);
    assert!(url.starts_with("http://127.0.0.1:"));
    assert!(wait_exit(&mut child, Duration::from_secs(5)).success());
}

#[test]
fn bad_arguments_are_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_tokenwell-authserver")).arg("--nope").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
