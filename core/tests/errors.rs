//! One test per error code with its fields, and secret hygiene of every printable object.

mod common;

use std::time::{Duration, Instant};

use common::{client, Ns};
use serde_json::json;
use tokenwell::{Client, Config, Error, ErrorCode};

const SECRET: &str = "zz-client-secret-4c1d";
const PASSWORD: &str = "zz-password-9f3e";

#[test]
fn config_error_names_the_key() {
    let e = Client::new(
        Config::from_value(json!({"token_url": "https://x/t", "grant": "password", "password": PASSWORD})).unwrap(),
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Config);
    assert_eq!(e.key(), Some("username"));
    assert_eq!(e.status(), None);
    let e = Config::from_value(json!({"clientSecret": SECRET})).unwrap_err();
    assert_eq!((e.code(), e.key()), (ErrorCode::Config, Some("clientSecret")));
    assert!(e.to_string().contains("did you mean `client_secret`"), "{e}");
}

#[tokio::test]
async fn oauth_error_carries_status_error_description_and_uri() {
    let ns = Ns::new("err-oauth").await;
    ns.script(json!([{"status": 400, "json": {"error": "invalid_scope", "error_description": "Scope x is unknown", "error_uri": "https://docs/err"}}])).await;
    let e = client(ns.cc_config()).token().await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::OAuth);
    assert_eq!(e.status(), Some(400));
    assert_eq!(e.oauth_error(), Some("invalid_scope"));
    assert_eq!(e.error_description(), Some("Scope x is unknown"));
    assert_eq!(e.error_uri(), Some("https://docs/err"));
    assert!(e.to_string().contains("invalid_scope") && e.to_string().contains("check `scope`"), "{e}");
}

#[tokio::test]
async fn a_200_with_an_error_field_is_an_oauth_error() {
    let ns = Ns::new("err-200").await;
    ns.script(json!([{"status": 200, "json": {"error": "invalid_client"}}])).await;
    let e = client(ns.cc_config()).token().await.unwrap_err();
    assert_eq!((e.code(), e.status(), e.oauth_error()), (ErrorCode::OAuth, Some(200), Some("invalid_client")));
}

#[tokio::test]
async fn http_error_carries_status_and_body() {
    let ns = Ns::new("err-http").await;
    ns.script(json!([{"status": 502, "body": "<html>Bad gateway</html>", "content_type": "text/html"}])).await;
    let mut cfg = ns.cc_config();
    cfg["retries"] = json!(0);
    let e = client(cfg).token().await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Http);
    assert_eq!(e.status(), Some(502));
    assert_eq!(e.body(), Some("<html>Bad gateway</html>"));
    assert_eq!(ns.total().await, 1);
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let ns = Ns::new("err-redirect").await;
    ns.script(json!([{"fault": "redirect", "location": "/elsewhere"}])).await;
    let e = client(ns.cc_config()).token().await.unwrap_err();
    assert_eq!((e.code(), e.status()), (ErrorCode::Http, Some(302)));
    assert!(e.to_string().contains("/elsewhere"), "{e}");
    assert_eq!(ns.total().await, 1);
}

#[tokio::test]
async fn network_error_when_nothing_listens() {
    let e = client(
        json!({"token_url": "http://127.0.0.1:9/token", "client_id": "a", "client_secret": SECRET, "retries": 0}),
    )
    .token()
    .await
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Network);
    assert!(e.to_string().contains("127.0.0.1:9"), "{e}");
    assert!(std::error::Error::source(&e).is_some(), "the cause chain is kept");
}

#[tokio::test]
async fn a_reset_connection_is_a_network_error_and_is_retried() {
    let ns = Ns::new("err-reset").await;
    ns.script(json!([{"fault": "reset"}, {"fault": "reset"}, {"fault": "reset"}])).await;
    let e = client(ns.cc_config()).token().await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Network);
    assert_eq!(ns.total().await, 3, "1 try + 2 retries");
}

#[tokio::test]
async fn timeout_error_within_the_configured_timeout() {
    let ns = Ns::new("err-timeout").await;
    ns.script(json!([{"fault": "hang", "ms": 5000}])).await;
    let mut cfg = ns.cc_config();
    cfg["timeout"] = json!(0.5);
    cfg["retries"] = json!(0);
    let start = Instant::now();
    let e = client(cfg).token().await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Timeout);
    assert!(start.elapsed() < Duration::from_secs(3), "{:?}", start.elapsed());
}

#[tokio::test]
async fn invalid_response_for_unusable_2xx_answers() {
    let ns = Ns::new("err-invalid").await;
    ns.script(json!([
        {"fault": "malformed"},
        {"fault": "huge"},
        {"status": 200, "json": {"token_type": "bearer"}},
        {"status": 200, "json": {"access_token": "x", "expires_in": -1}},
        {"status": 200, "body": "[1,2]", "content_type": "application/json"},
    ]))
    .await;
    let mut cfg = ns.cc_config();
    cfg["error_backoff"] = json!(0);
    let c = client(cfg);
    for _ in 0..5 {
        let e = c.token().await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidResponse, "{e}");
    }
    assert_eq!(ns.total().await, 5, "invalid answers are not retried");
}

#[test]
fn cache_and_internal_codes_are_stable() {
    assert_eq!(Error::cache("x").code().as_str(), "cache");
    assert_eq!(Error::internal("x").code().as_str(), "internal");
    assert_eq!(ErrorCode::Internal as u8, 8);
    assert_eq!(ErrorCode::Config as u8, 1);
}

fn assert_clean(what: &str, text: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!text.contains(s), "{what} leaks a secret: {text}");
    }
}

#[tokio::test]
async fn no_secret_or_token_in_any_display_or_debug() {
    let ns = Ns::new("hygiene").await;
    // The server echoes the password back in its error description: it must be scrubbed.
    ns.script(json!([
        {"status": 400, "json": {"error": "invalid_grant", "error_description": format!("bad password {PASSWORD}")}},
        {"status": 500, "body": format!("<html>secret was {SECRET}</html>")},
    ]))
    .await;
    let cfg = json!({
        "token_url": format!("{}/realms/demo/protocol/openid-connect/token", ns.url), "grant": "password",
        "client_id": "app", "client_secret": SECRET, "username": "alice", "password": PASSWORD,
        "retries": 0, "error_backoff": 0,
        "headers": {"x-api-key": "zz-header-secret"},
    });
    let config = Config::from_value(cfg.clone()).unwrap();
    let mut secrets = vec![SECRET, PASSWORD, "zz-header-secret"];
    assert_clean("Config Debug", &format!("{config:?}"), &secrets);
    let c = Client::new(config).unwrap();
    assert_clean("Client Debug", &format!("{c:?}"), &secrets);
    // A key in the token URL's query (user information there is refused): not printed either.
    let mut in_url = cfg.clone();
    in_url["token_url"] = json!(format!("{}/token?api_key=zz-query-secret", ns.url));
    let shown = Client::new(Config::from_value(in_url.clone()).unwrap()).unwrap();
    assert_clean("Client Debug", &format!("{shown:?}"), &["zz-query-secret"]);
    // Nor a Redis password in `cache` (a Config is printed before it is validated).
    in_url["cache"] = json!("redis://:zz-redis-pw@127.0.0.1:6379/0");
    let shown = Config::from_value(in_url).unwrap();
    assert_clean("Config Debug", &format!("{shown:?}"), &["zz-query-secret", "zz-redis-pw"]);
    let errors = [c.token().await.unwrap_err(), c.token().await.unwrap_err()];
    for e in &errors {
        assert_clean("Error Display", &e.to_string(), &secrets);
        assert_clean("Error Debug", &format!("{e:?}"), &secrets);
        assert_clean("error_description", e.error_description().unwrap_or(""), &secrets);
        assert_clean("body", e.body().unwrap_or(""), &secrets);
    }
    assert!(errors[0].error_description().unwrap().contains("[redacted]"));
    // A real token: neither it nor its refresh token prints.
    let mut good = cfg.clone();
    good["password"] = json!("wonderland");
    good["client_secret"] = json!("app-secret");
    let t = client(good).token().await.unwrap();
    let (at, rt) = (t.access_token().to_owned(), t.refresh_token().unwrap().to_owned());
    secrets.extend([at.as_str(), rt.as_str()]);
    assert_clean("Token Debug", &format!("{t:?}"), &secrets);
    // Configuration errors do not echo the value given.
    let e = Config::from_value(json!({"leeway": PASSWORD})).unwrap_err();
    assert_clean("config error", &format!("{e} {e:?}"), &secrets);
    let e = Client::new(
        Config::from_value(
            json!({"token_url": format!("http://example.com/{SECRET}"), "client_id": "a", "client_secret": "b"}),
        )
        .unwrap(),
    );
    assert!(e.is_err());
}
