#!/usr/bin/env bash
# `make test-node`: builds the addon with @napi-rs/cli, packs the npm package, installs the
# tarball into a fresh folder (target/node-test/app), type-checks a typed usage file there with
# `tsc --noEmit --strict`, and runs the suite there with `node --test` against one test server
# (started here, stopped by PID). Re-runnable; quick to set up when everything is present.
set -euo pipefail

pkg="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "$pkg/.." && pwd)"
work="$root/target/node-test"
cargo="${CARGO:-cargo}"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "test-node: installing nodejs and npm from Debian's packages"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm
fi

cd "$pkg"
# Dev dependencies (napi CLI, TypeScript) at the lockfile's versions; skipped when present.
# (`npm ci` trips over @napi-rs/cli's optional platform packages, so `npm install`.)
if [ ! -x node_modules/.bin/napi ] || [ ! -x node_modules/.bin/tsc ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund --loglevel=error
fi

echo "test-node: building the addon"
rm -f tokenwell.*.node
node_modules/.bin/napi build --platform --strip --js native.js --dts native.d.ts ${NAPI_BUILD_FLAGS:-}
"$cargo" build -q -p tokenwell-authserver

echo "test-node: packing and installing into a fresh folder"
rm -rf "$work"
mkdir -p "$work/app"
npm pack --pack-destination "$work" --loglevel=error >/dev/null
tarball="$(ls "$work"/tokenwell-*.tgz)"
cd "$work/app"
echo '{ "name": "tokenwell-node-test", "private": true }' > package.json
npm install --no-audit --no-fund --prefer-offline --loglevel=error \
  "$tarball" "typescript@$(node -p "require('$pkg/node_modules/typescript/package.json').version")" "@types/node@^20"
cp -r "$pkg/tests" test

echo "test-node: tsc --noEmit --strict on the typed usage files"
node_modules/.bin/tsc --noEmit --strict -p test/types

echo "test-node: node --test"
"$root/target/debug/tokenwell-authserver" --max-seconds 1800 > "$work/authserver.out" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q '^http' "$work/authserver.out" 2>/dev/null && break
  sleep 0.1
done
server="$(head -n 1 "$work/authserver.out")"
[[ "$server" == http* ]] || { echo "test-node: the test server did not start" >&2; exit 1; }

TOKENWELL_TEST_SERVER="$server" TOKENWELL_VECTORS="$root/tests/vectors" TOKENWELL_FAULTS="$root/tests/faults" \
  TOKENWELL_AUTHSERVER="$root/target/debug/tokenwell-authserver" TOKENWELL_FAULTS_TABLE="$root/target/node-faults.txt" \
  TOKENWELL_NODE_RSS="$root/target/node-rss.txt" node --test --test-timeout=120000 test/*.test.js
