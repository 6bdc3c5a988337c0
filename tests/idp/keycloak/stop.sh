#!/usr/bin/env bash
# Stops the Keycloak that start.sh RUN_DIR started: SIGTERM to its process group (kc.sh and its
# java), SIGKILL after 20 s. Only that PID, and only if its command line is this run's Keycloak.
# Usage: stop.sh RUN_DIR. Quiet and successful when nothing runs.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 RUN_DIR" >&2; exit 2; }
[ -d "$1" ] || exit 0
run="$(cd "$1" && pwd)"
pid="$(cat "$run/keycloak.pid" 2>/dev/null)" || exit 0
rm -f "$run/keycloak.pid" "$run/keycloak.url"
[ -n "$pid" ] || exit 0
tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-Dkc.home.dir=$run/keycloak-home" || exit 0

kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 200); do
  kill -0 -- "-$pid" 2>/dev/null || exit 0
  sleep 0.1
done
echo "keycloak: pid $pid did not stop within 20 s; killing it" >&2
kill -KILL -- "-$pid" 2>/dev/null || true
