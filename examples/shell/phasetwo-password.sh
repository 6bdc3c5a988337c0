#!/usr/bin/env bash
# 004 Phase Two: password grant for a user (Keycloak).
#
# The document:
#   POST /auth/realms/test-realm/protocol/openid-connect/token
#   Host: app.phasetwo.io
#   grant_type=password&username=uname@foo.com&password=pwd123AZY&client_id=admin-cli
# As a profile (no password in the file: it is asked for, without echo, when the terminal is
# interactive, or read with --password-stdin):
#   [profiles.phasetwo-me]
#   preset = "phasetwo"
#   realm = "test-realm"
#   grant = "password"
#   client_id = "admin-cli"
#   username = "uname@foo.com"
#
# Needs PHASETWO_REALM, PHASETWO_USERNAME, PHASETWO_PASSWORD (piped to --password-stdin here),
# API_URL; PHASETWO_CLIENT_ID (default admin-cli). PHASETWO_BASE_URL replaces
# https://app.phasetwo.io/auth.
set -euo pipefail
: "${PHASETWO_REALM:?set PHASETWO_REALM}" "${PHASETWO_USERNAME:?set PHASETWO_USERNAME}"
: "${PHASETWO_PASSWORD:?set PHASETWO_PASSWORD}" "${API_URL:?set API_URL}"

tw=(tokenwell --preset phasetwo --realm "$PHASETWO_REALM" --grant password
    --client-id "${PHASETWO_CLIENT_ID:-admin-cli}" --username "$PHASETWO_USERNAME" --password-stdin)
if [ -n "${PHASETWO_BASE_URL:-}" ]; then tw+=(--base-url "$PHASETWO_BASE_URL"); fi

for _ in $(seq "${API_CALLS:-3}"); do
  auth=$(printf '%s' "$PHASETWO_PASSWORD" | "${tw[@]}" header)
  curl -fsS -H "$auth" "$API_URL"
  echo
done

# One line for scripts/examples.py (`make demo`): the token's type and seconds left, and whether
# a later run got the same token from the file cache (no request). The JSON holds the token:
# never print it.
field() { grep -o "\"$1\": *[^,}]*" | head -n1 | sed 's/^[^:]*: *//; s/"//g'; }
first=$(printf '%s' "$PHASETWO_PASSWORD" | "${tw[@]}" token --json)
again=$(printf '%s' "$PHASETWO_PASSWORD" | "${tw[@]}" token --json)
second=fetched; [ "$(field access_token <<<"$again")" = "$(field access_token <<<"$first")" ] && second=cache
echo "result: token_type=$(field token_type <<<"$first") expires_in=$(field expires_in <<<"$first") second_call=$second"
