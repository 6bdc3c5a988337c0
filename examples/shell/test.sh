#!/usr/bin/env bash
# Runs every example here against the local test server (`make test-cli`): tokenwell and
# tokenwell-authserver from the folder given (default target/debug), each example in its own
# server namespace with its own HOME and XDG folders. An example passes when it exits 0, each of
# its API calls was answered 200 (curl -f), the server saw exactly one token request for all of
# them, and no secret appears in its output.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "${1:-target/debug}" && pwd)
calls=4
tmp=$(mktemp -d)
"$bin/tokenwell-authserver" --max-seconds 300 >"$tmp/server.out" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -s "$tmp/server.out" ] && break; sleep 0.05; done
root=$(head -n1 "$tmp/server.out")
[ -n "$root" ] || { echo "test.sh: the test server did not start" >&2; exit 1; }

passed=0 failed=0
stat() { curl -fsS "$1/_stats" | grep -o "\"$2\":[0-9]*" | cut -d: -f2; }

# run NAME VAR=VALUE…: `{ns}` in a value becomes the example's server URL.
run() {
  local name=$1 ns="$root/t/shell-$1" home="$tmp/$1" vars=() out
  shift
  for v in "$@"; do vars+=("${v//\{ns\}/$ns}"); done
  curl -fsS -X POST "$ns/_reset" >/dev/null
  mkdir -p "$home"
  out="$tmp/$name.out"
  if env -i PATH="$bin:$PATH" HOME="$home" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" \
      API_URL="$ns/resource" API_CALLS="$calls" "${vars[@]}" bash "$here/$name.sh" >"$out" 2>&1; then
    local total ok
    total=$(stat "$ns" total) ok=$(( $(stat "$ns" resource) - $(stat "$ns" resource_401) ))
    if [ "$total" != 1 ] || [ "$ok" != "$calls" ]; then
      echo "FAIL $name: $total token requests (want 1), $ok API calls answered 200 (want $calls)"
      failed=$((failed + 1)); sed 's/^/    /' "$out"; return
    fi
    for secret in "correct horse" wonderland app-secret butlr-secret semansys-secret admin-secret; do
      if grep -qF "$secret" "$out"; then
        echo "FAIL $name: a secret in the output"; failed=$((failed + 1)); return
      fi
    done
    echo "ok   $name ($calls API calls, 1 token request)"
    passed=$((passed + 1))
  else
    echo "FAIL $name (exit $?)"; failed=$((failed + 1)); sed 's/^/    /' "$out"
  fi
}

run binarly-password BINARLY_BASE_URL={ns} BINARLY_EMAIL=user@example.com "BINARLY_PASSWORD=correct horse"
run butlr-password BUTLR_BASE_URL={ns} BUTLR_USERNAME=user@example.com "BUTLR_PASSWORD=correct horse"
run butlr-client-credentials BUTLR_BASE_URL={ns} BUTLR_CLIENT_ID=butlr-client BUTLR_CLIENT_SECRET=butlr-secret
run binarly-onprem-m2m KEYCLOAK_BASE_URL={ns} BINARLY_CLIENT_ID=app BINARLY_CLIENT_SECRET=app-secret
run semansys-password SEMANSYS_BASE_URL={ns} SEMANSYS_CLIENT_ID=semansys-client \
  SEMANSYS_CLIENT_SECRET=semansys-secret SEMANSYS_USERNAME=alice SEMANSYS_PASSWORD=wonderland
run phasetwo-client-credentials PHASETWO_BASE_URL={ns} PHASETWO_REALM=demo PHASETWO_CLIENT_SECRET=admin-secret
run phasetwo-password PHASETWO_BASE_URL={ns} PHASETWO_REALM=demo PHASETWO_CLIENT_ID=public-app \
  PHASETWO_USERNAME=alice PHASETWO_PASSWORD=wonderland

echo "examples/shell: $passed passed, $failed failed"
[ "$failed" = 0 ]
