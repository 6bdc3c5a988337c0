# Reliability suite (issue 9): fuzzing of the core's parsers, and the soak. `make test` runs a
# smoke of each fuzz target (FUZZ_SMOKE_SECONDS each, about a minute in all); `make fuzz` runs
# each target FUZZ_SECONDS (default 600; FUZZ_RUNS bounds executions instead, FUZZ_TARGETS picks);
# `make soak` runs the full-size soak (64 threads × 10 000 calls). The fault matrix and the
# reduced soak run with the core's tests (`cargo test -p tokenwell`).

FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 10
SOAK_CALLS ?= 10000

.PHONY: deps-fuzz test-fuzz fuzz soak
BINDING_TESTS += test-fuzz

deps-fuzz: deps
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@command -v cargo-fuzz >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked

test-fuzz: deps-fuzz
	FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) fuzz/run.sh

fuzz: deps-fuzz ## long fuzzing runs, one target after another
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh

soak: deps ## 64 threads × SOAK_CALLS calls across 2-second tokens, and the lockout loops
	TW_SOAK_CALLS=$(SOAK_CALLS) $(CARGO) test -p tokenwell --test soak -- --nocapture
