//! `tokenwell._native.Client` (subclassed by the public `tokenwell.Client`): construction from
//! keyword arguments, and how each call waits. Nothing here decides when to fetch; the core does.
//! `token()` asks the core's `try_token()` while holding the GIL and waits only when it says
//! None, with the GIL released; `_notify` waits on the core's runtime for `token_async()`.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::FutureExt;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};
use serde_json::{Map, Value};
use tokenwell::{Client, Config, Error, Token};

use crate::convert::{to_value, Unsupported};
use crate::errors::{config_error, guard, panicked, to_pyerr};
use crate::token::PyToken;

/// How often a blocked `token()` wakes to let Ctrl-C (KeyboardInterrupt) through.
const SIGNAL_POLL: Duration = Duration::from_millis(100);

thread_local! {
    /// A configuration `from_profile` hands to `__new__` (same thread, GIL held).
    static PENDING: RefCell<Option<Config>> = const { RefCell::new(None) };
}

/// The last token handed out and its Python object: while the core keeps returning that token,
/// Python gets the same object and nothing is allocated.
#[derive(Default)]
struct Mirror {
    last: Mutex<Option<(Arc<Token>, Py<PyToken>)>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The core may hand each thread its own copy of one token, so "the same token" is the same
/// access token with the same expiry, not only the same allocation.
#[inline]
fn same_token(a: &Token, b: &Token) -> bool {
    a.expires_at_unix_nanos() == b.expires_at_unix_nanos() && a.access_token() == b.access_token()
}

impl Mirror {
    #[inline]
    fn wrap(&self, py: Python<'_>, token: Arc<Token>) -> PyResult<Py<PyToken>> {
        let mut last = lock(&self.last);
        if let Some((arc, obj)) = last.as_mut() {
            if Arc::ptr_eq(arc, &token) {
                return Ok(obj.clone_ref(py));
            }
            if same_token(arc, &token) {
                let obj = obj.clone_ref(py);
                // Keep the newest copy: this thread's next call compares pointers only.
                let previous = std::mem::replace(arc, token);
                drop(last);
                drop(previous);
                return Ok(obj);
            }
        }
        drop(last);
        // Allocate and drop Python objects outside the lock: either may run a GC pass, and
        // with it arbitrary code that could ask this client for a token.
        let obj = Py::new(py, PyToken { inner: token.clone() })?;
        let old = lock(&self.last).replace((token, obj.clone_ref(py)));
        drop(old);
        Ok(obj)
    }
}

/// Gets, caches and renews OAuth 2.0 tokens; configured with the keys of DESIGN §2.
#[pyclass(frozen, subclass, module = "tokenwell._native", name = "Client")]
pub struct PyClient {
    client: Client,
    mirror: Arc<Mirror>,
    summary: String,
}

fn config_from_kwargs(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Config> {
    let mut map = Map::new();
    for (k, v) in kwargs.map(|d| d.iter().collect::<Vec<_>>()).unwrap_or_default() {
        let key: String = k.extract()?;
        // An unknown key is reported as such by the core, whatever its value.
        let value = if tokenwell::KEYS.contains(&key.as_str()) {
            to_value(&v).map_err(|Unsupported(what)| {
                config_error(py, &key, format!("`{key}` cannot be {what}: give a str, int, float, bool, list or dict"))
            })?
        } else {
            Value::Null
        };
        map.insert(key, value);
    }
    guard(|| Config::from_value(Value::Object(map))).map_err(|e| to_pyerr(py, &e))
}

/// What a repr shows: where tokens come from, never a credential.
fn summary(c: &Config) -> String {
    let mut parts = Vec::new();
    let mut add = |name: &str, v: Option<&str>| {
        if let Some(v) = v {
            parts.push(format!("{name}={v:?}"));
        }
    };
    add("preset", c.preset.as_deref());
    add(
        "token_url",
        c.token_url.as_deref().map(|u| u.split(['?', '#']).next().unwrap_or_default()).filter(|u| !u.contains('@')),
    );
    add("issuer", c.issuer.as_deref().filter(|u| !u.contains('@')));
    add("realm", c.realm.as_deref());
    add("grant", c.grant.map(|g| g.as_str()));
    add("client_id", c.client_id.as_deref());
    parts.join(", ")
}

/// Waits for a token on the core's runtime and hands the result to `done` there.
fn spawn_wait(client: &Client, done: impl FnOnce(Result<Arc<Token>, Error>) + Send + 'static) -> Result<(), Error> {
    let client = client.clone();
    let handle = guard(|| Ok(tokenwell::runtime::handle()))?;
    handle.spawn(async move {
        let result = AssertUnwindSafe(client.token()).catch_unwind().await.unwrap_or_else(|_| Err(panicked()));
        done(result);
    });
    Ok(())
}

#[pymethods]
impl PyClient {
    #[new]
    #[pyo3(signature = (**config))]
    fn new(py: Python<'_>, config: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let pending = PENDING.with(|p| p.borrow_mut().take());
        let config = match pending {
            Some(c) if config.is_none_or(|d| d.is_empty()) => c,
            _ => config_from_kwargs(py, config)?,
        };
        let summary = summary(&config);
        let client = guard(|| Client::new(config)).map_err(|e| to_pyerr(py, &e))?;
        Ok(PyClient { client, mirror: Arc::default(), summary })
    }

    /// A client from a `[profiles.NAME]` table of the CLI's configuration file.
    #[classmethod]
    #[pyo3(signature = (name=None))]
    fn from_profile<'py>(cls: &Bound<'py, PyType>, name: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
        let config = tokenwell::profile::load(name, None).map_err(|e| to_pyerr(cls.py(), &e))?;
        PENDING.with(|p| *p.borrow_mut() = Some(config));
        let made = cls.call0();
        PENDING.with(|p| p.borrow_mut().take());
        made
    }

    /// A valid token: the cached one (no I/O), else one fetch shared with every other caller;
    /// waits with the GIL released.
    fn token(&self, py: Python<'_>) -> PyResult<Py<PyToken>> {
        if let Some(t) = self.client.try_token() {
            return self.mirror.wrap(py, t);
        }
        crate::logging::refresh(py);
        // Polled on this thread with the GIL released; the renewal itself runs on tokenwell's
        // runtime, so giving up here (Ctrl-C) never cancels it for the other callers.
        let mut fut = self.client.token();
        loop {
            let (back, got, inside) = py.detach(move || {
                let got = catch_unwind(AssertUnwindSafe(|| tokenwell::runtime::wait_for(&mut fut, SIGNAL_POLL)))
                    .unwrap_or_else(|_| Some(Err(panicked())));
                // A daemon thread still waiting when the interpreter exits must not take the GIL.
                let inside = crate::gate::enter().unwrap_or_else(|| crate::gate::park_forever());
                (fut, got, inside)
            });
            drop(inside);
            fut = back;
            match got {
                Some(Ok(t)) => return self.mirror.wrap(py, t),
                Some(Err(e)) => return Err(to_pyerr(py, &e)),
                // Ctrl-C gives up waiting; the shared fetch goes on for the other callers.
                None => py.check_signals()?,
            }
        }
    }

    /// The cached token if it is still valid, else None. No I/O; never starts a renewal.
    fn cached(&self, py: Python<'_>) -> PyResult<Option<Py<PyToken>>> {
        self.client.cached().map(|t| self.mirror.wrap(py, t)).transpose()
    }

    /// What `token()` would return without waiting (may start a background renewal), else None.
    fn _try_token(&self, py: Python<'_>) -> PyResult<Option<Py<PyToken>>> {
        self.client.try_token().map(|t| self.mirror.wrap(py, t)).transpose()
    }

    /// Waits for a token on tokenwell's runtime, then calls `callback(token, None)` or
    /// `callback(None, exception)` from that thread (with the GIL).
    fn _notify(&self, py: Python<'_>, callback: Py<PyAny>) -> PyResult<()> {
        crate::logging::refresh(py);
        let mirror = self.mirror.clone();
        spawn_wait(&self.client, move |result| {
            let _ = crate::gate::attach(|py| {
                let args = match result {
                    Ok(t) => mirror.wrap(py, t).map(|t| (t.into_any(), py.None())),
                    Err(e) => Ok((py.None(), to_pyerr(py, &e).into_value(py).into_any())),
                };
                if let Err(e) = args.and_then(|a| callback.call1(py, a)) {
                    e.write_unraisable(py, Some(callback.bind(py)));
                }
            });
        })
        .map_err(|e| to_pyerr(py, &e))
    }

    /// Drops the cached access token (a resource server answered 401); the refresh token stays.
    /// Every client with the same configuration sees it.
    ///
    /// With a shared cache this waits for the entry's removal on tokenwell's runtime, with the GIL
    /// released: a warning logged there (a corrupt entry) is handed to Python and needs the GIL.
    fn invalidate(&self, py: Python<'_>) -> PyResult<()> {
        let client = &self.client;
        py.detach(|| {
            guard(|| {
                client.invalidate();
                Ok(())
            })
        })
        .map_err(|e| to_pyerr(py, &e))
    }

    /// Drops the cached access token only if it is still `token` (the one a resource refused):
    /// a burst of 401s for one stale token causes one fetch, not one each. Waits like
    /// `invalidate`, with the GIL released.
    fn invalidate_if(&self, py: Python<'_>, token: PyRef<'_, PyToken>) -> PyResult<bool> {
        let (client, token) = (&self.client, token.inner.clone());
        py.detach(|| guard(|| Ok(client.invalidate_if(&token)))).map_err(|e| to_pyerr(py, &e))
    }

    /// The cache key (hex SHA-256 of the token URL, grant, client id, …; never a secret).
    #[getter]
    fn cache_key(&self) -> &str {
        self.client.cache_key()
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let ty = slf.get_type();
        let module = ty.getattr("__module__")?.to_string();
        Ok(format!("{module}.{}({})", ty.qualname()?, slf.get().summary))
    }
}
