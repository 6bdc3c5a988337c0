#!/usr/bin/env bash
# 003 Semansys: password grant with client_id and client_secret in the form body
# (IdentityServer at /connect/token).
#
# The document:
#   curl -X POST https://oidc-pre.semansys.com/connect/token \
#     -H "Content-Type: application/x-www-form-urlencoded" \
#     -d "grant_type=password" -d "client_id=YOUR_CLIENT_ID" -d "client_secret=YOUR_CLIENT_SECRET" \
#     -d "username=USER_USERNAME" -d "password=USER_PASSWORD"
# As a profile:
#   [profiles.semansys]
#   preset = "semansys"
#   grant = "password"
#   client_id = "${SEMANSYS_CLIENT_ID}"
#   client_secret = { env = "SEMANSYS_CLIENT_SECRET" }
#   username = "${SEMANSYS_USERNAME}"
#   password = { env = "SEMANSYS_PASSWORD" }
# The refresh token the server returns is kept in the cache and used when the access token is
# due, so the password is sent once per refresh-token lifetime.
#
# Needs SEMANSYS_CLIENT_ID, SEMANSYS_CLIENT_SECRET, SEMANSYS_USERNAME, SEMANSYS_PASSWORD and
# API_URL. SEMANSYS_BASE_URL replaces https://oidc-pre.semansys.com.
set -euo pipefail
: "${SEMANSYS_CLIENT_ID:?set SEMANSYS_CLIENT_ID}" "${SEMANSYS_CLIENT_SECRET:?set SEMANSYS_CLIENT_SECRET}"
: "${SEMANSYS_USERNAME:?set SEMANSYS_USERNAME}" "${SEMANSYS_PASSWORD:?set SEMANSYS_PASSWORD}" "${API_URL:?set API_URL}"

tw=(tokenwell --preset semansys --grant password --client-id "$SEMANSYS_CLIENT_ID"
    --client-secret-env SEMANSYS_CLIENT_SECRET --username "$SEMANSYS_USERNAME" --password-env SEMANSYS_PASSWORD)
if [ -n "${SEMANSYS_BASE_URL:-}" ]; then tw+=(--base-url "$SEMANSYS_BASE_URL"); fi

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
