#!/usr/bin/env bash
# 002 Binarly on-premises: machine-to-machine, a confidential Keycloak client with service
# accounts in realm BinarlyRealm (client credentials), often behind a private CA.
#
# What the document leads to, by hand:
#   curl -s --cacert "$BINARLY_CA_FILE" -d grant_type=client_credentials \
#        -d "client_id=$BINARLY_CLIENT_ID" -d "client_secret=$BINARLY_CLIENT_SECRET" \
#        "https://<YOUR_KEYCLOAK_HOST>/realms/BinarlyRealm/protocol/openid-connect/token"
# As a profile (for CI: the secret comes from the job's environment):
#   [profiles.binarly-ci]
#   preset = "keycloak"
#   base_url = "https://keycloak.example.internal"
#   realm = "BinarlyRealm"
#   client_id = "ci-cd-automation"
#   client_secret = { env = "BINARLY_CLIENT_SECRET" }
#   ca_file = "/etc/ssl/private-ca.pem"
#
# Needs KEYCLOAK_BASE_URL (your Keycloak), BINARLY_CLIENT_ID, BINARLY_CLIENT_SECRET, API_URL;
# BINARLY_CA_FILE when the server's certificate comes from a private CA.
set -euo pipefail
: "${KEYCLOAK_BASE_URL:?set KEYCLOAK_BASE_URL}" "${BINARLY_CLIENT_ID:?set BINARLY_CLIENT_ID}"
: "${BINARLY_CLIENT_SECRET:?set BINARLY_CLIENT_SECRET}" "${API_URL:?set API_URL}"

tw=(tokenwell --preset keycloak --base-url "$KEYCLOAK_BASE_URL" --realm BinarlyRealm
    --client-id "$BINARLY_CLIENT_ID" --client-secret-env BINARLY_CLIENT_SECRET)
if [ -n "${BINARLY_CA_FILE:-}" ]; then tw+=(--ca-file "$BINARLY_CA_FILE"); fi

for _ in $(seq "${API_CALLS:-3}"); do
  auth=$("${tw[@]}" header)
  curl -fsS -H "$auth" "$API_URL"
  echo
done
"${tw[@]}" inspect >&2   # expiry and the service account's claims, never the token

# One line for scripts/examples.py (`make demo`): the token's type and seconds left, and whether
# a later run got the same token from the file cache (no request). The JSON holds the token:
# never print it.
field() { grep -o "\"$1\": *[^,}]*" | head -n1 | sed 's/^[^:]*: *//; s/"//g'; }
first=$("${tw[@]}" token --json)
again=$("${tw[@]}" token --json)
second=fetched; [ "$(field access_token <<<"$again")" = "$(field access_token <<<"$first")" ] && second=cache
echo "result: token_type=$(field token_type <<<"$first") expires_in=$(field expires_in <<<"$first") second_call=$second"
