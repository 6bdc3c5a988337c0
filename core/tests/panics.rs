//! The core's panic boundary: a bug that panics inside a renewal (which runs on tokenwell's own
//! runtime) reaches every waiting caller as an `internal` error, never as an abort or a hang,
//! and the client works again once the bug is gone.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::Ns;
use tokenwell::{Client, Clock, ErrorCode};

/// The system clock, but reading it on one of tokenwell's runtime threads panics while armed:
/// the renewal reads the clock there; the callers' own threads never panic.
#[derive(Debug, Default)]
struct Booby {
    armed: AtomicBool,
}

impl Clock for Booby {
    fn now_ns(&self) -> i64 {
        if self.armed.load(Ordering::SeqCst) && std::thread::current().name() == Some("tokenwell") {
            panic!("test: a bug inside a renewal");
        }
        tokenwell::wall_now_ns()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_inside_a_renewal_is_an_internal_error_for_every_waiter() {
    let ns = Ns::new("panic-boundary").await;
    let clock = Arc::new(Booby::default());
    clock.armed.store(true, Ordering::SeqCst);
    let client = Client::with_clock(common::config(ns.cc_config()), clock.clone()).unwrap();

    let waiters = futures::future::join_all((0..8).map(|_| client.token())).await;
    for r in &waiters {
        let e = r.as_ref().expect_err("the renewal panicked");
        assert_eq!(e.code(), ErrorCode::Internal, "{e}");
        assert!(!e.to_string().contains("app-secret"), "{e}");
    }
    let blocking = {
        let c = client.clone();
        tokio::task::spawn_blocking(move || c.token_blocking()).await.unwrap()
    };
    assert_eq!(blocking.expect_err("still panicking").code(), ErrorCode::Internal);

    // An internal error is not an OAuth error: no backoff holds the next call back.
    clock.armed.store(false, Ordering::SeqCst);
    let t = client.token().await.expect("a token once the bug is gone");
    assert!(!t.access_token().is_empty());
    assert_eq!(ns.total().await, 1, "the panicking renewals never reached the server");
}
