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

.PHONY: all deps build demo test lint doc test-rust bench install

all: build

deps: ## installs what a fresh machine lacks (idempotent, quick when present)
	@scripts/deps.sh

build: deps
	$(CARGO) build --workspace

demo: deps ## each provider document's flow, through its preset, against the local test server
	$(CARGO) run -q -p tokenwell --example demo

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc -q -p tokenwell --no-deps

test-rust: deps
	$(CARGO) test --workspace

test: lint test-rust $(BINDING_TESTS)
	@echo "make test: all suites passed"

bench: deps ## not part of `make test`
	$(CARGO) bench -p tokenwell --bench cached
