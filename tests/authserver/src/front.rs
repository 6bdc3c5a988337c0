//! The fault matrix's test front (`tests/faults/README.md`, "front"): a TCP relay to the
//! authserver that can terminate TLS with a certificate from a private test CA, or cut the
//! answer after N bytes with a TCP reset. What the plain-HTTP authserver cannot do. Rust tests
//! start it in process; other languages run `tokenwell-authserver front …`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;

/// The test CA and a server certificate it signed for `127.0.0.1` and `localhost`.
struct Pki {
    ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

static PKI: LazyLock<Pki> = LazyLock::new(|| {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "tokenwell fault-matrix test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_key = KeyPair::generate().expect("CA key");
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca, ca_key);

    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).expect("params");
    leaf.distinguished_name.push(DnType::CommonName, "127.0.0.1");
    let leaf_key = KeyPair::generate().expect("server key");
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).expect("server certificate");

    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![leaf_cert.der().clone(), ca_cert.der().clone()], key)
        .expect("server TLS config");
    Pki { ca_pem: ca_cert.pem(), server: Arc::new(server) }
});

/// How a front treats each connection.
#[derive(Clone, Copy, Debug, Default)]
pub struct Mode {
    /// Terminate TLS with the test CA's certificate.
    pub tls: bool,
    /// Relay only this many bytes of the answer, then reset the connection.
    pub cut_after_bytes: Option<usize>,
}

/// A running front; dropping it stops accepting (open relays end with their peers).
pub struct Front {
    pub addr: SocketAddr,
    pub tls: bool,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Front {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Front {
    /// Listens on 127.0.0.1 (any port) and relays every connection to `upstream`.
    pub async fn start(upstream: SocketAddr, mode: Mode) -> std::io::Result<Front> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let acceptor = mode.tls.then(|| tokio_rustls::TlsAcceptor::from(PKI.server.clone()));
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let _ = conn.set_nodelay(true);
                    match acceptor {
                        // A client that refuses the certificate ends the handshake: nothing to relay.
                        Some(a) => {
                            if let Ok(tls) = a.accept(conn).await {
                                relay(tls, upstream, None).await;
                            }
                        }
                        None => relay_plain(conn, upstream, mode.cut_after_bytes).await,
                    }
                });
            }
        });
        Ok(Front { addr, tls: mode.tls, task })
    }

    /// `http(s)://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("{}://{}", if self.tls { "https" } else { "http" }, self.addr)
    }
}

/// Writes the test CA's certificate (PEM) to `path` (a temporary file renamed into place, so a
/// reader never sees half of it).
pub fn write_ca_to(path: &Path) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&tmp, &PKI.ca_pem)?;
    std::fs::rename(&tmp, path)
}

/// Writes the test CA's certificate (PEM) into `dir` and returns its path.
pub fn write_ca(dir: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("front-ca.pem");
    std::fs::write(&path, &PKI.ca_pem)?;
    Ok(path)
}

async fn relay_plain(conn: TcpStream, upstream: SocketAddr, cut: Option<usize>) {
    let Some(limit) = cut else {
        return relay(conn, upstream, None).await;
    };
    // SO_LINGER 0: closing sends RST instead of FIN, as a crashed peer or middlebox would.
    let _ = conn.set_zero_linger();
    relay(conn, upstream, Some(limit)).await;
}

/// Copies both ways until either side closes; with `limit`, the answer stops after that many
/// bytes and the client's connection is dropped (a reset when its linger is 0).
async fn relay<C>(client: C, upstream: SocketAddr, limit: Option<usize>)
where
    C: AsyncRead + AsyncWrite + Unpin,
{
    let Ok(server) = TcpStream::connect(upstream).await else { return };
    let (mut cr, mut cw) = tokio::io::split(client);
    let (mut sr, mut sw) = server.into_split();
    let up = async {
        let _ = tokio::io::copy(&mut cr, &mut sw).await;
        let _ = sw.shutdown().await;
    };
    let down = async {
        let mut sent = 0usize;
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match sr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let n = match limit {
                Some(l) => n.min(l - sent),
                None => n,
            };
            if cw.write_all(&buf[..n]).await.is_err() {
                break;
            }
            let _ = cw.flush().await;
            sent += n;
            if limit.is_some_and(|l| sent >= l) {
                break;
            }
        }
        match limit {
            // Give the client time to read what was sent (headers, part of the body), so the
            // reset lands mid-answer, not before it.
            Some(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            None => {
                let _ = cw.shutdown().await;
            }
        }
    };
    if limit.is_some() {
        // The answer was cut: drop both halves now (the reset), whatever the client still sends.
        tokio::select! {
            _ = down => {}
            _ = up => {}
        }
    } else {
        tokio::join!(up, down);
    }
}
