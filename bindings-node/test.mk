# Node package: `make test-node` builds the addon, packs and installs the npm package into a
# fresh folder, type-checks a typed usage file and runs the suite there (bindings-node/scripts/test.sh).
# `make bench-node` runs the micro-benchmark of the warm paths (bench/node/, release build).
.PHONY: test-node bench-node
BINDING_TESTS += test-node

test-node: deps
	CARGO="$(CARGO)" bindings-node/scripts/test.sh

bench-node: deps
	CARGO="$(CARGO)" bench/node/run.sh
