//! Runs every shared test vector in `tests/vectors/` against the in-process authserver through
//! the public API. The format, and what a runner must check, is `tests/vectors/README.md`; this
//! file and `common/runner.rs` are its reference implementation. `TW_VECTORS=substring` runs
//! only the matching files; `TW_VECTORS_DIR=/path` reads the vectors from another folder.

#[path = "common/runner.rs"]
mod runner;

use std::time::Duration;

/// Bounds one vector, so a hang in the client shows up as a failure, not a stuck test.
const VECTOR_LIMIT: Duration = Duration::from_secs(60);

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let cases = runner::load("vectors", "TW_VECTORS", "TW_VECTORS_DIR");
    runner::set_env(&cases);
    let harness = runner::Harness::start();
    let trials = harness.trials(cases, VECTOR_LIMIT, |case, h| async move {
        runner::run_case(&case, &h.root, &h.http, &runner::Options::default()).await.fails
    });
    libtest_mimic::run(&args, trials).exit();
}
