#!/usr/bin/env bash
# Starts a local Keycloak for tests and demos: dev mode, bound to 127.0.0.1 on a free port, the
# in-memory dev database, and our realm files imported. Usage: start.sh RUN_DIR
# Prints the server URL (its only line on stdout) once every realm answers; writes RUN_DIR/keycloak.pid,
# RUN_DIR/keycloak.url and RUN_DIR/keycloak.log. If RUN_DIR's Keycloak already runs, prints its URL.
# Stop it with stop.sh RUN_DIR. Environment: KEYCLOAK_START_TIMEOUT (seconds, default 240),
# KEYCLOAK_JAVA_OPTS (more JVM options), TOKENWELL_KEYCLOAK_ADMIN_PASSWORD (creates a master-realm
# `admin` for the admin console; no admin otherwise).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/common.sh"

[ $# -eq 1 ] || { echo "usage: $0 RUN_DIR" >&2; exit 2; }
mkdir -p "$1"
run="$(cd "$1" && pwd)"
home="$run/keycloak-home"
timeout="${KEYCLOAK_START_TIMEOUT:-240}"

answers() { curl -fs -o /dev/null --max-time 5 "$1"; }

# Ours and alive: the pid's command line names this run's home (pids get reused).
running() {
  local pid
  pid="$(cat "$run/keycloak.pid" 2>/dev/null)" || return 1
  [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-Dkc.home.dir=$home"
}

if running && [ -f "$run/keycloak.url" ] && answers "$(cat "$run/keycloak.url")/realms/master"; then
  cat "$run/keycloak.url"
  exit 0
fi

dist="$("$here/fetch.sh")"
java_home="$(find_java_home)"
kc_log "Java $(java_major "$java_home") from $java_home"

# A run folder of its own: data/ (the import folder, transaction logs) is per run; the rest links
# to the cached distribution. lib/ must be the distribution's, or Keycloak re-augments every start.
rm -rf "$home"
mkdir -p "$home/data/import"
for d in bin conf lib providers themes; do ln -s "$dist/$d" "$home/$d"; done
cp "$here"/realms/*-realm.json "$home/data/import/"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null && return
  local p
  for _ in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 20000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  return 1
}

# The first start after unpacking augments the distribution in place (lib/quarkus, ~30 s);
# concurrent first starts would both write it, so it happens under the cache's lock.
primed="$dist/.tokenwell-primed"
exec 9>"$TOKENWELL_CACHE/keycloak-$KEYCLOAK_VERSION.lock"
if [ ! -f "$primed" ]; then
  flock -w "$timeout" 9 || kc_die "timed out waiting for another first start of Keycloak"
  [ -f "$primed" ] || kc_log "first start: Keycloak prepares its dev-mode build once (~30-60 s)"
fi

t0=$(date +%s%N)
for attempt in 1 2 3; do
  port="$(free_port)" || kc_die "no free port on 127.0.0.1"
  url="http://127.0.0.1:$port"
  admin=()
  if [ -n "${TOKENWELL_KEYCLOAK_ADMIN_PASSWORD:-}" ]; then
    admin=(KC_BOOTSTRAP_ADMIN_USERNAME=admin "KC_BOOTSTRAP_ADMIN_PASSWORD=$TOKENWELL_KEYCLOAK_ADMIN_PASSWORD")
  fi
  # setsid: kc.sh and its java get a process group of their own, which stop.sh ends as a whole.
  env -u JAVA_OPTS -u JAVA_OPTS_APPEND "${admin[@]}" JAVA_HOME="$java_home" \
    JAVA_OPTS_KC_HEAP="-Xms256m -Xmx1g" \
    JAVA_OPTS_APPEND="${KEYCLOAK_JAVA_OPTS--XX:TieredStopAtLevel=1}" \
    setsid "$dist/bin/kc.sh" "-Dkc.home.dir=$home" start-dev \
      --http-host=127.0.0.1 --http-port="$port" --db=dev-mem --import-realm \
      </dev/null >"$run/keycloak.log" 2>&1 &
  pid=$!
  echo "$pid" >"$run/keycloak.pid"
  deadline=$(( $(date +%s) + timeout ))
  while ! answers "$url/realms/master"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      if grep -q "Port already bound\|Address already in use" "$run/keycloak.log" && [ "$attempt" -lt 3 ]; then
        kc_log "port $port was taken meanwhile; trying another"
        continue 2
      fi
      tail -n 40 "$run/keycloak.log" >&2
      rm -f "$run/keycloak.pid"
      kc_die "Keycloak exited during start (log: $run/keycloak.log)"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n 40 "$run/keycloak.log" >&2
      "$here/stop.sh" "$run" || true
      kc_die "Keycloak did not answer within ${timeout} s (log: $run/keycloak.log)"
    fi
    sleep 0.25
  done
  break
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
touch "$primed"
flock -u 9

for f in "$here"/realms/*-realm.json; do
  realm="$(basename "$f" -realm.json)"
  answers "$url/realms/$realm/.well-known/openid-configuration" \
    || { "$here/stop.sh" "$run" || true; kc_die "realm $realm was not imported (log: $run/keycloak.log)"; }
done

echo "$url" >"$run/keycloak.url"
echo "$ms" >"$run/keycloak.start-ms"
kc_log "Keycloak $KEYCLOAK_VERSION answers at $url after $((ms / 1000)).$(( (ms % 1000) / 100 )) s (pid $pid)"
echo "$url"
