#!/usr/bin/env bash
# 001 Butlr: password login (JSON {"username", "password"} at /api/v2/login, no grant_type).
#
# The document:
#   curl --location --request POST 'https://api.butlr.io/api/v2/login' \
#     --header 'Content-Type: application/json' \
#     --data-raw '{"username": "your@email.com", "password": "your_password"}'
# The `butlr` preset sends exactly that body; tokenwell keeps the token for its lifetime. As a
# profile:
#   [profiles.butlr]
#   preset = "butlr"
#   grant = "password"
#   username = "${BUTLR_USERNAME}"
#   password = { env = "BUTLR_PASSWORD" }
#
# Needs BUTLR_USERNAME, BUTLR_PASSWORD and API_URL. BUTLR_BASE_URL replaces https://api.butlr.io.
set -euo pipefail
: "${BUTLR_USERNAME:?set BUTLR_USERNAME}" "${BUTLR_PASSWORD:?set BUTLR_PASSWORD}" "${API_URL:?set API_URL}"

tw=(tokenwell --preset butlr --grant password --username "$BUTLR_USERNAME" --password-env BUTLR_PASSWORD)
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
