//! Shared helpers for the core's integration tests: one in-process test server per test binary,
//! one namespace per test (so tests run in parallel without sharing counters or cache keys).
#![allow(dead_code)]

use std::sync::LazyLock;

use serde_json::{json, Value};

static SERVER: LazyLock<tokenwell_authserver::Server> =
    LazyLock::new(|| tokenwell_authserver::start().expect("the test server starts"));

/// A namespace of the test server.
pub struct Ns {
    pub url: String,
    http: reqwest::Client,
}

impl Ns {
    pub async fn new(name: &str) -> Ns {
        let url = format!("{}/t/{}", SERVER.url(), name);
        let ns = Ns { url, http: reqwest::Client::new() };
        ns.post("/_reset", json!({})).await;
        ns
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{}", self.url, path))
            .body(body.to_string())
            .header("content-type", "application/json")
            .send()
            .await
            .expect("control request");
        assert!(r.status().is_success(), "{path}: {}", r.status());
        serde_json::from_slice(&r.bytes().await.unwrap()).unwrap_or(Value::Null)
    }

    async fn get(&self, path: &str) -> Value {
        let r = self.http.get(format!("{}{}", self.url, path)).send().await.expect("control request");
        serde_json::from_slice(&r.bytes().await.unwrap()).unwrap()
    }

    pub async fn control(&self, settings: Value) {
        self.post("/_control", settings).await;
    }

    pub async fn script(&self, answers: Value) {
        self.post("/_script", json!({ "answers": answers })).await;
    }

    pub async fn stats(&self) -> Value {
        self.get("/_stats").await
    }

    pub async fn total(&self) -> u64 {
        self.stats().await["total"].as_u64().unwrap()
    }

    pub async fn requests(&self) -> Vec<Value> {
        self.get("/_requests").await.as_array().cloned().unwrap()
    }

    /// The Keycloak-dialect token URL of realm `demo` in this namespace.
    pub fn keycloak_url(&self) -> String {
        format!("{}/realms/demo/protocol/openid-connect/token", self.url)
    }

    /// A password-grant configuration for the Keycloak dialect.
    pub fn password_config(&self) -> Value {
        json!({
            "token_url": self.keycloak_url(), "grant": "password",
            "client_id": "app", "client_secret": "app-secret",
            "username": "alice", "password": "wonderland",
        })
    }

    /// A client-credentials configuration for the generic endpoint.
    pub fn cc_config(&self) -> Value {
        json!({ "token_url": format!("{}/token", self.url), "client_id": "app", "client_secret": "app-secret" })
    }
}

pub fn config(v: Value) -> tokenwell::Config {
    tokenwell::Config::from_value(v).expect("valid configuration")
}

pub fn client(v: Value) -> tokenwell::Client {
    tokenwell::Client::new(config(v)).expect("client builds")
}
