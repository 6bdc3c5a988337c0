//! `tokenwell._native`: the Rust side of the Python package. It converts Python values to the
//! core's configuration, wraps the core's `Client` and `Token`, maps errors to the exception
//! classes of `tokenwell._errors`, and forwards the core's log records to `logging`.

use pyo3::prelude::*;

mod client;
mod convert;
mod errors;
mod gate;
mod logging;
mod token;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logging::install();
    gate::install(m)?;
    m.add_class::<client::PyClient>()?;
    m.add_class::<token::PyToken>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
