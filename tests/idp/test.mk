# Real identity providers (tests/idp): a local Keycloak with the provider documents' realms.
# `make test-keycloak` starts it (downloading it once into ~/.cache/tokenwell), runs the Rust
# conformance suite against it and stops it by PID, even when the suite fails.
# `make keycloak-up` / `make keycloak-down` keep one running across several suites.

_idp_default_goal := $(.DEFAULT_GOAL)
IDP_DIR := tests/idp
IDP_RUN := target/idp

.PHONY: test-keycloak keycloak-up keycloak-down
BINDING_TESTS += test-keycloak

test-keycloak: deps
	$(CARGO) build -q -p tokenwell --tests
	$(IDP_DIR)/with-keycloak.sh $(CARGO) test -p tokenwell --test keycloak

keycloak-up: ## starts Keycloak in target/idp (or finds it running) and prints its URL
	@$(IDP_DIR)/keycloak/start.sh $(IDP_RUN)

keycloak-down:
	@$(IDP_DIR)/keycloak/stop.sh $(IDP_RUN)

# Included before the root Makefile's own targets: keep `all` the default goal.
.DEFAULT_GOAL := $(_idp_default_goal)
