//! `make demo`: starts the test server, gets a token for each provider document's flow through
//! its preset, asks again to show the cache answering, and prints a table. Tokens never print.

use std::time::Instant;

use serde_json::{json, Value};
use tokenwell::{Client, Config};

struct Flow {
    document: &'static str,
    flow: &'static str,
    config: Value,
}

fn flows(server: &str) -> Vec<Flow> {
    vec![
        Flow {
            document: "000 Binarly",
            flow: "password, public BinarlyClient, scope=openid",
            config: json!({"preset": "binarly", "base_url": server, "grant": "password",
                           "username": "user@example.com", "password": "correct horse"}),
        },
        Flow {
            document: "001 Butlr",
            flow: "password login, JSON {username, password}",
            config: json!({"preset": "butlr", "base_url": server, "grant": "password",
                           "username": "user@example.com", "password": "correct horse"}),
        },
        Flow {
            document: "001 Butlr",
            flow: "client credentials, JSON + audience",
            config: json!({"preset": "butlr", "base_url": server, "grant": "client_credentials",
                           "client_id": "butlr-client", "client_secret": "butlr-secret"}),
        },
        Flow {
            document: "002 Binarly on-prem",
            flow: "client credentials, service account",
            config: json!({"preset": "keycloak", "base_url": server, "realm": "BinarlyRealm",
                           "client_id": "app", "client_secret": "app-secret"}),
        },
        Flow {
            document: "003 Semansys",
            flow: "password, secret in the form body",
            config: json!({"preset": "semansys", "base_url": server, "grant": "password",
                           "client_id": "semansys-client", "client_secret": "semansys-secret",
                           "username": "alice", "password": "wonderland"}),
        },
        Flow {
            document: "004 Phase Two",
            flow: "client credentials, admin-cli",
            config: json!({"preset": "phasetwo", "base_url": server, "realm": "demo",
                           "client_id": "admin-cli", "client_secret": "admin-secret"}),
        },
        Flow {
            document: "004 Phase Two",
            flow: "password grant",
            config: json!({"preset": "phasetwo", "base_url": server, "realm": "demo", "grant": "password",
                           "client_id": "public-app", "username": "alice", "password": "wonderland"}),
        },
    ]
}

/// How many token requests the test server's namespace has seen.
async fn requests_seen(http: &reqwest::Client, ns: &str) -> u64 {
    let Ok(resp) = http.get(format!("{ns}/_stats")).send().await else { return 0 };
    let Ok(body) = resp.bytes().await else { return 0 };
    let stats: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    stats["total"].as_u64().unwrap_or(0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = tokenwell_authserver::start()?;
    println!("tokenwell demo: each provider document's flow against the local test server ({})\n", server.url());
    println!("{:<20} {:<46} {:>6} {:>9} {:>8} {:>8}", "document", "flow", "type", "expires", "1st ms", "2nd");
    let http = reqwest::Client::new();
    let mut failures = 0;
    for (i, f) in flows(&server.url()).into_iter().enumerate() {
        let ns = format!("{}/t/demo{i}", server.url());
        let mut config = f.config;
        config["base_url"] = json!(ns);
        let client = Client::new(Config::from_value(config)?)?;
        let start = Instant::now();
        match client.token().await {
            Ok(token) => {
                let first_ms = start.elapsed().as_secs_f64() * 1e3;
                let before = requests_seen(&http, &ns).await;
                let second = client.token().await?;
                let after = requests_seen(&http, &ns).await;
                let cached =
                    if after == before && std::sync::Arc::ptr_eq(&second, &token) { "cache" } else { "FETCHED" };
                println!(
                    "{:<20} {:<46} {:>6} {:>8.0}s {:>8.1} {:>8}",
                    f.document,
                    f.flow,
                    token.token_type(),
                    token.expires_in(),
                    first_ms,
                    cached
                );
            }
            Err(e) => {
                failures += 1;
                println!("{:<20} {:<46} FAILED [{}] {e}", f.document, f.flow, e.code());
            }
        }
    }
    println!("\n1st ms: first token (one request); 2nd: where the second call was answered from.");
    if failures > 0 {
        return Err(format!("{failures} flow(s) failed").into());
    }
    Ok(())
}
