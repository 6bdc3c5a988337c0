# bindings-c: libtokenwell (.so + .a), its cbindgen header, `make install`, and the C suite
# (tests under valgrind, every vector, examples/c through pkg-config). `make bench-c` measures
# the warm path.

TW_C_PROFILE ?= release
TW_C_DIR = $(if $(filter dev,$(TW_C_PROFILE)),debug,$(TW_C_PROFILE))
TW_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)

.PHONY: test-c deps-c lib-c header-c install-c bench-c libtokenwell hot-functions
BINDING_TESTS += test-c

deps-c: deps
	@need=(); have() { command -v "$$1" >/dev/null 2>&1; }; \
	have valgrind || need+=(valgrind); have python3 || need+=(python3); have curl || need+=(curl); \
	pkg-config --exists libcurl 2>/dev/null || need+=(libcurl4-openssl-dev); \
	if [ $${#need[@]} -gt 0 ]; then \
	  echo "deps-c: installing $${need[*]} from Debian's packages"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq "$${need[@]}"; \
	fi

lib-c: deps
	$(CARGO) build -p tokenwell-c -p tokenwell-authserver

# The release library as users link it: the static one's code for a first token laid out together
# (scripts/hot_layout.py: a new Go process has its first token ~0.07 ms sooner). No `deps`: it is
# `make install`'s build too. A later `cargo build -p tokenwell-c` puts cargo's copy back.
libtokenwell: ## target/release/libtokenwell.{a,so}, the .a's first-token code laid out together
	$(CARGO) build -q --release -p tokenwell-c
	@if command -v python3 >/dev/null && command -v objcopy >/dev/null; then \
	  python3 scripts/hot_layout.py apply target/release/libtokenwell.a; \
	else echo "libtokenwell: no python3 or binutils here: libtokenwell.a stays as cargo built it"; fi

hot-functions: deps-c libtokenwell ## rewrites bindings-c/first-token.txt (callgrind of a Go first token)
	mkdir -p $(BENCH_BIN)
	$(MAKE) -s --no-print-directory bench-build-go
	$(CARGO) build -q --release -p tokenwell-authserver
	test -x $(BENCH_BIN)/compare-go  # bench-build-go removes it when the Go program does not build
	python3 scripts/hot_layout.py record $(BENCH_BIN)/compare-go target/release/tokenwell-authserver > target/first-token.txt
	mv target/first-token.txt bindings-c/first-token.txt

header-c: ## rewrites bindings-c/include/tokenwell.h from the source
	TOKENWELL_BLESS=1 $(CARGO) test -q -p tokenwell-c --test header

# libtokenwell before the suite's servers start: a fresh clone builds it in release here.
test-c: deps-c lib-c libtokenwell
	$(CARGO) test -q -p tokenwell-c --test header
	bindings-c/tests/run.sh

install: install-c
install-c: ## PREFIX=… installs lib/libtokenwell.{so,a}, include/tokenwell.h, lib/pkgconfig/tokenwell.pc
	$(if $(filter release,$(TW_C_PROFILE)),$(MAKE) -s --no-print-directory libtokenwell,$(CARGO) build -q --profile $(TW_C_PROFILE) -p tokenwell-c)
	install -d "$(DESTDIR)$(PREFIX)/lib/pkgconfig" "$(DESTDIR)$(PREFIX)/include"
	install -m 0755 target/$(TW_C_DIR)/libtokenwell.so "$(DESTDIR)$(PREFIX)/lib/"
	install -m 0644 target/$(TW_C_DIR)/libtokenwell.a "$(DESTDIR)$(PREFIX)/lib/"
	install -m 0644 bindings-c/include/tokenwell.h "$(DESTDIR)$(PREFIX)/include/"
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(TW_VERSION)|g' bindings-c/tokenwell.pc \
	  > "$(DESTDIR)$(PREFIX)/lib/pkgconfig/tokenwell.pc"

bench: bench-c
bench-c: deps-c ## warm tw_client_cached / tw_client_token, 1 and 2 threads (release build)
	$(CARGO) build -q --release -p tokenwell-c
	$(CARGO) build -q -p tokenwell-authserver
	bench/c/run.sh
