#!/usr/bin/env bash
# A warm `tokenwell token` (file-cache hit), process start to exit: 3 rounds of 100 sequential
# runs from bash, next to the same loop running /bin/true (the cost of starting any process
# here). Target: ≤ 5 ms per run. Uses `perf stat` for CPU time when it is installed.
set -euo pipefail
tw=$(cd "$(dirname "${1:-target/release/tokenwell}")" && pwd)/$(basename "${1:-target/release/tokenwell}")
server_bin=${SERVER_BIN:-target/debug/tokenwell-authserver}
tmp=$(mktemp -d)
"$server_bin" --max-seconds 120 >"$tmp/server.out" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -s "$tmp/server.out" ] && break; sleep 0.05; done
ns="$(head -n1 "$tmp/server.out")/t/bench-cli"

export HOME="$tmp" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache" BENCH_SECRET=app-secret
mkdir -p "$tmp/config/tokenwell"
cat >"$tmp/config/tokenwell/config.toml" <<TOML
[profiles.bench]
preset = "keycloak"
base_url = "$ns"
realm = "bench"
client_id = "app"
client_secret = { env = "BENCH_SECRET" }
TOML
"$tw" token -p bench >/dev/null   # the one fetch

loop() { local s e; s=$(date +%s%N); for _ in $(seq 100); do "$@" >/dev/null; done; e=$(date +%s%N); echo $(( (e - s) / 100000 )); }
echo "tokenwell token -p bench, 100 sequential runs per round (µs per run):"
for round in 1 2 3; do
  t=$(loop "$tw" token -p bench); b=$(loop /bin/true)
  printf '  round %d: tokenwell %5d µs   /bin/true %5d µs   difference %5d µs\n' "$round" "$t" "$b" $((t - b))
done
if command -v perf >/dev/null 2>&1 && perf stat -r 1 /bin/true >/dev/null 2>&1; then
  echo "perf stat -r 100 (CPU time and wall time of one run):"
  perf stat -r 100 "$tw" token -p bench 2>&1 >/dev/null | grep -E "task-clock|elapsed" | sed 's|^ *|  tokenwell  |'
  perf stat -r 100 /bin/true 2>&1 >/dev/null | grep -E "task-clock|elapsed" | sed 's|^ *|  /bin/true  |'
fi
total=$(curl -fsS "$ns/_stats" | grep -o '"total":[0-9]*' | cut -d: -f2)
echo "token requests the server saw: $total (want 1)"
[ "$total" = 1 ]
