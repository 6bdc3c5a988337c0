//! `tokenwell-authserver [--port 0] [--max-seconds 3600]`: prints `http://127.0.0.1:PORT`, then
//! serves until SIGTERM/SIGINT or `--max-seconds`.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: tokenwell-authserver [--port N] [--max-seconds N]";

struct Args {
    port: u16,
    max_seconds: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { port: 0, max_seconds: 3600 };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        match name.as_str() {
            "-h" | "--help" => return Err(String::new()),
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
    Ok(args)
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
