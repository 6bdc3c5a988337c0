# examples/: each provider document's flow as a short program in every language, run by
# scripts/examples.py against local Keycloak (documents 000, 002, 004, when TOKENWELL_KEYCLOAK_URL
# is set) and the test server's dialects (001, 003). `make test-examples` checks every one (part of
# `make test`); `make demo` prints them as a table. `examples-env` builds what each language needs,
# incrementally: quick when nothing changed since the last run.

EX_PY_VENV := target/examples-venv
EX_WHEELS := target/wheels-examples
EX_NODE_APP := target/examples-node
# A language whose binding's fragment is missing is left out.
EX_LANGS ?= rust $(if $(wildcard bindings-python/test.mk),python) $(if $(wildcard bindings-node/test.mk),node) \
  $(if $(wildcard bindings-go/test.mk),go) $(if $(wildcard bindings-c/test.mk),c) shell
EX_LANG_CSV = $(subst $(eval) ,$(comma),$(strip $(EX_LANGS)))
comma := ,

.PHONY: examples-env test-examples examples-rust examples-python examples-node examples-go examples-c

examples-env: deps examples-rust $(foreach l,$(filter-out rust shell,$(EX_LANGS)),examples-$(l))

examples-rust: deps
	$(CARGO) build -q -p tokenwell-examples -p tokenwell-cli -p tokenwell-authserver

# Python: the wheel (maturin from bindings-python/test.mk's tool venv) in a venv with requests and
# httpx, rebuilt when the binding's or the core's sources change.
EX_PY_SRC := $(shell find bindings-python/src bindings-python/python bindings-python/Cargo.toml \
  bindings-python/pyproject.toml core/src core/Cargo.toml -type f 2>/dev/null)
examples-python: $(EX_PY_VENV)/.wheel
$(EX_PY_VENV)/.wheel: $(EX_PY_SRC) | $(PY_TOOLS)/.stamp
	@$(PY_BOOT) -m venv --help >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; }
	test -x $(EX_PY_VENV)/bin/python || $(PY_BOOT) -m venv $(EX_PY_VENV)
	$(EX_PY_VENV)/bin/pip install -q --disable-pip-version-check requests httpx
	rm -rf $(EX_WHEELS) && cd bindings-python && ../$(PY_TOOLS)/bin/maturin build -q -o ../$(EX_WHEELS)
	$(EX_PY_VENV)/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps $(EX_WHEELS)/tokenwell-*-abi3-*.whl
	touch $@

# Node: the addon built as `make test-node` builds it, packed, and the tarball installed into a
# folder of its own (what `npm install tokenwell` gives a user).
EX_NODE_SRC := $(shell find bindings-node/src bindings-node/lib bindings-node/Cargo.toml bindings-node/package.json \
  bindings-node/index.js bindings-node/index.mjs core/src core/Cargo.toml -type f 2>/dev/null)
examples-node: $(EX_NODE_APP)/.stamp
$(EX_NODE_APP)/.stamp: $(EX_NODE_SRC)
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm; }
	cd bindings-node && { test -x node_modules/.bin/napi || npm install --no-audit --no-fund --loglevel=error; }
	cd bindings-node && node_modules/.bin/napi build --platform --strip --js native.js --dts native.d.ts
	rm -rf $(EX_NODE_APP) && mkdir -p $(EX_NODE_APP)
	cd bindings-node && npm pack --pack-destination ../$(EX_NODE_APP) --loglevel=error >/dev/null
	cd $(EX_NODE_APP) && echo '{ "name": "tokenwell-examples", "private": true }' > package.json && \
	  npm install --no-audit --no-fund --loglevel=error ./tokenwell-*.tgz
	touch $@


# C: examples/c/flows/*.c with -Werror against the debug libtokenwell.so (bindings-c/test.mk's
# lib-c) and libcurl (deps-c). A program per flow; api.h holds the libcurl part they share.
EX_C_BIN := target/examples-c
examples-c: deps-c lib-c $(patsubst examples/c/flows/%.c,$(EX_C_BIN)/%,$(wildcard examples/c/flows/*.c))
$(EX_C_BIN)/%: examples/c/flows/%.c examples/c/flows/api.h bindings-c/include/tokenwell.h
	@mkdir -p $(EX_C_BIN)
	cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Ibindings-c/include $< -o $@ \
	  -Ltarget/debug -ltokenwell -Wl,-rpath,$(CURDIR)/target/debug -lcurl

# Go: every program of examples/go, linked as bindings-go/run-tests.sh links them (the debug
# libtokenwell.a; its hash in the flags keeps Go's cache from serving a stale link).
EX_GO_BIN := target/examples-go
EX_GO_SRC := $(shell find examples/go bindings-go -name '*.go' -o -name go.mod -o -name go.sum 2>/dev/null)
examples-go: deps-go lib-c $(EX_GO_BIN)/.stamp
$(EX_GO_BIN)/.stamp: $(EX_GO_SRC) target/debug/libtokenwell.a
	@mkdir -p $(EX_GO_BIN)
	lib=$(CURDIR)/target/debug; stamp=$$(sha256sum "$$lib/libtokenwell.a" | cut -c1-16); \
	  CGO_ENABLED=1 CGO_LDFLAGS="-L$$lib -L/nonexistent/libtokenwell-$$stamp" \
	  go -C examples/go build -o $(CURDIR)/$(EX_GO_BIN)/ ./...
	touch $@

EX_ARGS = --langs $(EX_LANG_CSV) --python $(EX_PY_VENV)/bin/python --node-app $(EX_NODE_APP)

# Every example of every language must pass (against Keycloak too when TOKENWELL_KEYCLOAK_URL is
# set: `make test` sets it), and every README snippet must be a part of an example that ran.
BINDING_TESTS += test-examples
test-examples: examples-env
	python3 scripts/examples.py --check $(EX_ARGS)
	python3 scripts/readme_snippets.py
