#!/usr/bin/env bash
# 004 Phase Two: client credentials with admin-cli (Keycloak; 60 s tokens, lowercase `bearer`).
#
# The document:
#   POST /auth/realms/test-realm/protocol/openid-connect/token
#   Host: app.phasetwo.io
#   grant_type=client_credentials&client_id=admin-cli&client_secret=fd649804-…
# With 60 s tokens a script that fetches per call hammers the server; here a loop of any length
# fetches once a minute at most. As a profile:
#   [profiles.phasetwo]
#   preset = "phasetwo"
#   realm = "test-realm"
#   client_id = "admin-cli"
#   client_secret = { env = "PHASETWO_CLIENT_SECRET" }
#
# Needs PHASETWO_REALM, PHASETWO_CLIENT_SECRET, API_URL; PHASETWO_CLIENT_ID (default admin-cli).
# PHASETWO_BASE_URL replaces https://app.phasetwo.io/auth.
set -euo pipefail
: "${PHASETWO_REALM:?set PHASETWO_REALM}" "${PHASETWO_CLIENT_SECRET:?set PHASETWO_CLIENT_SECRET}" "${API_URL:?set API_URL}"

tw=(tokenwell --preset phasetwo --realm "$PHASETWO_REALM" --client-id "${PHASETWO_CLIENT_ID:-admin-cli}"
    --client-secret-env PHASETWO_CLIENT_SECRET)
if [ -n "${PHASETWO_BASE_URL:-}" ]; then tw+=(--base-url "$PHASETWO_BASE_URL"); fi

for _ in $(seq "${API_CALLS:-3}"); do
  auth=$("${tw[@]}" header)   # "Authorization: Bearer …" (the server's `bearer` normalised)
  curl -fsS -H "$auth" "$API_URL"
  echo
done

# One line for scripts/examples.py (`make demo`): the token's type and seconds left, and whether
# a later run got the same token from the file cache (no request). The JSON holds the token:
# never print it.
field() { grep -o "\"$1\": *[^,}]*" | head -n1 | sed 's/^[^:]*: *//; s/"//g'; }
first=$("${tw[@]}" token --json)
again=$("${tw[@]}" token --json)
second=fetched; [ "$(field access_token <<<"$again")" = "$(field access_token <<<"$first")" ] && second=cache
echo "result: token_type=$(field token_type <<<"$first") expires_in=$(field expires_in <<<"$first") second_call=$second"
