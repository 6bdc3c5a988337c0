# bench/: tokenwell beside the libraries users pick instead (issue 10). `make bench` runs it (the
# root Makefile's `bench` depends on `bench-all`); not part of `make test`. It builds tokenwell in
# release mode (wheel, C library, CLI, Node addon), builds the peers' programs (their
# dependencies live under bench/ and target/ only), runs bench/driver.py (test server pinned to
# core 0, clients to core 1) and writes bench/RESULTS.md + bench/chart.png with bench/report.py.
# A language whose binding does not build is reported as pending, not fatal.
#
#   make bench-all                          # everything (~10 minutes on 2 cores)
#   make bench-compare BENCH_ONLY=python,go BENCH_QUICK=1   # harness development: small repeats

BENCH_VENV := target/bench-venv
BENCH_BIN := target/bench/bin
BENCH_QUICK ?=
# A quick run (small repeat counts) never overwrites the published results.
BENCH_OUT := target/bench/$(if $(BENCH_QUICK),quick-results,results)
BENCH_MD := $(if $(BENCH_QUICK),target/bench/RESULTS-quick.md,bench/RESULTS.md)
BENCH_PNG := $(if $(BENCH_QUICK),target/bench/chart-quick.png,bench/chart.png)
BENCH_NODE_PKG := target/bench/node-pkg
# The compiled programs and libtokenwell run from installed copies (`install`, as `make install`
# or a deployment writes them), not from the files the linker just wrote: a freshly linked file
# sits in the page cache in a shape that costs every new process more page faults (0.15-0.3 ms
# more per start of the C program on the bench machine), which an installed program does not pay.
BENCH_PREFIX := target/bench/prefix
BENCH_ONLY ?= python,node,go,rust,c
# Pinned, so a rerun measures the same peers; bump deliberately.
BENCH_PY_PEERS := authlib==1.9.9 requests-oauthlib==2.0.0 oauthlib==4.0.1 httpx-auth==0.23.1 httpx==0.28.1 \
  requests==2.34.2 matplotlib==3.11.2 "maturin>=1.5,<2"

.PHONY: bench-all bench-core bench-build bench-compare bench-report bench-build-python bench-build-node \
  bench-build-go bench-build-rust bench-build-c

bench-all: bench-build bench-compare

bench-core: deps ## the core's criterion bench (cached paths, 1 and 8 threads)
	$(CARGO) bench -p tokenwell --bench cached

$(BENCH_VENV)/.stamp: bench/bench.mk
	@python3 -m venv --help >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pip; }
	test -x $(BENCH_VENV)/bin/python || python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q --disable-pip-version-check $(BENCH_PY_PEERS)
	touch $@

bench-build: deps $(BENCH_VENV)/.stamp
	@command -v taskset >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq util-linux; }
	# libtokenwell and the CLI each alone, as `make install` and a user build them (built together
	# with the server, their dependencies' features would be unified with the server's).
	$(MAKE) -s --no-print-directory libtokenwell
	$(CARGO) build -q --release -p tokenwell-cli
	$(CARGO) build -q --release -p tokenwell-authserver
	@mkdir -p $(BENCH_BIN)
	@$(MAKE) -s --no-print-directory bench-build-python bench-build-node bench-build-go bench-build-rust bench-build-c

# Each language's build: on failure its program is removed, and the driver reports it pending.
bench-build-python:
	rm -rf target/bench/wheels
	cd bindings-python && ../$(BENCH_VENV)/bin/maturin build -q --release -o ../target/bench/wheels \
	  && ../$(BENCH_VENV)/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps ../target/bench/wheels/tokenwell-*.whl \
	  || { echo "bench: the Python wheel did not build: Python is pending"; ../$(BENCH_VENV)/bin/pip uninstall -q -y tokenwell || true; }

# The Node package staged with its release addon under target/: napi writes the addon and its
# generated loader (native.js, which is not in git) there, so the bench never rewrites
# bindings-node's own build outputs and needs no earlier `make test-node`.
bench-build-node:
	@command -v node >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	cd bench/node-peers && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; }
	cd bindings-node && { [ -x node_modules/.bin/napi ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] \
	  || npm install --no-audit --no-fund --loglevel=error; }
	rm -rf $(BENCH_NODE_PKG)
	mkdir -p $(BENCH_NODE_PKG) \
	  && cp -r bindings-node/package.json bindings-node/index.js bindings-node/index.mjs bindings-node/lib $(BENCH_NODE_PKG)/ \
	  && cd bindings-node && node_modules/.bin/napi build --platform --release --strip --js native.js --dts native.d.ts \
	     --output-dir ../$(BENCH_NODE_PKG) >/dev/null \
	  || { echo "bench: the Node addon did not build: Node is pending"; rm -rf ../$(BENCH_NODE_PKG); }

# cgo does not track libtokenwell.a; its hash in a dummy -L keeps Go's build cache honest.
bench-build-go:
	@command -v go >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go; }
	rm -f $(BENCH_BIN)/compare-go
	gofmt -l bench/go | (! grep .)
	CGO_ENABLED=1 CGO_LDFLAGS="-L$(CURDIR)/target/release -L/nonexistent/tw-$$(sha256sum target/release/libtokenwell.a | cut -c1-16)" \
	  go -C bench/go build -o $(CURDIR)/target/bench/compare-go . \
	  && install -m 0755 target/bench/compare-go $(BENCH_BIN)/compare-go \
	  || echo "bench: the Go program did not build: Go is pending"
	-go -C bench/go vet .

bench-build-rust:
	rm -f $(BENCH_BIN)/compare-rust
	# With httparse's SIMD, as a Rust user's program is built (.cargo/config.toml turns it off for
	# this repository's own artifacts): the same for the tokenwell, oauth2 and raw POST rows.
	CARGO_CFG_HTTPARSE_DISABLE_SIMD=0 BENCH_RUSTC="$$(rustc --version)" $(CARGO) build -q --release --manifest-path bench/rust/Cargo.toml --target-dir target/bench-rust \
	  && install -m 0755 target/bench-rust/release/compare $(BENCH_BIN)/compare-rust \
	  || echo "bench: the Rust program did not build: Rust is pending"

bench-build-c:
	@pkg-config --exists libcurl || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libcurl4-openssl-dev; }
	rm -rf $(BENCH_BIN)/compare-c $(BENCH_PREFIX)
	$(MAKE) -s --no-print-directory install-c TW_C_PROFILE=release PREFIX=$(CURDIR)/$(BENCH_PREFIX) \
	  && cc -O2 -std=gnu11 -Wall -Wextra -Werror bench/c/compare.c -o target/bench/compare-c \
	     $$(PKG_CONFIG_PATH=$(CURDIR)/$(BENCH_PREFIX)/lib/pkgconfig pkg-config --cflags --libs tokenwell) -lcurl -lpthread \
	  && install -m 0755 target/bench/compare-c $(BENCH_BIN)/compare-c \
	  || echo "bench: the C program did not build: C is pending"

bench-compare:
	BENCH_TOKENWELL_NODE=$(CURDIR)/$(BENCH_NODE_PKG) $(BENCH_VENV)/bin/python bench/driver.py --only $(BENCH_ONLY) \
	  --out $(BENCH_OUT) $(if $(BENCH_QUICK),--quick)
	$(MAKE) -s --no-print-directory bench-report

bench-report: ## RESULTS.md and chart.png from the last run's JSON (no measuring)
	$(BENCH_VENV)/bin/python bench/report.py $(BENCH_OUT) --md $(BENCH_MD) --png $(BENCH_PNG)
