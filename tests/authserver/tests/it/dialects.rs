//! Each dialect's success and error answers, HTTP Basic decoding and discovery.

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::json;

use crate::common::{basic, ctx, jwt_claims, read};

const KC: &str = "/realms/BinarlyRealm/protocol/openid-connect/token";

#[tokio::test]
async fn generic_client_credentials_form_and_jwt() {
    let c = ctx();
    let r = c
        .form(
            "g1",
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "app"),
                ("client_secret", "app-secret"),
                ("scope", "read"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    let j = r.json();
    assert_eq!(j["token_type"], "Bearer");
    assert_eq!(j["expires_in"], 300);
    assert_eq!(j["scope"], "read");
    assert!(j.get("refresh_token").is_none());
    assert!(j.get("refresh_expires_in").is_none());
    let claims = jwt_claims(j["access_token"].as_str().expect("token"));
    assert_eq!(claims["sub"], "service-account-app");
    assert_eq!(claims["azp"], "app");
    assert_eq!(claims["iss"], c.srv.ns_url("g1"));
    assert_eq!(claims["scope"], "read");
    assert_eq!(claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"), 300);
    assert!(claims["jti"].is_string());
}

#[tokio::test]
async fn generic_password_json_body_and_basic() {
    let c = ctx();
    let r = c
        .json(
            "g2",
            "/token",
            &json!({"grant_type": "password", "client_id": "app", "client_secret": "app-secret",
                    "username": "user@example.com", "password": "correct horse"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    assert!(j["refresh_token"].is_string());
    assert_eq!(j["refresh_expires_in"], 1800);
    assert!(j.get("scope").is_none());
    assert_eq!(jwt_claims(j["access_token"].as_str().expect("at"))["sub"], "user@example.com");

    let r =
        c.form_auth("g2", "/token", &[("grant_type", "client_credentials")], Some(basic("app", "app-secret"))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // A body client_id equal to the Basic one is fine.
    let r = c
        .form_auth(
            "g2",
            "/token",
            &[("grant_type", "client_credentials"), ("client_id", "app")],
            Some(basic("app", "app-secret")),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Non-string JSON values are refused.
    let r = c
        .json("g2", "/token", &json!({"grant_type": "client_credentials", "client_id": "app", "client_secret": 5}))
        .await;
    r.assert_error(400, "invalid_request", None);
}

#[tokio::test]
async fn basic_is_decoded_per_rfc6749() {
    let c = ctx();
    let (id, secret) = ("we:ird client", "p@ss+word%/é");
    c.control("b", json!({"clients": {id: {"secret": secret}}})).await;
    let r = c.form_auth("b", "/token", &[("grant_type", "client_credentials")], Some(basic(id, secret))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let rec = c.requests("b").await;
    assert_eq!(rec[0]["basic"], json!({"client_id": id, "client_secret": secret}));
    assert_eq!(c.stats("b").await["by_client"][id], 1);

    // Without the form-urlencoding, '+' decodes to a space and '%/' stays: wrong secret.
    let raw = format!("Basic {}", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "app:pa+ss"));
    c.control("b", json!({"clients": {"app": {"secret": "pa+ss"}}})).await;
    let r = c.form_auth("b", "/token", &[("grant_type", "client_credentials")], Some(raw)).await;
    r.assert_error(401, "invalid_client", None);
    assert!(r.header("www-authenticate").is_some_and(|h| h.starts_with("Basic")));
    assert_eq!(c.requests("b").await[1]["basic"]["client_secret"], "pa ss");

    // Garbage after "Basic".
    let r = c.form_auth("b", "/token", &[("grant_type", "client_credentials")], Some("Basic !!!".into())).await;
    r.assert_error(400, "invalid_request", None);
}

#[tokio::test]
async fn generic_errors() {
    let c = ctx();
    let ns = "ge";
    let cc = |id: &'static str, secret: &'static str| {
        vec![("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)]
    };
    c.form(ns, "/token", &cc("app", "nope")).await.assert_error(401, "invalid_client", None);
    c.form(ns, "/token", &cc("ghost", "x")).await.assert_error(401, "invalid_client", None);
    // A public client must send no secret.
    c.form(ns, "/token", &cc("public-app", "x")).await.assert_error(401, "invalid_client", None);
    c.form(ns, "/token", &[("grant_type", "client_credentials"), ("client_id", "public-app")]).await.assert_error(
        400,
        "unauthorized_client",
        None,
    );
    c.form(ns, "/token", &[("grant_type", "client_credentials")]).await.assert_error(401, "invalid_client", None);
    let pw = |user: &'static str, pass: &'static str, client: &'static str, secret: &'static str| {
        vec![
            ("grant_type", "password"),
            ("client_id", client),
            ("client_secret", secret),
            ("username", user),
            ("password", pass),
        ]
    };
    c.form(ns, "/token", &pw("alice", "bad", "app", "app-secret")).await.assert_error(400, "invalid_grant", None);
    c.form(ns, "/token", &pw("alice", "wonderland", "no-direct", "no-direct-secret")).await.assert_error(
        400,
        "unauthorized_client",
        None,
    );
    c.form(ns, "/token", &[("client_id", "app"), ("client_secret", "app-secret")]).await.assert_error(
        400,
        "invalid_request",
        Some("Missing parameter: grant_type"),
    );
    c.form(ns, "/token", &[("grant_type", "magic"), ("client_id", "app"), ("client_secret", "app-secret")])
        .await
        .assert_error(400, "unsupported_grant_type", None);
    // Two client authentication methods.
    c.form_auth(ns, "/token", &cc("app", "app-secret"), Some(basic("app", "app-secret"))).await.assert_error(
        400,
        "invalid_request",
        None,
    );
    // A repeated parameter.
    c.form(
        ns,
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "app"),
            ("client_id", "app"),
            ("client_secret", "app-secret"),
        ],
    )
    .await
    .assert_error(400, "invalid_request", None);
    // An unsupported Content-Type.
    read(c.http.post(c.url(ns, "/token")).header(CONTENT_TYPE, "text/plain").body("grant_type=client_credentials"))
        .await
        .assert_error(400, "invalid_request", None);
    // Wrong method.
    assert_eq!(c.get(ns, "/token").await.status, 405);
    assert_eq!(c.stats(ns).await["issued"], 0);
}

#[tokio::test]
async fn keycloak_success() {
    let c = ctx();
    let r = c
        .form(
            "kc",
            KC,
            &[
                ("grant_type", "password"),
                ("scope", "openid"),
                ("client_id", "BinarlyClient"),
                ("username", "user@example.com"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    assert_eq!(j["token_type"], "bearer");
    assert_eq!(j["expires_in"], 300);
    assert_eq!(j["refresh_expires_in"], 1800);
    assert!(j["refresh_token"].is_string());
    assert_eq!(j["not-before-policy"], 0);
    assert!(j["session_state"].is_string());
    assert_eq!(j["scope"], "openid profile email");
    let id = jwt_claims(j["id_token"].as_str().expect("id_token"));
    assert_eq!(id["aud"], "BinarlyClient");
    let claims = jwt_claims(j["access_token"].as_str().expect("at"));
    assert_eq!(claims["iss"], format!("{}/realms/BinarlyRealm", c.srv.ns_url("kc")));

    // Phase Two: client credentials with admin-cli, secret in Basic.
    let r = c
        .form_auth(
            "kc",
            "/realms/test-realm/protocol/openid-connect/token",
            &[("grant_type", "client_credentials")],
            Some(basic("admin-cli", "admin-secret")),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    assert_eq!(j["scope"], "profile email");
    assert_eq!(j["refresh_expires_in"], 0);
    assert!(j.get("refresh_token").is_none());
    assert!(j.get("id_token").is_none());
    assert_eq!(jwt_claims(j["access_token"].as_str().expect("at"))["sub"], "service-account-admin-cli");

    // Refresh at the Keycloak endpoint rotates the refresh token.
    let r = c
        .form(
            "kc",
            KC,
            &[
                ("grant_type", "password"),
                ("client_id", "BinarlyClient"),
                ("username", "alice"),
                ("password", "wonderland"),
            ],
        )
        .await;
    let rt = r.json()["refresh_token"].as_str().expect("rt").to_string();
    let r = c
        .form("kc", KC, &[("grant_type", "refresh_token"), ("client_id", "BinarlyClient"), ("refresh_token", &rt)])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    assert_ne!(j["refresh_token"], rt.as_str());
    assert_eq!(j["refresh_expires_in"], 1800);
    assert_eq!(j["scope"], "profile email");
    assert!(j.get("id_token").is_none());
}

#[tokio::test]
async fn keycloak_errors() {
    let c = ctx();
    let ns = "kce";
    let r = c
        .json(ns, KC, &json!({"grant_type": "client_credentials", "client_id": "app", "client_secret": "app-secret"}))
        .await;
    assert_eq!(r.status, 415);
    assert_eq!(r.body, "");
    c.form(
        ns,
        KC,
        &[("grant_type", "password"), ("client_id", "BinarlyClient"), ("username", "alice"), ("password", "nope")],
    )
    .await
    .assert_error(400, "invalid_grant", Some("Invalid user credentials"));
    c.form(ns, KC, &[("grant_type", "client_credentials"), ("client_id", "admin-cli"), ("client_secret", "nope")])
        .await
        .assert_error(401, "invalid_client", Some("Invalid client or Invalid client credentials"));
    c.form(
        ns,
        KC,
        &[
            ("grant_type", "password"),
            ("client_id", "no-direct"),
            ("client_secret", "no-direct-secret"),
            ("username", "alice"),
            ("password", "wonderland"),
        ],
    )
    .await
    .assert_error(400, "unauthorized_client", Some("Client not allowed for direct access grants"));
    c.form(ns, KC, &[("grant_type", "urn:nope"), ("client_id", "BinarlyClient")]).await.assert_error(
        400,
        "unsupported_grant_type",
        None,
    );
    c.form(ns, KC, &[("grant_type", "refresh_token"), ("client_id", "BinarlyClient"), ("refresh_token", "unknown")])
        .await
        .assert_error(400, "invalid_grant", Some("Token is not active"));
    c.form(ns, KC, &[("grant_type", "client_credentials"), ("client_id", "BinarlyClient")]).await.assert_error(
        401,
        "unauthorized_client",
        Some("Public client not allowed to retrieve service account"),
    );
    c.form(ns, KC, &[("client_id", "BinarlyClient")]).await.assert_error(
        400,
        "invalid_request",
        Some("Missing form parameter: grant_type"),
    );
}

#[tokio::test]
async fn butlr_login() {
    let c = ctx();
    let ns = "bl";
    let r = c.json(ns, "/api/v2/login", &json!({"username": "user@example.com", "password": "correct horse"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    for k in ["access_token", "refresh_token", "id_token", "scope"] {
        assert!(j[k].is_string(), "{k}: {j}");
    }
    assert_eq!(j["expires_in"], 300);
    assert_eq!(j["token_type"], "Bearer");
    jwt_claims(j["id_token"].as_str().expect("id"));

    c.json(ns, "/api/v2/login", &json!({"username": "alice", "password": "wonderland", "grant_type": "password"}))
        .await
        .assert_error(400, "invalid_request", Some("unexpected field: grant_type"));
    let r = c.form(ns, "/api/v2/login", &[("username", "alice"), ("password", "wonderland")]).await;
    assert_eq!(r.status, 415);
    assert!(r.header("content-type").is_some_and(|t| t.starts_with("text/plain")));
    c.json(ns, "/api/v2/login", &json!({"username": "alice", "password": "x"})).await.assert_error(
        403,
        "access_denied",
        Some("Wrong email or password."),
    );
    c.json(ns, "/api/v2/login", &json!({"username": "alice"})).await.assert_error(
        400,
        "invalid_request",
        Some("missing field: password"),
    );
    let s = c.stats(ns).await;
    assert_eq!(s["by_grant"]["password"], 5);
    assert_eq!(s["issued"], 1);

    // The login's refresh token works at the generic endpoint, for any client.
    let rt = j["refresh_token"].as_str().expect("rt");
    let r = c
        .form(ns, "/token", &[("grant_type", "refresh_token"), ("client_id", "public-app"), ("refresh_token", rt)])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(jwt_claims(r.json()["access_token"].as_str().expect("at"))["sub"], "user@example.com");
}

#[tokio::test]
async fn butlr_client_credentials() {
    let c = ctx();
    let ns = "bc";
    let body = |secret: &str, audience: &str| {
        json!({"client_id": "butlr-client", "client_secret": secret,
               "audience": audience, "grant_type": "client_credentials"})
    };
    let r = c.json(ns, "/api/v2/clients/login", &body("butlr-secret", "https://butlrauth/")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    assert!(j["access_token"].is_string());
    assert!(j["scope"].is_string());
    assert_eq!(j["expires_in"], 300);
    assert_eq!(j["token_type"], "Bearer");
    assert!(j.get("refresh_token").is_none());

    c.json(ns, "/api/v2/clients/login", &body("butlr-secret", "https://other/")).await.assert_error(
        403,
        "access_denied",
        Some("Service not enabled within domain: https://other/"),
    );
    c.json(ns, "/api/v2/clients/login", &body("wrong", "https://butlrauth/")).await.assert_error(
        401,
        "access_denied",
        Some("Unauthorized"),
    );
    c.json(
        ns,
        "/api/v2/clients/login",
        &json!({"client_id": "butlr-client", "client_secret": "butlr-secret", "grant_type": "client_credentials"}),
    )
    .await
    .assert_error(400, "invalid_request", Some("missing field: audience"));
    let r =
        c.form(ns, "/api/v2/clients/login", &[("client_id", "butlr-client"), ("client_secret", "butlr-secret")]).await;
    assert_eq!(r.status, 415);
}

#[tokio::test]
async fn connect_token() {
    let c = ctx();
    let ns = "ids";
    let pw = |secret: &'static str, password: &'static str| {
        vec![
            ("grant_type", "password"),
            ("client_id", "semansys-client"),
            ("client_secret", secret),
            ("username", "alice"),
            ("password", password),
        ]
    };
    let r = c.form(ns, "/connect/token", &pw("semansys-secret", "wonderland")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    assert_eq!(j["token_type"], "Bearer");
    assert_eq!(j["expires_in"], 300);
    assert_eq!(j["scope"], "read write");
    assert!(j.get("refresh_expires_in").is_none());
    let rt = j["refresh_token"].as_str().expect("rt").to_string();
    let r = c
        .form(
            ns,
            "/connect/token",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", "semansys-client"),
                ("client_secret", "semansys-secret"),
                ("refresh_token", &rt),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["refresh_token"].is_string());

    // The secret only in the body: Basic is refused even when right.
    c.form_auth(
        ns,
        "/connect/token",
        &[("grant_type", "password"), ("username", "alice"), ("password", "wonderland")],
        Some(basic("semansys-client", "semansys-secret")),
    )
    .await
    .assert_error(400, "invalid_client", None);
    c.form(ns, "/connect/token", &pw("semansys-secret", "nope")).await.assert_error(400, "invalid_grant", None);
    c.form(ns, "/connect/token", &pw("wrong", "wonderland")).await.assert_error(400, "invalid_client", None);
    c.form(
        ns,
        "/connect/token",
        &[
            ("grant_type", "password"),
            ("client_id", "semansys-client"),
            ("username", "alice"),
            ("password", "wonderland"),
        ],
    )
    .await
    .assert_error(400, "invalid_client", None);
    c.form(
        ns,
        "/connect/token",
        &[("grant_type", "implicit"), ("client_id", "semansys-client"), ("client_secret", "semansys-secret")],
    )
    .await
    .assert_error(400, "unsupported_grant_type", None);
    c.json(
        ns,
        "/connect/token",
        &json!({"grant_type": "client_credentials", "client_id": "semansys-client",
                "client_secret": "semansys-secret"}),
    )
    .await
    .assert_error(400, "invalid_request", None);
}

#[tokio::test]
async fn discovery_documents() {
    let c = ctx();
    let ns = "disc";
    let base = c.srv.ns_url(ns);
    let r = c.get(ns, "/realms/BinarlyRealm/.well-known/openid-configuration").await;
    assert_eq!(r.status, 200);
    let j = r.json();
    assert_eq!(j["issuer"], format!("{base}/realms/BinarlyRealm"));
    assert_eq!(j["token_endpoint"], format!("{base}/realms/BinarlyRealm/protocol/openid-connect/token"));
    assert_eq!(
        j["token_endpoint_auth_methods_supported"],
        json!(["private_key_jwt", "client_secret_basic", "client_secret_post", "tls_client_auth", "client_secret_jwt"])
    );
    assert!(j["grant_types_supported"].as_array().expect("list").contains(&json!("password")));

    let j = c.get(ns, "/.well-known/openid-configuration").await.json();
    assert_eq!(j["issuer"], base);
    assert_eq!(j["token_endpoint"], format!("{base}/connect/token"));
    assert_eq!(j["token_endpoint_auth_methods_supported"], json!(["client_secret_basic", "client_secret_post"]));
    c.control(ns, json!({"discovery_auth_methods": ["client_secret_basic"]})).await;
    let j = c.get(ns, "/.well-known/openid-configuration").await.json();
    assert_eq!(j["token_endpoint_auth_methods_supported"], json!(["client_secret_basic"]));

    // The issuer follows the Host the client used; the default namespace has no prefix.
    let url = format!("http://localhost:{}/.well-known/openid-configuration", c.srv.port());
    let j = read(c.http.get(url)).await.json();
    assert_eq!(j["issuer"], format!("http://localhost:{}", c.srv.port()));
    assert_eq!(c.stats(ns).await["discovery"], 3);
    assert_eq!(c.stats(ns).await["total"], 0);
    // A GET with a bearer header is not a token request either.
    let r = read(c.http.get(c.url(ns, "/.well-known/openid-configuration")).header(AUTHORIZATION, "Bearer x")).await;
    assert_eq!(r.status, 200);
}
