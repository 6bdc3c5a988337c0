//! Script answers: statuses, bodies, headers, delays and every fault.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::ctx;

const CC: &[(&str, &str)] =
    &[("grant_type", "client_credentials"), ("client_id", "app"), ("client_secret", "app-secret")];

/// Sends one raw HTTP/1.1 token request on a fresh connection and reads until EOF or error.
async fn raw_exchange(port: u16, path: &str) -> (std::io::Result<Vec<u8>>, Duration) {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    let body = "grant_type=client_credentials&client_id=app&client_secret=app-secret";
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let start = Instant::now();
    let mut out = Vec::new();
    let res = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await.expect("bounded");
    (res.map(|_| out), start.elapsed())
}

#[tokio::test]
async fn status_answers_in_order_then_dialect() {
    let c = ctx();
    let ns = "st";
    c.script(
        ns,
        json!([
            {"status": 502, "body": "<html>bad gateway</html>", "content_type": "text/html", "retry_after": "1"},
            {"status": 429, "json": {"error": "slow_down"}, "retry_after": 2},
            {"status": 200, "json": {"access_token": "scripted", "expires_in": "30"}, "headers": {"x-test": "yes"}},
            {"fault": "issue", "headers": {"x-issued": "1"}},
            {"status": 500}
        ]),
    )
    .await;
    assert_eq!(c.stats(ns).await["script_left"], 5);
    let r = c.form(ns, "/token", CC).await;
    assert_eq!(r.status, 502);
    assert_eq!(r.body, "<html>bad gateway</html>");
    assert_eq!(r.header("content-type").as_deref(), Some("text/html"));
    assert_eq!(r.header("retry-after").as_deref(), Some("1"));
    // Any token path takes the next answer.
    let r = c.json(ns, "/api/v2/login", &json!({"username": "alice", "password": "wonderland"})).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.json(), json!({"error": "slow_down"}));
    assert_eq!(r.header("retry-after").as_deref(), Some("2"));
    let r = c.form(ns, "/connect/token", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-test").as_deref(), Some("yes"));
    assert_eq!(r.header("content-type").as_deref(), Some("application/json"));
    assert_eq!(r.json()["access_token"], "scripted");
    let r = c.form(ns, "/token", CC).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-issued").as_deref(), Some("1"));
    assert!(r.json()["access_token"].is_string());
    let r = c.form(ns, "/token", CC).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.body, "");
    // Script used up: the dialect answers again.
    assert_eq!(c.form(ns, "/token", CC).await.status, 200);
    let s = c.stats(ns).await;
    assert_eq!(s["total"], 6);
    assert_eq!(s["issued"], 2);
    assert_eq!(s["script_left"], 0);
    // Scripts do not touch control or resource paths.
    c.script(ns, json!([{"status": 503}])).await;
    assert_eq!(c.get(ns, "/_stats").await.status, 200);
    assert_eq!(c.form(ns, "/token", CC).await.status, 503);
}

#[tokio::test]
async fn bad_scripts_are_refused() {
    let c = ctx();
    for body in [
        json!({"answers": [{"fault": "explode"}]}),
        json!({"answers": [{"status": 200}, {"fault": "hang", "ms": 999_999}]}),
        json!({"answers": {}}),
        json!([]),
    ] {
        let r = c.json("bad", "/_script", &body).await;
        assert_eq!(r.status, 400, "{body}");
    }
    // Nothing was queued from a refused script.
    assert_eq!(c.stats("bad").await["script_left"], 0);
}

#[tokio::test]
async fn delays() {
    let c = ctx();
    let ns = "dl";
    c.control(ns, json!({"delay_ms": 600})).await;
    let t = Instant::now();
    assert_eq!(c.form(ns, "/token", CC).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(600));
    // An answer's own delay_ms replaces the setting.
    c.script(ns, json!([{"status": 503, "delay_ms": 0}, {"fault": "issue", "delay_ms": 300}])).await;
    let t = Instant::now();
    assert_eq!(c.form(ns, "/token", CC).await.status, 503);
    assert!(t.elapsed() < Duration::from_millis(500), "{:?}", t.elapsed());
    let t = Instant::now();
    assert_eq!(c.form(ns, "/token", CC).await.status, 200);
    let took = t.elapsed();
    assert!(took >= Duration::from_millis(300) && took < Duration::from_millis(600), "{took:?}");
}

#[tokio::test]
async fn reset_closes_with_a_tcp_reset() {
    let c = ctx();
    c.script("rs", json!([{"fault": "reset"}, {"fault": "reset"}])).await;
    let (res, _) = raw_exchange(c.srv.port(), "/t/rs/token").await;
    let err = res.expect_err("reset, not EOF");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
    // An HTTP client sees a failed request, not a status.
    let err = c
        .http
        .post(c.url("rs", "/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .expect_err("no answer");
    assert!(!err.is_timeout() && err.status().is_none(), "{err:?}");
    // The server goes on answering.
    assert_eq!(c.form("rs", "/token", CC).await.status, 200);
    assert_eq!(c.stats("rs").await["total"], 3);
}

#[tokio::test]
async fn hang_answers_nothing_then_closes() {
    let c = ctx();
    c.script("hg", json!([{"fault": "hang", "ms": 300}, {"fault": "hang", "ms": 2000}])).await;
    let (res, took) = raw_exchange(c.srv.port(), "/t/hg/token").await;
    let bytes = res.expect("closed cleanly");
    assert!(bytes.is_empty(), "{:?}", String::from_utf8_lossy(&bytes));
    assert!(took >= Duration::from_millis(280), "{took:?}");
    // A client timeout fires first.
    let err = c
        .http
        .post(c.url("hg", "/token"))
        .timeout(Duration::from_millis(200))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .expect_err("timeout");
    assert!(err.is_timeout(), "{err:?}");
}

#[tokio::test]
async fn drip_sends_headers_then_bytes_slowly() {
    let c = ctx();
    let body = r#"{"access_token":"dripped"}"#; // 26 bytes
    c.script("dr", json!([{"fault": "drip", "ms": 40, "body": body}, {"fault": "drip", "ms": 1}])).await;
    let t = Instant::now();
    let resp = c
        .http
        .post(c.url("dr", "/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("x=1")
        .send()
        .await
        .expect("headers");
    let head = t.elapsed();
    assert_eq!(resp.status(), 200);
    assert!(head < Duration::from_millis(500), "{head:?}");
    let text = resp.text().await.expect("body");
    assert_eq!(text, body);
    assert!(t.elapsed() >= Duration::from_millis(40 * 26 * 8 / 10), "{:?}", t.elapsed());
    // The default body is a token answer.
    let r = c.form("dr", "/token", CC).await;
    assert!(r.json()["access_token"].as_str().expect("at").starts_with("drip-"));
}

#[tokio::test]
async fn huge_is_chunked_valid_json() {
    let c = ctx();
    c.script("hu", json!([{"fault": "huge"}])).await;
    let r = c.form("hu", "/token", CC).await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-length").is_none());
    assert_eq!(r.header("transfer-encoding").as_deref(), Some("chunked"));
    assert_eq!(r.header("content-type").as_deref(), Some("application/json"));
    assert_eq!(r.body.len(), 1536 * 1024);
    let j: Value = r.json();
    assert!(j["access_token"].is_string());
    assert!(j["pad"].as_str().expect("pad").len() > 1_500_000);
}

#[tokio::test]
async fn malformed_and_redirect() {
    let c = ctx();
    c.script("mr", json!([{"fault": "malformed"}, {"fault": "redirect", "location": "/elsewhere"}])).await;
    let r = c.form("mr", "/token", CC).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type").as_deref(), Some("application/json"));
    assert_eq!(r.body, r#"{"access_token": "abc", "#);
    let r = c.form("mr", "/token", CC).await;
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location").as_deref(), Some("/elsewhere"));
    assert_eq!(c.stats("mr").await["issued"], 0);
}
