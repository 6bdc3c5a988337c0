//! Forced panics for the bindings' panic-boundary tests: `TOKENWELL_TEST_PANIC` lists points
//! (`construct`, `renewal`, comma-separated) where the core panics on purpose, so every
//! language's suite can check that a bug inside the engine surfaces as an `internal` error.
//!
//! The variable is read each time a point is reached: on client construction and at the start
//! of a renewal, never on the cached path. A panic there is caught (by the core for `renewal`,
//! by the binding for `construct`), so a process that sets it gets errors, never an abort.

/// Panics when `TOKENWELL_TEST_PANIC` names `point`.
pub(crate) fn point(point: &str) {
    if let Some(list) = std::env::var_os("TOKENWELL_TEST_PANIC") {
        if list.to_string_lossy().split(',').any(|p| p.trim() == point) {
            panic!("TOKENWELL_TEST_PANIC: a forced panic at `{point}`");
        }
    }
}
