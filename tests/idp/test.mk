# Real identity providers (tests/idp): a local Keycloak with the provider documents' realms.
# `make test-keycloak` starts it (downloading it once into ~/.cache/tokenwell), runs the Rust
# conformance suite against it and stops it by PID, even when the suite fails;
# `make test-keycloak-cli` does the same with the CLI's (cli_keycloak.py).
# `make keycloak-up` / `make keycloak-down` keep one running across several suites.

_idp_default_goal := $(.DEFAULT_GOAL)
IDP_DIR := tests/idp
IDP_RUN := target/idp

.PHONY: test-keycloak test-keycloak-cli test-keycloak-go test-keycloak-c keycloak-up keycloak-down
# In `make test`, Keycloak runs around every suite: test-rust runs core/tests/keycloak.rs,
# test-python and test-node their bindings' Keycloak files, and these the CLI's, Go's and C's.
BINDING_TESTS += test-keycloak-cli $(if $(wildcard bindings-go/test.mk),test-keycloak-go) \
  $(if $(wildcard bindings-c/test.mk),$(if $(wildcard bindings-python/test.mk),test-keycloak-c))

test-keycloak: deps
	$(CARGO) build -q -p tokenwell --tests
	$(IDP_DIR)/with-keycloak.sh $(CARGO) test -p tokenwell --test keycloak

test-keycloak-cli: deps
	$(CARGO) build -q -p tokenwell-cli
	$(IDP_DIR)/with-keycloak.sh python3 $(IDP_DIR)/cli_keycloak.py target/debug/tokenwell

# bindings-go/keycloak_test.go is built with -tags keycloak only: -v shows its table.
test-keycloak-go: deps-go lib-c
	lib=$(CURDIR)/target/debug; stamp=$$(sha256sum "$$lib/libtokenwell.a" | cut -c1-16); \
	  CGO_ENABLED=1 CGO_LDFLAGS="-L$$lib -L/nonexistent/libtokenwell-$$stamp" TW_AUTHSERVER=$$lib/tokenwell-authserver \
	  $(IDP_DIR)/with-keycloak.sh go -C bindings-go test -tags keycloak -count=1 -v -run '^TestKeycloakConformance$$' .

# The Python suite's rows with every call made through the C API (keycloak_c.c; c_keycloak.py).
test-keycloak-c: deps-c lib-c $(PY_VENV)/.stamp
	@mkdir -p target/idp-c
	cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -g -Ibindings-c/include \
	  $(IDP_DIR)/keycloak_c.c -o target/idp-c/keycloak_c -Ltarget/debug -ltokenwell -Wl,-rpath,$(CURDIR)/target/debug -lpthread
	$(IDP_DIR)/with-keycloak.sh $(PY_VENV)/bin/python $(IDP_DIR)/c_keycloak.py target/idp-c/keycloak_c

keycloak-up: ## starts Keycloak in target/idp (or finds it running) and prints its URL
	@$(IDP_DIR)/keycloak/start.sh $(IDP_RUN)

keycloak-down:
	@$(IDP_DIR)/keycloak/stop.sh $(IDP_RUN)

# Included before the root Makefile's own targets: keep `all` the default goal.
.DEFAULT_GOAL := $(_idp_default_goal)
