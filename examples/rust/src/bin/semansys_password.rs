//! 003 Semansys: password grant at /connect/token, the client secret in the form body.
//!
//! `SEMANSYS_CLIENT_ID=… SEMANSYS_CLIENT_SECRET=… SEMANSYS_USERNAME=… SEMANSYS_PASSWORD=… API_URL=… cargo run -p tokenwell-examples --bin semansys_password`
//!
//! SEMANSYS_BASE_URL replaces https://oidc-pre.semansys.com.

use std::env::var;

use serde_json::json;
use tokenwell::{Client, Config};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::new(Config::from_value(json!({
        "preset": "semansys",
        "base_url": var("SEMANSYS_BASE_URL").ok(),
        "grant": "password",
        "client_id": var("SEMANSYS_CLIENT_ID")?,
        "client_secret": {"env": "SEMANSYS_CLIENT_SECRET"},
        "username": var("SEMANSYS_USERNAME")?,
        "password": {"env": "SEMANSYS_PASSWORD"},
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
