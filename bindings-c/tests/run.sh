#!/usr/bin/env bash
# The C suite: compiles the tests with -Werror, starts the test server, runs test_api, every
# vector and every fault-matrix row natively and under valgrind memcheck, the forced-panic tests,
# then builds examples/c against an installed prefix (pkg-config) and calls the server's
# /resource with it; then installs the release build and links examples/c with its static
# library, whose first-token code is laid out together (scripts/hot_layout.py checks it). Run from
# the repository root by `make test-c`.
set -euo pipefail

out=target/c-tests
lib=target/debug
mkdir -p "$out"
CFLAGS=(-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -g -Ibindings-c/include)
LIBS=(-L"$lib" -l:libtokenwell.a -lpthread -ldl -lm)
cc "${CFLAGS[@]}" bindings-c/tests/test_api.c -o "$out/test_api" "${LIBS[@]}" -lcurl
cc "${CFLAGS[@]}" bindings-c/tests/vector_driver.c -o "$out/vector_driver" "${LIBS[@]}"

server_pid=""
prefix=""
release_prefix=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$prefix" ] && rm -rf "$prefix"
  [ -n "$release_prefix" ] && rm -rf "$release_prefix"
}
trap cleanup EXIT
rm -f "$out/server.url"
"$lib/tokenwell-authserver" --max-seconds 1800 > "$out/server.url" &
server_pid=$!
for _ in $(seq 100); do [ -s "$out/server.url" ] && break; sleep 0.1; done
TW_SERVER=$(head -1 "$out/server.url")
export TW_SERVER

VALGRIND=(valgrind --error-exitcode=1 --leak-check=full --num-callers=50
          --suppressions=bindings-c/tests/valgrind.supp)

echo "== test_api under valgrind"
"${VALGRIND[@]}" --log-file="$out/test_api.valgrind" "$out/test_api" \
  || { cat "$out/test_api.valgrind"; exit 1; }
grep -E "definitely lost|indirectly lost|possibly lost|ERROR SUMMARY" "$out/test_api.valgrind" | sed 's/^==[0-9]*== /   /'

echo "== tests/vectors through the C API"
python3 bindings-c/tests/vectors.py "$TW_SERVER" tests/vectors -- "$out/vector_driver"

echo "== tests/faults (the fault matrix) through the C API"
python3 bindings-c/tests/faults.py "$TW_SERVER" "$lib/tokenwell-authserver" tests/faults -- "$out/vector_driver"

echo "== forced panics in the engine (TOKENWELL_TEST_PANIC, child processes only)"
python3 bindings-c/tests/panic.py "$TW_SERVER" -- "$out/vector_driver"

# Vectors run once per server (the engine's caches are process-wide, keyed by the server's port).
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
rm -f "$out/server.url"
"$lib/tokenwell-authserver" --max-seconds 1800 > "$out/server.url" &
server_pid=$!
for _ in $(seq 100); do [ -s "$out/server.url" ] && break; sleep 0.1; done
TW_SERVER=$(head -1 "$out/server.url")

echo "== tests/vectors through the C API, under valgrind"
python3 bindings-c/tests/vectors.py --lenient-timing "$TW_SERVER" tests/vectors -- \
  "${VALGRIND[@]}" --log-file="$out/vectors.valgrind" "$out/vector_driver" \
  || { cat "$out/vectors.valgrind"; exit 1; }
grep -E "definitely lost|indirectly lost|possibly lost|ERROR SUMMARY" "$out/vectors.valgrind" | sed 's/^==[0-9]*== /   /'

echo "== tests/faults through the C API, under valgrind (max_ms x 3, see faults.py)"
python3 bindings-c/tests/faults.py --valgrind "$TW_SERVER" "$lib/tokenwell-authserver" tests/faults -- \
  "${VALGRIND[@]}" --log-file="$out/faults.valgrind" "$out/vector_driver" \
  || { cat "$out/faults.valgrind"; exit 1; }
grep -E "definitely lost|indirectly lost|possibly lost|ERROR SUMMARY" "$out/faults.valgrind" | sed 's/^==[0-9]*== /   /'

echo "== make install into a temporary prefix, then examples/c through pkg-config"
prefix=$(mktemp -d /tmp/tw-install.XXXXXX)
make -s install-c PREFIX="$prefix" TW_C_PROFILE=dev
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046 # pkg-config prints several flags on purpose
cc -Wall -Wextra -Werror -pedantic examples/c/*.c -o "$out/call_api" $(pkg-config --cflags --libs tokenwell libcurl)
curl -fsS -X POST -H 'Content-Type: application/json' -d '{}' "$TW_SERVER/t/c-example/_reset" >/dev/null
TOKENWELL_CONFIG='{"token_url":"'"$TW_SERVER"'/t/c-example/token","client_id":"app","client_secret":"${TW_EXAMPLE_SECRET}"}' \
  TW_EXAMPLE_SECRET=app-secret "$out/call_api" "$TW_SERVER/t/c-example/resource"

echo "== make install of the release build, then examples/c linked with its libtokenwell.a (laid out)"
release_prefix=$(mktemp -d /tmp/tw-install-release.XXXXXX)
make -s install-c PREFIX="$release_prefix"
export PKG_CONFIG_PATH="$release_prefix/lib/pkgconfig"
# The static link bindings-c/README.md shows.
# shellcheck disable=SC2046 # pkg-config prints several flags on purpose
cc -Wall -Wextra -Werror -pedantic examples/c/*.c -o "$out/call_api_static" $(pkg-config --cflags tokenwell libcurl) \
  "$(pkg-config --variable=libdir tokenwell)/libtokenwell.a" -lpthread -ldl -lm -lgcc_s $(pkg-config --libs libcurl)
python3 scripts/hot_layout.py span "$out/call_api_static"
curl -fsS -X POST -H 'Content-Type: application/json' -d '{}' "$TW_SERVER/t/c-static/_reset" >/dev/null
TOKENWELL_CONFIG='{"token_url":"'"$TW_SERVER"'/t/c-static/token","client_id":"app","client_secret":"${TW_EXAMPLE_SECRET}"}' \
  TW_EXAMPLE_SECRET=app-secret "$out/call_api_static" "$TW_SERVER/t/c-static/resource"
test "$(curl -fsS "$TW_SERVER/t/c-static/_stats" | python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])')" = 1
echo "test-c: all C suites passed"
