# Real identity providers (tests/idp): a local Keycloak with the provider documents' realms.
# `make test-keycloak` starts it (downloading it once into ~/.cache/tokenwell), runs the Rust
# conformance suite against it and stops it by PID, even when the suite fails;
# `make test-keycloak-cli` does the same with the CLI's (cli_keycloak.py).
# `make keycloak-up` / `make keycloak-down` keep one running across several suites.

_idp_default_goal := $(.DEFAULT_GOAL)
IDP_DIR := tests/idp
IDP_RUN := target/idp

.PHONY: test-keycloak test-keycloak-cli keycloak-up keycloak-down
# In `make test`, Keycloak runs around every suite: test-rust runs core/tests/keycloak.rs, the
# bindings' suites their own Keycloak files, and this the CLI's.
BINDING_TESTS += test-keycloak-cli

test-keycloak: deps
	$(CARGO) build -q -p tokenwell --tests
	$(IDP_DIR)/with-keycloak.sh $(CARGO) test -p tokenwell --test keycloak

test-keycloak-cli: deps
	$(CARGO) build -q -p tokenwell-cli
	$(IDP_DIR)/with-keycloak.sh python3 $(IDP_DIR)/cli_keycloak.py target/debug/tokenwell

keycloak-up: ## starts Keycloak in target/idp (or finds it running) and prints its URL
	@$(IDP_DIR)/keycloak/start.sh $(IDP_RUN)

keycloak-down:
	@$(IDP_DIR)/keycloak/stop.sh $(IDP_RUN)

# Included before the root Makefile's own targets: keep `all` the default goal.
.DEFAULT_GOAL := $(_idp_default_goal)
