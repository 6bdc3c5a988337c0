//! Forwards the core's log records (tracing events reach the `log` crate) to Python's `logging`,
//! logger `tokenwell` and its children. Only the core's own targets are forwarded; the core
//! never logs a secret, so records pass through unchanged.
//!
//! Handing a record to Python takes the GIL, and most records come from tokenwell's own threads:
//! a debug record that no logger wants cost a first token about 0.1 ms. So the lowest level the
//! `tokenwell` loggers are enabled for is read on the caller's thread (which holds the GIL
//! anyway) whenever `token()` or `token_async()` has to wait, and debug and info records below
//! it are dropped without taking the GIL. Warnings and errors are always handed to `logging`.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;

use log::{Level, LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyTuple;

struct PythonLogger;

static LOGGER: PythonLogger = PythonLogger;
static GET_LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// The lowest Python level a `tokenwell` logger was enabled for when last read (0: not read yet,
/// forward everything; `u8::MAX`: `logging` not imported, nothing below a warning).
static THRESHOLD: AtomicU8 = AtomicU8::new(0);
/// The child loggers records went to (`tokenwell.client`, …): their own levels count too.
static CHILDREN: Mutex<Vec<String>> = Mutex::new(Vec::new());
const WARNING: u8 = 30;

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
        let level = python_level(record.level());
        if level < WARNING && level < THRESHOLD.load(Ordering::Relaxed) {
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

/// `logging.getLogger`, or `None` while the program has not imported `logging`.
fn get_logger(py: Python<'_>) -> PyResult<Option<&Py<PyAny>>> {
    // A program that never imported `logging` has configured no handler, so a record would be
    // dropped by the NullHandler below anyway: skip importing `logging` (several ms, paid by the
    // first token of a short script) until the program imports it itself.
    if GET_LOGGER.get(py).is_none() && !py.import("sys")?.getattr("modules")?.contains("logging")? {
        return Ok(None);
    }
    GET_LOGGER
        .get_or_try_init(py, || -> PyResult<_> {
            // A library's logger gets a NullHandler (the logging HOWTO's advice): with logging not
            // configured, records are dropped instead of printed by logging's last-resort handler
            // (errors are raised anyway).
            let logging = py.import("logging")?;
            logging
                .call_method1("getLogger", ("tokenwell",))?
                .call_method1("addHandler", (logging.getattr("NullHandler")?.call0()?,))?;
            Ok(logging.getattr("getLogger")?.unbind())
        })
        .map(Some)
}

/// Reads the levels the `tokenwell` loggers are enabled for (see the module's documentation).
pub(crate) fn refresh(py: Python<'_>) {
    let read = || -> PyResult<u8> {
        let Some(get_logger) = get_logger(py)? else {
            return Ok(u8::MAX);
        };
        let level = |name: &str| -> PyResult<u32> {
            get_logger.bind(py).call1((name,))?.call_method0("getEffectiveLevel")?.extract::<u32>()
        };
        let mut lowest = level("tokenwell")?;
        let children = CHILDREN.lock().map(|c| c.clone()).unwrap_or_default();
        for name in &children {
            lowest = lowest.min(level(name)?);
        }
        Ok(lowest.min(u32::from(u8::MAX)) as u8)
    };
    // On any failure, forward everything (as before the first read).
    THRESHOLD.store(read().unwrap_or(0), Ordering::Relaxed);
}

fn emit(py: Python<'_>, record: &Record<'_>) -> PyResult<()> {
    let name = record.target().replace("::", ".");
    let level = python_level(record.level());
    let Some(get_logger) = get_logger(py)? else {
        return Ok(());
    };
    if let Ok(mut children) = CHILDREN.lock() {
        if !children.contains(&name) {
            children.push(name.clone());
        }
    }
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
