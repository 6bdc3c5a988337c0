//! The cached path: `cached()`, `try_token()` and `token()` on a warm client, alone and with 8
//! reader threads. `make bench` runs it; figures go to bench/RESULTS.md.

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use futures::FutureExt;
use tokenwell::{Client, Config};

fn warm_client(server: &tokenwell_authserver::Server) -> Client {
    let config = Config::from_value(serde_json::json!({
        "token_url": format!("{}/token", server.url()),
        "client_id": "app", "client_secret": "app-secret",
    }))
    .expect("config");
    let client = Client::new(config).expect("client");
    client.token_blocking().expect("first token");
    client
}

/// Runs `op` `iters` times on each of `threads` threads at once; returns the mean time per call
/// on one thread (what a caller waits), scaled to `iters` calls.
fn parallel(client: &Client, threads: usize, iters: u64, op: fn(&Client)) -> Duration {
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let c = client.clone();
            let b = barrier.clone();
            std::thread::spawn(move || {
                b.wait();
                let start = Instant::now();
                for _ in 0..iters {
                    op(&c);
                }
                start.elapsed()
            })
        })
        .collect();
    let total: Duration = handles.into_iter().map(|h| h.join().expect("reader")).sum();
    total / threads as u32
}

fn op_cached(c: &Client) {
    black_box(c.cached());
}
fn op_token(c: &Client) {
    black_box(c.token().now_or_never());
}

fn bench(crit: &mut Criterion) {
    let server = tokenwell_authserver::start().expect("test server");
    let client = warm_client(&server);
    let mut g = crit.benchmark_group("warm");
    g.bench_function("cached/1-thread", |b| b.iter(|| black_box(client.cached())));
    g.bench_function("try_token/1-thread", |b| b.iter(|| black_box(client.try_token())));
    g.bench_function("token/1-thread", |b| b.iter(|| black_box(client.token().now_or_never())));
    g.bench_function("token_blocking/1-thread", |b| b.iter(|| black_box(client.token_blocking())));
    g.bench_function("cached/8-threads", |b| b.iter_custom(|iters| parallel(&client, 8, iters, op_cached)));
    g.bench_function("token/8-threads", |b| b.iter_custom(|iters| parallel(&client, 8, iters, op_token)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
