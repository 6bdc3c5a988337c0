#!/usr/bin/env bash
# The Go suite, from the repository root (`make test-go`, after `cargo build -p tokenwell-c`).
set -euo pipefail

root=$PWD
lib=$root/target/debug
# Link this checkout's debug build. The second -L names the library's content: cgo does not
# track files named in LDFLAGS, and the flags are part of Go's cache keys, so a rebuilt
# libtokenwell.a is never served from a stale cache (ld ignores the missing directory).
stamp=$(sha256sum "$lib/libtokenwell.a" | cut -c1-16)
export CGO_ENABLED=1 CGO_LDFLAGS="-L$lib -L/nonexistent/libtokenwell-$stamp"
export TW_AUTHSERVER=$lib/tokenwell-authserver

unformatted=$(gofmt -l bindings-go examples/go)
[ -z "$unformatted" ] || { echo "gofmt needed: $unformatted" >&2; exit 1; }
go -C bindings-go vet ./...
go -C examples/go vet ./...

echo "== go test -race (static libtokenwell.a)"
go -C bindings-go test -race -count=1 ./...

echo "== examples/go (the Butlr document's flows) against the test server"
out=target/go-tests
mkdir -p "$out"
server_pid=""
prefix=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$prefix" ] && rm -rf "$prefix"
}
trap cleanup EXIT
rm -f "$out/server.url"
"$TW_AUTHSERVER" --max-seconds 600 > "$out/server.url" &
server_pid=$!
for _ in $(seq 100); do [ -s "$out/server.url" ] && break; sleep 0.1; done
server=$(head -1 "$out/server.url")
for ns in go-example-password go-example-cc; do
  curl -fsS -X POST -H 'Content-Type: application/json' -d '{}' "$server/t/$ns/_reset" >/dev/null
done
go -C examples/go build -o "$root/$out/" ./...
BUTLR_BASE_URL=$server/t/go-example-password BUTLR_EMAIL=user@example.com BUTLR_PASSWORD='correct horse' \
  "$out/butlr-password" "$server/t/go-example-password/resource" | tee "$out/password.txt"
grep -q '200 OK' "$out/password.txt"
BUTLR_BASE_URL=$server/t/go-example-cc BUTLR_CLIENT_ID=butlr-client BUTLR_CLIENT_SECRET=butlr-secret \
  "$out/butlr-client-credentials" "$server/t/go-example-cc/resource" | tee "$out/cc.txt"
grep -q '200 OK' "$out/cc.txt"

echo "== -tags tokenwell_dynamic: the installed libtokenwell.so through pkg-config"
# A fixed prefix: Go's build cache keeps the cgo flags pkg-config gave, so a new folder per run
# would point a second run at a folder that no longer exists.
prefix=$root/target/go-dynamic-prefix
rm -rf "$prefix"
make -s install-c PREFIX="$prefix" TW_C_PROFILE=dev
# CGO_CFLAGS names the prefix so it is part of Go's cache key.
PKG_CONFIG_PATH="$prefix/lib/pkgconfig" CGO_LDFLAGS="" CGO_CFLAGS="-I$prefix/include" \
  go -C bindings-go test -tags tokenwell_dynamic -count=1 -run 'TestButlr|TestOAuth2|TestErrors' ./...
echo "test-go: all Go suites passed"
