//! Runs the fault matrix, `tests/faults/*.json` (format: `tests/faults/README.md`), through the
//! public API: the vector runner plus a time bound per case (`max_ms`), the test front (TLS,
//! cut answers) and a check that no secret reaches a log record at TRACE level.
//! `TW_FAULTS=substring` runs only the matching cases; `TW_FAULTS_DIR=/path` reads another
//! folder; `TW_FAULTS_TABLE=/path` writes one line per case (code, requests, time, bound).

#[path = "common/runner.rs"]
mod runner;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokenwell_authserver::front;

/// Bounds one case even if the client hangs (every `max_ms` is far below it).
const CASE_LIMIT: Duration = Duration::from_secs(60);

/// Every log record of the `tokenwell` crate, at every level.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> Logs {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::Layer;
    let logs = Logs::default();
    let writer = logs.clone();
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .with_filter(tracing_subscriber::filter::filter_fn(|m| {
            m.target() == "tokenwell" || m.target().starts_with("tokenwell::")
        }))
        .with_filter(tracing_subscriber::filter::LevelFilter::TRACE);
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer)).expect("one subscriber");
    logs
}

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let logs = capture_logs();
    let cases = runner::load("faults", "TW_FAULTS", "TW_FAULTS_DIR");
    runner::set_env(&cases);
    let secrets: Vec<String> = cases.iter().flat_map(|c| runner::secret_strings(&c.v)).collect();
    let harness = runner::Harness::start();
    let upstream = harness.addr();
    let ca_dir = std::env::temp_dir().join(format!("tokenwell-faults-{}", std::process::id()));
    let ca = front::write_ca(&ca_dir).expect("writing the front's CA").to_string_lossy().into_owned();
    let table = std::env::var_os("TW_FAULTS_TABLE").map(|p| (Arc::new(Mutex::new(Vec::<String>::new())), p));

    let rows = table.clone();
    let trials = harness.trials(cases, CASE_LIMIT, move |case, h| {
        let (ca, rows) = (ca.clone(), rows.clone());
        async move {
            let mut opts = runner::Options { vars: vec![("{front_ca}".into(), ca)], answers: true };
            let mut fails = Vec::new();
            let _front = match case.v.get("front") {
                None => None,
                Some(f) => {
                    let mode = front::Mode {
                        tls: f.get("tls").and_then(Value::as_bool).unwrap_or(false),
                        cut_after_bytes: f.get("cut_after_bytes").and_then(Value::as_u64).map(|n| n as usize),
                    };
                    match front::Front::start(upstream, mode).await {
                        Ok(fr) => {
                            opts.vars.push(("{front}".into(), format!("{}/t/{}", fr.url(), case.stem)));
                            Some(fr)
                        }
                        Err(e) => return vec![format!("starting the front: {e}")],
                    }
                }
            };
            let out = runner::run_case(&case, &h.root, &h.http, &opts).await;
            fails.extend(out.fails);
            let elapsed_ms = out.elapsed.map(|d| d.as_secs_f64() * 1000.0);
            match (case.v.get("max_ms").and_then(Value::as_f64), elapsed_ms) {
                (None, _) => fails.push("the case has no max_ms".into()),
                (Some(max), Some(ms)) if ms > max => fails.push(format!("took {ms:.0} ms, more than max_ms {max}")),
                _ => {}
            }
            if let Some((rows, _)) = &rows {
                let expect = &case.v["expect"];
                let outcome = match expect.pointer("/error/code").and_then(Value::as_str) {
                    Some(code) => code.to_string(),
                    None => "token".into(),
                };
                let n = case.v["requests"].as_array().map_or(0, Vec::len);
                rows.lock().unwrap_or_else(|p| p.into_inner()).push(format!(
                    "| {} | {outcome} | {n} | {:.0} | {} | {} |",
                    case.stem,
                    elapsed_ms.unwrap_or(f64::NAN),
                    case.v["max_ms"],
                    if fails.is_empty() { "pass" } else { "FAIL" }
                ));
            }
            fails
        }
    });
    let listing = args.list;
    let conclusion = libtest_mimic::run(&args, trials);
    let _ = std::fs::remove_dir_all(&ca_dir);
    if let Some((rows, path)) = table {
        let mut rows = rows.lock().unwrap_or_else(|p| p.into_inner()).clone();
        rows.sort();
        let _ = std::fs::write(path, rows.join("\n") + "\n");
    }
    let ran = conclusion.num_passed + conclusion.num_failed > 0;
    if !listing && ran && !check_logs(&logs, &secrets) {
        std::process::exit(101);
    }
    conclusion.exit();
}

/// No secret, password or token of any case appears in any log record (DESIGN §4 Security).
fn check_logs(logs: &Logs, secrets: &[String]) -> bool {
    let text = String::from_utf8_lossy(&logs.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    let leaked: Vec<&String> = secrets.iter().filter(|s| text.contains(s.as_str())).collect();
    if text.is_empty() {
        eprintln!("faults: no log record was captured; the secret check saw nothing");
        return false;
    }
    if !leaked.is_empty() {
        eprintln!("faults: log records contain secrets: {leaked:?}");
        return false;
    }
    println!("faults: {} bytes of TRACE logs, none holds any of {} secrets", text.len(), secrets.len());
    true
}
