# Cross-language shared caches (issue 7): Python, Node and C processes on one file cache and one
# Redis cache. Runs after the language suites, whose builds it uses.
.PHONY: test-cross
BINDING_TESTS += test-cross

test-cross: deps
	python3 tests/cross/mixed.py
