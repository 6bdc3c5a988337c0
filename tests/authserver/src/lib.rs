//! tokenwell-authserver: the scriptable OAuth token server every tokenwell test suite drives.
//!
//! ```no_run
//! let srv = tokenwell_authserver::start()?;
//! let token_url = format!("{}/token", srv.ns_url("my-test"));
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The behaviour (dialects, control endpoints, script answers, faults) is specified in this
//! crate's README.md.

mod control;
mod dialects;
mod faults;
pub mod front;
mod http;
mod request;
mod server;
mod settings;
mod state;
mod tokens;

use std::net::SocketAddr;
use std::thread::JoinHandle;

pub use tokens::JWT_KEY;

/// How to start a server.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

/// A running server, on its own thread with its own tokio runtime. Dropping it stops the
/// server: the listener is closed and every open connection is dropped.
pub struct Server {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// `http://127.0.0.1:PORT`: the server URL of the `default` namespace.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/t/{ns}`: the server URL of namespace `ns`.
    pub fn ns_url(&self, ns: &str) -> String {
        format!("http://{}/t/{ns}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and waits for its thread (same as dropping it).
    pub fn stop(self) {}
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts a server on a free port of 127.0.0.1.
pub fn start() -> std::io::Result<Server> {
    start_with(Options::default())
}

/// Starts a server with `opts`; returns once it accepts connections.
pub fn start_with(opts: Options) -> std::io::Result<Server> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<std::io::Result<SocketAddr>>();
    let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel();
    let thread = std::thread::Builder::new().name("tokenwell-authserver".into()).spawn(move || {
        let rt = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("tokenwell-authserver-worker")
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                let _ = ready_tx.send(Err(e));
                return;
            }
        };
        rt.block_on(async move {
            let listener = match server::bind(opts.port) {
                Ok(l) => l,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            match listener.local_addr() {
                Ok(addr) => {
                    let _ = ready_tx.send(Ok(addr));
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            }
            server::serve(listener, shutdown_rx).await;
        });
        // Dropping the runtime cancels every connection task (hangs and drips included).
        drop(rt);
    })?;
    let addr = match ready_rx.recv() {
        Ok(Ok(addr)) => addr,
        Ok(Err(e)) => {
            let _ = thread.join();
            return Err(e);
        }
        Err(_) => {
            let _ = thread.join();
            return Err(std::io::Error::other("the server thread stopped"));
        }
    };
    Ok(Server { addr, shutdown: Some(shutdown_tx), thread: Some(thread) })
}

#[cfg(test)]
mod tests {
    #[test]
    fn server_handle_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<super::Server>();
    }
}
