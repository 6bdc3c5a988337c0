# bindings-go: the cgo package over libtokenwell (bindings-c) and examples/go. `make test-go`
# builds the C library, then runs gofmt, go vet, the tests under -race (every vector, the Butlr
# flows, 1000 goroutines, an oauth2 round trip), examples/go against the test server, and the
# `tokenwell_dynamic` build through pkg-config.

.PHONY: test-go deps-go
BINDING_TESTS += test-go

deps-go: deps
	@command -v go >/dev/null 2>&1 || { \
	  echo "deps-go: installing Go from Debian's packages"; SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq golang-go; }

test-go: deps-go lib-c
	bindings-go/run-tests.sh
