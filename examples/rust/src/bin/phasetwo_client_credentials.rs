//! 004 Phase Two: client credentials with admin-cli; its 60 s tokens are renewed in the background
//! before they expire, one request per renewal.
//!
//! `PHASETWO_REALM=… PHASETWO_CLIENT_SECRET=… API_URL=… cargo run -p tokenwell-examples --bin phasetwo_client_credentials`
//!
//! PHASETWO_CLIENT_ID defaults to admin-cli; PHASETWO_BASE_URL replaces https://app.phasetwo.io/auth.

use std::env::var;

use serde_json::json;
use tokenwell::{Client, Config};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::new(Config::from_value(json!({
        "preset": "phasetwo",
        "base_url": var("PHASETWO_BASE_URL").ok(),
        "realm": var("PHASETWO_REALM")?,
        "client_id": var("PHASETWO_CLIENT_ID").unwrap_or_else(|_| "admin-cli".into()),
        "client_secret": {"env": "PHASETWO_CLIENT_SECRET"},
    }))?)?;
    let token = client.token().await?;

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
