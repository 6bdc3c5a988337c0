//! `tokenwell-authserver [--port 0] [--max-seconds 3600]`: prints `http://127.0.0.1:PORT`, then
//! serves until SIGTERM/SIGINT or `--max-seconds`.
//!
//! `tokenwell-authserver front --upstream URL [--tls --ca-out FILE] [--cut-after-bytes N]
//! [--max-seconds N]`: the fault matrix's test front (`tests/faults/README.md`) relaying to a
//! running authserver; prints its own `http(s)://127.0.0.1:PORT`, then relays until stopped.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use tokenwell_authserver::front;

const USAGE: &str = "usage: tokenwell-authserver [--port N] [--max-seconds N]
       tokenwell-authserver front --upstream http://127.0.0.1:PORT [--tls --ca-out FILE] [--cut-after-bytes N] [--max-seconds N]";

#[derive(Default)]
struct FrontArgs {
    upstream: Option<String>,
    tls: bool,
    ca_out: Option<String>,
    cut_after_bytes: Option<usize>,
}

struct Args {
    port: u16,
    max_seconds: u64,
    front: Option<FrontArgs>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { port: 0, max_seconds: 3600, front: None };
    let mut it = std::env::args().skip(1).peekable();
    if it.peek().map(String::as_str) == Some("front") {
        it.next();
        args.front = Some(FrontArgs::default());
    }
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        match name.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--tls" if args.front.is_some() => {
                if let Some(f) = args.front.as_mut() {
                    f.tls = true;
                }
            }
            "--upstream" | "--ca-out" | "--cut-after-bytes" if args.front.is_some() => {
                let value = inline.or_else(|| it.next()).ok_or_else(|| format!("{name} needs a value"))?;
                let Some(f) = args.front.as_mut() else { continue };
                match name.as_str() {
                    "--upstream" => f.upstream = Some(value),
                    "--ca-out" => f.ca_out = Some(value),
                    _ => {
                        let n = value.parse().map_err(|_| format!("--cut-after-bytes: not a number: {value}"))?;
                        f.cut_after_bytes = Some(n);
                    }
                }
            }
            "--port" | "--max-seconds" => {
                let value = inline.or_else(|| it.next()).ok_or_else(|| format!("{name} needs a value"))?;
                if name == "--port" {
                    args.port = value.parse().map_err(|_| format!("--port: not a port number: {value}"))?;
                } else {
                    args.max_seconds = value.parse().map_err(|_| format!("--max-seconds: not a number: {value}"))?;
                }
            }
            _ => return Err(format!("unknown argument: {arg}")),
        }
    }
    if let Some(f) = &args.front {
        if f.upstream.is_none() {
            return Err("front: --upstream http://127.0.0.1:PORT is required".into());
        }
        if f.tls && f.ca_out.is_none() {
            return Err("front: --tls needs --ca-out FILE (where the test CA's PEM is written)".into());
        }
        if args.port != 0 {
            return Err("front: --port is not used (the front listens on a free port and prints it)".into());
        }
        if f.tls && f.cut_after_bytes.is_some() {
            return Err("front: --tls and --cut-after-bytes cannot be combined".into());
        }
    }
    Ok(args)
}

/// `host:port` of an `http://host:port[/…]` URL.
fn upstream_addr(url: &str) -> Result<std::net::SocketAddr, String> {
    use std::net::ToSocketAddrs;
    let rest = url.strip_prefix("http://").ok_or_else(|| format!("--upstream: not an http:// URL: {url}"))?;
    let hostport = rest.split('/').next().unwrap_or(rest);
    hostport
        .to_socket_addrs()
        .map_err(|e| format!("--upstream: {hostport}: {e}"))?
        .next()
        .ok_or_else(|| format!("--upstream: {hostport}: no address"))
}

/// Runs the test front until stopped; its URL is the first line on stdout.
fn run_front(rt: &tokio::runtime::Runtime, f: &FrontArgs, max: Duration) -> Result<(), String> {
    let upstream = upstream_addr(f.upstream.as_deref().unwrap_or_default())?;
    if let Some(path) = &f.ca_out {
        front::write_ca_to(std::path::Path::new(path)).map_err(|e| format!("--ca-out {path}: {e}"))?;
    }
    let mode = front::Mode { tls: f.tls, cut_after_bytes: f.cut_after_bytes };
    rt.block_on(async {
        let fr = front::Front::start(upstream, mode).await.map_err(|e| format!("cannot listen: {e}"))?;
        {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", fr.url());
            let _ = out.flush();
        }
        wait_for_stop(max).await;
        drop(fr);
        Ok(())
    })
}

async fn wait_for_stop(max: Duration) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).ok();
        let term_recv = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(max) => {}
            _ = tokio::signal::ctrl_c() => {}
            _ = term_recv => {}
        }
    }
    #[cfg(not(unix))]
    {
        tokio::select! {
            _ = tokio::time::sleep(max) => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("tokenwell-authserver: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokenwell-authserver: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(f) = &args.front {
        return match run_front(&rt, f, Duration::from_secs(args.max_seconds)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("tokenwell-authserver front: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let server = match tokenwell_authserver::start_with(tokenwell_authserver::Options { port: args.port }) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tokenwell-authserver: cannot listen on port {}: {e}", args.port);
            return ExitCode::FAILURE;
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", server.url());
        let _ = out.flush();
    }
    rt.block_on(wait_for_stop(Duration::from_secs(args.max_seconds)));
    drop(server);
    ExitCode::SUCCESS
}
