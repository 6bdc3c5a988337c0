//! Connections to the token endpoint: the requests of a burst (several clients of a process
//! starting together) share one kept-alive connection, which is closed after 4 s idle, so a
//! renewal minutes later opens a new one. Its own test binary: no other test's request can take
//! the idle connection in between.

mod common;

use std::time::Duration;

use common::{client, Ns};
use serde_json::{json, Value};

fn connections(requests: &[Value]) -> Vec<u64> {
    requests.iter().map(|r| r["connection"].as_u64().expect("the server numbers connections")).collect()
}

#[tokio::test]
async fn a_burst_shares_one_connection_and_an_idle_one_is_closed() {
    let (a, b) = (Ns::new("conn-burst-a").await, Ns::new("conn-burst-b").await);
    let config = |ns: &Ns| {
        let mut v = ns.cc_config();
        v["timeout"] = json!(23);
        v
    };
    let first = client(config(&a));
    first.token().await.expect("token");
    let second = client(config(&b));
    second.token().await.expect("token");
    let (ca, cb) = (connections(&a.requests().await), connections(&b.requests().await));
    assert_eq!((ca.len(), cb.len()), (1, 1));
    assert_eq!(ca[0], cb[0], "the second client's request reuses the first one's connection");

    // Idle past 4 s: closed by tokenwell, so the next request opens a new connection.
    tokio::time::sleep(Duration::from_millis(4500)).await;
    first.invalidate();
    first.token().await.expect("token");
    let ca = connections(&a.requests().await);
    assert_eq!(ca.len(), 2);
    assert_ne!(ca[1], ca[0], "a connection idle for 4 s is not reused");
}
