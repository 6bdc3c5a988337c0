//! 000 Binarly: password grant with the public client BinarlyClient and scope openid. The
//! document posts the password to Keycloak on every run; here the token is fetched once, kept and
//! renewed.
//!
//! `BINARLY_TENANT=acme BINARLY_EMAIL=you@example.com BINARLY_PASSWORD=… API_URL=… cargo run -p tokenwell-examples --bin binarly_password`
//!
//! BINARLY_BASE_URL replaces https://auth-{tenant}.binarly.cloud (the tests point it at a local server).

use std::env::var;

use serde_json::json;
use tokenwell::{Client, Config};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::new(Config::from_value(json!({
        "preset": "binarly",
        "tenant": var("BINARLY_TENANT").ok(),
        "base_url": var("BINARLY_BASE_URL").ok(),
        "grant": "password",
        "username": var("BINARLY_EMAIL")?,
        "password": {"env": "BINARLY_PASSWORD"}, // read by tokenwell, never kept in a variable here
    }))?)?;
    let token = client.token().await?; // one request; later calls answer from memory until shortly before expiry

    let http = reqwest::Client::new();
    for _ in 0..var("API_CALLS").map_or(Ok(3), |n| n.parse())? {
        let token = client.token().await?; // from memory: no request until its renewal point
        let res = http.get(var("API_URL")?).header("authorization", token.authorization()).send().await?;
        println!("{} {}", res.status().as_u16(), res.error_for_status()?.text().await?);
    }

    // One line for scripts/examples.py (`make demo`): what came back, and where a second call came from.
    let second = if client.token().await?.access_token() == token.access_token() { "cache" } else { "fetched" };
    println!("result: token_type={} expires_in={:.0} second_call={second}", token.token_type(), token.expires_in());
    Ok(())
}
