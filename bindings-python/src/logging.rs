//! Forwards the core's log records (tracing events reach the `log` crate) to Python's `logging`,
//! logger `tokenwell` and its children. Only the core's own targets are forwarded; the core
//! never logs a secret, so records pass through unchanged.

use log::{Level, LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyTuple;

struct PythonLogger;

static LOGGER: PythonLogger = PythonLogger;
static GET_LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Installs the forwarder unless another extension module already installed a `log` logger.
pub(crate) fn install() {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(LevelFilter::Debug);
    }
}

fn python_level(level: Level) -> u8 {
    match level {
        Level::Error => 40,
        Level::Warn => 30,
        Level::Info => 20,
        Level::Debug => 10,
        Level::Trace => 5,
    }
}

impl Log for PythonLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with("tokenwell")
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        // Nothing is logged once the interpreter exits (a renewal may still be running then).
        let _ = crate::gate::attach(|py| {
            // A log call must not clobber an exception the caller is about to raise.
            let pending = PyErr::take(py);
            if let Err(e) = emit(py, record) {
                e.write_unraisable(py, None);
            }
            if let Some(p) = pending {
                p.restore(py);
            }
        });
    }

    fn flush(&self) {}
}

fn emit(py: Python<'_>, record: &Record<'_>) -> PyResult<()> {
    let name = record.target().replace("::", ".");
    let level = python_level(record.level());
    // A program that never imported `logging` has configured no handler, so the record would be
    // dropped by the NullHandler below anyway: skip importing `logging` (several ms, paid by the
    // first token of a short script) until the program imports it itself.
    if GET_LOGGER.get(py).is_none() && !py.import("sys")?.getattr("modules")?.contains("logging")? {
        return Ok(());
    }
    let get_logger = GET_LOGGER.get_or_try_init(py, || -> PyResult<_> {
        // A library's logger gets a NullHandler (the logging HOWTO's advice): with logging not
        // configured, records are dropped instead of printed by logging's last-resort handler
        // (errors are raised anyway).
        let logging = py.import("logging")?;
        logging
            .call_method1("getLogger", ("tokenwell",))?
            .call_method1("addHandler", (logging.getattr("NullHandler")?.call0()?,))?;
        Ok(logging.getattr("getLogger")?.unbind())
    })?;
    let logger = get_logger.bind(py).call1((name.as_str(),))?;
    if !logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
        return Ok(());
    }
    let message = record.args().to_string();
    let made = logger.call_method1(
        "makeRecord",
        (
            name,
            level,
            record.file().unwrap_or("<rust>"),
            record.line().unwrap_or(0),
            message,
            PyTuple::empty(py),
            py.None(),
        ),
    )?;
    logger.call_method1("handle", (made,))?;
    Ok(())
}
