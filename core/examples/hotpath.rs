//! Quick timing of the cached path (no criterion): `cargo run --release --example hotpath`.
use futures::FutureExt;
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let server = tokenwell_authserver::start().expect("server");
    let c = tokenwell::Client::new(
        tokenwell::Config::from_value(serde_json::json!({
            "token_url": format!("{}/token", server.url()), "client_id": "app", "client_secret": "app-secret"
        }))
        .expect("config"),
    )
    .expect("client");
    c.token_blocking().expect("token");
    let n = 20_000_000u32;
    for round in 0..2 {
        let t = Instant::now();
        for _ in 0..n {
            black_box(c.cached());
        }
        let cached = t.elapsed() / n;
        let t = Instant::now();
        for _ in 0..n {
            black_box(c.try_token());
        }
        let try_token = t.elapsed() / n;
        let t = Instant::now();
        for _ in 0..n {
            black_box(c.token().now_or_never());
        }
        let token = t.elapsed() / n;
        // The same harness around a future that is ready at once: what now_or_never itself costs.
        let t = Instant::now();
        for _ in 0..n {
            black_box(std::future::ready(c.try_token()).now_or_never());
        }
        let harness = t.elapsed() / n;
        let t = Instant::now();
        for _ in 0..n {
            black_box(tokenwell::wall_now_ns());
        }
        let clock = t.elapsed() / n;
        println!("round {round}: cached {cached:?}  try_token {try_token:?}  token().now_or_never {token:?} (ready(try_token()).now_or_never {harness:?})  clock {clock:?}");
    }
}
