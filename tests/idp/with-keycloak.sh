#!/usr/bin/env bash
# Runs a command with TOKENWELL_KEYCLOAK_URL pointing at a local Keycloak, for any language's
# test runner: `tests/idp/with-keycloak.sh pytest …`. Uses the Keycloak the variable already
# names, else the one running in target/idp (`make keycloak-up`), else starts one there and stops
# it by PID when the command ends, whether it passed or not. Exits with the command's status.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
run="${TOKENWELL_IDP_RUN_DIR:-$here/../../target/idp}"

[ $# -ge 1 ] || { echo "usage: $0 COMMAND [ARG…]" >&2; exit 2; }
if [ -n "${TOKENWELL_KEYCLOAK_URL:-}" ]; then
  exec "$@"
fi
if [ -f "$run/keycloak.url" ] && curl -fs -o /dev/null --max-time 5 "$(cat "$run/keycloak.url")/realms/master"; then
  TOKENWELL_KEYCLOAK_URL="$(cat "$run/keycloak.url")" exec "$@"
fi
trap '"$here/keycloak/stop.sh" "$run"' EXIT
trap 'exit 130' INT TERM
TOKENWELL_KEYCLOAK_URL="$("$here/keycloak/start.sh" "$run")"
export TOKENWELL_KEYCLOAK_URL
# In the background so that an interrupt reaches the trap at once (bash defers traps until a
# foreground command ends); the trap ends the command, then EXIT stops Keycloak. Without job
# control bash starts background commands with SIGINT and SIGQUIT ignored, which the command would
# inherit (Python then never raises KeyboardInterrupt): the subshell restores them first.
( trap - INT QUIT; exec "$@" ) &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child" || true; exit 130' INT TERM
status=0
wait "$child" || status=$?
exit "$status"
