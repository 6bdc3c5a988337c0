#!/usr/bin/env bash
# `make bench-node`: builds the Node addon in release mode, starts the test server (stopped by
# PID), and runs bench.mjs. Not part of `make test`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pkg="$root/bindings-node"
cargo="${CARGO:-cargo}"

cd "$pkg"
if [ ! -x node_modules/.bin/napi ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund --loglevel=error
fi
rm -f tokenwell.*.node
node_modules/.bin/napi build --platform --release --strip --js native.js --dts native.d.ts
"$cargo" build -q -p tokenwell-authserver

out="$(mktemp)"
"$root/target/debug/tokenwell-authserver" --max-seconds 600 > "$out" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do
  grep -q '^http' "$out" 2>/dev/null && break
  sleep 0.1
done
TOKENWELL_TEST_SERVER="$(head -n 1 "$out")" node "$here/bench.mjs"
