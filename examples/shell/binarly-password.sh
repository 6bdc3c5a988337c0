#!/usr/bin/env bash
# 000 Binarly: user authentication (password grant, public client BinarlyClient, scope=openid).
#
# The document fetches a token with one curl per run and pastes it into the next request:
#   curl -s --data-urlencode grant_type=password --data-urlencode scope=openid \
#        --data-urlencode client_id=BinarlyClient --data-urlencode "username=${BINARLY_EMAIL}" \
#        --data-urlencode "password=${BINARLY_PASSWORD}" "${BINARLY_AUTH_URL}"
# Here every call asks tokenwell for the header: the token is fetched once, kept in the file
# cache, and renewed before it expires (1800 s), however often the loop runs. As a profile:
#   [profiles.binarly]
#   preset = "binarly"
#   tenant = "${BINARLY_TENANT}"
#   grant = "password"
#   username = "${BINARLY_EMAIL}"
#   password = { env = "BINARLY_PASSWORD" }
# and then: curl -H "$(tokenwell header -p binarly)" "$API_URL"
#
# Needs BINARLY_TENANT (your slug), BINARLY_EMAIL, BINARLY_PASSWORD and API_URL (what to call).
# BINARLY_BASE_URL replaces https://auth-{tenant}.binarly.cloud (the tests use a local server).
set -euo pipefail
: "${BINARLY_EMAIL:?set BINARLY_EMAIL}" "${BINARLY_PASSWORD:?set BINARLY_PASSWORD}" "${API_URL:?set API_URL}"

tw=(tokenwell --preset binarly --grant password --username "$BINARLY_EMAIL" --password-env BINARLY_PASSWORD)
if [ -n "${BINARLY_BASE_URL:-}" ]; then
  tw+=(--base-url "$BINARLY_BASE_URL")
else
  tw+=(--tenant "${BINARLY_TENANT:?set BINARLY_TENANT}")
fi

for _ in $(seq "${API_CALLS:-3}"); do
  auth=$("${tw[@]}" header)   # after the first call: a file read, no request
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
