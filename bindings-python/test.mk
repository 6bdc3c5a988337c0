# Python package (bindings-python): `make test-python` builds the abi3 wheel with maturin,
# installs it into a fresh-enough venv under target/, checks the Rust crate, the stubs and a
# typed usage file (mypy --strict), and runs the pytest suite there against the test server.
# Venvs are kept between runs (a stamp file per set of tools); the wheel is reinstalled each run.

PY_DIR := bindings-python
PY_BOOT ?= python3
PY_TOOLS := target/py-tools
PY_VENV := target/py-test-venv
PY_BARE := target/py-bare-venv
PY_BENCH := target/py-bench-venv
PY_WHEELS := target/wheels-py
PY_TEST_DEPS := pytest requests httpx mypy types-requests ruff
# The oldest CPython the abi3 wheel supports, when this machine has it (pyenv's, say): the same
# wheel and suite run there too. Absent: skipped.
PY_OLDEST ?= $(firstword $(foreach p,python3.9 $(wildcard $(HOME)/.pyenv/versions/3.9*/bin/python3.9),$(shell $(p) -c 'import venv' >/dev/null 2>&1 && echo $(p))))
PY_OLDEST_VENV := target/py39-venv

.PHONY: test-python bench-python
BINDING_TESTS += test-python

$(PY_TOOLS)/.stamp:
	@$(PY_BOOT) -m venv --help >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pip; }
	$(PY_BOOT) -m venv $(PY_TOOLS)
	$(PY_TOOLS)/bin/pip install -q --disable-pip-version-check "maturin>=1.5,<2"
	touch $@

$(PY_VENV)/.stamp:
	$(PY_BOOT) -m venv $(PY_VENV)
	$(PY_VENV)/bin/pip install -q --disable-pip-version-check $(PY_TEST_DEPS)
	touch $@

test-python: deps $(PY_TOOLS)/.stamp $(PY_VENV)/.stamp
	$(CARGO) fmt -p tokenwell-python -- --check
	$(CARGO) clippy -q -p tokenwell-python --all-targets --no-deps -- -D warnings
	$(CARGO) build -q -p tokenwell-authserver
	rm -rf $(PY_WHEELS) && mkdir -p $(PY_WHEELS)
	cd $(PY_DIR) && ../$(PY_TOOLS)/bin/maturin build -q -o ../$(PY_WHEELS)
	@ls $(PY_WHEELS)/tokenwell-*-abi3-*.whl
	$(PY_VENV)/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps $(PY_WHEELS)/tokenwell-*-abi3-*.whl
	@# The wheel alone, in a venv with nothing else: importing needs nothing but it.
	rm -rf $(PY_BARE) && $(PY_BOOT) -m venv $(PY_BARE)
	$(PY_BARE)/bin/pip install -q --disable-pip-version-check --no-index $(PY_WHEELS)/tokenwell-*-abi3-*.whl
	cd /tmp && $(CURDIR)/$(PY_BARE)/bin/python -c "import tokenwell, sys; print('bare venv: import tokenwell', tokenwell.__version__, 'ok;', len(list(sys.modules)), 'modules')"
	$(PY_VENV)/bin/ruff check -q --cache-dir $(CURDIR)/target/py-ruff-cache --config $(PY_DIR)/pyproject.toml $(PY_DIR)/python $(PY_DIR)/tests bench/python examples/python scripts
	cd $(PY_DIR)/python && ../../$(PY_VENV)/bin/mypy --strict --cache-dir $(CURDIR)/target/py-mypy-cache tokenwell
	cd /tmp && $(CURDIR)/$(PY_VENV)/bin/python -m mypy.stubtest --mypy-config-file /dev/null tokenwell
	cd $(PY_DIR)/tests && ../../$(PY_VENV)/bin/mypy --strict --cache-dir $(CURDIR)/target/py-mypy-cache typed_usage.py
	cd $(PY_DIR) && ../$(PY_VENV)/bin/python -m pytest -q -p no:cacheprovider tests
	@if [ -n "$(PY_OLDEST)" ]; then \
	  set -e; echo "the same wheel and suite on $$($(PY_OLDEST) --version)"; \
	  test -f $(PY_OLDEST_VENV)/.stamp || { $(PY_OLDEST) -m venv $(PY_OLDEST_VENV) && \
	    $(PY_OLDEST_VENV)/bin/pip install -q --disable-pip-version-check pytest requests httpx && touch $(PY_OLDEST_VENV)/.stamp; }; \
	  $(PY_OLDEST_VENV)/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps $(PY_WHEELS)/tokenwell-*-abi3-*.whl; \
	  cd $(PY_DIR) && ../$(PY_OLDEST_VENV)/bin/python -m pytest -q -p no:cacheprovider tests; \
	else echo "no CPython 3.9 here: the suite ran on $$($(PY_VENV)/bin/python --version) only"; fi

# Not part of `make test`: a release wheel in its own venv, then bench/python/bench_token.py.
bench-python: deps $(PY_TOOLS)/.stamp
	cd $(PY_DIR) && ../$(PY_TOOLS)/bin/maturin build -q --release -o ../target/wheels-py-release
	test -f $(PY_BENCH)/bin/python || $(PY_BOOT) -m venv $(PY_BENCH)
	$(PY_BENCH)/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps target/wheels-py-release/tokenwell-*-abi3-*.whl
	cd /tmp && $(CURDIR)/$(PY_BENCH)/bin/python $(CURDIR)/bench/python/bench_token.py
