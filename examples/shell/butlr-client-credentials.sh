#!/usr/bin/env bash
# 001 Butlr: client credentials (JSON body with audience https://butlrauth/ at
# /api/v2/clients/login).
#
# The document:
#   curl --location --request POST 'https://api.butlr.io/api/v2/clients/login' \
#     --header 'Content-Type: application/json' \
#     --data '{"client_id": "your_client_id", "client_secret": "your_client_secret",
#              "audience": "https://butlrauth/", "grant_type": "client_credentials"}'
# As a profile:
#   [profiles.butlr-api]
#   preset = "butlr"
#   client_id = "${BUTLR_CLIENT_ID}"
#   client_secret = { env = "BUTLR_CLIENT_SECRET" }
#
# Needs BUTLR_CLIENT_ID, BUTLR_CLIENT_SECRET and API_URL. BUTLR_BASE_URL replaces
# https://api.butlr.io.
set -euo pipefail
: "${BUTLR_CLIENT_ID:?set BUTLR_CLIENT_ID}" "${BUTLR_CLIENT_SECRET:?set BUTLR_CLIENT_SECRET}" "${API_URL:?set API_URL}"

tw=(tokenwell --preset butlr --client-id "$BUTLR_CLIENT_ID" --client-secret-env BUTLR_CLIENT_SECRET)
if [ -n "${BUTLR_BASE_URL:-}" ]; then tw+=(--base-url "$BUTLR_BASE_URL"); fi

for _ in $(seq "${API_CALLS:-3}"); do
  auth=$("${tw[@]}" header)
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
