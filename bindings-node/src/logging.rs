//! Forwards the core's log records (tracing's `log` bridge) to JS `onLog` callbacks and, with
//! `DEBUG=tokenwell`, to stderr. Records are process-wide: every registered sink sees them. The
//! callbacks are weak threadsafe functions, so they never keep the event loop alive.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once};

use napi::bindgen_prelude::FnArgs;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::Status;

/// `(level, message) => void`, called on the JS thread of the env that registered it.
pub type LogFn = ThreadsafeFunction<FnArgs<(String, String)>, (), FnArgs<(String, String)>, Status, false, true>;

#[derive(Default)]
struct Sinks {
    next_id: u64,
    list: Vec<(u64, Arc<LogFn>)>,
}

static SINKS: Mutex<Sinks> = Mutex::new(Sinks { next_id: 0, list: Vec::new() });
static STDERR: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();
static FORWARD: Forward = Forward;

fn sinks() -> MutexGuard<'static, Sinks> {
    match SINKS.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// Unregisters its sink when the owning client is collected.
pub struct SinkGuard(u64);

impl Drop for SinkGuard {
    fn drop(&mut self) {
        let mut s = sinks();
        s.list.retain(|(id, _)| *id != self.0);
        update_level(&s);
    }
}

pub fn add_sink(f: LogFn) -> SinkGuard {
    install();
    let mut s = sinks();
    s.next_id += 1;
    let id = s.next_id;
    s.list.push((id, Arc::new(f)));
    update_level(&s);
    SinkGuard(id)
}

pub fn enable_stderr() {
    install();
    STDERR.store(true, Ordering::Release);
    update_level(&sinks());
}

fn install() {
    // Another logger may already be installed in this library's copy of `log` (none is
    // today); then records simply do not reach JS.
    INSTALL.call_once(|| {
        let _ = log::set_logger(&FORWARD);
    });
}

/// Formatting records costs time on the renewal path: only when someone listens, and then every
/// level (`LogLevel` names `trace`; the secret-hygiene check reads the most verbose output).
fn update_level(s: &Sinks) {
    let on = STDERR.load(Ordering::Acquire) || !s.list.is_empty();
    log::set_max_level(if on { log::LevelFilter::Trace } else { log::LevelFilter::Off });
}

struct Forward;

impl log::Log for Forward {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.target().starts_with("tokenwell")
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let level = match record.level() {
            log::Level::Error => "error",
            log::Level::Warn => "warn",
            log::Level::Info => "info",
            log::Level::Debug => "debug",
            log::Level::Trace => "trace",
        };
        let text = record.args().to_string();
        let message = text.strip_prefix("tokenwell: ").unwrap_or(&text);
        if STDERR.load(Ordering::Acquire) {
            eprintln!("tokenwell {level} {message}");
        }
        let targets: Vec<Arc<LogFn>> = sinks().list.iter().map(|(_, f)| f.clone()).collect();
        for f in targets {
            f.call(FnArgs::from((level.to_owned(), message.to_owned())), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }

    fn flush(&self) {}
}
