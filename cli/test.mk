# The `tokenwell` CLI: `make test-cli` checks and tests the crate (the built binary against the
# test server; the no-echo prompt under a pseudo-terminal) and runs examples/shell/ against it.
# `make bench-cli` times a warm `tokenwell token` (release build); `make install` installs it.

.PHONY: test-cli deps-cli bench-cli install-cli
BINDING_TESTS += test-cli

deps-cli: deps
	@need=(); command -v curl >/dev/null 2>&1 || need+=(curl); command -v python3 >/dev/null 2>&1 || need+=(python3); \
	if [ $${#need[@]} -gt 0 ]; then \
	  echo "deps-cli: installing $${need[*]} from Debian's packages"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq "$${need[@]}"; \
	fi

test-cli: deps-cli
	$(CARGO) fmt -p tokenwell-cli -- --check
	$(CARGO) clippy -q -p tokenwell-cli --all-targets -- -D warnings
	$(CARGO) build -q -p tokenwell-cli -p tokenwell-authserver
	$(CARGO) test -q -p tokenwell-cli
	python3 cli/tests/prompt.py target/debug/tokenwell target/debug/tokenwell-authserver
	examples/shell/test.sh target/debug

bench-cli: deps-cli ## a warm `tokenwell token` (file-cache hit), process start to exit
	$(CARGO) build -q --release -p tokenwell-cli
	$(CARGO) build -q -p tokenwell-authserver
	bench/cli/run.sh target/release/tokenwell

install: install-cli
install-cli: ## PREFIX=… installs bin/tokenwell
	$(CARGO) build -q --release -p tokenwell-cli
	install -d "$(DESTDIR)$(PREFIX)/bin"
	install -m 0755 target/release/tokenwell "$(DESTDIR)$(PREFIX)/bin/"
