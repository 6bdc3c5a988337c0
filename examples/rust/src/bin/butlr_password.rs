//! 001 Butlr: password login (JSON {"username", "password"} at /api/v2/login, no grant_type).
//!
//! `BUTLR_USERNAME=you@example.com BUTLR_PASSWORD=… API_URL=… cargo run -p tokenwell-examples --bin butlr_password`
//!
//! BUTLR_BASE_URL replaces https://api.butlr.io.

use std::env::var;

use serde_json::json;
use tokenwell::{Client, Config};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::new(Config::from_value(json!({
        "preset": "butlr",
        "base_url": var("BUTLR_BASE_URL").ok(),
        "grant": "password",
        "username": var("BUTLR_USERNAME")?,
        "password": {"env": "BUTLR_PASSWORD"},
    }))?)?;
    let token = client.token().await?;
    println!("{token:?}"); // type, expiry and scope; never the token itself

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
