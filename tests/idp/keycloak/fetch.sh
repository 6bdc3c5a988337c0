#!/usr/bin/env bash
# Gets the pinned Keycloak server distribution (org.keycloak:keycloak-quarkus-dist, tar.gz) from
# Maven Central once, checks its SHA-1 and unpacks it into the user's cache, outside the repository.
# Prints the distribution's folder. Quick when it is already there; safe to run concurrently.
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [ -x "$KEYCLOAK_HOME/bin/kc.sh" ]; then
  echo "$KEYCLOAK_HOME"
  exit 0
fi

mkdir -p "$TOKENWELL_CACHE"
exec 9>"$TOKENWELL_CACHE/keycloak-$KEYCLOAK_VERSION.lock"
flock -w 900 9 || kc_die "timed out waiting for another download of Keycloak $KEYCLOAK_VERSION"
if [ -x "$KEYCLOAK_HOME/bin/kc.sh" ]; then   # another process finished it while we waited
  echo "$KEYCLOAK_HOME"
  exit 0
fi

if ! command -v curl >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || kc_die "curl is needed to download Keycloak"
  kc_log "installing curl from Debian's packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >&2
fi

name="keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz"
url="$MAVEN_REPO/org/keycloak/keycloak-quarkus-dist/$KEYCLOAK_VERSION/$name"
m2="$HOME/.m2/repository/org/keycloak/keycloak-quarkus-dist/$KEYCLOAK_VERSION/$name"
part="$TOKENWELL_CACHE/$name.part"   # the archive is removed once unpacked
tmp="$TOKENWELL_CACHE/keycloak-$KEYCLOAK_VERSION.tmp.$$"
trap 'rm -rf "$tmp" "$part"' EXIT

if [ -f "$m2" ]; then
  kc_log "using $m2 from the local Maven repository"
  cp "$m2" "$part"
else
  kc_log "downloading Keycloak $KEYCLOAK_VERSION from Maven Central (once; cached in $TOKENWELL_CACHE)"
  kc_log "$url"
  start=$(date +%s)
  progress=(--progress-bar)
  [ -t 2 ] || progress=(--no-progress-meter)   # logs get one line, not a carriage-return stream
  curl -fL --retry 3 --connect-timeout 20 "${progress[@]}" -o "$part" "$url" \
    || kc_die "download failed: $url"
  size=$(( $(stat -c %s "$part") / 1048576 ))
  kc_log "downloaded ${size} MiB in $(( $(date +%s) - start )) s"
fi

pinned="KEYCLOAK_SHA1_${KEYCLOAK_VERSION//[^0-9A-Za-z]/_}"
want="${!pinned:-}"
if [ -z "$want" ]; then
  want="$(curl -fsS --retry 3 "$url.sha1" | cut -c1-40)" || kc_die "could not get $url.sha1"
fi
got="$(sha1sum "$part" | cut -c1-40)"
[ "$got" = "$want" ] || kc_die "SHA-1 mismatch for $name: got $got, expected $want"

mkdir -p "$tmp"
tar -xzf "$part" -C "$tmp"
[ -x "$tmp/keycloak-$KEYCLOAK_VERSION/bin/kc.sh" ] || kc_die "unexpected archive layout in $name"
rm -rf "$KEYCLOAK_HOME"
mv "$tmp/keycloak-$KEYCLOAK_VERSION" "$KEYCLOAK_HOME"
kc_log "unpacked into $KEYCLOAK_HOME"
echo "$KEYCLOAK_HOME"
