//! Helpers shared by the integration tests: a server per test and a small HTTP client.

#![allow(dead_code)]

use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE};
use serde_json::Value;
use tokenwell_authserver::Server;

pub struct Ctx {
    pub srv: Server,
    pub http: reqwest::Client,
}

pub fn ctx() -> Ctx {
    let srv = tokenwell_authserver::start().expect("server starts");
    Ctx { srv, http: client() }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(|v| v.to_str().expect("ascii header").to_string())
    }
    /// Asserts an OAuth error answer.
    pub fn assert_error(&self, status: u16, error: &str, description: Option<&str>) {
        assert_eq!(self.status, status, "{}", self.body);
        let j = self.json();
        assert_eq!(j["error"], error, "{}", self.body);
        if let Some(d) = description {
            assert_eq!(j["error_description"], d, "{}", self.body);
        }
    }
}

pub async fn read(r: reqwest::RequestBuilder) -> Resp {
    let resp = r.send().await.expect("request succeeds");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.expect("body");
    Resp { status, headers, body }
}

/// `Authorization: Basic` per RFC 6749 §2.3.1 (form-urlencode both, then base64).
pub fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!("Basic {}", STANDARD.encode(format!("{}:{}", enc(id), enc(secret))))
}

pub fn form_body(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

impl Ctx {
    pub fn url(&self, ns: &str, path: &str) -> String {
        format!("{}{path}", self.srv.ns_url(ns))
    }

    pub async fn form(&self, ns: &str, path: &str, pairs: &[(&str, &str)]) -> Resp {
        self.form_auth(ns, path, pairs, None).await
    }

    pub async fn form_auth(&self, ns: &str, path: &str, pairs: &[(&str, &str)], authorization: Option<String>) -> Resp {
        let mut r = self
            .http
            .post(self.url(ns, path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form_body(pairs));
        if let Some(a) = authorization {
            r = r.header(AUTHORIZATION, a);
        }
        read(r).await
    }

    pub async fn json(&self, ns: &str, path: &str, body: &Value) -> Resp {
        read(self.http.post(self.url(ns, path)).header(CONTENT_TYPE, "application/json").body(body.to_string())).await
    }

    pub async fn get(&self, ns: &str, path: &str) -> Resp {
        read(self.http.get(self.url(ns, path))).await
    }

    pub async fn control(&self, ns: &str, settings: Value) -> Value {
        let r = self.json(ns, "/_control", &settings).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    pub async fn script(&self, ns: &str, answers: Value) {
        let r = self.json(ns, "/_script", &serde_json::json!({ "answers": answers })).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    pub async fn stats(&self, ns: &str) -> Value {
        let r = self.get(ns, "/_stats").await;
        assert_eq!(r.status, 200);
        r.json()
    }

    pub async fn requests(&self, ns: &str) -> Vec<Value> {
        let r = self.get(ns, "/_requests").await;
        assert_eq!(r.status, 200);
        r.json().as_array().expect("array").clone()
    }

    /// A password grant at `/token` for alice with client `app`.
    pub async fn alice(&self, ns: &str) -> Value {
        let r = self
            .form(
                ns,
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
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    pub async fn resource(&self, ns: &str, token: &str) -> Resp {
        read(self.http.get(self.url(ns, "/resource")).header(AUTHORIZATION, format!("Bearer {token}"))).await
    }
}

/// The claims of a JWT, after checking its HS256 signature with the server's key.
pub fn jwt_claims(token: &str) -> Value {
    use hmac::{Hmac, Mac};
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT: {token}");
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64")).expect("json");
    assert_eq!(header, serde_json::json!({"alg": "HS256", "typ": "JWT"}));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(tokenwell_authserver::JWT_KEY).expect("key");
    mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(parts[2]).expect("b64")).expect("signature verifies");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json")
}
