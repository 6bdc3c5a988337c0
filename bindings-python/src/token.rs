//! `tokenwell.Token`: a read-only view of the core's `Arc<Token>`. Its repr names the token type,
//! expiry and scope, never a token.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use tokenwell::Token;

/// An access token and what the server said about it. Read its fields; printing it shows no
/// token.
#[pyclass(frozen, module = "tokenwell", name = "Token")]
pub struct PyToken {
    pub(crate) inner: Arc<Token>,
}

static EPOCH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static TIMEDELTA: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// An aware UTC `datetime`, exact to the microsecond (no float rounding).
fn utc_datetime(py: Python<'_>, t: SystemTime) -> PyResult<Bound<'_, PyAny>> {
    let epoch = EPOCH.get_or_try_init(py, || -> PyResult<_> {
        let dt = py.import("datetime")?;
        let utc = dt.getattr("timezone")?.getattr("utc")?;
        Ok(dt.getattr("datetime")?.call1((1970, 1, 1, 0, 0, 0, 0, utc))?.unbind())
    })?;
    let timedelta = TIMEDELTA.import(py, "datetime", "timedelta")?;
    let micros = t.duration_since(UNIX_EPOCH).map(|d| d.as_micros()).unwrap_or(0);
    let delta = timedelta.call1((0, micros / 1_000_000, micros % 1_000_000))?;
    epoch.bind(py).add(delta)
}

#[pymethods]
impl PyToken {
    /// The access token.
    #[getter]
    fn access_token(&self) -> &str {
        self.inner.access_token()
    }
    /// `Bearer` (normalised from any case) or the server's other type.
    #[getter]
    fn token_type(&self) -> &str {
        self.inner.token_type()
    }
    /// The `Authorization` header value, `"Bearer <access_token>"`.
    #[getter]
    fn authorization(&self) -> &str {
        self.inner.authorization()
    }
    /// When the token expires, an aware UTC datetime.
    #[getter]
    fn expires_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        utc_datetime(py, self.inner.expires_at())
    }
    /// Seconds left until expiry (negative once expired).
    #[getter]
    fn expires_in(&self) -> f64 {
        self.inner.expires_in()
    }
    /// The refresh token, if the server issued one.
    #[getter]
    fn refresh_token(&self) -> Option<&str> {
        self.inner.refresh_token()
    }
    /// When the refresh token expires, if the server said.
    #[getter]
    fn refresh_expires_at<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner.refresh_expires_at().map(|t| utc_datetime(py, t)).transpose()
    }
    /// The granted scope, space-separated.
    #[getter]
    fn scope(&self) -> Option<&str> {
        self.inner.scope()
    }
    /// The OIDC ID token, if any.
    #[getter]
    fn id_token(&self) -> Option<&str> {
        self.inner.id_token()
    }
    /// The other fields of the server's answer (a new dict on each access).
    #[getter]
    fn extra<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        crate::convert::dict_to_py(py, self.inner.extra())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let t = &self.inner;
        let expires = utc_datetime(py, t.expires_at())?.call_method0("isoformat")?.to_string();
        let mut s = format!("Token(token_type={:?}, expires_at='{expires}'", t.token_type());
        if let Some(scope) = t.scope() {
            s.push_str(&format!(", scope={scope:?}"));
        }
        s.push_str(", access_token=<redacted>");
        if t.refresh_token().is_some() {
            s.push_str(", refresh_token=<redacted>");
        }
        if t.id_token().is_some() {
            s.push_str(", id_token=<redacted>");
        }
        s.push(')');
        Ok(s)
    }

    /// Tokens are not pickled: a pickle is a token in the clear.
    fn __reduce__(&self) -> PyResult<()> {
        Err(pyo3::exceptions::PyTypeError::new_err(
            "tokenwell.Token cannot be pickled: it holds a secret; ask the client for a token in each process",
        ))
    }
}
