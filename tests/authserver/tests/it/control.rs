//! Namespaces, settings, stats, recorded requests, refresh rotation, `/resource` and reset.

use std::collections::HashSet;

use reqwest::header::AUTHORIZATION;
use serde_json::{json, Value};

use crate::common::{ctx, jwt_claims, read};

fn refresh_pairs(rt: &str) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "refresh_token".into()),
        ("client_id", "app".into()),
        ("client_secret", "app-secret".into()),
        ("refresh_token", rt.into()),
    ]
}

async fn refresh(c: &crate::common::Ctx, ns: &str, rt: &str) -> crate::common::Resp {
    let pairs = refresh_pairs(rt);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.form(ns, "/token", &pairs).await
}

#[tokio::test]
async fn namespaces_are_isolated() {
    let c = ctx();
    c.control("a", json!({"users": {"bob": "builder"}, "expires_in": 60})).await;
    c.alice("b").await;
    // alice no longer exists in "a".
    let r = c
        .form(
            "a",
            "/token",
            &[
                ("grant_type", "password"),
                ("client_id", "app"),
                ("client_secret", "app-secret"),
                ("username", "alice"),
                ("password", "wonderland"),
            ],
        )
        .await;
    r.assert_error(400, "invalid_grant", None);
    assert_eq!(c.stats("a").await["total"], 1);
    assert_eq!(c.stats("a").await["issued"], 0);
    assert_eq!(c.stats("b").await["total"], 1);
    assert_eq!(c.stats("b").await["issued"], 1);
    assert_eq!(c.requests("b").await.len(), 1);
    // The default namespace (no prefix) saw nothing.
    let s = read(c.http.get(format!("{}/_stats", c.srv.url()))).await.json();
    assert_eq!(s["total"], 0);
    // A token of "b" is unknown to "a".
    let at = c.alice("b").await["access_token"].as_str().expect("at").to_string();
    assert_eq!(c.resource("b", &at).await.status, 200);
    assert_eq!(c.resource("a", &at).await.status, 401);
    // Unknown paths are 404.
    assert_eq!(c.get("a", "/nope").await.status, 404);
    // Bad namespace names are 404.
    let r = read(c.http.get(format!("{}/t/bad.name/_stats", c.srv.url()))).await;
    assert_eq!(r.status, 404);
    let long = "x".repeat(65);
    let r = read(c.http.get(format!("{}/t/{long}/_stats", c.srv.url()))).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn stats_and_recorded_requests() {
    let c = ctx();
    let ns = "rec";
    c.alice(ns).await;
    let r = read(
        c.http
            .post(format!("{}?x=1", c.url(ns, "/token")))
            .header("content-type", "application/json")
            .header("X-Custom", "v")
            .body(r#"{"grant_type":"client_credentials","client_id":"app","client_secret":"app-secret"}"#),
    )
    .await;
    assert_eq!(r.status, 200);
    c.form(
        ns,
        "/realms/R/protocol/openid-connect/token",
        &[("grant_type", "client_credentials"), ("client_id", "nobody")],
    )
    .await;
    let s = c.stats(ns).await;
    assert_eq!(s["total"], 3);
    assert_eq!(s["issued"], 2);
    assert_eq!(s["by_path"]["/token"], 2);
    assert_eq!(s["by_path"]["/realms/R/protocol/openid-connect/token"], 1);
    assert_eq!(s["by_grant"], json!({"password": 1, "client_credentials": 2}));
    assert_eq!(s["by_client"], json!({"app": 2, "nobody": 1}));
    assert_eq!(s["max_concurrent"], 1);
    assert_eq!(s["in_flight"], 0);

    let rec = c.requests(ns).await;
    assert_eq!(rec.len(), 3);
    let first = &rec[0];
    assert_eq!(first["method"], "POST");
    assert_eq!(first["path"], "/token");
    assert_eq!(first["query"], Value::Null);
    assert_eq!(first["content_type"], "application/x-www-form-urlencoded");
    assert_eq!(first["form"]["username"], "alice");
    assert_eq!(first["json"], Value::Null);
    assert_eq!(first["basic"], Value::Null);
    assert!(first["body"].as_str().expect("body").contains("grant_type=password"));
    assert!(first["at_ms"].as_i64().expect("at_ms") > 1_600_000_000_000);
    let second = &rec[1];
    assert_eq!(second["query"], "x=1");
    assert_eq!(second["headers"]["x-custom"], "v");
    assert_eq!(second["json"]["client_id"], "app");
    assert_eq!(second["form"], Value::Null);
    assert!(rec[2]["at_ms"].as_i64() >= first["at_ms"].as_i64());
}

#[tokio::test]
async fn requests_keep_the_last_1000() {
    let c = ctx();
    let ns = "many";
    let mut tasks = Vec::new();
    for i in 0..1010 {
        let http = c.http.clone();
        let url = c.url(ns, "/token");
        tasks.push(tokio::spawn(async move {
            let body = format!("grant_type=client_credentials&client_id=app&client_secret=app-secret&n={i}");
            http.post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .expect("send")
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("join"), 200);
    }
    let s = c.stats(ns).await;
    assert_eq!(s["total"], 1010);
    assert_eq!(s["issued"], 1010);
    assert!(s["max_concurrent"].as_u64().expect("n") >= 1);
    assert_eq!(c.requests(ns).await.len(), 1000);
}

#[tokio::test]
async fn exact_counts_and_unique_tokens_under_concurrency() {
    let c = ctx();
    let ns = "conc";
    c.control(ns, json!({"delay_ms": 300, "token_format": "opaque"})).await;
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let http = c.http.clone();
        let url = c.url(ns, "/token");
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials&client_id=app&client_secret=app-secret")
                .send()
                .await
                .expect("send");
            let j: Value = r.json().await.expect("json");
            j["access_token"].as_str().expect("at").to_string()
        }));
    }
    let mut tokens = HashSet::new();
    for t in tasks {
        let tok = t.await.expect("join");
        assert_eq!(tok.len(), 32);
        assert!(tok.chars().all(|ch| ch.is_ascii_alphanumeric()));
        tokens.insert(tok);
    }
    assert_eq!(tokens.len(), 200);
    let s = c.stats(ns).await;
    assert_eq!(s["total"], 200);
    assert_eq!(s["issued"], 200);
    let max = s["max_concurrent"].as_u64().expect("n");
    assert!(max > 1 && max <= 200, "max_concurrent {max}");
    assert_eq!(s["in_flight"], 0);
}

#[tokio::test]
async fn settings_shape_the_answers() {
    let c = ctx();
    let ns = "set";
    let settings = c.get(ns, "/_control").await.json();
    assert_eq!(settings["expires_in"], 300);
    assert_eq!(settings["clients"]["app"]["secret"], "app-secret");
    assert_eq!(settings["clients"]["BinarlyClient"]["secret"], Value::Null);
    assert_eq!(settings["users"]["alice"], "wonderland");

    c.control(ns, json!({"expires_in": "60"})).await;
    let j = c.alice(ns).await;
    assert_eq!(j["expires_in"], "60");
    let cl = jwt_claims(j["access_token"].as_str().expect("at"));
    assert_eq!(cl["exp"].as_i64().expect("e") - cl["iat"].as_i64().expect("i"), 60);

    c.control(ns, json!({"expires_in": null, "jwt_lifetime": 120})).await;
    let j = c.alice(ns).await;
    assert!(j.get("expires_in").is_none());
    let cl = jwt_claims(j["access_token"].as_str().expect("at"));
    assert_eq!(cl["exp"].as_i64().expect("e") - cl["iat"].as_i64().expect("i"), 120);

    c.control(
        ns,
        json!({"expires_in": 0, "jwt_lifetime": null, "scope": "a b",
               "extra": {"custom": 1, "refresh_token": null}}),
    )
    .await;
    let j = c.alice(ns).await;
    assert_eq!(j["expires_in"], 0);
    assert_eq!(j["scope"], "a b");
    assert_eq!(j["custom"], 1);
    assert!(j.get("refresh_token").is_none());
    // Lifetime 0: already expired for /resource.
    let at = j["access_token"].as_str().expect("at");
    assert_eq!(c.resource(ns, at).await.status, 401);

    c.control(ns, json!({"cc_refresh": true, "extra": {}})).await;
    let r = c
        .form(
            ns,
            "/token",
            &[("grant_type", "client_credentials"), ("client_id", "app"), ("client_secret", "app-secret")],
        )
        .await;
    assert!(r.json()["refresh_token"].is_string());

    // Bad settings are refused whole.
    let r = c.json(ns, "/_control", &json!({"delay_ms": 1, "bogus": true})).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("bogus"));
    assert_eq!(c.get(ns, "/_control").await.json()["delay_ms"], 0);
    let r = c.json(ns, "/_control", &json!({"token_format": "xml"})).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn refresh_rotation_and_reuse() {
    let c = ctx();
    let ns = "rot";
    let rt1 = c.alice(ns).await["refresh_token"].as_str().expect("rt").to_string();
    let r = refresh(&c, ns, &rt1).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    let rt2 = j["refresh_token"].as_str().expect("rt2").to_string();
    assert_ne!(rt1, rt2);
    assert_eq!(jwt_claims(j["access_token"].as_str().expect("at"))["sub"], "alice");
    // Reuse of the rotated token.
    refresh(&c, ns, &rt1).await.assert_error(400, "invalid_grant", Some("Token is not active"));
    refresh(&c, ns, &rt1).await.assert_error(400, "invalid_grant", Some("Token is not active"));
    // An unknown token is not reuse.
    refresh(&c, ns, "never-issued").await.assert_error(400, "invalid_grant", None);
    // Another client cannot use it.
    c.form(ns, "/token", &[("grant_type", "refresh_token"), ("client_id", "public-app"), ("refresh_token", &rt2)])
        .await
        .assert_error(400, "invalid_grant", None);
    assert_eq!(refresh(&c, ns, &rt2).await.status, 200);
    let s = c.stats(ns).await;
    assert_eq!(s["refresh_reuse"], 2);
    assert_eq!(s["by_grant"]["refresh_token"], 6);

    // Without rotation the same refresh token comes back and stays valid.
    c.control(ns, json!({"rotate_refresh": false})).await;
    let rt = c.alice(ns).await["refresh_token"].as_str().expect("rt").to_string();
    for _ in 0..2 {
        let r = refresh(&c, ns, &rt).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["refresh_token"], rt.as_str());
    }

    // Expired refresh tokens are refused (not counted as reuse).
    c.control(ns, json!({"refresh_expires_in": 1})).await;
    let rt = c.alice(ns).await["refresh_token"].as_str().expect("rt").to_string();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    refresh(&c, ns, &rt).await.assert_error(400, "invalid_grant", Some("Token is not active"));
    assert_eq!(c.stats(ns).await["refresh_reuse"], 2);
}

#[tokio::test]
async fn concurrent_refresh_of_one_token_is_one_success() {
    let c = ctx();
    let ns = "race";
    let rt = c.alice(ns).await["refresh_token"].as_str().expect("rt").to_string();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let http = c.http.clone();
        let url = c.url(ns, "/token");
        let body = format!("grant_type=refresh_token&client_id=app&client_secret=app-secret&refresh_token={rt}");
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .expect("send")
                .status()
                .as_u16()
        }));
    }
    let mut ok = 0;
    for t in tasks {
        if t.await.expect("join") == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(c.stats(ns).await["refresh_reuse"], 19);
}

#[tokio::test]
async fn resource_validity() {
    let c = ctx();
    let ns = "res";
    let at = c.alice(ns).await["access_token"].as_str().expect("at").to_string();
    let r = c.resource(ns, &at).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"ok": true, "sub": "alice", "client_id": "app"}));

    let r = c.resource(ns, "forged").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate").as_deref(), Some("Bearer error=\"invalid_token\""));
    let r = read(c.http.get(c.url(ns, "/resource"))).await;
    assert_eq!(r.status, 401);
    let r = read(c.http.get(c.url(ns, "/resource")).header(AUTHORIZATION, format!("Basic {at}"))).await;
    assert_eq!(r.status, 401);

    // The next N calls are refused whatever the token.
    c.control(ns, json!({"resource_401": 2})).await;
    assert_eq!(c.resource(ns, &at).await.status, 401);
    assert_eq!(c.resource(ns, &at).await.status, 401);
    assert_eq!(c.resource(ns, &at).await.status, 200);

    // Registered tokens.
    let r = c.json(ns, "/_issue", &json!({"access_token": "ext-1", "expires_in": 60})).await;
    assert_eq!(r.status, 200);
    assert_eq!(c.resource(ns, "ext-1").await.json()["sub"], "external");
    c.json(ns, "/_issue", &json!({"access_token": "ext-2", "expires_in": 0})).await;
    assert_eq!(c.resource(ns, "ext-2").await.status, 401);
    assert_eq!(c.json(ns, "/_issue", &json!({})).await.status, 400);

    // Short-lived tokens expire.
    c.control(ns, json!({"expires_in": 1})).await;
    let at = c.alice(ns).await["access_token"].as_str().expect("at").to_string();
    assert_eq!(c.resource(ns, &at).await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1050)).await;
    assert_eq!(c.resource(ns, &at).await.status, 401);

    let s = c.stats(ns).await;
    assert_eq!(s["resource"], 11);
    assert_eq!(s["resource_401"], 7);
    assert_eq!(s["total"], 2);
}

#[tokio::test]
async fn reset_restores_defaults() {
    let c = ctx();
    let ns = "rst";
    c.control(ns, json!({"users": {}, "delay_ms": 5})).await;
    c.script(ns, json!([{"status": 500}, {"status": 500}])).await;
    let r = c.form(ns, "/token", &[("grant_type", "x")]).await;
    assert_eq!(r.status, 500);
    c.json(ns, "/_issue", &json!({"access_token": "ext"})).await;
    assert_eq!(c.stats(ns).await["script_left"], 1);

    let r = c.json(ns, "/_reset", &json!({})).await;
    assert_eq!(r.status, 200);
    let s = c.stats(ns).await;
    assert_eq!(s["total"], 0);
    assert_eq!(s["script_left"], 0);
    assert_eq!(s["resource"], 0);
    assert!(c.requests(ns).await.is_empty());
    assert_eq!(c.get(ns, "/_control").await.json()["delay_ms"], 0);
    assert_eq!(c.resource(ns, "ext").await.status, 401);
    // Defaults are back: alice exists, no script answer is left.
    c.alice(ns).await;
    assert_eq!(c.get(ns, "/_reset").await.status, 405);
}

#[tokio::test]
async fn dropping_the_server_stops_it() {
    let srv = tokenwell_authserver::start().expect("start");
    let port = srv.port();
    assert_eq!(srv.url(), format!("http://127.0.0.1:{port}"));
    // A keep-alive connection is open when it stops.
    let http = crate::common::client();
    let r = http.get(format!("{}/_stats", srv.url())).send().await.expect("serves");
    assert_eq!(r.status(), 200);
    drop(srv);
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err());
    assert!(http.get(format!("http://127.0.0.1:{port}/_stats")).send().await.is_err());
}
