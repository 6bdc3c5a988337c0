//! Forced panics for the bindings' panic-boundary tests: `TOKENWELL_TEST_PANIC` lists points
//! (`construct`, `renewal`, comma-separated) where the core panics on purpose, so every
//! language's suite can check that a bug inside the engine surfaces as an `internal` error.
//!
//! The variable is read only when a client is built, on the caller's thread (never on the
//! runtime's threads, where reading the environment could race a host language's `setenv`);
//! a client built with `renewal` armed panics at the start of each of its renewals. A panic
//! there is caught (by the core for `renewal`, by the binding for `construct`), so a process
//! that sets it gets errors, never an abort.

/// Whether `TOKENWELL_TEST_PANIC` names `point`.
pub(crate) fn armed(point: &str) -> bool {
    std::env::var_os("TOKENWELL_TEST_PANIC")
        .is_some_and(|list| list.to_string_lossy().split(',').any(|p| p.trim() == point))
}

/// Panics when `armed` is set.
pub(crate) fn point(point: &str, armed: bool) {
    if armed {
        panic!("TOKENWELL_TEST_PANIC: a forced panic at `{point}`");
    }
}
