//! Log lines on standard error. The core logs with `tracing`, whose `log` bridge delivers its
//! events here because no tracing subscriber is installed: a plain `log::Log` costs nothing at
//! start-up, which keeps a cached `tokenwell token` fast. The core never logs a secret.

use log::{Level, Log, Metadata, Record};

struct Stderr {
    verbosity: u8,
    max: Level,
}

/// Default: the core's warnings. `-v`: tokenwell's debug events (fetches, cache hits, renewals).
/// `-vv`: everything, from every crate, at trace.
pub fn init(verbosity: u8) {
    let max = match verbosity {
        0 => Level::Warn,
        1 => Level::Debug,
        _ => Level::Trace,
    };
    let logger: &'static Stderr = Box::leak(Box::new(Stderr { verbosity, max }));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(max.to_level_filter());
    }
}

impl Log for Stderr {
    fn enabled(&self, m: &Metadata) -> bool {
        m.level() <= self.max && (self.verbosity >= 2 || m.target().starts_with("tokenwell"))
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let text = record.args().to_string();
        // Without -v, the failure is reported once, by the CLI, with its exit status.
        if self.verbosity == 0 && text.contains("getting a token failed") {
            return;
        }
        let text = text.strip_prefix("tokenwell: ").unwrap_or(&text);
        let level = match record.level() {
            Level::Error => "error",
            Level::Warn => "warning",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        };
        if self.verbosity >= 2 {
            eprintln!("tokenwell: {level} [{}] {text}", record.target());
        } else {
            eprintln!("tokenwell: {level}: {text}");
        }
    }

    fn flush(&self) {}
}
