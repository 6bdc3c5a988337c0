//! Serving: the accept loop, one hyper HTTP/1.1 connection per socket (so a fault can close it
//! without an answer, or with a TCP reset), and routing of every request.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::dialects::{self, realm_path};
use crate::faults::Kind;
use crate::http::{self as h, Abort, Resp};
use crate::request::TokenRequest;
use crate::state::{valid_namespace, InFlight, Namespace, Registry};
use crate::{control, faults};

/// Largest request body accepted (bytes).
const MAX_BODY: usize = 1024 * 1024;
/// Longest wait for a request's body.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for a request's head (also closes idle keep-alive connections).
const HEAD_TIMEOUT: Duration = Duration::from_secs(60);

pub struct App {
    registry: Registry,
    local: SocketAddr,
}

/// Per-connection state: its number (recorded with each token request, so a test can tell a
/// reused connection from a new one) and a switch that, when set, closes the socket with a TCP
/// reset.
#[derive(Default)]
struct ConnCtl {
    id: u64,
    reset: AtomicBool,
}

/// Connections accepted so far, by every server of the process (the next one's number).
static CONNECTIONS: AtomicU64 = AtomicU64::new(1);

/// The TCP stream, which on drop turns into a reset (SO_LINGER 0) when asked to.
struct Killable {
    inner: TcpStream,
    ctl: Arc<ConnCtl>,
}

impl Drop for Killable {
    fn drop(&mut self) {
        if self.ctl.reset.load(Ordering::SeqCst) {
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for Killable {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Killable {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Binds `127.0.0.1:port` with a large accept backlog.
pub fn bind(port: u16) -> std::io::Result<TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(4096)
}

/// Accepts connections until `shutdown` fires (or its sender is dropped).
pub async fn serve(listener: TcpListener, mut shutdown: tokio::sync::oneshot::Receiver<()>) {
    let local = match listener.local_addr() {
        Ok(a) => a,
        Err(_) => return,
    };
    let app = Arc::new(App { registry: Registry::default(), local });
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(connection(stream, app.clone()));
                }
                // Out of file descriptors and the like: back off briefly.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
        }
    }
}

async fn connection(stream: TcpStream, app: Arc<App>) {
    let ctl = Arc::new(ConnCtl { id: CONNECTIONS.fetch_add(1, Ordering::Relaxed), ..ConnCtl::default() });
    let io = TokioIo::new(Killable { inner: stream, ctl: ctl.clone() });
    let svc = service_fn(move |req| handle(app.clone(), ctl.clone(), req));
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .serve_connection(io, svc)
        .await;
}

/// Splits `/t/{ns}/rest` into (ns, prefix, rest); other paths are in `default`.
fn split_namespace(path: &str) -> Option<(&str, &str, &str)> {
    let Some(after) = path.strip_prefix("/t/") else {
        return Some(("default", "", path));
    };
    let (name, _) = after.split_once('/')?;
    if !valid_namespace(name) {
        return None;
    }
    let prefix_len = 3 + name.len();
    Some((name, &path[..prefix_len], &path[prefix_len..]))
}

async fn handle(app: Arc<App>, ctl: Arc<ConnCtl>, req: Request<Incoming>) -> Result<Resp, Abort> {
    let (parts, body) = req.into_parts();
    let full_path = parts.uri.path().to_string();
    let Some((ns_name, prefix, path)) = split_namespace(&full_path) else {
        return Ok(h::not_found());
    };
    let Some(ns) = app.registry.get(ns_name) else {
        return Ok(h::text(503, "too many namespaces"));
    };
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| app.local.to_string());
    let base = format!("http://{host}{prefix}");
    let bytes = match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(Body::new(body), MAX_BODY)).await {
        Ok(Ok(b)) => b,
        Ok(Err(_)) => return Ok(h::text(413, "request body too large or unreadable")),
        Err(_) => return Ok(h::text(408, "request body timed out")),
    };
    let method = parts.method.clone();
    if let Some(d) = dialects::token_dialect(path) {
        let req = TokenRequest::new(
            method,
            path.to_string(),
            parts.uri.query().map(str::to_string),
            parts.headers,
            bytes,
            base,
        );
        return token_request(&ns, d, req, &ctl).await;
    }
    if let Some(resp) = control::handle(&ns, &method, path, &bytes) {
        return Ok(resp);
    }
    if path == "/resource" {
        return Ok(dialects::resource(&ns, &parts.headers));
    }
    let discovery = if path == "/.well-known/openid-configuration" {
        Some(None)
    } else {
        realm_path(path, "/.well-known/openid-configuration").map(Some)
    };
    if let Some(realm) = discovery {
        if method != Method::GET && method != Method::HEAD {
            return Ok(h::method_not_allowed("GET"));
        }
        let mut st = ns.lock();
        st.stats.discovery += 1;
        let doc = match realm {
            Some(r) => dialects::keycloak_discovery(&base, &r, &st.settings),
            None => dialects::connect_discovery(&base, &st.settings),
        };
        return Ok(h::json(200, &doc));
    }
    Ok(h::not_found())
}

/// A token request: counted and recorded, then answered by the script or by the dialect.
async fn token_request(
    ns: &Arc<Namespace>,
    d: dialects::Dialect,
    req: TokenRequest,
    ctl: &ConnCtl,
) -> Result<Resp, Abort> {
    let mut record = req.record();
    record["connection"] = serde_json::Value::from(ctl.id);
    let grant = dialects::grant_of(&d, &req);
    let client = req.client_id();
    let (answer, delay_ms, _in_flight) = {
        let mut st = ns.lock();
        st.stats.total += 1;
        *st.stats.by_path.entry(req.path.clone()).or_default() += 1;
        if let Some(g) = grant {
            *st.stats.by_grant.entry(g).or_default() += 1;
        }
        if let Some(c) = client {
            *st.stats.by_client.entry(c).or_default() += 1;
        }
        st.record(record);
        let in_flight = InFlight::begin(ns, &mut st);
        let answer = st.script.pop_front();
        let delay_ms = answer.as_ref().and_then(|a| a.delay_ms).unwrap_or(st.settings.delay_ms);
        (answer, delay_ms, in_flight)
    };
    if delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }
    let mut resp = match &answer {
        None => dialects::answer(&d, ns, &req),
        Some(a) if matches!(a.kind, Kind::Issue) => dialects::answer(&d, ns, &req),
        Some(a) => faults::play(&a.kind, || ctl.reset.store(true, Ordering::SeqCst)).await?,
    };
    if let Some(a) = answer {
        for (name, value) in a.headers {
            resp.headers_mut().insert(name, value);
        }
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_split() {
        assert_eq!(split_namespace("/token"), Some(("default", "", "/token")));
        assert_eq!(split_namespace("/t/abc/token"), Some(("abc", "/t/abc", "/token")));
        assert_eq!(split_namespace("/t/abc"), None);
        assert_eq!(split_namespace("/t/a b/token"), None);
    }
}
