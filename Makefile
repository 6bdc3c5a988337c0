# tokenwell: the one entry point. `make demo`, `make test`, `make bench`, `make install`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
PREFIX ?= /usr/local
export CARGO_TERM_COLOR ?= never
export CARGO_NET_RETRY ?= 5

# The fragments below define targets; `make` alone still builds.
.DEFAULT_GOAL := all

# Each binding adds `test-<name>` to BINDING_TESTS in its own fragment (bindings-*/test.mk).
BINDING_TESTS :=
-include bindings-*/test.mk
-include tests/idp/test.mk
-include cli/test.mk
-include tests/cross/test.mk
-include fuzz/test.mk
-include examples/test.mk
-include bench/bench.mk

.PHONY: all deps build demo test lint doc test-rust bench install

all: build

deps: ## installs what a fresh machine lacks (idempotent, quick when present)
	@scripts/deps.sh

build: deps
	$(CARGO) build --workspace

# Every example of examples/ in every language against local Keycloak (started, first run: downloaded,
# and stopped) and the test server, as a table. IDP=authserver: the test server alone, in seconds.
IDP ?= keycloak
demo: deps examples-env
	$(if $(filter keycloak,$(IDP)),tests/idp/with-keycloak.sh) python3 scripts/examples.py --idp $(IDP) $(EX_ARGS)

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc -q -p tokenwell --no-deps

test-rust: deps
	$(CARGO) test --workspace

# Keycloak (tests/idp) starts once, every suite runs against it, and it stops when they end.
test: lint
	$(wildcard tests/idp/with-keycloak.sh) $(MAKE) --no-print-directory test-rust $(BINDING_TESTS)
	@echo "make test: all suites passed"

bench: deps bench-all ## not part of `make test`: tokenwell beside its peers (bench/RESULTS.md), then the core's criterion bench
	$(CARGO) bench -p tokenwell --bench cached
